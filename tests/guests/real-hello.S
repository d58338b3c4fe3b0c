/* SPDX-License-Identifier: GPL-2.0 */
/*
 * real-hello.bin: lvctl run --mode real (flat, loaded at 0x7c00 by default).
 *
 * Checks that it really runs in real mode: CR0.PE (read with both MOV and
 * SMSW) is clear, and segment arithmetic holds: a dword written through
 * 0x2000:0x0010 reads back through 0x2001:0x0000 and 0x1fff:0x0020 (all
 * three are linear 0x20010), and a write through an alias shows through
 * the first segment.  Prints "PASS real-hello" or "FAIL real-hello: why"
 * on COM1 and writes 0 or 1 to the debug-exit port.
 *
 * lvctl picks CS so that CS:IP reaches the entry (0x07c0:0 or 0:0x7c00):
 * the code finds its own IP and far-returns to CS = base >> 4, IP = offset,
 * so that DS = CS addresses the data linked at offset 0.  That needs a
 * 16-byte aligned load address; otherwise the guest exits 1 at once.
 */
	.code16
	.text
	.globl start
start:
	cli
	cld
	call 1f
1:	popw %bx
	subw $(1b - start), %bx		/* BX = IP of start */
	testw $15, %bx
	jnz misaligned
	shrw $4, %bx
	movw %cs, %ax
	addw %bx, %ax			/* segment in which start is offset 0 */
	pushw %ax
	pushw $normalised
	lretw
normalised:
	movw %cs, %ax
	movw %ax, %ds
	movw %ax, %ss
	xorw %sp, %sp			/* stack: the top of our 64 KiB segment */

	/* CR0.PE clear, seen through MOV from CR0 and SMSW */
	movl %cr0, %eax
	testb $1, %al
	jnz fail_pe
	smsw %ax
	testb $1, %al
	jnz fail_pe

	/* segment arithmetic: three segment:offset pairs, one linear address */
	movw $0x2000, %ax
	movw %ax, %es
	movw $0x2001, %ax
	movw %ax, %fs
	movw $0x1fff, %ax
	movw %ax, %gs
	movl $0x5aa5c33c, %es:0x0010
	cmpl $0x5aa5c33c, %fs:0x0000
	jne fail_seg
	cmpl $0x5aa5c33c, %gs:0x0020
	jne fail_seg
	movl $0x0ff0f00f, %fs:0x0000
	cmpl $0x0ff0f00f, %es:0x0010
	jne fail_seg
	cmpl $0x0ff0f00f, %gs:0x0020
	jne fail_seg
	/* and a neighbouring address is a different location */
	movl $0x11111111, %fs:0x0004
	cmpl $0x0ff0f00f, %es:0x0010
	jne fail_seg
	cmpl $0x11111111, %es:0x0014
	jne fail_seg

	/* 16-bit operand size by default: 0xffff + 1 wraps to 0 in AX */
	movl $0x12340000, %eax
	movw $0xffff, %ax
	incw %ax
	jnz fail_opsize
	cmpl $0x12340000, %eax
	jne fail_opsize

	movw $msg_pass, %si
	call puts
	xorl %eax, %eax
	jmp exit

fail_pe:
	movw $msg_pe, %si
	jmp fail
fail_seg:
	movw $msg_seg, %si
	jmp fail
fail_opsize:
	movw $msg_opsize, %si
fail:
	call puts
	movl $1, %eax
exit:
	movw $0xf4, %dx
	outl %eax, %dx			/* debug exit: status (EAX << 1) | 1 */
2:	cli
	hlt
	jmp 2b

misaligned:
	movl $1, %eax
	jmp exit

/* puts: print the NUL-terminated string at DS:SI on COM1 */
puts:
	lodsb
	testb %al, %al
	jz 3f
	call putc
	jmp puts
3:	ret

/* putc: AL to COM1 once LSR.THRE is set (bounded wait) */
putc:
	pushw %ax
	movw $0xffff, %cx
	movw $0x3fd, %dx
4:	inb %dx, %al
	testb $0x20, %al
	loopz 4b
	popw %ax
	movw $0x3f8, %dx
	outb %al, %dx
	ret

msg_pass:	.asciz "PASS real-hello\n"
msg_pe:		.asciz "FAIL real-hello: CR0.PE is set\n"
msg_seg:	.asciz "FAIL real-hello: segment:offset aliases of one linear address disagree\n"
msg_opsize:	.asciz "FAIL real-hello: default operand size is not 16 bits\n"
