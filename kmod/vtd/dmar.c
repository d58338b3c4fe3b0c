// SPDX-License-Identifier: GPL-2.0
/*
 * DMAR table parsing: a pure function from bytes to struct lv_dmar, so that
 * KUnit can feed it real and malformed tables.
 *
 * Layout (VT-d specification, chapter 8): the 36-byte ACPI header, then
 * host address width - 1 (1 byte), flags (1), 10 reserved bytes, then
 * remapping structures, each starting with type (2 bytes) and length (2).
 *   DRHD (type 0): flags (1), size (1), segment (2), register base (8),
 *                  device scopes
 *   RMRR (type 1): reserved (2), segment (2), base (8), limit (8), scopes
 * A device scope: type (1), length (1), reserved (2), enumeration id (1),
 * start bus (1), then (device, function) pairs, one per hop.
 * Other structure types (ATSR, RHSA, ANDD, SATC, ...) are skipped.
 *
 * Everything is read byte by byte: the table may sit at any alignment.
 */
#include <linux/errno.h>
#include <linux/string.h>

#include "dmar.h"

#define HDR_LEN		36	/* ACPI table header */
#define DMAR_HDR_LEN	48	/* ... plus width, flags, reserved */
#define DRHD_LEN	16
#define RMRR_LEN	24
#define SCOPE_LEN	6

static u16 le16_at(const u8 *p)
{
	return p[0] | (u16)p[1] << 8;
}

static u32 le32_at(const u8 *p)
{
	return le16_at(p) | (u32)le16_at(p + 2) << 16;
}

static u64 le64_at(const u8 *p)
{
	return le32_at(p) | (u64)le32_at(p + 4) << 32;
}

static int reject(struct lv_dmar *out, const char *why, size_t where)
{
	out->why = why;
	out->where = where;
	return -EINVAL;
}

/* the device scopes in [@off, @end) of @t into @scope (at most LV_DMAR_MAX_SCOPES) */
static int parse_scopes(const u8 *t, size_t off, size_t end,
			struct lv_dmar_scope *scope, unsigned int *nr,
			struct lv_dmar *out)
{
	*nr = 0;
	while (off < end) {
		struct lv_dmar_scope *s;
		unsigned int len, hops, i;

		if (end - off < SCOPE_LEN)
			return reject(out, "device scope truncated", off);
		len = t[off + 1];
		if (len < SCOPE_LEN + 2 || (len - SCOPE_LEN) % 2)
			return reject(out, "device scope length is not 6 + 2 * hops (hops >= 1)",
				      off);
		if (len > end - off)
			return reject(out, "device scope runs past its structure", off);
		if (t[off] < LV_DMAR_SCOPE_ENDPOINT || t[off] > LV_DMAR_SCOPE_NAMESPACE)
			return reject(out, "unknown device scope type", off);
		hops = (len - SCOPE_LEN) / 2;
		if (hops > LV_DMAR_MAX_PATH)
			return reject(out, "device scope path too deep", off);
		if (*nr == LV_DMAR_MAX_SCOPES)
			return reject(out, "too many device scopes in one structure", off);
		s = &scope[(*nr)++];
		s->type = t[off];
		s->enum_id = t[off + 4];
		s->bus = t[off + 5];
		s->depth = hops;
		for (i = 0; i < hops; i++) {
			s->path[i][0] = t[off + SCOPE_LEN + 2 * i];
			s->path[i][1] = t[off + SCOPE_LEN + 2 * i + 1];
			if (s->path[i][0] > 31 || s->path[i][1] > 7)
				return reject(out, "device scope path: device > 31 or function > 7",
					      off);
		}
		off += len;
	}
	return 0;
}

