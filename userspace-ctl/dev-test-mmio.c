// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO test device: 4 KiB not backed by RAM.  Byte i starts as
 * (i * 7 + 1) & 0xff; writes store, reads return what is stored.
 */
#include "devices.h"

void test_mmio_init(struct test_mmio *dev)
{
	unsigned int i;

	dev->base = TEST_MMIO_BASE;
	for (i = 0; i < TEST_MMIO_SIZE; i++)
		dev->bytes[i] = (u8)(i * 7 + 1);
}

/* Bytes of an access that run past the device read as 0xff, writes drop. */
void test_mmio_access(void *opaque, u64 gpa, u8 *data, u32 len,
		      bool is_write)
{
	struct test_mmio *dev = opaque;
	u64 off = gpa - dev->base;
	u32 i;

	if (len > 8)
		len = 8;
	for (i = 0; i < len; i++) {
		bool inside = off + i < TEST_MMIO_SIZE;

		if (is_write) {
			if (inside)
				dev->bytes[off + i] = data[i];
		} else {
			data[i] = inside ? dev->bytes[off + i] : 0xff;
		}
	}
}

int test_mmio_register(struct test_mmio *dev, struct bus *mmio_bus)
{
	return bus_register(mmio_bus, dev->base, TEST_MMIO_SIZE,
			    test_mmio_access, dev, "test-mmio");
}
