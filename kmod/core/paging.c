// SPDX-License-Identifier: GPL-2.0
/*
 * Guest linear to guest physical translation, walking the guest's own page
 * tables in guest memory: no paging, 32-bit (4 MiB pages with CR4.PSE,
 * PSE-36), PAE and 4-level paging (2 MiB and 1 GiB pages).  5-level paging
 * is never offered (CR4.LA57 raises #GP).
 *
 * lv_walk_guest() is the full walk the shadow MMU (kmod/shadow) needs: the
 * guest table read at each level, reserved-bit checks, the permission
 * combination of SDM Vol. 3A 4.6 (U/S, R/W, NX, CR0.WP, SMEP, SMAP) with
 * the exact #PF error code, and the accessed and dirty bits set as the CPU
 * sets them (atomically, after a successful walk).  lv_gva_to_gpa() and the
 * copy helpers serve the instruction emulation (string I/O, MMIO fetch):
 * they set no A/D bits and do not apply SMAP.  Protection keys are not
 * modelled (CR4.PKE is never offered).
 */
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "lv.h"

#define PTE_P	BIT_ULL(0)
#define PTE_W	BIT_ULL(1)
#define PTE_U	BIT_ULL(2)
#define PTE_A	BIT_ULL(5)
#define PTE_D	BIT_ULL(6)
#define PTE_PS	BIT_ULL(7)
#define PTE_G	BIT_ULL(8)
#define PTE_NX	BIT_ULL(63)

static u64 addr_bits(u64 entry, unsigned int phys_bits)
{
	return entry & ((1ULL << phys_bits) - 1) & PAGE_MASK;
}

/* bits 51:phys_bits of a PAE/4-level entry must be 0 */
static u64 high_rsvd(unsigned int phys_bits)
{
	return GENMASK_ULL(51, phys_bits);
}

/**
 * lv_paging_mode() - which kind of paging the guest state selects
 * @pg: the guest's paging state
 *
 * Return: LV_PAGING_NONE, LV_PAGING_32, LV_PAGING_PAE or LV_PAGING_4LEVEL.
 */
unsigned int lv_paging_mode(const struct lv_paging *pg)
{
	if (!(pg->cr0 & X86_CR0_PG))
		return LV_PAGING_NONE;
	if (pg->efer & EFER_LMA)
		return LV_PAGING_4LEVEL;
	if (pg->cr4 & X86_CR4_PAE)
		return LV_PAGING_PAE;
	return LV_PAGING_32;
}

/**
 * lv_pae_load_pdptes() - the four PDPTEs a PAE-paging CR3 names
 * @vm: the VM whose memory holds them
 * @cr3: the guest CR3 (bits 31:5 locate the table)
 * @pdpte: the four entries, all zero if the table is not in guest RAM
 *
 * What the CPU does at a MOV to CR3 under PAE paging, and at a MOV to CR0
 * or CR4 that leaves PAE paging on and changes CR0.PG, CD, NW or CR4.PAE,
 * PGE, PSE, SMEP (SDM Vol. 3A 4.4.1).  The CPU then translates with these
 * copies until the next such load, whatever the table in memory holds.
 *
 * Return: 0, or -EINVAL if a present PDPTE sets a reserved bit (2:1, 8:5,
 * or at or above MAXPHYADDR): the loading instruction raises #GP(0).
 */
int lv_pae_load_pdptes(struct lv_vm *vm, u64 cr3, u64 *pdpte)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	unsigned int i;

	if (lv_gpa_read(vm, cr3 & 0xffffffe0, pdpte, 4 * sizeof(*pdpte))) {
		memset(pdpte, 0, 4 * sizeof(*pdpte));
		return 0;
	}
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & PTE_P) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

/**
 * lv_paging_check() - the permission rules of SDM Vol. 3A 4.6
 * @pg: the guest's paging state
 * @access: LV_WALK_WRITE, LV_WALK_USER, LV_WALK_FETCH and LV_WALK_AC
 *	(RFLAGS.AC of a supervisor access: SMAP does not apply)
 * @user: every level allowed user access (U/S = 1)
 * @writable: every level allowed writes (R/W = 1)
 * @exec: no level forbade execution (XD with EFER.NXE)
 *
 * Return: true if the access is allowed.
 */
