// SPDX-License-Identifier: GPL-2.0
/*
 * The exit trace: trace events (lv_trace.h) and the per-vCPU ring that
 * user space maps (struct lv_trace_ring, then the records).
 *
 * The ring has one producer, the thread running the vCPU, and one
 * consumer in user space.  A record is written at the exit and published
 * (head advanced, with release semantics) at the next entry, when its entry
 * time is known.  A full ring drops the record and counts it: the guest is
 * never held back.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/vmx.h>

#define CREATE_TRACE_POINTS
#include "lv_trace.h"

#include "lv.h"
#include "stats.h"
#include "../vmx/vmx.h"

/**
 * lv_trace_exit() - start the record of an exit
 * @vcpu: the vCPU, its ring enabled, VMCS current
 * @reason: full exit reason
 * @tsc: host TSC at the exit
 */
void lv_trace_exit(struct lv_vcpu *vcpu, u32 reason, u64 tsc)
{
	struct lv_trace *t = &vcpu->trace;
	struct lv_trace_ring *ring = t->ring;
	struct lv_trace_record *rec;
	u64 head = ring->head;
	u16 basic = reason;

	if (head - READ_ONCE(ring->tail) > t->mask) {
		ring->dropped++;
		return;
	}
	rec = &t->rec[head & t->mask];
	rec->reason = reason;
	rec->flags = 0;
	rec->qualification = lv_vmread(EXIT_QUALIFICATION);
	rec->rip = lv_vmread(GUEST_RIP);
	if (basic == EXIT_REASON_EPT_VIOLATION || basic == EXIT_REASON_EPT_MISCONFIG)
		rec->gpa = lv_vmread64(GUEST_PHYSICAL_ADDRESS);
	else if (basic == EXIT_REASON_EXCEPTION_NMI ||
		 basic == EXIT_REASON_EXTERNAL_INTERRUPT)
		rec->gpa = lv_vmread32(VM_EXIT_INTR_INFO);
	else
		rec->gpa = 0;
	rec->tsc_exit = tsc;
	rec->tsc_entry = 0;
	t->pending = true;
}

/**
 * lv_trace_user() - mark the pending record as an exit to user space
 * @vcpu: the vCPU, its ring enabled
 */
void lv_trace_user(struct lv_vcpu *vcpu)
{
	struct lv_trace *t = &vcpu->trace;

	if (t->pending)
		t->rec[t->ring->head & t->mask].flags |= LV_TRACE_USER;
}

/**
 * lv_trace_entry() - finish and publish the pending record
 * @vcpu: the vCPU, its ring enabled
 * @tsc: host TSC right before the entry
 */
void lv_trace_entry(struct lv_vcpu *vcpu, u64 tsc)
{
	struct lv_trace *t = &vcpu->trace;
	struct lv_trace_ring *ring = t->ring;

	if (!t->pending)
		return;
	t->rec[ring->head & t->mask].tsc_entry = tsc;
	t->pending = false;
	/* the record before the index: pairs with user space's acquire */
	smp_store_release(&ring->head, ring->head + 1);
}

/**
 * lv_trace_enable() - LV_TRACE_ENABLE: allocate the vCPU's ring
 * @vcpu: the vCPU; its mutex is held
 * @argp: struct lv_trace_setup
 *
 * Return: 0; -EINVAL for a bad size or flags; -EBUSY if the ring exists;
 * -ENOMEM.
 */
long lv_trace_enable(struct lv_vcpu *vcpu, void __user *argp)
{
	struct lv_trace *t = &vcpu->trace;
	struct lv_trace_setup setup;
	unsigned long size;
	void *mem;

	if (copy_from_user(&setup, argp, sizeof(setup)))
		return -EFAULT;
	if (setup.flags || setup.nr_records < 64 ||
	    setup.nr_records > LV_TRACE_MAX_RECORDS ||
	    !is_power_of_2(setup.nr_records)) {
		lv_warn("LV_TRACE_ENABLE: invalid setup (nr_records %u flags 0x%x)\n",
			setup.nr_records, setup.flags);
		return -EINVAL;
	}
	if (t->ring) {
		lv_warn("LV_TRACE_ENABLE: vCPU %u already has a trace ring\n",
			vcpu->id);
		return -EBUSY;
	}
	size = PAGE_SIZE + PAGE_ALIGN((unsigned long)setup.nr_records *
				      sizeof(struct lv_trace_record));
	mem = vmalloc_user(size);
	if (!mem)
		return -ENOMEM;
	t->rec = mem + PAGE_SIZE;
	t->mask = setup.nr_records - 1;
	t->pages = size >> PAGE_SHIFT;
	t->pending = false;
	t->ring = mem;
	t->ring->version = LV_TRACE_VERSION;
	t->ring->record_size = sizeof(struct lv_trace_record);
	t->ring->nr_records = setup.nr_records;
	return 0;
}

/**
 * lv_trace_page() - the page of the ring mapped at a vCPU fd offset
 * @vcpu: the vCPU
 * @pgoff: page offset in the vCPU fd (the ring starts at
 *	LV_TRACE_MMAP_OFFSET)
 *
 * Return: the page, or NULL if there is none there.
 */
struct page *lv_trace_page(struct lv_vcpu *vcpu, unsigned long pgoff)
{
	struct lv_trace *t = &vcpu->trace;
	unsigned long first = LV_TRACE_MMAP_OFFSET >> PAGE_SHIFT;

	if (!t->ring || pgoff < first || pgoff - first >= t->pages)
		return NULL;
	return vmalloc_to_page((void *)t->ring + ((pgoff - first) << PAGE_SHIFT));
}

/**
 * lv_trace_free() - free the ring (the vCPU is gone, and so are its mappings)
 * @vcpu: the vCPU
 */
void lv_trace_free(struct lv_vcpu *vcpu)
{
	vfree(vcpu->trace.ring);
	vcpu->trace.ring = NULL;
}
