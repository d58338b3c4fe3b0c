/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labvisor trace events, for perf and trace-cmd (event system "labvisor"):
 *
 *   labvisor:lv_exit       every VM exit: vCPU, reason, qualification, RIP
 *   labvisor:lv_entry      every VM entry
 *   labvisor:lv_user_exit  LV_RUN returns to user space: the LV_EXIT_* code
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM labvisor

#if !defined(LV_TRACE_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define LV_TRACE_EVENTS_H

#include <linux/tracepoint.h>

TRACE_EVENT(lv_exit,
	    TP_PROTO(u32 vcpu_id, u32 reason, u64 qualification, u64 rip),
	    TP_ARGS(vcpu_id, reason, qualification, rip),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u32, reason)
			     __field(u64, qualification)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->reason = reason;
			   __entry->qualification = qualification;
			   __entry->rip = rip;),
	    TP_printk("vcpu %u reason %u qualification 0x%llx rip 0x%llx",
		      __entry->vcpu_id, __entry->reason,
		      __entry->qualification, __entry->rip)
);

TRACE_EVENT(lv_entry,
	    TP_PROTO(u32 vcpu_id, u64 rip),
	    TP_ARGS(vcpu_id, rip),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->rip = rip;),
	    TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

TRACE_EVENT(lv_user_exit,
	    TP_PROTO(u32 vcpu_id, u32 exit_reason, u32 hw_exit_reason),
	    TP_ARGS(vcpu_id, exit_reason, hw_exit_reason),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u32, exit_reason)
			     __field(u32, hw_exit_reason)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->exit_reason = exit_reason;
			   __entry->hw_exit_reason = hw_exit_reason;),
	    TP_printk("vcpu %u exit_reason %u hw_exit_reason %u",
		      __entry->vcpu_id, __entry->exit_reason,
		      __entry->hw_exit_reason)
);

#endif /* LV_TRACE_EVENTS_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE lv_trace
#include <trace/define_trace.h>
