// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of booting Linux, no VMX needed: a synthetic bzImage
 * (valid and broken) loaded with its zero page, e820 map, command line
 * and initrd checked; the ACPI tables (checksums, FADT, MADT for 1 to 8
 * vCPUs, the DSDT's AML); --cpus parsing; and several vCPU threads
 * against a scripted accelerator (HLT of all vCPUs, vm_stop kicks).
 *
 *   test-boot PATH-TO-LVCTL
 *
 * Prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test; exits 1
 * if any failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asm/bootparam.h>
#include <asm/e820.h>

#include "accel.h"
#include "acpi.h"
#include "builtin.h"
#include "devices.h"
#include "loader.h"
#include "x86.h"

#include "harness.h"

/* ---- a synthetic bzImage ---- */

#define BZ_SETUP_SECTS	4
#define BZ_PAYLOAD	((BZ_SETUP_SECTS + 1) * 512)
#define BZ_KERNEL_SIZE	0x3000
#define BZ_INIT_SIZE	0x800000	/* 8 MiB */
#define BZ_SIZE		(BZ_PAYLOAD + BZ_KERNEL_SIZE)

static u8 bz[BZ_SIZE];

static struct setup_header *bz_hdr(void)
{
	return (struct setup_header *)(bz + 0x1f1);
}

/* a relocatable protocol-2.15 64-bit bzImage, pref_address 16 MiB */
static void make_bzimage(void)
{
	struct setup_header *h = bz_hdr();
	size_t i;

	memset(bz, 0, sizeof(bz));
	h->setup_sects = BZ_SETUP_SECTS;
	h->vid_mode = 0xffff;
	h->boot_flag = 0xaa55;
	bz[0x200] = 0xeb;			/* jmp over the header */
	bz[0x201] = 0x26c - 0x202;
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->code32_start = 0x100000;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h->cmdline_size = 2047;
	h->pref_address = 0x1000000;
	h->init_size = BZ_INIT_SIZE;
	for (i = 0; i < BZ_KERNEL_SIZE; i++)
		bz[BZ_PAYLOAD + i] = (i * 13 + 5) & 0xff;
}

static struct load_opts kernel_opts(const char *path)
{
	struct load_opts o;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.linux_kernel = true;
	o.nr_cpus = 1;
	return o;
}

static void check_e820(const struct boot_params *bp, u64 ram)
{
	const struct boot_e820_entry *e = bp->e820_table;

	CHECK_EQ(bp->e820_entries, 3);
	CHECK(e[0].addr == 0 && e[0].size == 0x9fc00 && e[0].type == E820_RAM,
	      "e820[0] 0x%llx+0x%llx type %u", (unsigned long long)e[0].addr,
	      (unsigned long long)e[0].size, e[0].type);
	CHECK(e[1].addr == 0x9fc00 && e[1].size == 0x100000 - 0x9fc00 &&
	      e[1].type == E820_RESERVED, "e820[1] 0x%llx+0x%llx type %u",
	      (unsigned long long)e[1].addr, (unsigned long long)e[1].size,
	      e[1].type);
	CHECK(e[2].addr == 0x100000 && e[2].size == ram - 0x100000 &&
	      e[2].type == E820_RAM, "e820[2] 0x%llx+0x%llx type %u",
	      (unsigned long long)e[2].addr, (unsigned long long)e[2].size,
	      e[2].type);
	/* the ACPI tables lie in the reserved range */
	CHECK(ACPI_TABLES_BASE >= e[1].addr &&
	      ACPI_TABLES_END <= e[1].addr + e[1].size,
	      "ACPI tables outside the reserved e820 range");
}

static void check_linux_cpu(const struct guest_mem *mem,
			    const struct boot_cpu *cpu, u64 entry)
{
	const struct cpu_sregs *s = &cpu->sregs;
	u64 code, data, pd_last;

	CHECK_EQ(cpu->regs.rip, entry);
	CHECK_EQ(cpu->regs.rsi, LINUX_ZERO_PAGE);
	CHECK_EQ(cpu->regs.rflags, 2);		/* IF = 0 */
	CHECK_EQ(s->cs.selector, 0x10);
	CHECK_EQ(s->cs.l, 1);
	CHECK_EQ(s->cs.db, 0);
	CHECK_EQ(s->cs.type, 0xb);
	CHECK_EQ(s->ds.selector, 0x18);
	CHECK_EQ(s->es.selector, 0x18);
	CHECK_EQ(s->ss.selector, 0x18);
	CHECK_EQ(s->ds.type, 0x3);
	CHECK_EQ(s->cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE | X86_CR0_PG);
	CHECK_EQ(s->cr4 & X86_CR4_PAE, X86_CR4_PAE);
	CHECK_EQ(s->efer, X86_EFER_LME | X86_EFER_LMA);
	CHECK_EQ(s->cr3, BOOT_PML4);
	CHECK_EQ(s->gdt.base, BOOT_GDT);
	CHECK_EQ(s->gdt.limit, 0x2f);
	CHECK_EQ(s->apic_base, 0xfee00900);
	CHECK_EQ(s->tr.selector, 0x20);
	/* the GDT in memory: flat 64-bit code at 0x10, data at 0x18 */
	code = rd64(mem->hva + BOOT_GDT + 0x10);
	data = rd64(mem->hva + BOOT_GDT + 0x18);
	CHECK_EQ(code, 0x00af9b000000ffffULL);
	CHECK_EQ(data, 0x00cf93000000ffffULL);
	CHECK_EQ(rd64(mem->hva + BOOT_GDT), 0);
	CHECK_EQ(rd64(mem->hva + BOOT_GDT + 8), 0);
	/* the identity map reaches the end of RAM (4 GiB of 2 MiB pages) */
	CHECK_EQ(rd64(mem->hva + BOOT_PML4) & ~0xfffULL, BOOT_PDPT);
	pd_last = rd64(mem->hva + BOOT_PD + 8 * ((mem->size - 1) >> 21));
	CHECK_EQ(pd_last, (((mem->size - 1) >> 21) << 21) | 0x83);
}

static void test_bzimage_load(void)
{
	struct linux_layout l;
	struct guest_mem mem;
	struct boot_params *bp;
	struct load_opts o;
	struct file_buf fb;
	struct boot_cpu cpu;
	static u8 initrd[100000];
	const char *initrd_path, *bz_path;
	size_t i;
	u64 want;

	make_bzimage();
	bz_path = write_file("bz.img", bz, sizeof(bz));
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = i * 7;
	initrd_path = write_file("initrd.img", initrd, sizeof(initrd));
	fb.data = bz;
	fb.size = sizeof(bz);

	/* default command line, no initrd, at pref_address */
	begin();
	if (guest_mem_alloc(&mem, 64 * SZ_1M)) {
		bad("no memory");
		end("bzimage-load");
		return;
	}
	memset(mem.hva, 0x5a, mem.size);
	o = kernel_opts(bz_path);
	CHECK(bzimage_detect(&fb), "not detected");
	CHECK(!bzimage_load(&mem, &o, &fb, &cpu, &l), "load failed");
	CHECK_EQ(l.kernel, 0x1000000);
	CHECK_EQ(l.kernel_end, 0x1000000 + BZ_INIT_SIZE);
	CHECK(!memcmp(mem.hva + 0x1000000, bz + BZ_PAYLOAD, BZ_KERNEL_SIZE),
	      "kernel not copied to its load address");
	bp = (struct boot_params *)(mem.hva + LINUX_ZERO_PAGE);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	CHECK_EQ(bp->hdr.heap_end_ptr, 0xfe00);
	CHECK_EQ(bp->hdr.setup_sects, BZ_SETUP_SECTS);
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.init_size, BZ_INIT_SIZE);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.code32_start, 0x1000000);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LINUX_CMDLINE);
	CHECK_EQ(bp->ext_cmd_line_ptr, 0);
	CHECK(!strcmp((char *)mem.hva + LINUX_CMDLINE, "console=ttyS0"),
	      "command line '%.40s'", (char *)mem.hva + LINUX_CMDLINE);
	CHECK_EQ(bp->hdr.ramdisk_image, 0);
	CHECK_EQ(bp->hdr.ramdisk_size, 0);
	CHECK_EQ(bp->acpi_rsdp_addr, ACPI_TABLES_BASE);
	CHECK(!memcmp(mem.hva + ACPI_TABLES_BASE, "RSD PTR ", 8), "no RSDP");
	CHECK_EQ(bp->sentinel, 0);
	CHECK_EQ(bp->screen_info.orig_video_isVGA, 0);
	CHECK(mem.hva[LINUX_ZERO_PAGE + 0xfff] == 0, "zero page not cleared");
	check_e820(bp, 64 * SZ_1M);
	check_linux_cpu(&mem, &cpu, 0x1000200);
	end("bzimage-load");

	/* --append and --initrd: the initrd at the top of RAM */
	begin();
	memset(mem.hva, 0x5a, mem.size);
	o.append = "console=ttyS0 lvtest=boot quiet";
	o.initrd = initrd_path;
	CHECK(!bzimage_load(&mem, &o, &fb, &cpu, &l), "load failed");
	bp = (struct boot_params *)(mem.hva + LINUX_ZERO_PAGE);
	want = (64 * SZ_1M - sizeof(initrd)) & ~0xfffULL;
	CHECK_EQ(bp->hdr.ramdisk_image, want);
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(initrd));
	CHECK_EQ(bp->ext_ramdisk_image, 0);
	CHECK(!memcmp(mem.hva + want, initrd, sizeof(initrd)),
	      "initrd bytes differ");
	CHECK(!strcmp((char *)mem.hva + LINUX_CMDLINE, o.append),
	      "command line '%.40s'", (char *)mem.hva + LINUX_CMDLINE);
	end("bzimage-initrd-cmdline");

	/* initrd_addr_max below the end of RAM (and no above-4G flag) */
	begin();
	bz_hdr()->initrd_addr_max = 0x1ffffff;
	bz_hdr()->xloadflags = XLF_KERNEL_64;
	CHECK(!bzimage_load(&mem, &o, &fb, &cpu, &l), "load failed");
	bp = (struct boot_params *)(mem.hva + LINUX_ZERO_PAGE);
	want = (0x2000000 - sizeof(initrd)) & ~0xfffULL;
	CHECK_EQ(bp->hdr.ramdisk_image, want);
	CHECK(bp->hdr.ramdisk_image + bp->hdr.ramdisk_size <= 0x2000000,
	      "initrd above initrd_addr_max");
	CHECK(!memcmp(mem.hva + want, initrd, sizeof(initrd)),
	      "initrd bytes differ");
	/* ... and below the kernel's end: it does not fit */
	bz_hdr()->initrd_addr_max = 0x17fffff;
	CHECK(bzimage_load(&mem, &o, &fb, &cpu, &l),
	      "initrd overlapping the kernel accepted");
	make_bzimage();
	end("bzimage-initrd-addr-max");

	/* RAM too small for pref_address + init_size: the lowest aligned slot */
	begin();
	guest_mem_free(&mem);
	if (guest_mem_alloc(&mem, 16 * SZ_1M)) {
		bad("no memory");
		end("bzimage-relocate-low");
		return;
	}
	o = kernel_opts(bz_path);
	o.nr_cpus = 4;
	CHECK(!bzimage_load(&mem, &o, &fb, &cpu, &l), "load failed");
	CHECK_EQ(l.kernel, 0x200000);
	CHECK(!memcmp(mem.hva + 0x200000, bz + BZ_PAYLOAD, BZ_KERNEL_SIZE),
	      "kernel not copied");
	check_linux_cpu(&mem, &cpu, 0x200200);
	check_e820((struct boot_params *)(mem.hva + LINUX_ZERO_PAGE),
		   16 * SZ_1M);
	/* not relocatable: pref_address or nothing */
	bz_hdr()->relocatable_kernel = 0;
	CHECK(bzimage_load(&mem, &o, &fb, &cpu, &l),
	      "non-relocatable kernel moved");
	make_bzimage();
	/* protocol 2.12/2.13: no acpi_rsdp_addr in the zero page */
	bz_hdr()->version = 0x020c;
	CHECK(!bzimage_load(&mem, &o, &fb, &cpu, &l), "2.12 load failed");
	CHECK_EQ(((struct boot_params *)(mem.hva + LINUX_ZERO_PAGE))->acpi_rsdp_addr, 0);
	make_bzimage();
	guest_mem_free(&mem);
	end("bzimage-relocate-low");
}

