/* SPDX-License-Identifier: GPL-2.0 */
/* Exit statistics and VMX exit reason names. */
#ifndef LVCTL_STATS_H
#define LVCTL_STATS_H

#include <stdio.h>

#include "accel.h"

const char *vmx_exit_reason_name(unsigned int reason);
/* the by-reason line: the top non-zero counts, largest first, or @all */
int stats_format_reasons(const struct vcpu_stats *s, bool all, char *buf,
			 size_t size);
void stats_print(FILE *f, struct vcpu *vcpu, bool all);
void stats_print_forwarded(FILE *f, struct vcpu *vcpu);

#endif /* LVCTL_STATS_H */
