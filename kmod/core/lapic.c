// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC.
 *
 * Every vCPU has one, at APIC ID = vCPU id.  The guest reaches it through
 * the 4 KiB xAPIC page (EPT violations decoded by exit.c; the page is never
 * backed by RAM) or, once it sets IA32_APIC_BASE.EXTD, through the x2APIC
 * MSRs 0x800-0x8ff (msr.c).  Both end in reg_read()/reg_write() below.
 *
 * Interrupts reach a vCPU from any context (another vCPU's ICR write, an
 * MSI from user space, an irqfd wakeup, the hrtimer of the APIC timer):
 * accept_irq() sets the IRR bit atomically and kicks the vCPU, which moves
 * it to the ISR when it injects it (lv_lapic_ack()).  Everything but IRR
 * is touched by the vCPU's own thread only.
 *
 * The timer counts at the TSC frequency divided by TDCR: the frequency the
 * guest reads in CPUID leaf 0x15 (cpuid.c).  It is an hrtimer, so it keeps
 * running while the vCPU sleeps in HLT (CPUID.6:EAX.ARAT).
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>
/* smp_send_reschedule() traces the IPI on newer kernels */
#include <trace/events/ipi.h>

#include "lv.h"
#include "lapic.h"

#define REG(off)		((off) >> 4)

/* register offsets not in <asm/apicdef.h> under these names */
#define LV_APIC_TMCCT		0x390
#define LV_APIC_SELF_IPI	0x3f0
#define LV_ICR_SHORTHAND	0xc0000
#define LV_DEST_NOSHORT		0
#define LV_APIC_VERSION_VAL	(0x14 | (5 << 16))	/* 6 LVT entries */
#define LV_LVT_MASKED		BIT(16)
#define LV_LVT_TIMER_MODE(v)	(((v) >> 17) & 3)
#define LV_TIMER_ONESHOT	0
#define LV_TIMER_PERIODIC	1
#define LV_TIMER_TSC_DEADLINE	2
/* periodic timers faster than this would keep the host busy */
#define LV_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)

static const u32 lvt_masks[] = {
	[REG(APIC_LVTT) - REG(APIC_LVTT)]	= 0x707ff,	/* mode 18:17 */
	[REG(APIC_LVTTHMR) - REG(APIC_LVTT)]	= 0x107ff,
	[REG(APIC_LVTPC) - REG(APIC_LVTT)]	= 0x107ff,
	[REG(APIC_LVT0) - REG(APIC_LVTT)]	= 0x1a7ff,	/* trigger, polarity */
	[REG(APIC_LVT1) - REG(APIC_LVTT)]	= 0x1a7ff,
	[REG(APIC_LVTERR) - REG(APIC_LVTT)]	= 0x100ff,
};

static inline u32 get_reg(const struct lv_lapic *apic, u32 off)
{
	return READ_ONCE(apic->regs[REG(off)]);
}

static inline void set_reg(struct lv_lapic *apic, u32 off, u32 val)
{
	WRITE_ONCE(apic->regs[REG(off)], val);
}

/*
 * The 256-bit registers (IRR, ISR, TMR) as bitmaps for the atomic bit
 * operations.  x86 does those with a variable bit number as locked 64-bit
 * accesses at the unsigned long that holds the bit: the bitmap must start
 * 8-byte aligned (checked below), else the access to a word at 60 bytes
 * into a cache line crosses the line -- a split lock, a bus lock that
 * stalls every CPU and that kills the host kernel where split-lock
 * detection is on.  x86 is little-endian: vector v is bit v % 32 of
 * regs[REG(base) + v / 32], as the guest reads it.
 */
static inline unsigned long *vec_bitmap(struct lv_lapic *apic, u32 base)
{
	return (unsigned long *)&apic->regs[REG(base)];
}

static_assert(offsetof(struct lv_lapic, regs) % sizeof(unsigned long) == 0);
static_assert(REG(APIC_ISR) % 2 == 0 && REG(APIC_TMR) % 2 == 0 &&
	      REG(APIC_IRR) % 2 == 0);

static int highest_vector(struct lv_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = READ_ONCE(apic->regs[REG(base) + i]);

		if (w)
			return i * 32 + __fls(w);
	}
	return -1;
}

