// SPDX-License-Identifier: GPL-2.0
/*
 * virtio over PCI, the modern (1.x) transport only: vendor 0x1af4, device
 * 0x1040 + type, revision 1, and vendor capabilities pointing into BAR 0
 * for the common configuration, the doorbells, the ISR and the device
 * configuration.  VIRTIO_F_VERSION_1 is required: a driver that does not
 * accept it never sees FEATURES_OK.
 *
 * Doorbells: each queue has an eventfd.  From DRIVER_OK on it is given to
 * the accelerator with ioeventfd (guest writes of 2 bytes at the queue's
 * notify address signal it in the kernel); where that op is missing or
 * fails, the write reaches lvctl as an MMIO exit and the bus access
 * signals the same eventfd, so the device thread cannot tell the two apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <endian.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "accel.h"
#include "devices.h"
#include "virtio.h"

#define TAG_CTL		0x100
#define TAG_FD		0x200	/* + index in watch_fd[] */

/* features every device gets from the transport and ring code */
#define VIRTIO_TRANSPORT_FEATURES \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

bool virtio_has_feature(struct virtio_dev *vdev, unsigned int bit)
{
	return vdev->guest_features & (1ULL << bit);
}

bool virtio_dev_live(struct virtio_dev *vdev)
{
	return (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vdev->broken;
}

void virtio_irq(struct virtio_dev *vdev, u16 vector)
{
	if (vector == VIRTIO_MSI_NO_VECTOR) {
		/* no INTx: a driver without vectors polls */
		vdev->irqs_no_vector++;
		return;
	}
	vdev->isr |= 1;
	pci_msix_notify(&vdev->pci, vector);
}

void virtio_dev_broken(struct virtio_dev *vdev, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (vdev->broken)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("%s (pci slot %d): guest error, device needs reset: %s",
	       vdev->ops->name, vdev->pci.slot, buf);
	vdev->broken = true;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vdev->isr |= VIRTIO_PCI_ISR_CONFIG;
	vdev->config_generation++;
	virtio_irq(vdev, vdev->msix_config);
}

/* ---- watched fds and the device thread ---- */

static int watch_index(struct virtio_dev *vdev, int fd)
{
	int i;

	for (i = 0; i < VIRTIO_MAX_WATCH; i++)
		if (vdev->watch_fd[i] == fd)
			return i;
	return -1;
}

/*
 * A disabled fd is out of the epoll set altogether: epoll reports EPOLLHUP
 * and EPOLLERR even for an empty event mask, and a hung-up stdin with no
 * receive buffer would make the thread spin.
 */
static void watch_set(struct virtio_dev *vdev, int i, u32 events)
{
	struct epoll_event ev = { .events = events, .data.u64 = TAG_FD + i };
	int op;

	if (vdev->watch_events[i] == events)
		return;
	if (!events)
		op = EPOLL_CTL_DEL;
	else if (!vdev->watch_events[i])
		op = EPOLL_CTL_ADD;
	else
		op = EPOLL_CTL_MOD;
	if (!epoll_ctl(vdev->epfd, op, vdev->watch_fd[i], &ev))
		vdev->watch_events[i] = events;
}

/* Starts disabled: the device enables it once it has buffers to fill. */
int virtio_watch_fd(struct virtio_dev *vdev, int fd)
{
	int i = watch_index(vdev, -1);
	struct epoll_event ev = { .events = EPOLLIN };

	if (i < 0)
		return -1;
	/* regular files and /dev/null cannot be polled: refuse them now */
	ev.data.u64 = TAG_FD + i;
	if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -1;
	epoll_ctl(vdev->epfd, EPOLL_CTL_DEL, fd, NULL);
	vdev->watch_fd[i] = fd;
	vdev->watch_events[i] = 0;
	return 0;
}

void virtio_watch_enable(struct virtio_dev *vdev, int fd, bool on)
{
	int i = watch_index(vdev, fd);

	if (fd >= 0 && i >= 0)
		watch_set(vdev, i, on ? EPOLLIN : 0);
}

void virtio_unwatch_fd(struct virtio_dev *vdev, int fd)
{
	int i = watch_index(vdev, fd);

	if (fd < 0 || i < 0)
		return;
	watch_set(vdev, i, 0);
	vdev->watch_fd[i] = -1;
}

static void virtio_thread_event(struct virtio_dev *vdev, u64 tag, u32 events)
{
	u64 cnt;

	if (tag < vdev->ops->nr_queues) {
		struct virtqueue *vq = &vdev->vqs[tag];

		/* drain first: a kick after this wakes us again */
		if (read(vq->kick_fd, &cnt, sizeof(cnt)) < 0 && errno == EAGAIN)
			return;
		pthread_mutex_lock(&vdev->lock);
		if (virtio_dev_live(vdev) && vq->enabled)
			vdev->ops->queue_notify(vdev, vq);
		pthread_mutex_unlock(&vdev->lock);
		return;
	}
	if (tag >= TAG_FD && tag < TAG_FD + VIRTIO_MAX_WATCH) {
		int i = tag - TAG_FD;

		pthread_mutex_lock(&vdev->lock);
		if (vdev->watch_fd[i] < 0) {
			/* removed while the event was queued */
		} else if (virtio_dev_live(vdev) && vdev->ops->fd_ready) {
			vdev->ops->fd_ready(vdev, vdev->watch_fd[i], events);
		} else if (events & (EPOLLHUP | EPOLLERR)) {
			virtio_unwatch_fd(vdev, vdev->watch_fd[i]);
		} else {
			watch_set(vdev, i, 0);
		}
		pthread_mutex_unlock(&vdev->lock);
	}
}

static void *virtio_thread(void *arg)
{
	struct virtio_dev *vdev = arg;
	struct epoll_event ev[8];
	int n, i;

	for (;;) {
		n = epoll_wait(vdev->epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("%s: epoll_wait: %s", vdev->ops->name,
			       strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == TAG_CTL) {
				if (__atomic_load_n(&vdev->stopping,
						    __ATOMIC_ACQUIRE))
					return NULL;
				continue;
			}
			virtio_thread_event(vdev, ev[i].data.u64,
					    ev[i].events);
		}
	}
}

/* ---- doorbells ---- */

/*
 * The BAR's address without the PCI lock: a BAR move holds it and then
 * waits for vdev->lock in virtio_bar_changed(), which redoes this.
 */
static u64 doorbell_base(struct virtio_dev *vdev)
{
	struct pci_bar *b = &vdev->pci.bars[VIRTIO_BAR];

	if (!__atomic_load_n(&b->mapped, __ATOMIC_ACQUIRE))
		return 0;
	return __atomic_load_n(&b->mapped_addr, __ATOMIC_ACQUIRE);
}

/* lock held; the VM exists (DRIVER_OK or later) when @want */
static void doorbells_update(struct virtio_dev *vdev, bool want)
{
	const struct accel_ops *ops = vdev->vm->ops;
	u64 base = doorbell_base(vdev);
	int q;

	for (q = 0; q < vdev->ops->nr_queues; q++) {
		struct virtqueue *vq = &vdev->vqs[q];
		u64 addr = base + VIRTIO_NOTIFY_OFF + VIRTIO_NOTIFY_MULT * q;

		if (vq->ioeventfd_on && (!want || !base ||
					 vq->ioeventfd_addr != addr)) {
			ops->ioeventfd(vdev->vm, vq->ioeventfd_addr, 2, false,
				       vq->kick_fd, false);
			vq->ioeventfd_on = false;
		}
		if (want && base && !vq->ioeventfd_on && ops->ioeventfd &&
		    !ops->ioeventfd(vdev->vm, addr, 2, false, vq->kick_fd,
				    true)) {
			vq->ioeventfd_on = true;
			vq->ioeventfd_addr = addr;
		}
	}
}

/* The BAR moved or stopped decoding (called under the PCI lock). */
static void virtio_bar_changed(struct pci_dev *dev, int bar)
{
	struct virtio_dev *vdev = dev->opaque;

	if (bar != VIRTIO_BAR)
		return;
	pthread_mutex_lock(&vdev->lock);
	doorbells_update(vdev, vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
	pthread_mutex_unlock(&vdev->lock);
}

static void kick(struct virtqueue *vq)
{
	u64 one = 1;

	if (write(vq->kick_fd, &one, sizeof(one)) < 0)
		return;		/* counter full: a wakeup is pending anyway */
}

/* ---- status and reset ---- */

static void virtio_reset(struct virtio_dev *vdev)
{
	int q, i;

	doorbells_update(vdev, false);
	for (q = 0; q < vdev->ops->nr_queues; q++)
		vq_reset(&vdev->vqs[q]);
	for (i = 0; i < VIRTIO_MAX_WATCH; i++)
		if (vdev->watch_fd[i] >= 0)
			watch_set(vdev, i, 0);
	vdev->status = 0;
	vdev->isr = 0;
	vdev->broken = false;
	vdev->guest_features = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->msix_config = VIRTIO_MSI_NO_VECTOR;
	vdev->queue_select = 0;
	vdev->config_generation++;
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

static void virtio_set_status(struct virtio_dev *vdev, u8 v)
{
	u8 old = vdev->status;
	int q;

	if (!v) {
		virtio_reset(vdev);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ||
	     (vdev->guest_features & ~vdev->host_features)))
		v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* no driver may run the device without negotiated features */
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	/* bits are only cleared by a reset */
	v |= old & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FEATURES_OK |
		    VIRTIO_CONFIG_S_DRIVER_OK);
	vdev->status = v;
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		doorbells_update(vdev, true);
		/* buffers made available before DRIVER_OK */
		for (q = 0; q < vdev->ops->nr_queues; q++)
			if (vdev->vqs[q].enabled)
				kick(&vdev->vqs[q]);
	}
}

