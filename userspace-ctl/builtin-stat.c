// SPDX-License-Identifier: GPL-2.0
/*
 * lvctl stat: labvisor's exit statistics from debugfs (exitstats.h), as a
 * live per-reason table (like kvm_stat), one snapshot (--once), or one
 * reason's cost histogram in the terminal and as a PNG drawn by gnuplot
 * (--hist).  --input reads a copy of the files instead (a VM directory,
 * or a directory of VM directories).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "builtin.h"
#include "exitstats.h"
#include "stats.h"
#include "exitcfg.h"

#define STAT_DEBUGFS	"/sys/kernel/debug/labvisor"
#define STAT_BAR	50

struct stat_opts {
	double delay;
	bool once;
	const char *vm;
	const char *input;
	int vcpu;		/* -1: the VM's totals */
	int hist_reason;	/* -1: the table */
	int kind;
	const char *png;
};

static volatile sig_atomic_t stat_stop;

static void stat_usage(FILE *f)
{
	fprintf(f,
		"usage: lvctl stat [-d SECONDS] [--once] [--vm NAME] [--vcpu N] [--input DIR]\n"
		"       lvctl stat --hist REASON [--kind kernel|user] [--png FILE] [--vm NAME]\n"
		"                  [--vcpu N] [--input DIR]\n"
		"  labvisor's exit statistics (debugfs: %s/<pid>-<n>/)\n"
		"  -d SECONDS      refresh every SECONDS (default 1)\n"
		"  --once          one snapshot of the totals, no screen clearing\n"
		"  --vm NAME       that VM's directory only (default: the sum of all VMs)\n"
		"  --vcpu N        vCPU N's statistics only (vcpuN/)\n"
		"  --input DIR     read DIR instead of debugfs: a VM directory (as lvctl run\n"
		"                  --stats-dir writes) or a directory of them\n"
		"  --hist REASON   the log2 histogram of one exit reason's cost (a name as\n"
		"                  in lvctl run --stats, or a number)\n"
		"  --kind K        kernel (default) or user cost\n"
		"  --png FILE      also draw it into FILE with gnuplot (without gnuplot:\n"
		"                  FILE.gp, a gnuplot script with the data inline)\n"
		"columns: reason, total exits, exits per second since the last refresh,\n"
		"%% of all exits, mean kernel ticks, mean user-space ticks (exits that went\n"
		"to user space)\n", STAT_DEBUGFS);
}

static int parse_delay(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.05) || v > 3600) {
		pr_err("stat: -d '%s': need seconds from 0.05 to 3600", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_stat_args(int argc, char **argv, struct stat_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->delay = 1;
	o->vcpu = -1;
	o->hist_reason = -1;
	o->kind = -1;
	for (i = 1; i < argc; i++) {
		static const char *const with_arg[] = {
			"-d", "--vm", "--vcpu", "--input", "--hist", "--kind",
			"--png",
		};
		const char *a = argv[i], *v = NULL;
		bool takes = false;
		size_t k;

		for (k = 0; k < ARRAY_SIZE(with_arg); k++)
			if (!strcmp(a, with_arg[k]))
				takes = true;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			stat_usage(stdout);
			return 1;
		}
		if (!takes && strcmp(a, "--once")) {
			pr_err("stat: unknown option '%s' (lvctl stat --help)", a);
			return -1;
		}
		if (takes) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				pr_err("stat: option %s needs an argument", a);
				return -1;
			}
			v = argv[i + 1];
		}
		if (!strcmp(a, "--once")) {
			o->once = true;
			continue;
		}
		i++;
		if (!strcmp(a, "-d")) {
			if (parse_delay(v, &o->delay))
				return -1;
		} else if (!strcmp(a, "--vm")) {
			if (strchr(v, '/')) {
				pr_err("stat: --vm '%s': a directory name (<pid>-<n>)", v);
				return -1;
			}
			o->vm = v;
		} else if (!strcmp(a, "--vcpu")) {
			if (v[0] < '0' || v[0] > '9' || v[1] ||
			    v[0] - '0' >= LVCTL_MAX_VCPUS) {
				pr_err("stat: --vcpu '%s': need 0 to %d", v,
				       LVCTL_MAX_VCPUS - 1);
				return -1;
			}
			o->vcpu = v[0] - '0';
		} else if (!strcmp(a, "--input")) {
			o->input = v;
		} else if (!strcmp(a, "--hist")) {
			o->hist_reason = exit_reason_parse(v);
			if (o->hist_reason < 0 ||
			    o->hist_reason >= EXITSTAT_REASONS) {
				pr_err("stat: --hist '%s': unknown exit reason", v);
				return -1;
			}
		} else if (!strcmp(a, "--kind")) {
			o->kind = exitstat_kind_parse(v);
			if (o->kind < 0) {
				pr_err("stat: --kind '%s': kernel or user", v);
				return -1;
			}
		} else {
			o->png = v;
		}
	}
	if (o->hist_reason < 0 && (o->kind >= 0 || o->png)) {
		pr_err("stat: --kind and --png go with --hist REASON");
		return -1;
	}
	if (o->kind < 0)
		o->kind = EXITSTAT_KERNEL;
	return 0;
}

