// SPDX-License-Identifier: GPL-2.0
/*
 * io.elf: port I/O that lvctl answers in user space (docs/testing.md).
 *
 *  - scratch port 0xe0: OUT then IN of 8, 16 and 32 bits round-trip
 *    several values each;
 *  - sequence port 0xe4 (reset through 0xe5): REP INSB of 256 bytes gives
 *    0..255; REP OUTSB of 300 bytes of 0, 1, 2, ... leaves the mismatch
 *    count (IN 0xe5) at 0, and the same with the last byte wrong leaves it
 *    at 1 (so a device that accepts anything fails);
 *  - the same string operations with a buffer that crosses a page boundary;
 *  - REP INSB / OUTSB with ECX = 0 transfer nothing.
 */
#include "rt.h"

const char guest_name[] = "io";

static u8 pages[3 * 4096] __attribute__((aligned(4096)));

static void seq_reset(void)
{
	outb(IO_SEQ_MISMATCH, 0);
}

static void rep_insb(u8 *buf, u32 n)
{
	asm volatile("cld; rep insb" : "+D"(buf), "+c"(n) : "d"(IO_SEQ) : "memory");
	CHECK(n == 0, "rep insb left ECX = %u", n);
}

static void rep_outsb(const u8 *buf, u32 n)
{
	asm volatile("cld; rep outsb" : "+S"(buf), "+c"(n) : "d"(IO_SEQ) : "memory");
	CHECK(n == 0, "rep outsb left ECX = %u", n);
}

static void check_scratch(void)
{
	static const u8 v8[] = { 0x00, 0xff, 0x5a, 0xa5, 0x01 };
	static const u16 v16[] = { 0x0000, 0xffff, 0x1234, 0x8001, 0xa55a };
	static const u32 v32[] = { 0, 0xffffffff, 0xdeadbeef, 0x80000001, 0x12345678 };

	for (unsigned i = 0; i < ARRAY_SIZE(v8); i++) {
		u8 r;

		outb(IO_SCRATCH, v8[i]);
		r = inb(IO_SCRATCH);
		CHECK(r == v8[i], "outb 0x%x to 0xe0, inb gave 0x%x", v8[i], r);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(v16); i++) {
		u16 r;

		outw(IO_SCRATCH, v16[i]);
		r = inw(IO_SCRATCH);
		CHECK(r == v16[i], "outw 0x%x to 0xe0, inw gave 0x%x", v16[i], r);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(v32); i++) {
		u32 r;

		outl(IO_SCRATCH, v32[i]);
		r = inl(IO_SCRATCH);
		CHECK(r == v32[i], "outl 0x%x to 0xe0, inl gave 0x%x", v32[i], r);
	}
}

static void check_ins(const char *where, u8 *buf, u32 n)
{
	u32 bad = 0;

	memset(buf, 0xcc, n + 1);
	seq_reset();
	rep_insb(buf, n);
	for (u32 i = 0; i < n; i++) {
		if (buf[i] != (i & 0xff) && !bad++)
			fail("rep insb %s: byte %u is 0x%x, not 0x%x", where, i,
			     buf[i], i & 0xff);
	}
	CHECK(buf[n] == 0xcc, "rep insb %s wrote past its %u bytes", where, n);
}

static void check_outs(const char *where, u8 *buf, u32 n)
{
	u8 mism;

	for (u32 i = 0; i < n; i++)
		buf[i] = i & 0xff;
	seq_reset();
	rep_outsb(buf, n);
	mism = inb(IO_SEQ_MISMATCH);
	CHECK(mism == 0, "rep outsb %s of %u good bytes: %u mismatches", where, n,
	      mism);

	buf[n - 1] ^= 0x40;		/* the last byte wrong */
	seq_reset();
	rep_outsb(buf, n);
	mism = inb(IO_SEQ_MISMATCH);
	CHECK(mism == 1, "rep outsb %s with one wrong byte: %u mismatches, not 1",
	      where, mism);
	seq_reset();
	mism = inb(IO_SEQ_MISMATCH);
	CHECK(mism == 0, "mismatch count %u after a reset", mism);
}

static void check_zero_count(void)
{
	u8 *buf = pages;

	buf[0] = 0xcc;
	seq_reset();
	rep_insb(buf, 0);
	CHECK(buf[0] == 0xcc, "rep insb with ECX = 0 stored a byte");
	/* the sequence was not consumed: the next IN gives 0 */
	CHECK(inb(IO_SEQ) == 0, "rep insb with ECX = 0 consumed the sequence");
	seq_reset();
	buf[0] = 0x77;			/* wrong, if it were sent */
	rep_outsb(buf, 0);
	CHECK(inb(IO_SEQ_MISMATCH) == 0, "rep outsb with ECX = 0 sent a byte");
}

void guest_main(u32 magic, ulong info)
{
	check_scratch();
	check_ins("of 256 bytes", pages, 256);
	check_outs("of 300 bytes", pages, 300);
	/* 4096 - 100: 100 bytes on one page, the rest on the next */
	check_ins("across a page boundary", pages + 4096 - 100, 300);
	check_outs("across a page boundary", pages + 4096 - 100, 300);
	check_zero_count();
}