/* write a broken variant of the bzImage; make_bzimage() restores it */
static const char *broken(const char *name)
{
	const char *p = write_file(name, bz, sizeof(bz));

	make_bzimage();
	return p;
}

/* test @name: lvctl refuses the broken bzImage (as @file) saying @want */
static void expect_broken(const char *file, const char *name,
			  const char *want)
{
	expect_usage_error(name, want, ARGS("run", "--kernel", broken(file)));
}

static void test_bzimage_errors(void)
{
	static u8 big_initrd[40 * 1024 * 1024];
	const char *good, *p, *initrd;
	char long_cmdline[64];

	make_bzimage();
	good = write_file("bz-good.img", bz, sizeof(bz));
	initrd = write_file("big-initrd.img", big_initrd, sizeof(big_initrd));

	memcpy(&bz_hdr()->header, "HdrX", 4);
	expect_broken("bz-no-hdrs.img", "bzimage-no-hdrs", "HdrS");
	expect_usage_error("bzimage-too-short", "HdrS",
			   ARGS("run", "--kernel",
				write_file("bz-short.img", bz, 0x200)));
	bz_hdr()->version = 0x020b;
	expect_broken("bz-old.img", "bzimage-old-protocol",
		      "2.11 is older than 2.12");
	bz_hdr()->xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
	expect_broken("bz-no-64.img", "bzimage-no-64bit-entry",
		      "XLF_KERNEL_64");
	bz_hdr()->loadflags = 0;
	expect_broken("bz-zimage.img", "bzimage-zimage", "LOADED_HIGH");
	bz_hdr()->boot_flag = 0x1234;
	expect_broken("bz-boot-flag.img", "bzimage-boot-flag", "boot_flag");
	bz[0x201] = 0x10;
	expect_broken("bz-short-header.img", "bzimage-short-header",
		      "too short");
	bz[0x201] = 0xff;
	expect_broken("bz-long-header.img", "bzimage-long-header",
		      "past the zero page");
	bz_hdr()->setup_sects = 40;
	expect_broken("bz-setup-sects.img", "bzimage-setup-sects-past-end",
		      "past the end");
	bz_hdr()->init_size = 0;
	expect_broken("bz-init-size.img", "bzimage-init-size-zero",
		      "init_size");
	bz_hdr()->kernel_alignment = 0x3000;
	expect_broken("bz-align.img", "bzimage-bad-alignment",
		      "kernel_alignment");
	bz_hdr()->init_size = 0x20000000;
	expect_broken("bz-huge.img", "bzimage-ram-too-small",
		      "--mem 256M is too small");
	expect_usage_error("bzimage-ram-too-small-mem", "--mem 8M is too small",
			   ARGS("run", "--mem", "8M", "--kernel", good));
	bz_hdr()->relocatable_kernel = 0;
	bz_hdr()->pref_address = 0x80000;
	expect_broken("bz-low.img", "bzimage-fixed-below-1m", "below 1 MiB");
	bz_hdr()->cmdline_size = 10;
	p = broken("bz-cmdline-size.img");
	expect_usage_error("bzimage-cmdline-too-long", "at most 10",
			   ARGS("run", "--kernel", p, "--append",
				"console=ttyS0"));
	memset(long_cmdline, 'x', sizeof(long_cmdline) - 1);
	long_cmdline[sizeof(long_cmdline) - 1] = '\0';
	expect_usage_error("bzimage-initrd-too-big", "does not fit",
			   ARGS("run", "--mem", "32M", "--kernel", good,
				"--initrd", initrd));
	expect_usage_error("bzimage-initrd-missing", "No such file",
			   ARGS("run", "--kernel", good, "--initrd",
				TMPDIR "/no-initrd"));
	expect_usage_error("bzimage-as-file", "--kernel",
			   ARGS("run", good));
	expect_usage_error("kernel-and-file", "replaces FILE",
			   ARGS("run", "--kernel", good, good));
	expect_usage_error("kernel-empty", "--kernel",
			   ARGS("run", "--kernel", ""));
	expect_usage_error("kernel-with-mode", "--mode",
			   ARGS("run", "--mode", "long64", "--kernel", good));
	expect_usage_error("kernel-with-cmdline", "--cmdline",
			   ARGS("run", "--cmdline", "x", "--kernel", good));
	expect_usage_error("initrd-without-kernel", "--kernel",
			   ARGS("run", "--initrd", good, good));
	expect_usage_error("append-without-kernel", "--kernel",
			   ARGS("run", "--append", long_cmdline, good));
	expect_usage_error("cpus-zero", "--cpus",
			   ARGS("run", "--cpus", "0", "--kernel", good));
	expect_usage_error("cpus-nine", "1 to 8",
			   ARGS("run", "--cpus", "9", "--kernel", good));
	expect_usage_error("cpus-garbage", "--cpus",
			   ARGS("run", "--cpus", "2x", "--kernel", good));
	/* a good image gets as far as opening the device */
	if (access("/dev/labvisor", F_OK))
		expect_usage_error("bzimage-good-reaches-device", "/dev/labvisor",
				   ARGS("run", "--cpus", "8", "--kernel", good,
					"--append", "console=ttyS0 quiet"));
}

