// SPDX-License-Identifier: GPL-2.0
/*
 * prot32.bin: lvctl run --mode prot32 (flat, loaded and entered at 1 MiB).
 *
 * Checks the documented entry state (CR0.PE = 1, PG = 0, CS = 0x08, data
 * segments 0x10, EAX = 0, EFER.LMA = 0), that lvctl's GDT describes flat
 * 4 GiB 32-bit segments, and that 32-bit operations behave as 32-bit.
 */
#include "rt.h"
#include "desc.h"

const char guest_name[] = "prot32";

/* saved by entry-prot32.S before anything else runs */
extern struct {
	u32 eax;
	u16 cs, ds, ss, es;
	u32 cr0;
	u16 gdt_limit;
	u32 gdt_base;
	u16 pad;
	u32 esp;
} __attribute__((packed)) entry_state;

static void check_gdt(void)
{
	const u64 *gdt = (const u64 *)entry_state.gdt_base;
	struct seg_desc cs, ds;

	if (entry_state.gdt_limit < 0x17) {
		fail("lvctl's GDT limit 0x%x does not cover selector 0x10",
		     entry_state.gdt_limit);
		return;
	}
	cs = desc_decode(gdt[1]);
	ds = desc_decode(gdt[2]);
	CHECK(cs.p && cs.s && (cs.type & 0x8) && cs.db && !cs.l &&
	      cs.base == 0 && cs.limit == 0xffffffff,
	      "GDT 0x08 (%08x%08x) is not a flat 32-bit code segment",
	      (u32)(gdt[1] >> 32), (u32)gdt[1]);
	CHECK(ds.p && ds.s && !(ds.type & 0x8) && (ds.type & 0x2) &&
	      ds.base == 0 && ds.limit == 0xffffffff,
	      "GDT 0x10 (%08x%08x) is not a flat writable data segment",
	      (u32)(gdt[2] >> 32), (u32)gdt[2]);
}

static void check_arith(void)
{
	volatile u32 a = 0x89abcdef, b = 0x76543211, f = 0xffffffff;
	u32 sum, hi, lo, imm;
	u8 carry;

	/* 32-bit add wraps to 0 with carry out of bit 31 */
	asm("addl %3, %0; setc %1" : "=r"(sum), "=q"(carry) : "0"(a), "r"(b));
	CHECK(sum == 0 && carry == 1, "0x89abcdef + 0x76543211 = 0x%x carry %u",
	      sum, carry);

	/* 32x32 -> 64-bit multiply */
	asm("mull %3" : "=a"(lo), "=d"(hi) : "a"(0xffffffffU), "rm"(f));
	CHECK(hi == 0xfffffffe && lo == 1, "0xffffffff * 0xffffffff = 0x%x:%x",
	      hi, lo);

	/* B8 id: MOV EAX, imm32 in 32-bit code (16-bit code reads imm16 and XOR AL) */
	asm(".byte 0xb8; .long 0x12345678" : "=a"(imm));
	CHECK(imm == 0x12345678, "B8 78 56 34 12 loaded 0x%x: not 32-bit code", imm);
}

void guest_main(u32 magic, ulong info)
{
	u32 cr0 = read_cr0();
	u64 efer = rdmsr(MSR_EFER);

	CHECK(entry_state.cr0 & CR0_PE, "CR0.PE clear at entry (CR0 0x%x)",
	      entry_state.cr0);
	CHECK(!(entry_state.cr0 & CR0_PG), "CR0.PG set at entry (CR0 0x%x)",
	      entry_state.cr0);
	CHECK((cr0 & (CR0_PE | CR0_PG)) == CR0_PE, "CR0 now 0x%x", cr0);
	CHECK(entry_state.cs == 0x08, "CS 0x%x at entry, not 0x08", entry_state.cs);
	CHECK(entry_state.ds == 0x10 && entry_state.ss == 0x10 &&
	      entry_state.es == 0x10, "DS/SS/ES 0x%x/0x%x/0x%x at entry, not 0x10",
	      entry_state.ds, entry_state.ss, entry_state.es);
	CHECK(entry_state.eax == 0, "EAX 0x%x at entry, not 0", entry_state.eax);
	CHECK(!(efer & (EFER_LMA | EFER_LME)), "EFER 0x%llx: long mode bits set",
	      efer);
	check_gdt();
	check_arith();
}