static bool has_exits(const char *dir)
{
	char path[4096 + 16];

	snprintf(path, sizeof(path), "%s/exits", dir);
	return access(path, F_OK) == 0;
}

/*
 * The statistics of the VMs the options select, summed into @s.  0, or
 * -1 with a message (no such directory, no VM, a malformed file); 1 when
 * there is no VM and @quiet.
 */
static int stat_load(const struct stat_opts *o, struct exitstat *s,
		     bool quiet)
{
	const char *root = o->input ? o->input : STAT_DEBUGFS;
	char path[4096];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!o->vm && has_exits(root))
		return exitstat_load_dir(s, root, o->vcpu);
	d = opendir(root);
	if (!d) {
		pr_err("stat: %s: %s%s", root, strerror(errno),
		       o->input ? "" : " (is labvisor.ko loaded and debugfs mounted?)");
		return -1;
	}
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || (o->vm && strcmp(o->vm, de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		if (!has_exits(path))
			continue;
		/* a VM that went away meanwhile is simply not counted */
		ret = exitstat_load_dir(s, path, o->vcpu);
		if (ret && !has_exits(path))
			ret = 0;
	}
	closedir(d);
	if (!ret && !s->nr_vms) {
		if (quiet)
			return 1;
		if (o->vm)
			pr_err("stat: no VM %s in %s", o->vm, root);
		else
			pr_err("stat: no labvisor VM in %s", root);
		return -1;
	}
	return ret;
}

static u64 total_of(const struct exitstat *s, u64 *kernel, u64 *user,
		    u64 *user_count)
{
	u64 n = 0;
	int i;

	*kernel = *user = *user_count = 0;
	for (i = 0; i < EXITSTAT_REASONS; i++) {
		n += s->r[i].count;
		*kernel += s->r[i].kernel_ticks;
		*user += s->r[i].user_ticks;
		*user_count += s->r[i].user_count;
	}
	return n;
}

static void print_mean(FILE *f, u64 ticks, u64 n, int width)
{
	if (n)
		fprintf(f, " %*" PRIu64, width, (ticks + n / 2) / n);
	else
		fprintf(f, " %*s", width, "-");
}

/* the rate column: "-" without a previous snapshot */
static void print_rate(FILE *f, u64 cur, const u64 *prev, double secs)
{
	if (!prev || secs <= 0)
		fprintf(f, " %10s", "-");
	else
		fprintf(f, " %10.0f", cur > *prev ? (cur - *prev) / secs : 0.0);
}

/*
 * The table: one row per reason that occurred, largest total first
 * (@prev: the previous snapshot for the rates, or NULL).
 */
void stat_print_table(FILE *f, const struct exitstat *s,
		      const struct exitstat *prev, double secs)
{
	bool done[EXITSTAT_REASONS] = { false };
	u64 total, kticks, uticks, ucount, ptotal = 0, pk, pu, pc;
	int i, n;

	total = total_of(s, &kticks, &uticks, &ucount);
	if (prev)
		ptotal = total_of(prev, &pk, &pu, &pc);
	fprintf(f, "%-26s %12s %10s %7s %13s %11s\n", "reason", "total", "/s",
		"%total", "kernel-ticks", "user-ticks");
	for (n = 0; n < EXITSTAT_REASONS; n++) {
		const struct exitstat_reason *r;
		char label[EXITSTAT_NAME + 8];
		int best = -1;

		for (i = 0; i < EXITSTAT_REASONS; i++)
			if (!done[i] && s->r[i].count &&
			    (best < 0 || s->r[i].count > s->r[best].count))
				best = i;
		if (best < 0)
			break;
		done[best] = true;
		r = &s->r[best];
		snprintf(label, sizeof(label), "%d %s", best,
			 r->name[0] ? r->name : "unknown");
		fprintf(f, "%-26s %12" PRIu64, label, r->count);
		print_rate(f, r->count, prev ? &prev->r[best].count : NULL, secs);
		fprintf(f, " %7.2f", total ? 100.0 * r->count / total : 0.0);
		print_mean(f, r->kernel_ticks, r->count, 13);
		print_mean(f, r->user_ticks, r->user_count, 11);
		fputc('\n', f);
	}
	fprintf(f, "%-26s %12" PRIu64, "total", total);
	print_rate(f, total, prev ? &ptotal : NULL, secs);
	fprintf(f, " %7.2f", total ? 100.0 : 0.0);
	print_mean(f, kticks, total, 13);
	print_mean(f, uticks, ucount, 11);
	fputc('\n', f);
}

