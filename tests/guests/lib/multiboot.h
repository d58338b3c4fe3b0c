/* SPDX-License-Identifier: GPL-2.0 */
/* Multiboot v1 information structure (the parts the guests read). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include "types.h"

#define MB_BOOT_MAGIC	0x2badb002

#define MB_INFO_MEM	(1U << 0)
#define MB_INFO_CMDLINE	(1U << 2)
#define MB_INFO_MODS	(1U << 3)
#define MB_INFO_MMAP	(1U << 6)

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;	/* KiB */
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_module {
	u32 mod_start, mod_end;
	u32 string;
	u32 reserved;
} __attribute__((packed));

struct mb_mmap_entry {
	u32 size;	/* of the rest of the entry */
	u64 base, len;
	u32 type;	/* 1: available RAM */
} __attribute__((packed));

#endif
