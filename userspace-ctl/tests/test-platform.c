// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the PC platform devices (platform.h): each device is
 * put on the buses of a struct vm from vm_init() and driven through port
 * and MMIO accesses as a guest would, against an accelerator whose
 * signal_msi records the messages the IOAPIC sends (platform-harness.h;
 * the UART's tests are in test-uart.c).
 * Timing checks derive their bounds from CLOCK_MONOTONIC read around the
 * accesses, or are wide: they hold on a loaded machine.
 *
 *   test-platform PATH-TO-LVCTL
 *
 * Prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test; exits 1
 * if any failed.
 */
#include "platform-harness.h"

/* ---- IOAPIC ---- */

static void test_ioapic_regs(void)
{
	begin();
	vm_fresh();
	CHECK_EQ(ioapic_read(0x01), 0x00170020);
	CHECK_EQ(ioapic_read(0x00), 0x01000000);
	CHECK_EQ(ioapic_read(0x02), 0x01000000);
	ioapic_write(0x00, 0x05000000);
	CHECK_EQ(ioapic_read(0x00), 0x05000000);
	ioapic_write(0x01, 0);			/* read-only */
	CHECK_EQ(ioapic_read(0x01), 0x00170020);
	/* every entry starts masked */
	CHECK_EQ(ioapic_read(0x10), 0x00010000);
	CHECK_EQ(ioapic_read(0x10 + 2 * 23), 0x00010000);
	/* writable bits; delivery status and remote IRR are read-only */
	ioapic_write(0x18, 0xffffffff);
	CHECK_EQ(ioapic_read(0x18), 0x0001afff);
	ioapic_write(0x19, 0xffffffff);
	CHECK_EQ(ioapic_read(0x19), 0xff000000);
	/* beyond the last entry */
	CHECK_EQ(ioapic_read(0x10 + 2 * 24), 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE + IOAPIC_REG_SEL), 0x40);
	/* a byte access is not a register access */
	{
		u8 b = 0x01;

		bus_dispatch(&vm.mmio_bus, IOAPIC_BASE, &b, 1, true);
		CHECK_EQ(mmio_r32(IOAPIC_BASE + IOAPIC_REG_SEL), 0x40);
	}
	CHECK_EQ(msi_count(), 0);
	end("ioapic-registers");
}

static void test_ioapic_edge(void)
{
	begin();
	vm_fresh();
	/* COM1: vector 0x34, fixed, physical, edge, to APIC 3 */
	ioapic_route(4, 0x34, 3);
	irqchip_set_irq(&chip, 4, true);
	CHECK_EQ(msi_count(), 1);
	CHECK_EQ(msis[0].addr, 0xfee03000);
	CHECK_EQ(msis[0].data, 0x4034);
	/* no new edge, no new message */
	irqchip_set_irq(&chip, 4, true);
	CHECK_EQ(msi_count(), 1);
	irqchip_set_irq(&chip, 4, false);
	CHECK_EQ(msi_count(), 1);
	irqchip_pulse(&chip, 4);
	CHECK_EQ(msi_count(), 2);
	/* logical destination, lowest priority */
	ioapic_route(5, 0x935, 0x0f);
	irqchip_pulse(&chip, 5);
	CHECK_EQ(msi_count(), 3);
	CHECK_EQ(msis[2].addr, 0xfee0f004);
	CHECK_EQ(msis[2].data, 0x4135);
	/* ISA IRQ 0 is pin 2; IRQ 2 is no line */
	ioapic_route(2, 0x30, 0);
	ioapic_route(0, 0x20, 0);
	irqchip_pulse(&chip, 0);
	CHECK_EQ(msi_count(), 4);
	CHECK_EQ(msis[3].data & 0xff, 0x30);
	CHECK(irqchip_set_irq(&chip, 2, true) == -1, "IRQ 2 accepted");
	CHECK(irqchip_set_irq(&chip, 24, true) == -1, "GSI 24 accepted");
	CHECK_EQ(chip.bad_irq, 2);
	/* GSI 16-23: IOAPIC only */
	ioapic_route(20, 0x50, 0);
	irqchip_pulse(&chip, 20);
	CHECK_EQ(msi_count(), 5);
	CHECK_EQ(msis[4].data & 0xff, 0x50);
	CHECK_EQ(chip.msi_sent, 5);
	end("ioapic-edge-msi");
}

static void test_ioapic_mask(void)
{
	begin();
	vm_fresh();
	ioapic_route(4, 0x10034, 0);		/* masked */
	irqchip_set_irq(&chip, 4, true);
	CHECK_EQ(msi_count(), 0);
	ioapic_route(4, 0x34, 0);		/* unmasked: an edge is gone */
	CHECK_EQ(msi_count(), 0);
	irqchip_set_irq(&chip, 4, false);
	irqchip_set_irq(&chip, 4, true);
	CHECK_EQ(msi_count(), 1);
	/* a level pin raised while masked delivers when unmasked */
	ioapic_route(9, 0x18039, 0);
	irqchip_set_irq(&chip, 9, true);
	CHECK_EQ(msi_count(), 1);
	ioapic_route(9, 0x8039, 0);
	CHECK_EQ(msi_count(), 2);
	CHECK_EQ(msis[1].data, 0xc039);
	/* a stopped VM gets nothing */
	vm_stop(&vm, 0, "test");
	irqchip_set_irq(&chip, 4, false);
	irqchip_pulse(&chip, 4);
	CHECK_EQ(msi_count(), 2);
	CHECK_EQ(chip.msi_lost, 1);
	vm.stopped = false;
	chip.msi_lost = 0;
	/* with no signal_msi op the interrupt is counted as lost */
	vm.ops = &no_msi_ops;
	irqchip_set_irq(&chip, 4, false);
	irqchip_pulse(&chip, 4);
	CHECK_EQ(chip.msi_lost, 1);
	CHECK_EQ(msi_count(), 2);
	end("ioapic-mask");
}

static void test_ioapic_level(void)
{
	begin();
	vm_fresh();
	ioapic_route(9, 0x8039, 1);		/* level, active high */
	irqchip_set_irq(&chip, 9, true);
	CHECK_EQ(msi_count(), 1);
	CHECK_EQ(msis[0].data, 0xc039);
	CHECK(ioapic_read(0x10 + 18) & 0x4000, "remote IRR not set");
	/* in service: nothing more while it stays high */
	irqchip_set_irq(&chip, 9, false);
	irqchip_set_irq(&chip, 9, true);
	CHECK_EQ(msi_count(), 1);
	/* the LAPIC's EOI: still asserted, so delivered again */
	irqchip_eoi(&chip, 0x39);
	CHECK_EQ(msi_count(), 2);
	CHECK(ioapic_read(0x10 + 18) & 0x4000, "remote IRR not set again");
	/* EOI of another vector changes nothing */
	irqchip_eoi(&chip, 0x3a);
	CHECK(ioapic_read(0x10 + 18) & 0x4000, "wrong EOI cleared remote IRR");
	/* dropped, then the EOI register: clear and quiet */
	irqchip_set_irq(&chip, 9, false);
	mmio_w32(IOAPIC_BASE + IOAPIC_REG_EOI, 0x39);
	CHECK(!(ioapic_read(0x10 + 18) & 0x4000), "remote IRR stuck");
	CHECK_EQ(msi_count(), 2);
	irqchip_set_irq(&chip, 9, true);
	CHECK_EQ(msi_count(), 3);
	/* switching to edge clears remote IRR */
	ioapic_route(9, 0x39, 1);
	CHECK(!(ioapic_read(0x10 + 18) & 0x4000), "edge kept remote IRR");
	/* active low: asserted while the line is low */
	ioapic_route(10, 0xa03a, 0);
	CHECK_EQ(msi_count(), 4);		/* the line is low now */
	irqchip_set_irq(&chip, 10, true);	/* deasserted */
	irqchip_eoi(&chip, 0x3a);
	CHECK_EQ(msi_count(), 4);
	irqchip_set_irq(&chip, 10, false);
	CHECK_EQ(msi_count(), 5);
	CHECK_EQ(msis[4].data, 0xc03a);
	end("ioapic-level-eoi");
}

/* ---- PIC ---- */

static void test_pic_basic(void)
{
	begin();
	vm_fresh();
	/* before initialisation everything is masked */
	irqchip_set_irq(&chip, 1, true);
	CHECK(!irqchip_pic_output(&chip), "INTR before init");
	irqchip_set_irq(&chip, 1, false);
	pic_init_linux(0x01);
	CHECK_EQ(inb(0x21), 0x00);
	CHECK_EQ(intr_rises, 0);
	irqchip_set_irq(&chip, 1, true);
	CHECK(irqchip_pic_output(&chip), "no INTR for IRQ 1");
	CHECK_EQ(intr_rises, 1);
	outb(0x20, 0x0a);			/* OCW3: read IRR */
	CHECK_EQ(inb(0x20), 0x02);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	CHECK(!irqchip_pic_output(&chip), "INTR after the acknowledge");
	outb(0x20, 0x0b);			/* read ISR */
	CHECK_EQ(inb(0x20), 0x02);
	outb(0x20, 0x0a);
	CHECK_EQ(inb(0x20), 0x00);		/* edge: IRR cleared */
	/* priority: IRQ 3 before 5; 5 waits while 3 is in service */
	irqchip_set_irq(&chip, 1, false);
	outb(0x20, 0x20);			/* EOI of IRQ 1 */
	irqchip_pulse(&chip, 5);
	irqchip_pulse(&chip, 3);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x33);
	CHECK(!irqchip_pic_output(&chip), "IRQ 5 interrupts IRQ 3");
	/* a higher priority one does interrupt */
	irqchip_pulse(&chip, 1);
	CHECK(irqchip_pic_output(&chip), "IRQ 1 does not interrupt IRQ 3");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	outb(0x20, 0x20);			/* non-specific: IRQ 1 */
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x08);
	outb(0x20, 0x63);			/* specific EOI of IRQ 3 */
	CHECK(irqchip_pic_output(&chip), "IRQ 5 lost");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x35);
	outb(0x20, 0x65);
	/* mask */
	outb(0x21, 0x10);
	irqchip_pulse(&chip, 4);
	CHECK(!irqchip_pic_output(&chip), "masked IRQ 4 interrupts");
	outb(0x21, 0x00);
	CHECK(irqchip_pic_output(&chip), "IRQ 4 lost by the mask");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x34);
	outb(0x20, 0x20);
	/* nothing pending: spurious IRQ 7, no ISR bit */
	CHECK_EQ(irqchip_pic_ack(&chip), 0x37);
	CHECK_EQ(chip.pic_spurious, 1);
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x00);
	/* rotation: after a rotating EOI of IRQ 1, IRQ 1 is the lowest */
	irqchip_pulse(&chip, 1);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	outb(0x20, 0xa0);			/* rotate on non-specific EOI */
	irqchip_pulse(&chip, 1);
	irqchip_pulse(&chip, 6);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x36);
	outb(0x20, 0x20);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	outb(0x20, 0x20);
	outb(0x20, 0xc7);			/* set priority: IRQ 0 highest */
	end("pic-init-priority-eoi");
}

static void test_pic_cascade(void)
{
	begin();
	vm_fresh();
	pic_init_linux(0x01);
	irqchip_pulse(&chip, 12);
	CHECK(irqchip_pic_output(&chip), "no INTR for IRQ 12");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x3c);
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x04);		/* cascade in service */
	outb(0xa0, 0x0b);
	CHECK_EQ(inb(0xa0), 0x10);
	/* IRQ 8 has priority over 12 on the slave: it still interrupts */
	irqchip_pulse(&chip, 8);
	CHECK(!irqchip_pic_output(&chip), "slave interrupts its master's cascade");
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	CHECK(irqchip_pic_output(&chip), "IRQ 8 lost");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x38);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* masking the cascade masks the slave */
	outb(0x21, 0x04);
	irqchip_pulse(&chip, 10);
	CHECK(!irqchip_pic_output(&chip), "cascade mask ignored");
	outb(0x21, 0x00);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x3a);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* the master's IRQ 1 beats the slave's */
	irqchip_pulse(&chip, 9);
	irqchip_pulse(&chip, 1);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	outb(0x20, 0x20);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x39);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	CHECK(!irqchip_pic_output(&chip), "INTR left on");
	end("pic-cascade");
}

