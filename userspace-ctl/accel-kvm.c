// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm accelerator: /dev/kvm, for comparison with labvisor.  The guest
 * sees the CPUID KVM supports minus VMX, as on labvisor.  KVM does not
 * report in-kernel exit counts through an ioctl: only the exits to user
 * space are counted (by the vCPU loop).
 *
 * With vm->irqchip the local APICs are KVM's ("split irqchip": the IOAPIC
 * and PIC stay in lvctl, as on labvisor); MSIs go through KVM_SIGNAL_MSI
 * and irqfds through MSI routes from GSI 24 up.  Without it KVM has no
 * APIC at all and every HLT exits to lvctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include "accel.h"

#define KVM_DEVICE		"/dev/kvm"
#define KVM_TSS_ADDR		0xfffbd000ULL
#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)

#define KVM_IOAPIC_PINS		24
#define KVM_MAX_MSI_ROUTES	128

/* one irqfd: its eventfd and the MSI route it fires */
struct kvm_msi_route {
	int fd;			/* -1: free */
	u64 addr;
	u32 data;
};

struct kvm_vm {
	int sys_fd;
	int vm_fd;
	int run_size;
	bool irqchip;
	pthread_mutex_t routes_lock;
	struct kvm_msi_route routes[KVM_MAX_MSI_ROUTES];
};

struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/*
 * kvm_intel chooses EPT or shadow paging for every VM at module load
 * (parameter ept): --mmu can only ask for what it is.
 */
static int kvm_check_mmu(int mmu)
{
	FILE *f;
	int c;

	if (mmu == VM_MMU_DEFAULT)
		return 0;
	f = fopen("/sys/module/kvm_intel/parameters/ept", "r");
	c = f ? fgetc(f) : EOF;
	if (f)
		fclose(f);
	if (c == EOF) {
		pr_err("--mmu: cannot read /sys/module/kvm_intel/parameters/ept (is kvm_intel loaded?)");
		return -1;
	}
	if ((c == 'Y') != (mmu == VM_MMU_EPT)) {
		pr_err("--mmu %s: kvm_intel was loaded with ept=%c; reload it with ept=%d",
		       mmu == VM_MMU_EPT ? "ept" : "shadow", c,
		       mmu == VM_MMU_EPT);
		return -1;
	}
	return 0;
}

static int kvm_vm_create(struct vm *vm)
{
	struct kvm_vm *kv;
	int version;

	kv = calloc(1, sizeof(*kv));
	if (!kv) {
		pr_err("out of memory");
		return -1;
	}
	kv->sys_fd = -1;
	kv->vm_fd = -1;
	pthread_mutex_init(&kv->routes_lock, NULL);
	for (int i = 0; i < KVM_MAX_MSI_ROUTES; i++)
		kv->routes[i].fd = -1;
	vm->accel = kv;

	if (kvm_check_mmu(vm->mmu))
		return -1;
	kv->sys_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (kv->sys_fd < 0) {
		pr_err("%s: %s", KVM_DEVICE, strerror(errno));
		return -1;
	}
	version = ioctl(kv->sys_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		pr_err("KVM_GET_API_VERSION: %d, lvctl needs %d", version,
		       KVM_API_VERSION);
		return -1;
	}
	kv->run_size = ioctl(kv->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kv->run_size < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s",
		       kv->run_size < 0 ? strerror(errno) : "too small");
		return -1;
	}
	kv->vm_fd = ioctl(kv->sys_fd, KVM_CREATE_VM, 0);
	if (kv->vm_fd < 0) {
		pr_err("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(kv->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
		pr_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (vm->irqchip) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_SPLIT_IRQCHIP,
			.args = { KVM_IOAPIC_PINS },
		};

		if (ioctl(kv->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
			pr_err("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s",
			       strerror(errno));
			return -1;
		}
		kv->irqchip = true;
	}
	return 0;
}

