// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow page tables: built on demand from guest page faults.
 *
 * Every guest #PF exits.  The guest's tables are walked (kmod/core/paging.c,
 * which also sets their accessed and dirty bits); a fault the guest's own
 * tables explain is injected with its exact error code and CR2, otherwise
 * the missing path of shadow tables is built and one 4 KiB shadow leaf maps
 * the page to its host page (guest large pages are split).  A gpa no slot
 * backs goes to the MMIO path of exit.c.
 *
 * Each shadow table page that mirrors a guest table records that table's
 * gfn and is hashed by it; such gfns are write-protected in every shadow
 * leaf (write-protection is applied when the first shadow page of a gfn
 * appears), so the shadows stay coherent with the guest's tables.  A guest
 * write to a protected gfn faults; its shadow pages then become "unsynced"
 * (kept, but no longer protecting it: no emulation, and no ping-pong when
 * the written table also maps the writing code), the page is mapped
 * writable and the write runs natively.  An unsynced page behaves as a
 * TLB: its entries may be stale until the guest invalidates them, at the
 * points where the architecture lets it rely on a changed present entry.
 * INVLPG drops the shadow translation of its one address (in every root,
 * when an unsynced page lies on its path; all of a split guest large
 * page); a CR3 load (or a CR0, CR4 or EFER write) drops every unsynced
 * page.  A not-present guest entry never has a shadow, and a fault through
 * an unsynced page re-checks the entries on its own path, so an entry made
 * present needs no invalidation.  Dirty tracking: a leaf is mapped
 * writable only once the guest's dirty bit is set, so the first write
 * faults and sets it.
 *
 * The shadow trees are private to their root (no sharing between address
 * spaces), roots are cached per guest CR3 and paging role, at most
 * LV_SHADOW_ROOTS, the least recently used unused one evicted.  Shadow
 * pages are bounded by LV_SHADOW_MAX_PAGES; at the bound every shadow is
 * dropped and rebuilt on demand.
 *
 * Everything runs under the VM's shadow spinlock, in exit handlers with
 * preemption off: allocations are GFP_ATOMIC.  After protecting or
 * dropping shadow entries the other vCPUs' TLBs are flushed (an IPI that
 * also makes them leave the guest) before the fault is handled again.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/io.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "../core/lv.h"
#include "../vmx/exit.h"
#include "../vmx/vmcs.h"
#include "shadow.h"

#define SPTE_P		BIT_ULL(0)
#define SPTE_W		BIT_ULL(1)
#define SPTE_U		BIT_ULL(2)
#define SPTE_A		BIT_ULL(5)
#define SPTE_D		BIT_ULL(6)
#define SPTE_NX		BIT_ULL(63)
#define SPTE_TABLE	(SPTE_P | SPTE_W | SPTE_U | SPTE_A)
#define LV_SP_DIRECT	(~0ULL)

/**
 * struct lv_sp - one shadow table page
 * @spt: the table the CPU walks
 * @child: levels 2-4: the shadow page behind each entry
 * @gfns: level 1: the gfn each entry maps
 * @parent: the table pointing here, NULL for a root
 * @gfn: the guest table this page mirrors, or LV_SP_DIRECT
 * @wmin: level 1: the gfns mapped writable lie in [@wmin, @wmax]
 * @wmax: see @wmin
 * @hash: in lv_shadow.by_gfn while @hashed
 * @link: in lv_shadow.pages
 * @idx: index of the entry in @parent
 * @level: 1 (4 KiB leaves) to 4
 * @hashed: in lv_shadow.by_gfn
 * @unsynced: the guest wrote @gfn since: not protecting it, maybe stale
 */
struct lv_sp {
	u64 *spt;
	union {
		struct lv_sp **child;
		u64 *gfns;
	};
	struct lv_sp *parent;
	u64 gfn;
	u64 wmin, wmax;
	struct hlist_node hash;
	struct list_head link;
	u16 idx;
	u8 level;
	bool hashed;
	bool unsynced;
};

/* ---- shadow pages -------------------------------------------------------- */

static struct lv_sp *sp_alloc(struct lv_shadow *sh, unsigned int level,
			      u64 gfn)
{
	gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN | __GFP_ACCOUNT;
	struct lv_sp *sp;

	if (sh->nr_pages >= LV_SHADOW_MAX_PAGES)
		return NULL;
	sp = kzalloc(sizeof(*sp), gfp);
	if (!sp)
		return NULL;
	/* roots below 4 GiB: a PAE CR3 has 32 bits */
	sp->spt = (u64 *)get_zeroed_page(gfp | (level >= 3 ? GFP_DMA32 : 0));
	sp->child = (void *)get_zeroed_page(gfp);
	if (!sp->spt || !sp->child) {
		free_page((unsigned long)sp->spt);
		free_page((unsigned long)sp->child);
		kfree(sp);
		return NULL;
	}
	sp->level = level;
	sp->gfn = gfn;
	sp->wmin = ~0ULL;
	list_add(&sp->link, &sh->pages);
	sh->nr_pages++;
	return sp;
}

static void sp_free(struct lv_shadow *sh, struct lv_sp *sp)
{
	unsigned int i;

	if (sp->level > 1)
		for (i = 0; i < 512; i++)
			if (sp->child[i])
				sp_free(sh, sp->child[i]);
	if (sp->hashed)
		hash_del(&sp->hash);
	list_del(&sp->link);
	free_page((unsigned long)sp->spt);
	free_page((unsigned long)sp->child);
	kfree(sp);
	sh->nr_pages--;
}

/* is there a shadow page of @gfn in state @unsynced? */
static bool gfn_state(struct lv_shadow *sh, u64 gfn, bool unsynced)
{
	struct lv_sp *sp;

	hash_for_each_possible(sh->by_gfn, sp, hash, gfn)
		if (sp->gfn == gfn && sp->unsynced == unsynced)
			return true;
	return false;
}

static bool gfn_protected(struct lv_shadow *sh, u64 gfn)
{
	return gfn_state(sh, gfn, false);
}

/* the guest writes @gfn: its shadow pages stop protecting it */
static void unsync_gfn(struct lv_shadow *sh, u64 gfn)
{
	struct lv_sp *sp;

	hash_for_each_possible(sh->by_gfn, sp, hash, gfn)
		if (sp->gfn == gfn)
			sp->unsynced = true;
	sh->maybe_unsynced = true;
}

/* take write access to @gfn away from every shadow leaf; true if any had it */
static bool write_protect(struct lv_shadow *sh, u64 gfn)
{
	bool changed = false;
	struct lv_sp *sp;
	unsigned int i;

	list_for_each_entry(sp, &sh->pages, link) {
		if (sp->level != 1 || gfn < sp->wmin || gfn > sp->wmax)
			continue;
		for (i = 0; i < 512; i++) {
			if ((sp->spt[i] & SPTE_W) && sp->gfns[i] == gfn) {
				sp->spt[i] &= ~SPTE_W;
				changed = true;
			}
		}
	}
	return changed;
}

/*
 * Hash @sp by its gfn: protected, unless the gfn's other shadow pages are
 * unsynced (the guest is writing that table).  True if TLBs must be
 * flushed (write access was taken away).
 */
static bool sp_protect(struct lv_shadow *sh, struct lv_sp *sp)
{
	bool first;

	if (sp->gfn == LV_SP_DIRECT || sp->hashed)
		return false;
	if (gfn_state(sh, sp->gfn, true)) {
		sp->unsynced = true;
		sh->maybe_unsynced = true;
		first = false;
	} else {
		first = !gfn_protected(sh, sp->gfn);
	}
	hash_add(sh->by_gfn, &sp->hash, sp->gfn);
	sp->hashed = true;
	return first && write_protect(sh, sp->gfn);
}

/* empty a root's table; it stays the root of its address space */
static void root_clear(struct lv_shadow *sh, struct lv_sp *sp)
{
	unsigned int i;

	for (i = 0; i < 512; i++) {
		if (sp->child[i])
			sp_free(sh, sp->child[i]);
		sp->child[i] = NULL;
		sp->spt[i] = 0;
	}
	if (sp->hashed) {
		hash_del(&sp->hash);
		sp->hashed = false;
	}
	sp->unsynced = false;
}

/* drop @sp: its entry in the parent and its subtree (a root is emptied) */
static void sp_zap(struct lv_shadow *sh, struct lv_sp *sp)
{
	if (!sp->parent) {
		root_clear(sh, sp);
		return;
	}
	sp->parent->spt[sp->idx] = 0;
	sp->parent->child[sp->idx] = NULL;
	sp_free(sh, sp);
}

/* drop every unsynced shadow page: the guest may have changed its table */
static bool zap_unsynced(struct lv_shadow *sh)
{
	struct lv_sp *sp;
	bool any = false;

	if (!sh->maybe_unsynced)
		return false;
again:
	list_for_each_entry(sp, &sh->pages, link) {
		if (sp->unsynced) {
			sp_zap(sh, sp);
			any = true;
			goto again;	/* the list changed */
		}
	}
	sh->maybe_unsynced = false;
	return any;
}

static void clear_all(struct lv_shadow *sh)
{
	unsigned int i;

	for (i = 0; i < LV_SHADOW_ROOTS; i++)
		if (sh->roots[i].sp)
			root_clear(sh, sh->roots[i].sp);
	sh->flushes++;
}

/* ---- guest page-table entries ---------------------------------------------- */

/**
 * lv_gpa_set_bits() - set bits in a guest page-table entry, atomically
 * @vm: the VM
 * @gpa: the entry's guest physical address (naturally aligned)
 * @size: 4 or 8 bytes
 * @old: the value the walk read
 * @bits: the bits to set (accessed, dirty)
 *
 * As the CPU does it: a locked compare-and-exchange, so a concurrent change
 * by another vCPU is never lost.  An entry in ROM or outside RAM is left
 * alone (the CPU's write would be lost too).
 *
 * Return: 0, or -EAGAIN if the entry no longer holds @old.
 */
int lv_gpa_set_bits(struct lv_vm *vm, u64 gpa, unsigned int size, u64 old,
		    u64 bits)
{
	struct lv_memslots *slots;
	struct lv_slot *s;
	int ret = 0;
	void *p;

	rcu_read_lock();
	slots = rcu_dereference(vm->slots);
	s = slots ? lv_slot_find(slots, gpa) : NULL;
	if (!s || (s->flags & LV_MEM_READONLY)) {
		rcu_read_unlock();
		return 0;
	}
	p = kmap_local_page(s->pages[(gpa - s->gpa) >> PAGE_SHIFT]);
	p += gpa & ~PAGE_MASK;
	if (size == 8) {
		u64 o = old;

		if (!try_cmpxchg((u64 *)p, &o, old | bits))
			ret = -EAGAIN;
	} else {
		u32 o = old;

		if (!try_cmpxchg((u32 *)p, &o, (u32)(old | bits)))
			ret = -EAGAIN;
	}
	kunmap_local(p);
	rcu_read_unlock();
	return ret;
}

/* ---- TLBs ------------------------------------------------------------------ */

static void flush_vpid(void *info)
{
	struct lv_vcpu *vcpu = info;

	if (vcpu->vpid)
		lv_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid);
}

/**
 * lv_shadow_flush_tlb() - drop the vCPU's cached translations on this CPU
 * @vcpu: the vCPU; preemption is off
 *
 * Without VPIDs every VM entry flushes them anyway.
 */
void lv_shadow_flush_tlb(struct lv_vcpu *vcpu)
{
	flush_vpid(vcpu);
}

/*
 * Flush every vCPU's translations; the IPI also makes a vCPU that is in
 * the guest now exit, which flushes without VPIDs.  Preemption is off and
 * interrupts on; no shadow lock is held.
 */
static void flush_all(struct lv_vm *vm)
{
	int i, cpu, self = smp_processor_id();

	for (i = 0; i < LV_MAX_VCPUS; i++) {
		struct lv_vcpu *v;

		rcu_read_lock();
		v = rcu_dereference(vm->vcpus[i]);
		cpu = v ? READ_ONCE(v->cpu) : -1;
		if (cpu == self)
			flush_vpid(v);
		else if (cpu >= 0)
			smp_call_function_single(cpu, flush_vpid, v, 1);
		rcu_read_unlock();
	}
}

/* ---- the fault --------------------------------------------------------------- */

static unsigned int sp_index(u64 gva, unsigned int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

/* the guest table a shadow page at @level mirrors, for this walk */
static u64 source_gfn(const struct lv_walk *w, unsigned int level)
{
	if (level < w->leaf || level > w->top)
		return LV_SP_DIRECT;
	return w->table[level] >> PAGE_SHIFT;
}

static int inject_pf(struct lv_vcpu *vcpu, u64 gva, u32 error)
{
	u32 idt = lv_vmread32(IDT_VECTORING_INFO_FIELD);

	/* a #PF while delivering another #PF is a double fault (SDM 6.15) */
	if ((idt & VECTORING_INFO_VALID_MASK) &&
	    (idt & VECTORING_INFO_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION) {
		u8 vec = idt & VECTORING_INFO_VECTOR_MASK;

		if (vec == X86_TRAP_DF) {
			vcpu->run->exit_reason = LV_EXIT_SHUTDOWN;
			return 0;
		}
		if (vec == X86_TRAP_PF) {
			lv_inject_exception(vcpu, X86_TRAP_DF, 0);
			return 1;
		}
	}
	vcpu->cr2 = gva;
	lv_inject_exception(vcpu, X86_TRAP_PF, error);
	return 1;
}

/* the host page behind @gpa: 0 and *mmio for memory no slot backs */
static u64 gpa_to_hpa(struct lv_vcpu *vcpu, u64 gpa, bool *readonly,
		      bool *mmio)
{
	u64 base = vcpu->apic_base;
	struct lv_memslots *slots;
	struct lv_slot *s;
	u64 hpa = 0;

	*mmio = true;
	*readonly = false;
	if ((base & MSR_IA32_APICBASE_ENABLE) && !(base & X2APIC_ENABLE) &&
	    (gpa & PAGE_MASK) == (base & MSR_IA32_APICBASE_BASE))
		return 0;
	rcu_read_lock();
	slots = rcu_dereference(vcpu->vm->slots);
	s = slots ? lv_slot_find(slots, gpa) : NULL;
	if (s) {
		hpa = page_to_phys(s->pages[(gpa - s->gpa) >> PAGE_SHIFT]);
		*readonly = s->flags & LV_MEM_READONLY;
		*mmio = false;
	}
	rcu_read_unlock();
	return hpa;
}

enum fix_result { FIX_DONE, FIX_RETRY, FIX_FLUSH_RETRY, FIX_MMIO,
		  FIX_NOMEM, FIX_NOROOT };

/* build the shadow path for @gva from walk @w and map its page */
static enum fix_result fix(struct lv_vcpu *vcpu, const struct lv_paging *pg,
			   u64 gva, unsigned int access,
			   const struct lv_walk *w, bool *flush_gva)
{
	struct lv_shadow *sh = vcpu->vm->shadow;
	struct lv_sroot *root = vcpu->sh.root;
	bool write = access & LV_WALK_WRITE, writable, user, readonly, mmio;
	bool flush = false;
	struct lv_sp *sp;
	unsigned int level, idx;
	u64 gfn = w->gpa >> PAGE_SHIFT, hpa, spte;

	if (!root || !root->sp)
		return FIX_NOROOT;
	hpa = gpa_to_hpa(vcpu, w->gpa, &readonly, &mmio);
	if (mmio || (readonly && write))
		return FIX_MMIO;

	sp = root->sp;
	flush |= sp_protect(sh, sp);
	for (level = sp->level; level > 1; level--) {
		struct lv_sp *c;
		u64 src = source_gfn(w, level - 1);

		idx = sp_index(gva, level);
		c = sp->child[idx];
		if (c && c->gfn != src) {
			sp_zap(sh, c);
			c = NULL;
			flush = true;
		}
		if (!c) {
			c = sp_alloc(sh, level - 1, src);
			if (!c)
				return FIX_NOMEM;
			c->parent = sp;
			c->idx = idx;
			sp->child[idx] = c;
			/* PAE PDPTEs have no access rights: bits 1 and 2 are reserved */
			sp->spt[idx] = __pa(c->spt) |
				       (!sp->parent && level == 3 ? SPTE_P : SPTE_TABLE);
			flush |= sp_protect(sh, c);
		}
		sp = c;
	}
	if (flush)
		return FIX_FLUSH_RETRY;

	writable = w->writable && !readonly;
	user = w->user;
	/* CR0.WP = 0: supervisor writes ignore R/W; map it supervisor-only */
	if (write && !(access & LV_WALK_USER) && !w->writable &&
	    !(pg->cr0 & X86_CR0_WP)) {
		writable = true;
		user = false;
	}
	if (!w->dirty)
		writable = false;	/* the first write must set D */
	if (writable && gfn_protected(sh, gfn)) {
		if (write) {
			unsync_gfn(sh, gfn);
			sh->zaps++;
		} else {
			writable = false;
		}
	}

	idx = sp_index(gva, 1);
	spte = hpa | SPTE_P | SPTE_A | (writable ? SPTE_W | SPTE_D : 0) |
	       (user ? SPTE_U : 0) | (w->exec ? 0 : SPTE_NX);
	if (sp->spt[idx] & SPTE_P)
		*flush_gva = true;
	sp->spt[idx] = spte;
	sp->gfns[idx] = gfn;
	if (writable) {
		sp->wmin = min(sp->wmin, gfn);
		sp->wmax = max(sp->wmax, gfn);
	}
	return FIX_DONE;
}

/**
 * lv_shadow_page_fault() - a #PF exit of a shadow VM
 * @vcpu: the vCPU
 *
 * Return: 1 to resume (the shadow now maps the page, or the guest gets its
 * #PF), 0 with the run structure filled (MMIO, shutdown, internal error).
 */
int lv_shadow_page_fault(struct lv_vcpu *vcpu)
{
	struct lv_shadow *sh = vcpu->vm->shadow;
	u64 gva = lv_vmread(EXIT_QUALIFICATION);
	u32 hw_error = lv_vmread32(VM_EXIT_INTR_ERROR_CODE);
	unsigned int access = hw_error & (LV_PF_WRITE | LV_PF_USER | LV_PF_FETCH);
	enum fix_result res = FIX_RETRY;
	bool flush_gva = false;
	struct lv_paging pg;
	struct lv_walk w;
	int tries;

	if (hw_error & LV_PF_RSVD) {
		lv_warn("vcpu %u: reserved bit in a shadow entry for gva 0x%llx\n",
			vcpu->id, gva);
		return lv_exit_internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT,
					      gva, hw_error);
	}
	lv_vmcs_paging(vcpu, &pg);
	if (!(access & LV_WALK_USER) &&
	    (lv_vmread(GUEST_RFLAGS) & X86_EFLAGS_AC))
		access |= LV_WALK_AC;

	for (tries = 0; tries < 8; tries++) {
		spin_lock(&sh->lock);
		if (!tries)
			sh->faults++;
		if (lv_walk_guest(vcpu->vm, &pg, gva, access, LV_WALK_SET_AD, &w)) {
			sh->injected++;
			spin_unlock(&sh->lock);
			return inject_pf(vcpu, gva, w.error);
		}
		res = fix(vcpu, &pg, gva, access, &w, &flush_gva);
		if (res == FIX_NOMEM)
			clear_all(sh);
		spin_unlock(&sh->lock);
		if (res == FIX_DONE || res == FIX_MMIO || res == FIX_NOROOT)
			break;
		flush_all(vcpu->vm);
	}
	switch (res) {
	case FIX_DONE:
		if (flush_gva)
			lv_shadow_flush_tlb(vcpu);
		return 1;
	case FIX_MMIO:
		return lv_exit_mmio(vcpu, w.gpa, access & LV_WALK_WRITE);
	default:
		lv_warn("vcpu %u: cannot build the shadow of gva 0x%llx (%s)\n",
			vcpu->id, gva, res == FIX_NOROOT ? "no root" :
			res == FIX_NOMEM ? "out of memory" : "no progress");
		return lv_exit_internal_error(vcpu, LV_INTERNAL_UNHANDLED_EXIT,
					      gva, hw_error);
	}
}

/*
 * Invalidate what the shadow tree of @sp holds for @gva, as INVLPG does in
 * a TLB.  Only what an unsynced page on the way may have kept stale goes:
 * a page that still protects its guest table follows every change of it.
 * The 4 KiB leaf of @gva is cleared (the next access faults and maps it
 * from the guest's tables); a guest large page (a direct page under a
 * guest table) is one translation for INVLPG: its split shadow goes
 * whole.  Return: true if shadow pages were freed.
 */
static bool invlpg_tree(struct lv_shadow *sh, struct lv_sp *sp, u64 gva)
{
	bool stale = sp->unsynced;
	struct lv_sp *c;
	unsigned int idx;

	for (; sp->level > 1; sp = c) {
		c = sp->child[sp_index(gva, sp->level)];
		if (!c)
			return false;
		if (c->gfn == LV_SP_DIRECT && sp->gfn != LV_SP_DIRECT) {
			if (!stale)
				return false;
			sp_zap(sh, c);
			return true;
		}
		stale |= c->unsynced;
	}
	idx = sp_index(gva, 1);
	if (stale)
		sp->spt[idx] = 0;
	return false;
}

/**
 * lv_shadow_invlpg() - the guest invalidates one page (INVLPG exit)
 * @vcpu: the vCPU
 *
 * The shadow entries of protected guest tables follow every write to them;
 * an unsynced shadow page may hold stale entries, as a TLB may, until the
 * guest invalidates them: INVLPG drops the shadow translation of its
 * address in every root (unsynced pages stay, with their other entries,
 * until the next CR3 load), and the vCPU's cached translations go.
 *
 * Return: 1.
 */
int lv_shadow_invlpg(struct lv_vcpu *vcpu)
{
	struct lv_shadow *sh = vcpu->vm->shadow;
	u64 gva = lv_vmread(EXIT_QUALIFICATION);
	bool freed = false;
	unsigned int i;

	spin_lock(&sh->lock);
	if (sh->maybe_unsynced)
		for (i = 0; i < LV_SHADOW_ROOTS; i++)
			if (sh->roots[i].sp)
				freed |= invlpg_tree(sh, sh->roots[i].sp, gva);
	spin_unlock(&sh->lock);
	if (freed)
		flush_all(vcpu->vm);
	else
		lv_shadow_flush_tlb(vcpu);
	return lv_skip_insn(vcpu);
}

/* ---- roots -------------------------------------------------------------------- */

static u32 role_of(const struct lv_paging *pg, unsigned int mode)
{
	return mode | (pg->cr0 & X86_CR0_WP ? BIT(4) : 0) |
	       (pg->efer & EFER_NX ? BIT(5) : 0) |
	       (pg->cr4 & X86_CR4_PSE ? BIT(6) : 0);
}

static u64 cr3_key(const struct lv_paging *pg, unsigned int mode)
{
	switch (mode) {
	case LV_PAGING_4LEVEL:
		return pg->cr3 & GENMASK_ULL(51, 12);
	case LV_PAGING_PAE:
		return pg->cr3 & 0xffffffe0;
	case LV_PAGING_32:
		return pg->cr3 & 0xfffff000;
	}
	return 0;
}

/**
 * lv_shadow_load_root() - point the VMCS at the shadow of the guest's CR3
 * @vcpu: the vCPU, VMCS current, guest paging on or protected mode
 *
 * A cached root of the same CR3, role and (PAE paging) loaded PDPTEs is
 * reused as it is; otherwise the least recently used root no vCPU runs on
 * makes room.  The vCPU's translations are flushed, as the guest's MOV to
 * CR3 would.
 */
void lv_shadow_load_root(struct lv_vcpu *vcpu)
{
	struct lv_shadow *sh = vcpu->vm->shadow;
	struct lv_sroot *r, *found = NULL, *victim = NULL;
	struct lv_paging pg;
	unsigned int mode, i;
	bool flush = false;
	u32 role;
	u64 key;

	lv_vmcs_paging(vcpu, &pg);
	mode = lv_paging_mode(&pg);
	role = role_of(&pg, mode);
	key = cr3_key(&pg, mode);

	spin_lock(&sh->lock);
	flush = zap_unsynced(sh);
	for (i = 0; i < LV_SHADOW_ROOTS; i++) {
		r = &sh->roots[i];
		if (r->sp && r->cr3 == key && r->role == role &&
		    (mode != LV_PAGING_PAE || !memcmp(r->pdpte, pg.pdpte, sizeof(r->pdpte)))) {
			found = r;
			break;
		}
		if (r->users)
			continue;
		if (!victim || !r->sp || (victim->sp && r->last_use < victim->last_use))
			victim = r;
	}
	if (!found && victim) {
		if (victim->sp)
			sp_free(sh, victim->sp);
		victim->sp = sp_alloc(sh, mode == LV_PAGING_4LEVEL ? 4 : 3,
				      mode == LV_PAGING_4LEVEL ? key >> PAGE_SHIFT :
				      LV_SP_DIRECT);
		if (!victim->sp) {
			clear_all(sh);
			victim->sp = sp_alloc(sh, mode == LV_PAGING_4LEVEL ? 4 : 3,
					      mode == LV_PAGING_4LEVEL ?
					      key >> PAGE_SHIFT : LV_SP_DIRECT);
		}
		if (victim->sp) {
			victim->cr3 = key;
			victim->role = role;
			if (mode == LV_PAGING_PAE)
				memcpy(victim->pdpte, pg.pdpte, sizeof(victim->pdpte));
			flush |= sp_protect(sh, victim->sp);
			found = victim;
		}
	}
	if (vcpu->sh.root != found) {
		if (vcpu->sh.root)
			vcpu->sh.root->users--;
		if (found)
			found->users++;
		vcpu->sh.root = found;
	}
	if (found)
		found->last_use = ++sh->clock;
	vcpu->sh.hw_mode = mode;
	spin_unlock(&sh->lock);

	if (!found)
		lv_warn("vcpu %u: no shadow root for CR3 0x%llx (out of memory)\n",
			vcpu->id, pg.cr3);
	lv_vmwrite(GUEST_CR3, found ? __pa(found->sp->spt) : __pa(sh->zero_page));
	if (flush)
		flush_all(vcpu->vm);
	else
		lv_shadow_flush_tlb(vcpu);
}

/* ---- life cycle --------------------------------------------------------------- */

/**
 * lv_shadow_vm_init() - give a shadow VM its (empty) shadow MMU
 * @vm: the new VM
 *
 * Return: 0 or -ENOMEM.
 */
int lv_shadow_vm_init(struct lv_vm *vm)
{
	struct lv_shadow *sh = kzalloc(sizeof(*sh), GFP_KERNEL_ACCOUNT);

	if (!sh)
		return -ENOMEM;
	sh->zero_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT | GFP_DMA32);
	if (!sh->zero_page) {
		kfree(sh);
		return -ENOMEM;
	}
	spin_lock_init(&sh->lock);
	INIT_LIST_HEAD(&sh->pages);
	hash_init(sh->by_gfn);
	vm->shadow = sh;
	return 0;
}

/**
 * lv_shadow_vm_destroy() - free every shadow table of a dying VM
 * @vm: the VM, which no vCPU runs any more
 */
void lv_shadow_vm_destroy(struct lv_vm *vm)
{
	struct lv_shadow *sh = vm->shadow;
	unsigned int i;

	if (!sh)
		return;
	for (i = 0; i < LV_SHADOW_ROOTS; i++)
		if (sh->roots[i].sp)
			sp_free(sh, sh->roots[i].sp);
	WARN_ON_ONCE(sh->nr_pages);
	free_page((unsigned long)sh->zero_page);
	kfree(sh);
	vm->shadow = NULL;
}

/**
 * lv_shadow_drop_all() - forget every shadow entry (a slot changed)
 * @vm: the VM; called with vm->lock held, after the new slots are
 *	published and before removed pages are unpinned
 */
void lv_shadow_drop_all(struct lv_vm *vm)
{
	struct lv_shadow *sh = vm->shadow;

	if (!sh)
		return;
	spin_lock(&sh->lock);
	clear_all(sh);
	spin_unlock(&sh->lock);
	preempt_disable();
	flush_all(vm);
	preempt_enable();
}

/**
 * lv_shadow_vcpu_destroy() - a vCPU goes: its root may be evicted again
 * @vcpu: the vCPU
 */
void lv_shadow_vcpu_destroy(struct lv_vcpu *vcpu)
{
	struct lv_shadow *sh = vcpu->vm->shadow;

	if (!sh)
		return;
	spin_lock(&sh->lock);
	if (vcpu->sh.root)
		vcpu->sh.root->users--;
	vcpu->sh.root = NULL;
	spin_unlock(&sh->lock);
}

/**
 * lv_shadow_stats() - the shadow MMU's counters for LV_GET_VM_STATS
 * @vm: the VM
 * @st: filled in (shadow fields only)
 */
void lv_shadow_stats(struct lv_vm *vm, struct lv_vm_stats *st)
{
	struct lv_shadow *sh = vm->shadow;
	unsigned int i;

	if (!sh)
		return;
	spin_lock(&sh->lock);
	for (i = 0; i < LV_SHADOW_ROOTS; i++)
		st->shadow_roots += !!sh->roots[i].sp;
	st->shadow_pages = sh->nr_pages;
	st->shadow_faults = sh->faults;
	st->shadow_injected = sh->injected;
	st->shadow_zaps = sh->zaps;
	spin_unlock(&sh->lock);
}
