// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the guest page walk (kmod/core/paging.c): lv_gva_to_gpa(),
 * lv_gva_read(), lv_gva_write(), and the shadow MMU's walk lv_walk_guest()
 * (tables per level, accessed/dirty bits, reserved bits) with the
 * permission rules lv_paging_check() and error codes lv_paging_error().
 *
 * paging.c reads guest memory only through lv_gpa_read()/lv_gpa_write()
 * (kmod/core/memory.c, not linked here).  This file provides them over a
 * fake guest memory of FAKE_SIZE bytes at guest physical 0; anything above
 * is "not RAM" (-EFAULT, as memory.c documents).  The page tables are
 * written into that memory the way a guest kernel would (SDM Vol. 3A, 4.3
 * to 4.5).
 */
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "kmod/core/lv.h"
#include "lv_kunit.h"

#define FAKE_SIZE	(512 * 1024)

#define P	BIT_ULL(0)
#define RW	BIT_ULL(1)
#define US	BIT_ULL(2)
#define PS	BIT_ULL(7)
#define PAT_L	BIT_ULL(12)	/* PAT bit of a large-page entry */
#define XD	BIT_ULL(63)

#define WR	LV_WALK_WRITE
#define USR	LV_WALK_USER
#define FETCH	LV_WALK_FETCH
#define PF_P	1U

static u8 *fake_mem;		/* the guest memory of the running case */

int lv_gpa_read(struct lv_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	if (!fake_mem || gpa >= FAKE_SIZE || len > FAKE_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, fake_mem + gpa, len);
	return 0;
}

int lv_gpa_write(struct lv_vm *vm, u64 gpa, const void *buf, unsigned int len)
{
	if (!fake_mem || gpa >= FAKE_SIZE || len > FAKE_SIZE - gpa)
		return -EFAULT;
	memcpy(fake_mem + gpa, buf, len);
	return 0;
}

/* kmod/shadow's locked update of a guest entry, over the fake memory */
int lv_gpa_set_bits(struct lv_vm *vm, u64 gpa, unsigned int size, u64 old,
		    u64 bits)
{
	u64 cur = 0;

	if (!fake_mem || gpa >= FAKE_SIZE || size > FAKE_SIZE - gpa)
		return 0;
	memcpy(&cur, fake_mem + gpa, size);
	if (cur != old)
		return -EAGAIN;
	cur |= bits;
	memcpy(fake_mem + gpa, &cur, size);
	return 0;
}

struct paging_ctx {
	struct lv_vm *vm;
};

static int paging_init(struct kunit *test)
{
	struct paging_ctx *ctx;

	lv_kunit_case_init(test);
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->vm = kunit_kzalloc(test, sizeof(*ctx->vm), GFP_KERNEL);
	fake_mem = vzalloc(FAKE_SIZE);
	if (!ctx->vm || !fake_mem)
		return -ENOMEM;
	test->priv = ctx;
	return 0;
}

static void paging_exit(struct kunit *test)
{
	vfree(fake_mem);
	fake_mem = NULL;
}

static void set64(u64 gpa, u64 v)
{
	memcpy(fake_mem + gpa, &v, 8);
}

static void set32(u64 gpa, u32 v)
{
	memcpy(fake_mem + gpa, &v, 4);
}

static unsigned int idx(u64 gva, unsigned int level)
{
	return (gva >> (12 + 9 * (level - 1))) & 511;
}

/* 4-level tables: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
#define PML4	0x1000ULL
#define PDPT	0x2000ULL
#define PD	0x3000ULL
#define PT	0x4000ULL

static struct lv_paging long_mode(bool wp, bool nx)
{
	return (struct lv_paging){
		.cr0 = X86_CR0_PE | X86_CR0_PG | (wp ? X86_CR0_WP : 0),
		.cr3 = PML4,
		.cr4 = X86_CR4_PAE,
		.efer = EFER_LME | EFER_LMA | (nx ? EFER_NX : 0),
	};
}

/* Map @gva with a 4 KiB page at @gpa; @flags on every level's entry. */
static void map4k(u64 gva, u64 gpa, u64 upper, u64 leaf)
{
	set64(PML4 + idx(gva, 4) * 8, PDPT | upper);
	set64(PDPT + idx(gva, 3) * 8, PD | upper);
	set64(PD + idx(gva, 2) * 8, PT | upper);
	set64(PT + idx(gva, 1) * 8, gpa | leaf);
}

