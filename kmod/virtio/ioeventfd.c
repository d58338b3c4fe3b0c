// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbells: a guest write to a registered port or MMIO address signals an
 * eventfd and the guest goes on, without an exit to user space.  lvctl
 * registers every virtio queue's notify address; its queue thread sleeps
 * on the eventfd.
 *
 * The exit handlers (exit.c) call lv_ioeventfd_write() for every OUT and
 * every MMIO write before they would exit to user space; the list is read
 * under RCU and changed under the VM mutex.
 */
#include <linux/eventfd.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "../core/lv.h"
#include "eventfd.h"

#define LV_MAX_IOEVENTFDS	256
#define LV_IOEVENTFD_FLAGS	(LV_IOEVENTFD_PIO | LV_IOEVENTFD_DATAMATCH | \
				 LV_IOEVENTFD_DEASSIGN)

/**
 * struct lv_ioeventfd_entry - one doorbell
 * @link: on lv_vm.ioeventfds
 * @rcu: freed after a grace period
 * @addr: port or gpa
 * @len: bytes
 * @pio: @addr is a port
 * @datamatch: only writes of @value count
 * @value: the value, with @datamatch
 * @ctx: the eventfd
 */
struct lv_ioeventfd_entry {
	struct list_head link;
	struct rcu_head rcu;
	u64 addr;
	u32 len;
	bool pio;
	bool datamatch;
	u64 value;
	struct eventfd_ctx *ctx;
};

static void signal_eventfd(struct eventfd_ctx *ctx)
{
#ifdef LV_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static u64 value_of(const void *data, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, data, len);
	return v;
}

/**
 * lv_ioeventfd_write() - a guest write that may be a doorbell
 * @vm: the VM
 * @addr: port or gpa written
 * @len: bytes written
 * @data: the bytes
 * @pio: port I/O
 *
 * Return: true if an eventfd was signalled: the write is complete.
 */
bool lv_ioeventfd_write(struct lv_vm *vm, u64 addr, unsigned int len,
			const void *data, bool pio)
{
	struct lv_ioeventfd_entry *e;
	bool hit = false;

	rcu_read_lock();
	list_for_each_entry_rcu(e, &vm->ioeventfds, link) {
		if (e->pio != pio || e->addr != addr || e->len != len)
			continue;
		if (e->datamatch && e->value != value_of(data, len))
			continue;
		signal_eventfd(e->ctx);
		atomic64_inc(&vm->counters.ioeventfd_signals);
		hit = true;
		break;
	}
	rcu_read_unlock();
	return hit;
}

static bool overlaps(const struct lv_ioeventfd_entry *e, u64 addr, u32 len,
		     bool pio)
{
	return e->pio == pio && addr < e->addr + e->len && e->addr < addr + len;
}

static int check_args(struct lv_vm *vm, const struct lv_ioeventfd *a)
{
	bool pio = a->flags & LV_IOEVENTFD_PIO;
	struct lv_memslots *slots;
	bool in_ram;

	if ((a->flags & ~LV_IOEVENTFD_FLAGS) || a->padding || a->reserved[0] ||
	    a->reserved[1])
		return -EINVAL;
	if (a->len != 1 && a->len != 2 && a->len != 4 && a->len != 8)
		return -EINVAL;
	if (pio && (a->len == 8 || a->addr + a->len > 0x10000))
		return -EINVAL;
	if (!pio && (a->addr + a->len < a->addr ||
		     a->addr + a->len > BIT_ULL(boot_cpu_data.x86_phys_bits)))
		return -EINVAL;
	if (!(a->flags & LV_IOEVENTFD_DATAMATCH) && a->datamatch)
		return -EINVAL;
	if ((a->flags & LV_IOEVENTFD_DATAMATCH) && a->len < 8 &&
	    (a->datamatch >> (8 * a->len)))
		return -EINVAL;
	if (pio)
		return 0;
	/* writes to RAM never exit: such a doorbell would never ring */
	rcu_read_lock();
	slots = rcu_dereference(vm->slots);
	in_ram = lv_slot_find(slots, a->addr) ||
		 lv_slot_find(slots, a->addr + a->len - 1);
	rcu_read_unlock();
	return in_ram ? -EINVAL : 0;
}

