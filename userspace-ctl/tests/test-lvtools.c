// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of lvctl's research tools: the exit policy options of
 * lvctl run (exitcfg.c), forwarded exits in the vCPU loop, the debugfs
 * statistics format (exitstats.c), lvctl stat's table and histograms on
 * fixture files (builtin-stat.c), and the command lines of lvctl stat
 * and lvctl trace.  What needs labvisor.ko runs in the lab
 * (tests/lab/suite/lvtools.sh).
 *
 *   test-lvtools PATH-TO-LVCTL
 *
 * Prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test; exits 1
 * if any failed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "exitcfg.h"
#include "exitstats.h"
#include "stats.h"
#include "trace.h"

/* ---- exit policy options ---- */

/* @fn on @arg into a fresh config, stderr discarded; its return value */
static int parse_quiet(int (*fn)(struct exit_config *, const char *),
		       struct exit_config *c, const char *arg)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY), ret;

	dup2(null, 2);
	ret = fn(c, arg);
	dup2(saved, 2);
	close(saved);
	close(null);
	return ret;
}

static void test_exits_option(void)
{
	static struct exit_config c;

	begin();
	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_exits(&c, "+rdtsc,-hlt,+cr3-load,+desc-table"),
	      "valid list refused");
	CHECK_EQ(c.pol.exits_on, LV_EXITS_RDTSC | LV_EXITS_CR3_LOAD |
		 LV_EXITS_DESC_TABLE);
	CHECK_EQ(c.pol.exits_off, LV_EXITS_HLT);
	CHECK(c.policy && !exitcfg_empty(&c), "policy not marked");
	/* the last word about an exit wins; lists accumulate */
	CHECK(!exitcfg_parse_exits(&c, "-rdtsc,+hlt,+io-bitmap,-msr-all"),
	      "second list refused");
	CHECK_EQ(c.pol.exits_on, LV_EXITS_CR3_LOAD | LV_EXITS_DESC_TABLE |
		 LV_EXITS_HLT | LV_EXITS_IO_BITMAP);
	CHECK_EQ(c.pol.exits_off, LV_EXITS_RDTSC | LV_EXITS_MSR_ALL);
	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_exits(&c, "+pause,+mwait,+cr3-store,+invlpg"),
	      "list refused");
	CHECK_EQ(c.pol.exits_on, LV_EXITS_PAUSE | LV_EXITS_MWAIT |
		 LV_EXITS_CR3_STORE | LV_EXITS_INVLPG);
	CHECK(parse_quiet(exitcfg_parse_exits, &c, "rdtsc") < 0, "no sign accepted");
	CHECK(parse_quiet(exitcfg_parse_exits, &c, "+rdtscp") < 0, "unknown accepted");
	CHECK(parse_quiet(exitcfg_parse_exits, &c, "+rdtsc,") < 0, "empty item accepted");
	CHECK(parse_quiet(exitcfg_parse_exits, &c, "") < 0, "empty list accepted");
	CHECK(parse_quiet(exitcfg_parse_exits, &c, "+") < 0, "bare + accepted");
	end("exitcfg-exits");
}

static void test_forward_option(void)
{
	static struct exit_config c;

	begin();
	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_forward(&c, "cpuid,rdtsc,31,ept_violation,127"),
	      "valid list refused");
	CHECK_EQ(c.pol.forward[0], (1ULL << 10) | (1ULL << 16) | (1ULL << 31) |
		 (1ULL << 48));
	CHECK_EQ(c.pol.forward[1], 1ULL << 63);
	CHECK(c.policy, "policy not marked");
	CHECK_EQ(exit_reason_parse("vmcall"), 18);
	CHECK_EQ(exit_reason_parse("0"), 0);
	CHECK(exit_reason_parse("128") < 0, "128 accepted");
	CHECK(exit_reason_parse("cpuidx") < 0, "cpuidx accepted");
	CHECK(exit_reason_parse("10x") < 0, "10x accepted");
	CHECK(parse_quiet(exitcfg_parse_forward, &c, "cpuid,,hlt") < 0,
	      "empty item accepted");
	CHECK(parse_quiet(exitcfg_parse_forward, &c, "-1") < 0, "-1 accepted");
	end("exitcfg-forward");
}

