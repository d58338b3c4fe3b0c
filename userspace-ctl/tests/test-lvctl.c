// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of lvctl, no VMX needed: the command line and loaders
 * with bad input (run as a child: each must exit 2 with one message line),
 * the page tables, GDT and multiboot information written in memory, the
 * devices driven directly, and the vCPU loop against a scripted
 * accelerator.
 *
 *   test-lvctl PATH-TO-LVCTL
 *
 * Prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test; exits 1
 * if any failed.
 */
#include <elf.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/labvisor.h>

#include "accel.h"
#include "builtin.h"
#include "devices.h"
#include "loader.h"
#include "stats.h"
#include "x86.h"

#include "harness.h"

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

/* multiboot header at @p */
static void put_mb_header(u8 *p, u32 flags)
{
	put32(p, MB_HEADER_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, -(MB_HEADER_MAGIC + flags));
}

#define ELF_DATA_OFF	0x100

/*
 * An ELF32 multiboot kernel: one PT_LOAD of @filesz bytes (0x90, 0x90, ...
 * then HLT) at @paddr with @memsz bytes, its multiboot header right after
 * the program header.  Returns the file size.
 */
static size_t make_elf32(u8 *buf, u32 paddr, u32 vaddr, u32 filesz,
			 u32 memsz, u32 entry)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;
	Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(*eh));

	memset(buf, 0, ELF_DATA_OFF + filesz);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = ELF_DATA_OFF;
	ph->p_vaddr = vaddr;
	ph->p_paddr = paddr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	ph->p_flags = PF_R | PF_X;
	ph->p_align = 0x1000;
	put_mb_header(buf + sizeof(*eh) + sizeof(*ph), MB_FLAG_MEMINFO);
	memset(buf + ELF_DATA_OFF, 0x90, filesz);
	buf[ELF_DATA_OFF + filesz - 1] = 0xf4;
	return ELF_DATA_OFF + filesz;
}

static size_t make_elf64(u8 *buf, u64 paddr, u64 vaddr, u64 filesz,
			 u64 memsz, u64 entry)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	memset(buf, 0, 0x200 + filesz);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph->p_type = PT_LOAD;
	ph->p_offset = 0x200;
	ph->p_vaddr = vaddr;
	ph->p_paddr = paddr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	ph->p_flags = PF_R | PF_X;
	put_mb_header(buf + sizeof(*eh) + sizeof(*ph), 0);
	memset(buf + 0x200, 0xcc, filesz);
	return 0x200 + filesz;
}

static void test_cli(void)
{
	static u8 buf[3 * SZ_1M];
	const char *ok_bin, *big, *empty, *elf, *trunc_ph, *trunc_seg,
		   *past_ram, *boot_area, *mb_flags, *elf64_past, *kludge_bad;
	struct child c;
	size_t n;

	memset(buf, 0xf4, sizeof(buf));
	ok_bin = write_file("hlt.bin", buf, 16);
	big = write_file("big.bin", buf, 2 * SZ_1M);
	empty = write_file("empty.bin", buf, 0);

	n = make_elf32(buf, 0x100000, 0x100000, 0x200, 0x1000, 0x100000);
	elf = write_file("mb32.elf", buf, n);
	/* the program header table runs past the end of the file */
	((Elf32_Ehdr *)buf)->e_phoff = n - 16;
	trunc_ph = write_file("trunc-ph.elf", buf, n);
	((Elf32_Ehdr *)buf)->e_phoff = sizeof(Elf32_Ehdr);
	/* the multiboot header survives, the segment's bytes do not */
	trunc_seg = write_file("trunc-seg.elf", buf, ELF_DATA_OFF + 0x80);
	n = make_elf32(buf, 0x3ff000, 0x3ff000, 0x200, 0x2000, 0x3ff000);
	past_ram = write_file("past-ram.elf", buf, n);
	n = make_elf32(buf, 0x8000, 0x8000, 0x200, 0x200, 0x8000);
	boot_area = write_file("boot-area.elf", buf, n);
	n = make_elf32(buf, 0x100000, 0x100000, 0x200, 0x200, 0x100000);
	put_mb_header(buf + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
		      MB_FLAG_MEMINFO | (1U << 2));
	mb_flags = write_file("mb-video.elf", buf, n);
	n = make_elf64(buf, 0x100000, 0x100000, 0x100, 0x10000000, 0x100000);
	elf64_past = write_file("past-ram64.elf", buf, n);
	n = make_elf32(buf, 0x100000, 0x100000, 0x200, 0x200, 0x100000);
	put_mb_header(buf + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr),
		      MB_FLAG_AOUT_KLUDGE);
	/* header_addr below load_addr */
	put32(buf + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + 12, 0x1000);
	put32(buf + sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + 16, 0x2000);
	kludge_bad = write_file("kludge-bad.elf", buf, n);

	expect_usage_error("cli-no-file", "no FILE", ARGS("run"));
	expect_usage_error("cli-no-command", "usage", ARGS(NULL));
	expect_usage_error("cli-unknown-command", "unknown command",
			   ARGS("frobnicate"));
	expect_usage_error("cli-unknown-option", "unknown option",
			   ARGS("run", "--frob", ok_bin));
	expect_usage_error("cli-missing-argument", "needs an argument",
			   ARGS("run", "--mem"));
	expect_usage_error("cli-two-files", "one FILE", ARGS("run", ok_bin,
							     ok_bin));
	expect_usage_error("cli-mem-zero", "--mem",
			   ARGS("run", "--mem", "0", ok_bin));
	expect_usage_error("cli-mem-garbage", "--mem",
			   ARGS("run", "--mem", "12Q", ok_bin));
	expect_usage_error("cli-mem-negative", "--mem",
			   ARGS("run", "--mem", "-64M", ok_bin));
	expect_usage_error("cli-mem-overflow", "--mem",
			   ARGS("run", "--mem", "99999999999999999G", ok_bin));
	expect_usage_error("cli-mem-too-big", "--mem",
			   ARGS("run", "--mem", "4G", ok_bin));
	expect_usage_error("cli-mem-unaligned", "--mem",
			   ARGS("run", "--mem", "1048577", ok_bin));
	expect_usage_error("cli-mode-bogus", "--mode",
			   ARGS("run", "--mode", "bogus", ok_bin));
	expect_usage_error("cli-accel-bogus", "--accel",
			   ARGS("run", "--accel", "xen", ok_bin));
	expect_usage_error("cli-load-garbage", "--load",
			   ARGS("run", "--load", "0x12zz", ok_bin));
	expect_usage_error("cli-entry-garbage", "--entry",
			   ARGS("run", "--entry", "", ok_bin));
	expect_usage_error("cli-module-no-name", "--module",
			   ARGS("run", "--module", ",x", elf));
	expect_usage_error("load-missing-file", "No such file",
			   ARGS("run", TMPDIR "/does-not-exist"));
	expect_usage_error("load-directory", "not a regular file",
			   ARGS("run", TMPDIR));
	expect_usage_error("load-empty-file", "empty file",
			   ARGS("run", empty));
	expect_usage_error("load-flat-larger-than-ram", "do not fit",
			   ARGS("run", "--mem", "1M", big));
	expect_usage_error("load-flat-past-ram-end", "do not fit",
			   ARGS("run", "--mem", "1M", "--load", "0xffff8",
				ok_bin));
	expect_usage_error("load-flat-entry-outside", "entry",
			   ARGS("run", "--mem", "1M", "--entry", "0x200000",
				ok_bin));
	expect_usage_error("load-flat-real-entry-high", "1 MiB",
			   ARGS("run", "--mem", "4M", "--load", "0x100000",
				ok_bin));
	expect_usage_error("load-flat-boot-area", "boot area",
			   ARGS("run", "--mode", "long64", "--load", "0xa000",
				ok_bin));
	expect_usage_error("load-flat-multiboot-option", "multiboot",
			   ARGS("run", "--cmdline", "x", ok_bin));
	expect_usage_error("load-elf-truncated-phdrs", "truncated",
			   ARGS("run", trunc_ph));
	expect_usage_error("load-elf-truncated-segment", "truncated",
			   ARGS("run", trunc_seg));
	expect_usage_error("load-elf-segment-past-ram", "outside guest RAM",
			   ARGS("run", "--mem", "4M", past_ram));
	expect_usage_error("load-elf64-segment-past-ram", "outside guest RAM",
			   ARGS("run", "--mem", "64M", elf64_past));
	expect_usage_error("load-elf-boot-area", "boot area",
			   ARGS("run", boot_area));
	expect_usage_error("load-multiboot-unsupported-flags", "unsupported",
			   ARGS("run", mb_flags));
	expect_usage_error("load-multiboot-kludge-bad", "header_addr",
			   ARGS("run", kludge_bad));
	expect_usage_error("load-multiboot-mode-option", "flat binaries",
			   ARGS("run", "--mode", "prot32", elf));
	expect_usage_error("load-module-missing", "No such file",
			   ARGS("run", "--module",
				TMPDIR "/no-module,str", elf));
	expect_usage_error("load-module-past-ram", "does not fit",
			   ARGS("run", "--mem", "2M", "--module", big, elf));

	/* without the device, a good file gets as far as opening it */
	if (access("/dev/labvisor", F_OK))
		expect_usage_error("accel-labvisor-missing-device",
				   "/dev/labvisor", ARGS("run", ok_bin));

	begin();
	run_lvctl(&c, ARGS("run", "--help"));
	CHECK(c.status == 0, "exit status %d", c.status);
	CHECK(strstr(c.out, "--accel labvisor|kvm"), "no usage on stdout");
	end("cli-help");
}

