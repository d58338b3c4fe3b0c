/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * labvisor user-space interface: the one header lvctl (and any other
 * controller) includes.  Three kinds of file descriptor:
 *
 *   /dev/labvisor   system fd: version, capabilities, LV_CREATE_VM
 *   VM fd           LV_SET_MEMORY_REGION, LV_CREATE_VCPU, LV_SIGNAL_MSI,
 *                   LV_IOEVENTFD, LV_IRQFD, LV_ASSIGN_DEVICE,
 *                   LV_UNASSIGN_DEVICE, LV_SET_DEVICE_IRQ
 *   vCPU fd         LV_RUN, registers, statistics; mmap() of struct lv_run
 *
 * Every structure has explicit padding; every reserved field must be zero.
 */
#ifndef _UAPI_LINUX_LABVISOR_H
#define _UAPI_LINUX_LABVISOR_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define LV_API_VERSION		3

#define LV_IOC_MAGIC		0xB7

/* ---- capabilities ---------------------------------------------------- */

#define LV_CAP_EPT		_BITULL(0)	/* EPT usable: LV_VM_EPT works */
#define LV_CAP_VPID		_BITULL(1)	/* vCPUs get a VPID */
#define LV_CAP_UNRESTRICTED	_BITULL(2)	/* real mode runs natively */
#define LV_CAP_EPT_2M		_BITULL(3)	/* 2 MiB EPT mappings used */
#define LV_CAP_SHADOW		_BITULL(4)	/* LV_VM_SHADOW works */
#define LV_CAP_LAPIC		_BITULL(5)	/* in-kernel local APIC (API 2) */
#define LV_CAP_IOEVENTFD	_BITULL(6)	/* LV_IOEVENTFD */
#define LV_CAP_IRQFD		_BITULL(7)	/* LV_IRQFD */
#define LV_CAP_VTD		_BITULL(8)	/* LV_ASSIGN_DEVICE: a VT-d unit is usable */
#define LV_CAP_EXIT_STATS	_BITULL(9)	/* LV_GET_EXIT_STATS, debugfs (API 3) */
#define LV_CAP_TRACE		_BITULL(10)	/* LV_TRACE_ENABLE, trace events */
#define LV_CAP_EXIT_POLICY	_BITULL(11)	/* exit policies, CPUID/MSR overrides */
#define LV_CAP_DEVICE_IRQ	_BITULL(12)	/* LV_SET_DEVICE_IRQ (with LV_CAP_VTD) */
#define LV_CAP_VM86		_BITULL(13)	/* shadow VMs run real mode (LV_SET_TSS_ADDR) */

/**
 * struct lv_caps - what this module and this CPU can do (LV_GET_CAPS)
 * @api_version: LV_API_VERSION of the module
 * @flags: LV_CAP_* bits
 * @max_vcpus: vCPUs per VM
 * @max_slots: memory slots per VM
 * @run_mmap_size: bytes to mmap() from a vCPU fd (struct lv_run + data)
 * @vmx_basic: raw IA32_VMX_BASIC, for the curious
 * @ept_vpid_cap: raw IA32_VMX_EPT_VPID_CAP (0 without EPT)
 * @reserved: zero
 */
struct lv_caps {
	__u32 api_version;
	__u32 max_vcpus;
	__u64 flags;
	__u32 max_slots;
	__u32 run_mmap_size;
	__u64 vmx_basic;
	__u64 ept_vpid_cap;
	__u64 reserved[4];
};

/* ---- VM ---------------------------------------------------------------- */

/* LV_CREATE_VM argument: how guest physical memory is virtualised */
#define LV_VM_EPT		0	/* extended page tables (default) */
#define LV_VM_SHADOW		1	/* shadow page tables */

#define LV_MEM_READONLY		_BITUL(0)	/* guest writes become MMIO exits */

/**
 * struct lv_memory_region - map user memory into guest physical space
 * @slot: slot number, 0 .. max_slots - 1
 * @flags: LV_MEM_* bits
 * @gpa: guest physical address, 4 KiB aligned
 * @size: bytes, 4 KiB multiple; 0 deletes the slot
 * @uaddr: page-aligned user address of the backing memory; pinned while
 *	mapped
 *
 * A slot must not overlap another slot.  Replacing a slot's mapping
 * requires deleting it first.
 */
struct lv_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 gpa;
	__u64 size;
	__u64 uaddr;
};

/* ---- vCPU registers ---------------------------------------------------- */

