// SPDX-License-Identifier: GPL-2.0
/*
 * The VM object: messages and the stop state every thread may set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lvctl.h"

void pr_err(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lvctl: %s\n", buf);
}

void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	pthread_mutex_init(&vm->stop_lock, NULL);
	bus_init(&vm->io_bus, "io");
	bus_init(&vm->mmio_bus, "mmio");
}

/* The first stop wins; later ones (e.g. a signal after HLT) are dropped. */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stopped) {
		vm->stopped = true;
		vm->stop_status = status;
		va_start(ap, fmt);
		vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

bool vm_is_stopped(struct vm *vm)
{
	bool stopped;

	pthread_mutex_lock(&vm->stop_lock);
	stopped = vm->stopped;
	pthread_mutex_unlock(&vm->stop_lock);
	return stopped;
}
