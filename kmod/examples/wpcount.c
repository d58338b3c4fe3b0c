// SPDX-License-Identifier: GPL-2.0
/*
 * lv_wpcount: an example experiment on labvisor's hook API (kmod/core/hook.h).
 *
 * It counts a guest's writes to a guest-physical range.  Every VM created
 * while the module is loaded gets the range write-protected in its EPT;
 * each guest write there reaches protected_write() once, before labvisor
 * performs it.
 *
 *   insmod lv_wpcount.ko gpa=0x190000 len=4096
 *   ... run a VM ...
 *   cat /sys/module/lv_wpcount/parameters/writes
 *
 * The count is over all VMs since the module was loaded; writing 0 to the
 * parameter resets it.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/sysfs.h>

#include "../core/hook.h"

static unsigned long gpa = 0x190000;
module_param(gpa, ulong, 0444);
MODULE_PARM_DESC(gpa, "First guest-physical address to watch (page aligned)");

static unsigned long len = 4096;
module_param(len, ulong, 0444);
MODULE_PARM_DESC(len, "Bytes to watch (a multiple of 4096)");

static atomic_long_t writes = ATOMIC_LONG_INIT(0);

static int writes_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&writes));
}

static int writes_set(const char *val, const struct kernel_param *kp)
{
	long v;
	int err = kstrtol(val, 0, &v);

	if (err || v)
		return err ?: -EINVAL;
	atomic_long_set(&writes, 0);
	return 0;
}

static const struct kernel_param_ops writes_ops = {
	.get = writes_get,
	.set = writes_set,
};
module_param_cb(writes, &writes_ops, NULL, 0644);
MODULE_PARM_DESC(writes, "Guest writes seen in the range (write 0 to reset)");

static void wpcount_vm_create(struct lv_hook *hook, struct lv_vm *vm)
{
	int err = lv_hook_protect_gpa(vm, gpa, len);

	if (err)
		pr_warn("lv_wpcount: cannot watch 0x%lx+0x%lx in the VM of pid %d: %d\n",
			gpa, len, lv_hook_vm_pid(vm), err);
}

static void wpcount_write(struct lv_hook *hook, struct lv_vcpu *vcpu, u64 at,
			  unsigned int size)
{
	/* several vCPUs may write at once */
	atomic_long_inc(&writes);
}

static struct lv_hook wpcount_hook = {
	.name = "lv_wpcount",
	.vm_create = wpcount_vm_create,
	.protected_write = wpcount_write,
};

static int __init wpcount_init(void)
{
	if (!len || ((gpa | len) & (PAGE_SIZE - 1))) {
		pr_err("lv_wpcount: gpa and len must be page aligned, len not 0\n");
		return -EINVAL;
	}
	return lv_hook_register(&wpcount_hook);
}

static void __exit wpcount_exit(void)
{
	lv_hook_unregister(&wpcount_hook);
}

module_init(wpcount_init);
module_exit(wpcount_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("labvisor example experiment: count guest writes to a guest-physical range");
