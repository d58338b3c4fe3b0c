// SPDX-License-Identifier: GPL-2.0
/*
 * I/O and MMIO buses.  A handful of devices: a linear search is enough.
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Returns 0, or -1 for an empty, wrapping or overlapping range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 bus_access_fn access, void *opaque, const char *name)
{
	struct bus_range *r;
	int i;

	if (!len || base + len < base || !access)
		return -1;
	if (bus->nr_ranges == BUS_MAX_RANGES)
		return -1;
	for (i = 0; i < bus->nr_ranges; i++) {
		r = &bus->ranges[i];
		if (ranges_overlap(base, len, r->base, r->len))
			return -1;
	}
	r = &bus->ranges[bus->nr_ranges++];
	r->base = base;
	r->len = len;
	r->access = access;
	r->opaque = opaque;
	r->name = name;
	return 0;
}

struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	int i;

	for (i = 0; i < bus->nr_ranges; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

/*
 * The device owning the first byte gets the whole access.  Returns false
 * when no device claims @addr.
 */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data,
		  uint32_t len, bool is_write)
{
	struct bus_range *r = bus_find(bus, addr);

	if (!r)
		return false;
	r->access(r->opaque, addr, data, len, is_write);
	return true;
}
