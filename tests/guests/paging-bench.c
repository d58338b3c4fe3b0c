// SPDX-License-Identifier: GPL-2.0
/*
 * paging-bench.bin: lvctl run --mode long64 [--mmu ept|shadow] (make bench).
 * The cost of paging work, in TSC ticks per operation:
 *
 *   pf_storm_ticks    touch a fresh page: the guest's own #PF handler maps
 *                     it on demand (512 pages a round; their PTEs are
 *                     cleared and CR3 reloaded between rounds)
 *   cr3_switch_ticks  MOV to CR3 between two address spaces, each followed
 *                     by a read of a page mapped in both
 *   pte_update_ticks  rewrite one PTE (another frame), INVLPG, read the page
 *
 * Each figure is the minimum over rounds of (loop - the same loop without
 * the operation) / N: interrupts and host work only ever add time.
 */
#include "rt.h"

const char guest_name[] = "paging-bench";

#define P	(1ULL << 0)
#define W	(1ULL << 1)
#define ADDR	0x000ffffffffff000ULL
#define T	0x8000000000UL		/* PML4 entry 1 */
#define POOL	0x800000UL		/* tables: 8 MiB + */
#define FRAMES	0x1000000UL		/* the storm's 512 frames: 16 MiB + */
#define NPAGES	512
#define N	100
#define ROUNDS	8

void bench_pf(void);
extern u64 *bench_pt;

/* the guest's demand-paging #PF handler: map CR2's page to its frame */
asm(".text\n"
    ".globl bench_pf\n"
    "bench_pf:\n"
    "	push %rax; push %rcx; push %rdx\n"
    "	mov %cr2, %rax\n"
    "	movabs $0x8000000000, %rcx\n"
    "	sub %rcx, %rax\n"
    "	shr $12, %rax\n"
    "	and $511, %rax\n"
    "	mov %rax, %rcx\n"
    "	shl $12, %rcx\n"
    "	add $0x1000003, %rcx\n"		/* FRAMES | P | W */
    "	mov bench_pt(%rip), %rdx\n"
    "	mov %rcx, (%rdx,%rax,8)\n"
    "	pop %rdx; pop %rcx; pop %rax\n"
    "	add $8, %rsp\n"			/* error code */
    "	iretq\n"
    ".data\n"
    ".balign 8\n"
    ".globl bench_pt\n"
    "bench_pt: .quad 0\n"
    ".text\n");

struct as {
	u64 *pml4, *pdpt, *pd, *pt;
};

static ulong pool_next = POOL;

static inline void write_cr3(ulong v) { asm volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void invlpg(ulong a) { asm volatile("invlpg (%0)" :: "r"(a) : "memory"); }
static inline u64 tsc(void) { return rdtsc(); }

static void *alloc_page(void)
{
	void *p = (void *)pool_next;

	pool_next += 4096;
	memset(p, 0, 4096);
	return p;
}

static void as_init(struct as *a, const u64 *lv)
{
	a->pml4 = alloc_page();
	memcpy(a->pml4, lv, 4096);
	a->pdpt = alloc_page();
	a->pd = alloc_page();
	a->pt = alloc_page();
	a->pml4[1] = (ulong)a->pdpt | P | W;
	a->pdpt[0] = (ulong)a->pd | P | W;
	a->pd[0] = (ulong)a->pt | P | W;
}

static void set_gate(int vec, void (*fn)(void))
{
	struct { u16 limit; ulong base; } __attribute__((packed)) dp;
	ulong a = (ulong)fn;
	u8 *g;

	asm volatile("sidt %0" : "=m"(dp));
	g = (u8 *)dp.base + vec * 16;
	*(u16 *)g = a & 0xffff;
	*(u16 *)(g + 2) = 0x08;
	g[4] = 0;
	g[5] = 0x8e;
	*(u16 *)(g + 6) = (a >> 16) & 0xffff;
	*(u32 *)(g + 8) = a >> 32;
	*(u32 *)(g + 12) = 0;
}

static u64 touch_all(void)
{
	u64 t0 = tsc();

	for (ulong i = 0; i < NPAGES; i++)
		*(volatile u8 *)(T + i * 4096) = 1;
	return tsc() - t0;
}

static void result(const char *key, u64 with, u64 without, u32 n)
{
	printf("bench: %s: min %llu ticks with, %llu without, %u operations\n",
	       key, with, without, n);
	if (with <= without) {
		fail("%s: the loop with the operation is not slower", key);
		return;
	}
	printf("BENCH %s %llu\n", key, (with - without + n / 2) / n);
}

static void pf_storm(struct as *a)
{
	u64 storm = ~0ULL, warm = ~0ULL, t;

	bench_pt = a->pt;
	for (int r = 0; r < ROUNDS; r++) {
		memset(a->pt, 0, 4096);
		write_cr3((ulong)a->pml4);
		t = touch_all();
		storm = t < storm ? t : storm;
		t = touch_all();
		warm = t < warm ? t : warm;
	}
	result("pf_storm_ticks", storm, warm, NPAGES);
}

static void cr3_switch(struct as *a, struct as *b)
{
	u64 with = ~0ULL, without = ~0ULL, t0, t;
	ulong ca = (ulong)a->pml4, cb = (ulong)b->pml4;

	for (int r = 0; r < ROUNDS; r++) {
		t0 = tsc();
		for (int i = 0; i < N; i++) {
			write_cr3(cb);
			(void)*(volatile u8 *)T;
			write_cr3(ca);
			(void)*(volatile u8 *)T;
		}
		t = tsc() - t0;
		with = t < with ? t : with;
		t0 = tsc();
		for (int i = 0; i < N; i++) {
			(void)*(volatile u8 *)T;
			(void)*(volatile u8 *)T;
		}
		t = tsc() - t0;
		without = t < without ? t : without;
	}
	result("cr3_switch_ticks", with, without, 2 * N);
}

static void pte_update(struct as *a)
{
	u64 with = ~0ULL, without = ~0ULL, t0, t;
	ulong va = T + 7 * 4096UL;

	for (int r = 0; r < ROUNDS; r++) {
		t0 = tsc();
		for (int i = 0; i < N; i++) {
			a->pt[7] = (FRAMES + (i & 1 ? 8 : 9) * 4096UL) | P | W;
			invlpg(va);
			(void)*(volatile u8 *)va;
		}
		t = tsc() - t0;
		with = t < with ? t : with;
		t0 = tsc();
		for (int i = 0; i < N; i++) {
			asm volatile("" ::: "memory");
			(void)*(volatile u8 *)va;
		}
		t = tsc() - t0;
		without = t < without ? t : without;
	}
	result("pte_update_ticks", with, without, N);
}

void guest_main(u32 magic, ulong info)
{
	const u64 *lv = (const u64 *)(read_cr3() & ADDR);
	struct as a, b;

	as_init(&a, lv);
	as_init(&b, lv);
	/* page 0 of T: the same frame in both spaces */
	b.pt[0] = (FRAMES + 600 * 4096UL) | P | W;
	set_gate(14, bench_pf);
	write_cr3((ulong)a.pml4);
	pf_storm(&a);
	a.pt[0] = b.pt[0];
	write_cr3((ulong)a.pml4);
	cr3_switch(&a, &b);
	pte_update(&a);
}
