// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupt controllers a PC guest expects besides its local APICs
 * (which are in the kernel): an IOAPIC that turns pin changes into MSI
 * writes (vm->ops->signal_msi), and a cascaded pair of 8259A PICs whose
 * INTR output the vCPU loop turns into ExtINT injections (LV_INTERRUPT).
 * Both see every ISA line; the guest masks the one it does not use.
 */
#include <string.h>

#include "accel.h"
#include "devices.h"
#include "platform.h"

/*
 * Where each ISA IRQ goes: the PIC pin and the IOAPIC pin (-1: none).
 * IRQ 0 is on IOAPIC pin 2 (the MADT's interrupt source override); IRQ 2
 * is the cascade from the slave PIC and has no device.
 */
static const struct {
	signed char pic;
	signed char ioapic;
} isa_route[IRQCHIP_NR_ISA] = {
	{ 0, 2 }, { 1, 1 }, { -1, -1 }, { 3, 3 },
	{ 4, 4 }, { 5, 5 }, { 6, 6 }, { 7, 7 },
	{ 8, 8 }, { 9, 9 }, { 10, 10 }, { 11, 11 },
	{ 12, 12 }, { 13, 13 }, { 14, 14 }, { 15, 15 },
};

/* ---- 8259A ---- */

static void pic_reset(struct pic *p, u8 vector_base, u8 elcr_mask)
{
	memset(p, 0, sizeof(*p));
	p->imr = 0xff;		/* nothing until the guest initialises it */
	p->vector_base = vector_base;
	p->elcr_mask = elcr_mask;
	p->lowest = 7;
}

static u8 pic_level_mask(const struct pic *p)
{
	return p->ltim ? 0xff : p->elcr;
}

/* Priority 0 (highest) .. 7 of the best pin in @mask, 8 if none. */
static int pic_best(const struct pic *p, u8 mask)
{
	int prio;

	for (prio = 0; prio < 8; prio++)
		if (mask & (1u << ((p->lowest + 1 + prio) & 7)))
			return prio;
	return 8;
}

static int pic_prio_pin(const struct pic *p, int prio)
{
	return (p->lowest + 1 + prio) & 7;
}

/* The pin the PIC would interrupt for now, or -1. */
static int pic_pending(const struct pic *p, bool master)
{
	int prio, pin;
	u8 isr;

	if (p->init_step)
		return -1;
	prio = pic_best(p, p->irr & ~p->imr);
	if (prio == 8)
		return -1;
	pin = pic_prio_pin(p, prio);
	isr = p->isr;
	if (p->special_mask)
		isr &= ~p->imr;
	/* special fully nested: the slave may interrupt its own service */
	if (master && p->sfnm && pin == PIC_CASCADE_IRQ)
		isr &= ~(1u << PIC_CASCADE_IRQ);
	return prio < pic_best(p, isr) ? pin : -1;
}

static void pic_set_input(struct pic *p, int pin, bool level)
{
	u8 mask = 1u << pin;

	if (pic_level_mask(p) & mask) {
		if (level)
			p->irr |= mask;
		else
			p->irr &= ~mask;
	} else if (level && !(p->line & mask)) {
		/* edge: latched until acknowledged, even if the line drops */
		p->irr |= mask;
	}
	if (level)
		p->line |= mask;
	else
		p->line &= ~mask;
}

static void pic_intack(struct pic *p, int pin)
{
	u8 mask = 1u << pin;

	if (p->auto_eoi) {
		if (p->rotate_on_aeoi)
			p->lowest = pin;
	} else {
		p->isr |= mask;
	}
	if (!(pic_level_mask(p) & mask))
		p->irr &= ~mask;
}

/*
 * Recompute the cascade and the INTR output.  The slave's INT reaches
 * master pin 2 as a level: an edge input would lose a second slave
 * request raised while the first is acknowledged.  Returns true when INTR
 * rose.
 */
static bool pic_update(struct irqchip *chip)
{
	struct pic *m = &chip->pic[0];
	bool out, rose;

	if (!m->single) {
		if (pic_pending(&chip->pic[1], false) >= 0)
			m->irr |= 1u << PIC_CASCADE_IRQ;
		else
			m->irr &= ~(1u << PIC_CASCADE_IRQ);
	}
	out = pic_pending(m, true) >= 0;
	rose = out && !chip->intr;
	__atomic_store_n(&chip->intr, out, __ATOMIC_RELEASE);
	return rose;
}