static int walk(struct kunit *test, const struct lv_paging *pg, u64 gva,
		unsigned int access, u64 *gpa, u32 *err)
{
	struct paging_ctx *ctx = test->priv;

	*gpa = 0xdead;
	*err = 0xdead;
	return lv_gva_to_gpa(ctx->vm, pg, gva, access, gpa, err);
}

static void paging_off(struct kunit *test)
{
	struct lv_paging pg = { .cr0 = X86_CR0_PE };
	u64 gpa;
	u32 err;

	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x12345, WR | USR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x12345ULL);
	/* linear addresses are 32 bits wide without paging */
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x123456789ULL, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x23456789ULL);
	pg.cr0 = 0;	/* real mode */
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0xb8000, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0xb8000ULL);
}

static void long_4k(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, true);
	const u64 gva = 0x00007f1234567000ULL;
	u64 gpa;
	u32 err;

	map4k(gva, 0x50000, P | RW | US, P | RW | US);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva + 0xabc, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x50abcULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR | USR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x50000ULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva + 0xfff, FETCH, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x50fffULL);
	/* the next page is not mapped */
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva + 0x1000, 0, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, 0U);

	/* a higher-half (kernel) address: PML4 index 511 */
	map4k(0xffffffff81000000ULL, 0x60000, P | RW, P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0xffffffff81000010ULL, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x60010ULL);
}

static void long_large_pages(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, false);
	const u64 gva2m = 0x40000000ULL + 0x600000;	/* PDPT 1, PD 3 */
	const u64 gva1g = 0x8000000000ULL;		/* PML4 1, PDPT 0 */
	u64 gpa;
	u32 err;

	/*
	 * 2 MiB page; the PAT bit (12) is not an address bit (offsets below
	 * have bit 12 clear so that a stray PAT bit shows)
	 */
	set64(PML4, PDPT | P | RW);
	set64(PDPT + idx(gva2m, 3) * 8, PD | P | RW);
	set64(PD + idx(gva2m, 2) * 8, 0x12400000ULL | PAT_L | PS | P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva2m + 0x1aacde, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x125aacdeULL);

	/* 1 GiB page */
	set64(PML4 + idx(gva1g, 4) * 8, 0x5000 | P | RW);
	set64(0x5000 + idx(gva1g, 3) * 8, 0x1c0000000ULL | PAT_L | PS | P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva1g + 0x2344678, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x1c2344678ULL);
}

/* Not present at each level: -EFAULT, error code without P. */
static void long_not_present(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, true);
	const u64 gva = 0x00007f1234567000ULL;
	unsigned int level;
	u64 gpa;
	u32 err;

	for (level = 4; level >= 1; level--) {
		memset(fake_mem, 0, FAKE_SIZE);
		map4k(gva, 0x50000, P | RW | US, P | RW | US);
		/* clear P at one level */
		if (level == 4)
			set64(PML4 + idx(gva, 4) * 8, PDPT | RW | US);
		else if (level == 3)
			set64(PDPT + idx(gva, 3) * 8, PD | RW | US);
		else if (level == 2)
			set64(PD + idx(gva, 2) * 8, PT | RW | US);
		else
			set64(PT + idx(gva, 1) * 8, 0x50000 | RW | US);
		KUNIT_EXPECT_EQ_MSG(test, walk(test, &pg, gva, WR | USR, &gpa, &err), -EFAULT,
				    "level %u not present", level);
		KUNIT_EXPECT_EQ_MSG(test, err, (u32)(WR | USR), "level %u: error code", level);
		KUNIT_EXPECT_EQ_MSG(test, walk(test, &pg, gva, FETCH, &gpa, &err), -EFAULT,
				    "level %u not present (fetch)", level);
		KUNIT_EXPECT_EQ_MSG(test, err, (u32)FETCH, "level %u: error code", level);
	}
}

