// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: DMAR table parsing (kmod/vtd/dmar.c).
 *
 * The real table is QEMU 7.2's (q35, -device intel-iommu, edu at 00:02.0,
 * a PCIe root port at 00:03.0), read from /sys/firmware/acpi/tables/DMAR in
 * the lab.  Synthetic tables are built here with a correct checksum unless
 * the case is about the checksum.  Every table is parsed from the end of a
 * page followed by an unmapped page, so a read past the given length
 * crashes the case.
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kmod/vtd/dmar.h"
#include "lv_kunit.h"

static const u8 qemu_dmar[128] = {
	0x44, 0x4d, 0x41, 0x52, 0x80, 0x00, 0x00, 0x00, 0x01, 0xf0, 0x42, 0x4f,
	0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
	0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
	0x26, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd9, 0xfe,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x08, 0x00, 0x00,
	0x00, 0x00, 0x1f, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x02,
	0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x03,
};

struct ctx {
	struct lv_kunit_tail tail;
	struct lv_dmar *out;
	u8 buf[1024];		/* a table under construction */
	size_t len;
};

static int dmar_init(struct kunit *test)
{
	struct ctx *c;

	lv_kunit_case_init(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->out = kunit_kzalloc(test, sizeof(*c->out), GFP_KERNEL);
	if (!c->out || lv_kunit_tail_init(test, &c->tail))
		return -ENOMEM;
	test->priv = c;
	return 0;
}

static void dmar_exit(struct kunit *test)
{
	struct ctx *c = test->priv;

	if (c)
		lv_kunit_tail_exit(&c->tail);
}

static void put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(u8 *p, u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

/* header: length and checksum are filled in by fix() */
static void start(struct ctx *c, u8 haw_minus_1, u8 flags)
{
	memset(c->buf, 0, sizeof(c->buf));
	memcpy(c->buf, "DMAR", 4);
	c->buf[8] = 1;
	memcpy(c->buf + 10, "LVTEST", 6);
	c->buf[36] = haw_minus_1;
	c->buf[37] = flags;
	c->len = 48;
}

static u8 *add(struct ctx *c, size_t n)
{
	u8 *p = c->buf + c->len;

	c->len += n;
	return p;
}

/* a structure of @type and @len, returning its start */
static u8 *structure(struct ctx *c, u16 type, u16 len)
{
	u8 *p = add(c, len);

	put16(p, type);
	put16(p + 2, len);
	return p;
}

static u8 *drhd(struct ctx *c, u8 flags, u16 seg, u64 base, u16 scope_bytes)
{
	u8 *p = structure(c, 0, 16 + scope_bytes);

	p[4] = flags;
	put16(p + 6, seg);
	put64(p + 8, base);
	return p + 16;
}

static u8 *rmrr(struct ctx *c, u16 seg, u64 base, u64 end, u16 scope_bytes)
{
	u8 *p = structure(c, 1, 24 + scope_bytes);

	put16(p + 6, seg);
	put64(p + 8, base);
	put64(p + 16, end);
	return p + 24;
}

/* a scope at @p: @hops (device, function) pairs from @path; returns the end */
static u8 *scope(u8 *p, u8 type, u8 bus, const u8 *path, unsigned int hops)
{
	p[0] = type;
	p[1] = 6 + 2 * hops;
	p[5] = bus;
	memcpy(p + 6, path, 2 * hops);
	return p + 6 + 2 * hops;
}

static void fix(struct ctx *c)
{
	u8 sum = 0;
	size_t i;

	put32(c->buf + 4, c->len);
	c->buf[9] = 0;
	for (i = 0; i < c->len; i++)
		sum += c->buf[i];
	c->buf[9] = -sum;
}

static int parse(struct ctx *c, const u8 *t, size_t len)
{
	return lv_dmar_parse(lv_kunit_tail_copy(&c->tail, t, len), len, c->out);
}

static int parse_built(struct ctx *c)
{
	fix(c);
	return parse(c, c->buf, c->len);
}

/* ---- real tables ---- */

static void dmar_qemu(struct kunit *test)
{
	static const u8 bdf[][2] = {
		{ 0x00, 0x0 }, { 0x01, 0x0 }, { 0x02, 0x0 }, { 0x03, 0x0 },
		{ 0x1f, 0x0 }, { 0x1f, 0x2 }, { 0x1f, 0x3 },
	};
	struct ctx *c = test->priv;
	const struct lv_dmar_unit *u;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, parse(c, qemu_dmar, sizeof(qemu_dmar)), 0);
	KUNIT_EXPECT_EQ(test, c->out->haw, 39);
	KUNIT_EXPECT_EQ(test, c->out->flags, 1);	/* INTR_REMAP */
	KUNIT_EXPECT_EQ(test, c->out->nr_rmrrs, 0u);
	KUNIT_ASSERT_EQ(test, c->out->nr_units, 1u);
	u = &c->out->unit[0];
	KUNIT_EXPECT_EQ(test, u->base, 0xfed90000ULL);
	KUNIT_EXPECT_EQ(test, u->segment, 0);
	KUNIT_EXPECT_EQ(test, u->flags, 0);
	KUNIT_ASSERT_EQ(test, u->nr_scopes, 8u);
	/* the IOAPIC first (enumeration id 0 on bus 0xff), then the devices */
	KUNIT_EXPECT_EQ(test, u->scope[0].type, LV_DMAR_SCOPE_IOAPIC);
	KUNIT_EXPECT_EQ(test, u->scope[0].bus, 0xff);
	for (i = 1; i < 8; i++) {
		const struct lv_dmar_scope *s = &u->scope[i];

		KUNIT_EXPECT_EQ(test, s->type, i == 4 ? LV_DMAR_SCOPE_BRIDGE :
						LV_DMAR_SCOPE_ENDPOINT);
		KUNIT_EXPECT_EQ(test, s->bus, 0);
		KUNIT_EXPECT_EQ(test, s->depth, 1);
		KUNIT_EXPECT_EQ(test, s->path[0][0], bdf[i - 1][0]);
		KUNIT_EXPECT_EQ(test, s->path[0][1], bdf[i - 1][1]);
	}
}

/* only the bytes the header names are read: trailing garbage is ignored */
static void dmar_qemu_trailing_bytes(struct kunit *test)
{
	struct ctx *c = test->priv;

	memcpy(c->buf, qemu_dmar, sizeof(qemu_dmar));
	memset(c->buf + sizeof(qemu_dmar), 0xee, 64);
	KUNIT_EXPECT_EQ(test, parse(c, c->buf, sizeof(qemu_dmar) + 64), 0);
	KUNIT_EXPECT_EQ(test, c->out->nr_units, 1u);
}

/* two units (one INCLUDE_ALL, last), an RMRR, a bridge path, an ATSR */
static void dmar_synthetic(struct kunit *test)
{
	static const u8 gfx[] = { 2, 0 }, deep[] = { 1, 0, 0, 0, 3, 1 };
	static const u8 usb[] = { 0x14, 0 };
	struct ctx *c = test->priv;
	u8 *p;

	start(c, 45, 0x5);
	p = drhd(c, 0, 0, 0xfed90000, 8 + 12);
	p = scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, gfx, 1);
	scope(p, LV_DMAR_SCOPE_BRIDGE, 0, deep, 3);
	p = structure(c, 2, 8);			/* ATSR: skipped */
	p = drhd(c, 1, 0, 0xfed91000, 8);	/* INCLUDE_ALL, with its IOAPIC */
	scope(p, LV_DMAR_SCOPE_IOAPIC, 0xf0, gfx, 1);
	p = rmrr(c, 0, 0x3e000000, 0x3e1fffff, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, usb, 1);
	structure(c, 0x7fff, 4);		/* unknown type: skipped */
	KUNIT_ASSERT_EQ(test, parse_built(c), 0);
	KUNIT_EXPECT_EQ(test, c->out->haw, 46);
	KUNIT_EXPECT_EQ(test, c->out->flags, 5);
	KUNIT_ASSERT_EQ(test, c->out->nr_units, 2u);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].nr_scopes, 2u);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].scope[1].type, LV_DMAR_SCOPE_BRIDGE);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].scope[1].depth, 3);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].scope[1].path[2][0], 3);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].scope[1].path[2][1], 1);
	KUNIT_EXPECT_EQ(test, c->out->unit[1].flags, LV_DMAR_INCLUDE_ALL);
	KUNIT_EXPECT_EQ(test, c->out->unit[1].base, 0xfed91000ULL);
	KUNIT_EXPECT_EQ(test, c->out->unit[1].scope[0].enum_id, 0);
	KUNIT_ASSERT_EQ(test, c->out->nr_rmrrs, 1u);
	KUNIT_EXPECT_EQ(test, c->out->rmrr[0].base, 0x3e000000ULL);
	KUNIT_EXPECT_EQ(test, c->out->rmrr[0].end, 0x3e1fffffULL);
	KUNIT_EXPECT_EQ(test, c->out->rmrr[0].nr_scopes, 1u);
	KUNIT_EXPECT_EQ(test, c->out->rmrr[0].scope[0].path[0][0], 0x14);
}