/* the vCPU loop's use: window, acknowledge, inject */
static void test_pic_service(void)
{
	struct vcpu *vcpu;

	begin();
	vm_fresh();
	vcpu = &vm.vcpus[0];
	vcpu->vm = &vm;
	nr_injected = 0;
	window_asked = false;
	inject_fails = 0;
	pic_init_linux(0x01);
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, true), 0);
	CHECK(!window_asked, "window asked with INTR low");
	irqchip_pulse(&chip, 4);
	irqchip_pulse(&chip, 3);
	/* interrupts off in the guest: ask for the window, inject nothing */
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, false), 0);
	CHECK(window_asked, "no window asked");
	CHECK_EQ(nr_injected, 0);
	/* the window: IRQ 3 first; IRQ 4 waits behind its EOI */
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, true), 1);
	CHECK_EQ(nr_injected, 1);
	CHECK_EQ(injected[0], 0x33);
	CHECK(!window_asked, "window kept with IRQ 3 in service");
	outb(0x20, 0x20);
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, true), 1);
	CHECK_EQ(injected[1], 0x34);
	outb(0x20, 0x20);
	/* an accelerator that refuses: counted */
	inject_fails = 1;
	irqchip_pulse(&chip, 5);
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, true), -1);
	CHECK_EQ(chip.pic_lost, 1);
	inject_fails = 0;
	vm.ops = &no_msi_ops;
	outb(0x20, 0x20);
	irqchip_pulse(&chip, 6);
	CHECK_EQ(irqchip_pic_service(&chip, vcpu, true), -1);
	CHECK_EQ(chip.pic_lost, 2);
	end("pic-service");
}

static void test_pic_level_poll(void)
{
	begin();
	vm_fresh();
	pic_init_linux(0x01);
	/* ELCR: IRQ 0-2, 8 and 13 cannot be level-triggered */
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	CHECK_EQ(inb(0x4d0), 0xf8);
	CHECK_EQ(inb(0x4d1), 0xde);
	outb(0x4d0, 0x00);
	outb(0x4d1, 0x02);			/* IRQ 9 level */
	irqchip_set_irq(&chip, 9, true);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x39);
	outb(0xa0, 0x0a);
	CHECK_EQ(inb(0xa0), 0x02);		/* level: IRR follows the line */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	CHECK(irqchip_pic_output(&chip), "level IRQ 9 not re-raised after EOI");
	irqchip_set_irq(&chip, 9, false);
	CHECK(!irqchip_pic_output(&chip), "level IRQ 9 without its line");
	/* poll mode: the read is the acknowledge */
	irqchip_pulse(&chip, 6);
	outb(0x20, 0x0c);
	CHECK_EQ(inb(0x20), 0x86);
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x40);
	outb(0x20, 0x20);
	outb(0x20, 0x0c);
	CHECK_EQ(inb(0x20), 0x00);		/* nothing pending */
	/* auto-EOI: no ISR bit */
	pic_init_linux(0x03);
	irqchip_pulse(&chip, 3);
	CHECK_EQ(irqchip_pic_ack(&chip), 0x33);
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x20), 0x00);
	/* re-initialisation clears IMR and ISR and forgets old edges */
	irqchip_pulse(&chip, 5);
	pic_init_linux(0x01);
	CHECK(!irqchip_pic_output(&chip), "an edge survived ICW1");
	end("pic-elcr-poll-aeoi");
}

/* ---- PIT ---- */

static u64 ticks_of(u64 ns)
{
	return (u64)((unsigned __int128)ns * PIT_HZ / 1000000000ULL);
}

static u16 pit_read_latched(u8 ch)
{
	u16 v;

	outb(0x43, ch << 6);			/* counter latch */
	v = inb(0x40 + ch);
	return v | inb(0x40 + ch) << 8;
}

static void test_pit_mode0(void)
{
	struct pit pit;
	u64 t0, t1, t2, t3, dmin, dmax;
	u16 c0, c1;

	begin();
	vm_fresh();
	pit_init(&pit, &chip);
	if (pit_register(&pit, &vm.io_bus))
		bad("pit_register");
	/* Linux's TSC calibration: gate 2 on, speaker off, mode 0 */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	t0 = platform_now_ns();
	outb(0x42, 0xff);
	t1 = platform_now_ns();
	CHECK(!(inb(0x61) & 0x20), "OUT2 high at once in mode 0");
	sleep_ms(10);
	t2 = platform_now_ns();
	c0 = pit_read_latched(2);
	t3 = platform_now_ns();
	/* 0xffff - c0 ticks have gone since the second byte */
	dmin = ticks_of(t2 - t1);
	dmax = ticks_of(t3 - t0) + 1;
	CHECK(0xffffu - c0 >= dmin && 0xffffu - c0 <= dmax,
	      "mode 0 count 0x%x after %llu..%llu ticks", c0,
	      (unsigned long long)dmin, (unsigned long long)dmax);
	/* unlatched reads: LSB then MSB, counting down */
	c1 = inb(0x42);
	c1 |= inb(0x42) << 8;
	CHECK(c1 <= c0, "count went up: 0x%x then 0x%x", c0, c1);
	/* a latch holds its value */
	outb(0x43, 0x80);
	sleep_ms(2);
	c0 = inb(0x42);
	c0 |= inb(0x42) << 8;
	c1 = pit_read_latched(2);
	CHECK(c1 < c0, "latched 0x%x not older than 0x%x", c0, c1);
	/*
	 * pit_calibrate_tsc(): OUT2 goes high exactly when the count has
	 * run out, never before (polled like Linux, bounds from the clock)
	 */
	outb(0x43, 0xb0);
	outb(0x42, 11932 & 0xff);
	t0 = platform_now_ns();
	outb(0x42, 11932 >> 8);
	do {
		t2 = platform_now_ns();
	} while (!(inb(0x61) & 0x20) && t2 - t0 < 1000000000ULL);
	t3 = platform_now_ns();
	CHECK(ticks_of(t3 - t0) + 1 >= 11932,
	      "OUT2 high after %llu ticks of 11932",
	      (unsigned long long)ticks_of(t3 - t0));
	CHECK(t2 - t0 < 1000000000ULL, "OUT2 never went high");
	/* terminal count: OUT2 high, the count wraps and goes on */
	outb(0x43, 0xb0);
	outb(0x42, 0xe8);
	outb(0x42, 0x03);			/* 1000 ticks: 0.84 ms */
	sleep_ms(5);
	CHECK(inb(0x61) & 0x20, "OUT2 low after terminal count");
	/* gate low stops the count */
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	outb(0x61, 0x00);
	c0 = pit_read_latched(2);
	sleep_ms(5);
	c1 = pit_read_latched(2);
	CHECK_EQ(c1, c0);
	outb(0x61, 0x01);
	sleep_ms(2);
	c1 = pit_read_latched(2);
	CHECK(c1 < c0, "gate high again, count 0x%x stays at 0x%x", c1, c0);
	/* the refresh bit toggles */
	{
		u8 first = inb(0x61) & 0x10;
		int i, toggled = 0;

		for (i = 0; i < 100000 && !toggled; i++)
			toggled = (inb(0x61) & 0x10) != first;
		CHECK(toggled, "port 0x61 bit 4 does not toggle");
	}
	end("pit-mode0-channel2");
}

