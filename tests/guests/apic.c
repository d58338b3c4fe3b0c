// SPDX-License-Identifier: GPL-2.0
/*
 * apic.elf: the local APIC as a guest uses it, in xAPIC mode (MMIO page
 * at 0xfee00000) and then in x2APIC mode (MSRs):
 *  - identity: CPUID bits, APIC ID 0, version, the BSP flag;
 *  - self IPIs delivered through the IDT, in priority order, held back by
 *    TPR and by IF=0 and by the STI shadow, ISR set until EOI;
 *  - an NMI sent to self;
 *  - the timer: one-shot (HLT sleeps until it fires), periodic, current
 *    count counting down, masked LVT; TSC-deadline mode;
 *  - x2APIC: ICR as one MSR, SELF IPI, invalid registers #GP.
 * Every line "PASS apic-<step>" is one check; any "FAIL" fails the test.
 */
#include "rt.h"

const char guest_name[] = "apic";

#define APIC_BASE_MSR	0x1b
#define APIC_EN		(1u << 11)
#define APIC_EXTD	(1u << 10)
#define APIC_BSP	(1u << 8)
#define TSC_DEADLINE	0x6e0
#define XAPIC		0xfee00000UL

#define R_ID		0x20
#define R_VER		0x30
#define R_TPR		0x80
#define R_PPR		0xa0
#define R_EOI		0xb0
#define R_SVR		0xf0
#define R_ISR		0x100
#define R_IRR		0x200
#define R_ICR		0x300
#define R_ICR2		0x310
#define R_LVTT		0x320
#define R_LVT0		0x350
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0

#define V_TIMER		0x40
#define V_LOW		0x41
#define V_HIGH		0x61

static int x2;			/* x2APIC mode */
static volatile int seen[256];
static volatile int order[8];
static volatile int norder;
static volatile int after_sti, after_sti_at_irq;

static u32 rd(u32 reg)
{
	if (x2)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return *(volatile u32 *)(XAPIC + reg);
}

static void wr(u32 reg, u32 v)
{
	if (x2)
		wrmsr(0x800 + (reg >> 4), v);
	else
		*(volatile u32 *)(XAPIC + reg) = v;
}

static void on_irq(int vector)
{
	seen[vector]++;
	if (!norder)
		after_sti_at_irq = after_sti;
	if (norder < 8)
		order[norder++] = vector;
	if (vector != 2) {
		/* the vector is in service until EOI */
		if (!(rd(R_ISR + (vector >> 5) * 0x10) & (1u << (vector & 31))))
			fail("vector 0x%x not in ISR in its handler", vector);
		wr(R_EOI, 0);
	}
}

static void reset_seen(void)
{
	for (int i = 0; i < 256; i++)
		seen[i] = 0;
	norder = 0;
}

static void sti(void) { asm volatile("sti" ::: "memory"); }
static void cli(void) { asm volatile("cli" ::: "memory"); }

static void self_ipi(int vector)
{
	if (x2)
		wrmsr(0x83f, vector);		/* SELF IPI register */
	else
		wr(R_ICR, 0x40000 | vector);	/* shorthand self, fixed */
}

static void pass(const char *step, const char *mode)
{
	printf("PASS apic-%s%s\n", step, mode);
}

static void identity(void)
{
	u32 a, b, c, d;
	u64 base = rdmsr(APIC_BASE_MSR);

	cpuid(1, 0, &a, &b, &c, &d);
	CHECK(d & (1u << 9), "CPUID.1:EDX.APIC clear");
	CHECK(c & (1u << 21), "CPUID.1:ECX.x2APIC clear");
	CHECK(c & (1u << 24), "CPUID.1:ECX.TSC-deadline clear");
	CHECK((base & ~0xfffULL) == XAPIC, "APIC base 0x%llx", (unsigned long long)base);
	CHECK((base & (APIC_EN | APIC_BSP)) == (APIC_EN | APIC_BSP),
	      "APIC base flags 0x%llx", (unsigned long long)base);
	CHECK((rd(R_ID) >> 24) == 0, "xAPIC ID 0x%x", rd(R_ID));
	CHECK((rd(R_VER) & 0xff) >= 0x10 && ((rd(R_VER) >> 16) & 0xff) >= 4,
	      "version 0x%x", rd(R_VER));
	pass("identity", "");
}

