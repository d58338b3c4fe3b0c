// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: VT-d second-level page tables (kmod/vtd/slpt.c).
 *
 * The frames mapped are made-up page frame numbers: construction only
 * stores them.  Expectations are checked through lv_slpt_lookup() and by
 * walking the tables as the unit does (VT-d specification 9.8): 3 or 4
 * levels of 512 entries, bit 0 read, bit 1 write, bits 51:12 the address,
 * every other bit zero (reserved bits make the unit fault).
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kmod/vtd/slpt.h"
#include "lv_kunit.h"

#define PG	0x1000ULL
#define RW	(LV_SL_R | LV_SL_W)

static int slpt_init(struct kunit *test)
{
	struct lv_slpt *pt;

	lv_kunit_case_init(test);
	pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return -ENOMEM;
	test->priv = pt;
	return 0;
}

static void slpt_exit(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;

	if (pt && pt->root)
		lv_slpt_destroy(pt);
}

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

/* the unit's walk: the entry at @level for @iova, NULL if not present above */
static const u64 *walk(const struct lv_slpt *pt, u64 iova, unsigned int level)
{
	const u64 *t = pt->root;
	unsigned int l;

	for (l = pt->levels; l > level; l--) {
		u64 e = t[(iova >> (12 + 9 * (l - 1))) & 511];

		if (!(e & RW))
			return NULL;
		t = __va(e & LV_SL_ADDR_MASK);
	}
	return &t[(iova >> (12 + 9 * (level - 1))) & 511];
}

static void slpt_levels(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;

	KUNIT_EXPECT_EQ(test, lv_slpt_init(pt, 2, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_init(pt, 5, false), -EINVAL);
	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 3, false), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_max_iova(pt), 1ULL << 39);
	KUNIT_EXPECT_EQ(test, pt->nr_tables, 1ul);
	lv_slpt_destroy(pt);
	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 4, true), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_max_iova(pt), 1ULL << 48);
}

static void slpt_map_lookup(struct kunit *test, unsigned int levels)
{
	struct lv_slpt *pt = test->priv;
	unsigned long *pfns = seq_pfns(test, 0x12345, 600);
	const u64 *e;
	unsigned int l;
	u64 i;

	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, levels, levels == 4), 0);
	/* 600 pages across a 2 MiB boundary: two leaf tables */
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, 0x1ff000ULL - 100 * PG, pfns, 600, RW), 0);
	KUNIT_EXPECT_EQ(test, pt->nr_pages, 600ul);
	KUNIT_EXPECT_EQ(test, pt->nr_tables, (unsigned long)levels - 1 + 2);
	for (i = 0; i < 600; i++) {
		u64 iova = 0x1ff000ULL - 100 * PG + i * PG;

		KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, iova),
				((0x12345ULL + i) << 12) | RW);
		KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, iova + 0xabc),
				((0x12345ULL + i) << 12) | RW);
		e = walk(pt, iova, 1);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, *e, ((0x12345ULL + i) << 12) | RW);
	}
	/* upper levels: R and W and an address, nothing else */
	for (l = levels; l > 1; l--) {
		e = walk(pt, 0x1ff000ULL, l);
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, *e & ~LV_SL_ADDR_MASK, RW);
	}
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x1ff000ULL - 101 * PG), 0ULL);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x1ff000ULL + 500 * PG), 0ULL);
}

static void slpt_map_lookup_3(struct kunit *test)
{
	slpt_map_lookup(test, 3);
}

static void slpt_map_lookup_4(struct kunit *test)
{
	slpt_map_lookup(test, 4);
}

static void slpt_read_only(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;
	unsigned long *pfns = seq_pfns(test, 7, 2);

	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 3, false), 0);
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, 0x200000, pfns, 2, LV_SL_R), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x201000), (8ULL << 12) | LV_SL_R);
}

static void slpt_bad_args(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;
	unsigned long *pfns = seq_pfns(test, 1, 4);
	unsigned long huge = 1UL << 40;	/* beyond bits 51:12 */

	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 3, false), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0x1800, pfns, 1, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0, pfns, 1, LV_SL_W), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0, pfns, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0, pfns, 1, RW | BIT_ULL(7)), -EINVAL);
	/* 2^39 is beyond 3 levels; a range crossing it too */
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 1ULL << 39, pfns, 1, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, (1ULL << 39) - 2 * PG, pfns, 4, RW),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0, &huge, 1, RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, pt->nr_pages, 0ul);
	/* the last page below 2^39 is fine */
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, (1ULL << 39) - PG, pfns, 1, RW), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, (1ULL << 39) - 1), (1ULL << 12) | RW);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 1ULL << 39), 0ULL);
}

static void slpt_overlap_unmap(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;
	unsigned long *pfns = seq_pfns(test, 100, 16);
	unsigned long tables;

	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 3, false), 0);
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, 0x100000, pfns, 16, RW), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0x10f000, pfns, 2, RW), -EEXIST);
	tables = pt->nr_tables;
	/* a hole in the middle, and pages never mapped are skipped */
	lv_slpt_unmap(pt, 0x104000, 4);
	lv_slpt_unmap(pt, 0x800000, 4);
	KUNIT_EXPECT_EQ(test, pt->nr_pages, 12ul);
	KUNIT_EXPECT_EQ(test, pt->nr_tables, tables);	/* tables stay */
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x103000), (103ULL << 12) | RW);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x104000), 0ULL);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x107fff), 0ULL);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x108000), (108ULL << 12) | RW);
	KUNIT_EXPECT_EQ(test, *walk(pt, 0x105000, 1), 0ULL);
	/* the hole can be mapped again, to other frames */
	KUNIT_EXPECT_EQ(test, lv_slpt_map(pt, 0x104000, pfns + 8, 4, LV_SL_R), 0);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 0x104000), (108ULL << 12) | LV_SL_R);
	lv_slpt_unmap(pt, 0x100000, 16);
	KUNIT_EXPECT_EQ(test, pt->nr_pages, 0ul);
}

/* far apart addresses get their own paths; everything is freed */
static void slpt_sparse(struct kunit *test)
{
	struct lv_slpt *pt = test->priv;
	unsigned long *pfns = seq_pfns(test, 1, 1);

	KUNIT_ASSERT_EQ(test, lv_slpt_init(pt, 4, false), 0);
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, 0, pfns, 1, RW), 0);
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, 1ULL << 39, pfns, 1, RW), 0);
	KUNIT_ASSERT_EQ(test, lv_slpt_map(pt, (1ULL << 48) - PG, pfns, 1, RW), 0);
	KUNIT_EXPECT_EQ(test, pt->nr_tables, 1ul + 3 * 3);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, (1ULL << 48) - PG), (1ULL << 12) | RW);
	KUNIT_EXPECT_EQ(test, lv_slpt_lookup(pt, 1ULL << 48), 0ULL);
	lv_slpt_destroy(pt);
	KUNIT_EXPECT_NULL(test, pt->root);
	KUNIT_EXPECT_EQ(test, pt->nr_tables, 0ul);
}

static struct kunit_case lv_slpt_cases[] = {
	KUNIT_CASE(slpt_levels),
	KUNIT_CASE(slpt_map_lookup_3),
	KUNIT_CASE(slpt_map_lookup_4),
	KUNIT_CASE(slpt_read_only),
	KUNIT_CASE(slpt_bad_args),
	KUNIT_CASE(slpt_overlap_unmap),
	KUNIT_CASE(slpt_sparse),
	{}
};

static struct kunit_suite lv_slpt_suite = {
	.name = "lv_slpt",
	.init = slpt_init,
	.exit = slpt_exit,
	.test_cases = lv_slpt_cases,
};

kunit_test_suites(&lv_slpt_suite);
