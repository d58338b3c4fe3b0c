// SPDX-License-Identifier: GPL-2.0
/*
 * PCI host bridge on configuration mechanism #1, bus 0.  Each device has a
 * 256-byte configuration space with a write mask (read-only fields keep
 * their value), memory BARs that follow the guest's programming and the
 * command register's memory-decoding bit on the MMIO bus, and MSI-X.
 * There is no INTx: the interrupt pin is 0 everywhere.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "accel.h"
#include "devices.h"
#include "pci.h"

#define PCI_CFG_ENABLE		0x80000000u
#define PCI_MSIX_ENTRY_SIZE	16

/* the guest physical address space lvctl lets a BAR decode */
#define PCI_BAR_ADDR_LIMIT	(1ULL << 52)

/* the command bits we implement; I/O space and INTx have no meaning here */
#define PCI_COMMAND_WMASK	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
				 PCI_COMMAND_INTX_DISABLE)

static u32 cfg_get(const struct pci_dev *dev, unsigned int off, unsigned int len)
{
	return (u32)le_load(dev->cfg + off, len);
}

static void cfg_set(struct pci_dev *dev, unsigned int off, unsigned int len,
		    u32 v)
{
	le_store(dev->cfg + off, len, v);
}

static void wmask_set(struct pci_dev *dev, unsigned int off, unsigned int len,
		      u32 v)
{
	le_store(dev->wmask + off, len, v);
}

