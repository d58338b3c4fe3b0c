// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: anonymous memory, 2 MiB aligned and marked MADV_HUGEPAGE so
 * the hypervisor can map it with 2 MiB EPT pages.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lvctl.h"

int guest_mem_alloc(struct guest_mem *mem, uint64_t size)
{
	uint64_t aligned = (size + SZ_2M - 1) & ~(SZ_2M - 1);
	uintptr_t start;
	void *p;

	memset(mem, 0, sizeof(*mem));
	/* one extra 2 MiB to align the start */
	p = mmap(NULL, aligned + SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		pr_err("cannot allocate %llu bytes of guest memory: %s",
		       (unsigned long long)size, strerror(errno));
		return -1;
	}
	start = ((uintptr_t)p + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1);
	/* no huge pages is slower, not wrong: ignore a failure */
	madvise((void *)start, aligned, MADV_HUGEPAGE);
	mem->map = p;
	mem->map_size = aligned + SZ_2M;
	mem->hva = (uint8_t *)start;
	mem->size = size;
	return 0;
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->map)
		munmap(mem->map, mem->map_size);
	memset(mem, 0, sizeof(*mem));
}

bool guest_mem_range_ok(const struct guest_mem *mem, uint64_t gpa,
			uint64_t len)
{
	return gpa <= mem->size && len <= mem->size - gpa;
}

/* Host address of [gpa, gpa + len), or NULL when it is not all RAM. */
void *guest_mem_hva(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (!mem->hva || !guest_mem_range_ok(mem, gpa, len))
		return NULL;
	return mem->hva + gpa;
}
