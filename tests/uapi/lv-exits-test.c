// SPDX-License-Identifier: GPL-2.0
/*
 * lv-exits-test: the research interfaces of API 3, run in the lab with
 * labvisor.ko loaded.  Each test prints "TEST <name> PASS|FAIL ...".
 *
 *   exit-counts        a guest of 1000 CPUID, 500 OUT, 10 HLT (woken by
 *                      the LAPIC timer, in the kernel): exactly
 *                      those counts (vCPU and VM), user counts, histograms
 *                      that add up, LV_GET_STATS agreeing, debugfs agreeing
 *   trace-ring         the ring's records match the counts; RIPs and TSCs
 *                      make sense; a small ring drops, counts the drops,
 *                      and never holds the guest back
 *   policy-rdtsc       RDTSC exits only while the policy turns them on
 *   policy-forward     forwarded I/O and CPUID exits arrive raw with their
 *                      qualification; LV_VMX_HANDLE and LV_VMX_RESUME work
 *   policy-cpuid       a CPUID override returns exactly its values
 *   policy-msr         MSR overrides (value, #GP), MSR exits added through
 *                      the bitmap, every MSR exiting with LV_EXITS_MSR_ALL
 *   policy-hlt         with HLT exits off HLT runs natively (no HLT exit)
 *   policy-desc-table  SGDT, SIDT, SLDT, STR, LGDT emulated when they exit
 *   policy-preemption  a preemption quantum adds timer exits
 *   policy-bad         every bad policy, table and request is refused with
 *                      its errno and changes nothing
 *
 * `lv-exits-test wpcount` instead runs one test, with the example hook
 * module lv_wpcount.ko loaded (gpa=0x190000 len=4096):
 *   hook-wpcount       1000 guest writes into the watched page are counted
 *                      exactly, 100 next to it are not, and every write
 *                      landed
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/labvisor.h>

#include "lvtest.h"

#define MEM_SIZE	0x400000UL
#define G_GDT		LVT_GDT
#define G_IDT		0x6000
#define G_CODE		0x100000
#define G_DATA		0x180000

extern const uint8_t exits_guest[], exits_guest_end[];
extern const uint8_t g_mix[], g_mix_cpuid[], g_isr[], g_rdtsc[], g_fwd_io[], g_fwd_cpuid[],
	g_cpuid_insn[], g_cpuid_ovr[], g_msr[], g_msr_fsbase[], g_hlt[],
	g_hlt_after[], g_desc[], g_spin[], g_wp[];

#define GADDR(sym)	(G_CODE + (uint64_t)((sym) - exits_guest))

static int sys_fd;
static void result(const char *name)
{
	lvt_result("", name);
}

struct vm {
	int fd, vcpu;
	struct lv_run *run;
	uint8_t *mem;
};

/* a long-mode VM with 4 MiB at 0, identity-mapped, entered at @entry */
static bool vm_open(struct vm *v, uint64_t entry)
{
	struct lv_memory_region r = { .slot = 0, .size = MEM_SIZE };
	struct lv_regs regs;

	memset(v, 0, sizeof(*v));
	v->fd = ioctl(sys_fd, LV_CREATE_VM, LV_VM_EPT);
	v->vcpu = -1;
	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->fd < 0 || v->mem == MAP_FAILED) {
		bad("LV_CREATE_VM or mmap: %s", strerror(errno));
		return false;
	}
	r.uaddr = (uintptr_t)v->mem;
	if (ioctl(v->fd, LV_SET_MEMORY_REGION, &r) < 0) {
		bad("LV_SET_MEMORY_REGION: %s", strerror(errno));
		return false;
	}
	v->vcpu = ioctl(v->fd, LV_CREATE_VCPU, 0);
	if (v->vcpu < 0) {
		bad("LV_CREATE_VCPU: %s", strerror(errno));
		return false;
	}
	v->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED) {
		bad("mmap of the run page: %s", strerror(errno));
		return false;
	}
	memcpy(v->mem + G_CODE, exits_guest, exits_guest_end - exits_guest);
	/* vector 0x40: interrupt gate to g_isr */
	put64(v->mem + G_IDT + 0x40 * 16, (GADDR(g_isr) & 0xffff) | (0x08ULL << 16) |
	      (0x8eULL << 40) | ((GADDR(g_isr) >> 16) << 48));
	put64(v->mem + G_IDT + 0x40 * 16 + 8, GADDR(g_isr) >> 32);
	if (lvt_long_mode(v->vcpu, v->mem, 1, G_IDT, 0xfff))
		return false;
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = 0x80000;
	regs.rflags = 2;
	if (ioctl(v->vcpu, LV_SET_REGS, &regs) < 0) {
		bad("LV_SET_REGS: %s", strerror(errno));
		return false;
	}
	return true;
}

static void vm_close(struct vm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, 4096);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->fd >= 0)
		close(v->fd);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, MEM_SIZE);
}

static bool verbose;

