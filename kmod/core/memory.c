// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: guest physical ranges backed by pinned user pages, mapped
 * into the VM's EPT, and read or written by exit handlers.
 *
 * Changing slots: under vm->lock, build a new slot set, map or unmap EPT,
 * publish the set with RCU, INVEPT everywhere, wait for readers, then free
 * the old set and unpin what was removed.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "lv.h"
#include "validate.h"

/**
 * lv_slot_find() - the slot holding a guest physical address
 * @slots: a slot set, under RCU or vm->lock
 * @gpa: guest physical address
 *
 * Return: the slot, or NULL.
 */
struct lv_slot *lv_slot_find(struct lv_memslots *slots, u64 gpa)
{
	int i;

	for (i = 0; i < slots->nr; i++) {
		struct lv_slot *s = slots->slot[i];

		if (gpa >= s->gpa && gpa - s->gpa < (s->npages << PAGE_SHIFT))
			return s;
	}
	return NULL;
}

static int gpa_access(struct lv_vm *vm, u64 gpa, void *buf, unsigned int len,
		      bool write)
{
	struct lv_memslots *slots;
	int err = 0;

	rcu_read_lock();
	slots = rcu_dereference(vm->slots);
	while (len) {
		unsigned int off = gpa & ~PAGE_MASK;
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		struct lv_slot *s = slots ? lv_slot_find(slots, gpa) : NULL;
		void *p;

		if (!s || (write && (s->flags & LV_MEM_READONLY))) {
			err = -EFAULT;
			break;
		}
		p = kmap_local_page(s->pages[(gpa - s->gpa) >> PAGE_SHIFT]);
		if (write)
			memcpy(p + off, buf, n);
		else
			memcpy(buf, p + off, n);
		kunmap_local(p);
		gpa += n;
		buf += n;
		len -= n;
	}
	rcu_read_unlock();
	return err;
}

/**
 * lv_gpa_read() - copy from guest physical memory
 * @vm: the VM
 * @gpa: guest physical address
 * @buf: destination
 * @len: bytes
 *
 * Return: 0, or -EFAULT if part of the range is not RAM.
 */
int lv_gpa_read(struct lv_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return gpa_access(vm, gpa, buf, len, false);
}

/**
 * lv_gpa_write() - copy to guest physical memory
 * @vm: the VM
 * @gpa: guest physical address
 * @buf: source
 * @len: bytes
 *
 * Return: 0, or -EFAULT if part of the range is not writable RAM.
 */
int lv_gpa_write(struct lv_vm *vm, u64 gpa, const void *buf, unsigned int len)
{
	return gpa_access(vm, gpa, (void *)buf, len, true);
}

static void slot_free(struct lv_slot *s)
{
	if (!s)
		return;
	unpin_user_pages_dirty_lock(s->pages, s->npages,
				    !(s->flags & LV_MEM_READONLY));
	kvfree(s->pages);
	kfree(s);
}

static struct lv_slot *slot_create(const struct lv_memory_region *r)
{
	unsigned int gup = FOLL_LONGTERM |
			   (r->flags & LV_MEM_READONLY ? 0 : FOLL_WRITE);
	struct lv_slot *s;
	u64 done = 0;
	long n;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->id = r->slot;
	s->flags = r->flags;
	s->gpa = r->gpa;
	s->npages = r->size >> PAGE_SHIFT;
	s->uaddr = r->uaddr;
	s->pages = kvcalloc(s->npages, sizeof(*s->pages), GFP_KERNEL_ACCOUNT);
	if (!s->pages) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	while (done < s->npages) {
		n = pin_user_pages_fast(r->uaddr + (done << PAGE_SHIFT),
					min_t(u64, s->npages - done, INT_MAX),
					gup, s->pages + done);
		if (n <= 0) {
			unpin_user_pages(s->pages, done);
			kvfree(s->pages);
			kfree(s);
			return ERR_PTR(n ? n : -EFAULT);
		}
		done += n;
	}
	return s;
}

static int slot_map(struct lv_vm *vm, struct lv_slot *s)
{
	u64 prot = LV_EPT_R | LV_EPT_X |
		   (s->flags & LV_MEM_READONLY ? 0 : LV_EPT_W);
	unsigned long *pfns;
	u64 i;
	int err;

	pfns = kvmalloc_array(s->npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < s->npages; i++)
		pfns[i] = page_to_pfn(s->pages[i]);
	err = lv_ept_map(&vm->ept, s->gpa, pfns, s->npages, prot,
			 lv_vmx.has_ept_2m);
	kvfree(pfns);
	if (!err)
		err = lv_hook_slot_mapped(vm, s);
	if (err)
		lv_ept_unmap(&vm->ept, s->gpa, s->npages);
	return err;
}

static void free_slots_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct lv_memslots, rcu));
}

/**
 * lv_set_memory_region() - add or delete a slot (LV_SET_MEMORY_REGION)
 * @vm: the VM
 * @r: the region, validated on its own by lv_validate_region()
 *
 * Return: 0; -EEXIST if the slot is in use or the range overlaps another
 * slot; -ENOENT to delete a slot that does not exist; -EFAULT if the user
 * memory cannot be pinned; -ENOMEM.  On error nothing changed.
 */
int lv_set_memory_region(struct lv_vm *vm, const struct lv_memory_region *r)
{
	struct lv_memslots *old, *new;
	struct lv_slot *victim = NULL, *added = NULL;
	int i, err;

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	for (i = 0; i < old->nr; i++) {
		struct lv_slot *s = old->slot[i];

		if (s->id == r->slot) {
			victim = s;
		} else if (r->size && lv_ranges_overlap(r->gpa, r->size, s->gpa,
							s->npages << PAGE_SHIFT)) {
			lv_warn("slot %u: gpa 0x%llx+0x%llx overlaps slot %u\n",
				r->slot, r->gpa, r->size, s->id);
			err = -EEXIST;
			goto out;
		}
	}
	if (r->size && victim) {
		lv_warn("slot %u is in use: delete it first\n", r->slot);
		err = -EEXIST;
		goto out;
	}
	if (!r->size && !victim) {
		lv_warn("slot %u does not exist\n", r->slot);
		err = -ENOENT;
		goto out;
	}

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < old->nr; i++)
		if (old->slot[i] != victim)
			new->slot[new->nr++] = old->slot[i];

	if (r->size) {
		added = slot_create(r);
		if (IS_ERR(added)) {
			err = PTR_ERR(added);
			lv_warn("slot %u: cannot pin 0x%llx bytes at 0x%llx: %d\n",
				r->slot, r->size, r->uaddr, err);
			kfree(new);
			goto out;
		}
		err = slot_map(vm, added);
		if (err) {
			slot_free(added);
			kfree(new);
			goto out;
		}
		new->slot[new->nr++] = added;
	} else {
		lv_ept_unmap(&vm->ept, victim->gpa, victim->npages);
	}

	rcu_assign_pointer(vm->slots, new);
	if (victim) {
		lv_vmx_invept_all();
		synchronize_rcu();
		slot_free(victim);
		kfree(old);
	} else {
		call_rcu(&old->rcu, free_slots_rcu);
	}
	err = 0;
out:
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * lv_memslots_free() - unpin and free every slot of a dying VM
 * @vm: the VM, which no vCPU runs any more
 */
void lv_memslots_free(struct lv_vm *vm)
{
	struct lv_memslots *slots = rcu_dereference_protected(vm->slots, 1);
	int i;

	for (i = 0; i < slots->nr; i++)
		slot_free(slots->slot[i]);
	kfree(slots);
}
