// SPDX-License-Identifier: GPL-2.0
/*
 * lvctl run: parse the command line, load the image, create the VM with
 * its devices and run it until it stops.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "builtin.h"
#include "devices.h"
#include "loader.h"
#include "platform.h"
#include "stats.h"
#include "virtio.h"

struct run_opts {
	const char *accel;
	int mmu;
	u64 mem_size;
	bool mem_set;
	int nr_cpus;
	bool all_stats;
	bool irqchip;
	bool no_fastpath;
	struct load_opts load;
	struct virtio_opts virtio;
};

static struct termios saved_termios;
static bool termios_saved;

static void term_restore(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		termios_saved = false;
	}
}

/*
 * stdin is ours when it is not a terminal, or a terminal whose foreground
 * we are: a background job touching it would be stopped (SIGTTIN/SIGTTOU).
 */
static bool stdin_usable(void)
{
	return !isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* Characters reach the guest one by one; ^C still raises SIGINT. */
static void term_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || !stdin_usable() ||
	    tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	t = saved_termios;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_iflag &= ~ICRNL;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	termios_saved = true;
	atexit(term_restore);
}

void run_usage(FILE *f)
{
	fprintf(f,
		"usage: lvctl run [options] FILE\n"
		"       lvctl run [options] --kernel BZIMAGE [--initrd FILE] [--append STR]\n"
		"  --accel labvisor|kvm   hypervisor to use (default labvisor)\n"
		"  --mmu ept|shadow       guest memory through EPT or shadow page tables\n"
		"                         (default EPT where the CPU has it; kvm: must\n"
		"                         match kvm_intel's ept parameter)\n"
		"  --mem SIZE             guest RAM, bytes or with K/M/G suffix\n"
		"                         (default 64M; 256M with --kernel)\n"
		"  --cpus N               vCPUs, 1 to %d (default 1)\n"
		"  --kernel BZIMAGE       a Linux bzImage, 64-bit boot protocol, with ACPI\n"
		"                         tables; instead of FILE\n"
		"  --initrd FILE          Linux: the initial ramdisk\n"
		"  --append STR           Linux: the command line (default \"%s\")\n"
		"  --mode real|prot32|long64\n"
		"                         flat binaries: CPU mode at entry (default real)\n"
		"  --load ADDR            flat binaries: guest physical load address\n"
		"  --entry ADDR           flat binaries: entry point (default: the load address)\n"
		"  --cmdline STR          multiboot: the kernel command line\n"
		"  --module FILE[,STR]    multiboot: a module with its string (repeatable)\n"
		"  --stats                print every exit count on stop\n"
		"  --no-fastpath          virtio doorbells and interrupts through lvctl, not\n"
		"                         ioeventfd/irqfd (to compare exit counts)\n"
		"  --irqchip              kvm: give the guest local APICs (labvisor always\n"
		"                         does; implied by --kernel and --cpus > 1)\n"
		"  --disk FILE[,ro]       virtio-blk on a raw image (repeatable, up to 4)\n"
		"  --net tap[,ifname=NAME][,mac=MAC]|none\n"
		"                         virtio-net on a TAP device (default none)\n"
		"  --rng                  virtio-rng from /dev/urandom\n"
		"  --console serial|virtio\n"
		"                         stdio on the UART (default) or virtio-console (hvc0)\n",
		LVCTL_MAX_VCPUS, LINUX_DEFAULT_CMDLINE);
}

/* A number (0x.., 0.., decimal) with an optional K, M or G suffix. */
int parse_size(const char *s, u64 *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -1;
	if (shift && v > (~0ULL >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* A vCPU count, 1 to LVCTL_MAX_VCPUS, in decimal. */
int parse_cpus(const char *s, int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > LVCTL_MAX_VCPUS)
		return -1;
	*out = v;
	return 0;
}

static int parse_addr(const char *s, u64 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_ACCEL = 256,
	OPT_MEM,
	OPT_MODE,
	OPT_LOAD,
	OPT_ENTRY,
	OPT_CMDLINE,
	OPT_MODULE,
	OPT_STATS,
	OPT_IRQCHIP,
	OPT_NO_FASTPATH,
	OPT_CPUS,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_CONSOLE,
	OPT_HELP,
	OPT_MMU,
};

static const struct option run_options[] = {
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "irqchip", no_argument, NULL, OPT_IRQCHIP },
	{ "no-fastpath", no_argument, NULL, OPT_NO_FASTPATH },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "mmu", required_argument, NULL, OPT_MMU },
	{ NULL, 0, NULL, 0 },
};

static int add_module(struct load_opts *lo, char *arg)
{
	struct load_module *m;
	char *comma;

	if (lo->nr_modules == LOADER_MAX_MODULES) {
		pr_err("--module: at most %d modules", LOADER_MAX_MODULES);
		return -1;
	}
	m = &lo->modules[lo->nr_modules++];
	comma = strchr(arg, ',');
	if (comma) {
		*comma = '\0';
		m->string = comma + 1;
	}
	if (!*arg) {
		pr_err("--module: no file name");
		return -1;
	}
	m->path = arg;
	return 0;
}

