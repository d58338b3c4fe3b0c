// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statistics: storage, LV_GET_EXIT_STATS and debugfs.
 *
 * The counters are written only by the thread running the vCPU (run.c) and
 * read here without a lock: each 64-bit counter is read whole, the set is
 * not a snapshot.  debugfs, under /sys/kernel/debug/labvisor/:
 *
 *   <pid>-<n>/info           pid, memory mode, vCPUs
 *   <pid>-<n>/exits          per reason: count, user count, kernel and
 *                            user ticks, summed over the vCPUs
 *   <pid>-<n>/hist           per reason and kind: the 32 log2 buckets
 *   <pid>-<n>/vcpuN/exits    the same for one vCPU
 *   <pid>-<n>/vcpuN/hist
 */
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/vmx.h>

#include "lv.h"
#include "stats.h"

static const char *const reason_names[LV_NR_EXIT_REASONS] = {
	[EXIT_REASON_EXCEPTION_NMI]		= "exception_nmi",
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= "external_interrupt",
	[EXIT_REASON_TRIPLE_FAULT]		= "triple_fault",
	[EXIT_REASON_INIT_SIGNAL]		= "init_signal",
	[EXIT_REASON_SIPI_SIGNAL]		= "sipi_signal",
	[EXIT_REASON_INTERRUPT_WINDOW]		= "interrupt_window",
	[EXIT_REASON_NMI_WINDOW]		= "nmi_window",
	[EXIT_REASON_TASK_SWITCH]		= "task_switch",
	[EXIT_REASON_CPUID]			= "cpuid",
	[11]					= "getsec",
	[EXIT_REASON_HLT]			= "hlt",
	[EXIT_REASON_INVD]			= "invd",
	[EXIT_REASON_INVLPG]			= "invlpg",
	[EXIT_REASON_RDPMC]			= "rdpmc",
	[EXIT_REASON_RDTSC]			= "rdtsc",
	[17]					= "rsm",
	[EXIT_REASON_VMCALL]			= "vmcall",
	[EXIT_REASON_VMCLEAR]			= "vmclear",
	[EXIT_REASON_VMLAUNCH]			= "vmlaunch",
	[EXIT_REASON_VMPTRLD]			= "vmptrld",
	[EXIT_REASON_VMPTRST]			= "vmptrst",
	[EXIT_REASON_VMREAD]			= "vmread",
	[EXIT_REASON_VMRESUME]			= "vmresume",
	[EXIT_REASON_VMWRITE]			= "vmwrite",
	[EXIT_REASON_VMOFF]			= "vmxoff",
	[EXIT_REASON_VMON]			= "vmxon",
	[EXIT_REASON_CR_ACCESS]			= "cr_access",
	[EXIT_REASON_DR_ACCESS]			= "dr_access",
	[EXIT_REASON_IO_INSTRUCTION]		= "io",
	[EXIT_REASON_MSR_READ]			= "rdmsr",
	[EXIT_REASON_MSR_WRITE]			= "wrmsr",
	[EXIT_REASON_INVALID_STATE]		= "invalid_state",
	[EXIT_REASON_MSR_LOAD_FAIL]		= "msr_load_fail",
	[EXIT_REASON_MWAIT_INSTRUCTION]		= "mwait",
	[EXIT_REASON_MONITOR_TRAP_FLAG]		= "monitor_trap_flag",
	[EXIT_REASON_MONITOR_INSTRUCTION]	= "monitor",
	[EXIT_REASON_PAUSE_INSTRUCTION]		= "pause",
	[EXIT_REASON_MCE_DURING_VMENTRY]	= "mce_during_vmentry",
	[EXIT_REASON_TPR_BELOW_THRESHOLD]	= "tpr_below_threshold",
	[EXIT_REASON_APIC_ACCESS]		= "apic_access",
	[EXIT_REASON_EOI_INDUCED]		= "eoi_induced",
	[EXIT_REASON_GDTR_IDTR]			= "gdtr_idtr",
	[EXIT_REASON_LDTR_TR]			= "ldtr_tr",
	[EXIT_REASON_EPT_VIOLATION]		= "ept_violation",
	[EXIT_REASON_EPT_MISCONFIG]		= "ept_misconfig",
	[EXIT_REASON_INVEPT]			= "invept",
	[EXIT_REASON_RDTSCP]			= "rdtscp",
	[EXIT_REASON_PREEMPTION_TIMER]		= "preemption_timer",
	[EXIT_REASON_INVVPID]			= "invvpid",
	[EXIT_REASON_WBINVD]			= "wbinvd",
	[EXIT_REASON_XSETBV]			= "xsetbv",
	[EXIT_REASON_APIC_WRITE]		= "apic_write",
	[EXIT_REASON_RDRAND]			= "rdrand",
	[EXIT_REASON_INVPCID]			= "invpcid",
	[EXIT_REASON_VMFUNC]			= "vmfunc",
	[EXIT_REASON_ENCLS]			= "encls",
	[EXIT_REASON_RDSEED]			= "rdseed",
	[EXIT_REASON_PML_FULL]			= "pml_full",
	[EXIT_REASON_XSAVES]			= "xsaves",
	[EXIT_REASON_XRSTORS]			= "xrstors",
};