/* ---- pure functions ---- */

static void test_parse_size(void)
{
	u64 v;

	begin();
	CHECK(!parse_size("64M", &v) && v == 64 * SZ_1M, "64M");
	CHECK(!parse_size("512k", &v) && v == 512 * 1024, "512k");
	CHECK(!parse_size("1G", &v) && v == 1ULL << 30, "1G");
	CHECK(!parse_size("0x1000", &v) && v == 0x1000, "0x1000");
	CHECK(!parse_size("4096", &v) && v == 4096, "4096");
	CHECK(parse_size("", &v), "empty accepted");
	CHECK(parse_size("M", &v), "M accepted");
	CHECK(parse_size("1MB", &v), "1MB accepted");
	CHECK(parse_size("-1", &v), "-1 accepted");
	CHECK(parse_size("17179869184G", &v), "overflow accepted");
	end("parse-size");
}

static void test_page_tables(void)
{
	struct guest_mem mem;
	u8 *pml4;
	unsigned int i;

	begin();
	if (guest_mem_alloc(&mem, 2 * SZ_1M)) {
		bad("no memory");
		end("page-tables");
		return;
	}
	CHECK(((uintptr_t)mem.hva & (SZ_2M - 1)) == 0, "RAM not 2 MiB aligned");
	memset(mem.hva, 0xaa, 2 * SZ_1M);
	CHECK(x86_build_identity_map(&mem, BOOT_PML4) == 0, "build failed");
	pml4 = mem.hva + BOOT_PML4;
	CHECK_EQ(rd64(pml4), BOOT_PDPT | 3);
	for (i = 1; i < 512; i++)
		CHECK(rd64(pml4 + 8 * i) == 0, "PML4[%u] not empty", i);
	for (i = 0; i < 4; i++)
		CHECK_EQ(rd64(mem.hva + BOOT_PDPT + 8 * i),
			 (BOOT_PD + 0x1000 * i) | 3);
	for (i = 4; i < 512; i++)
		CHECK(rd64(mem.hva + BOOT_PDPT + 8 * i) == 0,
		      "PDPT[%u] not empty", i);
	for (i = 0; i < 2048; i++)
		CHECK(rd64(mem.hva + BOOT_PD + 8 * i) ==
		      (((u64)i << 21) | 0x83), "PD entry %u is 0x%llx", i,
		      (unsigned long long)rd64(mem.hva + BOOT_PD + 8 * i));
	CHECK(BOOT_PD + 4 * 0x1000 == BOOT_PT_END && BOOT_PT_END <= 0x10000,
	      "tables not below 0x10000");
	CHECK(mem.hva[BOOT_PT_END] == 0xaa, "wrote past the tables");
	CHECK(mem.hva[BOOT_PML4 - 1] == 0xaa, "wrote before the tables");
	/* misaligned or outside RAM */
	CHECK(x86_build_identity_map(&mem, 0x9010), "misaligned accepted");
	CHECK(x86_build_identity_map(&mem, 2 * SZ_1M - 0x2000),
	      "tables past RAM accepted");
	guest_mem_free(&mem);
	end("page-tables");
}

