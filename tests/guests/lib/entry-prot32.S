/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flat binary entry, lvctl --mode prot32: 32-bit protected mode, flat
 * segments 0x08/0x10 from lvctl's GDT, paging off, GPRs 0.  The entry
 * state is saved in entry_state (in .data: .bss is zeroed below) for the
 * guest to check, then our own identical GDT is loaded.
 */
	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	movl %eax, entry_state + 0	/* EAX */
	movw %cs, entry_state + 4
	movw %ds, entry_state + 6
	movw %ss, entry_state + 8
	movw %es, entry_state + 10
	movl %cr0, %eax
	movl %eax, entry_state + 12
	sgdt entry_state + 16		/* limit (2 bytes), base (4 bytes) */
	movl %esp, entry_state + 24

	lgdt gdt32_ptr
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $stack_top, %esp
	pushl $0			/* info */
	pushl $0			/* magic */
	call rt_start
2:	cli
	hlt
	jmp 2b

	.data
	.balign 8
	.globl entry_state
entry_state:
	.space 32

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
