// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console with one port and no multiport: queue 0 (receiveq) takes
 * bytes from an input fd (lvctl's stdin), queue 1 (transmitq) goes to an
 * output fd (stdout).  The guest sees it as hvc0.  Emergency writes
 * (VIRTIO_CONSOLE_F_EMERG_WRITE) reach the output fd too.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/virtio_console.h>

#include "virtio.h"

#define CONSOLE_RXQ	0
#define CONSOLE_TXQ	1

struct virtio_console {
	struct virtio_dev vdev;
	int in_fd;		/* -1: no input (none, or it reached EOF) */
	int out_fd;
	struct vq_elem elem;	/* the device thread's */
};

static void console_write(struct virtio_console *con, const struct iovec *iov,
			  u32 n)
{
	struct iovec v[VQ_MAX_SEGS];
	u32 nr = n;
	ssize_t w;

	if (con->out_fd < 0)
		return;
	memcpy(v, iov, n * sizeof(*iov));
	while (nr) {
		w = writev(con->out_fd, v, nr);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			con->out_fd = -1;	/* the reader went away */
			return;
		}
		nr = iov_slice(v, nr, w, SIZE_MAX, v);
	}
}

static void console_tx(struct virtio_console *con, struct virtqueue *vq)
{
	struct vq_elem *e = &con->elem;

	while (vq_pop(vq, e) == 1) {
		/* the transmit queue has readable buffers only */
		console_write(con, e->iov, e->nr_out);
		vq_push(vq, e->head, 0);
	}
	vq_notify(vq);
}

static void console_rx(struct virtio_console *con, struct virtqueue *vq)
{
	struct vq_elem *e = &con->elem;
	ssize_t n;
	int r;

	if (con->in_fd < 0)
		return;
	r = vq_pop(vq, e);
	if (r <= 0) {
		/* no buffer: stop polling until the driver adds some */
		virtio_watch_enable(&con->vdev, con->in_fd, false);
		return;
	}
	if (!e->nr_in) {
		virtio_dev_broken(&con->vdev, "receive buffer not writable");
		return;
	}
	n = readv(con->in_fd, e->iov + e->nr_out, e->nr_in);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		vq_unpop(vq);
		return;
	}
	if (n <= 0) {
		vq_unpop(vq);
		virtio_unwatch_fd(&con->vdev, con->in_fd);
		con->in_fd = -1;
		return;
	}
	vq_push(vq, e->head, n);
	vq_notify(vq);
}

static void console_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_console *con = vdev->priv;

	if (vq->index == CONSOLE_TXQ)
		console_tx(con, vq);
	else if (con->in_fd >= 0)
		virtio_watch_enable(vdev, con->in_fd, true);
}

static void console_fd_ready(struct virtio_dev *vdev, int fd, u32 events)
{
	struct virtio_console *con = vdev->priv;

	(void)events;
	if (fd == con->in_fd)
		console_rx(con, &vdev->vqs[CONSOLE_RXQ]);
}

static void console_config_write(struct virtio_dev *vdev, u32 off,
				 const u8 *data, u32 len)
{
	struct virtio_console *con = vdev->priv;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = 1 };

	/* emerg_wr: the low byte is one character of output */
	if (off == offsetof(struct virtio_console_config, emerg_wr) && len)
		console_write(con, &iov, 1);
}

static void console_destroy(struct virtio_dev *vdev)
{
	free(vdev->priv);
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.type = VIRTIO_ID_CONSOLE,
	.class_code = PCI_CLASSCODE_COMM_OTHER,
	.nr_queues = 2,
	.queue_size = 64,
	.config_write = console_config_write,
	.queue_notify = console_queue_notify,
	.fd_ready = console_fd_ready,
	.destroy = console_destroy,
};

struct virtio_dev *virtio_console_create(struct vm *vm, struct pci *pci,
					 int in_fd, int out_fd)
{
	struct virtio_console *con = calloc(1, sizeof(*con));
	struct virtio_console_config *cfg;

	if (!con) {
		pr_err("virtio-console: out of memory");
		return NULL;
	}
	if (virtio_dev_init(&con->vdev, vm, &console_ops,
			    1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE,
			    sizeof(*cfg), con)) {
		free(con);
		return NULL;
	}
	con->out_fd = out_fd;
	con->in_fd = in_fd;
	/* an input that cannot be polled (a regular file, /dev/null) is none */
	if (in_fd >= 0 && virtio_watch_fd(&con->vdev, in_fd))
		con->in_fd = -1;
	cfg = (struct virtio_console_config *)con->vdev.config;
	cfg->max_nr_ports = 1;
	if (virtio_dev_start(&con->vdev, pci)) {
		virtio_dev_destroy(&con->vdev);
		return NULL;
	}
	return &con->vdev;
}
