/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The experiment hook API: how another kernel module watches or handles a
 * labvisor VM's exits.  The module includes this header and links against
 * labvisor.ko's EXPORT_SYMBOL_GPL symbols (kmod/examples/wpcount.c is one).
 *
 * One hook at a time.  @exit and @protected_write run on the thread of the
 * vCPU that exited, with preemption off: they must not sleep.  @vm_create
 * and @vm_destroy run in process context and may sleep (and call
 * lv_hook_protect_gpa()).  The hook sees VMs created after
 * lv_hook_register(); lv_hook_unregister() returns once no callback runs.
 */
#ifndef LV_HOOK_H
#define LV_HOOK_H

#include <linux/types.h>

struct lv_vm;
struct lv_vcpu;

/**
 * struct lv_hook_exit - one VM exit, as a hook sees it
 * @reason: basic exit reason
 * @qualification: exit qualification
 * @rip: guest RIP of the exiting instruction
 * @gpa: guest-physical address (EPT violations), else 0
 */
struct lv_hook_exit {
	u16 reason;
	u64 qualification;
	u64 rip;
	u64 gpa;
};

/* what lv_hook.exit returns */
#define LV_HOOK_CONTINUE	0	/* labvisor handles the exit as usual */
#define LV_HOOK_HANDLED		1	/* the hook did it: enter the guest */

/**
 * struct lv_hook - the callbacks of an experiment module (any may be NULL)
 * @name: shown in dmesg
 * @vm_create: a VM was created (no memory, no vCPU yet)
 * @vm_destroy: a VM is going away
 * @exit: every exit of every vCPU, before labvisor handles it (exits the
 *	fast path would take come here too while a hook is registered)
 * @protected_write: the guest wrote @len bytes at @gpa in a range given to
 *	lv_hook_protect_gpa(); called before labvisor performs the write
 */
struct lv_hook {
	const char *name;
	void (*vm_create)(struct lv_hook *hook, struct lv_vm *vm);
	void (*vm_destroy)(struct lv_hook *hook, struct lv_vm *vm);
	int (*exit)(struct lv_hook *hook, struct lv_vcpu *vcpu,
		    const struct lv_hook_exit *exit);
	void (*protected_write)(struct lv_hook *hook, struct lv_vcpu *vcpu,
				u64 gpa, unsigned int len);
};

int lv_hook_register(struct lv_hook *hook);
void lv_hook_unregister(struct lv_hook *hook);
int lv_hook_protect_gpa(struct lv_vm *vm, u64 gpa, u64 len);
struct lv_vm *lv_hook_vcpu_vm(struct lv_vcpu *vcpu);
u32 lv_hook_vcpu_id(const struct lv_vcpu *vcpu);
pid_t lv_hook_vm_pid(const struct lv_vm *vm);

#endif /* LV_HOOK_H */
