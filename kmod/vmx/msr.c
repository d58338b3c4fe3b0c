// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs a guest may use.  Every MSR exits (the bitmap in vmcs.c lets
 * through only FS/GS base, SYSENTER and PAT, which the VMCS switches, unless
 * an exit policy asks otherwise); the overrides of LV_SET_MSR_OVERRIDES
 * come first (policy.c);
 * those below are emulated, the x2APIC range and IA32_TSC_DEADLINE go to
 * the local APIC (core/lapic.c), every other access gets #GP in the guest.
 */
#include <asm/msr-index.h>
#include <asm/apicdef.h>
#include <asm/msr.h>

#include "../core/lv.h"
#include "exit.h"
#include "vmcs.h"
#include "vmx.h"

static bool canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

/**
 * lv_msr_read() - RDMSR as the guest sees it
 * @vcpu: the vCPU, VMCS current
 * @msr: ECX
 * @val: the result
 *
 * Return: 0, or -EINVAL when the guest must get #GP.
 */
int lv_msr_read(struct lv_vcpu *vcpu, u32 msr, u64 *val)
{
	int ovr = lv_policy_msr(vcpu, msr, false, val);

	if (ovr)
		return ovr < 0 ? ovr : 0;
	if (msr >= APIC_BASE_MSR && msr < APIC_BASE_MSR + 0x100)
		return lv_lapic_msr_read(&vcpu->lapic, msr, val);
	switch (msr) {
	case MSR_IA32_TSC_DEADLINE:
		*val = lv_lapic_get_deadline(&vcpu->lapic);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*val = vcpu->msr.tsc_adjust;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + lv_vmread64(TSC_OFFSET);
		return 0;
	case MSR_IA32_APICBASE:
		*val = vcpu->apic_base;
		return 0;
	case MSR_IA32_UCODE_REV:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		*val = 0;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*val = vcpu->msr.misc_enable;
		return 0;
	case MSR_EFER:
		*val = vcpu->efer;
		return 0;
	case MSR_STAR:
		*val = vcpu->msr.star;
		return 0;
	case MSR_LSTAR:
		*val = vcpu->msr.lstar;
		return 0;
	case MSR_CSTAR:
		*val = vcpu->msr.cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = vcpu->msr.sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		/* loaded in the MSR while the vCPU is loaded (run.c) */
		rdmsrl(MSR_KERNEL_GS_BASE, *val);
		return 0;
	case MSR_FS_BASE:
		*val = lv_vmread(GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*val = lv_vmread(GUEST_GS_BASE);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = lv_vmread32(GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = lv_vmread(GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = lv_vmread(GUEST_SYSENTER_EIP);
		return 0;
	case MSR_IA32_CR_PAT:
		*val = lv_vmread64(GUEST_IA32_PAT);
		return 0;
	}
	return -EINVAL;
}

/**
 * lv_msr_write() - WRMSR as the guest sees it
 * @vcpu: the vCPU, VMCS current
 * @msr: ECX
 * @val: EDX:EAX
 *
 * Return: 0, or -EINVAL when the guest must get #GP.
 */
int lv_msr_write(struct lv_vcpu *vcpu, u32 msr, u64 val)
{
	u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA |
		      (boot_cpu_has(X86_FEATURE_NX) ? EFER_NX : 0);
	int ovr = lv_policy_msr(vcpu, msr, true, NULL);
	unsigned int i;

	if (ovr)
		return ovr < 0 ? ovr : 0;
	if (msr >= APIC_BASE_MSR && msr < APIC_BASE_MSR + 0x100)
		return lv_lapic_msr_write(&vcpu->lapic, msr, val);
	switch (msr) {
	case MSR_IA32_TSC_DEADLINE:
		lv_lapic_set_deadline(&vcpu->lapic, val,
				      rdtsc() + lv_vmread64(TSC_OFFSET));
		return 0;
	case MSR_IA32_TSC: {
		u64 offset = val - rdtsc();

		/* SDM 17.17.3: IA32_TSC_ADJUST moves with every TSC write */
		vcpu->msr.tsc_adjust += offset - lv_vmread64(TSC_OFFSET);
		lv_vmwrite(TSC_OFFSET, offset);
		return 0;
	}
	case MSR_IA32_TSC_ADJUST:
		lv_vmwrite(TSC_OFFSET, lv_vmread64(TSC_OFFSET) +
			   (val - vcpu->msr.tsc_adjust));
		vcpu->msr.tsc_adjust = val;
		return 0;
	case MSR_IA32_APICBASE:
		return lv_lapic_set_base(&vcpu->lapic, val);
	case MSR_IA32_UCODE_REV:
		return 0;	/* Linux writes 0 before reading it */
	case MSR_IA32_MISC_ENABLE:
		vcpu->msr.misc_enable = val;
		return 0;
	case MSR_EFER:
		if (val & ~efer_ok)
			return -EINVAL;
		/* LMA is read-only; LME may not change while paging is on */
		val = (val & ~EFER_LMA) | (vcpu->efer & EFER_LMA);
		if (((val ^ vcpu->efer) & EFER_LME) &&
		    (lv_vmread(CR0_READ_SHADOW) & X86_CR0_PG))
			return -EINVAL;
		lv_vmcs_set_efer(vcpu, val);
		return 0;
	case MSR_STAR:
		vcpu->msr.star = val;
		break;
	case MSR_LSTAR:
		if (!canonical(val))
			return -EINVAL;
		vcpu->msr.lstar = val;
		break;
	case MSR_CSTAR:
		if (!canonical(val))
			return -EINVAL;
		vcpu->msr.cstar = val;
		break;
	case MSR_SYSCALL_MASK:
		vcpu->msr.sfmask = val & 0xffffffff;
		break;
	case MSR_KERNEL_GS_BASE:
		if (!canonical(val))
			return -EINVAL;
		wrmsrl(MSR_KERNEL_GS_BASE, val);
		return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!canonical(val))
			return -EINVAL;
		lv_vmwrite(msr == MSR_FS_BASE ? GUEST_FS_BASE : GUEST_GS_BASE, val);
		return 0;
	/* the VMCS switches these; they exit only when a policy asks */
	case MSR_IA32_SYSENTER_CS:
		lv_vmwrite(GUEST_SYSENTER_CS, (u32)val);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!canonical(val))
			return -EINVAL;
		lv_vmwrite(msr == MSR_IA32_SYSENTER_ESP ? GUEST_SYSENTER_ESP :
			   GUEST_SYSENTER_EIP, val);
		return 0;
	case MSR_IA32_CR_PAT:
		/* memory types 0, 1, 4, 5, 6, 7 in each byte */
		for (i = 0; i < 8; i++)
			if (((val >> (8 * i)) & 0xff) > 7 ||
			    (((val >> (8 * i)) & 0xfe) == 2))
				return -EINVAL;
		lv_vmwrite(GUEST_IA32_PAT, val);
		return 0;
	default:
		return -EINVAL;
	}
	/* a syscall MSR: run.c keeps the guest value in the hardware MSR */
	lv_vmx_load_syscall_msrs(vcpu);
	return 0;
}
