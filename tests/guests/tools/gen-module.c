// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the module multiboot.elf expects (--module FILE,modstr): 1000
 * bytes, byte i = (i * 13 + 5) & 0xff.  multiboot.c checks the same rule.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < 1000; i++)
		fputc((i * 13 + 5) & 0xff, f);
	return fclose(f) ? 1 : 0;
}
