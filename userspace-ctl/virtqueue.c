// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues (virtio 1.x, "Split Virtqueues").  Everything the
 * driver writes into the rings is read once into a local copy and checked
 * before use: indices against the queue size, addresses and lengths
 * against guest RAM, chain lengths against VQ_MAX_SEGS.  A violation marks
 * the device broken (virtio_dev_broken) and the queue is not touched
 * again until the driver resets the device.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "virtio.h"

void vq_reset(struct virtqueue *vq)
{
	vq->size = vq->max_size;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
	vq->enabled = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->no_notify = false;
}

/* Check what the driver programmed and map the rings; 0 or -1 with @why. */
int vq_enable(struct virtqueue *vq, char *why, size_t why_len)
{
	struct guest_mem *mem = &vq->vdev->vm->mem;
	u64 size = vq->size;
	u64 desc_len = 16 * size;
	u64 avail_len = 4 + 2 * size + 2;	/* with used_event */
	u64 used_len = 4 + 8 * size + 2;	/* with avail_event */

	if (!size || (size & (size - 1)) || size > vq->max_size) {
		snprintf(why, why_len, "queue %u: size %llu is not a power of two up to %u",
			 vq->index, (unsigned long long)size, vq->max_size);
		return -1;
	}
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
		snprintf(why, why_len, "queue %u: misaligned ring", vq->index);
		return -1;
	}
	vq->desc = guest_mem_hva(mem, vq->desc_gpa, desc_len);
	vq->avail = guest_mem_hva(mem, vq->avail_gpa, avail_len);
	vq->used = guest_mem_hva(mem, vq->used_gpa, used_len);
	if (!vq->desc || !vq->avail || !vq->used) {
		snprintf(why, why_len, "queue %u: ring outside guest RAM (desc 0x%llx avail 0x%llx used 0x%llx)",
			 vq->index, (unsigned long long)vq->desc_gpa,
			 (unsigned long long)vq->avail_gpa,
			 (unsigned long long)vq->used_gpa);
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -1;
	}
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->no_notify = false;
	vq->enabled = true;
	return 0;
}

static u16 ring_load16(const void *p)
{
	return le16toh(__atomic_load_n((const u16 *)p, __ATOMIC_ACQUIRE));
}

/* one descriptor, read once: the guest may rewrite it while we look */
static void desc_load(const struct vring_desc *table, u32 i,
		      struct vring_desc *d)
{
	const volatile struct vring_desc *p = &table[i];

	d->addr = le64toh(p->addr);
	d->len = le32toh(p->len);
	d->flags = le16toh(p->flags);
	d->next = le16toh(p->next);
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	struct virtio_dev *vdev = vq->vdev;
	struct guest_mem *mem = &vdev->vm->mem;
	const struct vring_desc *table = vq->desc;
	u32 table_size = vq->size, steps = 0, i;
	bool indirect = false;
	u16 avail_idx, head;
	struct vring_desc d;

