/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the platform device tests (test-platform.c, test-uart.c),
 * on top of harness.h: a struct vm from vm_init() on an accelerator whose
 * signal_msi, interrupt and set_irq_window record what they are given,
 * the interrupt controllers on its buses, and port/MMIO accessors that go
 * through the buses as a guest's accesses do.  Included once per test
 * program.
 */
#ifndef LVCTL_TEST_PLATFORM_HARNESS_H
#define LVCTL_TEST_PLATFORM_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "devices.h"
#include "platform.h"

#include "harness.h"

/* ---- a VM with a recording accelerator ---- */

static int injected[16], nr_injected;
static bool window_asked;
static int inject_fails;

static inline int fake_interrupt(struct vcpu *vcpu, u8 vector)
{
	(void)vcpu;
	if (inject_fails)
		return -1;
	if (nr_injected < 16)
		injected[nr_injected] = vector;
	nr_injected++;
	return 0;
}

static inline void fake_set_irq_window(struct vcpu *vcpu, bool request)
{
	(void)vcpu;
	window_asked = request;
}

static const struct accel_ops fake_ops = {
	.name = "fake",
	.signal_msi = fake_signal_msi,
	.interrupt = fake_interrupt,
	.set_irq_window = fake_set_irq_window,
};

static const struct accel_ops no_msi_ops = {
	.name = "no-msi",
};

static struct vm vm;
static struct irqchip chip;
static int intr_rises;

static inline void count_intr(void *opaque)
{
	(void)opaque;
	__atomic_add_fetch(&intr_rises, 1, __ATOMIC_SEQ_CST);
}

/* A fresh VM with the interrupt controllers on its buses. */
static inline void vm_fresh(void)
{
	vm_init(&vm);
	vm.ops = &fake_ops;
	msi_log_reset();
	irqchip_init(&chip, &vm, 1);
	chip.intr_changed = count_intr;
	intr_rises = 0;
	if (irqchip_register(&chip, &vm))
		bad("irqchip_register failed");
}

static inline void outb(u16 port, u8 v)
{
	if (!bus_dispatch(&vm.io_bus, port, &v, 1, true))
		bad("port 0x%x: no device", port);
}

static inline u8 inb(u16 port)
{
	u8 v = 0xee;

	if (!bus_dispatch(&vm.io_bus, port, &v, 1, false))
		bad("port 0x%x: no device", port);
	return v;
}

static inline void outw(u16 port, u16 v)
{
	u8 d[2] = { (u8)v, (u8)(v >> 8) };

	if (!bus_dispatch(&vm.io_bus, port, d, 2, true))
		bad("port 0x%x: no device", port);
}

static inline u32 inl(u16 port)
{
	u8 d[4] = { 0 };

	if (!bus_dispatch(&vm.io_bus, port, d, 4, false))
		bad("port 0x%x: no device", port);
	return (u32)le_load(d, 4);
}

static inline void mmio_w32(u64 gpa, u32 v)
{
	u8 d[4];

	le_store(d, 4, v);
	if (!bus_dispatch(&vm.mmio_bus, gpa, d, 4, true))
		bad("gpa 0x%llx: no device", (unsigned long long)gpa);
}

static inline u32 mmio_r32(u64 gpa)
{
	u8 d[4] = { 0 };

	if (!bus_dispatch(&vm.mmio_bus, gpa, d, 4, false))
		bad("gpa 0x%llx: no device", (unsigned long long)gpa);
	return (u32)le_load(d, 4);
}

static inline void ioapic_write(u32 reg, u32 v)
{
	mmio_w32(IOAPIC_BASE + IOAPIC_REG_SEL, reg);
	mmio_w32(IOAPIC_BASE + IOAPIC_REG_WIN, v);
}

static inline u32 ioapic_read(u32 reg)
{
	mmio_w32(IOAPIC_BASE + IOAPIC_REG_SEL, reg);
	return mmio_r32(IOAPIC_BASE + IOAPIC_REG_WIN);
}

static inline void ioapic_route(int pin, u32 low, u8 dest)
{
	ioapic_write(0x11 + 2 * pin, (u32)dest << 24);
	ioapic_write(0x10 + 2 * pin, low);
}

/* the sequence Linux's init_8259A() writes: vectors 0x30 and 0x38 */
static inline void pic_init_linux(u8 icw4)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	outb(0x20, 0x11);
	outb(0x21, 0x30);
	outb(0x21, 0x04);
	outb(0x21, icw4);
	outb(0xa0, 0x11);
	outb(0xa1, 0x38);
	outb(0xa1, 0x02);
	outb(0xa1, icw4);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* wait up to @ms for more than @n messages of @vector since @from */
static inline bool wait_msis(int from, u8 vector, int n, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms; i++) {
		if (msi_count_vector(from, vector) > n)
			return true;
		sleep_ms(1);
	}
	return msi_count_vector(from, vector) > n;
}

#endif /* LVCTL_TEST_PLATFORM_HARNESS_H */
