// SPDX-License-Identifier: GPL-2.0
/*
 * Exits that happen only when an exit policy (policy.c) turns them on,
 * and forwarding an exit to user space (LV_EXIT_VMX).
 *
 * RDTSC and PAUSE are emulated; INVLPG and MOV to CR3 of an EPT VM flush
 * the vCPU's VPID-tagged translations as the instruction would; the
 * descriptor-table instructions (LGDT ... LTR) are emulated from the
 * instruction-information field with the guest page walk of core/paging.c.
 */
#include <asm/desc_defs.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "../core/lv.h"
#include "exit.h"
#include "policy.h"
#include "vmcs.h"
#include "vmx.h"

/**
 * lv_handle_rdtsc() - RDTSC with RDTSC exiting on
 * @vcpu: the vCPU
 *
 * Return: 1.
 */
int lv_handle_rdtsc(struct lv_vcpu *vcpu)
{
	u64 tsc = rdtsc() + lv_vmread64(TSC_OFFSET);

	vcpu->regs[LV_RAX] = (u32)tsc;
	vcpu->regs[LV_RDX] = tsc >> 32;
	return lv_skip_insn(vcpu);
}

/**
 * lv_handle_pause() - PAUSE with PAUSE exiting on
 * @vcpu: the vCPU
 *
 * Return: 1.
 */
int lv_handle_pause(struct lv_vcpu *vcpu)
{
	return lv_skip_insn(vcpu);
}

static void flush_vpid(struct lv_vcpu *vcpu)
{
	/* without a VPID every entry and exit flushes anyway */
	if (vcpu->vpid)
		lv_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid);
}

/**
 * lv_handle_invlpg() - INVLPG of an EPT VM with INVLPG exiting on
 * @vcpu: the vCPU
 *
 * Return: 1.
 */
int lv_handle_invlpg(struct lv_vcpu *vcpu)
{
	flush_vpid(vcpu);
	return lv_skip_insn(vcpu);
}

/**
 * lv_emulate_cr3() - MOV to or from CR3 of an EPT VM whose policy makes it
 *	exit
 * @vcpu: the vCPU
 * @load: MOV to CR3
 * @reg: the GPR operand
 *
 * Return: 1 (the guest resumes, or gets #GP(0) for a PDPTE with a
 * reserved bit under PAE paging).
 */
int lv_emulate_cr3(struct lv_vcpu *vcpu, bool load, unsigned int reg)
{
	bool long_mode = lv_vmread32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK;
	unsigned long val;
	u64 pdpte[4];
	bool pae;
	int i;

	if (!load) {
		val = lv_vmread(GUEST_CR3);
		lv_set_reg(vcpu, reg, long_mode ? val : (u32)val);
		return lv_skip_insn(vcpu);
	}
	val = lv_get_reg(vcpu, reg);
	if (!long_mode)
		val = (u32)val;
	/* PAE paging: the CPU loads the PDPTEs now, or raises #GP(0) */
	pae = lv_vmcs_pae_paging(vcpu);
	if (pae && lv_pae_load_pdptes(vcpu->vm, val, pdpte)) {
		lv_inject_exception(vcpu, X86_TRAP_GP, 0);
		return 1;
	}
	/* bit 63 with CR4.PCIDE: keep the TLB; it is never part of CR3 */
	if (!((lv_vmread(CR4_READ_SHADOW) & X86_CR4_PCIDE) && (val & BIT_ULL(63))))
		flush_vpid(vcpu);
	val &= ~BIT_ULL(63);
	lv_vmwrite(GUEST_CR3, val);
	for (i = 0; pae && i < 4; i++)
		lv_vmwrite(GUEST_PDPTR0 + i * 2, pdpte[i]);
	return lv_skip_insn(vcpu);
}

/* ---- LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR ------------------------ */

#define SEG_LDTR	6
#define SEG_TR		7

/* the memory operand's linear address, from the instruction information */
static u64 operand_address(struct lv_vcpu *vcpu, u32 info, unsigned int *asize)
{
	unsigned int seg = (info >> 15) & 7;
	u64 addr = lv_vmread(EXIT_QUALIFICATION);	/* the displacement */

	*asize = 2 << ((info >> 7) & 7);
	if (!(info & BIT(27)))
		addr += lv_get_reg(vcpu, (info >> 23) & 15);
	if (!(info & BIT(22)))
		addr += lv_get_reg(vcpu, (info >> 18) & 15) << (info & 3);
	if (*asize < 8)
		addr &= *asize == 4 ? 0xffffffffULL : 0xffffULL;
	if (!(vcpu->efer & EFER_LMA) || seg == 4 || seg == 5)
		addr += lv_vmread(GUEST_ES_BASE + seg * 2);
	return (vcpu->efer & EFER_LMA) ? addr : (u32)addr;
}

