// SPDX-License-Identifier: GPL-2.0
/*
 * I/O test ports: 0xe0 scratch register, 0xe4 sequence port, 0xe5
 * mismatch count / reset.
 */
#include <string.h>

#include "devices.h"

void test_io_init(struct test_io *dev)
{
	memset(dev, 0, sizeof(*dev));
}

/* OUT of 1, 2 or 4 bytes stores; IN returns it truncated to the width. */
void test_io_scratch_access(void *opaque, u64 port, u8 *data, u32 len,
			    bool is_write)
{
	struct test_io *dev = opaque;
	u32 width = len > 4 ? 4 : len;

	(void)port;
	if (is_write)
		dev->scratch = (u32)le_load(data, width);
	else
		le_store(data, len, dev->scratch);
}

static u8 test_io_seq_read(struct test_io *dev, u64 port)
{
	if (port == TEST_IO_SEQ)
		return dev->in_seq++;
	return dev->mismatches;
}

static void test_io_seq_write(struct test_io *dev, u64 port, u8 v)
{
	if (port == TEST_IO_SEQ) {
		if (v != dev->out_seq && dev->mismatches < 255)
			dev->mismatches++;
		dev->out_seq++;
		return;
	}
	dev->in_seq = 0;
	dev->out_seq = 0;
	dev->mismatches = 0;
}

/* 8-bit ports: a wider access covers the next port too, byte by byte. */
void test_io_seq_access(void *opaque, u64 port, u8 *data, u32 len,
			bool is_write)
{
	struct test_io *dev = opaque;
	u32 i;

	for (i = 0; i < len; i++) {
		u64 p = port + i;

		if (p != TEST_IO_SEQ && p != TEST_IO_MISMATCH) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (is_write)
			test_io_seq_write(dev, p, data[i]);
		else
			data[i] = test_io_seq_read(dev, p);
	}
}

int test_io_register(struct test_io *dev, struct bus *io_bus)
{
	if (bus_register(io_bus, TEST_IO_SCRATCH, 1, test_io_scratch_access,
			 dev, "test-io-scratch"))
		return -1;
	return bus_register(io_bus, TEST_IO_SEQ, 2, test_io_seq_access, dev,
			    "test-io-seq");
}
