/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_EPT_H
#define LV_EPT_H

#include <linux/bits.h>
#include <linux/types.h>

/* EPT entry bits (SDM Vol. 3C, 29.3.2) */
#define LV_EPT_R		BIT_ULL(0)
#define LV_EPT_W		BIT_ULL(1)
#define LV_EPT_X		BIT_ULL(2)
#define LV_EPT_RWX		(LV_EPT_R | LV_EPT_W | LV_EPT_X)
#define LV_EPT_MT_WB		(6ULL << 3)
#define LV_EPT_LARGE		BIT_ULL(7)
#define LV_EPT_ADDR_MASK	0x000ffffffffff000ULL

#define LV_EPT_LEVELS		4
#define LV_EPT_MAX_GPA		BIT_ULL(48)

/**
 * struct lv_ept - one EPT hierarchy (4-level, write-back)
 * @root: the PML4 table
 * @nr_tables: tables allocated, the root included
 * @nr_2m: 2 MiB mappings present
 * @nr_4k: 4 KiB mappings present
 */
struct lv_ept {
	u64 *root;
	unsigned long nr_tables;
	unsigned long nr_2m;
	unsigned long nr_4k;
};

int lv_ept_init(struct lv_ept *ept);
void lv_ept_destroy(struct lv_ept *ept);
u64 lv_ept_eptp(const struct lv_ept *ept);
int lv_ept_map(struct lv_ept *ept, u64 gpa, const unsigned long *pfns,
	       unsigned long npages, u64 prot, bool allow_2m);
void lv_ept_unmap(struct lv_ept *ept, u64 gpa, unsigned long npages);
int lv_ept_write_protect(struct lv_ept *ept, u64 gpa, unsigned long npages);
u64 lv_ept_lookup(const struct lv_ept *ept, u64 gpa, unsigned int *level);

#endif /* LV_EPT_H */
