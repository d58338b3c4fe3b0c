// SPDX-License-Identifier: GPL-2.0
/*
 * EPT hierarchies built from memory slots.
 *
 * Tables are 4 KiB pages of 512 entries.  A mapping uses a 2 MiB page when
 * the guest range and the 512 host frames behind it are both 2 MiB aligned
 * and the frames are contiguous (transparent huge pages give that); every
 * other page is mapped with 4 KiB.  Intermediate tables live until the
 * hierarchy is destroyed, so unmapping never frees a table the CPU may be
 * walking; the caller flushes (INVEPT) after unmapping.
 */
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/page.h>

#include "ept.h"

#define PTRS		512
#define PAGES_2M	512

static unsigned int index_at(u64 gpa, unsigned int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (PTRS - 1);
}

static u64 *table_of(u64 entry)
{
	return __va(entry & LV_EPT_ADDR_MASK);
}

static bool present(u64 entry)
{
	return entry & LV_EPT_RWX;
}

static u64 *alloc_table(struct lv_ept *ept)
{
	u64 *t = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (t)
		ept->nr_tables++;
	return t;
}

/**
 * lv_ept_init() - set up an empty hierarchy
 * @ept: the hierarchy
 *
 * Return: 0 or -ENOMEM.
 */
int lv_ept_init(struct lv_ept *ept)
{
	*ept = (struct lv_ept){ 0 };
	ept->root = alloc_table(ept);
	return ept->root ? 0 : -ENOMEM;
}

static void free_level(u64 *table, unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < PTRS; i++)
			if (present(table[i]) && !(table[i] & LV_EPT_LARGE))
				free_level(table_of(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

/**
 * lv_ept_destroy() - free every table of the hierarchy
 * @ept: the hierarchy; no CPU may use it any more
 */
void lv_ept_destroy(struct lv_ept *ept)
{
	if (ept->root)
		free_level(ept->root, LV_EPT_LEVELS);
	*ept = (struct lv_ept){ 0 };
}

/**
 * lv_ept_eptp() - the EPT pointer for the VMCS
 * @ept: the hierarchy
 *
 * Return: root address, write-back, 4-level walk.
 */
u64 lv_ept_eptp(const struct lv_ept *ept)
{
	return __pa(ept->root) | ((LV_EPT_LEVELS - 1) << 3) | 6;
}

/* The table at @level (1 = PT) covering @gpa, allocated on the way. */
static u64 *walk_alloc(struct lv_ept *ept, u64 gpa, unsigned int level)
{
	unsigned int l;
	u64 *t = ept->root;

	for (l = LV_EPT_LEVELS; l > level; l--) {
		u64 *e = &t[index_at(gpa, l)];

		if (!present(*e)) {
			u64 *next = alloc_table(ept);

			if (!next)
				return NULL;
			*e = __pa(next) | LV_EPT_RWX;
		} else if (*e & LV_EPT_LARGE) {
			return ERR_PTR(-EEXIST);
		}
		t = table_of(*e);
	}
	return t;
}

static bool can_map_2m(struct lv_ept *ept, u64 gpa, const unsigned long *pfns,
		       unsigned long left)
{
	unsigned long i;
	u64 *pd_entry;
	u64 *pd;

	if (left < PAGES_2M || (gpa & ((PAGES_2M << 12) - 1)) ||
	    (pfns[0] & (PAGES_2M - 1)))
		return false;
	for (i = 1; i < PAGES_2M; i++)
		if (pfns[i] != pfns[0] + i)
			return false;
	/* a page table left over from an earlier slot keeps 4 KiB pages */
	pd = walk_alloc(ept, gpa, 2);
	if (IS_ERR_OR_NULL(pd))
		return false;
	pd_entry = &pd[index_at(gpa, 2)];
	return !present(*pd_entry);
}

/**
 * lv_ept_map() - map host frames at a guest physical range
 * @ept: the hierarchy
 * @gpa: first guest physical address, 4 KiB aligned
 * @pfns: host page frame numbers, one per 4 KiB page
 * @npages: number of pages
 * @prot: LV_EPT_R/W/X bits of the leaves
 * @allow_2m: use 2 MiB pages where possible
 *
 * The range must not be mapped already.  On failure, what was mapped stays
 * mapped: the caller unmaps the range.
 *
 * Return: 0, -EINVAL for a bad range, -EEXIST if part of it is mapped,
 * -ENOMEM.
 */
int lv_ept_map(struct lv_ept *ept, u64 gpa, const unsigned long *pfns,
	       unsigned long npages, u64 prot, bool allow_2m)
{
	unsigned long i = 0;

	if ((gpa & ~PAGE_MASK) || !(prot & LV_EPT_RWX) || (prot & ~LV_EPT_RWX) ||
	    gpa >= LV_EPT_MAX_GPA || npages > (LV_EPT_MAX_GPA - gpa) >> 12)
		return -EINVAL;

	while (i < npages) {
		u64 addr = gpa + ((u64)i << 12);
		u64 *t;

		if (allow_2m && can_map_2m(ept, addr, pfns + i, npages - i)) {
			t = walk_alloc(ept, addr, 2);
			t[index_at(addr, 2)] = ((u64)pfns[i] << 12) | prot |
					       LV_EPT_MT_WB | LV_EPT_LARGE;
			ept->nr_2m++;
			i += PAGES_2M;
			continue;
		}
		t = walk_alloc(ept, addr, 1);
		if (IS_ERR(t))
			return PTR_ERR(t);
		if (!t)
			return -ENOMEM;
		if (present(t[index_at(addr, 1)]))
			return -EEXIST;
		t[index_at(addr, 1)] = ((u64)pfns[i] << 12) | prot | LV_EPT_MT_WB;
		ept->nr_4k++;
		i++;
	}
	return 0;
}

/*
 * The leaf entry for @addr: a large leaf on the way (*@level 2 for 2 MiB),
 * else the 4 KiB entry (*@level 1, maybe not present); NULL where a table
 * on the way is missing.
 */
static u64 *leaf_of(const struct lv_ept *ept, u64 addr, unsigned int *level)
{
	u64 *t = ept->root;
	unsigned int l;

	for (l = LV_EPT_LEVELS; l > 1; l--) {
		u64 *e = &t[index_at(addr, l)];

		if (!present(*e))
			return NULL;
		if (*e & LV_EPT_LARGE) {
			*level = l;
			return e;
		}
		t = table_of(*e);
	}
	*level = 1;
	return &t[index_at(addr, 1)];
}

/**
 * lv_ept_unmap() - remove the mappings of a guest physical range
 * @ept: the hierarchy
 * @gpa: first guest physical address, 4 KiB aligned
 * @npages: number of pages
 *
 * A 2 MiB mapping is removed when the range covers it; one only partly
 * covered stays (slots never share a 2 MiB page).  The caller must INVEPT.
 */
void lv_ept_unmap(struct lv_ept *ept, u64 gpa, unsigned long npages)
{
	unsigned long i = 0;

	while (i < npages) {
		u64 addr = gpa + ((u64)i << 12);
		unsigned int l;
		u64 *e = leaf_of(ept, addr, &l);

		if (e && l == 2 && !(addr & ((PAGES_2M << 12) - 1)) &&
		    npages - i >= PAGES_2M) {
			*e = 0;
			ept->nr_2m--;
			i += PAGES_2M;
			continue;
		}
		if (e && l == 1 && present(*e)) {
			*e = 0;
			ept->nr_4k--;
		}
		i++;
	}
}

/* replace the 2 MiB leaf *@e by a table of 512 4 KiB leaves */
static int split_2m(struct lv_ept *ept, u64 *e)
{
	u64 *t = alloc_table(ept);
	u64 leaf = *e & ~LV_EPT_LARGE;
	unsigned int i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < PAGES_2M; i++)
		t[i] = leaf + ((u64)i << 12);
	*e = __pa(t) | LV_EPT_RWX;
	ept->nr_2m--;
	ept->nr_4k += PAGES_2M;
	return 0;
}

/**
 * lv_ept_write_protect() - take write access away from mapped pages
 * @ept: the hierarchy
 * @gpa: first guest physical address, 4 KiB aligned
 * @npages: number of pages
 *
 * 2 MiB mappings the range touches are split; pages not mapped are
 * skipped.  The caller must INVEPT.
 *
 * Return: 0 or -ENOMEM (what was done stays done).
 */
int lv_ept_write_protect(struct lv_ept *ept, u64 gpa, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		u64 addr = gpa + ((u64)i << 12);
		unsigned int l;
		u64 *e = leaf_of(ept, addr, &l);

		if (e && l == 2) {
			if (split_2m(ept, e))
				return -ENOMEM;
			e = leaf_of(ept, addr, &l);
		}
		if (e && l == 1)
			*e &= ~LV_EPT_W;
	}
	return 0;
}

/**
 * lv_ept_lookup() - translate a guest physical address
 * @ept: the hierarchy
 * @gpa: guest physical address
 * @level: set to the level of the leaf (1: 4 KiB, 2: 2 MiB), may be NULL
 *
 * Return: the host physical address, or ~0 if @gpa is not mapped.
 */
u64 lv_ept_lookup(const struct lv_ept *ept, u64 gpa, unsigned int *level)
{
	unsigned int l;
	u64 *e, page_mask;

	if (gpa >= LV_EPT_MAX_GPA)
		return ~0ULL;
	e = leaf_of(ept, gpa, &l);
	if (!e || !present(*e))
		return ~0ULL;
	page_mask = (1ULL << (12 + 9 * (l - 1))) - 1;
	if (level)
		*level = l;
	return (*e & LV_EPT_ADDR_MASK & ~page_mask) | (gpa & page_mask);
}
