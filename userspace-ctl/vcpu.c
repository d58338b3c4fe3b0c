// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU threads: one per vCPU, each running the exit loop.  SIGINT and
 * SIGTERM are blocked everywhere but in vCPU threads, so they interrupt
 * LV_RUN/KVM_RUN; the handler also sets immediate_exit to close the race
 * with a signal that arrives just before the ioctl.  vm_stop() kicks the
 * other vCPU threads the same way with SIGUSR1 (VCPU_KICK_SIGNAL), whose
 * handler does nothing: only the interrupted ioctl matters.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <linux/labvisor.h>

#include "accel.h"
#include "platform.h"
#include "stats.h"

#define VCPU_KICK_SIGNAL	SIGUSR1

static volatile sig_atomic_t stop_signal;
static __thread struct vcpu *current_vcpu;

struct vcpu *vcpu_current(void)
{
	return current_vcpu;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

/* Make @vcpu's thread leave its run ioctl (it then sees the VM stopped). */
void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	vcpu->vm->ops->request_exit(vcpu);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

static void vcpu_signal_handler(int sig)
{
	struct vcpu *vcpu = current_vcpu;

	stop_signal = sig;
	if (vcpu)
		vcpu->vm->ops->request_exit(vcpu);
}

/* Main thread, before creating vCPU threads: they inherit the mask. */
void vcpu_signals_setup(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_signal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the run ioctl must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = vcpu_kick_handler;
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static const char *entry_check_name(u32 check)
{
	switch (check) {
	case LV_ENTRY_CHECK_CONTROLS:
		return "controls";
	case LV_ENTRY_CHECK_HOST_STATE:
		return "host state";
	case LV_ENTRY_CHECK_GUEST_STATE:
		return "guest state";
	case LV_ENTRY_CHECK_MSR_LOAD:
		return "msr load";
	case LV_ENTRY_CHECK_MACHINE_CHECK:
		return "machine check";
	default:
		return "unknown";
	}
}

static void handle_io(struct vcpu *vcpu, struct vm_exit *e)
{
	u32 i;

	for (i = 0; i < e->io.count; i++) {
		u8 *data = e->io.data + (size_t)i * e->io.size;

		if (!bus_dispatch(&vcpu->vm->io_bus, e->io.port, data,
				  e->io.size, e->io.out)) {
			if (vcpu->vm->pc_bus) {
				/* nothing decodes it: reads float high */
				if (!e->io.out)
					memset(data, 0xff, e->io.size);
				vm_note_unassigned(vcpu->vm, "port", e->io.port);
				continue;
			}
			vm_stop(vcpu->vm, LVCTL_EXIT_FAILED,
				"unhandled exit: io %s port 0x%x size %u",
				e->io.out ? "out" : "in", e->io.port,
				e->io.size);
			return;
		}
		if (vm_is_stopped(vcpu->vm))
			return;
	}
}

static void handle_mmio(struct vcpu *vcpu, struct vm_exit *e)
{
	if (vcpu->vm->pc_bus && e->mmio.len && e->mmio.len <= 8 &&
	    !bus_find(&vcpu->vm->mmio_bus, e->mmio.gpa)) {
		if (!e->mmio.is_write)
			memset(e->mmio.data, 0xff, e->mmio.len);
		vm_note_unassigned(vcpu->vm, "gpa", e->mmio.gpa);
		return;
	}
	if (e->mmio.len == 0 || e->mmio.len > 8 ||
	    !bus_dispatch(&vcpu->vm->mmio_bus, e->mmio.gpa, e->mmio.data,
			  e->mmio.len, e->mmio.is_write))
		vm_stop(vcpu->vm, LVCTL_EXIT_FAILED,
			"unhandled exit: mmio %s gpa 0x%llx len %u",
			e->mmio.is_write ? "write" : "read",
			(unsigned long long)e->mmio.gpa, e->mmio.len);
}

static void handle_internal(struct vcpu *vcpu, struct vm_exit *e)
{
	char data[16 * 20] = "";
	size_t len = 0;
	u32 i;

	for (i = 0; i < e->internal.ndata && len < sizeof(data); i++)
		len += snprintf(data + len, sizeof(data) - len, " 0x%llx",
				(unsigned long long)e->internal.data[i]);
	vm_stop(vcpu->vm, LVCTL_EXIT_FAILED,
		"internal error: suberror %u (%s), data%s",
		e->internal.suberror,
		e->internal.name ? e->internal.name : "unknown",
		e->internal.ndata ? data : " none");
}

/*
 * An exit the policy forwards (LV_EXIT_VMX): counted, the first few of
 * the VM printed; the accelerator has already asked the module to
 * handle it as usual on the next run.
 */
static void handle_forwarded(struct vcpu *vcpu, struct vm_exit *e)
{
	const char *name = vmx_exit_reason_name(e->forwarded.reason);

	if (e->forwarded.reason < ARRAY_SIZE(vcpu->forwarded))
		vcpu->forwarded[e->forwarded.reason]++;
	if (__atomic_fetch_add(&vcpu->vm->forwarded_printed, 1,
			       __ATOMIC_RELAXED) >= LVCTL_FORWARDED_PRINT)
		return;
	fprintf(stderr, "lvctl: forwarded exit %u %s qualification 0x%llx rip 0x%llx\n",
		e->forwarded.reason, name ? name : "unknown",
		(unsigned long long)e->forwarded.qualification,
		(unsigned long long)e->forwarded.rip);
}

/* One exit; the VM is stopped (vm_stop) when the loop must end. */
static void vcpu_handle_exit(struct vcpu *vcpu, struct vm_exit *e)
{
	struct vm *vm = vcpu->vm;
	const char *hw_name;

	if ((unsigned int)e->kind < 16)
		vcpu->exit_kinds[e->kind]++;
	/* any other exit means that NMI or INIT woke the vCPU up */
	if (vcpu->halted && e->kind != VM_EXIT_HLT && e->kind != VM_EXIT_INTR)
		vm_set_halted(vcpu, false);
	switch (e->kind) {
	case VM_EXIT_IO:
		handle_io(vcpu, e);
		break;
	case VM_EXIT_MMIO:
		handle_mmio(vcpu, e);
		break;
	case VM_EXIT_HLT:
		/*
		 * HLT with IF=0: only NMI or INIT wakes this vCPU.  The VM is
		 * over when every vCPU is there; until then the next run
		 * sleeps in the kernel.
		 */
		if (vm->nr_vcpus <= 1)
			vm_stop(vm, LVCTL_EXIT_HLT, "hlt");
		else if (vm_set_halted(vcpu, true))
			vm_stop(vm, LVCTL_EXIT_HLT,
				"hlt (all %d vCPUs halted with interrupts off)",
				vm->nr_vcpus);
		break;
	case VM_EXIT_SHUTDOWN:
		vm_stop(vm, LVCTL_EXIT_SHUTDOWN, "shutdown (triple fault)");
		break;
	case VM_EXIT_HYPERCALL:
		*e->hypercall.ret = hypercall_user(e->hypercall.nr,
						   e->hypercall.args);
		break;
	case VM_EXIT_FAIL_ENTRY:
		vm_stop(vm, LVCTL_EXIT_FAILED,
			"failed VM entry: hw reason 0x%llx, qualification 0x%llx, check %s",
			(unsigned long long)e->fail_entry.hw_reason,
			(unsigned long long)e->fail_entry.qualification,
			entry_check_name(e->fail_entry.check));
		break;
	case VM_EXIT_INTERNAL:
		handle_internal(vcpu, e);
		break;
	case VM_EXIT_INTR:
		/* the loop looks at stop_signal */
		break;
	case VM_EXIT_IRQ_WINDOW:
		/* the loop injects the PIC's interrupt next */
		break;
	case VM_EXIT_FORWARDED:
		handle_forwarded(vcpu, e);
		break;
	default:
		hw_name = vmx_exit_reason_name(e->hw_exit_reason);
		vm_stop(vm, LVCTL_EXIT_FAILED,
			"unhandled exit: %s exit %u, hw exit reason %u (%s), qualification 0x%llx",
			vm->ops->name, e->unknown.reason, e->hw_exit_reason,
			hw_name ? hw_name : "?",
			(unsigned long long)e->hw_qualification);
		break;
	}
}

/*
 * The PIC's INTR line reaches vCPU 0 (the BSP, where LINT0 is wired) as an
 * ExtINT: when the last exit said the guest can take one, run the PIC's
 * acknowledge cycle and hand the vector to the kernel; else ask for an
 * interrupt-window exit.  The PIC kicks vCPU 0 when INTR rises.
 */
static void vcpu_service_extint(struct vcpu *vcpu, bool ready)
{
	if (vcpu->vm->pic && vcpu->id == 0)
		irqchip_pic_service(vcpu->vm->pic, vcpu, ready);
}

/* irqchip.intr_changed: INTR rose, vCPU 0 must look at it */
void vcpu_pic_intr_changed(void *opaque)
{
	struct vm *vm = opaque;

	vcpu_kick(&vm->vcpus[0]);
}

void vcpu_run_loop(struct vcpu *vcpu)
{
	const struct accel_ops *ops = vcpu->vm->ops;
	struct vm *vm = vcpu->vm;
	struct vm_exit e = { .irq_ready = false };

	current_vcpu = vcpu;
	for (;;) {
		/*
		 * Clear first: a signal or a vm_stop() kick from here on sets
		 * the request again, and the stop is seen below.
		 */
		ops->clear_exit_request(vcpu);
		if (stop_signal || vm_is_stopped(vm))
			break;
		vcpu_service_extint(vcpu, e.irq_ready);
		if (ops->run(vcpu, &e)) {
			/* EAGAIN: kvm woke a vCPU that waited for SIPI */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_stop(vm, LVCTL_EXIT_USAGE, "%s run ioctl failed: %s",
				ops->name, strerror(errno));
			break;
		}
		vcpu->user_exits++;
		vcpu_handle_exit(vcpu, &e);
	}
	if (stop_signal)
		vm_stop(vm, LVCTL_EXIT_SIGNAL, "interrupted by signal");
	current_vcpu = NULL;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;

	current_vcpu = vcpu;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	vcpu_run_loop(vcpu);

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	current_vcpu = NULL;
	return NULL;
}

/*
 * Under stop_lock: a vm_stop() either sees @started (and kicks the
 * thread), or comes first and the new thread sees the VM stopped.
 */
int vcpu_start(struct vcpu *vcpu)
{
	int err;

	pthread_mutex_lock(&vcpu->vm->stop_lock);
	err = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (!err)
		vcpu->started = true;
	pthread_mutex_unlock(&vcpu->vm->stop_lock);
	if (err) {
		pr_err("cannot start the vcpu%d thread: %s", vcpu->id,
		       strerror(err));
		return -1;
	}
	return 0;
}

void vcpu_join(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

static void dump_seg(const char *name, const struct cpu_segment *s)
{
	fprintf(stderr,
		"lvctl: %-3s sel 0x%04x base 0x%016llx limit 0x%08x type 0x%x p %u dpl %u db %u s %u l %u g %u%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->present, s->dpl, s->db, s->s, s->l, s->g,
		s->unusable ? " unusable" : "");
}

/* After a failure: the vCPU's state on stderr. */
void vcpu_dump_state(struct vcpu *vcpu)
{
	const struct accel_ops *ops = vcpu->vm->ops;
	struct cpu_regs r;
	struct cpu_sregs s;

	if (!vcpu->accel || ops->get_regs(vcpu, &r) ||
	    ops->get_sregs(vcpu, &s))
		return;
	fprintf(stderr, "lvctl: vcpu%d state:\n", vcpu->id);
	fprintf(stderr, "lvctl: rip 0x%016" PRIx64 " rflags 0x%08" PRIx64 "\n",
		r.rip, r.rflags);
	fprintf(stderr, "lvctl: rax 0x%016" PRIx64 " rbx 0x%016" PRIx64
		" rcx 0x%016" PRIx64 " rdx 0x%016" PRIx64 "\n",
		r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(stderr, "lvctl: rsi 0x%016" PRIx64 " rdi 0x%016" PRIx64
		" rsp 0x%016" PRIx64 " rbp 0x%016" PRIx64 "\n",
		r.rsi, r.rdi, r.rsp, r.rbp);
	fprintf(stderr, "lvctl: cr0 0x%" PRIx64 " cr2 0x%" PRIx64 " cr3 0x%"
		PRIx64 " cr4 0x%" PRIx64 " efer 0x%" PRIx64 "\n",
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	dump_seg("cs", &s.cs);
	dump_seg("ds", &s.ds);
	dump_seg("ss", &s.ss);
	dump_seg("tr", &s.tr);
	fprintf(stderr, "lvctl: gdt base 0x%llx limit 0x%x, idt base 0x%llx limit 0x%x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
}
