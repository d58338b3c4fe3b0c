// SPDX-License-Identifier: GPL-2.0
/*
 * i8042 keyboard controller, data port 0x60 and status/command port 0x64:
 * what Linux's i8042 and atkbd drivers need to probe a keyboard that never
 * types (commands are answered, no key is ever pressed), find no mouse,
 * and reset the machine (command 0xfe, or output port bit 0 cleared).
 */
#include <string.h>

#include "devices.h"
#include "platform.h"

/* status register */
#define ST_OBF		0x01
#define ST_SYS		0x04
#define ST_CMD		0x08	/* the last write went to 0x64 */
#define ST_UNLOCKED	0x10	/* keyboard not inhibited */
#define ST_AUXDATA	0x20
#define ST_TIMEOUT	0x40

/* command byte */
#define CB_KBDINT	0x01
#define CB_AUXINT	0x02
#define CB_SYS		0x04
#define CB_KBDDIS	0x10
#define CB_AUXDIS	0x20
#define CB_XLATE	0x40

/* output port */
#define OP_RESET_N	0x01	/* low: reset the CPU */
#define OP_A20		0x02

/*
 * IRQ 1 is high while a keyboard byte waits.  Each byte read lowers it, so
 * the next one queued is a new edge (Linux takes one byte per interrupt).
 */
static void i8042_update_irq(struct i8042 *kbc, bool byte_read)
{
	bool level = false;

	if (byte_read && kbc->irq_level) {
		kbc->irq_level = false;
		if (kbc->irqchip)
			irqchip_set_irq(kbc->irqchip, IRQ_KBD, false);
	}

	if (kbc->q_count && !kbc->queue_aux[kbc->q_head])
		level = kbc->ram[0] & CB_KBDINT;
	if (level == kbc->irq_level)
		return;
	kbc->irq_level = level;
	if (kbc->irqchip)
		irqchip_set_irq(kbc->irqchip, IRQ_KBD, level);
}

static void i8042_queue(struct i8042 *kbc, u8 v, bool aux)
{
	unsigned int tail;

	if (kbc->q_count == I8042_QUEUE)
		return;		/* the guest does not read: drop */
	tail = (kbc->q_head + kbc->q_count) % I8042_QUEUE;
	kbc->queue[tail] = v;
	kbc->queue_aux[tail] = aux;
	kbc->q_count++;
}

static void i8042_kbd_reply(struct i8042 *kbc, u8 v)
{
	kbc->last_kbd_byte = v;
	i8042_queue(kbc, v, false);
}

static void i8042_reset(struct i8042 *kbc, const char *how)
{
	vm_stop(kbc->vm, LVCTL_EXIT_HLT, "guest reset (%s)", how);
}

/* A byte for the keyboard itself (port 0x60 outside a controller command). */
static void i8042_kbd_write(struct i8042 *kbc, u8 v)
{
	u8 pending = kbc->kbd_pending;

	kbc->kbd_pending = 0;
	/* the keyboard answers even while its interface is disabled by 0xad */
	if (pending) {
		/* the parameter of 0xed, 0xf0, 0xf3 */
		i8042_kbd_reply(kbc, 0xfa);
		if (pending == 0xf0 && v == 0)
			i8042_kbd_reply(kbc, (kbc->ram[0] & CB_XLATE) ?
					     0x41 : 0x02);
		return;
	}
	switch (v) {
	case 0xed:			/* set LEDs */
	case 0xf0:			/* scan code set */
	case 0xf3:			/* typematic rate */
		kbc->kbd_pending = v;
		i8042_kbd_reply(kbc, 0xfa);
		break;
	case 0xee:			/* echo */
		i8042_kbd_reply(kbc, 0xee);
		break;
	case 0xf2:			/* identify: an MF2 keyboard */
		i8042_kbd_reply(kbc, 0xfa);
		i8042_kbd_reply(kbc, 0xab);
		i8042_kbd_reply(kbc, (kbc->ram[0] & CB_XLATE) ? 0x41 : 0x83);
		break;
	case 0xfe:			/* resend */
		i8042_queue(kbc, kbc->last_kbd_byte, false);
		break;
	case 0xff:			/* reset, then the self-test result */
		i8042_kbd_reply(kbc, 0xfa);
		i8042_kbd_reply(kbc, 0xaa);
		break;
	default:			/* enable, disable, defaults, ... */
		i8042_kbd_reply(kbc, 0xfa);
		break;
	}
}

/* The command byte has no mouse: its bits stay "aux disabled". */
static void i8042_set_cmd_byte(struct i8042 *kbc, u8 v)
{
	kbc->ram[0] = (v & ~CB_AUXINT) | CB_AUXDIS;
	kbc->status = (kbc->status & ~ST_SYS) | (v & CB_SYS);
}