/* U/S, R/W (with CR0.WP) and XD, combined over all levels. */
static void long_protection(struct kunit *test)
{
	const u64 gva = 0x400000ULL;
	struct lv_paging pg;
	u64 gpa;
	u32 err;

	/* supervisor page */
	pg = long_mode(true, true);
	map4k(gva, 0x50000, P | RW | US, P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, USR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | USR);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, USR | WR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | USR | WR);

	/* U/S clear only at the PDPT level still makes it a supervisor page */
	map4k(gva, 0x50000, P | RW | US, P | RW | US);
	set64(PDPT + idx(gva, 3) * 8, PD | P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, USR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | USR);

	/* read-only leaf: supervisor writes fault only with CR0.WP */
	map4k(gva, 0x50000, P | RW | US, P | US);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, USR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | WR);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR | USR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | WR | USR);
	pg = long_mode(false, true);
	KUNIT_EXPECT_EQ_MSG(test, walk(test, &pg, gva, WR, &gpa, &err), 0,
			    "supervisor write to a read-only page with CR0.WP clear");
	KUNIT_EXPECT_EQ(test, gpa, 0x50000ULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR | USR, &gpa, &err), -EFAULT);

	/* R/W clear only in the PD entry */
	pg = long_mode(true, true);
	map4k(gva, 0x50000, P | RW | US, P | RW | US);
	set64(PD + idx(gva, 2) * 8, PT | P | US);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, 0, &gpa, &err), 0);

	/* XD: fetches fault only with EFER.NXE */
	map4k(gva, 0x50000, P | RW | US, P | RW | US | XD);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, FETCH, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | FETCH);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR, &gpa, &err), 0);
	/* XD in an upper level */
	map4k(gva, 0x50000, P | RW | US, P | RW | US);
	set64(PML4 + idx(gva, 4) * 8, PDPT | P | RW | US | XD);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, FETCH | USR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | FETCH | USR);
}

/* PAE: a 32-byte aligned PDPT of 4 entries, then 8-byte PD and PT. */
static void pae(struct kunit *test)
{
	struct lv_paging pg = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x1020,			/* PDPT at 0x1020 */
		.cr4 = X86_CR4_PAE,
		.efer = EFER_NX,
	};
	const u64 gva = 0xc0123456ULL;		/* PDPTE 3, PDE 0, PTE 0x123 */
	const u64 gva2m = 0x80400000ULL;	/* PDPTE 2, PDE 2 */
	u64 gpa;
	u32 err;

	set64(0x1020 + 3 * 8, 0x6000 | P);
	set64(0x6000 + 0 * 8, 0x7000 | P | RW | US);
	set64(0x7000 + 0x123 * 8, 0x9000 | P | RW | US);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, USR | WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x9456ULL);
	/* bits 63:32 of the address are dropped */
	KUNIT_EXPECT_EQ(test, walk(test, &pg, (1ULL << 32) | gva, 0, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x9456ULL);

	/* 2 MiB page with XD */
	set64(0x1020 + 2 * 8, 0x8000 | P);
	set64(0x8000 + 2 * 8, 0x3fe00000ULL | PAT_L | PS | P | RW | XD);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva2m + 0x12345, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x3fe12345ULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva2m, FETCH, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | FETCH);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva2m, USR, &gpa, &err), -EFAULT);

	/* PDPTE 0 and 1 not present */
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x1000, 0, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, 0U);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x40001000, WR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, (u32)WR);
}

/*
 * PAE PDPTEs as a CR3 load takes them: reserved bits of present entries
 * refuse the load, and a walk with loaded PDPTEs ignores the table in memory.
 */
