// SPDX-License-Identifier: GPL-2.0
/*
 * paging.bin: lvctl run --mode long64 [--mmu ept|shadow] (flat, 1 MiB).
 *
 * 4-level paging from the inside, the same on every MMU: the guest builds
 * its own address spaces (a copy of lvctl's identity map plus its own
 * tables for the 2 MiB at T = 512 GiB) and checks
 * - map, unmap (#PF, error 0, CR2), remap, INVLPG; a 2 MiB page;
 * - accessed and dirty bits at every level, set again after clearing;
 * - #PF error codes and CR2 for not-present, write to read-only (CR0.WP = 1
 *   and 0), user access to a supervisor page, user write to a read-only
 *   page, user and supervisor fetch from an XD page, a reserved bit (bit
 *   MAXPHYADDR, and XD with EFER.NXE = 0);
 * - switching among three address spaces, a page they share;
 * - a fork-like copy-on-write of a page between two address spaces;
 * - a loop rewriting one PTE 300 times, and a page table that maps itself,
 *   written through that mapping;
 * - INVLPG per translation: a changed PTE is seen after its INVLPG while a
 *   neighbour in the same table changed without one (that one only after
 *   its own INVLPG or a CR3 load), a not-present PTE made present needs no
 *   INVLPG, a changed PDE is seen after INVLPG of an address under it, and
 *   INVLPG of one address of a 2 MiB page drops the whole page;
 * - MMIO (the test device at 0xd0000000) through a 4 KiB mapping.
 * Faults are taken by our own #PF handler, which records the error code
 * and CR2 and returns from probe_kernel()/probe_user() with 1.
 */
#include "rt.h"

const char guest_name[] = "paging";

#define P	(1ULL << 0)
#define W	(1ULL << 1)
#define U	(1ULL << 2)
#define A	(1ULL << 5)
#define D	(1ULL << 6)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)
#define ADDR	0x000ffffffffff000ULL

#define PF_P	0x1
#define PF_W	0x2
#define PF_U	0x4
#define PF_RSVD	0x8
#define PF_I	0x10

#define CR0_WP		(1UL << 16)
#define EFER_NXE	(1ULL << 11)

#define T	0x8000000000UL		/* PML4 entry 1 */
#define POOL	0x800000UL		/* our page tables and pages: 8 MiB + */
#define BIG	0x1000000UL		/* the 2 MiB page's frame: 16 MiB */
#define BIG2	0x1200000UL		/* another 2 MiB frame: 18 MiB */

int probe_kernel(void *fn, ulong addr, ulong val);
int probe_user(ulong rip, ulong addr, ulong val);
void pf_stub(void);
void ret_stub(void);
void read64(void);
void write64(void);
extern u64 probe_err, probe_cr2, probe_val;

asm(".text\n"
    ".globl probe_kernel, probe_user, pf_stub, ret_stub, read64, write64\n"
    "probe_kernel:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	mov %rsp, probe_rsp(%rip)\n"
    "	call *%rdi\n"
    "	xor %eax, %eax\n"
    "probe_out:\n"
    "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "	ret\n"
    "probe_user:\n"
    "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "	mov %rsp, probe_rsp(%rip)\n"
    "	pushq $0x1b\n"		/* SS: user data */
    "	pushq $0\n"		/* RSP: the user code pushes nothing */
    "	pushq $2\n"		/* RFLAGS: IF = 0 */
    "	pushq $0x23\n"		/* CS: user code, 64-bit */
    "	pushq %rdi\n"
    "	iretq\n"
    "pf_stub:\n"
    "	pop %rax\n"
    "	mov %rax, probe_err(%rip)\n"
    "	mov %cr2, %rax\n"
    "	mov %rax, probe_cr2(%rip)\n"
    "	mov $1, %ebx\n"
    "	jmp back\n"
    "ret_stub:\n"
    "	mov %rax, probe_val(%rip)\n"
    "	xor %ebx, %ebx\n"
    "back:\n"
    "	mov probe_rsp(%rip), %rsp\n"
    "	mov $0x10, %eax\n"
    "	mov %eax, %ds; mov %eax, %es; mov %eax, %ss\n"
    "	mov %ebx, %eax\n"
    "	jmp probe_out\n"
    "read64:\n"
    "	mov (%rsi), %rax\n"
    "	mov %rax, probe_val(%rip)\n"
    "	ret\n"
    "write64:\n"
    "	mov %rdx, (%rsi)\n"
    "	ret\n"
    ".data\n"
    ".balign 8\n"
    ".globl probe_err, probe_cr2, probe_val\n"
    "probe_rsp: .quad 0\n"
    "probe_err: .quad 0\n"
    "probe_cr2: .quad 0\n"
    "probe_val: .quad 0\n"
    ".text\n");

