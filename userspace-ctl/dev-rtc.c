// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818 real-time clock and CMOS memory, index port 0x70 (bit 7, the
 * NMI mask, is ignored) and data port 0x71.  The time is the host's UTC
 * clock plus an offset the guest changes by writing the time registers;
 * while SET (register B) or a divider reset (register A) freezes the
 * clock, the time registers are plain memory and the offset is taken from
 * them when the clock starts again.  Flags are derived from the clock when
 * looked at; a thread raises IRQ 8 only while an interrupt is enabled.
 */
#include <string.h>
#include <time.h>

#include "devices.h"
#include "platform.h"

#define NS_PER_SEC		1000000000LL

/* the registers that hold the time */
static const u8 rtc_time_regs[] = { 0, 2, 4, 6, 7, 8, 9, RTC_CENTURY };

static bool rtc_is_time_reg(u8 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rtc_time_regs); i++)
		if (rtc_time_regs[i] == index)
			return true;
	return false;
}

static s64 floor_div(s64 a, s64 b)
{
	s64 q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static s64 rtc_guest_ns(const struct rtc *rtc)
{
	return platform_realtime_ns() + rtc->offset_ns;
}

static bool rtc_binary(const struct rtc *rtc)
{
	return rtc->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static u8 rtc_enc(const struct rtc *rtc, unsigned int v)
{
	v %= 100;
	return rtc_binary(rtc) ? v : (v / 10) << 4 | v % 10;
}

static unsigned int rtc_dec(const struct rtc *rtc, u8 v)
{
	return rtc_binary(rtc) ? v : (v >> 4) * 10 + (v & 0xf);
}

static u8 rtc_enc_hour(const struct rtc *rtc, unsigned int h)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_enc(rtc, h);
	return rtc_enc(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static unsigned int rtc_dec_hour(const struct rtc *rtc, u8 v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_dec(rtc, v);
	return rtc_dec(rtc, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

/* The time registers for the UTC second @secs, in the current format. */
static void rtc_encode(const struct rtc *rtc, s64 secs, u8 *regs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	regs[0] = rtc_enc(rtc, tm.tm_sec);
	regs[2] = rtc_enc(rtc, tm.tm_min);
	regs[4] = rtc_enc_hour(rtc, tm.tm_hour);
	regs[6] = rtc_enc(rtc, tm.tm_wday + 1);
	regs[7] = rtc_enc(rtc, tm.tm_mday);
	regs[8] = rtc_enc(rtc, tm.tm_mon + 1);
	regs[9] = rtc_enc(rtc, tm.tm_year % 100);
	regs[RTC_CENTURY] = rtc_enc(rtc, (tm.tm_year + 1900) / 100);
}

/*
 * The clock runs from 1970 to 2160: nanoseconds of that range fit the
 * offset, whatever a guest writes.
 */
#define RTC_MAX_SECS		6000000000LL

/* Back from registers to a UTC second; nonsense values are normalised. */
static s64 rtc_decode(const struct rtc *rtc, const u8 *regs)
{
	struct tm tm;
	s64 secs;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = rtc_dec(rtc, regs[0]);
	tm.tm_min = rtc_dec(rtc, regs[2]);
	tm.tm_hour = rtc_dec_hour(rtc, regs[4]);
	tm.tm_mday = rtc_dec(rtc, regs[7]);
	tm.tm_mon = (int)rtc_dec(rtc, regs[8]) - 1;
	tm.tm_year = (int)(rtc_dec(rtc, regs[RTC_CENTURY]) * 100 +
			   rtc_dec(rtc, regs[9])) - 1900;
	secs = (s64)timegm(&tm);
	if (secs < 0)
		return 0;
	return secs > RTC_MAX_SECS ? RTC_MAX_SECS : secs;
}

static bool rtc_divider_reset(const struct rtc *rtc)
{
	return ((rtc->cmos[RTC_REG_A] >> 4) & 6) == 6;
}

static u32 rtc_periodic_hz(const struct rtc *rtc)
{
	unsigned int rate = rtc->cmos[RTC_REG_A] & 0xf;

	if (!rate || rtc_divider_reset(rtc))
		return 0;
	if (rate <= 2)
		return rate == 1 ? 256 : 128;
	return 32768 >> (rate - 1);
}

static u64 rtc_periodic_index(const struct rtc *rtc, u64 mono)
{
	u32 hz = rtc_periodic_hz(rtc);

	return hz ? (u64)((unsigned __int128)mono * hz / NS_PER_SEC) : 0;
}

static bool rtc_alarm_match(const struct rtc *rtc, s64 secs)
{
	s64 day = secs - floor_div(secs, 86400) * 86400;
	const u8 want[3] = {
		rtc_enc(rtc, day % 60),
		rtc_enc(rtc, day / 60 % 60),
		rtc_enc_hour(rtc, day / 3600),
	};
	static const u8 reg[3] = { 1, 3, 5 };
	int i;

	for (i = 0; i < 3; i++) {
		u8 a = rtc->cmos[reg[i]];

		if ((a & 0xc0) != 0xc0 && a != want[i])
			return false;		/* 11xxxxxx: don't care */
	}
	return true;
}

/* Set the C flags for what happened since the last look; IRQ 8 follows. */
static void rtc_update(struct rtc *rtc)
{
	u64 mono = platform_now_ns(), p;
	u8 *c = &rtc->cmos[RTC_REG_C];
	s64 now, s;
	bool level;

	if (!rtc->frozen) {
		now = floor_div(rtc_guest_ns(rtc), NS_PER_SEC);
		if (now > rtc->last_sec) {
			*c |= RTC_C_UF;
			s = now - rtc->last_sec > 86400 ? now - 86400 :
							  rtc->last_sec;
			for (s = s + 1; s <= now; s++) {
				if (rtc_alarm_match(rtc, s)) {
					*c |= RTC_C_AF;
					break;
				}
			}
		}
		rtc->last_sec = now;
	}
	p = rtc_periodic_index(rtc, mono);
	if (rtc_periodic_hz(rtc) && p > rtc->last_periodic)
		*c |= RTC_C_PF;
	rtc->last_periodic = p;

	if (*c & rtc->cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))
		*c |= RTC_C_IRQF;
	level = *c & RTC_C_IRQF;
	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		if (rtc->irqchip)
			irqchip_set_irq(rtc->irqchip, IRQ_RTC, level);
		if (level)
			rtc->irqs++;
	}
}

/* Start or stop the clock after a change of SET or the divider. */
static void rtc_set_frozen(struct rtc *rtc, bool frozen)
{
	s64 secs;

	if (frozen == rtc->frozen)
		return;
	if (frozen) {
		rtc_update(rtc);
		secs = floor_div(rtc_guest_ns(rtc), NS_PER_SEC);
		rtc_encode(rtc, secs, rtc->cmos);
	} else {
		/* the first update comes one second after the clock restarts */
		secs = rtc_decode(rtc, rtc->cmos);
		rtc->offset_ns = secs * NS_PER_SEC - platform_realtime_ns();
		rtc->last_sec = secs;
	}
	rtc->frozen = frozen;
}

static u8 rtc_read(struct rtc *rtc, u8 index)
{
	u8 regs[RTC_CMOS_SIZE];
	s64 ns;
	u8 v;

	if (rtc_is_time_reg(index) && !rtc->frozen) {
		rtc_encode(rtc, floor_div(rtc_guest_ns(rtc), NS_PER_SEC), regs);
		return regs[index];
	}
	switch (index) {
	case RTC_REG_A:
		v = rtc->cmos[RTC_REG_A] & 0x7f;
		if (!rtc->frozen) {
			ns = rtc_guest_ns(rtc);
			ns -= floor_div(ns, NS_PER_SEC) * NS_PER_SEC;
			if (ns >= NS_PER_SEC - (s64)RTC_UIP_NS)
				v |= RTC_A_UIP;
		}
		return v;
	case RTC_REG_C:
		rtc_update(rtc);
		v = rtc->cmos[RTC_REG_C];
		rtc->cmos[RTC_REG_C] = 0;
		if (rtc->irq_level) {
			rtc->irq_level = false;
			if (rtc->irqchip)
				irqchip_set_irq(rtc->irqchip, IRQ_RTC, false);
		}
		pthread_cond_signal(&rtc->wake);
		return v;
	case RTC_REG_D:
		return 0x80;		/* VRT: the battery is fine */
	default:
		return rtc->cmos[index];
	}
}

static void rtc_write_time(struct rtc *rtc, u8 index, u8 v)
{
	u8 regs[RTC_CMOS_SIZE];
	s64 ns, frac;

	if (rtc->frozen) {
		rtc->cmos[index] = v;
		return;
	}
	/* a running clock: move the offset, keep the phase in the second */
	rtc_update(rtc);
	ns = rtc_guest_ns(rtc);
	frac = ns - floor_div(ns, NS_PER_SEC) * NS_PER_SEC;
	rtc_encode(rtc, floor_div(ns, NS_PER_SEC), regs);
	if (index == 6)
		return;			/* the day of the week follows the date */
	regs[index] = v;
	rtc->last_sec = rtc_decode(rtc, regs);
	rtc->offset_ns = rtc->last_sec * NS_PER_SEC + frac -
			 platform_realtime_ns();
}

static void rtc_write(struct rtc *rtc, u8 index, u8 v)
{
	if (rtc_is_time_reg(index)) {
		rtc_write_time(rtc, index, v);
		return;
	}
	switch (index) {
	case RTC_REG_A:
		rtc_update(rtc);
		rtc->cmos[RTC_REG_A] = v & 0x7f;
		rtc->last_periodic = rtc_periodic_index(rtc, platform_now_ns());
		rtc_set_frozen(rtc, (rtc->cmos[RTC_REG_B] & RTC_B_SET) ||
				    rtc_divider_reset(rtc));
		break;
	case RTC_REG_B:
		rtc_update(rtc);
		if (v & RTC_B_SET)
			v &= ~RTC_B_UIE;	/* SET clears UIE */
		rtc->cmos[RTC_REG_B] = v;
		rtc_set_frozen(rtc, (v & RTC_B_SET) || rtc_divider_reset(rtc));
		rtc_update(rtc);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;			/* read-only */
	default:
		rtc->cmos[index] = v;
		break;
	}
	pthread_cond_signal(&rtc->wake);
}

void rtc_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write)
{
	struct rtc *rtc = opaque;
	u32 i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len; i++) {
		u64 p = port + i;

		if (p == RTC_BASE) {
			if (is_write)
				rtc->index = data[i] & 0x7f;
			else
				data[i] = 0xff;	/* the index is write-only */
		} else if (p == RTC_BASE + 1) {
			if (is_write)
				rtc_write(rtc, rtc->index, data[i]);
			else
				data[i] = rtc_read(rtc, rtc->index);
		} else if (!is_write) {
			data[i] = 0xff;
		}
	}
	pthread_mutex_unlock(&rtc->lock);
}

/* The next monotonic time an enabled interrupt can happen, 0: none. */
static u64 rtc_next_event(const struct rtc *rtc)
{
	u8 b = rtc->cmos[RTC_REG_B];
	u64 mono = platform_now_ns(), next = 0, p;
	u32 hz = rtc_periodic_hz(rtc);
	s64 ns;

	if (rtc->irq_level)
		return 0;	/* nothing new until the guest reads C */
	if ((b & RTC_B_PIE) && hz) {
		p = rtc_periodic_index(rtc, mono) + 1;
		next = (u64)(((unsigned __int128)p * NS_PER_SEC + hz - 1) / hz);
	}
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && !rtc->frozen) {
		ns = rtc_guest_ns(rtc);
		ns = NS_PER_SEC - (ns - floor_div(ns, NS_PER_SEC) * NS_PER_SEC);
		if (!next || mono + ns < next)
			next = mono + ns;
	}
	return next;
}