static void pic_eoi_pin(struct pic *p, int pin, bool rotate)
{
	p->isr &= ~(1u << pin);
	if (rotate)
		p->lowest = pin;
}

static void pic_write_cmd(struct pic *p, u8 v)
{
	int prio;

	if (v & 0x10) {			/* ICW1 */
		p->init_step = 2;
		p->icw4_expected = v & 0x01;
		p->single = v & 0x02;
		p->ltim = v & 0x08;
		p->imr = 0;
		p->isr = 0;
		/* edge sense reset: only level inputs request at once */
		p->irr = p->line & pic_level_mask(p);
		p->lowest = 7;
		p->special_mask = false;
		p->read_isr = false;
		p->poll = false;
		p->auto_eoi = false;
		p->rotate_on_aeoi = false;
		p->sfnm = false;
		return;
	}
	if (v & 0x08) {			/* OCW3 */
		if (v & 0x04)
			p->poll = true;
		if (v & 0x02)
			p->read_isr = v & 0x01;
		if (v & 0x40)
			p->special_mask = v & 0x20;
		return;
	}
	switch (v >> 5) {		/* OCW2 */
	case 0:
		p->rotate_on_aeoi = false;
		break;
	case 4:
		p->rotate_on_aeoi = true;
		break;
	case 1:				/* non-specific EOI */
	case 5:				/* ... and rotate */
		prio = pic_best(p, p->isr);
		if (prio < 8)
			pic_eoi_pin(p, pic_prio_pin(p, prio), (v >> 5) == 5);
		break;
	case 3:				/* specific EOI */
	case 7:				/* ... and rotate */
		pic_eoi_pin(p, v & 7, (v >> 5) == 7);
		break;
	case 6:				/* set priority */
		p->lowest = v & 7;
		break;
	default:			/* 2: no operation */
		break;
	}
}

static void pic_write_data(struct pic *p, u8 v)
{
	switch (p->init_step) {
	case 2:				/* ICW2 */
		p->vector_base = v & 0xf8;
		if (!p->single)
			p->init_step = 3;
		else
			p->init_step = p->icw4_expected ? 4 : 0;
		break;
	case 3:				/* ICW3 */
		p->icw3 = v;
		p->init_step = p->icw4_expected ? 4 : 0;
		break;
	case 4:				/* ICW4; bit 0 (8086 mode) is assumed */
		p->auto_eoi = v & 0x02;
		p->sfnm = v & 0x10;
		p->init_step = 0;
		break;
	default:			/* OCW1 */
		p->imr = v;
		break;
	}
}

/* Poll mode: the read is the acknowledge (0x80 | pin, or 0 if none). */
static u8 pic_poll_read(struct irqchip *chip, int idx)
{
	struct pic *p = &chip->pic[idx];
	int pin = pic_pending(p, idx == 0);

	p->poll = false;
	if (pin < 0)
		return 0;
	pic_intack(p, pin);
	return 0x80 | pin;
}

static bool pic_port(struct irqchip *chip, u16 port, u8 *v, bool is_write)
{
	int idx = port >= PIC_SLAVE_BASE;
	struct pic *p = &chip->pic[idx];
	bool data = port & 1;

	if (is_write) {
		if (data)
			pic_write_data(p, *v);
		else
			pic_write_cmd(p, *v);
	} else if (p->poll) {
		*v = pic_poll_read(chip, idx);
	} else if (data) {
		*v = p->imr;
	} else {
		*v = p->read_isr ? p->isr : p->irr;
	}
	return pic_update(chip);
}

static void irqchip_notify(struct irqchip *chip, bool rose)
{
	if (rose && chip->intr_changed)
		chip->intr_changed(chip->intr_opaque);
}

/*
 * A PIC or ELCR access, byte by byte under the lock: @byte returns
 * whether the INTR output rose, or -1 for a port that is not its own
 * (ignored; reads 0xff).
 */
static void irqchip_bytes(struct irqchip *chip, u64 port, u8 *data, u32 len,
			  bool is_write,
			  int (*byte)(struct irqchip *chip, u64 port, u8 *v,
				      bool is_write))
{
	bool rose = false;
	u32 i;

	pthread_mutex_lock(&chip->lock);
	for (i = 0; i < len; i++) {
		int r = byte(chip, port + i, &data[i], is_write);

		if (r < 0 && !is_write)
			data[i] = 0xff;
		rose |= r > 0;
	}
	pthread_mutex_unlock(&chip->lock);
	irqchip_notify(chip, rose);
}

