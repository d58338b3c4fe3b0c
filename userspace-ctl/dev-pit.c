// SPDX-License-Identifier: GPL-2.0
/*
 * 8254 programmable interval timer, ports 0x40-0x43, and port 0x61 (gate
 * of channel 2, speaker, refresh toggle, OUT2).  Counters are not stepped:
 * every read derives the count and OUT from CLOCK_MONOTONIC at 1193182 Hz,
 * so a guest calibrating its TSC against channel 2 sees the host's clock
 * exactly.  Channel 0 drives ISA IRQ 0 from a thread that sleeps until the
 * next rising edge of OUT0 (absolute deadlines: no drift; a late wake-up
 * delivers one edge for all the periods it missed, and counts them).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "devices.h"
#include "platform.h"

#define NS_PER_SEC		1000000000ULL
#define PIT_REFRESH_NS		15085	/* port 0x61 bit 4 toggles this often */
/*
 * At most one IRQ 0 per 100 us (10 kHz; Linux asks for 1 kHz at most):
 * a guest programming a count of 2 must not make the thread spin at
 * 600 kHz.  Faster periods are coalesced and counted as missed.
 */
#define PIT_MIN_IRQ_NS		100000ULL

static u64 pit_ticks(u64 ns)
{
	return (u64)((unsigned __int128)ns * PIT_HZ / NS_PER_SEC);
}

/* the first ns at which @ticks ticks have elapsed */
static u64 pit_ticks_to_ns(u64 ticks)
{
	return (u64)(((unsigned __int128)ticks * NS_PER_SEC + PIT_HZ - 1) /
		     PIT_HZ);
}

static u32 pit_modulus(const struct pit_channel *ch)
{
	return ch->bcd ? 10000 : 0x10000;
}

static u16 bin_to_bcd16(u32 v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
	       (v / 1000 % 10) << 12;
}

