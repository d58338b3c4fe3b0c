/* SPDX-License-Identifier: GPL-2.0 */
/* 32-bit exception and interrupt stubs: one per vector (256), 16 bytes apart (trap.c). */
	.text
	.code32

	.balign 16
	.globl trap_stubs
trap_stubs:
	.altmacro
	.macro stub vec
	.balign 16
	/* vectors that push an error code: 8, 10-14, 17, 21, 29, 30 */
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl $0
	.endif
	pushl $\vec
	jmp trap_common
	.endm

	.set vec, 0
	.rept 256
	stub %vec
	.set vec, vec + 1
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
