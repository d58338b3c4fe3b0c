// SPDX-License-Identifier: GPL-2.0
/*
 * pic.elf: the legacy interrupt path, as a BIOS or "noapic" kernel uses it:
 * the 8259 pair in lvctl, programmed with ICW1-4, the 8254 PIT's channel 0
 * on IRQ 0, and the local APIC in virtual-wire mode (LINT0 as ExtINT), so
 * each tick reaches the vCPU through LV_INTERRUPT (KVM_INTERRUPT on kvm).
 *  - IRQ 0 ticks wake HLT and arrive at vector 0x20 (ICW2);
 *  - masked in the IMR, they stop; the IRR still shows the line (OCW3);
 *  - the PIT's counter, latched, counts down.
 */
#include "rt.h"

const char guest_name[] = "pic";

#define XAPIC		0xfee00000UL
#define PIT_HZ		1193182

static volatile int ticks, other;

static void on_irq(int vector)
{
	if (vector == 0x20)
		ticks++;
	else
		other++;
	outb(0x20, 0x20);		/* non-specific EOI */
}

static void apic_wr(u32 reg, u32 v)
{
	*(volatile u32 *)(XAPIC + reg) = v;
}

static u16 pit_read0(void)
{
	u8 lo, hi;

	outb(0x43, 0x00);		/* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return lo | (hi << 8);
}

void guest_main(u32 magic, ulong info)
{
	u16 c1, c2;
	int n;

	irq_hook = on_irq;
	/* virtual wire: APIC on, LINT0 ExtINT unmasked, LINT1 NMI */
	apic_wr(0xf0, 0x1ff);
	apic_wr(0x350, 0x700);
	apic_wr(0x360, 0x400);

	/* ICW1-4: edge, cascade, vectors 0x20 and 0x28, 8086 mode */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
	outb(0x21, 0xfe);		/* only IRQ 0 */
	outb(0xa1, 0xff);
	CHECK(inb(0x21) == 0xfe, "IMR reads 0x%x", inb(0x21));

	/* channel 0, lobyte/hibyte, mode 2, 100 Hz */
	outb(0x43, 0x34);
	outb(0x40, (PIT_HZ / 100) & 0xff);
	outb(0x40, (PIT_HZ / 100) >> 8);
	c1 = pit_read0();
	for (volatile int i = 0; i < 2000; i++)
		;
	c2 = pit_read0();
	CHECK(c1 <= PIT_HZ / 100 && c2 != c1, "PIT counter %u then %u", c1, c2);
	printf("PASS pic-pit-counter\n");

	for (n = 0; n < 5; n++)
		asm volatile("sti; hlt; cli" ::: "memory");
	CHECK(ticks >= 5, "%d ticks after 5 HLTs", ticks);
	CHECK(!other, "%d interrupts at other vectors", other);
	printf("PASS pic-ticks\n");

	/* masked: no more ticks, but the line still shows in the IRR */
	outb(0x21, 0xff);
	n = ticks;
	asm volatile("sti" ::: "memory");
	for (volatile int i = 0; i < 400000; i++)
		;
	asm volatile("cli" ::: "memory");
	CHECK(ticks == n, "%d ticks while IRQ 0 was masked", ticks - n);
	outb(0x20, 0x0a);		/* OCW3: read IRR */
	CHECK(inb(0x20) & 1, "IRQ 0 not pending in the IRR while masked");
	printf("PASS pic-mask\n");
	outb(0x43, 0x30);		/* channel 0 mode 0, stopped */
}
