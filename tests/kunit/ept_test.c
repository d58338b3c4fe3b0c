// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: EPT hierarchies (kmod/ept/ept.c).
 *
 * The frames mapped are made-up page frame numbers: EPT construction only
 * stores them, so no real memory is needed for them.  Expectations are
 * checked through lv_ept_lookup() and by walking the tables the way the CPU
 * does (SDM Vol. 3C, 29.3.2): 4 levels of 512 entries, bits 2:0 RWX, 5:3
 * memory type, bit 7 a 2 MiB page at level 2.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kmod/ept/ept.h"
#include "lv_kunit.h"

#define SZ_4K_	0x1000ULL
#define SZ_2M_	0x200000ULL
#define NONE	(~0ULL)
#define RWX	LV_EPT_RWX

static int ept_init(struct kunit *test)
{
	struct lv_ept *ept;

	lv_kunit_case_init(test);
	ept = kunit_kzalloc(test, sizeof(*ept), GFP_KERNEL);
	if (!ept)
		return -ENOMEM;
	if (lv_ept_init(ept))
		return -ENOMEM;
	test->priv = ept;
	return 0;
}

static void ept_exit(struct kunit *test)
{
	struct lv_ept *ept = test->priv;

	if (ept)
		lv_ept_destroy(ept);
}

/* @n frame numbers: @first, @first + 1, ... */
static unsigned long *seq_pfns(struct kunit *test, unsigned long first,
			       unsigned long n)
{
	unsigned long *p = kunit_kmalloc_array(test, n, sizeof(*p), GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	for (i = 0; i < n; i++)
		p[i] = first + i;
	return p;
}

/*
 * The entry for @gpa at @level (4: PML4 ... 1: PT), walking as the CPU
 * does; NULL if an upper level is not present or is a large page.
 */
static u64 *entry_at(struct kunit *test, const struct lv_ept *ept, u64 gpa,
		     unsigned int level)
{
	u64 *t = ept->root;
	unsigned int l;

	for (l = 4; ; l--) {
		u64 *e = &t[(gpa >> (12 + 9 * (l - 1))) & 511];

		if (l == level)
			return e;
		if (!(*e & RWX) || (*e & LV_EPT_LARGE))
			return NULL;
		/* a non-leaf entry: RWX, no memory type, no large bit */
		KUNIT_EXPECT_EQ_MSG(test, *e & 0xfff, RWX,
				    "gpa %llx: level %u entry %llx", gpa, l, *e);
		t = __va(*e & LV_EPT_ADDR_MASK);
	}
}

static u64 lookup(const struct lv_ept *ept, u64 gpa, unsigned int *level)
{
	*level = 0;
	return lv_ept_lookup(ept, gpa, level);
}

static void ept_empty(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned int level;
	u64 eptp;

	KUNIT_ASSERT_NOT_NULL(test, ept->root);
	KUNIT_EXPECT_EQ(test, (unsigned long)ept->root & ~PAGE_MASK, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_tables, 1UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0xfee00000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA - 1, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, ~0ULL, &level), NONE);

	/* EPTP: root address, 4-level walk (3 << 3), write-back (6) */
	eptp = lv_ept_eptp(ept);
	KUNIT_EXPECT_EQ(test, eptp & ~0xfffULL, (u64)__pa(ept->root));
	KUNIT_EXPECT_EQ(test, eptp & 0xfff, 0x1eULL);
}

/* Non-contiguous frames: 4 KiB pages, each translated exactly. */
static void ept_map_4k(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	static const unsigned long pfns[] = { 0x1234, 0x999, 0x42 };
	unsigned int level;
	u64 *e;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x5000, pfns, 3, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 3UL);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_tables, 4UL);	/* PML4, PDPT, PD, PT */

	KUNIT_EXPECT_EQ(test, lookup(ept, 0x5000, &level), 0x1234000ULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x5123, &level), 0x1234123ULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x6000, &level), 0x999000ULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x6fff, &level), 0x999fffULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x7abc, &level), 0x42abcULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x4fff, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x8000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0, &level), NONE);

	/* the leaf as the CPU reads it */
	e = entry_at(test, ept, 0x6000, 1);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, (0x999ULL << 12) | LV_EPT_MT_WB | RWX);
	/* nothing at level 2 is a large page */
	e = entry_at(test, ept, 0x6000, 2);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_FALSE(test, *e & LV_EPT_LARGE);
}