/* 0: run, 1: help printed, -1: usage error (message printed) */
static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	struct load_opts *lo = &o->load;
	int c;

	memset(o, 0, sizeof(*o));
	o->accel = "labvisor";
	o->mem_size = 64 * SZ_1M;
	o->nr_cpus = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", run_options, NULL)) != -1) {
		switch (c) {
		case OPT_ACCEL:
			if (!accel_find(optarg)) {
				pr_err("--accel: unknown accelerator '%s' (labvisor or kvm)",
				       optarg);
				return -1;
			}
			o->accel = optarg;
			break;
		case OPT_MEM:
			if (parse_size(optarg, &o->mem_size)) {
				pr_err("--mem: bad size '%s'", optarg);
				return -1;
			}
			o->mem_set = true;
			break;
		case OPT_CPUS:
			if (parse_cpus(optarg, &o->nr_cpus)) {
				pr_err("--cpus: '%s': need a number from 1 to %d",
				       optarg, LVCTL_MAX_VCPUS);
				return -1;
			}
			break;
		case OPT_KERNEL:
			if (!*optarg) {
				pr_err("--kernel: no file name");
				return -1;
			}
			lo->path = optarg;
			lo->linux_kernel = true;
			break;
		case OPT_INITRD:
			if (!*optarg) {
				pr_err("--initrd: no file name");
				return -1;
			}
			lo->initrd = optarg;
			break;
		case OPT_APPEND:
			lo->append = optarg;
			break;
		case OPT_MODE:
			if (x86_parse_mode(optarg, &lo->mode)) {
				pr_err("--mode: unknown mode '%s' (real, prot32 or long64)",
				       optarg);
				return -1;
			}
			lo->mode_set = true;
			break;
		case OPT_LOAD:
			if (parse_addr(optarg, &lo->load)) {
				pr_err("--load: bad address '%s'", optarg);
				return -1;
			}
			lo->load_set = true;
			break;
		case OPT_ENTRY:
			if (parse_addr(optarg, &lo->entry)) {
				pr_err("--entry: bad address '%s'", optarg);
				return -1;
			}
			lo->entry_set = true;
			break;
		case OPT_CMDLINE:
			lo->cmdline = optarg;
			break;
		case OPT_MODULE:
			if (add_module(lo, optarg))
				return -1;
			break;
		case OPT_STATS:
			o->all_stats = true;
			break;
		case OPT_IRQCHIP:
			o->irqchip = true;
			break;
		case OPT_NO_FASTPATH:
			o->no_fastpath = true;
			break;
		case OPT_MMU:
			if (!strcmp(optarg, "ept")) {
				o->mmu = VM_MMU_EPT;
			} else if (!strcmp(optarg, "shadow")) {
				o->mmu = VM_MMU_SHADOW;
			} else {
				pr_err("--mmu: '%s' is neither ept nor shadow", optarg);
				return -1;
			}
			break;
		case OPT_DISK:
			if (virtio_opt_disk(&o->virtio, optarg))
				return -1;
			break;
		case OPT_NET:
			if (virtio_opt_net(&o->virtio, optarg))
				return -1;
			break;
		case OPT_RNG:
			o->virtio.rng = true;
			break;
		case OPT_CONSOLE:
			if (virtio_opt_console(&o->virtio, optarg))
				return -1;
			break;
		case OPT_HELP:
		case 'h':
			run_usage(stdout);
			return 1;
		case ':':
			pr_err("option %s needs an argument", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				pr_err("unknown option '-%c'", optopt);
			else
				pr_err("unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (lo->linux_kernel) {
		if (optind < argc) {
			pr_err("run: --kernel replaces FILE ('%s' is extra)",
			       argv[optind]);
			return -1;
		}
		if (!o->mem_set)
			o->mem_size = 256 * SZ_1M;
	} else {
		if (optind == argc) {
			pr_err("run: no FILE given");
			return -1;
		}
		if (optind + 1 < argc) {
			pr_err("run: one FILE only ('%s' is extra)",
			       argv[optind + 1]);
			return -1;
		}
		lo->path = argv[optind];
	}
	lo->nr_cpus = o->nr_cpus;
	if (o->mem_size < GUEST_MEM_MIN || o->mem_size > GUEST_MEM_MAX ||
	    (o->mem_size & (SZ_4K - 1))) {
		pr_err("--mem: %llu bytes: need a multiple of 4K from 1M to %lluM",
		       (unsigned long long)o->mem_size, GUEST_MEM_MAX >> 20);
		return -1;
	}
	return 0;
}

struct run_devices {
	struct uart uart;
	struct debug_exit debug_exit;
	struct test_io test_io;
	struct test_mmio test_mmio;
	struct platform platform;
};

static int devices_setup(struct vm *vm, struct run_devices *d,
			 const struct virtio_opts *vo, int nr_cpus)
{
	struct platform *platform = &d->platform;
	struct pci *pci;

	/* --console virtio: stdin is hvc0's; the UART keeps its output */
	uart_init(&d->uart, UART_COM1_BASE,
		  stdin_usable() && !vo->console ? STDIN_FILENO : -1,
		  STDOUT_FILENO);
	test_io_init(&d->test_io);
	test_mmio_init(&d->test_mmio);
	if (uart_register(&d->uart, &vm->io_bus) ||
	    debug_exit_register(&d->debug_exit, vm) ||
	    test_io_register(&d->test_io, &vm->io_bus) ||
	    test_mmio_register(&d->test_mmio, &vm->mmio_bus)) {
		pr_err("device ranges overlap");
		return -1;
	}
	/* the PC platform (platform.h): the IOAPIC's ID follows the vCPUs' */
	if (platform_setup(platform, vm, vm->mem.size, nr_cpus))
		return -1;
	uart_set_irq(&d->uart, &platform->irqchip, IRQ_COM1);
	platform->irqchip.intr_changed = vcpu_pic_intr_changed;
	platform->irqchip.intr_opaque = vm;
	vm->pic = &platform->irqchip;
	pci = pci_setup(vm);
	if (!pci || virtio_setup(vm, pci, vo))
		return -1;
	return uart_start(&d->uart);
}

/*
 * vCPU 0 gets the boot state; the others keep the state the kernel gives
 * a new vCPU, waiting for INIT/SIPI in its local APIC.
 */
static int vm_setup(struct vm *vm, const struct boot_cpu *boot, int nr_cpus)
{
	const struct accel_ops *ops = vm->ops;
	int i;

	if (ops->vm_create(vm))
		return -1;
	if (ops->set_memory(vm, 0, 0, vm->mem.size, vm->mem.hva))
		return -1;
	for (i = 0; i < nr_cpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vm->nr_vcpus = i + 1;
		if (ops->vcpu_create(vcpu))
			return -1;
	}
	if (ops->set_sregs(&vm->vcpus[0], &boot->sregs) ||
	    ops->set_regs(&vm->vcpus[0], &boot->regs))
		return -1;
	return 0;
}

static void vm_teardown(struct vm *vm)
{
	int i;

	for (i = 0; i < LVCTL_MAX_VCPUS; i++)
		if (vm->vcpus[i].accel)
			vm->ops->vcpu_destroy(&vm->vcpus[i]);
	if (vm->ops)
		vm->ops->vm_destroy(vm);
	guest_mem_free(&vm->mem);
}

int cmd_run(int argc, char **argv)
{
	static struct run_devices devs;
	static struct vm vm;
	struct boot_cpu boot;
	struct run_opts o;
	int i, ret;

	ret = parse_run_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : LVCTL_EXIT_USAGE;

	vm_init(&vm);
	vm.ops = accel_find(o.accel);
	if (o.no_fastpath) {
		/* the same accelerator without its doorbell and interrupt fds */
		static struct accel_ops slow;

		slow = *vm.ops;
		slow.ioeventfd = NULL;
		slow.irqfd = NULL;
		vm.ops = &slow;
	}
	vm.irqchip = o.irqchip || o.load.linux_kernel || o.nr_cpus > 1;
	vm.pc_bus = o.load.linux_kernel;
	vm.mmu = o.mmu;
	/* everything about the files is checked before the device is opened */
	if (guest_mem_alloc(&vm.mem, o.mem_size) ||
	    loader_load(&vm.mem, &o.load, &boot) ||
	    devices_setup(&vm, &devs, &o.virtio, o.nr_cpus) ||
	    vm_setup(&vm, &boot, o.nr_cpus)) {
		virtio_teardown();
		vm_teardown(&vm);
		return LVCTL_EXIT_USAGE;
	}

	term_raw();
	vcpu_signals_setup();
	for (i = 0; i < vm.nr_vcpus; i++)
		if (vcpu_start(&vm.vcpus[i]))
			vm_stop(&vm, LVCTL_EXIT_USAGE, "no vcpu thread");
	for (i = 0; i < vm.nr_vcpus; i++)
		vcpu_join(&vm.vcpus[i]);
	if (o.all_stats)
		virtio_print_stats(stderr);
	virtio_teardown();
	uart_stop(&devs.uart);
	platform_stop(&devs.platform);
	uart_flush(&devs.uart);
	term_restore();

	fprintf(stderr, "lvctl: stop: %s\n", vm.stop_reason);
	if (vm.stop_status == LVCTL_EXIT_FAILED)
		vcpu_dump_state(&vm.vcpus[vm.stop_vcpu > 0 ? vm.stop_vcpu : 0]);
	for (i = 0; i < vm.nr_vcpus; i++) {
		if (vm.nr_vcpus > 1)
			fprintf(stderr, "lvctl: vcpu%d:\n", i);
		stats_print(stderr, &vm.vcpus[i], o.all_stats);
	}
	if (o.all_stats && vm.accel && vm.ops->print_vm_stats)
		vm.ops->print_vm_stats(&vm, stderr);
	ret = vm.stop_status;
	vm_teardown(&vm);
	return ret;
}
