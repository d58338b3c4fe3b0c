/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit statistics and the exit trace: what each exit cost, counted on the
 * entry path (kmod/vmx/run.c) with two TSC reads per exit.
 *
 * An exit is counted when it happens; its kernel cost is charged at the
 * next VM entry (less the time user space held the vCPU meanwhile), its
 * user cost when user space calls LV_RUN again.
 */
#ifndef LV_STATS_H
#define LV_STATS_H

#include <linux/debugfs.h>
#include <linux/log2.h>
#include <uapi/linux/labvisor.h>

struct lv_vm;
struct lv_vcpu;

/**
 * struct lv_exit_clock - the exit whose cost is being measured
 * @xs: statistics by basic exit reason (LV_NR_EXIT_REASONS entries)
 * @tsc_exit: host TSC at that exit, plus the time user space held the
 *	vCPU since
 * @tsc_user: host TSC when LV_RUN returned to user space after it, or 0
 * @reason: its basic exit reason
 * @open: an exit waits for its kernel cost; it is counted with it
 * @to_user: that exit went to user space
 */
struct lv_exit_clock {
	struct lv_exit_reason_stats *xs;
	u64 tsc_exit;
	u64 tsc_user;
	u16 reason;
	bool open;
	bool to_user;
};

/**
 * struct lv_trace - a vCPU's exit trace ring (LV_TRACE_ENABLE)
 * @ring: header page, then the records; vmalloc_user() memory
 * @rec: the first record
 * @mask: nr_records - 1
 * @pending: a record is written but waits for its entry time
 * @pages: pages of @ring
 */
struct lv_trace {
	struct lv_trace_ring *ring;
	struct lv_trace_record *rec;
	u64 mask;
	bool pending;
	unsigned long pages;
};

/* the log2 bucket of @ticks; the last bucket takes everything above */
static __always_inline unsigned long lv_hist_bucket(u64 ticks)
{
	if (unlikely(ticks >> (LV_HIST_BUCKETS - 1)))
		return LV_HIST_BUCKETS - 1;
	return __fls(ticks | 1);
}

/* exits of @r so far: the one being timed is counted at the next entry */
static inline u64 lv_exit_count(const struct lv_exit_clock *c, unsigned int r)
{
	return READ_ONCE(c->xs[r].count) +
	       (READ_ONCE(c->open) && READ_ONCE(c->reason) == r);
}

int lv_stats_vcpu_init(struct lv_vcpu *vcpu);
void lv_stats_vcpu_free(struct lv_vcpu *vcpu);
long lv_stats_get_vcpu(struct lv_vcpu *vcpu, void __user *argp);
long lv_stats_get_vm(struct lv_vm *vm, void __user *argp);
const char *lv_exit_reason_name(unsigned int reason);

void lv_trace_exit(struct lv_vcpu *vcpu, u32 reason, u64 tsc);
void lv_trace_entry(struct lv_vcpu *vcpu, u64 tsc);
void lv_trace_user(struct lv_vcpu *vcpu);
long lv_trace_enable(struct lv_vcpu *vcpu, void __user *argp);
struct page *lv_trace_page(struct lv_vcpu *vcpu, unsigned long pgoff);
void lv_trace_free(struct lv_vcpu *vcpu);

int lv_debugfs_init(void);
void lv_debugfs_exit(void);
void lv_debugfs_vm_add(struct lv_vm *vm);
void lv_debugfs_vm_remove(struct lv_vm *vm);
void lv_debugfs_vcpu_add(struct lv_vcpu *vcpu);
void lv_debugfs_vcpu_remove(struct lv_vcpu *vcpu);

#endif /* LV_STATS_H */