static int pic_byte(struct irqchip *chip, u64 port, u8 *v, bool is_write)
{
	if ((port & ~1ULL) != PIC_MASTER_BASE &&
	    (port & ~1ULL) != PIC_SLAVE_BASE)
		return -1;
	return pic_port(chip, (u16)port, v, is_write);
}

static int elcr_byte(struct irqchip *chip, u64 port, u8 *v, bool is_write)
{
	u64 off = port - PIC_ELCR_BASE;
	struct pic *p;

	if (off > 1)
		return -1;
	p = &chip->pic[off];
	if (!is_write) {
		*v = p->elcr;
		return 0;
	}
	p->elcr = *v & p->elcr_mask;
	/* pins now level-triggered request while their line is up */
	p->irr = (p->irr & ~p->elcr) | (p->line & p->elcr);
	return pic_update(chip);
}

void irqchip_pic_access(void *opaque, u64 port, u8 *data, u32 len,
			bool is_write)
{
	irqchip_bytes(opaque, port, data, len, is_write, pic_byte);
}

void irqchip_elcr_access(void *opaque, u64 port, u8 *data, u32 len,
			 bool is_write)
{
	irqchip_bytes(opaque, port, data, len, is_write, elcr_byte);
}

/*
 * Read on every exit of vCPU 0, so without the lock: INTR rising after
 * this read kicks vCPU 0 (intr_changed), which looks again.
 */
bool irqchip_pic_output(struct irqchip *chip)
{
	return __atomic_load_n(&chip->intr, __ATOMIC_ACQUIRE);
}

int irqchip_pic_ack(struct irqchip *chip)
{
	struct pic *m = &chip->pic[0], *s = &chip->pic[1];
	int pin, spin, vector;

	pthread_mutex_lock(&chip->lock);
	pin = pic_pending(m, true);
	if (pin < 0) {
		/* INTR went away before the acknowledge: spurious IRQ 7 */
		chip->pic_spurious++;
		vector = m->vector_base + 7;
	} else if (pin == PIC_CASCADE_IRQ && !m->single) {
		pic_intack(m, pin);
		spin = pic_pending(s, false);
		if (spin < 0) {
			chip->pic_spurious++;
			vector = s->vector_base + 7;
		} else {
			pic_intack(s, spin);
			vector = s->vector_base + spin;
		}
	} else {
		pic_intack(m, pin);
		vector = m->vector_base + pin;
	}
	/* the caller looks at the output again: no intr_changed from here */
	pic_update(chip);
	pthread_mutex_unlock(&chip->lock);
	return vector;
}

/*
 * vCPU 0's side of the INTR line, for the vCPU loop: before each run (and
 * on VM_EXIT_IRQ_WINDOW) with @irq_ready from the last exit.  While INTR
 * is up, either acknowledge and inject (ExtINT) or ask for the window.
 * Returns 1 when a vector was injected, 0 when there was nothing to do or
 * the window was asked for, -1 when the accelerator cannot inject
 * (counted in pic_lost).
 */
int irqchip_pic_service(struct irqchip *chip, struct vcpu *vcpu,
			bool irq_ready)
{
	const struct accel_ops *ops = vcpu->vm->ops;
	int vector;

	if (!irqchip_pic_output(chip)) {
		if (ops->set_irq_window)
			ops->set_irq_window(vcpu, false);
		return 0;
	}
	if (!ops->interrupt || !ops->set_irq_window) {
		pthread_mutex_lock(&chip->lock);
		chip->pic_lost++;
		pthread_mutex_unlock(&chip->lock);
		return -1;
	}
	if (!irq_ready) {
		ops->set_irq_window(vcpu, true);
		return 0;
	}
	vector = irqchip_pic_ack(chip);
	if (ops->interrupt(vcpu, (u8)vector)) {
		pthread_mutex_lock(&chip->lock);
		chip->pic_lost++;
		pthread_mutex_unlock(&chip->lock);
		return -1;
	}
	/* another request behind this one needs the next window */
	ops->set_irq_window(vcpu, irqchip_pic_output(chip));
	return 1;
}

/* ---- IOAPIC ---- */