static void test_policy_numbers(void)
{
	static struct exit_config c;

	begin();
	memset(&c, 0, sizeof(c));
	CHECK(exitcfg_empty(&c), "fresh config not empty");
	CHECK(!exitcfg_parse_preemption(&c, "500"), "500 refused");
	CHECK_EQ(c.pol.preemption_us, 500);
	CHECK(!exitcfg_parse_preemption(&c, "0"), "0 refused");
	CHECK(!exitcfg_parse_preemption(&c, "1000000"), "1000000 refused");
	CHECK(parse_quiet(exitcfg_parse_preemption, &c, "9") < 0, "9 accepted");
	CHECK(parse_quiet(exitcfg_parse_preemption, &c, "1000001") < 0,
	      "1000001 accepted");
	CHECK(parse_quiet(exitcfg_parse_preemption, &c, "-5") < 0, "-5 accepted");
	CHECK(parse_quiet(exitcfg_parse_preemption, &c, "10ms") < 0, "10ms accepted");

	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_msr_exits(&c, "0x10,c0000080,0x1b,10"), "MSRs refused");
	CHECK_EQ(c.nr_msr_exits, 3);	/* 10 and 0x10 are one MSR */
	CHECK_EQ(c.pol.msr_exits[0], 0x10);
	CHECK_EQ(c.pol.msr_exits[1], 0xc0000080);
	CHECK_EQ(c.pol.msr_exits[2], 0x1b);
	CHECK(!exitcfg_parse_msr_exits(&c, "1,2,3,4,5"), "8 MSRs refused");
	CHECK(parse_quiet(exitcfg_parse_msr_exits, &c, "6") < 0, "9 MSRs accepted");
	memset(&c, 0, sizeof(c));
	CHECK(parse_quiet(exitcfg_parse_msr_exits, &c, "0x1g") < 0, "0x1g accepted");
	CHECK(parse_quiet(exitcfg_parse_msr_exits, &c, "100000000") < 0,
	      "33-bit MSR accepted");
	CHECK(parse_quiet(exitcfg_parse_msr_exits, &c, "0x") < 0, "0x accepted");
	end("exitcfg-preemption-msr-exit");
}

static void test_cpuid_option(void)
{
	static struct exit_config c;

	begin();
	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_cpuid(&c, "0x40000000=0:4b4d564b:564b4d56:4d"),
	      "leaf refused");
	CHECK(!exitcfg_parse_cpuid(&c, "7.0=0:1:2:3"), "indexed leaf refused");
	CHECK(!exitcfg_parse_cpuid(&c, "7.1=ffffffff:0:0:0"), "subleaf 1 refused");
	CHECK_EQ(c.nr_cpuid, 3);
	CHECK_EQ(c.cpuid[0].function, 0x40000000);
	CHECK_EQ(c.cpuid[0].flags, 0);
	CHECK_EQ(c.cpuid[0].ebx, 0x4b4d564b);
	CHECK_EQ(c.cpuid[0].ecx, 0x564b4d56);
	CHECK_EQ(c.cpuid[0].edx, 0x4d);
	CHECK_EQ(c.cpuid[1].function, 7);
	CHECK_EQ(c.cpuid[1].flags, LV_CPUID_INDEXED);
	CHECK_EQ(c.cpuid[2].index, 1);
	CHECK_EQ(c.cpuid[2].eax, 0xffffffff);
	/* the same leaf again replaces it */
	CHECK(!exitcfg_parse_cpuid(&c, "7.0=9:9:9:9"), "replacement refused");
	CHECK_EQ(c.nr_cpuid, 3);
	CHECK_EQ(c.cpuid[1].eax, 9);
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1=0:0:0") < 0, "3 registers");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1=0:0:0:0:0") < 0, "5 registers");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1") < 0, "no =");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1=0:0::0") < 0, "empty register");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1=0:0:0:100000000") < 0,
	      "33-bit register");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "1.=0:0:0:0") < 0, "empty subleaf");
	CHECK(parse_quiet(exitcfg_parse_cpuid, &c, "x=0:0:0:0") < 0, "leaf x");
	CHECK_EQ(c.nr_cpuid, 3);
	end("exitcfg-cpuid");
}