/**
 * struct lv_regs - general-purpose registers, RIP and RFLAGS
 * @rax: RAX
 * @rbx: RBX
 * @rcx: RCX
 * @rdx: RDX
 * @rsi: RSI
 * @rdi: RDI
 * @rsp: RSP
 * @rbp: RBP
 * @r8: R8
 * @r9: R9
 * @r10: R10
 * @r11: R11
 * @r12: R12
 * @r13: R13
 * @r14: R14
 * @r15: R15
 * @rip: instruction pointer
 * @rflags: RFLAGS (bit 1 set; reserved bits clear)
 */
struct lv_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/**
 * struct lv_segment - one segment register, in descriptor form
 * @base: segment base
 * @limit: byte-granular limit (already scaled when @g is set)
 * @selector: selector
 * @type: descriptor type field (4 bits)
 * @present: P bit
 * @dpl: descriptor privilege level
 * @db: D/B bit
 * @s: S bit (1: code/data, 0: system)
 * @l: L bit (64-bit code)
 * @g: granularity bit
 * @avl: AVL bit
 * @unusable: the register holds no usable segment
 * @padding: zero
 */
struct lv_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8 type;
	__u8 present, dpl, db, s, l, g, avl;
	__u8 unusable;
	__u8 padding;
};

/**
 * struct lv_dtable - GDTR or IDTR
 * @base: table base
 * @limit: table limit
 * @padding: zero
 */
struct lv_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/**
 * struct lv_sregs - segment, control and descriptor-table registers
 * @cs: code segment
 * @ds: data segment
 * @es: extra segment
 * @fs: FS
 * @gs: GS
 * @ss: stack segment
 * @tr: task register
 * @ldt: LDTR
 * @gdt: GDTR
 * @idt: IDTR
 * @cr0: guest-visible CR0
 * @cr2: CR2
 * @cr3: CR3
 * @cr4: guest-visible CR4 (VMXE is never visible)
 * @efer: IA32_EFER; LMA must agree with LME and CR0.PG
 * @apic_base: IA32_APIC_BASE as the guest reads it
 * @reserved: zero
 */
struct lv_sregs {
	struct lv_segment cs, ds, es, fs, gs, ss;
	struct lv_segment tr, ldt;
	struct lv_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4;
	__u64 efer;
	__u64 apic_base;
	__u64 reserved[4];
};

/* ---- the run structure ------------------------------------------------- */

/* lv_run.exit_reason */
#define LV_EXIT_NONE		0
#define LV_EXIT_IO		1	/* port I/O: io */
#define LV_EXIT_MMIO		2	/* access to unbacked guest memory: mmio */
#define LV_EXIT_HLT		3	/* HLT with RFLAGS.IF=0: only NMI or INIT wakes it */
#define LV_EXIT_SHUTDOWN	4	/* triple fault */
#define LV_EXIT_HYPERCALL	5	/* LV_HC_USER: hypercall */
#define LV_EXIT_FAIL_ENTRY	6	/* VM entry failed: fail_entry */
#define LV_EXIT_INTERNAL_ERROR	7	/* the module could not handle an exit: internal */
#define LV_EXIT_INTR		8	/* a signal is pending; LV_RUN returned -EINTR */
#define LV_EXIT_IRQ_WINDOW	9	/* request_interrupt_window: the guest can take one */
#define LV_EXIT_VMX		10	/* a forwarded exit (struct lv_exit_policy): vmx */

/* lv_run.vmx.action: what the next LV_RUN does with a forwarded exit */
#define LV_VMX_RESUME		0	/* user space handled it: enter the guest */
#define LV_VMX_HANDLE		1	/* the module handles it as usual first */

#define LV_IO_IN		0
#define LV_IO_OUT		1

/* lv_run.internal.suberror */
/* data[0] = VMX exit reason (or gpa), data[1] = qualification */
#define LV_INTERNAL_UNHANDLED_EXIT	1
/* instruction not decodable: data[0] = gpa, data[1..2] = its bytes */
#define LV_INTERNAL_EMULATION		2
/* guest page walk or guest memory access failed: data[0] = gva */
#define LV_INTERNAL_GUEST_MEMORY	3
/* VMREAD/VMWRITE/VMPTRLD failed: data[0] = VM-instruction error */
#define LV_INTERNAL_VMX_ERROR		4

