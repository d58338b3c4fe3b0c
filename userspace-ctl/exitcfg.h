/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What traps and how (labvisor's exit policy, CPUID and MSR overrides):
 * the --exits, --forward, --preemption-us, --msr-exit, --cpuid and --msr
 * options of lvctl run, parsed into the uapi structures.
 */
#ifndef LVCTL_EXITCFG_H
#define LVCTL_EXITCFG_H

#include <stdbool.h>
#include <linux/labvisor.h>

#include "lvctl.h"

/* forwardable basic exit reasons: the bits of lv_exit_policy.forward */
#define EXITCFG_MAX_REASON	127

struct exit_config {
	bool policy;		/* an option of the policy was given */
	struct lv_exit_policy pol;
	int nr_msr_exits;
	struct lv_cpuid_entry cpuid[LV_CPUID_MAX_ENTRIES];
	int nr_cpuid;
	struct lv_msr_entry msrs[LV_MSR_MAX_ENTRIES];
	int nr_msrs;
};

/* Each parses one option's argument into @c: 0, or -1 with a message. */
int exitcfg_parse_exits(struct exit_config *c, const char *list);
int exitcfg_parse_forward(struct exit_config *c, const char *list);
int exitcfg_parse_preemption(struct exit_config *c, const char *s);
int exitcfg_parse_msr_exits(struct exit_config *c, const char *list);
int exitcfg_parse_cpuid(struct exit_config *c, const char *s);
int exitcfg_parse_msr(struct exit_config *c, const char *s);

/* nothing to set: no option was given */
bool exitcfg_empty(const struct exit_config *c);
/* a basic exit reason by name (stats.c's names) or number; -1 if neither */
int exit_reason_parse(const char *s);

#endif /* LVCTL_EXITCFG_H */
