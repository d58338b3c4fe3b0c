/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio tests' guest (test-virtio.c, test-virtio-hostile.c), on top
 * of harness.h: a VM with real guest RAM and a guard pattern around it, a
 * fake accelerator that records signal_msi, irqfd and ioeventfd calls,
 * and a guest driver that enumerates the bus through conf1, sizes and
 * moves BARs, programs MSI-X, negotiates features and sets up queues in
 * the order Linux's virtio_pci_modern does, then posts descriptor chains
 * it builds in guest memory (blk requests against a temporary image).
 * Included once per test program.
 */
#ifndef LVCTL_TEST_VIRTIO_GUEST_H
#define LVCTL_TEST_VIRTIO_GUEST_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>

#include "accel.h"
#include "devices.h"
#include "pci.h"
#include "virtio.h"

#include "harness.h"

#define MEM_SIZE	(16 * SZ_1M)
#define MSI_ADDR	0xfee00000ULL

/* ---- the fake accelerator ---- */

#define LOG_MAX	256

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { int fd; u64 addr; u32 data; bool assign; } irqfd_log[LOG_MAX];
static int nr_irqfd;
static struct { u64 addr; int fd; bool assign; } ioev_log[LOG_MAX];
static int nr_ioev;

static inline void fake_reset(void)
{
	msi_log_reset();
	pthread_mutex_lock(&fake_lock);
	nr_irqfd = nr_ioev = 0;
	pthread_mutex_unlock(&fake_lock);
}

