// SPDX-License-Identifier: GPL-2.0
/*
 * x86 entry state for real, 32-bit protected and 64-bit long mode.
 */
#include <string.h>

#include "x86.h"

/* flat 4 GiB descriptors; the accessed bit is set to match the registers */
#define GDT_CODE32		0x00cf9b000000ffffULL
#define GDT_CODE64		0x00af9b000000ffffULL
#define GDT_DATA		0x00cf93000000ffffULL

int x86_parse_mode(const char *s, enum cpu_mode *mode)
{
	if (!strcmp(s, "real"))
		*mode = CPU_MODE_REAL;
	else if (!strcmp(s, "prot32"))
		*mode = CPU_MODE_PROT32;
	else if (!strcmp(s, "long64"))
		*mode = CPU_MODE_LONG64;
	else
		return -1;
	return 0;
}

const char *x86_mode_name(enum cpu_mode mode)
{
	switch (mode) {
	case CPU_MODE_REAL:
		return "real";
	case CPU_MODE_PROT32:
		return "prot32";
	default:
		return "long64";
	}
}

void x86_boot_area(enum cpu_mode mode, u64 *start, u64 *end)
{
	switch (mode) {
	case CPU_MODE_REAL:
		*start = *end = 0;
		break;
	case CPU_MODE_PROT32:
		*start = BOOT_GDT;
		*end = BOOT_PML4;
		break;
	default:
		*start = BOOT_GDT;
		*end = BOOT_PT_END;
		break;
	}
}

static void put_u64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));	/* x86 is little endian */
}

void x86_write_gdt(u8 *gdt, bool long_mode)
{
	u64 tss_lo;

	memset(gdt, 0, GDT_LIMIT + 1);
	put_u64(gdt + GDT_SEL_CODE, long_mode ? GDT_CODE64 : GDT_CODE32);
	put_u64(gdt + GDT_SEL_DATA, GDT_DATA);
	/* busy 32/64-bit TSS (type 0xb), present, byte granular */
	tss_lo = BOOT_TSS_LIMIT | ((BOOT_TSS & 0xffffff) << 16) |
		 (0x8bULL << 40) | ((BOOT_TSS >> 24) & 0xff) << 56;
	put_u64(gdt + GDT_SEL_TSS, tss_lo);
	/* bytes 8-15 of the TSS descriptor: base 63:32, zero here */
}

/*
 * Identity-map the first 4 GiB with 2 MiB pages: PML4 at @pml4_gpa, the
 * PDPT in the next page, then four page directories.
 */
int x86_build_identity_map(struct guest_mem *mem, u64 pml4_gpa)
{
	u64 pdpt_gpa = pml4_gpa + 0x1000, pd_gpa = pml4_gpa + 0x2000;
	u8 *pml4, *pdpt, *pd;
	unsigned int i;

	pml4 = guest_mem_hva(mem, pml4_gpa, 6 * 0x1000);
	if (!pml4 || (pml4_gpa & 0xfff))
		return -1;
	pdpt = pml4 + 0x1000;
	pd = pml4 + 0x2000;
	memset(pml4, 0, 6 * 0x1000);
	put_u64(pml4, pdpt_gpa | PTE_P | PTE_RW);
	for (i = 0; i < 4; i++)
		put_u64(pdpt + 8 * i, (pd_gpa + 0x1000 * i) | PTE_P | PTE_RW);
	for (i = 0; i < 4 * 512; i++)
		put_u64(pd + 8 * i, ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS);
	return 0;
}

static void seg_flat(struct cpu_segment *s, u16 sel, u8 type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = !l;
	s->g = 1;
}

