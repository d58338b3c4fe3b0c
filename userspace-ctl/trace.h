/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lvctl trace's ring reader (builtin-trace.c): the uapi struct
 * lv_trace_ring, its records in the pages after the header, as CSV.
 */
#ifndef LVCTL_TRACE_H
#define LVCTL_TRACE_H

#include <stdio.h>
#include <linux/labvisor.h>

#include "lvctl.h"

/* the records start this far after the ring header */
#define TRACE_RECORDS_OFFSET	4096
#define TRACE_CSV_HEADER \
	"vcpu,reason,name,user,qualification,rip,gpa,tsc_exit,tsc_entry,ticks\n"

/* one record as a CSV line of vCPU @vcpu */
void trace_write_record(FILE *out, int vcpu, const struct lv_trace_record *r);
/*
 * The records the module published since @ring's tail (@nr: the ring's
 * size, a power of two, as checked when it was mapped), as CSV lines, then
 * the tail handed back; the number written.  *@lost grows by records a
 * broken head claims beyond the ring's size.
 */
u64 trace_ring_drain(struct lv_trace_ring *ring, u64 nr, FILE *out, int vcpu,
		     u64 *lost);

#endif /* LVCTL_TRACE_H */
