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
	vm->stop_vcpu = -1;
	bus_init(&vm->io_bus, "io");
	bus_init(&vm->mmio_bus, "mmio");
}

/*
 * The first stop wins; later ones (e.g. a signal after HLT) are dropped.
 * The other vCPU threads may be in their run ioctl, where a halted vCPU
 * sleeps indefinitely: each gets an exit request and a signal.  Their
 * loops clear the request before they look at @stopped, so a kick that
 * lands between the look and the ioctl is not lost.
 */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
{
	struct vcpu *self = vcpu_current();
	bool first = false;
	va_list ap;
	int i;

	pthread_mutex_lock(&vm->stop_lock);
	if (!vm->stopped) {
		/* seen without the lock by vm_is_stopped() */
		__atomic_store_n(&vm->stopped, true, __ATOMIC_SEQ_CST);
		vm->stop_status = status;
		vm->stop_vcpu = self && self->vm == vm ? self->id : -1;
		va_start(ap, fmt);
		vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
		va_end(ap);
		first = true;
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (!first)
		return;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (&vm->vcpus[i] != self)
			vcpu_kick(&vm->vcpus[i]);
}

bool vm_set_halted(struct vcpu *vcpu, bool halted)
{
	struct vm *vm = vcpu->vm;
	bool all;

	pthread_mutex_lock(&vm->stop_lock);
	if (vcpu->halted != halted) {
		vcpu->halted = halted;
		vm->nr_halted += halted ? 1 : -1;
	}
	all = vm->nr_halted == vm->nr_vcpus;
	pthread_mutex_unlock(&vm->stop_lock);
	return all;
}

/*
 * Checked twice per exit, so without the lock: the store in vm_stop() is
 * sequentially consistent with the vCPU loop's clearing of its exit
 * request, so a loop that misses @stopped here gets the kick.
 */
bool vm_is_stopped(struct vm *vm)
{
	return __atomic_load_n(&vm->stopped, __ATOMIC_SEQ_CST);
}

/* An access no device decodes, on a PC bus: count it, name the first few. */
void vm_note_unassigned(struct vm *vm, const char *space, u64 addr)
{
	u64 n = __atomic_fetch_add(&vm->unassigned, 1, __ATOMIC_RELAXED);

	if (n < 8)
		fprintf(stderr, "lvctl: no device at %s 0x%llx (reads all-ones)%s\n",
			space, (unsigned long long)addr,
			n == 7 ? "; not naming further ones" : "");
}