static void print_header(FILE *f, const struct stat_opts *o,
			 const struct exitstat *s)
{
	fprintf(f, "lvctl stat: %s", o->input ? o->input : STAT_DEBUGFS);
	if (o->vm)
		fprintf(f, "/%s", o->vm);
	if (s->nr_vms == 1 && s->pid)
		fprintf(f, " (pid %ld, %s, %d vcpu%s)", s->pid, s->mode,
			s->vcpus, s->vcpus == 1 ? "" : "s");
	else
		fprintf(f, " (%d VMs)", s->nr_vms);
	if (o->vcpu >= 0)
		fprintf(f, ", vcpu%d", o->vcpu);
	fputc('\n', f);
}

static void bucket_label(int i, char *buf, size_t size)
{
	u64 lo, hi;

	exitstat_bucket_range(i, &lo, &hi);
	if (hi)
		snprintf(buf, size, "[%" PRIu64 ", %" PRIu64 ")", lo, hi);
	else
		snprintf(buf, size, "[%" PRIu64 ", inf)", lo);
}

/* one reason's histogram as bars; -1 (message) if it has none */
int stat_print_hist(FILE *f, const struct exitstat *s, int reason, int kind)
{
	const struct exitstat_reason *r = &s->r[reason];
	const char *name = r->name[0] ? r->name : vmx_exit_reason_name(reason);
	u64 max = 0, sum = 0;
	char label[48];
	int i, len;

	for (i = 0; i < EXITSTAT_BUCKETS; i++) {
		sum += r->hist[kind][i];
		if (r->hist[kind][i] > max)
			max = r->hist[kind][i];
	}
	if (!sum) {
		pr_err("stat: no %s-cost histogram for exit reason %d (%s): no such exits",
		       exitstat_kind_name(kind), reason, name ? name : "unknown");
		return -1;
	}
	fprintf(f, "%d %s: %s cost in ticks, %" PRIu64 " exits\n", reason,
		name ? name : "unknown", exitstat_kind_name(kind), sum);
	for (i = 0; i < EXITSTAT_BUCKETS; i++) {
		u64 c = r->hist[kind][i];

		if (!c)
			continue;
		bucket_label(i, label, sizeof(label));
		len = (int)((c * STAT_BAR + max - 1) / max);
		fprintf(f, "%-26s %12" PRIu64 " |%.*s\n", label, c, len,
			"##################################################");
	}
	return 0;
}

