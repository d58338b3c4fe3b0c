// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statistics printed when the VM stops.
 */
#include <stdio.h>
#include <string.h>

#include "stats.h"

#define STATS_TOP	8

static const char *const vmx_reason_names[ACCEL_NR_REASONS] = {
	[0] = "exception_nmi",
	[1] = "external_interrupt",
	[2] = "triple_fault",
	[3] = "init_signal",
	[4] = "sipi",
	[5] = "io_smi",
	[6] = "other_smi",
	[7] = "interrupt_window",
	[8] = "nmi_window",
	[9] = "task_switch",
	[10] = "cpuid",
	[11] = "getsec",
	[12] = "hlt",
	[13] = "invd",
	[14] = "invlpg",
	[15] = "rdpmc",
	[16] = "rdtsc",
	[17] = "rsm",
	[18] = "vmcall",
	[19] = "vmclear",
	[20] = "vmlaunch",
	[21] = "vmptrld",
	[22] = "vmptrst",
	[23] = "vmread",
	[24] = "vmresume",
	[25] = "vmwrite",
	[26] = "vmxoff",
	[27] = "vmxon",
	[28] = "cr_access",
	[29] = "dr_access",
	[30] = "io",
	[31] = "rdmsr",
	[32] = "wrmsr",
	[33] = "invalid_guest_state",
	[34] = "msr_load_fail",
	[36] = "mwait",
	[37] = "monitor_trap_flag",
	[39] = "monitor",
	[40] = "pause",
	[41] = "machine_check",
	[43] = "tpr_below_threshold",
	[44] = "apic_access",
	[45] = "virtualized_eoi",
	[46] = "gdtr_idtr",
	[47] = "ldtr_tr",
	[48] = "ept_violation",
	[49] = "ept_misconfig",
	[50] = "invept",
	[51] = "rdtscp",
	[52] = "preemption_timer",
	[53] = "invvpid",
	[54] = "wbinvd",
	[55] = "xsetbv",
	[56] = "apic_write",
	[57] = "rdrand",
	[58] = "invpcid",
	[59] = "vmfunc",
	[60] = "encls",
	[61] = "rdseed",
	[62] = "pml_full",
	[63] = "xsaves",
	[64] = "xrstors",
	[66] = "spp",
	[67] = "umwait",
	[68] = "tpause",
	[69] = "loadiwkey",
};

const char *vmx_exit_reason_name(unsigned int reason)
{
	if (reason < ACCEL_NR_REASONS && vmx_reason_names[reason])
		return vmx_reason_names[reason];
	return NULL;
}

static int append(char *buf, size_t size, size_t *len, unsigned int reason,
		  unsigned long long count)
{
	const char *name = vmx_exit_reason_name(reason);
	int n;

	if (name)
		n = snprintf(buf + *len, size - *len, "%s%s=%llu",
			     *len ? " " : "", name, count);
	else
		n = snprintf(buf + *len, size - *len, "%sreason%u=%llu",
			     *len ? " " : "", reason, count);
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += n;
	return 0;
}

/*
 * all: every named reason and any non-zero unnamed one, in reason order.
 * Otherwise the non-zero counts, largest first, at most STATS_TOP of them.
 */
int stats_format_reasons(const struct vcpu_stats *s, bool all, char *buf,
			 size_t size)
{
	bool used[ACCEL_NR_REASONS] = { false };
	size_t len = 0;
	unsigned int i, n;

	buf[0] = '\0';
	if (all) {
		for (i = 0; i < ACCEL_NR_REASONS; i++) {
			if (!vmx_exit_reason_name(i) && !s->by_reason[i])
				continue;
			if (append(buf, size, &len, i, s->by_reason[i]))
				return -1;
		}
		return 0;
	}
	for (n = 0; n < STATS_TOP; n++) {
		int best = -1;

		for (i = 0; i < ACCEL_NR_REASONS; i++) {
			if (used[i] || !s->by_reason[i])
				continue;
			if (best < 0 || s->by_reason[i] > s->by_reason[best])
				best = i;
		}
		if (best < 0)
			break;
		used[best] = true;
		if (append(buf, size, &len, best, s->by_reason[best]))
			return -1;
	}
	return 0;
}

/* "lvctl: forwarded exits: NAME=N ..." when the policy forwarded any */
void stats_print_forwarded(FILE *f, struct vcpu *vcpu)
{
	char line[2048];
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcpu->forwarded); i++) {
		const char *name = vmx_exit_reason_name(i);
		int n;

		if (!vcpu->forwarded[i])
			continue;
		if (name)
			n = snprintf(line + len, sizeof(line) - len, "%s%s=%llu",
				     len ? " " : "", name,
				     (unsigned long long)vcpu->forwarded[i]);
		else
			n = snprintf(line + len, sizeof(line) - len,
				     "%sreason%u=%llu", len ? " " : "", i,
				     (unsigned long long)vcpu->forwarded[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - len)
			break;
		len += n;
	}
	if (len)
		fprintf(f, "lvctl: forwarded exits: %s\n", line);
}

void stats_print(FILE *f, struct vcpu *vcpu, bool all)
{
	const struct accel_ops *ops = vcpu->vm->ops;
	struct vcpu_stats s;
	char line[2048];
	size_t len = 0;
	int k;

	if (!vcpu->accel || ops->get_stats(vcpu, &s))
		return;
	if (s.has_kernel_counts) {
		fprintf(f, "lvctl: exits: total %llu, user %llu\n",
			(unsigned long long)s.exits,
			(unsigned long long)s.user_exits);
		if (!stats_format_reasons(&s, all, line, sizeof(line)) &&
		    line[0])
			fprintf(f, "lvctl: exits by reason: %s\n", line);
	} else {
		fprintf(f, "lvctl: exits: user %llu (%s counts no in-kernel exits)\n",
			(unsigned long long)s.user_exits, ops->name);
	}
	/* what lvctl counted itself: the only counts kvm has */
	line[0] = '\0';
	for (k = 0; k < VM_EXIT_NR_KINDS && (all || !s.has_kernel_counts); k++) {
		int n;

		if (!vcpu->exit_kinds[k] && !all)
			continue;
		n = snprintf(line + len, sizeof(line) - len, "%s%s=%llu",
			     len ? " " : "", vm_exit_kind_name(k),
			     (unsigned long long)vcpu->exit_kinds[k]);
		if (n < 0 || (size_t)n >= sizeof(line) - len)
			break;
		len += n;
	}
	if (line[0])
		fprintf(f, "lvctl: user exits by kind: %s\n", line);
	if (all)
		stats_print_forwarded(f, vcpu);
	if (s.has_last_cpu) {
		fprintf(f, "lvctl: vcpu%d last ran on cpu %u\n", vcpu->id,
			s.last_cpu);
		if (all)
			fprintf(f, "lvctl: vcpu%d migrations %u\n", vcpu->id,
				s.migrations);
	}
}