void pci_dev_init(struct pci_dev *dev, struct vm *vm, const char *name,
		  u16 vendor, u16 device, u8 revision, u32 class_code,
		  u16 subsys_vendor, u16 subsys_id)
{
	int i;

	memset(dev, 0, sizeof(*dev));
	dev->vm = vm;
	dev->name = name;
	dev->slot = -1;
	dev->msix_bar = -1;
	pthread_mutex_init(&dev->msix_lock, NULL);
	for (i = 0; i < PCI_MSIX_MAX_VECTORS; i++)
		dev->msix[i].efd = -1;
	for (i = 0; i < PCI_NR_BARS; i++) {
		dev->bars[i].dev = dev;
		dev->bars[i].index = i;
	}
	cfg_set(dev, PCI_VENDOR_ID, 2, vendor);
	cfg_set(dev, PCI_DEVICE_ID, 2, device);
	cfg_set(dev, PCI_REVISION_ID, 1, revision);
	cfg_set(dev, PCI_CLASS_PROG, 1, class_code & 0xff);
	cfg_set(dev, PCI_CLASS_DEVICE, 2, class_code >> 8);
	cfg_set(dev, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	cfg_set(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	cfg_set(dev, PCI_SUBSYSTEM_ID, 2, subsys_id);
	cfg_set(dev, PCI_INTERRUPT_PIN, 1, 0);
	wmask_set(dev, PCI_COMMAND, 2, PCI_COMMAND_WMASK);
	wmask_set(dev, PCI_CACHE_LINE_SIZE, 1, 0xff);
	wmask_set(dev, PCI_INTERRUPT_LINE, 1, 0xff);
	dev->next_cap = 0x40;
}

int pci_add_bar(struct pci_dev *dev, int bar, u64 size, bool is64,
		pci_bar_access_fn access)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	struct pci_bar *b;

	if (bar < 0 || bar + (is64 ? 1 : 0) >= PCI_NR_BARS || size < 16 ||
	    (size & (size - 1)) || size > (1ULL << 31) || !access ||
	    dev->bars[bar].size || dev->bars[bar].upper ||
	    (is64 && dev->bars[bar + 1].size)) {
		pr_err("pci: %s: bad BAR %d", dev->name, bar);
		return -1;
	}
	b = &dev->bars[bar];
	b->size = size;
	b->is64 = is64;
	b->access = access;
	cfg_set(dev, off, 4, is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0);
	/* sizing: the low bits below the size stay 0 */
	wmask_set(dev, off, 4, (u32)~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK);
	if (is64) {
		wmask_set(dev, off + 4, 4, 0xffffffff);
		dev->bars[bar + 1].upper = true;
	}
	return 0;
}

u8 pci_add_cap(struct pci_dev *dev, u8 id, u8 len)
{
	unsigned int off = dev->next_cap;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return 0;
	dev->next_cap = (off + len + 3) & ~3u;
	dev->cfg[off] = id;
	dev->cfg[off + 1] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + 1] = off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = off;
	dev->last_cap = off;
	cfg_set(dev, PCI_STATUS, 2,
		cfg_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	return off;
}

int pci_add_msix(struct pci_dev *dev, u16 nr_vectors, int bar,
		 u64 table_off, u64 pba_off)
{
	struct pci_bar *b = &dev->bars[bar];
	u16 i;
	u8 cap;

	if (!nr_vectors || nr_vectors > PCI_MSIX_MAX_VECTORS || bar < 0 ||
	    bar >= PCI_NR_BARS || !b->size || (table_off & 7) || (pba_off & 7) ||
	    table_off + nr_vectors * PCI_MSIX_ENTRY_SIZE > b->size ||
	    pba_off < table_off + nr_vectors * PCI_MSIX_ENTRY_SIZE ||
	    pba_off + 8 > b->size) {
		pr_err("pci: %s: bad MSI-X layout", dev->name);
		return -1;
	}
	cap = pci_add_cap(dev, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (!cap)
		return -1;
	for (i = 0; i < nr_vectors; i++) {
		dev->msix[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->msix[i].efd < 0) {
			pr_err("pci: %s: eventfd: %s", dev->name,
			       strerror(errno));
			return -1;
		}
		dev->msix[i].entry[3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	dev->msix_cap = cap;
	dev->msix_nr = nr_vectors;
	dev->msix_bar = bar;
	dev->msix_table_off = table_off;
	dev->msix_pba_off = pba_off;
	cfg_set(dev, cap + PCI_MSIX_FLAGS, 2, nr_vectors - 1);
	wmask_set(dev, cap + PCI_MSIX_FLAGS, 2,
		  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	cfg_set(dev, cap + PCI_MSIX_TABLE, 4, (u32)table_off | bar);
	cfg_set(dev, cap + PCI_MSIX_PBA, 4, (u32)pba_off | bar);
	return 0;
}

/* ---- BARs on the MMIO bus ---- */

static u64 bar_programmed(struct pci_dev *dev, int bar)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	u64 addr = cfg_get(dev, off, 4) & PCI_BASE_ADDRESS_MEM_MASK;

	if (dev->bars[bar].is64)
		addr |= (u64)cfg_get(dev, off + 4, 4) << 32;
	return addr;
}

u64 pci_bar_addr(struct pci_dev *dev, int bar)
{
	u64 addr;

	pthread_mutex_lock(&dev->pci->lock);
	addr = dev->bars[bar].mapped ? dev->bars[bar].mapped_addr : 0;
	pthread_mutex_unlock(&dev->pci->lock);
	return addr;
}

static void msix_access(struct pci_dev *dev, u64 off, u8 *data, u32 len,
			bool is_write);

void pci_bar_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
		    u32 len, bool is_write)
{
	struct pci_bar *b = &dev->bars[bar];

	if (off >= b->size || len > b->size - off) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (b->index == dev->msix_bar &&
	    ((off >= dev->msix_table_off &&
	      off < dev->msix_table_off + dev->msix_nr * PCI_MSIX_ENTRY_SIZE) ||
	     (off >= dev->msix_pba_off && off < dev->msix_pba_off + 8))) {
		msix_access(dev, off, data, len, is_write);
		return;
	}
	b->access(dev, b->index, off, data, len, is_write);
}

static void pci_bar_mmio(void *opaque, u64 gpa, u8 *data, u32 len,
			 bool is_write)
{
	struct pci_bar *b = opaque;
	u64 base = __atomic_load_n(&b->mapped_addr, __ATOMIC_ACQUIRE);

	/* after a racing BAR move the offset is out of range: missed */
	pci_bar_access(b->dev, b->index, gpa - base, data, len, is_write);
}

/*
 * Make the MMIO bus match the BARs and the memory-decoding bit.  A BAR the
 * guest points at something else (another BAR, the IOAPIC) does not decode
 * until it is moved away, as two devices claiming one address is undefined.
 */
static void pci_update_bars(struct pci_dev *dev)
{
	struct bus *bus = &dev->vm->mmio_bus;
	bool decode = cfg_get(dev, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
	int i;

	for (i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		u64 addr = bar_programmed(dev, i);
		bool want = decode && b->size && addr &&
			    addr < PCI_BAR_ADDR_LIMIT;
		bool changed = false;

		if (b->mapped && (!want || addr != b->mapped_addr)) {
			bus_unregister(bus, b->mapped_addr, b);
			__atomic_store_n(&b->mapped, false, __ATOMIC_RELEASE);
			changed = true;
		}
		if (want && !b->mapped) {
			__atomic_store_n(&b->mapped_addr, addr,
					 __ATOMIC_RELEASE);
			if (!bus_register(bus, addr, b->size, pci_bar_mmio, b,
					  dev->name))
				__atomic_store_n(&b->mapped, true,
						 __ATOMIC_RELEASE);
			changed = true;
		}
		if (changed && dev->bar_changed)
			dev->bar_changed(dev, i);
	}
}

static int pci_place_bars(struct pci *pci, struct pci_dev *dev)
{
	int i;

	for (i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &dev->bars[i];
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		u64 addr;

		if (!b->size)
			continue;
		addr = (pci->mmio_next + b->size - 1) & ~(b->size - 1);
		if (addr + b->size > PCI_MMIO_END) {
			pr_err("pci: %s: the PCI MMIO window is full", dev->name);
			return -1;
		}
		pci->mmio_next = addr + b->size;
		cfg_set(dev, off, 4, (cfg_get(dev, off, 4) & 0xf) | (u32)addr);
		if (b->is64)
			cfg_set(dev, off + 4, 4, addr >> 32);
	}
	return 0;
}

int pci_register_dev(struct pci *pci, struct pci_dev *dev)
{
	int slot, ret = -1;

	pthread_mutex_lock(&pci->lock);
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++)
		if (!pci->devs[slot])
			break;
	if (slot == PCI_MAX_SLOTS) {
		pr_err("pci: %s: no free slot on bus 0", dev->name);
		goto out;
	}
	dev->pci = pci;
	if (pci_place_bars(pci, dev))
		goto out;
	dev->slot = slot;
	pci->devs[slot] = dev;
	/* firmware leaves memory decoding on for the BARs it placed */
	cfg_set(dev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	pci_update_bars(dev);
	ret = 0;
out:
	pthread_mutex_unlock(&pci->lock);
	return ret;
}

/* ---- MSI-X ---- */


/* msix_lock held */
static void msix_deliver(struct pci_dev *dev, struct pci_msix_vector *v)
{
	const struct accel_ops *ops = dev->vm->ops;
	u64 addr = v->entry[0] | ((u64)v->entry[1] << 32);
	u32 data = v->entry[2];
	u64 one = 1;

	if (ops->irqfd && !dev->irqfd_failed) {
		if (v->irqfd_on && (v->irqfd_addr != addr ||
				    v->irqfd_data != data)) {
			ops->irqfd(dev->vm, v->efd, v->irqfd_addr,
				   v->irqfd_data, false);
			v->irqfd_on = false;
		}
		if (!v->irqfd_on) {
			if (!ops->irqfd(dev->vm, v->efd, addr, data, true)) {
				v->irqfd_on = true;
				v->irqfd_addr = addr;
				v->irqfd_data = data;
			} else {
				dev->irqfd_failed = true;
			}
		}
		if (v->irqfd_on && write(v->efd, &one, sizeof(one)) ==
		    sizeof(one)) {
			dev->irqs_sent++;
			return;
		}
	}
	if (ops->signal_msi && !ops->signal_msi(dev->vm, addr, data))
		dev->irqs_sent++;
	else
		dev->irqs_lost++;
}

/*
 * The message control word lives in config space (PCI lock); the table,
 * the PBA and delivery under msix_lock.  @ctrl is passed in so that a
 * config write can act on the value it just stored.
 */
static void msix_notify_locked(struct pci_dev *dev, u16 vector, u16 ctrl)
{
	struct pci_msix_vector *v = &dev->msix[vector];

	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE)) {
		dev->irqs_lost++;	/* no INTx to fall back on */
		return;
	}
	if ((ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	    (v->entry[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
		dev->msix_pba |= 1u << vector;
		return;
	}
	msix_deliver(dev, v);
}

static u16 msix_ctrl(struct pci_dev *dev)
{
	return __atomic_load_n((u16 *)(dev->cfg + dev->msix_cap +
				       PCI_MSIX_FLAGS), __ATOMIC_ACQUIRE);
}

/* lock-free: device threads ask while a vCPU may hold the PCI lock */
bool pci_msix_enabled(struct pci_dev *dev)
{
	return dev->msix_cap && (msix_ctrl(dev) & PCI_MSIX_FLAGS_ENABLE);
}

void pci_msix_notify(struct pci_dev *dev, u16 vector)
{
	if (!dev->msix_cap || vector >= dev->msix_nr) {
		dev->irqs_lost++;
		return;
	}
	pthread_mutex_lock(&dev->msix_lock);
	msix_notify_locked(dev, vector, msix_ctrl(dev));
	pthread_mutex_unlock(&dev->msix_lock);
}

/* msix_lock held: deliver the pending vectors that are unmasked now */
static void msix_flush_pending(struct pci_dev *dev, u16 ctrl)
{
	u16 i;

	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE) || (ctrl & PCI_MSIX_FLAGS_MASKALL))
		return;
	for (i = 0; i < dev->msix_nr; i++) {
		struct pci_msix_vector *v = &dev->msix[i];

		if (!(dev->msix_pba & (1u << i)) ||
		    (v->entry[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT))
			continue;
		dev->msix_pba &= ~(1u << i);
		msix_deliver(dev, v);
	}
}

static void msix_access(struct pci_dev *dev, u64 off, u8 *data, u32 len,
			bool is_write)
{
	u32 i;

	pthread_mutex_lock(&dev->msix_lock);
	if (off >= dev->msix_pba_off) {
		/* the PBA is read-only */
		if (!is_write)
			for (i = 0; i < len; i++) {
				u64 b = off - dev->msix_pba_off + i;

				data[i] = b < 4 ? dev->msix_pba >> (8 * b) : 0;
			}
		pthread_mutex_unlock(&dev->msix_lock);
		return;
	}
	for (i = 0; i < len; i++) {
		u64 t = off - dev->msix_table_off + i;
		u32 vec = t / PCI_MSIX_ENTRY_SIZE;
		u8 *bytes;

		if (vec >= dev->msix_nr) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		bytes = (u8 *)dev->msix[vec].entry;
		t %= PCI_MSIX_ENTRY_SIZE;
		if (!is_write) {
			data[i] = bytes[t];
			continue;
		}
		/* vector control: only the mask bit is writable */
		if (t >= PCI_MSIX_ENTRY_VECTOR_CTRL)
			bytes[t] = t == PCI_MSIX_ENTRY_VECTOR_CTRL ?
				   (data[i] & PCI_MSIX_ENTRY_CTRL_MASKBIT) : 0;
		else
			bytes[t] = data[i];
	}
	if (is_write)
		msix_flush_pending(dev, msix_ctrl(dev));
	pthread_mutex_unlock(&dev->msix_lock);
}

/* ---- configuration space ---- */

static bool ranges_touch(unsigned int off, u32 len, unsigned int start,
			 unsigned int size)
{
	return off < start + size && start < off + len;
}

static void pci_cfg_read(struct pci_dev *dev, unsigned int off, u8 *data,
			 u32 len)
{
	if (dev->cfg_hook &&
	    ranges_touch(off, len, dev->cfg_hook_off, dev->cfg_hook_len))
		dev->cfg_hook(dev, false);
	memcpy(data, dev->cfg + off, len);
}

static void pci_cfg_write(struct pci_dev *dev, unsigned int off,
			  const u8 *data, u32 len)
{
	u32 i;

	if (dev->msix_cap)
		pthread_mutex_lock(&dev->msix_lock);
	for (i = 0; i < len; i++) {
		u8 m = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (data[i] & m);
	}
	if (dev->msix_cap && ranges_touch(off, len, dev->msix_cap + PCI_MSIX_FLAGS, 2))
		msix_flush_pending(dev, msix_ctrl(dev));
	if (dev->msix_cap)
		pthread_mutex_unlock(&dev->msix_lock);
	if (ranges_touch(off, len, PCI_COMMAND, 2) ||
	    ranges_touch(off, len, PCI_BASE_ADDRESS_0, 4 * PCI_NR_BARS))
		pci_update_bars(dev);
	if (dev->cfg_hook &&
	    ranges_touch(off, len, dev->cfg_hook_off, dev->cfg_hook_len))
		dev->cfg_hook(dev, true);
}

static struct pci_dev *pci_addressed(struct pci *pci, unsigned int *reg)
{
	u32 a = pci->conf1_addr;
	unsigned int bus = (a >> 16) & 0xff;
	unsigned int slot = (a >> 11) & 0x1f;
	unsigned int fn = (a >> 8) & 7;

	if (!(a & PCI_CFG_ENABLE) || bus || fn)
		return NULL;
	*reg = a & 0xfc;
	return pci->devs[slot];
}

void pci_conf1_data_access(void *opaque, u64 port, u8 *data, u32 len,
			   bool is_write)
{
	struct pci *pci = opaque;
	unsigned int byte = (port - PCI_CONF1_DATA_PORT) & 3;
	struct pci_dev *dev;
	unsigned int reg;

	/* an access may not cross the dword the data port shows */
	if (len > 4 - byte)
		len = 4 - byte;
	pthread_mutex_lock(&pci->lock);
	dev = pci_addressed(pci, &reg);
	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
	} else if (is_write) {
		pci_cfg_write(dev, reg + byte, data, len);
	} else {
		pci_cfg_read(dev, reg + byte, data, len);
	}
	pthread_mutex_unlock(&pci->lock);
}

/*
 * The address register answers dword accesses only.  Linux's type-1 probe
 * writes a byte to 0xcfb first: bytes and words at 0xcfa-0xcfb are
 * ignored (read as 0xff), as on chipsets that pass them on to ISA.
 */
void pci_conf1_addr_access(void *opaque, u64 port, u8 *data, u32 len,
			   bool is_write)
{
	struct pci *pci = opaque;

	if (port != PCI_CONF1_ADDR_PORT || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&pci->lock);
	if (is_write)
		pci->conf1_addr = (u32)le_load(data, 4) & 0x80fffffc;
	else
		le_store(data, 4, pci->conf1_addr);
	pthread_mutex_unlock(&pci->lock);
}

struct pci *pci_setup(struct vm *vm)
{
	struct pci *pci = calloc(1, sizeof(*pci));

	if (!pci) {
		pr_err("pci: out of memory");
		return NULL;
	}
	pci->vm = vm;
	pci->mmio_next = PCI_MMIO_BASE;
	pthread_mutex_init(&pci->lock, NULL);
	pci_dev_init(&pci->host, vm, "pci-host", PCI_HOST_VENDOR,
		     PCI_HOST_DEVICE, 0, PCI_CLASSCODE_HOST_BRIDGE,
		     PCI_HOST_VENDOR, 0x1100);
	pci->host.pci = pci;
	pci->host.slot = 0;
	pci->devs[0] = &pci->host;
	/* 0xcf9 (reset control) is not ours: 0xcf8 alone, then 0xcfa-0xcfb */
	if (bus_register(&vm->io_bus, PCI_CONF1_ADDR_PORT, 1,
			 pci_conf1_addr_access, pci, "pci-conf1-addr") ||
	    bus_register(&vm->io_bus, PCI_CONF1_ADDR_PORT + 2, 2,
			 pci_conf1_addr_access, pci, "pci-conf1-addr") ||
	    bus_register(&vm->io_bus, PCI_CONF1_DATA_PORT, 4,
			 pci_conf1_data_access, pci, "pci-conf1-data")) {
		pr_err("pci: the conf1 ports 0xcf8-0xcff are taken");
		free(pci);
		return NULL;
	}
	return pci;
}