static void test_pit_modes23(void)
{
	struct pit pit;
	int i, bad_values = 0, odd = 0;
	u16 c;
	u8 st;

	begin();
	vm_fresh();
	pit_init(&pit, &chip);
	pit_register(&pit, &vm.io_bus);
	/* mode 2, 1 ms: the count stays in 1..N */
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	for (i = 0; i < 2000; i++) {
		c = pit_read_latched(0);
		if (c < 1 || c > 1193)
			bad_values++;
	}
	CHECK(!bad_values, "mode 2: %d counts outside 1..1193", bad_values);
	/* read-back: status only */
	outb(0x43, 0xe2);
	st = inb(0x40);
	CHECK_EQ(st & 0x7f, 0x34);		/* loaded, lobyte/hibyte, mode 2 */
	/* read-back of count and status: status first */
	outb(0x43, 0xc2);
	st = inb(0x40);
	CHECK_EQ(st & 0x3f, 0x34);
	c = inb(0x40);
	c |= inb(0x40) << 8;
	CHECK(c >= 1 && c <= 1193, "read-back count %u", c);
	/* a control word: null count until the count is written */
	outb(0x43, 0x36);
	outb(0x43, 0xe2);
	CHECK_EQ(inb(0x40) & 0x40, 0x40);
	/* mode 3: even counts down from N by two */
	outb(0x40, 1000 & 0xff);
	outb(0x40, 1000 >> 8);
	bad_values = 0;
	for (i = 0; i < 2000; i++) {
		c = pit_read_latched(0);
		if (c > 1000 || c < 2)
			bad_values++;
		odd += c & 1;
	}
	CHECK(!bad_values && !odd, "mode 3: %d bad, %d odd counts",
	      bad_values, odd);
	/* BCD: 1000 decimal is 0x1000; every nibble reads as a digit */
	outb(0x43, 0x35);
	outb(0x40, 0x00);
	outb(0x40, 0x10);
	bad_values = 0;
	for (i = 0; i < 2000; i++) {
		c = pit_read_latched(0);
		if ((c & 0xf) > 9 || ((c >> 4) & 0xf) > 9 ||
		    ((c >> 8) & 0xf) > 9 || (c >> 12) > 1)
			bad_values++;
	}
	CHECK(!bad_values, "BCD: %d counts that are not BCD", bad_values);
	/* lobyte only */
	outb(0x43, 0x10);
	outb(0x40, 0x80);
	c = inb(0x40);
	CHECK(c <= 0x80, "lobyte mode read 0x%x", c);
	end("pit-modes-2-3-readback-bcd");
}

static void test_pit_irq(void)
{
	struct pit pit;
	u64 irqs, t0, periods;
	int n, from;

	begin();
	vm_fresh();
	pic_init_linux(0x01);
	ioapic_route(2, 0x30, 0);
	pit_init(&pit, &chip);
	pit_register(&pit, &vm.io_bus);
	if (pit_start(&pit)) {
		bad("pit_start");
		end("pit-channel0-irq");
		return;
	}
	/* nothing programmed: no interrupt */
	sleep_ms(20);
	CHECK_EQ(msi_count(), 0);
	/* 100 Hz periodic (Linux's mode 2 rate, 11932) */
	t0 = platform_now_ns();
	outb(0x43, 0x34);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	sleep_ms(300);
	pthread_mutex_lock(&pit.lock);
	n = msi_count_vector(0, 0x30);
	irqs = pit.irqs + pit.missed;
	pthread_mutex_unlock(&pit.lock);
	periods = ticks_of(platform_now_ns() - t0) / 11932;
	/*
	 * One message per period at most; a late thread coalesces periods
	 * (counted as missed) but loses none of the count.
	 */
	CHECK(n >= 5 && (u64)n <= periods,
	      "%d IRQ 0 messages in %llu periods at 100 Hz", n,
	      (unsigned long long)periods);
	CHECK(irqs >= 10 && irqs <= periods && (u64)n <= irqs,
	      "%llu periods counted of %llu, %d messages",
	      (unsigned long long)irqs, (unsigned long long)periods, n);
	/* the PIC latched IRQ 0 too */
	CHECK(irqchip_pic_output(&chip), "no INTR for IRQ 0");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x30);
	/* mode 3 at 1 kHz */
	from = msi_count();
	t0 = platform_now_ns();
	outb(0x43, 0x36);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	sleep_ms(100);
	n = msi_count() - from;
	periods = ticks_of(platform_now_ns() - t0) / 1193;
	CHECK(n >= 10 && (u64)n <= periods,
	      "%d IRQ 0 messages in %llu periods at 1 kHz", n,
	      (unsigned long long)periods);
	/* mode 0 one-shot of 1 ms: exactly one */
	outb(0x43, 0x30);
	sleep_ms(20);				/* stopped: let it settle */
	from = msi_count();
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	CHECK(wait_msis(from, 0x30, 0, 2000), "no one-shot interrupt");
	sleep_ms(20);
	CHECK_EQ(msi_count() - from, 1);
	/* reprogrammed to nothing: quiet */
	outb(0x43, 0x30);
	from = msi_count();
	sleep_ms(20);
	CHECK_EQ(msi_count() - from, 0);
	pit_stop(&pit);
	end("pit-channel0-irq");
}

/* ---- RTC ---- */

static u8 cmos_read(u8 index)
{
	outb(0x70, index);
	return inb(0x71);
}

static void cmos_write(u8 index, u8 v)
{
	outb(0x70, index);
	outb(0x71, v);
}

static unsigned int bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static bool is_bcd(u8 v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

/* the time registers as a struct tm, read between two UIP-free moments */
static void rtc_read_tm(struct tm *tm, bool binary, bool h24, time_t *host)
{
	unsigned int (*dec)(u8) = NULL;
	u8 r[10], cent, h;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		while (cmos_read(0x0a) & 0x80)
			;
		*host = time(NULL);
		r[0] = cmos_read(0);
		r[2] = cmos_read(2);
		r[4] = cmos_read(4);
		r[6] = cmos_read(6);
		r[7] = cmos_read(7);
		r[8] = cmos_read(8);
		r[9] = cmos_read(9);
		cent = cmos_read(0x32);
		if (cmos_read(0) == r[0] && time(NULL) == *host)
			break;
	}
	(void)dec;
#define D(v) (binary ? (unsigned int)(v) : bcd(v))
	if (!binary)
		CHECK(is_bcd(r[0]) && is_bcd(r[2]) && is_bcd(r[4] & 0x7f) &&
		      is_bcd(r[7]) && is_bcd(r[8]) && is_bcd(r[9]) &&
		      is_bcd(cent), "not BCD: %02x %02x %02x %02x %02x %02x",
		      r[0], r[2], r[4], r[7], r[8], r[9]);
	memset(tm, 0, sizeof(*tm));
	tm->tm_sec = D(r[0]);
	tm->tm_min = D(r[2]);
	h = r[4];
	if (h24) {
		tm->tm_hour = D(h);
	} else {
		tm->tm_hour = D(h & 0x7f) % 12 + (h & 0x80 ? 12 : 0);
		CHECK(D(h & 0x7f) >= 1 && D(h & 0x7f) <= 12,
		      "12-hour hour 0x%x", h);
	}
	tm->tm_wday = D(r[6]) - 1;
	tm->tm_mday = D(r[7]);
	tm->tm_mon = D(r[8]) - 1;
	tm->tm_year = D(cent) * 100 + D(r[9]) - 1900;
#undef D
}

