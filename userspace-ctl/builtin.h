/* SPDX-License-Identifier: GPL-2.0 */
/* lvctl subcommands. */
#ifndef LVCTL_BUILTIN_H
#define LVCTL_BUILTIN_H

#include <stdio.h>

#include "lvctl.h"

struct accel_ops;

/* how another command (lvctl trace) runs a VM like lvctl run */
struct run_hooks {
	/* after parsing: may the VM run on @ops? 0, or -1 (message printed) */
	int (*check)(const struct accel_ops *ops, void *opaque);
	/* the VM and its vCPUs exist, nothing runs yet: 0 or -1 (message) */
	int (*setup)(struct vm *vm, void *opaque);
	/* every vCPU thread has ended; the VM still exists */
	void (*stopped)(struct vm *vm, void *opaque);
	void *opaque;
	/* stdout is the command's: the guest's UART output goes to stderr */
	bool uart_to_stderr;
};

int cmd_run(int argc, char **argv);
int run_vm(int argc, char **argv, const struct run_hooks *hooks);
int cmd_stat(int argc, char **argv);
int cmd_trace(int argc, char **argv);
void run_usage(FILE *f);
int parse_size(const char *s, u64 *out);
int parse_cpus(const char *s, int *out);

#endif /* LVCTL_BUILTIN_H */
