// SPDX-License-Identifier: GPL-2.0
/*
 * The labvisor accelerator: /dev/labvisor, uapi/linux/labvisor.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/labvisor.h>

#include "accel.h"
#include "exitcfg.h"
#include "loader.h"

#define LV_DEVICE	"/dev/labvisor"

struct lv_vm {
	int sys_fd;
	int vm_fd;
	struct lv_caps caps;
	bool shadow;		/* an LV_VM_SHADOW VM */
};

struct lv_vcpu {
	int fd;
	struct lv_run *run;
	size_t run_size;
};

static int lv_vm_create(struct vm *vm)
{
	struct lv_vm *lv;
	unsigned long type;
	int version;

	lv = calloc(1, sizeof(*lv));
	if (!lv) {
		pr_err("out of memory");
		return -1;
	}
	lv->sys_fd = -1;
	lv->vm_fd = -1;
	vm->accel = lv;

	lv->sys_fd = open(LV_DEVICE, O_RDWR | O_CLOEXEC);
	if (lv->sys_fd < 0) {
		pr_err("%s: %s (is labvisor.ko loaded?)", LV_DEVICE,
		       strerror(errno));
		return -1;
	}
	version = ioctl(lv->sys_fd, LV_GET_API_VERSION, 0);
	if (version < 0) {
		pr_err("LV_GET_API_VERSION: %s", strerror(errno));
		return -1;
	}
	if (version != LV_API_VERSION) {
		pr_err("labvisor API version %d, lvctl needs %d", version,
		       LV_API_VERSION);
		return -1;
	}
	if (ioctl(lv->sys_fd, LV_GET_CAPS, &lv->caps) < 0) {
		pr_err("LV_GET_CAPS: %s", strerror(errno));
		return -1;
	}
	if (lv->caps.run_mmap_size < sizeof(struct lv_run)) {
		pr_err("LV_GET_CAPS: run_mmap_size %u is smaller than struct lv_run",
		       lv->caps.run_mmap_size);
		return -1;
	}
	if (vm->mmu == VM_MMU_EPT && !(lv->caps.flags & LV_CAP_EPT)) {
		pr_err("--mmu ept: this CPU lacks EPT (or unrestricted guest); try --mmu shadow");
		return -1;
	} else if (vm->mmu == VM_MMU_SHADOW && !(lv->caps.flags & LV_CAP_SHADOW)) {
		pr_err("--mmu shadow: this labvisor has no shadow paging");
		return -1;
	} else if (vm->mmu != VM_MMU_SHADOW && (lv->caps.flags & LV_CAP_EPT)) {
		type = LV_VM_EPT;
	} else if (lv->caps.flags & LV_CAP_SHADOW) {
		type = LV_VM_SHADOW;
	} else {
		pr_err("labvisor offers neither EPT nor shadow paging");
		return -1;
	}
	lv->shadow = type == LV_VM_SHADOW;
	lv->vm_fd = ioctl(lv->sys_fd, LV_CREATE_VM, type);
	if (lv->vm_fd < 0) {
		pr_err("LV_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int lv_set_memory(struct vm *vm, u32 slot, u64 gpa, u64 size,
			 void *hva)
{
	struct lv_vm *lv = vm->accel;
	struct lv_memory_region region = {
		.slot = slot,
		.flags = 0,
		.gpa = gpa,
		.size = size,
		.uaddr = (u64)(uintptr_t)hva,
	};

	if (ioctl(lv->vm_fd, LV_SET_MEMORY_REGION, &region) < 0) {
		pr_err("LV_SET_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx: %s",
		       slot, (unsigned long long)gpa,
		       (unsigned long long)size, strerror(errno));
		return -1;
	}
	/* real-mode code of a shadow VM (APs after SIPI) needs the TSS pages */
	if (lv->shadow && (lv->caps.flags & LV_CAP_VM86) &&
	    gpa <= LVCTL_VM86_TSS &&
	    gpa + size >= LVCTL_VM86_TSS + LV_VM86_TSS_PAGES * 4096ULL &&
	    ioctl(lv->vm_fd, LV_SET_TSS_ADDR, LVCTL_VM86_TSS) < 0) {
		pr_err("LV_SET_TSS_ADDR 0x%llx: %s",
		       (unsigned long long)LVCTL_VM86_TSS, strerror(errno));
		return -1;
	}
	return 0;
}

static int lv_vcpu_create(struct vcpu *vcpu)
{
	struct lv_vm *lv = vcpu->vm->accel;
	struct lv_vcpu *lvc;
	void *run;

	lvc = calloc(1, sizeof(*lvc));
	if (!lvc) {
		pr_err("out of memory");
		return -1;
	}
	lvc->fd = -1;
	vcpu->accel = lvc;
	lvc->fd = ioctl(lv->vm_fd, LV_CREATE_VCPU, (unsigned long)vcpu->id);
	if (lvc->fd < 0) {
		pr_err("LV_CREATE_VCPU %d: %s", vcpu->id, strerror(errno));
		return -1;
	}
	lvc->run_size = lv->caps.run_mmap_size;
	run = mmap(NULL, lvc->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   lvc->fd, 0);
	if (run == MAP_FAILED) {
		pr_err("mmap of vcpu%d's run page: %s", vcpu->id,
		       strerror(errno));
		return -1;
	}
	lvc->run = run;
	return 0;
}

static int lv_get_regs(struct vcpu *vcpu, struct cpu_regs *regs)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_regs r;

	if (ioctl(lvc->fd, LV_GET_REGS, &r) < 0) {
		pr_err("LV_GET_REGS: %s", strerror(errno));
		return -1;
	}
	_Static_assert(sizeof(r) == sizeof(*regs), "lv_regs layout");
	memcpy(regs, &r, sizeof(r));
	return 0;
}

static int lv_set_regs(struct vcpu *vcpu, const struct cpu_regs *regs)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_regs r;

	memcpy(&r, regs, sizeof(r));
	if (ioctl(lvc->fd, LV_SET_REGS, &r) < 0) {
		pr_err("LV_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void seg_from_lv(struct cpu_segment *s, const struct lv_segment *l)
{
	s->base = l->base;
	s->limit = l->limit;
	s->selector = l->selector;
	s->type = l->type;
	s->present = l->present;
	s->dpl = l->dpl;
	s->db = l->db;
	s->s = l->s;
	s->l = l->l;
	s->g = l->g;
	s->avl = l->avl;
	s->unusable = l->unusable;
}

static void seg_to_lv(struct lv_segment *l, const struct cpu_segment *s)
{
	memset(l, 0, sizeof(*l));
	l->base = s->base;
	l->limit = s->limit;
	l->selector = s->selector;
	l->type = s->type;
	l->present = s->present;
	l->dpl = s->dpl;
	l->db = s->db;
	l->s = s->s;
	l->l = s->l;
	l->g = s->g;
	l->avl = s->avl;
	l->unusable = s->unusable;
}

static int lv_get_sregs(struct vcpu *vcpu, struct cpu_sregs *s)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_sregs l;

	if (ioctl(lvc->fd, LV_GET_SREGS, &l) < 0) {
		pr_err("LV_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	seg_from_lv(&s->cs, &l.cs);
	seg_from_lv(&s->ds, &l.ds);
	seg_from_lv(&s->es, &l.es);
	seg_from_lv(&s->fs, &l.fs);
	seg_from_lv(&s->gs, &l.gs);
	seg_from_lv(&s->ss, &l.ss);
	seg_from_lv(&s->tr, &l.tr);
	seg_from_lv(&s->ldt, &l.ldt);
	s->gdt.base = l.gdt.base;
	s->gdt.limit = l.gdt.limit;
	s->idt.base = l.idt.base;
	s->idt.limit = l.idt.limit;
	s->cr0 = l.cr0;
	s->cr2 = l.cr2;
	s->cr3 = l.cr3;
	s->cr4 = l.cr4;
	s->efer = l.efer;
	s->apic_base = l.apic_base;
	return 0;
}

static int lv_set_sregs(struct vcpu *vcpu, const struct cpu_sregs *s)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_sregs l;

	memset(&l, 0, sizeof(l));
	seg_to_lv(&l.cs, &s->cs);
	seg_to_lv(&l.ds, &s->ds);
	seg_to_lv(&l.es, &s->es);
	seg_to_lv(&l.fs, &s->fs);
	seg_to_lv(&l.gs, &s->gs);
	seg_to_lv(&l.ss, &s->ss);
	seg_to_lv(&l.tr, &s->tr);
	seg_to_lv(&l.ldt, &s->ldt);
	l.gdt.base = s->gdt.base;
	l.gdt.limit = s->gdt.limit;
	l.idt.base = s->idt.base;
	l.idt.limit = s->idt.limit;
	l.cr0 = s->cr0;
	l.cr2 = s->cr2;
	l.cr3 = s->cr3;
	l.cr4 = s->cr4;
	l.efer = s->efer;
	l.apic_base = s->apic_base;
	if (!l.apic_base) {
		/* 0: keep the vCPU's APIC base, as the kvm accelerator does */
		struct lv_sregs cur;

		if (ioctl(lvc->fd, LV_GET_SREGS, &cur) < 0) {
			pr_err("LV_GET_SREGS: %s", strerror(errno));
			return -1;
		}
		l.apic_base = cur.apic_base;
	}
	if (ioctl(lvc->fd, LV_SET_SREGS, &l) < 0) {
		pr_err("LV_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static const char *lv_internal_name(u32 suberror)
{
	switch (suberror) {
	case LV_INTERNAL_UNHANDLED_EXIT:
		return "unhandled exit";
	case LV_INTERNAL_EMULATION:
		return "emulation";
	case LV_INTERNAL_GUEST_MEMORY:
		return "guest memory";
	case LV_INTERNAL_VMX_ERROR:
		return "vmx error";
	default:
		return "unknown";
	}
}

static void lv_exit_unknown(struct vm_exit *exit, u32 reason)
{
	exit->kind = VM_EXIT_UNKNOWN;
	exit->unknown.reason = reason;
}

static int lv_run(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_run *run = lvc->run;
	u64 bytes;
	u32 i;

	if (ioctl(lvc->fd, LV_RUN, 0) < 0) {
		/* a signal: the interrupt fields are still filled in */
		memset(exit, 0, sizeof(*exit));
		exit->kind = VM_EXIT_INTR;
		exit->irq_ready = run->ready_for_interrupt_injection;
		return -1;
	}

	memset(exit, 0, sizeof(*exit));
	exit->hw_exit_reason = run->hw_exit_reason;
	exit->hw_qualification = run->hw_qualification;
	exit->irq_ready = run->ready_for_interrupt_injection;
	switch (run->exit_reason) {
	case LV_EXIT_IRQ_WINDOW:
		exit->kind = VM_EXIT_IRQ_WINDOW;
		break;
	case LV_EXIT_IO:
		bytes = (u64)run->io.count * run->io.size;
		if (run->io.data_offset > lvc->run_size ||
		    bytes > lvc->run_size - run->io.data_offset) {
			lv_exit_unknown(exit, run->exit_reason);
			break;
		}
		exit->kind = VM_EXIT_IO;
		exit->io.out = run->io.direction == LV_IO_OUT;
		exit->io.size = run->io.size;
		exit->io.port = run->io.port;
		exit->io.count = run->io.count;
		exit->io.data = (u8 *)run + run->io.data_offset;
		break;
	case LV_EXIT_MMIO:
		exit->kind = VM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.gpa;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		break;
	case LV_EXIT_HLT:
		exit->kind = VM_EXIT_HLT;
		break;
	case LV_EXIT_SHUTDOWN:
		exit->kind = VM_EXIT_SHUTDOWN;
		break;
	case LV_EXIT_HYPERCALL:
		exit->kind = VM_EXIT_HYPERCALL;
		exit->hypercall.nr = run->hypercall.nr;
		for (i = 0; i < 4; i++)
			exit->hypercall.args[i] = run->hypercall.args[i];
		exit->hypercall.ret = (u64 *)&run->hypercall.ret;
		break;
	case LV_EXIT_FAIL_ENTRY:
		exit->kind = VM_EXIT_FAIL_ENTRY;
		exit->fail_entry.hw_reason = run->fail_entry.hw_reason;
		exit->fail_entry.qualification = run->fail_entry.qualification;
		exit->fail_entry.check = run->fail_entry.check;
		break;
	case LV_EXIT_INTERNAL_ERROR:
		exit->kind = VM_EXIT_INTERNAL;
		exit->internal.suberror = run->internal.suberror;
		exit->internal.ndata = run->internal.ndata;
		exit->internal.name = lv_internal_name(run->internal.suberror);
		if (exit->internal.ndata > 16)
			exit->internal.ndata = 16;
		for (i = 0; i < exit->internal.ndata; i++)
			exit->internal.data[i] = run->internal.data[i];
		break;
	case LV_EXIT_INTR:
		exit->kind = VM_EXIT_INTR;
		break;
	case LV_EXIT_VMX:
		exit->kind = VM_EXIT_FORWARDED;
		exit->forwarded.reason = run->vmx.reason & 0xffff;
		exit->forwarded.qualification = run->vmx.qualification;
		exit->forwarded.rip = run->vmx.rip;
		exit->forwarded.gpa = run->vmx.gpa;
		/* lvctl only looks: the module handles it as usual */
		run->vmx.action = LV_VMX_HANDLE;
		break;
	default:
		lv_exit_unknown(exit, run->exit_reason);
		break;
	}
	return 0;
}

static void lv_request_exit(struct vcpu *vcpu)
{
	struct lv_vcpu *lvc = vcpu->accel;

	if (lvc && lvc->run)
		__atomic_store_n(&lvc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

static void lv_clear_exit_request(struct vcpu *vcpu)
{
	struct lv_vcpu *lvc = vcpu->accel;

	if (lvc && lvc->run)
		__atomic_store_n(&lvc->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static int lv_get_stats(struct vcpu *vcpu, struct vcpu_stats *stats)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_vcpu_stats s;
	int i;

	if (ioctl(lvc->fd, LV_GET_STATS, &s) < 0) {
		pr_err("LV_GET_STATS: %s", strerror(errno));
		return -1;
	}
	memset(stats, 0, sizeof(*stats));
	stats->exits = s.exits;
	stats->user_exits = s.user_exits;
	stats->has_kernel_counts = true;
	stats->has_last_cpu = true;
	stats->last_cpu = s.last_cpu;
	stats->migrations = s.migrations;
	for (i = 0; i < LV_NR_EXIT_REASONS && i < ACCEL_NR_REASONS; i++)
		stats->by_reason[i] = s.by_reason[i];
	return 0;
}

static int lv_set_exit_config(struct vm *vm, const struct exit_config *cfg)
{
	struct lv_vm *lv = vm->accel;
	struct lv_cpuid_table cpuid = {
		.nr = cfg->nr_cpuid,
		.entries = (u64)(uintptr_t)cfg->cpuid,
	};
	struct lv_msr_table msrs = {
		.nr = cfg->nr_msrs,
		.entries = (u64)(uintptr_t)cfg->msrs,
	};

	if (cfg->policy &&
	    ioctl(lv->vm_fd, LV_SET_VM_EXIT_POLICY, &cfg->pol) < 0) {
		pr_err("LV_SET_VM_EXIT_POLICY: %s (the module refused the --exits/--forward/--preemption-us/--msr-exit policy; dmesg says why)",
		       strerror(errno));
		return -1;
	}
	if (cfg->nr_cpuid && ioctl(lv->vm_fd, LV_SET_CPUID, &cpuid) < 0) {
		pr_err("LV_SET_CPUID: %s (the module refused the --cpuid table; dmesg says why)",
		       strerror(errno));
		return -1;
	}
	if (cfg->nr_msrs && ioctl(lv->vm_fd, LV_SET_MSR_OVERRIDES, &msrs) < 0) {
		pr_err("LV_SET_MSR_OVERRIDES: %s (the module refused the --msr table; dmesg says why)",
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int lv_trace_enable(struct vcpu *vcpu, u32 nr_records,
			   struct lv_trace_ring **ring, size_t *size)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_trace_setup setup = { .nr_records = nr_records };
	size_t page = 4096, len;
	struct lv_trace_ring *r;
	void *p;

	if (ioctl(lvc->fd, LV_TRACE_ENABLE, &setup) < 0) {
		pr_err("LV_TRACE_ENABLE on vcpu%d (%u records): %s", vcpu->id,
		       nr_records, strerror(errno));
		return -1;
	}
	len = page + (((size_t)nr_records * sizeof(struct lv_trace_record) +
		       page - 1) & ~(page - 1));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, lvc->fd,
		 LV_TRACE_MMAP_OFFSET);
	if (p == MAP_FAILED) {
		pr_err("mmap of vcpu%d's trace ring: %s", vcpu->id,
		       strerror(errno));
		return -1;
	}
	r = p;
	if (r->version != LV_TRACE_VERSION ||
	    r->record_size != sizeof(struct lv_trace_record) ||
	    r->nr_records != nr_records) {
		pr_err("vcpu%d's trace ring: version %u, record size %u, %llu records: lvctl expects %u, %zu, %u",
		       vcpu->id, r->version, r->record_size,
		       (unsigned long long)r->nr_records, LV_TRACE_VERSION,
		       sizeof(struct lv_trace_record), nr_records);
		munmap(p, len);
		return -1;
	}
	*ring = r;
	*size = len;
	return 0;
}

static int lv_get_exit_stats(struct vm *vm, int vcpu,
			     struct lv_exit_reason_stats *out, u32 nr,
			     const char **mode)
{
	struct lv_vm *lv = vm->accel;
	struct lv_exit_stats req = {
		.first = 0,
		.nr = nr,
		.data = (u64)(uintptr_t)out,
	};
	int fd = lv->vm_fd;
	unsigned long cmd = LV_GET_VM_EXIT_STATS;

	if (vcpu >= 0) {
		struct lv_vcpu *lvc = vm->vcpus[vcpu].accel;

		fd = lvc->fd;
		cmd = LV_GET_EXIT_STATS;
	}
	if (ioctl(fd, cmd, &req) < 0) {
		pr_err("%s: %s", vcpu >= 0 ? "LV_GET_EXIT_STATS" :
		       "LV_GET_VM_EXIT_STATS", strerror(errno));
		return -1;
	}
	*mode = lv->shadow ? "shadow" : "ept";
	return 0;
}

static void lv_print_vm_stats(struct vm *vm, FILE *f)
{
	struct lv_vm *lv = vm->accel;
	struct lv_vm_stats s;

	if (!lv || ioctl(lv->vm_fd, LV_GET_VM_STATS, &s) < 0)
		return;
	fprintf(f, "lvctl: memory: %llu slot(s), %llu pages pinned; EPT: %llu tables, %llu x 4 KiB + %llu x 2 MiB mappings\n",
		(unsigned long long)s.slots, (unsigned long long)s.pinned_pages,
		(unsigned long long)s.ept_tables, (unsigned long long)s.ept_4k,
		(unsigned long long)s.ept_2m);
	fprintf(f, "lvctl: fast path: %llu doorbell(s) by ioeventfd, %llu interrupt(s) by irqfd, %llu exit(s) to user space\n",
		(unsigned long long)s.ioeventfd_signals,
		(unsigned long long)s.irqfd_injections,
		(unsigned long long)s.user_exits);
	if (lv->shadow)
		fprintf(f, "lvctl: shadow MMU: %llu root(s), %llu table page(s); %llu page fault(s), %llu given to the guest; %llu guest page-table write(s) unprotected shadows\n",
			(unsigned long long)s.shadow_roots,
			(unsigned long long)s.shadow_pages,
			(unsigned long long)s.shadow_faults,
			(unsigned long long)s.shadow_injected,
			(unsigned long long)s.shadow_zaps);
	if (s.assigned_devices || s.dma_faults)
		fprintf(f, "lvctl: devices: %llu assigned, %llu DMA fault(s)\n",
			(unsigned long long)s.assigned_devices,
			(unsigned long long)s.dma_faults);
}

static int lv_assign_device(struct vm *vm, u16 segment, u8 bus, u8 device,
			    u8 function)
{
	struct lv_vm *lv = vm->accel;
	struct lv_assign_device a = {
		.segment = segment,
		.bus = bus,
		.device = device,
		.function = function,
	};

	if (ioctl(lv->vm_fd, LV_ASSIGN_DEVICE, &a) < 0) {
		pr_err("LV_ASSIGN_DEVICE %04x:%02x:%02x.%u: %s (dmesg says why)",
		       segment, bus, device, function, strerror(errno));
		return -1;
	}
	return 0;
}

static int lv_device_msi(struct vm *vm, u16 segment, u8 bus, u8 device,
			 u8 function, int fd)
{
	struct lv_vm *lv = vm->accel;
	struct lv_device_irq r = {
		.segment = segment,
		.bus = bus,
		.device = device,
		.function = function,
		.type = fd >= 0 ? LV_DEVICE_IRQ_MSI : LV_DEVICE_IRQ_NONE,
		.fd = fd >= 0 ? fd : -1,
	};

	if (ioctl(lv->vm_fd, LV_SET_DEVICE_IRQ, &r) < 0) {
		pr_err("LV_SET_DEVICE_IRQ %04x:%02x:%02x.%u %s: %s (dmesg says why)",
		       segment, bus, device, function, fd >= 0 ? "MSI" : "off",
		       strerror(errno));
		return -1;
	}
	return 0;
}

static int lv_signal_msi(struct vm *vm, u64 addr, u32 data)
{
	struct lv_vm *lv = vm->accel;
	struct lv_msi msi = { .address = addr, .data = data };

	return ioctl(lv->vm_fd, LV_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

static int lv_interrupt(struct vcpu *vcpu, u8 vector)
{
	struct lv_vcpu *lvc = vcpu->accel;
	struct lv_interrupt irq = { .vector = vector };

	return ioctl(lvc->fd, LV_INTERRUPT, &irq) < 0 ? -1 : 0;
}

static void lv_set_irq_window(struct vcpu *vcpu, bool request)
{
	struct lv_vcpu *lvc = vcpu->accel;

	lvc->run->request_interrupt_window = request;
}

static int lv_ioeventfd(struct vm *vm, u64 addr, u32 len, bool pio, int fd,
			bool assign)
{
	struct lv_vm *lv = vm->accel;
	struct lv_ioeventfd args = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? LV_IOEVENTFD_PIO : 0) |
			 (assign ? 0 : LV_IOEVENTFD_DEASSIGN),
	};

	return ioctl(lv->vm_fd, LV_IOEVENTFD, &args) < 0 ? -1 : 0;
}

static int lv_irqfd(struct vm *vm, int fd, u64 addr, u32 data, bool assign)
{
	struct lv_vm *lv = vm->accel;
	struct lv_irqfd args = {
		.fd = fd,
		.flags = assign ? 0 : LV_IRQFD_DEASSIGN,
		.msi = { .address = assign ? addr : 0, .data = assign ? data : 0 },
	};

	return ioctl(lv->vm_fd, LV_IRQFD, &args) < 0 ? -1 : 0;
}

static void lv_vcpu_destroy(struct vcpu *vcpu)
{
	struct lv_vcpu *lvc = vcpu->accel;

	if (!lvc)
		return;
	if (lvc->run)
		munmap(lvc->run, lvc->run_size);
	if (lvc->fd >= 0)
		close(lvc->fd);
	free(lvc);
	vcpu->accel = NULL;
}

static void lv_vm_destroy(struct vm *vm)
{
	struct lv_vm *lv = vm->accel;

	if (!lv)
		return;
	if (lv->vm_fd >= 0)
		close(lv->vm_fd);
	if (lv->sys_fd >= 0)
		close(lv->sys_fd);
	free(lv);
	vm->accel = NULL;
}

const struct accel_ops accel_labvisor_ops = {
	.name = "labvisor",
	.vm_create = lv_vm_create,
	.set_memory = lv_set_memory,
	.assign_device = lv_assign_device,
	.device_msi = lv_device_msi,
	.vcpu_create = lv_vcpu_create,
	.get_regs = lv_get_regs,
	.set_regs = lv_set_regs,
	.get_sregs = lv_get_sregs,
	.set_sregs = lv_set_sregs,
	.run = lv_run,
	.request_exit = lv_request_exit,
	.clear_exit_request = lv_clear_exit_request,
	.get_stats = lv_get_stats,
	.print_vm_stats = lv_print_vm_stats,
	.set_exit_config = lv_set_exit_config,
	.trace_enable = lv_trace_enable,
	.get_exit_stats = lv_get_exit_stats,
	.signal_msi = lv_signal_msi,
	.interrupt = lv_interrupt,
	.set_irq_window = lv_set_irq_window,
	.ioeventfd = lv_ioeventfd,
	.irqfd = lv_irqfd,
	.vcpu_destroy = lv_vcpu_destroy,
	.vm_destroy = lv_vm_destroy,
};
