/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LV_EXIT_H
#define LV_EXIT_H

#include <linux/types.h>

struct lv_vcpu;

int lv_exit_dispatch(struct lv_vcpu *vcpu, u16 reason);
int lv_exit_complete(struct lv_vcpu *vcpu);

/* shared by the handlers (exit.c, msr.c, cpuid.c) */
int lv_skip_insn(struct lv_vcpu *vcpu);
void lv_inject_exception(struct lv_vcpu *vcpu, u8 vector, int error_code);
void lv_cpuid(struct lv_vcpu *vcpu, u32 leaf, u32 sub, u32 *a, u32 *b,
	      u32 *c, u32 *d);
int lv_cpuid_init(void);
int lv_msr_read(struct lv_vcpu *vcpu, u32 msr, u64 *val);
int lv_msr_write(struct lv_vcpu *vcpu, u32 msr, u64 val);

/* run.c */
void lv_vmx_load_syscall_msrs(struct lv_vcpu *vcpu);
int lv_vmx_run_init(void);
void lv_vmx_run_exit(void);

#define LV_NO_ERROR_CODE	(-1)

#endif /* LV_EXIT_H */
