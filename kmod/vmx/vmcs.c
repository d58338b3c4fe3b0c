// SPDX-License-Identifier: GPL-2.0
/*
 * One VMCS per vCPU: its creation, its first contents, moving it between
 * CPUs, the host state it restores, and the guest registers it holds.
 *
 * A VMCS is "loaded" on the CPU whose VMCS cache may hold it (vcpu->cpu).
 * Before it can be made current on another CPU it is VMCLEARed on the old
 * one (by IPI); a CPU going offline VMCLEARs all it holds (vmx.c).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/desc.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include <asm/trapnr.h>

#include "../core/lv.h"
#include "../core/validate.h"
#include "vmcs.h"
#include "vmx.h"

static DEFINE_PER_CPU(struct lv_vcpu *, current_vcpu);

/* ---- MSR bitmap: one for all vCPUs ------------------------------------ */

static unsigned long *msr_bitmap;

static void msr_passthrough(u32 msr)
{
	/* read-low, read-high, write-low, write-high: 1 KiB each */
	u8 *b = (u8 *)msr_bitmap;
	unsigned int base = msr >= 0xc0000000 ? 1024 : 0;
	unsigned int n = msr & 0x1fff;

	b[base + n / 8] &= ~(1 << (n % 8));
	b[2048 + base + n / 8] &= ~(1 << (n % 8));
}

/**
 * lv_vmcs_global_init() - build the shared MSR bitmap
 *
 * Every MSR exits except those whose guest values the VMCS itself switches
 * (FS/GS base, SYSENTER, PAT).
 *
 * Return: 0 or -ENOMEM.
 */
int lv_vmcs_global_init(void)
{
	msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!msr_bitmap)
		return -ENOMEM;
	memset(msr_bitmap, 0xff, PAGE_SIZE);
	msr_passthrough(MSR_FS_BASE);
	msr_passthrough(MSR_GS_BASE);
	msr_passthrough(MSR_IA32_SYSENTER_CS);
	msr_passthrough(MSR_IA32_SYSENTER_ESP);
	msr_passthrough(MSR_IA32_SYSENTER_EIP);
	msr_passthrough(MSR_IA32_CR_PAT);
	return 0;
}

/**
 * lv_vmcs_copy_msr_bitmap() - start a vCPU's MSR bitmap from the shared one
 * @to: the vCPU's bitmap page
 */
void lv_vmcs_copy_msr_bitmap(unsigned long *to)
{
	memcpy(to, msr_bitmap, PAGE_SIZE);
}

void lv_vmcs_global_exit(void)
{
	free_page((unsigned long)msr_bitmap);
}

/* ---- loading ---------------------------------------------------------- */

static void vmclear_on_cpu(void *arg)
{
	struct lv_vcpu *vcpu = arg;

	if (vcpu->cpu == smp_processor_id())
		lv_vmcs_clear_local(vcpu);
}

/**
 * lv_vmcs_clear_local() - VMCLEAR a vCPU's VMCS on the CPU holding it
 * @vcpu: the vCPU; runs on vcpu->cpu with interrupts off
 */
void lv_vmcs_clear_local(struct lv_vcpu *vcpu)
{
	lv_vmclear(__pa(vcpu->vmcs));
	if (this_cpu_read(current_vcpu) == vcpu)
		this_cpu_write(current_vcpu, NULL);
	lv_vmx_untrack_vcpu(vcpu);
	vcpu->cpu = -1;
	vcpu->launched = false;
}

static unsigned long tss_base(void)
{
	struct desc_ptr gdt;
	struct ldttss_desc *d;

	native_store_gdt(&gdt);
	d = (struct ldttss_desc *)(gdt.address + GDT_ENTRY_TSS * 8);
	return d->base0 | ((unsigned long)d->base1 << 16) |
	       ((unsigned long)d->base2 << 24) | ((unsigned long)d->base3 << 32);
}

