// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (entropy device): one queue of writable buffers, filled from
 * an fd (lvctl: /dev/urandom, which never blocks once the host is up).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "virtio.h"

struct virtio_rng {
	struct virtio_dev vdev;
	int fd;
	struct vq_elem elem;	/* the device thread's */
};

static void rng_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_rng *rng = vdev->priv;
	struct vq_elem *e = &rng->elem;
	ssize_t n;

	while (vq_pop(vq, e) == 1) {
		do {
			n = readv(rng->fd, e->iov + e->nr_out, e->nr_in);
		} while (n < 0 && errno == EINTR);
		vq_push(vq, e->head, n > 0 ? n : 0);
	}
	vq_notify(vq);
}

static void rng_destroy(struct virtio_dev *vdev)
{
	struct virtio_rng *rng = vdev->priv;

	close(rng->fd);
	free(rng);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.type = VIRTIO_ID_RNG,
	.class_code = PCI_CLASSCODE_OTHER,
	.nr_queues = 1,
	.queue_size = 64,
	.queue_notify = rng_queue_notify,
	.destroy = rng_destroy,
};

/* The device owns @fd from here on (closed on failure too). */
struct virtio_dev *virtio_rng_create(struct vm *vm, struct pci *pci, int fd)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng) {
		pr_err("virtio-rng: out of memory");
		close(fd);
		return NULL;
	}
	rng->fd = fd;
	if (virtio_dev_init(&rng->vdev, vm, &rng_ops, 0, 0, rng)) {
		close(fd);
		free(rng);
		return NULL;
	}
	if (virtio_dev_start(&rng->vdev, pci)) {
		virtio_dev_destroy(&rng->vdev);	/* closes @fd */
		return NULL;
	}
	return &rng->vdev;
}
