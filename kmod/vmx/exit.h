/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_EXIT_H
#define LV_EXIT_H

#include <linux/types.h>

#include "vmx.h"

struct lv_vcpu;

int lv_exit_dispatch(struct lv_vcpu *vcpu, u16 reason);
int lv_exit_complete(struct lv_vcpu *vcpu);

/* shared by the handlers (exit.c, msr.c, cpuid.c, kmod/shadow) */
int lv_exit_internal_error(struct lv_vcpu *vcpu, u32 suberror, u64 a, u64 b);
int lv_exit_mmio(struct lv_vcpu *vcpu, u64 gpa, bool write);
int lv_skip_insn(struct lv_vcpu *vcpu);
void lv_inject_exception(struct lv_vcpu *vcpu, u8 vector, int error_code);
int lv_handle_cpuid(struct lv_vcpu *vcpu);
u64 lv_guest_xcr0_mask(void);
int lv_cpuid_init(void);
int lv_msr_read(struct lv_vcpu *vcpu, u32 msr, u64 *val);
int lv_msr_write(struct lv_vcpu *vcpu, u32 msr, u64 val);

/* irq.c: events into the guest */
void lv_irq_inject(struct lv_vcpu *vcpu);
bool lv_irq_ready_for_extint(struct lv_vcpu *vcpu);
void lv_irq_fill_run(struct lv_vcpu *vcpu);
bool lv_vcpu_has_events(struct lv_vcpu *vcpu);
bool lv_vcpu_process_events(struct lv_vcpu *vcpu);
int lv_handle_hlt(struct lv_vcpu *vcpu);
int lv_halt(struct lv_vcpu *vcpu);
int lv_handle_irq_window(struct lv_vcpu *vcpu);

/* run.c */
void lv_vmx_load_syscall_msrs(struct lv_vcpu *vcpu);
int lv_vmx_run_init(void);
void lv_vmx_run_exit(void);

#define LV_NO_ERROR_CODE	(-1)

/* a GPR by its encoding (RSP lives in the VMCS) */
static __always_inline unsigned long lv_get_reg(struct lv_vcpu *vcpu,
						unsigned int reg)
{
	return reg == LV_RSP ? lv_vmread(GUEST_RSP) : vcpu->regs[reg];
}

static __always_inline void lv_set_reg(struct lv_vcpu *vcpu, unsigned int reg,
				       unsigned long val)
{
	if (reg == LV_RSP)
		lv_vmwrite(GUEST_RSP, val);
	else
		vcpu->regs[reg] = val;
}

/* step over @len bytes of instruction, as completing it would */
static __always_inline unsigned long lv_rip_mask(void)
{
	u32 cs_ar = lv_vmread_nocheck(GUEST_CS_AR_BYTES);

	if (cs_ar & VMX_AR_L_MASK)
		return ~0UL;
	return (cs_ar & VMX_AR_DB_MASK) ? 0xffffffffUL : 0xffffUL;
}

/* the vCPU is loaded (its VMCS current): see lv_vmread_nocheck() */
static __always_inline void lv_advance_rip(struct lv_vcpu *vcpu, unsigned int len)
{
	unsigned long rip = lv_vmread_nocheck(GUEST_RIP);
	unsigned long next = rip + len;
	u32 intr = lv_vmread_nocheck(GUEST_INTERRUPTIBILITY_INFO);

	/*
	 * IP wraps at 64 KiB in 16-bit code and at 4 GiB in 32-bit code:
	 * only a step that changes bits above 15 can wrap, so only such a
	 * step needs the code segment's size.
	 */
	if (unlikely((next ^ rip) >> 16))
		next &= lv_rip_mask();
	lv_vmwrite_nocheck(GUEST_RIP, next);
	/* the instruction completed: no STI or MOV SS shadow remains */
	if (unlikely(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		lv_vmwrite_nocheck(GUEST_INTERRUPTIBILITY_INFO,
				   intr & ~(GUEST_INTR_STATE_STI |
					    GUEST_INTR_STATE_MOV_SS));
}

/**
 * lv_exit_fastpath() - handle an exit that needs no host work
 * @vcpu: the vCPU
 * @reason: full exit reason
 *
 * Runs with interrupts off, right after the exit; the caller re-enters the
 * guest at once.  Only exits whose handler touches nothing but the VMCS and
 * the vCPU, and never leaves to user space, qualify: CPUID, unless it is
 * forwarded to user space or an experiment hook wants every exit.  Inline:
 * the fast path is a path length.
 *
 * Return: the basic exit reason handled, a constant the caller's statistics
 * fold in, or 0 (EXIT_REASON_EXCEPTION_NMI: never fast) if not handled.
 */
static __always_inline u16 lv_exit_fastpath(struct lv_vcpu *vcpu, u32 reason)
{
	if (reason != EXIT_REASON_CPUID || !vcpu->cpuid_fastpath ||
	    static_branch_unlikely(&lv_hook_active))
		return 0;
	lv_handle_cpuid(vcpu);
	return EXIT_REASON_CPUID;
}

#endif /* LV_EXIT_H */