static bool run_once(struct vm *v)
{
	if (verbose) {
		struct lv_regs r;

		ioctl(v->vcpu, LV_GET_REGS, &r);
		fprintf(stderr, "LV_RUN at rip 0x%llx\n", (unsigned long long)r.rip);
	}
	if (ioctl(v->vcpu, LV_RUN, 0) < 0) {
		bad("LV_RUN: %s (exit_reason %u)", strerror(errno), v->run->exit_reason);
		return false;
	}
	return true;
}

static uint32_t out_value(struct vm *v)
{
	uint32_t val = 0;

	memcpy(&val, (uint8_t *)v->run + v->run->io.data_offset, v->run->io.size);
	return val;
}

/*
 * Run to the end mark (OUT 0xe1), resuming after OUT 0xe0 (values saved
 * in @vals) and HLT exits.  Returns the number of values, -1 on failure.
 */
static int run_to_end(struct vm *v, uint32_t *vals, int max)
{
	int n = 0;

	for (;;) {
		if (!run_once(v))
			return -1;
		switch (v->run->exit_reason) {
		case LV_EXIT_IO:
			if (v->run->io.port == 0xe1)
				return n;
			if (v->run->io.port != 0xe0) {
				bad("I/O to port 0x%x", v->run->io.port);
				return -1;
			}
			if (n < max)
				vals[n] = out_value(v);
			n++;
			break;
		default:
			bad("exit %u (hw %u, qualification 0x%llx) before the end mark",
			    v->run->exit_reason, v->run->hw_exit_reason,
			    (unsigned long long)v->run->hw_qualification);
			return -1;
		}
	}
}

static bool get_stats(int fd, unsigned long cmd, struct lv_exit_reason_stats *st)
{
	struct lv_exit_stats req = {
		.first = 0, .nr = LV_NR_EXIT_REASONS, .data = (uintptr_t)st,
	};

	if (ioctl(fd, cmd, &req) < 0) {
		bad("LV_GET_(VM_)EXIT_STATS: %s", strerror(errno));
		return false;
	}
	return true;
}

static uint64_t sum(const __u64 *h)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < LV_HIST_BUCKETS; i++)
		s += h[i];
	return s;
}

/*
 * @open: 1 if the last exit is of this reason: its kernel cost is charged
 * at the next entry, which has not happened
 */
static void expect_count(const struct lv_exit_reason_stats *st, int reason,
			 uint64_t count, uint64_t user, int open, const char *what)
{
	const struct lv_exit_reason_stats *s = &st[reason];

	CHECK(s->count == count, "%s: %s exits %llu, want %llu", what,
	      reason == 10 ? "cpuid" : reason == 30 ? "io" : "hlt",
	      (unsigned long long)s->count, (unsigned long long)count);
	CHECK(s->user_count == user, "%s: reason %d: user_count %llu, want %llu",
	      what, reason, (unsigned long long)s->user_count,
	      (unsigned long long)user);
	CHECK(sum(s->kernel_hist) == s->count - open,
	      "%s: reason %d: kernel histogram sums to %llu, count %llu (%d open)",
	      what, reason, (unsigned long long)sum(s->kernel_hist),
	      (unsigned long long)s->count, open);
	CHECK(sum(s->user_hist) == s->user_count - (user ? open : 0),
	      "%s: reason %d: user histogram sums to %llu, user_count %llu",
	      what, reason, (unsigned long long)sum(s->user_hist),
	      (unsigned long long)s->user_count);
	CHECK(s->kernel_ticks > 0 && (!user || s->user_ticks > 0),
	      "%s: reason %d: no ticks counted", what, reason);
}

/* the VM's debugfs line "<reason> <name> <count> ..." for @reason */
static long long debugfs_count(int reason)
{
	char path[300], line[256], want[16];
	long long best = -1, count = -1;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	/* this process's first VM: the lowest <n> in <pid>-<n> */
	dir = opendir("/sys/kernel/debug/labvisor");
	if (!dir)
		return -2;
	snprintf(want, sizeof(want), "%d-", getpid());
	while ((d = readdir(dir))) {
		if (!strncmp(d->d_name, want, strlen(want)) &&
		    (best < 0 || atoll(d->d_name + strlen(want)) < best))
			best = atoll(d->d_name + strlen(want));
	}
	closedir(dir);
	if (best < 0)
		return -3;
	snprintf(path, sizeof(path), "/sys/kernel/debug/labvisor/%s%lld/exits",
		 want, best);
	f = fopen(path, "r");
	if (!f)
		return -4;
	while (fgets(line, sizeof(line), f)) {
		int r;
		char name[64];
		long long c;

		if (sscanf(line, "%d %63s %lld", &r, name, &c) == 3 && r == reason)
			count = c;
	}
	fclose(f);
	return count;
}

static struct lv_trace_ring *trace_map(struct vm *v, uint32_t nr)
{
	struct lv_trace_setup setup = { .nr_records = nr };
	size_t size = 4096 + ((nr * sizeof(struct lv_trace_record) + 4095) & ~4095UL);
	void *p;