/* user-mode code, copied into a user page: each ends with INT 0x80 */
static const u8 user_code[] = {
	0x48, 0x8b, 0x06, 0xcd, 0x80, 0, 0, 0,	/* 0: mov (%rsi),%rax; int $0x80 */
	0x48, 0x89, 0x16, 0xcd, 0x80, 0, 0, 0,	/* 8: mov %rdx,(%rsi); int $0x80 */
	0xcd, 0x80,				/* 16: int $0x80 */
};
#define UREAD	0
#define UWRITE	8
#define UNOP	16

static u64 gdt[7] __attribute__((aligned(16)));
static u8 tss[104] __attribute__((aligned(16)));
static u8 kstack[8192] __attribute__((aligned(16)));
static ulong pool_next = POOL;
static int checks;

struct as {
	u64 *pml4, *pdpt, *pd, *pt;
};

static inline void write_cr0(ulong v) { asm volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(ulong v) { asm volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void invlpg(ulong a) { asm volatile("invlpg (%0)" :: "r"(a) : "memory"); }

#define EXPECT(cond, ...) do { checks++; CHECK(cond, __VA_ARGS__); } while (0)

static void *alloc_page(void)
{
	void *p = (void *)pool_next;

	pool_next += 4096;
	memset(p, 0, 4096);
	return p;
}

static u64 *fill_page(u64 v)
{
	u64 *p = alloc_page();

	for (int i = 0; i < 512; i++)
		p[i] = v + i;
	return p;
}

static void as_init(struct as *a)
{
	const u64 *lv = (const u64 *)(read_cr3() & ADDR);

	a->pml4 = alloc_page();
	memcpy(a->pml4, lv, 4096);
	a->pdpt = alloc_page();
	a->pd = alloc_page();
	a->pt = alloc_page();
	a->pml4[1] = (ulong)a->pdpt | P | W | U;
	a->pdpt[0] = (ulong)a->pd | P | W | U;
	a->pd[0] = (ulong)a->pt | P | W | U;
}

static void set_pte(struct as *a, int i, u64 v)
{
	a->pt[i] = v;
	invlpg(T + i * 4096UL);
}

static ulong va(int i)
{
	return T + i * 4096UL;
}

static int kread(ulong addr)
{
	return probe_kernel(read64, addr, 0);
}

static int kwrite(ulong addr, u64 v)
{
	return probe_kernel(write64, addr, v);
}

static void expect_pf(int r, u32 err, ulong cr2, const char *what)
{
	checks++;
	if (!r) {
		fail("%s: no #PF", what);
		return;
	}
	CHECK(probe_err == err && probe_cr2 == cr2,
	      "%s: #PF error 0x%llx CR2 0x%llx, want 0x%x 0x%lx", what,
	      probe_err, probe_cr2, err, cr2);
}

static void expect_ok(int r, const char *what)
{
	checks++;
	CHECK(!r, "%s: #PF error 0x%llx CR2 0x%llx", what, probe_err, probe_cr2);
}

static void set_gate(int vec, void (*fn)(void), int dpl)
{
	struct { u16 limit; ulong base; } __attribute__((packed)) dp;
	u8 *g;
	ulong a = (ulong)fn;

	asm volatile("sidt %0" : "=m"(dp));
	g = (u8 *)dp.base + vec * 16;
	*(u16 *)g = a & 0xffff;
	*(u16 *)(g + 2) = 0x08;
	g[4] = 0;
	g[5] = 0x8e | (dpl << 5);
	*(u16 *)(g + 6) = (a >> 16) & 0xffff;
	*(u32 *)(g + 8) = a >> 32;
	*(u32 *)(g + 12) = 0;
}

static void setup_cpu(void)
{
	struct { u16 limit; ulong base; } __attribute__((packed)) gp;
	ulong t = (ulong)tss;

	gdt[1] = 0x00af9a000000ffffULL;		/* 0x08 kernel code */
	gdt[2] = 0x00cf92000000ffffULL;		/* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffffULL;		/* 0x18 user data */
	gdt[4] = 0x00affa000000ffffULL;		/* 0x20 user code, 64-bit */
	gdt[5] = 103 | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((t >> 24) & 0xff) << 56);	/* 0x28 TSS */
	gdt[6] = t >> 32;
	*(u64 *)(tss + 4) = (ulong)kstack + sizeof(kstack);
	*(u16 *)(tss + 102) = sizeof(tss);
	gp.limit = sizeof(gdt) - 1;
	gp.base = (ulong)gdt;
	asm volatile("lgdt %0" :: "m"(gp) : "memory");
	asm volatile("ltr %w0" :: "r"(0x28));
	set_gate(14, pf_stub, 0);
	set_gate(0x80, ret_stub, 3);
}

static void test_map(struct as *a)
{
	u64 *p1 = fill_page(0x1100), *p2 = fill_page(0x2200);

	set_pte(a, 0, (ulong)p1 | P | W);
	expect_ok(kread(va(0) + 8), "read a mapped page");
	EXPECT(probe_val == 0x1101, "read 0x%llx through the mapping, want 0x1101", probe_val);
	expect_ok(kwrite(va(0) + 16, 0xabcd), "write a mapped page");
	EXPECT(p1[2] == 0xabcd, "the write landed as 0x%llx", p1[2]);
	set_pte(a, 0, 0);
	expect_pf(kread(va(0)), 0, va(0), "read after unmap");
	expect_pf(kwrite(va(0) + 0x18, 1), PF_W, va(0) + 0x18, "write after unmap");
	set_pte(a, 0, (ulong)p2 | P | W);
	expect_ok(kread(va(0) + 0xff8), "read after remap");
	EXPECT(probe_val == 0x2200 + 511, "remapped page reads 0x%llx", probe_val);
	/* remap to another frame with INVLPG only */
	a->pt[0] = (ulong)p1 | P;
	invlpg(va(0));
	expect_ok(kread(va(0) + 16), "read after INVLPG");
	EXPECT(probe_val == 0xabcd, "INVLPG: old frame still seen (0x%llx)", probe_val);
	/* a 2 MiB page */
	*(u64 *)(BIG + 0x12340) = 0x5a5a5a5a;
	a->pd[1] = BIG | P | W | PS;
	invlpg(T + 0x200000);
	expect_ok(kread(T + 0x200000 + 0x12340), "read a 2 MiB page");
	EXPECT(probe_val == 0x5a5a5a5a, "2 MiB page reads 0x%llx", probe_val);
	EXPECT((a->pd[1] & (A | D)) == A, "2 MiB PDE A/D after a read: 0x%llx", a->pd[1]);
	expect_ok(kwrite(T + 0x200000 + 0x1ff000, 7), "write a 2 MiB page");
	EXPECT(a->pd[1] & D, "2 MiB PDE dirty after a write: 0x%llx", a->pd[1]);
	EXPECT(*(u64 *)(BIG + 0x1ff000) == 7, "2 MiB page write lost");
}

static void test_ad(struct as *a)
{
	u64 *p = fill_page(0x3300);

	a->pml4[1] &= ~A;
	a->pdpt[0] &= ~A;
	a->pd[0] &= ~A;
	write_cr3(read_cr3());
	set_pte(a, 1, (ulong)p | P | W);
	expect_ok(kread(va(1)), "read for A/D");
	EXPECT((a->pt[1] & (A | D)) == A, "PTE after a read: 0x%llx", a->pt[1]);
	EXPECT(a->pd[0] & A, "PDE not accessed: 0x%llx", a->pd[0]);
	EXPECT(a->pdpt[0] & A, "PDPTE not accessed: 0x%llx", a->pdpt[0]);
	EXPECT(a->pml4[1] & A, "PML4E not accessed: 0x%llx", a->pml4[1]);
	expect_ok(kwrite(va(1), 5), "write for A/D");
	EXPECT((a->pt[1] & (A | D)) == (A | D), "PTE after a write: 0x%llx", a->pt[1]);
	set_pte(a, 1, (ulong)p | P | W);
	expect_ok(kread(va(1) + 8), "read after clearing A/D");
	EXPECT((a->pt[1] & (A | D)) == A, "PTE after clearing and a read: 0x%llx", a->pt[1]);
	expect_ok(kwrite(va(1) + 8, 6), "write after clearing A/D");
	EXPECT(a->pt[1] & D, "PTE not dirty again: 0x%llx", a->pt[1]);
	EXPECT(p[0] == 5 && p[1] == 6, "A/D page holds %llx %llx", p[0], p[1]);
}

static void test_faults(struct as *a, u32 phys_bits, int nx)
{
	u64 *ro = fill_page(0x4400), *ucode = alloc_page(), *up = fill_page(0x5500);
	u64 *rw = fill_page(0x6600), *ret = alloc_page();
	ulong cr0 = read_cr0();

	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	memcpy(ucode, user_code, sizeof(user_code));
	set_pte(a, 2, (ulong)ro | P);
	set_pte(a, 3, (ulong)ucode | P | U);
	set_pte(a, 4, (ulong)up | P | U);
	set_pte(a, 5, (ulong)rw | P | W | U);
	set_pte(a, 6, 0);

	/* supervisor */
	expect_ok(kread(va(2)), "read a read-only page");
	expect_pf(kwrite(va(2) + 8, 1), PF_P | PF_W, va(2) + 8, "write read-only, WP=1");
	write_cr0(cr0 & ~CR0_WP);
	expect_ok(kwrite(va(2) + 8, 0x77), "write read-only, WP=0");
	EXPECT(ro[1] == 0x77, "WP=0 write lost (0x%llx)", ro[1]);
	expect_ok(kwrite(va(4) + 8, 0x88), "write user read-only, WP=0");
	expect_ok(probe_user(va(3) + UREAD, va(4) + 8, 0), "user read after a WP=0 write");
	EXPECT(probe_val == 0x88, "user read after a WP=0 write: 0x%llx", probe_val);
	expect_pf(probe_user(va(3) + UWRITE, va(4), 1), PF_P | PF_W | PF_U, va(4),
		  "user write read-only, WP=0");
	write_cr0(cr0);
	expect_pf(kwrite(va(2), 1), PF_P | PF_W, va(2), "write read-only, WP=1 again");

	/* user */
	expect_pf(probe_user(va(3) + UREAD, va(2), 0), PF_P | PF_U, va(2),
		  "user read of a supervisor page");
	expect_ok(probe_user(va(3) + UREAD, va(4), 0), "user read of a user page");
	expect_pf(probe_user(va(3) + UWRITE, va(4) + 16, 9), PF_P | PF_W | PF_U,
		  va(4) + 16, "user write of a read-only user page");
	expect_ok(probe_user(va(3) + UWRITE, va(5) + 16, 9), "user write of a user page");
	EXPECT(rw[2] == 9, "user write lost (0x%llx)", rw[2]);
	expect_pf(probe_user(va(3) + UREAD, va(6) + 24, 0), PF_U, va(6) + 24,
		  "user read of a not-present page");
	expect_pf(probe_user(va(2), 0, 0), PF_P | PF_U | (nx ? PF_I : 0), va(2),
		  "user fetch from a supervisor page");

	/* reserved bits */
	if (phys_bits < 52) {
		set_pte(a, 7, (ulong)rw | P | W | (1ULL << phys_bits));
		expect_pf(kread(va(7)), PF_P | PF_RSVD, va(7), "reserved bit MAXPHYADDR");
		expect_pf(kwrite(va(7), 1), PF_P | PF_RSVD | PF_W, va(7),
			  "write, reserved bit MAXPHYADDR");
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
	set_pte(a, 8, (ulong)rw | P | W | XD);
	expect_pf(kread(va(8)), PF_P | PF_RSVD, va(8), "XD with EFER.NXE = 0");

	/* execute disable */
	if (!nx)
		return;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	*(u8 *)ret = 0xc3;
	set_pte(a, 9, (ulong)ret | P);
	expect_ok(probe_kernel((void *)va(9), 0, 0), "fetch an executable page");
	set_pte(a, 9, (ulong)ret | P | XD);
	expect_pf(probe_kernel((void *)va(9), 0, 0), PF_P | PF_I, va(9), "fetch an XD page");
	set_pte(a, 9, 0);
	expect_pf(probe_kernel((void *)va(9), 0, 0), PF_I, va(9), "fetch a not-present page");
	set_pte(a, 3, (ulong)ucode | P | U | XD);
	expect_pf(probe_user(va(3) + UNOP, 0, 0), PF_P | PF_U | PF_I, va(3) + UNOP,
		  "user fetch from an XD page");
	set_pte(a, 3, (ulong)ucode | P | U);
	expect_ok(probe_user(va(3) + UNOP, 0, 0), "user fetch, XD cleared");
}

static void test_spaces(struct as *as)
{
	u64 *pg[3], *shared = fill_page(0x7700);
	int i;

	for (i = 0; i < 3; i++) {
		if (i)
			as_init(&as[i]);
		pg[i] = fill_page(0x10000 * (i + 1));
		as[i].pt[20] = (ulong)pg[i] | P | W;
		as[i].pt[21] = (ulong)shared | P | W;
	}
	for (i = 0; i < 60; i++) {
		int n = (i * 7) % 3;

		write_cr3((ulong)as[n].pml4);
		expect_ok(kread(va(20) + 8 * (i % 512)), "read in an address space");
		EXPECT(probe_val == 0x10000ULL * (n + 1) + (i % 512),
		       "space %d reads 0x%llx", n, probe_val);
		expect_ok(kwrite(va(21), i), "write a shared page");
		write_cr3((ulong)as[(n + 1) % 3].pml4);
		expect_ok(kread(va(21)), "read a shared page");
		EXPECT(probe_val == (u64)i, "shared page reads %lld, want %d", probe_val, i);
	}
	write_cr3((ulong)as[0].pml4);
}

/* fork: both spaces map X read-only; the first write copies */
static void test_cow(struct as *parent, struct as *child)
{
	u64 *x = fill_page(0x1111), *y = alloc_page();

	set_pte(parent, 30, (ulong)x | P | W);
	write_cr3((ulong)parent->pml4);
	expect_ok(kwrite(va(30), 0x1111), "parent write before fork");
	parent->pt[30] = (ulong)x | P;		/* fork: write-protect */
	write_cr3((ulong)parent->pml4);
	child->pt[30] = (ulong)x | P;
	write_cr3((ulong)child->pml4);
	expect_pf(kwrite(va(30), 0x2222), PF_P | PF_W, va(30), "child write after fork");
	memcpy(y, x, 4096);
	set_pte(child, 30, (ulong)y | P | W);
	expect_ok(kwrite(va(30), 0x2222), "child write after copy");
	write_cr3((ulong)parent->pml4);
	expect_ok(kread(va(30)), "parent read");
	EXPECT(probe_val == 0x1111, "parent sees 0x%llx after the child's write", probe_val);
	expect_pf(kwrite(va(30), 0x3333), PF_P | PF_W, va(30), "parent write after fork");
	set_pte(parent, 30, (ulong)x | P | W);	/* sole owner again */
	expect_ok(kwrite(va(30), 0x3333), "parent write after unprotect");
	write_cr3((ulong)child->pml4);
	expect_ok(kread(va(30)), "child read");
	EXPECT(probe_val == 0x2222, "child sees 0x%llx", probe_val);
	EXPECT(x[0] == 0x3333 && y[0] == 0x2222 && x[1] == 0x1112 && y[1] == 0x1112,
	       "COW frames hold %llx %llx %llx %llx", x[0], y[0], x[1], y[1]);
	write_cr3((ulong)parent->pml4);
}

static void test_rewrite(struct as *a)
{
	u64 *even = fill_page(0xe000), *odd = fill_page(0xd000), *z = fill_page(0x9900);
	int i, bad = 0;

	for (i = 0; i < 300; i++) {
		u64 *f = i & 1 ? odd : even;

		a->pt[40] = (ulong)f | P | W;
		invlpg(va(40));
		if (kread(va(40) + 8 * (i % 512)) ||
		    probe_val != (i & 1 ? 0xd000ULL : 0xe000ULL) + i % 512)
			bad++;
		if (kwrite(va(40) + 8 * (i % 512), i) || f[i % 512] != (u64)i)
			bad++;
		f[i % 512] = (i & 1 ? 0xd000ULL : 0xe000ULL) + i % 512;
	}
	EXPECT(!bad, "%d of 600 accesses wrong while rewriting a PTE", bad);

	/* a page table that maps itself, written through that mapping */
	set_pte(a, 511, (ulong)a->pt | P | W);
	for (i = 0; i < 20; i++) {
		u64 *f = i & 1 ? z : odd;

		expect_ok(kwrite(va(511) + 41 * 8, (ulong)f | P | W),
			  "write a PTE through the self-map");
		invlpg(va(41));
		expect_ok(kread(va(41) + 16), "read through the PTE written so");
		EXPECT(probe_val == (i & 1 ? 0x9902ULL : 0xd002ULL),
		       "self-map round %d reads 0x%llx", i, probe_val);
	}
	expect_ok(kread(va(511) + 41 * 8), "read the self-map");
	EXPECT((probe_val & ADDR) == (ulong)z, "self-map reads PTE 0x%llx", probe_val);
	set_pte(a, 511, 0);
}

/* read @addr, expect @want (or @alt, when a TLB may still hold it) */
static void expect_read(ulong addr, u64 want, u64 alt, const char *what)
{
	expect_ok(kread(addr), what);
	EXPECT(probe_val == want || probe_val == alt, "%s: read 0x%llx, want 0x%llx",
	       what, probe_val, want);
}

static void test_invlpg(struct as *a)
{
	u64 *p[6], *ptx = alloc_page(), *pty = alloc_page();
	int i;

	for (i = 0; i < 6; i++)
		p[i] = fill_page(0x20000 + 0x1000 * i);
	set_pte(a, 60, (ulong)p[0] | P | W);
	set_pte(a, 61, (ulong)p[1] | P | W);
	expect_read(va(60), 0x20000, 0x20000, "INVLPG: first PTE");
	expect_read(va(61), 0x21000, 0x21000, "INVLPG: its neighbour");
	/* both change, only the first is invalidated */
	a->pt[60] = (ulong)p[2] | P | W;
	invlpg(va(60));
	a->pt[61] = (ulong)p[3] | P | W;
	expect_read(va(60) + 8, 0x22001, 0x22001, "INVLPG: changed PTE, neighbour changed too");
	expect_ok(kwrite(va(60) + 16, 0x99), "INVLPG: write the changed PTE's page");
	EXPECT(p[2][2] == 0x99 && p[0][2] == 0x20002, "INVLPG: write landed in %llx/%llx",
	       p[2][2], p[0][2]);
	a->pt[62] = (ulong)p[4] | P | W;	/* not present before: no INVLPG */
	expect_read(va(62) + 24, 0x24003, 0x24003, "INVLPG: not-present PTE made present");
	expect_read(va(61), 0x23000, 0x21000, "INVLPG: neighbour changed without INVLPG");
	invlpg(va(61));
	expect_read(va(61), 0x23000, 0x23000, "INVLPG: neighbour after its INVLPG");
	/* unmap one, change the neighbour without INVLPG, then a CR3 load */
	a->pt[60] = 0;
	invlpg(va(60));
	a->pt[61] = (ulong)p[1] | P | W;
	expect_pf(kread(va(60)), 0, va(60), "INVLPG: unmapped, neighbour changed");
	expect_read(va(61), 0x21000, 0x23000, "INVLPG: neighbour before a CR3 load");
	a->pt[62] = (ulong)p[5] | P | W;
	write_cr3(read_cr3());
	expect_read(va(61), 0x21000, 0x21000, "INVLPG: neighbour after a CR3 load");
	expect_read(va(62), 0x25000, 0x25000, "INVLPG: changed PTE after a CR3 load");
	set_pte(a, 61, 0);
	set_pte(a, 62, 0);

	/* a PDE points to another table: INVLPG of one address under it */
	ptx[0] = (ulong)p[0] | P | W;
	ptx[1] = (ulong)p[1] | P | W;
	pty[0] = (ulong)p[4] | P | W;
	pty[1] = (ulong)p[5] | P | W;
	a->pd[2] = (ulong)ptx | P | W | U;
	expect_read(T + 0x400000, 0x20000, 0x20000, "INVLPG: a page of table X");
	expect_read(T + 0x401000, 0x21000, 0x21000, "INVLPG: another page of table X");
	a->pd[2] = (ulong)pty | P | W | U;
	invlpg(T + 0x400000);
	expect_read(T + 0x400000, 0x24000, 0x24000, "INVLPG: the PDE now points to table Y");
	expect_read(T + 0x401000, 0x25000, 0x21000, "INVLPG: table Y, not invalidated");
	invlpg(T + 0x401000);
	expect_read(T + 0x401000, 0x25000, 0x25000, "INVLPG: table Y, after its INVLPG");

	/* a 2 MiB page to another frame: INVLPG of one 4 KiB part drops all */
	*(u64 *)(BIG + 0x3000) = 0xb103;
	*(u64 *)(BIG + 0x5000) = 0xb105;
	*(u64 *)(BIG2 + 0x3000) = 0xb203;
	*(u64 *)(BIG2 + 0x5000) = 0xb205;
	a->pd[3] = BIG | P | W | PS;
	expect_read(T + 0x603000, 0xb103, 0xb103, "INVLPG: a 2 MiB page");
	expect_read(T + 0x605000, 0xb105, 0xb105, "INVLPG: another part of the 2 MiB page");
	a->pd[3] = BIG2 | P | W | PS;
	invlpg(T + 0x603000);
	expect_read(T + 0x605000, 0xb205, 0xb205, "INVLPG: the other part, 2 MiB page moved");
	expect_read(T + 0x603000, 0xb203, 0xb203, "INVLPG: the invalidated part");
	a->pd[2] = 0;
	a->pd[3] = 0;
	write_cr3(read_cr3());
	expect_pf(kread(T + 0x605000), 0, T + 0x605000, "INVLPG: 2 MiB page unmapped");
}

static void test_mmio(struct as *a)
{
	set_pte(a, 50, MMIO_TEST_BASE | P | W);
	expect_ok(kread(va(50)), "read MMIO through a 4 KiB page");
	EXPECT((probe_val & 0xff) == 1 && ((probe_val >> 40) & 0xff) == 0x24,
	       "MMIO reads 0x%llx", probe_val);
}

void guest_main(u32 magic, ulong info)
{
	struct as as[3];
	u32 a, b, c, d, phys_bits;
	int nx;

	cpuid(0x80000001, 0, &a, &b, &c, &d);
	nx = d & (1U << 20);
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	phys_bits = a & 0xff;
	setup_cpu();
	write_cr0(read_cr0() | CR0_WP);	/* lvctl enters with WP = 0 */
	as_init(&as[0]);
	write_cr3((ulong)as[0].pml4);

	test_map(&as[0]);
	test_ad(&as[0]);
	test_faults(&as[0], phys_bits, nx);
	test_spaces(as);
	test_cow(&as[0], &as[1]);
	test_rewrite(&as[0]);
	test_invlpg(&as[0]);
	test_mmio(&as[0]);
	printf("paging: %d checks (NX %s, MAXPHYADDR %u)\n", checks,
	       nx ? "yes" : "no", phys_bits);
}
