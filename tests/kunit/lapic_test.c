// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the in-kernel local APIC (kmod/core/lapic.c), through its public
 * functions only, on fake VMs built in memory: a struct lv_vm whose vCPUs
 * are kzalloc'ed, have apic_base set and lv_lapic_init() called, and are
 * published in vm->vcpus[] with RCU as vcpu.c does.  No vCPU ever runs:
 * mode stays LV_MODE_OUTSIDE, so a kick is only a wake-up of an empty
 * wait queue.
 */
#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "kmod/core/lv.h"
#include "kmod/core/lapic.h"
#include "lv_kunit.h"

#define NR_VCPUS	4
#define BASE		(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE)
#define BASE_X2		(BASE | X2APIC_ENABLE)

/* registers (offsets in the xAPIC page) */
#define R_ID		0x020
#define R_LVR		0x030
#define R_TPR		0x080
#define R_PPR		0x0a0
#define R_EOI		0x0b0
#define R_LDR		0x0d0
#define R_DFR		0x0e0
#define R_SVR		0x0f0
#define R_ISR		0x100
#define R_TMR		0x180
#define R_IRR		0x200
#define R_ESR		0x280
#define R_CMCI		0x2f0
#define R_ICR		0x300
#define R_ICR2		0x310
#define R_LVTT		0x320
#define R_LVTTHMR	0x330
#define R_LVTPC		0x340
#define R_LVT0		0x350
#define R_LVT1		0x360
#define R_LVTERR	0x370
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0
#define R_SELF_IPI	0x3f0

#define MSR(off)	(0x800 + ((off) >> 4))

#define SVR_ON		0x1ff	/* software enabled, spurious vector 0xff */
#define MASKED		BIT(16)
#define T_ONESHOT	(0 << 17)
#define T_PERIODIC	BIT(17)
#define T_DEADLINE	(2 << 17)

/* ICR low word */
#define ICR_FIXED	(LV_DM_FIXED << 8)
#define ICR_LOWEST	(LV_DM_LOWEST << 8)
#define ICR_NMI		(LV_DM_NMI << 8)
#define ICR_INIT	(LV_DM_INIT << 8)
#define ICR_SIPI	(LV_DM_SIPI << 8)
#define ICR_LOGICAL	BIT(11)
#define ICR_ASSERT	BIT(14)
#define ICR_LEVEL	BIT(15)
#define ICR_SELF	BIT(18)
#define ICR_ALL		(2 << 18)
#define ICR_ALLBUT	(3 << 18)

#define MSI_ADDR(dest)	(0xfee00000ULL | ((u64)(dest) << 12))
#define MSI_LOGICAL	BIT(2)
#define MSI_LEVEL	BIT(15)

struct fake_vm {
	struct lv_vm vm;
	struct lv_vcpu *vcpu[NR_VCPUS];
};

/* ---- the fake VM ------------------------------------------------------- */

static int lapic_init(struct kunit *test)
{
	struct fake_vm *f;
	int i;

	lv_kunit_case_init(test);
	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < NR_VCPUS; i++) {
		struct lv_vcpu *vcpu = kunit_kzalloc(test, sizeof(*vcpu),
						     GFP_KERNEL);

		if (!vcpu)
			return -ENOMEM;
		vcpu->vm = &f->vm;
		vcpu->id = i;
		vcpu->cpu = -1;
		vcpu->mode = LV_MODE_OUTSIDE;
		vcpu->extint = -1;
		init_waitqueue_head(&vcpu->wq);
		vcpu->apic_base = BASE | (i ? 0 : MSR_IA32_APICBASE_BSP);
		lv_lapic_init(&vcpu->lapic, vcpu);
		f->vcpu[i] = vcpu;
		rcu_assign_pointer(f->vm.vcpus[i], vcpu);
		f->vm.nr_vcpus++;
	}
	test->priv = f;
	return 0;
}

/* before KUnit frees the vCPUs: no hrtimer may be left running */
static void lapic_exit(struct kunit *test)
{
	struct fake_vm *f = test->priv;
	int i;

	if (!f)
		return;
	for (i = 0; i < NR_VCPUS; i++)
		if (f->vcpu[i])
			lv_lapic_destroy(&f->vcpu[i]->lapic);
}

static struct fake_vm *fvm(struct kunit *test)
{
	return test->priv;
}

static struct lv_lapic *apic_of(struct kunit *test, int i)
{
	return &fvm(test)->vcpu[i]->lapic;
}

static u32 rd(struct lv_lapic *apic, u32 off)
{
	u32 v = 0xdeadbeef;

	lv_lapic_mmio(apic, off, &v, 4, false);
	return v;
}

static void wr(struct lv_lapic *apic, u32 off, u32 val)
{
	lv_lapic_mmio(apic, off, &val, 4, true);
}

static void enable_all(struct kunit *test)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		wr(apic_of(test, i), R_SVR, SVR_ON);
}

static bool irr_has(struct lv_lapic *apic, int vec)
{
	return rd(apic, R_IRR + 0x10 * (vec >> 5)) & BIT(vec & 31);
}

static bool isr_has(struct lv_lapic *apic, int vec)
{
	return rd(apic, R_ISR + 0x10 * (vec >> 5)) & BIT(vec & 31);
}

static bool tmr_has(struct lv_lapic *apic, int vec)
{
	return rd(apic, R_TMR + 0x10 * (vec >> 5)) & BIT(vec & 31);
}

/* the 256 IRR bits as a mask over the vCPUs that have @vec */
static unsigned int who_has(struct kunit *test, int vec)
{
	unsigned int m = 0;
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		if (irr_has(apic_of(test, i), vec))
			m |= BIT(i);
	return m;
}

static bool irr_empty(struct lv_lapic *apic)
{
	int i;

	for (i = 0; i < 8; i++)
		if (rd(apic, R_IRR + 0x10 * i))
			return false;
	return true;
}

/* take and finish every pending interrupt of every vCPU */
static void drain(struct kunit *test)
{
	int i, n, vec;

	for (i = 0; i < NR_VCPUS; i++) {
		struct lv_lapic *apic = apic_of(test, i);

		/* bounded: an ack that leaves the IRR bit must fail, not hang */
		for (n = 0; n < 256; n++) {
			vec = lv_lapic_pending_vector(apic);
			if (vec < 0)
				break;
			lv_lapic_ack(apic, vec);
			wr(apic, R_EOI, 0);
		}
		KUNIT_ASSERT_LT_MSG(test, n, 256, "vCPU %d: vector %d stays pending",
				    i, vec);
	}
}

/* xAPIC ICR write from vCPU @from */
static void ipi(struct kunit *test, int from, u8 dest, u32 icr)
{
	wr(apic_of(test, from), R_ICR2, (u32)dest << 24);
	wr(apic_of(test, from), R_ICR, icr);
}

static unsigned long events_of(struct kunit *test, int i)
{
	return READ_ONCE(fvm(test)->vcpu[i]->events);
}