/* lv_run.fail_entry.check: the check that failed, where the module knows it */
#define LV_ENTRY_CHECK_UNKNOWN		0
#define LV_ENTRY_CHECK_CONTROLS		1	/* VM-instruction error 7 */
#define LV_ENTRY_CHECK_HOST_STATE	2	/* VM-instruction error 8 */
#define LV_ENTRY_CHECK_GUEST_STATE	3	/* exit reason 33 */
#define LV_ENTRY_CHECK_MSR_LOAD		4	/* exit reason 34 */
#define LV_ENTRY_CHECK_MACHINE_CHECK	5	/* exit reason 41 */

/* hypercall ABI: VMCALL with RAX = number, RBX, RCX, RDX, RSI = arguments;
 * the result comes back in RAX.
 */
#define LV_HC_API_VERSION	0	/* returns LV_API_VERSION, in the kernel */
#define LV_HC_USER		1	/* exits to user space with LV_EXIT_HYPERCALL */
#define LV_HC_ENOSYS		((__u64)-1000)	/* result of an unknown number */

/**
 * struct lv_run - shared between the module and user space, mmap()-ed from
 *	the vCPU fd at offset 0; LV_RUN fills it in before it returns
 * @exit_reason: LV_EXIT_*
 * @immediate_exit: user space sets it to make the next LV_RUN return
 *	-EINTR at once
 * @request_interrupt_window: user space sets it to get LV_EXIT_IRQ_WINDOW
 *	as soon as the guest can take an external interrupt (for LV_INTERRUPT)
 * @ready_for_interrupt_injection: out: LV_INTERRUPT would be delivered now
 * @if_flag: out: the guest's RFLAGS.IF at this exit
 * @hw_exit_reason: the VMX basic exit reason that caused this exit
 * @padding2: zero
 * @hw_qualification: its exit qualification
 * @io: for LV_EXIT_IO: @io.count items of @io.size bytes at
 *	@io.data_offset bytes from the start of this structure.  For IN,
 *	user space writes them there before the next LV_RUN.
 * @mmio: for LV_EXIT_MMIO: @mmio.len bytes at @mmio.gpa.  For a read,
 *	user space fills @mmio.data before the next LV_RUN.
 * @hypercall: for LV_EXIT_HYPERCALL: user space sets @hypercall.ret,
 *	which the guest gets in RAX
 * @fail_entry: for LV_EXIT_FAIL_ENTRY: @fail_entry.hw_reason is the raw
 *	exit reason or VM-instruction error, @fail_entry.check an
 *	LV_ENTRY_CHECK_*
 * @internal: for LV_EXIT_INTERNAL_ERROR
 * @vmx: for LV_EXIT_VMX: the raw exit (@vmx.reason, the full exit reason;
 *	@vmx.qualification; @vmx.gpa and @vmx.linear, the guest-physical and
 *	guest-linear address fields; @vmx.intr_info, @vmx.insn_len and
 *	@vmx.insn_info, the exit interruption information, instruction length
 *	and instruction information fields).  User space sets @vmx.action
 *	(LV_VMX_*) before the next LV_RUN; with LV_VMX_RESUME it has done
 *	what the instruction does (LV_SET_REGS, advancing RIP by @vmx.insn_len)
 * @pad: keeps the union at 256 bytes
 */
