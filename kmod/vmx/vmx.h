/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labvisor VMX driver: the instructions, the capabilities read once at
 * module load, and the interface the core (kmod/core) calls.
 *
 * VMCS field encodings and control bits come from the kernel's <asm/vmx.h>.
 */
#ifndef LV_VMX_H
#define LV_VMX_H

#include <linux/types.h>
#include <linux/bug.h>
#include <asm/vmx.h>

struct lv_vcpu;
struct lv_vm;

/* architectural fixed bits of DR6 and DR7 */
#define LV_DR6_FIXED_1	0xfffe0ff0UL
#define LV_DR7_FIXED_1	0x400UL

/**
 * struct lv_vmx_caps - what the CPU offers, derived once at module load
 * @basic: IA32_VMX_BASIC
 * @ept_vpid: IA32_VMX_EPT_VPID_CAP (0 without secondary controls)
 * @misc: IA32_VMX_MISC
 * @cr0_fixed0: IA32_VMX_CR0_FIXED0; likewise the other fixed MSRs
 * @cr0_fixed1: IA32_VMX_CR0_FIXED1
 * @cr4_fixed0: IA32_VMX_CR4_FIXED0
 * @cr4_fixed1: IA32_VMX_CR4_FIXED1
 * @pin: pin-based controls every VMCS uses
 * @proc: primary processor-based controls
 * @proc2: secondary processor-based controls
 * @exit: VM-exit controls
 * @entry: VM-entry controls (without IA-32e mode guest, set per guest)
 * @has_ept: EPT with 4-level walks and write-back tables is usable
 * @has_ept_2m: EPT 2 MiB pages
 * @has_vpid: VPID and INVVPID single-context or all-context
 * @has_ug: unrestricted guest
 * @has_ins_outs_info: VM exits for INS/OUTS report instruction information
 * @has_efer_pat: VM entry and exit load and save IA32_EFER and IA32_PAT
 * @preemption_timer: VMX-preemption timer value loaded at every entry
 *	(0: timer off)
 * @vmcs_size: bytes of a VMCS region
 * @revision: VMCS revision identifier
 */
struct lv_vmx_caps {
	u64 basic;
	u64 ept_vpid;
	u64 misc;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u32 pin, proc, proc2, exit, entry;
	bool has_ept, has_ept_2m, has_vpid, has_ug, has_ins_outs_info;
	bool has_efer_pat;
	u32 preemption_timer;
	u32 vmcs_size;
	u32 revision;
};

extern struct lv_vmx_caps lv_vmx;

/* ---- VMX instructions ------------------------------------------------- */

/*
 * VMREAD and VMWRITE fail only when no VMCS is current or the field does
 * not exist: both are bugs in this module, reported once by the _error()
 * helpers and otherwise ignored, as the hardware leaves state unchanged.
 */
void lv_vmread_error(unsigned long field);
void lv_vmwrite_error(unsigned long field, unsigned long value);

static __always_inline unsigned long lv_vmread(unsigned long field)
{
	unsigned long value;
	bool fail;

	asm volatile("vmread %[field], %[value]"
		     : [value] "=r" (value), "=@ccna" (fail)
		     : [field] "r" (field)
		     : "memory");
	if (unlikely(fail)) {
		lv_vmread_error(field);
		value = 0;
	}
	return value;
}

/*
 * The exit fast path's VMREAD and VMWRITE: for the basic exit-information
 * and guest-state fields every VMX CPU has, of the VMCS current while the
 * vCPU is loaded.  Neither failure case can occur there, so there is no
 * check: no branch, and no error call that would make the fast path's
 * functions save registers.
 */
static __always_inline unsigned long lv_vmread_nocheck(unsigned long field)
{
	unsigned long value;

	asm volatile("vmread %[field], %[value]"
		     : [value] "=r" (value)
		     : [field] "r" (field)
		     : "cc", "memory");
	return value;
}

static __always_inline void lv_vmwrite_nocheck(unsigned long field,
					       unsigned long value)
{
	asm volatile("vmwrite %[value], %[field]"
		     : : [field] "r" (field), [value] "rm" (value)
		     : "cc", "memory");
}

static __always_inline u16 lv_vmread16(unsigned long field)
{
	return lv_vmread(field);
}

static __always_inline u32 lv_vmread32(unsigned long field)
{
	return lv_vmread(field);
}

static __always_inline u64 lv_vmread64(unsigned long field)
{
	return lv_vmread(field);
}

static __always_inline void lv_vmwrite(unsigned long field, unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %[value], %[field]"
		     : "=@ccna" (fail)
		     : [field] "r" (field), [value] "rm" (value)
		     : "memory");
	if (unlikely(fail))
		lv_vmwrite_error(field, value);
}

static inline int lv_vmclear(u64 hpa)
{
	bool fail;

	asm volatile("vmclear %[pa]" : "=@ccna" (fail) : [pa] "m" (hpa) : "memory");
	return fail ? -EIO : 0;
}

static inline int lv_vmptrld(u64 hpa)
{
	bool fail;

	asm volatile("vmptrld %[pa]" : "=@ccna" (fail) : [pa] "m" (hpa) : "memory");
	return fail ? -EIO : 0;
}

static inline void lv_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static inline void lv_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm volatile("invvpid %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/* The guest GPRs the entry code loads and saves, in x86 encoding order. */
enum lv_reg {
	LV_RAX, LV_RCX, LV_RDX, LV_RBX, LV_RSP, LV_RBP, LV_RSI, LV_RDI,
	LV_R8, LV_R9, LV_R10, LV_R11, LV_R12, LV_R13, LV_R14, LV_R15,
	LV_NR_REGS
};

/* vmenter.S: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed */
int lv_vmx_enter(unsigned long *regs, int launched);
void lv_vmx_exit_entry(void);

/* vmx.c: VMX root on every CPU */
int lv_vmx_init(void);
void lv_vmx_exit(void);
const struct cpumask *lv_vmx_cpus(void);
void lv_vmx_invept_all(void);
int lv_vmx_vpid_alloc(void);
void lv_vmx_vpid_free(int vpid);
void lv_vmx_track_vcpu(struct lv_vcpu *vcpu);
void lv_vmx_untrack_vcpu(struct lv_vcpu *vcpu);

/* vmcs.c: one VMCS per vCPU */
int lv_vmcs_create(struct lv_vcpu *vcpu);
void lv_vmcs_destroy(struct lv_vcpu *vcpu);
void lv_vmcs_load(struct lv_vcpu *vcpu);
void lv_vmcs_put(struct lv_vcpu *vcpu);
void lv_vmcs_clear_local(struct lv_vcpu *vcpu);

/* run.c: the run loop */
int lv_vmx_run(struct lv_vcpu *vcpu);

#endif /* LV_VMX_H */
