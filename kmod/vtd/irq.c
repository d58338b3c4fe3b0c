// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts of assigned devices (LV_SET_DEVICE_IRQ): the host takes the
 * device's interrupt and its handler signals an eventfd of the caller's.
 * The caller registers that eventfd with LV_IRQFD, so the interrupt
 * becomes a guest MSI in the same hard-interrupt context, with no trip
 * through user space.
 *
 * MSI: one vector, allocated by the PCI core with the host's message (the
 * guest's MSI capability is the controller's to emulate); the handler
 * signals.  Turning it off disables MSI in the device.
 *
 * INTx: the line may be shared, so the handler first asks the device
 * whether it is asserting it; if so it masks it with the PCI 2.3
 * Interrupt Disable bit (both in one config access under the PCI core's
 * lock: pci_check_and_mask_intx()) and signals.  The line stays masked
 * until LV_DEVICE_IRQ_UNMASK, sent once the guest has handled the
 * interrupt; if the device still asserts it then, it stays masked and the
 * eventfd is signalled again (level semantics, no interrupt lost).  Turned
 * off (also after MSI, whose teardown unmasks INTx), the line is left
 * masked: no host handler would take it.
 *
 * The device is enabled (pci_enable_device(): it gets its INTx routing)
 * at its first routing and disabled when it is unassigned.
 *
 * Locks: vm->lock, then lv_vtd_lock; the handler takes neither.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "../core/lv.h"
#include "vtd.h"

