// SPDX-License-Identifier: GPL-2.0
/*
 * bench.elf: what exits cost, in TSC ticks per operation.
 *
 *   cpuid_ticks      CPUID leaf 0 (handled in the kernel)
 *   vmcall_ticks     VMCALL with RAX = 0 (labvisor: LV_HC_API_VERSION; kvm:
 *                    an unknown number, -KVM_ENOSYS): handled in the kernel
 *   io_ticks         OUT to the scratch port 0xe0 (handled by lvctl)
 *   io_kernel_ticks  OUT to port 0xe4: with `lvctl run --ioeventfd 0xe4` an
 *                    ioeventfd doorbell, handled in the kernel (without it,
 *                    lvctl's sequence port: a user-space round trip)
 *   mmio_ticks       a 32-bit read of lvctl's test-mmio device at 0xd0000000
 *                    (not RAM: handled by lvctl)
 *   hlt_timer_ticks  HLT woken by the local APIC's TSC-deadline timer: from
 *                    the deadline to the first instruction of the interrupt
 *                    handler (needs a local APIC with TSC-deadline mode:
 *                    labvisor, kvm with --irqchip; skipped without)
 *
 * Each loop measurement is a batch of N operations between two RDTSCs
 * fenced with LFENCE; the result is the minimum over BATCHES batches
 * (interrupts in the host only ever add time) minus the minimum of the same
 * loop without the operation, divided by N, rounded.  The timer figure is
 * the minimum over TIMER_ROUNDS wake-ups.  In the Bochs lab one TSC tick is
 * one emulated instruction, so the figures are exact counts.
 */
#include "rt.h"

const char guest_name[] = "bench";

#define N		100
#define BATCHES		20
#define TIMER_ROUNDS	8
#define TIMER_AHEAD	200000		/* ticks from arming to the deadline */

#define XAPIC		0xfee00000UL
#define R_EOI		0xb0
#define R_SVR		0xf0
#define R_LVTT		0x320
#define LVT_MASKED	(1u << 16)
#define LVTT_TSC_DEADLINE	(2u << 17)
#define MSR_TSC_DEADLINE	0x6e0
#define V_TIMER		0x40

/* one batch: N times INSN between fenced RDTSCs, in ticks */
#define BATCH(insn) do {						\
	asm volatile("lfence; rdtsc; lfence; movl %%eax, %%esi; movl %1, %%edi\n" \
		     "1: " insn "; decl %%edi; jnz 1b\n"			\
		     "lfence; rdtsc; lfence; subl %%esi, %%eax"		\
		     : "=&a"(t) : "i"(N)					\
		     : "ebx", "ecx", "edx", "esi", "edi", "memory");		\
} while (0)

enum loop {
	LOOP_CPUID, LOOP_CPUID_BASE,
	LOOP_VMCALL,
	LOOP_OUT, LOOP_OUT_KERNEL, LOOP_OUT_BASE,
	LOOP_MMIO, LOOP_MMIO_BASE,
};

static u32 batch(enum loop which)
{
	u32 t;

	switch (which) {
	case LOOP_CPUID:
		BATCH("xorl %%eax, %%eax; cpuid");
		break;
	case LOOP_CPUID_BASE:
		BATCH("xorl %%eax, %%eax");
		break;
	case LOOP_VMCALL:
		BATCH("xorl %%eax, %%eax; vmcall");
		break;
	case LOOP_OUT:
		BATCH("outb %%al, $0xe0");
		break;
	case LOOP_OUT_KERNEL:
		BATCH("outb %%al, $0xe4");
		break;
	case LOOP_MMIO:
		BATCH("movl 0xd0000000, %%ecx");
		break;
	case LOOP_MMIO_BASE:
		BATCH("movl (%%esp), %%ecx");
		break;
	default:
		BATCH("");
	}
	return t;
}

static u32 min_batch(enum loop which)
{
	u32 best = ~0U;

	for (int i = 0; i < BATCHES; i++) {
		u32 t = batch(which);

		if (t < best)
			best = t;
	}
	return best;
}

static void report(const char *key, enum loop op, enum loop base)
{
	u32 with = min_batch(op), without = min_batch(base);

	printf("bench: %s: min %u ticks with, %u without, over %d batches of %d\n",
	       key, with, without, BATCHES, N);
	if (with <= without) {
		fail("%s: the loop with the operation is not slower (%u <= %u)",
		     key, with, without);
		return;
	}
	printf("BENCH %s %u\n", key, (with - without + N / 2) / N);
}

static volatile u64 irq_tsc;
static volatile int irq_count;

static void apic_write(u32 reg, u32 v)
{
	*(volatile u32 *)(XAPIC + reg) = v;
}

static void on_timer(int vector)
{
	u32 lo, hi;

	/* the handler's first act: no fence, as close to delivery as we get */
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	if (vector == V_TIMER && !irq_count)
		irq_tsc = ((u64)hi << 32) | lo;
	irq_count++;
	apic_write(R_EOI, 0);
}

/* HLT until the TSC deadline fires; the cost is deadline -> handler */
static void hlt_timer(void)
{
	u32 a, b, c, d;
	u64 best = ~0ULL;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 9)) || !(c & (1u << 24))) {
		printf("bench: hlt_timer_ticks: skipped, no local APIC with a %s\n",
		       "TSC-deadline timer (kvm: --irqchip)");
		return;
	}
	irq_hook = on_timer;
	apic_write(R_SVR, 0x1ff);
	apic_write(R_LVTT, V_TIMER | LVTT_TSC_DEADLINE);
	for (int i = 0; i < TIMER_ROUNDS; i++) {
		u64 deadline;

		irq_count = 0;
		deadline = rdtsc() + TIMER_AHEAD;
		wrmsr(MSR_TSC_DEADLINE, deadline);
		/* STI's shadow covers HLT: the interrupt ends the HLT */
		asm volatile("sti; hlt; cli" ::: "memory");
		if (irq_count != 1 || irq_tsc < deadline) {
			fail("hlt_timer_ticks: round %d: %d interrupt(s), handler at %llu, deadline %llu",
			     i, irq_count, (unsigned long long)irq_tsc,
			     (unsigned long long)deadline);
			break;
		}
		if (irq_tsc - deadline < best)
			best = irq_tsc - deadline;
	}
	apic_write(R_LVTT, LVT_MASKED);
	irq_hook = 0;
	if (best != ~0ULL) {
		printf("bench: hlt_timer_ticks: min over %d wake-ups, %d ticks ahead\n",
		       TIMER_ROUNDS, TIMER_AHEAD);
		printf("BENCH hlt_timer_ticks %llu\n", (unsigned long long)best);
	}
}

void guest_main(u32 magic, ulong info)
{
	report("cpuid_ticks", LOOP_CPUID, LOOP_CPUID_BASE);
	report("vmcall_ticks", LOOP_VMCALL, LOOP_CPUID_BASE);
	report("io_ticks", LOOP_OUT, LOOP_OUT_BASE);
	report("io_kernel_ticks", LOOP_OUT_KERNEL, LOOP_OUT_BASE);
	report("mmio_ticks", LOOP_MMIO, LOOP_MMIO_BASE);
	hlt_timer();
}
