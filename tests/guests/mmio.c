// SPDX-License-Identifier: GPL-2.0
/*
 * mmio.bin: lvctl run --mode long64 (flat, 64-bit, at 1 MiB).  The MMIO
 * test device at 0xd0000000 (4 KiB, not RAM; byte i starts as
 * (i * 7 + 1) & 0xff, writes of 1, 2, 4 or 8 bytes store):
 *
 *  - reads of 1, 2, 4 and 8 bytes at aligned and unaligned offsets, and
 *    8-byte reads of the whole page, match the initial pattern;
 *  - writes of each width read back at that width and byte by byte
 *    (little endian), leaving the neighbouring bytes alone;
 *  - MOV with an immediate of each width (MOVQ's imm32 sign-extended);
 *  - MOVZX/MOVSX (byte and word) and MOVSXD loads from MMIO.
 *
 * Every access is one explicit instruction (inline asm), and a shadow
 * copy of the device follows every write.
 */
#include "rt.h"

const char guest_name[] = "mmio";

static u8 shadow[MMIO_TEST_SIZE];

#define DEV(off) (MMIO_TEST_BASE + (off))

static u64 dev_read(ulong off, int w)
{
	ulong a = DEV(off);
	u64 v = 0;

	switch (w) {
	case 1: { u8 x; asm volatile("movb (%1), %0" : "=q"(x) : "r"(a) : "memory"); v = x; break; }
	case 2: { u16 x; asm volatile("movw (%1), %0" : "=r"(x) : "r"(a) : "memory"); v = x; break; }
	case 4: { u32 x; asm volatile("movl (%1), %0" : "=r"(x) : "r"(a) : "memory"); v = x; break; }
	default: asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
	}
	return v;
}

static void dev_write(ulong off, int w, u64 v)
{
	ulong a = DEV(off);

	switch (w) {
	case 1: asm volatile("movb %0, (%1)" :: "q"((u8)v), "r"(a) : "memory"); break;
	case 2: asm volatile("movw %0, (%1)" :: "r"((u16)v), "r"(a) : "memory"); break;
	case 4: asm volatile("movl %0, (%1)" :: "r"((u32)v), "r"(a) : "memory"); break;
	default: asm volatile("movq %0, (%1)" :: "r"(v), "r"(a) : "memory");
	}
	for (int i = 0; i < w; i++)
		shadow[off + i] = v >> (8 * i);
}

static u64 shadow_val(ulong off, int w)
{
	u64 v = 0;

	for (int i = w - 1; i >= 0; i--)
		v = (v << 8) | shadow[off + i];
	return v;
}

static u64 mask(int w)
{
	return w == 8 ? ~0ULL : (1ULL << (8 * w)) - 1;
}

static const ulong offsets[] = { 0, 1, 2, 3, 5, 7, 8, 0x11, 0x3ff, 0x7fd, 0xff8 };
static const int widths[] = { 1, 2, 4, 8 };

static void check_reads(const char *when)
{
	for (unsigned i = 0; i < ARRAY_SIZE(offsets); i++) {
		for (unsigned j = 0; j < ARRAY_SIZE(widths); j++) {
			ulong off = offsets[i];
			int w = widths[j];
			u64 got, want;

			if (off + w > MMIO_TEST_SIZE)
				continue;
			got = dev_read(off, w);
			want = shadow_val(off, w);
			CHECK(got == want, "%s: %d-byte read at +0x%lx gave 0x%llx, not 0x%llx",
			      when, w, off, got, want);
		}
	}
}

static void check_page(void)
{
	int bad = 0;

	for (ulong off = 0; off < MMIO_TEST_SIZE; off += 8) {
		u64 got = dev_read(off, 8), want = shadow_val(off, 8);

		if (got != want && !bad++)
			fail("8-byte read at +0x%lx gave 0x%llx, not 0x%llx", off, got, want);
	}
	CHECK(bad <= 1, "%d of 512 8-byte reads of the page differ", bad);
}

static void check_writes(void)
{
	static const ulong woff[] = { 0x100, 0x203, 0x305, 0x7ff, 0xff8 };
	static const u64 vals[] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL,
				    0x8000000000000001ULL };

	for (unsigned i = 0; i < ARRAY_SIZE(woff); i++) {
		for (unsigned j = 0; j < ARRAY_SIZE(widths); j++) {
			for (unsigned k = 0; k < ARRAY_SIZE(vals); k++) {
				ulong off = woff[i];
				int w = widths[j];
				u64 v = vals[k] & mask(w), got;

				if (off + w > MMIO_TEST_SIZE)
					continue;
				dev_write(off, w, v);
				got = dev_read(off, w);
				CHECK(got == v, "%d-byte write of 0x%llx at +0x%lx read back 0x%llx",
				      w, v, off, got);
				/* little endian, and the neighbours untouched */
				for (long b = (long)off - 1; b <= (long)(off + w); b++) {
					if (b < 0 || b >= MMIO_TEST_SIZE)
						continue;
					got = dev_read(b, 1);
					CHECK(got == shadow[b],
					      "after a %d-byte write at +0x%lx: byte +0x%lx is 0x%llx, not 0x%x",
					      w, off, b, got, shadow[b]);
				}
			}
		}
	}
}