static int parse_drhd(const u8 *t, size_t off, size_t len, struct lv_dmar *out)
{
	struct lv_dmar_unit *u;
	int err;

	if (len < DRHD_LEN)
		return reject(out, "DRHD shorter than 16 bytes", off);
	if (out->nr_units == LV_DMAR_MAX_UNITS)
		return reject(out, "too many DRHD units", off);
	u = &out->unit[out->nr_units];
	u->flags = t[off + 4];
	u->segment = le16_at(t + off + 6);
	u->base = le64_at(t + off + 8);
	if (!u->base || (u->base & 0xfff))
		return reject(out, "DRHD register base is 0 or not 4 KiB aligned", off);
	err = parse_scopes(t, off + DRHD_LEN, off + len, u->scope, &u->nr_scopes, out);
	if (err)
		return err;
	if ((u->flags & LV_DMAR_INCLUDE_ALL) && u->nr_scopes) {
		unsigned int i;

		/* INCLUDE_ALL units may list only IOAPICs, HPETs, namespaces */
		for (i = 0; i < u->nr_scopes; i++)
			if (u->scope[i].type <= LV_DMAR_SCOPE_BRIDGE)
				return reject(out, "INCLUDE_ALL DRHD lists a PCI device scope",
					      off);
	}
	out->nr_units++;
	return 0;
}

static int parse_rmrr(const u8 *t, size_t off, size_t len, struct lv_dmar *out)
{
	struct lv_dmar_rmrr *r;
	unsigned int i;
	int err;

	if (len < RMRR_LEN)
		return reject(out, "RMRR shorter than 24 bytes", off);
	if (out->nr_rmrrs == LV_DMAR_MAX_RMRRS)
		return reject(out, "too many RMRRs", off);
	r = &out->rmrr[out->nr_rmrrs];
	r->segment = le16_at(t + off + 6);
	r->base = le64_at(t + off + 8);
	r->end = le64_at(t + off + 16);
	if ((r->base & 0xfff) || (r->end & 0xfff) != 0xfff || r->end < r->base)
		return reject(out, "RMRR range not page-granular or ends before it starts",
			      off);
	err = parse_scopes(t, off + RMRR_LEN, off + len, r->scope, &r->nr_scopes, out);
	if (err)
		return err;
	for (i = 0; i < r->nr_scopes; i++)
		if (r->scope[i].type > LV_DMAR_SCOPE_BRIDGE)
			return reject(out, "RMRR device scope is not a PCI device", off);
	out->nr_rmrrs++;
	return 0;
}

/**
 * lv_dmar_parse() - parse an ACPI DMAR table
 * @table: the table, header included
 * @len: bytes readable at @table (the header's length must fit in them)
 * @out: filled in; on failure @out->why and @out->where say what and where
 *
 * Checks the signature, the length, the checksum, the host address width,
 * every structure's and device scope's length and the fields the module
 * relies on.  Reads no byte outside [@table, @table + @len).
 *
 * Return: 0; -EINVAL for a malformed table (or one with more units, RMRRs
 * or scopes than struct lv_dmar holds); -ENODEV for a valid table without
 * any DRHD unit.
 */
int lv_dmar_parse(const void *table, size_t len, struct lv_dmar *out)
{
	const u8 *t = table;
	size_t off, total;
	u8 sum = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len < DMAR_HDR_LEN)
		return reject(out, "shorter than the DMAR header (48 bytes)", 0);
	if (memcmp(t, "DMAR", 4))
		return reject(out, "signature is not DMAR", 0);
	total = le32_at(t + 4);
	if (total < DMAR_HDR_LEN)
		return reject(out, "header length below 48", 4);
	if (total > len)
		return reject(out, "header length beyond the bytes given", 4);
	for (i = 0; i < total; i++)
		sum += t[i];
	if (sum)
		return reject(out, "checksum does not add up to 0", 9);
	out->haw = t[HDR_LEN] + 1;
	out->flags = t[HDR_LEN + 1];
	if (out->haw < 32 || out->haw > 64)
		return reject(out, "host address width outside 32..64 bits", HDR_LEN);

	for (off = DMAR_HDR_LEN; off < total; ) {
		unsigned int type, slen;
		int err = 0;

		if (total - off < 4)
			return reject(out, "remapping structure header truncated", off);
		type = le16_at(t + off);
		slen = le16_at(t + off + 2);
		if (slen < 4)
			return reject(out, "remapping structure length below 4", off);
		if (slen > total - off)
			return reject(out, "remapping structure runs past the table", off);
		if (type == LV_DMAR_TYPE_DRHD)
			err = parse_drhd(t, off, slen, out);
		else if (type == LV_DMAR_TYPE_RMRR)
			err = parse_rmrr(t, off, slen, out);
		if (err)
			return err;
		off += slen;
	}
	if (!out->nr_units) {
		out->why = "no DRHD unit";
		out->where = 0;
		return -ENODEV;
	}
	return 0;
}
