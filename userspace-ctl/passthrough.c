// SPDX-License-Identifier: GPL-2.0
/*
 * Device passthrough (--device BDF): see passthrough.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "accel.h"
#include "passthrough.h"

/* struct resource flags in sysfs "resource" (include/linux/ioport.h) */
#define IORESOURCE_IO		0x00000100
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_MEM_64	0x00100000

int passthrough_parse_bdf(const char *s, u16 *segment, u8 *bus, u8 *device,
			  u8 *function)
{
	unsigned int seg = 0, b, d, f;
	char end;

	/* hex digits and separators only: sscanf's %x would take "0x" */
	if (!*s || s[strspn(s, "0123456789abcdefABCDEF:.")])
		return -1;
	if (sscanf(s, "%x:%x:%x.%x%c", &seg, &b, &d, &f, &end) != 4) {
		seg = 0;
		if (sscanf(s, "%x:%x.%x%c", &b, &d, &f, &end) != 3)
			return -1;
	}
	if (seg > 0xffff || b > 0xff || d > 31 || f > 7)
		return -1;
	*segment = seg;
	*bus = b;
	*device = d;
	*function = f;
	return 0;
}

/* BAR accesses that trap: through the mapping, with the access's width */
static void bar_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
		       u32 len, bool is_write)
{
	struct passthrough *pt = dev->opaque;
	volatile u8 *p = (u8 *)pt->bar[bar].map + off;

	switch (len) {
	case 1:
		if (is_write)
			*p = data[0];
		else
			data[0] = *p;
		return;
	case 2: {
		u16 v;

		if (is_write) {
			memcpy(&v, data, 2);
			*(volatile u16 *)p = v;
		} else {
			v = *(volatile u16 *)p;
			memcpy(data, &v, 2);
		}
		return;
	}
	case 4: {
		u32 v;

		if (is_write) {
			memcpy(&v, data, 4);
			*(volatile u32 *)p = v;
		} else {
			v = *(volatile u32 *)p;
			memcpy(data, &v, 4);
		}
		return;
	}
	case 8: {
		u64 v;

		if (is_write) {
			memcpy(&v, data, 8);
			*(volatile u64 *)p = v;
		} else {
			v = *(volatile u64 *)p;
			memcpy(data, &v, 8);
		}
		return;
	}
	}
	if (!is_write)
		memset(data, 0xff, len);
}

/* the slot of @bar follows where the guest put it (PCI lock held) */
static void bar_changed(struct pci_dev *dev, int i)
{
	struct passthrough *pt = dev->opaque;
	struct passthrough_bar *b = &pt->bar[i];
	const struct accel_ops *ops = pt->vm->ops;
	struct pci_bar *pb = &dev->bars[i];

	if (!pt->started || !b->map || b->refused || (b->size & (SZ_4K - 1)))
		return;
	if (b->direct && (!pb->mapped || pb->mapped_addr != b->direct_gpa)) {
		ops->set_memory(pt->vm, b->slot, b->direct_gpa, 0, b->map);
		b->direct = false;
	}
	if (pb->mapped && !b->direct) {
		if (ops->set_memory(pt->vm, b->slot, pb->mapped_addr, b->size,
				    b->map)) {
			b->refused = true;
			pr_err("%s: BAR %d cannot be mapped into the guest: its accesses trap to lvctl",
			       pt->name, i);
			return;
		}
		b->direct = true;
		b->direct_gpa = pb->mapped_addr;
	}
}

/* the emulated MSI capability: 64-bit address, one vector, no masking */
#define MSI_CAP_SIZE	(PCI_MSI_DATA_64 + 2)

static u32 cfg_le(const struct pci_dev *dev, unsigned int off, unsigned int len)
{
	u32 v = 0;

	while (len--)
		v = v << 8 | dev->cfg[off + len];
	return v;
}

static void msi_off(struct passthrough *pt)
{
	const struct accel_ops *ops = pt->vm->ops;

	if (!pt->msi_routed)
		return;
	ops->device_msi(pt->vm, pt->segment, pt->bus, pt->device,
			pt->function, -1);
	ops->irqfd(pt->vm, pt->msi_efd, pt->msi_addr, pt->msi_data, false);
	pt->msi_routed = false;
}

/*
 * The guest's MSI setup, applied: enabled, the device's MSI signals the
 * eventfd, which irqfd turns into the guest's message (PCI lock held).
 */
