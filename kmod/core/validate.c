// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of what user space passes in, kept free of VM state so KUnit
 * can test it: every field of every structure is checked here before the
 * ioctl changes anything.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "validate.h"

/**
 * lv_ranges_overlap() - do [a, a + a_size) and [b, b + b_size) intersect?
 * @a: start of the first range
 * @a_size: its size; no overflow (validated before)
 * @b: start of the second range
 * @b_size: its size
 *
 * Return: true if they share at least one byte.
 */
bool lv_ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
	if (!a_size || !b_size)
		return false;
	return a < b + b_size && b < a + a_size;
}

/**
 * lv_validate_region() - check an LV_SET_MEMORY_REGION argument on its own
 * @r: the region
 * @max_slots: number of slots
 * @phys_bits: guest physical address width
 *
 * Overlap with other slots is checked by the caller, which knows them.
 *
 * Return: 0 or -EINVAL.
 */
int lv_validate_region(const struct lv_memory_region *r, u32 max_slots,
		       unsigned int phys_bits)
{
	u64 limit = 1ULL << phys_bits;

	if (r->slot >= max_slots || (r->flags & ~LV_MEM_READONLY))
		return -EINVAL;
	if (!r->size)
		return 0;	/* delete: only the slot number matters */
	if ((r->gpa | r->size | r->uaddr) & ~PAGE_MASK)
		return -EINVAL;
	if (r->gpa >= limit || r->size > limit - r->gpa)
		return -EINVAL;
	if (r->uaddr + r->size < r->uaddr)
		return -EINVAL;
	return 0;
}

/**
 * lv_validate_regs() - check an LV_SET_REGS argument
 * @regs: the registers
 *
 * Return: 0, or -EINVAL if RFLAGS has reserved bits wrong (bit 1 must be
 * set; bits 3, 5, 15 and 22-63 must be clear).
 */
int lv_validate_regs(const struct lv_regs *regs)
{
	u64 reserved = ~0x3f7fd7ULL;	/* bits 3, 5, 15, 22-63 */

	if (!(regs->rflags & X86_EFLAGS_FIXED) || (regs->rflags & reserved))
		return -EINVAL;
	return 0;
}

static int check_segment(const struct lv_segment *s)
{
	if (s->type > 15 || s->dpl > 3 || s->present > 1 || s->db > 1 ||
	    s->s > 1 || s->l > 1 || s->g > 1 || s->avl > 1 ||
	    s->unusable > 1 || s->padding)
		return -EINVAL;
	return 0;
}

#define LV_GUEST_CR4_BITS (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |	\
			   X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |	\
			   X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |	\
			   X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |	\
			   X86_CR4_UMIP | X86_CR4_FSGSBASE |		\
			   X86_CR4_PCIDE | X86_CR4_OSXSAVE |		\
			   X86_CR4_SMEP | X86_CR4_SMAP)

/**
 * lv_guest_cr4_bits() - CR4 bits a guest may set
 *
 * Return: the mask; VMXE, SMXE, PKE and LA57 are never offered.
 */
u64 lv_guest_cr4_bits(void)
{
	return LV_GUEST_CR4_BITS;
}

/**
 * lv_validate_sregs() - check an LV_SET_SREGS argument
 * @s: the registers
 * @unrestricted: the CPU runs real mode and unpaged protected mode natively
 * @phys_bits: guest physical address width
 *
 * Checks what the architecture forbids a CPU to be in, so a bad state
 * gets -EINVAL here instead of a failed VM entry later.
 *
 * Return: 0 or -EINVAL.
 */
int lv_validate_sregs(const struct lv_sregs *s, bool unrestricted,
		      unsigned int phys_bits)
{
	const struct lv_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt
	};
	u64 efer_bits = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	bool pg = s->cr0 & X86_CR0_PG;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (check_segment(segs[i]))
			return -EINVAL;
	if (s->gdt.padding[0] | s->gdt.padding[1] | s->gdt.padding[2] |
	    s->idt.padding[0] | s->idt.padding[1] | s->idt.padding[2])
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			return -EINVAL;

	if (s->cr0 >> 32)
		return -EINVAL;
	if (pg && !(s->cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return -EINVAL;
	if (!unrestricted && (!(s->cr0 & X86_CR0_PE) || !pg))
		return -EINVAL;

	if (s->cr4 & ~LV_GUEST_CR4_BITS)
		return -EINVAL;
	if (s->cr3 >> phys_bits)
		return -EINVAL;

	if (s->efer & ~efer_bits)
		return -EINVAL;
	if (!!(s->efer & EFER_LMA) != (pg && (s->efer & EFER_LME)))
		return -EINVAL;
	if ((s->efer & EFER_LMA) && !(s->cr4 & X86_CR4_PAE))
		return -EINVAL;
	if ((s->efer & EFER_LMA) && s->cs.l && s->cs.db)
		return -EINVAL;
	if ((s->cr4 & X86_CR4_PCIDE) && !(s->efer & EFER_LMA))
		return -EINVAL;

	/* APIC base: 4 KiB aligned, reserved bits 0-7, 9 and above phys_bits */
	/* x2APIC mode (bit 10) needs the APIC enabled (bit 11) */
	if ((s->apic_base & (0xffULL | (1ULL << 9) | ~((1ULL << phys_bits) - 1))) ||
	    (s->apic_base & 0xc00) == 0x400)
		return -EINVAL;
	return 0;
}
