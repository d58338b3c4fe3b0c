/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labvisor VT-d: the interface the core (kmod/core) calls, and what the
 * files of kmod/vtd share.
 *
 *   unit.c    the DMA remapping units: DMAR table, registers, root and
 *             context tables, invalidation, the fault log, and giving every
 *             unit back as it was found
 *   assign.c  per-VM domains (second-level tables from the memory slots),
 *             device assignment, statistics
 *   irq.c     interrupts of assigned devices (MSI, INTx) to eventfds
 *   slpt.c    second-level page tables (KUnit-tested)
 *   dmar.c    the DMAR parser (KUnit-tested)
 */
#ifndef LV_VTD_H
#define LV_VTD_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "dmar.h"
#include "slpt.h"

struct lv_vm;
struct lv_slot;
struct lv_vm_stats;
struct pci_dev;
struct eventfd_ctx;

/* ---- for kmod/core ---- */
int lv_vtd_init(void);
void lv_vtd_exit(void);
bool lv_vtd_available(void);
long lv_vtd_assign_ioctl(struct lv_vm *vm, void __user *argp);
long lv_vtd_unassign_ioctl(struct lv_vm *vm, void __user *argp);
long lv_vtd_irq_ioctl(struct lv_vm *vm, void __user *argp);
int lv_vtd_slot_map(struct lv_vm *vm, struct lv_slot *slot);
void lv_vtd_slot_unmap(struct lv_vm *vm, struct lv_slot *slot);
void lv_vtd_vm_destroy(struct lv_vm *vm);
void lv_vtd_vm_stats(struct lv_vm *vm, struct lv_vm_stats *st);

/* ---- inside kmod/vtd ---- */

/* domain ids: 0 is reserved (caching mode), 1 the host, 2 the blocking one */
#define LV_VTD_DID_HOST		1
#define LV_VTD_DID_BLOCK	2
#define LV_VTD_DID_FIRST_VM	3
#define LV_VTD_MAX_DID		256

/**
 * struct lv_vtd_unit - one DMA remapping hardware unit
 * @dmar: its DRHD entry
 * @regs: its registers, mapped
 * @reg_size: bytes mapped
 * @ver: VER_REG
 * @cap: CAP_REG
 * @ecap: ECAP_REG
 * @unusable: why labvisor will not take it (Linux uses it, or it lacks
 *	something), or NULL
 * @taken: translation is on, with our root table
 * @root: the root table (one page), while @taken
 * @ctx: context tables by bus, allocated as devices need them
 * @iq: the invalidation queue while queued invalidation is on, or NULL
 * @iq_tail: next descriptor slot in @iq
 * @iq_status: status word the invalidation wait descriptor writes
 * @found: register values found before we took the unit
 * @found.gsts: GSTS_REG
 * @found.rtaddr: RTADDR_REG
 * @found.fectl: FECTL_REG
 * @found.iqa: IQA_REG
 * @found.iqt: IQT_REG
 * @faults: primary faults recorded since load
 */
struct lv_vtd_unit {
	const struct lv_dmar_unit *dmar;
	void __iomem *regs;
	size_t reg_size;
	u32 ver;
	u64 cap, ecap;
	const char *unusable;
	bool taken;
	u64 *root;
	u64 *ctx[256];
	u64 *iq;
	unsigned int iq_tail;
	u32 *iq_status;
	struct {
		u32 gsts;
		u64 rtaddr;
		u32 fectl;
		u64 iqa, iqt;
	} found;
	u64 faults;
};

/**
 * struct lv_vtd_domain - a VM's DMA address space
 * @did: domain id in every unit's context entries
 * @pt: the second-level tables: gpa -> hpa, from the slots
 * @nr_devs: devices assigned to the VM
 * @dma_faults: faults recorded for them
 */
struct lv_vtd_domain {
	u16 did;
	struct lv_slpt pt;
	unsigned int nr_devs;
	atomic64_t dma_faults;
};

/**
 * struct lv_vtd_irq - where an assigned device's interrupt goes (irq.c)
 * @type: LV_DEVICE_IRQ_NONE, _MSI or _INTX
 * @irq: the host interrupt while routed
 * @trigger: the eventfd the handler signals, referenced while routed
 * @lock: orders @masked with the INTx handler
 * @masked: INTx: the handler masked the line, no unmask since
 * @name: the name in /proc/interrupts
 */
struct lv_vtd_irq {
	u8 type;
	int irq;
	struct eventfd_ctx *trigger;
	spinlock_t lock;	/* orders @masked with the INTx handler */
	bool masked;
	char name[32];
};

/**
 * struct lv_vtd_dev - an assigned device
 * @node: entry on the list of assigned devices
 * @vm: the VM it is assigned to
 * @unit: the unit translating its DMA
 * @pdev: the device (referenced)
 * @enabled: we enabled it (pci_enable_device()) for its interrupts
 * @irq: its interrupt routing
 */
struct lv_vtd_dev {
	struct list_head node;
	struct lv_vm *vm;
	struct lv_vtd_unit *unit;
	struct pci_dev *pdev;
	bool enabled;
	struct lv_vtd_irq irq;
};

extern struct mutex lv_vtd_lock;
extern struct list_head lv_vtd_devs;
extern unsigned int lv_vtd_levels;

struct lv_vtd_unit *lv_vtd_unit_of(struct pci_dev *pdev);
bool lv_vtd_in_rmrr(struct pci_dev *pdev, u64 *base, u64 *end);
int lv_vtd_unit_take(struct lv_vtd_unit *u);
int lv_vtd_set_context(struct lv_vtd_unit *u, u8 bus, u8 devfn, u16 did,
		       const struct lv_slpt *pt);
void lv_vtd_flush_iotlb(int did);
void lv_vtd_poll_faults(void);
const char *lv_vtd_bdf(struct pci_dev *pdev, char *buf, size_t len);
void lv_vtd_irq_dev_init(struct lv_vtd_dev *d);
void lv_vtd_irq_release(struct lv_vtd_dev *d);

#endif /* LV_VTD_H */
