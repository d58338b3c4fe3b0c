// SPDX-License-Identifier: GPL-2.0
/*
 * A shadow VM's vCPU: what the CPU runs with while the guest believes it
 * runs with its own CR0, CR3, CR4 and EFER.
 *
 * - CR3 belongs to the host (CR3-load and CR3-store exiting): the CPU walks
 *   the shadow root of the guest's CR3 (shadow.c), the guest reads back what
 *   it wrote.
 * - Paging is always on in the CPU: PAE paging for guests without paging,
 *   with 32-bit or with PAE paging (a 32-bit address space fits in four
 *   PDPTEs), 4-level paging for long mode.  A guest in protected mode
 *   without paging runs on an identity shadow, and so does real-mode code,
 *   in virtual-8086 mode (unrestricted guest needs EPT; ../vmx/vm86.c).
 * - CR0.WP is always on in the CPU (shadow.c maps supervisor writes to
 *   read-only pages as supervisor-only pages when the guest's WP is 0);
 *   EFER.NXE is always on, so shadow leaves can carry XD; CR4.PCIDE is off.
 * - Without the VM-entry/exit EFER and PAT controls (Core 2) the guest's
 *   EFER and PAT are switched through the MSR-load and MSR-store areas.
 */
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "../core/lv.h"
#include "../vmx/exit.h"
#include "../vmx/vmcs.h"
#include "shadow.h"

static u64 hw_efer(struct lv_vcpu *vcpu)
{
	u64 efer = vcpu->efer & ~EFER_LME;

	if (efer & EFER_LMA)
		efer |= EFER_LME;
	if (boot_cpu_has(X86_FEATURE_NX))
		efer |= EFER_NX;
	return efer;
}

/**
 * lv_shadow_controls() - the VMCS controls of a shadow VM's vCPU
 * @vcpu: the vCPU, VMCS current, after the EPT VM's controls were written
 *
 * CR3 loads and stores, INVLPG and every #PF exit; no EPT, no unrestricted
 * guest; EFER and PAT through the MSR areas when the CPU lacks the controls.
 */
void lv_shadow_controls(struct lv_vcpu *vcpu)
{
	u32 proc = lv_vmx.proc | CPU_BASED_CR3_LOAD_EXITING |
		   CPU_BASED_CR3_STORE_EXITING | CPU_BASED_INVLPG_EXITING;
	struct vmx_msr_entry *m = vcpu->sh.msrs;

	vcpu->proc_ctl = proc;
	lv_vmwrite(CPU_BASED_VM_EXEC_CONTROL, proc);
	if (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		lv_vmwrite(SECONDARY_VM_EXEC_CONTROL, lv_vmx.proc2 &
			   ~(SECONDARY_EXEC_ENABLE_EPT |
			     SECONDARY_EXEC_UNRESTRICTED_GUEST));
	lv_vmwrite(EXCEPTION_BITMAP, BIT(X86_TRAP_MC) | BIT(X86_TRAP_PF));
	lv_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	lv_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vcpu->sh.cr3 = 0;
	memset(vcpu->pdpte, 0, sizeof(vcpu->pdpte));
	vcpu->sh.root = NULL;
	if (lv_vmx.has_efer_pat)
		return;
	m[0].index = MSR_EFER;
	m[0].value = hw_efer(vcpu);
	m[1].index = MSR_IA32_CR_PAT;
	m[1].value = 0x0007040600070406ULL;
	m[2].index = MSR_EFER;
	rdmsrl(MSR_EFER, m[2].value);
	m[3].index = MSR_IA32_CR_PAT;
	rdmsrl(MSR_IA32_CR_PAT, m[3].value);
	lv_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, __pa(&m[0]));
	lv_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 2);
	lv_vmwrite(VM_EXIT_MSR_STORE_ADDR, __pa(&m[0]));
	lv_vmwrite(VM_EXIT_MSR_STORE_COUNT, 2);
	lv_vmwrite(VM_EXIT_MSR_LOAD_ADDR, __pa(&m[2]));
	lv_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 2);
}

/**
 * lv_shadow_update() - the guest's CR0, CR4 or EFER changed
 * @vcpu: the vCPU, VMCS current; the read shadows and vcpu->efer are new
 * @from_guest: the guest itself wrote it (a refusal is worth a dmesg line)
 *
 * Writes what the CPU runs with and switches to the shadow root of the new
 * paging state.
 */
void lv_shadow_update(struct lv_vcpu *vcpu, bool from_guest)
{
	u64 cr0 = lv_vmread(CR0_READ_SHADOW), cr4 = lv_vmread(CR4_READ_SHADOW);
	u64 hw;

	if (lv_vmx.has_efer_pat)
		lv_vmwrite(GUEST_IA32_EFER, hw_efer(vcpu));
	else
		vcpu->sh.msrs[0].value = hw_efer(vcpu);

	/* real mode: virtual-8086 mode (CPL 3, so no alignment checks) */
	lv_vm86_switch(vcpu, !(cr0 & X86_CR0_PE), from_guest);
	hw = (cr0 | lv_vmx.cr0_fixed0 | X86_CR0_PE | X86_CR0_PG | X86_CR0_WP) &
	     lv_vmx.cr0_fixed1 & ~(X86_CR0_CD | X86_CR0_NW);
	if (!(cr0 & X86_CR0_PE))
		hw &= ~X86_CR0_AM;
	lv_vmwrite(GUEST_CR0, hw);
	hw = ((cr4 | X86_CR4_PAE | lv_vmx.cr4_fixed0) & lv_vmx.cr4_fixed1) &
	     ~X86_CR4_PCIDE;
	if (!(cr0 & X86_CR0_PE))
		hw |= X86_CR4_VME;
	lv_vmwrite(GUEST_CR4, hw);
	lv_shadow_load_root(vcpu);
}

/**
 * lv_shadow_guest_cr3() - the CR3 the guest sees
 * @vcpu: the vCPU
 *
 * Return: the value it last wrote.
 */
u64 lv_shadow_guest_cr3(struct lv_vcpu *vcpu)
{
	return vcpu->sh.cr3;
}

/**
 * lv_shadow_set_cr3() - the guest (or user space) loads CR3
 * @vcpu: the vCPU, VMCS current
 * @cr3: the value
 * @from_guest: MOV to CR3: apply its checks, and PCID's no-flush bit 63
 *
 * Return: 0, or -EINVAL if the guest must get #GP.
 */
int lv_shadow_set_cr3(struct lv_vcpu *vcpu, u64 cr3, bool from_guest)
{
	bool pae = lv_vmcs_pae_paging(vcpu);
	u64 pdpte[4];

	if (from_guest) {
		if (lv_vmread(CR4_READ_SHADOW) & X86_CR4_PCIDE)
			cr3 &= ~BIT_ULL(63);
		if ((vcpu->efer & EFER_LMA) && (cr3 >> boot_cpu_data.x86_phys_bits))
			return -EINVAL;
	}
	/* PAE paging: the CPU loads the four PDPTEs now, or raises #GP */
	if (pae && lv_pae_load_pdptes(vcpu->vm, cr3, pdpte) && from_guest)
		return -EINVAL;
	if (pae)
		memcpy(vcpu->pdpte, pdpte, sizeof(vcpu->pdpte));
	vcpu->sh.cr3 = cr3;
	if (lv_vmread(CR0_READ_SHADOW) & X86_CR0_PE)
		lv_shadow_load_root(vcpu);
	return 0;
}