static int kvm_set_memory(struct vm *vm, u32 slot, u64 gpa, u64 size,
			  void *hva)
{
	struct kvm_vm *kv = vm->accel;
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)(uintptr_t)hva,
	};

	if (ioctl(kv->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		pr_err("KVM_SET_USER_MEMORY_REGION slot %u: %s", slot,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The CPUID KVM supports, with VMX hidden and the hypervisor bit set (KVM
 * leaves that to user space): guests see what labvisor shows.
 */
static int kvm_setup_cpuid(struct kvm_vm *kv, struct kvm_vcpu *kvc, int id)
{
	struct kvm_cpuid2 *cpuid = NULL;
	int nent = 64;
	u32 i;

	for (;;) {
		free(cpuid);
		cpuid = calloc(1, sizeof(*cpuid) +
				  nent * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid) {
			pr_err("out of memory");
			return -1;
		}
		cpuid->nent = nent;
		if (ioctl(kv->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG || nent >= 4096) {
			pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			free(cpuid);
			return -1;
		}
		nent *= 2;
	}
	for (i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == 1) {
			e->ecx &= ~CPUID_1_ECX_VMX;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			/* KVM emulates it, but leaves advertising it to us */
			if (kv->irqchip &&
			    ioctl(kv->sys_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_TSC_DEADLINE_TIMER) > 0)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			/* the initial APIC ID, as on labvisor */
			e->ebx = (e->ebx & 0x00ffffff) | ((u32)id << 24);
		}
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = id;
	}
	if (ioctl(kvc->fd, KVM_SET_CPUID2, cpuid) < 0) {
		pr_err("KVM_SET_CPUID2: %s", strerror(errno));
		free(cpuid);
		return -1;
	}
	free(cpuid);
	return 0;
}

static int kvm_vcpu_create(struct vcpu *vcpu)
{
	struct kvm_vm *kv = vcpu->vm->accel;
	struct kvm_vcpu *kvc;
	void *run;

	kvc = calloc(1, sizeof(*kvc));
	if (!kvc) {
		pr_err("out of memory");
		return -1;
	}
	kvc->fd = -1;
	vcpu->accel = kvc;
	kvc->fd = ioctl(kv->vm_fd, KVM_CREATE_VCPU, (unsigned long)vcpu->id);
	if (kvc->fd < 0) {
		pr_err("KVM_CREATE_VCPU %d: %s", vcpu->id, strerror(errno));
		return -1;
	}
	kvc->run_size = kv->run_size;
	run = mmap(NULL, kvc->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   kvc->fd, 0);
	if (run == MAP_FAILED) {
		pr_err("mmap of vcpu%d's kvm_run: %s", vcpu->id,
		       strerror(errno));
		return -1;
	}
	kvc->run = run;
	return kvm_setup_cpuid(kv, kvc, vcpu->id);
}

static int kvm_get_regs(struct vcpu *vcpu, struct cpu_regs *regs)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_regs r;

	if (ioctl(kvc->fd, KVM_GET_REGS, &r) < 0) {
		pr_err("KVM_GET_REGS: %s", strerror(errno));
		return -1;
	}
	_Static_assert(sizeof(r) == sizeof(*regs), "kvm_regs layout");
	memcpy(regs, &r, sizeof(r));
	return 0;
}

static int kvm_set_regs(struct vcpu *vcpu, const struct cpu_regs *regs)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_regs r;

	memcpy(&r, regs, sizeof(r));
	if (ioctl(kvc->fd, KVM_SET_REGS, &r) < 0) {
		pr_err("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void seg_from_kvm(struct cpu_segment *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->type = k->type;
	s->present = k->present;
	s->dpl = k->dpl;
	s->db = k->db;
	s->s = k->s;
	s->l = k->l;
	s->g = k->g;
	s->avl = k->avl;
	s->unusable = k->unusable;
}

static void seg_to_kvm(struct kvm_segment *k, const struct cpu_segment *s)
{
	memset(k, 0, sizeof(*k));
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->type;
	k->present = s->present;
	k->dpl = s->dpl;
	k->db = s->db;
	k->s = s->s;
	k->l = s->l;
	k->g = s->g;
	k->avl = s->avl;
	k->unusable = s->unusable;
}

static int kvm_get_sregs(struct vcpu *vcpu, struct cpu_sregs *s)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_sregs k;

	if (ioctl(kvc->fd, KVM_GET_SREGS, &k) < 0) {
		pr_err("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	seg_from_kvm(&s->cs, &k.cs);
	seg_from_kvm(&s->ds, &k.ds);
	seg_from_kvm(&s->es, &k.es);
	seg_from_kvm(&s->fs, &k.fs);
	seg_from_kvm(&s->gs, &k.gs);
	seg_from_kvm(&s->ss, &k.ss);
	seg_from_kvm(&s->tr, &k.tr);
	seg_from_kvm(&s->ldt, &k.ldt);
	s->gdt.base = k.gdt.base;
	s->gdt.limit = k.gdt.limit;
	s->idt.base = k.idt.base;
	s->idt.limit = k.idt.limit;
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

static int kvm_set_sregs(struct vcpu *vcpu, const struct cpu_sregs *s)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_sregs k;

	/* keep what the neutral form lacks (cr8, interrupt bitmap) */
	if (ioctl(kvc->fd, KVM_GET_SREGS, &k) < 0) {
		pr_err("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	seg_to_kvm(&k.cs, &s->cs);
	seg_to_kvm(&k.ds, &s->ds);
	seg_to_kvm(&k.es, &s->es);
	seg_to_kvm(&k.fs, &s->fs);
	seg_to_kvm(&k.gs, &s->gs);
	seg_to_kvm(&k.ss, &s->ss);
	seg_to_kvm(&k.tr, &s->tr);
	seg_to_kvm(&k.ldt, &s->ldt);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.efer = s->efer;
	if (s->apic_base)
		k.apic_base = s->apic_base;
	if (ioctl(kvc->fd, KVM_SET_SREGS, &k) < 0) {
		pr_err("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static const char *kvm_internal_name(u32 suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "event delivery";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	default:
		return "unknown";
	}
}

static int kvm_run_vcpu(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_run *run = kvc->run;
	u64 bytes;
	u32 i;

	if (ioctl(kvc->fd, KVM_RUN, 0) < 0) {
		memset(exit, 0, sizeof(*exit));
		exit->kind = VM_EXIT_INTR;
		exit->irq_ready = run->ready_for_interrupt_injection;
		return -1;
	}

	memset(exit, 0, sizeof(*exit));
	exit->irq_ready = run->ready_for_interrupt_injection;
	switch (run->exit_reason) {
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->kind = VM_EXIT_IRQ_WINDOW;
		exit->hw_exit_reason = 7;
		break;
	case KVM_EXIT_IO:
		bytes = (u64)run->io.count * run->io.size;
		if (run->io.data_offset > kvc->run_size ||
		    bytes > kvc->run_size - run->io.data_offset) {
			exit->kind = VM_EXIT_UNKNOWN;
			exit->unknown.reason = run->exit_reason;
			break;
		}
		exit->kind = VM_EXIT_IO;
		exit->hw_exit_reason = 30;
		exit->io.out = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.size = run->io.size;
		exit->io.port = run->io.port;
		exit->io.count = run->io.count;
		exit->io.data = (u8 *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->kind = VM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		break;
	case KVM_EXIT_HLT:
		exit->kind = VM_EXIT_HLT;
		exit->hw_exit_reason = 12;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->kind = VM_EXIT_SHUTDOWN;
		exit->hw_exit_reason = 2;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->kind = VM_EXIT_FAIL_ENTRY;
		exit->fail_entry.hw_reason =
			run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->kind = VM_EXIT_INTERNAL;
		exit->internal.suberror = run->internal.suberror;
		exit->internal.ndata = run->internal.ndata;
		exit->internal.name = kvm_internal_name(run->internal.suberror);
		if (exit->internal.ndata > 16)
			exit->internal.ndata = 16;
		for (i = 0; i < exit->internal.ndata; i++)
			exit->internal.data[i] = run->internal.data[i];
		break;
	case KVM_EXIT_INTR:
		exit->kind = VM_EXIT_INTR;
		break;
	default:
		exit->kind = VM_EXIT_UNKNOWN;
		exit->unknown.reason = run->exit_reason;
		break;
	}
	return 0;
}

static void kvm_request_exit(struct vcpu *vcpu)
{
	struct kvm_vcpu *kvc = vcpu->accel;

	if (kvc && kvc->run)
		__atomic_store_n(&kvc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

static void kvm_clear_exit_request(struct vcpu *vcpu)
{
	struct kvm_vcpu *kvc = vcpu->accel;

	if (kvc && kvc->run)
		__atomic_store_n(&kvc->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static int kvm_get_stats(struct vcpu *vcpu, struct vcpu_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->user_exits = vcpu->user_exits;
	stats->exits = vcpu->user_exits;
	return 0;
}

static int kvm_signal_msi(struct vm *vm, u64 addr, u32 data)
{
	struct kvm_vm *kv = vm->accel;
	struct kvm_msi msi = {
		.address_lo = (u32)addr,
		.address_hi = addr >> 32,
		.data = data,
	};

	if (!kv->irqchip) {
		errno = ENXIO;
		return -1;
	}
	return ioctl(kv->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

static int kvm_interrupt(struct vcpu *vcpu, u8 vector)
{
	struct kvm_vcpu *kvc = vcpu->accel;
	struct kvm_interrupt irq = { .irq = vector };

	return ioctl(kvc->fd, KVM_INTERRUPT, &irq) < 0 ? -1 : 0;
}

static void kvm_set_irq_window(struct vcpu *vcpu, bool request)
{
	struct kvm_vcpu *kvc = vcpu->accel;

	kvc->run->request_interrupt_window = request;
}

static int kvm_ioeventfd(struct vm *vm, u64 addr, u32 len, bool pio, int fd,
			 bool assign)
{
	struct kvm_vm *kv = vm->accel;
	struct kvm_ioeventfd args = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(kv->vm_fd, KVM_IOEVENTFD, &args) < 0 ? -1 : 0;
}

/* the whole MSI routing table, from the routes in use; routes_lock held */
static int kvm_commit_routes(struct kvm_vm *kv)
{
	struct kvm_irq_routing *r;
	int i, n = 0, ret;

	r = calloc(1, sizeof(*r) + KVM_MAX_MSI_ROUTES * sizeof(r->entries[0]));
	if (!r)
		return -1;
	for (i = 0; i < KVM_MAX_MSI_ROUTES; i++) {
		struct kvm_irq_routing_entry *e = &r->entries[n];

		if (kv->routes[i].fd < 0)
			continue;
		e->gsi = KVM_IOAPIC_PINS + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (u32)kv->routes[i].addr;
		e->u.msi.address_hi = kv->routes[i].addr >> 32;
		e->u.msi.data = kv->routes[i].data;
		n++;
	}
	r->nr = n;
	ret = ioctl(kv->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret < 0 ? -1 : 0;
}

static int kvm_irqfd(struct vm *vm, int fd, u64 addr, u32 data, bool assign)
{
	struct kvm_vm *kv = vm->accel;
	struct kvm_irqfd args = { .fd = fd };
	int i, slot = -1, ret = -1;

	if (!kv->irqchip) {
		errno = ENXIO;
		return -1;
	}
	pthread_mutex_lock(&kv->routes_lock);
	for (i = 0; i < KVM_MAX_MSI_ROUTES; i++)
		if (kv->routes[i].fd == fd)
			slot = i;
	if (!assign) {
		if (slot < 0) {
			errno = ENOENT;
			goto out;
		}
		args.gsi = KVM_IOAPIC_PINS + slot;
		args.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ret = ioctl(kv->vm_fd, KVM_IRQFD, &args) < 0 ? -1 : 0;
		kv->routes[slot].fd = -1;
		kvm_commit_routes(kv);
		goto out;
	}
	if (slot >= 0) {
		/* a new message for a known eventfd: change the route only */
		kv->routes[slot].addr = addr;
		kv->routes[slot].data = data;
		ret = kvm_commit_routes(kv);
		goto out;
	}
	for (i = 0; i < KVM_MAX_MSI_ROUTES && slot < 0; i++)
		if (kv->routes[i].fd < 0)
			slot = i;
	if (slot < 0) {
		errno = ENOSPC;
		goto out;
	}
	kv->routes[slot] = (struct kvm_msi_route){ fd, addr, data };
	if (kvm_commit_routes(kv)) {
		kv->routes[slot].fd = -1;
		goto out;
	}
	args.gsi = KVM_IOAPIC_PINS + slot;
	ret = ioctl(kv->vm_fd, KVM_IRQFD, &args) < 0 ? -1 : 0;
	if (ret)
		kv->routes[slot].fd = -1;
out:
	pthread_mutex_unlock(&kv->routes_lock);
	return ret;
}

static void kvm_vcpu_destroy(struct vcpu *vcpu)
{
	struct kvm_vcpu *kvc = vcpu->accel;

	if (!kvc)
		return;
	if (kvc->run)
		munmap(kvc->run, kvc->run_size);
	if (kvc->fd >= 0)
		close(kvc->fd);
	free(kvc);
	vcpu->accel = NULL;
}

static void kvm_vm_destroy(struct vm *vm)
{
	struct kvm_vm *kv = vm->accel;

	if (!kv)
		return;
	if (kv->vm_fd >= 0)
		close(kv->vm_fd);
	if (kv->sys_fd >= 0)
		close(kv->sys_fd);
	free(kv);
	vm->accel = NULL;
}

const struct accel_ops accel_kvm_ops = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.set_memory = kvm_set_memory,
	.vcpu_create = kvm_vcpu_create,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.run = kvm_run_vcpu,
	.request_exit = kvm_request_exit,
	.clear_exit_request = kvm_clear_exit_request,
	.get_stats = kvm_get_stats,
	.signal_msi = kvm_signal_msi,
	.interrupt = kvm_interrupt,
	.set_irq_window = kvm_set_irq_window,
	.ioeventfd = kvm_ioeventfd,
	.irqfd = kvm_irqfd,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vm_destroy = kvm_vm_destroy,
};