/* ---- reset state and IDs ------------------------------------------------ */

static void reset_values(struct kunit *test)
{
	static const u32 lvts[] = { R_LVTT, R_LVTTHMR, R_LVTPC, R_LVT0,
				    R_LVT1, R_LVTERR, R_CMCI };
	int i, j;

	for (i = 0; i < NR_VCPUS; i++) {
		struct lv_lapic *apic = apic_of(test, i);

		KUNIT_EXPECT_EQ(test, rd(apic, R_ID), (u32)i << 24);
		KUNIT_EXPECT_EQ(test, rd(apic, R_LVR), 0x50014u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_SVR), 0xffu);
		KUNIT_EXPECT_EQ(test, rd(apic, R_DFR), 0xffffffffu);
		KUNIT_EXPECT_EQ(test, rd(apic, R_LDR), 0u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_TMICT), 0u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
		KUNIT_EXPECT_EQ(test, rd(apic, R_TDCR), 0u);
		for (j = 0; j < ARRAY_SIZE(lvts); j++)
			KUNIT_EXPECT_EQ_MSG(test, rd(apic, lvts[j]), (u32)MASKED,
					    "LVT %#x", lvts[j]);
		for (j = 0; j < 8; j++) {
			KUNIT_EXPECT_EQ(test, rd(apic, R_ISR + 0x10 * j), 0u);
			KUNIT_EXPECT_EQ(test, rd(apic, R_TMR + 0x10 * j), 0u);
			KUNIT_EXPECT_EQ(test, rd(apic, R_IRR + 0x10 * j), 0u);
		}
		KUNIT_EXPECT_TRUE(test, !lv_lapic_enabled(apic));
		KUNIT_EXPECT_TRUE(test, !lv_lapic_x2apic(apic));
		KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	}
}

static void id_xapic_and_x2apic(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 3);
	u64 v = 0;
	u8 b = 0;
	u16 h = 0;
	u64 q = ~0ULL;
	u32 w;

	/* narrow reads return the register's low bytes, as on hardware */
	lv_lapic_mmio(apic, R_ID + 3, &b, 1, false);
	KUNIT_EXPECT_EQ(test, b, 3);
	lv_lapic_mmio(apic, R_ID + 2, &h, 2, false);
	KUNIT_EXPECT_EQ(test, h, 0x300);
	/* wider than a register: all 8 bytes read as 0 */
	lv_lapic_mmio(apic, R_ID, &q, 8, false);
	KUNIT_EXPECT_EQ(test, q, 0ULL);
	/* reads crossing into the next register read 0 */
	lv_lapic_mmio(apic, R_ID + 2, &v, 4, false);
	KUNIT_EXPECT_EQ(test, v, 0ULL);
	/* the ID is read-only in xAPIC mode too (writes ignored) */
	wr(apic, R_ID, 0x07000000);
	KUNIT_EXPECT_EQ(test, rd(apic, R_ID), 0x03000000u);
	/* an unaligned or narrow write is ignored */
	h = 0x50;
	w = 0x50;
	lv_lapic_mmio(apic, R_TPR, &h, 2, true);
	lv_lapic_mmio(apic, R_TPR + 4, &w, 4, true);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0u);

	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);
	KUNIT_EXPECT_TRUE(test, lv_lapic_x2apic(apic));
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_ID), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 3ULL);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_LVR), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x50014ULL);
	/* derived LDR: cluster id << 16 | 1 << (id & 15) */
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_LDR), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x8ULL);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic_of(test, 0), MSR(R_ID), &v),
			-EINVAL);
}

/* ---- software enable/disable (SVR bit 8) -------------------------------- */

static void software_disable(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 1);
	struct lv_vm *vm = &fvm(test)->vm;

	/* reset: software-disabled, fixed interrupts are dropped */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x41), 0);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* LVT writes while disabled stay masked */
	wr(apic, R_LVT0, 0x700);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVT0), 0x10700u);
	wr(apic, R_LVTT, 0x20);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), 0x10020u);

	wr(apic, R_SVR, SVR_ON);
	KUNIT_EXPECT_EQ(test, rd(apic, R_SVR), 0x1ffu);
	KUNIT_EXPECT_TRUE(test, lv_lapic_enabled(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x41), 1);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0x41));
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 0x41);
	/* enabling does not unmask; writes now may */
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVT0), 0x10700u);
	wr(apic, R_LVT0, 0x700);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVT0), 0x700u);
	/* reserved LVT bits read back as 0 */
	wr(apic, R_LVTERR, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTERR), 0x100ffu);
	wr(apic, R_LVTERR, 0x33);

	/* disabling again masks every LVT and drops new fixed interrupts */
	drain(test);
	wr(apic, R_SVR, 0xff);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_enabled(apic));
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVT0), 0x10700u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTERR), 0x10033u);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x42), 0);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	/* NMIs still get through */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x400), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(LV_EV_NMI, &fvm(test)->vcpu[1]->events));

	/* a hardware-disabled APIC drops them even with SVR set */
	wr(apic, R_SVR, SVR_ON);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, APIC_DEFAULT_PHYS_BASE), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x43), 0);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
}

/* ---- acceptance, priorities, EOI --------------------------------------- */

static void irr_isr_eoi(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	struct lv_vm *vm = &fvm(test)->vm;

	enable_all(test);
	KUNIT_ASSERT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0), 0x41), 1);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0x41));
	KUNIT_EXPECT_TRUE(test, !isr_has(apic, 0x41));
	KUNIT_EXPECT_TRUE(test, !tmr_has(apic, 0x41));
	KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0x41);
	/* still pending until acknowledged */
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 0x41);
	lv_lapic_ack(apic, 0x41);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0x41));
	KUNIT_EXPECT_TRUE(test, isr_has(apic, 0x41));
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x40u);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* same class as the one in service: held back */
	lv_lapic_deliver_msi(vm, MSI_ADDR(0), 0x4f);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* EOI retires the one in service, the next comes */
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_TRUE(test, !isr_has(apic, 0x41));
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0u);
	KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0x4f);
	lv_lapic_ack(apic, 0x4f);
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_EQ(test, rd(apic, R_ISR + 0x20), 0u);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* an EOI with nothing in service is harmless */
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);

	/* level-triggered: the TMR bit is set with the IRR bit */
	lv_lapic_deliver_msi(vm, MSI_ADDR(0), MSI_LEVEL | 0x61);
	KUNIT_EXPECT_TRUE(test, tmr_has(apic, 0x61));
	/* the same vector edge-triggered clears it */
	lv_lapic_deliver_msi(vm, MSI_ADDR(0), 0x61);
	KUNIT_EXPECT_TRUE(test, !tmr_has(apic, 0x61));
}