static void seg_real(struct cpu_segment *s, u16 sel, u8 type)
{
	memset(s, 0, sizeof(*s));
	s->base = (u64)sel << 4;
	s->limit = 0xffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

static void seg_system(struct cpu_sregs *sr, u16 tr_sel, u64 tr_base,
		       u32 tr_limit)
{
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.selector = tr_sel;
	sr->tr.base = tr_base;
	sr->tr.limit = tr_limit;
	sr->tr.type = 0xb;	/* busy TSS */
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.type = 0x2;
	sr->ldt.limit = 0xffff;
	sr->ldt.present = 1;
}

static int setup_real(enum cpu_mode mode, u64 load, u64 entry,
		      struct boot_cpu *cpu)
{
	struct cpu_sregs *sr = &cpu->sregs;
	u64 cs = load >> 4;

	(void)mode;
	if (entry >= SZ_1M) {
		pr_err("real mode entry 0x%llx is not below 1 MiB",
		       (unsigned long long)entry);
		return -1;
	}
	/* CS from the load address, unless then IP cannot reach the entry */
	if (cs > 0xffff || entry < (cs << 4) || entry - (cs << 4) > 0xffff)
		cs = entry >> 4;
	seg_real(&sr->cs, cs, 0xb);
	seg_real(&sr->ds, 0, 0x3);
	seg_real(&sr->es, 0, 0x3);
	seg_real(&sr->fs, 0, 0x3);
	seg_real(&sr->gs, 0, 0x3);
	seg_real(&sr->ss, 0, 0x3);
	seg_system(sr, 0, 0, 0xffff);
	sr->gdt.base = 0;
	sr->gdt.limit = 0xffff;
	sr->idt.base = 0;
	sr->idt.limit = 0x3ff;		/* the real-mode IVT */
	sr->cr0 = X86_CR0_ET;
	cpu->regs.rip = entry - (cs << 4);
	return 0;
}

/*
 * Flat code (64-bit if @l) and data segments, TR the boot TSS (zeroed)
 * behind selector @tss_sel of the GDT at @gdt (gpa BOOT_GDT).
 */
static void flat_segments(struct cpu_sregs *sr, u8 *gdt, u16 code_sel,
			  u16 data_sel, u16 tss_sel, bool l)
{
	memset(gdt + (BOOT_TSS - BOOT_GDT), 0, BOOT_TSS_LIMIT + 1);
	seg_flat(&sr->cs, code_sel, 0xb, l);
	seg_flat(&sr->ds, data_sel, 0x3, false);
	seg_flat(&sr->es, data_sel, 0x3, false);
	seg_flat(&sr->fs, data_sel, 0x3, false);
	seg_flat(&sr->gs, data_sel, 0x3, false);
	seg_flat(&sr->ss, data_sel, 0x3, false);
	seg_system(sr, tss_sel, BOOT_TSS, BOOT_TSS_LIMIT);
}

int x86_setup_boot(struct guest_mem *mem, enum cpu_mode mode, u64 load,
		   u64 entry, struct boot_cpu *cpu)
{
	struct cpu_sregs *sr = &cpu->sregs;
	bool lm = mode == CPU_MODE_LONG64;
	u8 *gdt;

	memset(cpu, 0, sizeof(*cpu));
	cpu->regs.rflags = X86_RFLAGS_FIXED;	/* IF clear */
	if (mode == CPU_MODE_REAL)
		return setup_real(mode, load, entry, cpu);

	if (entry > 0xffffffffULL) {
		pr_err("entry 0x%llx is above 4 GiB", (unsigned long long)entry);
		return -1;
	}
	gdt = guest_mem_hva(mem, BOOT_GDT, 0x1000);
	if (!gdt) {
		pr_err("guest memory too small for the GDT");
		return -1;
	}
	x86_write_gdt(gdt, lm);
	flat_segments(sr, gdt, GDT_SEL_CODE, GDT_SEL_DATA, GDT_SEL_TSS, lm);
	sr->gdt.base = BOOT_GDT;
	sr->gdt.limit = GDT_LIMIT;
	sr->idt.base = 0;
	sr->idt.limit = 0;
	sr->cr0 = X86_CR0_PE | X86_CR0_ET;
	if (lm) {
		if (x86_build_identity_map(mem, BOOT_PML4)) {
			pr_err("guest memory too small for the page tables");
			return -1;
		}
		sr->cr3 = BOOT_PML4;
		sr->cr4 = X86_CR4_PAE;
		sr->cr0 |= X86_CR0_PG;
		sr->efer = X86_EFER_LME | X86_EFER_LMA;
	}
	cpu->regs.rip = entry;
	return 0;
}

void x86_write_linux_gdt(u8 *gdt)
{
	u64 tss_lo;

	memset(gdt, 0, LINUX_GDT_LIMIT + 1);
	put_u64(gdt + LINUX_SEL_CODE, GDT_CODE64);
	put_u64(gdt + LINUX_SEL_DATA, GDT_DATA);
	tss_lo = BOOT_TSS_LIMIT | ((BOOT_TSS & 0xffffff) << 16) |
		 (0x8bULL << 40) | ((BOOT_TSS >> 24) & 0xff) << 56;
	put_u64(gdt + LINUX_SEL_TSS, tss_lo);
}

int x86_setup_linux64(struct guest_mem *mem, u64 entry, u64 zero_page,
		      struct boot_cpu *cpu)
{
	struct cpu_sregs *sr = &cpu->sregs;
	u8 *gdt;

	memset(cpu, 0, sizeof(*cpu));
	gdt = guest_mem_hva(mem, BOOT_GDT, 0x1000);
	if (!gdt || x86_build_identity_map(mem, BOOT_PML4)) {
		pr_err("guest memory too small for the GDT and page tables");
		return -1;
	}
	x86_write_linux_gdt(gdt);
	flat_segments(sr, gdt, LINUX_SEL_CODE, LINUX_SEL_DATA, LINUX_SEL_TSS,
		      true);
	sr->gdt.base = BOOT_GDT;
	sr->gdt.limit = LINUX_GDT_LIMIT;
	sr->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	sr->cr3 = BOOT_PML4;
	sr->cr4 = X86_CR4_PAE;
	sr->efer = X86_EFER_LME | X86_EFER_LMA;
	sr->apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP;
	cpu->regs.rflags = X86_RFLAGS_FIXED;	/* IF clear */
	cpu->regs.rip = entry;
	cpu->regs.rsi = zero_page;
	return 0;
}