/* the gnuplot script that draws the histogram into @png, data inline */
void stat_write_gnuplot(FILE *f, const struct exitstat *s, int reason,
			int kind, const char *png)
{
	const struct exitstat_reason *r = &s->r[reason];
	const char *name = r->name[0] ? r->name : vmx_exit_reason_name(reason);
	int i, first = -1, last = -1;
	u64 sum = 0;
	char label[48];

	for (i = 0; i < EXITSTAT_BUCKETS; i++) {
		if (!r->hist[kind][i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		sum += r->hist[kind][i];
	}
	fprintf(f, "# lvctl stat --hist %d --kind %s: gnuplot %s.gp\n", reason,
		exitstat_kind_name(kind), png);
	fprintf(f, "set terminal png size 900,520\n");
	fprintf(f, "set output '");
	for (i = 0; png[i]; i++)
		fprintf(f, png[i] == '\'' ? "''" : "%c", png[i]);
	fprintf(f, "'\n");
	fprintf(f, "set title \"labvisor: exit %d (%s), %s cost, %" PRIu64 " exits\"\n",
		reason, name ? name : "unknown", exitstat_kind_name(kind), sum);
	fprintf(f, "set xlabel \"cost in TSC ticks (log2 buckets)\"\n");
	fprintf(f, "set ylabel \"exits\"\n");
	fprintf(f, "set style fill solid 0.7 border -1\n");
	fprintf(f, "set boxwidth 0.8\n");
	fprintf(f, "set xtics rotate by -30\n");
	fprintf(f, "set yrange [0:*]\n");
	fprintf(f, "set grid ytics\n");
	fprintf(f, "$hist << EOD\n");
	for (i = first; i >= 0 && i <= last; i++) {
		bucket_label(i, label, sizeof(label));
		fprintf(f, "\"%s\" %" PRIu64 "\n", label, r->hist[kind][i]);
	}
	fprintf(f, "EOD\n");
	/* the counts above the bars: a bucket of 1 next to one of 2000 shows */
	fprintf(f, "set offsets 0.5, 0.5, graph 0.08, 0\n");
	fprintf(f, "plot $hist using 0:2:xtic(1) with boxes lc rgb \"#3b6ea5\" notitle, \\\n");
	fprintf(f, "     $hist using 0:2:2 with labels offset 0,0.8 notitle\n");
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, prog);
		if (len && access(buf, X_OK) == 0)
			return true;
		path = colon ? colon + 1 : NULL;
	}
	return false;
}

/* --png: gnuplot draws it; without gnuplot, FILE.gp for later */
static int stat_png(const struct exitstat *s, const struct stat_opts *o)
{
	char gp[4096];
	FILE *f;
	int st;

	if (!in_path("gnuplot")) {
		snprintf(gp, sizeof(gp), "%s.gp", o->png);
		f = fopen(gp, "w");
		if (!f) {
			pr_err("stat: %s: %s", gp, strerror(errno));
			return -1;
		}
		stat_write_gnuplot(f, s, o->hist_reason, o->kind, o->png);
		if (fclose(f)) {
			pr_err("stat: %s: write error", gp);
			return -1;
		}
		fprintf(stderr, "lvctl stat: gnuplot is not installed (Debian: gnuplot-nox): wrote %s; 'gnuplot %s' draws %s\n",
			gp, gp, o->png);
		return 0;
	}
	f = popen("gnuplot", "w");
	if (!f) {
		pr_err("stat: cannot run gnuplot: %s", strerror(errno));
		return -1;
	}
	stat_write_gnuplot(f, s, o->hist_reason, o->kind, o->png);
	st = pclose(f);
	if (st) {
		pr_err("stat: gnuplot failed (status 0x%x) drawing %s", st, o->png);
		return -1;
	}
	fprintf(stderr, "lvctl stat: wrote %s\n", o->png);
	return 0;
}

static void stat_signal(int sig)
{
	(void)sig;
	stat_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* refresh until SIGINT/SIGTERM; VMs may come and go meanwhile */
static int stat_live(const struct stat_opts *o)
{
	static struct exitstat cur, prev;
	struct sigaction sa;
	double t_prev = 0, t;
	bool have_prev = false;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stat_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stat_stop) {
		struct timespec ts;
		int ret;

		fputs("\033[H\033[2J", stdout);
		ret = stat_load(o, &cur, true);
		t = now_s();
		if (ret > 0) {
			printf("lvctl stat: %s: no VM%s%s (waiting; ^C ends)\n",
			       o->input ? o->input : STAT_DEBUGFS,
			       o->vm ? " " : "", o->vm ? o->vm : "");
			have_prev = false;
		} else if (!ret) {
			print_header(stdout, o, &cur);
			stat_print_table(stdout, &cur, have_prev ? &prev : NULL,
					 t - t_prev);
			prev = cur;
			have_prev = true;
		} else {
			have_prev = false;
		}
		t_prev = t;
		fflush(stdout);
		ts.tv_sec = (time_t)o->delay;
		ts.tv_nsec = (long)((o->delay - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	static struct exitstat s;
	struct stat_opts o;
	int ret;

	ret = parse_stat_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : LVCTL_EXIT_USAGE;
	if (o.hist_reason < 0 && !o.once)
		return stat_live(&o);
	if (stat_load(&o, &s, false))
		return 1;
	if (o.hist_reason < 0) {
		print_header(stdout, &o, &s);
		stat_print_table(stdout, &s, NULL, 0);
		return 0;
	}
	if (stat_print_hist(stdout, &s, o.hist_reason, o.kind))
		return 1;
	if (o.png && stat_png(&s, &o))
		return 1;
	return 0;
}
