/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit statistics in labvisor's debugfs format (docs/uapi.md): a VM's
 * directory /sys/kernel/debug/labvisor/<pid>-<n>/ holds
 *   info   "pid N", "mode ept|shadow", "vcpus N"
 *   exits  "# ..." header, then per reason that occurred:
 *          <reason> <name> <count> <user_count> <kernel_ticks> <user_ticks>
 *   hist   per reason and kind that occurred:
 *          <reason> <name> kernel|user <b0> ... <b31>
 *          (bucket i: costs in [2^i, 2^(i+1)) ticks)
 * and vcpuN/exits, vcpuN/hist the same per vCPU.  lvctl reads it (lvctl
 * stat) and writes it (lvctl run --stats-dir, from LV_GET_VM_EXIT_STATS).
 */
#ifndef LVCTL_EXITSTATS_H
#define LVCTL_EXITSTATS_H

#include <stdbool.h>
#include <stdio.h>

#include "lvctl.h"

#define EXITSTAT_REASONS	128
#define EXITSTAT_BUCKETS	32
#define EXITSTAT_NAME		40

enum exitstat_kind { EXITSTAT_KERNEL, EXITSTAT_USER };

struct exitstat_reason {
	bool seen;		/* a line of exits or hist named it */
	char name[EXITSTAT_NAME];
	u64 count;
	u64 user_count;
	u64 kernel_ticks;
	u64 user_ticks;
	bool has_hist[2];	/* by enum exitstat_kind */
	u64 hist[2][EXITSTAT_BUCKETS];
};

struct exitstat {
	int nr_vms;		/* VM directories summed in */
	long pid;		/* info of the last one read (0: none) */
	char mode[16];
	int vcpus;
	struct exitstat_reason r[EXITSTAT_REASONS];
};

/*
 * Add the lines of @f (an exits, hist or info file; @what names it in
 * messages) into @s.  0, or -1 with one message printed.
 */
int exitstat_parse_exits(struct exitstat *s, FILE *f, const char *what);
int exitstat_parse_hist(struct exitstat *s, FILE *f, const char *what);
int exitstat_parse_info(struct exitstat *s, FILE *f, const char *what);
/*
 * Add a VM directory into @s: exits (needed), hist and info (when
 * present); with @vcpu >= 0, its vcpuN/ files instead.
 */
int exitstat_load_dir(struct exitstat *s, const char *dir, int vcpu);

/* the files, as the module writes them */
void exitstat_write_exits(FILE *f, const struct exitstat *s);
void exitstat_write_hist(FILE *f, const struct exitstat *s);
void exitstat_write_info(FILE *f, const struct exitstat *s);
/* info, exits and hist into @dir (created if needed); 0 or -1 + message */
int exitstat_save_dir(const struct exitstat *s, const char *dir);

struct lv_exit_reason_stats;
/* @s from @nr reasons of LV_GET_(VM_)EXIT_STATS (names from stats.c) */
void exitstat_from_lv(struct exitstat *s, const struct lv_exit_reason_stats *st,
		      u32 nr);

/* @kind from "kernel" or "user"; -1 otherwise */
int exitstat_kind_parse(const char *s);
const char *exitstat_kind_name(int kind);
/* the bucket @i covers [lo, hi) ticks; hi 0: no upper bound */
void exitstat_bucket_range(int i, u64 *lo, u64 *hi);

/*
 * What lvctl stat draws (builtin-stat.c): the per-reason table (@prev:
 * the snapshot @secs seconds earlier, for the rates; NULL: no rates), one
 * reason's histogram as bars (-1 with a message when it has none), and
 * the gnuplot script that draws it into @png.
 */
void stat_print_table(FILE *f, const struct exitstat *s,
		      const struct exitstat *prev, double secs);
int stat_print_hist(FILE *f, const struct exitstat *s, int reason, int kind);
void stat_write_gnuplot(FILE *f, const struct exitstat *s, int reason,
			int kind, const char *png);

#endif /* LVCTL_EXITSTATS_H */
