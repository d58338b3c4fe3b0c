// SPDX-License-Identifier: GPL-2.0
/*
 * Real-mode code in a VM without unrestricted guest: a shadow-paging VM
 * (unrestricted guest needs EPT), on any CPU.  The application processors
 * of an SMP guest start there (SIPI), as do real-mode guests.
 *
 * The guest runs in virtual-8086 mode, on the identity shadow of an
 * unpaged guest (CR0.PE and PG are set in the CPU, clear in what the guest
 * reads).  Virtual-8086 mode needs:
 * - segments whose base is selector * 16, limit 0xffff, access rights 0xf3;
 * - a 32-bit TSS: ours lives in three guest pages user space gives with
 *   LV_SET_TSS_ADDR.  Its I/O bitmap lets every port through (each still
 *   exits: I/O exiting is on) and its interrupt-redirection bitmap sends
 *   every INT n to the real-mode vector table (CR4.VME), natively;
 * - RFLAGS.VM, and IOPL 3 so that CLI, STI, PUSHF, POPF and IRET run
 *   natively on the guest's IF.
 * The VMCS holds the guest's real-mode view except across a VM entry:
 * lv_vm86_enter() converts it right before, lv_vm86_exit() converts it
 * back right after, so everything else (LV_GET_SREGS, the decoders, the
 * CPL, event injection) sees real mode.
 *
 * At CPL 3 the privileged instructions real-mode code uses fault: every
 * exception exits while in virtual-8086 mode.  #GP is decoded here and
 * the instruction emulated (MOV to and from CR0/CR2/CR3/CR4, LMSW, CLTS,
 * LGDT, LIDT, INVD, WBINVD, RDMSR, WRMSR, HLT); any other exception, and
 * a #GP that is no such instruction, is delivered through the guest's
 * real-mode vector table, as are the interrupts and exceptions labvisor
 * injects (lv_vm86_enter()).  Setting CR0.PE leaves virtual-8086 mode: the
 * segments keep their selectors and bases, as the CPU's caches would, and
 * get protected-mode access rights (CS and SS with RPL 0); the far jump
 * that follows runs natively.
 *
 * Not done: segment bases that are not selector * 16 ("unreal" mode; the
 * BSP's reset CS), limits above 64 KiB, 32-bit addressing (0x67) in the
 * emulated instructions, MOV DR.  A guest that needs one fails with an
 * internal error, the host is not affected.
 */
#include <linux/mm.h>
#include <linux/sizes.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "../core/lv.h"
#include "exit.h"
#include "vmcs.h"
#include "vm86.h"

/* TSS: 104 bytes, the interrupt-redirection bitmap, the I/O bitmap, 0xff */
#define TSS_IOMAP_BASE		(104 + 32)
#define TSS_LIMIT		(TSS_IOMAP_BASE + 65536 / 8)
#define TSS_IOMAP_FIELD		0x66

#define AR_VM86			0xf3
#define AR_CODE16		0x9b
#define AR_DATA16		0x93
#define AR_TSS32_BUSY		0x8b

/* VMCS segment order: ES CS SS DS FS GS */
#define SEG_CS			1
#define SEG_SS			2
#define SEG_FIELD(f, i)		((f) + (i) * 2)

/**
 * lv_vm86_set_tss() - LV_SET_TSS_ADDR: where real-mode code keeps our TSS
 * @vm: a shadow VM
 * @gpa: page-aligned guest-physical address of LV_VM86_TSS_PAGES pages
 *
 * Return: 0, or -EINVAL (not a shadow VM, unaligned, above 4 GiB).
 */
long lv_vm86_set_tss(struct lv_vm *vm, unsigned long gpa)
{
	if (vm->mode != LV_VM_SHADOW) {
		lv_warn("LV_SET_TSS_ADDR: only shadow-paging VMs run real mode in virtual-8086 mode\n");
		return -EINVAL;
	}
	if (!gpa || (gpa & ~PAGE_MASK) ||
	    gpa > SZ_4G - LV_VM86_TSS_PAGES * PAGE_SIZE) {
		lv_warn("LV_SET_TSS_ADDR: 0x%lx: want a page-aligned address from 4 KiB to 4 GiB - %u pages\n",
			gpa, LV_VM86_TSS_PAGES);
		return -EINVAL;
	}
	WRITE_ONCE(vm->vm86_tss, gpa);
	return 0;
}

