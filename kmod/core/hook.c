// SPDX-License-Identifier: GPL-2.0
/*
 * The experiment hook API (hook.h): one registered hook, called from the
 * exit path while lv_hook_active is on, and write-protected guest-physical
 * ranges whose writes the hook hears of.
 *
 * A protected write is an EPT violation on a page of RAM: exit.c decodes
 * the instruction as it does for MMIO, calls the hook, performs the write
 * through the slot and steps over the instruction, so every write is seen
 * once and none is lost.  Instructions the MMIO decoder does not know
 * (string moves, read-modify-write) fail the VM with an emulation error.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "hook.h"
#include "lv.h"
#include "../vmx/vmx.h"

DEFINE_STATIC_KEY_FALSE(lv_hook_active);
static struct lv_hook __rcu *lv_hook;
static DEFINE_MUTEX(lv_hook_lock);

/**
 * lv_hook_register() - install an experiment hook
 * @hook: the callbacks; they stay in use until lv_hook_unregister()
 *
 * Return: 0, or -EBUSY if a hook is registered already.
 */
int lv_hook_register(struct lv_hook *hook)
{
	int err = 0;

	mutex_lock(&lv_hook_lock);
	if (rcu_access_pointer(lv_hook)) {
		err = -EBUSY;
	} else {
		rcu_assign_pointer(lv_hook, hook);
		static_branch_enable(&lv_hook_active);
		pr_info("labvisor: hook %s registered\n", hook->name);
	}
	mutex_unlock(&lv_hook_lock);
	return err;
}
EXPORT_SYMBOL_GPL(lv_hook_register);

/**
 * lv_hook_unregister() - remove the hook; no callback runs when it returns
 * @hook: the registered hook
 */
void lv_hook_unregister(struct lv_hook *hook)
{
	mutex_lock(&lv_hook_lock);
	if (rcu_access_pointer(lv_hook) == hook) {
		static_branch_disable(&lv_hook_active);
		RCU_INIT_POINTER(lv_hook, NULL);
		/* callers run with preemption off: an RCU read side */
		synchronize_rcu();
		pr_info("labvisor: hook %s unregistered\n", hook->name);
	}
	mutex_unlock(&lv_hook_lock);
}
EXPORT_SYMBOL_GPL(lv_hook_unregister);

/**
 * lv_hook_vcpu_vm() - the VM of a vCPU
 * @vcpu: the vCPU a callback got
 *
 * Return: its VM.
 */
struct lv_vm *lv_hook_vcpu_vm(struct lv_vcpu *vcpu)
{
	return vcpu->vm;
}
EXPORT_SYMBOL_GPL(lv_hook_vcpu_vm);

/**
 * lv_hook_vcpu_id() - a vCPU's id
 * @vcpu: the vCPU a callback got
 *
 * Return: the id given to LV_CREATE_VCPU.
 */
u32 lv_hook_vcpu_id(const struct lv_vcpu *vcpu)
{
	return vcpu->id;
}
EXPORT_SYMBOL_GPL(lv_hook_vcpu_id);

/**
 * lv_hook_vm_pid() - the process that created a VM
 * @vm: the VM a callback got
 *
 * Return: its thread-group id (the <pid> of its debugfs directory).
 */
pid_t lv_hook_vm_pid(const struct lv_vm *vm)
{
	return vm->pid;
}
EXPORT_SYMBOL_GPL(lv_hook_vm_pid);

/* write-protect what slot @s maps of range @r */
static int protect_slot(struct lv_vm *vm, const struct lv_slot *s,
			const struct lv_wp_range *r)
{
	u64 end = s->gpa + (s->npages << PAGE_SHIFT);
	u64 from = max(r->gpa, s->gpa), to = min(r->gpa + r->len, end);

	if (from >= to)
		return 0;
	return lv_ept_write_protect(&vm->ept, from, (to - from) >> PAGE_SHIFT);
}

static int protect(struct lv_vm *vm, const struct lv_wp_range *r)
{
	struct lv_memslots *slots;
	int i, err = 0;

	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	for (i = 0; i < slots->nr && !err; i++)
		err = protect_slot(vm, slots->slot[i], r);
	return err;
}

/**
 * lv_hook_protect_gpa() - make guest writes to a range visible to the hook
 * @vm: the VM (from a callback)
 * @gpa: first guest-physical address, page aligned
 * @len: bytes, a multiple of the page size
 *
 * The range stays protected for the VM's life, including memory added to
 * it later; reads and instruction fetches run at full speed.  Only EPT
 * VMs.  May sleep.
 *
 * Return: 0; -EINVAL for a bad range or a VM without EPT; -ENOSPC after
 * LV_HOOK_MAX_RANGES ranges; -ENOMEM.
 */
