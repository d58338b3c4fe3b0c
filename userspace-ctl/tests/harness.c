// SPDX-License-Identifier: GPL-2.0
/*
 * The host tests' shared harness (harness.h): result lines, files, lvctl
 * as a child process, an MSI-recording signal_msi and a scripted
 * accelerator.  Linked into every tests/test-* program.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "lvctl.h"

/* ---- results ---- */

int failures;
char why[512];

void bad(const char *fmt, ...)
{
	va_list ap;

	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

void begin(void)
{
	why[0] = '\0';
}

void end(const char *name)
{
	if (why[0]) {
		printf("TEST %s FAIL %s\n", name, why);
		failures++;
	} else {
		printf("TEST %s PASS\n", name);
	}
	fflush(stdout);
}

int harness_finish(void)
{
	printf("%d test(s) failed\n", failures);
	return failures ? 1 : 0;
}

u32 rd32(const void *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

u64 rd64(const void *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

/* ---- files ---- */

const char *lvctl;

void harness_start(int argc, char **argv, const char *prog)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-LVCTL\n", prog);
		exit(2);
	}
	lvctl = argv[1];
	mkdir(TMPDIR, 0755);
}

const char *tmp_path(const char *name)
{
	char buf[256];
	char *p;

	snprintf(buf, sizeof(buf), TMPDIR "/%s", name);
	p = strdup(buf);
	if (!p)
		exit(1);
	return p;		/* kept for the whole run */
}

const char *write_file(const char *name, const void *data, size_t size)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");

	if (!f || (size && fwrite(data, 1, size, f) != size)) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return path;
}

/* ---- lvctl as a child ---- */

static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
}

void run_lvctl(struct child *c, const char *const *args)
{
	const char *argv[32];
	int err_pipe[2], out_pipe[2], st, i;
	pid_t pid;

	argv[0] = lvctl;
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe(err_pipe) || pipe(out_pipe)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(err_pipe[0]);
		close(out_pipe[0]);
		alarm(20);
		execv(lvctl, (char **)argv);
		_exit(127);
	}
	close(err_pipe[1]);
	close(out_pipe[1]);
	read_all(err_pipe[0], c->err, sizeof(c->err));
	read_all(out_pipe[0], c->out, sizeof(c->out));
	close(err_pipe[0]);
	close(out_pipe[0]);
	waitpid(pid, &st, 0);
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

void expect_usage_error(const char *name, const char *want,
			const char *const *args)
{
	struct child c;
	char *nl;

	begin();
	run_lvctl(&c, args);
	nl = strchr(c.err, '\n');
	if (c.status != LVCTL_EXIT_USAGE)
		bad("exit status %d, want 2 (stderr: %.200s)", c.status, c.err);
	else if (strncmp(c.err, "lvctl: ", 7) || !nl || nl[1])
		bad("want one 'lvctl: ' line on stderr, got '%.200s'", c.err);
	else if (!strstr(c.err, want))
		bad("message '%.*s' does not mention '%s'", (int)(nl - c.err),
		    c.err, want);
	else if (c.out[0])
		bad("unexpected stdout '%.100s'", c.out);
	end(name);
}

/* ---- an accelerator that records MSIs ---- */

static pthread_mutex_t msi_lock = PTHREAD_MUTEX_INITIALIZER;
struct msi_rec msis[MSI_LOG_MAX];
static int nr_msis;

int fake_signal_msi(struct vm *vm, u64 addr, u32 data)
{
	(void)vm;
	pthread_mutex_lock(&msi_lock);
	if (nr_msis < MSI_LOG_MAX) {
		msis[nr_msis].addr = addr;
		msis[nr_msis].data = data;
	}
	nr_msis++;
	pthread_mutex_unlock(&msi_lock);
	return 0;
}

void msi_log_reset(void)
{
	pthread_mutex_lock(&msi_lock);
	nr_msis = 0;
	pthread_mutex_unlock(&msi_lock);
}

int msi_count(void)
{
	int n;

	pthread_mutex_lock(&msi_lock);
	n = nr_msis;
	pthread_mutex_unlock(&msi_lock);
	return n;
}

int msi_count_vector(int from, u8 vector)
{
	int i, n = 0;

	pthread_mutex_lock(&msi_lock);
	for (i = from; i < nr_msis && i < MSI_LOG_MAX; i++)
		if ((msis[i].data & 0xff) == vector)
			n++;
	pthread_mutex_unlock(&msi_lock);
	return n;
}

int msi_count_match(u64 addr, u32 data)
{
	int i, n = 0;

	pthread_mutex_lock(&msi_lock);
	for (i = 0; i < nr_msis && i < MSI_LOG_MAX; i++)
		if (msis[i].addr == addr && msis[i].data == data)
			n++;
	pthread_mutex_unlock(&msi_lock);
	return n;
}

/* ---- a scripted accelerator ---- */

struct fake_vcpu fakes[LVCTL_MAX_VCPUS];

static int script_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct fake_vcpu *f = &fakes[vcpu->id];
	struct script_step *s;

	if (f->immediate_exit) {
		errno = EINTR;
		return -1;
	}
	if (f->pos == f->n) {
		/* sleep in the "kernel" until kicked */
		while (!f->immediate_exit)
			if (poll(NULL, 0, 10) < 0 && errno == EINTR)
				break;
		errno = EINTR;
		return -1;
	}
	s = &f->steps[f->pos];
	if (s->err) {
		__atomic_add_fetch(&f->pos, 1, __ATOMIC_SEQ_CST);
		errno = s->err;
		return -1;
	}
	*exit = s->exit;
	if (exit->kind == VM_EXIT_IO) {
		memcpy(f->io, s->io_data, sizeof(f->io));
		exit->io.data = f->io;
	}
	if (exit->kind == VM_EXIT_MMIO)
		exit->mmio.data = f->mmio;
	if (exit->kind == VM_EXIT_HYPERCALL)
		exit->hypercall.ret = &f->hc_ret;
	/* last: a test waiting for the step count then sees the exit */
	__atomic_add_fetch(&f->pos, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void script_request_exit(struct vcpu *vcpu)
{
	fakes[vcpu->id].immediate_exit = 1;
}

static void script_clear_exit_request(struct vcpu *vcpu)
{
	fakes[vcpu->id].immediate_exit = 0;
}

static int script_get_stats(struct vcpu *vcpu, struct vcpu_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->user_exits = vcpu->user_exits;
	return 0;
}

const struct accel_ops script_ops = {
	.name = "fake",
	.run = script_run,
	.request_exit = script_request_exit,
	.clear_exit_request = script_clear_exit_request,
	.get_stats = script_get_stats,
};

void script_reset(void)
{
	memset(fakes, 0, sizeof(fakes));
}

struct script_step exit_of(enum vm_exit_kind kind)
{
	struct script_step s;

	memset(&s, 0, sizeof(s));
	s.exit.kind = kind;
	return s;
}

struct script_step io_step(bool out, u16 port, u8 size, u32 count,
			   const void *data)
{
	struct script_step s = exit_of(VM_EXIT_IO);

	s.exit.io.out = out;
	s.exit.io.port = port;
	s.exit.io.size = size;
	s.exit.io.count = count;
	if (data)
		memcpy(s.io_data, data, (size_t)size * count);
	return s;
}