bool lv_paging_check(const struct lv_paging *pg, unsigned int access,
		     bool user, bool writable, bool exec)
{
	bool wp = pg->cr0 & X86_CR0_WP;

	if (access & LV_WALK_USER) {
		if (!user)
			return false;
		if ((access & LV_WALK_WRITE) && !writable)
			return false;
		return !(access & LV_WALK_FETCH) || exec;
	}
	/* supervisor access */
	if (access & LV_WALK_FETCH) {
		if (user && (pg->cr4 & X86_CR4_SMEP))
			return false;
		return exec;
	}
	if (user && (pg->cr4 & X86_CR4_SMAP) && !(access & LV_WALK_AC))
		return false;
	if ((access & LV_WALK_WRITE) && !writable && wp)
		return false;
	return true;
}

/**
 * lv_paging_error() - the #PF error code of a failed access
 * @pg: the guest's paging state
 * @access: LV_WALK_* bits of the access
 * @present: the translation existed (a protection or reserved-bit fault)
 * @rsvd: a reserved bit was set in an entry
 *
 * Return: the error code: P, W/R, U/S, RSVD and I/D (I/D only where the
 * CPU reports it: with SMEP, or with EFER.NXE under PAE and 4-level paging).
 */
u32 lv_paging_error(const struct lv_paging *pg, unsigned int access,
		    bool present, bool rsvd)
{
	u32 err = access & (LV_WALK_WRITE | LV_WALK_USER);

	if (present)
		err |= LV_PF_P;
	if (rsvd)
		err |= LV_PF_RSVD;
	if ((access & LV_WALK_FETCH) &&
	    ((pg->cr4 & X86_CR4_SMEP) ||
	     ((pg->cr4 & X86_CR4_PAE) && (pg->efer & EFER_NX))))
		err |= LV_PF_FETCH;
	return err;
}

/* reserved bits of an entry at @level (it is present) */
static bool entry_rsvd(const struct lv_paging *pg, unsigned int mode,
		       unsigned int level, u64 e, unsigned int phys_bits)
{
	bool nx = pg->efer & EFER_NX;

	if (mode == LV_PAGING_32) {
		/* 4 MiB page: bit 21 must be 0 (PSE-36 uses 20:13) */
		return level == 2 && (e & PTE_PS) && (pg->cr4 & X86_CR4_PSE) &&
		       (e & BIT_ULL(21));
	}
	if ((e & high_rsvd(phys_bits)) || (!nx && (e & PTE_NX)))
		return true;
	if (level == 4 && (e & PTE_PS))
		return true;
	if (level == 3 && (e & PTE_PS) && (e & GENMASK_ULL(29, 13)))
		return true;
	if (level == 2 && (e & PTE_PS) && (e & GENMASK_ULL(20, 13)))
		return true;
	return false;
}

static u64 read_entry(struct lv_vm *vm, u64 gpa, unsigned int size, int *err)
{
	u64 e = 0;

	*err = lv_gpa_read(vm, gpa, &e, size);
	return e;
}

