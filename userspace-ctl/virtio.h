/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio 1.x over PCI (the modern transport only), split virtqueues and
 * the devices built on them: console, blk, net, rng.
 *
 * Each device is a virtio_dev: a PCI function with one 64-bit memory BAR
 * holding the common configuration, ISR, device configuration, doorbells
 * and the MSI-X table, plus one thread that sleeps in epoll on the queue
 * doorbell eventfds (and the device's own fds: stdin, TAP) and calls the
 * device's ops with vdev->lock held.  vCPU accesses to the transport take
 * the same lock, so a reset never races queue processing.
 */
#ifndef LVCTL_VIRTIO_H
#define LVCTL_VIRTIO_H

#include <stdio.h>
#include <sys/uio.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "lvctl.h"
#include "pci.h"

#define VIRTIO_PCI_VENDOR_ID	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + VIRTIO_ID_*: modern devices */
#define VIRTIO_PCI_REVISION	1

#define VIRTIO_MAX_QUEUES	4
#define VIRTQ_MAX_SIZE		256
/* a chain may not be longer than the largest queue (direct or indirect) */
#define VQ_MAX_SEGS		VIRTQ_MAX_SIZE
#define VIRTIO_MAX_WATCH	2
#define VIRTIO_CONFIG_MAX	0x100

/*
 * BAR 0 (64-bit memory, 32 KiB).  Doorbells: notify_off_multiplier 4 and
 * queue_notify_off = queue index, so queue q rings at NOTIFY_OFF + 4 * q,
 * each its own ioeventfd address.
 */
#define VIRTIO_BAR		0
#define VIRTIO_BAR_SIZE		0x8000
#define VIRTIO_COMMON_OFF	0x0000
#define VIRTIO_ISR_OFF		0x1000
#define VIRTIO_DEVCFG_OFF	0x2000
#define VIRTIO_NOTIFY_OFF	0x3000
#define VIRTIO_MSIX_TABLE_OFF	0x4000
#define VIRTIO_MSIX_PBA_OFF	0x5000
#define VIRTIO_NOTIFY_MULT	4

struct virtio_dev;

struct virtqueue {
	struct virtio_dev *vdev;
	u16 index;
	u16 max_size;

	/* what the driver programmed through the common configuration */
	u16 size;
	u16 msix_vector;
	bool enabled;
	u64 desc_gpa, avail_gpa, used_gpa;

	/* valid from enable on: checked to lie inside guest RAM */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 last_avail;
	u16 used_idx;
	u16 signalled_used;	/* used_idx at the last interrupt */
	bool no_notify;		/* VRING_USED_F_NO_NOTIFY set: we are busy */

	int kick_fd;		/* doorbell eventfd */
	bool ioeventfd_on;
	u64 ioeventfd_addr;
};

/* one popped chain: iov[0, nr_out) readable, then nr_in writable */
struct vq_elem {
	u16 head;
	u32 nr_out, nr_in;
	u64 out_len, in_len;
	struct iovec iov[VQ_MAX_SEGS];
};

struct virtio_dev_ops {
	const char *name;
	u16 type;		/* VIRTIO_ID_* */
	u32 class_code;
	u16 nr_queues;
	u16 queue_size;
	/* guest write to the device configuration; NULL: read-only */
	void (*config_write)(struct virtio_dev *vdev, u32 off, const u8 *data,
			     u32 len);
	/* the driver reset the device (lock held, queues already gone) */
	void (*reset)(struct virtio_dev *vdev);
	/* device thread, lock held, driver ready: @vq was kicked */
	void (*queue_notify)(struct virtio_dev *vdev, struct virtqueue *vq);
	/* device thread, lock held, driver ready: a watched fd is ready */
	void (*fd_ready)(struct virtio_dev *vdev, int fd, u32 events);
	/* close the device's own fds and free it (thread already stopped) */
	void (*destroy)(struct virtio_dev *vdev);
};

struct virtio_dev {
	struct pci_dev pci;
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *priv;
	pthread_mutex_t lock;

	u64 host_features;
	u64 guest_features;
	u32 dfselect, gfselect;
	u8 status;
	u8 isr;
	u8 config_generation;
	u16 msix_config;
	u16 queue_select;
	u8 config[VIRTIO_CONFIG_MAX];
	u32 config_len;
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	bool broken;
	u8 pci_cfg_cap;		/* VIRTIO_PCI_CAP_PCI_CFG in config space */

	pthread_t thread;
	bool thread_started;
	int epfd;
	int ctl_fd;		/* wakes the thread to stop */
	bool stopping;
	int watch_fd[VIRTIO_MAX_WATCH];
	u32 watch_events[VIRTIO_MAX_WATCH];

	u64 kicks_by_mmio;	/* doorbells that reached lvctl as MMIO */
	u64 completed;		/* chains given back to the driver (requests) */
	u64 irqs_no_vector;	/* interrupts for NO_VECTOR */
};

/* ---- transport (virtio-pci.c) ---- */
int virtio_dev_init(struct virtio_dev *vdev, struct vm *vm,
		    const struct virtio_dev_ops *ops, u64 features,
		    u32 config_len, void *priv);
/* slot, BAR placement, thread; 0 or -1 with a message */
int virtio_dev_start(struct virtio_dev *vdev, struct pci *pci);
/* stop the thread, drop the doorbells and irqfds, free the device */
void virtio_dev_destroy(struct virtio_dev *vdev);
bool virtio_dev_live(struct virtio_dev *vdev);
bool virtio_has_feature(struct virtio_dev *vdev, unsigned int bit);
/* lock held: the guest broke the rules; the device stops until reset */
void virtio_dev_broken(struct virtio_dev *vdev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void virtio_irq(struct virtio_dev *vdev, u16 vector);
/* fds the device thread polls besides the doorbells (EPOLLIN when on) */
int virtio_watch_fd(struct virtio_dev *vdev, int fd);
void virtio_watch_enable(struct virtio_dev *vdev, int fd, bool on);
void virtio_unwatch_fd(struct virtio_dev *vdev, int fd);
void virtio_bar_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
		       u32 len, bool is_write);

/* ---- split virtqueues (virtqueue.c) ---- */
int vq_enable(struct virtqueue *vq, char *why, size_t why_len);
void vq_reset(struct virtqueue *vq);
/* 1: @e holds a chain, 0: the ring is empty, -1: the device is broken */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);
void vq_unpop(struct virtqueue *vq);
void vq_push(struct virtqueue *vq, u16 head, u32 len);
/* interrupt the driver for what was pushed, unless it asked not to be */
void vq_notify(struct virtqueue *vq);
size_t iov_to_buf(const struct iovec *iov, u32 n, size_t off, void *buf,
		  size_t len);
