/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_VM86_H
#define LV_VM86_H

#include <linux/types.h>

struct lv_vcpu;
struct lv_vm;

/* a segment register as the VMCS holds it */
struct lv_vm86_seg {
	u64 base;
	u32 limit;
	u32 ar;
	u16 sel;
};

/**
 * struct lv_vm86 - a shadow VM's vCPU in real mode (vm86.c)
 * @on: the guest's CR0.PE is clear: it runs in virtual-8086 mode
 * @entered: the VMCS holds the virtual-8086 form (between lv_vm86_enter()
 *	and lv_vm86_exit()); otherwise the guest's real-mode view
 * @tss_ready: the task state segment is written for this stay in real mode
 * @tss: where (LV_SET_TSS_ADDR may move it)
 * @seg: ES, CS, SS, DS, FS, GS as the guest had them before the entry
 * @written: what lv_vm86_enter() put in their place
 * @tr: the guest's TR before the entry
 * @iopl: the guest's RFLAGS.IOPL before the entry
 * @exception_bitmap: the exception bitmap before the entry
 */
struct lv_vm86 {
	bool on, entered, tss_ready;
	u64 tss;
	struct lv_vm86_seg seg[6], written[6], tr;
	unsigned long iopl;
	u32 exception_bitmap;
};

long lv_vm86_set_tss(struct lv_vm *vm, unsigned long gpa);
void lv_vm86_switch(struct lv_vcpu *vcpu, bool on, bool from_guest);
int lv_vm86_enter(struct lv_vcpu *vcpu);
void lv_vm86_exit(struct lv_vcpu *vcpu);
int lv_vm86_exception(struct lv_vcpu *vcpu, u32 info);
int lv_vm86_failed(struct lv_vcpu *vcpu);

#endif /* LV_VM86_H */