static void every_vector(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 2);
	struct lv_vm *vm = &fvm(test)->vm;
	int vec, w;

	enable_all(test);
	for (vec = 16; vec < 256; vec++) {
		KUNIT_ASSERT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(2),
							   MSI_LEVEL | vec), 1);
		for (w = 0; w < 8; w++) {
			u32 bit = w == vec / 32 ? BIT(vec % 32) : 0;

			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_IRR + 0x10 * w), bit,
					    "IRR%d, vector %d", w, vec);
			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_TMR + 0x10 * w), bit,
					    "TMR%d, vector %d", w, vec);
			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_ISR + 0x10 * w), 0u,
					    "ISR%d, vector %d", w, vec);
		}
		KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), vec);
		lv_lapic_ack(apic, vec);
		for (w = 0; w < 8; w++) {
			u32 bit = w == vec / 32 ? BIT(vec % 32) : 0;

			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_IRR + 0x10 * w), 0u,
					    "IRR%d, vector %d", w, vec);
			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_ISR + 0x10 * w), bit,
					    "ISR%d, vector %d", w, vec);
		}
		KUNIT_ASSERT_EQ(test, rd(apic, R_PPR), (u32)vec & 0xf0);
		wr(apic, R_EOI, 0);
		for (w = 0; w < 8; w++)
			KUNIT_ASSERT_EQ_MSG(test, rd(apic, R_ISR + 0x10 * w), 0u,
					    "ISR%d, vector %d", w, vec);
	}
	/* the neighbours of IRR/ISR/TMR were never touched */
	KUNIT_EXPECT_EQ(test, rd(apic, R_ESR), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_SVR), 0x1ffu);
	KUNIT_EXPECT_EQ(test, rd(apic, R_DFR), 0xffffffffu);
}

static void priority_tpr_ppr(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 1);
	struct lv_vm *vm = &fvm(test)->vm;

	enable_all(test);
	/* CR8 is TPR bits 7:4 */
	lv_lapic_set_tpr(apic, 5);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0x50u);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_tpr(apic), 5u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x50u);
	wr(apic, R_TPR, 0x3c);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_tpr(apic), 3u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0x3cu);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x3cu);
	wr(apic, R_TPR, 0x1234);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0x34u);

	/* TPR 0x50: class 5 and below wait, class 6 goes */
	wr(apic, R_TPR, 0x50);
	lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x5f);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x30);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x60);
	KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0x60);
	lv_lapic_ack(apic, 0x60);
	/* ISR class above TPR: PPR = ISR class */
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x60u);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* TPR above the ISR class: PPR = TPR, low bits included */
	wr(apic, R_TPR, 0x7a);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x7au);
	wr(apic, R_TPR, 0x6a);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x6au);
	wr(apic, R_TPR, 0x5a);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x60u);
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x5au);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	/* lowering the TPR lets the waiting ones through, highest first */
	lv_lapic_set_tpr(apic, 0);
	KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0x5f);
	lv_lapic_ack(apic, 0x5f);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 0x30);
}

static void highest_first(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	struct lv_vm *vm = &fvm(test)->vm;
	static const int in[] = { 0x30, 0xe0, 0x91, 0x90, 0x21, 0xfe };
	static const int out[] = { 0xfe, 0xe0, 0x91, 0x90, 0x30, 0x21 };
	int i;

	enable_all(test);
	for (i = 0; i < ARRAY_SIZE(in); i++)
		lv_lapic_deliver_msi(vm, MSI_ADDR(0), in[i]);
	for (i = 0; i < ARRAY_SIZE(out); i++) {
		KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), out[i]);
		lv_lapic_ack(apic, out[i]);
		wr(apic, R_EOI, 0);
	}
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);

	/* nesting: a higher class interrupts, EOI retires the highest first */
	lv_lapic_deliver_msi(vm, MSI_ADDR(0), 0x31);
	lv_lapic_ack(apic, lv_lapic_pending_vector(apic));
	lv_lapic_deliver_msi(vm, MSI_ADDR(0), 0x92);
	KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0x92);
	lv_lapic_ack(apic, 0x92);
	KUNIT_EXPECT_TRUE(test, isr_has(apic, 0x31) && isr_has(apic, 0x92));
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x90u);
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_TRUE(test, isr_has(apic, 0x31) && !isr_has(apic, 0x92));
	KUNIT_EXPECT_EQ(test, rd(apic, R_PPR), 0x30u);
	wr(apic, R_EOI, 0);
	KUNIT_EXPECT_TRUE(test, !isr_has(apic, 0x31));
}

static void vectors_below_16(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	struct lv_vm *vm = &fvm(test)->vm;
	int vec;

	enable_all(test);
	for (vec = 0; vec < 16; vec++) {
		KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0), vec), 0);
		KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0),
							   0x100 | vec), 0);
		ipi(test, 1, 0, ICR_FIXED | vec);
		ipi(test, 1, 0, ICR_SELF | ICR_FIXED | vec);
		KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), vec), -EINVAL);
	}
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_TRUE(test, irr_empty(apic_of(test, 1)));
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0), 16), 1);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 16);
	/* x2APIC SELF IPI follows the same rule */
	drain(test);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_SELF_IPI), 15), 0);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_SELF_IPI), 0x77), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 0x77);
	/* xAPIC SELF IPI register does not exist: ignored */
	wr(apic_of(test, 1), R_SELF_IPI, 0x77);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic_of(test, 1)));
}

/* ---- IPIs --------------------------------------------------------------- */

static void ipi_physical(struct kunit *test)
{
	enable_all(test);
	ipi(test, 0, 2, ICR_FIXED | 0x50);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x50), BIT(2));
	/* ICR and ICR2 read back; delivery status always idle */
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 0), R_ICR), 0x50u);
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 0), R_ICR2), 0x02000000u);
	wr(apic_of(test, 0), R_ICR2, 0x03ffffff);
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 0), R_ICR2), 0x03000000u);
	wr(apic_of(test, 0), R_ICR, ICR_FIXED | BIT(12) | 0x51);
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 0), R_ICR), 0x51u);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x51), BIT(3));
	/* to itself by ID */
	ipi(test, 1, 1, ICR_FIXED | 0x52);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x52), BIT(1));
	/* no such APIC */
	ipi(test, 1, 6, ICR_FIXED | 0x53);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x53), 0u);
	/* broadcast */
	ipi(test, 3, 0xff, ICR_FIXED | 0x54);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x54), 0xfu);
	/* a software-disabled target drops it */
	wr(apic_of(test, 2), R_SVR, 0xff);
	ipi(test, 3, 0xff, ICR_FIXED | 0x55);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x55), 0xbu);
}

static void ipi_shorthands(struct kunit *test)
{
	enable_all(test);
	/* the destination field is ignored with a shorthand */
	ipi(test, 2, 0, ICR_SELF | ICR_FIXED | 0x60);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x60), BIT(2));
	ipi(test, 2, 0, ICR_ALL | ICR_FIXED | 0x61);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x61), 0xfu);
	ipi(test, 2, 2, ICR_ALLBUT | ICR_FIXED | 0x62);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x62), 0xbu);
	ipi(test, 0, 0xff, ICR_ALLBUT | ICR_FIXED | 0x63);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x63), 0xeu);
}