/* host state that differs between CPUs */
static void write_host_percpu(void)
{
	struct desc_ptr dt;
	u64 v;

	native_store_gdt(&dt);
	lv_vmwrite(HOST_GDTR_BASE, dt.address);
	store_idt(&dt);
	lv_vmwrite(HOST_IDTR_BASE, dt.address);
	lv_vmwrite(HOST_TR_BASE, tss_base());
	rdmsrl(MSR_GS_BASE, v);
	lv_vmwrite(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	lv_vmwrite(HOST_IA32_SYSENTER_ESP, v);
}

/**
 * lv_vmcs_load() - make the vCPU's VMCS current on this CPU
 * @vcpu: the vCPU; preemption is off
 */
void lv_vmcs_load(struct lv_vcpu *vcpu)
{
	int cpu = smp_processor_id();
	unsigned long flags;

	if (vcpu->cpu != cpu) {
		if (vcpu->cpu >= 0) {
			smp_call_function_single(vcpu->cpu, vmclear_on_cpu, vcpu, 1);
			vcpu->stats.migrations++;
		}
		local_irq_save(flags);
		vcpu->cpu = cpu;
		lv_vmx_track_vcpu(vcpu);
		local_irq_restore(flags);
	}
	if (this_cpu_read(current_vcpu) != vcpu) {
		if (lv_vmptrld(__pa(vcpu->vmcs)))
			pr_err_ratelimited("labvisor: VMPTRLD failed on CPU %d\n", cpu);
		/* another guest ran here: keep it from steering our branches */
		indirect_branch_prediction_barrier();
		this_cpu_write(current_vcpu, vcpu);
		write_host_percpu();
		/* the VPID's translations on this CPU may be stale */
		if (vcpu->vpid)
			lv_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid);
	}
	vcpu->stats.last_cpu = cpu;
}

/* ---- creation ------------------------------------------------------------ */