static void ioapic_deliver(struct irqchip *chip, int pin)
{
	struct vm *vm = chip->vm;
	u64 rte = chip->ioapic.rte[pin];
	u64 addr;
	u32 data;

	addr = MSI_ADDR_BASE |
	       ((rte >> IOAPIC_RTE_DEST_SHIFT) & 0xff) << 12 |
	       ((rte & IOAPIC_RTE_DESTMODE) ? 1ULL << 2 : 0);
	data = (u32)(rte & (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE)) |
	       1u << 14;		/* assert */
	if (rte & IOAPIC_RTE_LEVEL) {
		data |= 1u << 15;
		chip->ioapic.rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	}
	/*
	 * Once the VM has stopped, its accelerator state may be going away
	 * under a device thread: nothing is delivered any more.
	 */
	if (!vm || !vm->ops || !vm->ops->signal_msi || vm_is_stopped(vm) ||
	    vm->ops->signal_msi(vm, addr, data)) {
		chip->msi_lost++;
		return;
	}
	chip->msi_sent++;
}

/* A level entry delivers while asserted, unmasked and not in service. */
static void ioapic_check_level(struct irqchip *chip, int pin)
{
	u64 rte = chip->ioapic.rte[pin];

	if ((rte & IOAPIC_RTE_LEVEL) && !(rte & IOAPIC_RTE_MASKED) &&
	    !(rte & IOAPIC_RTE_REMOTE_IRR) &&
	    (chip->ioapic.asserted & (1u << pin)))
		ioapic_deliver(chip, pin);
}

static void ioapic_set_pin(struct irqchip *chip, int pin, bool level)
{
	struct ioapic *io = &chip->ioapic;
	u64 rte = io->rte[pin];
	u32 mask = 1u << pin;
	bool asserted = level ^ !!(rte & IOAPIC_RTE_POLARITY);
	bool was = io->asserted & mask;

	if (level)
		io->line |= mask;
	else
		io->line &= ~mask;
	if (asserted)
		io->asserted |= mask;
	else
		io->asserted &= ~mask;
	if (rte & IOAPIC_RTE_LEVEL)
		ioapic_check_level(chip, pin);
	else if (asserted && !was && !(rte & IOAPIC_RTE_MASKED))
		ioapic_deliver(chip, pin);
}

static void ioapic_eoi_locked(struct irqchip *chip, u8 vector)
{
	struct ioapic *io = &chip->ioapic;
	int pin;

	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		u64 rte = io->rte[pin];

		if ((rte & IOAPIC_RTE_VECTOR) != vector ||
		    !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		ioapic_check_level(chip, pin);
	}
}

void irqchip_eoi(struct irqchip *chip, u8 vector)
{
	pthread_mutex_lock(&chip->lock);
	ioapic_eoi_locked(chip, vector);
	pthread_mutex_unlock(&chip->lock);
}

#define IOAPIC_RTE_LOW_RW	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE | \
				 IOAPIC_RTE_DESTMODE | IOAPIC_RTE_POLARITY | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)

static void ioapic_write_rte(struct irqchip *chip, int pin, bool high, u32 v)
{
	struct ioapic *io = &chip->ioapic;
	u64 rte = io->rte[pin];
	u32 mask = 1u << pin;

	if (high) {
		rte = (rte & 0x00ffffffffffffffULL) |
		      (u64)(v & 0xff000000u) << 32;
	} else {
		rte = (rte & ~IOAPIC_RTE_LOW_RW) | (v & IOAPIC_RTE_LOW_RW);
		/* remote IRR means nothing for an edge entry */
		if (!(rte & IOAPIC_RTE_LEVEL))
			rte &= ~IOAPIC_RTE_REMOTE_IRR;
	}
	io->rte[pin] = rte;
	if (!!(io->line & mask) ^ !!(rte & IOAPIC_RTE_POLARITY))
		io->asserted |= mask;
	else
		io->asserted &= ~mask;
	/* an edge raised while masked is gone; a level one delivers now */
	ioapic_check_level(chip, pin);
}

static u32 ioapic_read_reg(struct ioapic *io)
{
	u32 reg = io->regsel & 0xff;
	int pin;

	switch (reg) {
	case 0x00:
		return (io->id & 0xf) << 24;
	case 0x01:
		return IOAPIC_VERSION | (IOAPIC_NR_PINS - 1) << 16;
	case 0x02:			/* arbitration ID */
		return (io->id & 0xf) << 24;
	default:
		break;
	}
	if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_NR_PINS)
		return 0;
	pin = (reg - 0x10) / 2;
	return (reg & 1) ? (u32)(io->rte[pin] >> 32) : (u32)io->rte[pin];
}