static void check_immediates(void)
{
	ulong a = DEV(0x400);
	u64 got;

	asm volatile("movb $0xa5, (%0)" :: "r"(a) : "memory");
	shadow[0x400] = 0xa5;
	got = dev_read(0x400, 1);
	CHECK(got == 0xa5, "movb $0xa5: read back 0x%llx", got);

	asm volatile("movw $0xbeef, (%0)" :: "r"(a + 2) : "memory");
	shadow[0x402] = 0xef;
	shadow[0x403] = 0xbe;
	got = dev_read(0x402, 2);
	CHECK(got == 0xbeef, "movw $0xbeef: read back 0x%llx", got);

	asm volatile("movl $0xdeadbeef, (%0)" :: "r"(a + 4) : "memory");
	for (int i = 0; i < 4; i++)
		shadow[0x404 + i] = 0xdeadbeefU >> (8 * i);
	got = dev_read(0x404, 4);
	CHECK(got == 0xdeadbeef, "movl $0xdeadbeef: read back 0x%llx", got);

	/* imm32 sign-extended to 64 bits */
	asm volatile("movq $-2, (%0)" :: "r"(a + 8) : "memory");
	for (int i = 0; i < 8; i++)
		shadow[0x408 + i] = i ? 0xff : 0xfe;
	got = dev_read(0x408, 8);
	CHECK(got == 0xfffffffffffffffeULL, "movq $-2: read back 0x%llx", got);
	asm volatile("movq $0x7ffffff0, (%0)" :: "r"(a + 16) : "memory");
	for (int i = 0; i < 8; i++)
		shadow[0x410 + i] = (u64)0x7ffffff0 >> (8 * i);
	got = dev_read(0x410, 8);
	CHECK(got == 0x7ffffff0, "movq $0x7ffffff0: read back 0x%llx", got);
}

static void check_extensions(void)
{
	ulong a = DEV(0x500);
	u64 r;
	u32 r32;

	dev_write(0x500, 8, 0x80000000ffff8087ULL);	/* negative b, w, d */
	dev_write(0x508, 8, 0x7fffffff00007f7fULL);	/* positive b, w, d */

	asm volatile("movzbl (%1), %k0" : "=r"(r) : "r"(a) : "memory");
	CHECK(r == 0x87, "movzbl: 0x%llx", r);
	asm volatile("movzbq (%1), %0" : "=r"(r) : "r"(a) : "memory");
	CHECK(r == 0x87, "movzbq: 0x%llx", r);
	asm volatile("movzwl (%1), %k0" : "=r"(r) : "r"(a) : "memory");
	CHECK(r == 0x8087, "movzwl: 0x%llx", r);
	asm volatile("movsbl (%1), %0" : "=r"(r32) : "r"(a) : "memory");
	CHECK(r32 == 0xffffff87, "movsbl: 0x%x", r32);
	asm volatile("movsbq (%1), %0" : "=r"(r) : "r"(a) : "memory");
	CHECK(r == 0xffffffffffffff87ULL, "movsbq: 0x%llx", r);
	asm volatile("movswl (%1), %0" : "=r"(r32) : "r"(a) : "memory");
	CHECK(r32 == 0xffff8087, "movswl: 0x%x", r32);
	asm volatile("movswq (%1), %0" : "=r"(r) : "r"(a) : "memory");
	CHECK(r == 0xffffffffffff8087ULL, "movswq: 0x%llx", r);
	asm volatile("movslq (%1), %0" : "=r"(r) : "r"(a + 4) : "memory");
	CHECK(r == 0xffffffff80000000ULL, "movslq (movsxd): 0x%llx", r);

	asm volatile("movsbq (%1), %0" : "=r"(r) : "r"(a + 8) : "memory");
	CHECK(r == 0x7f, "movsbq of 0x7f: 0x%llx", r);
	asm volatile("movswq (%1), %0" : "=r"(r) : "r"(a + 8) : "memory");
	CHECK(r == 0x7f7f, "movswq of 0x7f7f: 0x%llx", r);
	asm volatile("movslq (%1), %0" : "=r"(r) : "r"(a + 12) : "memory");
	CHECK(r == 0x7fffffff, "movslq of 0x7fffffff: 0x%llx", r);
	/* a 32-bit load zero-extends into the 64-bit register */
	r = ~0ULL;
	asm volatile("movl (%1), %k0" : "+r"(r) : "r"(a + 4) : "memory");
	CHECK(r == 0x80000000, "movl into a 64-bit register: 0x%llx", r);
}

void guest_main(u32 magic, ulong info)
{
	for (int i = 0; i < MMIO_TEST_SIZE; i++)
		shadow[i] = (i * 7 + 1) & 0xff;
	check_reads("initial pattern");
	check_page();
	check_writes();
	check_immediates();
	check_extensions();
	check_reads("after the writes");
	check_page();
}
