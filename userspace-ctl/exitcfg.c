// SPDX-License-Identifier: GPL-2.0
/*
 * Exit policy, CPUID and MSR override options (exitcfg.h).  Numbers in
 * these options are hexadecimal, with or without 0x, except the
 * preemption quantum (decimal microseconds) and exit reason numbers
 * (decimal, as stats.c and the VMX manual print them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exitcfg.h"
#include "stats.h"

static const struct {
	const char *name;
	u64 bit;
} exit_names[] = {
	{ "rdtsc", LV_EXITS_RDTSC },
	{ "hlt", LV_EXITS_HLT },
	{ "pause", LV_EXITS_PAUSE },
	{ "mwait", LV_EXITS_MWAIT },
	{ "cr3-load", LV_EXITS_CR3_LOAD },
	{ "cr3-store", LV_EXITS_CR3_STORE },
	{ "invlpg", LV_EXITS_INVLPG },
	{ "desc-table", LV_EXITS_DESC_TABLE },
	{ "msr-all", LV_EXITS_MSR_ALL },
	{ "io-bitmap", LV_EXITS_IO_BITMAP },
};

#define EXIT_NAMES_HELP \
	"rdtsc hlt pause mwait cr3-load cr3-store invlpg desc-table msr-all io-bitmap"

/*
 * The next comma-separated item of *@list into @buf (at most @size - 1
 * characters); 0 at the end of the list, -1 for an empty or long item.
 */
static int next_item(const char **list, char *buf, size_t size)
{
	const char *s = *list, *comma;
	size_t len;

	if (!s)
		return 0;
	comma = strchr(s, ',');
	len = comma ? (size_t)(comma - s) : strlen(s);
	*list = comma ? comma + 1 : NULL;
	if (!len || len >= size)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 1;
}

/* a whole string of hex digits, with an optional 0x, into @out */
static int parse_hex(const char *s, u64 max, u64 *out)
{
	unsigned long long v;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || !strchr("0123456789abcdefABCDEF", *s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int exit_reason_parse(const char *s)
{
	unsigned long v;
	char *end;
	int i;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v > EXITCFG_MAX_REASON)
			return -1;
		return v;
	}
	for (i = 0; i < ACCEL_NR_REASONS; i++) {
		const char *name = vmx_exit_reason_name(i);

		if (name && !strcmp(name, s))
			return i;
	}
	return -1;
}

int exitcfg_parse_exits(struct exit_config *c, const char *list)
{
	const char *p = list;
	char item[32];
	size_t i;
	int r;

	if (!*list) {
		pr_err("--exits: empty list (items +NAME or -NAME: %s)",
		       EXIT_NAMES_HELP);
		return -1;
	}
	while ((r = next_item(&p, item, sizeof(item))) > 0) {
		bool on = item[0] == '+';

		if (item[0] != '+' && item[0] != '-') {
			pr_err("--exits: '%s': each item is +NAME or -NAME", item);
			return -1;
		}
		for (i = 0; i < ARRAY_SIZE(exit_names); i++)
			if (!strcmp(exit_names[i].name, item + 1))
				break;
		if (i == ARRAY_SIZE(exit_names)) {
			pr_err("--exits: unknown exit '%s' (%s)", item + 1,
			       EXIT_NAMES_HELP);
			return -1;
		}
		/* the last item about an exit wins */
		if (on) {
			c->pol.exits_on |= exit_names[i].bit;
			c->pol.exits_off &= ~exit_names[i].bit;
		} else {
			c->pol.exits_off |= exit_names[i].bit;
			c->pol.exits_on &= ~exit_names[i].bit;
		}
	}
	if (r < 0) {
		pr_err("--exits: '%s': empty or overlong item", list);
		return -1;
	}
	c->policy = true;
	return 0;
}

int exitcfg_parse_forward(struct exit_config *c, const char *list)
{
	const char *p = list;
	char item[40];
	int r, reason;

	if (!*list) {
		pr_err("--forward: empty list (exit reason names or numbers)");
		return -1;
	}
	while ((r = next_item(&p, item, sizeof(item))) > 0) {
		reason = exit_reason_parse(item);
		if (reason < 0) {
			pr_err("--forward: unknown exit reason '%s' (a name as in lvctl --stats, or 0 to %d)",
			       item, EXITCFG_MAX_REASON);
			return -1;
		}
		c->pol.forward[reason / 64] |= 1ULL << (reason % 64);
	}
	if (r < 0) {
		pr_err("--forward: '%s': empty or overlong item", list);
		return -1;
	}
	c->policy = true;
	return 0;
}

int exitcfg_parse_preemption(struct exit_config *c, const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoul(s, &end, 10) : 0;
	if (*s < '0' || *s > '9' || errno || *end ||
	    (v && (v < 10 || v > 1000000))) {
		pr_err("--preemption-us: '%s': need 10 to 1000000 microseconds (0: the module's default)",
		       s);
		return -1;
	}
	c->pol.preemption_us = v;
	c->policy = true;
	return 0;
}