	if (!vq->enabled || vdev->broken)
		return vdev->broken ? -1 : 0;
	avail_idx = ring_load16(&vq->avail->idx);
	if (avail_idx == vq->last_avail) {
		if (!vq->no_notify)
			return 0;
		/*
		 * Empty: ask for doorbells again, then look once more, so a
		 * chain the driver added without ringing (it saw NO_NOTIFY)
		 * is not left behind.
		 */
		vq->no_notify = false;
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ring_load16(&vq->avail->idx);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	/* busy: doorbells are wasted exits until the ring runs dry */
	if (!vq->no_notify) {
		vq->no_notify = true;
		__atomic_store_n(&vq->used->flags, htole16(VRING_USED_F_NO_NOTIFY),
				 __ATOMIC_RELAXED);
	}
	if ((u16)(avail_idx - vq->last_avail) > vq->size) {
		virtio_dev_broken(vdev, "queue %u: avail index %u is %u entries ahead (size %u)",
				  vq->index, avail_idx,
				  (u16)(avail_idx - vq->last_avail), vq->size);
		return -1;
	}
	head = ring_load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size) {
		virtio_dev_broken(vdev, "queue %u: head %u out of range (size %u)",
				  vq->index, head, vq->size);
		return -1;
	}
	e->head = head;
	e->nr_out = e->nr_in = 0;
	e->out_len = e->in_len = 0;
	i = head;
	for (;;) {
		void *hva;

		if (++steps > table_size) {
			virtio_dev_broken(vdev, "queue %u: descriptor chain from %u loops or exceeds %u",
					  vq->index, head, table_size);
			return -1;
		}
		desc_load(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (indirect) {
				virtio_dev_broken(vdev, "queue %u: indirect descriptor inside an indirect table",
						  vq->index);
				return -1;
			}
			if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC) ||
			    steps != 1 || (d.flags & VRING_DESC_F_NEXT)) {
				virtio_dev_broken(vdev, "queue %u: indirect descriptor not alone at the head",
						  vq->index);
				return -1;
			}
			if (!d.len || d.len % sizeof(struct vring_desc) ||
			    d.len / sizeof(struct vring_desc) > VQ_MAX_SEGS) {
				virtio_dev_broken(vdev, "queue %u: indirect table of %u bytes",
						  vq->index, d.len);
				return -1;
			}
			table = guest_mem_hva(mem, d.addr, d.len);
			if (!table || (d.addr & 15)) {
				virtio_dev_broken(vdev, "queue %u: indirect table at 0x%llx+%u outside RAM or misaligned",
						  vq->index, (unsigned long long)d.addr, d.len);
				return -1;
			}
			table_size = d.len / sizeof(struct vring_desc);
			indirect = true;
			steps = 0;
			i = 0;
			continue;
		}
		if (!d.len) {
			virtio_dev_broken(vdev, "queue %u: zero-length descriptor", vq->index);
			return -1;
		}
		hva = guest_mem_hva(mem, d.addr, d.len);
		if (!hva) {
			virtio_dev_broken(vdev, "queue %u: buffer 0x%llx+%u outside guest RAM",
					  vq->index, (unsigned long long)d.addr, d.len);
			return -1;
		}
		if (e->nr_out + e->nr_in == VQ_MAX_SEGS) {
			virtio_dev_broken(vdev, "queue %u: chain longer than %u",
					  vq->index, VQ_MAX_SEGS);
			return -1;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			e->in_len += d.len;
			e->nr_in++;
		} else {
			if (e->nr_in) {
				virtio_dev_broken(vdev, "queue %u: readable descriptor after a writable one",
						  vq->index);
				return -1;
			}
			e->out_len += d.len;
			e->nr_out++;
		}
		e->iov[e->nr_out + e->nr_in - 1].iov_base = hva;
		e->iov[e->nr_out + e->nr_in - 1].iov_len = d.len;
		if (e->in_len > UINT32_MAX || e->out_len > UINT32_MAX) {
			virtio_dev_broken(vdev, "queue %u: chain length overflows 32 bits",
					  vq->index);
			return -1;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= table_size) {
			virtio_dev_broken(vdev, "queue %u: next %u out of range (%u)",
					  vq->index, d.next, table_size);
			return -1;
		}
		i = d.next;
	}
	vq->last_avail++;
	return 1;
}

/* give the last popped chain back (the backend had nothing for it) */
void vq_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
}

void vq_push(struct virtqueue *vq, u16 head, u32 len)
{
	volatile struct vring_used_elem *u;

	if (!vq->enabled || vq->vdev->broken)
		return;
	u = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	u->id = htole32(head);
	u->len = htole32(len);
	vq->used_idx++;
	__atomic_fetch_add(&vq->vdev->completed, 1, __ATOMIC_RELAXED);
	/* the element is visible before the index that publishes it */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx),
			 __ATOMIC_RELEASE);
}

void vq_notify(struct virtqueue *vq)
{
	u16 flags;

	if (!vq->enabled || vq->used_idx == vq->signalled_used)
		return;
	/* the used index store must be seen before we read the driver's flags */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = ring_load16(&vq->avail->flags);
	vq->signalled_used = vq->used_idx;
	if (flags & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	virtio_irq(vq->vdev, vq->msix_vector);
}

/* @len bytes between @buf and @iov from byte @off on: into @iov if @to_iov */
static size_t iov_copy(const struct iovec *iov, u32 n, size_t off, u8 *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;
	u32 i;

	for (i = 0; i < n && done < len; i++) {
		u8 *base;
		size_t l;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		base = (u8 *)iov[i].iov_base + off;
		l = iov[i].iov_len - off;
		if (l > len - done)
			l = len - done;
		if (to_iov)
			memcpy(base, buf + done, l);
		else
			memcpy(buf + done, base, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, u32 n, size_t off, void *buf,
		  size_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, u32 n, size_t off,
		    const void *buf, size_t len)
{
	/* only read: iov_copy() writes @buf only when not @to_iov */
	return iov_copy(iov, n, off, (u8 *)buf, len, true);
}

u32 iov_slice(const struct iovec *iov, u32 n, size_t off, size_t len,
	      struct iovec *out)
{
	u32 i, nr = 0;

	for (i = 0; i < n && len; i++) {
		size_t l;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		l = iov[i].iov_len - off;
		if (l > len)
			l = len;
		out[nr].iov_base = (u8 *)iov[i].iov_base + off;
		out[nr].iov_len = l;
		nr++;
		len -= l;
		off = 0;
	}
	return nr;
}