static void irq_signal(struct eventfd_ctx *ctx)
{
#ifdef LV_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static irqreturn_t msi_handler(int irq, void *arg)
{
	struct lv_vtd_dev *d = arg;

	irq_signal(d->irq.trigger);
	return IRQ_HANDLED;
}

static irqreturn_t intx_handler(int irq, void *arg)
{
	struct lv_vtd_dev *d = arg;
	unsigned long flags;
	bool ours;

	spin_lock_irqsave(&d->irq.lock, flags);
	/*
	 * Masked already: not ours, though its status may still be pending;
	 * else false: another device's interrupt on the shared line
	 */
	ours = !d->irq.masked && pci_check_and_mask_intx(d->pdev);
	if (ours)
		d->irq.masked = true;
	spin_unlock_irqrestore(&d->irq.lock, flags);
	if (!ours)
		return IRQ_NONE;
	irq_signal(d->irq.trigger);
	return IRQ_HANDLED;
}

/* the device of this VM that @r names, or NULL; lv_vtd_lock held */
static struct lv_vtd_dev *find_vm_dev(struct lv_vm *vm,
				      const struct lv_device_irq *r)
{
	struct lv_vtd_dev *d;

	list_for_each_entry(d, &lv_vtd_devs, node)
		if (d->vm == vm && pci_domain_nr(d->pdev->bus) == r->segment &&
		    d->pdev->bus->number == r->bus &&
		    d->pdev->devfn == PCI_DEVFN(r->device, r->function))
			return d;
	return NULL;
}

/*
 * Enable the device once (its INTx routing comes with it); until the
 * first routing succeeds, @d->enabled stays false so that a failure can
 * undo it with dev_undo_enable().
 */
static int dev_enable(struct lv_vtd_dev *d, const char *bdf, u16 *cmd)
{
	int err;

	if (d->enabled)
		return 0;
	pci_read_config_word(d->pdev, PCI_COMMAND, cmd);
	err = pci_enable_device(d->pdev);
	if (err)
		lv_warn("LV_SET_DEVICE_IRQ: %s: cannot enable the device (%d)\n",
			bdf, err);
	return err;
}

/* a failed first routing: disabled again, the command register as found */
static void dev_undo_enable(struct lv_vtd_dev *d, u16 cmd)
{
	if (d->enabled)
		return;
	pci_disable_device(d->pdev);
	pci_write_config_word(d->pdev, PCI_COMMAND, cmd);
}

static int route_msi(struct lv_vtd_dev *d, struct eventfd_ctx *ctx,
		     const char *bdf)
{
	struct pci_dev *pdev = d->pdev;
	int n, irq, err;
	u16 cmd;

	if (!pdev->msi_cap) {
		lv_warn("LV_SET_DEVICE_IRQ: %s has no MSI capability\n", bdf);
		return -EOPNOTSUPP;
	}
	if (pdev->msi_enabled || pdev->msix_enabled) {
		lv_warn("LV_SET_DEVICE_IRQ: %s already has MSI or MSI-X enabled by the host\n",
			bdf);
		return -EBUSY;
	}
	err = dev_enable(d, bdf, &cmd);
	if (err)
		return err;
	n = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (n < 0) {
		lv_warn("LV_SET_DEVICE_IRQ: %s: no MSI vector from the host (%d)\n",
			bdf, n);
		dev_undo_enable(d, cmd);
		return n;
	}
	irq = pci_irq_vector(pdev, 0);
	d->irq.trigger = ctx;
	err = request_irq(irq, msi_handler, 0, d->irq.name, d);
	if (err) {
		lv_warn("LV_SET_DEVICE_IRQ: %s: request_irq(%d) failed (%d)\n",
			bdf, irq, err);
		d->irq.trigger = NULL;
		pci_free_irq_vectors(pdev);
		dev_undo_enable(d, cmd);
		return err;
	}
	d->irq.irq = irq;
	d->irq.type = LV_DEVICE_IRQ_MSI;
	d->enabled = true;
	return 0;
}

static int route_intx(struct lv_vtd_dev *d, struct eventfd_ctx *ctx,
		      const char *bdf)
{
	struct pci_dev *pdev = d->pdev;
	u16 cmd, found;
	int err;

	if (!pdev->pin) {
		lv_warn("LV_SET_DEVICE_IRQ: %s has no INTx pin\n", bdf);
		return -EOPNOTSUPP;
	}
	if (!pci_intx_mask_supported(pdev)) {
		lv_warn("LV_SET_DEVICE_IRQ: %s cannot mask INTx (no PCI 2.3 Interrupt Disable)\n",
			bdf);
		return -EOPNOTSUPP;
	}
	err = dev_enable(d, bdf, &cmd);
	if (err)
		return err;
	if (!pdev->irq) {
		lv_warn("LV_SET_DEVICE_IRQ: %s: the host routed no interrupt to its INTx pin\n",
			bdf);
		dev_undo_enable(d, cmd);
		return -ENXIO;
	}
	/* masked while the handler is installed; then armed */
	pci_read_config_word(pdev, PCI_COMMAND, &found);
	pci_intx(pdev, 0);
	d->irq.trigger = ctx;
	d->irq.masked = true;
	err = request_irq(pdev->irq, intx_handler, IRQF_SHARED, d->irq.name, d);
	if (err) {
		lv_warn("LV_SET_DEVICE_IRQ: %s: request_irq(%d) failed (%d): another user of the line does not share it\n",
			bdf, pdev->irq, err);
		d->irq.trigger = NULL;
		pci_intx(pdev, !(found & PCI_COMMAND_INTX_DISABLE));
		dev_undo_enable(d, cmd);
		return err;
	}
	d->irq.irq = pdev->irq;
	d->irq.type = LV_DEVICE_IRQ_INTX;
	d->enabled = true;
	return 0;
}

/* unmask INTx, or signal again if the device still asserts it */
static void intx_unmask(struct lv_vtd_dev *d)
{
	unsigned long flags;
	bool again = false;

	spin_lock_irqsave(&d->irq.lock, flags);
	if (d->irq.masked) {
		if (pci_check_and_unmask_intx(d->pdev))
			d->irq.masked = false;
		else
			again = true;
	}
	spin_unlock_irqrestore(&d->irq.lock, flags);
	if (again)
		irq_signal(d->irq.trigger);
}

/**
 * lv_vtd_irq_release() - free an assigned device's interrupt routing
 * @d: the device; lv_vtd_lock held
 *
 * MSI is turned off, INTx left masked (after MSI too: no handler would
 * take it); nothing is signalled afterwards.
 */
void lv_vtd_irq_release(struct lv_vtd_dev *d)
{
	if (d->irq.type == LV_DEVICE_IRQ_NONE)
		return;
	if (d->irq.type == LV_DEVICE_IRQ_INTX)
		pci_intx(d->pdev, 0);
	/* waits for a running handler */
	free_irq(d->irq.irq, d);
	if (d->irq.type == LV_DEVICE_IRQ_MSI) {
		pci_free_irq_vectors(d->pdev);
		/* which unmasked INTx, now nobody's interrupt: masked */
		pci_intx(d->pdev, 0);
	}
	eventfd_ctx_put(d->irq.trigger);
	d->irq.trigger = NULL;
	d->irq.type = LV_DEVICE_IRQ_NONE;
	d->irq.irq = 0;
}

/**
 * lv_vtd_irq_dev_init() - a newly assigned device has no routing
 * @d: the device
 */
void lv_vtd_irq_dev_init(struct lv_vtd_dev *d)
{
	d->irq.type = LV_DEVICE_IRQ_NONE;
	spin_lock_init(&d->irq.lock);
	snprintf(d->irq.name, sizeof(d->irq.name), "labvisor-vtd:%04x:%02x:%02x.%u",
		 pci_domain_nr(d->pdev->bus), d->pdev->bus->number,
		 PCI_SLOT(d->pdev->devfn), PCI_FUNC(d->pdev->devfn));
}

static int check_request(const struct lv_device_irq *r)
{
	bool need_fd = r->type != LV_DEVICE_IRQ_NONE &&
		       !(r->flags & LV_DEVICE_IRQ_UNMASK);

	if (r->device > 31 || r->function > 7 || r->padding ||
	    r->reserved[0] || r->reserved[1] || r->reserved[2] ||
	    r->reserved[3] || r->type > LV_DEVICE_IRQ_INTX ||
	    (r->flags & ~LV_DEVICE_IRQ_UNMASK) ||
	    ((r->flags & LV_DEVICE_IRQ_UNMASK) && r->type != LV_DEVICE_IRQ_INTX) ||
	    (!need_fd && r->fd != -1) || (need_fd && r->fd < 0)) {
		lv_warn("LV_SET_DEVICE_IRQ: invalid request for %04x:%02x:%02x.%u (type %u flags 0x%x fd %d; padding and reserved must be 0)\n",
			r->segment, r->bus, r->device, r->function, r->type,
			r->flags, r->fd);
		return -EINVAL;
	}
	return 0;
}

/**
 * lv_vtd_irq_ioctl() - LV_SET_DEVICE_IRQ
 * @vm: the VM
 * @argp: struct lv_device_irq
 *
 * Return: 0; -EFAULT; -EINVAL for bad fields, an @fd that is no eventfd,
 * LV_DEVICE_IRQ_UNMASK without an INTx routing; -EBADF: @fd is not
 * open; -ENOENT: the device is not assigned to this VM; -EBUSY: it is
 * routed already (or the host has its MSI on); -EOPNOTSUPP: it lacks
 * MSI, an INTx pin or INTx masking; -ENXIO: no host interrupt on its pin; -ENOSPC,
 * -ENOMEM or another errno of the PCI core or request_irq().
 */
long lv_vtd_irq_ioctl(struct lv_vm *vm, void __user *argp)
{
	struct eventfd_ctx *ctx = NULL;
	struct lv_device_irq r;
	struct lv_vtd_dev *d;
	char bdf[16];
	int err;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	err = check_request(&r);
	if (err)
		return err;
	if (r.fd >= 0) {
		ctx = eventfd_ctx_fdget(r.fd);
		if (IS_ERR(ctx)) {
			err = PTR_ERR(ctx);
			lv_warn("LV_SET_DEVICE_IRQ: fd %d is %s\n", r.fd,
				err == -EBADF ? "not open" : "not an eventfd");
			return err;
		}
	}
	mutex_lock(&vm->lock);
	mutex_lock(&lv_vtd_lock);
	d = find_vm_dev(vm, &r);
	if (!d) {
		lv_warn("LV_SET_DEVICE_IRQ: %04x:%02x:%02x.%u is not assigned to this VM\n",
			r.segment, r.bus, r.device, r.function);
		err = -ENOENT;
		goto out;
	}
	lv_vtd_bdf(d->pdev, bdf, sizeof(bdf));
	if (r.type == LV_DEVICE_IRQ_NONE) {
		lv_vtd_irq_release(d);
		goto out;
	}
	if (r.flags & LV_DEVICE_IRQ_UNMASK) {
		if (d->irq.type != LV_DEVICE_IRQ_INTX) {
			lv_warn("LV_SET_DEVICE_IRQ: unmask: %s has no INTx routing\n",
				bdf);
			err = -EINVAL;
			goto out;
		}
		intx_unmask(d);
		goto out;
	}
	if (d->irq.type != LV_DEVICE_IRQ_NONE) {
		lv_warn("LV_SET_DEVICE_IRQ: %s already routes its %s: tear it down first\n",
			bdf, d->irq.type == LV_DEVICE_IRQ_MSI ? "MSI" : "INTx");
		err = -EBUSY;
		goto out;
	}
	if (r.type == LV_DEVICE_IRQ_MSI) {
		err = route_msi(d, ctx, bdf);
	} else {
		err = route_intx(d, ctx, bdf);
		if (!err)
			intx_unmask(d);
	}
	if (!err)
		ctx = NULL;	/* the routing holds it */
out:
	mutex_unlock(&lv_vtd_lock);
	mutex_unlock(&vm->lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	return err;
}
