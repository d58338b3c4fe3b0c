// SPDX-License-Identifier: GPL-2.0
/*
 * Flat binaries: copied to --load and entered at --entry in --mode.
 */
#include <string.h>

#include "loader.h"

int flat_load(struct guest_mem *mem, const struct load_opts *opts,
	      const struct file_buf *fb, struct boot_cpu *cpu)
{
	enum cpu_mode mode = opts->mode_set ? opts->mode : CPU_MODE_REAL;
	u64 load, entry, area_start, area_end;
	u8 *dst;

	if (opts->load_set)
		load = opts->load;
	else
		load = mode == CPU_MODE_REAL ? 0x7c00 : SZ_1M;
	entry = opts->entry_set ? opts->entry : load;

	if (!guest_mem_range_ok(mem, load, fb->size)) {
		pr_err("%s: %zu bytes at 0x%llx do not fit in %llu bytes of guest RAM",
		       opts->path, fb->size, (unsigned long long)load,
		       (unsigned long long)mem->size);
		return -1;
	}
	if (!guest_mem_range_ok(mem, entry, 1)) {
		pr_err("%s: entry 0x%llx is outside guest RAM", opts->path,
		       (unsigned long long)entry);
		return -1;
	}
	x86_boot_area(mode, &area_start, &area_end);
	if (area_end > area_start && load < area_end &&
	    area_start < load + fb->size) {
		pr_err("%s: [0x%llx, 0x%llx) overlaps lvctl's %s boot area [0x%llx, 0x%llx)",
		       opts->path, (unsigned long long)load,
		       (unsigned long long)(load + fb->size),
		       x86_mode_name(mode), (unsigned long long)area_start,
		       (unsigned long long)area_end);
		return -1;
	}
	dst = guest_mem_hva(mem, load, fb->size);
	memcpy(dst, fb->data, fb->size);
	return x86_setup_boot(mem, mode, load, entry, cpu);
}
