// SPDX-License-Identifier: GPL-2.0
/*
 * vmcall.elf: hypercall round trips (VMCALL, RAX = number, RBX, RCX, RDX,
 * RSI = arguments, result in RAX).  A 32-bit guest: only the low 32 bits
 * of the result are compared, which holds whether or not the hypervisor
 * truncates arguments and results outside 64-bit mode (KVM does).
 *
 * labvisor (uapi/linux/labvisor.h):
 *   LV_HC_API_VERSION (0) returns LV_API_VERSION = 3;
 *   LV_HC_USER (1) goes to lvctl, which returns args sum + 1;
 *   unknown numbers return LV_HC_ENOSYS = -1000.
 * kvm (Documentation/virt/kvm/x86/hypercalls.rst): only what KVM
 *   documents for any guest: an unknown number returns -KVM_ENOSYS = -1000.
 *   (KVM's hypercall 1 is KVM_HC_VAPIC_POLL_IRQ, not LV_HC_USER.)
 */
#include "rt.h"

const char guest_name[] = "vmcall";

#define LV_HC_API_VERSION	0
#define LV_HC_USER		1
#define HC_ENOSYS		((u32)-1000)

static u32 vmcall(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3)
{
	u32 ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return ret;
}

/* the registers that carried arguments, and EDI, come back unchanged */
static void check_preserved(void)
{
	u32 b = 0x11111111, c = 0x22222222, d = 0x33333333, s = 0x44444444;
	u32 di = 0x55555555, ret;

	asm volatile("vmcall"
		     : "=a"(ret), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(di)
		     : "a"(0x7fff) : "memory");
	CHECK(b == 0x11111111 && c == 0x22222222 && d == 0x33333333 &&
	      s == 0x44444444 && di == 0x55555555,
	      "registers changed across vmcall: ebx 0x%x ecx 0x%x edx 0x%x esi 0x%x edi 0x%x",
	      b, c, d, s, di);
	CHECK(ret == HC_ENOSYS, "hypercall 0x7fff returned 0x%x", ret);
}

static void check_unknown(void)
{
	static const u32 nrs[] = { 0x7fff, 0x12345, 0xfffffff0 };

	for (unsigned i = 0; i < ARRAY_SIZE(nrs); i++) {
		u32 r = vmcall(nrs[i], 1, 2, 3, 4);

		CHECK(r == HC_ENOSYS, "unknown hypercall 0x%x returned 0x%x, not -1000",
		      nrs[i], r);
	}
}

static void check_labvisor(void)
{
	static const u32 args[][4] = {
		{ 0, 0, 0, 0 },
		{ 1, 2, 3, 4 },
		{ 0xffffffff, 0, 0, 0 },	/* sum + 1 wraps the low 32 bits */
		{ 0x80000000, 0x80000000, 0x12345678, 0 },
		{ 0xdead, 0xbeef0000, 0x10, 0x7fffffff },
	};
	u32 r;

	r = vmcall(LV_HC_API_VERSION, 0, 0, 0, 0);
	CHECK(r == 3, "LV_HC_API_VERSION returned 0x%x, not 3", r);
	for (unsigned i = 0; i < ARRAY_SIZE(args); i++) {
		const u32 *a = args[i];
		u32 want = a[0] + a[1] + a[2] + a[3] + 1;

		r = vmcall(LV_HC_USER, a[0], a[1], a[2], a[3]);
		CHECK(r == want, "LV_HC_USER(0x%x, 0x%x, 0x%x, 0x%x) returned 0x%x, not 0x%x",
		      a[0], a[1], a[2], a[3], r, want);
	}
	r = vmcall(2, 0, 0, 0, 0);
	CHECK(r == HC_ENOSYS, "hypercall 2 (undefined) returned 0x%x, not -1000", r);
}

void guest_main(u32 magic, ulong info)
{
	u32 max;
	enum hv hv = hv_detect(&max);

	printf("vmcall: hypervisor %s\n", hv_name(hv));
	switch (hv) {
	case HV_LABVISOR:
		check_labvisor();
		check_unknown();
		check_preserved();
		break;
	case HV_KVM:
		check_unknown();
		break;
	default:
		fail("neither labvisor nor kvm: hypercall behaviour unknown");
	}
}
