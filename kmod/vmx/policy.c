// SPDX-License-Identifier: GPL-2.0
/*
 * Exit policies: what traps, chosen by user space per VM or per vCPU
 * (struct lv_exit_policy), and the CPUID and MSR override tables.
 *
 * A policy is checked against the CPU's VMX capabilities when it is set,
 * so applying it never fails.  A VM's policy is an immutable copy published
 * with RCU; each vCPU applies it to its VMCS at its next entry
 * (LV_EV_POLICY).  A vCPU's own policy is applied at once, under its mutex.
 *
 * I/O exits are never given up: with LV_EXITS_IO_BITMAP the bitmaps are
 * used, but every bit stays set.  Only MSRs the module already passes
 * through (the VMCS switches them) can be made to exit.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "../core/lv.h"
#include "exit.h"
#include "policy.h"
#include "vmcs.h"
#include "vmx.h"

/* allowed settings of the controls, from the (TRUE_) capability MSRs */
static u64 proc_cap, proc2_cap, pin_cap;
static unsigned long *io_bitmap;	/* 2 pages, all ones */

/* exit reasons user space may take over (lv_exit_policy.forward) */
static const u8 forwardable[] = {
	EXIT_REASON_CPUID, EXIT_REASON_HLT, EXIT_REASON_INVD,
	EXIT_REASON_INVLPG, EXIT_REASON_RDPMC, EXIT_REASON_RDTSC,
	EXIT_REASON_VMCALL, EXIT_REASON_VMCLEAR, EXIT_REASON_VMLAUNCH,
	EXIT_REASON_VMPTRLD, EXIT_REASON_VMPTRST, EXIT_REASON_VMREAD,
	EXIT_REASON_VMRESUME, EXIT_REASON_VMWRITE, EXIT_REASON_VMOFF,
	EXIT_REASON_VMON, EXIT_REASON_CR_ACCESS, EXIT_REASON_DR_ACCESS,
	EXIT_REASON_IO_INSTRUCTION, EXIT_REASON_MSR_READ,
	EXIT_REASON_MSR_WRITE, EXIT_REASON_MWAIT_INSTRUCTION,
	EXIT_REASON_MONITOR_INSTRUCTION, EXIT_REASON_PAUSE_INSTRUCTION,
	EXIT_REASON_GDTR_IDTR, EXIT_REASON_LDTR_TR,
	EXIT_REASON_EPT_VIOLATION, EXIT_REASON_INVEPT, EXIT_REASON_RDTSCP,
	EXIT_REASON_PREEMPTION_TIMER, EXIT_REASON_INVVPID,
	EXIT_REASON_WBINVD, EXIT_REASON_XSETBV, EXIT_REASON_VMFUNC,
};

/* the primary controls behind each LV_EXITS_* bit (0: not a primary one) */
static u32 proc_bits(u64 exits)
{
	u32 bits = 0;

	if (exits & LV_EXITS_RDTSC)
		bits |= CPU_BASED_RDTSC_EXITING;
	if (exits & LV_EXITS_HLT)
		bits |= CPU_BASED_HLT_EXITING;
	if (exits & LV_EXITS_PAUSE)
		bits |= CPU_BASED_PAUSE_EXITING;
	if (exits & LV_EXITS_MWAIT)
		bits |= CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING;
	if (exits & LV_EXITS_CR3_LOAD)
		bits |= CPU_BASED_CR3_LOAD_EXITING;
	if (exits & LV_EXITS_CR3_STORE)
		bits |= CPU_BASED_CR3_STORE_EXITING;
	if (exits & LV_EXITS_INVLPG)
		bits |= CPU_BASED_INVLPG_EXITING;
	return bits;
}

/* exits a VM of this mode cannot do without */
static u64 required_exits(struct lv_vm *vm)
{
	if (vm->mode == LV_VM_SHADOW)
		return LV_EXITS_CR3_LOAD | LV_EXITS_CR3_STORE | LV_EXITS_INVLPG;
	return 0;
}