/* decode a code/data descriptor */
static void check_desc(u64 d, u32 base, u32 limit, u8 type, bool l, bool db)
{
	u32 dbase = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
	u32 dlimit = (d & 0xffff) | (((d >> 48) & 0xf) << 16);

	CHECK(dbase == base, "descriptor base 0x%x", dbase);
	CHECK(dlimit == limit, "descriptor limit 0x%x", dlimit);
	CHECK(((d >> 40) & 0xf) == type, "descriptor type");
	CHECK((d >> 47) & 1, "descriptor not present");
	CHECK(((d >> 53) & 1) == l, "descriptor L bit");
	CHECK(((d >> 54) & 1) == db, "descriptor D/B bit");
	CHECK((d >> 55) & 1, "descriptor not page granular");
}

static void test_gdt(void)
{
	u8 gdt[GDT_LIMIT + 1];
	u64 tss;

	begin();
	x86_write_gdt(gdt, false);
	CHECK(rd64(gdt) == 0, "null descriptor");
	check_desc(rd64(gdt + GDT_SEL_CODE), 0, 0xfffff, 0xb, false, true);
	check_desc(rd64(gdt + GDT_SEL_DATA), 0, 0xfffff, 0x3, false, true);
	tss = rd64(gdt + GDT_SEL_TSS);
	CHECK((tss & 0xffff) == BOOT_TSS_LIMIT, "TSS limit");
	CHECK(((tss >> 16) & 0xffffff) == BOOT_TSS, "TSS base");
	CHECK(((tss >> 40) & 0xff) == 0x8b, "TSS type/present");
	x86_write_gdt(gdt, true);
	check_desc(rd64(gdt + GDT_SEL_CODE), 0, 0xfffff, 0xb, true, false);
	end("gdt");
}

