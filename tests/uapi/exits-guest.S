/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code for lv-exits-test: 64-bit snippets, loaded together at
 * G_CODE and entered at each label (offset from exits_guest).  Port 0xe1
 * marks the end of a snippet; 0xe0 carries values to the test.
 */
	.section .rodata
	.code64
	.globl exits_guest, exits_guest_end
	.globl g_mix, g_mix_cpuid, g_isr, g_rdtsc, g_fwd_io, g_fwd_cpuid, g_cpuid_insn
	.globl g_cpuid_ovr, g_msr, g_msr_fsbase, g_hlt, g_hlt_after
	.globl g_desc, g_spin, g_wp
exits_guest:

/*
 * 1000 CPUID, 500 OUT 0xe0, 10 HLT (IF=1, each woken by the x2APIC timer:
 * vector 0x40, g_isr), OUT 0xe1
 */
g_mix:
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: x2APIC on */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	xor	%edx, %edx
	mov	$0x80f, %ecx		/* SVR: software-enable the APIC */
	mov	$0x1ff, %eax
	wrmsr
	mov	$0x83e, %ecx		/* divide by 1 */
	mov	$0xb, %eax
	wrmsr
	mov	$0x832, %ecx		/* LVT timer: one-shot, vector 0x40 */
	mov	$0x40, %eax
	wrmsr
	mov	$1000, %r8d
1:	xor	%eax, %eax
g_mix_cpuid:
	cpuid
	dec	%r8d
	jnz	1b
	mov	$500, %r8d
2:	out	%al, $0xe0
	dec	%r8d
	jnz	2b
	mov	$10, %r8d
3:	mov	$0x838, %ecx		/* initial count */
	mov	$5000, %eax
	xor	%edx, %edx
	wrmsr
	sti
	hlt
	cli
	dec	%r8d
	jnz	3b
	out	%al, $0xe1
4:	hlt
	jmp	4b

/* the timer interrupt: EOI, return */
g_isr:
	push	%rax
	push	%rcx
	push	%rdx
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

/* 100 RDTSC, the last value out, then the end mark */
g_rdtsc:
	mov	$100, %r8d
1:	rdtsc
	dec	%r8d
	jnz	1b
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

g_fwd_io:
	out	%al, $0xe0
	out	%al, $0xe1
	hlt

g_fwd_cpuid:
	xor	%eax, %eax
g_cpuid_insn:
	cpuid
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

/* CPUID leaf 0x40000100: EAX, EBX, ECX, EDX out */
g_cpuid_ovr:
	mov	$0x40000100, %eax
	xor	%ecx, %ecx
	cpuid
	out	%eax, $0xe0
	mov	%ebx, %eax
	out	%eax, $0xe0
	mov	%ecx, %eax
	out	%eax, $0xe0
	mov	%edx, %eax
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

/* RDMSR 0x8b: EAX, EDX out */
g_msr:
	mov	$0x8b, %ecx
	rdmsr
	out	%eax, $0xe0
	mov	%edx, %eax
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

/* WRMSR FS_BASE = 0x5000, RDMSR FS_BASE: EAX out */
g_msr_fsbase:
	mov	$0xc0000100, %ecx
	xor	%edx, %edx
	mov	$0x5000, %eax
	wrmsr
	xor	%eax, %eax
	rdmsr
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

g_hlt:
	hlt
g_hlt_after:
	out	%al, $0xe1
	hlt

/*
 * SGDT and SIDT to 0x180000/0x180010, SLDT and STR into AX and BX (out),
 * LGDT from 0x180020, SGDT again to 0x180030
 */
g_desc:
	sgdt	0x180000
	sidt	0x180010
	mov	$-1, %rax
	sldt	%ax
	out	%eax, $0xe0
	mov	$-1, %rbx
	str	%bx
	mov	%ebx, %eax
	out	%eax, $0xe0
	lgdt	0x180020
	sgdt	0x180030
	out	%al, $0xe1
	hlt

/*
 * 250 rounds of 4 writes (byte, word, dword, qword) into the page at
 * 0x190000, 100 writes at 0x191000, then the values read back out
 */
g_wp:
	mov	$250, %r8d
	mov	$0x1122334455667788, %r9
1:	movb	$0x5a, 0x190000
	movw	$0x1234, 0x190010
	movl	$0xdeadbeef, 0x190020
	mov	%r9, 0x190ff8
	dec	%r8d
	jnz	1b
	mov	$100, %r8d
2:	movl	%r8d, 0x191000
	dec	%r8d
	jnz	2b
	movzbl	0x190000, %eax
	out	%eax, $0xe0
	movzwl	0x190010, %eax
	out	%eax, $0xe0
	mov	0x190020, %eax
	out	%eax, $0xe0
	mov	0x190ff8, %rax
	out	%eax, $0xe0
	shr	$32, %rax
	out	%eax, $0xe0
	out	%al, $0xe1
	hlt

/* 2,000,000 iterations of a loop, then the end mark */
g_spin:
	mov	$2000000, %r8d
1:	dec	%r8d
	jnz	1b
	out	%al, $0xe1
	hlt
exits_guest_end:
	.section .note.GNU-stack, "", @progbits
