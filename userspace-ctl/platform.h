/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC platform devices lvctl emulates for a stock Linux guest: the
 * interrupt controllers (IOAPIC and a pair of 8259 PICs), the 8254 PIT, the
 * MC146818 RTC/CMOS, enough of an i8042 for probing and reset, and the
 * ACPI fixed-hardware registers (PM1a event/control, PM timer, 0xcf9).
 * The local APICs are in the kernel (docs/architecture.md, "Platform
 * devices in lvctl").
 *
 * Lock order: a device's own lock, then the irqchip lock.  The irqchip
 * never calls into a device; it calls vm->ops->signal_msi() under its
 * lock and chip->intr_changed() after dropping it.
 */
#ifndef LVCTL_PLATFORM_H
#define LVCTL_PLATFORM_H

#include "lvctl.h"

typedef int64_t s64;

/* ---- interrupt controllers ---- */
#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_SIZE		0x1000
#define IOAPIC_NR_PINS		24
#define IOAPIC_VERSION		0x20
#define IOAPIC_REG_SEL		0x00
#define IOAPIC_REG_WIN		0x10
#define IOAPIC_REG_EOI		0x40

/* redirection entry bits */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DELMODE	(7ULL << 8)
#define IOAPIC_RTE_DESTMODE	(1ULL << 11)
#define IOAPIC_RTE_DELIVS	(1ULL << 12)
#define IOAPIC_RTE_POLARITY	(1ULL << 13)	/* 1: active low */
#define IOAPIC_RTE_REMOTE_IRR	(1ULL << 14)
#define IOAPIC_RTE_LEVEL	(1ULL << 15)
#define IOAPIC_RTE_MASKED	(1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT	56

#define MSI_ADDR_BASE		0xfee00000ULL

#define PIC_MASTER_BASE		0x20
#define PIC_SLAVE_BASE		0xa0
#define PIC_ELCR_BASE		0x4d0
#define PIC_CASCADE_IRQ		2

#define IRQCHIP_NR_ISA		16
#define IRQ_PIT			0
#define IRQ_KBD			1
#define IRQ_COM1		4
#define IRQ_RTC			8
#define IRQ_SCI			9

struct ioapic {
	u32 id;
	u32 regsel;
	u64 rte[IOAPIC_NR_PINS];
	u32 line;		/* electrical level of each input pin */
	u32 asserted;		/* line after polarity: what edges are seen on */
};

struct pic {
	u8 irr, isr, imr;
	u8 elcr, elcr_mask;	/* level-triggered pins; which may be */
	u8 line;		/* input levels */
	u8 vector_base;		/* ICW2 */
	u8 icw3;
	u8 init_step;		/* 0: ready, else the ICW expected next (2-4) */
	u8 lowest;		/* rotation: pin with the lowest priority */
	bool icw4_expected, single, ltim;
	bool auto_eoi, rotate_on_aeoi, sfnm, special_mask;
	bool poll, read_isr;
};

struct irqchip {
	pthread_mutex_t lock;
	struct vm *vm;
	struct pic pic[2];	/* master, slave */
	struct ioapic ioapic;
	bool intr;		/* INTR output of the master */
	/*
	 * Set by the integrator: called (without the irqchip lock, possibly
	 * with a device lock held: it must not call into devices) each time
	 * the master's INTR output rises, from whatever thread raised the
	 * line.  Typically kicks vCPU 0 so that it asks for an interrupt
	 * window and then calls irqchip_pic_ack() and ops->interrupt().
	 */
	void (*intr_changed)(void *opaque);
	void *intr_opaque;
	/* counters */
	u64 msi_sent;
	u64 msi_lost;		/* no signal_msi op, or it failed */
	u64 pic_spurious;
	u64 pic_lost;		/* INTR the accelerator could not inject */
	u64 bad_irq;		/* irqchip_set_irq() of a line that is not wired */
};

void irqchip_init(struct irqchip *chip, struct vm *vm, u32 ioapic_id);
int irqchip_register(struct irqchip *chip, struct vm *vm);
/*
 * Set the level of ISA IRQ @isa_or_gsi (< 16: PIC pin n and IOAPIC pin n,
 * but IRQ 0 goes to IOAPIC pin 2; IRQ 2 is the cascade and is refused) or
 * of IOAPIC pin 16..23.  0, or -1 for a line that is not wired.
 */
int irqchip_set_irq(struct irqchip *chip, unsigned int isa_or_gsi,
		    bool level);
/* an edge for edge-triggered users: raise then lower */
int irqchip_pulse(struct irqchip *chip, unsigned int isa_or_gsi);
/* the local APIC's EOI of a level-triggered @vector (broadcast to IOAPIC) */
void irqchip_eoi(struct irqchip *chip, u8 vector);
/* INTR output of the master PIC */
bool irqchip_pic_output(struct irqchip *chip);
/* the INTA cycle: the vector to inject (IRR to ISR); spurious 7/15 if none */
int irqchip_pic_ack(struct irqchip *chip);
/*
 * The vCPU loop's part (vCPU 0, its thread, between runs): inject the
 * PIC's vector with ops->interrupt when @irq_ready (the last exit's
 * irq_ready), else ask for VM_EXIT_IRQ_WINDOW.  1 injected, 0 nothing or
 * waiting for the window, -1 the accelerator cannot inject.
 */
int irqchip_pic_service(struct irqchip *chip, struct vcpu *vcpu,
			bool irq_ready);
void irqchip_pic_access(void *opaque, u64 port, u8 *data, u32 len,
			bool is_write);
void irqchip_elcr_access(void *opaque, u64 port, u8 *data, u32 len,
			 bool is_write);
void irqchip_ioapic_access(void *opaque, u64 gpa, u8 *data, u32 len,
			   bool is_write);

/* ---- 8254 PIT ---- */
#define PIT_BASE		0x40
#define PIT_PORT61		0x61
#define PIT_HZ			1193182ULL

struct pit_channel {
	u8 mode, rw, bcd;	/* control word */
	u32 count;		/* reload value: 1..0x10000 (0x2710 BCD) */
	bool loaded;		/* a count was written (null count clear) */
	bool armed;		/* counting: loaded and, for 1/5, triggered */
	bool gate;
	u64 start_ns;		/* CLOCK_MONOTONIC when the count started */
	u64 held_ticks;		/* ticks counted before a gate-low pause */
	bool paused;
	bool write_msb;		/* the next write is the MSB (rw 3) */
	bool read_msb;		/* the next read is the MSB (rw 3) */
	u8 write_lsb;
	bool count_latched, status_latched, latch_msb_next;
	u16 latch;
	u8 status;
	u64 irqs_fired;		/* channel 0: OUT rising edges seen */
};

struct pit {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct irqchip *irqchip;	/* NULL: no interrupts */
	struct pit_channel ch[3];
	u8 port61;		/* bits 0-3 as written */
	u64 generation;		/* bumped when channel 0 is reprogrammed */
	u64 irqs;		/* IRQ 0 edges delivered */
	u64 missed;		/* periods coalesced into a later one */
	bool thread_running, stop;
	pthread_t thread;
};

void pit_init(struct pit *pit, struct irqchip *irqchip);
int pit_register(struct pit *pit, struct bus *io_bus);
/* the IRQ 0 thread; pit_stop() ends it */
int pit_start(struct pit *pit);
void pit_stop(struct pit *pit);
void pit_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write);
void pit_port61_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write);

