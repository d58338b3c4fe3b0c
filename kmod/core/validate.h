/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_VALIDATE_H
#define LV_VALIDATE_H

#include <linux/types.h>
#include <uapi/linux/labvisor.h>

bool lv_ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size);
int lv_validate_region(const struct lv_memory_region *r, u32 max_slots,
		       unsigned int phys_bits);
int lv_validate_regs(const struct lv_regs *regs);
u64 lv_guest_cr4_bits(void);
int lv_validate_sregs(const struct lv_sregs *s, bool unrestricted,
		      unsigned int phys_bits);

#endif /* LV_VALIDATE_H */
