// SPDX-License-Identifier: GPL-2.0
/*
 * hlt.elf: prints "PASS hlt-entered", then CLI; HLT.  Nothing can wake the
 * vCPU, so lvctl must stop with status 0 and "lvctl: stop: hlt" (the lab
 * checks both).  Resuming after the HLT is a failure (debug-exit 1).
 */
#include "rt.h"

const char guest_name[] = "hlt";

void guest_main(u32 magic, ulong info)
{
	printf("PASS hlt-entered\n");
	asm volatile("cli; hlt" ::: "memory");
	fail("the vCPU resumed after cli; hlt");
}
