// SPDX-License-Identifier: GPL-2.0
/*
 * Events into the guest: external interrupts from the local APIC (or from
 * a user-space PIC through LV_INTERRUPT), NMIs, INIT and SIPI, and the
 * vCPU states they move between (runnable, halted, waiting for SIPI).
 *
 * Injection happens right before VM entry with host interrupts off
 * (lv_irq_inject()).  What cannot be injected yet -- the guest has IF=0,
 * an STI or MOV SS shadow, NMIs blocked, or an event is already being
 * delivered -- arms interrupt-window or NMI-window exiting, and the exit
 * that follows brings us back here.
 */
#include <linux/sched.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "../core/lv.h"
#include "exit.h"
#include "vmcs.h"
#include "vmx.h"

#define BLOCKED_BY_SHADOW	(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

static void set_proc_ctl(struct lv_vcpu *vcpu, u32 bits, bool on)
{
	u32 ctl = on ? vcpu->proc_ctl | bits : vcpu->proc_ctl & ~bits;

	if (ctl != vcpu->proc_ctl) {
		vcpu->proc_ctl = ctl;
		lv_vmwrite(CPU_BASED_VM_EXEC_CONTROL, ctl);
	}
}

static bool has_vnmi(void)
{
	return lv_vmx.pin & PIN_BASED_VIRTUAL_NMIS;
}

/* an external interrupt is waiting: ExtINT from user space or the APIC */
static int pending_interrupt(struct lv_vcpu *vcpu, bool *extint)
{
	*extint = vcpu->extint >= 0;
	if (*extint)
		return vcpu->extint;
	return lv_lapic_pending_vector(&vcpu->lapic);
}

/**
 * lv_irq_inject() - put the next event into the VM-entry fields
 * @vcpu: the vCPU, VMCS current, host interrupts off
 */
void lv_irq_inject(struct lv_vcpu *vcpu)
{
	u32 shadow, info;
	bool nmi, irq_window = false, nmi_window = false, extint;
	int vec;

	/* the common case: nothing to inject, no window armed */
	if (likely(!READ_ONCE(vcpu->events) && vcpu->extint < 0 &&
		   !READ_ONCE(vcpu->lapic.irr_pending) &&
		   !vcpu->run->request_interrupt_window &&
		   !(vcpu->proc_ctl & (CPU_BASED_INTR_WINDOW_EXITING |
				       CPU_BASED_NMI_WINDOW_EXITING))))
		return;

	info = lv_vmread32(VM_ENTRY_INTR_INFO_FIELD);
	nmi = test_bit(LV_EV_NMI, &vcpu->events);
	vec = pending_interrupt(vcpu, &extint);

	if (info & INTR_INFO_VALID_MASK) {
		/* an exception or a re-injection goes first */
		irq_window = vec >= 0;
		nmi_window = nmi;
		goto out;
	}
	shadow = lv_vmread32(GUEST_INTERRUPTIBILITY_INFO);
	if (nmi) {
		if (!(shadow & (BLOCKED_BY_SHADOW | GUEST_INTR_STATE_NMI))) {
			clear_bit(LV_EV_NMI, &vcpu->events);
			lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID_MASK |
				   INTR_TYPE_NMI_INTR | X86_TRAP_NMI);
			irq_window = vec >= 0;
			goto out;
		}
		nmi_window = true;
	}
	if (vec < 0)
		goto out;
	if (!(lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) ||
	    (shadow & BLOCKED_BY_SHADOW)) {
		irq_window = true;
		goto out;
	}
	if (extint)
		vcpu->extint = -1;
	else
		lv_lapic_ack(&vcpu->lapic, vec);
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID_MASK |
		   INTR_TYPE_EXT_INTR | vec);
	/* another one may be right behind it */
	irq_window = lv_lapic_pending_vector(&vcpu->lapic) >= 0;
out:
	if (vcpu->run->request_interrupt_window)
		irq_window = true;
	set_proc_ctl(vcpu, CPU_BASED_INTR_WINDOW_EXITING, irq_window);
	if (has_vnmi())
		set_proc_ctl(vcpu, CPU_BASED_NMI_WINDOW_EXITING, nmi_window);
}

/**
 * lv_irq_ready_for_extint() - could LV_INTERRUPT be injected now?
 * @vcpu: the vCPU, VMCS current
 *
 * Return: true when the guest takes interrupts, none is being delivered
 * or waiting, and the APIC lets the PIC's INTR through.
 */
