/* SPDX-License-Identifier: GPL-2.0 */
/* Segment descriptor decoding, for guests that check lvctl's GDT. */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include "types.h"

struct seg_desc {
	u32 base, limit;	/* limit scaled by G */
	u8 type, s, dpl, p, avl, l, db, g;
};

static inline struct seg_desc desc_decode(u64 d)
{
	struct seg_desc s;

	s.limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	s.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	s.type = (d >> 40) & 0xf;
	s.s = (d >> 44) & 1;
	s.dpl = (d >> 45) & 3;
	s.p = (d >> 47) & 1;
	s.avl = (d >> 52) & 1;
	s.l = (d >> 53) & 1;
	s.db = (d >> 54) & 1;
	s.g = (d >> 55) & 1;
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

#endif
