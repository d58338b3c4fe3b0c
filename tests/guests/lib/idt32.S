/* SPDX-License-Identifier: GPL-2.0 */
/* 32-bit exception stubs: one per vector, 16 bytes apart (trap.c). */
	.text
	.code32

	.balign 16
	.globl trap_stubs
trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	/* vectors that push an error code: 8, 10-14, 17, 21, 29, 30 */
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl $0
	.endif
	pushl $\vec
	jmp trap_common
	.endr

trap_common:
	pusha
	cld
	pushl %esp		/* struct trap_frame * */
	call trap_dispatch
	addl $4, %esp
	popa
	addl $8, %esp		/* vector, error code */
	iret