/* ---- common configuration ---- */

static struct virtqueue *selected_vq(struct virtio_dev *vdev)
{
	if (vdev->queue_select >= vdev->ops->nr_queues)
		return NULL;
	return &vdev->vqs[vdev->queue_select];
}

static void common_image(struct virtio_dev *vdev,
			 struct virtio_pci_common_cfg *c)
{
	struct virtqueue *vq = selected_vq(vdev);

	memset(c, 0, sizeof(*c));
	c->device_feature_select = vdev->dfselect;
	if (vdev->dfselect < 2)
		c->device_feature = vdev->host_features >> (32 * vdev->dfselect);
	c->guest_feature_select = vdev->gfselect;
	if (vdev->gfselect < 2)
		c->guest_feature = vdev->guest_features >> (32 * vdev->gfselect);
	c->msix_config = vdev->msix_config;
	c->num_queues = vdev->ops->nr_queues;
	c->device_status = vdev->status;
	c->config_generation = vdev->config_generation;
	c->queue_select = vdev->queue_select;
	if (!vq)
		return;		/* queue_size 0: no such queue */
	c->queue_size = vq->size;
	c->queue_msix_vector = vq->msix_vector;
	c->queue_enable = vq->enabled;
	c->queue_notify_off = vq->index;
	c->queue_desc_lo = vq->desc_gpa;
	c->queue_desc_hi = vq->desc_gpa >> 32;
	c->queue_avail_lo = vq->avail_gpa;
	c->queue_avail_hi = vq->avail_gpa >> 32;
	c->queue_used_lo = vq->used_gpa;
	c->queue_used_hi = vq->used_gpa >> 32;
}

