// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: lv_decode_mmio() (kmod/vmx/decode.c), the decoder of the mov-class
 * instructions that may touch MMIO.
 *
 * Every instruction is decoded from the very end of a page followed by an
 * unmapped guard page, with avail == its length: a decoder that reads one
 * byte too far faults, and the run reports the case as crashed.  Each valid
 * instruction is also decoded with every shorter avail (must be -EINVAL) and
 * with 15 bytes available and junk after it (same result).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "kmod/vmx/decode.h"
#include "lv_kunit.h"

#define M16 2
#define M32 4
#define M64 8

#define RD  false
#define WR  true

/* One instruction and what the decoder must make of it. */
struct dcase {
	const char *name;
	unsigned int mode;
	u8 len;			/* number of bytes == instruction length */
	u8 b[LV_INSN_MAX_LEN];
	u8 size;
	u8 dst_size;		/* 0: same as size */
	bool is_write;
	bool has_imm;
	bool high8;
	u8 extend;
	u8 reg;
	u64 imm;
};

#define DC(nm, md, ln, bytes, ...) \
	{ .name = nm, .mode = md, .len = ln, .b = bytes, __VA_ARGS__ }
#define BY(...) { __VA_ARGS__ }

/* MOV r/m,r and MOV r,r/m (88, 89, 8A, 8B): ModRM forms, 64-bit mode. */
static const struct dcase mov_rm_cases[] = {
	DC("89 08: mov [rax],ecx", M64, 2, BY(0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("8b 08: mov ecx,[rax]", M64, 2, BY(0x8b, 0x08), .size = 4, .is_write = RD, .reg = 1),
	DC("88 08: mov [rax],cl", M64, 2, BY(0x88, 0x08), .size = 1, .is_write = WR, .reg = 1),
	DC("8a 08: mov cl,[rax]", M64, 2, BY(0x8a, 0x08), .size = 1, .is_write = RD, .reg = 1),
	DC("89 18: mov [rax],ebx", M64, 2, BY(0x89, 0x18), .size = 4, .is_write = WR, .reg = 3),
	DC("89 20: mov [rax],esp (reg 4, not AH)", M64, 2, BY(0x89, 0x20), .size = 4, .is_write = WR, .reg = 4),
	DC("8b 38: mov edi,[rax]", M64, 2, BY(0x8b, 0x38), .size = 4, .is_write = RD, .reg = 7),
	DC("89 48 10: mov [rax+0x10],ecx (disp8)", M64, 3, BY(0x89, 0x48, 0x10), .size = 4, .is_write = WR, .reg = 1),
	DC("89 88 disp32: mov [rax+0x1000],ecx", M64, 6, BY(0x89, 0x88, 0x00, 0x10, 0x00, 0x00), .size = 4, .is_write = WR, .reg = 1),
	DC("89 45 00: mov [rbp+0],eax (mod 1, rm 5 is not RIP)", M64, 3, BY(0x89, 0x45, 0x00), .size = 4, .is_write = WR),
	DC("89 05 disp32: mov [rip+x],eax", M64, 6, BY(0x89, 0x05, 0x78, 0x56, 0x34, 0x12), .size = 4, .is_write = WR),
	DC("89 04 24: mov [rsp],eax (SIB)", M64, 3, BY(0x89, 0x04, 0x24), .size = 4, .is_write = WR),
	DC("89 44 24 08: mov [rsp+8],eax (SIB+disp8)", M64, 4, BY(0x89, 0x44, 0x24, 0x08), .size = 4, .is_write = WR),
	DC("89 84 24 disp32: mov [rsp+0x100],eax", M64, 7, BY(0x89, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00), .size = 4, .is_write = WR),
	DC("89 04 25 disp32: mov [0xd0000000],eax (SIB, no base)", M64, 7, BY(0x89, 0x04, 0x25, 0x00, 0x00, 0x00, 0xd0), .size = 4, .is_write = WR),
	DC("89 04 05 disp32: mov [rax*1+0x1000],eax (SIB, no base)", M64, 7, BY(0x89, 0x04, 0x05, 0x00, 0x10, 0x00, 0x00), .size = 4, .is_write = WR),
	DC("89 44 05 08: mov [rbp+rax+8],eax (SIB base 5, mod 1)", M64, 4, BY(0x89, 0x44, 0x05, 0x08), .size = 4, .is_write = WR),
	DC("8b 94 c8 disp32: mov edx,[rax+rcx*8+0x12345678]", M64, 7, BY(0x8b, 0x94, 0xc8, 0x78, 0x56, 0x34, 0x12), .size = 4, .is_write = RD, .reg = 2),
	/* 32-bit mode */
	DC("32: 89 08: mov [eax],ecx", M32, 2, BY(0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("32: 8a 08: mov cl,[eax]", M32, 2, BY(0x8a, 0x08), .size = 1, .is_write = RD, .reg = 1),
	DC("32: 89 05 disp32: mov [0xd0000000],eax (absolute)", M32, 6, BY(0x89, 0x05, 0x00, 0x00, 0x00, 0xd0), .size = 4, .is_write = WR),
	DC("32: 89 04 24: mov [esp],eax", M32, 3, BY(0x89, 0x04, 0x24), .size = 4, .is_write = WR),
	DC("32: 8b 44 24 04: mov eax,[esp+4]", M32, 4, BY(0x8b, 0x44, 0x24, 0x04), .size = 4, .is_write = RD),
	DC("32: 89 b0 disp32: mov [eax+0x1000],esi", M32, 6, BY(0x89, 0xb0, 0x00, 0x10, 0x00, 0x00), .size = 4, .is_write = WR, .reg = 6),
	/* 16-bit mode: 16-bit ModRM, no SIB */
	DC("16: 89 07: mov [bx],ax", M16, 2, BY(0x89, 0x07), .size = 2, .is_write = WR),
	DC("16: 8b 00: mov ax,[bx+si]", M16, 2, BY(0x8b, 0x00), .size = 2, .is_write = RD),
	DC("16: 89 06 disp16: mov [0xd000],ax (rm 6, mod 0: direct)", M16, 4, BY(0x89, 0x06, 0x00, 0xd0), .size = 2, .is_write = WR),
	DC("16: 89 46 00: mov [bp+0],ax (rm 6, mod 1)", M16, 3, BY(0x89, 0x46, 0x00), .size = 2, .is_write = WR),
	DC("16: 89 47 10: mov [bx+0x10],ax", M16, 3, BY(0x89, 0x47, 0x10), .size = 2, .is_write = WR),
	DC("16: 89 87 disp16: mov [bx+0x1000],ax", M16, 4, BY(0x89, 0x87, 0x00, 0x10), .size = 2, .is_write = WR),
	DC("16: 89 04: mov [si],ax (rm 4 is not SIB)", M16, 2, BY(0x89, 0x04), .size = 2, .is_write = WR),
	DC("16: 8b 0e disp16: mov cx,[0x1234]", M16, 4, BY(0x8b, 0x0e, 0x34, 0x12), .size = 2, .is_write = RD, .reg = 1),
	DC("16: 88 0f: mov [bx],cl", M16, 2, BY(0x88, 0x0f), .size = 1, .is_write = WR, .reg = 1),
};

/* Operand-size (66), address-size (67), REX.W and segment prefixes. */
static const struct dcase prefix_cases[] = {
	DC("66 89 08: mov [rax],cx", M64, 3, BY(0x66, 0x89, 0x08), .size = 2, .is_write = WR, .reg = 1),
	DC("66 8b 08: mov cx,[rax]", M64, 3, BY(0x66, 0x8b, 0x08), .size = 2, .is_write = RD, .reg = 1),
	DC("48 89 08: mov [rax],rcx", M64, 3, BY(0x48, 0x89, 0x08), .size = 8, .is_write = WR, .reg = 1),
	DC("48 8b 08: mov rcx,[rax]", M64, 3, BY(0x48, 0x8b, 0x08), .size = 8, .is_write = RD, .reg = 1),
	DC("66 48 89 08: REX.W wins over 66", M64, 4, BY(0x66, 0x48, 0x89, 0x08), .size = 8, .is_write = WR, .reg = 1),
	DC("48 88 08: REX.W does not widen an 8-bit mov", M64, 3, BY(0x48, 0x88, 0x08), .size = 1, .is_write = WR, .reg = 1),
	DC("66 88 08: 66 does not change an 8-bit mov", M64, 3, BY(0x66, 0x88, 0x08), .size = 1, .is_write = WR, .reg = 1),
	DC("67 89 08: mov [eax],ecx (32-bit address)", M64, 3, BY(0x67, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("67 48 8b 44 24 08: mov rax,[esp+8]", M64, 6, BY(0x67, 0x48, 0x8b, 0x44, 0x24, 0x08), .size = 8, .is_write = RD),
	DC("66 67 89 08", M64, 4, BY(0x66, 0x67, 0x89, 0x08), .size = 2, .is_write = WR, .reg = 1),
	DC("67 66 89 08", M64, 4, BY(0x67, 0x66, 0x89, 0x08), .size = 2, .is_write = WR, .reg = 1),
	DC("64 89 08: mov fs:[rax],ecx", M64, 3, BY(0x64, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("65 48 8b 04 25 28 00 00 00: mov rax,gs:[0x28]", M64, 9, BY(0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00), .size = 8, .is_write = RD),
	DC("26 89 08: es", M64, 3, BY(0x26, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("2e 89 08: cs", M64, 3, BY(0x2e, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("36 89 08: ss", M64, 3, BY(0x36, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("3e 89 08: ds", M64, 3, BY(0x3e, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	DC("64 66 67 48 89 08: all prefixes, REX last", M64, 6, BY(0x64, 0x66, 0x67, 0x48, 0x89, 0x08), .size = 8, .is_write = WR, .reg = 1),
	DC("66 65 89 08: 66 before a segment prefix", M64, 4, BY(0x66, 0x65, 0x89, 0x08), .size = 2, .is_write = WR, .reg = 1),
	DC("15 bytes: 13 x 3e, 89 08", M64, 15, BY(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	/* 32-bit mode */
	DC("32: 66 89 08: mov [eax],cx", M32, 3, BY(0x66, 0x89, 0x08), .size = 2, .is_write = WR, .reg = 1),
	DC("32: 67 89 07: mov [bx],eax (16-bit address)", M32, 3, BY(0x67, 0x89, 0x07), .size = 4, .is_write = WR),
	DC("32: 67 89 06 disp16: mov [0xd000],eax", M32, 5, BY(0x67, 0x89, 0x06, 0x00, 0xd0), .size = 4, .is_write = WR),
	DC("32: 67 89 47 10: mov [bx+0x10],eax", M32, 4, BY(0x67, 0x89, 0x47, 0x10), .size = 4, .is_write = WR),
	DC("32: 67 89 87 disp16: mov [bx+0x1000],eax", M32, 5, BY(0x67, 0x89, 0x87, 0x00, 0x10), .size = 4, .is_write = WR),
	DC("32: 67 89 04: mov [si],eax (no SIB with 16-bit address)", M32, 3, BY(0x67, 0x89, 0x04), .size = 4, .is_write = WR),
	DC("32: 66 67 8b 06 disp16: mov ax,[0xd000]", M32, 6, BY(0x66, 0x67, 0x8b, 0x06, 0x00, 0xd0), .size = 2, .is_write = RD),
	DC("32: 2e 3e 26 36 64 65 89 08", M32, 8, BY(0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x89, 0x08), .size = 4, .is_write = WR, .reg = 1),
	/* 16-bit mode */
	DC("16: 66 89 07: mov [bx],eax", M16, 3, BY(0x66, 0x89, 0x07), .size = 4, .is_write = WR),
	DC("16: 66 8b 0e disp16: mov ecx,[0x1234]", M16, 5, BY(0x66, 0x8b, 0x0e, 0x34, 0x12), .size = 4, .is_write = RD, .reg = 1),
	DC("16: 67 89 04 24: mov [esp],ax (32-bit address, SIB)", M16, 4, BY(0x67, 0x89, 0x04, 0x24), .size = 2, .is_write = WR),
	DC("16: 67 89 05 disp32: mov [0xd0000000],ax", M16, 7, BY(0x67, 0x89, 0x05, 0x00, 0x00, 0x00, 0xd0), .size = 2, .is_write = WR),
	DC("16: 67 66 89 80 disp32: mov [eax+0x1000],eax", M16, 8, BY(0x67, 0x66, 0x89, 0x80, 0x00, 0x10, 0x00, 0x00), .size = 4, .is_write = WR),
	DC("16: 26 89 07: mov es:[bx],ax", M16, 3, BY(0x26, 0x89, 0x07), .size = 2, .is_write = WR),
};

/* REX.R, REX.B, REX.X; 8-bit registers AH..BH vs SPL..DIL. */
static const struct dcase reg_cases[] = {
	DC("4c 89 00: mov [rax],r8", M64, 3, BY(0x4c, 0x89, 0x00), .size = 8, .is_write = WR, .reg = 8),
	DC("44 89 38: mov [rax],r15d", M64, 3, BY(0x44, 0x89, 0x38), .size = 4, .is_write = WR, .reg = 15),
	DC("66 44 8b 20: mov r12w,[rax]", M64, 4, BY(0x66, 0x44, 0x8b, 0x20), .size = 2, .is_write = RD, .reg = 12),
	DC("41 89 00: mov [r8],eax (REX.B: base, not reg)", M64, 3, BY(0x41, 0x89, 0x00), .size = 4, .is_write = WR, .reg = 0),
	DC("42 89 04 00: mov [rax+r8],eax (REX.X)", M64, 4, BY(0x42, 0x89, 0x04, 0x00), .size = 4, .is_write = WR, .reg = 0),
	DC("4f 89 3c 00: mov [r8+r8],r15 (REX.WRXB)", M64, 4, BY(0x4f, 0x89, 0x3c, 0x00), .size = 8, .is_write = WR, .reg = 15),
	DC("41 8b 45 00: mov eax,[r13+0] (REX.B, rm 5, mod 1)", M64, 4, BY(0x41, 0x8b, 0x45, 0x00), .size = 4, .is_write = RD, .reg = 0),
	DC("88 20: mov [rax],ah", M64, 2, BY(0x88, 0x20), .size = 1, .is_write = WR, .high8 = true, .reg = 0),
	DC("88 28: mov [rax],ch", M64, 2, BY(0x88, 0x28), .size = 1, .is_write = WR, .high8 = true, .reg = 1),
	DC("88 30: mov [rax],dh", M64, 2, BY(0x88, 0x30), .size = 1, .is_write = WR, .high8 = true, .reg = 2),
	DC("88 38: mov [rax],bh", M64, 2, BY(0x88, 0x38), .size = 1, .is_write = WR, .high8 = true, .reg = 3),
	DC("8a 20: mov ah,[rax]", M64, 2, BY(0x8a, 0x20), .size = 1, .is_write = RD, .high8 = true, .reg = 0),
	DC("8a 3c 24: mov bh,[rsp]", M64, 3, BY(0x8a, 0x3c, 0x24), .size = 1, .is_write = RD, .high8 = true, .reg = 3),
	DC("88 18: mov [rax],bl (reg 3: not high)", M64, 2, BY(0x88, 0x18), .size = 1, .is_write = WR, .reg = 3),
	DC("40 88 20: mov [rax],spl", M64, 3, BY(0x40, 0x88, 0x20), .size = 1, .is_write = WR, .reg = 4),
	DC("40 88 28: mov [rax],bpl", M64, 3, BY(0x40, 0x88, 0x28), .size = 1, .is_write = WR, .reg = 5),
	DC("40 8a 30: mov sil,[rax]", M64, 3, BY(0x40, 0x8a, 0x30), .size = 1, .is_write = RD, .reg = 6),
	DC("40 88 38: mov [rax],dil", M64, 3, BY(0x40, 0x88, 0x38), .size = 1, .is_write = WR, .reg = 7),
	DC("41 88 20: mov [r8],spl (any REX)", M64, 3, BY(0x41, 0x88, 0x20), .size = 1, .is_write = WR, .reg = 4),
	DC("44 88 20: mov [rax],r12b", M64, 3, BY(0x44, 0x88, 0x20), .size = 1, .is_write = WR, .reg = 12),
	DC("44 8a 38: mov r15b,[rax]", M64, 3, BY(0x44, 0x8a, 0x38), .size = 1, .is_write = RD, .reg = 15),
	DC("32: 88 20: mov [eax],ah", M32, 2, BY(0x88, 0x20), .size = 1, .is_write = WR, .high8 = true, .reg = 0),
	DC("32: 8a 3d disp32: mov bh,[0xd0000000]", M32, 6, BY(0x8a, 0x3d, 0x00, 0x00, 0x00, 0xd0), .size = 1, .is_write = RD, .high8 = true, .reg = 3),
	DC("16: 88 27: mov [bx],ah", M16, 2, BY(0x88, 0x27), .size = 1, .is_write = WR, .high8 = true, .reg = 0),
	DC("16: 8a 2f: mov ch,[bx]", M16, 2, BY(0x8a, 0x2f), .size = 1, .is_write = RD, .high8 = true, .reg = 1),
};

/* MOV r/m,imm (C6 /0, C7 /0). */
static const struct dcase imm_cases[] = {
	DC("c6 00 ab: mov byte [rax],0xab", M64, 3, BY(0xc6, 0x00, 0xab), .size = 1, .is_write = WR, .has_imm = true, .imm = 0xab),
	DC("c6 40 01 80: mov byte [rax+1],0x80", M64, 4, BY(0xc6, 0x40, 0x01, 0x80), .size = 1, .is_write = WR, .has_imm = true, .imm = 0x80),
	DC("41 c6 00 ff: mov byte [r8],0xff", M64, 4, BY(0x41, 0xc6, 0x00, 0xff), .size = 1, .is_write = WR, .has_imm = true, .imm = 0xff),
	DC("c7 00 imm32: mov dword [rax],0x12345678", M64, 6, BY(0xc7, 0x00, 0x78, 0x56, 0x34, 0x12), .size = 4, .is_write = WR, .has_imm = true, .imm = 0x12345678),
	DC("c7 00 imm32: mov dword [rax],0x80000000", M64, 6, BY(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), .size = 4, .is_write = WR, .has_imm = true, .imm = 0x80000000),
	DC("66 c7 00 imm16: mov word [rax],0x1234", M64, 5, BY(0x66, 0xc7, 0x00, 0x34, 0x12), .size = 2, .is_write = WR, .has_imm = true, .imm = 0x1234),
	DC("66 c7 00 imm16: mov word [rax],0x8000", M64, 5, BY(0x66, 0xc7, 0x00, 0x00, 0x80), .size = 2, .is_write = WR, .has_imm = true, .imm = 0x8000),
	DC("48 c7 00 imm32: mov qword [rax],-1", M64, 7, BY(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), .size = 8, .is_write = WR, .has_imm = true, .imm = 0xffffffffffffffffULL),
	DC("48 c7 00 imm32: mov qword [rax],0x80000000 (sign-extended)", M64, 7, BY(0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), .size = 8, .is_write = WR, .has_imm = true, .imm = 0xffffffff80000000ULL),
	DC("48 c7 00 imm32: mov qword [rax],0x7fffffff", M64, 7, BY(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f), .size = 8, .is_write = WR, .has_imm = true, .imm = 0x7fffffff),
	DC("c7 80 disp32 imm32: imm after the displacement", M64, 10, BY(0xc7, 0x80, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00), .size = 4, .is_write = WR, .has_imm = true, .imm = 1),
	DC("c7 44 24 08 imm32: mov dword [rsp+8],5", M64, 8, BY(0xc7, 0x44, 0x24, 0x08, 0x05, 0x00, 0x00, 0x00), .size = 4, .is_write = WR, .has_imm = true, .imm = 5),
	DC("c7 05 disp32 imm32: mov dword [rip-16],1", M64, 10, BY(0xc7, 0x05, 0xf0, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00), .size = 4, .is_write = WR, .has_imm = true, .imm = 1),
	DC("48 c7 04 25 disp32 imm32: 12 bytes", M64, 12, BY(0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0xd0, 0xfe, 0xff, 0xff, 0xff), .size = 8, .is_write = WR, .has_imm = true, .imm = 0xfffffffffffffffeULL),
	DC("67 c6 00 7f: mov byte [eax],0x7f", M64, 4, BY(0x67, 0xc6, 0x00, 0x7f), .size = 1, .is_write = WR, .has_imm = true, .imm = 0x7f),
	DC("32: c7 05 disp32 imm32", M32, 10, BY(0xc7, 0x05, 0x00, 0x00, 0x00, 0xd0, 0x78, 0x56, 0x34, 0x12), .size = 4, .is_write = WR, .has_imm = true, .imm = 0x12345678),
	DC("32: 66 c7 05 disp32 imm16", M32, 9, BY(0x66, 0xc7, 0x05, 0x00, 0x00, 0x00, 0xd0, 0x34, 0x12), .size = 2, .is_write = WR, .has_imm = true, .imm = 0x1234),
	DC("16: c7 06 disp16 imm16: mov word [0xd000],0x1234", M16, 6, BY(0xc7, 0x06, 0x00, 0xd0, 0x34, 0x12), .size = 2, .is_write = WR, .has_imm = true, .imm = 0x1234),
	DC("16: 66 c7 06 disp16 imm32", M16, 9, BY(0x66, 0xc7, 0x06, 0x00, 0xd0, 0x78, 0x56, 0x34, 0x12), .size = 4, .is_write = WR, .has_imm = true, .imm = 0x12345678),
	DC("16: c6 07 5a: mov byte [bx],0x5a", M16, 3, BY(0xc6, 0x07, 0x5a), .size = 1, .is_write = WR, .has_imm = true, .imm = 0x5a),
};

/* MOV with a memory offset (A0-A3): the offset is address-size wide. */
static const struct dcase moffs_cases[] = {
	DC("a1 moffs64: mov eax,[0xd0000000]", M64, 9, BY(0xa1, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 4, .is_write = RD, .reg = 0),
	DC("48 a1 moffs64: mov rax,[...]", M64, 10, BY(0x48, 0xa1, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 8, .is_write = RD, .reg = 0),
	DC("a0 moffs64: mov al,[...]", M64, 9, BY(0xa0, 0x08, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 1, .is_write = RD, .reg = 0),
	DC("a2 moffs64: mov [...],al", M64, 9, BY(0xa2, 0x08, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 1, .is_write = WR, .reg = 0),
	DC("48 a3 moffs64: mov [...],rax", M64, 10, BY(0x48, 0xa3, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 8, .is_write = WR, .reg = 0),
	DC("66 a3 moffs64: mov [...],ax", M64, 10, BY(0x66, 0xa3, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 2, .is_write = WR, .reg = 0),
	DC("67 a1 moffs32: mov eax,[0xd0000000] (64-bit mode, 67)", M64, 6, BY(0x67, 0xa1, 0x00, 0x00, 0x00, 0xd0), .size = 4, .is_write = RD, .reg = 0),
	DC("67 48 a3 moffs32", M64, 7, BY(0x67, 0x48, 0xa3, 0x00, 0x00, 0x00, 0xd0), .size = 8, .is_write = WR, .reg = 0),
	DC("64 a1 moffs64: mov eax,fs:[...]", M64, 10, BY(0x64, 0xa1, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 4, .is_write = RD, .reg = 0),
	DC("41 a1 moffs64: REX.B does not pick a register", M64, 10, BY(0x41, 0xa1, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 4, .is_write = RD, .reg = 0),
	DC("40 a0 moffs64: mov al (not a high-8 register)", M64, 10, BY(0x40, 0xa0, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00), .size = 1, .is_write = RD, .reg = 0),
	DC("32: a1 moffs32", M32, 5, BY(0xa1, 0x00, 0x00, 0x00, 0xd0), .size = 4, .is_write = RD, .reg = 0),
	DC("32: 66 a1 moffs32", M32, 6, BY(0x66, 0xa1, 0x00, 0x00, 0x00, 0xd0), .size = 2, .is_write = RD, .reg = 0),
	DC("32: a2 moffs32", M32, 5, BY(0xa2, 0x00, 0x00, 0x00, 0xd0), .size = 1, .is_write = WR, .reg = 0),
	DC("32: 67 a1 moffs16", M32, 4, BY(0x67, 0xa1, 0x00, 0xd0), .size = 4, .is_write = RD, .reg = 0),
	DC("16: a1 moffs16", M16, 3, BY(0xa1, 0x00, 0xd0), .size = 2, .is_write = RD, .reg = 0),
	DC("16: 66 a3 moffs16", M16, 4, BY(0x66, 0xa3, 0x00, 0xd0), .size = 4, .is_write = WR, .reg = 0),
	DC("16: a2 moffs16", M16, 3, BY(0xa2, 0x00, 0xd0), .size = 1, .is_write = WR, .reg = 0),
	DC("16: 67 a1 moffs32", M16, 6, BY(0x67, 0xa1, 0x00, 0x00, 0x00, 0xd0), .size = 2, .is_write = RD, .reg = 0),
};

/* MOVZX (0F B6, 0F B7) and MOVSX (0F BE, 0F BF). */
static const struct dcase movx_cases[] = {
	DC("0f b6 08: movzx ecx,byte [rax]", M64, 3, BY(0x0f, 0xb6, 0x08), .size = 1, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 1),
	DC("0f b7 08: movzx ecx,word [rax]", M64, 3, BY(0x0f, 0xb7, 0x08), .size = 2, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 1),
	DC("48 0f b6 08: movzx rcx,byte [rax]", M64, 4, BY(0x48, 0x0f, 0xb6, 0x08), .size = 1, .dst_size = 8, .extend = LV_EXT_ZERO, .reg = 1),
	DC("48 0f b7 08: movzx rcx,word [rax]", M64, 4, BY(0x48, 0x0f, 0xb7, 0x08), .size = 2, .dst_size = 8, .extend = LV_EXT_ZERO, .reg = 1),
	DC("66 0f b6 08: movzx cx,byte [rax]", M64, 4, BY(0x66, 0x0f, 0xb6, 0x08), .size = 1, .dst_size = 2, .extend = LV_EXT_ZERO, .reg = 1),
	DC("0f be 08: movsx ecx,byte [rax]", M64, 3, BY(0x0f, 0xbe, 0x08), .size = 1, .dst_size = 4, .extend = LV_EXT_SIGN, .reg = 1),
	DC("0f bf 08: movsx ecx,word [rax]", M64, 3, BY(0x0f, 0xbf, 0x08), .size = 2, .dst_size = 4, .extend = LV_EXT_SIGN, .reg = 1),
	DC("48 0f bf 08: movsx rcx,word [rax]", M64, 4, BY(0x48, 0x0f, 0xbf, 0x08), .size = 2, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 1),
	DC("4c 0f be 00: movsx r8,byte [rax]", M64, 4, BY(0x4c, 0x0f, 0xbe, 0x00), .size = 1, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 8),
	DC("66 0f be 08: movsx cx,byte [rax]", M64, 4, BY(0x66, 0x0f, 0xbe, 0x08), .size = 1, .dst_size = 2, .extend = LV_EXT_SIGN, .reg = 1),
	DC("0f b6 20: movzx esp,byte [rax] (reg 4 is not AH)", M64, 3, BY(0x0f, 0xb6, 0x20), .size = 1, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 4),
	DC("0f b6 44 24 08: movzx eax,byte [rsp+8]", M64, 5, BY(0x0f, 0xb6, 0x44, 0x24, 0x08), .size = 1, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 0),
	DC("44 0f b7 3d disp32: movzx r15d,word [rip+x]", M64, 8, BY(0x44, 0x0f, 0xb7, 0x3d, 0x00, 0x10, 0x00, 0x00), .size = 2, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 15),
	DC("32: 0f b7 05 disp32: movzx eax,word [abs]", M32, 7, BY(0x0f, 0xb7, 0x05, 0x00, 0x00, 0x00, 0xd0), .size = 2, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 0),
	DC("32: 66 0f be 05 disp32: movsx ax,byte [abs]", M32, 8, BY(0x66, 0x0f, 0xbe, 0x05, 0x00, 0x00, 0x00, 0xd0), .size = 1, .dst_size = 2, .extend = LV_EXT_SIGN, .reg = 0),
	DC("32: 0f be 3c 24: movsx edi,byte [esp]", M32, 4, BY(0x0f, 0xbe, 0x3c, 0x24), .size = 1, .dst_size = 4, .extend = LV_EXT_SIGN, .reg = 7),
	DC("16: 0f b6 07: movzx ax,byte [bx]", M16, 3, BY(0x0f, 0xb6, 0x07), .size = 1, .dst_size = 2, .extend = LV_EXT_ZERO, .reg = 0),
	DC("16: 66 0f b7 07: movzx eax,word [bx]", M16, 4, BY(0x66, 0x0f, 0xb7, 0x07), .size = 2, .dst_size = 4, .extend = LV_EXT_ZERO, .reg = 0),
	DC("16: 0f bf 0e disp16: movsx cx,word [0x1234]", M16, 5, BY(0x0f, 0xbf, 0x0e, 0x34, 0x12), .size = 2, .dst_size = 2, .extend = LV_EXT_SIGN, .reg = 1),
	DC("16: 66 0f be 47 10: movsx eax,byte [bx+0x10]", M16, 5, BY(0x66, 0x0f, 0xbe, 0x47, 0x10), .size = 1, .dst_size = 4, .extend = LV_EXT_SIGN, .reg = 0),
};

/*
 * MOVSXD (63 /r, 64-bit mode only): with REX.W it reads 4 bytes and
 * sign-extends them to 8; without, it is a plain 32-bit (or, with 66,
 * 16-bit) load.
 */
static const struct dcase movsxd_cases[] = {
	DC("48 63 08: movsxd rcx,dword [rax]", M64, 3, BY(0x48, 0x63, 0x08), .size = 4, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 1),
	DC("4c 63 04 25 disp32: movsxd r8,dword [abs]", M64, 8, BY(0x4c, 0x63, 0x04, 0x25, 0x00, 0x00, 0x00, 0xd0), .size = 4, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 8),
	DC("66 48 63 08: REX.W wins over 66", M64, 4, BY(0x66, 0x48, 0x63, 0x08), .size = 4, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 1),
	DC("67 48 63 44 24 08: movsxd rax,dword [esp+8]", M64, 6, BY(0x67, 0x48, 0x63, 0x44, 0x24, 0x08), .size = 4, .dst_size = 8, .extend = LV_EXT_SIGN, .reg = 0),
	DC("63 08: movsxd ecx,dword [rax] (no REX.W: plain load)", M64, 2, BY(0x63, 0x08), .size = 4, .reg = 1),
	DC("66 63 08: movsxd cx,word [rax]", M64, 3, BY(0x66, 0x63, 0x08), .size = 2, .reg = 1),
	DC("40 63 20: movsxd esp,dword [rax] (REX, no W)", M64, 3, BY(0x40, 0x63, 0x20), .size = 4, .reg = 4),
};

/* Not movs with a memory operand: all -EINVAL. */
struct rcase {
	const char *name;
	unsigned int mode;
	u8 len;
	u8 b[LV_INSN_MAX_LEN + 2];
};

#define XC(nm, md, ln, bytes) { .name = nm, .mode = md, .len = ln, .b = bytes }

static const struct rcase reject_cases[] = {
	XC("01 08: add [rax],ecx", M64, 2, BY(0x01, 0x08)),
	XC("03 08: add ecx,[rax]", M64, 2, BY(0x03, 0x08)),
	XC("87 08: xchg [rax],ecx", M64, 2, BY(0x87, 0x08)),
	XC("86 08: xchg [rax],cl", M64, 2, BY(0x86, 0x08)),
	XC("8d 04 25 disp32: lea (no memory access)", M64, 7, BY(0x8d, 0x04, 0x25, 0x00, 0x00, 0x00, 0xd0)),
	XC("8c 18: mov [rax],ds", M64, 2, BY(0x8c, 0x18)),
	XC("8e 18: mov ds,[rax]", M64, 2, BY(0x8e, 0x18)),
	XC("48 63 c1: movsxd rax,ecx (register operand)", M64, 3, BY(0x48, 0x63, 0xc1)),
	XC("32: 63 08: arpl [eax],cx", M32, 2, BY(0x63, 0x08)),
	XC("16: 63 07: arpl [bx],ax", M16, 2, BY(0x63, 0x07)),
	XC("a4: movsb", M64, 1, BY(0xa4)),
	XC("a5: movsd", M64, 1, BY(0xa5)),
	XC("f3 a4: rep movsb", M64, 2, BY(0xf3, 0xa4)),
	XC("ab: stosd", M64, 1, BY(0xab)),
	XC("ac: lodsb", M64, 1, BY(0xac)),
	XC("f0 89 08: lock mov", M64, 3, BY(0xf0, 0x89, 0x08)),
	XC("ff 00: inc dword [rax]", M64, 2, BY(0xff, 0x00)),
	XC("f7 00 imm32: test dword [rax],imm", M64, 6, BY(0xf7, 0x00, 0x01, 0x00, 0x00, 0x00)),
	XC("0f 10 00: movups", M64, 3, BY(0x0f, 0x10, 0x00)),
	XC("0f 11 00: movups store", M64, 3, BY(0x0f, 0x11, 0x00)),
	XC("0f 6f 00: movq mm", M64, 3, BY(0x0f, 0x6f, 0x00)),
	XC("0f b8 00", M64, 3, BY(0x0f, 0xb8, 0x00)),
	XC("0f bc 00: bsf", M64, 3, BY(0x0f, 0xbc, 0x00)),
	XC("0f c3 00: movnti", M64, 3, BY(0x0f, 0xc3, 0x00)),
	XC("c5 f8 10 00: vmovups (VEX)", M64, 4, BY(0xc5, 0xf8, 0x10, 0x00)),
	XC("89 c8: mov eax,ecx (register operand)", M64, 2, BY(0x89, 0xc8)),
	XC("8b c1: mov eax,ecx (register operand)", M64, 2, BY(0x8b, 0xc1)),
	XC("88 e0: mov al,ah (register operand)", M64, 2, BY(0x88, 0xe0)),
	XC("0f b6 c1: movzx eax,cl (register operand)", M64, 3, BY(0x0f, 0xb6, 0xc1)),
	XC("c7 c0 imm32: mov eax,imm (register operand)", M64, 6, BY(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00)),
	XC("c6 08 01: c6 /1", M64, 3, BY(0xc6, 0x08, 0x01)),
	XC("c7 38 imm32: c7 /7", M64, 6, BY(0xc7, 0x38, 0x01, 0x00, 0x00, 0x00)),
	XC("c6 f8 00: xabort", M64, 3, BY(0xc6, 0xf8, 0x00)),
	XC("b8 imm32: mov eax,imm (no memory operand)", M64, 5, BY(0xb8, 0x01, 0x00, 0x00, 0x00)),
	XC("90: nop", M64, 1, BY(0x90)),
	XC("f4: hlt", M64, 1, BY(0xf4)),
	XC("0f 0b: ud2", M64, 2, BY(0x0f, 0x0b)),
	XC("32: 40 89 08: 40 is INC EAX outside 64-bit mode", M32, 3, BY(0x40, 0x89, 0x08)),
	XC("32: 48 89 08: 48 is DEC EAX outside 64-bit mode", M32, 3, BY(0x48, 0x89, 0x08)),
	XC("16: 48 89 07: DEC AX", M16, 3, BY(0x48, 0x89, 0x07)),
	XC("32: 8d 05 disp32: lea", M32, 6, BY(0x8d, 0x05, 0x00, 0x00, 0x00, 0xd0)),
	XC("16: 8e 1e disp16: mov ds,[0x1234]", M16, 4, BY(0x8e, 0x1e, 0x34, 0x12)),
	XC("16 bytes: 14 x 3e, 89 08", M64, 16, BY(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x89, 0x08)),
	XC("16 bytes: 15 x 66, 89 (prefixes only within 15)", M64, 16, BY(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89)),
	XC("17 bytes: 5 x 66, 48 c7 04 25 disp32 imm32", M64, 17, BY(0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0xd0, 0x01, 0x00, 0x00, 0x00)),
};

struct decode_ctx {
	struct lv_kunit_tail tail;
};

static int decode_init(struct kunit *test)
{
	struct decode_ctx *ctx;

	lv_kunit_case_init(test);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	test->priv = ctx;
	return lv_kunit_tail_init(test, &ctx->tail);
}

static void decode_exit(struct kunit *test)
{
	struct decode_ctx *ctx = test->priv;

	if (ctx)
		lv_kunit_tail_exit(&ctx->tail);
}

/* Decode @len bytes placed right before the guard page, avail == @len. */
static int decode_at_tail(struct kunit *test, const u8 *b, unsigned int len,
			  unsigned int mode, struct lv_mmio_insn *out)
{
	struct decode_ctx *ctx = test->priv;

	return lv_decode_mmio(lv_kunit_tail_copy(&ctx->tail, b, len), len, mode, out);
}

static void check_decoded(struct kunit *test, const struct dcase *c,
			  const struct lv_mmio_insn *o, const char *how)
{
	u8 dst = c->dst_size ? c->dst_size : c->size;

	KUNIT_EXPECT_EQ_MSG(test, o->len, c->len, "%s (%s): len", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->size, c->size, "%s (%s): size", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->dst_size, dst, "%s (%s): dst_size", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->is_write, c->is_write, "%s (%s): is_write", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->has_imm, c->has_imm, "%s (%s): has_imm", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->high8, c->high8, "%s (%s): high8", c->name, how);
	KUNIT_EXPECT_EQ_MSG(test, o->extend, c->extend, "%s (%s): extend", c->name, how);
	if (c->has_imm)
		KUNIT_EXPECT_EQ_MSG(test, o->imm, c->imm, "%s (%s): imm", c->name, how);
	else
		KUNIT_EXPECT_EQ_MSG(test, o->reg, c->reg, "%s (%s): reg", c->name, how);
}

/*
 * Each instruction: exact avail at the guard page, then 15 bytes available
 * with junk after it, then every truncation.
 */
static void run_dcases(struct kunit *test, const struct dcase *cases,
		       size_t n)
{
	/* bytes that would lengthen the instruction if they were read */
	static const u8 junk[LV_INSN_MAX_LEN + 8] = {
		0x66, 0x67, 0x48, 0x0f, 0xb6, 0x04, 0x25, 0xff,
		0x66, 0x67, 0x48, 0x0f, 0xb6, 0x04, 0x25, 0xff,
		0x66, 0x67, 0x48, 0x0f, 0xb6, 0x04, 0x25 };
	struct lv_mmio_insn o;
	u8 buf[LV_INSN_MAX_LEN + 8];
	size_t i;
	unsigned int k;
	int ret;

	for (i = 0; i < n; i++) {
		const struct dcase *c = &cases[i];

		/* a malformed table entry must not pass silently */
		KUNIT_ASSERT_TRUE_MSG(test, c->len >= 1 && c->len <= LV_INSN_MAX_LEN,
				      "%s: bad table entry", c->name);

		memset(&o, 0xa5, sizeof(o));
		ret = decode_at_tail(test, c->b, c->len, c->mode, &o);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: decode (exact avail)", c->name);
		if (!ret)
			check_decoded(test, c, &o, "exact avail");

		memcpy(buf, c->b, c->len);
		BUILD_BUG_ON(sizeof(junk) != sizeof(buf));
		memcpy(buf + c->len, junk, sizeof(buf) - c->len);
		memset(&o, 0x5a, sizeof(o));
		ret = lv_decode_mmio(buf, LV_INSN_MAX_LEN, c->mode, &o);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: decode (15 bytes, junk after)", c->name);
		if (!ret)
			check_decoded(test, c, &o, "junk after");

		for (k = 0; k < c->len; k++) {
			ret = decode_at_tail(test, c->b, k, c->mode, &o);
			KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
					    "%s: truncated to %u of %u bytes",
					    c->name, k, c->len);
			/* the full bytes are there, but only k are available */
			memcpy(buf, c->b, c->len);
			ret = lv_decode_mmio(buf, k, c->mode, &o);
			KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
					    "%s: avail %u of %u, bytes beyond present",
					    c->name, k, c->len);
		}
	}
}

static void decode_mov_rm(struct kunit *test)
{
	run_dcases(test, mov_rm_cases, ARRAY_SIZE(mov_rm_cases));
}

static void decode_prefixes(struct kunit *test)
{
	run_dcases(test, prefix_cases, ARRAY_SIZE(prefix_cases));
}

static void decode_registers(struct kunit *test)
{
	run_dcases(test, reg_cases, ARRAY_SIZE(reg_cases));
}

static void decode_mov_imm(struct kunit *test)
{
	run_dcases(test, imm_cases, ARRAY_SIZE(imm_cases));
}

static void decode_moffs(struct kunit *test)
{
	run_dcases(test, moffs_cases, ARRAY_SIZE(moffs_cases));
}

static void decode_movzx_movsx(struct kunit *test)
{
	run_dcases(test, movx_cases, ARRAY_SIZE(movx_cases));
}

/*
 * MOVSXD is not in the list the decoder must handle: it may refuse every
 * form (-EINVAL), but if it decodes one it must decode all of them right.
 */
static void decode_movsxd(struct kunit *test)
{
	struct lv_mmio_insn o;
	size_t i;

	if (lv_decode_mmio(movsxd_cases[0].b, movsxd_cases[0].len, M64, &o) == -EINVAL) {
		for (i = 0; i < ARRAY_SIZE(movsxd_cases); i++)
			KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, movsxd_cases[i].b,
								 movsxd_cases[i].len, M64, &o),
					    -EINVAL, "%s: decoded though 48 63 08 is refused",
					    movsxd_cases[i].name);
		return;
	}
	run_dcases(test, movsxd_cases, ARRAY_SIZE(movsxd_cases));
}

/*
 * Every operand-size combination of MOV r/m,r in every mode: 89 with and
 * without 66, with REX.W (64-bit mode only), and 88 which none of them
 * widens.
 */
static void decode_operand_size_matrix(struct kunit *test)
{
	static const struct {
		unsigned int mode;
		bool p66, rexw;
		u8 size89;
	} m[] = {
		{ M16, false, false, 2 }, { M16, true, false, 4 },
		{ M32, false, false, 4 }, { M32, true, false, 2 },
		{ M64, false, false, 4 }, { M64, true, false, 2 },
		{ M64, false, true, 8 },  { M64, true, true, 8 },
	};
	struct lv_mmio_insn o;
	unsigned int i, op;
	u8 b[4];

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		for (op = 0x88; op <= 0x8b; op++) {
			unsigned int n = 0;
			u8 want = (op & 1) ? m[i].size89 : 1;

			if (m[i].p66)
				b[n++] = 0x66;
			if (m[i].rexw)
				b[n++] = 0x48;
			b[n++] = op;
			b[n++] = m[i].mode == M16 ? 0x07 : 0x08;
			memset(&o, 0, sizeof(o));
			KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, b, n, m[i].mode, &o), 0,
					    "mode %u 66:%d REX.W:%d op %02x",
					    m[i].mode, m[i].p66, m[i].rexw, op);
			KUNIT_EXPECT_EQ_MSG(test, o.size, want,
					    "mode %u 66:%d REX.W:%d op %02x: size",
					    m[i].mode, m[i].p66, m[i].rexw, op);
			KUNIT_EXPECT_EQ_MSG(test, o.len, n,
					    "mode %u 66:%d REX.W:%d op %02x: len",
					    m[i].mode, m[i].p66, m[i].rexw, op);
			KUNIT_EXPECT_EQ_MSG(test, o.is_write, !(op & 2),
					    "mode %u op %02x: direction", m[i].mode, op);
		}
	}
}

/* Every REX value in front of 89 /r and 88 /r. */
static void decode_rex_matrix(struct kunit *test)
{
	struct lv_mmio_insn o;
	unsigned int rex, reg;
	u8 b[3];

	for (rex = 0x40; rex <= 0x4f; rex++) {
		for (reg = 0; reg < 8; reg++) {
			u8 want_reg = reg | ((rex & 4) ? 8 : 0);

			b[0] = rex;
			b[1] = 0x89;
			b[2] = reg << 3;	/* mod 0, rm 0: [rax] or [r8] */
			memset(&o, 0, sizeof(o));
			KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, b, 3, M64, &o), 0,
					    "%02x 89 %02x", rex, b[2]);
			KUNIT_EXPECT_EQ_MSG(test, o.size, (rex & 8) ? 8 : 4,
					    "%02x 89 %02x: size", rex, b[2]);
			KUNIT_EXPECT_EQ_MSG(test, o.reg, want_reg,
					    "%02x 89 %02x: reg", rex, b[2]);
			KUNIT_EXPECT_FALSE_MSG(test, o.high8, "%02x 89 %02x", rex, b[2]);

			b[1] = 0x88;
			memset(&o, 0, sizeof(o));
			KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, b, 3, M64, &o), 0,
					    "%02x 88 %02x", rex, b[2]);
			KUNIT_EXPECT_EQ_MSG(test, o.size, 1, "%02x 88 %02x: size", rex, b[2]);
			/* with any REX, 4-7 are SPL, BPL, SIL, DIL */
			KUNIT_EXPECT_EQ_MSG(test, o.reg, want_reg,
					    "%02x 88 %02x: reg", rex, b[2]);
			KUNIT_EXPECT_FALSE_MSG(test, o.high8, "%02x 88 %02x", rex, b[2]);
		}
	}
}

/*
 * A REX prefix only counts immediately before the opcode; one followed by
 * another prefix is ignored by the CPU.  The decoder may refuse such an
 * instruction, but must never apply the stale REX.
 */
static void decode_rex_not_before_opcode(struct kunit *test)
{
	static const u8 rex_66[] = { 0x48, 0x66, 0x89, 0x08 };	/* mov [rax],cx */
	static const u8 rex_seg[] = { 0x4c, 0x64, 0x89, 0x08 };	/* mov fs:[rax],ecx */
	static const u8 rex_rex[] = { 0x4c, 0x40, 0x89, 0x08 };	/* mov [rax],ecx */
	struct lv_mmio_insn o;
	int ret;

	ret = decode_at_tail(test, rex_66, sizeof(rex_66), M64, &o);
	KUNIT_EXPECT_TRUE_MSG(test, ret == -EINVAL || ret == 0, "48 66 89 08: ret %d", ret);
	if (!ret) {
		KUNIT_EXPECT_EQ_MSG(test, o.size, 2, "48 66 89 08: REX.W applied");
		KUNIT_EXPECT_EQ(test, o.len, 4);
		KUNIT_EXPECT_EQ(test, o.reg, 1);
	}
	ret = decode_at_tail(test, rex_seg, sizeof(rex_seg), M64, &o);
	KUNIT_EXPECT_TRUE_MSG(test, ret == -EINVAL || ret == 0, "4c 64 89 08: ret %d", ret);
	if (!ret) {
		KUNIT_EXPECT_EQ_MSG(test, o.size, 4, "4c 64 89 08: REX.W applied");
		KUNIT_EXPECT_EQ_MSG(test, o.reg, 1, "4c 64 89 08: REX.R applied");
		KUNIT_EXPECT_EQ(test, o.len, 4);
	}
	ret = decode_at_tail(test, rex_rex, sizeof(rex_rex), M64, &o);
	KUNIT_EXPECT_TRUE_MSG(test, ret == -EINVAL || ret == 0, "4c 40 89 08: ret %d", ret);
	if (!ret) {
		KUNIT_EXPECT_EQ_MSG(test, o.size, 4, "4c 40 89 08: first REX.W applied");
		KUNIT_EXPECT_EQ_MSG(test, o.reg, 1, "4c 40 89 08: first REX.R applied");
		KUNIT_EXPECT_EQ(test, o.len, 4);
	}
}

static void decode_rejects_non_mov(struct kunit *test)
{
	struct lv_mmio_insn o;
	size_t i;
	unsigned int avail;

	for (i = 0; i < ARRAY_SIZE(reject_cases); i++) {
		const struct rcase *c = &reject_cases[i];

		KUNIT_ASSERT_TRUE_MSG(test, c->len >= 1 && c->len <= sizeof(c->b),
				      "%s: bad table entry", c->name);
		/* with exactly its bytes, and with as many as a decoder may want */
		KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, c->b, c->len, c->mode, &o),
				    -EINVAL, "%s (exact avail)", c->name);
		avail = max_t(unsigned int, c->len, LV_INSN_MAX_LEN);
		KUNIT_EXPECT_EQ_MSG(test, lv_decode_mmio(c->b, min_t(unsigned int, avail, sizeof(c->b)),
							 c->mode, &o),
				    -EINVAL, "%s (%u bytes)", c->name, avail);
	}
}

/* No byte at all, and only prefixes up to the end of what is available. */
static void decode_rejects_truncated(struct kunit *test)
{
	static const u8 prefixes[] = { 0x66, 0x67, 0x64, 0x48 };
	static const u8 escape[] = { 0x0f };
	static const u8 escape_movzx[] = { 0x0f, 0xb6 };
	static const u8 rex_only[] = { 0x4c };
	struct lv_mmio_insn o;
	unsigned int mode;

	for (mode = 2; mode <= 8; mode *= 2) {
		KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, escape, 0, mode, &o), -EINVAL,
				    "mode %u: nothing available", mode);
		KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, escape, 1, mode, &o), -EINVAL,
				    "mode %u: 0f alone", mode);
		KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, escape_movzx, 2, mode, &o),
				    -EINVAL, "mode %u: 0f b6 without ModRM", mode);
	}
	KUNIT_EXPECT_EQ(test, decode_at_tail(test, prefixes, sizeof(prefixes), M64, &o), -EINVAL);
	KUNIT_EXPECT_EQ(test, decode_at_tail(test, rex_only, sizeof(rex_only), M64, &o), -EINVAL);
}

/* Only 2, 4 and 8 are code sizes. */
static void decode_rejects_bad_mode(struct kunit *test)
{
	static const u8 mov[] = { 0x89, 0x08 };
	static const unsigned int bad[] = { 0, 1, 3, 5, 6, 7, 9, 16, 32, 64, ~0U };
	struct lv_mmio_insn o;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, decode_at_tail(test, mov, sizeof(mov), bad[i], &o),
				    -EINVAL, "mode %u", bad[i]);
}

static struct kunit_case lv_decode_cases[] = {
	KUNIT_CASE(decode_mov_rm),
	KUNIT_CASE(decode_prefixes),
	KUNIT_CASE(decode_registers),
	KUNIT_CASE(decode_mov_imm),
	KUNIT_CASE(decode_moffs),
	KUNIT_CASE(decode_movzx_movsx),
	KUNIT_CASE(decode_movsxd),
	KUNIT_CASE(decode_operand_size_matrix),
	KUNIT_CASE(decode_rex_matrix),
	KUNIT_CASE(decode_rex_not_before_opcode),
	KUNIT_CASE(decode_rejects_non_mov),
	KUNIT_CASE(decode_rejects_truncated),
	KUNIT_CASE(decode_rejects_bad_mode),
	{}
};

static struct kunit_suite lv_decode_suite = {
	.name = "lv_decode",
	.init = decode_init,
	.exit = decode_exit,
	.test_cases = lv_decode_cases,
};

kunit_test_suites(&lv_decode_suite);