static void ioapic_write_reg(struct irqchip *chip, u32 v)
{
	struct ioapic *io = &chip->ioapic;
	u32 reg = io->regsel & 0xff;

	if (reg == 0x00) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_NR_PINS)
		return;			/* version, arbitration: read-only */
	ioapic_write_rte(chip, (reg - 0x10) / 2, reg & 1, v);
}

/* Registers are 32 bits wide; other sizes read as zero, writes drop. */
void irqchip_ioapic_access(void *opaque, u64 gpa, u8 *data, u32 len,
			   bool is_write)
{
	struct irqchip *chip = opaque;
	u64 off = gpa - IOAPIC_BASE;
	u32 v = 0;

	if (len != 4 || (off & 3)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write)
		v = (u32)le_load(data, 4);
	pthread_mutex_lock(&chip->lock);
	switch (off) {
	case IOAPIC_REG_SEL:
		if (is_write)
			chip->ioapic.regsel = v & 0xff;
		else
			v = chip->ioapic.regsel;
		break;
	case IOAPIC_REG_WIN:
		if (is_write)
			ioapic_write_reg(chip, v);
		else
			v = ioapic_read_reg(&chip->ioapic);
		break;
	case IOAPIC_REG_EOI:
		if (is_write)
			ioapic_eoi_locked(chip, v & 0xff);
		v = 0;
		break;
	default:
		v = 0;
		break;
	}
	pthread_mutex_unlock(&chip->lock);
	if (!is_write)
		le_store(data, 4, v);
}

/* ---- lines ---- */

int irqchip_set_irq(struct irqchip *chip, unsigned int isa_or_gsi,
		    bool level)
{
	int pic_pin = -1, io_pin = -1;
	bool rose = false;

	if (isa_or_gsi < IRQCHIP_NR_ISA) {
		pic_pin = isa_route[isa_or_gsi].pic;
		io_pin = isa_route[isa_or_gsi].ioapic;
	} else if (isa_or_gsi < IOAPIC_NR_PINS) {
		io_pin = isa_or_gsi;
	}
	pthread_mutex_lock(&chip->lock);
	if (pic_pin < 0 && io_pin < 0) {
		chip->bad_irq++;
		pthread_mutex_unlock(&chip->lock);
		return -1;
	}
	if (pic_pin >= 0) {
		pic_set_input(&chip->pic[pic_pin >> 3], pic_pin & 7, level);
		rose = pic_update(chip);
	}
	if (io_pin >= 0)
		ioapic_set_pin(chip, io_pin, level);
	pthread_mutex_unlock(&chip->lock);
	irqchip_notify(chip, rose);
	return 0;
}

int irqchip_pulse(struct irqchip *chip, unsigned int isa_or_gsi)
{
	if (irqchip_set_irq(chip, isa_or_gsi, true))
		return -1;
	return irqchip_set_irq(chip, isa_or_gsi, false);
}

void irqchip_init(struct irqchip *chip, struct vm *vm, u32 ioapic_id)
{
	int pin;

	memset(chip, 0, sizeof(*chip));
	pthread_mutex_init(&chip->lock, NULL);
	chip->vm = vm;
	/* the BIOS's vectors; IRQ 0-2 (master) and 8, 13 (slave) stay edge */
	pic_reset(&chip->pic[0], 0x08, 0xf8);
	pic_reset(&chip->pic[1], 0x70, 0xde);
	chip->ioapic.id = ioapic_id & 0xf;
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		chip->ioapic.rte[pin] = IOAPIC_RTE_MASKED;
}

int irqchip_register(struct irqchip *chip, struct vm *vm)
{
	if (bus_register(&vm->io_bus, PIC_MASTER_BASE, 2, irqchip_pic_access,
			 chip, "pic-master") ||
	    bus_register(&vm->io_bus, PIC_SLAVE_BASE, 2, irqchip_pic_access,
			 chip, "pic-slave") ||
	    bus_register(&vm->io_bus, PIC_ELCR_BASE, 2, irqchip_elcr_access,
			 chip, "elcr") ||
	    bus_register(&vm->mmio_bus, IOAPIC_BASE, IOAPIC_SIZE,
			 irqchip_ioapic_access, chip, "ioapic"))
		return -1;
	return 0;
}
