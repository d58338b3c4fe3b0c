// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt lines: every signal of a registered eventfd delivers an MSI to
 * the VM, injected by the kernel.  lvctl's device threads signal one per
 * MSI-X vector; no ioctl and no vCPU exit to user space is involved.
 *
 * We hang a wait-queue entry on the eventfd: its wake-up callback runs in
 * the signaller's context with the eventfd's lock held, reads the count
 * and delivers (lv_lapic_deliver_msi() is safe in any context).  When the
 * eventfd is closed (EPOLLHUP) or the registration is removed, a work item
 * takes the entry off the eventfd and frees it; the work queue is flushed
 * before LV_IRQFD deassign returns and before the VM goes away.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../core/lv.h"
#include "eventfd.h"

#define LV_MAX_IRQFDS		256

static struct workqueue_struct *irqfd_wq;

/**
 * struct lv_irqfd_msi - the message an irqfd sends (replaced as a whole)
 * @rcu: freed after a grace period
 * @address: MSI address
 * @data: MSI data
 */
struct lv_irqfd_msi {
	struct rcu_head rcu;
	u64 address;
	u32 data;
};

/**
 * struct lv_irqfd_entry - one interrupt eventfd
 * @link: on lv_vm.irqfds; empty once deactivated
 * @vm: the VM
 * @ctx: the eventfd
 * @wait: our entry on the eventfd's wait queue
 * @pt: to get @wait queued by vfs_poll()
 * @msi: the message (RCU)
 * @shutdown: takes @wait off the eventfd and frees the entry
 */
struct lv_irqfd_entry {
	struct list_head link;
	struct lv_vm *vm;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
	struct lv_irqfd_msi __rcu *msi;
	struct work_struct shutdown;
};

static void irqfd_inject(struct lv_irqfd_entry *irqfd)
{
	struct lv_irqfd_msi *msi;

	rcu_read_lock();
	msi = rcu_dereference(irqfd->msi);
	lv_lapic_deliver_msi(irqfd->vm, msi->address, msi->data);
	rcu_read_unlock();
	atomic64_inc(&irqfd->vm->counters.irqfd_injections);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct lv_irqfd_entry *irqfd =
		container_of(work, struct lv_irqfd_entry, shutdown);
	u64 cnt;

	/* after this the wake-up callback cannot run any more */
	eventfd_ctx_remove_wait_queue(irqfd->ctx, &irqfd->wait, &cnt);
	eventfd_ctx_put(irqfd->ctx);
	kfree(rcu_access_pointer(irqfd->msi));
	kfree(irqfd);
}

/* with vm->irqfd_lock held */
static void irqfd_deactivate(struct lv_irqfd_entry *irqfd)
{
	if (list_empty(&irqfd->link))
		return;
	list_del_init(&irqfd->link);
	queue_work(irqfd_wq, &irqfd->shutdown);
}

static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct lv_irqfd_entry *irqfd =
		container_of(wait, struct lv_irqfd_entry, wait);
	__poll_t flags = key_to_poll(key);
	unsigned long irqflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		irqfd_inject(irqfd);
	}
	if (flags & EPOLLHUP) {
		spin_lock_irqsave(&irqfd->vm->irqfd_lock, irqflags);
		irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&irqfd->vm->irqfd_lock, irqflags);
	}
	return 0;
}