static void ipi_logical_flat(struct kunit *test)
{
	int i;

	enable_all(test);
	for (i = 0; i < NR_VCPUS; i++)
		wr(apic_of(test, i), R_LDR, BIT(24 + i) | 0xabcdef);
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 3), R_LDR), 0x08000000u);
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 3), R_DFR), 0xffffffffu);
	ipi(test, 0, 0x05, ICR_LOGICAL | ICR_FIXED | 0x70);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x70), 0x5u);
	ipi(test, 0, 0x08, ICR_LOGICAL | ICR_FIXED | 0x71);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x71), 0x8u);
	ipi(test, 0, 0xf0, ICR_LOGICAL | ICR_FIXED | 0x72);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x72), 0u);
	/* logical destination 2 is not physical APIC ID 2 */
	ipi(test, 0, 0x02, ICR_LOGICAL | ICR_FIXED | 0x73);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x73), BIT(1));
	ipi(test, 0, 0xff, ICR_LOGICAL | ICR_FIXED | 0x74);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x74), 0xfu);
	/* MSIs too */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(&fvm(test)->vm,
						   MSI_ADDR(0x0a) | MSI_LOGICAL,
						   0x75), 2);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x75), 0xau);
}

static void ipi_logical_cluster(struct kunit *test)
{
	static const u8 ldr[NR_VCPUS] = { 0x11, 0x12, 0x21, 0x24 };
	int i;

	enable_all(test);
	for (i = 0; i < NR_VCPUS; i++) {
		wr(apic_of(test, i), R_DFR, 0x0);
		wr(apic_of(test, i), R_LDR, (u32)ldr[i] << 24);
	}
	/* the model bits only: the rest reads as ones */
	KUNIT_EXPECT_EQ(test, rd(apic_of(test, 0), R_DFR), 0x0fffffffu);
	ipi(test, 0, 0x13, ICR_LOGICAL | ICR_FIXED | 0x80);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x80), 0x3u);
	ipi(test, 0, 0x21, ICR_LOGICAL | ICR_FIXED | 0x81);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x81), 0x4u);
	ipi(test, 0, 0x2c, ICR_LOGICAL | ICR_FIXED | 0x82);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x82), 0x8u);
	/* cluster 3 is empty; cluster 1 bit 2 matches nobody */
	ipi(test, 0, 0x31, ICR_LOGICAL | ICR_FIXED | 0x83);
	ipi(test, 0, 0x14, ICR_LOGICAL | ICR_FIXED | 0x83);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x83), 0u);
	/* in flat mode the same 0x13 would have hit LDR bits 0, 1, 4 */
	wr(apic_of(test, 2), R_DFR, 0xffffffff);
	ipi(test, 0, 0x01, ICR_LOGICAL | ICR_FIXED | 0x84);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x84), 0x4u);
}

static void ipi_lowest_priority(struct kunit *test)
{
	struct lv_vm *vm = &fvm(test)->vm;
	int i;

	enable_all(test);
	ipi(test, 0, 0xff, ICR_LOWEST | 0x90);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0x90)), 1);
	ipi(test, 0, 0, ICR_ALL | ICR_LOWEST | 0x91);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0x91)), 1);
	for (i = 0; i < NR_VCPUS; i++)
		wr(apic_of(test, i), R_LDR, BIT(24 + i));
	ipi(test, 0, 0x0c, ICR_LOGICAL | ICR_LOWEST | 0x92);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0x92)), 1);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x92) & ~0xcu, 0u);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0x193), 1);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0x93)), 1);
	/* one that cannot take it is passed over */
	wr(apic_of(test, 0), R_SVR, 0xff);
	wr(apic_of(test, 1), R_SVR, 0xff);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0x194), 1);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0x94)), 1);
	KUNIT_EXPECT_EQ(test, who_has(test, 0x94) & 0x3u, 0u);
}

static void ipi_nmi_init_sipi(struct kunit *test)
{
	int i;

	/* software-disabled APICs still take NMI, INIT and SIPI */
	ipi(test, 0, 1, ICR_NMI | ICR_ASSERT);
	KUNIT_EXPECT_EQ(test, events_of(test, 1), BIT(LV_EV_NMI));
	KUNIT_EXPECT_EQ(test, events_of(test, 0) | events_of(test, 2) |
			events_of(test, 3), 0UL);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic_of(test, 1)));

	/* INIT level de-assert: nothing */
	ipi(test, 0, 2, ICR_INIT | ICR_LEVEL);
	KUNIT_EXPECT_EQ(test, events_of(test, 2), 0UL);
	ipi(test, 0, 2, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
	KUNIT_EXPECT_EQ(test, events_of(test, 2), BIT(LV_EV_INIT));
	ipi(test, 0, 2, ICR_SIPI | ICR_ASSERT | 0x9a);
	KUNIT_EXPECT_EQ(test, events_of(test, 2),
			BIT(LV_EV_INIT) | BIT(LV_EV_SIPI));
	KUNIT_EXPECT_EQ(test, fvm(test)->vcpu[2]->sipi_vector, 0x9a);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic_of(test, 2)));

	/* the usual AP start-up: INIT then SIPI to all but self */
	for (i = 0; i < NR_VCPUS; i++)
		fvm(test)->vcpu[i]->events = 0;
	ipi(test, 0, 0, ICR_ALLBUT | ICR_INIT | ICR_ASSERT);
	ipi(test, 0, 0, ICR_ALLBUT | ICR_SIPI | ICR_ASSERT | 0x10);
	KUNIT_EXPECT_EQ(test, events_of(test, 0), 0UL);
	for (i = 1; i < NR_VCPUS; i++) {
		KUNIT_EXPECT_EQ(test, events_of(test, i),
				BIT(LV_EV_INIT) | BIT(LV_EV_SIPI));
		KUNIT_EXPECT_EQ(test, fvm(test)->vcpu[i]->sipi_vector, 0x10);
	}
	/* NMI by logical destination; SMI and ExtINT are not delivered */
	for (i = 0; i < NR_VCPUS; i++) {
		fvm(test)->vcpu[i]->events = 0;
		wr(apic_of(test, i), R_SVR, SVR_ON);
		wr(apic_of(test, i), R_LDR, BIT(24 + i));
	}
	ipi(test, 1, 0x09, ICR_LOGICAL | ICR_NMI);
	KUNIT_EXPECT_EQ(test, events_of(test, 0), BIT(LV_EV_NMI));
	KUNIT_EXPECT_EQ(test, events_of(test, 3), BIT(LV_EV_NMI));
	KUNIT_EXPECT_EQ(test, events_of(test, 1) | events_of(test, 2), 0UL);
	ipi(test, 1, 2, (LV_DM_SMI << 8) | 0x40);
	ipi(test, 1, 2, (LV_DM_EXTINT << 8) | 0x40);
	KUNIT_EXPECT_EQ(test, events_of(test, 2), 0UL);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic_of(test, 2)));
}