struct lv_run {
	__u32 exit_reason;
	__u8 immediate_exit;
	__u8 request_interrupt_window;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u32 hw_exit_reason;
	__u32 padding2;
	__u64 hw_qualification;
	union {
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		struct {
			__u64 gpa;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 padding[3];
		} mmio;
		struct {
			__u64 nr;
			__u64 args[4];
			__u64 ret;
		} hypercall;
		struct {
			__u64 hw_reason;
			__u64 qualification;
			__u32 check;
			__u32 padding;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		struct {
			__u32 reason;
			__u32 action;
			__u64 qualification;
			__u64 rip;
			__u64 gpa;
			__u64 linear;
			__u32 intr_info;
			__u32 insn_len;
			__u32 insn_info;
			__u32 padding;
		} vmx;
		char pad[256];
	};
};

/* ---- interrupts and doorbells (API 2) ------------------------------------ */

/**
 * struct lv_msi - a message-signalled interrupt (LV_SIGNAL_MSI, and the
 *	IOAPIC of user space): the write a device would make
 * @address: 0xfeeXXXXX: destination APIC ID in bits 19:12, destination
 *	mode (1: logical) in bit 2
 * @data: vector in bits 7:0, delivery mode in bits 10:8 (fixed, lowest
 *	priority, NMI, INIT or ExtINT are refused), trigger mode in bit 15
 * @flags: zero
 * @reserved: zero
 */
struct lv_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct lv_interrupt - an external interrupt from a user-space PIC
 *	(LV_INTERRUPT): only when the last exit said
 *	@ready_for_interrupt_injection
 * @vector: the vector the PIC answered the acknowledge cycle with
 * @reserved: zero
 */
struct lv_interrupt {
	__u32 vector;
	__u32 reserved;
};

#define LV_IOEVENTFD_PIO	_BITUL(0)	/* @addr is a port, else a gpa */
#define LV_IOEVENTFD_DATAMATCH	_BITUL(1)	/* only writes of @datamatch */
#define LV_IOEVENTFD_DEASSIGN	_BITUL(2)	/* remove this registration */

/**
 * struct lv_ioeventfd - a doorbell: a guest write of @len bytes at @addr
 *	signals the eventfd @fd and the guest goes on without an exit to
 *	user space (LV_IOEVENTFD)
 * @addr: port (LV_IOEVENTFD_PIO) or guest physical address, not in RAM
 * @len: 1, 2, 4 or 8 bytes (8 for MMIO only)
 * @fd: an eventfd
 * @flags: LV_IOEVENTFD_* bits
 * @padding: zero
 * @datamatch: the value written, with LV_IOEVENTFD_DATAMATCH
 * @reserved: zero
 *
 * Registrations of one VM must not overlap, except those with the same
 * address and length and different @datamatch values.
 */
struct lv_ioeventfd {
	__u64 addr;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u32 padding;
	__u64 datamatch;
	__u64 reserved[2];
};

#define LV_IRQFD_DEASSIGN	_BITUL(0)	/* remove the registration of @fd */

/**
 * struct lv_irqfd - an interrupt line: each signal of the eventfd @fd
 *	delivers the MSI @msi, injected by the kernel (LV_IRQFD).  Assigning
 *	an @fd already registered changes its message.
 * @fd: an eventfd
 * @flags: LV_IRQFD_* bits
 * @msi: the message; its rules are those of LV_SIGNAL_MSI
 */
struct lv_irqfd {
	__s32 fd;
	__u32 flags;
	struct lv_msi msi;
};

/* ---- statistics ---------------------------------------------------------- */

#define LV_NR_EXIT_REASONS	80

/**
 * struct lv_vcpu_stats - exit counts of one vCPU since it was created
 * @exits: all VM exits
 * @user_exits: exits that returned to user space
 * @last_cpu: host CPU the vCPU last ran on
 * @migrations: times the vCPU moved to another host CPU
 * @by_reason: exits by VMX basic exit reason (index < LV_NR_EXIT_REASONS)
 */
struct lv_vcpu_stats {
	__u64 exits;
	__u64 user_exits;
	__u32 last_cpu;
	__u32 migrations;
	__u64 by_reason[LV_NR_EXIT_REASONS];
};

/**
 * struct lv_vm_stats - how a VM's memory is mapped (LV_GET_VM_STATS)
 * @slots: memory slots in use
 * @pinned_pages: 4 KiB pages pinned for them
 * @ept_tables: EPT tables allocated, the root included
 * @ept_4k: 4 KiB EPT mappings
 * @ept_2m: 2 MiB EPT mappings
 * @ioeventfd_signals: guest writes that rang an LV_IOEVENTFD doorbell
 *	(each one an exit to user space saved)
 * @irqfd_injections: interrupts delivered from LV_IRQFD eventfds
 * @user_exits: LV_RUN returns to user space, all vCPUs together
 * @dma_faults: DMA of devices assigned to the VM that the IOMMU refused
 *	(VT-d primary faults: an address outside the VM's memory, or a write
 *	to a read-only slot), counted up to this call
 * @assigned_devices: PCI devices assigned to the VM now (LV_ASSIGN_DEVICE)
 * @shadow_roots: LV_VM_SHADOW: shadow address spaces (roots) cached
 * @shadow_pages: LV_VM_SHADOW: shadow table pages allocated
 * @shadow_faults: LV_VM_SHADOW: guest page faults that exited
 * @shadow_injected: LV_VM_SHADOW: of those, faults given to the guest
 *	(the rest filled in a shadow entry or went to MMIO)
 * @shadow_zaps: LV_VM_SHADOW: guest writes to its own (write-protected)
 *	page tables, each of which unprotected that table's shadow pages
 *	until the next INVLPG or CR3 load
 */
struct lv_vm_stats {
	__u64 slots;
	__u64 pinned_pages;
	__u64 ept_tables;
	__u64 ept_4k;
	__u64 ept_2m;
	__u64 ioeventfd_signals;
	__u64 irqfd_injections;
	__u64 user_exits;
	__u64 dma_faults;
	__u64 assigned_devices;
	__u64 shadow_roots;
	__u64 shadow_pages;
	__u64 shadow_faults;
	__u64 shadow_injected;
	__u64 shadow_zaps;
};

/* ---- device assignment (VT-d) -------------------------------------------- */

/**
 * struct lv_assign_device - a PCI device by segment:bus:device.function
 *	(LV_ASSIGN_DEVICE, LV_UNASSIGN_DEVICE)
 * @segment: PCI segment (domain)
 * @bus: bus number
 * @device: device number, 0 .. 31
 * @function: function number, 0 .. 7
 * @padding: zero
 * @flags: zero
 * @reserved: zero
 *
 * An assigned device's DMA addresses are guest physical addresses: the
 * IOMMU translates them through the VM's memory slots, and DMA anywhere
 * else faults.  After LV_UNASSIGN_DEVICE, or when the VM goes, every DMA of
 * the device faults until the module is unloaded.
 */
struct lv_assign_device {
	__u16 segment;
	__u8 bus;
	__u8 device;
	__u8 function;
	__u8 padding[3];
	__u32 flags;
	__u32 reserved[3];
};

#define LV_DEVICE_IRQ_NONE	0	/* tear the routing down */
#define LV_DEVICE_IRQ_MSI	1	/* the device's MSI (one vector) */
#define LV_DEVICE_IRQ_INTX	2	/* its INTx line, masked at each signal */

#define LV_DEVICE_IRQ_UNMASK	_BITUL(0)	/* INTx: unmask the line again */

/**
 * struct lv_device_irq - where an assigned device's interrupt goes
 *	(LV_SET_DEVICE_IRQ): each interrupt of the device signals the
 *	eventfd @fd in the host's interrupt handler.  Registered with
 *	LV_IRQFD, the eventfd becomes a guest MSI without a trip through
 *	user space.
 * @segment: PCI segment (domain) of a device assigned to this VM
 * @bus: bus number
 * @device: device number, 0 .. 31
 * @function: function number, 0 .. 7
 * @type: LV_DEVICE_IRQ_NONE, LV_DEVICE_IRQ_MSI or LV_DEVICE_IRQ_INTX
 * @padding: zero
 * @flags: LV_DEVICE_IRQ_UNMASK (with @type LV_DEVICE_IRQ_INTX only), or 0
 * @fd: an eventfd for LV_DEVICE_IRQ_MSI and LV_DEVICE_IRQ_INTX; -1 for
 *	LV_DEVICE_IRQ_NONE and LV_DEVICE_IRQ_UNMASK
 * @reserved: zero
 *
 * LV_DEVICE_IRQ_MSI enables the device's MSI capability with one vector
 * (the host's message: the guest's MSI setup is the controller's to
 * emulate).  LV_DEVICE_IRQ_INTX takes the device's INTx line (shared with
 * others) and needs a device that can mask it (PCI 2.3 Interrupt Disable):
 * the handler masks the line and signals once; the line stays masked
 * until an LV_DEVICE_IRQ_UNMASK request, which the controller sends when
 * the guest has handled the interrupt.  If the line is still asserted
 * then, it stays masked and @fd is signalled again at once (level
 * semantics).  LV_DEVICE_IRQ_NONE frees the host interrupt: MSI is turned
 * off, INTx left masked.  Unassigning the device and closing the VM do
 * the same.  At most one routing per device: another one needs
 * LV_DEVICE_IRQ_NONE first.
 */
struct lv_device_irq {
	__u16 segment;
	__u8 bus;
	__u8 device;
	__u8 function;
	__u8 type;
	__u16 padding;
	__u32 flags;
	__s32 fd;
	__u32 reserved[4];
};

/* ---- exit statistics, trace ring, exit policy (API 3) -------------------- */

/*
 * Exit costs are in TSC ticks of the host.  An exit's kernel cost is the
 * time the module spent on it: from the VM exit to the next VM entry, less
 * the time user space held the vCPU when the exit went there.  Its user
 * cost is that time: from LV_RUN's return to the next LV_RUN's call.
 * Histogram bucket i counts costs in [2^i, 2^(i+1)) ticks (bucket 0: 0
 * and 1); the last bucket takes everything larger.
 */
#define LV_HIST_BUCKETS		32

/**
 * struct lv_exit_reason_stats - what exits of one basic reason cost
 * @count: exits of this reason
 * @user_count: of those, exits that went to user space
 * @kernel_ticks: sum of the kernel costs of all @count exits
 * @user_ticks: sum of the user costs of the @user_count exits
 * @kernel_hist: log2 histogram of kernel costs
 * @user_hist: log2 histogram of user costs
 */
struct lv_exit_reason_stats {
	__u64 count;
	__u64 user_count;
	__u64 kernel_ticks;
	__u64 user_ticks;
	__u64 kernel_hist[LV_HIST_BUCKETS];
	__u64 user_hist[LV_HIST_BUCKETS];
};

/**
 * struct lv_exit_stats - request for exit statistics (LV_GET_EXIT_STATS on
 *	a vCPU fd: that vCPU; on a VM fd: the sum over its vCPUs)
 * @first: first basic exit reason to copy
 * @nr: reasons to copy; @first + @nr <= LV_NR_EXIT_REASONS
 * @flags: zero
 * @data: user address of @nr struct lv_exit_reason_stats, filled in
 *
 * The counters are read while the vCPUs run: each is exact, but they are
 * not one snapshot.  They never reset: take differences.
 */
struct lv_exit_stats {
	__u32 first;
	__u32 nr;
	__u64 flags;
	__u64 data;
};

/**
 * struct lv_trace_record - one VM exit in the trace ring
 * @reason: full VMX exit reason (basic reason in bits 15:0)
 * @flags: LV_TRACE_USER if the exit went to user space
 * @qualification: exit qualification
 * @rip: guest RIP at the exit
 * @gpa: guest-physical address for EPT exits, interruption information
 *	for exception and interrupt exits, else zero
 * @tsc_exit: host TSC right after the exit
 * @tsc_entry: host TSC right before the next entry
 */
struct lv_trace_record {
	__u32 reason;
	__u32 flags;
	__u64 qualification;
	__u64 rip;
	__u64 gpa;
	__u64 tsc_exit;
	__u64 tsc_entry;
};

#define LV_TRACE_USER		_BITUL(0)

/**
 * struct lv_trace_ring - head of a vCPU's exit trace ring, mmap()-ed from
 *	the vCPU fd at LV_TRACE_MMAP_OFFSET; the records follow in the next
 *	pages
 * @version: LV_TRACE_VERSION
 * @record_size: sizeof(struct lv_trace_record)
 * @nr_records: ring size, a power of two
 * @head: records written (the module; read it with acquire semantics):
 *	record i is at index i % @nr_records
 * @tail: records consumed (user space writes it, with release semantics)
 * @dropped: records lost because the ring was full: the guest is never
 *	held back
 */
struct lv_trace_ring {
	__u32 version;
	__u32 record_size;
	__u64 nr_records;
	__u64 head;
	__u64 tail;
	__u64 dropped;
};

#define LV_TRACE_VERSION	1
#define LV_TRACE_MMAP_OFFSET	4096
#define LV_TRACE_MAX_RECORDS	1048576

/**
 * struct lv_trace_setup - turn on a vCPU's trace ring (LV_TRACE_ENABLE)
 * @nr_records: ring size, a power of two from 64 to LV_TRACE_MAX_RECORDS
 * @flags: zero
 *
 * Once per vCPU; the ring lives as long as the vCPU.
 */
struct lv_trace_setup {
	__u32 nr_records;
	__u32 flags;
};

/* exits an exit policy turns on or off (struct lv_exit_policy) */
#define LV_EXITS_RDTSC		_BITULL(0)	/* RDTSC, RDTSCP (off by default) */
#define LV_EXITS_HLT		_BITULL(1)	/* HLT (on by default) */
#define LV_EXITS_PAUSE		_BITULL(2)	/* PAUSE (off by default) */
#define LV_EXITS_MWAIT		_BITULL(3)	/* MONITOR, MWAIT (on: #UD) */
#define LV_EXITS_CR3_LOAD	_BITULL(4)	/* MOV to CR3 (EPT VMs: off) */
#define LV_EXITS_CR3_STORE	_BITULL(5)	/* MOV from CR3 (EPT VMs: off) */
#define LV_EXITS_INVLPG		_BITULL(6)	/* INVLPG (EPT VMs: off) */
#define LV_EXITS_DESC_TABLE	_BITULL(7)	/* LGDT..STR (off) */
#define LV_EXITS_MSR_ALL	_BITULL(8)	/* every RDMSR/WRMSR (off: bitmap) */
#define LV_EXITS_IO_BITMAP	_BITULL(9)	/* I/O through bitmaps (off: unconditional) */
#define LV_EXITS_ALL		(_BITULL(10) - 1)

/**
 * struct lv_exit_policy - what traps (LV_SET_EXIT_POLICY on a VM fd: every
 *	vCPU that has no policy of its own; on a vCPU fd: that vCPU)
 * @exits_on: LV_EXITS_* to turn on
 * @exits_off: LV_EXITS_* to turn off; never a bit of @exits_on
 * @forward: bitmap of basic exit reasons (bit n of word n / 64) that go
 *	to user space as LV_EXIT_VMX instead of being handled in the
 *	module.  Not allowed: external interrupts, NMIs and exceptions, triple
 *	faults, interrupt and NMI windows, failed entries, and reasons the
 *	module does not know
 * @preemption_us: VMX-preemption timer quantum in microseconds: the
 *	guest exits (reason 52) at least that often.  0: the module's default
 *	(its backstop_us parameter); otherwise 10 to 1000000
 * @flags: LV_POLICY_RESET: drop the policy (a vCPU's: back to its VM's;
 *	a VM's: back to the defaults) and ignore every other field
 * @msr_exits: MSRs that exit although the module would let the guest
 *	reach them (0: none); at most LV_POLICY_MSRS
 * @reserved: zero
 *
 * The policy replaces the previous one as a whole.  Turning an exit off
 * that the VM needs (CR3 or INVLPG exits of a shadow-paging VM, HLT or
 * MWAIT exits that hardware lacks) gives EINVAL or EOPNOTSUPP.  I/O exits
 * always happen (with or without bitmaps, every port exits): no port of
 * the host is given to a guest.
 */
struct lv_exit_policy {
	__u64 exits_on;
	__u64 exits_off;
	__u64 forward[2];
	__u32 preemption_us;
	__u32 flags;
	__u32 msr_exits[8];
	__u64 reserved[4];
};

#define LV_POLICY_RESET		_BITUL(0)
#define LV_POLICY_MSRS		8

/**
 * struct lv_cpuid_entry - what CPUID returns for one leaf (LV_SET_CPUID)
 * @function: EAX input
 * @index: ECX input, with LV_CPUID_INDEXED
 * @flags: LV_CPUID_INDEXED: the entry matches @index only
 * @eax: output EAX; likewise @ebx, @ecx, @edx
 * @ebx: output EBX
 * @ecx: output ECX
 * @edx: output EDX
 * @reserved: zero
 */
struct lv_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 reserved;
};

