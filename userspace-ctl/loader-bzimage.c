// SPDX-License-Identifier: GPL-2.0
/*
 * Linux bzImage through the 64-bit boot protocol (Documentation/x86/
 * boot.rst): the protected-mode part at its load address, the zero page
 * (struct boot_params) made from the image's setup header, the command
 * line, the initrd high in RAM, the e820 map and the ACPI tables; the
 * vCPU enters startup_64 at load address + 0x200 with RSI = zero page.
 *
 * Guest memory below 1 MiB:
 *   0x07000  zero page          0x08000  GDT, TSS
 *   0x09000  page tables        0x20000  command line
 *   0xe0000  ACPI tables (e820 reserved: 0x9fc00-0x100000)
 */
#include <string.h>

#include <asm/bootparam.h>
#include <asm/e820.h>

#include "acpi.h"
#include "loader.h"

#define HDR_OFFSET	0x1f1	/* struct setup_header in the file and zero page */
#define HDR_MAGIC	0x53726448	/* "HdrS" */
#define BOOT_FLAG	0xaa55

#define ALIGN_DOWN(x, a)	((x) & ~((u64)(a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + (a) - 1, a)

_Static_assert(sizeof(struct boot_params) == 4096, "boot_params is one page");
_Static_assert(offsetof(struct boot_params, hdr) == HDR_OFFSET,
	       "setup header offset");

bool bzimage_detect(const struct file_buf *fb)
{
	u32 magic;

	if (fb->size < HDR_OFFSET + offsetof(struct setup_header, header) + 4)
		return false;
	memcpy(&magic, fb->data + HDR_OFFSET +
	       offsetof(struct setup_header, header), 4);
	return magic == HDR_MAGIC;
}

/* The setup header, checked; the payload's file offset in *@payload. */
static int parse_header(const char *path, const struct file_buf *fb,
			struct setup_header *h, u64 *payload)
{
	size_t hdr_end, setup_sects;

	if (!bzimage_detect(fb)) {
		pr_err("%s: not a Linux bzImage (no \"HdrS\" setup header at 0x202)",
		       path);
		return -1;
	}
	/* the header's length is in its jump instruction: 0x202 + byte 0x201 */
	hdr_end = 0x202 + fb->data[0x201];
	if (hdr_end < HDR_OFFSET + offsetof(struct setup_header, kernel_info_offset) ||
	    hdr_end > offsetof(struct boot_params, edd_mbr_sig_buffer) ||
	    hdr_end > fb->size) {
		pr_err("%s: setup header ends at 0x%zx: too short for boot protocol 2.12, longer than the zero page has room for, or past the end of the file",
		       path, hdr_end);
		return -1;
	}
	memset(h, 0, sizeof(*h));
	memcpy(h, fb->data + HDR_OFFSET,
	       hdr_end - HDR_OFFSET < sizeof(*h) ? hdr_end - HDR_OFFSET : sizeof(*h));
	if (h->boot_flag != BOOT_FLAG) {
		pr_err("%s: setup header boot_flag is 0x%04x, not 0xaa55", path,
		       h->boot_flag);
		return -1;
	}
	if (h->version < LINUX_MIN_VERSION) {
		pr_err("%s: boot protocol %u.%02u is older than 2.12", path,
		       h->version >> 8, h->version & 0xff);
		return -1;
	}
	if (!(h->xloadflags & XLF_KERNEL_64)) {
		pr_err("%s: the kernel has no 64-bit entry point (xloadflags 0x%x lacks XLF_KERNEL_64)",
		       path, h->xloadflags);
		return -1;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		pr_err("%s: a zImage (loadflags 0x%x lacks LOADED_HIGH): only bzImages load",
		       path, h->loadflags);
		return -1;
	}
	setup_sects = h->setup_sects ? h->setup_sects : 4;
	*payload = (setup_sects + 1) * 512;
	if (*payload >= fb->size) {
		pr_err("%s: setup_sects %u puts the kernel at 0x%llx, past the end of the file (%zu bytes)",
		       path, h->setup_sects, (unsigned long long)*payload,
		       fb->size);
		return -1;
	}
	if (!h->init_size) {
		pr_err("%s: setup header init_size is 0", path);
		return -1;
	}
	if (h->relocatable_kernel &&
	    (h->kernel_alignment < SZ_4K ||
	     (h->kernel_alignment & (h->kernel_alignment - 1)) ||
	     h->kernel_alignment > (1U << 30))) {
		pr_err("%s: kernel_alignment 0x%x is not a power of two from 4 KiB to 1 GiB",
		       path, h->kernel_alignment);
		return -1;
	}
	return 0;
}

/*
 * Where the kernel goes: pref_address when RAM holds init_size bytes from
 * there, else (relocatable kernels) the lowest aligned address above
 * 1 MiB.  The decompressor works in [load, load + init_size).
 */
static int place_kernel(const char *path, const struct guest_mem *mem,
			const struct setup_header *h, u64 image_size,
			struct linux_layout *l)
{
	u64 need = h->init_size > image_size ? h->init_size : image_size;
	u64 pref = h->pref_address ? h->pref_address : SZ_1M;
	u64 low;

