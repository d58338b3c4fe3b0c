/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accelerators: the hypervisor lvctl drives (labvisor or kvm) behind one
 * ops table, with registers and exits in a neutral form.
 */
#ifndef LVCTL_ACCEL_H
#define LVCTL_ACCEL_H

#include <stdio.h>
#include "lvctl.h"

struct cpu_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rip, rflags;
};

struct cpu_segment {
	u64 base;
	u32 limit;
	u16 selector;
	u8 type;
	u8 present, dpl, db, s, l, g, avl;
	u8 unusable;
};

struct cpu_dtable {
	u64 base;
	u16 limit;
};

struct cpu_sregs {
	struct cpu_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct cpu_dtable gdt, idt;
	u64 cr0, cr2, cr3, cr4, efer, apic_base;
};

enum vm_exit_kind {
	VM_EXIT_IO,
	VM_EXIT_MMIO,
	VM_EXIT_HLT,
	VM_EXIT_SHUTDOWN,
	VM_EXIT_HYPERCALL,
	VM_EXIT_FAIL_ENTRY,
	VM_EXIT_INTERNAL,
	VM_EXIT_INTR,
	VM_EXIT_IRQ_WINDOW,	/* the guest can take an ExtINT now */
	VM_EXIT_UNKNOWN,
	VM_EXIT_FORWARDED,	/* an exit the policy sends to user space */
	VM_EXIT_NR_KINDS,
};

/* Pointers in an exit point into the run page: fill them for IN/reads. */
struct vm_exit {
	enum vm_exit_kind kind;
	u32 hw_exit_reason;	/* VMX basic exit reason, when known */
	u64 hw_qualification;
	bool irq_ready;		/* ops->interrupt() would be taken now */
	union {
		struct {
			bool out;
			u8 size;
			u16 port;
			u32 count;
			u8 *data;	/* count * size bytes */
		} io;
		struct {
			u64 gpa;
			u8 *data;	/* 8 bytes */
			u32 len;
			bool is_write;
		} mmio;
		struct {
			u64 nr;
			u64 args[4];
			u64 *ret;
		} hypercall;
		struct {
			u64 hw_reason;
			u64 qualification;
			u32 check;	/* LV_ENTRY_CHECK_* */
		} fail_entry;
		struct {
			u32 suberror;
			u32 ndata;
			u64 data[16];
			const char *name;	/* the suberror, in words */
		} internal;
		struct {
			u32 reason;	/* the accelerator's own exit code */
		} unknown;
		struct {
			u32 reason;	/* basic VMX exit reason */
			u64 qualification;
			u64 rip;
			u64 gpa;
		} forwarded;
	};
};

#define ACCEL_NR_REASONS	80

struct vcpu_stats {
	u64 exits;		/* all exits, when the accelerator counts them */
	u64 user_exits;
	bool has_kernel_counts;	/* exits and by_reason are meaningful */
	bool has_last_cpu;
	u32 last_cpu;
	u32 migrations;
	u64 by_reason[ACCEL_NR_REASONS];	/* VMX basic exit reasons */
};

struct exit_config;
struct lv_trace_ring;
struct lv_exit_reason_stats;

struct accel_ops {
	const char *name;
	/* open the device, create the VM; 0 or -1 with a message printed */
	int (*vm_create)(struct vm *vm);
	int (*set_memory)(struct vm *vm, u32 slot, u64 gpa, u64 size,
			  void *hva);
	int (*vcpu_create)(struct vcpu *vcpu);
	int (*get_regs)(struct vcpu *vcpu, struct cpu_regs *regs);
	int (*set_regs)(struct vcpu *vcpu, const struct cpu_regs *regs);
	int (*get_sregs)(struct vcpu *vcpu, struct cpu_sregs *sregs);
	int (*set_sregs)(struct vcpu *vcpu, const struct cpu_sregs *sregs);
	/*
	 * Enter the guest until the next exit to user space.  0 with @exit
	 * filled in, or -1 with errno set (EINTR: a signal is pending).
	 */
	int (*run)(struct vcpu *vcpu, struct vm_exit *exit);
	/* async-signal-safe: make the current or next run return EINTR */
	void (*request_exit)(struct vcpu *vcpu);
	/* clear a request_exit() that was not acted upon */
	void (*clear_exit_request)(struct vcpu *vcpu);
	int (*get_stats)(struct vcpu *vcpu, struct vcpu_stats *stats);

	/*
	 * Interrupts.  The local APICs are in the kernel; the IOAPIC, PIC
	 * and devices are lvctl's.  All may be called from any thread
	 * unless noted; 0 or -1 with errno set.
	 */
	/* deliver a message-signalled interrupt (IOAPIC, MSI-X) */
	int (*signal_msi)(struct vm *vm, u64 addr, u32 data);
	/* vCPU thread only, between runs, when exit->irq_ready: ExtINT */
	int (*interrupt)(struct vcpu *vcpu, u8 vector);
	/* vCPU thread only: ask for VM_EXIT_IRQ_WINDOW when it opens */
	void (*set_irq_window)(struct vcpu *vcpu, bool request);
	/* doorbell: guest writes of @len bytes at @addr signal @fd */
	int (*ioeventfd)(struct vm *vm, u64 addr, u32 len, bool pio, int fd,
			 bool assign);
	/* each signal of @fd delivers the MSI (@addr, @data) */
	int (*irqfd)(struct vm *vm, int fd, u64 addr, u32 data, bool assign);
	/*
	 * Give the VM a host PCI device: its DMA is confined to guest
	 * memory (gpa = DMA address).  NULL where the accelerator cannot;
	 * 0 or -1 with a message.
	 */
	int (*assign_device)(struct vm *vm, u16 segment, u8 bus, u8 device,
			     u8 function);
	/*
	 * Route an assigned device's MSI to the eventfd @fd (which the
	 * caller hooks to irqfd), or tear the routing down (@fd < 0).  NULL
	 * where the accelerator cannot; 0 or -1 with a message.
	 */
	int (*device_msi)(struct vm *vm, u16 segment, u8 bus, u8 device,
			  u8 function, int fd);

	/*
	 * labvisor only (NULL elsewhere).  After the vCPUs exist, before
	 * they run: exit policy, CPUID and MSR overrides (exitcfg.h).
	 */
	int (*set_exit_config)(struct vm *vm, const struct exit_config *cfg);
	/*
	 * Turn on @vcpu's exit trace ring of @nr_records records and map
	 * it: *@ring (header page, records after it), *@size bytes.
	 */
	int (*trace_enable)(struct vcpu *vcpu, u32 nr_records,
			    struct lv_trace_ring **ring, size_t *size);
	/*
	 * Exit statistics of the VM (@vcpu < 0) or of vCPU @vcpu: @nr
	 * reasons from 0 into @out; "ept" or "shadow" in *@mode.
	 */
	int (*get_exit_stats)(struct vm *vm, int vcpu,
			      struct lv_exit_reason_stats *out, u32 nr,
			      const char **mode);

	/* print how guest memory is mapped; NULL where the accelerator can't say */
	void (*print_vm_stats)(struct vm *vm, FILE *f);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	void (*vm_destroy)(struct vm *vm);
};

extern const struct accel_ops accel_labvisor_ops;
extern const struct accel_ops accel_kvm_ops;

const struct accel_ops *accel_find(const char *name);
const char *vm_exit_kind_name(enum vm_exit_kind kind);

#endif /* LVCTL_ACCEL_H */
