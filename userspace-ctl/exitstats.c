// SPDX-License-Identifier: GPL-2.0
/*
 * labvisor's debugfs exit statistics: parse and write (exitstats.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/labvisor.h>

#include "exitstats.h"
#include "stats.h"

static const char *const kind_names[] = { "kernel", "user" };

int exitstat_kind_parse(const char *s)
{
	if (!strcmp(s, "kernel"))
		return EXITSTAT_KERNEL;
	if (!strcmp(s, "user"))
		return EXITSTAT_USER;
	return -1;
}

const char *exitstat_kind_name(int kind)
{
	return kind == EXITSTAT_USER ? kind_names[1] : kind_names[0];
}

void exitstat_bucket_range(int i, u64 *lo, u64 *hi)
{
	*lo = i ? 1ULL << i : 0;
	*hi = i < EXITSTAT_BUCKETS - 1 ? 1ULL << (i + 1) : 0;
}

/* a decimal u64 that fills the whole token */
static int parse_u64(const char *tok, u64 *out)
{
	unsigned long long v;
	char *end;

	if (!tok || *tok < '0' || *tok > '9')
		return -1;
	errno = 0;
	v = strtoull(tok, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/*
 * Split @line at blanks into at most @max tokens; the number found.
 * A line with more tokens than @max gives max + 1.
 */
static int split(char *line, char **tok, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, " \t\r\n", &save); t;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = t;
	}
	return n;
}

/* the reason and name tokens, into @s; NULL if bad */
static struct exitstat_reason *reason_of(struct exitstat *s, char **tok)
{
	struct exitstat_reason *r;
	u64 nr;

	if (parse_u64(tok[0], &nr) || nr >= EXITSTAT_REASONS ||
	    strlen(tok[1]) >= EXITSTAT_NAME)
		return NULL;
	r = &s->r[nr];
	r->seen = true;
	strcpy(r->name, tok[1]);
	return r;
}

/* skip blank and '#' lines; true for a line to parse */
static bool wanted(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line && *line != '#' && *line != '\n';
}

int exitstat_parse_exits(struct exitstat *s, FILE *f, const char *what)
{
	char line[512], *tok[7];
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		struct exitstat_reason *r;
		u64 v[4];
		int i;

		lineno++;
		if (!wanted(line))
			continue;
		if (split(line, tok, 7) != 6)
			goto bad;
		r = reason_of(s, tok);
		if (!r)
			goto bad;
		for (i = 0; i < 4; i++)
			if (parse_u64(tok[2 + i], &v[i]))
				goto bad;
		if (v[1] > v[0])
			goto bad;
		r->count += v[0];
		r->user_count += v[1];
		r->kernel_ticks += v[2];
		r->user_ticks += v[3];
	}
	return 0;
bad:
	pr_err("%s:%d: malformed line (want: reason name count user_count kernel_ticks user_ticks)",
	       what, lineno);
	return -1;
}

int exitstat_parse_hist(struct exitstat *s, FILE *f, const char *what)
{
	char line[1024], *tok[EXITSTAT_BUCKETS + 4];
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		struct exitstat_reason *r;
		u64 b[EXITSTAT_BUCKETS];
		int i, kind;

		lineno++;
		if (!wanted(line))
			continue;
		if (split(line, tok, EXITSTAT_BUCKETS + 4) !=
		    EXITSTAT_BUCKETS + 3)
			goto bad;
		kind = exitstat_kind_parse(tok[2]);
		if (kind < 0)
			goto bad;
		for (i = 0; i < EXITSTAT_BUCKETS; i++)
			if (parse_u64(tok[3 + i], &b[i]))
				goto bad;
		r = reason_of(s, tok);
		if (!r)
			goto bad;
		r->has_hist[kind] = true;
		for (i = 0; i < EXITSTAT_BUCKETS; i++)
			r->hist[kind][i] += b[i];
	}
	return 0;
bad:
	pr_err("%s:%d: malformed line (want: reason name kernel|user and %d bucket counts)",
	       what, lineno, EXITSTAT_BUCKETS);
	return -1;
}

int exitstat_parse_info(struct exitstat *s, FILE *f, const char *what)
{
	char line[256], *tok[3];
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		u64 v;

		lineno++;
		if (!wanted(line))
			continue;
		if (split(line, tok, 3) != 2)
			goto bad;
		if (!strcmp(tok[0], "mode")) {
			if (strlen(tok[1]) >= sizeof(s->mode))
				goto bad;
			strcpy(s->mode, tok[1]);
			continue;
		}
		if (parse_u64(tok[1], &v))
			goto bad;
		if (!strcmp(tok[0], "pid"))
			s->pid = v;
		else if (!strcmp(tok[0], "vcpus"))
			s->vcpus = v;
		/* other keys: newer modules may add some */
	}
	return 0;