static void check_tm_is(const struct tm *got, time_t want, const char *what)
{
	struct tm w;

	gmtime_r(&want, &w);
	CHECK(got->tm_sec == w.tm_sec && got->tm_min == w.tm_min &&
	      got->tm_hour == w.tm_hour && got->tm_mday == w.tm_mday &&
	      got->tm_mon == w.tm_mon && got->tm_year == w.tm_year &&
	      got->tm_wday == w.tm_wday,
	      "%s: %04d-%02d-%02d %02d:%02d:%02d wday %d, want %04d-%02d-%02d %02d:%02d:%02d wday %d",
	      what, got->tm_year + 1900, got->tm_mon + 1, got->tm_mday,
	      got->tm_hour, got->tm_min, got->tm_sec, got->tm_wday,
	      w.tm_year + 1900, w.tm_mon + 1, w.tm_mday, w.tm_hour, w.tm_min,
	      w.tm_sec, w.tm_wday);
}

static void test_rtc_time(void)
{
	struct rtc rtc;
	struct tm tm;
	time_t host;

	begin();
	vm_fresh();
	rtc_init(&rtc, &chip);
	rtc_register(&rtc, &vm.io_bus);
	CHECK_EQ(cmos_read(0x0d), 0x80);
	CHECK_EQ(cmos_read(0x0b), 0x02);	/* BCD, 24 hours */
	rtc_read_tm(&tm, false, true, &host);
	check_tm_is(&tm, host, "BCD 24h");
	cmos_write(0x0b, 0x06);			/* binary */
	rtc_read_tm(&tm, true, true, &host);
	check_tm_is(&tm, host, "binary 24h");
	cmos_write(0x0b, 0x04);			/* binary, 12 hours */
	rtc_read_tm(&tm, true, false, &host);
	check_tm_is(&tm, host, "binary 12h");
	cmos_write(0x0b, 0x00);			/* BCD, 12 hours */
	rtc_read_tm(&tm, false, false, &host);
	check_tm_is(&tm, host, "BCD 12h");
	/* the NMI bit of the index is ignored */
	outb(0x70, 0x80 | 0x0b);
	CHECK_EQ(inb(0x71), 0x00);
	end("rtc-time-formats");
}

static void test_rtc_uip(void)
{
	struct rtc rtc;
	s64 before, after;
	bool seen = false, window;
	u64 start = platform_now_ns();
	long reads = 0, in_window = 0;
	u8 a = 0;

	begin();
	vm_fresh();
	rtc_init(&rtc, &chip);
	rtc_register(&rtc, &vm.io_bus);
	outb(0x70, 0x0a);
	/*
	 * One 244 us window a second, and this process may be off the CPU
	 * during it on a loaded machine: look for up to 10 s, stop at the
	 * first second that showed UIP.
	 */
	while (platform_now_ns() - start < 10000000000ULL &&
	       !(seen && !(a & 0x80))) {
		before = platform_realtime_ns();
		a = inb(0x71);
		after = platform_realtime_ns();
		reads++;
		if (before / 1000000000 == after / 1000000000 &&
		    before % 1000000000 >= 1000000000 - 244000)
			in_window++;
		/* did [before, after] touch the 244 us before a second? */
		window = before / 1000000000 != after / 1000000000 ||
			 after % 1000000000 >= 1000000000 - 244000;
		if (a & 0x80) {
			seen = true;
			CHECK(window, "UIP at %lld.%09lld..%lld.%09lld",
			      (long long)(before / 1000000000),
			      (long long)(before % 1000000000),
			      (long long)(after / 1000000000),
			      (long long)(after % 1000000000));
		} else if (before / 1000000000 == after / 1000000000 &&
			   before % 1000000000 >= 1000000000 - 244000) {
			bad("no UIP at %lld.%09lld", (long long)(before / 1000000000),
			    (long long)(before % 1000000000));
		}
		CHECK_EQ(a & 0x7f, 0x26);
	}
	CHECK(seen, "UIP never set in 10 s (%ld reads, %ld in the window)",
	      reads, in_window);
	/* SET: no update in progress */
	cmos_write(0x0b, 0x82);
	outb(0x70, 0x0a);
	start = platform_now_ns();
	while (platform_now_ns() - start < 1100000000ULL)
		CHECK(!(inb(0x71) & 0x80), "UIP while SET");
	end("rtc-uip");
}

static void test_rtc_set(void)
{
	struct rtc rtc;
	struct tm tm;
	time_t host, want;
	u8 s0;

	begin();
	vm_fresh();
	rtc_init(&rtc, &chip);
	rtc_register(&rtc, &vm.io_bus);
	/* as Linux's mc146818_set_time: SET, divider reset, write, restart */
	cmos_write(0x0b, 0x82 | 0x10);
	CHECK_EQ(cmos_read(0x0b), 0x82);	/* SET clears UIE */
	cmos_write(0x0a, 0x70);
	cmos_write(0, 0x30);
	cmos_write(2, 0x15);
	cmos_write(4, 0x09);
	cmos_write(7, 0x29);
	cmos_write(8, 0x02);
	cmos_write(9, 0x24);
	cmos_write(0x32, 0x20);
	/* frozen: reads give what was written */
	sleep_ms(1100);
	CHECK_EQ(cmos_read(0), 0x30);
	CHECK_EQ(cmos_read(9), 0x24);
	cmos_write(0x0a, 0x26);
	cmos_write(0x0b, 0x02);
	/* 2024-02-29 09:15:30 UTC, running from now */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 124;
	tm.tm_mon = 1;
	tm.tm_mday = 29;
	tm.tm_hour = 9;
	tm.tm_min = 15;
	tm.tm_sec = 30;
	want = timegm(&tm);
	rtc_read_tm(&tm, false, true, &host);
	check_tm_is(&tm, want, "after SET");
	CHECK_EQ(tm.tm_wday, 4);		/* a Thursday */
	s0 = cmos_read(0);
	sleep_ms(1100);
	CHECK(cmos_read(0) != s0, "the clock did not restart");
	/* a write while running moves the offset too (2028 is a leap year) */
	cmos_write(9, 0x28);
	rtc_read_tm(&tm, false, true, &host);
	CHECK_EQ(tm.tm_year, 128);
	CHECK_EQ(tm.tm_mon, 1);
	CHECK_EQ(tm.tm_mday, 29);
	end("rtc-set-offset");
}