static void pae_loaded_pdptes(struct kunit *test)
{
	struct lv_paging pg = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x1020,
		.cr4 = X86_CR4_PAE,
	};
	struct paging_ctx *ctx = test->priv;
	const u64 gva = 0x40005000ULL;		/* PDPTE 1, PDE 0, PTE 5 */
	u64 pdpte[4], gpa;
	u32 err;

	set64(0x1020 + 1 * 8, 0x6000 | P);
	set64(0x6000, 0x7000 | P | RW);
	set64(0x7000 + 5 * 8, 0x9000 | P | RW);
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), 0);
	KUNIT_EXPECT_EQ(test, pdpte[1], 0x6000ULL | P);
	KUNIT_EXPECT_EQ(test, pdpte[0], 0ULL);

	/* reserved bits 2:1, 8:5 and above MAXPHYADDR, only when present */
	set64(0x1020 + 3 * 8, BIT_ULL(1));
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), 0);
	set64(0x1020 + 3 * 8, 0x8000 | P | BIT_ULL(1));
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), -EINVAL);
	set64(0x1020 + 3 * 8, 0x8000 | P | BIT_ULL(5));
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), -EINVAL);
	set64(0x1020 + 3 * 8, 0x8000 | P | BIT_ULL(boot_cpu_data.x86_phys_bits));
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), -EINVAL);
	set64(0x1020 + 3 * 8, 0x8000 | P | BIT_ULL(11) | BIT_ULL(3));
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), 0);
	/* a table outside RAM loads as all zero */
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, FAKE_SIZE, pdpte), 0);
	KUNIT_EXPECT_EQ(test, pdpte[1], 0ULL);

	/* the loaded copy rules: PDPTE 1 cleared in memory still translates */
	KUNIT_EXPECT_EQ(test, lv_pae_load_pdptes(ctx->vm, pg.cr3, pdpte), 0);
	pg.pdpte = pdpte;
	set64(0x1020 + 1 * 8, 0);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x9000ULL);
	/* and a not-present copy faults whatever memory holds */
	pdpte[1] = 0;
	set64(0x1020 + 1 * 8, 0x6000 | P);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, 0, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, 0U);
	/* without a copy the walk reads memory */
	pg.pdpte = NULL;
	KUNIT_EXPECT_EQ(test, walk(test, &pg, gva, 0, &gpa, &err), 0);
}

/* 32-bit paging: 4-byte entries; 4 MiB pages only with CR4.PSE. */
static void paging32(struct kunit *test)
{
	struct lv_paging pg = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x2000,
		.cr4 = X86_CR4_PSE,
	};
	u64 gpa;
	u32 err;

	/* 0xc0801234: PDE 0x302, PTE 0x001 */
	set32(0x2000 + 0x302 * 4, 0x3000 | P | RW | US);
	set32(0x3000 + 0x001 * 4, 0x45000 | P | US);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0xc0801234, USR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x45234ULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0xc0801234, WR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | WR);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0xc0802000, 0, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, 0U);

	/* 4 MiB page: PDE 0x100 (gva 0x40000000) */
	set32(0x2000 + 0x100 * 4, 0x00c00000 | PS | P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x40345678, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0xf45678ULL);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x40345678, USR, &gpa, &err), -EFAULT);
	KUNIT_EXPECT_EQ(test, err, PF_P | USR);

	/* without CR4.PSE the PS bit is ignored: the PDE points to a table */
	pg.cr4 = 0;
	set32(0x2000 + 0x101 * 4, 0x4000 | PS | P | RW);
	set32(0x4000 + 0x345 * 4, 0x47000 | P | RW);
	KUNIT_EXPECT_EQ(test, walk(test, &pg, 0x40745678, WR, &gpa, &err), 0);
	KUNIT_EXPECT_EQ(test, gpa, 0x47678ULL);
}

