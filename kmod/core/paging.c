// SPDX-License-Identifier: GPL-2.0
/*
 * Guest linear to guest physical translation, walking the guest's own page
 * tables in guest memory: no paging, 32-bit (with 4 MiB pages), PAE and
 * 4-level paging.  Used where the module must touch guest memory by linear
 * address: string I/O and fetching the instruction behind an MMIO access.
 * Accessed and dirty bits are not set; protection keys are not modelled.
 */
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "lv.h"

#define PTE_P	BIT_ULL(0)
#define PTE_W	BIT_ULL(1)
#define PTE_U	BIT_ULL(2)
#define PTE_PS	BIT_ULL(7)
#define PTE_NX	BIT_ULL(63)
#define PF_P	BIT(0)

static u64 addr_bits(u64 entry, unsigned int phys_bits)
{
	return entry & ((1ULL << phys_bits) - 1) & PAGE_MASK;
}

/**
 * lv_gva_to_gpa() - translate a guest linear address
 * @vm: the VM whose memory holds the tables
 * @pg: the guest's paging state
 * @gva: linear address
 * @access: LV_WALK_* bits of the access
 * @gpa: the result
 * @pf_error: on -EFAULT, the #PF error code the guest should see
 *
 * Return: 0, or -EFAULT when the guest must get a page fault.
 */
int lv_gva_to_gpa(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		  unsigned int access, u64 *gpa, u32 *pf_error)
{
	unsigned int phys_bits = boot_cpu_data.x86_phys_bits;
	bool wp = pg->cr0 & X86_CR0_WP, nx = pg->efer & EFER_NX;
	unsigned int levels, shift, level;
	u64 table, entry = 0;
	bool writable = true, user = true, exec = true;

	if (!(pg->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffff;
		return 0;
	}
	*pf_error = access & (LV_WALK_WRITE | LV_WALK_USER | LV_WALK_FETCH);

	if (pg->efer & EFER_LMA) {
		levels = 4;
		table = addr_bits(pg->cr3, phys_bits);
	} else if (pg->cr4 & X86_CR4_PAE) {
		u64 pdpte;

		gva &= 0xffffffff;
		if (lv_gpa_read(vm, (pg->cr3 & 0xffffffe0) + ((gva >> 30) & 3) * 8,
				&pdpte, 8) || !(pdpte & PTE_P))
			return -EFAULT;
		levels = 2;
		table = addr_bits(pdpte, phys_bits);
	} else {
		/* 32-bit paging: 4-byte entries, 10 bits per level */
		u32 pde, pte;

		gva &= 0xffffffff;
		if (lv_gpa_read(vm, (pg->cr3 & PAGE_MASK) + (gva >> 22) * 4, &pde, 4))
			return -EFAULT;
		if (!(pde & PTE_P))
			return -EFAULT;
		user = pde & PTE_U;
		writable = pde & PTE_W;
		if ((pde & PTE_PS) && (pg->cr4 & X86_CR4_PSE)) {
			*gpa = (pde & 0xffc00000) | (gva & 0x3fffff);
			goto check;
		}
		if (lv_gpa_read(vm, (pde & PAGE_MASK) + ((gva >> 12) & 0x3ff) * 4,
				&pte, 4) || !(pte & PTE_P))
			return -EFAULT;
		user &= !!(pte & PTE_U);
		writable &= !!(pte & PTE_W);
		*gpa = (pte & PAGE_MASK) | (gva & ~PAGE_MASK);
		goto check;
	}

	for (level = levels; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (lv_gpa_read(vm, table + ((gva >> shift) & 511) * 8, &entry, 8) ||
		    !(entry & PTE_P))
			return -EFAULT;
		user &= !!(entry & PTE_U);
		writable &= !!(entry & PTE_W);
		if (nx && (entry & PTE_NX))
			exec = false;
		if (level > 1 && level <= 3 && (entry & PTE_PS)) {
			u64 mask = (1ULL << shift) - 1;

			*gpa = (addr_bits(entry, phys_bits) & ~mask) | (gva & mask);
			goto check;
		}
		table = addr_bits(entry, phys_bits);
	}
	*gpa = table | (gva & ~PAGE_MASK);

check:
	*pf_error |= PF_P;
	if ((access & LV_WALK_USER) && !user)
		return -EFAULT;
	if ((access & LV_WALK_WRITE) && !writable && ((access & LV_WALK_USER) || wp))
		return -EFAULT;
	if ((access & LV_WALK_FETCH) && !exec)
		return -EFAULT;
	return 0;
}

static int gva_access(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		      void *buf, unsigned int len, unsigned int access,
		      u64 *fault_gva, u32 *pf_error, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;
		int err;

		if (lv_gva_to_gpa(vm, pg, gva, access, &gpa, pf_error)) {
			*fault_gva = gva;
			return -EFAULT;
		}
		err = write ? lv_gpa_write(vm, gpa, buf, n) :
			      lv_gpa_read(vm, gpa, buf, n);
		if (err) {
			*fault_gva = gva;
			*pf_error = 0;
			return -ENXIO;	/* not RAM: MMIO through a string op */
		}
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * lv_gva_read() - copy from guest memory by linear address
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear address
 * @buf: destination
 * @len: bytes
 * @access: LV_WALK_* bits
 * @fault_gva: where it failed
 * @pf_error: the #PF error code when it returns -EFAULT
 *
 * Return: 0; -EFAULT for a page fault; -ENXIO if the memory is not RAM.
 */
int lv_gva_read(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		void *buf, unsigned int len, unsigned int access, u64 *fault_gva,
		u32 *pf_error)
{
	return gva_access(vm, pg, gva, buf, len, access, fault_gva, pf_error,
			  false);
}

/**
 * lv_gva_write() - copy to guest memory by linear address
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear address
 * @buf: source
 * @len: bytes
 * @access: LV_WALK_* bits (LV_WALK_WRITE is implied)
 * @fault_gva: where it failed
 * @pf_error: the #PF error code when it returns -EFAULT
 *
 * Return: 0; -EFAULT for a page fault; -ENXIO if the memory is not RAM.
 */
int lv_gva_write(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		 const void *buf, unsigned int len, unsigned int access,
		 u64 *fault_gva, u32 *pf_error)
{
	return gva_access(vm, pg, gva, (void *)buf, len, access | LV_WALK_WRITE,
			  fault_gva, pf_error, true);
}