bool lv_lapic_enabled(const struct lv_lapic *apic)
{
	return (apic->vcpu->apic_base & MSR_IA32_APICBASE_ENABLE) &&
	       (get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED);
}

bool lv_lapic_x2apic(const struct lv_lapic *apic)
{
	return apic->vcpu->apic_base & X2APIC_ENABLE;
}

static u32 apic_id(const struct lv_lapic *apic)
{
	return apic->vcpu->id;
}

/* ---- priorities ------------------------------------------------------ */

static u32 ppr(struct lv_lapic *apic)
{
	u32 tpr = get_reg(apic, APIC_TASKPRI) & 0xff;
	int isr = highest_vector(apic, APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
}

/**
 * lv_lapic_pending_vector() - the interrupt the APIC would present now
 * @apic: the APIC
 *
 * Return: the highest IRR vector whose priority class beats the PPR, or -1.
 */
int lv_lapic_pending_vector(struct lv_lapic *apic)
{
	int vec;

	if (!READ_ONCE(apic->irr_pending))
		return -1;
	vec = highest_vector(apic, APIC_IRR);
	if (vec < 0) {
		WRITE_ONCE(apic->irr_pending, false);
		/* an IRR bit set after the scan above re-arms the hint */
		smp_mb();
		vec = highest_vector(apic, APIC_IRR);
		if (vec < 0)
			return -1;
		WRITE_ONCE(apic->irr_pending, true);
	}
	if ((vec & 0xf0) <= (ppr(apic) & 0xf0))
		return -1;
	return vec;
}

/**
 * lv_lapic_ack() - the guest takes @vector: IRR to ISR
 * @apic: the APIC
 * @vector: what lv_lapic_pending_vector() returned
 */
void lv_lapic_ack(struct lv_lapic *apic, int vector)
{
	clear_bit(vector, vec_bitmap(apic, APIC_IRR));
	set_bit(vector, vec_bitmap(apic, APIC_ISR));
}

/**
 * lv_lapic_accepts_extint() - may the PIC's INTR reach this vCPU?
 * @apic: the APIC
 *
 * Return: true with the APIC disabled in IA32_APIC_BASE (INTR goes
 * straight to the CPU) or LINT0 unmasked in ExtINT mode (virtual wire).
 */
bool lv_lapic_accepts_extint(const struct lv_lapic *apic)
{
	u32 lvt0 = get_reg(apic, APIC_LVT0);

	if (!(apic->vcpu->apic_base & MSR_IA32_APICBASE_ENABLE))
		return true;
	return !(lvt0 & LV_LVT_MASKED) && ((lvt0 >> 8) & 7) == LV_DM_EXTINT;
}

static void eoi(struct lv_lapic *apic)
{
	int vec = highest_vector(apic, APIC_ISR);

	if (vec < 0)
		return;
	clear_bit(vec, vec_bitmap(apic, APIC_ISR));
	/*
	 * A level-triggered vector would now be broadcast to the IOAPIC; the
	 * IOAPIC is lvctl's and every source lvctl has is edge-triggered or
	 * an MSI (docs/architecture.md), so there is no one to tell.
	 */
	clear_bit(vec, vec_bitmap(apic, APIC_TMR));
}

/* ---- accepting interrupts (any context) ------------------------------- */

/**
 * lv_vcpu_kick() - make a vCPU look at its pending events
 * @vcpu: the vCPU
 *
 * Wakes it if it sleeps in HLT or waits for SIPI; forces a VM exit if it
 * is in the guest on another CPU.  The event must be published first.
 */
void lv_vcpu_kick(struct lv_vcpu *vcpu)
{
	int cpu, me;

	wake_up_interruptible(&vcpu->wq);
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == LV_MODE_IN_GUEST && cpu >= 0 && cpu != me)
		smp_send_reschedule(cpu);
	put_cpu();
}