	if (pref >= SZ_1M && (!h->relocatable_kernel ||
			      !(pref & (h->kernel_alignment - 1))) &&
	    guest_mem_range_ok(mem, pref, need)) {
		l->kernel = pref;
	} else if (h->relocatable_kernel) {
		low = ALIGN_UP(SZ_1M, h->kernel_alignment);
		if (!guest_mem_range_ok(mem, low, need)) {
			pr_err("%s: the kernel needs RAM up to 0x%llx (load 0x%llx + init_size 0x%x): --mem %lluM is too small",
			       path, (unsigned long long)(low + need),
			       (unsigned long long)low, h->init_size,
			       (unsigned long long)(mem->size >> 20));
			return -1;
		}
		l->kernel = low;
	} else if (pref < SZ_1M) {
		pr_err("%s: the kernel is not relocatable and wants to load at 0x%llx, below 1 MiB",
		       path, (unsigned long long)pref);
		return -1;
	} else {
		pr_err("%s: the kernel is not relocatable and needs RAM up to 0x%llx (load 0x%llx + init_size 0x%x): --mem %lluM is too small",
		       path, (unsigned long long)(pref + need),
		       (unsigned long long)pref, h->init_size,
		       (unsigned long long)(mem->size >> 20));
		return -1;
	}
	l->kernel_end = l->kernel + need;
	return 0;
}

/* The initrd at the top of RAM below initrd_addr_max, above the kernel. */
static int load_initrd(const char *path, struct guest_mem *mem,
		       const struct setup_header *h, struct linux_layout *l)
{
	struct file_buf fb;
	u64 limit = mem->size, at;

	if (loader_read_file(path, &fb))
		return -1;
	/* initrd_addr_max is the highest byte the initrd may occupy */
	if (!(h->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) &&
	    (u64)h->initrd_addr_max + 1 < limit)
		limit = (u64)h->initrd_addr_max + 1;
	at = fb.size <= limit ? ALIGN_DOWN(limit - fb.size, SZ_4K) : 0;
	if (fb.size > limit || at < l->kernel_end) {
		pr_err("%s: the initrd (%zu bytes) does not fit between the kernel's end 0x%llx and 0x%llx: give more --mem",
		       path, fb.size, (unsigned long long)l->kernel_end,
		       (unsigned long long)limit);
		loader_free_file(&fb);
		return -1;
	}
	memcpy(guest_mem_hva(mem, at, fb.size), fb.data, fb.size);
	l->initrd = at;
	l->initrd_size = fb.size;
	loader_free_file(&fb);
	return 0;
}

static void add_e820(struct boot_params *bp, u64 addr, u64 size, u32 type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

int bzimage_load(struct guest_mem *mem, const struct load_opts *opts,
		 const struct file_buf *fb, struct boot_cpu *cpu,
		 struct linux_layout *l)
{
	const char *cmdline = opts->append ? opts->append : LINUX_DEFAULT_CMDLINE;
	size_t cmdline_len = strlen(cmdline);
	struct setup_header h;
	struct boot_params *bp;
	u64 payload;
	u8 *dst;

	memset(l, 0, sizeof(*l));
	if (parse_header(opts->path, fb, &h, &payload))
		return -1;
	if (mem->size < 2 * SZ_1M) {
		pr_err("%s: a Linux guest needs more than 1 MiB of RAM", opts->path);
		return -1;
	}
	if (place_kernel(opts->path, mem, &h, fb->size - payload, l))
		return -1;
	/* 2.06+: cmdline_size is the longest command line, without the NUL */
	if (cmdline_len > h.cmdline_size || cmdline_len >= LINUX_CMDLINE_MAX) {
		pr_err("%s: the command line is %zu bytes, the kernel takes at most %u",
		       opts->path, cmdline_len,
		       h.cmdline_size < LINUX_CMDLINE_MAX - 1 ?
		       h.cmdline_size : (u32)(LINUX_CMDLINE_MAX - 1));
		return -1;
	}
	if (opts->initrd && load_initrd(opts->initrd, mem, &h, l))
		return -1;
	if (acpi_build(mem, opts->nr_cpus ? opts->nr_cpus : 1, &l->rsdp))
		return -1;

	dst = guest_mem_hva(mem, l->kernel, fb->size - payload);
	memcpy(dst, fb->data + payload, fb->size - payload);
	dst = guest_mem_hva(mem, LINUX_CMDLINE, cmdline_len + 1);
	memcpy(dst, cmdline, cmdline_len + 1);

	/* a clean zero page with the image's setup header (boot.rst) */
	bp = guest_mem_hva(mem, LINUX_ZERO_PAGE, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, fb->data + HDR_OFFSET, 0x202 + fb->data[0x201] - HDR_OFFSET);
	bp->hdr.type_of_loader = LINUX_LOADER_TYPE;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = LINUX_HEAP_END;
	bp->hdr.code32_start = l->kernel;
	bp->hdr.cmd_line_ptr = LINUX_CMDLINE;
	bp->ext_cmd_line_ptr = 0;
	bp->hdr.ramdisk_image = l->initrd;
	bp->hdr.ramdisk_size = l->initrd_size;
	bp->ext_ramdisk_image = l->initrd >> 32;
	bp->ext_ramdisk_size = l->initrd_size >> 32;
	if (h.version >= 0x020e)
		bp->acpi_rsdp_addr = l->rsdp;
	add_e820(bp, 0, LINUX_LOW_RAM_END, E820_RAM);
	add_e820(bp, LINUX_LOW_RAM_END, SZ_1M - LINUX_LOW_RAM_END,
		 E820_RESERVED);
	add_e820(bp, SZ_1M, mem->size - SZ_1M, E820_RAM);

	return x86_setup_linux64(mem, l->kernel + LINUX_64BIT_ENTRY,
				 LINUX_ZERO_PAGE, cpu);
}
