/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flat binary entry, lvctl --mode long64: 64-bit code segment 0x08, data
 * 0x10, the first 4 GiB identity-mapped by lvctl's page tables, GPRs 0.
 * The entry state is saved in entry_state (in .data) for the guest to
 * check, then our own GDT is loaded (the IDT's IRETQ reloads CS and SS).
 */
	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	movq %rax, entry_state + 0(%rip)	/* RAX */
	movw %cs, entry_state + 8(%rip)
	movw %ds, entry_state + 10(%rip)
	movw %ss, entry_state + 12(%rip)
	movw %es, entry_state + 14(%rip)
	sgdt entry_state + 16(%rip)		/* limit (2 bytes), base (8 bytes) */
	movq %rsp, entry_state + 32(%rip)

	/* RSP is 0 at entry: a push would land at the top of the address
	 * space, which is not mapped */
	leaq stack_top(%rip), %rsp
	lgdt gdt64_ptr(%rip)
	pushq $0x08
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	cld
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	leaq stack_top(%rip), %rsp
	xorl %edi, %edi			/* magic */
	xorl %esi, %esi			/* info */
	call rt_start
2:	cli
	hlt
	jmp 2b

	.data
	.balign 8
	.globl entry_state
entry_state:
	.space 48

	.section .rodata
	.balign 8
gdt64:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: code, 64-bit (L=1) */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt64_end:
	.balign 8
	.space 6
gdt64_ptr:
	.word gdt64_end - gdt64 - 1
	.quad gdt64

	.bss
	.balign 16
	.space 16384
stack_top:
