// SPDX-License-Identifier: GPL-2.0
/*
 * VM exits: one table, indexed by basic exit reason.
 *
 * Each handler returns 1 to resume the guest, 0 when it has filled in the
 * run structure for user space, or a negative errno.  An exit without a
 * handler fails the VM loudly (internal-error exit and a state dump), never
 * the host.  What user space must answer (IN, MMIO reads, hypercalls) is
 * finished by lv_exit_complete() at the next LV_RUN.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/types.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "../core/hook.h"
#include "../core/lv.h"
#include "../virtio/eventfd.h"
#include "decode.h"
#include "exit.h"
#include "policy.h"
#include "vmcs.h"
#include "vmx.h"

typedef int (*lv_exit_handler_t)(struct lv_vcpu *vcpu);

/* ---- helpers ------------------------------------------------------------- */

/**
 * lv_skip_insn() - step over the instruction that caused the exit
 * @vcpu: the vCPU
 *
 * Return: 1 (resume), for handlers to return directly.
 */
int lv_skip_insn(struct lv_vcpu *vcpu)
{
	lv_advance_rip(vcpu, lv_vmread32(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

/**
 * lv_inject_exception() - deliver a hardware exception at the next entry
 * @vcpu: the vCPU
 * @vector: exception vector
 * @error_code: error code, or LV_NO_ERROR_CODE
 */
void lv_inject_exception(struct lv_vcpu *vcpu, u8 vector, int error_code)
{
	u32 info = INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | vector;

	/* in real mode there are no error codes */
	if (error_code != LV_NO_ERROR_CODE &&
	    (lv_vmread(CR0_READ_SHADOW) & X86_CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		lv_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

static int inject_gp(struct lv_vcpu *vcpu)
{
	lv_inject_exception(vcpu, X86_TRAP_GP, 0);
	return 1;
}

static int inject_ud(struct lv_vcpu *vcpu)
{
	lv_inject_exception(vcpu, X86_TRAP_UD, LV_NO_ERROR_CODE);
	return 1;
}

static unsigned int cpl(void)
{
	return (lv_vmread32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/* write @size bytes of @val to a register as a mov of that size would */
static void write_reg_sized(struct lv_vcpu *vcpu, unsigned int reg, bool high8,
			    unsigned int size, u64 val)
{
	unsigned long old = lv_get_reg(vcpu, reg);

	switch (size) {
	case 1:
		if (high8)
			val = (old & ~0xff00UL) | ((val & 0xff) << 8);
		else
			val = (old & ~0xffUL) | (val & 0xff);
		break;
	case 2:
		val = (old & ~0xffffUL) | (val & 0xffff);
		break;
	case 4:
		val &= 0xffffffff;	/* 32-bit writes zero-extend */
		break;
	}
	lv_set_reg(vcpu, reg, val);
}

static void dump_state(struct lv_vcpu *vcpu, const char *why)
{
	pr_warn_ratelimited("labvisor: vcpu %u: %s: rip 0x%lx rsp 0x%lx rflags 0x%lx cs 0x%x (ar 0x%x) cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%llx qual 0x%lx\n",
			    vcpu->id, why, lv_vmread(GUEST_RIP),
			    lv_vmread(GUEST_RSP), lv_vmread(GUEST_RFLAGS),
			    lv_vmread16(GUEST_CS_SELECTOR),
			    lv_vmread32(GUEST_CS_AR_BYTES),
			    lv_vmread(CR0_READ_SHADOW), lv_vmread(GUEST_CR3),
			    lv_vmread(CR4_READ_SHADOW), vcpu->efer,
			    lv_vmread(EXIT_QUALIFICATION));
}

static int internal_error(struct lv_vcpu *vcpu, u32 suberror, unsigned int n,
			  const u64 *data);

/**
 * lv_exit_internal_error() - fail the VM: an internal-error exit with a dump
 * @vcpu: the vCPU
 * @suberror: LV_INTERNAL_*
 * @a: first data word for user space
 * @b: second data word
 *
 * Return: 0 (the run structure is filled).
 */
int lv_exit_internal_error(struct lv_vcpu *vcpu, u32 suberror, u64 a, u64 b)
{
	dump_state(vcpu, "internal error");
	return internal_error(vcpu, suberror, 2, (u64[]){ a, b });
}

static int internal_error(struct lv_vcpu *vcpu, u32 suberror, unsigned int n,
			  const u64 *data)
{
	struct lv_run *run = vcpu->run;
	unsigned int i;

	run->exit_reason = LV_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = min_t(unsigned int, n, ARRAY_SIZE(run->internal.data));
	for (i = 0; i < run->internal.ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

/* ---- exceptions, interrupts, shutdown ---------------------------------- */

static int handle_exception_nmi(struct lv_vcpu *vcpu)
{
	u32 info = lv_vmread32(VM_EXIT_INTR_INFO);
	u64 data[2] = { EXIT_REASON_EXCEPTION_NMI, info };

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;	/* already given to the host (run.c) */
	if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_PF && lv_is_shadow(vcpu))
		return lv_shadow_page_fault(vcpu);
	if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC) {
		/* a machine check while the guest ran belongs to the host */
		asm volatile("int $0x12");
		return 1;
	}
	if (vcpu->vm86.on)
		return lv_vm86_exception(vcpu, info);
	dump_state(vcpu, "unexpected exception exit");
	return internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT, 2, data);
}

/*
 * An exit in the middle of delivering an event: deliver it again.  Every
 * exit is looked at, since our own injections (lv_irq_inject()) can be cut
 * short by any exit that happens during delivery.
 */
static void reinject_vectoring(void)
{
	u32 idt = lv_vmread32(IDT_VECTORING_INFO_FIELD);

	if (!(idt & VECTORING_INFO_VALID_MASK))
		return;
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, idt & ~INTR_INFO_RESVD_BITS_MASK);
	if (idt & VECTORING_INFO_DELIVER_CODE_MASK)
		lv_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
			   lv_vmread32(IDT_VECTORING_ERROR_CODE));
	lv_vmwrite(VM_ENTRY_INSTRUCTION_LEN,
		   lv_vmread32(VM_EXIT_INSTRUCTION_LEN));
}

static int handle_external_interrupt(struct lv_vcpu *vcpu)
{
	/* the host took it when run.c enabled interrupts */
	vcpu->l1d_flush = true;
	return 1;
}

static int handle_preemption_timer(struct lv_vcpu *vcpu)
{
	/* the backstop fired: the run loop looks for host work next */
	return 1;
}

static int handle_triple_fault(struct lv_vcpu *vcpu)
{
	vcpu->run->exit_reason = LV_EXIT_SHUTDOWN;
	return 0;
}

/* ---- instructions --------------------------------------------------------- */

static int handle_nop(struct lv_vcpu *vcpu)
{
	/* INVD must never run natively; WBINVD changes nothing visible */
	return lv_skip_insn(vcpu);
}

static int handle_vmcall(struct lv_vcpu *vcpu)
{
	unsigned long nr = vcpu->regs[LV_RAX];
	struct lv_run *run = vcpu->run;

	lv_skip_insn(vcpu);
	if (cpl() != 0) {
		vcpu->regs[LV_RAX] = -EPERM;
		return 1;
	}
	switch (nr) {
	case LV_HC_API_VERSION:
		vcpu->regs[LV_RAX] = LV_API_VERSION;
		return 1;
	case LV_HC_USER:
		run->exit_reason = LV_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = vcpu->regs[LV_RBX];
		run->hypercall.args[1] = vcpu->regs[LV_RCX];
		run->hypercall.args[2] = vcpu->regs[LV_RDX];
		run->hypercall.args[3] = vcpu->regs[LV_RSI];
		run->hypercall.ret = 0;
		vcpu->pending = LV_PENDING_HYPERCALL;
		return 0;
	}
	vcpu->regs[LV_RAX] = LV_HC_ENOSYS;
	return 1;
}

static int handle_cr(struct lv_vcpu *vcpu)
{
	unsigned long qual = lv_vmread(EXIT_QUALIFICATION);
	unsigned int cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	u64 cr0 = lv_vmread(CR0_READ_SHADOW);
	unsigned long val;
	int err = 0;

	switch (type) {
	case 0:		/* MOV to CR */
		val = lv_get_reg(vcpu, reg);
		if (!(lv_vmread32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
			val &= 0xffffffff;
		if (cr == 3 && lv_is_shadow(vcpu))
			err = lv_shadow_set_cr3(vcpu, val, true);
		else if (cr == 0)
			err = lv_vmcs_set_cr0(vcpu, val, false);
		else if (cr == 4)
			err = lv_vmcs_set_cr4(vcpu, val, false);
		else if (cr == 8 && !(val & ~0xfUL))
			lv_lapic_set_tpr(&vcpu->lapic, val);
		else if (cr == 8)
			err = -EINVAL;
		else if (cr == 3)
			goto cr3;
		else
			goto unexpected;
		break;
	case 1:		/* MOV from CR */
		if (cr == 3 && lv_is_shadow(vcpu))
			lv_set_reg(vcpu, reg, lv_shadow_guest_cr3(vcpu));
		else if (cr == 3)
			goto cr3;
		else if (cr == 8)
			lv_set_reg(vcpu, reg, lv_lapic_get_tpr(&vcpu->lapic));
		else
			goto unexpected;
		break;
	case 2:		/* CLTS */
		err = lv_vmcs_set_cr0(vcpu, cr0 & ~X86_CR0_TS, false);
		break;
	case 3:		/* LMSW: sets PE but never clears it */
		val = (qual >> 16) & 0xf;
		err = lv_vmcs_set_cr0(vcpu, (cr0 & ~0xeUL) | val, false);
		break;
	}
	if (err)
		return inject_gp(vcpu);
	return lv_skip_insn(vcpu);

cr3:	/* an exit policy asked for CR3 exits */
	return lv_emulate_cr3(vcpu, type == 0, reg);

unexpected:
	dump_state(vcpu, "unexpected CR access");
	return internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT, 1, (u64[]){ qual });
}

/*
 * MOV DR is emulated against software copies: the guest's breakpoints are
 * never armed in the hardware (DR0-3 hold the host's), so they do not fire.
 */
static int handle_dr(struct lv_vcpu *vcpu)
{
	unsigned long qual = lv_vmread(EXIT_QUALIFICATION);
	unsigned int dr = qual & 7, reg = (qual >> 8) & 15;
	bool from_dr = qual & BIT(4);
	unsigned long val;

	if (dr == 4 || dr == 5) {
		if (lv_vmread(CR4_READ_SHADOW) & X86_CR4_DE)
			return inject_ud(vcpu);
		dr += 2;	/* aliases of DR6 and DR7 */
	}
	if (from_dr) {
		if (dr < 4)
			val = vcpu->dr[dr];
		else if (dr == 6)
			val = vcpu->dr[LV_DR6] | LV_DR6_FIXED_1;
		else
			val = vcpu->dr[LV_DR7] | LV_DR7_FIXED_1;
		lv_set_reg(vcpu, reg, val);
	} else {
		val = lv_get_reg(vcpu, reg);
		if (dr >= 6 && (val >> 32))
			return inject_gp(vcpu);
		vcpu->dr[dr < 4 ? dr : dr == 6 ? LV_DR6 : LV_DR7] = val;
	}
	return lv_skip_insn(vcpu);
}

static int handle_rdmsr(struct lv_vcpu *vcpu)
{
	u32 msr = vcpu->regs[LV_RCX];
	u64 val;

	if (lv_msr_read(vcpu, msr, &val)) {
		lv_warn("vcpu %u: RDMSR 0x%x: #GP\n", vcpu->id, msr);
		return inject_gp(vcpu);
	}
	vcpu->regs[LV_RAX] = (u32)val;
	vcpu->regs[LV_RDX] = val >> 32;
	return lv_skip_insn(vcpu);
}

static int handle_wrmsr(struct lv_vcpu *vcpu)
{
	u32 msr = vcpu->regs[LV_RCX];
	u64 val = (u32)vcpu->regs[LV_RAX] | ((u64)(u32)vcpu->regs[LV_RDX] << 32);

	if (lv_msr_write(vcpu, msr, val)) {
		lv_warn("vcpu %u: WRMSR 0x%x = 0x%llx: #GP\n", vcpu->id, msr, val);
		return inject_gp(vcpu);
	}
	return lv_skip_insn(vcpu);
}

static int handle_xsetbv(struct lv_vcpu *vcpu)
{
	u64 val = (u32)vcpu->regs[LV_RAX] | ((u64)(u32)vcpu->regs[LV_RDX] << 32);

	if ((u32)vcpu->regs[LV_RCX] != 0 || cpl() != 0 ||
	    !(val & XFEATURE_MASK_FP) || (val & ~lv_guest_xcr0_mask()) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE)))
		return inject_gp(vcpu);
	vcpu->xcr0 = val;
	return lv_skip_insn(vcpu);
}

/* ---- port I/O ------------------------------------------------------------- */

static unsigned int addr_size_of_insn(void)
{
	u32 cs_ar = lv_vmread32(GUEST_CS_AR_BYTES);

	if (lv_vmx.has_ins_outs_info)
		return 2 << ((lv_vmread32(VMX_INSTRUCTION_INFO) >> 7) & 7);
	return (cs_ar & VMX_AR_L_MASK) ? 8 : (cs_ar & VMX_AR_DB_MASK) ? 4 : 2;
}

static unsigned long addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0UL : (1UL << (8 * addr_size)) - 1;
}

/* update RSI/RDI and RCX after @n elements, as the CPU would */
static void string_advance(struct lv_vcpu *vcpu, unsigned int index_reg,
			   unsigned int n, unsigned int size, bool down,
			   bool rep, unsigned int addr_size)
{
	unsigned long mask = addr_mask(addr_size);
	unsigned long idx = vcpu->regs[index_reg];
	unsigned long delta = (unsigned long)n * size;

	idx = down ? idx - delta : idx + delta;
	vcpu->regs[index_reg] = addr_size == 8 ? idx :
		addr_size == 4 ? (idx & mask) :
		(vcpu->regs[index_reg] & ~mask) | (idx & mask);
	if (rep) {
		unsigned long rcx = (vcpu->regs[LV_RCX] & mask) - n;

		vcpu->regs[LV_RCX] = addr_size == 4 ? (rcx & mask) :
			(vcpu->regs[LV_RCX] & ~mask) | (rcx & mask);
	}
}

static int page_fault(struct lv_vcpu *vcpu, u64 gva, u32 error)
{
	vcpu->cr2 = gva;
	lv_inject_exception(vcpu, X86_TRAP_PF, error);
	return 1;
}

static int handle_io(struct lv_vcpu *vcpu)
{
	unsigned long qual = lv_vmread(EXIT_QUALIFICATION);
	unsigned int size = (qual & 7) + 1, port = qual >> 16;
	bool in = qual & BIT(3), string = qual & BIT(4), rep = qual & BIT(5);
	struct lv_run *run = vcpu->run;
	u8 *data = (u8 *)run + LV_RUN_IO_DATA_OFFSET;
	unsigned int len = lv_vmread32(VM_EXIT_INSTRUCTION_LEN);
	unsigned int addr_size, n, i, access;
	struct lv_paging pg;
	unsigned long count;
	u64 gva, fault;
	bool down;
	u32 pf;

	run->exit_reason = LV_EXIT_IO;
	run->io.direction = in ? LV_IO_IN : LV_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = LV_RUN_IO_DATA_OFFSET;

	if (!string) {
		if (in) {
			vcpu->pending = LV_PENDING_IO_IN;
			vcpu->pend.size = size;
			vcpu->pend.len = len;
		} else {
			u64 val = vcpu->regs[LV_RAX];

			memcpy(data, &val, size);
			lv_advance_rip(vcpu, len);
			if (lv_ioeventfd_write(vcpu->vm, port, size, &val, true))
				return 1;
		}
		return 0;
	}

	addr_size = addr_size_of_insn();
	count = rep ? vcpu->regs[LV_RCX] & addr_mask(addr_size) : 1;
	if (!count)
		return lv_skip_insn(vcpu);
	down = lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_DF;
	n = down ? 1 : min_t(unsigned long, count, LV_RUN_IO_DATA_MAX / size);
	gva = lv_vmread(GUEST_LINEAR_ADDRESS);
	access = (in ? LV_WALK_WRITE : 0) | (cpl() == 3 ? LV_WALK_USER : 0);
	lv_vmcs_paging(vcpu, &pg);
	run->io.count = n;

	if (in) {
		vcpu->pending = LV_PENDING_STRING_IN;
		vcpu->pend.gva = gva;
		vcpu->pend.count = n;
		vcpu->pend.size = size;
		vcpu->pend.down = down;
		vcpu->pend.addr_size = addr_size;
		vcpu->pend.rep = rep;
		vcpu->pend.len = len;
		/* fail now, not after user space did the I/O */
		if (lv_gva_to_gpa(vcpu->vm, &pg, gva, access, &fault, &pf)) {
			vcpu->pending = LV_PENDING_NONE;
			return page_fault(vcpu, gva, pf);
		}
		return 0;
	}

	for (i = 0; i < n; i++) {
		u64 at = down ? gva - (u64)i * size : gva + (u64)i * size;

		if (lv_gva_read(vcpu->vm, &pg, at, data + i * size, size, access,
				&fault, &pf)) {
			if (i == 0)
				return page_fault(vcpu, fault, pf);
			n = i;		/* the fault comes when the CPU retries */
			break;
		}
	}
	run->io.count = n;
	string_advance(vcpu, LV_RSI, n, size, down, rep, addr_size);
	if (!rep || !(vcpu->regs[LV_RCX] & addr_mask(addr_size)))
		lv_advance_rip(vcpu, len);
	return 0;
}

static int complete_string_in(struct lv_vcpu *vcpu)
{
	const u8 *data = (u8 *)vcpu->run + LV_RUN_IO_DATA_OFFSET;
	unsigned int size = vcpu->pend.size, n = vcpu->pend.count, i;
	unsigned int addr_size = vcpu->pend.addr_size;
	bool rep = vcpu->pend.rep;
	struct lv_paging pg;
	u64 fault;
	u32 pf;

	lv_vmcs_paging(vcpu, &pg);
	for (i = 0; i < n; i++) {
		u64 at = vcpu->pend.down ? vcpu->pend.gva - (u64)i * size :
			 vcpu->pend.gva + (u64)i * size;

		if (lv_gva_write(vcpu->vm, &pg, at, data + i * size, size,
				 LV_WALK_WRITE, &fault, &pf)) {
			if (i == 0)
				return page_fault(vcpu, fault, pf);
			n = i;
			break;
		}
	}
	string_advance(vcpu, LV_RDI, n, size, vcpu->pend.down, rep, addr_size);
	if (!rep || !(vcpu->regs[LV_RCX] & addr_mask(addr_size)))
		lv_advance_rip(vcpu, vcpu->pend.len);
	return 1;
}

/* ---- MMIO ---------------------------------------------------------------------- */

static unsigned int code_size(struct lv_vcpu *vcpu)
{
	u32 cs_ar = lv_vmread32(GUEST_CS_AR_BYTES);

	if ((cs_ar & VMX_AR_L_MASK) && (vcpu->efer & EFER_LMA))
		return 8;
	return (cs_ar & VMX_AR_DB_MASK) ? 4 : 2;
}

static int fetch_insn(struct lv_vcpu *vcpu, u8 *buf, unsigned int *avail)
{
	unsigned int mode = code_size(vcpu);
	u64 rip = lv_vmread(GUEST_RIP);
	u64 linear = mode == 8 ? rip : (lv_vmread(GUEST_CS_BASE) + rip) & 0xffffffff;
	unsigned int in_page = PAGE_SIZE - (linear & ~PAGE_MASK);
	struct lv_paging pg;
	u64 fault;
	u32 pf;

	lv_vmcs_paging(vcpu, &pg);
	*avail = LV_INSN_MAX_LEN;
	if (!lv_gva_read(vcpu->vm, &pg, linear, buf, *avail, LV_WALK_FETCH,
			 &fault, &pf))
		return 0;
	/* the next page may be unmapped: what fits in this one may do */
	if (in_page >= LV_INSN_MAX_LEN)
		return -EFAULT;
	*avail = in_page;
	return lv_gva_read(vcpu->vm, &pg, linear, buf, *avail, LV_WALK_FETCH,
			   &fault, &pf);
}

static int finish_mmio_read(struct lv_vcpu *vcpu, u64 val);
static int mmio_access(struct lv_vcpu *vcpu, u64 gpa, unsigned long qual,
		       bool fetch, bool write);

/* what finish_mmio_read() needs of the decoded instruction */
static void pend_mmio_read(struct lv_vcpu *vcpu, const struct lv_mmio_insn *insn)
{
	vcpu->pend.size = insn->size;
	vcpu->pend.reg = insn->reg;
	vcpu->pend.dst_size = insn->dst_size;
	vcpu->pend.extend = insn->extend;
	vcpu->pend.high8 = insn->high8;
	vcpu->pend.len = insn->len;
}

/* the xAPIC page of this vCPU's local APIC (never backed by a slot) */
static bool lapic_page(struct lv_vcpu *vcpu, u64 gpa)
{
	u64 base = vcpu->apic_base;

	return (base & MSR_IA32_APICBASE_ENABLE) && !(base & X2APIC_ENABLE) &&
	       (gpa & PAGE_MASK) == (base & MSR_IA32_APICBASE_BASE);
}

static int handle_ept_violation(struct lv_vcpu *vcpu)
{
	unsigned long qual = lv_vmread(EXIT_QUALIFICATION);
	u64 gpa = lv_vmread64(GUEST_PHYSICAL_ADDRESS);

	return mmio_access(vcpu, gpa, qual, qual & EPT_VIOLATION_ACC_INSTR,
			   qual & EPT_VIOLATION_ACC_WRITE);
}

/**
 * lv_exit_mmio() - emulate an access to memory no slot backs
 * @vcpu: the vCPU
 * @gpa: the guest physical address accessed
 * @write: the access was a write
 *
 * For the shadow MMU, which finds such accesses through page faults.
 *
 * Return: 1 to resume, 0 with the run structure filled.
 */
int lv_exit_mmio(struct lv_vcpu *vcpu, u64 gpa, bool write)
{
	u32 info = lv_vmread32(VM_EXIT_INTR_ERROR_CODE);

	return mmio_access(vcpu, gpa, info, info & BIT(4), write);
}

static int mmio_access(struct lv_vcpu *vcpu, u64 gpa, unsigned long qual,
		       bool fetch, bool write)
{
	struct lv_run *run = vcpu->run;
	struct lv_mmio_insn insn;
	u8 bytes[LV_INSN_MAX_LEN] = { 0 };
	unsigned int avail;
	u64 data[4] = { gpa, qual };
	u64 val = 0;

	if (fetch ||
	    (lv_vmread32(IDT_VECTORING_INFO_FIELD) & VECTORING_INFO_VALID_MASK)) {
		dump_state(vcpu, "instruction fetch or event delivery from unbacked memory");
		return internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT, 2, data);
	}
	if (fetch_insn(vcpu, bytes, &avail)) {
		dump_state(vcpu, "cannot read the instruction accessing MMIO");
		return internal_error(vcpu, LV_INTERNAL_GUEST_MEMORY, 1,
				      (u64[]){ lv_vmread(GUEST_RIP) });
	}
	memcpy(&data[1], bytes, 8);
	memcpy(&data[2], bytes + 8, 7);
	if (lv_decode_mmio(bytes, avail, code_size(vcpu), &insn) ||
	    insn.is_write != write) {
		lv_warn("vcpu %u: cannot emulate the MMIO access at gpa 0x%llx (%*ph)\n",
			vcpu->id, gpa, 8, bytes);
		return internal_error(vcpu, LV_INTERNAL_EMULATION, 3, data);
	}

	if (insn.is_write) {
		if (insn.has_imm)
			val = insn.imm;
		else if (insn.high8)
			val = lv_get_reg(vcpu, insn.reg) >> 8;
		else
			val = lv_get_reg(vcpu, insn.reg);
	}
	if (lapic_page(vcpu, gpa)) {
		lv_lapic_mmio(&vcpu->lapic, gpa & ~PAGE_MASK, &val, insn.size,
			      insn.is_write);
		if (insn.is_write) {
			lv_advance_rip(vcpu, insn.len);
			return 1;
		}
		pend_mmio_read(vcpu, &insn);
		return finish_mmio_read(vcpu, val);
	}

	/* RAM an experiment hook write-protected: perform the write */
	if (insn.is_write && unlikely(READ_ONCE(vcpu->vm->nr_wp)) &&
	    lv_hook_protected(vcpu, gpa, insn.size) &&
	    !lv_gpa_write(vcpu->vm, gpa, &val, insn.size)) {
		lv_advance_rip(vcpu, insn.len);
		return 1;
	}

	run->exit_reason = LV_EXIT_MMIO;
	run->mmio.gpa = gpa;
	run->mmio.len = insn.size;
	run->mmio.is_write = insn.is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (insn.is_write) {
		memcpy(run->mmio.data, &val, insn.size);
		lv_advance_rip(vcpu, insn.len);
		if (lv_ioeventfd_write(vcpu->vm, gpa, insn.size, &val, false))
			return 1;
		return 0;
	}
	vcpu->pending = LV_PENDING_MMIO_READ;
	pend_mmio_read(vcpu, &insn);
	return 0;
}

/* an MMIO read's @val (vcpu->pend.size bytes) into its register, then skip */
static int finish_mmio_read(struct lv_vcpu *vcpu, u64 val)
{
	unsigned int size = vcpu->pend.size;

	val &= size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	if (vcpu->pend.extend == LV_EXT_SIGN) {
		unsigned int shift = 64 - 8 * size;

		val = (u64)((s64)(val << shift) >> shift);
	}
	write_reg_sized(vcpu, vcpu->pend.reg, vcpu->pend.high8,
			vcpu->pend.dst_size, val);
	lv_advance_rip(vcpu, vcpu->pend.len);
	return 1;
}

static int complete_mmio_read(struct lv_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, vcpu->pend.size);
	return finish_mmio_read(vcpu, val);
}

static int handle_ept_misconfig(struct lv_vcpu *vcpu)
{
	u64 gpa = lv_vmread64(GUEST_PHYSICAL_ADDRESS);

	dump_state(vcpu, "EPT misconfiguration");
	return internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT, 2,
			      (u64[]){ EXIT_REASON_EPT_MISCONFIG, gpa });
}

/* ---- shadow paging (kmod/shadow) ------------------------------------------- */

static int handle_invlpg(struct lv_vcpu *vcpu)
{
	/* EPT VMs: only when an exit policy turns INVLPG exits on */
	if (!lv_is_shadow(vcpu))
		return lv_handle_invlpg(vcpu);
	return lv_shadow_invlpg(vcpu);
}

/* ---- the table -------------------------------------------------------------- */

static const lv_exit_handler_t lv_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= lv_handle_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= lv_handle_irq_window,
	[EXIT_REASON_CPUID]			= lv_handle_cpuid,
	[EXIT_REASON_HLT]			= lv_handle_hlt,
	[EXIT_REASON_INVD]			= handle_nop,
	[EXIT_REASON_RDPMC]			= inject_gp,
	[EXIT_REASON_VMCALL]			= handle_vmcall,
	[EXIT_REASON_VMCLEAR]			= inject_ud,
	[EXIT_REASON_VMLAUNCH]			= inject_ud,
	[EXIT_REASON_VMPTRLD]			= inject_ud,
	[EXIT_REASON_VMPTRST]			= inject_ud,
	[EXIT_REASON_VMREAD]			= inject_ud,
	[EXIT_REASON_VMRESUME]			= inject_ud,
	[EXIT_REASON_VMWRITE]			= inject_ud,
	[EXIT_REASON_VMOFF]			= inject_ud,
	[EXIT_REASON_VMON]			= inject_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_INVLPG]			= handle_invlpg,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= inject_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= inject_ud,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= handle_ept_misconfig,
	[EXIT_REASON_INVEPT]			= inject_ud,
	[EXIT_REASON_INVVPID]			= inject_ud,
	[EXIT_REASON_WBINVD]			= handle_nop,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
	[EXIT_REASON_VMFUNC]			= inject_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_preemption_timer,
	/* only when an exit policy turns them on (policy-exits.c) */
	[EXIT_REASON_RDTSC]			= lv_handle_rdtsc,
	[EXIT_REASON_PAUSE_INSTRUCTION]		= lv_handle_pause,
	[EXIT_REASON_GDTR_IDTR]			= lv_handle_desc_table,
	[EXIT_REASON_LDTR_TR]			= lv_handle_desc_table,
	[11 /* GETSEC: SMX is hidden */]	= inject_ud,
};