static void test_msr_option(void)
{
	static struct exit_config c;

	begin();
	memset(&c, 0, sizeof(c));
	CHECK(!exitcfg_parse_msr(&c, "0x3a=5"), "value refused");
	CHECK(!exitcfg_parse_msr(&c, "3a=ignore"), "ignore refused");
	CHECK(!exitcfg_parse_msr(&c, "c0000103=gp"), "gp refused");
	CHECK(!exitcfg_parse_msr(&c, "1a0=wgp"), "wgp refused");
	CHECK_EQ(c.nr_msrs, 3);
	CHECK_EQ(c.msrs[0].msr, 0x3a);
	CHECK_EQ(c.msrs[0].action, LV_MSR_READ_VALUE | LV_MSR_WRITE_IGNORE);
	CHECK_EQ(c.msrs[0].value, 5);
	CHECK_EQ(c.msrs[1].action, LV_MSR_READ_GP | LV_MSR_WRITE_GP);
	CHECK_EQ(c.msrs[2].action, LV_MSR_WRITE_GP);
	/* a value after gp: reads return it, writes still #GP */
	CHECK(!exitcfg_parse_msr(&c, "c0000103=ffffffffffffffff"), "64-bit refused");
	CHECK_EQ(c.msrs[1].action, LV_MSR_READ_VALUE | LV_MSR_WRITE_GP);
	CHECK_EQ(c.msrs[1].value, ~0ULL);
	/* gp replaces both sides */
	CHECK(!exitcfg_parse_msr(&c, "3a=gp"), "gp refused");
	CHECK_EQ(c.msrs[0].action, LV_MSR_READ_GP | LV_MSR_WRITE_GP);
	CHECK_EQ(c.msrs[0].value, 0);
	CHECK(parse_quiet(exitcfg_parse_msr, &c, "3a") < 0, "no = accepted");
	CHECK(parse_quiet(exitcfg_parse_msr, &c, "3a=") < 0, "empty value accepted");
	CHECK(parse_quiet(exitcfg_parse_msr, &c, "3a=rgp") < 0, "rgp accepted");
	CHECK(parse_quiet(exitcfg_parse_msr, &c, "=5") < 0, "no MSR accepted");
	CHECK(parse_quiet(exitcfg_parse_msr, &c, "3a=10000000000000000") < 0,
	      "65-bit value accepted");
	CHECK_EQ(c.nr_msrs, 3);
	end("exitcfg-msr");
}

/* the options on lvctl's command line: one message, exit status 2 */
static void test_policy_cli(void)
{
	const char *bin = write_file("policy-hlt.bin", "\xf4", 1);

	expect_usage_error("cli-exits-unknown", "--exits: unknown exit 'rdtscp'",
			   ARGS("run", "--exits", "+rdtscp", bin));
	expect_usage_error("cli-exits-sign", "--exits",
			   ARGS("run", "--exits", "rdtsc", bin));
	expect_usage_error("cli-forward-unknown", "--forward: unknown exit reason",
			   ARGS("run", "--forward", "cpuid,nope", bin));
	expect_usage_error("cli-preemption-range", "--preemption-us",
			   ARGS("run", "--preemption-us", "5", bin));
	expect_usage_error("cli-msr-exit-bad", "--msr-exit",
			   ARGS("run", "--msr-exit", "0x10,zz", bin));
	expect_usage_error("cli-cpuid-bad", "--cpuid",
			   ARGS("run", "--cpuid", "1=1:2:3", bin));
	expect_usage_error("cli-msr-bad", "--msr",
			   ARGS("run", "--msr", "0x10=maybe", bin));
	expect_usage_error("cli-ioeventfd-bad", "--ioeventfd",
			   ARGS("run", "--ioeventfd", "0x10000", bin));
	/* kvm has none of them: refused before anything is opened */
	expect_usage_error("cli-kvm-exits", "the kvm accelerator has no exit policy",
			   ARGS("run", "--accel", "kvm", "--exits", "+rdtsc", bin));
	expect_usage_error("cli-kvm-cpuid", "--cpuid: the kvm accelerator",
			   ARGS("run", "--accel", "kvm", "--cpuid", "1=0:0:0:0", bin));
	expect_usage_error("cli-kvm-msr", "--msr: the kvm accelerator",
			   ARGS("run", "--msr", "10=0", "--accel", "kvm", bin));
	expect_usage_error("cli-kvm-forward", "--forward: the kvm accelerator",
			   ARGS("run", "--accel", "kvm", "--forward", "cpuid", bin));
	expect_usage_error("cli-kvm-stats-dir", "--stats-dir: the kvm accelerator",
			   ARGS("run", "--accel", "kvm", "--stats-dir", "tmp/x", bin));
}

/* ---- forwarded exits in the vCPU loop ---- */

