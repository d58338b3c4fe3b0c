// SPDX-License-Identifier: GPL-2.0
/*
 * multiboot.elf: lvctl run --mem 64M --cmdline "x=1 y=2"
 *                       --module multiboot-module.bin,modstr multiboot.elf
 *
 * Checks the boot magic; the information flags; the command line ("x=1
 * y=2", or anything ending in " x=1 y=2": boot loaders may put the kernel
 * path first); mem_lower/mem_upper against the RAM size (64 MiB, or the
 * size a "mem=<N>M" token of the command line names: mem_upper must be
 * that size less 1 MiB, or up to 1 MiB less still); the memory map
 * against mem_upper; the one module: page aligned (header flag 0), 1000
 * bytes of (i * 13 + 5) & 0xff (tools/gen-module.c), string "modstr" (or
 * ending in " modstr"), clear of the kernel image and inside RAM.
 */
#include "rt.h"
#include "multiboot.h"

const char guest_name[] = "multiboot";

#define MODULE_SIZE 1000
extern const char __bss_end[];

/* s is want, or ends with " " want */
static int is_or_ends_with(const char *s, const char *want)
{
	ulong ls = strlen(s), lw = strlen(want);

	if (ls == lw)
		return !strcmp(s, want);
	return ls > lw && s[ls - lw - 1] == ' ' && !strcmp(s + ls - lw, want);
}

/* RAM size in bytes named by a "mem=<N>M" token; 64 MiB without one */
static u64 expected_mem(const char *cmdline)
{
	for (const char *p = cmdline; *p; p++) {
		u64 n = 0;

		if ((p != cmdline && p[-1] != ' ') || strncmp(p, "mem=", 4))
			continue;
		for (p += 4; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (*p - '0');
		if (*p == 'M')
			return n << 20;
		fail("bad mem= token in the command line");
		break;
	}
	return 64ULL << 20;
}

static void check_mmap(const struct mb_info *mbi, u64 mem)
{
	u64 upper_end = 0x100000 + (u64)mbi->mem_upper * 1024, avail = 0;
	int covers_upper = 0, entries = 0;
	ulong p = mbi->mmap_addr, end = p + mbi->mmap_length;

	while (p < end) {
		const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;

		printf("multiboot: mmap 0x%llx-0x%llx type %u\n", e->base,
		       e->base + e->len - 1, e->type);
		if (e->type == 1) {
			avail += e->len;
			if (e->base <= 0x100000 && e->base + e->len >= upper_end)
				covers_upper = 1;
			CHECK(e->base + e->len <= mem,
			      "available region 0x%llx+0x%llx beyond the RAM size 0x%llx",
			      e->base, e->len, mem);
		}
		entries++;
		p += e->size + 4;
	}
	CHECK(entries > 0, "empty memory map");
	CHECK(covers_upper, "no available region covers 1 MiB .. 1 MiB + mem_upper");
	CHECK(avail <= mem, "0x%llx bytes available, more than RAM 0x%llx", avail, mem);
}

static void check_module(const struct mb_info *mbi, u64 mem)
{
	const struct mb_module *m = (const struct mb_module *)(ulong)mbi->mods_addr;
	const u8 *data;
	const char *str;
	u32 size, bad = 0;

	if (mbi->mods_count != 1) {
		fail("%u modules, not 1", mbi->mods_count);
		return;
	}
	size = m->mod_end - m->mod_start;
	printf("multiboot: module 0x%x-0x%x \"%s\"\n", m->mod_start, m->mod_end,
	       m->string ? (const char *)(ulong)m->string : "(null)");
	CHECK(!(m->mod_start & 0xfff), "module at 0x%x is not page aligned",
	      m->mod_start);
	CHECK(m->mod_end <= mem, "module ends at 0x%x, beyond RAM", m->mod_end);
	CHECK(m->mod_start >= (ulong)__bss_end || m->mod_end <= 0x100000,
	      "module 0x%x-0x%x overlaps the kernel (ends 0x%lx)", m->mod_start,
	      m->mod_end, (ulong)__bss_end);
	if (size != MODULE_SIZE) {
		fail("module is %u bytes, not %u", size, MODULE_SIZE);
		return;
	}
	data = (const u8 *)(ulong)m->mod_start;
	for (u32 i = 0; i < size; i++) {
		if (data[i] != ((i * 13 + 5) & 0xff)) {
			if (!bad++)
				fail("module byte %u is 0x%x, not 0x%x", i, data[i],
				     (i * 13 + 5) & 0xff);
		}
	}
	CHECK(bad <= 1, "%u module bytes differ in all", bad);
	str = (const char *)(ulong)m->string;
	CHECK(str && is_or_ends_with(str, "modstr"), "module string \"%s\", not \"modstr\"",
	      str ? str : "(null)");
}

void guest_main(u32 magic, ulong info)
{
	const struct mb_info *mbi = (const struct mb_info *)info;
	const u32 need = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP;
	const char *cmdline;
	u64 mem;

	if (magic != MB_BOOT_MAGIC) {
		fail("EAX 0x%x at entry, not 0x2badb002", magic);
		return;
	}
	printf("multiboot: info at 0x%lx, flags 0x%x\n", info, mbi->flags);
	if ((mbi->flags & need) != need) {
		fail("flags 0x%x lack some of 0x%x (mem, cmdline, mods, mmap)",
		     mbi->flags, need);
		return;
	}
	cmdline = (const char *)(ulong)mbi->cmdline;
	printf("multiboot: cmdline \"%s\"\n", cmdline);
	CHECK(is_or_ends_with(cmdline, "x=1 y=2"), "cmdline \"%s\", not \"x=1 y=2\"",
	      cmdline);

	mem = expected_mem(cmdline);
	printf("multiboot: mem_lower %u KiB, mem_upper %u KiB, expecting %llu MiB of RAM\n",
	       mbi->mem_lower, mbi->mem_upper, mem >> 20);
	CHECK(mbi->mem_lower > 0 && mbi->mem_lower <= 640,
	      "mem_lower %u KiB is not in 1..640", mbi->mem_lower);
	/* all RAM above 1 MiB, less at most 1 MiB the loader may keep at the top */
	CHECK((u64)mbi->mem_upper * 1024 <= mem - 0x100000 &&
	      (u64)mbi->mem_upper * 1024 >= mem - 0x200000,
	      "mem_upper %u KiB, but %llu MiB of RAM gives %llu KiB (less at most 1024)",
	      mbi->mem_upper, mem >> 20, (mem - 0x100000) >> 10);
	CHECK(info + sizeof(*mbi) <= mem, "info structure beyond RAM");
	check_mmap(mbi, mem);
	check_module(mbi, mem);
}
