// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: validation of what user space passes in (kmod/core/validate.c):
 * memory regions, RFLAGS, segment/control registers.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "kmod/core/validate.h"
#include "lv_kunit.h"

#define SLOTS	32
#define PHYS	39		/* guest physical address width used below */
#define LIMIT	(1ULL << PHYS)
#define UADDR	0x7f0000000000ULL

/* ---- lv_ranges_overlap ------------------------------------------------ */

static void overlap_cases(struct kunit *test)
{
	static const struct {
		u64 a, as, b, bs;
		bool want;
	} c[] = {
		{ 0x1000, 0x1000, 0x2000, 0x1000, false },	/* adjacent */
		{ 0x1000, 0x1001, 0x2000, 0x1000, true },	/* one byte */
		{ 0x0, 0x10000, 0x3000, 0x1000, true },		/* contained */
		{ 0x5000, 0x1000, 0x5000, 0x1000, true },	/* identical */
		{ 0x5000, 0x2000, 0x6000, 0x2000, true },	/* partial */
		{ 0x0, 0x1000, 0x100000, 0x1000, false },	/* far apart */
		{ 0x1000, 0, 0x0, 0x10000, false },		/* empty inside */
		{ 0x0, 0, 0x0, 0, false },			/* both empty */
		{ LIMIT - 0x1000, 0x1000, 0x0, LIMIT, true },	/* top page */
		{ LIMIT - 0x2000, 0x1000, LIMIT - 0x1000, 0x1000, false },
		{ 0xfff0000000000000ULL, 0x0fff000000000000ULL,
		  0xffff000000000000ULL, 0x1000, false },	/* near 2^64 */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		KUNIT_EXPECT_EQ_MSG(test, lv_ranges_overlap(c[i].a, c[i].as, c[i].b, c[i].bs),
				    c[i].want, "[%llx +%llx) vs [%llx +%llx)",
				    c[i].a, c[i].as, c[i].b, c[i].bs);
		/* symmetric */
		KUNIT_EXPECT_EQ_MSG(test, lv_ranges_overlap(c[i].b, c[i].bs, c[i].a, c[i].as),
				    c[i].want, "[%llx +%llx) vs [%llx +%llx)",
				    c[i].b, c[i].bs, c[i].a, c[i].as);
	}
}

/* ---- lv_validate_region ----------------------------------------------- */

static struct lv_memory_region region(u32 slot, u32 flags, u64 gpa, u64 size,
				      u64 uaddr)
{
	return (struct lv_memory_region){ .slot = slot, .flags = flags,
		.gpa = gpa, .size = size, .uaddr = uaddr };
}

static int vr(struct lv_memory_region r)
{
	return lv_validate_region(&r, SLOTS, PHYS);
}

static void region_valid(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0, 0x1000, UADDR)), 0);
	KUNIT_EXPECT_EQ(test, vr(region(SLOTS - 1, 0, 0x100000, 0x200000, UADDR)), 0);
	KUNIT_EXPECT_EQ(test, vr(region(3, LV_MEM_READONLY, 0xfff00000, 0x100000, UADDR)), 0);
	/* ends exactly at the top of the guest physical space */
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, LIMIT - 0x1000, 0x1000, UADDR)), 0);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0, LIMIT, UADDR)), 0);
	/* another width */
	KUNIT_EXPECT_EQ(test, ({ struct lv_memory_region r =
		region(0, 0, (1ULL << 52) - 0x1000, 0x1000, UADDR);
		lv_validate_region(&r, SLOTS, 52); }), 0);
}

static void region_bad_slot_or_flags(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr(region(SLOTS, 0, 0, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0xffffffff, 0, 0, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 1U << 1, 0, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 1U << 31, 0, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, LV_MEM_READONLY | 4, 0, 0x1000, UADDR)), -EINVAL);
}

static void region_misaligned(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1001, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x800, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1000, 0x1800, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1000, 0x1, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1000, 0x1000, UADDR + 0x10)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1000, 0x1000, UADDR + 0x800)), -EINVAL);
}

static void region_overflow(struct kunit *test)
{
	/* past the guest physical width */
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, LIMIT - 0x1000, 0x2000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, LIMIT, 0x1000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0, LIMIT + 0x1000, UADDR)), -EINVAL);
	/* gpa + size wraps around 2^64 */
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0x1000, 0xfffffffffffff000ULL, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0xfffffffffffff000ULL, 0x2000, UADDR)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, LIMIT - 0x1000, 0xfffffffffffff000ULL, UADDR)),
			-EINVAL);
	/* uaddr + size wraps around 2^64 */
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0, 0x2000, 0xfffffffffffff000ULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(0, 0, 0, 0x100000, 0xffffffffffff0000ULL)), -EINVAL);
}