static void test_entry_state(void)
{
	struct guest_mem mem;
	struct boot_cpu cpu;

	begin();
	if (guest_mem_alloc(&mem, 4 * SZ_1M)) {
		bad("no memory");
		end("entry-state");
		return;
	}
	/* real mode: CS from the load address */
	CHECK(!x86_setup_boot(&mem, CPU_MODE_REAL, 0x7c00, 0x7c00, &cpu),
	      "real failed");
	CHECK_EQ(cpu.sregs.cs.selector, 0x7c0);
	CHECK_EQ(cpu.sregs.cs.base, 0x7c00);
	CHECK_EQ(cpu.regs.rip, 0);
	CHECK_EQ(cpu.sregs.cr0 & X86_CR0_PE, 0);
	CHECK_EQ(cpu.regs.rflags, 2);
	CHECK_EQ(cpu.sregs.ds.selector, 0);
	CHECK(!x86_setup_boot(&mem, CPU_MODE_REAL, 0x7c00, 0x7c10, &cpu),
	      "real failed");
	CHECK_EQ(cpu.sregs.cs.selector, 0x7c0);
	CHECK_EQ(cpu.regs.rip, 0x10);
	/* entry 128 KiB above the load address: CS moves */
	CHECK(!x86_setup_boot(&mem, CPU_MODE_REAL, 0x10000, 0x30008, &cpu),
	      "real failed");
	CHECK_EQ(cpu.sregs.cs.base + cpu.regs.rip, 0x30008);
	CHECK(cpu.regs.rip <= 0xffff, "IP 0x%llx", (unsigned long long)cpu.regs.rip);
	CHECK(x86_setup_boot(&mem, CPU_MODE_REAL, 0x100000, 0x100000, &cpu),
	      "real mode entry above 1 MiB accepted");

	CHECK(!x86_setup_boot(&mem, CPU_MODE_PROT32, SZ_1M, SZ_1M + 4, &cpu),
	      "prot32 failed");
	CHECK_EQ(cpu.regs.rip, SZ_1M + 4);
	CHECK_EQ(cpu.sregs.cs.selector, GDT_SEL_CODE);
	CHECK_EQ(cpu.sregs.ss.selector, GDT_SEL_DATA);
	CHECK_EQ(cpu.sregs.cs.db, 1);
	CHECK_EQ(cpu.sregs.cs.limit, 0xffffffff);
	CHECK_EQ(cpu.sregs.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
	CHECK_EQ(cpu.sregs.gdt.base, BOOT_GDT);
	CHECK_EQ(cpu.sregs.gdt.limit, GDT_LIMIT);
	CHECK_EQ(cpu.sregs.efer, 0);
	CHECK_EQ(cpu.sregs.tr.selector, GDT_SEL_TSS);
	CHECK_EQ(rd64(mem.hva + BOOT_GDT + GDT_SEL_CODE), 0x00cf9b000000ffffULL);

	CHECK(!x86_setup_boot(&mem, CPU_MODE_LONG64, SZ_1M, SZ_1M, &cpu),
	      "long64 failed");
	CHECK_EQ(cpu.sregs.cs.l, 1);
	CHECK_EQ(cpu.sregs.cs.db, 0);
	CHECK_EQ(cpu.sregs.cr3, BOOT_PML4);
	CHECK_EQ(cpu.sregs.cr4 & X86_CR4_PAE, X86_CR4_PAE);
	CHECK_EQ(cpu.sregs.cr0 & (X86_CR0_PE | X86_CR0_PG),
		 X86_CR0_PE | X86_CR0_PG);
	CHECK_EQ(cpu.sregs.efer, X86_EFER_LME | X86_EFER_LMA);
	CHECK_EQ(rd64(mem.hva + BOOT_PD + 8), (1ULL << 21) | 0x83);
	CHECK_EQ(rd64(mem.hva + BOOT_GDT + GDT_SEL_CODE), 0x00af9b000000ffffULL);
	guest_mem_free(&mem);
	end("entry-state");
}

static void test_multiboot_header_search(void)
{
	static u8 buf[MB_SEARCH_LEN + 64];
	struct mb_header h;

	begin();
	memset(buf, 0, sizeof(buf));
	CHECK(!multiboot_find_header(buf, sizeof(buf), &h), "found in zeros");
	put_mb_header(buf + MB_SEARCH_LEN - 12, MB_FLAG_MEMINFO);
	CHECK(multiboot_find_header(buf, sizeof(buf), &h) &&
	      h.offset == MB_SEARCH_LEN - 12, "last slot not found");
	memset(buf, 0, sizeof(buf));
	put_mb_header(buf + MB_SEARCH_LEN, 0);
	CHECK(!multiboot_find_header(buf, sizeof(buf), &h),
	      "found past 8 KiB");
	memset(buf, 0, sizeof(buf));
	put_mb_header(buf + 66, 0);
	CHECK(!multiboot_find_header(buf, sizeof(buf), &h),
	      "found unaligned");
	memset(buf, 0, sizeof(buf));
	put_mb_header(buf + 64, 0);
	put32(buf + 72, 0);
	CHECK(!multiboot_find_header(buf, sizeof(buf), &h),
	      "bad checksum accepted");
	end("multiboot-header-search");
}

static void check_mmap_entry(const u8 *e, u64 base, u64 len, u32 type)
{
	CHECK(rd32(e) == 20, "mmap size field %u", rd32(e));
	CHECK(rd64(e + 4) == base, "mmap base 0x%llx, want 0x%llx",
	      (unsigned long long)rd64(e + 4), (unsigned long long)base);
	CHECK(rd64(e + 12) == len, "mmap length 0x%llx, want 0x%llx",
	      (unsigned long long)rd64(e + 12), (unsigned long long)len);
	CHECK(rd32(e + 20) == type, "mmap type %u", rd32(e + 20));
}

static void test_multiboot_info(void)
{
	struct mb_module mods[2] = {
		{ 0x200000, 0x200123, "initrd one" },
		{ 0x201000, 0x201001, "two" },
	};
	static char long_cmdline[0x8000];
	struct guest_mem mem;
	u32 info_gpa, mmap, m;
	u8 *info;

	begin();
	if (guest_mem_alloc(&mem, 64 * SZ_1M)) {
		bad("no memory");
		end("multiboot-info");
		return;
	}
	info_gpa = multiboot_build_info(&mem, "console=ttyS0 quiet", mods, 2);
	CHECK_EQ(info_gpa, MB_INFO_ADDR);
	info = mem.hva + MB_INFO_ADDR;
	CHECK_EQ(rd32(info + MBI_FLAGS), MB_INFO_MEMORY | MB_INFO_CMDLINE |
		 MB_INFO_MODS | MB_INFO_MMAP | MB_INFO_LOADER_NAME);
	CHECK_EQ(rd32(info + MBI_MEM_LOWER), 640);
	CHECK_EQ(rd32(info + MBI_MEM_UPPER), 63 * 1024);
	CHECK(!strcmp((char *)mem.hva + rd32(info + MBI_CMDLINE),
		      "console=ttyS0 quiet"), "cmdline");
	CHECK(!strcmp((char *)mem.hva + rd32(info + MBI_LOADER_NAME),
		      "lvctl"), "boot loader name");
	CHECK_EQ(rd32(info + MBI_MODS_COUNT), 2);
	m = rd32(info + MBI_MODS_ADDR);
	CHECK_EQ(rd32(mem.hva + m), 0x200000);
	CHECK_EQ(rd32(mem.hva + m + 4), 0x200123);
	CHECK(!strcmp((char *)mem.hva + rd32(mem.hva + m + 8), "initrd one"),
	      "module 0 string");
	CHECK_EQ(rd32(mem.hva + m + 12), 0);
	CHECK_EQ(rd32(mem.hva + m + 16), 0x201000);
	CHECK(!strcmp((char *)mem.hva + rd32(mem.hva + m + 24), "two"),
	      "module 1 string");
	CHECK_EQ(rd32(info + MBI_MMAP_LENGTH), 3 * 24);
	mmap = rd32(info + MBI_MMAP_ADDR);
	check_mmap_entry(mem.hva + mmap, 0, 0xa0000, 1);
	check_mmap_entry(mem.hva + mmap + 24, 0xa0000, 0x60000, 2);
	check_mmap_entry(mem.hva + mmap + 48, SZ_1M, 63 * SZ_1M, 1);
	/* everything inside the boot area, nothing at or above 0x10000 */
	CHECK(m >= MB_INFO_ADDR && mmap >= MB_INFO_ADDR &&
	      rd32(info + MBI_CMDLINE) < MB_INFO_END, "outside the info area");

	memset(long_cmdline, 'x', sizeof(long_cmdline) - 1);
	CHECK(multiboot_build_info(&mem, long_cmdline, mods, 2) == 0,
	      "32 KiB command line accepted");
	guest_mem_free(&mem);
	end("multiboot-info");
}

static void test_multiboot_load(void)
{
	static u8 buf[0x10000];
	struct load_opts opts;
	struct guest_mem mem;
	struct boot_cpu cpu;
	struct mb_header h;
	struct file_buf fb;
	const char *modpath;
	u32 m;
	size_t n;

	begin();
	if (guest_mem_alloc(&mem, 16 * SZ_1M)) {
		bad("no memory");
		end("multiboot-load");
		return;
	}
	/* ELF32, bss to zero, entry given as a virtual address */
	n = make_elf32(buf, 0x100000, 0xc0100000, 0x300, 0x5000, 0xc0100010);
	fb.data = buf;
	fb.size = n;
	memset(mem.hva, 0x55, 0x200000);
	memset(&opts, 0, sizeof(opts));
	opts.path = "mem.elf";
	opts.cmdline = "hi";
	modpath = write_file("module.bin", "MODULE", 6);
	opts.modules[0].path = modpath;
	opts.modules[0].string = "mod0";
	opts.nr_modules = 1;
	CHECK(multiboot_find_header(buf, n, &h), "header not found");
	CHECK(!multiboot_load(&mem, &opts, &fb, &h, &cpu), "load failed");
	CHECK_EQ(cpu.regs.rax, MB_BOOT_MAGIC);
	CHECK_EQ(cpu.regs.rbx, MB_INFO_ADDR);
	CHECK_EQ(cpu.regs.rip, 0x100010);
	CHECK_EQ(cpu.sregs.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
	CHECK_EQ(cpu.sregs.cs.db, 1);
	CHECK_EQ(mem.hva[0x100000], 0x90);
	CHECK_EQ(mem.hva[0x1002ff], 0xf4);
	CHECK_EQ(mem.hva[0x100300], 0);
	CHECK_EQ(mem.hva[0x104fff], 0);
	CHECK_EQ(mem.hva[0x105006], 0x55);
	m = rd32(mem.hva + MB_INFO_ADDR + MBI_MODS_ADDR);
	/* the module: page-aligned above the kernel's end (0x105000) */
	CHECK_EQ(rd32(mem.hva + m), 0x105000);
	CHECK_EQ(rd32(mem.hva + m + 4), 0x105006);
	CHECK(!memcmp(mem.hva + 0x105000, "MODULE", 6), "module bytes");
	CHECK_EQ(rd32(mem.hva + MB_INFO_ADDR + MBI_MEM_UPPER), 15 * 1024);

	/* ELF64 with paddr */
	n = make_elf64(buf, 0x200000, 0xffffffff80200000ULL, 0x40, 0x40,
		       0xffffffff80200000ULL);
	fb.size = n;
	opts.nr_modules = 0;
	CHECK(multiboot_find_header(buf, n, &h), "ELF64 header not found");
	CHECK(!multiboot_load(&mem, &opts, &fb, &h, &cpu), "ELF64 load failed");
	CHECK_EQ(cpu.regs.rip, 0x200000);
	CHECK_EQ(mem.hva[0x200000], 0xcc);

	/* a.out kludge: the header's addresses win over the ELF headers */
	n = make_elf32(buf, 0x100000, 0x100000, 0x300, 0x300, 0x100000);
	put_mb_header(buf + 84, MB_FLAG_AOUT_KLUDGE | MB_FLAG_MEMINFO);
	put32(buf + 84 + 12, 0x300054);		/* header_addr */
	put32(buf + 84 + 16, 0x300000);		/* load_addr: file offset 0 */
	put32(buf + 84 + 20, 0x300100);		/* load_end_addr */
	put32(buf + 84 + 24, 0x302000);		/* bss_end_addr */
	put32(buf + 84 + 28, 0x300100);		/* entry_addr */
	fb.size = n;
	memset(mem.hva + 0x300000, 0x77, 0x3000);
	CHECK(multiboot_find_header(buf, n, &h), "kludge header not found");
	CHECK(!multiboot_load(&mem, &opts, &fb, &h, &cpu), "kludge load failed");
	CHECK_EQ(cpu.regs.rip, 0x300100);
	CHECK(!memcmp(mem.hva + 0x300000, buf, 0x100), "kludge image bytes");
	CHECK_EQ(mem.hva[0x300100], 0);
	CHECK_EQ(mem.hva[0x301fff], 0);
	CHECK_EQ(mem.hva[0x302000], 0x77);
	guest_mem_free(&mem);
	end("multiboot-load");
}

/* ---- devices ---- */

static void test_bus(void)
{
	struct bus bus;
	struct test_mmio dev;
	u8 data[8];

	begin();
	bus_init(&bus, "t");
	test_mmio_init(&dev);
	CHECK(!bus_register(&bus, 0x100, 0x10, test_mmio_access, &dev, "a"),
	      "register");
	CHECK(bus_register(&bus, 0x10f, 1, test_mmio_access, &dev, "b"),
	      "overlap at the end accepted");
	CHECK(bus_register(&bus, 0xf0, 0x11, test_mmio_access, &dev, "c"),
	      "overlap at the start accepted");
	CHECK(bus_register(&bus, 0x200, 0, test_mmio_access, &dev, "d"),
	      "empty range accepted");
	CHECK(bus_register(&bus, ~0ULL, 2, test_mmio_access, &dev, "e"),
	      "wrapping range accepted");
	CHECK(!bus_register(&bus, 0x110, 1, test_mmio_access, &dev, "f"),
	      "adjacent range refused");
	CHECK(!bus_dispatch(&bus, 0xff, data, 1, false), "0xff dispatched");
	CHECK(!bus_dispatch(&bus, 0x111, data, 1, false), "0x111 dispatched");
	CHECK(bus_find(&bus, 0x10f) && !strcmp(bus_find(&bus, 0x10f)->name, "a"),
	      "0x10f");
	CHECK(bus_find(&bus, 0x110) && !strcmp(bus_find(&bus, 0x110)->name, "f"),
	      "0x110");
	CHECK(!bus_find(&bus, 0x111), "0x111 found");
	/* kept sorted whatever the order of registration */
	CHECK(!bus_register(&bus, 0x40, 0x10, test_mmio_access, &dev, "g"),
	      "register below");
	CHECK(!bus_register(&bus, 0x300, 0x8, test_mmio_access, &dev, "h"),
	      "register above");
	CHECK(!bus_register(&bus, 0x120, 0x10, test_mmio_access, &dev, "i"),
	      "register between");
	CHECK(bus_find(&bus, 0x4f) && !strcmp(bus_find(&bus, 0x4f)->name, "g"),
	      "0x4f");
	CHECK(!bus_find(&bus, 0x50) && !bus_find(&bus, 0x3f) &&
	      !bus_find(&bus, 0x11f) && !bus_find(&bus, 0x308), "gaps");
	CHECK(bus_find(&bus, 0x12f) && !strcmp(bus_find(&bus, 0x12f)->name, "i"),
	      "0x12f");
	CHECK(bus_find(&bus, 0x300) && !strcmp(bus_find(&bus, 0x300)->name, "h"),
	      "0x300");
	CHECK(bus_unregister(&bus, 0x120, NULL), "unregister with another owner");
	CHECK(!bus_unregister(&bus, 0x120, &dev), "unregister");
	CHECK(!bus_find(&bus, 0x125), "0x125 after unregister");
	CHECK(bus_find(&bus, 0x300) && bus_find(&bus, 0x100) &&
	      bus_find(&bus, 0x40), "others after unregister");
	CHECK(bus_dispatch(&bus, 0x304, data, 1, false), "0x304 dispatch");
	bus_destroy(&bus);
	CHECK(!bus_find(&bus, 0x100), "found after destroy");
	end("bus");
}

static void test_uart(void)
{
	int in[2], out[2];
	struct uart uart;
	char got[64];
	u8 v, d[2];
	ssize_t n;

	begin();
	if (pipe(in) || pipe(out)) {
		bad("pipe");
		end("uart");
		return;
	}
	uart_init(&uart, UART_COM1_BASE, in[0], out[1]);
#define OUTB(port, val) do { v = (val); uart_access(&uart, port, &v, 1, true); } while (0)
#define INB(port) (uart_access(&uart, port, &v, 1, false), v)
	CHECK_EQ(INB(0x3fd), UART_LSR_THRE | UART_LSR_TEMT);
	CHECK_EQ(INB(0x3fa) & 0x0f, 0x01);
	OUTB(0x3f8, 'h');
	OUTB(0x3f8, 'i');
	OUTB(0x3f8, '\n');
	n = read(out[0], got, sizeof(got));
	CHECK(n == 3 && !memcmp(got, "hi\n", 3), "THR output '%.*s'",
	      (int)(n > 0 ? n : 0), got);
	/* buffered until the newline or a flush */
	OUTB(0x3f8, 'x');
	uart_flush(&uart);
	n = read(out[0], got, sizeof(got));
	CHECK(n == 1 && got[0] == 'x', "flush");
	/* input */
	CHECK(write(in[1], "ab", 2) == 2, "write");
	CHECK_EQ(INB(0x3fd), UART_LSR_THRE | UART_LSR_TEMT | UART_LSR_DR);
	CHECK_EQ(INB(0x3f8), 'a');
	CHECK_EQ(INB(0x3fd) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(INB(0x3f8), 'b');
	CHECK_EQ(INB(0x3fd) & UART_LSR_DR, 0);
	/* DLAB: divisor latch, nothing transmitted */
	OUTB(0x3fb, 0x83);
	OUTB(0x3f8, 0x01);
	OUTB(0x3f9, 0x00);
	CHECK_EQ(INB(0x3f8), 0x01);
	OUTB(0x3fb, 0x03);
	CHECK_EQ(INB(0x3fb), 0x03);
	/* scratch register, 16-bit access covering LCR and MCR */
	OUTB(0x3ff, 0x5a);
	CHECK_EQ(INB(0x3ff), 0x5a);
	d[0] = 0x03;
	d[1] = 0x0b;
	uart_access(&uart, 0x3fb, d, 2, true);
	CHECK_EQ(INB(0x3fc), 0x0b);
	/* loopback: THR comes back on RBR, MSR mirrors MCR */
	OUTB(0x3fc, UART_MCR_LOOP | 0x0f);
	OUTB(0x3f8, 'L');
	CHECK_EQ(INB(0x3fd) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(INB(0x3f8), 'L');
	CHECK_EQ(INB(0x3fe) & 0xf0, 0xf0);
	OUTB(0x3fc, 0);
	/* EOF on input: LSR says nothing waiting, for good */
	close(in[1]);
	CHECK_EQ(INB(0x3fd) & UART_LSR_DR, 0);
	CHECK(uart.in_fd == -1, "EOF not noticed");
	close(in[0]);
	close(out[0]);
	close(out[1]);
	end("uart");
#undef OUTB
#undef INB
}

static void test_debug_exit(void)
{
	struct debug_exit dev;
	struct vm vm;
	u8 d[4];

	begin();
	vm_init(&vm);
	CHECK(!debug_exit_register(&dev, &vm), "register");
	le_store(d, 4, 0);
	CHECK(bus_dispatch(&vm.io_bus, DEBUG_EXIT_PORT, d, 4, true),
	      "not on the bus");
	CHECK(vm.stopped && vm.stop_status == 1, "status %d", vm.stop_status);
	CHECK(!strcmp(vm.stop_reason, "debug-exit 0"), "reason '%s'",
	      vm.stop_reason);
	vm_init(&vm);
	debug_exit_register(&dev, &vm);
	le_store(d, 4, 0x42);
	debug_exit_access(&dev, DEBUG_EXIT_PORT, d, 4, true);
	CHECK(vm.stop_status == ((0x42 << 1) | 1), "status %d",
	      vm.stop_status);
	CHECK(!strcmp(vm.stop_reason, "debug-exit 66"), "reason '%s'",
	      vm.stop_reason);
	/* the first stop wins */
	le_store(d, 4, 1);
	debug_exit_access(&dev, DEBUG_EXIT_PORT, d, 4, true);
	CHECK(vm.stop_status == ((0x42 << 1) | 1), "second stop overrode");
	end("debug-exit");
}

static void test_test_io(void)
{
	struct test_io dev;
	struct bus bus;
	u8 d[4];
	int i;

	begin();
	test_io_init(&dev);
	bus_init(&bus, "io");
	CHECK(!test_io_register(&dev, &bus), "register");
	/* scratch: initially 0, widths truncate */
	bus_dispatch(&bus, 0xe0, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0);
	le_store(d, 4, 0x12345678);
	bus_dispatch(&bus, 0xe0, d, 4, true);
	bus_dispatch(&bus, 0xe0, d, 1, false);
	CHECK_EQ(d[0], 0x78);
	bus_dispatch(&bus, 0xe0, d, 2, false);
	CHECK_EQ(le_load(d, 2), 0x5678);
	bus_dispatch(&bus, 0xe0, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0x12345678);
	le_store(d, 2, 0xabcd);
	bus_dispatch(&bus, 0xe0, d, 2, true);
	bus_dispatch(&bus, 0xe0, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0xabcd);
	le_store(d, 1, 0xef);
	bus_dispatch(&bus, 0xe0, d, 1, true);
	bus_dispatch(&bus, 0xe0, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0xef);
	/* sequence IN: 0, 1, 2, ... mod 256 */
	for (i = 0; i < 300; i++) {
		bus_dispatch(&bus, 0xe4, d, 1, false);
		CHECK(d[0] == (i & 0xff), "IN %d gave %u", i, d[0]);
	}
	/* sequence OUT: right ones count nothing, a wrong one counts */
	for (i = 0; i < 3; i++) {
		d[0] = i;
		bus_dispatch(&bus, 0xe4, d, 1, true);
	}
	bus_dispatch(&bus, 0xe5, d, 1, false);
	CHECK_EQ(d[0], 0);
	d[0] = 9;		/* expected 3 */
	bus_dispatch(&bus, 0xe4, d, 1, true);
	d[0] = 4;		/* expected 4 */
	bus_dispatch(&bus, 0xe4, d, 1, true);
	bus_dispatch(&bus, 0xe5, d, 1, false);
	CHECK_EQ(d[0], 1);
	/* saturates at 255 */
	for (i = 0; i < 300; i++) {
		d[0] = 0xaa;
		bus_dispatch(&bus, 0xe4, d, 1, true);
	}
	bus_dispatch(&bus, 0xe5, d, 1, false);
	CHECK(d[0] == 255 || d[0] == 254, "mismatches %u", d[0]);
	CHECK_EQ(dev.mismatches, 255);
	/* OUT to 0xe5 resets both sequences and the count */
	bus_dispatch(&bus, 0xe5, d, 1, true);
	bus_dispatch(&bus, 0xe5, d, 1, false);
	CHECK_EQ(d[0], 0);
	bus_dispatch(&bus, 0xe4, d, 1, false);
	CHECK_EQ(d[0], 0);
	d[0] = 0;
	bus_dispatch(&bus, 0xe4, d, 1, true);
	bus_dispatch(&bus, 0xe5, d, 1, false);
	CHECK_EQ(d[0], 0);
	/* a 16-bit IN at 0xe4 reads 0xe4 then 0xe5 */
	bus_dispatch(&bus, 0xe4, d, 2, false);
	CHECK(d[0] == 1 && d[1] == 0, "16-bit IN %u %u", d[0], d[1]);
	end("test-io-ports");
}

static void test_test_mmio(void)
{
	struct test_mmio dev;
	struct bus bus;
	u8 d[8];
	int i;

	begin();
	test_mmio_init(&dev);
	bus_init(&bus, "mmio");
	CHECK(!test_mmio_register(&dev, &bus), "register");
	for (i = 0; i < TEST_MMIO_SIZE; i++) {
		bus_dispatch(&bus, TEST_MMIO_BASE + i, d, 1, false);
		if (d[0] != ((i * 7 + 1) & 0xff)) {
			bad("byte %d is 0x%x", i, d[0]);
			break;
		}
	}
	bus_dispatch(&bus, TEST_MMIO_BASE, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0x160f0801);
	le_store(d, 8, 0x1122334455667788ULL);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0x100, d, 8, true);
	memset(d, 0, 8);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0x100, d, 8, false);
	CHECK_EQ(le_load(d, 8), 0x1122334455667788ULL);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0x102, d, 2, false);
	CHECK_EQ(le_load(d, 2), 0x5566);
	le_store(d, 2, 0xbeef);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0x104, d, 2, true);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0x100, d, 8, false);
	CHECK_EQ(le_load(d, 8), 0x1122beef55667788ULL);
	le_store(d, 1, 0x99);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0xfff, d, 1, true);
	bus_dispatch(&bus, TEST_MMIO_BASE + 0xfff, d, 1, false);
	CHECK_EQ(d[0], 0x99);
	CHECK(!bus_dispatch(&bus, TEST_MMIO_BASE + 0x1000, d, 1, false),
	      "0xd0001000 claimed");
	CHECK(!bus_dispatch(&bus, TEST_MMIO_BASE - 1, d, 1, false),
	      "0xcfffffff claimed");
	end("test-mmio");
}