static u16 valid_vector(struct virtio_dev *vdev, u32 v)
{
	return v < vdev->pci.msix_nr ? v : VIRTIO_MSI_NO_VECTOR;
}

static void set_half(u64 *p, unsigned int half, u32 v)
{
	*p = half ? (*p & 0xffffffffULL) | ((u64)v << 32) :
		    (*p & ~0xffffffffULL) | v;
}

/* one field of the common configuration written with value @v */
static void common_field_write(struct virtio_dev *vdev, unsigned int off,
			       u32 v)
{
	struct virtqueue *vq = selected_vq(vdev);
	bool q_writable = vq && !vq->enabled;
	bool negotiating = !(vdev->status & (VIRTIO_CONFIG_S_FEATURES_OK |
					     VIRTIO_CONFIG_S_DRIVER_OK));
	char why[160];

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vdev->dfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vdev->gfselect = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (negotiating && vdev->gfselect < 2)
			set_half(&vdev->guest_features, vdev->gfselect, v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vdev->msix_config = valid_vector(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_set_status(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vdev->queue_select = v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q_writable)
			vq->size = v;	/* checked at enable */
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vq->msix_vector = valid_vector(vdev, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (!q_writable || v != 1 || vdev->broken)
			break;
		if (vq_enable(vq, why, sizeof(why)))
			virtio_dev_broken(vdev, "%s", why);
		else if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
			kick(vq);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (q_writable)
			set_half(&vq->desc_gpa, off == VIRTIO_PCI_COMMON_Q_DESCHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (q_writable)
			set_half(&vq->avail_gpa, off == VIRTIO_PCI_COMMON_Q_AVAILHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (q_writable)
			set_half(&vq->used_gpa, off == VIRTIO_PCI_COMMON_Q_USEDHI, v);
		break;
	default:
		break;		/* read-only fields */
	}
}

static const struct {
	u8 off, len;
} common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 }, { VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 }, { VIRTIO_PCI_COMMON_CFGGENERATION, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 }, { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 },
	{ VIRTIO_PCI_COMMON_Q_DESCLO, 4 }, { VIRTIO_PCI_COMMON_Q_DESCHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 4 }, { VIRTIO_PCI_COMMON_Q_AVAILHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, 4 }, { VIRTIO_PCI_COMMON_Q_USEDHI, 4 },
};

/*
 * Any width at any offset: the access goes through an image of the
 * structure, and every field it overlaps is written as a whole (so the
 * 32-bit halves Linux writes for the ring addresses work, and so does a
 * byte write into a wider field).
 */
static void common_access(struct virtio_dev *vdev, u64 off, u8 *data,
			  u32 len, bool is_write)
{
	struct virtio_pci_common_cfg c;
	u8 *img = (u8 *)&c;
	unsigned int i;

	if (off >= sizeof(c) || len > sizeof(c) - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	common_image(vdev, &c);
	if (!is_write) {
		memcpy(data, img + off, len);
		return;
	}
	memcpy(img + off, data, len);
	for (i = 0; i < ARRAY_SIZE(common_fields); i++) {
		unsigned int f = common_fields[i].off, fl = common_fields[i].len;

		if (f < off + len && off < f + fl)
			common_field_write(vdev, f, (u32)le_load(img + f, fl));
	}
}

void virtio_bar_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
		       u32 len, bool is_write)
{
	struct virtio_dev *vdev = dev->opaque;

	(void)bar;
	if (off >= VIRTIO_NOTIFY_OFF && off < VIRTIO_NOTIFY_OFF + 0x1000) {
		u64 q = (off - VIRTIO_NOTIFY_OFF) / VIRTIO_NOTIFY_MULT;

		/* no lock: the eventfds live as long as the device */
		if (is_write && q < vdev->ops->nr_queues) {
			__atomic_fetch_add(&vdev->kicks_by_mmio, 1,
					   __ATOMIC_RELAXED);
			kick(&vdev->vqs[q]);
		} else if (!is_write) {
			memset(data, 0, len);
		}
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	if (off < VIRTIO_ISR_OFF) {
		common_access(vdev, off - VIRTIO_COMMON_OFF, data, len, is_write);
	} else if (off < VIRTIO_DEVCFG_OFF) {
		if (!is_write) {
			memset(data, 0, len);
			if (off == VIRTIO_ISR_OFF) {
				data[0] = vdev->isr;
				vdev->isr = 0;	/* read to clear */
			}
		}
	} else if (off < VIRTIO_NOTIFY_OFF) {
		u64 c = off - VIRTIO_DEVCFG_OFF;

		if (c >= vdev->config_len || len > vdev->config_len - c) {
			if (!is_write)
				memset(data, 0, len);
		} else if (!is_write) {
			memcpy(data, vdev->config + c, len);
		} else if (vdev->ops->config_write) {
			vdev->ops->config_write(vdev, c, data, len);
		}
	} else if (!is_write) {
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&vdev->lock);
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG: a window into BAR 0 through configuration
 * space.  The driver sets bar, offset and length (1, 2 or 4, offset
 * aligned to it), then reads or writes pci_cfg_data; anything else is
 * ignored, as the spec allows.
 */
static void virtio_pci_cfg_hook(struct pci_dev *dev, bool is_write)
{
	struct virtio_dev *vdev = dev->opaque;
	struct virtio_pci_cfg_cap *c =
		(struct virtio_pci_cfg_cap *)(dev->cfg + vdev->pci_cfg_cap);
	u32 off = le32toh(c->cap.offset), len = le32toh(c->cap.length);

	if (c->cap.bar != VIRTIO_BAR || (len != 1 && len != 2 && len != 4) ||
	    off % len)
		return;
	pci_bar_access(dev, VIRTIO_BAR, off, c->pci_cfg_data, len, is_write);
}

/* ---- creation ---- */

static u8 add_vendor_cap(struct virtio_dev *vdev, u8 type, u32 off, u32 len,
			 u8 cap_len)
{
	struct pci_dev *dev = &vdev->pci;
	u8 at = pci_add_cap(dev, PCI_CAP_ID_VNDR, cap_len);
	struct virtio_pci_cap *cap;

	if (!at)
		return 0;
	cap = (struct virtio_pci_cap *)(dev->cfg + at);
	cap->cap_len = cap_len;
	cap->cfg_type = type;
	cap->bar = VIRTIO_BAR;
	cap->offset = off;
	cap->length = len;
	return at;
}

int virtio_dev_init(struct virtio_dev *vdev, struct vm *vm,
		    const struct virtio_dev_ops *ops, u64 features,
		    u32 config_len, void *priv)
{
	struct pci_dev *dev = &vdev->pci;
	struct epoll_event ev = { .events = EPOLLIN };
	struct virtio_pci_notify_cap *ncap;
	u16 nr_vectors = ops->nr_queues + 1;
	u8 at;
	int q;

	memset(vdev, 0, sizeof(*vdev));
	vdev->epfd = vdev->ctl_fd = -1;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vdev->vqs[q].kick_fd = -1;
	for (q = 0; q < VIRTIO_MAX_WATCH; q++)
		vdev->watch_fd[q] = -1;
	if (ops->nr_queues > VIRTIO_MAX_QUEUES || config_len > VIRTIO_CONFIG_MAX ||
	    ops->queue_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_size & (ops->queue_size - 1))) {
		pr_err("%s: bad device description", ops->name);
		return -1;
	}
	vdev->vm = vm;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->host_features = features | VIRTIO_TRANSPORT_FEATURES;
	vdev->config_len = config_len;
	vdev->msix_config = VIRTIO_MSI_NO_VECTOR;
	pthread_mutex_init(&vdev->lock, NULL);

	vdev->epfd = epoll_create1(EPOLL_CLOEXEC);
	vdev->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->epfd < 0 || vdev->ctl_fd < 0)
		goto fail_errno;
	ev.data.u64 = TAG_CTL;
	if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, vdev->ctl_fd, &ev))
		goto fail_errno;
	for (q = 0; q < ops->nr_queues; q++) {
		struct virtqueue *vq = &vdev->vqs[q];

		vq->vdev = vdev;
		vq->index = q;
		vq->max_size = ops->queue_size;
		vq_reset(vq);
		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick_fd < 0)
			goto fail_errno;
		ev.data.u64 = q;
		if (epoll_ctl(vdev->epfd, EPOLL_CTL_ADD, vq->kick_fd, &ev))
			goto fail_errno;
	}

	pci_dev_init(dev, vm, ops->name, VIRTIO_PCI_VENDOR_ID,
		     VIRTIO_PCI_DEVICE_BASE + ops->type, VIRTIO_PCI_REVISION,
		     ops->class_code, VIRTIO_PCI_VENDOR_ID,
		     VIRTIO_PCI_DEVICE_BASE + ops->type);
	dev->opaque = vdev;
	dev->bar_changed = virtio_bar_changed;
	if (pci_add_bar(dev, VIRTIO_BAR, VIRTIO_BAR_SIZE, true,
			virtio_bar_access) ||
	    pci_add_msix(dev, nr_vectors, VIRTIO_BAR, VIRTIO_MSIX_TABLE_OFF,
			 VIRTIO_MSIX_PBA_OFF))
		return -1;
	if (!add_vendor_cap(vdev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_COMMON_OFF,
			    sizeof(struct virtio_pci_common_cfg),
			    sizeof(struct virtio_pci_cap)))
		return -1;
	at = add_vendor_cap(vdev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_NOTIFY_OFF,
			    VIRTIO_NOTIFY_MULT * ops->nr_queues,
			    sizeof(struct virtio_pci_notify_cap));
	if (!at)
		return -1;
	ncap = (struct virtio_pci_notify_cap *)(dev->cfg + at);
	ncap->notify_off_multiplier = VIRTIO_NOTIFY_MULT;
	if (!add_vendor_cap(vdev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_ISR_OFF, 1,
			    sizeof(struct virtio_pci_cap)))
		return -1;
	if (config_len &&
	    !add_vendor_cap(vdev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_DEVCFG_OFF,
			    config_len, sizeof(struct virtio_pci_cap)))
		return -1;
	at = add_vendor_cap(vdev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
			    sizeof(struct virtio_pci_cfg_cap));
	if (!at)
		return -1;
	vdev->pci_cfg_cap = at;
	dev->wmask[at + offsetof(struct virtio_pci_cap, bar)] = 0xff;
	memset(dev->wmask + at + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(dev->wmask + at + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data),
	       0xff, 4);
	dev->cfg_hook = virtio_pci_cfg_hook;
	dev->cfg_hook_off = at + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	dev->cfg_hook_len = 4;
	return 0;

