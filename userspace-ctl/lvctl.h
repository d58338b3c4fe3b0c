/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lvctl: the labvisor user-space controller.  Shared types: the VM, its
 * vCPUs and how a run stops.
 */
#ifndef LVCTL_H
#define LVCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>

#include "bus.h"
#include "mem.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define LVCTL_MAX_VCPUS		8

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* exit statuses, docs/testing.md */
#define LVCTL_EXIT_HLT		0
#define LVCTL_EXIT_USAGE	2
#define LVCTL_EXIT_SHUTDOWN	4
#define LVCTL_EXIT_FAILED	6
#define LVCTL_EXIT_SIGNAL	8

struct accel_ops;
struct irqchip;

struct vcpu {
	struct vm *vm;
	int id;
	pthread_t thread;
	void *accel;		/* the accelerator's per-vCPU state */
	bool started;		/* @thread exists (vm_stop() kicks it) */
	bool halted;		/* in HLT with IF=0: only NMI/INIT wakes it */
	u64 user_exits;
	u64 exit_kinds[16];	/* user exits by enum vm_exit_kind */
	u64 forwarded[128];	/* forwarded exits by basic reason */
};

struct vm {
	const struct accel_ops *ops;
	void *accel;		/* the accelerator's per-VM state */
	/*
	 * The guest gets local APICs: always on labvisor; on kvm only when
	 * set (its in-kernel APIC sleeps every HLT, so bare test guests that
	 * end with CLI; HLT run without it).
	 */
	bool irqchip;
	/*
	 * A PC (--kernel): accesses nothing decodes read all-ones and are
	 * otherwise ignored, as on a PC bus (counted, the first few named);
	 * bare test guests stop with an error instead.
	 */
	bool pc_bus;
	/* --mmu: VM_MMU_DEFAULT (EPT where the CPU has it), _EPT or _SHADOW */
	int mmu;
	struct irqchip *pic;	/* the PIC whose INTR goes to vCPU 0 */
	u64 unassigned;
	struct guest_mem mem;
	struct bus io_bus;
	struct bus mmio_bus;
	struct vcpu vcpus[LVCTL_MAX_VCPUS];
	int nr_vcpus;

	/* set once, by whoever stops the VM first; stop_lock also guards nr_halted */
	pthread_mutex_t stop_lock;
	bool stopped;
	int stop_status;
	int stop_vcpu;		/* the vCPU whose thread stopped the VM, or -1 */
	char stop_reason[256];
	int nr_halted;		/* vCPUs with halted set */
	int forwarded_printed;	/* forwarded exits printed (atomic) */
};

/* forwarded exits lvctl prints a line for, per VM */
#define LVCTL_FORWARDED_PRINT	16

enum { VM_MMU_DEFAULT, VM_MMU_EPT, VM_MMU_SHADOW };

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void vm_init(struct vm *vm);
void vm_note_unassigned(struct vm *vm, const char *space, u64 addr);
/*
 * Stop the VM (the first stop wins and sets the exit status) and kick
 * every other vCPU thread out of its run ioctl.  Any thread may call it.
 */
void vm_stop(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool vm_is_stopped(struct vm *vm);
/*
 * @vcpu halted with IF=0 (halted) or ran again (!halted); true when every
 * vCPU of the VM is now halted.
 */
bool vm_set_halted(struct vcpu *vcpu, bool halted);

/* vcpu.c */
int vcpu_start(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_signals_setup(void);
void vcpu_run_loop(struct vcpu *vcpu);
void vcpu_pic_intr_changed(void *opaque);
void vcpu_dump_state(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu);
struct vcpu *vcpu_current(void);	/* NULL outside vCPU loops */

/* hypercall.c */
u64 hypercall_user(u64 nr, const u64 args[4]);

#endif /* LVCTL_H */
