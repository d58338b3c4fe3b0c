/* SPDX-License-Identifier: GPL-2.0 */
/*
 * I/O and MMIO buses: devices register address ranges, the vCPU loop
 * dispatches port and MMIO exits to them.
 */
#ifndef LVCTL_BUS_H
#define LVCTL_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES	64

/*
 * A device access: @len bytes at @addr (port or gpa), @data little endian.
 * For a read the device fills @data.
 */
typedef void (*bus_access_fn)(void *opaque, uint64_t addr, uint8_t *data,
			      uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn access;
	void *opaque;
	const char *name;
};

/* One version of a bus's ranges, sorted by base; never changed once published. */
struct bus_map {
	struct bus_map *older;
	int nr_ranges;
	struct bus_range ranges[];
};

/*
 * vCPU threads dispatch concurrently while a PCI BAR move (itself a vCPU
 * access) registers and removes ranges.  Dispatch takes no lock: it reads
 * the current map, which a change replaces with a new one under @lock
 * (the old versions stay until bus_destroy(): moves are few, lookups are
 * on every exit).  A device may change the bus from its access function.
 */
struct bus {
	const char *name;
	pthread_mutex_t lock;
	struct bus_map *map;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 bus_access_fn access, void *opaque, const char *name);
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);
const struct bus_range *bus_find(struct bus *bus, uint64_t addr);
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data,
		  uint32_t len, bool is_write);

#endif /* LVCTL_BUS_H */
