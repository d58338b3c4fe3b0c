// SPDX-License-Identifier: GPL-2.0
/*
 * The VM object and its file descriptor: memory slots and vCPU creation.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "lv.h"
#include "validate.h"
#include "../virtio/eventfd.h"
#include "../vtd/vtd.h"

static void vm_free(struct kref *kref)
{
	struct lv_vm *vm = container_of(kref, struct lv_vm, kref);

	lv_hook_vm_event(vm, false);
	lv_debugfs_vm_remove(vm);
	lv_irqfd_release_all(vm);
	lv_ioeventfd_release_all(vm);
	/* no device may reach the slots once they are unpinned */
	lv_vtd_vm_destroy(vm);
	lv_shadow_vm_destroy(vm);
	lv_memslots_free(vm);
	/* no vCPU is left, so no CPU can still walk these tables */
	lv_vmx_invept_all();
	lv_ept_destroy(&vm->ept);
	lv_policy_vm_free(vm);
	kfree(vm);
}

/**
 * lv_vm_put() - drop a reference to a VM
 * @vm: the VM; freed with the last reference
 */
void lv_vm_put(struct lv_vm *vm)
{
	kref_put(&vm->kref, vm_free);
}

static long vm_set_memory_region(struct lv_vm *vm, void __user *argp)
{
	struct lv_memory_region r;
	int err;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	err = lv_validate_region(&r, LV_MAX_SLOTS, boot_cpu_data.x86_phys_bits);
	if (err) {
		lv_warn("LV_SET_MEMORY_REGION: invalid region (slot %u flags 0x%x gpa 0x%llx size 0x%llx uaddr 0x%llx)\n",
			r.slot, r.flags, r.gpa, r.size, r.uaddr);
		return err;
	}
	return lv_set_memory_region(vm, &r);
}

static long vm_get_stats(struct lv_vm *vm, void __user *argp)
{
	struct lv_vm_stats st = { 0 };
	struct lv_memslots *slots;
	int i;

	mutex_lock(&vm->lock);
	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	st.slots = slots->nr;
	for (i = 0; i < slots->nr; i++)
		st.pinned_pages += slots->slot[i]->npages;
	st.ept_tables = vm->ept.nr_tables;
	st.ept_4k = vm->ept.nr_4k;
	st.ept_2m = vm->ept.nr_2m;
	mutex_unlock(&vm->lock);
	st.ioeventfd_signals = atomic64_read(&vm->counters.ioeventfd_signals);
	st.irqfd_injections = atomic64_read(&vm->counters.irqfd_injections);
	st.user_exits = atomic64_read(&vm->counters.user_exits);
	lv_vtd_vm_stats(vm, &st);
	lv_shadow_stats(vm, &st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long vm_signal_msi(struct lv_vm *vm, void __user *argp)
{
	struct lv_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (msi.flags || msi.reserved[0] || msi.reserved[1] ||
	    lv_validate_msi(msi.address, msi.data)) {
		lv_warn("LV_SIGNAL_MSI: invalid message 0x%llx/0x%x (flags 0x%x)\n",
			msi.address, msi.data, msi.flags);
		return -EINVAL;
	}
	return lv_lapic_deliver_msi(vm, msi.address, msi.data);
}

static long vm_ioeventfd(struct lv_vm *vm, void __user *argp)
{
	struct lv_ioeventfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return lv_ioeventfd_ioctl(vm, &args);
}

static long vm_irqfd(struct lv_vm *vm, void __user *argp)
{
	struct lv_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	return lv_irqfd_ioctl(vm, &args);
}

static long vm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lv_vm *vm = file->private_data;

	switch (cmd) {
	case LV_SIGNAL_MSI:
		return vm_signal_msi(vm, (void __user *)arg);
	case LV_IOEVENTFD:
		return vm_ioeventfd(vm, (void __user *)arg);
	case LV_IRQFD:
		return vm_irqfd(vm, (void __user *)arg);
	case LV_SET_MEMORY_REGION:
		return vm_set_memory_region(vm, (void __user *)arg);
	case LV_CREATE_VCPU:
		return lv_vcpu_create(vm, arg);
	case LV_GET_VM_STATS:
		return vm_get_stats(vm, (void __user *)arg);
	case LV_GET_VM_EXIT_STATS:
		return lv_stats_get_vm(vm, (void __user *)arg);
	case LV_SET_VM_EXIT_POLICY:
		return lv_policy_set_vm(vm, (void __user *)arg);
	case LV_SET_CPUID:
		return lv_policy_set_cpuid(vm, (void __user *)arg);
	case LV_SET_MSR_OVERRIDES:
		return lv_policy_set_msrs(vm, (void __user *)arg);
	case LV_ASSIGN_DEVICE:
		return lv_vtd_assign_ioctl(vm, (void __user *)arg);
	case LV_UNASSIGN_DEVICE:
		return lv_vtd_unassign_ioctl(vm, (void __user *)arg);
	case LV_SET_DEVICE_IRQ:
		return lv_vtd_irq_ioctl(vm, (void __user *)arg);
	case LV_SET_TSS_ADDR:
		return lv_vm86_set_tss(vm, arg);
	}
	lv_warn("unknown VM ioctl 0x%x\n", cmd);
	return -ENOTTY;
}

static int vm_release(struct inode *inode, struct file *file)
{
	lv_vm_put(file->private_data);
	return 0;
}

static const struct file_operations lv_vm_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vm_ioctl,
	.release	= vm_release,
	.llseek		= noop_llseek,
};

