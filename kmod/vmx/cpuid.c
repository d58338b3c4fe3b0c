// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID as the guest sees it: the host's, minus what labvisor does not
 * virtualise (VMX, SMX, MONITOR, PMU, speculation controls, PKU,
 * AVX-512/AMX, MPX, SGX, PT, RDTSCP, XSAVES, MTRRs, MCE), plus the
 * hypervisor bit, the signature leaf 0x40000000 "labvisor", the in-kernel
 * local APIC's x2APIC, TSC-deadline and always-running-timer (ARAT) bits,
 * and the TSC frequency in leaves 0x15 and 0x16: the guest needs no timer
 * calibration, and the APIC timer counts at that frequency (core/lapic.c).
 */
#include <linux/bits.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "../core/lv.h"
#include "exit.h"
#include "vmx.h"

#define LV_CPUID_SIGNATURE	0x40000000
#define LV_CPUID_MAX_HV_LEAF	0x40000000

/* XCR0 features a guest may enable */
static u64 guest_xcr0_mask;
/* the host's highest basic leaf: leaves above it (but 0x15/0x16) read 0 */
static u32 host_max_leaf;

/* ("labv", "isor", "\0\0\0\0") in EBX, ECX, EDX */
#define SIG_EBX	0x7662616c
#define SIG_ECX	0x726f7369

/* leaf 1 */
#define L1_ECX_HIDE (BIT(3) | BIT(5) | BIT(6) | BIT(15) | BIT(18))
			/* MONITOR VMX SMX PDCM DCA */
#define L1_ECX_X2APIC		BIT(21)
#define L1_ECX_TSC_DEADLINE	BIT(24)
#define L6_EAX_ARAT		BIT(2)
#define LV_CPUID_TSC_LEAF	0x15
#define LV_CPUID_FREQ_LEAF	0x16
#define L1_EDX_HIDE (BIT(7) | BIT(12) | BIT(14) | BIT(22) | BIT(29))
			/* MCE MTRR MCA ACPI(thermal MSRs) TM */
/* leaf 7.0 */
#define L7_EBX_HIDE (BIT(2) | BIT(4) | BIT(10) | BIT(11) | BIT(12) | BIT(14) | \
		     BIT(15) | BIT(16) | BIT(17) | BIT(21) | BIT(25) | \
		     BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))
	/* SGX HLE INVPCID RTM RDT-M MPX RDT-A AVX512F/DQ/IFMA PT
	 * AVX512PF/ER/CD/BW/VL (TSC_ADJUST stays: msr.c emulates it, and with
	 * the invariant TSC of leaf 0x80000007 it lets Linux trust the TSC
	 * without a clocksource watchdog)
	 */
#define L7_ECX_HIDE (BIT(1) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(11) | \
		     BIT(12) | BIT(14) | BIT(16) | BIT(30))
	/* AVX512VBMI PKU OSPKE WAITPKG VBMI2 VNNI BITALG VPOPCNTDQ LA57 SGX-LC */
#define L7_EDX_HIDE (BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | \
		     BIT(25) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(31))
	/* AVX512 4VNNIW/4FMAPS/VP2INTERSECT AMX-BF16 AVX512FP16 AMX-TILE/INT8
	 * IBRS/IBPB STIBP L1D_FLUSH ARCH_CAPABILITIES SSBD
	 */

/**
 * lv_cpuid_init() - derive the XCR0 mask guests may use
 *
 * Return: 0.
 */
int lv_cpuid_init(void)
{
	guest_xcr0_mask = lv_host_xcr0 &
			  (XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM);
	host_max_leaf = cpuid_eax(0);
	return 0;
}

/* size of an XSAVE area holding the features in @mask */
static u32 xsave_size(u64 mask)
{
	u32 size = 512 + 64, a, b, c, d;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(mask & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &a, &b, &c, &d);
		if (a + b > size)
			size = a + b;
	}
	return size;
}

static void leaf_xsave(struct lv_vcpu *vcpu, u32 sub, u32 *a, u32 *b, u32 *c,
		       u32 *d)
{
	if (sub == 0) {
		*a = (u32)guest_xcr0_mask;
		*d = guest_xcr0_mask >> 32;
		*b = xsave_size(vcpu->xcr0);
		*c = xsave_size(guest_xcr0_mask);
	} else if (sub == 1) {
		*a &= BIT(0) | BIT(1) | BIT(2);	/* XSAVEOPT XSAVEC XGETBV1 */
		*b = xsave_size(vcpu->xcr0);
		*c = 0;
		*d = 0;
	} else if (sub >= 64 || !(guest_xcr0_mask & BIT_ULL(sub))) {
		*a = *b = *c = *d = 0;
	}
}

