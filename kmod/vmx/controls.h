/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_CONTROLS_H
#define LV_CONTROLS_H

#include <linux/types.h>

int lv_adjust_controls(u64 cap_msr, u32 required, u32 optional, u32 *out);

#endif /* LV_CONTROLS_H */