/* ---- malformed tables: each rejected with -EINVAL and a reason ---- */

static void expect_reject(struct kunit *test, int err, const char *what)
{
	struct ctx *c = test->priv;

	KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "%s", what);
	KUNIT_EXPECT_NOT_NULL_MSG(test, c->out->why, "%s: no reason", what);
}

static void dmar_bad_header(struct kunit *test)
{
	struct ctx *c = test->priv;
	u8 t[sizeof(qemu_dmar)];

	expect_reject(test, parse(c, qemu_dmar, 47), "shorter than 48 bytes");
	memcpy(t, qemu_dmar, sizeof(t));
	t[0] = 'X';
	expect_reject(test, parse(c, t, sizeof(t)), "signature");
	memcpy(t, qemu_dmar, sizeof(t));
	t[20] ^= 1;
	expect_reject(test, parse(c, t, sizeof(t)), "checksum");
	/* the header names more bytes than there are */
	expect_reject(test, parse(c, qemu_dmar, sizeof(qemu_dmar) - 1),
		      "length beyond the buffer");
	/* a length below the header, checksum fixed */
	start(c, 38, 0);
	fix(c);
	put32(c->buf + 4, 40);
	c->buf[9] += 8;
	expect_reject(test, parse(c, c->buf, 48), "length below 48");
	/* host address width 31 and 65 bits */
	start(c, 30, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	expect_reject(test, parse_built(c), "haw 31");
	start(c, 64, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	expect_reject(test, parse_built(c), "haw 65");
}

static void dmar_bad_structures(struct kunit *test)
{
	struct ctx *c = test->priv;
	u8 *p;

	start(c, 38, 0);
	structure(c, 0, 2);		/* length below 4 */
	expect_reject(test, parse_built(c), "structure length 2");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	add(c, 2);			/* 2 bytes: no room for a header */
	expect_reject(test, parse_built(c), "truncated structure header");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 0);
	put16(p - 16 + 2, 32);		/* says 32, the table ends at 16 */
	expect_reject(test, parse_built(c), "structure past the table");

	start(c, 38, 0);
	structure(c, 0, 12);		/* a DRHD of 12 bytes */
	expect_reject(test, parse_built(c), "short DRHD");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90800, 0);
	expect_reject(test, parse_built(c), "unaligned register base");

	start(c, 38, 0);
	drhd(c, 0, 0, 0, 0);
	expect_reject(test, parse_built(c), "register base 0");

	start(c, 38, 0);
	structure(c, 1, 20);		/* an RMRR of 20 bytes */
	drhd(c, 0, 0, 0xfed90000, 0);
	expect_reject(test, parse_built(c), "short RMRR");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	rmrr(c, 0, 0x1000, 0x1ffe, 0);
	expect_reject(test, parse_built(c), "RMRR end not at a page end");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	rmrr(c, 0, 0x3000, 0x1fff, 0);
	expect_reject(test, parse_built(c), "RMRR ending before it starts");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	rmrr(c, 0, 0x1800, 0x1fff, 0);
	expect_reject(test, parse_built(c), "RMRR base unaligned");
}

