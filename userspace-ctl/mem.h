/* SPDX-License-Identifier: GPL-2.0 */
/* Guest physical memory: one anonymous mapping backing RAM from gpa 0. */
#ifndef LVCTL_MEM_H
#define LVCTL_MEM_H

#include <stdint.h>
#include <stdbool.h>

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define SZ_1M		0x100000ULL

/* RAM must end below the MMIO test device */
#define GUEST_MEM_MIN	SZ_1M
#define GUEST_MEM_MAX	0xd0000000ULL

struct guest_mem {
	uint8_t *hva;		/* 2 MiB aligned */
	uint64_t size;		/* bytes of RAM at gpa 0 */
	void *map;		/* what mmap() returned */
	uint64_t map_size;
};

int guest_mem_alloc(struct guest_mem *mem, uint64_t size);
void guest_mem_free(struct guest_mem *mem);
bool guest_mem_range_ok(const struct guest_mem *mem, uint64_t gpa,
			uint64_t len);
void *guest_mem_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

#endif /* LVCTL_MEM_H */
