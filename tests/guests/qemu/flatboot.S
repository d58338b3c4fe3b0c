/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flatboot: QEMU-only shim that enters a prot32 or long64 flat binary the
 * way lvctl does, so that the guests' own code can be tried under QEMU TCG
 * (qemu/run-all).  Not a test guest; not used in the lab.
 *
 *   qemu-system-x86_64 -kernel flatboot.elf -append MODE -initrd FLAT.bin
 *
 * MODE is prot32 or long64 (the last character of the command line, '2'
 * or '4', decides).  The module is copied to 1 MiB and entered with
 * CS 0x08, data 0x10, paging off (prot32) or the first 4 GiB identity-
 * mapped with 2 MiB pages from tables below 0x10000 (long64), GPRs 0.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003
#define LOAD		0x100000
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000		/* 4 pages */

	.text
	.code32
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.globl _start
_start:
	cli
	cld
	movl $0x8000, %esp
	cmpl $0x2badb002, %eax
	jne die
	testl $(1 << 3), (%ebx)		/* mods */
	jz die
	cmpl $0, 20(%ebx)
	je die
	/* the mode: the last character of the command line */
	movl 16(%ebx), %esi
1:	lodsb
	testb %al, %al
	jnz 1b
	movb -2(%esi), %al
	movzbl %al, %ebp
	/* copy module 0 to 1 MiB */
	movl 24(%ebx), %edx
	movl 0(%edx), %esi
	movl 4(%edx), %ecx
	subl %esi, %ecx
	movl $LOAD, %edi
	rep movsb
	cmpl $'2', %ebp
	je prot32
	cmpl $'4', %ebp
	je long64
die:	movw $0xf4, %dx
	movl $0x7f, %eax
	outl %eax, %dx
	hlt

prot32:
	lgdt gdt32_ptr
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	xorl %esp, %esp
	ljmp $0x08, $LOAD

long64:
	/* page tables: 4 GiB identity map with 2 MiB pages */
	movl $PML4, %edi
	movl $((PD + 0x4000 - PML4) / 4), %ecx
	xorl %eax, %eax
	rep stosl
	movl $(PDPT | 3), PML4
	movl $(PD | 3), PDPT
	movl $((PD + 0x1000) | 3), PDPT + 8
	movl $((PD + 0x2000) | 3), PDPT + 16
	movl $((PD + 0x3000) | 3), PDPT + 24
	movl $PD, %edi
	movl $0x83, %eax		/* present, writable, 2 MiB page */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 2b
	movl $PML4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax		/* EFER.LME */
	wrmsr
	lgdt gdt64_ptr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	ljmp $0x08, $3f

	.code64
3:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	xorl %esp, %esp
	jmp *entry64(%rip)

	.balign 8
entry64:
	.quad LOAD
gdt32:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt32_end:
gdt64:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt64_end:
	.balign 4
	.word 0
gdt32_ptr:
	.word gdt32_end - gdt32 - 1
	.long gdt32
	.word 0
gdt64_ptr:
	.word gdt64_end - gdt64 - 1
	.long gdt64