/**
 * lv_exit_reason_name() - a basic exit reason's name, as lvctl prints it
 * @reason: basic exit reason
 *
 * Return: the name, or "unknown".
 */
const char *lv_exit_reason_name(unsigned int reason)
{
	if (reason < LV_NR_EXIT_REASONS && reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

/**
 * lv_stats_vcpu_init() - allocate a vCPU's exit statistics
 * @vcpu: the vCPU
 *
 * Return: 0 or -ENOMEM.
 */
int lv_stats_vcpu_init(struct lv_vcpu *vcpu)
{
	vcpu->clock.xs = kvcalloc(LV_NR_EXIT_REASONS,
				  sizeof(struct lv_exit_reason_stats),
				  GFP_KERNEL_ACCOUNT);
	return vcpu->clock.xs ? 0 : -ENOMEM;
}

/**
 * lv_stats_vcpu_free() - free a vCPU's statistics and trace ring
 * @vcpu: the vCPU
 */
void lv_stats_vcpu_free(struct lv_vcpu *vcpu)
{
	lv_trace_free(vcpu);
	kvfree(vcpu->clock.xs);
}

static void add_stats(struct lv_exit_reason_stats *to,
		      const struct lv_exit_clock *c, unsigned int r)
{
	const struct lv_exit_reason_stats *from = &c->xs[r];
	unsigned int i;

	to->count += lv_exit_count(c, r);
	to->user_count += READ_ONCE(from->user_count);
	to->kernel_ticks += READ_ONCE(from->kernel_ticks);
	to->user_ticks += READ_ONCE(from->user_ticks);
	for (i = 0; i < LV_HIST_BUCKETS; i++) {
		to->kernel_hist[i] += READ_ONCE(from->kernel_hist[i]);
		to->user_hist[i] += READ_ONCE(from->user_hist[i]);
	}
}

/* sum of reason @r over the VM's vCPUs (@vcpu NULL) or one vCPU */
static void collect(struct lv_vm *vm, struct lv_vcpu *vcpu, unsigned int r,
		    struct lv_exit_reason_stats *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	if (vcpu) {
		add_stats(out, &vcpu->clock, r);
		return;
	}
	rcu_read_lock();
	for (i = 0; i < LV_MAX_VCPUS; i++) {
		struct lv_vcpu *v = rcu_dereference(vm->vcpus[i]);

		if (v)
			add_stats(out, &v->clock, r);
	}
	rcu_read_unlock();
}

static long get_stats(struct lv_vm *vm, struct lv_vcpu *vcpu,
		      void __user *argp, const char *what)
{
	struct lv_exit_reason_stats st;
	struct lv_exit_reason_stats __user *out;
	struct lv_exit_stats req;
	unsigned int i;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.first >= LV_NR_EXIT_REASONS || !req.nr ||
	    req.nr > LV_NR_EXIT_REASONS - req.first) {
		lv_warn("%s: invalid request (first %u nr %u flags 0x%llx)\n",
			what, req.first, req.nr, req.flags);
		return -EINVAL;
	}
	out = u64_to_user_ptr(req.data);
	for (i = 0; i < req.nr; i++) {
		collect(vm, vcpu, req.first + i, &st);
		if (copy_to_user(&out[i], &st, sizeof(st)))
			return -EFAULT;
	}
	return 0;
}

/**
 * lv_stats_get_vcpu() - LV_GET_EXIT_STATS on a vCPU fd
 * @vcpu: the vCPU
 * @argp: struct lv_exit_stats
 *
 * Return: 0, -EFAULT, or -EINVAL for a bad request.
 */
long lv_stats_get_vcpu(struct lv_vcpu *vcpu, void __user *argp)
{
	return get_stats(vcpu->vm, vcpu, argp, "LV_GET_EXIT_STATS");
}

/**
 * lv_stats_get_vm() - LV_GET_VM_EXIT_STATS: the sum over a VM's vCPUs
 * @vm: the VM
 * @argp: struct lv_exit_stats
 *
 * Return: 0, -EFAULT, or -EINVAL for a bad request.
 */
long lv_stats_get_vm(struct lv_vm *vm, void __user *argp)
{
	return get_stats(vm, NULL, argp, "LV_GET_VM_EXIT_STATS");
}

/* ---- debugfs ------------------------------------------------------------- */

static struct dentry *lv_debugfs_root;
static atomic_t lv_vm_seq = ATOMIC_INIT(0);

/* i_private: the VM for the VM's files, the vCPU for a vCPU's */
struct lv_stats_src {
	struct lv_vm *vm;
	struct lv_vcpu *vcpu;
};

static void src_of(struct seq_file *m, bool vcpu_file, struct lv_stats_src *src)
{
	if (vcpu_file) {
		src->vcpu = m->private;
		src->vm = src->vcpu->vm;
	} else {
		src->vm = m->private;
		src->vcpu = NULL;
	}
}

static int show_exits(struct seq_file *m, bool vcpu_file)
{
	struct lv_exit_reason_stats st;
	struct lv_stats_src src;
	unsigned int r;

	src_of(m, vcpu_file, &src);
	seq_puts(m, "# reason name count user_count kernel_ticks user_ticks\n");
	for (r = 0; r < LV_NR_EXIT_REASONS; r++) {
		collect(src.vm, src.vcpu, r, &st);
		if (!st.count)
			continue;
		seq_printf(m, "%u %s %llu %llu %llu %llu\n", r,
			   lv_exit_reason_name(r), st.count, st.user_count,
			   st.kernel_ticks, st.user_ticks);
	}
	return 0;
}

static void show_hist_line(struct seq_file *m, unsigned int r,
			   const char *kind, const u64 *hist)
{
	unsigned int i;

	seq_printf(m, "%u %s %s", r, lv_exit_reason_name(r), kind);
	for (i = 0; i < LV_HIST_BUCKETS; i++)
		seq_printf(m, " %llu", hist[i]);
	seq_putc(m, '\n');
}

static int show_hist(struct seq_file *m, bool vcpu_file)
{
	struct lv_exit_reason_stats st;
	struct lv_stats_src src;
	unsigned int r;

	src_of(m, vcpu_file, &src);
	seq_puts(m, "# reason name kind buckets: [2^i, 2^(i+1)) ticks, i = 0..31\n");
	for (r = 0; r < LV_NR_EXIT_REASONS; r++) {
		collect(src.vm, src.vcpu, r, &st);
		if (!st.count)
			continue;
		show_hist_line(m, r, "kernel", st.kernel_hist);
		if (st.user_count)
			show_hist_line(m, r, "user", st.user_hist);
	}
	return 0;
}

static int vm_exits_show(struct seq_file *m, void *v)
{
	return show_exits(m, false);
}
DEFINE_SHOW_ATTRIBUTE(vm_exits);

static int vm_hist_show(struct seq_file *m, void *v)
{
	return show_hist(m, false);
}
DEFINE_SHOW_ATTRIBUTE(vm_hist);

static int vcpu_exits_show(struct seq_file *m, void *v)
{
	return show_exits(m, true);
}
DEFINE_SHOW_ATTRIBUTE(vcpu_exits);

static int vcpu_hist_show(struct seq_file *m, void *v)
{
	return show_hist(m, true);
}
DEFINE_SHOW_ATTRIBUTE(vcpu_hist);

static int vm_info_show(struct seq_file *m, void *v)
{
	struct lv_vm *vm = m->private;

	seq_printf(m, "pid %d\nmode %s\nvcpus %d\n", vm->pid,
		   vm->mode == LV_VM_SHADOW ? "shadow" : "ept",
		   READ_ONCE(vm->nr_vcpus));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vm_info);

/**
 * lv_debugfs_init() - create /sys/kernel/debug/labvisor
 *
 * Return: 0; a kernel without debugfs just has no files.
 */
int lv_debugfs_init(void)
{
	lv_debugfs_root = debugfs_create_dir("labvisor", NULL);
	return 0;
}

/**
 * lv_debugfs_exit() - remove /sys/kernel/debug/labvisor
 */
void lv_debugfs_exit(void)
{
	debugfs_remove_recursive(lv_debugfs_root);
}

/**
 * lv_debugfs_vm_add() - the VM's directory, named <pid>-<n>
 * @vm: the new VM
 */
void lv_debugfs_vm_add(struct lv_vm *vm)
{
	char name[32];

	vm->pid = task_tgid_nr(current);
	snprintf(name, sizeof(name), "%d-%d", vm->pid,
		 atomic_inc_return(&lv_vm_seq));
	vm->debugfs = debugfs_create_dir(name, lv_debugfs_root);
	debugfs_create_file("info", 0444, vm->debugfs, vm, &vm_info_fops);
	debugfs_create_file("exits", 0444, vm->debugfs, vm, &vm_exits_fops);
	debugfs_create_file("hist", 0444, vm->debugfs, vm, &vm_hist_fops);
}

/**
 * lv_debugfs_vm_remove() - remove the VM's directory; readers are done
 *	when it returns
 * @vm: the VM
 */
void lv_debugfs_vm_remove(struct lv_vm *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}

/**
 * lv_debugfs_vcpu_add() - the vCPU's directory vcpuN in its VM's
 * @vcpu: the new vCPU
 */
void lv_debugfs_vcpu_add(struct lv_vcpu *vcpu)
{
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	vcpu->debugfs = debugfs_create_dir(name, vcpu->vm->debugfs);
	debugfs_create_file("exits", 0444, vcpu->debugfs, vcpu, &vcpu_exits_fops);
	debugfs_create_file("hist", 0444, vcpu->debugfs, vcpu, &vcpu_hist_fops);
}

/**
 * lv_debugfs_vcpu_remove() - remove the vCPU's directory
 * @vcpu: the vCPU
 */
void lv_debugfs_vcpu_remove(struct lv_vcpu *vcpu)
{
	debugfs_remove_recursive(vcpu->debugfs);
	vcpu->debugfs = NULL;
}
