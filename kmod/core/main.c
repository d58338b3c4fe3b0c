// SPDX-License-Identifier: GPL-2.0
/*
 * labvisor: a hypervisor in a kernel module, with its own VMX driver.
 *
 * This file: module load and unload, and /dev/labvisor, the system fd
 * (API version, capabilities, VM creation).
 *
 * On a CPU without VMX (QEMU's TCG, say) the module still loads, for
 * device assignment: nothing of kmod/vmx is initialised (no VMXON, no CPU
 * hotplug callbacks, no check for another hypervisor), VMs hold memory
 * slots and devices, and LV_CREATE_VCPU fails with -ENODEV.  LV_GET_CAPS
 * then reports vmx_basic 0 and no VMX capability bit.
 */
#include <linux/cpu.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>

#include "lv.h"
#include "../vmx/exit.h"
#include "../vmx/vmcs.h"
#include "../virtio/eventfd.h"
#include "../vtd/vtd.h"

u64 lv_host_xcr0;
/* VMX root operation is on (false: the module serves VMs without vCPUs) */
bool lv_have_vmx;

static long lv_get_caps(void __user *argp)
{
	struct lv_caps caps = {
		.api_version = LV_API_VERSION,
		.max_vcpus = LV_MAX_VCPUS,
		.max_slots = LV_MAX_SLOTS,
		.run_mmap_size = PAGE_SIZE,
	};

	if (lv_vtd_available())
		caps.flags |= LV_CAP_VTD | LV_CAP_DEVICE_IRQ;
	if (!lv_have_vmx)
		return copy_to_user(argp, &caps, sizeof(caps)) ? -EFAULT : 0;
	caps.vmx_basic = lv_vmx.basic;
	caps.ept_vpid_cap = lv_vmx.ept_vpid;
	if (lv_vmx.has_ept)
		caps.flags |= LV_CAP_EPT;
	if (lv_vmx.has_ept_2m)
		caps.flags |= LV_CAP_EPT_2M;
	if (lv_vmx.has_vpid)
		caps.flags |= LV_CAP_VPID;
	if (lv_vmx.has_ug)
		caps.flags |= LV_CAP_UNRESTRICTED;
	caps.flags |= LV_CAP_SHADOW | LV_CAP_VM86;
	caps.flags |= LV_CAP_LAPIC | LV_CAP_IOEVENTFD | LV_CAP_IRQFD;
	caps.flags |= LV_CAP_EXIT_STATS | LV_CAP_TRACE | LV_CAP_EXIT_POLICY;
	return copy_to_user(argp, &caps, sizeof(caps)) ? -EFAULT : 0;
}

static long lv_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case LV_GET_API_VERSION:
		if (arg) {
			lv_warn("LV_GET_API_VERSION takes no argument\n");
			return -EINVAL;
		}
		return LV_API_VERSION;
	case LV_GET_CAPS:
		return lv_get_caps((void __user *)arg);
	case LV_CREATE_VM:
		if (arg > U32_MAX) {
			lv_warn("LV_CREATE_VM: unknown memory mode %lu\n", arg);
			return -EINVAL;
		}
		return lv_vm_create(arg);
	}
	lv_warn("unknown system ioctl 0x%x\n", cmd);
	return -ENOTTY;
}

static const struct file_operations lv_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= lv_dev_ioctl,
	.llseek		= noop_llseek,
};

static ssize_t vmx_cpus_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(lv_vmx_cpus()));
}
static DEVICE_ATTR_RO(vmx_cpus);

static struct attribute *lv_dev_attrs[] = {
	&dev_attr_vmx_cpus.attr,
	NULL,
};
ATTRIBUTE_GROUPS(lv_dev);

static struct miscdevice lv_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "labvisor",
	.fops	= &lv_dev_fops,
	.groups	= lv_dev_groups,
	.mode	= 0600,
};

/* VMX root on every CPU and what the run loop needs; -ENODEV: no VMX */
static int lv_vmx_up(void)
{
	int err;

	err = lv_vmx_init();
	if (err)
		return err;
	err = lv_vmcs_global_init();
	if (err)
		goto fail_vmx;
	err = lv_vmx_run_init();
	if (err)
		goto fail_vmcs;
	lv_cpuid_init();
	err = lv_policy_init();
	if (err)
		goto fail_run;
	lv_have_vmx = true;
	return 0;

fail_run:
	lv_vmx_run_exit();
fail_vmcs:
	lv_vmcs_global_exit();
fail_vmx:
	lv_vmx_exit();
	return err;
}

static void lv_vmx_down(void)
{
	if (!lv_have_vmx)
		return;
	lv_policy_exit();
	lv_vmx_run_exit();
	lv_vmcs_global_exit();
	lv_vmx_exit();
	lv_have_vmx = false;
}

static int __init lv_init(void)
{
	int err;

	if (boot_cpu_has(X86_FEATURE_XSAVE))
		lv_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	/* CPUID says no VMX: lv_vmx_init() touched nothing */
	err = lv_vmx_up();
	if (err == -ENODEV)
		pr_info("labvisor: no VMX: VMs get memory and devices, not vCPUs\n");
	else if (err)
		return err;
	err = lv_vtd_init();
	if (err)
		goto fail_vmx;
	err = lv_irqfd_init();
	if (err)
		goto fail_vtd;
	lv_debugfs_init();
	err = misc_register(&lv_dev);
	if (err)
		goto fail_debugfs;
	pr_info("labvisor: ready, API version %d, /dev/labvisor\n", LV_API_VERSION);
	return 0;

fail_debugfs:
	lv_debugfs_exit();
	lv_irqfd_exit();
fail_vtd:
	lv_vtd_exit();
fail_vmx:
	lv_vmx_down();
	return err;
}

static void __exit lv_exit(void)
{
	misc_deregister(&lv_dev);
	lv_debugfs_exit();
	lv_irqfd_exit();
	lv_vtd_exit();
	lv_vmx_down();
	pr_info("labvisor: unloaded\n");
}

module_init(lv_init);
module_exit(lv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("labvisor: a VMX hypervisor for systems research");
MODULE_AUTHOR("The labvisor authors");
