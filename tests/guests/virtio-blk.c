// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk.bin (flat, 64-bit): lvctl's PCI and virtio-blk from inside a
 * guest, polled (no interrupts needed).  Run with a zeroed disk of at least
 * 32 sectors:
 *
 *   dd if=/dev/zero of=IMG bs=512 count=64
 *   lvctl run --mode long64 --disk IMG virtio-blk.bin
 *
 *  - conf1: the host bridge at 00:00.0 (class 0x0600), a virtio-blk
 *    (1af4:1042, revision 1) further on, absent slots read all ones;
 *  - its 64-bit BAR 0 sizes to 32 KiB and lies in 0xe0000000-0xfebfffff;
 *  - the vendor capabilities (common, notify, ISR, device) point into it;
 *  - feature negotiation with VERSION_1; FEATURES_OK refused without it;
 *  - writes of sectors 0-7 (each "LVSECT" then its number), read back,
 *    sector 20 reads as zeros, FLUSH, GET_ID;
 *  - the BAR moved to another address: the device follows (the old
 *    address is no longer decoded: lvctl would stop the guest there, so
 *    only the new one is used), doorbells included;
 *  - a descriptor pointing outside RAM: the device sets NEEDS_RESET.
 */
#include "rt.h"

#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

const char guest_name[] = "virtio-blk";

#define QSIZE		16
#define BAR_MOVED	0xf0000000u

static u32 conf_read(int slot, u32 off, int len)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	switch (len) {
	case 1:
		return inb(0xcfc + (off & 3));
	case 2:
		return inw(0xcfc + (off & 2));
	default:
		return inl(0xcfc);
	}
}

static void conf_write(int slot, u32 off, u32 v)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

static u32 common, notify, devcfg, notify_mult;

static u8 rd8(u32 a) { return *(volatile u8 *)(ulong)a; }
static u16 rd16(u32 a) { return *(volatile u16 *)(ulong)a; }
static u32 rd32(u32 a) { return *(volatile u32 *)(ulong)a; }
static void wr8(u32 a, u8 v) { *(volatile u8 *)(ulong)a = v; }
static void wr16(u32 a, u16 v) { *(volatile u16 *)(ulong)a = v; }
static void wr32(u32 a, u32 v) { *(volatile u32 *)(ulong)a = v; }

static struct vring_desc desc[QSIZE] __attribute__((aligned(16)));
static struct {
	u16 flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4)));
static struct {
	u16 flags, idx;
	struct vring_used_elem ring[QSIZE];
	u16 avail_event;
} used __attribute__((aligned(4)));
static u16 avail_idx, used_seen;

static struct virtio_blk_outhdr hdr;
static u8 data[4096] __attribute__((aligned(512)));
static volatile u8 status;

static int find_blk(void)
{
	int s;

	for (s = 0; s < 32; s++)
		if (conf_read(s, PCI_VENDOR_ID, 4) ==
		    (0x1af4u | (0x1040u + 2) << 16))
			return s;
	return -1;
}

static void find_caps(int slot, u32 bar)
{
	u8 cap;

	for (cap = conf_read(slot, PCI_CAPABILITY_LIST, 1); cap;
	     cap = conf_read(slot, cap + 1, 1)) {
		u32 off;

		if (conf_read(slot, cap, 1) != PCI_CAP_ID_VNDR)
			continue;
		off = bar + conf_read(slot, cap + 8, 4);
		switch (conf_read(slot, cap + 3, 1)) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			common = off;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			notify = off;
			notify_mult = conf_read(slot, cap + 16, 4);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			devcfg = off;
			break;
		}
	}
}

static int negotiate(u32 hi_features)
{
	wr8(common + VIRTIO_PCI_COMMON_STATUS, 0);
	wr8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER);
	wr32(common + VIRTIO_PCI_COMMON_GFSELECT, 0);
	wr32(common + VIRTIO_PCI_COMMON_GF, 1u << VIRTIO_BLK_F_FLUSH);
	wr32(common + VIRTIO_PCI_COMMON_GFSELECT, 1);
	wr32(common + VIRTIO_PCI_COMMON_GF, hi_features);
	wr8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	return rd8(common + VIRTIO_PCI_COMMON_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK;
}