	if (ioctl(v->vcpu, LV_TRACE_ENABLE, &setup) < 0) {
		bad("LV_TRACE_ENABLE: %s", strerror(errno));
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu,
		 LV_TRACE_MMAP_OFFSET);
	if (p == MAP_FAILED) {
		bad("mmap of the trace ring: %s", strerror(errno));
		return NULL;
	}
	return p;
}

static void test_counts_and_trace(void)
{
	static struct lv_exit_reason_stats st[LV_NR_EXIT_REASONS], vst[LV_NR_EXIT_REASONS];
	struct lv_vcpu_stats vs;
	struct lv_trace_ring *ring = NULL;
	struct lv_trace_record *rec;
	uint64_t head, i, by[LV_NR_EXIT_REASONS] = { 0 }, users = 0, total = 0;
	struct vm v;
	long long dfs;

	if (vm_open(&v, GADDR(g_mix)))
		ring = trace_map(&v, 4096);
	if (ring && run_to_end(&v, NULL, 0) >= 0 &&
	    get_stats(v.vcpu, LV_GET_EXIT_STATS, st) &&
	    get_stats(v.fd, LV_GET_VM_EXIT_STATS, vst)) {
		expect_count(st, 10, 1000, 0, 0, "vCPU");
		expect_count(st, 30, 501, 501, 1, "vCPU");
		expect_count(st, 12, 10, 0, 0, "vCPU");
		expect_count(vst, 10, 1000, 0, 0, "VM");
		expect_count(vst, 30, 501, 501, 1, "VM");
		expect_count(vst, 12, 10, 0, 0, "VM");
		if (ioctl(v.vcpu, LV_GET_STATS, &vs) < 0)
			bad("LV_GET_STATS: %s", strerror(errno));
		CHECK(vs.by_reason[10] == 1000 && vs.by_reason[30] == 501 &&
		      vs.by_reason[12] == 10,
		      "LV_GET_STATS disagrees: cpuid %llu io %llu hlt %llu",
		      (unsigned long long)vs.by_reason[10],
		      (unsigned long long)vs.by_reason[30],
		      (unsigned long long)vs.by_reason[12]);
		dfs = debugfs_count(10);
		CHECK(dfs == 1000, "debugfs exits: cpuid %lld, want 1000 (negative: no file)", dfs);
		printf("  cpuid: %llu exits, mean %llu kernel ticks; io: mean %llu kernel, %llu user ticks\n",
		       (unsigned long long)st[10].count,
		       (unsigned long long)(st[10].kernel_ticks / 1000),
		       (unsigned long long)(st[30].kernel_ticks / 501),
		       (unsigned long long)(st[30].user_ticks / 501));
	}
	result("exit-counts");

	if (!ring) {
		bad("no trace ring");
		result("trace-ring");
		vm_close(&v);
		return;
	}
	/* the last exit (OUT 0xe1) is published at the next entry */
	head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	rec = (struct lv_trace_record *)((uint8_t *)ring + 4096);
	CHECK(ring->version == LV_TRACE_VERSION &&
	      ring->record_size == sizeof(*rec) && ring->nr_records == 4096,
	      "ring header: version %u size %u nr %llu", ring->version,
	      ring->record_size, (unsigned long long)ring->nr_records);
	CHECK(ring->dropped == 0, "%llu records dropped from a ring that had room",
	      (unsigned long long)ring->dropped);
	for (i = 0; i < LV_NR_EXIT_REASONS; i++)
		total += st[i].count;
	CHECK(head == total - 1, "ring head %llu, want %llu (exits - the pending one)",
	      (unsigned long long)head, (unsigned long long)(total - 1));
	for (i = 0; i < head && i < 4096; i++) {
		struct lv_trace_record *r = &rec[i];
		uint16_t basic = r->reason;

		if (basic < LV_NR_EXIT_REASONS)
			by[basic]++;
		users += !!(r->flags & LV_TRACE_USER);
		if (r->tsc_entry < r->tsc_exit)
			bad("record %llu: entry TSC before exit TSC", (unsigned long long)i);
		if (basic == 10 && r->rip != GADDR(g_mix_cpuid))
			bad("record %llu: CPUID at rip 0x%llx, want 0x%llx",
			    (unsigned long long)i, (unsigned long long)r->rip,
			    (unsigned long long)GADDR(g_mix_cpuid));
		if (basic == 30 && r->qualification != 0x00e00040)
			bad("record %llu: OUT qualification 0x%llx, want 0xe00040",
			    (unsigned long long)i, (unsigned long long)r->qualification);
	}
	CHECK(by[10] == 1000 && by[30] == 500 && by[12] == 10,
	      "records: cpuid %llu io %llu hlt %llu, want 1000 500 10",
	      (unsigned long long)by[10], (unsigned long long)by[30],
	      (unsigned long long)by[12]);
	CHECK(users == 500, "%llu records marked as exits to user space, want 500",
	      (unsigned long long)users);
	vm_close(&v);

	/* a ring of 64 nobody reads: 64 records, the rest dropped */
	ring = NULL;
	if (vm_open(&v, GADDR(g_mix)))
		ring = trace_map(&v, 64);
	if (ring && run_to_end(&v, NULL, 0) >= 0 &&
	    get_stats(v.vcpu, LV_GET_EXIT_STATS, st)) {
		for (i = 0, total = 0; i < LV_NR_EXIT_REASONS; i++)
			total += st[i].count;
		CHECK(st[10].count == 1000, "small ring: cpuid %llu, want 1000",
		      (unsigned long long)st[10].count);
		CHECK(ring->head == 64 && ring->head + ring->dropped == total,
		      "small ring: head %llu dropped %llu, exits %llu",
		      (unsigned long long)ring->head,
		      (unsigned long long)ring->dropped, (unsigned long long)total);
	}
	vm_close(&v);
	result("trace-ring");
}

static bool set_policy(int fd, unsigned long cmd, const struct lv_exit_policy *p)
{
	if (ioctl(fd, cmd, p) < 0) {
		bad("set exit policy: %s", strerror(errno));
		return false;
	}
	return true;
}

static uint64_t count_of(struct vm *v, int reason)
{
	static struct lv_exit_reason_stats st[LV_NR_EXIT_REASONS];

	if (!get_stats(v->vcpu, LV_GET_EXIT_STATS, st))
		return ~0ULL;
	return st[reason].count;
}

static bool rewind_to(struct vm *v, uint64_t rip)
{
	struct lv_regs r;

	if (ioctl(v->vcpu, LV_GET_REGS, &r) < 0)
		return false;
	r.rip = rip;
	return ioctl(v->vcpu, LV_SET_REGS, &r) == 0;
}

static void test_rdtsc(void)
{
	struct lv_exit_policy p = { .exits_on = LV_EXITS_RDTSC };
	struct vm v;
	uint32_t val[2] = { 0 };

	if (vm_open(&v, GADDR(g_rdtsc)) && run_to_end(&v, val, 1) == 1) {
		CHECK(count_of(&v, 16) == 0, "RDTSC exited %llu times by default",
		      (unsigned long long)count_of(&v, 16));
		if (set_policy(v.fd, LV_SET_VM_EXIT_POLICY, &p) &&
		    rewind_to(&v, GADDR(g_rdtsc)) && run_to_end(&v, val + 1, 1) == 1) {
			CHECK(count_of(&v, 16) == 100, "RDTSC exits %llu with the policy on, want 100",
			      (unsigned long long)count_of(&v, 16));
			CHECK(val[1] != val[0], "emulated RDTSC returned the same low word");
		}
		p.exits_on = 0;
		p.exits_off = LV_EXITS_RDTSC;
		if (set_policy(v.vcpu, LV_SET_EXIT_POLICY, &p) &&
		    rewind_to(&v, GADDR(g_rdtsc)) && run_to_end(&v, val, 1) == 1)
			CHECK(count_of(&v, 16) == 100, "RDTSC exits %llu after the vCPU policy turned them off, want still 100",
			      (unsigned long long)count_of(&v, 16));
	}
	vm_close(&v);
	result("policy-rdtsc");
}

