/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_DECODE_H
#define LV_DECODE_H

#include <linux/types.h>

#define LV_INSN_MAX_LEN	15

/* lv_mmio_insn.extend: how a value read from memory reaches the register */
#define LV_EXT_NONE	0	/* plain mov: operand size == access size */
#define LV_EXT_ZERO	1	/* movzx */
#define LV_EXT_SIGN	2	/* movsx */

/**
 * struct lv_mmio_insn - a decoded mov-class instruction with one memory
 *	operand
 * @len: instruction length in bytes
 * @size: bytes read or written in memory (1, 2, 4 or 8)
 * @dst_size: size of the register operand (reads; equals @size for a
 *	plain mov)
 * @is_write: the instruction writes memory
 * @has_imm: the value written is @imm, not a register
 * @high8: @reg names AH, CH, DH or BH (8-bit operand, no REX prefix)
 * @extend: LV_EXT_* for reads
 * @reg: register operand, 0-15 in x86 encoding (RAX = 0 ... R15 = 15)
 * @imm: the immediate, sign-extended to @size bytes
 */
struct lv_mmio_insn {
	u8 len;
	u8 size;
	u8 dst_size;
	bool is_write;
	bool has_imm;
	bool high8;
	u8 extend;
	u8 reg;
	u64 imm;
};

int lv_decode_mmio(const u8 *insn, unsigned int avail, unsigned int mode,
		   struct lv_mmio_insn *out);

#endif /* LV_DECODE_H */
