/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM entry and exit.
 *
 * lv_vmx_enter(regs, launched) saves the host's callee-saved registers,
 * records the stack pointer as HOST_RSP, loads the guest GPRs from regs[]
 * (x86 encoding order, RSP slot unused: the VMCS holds the guest RSP) and
 * executes VMLAUNCH or VMRESUME.  A VM exit lands at lv_vmx_exit_entry
 * (HOST_RIP) with the host stack as it was; the guest GPRs go back to
 * regs[], the return stack buffer is refilled where the CPU needs it, and
 * the function returns 0.  A failed VMLAUNCH/VMRESUME returns 1 (the
 * caller reads the VM-instruction error).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#define REG(n)		(n * 8)
#define HOST_RSP_FIELD	0x6c14

	.text

SYM_FUNC_START(lv_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* regs, found again after the exit */

	/*
	 * Unchecked: this VMWRITE fails only with no current VMCS, and then
	 * VMLAUNCH/VMRESUME below fails the same way and returns 1.
	 */
	mov	$HOST_RSP_FIELD, %eax
	vmwrite	%rsp, %rax

	/* flush CPU buffers where the CPU needs it (VERW clobbers ZF) */
	VM_CLEAR_CPU_BUFFERS

	test	%esi, %esi		/* launched? flags survive the loads below */

	mov	REG(0)(%rdi), %rax
	mov	REG(1)(%rdi), %rcx
	mov	REG(2)(%rdi), %rdx
	mov	REG(3)(%rdi), %rbx
	mov	REG(5)(%rdi), %rbp
	mov	REG(6)(%rdi), %rsi
	mov	REG(8)(%rdi), %r8
	mov	REG(9)(%rdi), %r9
	mov	REG(10)(%rdi), %r10
	mov	REG(11)(%rdi), %r11
	mov	REG(12)(%rdi), %r12
	mov	REG(13)(%rdi), %r13
	mov	REG(14)(%rdi), %r14
	mov	REG(15)(%rdi), %r15
	mov	REG(7)(%rdi), %rdi

	/* the stack as the VM exit finds it again at lv_vmx_exit_entry */
	UNWIND_HINT_SAVE
	jnz	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
.Lfail:
	mov	$1, %eax
	jmp	.Lout

	/* VM exits land here (HOST_RIP), host RSP as at VMLAUNCH: regs on top */
SYM_INNER_LABEL(lv_vmx_exit_entry, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rdi
	mov	8(%rsp), %rdi
	mov	%rax, REG(0)(%rdi)
	mov	%rcx, REG(1)(%rdi)
	mov	%rdx, REG(2)(%rdi)
	mov	%rbx, REG(3)(%rdi)
	mov	%rbp, REG(5)(%rdi)
	mov	%rsi, REG(6)(%rdi)
	mov	%r8, REG(8)(%rdi)
	mov	%r9, REG(9)(%rdi)
	mov	%r10, REG(10)(%rdi)
	mov	%r11, REG(11)(%rdi)
	mov	%r12, REG(12)(%rdi)
	mov	%r13, REG(13)(%rdi)
	mov	%r14, REG(14)(%rdi)
	mov	%r15, REG(15)(%rdi)
	pop	REG(7)(%rdi)

	/* the guest may have trained the branch history: clear it (uses RAX/RCX) */
	CLEAR_BRANCH_HISTORY_VMEXIT
	xor	%eax, %eax

.Lout:
	/* no guest value stays in a register the host might speculate on */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	/* the guest may have filled the RSB with its own targets */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	pop	%rcx			/* regs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(lv_vmx_enter)