#define LV_CPUID_INDEXED	_BITUL(0)
#define LV_CPUID_MAX_ENTRIES	64

/**
 * struct lv_cpuid_table - CPUID overrides of a VM (LV_SET_CPUID): leaves
 *	listed here return exactly these values; others keep the module's
 * @nr: entries (0 removes every override), at most LV_CPUID_MAX_ENTRIES
 * @flags: zero
 * @entries: user address of @nr struct lv_cpuid_entry
 */
struct lv_cpuid_table {
	__u32 nr;
	__u32 flags;
	__u64 entries;
};

/**
 * struct lv_msr_entry - how one MSR behaves (LV_SET_MSR_OVERRIDES)
 * @msr: MSR number
 * @action: LV_MSR_* for reads and writes
 * @value: what RDMSR returns with LV_MSR_READ_VALUE
 */
struct lv_msr_entry {
	__u32 msr;
	__u32 action;
	__u64 value;
};

#define LV_MSR_READ_VALUE	_BITUL(0)	/* RDMSR returns @value */
#define LV_MSR_READ_GP		_BITUL(1)	/* RDMSR raises #GP */
#define LV_MSR_WRITE_IGNORE	_BITUL(2)	/* WRMSR does nothing */
#define LV_MSR_WRITE_GP		_BITUL(3)	/* WRMSR raises #GP */
#define LV_MSR_MAX_ENTRIES	32