static int handle_exit(struct lv_vcpu *vcpu, u16 reason);

/**
 * lv_exit_dispatch() - handle one VM exit
 * @vcpu: the vCPU
 * @reason: basic exit reason
 *
 * Return: 1 to resume the guest, 0 to return to user space, or -errno.
 */
int lv_exit_dispatch(struct lv_vcpu *vcpu, u16 reason)
{
	vcpu->run->hw_exit_reason = reason;
	reinject_vectoring();
	if (static_branch_unlikely(&lv_hook_active) &&
	    lv_hook_call_exit(vcpu, reason) == LV_HOOK_HANDLED)
		return 1;
	if (unlikely(vcpu->forward[0] | vcpu->forward[1]) && reason < 128 &&
	    (vcpu->forward[reason / 64] & BIT_ULL(reason % 64)))
		return lv_forward_exit(vcpu, reason);
	return handle_exit(vcpu, reason);
}

/* the handler of @reason (exit information fields of that exit current) */
static int handle_exit(struct lv_vcpu *vcpu, u16 reason)
{
	/* the hottest exits by direct call: an indirect one costs a retpoline */
	if (reason == EXIT_REASON_CPUID)
		return lv_handle_cpuid(vcpu);
	if (reason == EXIT_REASON_IO_INSTRUCTION)
		return handle_io(vcpu);
	if (likely(reason < ARRAY_SIZE(lv_exit_handlers) &&
		   lv_exit_handlers[reason]))
		return lv_exit_handlers[reason](vcpu);

	dump_state(vcpu, "unhandled exit");
	return internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT, 2,
			      (u64[]){ reason, lv_vmread(EXIT_QUALIFICATION) });
}