/* size 0 deletes the slot: only the slot number (and flags) matter. */
static void region_delete(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vr(region(5, 0, 0, 0, 0)), 0);
	KUNIT_EXPECT_EQ(test, vr(region(5, 0, 0x123, 0, 0x456)), 0);
	KUNIT_EXPECT_EQ(test, vr(region(SLOTS, 0, 0, 0, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, vr(region(5, 1U << 7, 0, 0, 0)), -EINVAL);
}

/* ---- lv_validate_regs ------------------------------------------------- */

static int vregs(u64 rflags)
{
	struct lv_regs r = { .rax = 1, .rsp = 0x7000, .rip = 0x7c00, .rflags = rflags };

	return lv_validate_regs(&r);
}

static void regs_rflags_valid(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, vregs(0x2), 0, "rflags 0x2 (reset value)");
	KUNIT_EXPECT_EQ_MSG(test, vregs(0x202), 0, "rflags 0x202");
	KUNIT_EXPECT_EQ_MSG(test, vregs(0x2 | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_DF |
					X86_EFLAGS_ID | X86_EFLAGS_AC), 0,
			    "rflags 0x240443 (CF, ZF, DF, AC, ID)");
	/* every defined bit: 0-2, 4, 6-14, 16-21 */
	KUNIT_EXPECT_EQ_MSG(test, vregs(0x3f7fd7), 0, "rflags 0x3f7fd7 (all defined bits)");
}

static void regs_rflags_invalid(struct kunit *test)
{
	static const unsigned int reserved[] = { 3, 5, 15, 22, 31, 32, 63 };
	size_t i;

	KUNIT_EXPECT_EQ_MSG(test, vregs(0), -EINVAL, "rflags 0: bit 1 must be set");
	KUNIT_EXPECT_EQ_MSG(test, vregs(0x200), -EINVAL, "rflags 0x200: bit 1 clear");
	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		KUNIT_EXPECT_EQ_MSG(test, vregs(0x2 | (1ULL << reserved[i])),
				    -EINVAL, "reserved RFLAGS bit %u", reserved[i]);
}

/* ---- lv_validate_sregs ------------------------------------------------ */

static struct lv_segment seg(u64 base, u32 limit, u16 sel, u8 type, u8 s,
			     u8 db, u8 l, u8 g)
{
	return (struct lv_segment){ .base = base, .limit = limit,
		.selector = sel, .type = type, .present = 1, .dpl = 0,
		.db = db, .s = s, .l = l, .g = g };
}

/* The state after reset (real mode, CS:IP = f000:fff0). */
static struct lv_sregs real_mode(void)
{
	struct lv_sregs s = { 0 };

	s.cs = seg(0xffff0000, 0xffff, 0xf000, 0xb, 1, 0, 0, 0);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(0, 0xffff, 0, 0x3, 1, 0, 0, 0);
	s.tr = seg(0, 0xffff, 0, 0xb, 0, 0, 0, 0);
	s.ldt = seg(0, 0xffff, 0, 0x2, 0, 0, 0, 0);
	s.gdt.limit = 0xffff;
	s.idt.limit = 0xffff;
	s.cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	s.apic_base = 0xfee00000 | MSR_IA32_APICBASE_BSP | MSR_IA32_APICBASE_ENABLE;
	return s;
}

/* Flat 32-bit protected mode, paging off. */
static struct lv_sregs prot32(void)
{
	struct lv_sregs s = real_mode();

	s.cs = seg(0, 0xffffffff, 0x08, 0xb, 1, 1, 0, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(0, 0xffffffff, 0x10, 0x3, 1, 1, 0, 1);
	s.gdt.base = 0x500;
	s.gdt.limit = 0x17;
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	return s;
}

/* 32-bit protected mode with paging. */
static struct lv_sregs paged32(void)
{
	struct lv_sregs s = prot32();

	s.cr0 |= X86_CR0_PG | X86_CR0_WP;
	s.cr3 = 0x9000;
	s.cr4 = X86_CR4_PSE;
	return s;
}

/* 64-bit mode as lvctl sets it up. */
static struct lv_sregs long64(void)
{
	struct lv_sregs s = prot32();

	s.cs = seg(0, 0xffffffff, 0x08, 0xb, 1, 0, 1, 1);
	s.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_WP | X86_CR0_MP;
	s.cr3 = 0x1000;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NX;
	return s;
}

static int vs(const struct lv_sregs *s, bool ug)
{
	return lv_validate_sregs(s, ug, PHYS);
}

static void sregs_valid_modes(struct kunit *test)
{
	struct lv_sregs s;

	s = real_mode();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "real mode, unrestricted guest");
	s = prot32();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "prot32, unrestricted guest");
	s = paged32();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "paged32, unrestricted guest");
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, false), 0, "paged32, no unrestricted guest");
	s = long64();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "long64, unrestricted guest");
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, false), 0, "long64, no unrestricted guest");

	/* compatibility mode: LMA with a 32-bit code segment */
	s = long64();
	s.cs.l = 0;
	s.cs.db = 1;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "compatibility mode");
	/* PAE paging without long mode */
	s = paged32();
	s.cr4 = X86_CR4_PAE;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "PAE paging");
	/* LME set, paging still off: LMA stays clear (before enabling paging) */
	s = prot32();
	s.cr4 = X86_CR4_PAE;
	s.efer = EFER_LME;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "LME before paging");
	/* PCIDE in long mode */
	s = long64();
	s.cr4 |= X86_CR4_PCIDE | X86_CR4_OSXSAVE | X86_CR4_FSGSBASE;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "PCIDE in long mode");
	/* CD without NW */
	s = paged32();
	s.cr0 |= X86_CR0_CD;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "CD without NW");
	/* cr3 at the top of the physical width */
	s = long64();
	s.cr3 = LIMIT - 0x1000;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "cr3 below 2^phys_bits");
	/* x2APIC enabled; APIC base high in the physical space */
	s = long64();
	s.apic_base = (LIMIT - 0x1000) | MSR_IA32_APICBASE_ENABLE | (1ULL << 10); /* x2APIC */
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), 0, "apic base %llx", s.apic_base);
}

static void sregs_unrestricted_needed(struct kunit *test)
{
	struct lv_sregs s;

	s = real_mode();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, false), -EINVAL, "real mode needs unrestricted guest");
	s = prot32();
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, false), -EINVAL, "unpaged prot needs unrestricted guest");
}

static void sregs_bad_cr0(struct kunit *test)
{
	struct lv_sregs s;

	s = paged32();
	s.cr0 &= ~X86_CR0_PE;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "PG without PE");
	s = real_mode();
	s.cr0 = X86_CR0_NW | X86_CR0_ET;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "NW without CD");
	s = paged32();
	s.cr0 |= 1ULL << 32;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "cr0 bit 32");
	s = paged32();
	s.cr0 |= 1ULL << 63;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "cr0 bit 63");
}

static void sregs_bad_cr3_cr4(struct kunit *test)
{
	static const struct {
		u64 bit;
		const char *name;
	} never[] = {
		{ X86_CR4_VMXE, "VMXE" }, { X86_CR4_SMXE, "SMXE" },
		{ X86_CR4_PKE, "PKE" }, { X86_CR4_LA57, "LA57" },
		{ 1ULL << 15, "reserved bit 15" }, { 1ULL << 32, "bit 32" },
		{ 1ULL << 63, "bit 63" },
	};
	struct lv_sregs s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(never); i++) {
		KUNIT_EXPECT_FALSE_MSG(test, lv_guest_cr4_bits() & never[i].bit,
				       "lv_guest_cr4_bits() offers %s", never[i].name);
		s = long64();
		s.cr4 |= never[i].bit;
		KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "cr4 %s", never[i].name);
	}
	/* what lvctl's long64 and ordinary kernels set is offered */
	KUNIT_EXPECT_EQ(test, lv_guest_cr4_bits() &
			(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | X86_CR4_OSFXSR |
			 X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE),
			(u64)(X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | X86_CR4_OSFXSR |
			      X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE));

	s = paged32();
	s.cr4 |= X86_CR4_PCIDE;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "PCIDE outside long mode");

	s = long64();
	s.cr3 = LIMIT;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "cr3 at 2^phys_bits");
	s.cr3 = 1ULL << 63;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "cr3 bit 63");
}

