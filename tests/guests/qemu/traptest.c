// SPDX-License-Identifier: GPL-2.0
/*
 * traptest: QEMU-only self-test of the runtime (qemu/run-all), built as a
 * 32-bit multiboot kernel and as a 64-bit flat binary: expected exceptions
 * are recorded with the right vector, error code and address and the guest
 * resumes past them; printf-lite formats known values.
 */
#include "rt.h"

const char guest_name[] = "traptest";

extern const char ud2_at[], div_at[], gp_at[], int3_after[];

static void check(int want_vec, ulong want_err, ulong want_ip, const char *what)
{
	int v = trap_taken();

	CHECK(v == want_vec, "%s: vector %d, not %d", what, v, want_vec);
	CHECK(trap.error == want_err, "%s: error code 0x%lx, not 0x%lx", what,
	      (ulong)trap.error, want_err);
	CHECK(trap.ip == want_ip, "%s: ip 0x%lx, not 0x%lx", what, (ulong)trap.ip,
	      want_ip);
}

void guest_main(u32 magic, ulong info)
{
	int before = trap.count;
	u32 q, dx = 0;

	trap_expect(2);
	asm volatile(".globl ud2_at; ud2_at: ud2" ::: "memory");
	check(6, 0, (ulong)ud2_at, "ud2");

	/* INT3 is a trap: the saved ip is already past it */
	trap_expect(0);
	asm volatile("int3; .globl int3_after; int3_after:" ::: "memory");
	check(3, 0, (ulong)int3_after, "int3");

	trap_expect(2);
	asm volatile(".globl div_at; div_at: divl %%ecx" : "=a"(q), "+d"(dx)
		     : "a"(7), "c"(0) : "memory");
	check(0, 0, (ulong)div_at, "divide by zero");

	/* loading a selector beyond the GDT limit: #GP(selector) */
	trap_expect(2);
	asm volatile("movl $0x1230, %%eax\n.globl gp_at\ngp_at: movl %%eax, %%ds\n"
		     ::: "eax", "memory");
	check(13, 0x1230, (ulong)gp_at, "bad selector");
	CHECK(trap.count - before == 4, "%d exceptions, not 4", trap.count - before);

	printf("fmt: [%d] [%u] [%x] [%08x] [%lld] [%llx] [%llu] [%s] [%c] [%-5s] [%5d] [%05d] [%X]\n",
	       -42, 4000000000U, 0xbeef, 0x1234, -1234567890123LL,
	       0x123456789abcdef0ULL, 18446744073709551615ULL, "str", 'c', "ab",
	       42, -42, 0xabcU);
}
