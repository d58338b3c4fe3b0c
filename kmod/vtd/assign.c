// SPDX-License-Identifier: GPL-2.0
/*
 * Device assignment: a VM's DMA domain and the devices in it.
 *
 * A VM gets a domain at its first LV_ASSIGN_DEVICE: a domain id and
 * second-level tables that map every memory slot (I/O virtual address =
 * guest physical address; read-only slots are mapped read-only).  The
 * tables follow the slots (lv_vtd_slot_map/unmap, called by memory.c under
 * vm->lock) until the VM goes.  An assigned device's context entry points
 * at the domain; on LV_UNASSIGN_DEVICE and VM teardown it points at the
 * blocking domain (an empty table: every DMA faults, nothing is written)
 * and stays there until the module is unloaded.
 *
 * While assigned, the device's driver_override is "labvisor", so no host
 * driver binds to it; it is cleared again on unassign (an override set
 * before the assignment is not restored).
 *
 * Locks: vm->lock, then lv_vtd_lock, then the device's lock (which
 * driver_set_override() takes itself).  Unassigning frees the device's
 * interrupt routing (irq.c) first.
 */
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../core/lv.h"
#include "vtd.h"

#define OVERRIDE	"labvisor"

static DECLARE_BITMAP(dids, LV_VTD_MAX_DID);

/* the driver a device may bind to: @name, or any ("") */
static int set_override(struct pci_dev *pdev, const char *name)
{
#ifdef LV_DEVICE_DRIVER_OVERRIDE
	return device_set_driver_override(&pdev->dev, name);
#else
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
#endif
}

static int did_alloc(void)
{
	unsigned long did = find_next_zero_bit(dids, LV_VTD_MAX_DID,
					       LV_VTD_DID_FIRST_VM);

	if (did >= LV_VTD_MAX_DID)
		return -ENOSPC;
	__set_bit(did, dids);
	return did;
}

static int slot_pt_map(struct lv_vtd_domain *dom, struct lv_slot *s)
{
	u64 prot = LV_SL_R | (s->flags & LV_MEM_READONLY ? 0 : LV_SL_W);
	unsigned long *pfns;
	u64 i;
	int err;

	if (s->gpa >= lv_slpt_max_iova(&dom->pt) ||
	    s->npages > (lv_slpt_max_iova(&dom->pt) - s->gpa) >> PAGE_SHIFT) {
		lv_warn("vtd: slot %u (gpa 0x%llx, %llu pages) lies beyond the %u-bit DMA address width\n",
			s->id, s->gpa, s->npages, 12 + 9 * dom->pt.levels);
		return -ERANGE;
	}
	pfns = kvmalloc_array(s->npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < s->npages; i++)
		pfns[i] = page_to_pfn(s->pages[i]);
	err = lv_slpt_map(&dom->pt, s->gpa, pfns, s->npages, prot);
	kvfree(pfns);
	if (err)
		lv_slpt_unmap(&dom->pt, s->gpa, s->npages);
	return err;
}

static void domain_free(struct lv_vtd_domain *dom)
{
	lv_slpt_destroy(&dom->pt);
	__clear_bit(dom->did, dids);
	kfree(dom);
}

/* a domain mapping every slot of @vm; vm->lock and lv_vtd_lock held */
static int domain_create(struct lv_vm *vm)
{
	struct lv_memslots *slots;
	struct lv_vtd_domain *dom;
	int did, i, err;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return -ENOMEM;
	did = did_alloc();
	if (did < 0) {
		kfree(dom);
		lv_warn("LV_ASSIGN_DEVICE: all %d DMA domain ids are in use\n",
			LV_VTD_MAX_DID - LV_VTD_DID_FIRST_VM);
		return -ENOSPC;
	}
	dom->did = did;
	atomic64_set(&dom->dma_faults, 0);
	/* a non-snooping unit reads the tables from memory: write them back */
	err = lv_slpt_init(&dom->pt, lv_vtd_levels, true);
	if (err) {
		__clear_bit(did, dids);
		kfree(dom);
		return err;
	}
	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	for (i = 0; i < slots->nr; i++) {
		err = slot_pt_map(dom, slots->slot[i]);
		if (err) {
			domain_free(dom);
			return err;
		}
	}
	vm->vtd = dom;
	return 0;
}

