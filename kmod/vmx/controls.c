// SPDX-License-Identifier: GPL-2.0
/*
 * Deriving VMX control words from the capability MSRs (SDM Vol. 3D,
 * appendix A.3-A.5): bits 31:0 of a capability MSR are the allowed
 * 0-settings (a 1 there means the control must be 1), bits 63:32 the
 * allowed 1-settings (a 0 there means the control must be 0).
 */
#include <linux/errno.h>

#include "controls.h"

/**
 * lv_adjust_controls() - build a control word the CPU accepts
 * @cap_msr: the (TRUE_) capability MSR for this control word
 * @required: controls labvisor cannot work without
 * @optional: controls used when the CPU offers them
 * @out: the resulting control word
 *
 * Return: 0, or -EOPNOTSUPP if a required control cannot be set, or -EINVAL
 * if the MSR contradicts itself (a bit that must be 1 but may not be).
 */
int lv_adjust_controls(u64 cap_msr, u32 required, u32 optional, u32 *out)
{
	u32 must_be_one = (u32)cap_msr;
	u32 may_be_one = (u32)(cap_msr >> 32);

	if (must_be_one & ~may_be_one)
		return -EINVAL;
	if (required & ~may_be_one)
		return -EOPNOTSUPP;
	*out = must_be_one | required | (optional & may_be_one);
	return 0;
}