/* Copies across a page boundary, page faults and non-RAM on the way. */
static void gva_read_write(struct kunit *test)
{
	struct paging_ctx *ctx = test->priv;
	struct lv_paging pg = long_mode(true, true);
	u8 buf[16], want[16];
	u64 fault = 0;
	u32 err = 0;
	int i;

	/* gva 0x400000 -> gpa 0x50000, gva 0x401000 -> gpa 0x20000 */
	map4k(0x400000, 0x50000, P | RW | US, P | RW | US);
	set64(PT + 1 * 8, 0x20000 | P | RW | US);
	for (i = 0; i < 8; i++) {
		fake_mem[0x50ff8 + i] = 0xa0 + i;
		fake_mem[0x20000 + i] = 0xb0 + i;
		want[i] = 0xa0 + i;
		want[8 + i] = 0xb0 + i;
	}
	memset(buf, 0, sizeof(buf));
	KUNIT_EXPECT_EQ(test, lv_gva_read(ctx->vm, &pg, 0x400ff8, buf, 16, 0, &fault, &err), 0);
	KUNIT_EXPECT_EQ(test, memcmp(buf, want, 16), 0);

	/* a write lands on both pages */
	for (i = 0; i < 16; i++)
		buf[i] = 0x10 + i;
	KUNIT_EXPECT_EQ(test, lv_gva_write(ctx->vm, &pg, 0x400ffc, buf, 8, 0, &fault, &err), 0);
	KUNIT_EXPECT_EQ(test, fake_mem[0x50ffc], 0x10);
	KUNIT_EXPECT_EQ(test, fake_mem[0x50fff], 0x13);
	KUNIT_EXPECT_EQ(test, fake_mem[0x20000], 0x14);
	KUNIT_EXPECT_EQ(test, fake_mem[0x20003], 0x17);
	KUNIT_EXPECT_EQ(test, fake_mem[0x20004], 0xb4);

	/* the second page read-only: the write faults there, with W */
	set64(PT + 1 * 8, 0x20000 | P | US);
	fault = 0;
	KUNIT_EXPECT_EQ(test, lv_gva_write(ctx->vm, &pg, 0x400ffc, buf, 8, USR, &fault, &err),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, fault, 0x401000ULL);
	KUNIT_EXPECT_EQ(test, err, PF_P | WR | USR);

	/* the second page not present: the read faults at its first byte */
	set64(PT + 1 * 8, 0);
	fault = 0;
	KUNIT_EXPECT_EQ(test, lv_gva_read(ctx->vm, &pg, 0x400ff8, buf, 16, 0, &fault, &err),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, fault, 0x401000ULL);
	KUNIT_EXPECT_EQ(test, err, 0U);

	/* the second page maps a gpa that is not RAM: -ENXIO */
	set64(PT + 1 * 8, 0xd0000000ULL | P | RW | US);
	fault = 0;
	KUNIT_EXPECT_EQ(test, lv_gva_read(ctx->vm, &pg, 0x400ff8, buf, 16, 0, &fault, &err),
			-ENXIO);
	KUNIT_EXPECT_EQ(test, fault, 0x401000ULL);

	/* zero bytes: nothing to do */
	KUNIT_EXPECT_EQ(test, lv_gva_read(ctx->vm, &pg, 0x900000, buf, 0, 0, &fault, &err), 0);
}

#define AC	LV_WALK_AC
#define A_BIT	BIT_ULL(5)
#define D_BIT	BIT_ULL(6)

static u64 get64(u64 gpa)
{
	u64 v;

	memcpy(&v, fake_mem + gpa, 8);
	return v;
}

static int gwalk(struct kunit *test, const struct lv_paging *pg, u64 gva,
		 unsigned int access, struct lv_walk *w)
{
	struct paging_ctx *ctx = test->priv;

	return lv_walk_guest(ctx->vm, pg, gva, access, LV_WALK_SET_AD, w);
}

/* accessed at every level, dirty only on the leaf and only for writes */
static void walk_ad_bits(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, true);
	const u64 gva = 0x00007f0000201000ULL;
	struct lv_walk w;

	map4k(gva, 0x50000, P | RW | US, P | RW | US);
	KUNIT_ASSERT_EQ(test, gwalk(test, &pg, gva + 8, 0, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x50008ULL);
	KUNIT_EXPECT_EQ(test, w.top, 4);
	KUNIT_EXPECT_EQ(test, w.leaf, 1);
	KUNIT_EXPECT_EQ(test, w.table[4], PML4);
	KUNIT_EXPECT_EQ(test, w.table[3], PDPT);
	KUNIT_EXPECT_EQ(test, w.table[2], PD);
	KUNIT_EXPECT_EQ(test, w.table[1], PT);
	KUNIT_EXPECT_FALSE(test, w.dirty);
	KUNIT_EXPECT_EQ(test, get64(PML4 + idx(gva, 4) * 8) & (A_BIT | D_BIT), A_BIT);
	KUNIT_EXPECT_EQ(test, get64(PDPT + idx(gva, 3) * 8) & (A_BIT | D_BIT), A_BIT);
	KUNIT_EXPECT_EQ(test, get64(PD + idx(gva, 2) * 8) & (A_BIT | D_BIT), A_BIT);
	KUNIT_EXPECT_EQ(test, get64(PT + idx(gva, 1) * 8) & (A_BIT | D_BIT), A_BIT);
	KUNIT_ASSERT_EQ(test, gwalk(test, &pg, gva, WR, &w), 0);
	KUNIT_EXPECT_TRUE(test, w.dirty);
	KUNIT_EXPECT_EQ(test, get64(PT + idx(gva, 1) * 8) & (A_BIT | D_BIT), A_BIT | D_BIT);
	KUNIT_EXPECT_EQ(test, get64(PD + idx(gva, 2) * 8) & D_BIT, 0ULL);
	/* a faulting access sets nothing */
	set64(PT + idx(gva, 1) * 8, 0x50000 | P | US);
	KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, WR | USR, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, w.error, PF_P | WR | USR);
	KUNIT_EXPECT_EQ(test, get64(PT + idx(gva, 1) * 8), 0x50000 | P | US);

	/* a 2 MiB page: the PDE is the leaf and gets the dirty bit */
	set64(PD + 5 * 8, 0x200000 | PS | P | RW);
	KUNIT_ASSERT_EQ(test, gwalk(test, &pg, (gva & ~0x3fffffffULL) + 5 * 0x200000 + 0x1234,
				    WR, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x201234ULL);
	KUNIT_EXPECT_EQ(test, w.leaf, 2);
	KUNIT_EXPECT_EQ(test, get64(PD + 5 * 8) & (A_BIT | D_BIT), A_BIT | D_BIT);
}