static void read_seg(unsigned int i, struct lv_vm86_seg *s)
{
	s->sel = lv_vmread(SEG_FIELD(GUEST_ES_SELECTOR, i));
	s->base = lv_vmread(SEG_FIELD(GUEST_ES_BASE, i));
	s->limit = lv_vmread(SEG_FIELD(GUEST_ES_LIMIT, i));
	s->ar = lv_vmread(SEG_FIELD(GUEST_ES_AR_BYTES, i));
}

static void write_seg(unsigned int i, const struct lv_vm86_seg *s)
{
	lv_vmwrite(SEG_FIELD(GUEST_ES_SELECTOR, i), s->sel);
	lv_vmwrite(SEG_FIELD(GUEST_ES_BASE, i), s->base);
	lv_vmwrite(SEG_FIELD(GUEST_ES_LIMIT, i), s->limit);
	lv_vmwrite(SEG_FIELD(GUEST_ES_AR_BYTES, i), s->ar);
}

/* the real-mode segment a load of @sel gives */
static void real_seg(unsigned int i, u16 sel, struct lv_vm86_seg *s)
{
	s->sel = sel;
	s->base = (u64)sel << 4;
	s->limit = 0xffff;
	s->ar = i == SEG_CS ? AR_CODE16 : AR_DATA16;
}

/**
 * lv_vm86_switch() - the guest's CR0.PE changed (lv_shadow_update())
 * @vcpu: the vCPU, VMCS current, in its real-mode view
 * @on: CR0.PE is now clear
 * @from_guest: the guest set PE itself: its segments become protected-mode
 *	segments with the selectors and bases it had
 */
void lv_vm86_switch(struct lv_vcpu *vcpu, bool on, bool from_guest)
{
	struct lv_vm86 *v = &vcpu->vm86;
	struct lv_vm86_seg s;
	unsigned int i;

	if (on == v->on)
		return;
	WARN_ON_ONCE(v->entered);
	v->on = on;
	v->tss_ready = false;
	if (on || !from_guest)
		return;
	/*
	 * VM entry wants CS and SS at the same RPL as their DPL (0), and data
	 * segments at a DPL not below their RPL: a real-mode selector may
	 * have any low bits, which only matter at its next load.
	 */
	for (i = 0; i < 6; i++) {
		read_seg(i, &s);
		if (i == SEG_CS || i == SEG_SS) {
			s.sel &= ~3;
			s.ar = i == SEG_CS ? AR_CODE16 : AR_DATA16;
		} else {
			s.ar = (s.sel & 3) ? AR_VM86 : AR_DATA16;
		}
		write_seg(i, &s);
	}
}

/* write our TSS into the guest's pages */
static int write_tss(struct lv_vcpu *vcpu, u64 gpa)
{
	const void *zero = page_address(ZERO_PAGE(0));
	u16 iomap = TSS_IOMAP_BASE;
	u8 end = 0xff;
	unsigned int i;

	for (i = 0; i < LV_VM86_TSS_PAGES; i++)
		if (lv_gpa_write(vcpu->vm, gpa + i * PAGE_SIZE, zero, PAGE_SIZE))
			return -EFAULT;
	if (lv_gpa_write(vcpu->vm, gpa + TSS_IOMAP_FIELD, &iomap, 2) ||
	    lv_gpa_write(vcpu->vm, gpa + TSS_LIMIT, &end, 1))
		return -EFAULT;
	return 0;
}

static int push16(struct lv_vcpu *vcpu, u64 ss_base, u16 *sp, u16 val)
{
	*sp -= 2;
	return lv_gpa_write(vcpu->vm, ss_base + *sp, &val, 2);
}

