// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI fixed hardware, as the FADT describes it: the PM1a event block
 * (status, write 1 to clear, and enable) at 0x600, the PM1a control block
 * at 0x604 (sleep S5 powers off), the 32-bit PM timer at 0x608 (3.579545
 * MHz, from CLOCK_MONOTONIC) and the reset register at 0xcf9.  The SCI
 * (IRQ 9) is high while an enabled status bit is set.  No SMI command
 * port: SCI_EN always reads 1, ACPI mode is always on.
 */
#include <string.h>

#include "devices.h"
#include "platform.h"

#define PM1_STS_MASK	(ACPI_PM1_TMR_STS | 0x0030 | ACPI_PM1_PWRBTN_STS | \
			 0x0200 | 0x0400 | ACPI_PM1_WAK_STS)
#define PM1_EN_MASK	(0x0001 | 0x0020 | 0x0100 | 0x0200 | 0x0400)
#define PM1_CNT_MASK	(0x0002 | 0x0004 | (7 << 10))
#define PM1_CNT_SLP_TYP(v)	(((v) >> 10) & 7)

u32 acpi_pm_timer(void)
{
	return (u32)((unsigned __int128)platform_now_ns() * ACPI_PM_TMR_HZ /
		     1000000000ULL);
}

/* TMR_STS: the timer's bit 31 changed since the flag was cleared. */
static u16 acpi_pm_status(struct acpi_pm *pm)
{
	if ((acpi_pm_timer() >> 31) != pm->tmr_carry)
		pm->sts |= ACPI_PM1_TMR_STS;
	return pm->sts;
}

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	bool level = acpi_pm_status(pm) & pm->en;

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	if (pm->irqchip)
		irqchip_set_irq(pm->irqchip, IRQ_SCI, level);
}

static void acpi_pm_sleep(struct acpi_pm *pm, u16 cnt)
{
	unsigned int typ = PM1_CNT_SLP_TYP(cnt);

	if (typ == ACPI_SLP_TYP_S5) {
		vm_stop(pm->vm, LVCTL_EXIT_HLT, "guest powered off (ACPI S5)");
		return;
	}
	/* only S5 is in the DSDT: anything else is a guest mistake */
	if (!pm->refused_sleeps++)
		pr_err("acpi: sleep type %u requested, only S5 (%u) is supported: ignored (said once)",
		       typ, ACPI_SLP_TYP_S5);
}

static u8 acpi_pm_read(struct acpi_pm *pm, unsigned int off)
{
	u32 tmr;

	switch (off) {
	case 0:
	case 1:
		return acpi_pm_status(pm) >> (8 * off);
	case 2:
	case 3:
		return pm->en >> (8 * (off - 2));
	case 4:
	case 5:
		return (pm->cnt | ACPI_PM1_CNT_SCI_EN) >> (8 * (off - 4));
	case 8:
	case 9:
	case 10:
	case 11:
		tmr = acpi_pm_timer();
		return tmr >> (8 * (off - 8));
	default:
		return 0xff;		/* 0x606-0x607: nothing */
	}
}

static void acpi_pm_write(struct acpi_pm *pm, unsigned int off, u8 v,
			  bool *sleep)
{
	unsigned int shift = 8 * (off & 1);
	u16 bits = (u16)v << shift;

	switch (off) {
	case 0:
	case 1:
		bits &= PM1_STS_MASK;
		acpi_pm_status(pm);
		if (bits & ACPI_PM1_TMR_STS)
			pm->tmr_carry = acpi_pm_timer() >> 31;
		pm->sts &= ~bits;
		break;
	case 2:
	case 3:
		pm->en = (pm->en & ~(0xff << shift)) | (bits & PM1_EN_MASK);
		break;
	case 4:
	case 5:
		pm->cnt = (pm->cnt & ~(0xff << shift)) | (bits & PM1_CNT_MASK);
		if (bits & ACPI_PM1_CNT_SLP_EN)
			*sleep = true;	/* acted on once the whole write is in */
		break;
	default:
		break;			/* the timer is read-only */
	}
}

void acpi_pm_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write)
{
	struct acpi_pm *pm = opaque;
	bool sleep = false;
	u32 i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		u64 off = port + i - ACPI_PM1A_EVT;

		if (off >= ACPI_PM_SIZE) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (is_write)
			acpi_pm_write(pm, off, data[i], &sleep);
		else
			data[i] = acpi_pm_read(pm, off);
	}
	if (sleep)
		acpi_pm_sleep(pm, pm->cnt);
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= ACPI_PM1_PWRBTN_STS;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

/* Reset control register: bit 2 (RST_CPU) resets, 0x06 is the FADT's. */
void acpi_reset_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write)
{
	struct acpi_pm *pm = opaque;
	u32 i;

	pthread_mutex_lock(&pm->lock);
	for (i = 0; i < len; i++) {
		if (port + i != ACPI_PM_RESET_PORT) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (!is_write) {
			data[i] = pm->reset_reg;
			continue;
		}
		pm->reset_reg = data[i];
		if (data[i] & 0x04)
			vm_stop(pm->vm, LVCTL_EXIT_HLT, "guest reset (0xcf9)");
	}
	pthread_mutex_unlock(&pm->lock);
}

void acpi_pm_init(struct acpi_pm *pm, struct vm *vm, struct irqchip *irqchip)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->vm = vm;
	pm->irqchip = irqchip;
	pm->tmr_carry = acpi_pm_timer() >> 31;
}

int acpi_pm_register(struct acpi_pm *pm, struct bus *io_bus)
{
	if (bus_register(io_bus, ACPI_PM1A_EVT, ACPI_PM_SIZE, acpi_pm_access,
			 pm, "acpi-pm") ||
	    bus_register(io_bus, ACPI_PM_RESET_PORT, 1, acpi_reset_access, pm,
			 "acpi-reset"))
		return -1;
	return 0;
}