static void write_host_constant(void)
{
	u64 v;

	lv_vmwrite(HOST_CR0, read_cr0());
	lv_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	lv_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	lv_vmwrite(HOST_DS_SELECTOR, 0);
	lv_vmwrite(HOST_ES_SELECTOR, 0);
	lv_vmwrite(HOST_FS_SELECTOR, 0);
	lv_vmwrite(HOST_GS_SELECTOR, 0);
	lv_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	lv_vmwrite(HOST_RIP, (unsigned long)lv_vmx_exit_entry);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	lv_vmwrite(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	lv_vmwrite(HOST_IA32_SYSENTER_EIP, v);
	/* without the controls the fields do not exist (shadow VMs only) */
	if (!lv_vmx.has_efer_pat)
		return;
	rdmsrl(MSR_EFER, v);
	lv_vmwrite(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	lv_vmwrite(HOST_IA32_PAT, v);
}

static void write_segment(unsigned int seg, u16 sel, u64 base, u32 limit, u32 ar)
{
	lv_vmwrite(GUEST_ES_SELECTOR + seg * 2, sel);
	lv_vmwrite(GUEST_ES_BASE + seg * 2, base);
	lv_vmwrite(GUEST_ES_LIMIT + seg * 2, limit);
	lv_vmwrite(GUEST_ES_AR_BYTES + seg * 2, ar);
}

/* the guest's CR3 as it sees it: shadow VMs keep it apart from the VMCS */
static u64 guest_cr3_get(struct lv_vcpu *vcpu)
{
	return lv_is_shadow(vcpu) ? lv_shadow_guest_cr3(vcpu) :
				    lv_vmread(GUEST_CR3);
}

static void guest_cr3_set(struct lv_vcpu *vcpu, u64 cr3)
{
	if (lv_is_shadow(vcpu))
		lv_shadow_set_cr3(vcpu, cr3, false);
	else
		lv_vmwrite(GUEST_CR3, cr3);
}

/* the state of a CPU after reset, as a real-mode guest expects */
static void write_guest_reset_state(struct lv_vcpu *vcpu)
{
	unsigned int seg;

	for (seg = 0; seg < 6; seg++)
		write_segment(seg, 0, 0, 0xffff, seg == 1 ? 0x9b : 0x93);
	write_segment(6, 0, 0, 0xffff, 0x82);	/* LDTR */
	write_segment(7, 0, 0, 0xffff, 0x8b);	/* TR */
	lv_vmwrite(GUEST_GDTR_BASE, 0);
	lv_vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	lv_vmwrite(GUEST_IDTR_BASE, 0);
	lv_vmwrite(GUEST_IDTR_LIMIT, 0xffff);
	lv_vmwrite(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	lv_vmwrite(GUEST_RIP, 0xfff0);
	lv_vmwrite(GUEST_RSP, 0);
	lv_vmwrite(GUEST_DR7, LV_DR7_FIXED_1);
	lv_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	if (lv_vmx.has_efer_pat)
		lv_vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
	lv_vmwrite(GUEST_SYSENTER_CS, 0);
	lv_vmwrite(GUEST_SYSENTER_ESP, 0);
	lv_vmwrite(GUEST_SYSENTER_EIP, 0);
	lv_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	lv_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	lv_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	lv_vmwrite(VMCS_LINK_POINTER, -1ULL);
	vcpu->efer = 0;
	lv_vmcs_set_efer(vcpu, 0);
	lv_vmcs_set_cr4(vcpu, 0, true);
	lv_vmcs_set_cr0(vcpu, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW, true);
	guest_cr3_set(vcpu, 0);
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->msr.misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING |
				MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |
				MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL;
	vcpu->regs[LV_RDX] = 0x600;	/* family 6, as after RESET */
}

/**
 * lv_vmcs_init_state() - the vCPU after INIT (SDM table 10-1)
 * @vcpu: the vCPU, VMCS current
 *
 * As RESET, except that IA32_APIC_BASE and the MSRs INIT leaves alone
 * keep their values, and no event stays queued for injection.
 */
void lv_vmcs_init_state(struct lv_vcpu *vcpu)
{
	u64 apic_base = vcpu->apic_base, misc = vcpu->msr.misc_enable;

	write_guest_reset_state(vcpu);
	vcpu->apic_base = apic_base;
	vcpu->msr.misc_enable = misc;
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[LV_RDX] = 0x600;
	vcpu->cr2 = 0;
	vcpu->pending = LV_PENDING_NONE;
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
}

static void write_controls(struct lv_vcpu *vcpu)
{
	lv_vmwrite(PIN_BASED_VM_EXEC_CONTROL, lv_vmx.pin);
	vcpu->proc_ctl = lv_vmx.proc;
	lv_vmwrite(CPU_BASED_VM_EXEC_CONTROL, lv_vmx.proc);
	if (lv_vmx.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		lv_vmwrite(SECONDARY_VM_EXEC_CONTROL, lv_vmx.proc2);
	lv_vmwrite(VM_EXIT_CONTROLS, lv_vmx.exit);
	lv_vmwrite(VM_ENTRY_CONTROLS, lv_vmx.entry);
	lv_vmwrite(EXCEPTION_BITMAP, 1u << X86_TRAP_MC);
	lv_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	lv_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	lv_vmwrite(CR3_TARGET_COUNT, 0);
	lv_vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	lv_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	lv_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	lv_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	lv_vmwrite(MSR_BITMAP, __pa(msr_bitmap));
	lv_vmwrite(TSC_OFFSET, 0);
	if (lv_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		lv_vmwrite(VMX_PREEMPTION_TIMER_VALUE, lv_vmx.preemption_timer);
	/* CR0 and CR4 belong to the host: the guest reads the shadows */
	lv_vmwrite(CR0_GUEST_HOST_MASK, ~0UL);
	lv_vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	if (vcpu->vpid)
		lv_vmwrite(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	if (lv_vmx.has_ept)
		lv_vmwrite(EPT_POINTER, lv_ept_eptp(&vcpu->vm->ept));
	if (lv_is_shadow(vcpu))
		lv_shadow_controls(vcpu);
}

/**
 * lv_vmcs_create() - allocate and fill a vCPU's VMCS
 * @vcpu: the new vCPU; vcpu->vm is set
 *
 * Return: 0, -ENOMEM or -EIO (a VMCS instruction failed).
 */
int lv_vmcs_create(struct lv_vcpu *vcpu)
{
	u32 *vmcs = (u32 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	int err = 0;

	if (!vmcs)
		return -ENOMEM;
	*vmcs = lv_vmx.revision;
	vcpu->vmcs = vmcs;
	vcpu->cpu = -1;
	INIT_LIST_HEAD(&vcpu->loaded_list);
	vcpu->vpid = lv_vmx_vpid_alloc();

	preempt_disable();
	if (lv_vmclear(__pa(vmcs))) {
		err = -EIO;
		goto out;
	}
	lv_vmcs_load(vcpu);
	write_controls(vcpu);
	write_host_constant();
	vcpu->host_cr3 = __read_cr3();
	lv_vmwrite(HOST_CR3, vcpu->host_cr3);
	vcpu->host_cr4 = cr4_read_shadow();
	lv_vmwrite(HOST_CR4, vcpu->host_cr4);
	write_guest_reset_state(vcpu);
out:
	preempt_enable();
	if (err) {
		lv_vmx_vpid_free(vcpu->vpid);
		free_page((unsigned long)vmcs);
	}
	return err;
}

/**
 * lv_vmcs_destroy() - VMCLEAR and free a vCPU's VMCS
 * @vcpu: the vCPU, which no thread runs any more
 */
void lv_vmcs_destroy(struct lv_vcpu *vcpu)
{
	int cpu = get_cpu();

	if (vcpu->cpu == cpu) {
		local_irq_disable();
		lv_vmcs_clear_local(vcpu);
		local_irq_enable();
	} else if (vcpu->cpu >= 0) {
		smp_call_function_single(vcpu->cpu, vmclear_on_cpu, vcpu, 1);
	}
	put_cpu();
	lv_vmx_vpid_free(vcpu->vpid);
	free_page((unsigned long)vcpu->vmcs);
}

/* ---- control registers and EFER ------------------------------------------- */

/**
 * lv_vmcs_set_efer() - install a new guest EFER
 * @vcpu: the vCPU, VMCS current
 * @efer: the value; LMA decides the IA-32e mode guest entry control
 */
void lv_vmcs_set_efer(struct lv_vcpu *vcpu, u64 efer)
{
	u32 entry = lv_vmx.entry;

	vcpu->efer = efer;
	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	lv_vmwrite(VM_ENTRY_CONTROLS, entry);
	/* without LMA the CPU must not see LME with paging on */
	if (lv_is_shadow(vcpu))
		lv_shadow_update(vcpu, false);
	else
		lv_vmwrite(GUEST_IA32_EFER, efer);
}

/*
 * PAE paging: the PDPTEs the CPU translates with until their next load.
 * With EPT the CPU keeps them in the VMCS (and saves them there at each
 * exit); a shadow VM's CPU runs on the shadow root, so they are kept in
 * the vCPU for the shadow MMU's walks.
 */
static void load_pdptrs(struct lv_vcpu *vcpu, const u64 *pdpte)
{
	int i;

	if (lv_is_shadow(vcpu)) {
		memcpy(vcpu->pdpte, pdpte, sizeof(vcpu->pdpte));
		return;
	}
	for (i = 0; i < 4; i++)
		lv_vmwrite(GUEST_PDPTR0 + i * 2, pdpte[i]);
}

/* PAE paging with these values; LME rather than LMA: LMA follows CR0.PG */
static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LME);
}

/**
 * lv_vmcs_pae_paging() - is the guest in PAE paging now
 * @vcpu: the vCPU, VMCS current
 *
 * Return: true with CR0.PG, CR4.PAE and not long mode: a CR3 load then
 * loads the four PDPTEs (lv_pae_load_pdptes()).
 */
bool lv_vmcs_pae_paging(struct lv_vcpu *vcpu)
{
	/* 64-bit guests first: their CR3 loads need no VMREAD here */
	if (vcpu->efer & EFER_LME)
		return false;
	return pae_paging(lv_vmread(CR0_READ_SHADOW), lv_vmread(CR4_READ_SHADOW),
			  vcpu->efer);
}

/* a MOV to CR0 or CR4 changing these under PAE paging loads the PDPTEs */
#define CR0_PDPTR_BITS	(X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)
#define CR4_PDPTR_BITS	(X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP)

/**
 * lv_vmcs_set_cr0() - the guest writes CR0 (or user space sets it)
 * @vcpu: the vCPU, VMCS current
 * @val: the value the guest wants and will read back
 * @force: from user space or reset: skip the checks that raise #GP
 *
 * Return: 0, or -EINVAL if the guest must get #GP.
 */
int lv_vmcs_set_cr0(struct lv_vcpu *vcpu, u64 val, bool force)
{
	u64 old = lv_vmread(CR0_READ_SHADOW);
	u64 cr4 = lv_vmread(CR4_READ_SHADOW);
	u64 fixed0 = lv_vmx.cr0_fixed0;
	u64 efer = vcpu->efer;
	bool pdptes = pae_paging(val, cr4, efer) && ((val ^ old) & CR0_PDPTR_BITS);
	u64 hw, pdpte[4];

	if (!force) {
		if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
		    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
			return -EINVAL;
		if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) &&
		    (efer & EFER_LME) && !(cr4 & X86_CR4_PAE))
			return -EINVAL;
		/* paging cannot be turned off from 64-bit code */
		if (!(val & X86_CR0_PG) && (efer & EFER_LMA) &&
		    (lv_vmread32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
			return -EINVAL;
	}
	if (pdptes && lv_pae_load_pdptes(vcpu->vm, guest_cr3_get(vcpu), pdpte) &&
	    !force)
		return -EINVAL;
	val |= X86_CR0_ET;

	if (lv_vmx.has_ug)
		fixed0 &= ~(X86_CR0_PE | X86_CR0_PG);
	hw = (val | fixed0) & lv_vmx.cr0_fixed1;
	hw &= ~(X86_CR0_CD | X86_CR0_NW);	/* EPT memory types rule */
	lv_vmwrite(CR0_READ_SHADOW, val);
	lv_vmwrite(GUEST_CR0, hw);

	if ((val ^ old) & X86_CR0_PG) {
		if ((val & X86_CR0_PG) && (efer & EFER_LME))
			lv_vmcs_set_efer(vcpu, efer | EFER_LMA);
		else if (!(val & X86_CR0_PG) && (efer & EFER_LMA))
			lv_vmcs_set_efer(vcpu, efer & ~EFER_LMA);
	}
	if (pdptes)
		load_pdptrs(vcpu, pdpte);
	if (lv_is_shadow(vcpu))
		lv_shadow_update(vcpu, !force);
	return 0;
}

/**
 * lv_vmcs_set_cr4() - the guest writes CR4 (or user space sets it)
 * @vcpu: the vCPU, VMCS current
 * @val: the value the guest wants and will read back
 * @force: from user space or reset: skip the checks that raise #GP
 *
 * Return: 0, or -EINVAL if the guest must get #GP.
 */
int lv_vmcs_set_cr4(struct lv_vcpu *vcpu, u64 val, bool force)
{
	u64 cr0 = lv_vmread(CR0_READ_SHADOW), old = lv_vmread(CR4_READ_SHADOW);
	bool pdptes = pae_paging(cr0, val, vcpu->efer) &&
		      ((val ^ old) & CR4_PDPTR_BITS);
	u64 pdpte[4];

	if (!force) {
		if (val & ~lv_guest_cr4_bits())
			return -EINVAL;
		if (!(val & X86_CR4_PAE) && (vcpu->efer & EFER_LMA))
			return -EINVAL;
		if ((val & X86_CR4_PCIDE) && !(vcpu->efer & EFER_LMA))
			return -EINVAL;
	}
	if (pdptes && lv_pae_load_pdptes(vcpu->vm, guest_cr3_get(vcpu), pdpte) &&
	    !force)
		return -EINVAL;
	lv_vmwrite(CR4_READ_SHADOW, val);
	lv_vmwrite(GUEST_CR4, (val | lv_vmx.cr4_fixed0) & lv_vmx.cr4_fixed1);
	if (pdptes)
		load_pdptrs(vcpu, pdpte);
	if (lv_is_shadow(vcpu))
		lv_shadow_update(vcpu, !force);
	return 0;
}

/**
 * lv_vmcs_paging() - the guest state a page walk needs
 * @vcpu: the vCPU, VMCS current
 * @pg: filled in
 */
void lv_vmcs_paging(struct lv_vcpu *vcpu, struct lv_paging *pg)
{
	int i;

	pg->cr0 = lv_vmread(CR0_READ_SHADOW);
	pg->cr4 = lv_vmread(CR4_READ_SHADOW);
	pg->cr3 = guest_cr3_get(vcpu);
	pg->efer = vcpu->efer;
	pg->pdpte = NULL;
	if (!(pg->cr0 & X86_CR0_PG) || !(pg->cr4 & X86_CR4_PAE) ||
	    (pg->efer & EFER_LMA))
		return;		/* not PAE paging */
	if (!lv_is_shadow(vcpu))
		for (i = 0; i < 4; i++)
			vcpu->pdpte[i] = lv_vmread(GUEST_PDPTR0 + i * 2);
	pg->pdpte = vcpu->pdpte;
}

/* ---- registers for user space ------------------------------------------- */

void lv_vmcs_get_regs(struct lv_vcpu *vcpu, struct lv_regs *r)
{
	const unsigned long *g = vcpu->regs;

	*r = (struct lv_regs){
		.rax = g[LV_RAX], .rbx = g[LV_RBX], .rcx = g[LV_RCX],
		.rdx = g[LV_RDX], .rsi = g[LV_RSI], .rdi = g[LV_RDI],
		.rbp = g[LV_RBP], .r8 = g[LV_R8], .r9 = g[LV_R9],
		.r10 = g[LV_R10], .r11 = g[LV_R11], .r12 = g[LV_R12],
		.r13 = g[LV_R13], .r14 = g[LV_R14], .r15 = g[LV_R15],
		.rsp = lv_vmread(GUEST_RSP), .rip = lv_vmread(GUEST_RIP),
		.rflags = lv_vmread(GUEST_RFLAGS),
	};
}

void lv_vmcs_set_regs(struct lv_vcpu *vcpu, const struct lv_regs *r)
{
	unsigned long *g = vcpu->regs;

	g[LV_RAX] = r->rax; g[LV_RBX] = r->rbx; g[LV_RCX] = r->rcx;
	g[LV_RDX] = r->rdx; g[LV_RSI] = r->rsi; g[LV_RDI] = r->rdi;
	g[LV_RBP] = r->rbp; g[LV_R8] = r->r8; g[LV_R9] = r->r9;
	g[LV_R10] = r->r10; g[LV_R11] = r->r11; g[LV_R12] = r->r12;
	g[LV_R13] = r->r13; g[LV_R14] = r->r14; g[LV_R15] = r->r15;
	lv_vmwrite(GUEST_RSP, r->rsp);
	lv_vmwrite(GUEST_RIP, r->rip);
	lv_vmwrite(GUEST_RFLAGS, r->rflags);
}

static void get_segment(unsigned int seg, struct lv_segment *s)
{
	u32 ar = lv_vmread(GUEST_ES_AR_BYTES + seg * 2);

	*s = (struct lv_segment){
		.base = lv_vmread(GUEST_ES_BASE + seg * 2),
		.limit = lv_vmread(GUEST_ES_LIMIT + seg * 2),
		.selector = lv_vmread(GUEST_ES_SELECTOR + seg * 2),
		.type = ar & 15, .s = (ar >> 4) & 1, .dpl = (ar >> 5) & 3,
		.present = (ar >> 7) & 1, .avl = (ar >> 12) & 1,
		.l = (ar >> 13) & 1, .db = (ar >> 14) & 1, .g = (ar >> 15) & 1,
		.unusable = (ar >> 16) & 1,
	};
}

static void set_segment(unsigned int seg, const struct lv_segment *s)
{
	/* VM entry wants usable code and data segments marked accessed */
	u32 type = s->s && s->present ? s->type | 1 : s->type;
	u32 ar = type | (s->s << 4) | (s->dpl << 5) | (s->present << 7) |
		 (s->avl << 12) | (s->l << 13) | (s->db << 14) | (s->g << 15) |
		 (s->unusable << 16);

	/* a segment that is not present is unusable to VMX */
	if (!s->present)
		ar |= VMX_AR_UNUSABLE_MASK;
	write_segment(seg, s->selector, s->base, s->limit, ar);
}

/* VMCS segment order: ES CS SS DS FS GS LDTR TR */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

void lv_vmcs_get_sregs(struct lv_vcpu *vcpu, struct lv_sregs *s)
{
	memset(s, 0, sizeof(*s));
	get_segment(SEG_ES, &s->es);
	get_segment(SEG_CS, &s->cs);
	get_segment(SEG_SS, &s->ss);
	get_segment(SEG_DS, &s->ds);
	get_segment(SEG_FS, &s->fs);
	get_segment(SEG_GS, &s->gs);
	get_segment(SEG_LDTR, &s->ldt);
	get_segment(SEG_TR, &s->tr);
	s->gdt.base = lv_vmread(GUEST_GDTR_BASE);
	s->gdt.limit = lv_vmread(GUEST_GDTR_LIMIT);
	s->idt.base = lv_vmread(GUEST_IDTR_BASE);
	s->idt.limit = lv_vmread(GUEST_IDTR_LIMIT);
	s->cr0 = lv_vmread(CR0_READ_SHADOW);
	s->cr2 = vcpu->cr2;
	s->cr3 = guest_cr3_get(vcpu);
	s->cr4 = lv_vmread(CR4_READ_SHADOW);
	s->efer = vcpu->efer;
	s->apic_base = vcpu->apic_base;
}

void lv_vmcs_set_sregs(struct lv_vcpu *vcpu, const struct lv_sregs *s)
{
	set_segment(SEG_ES, &s->es);
	set_segment(SEG_CS, &s->cs);
	set_segment(SEG_SS, &s->ss);
	set_segment(SEG_DS, &s->ds);
	set_segment(SEG_FS, &s->fs);
	set_segment(SEG_GS, &s->gs);
	set_segment(SEG_LDTR, &s->ldt);
	set_segment(SEG_TR, &s->tr);
	lv_vmwrite(GUEST_GDTR_BASE, s->gdt.base);
	lv_vmwrite(GUEST_GDTR_LIMIT, s->gdt.limit);
	lv_vmwrite(GUEST_IDTR_BASE, s->idt.base);
	lv_vmwrite(GUEST_IDTR_LIMIT, s->idt.limit);
	vcpu->cr2 = s->cr2;
	guest_cr3_set(vcpu, s->cr3);
	lv_vmcs_set_efer(vcpu, s->efer);
	lv_vmcs_set_cr4(vcpu, s->cr4, true);
	lv_vmcs_set_cr0(vcpu, s->cr0, true);
	if (pae_paging(s->cr0, s->cr4, s->efer)) {
		u64 pdpte[4];

		lv_pae_load_pdptes(vcpu->vm, s->cr3, pdpte);
		load_pdptrs(vcpu, pdpte);
		if (lv_is_shadow(vcpu))
			lv_shadow_load_root(vcpu);
	}
	lv_lapic_restore_base(&vcpu->lapic, s->apic_base);
}