/* self IPIs: delivery, priority order, TPR, IF and the STI shadow */
static void ipis(const char *mode)
{
	reset_seen();
	cli();
	self_ipi(V_LOW);
	self_ipi(V_HIGH);
	CHECK(!seen[V_LOW] && !seen[V_HIGH], "%s: IPI taken with IF=0", mode);
	CHECK(rd(R_IRR + 0x20) & (1u << (V_HIGH & 31)), "%s: 0x61 not in IRR", mode);
	/* STI shadow: nothing before the instruction after STI completes */
	after_sti = 0;
	asm volatile("sti; movl $1, %0" : "=m"(after_sti) :: "memory");
	cli();
	CHECK(after_sti_at_irq == 1, "%s: interrupt taken inside the STI shadow", mode);
	CHECK(seen[V_LOW] == 1 && seen[V_HIGH] == 1, "%s: IPIs seen %d %d", mode,
	      seen[V_LOW], seen[V_HIGH]);
	CHECK(norder >= 2 && order[0] == V_HIGH && order[1] == V_LOW,
	      "%s: order 0x%x 0x%x, want 0x61 then 0x41", mode, order[0], order[1]);

	/* TPR 0x50 holds back class 4 (0x41), not class 6 (0x61) */
	reset_seen();
	wr(R_TPR, 0x50);
	sti();
	self_ipi(V_LOW);
	self_ipi(V_HIGH);
	asm volatile("nop; nop" ::: "memory");
	CHECK(seen[V_HIGH] == 1 && !seen[V_LOW], "%s: TPR 0x50: seen 0x61 %d 0x41 %d",
	      mode, seen[V_HIGH], seen[V_LOW]);
	CHECK(rd(R_PPR) == 0x50, "%s: PPR 0x%x with TPR 0x50", mode, rd(R_PPR));
	wr(R_TPR, 0);
	asm volatile("nop; nop" ::: "memory");
	CHECK(seen[V_LOW] == 1, "%s: 0x41 not delivered after TPR 0", mode);
	cli();
	CHECK(rd(R_ISR + 0x20) == 0 && rd(R_ISR + 0x40) == 0, "%s: ISR not clear", mode);

	/* NMI to self */
	reset_seen();
	if (x2)
		wrmsr(0x830, 0x40400);		/* self, NMI */
	else
		wr(R_ICR, 0x40400);
	asm volatile("nop; nop" ::: "memory");
	CHECK(seen[2] == 1, "%s: NMI seen %d times", mode, seen[2]);
	pass("ipi-", mode);
}

/* the timer: one-shot with HLT, periodic, masked, current count */
static void timer(const char *mode)
{
	u32 c1, c2;

	reset_seen();
	wr(R_TDCR, 0xb);			/* divide by 1 */
	wr(R_LVTT, V_TIMER);			/* one-shot, unmasked */
	wr(R_TMICT, 2000000);
	c1 = rd(R_TMCCT);
	for (volatile int i = 0; i < 1000; i++)
		;
	c2 = rd(R_TMCCT);
	CHECK(c1 > 0 && c1 <= 2000000 && c2 < c1, "%s: current count %u then %u",
	      mode, c1, c2);
	/* HLT sleeps in the hypervisor until the timer fires */
	asm volatile("sti; hlt; cli" ::: "memory");
	CHECK(seen[V_TIMER] == 1, "%s: one-shot fired %d times", mode, seen[V_TIMER]);
	CHECK(rd(R_TMCCT) == 0, "%s: count %u after firing", mode, rd(R_TMCCT));

	/* periodic: three interrupts, each ending a HLT */
	reset_seen();
	wr(R_LVTT, V_TIMER | (1u << 17));
	wr(R_TMICT, 500000);
	for (int i = 0; i < 3; i++)
		asm volatile("sti; hlt; cli" ::: "memory");
	CHECK(seen[V_TIMER] >= 3, "%s: periodic fired %d times", mode, seen[V_TIMER]);
	/* masked: the timer runs but does not interrupt */
	wr(R_LVTT, V_TIMER | (1u << 17) | (1u << 16));
	reset_seen();
	sti();
	for (volatile int i = 0; i < 200000; i++)
		;
	cli();
	CHECK(!seen[V_TIMER], "%s: masked timer interrupted %d times", mode,
	      seen[V_TIMER]);
	wr(R_TMICT, 0);
	pass("timer-", mode);
}

