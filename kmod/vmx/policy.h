/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_POLICY_H
#define LV_POLICY_H

#include <linux/types.h>
#include <uapi/linux/labvisor.h>

struct lv_vm;
struct lv_vcpu;

/**
 * struct lv_cpuid_overrides - a VM's CPUID table (LV_SET_CPUID), immutable
 * @nr: entries
 * @entry: the entries
 */
struct lv_cpuid_overrides {
	unsigned int nr;
	struct lv_cpuid_entry entry[];
};

/**
 * struct lv_msr_overrides - a VM's MSR table (LV_SET_MSR_OVERRIDES),
 *	immutable
 * @nr: entries
 * @entry: the entries
 */
struct lv_msr_overrides {
	unsigned int nr;
	struct lv_msr_entry entry[];
};

int lv_policy_init(void);
void lv_policy_exit(void);
int lv_policy_check(struct lv_vm *vm, const struct lv_exit_policy *p);
void lv_policy_apply(struct lv_vcpu *vcpu);
long lv_policy_set_vm(struct lv_vm *vm, void __user *argp);
long lv_policy_set_vcpu(struct lv_vcpu *vcpu, void __user *argp);
long lv_policy_set_cpuid(struct lv_vm *vm, void __user *argp);
long lv_policy_set_msrs(struct lv_vm *vm, void __user *argp);
bool lv_policy_cpuid(struct lv_vcpu *vcpu);
int lv_policy_msr(struct lv_vcpu *vcpu, u32 msr, bool write, u64 *val);
void lv_policy_vm_free(struct lv_vm *vm);

/* policy-exits.c: exits that happen only when a policy turns them on */
int lv_handle_rdtsc(struct lv_vcpu *vcpu);
int lv_handle_pause(struct lv_vcpu *vcpu);
int lv_handle_invlpg(struct lv_vcpu *vcpu);
int lv_handle_desc_table(struct lv_vcpu *vcpu);
int lv_emulate_cr3(struct lv_vcpu *vcpu, bool load, unsigned int reg);
int lv_forward_exit(struct lv_vcpu *vcpu, u16 reason);

#endif /* LV_POLICY_H */