/* The leaves carry exactly the protection asked for. */
static void ept_map_prot(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *big = seq_pfns(test, 0x40000, 512);
	static const unsigned long pfn[] = { 0x777 };
	unsigned int level;
	u64 *e;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x1000, pfn, 1, LV_EPT_R, true), 0);
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x2000, pfn, 1, LV_EPT_R | LV_EPT_X, true), 0);
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_ * 4, big, 512, LV_EPT_R | LV_EPT_W, true), 0);

	e = entry_at(test, ept, 0x1000, 1);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, (0x777ULL << 12) | LV_EPT_MT_WB | LV_EPT_R);
	e = entry_at(test, ept, 0x2000, 1);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, (0x777ULL << 12) | LV_EPT_MT_WB | LV_EPT_R | LV_EPT_X);
	e = entry_at(test, ept, SZ_2M_ * 4, 2);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, (0x40000ULL << 12) | LV_EPT_MT_WB | LV_EPT_LARGE |
			LV_EPT_R | LV_EPT_W);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ * 4 + 0x1234, &level), 0x40001234ULL);
}

/* gpa and frames 2 MiB aligned and contiguous: one 2 MiB page. */
static void ept_map_2m(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *pfns = seq_pfns(test, 0x40000, 512);
	unsigned int level;
	u64 *e;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 512, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_tables, 3UL);	/* no page table */

	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_, &level), 0x40000000ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ + 0x12345, &level), 0x40012345ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_ - 1, &level), 0x401fffffULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ - 1, &level), NONE);

	e = entry_at(test, ept, SZ_2M_, 2);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, 0x40000000ULL | LV_EPT_LARGE | LV_EPT_MT_WB | RWX);
}

static void expect_all_4k(struct kunit *test, struct lv_ept *ept, u64 gpa,
			  const unsigned long *pfns, unsigned long n)
{
	unsigned long i;
	unsigned int level;

	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, lookup(ept, gpa + i * SZ_4K_ + 0x10, &level),
				    ((u64)pfns[i] << 12) + 0x10, "page %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, level, 1U, "page %lu", i);
	}
}

/* Each condition for a 2 MiB page missing in turn: 4 KiB pages only. */
static void ept_2m_needs_everything(struct kunit *test)
{
	unsigned long *pfns;
	struct lv_ept e;

	/* allow_2m false */
	pfns = seq_pfns(test, 0x40000, 512);
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 512, RWX, false), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 512);
	lv_ept_destroy(&e);

	/* gpa not 2 MiB aligned */
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_ + SZ_4K_, pfns, 512, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_ + SZ_4K_, pfns, 512);
	lv_ept_destroy(&e);

	/* frames contiguous but not 2 MiB aligned */
	pfns = seq_pfns(test, 0x40001, 512);
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 512, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 512);
	lv_ept_destroy(&e);

	/* a hole in contiguity in the middle */
	pfns = seq_pfns(test, 0x40000, 512);
	pfns[300] = 0x12345;
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 512, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 512);
	lv_ept_destroy(&e);

	/* ... at the very last frame */
	pfns = seq_pfns(test, 0x40000, 512);
	pfns[511] = 0x40000 + 512;
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 512, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 512);
	lv_ept_destroy(&e);

	/* ... two frames swapped */
	pfns = seq_pfns(test, 0x40000, 512);
	pfns[1] = 0x40002;
	pfns[2] = 0x40001;
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 512, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 512);
	lv_ept_destroy(&e);

	/* one frame short of 2 MiB */
	pfns = seq_pfns(test, 0x40000, 511);
	KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(&e, SZ_2M_, pfns, 511, RWX, true), 0);
	expect_all_4k(test, &e, SZ_2M_, pfns, 511);
	lv_ept_destroy(&e);
}

/*
 * A range that starts one page before a 2 MiB boundary: one 4 KiB page,
 * two 2 MiB pages, a 2 MiB chunk with a hole (4 KiB pages), two 4 KiB pages.
 */
