/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness every host test program links (tests/harness.c): TEST
 * lines and the failure count, files under tests/tmp, lvctl run as a
 * child with its output captured, an accelerator signal_msi that
 * records the messages it is given, and a scripted accelerator whose
 * vCPUs replay lists of exits.
 *
 * A test is begin(); CHECK()s; end("name"): the first failed CHECK
 * (or bad()) names the reason, end() prints "TEST name PASS" or
 * "TEST name FAIL why".  main() returns harness_finish().
 */
#ifndef LVCTL_TEST_HARNESS_H
#define LVCTL_TEST_HARNESS_H

#include <stddef.h>
#include <stdbool.h>

#include "accel.h"

/* ---- results ---- */

extern int failures;
extern char why[512];

/* record the first failure of the current test */
void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void begin(void);
void end(const char *name);
/* the summary line; the exit status of the program */
int harness_finish(void);

#define CHECK(cond, ...) do { if (!(cond)) bad(__VA_ARGS__); } while (0)
/* each side evaluated once: many are register reads with side effects */
#define CHECK_EQ(a, b) do { \
	u64 a_ = (u64)(a), b_ = (u64)(b); \
	CHECK(a_ == b_, "%s:%d: %s = 0x%llx, want 0x%llx", __func__, \
	      __LINE__, #a, (unsigned long long)a_, \
	      (unsigned long long)b_); \
} while (0)

/* unaligned little-endian reads of guest structures */
u32 rd32(const void *p);
u64 rd64(const void *p);

/* ---- files and lvctl as a child ---- */

/* where the tests write their files, relative to tests/ */
#define TMPDIR		"tmp"

/* the lvctl binary under test: argv[1] */
extern const char *lvctl;

/*
 * For programs that run lvctl: takes argv[1] as the binary (usage
 * message and exit 2 without it) and creates TMPDIR.
 */
void harness_start(int argc, char **argv, const char *prog);

/* TMPDIR/@name, allocated for the whole run */
const char *tmp_path(const char *name);
/* TMPDIR/@name holding @size bytes of @data (exits on failure) */
const char *write_file(const char *name, const void *data, size_t size);

struct child {
	int status;		/* exit status, or -signal */
	char err[4096];
	char out[4096];
};

/* lvctl @args (NULL-terminated) with stdin /dev/null, 20 s at the most */
void run_lvctl(struct child *c, const char *const *args);

/*
 * Test @name: lvctl @args must exit 2 and say exactly one line,
 * "lvctl: ..." containing @want, and nothing on stdout.
 */
void expect_usage_error(const char *name, const char *want,
			const char *const *args);

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- an accelerator that records MSIs ---- */

#define MSI_LOG_MAX	4096

struct msi_rec {
	u64 addr;
	u32 data;
};

/* the first MSI_LOG_MAX messages since msi_log_reset() */
extern struct msi_rec msis[MSI_LOG_MAX];

/* accel_ops.signal_msi: logs the message, always succeeds */
int fake_signal_msi(struct vm *vm, u64 addr, u32 data);
void msi_log_reset(void);
/* messages signalled since the reset, logged or not */
int msi_count(void);
/* logged messages with @vector since index @from */
int msi_count_vector(int from, u8 vector);
/* logged messages to @addr with @data */
int msi_count_match(u64 addr, u32 data);

/* ---- a scripted accelerator: each vCPU replays its steps ---- */

#define SCRIPT_MAX	8

struct script_step {
	struct vm_exit exit;
	u8 io_data[16];		/* what an IO exit's data starts as */
	int err;		/* run fails with this errno instead */
};

/*
 * Indexed by vcpu->id.  Past its last step a vCPU waits in run() until
 * request_exit() or a signal, as a halted or spinning guest does.
 */
struct fake_vcpu {
	struct script_step steps[SCRIPT_MAX];
	int n;
	int pos;		/* steps run: read it with __atomic_load_n */
	volatile int immediate_exit;
	u8 io[16];		/* the data buffers of the last exit */
	u8 mmio[8];
	u64 hc_ret;
};

extern struct fake_vcpu fakes[LVCTL_MAX_VCPUS];
extern const struct accel_ops script_ops;

/* zeroes fakes[] */
void script_reset(void);
/* a step of @kind, all else zero */
struct script_step exit_of(enum vm_exit_kind kind);
/* an IO step: @count items of @size bytes, OUT data from @data */
struct script_step io_step(bool out, u16 port, u8 size, u32 count,
			   const void *data);

#endif /* LVCTL_TEST_HARNESS_H */