/*
 * Deliver the event VM_ENTRY_INTR_INFO_FIELD holds as a real-mode CPU
 * does: FLAGS, CS and IP onto the stack, CS:IP from the vector table,
 * IF, TF and AC cleared.  Real mode has no error codes.
 */
static int deliver(struct lv_vcpu *vcpu, u32 info)
{
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	unsigned int vector = info & INTR_INFO_VECTOR_MASK;
	u64 idt = lv_vmread(GUEST_IDTR_BASE), ss = lv_vmread(GUEST_SS_BASE);
	unsigned long rflags = lv_vmread(GUEST_RFLAGS);
	u64 rsp = lv_vmread(GUEST_RSP), rip = lv_vmread(GUEST_RIP);
	u16 sp = rsp, ivt[2];
	struct lv_vm86_seg cs;

	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		rip += lv_vmread(VM_ENTRY_INSTRUCTION_LEN);
	if (vector * 4 + 3 > lv_vmread(GUEST_IDTR_LIMIT) ||
	    lv_gpa_read(vcpu->vm, idt + vector * 4, ivt, sizeof(ivt)) ||
	    push16(vcpu, ss, &sp, rflags) ||
	    push16(vcpu, ss, &sp, lv_vmread(GUEST_CS_SELECTOR)) ||
	    push16(vcpu, ss, &sp, rip))
		return -EFAULT;
	lv_vmwrite(GUEST_RSP, (rsp & ~0xffffUL) | sp);
	lv_vmwrite(GUEST_RFLAGS, rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_TF |
					    X86_EFLAGS_AC | X86_EFLAGS_RF));
	read_seg(SEG_CS, &cs);
	cs.sel = ivt[1];
	cs.base = (u64)ivt[1] << 4;
	write_seg(SEG_CS, &cs);
	lv_vmwrite(GUEST_RIP, ivt[0]);
	lv_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		   lv_vmread(GUEST_INTERRUPTIBILITY_INFO) &
		   ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	return 0;
}

/**
 * lv_vm86_enter() - right before a VM entry in real mode: deliver the event
 *	to inject, then put the VMCS in virtual-8086 form
 * @vcpu: the vCPU, VMCS current, interrupts off
 *
 * Return: 0, or -EFAULT (no TSS pages, a stack or vector table outside
 * RAM) or -EINVAL (a segment virtual-8086 mode cannot hold): the VM fails
 * (lv_vm86_failed()).
 */
int lv_vm86_enter(struct lv_vcpu *vcpu)
{
	struct lv_vm86 *v = &vcpu->vm86;
	u64 tss = READ_ONCE(vcpu->vm->vm86_tss);
	u32 info = lv_vmread32(VM_ENTRY_INTR_INFO_FIELD);
	struct lv_vm86_seg s;
	unsigned long rflags;
	unsigned int i;

	if (!tss)
		return -EFAULT;
	if (!v->tss_ready || v->tss != tss) {
		if (write_tss(vcpu, tss))
			return -EFAULT;
		v->tss_ready = true;
		v->tss = tss;
	}
	if (info & INTR_INFO_VALID_MASK) {
		if (deliver(vcpu, info))
			return -EFAULT;
		lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	}
	for (i = 0; i < 6; i++) {
		read_seg(i, &v->seg[i]);
		if ((v->seg[i].base & 15) || v->seg[i].base > 0xffff0)
			return -EINVAL;
	}
	for (i = 0; i < 6; i++) {
		s.sel = v->seg[i].base >> 4;
		s.base = v->seg[i].base;
		s.limit = 0xffff;
		s.ar = AR_VM86;
		v->written[i] = s;
		write_seg(i, &s);
	}
	read_seg(7, &v->tr);
	s = (struct lv_vm86_seg){ .base = tss, .limit = TSS_LIMIT,
				  .ar = AR_TSS32_BUSY };
	write_seg(7, &s);
	rflags = lv_vmread(GUEST_RFLAGS);
	v->iopl = rflags & X86_EFLAGS_IOPL;
	lv_vmwrite(GUEST_RFLAGS, rflags | X86_EFLAGS_VM | X86_EFLAGS_IOPL);
	v->exception_bitmap = lv_vmread32(EXCEPTION_BITMAP);
	lv_vmwrite(EXCEPTION_BITMAP, ~0u);
	v->entered = true;
	return 0;
}