/**
 * lv_exit_complete() - finish what the last exit to user space left open
 * @vcpu: the vCPU, VMCS current
 *
 * Return: 1 to enter the guest.
 */
int lv_exit_complete(struct lv_vcpu *vcpu)
{
	enum lv_pending pending = vcpu->pending;
	u64 val = 0;

	vcpu->pending = LV_PENDING_NONE;
	switch (pending) {
	case LV_PENDING_NONE:
		return 1;
	case LV_PENDING_IO_IN:
		memcpy(&val, (u8 *)vcpu->run + LV_RUN_IO_DATA_OFFSET, vcpu->pend.size);
		write_reg_sized(vcpu, LV_RAX, false, vcpu->pend.size, val);
		lv_advance_rip(vcpu, vcpu->pend.len);
		return 1;
	case LV_PENDING_STRING_IN:
		return complete_string_in(vcpu);
	case LV_PENDING_MMIO_READ:
		return complete_mmio_read(vcpu);
	case LV_PENDING_HYPERCALL:
		vcpu->regs[LV_RAX] = vcpu->run->hypercall.ret;
		return 1;
	case LV_PENDING_FORWARDED:
		if (vcpu->run->vmx.action == LV_VMX_RESUME)
			return 1;
		if (vcpu->run->vmx.action == LV_VMX_HANDLE)
			return handle_exit(vcpu, vcpu->pend.reason);
		lv_warn("vcpu %u: LV_RUN: unknown vmx.action %u for a forwarded exit\n",
			vcpu->id, vcpu->run->vmx.action);
		vcpu->pending = LV_PENDING_FORWARDED;
		return -EINVAL;
	}
	return 1;
}
