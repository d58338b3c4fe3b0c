// SPDX-License-Identifier: GPL-2.0
/*
 * lvctl trace [--records N] [--out FILE] RUN-ARGS...: run a VM as lvctl
 * run does, with every vCPU's exit trace ring on (LV_TRACE_ENABLE), and
 * write each record as a CSV line.  A thread drains the rings while the
 * VM runs, and once more after it stopped.  The module never waits for
 * us: what a full ring cannot take is counted in its header's dropped.
 *
 * The ring (uapi struct lv_trace_ring): the module writes record i at
 * i % nr_records and then publishes head = i + 1 (release); we read head
 * with acquire, copy the records up to it and hand them back by storing
 * tail with release.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <linux/labvisor.h>

#include "accel.h"
#include "builtin.h"
#include "stats.h"
#include "trace.h"

#define TRACE_DEFAULT_RECORDS	16384
#define TRACE_MIN_RECORDS	64
#define TRACE_DRAIN_US		10000

struct trace_vcpu {
	struct lv_trace_ring *ring;
	size_t size;
	u64 records;		/* written to the CSV */
	u64 lost;		/* records lvctl could not read (a bad head) */
};

struct trace {
	u32 nr_records;
	FILE *out;
	const char *out_path;
	struct vm *vm;
	struct trace_vcpu v[LVCTL_MAX_VCPUS];
	pthread_t thread;
	bool thread_started;
	int stop;		/* atomic: the drain thread ends */
	pthread_mutex_t lock;	/* one drainer at a time */
};

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: lvctl trace [--records N] [--out FILE] RUN-ARGS...\n"
		"  Runs a VM as 'lvctl run RUN-ARGS...' (labvisor only) with each vCPU's\n"
		"  exit trace ring on, and writes every exit as a CSV line:\n"
		"    vcpu,reason,name,user,qualification,rip,gpa,tsc_exit,tsc_entry,ticks\n"
		"  (ticks = tsc_entry - tsc_exit).  At the end, per vCPU on stderr:\n"
		"    lvctl trace: N records, M dropped (vcpuK)\n"
		"  --records N   ring size per vCPU, a power of two from %d to %u\n"
		"                (default %d)\n"
		"  --out FILE    the CSV goes to FILE (default: stdout; the guest's\n"
		"                serial output then goes to stderr)\n",
		TRACE_MIN_RECORDS, LV_TRACE_MAX_RECORDS, TRACE_DEFAULT_RECORDS);
}

void trace_write_record(FILE *out, int vcpu, const struct lv_trace_record *r)
{
	unsigned int reason = r->reason & 0xffff;
	const char *name = vmx_exit_reason_name(reason);

	fprintf(out, "%d,%u,%s,%u,0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64
		",%" PRIu64 ",%" PRIu64 ",",
		vcpu, reason, name ? name : "unknown",
		(r->flags & LV_TRACE_USER) ? 1 : 0, (u64)r->qualification,
		(u64)r->rip, (u64)r->gpa, (u64)r->tsc_exit, (u64)r->tsc_entry);
	/* no entry after this exit (the VM stopped there): no cost */
	if (r->tsc_entry && r->tsc_entry >= r->tsc_exit)
		fprintf(out, "%" PRIu64 "\n", (u64)(r->tsc_entry - r->tsc_exit));
	else
		fputc('\n', out);
}

u64 trace_ring_drain(struct lv_trace_ring *ring, u64 nr, FILE *out, int vcpu,
		     u64 *lost)
{
	const struct lv_trace_record *recs;
	u64 head, tail, n = 0;

	recs = (const void *)((char *)ring + TRACE_RECORDS_OFFSET);
	head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	tail = ring->tail;
	if (head - tail > nr) {
		/* the module never writes past tail: a broken head */
		*lost += head - tail - nr;
		tail = head - nr;
	}
	for (; tail != head; tail++, n++) {
		struct lv_trace_record r = recs[tail & (nr - 1)];

		trace_write_record(out, vcpu, &r);
	}
	__atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
	return n;
}

static void trace_drain_vcpu(struct trace *t, int id)
{
	struct trace_vcpu *tv = &t->v[id];

	if (tv->ring)
		tv->records += trace_ring_drain(tv->ring, t->nr_records,
						t->out, id, &tv->lost);
}

static void trace_drain(struct trace *t)
{
	int i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->vm->nr_vcpus; i++)
		trace_drain_vcpu(t, i);
	pthread_mutex_unlock(&t->lock);
}

static void *trace_thread(void *arg)
{
	struct trace *t = arg;
	sigset_t set;

	/* the vCPU threads take the stop signals, not this one */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		trace_drain(t);
		usleep(TRACE_DRAIN_US);
	}
	return NULL;
}