int exitcfg_parse_msr_exits(struct exit_config *c, const char *list)
{
	const char *p = list;
	char item[24];
	u64 msr;
	int r, i;

	if (!*list) {
		pr_err("--msr-exit: empty list (hex MSR numbers)");
		return -1;
	}
	while ((r = next_item(&p, item, sizeof(item))) > 0) {
		if (parse_hex(item, 0xffffffffULL, &msr)) {
			pr_err("--msr-exit: '%s' is not a hex MSR number", item);
			return -1;
		}
		for (i = 0; i < c->nr_msr_exits; i++)
			if (c->pol.msr_exits[i] == msr)
				break;
		if (i < c->nr_msr_exits)
			continue;
		if (c->nr_msr_exits == LV_POLICY_MSRS) {
			pr_err("--msr-exit: at most %d MSRs", LV_POLICY_MSRS);
			return -1;
		}
		c->pol.msr_exits[c->nr_msr_exits++] = msr;
	}
	if (r < 0) {
		pr_err("--msr-exit: '%s': empty or overlong item", list);
		return -1;
	}
	c->policy = true;
	return 0;
}

/* LEAF[.SUB]=EAX:EBX:ECX:EDX, all hex */
int exitcfg_parse_cpuid(struct exit_config *c, const char *s)
{
	struct lv_cpuid_entry e = { .function = 0 };
	char buf[128], *eq, *dot, *regs[4], *p;
	u64 v;
	int i;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	eq = strchr(buf, '=');
	if (!eq)
		goto bad;
	*eq = '\0';
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		if (parse_hex(dot + 1, 0xffffffffULL, &v))
			goto bad;
		e.index = v;
		e.flags = LV_CPUID_INDEXED;
	}
	if (parse_hex(buf, 0xffffffffULL, &v))
		goto bad;
	e.function = v;
	p = eq + 1;
	for (i = 0; i < 4; i++) {
		regs[i] = p;
		p = strchr(p, ':');
		if (i < 3) {
			if (!p)
				goto bad;
			*p++ = '\0';
		} else if (p) {
			goto bad;
		}
	}
	if (parse_hex(regs[0], 0xffffffffULL, &v))
		goto bad;
	e.eax = v;
	if (parse_hex(regs[1], 0xffffffffULL, &v))
		goto bad;
	e.ebx = v;
	if (parse_hex(regs[2], 0xffffffffULL, &v))
		goto bad;
	e.ecx = v;
	if (parse_hex(regs[3], 0xffffffffULL, &v))
		goto bad;
	e.edx = v;

	/* the same leaf again replaces the earlier entry */
	for (i = 0; i < c->nr_cpuid; i++)
		if (c->cpuid[i].function == e.function &&
		    c->cpuid[i].flags == e.flags &&
		    c->cpuid[i].index == e.index)
			break;
	if (i == c->nr_cpuid) {
		if (c->nr_cpuid == LV_CPUID_MAX_ENTRIES) {
			pr_err("--cpuid: at most %d leaves", LV_CPUID_MAX_ENTRIES);
			return -1;
		}
		c->nr_cpuid++;
	}
	c->cpuid[i] = e;
	return 0;
bad:
	pr_err("--cpuid: '%s': need LEAF[.SUBLEAF]=EAX:EBX:ECX:EDX in hex", s);
	return -1;
}

/*
 * MSR=VALUE (reads return VALUE), MSR=gp (reads and writes #GP),
 * MSR=ignore (writes do nothing), MSR=wgp (writes #GP).  Items about the
 * same MSR merge: each sets its side (read, write) of the one entry.
 */
int exitcfg_parse_msr(struct exit_config *c, const char *s)
{
	const u64 read_mask = LV_MSR_READ_VALUE | LV_MSR_READ_GP;
	const u64 write_mask = LV_MSR_WRITE_IGNORE | LV_MSR_WRITE_GP;
	struct lv_msr_entry *e;
	char buf[64], *eq;
	u64 msr, value = 0, set, clear;
	int i;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	eq = strchr(buf, '=');
	if (!eq)
		goto bad;
	*eq++ = '\0';
	if (parse_hex(buf, 0xffffffffULL, &msr))
		goto bad;
	if (!strcmp(eq, "gp")) {
		set = LV_MSR_READ_GP | LV_MSR_WRITE_GP;
		clear = read_mask | write_mask;
	} else if (!strcmp(eq, "ignore")) {
		set = LV_MSR_WRITE_IGNORE;
		clear = write_mask;
	} else if (!strcmp(eq, "wgp")) {
		set = LV_MSR_WRITE_GP;
		clear = write_mask;
	} else if (!parse_hex(eq, ~0ULL, &value)) {
		set = LV_MSR_READ_VALUE;
		clear = read_mask;
	} else {
		goto bad;
	}
	for (i = 0; i < c->nr_msrs; i++)
		if (c->msrs[i].msr == msr)
			break;
	if (i == c->nr_msrs) {
		if (c->nr_msrs == LV_MSR_MAX_ENTRIES) {
			pr_err("--msr: at most %d MSRs", LV_MSR_MAX_ENTRIES);
			return -1;
		}
		c->nr_msrs++;
		memset(&c->msrs[i], 0, sizeof(c->msrs[i]));
		c->msrs[i].msr = msr;
	}
	e = &c->msrs[i];
	e->action = (e->action & ~clear) | set;
	if (set & LV_MSR_READ_VALUE)
		e->value = value;
	else if (clear & LV_MSR_READ_VALUE)
		e->value = 0;
	return 0;
bad:
	pr_err("--msr: '%s': need MSR=VALUE|gp|ignore|wgp (MSR and VALUE in hex)",
	       s);
	return -1;
}

bool exitcfg_empty(const struct exit_config *c)
{
	return !c->policy && !c->nr_cpuid && !c->nr_msrs;
}
