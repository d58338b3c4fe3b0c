// SPDX-License-Identifier: GPL-2.0
/*
 * The accelerators lvctl knows, by name.
 */
#include <string.h>

#include "accel.h"

static const struct accel_ops *const accels[] = {
	&accel_labvisor_ops,
	&accel_kvm_ops,
};

const struct accel_ops *accel_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accels); i++)
		if (!strcmp(accels[i]->name, name))
			return accels[i];
	return NULL;
}

const char *vm_exit_kind_name(enum vm_exit_kind kind)
{
	static const char *const names[VM_EXIT_NR_KINDS] = {
		[VM_EXIT_IO] = "io",
		[VM_EXIT_MMIO] = "mmio",
		[VM_EXIT_HLT] = "hlt",
		[VM_EXIT_SHUTDOWN] = "shutdown",
		[VM_EXIT_HYPERCALL] = "hypercall",
		[VM_EXIT_FAIL_ENTRY] = "fail_entry",
		[VM_EXIT_INTERNAL] = "internal_error",
		[VM_EXIT_INTR] = "intr",
		[VM_EXIT_IRQ_WINDOW] = "irq-window",
		[VM_EXIT_UNKNOWN] = "unknown",
		[VM_EXIT_FORWARDED] = "forwarded",
	};

	if ((unsigned int)kind >= VM_EXIT_NR_KINDS || !names[kind])
		return "?";
	return names[kind];
}