static void test_forwarded_loop(void)
{
	static struct vm vm;
	struct vcpu *vcpu = &vm.vcpus[0];
	char err[2048] = "", *text = NULL;
	int p[2], saved, i;
	size_t len = 0;
	ssize_t n;
	FILE *f;

	begin();
	vm_init(&vm);
	vm.ops = &script_ops;
	vm.nr_vcpus = 1;
	vcpu->vm = &vm;
	script_reset();
	for (i = 0; i < 6; i++) {
		struct script_step *s = &fakes[0].steps[i];

		*s = exit_of(VM_EXIT_FORWARDED);
		s->exit.forwarded.reason = i < 4 ? 10 : 16;
		s->exit.forwarded.qualification = 0x100 + i;
		s->exit.forwarded.rip = 0x1000 + i;
	}
	fakes[0].steps[6] = exit_of(VM_EXIT_HLT);
	fakes[0].n = 7;
	/* 14 printed already: two more lines, then silence */
	vm.forwarded_printed = LVCTL_FORWARDED_PRINT - 2;
	if (pipe(p)) {
		bad("pipe");
		end("forwarded-exits-loop");
		return;
	}
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	vcpu_run_loop(vcpu);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], err, sizeof(err) - 1);
	close(p[0]);
	err[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(err,
		      "lvctl: forwarded exit 10 cpuid qualification 0x100 rip 0x1000\n"
		      "lvctl: forwarded exit 10 cpuid qualification 0x101 rip 0x1001\n"),
	      "printed '%s'", err);
	CHECK_EQ(vcpu->forwarded[10], 4);
	CHECK_EQ(vcpu->forwarded[16], 2);
	CHECK_EQ(vcpu->exit_kinds[VM_EXIT_FORWARDED], 6);
	CHECK(vm.stop_status == LVCTL_EXIT_HLT, "stop status %d: %s",
	      vm.stop_status, vm.stop_reason);
	f = open_memstream(&text, &len);
	stats_print_forwarded(f, vcpu);
	fclose(f);
	CHECK(text && !strcmp(text, "lvctl: forwarded exits: cpuid=4 rdtsc=2\n"),
	      "stats line '%s'", text ? text : "");
	free(text);
	end("forwarded-exits-loop");
}

/* ---- debugfs statistics ---- */

#define HIST_ZEROS_20 " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"

static const char fixture_exits[] =
	"# reason name count user_count kernel_ticks user_ticks\n"
	"10 cpuid 1000 0 220000 0\n"
	"30 io 500 500 600000 3650000\n"
	"12 hlt 10 0 50000 0\n";
static const char fixture_hist[] =
	"10 cpuid kernel 0 0 0 0 0 0 0 12 988 0 0 0" HIST_ZEROS_20 "\n"
	"30 io kernel 0 0 0 0 0 0 0 0 0 0 500 0" HIST_ZEROS_20 "\n"
	"30 io user 0 0 0 0 0 0 0 0 0 0 0 0 480 20 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
static const char fixture_info[] = "pid 321\nmode ept\nvcpus 1\n";

