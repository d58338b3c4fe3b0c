/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labvisor core objects: the VM, its memory slots and its vCPUs.
 *
 * Ownership: a VM lives while its fd or any of its vCPU fds is open (each
 * vCPU holds a reference).  Slots belong to the VM and are published with
 * RCU so exit handlers can read guest memory without taking a lock; the VM
 * mutex serialises slot changes and vCPU creation.  A vCPU belongs to the
 * thread that calls LV_RUN on it; its mutex serialises its ioctls.
 */
#ifndef LV_CORE_H
#define LV_CORE_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/list.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/jump_label.h>
#include <asm/fpu/api.h>
#include <uapi/linux/labvisor.h>

#include "../vmx/vmx.h"
#include "../ept/ept.h"
#include "../shadow/shadow.h"
#include "lapic.h"
#include "stats.h"
#include "../vmx/policy.h"
#include "../vmx/vm86.h"

#define LV_MAX_VCPUS		8
#define LV_HOOK_MAX_RANGES	8
#define LV_MAX_SLOTS		32
#define LV_RUN_IO_DATA_OFFSET	512
#define LV_RUN_IO_DATA_MAX	(PAGE_SIZE - LV_RUN_IO_DATA_OFFSET)
#define LV_DR6			4
#define LV_DR7			5

/* Rate-limited report of a caller's or a guest's mistake. */
#define lv_warn(fmt, ...) pr_warn_ratelimited("labvisor: " fmt, ##__VA_ARGS__)

/**
 * struct lv_slot - one memory slot: guest physical range backed by pinned
 *	user pages
 * @id: slot number
 * @flags: LV_MEM_* bits
 * @gpa: first guest physical address
 * @npages: number of 4 KiB pages
 * @uaddr: user address the pages came from
 * @pages: the pinned pages
 */
struct lv_slot {
	u32 id;
	u32 flags;
	u64 gpa;
	u64 npages;
	u64 uaddr;
	struct page **pages;
};

/**
 * struct lv_memslots - an immutable set of slots, replaced as a whole
 * @rcu: for freeing after a grace period
 * @nr: number of valid entries in @slot
 * @slot: the slots, unordered
 */
struct lv_memslots {
	struct rcu_head rcu;
	int nr;
	struct lv_slot *slot[LV_MAX_SLOTS];
};

/**
 * struct lv_wp_range - guest-physical range write-protected for the hook
 * @gpa: first address
 * @len: bytes
 */
struct lv_wp_range {
	u64 gpa;
	u64 len;
};

/**
 * struct lv_vm - a virtual machine
 * @kref: held by the VM fd and by each vCPU
 * @lock: serialises slot changes and vCPU creation
 * @mode: LV_VM_EPT or LV_VM_SHADOW
 * @slots: current slot set (RCU)
 * @ept: the EPT hierarchy built from the slots
 * @shadow: LV_VM_SHADOW: the shadow MMU (kmod/shadow), else NULL
 * @vcpus: created vCPUs, by id (RCU: interrupt delivery reads them)
 * @nr_vcpus: number of created vCPUs
 * @ioeventfds: doorbells (kmod/virtio/ioeventfd.c), RCU list
 * @irqfds: interrupt eventfds (kmod/virtio/irqfd.c)
 * @irqfd_lock: protects @irqfds
 * @counters: fast-path and exit counters (LV_GET_VM_STATS)
 * @policy: the VM's exit policy (RCU; NULL: the defaults)
 * @cpuid_overrides: LV_SET_CPUID table (RCU)
 * @msr_overrides: LV_SET_MSR_OVERRIDES table (RCU)
 * @wp: ranges lv_hook_protect_gpa() protected (appended under @lock)
 * @nr_wp: entries of @wp in use
 * @pid: the process that created the VM
 * @debugfs: the VM's debugfs directory
 * @vtd: DMA domain of the devices assigned to the VM (kmod/vtd), or NULL
 * @vm86_tss: LV_SET_TSS_ADDR: guest-physical address of the real-mode TSS, or 0
 */