static void ept_map_mixed(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	const unsigned long n = 1 + 1024 + 512 + 2;
	unsigned long *pfns = kunit_kmalloc_array(test, n, sizeof(*pfns), GFP_KERNEL);
	const u64 gpa = SZ_2M_ - SZ_4K_;
	unsigned long i;
	unsigned int level;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pfns);
	pfns[0] = 0x5;
	for (i = 0; i < 1024; i++)
		pfns[1 + i] = 0x80000 + i;		/* aligned, contiguous */
	for (i = 0; i < 512; i++)
		pfns[1025 + i] = 0xc0000 + i;		/* aligned ... */
	pfns[1025 + 17] = 0x7;				/* ... with a hole */
	pfns[1537] = 0x100;
	pfns[1538] = 0x101;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, gpa, pfns, n, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 2UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 1UL + 512 + 2);

	KUNIT_EXPECT_EQ(test, lookup(ept, gpa, &level), 0x5000ULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_, &level), 0x80000000ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_ + 0x1fff, &level), 0x80201fffULL);
	KUNIT_EXPECT_EQ(test, level, 2U);
	for (i = 0; i < 512; i++) {
		u64 want = (u64)pfns[1025 + i] << 12;

		KUNIT_EXPECT_EQ_MSG(test, lookup(ept, 3 * SZ_2M_ + i * SZ_4K_, &level),
				    want, "page %lu of the chunk with a hole", i);
		KUNIT_EXPECT_EQ(test, level, 1U);
	}
	KUNIT_EXPECT_EQ(test, lookup(ept, 4 * SZ_2M_, &level), 0x100000ULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 4 * SZ_2M_ + SZ_4K_ + 8, &level), 0x101008ULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, lookup(ept, 4 * SZ_2M_ + 2 * SZ_4K_, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, gpa - 1, &level), NONE);
}

/* Bad ranges and protections: -EINVAL, nothing mapped. */
static void ept_map_rejects(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	static const unsigned long pfns[2] = { 0x10, 0x11 };
	unsigned int level;

	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1001, pfns, 1, RWX, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1800, pfns, 1, RWX, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1, 0, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1, RWX | LV_EPT_MT_WB, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1, RWX | LV_EPT_LARGE, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1, 1ULL << 12, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, LV_EPT_MAX_GPA, pfns, 1, RWX, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, ~0ULL & ~0xfffULL, pfns, 1, RWX, true), -EINVAL);
	/* the last page fits, two pages from there do not */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, LV_EPT_MAX_GPA - SZ_4K_, pfns, 2, RWX, true), -EINVAL);
	/* a page count whose byte size overflows */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, ~0UL, RWX, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1UL << 52, RWX, true), -EINVAL);

	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x1000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA - SZ_4K_, &level), NONE);

	/* zero pages: nothing to do */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 0, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
}

/* The top of the 48-bit space, and addresses beyond it. */
static void ept_high_gpa(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	static const unsigned long pfns[] = { 0xabcde };
	unsigned long *big = seq_pfns(test, 0x200000, 512);
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, LV_EPT_MAX_GPA - SZ_4K_, pfns, 1, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA - 1, &level), 0xabcdefffULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA - SZ_4K_ - 1, &level), NONE);
	/* an address with bits above 47 must not alias a mapped one */
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * LV_EPT_MAX_GPA - 1, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, ~0ULL, &level), NONE);

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x1000, pfns, 1, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA | 0x1000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, (1ULL << 63) | 0x1000, &level), NONE);

	/* a 2 MiB page ending exactly at the top */
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, LV_EPT_MAX_GPA - 2 * SZ_2M_, big, 512, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lookup(ept, LV_EPT_MAX_GPA - SZ_2M_ - 1, &level),
			(0x200000ULL << 12) + SZ_2M_ - 1);
	KUNIT_EXPECT_EQ(test, level, 2U);

	/* separate PML4 entries: 0, 511 (the top) -> 7 tables in all */
	KUNIT_EXPECT_EQ(test, ept->nr_tables, 1UL + 3 + 3);
}

