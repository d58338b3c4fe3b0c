/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 entry state: CPU modes, the GDT and long-mode page tables lvctl
 * writes into guest memory, and the registers a vCPU starts with.
 */
#ifndef LVCTL_X86_H
#define LVCTL_X86_H

#include "accel.h"

/* The boot area: what lvctl writes below 0x10000 for protected modes. */
#define BOOT_GDT		0x8000ULL
#define BOOT_TSS		0x8100ULL
#define BOOT_TSS_LIMIT		0x67
#define BOOT_PML4		0x9000ULL
#define BOOT_PDPT		0xa000ULL
#define BOOT_PD			0xb000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_PT_END		0xf000ULL
#define BOOT_AREA_END		0x10000ULL

#define GDT_SEL_CODE		0x08
#define GDT_SEL_DATA		0x10
#define GDT_SEL_TSS		0x18
#define GDT_LIMIT		0x27		/* null, code, data, 16-byte TSS */

/*
 * The Linux 64-bit boot protocol wants __BOOT_CS = 0x10 and __BOOT_DS =
 * 0x18: its GDT (at BOOT_GDT too) is null, null, code, data, TSS.
 */
#define LINUX_SEL_CODE		0x10
#define LINUX_SEL_DATA		0x18
#define LINUX_SEL_TSS		0x20
#define LINUX_GDT_LIMIT		0x2f

#define APIC_DEFAULT_BASE	0xfee00000ULL
#define APIC_BASE_BSP		(1ULL << 8)
#define APIC_BASE_ENABLE	(1ULL << 11)

#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)
#define X86_EFER_LME		(1ULL << 8)
#define X86_EFER_LMA		(1ULL << 10)
#define X86_RFLAGS_FIXED	(1ULL << 1)

#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

enum cpu_mode {
	CPU_MODE_REAL,
	CPU_MODE_PROT32,
	CPU_MODE_LONG64,
};

struct boot_cpu {
	struct cpu_regs regs;
	struct cpu_sregs sregs;
};

int x86_parse_mode(const char *s, enum cpu_mode *mode);
const char *x86_mode_name(enum cpu_mode mode);

/* [start, end) of guest memory lvctl itself writes for @mode (may be empty) */
void x86_boot_area(enum cpu_mode mode, u64 *start, u64 *end);

void x86_write_gdt(u8 *gdt, bool long_mode);
int x86_build_identity_map(struct guest_mem *mem, u64 pml4_gpa);

/*
 * Write the GDT (and page tables) @mode needs and fill @cpu so the vCPU
 * starts at @entry.  @load is the flat image's load address (real mode
 * derives CS from it).  Returns 0, or -1 with a message printed.
 */
int x86_setup_boot(struct guest_mem *mem, enum cpu_mode mode, u64 load,
		   u64 entry, struct boot_cpu *cpu);

void x86_write_linux_gdt(u8 *gdt);
/*
 * The state of the Linux 64-bit boot protocol: long mode with the first
 * 4 GiB identity-mapped, the GDT above, RSI = @zero_page, interrupts off,
 * the local APIC enabled at its default base as the BSP.
 */
int x86_setup_linux64(struct guest_mem *mem, u64 entry, u64 zero_page,
		      struct boot_cpu *cpu);

#endif /* LVCTL_X86_H */
