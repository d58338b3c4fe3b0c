/* SPDX-License-Identifier: GPL-2.0 */
/* 64-bit exception and interrupt stubs: one per vector (256), 16 bytes apart (trap.c). */
	.text
	.code64

	.balign 16
	.globl trap_stubs
trap_stubs:
	.altmacro
	.macro stub vec
	.balign 16
	/* vectors that push an error code: 8, 10-14, 17, 21, 29, 30 */
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
	.endm

	.set vec, 0
	.rept 256
	stub %vec
	.set vec, vec + 1
	.endr

trap_common:
	/* the CPU aligned RSP to 16 before its 5 pushes; 2 + 15 more keep it so */
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi		/* struct trap_frame * */
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp		/* vector, error code */
	iretq
