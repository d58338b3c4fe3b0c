/* SPDX-License-Identifier: GPL-2.0 */
/* lvctl subcommands. */
#ifndef LVCTL_BUILTIN_H
#define LVCTL_BUILTIN_H

#include <stdio.h>

#include "lvctl.h"

int cmd_run(int argc, char **argv);
void run_usage(FILE *f);
int parse_size(const char *s, u64 *out);
int parse_cpus(const char *s, int *out);

#endif /* LVCTL_BUILTIN_H */
