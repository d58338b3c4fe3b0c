// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: lv_adjust_controls() (kmod/vmx/controls.c).
 *
 * A VMX capability MSR holds the allowed 0-settings in bits 31:0 (a 1 there:
 * the control must be 1) and the allowed 1-settings in bits 63:32 (a 0
 * there: the control must be 0).  The result must be
 *   required | (optional & allowed-1) | must-be-one,
 * -EOPNOTSUPP when a required control may not be 1, and -EINVAL when the MSR
 * contradicts itself.
 */
#include <linux/errno.h>
#include <asm/vmx.h>

#include "kmod/vmx/controls.h"
#include "lv_kunit.h"

#define CAP(allowed1, allowed0) (((u64)(u32)(allowed1) << 32) | (u32)(allowed0))
#define POISON 0xdeadbeefU

/* Every control may be 0 or 1: the result is required | optional. */
static void controls_all_free(struct kunit *test)
{
	u32 out = POISON;

	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0), 0x5, 0x30, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x35U);

	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0), 0, 0, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0U);

	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0), ~0U, 0, &out), 0);
	KUNIT_EXPECT_EQ(test, out, ~0U);
}

/* Bits the CPU requires to be 1 are set even when nobody asked for them. */
static void controls_must_be_one(struct kunit *test)
{
	u32 out = POISON;

	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0x16), 0, 0, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x16U);

	/* ... and combined with what was asked for */
	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0x16), 0x1, 0x100, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x117U);

	/* a required bit that is also must-be-one is fine */
	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0x16), 0x6, 0, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x16U);

	/* bit 31 (sign bit of the low half) */
	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(~0U, 0x80000000U), 0, 0, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x80000000U);
}

/* Optional controls the CPU does not allow to be 1 are dropped. */
static void controls_must_be_zero_optional_dropped(struct kunit *test)
{
	u32 out = POISON;

	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0xffff0000U, 0), 0, 0x00ff00ffU, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x00ff0000U);

	/* nothing may be 1: every optional control goes */
	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0, 0), 0, ~0U, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0U);

	/* bit 31 allowed, bit 30 not */
	out = POISON;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0x80000000U, 0), 0, 0xc0000000U, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x80000000U);
}

/* A required control the CPU cannot set: -EOPNOTSUPP. */
static void controls_required_unsupported(struct kunit *test)
{
	u32 out = POISON;

	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0xfffffffeU, 0), 0x1, 0, &out),
			-EOPNOTSUPP);
	/* high bit, e.g. "activate secondary controls" on a CPU without them */
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0x7fffffffU, 0), 0x80000000U, 0, &out),
			-EOPNOTSUPP);
	/* one unsupported bit among supported ones is enough */
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0x0000ff00U, 0), 0x0000ff10U, 0, &out),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0, 0), 0x1, 0, &out), -EOPNOTSUPP);
	/* an unsupported *optional* bit is never an error */
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0x0000ff00U, 0), 0x0000ff00U, 0x10, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x0000ff00U);
}

/* A bit that must be 1 but may not be 1: the MSR is contradictory. */
static void controls_contradictory_msr(struct kunit *test)
{
	u32 out = POISON;

	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0xfffffffbU, 0x4), 0, 0, &out), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(CAP(0, 0x80000000U), 0, 0, &out), -EINVAL);
}

/*
 * Values from real CPUs (IA32_VMX_TRUE_* MSRs of a Haswell, as KVM reads
 * them) with the controls a hypervisor like labvisor asks for.
 */
static void controls_real_msrs(struct kunit *test)
{
	u32 out = POISON;
	u32 req, opt;

	/* TRUE_PINBASED_CTLS: bits 1, 2, 4 must be 1; 0-7 may be 1 */
	req = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING;
	opt = PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER |
	      PIN_BASED_POSTED_INTR;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(0x0000007f00000016ULL, req, opt, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x7fU);

	/* TRUE_PROCBASED_CTLS: 0xfff9fffe04006172 */
	out = POISON;
	req = CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
	      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	opt = CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_TPR_SHADOW;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(0xfff9fffe04006172ULL, req, opt, &out), 0);
	KUNIT_EXPECT_EQ(test, out, 0x04006172U | req | opt);

	/* the same CPU without secondary controls (bit 31 of allowed-1 clear) */
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(0x7ff9fffe04006172ULL, req, opt, &out),
			-EOPNOTSUPP);

	/* secondary controls: no must-be-one bits; EPT and VPID optional */
	out = POISON;
	opt = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
	      SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_PML;
	KUNIT_EXPECT_EQ(test, lv_adjust_controls(0x000000ff00000000ULL, 0, opt, &out), 0);
	KUNIT_EXPECT_EQ(test, out, (u32)(SECONDARY_EXEC_ENABLE_EPT |
					 SECONDARY_EXEC_ENABLE_VPID |
					 SECONDARY_EXEC_UNRESTRICTED_GUEST));
}

static struct kunit_case lv_controls_cases[] = {
	KUNIT_CASE(controls_all_free),
	KUNIT_CASE(controls_must_be_one),
	KUNIT_CASE(controls_must_be_zero_optional_dropped),
	KUNIT_CASE(controls_required_unsupported),
	KUNIT_CASE(controls_contradictory_msr),
	KUNIT_CASE(controls_real_msrs),
	{}
};

static struct kunit_suite lv_controls_suite = {
	.name = "lv_controls",
	.init = lv_kunit_case_init,
	.test_cases = lv_controls_cases,
};

kunit_test_suites(&lv_controls_suite);
