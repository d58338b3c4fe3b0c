/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test guests' runtime: UART output, printf-lite, debug exit, an IDT
 * whose handlers record exceptions, and the usual x86 helpers.
 *
 * A guest defines guest_name[] and guest_main(); the runtime sets up a
 * GDT, a stack and the IDT, calls guest_main() and then finish(): "PASS
 * name" and debug-exit 0 when no check failed, else debug-exit 1.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include "types.h"

/* ---- provided by each guest ---- */
extern const char guest_name[];
/* magic/info: the multiboot EAX and EBX; 0 for flat binaries */
void guest_main(u32 magic, ulong info);

/* ---- devices (docs/testing.md) ---- */
#define UART_BASE	0x3f8
#define DEBUG_EXIT_PORT	0xf4
#define IO_SCRATCH	0xe0
#define IO_SEQ		0xe4
#define IO_SEQ_MISMATCH	0xe5
#define MMIO_TEST_BASE	0xd0000000UL
#define MMIO_TEST_SIZE	0x1000

/* ---- output ---- */
void uart_putc(char c);
void uart_puts(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* ---- verdicts ---- */
extern int failures;
/* prints "FAIL <guest_name>: <why>" and counts the failure */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
/* "PASS <guest_name>" + debug-exit 0 if nothing failed, else debug-exit 1 */
void finish(void) __attribute__((noreturn));
/* 32-bit OUT of v to the debug-exit port; halts if the port is absent */
void debug_exit(u32 v) __attribute__((noreturn));

/* ---- exceptions ---- */
struct trap_record {
	volatile int armed;	/* an exception is expected */
	volatile u32 skip;	/* bytes to skip past the faulting instruction */
	volatile int vector;	/* -1: none taken since trap_expect() */
	volatile ulong error;	/* error code (0 for vectors without one) */
	volatile ulong ip;	/* address of the faulting instruction */
	volatile int count;	/* exceptions taken in total */
};
extern struct trap_record trap;
/* called for NMIs (vector 2) and vectors 32-255 when set; else they fail */
extern void (*irq_hook)(int vector);
void idt_init(void);
void idt_load_empty(void);	/* IDTR limit 0: any exception triple-faults */
/* The next exception is expected: record it and resume at ip + skip. */
void trap_expect(u32 skip);
/* Vector of the exception taken since trap_expect(), or -1; disarms. */
int trap_taken(void);

/* ---- libc bits ---- */
void *memset(void *d, int c, ulong n);
void *memcpy(void *d, const void *s, ulong n);
int memcmp(const void *a, const void *b, ulong n);
ulong strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, ulong n);

/* ---- x86 helpers ---- */
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(sub));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((u64)hi << 32) | lo;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

#define DEFINE_READ_CR(n) \
static inline ulong read_cr##n(void) { ulong v; asm volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; }
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)

#define DEFINE_READ_SEG(s) \
static inline u16 read_##s(void) { u16 v; asm volatile("mov %%" #s ", %0" : "=rm"(v)); return v; }
DEFINE_READ_SEG(cs)
DEFINE_READ_SEG(ds)
DEFINE_READ_SEG(es)
DEFINE_READ_SEG(ss)

#define CR0_PE		(1UL << 0)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define CR4_VMXE	(1UL << 13)
#define MSR_IA32_TSC		0x10
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_VMX_BASIC	0x480
#define MSR_EFER		0xc0000080
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

/* ---- hypervisor identification (CPUID leaf 0x40000000) ---- */
enum hv { HV_NONE, HV_LABVISOR, HV_KVM, HV_OTHER };
enum hv hv_detect(u32 *max_leaf);
const char *hv_name(enum hv hv);

#endif
