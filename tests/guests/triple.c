// SPDX-License-Identifier: GPL-2.0
/*
 * triple.elf: loads an IDT with limit 0 and executes INT3: delivering #BP
 * raises #GP, delivering that raises #DF, and that is a triple fault.
 * lvctl must exit 4 with "lvctl: stop: shutdown".  Surviving INT3 (or the
 * UD2 tried next) is a failure.
 */
#include "rt.h"

const char guest_name[] = "triple";

void guest_main(u32 magic, ulong info)
{
	printf("triple: IDT limit 0, then int3: expect a shutdown\n");
	idt_load_empty();
	asm volatile("int3" ::: "memory");
	fail("survived int3 with an empty IDT");
	asm volatile("ud2" ::: "memory");
	fail("survived ud2 with an empty IDT");
}
