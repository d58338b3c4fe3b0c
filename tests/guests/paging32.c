// SPDX-License-Identifier: GPL-2.0
/*
 * paging32.bin: lvctl run --mode prot32 --mem 32M [--mmu ept|shadow]
 * (flat, 1 MiB).
 *
 * 32-bit and PAE paging from the inside, the same on every MMU.  The
 * guest turns paging on three times, each time with its own tables (an
 * identity map of the first 16 MiB with 4 KiB pages, plus tables for the
 * test area T = 1 GiB):
 * - "pse0": 32-bit paging, CR4.PSE = 0 (a PDE's bit 7 is ignored);
 * - "pse":  32-bit paging, CR4.PSE = 1, 4 MiB pages (reserved bit 21, and
 *           the PSE-36 bits above MAXPHYADDR when it is below 40);
 * - "pae":  PAE paging, 2 MiB pages, EFER.NXE (execute disable), reserved
 *           bits (MAXPHYADDR, XD with NXE = 0, a 2 MiB PDE's bit 13, a
 *           PDPTE's reserved bit at the CR3 load or CR0.PG set: #GP;
 *           the PDPTEs used are those loaded at the last CR3 load).
 * In each: map, unmap (#PF, CR2), remap with INVLPG; accessed and dirty
 * bits set by the CPU (and set again after clearing); #PF error codes and
 * CR2 for not-present, write to read-only with CR0.WP = 1 and 0, user
 * access to a supervisor page, user write to a read-only page; a large
 * page read and written 4 KiB at a time, and through a 4 KiB alias of one
 * of its frames; switches among three address spaces sharing a page;
 * INVLPG per translation (only what the architecture guarantees is
 * asserted: a translation not invalidated may still give the old frame).
 * One "paging32: MODE: N checks" line per mode, then PASS or FAIL lines.
 */
#include "rt.h"

const char guest_name[] = "paging32";

#define P	(1ULL << 0)
#define W	(1ULL << 1)
#define U	(1ULL << 2)
#define A	(1ULL << 5)
#define D	(1ULL << 6)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)

#define PF_P	0x1
#define PF_W	0x2
#define PF_U	0x4
#define PF_RSVD	0x8
#define PF_I	0x10

#define CR0_WP		(1UL << 16)
#define CR4_PSE		(1UL << 4)
#define EFER_NXE	(1ULL << 11)

#define T	0x40000000UL	/* the test area: 1 GiB */
#define IDMAP	0x1000000UL	/* identity-mapped: the first 16 MiB */
#define POOL	0x400000UL	/* our tables and pages: 4 MiB + */
#define BIG	0x800000UL	/* a large page's frame: 8 MiB */
#define BIG2	0xc00000UL	/* another one: 12 MiB */

enum mode { M_PSE0, M_PSE, M_PAE };
static const char *const mode_name[] = { "pse0", "pse", "pae" };

int probe_kernel(void *fn, ulong addr, ulong val);
int probe_user(ulong eip, ulong addr, ulong val);
void pf_stub(void);
void ret_stub(void);
void read32(void);
void write32(void);
void outs8(void);
extern u32 probe_err, probe_cr2, probe_val;