/**
 * lv_vm_create() - create a VM and return a file descriptor for it
 * @mode: LV_VM_EPT or LV_VM_SHADOW
 *
 * Return: the fd, -EINVAL for an unknown mode, -EOPNOTSUPP if the CPU or
 * this version cannot run the mode, -ENOMEM, or an fd allocation error.
 */
int lv_vm_create(u32 mode)
{
	struct lv_memslots *slots;
	struct lv_vm *vm;
	int fd, err;

	if (mode != LV_VM_EPT && mode != LV_VM_SHADOW) {
		lv_warn("LV_CREATE_VM: unknown memory mode %u\n", mode);
		return -EINVAL;
	}
	/* without VMX a VM holds memory and devices, but no vCPU */
	if (mode == LV_VM_SHADOW && !lv_have_vmx) {
		lv_warn("LV_CREATE_VM: shadow paging needs VMX, which this CPU lacks\n");
		return -EOPNOTSUPP;
	}
	if (mode == LV_VM_EPT && lv_have_vmx &&
	    (!lv_vmx.has_ept || !lv_vmx.has_ug || !lv_vmx.has_efer_pat)) {
		lv_warn("LV_CREATE_VM: this CPU lacks %s, which EPT VMs need; create an LV_VM_SHADOW VM\n",
			!lv_vmx.has_ept ? "EPT" : !lv_vmx.has_ug ?
			"unrestricted guest" : "the VM-entry/exit EFER and PAT controls");
		return -EOPNOTSUPP;
	}

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	slots = kzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!vm || !slots) {
		err = -ENOMEM;
		goto fail;
	}
	err = lv_ept_init(&vm->ept);
	if (err)
		goto fail;
	if (mode == LV_VM_SHADOW) {
		err = lv_shadow_vm_init(vm);
		if (err) {
			lv_ept_destroy(&vm->ept);
			goto fail;
		}
	}
	kref_init(&vm->kref);
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->irqfds);
	spin_lock_init(&vm->irqfd_lock);
	vm->mode = mode;
	RCU_INIT_POINTER(vm->slots, slots);
	lv_debugfs_vm_add(vm);

	fd = anon_inode_getfd("labvisor-vm", &lv_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		lv_debugfs_vm_remove(vm);
		lv_shadow_vm_destroy(vm);
		lv_ept_destroy(&vm->ept);
		err = fd;
		goto fail;
	}
	lv_hook_vm_event(vm, true);
	return fd;

fail:
	kfree(slots);
	kfree(vm);
	return err;
}