static void test_rtc_irq_cmos(void)
{
	struct rtc rtc;
	int n, from;
	u8 c;

	begin();
	vm_fresh();
	ioapic_route(8, 0x28, 0);
	rtc_init(&rtc, &chip);
	rtc_register(&rtc, &vm.io_bus);
	if (rtc_start(&rtc))
		bad("rtc_start");
	/* flags without interrupts: PF at 1024 Hz, no IRQF */
	sleep_ms(5);
	c = cmos_read(0x0c);
	CHECK_EQ(c & 0xc0, 0x40);
	CHECK_EQ(cmos_read(0x0c) & 0x40, 0x00);
	CHECK_EQ(msi_count(), 0);
	/* periodic interrupts: IRQ 8 once, high until C is read */
	cmos_write(0x0b, 0x42);
	CHECK(wait_msis(0, 0x28, 0, 2000), "no periodic interrupt");
	sleep_ms(20);
	n = msi_count_vector(0, 0x28);
	CHECK_EQ(n, 1);
	c = cmos_read(0x0c);
	CHECK_EQ(c & 0xc0, 0xc0);
	from = msi_count();
	CHECK(wait_msis(from, 0x28, 0, 2000), "no second periodic interrupt");
	cmos_write(0x0b, 0x02);
	cmos_read(0x0c);
	/* update-ended: UF once a second */
	sleep_ms(1100);
	c = cmos_read(0x0c);
	CHECK_EQ(c & 0x90, 0x10);
	from = msi_count();
	cmos_write(0x0b, 0x12);
	CHECK(wait_msis(from, 0x28, 0, 3000), "no update interrupt");
	CHECK_EQ(msi_count_vector(from, 0x28), 1);
	CHECK_EQ(cmos_read(0x0c) & 0x90, 0x90);
	/* alarm for every second (don't-care values) */
	cmos_write(0x0b, 0x22);
	cmos_write(1, 0xff);
	cmos_write(3, 0xff);
	cmos_write(5, 0xff);
	cmos_read(0x0c);
	from = msi_count();
	CHECK(wait_msis(from, 0x28, 0, 3000), "no alarm interrupt");
	CHECK_EQ(msi_count_vector(from, 0x28), 1);
	CHECK_EQ(cmos_read(0x0c) & 0xa0, 0xa0);
	cmos_write(0x0b, 0x02);
	rtc_stop(&rtc);
	/* CMOS memory */
	cmos_write(0x40, 0xa5);
	CHECK_EQ(cmos_read(0x40), 0xa5);
	cmos_write(0x7f, 0x5a);
	CHECK_EQ(cmos_read(0xff), 0x5a);	/* NMI bit ignored */
	rtc_set_mem_size(&rtc, 32 * SZ_1M, SZ_1M * 1024);
	CHECK_EQ(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
	CHECK_EQ(cmos_read(0x17) | cmos_read(0x18) << 8, 31744);
	CHECK_EQ(cmos_read(0x30) | cmos_read(0x31) << 8, 31744);
	CHECK_EQ(cmos_read(0x34) | cmos_read(0x35) << 8, 256);
	CHECK_EQ(cmos_read(0x5b) | cmos_read(0x5c) << 8 |
		 cmos_read(0x5d) << 16, 0x4000);
	rtc_set_mem_size(&rtc, 3328 * SZ_1M, 0);
	CHECK_EQ(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
	CHECK_EQ(cmos_read(0x34) | cmos_read(0x35) << 8, (3328 - 16) * 16);
	end("rtc-irq-cmos");
}

/* ---- i8042 ---- */

static u8 kbc_read(void)
{
	CHECK(inb(0x64) & 0x01, "no output byte");
	return inb(0x60);
}

static void test_i8042(void)
{
	struct i8042 kbc;
	u8 cb;

	begin();
	vm_fresh();
	i8042_init(&kbc, &vm, &chip);
	if (i8042_register(&kbc, &vm.io_bus))
		bad("i8042_register");
	CHECK_EQ(inb(0x64) & 0x03, 0x00);	/* nothing to read, can write */
	outb(0x64, 0xaa);
	CHECK_EQ(kbc_read(), 0x55);
	CHECK_EQ(inb(0x64) & 0x01, 0x00);
	outb(0x64, 0xab);
	CHECK_EQ(kbc_read(), 0x00);
	outb(0x64, 0xa9);
	CHECK_EQ(kbc_read(), 0x00);
	outb(0x64, 0x20);
	cb = kbc_read();
	CHECK_EQ(cb & 0x65, 0x65);		/* XLATE, AUXDIS, SYS, KBDINT */
	/* Linux disables the keyboard interrupt while probing */
	outb(0x64, 0x60);
	outb(0x60, cb & ~0x01);
	outb(0x64, 0x20);
	CHECK_EQ(kbc_read(), cb & ~0x01);
	/* no mouse: enabling the port does not clear AUXDIS */
	outb(0x64, 0xa8);
	outb(0x64, 0x20);
	CHECK(kbc_read() & 0x20, "a mouse port could be enabled");
	/* i8042_toggle_aux(true) writes the CTR without AUXDIS: it stays */
	outb(0x64, 0x60);
	outb(0x60, cb & ~0x21);
	outb(0x64, 0x20);
	CHECK(kbc_read() & 0x20, "AUXDIS cleared by a CTR write");
	/* the mouse gets nothing: timeout, no byte */
	outb(0x64, 0xd4);
	outb(0x60, 0xf2);
	CHECK_EQ(inb(0x64) & 0x41, 0x40);
	outb(0x64, 0xd3);			/* loopback, marked as mouse data */
	outb(0x60, 0x5a);
	CHECK_EQ(inb(0x64) & 0x21, 0x21);
	CHECK_EQ(inb(0x60), 0x5a);
	/* keyboard: reset and identify, answered through IRQ 1 */
	outb(0x64, 0x60);
	outb(0x60, cb);
	pic_init_linux(0x01);			/* forgets the edges so far */
	CHECK(!irqchip_pic_output(&chip), "IRQ 1 with nothing to read");
	outb(0x60, 0xff);
	CHECK(irqchip_pic_output(&chip), "no IRQ 1 for the ACK");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	CHECK_EQ(inb(0x60), 0xfa);
	outb(0x20, 0x20);
	/* one edge per byte */
	CHECK(irqchip_pic_output(&chip), "no IRQ 1 for the second byte");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x31);
	CHECK_EQ(inb(0x60), 0xaa);
	outb(0x20, 0x20);
	CHECK(!irqchip_pic_output(&chip), "IRQ 1 with the queue empty");
	outb(0x60, 0xf2);
	CHECK_EQ(kbc_read(), 0xfa);
	CHECK_EQ(kbc_read(), 0xab);
	CHECK_EQ(kbc_read(), 0x41);		/* translated MF2 */
	outb(0x60, 0xed);
	CHECK_EQ(kbc_read(), 0xfa);
	outb(0x60, 0x07);
	CHECK_EQ(kbc_read(), 0xfa);
	CHECK_EQ(inb(0x64) & 0x01, 0x00);
	/* output port */
	outb(0x64, 0xd0);
	CHECK_EQ(kbc_read() & 0x03, 0x03);
	CHECK(!vm_is_stopped(&vm), "stopped early");
	/* the reset pulse */
	outb(0x64, 0xfe);
	CHECK(vm_is_stopped(&vm) && vm.stop_status == 0 &&
	      !strcmp(vm.stop_reason, "guest reset (i8042)"),
	      "0xfe: stopped %d status %d '%s'", vm.stopped,
	      vm.stop_status, vm.stop_reason);
	/* and output port bit 0 */
	vm_fresh();
	i8042_init(&kbc, &vm, &chip);
	i8042_register(&kbc, &vm.io_bus);
	outb(0x64, 0xd1);
	outb(0x60, 0x03);
	CHECK(!vm_is_stopped(&vm), "stopped by 0xd1 0x03");
	outb(0x64, 0xd1);
	outb(0x60, 0x02);
	CHECK(vm_is_stopped(&vm) && vm.stop_status == 0,
	      "0xd1 0x02: not stopped");
	end("i8042");
}

/* ---- ACPI ---- */

static void test_acpi_pm(void)
{
	struct acpi_pm pm;
	u64 t0, t1, t2, t3, dmin, dmax;
	u32 a, b;

	begin();
	vm_fresh();
	ioapic_route(9, 0x8029, 0);		/* SCI: level */
	acpi_pm_init(&pm, &vm, &chip);
	if (acpi_pm_register(&pm, &vm.io_bus))
		bad("acpi_pm_register");
	/* the timer at 3.579545 MHz, 32 bits */
	t0 = platform_now_ns();
	a = inl(0x608);
	t1 = platform_now_ns();
	sleep_ms(10);
	t2 = platform_now_ns();
	b = inl(0x608);
	t3 = platform_now_ns();
	dmin = (u64)((unsigned __int128)(t2 - t1) * 3579545 / 1000000000);
	dmax = (u64)((unsigned __int128)(t3 - t0) * 3579545 / 1000000000) + 1;
	CHECK((u32)(b - a) >= dmin && (u32)(b - a) <= dmax,
	      "PM timer moved %u, want %llu..%llu", b - a,
	      (unsigned long long)dmin, (unsigned long long)dmax);
	/* SCI_EN reads 1 */
	CHECK_EQ(inb(0x604) & 1, 1);
	/* the power button: status, then the SCI once enabled */
	acpi_pm_power_button(&pm);
	CHECK_EQ(inb(0x601) & 0x01, 0x01);
	CHECK_EQ(msi_count(), 0);
	outw(0x602, 0x0100);
	CHECK_EQ(msi_count(), 1);
	CHECK_EQ(msis[0].data, 0xc029);
	outw(0x600, 0x0100);			/* write 1 to clear */
	CHECK_EQ(inb(0x601) & 0x01, 0x00);
	CHECK(!(chip.ioapic.line & (1u << 9)), "SCI still high");
	/* a sleep state other than S5 is refused, the guest runs on */
	outw(0x604, 3 << 10);
	outw(0x604, 3 << 10 | 1 << 13);
	CHECK(!vm_is_stopped(&vm), "stopped by S3");
	CHECK_EQ(pm.refused_sleeps, 1);
	/* 0xcf9: RST_CPU clear does nothing, reads back */
	outb(0xcf9, 0x02);
	CHECK_EQ(inb(0xcf9), 0x02);
	CHECK(!vm_is_stopped(&vm), "stopped by 0xcf9 = 2");
	/* S5: power off */
	outw(0x604, 5 << 10);
	CHECK(!vm_is_stopped(&vm), "stopped without SLP_EN");
	outw(0x604, 5 << 10 | 1 << 13);
	CHECK(vm_is_stopped(&vm) && vm.stop_status == 0 &&
	      !strcmp(vm.stop_reason, "guest powered off (ACPI S5)"),
	      "S5: stopped %d status %d '%s'", vm.stopped, vm.stop_status,
	      vm.stop_reason);
	/* reset through 0xcf9 */
	vm_fresh();
	acpi_pm_init(&pm, &vm, &chip);
	acpi_pm_register(&pm, &vm.io_bus);
	outb(0xcf9, 0x06);
	CHECK(vm_is_stopped(&vm) && vm.stop_status == 0 &&
	      !strcmp(vm.stop_reason, "guest reset (0xcf9)"),
	      "0xcf9: stopped %d status %d '%s'", vm.stopped,
	      vm.stop_status, vm.stop_reason);
	/*
	 * PCI conf1 fits around it as 0xcf8 (1 byte: a dword access there
	 * still goes whole to it), 0xcfa (2) and 0xcfc (4)
	 */
	CHECK(bus_register(&vm.io_bus, 0xcf8, 4, acpi_pm_access, &pm, "x"),
	      "0xcf8-0xcfb registered over 0xcf9");
	CHECK(!bus_register(&vm.io_bus, 0xcf8, 1, acpi_pm_access, &pm, "x") &&
	      !bus_register(&vm.io_bus, 0xcfa, 2, acpi_pm_access, &pm, "x") &&
	      !bus_register(&vm.io_bus, 0xcfc, 4, acpi_pm_access, &pm, "x"),
	      "conf1 ranges refused");
	CHECK(bus_find(&vm.io_bus, 0xcf9)->access == acpi_reset_access,
	      "0xcf9 is not the reset register");
	end("acpi-pm");
}

/* ---- all of it, as lvctl run sets it up ---- */

static void test_platform_setup(void)
{
	static struct platform plat;
	u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x43,
			0x61, 0x70, 0x71, 0x60, 0x64, 0x600, 0x604, 0x608,
			0xcf9, 0x80, 0x2f8, 0x3e8, 0x2e8 };
	unsigned int i;

	begin();
	vm_init(&vm);
	vm.ops = &fake_ops;
	if (platform_setup(&plat, &vm, 64 * SZ_1M, 2)) {
		bad("platform_setup failed");
		end("platform-setup");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ports); i++)
		CHECK(bus_find(&vm.io_bus, ports[i]), "port 0x%x unclaimed",
		      ports[i]);
	CHECK(bus_find(&vm.mmio_bus, IOAPIC_BASE + 0x10), "no IOAPIC");
	CHECK(!bus_find(&vm.io_bus, 0xcf8) && !bus_find(&vm.io_bus, 0xcfc),
	      "conf1 ports taken");
	/* IOAPIC ID after the vCPUs' APIC IDs */
	mmio_w32(IOAPIC_BASE, 0);
	CHECK_EQ(mmio_r32(IOAPIC_BASE + 0x10), 0x02000000);
	/* absent COM2 fails the 8250 IER test; 0x80 takes writes */
	outb(0x2f9, 0x00);
	CHECK_EQ(inb(0x2f9), 0xff);
	outb(0x80, 0x12);
	CHECK_EQ(plat.absent_accesses, 2 + 1);
	/* CMOS memory size for 64M */
	CHECK_EQ(cmos_read(0x34) | cmos_read(0x35) << 8, (64 - 16) * 16);
	msi_log_reset();
	/* the threads run: PIT IRQ 0 through the IOAPIC */
	ioapic_route(2, 0x30, 0);
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	CHECK(wait_msis(0, 0x30, 2, 2000), "no PIT interrupts");
	outb(0x43, 0x30);
	/* a second platform on the same buses is refused */
	{
		static struct platform again;

		fprintf(stderr, "(an overlap message is expected here)\n");
		CHECK(platform_setup(&again, &vm, 64 * SZ_1M, 2),
		      "a second platform registered");
		platform_stop(&again);
	}
	platform_stop(&plat);
	CHECK(!plat.pit.thread_running && !plat.rtc.thread_running,
	      "threads left running");
	end("platform-setup");
}