static void dmar_bad_scopes(struct kunit *test)
{
	static const u8 one[] = { 2, 0 }, five[] = { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 };
	static const u8 dev32[] = { 32, 0 }, fn8[] = { 2, 8 };
	struct ctx *c = test->priv;
	u8 *p;

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, one, 1);
	p[1] = 7;			/* odd: not 6 + 2 * hops */
	expect_reject(test, parse_built(c), "scope length 7");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, one, 1);
	p[1] = 6;			/* no hop */
	expect_reject(test, parse_built(c), "scope without a path");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, one, 1);
	p[1] = 10;			/* past its DRHD */
	expect_reject(test, parse_built(c), "scope past its structure");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 4);	/* 4 bytes: not even a header */
	expect_reject(test, parse_built(c), "truncated scope");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, 0, 0, one, 1);
	expect_reject(test, parse_built(c), "scope type 0");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, 6, 0, one, 1);
	expect_reject(test, parse_built(c), "scope type 6");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 16);
	scope(p, LV_DMAR_SCOPE_BRIDGE, 0, five, 5);
	expect_reject(test, parse_built(c), "path of 5 hops");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, dev32, 1);
	expect_reject(test, parse_built(c), "device 32");

	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, fn8, 1);
	expect_reject(test, parse_built(c), "function 8");

	start(c, 38, 0);
	p = drhd(c, LV_DMAR_INCLUDE_ALL, 0, 0xfed90000, 8);
	scope(p, LV_DMAR_SCOPE_ENDPOINT, 0, one, 1);
	expect_reject(test, parse_built(c), "INCLUDE_ALL with a PCI endpoint");

	start(c, 38, 0);
	drhd(c, 0, 0, 0xfed90000, 0);
	p = rmrr(c, 0, 0x1000, 0x1fff, 8);
	scope(p, LV_DMAR_SCOPE_IOAPIC, 0, one, 1);
	expect_reject(test, parse_built(c), "RMRR naming an IOAPIC");
}