static void queue_setup(void)
{
	memset(&avail, 0, sizeof(avail));
	memset(&used, 0, sizeof(used));
	avail_idx = used_seen = 0;
	wr16(common + VIRTIO_PCI_COMMON_Q_SELECT, 0);
	CHECK(rd16(common + VIRTIO_PCI_COMMON_Q_SIZE) >= QSIZE, "queue size %u",
	      rd16(common + VIRTIO_PCI_COMMON_Q_SIZE));
	wr16(common + VIRTIO_PCI_COMMON_Q_SIZE, QSIZE);
	wr32(common + VIRTIO_PCI_COMMON_Q_DESCLO, (u32)(ulong)desc);
	wr32(common + VIRTIO_PCI_COMMON_Q_DESCHI, 0);
	wr32(common + VIRTIO_PCI_COMMON_Q_AVAILLO, (u32)(ulong)&avail);
	wr32(common + VIRTIO_PCI_COMMON_Q_AVAILHI, 0);
	wr32(common + VIRTIO_PCI_COMMON_Q_USEDLO, (u32)(ulong)&used);
	wr32(common + VIRTIO_PCI_COMMON_Q_USEDHI, 0);
	wr16(common + VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
	wr16(common + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	wr8(common + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	    VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	    VIRTIO_CONFIG_S_DRIVER_OK);
}

/* one request, polled; the used length, or -1 after a timeout */
static long request(u32 type, u32 sector, u32 len, int data_in, u32 data_addr)
{
	u16 qoff = rd16(common + VIRTIO_PCI_COMMON_Q_NOFF);
	u32 spins;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	status = 0xee;
	desc[0] = (struct vring_desc){ (u32)(ulong)&hdr, sizeof(hdr),
				       VRING_DESC_F_NEXT, 1 };
	desc[1] = (struct vring_desc){ data_addr, len,
				       VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0), 2 };
	desc[2] = (struct vring_desc){ (u32)(ulong)&status, 1,
				       VRING_DESC_F_WRITE, 0 };
	if (!len)
		desc[0].next = 2;
	avail.ring[avail_idx % QSIZE] = 0;
	asm volatile("" ::: "memory");
	avail.idx = ++avail_idx;
	asm volatile("mfence" ::: "memory");
	wr16(notify + qoff * notify_mult, 0);
	for (spins = 0; spins < 10000000; spins++) {
		if (*(volatile u16 *)&used.idx != used_seen)
			break;
		/* a broken device completes nothing: stop waiting */
		if (!(spins % 1000) && (rd8(common + VIRTIO_PCI_COMMON_STATUS) &
					VIRTIO_CONFIG_S_NEEDS_RESET))
			break;
		asm volatile("pause");
	}
	if (*(volatile u16 *)&used.idx == used_seen)
		return -1;
	return used.ring[used_seen++ % QSIZE].len;
}

static void check_sector(const u8 *p, u32 n)
{
	u32 i;

	CHECK(!memcmp(p, "LVSECT", 6), "sector %u: no LVSECT tag", n);
	for (i = 6; i < 512; i++)
		if (p[i] != (u8)n) {
			fail("sector %u byte %u is 0x%x", n, i, p[i]);
			return;
		}
}

void guest_main(u32 magic, ulong info)
{
	u32 bar, cap_sectors, i;
	int slot;
	long n;

	CHECK(conf_read(0, PCI_CLASS_DEVICE, 2) == 0x0600, "no host bridge at 00:00.0");
	CHECK(conf_read(31, PCI_VENDOR_ID, 4) == 0xffffffffu, "slot 31 not empty");
	slot = find_blk();
	if (slot < 0) {
		fail("no virtio-blk (1af4:1042) on bus 0");
		finish();
	}
	CHECK(conf_read(slot, PCI_REVISION_ID, 1) == 1, "revision");
	bar = conf_read(slot, PCI_BASE_ADDRESS_0, 4);
	CHECK((bar & 0xf) == PCI_BASE_ADDRESS_MEM_TYPE_64, "BAR 0 not 64-bit memory");
	bar &= ~0xfu;
	CHECK(bar >= 0xe0000000u && bar < 0xfec00000u, "BAR 0 at 0x%x", bar);
	CHECK(conf_read(slot, PCI_BASE_ADDRESS_1, 4) == 0, "BAR 0 above 4 GiB");
	/* sizing with decoding off, as an OS does */
	conf_write(slot, PCI_COMMAND, 0);
	conf_write(slot, PCI_BASE_ADDRESS_0, 0xffffffffu);
	CHECK((conf_read(slot, PCI_BASE_ADDRESS_0, 4) & ~0xfu) == 0xffff8000u,
	      "BAR 0 size mask 0x%x", conf_read(slot, PCI_BASE_ADDRESS_0, 4));
	conf_write(slot, PCI_BASE_ADDRESS_0, bar);
	conf_write(slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	find_caps(slot, bar);
	if (!common || !notify || !devcfg) {
		fail("virtio capabilities missing");
		finish();
	}
	CHECK(!negotiate(0), "FEATURES_OK without VERSION_1");
	CHECK(negotiate(1), "FEATURES_OK refused");
	cap_sectors = rd32(devcfg + 0);
	printf("virtio-blk: slot %d, BAR 0x%x, %u sectors\n", slot, bar, cap_sectors);
	CHECK(cap_sectors >= 32, "capacity %u sectors", cap_sectors);
	queue_setup();

	for (i = 0; i < 8; i++) {
		memcpy(data, "LVSECT", 6);
		memset(data + 6, i, 506);
		n = request(VIRTIO_BLK_T_OUT, i, 512, 0, (u32)(ulong)data);
		CHECK(n == 1 && status == VIRTIO_BLK_S_OK, "write %u: len %ld status %u",
		      i, n, status);
	}
	for (i = 0; i < 8; i++) {
		memset(data, 0, 512);
		n = request(VIRTIO_BLK_T_IN, i, 512, 1, (u32)(ulong)data);
		CHECK(n == 513 && status == VIRTIO_BLK_S_OK, "read %u: len %ld status %u",
		      i, n, status);
		check_sector(data, i);
	}
	memset(data, 0x77, 512);
	n = request(VIRTIO_BLK_T_IN, 20, 512, 1, (u32)(ulong)data);
	CHECK(n == 513 && status == VIRTIO_BLK_S_OK, "read 20: status %u", status);
	for (i = 0; i < 512 && !data[i]; i++)
		;
	CHECK(i == 512, "sector 20 not zero at byte %u (use a zeroed image)", i);
	n = request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
	CHECK(n == 1 && status == VIRTIO_BLK_S_OK, "flush: status %u", status);
	memset(data, 0, 32);
	n = request(VIRTIO_BLK_T_GET_ID, 0, 20, 1, (u32)(ulong)data);
	CHECK(n >= 2 && status == VIRTIO_BLK_S_OK && data[0], "get_id");
	printf("virtio-blk: serial \"%s\"\n", (char *)data);

	/* move the BAR; everything follows */
	conf_write(slot, PCI_BASE_ADDRESS_0, BAR_MOVED);
	CHECK((conf_read(slot, PCI_BASE_ADDRESS_0, 4) & ~0xfu) == BAR_MOVED, "BAR move");
	common += BAR_MOVED - bar;
	notify += BAR_MOVED - bar;
	devcfg += BAR_MOVED - bar;
	CHECK(rd32(devcfg) == cap_sectors, "capacity at the moved BAR");
	n = request(VIRTIO_BLK_T_IN, 5, 512, 1, (u32)(ulong)data);
	CHECK(n == 513 && status == VIRTIO_BLK_S_OK, "read after the move: %ld", n);
	check_sector(data, 5);

	/* hostile: a buffer past the end of RAM */
	n = request(VIRTIO_BLK_T_IN, 0, 512, 1, 0xc0000000u);
	CHECK(n == -1, "request outside RAM completed");
	CHECK(rd8(common + VIRTIO_PCI_COMMON_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
	      "no NEEDS_RESET after a buffer outside RAM");
	/* reset brings it back */
	CHECK(negotiate(1), "FEATURES_OK after reset");
	queue_setup();
	n = request(VIRTIO_BLK_T_IN, 2, 512, 1, (u32)(ulong)data);
	CHECK(n == 513 && status == VIRTIO_BLK_S_OK, "read after reset");
	check_sector(data, 2);
	(void)magic;
	(void)info;
	finish();
}