static int walk_once(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		     unsigned int access, unsigned int flags, struct lv_walk *w)
{
	unsigned int phys_bits = boot_cpu_data.x86_phys_bits;
	unsigned int mode = lv_paging_mode(pg), size, level, idx;
	bool user = true, writable = true, exec = true;
	u64 pte_gpa[LV_WALK_LEVELS + 1] = { 0 };
	u64 pte[LV_WALK_LEVELS + 1] = { 0 };
	u64 table, e = 0;
	int err;

	memset(w, 0, sizeof(*w));
	w->mode = mode;
	if (mode == LV_PAGING_NONE) {
		w->gpa = gva & 0xffffffff;
		w->user = true;
		w->writable = true;
		w->exec = true;
		w->dirty = true;
		return 0;
	}

	if (mode == LV_PAGING_4LEVEL) {
		level = 4;
		size = 8;
		table = addr_bits(pg->cr3, phys_bits);
	} else if (mode == LV_PAGING_PAE) {
		gva &= 0xffffffff;
		size = 8;
		level = 2;
		err = 0;
		if (pg->pdpte)
			e = pg->pdpte[gva >> 30];
		else
			e = read_entry(vm, (pg->cr3 & 0xffffffe0) + (gva >> 30) * 8,
				       8, &err);
		if (err || !(e & PTE_P))
			goto not_present;
		table = addr_bits(e, phys_bits);
	} else {
		gva &= 0xffffffff;
		size = 4;
		level = 2;
		table = pg->cr3 & 0xfffff000;
	}
	w->top = level;

	for (; level >= 1; level--) {
		unsigned int shift = 12 + (size == 8 ? 9 : 10) * (level - 1);

		idx = (gva >> shift) & (size == 8 ? 511 : 1023);
		w->table[level] = table;
		pte_gpa[level] = table + idx * size;
		e = read_entry(vm, pte_gpa[level], size, &err);
		pte[level] = e;
		if (err || !(e & PTE_P))
			goto not_present;
		if (entry_rsvd(pg, mode, level, e, phys_bits)) {
			w->error = lv_paging_error(pg, access, true, true);
			return -EFAULT;
		}
		user &= !!(e & PTE_U);
		writable &= !!(e & PTE_W);
		if (size == 8 && (pg->efer & EFER_NX) && (e & PTE_NX))
			exec = false;
		if (level > 1 && (e & PTE_PS) &&
		    (size == 8 || (pg->cr4 & X86_CR4_PSE))) {
			u64 mask = (1ULL << shift) - 1, base;

			if (size == 4)	/* PSE-36: bits 20:13 are gpa 39:32 */
				base = (e & 0xffc00000) | (((e >> 13) & 0xff) << 32);
			else
				base = addr_bits(e, phys_bits) & ~mask;
			w->gpa = base | (gva & mask);
			break;
		}
		if (level == 1) {
			w->gpa = addr_bits(e, phys_bits) | (gva & ~PAGE_MASK);
			break;
		}
		table = addr_bits(e, phys_bits);
	}
	w->leaf = level;
	w->user = user;
	w->writable = writable;
	w->exec = exec;
	w->global = e & PTE_G;
	w->dirty = e & PTE_D;

	if (!lv_paging_check(pg, access, user, writable, exec)) {
		w->error = lv_paging_error(pg, access, true, false);
		return -EFAULT;
	}
	if (flags & LV_WALK_SET_AD) {
		unsigned int l;

		for (l = w->top; l >= w->leaf; l--) {
			u64 bits = PTE_A;

			if (l == w->leaf && (access & LV_WALK_WRITE))
				bits |= PTE_D;
			if ((pte[l] & bits) != bits &&
			    lv_gpa_set_bits(vm, pte_gpa[l], size, pte[l], bits))
				return -EAGAIN;
		}
		if (access & LV_WALK_WRITE)
			w->dirty = true;
	}
	return 0;

not_present:
	w->error = lv_paging_error(pg, access, false, false);
	return -EFAULT;
}

/**
 * lv_walk_guest() - walk the guest's page tables for one access
 * @vm: the VM whose memory holds the tables
 * @pg: the guest's paging state
 * @gva: linear address
 * @access: LV_WALK_WRITE, LV_WALK_USER, LV_WALK_FETCH, LV_WALK_AC
 * @flags: LV_WALK_SET_AD to set accessed (and, for writes, dirty) bits
 * @w: the result: translation, tables, effective rights, or error code
 *
 * Return: 0, or -EFAULT when the guest must get a page fault with
 * error code @w->error (a table outside RAM reads as not present).
 */
int lv_walk_guest(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		  unsigned int access, unsigned int flags, struct lv_walk *w)
{
	int i, ret;

	/* an entry changed under us while we set A/D: walk again */
	for (i = 0; i < 16; i++) {
		ret = walk_once(vm, pg, gva, access, flags, w);
		if (ret != -EAGAIN)
			return ret;
	}
	return walk_once(vm, pg, gva, access, 0, w);
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
 * Sets no accessed or dirty bits; SMAP is not applied.
 *
 * Return: 0, or -EFAULT when the guest must get a page fault.
 */
int lv_gva_to_gpa(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		  unsigned int access, u64 *gpa, u32 *pf_error)
{
	struct lv_walk w;

	if (walk_once(vm, pg, gva, access | LV_WALK_AC, 0, &w)) {
		*pf_error = w.error;
		return -EFAULT;
	}
	*gpa = w.gpa;
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