static int mem_access(struct lv_vcpu *vcpu, u64 gva, void *buf,
		      unsigned int len, bool write)
{
	unsigned int access = write ? LV_WALK_WRITE : 0;
	struct lv_paging pg;
	u64 fault;
	u32 pf;
	int err;

	if (((lv_vmread32(GUEST_SS_AR_BYTES) >> 5) & 3) == 3)
		access |= LV_WALK_USER;
	lv_vmcs_paging(vcpu, &pg);
	err = write ? lv_gva_write(vcpu->vm, &pg, gva, buf, len, access, &fault, &pf) :
		      lv_gva_read(vcpu->vm, &pg, gva, buf, len, access, &fault, &pf);
	if (err) {
		vcpu->cr2 = fault;
		lv_inject_exception(vcpu, X86_TRAP_PF, pf);
	}
	return err;
}

static int gp(struct lv_vcpu *vcpu)
{
	lv_inject_exception(vcpu, X86_TRAP_GP, 0);
	return 1;
}

static int gdtr_idtr(struct lv_vcpu *vcpu, u32 info)
{
	unsigned int op = (info >> 28) & 3, asize;
	bool idt = op & 1, load = op & 2, lm = vcpu->efer & EFER_LMA;
	unsigned long base_f = idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE;
	unsigned long limit_f = idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT;
	u64 gva = operand_address(vcpu, info, &asize);
	u8 buf[10] = { 0 };
	unsigned int len = lm ? 10 : 6;
	u64 base = 0;
	u16 limit;

	if (!load) {
		limit = lv_vmread32(limit_f);
		base = lv_vmread(base_f);
		memcpy(buf, &limit, 2);
		memcpy(buf + 2, &base, len - 2);
		if (mem_access(vcpu, gva, buf, len, true))
			return 1;
		return lv_skip_insn(vcpu);
	}
	if (((lv_vmread32(GUEST_SS_AR_BYTES) >> 5) & 3) != 0)
		return gp(vcpu);
	if (mem_access(vcpu, gva, buf, len, false))
		return 1;
	memcpy(&limit, buf, 2);
	memcpy(&base, buf + 2, len - 2);
	if (!lm && !(info & BIT(11)))	/* 16-bit operand size: 24-bit base */
		base &= 0xffffff;
	if (lm && (u64)((s64)(base << 16) >> 16) != base)
		return gp(vcpu);
	lv_vmwrite(base_f, base);
	lv_vmwrite(limit_f, limit);
	return lv_skip_insn(vcpu);
}

/* LLDT and LTR: the descriptor from the GDT into the hidden state */
static int load_system_segment(struct lv_vcpu *vcpu, u16 sel, bool tr)
{
	unsigned int seg = tr ? SEG_TR : SEG_LDTR, len;
	bool lm = vcpu->efer & EFER_LMA;
	u64 gva = lv_vmread(GUEST_GDTR_BASE) + (sel & ~7);
	u32 desc[4] = { 0 }, type, limit, ar;
	u64 base;

	if (((lv_vmread32(GUEST_SS_AR_BYTES) >> 5) & 3) != 0)
		return gp(vcpu);
	if (!(sel & ~3) && !tr) {		/* a null LDT selector */
		lv_vmwrite(GUEST_ES_SELECTOR + seg * 2, sel);
		lv_vmwrite(GUEST_ES_AR_BYTES + seg * 2, VMX_AR_UNUSABLE_MASK);
		return lv_skip_insn(vcpu);
	}
	len = lm ? 16 : 8;
	if ((sel & 4) || (sel | 7) > lv_vmread32(GUEST_GDTR_LIMIT) || (tr && !(sel & ~3)))
		goto bad_sel;
	if (mem_access(vcpu, gva, desc, len, false))
		return 1;
	type = (desc[1] >> 8) & 0x1f;		/* S and type */
	if (tr ? (type != 0x09 && type != 0x01) : type != 0x02)
		goto bad_sel;
	if (!(desc[1] & BIT(15))) {
		lv_inject_exception(vcpu, X86_TRAP_NP, sel & ~3);
		return 1;
	}
	base = (desc[0] >> 16) | ((desc[1] & 0xff) << 16) | (desc[1] & 0xff000000);
	if (lm)
		base |= (u64)desc[2] << 32;
	limit = (desc[0] & 0xffff) | (desc[1] & 0xf0000);
	if (desc[1] & BIT(23))
		limit = (limit << 12) | 0xfff;
	if (tr) {
		desc[1] |= 2 << 8;		/* busy */
		if (mem_access(vcpu, gva + 4, &desc[1], 4, true))
			return 1;
	}
	ar = (desc[1] >> 8) & 0xf0ff;
	lv_vmwrite(GUEST_ES_SELECTOR + seg * 2, sel);
	lv_vmwrite(GUEST_ES_BASE + seg * 2, base);
	lv_vmwrite(GUEST_ES_LIMIT + seg * 2, limit);
	lv_vmwrite(GUEST_ES_AR_BYTES + seg * 2, ar);
	return lv_skip_insn(vcpu);

bad_sel:
	lv_inject_exception(vcpu, X86_TRAP_GP, sel & ~3);
	return 1;
}

