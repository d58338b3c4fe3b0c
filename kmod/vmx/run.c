// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU run loop: switch to the guest's state, enter, take the exit,
 * dispatch it (exit.c), and go round again until an exit needs user space,
 * a signal is pending, or something failed.
 *
 * State the VMCS does not switch and how it is handled:
 * - FPU/XSAVE: the guest's fpstate is current for the whole LV_RUN
 *   (fpu_swap_kvm_fpstate), reloaded before entry when the kernel used the
 *   FPU meanwhile; XCR0 is switched around each entry.
 * - MSR_KERNEL_GS_BASE: switched when the vCPU is loaded and put, so a
 *   context switch never sees the guest's value.
 * - STAR/LSTAR/CSTAR/SFMASK: identical for every host task, so the guest's
 *   values stay until the CPU next returns to user space (user-return
 *   notifier), as kvm does.
 * - CR2, DR7, IA32_DEBUGCTL, SPEC_CTRL: around each entry.
 * - DS/ES: restored when the vCPU is put.
 * Host interrupts are taken right after each exit (no acknowledge on exit);
 * NMIs are re-raised to the host with INT 2.
 */
#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/user-return-notifier.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/spec-ctrl.h>
#include <asm/tlbflush.h>

#include "../core/lv.h"
#include "../core/lv_trace.h"
#include "exit.h"
#include "vmx.h"

static const u32 syscall_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK
};

#define NR_SYSCALL_MSRS ARRAY_SIZE(syscall_msrs)

/**
 * struct lv_host_cpu - per-CPU host state saved while guests run here
 * @urn: user-return notifier that restores the syscall MSRs
 * @urn_registered: @urn is registered
 * @host: host values of the syscall MSRs
 * @cur: values in the MSRs now
 * @dr7: host DR7, restored after exits when breakpoints are armed
 * @debugctl: host IA32_DEBUGCTL, restored after exits when non-zero
 * @ds: host DS selector
 * @es: host ES selector
 */
struct lv_host_cpu {
	struct user_return_notifier urn;
	bool urn_registered;
	u64 host[NR_SYSCALL_MSRS];
	u64 cur[NR_SYSCALL_MSRS];
	unsigned long dr7;
	u64 debugctl;
	u16 ds, es;
};

static DEFINE_PER_CPU(struct lv_host_cpu, host_cpu);

/* L1D flush before entry (L1TF): 0 never, 1 when the host ran, 2 always */
static int l1d_flush = -1;
module_param(l1d_flush, int, 0444);
MODULE_PARM_DESC(l1d_flush, "Flush L1D before VM entry: -1 auto, 0 never, 1 after host activity, 2 always");
static DEFINE_STATIC_KEY_FALSE(l1d_flush_on);
/* l1d_flush == 2: also between fast-path exits */
static DEFINE_STATIC_KEY_FALSE(l1d_flush_always);
static void *l1d_flush_pages;
#define L1D_FLUSH_SIZE	(64 * 1024)

static void restore_syscall_msrs(struct user_return_notifier *urn)
{
	struct lv_host_cpu *h = container_of(urn, struct lv_host_cpu, urn);
	unsigned long flags;
	unsigned int i;

	local_irq_save(flags);
	for (i = 0; i < NR_SYSCALL_MSRS; i++) {
		if (h->cur[i] != h->host[i]) {
			wrmsrl(syscall_msrs[i], h->host[i]);
			h->cur[i] = h->host[i];
		}
	}
	h->urn_registered = false;
	user_return_notifier_unregister(urn);
	local_irq_restore(flags);
}

/**
 * lv_vmx_load_syscall_msrs() - put the guest's syscall MSRs in the hardware
 * @vcpu: the vCPU; preemption is off
 *
 * The host values come back when this CPU next returns to user space.
 */
void lv_vmx_load_syscall_msrs(struct lv_vcpu *vcpu)
{
	struct lv_host_cpu *h = this_cpu_ptr(&host_cpu);
	u64 guest[NR_SYSCALL_MSRS] = {
		vcpu->msr.star, vcpu->msr.lstar, vcpu->msr.cstar, vcpu->msr.sfmask
	};
	unsigned int i;

	if (!h->urn_registered) {
		for (i = 0; i < NR_SYSCALL_MSRS; i++) {
			rdmsrl(syscall_msrs[i], h->host[i]);
			h->cur[i] = h->host[i];
		}
		h->urn.on_user_return = restore_syscall_msrs;
		user_return_notifier_register(&h->urn);
		h->urn_registered = true;
	}
	for (i = 0; i < NR_SYSCALL_MSRS; i++) {
		if (h->cur[i] != guest[i]) {
			wrmsrl(syscall_msrs[i], guest[i]);
			h->cur[i] = guest[i];
		}
	}
}

