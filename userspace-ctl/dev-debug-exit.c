// SPDX-License-Identifier: GPL-2.0
/*
 * Debug exit, port 0xf4: an OUT of v stops the VM with status
 * (v << 1) | 1.  IN reads all ones.
 */
#include "devices.h"

void debug_exit_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write)
{
	struct debug_exit *dev = opaque;
	u64 v;

	(void)port;
	if (!is_write) {
		le_store(data, len, ~0ULL);
		return;
	}
	v = le_load(data, len);
	vm_stop(dev->vm, (int)(((v << 1) | 1) & 0xff), "debug-exit %llu",
		(unsigned long long)v);
}

int debug_exit_register(struct debug_exit *dev, struct vm *vm)
{
	dev->vm = vm;
	return bus_register(&vm->io_bus, DEBUG_EXIT_PORT, 1, debug_exit_access,
			    dev, "debug-exit");
}