static int ldtr_tr(struct lv_vcpu *vcpu, u32 info)
{
	unsigned int op = (info >> 28) & 3, asize;
	bool tr = op & 1, load = op & 2, reg = info & BIT(10);
	u16 sel;
	u64 gva = 0;

	if (!reg)
		gva = operand_address(vcpu, info, &asize);
	if (load) {
		if (reg)
			sel = lv_get_reg(vcpu, (info >> 3) & 15);
		else if (mem_access(vcpu, gva, &sel, 2, false))
			return 1;
		return load_system_segment(vcpu, sel, tr);
	}
	sel = lv_vmread16(GUEST_ES_SELECTOR + (tr ? SEG_TR : SEG_LDTR) * 2);
	/* the low 16 bits of a register (the operand size is not reported) */
	if (reg)
		lv_set_reg(vcpu, (info >> 3) & 15,
			   (lv_get_reg(vcpu, (info >> 3) & 15) & ~0xffffUL) | sel);
	else if (mem_access(vcpu, gva, &sel, 2, true))
		return 1;
	return lv_skip_insn(vcpu);
}

/**
 * lv_handle_desc_table() - the descriptor-table exits (reasons 46 and 47)
 * @vcpu: the vCPU
 *
 * Return: 1.
 */
int lv_handle_desc_table(struct lv_vcpu *vcpu)
{
	u32 info = lv_vmread32(VMX_INSTRUCTION_INFO);

	if (lv_vmread32(VM_EXIT_REASON) == EXIT_REASON_GDTR_IDTR)
		return gdtr_idtr(vcpu, info);
	return ldtr_tr(vcpu, info);
}

/* ---- forwarding -------------------------------------------------------- */

/**
 * lv_forward_exit() - hand an exit to user space raw (LV_EXIT_VMX)
 * @vcpu: the vCPU
 * @reason: basic exit reason, one the policy forwards
 *
 * Return: 0 (to user space).
 */
int lv_forward_exit(struct lv_vcpu *vcpu, u16 reason)
{
	struct lv_run *run = vcpu->run;

	run->exit_reason = LV_EXIT_VMX;
	run->vmx.reason = lv_vmread32(VM_EXIT_REASON);
	run->vmx.action = LV_VMX_HANDLE;
	run->vmx.qualification = lv_vmread(EXIT_QUALIFICATION);
	run->vmx.rip = lv_vmread(GUEST_RIP);
	run->vmx.gpa = lv_vmx.has_ept ? lv_vmread64(GUEST_PHYSICAL_ADDRESS) : 0;
	run->vmx.linear = lv_vmread(GUEST_LINEAR_ADDRESS);
	run->vmx.intr_info = lv_vmread32(VM_EXIT_INTR_INFO);
	run->vmx.insn_len = lv_vmread32(VM_EXIT_INSTRUCTION_LEN);
	run->vmx.insn_info = lv_vmread32(VMX_INSTRUCTION_INFO);
	run->vmx.padding = 0;
	vcpu->pending = LV_PENDING_FORWARDED;
	vcpu->pend.reason = reason;
	return 0;
}