static struct lv_vtd_dev *find_dev(struct pci_dev *pdev)
{
	struct lv_vtd_dev *d;

	list_for_each_entry(d, &lv_vtd_devs, node)
		if (d->pdev == pdev)
			return d;
	return NULL;
}

/*
 * The IOMMU sees the device's own requester id: no alias quirk, and only
 * PCIe links up to the root bus (a PCIe-to-PCI bridge, or a conventional
 * PCI bridge, would take the DMA over under its own id).
 */
static bool own_requester_id(struct pci_dev *pdev)
{
	struct pci_dev *p = pdev;

	if (pdev->dma_alias_mask)
		return false;
	while (!pci_is_root_bus(p->bus)) {
		struct pci_dev *bridge = pci_upstream_bridge(p);

		if (!bridge || !pci_is_pcie(p) || !pci_is_pcie(bridge) ||
		    pci_pcie_type(bridge) == PCI_EXP_TYPE_PCI_BRIDGE)
			return false;
		p = bridge;
	}
	return true;
}

static int copy_bdf(struct lv_assign_device *a, void __user *argp,
		    const char *what)
{
	if (copy_from_user(a, argp, sizeof(*a)))
		return -EFAULT;
	if (a->device > 31 || a->function > 7 || a->flags || a->padding[0] ||
	    a->padding[1] || a->padding[2] || a->reserved[0] ||
	    a->reserved[1] || a->reserved[2]) {
		lv_warn("%s: invalid device %04x:%02x:%02x.%u (flags 0x%x; padding and reserved must be 0)\n",
			what, a->segment, a->bus, a->device, a->function, a->flags);
		return -EINVAL;
	}
	return 0;
}

/* why @pdev cannot be assigned, as an errno with one message; lv_vtd_lock held */
static int check_dev(struct lv_vm *vm, struct pci_dev *pdev,
		     struct lv_vtd_unit **unit)
{
	struct lv_vtd_dev *d;
	char bdf[16];
	u64 base, end;

	lv_vtd_bdf(pdev, bdf, sizeof(bdf));
	*unit = lv_vtd_unit_of(pdev);
	if (!*unit) {
		lv_warn("LV_ASSIGN_DEVICE: %s: no VT-d unit translates its DMA (no DMAR table, or not in its scope)\n",
			bdf);
		return -ENXIO;
	}
	if ((*unit)->unusable || device_iommu_mapped(&pdev->dev)) {
		lv_warn("LV_ASSIGN_DEVICE: %s: its VT-d unit at 0x%llx is not labvisor's: %s\n",
			bdf, (*unit)->dmar->base,
			(*unit)->unusable ?: "Linux's IOMMU driver manages the device");
		return -EACCES;
	}
	if (lv_vtd_in_rmrr(pdev, &base, &end)) {
		lv_warn("LV_ASSIGN_DEVICE: %s: firmware reserves memory 0x%llx-0x%llx for its DMA (RMRR): not assignable\n",
			bdf, base, end);
		return -EPERM;
	}
	if (!own_requester_id(pdev)) {
		lv_warn("LV_ASSIGN_DEVICE: %s: its DMA carries another requester id (behind a PCI bridge): not assignable\n",
			bdf);
		return -EOPNOTSUPP;
	}
	d = find_dev(pdev);
	if (d) {
		lv_warn("LV_ASSIGN_DEVICE: %s is already assigned to %s VM\n",
			bdf, d->vm == vm ? "this" : "another");
		return -EEXIST;
	}
	return 0;
}

/**
 * lv_vtd_assign_ioctl() - LV_ASSIGN_DEVICE
 * @vm: the VM
 * @argp: struct lv_assign_device
 *
 * Return: 0; -EFAULT; -EINVAL for bad fields; -ENODEV: no such device;
 * -ENXIO: no VT-d unit translates it; -EACCES: its unit is Linux's;
 * -EPERM: an RMRR names it; -EOPNOTSUPP: its DMA has another requester id;
 * -EEXIST: already assigned; -EBUSY: a host driver is bound to it;
 * -ERANGE: a slot lies beyond the DMA address width; -ENOSPC: no domain
 * id left; -ENOMEM; -EIO: the unit did not respond.
 */
