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
	pthread_rwlock_init(&bus->lock, NULL);
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
	int i, ret = -1;

	if (!len || base + len < base || !access)
		return -1;
	pthread_rwlock_wrlock(&bus->lock);
	if (bus->nr_ranges == BUS_MAX_RANGES)
		goto out;
	for (i = 0; i < bus->nr_ranges; i++) {
		r = &bus->ranges[i];
		if (ranges_overlap(base, len, r->base, r->len))
			goto out;
	}
	r = &bus->ranges[bus->nr_ranges++];
	r->base = base;
	r->len = len;
	r->access = access;
	r->opaque = opaque;
	r->name = name;
	ret = 0;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/*
 * Remove the range starting at @base registered with @opaque (a PCI BAR
 * that moves or stops decoding).  Returns 0, or -1 when there is none.
 */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	int i, ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	for (i = 0; i < bus->nr_ranges; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (r->base != base || r->opaque != opaque)
			continue;
		memmove(r, r + 1, (bus->nr_ranges - i - 1) * sizeof(*r));
		bus->nr_ranges--;
		ret = 0;
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static struct bus_range *bus_find_locked(struct bus *bus, uint64_t addr)
{
	int i;

	for (i = 0; i < bus->nr_ranges; i++) {
		struct bus_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base < r->len)
			return r;
	}
	return NULL;
}

/* The range holding @addr; only stable while nobody unregisters ranges. */
struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	struct bus_range *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find_locked(bus, addr);
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

/*
 * The device owning the first byte gets the whole access.  Returns false
 * when no device claims @addr.
 */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data,
		  uint32_t len, bool is_write)
{
	struct bus_range *r, copy;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find_locked(bus, addr);
	if (r)
		copy = *r;
	pthread_rwlock_unlock(&bus->lock);
	if (!r)
		return false;
	/* devices outlive their ranges: a call racing a removal is harmless */
	copy.access(copy.opaque, addr, data, len, is_write);
	return true;
}
