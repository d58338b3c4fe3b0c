/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests/uapi programs share: "TEST <name> PASS|FAIL <why>" result
 * lines, and a long-mode guest (flat segments, identity-mapped memory) set
 * up through the uapi.  Each program includes it once.
 */
#ifndef LVTEST_H
#define LVTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/labvisor.h>

static int failures;
static char why[512];

/* a failed check: the first reason goes on the result line, later ones before it */
static inline void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why[0])
		printf("  also: %s\n", msg);
	else
		snprintf(why, sizeof(why), "%s", msg);
}

#define CHECK(cond, ...) do { if (!(cond)) bad(__VA_ARGS__); } while (0)

static inline void begin(void)
{
	why[0] = '\0';
}

/* the result line of test @prefix@name; the next test starts clean */
static inline void lvt_result(const char *prefix, const char *name)
{
	if (why[0]) {
		printf("TEST %s%s FAIL %s\n", prefix, name, why);
		failures++;
	} else {
		printf("TEST %s%s PASS\n", prefix, name);
	}
	why[0] = '\0';
	fflush(stdout);
}

/* ioctl(fd, cmd, arg) must fail with errno @want */
static inline void expect_err(int line, const char *what, int want, long ret,
			      int err)
{
	if (ret >= 0)
		bad("line %d: %s succeeded (%ld), want %s", line, what, ret,
		    strerrorname_np(want));
	else if (err != want)
		bad("line %d: %s: errno %s, want %s", line, what,
		    strerrorname_np(err), strerrorname_np(want));
	if (ret >= 0 && ret > 2)
		close(ret);	/* an fd we did not want */
}

/* errno is read after the call: argument evaluation order is unspecified */
#define EXPECT_ERR(want, fd, cmd, arg) ({				\
	long __r = ioctl(fd, cmd, arg);					\
	int __e = errno;						\
	expect_err(__LINE__, #cmd, want, __r, __e);			\
})

static inline long expect_ok(int line, const char *what, long ret, int err)
{
	if (ret < 0)
		bad("line %d: %s failed: %s", line, what, strerror(err));
	return ret;
}

/* ioctl(fd, cmd, arg) must succeed; its return value */
#define EXPECT_OK(fd, cmd, arg) ({					\
	long __r = ioctl(fd, cmd, arg);					\
	int __e = errno;						\
	expect_ok(__LINE__, #cmd, __r, __e);				\
})

/* guest-physical layout of lvt_long_mode() */
#define LVT_GDT		0x1000
#define LVT_PML4	0x2000
#define LVT_PDPT	0x3000
#define LVT_PD		0x4000	/* one page per GiB mapped */

static inline void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline void lvt_flat_seg(struct lv_segment *s, uint16_t sel,
				uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

/*
 * Long mode for vCPU @vcpu_fd in guest memory @mem: a GDT at LVT_GDT (code
 * 0x08, data 0x10, TSS 0x18), the first @gib GiB identity-mapped with
 * 2 MiB pages, and the IDT at @idt_base/@idt_limit.  The registers (RIP,
 * RSP, RFLAGS) are the caller's.  Returns 0, or -1 after bad().
 */
static inline int lvt_long_mode(int vcpu_fd, uint8_t *mem, unsigned int gib,
				uint64_t idt_base, uint16_t idt_limit)
{
	struct lv_sregs s;
	unsigned int i;

	put64(mem + LVT_GDT + 0x08, 0x00af9b000000ffffULL);
	put64(mem + LVT_GDT + 0x10, 0x00cf93000000ffffULL);
	put64(mem + LVT_GDT + 0x18, 0x00008b0000000067ULL);
	put64(mem + LVT_PML4, LVT_PDPT | 3);
	for (i = 0; i < gib; i++)
		put64(mem + LVT_PDPT + 8 * i, (LVT_PD + 4096 * i) | 3);
	for (i = 0; i < gib * 512; i++)
		put64(mem + LVT_PD + 8 * i, ((uint64_t)i << 21) | 0x83);

	if (ioctl(vcpu_fd, LV_GET_SREGS, &s) < 0) {
		bad("LV_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	lvt_flat_seg(&s.cs, 0x08, 0xb, true);
	lvt_flat_seg(&s.ds, 0x10, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = 0x18;
	s.tr.limit = 0x67;
	s.tr.type = 0xb;
	s.tr.present = 1;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.type = 2;
	s.ldt.present = 1;
	s.ldt.limit = 0xffff;
	s.gdt.base = LVT_GDT;
	s.gdt.limit = 0x1f;
	s.idt.base = idt_base;
	s.idt.limit = idt_limit;
	s.cr0 = 0x80000011;	/* PG, ET, PE */
	s.cr3 = LVT_PML4;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA, LME */
	if (ioctl(vcpu_fd, LV_SET_SREGS, &s) < 0) {
		bad("LV_SET_SREGS (long mode): %s", strerror(errno));
		return -1;
	}
	return 0;
}

#endif /* LVTEST_H */