bool lv_irq_ready_for_extint(struct lv_vcpu *vcpu)
{
	return (lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(lv_vmread32(GUEST_INTERRUPTIBILITY_INFO) & BLOCKED_BY_SHADOW) &&
	       vcpu->extint < 0 &&
	       lv_lapic_pending_vector(&vcpu->lapic) < 0 &&
	       lv_lapic_accepts_extint(&vcpu->lapic);
}

/**
 * lv_irq_fill_run() - the interrupt fields of the run page, before a return
 *	to user space
 * @vcpu: the vCPU, VMCS current
 */
void lv_irq_fill_run(struct lv_vcpu *vcpu)
{
	struct lv_run *run = vcpu->run;

	run->if_flag = !!(lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = lv_irq_ready_for_extint(vcpu);
}

/**
 * lv_vcpu_has_events() - should a sleeping vCPU wake up?
 * @vcpu: the vCPU (any CPU: reads no VMCS)
 *
 * Return: true when INIT, a SIPI it waits for, an NMI, or (with IF=1 at
 * HLT) an interrupt it can take is pending.
 */
bool lv_vcpu_has_events(struct lv_vcpu *vcpu)
{
	if (test_bit(LV_EV_INIT, &vcpu->events))
		return true;
	switch (READ_ONCE(vcpu->mp_state)) {
	case LV_MP_RUNNABLE:
		return true;
	case LV_MP_WAIT_SIPI:
		return test_bit(LV_EV_SIPI, &vcpu->events);
	case LV_MP_HALTED:
		if (test_bit(LV_EV_NMI, &vcpu->events))
			return true;
		return vcpu->halt_if &&
		       (READ_ONCE(vcpu->extint) >= 0 ||
			lv_lapic_pending_vector(&vcpu->lapic) >= 0);
	}
	return false;
}

/*
 * INIT: the state of SDM table 10-1 (9-1).  An AP then waits for SIPI; the
 * BSP starts over at the reset vector (a guest without firmware there
 * fails, as it would on hardware).
 */
static void do_init(struct lv_vcpu *vcpu)
{
	clear_bit(LV_EV_SIPI, &vcpu->events);
	clear_bit(LV_EV_NMI, &vcpu->events);
	vcpu->extint = -1;
	lv_vmcs_init_state(vcpu);
	lv_lapic_reset(&vcpu->lapic);
	if (vcpu->apic_base & MSR_IA32_APICBASE_BSP) {
		lv_vmwrite(GUEST_CS_SELECTOR, 0xf000);
		lv_vmwrite(GUEST_CS_BASE, 0xffff0000);
		vcpu->mp_state = LV_MP_RUNNABLE;
	} else {
		vcpu->mp_state = LV_MP_WAIT_SIPI;
	}
}

/* SIPI with vector V: real mode at V000:0000 */
static void do_sipi(struct lv_vcpu *vcpu)
{
	u8 v = READ_ONCE(vcpu->sipi_vector);

	lv_vmwrite(GUEST_CS_SELECTOR, v << 8);
	lv_vmwrite(GUEST_CS_BASE, v << 12);
	lv_vmwrite(GUEST_RIP, 0);
	vcpu->mp_state = LV_MP_RUNNABLE;
}

/**
 * lv_vcpu_process_events() - act on INIT, SIPI and wake-ups
 * @vcpu: the vCPU, VMCS current
 *
 * Return: true if the vCPU can enter the guest now; false if it must sleep
 * (lv_vcpu_has_events() says when to try again).
 */
bool lv_vcpu_process_events(struct lv_vcpu *vcpu)
{
	if (test_and_clear_bit(LV_EV_INIT, &vcpu->events))
		do_init(vcpu);
	if (vcpu->mp_state == LV_MP_WAIT_SIPI) {
		if (!test_and_clear_bit(LV_EV_SIPI, &vcpu->events))
			return false;
		do_sipi(vcpu);
		return true;
	}
	/* a SIPI to a CPU that does not wait for one is dropped */
	clear_bit(LV_EV_SIPI, &vcpu->events);
	if (vcpu->mp_state == LV_MP_HALTED) {
		if (!lv_vcpu_has_events(vcpu))
			return false;
		vcpu->mp_state = LV_MP_RUNNABLE;
	}
	return true;
}

/**
 * lv_handle_hlt() - the HLT exit
 * @vcpu: the vCPU
 *
 * With IF=1 the vCPU sleeps in the kernel until an interrupt is due (the
 * run loop does it).  With IF=0 only an NMI or INIT can wake it: user space
 * hears of it (LV_EXIT_HLT) and decides; running the vCPU again sleeps.
 *
 * Return: 1, or 0 for LV_EXIT_HLT.
 */
int lv_handle_hlt(struct lv_vcpu *vcpu)
{
	lv_skip_insn(vcpu);
	return lv_halt(vcpu);
}

/**
 * lv_halt() - the vCPU halts, the HLT already stepped over
 * @vcpu: the vCPU
 *
 * Return: as lv_handle_hlt().
 */
int lv_halt(struct lv_vcpu *vcpu)
{
	vcpu->halt_if = lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF;
	WRITE_ONCE(vcpu->mp_state, LV_MP_HALTED);
	if (vcpu->halt_if || test_bit(LV_EV_NMI, &vcpu->events))
		return 1;
	vcpu->run->exit_reason = LV_EXIT_HLT;
	return 0;
}

/**
 * lv_handle_irq_window() - interrupt-window or NMI-window exit
 * @vcpu: the vCPU
 *
 * The window is open: the run loop injects (or, for a user-space PIC,
 * reports LV_EXIT_IRQ_WINDOW) before the next entry.
 *
 * Return: 1.
 */
int lv_handle_irq_window(struct lv_vcpu *vcpu)
{
	return 1;
}
