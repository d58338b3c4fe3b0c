// SPDX-License-Identifier: GPL-2.0
/*
 * msr.elf: RDMSR/WRMSR of MSRs the guest may not use raise #GP(0) in the
 * guest: IA32_VMX_BASIC (0x480; VMX is hidden from the guest) and 0x0badc0de
 * (no MSR on Intel: outside every architectural and model-specific range).
 * The IDT handler records the exception and skips the 2-byte instruction;
 * EDX:EAX must be left alone by a faulting RDMSR.
 * Permitted MSRs work without a fault: IA32_SYSENTER_CS/ESP/EIP written
 * then read back, IA32_TSC read between two RDTSCs, EFER read (LMA clear
 * in this 32-bit guest).
 */
#include "rt.h"

const char guest_name[] = "msr";

#define MSR_UNDEFINED 0x0badc0de
#define GP_VECTOR 13

/* vector of the exception RDMSR raised, or -1; *val = EDX:EAX after it */
static int try_rdmsr(u32 msr, u64 *val)
{
	u32 lo = 0x5a5a5a5a, hi = 0xa5a5a5a5;

	trap_expect(2);
	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*val = ((u64)hi << 32) | lo;
	return trap_taken();
}

static int try_wrmsr(u32 msr, u64 val)
{
	trap_expect(2);
	asm volatile("wrmsr" :: "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
	return trap_taken();
}

static void check_forbidden(u32 msr, const char *name)
{
	int before = trap.count, v;
	u64 val;

	v = try_rdmsr(msr, &val);
	CHECK(v == GP_VECTOR, "rdmsr 0x%x (%s): %s %d, not #GP", msr, name,
	      v < 0 ? "no exception, value" : "vector", v < 0 ? (int)val : v);
	if (v == GP_VECTOR) {
		CHECK(trap.error == 0, "rdmsr 0x%x: #GP error code 0x%lx, not 0",
		      msr, (ulong)trap.error);
		CHECK(val == 0xa5a5a5a55a5a5a5aULL,
		      "rdmsr 0x%x faulted but changed EDX:EAX to 0x%llx", msr, val);
	}
	v = try_wrmsr(msr, 0);
	CHECK(v == GP_VECTOR, "wrmsr 0x%x (%s): %s %d, not #GP", msr, name,
	      v < 0 ? "no exception" : "vector", v);
	if (v == GP_VECTOR)
		CHECK(trap.error == 0, "wrmsr 0x%x: #GP error code 0x%lx, not 0",
		      msr, (ulong)trap.error);
	CHECK(trap.count - before == 2, "%d exceptions for 2 faulting accesses",
	      trap.count - before);
}

static void check_rw(u32 msr, const char *name, u64 val)
{
	u64 got = 0;
	int v;

	v = try_wrmsr(msr, val);
	CHECK(v < 0, "wrmsr 0x%x (%s) raised vector %d", msr, name, v);
	v = try_rdmsr(msr, &got);
	CHECK(v < 0, "rdmsr 0x%x (%s) raised vector %d", msr, name, v);
	CHECK(got == val, "%s: wrote 0x%llx, read 0x%llx", name, val, got);
}

static void check_permitted(void)
{
	u64 t0, t1, tsc, efer;
	int v;

	check_rw(MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", 0x0010);
	check_rw(MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", 0x0008);
	check_rw(MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", 0x00123450);
	check_rw(MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", 0x00101234);

	t0 = rdtsc();
	v = try_rdmsr(MSR_IA32_TSC, &tsc);
	t1 = rdtsc();
	CHECK(v < 0, "rdmsr IA32_TSC raised vector %d", v);
	CHECK(t0 <= tsc && tsc <= t1,
	      "IA32_TSC 0x%llx is not between RDTSCs 0x%llx and 0x%llx", tsc, t0, t1);

	v = try_rdmsr(MSR_EFER, &efer);
	CHECK(v < 0, "rdmsr EFER raised vector %d", v);
	CHECK(!(efer & EFER_LMA), "EFER 0x%llx: LMA set in a 32-bit guest", efer);
}

void guest_main(u32 magic, ulong info)
{
	check_forbidden(MSR_IA32_VMX_BASIC, "IA32_VMX_BASIC");
	check_forbidden(MSR_UNDEFINED, "undefined");
	check_permitted();
}