static void irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			poll_table *pt)
{
	struct lv_irqfd_entry *irqfd =
		container_of(pt, struct lv_irqfd_entry, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

static struct lv_irqfd_entry *find(struct lv_vm *vm, struct eventfd_ctx *ctx)
{
	struct lv_irqfd_entry *irqfd;

	list_for_each_entry(irqfd, &vm->irqfds, link)
		if (irqfd->ctx == ctx)
			return irqfd;
	return NULL;
}

static int deassign(struct lv_vm *vm, struct eventfd_ctx *ctx)
{
	struct lv_irqfd_entry *irqfd;

	spin_lock_irq(&vm->irqfd_lock);
	irqfd = find(vm, ctx);
	if (irqfd)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfd_lock);
	if (!irqfd) {
		lv_warn("LV_IRQFD: the eventfd is not registered\n");
		return -ENOENT;
	}
	flush_workqueue(irqfd_wq);
	return 0;
}

static int assign(struct lv_vm *vm, struct file *file, struct eventfd_ctx *ctx,
		  const struct lv_msi *m)
{
	struct lv_irqfd_entry *irqfd, *old;
	struct lv_irqfd_msi *msi, *old_msi;
	int n = 0;
	__poll_t events;

	msi = kzalloc(sizeof(*msi), GFP_KERNEL_ACCOUNT);
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!msi || !irqfd) {
		kfree(msi);
		kfree(irqfd);
		return -ENOMEM;
	}
	msi->address = m->address;
	msi->data = m->data;

	spin_lock_irq(&vm->irqfd_lock);
	old = find(vm, ctx);
	if (old) {
		/* a new message for a known eventfd (MSI-X table rewrites) */
		old_msi = rcu_replace_pointer(old->msi, msi,
					      lockdep_is_held(&vm->irqfd_lock));
		spin_unlock_irq(&vm->irqfd_lock);
		kfree_rcu(old_msi, rcu);
		kfree(irqfd);
		eventfd_ctx_put(ctx);
		return 0;
	}
	list_for_each_entry(old, &vm->irqfds, link)
		n++;
	if (n >= LV_MAX_IRQFDS) {
		spin_unlock_irq(&vm->irqfd_lock);
		kfree(msi);
		kfree(irqfd);
		lv_warn("LV_IRQFD: at most %d per VM\n", LV_MAX_IRQFDS);
		return -ENOSPC;
	}
	irqfd->vm = vm;
	irqfd->ctx = ctx;
	RCU_INIT_POINTER(irqfd->msi, msi);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue);
	list_add_tail(&irqfd->link, &vm->irqfds);
	spin_unlock_irq(&vm->irqfd_lock);

	/* queues irqfd->wait; a signal that came before counts now */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN) {
		u64 cnt;

		eventfd_ctx_do_read(ctx, &cnt);
		irqfd_inject(irqfd);
	}
	return 0;
}

/**
 * lv_irqfd_ioctl() - LV_IRQFD
 * @vm: the VM
 * @args: the registration, copied from user space
 *
 * Return: 0; -EINVAL for bad fields or an MSI labvisor cannot deliver;
 * -EBADF or -EINVAL for an fd that is not an eventfd; -ENOENT to deassign
 * what is not there; -ENOSPC; -ENOMEM.
 */
int lv_irqfd_ioctl(struct lv_vm *vm, const struct lv_irqfd *args)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	int err;

	if ((args->flags & ~LV_IRQFD_DEASSIGN) || args->msi.flags ||
	    args->msi.reserved[0] || args->msi.reserved[1] ||
	    (!(args->flags & LV_IRQFD_DEASSIGN) &&
	     lv_validate_msi(args->msi.address, args->msi.data))) {
		lv_warn("LV_IRQFD: invalid (fd %d flags 0x%x msi 0x%llx/0x%x)\n",
			args->fd, args->flags, args->msi.address, args->msi.data);
		return -EINVAL;
	}
	file = fget(args->fd);
	if (!file) {
		lv_warn("LV_IRQFD: bad fd %d\n", args->fd);
		return -EBADF;
	}
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		lv_warn("LV_IRQFD: fd %d is not an eventfd\n", args->fd);
		err = PTR_ERR(ctx);
		goto out;
	}
	if (args->flags & LV_IRQFD_DEASSIGN) {
		err = deassign(vm, ctx);
		eventfd_ctx_put(ctx);
	} else {
		err = assign(vm, file, ctx, &args->msi);
		if (err)
			eventfd_ctx_put(ctx);
	}
out:
	fput(file);
	return err;
}

/**
 * lv_irqfd_release_all() - drop every interrupt eventfd of a dying VM
 * @vm: the VM
 *
 * Returns when no wake-up callback can touch @vm any more.
 */
void lv_irqfd_release_all(struct lv_vm *vm)
{
	struct lv_irqfd_entry *irqfd, *tmp;

	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds, link)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfd_lock);
	flush_workqueue(irqfd_wq);
}

int lv_irqfd_init(void)
{
	irqfd_wq = alloc_workqueue("labvisor-irqfd", 0, 0);
	return irqfd_wq ? 0 : -ENOMEM;
}

void lv_irqfd_exit(void)
{
	destroy_workqueue(irqfd_wq);
}