static void walk_reserved(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, false);
	const u64 gva = 0x403000;
	unsigned int pb = boot_cpu_data.x86_phys_bits;
	struct lv_walk w;

	map4k(gva, 0x50000, P | RW, P | RW);
	if (pb < 52) {
		set64(PT + idx(gva, 1) * 8, 0x50000 | P | RW | BIT_ULL(pb));
		KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, WR, &w), -EFAULT);
		KUNIT_EXPECT_EQ(test, w.error, PF_P | LV_PF_RSVD | WR);
	}
	/* XD without EFER.NXE is reserved */
	set64(PT + idx(gva, 1) * 8, 0x50000 | P | RW | XD);
	KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, 0, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, w.error, PF_P | LV_PF_RSVD);
	pg.efer |= EFER_NX;
	KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, 0, &w), 0);
	KUNIT_EXPECT_FALSE(test, w.exec);
	/* PS in a PML4E; low bits of a 2 MiB page's address */
	set64(PML4 + idx(gva, 4) * 8, PDPT | P | RW | PS);
	KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, 0, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, w.error, PF_P | LV_PF_RSVD);
	set64(PML4 + idx(gva, 4) * 8, PDPT | P | RW);
	set64(PD + idx(gva, 2) * 8, 0x200000 | BIT_ULL(13) | PS | P | RW);
	KUNIT_EXPECT_EQ(test, gwalk(test, &pg, gva, FETCH, &w), -EFAULT);
	KUNIT_EXPECT_EQ(test, w.error, PF_P | LV_PF_RSVD | LV_PF_FETCH);
}

