// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions and interrupts: an IDT for all 256 vectors whose stubs
 * (idt32.S / idt64.S) call trap_dispatch().  An expected exception
 * (trap_expect()) is recorded and the guest resumes past the faulting
 * instruction; NMIs and vectors 32-255 go to irq_hook when a guest set
 * one; anything else is a failure: it is reported and the guest exits 1.
 */
#include "rt.h"

#define NR_VECTORS 256
#define STUB_SIZE 16	/* idt*.S aligns each stub to 16 bytes */
#define KERNEL_CS 0x08

#ifdef __x86_64__
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error, ip, cs, flags, sp, ss;
};

struct idt_gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, zero;
} __attribute__((packed));
#else
struct trap_frame {
	u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;	/* pusha */
	u32 vector, error, ip, cs, flags;
};

struct idt_gate {
	u16 off0, sel;
	u8 zero, type;
	u16 off1;
} __attribute__((packed));
#endif

struct desc_ptr {
	u16 limit;
	ulong base;
} __attribute__((packed));

extern const char trap_stubs[];
static struct idt_gate idt[NR_VECTORS] __attribute__((aligned(16)));
struct trap_record trap;
void (*irq_hook)(int vector);

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	if (irq_hook && (f->vector == 2 || f->vector >= 32)) {
		irq_hook((int)f->vector);
		return;
	}
	trap.count++;
	if (trap.armed) {
		trap.armed = 0;
		trap.vector = (int)f->vector;
		trap.error = f->error;
		trap.ip = f->ip;
		f->ip += trap.skip;
		return;
	}
	fail("unexpected exception %lu, error code 0x%lx, at ip 0x%lx",
	     (ulong)f->vector, (ulong)f->error, (ulong)f->ip);
	debug_exit(1);
}

void trap_expect(u32 skip)
{
	trap.skip = skip;
	trap.vector = -1;
	trap.error = 0;
	asm volatile("" ::: "memory");
	trap.armed = 1;
	asm volatile("" ::: "memory");
}

int trap_taken(void)
{
	asm volatile("" ::: "memory");
	trap.armed = 0;
	return trap.vector;
}

void idt_init(void)
{
	struct desc_ptr dp = { sizeof(idt) - 1, (ulong)idt };

	for (int v = 0; v < NR_VECTORS; v++) {
		ulong a = (ulong)trap_stubs + v * STUB_SIZE;

		idt[v].off0 = a & 0xffff;
		idt[v].sel = KERNEL_CS;
		idt[v].type = 0x8e;	/* present, DPL 0, interrupt gate */
		idt[v].off1 = (a >> 16) & 0xffff;
#ifdef __x86_64__
		idt[v].ist = 0;
		idt[v].off2 = a >> 32;
		idt[v].zero = 0;
#else
		idt[v].zero = 0;
#endif
	}
	asm volatile("lidt %0" :: "m"(dp) : "memory");
}

void idt_load_empty(void)
{
	struct desc_ptr dp = { 0, 0 };

	asm volatile("lidt %0" :: "m"(dp) : "memory");
}