fail_errno:
	pr_err("%s: %s", ops->name, strerror(errno));
	return -1;
}

int virtio_dev_start(struct virtio_dev *vdev, struct pci *pci)
{
	sigset_t all, old;
	int err;

	if (pci_register_dev(pci, &vdev->pci))
		return -1;
	/* signals belong to the vCPU threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&vdev->thread, NULL, virtio_thread, vdev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pr_err("%s: no thread: %s", vdev->ops->name, strerror(err));
		return -1;
	}
	vdev->thread_started = true;
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *vdev)
{
	struct pci_dev *dev = &vdev->pci;
	u64 one = 1;
	int q;

	if (vdev->thread_started) {
		__atomic_store_n(&vdev->stopping, true, __ATOMIC_RELEASE);
		if (write(vdev->ctl_fd, &one, sizeof(one)) < 0)
			pr_err("%s: cannot wake the thread", vdev->ops->name);
		pthread_join(vdev->thread, NULL);
		vdev->thread_started = false;
	}
	pthread_mutex_lock(&vdev->lock);
	doorbells_update(vdev, false);
	pthread_mutex_unlock(&vdev->lock);
	for (q = 0; q < dev->msix_nr; q++) {
		struct pci_msix_vector *v = &dev->msix[q];

		if (v->irqfd_on && vdev->vm->ops->irqfd)
			vdev->vm->ops->irqfd(vdev->vm, v->efd, v->irqfd_addr,
					     v->irqfd_data, false);
		if (v->efd >= 0)
			close(v->efd);
		v->efd = -1;
		v->irqfd_on = false;
	}
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (vdev->vqs[q].kick_fd >= 0)
			close(vdev->vqs[q].kick_fd);
	if (vdev->ctl_fd >= 0)
		close(vdev->ctl_fd);
	if (vdev->epfd >= 0)
		close(vdev->epfd);
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev);
}

/* ---- options and setup ---- */

int virtio_opt_disk(struct virtio_opts *o, const char *arg)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
	char *path;

	if (o->nr_disks == VIRTIO_MAX_DISKS) {
		pr_err("--disk: at most %d disks", VIRTIO_MAX_DISKS);
		return -1;
	}
	if (!len) {
		pr_err("--disk: no file name");
		return -1;
	}
	if (comma && strcmp(comma, ",ro")) {
		pr_err("--disk: unknown flag '%s' (only ,ro)", comma + 1);
		return -1;
	}
	path = strndup(arg, len);
	if (!path) {
		pr_err("--disk: out of memory");
		return -1;
	}
	o->disk_path[o->nr_disks] = path;
	o->disk_ro[o->nr_disks] = comma != NULL;
	o->nr_disks++;
	return 0;
}

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	/* a multicast address cannot be a station address */
	return (mac[0] & 1) ? -1 : 0;
}