struct lv_vm {
	struct kref kref;
	struct mutex lock;	/* slots, vCPU creation, ioeventfds */
	u32 mode;
	struct lv_memslots __rcu *slots;
	struct lv_ept ept;
	struct lv_shadow *shadow;
	struct lv_vcpu __rcu *vcpus[LV_MAX_VCPUS];
	int nr_vcpus;
	struct list_head ioeventfds;
	struct list_head irqfds;
	spinlock_t irqfd_lock;	/* irqfds */
	struct {
		atomic64_t ioeventfd_signals;
		atomic64_t irqfd_injections;
		atomic64_t user_exits;
	} counters;
	struct lv_exit_policy __rcu *policy;
	struct lv_cpuid_overrides __rcu *cpuid_overrides;
	struct lv_msr_overrides __rcu *msr_overrides;
	struct lv_wp_range wp[LV_HOOK_MAX_RANGES];
	unsigned int nr_wp;
	pid_t pid;
	struct dentry *debugfs;
	struct lv_vtd_domain *vtd;
	u64 vm86_tss;
};

/* lv_vcpu.events: what other CPUs ask of a vCPU (atomic bits) */
#define LV_EV_NMI		0
#define LV_EV_INIT		1
#define LV_EV_SIPI		2
#define LV_EV_POLICY		3	/* apply the exit policy (policy.c) */

/* lv_vcpu.mode: whether a kick needs an IPI */
#define LV_MODE_OUTSIDE		0
#define LV_MODE_IN_GUEST	1

/* lv_vcpu.mp_state */
enum lv_mp_state {
	LV_MP_RUNNABLE,
	LV_MP_HALTED,		/* HLT: sleeps until an interrupt it can take */
	LV_MP_WAIT_SIPI,	/* an AP after INIT: sleeps until SIPI */
};

/* What the next LV_RUN must finish before it enters the guest. */
enum lv_pending {
	LV_PENDING_NONE,
	LV_PENDING_IO_IN,	/* IN: load the data into RAX, skip */
	LV_PENDING_STRING_IN,	/* INS: store the data to guest memory */
	LV_PENDING_MMIO_READ,	/* read from MMIO: load into a register, skip */
	LV_PENDING_HYPERCALL,	/* LV_HC_USER: result into RAX */
	LV_PENDING_FORWARDED,	/* LV_EXIT_VMX: as run->vmx.action says */
};

/**
 * struct lv_vcpu - a virtual CPU, with its VMCS
 * @regs: guest GPRs (RSP lives in the VMCS); first, for the entry code
 * @vm: the VM (referenced)
 * @id: vCPU id
 * @mutex: serialises the vCPU's ioctls
 * @run: the shared run structure (one page, mmap-able)
 * @vmcs: this vCPU's VMCS region
 * @cpu: host CPU whose VMCS cache holds @vmcs, or -1
 * @launched: VMLAUNCH done since the last VMCLEAR
 * @vpid: VPID, 0 if none
 * @loaded_list: entry on the per-CPU list of VMCSs loaded there
 * @guest_fpu: guest FPU/XSAVE state
 * @host_cr3: HOST_CR3 currently in the VMCS; likewise @host_cr4
 * @host_cr4: HOST_CR4 currently in the VMCS
 * @cr2: guest CR2 (not part of the VMCS)
 * @xcr0: guest XCR0
 * @efer: guest IA32_EFER
 * @pdpte: PAE paging: the PDPTEs the guest's CPU translates with.  A
 *	shadow VM's are kept here (loaded where the CPU loads them); an EPT
 *	VM's live in the VMCS and are read into here by lv_vmcs_paging()
 * @apic_base: IA32_APIC_BASE as the guest sees it
 * @msr: guest values of MSRs switched in software
 * @host_kernel_gs_base: the host's MSR_KERNEL_GS_BASE while the guest's
 *	is loaded
 * @dr: guest DR0-3, DR6, DR7 (MOV DR is emulated against these)
 * @pending: what the next LV_RUN completes first
 * @pend: parameters of @pending
 * @l1d_flush: flush L1D before the next VM entry
 * @stats: exit counts
 * @lapic: the local APIC
 * @wq: the vCPU sleeps here in HLT and while waiting for SIPI
 * @events: LV_EV_* bits set by other CPUs
 * @sipi_vector: vector of the last SIPI
 * @mode: LV_MODE_*: in the guest or not, for lv_vcpu_kick()
 * @mp_state: runnable, halted or waiting for SIPI
 * @halt_if: RFLAGS.IF when the vCPU halted
 * @extint: vector from LV_INTERRUPT waiting for injection, or -1
 * @proc_ctl: the primary processor-based controls in the VMCS
 * @clock: exit statistics and the exit being timed
 * @trace: the exit trace ring, if enabled
 * @debugfs: the vCPU's debugfs directory
 * @policy: the vCPU's own exit policy, if @has_policy
 * @has_policy: LV_SET_EXIT_POLICY set one on this vCPU
 * @forward: exit reasons that go to user space raw (from the policy)
 * @cpuid_fastpath: CPUID exits may take the fast path (not forwarded)
 * @msr_bitmap: this vCPU's MSR bitmap (policy.c)
 * @sh: LV_VM_SHADOW: the guest's CR3, its shadow root, the MSR areas
 * @vm86: LV_VM_SHADOW: real mode in virtual-8086 mode (vmx/vm86.c)
 */
