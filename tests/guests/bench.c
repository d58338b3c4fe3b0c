// SPDX-License-Identifier: GPL-2.0
/*
 * bench.elf: the cost of two exits, in TSC ticks per operation.
 *
 *   cpuid_ticks  CPUID leaf 0 (handled in the kernel)
 *   io_ticks     OUT to the scratch port 0xe0 (handled by lvctl)
 *
 * Each measurement is a batch of N operations between two RDTSCs fenced
 * with LFENCE; the result is the minimum over BATCHES batches (interrupts
 * in the host only ever add time) minus the minimum of the same loop
 * without the operation, divided by N, rounded.  In the Bochs lab one TSC
 * tick is one emulated instruction, so the figure is an exact count.
 */
#include "rt.h"

const char guest_name[] = "bench";

#define N	100
#define BATCHES	20

enum loop { LOOP_CPUID, LOOP_CPUID_BASE, LOOP_OUT, LOOP_OUT_BASE };

static u32 batch(enum loop which)
{
	u32 t;

	switch (which) {
	case LOOP_CPUID:
		asm volatile("lfence; rdtsc; lfence; movl %%eax, %%esi; movl %1, %%edi\n"
			     "1: xorl %%eax, %%eax; cpuid; decl %%edi; jnz 1b\n"
			     "lfence; rdtsc; lfence; subl %%esi, %%eax"
			     : "=&a"(t) : "i"(N) : "ebx", "ecx", "edx", "esi", "edi", "memory");
		break;
	case LOOP_CPUID_BASE:
		asm volatile("lfence; rdtsc; lfence; movl %%eax, %%esi; movl %1, %%edi\n"
			     "1: xorl %%eax, %%eax; decl %%edi; jnz 1b\n"
			     "lfence; rdtsc; lfence; subl %%esi, %%eax"
			     : "=&a"(t) : "i"(N) : "ebx", "ecx", "edx", "esi", "edi", "memory");
		break;
	case LOOP_OUT:
		asm volatile("lfence; rdtsc; lfence; movl %%eax, %%esi; movl %1, %%edi\n"
			     "1: outb %%al, $0xe0; decl %%edi; jnz 1b\n"
			     "lfence; rdtsc; lfence; subl %%esi, %%eax"
			     : "=&a"(t) : "i"(N) : "edx", "esi", "edi", "memory");
		break;
	default:
		asm volatile("lfence; rdtsc; lfence; movl %%eax, %%esi; movl %1, %%edi\n"
			     "1: decl %%edi; jnz 1b\n"
			     "lfence; rdtsc; lfence; subl %%esi, %%eax"
			     : "=&a"(t) : "i"(N) : "edx", "esi", "edi", "memory");
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

void guest_main(u32 magic, ulong info)
{
	report("cpuid_ticks", LOOP_CPUID, LOOP_CPUID_BASE);
	report("io_ticks", LOOP_OUT, LOOP_OUT_BASE);
}
