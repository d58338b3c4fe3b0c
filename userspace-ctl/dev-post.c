// SPDX-License-Identifier: GPL-2.0
/*
 * The POST diagnostic port 0x80.  Firmware writes progress codes there and
 * Linux writes to it for I/O delays (io_delay); nothing reads it back but a
 * POST card.  lvctl keeps the last code written and returns it on a read.
 */
#include "devices.h"

static void post_access(void *opaque, u64 port, u8 *data, u32 len,
			bool is_write)
{
	struct post_port *dev = opaque;

	(void)port;

	if (is_write)
		__atomic_store_n(&dev->last, data[0], __ATOMIC_RELAXED);
	else
		le_store(data, len, __atomic_load_n(&dev->last, __ATOMIC_RELAXED));
}

int post_register(struct post_port *dev, struct bus *io_bus)
{
	dev->last = 0;
	return bus_register(io_bus, POST_PORT, 1, post_access, dev, "post");
}
