// SPDX-License-Identifier: GPL-2.0
/* Verdicts, debug exit, the C entry point, string helpers, hypervisor id. */
#include "rt.h"

int failures;

void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("FAIL %s: ", guest_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	uart_putc('\n');
}

void debug_exit(u32 v)
{
	outl(DEBUG_EXIT_PORT, v);
	/* no debug-exit device: stop here (lvctl would report "hlt") */
	for (;;)
		asm volatile("cli; hlt");
}

void finish(void)
{
	if (!failures)
		printf("PASS %s\n", guest_name);
	debug_exit(failures ? 1 : 0);
}

/* called by the entry code with a stack, a GDT and a zeroed .bss */
void rt_start(u32 magic, ulong info)
{
	idt_init();
	guest_main(magic, info);
	finish();
}

enum hv hv_detect(u32 *max_leaf)
{
	u32 a, b, c, d;

	u32 hv_bit;

	cpuid(1, 0, &a, &b, &c, &d);
	hv_bit = c & (1U << 31);
	/*
	 * The signature is read even when CPUID.1:ECX bit 31 is clear (cpuid.elf
	 * checks that bit): the exact signatures cannot come out of a CPU that
	 * answers leaf 0x40000000 with the data of its highest basic leaf.
	 */
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	*max_leaf = a;
	/* "labvisor": EBX "labv", ECX "isor", EDX 0 */
	if (b == 0x7662616c && c == 0x726f7369 && d == 0)
		return HV_LABVISOR;
	/* "KVMKVMKVM\0\0\0" */
	if (b == 0x4b4d564b && c == 0x564b4d56 && d == 0x0000004d)
		return HV_KVM;
	if (!hv_bit) {
		*max_leaf = 0;
		return HV_NONE;
	}
	return HV_OTHER;
}

const char *hv_name(enum hv hv)
{
	switch (hv) {
	case HV_NONE:
		return "none";
	case HV_LABVISOR:
		return "labvisor";
	case HV_KVM:
		return "kvm";
	default:
		return "other";
	}
}

void *memset(void *d, int c, ulong n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, ulong n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, ulong n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

ulong strlen(const char *s)
{
	ulong n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, ulong n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (ulong)-1);
}