static void test_hypercall(void)
{
	u64 args[4] = { 1, 2, 3, 4 };
	u64 big[4] = { ~0ULL, 1, 0, 0 };

	begin();
	CHECK_EQ(hypercall_user(LV_HC_USER, args), 11);
	CHECK_EQ(hypercall_user(LV_HC_USER, big), 1);
	CHECK_EQ(hypercall_user(7, args), LV_HC_ENOSYS);
	end("hypercall-user");
}

static void test_stats_format(void)
{
	struct vcpu_stats s;
	char buf[4096];

	begin();
	memset(&s, 0, sizeof(s));
	s.by_reason[10] = 12;
	s.by_reason[30] = 40;
	s.by_reason[48] = 3;
	s.by_reason[79] = 1;
	CHECK(!stats_format_reasons(&s, false, buf, sizeof(buf)), "format");
	CHECK(!strcmp(buf, "io=40 cpuid=12 ept_violation=3 reason79=1"),
	      "got '%s'", buf);
	CHECK(!stats_format_reasons(&s, true, buf, sizeof(buf)), "format all");
	CHECK(strstr(buf, "exception_nmi=0 ") && strstr(buf, " cpuid=12 ") &&
	      strstr(buf, " io=40 ") && strstr(buf, "reason79=1"),
	      "all: '%.200s'", buf);
	CHECK(!strcmp(vmx_exit_reason_name(48), "ept_violation"), "name 48");
	CHECK(vmx_exit_reason_name(80) == NULL, "name 80");
	end("stats-format");
}