static void *rtc_thread(void *arg)
{
	struct rtc *rtc = arg;
	struct timespec ts;
	u64 next;

	pthread_mutex_lock(&rtc->lock);
	while (!rtc->stop) {
		rtc_update(rtc);
		next = rtc_next_event(rtc);
		if (!next) {
			pthread_cond_wait(&rtc->wake, &rtc->lock);
			continue;
		}
		ts.tv_sec = next / NS_PER_SEC;
		ts.tv_nsec = next % NS_PER_SEC;
		pthread_cond_timedwait(&rtc->wake, &rtc->lock, &ts);
	}
	pthread_mutex_unlock(&rtc->lock);
	return NULL;
}

void rtc_set_mem_size(struct rtc *rtc, u64 below_4g, u64 above_4g)
{
	u64 ext = below_4g > SZ_1M ? (below_4g - SZ_1M) >> 10 : 0;
	u64 high = below_4g > 16 * SZ_1M ? (below_4g - 16 * SZ_1M) >> 16 : 0;
	u64 top = above_4g >> 16;

	if (ext > 0xffff)
		ext = 0xffff;
	if (high > 0xffff)
		high = 0xffff;
	if (top > 0xffffff)
		top = 0xffffff;
	pthread_mutex_lock(&rtc->lock);
	rtc->cmos[0x15] = 640 & 0xff;		/* base memory, KiB */
	rtc->cmos[0x16] = 640 >> 8;
	rtc->cmos[0x17] = rtc->cmos[0x30] = ext & 0xff;	/* KiB above 1M */
	rtc->cmos[0x18] = rtc->cmos[0x31] = ext >> 8;
	rtc->cmos[0x34] = high & 0xff;		/* 64K above 16M */
	rtc->cmos[0x35] = high >> 8;
	rtc->cmos[0x5b] = top & 0xff;		/* 64K above 4G */
	rtc->cmos[0x5c] = (top >> 8) & 0xff;
	rtc->cmos[0x5d] = top >> 16;
	pthread_mutex_unlock(&rtc->lock);
}