bad:
	pr_err("%s:%d: malformed line (want: key value)", what, lineno);
	return -1;
}

typedef int (*parse_fn)(struct exitstat *s, FILE *f, const char *what);

/* 1: parsed, 0: the file does not exist, -1: error (message printed) */
static int load_file(struct exitstat *s, const char *dir, const char *sub,
		     const char *name, parse_fn fn)
{
	char path[4096];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s%s", dir, sub, name);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		pr_err("%s: %s", path, strerror(errno));
		return -1;
	}
	ret = fn(s, f, path);
	if (!ret && ferror(f)) {
		pr_err("%s: read error", path);
		ret = -1;
	}
	fclose(f);
	return ret ? -1 : 1;
}

int exitstat_load_dir(struct exitstat *s, const char *dir, int vcpu)
{
	char sub[32] = "";
	int ret;

	if (vcpu >= 0)
		snprintf(sub, sizeof(sub), "vcpu%d/", vcpu);
	ret = load_file(s, dir, sub, "exits", exitstat_parse_exits);
	if (ret == 0)
		pr_err("%s/%sexits: no such file (not a labvisor VM directory)",
		       dir, sub);
	if (ret <= 0)
		return -1;
	if (load_file(s, dir, sub, "hist", exitstat_parse_hist) < 0 ||
	    load_file(s, dir, "", "info", exitstat_parse_info) < 0)
		return -1;
	s->nr_vms++;
	return 0;
}

void exitstat_write_exits(FILE *f, const struct exitstat *s)
{
	int i;

	fprintf(f, "# reason name count user_count kernel_ticks user_ticks\n");
	for (i = 0; i < EXITSTAT_REASONS; i++) {
		const struct exitstat_reason *r = &s->r[i];

		if (!r->count)
			continue;
		fprintf(f, "%d %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			i, r->name[0] ? r->name : "unknown", r->count,
			r->user_count, r->kernel_ticks, r->user_ticks);
	}
}

void exitstat_write_hist(FILE *f, const struct exitstat *s)
{
	int i, k, b;

	for (i = 0; i < EXITSTAT_REASONS; i++) {
		const struct exitstat_reason *r = &s->r[i];

		for (k = 0; k < 2; k++) {
			u64 sum = 0;

			for (b = 0; b < EXITSTAT_BUCKETS; b++)
				sum += r->hist[k][b];
			if (!sum)
				continue;
			fprintf(f, "%d %s %s", i, r->name[0] ? r->name : "unknown",
				kind_names[k]);
			for (b = 0; b < EXITSTAT_BUCKETS; b++)
				fprintf(f, " %" PRIu64, r->hist[k][b]);
			fputc('\n', f);
		}
	}
}

void exitstat_write_info(FILE *f, const struct exitstat *s)
{
	fprintf(f, "pid %ld\nmode %s\nvcpus %d\n", s->pid,
		s->mode[0] ? s->mode : "unknown", s->vcpus);
}

static int save_file(const char *dir, const char *name,
		     void (*fn)(FILE *f, const struct exitstat *s),
		     const struct exitstat *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		pr_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fn(f, s);
	if (fclose(f)) {
		pr_err("%s: write error", path);
		return -1;
	}
	return 0;
}

int exitstat_save_dir(const struct exitstat *s, const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		pr_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (save_file(dir, "info", exitstat_write_info, s) ||
	    save_file(dir, "exits", exitstat_write_exits, s) ||
	    save_file(dir, "hist", exitstat_write_hist, s))
		return -1;
	return 0;
}

void exitstat_from_lv(struct exitstat *s, const struct lv_exit_reason_stats *st,
		      u32 nr)
{
	u32 i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < nr && i < EXITSTAT_REASONS; i++) {
		struct exitstat_reason *r = &s->r[i];
		const char *name = vmx_exit_reason_name(i);

		snprintf(r->name, sizeof(r->name), "%s", name ? name : "unknown");
		r->seen = st[i].count != 0;
		r->count = st[i].count;
		r->user_count = st[i].user_count;
		r->kernel_ticks = st[i].kernel_ticks;
		r->user_ticks = st[i].user_ticks;
		_Static_assert(sizeof(st[i].kernel_hist) == sizeof(r->hist[0]),
			       "histogram buckets");
		memcpy(r->hist[EXITSTAT_KERNEL], st[i].kernel_hist,
		       sizeof(r->hist[0]));
		memcpy(r->hist[EXITSTAT_USER], st[i].user_hist,
		       sizeof(r->hist[0]));
		r->has_hist[EXITSTAT_KERNEL] = r->count != 0;
		r->has_hist[EXITSTAT_USER] = r->user_count != 0;
	}
}
