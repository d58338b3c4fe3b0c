// SPDX-License-Identifier: GPL-2.0
/*
 * long64.bin: lvctl run --mode long64 (flat, loaded and entered at 1 MiB).
 *
 * Checks long mode (EFER.LME/LMA, CR0.PG, CR4.PAE, CS 0x08 with L = 1 in
 * lvctl's GDT), 64-bit arithmetic, and that lvctl's identity map reaches
 * above 1 GiB: a software walk of the page tables maps 0xd0000000 to
 * itself with a 2 MiB page, and a read there reaches the MMIO test device
 * (byte i = (i * 7 + 1) & 0xff).
 */
#include "rt.h"
#include "desc.h"

const char guest_name[] = "long64";

extern struct {
	u64 rax;
	u16 cs, ds, ss, es;
	u16 gdt_limit;
	u64 gdt_base;
	u8 pad[6];
	u64 rsp;
} __attribute__((packed)) entry_state;

#define PTE_P	(1ULL << 0)
#define PTE_PS	(1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

static void check_mode(void)
{
	u64 efer = rdmsr(MSR_EFER);
	ulong cr0 = read_cr0(), cr4 = read_cr4();

	CHECK((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
	      "EFER 0x%llx: LME/LMA not both set", efer);
	CHECK((cr0 & (CR0_PE | CR0_PG)) == (CR0_PE | CR0_PG), "CR0 0x%lx", cr0);
	CHECK(cr4 & CR4_PAE, "CR4.PAE clear (CR4 0x%lx)", cr4);
	CHECK(entry_state.cs == 0x08, "CS 0x%x at entry, not 0x08", entry_state.cs);
	CHECK(entry_state.ds == 0x10 && entry_state.ss == 0x10,
	      "DS/SS 0x%x/0x%x at entry, not 0x10", entry_state.ds, entry_state.ss);
	CHECK(entry_state.rax == 0, "RAX 0x%llx at entry, not 0", entry_state.rax);
	if (entry_state.gdt_limit >= 0xf) {
		u64 d = ((const u64 *)entry_state.gdt_base)[1];
		struct seg_desc cs = desc_decode(d);

		CHECK(cs.p && cs.s && (cs.type & 0x8) && cs.l && !cs.db,
		      "GDT 0x08 (0x%llx) is not a 64-bit code segment", d);
	} else {
		fail("lvctl's GDT limit 0x%x does not cover selector 0x08",
		     entry_state.gdt_limit);
	}
}

static void check_arith(void)
{
	volatile u64 x = 0xffffffff, m = 0xffffffffffffffffULL;
	volatile int sh = 63;
	u64 hi, lo, imm;

	CHECK(x + 1 == 0x100000000ULL, "0xffffffff + 1 = 0x%llx", x + 1);
	CHECK((1ULL << sh) == 0x8000000000000000ULL, "1 << 63 = 0x%llx",
	      1ULL << sh);
	asm("mulq %3" : "=a"(lo), "=d"(hi) : "a"(m), "rm"(m));
	CHECK(hi == 0xfffffffffffffffeULL && lo == 1,
	      "(2^64 - 1)^2 = 0x%llx:%llx", hi, lo);
	asm("movabsq $0x123456789abcdef0, %0" : "=r"(imm));
	CHECK(imm == 0x123456789abcdef0ULL, "movabs loaded 0x%llx", imm);
}

/* walk CR3 for va; returns the physical address or ~0 */
static u64 walk(u64 va, int *large)
{
	u64 e = read_cr3() & PTE_ADDR;
	int shift = 39;

	for (int level = 4; level >= 1; level--, shift -= 9) {
		e = ((const u64 *)(ulong)(e & PTE_ADDR))[(va >> shift) & 511];
		if (!(e & PTE_P))
			return ~0ULL;
		if (level > 1 && (e & PTE_PS)) {
			u64 mask = (1ULL << shift) - 1;

			*large = shift;
			return ((e & PTE_ADDR) & ~mask) | (va & mask);
		}
	}
	*large = 12;
	return (e & PTE_ADDR) | (va & 0xfff);
}

static void check_paging(void)
{
	static const u64 vas[] = { 0x0, 0x100000, 0x3fffffff, 0x40000000,
				   MMIO_TEST_BASE, 0xfffff000 };
	int large = 0;
	u64 pa;

	CHECK(read_cr3() < 0x10000, "CR3 0x%lx: tables not below 0x10000",
	      read_cr3());
	for (unsigned i = 0; i < ARRAY_SIZE(vas); i++) {
		pa = walk(vas[i], &large);
		CHECK(pa == vas[i], "va 0x%llx maps to 0x%llx, not to itself",
		      vas[i], pa);
	}
	walk(MMIO_TEST_BASE, &large);
	CHECK(large == 21, "0xd0000000 mapped by a %d-bit page, not 2 MiB", large);
}

static void check_mmio(void)
{
	volatile u8 *dev = (volatile u8 *)MMIO_TEST_BASE;
	u8 b0 = dev[0], b5 = dev[5], bl = dev[0xfff];

	CHECK(b0 == 1, "byte 0 of the MMIO device at 0xd0000000 is 0x%x, not 1", b0);
	CHECK(b5 == 36, "byte 5 of the MMIO device is 0x%x, not 0x24", b5);
	CHECK(bl == ((0xfff * 7 + 1) & 0xff), "byte 0xfff of the MMIO device is 0x%x, not 0x%x",
	      bl, (0xfff * 7 + 1) & 0xff);
}

void guest_main(u32 magic, ulong info)
{
	check_mode();
	check_arith();
	check_paging();
	check_mmio();
}