/* BCD digits above 9 (a guest's mistake) count as their binary value */
static u32 bcd16_to_bin(u16 v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

/* ticks the counter has counted since it was armed */
static u64 pit_elapsed(const struct pit_channel *ch, u64 now)
{
	if (!ch->armed)
		return 0;
	if (ch->paused)
		return ch->held_ticks;
	return ch->held_ticks + pit_ticks(now - ch->start_ns);
}

static u32 pit_count_now(const struct pit_channel *ch, u64 now)
{
	u64 d = pit_elapsed(ch, now);
	u32 n = ch->count, mod = pit_modulus(ch);

	if (!ch->armed)
		return n % mod;
	switch (ch->mode) {
	case 2:
		return n - (u32)(d % n);
	case 3:
		return (n - (u32)((2 * d) % n)) % mod;
	default:			/* 0, 1, 4, 5: down, wrapping */
		return (u32)((n + mod - d % mod) % mod);
	}
}

static bool pit_out_now(const struct pit_channel *ch, u64 now)
{
	u64 d = pit_elapsed(ch, now);
	u32 n = ch->count;

	switch (ch->mode) {
	case 0:
		return ch->armed && d >= n;
	case 1:
		return !ch->armed || d >= n;
	case 2:
		if (!ch->armed || !ch->gate)
			return true;
		return d % n != n - 1;
	case 3:
		if (!ch->armed || !ch->gate)
			return true;
		return d % n < (n + 1) / 2;
	default:			/* 4, 5: low for the one tick at 0 */
		return !ch->armed || d != n;
	}
}

static void pit_channel0_changed(struct pit *pit)
{
	pit->generation++;
	pthread_cond_signal(&pit->wake);
}

static void pit_start_counting(struct pit *pit, struct pit_channel *ch,
			       u64 now)
{
	ch->armed = true;
	ch->start_ns = now;
	ch->held_ticks = 0;
	ch->paused = !ch->gate && ch->mode != 1 && ch->mode != 5;
	ch->irqs_fired = 0;
	if (ch == &pit->ch[0])
		pit_channel0_changed(pit);
}

static void pit_load(struct pit *pit, struct pit_channel *ch, u32 n)
{
	if (ch->bcd)
		n = bcd16_to_bin(n);
	if (!n)
		n = pit_modulus(ch);
	/* 1 is illegal in modes 2 and 3: the output would never be high */
	if ((ch->mode == 2 || ch->mode == 3) && n < 2)
		n = 2;
	ch->count = n;
	ch->loaded = true;
	switch (ch->mode) {
	case 1:
	case 5:
		/* the count waits for a gate trigger */
		if (ch == &pit->ch[0])
			pit_channel0_changed(pit);
		break;
	default:
		pit_start_counting(pit, ch, platform_now_ns());
		break;
	}
}

static void pit_set_gate(struct pit *pit, struct pit_channel *ch, bool gate,
			 u64 now)
{
	bool rising = gate && !ch->gate;

	if (gate == ch->gate)
		return;
	switch (ch->mode) {
	case 0:
	case 4:
		/* a low gate suspends counting */
		if (!ch->armed)
			break;
		if (!gate) {
			ch->held_ticks = pit_elapsed(ch, now);
			ch->paused = true;
		} else {
			ch->start_ns = now;
			ch->paused = false;
		}
		break;
	default:
		/* 1, 5: a rising gate triggers; 2, 3: low stops, rising reloads */
		if (!gate && (ch->mode == 2 || ch->mode == 3)) {
			ch->held_ticks = pit_elapsed(ch, now);
			ch->paused = true;
		}
		ch->gate = gate;
		if (rising && ch->loaded)
			pit_start_counting(pit, ch, now);
		return;
	}
	ch->gate = gate;
}

static u8 pit_status(const struct pit_channel *ch, u64 now)
{
	return (pit_out_now(ch, now) ? 0x80 : 0) | (ch->loaded ? 0 : 0x40) |
	       ch->rw << 4 | ch->mode << 1 | ch->bcd;
}

static void pit_latch_count(struct pit_channel *ch, u64 now)
{
	u32 v;

	if (ch->count_latched)
		return;		/* the first latch holds until it is read */
	v = pit_count_now(ch, now);
	ch->latch = ch->bcd ? bin_to_bcd16(v) : (u16)v;
	ch->count_latched = true;
	ch->latch_msb_next = ch->rw == 2;
}

static void pit_control(struct pit *pit, u8 v)
{
	unsigned int sc = v >> 6, rw = (v >> 4) & 3, i;
	u64 now = platform_now_ns();
	struct pit_channel *ch;

	if (sc == 3) {			/* read-back */
		for (i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			ch = &pit->ch[i];
			if (!(v & 0x20))
				pit_latch_count(ch, now);
			if (!(v & 0x10) && !ch->status_latched) {
				ch->status = pit_status(ch, now);
				ch->status_latched = true;
			}
		}
		return;
	}
	ch = &pit->ch[sc];
	if (!rw) {
		pit_latch_count(ch, now);
		return;
	}
	ch->rw = rw;
	ch->mode = (v >> 1) & 7;
	if (ch->mode > 5)
		ch->mode -= 4;		/* 6, 7 are 2, 3 */
	ch->bcd = v & 1;
	ch->loaded = false;
	ch->armed = false;
	ch->paused = false;
	ch->held_ticks = 0;
	ch->write_msb = false;
	ch->read_msb = false;
	ch->count_latched = false;
	ch->status_latched = false;
	if (sc == 0)
		pit_channel0_changed(pit);
}

static void pit_write_count(struct pit *pit, struct pit_channel *ch, u8 v)
{
	switch (ch->rw) {
	case 1:
		pit_load(pit, ch, v);
		break;
	case 2:
		pit_load(pit, ch, (u32)v << 8);
		break;
	case 3:
		if (!ch->write_msb) {
			ch->write_lsb = v;
			ch->write_msb = true;
			/* mode 0: the first byte stops the count */
			if (ch->mode == 0 && ch->armed) {
				ch->armed = false;
				ch->loaded = false;
				if (ch == &pit->ch[0])
					pit_channel0_changed(pit);
			}
			break;
		}
		ch->write_msb = false;
		pit_load(pit, ch, ch->write_lsb | (u32)v << 8);
		break;
	default:
		break;		/* no control word yet: ignored */
	}
}

static u8 pit_read_count(struct pit_channel *ch)
{
	u16 v;
	u8 b;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->status;
	}
	if (ch->count_latched) {
		b = ch->latch_msb_next ? ch->latch >> 8 : (u8)ch->latch;
		if (ch->rw == 3 && !ch->latch_msb_next)
			ch->latch_msb_next = true;
		else
			ch->count_latched = false;
		return b;
	}
	v = (u16)pit_count_now(ch, platform_now_ns());
	if (ch->bcd)
		v = bin_to_bcd16(v);
	switch (ch->rw) {
	case 1:
		return (u8)v;
	case 2:
		return v >> 8;
	case 3:
		ch->read_msb = !ch->read_msb;
		return ch->read_msb ? (u8)v : v >> 8;
	default:
		return 0;
	}
}

void pit_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write)
{
	struct pit *pit = opaque;
	u32 i;

	pthread_mutex_lock(&pit->lock);
	for (i = 0; i < len; i++) {
		u64 reg = port + i - PIT_BASE;

		if (reg > 3) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (reg == 3) {
			if (is_write)
				pit_control(pit, data[i]);
			else
				data[i] = 0xff;	/* the control word is write-only */
			continue;
		}
		if (is_write)
			pit_write_count(pit, &pit->ch[reg], data[i]);
		else
			data[i] = pit_read_count(&pit->ch[reg]);
	}
	pthread_mutex_unlock(&pit->lock);
}

