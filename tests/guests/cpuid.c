// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.elf: CPUID as a guest sees it.  CPUID.1:ECX.VMX (bit 5) is clear
 * and CR4.VMXE is not visible; CPUID.1:ECX.HYPERVISOR (bit 31) is set;
 * leaf 0x40000000 carries the signature of the hypervisor (labvisor:
 * "labv" "isor" and EDX 0; kvm: "KVMKVMKVM\0\0\0"; anything else fails)
 * and EAX, the highest hypervisor leaf, is at least 0x40000000.
 */
#include "rt.h"

const char guest_name[] = "cpuid";

static void print_sig(u32 b, u32 c, u32 d)
{
	u32 regs[3] = { b, c, d };
	const u8 *p = (const u8 *)regs;

	uart_putc('"');
	for (int i = 0; i < 12; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			uart_putc(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	uart_putc('"');
}

void guest_main(u32 magic, ulong info)
{
	u32 a, b, c, d, max_basic, hv_max;
	u32 vendor[4] = { 0 };
	enum hv hv;

	cpuid(0, 0, &max_basic, &vendor[0], &vendor[2], &vendor[1]);
	printf("cpuid: max basic leaf 0x%x, vendor \"%s\"\n", max_basic,
	       (const char *)vendor);
	CHECK(max_basic >= 1, "max basic leaf %u", max_basic);

	cpuid(1, 0, &a, &b, &c, &d);
	printf("cpuid: leaf 1 eax 0x%08x ecx 0x%08x edx 0x%08x\n", a, c, d);
	CHECK(!(c & (1U << 5)), "CPUID.1:ECX.VMX (bit 5) is set: VMX is visible");
	CHECK(c & (1U << 31), "CPUID.1:ECX.HYPERVISOR (bit 31) is clear");
	CHECK(!(read_cr4() & CR4_VMXE), "CR4.VMXE is visible (CR4 0x%lx)",
	      read_cr4());

	cpuid(0x40000000, 0, &a, &b, &c, &d);
	hv = hv_detect(&hv_max);
	printf("cpuid: leaf 0x40000000 eax 0x%x signature ", a);
	print_sig(b, c, d);
	printf(" (%s)\n", hv_name(hv));
	switch (hv) {
	case HV_LABVISOR:
	case HV_KVM:
		CHECK(a >= 0x40000000 && a <= 0x400000ff,
		      "highest hypervisor leaf 0x%x not in 0x40000000..0x400000ff", a);
		break;
	case HV_NONE:
		/* already reported: the hypervisor bit is clear */
		break;
	default:
		fail("leaf 0x40000000: signature is neither labvisor's nor kvm's");
	}
}