static void sregs_bad_efer(struct kunit *test)
{
	struct lv_sregs s;

	s = long64();
	s.efer &= ~EFER_LMA;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "LME and PG without LMA");
	s = long64();
	s.efer &= ~EFER_LME;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "LMA without LME");
	s = long64();
	s.cr0 &= ~X86_CR0_PG;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "LMA without PG");
	s = long64();
	s.cr4 &= ~X86_CR4_PAE;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "long mode without PAE");
	s = long64();
	s.cs.db = 1;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "64-bit CS with D set");
	s = long64();
	s.efer |= 1ULL << 1;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "EFER reserved bit 1");
	s = long64();
	s.efer |= EFER_SVME;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "EFER.SVME");
	s = long64();
	s.efer |= 1ULL << 63;
	KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "EFER bit 63");
}

static void sregs_bad_apic_base(struct kunit *test)
{
	static const u64 bad[] = {
		0xfee00000 | 1, 0xfee00000 | 0x80, 0xfee00000 | (1 << 9),
		LIMIT | 0xfee00000, 1ULL << 63,
	};
	struct lv_sregs s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		s = long64();
		s.apic_base = bad[i];
		KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "apic base %llx", bad[i]);
	}
}

/* One bad field in any of the eight segment registers is refused. */
static void sregs_bad_segment_fields(struct kunit *test)
{
	static const size_t segs[] = {
		offsetof(struct lv_sregs, cs), offsetof(struct lv_sregs, ds),
		offsetof(struct lv_sregs, es), offsetof(struct lv_sregs, fs),
		offsetof(struct lv_sregs, gs), offsetof(struct lv_sregs, ss),
		offsetof(struct lv_sregs, tr), offsetof(struct lv_sregs, ldt),
	};
	static const char * const names[] = { "cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt" };
	static const struct {
		size_t off;
		u8 val;
		const char *name;
	} bad[] = {
		{ offsetof(struct lv_segment, type), 16, "type 16" },
		{ offsetof(struct lv_segment, present), 2, "present 2" },
		{ offsetof(struct lv_segment, dpl), 4, "dpl 4" },
		{ offsetof(struct lv_segment, db), 2, "db 2" },
		{ offsetof(struct lv_segment, s), 2, "s 2" },
		{ offsetof(struct lv_segment, l), 2, "l 2" },
		{ offsetof(struct lv_segment, g), 2, "g 2" },
		{ offsetof(struct lv_segment, avl), 2, "avl 2" },
		{ offsetof(struct lv_segment, unusable), 2, "unusable 2" },
		{ offsetof(struct lv_segment, padding), 1, "padding 1" },
	};
	struct lv_sregs s;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			s = paged32();
			((u8 *)&s)[segs[i] + bad[j].off] = bad[j].val;
			KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "%s.%s",
					    names[i], bad[j].name);
		}
	}
}

static void sregs_padding_reserved(struct kunit *test)
{
	struct lv_sregs s;
	int i;

	for (i = 0; i < 3; i++) {
		s = long64();
		s.gdt.padding[i] = 1;
		KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "gdt.padding[%d]", i);
		s = long64();
		s.idt.padding[i] = 0x8000;
		KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "idt.padding[%d]", i);
	}
	for (i = 0; i < ARRAY_SIZE(s.reserved); i++) {
		s = long64();
		s.reserved[i] = 1ULL << 40;
		KUNIT_EXPECT_EQ_MSG(test, vs(&s, true), -EINVAL, "reserved[%d]", i);
	}
}

static struct kunit_case lv_validate_cases[] = {
	KUNIT_CASE(overlap_cases),
	KUNIT_CASE(region_valid),
	KUNIT_CASE(region_bad_slot_or_flags),
	KUNIT_CASE(region_misaligned),
	KUNIT_CASE(region_overflow),
	KUNIT_CASE(region_delete),
	KUNIT_CASE(regs_rflags_valid),
	KUNIT_CASE(regs_rflags_invalid),
	KUNIT_CASE(sregs_valid_modes),
	KUNIT_CASE(sregs_unrestricted_needed),
	KUNIT_CASE(sregs_bad_cr0),
	KUNIT_CASE(sregs_bad_cr3_cr4),
	KUNIT_CASE(sregs_bad_efer),
	KUNIT_CASE(sregs_bad_apic_base),
	KUNIT_CASE(sregs_bad_segment_fields),
	KUNIT_CASE(sregs_padding_reserved),
	{}
};

static struct kunit_suite lv_validate_suite = {
	.name = "lv_validate",
	.init = lv_kunit_case_init,
	.test_cases = lv_validate_cases,
};

kunit_test_suites(&lv_validate_suite);