void rtc_init(struct rtc *rtc, struct irqchip *irqchip)
{
	pthread_condattr_t attr;

	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rtc->wake, &attr);
	pthread_condattr_destroy(&attr);
	rtc->irqchip = irqchip;
	rtc->cmos[RTC_REG_A] = 0x26;	/* 32.768 kHz, 1024 Hz periodic rate */
	rtc->cmos[RTC_REG_B] = RTC_B_24H;
	rtc->cmos[RTC_REG_D] = 0x80;
	rtc->last_sec = floor_div(rtc_guest_ns(rtc), NS_PER_SEC);
	rtc->last_periodic = rtc_periodic_index(rtc, platform_now_ns());
}

int rtc_register(struct rtc *rtc, struct bus *io_bus)
{
	return bus_register(io_bus, RTC_BASE, 2, rtc_access, rtc, "rtc");
}

int rtc_start(struct rtc *rtc)
{
	if (rtc->thread_running)
		return 0;
	rtc->stop = false;
	if (platform_thread_create(&rtc->thread, rtc_thread, rtc))
		return -1;
	rtc->thread_running = true;
	return 0;
}

void rtc_stop(struct rtc *rtc)
{
	if (!rtc->thread_running)
		return;
	pthread_mutex_lock(&rtc->lock);
	rtc->stop = true;
	pthread_cond_signal(&rtc->wake);
	pthread_mutex_unlock(&rtc->lock);
	pthread_join(rtc->thread, NULL);
	rtc->thread_running = false;
}