/* ---- MC146818 RTC and CMOS ---- */
#define RTC_BASE		0x70
#define RTC_CMOS_SIZE		128
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32	/* the FADT's CENTURY field */
#define RTC_A_UIP		0x80
#define RTC_B_SET		0x80
#define RTC_B_PIE		0x40
#define RTC_B_AIE		0x20
#define RTC_B_UIE		0x10
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_C_IRQF		0x80
#define RTC_C_PF		0x40
#define RTC_C_AF		0x20
#define RTC_C_UF		0x10
#define RTC_UIP_NS		244000ULL

struct rtc {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct irqchip *irqchip;
	u8 index;
	u8 cmos[RTC_CMOS_SIZE];	/* time registers hold values only when frozen */
	bool frozen;		/* SET or divider reset: the time does not move */
	s64 offset_ns;		/* guest time = CLOCK_REALTIME + offset */
	s64 last_sec;		/* last guest second the flags were updated for */
	u64 last_periodic;	/* periodic ticks counted until then */
	bool irq_level;
	bool stop, thread_running;
	pthread_t thread;
	u64 irqs;
};

void rtc_init(struct rtc *rtc, struct irqchip *irqchip);
int rtc_register(struct rtc *rtc, struct bus *io_bus);
/* CMOS memory size bytes: RAM below 4 GiB and above it, in bytes */
void rtc_set_mem_size(struct rtc *rtc, u64 below_4g, u64 above_4g);
int rtc_start(struct rtc *rtc);
void rtc_stop(struct rtc *rtc);
void rtc_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write);