asm(".text\n"
    ".globl probe_kernel, probe_user, pf_stub, ret_stub, read32, write32, outs8\n"
    /* probe_kernel(fn, addr, val): fn with ESI = addr, EDX = val */
    "probe_kernel:\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov %esp, probe_esp\n"
    "	mov 20(%esp), %eax\n"
    "	mov 24(%esp), %esi\n"
    "	mov 28(%esp), %edx\n"
    "	call *%eax\n"
    "	xor %eax, %eax\n"
    "probe_out:\n"
    "	pop %edi; pop %esi; pop %ebp; pop %ebx\n"
    "	ret\n"
    /* probe_user(eip, addr, val): IRET to ring 3 at eip */
    "probe_user:\n"
    "	push %ebx; push %ebp; push %esi; push %edi\n"
    "	mov %esp, probe_esp\n"
    "	mov 20(%esp), %eax\n"
    "	mov 24(%esp), %esi\n"
    "	mov 28(%esp), %edx\n"
    "	mov $0x23, %ecx\n"
    "	mov %ecx, %ds; mov %ecx, %es\n"
    "	pushl $0x23\n"		/* SS: user data */
    "	pushl $0\n"		/* ESP: the user code pushes nothing */
    "	pushl $2\n"		/* EFLAGS: IF = 0 */
    "	pushl $0x1b\n"		/* CS: user code */
    "	pushl %eax\n"
    "	iret\n"
    "pf_stub:\n"
    "	pop %eax\n"
    "	mov $0x10, %ebx\n"
    "	mov %ebx, %ds; mov %ebx, %es\n"
    "	mov %eax, probe_err\n"
    "	mov %cr2, %eax\n"
    "	mov %eax, probe_cr2\n"
    "	mov $1, %ebx\n"
    "	jmp back\n"
    "ret_stub:\n"
    "	mov $0x10, %ebx\n"
    "	mov %ebx, %ds; mov %ebx, %es\n"
    "	mov %eax, probe_val\n"
    "	xor %ebx, %ebx\n"
    "back:\n"
    "	mov $0x10, %eax\n"
    "	mov %eax, %ss\n"
    "	mov probe_esp, %esp\n"
    "	mov %eax, %ds; mov %eax, %es\n"
    "	mov %ebx, %eax\n"
    "	jmp probe_out\n"
    "read32:\n"
    "	mov (%esi), %eax\n"
    "	mov %eax, probe_val\n"
    "	ret\n"
    "write32:\n"
    "	mov %edx, (%esi)\n"
    "	ret\n"
    /* one byte from (%esi) to the POST port: the hypervisor reads it */
    "outs8:\n"
    "	mov $1, %ecx\n"
    "	mov $0x80, %dx\n"
    "	rep outsb\n"
    "	ret\n"
    ".data\n"
    ".balign 4\n"
    ".globl probe_err, probe_cr2, probe_val\n"
    "probe_esp: .long 0\n"
    "probe_err: .long 0\n"
    "probe_cr2: .long 0\n"
    "probe_val: .long 0\n"
    ".text\n");

/* user-mode code, copied into a user page: each ends with INT 0x80 */
static const u8 user_code[] = {
	0x8b, 0x06, 0xcd, 0x80, 0, 0, 0, 0,	/* 0: mov (%esi),%eax; int $0x80 */
	0x89, 0x16, 0xcd, 0x80, 0, 0, 0, 0,	/* 8: mov %edx,(%esi); int $0x80 */
	0xcd, 0x80,				/* 16: int $0x80 */
};
#define UREAD	0
#define UWRITE	8
#define UNOP	16

static u64 gdt[6] __attribute__((aligned(16)));
static u8 tss[104] __attribute__((aligned(16)));
static u8 kstack[8192] __attribute__((aligned(16)));
static ulong pool_next;
static int checks;
static enum mode mode;
static ulong large;		/* large page size: 4 MiB or 2 MiB */
static void *idmap_top;		/* 32-bit: the PD's identity part; PAE: its PD */
static u32 phys_bits;
static int nx;

/*
 * An address space: cr3; pd: the directory entries for T (32-bit: the PD
 * from entry 256 on; PAE: the PD that PDPTE 1 points to); pt: PDE 0's
 * table.  Entry 1 of pd maps T + large as a large page (or a table).
 */
struct as {
	ulong cr3;
	void *pd, *pt;
	u64 *pdpt;	/* PAE only */
};

