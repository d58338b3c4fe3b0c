/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device passthrough (--device BDF): a host PCI device, assigned to the
 * VM through the accelerator (labvisor: LV_ASSIGN_DEVICE, VT-d), shown to
 * the guest on lvctl's PCI bus.
 *
 * The guest sees the device's identity (vendor, device, revision, class,
 * subsystem) and its memory BARs, placed by lvctl and movable by the
 * guest.  A BAR is mapped into the guest as a memory slot backed by the
 * sysfs resourceN mapping when the accelerator accepts that; otherwise
 * (labvisor pins slot pages, which device memory has not) each access
 * traps to lvctl and is forwarded through the same mapping.  Configuration
 * space is lvctl's: the guest's bus-master bit is forwarded to the device,
 * everything else (its own capabilities, device-specific registers) is
 * hidden, so the guest cannot change the device's power state or its
 * interrupt setup.
 *
 * Interrupts: a device with an MSI capability gets an emulated one (64-bit
 * address, one vector, no per-vector mask).  When the guest enables it,
 * lvctl registers an eventfd with irqfd for the guest's message and asks
 * the accelerator to route the device's real MSI to that eventfd
 * (labvisor: LV_SET_DEVICE_IRQ), so each device interrupt becomes the
 * guest's MSI in the kernel; a new message re-registers the irqfd; disabled,
 * the routing is torn down.  lvctl's PCI bus has no INTx, so a device
 * without MSI gets no interrupt (lvctl says so at start).  Not done: I/O
 * BARs, INTx, MSI-X, expansion ROMs.
 */
#ifndef LVCTL_PASSTHROUGH_H
#define LVCTL_PASSTHROUGH_H

#include "lvctl.h"
#include "pci.h"

#define PASSTHROUGH_MAX		4
#define PASSTHROUGH_SYSFS	"/sys/bus/pci/devices"
/* memory slots of passthrough BARs: this + 6 * device + BAR */
#define PASSTHROUGH_SLOT0	8

struct passthrough_bar {
	void *map;		/* resourceN, mmap-ed; NULL: not a memory BAR */
	u64 size;
	int slot;		/* memory slot number */
	bool direct;		/* mapped as a slot at direct_gpa */
	u64 direct_gpa;
	bool refused;		/* the accelerator refused a slot: trap */
};

struct passthrough {
	struct pci_dev dev;
	struct vm *vm;
	char dir[384];		/* its sysfs directory */
	char name[32];		/* "passthrough SSSS:BB:DD.F" */
	u16 segment;
	u8 bus, device, function;
	int cfg_fd;		/* sysfs config, read-write */
	bool started;		/* assigned: BARs may become slots */
	u8 msi_cap;		/* the guest's MSI capability; 0: none */
	int msi_efd;		/* eventfd the device's MSI signals */
	bool msi_routed;	/* irqfd and the device's MSI on msi_efd */
	u64 msi_addr;		/* the guest's message, while routed */
	u32 msi_data;
	struct passthrough_bar bar[PCI_NR_BARS];
};

/* "SSSS:BB:DD.F" or "BB:DD.F" (segment 0); 0 or -1 */
int passthrough_parse_bdf(const char *s, u16 *segment, u8 *bus, u8 *device,
			  u8 *function);
/*
 * Read the device from @sysfs/SSSS:BB:DD.F (config, resource, resourceN)
 * and build the guest's view; @index picks its memory slots.  0 or -1
 * with a message.
 */
int passthrough_init(struct passthrough *pt, struct vm *vm, const char *sysfs,
		     const char *bdf, int index);
/* after the VM exists: assign the device, map the BARs the guest sees */
int passthrough_start(struct passthrough *pt);
void passthrough_destroy(struct passthrough *pt);

#endif /* LVCTL_PASSTHROUGH_H */