static void msi_sync(struct passthrough *pt)
{
	const struct accel_ops *ops = pt->vm->ops;
	struct pci_dev *dev = &pt->dev;
	unsigned int c = pt->msi_cap;
	bool enable = cfg_le(dev, c + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE;
	u64 addr = cfg_le(dev, c + PCI_MSI_ADDRESS_LO, 4) |
		   (u64)cfg_le(dev, c + PCI_MSI_ADDRESS_HI, 4) << 32;
	u32 data = cfg_le(dev, c + PCI_MSI_DATA_64, 2);

	if (!pt->started || !c)
		return;
	if (!enable) {
		msi_off(pt);
		return;
	}
	if (pt->msi_routed && addr == pt->msi_addr && data == pt->msi_data)
		return;
	if (!ops->irqfd || !ops->device_msi) {
		pr_err("%s: the %s accelerator cannot route the device's MSI: the guest gets no interrupt",
		       pt->name, ops->name);
		return;
	}
	/* an irqfd already registered takes the new message */
	if (ops->irqfd(pt->vm, pt->msi_efd, addr, data, true)) {
		pr_err("%s: the guest's MSI message 0x%llx/0x%x was refused: %s",
		       pt->name, (unsigned long long)addr, data, strerror(errno));
		msi_off(pt);
		return;
	}
	pt->msi_addr = addr;
	pt->msi_data = data;
	if (pt->msi_routed)
		return;
	if (ops->device_msi(pt->vm, pt->segment, pt->bus, pt->device,
			    pt->function, pt->msi_efd)) {
		ops->irqfd(pt->vm, pt->msi_efd, addr, data, false);
		return;
	}
	pt->msi_routed = true;
}

/*
 * Config writes: the guest's bus-master bit goes to the device (memory
 * decoding stays on); its MSI setup is applied.
 */
static void cfg_hook(struct pci_dev *dev, bool is_write)
{
	struct passthrough *pt = dev->opaque;
	u16 guest, real;

	if (!is_write)
		return;
	msi_sync(pt);
	memcpy(&guest, dev->cfg + PCI_COMMAND, 2);
	if (pread(pt->cfg_fd, &real, 2, PCI_COMMAND) != 2)
		return;
	real = (real & ~PCI_COMMAND_MASTER) | PCI_COMMAND_MEMORY |
	       (guest & PCI_COMMAND_MASTER);
	if (pwrite(pt->cfg_fd, &real, 2, PCI_COMMAND) != 2)
		pr_err("%s: cannot write its command register: %s", pt->name,
		       strerror(errno));
}

/* the offset of the device's MSI capability in @cfg, 0 if none */
static unsigned int find_msi(const u8 *cfg)
{
	unsigned int off = cfg[PCI_CAPABILITY_LIST] & ~3u;
	int n;

	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	for (n = 0; off >= 0x40 && n < 48; n++) {
		if (cfg[off + PCI_CAP_LIST_ID] == PCI_CAP_ID_MSI)
			return off;
		off = cfg[off + PCI_CAP_LIST_NEXT] & ~3u;
	}
	return 0;
}

/* an MSI capability for the guest, if the device has one */
static int add_msi(struct passthrough *pt, const u8 *cfg)
{
	struct pci_dev *dev = &pt->dev;
	unsigned int c;

	if (!find_msi(cfg)) {
		pr_err("%s: no MSI capability: lvctl passes no INTx through, so the guest gets no interrupt from this device",
		       pt->name);
		return 0;
	}
	pt->msi_efd = eventfd(0, EFD_CLOEXEC);
	c = pci_add_cap(dev, PCI_CAP_ID_MSI, MSI_CAP_SIZE);
	if (pt->msi_efd < 0 || !c) {
		pr_err("%s: no room for its MSI capability: %s", pt->name,
		       pt->msi_efd < 0 ? strerror(errno) : "config space full");
		return -1;
	}
	pt->msi_cap = c;
	dev->cfg[c + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_64BIT & 0xff;
	dev->cfg[c + PCI_MSI_FLAGS + 1] = PCI_MSI_FLAGS_64BIT >> 8;
	dev->wmask[c + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE;
	memset(dev->wmask + c + PCI_MSI_ADDRESS_LO, 0xff, 8);
	dev->wmask[c + PCI_MSI_ADDRESS_LO] = 0xfc;
	memset(dev->wmask + c + PCI_MSI_DATA_64, 0xff, 2);
	/* the hook sees the command register and the capability */
	dev->cfg_hook_len = c + MSI_CAP_SIZE - PCI_COMMAND;
	return 0;
}

static int read_resources(struct passthrough *pt)
{
	unsigned long long start, end, flags;
	char path[448];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/resource", pt->dir);
	f = fopen(path, "r");
	if (!f) {
		pr_err("%s: %s: %s", pt->name, path, strerror(errno));
		return -1;
	}
	for (i = 0; i < PCI_NR_BARS; i++) {
		struct passthrough_bar *b = &pt->bar[i];
		bool is64;
		int fd;

		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		if (!(flags & IORESOURCE_MEM) || !end || end < start) {
			if (flags & IORESOURCE_IO)
				pr_err("%s: I/O BAR %d is not passed through", pt->name, i);
			continue;
		}
		b->size = end - start + 1;
		is64 = flags & IORESOURCE_MEM_64;
		snprintf(path, sizeof(path), "%s/resource%d", pt->dir, i);
		fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
		if (fd >= 0) {
			b->map = mmap(NULL, (b->size + SZ_4K - 1) & ~(SZ_4K - 1),
				      PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			close(fd);
		}
		if (fd < 0 || b->map == MAP_FAILED) {
			pr_err("%s: cannot map %s: %s", pt->name, path, strerror(errno));
			b->map = NULL;
			fclose(f);
			return -1;
		}
		if (pci_add_bar(&pt->dev, i, b->size, is64, bar_access)) {
			fclose(f);
			return -1;
		}
		if (is64)
			i++;	/* its upper half: the next line is empty */
		if (is64 && fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
	}
	fclose(f);
	return 0;
}

int passthrough_init(struct passthrough *pt, struct vm *vm, const char *sysfs,
		     const char *bdf, int index)
{
	char path[448];
	u8 cfg[256];
	int i;

	memset(pt, 0, sizeof(*pt));
	pt->cfg_fd = -1;
	pt->msi_efd = -1;
	pt->vm = vm;
	if (passthrough_parse_bdf(bdf, &pt->segment, &pt->bus, &pt->device,
				  &pt->function)) {
		pr_err("--device %s: not a PCI address (SSSS:BB:DD.F)", bdf);
		return -1;
	}
	snprintf(pt->name, sizeof(pt->name), "passthrough %04x:%02x:%02x.%u",
		 pt->segment, pt->bus, pt->device, pt->function);
	snprintf(pt->dir, sizeof(pt->dir), "%s/%04x:%02x:%02x.%u", sysfs,
		 pt->segment, pt->bus, pt->device, pt->function);
	snprintf(path, sizeof(path), "%s/config", pt->dir);
	pt->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (pt->cfg_fd < 0 ||
	    pread(pt->cfg_fd, cfg, sizeof(cfg), 0) != (ssize_t)sizeof(cfg)) {
		pr_err("%s: %s: %s", pt->name, path,
		       pt->cfg_fd < 0 ? strerror(errno) : "short read");
		return -1;
	}
	if ((cfg[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		pr_err("%s: header type 0x%x: only endpoints can be passed through",
		       pt->name, cfg[PCI_HEADER_TYPE]);
		return -1;
	}
	pci_dev_init(&pt->dev, vm, pt->name,
		     cfg[PCI_VENDOR_ID] | cfg[PCI_VENDOR_ID + 1] << 8,
		     cfg[PCI_DEVICE_ID] | cfg[PCI_DEVICE_ID + 1] << 8,
		     cfg[PCI_REVISION_ID],
		     cfg[PCI_CLASS_PROG] | cfg[PCI_CLASS_DEVICE] << 8 |
		     cfg[PCI_CLASS_DEVICE + 1] << 16,
		     cfg[PCI_SUBSYSTEM_VENDOR_ID] | cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] << 8,
		     cfg[PCI_SUBSYSTEM_ID] | cfg[PCI_SUBSYSTEM_ID + 1] << 8);
	pt->dev.opaque = pt;
	pt->dev.bar_changed = bar_changed;
	pt->dev.cfg_hook = cfg_hook;
	pt->dev.cfg_hook_off = PCI_COMMAND;
	pt->dev.cfg_hook_len = 2;
	for (i = 0; i < PCI_NR_BARS; i++)
		pt->bar[i].slot = PASSTHROUGH_SLOT0 + PCI_NR_BARS * index + i;
	if (add_msi(pt, cfg))
		return -1;
	return read_resources(pt);
}

int passthrough_start(struct passthrough *pt)
{
	struct pci_dev *dev = &pt->dev;
	int i;

	if (!pt->vm->ops->assign_device) {
		pr_err("%s: the %s accelerator cannot assign devices", pt->name,
		       pt->vm->ops->name);
		return -1;
	}
	if (pt->vm->ops->assign_device(pt->vm, pt->segment, pt->bus,
				       pt->device, pt->function))
		return -1;
	/* the device's own BARs stay decoded; bus mastering is the guest's */
	cfg_hook(dev, true);
	pthread_mutex_lock(&dev->pci->lock);
	pt->started = true;
	for (i = 0; i < PCI_NR_BARS; i++)
		bar_changed(dev, i);
	pthread_mutex_unlock(&dev->pci->lock);
	return 0;
}

void passthrough_destroy(struct passthrough *pt)
{
	int i;

	for (i = 0; i < PCI_NR_BARS; i++)
		if (pt->bar[i].map)
			munmap(pt->bar[i].map, (pt->bar[i].size + SZ_4K - 1) &
			       ~(SZ_4K - 1));
	if (pt->cfg_fd >= 0)
		close(pt->cfg_fd);
	pt->cfg_fd = -1;
	/* the VM is gone, and with it the routing and the irqfd */
	if (pt->msi_efd >= 0)
		close(pt->msi_efd);
	pt->msi_efd = -1;
	pt->msi_routed = false;
}
