// SPDX-License-Identifier: GPL-2.0
/*
 * I/O and MMIO buses: a sorted table searched by bisection, replaced as a
 * whole when a range comes or goes, so lookups take no lock.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"

static struct bus_map *map_alloc(int nr)
{
	struct bus_map *m = calloc(1, sizeof(*m) + nr * sizeof(m->ranges[0]));

	if (m)
		m->nr_ranges = nr;
	return m;
}

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_mutex_init(&bus->lock, NULL);
}

/* Frees every version of the map: no vCPU may dispatch any more. */
void bus_destroy(struct bus *bus)
{
	struct bus_map *m = bus->map, *older;

	for (; m; m = older) {
		older = m->older;
		free(m);
	}
	bus->map = NULL;
}

static struct bus_map *current_map(struct bus *bus)
{
	return __atomic_load_n(&bus->map, __ATOMIC_ACQUIRE);
}

/* under bus->lock: @m becomes the map; the one it replaces is kept */
static void publish(struct bus *bus, struct bus_map *m)
{
	m->older = bus->map;
	__atomic_store_n(&bus->map, m, __ATOMIC_RELEASE);
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
	struct bus_map *old, *m;
	int i, at, nr, ret = -1;

	if (!len || base + len < base || !access)
		return -1;
	pthread_mutex_lock(&bus->lock);
	old = bus->map;
	nr = old ? old->nr_ranges : 0;
	if (nr == BUS_MAX_RANGES)
		goto out;
	for (i = 0; i < nr; i++)
		if (ranges_overlap(base, len, old->ranges[i].base,
				   old->ranges[i].len))
			goto out;
	for (at = 0; at < nr && old->ranges[at].base < base; at++)
		;
	m = map_alloc(nr + 1);
	if (!m)
		goto out;
	if (at)
		memcpy(m->ranges, old->ranges, at * sizeof(m->ranges[0]));
	m->ranges[at] = (struct bus_range){ .base = base, .len = len,
		.access = access, .opaque = opaque, .name = name };
	if (nr > at)
		memcpy(m->ranges + at + 1, old->ranges + at,
		       (nr - at) * sizeof(m->ranges[0]));
	publish(bus, m);
	ret = 0;
out:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

/*
 * Remove the range starting at @base registered with @opaque (a PCI BAR
 * that moves or stops decoding).  Returns 0, or -1 when there is none.
 */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	struct bus_map *old, *m;
	int i, ret = -1;

	pthread_mutex_lock(&bus->lock);
	old = bus->map;
	for (i = 0; old && i < old->nr_ranges; i++) {
		if (old->ranges[i].base != base || old->ranges[i].opaque != opaque)
			continue;
		m = map_alloc(old->nr_ranges - 1);
		if (!m)
			break;
		memcpy(m->ranges, old->ranges, i * sizeof(m->ranges[0]));
		memcpy(m->ranges + i, old->ranges + i + 1,
		       (old->nr_ranges - i - 1) * sizeof(m->ranges[0]));
		publish(bus, m);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

/* The range holding @addr, valid until bus_destroy(), or NULL. */
const struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	const struct bus_map *m = current_map(bus);
	int lo = 0, hi;

	if (!m)
		return NULL;
	/* the last range starting at or below @addr is the only candidate */
	hi = m->nr_ranges;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - m->ranges[lo - 1].base >= m->ranges[lo - 1].len)
		return NULL;
	return &m->ranges[lo - 1];
}

/*
 * The device owning the first byte gets the whole access.  Returns false
 * when no device claims @addr.  Devices outlive their ranges: a call
 * racing a removal is harmless.
 */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data,
		  uint32_t len, bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr);

	if (!r)
		return false;
	r->access(r->opaque, addr, data, len, is_write);
	return true;
}