int lv_hook_protect_gpa(struct lv_vm *vm, u64 gpa, u64 len)
{
	struct lv_wp_range *r;
	int err;

	if (!len || ((gpa | len) & ~PAGE_MASK) || gpa + len < gpa ||
	    gpa + len > LV_EPT_MAX_GPA || vm->mode != LV_VM_EPT)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->nr_wp == LV_HOOK_MAX_RANGES) {
		mutex_unlock(&vm->lock);
		return -ENOSPC;
	}
	r = &vm->wp[vm->nr_wp];
	r->gpa = gpa;
	r->len = len;
	/* readers (exit handlers) see the range before the EPT changes */
	smp_store_release(&vm->nr_wp, vm->nr_wp + 1);
	err = protect(vm, r);
	mutex_unlock(&vm->lock);
	lv_vmx_invept_all();
	return err;
}
EXPORT_SYMBOL_GPL(lv_hook_protect_gpa);

/**
 * lv_hook_slot_mapped() - protect what a new slot maps of the ranges
 * @vm: the VM; vm->lock is held
 * @s: the slot, mapped but not published yet
 *
 * Return: 0 or -ENOMEM.
 */
int lv_hook_slot_mapped(struct lv_vm *vm, const struct lv_slot *s)
{
	int i, err = 0;

	for (i = 0; i < vm->nr_wp && !err; i++)
		err = protect_slot(vm, s, &vm->wp[i]);
	return err;
}

/**
 * lv_hook_protected() - is a guest-physical address in a protected range?
 *	If so, tell the hook of the write
 * @vcpu: the vCPU writing
 * @gpa: the address
 * @len: bytes written
 *
 * Return: true if the write is to a protected range.
 */
bool lv_hook_protected(struct lv_vcpu *vcpu, u64 gpa, unsigned int len)
{
	struct lv_vm *vm = vcpu->vm;
	struct lv_hook *hook;
	unsigned int i, n;

	/* pairs with lv_hook_protect_gpa(): the entries are filled in */
	n = smp_load_acquire(&vm->nr_wp);

	for (i = 0; i < n; i++)
		if (gpa >= vm->wp[i].gpa && gpa - vm->wp[i].gpa < vm->wp[i].len)
			break;
	if (i == n)
		return false;
	rcu_read_lock();
	hook = rcu_dereference(lv_hook);
	if (hook && hook->protected_write)
		hook->protected_write(hook, vcpu, gpa, len);
	rcu_read_unlock();
	return true;
}

/**
 * lv_hook_call_exit() - give an exit to the hook first
 * @vcpu: the vCPU, VMCS current
 * @reason: basic exit reason
 *
 * Return: LV_HOOK_CONTINUE or LV_HOOK_HANDLED.
 */
int lv_hook_call_exit(struct lv_vcpu *vcpu, u16 reason)
{
	struct lv_hook_exit e = { .reason = reason };
	struct lv_hook *hook;
	int ret = LV_HOOK_CONTINUE;

	rcu_read_lock();
	hook = rcu_dereference(lv_hook);
	if (hook && hook->exit) {
		e.qualification = lv_vmread(EXIT_QUALIFICATION);
		e.rip = lv_vmread(GUEST_RIP);
		if (reason == EXIT_REASON_EPT_VIOLATION)
			e.gpa = lv_vmread64(GUEST_PHYSICAL_ADDRESS);
		ret = hook->exit(hook, vcpu, &e);
	}
	rcu_read_unlock();
	return ret == LV_HOOK_HANDLED ? ret : LV_HOOK_CONTINUE;
}

/**
 * lv_hook_vm_event() - tell the hook a VM was created or is going away
 * @vm: the VM
 * @created: created, else destroyed
 */
void lv_hook_vm_event(struct lv_vm *vm, bool created)
{
	struct lv_hook *hook;

	if (!static_branch_unlikely(&lv_hook_active))
		return;
	/* these two may sleep: the hook lock, not RCU, keeps the hook */
	mutex_lock(&lv_hook_lock);
	hook = rcu_dereference_protected(lv_hook, lockdep_is_held(&lv_hook_lock));
	if (hook && created && hook->vm_create)
		hook->vm_create(hook, vm);
	else if (hook && !created && hook->vm_destroy)
		hook->vm_destroy(hook, vm);
	mutex_unlock(&lv_hook_lock);
}
