// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk on a raw image file: one request queue, preadv/pwritev
 * straight between the file and guest memory.  Features: SEG_MAX,
 * BLK_SIZE, FLUSH (fdatasync), RO for --disk FILE,ro, and GET_ID (the
 * image's base name, 20 bytes at most).  Requests past the capacity and
 * writes to a read-only disk complete with IOERR, other types with UNSUPP.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "virtio.h"

#define BLK_SECTOR		512
#define BLK_QUEUE_SIZE		128
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)	/* + header + status */

struct virtio_blk {
	struct virtio_dev vdev;
	int fd;
	bool ro;
	u64 capacity;		/* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct vq_elem elem;	/* the device thread's */
	struct iovec data[VQ_MAX_SEGS];
	u64 reqs, errors;
};

/* the whole of @iov at file offset @off; 0 or -1 (short or failed) */
static int blk_rw(struct virtio_blk *blk, struct iovec *iov, u32 n, u64 off,
		  bool write)
{
	ssize_t r;

	while (n) {
		r = write ? pwritev(blk->fd, iov, n, off) :
			    preadv(blk->fd, iov, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
		n = iov_slice(iov, n, r, SIZE_MAX, iov);
	}
	return 0;
}

static u8 blk_request(struct virtio_blk *blk, struct vq_elem *e, u32 *written)
{
	struct virtio_blk_outhdr hdr;
	u64 data_len, sector;
	u32 n;

	if (iov_to_buf(e->iov, e->nr_out, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	sector = le64toh(hdr.sector);
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		data_len = e->in_len - 1;	/* less the status byte */
		if (data_len % BLK_SECTOR || sector > blk->capacity ||
		    data_len / BLK_SECTOR > blk->capacity - sector)
			return VIRTIO_BLK_S_IOERR;
		n = iov_slice(e->iov + e->nr_out, e->nr_in, 0, data_len,
			      blk->data);
		if (blk_rw(blk, blk->data, n, sector * BLK_SECTOR, false))
			return VIRTIO_BLK_S_IOERR;
		*written = data_len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		data_len = e->out_len - sizeof(hdr);
		if (blk->ro || data_len % BLK_SECTOR || sector > blk->capacity ||
		    data_len / BLK_SECTOR > blk->capacity - sector)
			return VIRTIO_BLK_S_IOERR;
		n = iov_slice(e->iov, e->nr_out, sizeof(hdr), data_len,
			      blk->data);
		if (blk_rw(blk, blk->data, n, sector * BLK_SECTOR, true))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		if (!blk->ro && fdatasync(blk->fd))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		data_len = e->in_len - 1;
		if (data_len > VIRTIO_BLK_ID_BYTES)
			data_len = VIRTIO_BLK_ID_BYTES;
		*written = iov_from_buf(e->iov + e->nr_out, e->nr_in, 0,
					blk->serial, data_len);
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static void blk_queue_notify(struct virtio_dev *vdev, struct virtqueue *vq)
{
	struct virtio_blk *blk = vdev->priv;
	struct vq_elem *e = &blk->elem;
	u32 written;
	u8 status;

	while (vq_pop(vq, e) == 1) {
		/* a header to read and a status byte to write, at least */
		if (e->out_len < sizeof(struct virtio_blk_outhdr) ||
		    !e->in_len) {
			virtio_dev_broken(vdev, "request without header or status byte");
			return;
		}
		written = 0;
		status = blk_request(blk, e, &written);
		blk->reqs++;
		if (status != VIRTIO_BLK_S_OK)
			blk->errors++;
		/* the status is the last writable byte */
		iov_from_buf(e->iov + e->nr_out, e->nr_in, e->in_len - 1,
			     &status, 1);
		vq_push(vq, e->head, written + 1);
	}
	vq_notify(vq);
}

static void blk_destroy(struct virtio_dev *vdev)
{
	struct virtio_blk *blk = vdev->priv;

	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.type = VIRTIO_ID_BLOCK,
	.class_code = PCI_CLASSCODE_STORAGE_SCSI,
	.nr_queues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.queue_notify = blk_queue_notify,
	.destroy = blk_destroy,
};

struct virtio_dev *virtio_blk_create(struct vm *vm, struct pci *pci,
				     const char *path, bool ro)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	struct virtio_blk_config *cfg;
	u64 features;
	struct stat st;
	char *copy;

	if (!blk) {
		pr_err("virtio-blk: out of memory");
		return NULL;
	}
	blk->ro = ro;
	blk->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0 || fstat(blk->fd, &st)) {
		pr_err("--disk: %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		pr_err("--disk: %s: not a regular file or block device", path);
		goto fail;
	}
	/* two writers (or a writer and a reader) of one image corrupt it */
	if (flock(blk->fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		pr_err("--disk: %s: in use (%s)", path,
		       errno == EWOULDBLOCK ? "another disk or program holds a lock on it"
					    : strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(blk->fd, 0, SEEK_END);

		st.st_size = end < 0 ? 0 : end;
	}
	if (!st.st_size || st.st_size % BLK_SECTOR) {
		pr_err("--disk: %s: size %lld is not a non-zero multiple of %d bytes",
		       path, (long long)st.st_size, BLK_SECTOR);
		goto fail;
	}
	blk->capacity = st.st_size / BLK_SECTOR;
	copy = strdup(path);
	if (copy) {
		const char *base = basename(copy);

		/* not NUL-terminated when it fills all 20 bytes, as the spec says */
		memcpy(blk->serial, base, strnlen(base, sizeof(blk->serial)));
		free(copy);
	}

	features = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		   (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		   (1ULL << VIRTIO_BLK_F_FLUSH);
	if (ro)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	if (virtio_dev_init(&blk->vdev, vm, &blk_ops, features,
			    offsetof(struct virtio_blk_config, physical_block_exp),
			    blk))
		goto fail;
	cfg = (struct virtio_blk_config *)blk->vdev.config;
	cfg->capacity = htole64(blk->capacity);
	cfg->seg_max = htole32(BLK_SEG_MAX);
	cfg->blk_size = htole32(BLK_SECTOR);
	if (virtio_dev_start(&blk->vdev, pci)) {
		virtio_dev_destroy(&blk->vdev);
		return NULL;
	}
	return &blk->vdev;

fail:
	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
	return NULL;
}