static void x2apic_icr(struct kunit *test)
{
	struct lv_lapic *a0 = apic_of(test, 0);
	u64 v;
	int i;

	enable_all(test);
	for (i = 0; i < NR_VCPUS; i++)
		KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic_of(test, i),
							BASE_X2), 0);
	/* one 64-bit write, 32-bit destination in the high half */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (3ULL << 32) | 0xa0), 0);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa0), BIT(3));
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(a0, MSR(R_ICR), &v), 0);
	KUNIT_EXPECT_EQ(test, v, (3ULL << 32) | 0xa0);
	/* the high bits of the destination count: 0x100 + 3 is not 3 */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (0x103ULL << 32) | 0xa1), 0);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa1), 0u);
	/* broadcast is 0xffffffff; 0xff is just an ID in x2APIC mode */
	lv_lapic_msr_write(a0, MSR(R_ICR), (0xffULL << 32) | 0xa2);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa2), 0u);
	lv_lapic_msr_write(a0, MSR(R_ICR), (0xffffffffULL << 32) | 0xa3);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa3), 0xfu);
	/* logical: derived LDR = cluster << 16 | 1 << (id & 15) */
	for (i = 0; i < NR_VCPUS; i++) {
		KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic_of(test, i),
							MSR(R_LDR), &v), 0);
		KUNIT_EXPECT_EQ(test, v, (u64)BIT(i));
	}
	lv_lapic_msr_write(a0, MSR(R_ICR), (0x6ULL << 32) | ICR_LOGICAL | 0xa4);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa4), 0x6u);
	lv_lapic_msr_write(a0, MSR(R_ICR), (0x10006ULL << 32) | ICR_LOGICAL | 0xa5);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa5), 0u);
	/* all ones is the broadcast in logical mode too */
	lv_lapic_msr_write(a0, MSR(R_ICR), (0xffffffffULL << 32) | ICR_LOGICAL | 0xa8);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa8), 0xfu);
	/* shorthands */
	lv_lapic_msr_write(a0, MSR(R_ICR), ICR_ALLBUT | 0xa6);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa6), 0xeu);
	/* reserved bits: #GP, nothing sent */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (2ULL << 32) | BIT(13) | 0xa7), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (2ULL << 32) | BIT(16) | 0xa7), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (2ULL << 32) | BIT(17) | 0xa7), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (2ULL << 32) | BIT(20) | 0xa7), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(a0, MSR(R_ICR),
						 (2ULL << 32) | BIT(31) | 0xa7), -EINVAL);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xa7), 0u);
	/* NMI and INIT through the x2APIC ICR */
	lv_lapic_msr_write(a0, MSR(R_ICR), (1ULL << 32) | ICR_NMI | ICR_ASSERT);
	KUNIT_EXPECT_EQ(test, events_of(test, 1), BIT(LV_EV_NMI));
}

/* ---- MSIs -------------------------------------------------------------- */

static void msi_delivery(struct kunit *test)
{
	struct lv_vm *vm = &fvm(test)->vm;

	enable_all(test);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0xb0), 1);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb0), BIT(1));
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(3), 0xb1), 1);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb1), BIT(3));
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(5), 0xb2), 0);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb2), 0u);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0xb3), 4);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb3), 0xfu);
	/* only bits 19:12 are the destination */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0x102) | 0xff8,
						   0xb4), 1);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb4), BIT(2));
	/* logical (flat, LDR 0 at reset: nobody, then bits) */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0x3) | MSI_LOGICAL,
						   0xb5), 0);
	wr(apic_of(test, 0), R_LDR, 0x02000000);
	wr(apic_of(test, 3), R_LDR, 0x01000000);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0x3) | MSI_LOGICAL,
						   0xb5), 2);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb5), 0x9u);
	/* lowest priority: one of them */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0x3) | MSI_LOGICAL,
						   0x1b6), 1);
	KUNIT_EXPECT_EQ(test, hweight32(who_has(test, 0xb6)), 1);
	/* NMI: the vCPU's event, not its IRR */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(2), 0x44c), 1);
	KUNIT_EXPECT_EQ(test, events_of(test, 2), BIT(LV_EV_NMI));
	KUNIT_EXPECT_TRUE(test, !irr_has(apic_of(test, 2), 0x4c));
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0x400), 4);
	/* level trigger (bit 15) reaches the TMR */
	lv_lapic_deliver_msi(vm, MSI_ADDR(1), MSI_LEVEL | 0xb7);
	KUNIT_EXPECT_TRUE(test, tmr_has(apic_of(test, 1), 0xb7));
	KUNIT_EXPECT_TRUE(test, irr_has(apic_of(test, 1), 0xb7));
	/* SMI and ExtINT are not delivered as MSIs */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x2b8), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(1), 0x7b8), 0);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xb8), 0u);
	/* an x2APIC vCPU is reached by 8-bit MSI IDs, 0xff included */
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic_of(test, 2), BASE_X2), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(2), 0xb9), 1);
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0xba), 4);
	/* ... logical 0xff too, whatever its LDR */
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff) | MSI_LOGICAL,
						   0xbc), 4);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xbc), 0xfu);
	/* a vCPU slot not (yet) published is skipped */
	rcu_assign_pointer(vm->vcpus[3], NULL);
	synchronize_rcu();
	KUNIT_EXPECT_EQ(test, lv_lapic_deliver_msi(vm, MSI_ADDR(0xff), 0xbb), 3);
	KUNIT_EXPECT_EQ(test, who_has(test, 0xbb), 0x7u);
	rcu_assign_pointer(vm->vcpus[3], fvm(test)->vcpu[3]);
}

static void msi_validate(struct kunit *test)
{
	int mode;

	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), 0x30), 0);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0xff) | MSI_LOGICAL,
					      0x1ff), 0);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0xfeefffffULL, MSI_LEVEL | 0x10), 0);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(1), 0x400), 0);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(1), 0x402), 0);
	/* not an MSI address */
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0xfed00000ULL, 0x30), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0xfef00000ULL, 0x30), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0x0ULL, 0x30), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0x1fee00000ULL, 0x30), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(0xfee00000ULL | BIT_ULL(63), 0x30),
			-EINVAL);
	/* data bits 31:16 reserved */
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), BIT(16) | 0x30), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), BIT(31) | 0x30), -EINVAL);
	/* delivery modes other than fixed, lowest priority, NMI */
	for (mode = 0; mode < 8; mode++) {
		int want = mode == LV_DM_FIXED || mode == LV_DM_LOWEST ||
			   mode == LV_DM_NMI ? 0 : -EINVAL;

		KUNIT_EXPECT_EQ_MSG(test, lv_validate_msi(MSI_ADDR(0),
							  (mode << 8) | 0x40),
				    want, "mode %d", mode);
	}
	/* fixed and lowest-priority vectors below 16 */
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), 0x0f), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), 0x100), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), 0x10), 0);
	KUNIT_EXPECT_EQ(test, lv_validate_msi(MSI_ADDR(0), 0x400), 0);
}

