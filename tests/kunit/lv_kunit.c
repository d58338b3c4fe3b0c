// SPDX-License-Identifier: GPL-2.0
/*
 * labvisor_kunit.ko: module information and helpers shared by the suites.
 * KUnit runs the suites (kunit_test_suites() in each *_test.c) when the
 * module is loaded.
 */
#include <linux/module.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>

#include "lv_kunit.h"

int lv_kunit_case_init(struct kunit *test)
{
	kunit_info(test, "lv-kunit: running\n");
	return 0;
}

int lv_kunit_tail_init(struct kunit *test, struct lv_kunit_tail *t)
{
	t->page = vmalloc(PAGE_SIZE);
	if (!t->page)
		return -ENOMEM;
	/* The premise of the helper: nothing is mapped after the page. */
	if (vmalloc_to_page(t->page + PAGE_SIZE)) {
		kunit_err(test, "vmalloc left no guard page after %px\n",
			  t->page);
		vfree(t->page);
		t->page = NULL;
		return -EINVAL;
	}
	return 0;
}

void lv_kunit_tail_exit(struct lv_kunit_tail *t)
{
	vfree(t->page);
	t->page = NULL;
}

const u8 *lv_kunit_tail_copy(struct lv_kunit_tail *t, const u8 *bytes,
			     size_t len)
{
	u8 *p = t->page + PAGE_SIZE - len;

	/* Poison the rest of the page: stale bytes must not help a decoder. */
	memset(t->page, 0xcc, PAGE_SIZE - len);
	memcpy(p, bytes, len);
	return p;
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for labvisor's pure logic");