static void test_forward(void)
{
	struct lv_exit_policy p = { .forward = { (1ULL << 30) | (1ULL << 10) } };
	struct lv_regs r;
	struct vm v;
	uint32_t val = 0;

	if (!vm_open(&v, GADDR(g_fwd_io)) || !set_policy(v.fd, LV_SET_VM_EXIT_POLICY, &p))
		goto out;
	/* OUT 0xe0 forwarded raw; LV_VMX_HANDLE gives the usual I/O exit */
	if (!run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_VMX && v.run->vmx.reason == 30 &&
	      v.run->vmx.qualification == 0x00e00040 &&
	      v.run->vmx.rip == GADDR(g_fwd_io) && v.run->vmx.insn_len == 2,
	      "forwarded OUT: exit %u reason %u qualification 0x%llx rip 0x%llx len %u",
	      v.run->exit_reason, v.run->vmx.reason,
	      (unsigned long long)v.run->vmx.qualification,
	      (unsigned long long)v.run->vmx.rip, v.run->vmx.insn_len);
	v.run->vmx.action = LV_VMX_HANDLE;
	if (!run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_IO && v.run->io.port == 0xe0,
	      "LV_VMX_HANDLE: exit %u port 0x%x, want the I/O exit of port 0xe0",
	      v.run->exit_reason, v.run->io.port);
	/* OUT 0xe1 forwarded: user space does it (skips it) and resumes */
	if (!run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_VMX && v.run->vmx.qualification == 0x00e10040,
	      "second forwarded OUT: exit %u qualification 0x%llx",
	      v.run->exit_reason, (unsigned long long)v.run->vmx.qualification);
	/* an unknown action is refused and the exit stays */
	v.run->vmx.action = 7;
	CHECK(ioctl(v.vcpu, LV_RUN, 0) < 0 && errno == EINVAL,
	      "LV_RUN with vmx.action 7 did not fail with EINVAL");
	if (ioctl(v.vcpu, LV_GET_REGS, &r) < 0)
		goto out;
	r.rip += v.run->vmx.insn_len;
	ioctl(v.vcpu, LV_SET_REGS, &r);
	v.run->vmx.action = LV_VMX_RESUME;
	if (!run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_HLT,
	      "after LV_VMX_RESUME past OUT 0xe1: exit %u, want hlt", v.run->exit_reason);
	vm_close(&v);	/* halted with IF=0 for good */

	/* CPUID forwarded (never on the fast path); user space answers */
	if (!vm_open(&v, GADDR(g_fwd_cpuid)) ||
	    !set_policy(v.fd, LV_SET_VM_EXIT_POLICY, &p) || !run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_VMX && v.run->vmx.reason == 10 &&
	      v.run->vmx.rip == GADDR(g_cpuid_insn),
	      "forwarded CPUID: exit %u reason %u rip 0x%llx",
	      v.run->exit_reason, v.run->vmx.reason,
	      (unsigned long long)v.run->vmx.rip);
	if (ioctl(v.vcpu, LV_GET_REGS, &r) < 0)
		goto out;
	r.rax = 0x600dcafe;
	r.rip += v.run->vmx.insn_len;
	ioctl(v.vcpu, LV_SET_REGS, &r);
	v.run->vmx.action = LV_VMX_RESUME;
	if (!run_once(&v))
		goto out;
	CHECK(v.run->exit_reason == LV_EXIT_VMX && v.run->vmx.reason == 30,
	      "after the answered CPUID: exit %u reason %u", v.run->exit_reason,
	      v.run->vmx.reason);
	v.run->vmx.action = LV_VMX_HANDLE;
	if (run_once(&v) && v.run->exit_reason == LV_EXIT_IO)
		val = out_value(&v);
	CHECK(val == 0x600dcafe, "the guest got 0x%x from the answered CPUID", val);
out:
	vm_close(&v);
	result("policy-forward");
}

static void test_cpuid_override(void)
{
	struct lv_cpuid_entry e = {
		.function = 0x40000100, .eax = 0x11111111, .ebx = 0x22222222,
		.ecx = 0x33333333, .edx = 0x44444444,
	};
	struct lv_cpuid_table t = { .nr = 1, .entries = (uintptr_t)&e };
	uint32_t val[4] = { 0 };
	struct vm v;

	if (vm_open(&v, GADDR(g_cpuid_ovr)) && ioctl(v.fd, LV_SET_CPUID, &t) == 0 &&
	    run_to_end(&v, val, 4) == 4)
		CHECK(val[0] == e.eax && val[1] == e.ebx && val[2] == e.ecx &&
		      val[3] == e.edx, "CPUID 0x40000100 gave %x %x %x %x",
		      val[0], val[1], val[2], val[3]);
	else
		bad("LV_SET_CPUID or the guest failed: %s", strerror(errno));
	vm_close(&v);
	result("policy-cpuid");
}

