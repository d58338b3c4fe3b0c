/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot (v1) entry: 32-bit protected mode, paging off, EAX = 0x2BADB002,
 * EBX = the multiboot information.  The spec leaves GDTR undefined, so load
 * our own flat GDT before touching a segment register (an IRET from an
 * exception handler reloads CS).
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	movl %eax, %ebp			/* multiboot magic */
	/* EBX (the info pointer) survives: nothing below touches it */
	lgdt gdt32_ptr
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	/* zero .bss (the stack is in it, and not in use yet) */
	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $stack_top, %esp
	pushl %ebx			/* info */
	pushl %ebp			/* magic */
	call rt_start
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.balign 8
gdt32:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
gdt32_end:
	.balign 4
	.word 0
gdt32_ptr:
	.word gdt32_end - gdt32 - 1
	.long gdt32

	.bss
	.balign 16
	.space 16384
stack_top:
