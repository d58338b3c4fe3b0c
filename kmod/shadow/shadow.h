/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow page tables (LV_VM_SHADOW): the CPU walks tables the module builds
 * from the guest's own, mapping guest-virtual straight to host-physical.
 * See kmod/shadow/README.md for the design.
 */
#ifndef LV_SHADOW_H
#define LV_SHADOW_H

#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/vmx.h>

struct lv_vm;
struct lv_vcpu;
struct lv_sp;
struct lv_vm_stats;

/* roots kept per VM: one per vCPU in use plus recent address spaces */
#define LV_SHADOW_ROOTS		16
/* shadow table pages per VM before everything is dropped and rebuilt */
#define LV_SHADOW_MAX_PAGES	4096

/**
 * struct lv_sroot - one cached shadow address space
 * @sp: its top table (NULL: the entry is free)
 * @cr3: the guest CR3 it shadows (address bits only)
 * @role: paging mode and the control bits the shadow entries depend on
 * @pdpte: PAE paging: the guest PDPTEs it was built from (part of the key)
 * @last_use: for choosing the least recently used root to evict
 * @users: vCPUs running on it now (never evicted while non-zero)
 */
struct lv_sroot {
	struct lv_sp *sp;
	u64 cr3;
	u32 role;
	u64 pdpte[4];
	u64 last_use;
	int users;
};

/**
 * struct lv_shadow - a VM's shadow MMU
 * @lock: every shadow table, root and counter below
 * @roots: the cache of shadow roots
 * @pages: every shadow table page of the VM
 * @by_gfn: shadow pages that shadow a guest table, by its gfn: those gfns
 *	are write-protected in every shadow leaf
 * @nr_pages: shadow table pages allocated
 * @clock: use counter for @roots
 * @faults: #PF exits handled (fixed or injected)
 * @injected: of those, page faults given to the guest
 * @zaps: guest writes to its protected page tables (which unsynced them)
 * @flushes: drops of every shadow (slot changes, the page bound)
 * @zero_page: an empty table (below 4 GiB) for a vCPU without a root
 * @maybe_unsynced: some shadow page may be unsynced (shadow.c)
 */
struct lv_shadow {
	spinlock_t lock;	/* all of struct lv_shadow */
	struct lv_sroot roots[LV_SHADOW_ROOTS];
	struct list_head pages;
	DECLARE_HASHTABLE(by_gfn, 10);
	unsigned long nr_pages;
	u64 clock;
	u64 faults, injected, zaps, flushes;
	void *zero_page;
	bool maybe_unsynced;
};

/**
 * struct lv_shadow_vcpu - a vCPU's shadow-paging state
 * @msrs: without the EFER/PAT VM-entry and VM-exit controls: guest EFER
 *	and PAT (loaded at entry, stored at exit), then the host's (loaded
 *	at exit)
 * @cr3: the guest's CR3 as it wrote it
 * @root: the root in use, or NULL
 * @hw_mode: the guest paging mode the current root was chosen for
 */
struct lv_shadow_vcpu {
	struct vmx_msr_entry msrs[4];
	u64 cr3;
	struct lv_sroot *root;
	u32 hw_mode;
};

/* shadow.c: the shadow tables */
int lv_shadow_vm_init(struct lv_vm *vm);
void lv_shadow_vm_destroy(struct lv_vm *vm);
void lv_shadow_drop_all(struct lv_vm *vm);
int lv_shadow_page_fault(struct lv_vcpu *vcpu);
int lv_shadow_invlpg(struct lv_vcpu *vcpu);
void lv_shadow_load_root(struct lv_vcpu *vcpu);
void lv_shadow_vcpu_destroy(struct lv_vcpu *vcpu);
void lv_shadow_stats(struct lv_vm *vm, struct lv_vm_stats *st);

/* shadow-vcpu.c: control registers, VMCS state */
void lv_shadow_controls(struct lv_vcpu *vcpu);
void lv_shadow_update(struct lv_vcpu *vcpu, bool from_guest);
u64 lv_shadow_guest_cr3(struct lv_vcpu *vcpu);
int lv_shadow_set_cr3(struct lv_vcpu *vcpu, u64 cr3, bool from_guest);
void lv_shadow_flush_tlb(struct lv_vcpu *vcpu);

#endif /* LV_SHADOW_H */