/* ---- x2APIC rules ------------------------------------------------------- */

static void x2apic_msr_needs_x2apic(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 1);
	u64 v = 0x1234;

	KUNIT_EXPECT_EQ(test, lv_lapic_msr_read(apic, MSR(R_ID), &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 0x1234ULL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_read(apic, MSR(R_TPR), &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_TPR), 0x20), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_SVR), SVR_ON),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_SVR), 0xffu);
}

static void x2apic_invalid_registers(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 2);
	static const u32 unreadable[] = { R_ICR2, R_DFR, R_EOI, R_SELF_IPI,
					  0x040, 0x090, 0x0c0, 0x3a0, 0x3f0 };
	static const u32 readable[] = { R_ID, R_LVR, R_TPR, R_PPR, R_LDR,
					R_SVR, R_ISR, R_TMR + 0x70, R_IRR,
					R_ESR, R_ICR, R_LVTT, R_LVT0, R_LVTERR,
					R_TMICT, R_TMCCT, R_TDCR, R_CMCI };
	u64 v;
	int i;

	wr(apic, R_SVR, SVR_ON);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);
	for (i = 0; i < ARRAY_SIZE(unreadable); i++)
		KUNIT_EXPECT_EQ_MSG(test, lv_lapic_msr_read(apic, MSR(unreadable[i]), &v),
				    -EINVAL, "read of %#x", unreadable[i]);
	for (i = 0; i < ARRAY_SIZE(readable); i++)
		KUNIT_EXPECT_EQ_MSG(test, lv_lapic_msr_read(apic, MSR(readable[i]), &v),
				    0, "read of %#x", readable[i]);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_read(apic, 0x8ff, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_read(apic, 0x840, &v), -EINVAL);

	/* read-only and absent registers: #GP on write */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_ID), 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_LVR), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_PPR), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_LDR), 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_DFR), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_ICR2), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_TMCCT), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_IRR), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_ESR), 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, 0x8ff, 0), -EINVAL);
	/* high half of a 32-bit register */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_TPR), 1ULL << 32),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0u);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_ID), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2ULL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_ESR), 0), 0);

	/* EOI: only 0 may be written */
	lv_lapic_deliver_msi(&fvm(test)->vm, MSI_ADDR(2), 0x45);
	lv_lapic_ack(apic, lv_lapic_pending_vector(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_EOI), 1), -EINVAL);
	KUNIT_EXPECT_TRUE(test, isr_has(apic, 0x45));
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_EOI), 0), 0);
	KUNIT_EXPECT_TRUE(test, !isr_has(apic, 0x45));

	/* what x2APIC does have works through the MSRs */
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_TPR), 0x30), 0);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_tpr(apic), 3u);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_PPR), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x30ULL);
	KUNIT_EXPECT_EQ(test, lv_lapic_msr_write(apic, MSR(R_LVT0), 0x700), 0);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_read(apic, MSR(R_LVT0), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x700ULL);
}

static void x2apic_transitions(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	struct lv_vcpu *vcpu = fvm(test)->vcpu[0];
	u64 x2_bsp = BASE_X2 | MSR_IA32_APICBASE_BSP;

	/* invalid values */
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE | BIT(9)), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE | 0x1), -EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE | BIT_ULL(63)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, APIC_DEFAULT_PHYS_BASE |
						 X2APIC_ENABLE), -EINVAL);
	KUNIT_EXPECT_EQ(test, vcpu->apic_base, BASE | MSR_IA32_APICBASE_BSP);

	/* xAPIC -> x2APIC; the BSP flag is read-only */
	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TPR, 0x20);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);
	KUNIT_EXPECT_EQ(test, vcpu->apic_base, x2_bsp);
	KUNIT_EXPECT_TRUE(test, lv_lapic_x2apic(apic));
	/* the state is kept */
	KUNIT_EXPECT_EQ(test, lv_lapic_get_tpr(apic), 2u);
	KUNIT_EXPECT_TRUE(test, lv_lapic_enabled(apic));
	/* x2APIC -> xAPIC is refused and changes nothing */
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE), -EINVAL);
	KUNIT_EXPECT_EQ(test, vcpu->apic_base, x2_bsp);
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);

	/* x2APIC -> disabled resets the APIC */
	lv_lapic_deliver_msi(&fvm(test)->vm, MSI_ADDR(0), 0x66);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, APIC_DEFAULT_PHYS_BASE), 0);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_x2apic(apic));
	KUNIT_EXPECT_EQ(test, vcpu->apic_base,
			APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_BSP);
	/* disabled -> x2APIC in one step is not a valid move either */
	KUNIT_EXPECT_EQ(test, lv_lapic_set_base(apic, BASE_X2), -EINVAL);
	/* disabled -> xAPIC: the reset state, ID in xAPIC form */
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE), 0);
	KUNIT_EXPECT_EQ(test, rd(apic, R_SVR), 0xffu);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TPR), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LDR), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_ID), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVT0), (u32)MASKED);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), -1);

	/* xAPIC -> disabled resets too (LDR, DFR, timer) */
	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_LDR, 0x01000000);
	wr(apic, R_DFR, 0);
	wr(apic, R_LVTT, T_PERIODIC | 0xee);
	wr(apic, R_TMICT, 0x7fffffff);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, APIC_DEFAULT_PHYS_BASE), 0);
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE), 0);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LDR), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_DFR), 0xffffffffu);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), (u32)MASKED);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMICT), 0u);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
}

/* ---- the timer ---------------------------------------------------------- */

/*
 * The timer's input clock in kHz, as lapic.c has it: the TSC's, or 1 GHz
 * when the kernel could not calibrate the TSC (which happens to the test
 * VM under load: "tsc: Unable to calibrate against PIT").
 */
static u32 khz(void)
{
	return READ_ONCE(tsc_khz) ?: 1000000;
}

/* APIC timer counts in @ms milliseconds at divisor @div (at most 2^32-1) */
static u32 counts_for_ms(u32 ms, u32 div)
{
	return min_t(u64, div_u64((u64)khz() * ms, div), U32_MAX);
}

static void timer_countdown(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	u32 init, c1, c2, c3;

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_LVTT, T_ONESHOT | 0xec);
	wr(apic, R_TDCR, 0xb);				/* divide by 1 */
	init = U32_MAX;			/* >= 1.4 s below 3 GHz */
	wr(apic, R_TMICT, init);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMICT), init);
	c1 = rd(apic, R_TMCCT);
	KUNIT_EXPECT_GT(test, c1, 0u);
	KUNIT_EXPECT_LE(test, c1, init);
	msleep(30);
	c2 = rd(apic, R_TMCCT);
	KUNIT_EXPECT_LT(test, c2, c1);
	KUNIT_EXPECT_GT(test, c2, 0u);
	msleep(30);
	c3 = rd(apic, R_TMCCT);
	KUNIT_EXPECT_LT(test, c3, c2);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0xec));
	/* TMICT 0 stops it */
	wr(apic, R_TMICT, 0);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	msleep(20);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	/* a new TMICT restarts from the top */
	wr(apic, R_TMICT, init);
	KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), c2);
}

