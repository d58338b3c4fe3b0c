/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_VMCS_H
#define LV_VMCS_H

#include <linux/types.h>

struct lv_vcpu;
struct lv_regs;
struct lv_sregs;
struct lv_paging;

int lv_vmcs_global_init(void);
void lv_vmcs_global_exit(void);
void lv_vmcs_set_efer(struct lv_vcpu *vcpu, u64 efer);
void lv_vmcs_init_state(struct lv_vcpu *vcpu);
int lv_vmcs_set_cr0(struct lv_vcpu *vcpu, u64 val, bool force);
int lv_vmcs_set_cr4(struct lv_vcpu *vcpu, u64 val, bool force);
void lv_vmcs_copy_msr_bitmap(unsigned long *to);
void lv_vmcs_paging(struct lv_vcpu *vcpu, struct lv_paging *pg);
bool lv_vmcs_pae_paging(struct lv_vcpu *vcpu);
void lv_vmcs_get_regs(struct lv_vcpu *vcpu, struct lv_regs *r);
void lv_vmcs_set_regs(struct lv_vcpu *vcpu, const struct lv_regs *r);
void lv_vmcs_get_sregs(struct lv_vcpu *vcpu, struct lv_sregs *s);
void lv_vmcs_set_sregs(struct lv_vcpu *vcpu, const struct lv_sregs *s);

#endif /* LV_VMCS_H */