/**
 * struct lv_msr_table - MSR overrides of a VM (LV_SET_MSR_OVERRIDES): each
 *	listed MSR exits and behaves as its entry says (a side with no
 *	action keeps the module's behaviour)
 * @nr: entries (0 removes every override), at most LV_MSR_MAX_ENTRIES
 * @flags: zero
 * @entries: user address of @nr struct lv_msr_entry
 */
struct lv_msr_table {
	__u32 nr;
	__u32 flags;
	__u64 entries;
};

/* ---- ioctls -------------------------------------------------------------- */

/* system fd */
#define LV_GET_API_VERSION	_IO(LV_IOC_MAGIC, 0x00)
#define LV_GET_CAPS		_IOR(LV_IOC_MAGIC, 0x01, struct lv_caps)
#define LV_CREATE_VM		_IO(LV_IOC_MAGIC, 0x02)	/* arg: LV_VM_* */

/* VM fd */
#define LV_SET_MEMORY_REGION	_IOW(LV_IOC_MAGIC, 0x10, struct lv_memory_region)
#define LV_CREATE_VCPU		_IO(LV_IOC_MAGIC, 0x11)	/* arg: vCPU id */
#define LV_GET_VM_STATS		_IOR(LV_IOC_MAGIC, 0x12, struct lv_vm_stats)
#define LV_SIGNAL_MSI		_IOW(LV_IOC_MAGIC, 0x13, struct lv_msi)
#define LV_IOEVENTFD		_IOW(LV_IOC_MAGIC, 0x14, struct lv_ioeventfd)
#define LV_IRQFD		_IOW(LV_IOC_MAGIC, 0x15, struct lv_irqfd)
#define LV_ASSIGN_DEVICE	_IOW(LV_IOC_MAGIC, 0x16, struct lv_assign_device)
#define LV_UNASSIGN_DEVICE	_IOW(LV_IOC_MAGIC, 0x17, struct lv_assign_device)
#define LV_GET_VM_EXIT_STATS	_IOW(LV_IOC_MAGIC, 0x18, struct lv_exit_stats)
#define LV_SET_VM_EXIT_POLICY	_IOW(LV_IOC_MAGIC, 0x19, struct lv_exit_policy)
#define LV_SET_CPUID		_IOW(LV_IOC_MAGIC, 0x1a, struct lv_cpuid_table)
#define LV_SET_MSR_OVERRIDES	_IOW(LV_IOC_MAGIC, 0x1b, struct lv_msr_table)
#define LV_SET_DEVICE_IRQ	_IOW(LV_IOC_MAGIC, 0x1c, struct lv_device_irq)
/*
 * LV_SET_TSS_ADDR (shadow VMs): arg = guest-physical address, page aligned,
 * below 4 GiB, of LV_VM86_TSS_PAGES pages of RAM the guest leaves alone.
 * Without unrestricted guest, real-mode code runs in virtual-8086 mode,
 * which needs a 32-bit TSS in guest memory: labvisor writes its own there
 * each time the guest enters real mode.  Without it, real-mode code on a
 * shadow VM fails the VM (LV_EXIT_INTERNAL_ERROR).
 */
