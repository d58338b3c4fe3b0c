/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC of each vCPU: xAPIC (MMIO page) and x2APIC
 * (MSRs) register files, the timer (one-shot, periodic, TSC deadline),
 * interrupt acceptance (IRR/ISR/TMR, TPR/PPR, EOI) and delivery between
 * vCPUs (IPIs, MSIs from user space and irqfds).
 */
#ifndef LV_LAPIC_H
#define LV_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/types.h>

struct lv_vcpu;
struct lv_vm;

#define LV_APIC_NR_REGS		64	/* 1 KiB of registers, 16 bytes apart */

/**
 * struct lv_lapic - one vCPU's local APIC
 * @vcpu: the vCPU it belongs to
 * @regs: the register file, index = offset >> 4 (IRR bits are set by
 *	other CPUs with atomic bit operations; the rest is the vCPU's)
 * @timer: fires the LVT timer interrupt
 * @period_ns: one-shot/periodic: length of one count-down
 * @divide: timer divisor (1 .. 128)
 * @tsc_deadline: TSC-deadline mode: armed deadline, 0 if none
 * @irr_pending: an IRR bit may be set (a hint for the vCPU)
 */
struct lv_lapic {
	struct lv_vcpu *vcpu;
	u32 regs[LV_APIC_NR_REGS];
	struct hrtimer timer;
	u64 period_ns;
	u32 divide;
	u64 tsc_deadline;
	bool irr_pending;
};

/* delivery modes (ICR, LVT, MSI data bits 10:8) */
#define LV_DM_FIXED		0
#define LV_DM_LOWEST		1
#define LV_DM_SMI		2
#define LV_DM_NMI		4
#define LV_DM_INIT		5
#define LV_DM_SIPI		6
#define LV_DM_EXTINT		7

void lv_lapic_init(struct lv_lapic *apic, struct lv_vcpu *vcpu);
void lv_lapic_reset(struct lv_lapic *apic);
void lv_lapic_destroy(struct lv_lapic *apic);

int lv_lapic_mmio(struct lv_lapic *apic, u32 offset, void *data,
		  unsigned int len, bool write);
int lv_lapic_msr_read(struct lv_lapic *apic, u32 msr, u64 *val);
int lv_lapic_msr_write(struct lv_lapic *apic, u32 msr, u64 val);
int lv_lapic_set_base(struct lv_lapic *apic, u64 val);
void lv_lapic_restore_base(struct lv_lapic *apic, u64 val);
u64 lv_lapic_get_deadline(struct lv_lapic *apic);
void lv_lapic_set_deadline(struct lv_lapic *apic, u64 deadline, u64 guest_tsc);
void lv_lapic_set_tpr(struct lv_lapic *apic, u32 tpr);
u32 lv_lapic_get_tpr(struct lv_lapic *apic);

bool lv_lapic_enabled(const struct lv_lapic *apic);
bool lv_lapic_x2apic(const struct lv_lapic *apic);
bool lv_lapic_accepts_extint(const struct lv_lapic *apic);
int lv_lapic_pending_vector(struct lv_lapic *apic);
void lv_lapic_ack(struct lv_lapic *apic, int vector);

int lv_lapic_deliver_msi(struct lv_vm *vm, u64 address, u32 data);
int lv_validate_msi(u64 address, u32 data);

/* the vCPU side of events other CPUs raise */
void lv_vcpu_kick(struct lv_vcpu *vcpu);

#endif /* LV_LAPIC_H */