int virtio_opt_net(struct virtio_opts *o, const char *arg)
{
	char buf[128], *save = NULL, *tok;

	if (!strcmp(arg, "none")) {
		o->net_tap = false;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf)) {
		pr_err("--net: argument too long");
		return -1;
	}
	strcpy(buf, arg);
	tok = strtok_r(buf, ",", &save);
	if (!tok || strcmp(tok, "tap")) {
		pr_err("--net: '%s': use tap[,ifname=NAME][,mac=XX:XX:XX:XX:XX:XX] or none",
		       arg);
		return -1;
	}
	o->net_tap = true;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "ifname=", 7)) {
			if (!tok[7] || strlen(tok + 7) >= sizeof(o->net_ifname)) {
				pr_err("--net: bad interface name '%s'", tok + 7);
				return -1;
			}
			strcpy(o->net_ifname, tok + 7);
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, o->net_mac)) {
				pr_err("--net: bad MAC address '%s'", tok + 4);
				return -1;
			}
			o->net_mac_set = true;
		} else {
			pr_err("--net: unknown option '%s'", tok);
			return -1;
		}
	}
	return 0;
}

int virtio_opt_console(struct virtio_opts *o, const char *arg)
{
	if (!strcmp(arg, "virtio"))
		o->console = true;
	else if (!strcmp(arg, "serial"))
		o->console = false;
	else {
		pr_err("--console: '%s': serial or virtio", arg);
		return -1;
	}
	return 0;
}

