// SPDX-License-Identifier: GPL-2.0
/*
 * The PC platform as a whole: creating, registering and starting the
 * interrupt controllers, PIT, RTC, i8042 and ACPI registers; the clocks
 * they share; threads that leave signals to the vCPU threads.
 */
#include <string.h>
#include <time.h>

#include "platform.h"

u64 platform_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

s64 platform_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (s64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * SIGINT and SIGTERM must interrupt a vCPU's run ioctl: a device thread
 * that could take them would swallow them.  Block everything around the
 * creation, so the thread starts with every signal blocked.
 */
int platform_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pr_err("cannot create a device thread: %s", strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Ports every PC decodes that Linux touches while booting, with nothing
 * behind them here: the POST port 0x80 (Linux's outb_p()/inb_p() delay
 * after PIT and PIC accesses) and the other three legacy COM ports (the
 * 8250 driver probes all four; an absent UART reads as all ones).  Reads
 * give 0xff, writes are dropped.
 */
static const struct {
	u16 port, len;
	const char *name;
} platform_absent[] = {
	{ 0x80, 1, "post-delay" },
	{ 0x2f8, 8, "com2-absent" },
	{ 0x3e8, 8, "com3-absent" },
	{ 0x2e8, 8, "com4-absent" },
};

void platform_absent_access(void *opaque, u64 port, u8 *data, u32 len,
			    bool is_write)
{
	struct platform *p = opaque;

	(void)port;
	__atomic_add_fetch(&p->absent_accesses, 1, __ATOMIC_RELAXED);
	if (!is_write)
		memset(data, 0xff, len);
}

int platform_setup(struct platform *p, struct vm *vm, u64 ram_size,
		   unsigned int nr_vcpus)
{
	struct irqchip *chip = &p->irqchip;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	/* the IOAPIC's ID follows the local APIC IDs 0..nr_vcpus-1 */
	irqchip_init(chip, vm, nr_vcpus);
	pit_init(&p->pit, chip);
	rtc_init(&p->rtc, chip);
	i8042_init(&p->i8042, vm, chip);
	acpi_pm_init(&p->acpi_pm, vm, chip);
	/* RAM is one block from 0, below the PCI hole: all below 4 GiB */
	rtc_set_mem_size(&p->rtc, ram_size, 0);
	if (irqchip_register(chip, vm) ||
	    pit_register(&p->pit, &vm->io_bus) ||
	    rtc_register(&p->rtc, &vm->io_bus) ||
	    i8042_register(&p->i8042, &vm->io_bus) ||
	    acpi_pm_register(&p->acpi_pm, &vm->io_bus)) {
		pr_err("platform device ranges overlap or the bus is full");
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(platform_absent); i++) {
		if (bus_register(&vm->io_bus, platform_absent[i].port,
				 platform_absent[i].len,
				 platform_absent_access, p,
				 platform_absent[i].name)) {
			pr_err("platform: ports 0x%x-0x%x (%s) are taken",
			       platform_absent[i].port,
			       platform_absent[i].port + platform_absent[i].len - 1,
			       platform_absent[i].name);
			return -1;
		}
	}
	if (pit_start(&p->pit) || rtc_start(&p->rtc)) {
		platform_stop(p);
		return -1;
	}
	return 0;
}

void platform_stop(struct platform *p)
{
	pit_stop(&p->pit);
	rtc_stop(&p->rtc);
}