static inline void write_cr0(ulong v) { asm volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(ulong v) { asm volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(ulong v) { asm volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline void invlpg(ulong a) { asm volatile("invlpg (%0)" :: "r"(a) : "memory"); }

#define EXPECT(cond, ...) do { checks++; CHECK(cond, __VA_ARGS__); } while (0)

/* an entry of a table in the current format */
static u64 ent(void *t, int i)
{
	if (mode == M_PAE)
		return ((volatile u64 *)t)[i];
	return ((volatile u32 *)t)[i];
}

static void set_ent(void *t, int i, u64 v)
{
	if (mode == M_PAE)
		((volatile u64 *)t)[i] = v;
	else
		((volatile u32 *)t)[i] = (u32)v;
}

static void *alloc_page(void)
{
	void *p = (void *)pool_next;

	pool_next += 4096;
	memset(p, 0, 4096);
	return p;
}

static u32 *fill_page(u32 v)
{
	u32 *p = alloc_page();

	for (int i = 0; i < 1024; i++)
		p[i] = v + i;
	return p;
}

static ulong va(int i)
{
	return T + i * 4096UL;
}

/* the identity map of [0, IDMAP) with 4 KiB pages, shared by all spaces */
static void idmap_init(void)
{
	int per = mode == M_PAE ? 512 : 1024;
	int npt = IDMAP / 4096 / per;

	idmap_top = alloc_page();
	for (int t = 0; t < npt; t++) {
		void *pt = alloc_page();

		for (int i = 0; i < per; i++)
			set_ent(pt, i, ((ulong)(t * per + i) << 12) | P | W);
		set_ent(idmap_top, t, (ulong)pt | P | W);
	}
}

static void as_init(struct as *a)
{
	a->pt = alloc_page();
	if (mode == M_PAE) {
		a->pdpt = alloc_page();
		a->pd = alloc_page();
		a->pdpt[0] = (ulong)idmap_top | P;
		a->pdpt[1] = (ulong)a->pd | P;
		a->cr3 = (ulong)a->pdpt;
	} else {
		u32 *pd = alloc_page();

		memcpy(pd, idmap_top, 4096);
		a->pd = pd + (T >> 22);
		a->cr3 = (ulong)pd;
	}
	set_ent(a->pd, 0, (ulong)a->pt | P | W | U);
}

static void set_pte(struct as *a, int i, u64 v)
{
	set_ent(a->pt, i, v);
	invlpg(va(i));
}

static int kread(ulong addr)
{
	return probe_kernel(read32, addr, 0);
}

static int kwrite(ulong addr, u32 v)
{
	return probe_kernel(write32, addr, v);
}

/* OUTS from @addr: the hypervisor's software walk translates it */
static int kouts(ulong addr)
{
	return probe_kernel(outs8, addr, 0);
}

static void expect_pf(int r, u32 err, ulong cr2, const char *what)
{
	checks++;
	if (!r) {
		fail("%s: %s: no #PF", mode_name[mode], what);
		return;
	}
	CHECK(probe_err == err && probe_cr2 == cr2,
	      "%s: %s: #PF error 0x%x CR2 0x%x, want 0x%x 0x%lx", mode_name[mode],
	      what, probe_err, probe_cr2, err, cr2);
}

static void expect_ok(int r, const char *what)
{
	checks++;
	CHECK(!r, "%s: %s: #PF error 0x%x CR2 0x%x", mode_name[mode], what,
	      probe_err, probe_cr2);
}

/* read @addr, expect @want (or @alt, when a TLB may still hold it) */
static void expect_read(ulong addr, u32 want, u32 alt, const char *what)
{
	expect_ok(kread(addr), what);
	EXPECT(probe_val == want || probe_val == alt, "%s: %s: read 0x%x, want 0x%x",
	       mode_name[mode], what, probe_val, want);
}

static void set_gate(int vec, void (*fn)(void), int dpl)
{
	struct { u16 limit; ulong base; } __attribute__((packed)) dp;
	u8 *g;
	ulong a = (ulong)fn;

	asm volatile("sidt %0" : "=m"(dp));
	g = (u8 *)dp.base + vec * 8;
	*(u16 *)g = a & 0xffff;
	*(u16 *)(g + 2) = 0x08;
	g[4] = 0;
	g[5] = 0x8e | (dpl << 5);
	*(u16 *)(g + 6) = (a >> 16) & 0xffff;
}

static void setup_cpu(void)
{
	struct { u16 limit; ulong base; } __attribute__((packed)) gp;
	u64 t = (ulong)tss;

	gdt[1] = 0x00cf9a000000ffffULL;		/* 0x08 kernel code */
	gdt[2] = 0x00cf92000000ffffULL;		/* 0x10 kernel data */
	gdt[3] = 0x00cffa000000ffffULL;		/* 0x18 user code */
	gdt[4] = 0x00cff2000000ffffULL;		/* 0x20 user data */
	gdt[5] = 103 | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((t >> 24) & 0xff) << 56);	/* 0x28 TSS */
	*(u32 *)(tss + 4) = (ulong)kstack + sizeof(kstack);	/* ESP0 */
	*(u32 *)(tss + 8) = 0x10;				/* SS0 */
	*(u16 *)(tss + 102) = sizeof(tss);
	gp.limit = sizeof(gdt) - 1;
	gp.base = (ulong)gdt;
	asm volatile("lgdt %0" :: "m"(gp) : "memory");
	asm volatile("ljmp $0x08, $1f; 1:" ::: "memory");
	asm volatile("ltr %w0" :: "r"(0x28));
	set_gate(14, pf_stub, 0);
	set_gate(0x80, ret_stub, 3);
}

static void test_map(struct as *a)
{
	u32 *p1 = fill_page(0x1100), *p2 = fill_page(0x2200);

	set_pte(a, 0, (ulong)p1 | P | W);
	expect_ok(kread(va(0) + 8), "read a mapped page");
	EXPECT(probe_val == 0x1102, "%s: read 0x%x through the mapping, want 0x1102",
	       mode_name[mode], probe_val);
	expect_ok(kwrite(va(0) + 16, 0xabcd), "write a mapped page");
	EXPECT(p1[4] == 0xabcd, "%s: the write landed as 0x%x", mode_name[mode], p1[4]);
	set_pte(a, 0, 0);
	expect_pf(kread(va(0)), 0, va(0), "read after unmap");
	expect_pf(kwrite(va(0) + 0x18, 1), PF_W, va(0) + 0x18, "write after unmap");
	set_pte(a, 0, (ulong)p2 | P | W);
	expect_read(va(0) + 0xffc, 0x2200 + 1023, 0x2200 + 1023, "read after remap");
	/* remap to another frame with INVLPG only */
	set_ent(a->pt, 0, (ulong)p1 | P);
	invlpg(va(0));
	expect_read(va(0) + 16, 0xabcd, 0xabcd, "read after INVLPG");
}

static void test_ad(struct as *a)
{
	u32 *p = fill_page(0x3300);

	set_ent(a->pd, 0, ent(a->pd, 0) & ~A);
	write_cr3(a->cr3);
	set_pte(a, 1, (ulong)p | P | W);
	expect_ok(kread(va(1)), "read for A/D");
	EXPECT((ent(a->pt, 1) & (A | D)) == A, "%s: PTE after a read: 0x%llx",
	       mode_name[mode], ent(a->pt, 1));
	EXPECT(ent(a->pd, 0) & A, "%s: PDE not accessed: 0x%llx", mode_name[mode],
	       ent(a->pd, 0));
	expect_ok(kwrite(va(1), 5), "write for A/D");
	EXPECT((ent(a->pt, 1) & (A | D)) == (A | D), "%s: PTE after a write: 0x%llx",
	       mode_name[mode], ent(a->pt, 1));
	set_pte(a, 1, (ulong)p | P | W);
	expect_ok(kread(va(1) + 4), "read after clearing A/D");
	EXPECT((ent(a->pt, 1) & (A | D)) == A, "%s: PTE after clearing and a read: 0x%llx",
	       mode_name[mode], ent(a->pt, 1));
	expect_ok(kwrite(va(1) + 4, 6), "write after clearing A/D");
	EXPECT(ent(a->pt, 1) & D, "%s: PTE not dirty again: 0x%llx", mode_name[mode],
	       ent(a->pt, 1));
	EXPECT(p[0] == 5 && p[1] == 6, "%s: A/D page holds %x %x", mode_name[mode],
	       p[0], p[1]);
}

static void test_faults(struct as *a)
{
	u32 *ro = fill_page(0x4400), *ucode = alloc_page(), *up = fill_page(0x5500);
	u32 *rw = fill_page(0x6600), *ret = alloc_page();
	ulong cr0 = read_cr0();
	int x = mode == M_PAE && nx;

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
	EXPECT(ro[2] == 0x77, "%s: WP=0 write lost (0x%x)", mode_name[mode], ro[2]);
	expect_ok(kwrite(va(4) + 8, 0x88), "write user read-only, WP=0");
	expect_ok(probe_user(va(3) + UREAD, va(4) + 8, 0), "user read after a WP=0 write");
	EXPECT(probe_val == 0x88, "%s: user read after a WP=0 write: 0x%x",
	       mode_name[mode], probe_val);
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
	EXPECT(rw[4] == 9, "%s: user write lost (0x%x)", mode_name[mode], rw[4]);
	expect_pf(probe_user(va(3) + UREAD, va(6) + 24, 0), PF_U, va(6) + 24,
		  "user read of a not-present page");
	expect_pf(probe_user(va(2), 0, 0), PF_P | PF_U | (x ? PF_I : 0), va(2),
		  "user fetch from a supervisor page");

	if (mode != M_PAE)
		return;
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
	if (!nx)
		return;
	/* execute disable */
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
	/* an XD large page: a fetch from one of its 4 KiB parts */
	*(u8 *)(BIG + 0x7000) = 0xc3;
	set_ent(a->pd, 1, BIG | P | W | PS | XD);
	invlpg(T + large + 0x7000);
	expect_pf(probe_kernel((void *)(T + large + 0x7000), 0, 0), PF_P | PF_I,
		  T + large + 0x7000, "fetch from an XD 2 MiB page");
	set_ent(a->pd, 1, BIG | P | W | PS);
	invlpg(T + large + 0x7000);
	expect_ok(probe_kernel((void *)(T + large + 0x7000), 0, 0),
		  "fetch from a 2 MiB page, XD cleared");
	set_ent(a->pd, 1, 0);
	invlpg(T + large + 0x7000);
}

/* a large page read and written 4 KiB at a time; a 4 KiB alias of a part */
static void test_large(struct as *a)
{
	ulong L = T + large;
	int i, bad = 0;

	for (i = 0; i < (int)(large >> 12); i += 37)
		*(volatile u32 *)(BIG + i * 4096UL + 4 * (i & 7)) = 0xb0000000 + i;
	set_ent(a->pd, 1, BIG | P | W | PS);
	invlpg(L);
	for (i = 0; i < (int)(large >> 12); i += 37)
		if (kread(L + i * 4096UL + 4 * (i & 7)) || probe_val != 0xb0000000U + i)
			bad++;
	EXPECT(!bad, "%s: %d reads of 4 KiB parts of the large page wrong", mode_name[mode],
	       bad);
	EXPECT((ent(a->pd, 1) & (A | D)) == A, "%s: large PDE A/D after reads: 0x%llx",
	       mode_name[mode], ent(a->pd, 1));
	expect_ok(kwrite(L + large - 4, 0x77), "write the large page's last word");
	EXPECT(ent(a->pd, 1) & D, "%s: large PDE not dirty after a write: 0x%llx",
	       mode_name[mode], ent(a->pd, 1));
	EXPECT(*(volatile u32 *)(BIG + large - 4) == 0x77, "%s: large page write lost",
	       mode_name[mode]);
	/* the frame of part 5 also through a 4 KiB PTE */
	set_pte(a, 10, (BIG + 5 * 4096) | P | W);
	expect_ok(kwrite(va(10) + 12, 0xa11a5), "write through the 4 KiB alias");
	expect_read(L + 5 * 4096 + 12, 0xa11a5, 0xa11a5, "read the alias through the large page");
	expect_ok(kwrite(L + 5 * 4096 + 16, 0x5a5a), "write through the large page");
	expect_read(va(10) + 16, 0x5a5a, 0x5a5a, "read it through the 4 KiB alias");
	/* read-only and supervisor large pages */
	set_ent(a->pd, 1, BIG | P | PS);
	invlpg(L + 0x3000);
	expect_pf(kwrite(L + 0x3004, 1), PF_P | PF_W, L + 0x3004, "write a read-only large page");
	expect_pf(probe_user(va(3) + UREAD, L + 0x9000, 0), PF_P | PF_U, L + 0x9000,
		  "user read of a supervisor large page");
	set_ent(a->pd, 1, 0);
	invlpg(L + 0x3000);
	invlpg(L + 0x9000);
	expect_pf(kread(L + 0x9000), 0, L + 0x9000, "read an unmapped large page");
	set_pte(a, 10, 0);
}

/* reserved bits of large PDEs (and PDPTEs) */
static void test_rsvd_large(struct as *a)
{
	ulong L = T + large;

	if (mode == M_PSE) {
		set_ent(a->pd, 1, BIG | P | W | PS | (1ULL << 21));
		invlpg(L);
		expect_pf(kread(L + 0x1000), PF_P | PF_RSVD, L + 0x1000,
			  "4 MiB PDE bit 21 (reserved)");
		if (phys_bits < 40) {
			/* PSE-36: bits 20:13 are address bits 39:32; above MAXPHYADDR reserved */
			set_ent(a->pd, 1, BIG | P | W | PS | (1ULL << (phys_bits - 19)));
			invlpg(L + 0x1000);
			expect_pf(kwrite(L + 0x1000, 1), PF_P | PF_W | PF_RSVD, L + 0x1000,
				  "4 MiB PDE address bit above MAXPHYADDR");
		}
	} else if (mode == M_PAE) {
		set_ent(a->pd, 1, BIG | P | W | PS | (1ULL << 13));
		invlpg(L);
		expect_pf(kread(L + 0x2000), PF_P | PF_RSVD, L + 0x2000,
			  "2 MiB PDE bit 13 (reserved)");
		/* a PDPTE with a reserved bit: MOV to CR3 raises #GP(0) */
		a->pdpt[3] = P | (1ULL << 1);
		trap_expect(3);
		asm volatile("mov %0, %%cr3" :: "a"(a->cr3) : "memory");
		checks++;
		CHECK(trap_taken() == 13 && trap.error == 0,
		      "pae: CR3 load with a reserved PDPTE bit: vector %d error 0x%lx, want #GP(0)",
		      trap.vector, trap.error);
		/* ... and so does a MOV to CR0 that turns PAE paging on */
		write_cr0(read_cr0() & ~CR0_PG);
		trap_expect(3);
		asm volatile("mov %0, %%cr0" :: "a"(read_cr0() | CR0_PG) : "memory");
		checks++;
		CHECK(trap_taken() == 13 && trap.error == 0 && !(read_cr0() & CR0_PG),
		      "pae: CR0.PG set with a reserved PDPTE bit: vector %d error 0x%lx, CR0 0x%lx, want #GP(0), paging off",
		      trap.vector, trap.error, read_cr0());
		a->pdpt[3] = 0;
		write_cr0(read_cr0() | CR0_PG);
		write_cr3(a->cr3);
	} else {
		/* CR4.PSE = 0: a PDE's PS bit is ignored, it points to a table */
		u32 *pt = alloc_page(), *f = fill_page(0xc0c0);

		pt[3] = (ulong)f | P | W;
		set_ent(a->pd, 1, (ulong)pt | P | W | PS);
		invlpg(L + 0x3000);
		expect_read(L + 0x3000 + 8, 0xc0c2, 0xc0c2, "PDE with PS set, CR4.PSE = 0");
		expect_pf(kread(L + 0x4000), 0, L + 0x4000, "its table's not-present entry");
	}
	set_ent(a->pd, 1, 0);
	write_cr3(a->cr3);
}

static void test_spaces(struct as *as)
{
	u32 *pg[3], *shared = fill_page(0x7700);
	int i;

	for (i = 0; i < 3; i++) {
		if (i)
			as_init(&as[i]);
		pg[i] = fill_page(0x10000 * (i + 1));
		set_ent(as[i].pt, 20, (ulong)pg[i] | P | W);
		set_ent(as[i].pt, 21, (ulong)shared | P | W);
	}
	for (i = 0; i < 30; i++) {
		int n = (i * 7) % 3;

		write_cr3(as[n].cr3);
		expect_read(va(20) + 4 * (i % 1024), 0x10000 * (n + 1) + (i % 1024),
			    0x10000 * (n + 1) + (i % 1024), "read in an address space");
		expect_ok(kwrite(va(21), i), "write a shared page");
		write_cr3(as[(n + 1) % 3].cr3);
		expect_read(va(21), i, i, "read a shared page");
	}
	write_cr3(as[0].cr3);
}

static void test_invlpg(struct as *a)
{
	u32 *p[6];
	int i;

	for (i = 0; i < 6; i++)
		p[i] = fill_page(0x20000 + 0x1000 * i);
	set_pte(a, 60, (ulong)p[0] | P | W);
	set_pte(a, 61, (ulong)p[1] | P | W);
	expect_read(va(60), 0x20000, 0x20000, "INVLPG: first PTE");
	expect_read(va(61), 0x21000, 0x21000, "INVLPG: its neighbour");
	/* both change, only the first is invalidated */
	set_ent(a->pt, 60, (ulong)p[2] | P | W);
	invlpg(va(60));
	set_ent(a->pt, 61, (ulong)p[3] | P | W);
	expect_read(va(60) + 4, 0x22001, 0x22001, "INVLPG: changed PTE, neighbour changed too");
	set_ent(a->pt, 62, (ulong)p[4] | P | W);	/* not present before */
	expect_read(va(62) + 12, 0x24003, 0x24003, "INVLPG: not-present PTE made present");
	expect_read(va(61), 0x23000, 0x21000, "INVLPG: neighbour changed without INVLPG");
	invlpg(va(61));
	expect_read(va(61), 0x23000, 0x23000, "INVLPG: neighbour after its INVLPG");
	/* unmap one, change the neighbour without INVLPG, then a CR3 load */
	set_ent(a->pt, 60, 0);
	invlpg(va(60));
	set_ent(a->pt, 61, (ulong)p[1] | P | W);
	expect_pf(kread(va(60)), 0, va(60), "INVLPG: unmapped, neighbour changed");
	expect_read(va(61), 0x21000, 0x23000, "INVLPG: neighbour before a CR3 load");
	set_ent(a->pt, 62, (ulong)p[5] | P | W);
	write_cr3(a->cr3);
	expect_read(va(61), 0x21000, 0x21000, "INVLPG: neighbour after a CR3 load");
	expect_read(va(62), 0x25000, 0x25000, "INVLPG: changed PTE after a CR3 load");
	set_pte(a, 61, 0);
	set_pte(a, 62, 0);

	/* a large page moved to another frame: INVLPG of one part drops all */
	if (mode == M_PSE0)
		return;
	*(u32 *)(BIG + 0x3000) = 0xb103;
	*(u32 *)(BIG + 0x5000) = 0xb105;
	*(u32 *)(BIG2 + 0x3000) = 0xb203;
	*(u32 *)(BIG2 + 0x5000) = 0xb205;
	set_ent(a->pd, 1, BIG | P | W | PS);
	invlpg(T + large + 0x3000);
	expect_read(T + large + 0x3000, 0xb103, 0xb103, "INVLPG: a large page");
	expect_read(T + large + 0x5000, 0xb105, 0xb105, "INVLPG: another part of it");
	set_ent(a->pd, 1, BIG2 | P | W | PS);
	invlpg(T + large + 0x3000);
	expect_read(T + large + 0x5000, 0xb205, 0xb205, "INVLPG: the other part, page moved");
	expect_read(T + large + 0x3000, 0xb203, 0xb203, "INVLPG: the invalidated part");
	set_ent(a->pd, 1, 0);
	write_cr3(a->cr3);
	expect_pf(kread(T + large + 0x5000), 0, T + large + 0x5000,
		  "INVLPG: large page unmapped");
}

/*
 * A PDPTE changed in memory without a CR3 load: the CPU keeps translating
 * with the PDPTE it loaded at the last CR3 load (SDM Vol. 3A 4.4.1).
 */
static void test_pdpte_cached(struct as *a)
{
	u32 *pd2 = alloc_page(), *pt2 = alloc_page(), *f = fill_page(0xf000);
	u64 old = a->pdpt[1];

	*(u64 *)(pt2 + 2 * 100) = (ulong)f | P | W;
	*(u64 *)pd2 = (ulong)pt2 | P | W;
	a->pdpt[1] = (ulong)pd2 | P;
	expect_pf(kread(va(100)), 0, va(100), "PDPTE changed without a CR3 load: the loaded one");
	expect_pf(kouts(va(100)), 0, va(100),
		  "PDPTE changed without a CR3 load: OUTS (emulated) uses the loaded one");
	write_cr3(a->cr3);
	expect_read(va(100), 0xf000, 0xf000, "PDPTE changed, then a CR3 load: the new one");
	expect_ok(kouts(va(100)), "PDPTE changed, then a CR3 load: OUTS uses the new one");
	/* INVLPG drops the TLB entry, not the loaded PDPTE */
	a->pdpt[1] = old;
	invlpg(va(100));
	expect_read(va(100), 0xf000, 0xf000,
		    "PDPTE restored, INVLPG, no CR3 load: still the loaded one");
	expect_ok(kouts(va(100)), "PDPTE restored, no CR3 load: OUTS uses the loaded one");
	write_cr3(a->cr3);
	expect_pf(kread(va(100)), 0, va(100), "old PDPTE back after a CR3 load");
}

static void run_mode(enum mode m)
{
	struct as as[3];
	ulong cr4 = read_cr4() & ~(CR4_PAE | CR4_PSE);
	int before = checks, fails = failures;

	mode = m;
	large = m == M_PAE ? 0x200000 : 0x400000;
	pool_next = POOL;
	idmap_init();
	as_init(&as[0]);
	if (m == M_PSE)
		cr4 |= CR4_PSE;
	if (m == M_PAE) {
		cr4 |= CR4_PAE;
		if (nx)
			wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	}
	write_cr4(cr4);
	write_cr3(as[0].cr3);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);

	test_map(&as[0]);
	test_ad(&as[0]);
	test_faults(&as[0]);
	if (m != M_PSE0)
		test_large(&as[0]);
	test_rsvd_large(&as[0]);
	test_spaces(as);
	test_invlpg(&as[0]);
	if (m == M_PAE)
		test_pdpte_cached(&as[0]);

	write_cr0(read_cr0() & ~CR0_PG);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
	printf("paging32: %s: %d checks%s\n", mode_name[m], checks - before,
	       failures != fails ? ", failed" : "");
}

void guest_main(u32 magic, ulong info)
{
	u32 a, b, c, d;

	cpuid(0x80000001, 0, &a, &b, &c, &d);
	nx = !!(d & (1U << 20));
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	phys_bits = a & 0xff;
	setup_cpu();
	run_mode(M_PSE0);
	run_mode(M_PSE);
	run_mode(M_PAE);
	printf("paging32: %d checks (NX %s, MAXPHYADDR %u)\n", checks,
	       nx ? "yes" : "no", phys_bits);
}
