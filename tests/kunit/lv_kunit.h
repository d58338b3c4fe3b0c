/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by labvisor's KUnit suites.
 */
#ifndef LV_KUNIT_H
#define LV_KUNIT_H

#include <kunit/test.h>

/*
 * Suite .init for every case: prints "# <case>: lv-kunit: running" so that
 * tests/kunit/ktap.py can name the case that was running when the kernel
 * crashed (KUnit itself prints a case's name only with its result).
 */
int lv_kunit_case_init(struct kunit *test);

/*
 * A scratch page followed by an unmapped guard page (vmalloc).  Data copied
 * to its end with lv_kunit_tail_copy() ends exactly at the guard, so reading
 * one byte past it faults (and the run reports the case as crashed).
 */
struct lv_kunit_tail {
	u8 *page;
};

int lv_kunit_tail_init(struct kunit *test, struct lv_kunit_tail *t);
void lv_kunit_tail_exit(struct lv_kunit_tail *t);
const u8 *lv_kunit_tail_copy(struct lv_kunit_tail *t, const u8 *bytes,
			     size_t len);

#endif /* LV_KUNIT_H */