/* ---- the vCPU loop against a scripted accelerator ---- */

struct fake_vm {
	struct vm vm;
	struct uart uart;
	struct debug_exit dbg;
	struct test_io tio;
	struct test_mmio tmmio;
	int out[2];
};

static void fake_vm_setup(struct fake_vm *f, struct script_step *steps,
			  int n)
{
	vm_init(&f->vm);
	f->vm.ops = &script_ops;
	f->vm.nr_vcpus = 1;
	f->vm.vcpus[0].vm = &f->vm;
	if (pipe(f->out)) {
		perror("pipe");
		exit(1);
	}
	uart_init(&f->uart, UART_COM1_BASE, -1, f->out[1]);
	uart_register(&f->uart, &f->vm.io_bus);
	debug_exit_register(&f->dbg, &f->vm);
	test_io_init(&f->tio);
	test_io_register(&f->tio, &f->vm.io_bus);
	test_mmio_init(&f->tmmio);
	test_mmio_register(&f->tmmio, &f->vm.mmio_bus);
	script_reset();
	memcpy(fakes[0].steps, steps, n * sizeof(*steps));
	fakes[0].n = n;
}

static void fake_vm_done(struct fake_vm *f)
{
	close(f->out[0]);
	close(f->out[1]);
}

static void test_vcpu_loop(void)
{
	struct script_step steps[SCRIPT_MAX];
	struct fake_vm f;
	char got[32];
	u32 zero = 0;
	ssize_t n;

	/* rep outsb to the UART, an MMIO read, a hypercall, then HLT */
	begin();
	steps[0] = io_step(true, 0x3f8, 1, 3, "ok\n");
	steps[1] = exit_of(VM_EXIT_MMIO);
	steps[1].exit.mmio.gpa = TEST_MMIO_BASE + 2;
	steps[1].exit.mmio.len = 2;
	steps[2] = exit_of(VM_EXIT_HYPERCALL);
	steps[2].exit.hypercall.nr = LV_HC_USER;
	steps[2].exit.hypercall.args[0] = 40;
	steps[2].exit.hypercall.args[3] = 1;
	steps[3] = exit_of(VM_EXIT_HLT);
	fake_vm_setup(&f, steps, 4);
	vcpu_run_loop(&f.vm.vcpus[0]);
	n = read(f.out[0], got, sizeof(got));
	CHECK(n == 3 && !memcmp(got, "ok\n", 3), "UART got %zd bytes", n);
	CHECK_EQ(le_load(fakes[0].mmio, 2), 0x160f);
	CHECK_EQ(fakes[0].hc_ret, 42);
	CHECK(f.vm.stopped && f.vm.stop_status == 0 &&
	      !strcmp(f.vm.stop_reason, "hlt"), "stop %d '%s'",
	      f.vm.stop_status, f.vm.stop_reason);
	CHECK_EQ(f.vm.vcpus[0].user_exits, 4);
	CHECK_EQ(f.vm.vcpus[0].exit_kinds[VM_EXIT_IO], 1);
	fake_vm_done(&f);
	end("vcpu-loop-exits");

	/* rep insb from the sequence port fills every item */
	begin();
	steps[0] = io_step(false, 0xe4, 1, 4, NULL);
	steps[1] = exit_of(VM_EXIT_HLT);
	fake_vm_setup(&f, steps, 2);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(!memcmp(fakes[0].io, "\0\1\2\3", 4), "rep in data %u %u %u %u",
	      fakes[0].io[0], fakes[0].io[1], fakes[0].io[2], fakes[0].io[3]);
	CHECK_EQ(f.tio.in_seq, 4);
	CHECK(f.vm.stop_status == 0, "status %d", f.vm.stop_status);
	fake_vm_done(&f);

	/* a 32-bit OUT of 0 to the debug-exit port: status 1 */
	steps[0] = io_step(true, 0xf4, 4, 1, &zero);
	steps[1] = exit_of(VM_EXIT_HLT);
	fake_vm_setup(&f, steps, 2);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 1 && fakes[0].pos == 1,
	      "status %d after %d exits", f.vm.stop_status, fakes[0].pos);
	fake_vm_done(&f);
	end("vcpu-loop-rep-in");

	/* stops: each with its status */
	begin();
	steps[0] = exit_of(VM_EXIT_SHUTDOWN);
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 4 &&
	      !strcmp(f.vm.stop_reason, "shutdown (triple fault)"),
	      "shutdown: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	steps[0] = exit_of(VM_EXIT_FAIL_ENTRY);
	steps[0].exit.fail_entry.hw_reason = 0x80000021;
	steps[0].exit.fail_entry.check = LV_ENTRY_CHECK_GUEST_STATE;
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 6 &&
	      strstr(f.vm.stop_reason, "failed VM entry: hw reason 0x80000021") &&
	      strstr(f.vm.stop_reason, "guest state"),
	      "fail entry: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	steps[0] = exit_of(VM_EXIT_INTERNAL);
	steps[0].exit.internal.suberror = LV_INTERNAL_UNHANDLED_EXIT;
	steps[0].exit.internal.name = "unhandled exit";
	steps[0].exit.internal.ndata = 2;
	steps[0].exit.internal.data[0] = 0x37;
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 6 &&
	      strstr(f.vm.stop_reason, "internal error: suberror 1 (unhandled exit)") &&
	      strstr(f.vm.stop_reason, "0x37"),
	      "internal: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	steps[0] = io_step(false, 0x60, 1, 1, NULL);
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 6 &&
	      strstr(f.vm.stop_reason, "unhandled exit: io in port 0x60"),
	      "unknown port: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	steps[0] = exit_of(VM_EXIT_MMIO);
	steps[0].exit.mmio.gpa = 0xe0000000;
	steps[0].exit.mmio.len = 4;
	steps[0].exit.mmio.is_write = true;
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 6 &&
	      strstr(f.vm.stop_reason, "unhandled exit: mmio write gpa 0xe0000000"),
	      "unknown mmio: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	steps[0] = exit_of(VM_EXIT_UNKNOWN);
	steps[0].exit.unknown.reason = 99;
	fake_vm_setup(&f, steps, 1);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 6 && strstr(f.vm.stop_reason, "unhandled exit"),
	      "unknown exit: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);

	/* a failing run ioctl is status 2; a stray EINTR is retried */
	steps[0].err = EINTR;
	steps[1] = exit_of(VM_EXIT_HLT);
	steps[1].err = EFAULT;
	fake_vm_setup(&f, steps, 2);
	vcpu_run_loop(&f.vm.vcpus[0]);
	CHECK(f.vm.stop_status == 2 && strstr(f.vm.stop_reason, "Bad address"),
	      "ioctl failure: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	fake_vm_done(&f);
	end("vcpu-loop-stops");

	/*
	 * SIGINT to the process reaches the vCPU thread (the only one that
	 * does not block it), which stops with status 8.
	 */
	begin();
	fake_vm_setup(&f, steps, 0);
	vcpu_signals_setup();
	if (vcpu_start(&f.vm.vcpus[0])) {
		bad("no thread");
	} else {
		poll(NULL, 0, 100);
		kill(getpid(), SIGINT);
		vcpu_join(&f.vm.vcpus[0]);
		CHECK(f.vm.stop_status == 8 &&
		      !strcmp(f.vm.stop_reason, "interrupted by signal"),
		      "signal: %d '%s'", f.vm.stop_status, f.vm.stop_reason);
	}
	fake_vm_done(&f);
	end("vcpu-loop-signal");
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-lvctl");

	test_cli();
	test_parse_size();
	test_page_tables();
	test_gdt();
	test_entry_state();
	test_multiboot_header_search();
	test_multiboot_info();
	test_multiboot_load();
	test_bus();
	test_uart();
	test_debug_exit();
	test_test_io();
	test_test_mmio();
	test_hypercall();
	test_stats_format();
	test_vcpu_loop();

	return harness_finish();
}