static void i8042_data_write(struct i8042 *kbc, u8 v)
{
	u8 cmd = kbc->pending_cmd;

	kbc->status &= ~ST_CMD;
	kbc->pending_cmd = 0;
	switch (cmd) {
	case 0:
		i8042_kbd_write(kbc, v);
		break;
	case 0x60:			/* write the command byte */
		i8042_set_cmd_byte(kbc, v);
		break;
	case 0xd1:			/* write the output port */
		kbc->outport = v | OP_A20;	/* A20 is always on */
		if (!(v & OP_RESET_N))
			i8042_reset(kbc, "i8042");
		break;
	case 0xd2:			/* as if the keyboard sent @v */
		i8042_queue(kbc, v, false);
		break;
	case 0xd3:			/* as if the mouse sent @v: loopback */
		i8042_queue(kbc, v, true);
		break;
	case 0xd4:			/* to the mouse: there is none */
		kbc->status |= ST_TIMEOUT;
		break;
	default:			/* 0x61-0x7f: controller RAM */
		kbc->ram[cmd & 0x1f] = v;
		break;
	}
}

static void i8042_command(struct i8042 *kbc, u8 v)
{
	kbc->status |= ST_CMD;
	kbc->pending_cmd = 0;
	if (v >= 0x20 && v < 0x40) {	/* read controller RAM */
		i8042_queue(kbc, kbc->ram[v & 0x1f], false);
		return;
	}
	if (v >= 0x60 && v < 0x80) {	/* write controller RAM: data follows */
		kbc->pending_cmd = v;
		return;
	}
	if (v >= 0xf0) {		/* pulse output lines; bit 0 is reset */
		if (!(v & 1))
			i8042_reset(kbc, "i8042");
		return;
	}
	switch (v) {
	case 0xa7:			/* disable the mouse port */
		kbc->ram[0] |= CB_AUXDIS;
		break;
	case 0xa8:			/* enable it: there is none */
		break;
	case 0xa9:			/* mouse interface test: lines fine */
	case 0xab:			/* keyboard interface test */
		i8042_queue(kbc, 0x00, false);
		break;
	case 0xaa:			/* controller self test */
		i8042_queue(kbc, 0x55, false);
		kbc->status |= ST_SYS;
		break;
	case 0xad:
		kbc->ram[0] |= CB_KBDDIS;
		break;
	case 0xae:
		kbc->ram[0] &= ~CB_KBDDIS;
		break;
	case 0xc0:			/* input port: keyboard not locked */
		i8042_queue(kbc, 0x80, false);
		break;
	case 0xd0:			/* read the output port */
		i8042_queue(kbc, kbc->outport |
				 (kbc->q_count ? 0x10 : 0), false);
		break;
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		kbc->pending_cmd = v;
		break;
	case 0xe0:			/* test inputs */
		i8042_queue(kbc, 0x00, false);
		break;
	default:
		break;			/* unknown: ignored, as many chips do */
	}
}

static u8 i8042_status(struct i8042 *kbc)
{
	u8 v = kbc->status & (ST_SYS | ST_CMD | ST_TIMEOUT);

	v |= ST_UNLOCKED;
	if (kbc->q_count) {
		v |= ST_OBF;
		if (kbc->queue_aux[kbc->q_head])
			v |= ST_AUXDATA;
	}
	return v;
}

static u8 i8042_data_read(struct i8042 *kbc)
{
	u8 v;

	if (!kbc->q_count)
		return kbc->queue[(kbc->q_head + I8042_QUEUE - 1) % I8042_QUEUE];
	v = kbc->queue[kbc->q_head];
	kbc->q_head = (kbc->q_head + 1) % I8042_QUEUE;
	kbc->q_count--;
	kbc->status &= ~ST_TIMEOUT;
	return v;
}

void i8042_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write)
{
	struct i8042 *kbc = opaque;
	bool byte_read = false;
	u32 i;

	pthread_mutex_lock(&kbc->lock);
	for (i = 0; i < len; i++) {
		u64 p = port + i;

		if (p == I8042_DATA) {
			if (is_write) {
				i8042_data_write(kbc, data[i]);
			} else {
				data[i] = i8042_data_read(kbc);
				byte_read = true;
			}
		} else if (p == I8042_CMD) {
			if (is_write)
				i8042_command(kbc, data[i]);
			else
				data[i] = i8042_status(kbc);
		} else if (!is_write) {
			data[i] = 0xff;
		}
	}
	i8042_update_irq(kbc, byte_read);
	pthread_mutex_unlock(&kbc->lock);
}

void i8042_init(struct i8042 *kbc, struct vm *vm, struct irqchip *irqchip)
{
	memset(kbc, 0, sizeof(*kbc));
	pthread_mutex_init(&kbc->lock, NULL);
	kbc->vm = vm;
	kbc->irqchip = irqchip;
	/* as a BIOS leaves it: translation, system flag, keyboard interrupt */
	i8042_set_cmd_byte(kbc, CB_XLATE | CB_SYS | CB_KBDINT);
	kbc->outport = OP_RESET_N | OP_A20;
}

int i8042_register(struct i8042 *kbc, struct bus *io_bus)
{
	if (bus_register(io_bus, I8042_DATA, 1, i8042_access, kbc, "i8042") ||
	    bus_register(io_bus, I8042_CMD, 1, i8042_access, kbc, "i8042"))
		return -1;
	return 0;
}