/*
 * TDCR: the count goes down at tsc_khz / divisor per ms.  Measured over
 * ~60 ms against ktime; adjacent divisors are a factor 2 apart, the
 * bounds +-35%.
 */
static void timer_divide(struct kunit *test)
{
	static const struct { u32 tdcr, div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	struct lv_lapic *apic = apic_of(test, 1);
	int i;

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_LVTT, T_ONESHOT | MASKED | 0xec);
	wr(apic, R_TDCR, 0xffffffff);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TDCR), 0xbu);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		u32 init = counts_for_ms(20000, d[i].div);	/* >= 1.4 s */
		u32 c1, c2;
		u64 t1, t2, want, got;

		wr(apic, R_TDCR, d[i].tdcr | 0xf0);
		KUNIT_EXPECT_EQ(test, rd(apic, R_TDCR), d[i].tdcr);
		wr(apic, R_TMICT, init);
		t1 = ktime_get_ns();
		c1 = rd(apic, R_TMCCT);
		msleep(60);
		c2 = rd(apic, R_TMCCT);
		t2 = ktime_get_ns();
		KUNIT_EXPECT_LE_MSG(test, c1, init, "TDCR %#x", d[i].tdcr);
		KUNIT_EXPECT_GT_MSG(test, c1, init - init / 10, "TDCR %#x",
				    d[i].tdcr);
		KUNIT_ASSERT_LT_MSG(test, c2, c1, "TDCR %#x", d[i].tdcr);
		/* counts expected in t2 - t1 at this divisor */
		want = div_u64(mul_u64_u32_div(t2 - t1, khz(), NSEC_PER_MSEC),
			       d[i].div);
		got = c1 - c2;
		KUNIT_EXPECT_GT_MSG(test, got * 100, want * 65,
				    "TDCR %#x: %llu counts, want ~%llu",
				    d[i].tdcr, got, want);
		KUNIT_EXPECT_LT_MSG(test, got * 100, want * 135,
				    "TDCR %#x: %llu counts, want ~%llu",
				    d[i].tdcr, got, want);
	}
	wr(apic, R_TMICT, 0);
}

static void timer_oneshot_fires(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 2);

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TDCR, 0xb);
	wr(apic, R_LVTT, T_ONESHOT | 0xd1);
	wr(apic, R_TMICT, counts_for_ms(2, 1));
	msleep(50);
	KUNIT_ASSERT_TRUE(test, irr_has(apic, 0xd1));
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	KUNIT_EXPECT_EQ(test, lv_lapic_pending_vector(apic), 0xd1);
	lv_lapic_ack(apic, 0xd1);
	wr(apic, R_EOI, 0);
	/* once only */
	msleep(30);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0xd1));
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMICT), counts_for_ms(2, 1));
	/* the divisor counts: 4 ms of counts at /128 take 512 ms */
	wr(apic, R_TDCR, 0xa);
	wr(apic, R_TMICT, counts_for_ms(4, 1));
	msleep(30);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0xd1));
	KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), 0u);
	wr(apic, R_TMICT, 0);
}

/*
 * The period is above the test kernel's tick: without high-resolution
 * timers hrtimer_forward() stretches shorter periods to a tick, and the
 * current count would then start above TMICT.
 */
#define PERIOD_MS	10

static void timer_periodic_fires(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 3);
	int i;

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TDCR, 0xb);
	wr(apic, R_LVTT, T_PERIODIC | 0xd2);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), (u32)T_PERIODIC | 0xd2);
	wr(apic, R_TMICT, counts_for_ms(PERIOD_MS, 1));
	for (i = 0; i < 3; i++) {
		msleep(4 * PERIOD_MS);
		KUNIT_ASSERT_TRUE_MSG(test, irr_has(apic, 0xd2), "period %d", i);
		KUNIT_ASSERT_EQ(test, lv_lapic_pending_vector(apic), 0xd2);
		lv_lapic_ack(apic, 0xd2);
		wr(apic, R_EOI, 0);
		/* still counting: reloaded from TMICT */
		KUNIT_EXPECT_LE(test, rd(apic, R_TMCCT),
				counts_for_ms(PERIOD_MS, 1));
		KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), 0u);
	}
	/* TMICT 0 stops it for good */
	wr(apic, R_TMICT, 0);
	drain(test);
	msleep(30);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0xd2));
}

static void timer_masked(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 1);

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TDCR, 0xb);
	wr(apic, R_LVTT, MASKED | T_PERIODIC | 0xd3);
	wr(apic, R_TMICT, counts_for_ms(2, 1));
	msleep(30);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	/* it counts all the same */
	KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), 0u);
	/* unmasked (same mode): the next period delivers */
	wr(apic, R_LVTT, T_PERIODIC | 0xd3);
	msleep(30);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0xd3));
	/* software disable masks the LVT: nothing more */
	wr(apic, R_SVR, 0xff);
	drain(test);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), (u32)MASKED | T_PERIODIC | 0xd3);
	wr(apic, R_SVR, SVR_ON);
	msleep(30);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	wr(apic, R_TMICT, 0);
}

#define TSC0	1000000000ULL	/* some guest TSC value */

static void timer_tsc_deadline(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 0);
	u64 far = TSC0 + (u64)khz() * 10000;		/* 10 s away */

	wr(apic, R_SVR, SVR_ON);
	/* ignored outside TSC-deadline mode */
	lv_lapic_set_deadline(apic, TSC0 + 1, TSC0);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	msleep(20);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));

	wr(apic, R_LVTT, T_DEADLINE | 0xd4);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), (u32)T_DEADLINE | 0xd4);
	/* TMICT does not start anything in this mode */
	wr(apic, R_TMICT, 1000);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	msleep(20);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	/* armed: read back, not fired yet */
	lv_lapic_set_deadline(apic, far, TSC0);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), far);
	msleep(20);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	/* 0 disarms */
	lv_lapic_set_deadline(apic, 0, TSC0);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	/* 2 ms away: fires, and reads 0 after */
	lv_lapic_set_deadline(apic, TSC0 + (u64)khz() * 2, TSC0);
	KUNIT_EXPECT_NE(test, lv_lapic_get_deadline(apic), 0ULL);
	msleep(50);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0xd4));
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	drain(test);
	/* in the past: fires at once */
	lv_lapic_set_deadline(apic, TSC0 - 5, TSC0);
	msleep(20);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0xd4));
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	drain(test);
	/* masked: disarms when due, delivers nothing */
	wr(apic, R_LVTT, MASKED | T_DEADLINE | 0xd4);
	lv_lapic_set_deadline(apic, TSC0, TSC0);
	msleep(20);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
}