static struct virtio_dev *setup_devs[VIRTIO_MAX_DISKS + 3];
static int nr_setup_devs;

int virtio_setup(struct vm *vm, struct pci *pci, const struct virtio_opts *o)
{
	static const u8 default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct virtio_dev *vdev;
	int i, fd;

	if (o->console) {
		/* a background job must not read the terminal (SIGTTIN) */
		bool in_ok = !isatty(STDIN_FILENO) ||
			     tcgetpgrp(STDIN_FILENO) == getpgrp();

		vdev = virtio_console_create(vm, pci,
					     in_ok ? STDIN_FILENO : -1,
					     STDOUT_FILENO);
		if (!vdev)
			return -1;
		setup_devs[nr_setup_devs++] = vdev;
	}
	for (i = 0; i < o->nr_disks; i++) {
		vdev = virtio_blk_create(vm, pci, o->disk_path[i],
					 o->disk_ro[i]);
		if (!vdev)
			return -1;
		setup_devs[nr_setup_devs++] = vdev;
	}
	if (o->net_tap) {
		char name[16];

		fd = virtio_net_open_tap(o->net_ifname, name);
		if (fd < 0)
			return -1;
		vdev = virtio_net_create(vm, pci, fd, o->net_mac_set ?
					 o->net_mac : default_mac);
		if (!vdev)
			return -1;
		fprintf(stderr, "lvctl: virtio-net: TAP device %s\n", name);
		setup_devs[nr_setup_devs++] = vdev;
	}
	if (o->rng) {
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			pr_err("virtio-rng: /dev/urandom: %s", strerror(errno));
			return -1;
		}
		vdev = virtio_rng_create(vm, pci, fd);
		if (!vdev)
			return -1;
		setup_devs[nr_setup_devs++] = vdev;
	}
	return 0;
}

void virtio_print_stats(FILE *f)
{
	int i;

	for (i = 0; i < nr_setup_devs; i++) {
		struct virtio_dev *vdev = setup_devs[i];
		u64 done = vdev->completed;

		/* per request: what the fast path saves (docs/architecture.md) */
		fprintf(f, "lvctl: %s at 00:%02x.0: %llu requests, %.2f doorbell exits per request; doorbells by mmio %llu, interrupts %llu sent, %llu lost, %llu without vector%s\n",
			vdev->ops->name, vdev->pci.slot, (unsigned long long)done,
			done ? (double)vdev->kicks_by_mmio / done : 0.0,
			(unsigned long long)vdev->kicks_by_mmio,
			(unsigned long long)vdev->pci.irqs_sent,
			(unsigned long long)vdev->pci.irqs_lost,
			(unsigned long long)vdev->irqs_no_vector,
			vdev->broken ? ", broken" : "");
	}
}

void virtio_teardown(void)
{
	while (nr_setup_devs > 0)
		virtio_dev_destroy(setup_devs[--nr_setup_devs]);
}
