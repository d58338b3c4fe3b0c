/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spin-sti.bin: lvctl run --mode real; enables interrupts, then loops
 * forever (FB EB FE).  With external-interrupt exiting no interrupt ever
 * reaches the guest: every host interrupt is a VM exit, so any hypervisor
 * gets the CPU back, and the lab stops the VM with a signal (lvctl exits 8).
 * spin.bin loops with interrupts off, which only labvisor's backstop (the
 * VMX-preemption timer) stops in the Bochs lab.
 */
	.code16
	.text
	.globl start
start:
	sti
1:	jmp 1b
