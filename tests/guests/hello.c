// SPDX-License-Identifier: GPL-2.0
/*
 * hello.elf: the demo guest (multiboot).  Greets the user with the command
 * line it was given and the memory size from the multiboot information,
 * after checking the boot magic and the information structure.
 */
#include "rt.h"
#include "multiboot.h"

const char guest_name[] = "hello";

/* a NUL within max bytes of s, and s inside the first 4 GiB of RAM */
static int sane_string(u32 addr, u32 max)
{
	const char *s = (const char *)(ulong)addr;

	if (!addr)
		return 0;
	for (u32 i = 0; i < max; i++)
		if (!s[i])
			return 1;
	return 0;
}

void guest_main(u32 magic, ulong info)
{
	const struct mb_info *mbi = (const struct mb_info *)info;
	u32 hv_max;
	enum hv hv = hv_detect(&hv_max);

	printf("Hello from a labvisor guest!\n");
	if (magic != MB_BOOT_MAGIC) {
		fail("EAX 0x%x at entry, not the multiboot magic 0x2badb002", magic);
		return;
	}
	if (!mbi) {
		fail("no multiboot information (EBX 0)");
		return;
	}
	if (mbi->flags & MB_INFO_CMDLINE) {
		if (sane_string(mbi->cmdline, 4096))
			printf("My command line: \"%s\"\n",
			       (const char *)(ulong)mbi->cmdline);
		else
			fail("cmdline at 0x%x is not a string", mbi->cmdline);
	} else {
		printf("My command line: (none)\n");
	}
	if (mbi->flags & MB_INFO_MEM) {
		u32 total_kib = mbi->mem_upper + 1024;

		printf("My memory: %u KiB below 1 MiB, %u KiB above 1 MiB (%u MiB)\n",
		       mbi->mem_lower, mbi->mem_upper, total_kib / 1024);
		CHECK(mbi->mem_lower > 0 && mbi->mem_lower <= 640,
		      "mem_lower %u KiB is not in 1..640", mbi->mem_lower);
		CHECK(mbi->mem_upper > 0, "mem_upper is 0");
		CHECK(info + sizeof(*mbi) <= (ulong)total_kib * 1024,
		      "the information structure at 0x%lx is beyond RAM", info);
	} else {
		fail("multiboot flags 0x%x: no memory information", mbi->flags);
	}
	printf("I run on %s.\n", hv == HV_NONE ? "bare metal (or an unnamed hypervisor)" :
	       hv == HV_OTHER ? "an unknown hypervisor" : hv_name(hv));
}