/**
 * lv_cpuid() - the guest's view of one CPUID leaf
 * @vcpu: the vCPU (its id, CR4 and XCR0 shape some leaves)
 * @leaf: EAX
 * @sub: ECX
 * @a: EAX result; likewise @b, @c, @d
 * @b: EBX result
 * @c: ECX result
 * @d: EDX result
 */
static __always_inline void lv_cpuid(struct lv_vcpu *vcpu, u32 leaf, u32 sub,
				     u32 *a, u32 *b, u32 *c, u32 *d)
{
	/* leaf 0, the benchmark's, first: no test below applies to it */
	if (leaf == 0) {
		*a = 0;
		*c = sub;
		native_cpuid(a, b, c, d);
		*a = max_t(u32, *a, LV_CPUID_FREQ_LEAF);
		return;
	}
	if ((leaf & 0xf0000000) == 0x40000000) {
		*a = *b = *c = *d = 0;
		if (leaf == LV_CPUID_SIGNATURE) {
			*a = LV_CPUID_MAX_HV_LEAF;
			*b = SIG_EBX;
			*c = SIG_ECX;
		}
		return;
	}

	if (leaf == LV_CPUID_TSC_LEAF) {
		/* crystal = TSC: EBX/EAX = 1, ECX = its frequency in Hz */
		*a = 1;
		*b = 1;
		*c = tsc_khz * 1000;
		*d = 0;
		return;
	}
	if (leaf == LV_CPUID_FREQ_LEAF) {
		*a = tsc_khz / 1000;		/* base MHz */
		*b = *a;			/* maximum MHz */
		*c = 100;			/* bus MHz */
		*d = 0;
		return;
	}
	if (leaf > host_max_leaf && leaf < 0x80000000) {
		*a = *b = *c = *d = 0;
		return;
	}

	*a = leaf;
	*c = sub;
	native_cpuid(a, b, c, d);
	switch (leaf) {
	case 1:
		*c &= ~L1_ECX_HIDE;
		*c |= L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE;
		*c |= BIT(31);			/* running under a hypervisor */
		*c &= ~BIT(27);			/* OSXSAVE follows guest CR4 */
		if (lv_vmread_nocheck(CR4_READ_SHADOW) & X86_CR4_OSXSAVE)
			*c |= BIT(27);
		*d &= ~L1_EDX_HIDE;
		*b = (*b & 0x00ffffff) | (vcpu->id << 24);
		break;
	case 6:					/* thermal and power */
		*a = L6_EAX_ARAT;
		*b = *c = *d = 0;
		break;
	case 5:					/* MONITOR/MWAIT */
	case 0xa:				/* architectural PMU */
	case 0xf: case 0x10:			/* RDT */
	case 0x12:				/* SGX */
	case 0x14:				/* processor trace */
	case 0x1b: case 0x1d: case 0x1e:	/* PCONFIG, AMX */
		*a = *b = *c = *d = 0;
		break;
	case 7:
		if (sub == 0) {
			*b &= ~L7_EBX_HIDE;
			*c &= ~L7_ECX_HIDE;
			*d &= ~L7_EDX_HIDE;
		} else {
			*a = *b = *c = *d = 0;
		}
		break;
	case 0xb: case 0x1f:
		*d = vcpu->id;
		break;
	case 0xd:
		leaf_xsave(vcpu, sub, a, b, c, d);
		break;
	case 0x80000001:
		*d &= ~BIT(27);			/* RDTSCP */
		break;
	}
}

/**
 * lv_handle_cpuid() - the CPUID exit
 * @vcpu: the vCPU
 *
 * Return: 1 (resume the guest).
 */
notrace int lv_handle_cpuid(struct lv_vcpu *vcpu)
{
	u32 a, b, c, d;

	/* an override (policy.c) sets the registers itself */
	if (unlikely(rcu_access_pointer(vcpu->vm->cpuid_overrides)) &&
	    lv_policy_cpuid(vcpu))
		return lv_skip_insn(vcpu);
	/* 32-bit results zero-extend into the 64-bit registers */
	lv_cpuid(vcpu, vcpu->regs[LV_RAX], vcpu->regs[LV_RCX], &a, &b, &c, &d);
	vcpu->regs[LV_RAX] = a;
	vcpu->regs[LV_RBX] = b;
	vcpu->regs[LV_RCX] = c;
	vcpu->regs[LV_RDX] = d;
	lv_advance_rip(vcpu, lv_vmread_nocheck(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

/**
 * lv_guest_xcr0_mask() - XCR0 bits a guest may set with XSETBV
 *
 * Return: the mask.
 */
u64 lv_guest_xcr0_mask(void)
{
	return guest_xcr0_mask;
}