/* true if the APIC took the interrupt */
static bool accept_irq(struct lv_lapic *apic, int mode, int vector, bool level)
{
	struct lv_vcpu *vcpu = apic->vcpu;

	switch (mode) {
	case LV_DM_FIXED:
	case LV_DM_LOWEST:
		/* a disabled APIC drops fixed interrupts; 0-15 are illegal */
		if (!lv_lapic_enabled(apic) || vector < 16)
			return false;
		if (level)
			set_bit(vector, vec_bitmap(apic, APIC_TMR));
		else
			clear_bit(vector, vec_bitmap(apic, APIC_TMR));
		set_bit(vector, vec_bitmap(apic, APIC_IRR));
		WRITE_ONCE(apic->irr_pending, true);
		break;
	case LV_DM_NMI:
		set_bit(LV_EV_NMI, &vcpu->events);
		break;
	case LV_DM_INIT:
		set_bit(LV_EV_INIT, &vcpu->events);
		break;
	case LV_DM_SIPI:
		WRITE_ONCE(vcpu->sipi_vector, vector);
		set_bit(LV_EV_SIPI, &vcpu->events);
		break;
	default:
		return false;	/* SMI and ExtINT: not delivered this way */
	}
	/* the IRR/event bit before vcpu->mode: pairs with vcpu_enter() */
	smp_mb__after_atomic();
	lv_vcpu_kick(vcpu);
	return true;
}

/* does @apic answer destination @dest in mode @logical? */
static bool match_dest(struct lv_lapic *apic, u32 dest, bool logical,
		       bool x2apic_msg)
{
	u32 ldr, dfr;

	if (lv_lapic_x2apic(apic)) {
		/*
		 * All ones is the broadcast in both destination modes (SDM
		 * 10.12.9); so is 0xff in an xAPIC-format message (an MSI).
		 */
		if (dest == 0xffffffff || (!x2apic_msg && dest == 0xff))
			return true;
		if (!logical)
			return dest == apic_id(apic);
		ldr = get_reg(apic, APIC_LDR);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (!logical)
		return dest == 0xff || dest == apic_id(apic);
	ldr = get_reg(apic, APIC_LDR) >> 24;
	dfr = get_reg(apic, APIC_DFR) >> 28;
	if (dest == 0xff)
		return true;
	if (dfr == 0xf)					/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);	/* cluster */
}

/*
 * Deliver to every vCPU of @vm the destination selects; lowest priority
 * goes to the first match that takes it.  Returns how many vCPUs took it.
 */
static int deliver(struct lv_vm *vm, struct lv_lapic *src, u32 shorthand,
		   u32 dest, bool logical, bool x2apic_msg, int mode,
		   int vector, bool level)
{
	int i, n = 0;

	rcu_read_lock();
	for (i = 0; i < LV_MAX_VCPUS; i++) {
		struct lv_vcpu *vcpu = rcu_dereference(vm->vcpus[i]);
		struct lv_lapic *apic;
		bool hit;

		if (!vcpu)
			continue;
		apic = &vcpu->lapic;
		switch (shorthand) {
		case APIC_DEST_SELF:
			hit = apic == src;
			break;
		case APIC_DEST_ALLINC:
			hit = true;
			break;
		case APIC_DEST_ALLBUT:
			hit = apic != src;
			break;
		default:
			hit = match_dest(apic, dest, logical, x2apic_msg);
		}
		if (!hit || !accept_irq(apic, mode, vector, level))
			continue;
		n++;
		if (mode == LV_DM_LOWEST)
			break;
	}
	rcu_read_unlock();
	return n;
}

/**
 * lv_validate_msi() - is this an MSI labvisor can deliver?
 * @address: the message address
 * @data: the message data
 *
 * Return: 0, or -EINVAL (not 0xfeexxxxx, or a delivery mode other than
 * fixed, lowest priority or NMI, or a fixed vector below 16).
 */
int lv_validate_msi(u64 address, u32 data)
{
	u32 mode = (data >> 8) & 7;

	if ((address >> 20) != 0xfee || (data >> 16))
		return -EINVAL;
	if (mode != LV_DM_FIXED && mode != LV_DM_LOWEST && mode != LV_DM_NMI)
		return -EINVAL;
	if (mode != LV_DM_NMI && (data & 0xff) < 16)
		return -EINVAL;
	return 0;
}

/**
 * lv_lapic_deliver_msi() - deliver a message-signalled interrupt
 * @vm: the VM
 * @address: message address (checked by lv_validate_msi())
 * @data: message data
 *
 * Callable from any context, hard interrupts included.
 *
 * Return: the number of vCPUs that took it.
 */
int lv_lapic_deliver_msi(struct lv_vm *vm, u64 address, u32 data)
{
	u32 dest = (address >> 12) & 0xff;
	bool logical = address & BIT(2);

	return deliver(vm, NULL, LV_DEST_NOSHORT, dest, logical, false,
		       (data >> 8) & 7, data & 0xff, data & BIT(15));
}