#define LV_SET_TSS_ADDR		_IO(LV_IOC_MAGIC, 0x1d)
#define LV_VM86_TSS_PAGES	3

/* vCPU fd */
#define LV_RUN			_IO(LV_IOC_MAGIC, 0x20)
#define LV_GET_REGS		_IOR(LV_IOC_MAGIC, 0x21, struct lv_regs)
#define LV_SET_REGS		_IOW(LV_IOC_MAGIC, 0x22, struct lv_regs)
#define LV_GET_SREGS		_IOR(LV_IOC_MAGIC, 0x23, struct lv_sregs)
#define LV_SET_SREGS		_IOW(LV_IOC_MAGIC, 0x24, struct lv_sregs)
#define LV_GET_STATS		_IOR(LV_IOC_MAGIC, 0x25, struct lv_vcpu_stats)
#define LV_INTERRUPT		_IOW(LV_IOC_MAGIC, 0x26, struct lv_interrupt)
#define LV_GET_EXIT_STATS	_IOW(LV_IOC_MAGIC, 0x27, struct lv_exit_stats)
#define LV_TRACE_ENABLE		_IOW(LV_IOC_MAGIC, 0x28, struct lv_trace_setup)
#define LV_SET_EXIT_POLICY	_IOW(LV_IOC_MAGIC, 0x29, struct lv_exit_policy)

#endif /* _UAPI_LINUX_LABVISOR_H */
