/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d second-level page tables (VT-d specification 9.8): the I/O page
 * tables that translate a device's DMA address (here: the guest physical
 * address) to a host physical address.
 */
#ifndef LV_VTD_SLPT_H
#define LV_VTD_SLPT_H

#include <linux/bits.h>
#include <linux/types.h>

#define LV_SL_R			BIT_ULL(0)
#define LV_SL_W			BIT_ULL(1)
#define LV_SL_ADDR_MASK		0x000ffffffffff000ULL

/**
 * struct lv_slpt - one second-level hierarchy of 4 KiB pages
 * @root: the top table
 * @levels: 3 (39-bit address width) or 4 (48-bit)
 * @flush: write table entries back from the CPU caches (the unit does not
 *	snoop: ECAP.C clear)
 * @nr_tables: tables allocated, the root included
 * @nr_pages: 4 KiB mappings present
 */
struct lv_slpt {
	u64 *root;
	unsigned int levels;
	bool flush;
	unsigned long nr_tables;
	unsigned long nr_pages;
};

int lv_slpt_init(struct lv_slpt *pt, unsigned int levels, bool flush);
void lv_slpt_destroy(struct lv_slpt *pt);
u64 lv_slpt_max_iova(const struct lv_slpt *pt);
int lv_slpt_map(struct lv_slpt *pt, u64 iova, const unsigned long *pfns,
		unsigned long npages, u64 prot);
void lv_slpt_unmap(struct lv_slpt *pt, u64 iova, unsigned long npages);
u64 lv_slpt_lookup(const struct lv_slpt *pt, u64 iova);

#endif /* LV_VTD_SLPT_H */
