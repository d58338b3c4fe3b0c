// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder for the instructions that may touch MMIO: the mov family.
 *
 * The guest physical address comes from the EPT violation, so only the
 * instruction's length, direction, access size and register or immediate
 * operand are needed.  Anything that is not a mov with a memory operand is
 * refused: the caller turns that into an internal-error exit rather than
 * guessing.
 */
#include <linux/errno.h>

#include "decode.h"

struct lv_decoder {
	const u8 *insn;
	unsigned int avail;
	unsigned int pos;
};

static int next_byte(struct lv_decoder *d, u8 *b)
{
	if (d->pos >= d->avail || d->pos >= LV_INSN_MAX_LEN)
		return -EINVAL;
	*b = d->insn[d->pos++];
	return 0;
}

static int skip_bytes(struct lv_decoder *d, unsigned int n)
{
	if (d->pos + n > d->avail || d->pos + n > LV_INSN_MAX_LEN)
		return -EINVAL;
	d->pos += n;
	return 0;
}

static u64 read_le(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static u64 sign_extend(u64 v, unsigned int from_bytes, unsigned int to_bytes)
{
	unsigned int shift = 64 - 8 * from_bytes;
	u64 r = (u64)((s64)(v << shift) >> shift);

	if (to_bytes < 8)
		r &= (1ULL << (8 * to_bytes)) - 1;
	return r;
}

/*
 * Skip ModRM, SIB and displacement; fail for a register operand (mod == 3).
 * Returns the ModRM reg field.
 */
static int skip_modrm(struct lv_decoder *d, unsigned int addr_size, u8 *reg)
{
	u8 modrm, mod, rm, sib;
	int err;

	err = next_byte(d, &modrm);
	if (err)
		return err;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = (modrm >> 3) & 7;
	if (mod == 3)
		return -EINVAL;

	if (addr_size == 2) {
		if (mod == 0 && rm == 6)
			return skip_bytes(d, 2);
		return skip_bytes(d, mod == 1 ? 1 : mod == 2 ? 2 : 0);
	}

	if (rm == 4) {
		err = next_byte(d, &sib);
		if (err)
			return err;
		if (mod == 0 && (sib & 7) == 5)
			return skip_bytes(d, 4);
	}
	if (mod == 0 && rm == 5)
		return skip_bytes(d, 4);	/* disp32, or RIP-relative */
	return skip_bytes(d, mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/**
 * lv_decode_mmio() - decode a mov-class instruction
 * @insn: instruction bytes, starting at the guest's RIP
 * @avail: bytes available at @insn (fewer than 15 near an unmapped page)
 * @mode: code size: 2 (16-bit), 4 (32-bit) or 8 (64-bit mode)
 * @out: the decoded instruction
 *
 * Handles MOV r/m,r (88, 89), MOV r,r/m (8A, 8B), MOV r/m,imm (C6 /0,
 * C7 /0), MOV with a memory offset (A0-A3), MOVZX (0F B6, 0F B7) and MOVSX
 * (0F BE, 0F BF) and MOVSXD (63, 64-bit mode), with operand-size,
 * address-size, segment and REX prefixes.
 *
 * Return: 0, or -EINVAL for anything else or for truncated input.
 */
int lv_decode_mmio(const u8 *insn, unsigned int avail, unsigned int mode,
		   struct lv_mmio_insn *out)
{
	struct lv_decoder d = { .insn = insn, .avail = avail };
	bool opsize_prefix = false, addrsize_prefix = false;
	unsigned int op_size, addr_size, imm_size = 0, moffs = 0;
	u8 b, rex = 0, reg = 0;
	int err;

	if (mode != 2 && mode != 4 && mode != 8)
		return -EINVAL;
	*out = (struct lv_mmio_insn){ 0 };

	for (;;) {
		err = next_byte(&d, &b);
		if (err)
			return err;
		if (b == 0x66)
			opsize_prefix = true;
		else if (b == 0x67)
			addrsize_prefix = true;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e &&
			 b != 0x64 && b != 0x65)
			break;	/* segment overrides: the gpa is already known */
	}
	/* in 64-bit mode a REX prefix comes right before the opcode */
	if (mode == 8 && (b & 0xf0) == 0x40) {
		rex = b;
		err = next_byte(&d, &b);
		if (err)
			return err;
	}

	if (mode == 8)
		addr_size = addrsize_prefix ? 4 : 8;
	else
		addr_size = (mode == 4) != addrsize_prefix ? 4 : 2;
	if (rex & 0x08)
		op_size = 8;
	else if (mode == 2)
		op_size = opsize_prefix ? 4 : 2;
	else
		op_size = opsize_prefix ? 2 : 4;

	switch (b) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		out->size = (b & 1) ? op_size : 1;
		out->is_write = !(b & 2);
		err = skip_modrm(&d, addr_size, &reg);
		break;
	case 0xc6: case 0xc7:
		out->size = (b & 1) ? op_size : 1;
		out->is_write = true;
		out->has_imm = true;
		imm_size = out->size > 4 ? 4 : out->size;
		err = skip_modrm(&d, addr_size, &reg);
		if (!err && reg != 0)
			err = -EINVAL;
		reg = 0;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		out->size = (b & 1) ? op_size : 1;
		out->is_write = b >= 0xa2;
		moffs = addr_size;
		reg = 0;
		err = skip_bytes(&d, moffs);
		break;
	case 0x63:	/* MOVSXD r, r/m32 (64-bit mode; a plain MOV without REX.W) */
		if (mode != 8)
			return -EINVAL;
		out->size = (rex & 0x08) ? 4 : op_size;
		out->dst_size = op_size;
		out->extend = (rex & 0x08) ? LV_EXT_SIGN : LV_EXT_NONE;
		err = skip_modrm(&d, addr_size, &reg);
		break;
	case 0x0f:
		err = next_byte(&d, &b);
		if (err)
			return err;
		if (b != 0xb6 && b != 0xb7 && b != 0xbe && b != 0xbf)
			return -EINVAL;
		out->size = (b & 1) ? 2 : 1;
		out->dst_size = op_size;
		out->extend = b >= 0xbe ? LV_EXT_SIGN : LV_EXT_ZERO;
		err = skip_modrm(&d, addr_size, &reg);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;

	if (imm_size) {
		unsigned int at = d.pos;

		err = skip_bytes(&d, imm_size);
		if (err)
			return err;
		out->imm = sign_extend(read_le(insn + at, imm_size), imm_size,
				       out->size);
	}

	if (!out->has_imm && !moffs)
		out->reg = reg | ((rex & 0x04) ? 8 : 0);
	if (out->size == 1 && !out->extend && !rex && out->reg >= 4 &&
	    !out->has_imm) {
		out->high8 = true;
		out->reg -= 4;
	}
	if (out->extend == LV_EXT_NONE && b != 0x63)
		out->dst_size = out->size;
	out->len = d.pos;
	return 0;
}