/* ---- i8042 keyboard controller ---- */
#define I8042_DATA		0x60
#define I8042_CMD		0x64
#define I8042_QUEUE		16

struct i8042 {
	pthread_mutex_t lock;
	struct vm *vm;
	struct irqchip *irqchip;
	u8 ram[32];		/* ram[0] is the command byte */
	u8 status;
	u8 outport;
	u8 pending_cmd;		/* controller command waiting for its data byte */
	u8 kbd_pending;		/* keyboard command waiting for its parameter */
	u8 queue[I8042_QUEUE];
	bool queue_aux[I8042_QUEUE];
	unsigned int q_head, q_count;
	u8 last_kbd_byte;	/* for 0xfe resend */
	bool irq_level;
};

void i8042_init(struct i8042 *kbc, struct vm *vm, struct irqchip *irqchip);
int i8042_register(struct i8042 *kbc, struct bus *io_bus);
void i8042_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write);

/* ---- ACPI fixed hardware ---- */
#define ACPI_PM1A_EVT		0x600	/* 4 bytes: status, enable */
#define ACPI_PM1A_CNT		0x604	/* 2 bytes */
#define ACPI_PM_TMR		0x608	/* 4 bytes */
#define ACPI_PM_SIZE		12
#define ACPI_PM_TMR_HZ		3579545ULL
#define ACPI_SLP_TYP_S5		5
#define ACPI_PM1_TMR_STS	0x0001
#define ACPI_PM1_PWRBTN_STS	0x0100
#define ACPI_PM1_WAK_STS	0x8000
#define ACPI_PM1_CNT_SCI_EN	0x0001
#define ACPI_PM1_CNT_SLP_EN	0x2000
/*
 * The reset register sits inside the PCI conf1 window 0xcf8-0xcff.  The
 * buses refuse overlapping ranges and give an access whole to the owner of
 * its first byte, so conf1 registers 0xcf8 (1 byte: its dword accesses
 * still reach it whole), 0xcfa (2 bytes) and 0xcfc (4 bytes), never
 * 0xcf9, which is this 1-byte range.
 */
#define ACPI_PM_RESET_PORT	0xcf9
#define ACPI_PM_RESET_VALUE	0x06	/* the FADT's RESET_VALUE */

struct acpi_pm {
	pthread_mutex_t lock;
	struct vm *vm;
	struct irqchip *irqchip;
	u16 sts, en, cnt;
	u32 tmr_carry;		/* timer bit 31 when TMR_STS was last cleared */
	u8 reset_reg;
	bool sci_level;
	u64 refused_sleeps;	/* SLP_EN with a type other than S5 */
};

void acpi_pm_init(struct acpi_pm *pm, struct vm *vm, struct irqchip *irqchip);
int acpi_pm_register(struct acpi_pm *pm, struct bus *io_bus);
/* a power-button press (e.g. on SIGTERM): PWRBTN_STS, SCI when enabled */
void acpi_pm_power_button(struct acpi_pm *pm);
u32 acpi_pm_timer(void);
void acpi_pm_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write);
void acpi_reset_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write);

/* ---- all of them (platform.c) ---- */
struct platform {
	struct irqchip irqchip;
	struct pit pit;
	struct rtc rtc;
	struct i8042 i8042;
	struct acpi_pm acpi_pm;
	u64 absent_accesses;	/* port 0x80, COM2-4 */
};

/*
 * Initialise and register every device above (IOAPIC ID @nr_vcpus, after
 * the local APIC IDs), fill the CMOS memory size and start the PIT and RTC
 * threads.  0, or -1 with a message printed.
 */
int platform_setup(struct platform *p, struct vm *vm, u64 ram_size,
		   unsigned int nr_vcpus);
void platform_stop(struct platform *p);
/* the ports a PC decodes that have nothing here: reads 0xff */
void platform_absent_access(void *opaque, u64 port, u8 *data, u32 len,
			    bool is_write);
/* a device thread: all signals blocked (they belong to the vCPU threads) */
int platform_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);
/* CLOCK_MONOTONIC and CLOCK_REALTIME in ns */
u64 platform_now_ns(void);
s64 platform_realtime_ns(void);

#endif /* LVCTL_PLATFORM_H */