static bool can_set(u64 cap, u32 bits)
{
	return (bits & (u32)(cap >> 32)) == bits;
}

static bool can_clear(u64 cap, u32 bits)
{
	return !(bits & (u32)cap);
}

static bool msr_passed_through(u32 msr)
{
	switch (msr) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_CR_PAT:
		return true;
	}
	return false;
}

/**
 * lv_policy_check() - is @p a policy this CPU and VM can run?
 * @vm: the VM
 * @p: the policy
 *
 * Return: 0, -EINVAL (malformed, or it drops an exit the VM needs) or
 * -EOPNOTSUPP (the CPU cannot do it); a rate-limited message says why.
 */
int lv_policy_check(struct lv_vm *vm, const struct lv_exit_policy *p)
{
	u32 on = proc_bits(p->exits_on), off = proc_bits(p->exits_off);
	unsigned int i, r;

	if (p->flags & ~LV_POLICY_RESET) {
		lv_warn("exit policy: unknown flags 0x%x\n", p->flags);
		return -EINVAL;
	}
	if (p->flags & LV_POLICY_RESET)
		return 0;
	for (i = 0; i < ARRAY_SIZE(p->reserved); i++) {
		if (p->reserved[i]) {
			lv_warn("exit policy: reserved field %u is not zero\n", i);
			return -EINVAL;
		}
	}
	if ((p->exits_on | p->exits_off) & ~LV_EXITS_ALL) {
		lv_warn("exit policy: unknown exits 0x%llx\n",
			(p->exits_on | p->exits_off) & ~LV_EXITS_ALL);
		return -EINVAL;
	}
	if (p->exits_on & p->exits_off) {
		lv_warn("exit policy: exits 0x%llx both on and off\n",
			p->exits_on & p->exits_off);
		return -EINVAL;
	}
	if (p->exits_off & required_exits(vm)) {
		lv_warn("exit policy: a shadow-paging VM needs its CR3 and INVLPG exits\n");
		return -EINVAL;
	}
	if (!can_set(proc_cap, on) || !can_clear(proc_cap, off) ||
	    ((p->exits_on & LV_EXITS_DESC_TABLE) &&
	     (!can_set(proc_cap, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ||
	      !can_set(proc2_cap, SECONDARY_EXEC_DESC))) ||
	    ((p->exits_on & LV_EXITS_MSR_ALL) &&
	     !can_clear(proc_cap, CPU_BASED_USE_MSR_BITMAPS)) ||
	    ((p->exits_on & LV_EXITS_IO_BITMAP) &&
	     (!can_set(proc_cap, CPU_BASED_USE_IO_BITMAPS) ||
	      !can_clear(proc_cap, CPU_BASED_UNCOND_IO_EXITING)))) {
		lv_warn("exit policy: this CPU cannot turn these exits on 0x%llx / off 0x%llx\n",
			p->exits_on, p->exits_off);
		return -EOPNOTSUPP;
	}
	if (p->preemption_us &&
	    (p->preemption_us < 10 || p->preemption_us > 1000000)) {
		lv_warn("exit policy: preemption_us %u outside 10..1000000\n",
			p->preemption_us);
		return -EINVAL;
	}
	if (p->preemption_us &&
	    (!tsc_khz || !can_set(pin_cap, PIN_BASED_VMX_PREEMPTION_TIMER))) {
		lv_warn("exit policy: this CPU has no usable VMX-preemption timer\n");
		return -EOPNOTSUPP;
	}
	for (r = 0; r < 128; r++) {
		if (!(p->forward[r / 64] & BIT_ULL(r % 64)))
			continue;
		for (i = 0; i < ARRAY_SIZE(forwardable); i++)
			if (forwardable[i] == r)
				break;
		if (i == ARRAY_SIZE(forwardable)) {
			lv_warn("exit policy: exit reason %u cannot be forwarded to user space\n",
				r);
			return -EINVAL;
		}
	}
	for (i = 0; i < LV_POLICY_MSRS; i++) {
		if (p->msr_exits[i] && !msr_passed_through(p->msr_exits[i])) {
			lv_warn("exit policy: MSR 0x%x exits anyway: only FS/GS base, SYSENTER and PAT can be added\n",
				p->msr_exits[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct lv_exit_policy default_policy;

/* intercept @msr (reads and writes) in @bitmap */
static void msr_intercept(unsigned long *bitmap, u32 msr)
{
	u8 *b = (u8 *)bitmap;
	unsigned int base = msr >= 0xc0000000 ? 1024 : 0;
	unsigned int n = msr & 0x1fff;

	b[base + n / 8] |= 1 << (n % 8);
	b[2048 + base + n / 8] |= 1 << (n % 8);
}

/**
 * lv_policy_apply() - write the vCPU's effective policy into its VMCS
 * @vcpu: the vCPU, VMCS current, preemption off
 */
void lv_policy_apply(struct lv_vcpu *vcpu)
{
	struct lv_vm *vm = vcpu->vm;
	const struct lv_exit_policy *vp;
	struct lv_exit_policy p;
	const struct lv_msr_overrides *mo;
	u32 proc, proc2 = lv_vmx.proc2, pin = lv_vmx.pin, timer;
	unsigned int i;

	rcu_read_lock();
	vp = rcu_dereference(vm->policy);
	p = vcpu->has_policy ? vcpu->policy : vp ? *vp : default_policy;
	mo = rcu_dereference(vm->msr_overrides);

	/* the MSR bitmap: the shared one plus the MSRs asked for */
	lv_vmcs_copy_msr_bitmap(vcpu->msr_bitmap);
	for (i = 0; i < LV_POLICY_MSRS; i++)
		if (p.msr_exits[i])
			msr_intercept(vcpu->msr_bitmap, p.msr_exits[i]);
	for (i = 0; mo && i < mo->nr; i++)
		msr_intercept(vcpu->msr_bitmap, mo->entry[i].msr);
	rcu_read_unlock();

	proc = (lv_vmx.proc | proc_bits(p.exits_on | required_exits(vm))) &
	       ~proc_bits(p.exits_off);
	if (p.exits_on & LV_EXITS_MSR_ALL)
		proc &= ~CPU_BASED_USE_MSR_BITMAPS;
	if (p.exits_on & LV_EXITS_IO_BITMAP) {
		proc = (proc & ~CPU_BASED_UNCOND_IO_EXITING) |
		       CPU_BASED_USE_IO_BITMAPS;
		lv_vmwrite(IO_BITMAP_A, __pa(io_bitmap));
		lv_vmwrite(IO_BITMAP_B, __pa(io_bitmap) + PAGE_SIZE);
	}
	/* a shadow VM runs without EPT (kmod/shadow) */
	if (vm->mode == LV_VM_SHADOW)
		proc2 &= ~(SECONDARY_EXEC_ENABLE_EPT |
			   SECONDARY_EXEC_UNRESTRICTED_GUEST);
	if (p.exits_on & LV_EXITS_DESC_TABLE) {
		proc |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
		proc2 |= SECONDARY_EXEC_DESC;
	}
	timer = lv_vmx.preemption_timer;
	if (p.preemption_us) {
		u64 ticks = (u64)tsc_khz * p.preemption_us / 1000;

		pin |= PIN_BASED_VMX_PREEMPTION_TIMER;
		timer = min_t(u64, max_t(u64, ticks >> (lv_vmx.misc & 0x1f), 1),
			      U32_MAX);
	}

	/* the interrupt and NMI window bits belong to irq.c */
	vcpu->proc_ctl = proc | (vcpu->proc_ctl & (CPU_BASED_INTR_WINDOW_EXITING |
						   CPU_BASED_NMI_WINDOW_EXITING));
	lv_vmwrite(CPU_BASED_VM_EXEC_CONTROL, vcpu->proc_ctl);
	if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		lv_vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2);
	lv_vmwrite(PIN_BASED_VM_EXEC_CONTROL, pin);
	if (pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		lv_vmwrite(VMX_PREEMPTION_TIMER_VALUE, timer);
	lv_vmwrite(MSR_BITMAP, __pa(vcpu->msr_bitmap));

	vcpu->forward[0] = p.forward[0];
	vcpu->forward[1] = p.forward[1];
	vcpu->cpuid_fastpath = !(p.forward[0] & BIT_ULL(EXIT_REASON_CPUID));
}

/* every vCPU of @vm takes the VM's policy again at its next entry */
static void policy_changed(struct lv_vm *vm)
{
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < LV_MAX_VCPUS; i++) {
		struct lv_vcpu *v = rcu_dereference(vm->vcpus[i]);

		if (v) {
			set_bit(LV_EV_POLICY, &v->events);
			lv_vcpu_kick(v);
		}
	}
	rcu_read_unlock();
}

/**
 * lv_policy_set_vm() - LV_SET_VM_EXIT_POLICY
 * @vm: the VM
 * @argp: struct lv_exit_policy
 *
 * Return: 0, -EFAULT, -ENOMEM, or what lv_policy_check() says.
 */
long lv_policy_set_vm(struct lv_vm *vm, void __user *argp)
{
	struct lv_exit_policy *p, *old;
	int err;

	p = kmalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	if (copy_from_user(p, argp, sizeof(*p))) {
		kfree(p);
		return -EFAULT;
	}
	err = lv_policy_check(vm, p);
	if (err) {
		kfree(p);
		return err;
	}
	if (p->flags & LV_POLICY_RESET) {
		kfree(p);
		p = NULL;
	}
	mutex_lock(&vm->lock);
	old = rcu_replace_pointer(vm->policy, p, lockdep_is_held(&vm->lock));
	policy_changed(vm);
	mutex_unlock(&vm->lock);
	synchronize_rcu();
	kfree(old);
	return 0;
}

/**
 * lv_policy_set_vcpu() - LV_SET_EXIT_POLICY on a vCPU fd
 * @vcpu: the vCPU; its mutex is held
 * @argp: struct lv_exit_policy
 *
 * Return: 0, -EFAULT, or what lv_policy_check() says.
 */
long lv_policy_set_vcpu(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_exit_policy p;
	int err;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	err = lv_policy_check(vcpu->vm, &p);
	if (err)
		return err;
	vcpu->has_policy = !(p.flags & LV_POLICY_RESET);
	if (vcpu->has_policy)
		vcpu->policy = p;
	set_bit(LV_EV_POLICY, &vcpu->events);
	return 0;
}

/* ---- CPUID and MSR overrides ------------------------------------------- */

/*
 * An override table (struct lv_cpuid_overrides or lv_msr_overrides: an
 * unsigned int count, then at offset @hdr the entries) holding @nr entries
 * of @size bytes copied from @uaddr.  NULL for @nr 0; an ERR_PTR for bad
 * @flags, too many entries, a fault or no memory.
 */
static void *table_copy(u32 nr, u32 flags, u64 uaddr, u32 max, size_t hdr,
			size_t size, const char *what)
{
	unsigned int *t;

	if (flags || nr > max) {
		lv_warn("%s: invalid table (nr %u flags 0x%x)\n", what, nr, flags);
		return ERR_PTR(-EINVAL);
	}
	if (!nr)
		return NULL;
	t = kzalloc(hdr + nr * size, GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	*t = nr;
	if (copy_from_user((void *)t + hdr,
			   u64_to_user_ptr(uaddr), nr * size)) {
		kfree(t);
		return ERR_PTR(-EFAULT);
	}
	return t;
}

/**
 * lv_policy_set_cpuid() - LV_SET_CPUID
 * @vm: the VM
 * @argp: struct lv_cpuid_table
 *
 * Return: 0, -EFAULT, -ENOMEM, or -EINVAL for a bad table.
 */
long lv_policy_set_cpuid(struct lv_vm *vm, void __user *argp)
{
	struct lv_cpuid_overrides *t = NULL, *old;
	struct lv_cpuid_table tab;
	unsigned int i, j;

	if (copy_from_user(&tab, argp, sizeof(tab)))
		return -EFAULT;
	t = table_copy(tab.nr, tab.flags, tab.entries, LV_CPUID_MAX_ENTRIES,
		       offsetof(typeof(*t), entry), sizeof(t->entry[0]),
		       "LV_SET_CPUID");
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (t) {
		for (i = 0; i < t->nr; i++) {
			const struct lv_cpuid_entry *e = &t->entry[i];

			if ((e->flags & ~LV_CPUID_INDEXED) || e->reserved ||
			    (!(e->flags & LV_CPUID_INDEXED) && e->index))
				goto bad;
			for (j = 0; j < i; j++)
				if (t->entry[j].function == e->function &&
				    (t->entry[j].index == e->index ||
				     !(t->entry[j].flags & LV_CPUID_INDEXED) ||
				     !(e->flags & LV_CPUID_INDEXED)))
					goto bad;
		}
	}
	mutex_lock(&vm->lock);
	old = rcu_replace_pointer(vm->cpuid_overrides, t, lockdep_is_held(&vm->lock));
	mutex_unlock(&vm->lock);
	synchronize_rcu();
	kfree(old);
	return 0;
bad:
	lv_warn("LV_SET_CPUID: entry %u (leaf 0x%x.%u) is invalid or repeats a leaf\n",
		i, t->entry[i].function, t->entry[i].index);
	kfree(t);
	return -EINVAL;
}

/**
 * lv_policy_cpuid() - answer a CPUID exit from the VM's overrides
 * @vcpu: the vCPU, its EAX and ECX the CPUID input
 *
 * Return: true if an override matched: EAX..EDX hold it.
 */
bool lv_policy_cpuid(struct lv_vcpu *vcpu)
{
	u32 fn = vcpu->regs[LV_RAX], index = vcpu->regs[LV_RCX];
	const struct lv_cpuid_overrides *t;
	bool found = false;
	unsigned int i;

	rcu_read_lock();
	t = rcu_dereference(vcpu->vm->cpuid_overrides);
	for (i = 0; t && i < t->nr; i++) {
		const struct lv_cpuid_entry *e = &t->entry[i];

		if (e->function != fn ||
		    ((e->flags & LV_CPUID_INDEXED) && e->index != index))
			continue;
		vcpu->regs[LV_RAX] = e->eax;
		vcpu->regs[LV_RBX] = e->ebx;
		vcpu->regs[LV_RCX] = e->ecx;
		vcpu->regs[LV_RDX] = e->edx;
		found = true;
		break;
	}
	rcu_read_unlock();
	return found;
}

#define LV_MSR_ACTIONS	(LV_MSR_READ_VALUE | LV_MSR_READ_GP | \
			 LV_MSR_WRITE_IGNORE | LV_MSR_WRITE_GP)

/**
 * lv_policy_set_msrs() - LV_SET_MSR_OVERRIDES
 * @vm: the VM
 * @argp: struct lv_msr_table
 *
 * Return: 0, -EFAULT, -ENOMEM, or -EINVAL for a bad table.
 */
long lv_policy_set_msrs(struct lv_vm *vm, void __user *argp)
{
	struct lv_msr_overrides *t = NULL, *old;
	struct lv_msr_table tab;
	unsigned int i, j;

	if (copy_from_user(&tab, argp, sizeof(tab)))
		return -EFAULT;
	t = table_copy(tab.nr, tab.flags, tab.entries, LV_MSR_MAX_ENTRIES,
		       offsetof(typeof(*t), entry), sizeof(t->entry[0]),
		       "LV_SET_MSR_OVERRIDES");
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (t) {
		for (i = 0; i < t->nr; i++) {
			const struct lv_msr_entry *e = &t->entry[i];

			/* one action a side; the local APIC's MSRs are its own */
			if (!e->action || (e->action & ~LV_MSR_ACTIONS) ||
			    (e->action & LV_MSR_READ_VALUE && e->action & LV_MSR_READ_GP) ||
			    (e->action & LV_MSR_WRITE_IGNORE && e->action & LV_MSR_WRITE_GP) ||
			    (e->msr >= 0x800 && e->msr < 0x900))
				goto bad;
			for (j = 0; j < i; j++)
				if (t->entry[j].msr == e->msr)
					goto bad;
		}
	}
	mutex_lock(&vm->lock);
	old = rcu_replace_pointer(vm->msr_overrides, t, lockdep_is_held(&vm->lock));
	policy_changed(vm);	/* the MSR bitmaps change */
	mutex_unlock(&vm->lock);
	synchronize_rcu();
	kfree(old);
	return 0;
bad:
	lv_warn("LV_SET_MSR_OVERRIDES: entry %u (MSR 0x%x action 0x%x) is invalid or repeats an MSR\n",
		i, t->entry[i].msr, t->entry[i].action);
	kfree(t);
	return -EINVAL;
}

/**
 * lv_policy_msr() - the override of an MSR access, if there is one
 * @vcpu: the vCPU
 * @msr: ECX
 * @write: WRMSR, else RDMSR
 * @val: for a read, the value (with LV_MSR_READ_VALUE)
 *
 * Return: 0 no override, 1 done (@val set for a read), -EINVAL #GP.
 */
int lv_policy_msr(struct lv_vcpu *vcpu, u32 msr, bool write, u64 *val)
{
	const struct lv_msr_overrides *t;
	unsigned int i;
	int ret = 0;

	rcu_read_lock();
	t = rcu_dereference(vcpu->vm->msr_overrides);
	for (i = 0; t && i < t->nr; i++) {
		u32 a = t->entry[i].action;

		if (t->entry[i].msr != msr)
			continue;
		if (write) {
			ret = a & LV_MSR_WRITE_GP ? -EINVAL :
			      a & LV_MSR_WRITE_IGNORE ? 1 : 0;
		} else if (a & LV_MSR_READ_GP) {
			ret = -EINVAL;
		} else if (a & LV_MSR_READ_VALUE) {
			*val = t->entry[i].value;
			ret = 1;
		}
		break;
	}
	rcu_read_unlock();
	return ret;
}

/**
 * lv_policy_vm_free() - free a VM's policy and override tables
 * @vm: the VM, unreferenced
 */
void lv_policy_vm_free(struct lv_vm *vm)
{
	kfree(rcu_dereference_protected(vm->policy, 1));
	kfree(rcu_dereference_protected(vm->cpuid_overrides, 1));
	kfree(rcu_dereference_protected(vm->msr_overrides, 1));
}

/**
 * lv_policy_init() - read what the CPU allows; build the I/O bitmaps
 *
 * Return: 0 or -ENOMEM.
 */
int lv_policy_init(void)
{
	bool true_ctls = lv_vmx.basic & VMX_BASIC_TRUE_CTLS;

	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
	       MSR_IA32_VMX_PROCBASED_CTLS, proc_cap);
	rdmsrl(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
	       MSR_IA32_VMX_PINBASED_CTLS, pin_cap);
	if (proc_cap & ((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32))
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, proc2_cap);
	io_bitmap = (unsigned long *)__get_free_pages(GFP_KERNEL, 1);
	if (!io_bitmap)
		return -ENOMEM;
	memset(io_bitmap, 0xff, 2 * PAGE_SIZE);
	return 0;
}

/**
 * lv_policy_exit() - free the I/O bitmaps
 */
void lv_policy_exit(void)
{
	free_pages((unsigned long)io_bitmap, 1);
}