static void test_msr(void)
{
	struct lv_msr_entry e[2] = {
		{ .msr = 0x8b, .action = LV_MSR_READ_VALUE, .value = 0xabcd000012345678ULL },
		{ .msr = 0xc0000100, .action = LV_MSR_WRITE_IGNORE },
	};
	struct lv_msr_table t = { .nr = 2, .entries = (uintptr_t)e };
	struct lv_exit_policy p = { 0 };
	uint32_t val[2] = { 0 };
	struct vm v;

	/* a read value, and a write to a passed-through MSR ignored */
	if (vm_open(&v, GADDR(g_msr)) && ioctl(v.fd, LV_SET_MSR_OVERRIDES, &t) == 0 &&
	    run_to_end(&v, val, 2) == 2) {
		CHECK(val[0] == 0x12345678 && val[1] == 0xabcd0000,
		      "RDMSR 0x8b gave %x:%x", val[1], val[0]);
		if (rewind_to(&v, GADDR(g_msr_fsbase)) && run_to_end(&v, val, 1) == 1)
			CHECK(val[0] == 0, "FS_BASE reads 0x%x after an ignored write", val[0]);
		CHECK(count_of(&v, 32) == 1, "%llu WRMSR exits, want 1 (FS_BASE made to exit)",
		      (unsigned long long)count_of(&v, 32));
	} else {
		bad("LV_SET_MSR_OVERRIDES or the guest failed: %s", strerror(errno));
	}
	vm_close(&v);

	/* READ_GP: #GP with no IDT is a triple fault */
	e[0].action = LV_MSR_READ_GP;
	t.nr = 1;
	if (vm_open(&v, GADDR(g_msr)) && ioctl(v.fd, LV_SET_MSR_OVERRIDES, &t) == 0 &&
	    run_once(&v))
		CHECK(v.run->exit_reason == LV_EXIT_SHUTDOWN,
		      "RDMSR with LV_MSR_READ_GP: exit %u, want shutdown (#GP, no IDT)",
		      v.run->exit_reason);
	vm_close(&v);

	/* FS_BASE passes through by default; msr_exits and MSR_ALL make it exit */
	if (vm_open(&v, GADDR(g_msr_fsbase)) && run_to_end(&v, val, 1) == 1) {
		CHECK(count_of(&v, 32) == 0 && val[0] == 0x5000,
		      "default: %llu WRMSR exits, FS_BASE 0x%x",
		      (unsigned long long)count_of(&v, 32), val[0]);
		p.msr_exits[0] = 0xc0000100;
		if (set_policy(v.vcpu, LV_SET_EXIT_POLICY, &p) &&
		    rewind_to(&v, GADDR(g_msr_fsbase)) && run_to_end(&v, val, 1) == 1)
			CHECK(count_of(&v, 32) == 1 && count_of(&v, 31) == 1 &&
			      val[0] == 0x5000,
			      "msr_exits: %llu WRMSR, %llu RDMSR exits, FS_BASE 0x%x",
			      (unsigned long long)count_of(&v, 32),
			      (unsigned long long)count_of(&v, 31), val[0]);
		memset(&p, 0, sizeof(p));
		p.exits_on = LV_EXITS_MSR_ALL;
		if (set_policy(v.vcpu, LV_SET_EXIT_POLICY, &p) &&
		    rewind_to(&v, GADDR(g_msr_fsbase)) && run_to_end(&v, val, 1) == 1)
			CHECK(count_of(&v, 32) == 2, "LV_EXITS_MSR_ALL: %llu WRMSR exits, want 2",
			      (unsigned long long)count_of(&v, 32));
	}
	vm_close(&v);
	result("policy-msr");
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_hlt(void)
{
	struct lv_exit_policy p = { .exits_off = LV_EXITS_HLT };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct lv_regs r;
	struct vm v;
	int ret;

	sigaction(SIGALRM, &sa, NULL);
	if (vm_open(&v, GADDR(g_hlt)) && set_policy(v.fd, LV_SET_VM_EXIT_POLICY, &p)) {
		/* IF=0: the native HLT never ends; a signal stops LV_RUN */
		alarm(1);
		ret = ioctl(v.vcpu, LV_RUN, 0);
		alarm(0);
		CHECK(ret < 0 && errno == EINTR, "LV_RUN: %d (%s), want EINTR after SIGALRM",
		      ret, strerror(errno));
		CHECK(count_of(&v, 12) == 0, "%llu HLT exits with HLT exiting off",
		      (unsigned long long)count_of(&v, 12));
		if (ioctl(v.vcpu, LV_GET_REGS, &r) == 0)
			CHECK(r.rip == GADDR(g_hlt_after), "rip 0x%llx, want 0x%llx (after the HLT)",
			      (unsigned long long)r.rip,
			      (unsigned long long)GADDR(g_hlt_after));
	}
	vm_close(&v);
	result("policy-hlt");
}

static void test_desc_table(void)
{
	struct lv_exit_policy p = { .exits_on = LV_EXITS_DESC_TABLE };
	uint32_t val[2] = { 0 };
	uint64_t base;
	uint16_t limit;
	struct vm v;

	if (!vm_open(&v, GADDR(g_desc)))
		goto out;
	/* the GDTR image LGDT loads: the same GDT, limit 0x27 */
	limit = 0x27;
	base = G_GDT;
	memcpy(v.mem + G_DATA + 0x20, &limit, 2);
	memcpy(v.mem + G_DATA + 0x22, &base, 8);
	if (!set_policy(v.fd, LV_SET_VM_EXIT_POLICY, &p) || run_to_end(&v, val, 2) != 2)
		goto out;
	memcpy(&limit, v.mem + G_DATA, 2);
	memcpy(&base, v.mem + G_DATA + 2, 8);
	CHECK(limit == 0x1f && base == G_GDT, "SGDT stored %llx/%x",
	      (unsigned long long)base, limit);
	memcpy(&limit, v.mem + G_DATA + 0x10, 2);
	CHECK(limit == 0xfff, "SIDT stored limit %x, want fff", limit);
	CHECK(val[0] == 0xffff0000 && val[1] == 0xffff0018,
	      "SLDT/STR gave %x %x, want ffff0000 ffff0018", val[0], val[1]);
	memcpy(&limit, v.mem + G_DATA + 0x30, 2);
	memcpy(&base, v.mem + G_DATA + 0x32, 8);
	CHECK(limit == 0x27 && base == G_GDT, "SGDT after LGDT stored %llx/%x",
	      (unsigned long long)base, limit);
	CHECK(count_of(&v, 46) == 4 && count_of(&v, 47) == 2,
	      "descriptor-table exits %llu/%llu, want 4/2",
	      (unsigned long long)count_of(&v, 46),
	      (unsigned long long)count_of(&v, 47));
out:
	vm_close(&v);
	result("policy-desc-table");
}

static void test_preemption(void)
{
	struct lv_exit_policy p = { .preemption_us = 20 };
	uint64_t dflt = 0, quantum = 0;
	struct vm v;

	if (vm_open(&v, GADDR(g_spin)) && run_to_end(&v, NULL, 0) == 0) {
		dflt = count_of(&v, 52);
		if (set_policy(v.vcpu, LV_SET_EXIT_POLICY, &p) &&
		    rewind_to(&v, GADDR(g_spin)) && run_to_end(&v, NULL, 0) == 0)
			quantum = count_of(&v, 52) - dflt;
		printf("  preemption-timer exits over the loop: %llu by default, %llu with a 20 us quantum\n",
		       (unsigned long long)dflt, (unsigned long long)quantum);
		CHECK(quantum >= 10 && quantum > dflt,
		      "a 20 us quantum gave %llu timer exits (default %llu)",
		      (unsigned long long)quantum, (unsigned long long)dflt);
	}
	vm_close(&v);
	result("policy-preemption");
}

static void expect_einval(int fd, unsigned long cmd, const void *arg, int want,
			  const char *what)
{
	long ret = ioctl(fd, cmd, arg);

	if (ret >= 0 || errno != want)
		bad("%s: got %ld (%s), want %s", what, ret, ret < 0 ? strerror(errno) : "ok",
		    strerror(want));
}

static void test_bad(void)
{
	struct lv_exit_reason_stats st[LV_NR_EXIT_REASONS];
	struct lv_cpuid_entry ce[LV_CPUID_MAX_ENTRIES + 1] = { { 0 } };
	struct lv_msr_entry me[2] = { { 0 } };
	struct lv_cpuid_table ct = { .entries = (uintptr_t)ce };
	struct lv_msr_table mt = { .entries = (uintptr_t)me };
	struct lv_exit_stats req = { .data = (uintptr_t)st };
	struct lv_trace_setup ts = { 0 };
	struct lv_exit_policy p;
	uint32_t val;
	struct vm v;

	if (!vm_open(&v, GADDR(g_rdtsc)))
		goto out;
#define POLICY(field, value, err) do {					\
		memset(&p, 0, sizeof(p));					\
		p.field = value;						\
		expect_einval(v.fd, LV_SET_VM_EXIT_POLICY, &p, err, "VM policy " #field " = " #value); \
		expect_einval(v.vcpu, LV_SET_EXIT_POLICY, &p, err, "vCPU policy " #field " = " #value); \
	} while (0)
	POLICY(exits_on, 1ULL << 40, EINVAL);
	POLICY(exits_off, LV_EXITS_ALL + 1, EINVAL);
	POLICY(flags, 2, EINVAL);
	POLICY(reserved[2], 1, EINVAL);
	POLICY(preemption_us, 5, EINVAL);
	POLICY(preemption_us, 2000000, EINVAL);
	POLICY(forward[0], 1ULL << 1, EINVAL);	/* external interrupt */
	POLICY(forward[0], 1ULL << 0, EINVAL);	/* exceptions */
	POLICY(forward[0], 1ULL << 33, EINVAL);	/* failed entry */
	POLICY(forward[1], 1ULL << 60, EINVAL);	/* reason 124 */
	POLICY(msr_exits[0], 0x10, EINVAL);	/* exits anyway */
	memset(&p, 0, sizeof(p));
	p.exits_on = p.exits_off = LV_EXITS_RDTSC;
	expect_einval(v.fd, LV_SET_VM_EXIT_POLICY, &p, EINVAL, "on and off at once");
	expect_einval(v.fd, LV_SET_VM_EXIT_POLICY, (void *)8, EFAULT, "policy at a bad address");

	ct.nr = LV_CPUID_MAX_ENTRIES + 1;
	expect_einval(v.fd, LV_SET_CPUID, &ct, EINVAL, "65 CPUID entries");
	ct.nr = 1;
	ct.flags = 1;
	expect_einval(v.fd, LV_SET_CPUID, &ct, EINVAL, "CPUID table flags");
	ct.flags = 0;
	ce[0].reserved = 1;
	expect_einval(v.fd, LV_SET_CPUID, &ct, EINVAL, "CPUID entry reserved");
	ce[0].reserved = 0;
	ce[0].index = 3;	/* an index without LV_CPUID_INDEXED */
	expect_einval(v.fd, LV_SET_CPUID, &ct, EINVAL, "CPUID index without flag");
	ce[0].index = 0;
	ct.nr = 2;		/* two entries for leaf 0 */
	expect_einval(v.fd, LV_SET_CPUID, &ct, EINVAL, "repeated CPUID leaf");
	ct.entries = 8;
	expect_einval(v.fd, LV_SET_CPUID, &ct, EFAULT, "CPUID entries at a bad address");

	mt.nr = 1;
	me[0].msr = 0x8b;
	me[0].action = LV_MSR_READ_VALUE | LV_MSR_READ_GP;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "two read actions");
	me[0].action = 1 << 7;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "unknown MSR action");
	me[0].action = 0;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "no MSR action");
	me[0].msr = 0x808;
	me[0].action = LV_MSR_READ_GP;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "an x2APIC MSR");
	me[0].msr = me[1].msr = 0x8b;
	me[1].action = LV_MSR_READ_GP;
	mt.nr = 2;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "repeated MSR");
	mt.nr = LV_MSR_MAX_ENTRIES + 1;
	expect_einval(v.fd, LV_SET_MSR_OVERRIDES, &mt, EINVAL, "33 MSR entries");

	req.first = 0;
	req.nr = LV_NR_EXIT_REASONS + 1;
	expect_einval(v.vcpu, LV_GET_EXIT_STATS, &req, EINVAL, "stats nr too large");
	req.first = LV_NR_EXIT_REASONS;
	req.nr = 1;
	expect_einval(v.fd, LV_GET_VM_EXIT_STATS, &req, EINVAL, "stats first too large");
	req.first = 0;
	req.nr = 0;
	expect_einval(v.vcpu, LV_GET_EXIT_STATS, &req, EINVAL, "stats nr 0");
	req.nr = 1;
	req.flags = 1;
	expect_einval(v.vcpu, LV_GET_EXIT_STATS, &req, EINVAL, "stats flags");
	req.flags = 0;
	req.data = 8;
	expect_einval(v.vcpu, LV_GET_EXIT_STATS, &req, EFAULT, "stats at a bad address");

	ts.nr_records = 100;
	expect_einval(v.vcpu, LV_TRACE_ENABLE, &ts, EINVAL, "ring of 100");
	ts.nr_records = 32;
	expect_einval(v.vcpu, LV_TRACE_ENABLE, &ts, EINVAL, "ring of 32");
	ts.nr_records = 1U << 21;
	expect_einval(v.vcpu, LV_TRACE_ENABLE, &ts, EINVAL, "ring of 2M");
	ts.nr_records = 64;
	ts.flags = 1;
	expect_einval(v.vcpu, LV_TRACE_ENABLE, &ts, EINVAL, "ring flags");
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, v.vcpu, LV_TRACE_MMAP_OFFSET) != MAP_FAILED)
		bad("the trace ring mapped before LV_TRACE_ENABLE");
	ts.flags = 0;
	if (ioctl(v.vcpu, LV_TRACE_ENABLE, &ts) == 0)
		expect_einval(v.vcpu, LV_TRACE_ENABLE, &ts, EBUSY, "second LV_TRACE_ENABLE");
	else
		bad("LV_TRACE_ENABLE of 64: %s", strerror(errno));
	if (mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, v.vcpu, LV_TRACE_MMAP_OFFSET) != MAP_FAILED)
		bad("a mapping longer than the ring was allowed");

	/* nothing changed: RDTSC still does not exit, CPUID is the module's */
	if (run_to_end(&v, &val, 1) == 1)
		CHECK(count_of(&v, 16) == 0, "RDTSC exits after refused policies");