/* Mapping over a mapping: -EEXIST; what came before it stays mapped. */
static void ept_map_overlap(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	static const unsigned long a[] = { 0x100 };
	static const unsigned long b[] = { 0x200, 0x201 };
	unsigned long *big = seq_pfns(test, 0x40000, 512);
	unsigned long *big2 = seq_pfns(test, 0x80000, 512);
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x3000, a, 1, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x3000, a, 1, RWX, true), -EEXIST);
	/* second page collides: the first stays mapped (caller unmaps) */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x2000, b, 2, RWX, true), -EEXIST);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x2000, &level), 0x200000ULL);
	/* the original mapping is untouched */
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x3000, &level), 0x100000ULL);

	/* 4 KiB inside a 2 MiB page */
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_ * 8, big, 512, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_ * 8 + 0x5000, a, 1, RWX, true), -EEXIST);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_ * 8, a, 1, RWX, false), -EEXIST);
	/* 2 MiB over 2 MiB */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_ * 8, big2, 512, RWX, true), -EEXIST);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ * 8 + 0x5000, &level), 0x40005000ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);

	/* 2 MiB-eligible over a 2 MiB region holding one 4 KiB page */
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_ * 16 + 0x7000, a, 1, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_ * 16, big2, 512, RWX, true), -EEXIST);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ * 16 + 0x7000, &level), 0x100000ULL);
	KUNIT_EXPECT_EQ(test, level, 1U);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
}

/* Unmapping 4 KiB pages; lookups after unmap; remapping. */
static void ept_unmap_4k(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	static const unsigned long pfns[] = { 0x10, 0x20, 0x30, 0x40 };
	static const unsigned long again[] = { 0x99, 0x98 };
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 0x10000, pfns, 4, RWX, true), 0);
	lv_ept_unmap(ept, 0x11000, 2);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 2UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x10000, &level), 0x10000ULL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x11000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x12fff, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x13000, &level), 0x40000ULL);

	/* unmapping what is not mapped changes nothing */
	lv_ept_unmap(ept, 0x11000, 2);
	lv_ept_unmap(ept, 0x40000000, 16);
	lv_ept_unmap(ept, 0x8000, 0);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 2UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x13000, &level), 0x40000ULL);

	/* the hole can be mapped again */
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, 0x11000, again, 2, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x12000, &level), 0x98000ULL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 4UL);

	/* a range straddling unmapped and mapped pages: 0xe000-0x10fff */
	lv_ept_unmap(ept, 0xe000, 3);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x10000, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 0x11000, &level), 0x99000ULL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 3UL);
}

/* Unmapping a whole 2 MiB page, then mapping 2 MiB there again. */
static void ept_unmap_2m(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *pfns = seq_pfns(test, 0x40000, 1024);
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 1024, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 2UL);

	lv_ept_unmap(ept, SZ_2M_, 512);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_ - 1, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_, &level), 0x40200000ULL);

	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 512, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 2UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ + 0x3456, &level), 0x40003456ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);

	lv_ept_unmap(ept, SZ_2M_, 1024);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ + 0x3456, &level), NONE);
	KUNIT_EXPECT_EQ(test, lookup(ept, 3 * SZ_2M_ - 1, &level), NONE);
}

/* A 2 MiB page only partly covered by an unmap stays (slots never share one). */
static void ept_unmap_partial_2m(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *pfns = seq_pfns(test, 0x40000, 512);
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 512, RWX, true), 0);
	lv_ept_unmap(ept, SZ_2M_ + SZ_4K_, 1);
	lv_ept_unmap(ept, SZ_2M_, 511);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_ + SZ_4K_, &level), 0x40001000ULL);
	KUNIT_EXPECT_EQ(test, level, 2U);
}

/*
 * After 4 KiB pages of a 2 MiB region were unmapped, their page table stays;
 * a later 2 MiB-eligible map of that region must still translate correctly.
 */
static void ept_remap_after_4k(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *small = seq_pfns(test, 0x1000, 512);
	unsigned long *pfns = seq_pfns(test, 0x40000, 512);
	unsigned int level;
	unsigned long i;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, small, 512, RWX, false), 0);
	lv_ept_unmap(ept, SZ_2M_, 512);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 512, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m + ept->nr_4k / 512, 1UL);
	for (i = 0; i < 512; i += 37)
		KUNIT_EXPECT_EQ_MSG(test, lookup(ept, SZ_2M_ + i * SZ_4K_ + 1, &level),
				    ((0x40000ULL + i) << 12) + 1, "page %lu", i);
}