static inline int fake_irqfd(struct vm *vm, int fd, u64 addr, u32 data, bool assign)
{
	(void)vm;
	pthread_mutex_lock(&fake_lock);
	if (nr_irqfd < LOG_MAX) {
		irqfd_log[nr_irqfd].fd = fd;
		irqfd_log[nr_irqfd].addr = addr;
		irqfd_log[nr_irqfd].data = data;
		irqfd_log[nr_irqfd].assign = assign;
		nr_irqfd++;
	}
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

static inline int fake_ioeventfd(struct vm *vm, u64 addr, u32 len, bool pio, int fd,
			  bool assign)
{
	(void)vm;
	if (len != 2 || pio)
		return -1;
	pthread_mutex_lock(&fake_lock);
	if (nr_ioev < LOG_MAX) {
		ioev_log[nr_ioev].addr = addr;
		ioev_log[nr_ioev].fd = fd;
		ioev_log[nr_ioev].assign = assign;
		nr_ioev++;
	}
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

/* signal_msi only: doorbells are MMIO exits, interrupts direct */
static const struct accel_ops ops_plain = {
	.name = "fake-plain",
	.signal_msi = fake_signal_msi,
};

/* the fast path: ioeventfd and irqfd */
static const struct accel_ops ops_fast = {
	.name = "fake-fast",
	.signal_msi = fake_signal_msi,
	.irqfd = fake_irqfd,
	.ioeventfd = fake_ioeventfd,
};

/* the fd the fake "kernel" signals for doorbell writes at @addr, or -1 */
static inline int ioev_fd(u64 addr)
{
	int i, fd = -1;

	pthread_mutex_lock(&fake_lock);
	for (i = 0; i < nr_ioev; i++)
		if (ioev_log[i].addr == addr)
			fd = ioev_log[i].assign ? ioev_log[i].fd : -1;
	pthread_mutex_unlock(&fake_lock);
	return fd;
}

/* ---- the VM: guest RAM, a guard pattern around it, buses ---- */

static struct vm vm;
static struct pci *pci;
static u64 galloc_next;

static inline void slack_fill(void)
{
	u8 *map = vm.mem.map;

	memset(map, 0xa5, vm.mem.hva - map);
	memset(vm.mem.hva + vm.mem.size, 0xa5,
	       map + vm.mem.map_size - (vm.mem.hva + vm.mem.size));
}

/* true when no byte outside guest RAM (in our mapping) changed */
static inline bool slack_intact(void)
{
	u8 *map = vm.mem.map, *p;

	for (p = map; p < vm.mem.hva; p++)
		if (*p != 0xa5)
			return false;
	for (p = vm.mem.hva + vm.mem.size; p < map + vm.mem.map_size; p++)
		if (*p != 0xa5)
			return false;
	return true;
}

static inline void vm_begin(const struct accel_ops *ops)
{
	vm_init(&vm);
	vm.ops = ops;
	if (guest_mem_alloc(&vm.mem, MEM_SIZE))
		exit(1);
	slack_fill();
	pci = pci_setup(&vm);
	if (!pci)
		exit(1);
	galloc_next = SZ_1M;
	fake_reset();
}

static inline void vm_end(void)
{
	guest_mem_free(&vm.mem);
	free(pci);
	pci = NULL;
}

static inline u64 galloc(u64 size, u64 align)
{
	u64 gpa = (galloc_next + align - 1) & ~(align - 1);

	galloc_next = gpa + size;
	return gpa;
}

static inline void *gptr(u64 gpa)
{
	return vm.mem.hva + gpa;
}

/* ---- the guest's view: conf1, MMIO ---- */

static inline bool io_acc(u16 port, void *data, u32 len, bool w)
{
	return bus_dispatch(&vm.io_bus, port, data, len, w);
}

static inline u32 conf_read_bdf(int bus, int slot, int fn, u32 off, u32 len)
{
	u8 d[4];

	le_store(d, 4, 0x80000000u | bus << 16 | slot << 11 | fn << 8 |
		 (off & 0xfc));
	io_acc(PCI_CONF1_ADDR_PORT, d, 4, true);
	memset(d, 0, 4);
	io_acc(PCI_CONF1_DATA_PORT + (off & 3), d, len, false);
	return le_load(d, len);
}

static inline u32 conf_read(int slot, u32 off, u32 len)
{
	return conf_read_bdf(0, slot, 0, off, len);
}

static inline void conf_write(int slot, u32 off, u32 len, u32 v)
{
	u8 d[4];

	le_store(d, 4, 0x80000000u | slot << 11 | (off & 0xfc));
	io_acc(PCI_CONF1_ADDR_PORT, d, 4, true);
	le_store(d, 4, v);
	io_acc(PCI_CONF1_DATA_PORT + (off & 3), d, len, true);
}

static bool mmio_ok;

static inline u64 mr(u64 gpa, u32 len)
{
	u8 d[8] = { 0 };

	mmio_ok = bus_dispatch(&vm.mmio_bus, gpa, d, len, false);
	return le_load(d, len);
}

static inline void mw(u64 gpa, u32 len, u64 v)
{
	u8 d[8];

	le_store(d, len, v);
	mmio_ok = bus_dispatch(&vm.mmio_bus, gpa, d, len, true);
}

/* ---- a guest driver ---- */

struct tq {
	u16 size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u64 desc_gpa, avail_gpa, used_gpa;
	u16 avail_idx, next_desc, last_used;
	u64 notify;
};

struct gdev {
	int slot;
	u64 bar;
	u64 common, isr, devcfg, notify;
	u32 notify_mult;
	u8 msix_cap;
	u8 pci_cfg;
	u16 nq;
	struct tq q[VIRTIO_MAX_QUEUES];
	struct virtio_dev *vdev;
};

static inline int find_slot(u16 device_id)
{
	int s;

	for (s = 0; s < PCI_MAX_SLOTS; s++)
		if (conf_read(s, PCI_VENDOR_ID, 2) == VIRTIO_PCI_VENDOR_ID &&
		    conf_read(s, PCI_DEVICE_ID, 2) == device_id)
			return s;
	return -1;
}

static inline u64 bar_read(int slot)
{
	return (conf_read(slot, PCI_BASE_ADDRESS_0, 4) & ~0xfu) |
	       (u64)conf_read(slot, PCI_BASE_ADDRESS_1, 4) << 32;
}

/* virtio_pci_modern's probe: the capabilities, the BAR, MSI-X */
static inline bool gdev_probe(struct gdev *g, struct virtio_dev *vdev)
{
	u8 cap;

	memset(g, 0, sizeof(*g));
	g->vdev = vdev;
	g->slot = find_slot(VIRTIO_PCI_DEVICE_BASE + vdev->ops->type);
	if (g->slot < 0) {
		bad("no device %04x on the bus", VIRTIO_PCI_DEVICE_BASE + vdev->ops->type);
		return false;
	}
	g->bar = bar_read(g->slot);
	if (!(conf_read(g->slot, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
		bad("no capability list");
		return false;
	}
	for (cap = conf_read(g->slot, PCI_CAPABILITY_LIST, 1); cap;
	     cap = conf_read(g->slot, cap + 1, 1)) {
		u8 id = conf_read(g->slot, cap, 1);
		u8 type = conf_read(g->slot, cap + 3, 1);
		u64 off = conf_read(g->slot, cap + 8, 4);

		if (id == PCI_CAP_ID_MSIX) {
			g->msix_cap = cap;
			continue;
		}
		if (id != PCI_CAP_ID_VNDR)
			continue;
		if (conf_read(g->slot, cap + 4, 1) != 0) {
			bad("capability in BAR %u", conf_read(g->slot, cap + 4, 1));
			return false;
		}
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			g->common = g->bar + off;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			g->notify = g->bar + off;
			g->notify_mult = conf_read(g->slot, cap + 16, 4);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			g->isr = g->bar + off;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			g->devcfg = g->bar + off;
			break;
		case VIRTIO_PCI_CAP_PCI_CFG:
			g->pci_cfg = cap;
			break;
		}
	}
	if (!g->common || !g->notify || !g->isr || !g->msix_cap || !g->pci_cfg) {
		bad("missing capability");
		return false;
	}
	return true;
}

#define COMMON(g, f)	((g)->common + VIRTIO_PCI_COMMON_##f)

static inline u32 msix_data(int v)
{
	return 0x40 + v;
}

/* MSI-X: enable with the function masked, program, unmask (as Linux) */
static inline void gdev_msix(struct gdev *g, u16 nvec)
{
	u32 table = conf_read(g->slot, g->msix_cap + PCI_MSIX_TABLE, 4);
	u64 t = g->bar + (table & ~7u);
	u16 i;

	conf_write(g->slot, g->msix_cap + PCI_MSIX_FLAGS, 2,
		   PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (i = 0; i < nvec; i++) {
		mw(t + 16 * i, 4, MSI_ADDR);
		mw(t + 16 * i + 4, 4, 0);
		mw(t + 16 * i + 8, 4, msix_data(i));
		mw(t + 16 * i + 12, 4, 0);
	}
	conf_write(g->slot, g->msix_cap + PCI_MSIX_FLAGS, 2,
		   PCI_MSIX_FLAGS_ENABLE);
}

/* reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; false if refused */
static inline bool gdev_negotiate(struct gdev *g, u64 want)
{
	u64 have;
	u8 st;

	mw(COMMON(g, STATUS), 1, 0);
	if (mr(COMMON(g, STATUS), 1) != 0)
		bad("status not 0 after reset");
	mw(COMMON(g, STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mw(COMMON(g, STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER);
	mw(COMMON(g, DFSELECT), 4, 0);
	have = mr(COMMON(g, DF), 4);
	mw(COMMON(g, DFSELECT), 4, 1);
	have |= mr(COMMON(g, DF), 4) << 32;
	want &= have;
	mw(COMMON(g, GFSELECT), 4, 0);
	mw(COMMON(g, GF), 4, (u32)want);
	mw(COMMON(g, GFSELECT), 4, 1);
	mw(COMMON(g, GF), 4, want >> 32);
	mw(COMMON(g, STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	st = mr(COMMON(g, STATUS), 1);
	return st & VIRTIO_CONFIG_S_FEATURES_OK;
}

static inline void tq_alloc(struct tq *q, u16 size)
{
	memset(q, 0, sizeof(*q));
	q->size = size;
	q->desc_gpa = galloc(16 * size, 16);
	q->avail_gpa = galloc(6 + 2 * size, 2);
	q->used_gpa = galloc(6 + 8 * size, 4);
	q->desc = gptr(q->desc_gpa);
	q->avail = gptr(q->avail_gpa);
	q->used = gptr(q->used_gpa);
	memset(q->desc, 0, 16 * size);
	memset(q->avail, 0, 6 + 2 * size);
	memset(q->used, 0, 6 + 8 * size);
}

/* queue setup as vp_modern_find_vqs: select, size, addresses, vector, enable */
static inline bool gdev_queue(struct gdev *g, u16 qi, u16 size, u16 vector)
{
	struct tq *q = &g->q[qi];
	u16 max;

	mw(COMMON(g, Q_SELECT), 2, qi);
	max = mr(COMMON(g, Q_SIZE), 2);
	if (!max) {
		bad("queue %u absent", qi);
		return false;
	}
	if (!size || size > max)
		size = max;
	tq_alloc(q, size);
	mw(COMMON(g, Q_SIZE), 2, size);
	mw(COMMON(g, Q_DESCLO), 4, (u32)q->desc_gpa);
	mw(COMMON(g, Q_DESCHI), 4, q->desc_gpa >> 32);
	mw(COMMON(g, Q_AVAILLO), 4, (u32)q->avail_gpa);
	mw(COMMON(g, Q_AVAILHI), 4, q->avail_gpa >> 32);
	mw(COMMON(g, Q_USEDLO), 4, (u32)q->used_gpa);
	mw(COMMON(g, Q_USEDHI), 4, q->used_gpa >> 32);
	mw(COMMON(g, Q_MSIX), 2, vector);
	if (mr(COMMON(g, Q_MSIX), 2) != vector) {
		bad("queue %u: vector %u refused", qi, vector);
		return false;
	}
	q->notify = g->notify + g->notify_mult * mr(COMMON(g, Q_NOFF), 2);
	mw(COMMON(g, Q_ENABLE), 2, 1);
	return mr(COMMON(g, Q_ENABLE), 2) == 1;
}

#define STD_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

/* the whole bring-up; queues use vectors 0..nq-1, config vector nq */
static inline bool gdev_up(struct gdev *g, struct virtio_dev *vdev, u64 features)
{
	u16 i;

	if (!gdev_probe(g, vdev))
		return false;
	gdev_msix(g, vdev->ops->nr_queues + 1);
	if (!gdev_negotiate(g, features | STD_FEATURES)) {
		bad("FEATURES_OK refused");
		return false;
	}
	g->nq = mr(COMMON(g, NUMQ), 2);
	mw(COMMON(g, MSIX), 2, g->nq);
	if (mr(COMMON(g, MSIX), 2) != g->nq) {
		bad("config vector refused");
		return false;
	}
	for (i = 0; i < g->nq; i++)
		if (!gdev_queue(g, i, 0, i))
			return false;
	mw(COMMON(g, STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK);
	return mr(COMMON(g, STATUS), 1) & VIRTIO_CONFIG_S_DRIVER_OK;
}

struct gbuf {
	u64 gpa;
	u32 len;
	bool write;
};

/* a chain of @n descriptors from the next free ones; returns the head */
static inline u16 tq_add(struct tq *q, const struct gbuf *b, int n)
{
	u16 head = q->next_desc;
	int i;

	for (i = 0; i < n; i++) {
		u16 d = (head + i) % q->size;

		q->desc[d].addr = b[i].gpa;
		q->desc[d].len = b[i].len;
		q->desc[d].flags = (b[i].write ? VRING_DESC_F_WRITE : 0) |
				   (i < n - 1 ? VRING_DESC_F_NEXT : 0);
		q->desc[d].next = (d + 1) % q->size;
	}
	q->next_desc = (head + n) % q->size;
	q->avail->ring[q->avail_idx % q->size] = head;
	__atomic_store_n(&q->avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
	return head;
}

/* the doorbell: through the fake kernel's ioeventfd, or an MMIO write */
static inline void tq_kick(struct gdev *g, u16 qi)
{
	struct tq *q = &g->q[qi];
	int fd = ioev_fd(q->notify);
	u64 one = 1;

	if (fd >= 0) {
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			bad("eventfd write");
		return;
	}
	mw(q->notify, 2, qi);
	if (!mmio_ok)
		bad("doorbell at 0x%llx unclaimed", (unsigned long long)q->notify);
}

static inline bool wait_cond(bool (*cond)(void *), void *arg)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (cond(arg))
			return true;
		usleep(1000);
	}
	return cond(arg);
}

struct used_wait {
	struct tq *q;
	u16 want;
};

static inline bool used_reached(void *arg)
{
	struct used_wait *w = arg;

	return (u16)(__atomic_load_n(&w->q->used->idx, __ATOMIC_ACQUIRE) -
		     w->want) < 0x8000;
}

/* wait for the next used element; its len, or -1 on timeout */
static inline long tq_wait(struct tq *q, u16 *id)
{
	struct used_wait w = { q, (u16)(q->last_used + 1) };
	struct vring_used_elem *u;

	if (!wait_cond(used_reached, &w))
		return -1;
	u = &q->used->ring[q->last_used % q->size];
	q->last_used++;
	if (id)
		*id = u->id;
	return u->len;
}

struct msi_wait {
	u64 addr;
	u32 data;
	int n;
};

static inline bool msi_reached(void *arg)
{
	struct msi_wait *w = arg;

	return msi_count_match(w->addr, w->data) >= w->n;
}

/* the device thread signals after publishing the used index: wait for it */
static inline int wait_msi(u32 data, int n)
{
	struct msi_wait w = { MSI_ADDR, data, n };

	wait_cond(msi_reached, &w);
	return msi_count_match(MSI_ADDR, data);
}

static inline bool broken_now(void *arg)
{
	struct gdev *g = arg;

	return mr(COMMON(g, STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* ---- blk requests ---- */

#define IMG_SECTORS	2048	/* 1 MiB */

static u8 img_data[IMG_SECTORS * 512];

static inline const char *make_image(const char *name)
{
	unsigned int i, x = 12345;

	for (i = 0; i < sizeof(img_data); i++) {
		x = x * 1103515245 + 12345;
		img_data[i] = x >> 16;
	}
	return write_file(name, img_data, sizeof(img_data));
}

static inline u32 fnv(const void *p, size_t n)
{
	const u8 *b = p;
	u32 h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

struct blkreq {
	u64 hdr, data, status;
};

static inline void blkreq_alloc(struct blkreq *r, u32 data_len)
{
	r->hdr = galloc(16, 16);
	r->data = galloc(data_len ? data_len : 1, 512);
	r->status = galloc(1, 1);
}

/* one request: header, data (split in two descriptors), status */
static inline long blk_do(struct gdev *g, struct blkreq *r, u32 type, u64 sector,
		   u32 len, bool data_write, u8 *status)
{
	struct virtio_blk_outhdr *h = gptr(r->hdr);
	struct gbuf b[4];
	int n = 0;
	long used;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(u8 *)gptr(r->status) = 0xee;
	b[n++] = (struct gbuf){ r->hdr, 16, false };
	if (len > 512) {
		b[n++] = (struct gbuf){ r->data, 512, data_write };
		b[n++] = (struct gbuf){ r->data + 512, len - 512, data_write };
	} else if (len) {
		b[n++] = (struct gbuf){ r->data, len, data_write };
	}
	b[n++] = (struct gbuf){ r->status, 1, true };
	tq_add(&g->q[0], b, n);
	tq_kick(g, 0);
	used = tq_wait(&g->q[0], NULL);
	*status = *(u8 *)gptr(r->status);
	return used;
}

#endif /* LVCTL_TEST_VIRTIO_GUEST_H */