static void timer_mode_change_disarms(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 3);
	u64 soon = TSC0 + (u64)khz() * 30;		/* 30 ms away */

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TDCR, 0xb);
	/* deadline -> one-shot: the deadline is gone */
	wr(apic, R_LVTT, T_DEADLINE | 0xd5);
	lv_lapic_set_deadline(apic, soon, TSC0);
	wr(apic, R_LVTT, T_ONESHOT | 0xd5);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	wr(apic, R_LVTT, T_DEADLINE | 0xd5);
	KUNIT_EXPECT_EQ(test, lv_lapic_get_deadline(apic), 0ULL);
	msleep(80);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));

	/* periodic count-down -> deadline: stopped */
	wr(apic, R_LVTT, T_PERIODIC | 0xd6);
	wr(apic, R_TMICT, counts_for_ms(20, 1));
	KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), 0u);
	wr(apic, R_LVTT, T_DEADLINE | 0xd6);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	msleep(60);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	/* and back to periodic: TMICT must be written again */
	wr(apic, R_LVTT, T_PERIODIC | 0xd6);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	msleep(60);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));

	/* one-shot -> periodic: stopped as well */
	wr(apic, R_LVTT, T_ONESHOT | 0xd7);
	wr(apic, R_TMICT, counts_for_ms(20, 1));
	wr(apic, R_LVTT, T_PERIODIC | 0xd7);
	KUNIT_EXPECT_EQ(test, rd(apic, R_TMCCT), 0u);
	msleep(60);
	KUNIT_EXPECT_TRUE(test, irr_empty(apic));
	/* the same mode (vector change only) keeps counting */
	wr(apic, R_TMICT, counts_for_ms(10000, 1));
	wr(apic, R_LVTT, T_PERIODIC | 0xd8);
	KUNIT_EXPECT_GT(test, rd(apic, R_TMCCT), 0u);
	/* reserved mode 3 reads back as one-shot */
	wr(apic, R_LVTT, (3 << 17) | 0xd9);
	KUNIT_EXPECT_EQ(test, rd(apic, R_LVTT), (u32)T_ONESHOT | 0xd9);
	wr(apic, R_TMICT, 0);
}

/*
 * A host whose TSC could not be calibrated has tsc_khz 0: the timer must
 * still count (at 1 GHz) and fire, not divide by zero.  tsc_khz is zeroed
 * only around the register accesses, microseconds, and restored at once:
 * the kernel's own TSC code reads it too.
 */
static void timer_without_tsc_khz(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 2);
	unsigned int saved = READ_ONCE(tsc_khz);
	const u32 init = 200 * 1000 * 1000;		/* 200 ms at 1 GHz */
	u32 c1, c2;

	wr(apic, R_SVR, SVR_ON);
	wr(apic, R_TDCR, 0xb);
	wr(apic, R_LVTT, T_ONESHOT | 0xda);
	WRITE_ONCE(tsc_khz, 0);
	wr(apic, R_TMICT, init);
	c1 = rd(apic, R_TMCCT);
	WRITE_ONCE(tsc_khz, saved);
	msleep(20);
	WRITE_ONCE(tsc_khz, 0);
	c2 = rd(apic, R_TMCCT);
	WRITE_ONCE(tsc_khz, saved);
	KUNIT_EXPECT_LE(test, c1, init);
	KUNIT_EXPECT_GT(test, c1, init / 2);
	KUNIT_EXPECT_LT(test, c2, c1);
	KUNIT_EXPECT_TRUE(test, !irr_has(apic, 0xda));
	msleep(400);
	KUNIT_EXPECT_TRUE(test, irr_has(apic, 0xda));
}

/* ---- the PIC's INTR ------------------------------------------------------ */

static void accepts_extint(struct kunit *test)
{
	struct lv_lapic *apic = apic_of(test, 1);

	/* reset: LINT0 masked */
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	wr(apic, R_SVR, SVR_ON);
	/* virtual wire: LINT0 unmasked, ExtINT */
	wr(apic, R_LVT0, 0x700);
	KUNIT_EXPECT_TRUE(test, lv_lapic_accepts_extint(apic));
	wr(apic, R_LVT0, MASKED | 0x700);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	/* unmasked but fixed or NMI: not the PIC's */
	wr(apic, R_LVT0, 0x030);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	wr(apic, R_LVT0, 0x400);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	/* software disable masks LINT0 */
	wr(apic, R_LVT0, 0x700);
	wr(apic, R_SVR, 0xff);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	/* hardware-disabled APIC: INTR goes straight to the CPU */
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, APIC_DEFAULT_PHYS_BASE), 0);
	KUNIT_EXPECT_TRUE(test, lv_lapic_accepts_extint(apic));
	/* an x2APIC in virtual-wire mode too */
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE), 0);
	KUNIT_EXPECT_TRUE(test, !lv_lapic_accepts_extint(apic));
	KUNIT_ASSERT_EQ(test, lv_lapic_set_base(apic, BASE_X2), 0);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_write(apic, MSR(R_SVR), SVR_ON), 0);
	KUNIT_ASSERT_EQ(test, lv_lapic_msr_write(apic, MSR(R_LVT0), 0x700), 0);
	KUNIT_EXPECT_TRUE(test, lv_lapic_accepts_extint(apic));
}

static struct kunit_case lv_lapic_cases[] = {
	KUNIT_CASE(reset_values),
	KUNIT_CASE(id_xapic_and_x2apic),
	KUNIT_CASE(software_disable),
	KUNIT_CASE(irr_isr_eoi),
	KUNIT_CASE(every_vector),
	KUNIT_CASE(priority_tpr_ppr),
	KUNIT_CASE(highest_first),
	KUNIT_CASE(vectors_below_16),
	KUNIT_CASE(ipi_physical),
	KUNIT_CASE(ipi_shorthands),
	KUNIT_CASE(ipi_logical_flat),
	KUNIT_CASE(ipi_logical_cluster),
	KUNIT_CASE(ipi_lowest_priority),
	KUNIT_CASE(ipi_nmi_init_sipi),
	KUNIT_CASE(x2apic_icr),
	KUNIT_CASE(msi_delivery),
	KUNIT_CASE(msi_validate),
	KUNIT_CASE(x2apic_msr_needs_x2apic),
	KUNIT_CASE(x2apic_invalid_registers),
	KUNIT_CASE(x2apic_transitions),
	KUNIT_CASE(timer_countdown),
	KUNIT_CASE(timer_divide),
	KUNIT_CASE(timer_oneshot_fires),
	KUNIT_CASE(timer_periodic_fires),
	KUNIT_CASE(timer_masked),
	KUNIT_CASE(timer_tsc_deadline),
	KUNIT_CASE(timer_mode_change_disarms),
	KUNIT_CASE(timer_without_tsc_khz),
	KUNIT_CASE(accepts_extint),
	{}
};

static struct kunit_suite lv_lapic_suite = {
	.name = "lv_lapic",
	.init = lapic_init,
	.exit = lapic_exit,
	.test_cases = lv_lapic_cases,
};

kunit_test_suites(&lv_lapic_suite);
