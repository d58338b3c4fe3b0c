/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loaders: a flat binary, or a multiboot (v1) ELF kernel with modules.
 * Everything is validated and written into guest memory before any
 * hypervisor device is opened.
 */
#ifndef LVCTL_LOADER_H
#define LVCTL_LOADER_H

#include "x86.h"

#define LOADER_MAX_MODULES	16
#define LOADER_MAX_FILE		(1ULL << 32)

struct load_module {
	const char *path;
	const char *string;	/* may be NULL */
};

struct load_opts {
	const char *path;
	enum cpu_mode mode;
	bool mode_set;
	u64 load;
	bool load_set;
	u64 entry;
	bool entry_set;
	const char *cmdline;	/* NULL: none given */
	struct load_module modules[LOADER_MAX_MODULES];
	int nr_modules;
	/* Linux: --kernel names @path, with --initrd and --append */
	bool linux_kernel;
	const char *initrd;	/* NULL: none */
	const char *append;	/* NULL: LINUX_DEFAULT_CMDLINE */
	int nr_cpus;		/* for the ACPI tables */
};

struct file_buf {
	u8 *data;
	size_t size;
};

int loader_read_file(const char *path, struct file_buf *fb);
void loader_free_file(struct file_buf *fb);

/* Detect the format of @opts->path and load it.  0, or -1 with a message. */
int loader_load(struct guest_mem *mem, const struct load_opts *opts,
		struct boot_cpu *cpu);

int flat_load(struct guest_mem *mem, const struct load_opts *opts,
	      const struct file_buf *fb, struct boot_cpu *cpu);

/* ---- Linux bzImage, 64-bit boot protocol (Documentation/x86/boot.rst) ---- */
#define LINUX_DEFAULT_CMDLINE	"console=ttyS0"
#define LINUX_MIN_VERSION	0x020c		/* 2.12: xloadflags */
#define LINUX_ZERO_PAGE		0x7000ULL	/* struct boot_params */
#define LINUX_CMDLINE		0x20000ULL
#define LINUX_CMDLINE_MAX	0x10000ULL	/* bytes we keep for it */
#define LINUX_LOW_RAM_END	0x9fc00ULL	/* e820: RAM below, reserved up to 1 MiB */
/*
 * The TSS a shadow VM's real-mode code runs with (LV_SET_TSS_ADDR: three
 * pages): the top of the BIOS area, reserved in every memory map lvctl
 * writes (e820, multiboot) and used by none of its loaders.
 */
#define LVCTL_VM86_TSS		0xfd000ULL
#define LINUX_HEAP_END		0xfe00		/* heap_end_ptr, as for a setup at 0x90000 */
#define LINUX_LOADER_TYPE	0xff		/* no assigned boot loader id */
#define LINUX_64BIT_ENTRY	0x200		/* startup_64, from the load address */

/* what bzimage_load() decided, for messages and tests */
struct linux_layout {
	u64 kernel;		/* load address of the protected-mode part */
	u64 kernel_end;		/* kernel + init_size */
	u64 initrd, initrd_size;
	u64 rsdp;
};

bool bzimage_detect(const struct file_buf *fb);
int bzimage_load(struct guest_mem *mem, const struct load_opts *opts,
		 const struct file_buf *fb, struct boot_cpu *cpu,
		 struct linux_layout *layout);

/* ---- multiboot v1 ---- */
#define MB_HEADER_MAGIC		0x1BADB002U
#define MB_BOOT_MAGIC		0x2BADB002U
#define MB_SEARCH_LEN		8192
#define MB_FLAG_PAGE_ALIGN	(1U << 0)
#define MB_FLAG_MEMINFO		(1U << 1)
#define MB_FLAG_AOUT_KLUDGE	(1U << 16)
#define MB_FLAGS_KNOWN		(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO | \
				 MB_FLAG_AOUT_KLUDGE)

#define MB_INFO_MEMORY		(1U << 0)
#define MB_INFO_CMDLINE		(1U << 2)
#define MB_INFO_MODS		(1U << 3)
#define MB_INFO_MMAP		(1U << 6)
#define MB_INFO_LOADER_NAME	(1U << 9)

/* where lvctl puts the information structure and its strings */
#define MB_INFO_ADDR		0x9000ULL
#define MB_INFO_END		BOOT_AREA_END
#define MB_INFO_SIZE		120	/* through the framebuffer fields */

/* offsets in the information structure */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME		64

#define MB_MOD_SIZE		16
#define MB_MMAP_ENTRY_SIZE	24	/* size field + 20 */

struct mb_header {
	u32 offset;		/* in the file */
	u32 flags;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* a module already in guest memory */
struct mb_module {
	u32 start, end;
	const char *string;
};

bool multiboot_find_header(const u8 *data, size_t size, struct mb_header *h);
int multiboot_load(struct guest_mem *mem, const struct load_opts *opts,
		   const struct file_buf *fb, const struct mb_header *h,
		   struct boot_cpu *cpu);
/* Build the information structure at MB_INFO_ADDR; returns its gpa or 0. */
u32 multiboot_build_info(struct guest_mem *mem, const char *cmdline,
			 const struct mb_module *mods, int nr_mods);

#endif /* LVCTL_LOADER_H */