static int deassign(struct lv_vm *vm, const struct lv_ioeventfd *a,
		    struct eventfd_ctx *ctx)
{
	bool dm = a->flags & LV_IOEVENTFD_DATAMATCH;
	struct lv_ioeventfd_entry *e;

	list_for_each_entry(e, &vm->ioeventfds, link) {
		if (e->ctx != ctx || e->addr != a->addr || e->len != a->len ||
		    e->pio != !!(a->flags & LV_IOEVENTFD_PIO) ||
		    e->datamatch != dm || (dm && e->value != a->datamatch))
			continue;
		list_del_rcu(&e->link);
		synchronize_rcu();
		eventfd_ctx_put(e->ctx);
		kfree(e);
		return 0;
	}
	lv_warn("LV_IOEVENTFD: no such registration (addr 0x%llx len %u)\n",
		a->addr, a->len);
	return -ENOENT;
}

static int assign(struct lv_vm *vm, const struct lv_ioeventfd *a,
		  struct eventfd_ctx *ctx)
{
	bool pio = a->flags & LV_IOEVENTFD_PIO;
	bool dm = a->flags & LV_IOEVENTFD_DATAMATCH;
	struct lv_ioeventfd_entry *e;
	int n = 0;

	list_for_each_entry(e, &vm->ioeventfds, link) {
		n++;
		if (!overlaps(e, a->addr, a->len, pio))
			continue;
		/* the same doorbell may carry different values */
		if (e->addr == a->addr && e->len == a->len && dm &&
		    e->datamatch && e->value != a->datamatch)
			continue;
		lv_warn("LV_IOEVENTFD: 0x%llx+%u overlaps a registration\n",
			a->addr, a->len);
		return -EEXIST;
	}
	if (n >= LV_MAX_IOEVENTFDS) {
		lv_warn("LV_IOEVENTFD: at most %d per VM\n", LV_MAX_IOEVENTFDS);
		return -ENOSPC;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->addr = a->addr;
	e->len = a->len;
	e->pio = pio;
	e->datamatch = dm;
	e->value = a->datamatch;
	e->ctx = ctx;
	list_add_tail_rcu(&e->link, &vm->ioeventfds);
	return 0;
}

/**
 * lv_ioeventfd_ioctl() - LV_IOEVENTFD
 * @vm: the VM
 * @args: the registration, copied from user space
 *
 * Return: 0; -EINVAL for bad fields or an address in RAM; -EBADF (or the
 * eventfd layer's error) for an fd that is not an eventfd; -EEXIST for an
 * overlap; -ENOENT to deassign what is not there; -ENOSPC; -ENOMEM.
 */
int lv_ioeventfd_ioctl(struct lv_vm *vm, const struct lv_ioeventfd *args)
{
	struct eventfd_ctx *ctx;
	int err;

	err = check_args(vm, args);
	if (err) {
		lv_warn("LV_IOEVENTFD: invalid (addr 0x%llx len %u flags 0x%x datamatch 0x%llx)\n",
			args->addr, args->len, args->flags, args->datamatch);
		return err;
	}
	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx)) {
		lv_warn("LV_IOEVENTFD: fd %d is not an eventfd\n", args->fd);
		return PTR_ERR(ctx);
	}
	mutex_lock(&vm->lock);
	if (args->flags & LV_IOEVENTFD_DEASSIGN)
		err = deassign(vm, args, ctx);
	else
		err = assign(vm, args, ctx);
	mutex_unlock(&vm->lock);
	/* assign keeps the reference; deassign dropped the entry's */
	if (err || (args->flags & LV_IOEVENTFD_DEASSIGN))
		eventfd_ctx_put(ctx);
	return err;
}

/**
 * lv_ioeventfd_release_all() - drop every doorbell of a dying VM
 * @vm: the VM; no vCPU is left
 */
void lv_ioeventfd_release_all(struct lv_vm *vm)
{
	struct lv_ioeventfd_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &vm->ioeventfds, link) {
		list_del(&e->link);
		eventfd_ctx_put(e->ctx);
		kfree(e);
	}
}