static int trace_check(const struct accel_ops *ops, void *opaque)
{
	(void)opaque;
	if (!ops->trace_enable) {
		pr_err("trace: the %s accelerator has no exit trace ring (labvisor only)",
		       ops->name);
		return -1;
	}
	return 0;
}

static int trace_setup(struct vm *vm, void *opaque)
{
	struct trace *t = opaque;
	int i, err;

	t->vm = vm;
	if (t->out_path) {
		t->out = fopen(t->out_path, "w");
		if (!t->out) {
			t->out = stdout;
			pr_err("trace: --out %s: %s", t->out_path,
			       strerror(errno));
			return -1;
		}
	}
	fputs(TRACE_CSV_HEADER, t->out);
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->ops->trace_enable(&vm->vcpus[i], t->nr_records,
					  &t->v[i].ring, &t->v[i].size))
			return -1;
	err = pthread_create(&t->thread, NULL, trace_thread, t);
	if (err) {
		pr_err("trace: cannot start the drain thread: %s",
		       strerror(err));
		return -1;
	}
	t->thread_started = true;
	return 0;
}

static void trace_stopped(struct vm *vm, void *opaque)
{
	struct trace *t = opaque;
	int i;

	if (t->thread_started) {
		__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
		pthread_join(t->thread, NULL);
		t->thread_started = false;
	}
	trace_drain(t);
	fflush(t->out);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct trace_vcpu *tv = &t->v[i];
		u64 dropped;

		if (!tv->ring)
			continue;
		dropped = __atomic_load_n(&tv->ring->dropped, __ATOMIC_ACQUIRE);
		fprintf(stderr, "lvctl trace: %" PRIu64 " records, %" PRIu64 " dropped (vcpu%d)\n",
			tv->records, dropped + tv->lost, i);
		munmap(tv->ring, tv->size);
		tv->ring = NULL;
	}
}

/* --records: a power of two in the module's range */
static int parse_records(const char *s, u32 *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = (*s >= '0' && *s <= '9') ? strtoul(s, &end, 0) : 0;
	if (*s < '0' || *s > '9' || errno || *end || v < TRACE_MIN_RECORDS ||
	    v > LV_TRACE_MAX_RECORDS || (v & (v - 1))) {
		pr_err("trace: --records '%s': need a power of two from %d to %u",
		       s, TRACE_MIN_RECORDS, LV_TRACE_MAX_RECORDS);
		return -1;
	}
	*out = v;
	return 0;
}

static const char opt_missing[] = "";

/*
 * The value of option @name at argv[*i] ("--name V" or "--name=V"), NULL
 * when argv[*i] is another option, opt_missing (message printed) when
 * the value is missing or empty.
 */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len))
		return NULL;
	if (a[len] == '=')
		a += len + 1;
	else if (a[len])
		return NULL;
	else if (*i + 1 < argc)
		a = argv[++*i];
	else
		a = opt_missing;
	if (!*a) {
		pr_err("trace: option %s needs an argument", name);
		return opt_missing;
	}
	return a;
}

int cmd_trace(int argc, char **argv)
{
	static struct trace t = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_hooks hooks = {
		.check = trace_check,
		.setup = trace_setup,
		.stopped = trace_stopped,
		.opaque = &t,
	};
	const char *v;
	int i, ret;

	t.nr_records = TRACE_DEFAULT_RECORDS;
	t.out = stdout;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			trace_usage(stdout);
			return 0;
		}
		v = opt_value(argc, argv, &i, "--records");
		if (v) {
			if (v == opt_missing || parse_records(v, &t.nr_records))
				return LVCTL_EXIT_USAGE;
			continue;
		}
		v = opt_value(argc, argv, &i, "--out");
		if (v) {
			if (v == opt_missing)
				return LVCTL_EXIT_USAGE;
			t.out_path = v;
			continue;
		}
		break;
	}
	if (i == argc) {
		pr_err("trace: no VM to run (lvctl trace [--records N] [--out FILE] RUN-ARGS...)");
		return LVCTL_EXIT_USAGE;
	}
	if (!t.out_path)
		hooks.uart_to_stderr = true;
	/* run_vm parses from argv[1]: argv[i - 1] stands in for "run" */
	ret = run_vm(argc - i + 1, argv + i - 1, &hooks);
	if (t.out != stdout && fclose(t.out)) {
		pr_err("trace: --out %s: write error", t.out_path);
		if (!ret)
			ret = LVCTL_EXIT_FAILED;
	}
	return ret;
}