/* Destroy leaves an empty structure; the hierarchy can be built again. */
static void ept_destroy_reinit(struct kunit *test)
{
	struct lv_ept *ept = test->priv;
	unsigned long *pfns = seq_pfns(test, 0x40000, 600);
	unsigned int level;

	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 600, RWX, true), 0);
	KUNIT_ASSERT_EQ(test, lv_ept_map(ept, 1ULL << 39, pfns, 3, RWX, true), 0);
	lv_ept_destroy(ept);
	KUNIT_EXPECT_NULL(test, ept->root);
	KUNIT_EXPECT_EQ(test, ept->nr_tables, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 0UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 0UL);
	/* destroying twice is harmless */
	lv_ept_destroy(ept);

	KUNIT_ASSERT_EQ(test, lv_ept_init(ept), 0);
	KUNIT_EXPECT_EQ(test, lookup(ept, SZ_2M_, &level), NONE);
	KUNIT_EXPECT_EQ(test, lv_ept_map(ept, SZ_2M_, pfns, 600, RWX, true), 0);
	KUNIT_EXPECT_EQ(test, ept->nr_2m, 1UL);
	KUNIT_EXPECT_EQ(test, ept->nr_4k, 88UL);
	KUNIT_EXPECT_EQ(test, lookup(ept, 2 * SZ_2M_ + 87 * SZ_4K_, &level),
			(0x40000ULL + 599) << 12);
}

/* Building and destroying many hierarchies leaks no memory. */
static void ept_no_leak(struct kunit *test)
{
	unsigned long *pfns = seq_pfns(test, 0x40000, 1024 + 7);
	unsigned long before, after;
	struct lv_ept e;
	int i;

	/* warm up, then compare free memory around 500 build/destroy cycles */
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
		KUNIT_ASSERT_EQ(test, lv_ept_map(&e, SZ_2M_ + SZ_4K_, pfns, 1024 + 7, RWX, true), 0);
		lv_ept_destroy(&e);
	}
	before = global_zone_page_state(NR_FREE_PAGES);
	for (i = 0; i < 500; i++) {
		KUNIT_ASSERT_EQ(test, lv_ept_init(&e), 0);
		/* 4 KiB pages over 3 page tables, and tables in 3 PML4 slots */
		KUNIT_ASSERT_EQ(test, lv_ept_map(&e, SZ_2M_ + SZ_4K_, pfns, 1024 + 7, RWX, true), 0);
		KUNIT_ASSERT_EQ(test, lv_ept_map(&e, 1ULL << 39, pfns, 512, RWX, true), 0);
		KUNIT_ASSERT_EQ(test, lv_ept_map(&e, 3ULL << 39, pfns, 2, RWX, true), 0);
		lv_ept_destroy(&e);
	}
	after = global_zone_page_state(NR_FREE_PAGES);
	kunit_info(test, "free pages before %lu, after %lu\n", before, after);
	/*
	 * 500 cycles of 11 tables: leaking even one table a cycle costs 500
	 * pages; per-CPU page lists move the count by far less than 250.
	 */
	KUNIT_EXPECT_LT_MSG(test, before > after ? before - after : 0UL, 250UL,
			    "free pages before %lu, after %lu", before, after);
}

static struct kunit_case lv_ept_cases[] = {
	KUNIT_CASE(ept_empty),
	KUNIT_CASE(ept_map_4k),
	KUNIT_CASE(ept_map_prot),
	KUNIT_CASE(ept_map_2m),
	KUNIT_CASE(ept_2m_needs_everything),
	KUNIT_CASE(ept_map_mixed),
	KUNIT_CASE(ept_map_rejects),
	KUNIT_CASE(ept_high_gpa),
	KUNIT_CASE(ept_map_overlap),
	KUNIT_CASE(ept_unmap_4k),
	KUNIT_CASE(ept_unmap_2m),
	KUNIT_CASE(ept_unmap_partial_2m),
	KUNIT_CASE(ept_remap_after_4k),
	KUNIT_CASE(ept_destroy_reinit),
	KUNIT_CASE(ept_no_leak),
	{}
};

static struct kunit_suite lv_ept_suite = {
	.name = "lv_ept",
	.init = ept_init,
	.exit = ept_exit,
	.test_cases = lv_ept_cases,
};

kunit_test_suites(&lv_ept_suite);