size_t iov_from_buf(const struct iovec *iov, u32 n, size_t off,
		    const void *buf, size_t len);
/* copy of @iov[0, n) from byte @off, @len bytes at most; returns count */
u32 iov_slice(const struct iovec *iov, u32 n, size_t off, size_t len,
	      struct iovec *out);

/* ---- devices ---- */
struct virtio_dev *virtio_console_create(struct vm *vm, struct pci *pci,
					 int in_fd, int out_fd);
struct virtio_dev *virtio_blk_create(struct vm *vm, struct pci *pci,
				     const char *path, bool ro);
struct virtio_dev *virtio_net_create(struct vm *vm, struct pci *pci,
				     int fd, const u8 mac[6]);
int virtio_net_open_tap(const char *ifname, char *name_out);
struct virtio_dev *virtio_rng_create(struct vm *vm, struct pci *pci, int fd);

/* ---- lvctl run options (virtio-pci.c) ---- */
#define VIRTIO_MAX_DISKS	4

struct virtio_opts {
	int nr_disks;
	const char *disk_path[VIRTIO_MAX_DISKS];
	bool disk_ro[VIRTIO_MAX_DISKS];
	bool net_tap;
	char net_ifname[16];
	bool net_mac_set;
	u8 net_mac[6];
	bool rng;
	bool console;		/* --console virtio: stdio goes to hvc0 */
};

/* each 0, or -1 with a message (usage error) */
int virtio_opt_disk(struct virtio_opts *o, const char *arg);
int virtio_opt_net(struct virtio_opts *o, const char *arg);
int virtio_opt_console(struct virtio_opts *o, const char *arg);
/* create the devices the options ask for; 0 or -1 with a message */
int virtio_setup(struct vm *vm, struct pci *pci, const struct virtio_opts *o);
/* one line per device: doorbells by MMIO, interrupts sent and lost */
void virtio_print_stats(FILE *f);
/* stop every device thread (disk writes done) before the VM goes */
void virtio_teardown(void);

#endif /* LVCTL_VIRTIO_H */