/**
 * lv_vm86_exit() - right after the VM exit (or a failed entry): back to
 *	the guest's real-mode view
 * @vcpu: the vCPU, VMCS current
 */
void lv_vm86_exit(struct lv_vcpu *vcpu)
{
	struct lv_vm86 *v = &vcpu->vm86;
	struct lv_vm86_seg s;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		read_seg(i, &s);
		/* unchanged: as it was; loaded by the guest: real-mode rules */
		if (s.sel == v->written[i].sel && s.base == v->written[i].base) {
			write_seg(i, &v->seg[i]);
		} else {
			real_seg(i, s.sel, &s);
			write_seg(i, &s);
		}
	}
	write_seg(7, &v->tr);
	lv_vmwrite(GUEST_RFLAGS, (lv_vmread(GUEST_RFLAGS) &
				  ~(X86_EFLAGS_VM | X86_EFLAGS_IOPL)) | v->iopl);
	lv_vmwrite(EXCEPTION_BITMAP, v->exception_bitmap);
	v->entered = false;
}

/**
 * lv_vm86_failed() - real-mode code cannot go on: fail the VM
 * @vcpu: the vCPU, VMCS current
 *
 * Return: 0 (an internal-error exit is filled in).
 */
int lv_vm86_failed(struct lv_vcpu *vcpu)
{
	if (!READ_ONCE(vcpu->vm->vm86_tss))
		lv_warn("vcpu %u: real-mode code on a shadow-paging VM needs LV_SET_TSS_ADDR\n",
			vcpu->id);
	else
		lv_warn("vcpu %u: real-mode code cannot run in virtual-8086 mode (a segment base that is not selector * 16, or a stack, vector table or TSS outside RAM)\n",
			vcpu->id);
	return lv_exit_internal_error(vcpu, LV_INTERNAL_EMULATION,
				      lv_vmread(GUEST_CS_BASE),
				      lv_vmread(GUEST_RIP));
}

