/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spin.bin: lvctl run --mode real; loops forever (EB FE) so that the lab
 * can stop it with a signal (lvctl exits 8, "interrupted by signal").
 */
	.code16
	.text
	.globl start
start:
1:	jmp 1b
