// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d second-level page tables built from a VM's memory slots: the I/O
 * virtual address a device uses is the guest physical address.
 *
 * Tables are 4 KiB pages of 512 entries; 3 levels translate 39 bits, 4
 * levels 48 bits (the unit's SAGAW says which it walks).  Entries: bit 0
 * read, bit 1 write, bits 51:12 the next table or the page; every other bit
 * is zero (reserved bits would make the unit fault).  Only 4 KiB leaves are
 * used.  Intermediate tables live until the hierarchy is destroyed, so an
 * unmap never frees a table the unit may be walking; the caller invalidates
 * the IOTLB after unmapping.
 */
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/cacheflush.h>
#include <asm/page.h>

#include "slpt.h"

#define PTRS		512

static unsigned int index_at(u64 iova, unsigned int level)
{
	return (iova >> (12 + 9 * (level - 1))) & (PTRS - 1);
}

static u64 *table_of(u64 entry)
{
	return __va(entry & LV_SL_ADDR_MASK);
}

static bool present(u64 entry)
{
	return entry & (LV_SL_R | LV_SL_W);
}

static void set_entry(const struct lv_slpt *pt, u64 *e, u64 val)
{
	WRITE_ONCE(*e, val);
	if (pt->flush)
		clflush_cache_range(e, sizeof(*e));
}

static u64 *alloc_table(struct lv_slpt *pt)
{
	u64 *t = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (t) {
		pt->nr_tables++;
		if (pt->flush)
			clflush_cache_range(t, PAGE_SIZE);
	}
	return t;
}

/**
 * lv_slpt_init() - set up an empty hierarchy
 * @pt: the hierarchy
 * @levels: 3 or 4
 * @flush: write entries back from the CPU caches after each change
 *
 * Return: 0, -EINVAL for another number of levels, -ENOMEM.
 */
int lv_slpt_init(struct lv_slpt *pt, unsigned int levels, bool flush)
{
	*pt = (struct lv_slpt){ .levels = levels, .flush = flush };
	if (levels != 3 && levels != 4)
		return -EINVAL;
	pt->root = alloc_table(pt);
	return pt->root ? 0 : -ENOMEM;
}

static void free_level(u64 *table, unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < PTRS; i++)
			if (present(table[i]))
				free_level(table_of(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

/**
 * lv_slpt_destroy() - free every table
 * @pt: the hierarchy; no unit may walk it any more
 */
void lv_slpt_destroy(struct lv_slpt *pt)
{
	if (pt->root)
		free_level(pt->root, pt->levels);
	*pt = (struct lv_slpt){ 0 };
}

/**
 * lv_slpt_max_iova() - the first I/O virtual address the hierarchy cannot
 *	translate
 * @pt: the hierarchy
 *
 * Return: 2^39 for 3 levels, 2^48 for 4.
 */
u64 lv_slpt_max_iova(const struct lv_slpt *pt)
{
	return BIT_ULL(12 + 9 * pt->levels);
}

/* the level-1 table covering @iova, allocated on the way (NULL: no memory) */
static u64 *walk_alloc(struct lv_slpt *pt, u64 iova)
{
	u64 *t = pt->root;
	unsigned int l;

	for (l = pt->levels; l > 1; l--) {
		u64 *e = &t[index_at(iova, l)];

		if (!present(*e)) {
			u64 *next = alloc_table(pt);

			if (!next)
				return NULL;
			set_entry(pt, e, __pa(next) | LV_SL_R | LV_SL_W);
		}
		t = table_of(*e);
	}
	return t;
}

/**
 * lv_slpt_map() - map host frames at an I/O virtual address range
 * @pt: the hierarchy
 * @iova: first address, 4 KiB aligned
 * @pfns: host page frame numbers, one per page
 * @npages: number of pages
 * @prot: LV_SL_R, optionally with LV_SL_W
 *
 * The range must not be mapped already.  On failure what was mapped stays
 * mapped: the caller unmaps the range.
 *
 * Return: 0; -EINVAL for a bad range or @prot; -EEXIST if part of it is
 * mapped; -ENOMEM.
 */
int lv_slpt_map(struct lv_slpt *pt, u64 iova, const unsigned long *pfns,
		unsigned long npages, u64 prot)
{
	u64 max = lv_slpt_max_iova(pt);
	unsigned long i;

	if ((iova & ~PAGE_MASK) || !(prot & LV_SL_R) ||
	    (prot & ~(LV_SL_R | LV_SL_W)) || iova >= max ||
	    npages > (max - iova) >> 12)
		return -EINVAL;
	for (i = 0; i < npages; i++) {
		u64 addr = iova + ((u64)i << 12);
		u64 *t = walk_alloc(pt, addr);
		u64 *e;

		if (!t)
			return -ENOMEM;
		e = &t[index_at(addr, 1)];
		if (present(*e))
			return -EEXIST;
		if (((u64)pfns[i] << 12) & ~LV_SL_ADDR_MASK)
			return -EINVAL;
		set_entry(pt, e, ((u64)pfns[i] << 12) | prot);
		pt->nr_pages++;
	}
	return 0;
}

/**
 * lv_slpt_unmap() - remove the mappings of a range
 * @pt: the hierarchy
 * @iova: first address, 4 KiB aligned
 * @npages: number of pages; pages not mapped are skipped
 *
 * The caller invalidates the IOTLB before the pages are reused.
 */
void lv_slpt_unmap(struct lv_slpt *pt, u64 iova, unsigned long npages)
{
	u64 max = lv_slpt_max_iova(pt);
	unsigned long i;

	for (i = 0; i < npages; i++) {
		u64 addr = iova + ((u64)i << 12);
		unsigned int l;
		u64 *t = pt->root;

		if (addr >= max)
			break;
		for (l = pt->levels; l > 1 && t; l--) {
			u64 e = t[index_at(addr, l)];

			t = present(e) ? table_of(e) : NULL;
		}
		if (t && present(t[index_at(addr, 1)])) {
			set_entry(pt, &t[index_at(addr, 1)], 0);
			pt->nr_pages--;
		}
	}
}

/**
 * lv_slpt_lookup() - translate one address as the unit would
 * @pt: the hierarchy
 * @iova: the address
 *
 * Return: the leaf entry (host address | LV_SL_R/W), or 0 if not mapped.
 */
u64 lv_slpt_lookup(const struct lv_slpt *pt, u64 iova)
{
	const u64 *t = pt->root;
	unsigned int l;
	u64 e = 0;

	if (iova >= lv_slpt_max_iova(pt))
		return 0;
	for (l = pt->levels; l >= 1; l--) {
		e = t[index_at(iova, l)];
		if (!present(e))
			return 0;
		if (l > 1)
			t = table_of(e);
	}
	return e;
}