struct lv_vcpu {
	unsigned long regs[LV_NR_REGS];
	struct lv_vm *vm;
	u32 id;
	struct mutex mutex;	/* one ioctl at a time */
	struct lv_run *run;
	void *vmcs;
	int cpu;
	bool launched;
	u16 vpid;
	struct list_head loaded_list;
	struct fpu_guest guest_fpu;
	unsigned long host_cr3, host_cr4;
	unsigned long cr2;
	u64 xcr0;
	u64 efer;
	u64 pdpte[4];
	u64 apic_base;
	struct {
		u64 star, lstar, cstar, sfmask, kernel_gs_base;
		u64 tsc_aux, misc_enable, tsc_adjust;
	} msr;
	u64 host_kernel_gs_base;
	unsigned long dr[6];
	enum lv_pending pending;
	struct {
		u64 gva;	/* STRING_IN: first element */
		u32 count;	/* STRING_IN: elements */
		u8 size;	/* IO_IN, STRING_IN, MMIO_READ: bytes */
		u8 reg;		/* MMIO_READ: destination register */
		u8 dst_size;	/* MMIO_READ: destination operand size */
		u8 extend;	/* MMIO_READ: LV_EXT_* */
		bool high8;	/* MMIO_READ: AH..BH */
		bool down;	/* STRING_IN: EFLAGS.DF was set */
		bool rep;	/* STRING_IN: REP prefix */
		u8 addr_size;	/* STRING_IN: address size in bytes */
		u8 len;		/* instruction length to skip */
		u16 reason;	/* FORWARDED: basic exit reason */
	} pend;
	bool l1d_flush;
	struct lv_vcpu_stats stats;
	struct lv_lapic lapic;
	wait_queue_head_t wq;
	unsigned long events;
	u8 sipi_vector;
	int mode;
	enum lv_mp_state mp_state;
	bool halt_if;
	int extint;
	u32 proc_ctl;
	struct lv_exit_clock clock;
	struct lv_trace trace;
	struct dentry *debugfs;
	struct lv_exit_policy policy;
	bool has_policy;
	u64 forward[2];
	bool cpuid_fastpath;
	unsigned long *msr_bitmap;
	struct lv_shadow_vcpu sh;
	struct lv_vm86 vm86;
};

/* the VM maps guest memory with shadow page tables */
static inline bool lv_is_shadow(const struct lv_vcpu *vcpu)
{
	return vcpu->vm->mode == LV_VM_SHADOW;
}

/* main.c */
extern u64 lv_host_xcr0;
extern bool lv_have_vmx;

/* hook.c: the experiment hook API (hook.h) */
DECLARE_STATIC_KEY_FALSE(lv_hook_active);
int lv_hook_slot_mapped(struct lv_vm *vm, const struct lv_slot *s);
bool lv_hook_protected(struct lv_vcpu *vcpu, u64 gpa, unsigned int len);
int lv_hook_call_exit(struct lv_vcpu *vcpu, u16 reason);
void lv_hook_vm_event(struct lv_vm *vm, bool created);