long lv_vtd_assign_ioctl(struct lv_vm *vm, void __user *argp)
{
	struct lv_vtd_unit *unit;
	struct lv_assign_device a;
	struct lv_vtd_dev *d;
	struct pci_dev *pdev;
	bool new_dom = false;
	char bdf[16];
	int err;

	err = copy_bdf(&a, argp, "LV_ASSIGN_DEVICE");
	if (err)
		return err;
	pdev = pci_get_domain_bus_and_slot(a.segment, a.bus,
					   PCI_DEVFN(a.device, a.function));
	if (!pdev) {
		lv_warn("LV_ASSIGN_DEVICE: no PCI device %04x:%02x:%02x.%u\n",
			a.segment, a.bus, a.device, a.function);
		return -ENODEV;
	}
	lv_vtd_bdf(pdev, bdf, sizeof(bdf));
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	mutex_lock(&vm->lock);
	mutex_lock(&lv_vtd_lock);
	err = check_dev(vm, pdev, &unit);
	if (err)
		goto out;

	/* from here on no host driver binds; then none may be bound now */
	err = set_override(pdev, OVERRIDE);
	if (err)
		goto out;
	device_lock(&pdev->dev);
	if (pdev->dev.driver) {
		lv_warn("LV_ASSIGN_DEVICE: %s is bound to the host driver %s: unbind it first\n",
			bdf, pdev->dev.driver->name);
		err = -EBUSY;
	}
	device_unlock(&pdev->dev);
	if (err)
		goto out_override;
	if (!vm->vtd) {
		err = domain_create(vm);
		if (err)
			goto out_override;
		new_dom = true;
	}
	err = lv_vtd_unit_take(unit);
	if (err) {
		lv_warn("LV_ASSIGN_DEVICE: %s: cannot take its VT-d unit at 0x%llx\n",
			bdf, unit->dmar->base);
		goto out_domain;
	}
	/* faults of its blocked past are nobody's: read them out first */
	lv_vtd_poll_faults();
	err = lv_vtd_set_context(unit, pdev->bus->number, pdev->devfn,
				 vm->vtd->did, &vm->vtd->pt);
	if (err) {
		/* its DMA stays blocked */
		lv_vtd_set_context(unit, pdev->bus->number, pdev->devfn,
				   LV_VTD_DID_BLOCK, NULL);
		goto out_domain;
	}
	d->vm = vm;
	d->unit = unit;
	d->pdev = pdev;
	lv_vtd_irq_dev_init(d);
	list_add(&d->node, &lv_vtd_devs);
	vm->vtd->nr_devs++;
	mutex_unlock(&lv_vtd_lock);
	mutex_unlock(&vm->lock);
	pr_info("labvisor: vtd: %s assigned to a VM (domain %u)\n", bdf,
		vm->vtd->did);
	return 0;

out_domain:
	if (new_dom) {
		domain_free(vm->vtd);
		vm->vtd = NULL;
	}
out_override:
	set_override(pdev, "");
out:
	mutex_unlock(&lv_vtd_lock);
	mutex_unlock(&vm->lock);
	kfree(d);
	pci_dev_put(pdev);
	return err;
}

/* into the blocking domain, and forgotten; lv_vtd_lock held */
static void dev_release(struct lv_vtd_dev *d)
{
	struct pci_dev *pdev = d->pdev;
	char bdf[16];

	lv_vtd_bdf(pdev, bdf, sizeof(bdf));
	/* no interrupt of it reaches the VM's eventfd any more */
	lv_vtd_irq_release(d);
	if (lv_vtd_set_context(d->unit, pdev->bus->number, pdev->devfn,
			       LV_VTD_DID_BLOCK, NULL))
		pr_err("labvisor: vtd: %s: the unit did not confirm blocking its DMA\n",
		       bdf);
	/* its last faults still count for the VM */
	lv_vtd_poll_faults();
	list_del(&d->node);
	d->vm->vtd->nr_devs--;
	/* enabled for its interrupts: bus mastering goes off with it */
	if (d->enabled)
		pci_disable_device(pdev);
	set_override(pdev, "");
	pr_info("labvisor: vtd: %s unassigned: its DMA is blocked\n", bdf);
	pci_dev_put(pdev);
	kfree(d);
}