out:
	vm_close(&v);
	result("policy-bad");
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void test_wpcount(void)
{
	const char *param = "/sys/module/lv_wpcount/parameters/writes";
	uint32_t val[5] = { 0 };
	long before, after;
	struct vm v;

	before = read_long(param);
	if (before < 0) {
		bad("%s unreadable: lv_wpcount.ko not loaded?", param);
	} else if (vm_open(&v, GADDR(g_wp)) && run_to_end(&v, val, 5) == 5) {
		after = read_long(param);
		CHECK(after - before == 1000, "lv_wpcount counted %ld writes, want 1000",
		      after - before);
		CHECK(val[0] == 0x5a && val[1] == 0x1234 && val[2] == 0xdeadbeef &&
		      val[3] == 0x55667788 && val[4] == 0x11223344,
		      "the guest read back %x %x %x %x:%x", val[0], val[1], val[2],
		      val[4], val[3]);
		CHECK(v.mem[0x190000] == 0x5a && v.mem[0x191000] == 1,
		      "guest memory: %x at 0x190000, %x at 0x191000",
		      v.mem[0x190000], v.mem[0x191000]);
		printf("  lv_wpcount: %ld writes counted; %llu EPT-violation exits\n",
		       after - before, (unsigned long long)count_of(&v, 48));
	}
	vm_close(&v);
	result("hook-wpcount");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = getenv("LV_EXITS_VERBOSE") != NULL;
	sys_fd = open("/dev/labvisor", O_RDWR);
	if (sys_fd < 0) {
		printf("TEST exits-test FAIL /dev/labvisor: %s\n", strerror(errno));
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "wpcount")) {
		test_wpcount();
		return failures ? 1 : 0;
	}
	test_counts_and_trace();
	test_rdtsc();
	test_forward();
	test_cpuid_override();
	test_msr();
	test_hlt();
	test_desc_table();
	test_preemption();
	test_bad();
	return failures ? 1 : 0;
}