static void test_parse_cpus(void)
{
	static const char *const badv[] = {
		"0", "9", "-1", "", "x", "1x", " 2", "+2", "08x", "4294967297",
		"99999999999999999999",
	};
	unsigned int i;
	int n;

	begin();
	for (i = 1; i <= 8; i++) {
		char s[4];

		snprintf(s, sizeof(s), "%u", i);
		n = 0;
		CHECK(!parse_cpus(s, &n) && n == (int)i, "'%s' -> %d", s, n);
	}
	for (i = 0; i < ARRAY_SIZE(badv); i++) {
		n = -5;
		CHECK(parse_cpus(badv[i], &n) && n == -5, "'%s' accepted",
		      badv[i]);
	}
	CHECK_EQ(LVCTL_MAX_VCPUS, 8);
	end("parse-cpus");
}

/* ---- ACPI ---- */

static const struct acpi_header *find_table(const struct guest_mem *mem,
					    const struct acpi_header *xsdt,
					    const char *sig)
{
	u32 n = (xsdt->length - sizeof(*xsdt)) / 8, i;

	for (i = 0; i < n; i++) {
		u64 gpa = rd64((const u8 *)(xsdt + 1) + 8 * i);
		const struct acpi_header *h = guest_mem_hva(mem, gpa, sizeof(*h));

		if (h && !memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

static void check_table(const struct guest_mem *mem,
			const struct acpi_header *h, const char *sig)
{
	CHECK(h, "no %s", sig);
	if (!h)
		return;
	CHECK(!memcmp(h->signature, sig, 4), "signature %.4s", h->signature);
	CHECK(guest_mem_hva(mem, (const u8 *)h - mem->hva, h->length),
	      "%s runs past RAM", sig);
	CHECK(acpi_checksum(h, h->length) == 0, "%s checksum", sig);
	CHECK((u64)((const u8 *)h - mem->hva) >= ACPI_TABLES_BASE &&
	      (u64)((const u8 *)h - mem->hva) + h->length <= ACPI_TABLES_END,
	      "%s outside the ACPI area", sig);
}

/* AML PkgLength at @p: its value (counting itself) and size in *@n */
static u32 pkg_length(const u8 *p, int *n)
{
	int i;
	u32 v;

	*n = (p[0] >> 6) + 1;
	if (*n == 1)
		return p[0] & 0x3f;
	v = p[0] & 0xf;
	for (i = 1; i < *n; i++)
		v |= (u32)p[i] << (4 + 8 * (i - 1));
	return v;
}

static const u8 *memfind(const u8 *hay, size_t len, const void *needle,
			 size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

static void check_dsdt(const struct acpi_header *dsdt)
{
	static const u8 s5[] = {
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
		0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	};
	static const u8 hid[] = {
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,
	};
	static const u8 crs_windows[] = {
		/* WordIO 0x0d00-0xffff */
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d,
		0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
		/* DWordMemory 0xe0000000-0xfebfffff */
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
		0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0,
		0x00, 0x00, 0xc0, 0x1e,
	};
	static const u8 conf1[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	const u8 *aml = (const u8 *)(dsdt + 1), *p;
	size_t len = dsdt->length - sizeof(*dsdt);
	u32 scope_len, dev_len;
	int n, m;

	CHECK_EQ(dsdt->revision, 2);		/* 64-bit integers */
	/* Scope (\_SB) { Device (PCI0) {...} } then Name (\_S5, ...) */
	CHECK(aml[0] == 0x10, "first term is not a Scope");
	scope_len = pkg_length(aml + 1, &n);
	CHECK(!memcmp(aml + 1 + n, "\\_SB_", 5), "Scope is not \\_SB");
	p = aml + 1 + n + 5;
	CHECK(p[0] == 0x5b && p[1] == 0x82, "no Device in \\_SB");
	dev_len = pkg_length(p + 2, &m);
	CHECK(!memcmp(p + 2 + m, "PCI0", 4), "the device is not PCI0");
	CHECK(p + 2 + dev_len == aml + 1 + scope_len,
	      "Device and Scope lengths disagree");
	CHECK(1 + scope_len + sizeof(s5) == len,
	      "AML is %zu bytes, Scope %u + _S5 %zu", len, scope_len,
	      sizeof(s5));
	CHECK(!memcmp(aml + 1 + scope_len, s5, sizeof(s5)),
	      "\\_S5 is not Package {5, 5, 0, 0}");
	CHECK(memfind(p + 2, dev_len, hid, sizeof(hid)), "no _HID PNP0A03");
	CHECK(memfind(p + 2, dev_len, "_UID\x00", 5), "no _UID 0");
	CHECK(memfind(p + 2, dev_len, "_BBN\x00", 5), "no _BBN 0");
	CHECK(memfind(p + 2, dev_len, "_CRS\x11", 5), "no _CRS buffer");
	CHECK(memfind(p + 2, dev_len, conf1, sizeof(conf1)), "no IO 0xcf8/8");
	CHECK(memfind(p + 2, dev_len, crs_windows, sizeof(crs_windows)),
	      "no I/O 0x0d00-0xffff and memory 0xe0000000-0xfebfffff windows");
	CHECK(memfind(p + 2, dev_len, "\x79\x00", 2), "no end tag");
}

static void check_madt(const struct acpi_header *h, int nr_cpus)
{
	const struct acpi_madt *m = (const struct acpi_madt *)h;
	const u8 *p = (const u8 *)(m + 1), *end = (const u8 *)h + h->length;
	int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	CHECK_EQ(m->lapic_address, 0xfee00000);
	CHECK_EQ(m->flags, ACPI_MADT_PCAT_COMPAT);
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		switch (p[0]) {
		case ACPI_MADT_LAPIC: {
			const struct acpi_madt_lapic *l = (const void *)p;

			CHECK_EQ(p[1], 8);
			CHECK(l->apic_id == lapics && l->processor_uid == lapics &&
			      l->flags == 1, "LAPIC %d: id %u uid %u flags %u",
			      lapics, l->apic_id, l->processor_uid, l->flags);
			lapics++;
			break;
		}
		case ACPI_MADT_IOAPIC: {
			const struct acpi_madt_ioapic *io = (const void *)p;

			CHECK_EQ(p[1], 12);
			CHECK_EQ(io->ioapic_id, nr_cpus);
			CHECK_EQ(io->address, 0xfec00000);
			CHECK_EQ(io->gsi_base, 0);
			ioapics++;
			break;
		}
		case ACPI_MADT_ISO: {
			const struct acpi_madt_iso *iso = (const void *)p;

			CHECK_EQ(p[1], 10);
			CHECK_EQ(iso->bus, 0);
			if (isos == 0)
				CHECK(iso->source == 0 && iso->gsi == 2 &&
				      iso->flags == 0x5, "ISO 0: %u -> %u flags 0x%x",
				      iso->source, iso->gsi, iso->flags);
			else
				CHECK(iso->source == 9 && iso->gsi == 9 &&
				      iso->flags == 0xd, "ISO 1: %u -> %u flags 0x%x",
				      iso->source, iso->gsi, iso->flags);
			isos++;
			break;
		}
		case ACPI_MADT_LAPIC_NMI: {
			const struct acpi_madt_lapic_nmi *nmi = (const void *)p;

			CHECK_EQ(p[1], 6);
			CHECK_EQ(nmi->processor_uid, 0xff);
			CHECK_EQ(nmi->lint, 1);
			nmis++;
			break;
		}
		default:
			bad("MADT entry type %u", p[0]);
			break;
		}
		p += p[1];
	}
	CHECK(p == end, "MADT entries do not end at the table's end");
	CHECK_EQ(lapics, nr_cpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(isos, 2);
	CHECK_EQ(nmis, 1);
}

static void check_fadt(const struct guest_mem *mem, const struct acpi_fadt *f)
{
	const struct acpi_facs *facs;

	CHECK_EQ(f->header.length, 276);
	CHECK(f->header.revision >= 5, "FADT revision %u", f->header.revision);
	CHECK_EQ(f->sci_int, 9);
	CHECK_EQ(f->smi_cmd, 0);
	CHECK_EQ(f->pm1a_evt_blk, 0x600);
	CHECK_EQ(f->pm1_evt_len, 4);
	CHECK_EQ(f->pm1a_cnt_blk, 0x604);
	CHECK_EQ(f->pm1_cnt_len, 2);
	CHECK_EQ(f->pm_tmr_blk, 0x608);
	CHECK_EQ(f->pm_tmr_len, 4);
	CHECK_EQ(f->pm1b_evt_blk | f->pm1b_cnt_blk | f->gpe0_blk, 0);
	CHECK(f->flags & ACPI_FADT_TMR_VAL_EXT, "no TMR_VAL_EXT");
	CHECK(f->flags & ACPI_FADT_RESET_REG_SUP, "no RESET_REG_SUP");
	CHECK(f->iapc_boot_arch & ACPI_IAPC_LEGACY_DEVICES, "no LEGACY_DEVICES");
	CHECK(f->iapc_boot_arch & ACPI_IAPC_8042, "no 8042");
	CHECK(f->reset_reg.space_id == 1 && f->reset_reg.address == 0xcf9 &&
	      f->reset_reg.bit_width == 8, "reset register");
	CHECK_EQ(f->reset_value, 6);
	CHECK(f->x_pm1a_evt_blk.space_id == 1 &&
	      f->x_pm1a_evt_blk.address == 0x600 &&
	      f->x_pm1a_evt_blk.bit_width == 32, "X_PM1a_EVT_BLK");
	CHECK(f->x_pm1a_cnt_blk.space_id == 1 &&
	      f->x_pm1a_cnt_blk.address == 0x604 &&
	      f->x_pm1a_cnt_blk.bit_width == 16, "X_PM1a_CNT_BLK");
	CHECK(f->x_pm_tmr_blk.space_id == 1 &&
	      f->x_pm_tmr_blk.address == 0x608 &&
	      f->x_pm_tmr_blk.bit_width == 32, "X_PM_TMR_BLK");
	CHECK(f->x_dsdt == f->dsdt && f->dsdt, "DSDT pointers");
	CHECK(f->x_firmware_ctrl && !f->firmware_ctrl,
	      "FACS pointers: 0x%x, X 0x%llx", f->firmware_ctrl,
	      (unsigned long long)f->x_firmware_ctrl);
	CHECK(!(f->x_firmware_ctrl & 63), "FACS not 64-byte aligned");
	facs = guest_mem_hva(mem, f->x_firmware_ctrl, sizeof(*facs));
	CHECK(facs && !memcmp(facs->signature, "FACS", 4) && facs->length == 64,
	      "FACS");
}

static void test_acpi(void)
{
	static const int cpus[] = { 1, 2, 3, 8 };
	const struct acpi_header *rsdt, *xsdt, *fadt, *madt, *dsdt;
	const struct acpi_rsdp *rsdp;
	struct guest_mem mem;
	char name[32];
	unsigned int i;
	u64 at;

	if (guest_mem_alloc(&mem, 2 * SZ_1M)) {
		begin();
		bad("no memory");
		end("acpi");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(cpus); i++) {
		begin();
		memset(mem.hva, 0xee, mem.size);
		CHECK(!acpi_build(&mem, cpus[i], &at), "build failed");
		CHECK_EQ(at, ACPI_TABLES_BASE);
		CHECK(!(at & 15), "RSDP not 16-byte aligned");
		rsdp = (const struct acpi_rsdp *)(mem.hva + at);
		CHECK(!memcmp(rsdp->signature, "RSD PTR ", 8), "RSDP signature");
		CHECK(acpi_checksum(rsdp, 20) == 0, "RSDP checksum");
		CHECK(acpi_checksum(rsdp, 36) == 0, "RSDP extended checksum");
		CHECK_EQ(rsdp->revision, 2);
		CHECK_EQ(rsdp->length, 36);
		rsdt = guest_mem_hva(&mem, rsdp->rsdt_address, 36);
		xsdt = guest_mem_hva(&mem, rsdp->xsdt_address, 36);
		check_table(&mem, rsdt, "RSDT");
		check_table(&mem, xsdt, "XSDT");
		if (why[0]) {
			end("acpi-tables");
			continue;
		}
		CHECK_EQ(xsdt->length, 36 + 16);
		CHECK_EQ(rsdt->length, 36 + 8);
		/* RSDT and XSDT list the same tables */
		CHECK_EQ(rd32(rsdt + 1), rd64(xsdt + 1));
		CHECK_EQ(rd32((const u8 *)(rsdt + 1) + 4),
			 rd64((const u8 *)(xsdt + 1) + 8));
		fadt = find_table(&mem, xsdt, "FACP");
		madt = find_table(&mem, xsdt, "APIC");
		check_table(&mem, fadt, "FACP");
		check_table(&mem, madt, "APIC");
		if (why[0]) {
			end("acpi-tables");
			continue;
		}
		check_fadt(&mem, (const struct acpi_fadt *)fadt);
		dsdt = guest_mem_hva(&mem, ((const struct acpi_fadt *)fadt)->dsdt,
				     36);
		check_table(&mem, dsdt, "DSDT");
		if (!why[0])
			check_dsdt(dsdt);
		check_madt(madt, cpus[i]);
		/* nothing written outside the area */
		CHECK(mem.hva[ACPI_TABLES_BASE - 1] == 0xee &&
		      mem.hva[ACPI_TABLES_END] == 0xee, "wrote outside the area");
		snprintf(name, sizeof(name), "acpi-tables-%dcpu", cpus[i]);
		end(name);
	}

	begin();
	CHECK(acpi_build(&mem, 0, &at), "0 vCPUs accepted");
	CHECK(acpi_build(&mem, LVCTL_MAX_VCPUS + 1, &at), "9 vCPUs accepted");
	guest_mem_free(&mem);
	CHECK(guest_mem_alloc(&mem, SZ_1M) == 0, "no memory");
	CHECK(!acpi_build(&mem, 8, &at), "1 MiB of RAM refused");
	guest_mem_free(&mem);
	end("acpi-limits");
}

/* ---- several vCPU threads against a scripted accelerator ---- */

/* a 32-bit OUT of 0 */
static struct script_step exit_out32(u16 port)
{
	return io_step(true, port, 4, 1, NULL);
}

static struct vm fvm;
static struct test_io ftio;
static struct debug_exit fdbg;

static void fake_smp_setup(int nr)
{
	int i;

	vm_init(&fvm);
	fvm.ops = &script_ops;
	fvm.nr_vcpus = nr;
	script_reset();
	for (i = 0; i < nr; i++) {
		fvm.vcpus[i].vm = &fvm;
		fvm.vcpus[i].id = i;
	}
	test_io_init(&ftio);
	test_io_register(&ftio, &fvm.io_bus);
	debug_exit_register(&fdbg, &fvm);
}

static void wait_pos(int id, int pos)
{
	int i;

	for (i = 0; i < 500 && __atomic_load_n(&fakes[id].pos, __ATOMIC_SEQ_CST) < pos; i++)
		poll(NULL, 0, 10);
	/* the exit is handled after run() returns: give it a moment */
	poll(NULL, 0, 50);
}

static void test_smp_loop(void)
{
	int i;

	vcpu_signals_setup();

	/*
	 * One HLT of two does not stop the VM; an exit clears it; both do.
	 * vCPU 1's first run fails with EAGAIN, which is retried.
	 */
	begin();
	fake_smp_setup(2);
	fakes[0].steps[0] = exit_of(VM_EXIT_HLT);
	fakes[0].steps[1] = exit_out32(TEST_IO_SCRATCH);
	fakes[0].steps[2] = exit_of(VM_EXIT_HLT);
	fakes[0].n = 3;
	/* KVM: an AP that just got INIT/SIPI */
	fakes[1].steps[0].err = EAGAIN;
	fakes[1].steps[1] = exit_of(VM_EXIT_HLT);
	fakes[1].n = 2;
	CHECK(!vcpu_start(&fvm.vcpus[0]), "no thread");
	wait_pos(0, 1);
	CHECK(!vm_is_stopped(&fvm), "one halted vCPU of two stopped the VM");
	CHECK_EQ(fvm.nr_halted, 1);
	wait_pos(0, 3);
	CHECK(!vm_is_stopped(&fvm), "stopped before vCPU 1 halted");
	CHECK_EQ(fvm.nr_halted, 1);
	CHECK_EQ(fvm.vcpus[0].exit_kinds[VM_EXIT_IO], 1);
	CHECK(!vcpu_start(&fvm.vcpus[1]), "no thread");
	for (i = 0; i < 2; i++)
		vcpu_join(&fvm.vcpus[i]);
	CHECK(fvm.stopped && fvm.stop_status == 0 &&
	      strstr(fvm.stop_reason, "hlt (all 2 vCPUs"),
	      "stop %d '%s'", fvm.stop_status, fvm.stop_reason);
	end("smp-hlt-all-vcpus");

	/* a stop from one vCPU kicks the other out of its (sleeping) run */
	begin();
	fake_smp_setup(4);
	fakes[0].steps[0] = exit_of(VM_EXIT_HLT);
	fakes[0].n = 1;
	fakes[3].steps[0] = exit_out32(DEBUG_EXIT_PORT);
	fakes[3].n = 1;
	for (i = 0; i < 3; i++)
		CHECK(!vcpu_start(&fvm.vcpus[i]), "no thread");
	wait_pos(0, 1);
	CHECK(!vm_is_stopped(&fvm), "stopped early");
	CHECK(!vcpu_start(&fvm.vcpus[3]), "no thread");
	for (i = 0; i < 4; i++)
		vcpu_join(&fvm.vcpus[i]);
	CHECK(fvm.stop_status == 1 && fvm.stop_vcpu == 3,
	      "stop %d by vcpu%d '%s'", fvm.stop_status, fvm.stop_vcpu,
	      fvm.stop_reason);
	end("smp-stop-kicks-all");

	/* SIGINT reaches one vCPU thread; every thread ends */
	begin();
	fake_smp_setup(3);
	for (i = 0; i < 3; i++)
		CHECK(!vcpu_start(&fvm.vcpus[i]), "no thread");
	poll(NULL, 0, 100);
	kill(getpid(), SIGINT);
	for (i = 0; i < 3; i++)
		vcpu_join(&fvm.vcpus[i]);
	CHECK(fvm.stop_status == 8, "stop %d '%s'", fvm.stop_status,
	      fvm.stop_reason);
	end("smp-signal");
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-boot");
	alarm(120);		/* a hung vCPU thread must not hang make test */

	test_bzimage_load();
	test_bzimage_errors();
	test_parse_cpus();
	test_acpi();
	test_smp_loop();

	return harness_finish();
}
