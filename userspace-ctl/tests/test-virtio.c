// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of PCI and virtio in lvctl, with real guest memory and a
 * fake accelerator that records signal_msi, irqfd and ioeventfd calls.
 * The test plays the guest: it enumerates the bus through conf1, sizes
 * and moves BARs, programs MSI-X, negotiates features and sets up queues
 * in the order Linux's virtio_pci_modern does, then drives the devices
 * with descriptor chains it builds in guest memory (blk against a
 * temporary image, rng, console over pipes, net over a socketpair)
 * (virtio-guest.h).  The misbehaving guest is test-virtio-hostile.c.
 *
 *   test-virtio PATH-TO-LVCTL
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_console.h>
#include <linux/virtio_net.h>

#include "accel.h"
#include "devices.h"
#include "pci.h"
#include "virtio.h"

#include "harness.h"
#include "virtio-guest.h"

/* ---- PCI ---- */

static void test_pci_enum(void)
{
	struct virtio_dev *rng;
	u8 d[4];
	int fd, slot;

	begin();
	vm_begin(&ops_plain);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	CHECK(rng, "no rng");
	if (!rng)
		goto out;

	CHECK_EQ(conf_read(0, PCI_VENDOR_ID, 2), PCI_HOST_VENDOR);
	CHECK_EQ(conf_read(0, PCI_DEVICE_ID, 2), PCI_HOST_DEVICE);
	CHECK_EQ(conf_read(0, PCI_CLASS_DEVICE, 2), 0x0600);
	CHECK_EQ(conf_read(0, PCI_HEADER_TYPE, 1), 0);
	slot = find_slot(VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG);
	CHECK_EQ(slot, 1);
	CHECK_EQ(conf_read(slot, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(conf_read(slot, PCI_INTERRUPT_PIN, 1), 0);
	CHECK_EQ(conf_read(slot, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	/* absent slot, function 1, bus 1: all ones */
	CHECK_EQ(conf_read(7, PCI_VENDOR_ID, 4), 0xffffffff);
	CHECK_EQ(conf_read_bdf(0, slot, 1, 0, 4), 0xffffffff);
	CHECK_EQ(conf_read_bdf(1, 0, 0, 0, 4), 0xffffffff);
	/* read-only fields stay */
	conf_write(slot, PCI_VENDOR_ID, 4, 0x12345678);
	CHECK_EQ(conf_read(slot, PCI_VENDOR_ID, 4),
		 0x1af4 | (VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG) << 16);
	conf_write(slot, PCI_INTERRUPT_PIN, 1, 1);
	CHECK_EQ(conf_read(slot, PCI_INTERRUPT_PIN, 1), 0);
	conf_write(slot, PCI_INTERRUPT_LINE, 1, 0x0b);
	CHECK_EQ(conf_read(slot, PCI_INTERRUPT_LINE, 1), 0x0b);
	/* byte and word data accesses at every offset */
	CHECK_EQ(conf_read(slot, PCI_DEVICE_ID + 1, 1),
		 (VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG) >> 8);
	CHECK_EQ(conf_read(slot, 2, 2), VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG);
	/* the address register reads back; Linux's byte probe at 0xcfb is harmless */
	le_store(d, 4, 0x80000800);
	io_acc(PCI_CONF1_ADDR_PORT, d, 4, true);
	d[0] = 1;
	CHECK(io_acc(0xcfb, d, 1, true), "0xcfb unclaimed");
	memset(d, 0, 4);
	io_acc(PCI_CONF1_ADDR_PORT, d, 4, false);
	CHECK_EQ(le_load(d, 4), 0x80000800);
	/* 0xcf9 belongs to the reset register */
	CHECK(!bus_find(&vm.io_bus, 0xcf9), "0xcf9 claimed by PCI");
	CHECK(bus_find(&vm.io_bus, 0xcff), "0xcff unclaimed");
	virtio_dev_destroy(rng);
out:
	vm_end();
	end("pci_enum");
}

static void test_pci_bar(void)
{
	struct virtio_dev *rng;
	u64 bar, moved = 0xe8000000ULL;
	int fd, slot;

	begin();
	vm_begin(&ops_fast);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	if (!rng) {
		bad("no rng");
		goto out;
	}
	slot = find_slot(VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG);
	bar = bar_read(slot);
	CHECK(bar >= PCI_MMIO_BASE && bar + VIRTIO_BAR_SIZE <= PCI_MMIO_END,
	      "BAR 0x%llx outside the window", (unsigned long long)bar);
	CHECK_EQ(bar & (VIRTIO_BAR_SIZE - 1), 0);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_0, 4) & 0xf,
		 PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK(conf_read(slot, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY,
	      "decoding off at start");
	CHECK_EQ(mr(bar + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	CHECK(mmio_ok, "BAR not on the bus");

	/* sizing, decoding off, as Linux's __pci_read_base */
	conf_write(slot, PCI_COMMAND, 2, 0);
	mr(bar, 4);
	CHECK(!mmio_ok, "BAR decodes with memory decoding off");
	conf_write(slot, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	conf_write(slot, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_0, 4),
		 (u32)~(VIRTIO_BAR_SIZE - 1) | PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	/* unused BARs size to 0 */
	conf_write(slot, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_2, 4), 0);

	/* move it, decoding on: the bus follows */
	conf_write(slot, PCI_BASE_ADDRESS_0, 4, (u32)moved);
	conf_write(slot, PCI_BASE_ADDRESS_1, 4, 0);
	conf_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK_EQ(bar_read(slot), moved);
	CHECK_EQ(mr(moved + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	CHECK(mmio_ok, "moved BAR not on the bus");
	mr(bar + VIRTIO_PCI_COMMON_NUMQ, 2);
	CHECK(!mmio_ok, "old BAR address still decodes");

	/* doorbells follow the BAR: registered at DRIVER_OK, moved after */
	{
		struct gdev g;
		u64 newbar = 0xe9000000ULL;

		if (gdev_up(&g, rng, 0)) {
			CHECK_EQ(ioev_fd(moved + VIRTIO_NOTIFY_OFF),
				 rng->vqs[0].kick_fd);
			conf_write(slot, PCI_BASE_ADDRESS_0, 4, (u32)newbar);
			CHECK_EQ(ioev_fd(moved + VIRTIO_NOTIFY_OFF), -1);
			CHECK_EQ(ioev_fd(newbar + VIRTIO_NOTIFY_OFF),
				 rng->vqs[0].kick_fd);
		} else {
			bad("bring-up failed");
		}
	}
	virtio_dev_destroy(rng);
out:
	vm_end();
	end("pci_bar");
}

static u8 bar32_regs[256];

static void bar32_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
			 u32 len, bool is_write)
{
	(void)dev;
	(void)bar;
	if (is_write)
		memcpy(bar32_regs + off, data, len);
	else
		memcpy(data, bar32_regs + off, len);
}

/* a device with a 32-bit BAR 2 of 256 bytes next to a 64-bit one */
static void test_pci_bar32(void)
{
	static struct pci_dev dev;
	u64 bar2;
	int slot;

	begin();
	vm_begin(&ops_plain);
	pci_dev_init(&dev, &vm, "bar32", 0x1234, 0x5678, 0, 0xff0000, 0, 0);
	if (pci_add_bar(&dev, 2, 256, false, bar32_access) ||
	    pci_add_bar(&dev, 4, 0x4000, true, bar32_access) ||
	    pci_add_bar(&dev, 5, 256, false, bar32_access) == 0 ||	/* 4-5 taken */
	    pci_register_dev(pci, &dev)) {
		bad("setup");
		goto out;
	}
	for (slot = 1; slot < 32; slot++)
		if (conf_read(slot, PCI_VENDOR_ID, 2) == 0x1234)
			break;
	bar2 = conf_read(slot, PCI_BASE_ADDRESS_2, 4);
	CHECK_EQ(bar2 & 0xf, 0);
	CHECK(bar2 >= PCI_MMIO_BASE && bar2 < PCI_MMIO_END && !(bar2 & 0xff),
	      "BAR 2 at 0x%llx", (unsigned long long)bar2);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_4, 4) & 0x3fff,
		 PCI_BASE_ADDRESS_MEM_TYPE_64);
	mw(bar2 + 8, 4, 0xfeedf00d);
	CHECK_EQ(mr(bar2 + 8, 4), 0xfeedf00d);
	conf_write(slot, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	CHECK_EQ(conf_read(slot, PCI_BASE_ADDRESS_2, 4), 0xffffff00);
	conf_write(slot, PCI_BASE_ADDRESS_2, 4, 0xf0000000);
	CHECK_EQ(mr(0xf0000008, 4), 0xfeedf00d);
	mr(bar2 + 8, 4);
	CHECK(!mmio_ok, "old BAR 2 address decodes");
	/* decoding off and on again */
	conf_write(slot, PCI_COMMAND, 2, 0);
	mr(0xf0000008, 4);
	CHECK(!mmio_ok, "BAR 2 decodes with memory off");
	conf_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(mr(0xf0000008, 4), 0xfeedf00d);
	/* a BAR moved onto another one does not decode until moved away */
	conf_write(slot, PCI_BASE_ADDRESS_2, 4,
		   conf_read(slot, PCI_BASE_ADDRESS_4, 4) & ~0xfu);
	CHECK_EQ(mr((conf_read(slot, PCI_BASE_ADDRESS_4, 4) & ~0xfu) + 8, 4),
		 0xfeedf00d);	/* BAR 4 answers (same handler, same bytes) */
	conf_write(slot, PCI_BASE_ADDRESS_2, 4, 0xf1000000);
	CHECK_EQ(mr(0xf1000008, 4), 0xfeedf00d);
	CHECK(mmio_ok, "BAR 2 lost after the overlap");
out:
	vm_end();
	end("pci_bar32");
}

static void test_msix(const struct accel_ops *ops, const char *name)
{
	struct virtio_dev *rng;
	struct pci_dev *dev;
	struct gdev g;
	u64 table, pba, cnt;
	int fd;

	begin();
	vm_begin(ops);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	if (!rng || !gdev_probe(&g, rng)) {
		bad("no rng");
		goto out;
	}
	dev = &rng->pci;
	table = g.bar + (conf_read(g.slot, g.msix_cap + PCI_MSIX_TABLE, 4) & ~7u);
	pba = g.bar + (conf_read(g.slot, g.msix_cap + PCI_MSIX_PBA, 4) & ~7u);
	CHECK_EQ(conf_read(g.slot, g.msix_cap + PCI_MSIX_FLAGS, 2) &
		 PCI_MSIX_FLAGS_QSIZE, 1);	/* 2 vectors */
	CHECK_EQ(mr(table + 12, 4), 1);		/* masked at reset */

	/* MSI-X off: the interrupt is lost (no INTx) */
	pci_msix_notify(dev, 0);
	CHECK_EQ(msi_count(), 0);
	CHECK_EQ(mr(pba, 8), 0);

	gdev_msix(&g, 2);
	mw(table + 12, 4, 1);			/* mask vector 0 */
	pci_msix_notify(dev, 0);
	CHECK_EQ(msi_count(), 0);
	CHECK_EQ(mr(pba, 8), 1);
	mw(table + 12, 4, 0);			/* unmask: fires */
	CHECK_EQ(mr(pba, 8), 0);
	if (ops->irqfd) {
		CHECK_EQ(nr_irqfd, 1);
		CHECK_EQ(irqfd_log[0].addr, MSI_ADDR);
		CHECK_EQ(irqfd_log[0].data, msix_data(0));
		CHECK_EQ(irqfd_log[0].fd, dev->msix[0].efd);
		CHECK(read(dev->msix[0].efd, &cnt, 8) == 8 && cnt == 1,
		      "irqfd eventfd not signalled");
		CHECK_EQ(msi_count(), 0);
	} else {
		CHECK_EQ(msi_count_match(MSI_ADDR, msix_data(0)), 1);
	}

	/* function mask: pending, fires when cleared */
	conf_write(g.slot, g.msix_cap + PCI_MSIX_FLAGS, 2,
		   PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(dev, 1);
	CHECK_EQ(mr(pba, 4), 2);
	conf_write(g.slot, g.msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(mr(pba, 4), 0);
	if (!ops->irqfd)
		CHECK_EQ(msi_count_match(MSI_ADDR, msix_data(1)), 1);

	/* a new message: the irqfd is re-registered with it */
	mw(table + 8, 4, 0x77);
	pci_msix_notify(dev, 0);
	if (ops->irqfd) {
		CHECK_EQ(irqfd_log[nr_irqfd - 2].assign, false);
		CHECK_EQ(irqfd_log[nr_irqfd - 1].data, 0x77);
		CHECK_EQ(irqfd_log[nr_irqfd - 1].assign, true);
	} else {
		CHECK_EQ(msi_count_match(MSI_ADDR, 0x77), 1);
	}
	/* the PBA is read-only; reserved vector-control bits read 0 */
	mw(pba, 4, 0xffffffff);
	CHECK_EQ(mr(pba, 4), 0);
	mw(table + 12, 4, 0xfffffffe);
	CHECK_EQ(mr(table + 12, 4), 0);
	virtio_dev_destroy(rng);
out:
	vm_end();
	end(name);
}

/* ---- the virtio handshake ---- */

static void test_virtio_handshake(void)
{
	struct virtio_dev *rng;
	struct gdev g;
	int fd;

	begin();
	vm_begin(&ops_plain);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	if (!rng || !gdev_probe(&g, rng)) {
		bad("no rng");
		goto out;
	}
	CHECK_EQ(g.notify_mult, VIRTIO_NOTIFY_MULT);
	/* a legacy driver (no VERSION_1) is refused */
	CHECK(!gdev_negotiate(&g, 1ULL << VIRTIO_RING_F_INDIRECT_DESC),
	      "FEATURES_OK without VERSION_1");
	/* DRIVER_OK without FEATURES_OK is not taken */
	mw(COMMON(&g, STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(!(mr(COMMON(&g, STATUS), 1) & VIRTIO_CONFIG_S_DRIVER_OK),
	      "DRIVER_OK without features");
	/* a feature the device does not offer is refused */
	mw(COMMON(&g, STATUS), 1, 0);
	mw(COMMON(&g, STATUS), 1, 3);
	mw(COMMON(&g, GFSELECT), 4, 1);
	mw(COMMON(&g, GF), 4, 1 | (1u << (VIRTIO_F_RING_PACKED - 32)));
	mw(COMMON(&g, STATUS), 1, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mr(COMMON(&g, STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK with an unoffered feature");
	/* VERSION_1 is offered, in the high word */
	mw(COMMON(&g, DFSELECT), 4, 1);
	CHECK(mr(COMMON(&g, DF), 4) & 1, "VERSION_1 not offered");

	CHECK(gdev_negotiate(&g, STD_FEATURES), "FEATURES_OK refused");
	CHECK_EQ(mr(COMMON(&g, NUMQ), 2), 1);
	/* a queue that does not exist has size 0 */
	mw(COMMON(&g, Q_SELECT), 2, 5);
	CHECK_EQ(mr(COMMON(&g, Q_SIZE), 2), 0);
	mw(COMMON(&g, Q_SELECT), 2, 0);
	CHECK_EQ(mr(COMMON(&g, Q_SIZE), 2), 64);
	/* vectors beyond the table read back as NO_VECTOR */
	mw(COMMON(&g, Q_MSIX), 2, 9);
	CHECK_EQ(mr(COMMON(&g, Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	mw(COMMON(&g, MSIX), 2, VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(mr(COMMON(&g, MSIX), 2), VIRTIO_MSI_NO_VECTOR);
	/* a 64-bit write of a ring address and its read back in halves */
	mw(COMMON(&g, Q_DESCLO), 8, 0x123456789abcdef0ULL);
	CHECK_EQ(mr(COMMON(&g, Q_DESCLO), 4), 0x9abcdef0);
	CHECK_EQ(mr(COMMON(&g, Q_DESCHI), 4), 0x12345678);

	/* size not a power of two: enabling breaks the device */
	mw(COMMON(&g, Q_SIZE), 2, 3);
	mw(COMMON(&g, Q_DESCLO), 8, 0x10000);
	mw(COMMON(&g, Q_AVAILLO), 8, 0x11000);
	mw(COMMON(&g, Q_USEDLO), 8, 0x12000);
	mw(COMMON(&g, Q_ENABLE), 2, 1);
	CHECK_EQ(mr(COMMON(&g, Q_ENABLE), 2), 0);
	CHECK(broken_now(&g), "size 3 accepted");
	/* reset clears it */
	CHECK(gdev_negotiate(&g, STD_FEATURES), "FEATURES_OK after reset");
	CHECK(!broken_now(&g), "still broken after reset");
	CHECK_EQ(mr(COMMON(&g, Q_SIZE), 2), 64);
	/* rings outside RAM */
	mw(COMMON(&g, Q_USEDLO), 8, MEM_SIZE - 8);
	mw(COMMON(&g, Q_DESCLO), 8, 0x10000);
	mw(COMMON(&g, Q_AVAILLO), 8, 0x11000);
	mw(COMMON(&g, Q_ENABLE), 2, 1);
	CHECK(broken_now(&g), "used ring outside RAM accepted");
	/* misaligned */
	gdev_negotiate(&g, STD_FEATURES);
	mw(COMMON(&g, Q_DESCLO), 8, 0x10008);
	mw(COMMON(&g, Q_AVAILLO), 8, 0x11000);
	mw(COMMON(&g, Q_USEDLO), 8, 0x12000);
	mw(COMMON(&g, Q_ENABLE), 2, 1);
	CHECK(broken_now(&g), "misaligned descriptor table accepted");
	/* and the full bring-up works afterwards */
	CHECK(gdev_up(&g, rng, 0), "bring-up after reset");
	CHECK(!broken_now(&g), "broken after bring-up");
	/* ISR: read to clear */
	rng->isr = 3;
	CHECK_EQ(mr(g.isr, 1), 3);
	CHECK_EQ(mr(g.isr, 1), 0);

	/* the PCI configuration access window into BAR 0 */
	conf_write(g.slot, g.pci_cfg + 4, 1, 0);
	conf_write(g.slot, g.pci_cfg + 8, 4, VIRTIO_PCI_COMMON_NUMQ);
	conf_write(g.slot, g.pci_cfg + 12, 4, 2);
	CHECK_EQ(conf_read(g.slot, g.pci_cfg + 16, 2), 1);
	conf_write(g.slot, g.pci_cfg + 8, 4, VIRTIO_PCI_COMMON_MSIX);
	conf_write(g.slot, g.pci_cfg + 16, 2, 0);
	CHECK_EQ(mr(COMMON(&g, MSIX), 2), 0);
	/* a misaligned window is ignored */
	conf_write(g.slot, g.pci_cfg + 8, 4, VIRTIO_PCI_COMMON_MSIX + 1);
	conf_write(g.slot, g.pci_cfg + 16, 2, 0x55);
	CHECK_EQ(mr(COMMON(&g, MSIX), 2), 0);
	virtio_dev_destroy(rng);
out:
	vm_end();
	end("virtio_handshake");
}

/* ---- blk ---- */

static void test_blk(const struct accel_ops *ops, const char *name)
{
	const char *path = make_image("blk.img");
	struct virtio_dev *blk;
	struct virtio_blk_config cfg;
	struct blkreq r;
	struct gdev g;
	u8 st, buf[1024];
	long used;
	u16 head;
	int fd;

	begin();
	vm_begin(ops);
	blk = virtio_blk_create(&vm, pci, path, false);
	if (!blk || !gdev_up(&g, blk, (1ULL << VIRTIO_BLK_F_FLUSH) |
			     (1ULL << VIRTIO_BLK_F_SEG_MAX) |
			     (1ULL << VIRTIO_BLK_F_BLK_SIZE))) {
		bad("bring-up failed");
		goto out;
	}
	cfg.capacity = mr(g.devcfg + offsetof(struct virtio_blk_config, capacity), 8);
	cfg.seg_max = mr(g.devcfg + offsetof(struct virtio_blk_config, seg_max), 4);
	cfg.blk_size = mr(g.devcfg + offsetof(struct virtio_blk_config, blk_size), 4);
	CHECK_EQ(cfg.capacity, IMG_SECTORS);
	CHECK_EQ(cfg.seg_max, 126);
	CHECK_EQ(cfg.blk_size, 512);
	blkreq_alloc(&r, 4096);

	/* read 8 sectors at 100 */
	used = blk_do(&g, &r, VIRTIO_BLK_T_IN, 100, 4096, true, &st);
	CHECK_EQ(used, 4097);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK_EQ(fnv(gptr(r.data), 4096), fnv(img_data + 100 * 512, 4096));

	/* write 2 sectors at 7, read back from the file */
	memset(gptr(r.data), 0x5c, 1024);
	used = blk_do(&g, &r, VIRTIO_BLK_T_OUT, 7, 1024, false, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 1);
	fd = open(path, O_RDONLY);
	CHECK(pread(fd, buf, 1024, 7 * 512) == 1024, "pread");
	close(fd);
	memset(img_data + 7 * 512, 0x5c, 1024);
	CHECK_EQ(fnv(buf, 1024), fnv(img_data + 7 * 512, 1024));

	/* flush, get_id */
	used = blk_do(&g, &r, VIRTIO_BLK_T_FLUSH, 0, 0, false, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	memset(gptr(r.data), 0, 20);
	used = blk_do(&g, &r, VIRTIO_BLK_T_GET_ID, 0, 20, true, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(gptr(r.data), "blk.img", 8), "serial '%.20s'",
	      (char *)gptr(r.data));

	/* beyond the capacity, unknown types */
	blk_do(&g, &r, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	blk_do(&g, &r, VIRTIO_BLK_T_OUT, ~0ULL, 512, false, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	blk_do(&g, &r, 99, 0, 512, true, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_UNSUPP);

	/* an indirect read of sector 0 */
	{
		u64 table = galloc(3 * 16, 16);
		struct vring_desc *t = gptr(table);
		struct virtio_blk_outhdr *h = gptr(r.hdr);
		struct gbuf b = { table, 3 * 16, false };

		h->type = VIRTIO_BLK_T_IN;
		h->sector = 0;
		t[0] = (struct vring_desc){ r.hdr, 16, VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ r.data, 512,
					    VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
		t[2] = (struct vring_desc){ r.status, 1, VRING_DESC_F_WRITE, 0 };
		head = g.q[0].next_desc;
		tq_add(&g.q[0], &b, 1);
		g.q[0].desc[head].flags = VRING_DESC_F_INDIRECT;
		tq_kick(&g, 0);
		used = tq_wait(&g.q[0], NULL);
		CHECK_EQ(used, 513);
		CHECK_EQ(*(u8 *)gptr(r.status), VIRTIO_BLK_S_OK);
		CHECK_EQ(fnv(gptr(r.data), 512), fnv(img_data, 512));
	}

	/* interrupts: queue 0 has vector 0 */
	if (ops->irqfd) {
		CHECK(nr_irqfd >= 1 && irqfd_log[0].data == msix_data(0),
		      "no irqfd for the queue vector");
		CHECK_EQ(blk->kicks_by_mmio, 0);
	} else {
		/* eight requests, one interrupt each */
		CHECK_EQ(wait_msi(msix_data(0), 8), 8);
		CHECK(blk->kicks_by_mmio >= 8, "doorbells not by MMIO");
	}
	/* suppression: no interrupt when the driver says so */
	if (!ops->irqfd) {
		g.q[0].avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
		blk_do(&g, &r, VIRTIO_BLK_T_FLUSH, 0, 0, false, &st);
		usleep(20000);
		CHECK_EQ(msi_count_match(MSI_ADDR, msix_data(0)), 8);
		g.q[0].avail->flags = 0;
		blk_do(&g, &r, VIRTIO_BLK_T_FLUSH, 0, 0, false, &st);
		CHECK_EQ(wait_msi(msix_data(0), 9), 9);
	}
	CHECK(!broken_now(&g), "device broken");
	CHECK(slack_intact(), "memory outside guest RAM changed");
	virtio_dev_destroy(blk);
out:
	vm_end();
	end(name);
}

static void test_blk_ro(void)
{
	const char *path = make_image("ro.img");
	struct virtio_dev *blk;
	struct blkreq r;
	struct gdev g;
	u8 st, buf[512];
	u64 df;
	int fd;

	begin();
	vm_begin(&ops_plain);
	blk = virtio_blk_create(&vm, pci, path, true);
	if (!blk || !gdev_up(&g, blk, 1ULL << VIRTIO_BLK_F_RO)) {
		bad("bring-up failed");
		goto out;
	}
	mw(COMMON(&g, DFSELECT), 4, 0);
	df = mr(COMMON(&g, DF), 4);
	CHECK(df & (1u << VIRTIO_BLK_F_RO), "RO not offered");
	blkreq_alloc(&r, 512);
	memset(gptr(r.data), 0, 512);
	blk_do(&g, &r, VIRTIO_BLK_T_OUT, 0, 512, false, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	fd = open(path, O_RDONLY);
	CHECK(pread(fd, buf, 512, 0) == 512, "pread");
	close(fd);
	CHECK(!memcmp(buf, img_data, 512), "read-only image written");
	blk_do(&g, &r, VIRTIO_BLK_T_IN, 0, 512, true, &st);
	CHECK_EQ(st, VIRTIO_BLK_S_OK);
	CHECK(!memcmp(gptr(r.data), img_data, 512), "read from ro image");
	virtio_dev_destroy(blk);
out:
	vm_end();
	end("blk_ro");
}

/* ---- rng, console, net ---- */

static void test_rng(void)
{
	struct virtio_dev *rng;
	struct gdev g;
	u64 a, b;
	long used;
	int fd;

	begin();
	vm_begin(&ops_plain);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	if (!rng || !gdev_up(&g, rng, 0)) {
		bad("bring-up failed");
		goto out;
	}
	a = galloc(64, 8);
	b = galloc(64, 8);
	memset(gptr(a), 0, 64);
	memset(gptr(b), 0, 64);
	tq_add(&g.q[0], &(struct gbuf){ a, 64, true }, 1);
	tq_add(&g.q[0], &(struct gbuf){ b, 64, true }, 1);
	tq_kick(&g, 0);
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, 64);
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, 64);
	CHECK(memcmp(gptr(a), gptr(b), 64), "the same 64 bytes twice");
	CHECK(fnv(gptr(a), 64) != fnv((u8[64]){ 0 }, 64), "no bytes");
	virtio_dev_destroy(rng);
out:
	vm_end();
	end("rng");
}

/* CPU time the whole process used while sleeping @ms: a spinning thread */
static long cpu_ms_during(int ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	usleep(ms * 1000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void test_console(void)
{
	struct virtio_dev *con;
	int in[2], out[2];
	struct pollfd pfd;
	struct gdev g;
	char buf[64];
	u64 tx, rx;
	long used;
	ssize_t n;

	begin();
	vm_begin(&ops_plain);
	if (pipe(in) || pipe(out))
		exit(1);
	con = virtio_console_create(&vm, pci, in[0], out[1]);
	if (!con || !gdev_up(&g, con, 0)) {
		bad("bring-up failed");
		goto out;
	}
	CHECK_EQ(g.nq, 2);
	CHECK_EQ(mr(g.devcfg + offsetof(struct virtio_console_config,
					 max_nr_ports), 4), 1);
	/* output: two descriptors */
	tx = galloc(16, 8);
	memcpy(gptr(tx), "hello, hvc0\n", 12);
	tq_add(&g.q[1], (struct gbuf[]){ { tx, 7, false },
					 { tx + 7, 5, false } }, 2);
	tq_kick(&g, 1);
	used = tq_wait(&g.q[1], NULL);
	CHECK_EQ(used, 0);
	pfd = (struct pollfd){ .fd = out[0], .events = POLLIN };
	n = poll(&pfd, 1, 2000) == 1 ? read(out[0], buf, sizeof(buf)) : -1;
	CHECK(n == 12 && !memcmp(buf, "hello, hvc0\n", 12),
	      "console output %zd bytes", n);
	/* input: posted buffer first, then bytes arrive */
	rx = galloc(32, 8);
	tq_add(&g.q[0], &(struct gbuf){ rx, 32, true }, 1);
	tq_kick(&g, 0);
	usleep(10000);
	CHECK(write(in[1], "ls\r", 3) == 3, "write");
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, 3);
	CHECK(!memcmp(gptr(rx), "ls\r", 3), "console input");
	/* bytes waiting before the buffer is posted */
	CHECK(write(in[1], "xy", 2) == 2, "write");
	usleep(10000);
	tq_add(&g.q[0], &(struct gbuf){ rx, 32, true }, 1);
	tq_kick(&g, 0);
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, 2);
	CHECK(!memcmp(gptr(rx), "xy", 2), "console input before buffer");
	/* emergency write */
	mw(g.devcfg + offsetof(struct virtio_console_config, emerg_wr), 4, '!');
	n = poll(&pfd, 1, 2000) == 1 ? read(out[0], buf, sizeof(buf)) : -1;
	CHECK(n == 1 && buf[0] == '!', "emerg_wr");
	/* input hangs up, with and then without a buffer posted: no spinning */
	close(in[1]);
	in[1] = -1;
	CHECK(cpu_ms_during(200) < 100, "device thread spins on a hung-up input");
	tq_add(&g.q[0], &(struct gbuf){ rx, 32, true }, 1);
	tq_kick(&g, 0);
	CHECK(cpu_ms_during(200) < 100, "device thread spins at end of input");
	CHECK_EQ(g.q[0].used->idx, 2);
	virtio_dev_destroy(con);
out:
	close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	close(out[1]);
	vm_end();
	end("console");
}

static void test_net(void)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	struct virtio_net_hdr_mrg_rxbuf *h;
	struct virtio_dev *net;
	u8 frame[12 + 60], got[2048];
	struct pollfd pfd;
	struct gdev g;
	u64 tx, rx;
	long used;
	ssize_t n;
	int sv[2], i;

	begin();
	vm_begin(&ops_fast);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		exit(1);
	net = virtio_net_create(&vm, pci, sv[0], mac);
	if (!net || !gdev_up(&g, net, (1ULL << VIRTIO_NET_F_MAC) |
			     (1ULL << VIRTIO_NET_F_STATUS))) {
		bad("bring-up failed");
		goto out;
	}
	for (i = 0; i < 6; i++)
		CHECK_EQ(mr(g.devcfg + i, 1), mac[i]);
	CHECK_EQ(mr(g.devcfg + offsetof(struct virtio_net_config, status), 2),
		 VIRTIO_NET_S_LINK_UP);

	/* transmit: header and frame in two descriptors */
	tx = galloc(sizeof(frame), 8);
	memset(gptr(tx), 0, 12);
	for (i = 12; i < (int)sizeof(frame); i++)
		((u8 *)gptr(tx))[i] = i;
	tq_add(&g.q[1], (struct gbuf[]){ { tx, 12, false },
					 { tx + 12, 60, false } }, 2);
	tq_kick(&g, 1);
	CHECK_EQ(tq_wait(&g.q[1], NULL), 0);
	pfd = (struct pollfd){ .fd = sv[1], .events = POLLIN };
	n = poll(&pfd, 1, 2000) == 1 ? read(sv[1], got, sizeof(got)) : -1;
	CHECK(n == (ssize_t)sizeof(frame) && !memcmp(got, gptr(tx), n),
	      "transmitted %zd bytes", n);

	/* receive: two packets, one buffer each */
	rx = galloc(2 * 1526, 8);
	tq_add(&g.q[0], &(struct gbuf){ rx, 1526, true }, 1);
	tq_add(&g.q[0], &(struct gbuf){ rx + 1526, 1526, true }, 1);
	tq_kick(&g, 0);
	memset(frame, 0, 12);
	for (i = 12; i < (int)sizeof(frame); i++)
		frame[i] = 0xff - i;
	CHECK(write(sv[1], frame, sizeof(frame)) == sizeof(frame), "send");
	CHECK(write(sv[1], frame, 40) == 40, "send");
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, sizeof(frame));
	h = gptr(rx);
	CHECK_EQ(h->num_buffers, 1);
	CHECK(!memcmp((u8 *)gptr(rx) + 12, frame + 12, 60), "received frame");
	used = tq_wait(&g.q[0], NULL);
	CHECK_EQ(used, 40);
	/* a third packet waits in the socket until a buffer comes */
	CHECK(write(sv[1], frame, 50) == 50, "send");
	usleep(20000);
	CHECK_EQ(g.q[0].used->idx, 2);
	tq_add(&g.q[0], &(struct gbuf){ rx, 1526, true }, 1);
	tq_kick(&g, 0);
	CHECK_EQ(tq_wait(&g.q[0], NULL), 50);
	CHECK_EQ(net->kicks_by_mmio, 0);
	virtio_dev_destroy(net);
	net = NULL;
out:
	if (!net)
		close(sv[1]);
	vm_end();
	end("net");
}

/*
 * The real TAP path, when this host lets us create one: frames the guest
 * sends come out of the interface without the vnet header, frames sent to
 * the interface reach the guest behind a 12-byte header with num_buffers 1.
 * Skipped (no TEST line) without /dev/net/tun or CAP_NET_ADMIN.
 */
static void test_net_tap(void)
{
	static const u8 mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct sockaddr_ll sll;
	struct virtio_dev *net;
	struct ifreq ifr;
	u8 frame[60], got[2048];
	char name[IFNAMSIZ], path[128];
	struct gdev g;
	int tap, ps, ctl, i, found;
	u64 tx, rx;
	FILE *f;

	if (access("/dev/net/tun", R_OK | W_OK))
		return;
	tap = virtio_net_open_tap("lvtst%d", name);
	if (tap < 0) {
		printf("net_tap: skipped (no TAP here)\n");
		return;
	}
	begin();
	vm_begin(&ops_plain);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);	/* fewer stray frames */
		fclose(f);
	}
	ctl = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_UP;
	CHECK(ctl >= 0 && !ioctl(ctl, SIOCSIFFLAGS, &ifr), "%s up: %s", name,
	      strerror(errno));
	ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(name);
	CHECK(ps >= 0 && !bind(ps, (struct sockaddr *)&sll, sizeof(sll)),
	      "packet socket: %s", strerror(errno));
	net = virtio_net_create(&vm, pci, tap, mac);
	if (why[0] || !net || !gdev_up(&g, net, 1ULL << VIRTIO_NET_F_MAC)) {
		bad("bring-up failed");
		goto out;
	}

	/* guest -> host */
	tx = galloc(12 + sizeof(frame), 8);
	memset(gptr(tx), 0, 12);
	memcpy((u8 *)gptr(tx) + 12, bcast, 6);
	memcpy((u8 *)gptr(tx) + 18, mac, 6);
	((u8 *)gptr(tx))[24] = 0x88;
	((u8 *)gptr(tx))[25] = 0xb5;
	memcpy((u8 *)gptr(tx) + 26, "lvctl guest to host", 19);
	tq_add(&g.q[1], &(struct gbuf){ tx, 12 + sizeof(frame), false }, 1);
	tq_kick(&g, 1);
	CHECK_EQ(tq_wait(&g.q[1], NULL), 0);
	for (found = 0, i = 0; i < 20 && !found; i++) {
		struct pollfd pfd = { .fd = ps, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) != 1)
			continue;
		n = recv(ps, got, sizeof(got), 0);
		found = n == sizeof(frame) &&
			!memcmp(got, (u8 *)gptr(tx) + 12, sizeof(frame));
	}
	CHECK(found, "the guest's frame did not leave %s", name);

	/* host -> guest */
	rx = galloc(8 * 1526, 8);
	for (i = 0; i < 8; i++)
		tq_add(&g.q[0], &(struct gbuf){ rx + 1526 * i, 1526, true }, 1);
	tq_kick(&g, 0);
	memset(frame, 0, sizeof(frame));
	memcpy(frame, mac, 6);
	memcpy(frame + 6, "\x02\0\0\0\0\x01", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, "lvctl host to guest", 19);
	CHECK(sendto(ps, frame, sizeof(frame), 0, (struct sockaddr *)&sll,
		     sizeof(sll)) == sizeof(frame), "send: %s", strerror(errno));
	for (found = 0, i = 0; i < 8 && !found; i++) {
		u16 id;
		long len = tq_wait(&g.q[0], &id);
		struct virtio_net_hdr_mrg_rxbuf *h;

		if (len < 0)
			break;
		h = gptr(rx + 1526 * id);
		found = len == 12 + (long)sizeof(frame) && h->num_buffers == 1 &&
			h->hdr.flags == 0 && h->hdr.gso_type == 0 &&
			!memcmp(h + 1, frame, sizeof(frame));
	}
	CHECK(found, "the host's frame did not reach the guest");
	virtio_dev_destroy(net);
out:
	if (ps >= 0)
		close(ps);
	if (ctl >= 0)
		close(ctl);
	vm_end();
	end("net_tap");
}

/* ---- options ---- */

static void test_options(void)
{
	struct virtio_opts o;

	begin();
	memset(&o, 0, sizeof(o));
	CHECK(!virtio_opt_disk(&o, "a.img"), "a.img");
	CHECK(!virtio_opt_disk(&o, "b.img,ro"), "b.img,ro");
	CHECK(o.nr_disks == 2 && !o.disk_ro[0] && o.disk_ro[1] &&
	      !strcmp(o.disk_path[1], "b.img"), "disks parsed");
	CHECK(virtio_opt_disk(&o, "c.img,rw"), "c.img,rw accepted");
	CHECK(virtio_opt_disk(&o, ",ro"), "empty path accepted");
	CHECK(!virtio_opt_disk(&o, "c") && !virtio_opt_disk(&o, "d"), "4 disks");
	CHECK(virtio_opt_disk(&o, "e"), "5 disks accepted");
	CHECK(!virtio_opt_net(&o, "tap,ifname=lv0,mac=52:54:00:01:02:03"), "tap");
	CHECK(o.net_tap && !strcmp(o.net_ifname, "lv0") && o.net_mac[5] == 3,
	      "net parsed");
	CHECK(virtio_opt_net(&o, "tap,mac=01:00:00:00:00:00"), "multicast MAC");
	CHECK(virtio_opt_net(&o, "user"), "net user accepted");
	CHECK(!virtio_opt_net(&o, "none") && !o.net_tap, "none");
	CHECK(!virtio_opt_console(&o, "virtio") && o.console, "console virtio");
	CHECK(virtio_opt_console(&o, "vga"), "console vga accepted");
	end("options");
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* lvctl itself: a bad --disk is one message and status 2 */
static void test_cli(void)
{
	static u8 zeros[64 * 1024];
	const char *hlt, *odd, *two;
	struct child c1, c2, c3;

	begin();
	hlt = write_file("hlt.bin", "\xf4", 1);
	odd = write_file("odd.img", zeros, 1000);
	run_lvctl(&c1, ARGS("run", "--disk", TMPDIR "/no-such.img", hlt));
	CHECK(c1.status == 2, "missing disk: status %d", c1.status);
	run_lvctl(&c2, ARGS("run", "--disk", odd, hlt));
	CHECK(c2.status == 2, "odd disk: status %d", c2.status);
	CHECK(count_lines(c1.err) == 1 && strstr(c1.err, "no-such.img") &&
	      strstr(c2.err, "multiple of 512"), "error messages");
	/* one image as two writable disks */
	two = write_file("two.img", zeros, sizeof(zeros));
	run_lvctl(&c3, ARGS("run", "--disk", two, "--disk", two, hlt));
	CHECK(c3.status != 0 && strstr(c3.err, "in use"),
	      "a doubly used disk: status %d", c3.status);
	end("cli_disk");
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-virtio");
	test_pci_enum();
	test_pci_bar();
	test_pci_bar32();
	test_msix(&ops_plain, "msix_signal_msi");
	test_msix(&ops_fast, "msix_irqfd");
	test_virtio_handshake();
	test_blk(&ops_plain, "blk_mmio_doorbells");
	test_blk(&ops_fast, "blk_ioeventfd_irqfd");
	test_blk_ro();
	test_rng();
	test_console();
	test_net();
	test_net_tap();
	test_options();
	test_cli();
	return harness_finish();
}