void pit_port61_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write)
{
	struct pit *pit = opaque;
	u64 now = platform_now_ns();
	u32 i;

	(void)port;
	pthread_mutex_lock(&pit->lock);
	for (i = 0; i < len; i++) {
		if (i) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (is_write) {
			pit->port61 = data[0] & 0x0f;
			pit_set_gate(pit, &pit->ch[2], data[0] & 1, now);
			continue;
		}
		data[0] = pit->port61 |
			  ((now / PIT_REFRESH_NS) & 1 ? 0x10 : 0) |
			  (pit_out_now(&pit->ch[2], now) ? 0x20 : 0);
	}
	pthread_mutex_unlock(&pit->lock);
}

/* The tick of the next rising edge of OUT0, or 0 if none is coming. */
static u64 pit_next_edge(const struct pit_channel *ch)
{
	if (!ch->armed || ch->paused)
		return 0;
	switch (ch->mode) {
	case 0:
		return ch->irqs_fired ? 0 : ch->count;
	case 2:
	case 3:
		return (ch->irqs_fired + 1) * ch->count;
	case 4:
		return ch->irqs_fired ? 0 : ch->count + 1;
	default:
		return 0;	/* 1, 5: the gate of channel 0 never rises */
	}
}

static void *pit_thread(void *arg)
{
	struct pit *pit = arg;
	struct pit_channel *ch = &pit->ch[0];
	u64 edge, deadline, now, k, last_fire = 0;
	struct timespec ts;

	pthread_mutex_lock(&pit->lock);
	while (!pit->stop) {
		edge = pit_next_edge(ch);
		if (!edge) {
			pthread_cond_wait(&pit->wake, &pit->lock);
			continue;
		}
		deadline = ch->start_ns + pit_ticks_to_ns(edge - ch->held_ticks);
		if (deadline < last_fire + PIT_MIN_IRQ_NS)
			deadline = last_fire + PIT_MIN_IRQ_NS;
		now = platform_now_ns();
		if (now < deadline) {
			/*
			 * An absolute CLOCK_MONOTONIC deadline, as with
			 * clock_nanosleep(TIMER_ABSTIME), but a reprogramming
			 * of channel 0 wakes us at once.
			 */
			ts.tv_sec = deadline / NS_PER_SEC;
			ts.tv_nsec = deadline % NS_PER_SEC;
			pthread_cond_timedwait(&pit->wake, &pit->lock, &ts);
			continue;
		}
		if (ch->mode == 2 || ch->mode == 3) {
			k = pit_elapsed(ch, now) / ch->count;
			if (k > ch->irqs_fired + 1)
				pit->missed += k - ch->irqs_fired - 1;
			ch->irqs_fired = k;
		} else {
			ch->irqs_fired = 1;
		}
		pit->irqs++;
		last_fire = now;
		if (pit->irqchip)
			irqchip_pulse(pit->irqchip, IRQ_PIT);
	}
	pthread_mutex_unlock(&pit->lock);
	return NULL;
}

void pit_init(struct pit *pit, struct irqchip *irqchip)
{
	pthread_condattr_t attr;
	int i;

	memset(pit, 0, sizeof(*pit));
	pthread_mutex_init(&pit->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pit->wake, &attr);
	pthread_condattr_destroy(&attr);
	pit->irqchip = irqchip;
	for (i = 0; i < 3; i++) {
		pit->ch[i].count = 0x10000;
		pit->ch[i].gate = i != 2;	/* channel 2: port 0x61 bit 0 */
	}
}

int pit_register(struct pit *pit, struct bus *io_bus)
{
	if (bus_register(io_bus, PIT_BASE, 4, pit_access, pit, "pit") ||
	    bus_register(io_bus, PIT_PORT61, 1, pit_port61_access, pit,
			 "port61"))
		return -1;
	return 0;
}

int pit_start(struct pit *pit)
{
	if (pit->thread_running)
		return 0;
	pit->stop = false;
	if (platform_thread_create(&pit->thread, pit_thread, pit))
		return -1;
	pit->thread_running = true;
	return 0;
}

void pit_stop(struct pit *pit)
{
	if (!pit->thread_running)
		return;
	pthread_mutex_lock(&pit->lock);
	pit->stop = true;
	pthread_cond_signal(&pit->wake);
	pthread_mutex_unlock(&pit->lock);
	pthread_join(pit->thread, NULL);
	pit->thread_running = false;
}