/* ---- a hostile guest ---- */

static void test_hostile(void)
{
	static struct platform plat;
	static struct uart uart;
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,
		0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x60, 0x64,
		0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x606, 0x607,
		0x608, 0x60b, 0xcf9, 0x80, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc,
		0x3fd, 0x3fe, 0x3ff, 0x2f8 };
	static const u32 sizes[] = { 1, 2, 4, 3, 8 };
	unsigned int seed = 12345, i, j;
	struct pit *pit = &plat.pit;
	u64 t0, periods;
	int in[2];
	u8 d[8];

	begin();
	vm_init(&vm);
	vm.ops = &fake_ops;
	if (pipe(in) || platform_setup(&plat, &vm, 64 * SZ_1M, 1)) {
		bad("setup");
		end("hostile-guest");
		return;
	}
	uart_init(&uart, UART_COM1_BASE, in[0], -1);
	uart_set_irq(&uart, &plat.irqchip, IRQ_COM1);
	uart_register(&uart, &vm.io_bus);
	uart_start(&uart);
	CHECK(write(in[1], "input", 5) == 5, "write");
	/* every entry on, every vector */
	for (i = 0; i < IOAPIC_NR_PINS; i++)
		ioapic_route(i, 0x20 + i, 0);
	/* a count of 2 in mode 2: IRQ 0 at 10 kHz at most, the rest missed */
	t0 = platform_now_ns();
	outb(0x43, 0x34);
	outb(0x40, 2);
	outb(0x40, 0);
	sleep_ms(100);
	pthread_mutex_lock(&pit->lock);
	periods = (platform_now_ns() - t0) / 100000 + 1;
	CHECK(pit->irqs <= periods && pit->missed > 1000,
	      "count 2: %llu IRQs (max %llu), %llu missed",
	      (unsigned long long)pit->irqs, (unsigned long long)periods,
	      (unsigned long long)pit->missed);
	pthread_mutex_unlock(&pit->lock);
	/* a clock set to year 9999 stays in 1970-2160 */
	cmos_write(0x0b, 0x82);
	cmos_write(0x32, 0x99);
	cmos_write(9, 0x99);
	cmos_write(8, 0x99);
	cmos_write(0x0b, 0x02);
	CHECK(cmos_read(0x32) <= 0x21, "century 0x%x", cmos_read(0x32));
	/* random accesses everywhere, with the threads running */
	for (i = 0; i < 300000; i++) {
		u16 port = ports[rand_r(&seed) % ARRAY_SIZE(ports)];
		u32 len = sizes[rand_r(&seed) % ARRAY_SIZE(sizes)];
		bool w = rand_r(&seed) & 1;

		for (j = 0; j < 8; j++)
			d[j] = rand_r(&seed);
		if (rand_r(&seed) % 8 == 0) {
			u64 gpa = IOAPIC_BASE + (rand_r(&seed) % 0x50);

			bus_dispatch(&vm.mmio_bus, gpa, d, len, w);
			continue;
		}
		if (port == 0x43 && w && (d[0] & 0x30) && !(d[0] & 0x08))
			d[0] |= 0x08;	/* keep the PIT out of the 600 kHz modes */
		bus_dispatch(&vm.io_bus, port, d, len, w);
		if (i % 1000 == 0) {
			irqchip_pic_ack(&plat.irqchip);
			irqchip_eoi(&plat.irqchip, rand_r(&seed));
			irqchip_set_irq(&plat.irqchip, rand_r(&seed) % 30,
					rand_r(&seed) & 1);
		}
	}
	/* still alive and the threads still answer */
	uart_stop(&uart);
	platform_stop(&plat);
	CHECK(!plat.pit.thread_running && !plat.rtc.thread_running &&
	      !uart.rx_running, "threads left running");
	close(in[0]);
	close(in[1]);
	end("hostile-guest");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_ioapic_regs();
	test_ioapic_edge();
	test_ioapic_mask();
	test_ioapic_level();
	test_pic_basic();
	test_pic_cascade();
	test_pic_level_poll();
	test_pic_service();
	test_pit_mode0();
	test_pit_modes23();
	test_pit_irq();
	test_rtc_time();
	test_rtc_uip();
	test_rtc_set();
	test_rtc_irq_cmos();
	test_i8042();
	test_acpi_pm();
	test_platform_setup();
	test_hostile();

	return harness_finish();
}
