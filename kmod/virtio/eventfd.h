/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio fast path: doorbells (ioeventfd.c) and interrupt lines
 * (irqfd.c) that connect a guest to lvctl's device threads through
 * eventfds, without an exit to user space or an ioctl per event.
 */
#ifndef LV_VIRTIO_EVENTFD_H
#define LV_VIRTIO_EVENTFD_H

#include <linux/types.h>

struct lv_vm;
struct lv_ioeventfd;
struct lv_irqfd;

int lv_ioeventfd_ioctl(struct lv_vm *vm, const struct lv_ioeventfd *args);
bool lv_ioeventfd_write(struct lv_vm *vm, u64 addr, unsigned int len,
			const void *data, bool pio);
void lv_ioeventfd_release_all(struct lv_vm *vm);

int lv_irqfd_ioctl(struct lv_vm *vm, const struct lv_irqfd *args);
void lv_irqfd_release_all(struct lv_vm *vm);
int lv_irqfd_init(void);
void lv_irqfd_exit(void);

#endif /* LV_VIRTIO_EVENTFD_H */