/* deliver @vector through the real-mode vector table at the next entry */
static int reflect(struct lv_vcpu *vcpu, u32 type, unsigned int vector)
{
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		   INTR_INFO_VALID_MASK | type | vector);
	if (type == INTR_TYPE_SOFT_EXCEPTION)
		lv_vmwrite(VM_ENTRY_INSTRUCTION_LEN,
			   lv_vmread32(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

/* ---- the privileged instructions, decoded --------------------------------- */

struct insn16 {
	u8 b[15];
	unsigned int n, len;	/* bytes read, bytes used */
	bool op32;		/* 0x66 */
	int seg;		/* segment override, or -1 */
};

static int fetch(struct insn16 *in, u8 *byte)
{
	if (in->len >= in->n)
		return -EFAULT;
	*byte = in->b[in->len++];
	return 0;
}

/* the 16-bit effective address of a memory ModRM operand */
static int modrm_ea(struct lv_vcpu *vcpu, struct insn16 *in, u8 modrm,
		    u64 *linear)
{
	static const u8 base_reg[8] = { LV_RBX, LV_RBX, LV_RBP, LV_RBP,
					LV_RSI, LV_RDI, LV_RBP, LV_RBX };
	static const s8 index_reg[8] = { LV_RSI, LV_RDI, LV_RSI, LV_RDI,
					 -1, -1, -1, -1 };
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u16 ea = 0;
	u8 lo, hi;
	int seg;

	if (mod == 0 && rm == 6) {
		if (fetch(in, &lo) || fetch(in, &hi))
			return -EFAULT;
		ea = lo | hi << 8;
		seg = 3;				/* DS */
	} else {
		ea = vcpu->regs[base_reg[rm]];
		if (index_reg[rm] >= 0)
			ea += vcpu->regs[index_reg[rm]];
		seg = (rm == 2 || rm == 3 || rm == 6) ? SEG_SS : 3;
		if (mod == 1) {
			if (fetch(in, &lo))
				return -EFAULT;
			ea += (s8)lo;
		} else if (mod == 2) {
			if (fetch(in, &lo) || fetch(in, &hi))
				return -EFAULT;
			ea += lo | hi << 8;
		}
	}
	if (in->seg >= 0)
		seg = in->seg;
	*linear = lv_vmread(SEG_FIELD(GUEST_ES_BASE, seg)) + ea;
	return 0;
}

static u64 read_cr(struct lv_vcpu *vcpu, unsigned int cr)
{
	switch (cr) {
	case 0:
		return lv_vmread(CR0_READ_SHADOW);
	case 2:
		return vcpu->cr2;
	case 3:
		return lv_shadow_guest_cr3(vcpu);
	default:
		return lv_vmread(CR4_READ_SHADOW);
	}
}

static int write_cr(struct lv_vcpu *vcpu, unsigned int cr, u64 val)
{
	switch (cr) {
	case 0:
		return lv_vmcs_set_cr0(vcpu, val, false);
	case 2:
		vcpu->cr2 = val;
		return 0;
	case 3:
		return lv_shadow_set_cr3(vcpu, val, true);
	default:
		return lv_vmcs_set_cr4(vcpu, val, false);
	}
}

/* 0F xx: the two-byte privileged instructions */
static int emulate_0f(struct lv_vcpu *vcpu, struct insn16 *in)
{
	u64 linear, val, cr0 = lv_vmread(CR0_READ_SHADOW);
	u8 op, modrm, reg, rm;
	u16 limit;
	u32 base;

	if (fetch(in, &op))
		return -EFAULT;
	switch (op) {
	case 0x06:					/* CLTS */
		return lv_vmcs_set_cr0(vcpu, cr0 & ~X86_CR0_TS, false) ? 0 : 1;
	case 0x08:					/* INVD */
	case 0x09:					/* WBINVD */
		return 1;
	case 0x30:					/* WRMSR */
		return lv_msr_write(vcpu, vcpu->regs[LV_RCX],
				    (u32)vcpu->regs[LV_RAX] |
				    (vcpu->regs[LV_RDX] << 32)) ? 0 : 1;
	case 0x32:					/* RDMSR */
		if (lv_msr_read(vcpu, vcpu->regs[LV_RCX], &val))
			return 0;
		vcpu->regs[LV_RAX] = (u32)val;
		vcpu->regs[LV_RDX] = val >> 32;
		return 1;
	case 0x20:					/* MOV r32, CRn */
	case 0x22:					/* MOV CRn, r32 */
		if (fetch(in, &modrm))
			return -EFAULT;
		reg = (modrm >> 3) & 7;
		rm = modrm & 7;
		if (reg == 1 || reg > 4)
			return -EILSEQ;			/* #UD, as on hardware */
		if (op == 0x20) {
			lv_set_reg(vcpu, rm, (u32)read_cr(vcpu, reg));
			return 1;
		}
		return write_cr(vcpu, reg, (u32)lv_get_reg(vcpu, rm)) ? 0 : 1;
	case 0x01:
		if (fetch(in, &modrm))
			return -EFAULT;
		reg = (modrm >> 3) & 7;
		if (reg == 6) {				/* LMSW r/m16 */
			if ((modrm >> 6) == 3) {
				val = lv_get_reg(vcpu, modrm & 7);
			} else {
				if (modrm_ea(vcpu, in, modrm, &linear) ||
				    lv_gpa_read(vcpu->vm, linear, &limit, 2))
					return -EFAULT;
				val = limit;
			}
			/* the low four bits; PE can be set, not cleared */
			val = (cr0 & ~0xeULL) | (val & 0xf);
			return lv_vmcs_set_cr0(vcpu, val, false) ? 0 : 1;
		}
		if ((reg != 2 && reg != 3) || (modrm >> 6) == 3)
			return -EOPNOTSUPP;
		/* LGDT, LIDT m16&32: a 24-bit base without 0x66 */
		if (modrm_ea(vcpu, in, modrm, &linear) ||
		    lv_gpa_read(vcpu->vm, linear, &limit, 2) ||
		    lv_gpa_read(vcpu->vm, linear + 2, &base, 4))
			return -EFAULT;
		if (!in->op32)
			base &= 0xffffff;
		lv_vmwrite(reg == 2 ? GUEST_GDTR_BASE : GUEST_IDTR_BASE, base);
		lv_vmwrite(reg == 2 ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT, limit);
		return 1;
	case 0x21:					/* MOV DR */
	case 0x23:
		return -EOPNOTSUPP;
	}
	return -ENOENT;
}

/*
 * #GP in virtual-8086 mode: emulate the privileged instruction at CS:IP.
 * Returns 1 (emulated: step over it), 2 (HLT), 0 (the instruction faults
 * as it would in real mode: #GP delivered), -ENOENT (no privileged
 * instruction: a real #GP), -EILSEQ (#UD), or another errno (cannot
 * emulate: the VM fails).
 */
static int emulate(struct lv_vcpu *vcpu, struct insn16 *in)
{
	u8 op;

	for (;;) {
		if (fetch(in, &op))
			return -EFAULT;
		switch (op) {
		case 0x66:
			in->op32 = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			in->seg = (op >> 3) & 3;	/* ES CS SS DS */
			continue;
		case 0x64: case 0x65:
			in->seg = op - 0x64 + 4;	/* FS GS */
			continue;
		case 0x67:				/* 32-bit addressing */
			return -EOPNOTSUPP;
		}
		break;
	}
	if (op == 0xf4)					/* HLT */
		return 2;
	if (op == 0x0f)
		return emulate_0f(vcpu, in);
	return -ENOENT;
}

/**
 * lv_vm86_exception() - an exception exit in virtual-8086 mode
 * @vcpu: the vCPU, VMCS in its real-mode view
 * @info: VM_EXIT_INTR_INFO
 *
 * Return: 1 (resume), or 0 (to user space: LV_EXIT_HLT, or the VM fails).
 */
int lv_vm86_exception(struct lv_vcpu *vcpu, u32 info)
{
	unsigned int vector = info & INTR_INFO_VECTOR_MASK;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	struct insn16 in = { .seg = -1 };
	u64 linear;
	int ret;

	if (vector != X86_TRAP_GP || type != INTR_TYPE_HARD_EXCEPTION)
		return reflect(vcpu, type, vector);
	linear = lv_vmread(GUEST_CS_BASE) + (lv_vmread(GUEST_RIP) & 0xffff);
	for (in.n = 0; in.n < sizeof(in.b); in.n++)
		if (lv_gpa_read(vcpu->vm, linear + in.n, &in.b[in.n], 1))
			break;
	ret = emulate(vcpu, &in);
	if (ret == -EILSEQ)
		return reflect(vcpu, INTR_TYPE_HARD_EXCEPTION, X86_TRAP_UD);
	if (ret == -ENOENT)
		return reflect(vcpu, INTR_TYPE_HARD_EXCEPTION, X86_TRAP_GP);
	if (ret < 0) {
		lv_warn("vcpu %u: real mode: cannot emulate %*ph at 0x%llx (virtual-8086 mode)\n",
			vcpu->id, (int)min(in.n, 8u), in.b, linear);
		return lv_exit_internal_error(vcpu, LV_INTERNAL_EMULATION,
					      linear, in.b[0] | in.b[1] << 8);
	}
	if (ret == 0)
		return reflect(vcpu, INTR_TYPE_HARD_EXCEPTION, X86_TRAP_GP);
	lv_advance_rip(vcpu, in.len);
	if (ret == 2)
		return lv_halt(vcpu);
	return 1;
}