/* preemption is off from here to vcpu_put() */
static void vcpu_load(struct lv_vcpu *vcpu)
{
	struct lv_host_cpu *h = this_cpu_ptr(&host_cpu);
	u64 fs_base;

	lv_vmcs_load(vcpu);
	lv_vmx_load_syscall_msrs(vcpu);

	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vcpu->msr.kernel_gs_base);
	rdmsrl(MSR_FS_BASE, fs_base);
	lv_vmwrite(HOST_FS_BASE, fs_base);
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	get_debugreg(h->dr7, 7);
	rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
}

static void vcpu_put(struct lv_vcpu *vcpu)
{
	struct lv_host_cpu *h = this_cpu_ptr(&host_cpu);

	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->msr.kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);
	if (h->ds)
		loadsegment(ds, h->ds);
	if (h->es)
		loadsegment(es, h->es);
}

static void flush_l1d(void)
{
	unsigned int i;

	if (static_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/* fill the TLB first, then displace every line of the L1D */
	for (i = 0; i < L1D_FLUSH_SIZE; i += PAGE_SIZE)
		READ_ONCE(*(u8 *)(l1d_flush_pages + i));
	for (i = 0; i < L1D_FLUSH_SIZE; i += 64)
		READ_ONCE(*(u8 *)(l1d_flush_pages + i));
}

/*
 * Work that cannot wait for LV_RUN to return.  TIF_NOTIFY_RESUME is not
 * here: it is return-to-user work, stays set until then, and would send
 * every exit down the slow path.
 */
static bool lv_host_work_pending(void)
{
	return read_thread_flags() &
	       (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL | _TIF_NEED_RESCHED);
}

/* ---- exit statistics (core/stats.h) -------------------------------------- */

/* right before an entry: charge the last exit its kernel cost */
static __always_inline void clock_entry(struct lv_vcpu *vcpu)
{
	struct lv_exit_clock *c = &vcpu->clock;
	u64 now = rdtsc();

	if (likely(c->open)) {
		struct lv_exit_reason_stats *s = &c->xs[c->reason];
		u64 cost = now - c->tsc_exit;

		s->count++;
		s->kernel_ticks += cost;
		s->kernel_hist[lv_hist_bucket(cost)]++;
		c->open = false;
	}
	if (unlikely(vcpu->trace.ring))
		lv_trace_entry(vcpu, now);
	if (trace_lv_entry_enabled())
		trace_lv_entry(vcpu->id, lv_vmread(GUEST_RIP));
}

/* right after an exit: record it where it is traced */
static __always_inline void clock_trace_exit(struct lv_vcpu *vcpu, u32 reason,
					     u64 tsc)
{
	if (unlikely(vcpu->trace.ring))
		lv_trace_exit(vcpu, reason, tsc);
	if (trace_lv_exit_enabled())
		trace_lv_exit(vcpu->id, reason, lv_vmread(EXIT_QUALIFICATION),
			      lv_vmread(GUEST_RIP));
}

/* an exit leaves the fast loop: start its clock (counted at the next entry) */
static __always_inline void clock_exit(struct lv_vcpu *vcpu, u32 reason, u64 tsc)
{
	struct lv_exit_clock *c = &vcpu->clock;
	u16 basic = reason;

	if (likely(basic < LV_NR_EXIT_REASONS)) {
		c->reason = basic;
		c->tsc_exit = tsc;
		c->open = true;
	}
}

/*
 * A fast-path exit (@basic, taken at @tsc) is handled: charge it at once,
 * as clock_exit() then clock_entry() would.  @basic is a constant here once
 * lv_exit_fastpath() is inlined, so is its statistics slot.
 */
static __always_inline void clock_fast(struct lv_vcpu *vcpu, u16 basic, u64 tsc)
{
	struct lv_exit_reason_stats *s = &vcpu->clock.xs[basic];
	u64 now = rdtsc();
	u64 cost = now - tsc;

	s->count++;
	s->kernel_ticks += cost;
	s->kernel_hist[lv_hist_bucket(cost)]++;
	if (unlikely(vcpu->trace.ring))
		lv_trace_entry(vcpu, now);
	if (trace_lv_entry_enabled())
		trace_lv_entry(vcpu->id, lv_vmread(GUEST_RIP));
}

/* LV_RUN called again: the time since it returned was user space's */
static void clock_from_user(struct lv_vcpu *vcpu)
{
	struct lv_exit_clock *c = &vcpu->clock;
	struct lv_exit_reason_stats *s;
	u64 ticks;

	if (!c->tsc_user)
		return;
	ticks = rdtsc() - c->tsc_user;
	c->tsc_user = 0;
	if (!c->open)
		return;
	c->tsc_exit += ticks;	/* the kernel cost leaves this time out */
	if (c->to_user) {
		s = &c->xs[c->reason];
		s->user_ticks += ticks;
		s->user_hist[lv_hist_bucket(ticks)]++;
		c->to_user = false;
	}
}

/* LV_RUN returns @ret; VMCS current */
static void clock_to_user(struct lv_vcpu *vcpu, int ret)
{
	struct lv_exit_clock *c = &vcpu->clock;

	c->to_user = false;
	if (ret == 0 && c->open) {
		c->to_user = true;
		c->xs[c->reason].user_count++;
		vcpu->run->hw_qualification = lv_vmread(EXIT_QUALIFICATION);
		if (vcpu->trace.ring)
			lv_trace_user(vcpu);
	}
	if (ret == 0)
		trace_lv_user_exit(vcpu->id, vcpu->run->exit_reason,
				   vcpu->run->hw_exit_reason);
}

/* vcpu_enter(): an event arrived before entry; nothing ran */
#define LV_ENTRY_ABORTED	0x20000
/* vcpu_enter(): real-mode code cannot enter (vm86.c); nothing ran */
#define LV_VM86_FAILED		0x30000

/*
 * Enter the guest with interrupts off and take the exit.  Exits that need
 * no host work (lv_exit_fastpath()) are handled right here and the guest is
 * re-entered at once: interrupts stay off, and the host state checked before
 * the first entry cannot have changed.  A host interrupt that arrives
 * meanwhile makes the next entry exit at once.
 *
 * Real-mode code of a shadow VM enters in virtual-8086 form (vm86.c) and
 * leaves it before anything else looks at the VMCS.
 *
 * Returns the exit reason to dispatch, LV_ENTRY_ABORTED, LV_VM86_FAILED,
 * or -1 if VMLAUNCH/VMRESUME itself failed.
 */
static int vcpu_enter(struct lv_vcpu *vcpu)
{
	struct lv_host_cpu *h = this_cpu_ptr(&host_cpu);
	unsigned long cr3, cr4;
	int fail;
	u32 reason = 0;
	u16 basic;
	u64 tsc;

	local_irq_disable();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	/*
	 * From here a kick IPIs this CPU, and the IPI makes the entry below
	 * exit at once: an event published before this point is seen by
	 * lv_irq_inject(), one published after it by the IPI.
	 */
	smp_store_mb(vcpu->mode, LV_MODE_IN_GUEST);
	if (unlikely(READ_ONCE(vcpu->events) & (BIT(LV_EV_INIT) | BIT(LV_EV_SIPI)) ||
		     lv_host_work_pending())) {
		WRITE_ONCE(vcpu->mode, LV_MODE_OUTSIDE);
		local_irq_enable();
		return LV_ENTRY_ABORTED;
	}
	lv_irq_inject(vcpu);
	if (unlikely(vcpu->vm86.on) && lv_vm86_enter(vcpu)) {
		WRITE_ONCE(vcpu->mode, LV_MODE_OUTSIDE);
		local_irq_enable();
		return LV_VM86_FAILED;
	}

	cr3 = __read_cr3();
	if (unlikely(cr3 != vcpu->host_cr3)) {
		lv_vmwrite(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	cr4 = __read_cr4();
	if (unlikely(cr4 != vcpu->host_cr4)) {
		lv_vmwrite(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
	if (unlikely(vcpu->xcr0 != lv_host_xcr0))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (unlikely(vcpu->cr2 != native_read_cr2()))
		native_write_cr2(vcpu->cr2);
	if (static_branch_unlikely(&l1d_flush_on) &&
	    (l1d_flush == 2 || vcpu->l1d_flush)) {
		flush_l1d();
		vcpu->l1d_flush = false;
	}

	clock_entry(vcpu);
	for (;;) {
		fail = lv_vmx_enter(vcpu->regs, vcpu->launched);
		if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
			native_wrmsrl(MSR_IA32_SPEC_CTRL,
				      this_cpu_read(x86_spec_ctrl_current));
		tsc = rdtsc();
		if (unlikely(fail))
			break;
		reason = lv_vmread_nocheck(VM_EXIT_REASON);
		clock_trace_exit(vcpu, reason, tsc);
		if (lv_host_work_pending())
			break;
		basic = lv_exit_fastpath(vcpu, reason);
		if (!basic)
			break;
		/* only a successful entry exits with a fast-path reason */
		vcpu->launched = true;
		if (static_branch_unlikely(&l1d_flush_always))
			flush_l1d();
		clock_fast(vcpu, basic, tsc);
	}
	if (likely(!fail)) {
		clock_exit(vcpu, reason, tsc);
		/* a VM-entry failure leaves the VMCS unlaunched */
		if (likely(!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)))
			vcpu->launched = true;
	}
	if (unlikely(vcpu->vm86.entered))
		lv_vm86_exit(vcpu);

	WRITE_ONCE(vcpu->mode, LV_MODE_OUTSIDE);
	vcpu->cr2 = native_read_cr2();
	if (unlikely(vcpu->xcr0 != lv_host_xcr0))
		xsetbv(XCR_XFEATURE_ENABLED_MASK, lv_host_xcr0);
	if (unlikely(h->dr7 != LV_DR7_FIXED_1))
		set_debugreg(h->dr7, 7);
	if (unlikely(h->debugctl))
		update_debugctlmsr(h->debugctl);

	if (unlikely(fail)) {
		local_irq_enable();
		return -1;
	}
	if (unlikely((u16)reason == EXIT_REASON_EXCEPTION_NMI)) {
		u32 info = lv_vmread32(VM_EXIT_INTR_INFO);

		if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
		    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
			asm volatile("int $2");
	}
	local_irq_enable();
	return reason;
}

static int fail_entry(struct lv_vcpu *vcpu, u64 hw_reason, u64 qual, u32 check)
{
	struct lv_run *run = vcpu->run;

	run->exit_reason = LV_EXIT_FAIL_ENTRY;
	run->fail_entry.hw_reason = hw_reason;
	run->fail_entry.qualification = qual;
	run->fail_entry.check = check;
	lv_warn("vcpu %u: VM entry failed: reason %llu, qualification 0x%llx, check %u\n",
		vcpu->id, hw_reason, qual, check);
	return 0;
}

static int vmfail(struct lv_vcpu *vcpu)
{
	u32 err = lv_vmread32(VM_INSTRUCTION_ERROR);

	return fail_entry(vcpu, err, 0,
			  err == VMXERR_ENTRY_INVALID_CONTROL_FIELD ?
			  LV_ENTRY_CHECK_CONTROLS :
			  err == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD ?
			  LV_ENTRY_CHECK_HOST_STATE : LV_ENTRY_CHECK_UNKNOWN);
}

static int failed_entry_exit(struct lv_vcpu *vcpu, u32 reason)
{
	u64 qual = lv_vmread(EXIT_QUALIFICATION);
	u32 check;

	switch ((u16)reason) {
	case EXIT_REASON_INVALID_STATE:
		check = LV_ENTRY_CHECK_GUEST_STATE;
		break;
	case EXIT_REASON_MSR_LOAD_FAIL:
		check = LV_ENTRY_CHECK_MSR_LOAD;
		break;
	case EXIT_REASON_MCE_DURING_VMENTRY:
		check = LV_ENTRY_CHECK_MACHINE_CHECK;
		break;
	default:
		check = LV_ENTRY_CHECK_UNKNOWN;
	}
	vcpu->run->hw_exit_reason = (u16)reason;
	return fail_entry(vcpu, (u16)reason, qual, check);
}

/*
 * Sleep until an event wakes the vCPU (HLT, wait for SIPI).  Returns 1, or
 * -EINTR for a signal.
 */
static int vcpu_block(struct lv_vcpu *vcpu)
{
	int err;

	vcpu_put(vcpu);
	preempt_enable();
	err = wait_event_interruptible(vcpu->wq, lv_vcpu_has_events(vcpu));
	preempt_disable();
	vcpu_load(vcpu);
	vcpu->l1d_flush = true;
	if (err) {
		vcpu->run->exit_reason = LV_EXIT_INTR;
		return -EINTR;
	}
	return 1;
}

/**
 * lv_vmx_run() - run the vCPU until user space is needed
 * @vcpu: the vCPU; its mutex is held
 *
 * Return: 0 with vcpu->run filled in, -EINTR when a signal is pending
 * (exit_reason LV_EXIT_INTR), or another negative errno.
 */
int lv_vmx_run(struct lv_vcpu *vcpu)
{
	struct lv_run *run = vcpu->run;
	int ret, reason;

	clock_from_user(vcpu);
	run->exit_reason = LV_EXIT_NONE;
	if (run->immediate_exit || signal_pending(current)) {
		run->exit_reason = LV_EXIT_INTR;
		vcpu->clock.tsc_user = rdtsc();
		return -EINTR;
	}

	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	preempt_disable();
	vcpu_load(vcpu);
	vcpu->l1d_flush = true;

	ret = lv_exit_complete(vcpu);
	while (ret > 0) {
		if (unlikely(!lv_vcpu_process_events(vcpu))) {
			ret = vcpu_block(vcpu);
			continue;
		}
		if (unlikely(run->request_interrupt_window) &&
		    lv_irq_ready_for_extint(vcpu)) {
			run->exit_reason = LV_EXIT_IRQ_WINDOW;
			ret = 0;
			break;
		}
		if (unlikely(lv_host_work_pending())) {
			if (signal_pending(current)) {
				run->exit_reason = LV_EXIT_INTR;
				ret = -EINTR;
				break;
			}
			vcpu_put(vcpu);
			preempt_enable();
			cond_resched();
			preempt_disable();
			vcpu_load(vcpu);
			vcpu->l1d_flush = true;
		}

		if (unlikely(READ_ONCE(vcpu->events) & BIT(LV_EV_POLICY)) &&
		    test_and_clear_bit(LV_EV_POLICY, &vcpu->events))
			lv_policy_apply(vcpu);
		reason = vcpu_enter(vcpu);
		if (reason == LV_ENTRY_ABORTED)
			continue;
		if (unlikely(reason == LV_VM86_FAILED)) {
			ret = lv_vm86_failed(vcpu);
			break;
		}
		if (unlikely(reason < 0)) {
			ret = vmfail(vcpu);
			break;
		}
		if (unlikely(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
			ret = failed_entry_exit(vcpu, reason);
			break;
		}
		ret = lv_exit_dispatch(vcpu, (u16)reason);
	}

	if (ret == 0 || ret == -EINTR)
		lv_irq_fill_run(vcpu);
	clock_to_user(vcpu, ret);
	vcpu_put(vcpu);
	preempt_enable();
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	if (ret == 0) {
		vcpu->stats.user_exits++;
		atomic64_inc(&vcpu->vm->counters.user_exits);
	}
	vcpu->clock.tsc_user = rdtsc();
	return ret;
}

/**
 * lv_vmx_run_init() - choose the L1D flush policy, allocate its buffer
 *
 * Return: 0 or -ENOMEM.
 */
int lv_vmx_run_init(void)
{
	if (l1d_flush < 0) {
		u64 cap = 0;

		if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
			rdmsrl(MSR_IA32_ARCH_CAPABILITIES, cap);
		l1d_flush = boot_cpu_has_bug(X86_BUG_L1TF) &&
			    !cpu_mitigations_off() &&
			    !(cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH);
	}
	if (l1d_flush && !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		l1d_flush_pages = (void *)__get_free_pages(GFP_KERNEL,
							   get_order(L1D_FLUSH_SIZE));
		if (!l1d_flush_pages)
			return -ENOMEM;
	}
	if (l1d_flush)
		static_branch_enable(&l1d_flush_on);
	if (l1d_flush == 2)
		static_branch_enable(&l1d_flush_always);
	pr_info("labvisor: L1D flush before VM entry: %s\n",
		!l1d_flush ? "off" : l1d_flush == 2 ? "always" :
		"after host activity");
	return 0;
}

static void drop_user_return(void *unused)
{
	struct lv_host_cpu *h = this_cpu_ptr(&host_cpu);

	if (h->urn_registered)
		restore_syscall_msrs(&h->urn);
}

/**
 * lv_vmx_run_exit() - restore host MSRs everywhere and free the flush buffer
 *
 * A CPU that has not returned to user space since a guest ran there (a
 * killed vCPU thread, then idle) still holds guest syscall MSRs and our
 * notifier: both go before the module does.
 */
void lv_vmx_run_exit(void)
{
	on_each_cpu(drop_user_return, NULL, 1);
	if (l1d_flush_pages)
		free_pages((unsigned long)l1d_flush_pages, get_order(L1D_FLUSH_SIZE));
}