static void dmar_limits(struct kunit *test)
{
	static const u8 one[] = { 2, 0 };
	struct ctx *c = test->priv;
	unsigned int i;
	u8 *p;

	/* no DRHD at all: valid, but nothing to use */
	start(c, 38, 0);
	rmrr(c, 0, 0x1000, 0x1fff, 0);
	KUNIT_EXPECT_EQ(test, parse_built(c), -ENODEV);

	/* as many units as fit, then one more */
	start(c, 38, 0);
	for (i = 0; i < LV_DMAR_MAX_UNITS; i++)
		drhd(c, 0, 0, 0xfed90000 + i * 0x1000, 0);
	KUNIT_EXPECT_EQ(test, parse_built(c), 0);
	KUNIT_EXPECT_EQ(test, c->out->nr_units, (unsigned int)LV_DMAR_MAX_UNITS);
	drhd(c, 0, 0, 0xfeda0000, 0);
	expect_reject(test, parse_built(c), "one unit too many");

	/* as many scopes as fit in one unit, then one more */
	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8 * LV_DMAR_MAX_SCOPES);
	for (i = 0; i < LV_DMAR_MAX_SCOPES; i++)
		p = scope(p, LV_DMAR_SCOPE_ENDPOINT, i, one, 1);
	KUNIT_EXPECT_EQ(test, parse_built(c), 0);
	KUNIT_EXPECT_EQ(test, c->out->unit[0].nr_scopes,
			(unsigned int)LV_DMAR_MAX_SCOPES);
	start(c, 38, 0);
	p = drhd(c, 0, 0, 0xfed90000, 8 * (LV_DMAR_MAX_SCOPES + 1));
	for (i = 0; i <= LV_DMAR_MAX_SCOPES; i++)
		p = scope(p, LV_DMAR_SCOPE_ENDPOINT, i, one, 1);
	expect_reject(test, parse_built(c), "one scope too many");
}

/* every truncation of the real table is rejected, and none reads past it */
static void dmar_every_truncation(struct kunit *test)
{
	struct ctx *c = test->priv;
	size_t len;

	for (len = 0; len < sizeof(qemu_dmar); len++)
		KUNIT_EXPECT_EQ_MSG(test, parse(c, qemu_dmar, len), -EINVAL,
				    "truncated to %zu bytes", len);
}

/* the header length lowered (checksum fixed): a structure is cut */
static void dmar_every_short_length(struct kunit *test)
{
	struct ctx *c = test->priv;
	size_t len;
	int err;

	for (len = 48; len < sizeof(qemu_dmar); len++) {
		memcpy(c->buf, qemu_dmar, sizeof(qemu_dmar));
		c->len = len;
		fix(c);
		err = parse(c, c->buf, len);
		/* 48: no structure left, so no unit */
		KUNIT_EXPECT_EQ_MSG(test, err, len == 48 ? -ENODEV : -EINVAL,
				    "header length %zu", len);
	}
}

static struct kunit_case lv_dmar_cases[] = {
	KUNIT_CASE(dmar_qemu),
	KUNIT_CASE(dmar_qemu_trailing_bytes),
	KUNIT_CASE(dmar_synthetic),
	KUNIT_CASE(dmar_bad_header),
	KUNIT_CASE(dmar_bad_structures),
	KUNIT_CASE(dmar_bad_scopes),
	KUNIT_CASE(dmar_limits),
	KUNIT_CASE(dmar_every_truncation),
	KUNIT_CASE(dmar_every_short_length),
	{}
};

static struct kunit_suite lv_dmar_suite = {
	.name = "lv_dmar",
	.init = dmar_init,
	.exit = dmar_exit,
	.test_cases = lv_dmar_cases,
};

kunit_test_suites(&lv_dmar_suite);