/**
 * lv_vtd_unassign_ioctl() - LV_UNASSIGN_DEVICE
 * @vm: the VM
 * @argp: struct lv_assign_device
 *
 * Return: 0; -EFAULT; -EINVAL for bad fields; -ENOENT if the device is not
 * assigned to this VM.
 */
long lv_vtd_unassign_ioctl(struct lv_vm *vm, void __user *argp)
{
	struct lv_assign_device a;
	struct lv_vtd_dev *d;
	int err;

	err = copy_bdf(&a, argp, "LV_UNASSIGN_DEVICE");
	if (err)
		return err;
	mutex_lock(&vm->lock);
	mutex_lock(&lv_vtd_lock);
	err = -ENOENT;
	list_for_each_entry(d, &lv_vtd_devs, node) {
		if (d->vm == vm && pci_domain_nr(d->pdev->bus) == a.segment &&
		    d->pdev->bus->number == a.bus &&
		    d->pdev->devfn == PCI_DEVFN(a.device, a.function)) {
			dev_release(d);
			err = 0;
			break;
		}
	}
	mutex_unlock(&lv_vtd_lock);
	mutex_unlock(&vm->lock);
	if (err)
		lv_warn("LV_UNASSIGN_DEVICE: %04x:%02x:%02x.%u is not assigned to this VM\n",
			a.segment, a.bus, a.device, a.function);
	return err;
}

/**
 * lv_vtd_slot_map() - map a new slot into the VM's DMA domain
 * @vm: the VM; vm->lock held
 * @slot: the slot, pinned
 *
 * Return: 0 (also without a domain), -ERANGE if the slot lies beyond the
 * DMA address width, -ENOMEM.  On failure nothing of the slot is mapped.
 */
int lv_vtd_slot_map(struct lv_vm *vm, struct lv_slot *slot)
{
	int err;

	if (!vm->vtd)
		return 0;
	mutex_lock(&lv_vtd_lock);
	err = slot_pt_map(vm->vtd, slot);
	/* caching-mode units cache not-present entries too */
	lv_vtd_flush_iotlb(vm->vtd->did);
	mutex_unlock(&lv_vtd_lock);
	return err;
}

/**
 * lv_vtd_slot_unmap() - remove a slot from the VM's DMA domain
 * @vm: the VM; vm->lock held
 * @slot: the slot, still pinned
 *
 * When it returns, no device can reach the slot's pages any more (the
 * IOTLB was invalidated), so the caller may unpin them.
 */
void lv_vtd_slot_unmap(struct lv_vm *vm, struct lv_slot *slot)
{
	if (!vm->vtd)
		return;
	mutex_lock(&lv_vtd_lock);
	lv_slpt_unmap(&vm->vtd->pt, slot->gpa, slot->npages);
	lv_vtd_flush_iotlb(vm->vtd->did);
	mutex_unlock(&lv_vtd_lock);
}

/**
 * lv_vtd_vm_destroy() - block every device of a dying VM, free its domain
 * @vm: the VM, before its slots are unpinned
 */
void lv_vtd_vm_destroy(struct lv_vm *vm)
{
	struct lv_vtd_dev *d, *tmp;

	if (!vm->vtd)
		return;
	mutex_lock(&lv_vtd_lock);
	list_for_each_entry_safe(d, tmp, &lv_vtd_devs, node)
		if (d->vm == vm)
			dev_release(d);
	/* no context entry names the domain: nothing can walk its tables */
	lv_vtd_flush_iotlb(vm->vtd->did);
	domain_free(vm->vtd);
	vm->vtd = NULL;
	mutex_unlock(&lv_vtd_lock);
}

/**
 * lv_vtd_vm_stats() - the VM's DMA fault and device counts
 * @vm: the VM
 * @st: @st->dma_faults and @st->assigned_devices are filled in
 *
 * Reads the fault logs first, so every fault recorded so far is counted.
 */
void lv_vtd_vm_stats(struct lv_vm *vm, struct lv_vm_stats *st)
{
	mutex_lock(&vm->lock);
	mutex_lock(&lv_vtd_lock);
	lv_vtd_poll_faults();
	if (vm->vtd) {
		st->dma_faults = atomic64_read(&vm->vtd->dma_faults);
		st->assigned_devices = vm->vtd->nr_devs;
	}
	mutex_unlock(&lv_vtd_lock);
	mutex_unlock(&vm->lock);
}