static void send_ipi(struct lv_lapic *apic, u32 icr_lo, u32 dest)
{
	int mode = (icr_lo >> 8) & 7;

	/* INIT level de-assert: a no-op since the Pentium 4 */
	if (mode == LV_DM_INIT && (icr_lo & APIC_INT_LEVELTRIG) &&
	    !(icr_lo & APIC_INT_ASSERT))
		return;
	deliver(apic->vcpu->vm, apic, icr_lo & LV_ICR_SHORTHAND, dest,
		icr_lo & APIC_DEST_LOGICAL, lv_lapic_x2apic(apic), mode,
		icr_lo & 0xff, false);
}

/* ---- the timer --------------------------------------------------------- */

static u32 lvtt_mode(struct lv_lapic *apic)
{
	return LV_LVT_TIMER_MODE(get_reg(apic, APIC_LVTT));
}

static enum hrtimer_restart timer_fired(struct hrtimer *t)
{
	struct lv_lapic *apic = container_of(t, struct lv_lapic, timer);
	u32 lvtt = get_reg(apic, APIC_LVTT);

	if (!(lvtt & LV_LVT_MASKED))
		accept_irq(apic, LV_DM_FIXED, lvtt & 0xff, false);
	if (LV_LVT_TIMER_MODE(lvtt) == LV_TIMER_TSC_DEADLINE)
		WRITE_ONCE(apic->tsc_deadline, 0);
	if (LV_LVT_TIMER_MODE(lvtt) == LV_TIMER_PERIODIC && apic->period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(apic->period_ns));
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

/*
 * The timer's frequency in kHz: the TSC's.  tsc_khz is 0 on a host that
 * could not calibrate its TSC (no PIT, HPET or PM timer to measure it
 * against, as in some nested setups); the timer then counts at 1 GHz
 * rather than divide by zero (CPUID 0x15 reports no frequency then, so
 * the guest measures it).
 */
static u32 timer_khz(void)
{
	return READ_ONCE(tsc_khz) ?: 1000000;
}

/* TSC (and APIC timer) ticks to ns; capped at a year, far from overflow */
static u64 ticks_to_ns(u64 ticks)
{
	u32 khz = timer_khz();
	u64 year = (u64)khz * MSEC_PER_SEC * 3600 * 24 * 365;

	return mul_u64_u32_div(min(ticks, year), NSEC_PER_MSEC, khz);
}

static void timer_stop(struct lv_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
	apic->period_ns = 0;
}

/* TMICT written: start counting down from @count */
static void timer_start_count(struct lv_lapic *apic, u32 count)
{
	u64 ns;

	timer_stop(apic);
	if (!count || lvtt_mode(apic) == LV_TIMER_TSC_DEADLINE)
		return;
	ns = ticks_to_ns((u64)count * apic->divide);
	if (lvtt_mode(apic) == LV_TIMER_PERIODIC)
		ns = max_t(u64, ns, LV_MIN_PERIOD_NS);
	apic->period_ns = ns;
	hrtimer_start(&apic->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

static u32 timer_current_count(struct lv_lapic *apic)
{
	ktime_t left;
	u64 ticks;

	if (!apic->period_ns || !hrtimer_active(&apic->timer))
		return 0;
	left = hrtimer_get_remaining(&apic->timer);
	if (left <= 0)
		return 0;
	ticks = mul_u64_u32_div(left, timer_khz(), NSEC_PER_MSEC);
	return min_t(u64, ticks / apic->divide, U32_MAX);
}

/**
 * lv_lapic_set_deadline() - IA32_TSC_DEADLINE written
 * @apic: the APIC
 * @deadline: the guest TSC value to fire at; 0 disarms
 * @guest_tsc: the guest's TSC now
 *
 * Ignored unless the LVT timer is in TSC-deadline mode, as on hardware.
 */
void lv_lapic_set_deadline(struct lv_lapic *apic, u64 deadline, u64 guest_tsc)
{
	u64 ns = 0;

	if (lvtt_mode(apic) != LV_TIMER_TSC_DEADLINE)
		return;
	hrtimer_cancel(&apic->timer);
	WRITE_ONCE(apic->tsc_deadline, deadline);
	if (!deadline)
		return;
	if (deadline <= guest_tsc) {
		/* already due: it fires now, before the guest goes on */
		timer_fired(&apic->timer);
		return;
	}
	ns = ticks_to_ns(deadline - guest_tsc);
	hrtimer_start(&apic->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

/**
 * lv_lapic_get_deadline() - IA32_TSC_DEADLINE read
 * @apic: the APIC
 *
 * Return: the armed deadline, 0 when none or not in TSC-deadline mode.
 */
u64 lv_lapic_get_deadline(struct lv_lapic *apic)
{
	if (lvtt_mode(apic) != LV_TIMER_TSC_DEADLINE)
		return 0;
	return READ_ONCE(apic->tsc_deadline);
}

/* ---- the register file ------------------------------------------------- */

static bool x2apic_readable(u32 off)
{
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_SPIV: case APIC_ESR: case APIC_ICR:
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0:
	case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT: case LV_APIC_TMCCT:
	case APIC_TDCR: case APIC_LVTCMCI:
		return true;
	}
	return (off >= APIC_ISR && off < APIC_ESR);	/* ISR, TMR, IRR */
}

/* 0 with *val, or -EINVAL for a register that does not exist (x2APIC) */
static int reg_read(struct lv_lapic *apic, u32 off, u32 *val)
{
	bool x2 = lv_lapic_x2apic(apic);

	if (off >= 0x400 || (x2 && !x2apic_readable(off)))
		return -EINVAL;
	switch (off) {
	case APIC_ID:
		*val = x2 ? apic_id(apic) : apic_id(apic) << 24;
		break;
	case APIC_PROCPRI:
		*val = ppr(apic);
		break;
	case LV_APIC_TMCCT:
		*val = lvtt_mode(apic) == LV_TIMER_TSC_DEADLINE ? 0 :
		       timer_current_count(apic);
		break;
	default:
		/* what was never written (or cannot be) reads as 0 */
		*val = get_reg(apic, off);
	}
	return 0;
}

static void write_lvt(struct lv_lapic *apic, u32 off, u32 val)
{
	u32 mask = lvt_masks[REG(off) - REG(APIC_LVTT)];

	if (!(get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
		val |= LV_LVT_MASKED;
	if (off == APIC_LVTT) {
		u32 old = lvtt_mode(apic);

		if (LV_LVT_TIMER_MODE(val) == 3)
			val &= ~(3 << 17);	/* reserved mode: one-shot */
		set_reg(apic, off, val & mask);
		if (LV_LVT_TIMER_MODE(val) != old) {
			timer_stop(apic);
			WRITE_ONCE(apic->tsc_deadline, 0);
		}
		return;
	}
	set_reg(apic, off, val & mask);
}

static void write_spiv(struct lv_lapic *apic, u32 val)
{
	u32 off;

	set_reg(apic, APIC_SPIV, val & 0x3ff);
	if (val & APIC_SPIV_APIC_ENABLED)
		return;
	/* software disable masks every LVT entry */
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		set_reg(apic, off, get_reg(apic, off) | LV_LVT_MASKED);
	set_reg(apic, APIC_LVTCMCI, get_reg(apic, APIC_LVTCMCI) | LV_LVT_MASKED);
}

/* 0, or -EINVAL for a register that cannot be written (x2APIC: #GP) */
static int reg_write(struct lv_lapic *apic, u32 off, u32 val, u32 icr_hi)
{
	bool x2 = lv_lapic_x2apic(apic);
	u32 div;

	switch (off) {
	case APIC_ID:
	case APIC_LVR:
	case APIC_PROCPRI:
	case APIC_ARBPRI:
	case APIC_RRR:
	case LV_APIC_TMCCT:
		return x2 ? -EINVAL : 0;	/* read-only */
	case APIC_TASKPRI:
		set_reg(apic, off, val & 0xff);
		return 0;
	case APIC_EOI:
		if (x2 && val)
			return -EINVAL;
		eoi(apic);
		return 0;
	case APIC_LDR:
		if (x2)
			return -EINVAL;
		set_reg(apic, off, val & 0xff000000);
		return 0;
	case APIC_DFR:
		if (x2)
			return -EINVAL;
		set_reg(apic, off, val | 0x0fffffff);
		return 0;
	case APIC_SPIV:
		write_spiv(apic, val);
		return 0;
	case APIC_ESR:
		if (x2 && val)
			return -EINVAL;
		set_reg(apic, off, 0);
		return 0;
	case APIC_ICR:
		set_reg(apic, off, val & ~APIC_ICR_BUSY);
		send_ipi(apic, val, x2 ? icr_hi : get_reg(apic, APIC_ICR2) >> 24);
		return 0;
	case APIC_ICR2:
		if (x2)
			return -EINVAL;
		set_reg(apic, off, val & 0xff000000);
		return 0;
	case APIC_LVTT:
	case APIC_LVTTHMR:
	case APIC_LVTPC:
	case APIC_LVT0:
	case APIC_LVT1:
	case APIC_LVTERR:
		write_lvt(apic, off, val);
		return 0;
	case APIC_LVTCMCI:
		set_reg(apic, off, val & 0x107ff);
		return 0;
	case APIC_TMICT:
		set_reg(apic, off, val);
		timer_start_count(apic, val);
		return 0;
	case APIC_TDCR:
		set_reg(apic, off, val & 0xb);
		div = ((val & 3) | ((val & 8) >> 1));
		apic->divide = div == 7 ? 1 : 2 << div;
		return 0;
	case LV_APIC_SELF_IPI:
		if (!x2)
			return 0;
		accept_irq(apic, LV_DM_FIXED, val & 0xff, false);
		return 0;
	}
	return x2 ? -EINVAL : 0;	/* xAPIC: writes to nothing are ignored */
}

/**
 * lv_lapic_mmio() - an access to the xAPIC page
 * @apic: the APIC
 * @offset: offset in the 4 KiB page
 * @data: the bytes read or written
 * @len: access size
 * @write: direction
 *
 * Registers are 32 bits at 16-byte boundaries; narrower accesses read the
 * register's low bytes and are ignored when written, as on hardware.
 *
 * Return: 0.
 */
int lv_lapic_mmio(struct lv_lapic *apic, u32 offset, void *data,
		  unsigned int len, bool write)
{
	u32 off = offset & 0xff0, val = 0;

	if (write) {
		if (len == 4 && !(offset & 0xf) && offset < 0x400) {
			memcpy(&val, data, 4);
			reg_write(apic, off, val, 0);
		}
		return 0;
	}
	if (offset < 0x400 && (offset & 0xf) + len <= 4 &&
	    !reg_read(apic, off, &val))
		val >>= 8 * (offset & 3);
	else
		val = 0;
	memcpy(data, &val, min(len, 4U));
	if (len > 4)
		memset(data + 4, 0, len - 4);
	return 0;
}

/**
 * lv_lapic_msr_read() - RDMSR of an x2APIC register (0x800 - 0x8ff)
 * @apic: the APIC
 * @msr: the MSR
 * @val: the result
 *
 * Return: 0, or -EINVAL for #GP (not in x2APIC mode, or no such register).
 */
int lv_lapic_msr_read(struct lv_lapic *apic, u32 msr, u64 *val)
{
	u32 off = (msr - APIC_BASE_MSR) << 4, v;

	if (!lv_lapic_x2apic(apic) || reg_read(apic, off, &v))
		return -EINVAL;
	*val = v;
	if (off == APIC_ICR)
		*val |= (u64)get_reg(apic, APIC_ICR2) << 32;
	return 0;
}

/**
 * lv_lapic_msr_write() - WRMSR of an x2APIC register (0x800 - 0x8ff)
 * @apic: the APIC
 * @msr: the MSR
 * @val: the value
 *
 * Return: 0, or -EINVAL for #GP.
 */
int lv_lapic_msr_write(struct lv_lapic *apic, u32 msr, u64 val)
{
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (!lv_lapic_x2apic(apic))
		return -EINVAL;
	if (off == APIC_ICR) {
		if (val & 0xfff32000ULL)	/* reserved ICR bits */
			return -EINVAL;
		set_reg(apic, APIC_ICR2, val >> 32);
	} else if (val >> 32) {
		return -EINVAL;
	}
	return reg_write(apic, off, (u32)val, val >> 32);
}

/**
 * lv_lapic_set_tpr() - MOV to CR8
 * @apic: the APIC
 * @tpr: CR8 (bits 3:0 are TPR bits 7:4)
 */
void lv_lapic_set_tpr(struct lv_lapic *apic, u32 tpr)
{
	set_reg(apic, APIC_TASKPRI, (tpr & 0xf) << 4);
}

/**
 * lv_lapic_get_tpr() - MOV from CR8
 * @apic: the APIC
 *
 * Return: TPR bits 7:4.
 */
u32 lv_lapic_get_tpr(struct lv_lapic *apic)
{
	return (get_reg(apic, APIC_TASKPRI) >> 4) & 0xf;
}

static void set_x2apic_ldr(struct lv_lapic *apic)
{
	u32 id = apic_id(apic);

	set_reg(apic, APIC_LDR, ((id >> 4) << 16) | (1 << (id & 0xf)));
}

/**
 * lv_lapic_set_base() - IA32_APIC_BASE written by the guest
 * @apic: the APIC
 * @val: the new value
 *
 * Allowed moves: enable/disable (disabling resets the APIC), xAPIC to
 * x2APIC; x2APIC straight back to xAPIC and disabled straight to x2APIC
 * are invalid (SDM 10.12.5).  The BSP flag is read-only.
 *
 * Return: 0, or -EINVAL for #GP.
 */
int lv_lapic_set_base(struct lv_lapic *apic, u64 val)
{
	struct lv_vcpu *vcpu = apic->vcpu;
	u64 old = vcpu->apic_base;
	u64 reserved = 0xffULL | BIT_ULL(9) |
		       ~((1ULL << boot_cpu_data.x86_phys_bits) - 1);
	bool en = val & MSR_IA32_APICBASE_ENABLE, x2 = val & X2APIC_ENABLE;

	if ((val & reserved) || (x2 && !en))
		return -EINVAL;
	if ((old & X2APIC_ENABLE) && en && !x2)
		return -EINVAL;
	/* x2APIC mode is entered from xAPIC mode only */
	if (x2 && !(old & MSR_IA32_APICBASE_ENABLE))
		return -EINVAL;
	val = (val & ~MSR_IA32_APICBASE_BSP) | (old & MSR_IA32_APICBASE_BSP);
	vcpu->apic_base = val;
	if (!en && (old & MSR_IA32_APICBASE_ENABLE)) {
		lv_lapic_reset(apic);
		vcpu->apic_base = val;
	}
	if (x2 && !(old & X2APIC_ENABLE))
		set_x2apic_ldr(apic);
	return 0;
}

/**
 * lv_lapic_restore_base() - IA32_APIC_BASE from LV_SET_SREGS
 * @apic: the APIC
 * @val: the value (validated); any valid mode may be restored
 */
void lv_lapic_restore_base(struct lv_lapic *apic, u64 val)
{
	apic->vcpu->apic_base = val;
	if (val & X2APIC_ENABLE)
		set_x2apic_ldr(apic);
}

/**
 * lv_lapic_reset() - the APIC after RESET or INIT (SDM 10.4.7.1)
 * @apic: the APIC; its vCPU does not run
 */
void lv_lapic_reset(struct lv_lapic *apic)
{
	u32 off;

	timer_stop(apic);
	apic->tsc_deadline = 0;
	for (off = 0; off < 0x400; off += 0x10)
		set_reg(apic, off, 0);
	set_reg(apic, APIC_LVR, LV_APIC_VERSION_VAL);
	set_reg(apic, APIC_DFR, 0xffffffff);
	set_reg(apic, APIC_SPIV, 0xff);
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		set_reg(apic, off, LV_LVT_MASKED);
	set_reg(apic, APIC_LVTCMCI, LV_LVT_MASKED);
	apic->divide = 2;
	WRITE_ONCE(apic->irr_pending, false);
	if (lv_lapic_x2apic(apic))
		set_x2apic_ldr(apic);
}

/**
 * lv_lapic_init() - set up a new vCPU's APIC
 * @apic: the APIC
 * @vcpu: its vCPU (apic_base already set)
 */
void lv_lapic_init(struct lv_lapic *apic, struct lv_vcpu *vcpu)
{
	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	apic->timer.function = timer_fired;
	lv_lapic_reset(apic);
}

/**
 * lv_lapic_destroy() - stop the APIC's timer for good
 * @apic: the APIC; no one can deliver to it any more
 */
void lv_lapic_destroy(struct lv_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
}
