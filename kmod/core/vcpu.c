// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU object and its file descriptor: run, registers, statistics and
 * the mmap()-ed run structure.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/io.h>

#include "lv.h"
#include "validate.h"
#include "../vmx/vmcs.h"

/* registers live in the VMCS: make it current on this CPU while we touch it */
static void vcpu_vmcs_get(struct lv_vcpu *vcpu)
{
	preempt_disable();
	lv_vmcs_load(vcpu);
}

static void vcpu_vmcs_put(void)
{
	preempt_enable();
}

static long vcpu_get_regs(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_regs regs;

	vcpu_vmcs_get(vcpu);
	lv_vmcs_get_regs(vcpu, &regs);
	vcpu_vmcs_put();
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long vcpu_set_regs(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	if (lv_validate_regs(&regs)) {
		lv_warn("LV_SET_REGS: invalid RFLAGS 0x%llx\n", regs.rflags);
		return -EINVAL;
	}
	vcpu_vmcs_get(vcpu);
	lv_vmcs_set_regs(vcpu, &regs);
	vcpu_vmcs_put();
	return 0;
}

static long vcpu_get_sregs(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_sregs sregs;

	vcpu_vmcs_get(vcpu);
	lv_vmcs_get_sregs(vcpu, &sregs);
	vcpu_vmcs_put();
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long vcpu_set_sregs(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	if (lv_validate_sregs(&sregs, lv_vmx.has_ug || lv_is_shadow(vcpu),
			      boot_cpu_data.x86_phys_bits)) {
		lv_warn("LV_SET_SREGS: invalid state (cr0 0x%llx cr4 0x%llx efer 0x%llx)\n",
			sregs.cr0, sregs.cr4, sregs.efer);
		return -EINVAL;
	}
	vcpu_vmcs_get(vcpu);
	lv_vmcs_set_sregs(vcpu, &sregs);
	vcpu_vmcs_put();
	return 0;
}

static long vcpu_run(struct lv_vcpu *vcpu, unsigned long arg)
{
	if (arg) {
		lv_warn("LV_RUN takes no argument\n");
		return -EINVAL;
	}
	return lv_vmx_run(vcpu);
}

/* ExtINT from a user-space PIC: injected when the guest can take it */
static long vcpu_interrupt(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.vector > 0xff || irq.reserved) {
		lv_warn("LV_INTERRUPT: invalid (vector %u reserved %u)\n",
			irq.vector, irq.reserved);
		return -EINVAL;
	}
	if (vcpu->extint >= 0) {
		lv_warn("LV_INTERRUPT: vector %d still waits for injection\n",
			vcpu->extint);
		return -EBUSY;
	}
	WRITE_ONCE(vcpu->extint, irq.vector);
	return 0;
}

/* the exit counts by reason are those of the exit statistics */
static long vcpu_get_stats(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_vcpu_stats st = vcpu->stats;
	unsigned int r;

	st.exits = 0;
	for (r = 0; r < LV_NR_EXIT_REASONS; r++) {
		st.by_reason[r] = lv_exit_count(&vcpu->clock, r);
		st.exits += st.by_reason[r];
	}
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long vcpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lv_vcpu *vcpu = file->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	/* lock-free: the counters are read while the vCPU runs */
	if (cmd == LV_GET_EXIT_STATS)
		return lv_stats_get_vcpu(vcpu, argp);

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case LV_RUN:
		ret = vcpu_run(vcpu, arg);
		break;
	case LV_GET_REGS:
		ret = vcpu_get_regs(vcpu, argp);
		break;
	case LV_SET_REGS:
		ret = vcpu_set_regs(vcpu, argp);
		break;
	case LV_GET_SREGS:
		ret = vcpu_get_sregs(vcpu, argp);
		break;
	case LV_SET_SREGS:
		ret = vcpu_set_sregs(vcpu, argp);
		break;
	case LV_GET_STATS:
		ret = vcpu_get_stats(vcpu, argp);
		break;
	case LV_TRACE_ENABLE:
		ret = lv_trace_enable(vcpu, argp);
		break;
	case LV_SET_EXIT_POLICY:
		ret = lv_policy_set_vcpu(vcpu, argp);
		break;
	case LV_INTERRUPT:
		ret = vcpu_interrupt(vcpu, argp);
		break;
	default:
		lv_warn("unknown vCPU ioctl 0x%x\n", cmd);
		ret = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static vm_fault_t vcpu_fault(struct vm_fault *vmf)
{
	struct lv_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff == 0)
		vmf->page = virt_to_page(vcpu->run);
	else
		vmf->page = lv_trace_page(vcpu, vmf->pgoff);
	if (!vmf->page)
		return VM_FAULT_SIGBUS;
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct lv_vcpu_vm_ops = {
	.fault = vcpu_fault,
};

/*
 * The run page: exactly one page at offset 0; the trace ring: its pages
 * from LV_TRACE_MMAP_OFFSET, once LV_TRACE_ENABLE made it.  Served by
 * vcpu_fault().
 */
static int vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct lv_vcpu *vcpu = file->private_data;
	unsigned long pages = vma_pages(vma);
	bool ok;

	if (vma->vm_pgoff == 0)
		ok = pages == 1;
	else
		ok = lv_trace_page(vcpu, vma->vm_pgoff) &&
		     lv_trace_page(vcpu, vma->vm_pgoff + pages - 1);
	if (!ok) {
		lv_warn("vCPU mmap: only the run page at offset 0 or the trace ring at %d\n",
			LV_TRACE_MMAP_OFFSET);
		return -EINVAL;
	}
	vma->vm_ops = &lv_vcpu_vm_ops;
	return 0;
}

static void vcpu_free(struct lv_vcpu *vcpu)
{
	lv_debugfs_vcpu_remove(vcpu);
	lv_stats_vcpu_free(vcpu);
	free_page((unsigned long)vcpu->msr_bitmap);
	lv_shadow_vcpu_destroy(vcpu);
	lv_lapic_destroy(&vcpu->lapic);
	lv_vmcs_destroy(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static int vcpu_release(struct inode *inode, struct file *file)
{
	struct lv_vcpu *vcpu = file->private_data;
	struct lv_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	RCU_INIT_POINTER(vm->vcpus[vcpu->id], NULL);
	vm->nr_vcpus--;
	mutex_unlock(&vm->lock);
	/* interrupt delivery (lapic.c) may still look at it until then */
	synchronize_rcu();
	vcpu_free(vcpu);
	lv_vm_put(vm);
	return 0;
}

static const struct file_operations lv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vcpu_ioctl,
	.mmap		= vcpu_mmap,
	.release	= vcpu_release,
	.llseek		= noop_llseek,
};

/**
 * lv_vcpu_create() - create a vCPU and return a file descriptor for it
 * @vm: the VM
 * @id: vCPU id, 0 .. LV_MAX_VCPUS - 1
 *
 * Return: the fd; -EINVAL for an id out of range; -EEXIST if the id is
 * taken; -ENOMEM; -EIO if the VMCS could not be set up.
 */
int lv_vcpu_create(struct lv_vm *vm, unsigned long id)
{
	struct lv_vcpu *vcpu;
	int fd, err;

	if (!lv_have_vmx) {
		lv_warn("LV_CREATE_VCPU: this CPU has no VMX: VMs hold memory and devices only\n");
		return -ENODEV;
	}
	if (id >= LV_MAX_VCPUS) {
		lv_warn("LV_CREATE_VCPU: id %lu out of range (max %d)\n",
			id, LV_MAX_VCPUS - 1);
		return -EINVAL;
	}
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (struct lv_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->msr_bitmap || lv_stats_vcpu_init(vcpu) ||
	    !fpu_alloc_guest_fpstate(&vcpu->guest_fpu)) {
		lv_stats_vcpu_free(vcpu);
		free_page((unsigned long)vcpu->msr_bitmap);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
		return -ENOMEM;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	vcpu->extint = -1;
	vcpu->mode = LV_MODE_OUTSIDE;
	/* the BSP runs; the APs wait for INIT and SIPI, as after RESET */
	vcpu->mp_state = id == 0 ? LV_MP_RUNNABLE : LV_MP_WAIT_SIPI;
	vcpu->cpuid_fastpath = true;
	set_bit(LV_EV_POLICY, &vcpu->events);	/* the VM's, at the first entry */

	mutex_lock(&vm->lock);
	if (rcu_access_pointer(vm->vcpus[id])) {
		lv_warn("LV_CREATE_VCPU: vCPU %lu exists\n", id);
		err = -EEXIST;
		goto fail_locked;
	}
	err = lv_vmcs_create(vcpu);
	if (err)
		goto fail_locked;
	lv_lapic_init(&vcpu->lapic, vcpu);
	kref_get(&vm->kref);
	fd = anon_inode_getfd("labvisor-vcpu", &lv_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mutex_unlock(&vm->lock);
		vcpu_free(vcpu);
		lv_vm_put(vm);
		return fd;
	}
	lv_debugfs_vcpu_add(vcpu);
	rcu_assign_pointer(vm->vcpus[id], vcpu);
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);
	return fd;

fail_locked:
	mutex_unlock(&vm->lock);
	lv_stats_vcpu_free(vcpu);
	free_page((unsigned long)vcpu->msr_bitmap);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return err;
}
