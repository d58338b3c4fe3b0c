// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net on a packet fd: a TAP device opened with IFF_VNET_HDR and a
 * 12-byte header (struct virtio_net_hdr_mrg_rxbuf, the header of every
 * virtio 1.x packet), so frames pass between the fd and guest buffers
 * without copies: the guest's transmit chains are written out whole, and
 * a received packet is read straight into one receive chain.  Any fd that
 * keeps packet boundaries works (tests use a SOCK_SEQPACKET socketpair).
 *
 * Features: MAC and STATUS (link up).  No offloads and no MRG_RXBUF: the
 * driver then posts buffers big enough for a full frame, and num_buffers
 * is always 1.  Queue 0 receives, queue 1 transmits; one thread (the
 * device thread) does both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "virtio.h"

#define NET_RXQ			0
#define NET_TXQ			1
#define NET_QUEUE_SIZE		256
#define NET_HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define NET_RX_BATCH		64	/* packets per wakeup before an interrupt */

struct virtio_net {
	struct virtio_dev vdev;
	int fd;
	struct vq_elem elem;	/* the device thread's */
	u64 rx_packets, tx_packets, tx_dropped;
};

static void net_tx(struct virtio_net *net, struct virtqueue *vq)
{
	struct vq_elem *e = &net->elem;
	ssize_t n;

	while (vq_pop(vq, e) == 1) {
		if (e->out_len < NET_HDR_LEN) {
			virtio_dev_broken(&net->vdev, "transmit buffer shorter than the header");
			return;
		}
		do {
			n = writev(net->fd, e->iov, e->nr_out);
		} while (n < 0 && errno == EINTR);
		/* a full TAP queue drops the frame, as a busy wire would */
		if (n < 0)
			net->tx_dropped++;
		else
			net->tx_packets++;
		vq_push(vq, e->head, 0);
	}
	vq_notify(vq);
}

static void net_rx(struct virtio_net *net, struct virtqueue *vq)
{
	struct vq_elem *e = &net->elem;
	__virtio16 one = htole16(1);
	int i, r;
	ssize_t n;

	for (i = 0; i < NET_RX_BATCH; i++) {
		r = vq_pop(vq, e);
		if (r < 0)
			break;
		if (!r) {
			/* no buffer: leave packets in the TAP until a kick */
			virtio_watch_enable(&net->vdev, net->fd, false);
			break;
		}
		if (e->in_len < NET_HDR_LEN) {
			virtio_dev_broken(&net->vdev, "receive buffer shorter than the header");
			break;
		}
		do {
			n = readv(net->fd, e->iov + e->nr_out, e->nr_in);
		} while (n < 0 && errno == EINTR);
		if (n < (ssize_t)NET_HDR_LEN) {
			vq_unpop(vq);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				virtio_unwatch_fd(&net->vdev, net->fd);
			break;
		}
		/* TAP leaves num_buffers alone */
		iov_from_buf(e->iov + e->nr_out, e->nr_in,
			     offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers),
			     &one, sizeof(one));
		vq_push(vq, e->head, n);
		net->rx_packets++;
	}
	vq_notify(vq);
}

static void net_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_net *net = vdev->priv;

	if (vq->index == NET_TXQ)
		net_tx(net, vq);
	else
		virtio_watch_enable(vdev, net->fd, true);
}

static void net_fd_ready(struct virtio_dev *vdev, int fd, u32 events)
{
	struct virtio_net *net = vdev->priv;

	(void)events;
	if (fd == net->fd)
		net_rx(net, &vdev->vqs[NET_RXQ]);
}

static void net_destroy(struct virtio_dev *vdev)
{
	struct virtio_net *net = vdev->priv;

	if (net->fd >= 0)
		close(net->fd);
	free(net);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.type = VIRTIO_ID_NET,
	.class_code = PCI_CLASSCODE_NET_ETHERNET,
	.nr_queues = 2,
	.queue_size = NET_QUEUE_SIZE,
	.queue_notify = net_queue_notify,
	.fd_ready = net_fd_ready,
	.destroy = net_destroy,
};

/* The device owns @fd from here on (closed on failure too). */
struct virtio_dev *virtio_net_create(struct vm *vm, struct pci *pci,
				     int fd, const u8 mac[6])
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	struct virtio_net_config *cfg;
	int fl = fcntl(fd, F_GETFL);

	if (!net || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		pr_err("virtio-net: %s", net ? strerror(errno) : "out of memory");
		goto fail;
	}
	net->fd = fd;
	if (virtio_dev_init(&net->vdev, vm, &net_ops,
			    (1ULL << VIRTIO_NET_F_MAC) |
			    (1ULL << VIRTIO_NET_F_STATUS),
			    offsetof(struct virtio_net_config, mtu), net))
		goto fail;
	if (virtio_watch_fd(&net->vdev, fd)) {
		pr_err("virtio-net: cannot poll the backend fd");
		goto fail;
	}
	cfg = (struct virtio_net_config *)net->vdev.config;
	memcpy(cfg->mac, mac, 6);
	cfg->status = htole16(VIRTIO_NET_S_LINK_UP);
	if (virtio_dev_start(&net->vdev, pci)) {
		virtio_dev_destroy(&net->vdev);
		return NULL;
	}
	return &net->vdev;

fail:
	close(fd);
	free(net);
	return NULL;
}

/* A TAP device with the virtio header; @name_out gets its name (16 bytes). */
int virtio_net_open_tap(const char *ifname, char *name_out)
{
	int hdr_len = NET_HDR_LEN;
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		pr_err("--net tap: /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ifname && *ifname)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		pr_err("--net tap: TUNSETIFF %s: %s",
		       ifname && *ifname ? ifname : "(any)", strerror(errno));
		close(fd);
		return -1;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len)) {
		pr_err("--net tap: TUNSETVNETHDRSZ: %s", strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(name_out, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}