/* @dir/@name with @text */
static void put(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(dir, 0755);
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* a VM directory: exits, hist, info; vcpu0/ with the same */
static void make_vm_dir(const char *dir)
{
	char sub[512];

	put(dir, "exits", fixture_exits);
	put(dir, "hist", fixture_hist);
	put(dir, "info", fixture_info);
	snprintf(sub, sizeof(sub), "%s/vcpu0", dir);
	put(sub, "exits", fixture_exits);
	put(sub, "hist", fixture_hist);
}

static int parse_text(int (*fn)(struct exitstat *, FILE *, const char *),
		      struct exitstat *s, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int saved = dup(2), null = open("/dev/null", O_WRONLY), ret;

	dup2(null, 2);
	ret = fn(s, f, "fixture");
	dup2(saved, 2);
	close(saved);
	close(null);
	fclose(f);
	return ret;
}

static void test_exitstat_parse(void)
{
	static struct exitstat s, t;
	char *text = NULL, *htext = NULL;
	size_t len = 0, hlen = 0;
	FILE *f;

	begin();
	memset(&s, 0, sizeof(s));
	CHECK(!parse_text(exitstat_parse_exits, &s, fixture_exits), "exits refused");
	CHECK(!parse_text(exitstat_parse_hist, &s, fixture_hist), "hist refused");
	CHECK(!parse_text(exitstat_parse_info, &s, fixture_info), "info refused");
	CHECK_EQ(s.r[10].count, 1000);
	CHECK_EQ(s.r[30].user_count, 500);
	CHECK_EQ(s.r[30].user_ticks, 3650000);
	CHECK(!strcmp(s.r[12].name, "hlt"), "name '%s'", s.r[12].name);
	CHECK_EQ(s.r[10].hist[EXITSTAT_KERNEL][7], 12);
	CHECK_EQ(s.r[10].hist[EXITSTAT_KERNEL][8], 988);
	CHECK_EQ(s.r[30].hist[EXITSTAT_USER][13], 20);
	CHECK(!s.r[10].has_hist[EXITSTAT_USER], "cpuid has a user histogram");
	CHECK(s.pid == 321 && s.vcpus == 1 && !strcmp(s.mode, "ept"),
	      "info %ld %d %s", s.pid, s.vcpus, s.mode);
	/* adding again sums */
	CHECK(!parse_text(exitstat_parse_exits, &s, fixture_exits), "exits refused");
	CHECK_EQ(s.r[10].count, 2000);
	CHECK_EQ(s.r[10].kernel_ticks, 440000);

	/* what lvctl writes reads back the same */
	memset(&s, 0, sizeof(s));
	parse_text(exitstat_parse_exits, &s, fixture_exits);
	parse_text(exitstat_parse_hist, &s, fixture_hist);
	f = open_memstream(&text, &len);
	exitstat_write_exits(f, &s);
	fclose(f);
	f = open_memstream(&htext, &hlen);
	exitstat_write_hist(f, &s);
	fclose(f);
	memset(&t, 0, sizeof(t));
	CHECK(!parse_text(exitstat_parse_exits, &t, text), "written exits refused");
	CHECK(!parse_text(exitstat_parse_hist, &t, htext), "written hist refused");
	CHECK(!memcmp(s.r, t.r, sizeof(s.r)), "round trip differs:\n%s%s", text,
	      htext);
	free(text);
	free(htext);

	/* malformed lines: refused, with the line number */
	memset(&s, 0, sizeof(s));
	CHECK(parse_text(exitstat_parse_exits, &s, "10 cpuid 1 0 5\n") < 0, "5 fields");
	CHECK(parse_text(exitstat_parse_exits, &s, "10 cpuid 1 0 5 0 9\n") < 0, "7 fields");
	CHECK(parse_text(exitstat_parse_exits, &s, "10 cpuid 1 2 5 0\n") < 0,
	      "user_count > count");
	CHECK(parse_text(exitstat_parse_exits, &s, "128 x 1 0 5 0\n") < 0, "reason 128");
	CHECK(parse_text(exitstat_parse_exits, &s, "10 cpuid -1 0 5 0\n") < 0, "-1");
	CHECK(parse_text(exitstat_parse_hist, &s, "10 cpuid kernel 1 2 3\n") < 0,
	      "3 buckets");
	CHECK(parse_text(exitstat_parse_hist, &s,
			 "10 cpuid both 0 0 0 0 0 0 0 0 0 0 0 0" HIST_ZEROS_20 "\n") < 0,
	      "kind both");
	CHECK(parse_text(exitstat_parse_info, &s, "pid\n") < 0, "pid without value");
	end("exitstat-parse");
}

/* LV_GET_EXIT_STATS's structures -> the files -> lvctl stat's reader */
static void test_exitstat_save(void)
{
	static struct lv_exit_reason_stats st[LV_NR_EXIT_REASONS];
	static struct exitstat s, t;
	const char *dir = tmp_path("saved-stats");
	int i;

	begin();
	memset(st, 0, sizeof(st));
	st[10].count = 2001;
	st[10].kernel_ticks = 2001 * 300;
	st[10].kernel_hist[8] = 2001;
	st[30].count = 7;
	st[30].user_count = 7;
	st[30].kernel_ticks = 7000;
	st[30].user_ticks = 49000;
	st[30].kernel_hist[9] = 7;
	st[30].user_hist[12] = 7;
	exitstat_from_lv(&s, st, LV_NR_EXIT_REASONS);
	s.pid = 77;
	strcpy(s.mode, "shadow");
	s.vcpus = 2;
	CHECK(!strcmp(s.r[30].name, "io"), "name '%s'", s.r[30].name);
	CHECK(!exitstat_save_dir(&s, dir), "save failed");
	memset(&t, 0, sizeof(t));
	CHECK(!exitstat_load_dir(&t, dir, -1), "load failed");
	CHECK(t.pid == 77 && t.vcpus == 2 && !strcmp(t.mode, "shadow"),
	      "info %ld %d %s", t.pid, t.vcpus, t.mode);
	for (i = 0; i < EXITSTAT_REASONS; i++) {
		const struct exitstat_reason *a = &s.r[i], *b = &t.r[i];

		if (!a->count && !b->count)
			continue;
		CHECK(a->count == b->count && a->user_count == b->user_count &&
		      a->kernel_ticks == b->kernel_ticks &&
		      a->user_ticks == b->user_ticks &&
		      !memcmp(a->hist, b->hist, sizeof(a->hist)) &&
		      !strcmp(a->name, b->name), "reason %d differs", i);
	}
	CHECK(t.r[10].count == 2001 && t.r[30].hist[EXITSTAT_USER][12] == 7,
	      "read back %llu", (unsigned long long)t.r[10].count);
	end("exitstat-save-load");
}

static void test_stat_table(void)
{
	static struct exitstat s, prev;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	begin();
	memset(&s, 0, sizeof(s));
	parse_text(exitstat_parse_exits, &s, fixture_exits);
	f = open_memstream(&text, &len);
	stat_print_table(f, &s, NULL, 0);
	fclose(f);
	CHECK(text && !strcmp(text,
		"reason                            total         /s  %total  kernel-ticks  user-ticks\n"
		"10 cpuid                           1000          -   66.23           220           -\n"
		"30 io                               500          -   33.11          1200        7300\n"
		"12 hlt                               10          -    0.66          5000           -\n"
		"total                              1510          -  100.00           576        7300\n"),
	      "table:\n%s", text ? text : "");
	free(text);

	/* rates: the difference over the seconds since the last snapshot */
	prev = s;
	prev.r[10].count = 600;
	prev.r[30].count = 500;
	prev.r[12].count = 0;
	text = NULL;
	f = open_memstream(&text, &len);
	stat_print_table(f, &s, &prev, 2.0);
	fclose(f);
	CHECK(text && strstr(text, "10 cpuid                           1000        200") &&
	      strstr(text, "30 io                               500          0") &&
	      strstr(text, "12 hlt                               10          5") &&
	      strstr(text, "total                              1510        205"),
	      "rates:\n%s", text ? text : "");
	free(text);
	end("stat-table");
}

static void test_stat_hist(void)
{
	static struct exitstat s;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int saved = dup(2), null = open("/dev/null", O_WRONLY), ret;

	begin();
	memset(&s, 0, sizeof(s));
	parse_text(exitstat_parse_exits, &s, fixture_exits);
	parse_text(exitstat_parse_hist, &s, fixture_hist);
	f = open_memstream(&text, &len);
	stat_print_hist(f, &s, 10, EXITSTAT_KERNEL);
	fclose(f);
	CHECK(text && !strcmp(text,
		"10 cpuid: kernel cost in ticks, 1000 exits\n"
		"[128, 256)                           12 |#\n"
		"[256, 512)                          988 |##################################################\n"),
	      "hist:\n%s", text ? text : "");
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	stat_print_hist(f, &s, 30, EXITSTAT_USER);
	fclose(f);
	CHECK(text && strstr(text, "[4096, 8192)                        480 |####") &&
	      strstr(text, "[8192, 16384)                        20 |###\n"),
	      "user hist:\n%s", text ? text : "");
	free(text);
	dup2(null, 2);
	ret = stat_print_hist(stdout, &s, 12, EXITSTAT_KERNEL);
	dup2(saved, 2);
	close(saved);
	close(null);
	CHECK(ret < 0, "hlt without a histogram drawn");
	end("stat-hist");
}

/* the command: --once and --hist on fixture directories */
static void test_stat_cli(void)
{
	const char *vm1 = tmp_path("stat-root/100-0"), *vm2 = tmp_path("stat-root/200-1");
	const char *root = tmp_path("stat-root"), *png = tmp_path("cpuid.png");
	char gp[512], *old_path;
	struct child c;

	mkdir(root, 0755);
	make_vm_dir(vm1);
	make_vm_dir(vm2);

	begin();
	run_lvctl(&c, ARGS("stat", "--once", "--input", vm1));
	CHECK(c.status == 0, "status %d: %s", c.status, c.err);
	CHECK(strstr(c.out, "(pid 321, ept, 1 vcpu)") &&
	      strstr(c.out, "10 cpuid                           1000          -   66.23           220           -\n"),
	      "out:\n%s", c.out);
	end("stat-once-input");

	begin();
	run_lvctl(&c, ARGS("stat", "--once", "--input", root));
	CHECK(c.status == 0, "status %d: %s", c.status, c.err);
	CHECK(strstr(c.out, "(2 VMs)") &&
	      strstr(c.out, "10 cpuid                           2000") &&
	      strstr(c.out, "total                              3020"), "out:\n%s", c.out);
	run_lvctl(&c, ARGS("stat", "--once", "--input", root, "--vm", "200-1",
			   "--vcpu", "0"));
	CHECK(c.status == 0 && strstr(c.out, "vcpu0") &&
	      strstr(c.out, "total                              1510"),
	      "--vm --vcpu: %d\n%s%s", c.status, c.out, c.err);
	run_lvctl(&c, ARGS("stat", "--once", "--input", root, "--vm", "300-0"));
	CHECK(c.status == 1 && strstr(c.err, "no VM 300-0"), "--vm missing: %d %s",
	      c.status, c.err);
	end("stat-once-all-vms");

	begin();
	run_lvctl(&c, ARGS("stat", "--input", vm1, "--hist", "cpuid"));
	CHECK(c.status == 0 && strstr(c.out, "[256, 512)                          988 |"),
	      "hist: %d\n%s%s", c.status, c.out, c.err);
	run_lvctl(&c, ARGS("stat", "--input", vm1, "--hist", "30", "--kind", "user"));
	CHECK(c.status == 0 && strstr(c.out, "30 io: user cost in ticks, 500 exits"),
	      "user hist: %d\n%s%s", c.status, c.out, c.err);
	/* no gnuplot in PATH: the script, with the data inline */
	snprintf(gp, sizeof(gp), "%s.gp", png);
	unlink(gp);
	old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", "/nonexistent", 1);
	run_lvctl(&c, ARGS("stat", "--input", vm1, "--hist", "cpuid", "--png", png));
	setenv("PATH", old_path, 1);
	free(old_path);
	CHECK(c.status == 0 && strstr(c.err, "gnuplot is not installed"),
	      "no gnuplot: %d %s", c.status, c.err);
	{
		FILE *f = fopen(gp, "r");
		char buf[4096] = "";
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		buf[n] = '\0';
		if (f)
			fclose(f);
		CHECK(strstr(buf, "set terminal png") &&
		      strstr(buf, "\"[128, 256)\" 12\n\"[256, 512)\" 988\nEOD\n") &&
		      strstr(buf, "plot $hist"), "script:\n%s", buf);
	}
	end("stat-hist-cli");

	/* with gnuplot (make check installs gnuplot-nox): a real PNG */
	if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
		begin();
		unlink(png);
		run_lvctl(&c, ARGS("stat", "--input", vm1, "--hist", "cpuid", "--png", png));
		{
			FILE *f = fopen(png, "rb");
			unsigned char sig[8] = { 0 };

			CHECK(c.status == 0, "status %d: %s", c.status, c.err);
			CHECK(f && fread(sig, 1, 8, f) == 8 &&
			      !memcmp(sig, "\x89PNG\r\n\x1a\n", 8), "%s is no PNG", png);
			if (f)
				fclose(f);
		}
		end("stat-hist-png");
	}

	/* the live view: refreshes with rates until SIGINT, then status 0 */
	begin();
	{
		char cmd[1024], buf[8192] = "";
		FILE *f;
		size_t n;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "%s stat -d 0.1 --input %s > %s 2>&1 & p=$!; sleep 0.6; "
			 "kill -INT $p; wait $p", lvctl, root, tmp_path("live.txt"));
		st = system(cmd);
		f = fopen(tmp_path("live.txt"), "r");
		n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		buf[n] = '\0';
		if (f)
			fclose(f);
		CHECK(st == 0, "status 0x%x after SIGINT", st);
		CHECK(strstr(buf, "\033[H\033[2Jlvctl stat: ") &&
		      strstr(buf, "total                              3020          -") &&
		      strstr(buf, "total                              3020          0"),
		      "live output:\n%s", buf);
	}
	end("stat-live");

	expect_usage_error("cli-stat-bad-option", "unknown option",
			   ARGS("stat", "--bogus"));
	expect_usage_error("cli-stat-bad-delay", "-d", ARGS("stat", "-d", "0"));
	expect_usage_error("cli-stat-bad-hist", "--hist 'nope'",
			   ARGS("stat", "--hist", "nope"));
	expect_usage_error("cli-stat-bad-kind", "--kind",
			   ARGS("stat", "--hist", "cpuid", "--kind", "both"));
	expect_usage_error("cli-stat-png-alone", "--hist",
			   ARGS("stat", "--once", "--png", "x.png"));
	expect_usage_error("cli-stat-no-arg", "needs an argument",
			   ARGS("stat", "--input"));
}