static void tsc_deadline(void)
{
	u64 deadline, now;

	reset_seen();
	wr(R_LVTT, V_TIMER | (2u << 17));	/* TSC-deadline mode */
	deadline = rdtsc() + 3000000;
	wrmsr(TSC_DEADLINE, deadline);
	CHECK(rdmsr(TSC_DEADLINE) == deadline, "deadline reads back 0x%llx",
	      (unsigned long long)rdmsr(TSC_DEADLINE));
	asm volatile("sti; hlt; cli" ::: "memory");
	now = rdtsc();
	CHECK(seen[V_TIMER] == 1, "TSC deadline fired %d times", seen[V_TIMER]);
	CHECK(now >= deadline, "woke at TSC 0x%llx, before the deadline 0x%llx",
	      (unsigned long long)now, (unsigned long long)deadline);
	CHECK(rdmsr(TSC_DEADLINE) == 0, "deadline not cleared after firing");
	/* a deadline in the past fires at once; 0 disarms */
	reset_seen();
	wrmsr(TSC_DEADLINE, 1);
	asm volatile("sti; nop; nop; cli" ::: "memory");
	CHECK(seen[V_TIMER] == 1, "past deadline fired %d times", seen[V_TIMER]);
	wrmsr(TSC_DEADLINE, rdtsc() + 100000000ULL);
	wrmsr(TSC_DEADLINE, 0);
	wr(R_LVTT, 1u << 16);
	pass("tsc-deadline", "");
}

static void x2apic_enable(void)
{
	u64 base = rdmsr(APIC_BASE_MSR);

	wrmsr(APIC_BASE_MSR, base | APIC_EXTD);
	x2 = 1;
	CHECK(rd(R_ID) == 0, "x2APIC ID %u", rd(R_ID));
	CHECK(rd(0xd0) == 1, "x2APIC LDR 0x%x, want cluster 0 bit 0", rd(0xd0));
	/* ICR2 (0x831) and DFR (0x80e) do not exist in x2APIC mode */
	trap_expect(2);
	rdmsr(0x831);
	CHECK(trap_taken() == 13, "RDMSR 0x831 did not #GP");
	trap_expect(2);
	wrmsr(0x802, 5);		/* the ID is read-only */
	CHECK(trap_taken() == 13, "WRMSR to the x2APIC ID did not #GP");
	/* x2APIC straight back to xAPIC is invalid */
	trap_expect(2);
	wrmsr(APIC_BASE_MSR, (base | APIC_EXTD) & ~(u64)APIC_EXTD);
	CHECK(trap_taken() == 13, "x2APIC to xAPIC did not #GP");
	pass("x2apic-mode", "");
}

void guest_main(u32 magic, ulong info)
{
	irq_hook = on_irq;
	identity();
	wr(R_SVR, 0x1ff);		/* software enable, spurious 0xff */
	wr(R_LVT0, 1u << 16);
	ipis("xapic");
	timer("xapic");
	x2apic_enable();
	ipis("x2apic");
	timer("x2apic");
	tsc_deadline();
}