/* every combination of access, U/S, R/W, XD, CR0.WP, SMEP, SMAP, AC */
static void permission_combination(struct kunit *test)
{
	unsigned int n = 0, acc, bits, ctl;

	for (ctl = 0; ctl < 8; ctl++) {
		struct lv_paging pg = long_mode(ctl & 1, true);

		pg.cr4 |= (ctl & 2 ? X86_CR4_SMEP : 0) | (ctl & 4 ? X86_CR4_SMAP : 0);
		for (acc = 0; acc < 16; acc++) {
			unsigned int a = (acc & 1 ? WR : 0) | (acc & 2 ? USR : 0) |
					 (acc & 4 ? FETCH : 0) | (acc & 8 ? AC : 0);
			bool want;

			if ((a & WR) && (a & FETCH))
				continue;
			for (bits = 0; bits < 8; bits++) {
				bool u = bits & 1, rw = bits & 2, x = !(bits & 4);

				if (a & USR)
					want = u && (!(a & WR) || rw) && (!(a & FETCH) || x);
				else if (a & FETCH)
					want = x && !(u && (ctl & 2));
				else
					want = !(u && (ctl & 4) && !(a & AC)) &&
					       (!(a & WR) || rw || !(ctl & 1));
				KUNIT_EXPECT_EQ_MSG(test, lv_paging_check(&pg, a, u, rw, x),
						    want, "ctl %u access 0x%x u %d rw %d x %d",
						    ctl, a, u, rw, x);
				n++;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, n, 8U * 12 * 8);
}

static void error_codes(struct kunit *test)
{
	struct lv_paging pg = long_mode(true, true);
	struct lv_paging p32 = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr4 = 0 };

	KUNIT_EXPECT_EQ(test, lv_paging_error(&pg, WR | USR, true, false), PF_P | WR | USR);
	KUNIT_EXPECT_EQ(test, lv_paging_error(&pg, FETCH, false, false), (u32)LV_PF_FETCH);
	KUNIT_EXPECT_EQ(test, lv_paging_error(&pg, 0, true, true), PF_P | LV_PF_RSVD);
	/* I/D only with NXE (PAE paging) or SMEP */
	pg.efer &= ~EFER_NX;
	KUNIT_EXPECT_EQ(test, lv_paging_error(&pg, FETCH | USR, true, false), PF_P | USR);
	pg.cr4 |= X86_CR4_SMEP;
	KUNIT_EXPECT_EQ(test, lv_paging_error(&pg, FETCH, true, false), PF_P | LV_PF_FETCH);
	KUNIT_EXPECT_EQ(test, lv_paging_error(&p32, FETCH, false, false), 0U);
	p32.efer = EFER_NX;
	KUNIT_EXPECT_EQ(test, lv_paging_error(&p32, FETCH, false, false), 0U);
	KUNIT_EXPECT_EQ(test, lv_paging_mode(&p32), (unsigned int)LV_PAGING_32);
	KUNIT_EXPECT_EQ(test, lv_paging_mode(&pg), (unsigned int)LV_PAGING_4LEVEL);
}

/* 32-bit paging through lv_walk_guest(): tables, 4-byte A/D, PSE-36 */
static void walk_32bit(struct kunit *test)
{
	struct lv_paging pg = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x2000,
		.cr4 = X86_CR4_PSE,
	};
	struct lv_walk w;
	u32 e;

	set32(0x2000 + 0x302 * 4, 0x3000 | P | RW | US);
	set32(0x3000 + 0x001 * 4, 0x45000 | P | RW | US);
	KUNIT_ASSERT_EQ(test, gwalk(test, &pg, 0xc0801234, WR | USR, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x45234ULL);
	KUNIT_EXPECT_EQ(test, w.top, 2);
	KUNIT_EXPECT_EQ(test, w.table[2], 0x2000ULL);
	KUNIT_EXPECT_EQ(test, w.table[1], 0x3000ULL);
	memcpy(&e, fake_mem + 0x3000 + 4, 4);
	KUNIT_EXPECT_EQ(test, e & (A_BIT | D_BIT), (u32)(A_BIT | D_BIT));
	memcpy(&e, fake_mem + 0x2000 + 0x302 * 4, 4);
	KUNIT_EXPECT_EQ(test, e & (A_BIT | D_BIT), (u32)A_BIT);
	/* a 4 MiB page with PSE-36 address bits 39:32 = 0x12 */
	set32(0x2000 + 0x100 * 4, 0x00c00000 | (0x12 << 13) | PS | P | RW);
	KUNIT_ASSERT_EQ(test, gwalk(test, &pg, 0x40012345, 0, &w), 0);
	KUNIT_EXPECT_EQ(test, w.gpa, 0x1200c12345ULL);
	KUNIT_EXPECT_EQ(test, w.leaf, 2);
}

static struct kunit_case lv_paging_cases[] = {
	KUNIT_CASE(walk_ad_bits),
	KUNIT_CASE(walk_reserved),
	KUNIT_CASE(permission_combination),
	KUNIT_CASE(error_codes),
	KUNIT_CASE(walk_32bit),
	KUNIT_CASE(paging_off),
	KUNIT_CASE(long_4k),
	KUNIT_CASE(long_large_pages),
	KUNIT_CASE(long_not_present),
	KUNIT_CASE(long_protection),
	KUNIT_CASE(pae),
	KUNIT_CASE(pae_loaded_pdptes),
	KUNIT_CASE(paging32),
	KUNIT_CASE(gva_read_write),
	{}
};

static struct kunit_suite lv_paging_suite = {
	.name = "lv_paging",
	.init = paging_init,
	.exit = paging_exit,
	.test_cases = lv_paging_cases,
};

kunit_test_suites(&lv_paging_suite);