/* vm.c */
int lv_vm_create(u32 mode);
void lv_vm_put(struct lv_vm *vm);

/* vcpu.c */
int lv_vcpu_create(struct lv_vm *vm, unsigned long id);

/* memory.c: guest physical memory through the slots */
struct lv_slot *lv_slot_find(struct lv_memslots *slots, u64 gpa);
int lv_gpa_read(struct lv_vm *vm, u64 gpa, void *buf, unsigned int len);
int lv_gpa_write(struct lv_vm *vm, u64 gpa, const void *buf, unsigned int len);
int lv_set_memory_region(struct lv_vm *vm, const struct lv_memory_region *r);
void lv_memslots_free(struct lv_vm *vm);

/* paging.c: guest linear -> guest physical */

/**
 * struct lv_paging - the guest state a page walk depends on
 * @cr0: guest CR0 (as the guest sees it)
 * @cr3: guest CR3
 * @cr4: guest CR4
 * @efer: guest IA32_EFER
 * @pdpte: PAE paging: the four PDPTEs the CPU loaded (at the last CR3 load
 *	or CR0/CR4 write that loads them), or NULL to read them from memory
 */
struct lv_paging {
	u64 cr0, cr3, cr4, efer;
	const u64 *pdpte;
};

#define LV_WALK_WRITE	BIT(1)
#define LV_WALK_USER	BIT(2)
#define LV_WALK_FETCH	BIT(4)
#define LV_WALK_AC	BIT(8)	/* supervisor access with RFLAGS.AC: no SMAP */

/* lv_walk_guest() flags */
#define LV_WALK_SET_AD	BIT(0)

/* #PF error code bits */
#define LV_PF_P		BIT(0)
#define LV_PF_WRITE	BIT(1)
#define LV_PF_USER	BIT(2)
#define LV_PF_RSVD	BIT(3)
#define LV_PF_FETCH	BIT(4)

/* lv_paging_mode() */
#define LV_PAGING_NONE		0
#define LV_PAGING_32		1
#define LV_PAGING_PAE		2
#define LV_PAGING_4LEVEL	3

#define LV_WALK_LEVELS	4

/**
 * struct lv_walk - the result of a guest page walk
 * @gpa: the translation of the address walked
 * @table: gpa of the guest table read at each level (index 1..@top)
 * @mode: LV_PAGING_*
 * @top: highest level with a table in guest memory (0 without paging;
 *	2 for 32-bit and PAE paging, whose PDPTEs live in CR3's page)
 * @leaf: level of the entry that mapped the page (1, or 2-3 for large pages)
 * @user: every level allows user access
 * @writable: every level allows writes
 * @exec: no level forbids execution
 * @dirty: the leaf entry's dirty bit (after the walk set it)
 * @global: the leaf entry's global bit
 * @error: #PF error code when the walk failed
 */
struct lv_walk {
	u64 gpa;
	u64 table[LV_WALK_LEVELS + 1];
	u8 mode, top, leaf;
	bool user, writable, exec, dirty, global;
	u32 error;
};

int lv_gpa_set_bits(struct lv_vm *vm, u64 gpa, unsigned int size, u64 old,
		    u64 bits);
unsigned int lv_paging_mode(const struct lv_paging *pg);
int lv_pae_load_pdptes(struct lv_vm *vm, u64 cr3, u64 *pdpte);
bool lv_paging_check(const struct lv_paging *pg, unsigned int access,
		     bool user, bool writable, bool exec);
u32 lv_paging_error(const struct lv_paging *pg, unsigned int access,
		    bool present, bool rsvd);
int lv_walk_guest(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		  unsigned int access, unsigned int flags, struct lv_walk *w);
int lv_gva_to_gpa(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		  unsigned int access, u64 *gpa, u32 *pf_error);
int lv_gva_read(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		void *buf, unsigned int len, unsigned int access, u64 *fault_gva,
		u32 *pf_error);
int lv_gva_write(struct lv_vm *vm, const struct lv_paging *pg, u64 gva,
		 const void *buf, unsigned int len, unsigned int access,
		 u64 *fault_gva, u32 *pf_error);

#endif /* LV_CORE_H */