/* the ring reader on a ring in memory: wrap-around, tail, a broken head */
static void test_trace_ring(void)
{
	const u64 nr = 64;
	struct lv_trace_record *recs;
	struct lv_trace_ring *ring;
	char *text = NULL, *line;
	u64 lost = 0, n, i;
	size_t len = 0;
	FILE *f;

	begin();
	ring = aligned_alloc(4096, TRACE_RECORDS_OFFSET + nr * sizeof(*recs));
	if (!ring) {
		bad("out of memory");
		end("trace-ring-drain");
		return;
	}
	memset(ring, 0, TRACE_RECORDS_OFFSET + nr * sizeof(*recs));
	recs = (void *)((char *)ring + TRACE_RECORDS_OFFSET);
	ring->version = LV_TRACE_VERSION;
	ring->record_size = sizeof(*recs);
	ring->nr_records = nr;
	/* records 60..69: slots 60..63, then 0..5 */
	for (i = 60; i < 70; i++) {
		struct lv_trace_record *r = &recs[i % nr];

		r->reason = i == 65 ? 30 : 10;
		r->flags = i == 65 ? LV_TRACE_USER : 0;
		r->qualification = i == 65 ? 0xe00048 : 0;
		r->rip = 0x100000 + i;
		r->tsc_exit = 1000 * i;
		r->tsc_entry = i == 69 ? 0 : 1000 * i + 250;
	}
	ring->tail = 60;
	ring->head = 70;
	f = open_memstream(&text, &len);
	n = trace_ring_drain(ring, nr, f, 1, &lost);
	fclose(f);
	CHECK_EQ(n, 10);
	CHECK_EQ(ring->tail, 70);
	CHECK_EQ(lost, 0);
	line = text ? strstr(text, "1,10,cpuid,0,0x0,0x10003c,0x0,60000,60250,250\n") : NULL;
	CHECK(line == text, "first line:\n%s", text ? text : "");
	CHECK(text && strstr(text, "\n1,30,io,1,0xe00048,0x100041,0x0,65000,65250,250\n"),
	      "user record:\n%s", text ? text : "");
	/* no entry after the last exit: no cost */
	CHECK(text && strstr(text, "\n1,10,cpuid,0,0x0,0x100045,0x0,69000,0,\n"),
	      "last record:\n%s", text ? text : "");
	free(text);

	/* nothing new: nothing written */
	text = NULL;
	f = open_memstream(&text, &len);
	n = trace_ring_drain(ring, nr, f, 1, &lost);
	fclose(f);
	CHECK_EQ(n, 0);
	CHECK(text && !*text, "wrote '%s'", text ? text : "");
	free(text);

	/* a head 100 records ahead: only the last 64 exist */
	ring->head = 170;
	text = NULL;
	f = open_memstream(&text, &len);
	n = trace_ring_drain(ring, nr, f, 0, &lost);
	fclose(f);
	free(text);
	CHECK_EQ(n, 64);
	CHECK_EQ(lost, 36);
	CHECK_EQ(ring->tail, 170);
	free(ring);
	end("trace-ring-drain");
}

static void test_trace_cli(void)
{
	const char *bin = write_file("trace-hlt.bin", "\xf4", 1);

	expect_usage_error("cli-trace-nothing", "no VM to run", ARGS("trace"));
	expect_usage_error("cli-trace-records", "--records '100'",
			   ARGS("trace", "--records", "100", bin));
	expect_usage_error("cli-trace-records-small", "--records '32'",
			   ARGS("trace", "--records=32", bin));
	expect_usage_error("cli-trace-out", "--out needs an argument",
			   ARGS("trace", "--out"));
	expect_usage_error("cli-trace-kvm", "no exit trace ring",
			   ARGS("trace", "--out", "tmp/t.csv", "--accel", "kvm", bin));
	expect_usage_error("cli-trace-run-args", "unknown option",
			   ARGS("trace", "--records", "64", "--bogus", bin));
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-lvtools");

	test_exits_option();
	test_forward_option();
	test_policy_numbers();
	test_cpuid_option();
	test_msr_option();
	test_policy_cli();
	test_forwarded_loop();
	test_exitstat_parse();
	test_exitstat_save();
	test_stat_table();
	test_stat_hist();
	test_stat_cli();
	test_trace_ring();
	test_trace_cli();

	return harness_finish();
}
