// SPDX-License-Identifier: GPL-2.0
/*
 * lvctl run: parse the command line, load the image, create the VM with
 * its devices and run it until it stops.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <linux/labvisor.h>

#include "builtin.h"
#include "devices.h"
#include "exitcfg.h"
#include "exitstats.h"
#include "loader.h"
#include "passthrough.h"
#include "platform.h"
#include "stats.h"
#include "virtio.h"

#define RUN_MAX_IOEVENTFDS	4

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
	struct exit_config exitcfg;
	const char *exitcfg_opt;	/* the first exit option given */
	u16 ioeventfd_ports[RUN_MAX_IOEVENTFDS];
	int nr_ioeventfds;
	const char *stats_dir;
	const char *devices[PASSTHROUGH_MAX];	/* --device BDF */
	int nr_devices;
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
		"                         stdio on the UART (default) or virtio-console (hvc0)\n"
		"  --device BDF           pass the host PCI device [SSSS:]BB:DD.F through\n"
		"                         (labvisor with VT-d; unbind its driver first;\n"
		"                         repeatable, up to 4)\n"
		"  --ioeventfd PORT       a doorbell: 1-byte OUTs to PORT signal an eventfd\n"
		"                         in the kernel, no exit to lvctl (repeatable, up to %d)\n"
		"exit policy, labvisor only (MSR, CPUID and VALUE numbers in hex):\n"
		"  --exits +NAME,-NAME..  turn exits on (+) or off (-): rdtsc hlt pause mwait\n"
		"                         cr3-load cr3-store invlpg desc-table msr-all io-bitmap\n"
		"  --forward REASON,..    send these exits (names as in --stats, or numbers)\n"
		"                         to lvctl, which prints the first %d and lets the\n"
		"                         module handle them as usual\n"
		"  --preemption-us N      VMX-preemption timer quantum (10 to 1000000 us)\n"
		"  --msr-exit MSR,..      make these MSRs exit (up to %d)\n"
		"  --cpuid LEAF[.SUB]=EAX:EBX:ECX:EDX\n"
		"                         what CPUID returns for a leaf (repeatable)\n"
		"  --msr MSR=VALUE|gp|ignore|wgp\n"
		"                         RDMSR returns VALUE; gp: RDMSR and WRMSR #GP;\n"
		"                         ignore: WRMSR does nothing; wgp: WRMSR #GP\n"
		"                         (repeatable; items about one MSR combine)\n"
		"  --stats-dir DIR        on stop, write the VM's exit statistics to DIR in\n"
		"                         the debugfs format (for lvctl stat --input DIR)\n",
		LVCTL_MAX_VCPUS, LINUX_DEFAULT_CMDLINE, RUN_MAX_IOEVENTFDS,
		LVCTL_FORWARDED_PRINT, LV_POLICY_MSRS);
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
	OPT_EXITS,
	OPT_FORWARD,
	OPT_PREEMPTION_US,
	OPT_MSR_EXIT,
	OPT_CPUID,
	OPT_MSR,
	OPT_IOEVENTFD,
	OPT_STATS_DIR,
	OPT_DEVICE,
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
	{ "exits", required_argument, NULL, OPT_EXITS },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "preemption-us", required_argument, NULL, OPT_PREEMPTION_US },
	{ "msr-exit", required_argument, NULL, OPT_MSR_EXIT },
	{ "cpuid", required_argument, NULL, OPT_CPUID },
	{ "msr", required_argument, NULL, OPT_MSR },
	{ "ioeventfd", required_argument, NULL, OPT_IOEVENTFD },
	{ "stats-dir", required_argument, NULL, OPT_STATS_DIR },
	{ "device", required_argument, NULL, OPT_DEVICE },
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

static int add_ioeventfd(struct run_opts *o, const char *arg)
{
	u64 port;

	if (parse_addr(arg, &port) || port > 0xffff) {
		pr_err("--ioeventfd: '%s' is not a port (0 to 0xffff)", arg);
		return -1;
	}
	if (o->nr_ioeventfds == RUN_MAX_IOEVENTFDS) {
		pr_err("--ioeventfd: at most %d ports", RUN_MAX_IOEVENTFDS);
		return -1;
	}
	o->ioeventfd_ports[o->nr_ioeventfds++] = port;
	return 0;
}

/* the exit policy options: 0 or -1 (message printed) */
static int parse_exit_option(struct run_opts *o, int c, const char *arg)
{
	struct exit_config *x = &o->exitcfg;
	int i;

	for (i = 0; run_options[i].name; i++)
		if (run_options[i].val == c && !o->exitcfg_opt)
			o->exitcfg_opt = run_options[i].name;
	switch (c) {
	case OPT_EXITS:
		return exitcfg_parse_exits(x, arg);
	case OPT_FORWARD:
		return exitcfg_parse_forward(x, arg);
	case OPT_PREEMPTION_US:
		return exitcfg_parse_preemption(x, arg);
	case OPT_MSR_EXIT:
		return exitcfg_parse_msr_exits(x, arg);
	case OPT_CPUID:
		return exitcfg_parse_cpuid(x, arg);
	default:
		return exitcfg_parse_msr(x, arg);
	}
}

/* 0: run, 1: help printed, -1: usage error (message printed) */
static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	struct load_opts *lo = &o->load;
	const struct accel_ops *ops;
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
		case OPT_EXITS:
		case OPT_FORWARD:
		case OPT_PREEMPTION_US:
		case OPT_MSR_EXIT:
		case OPT_CPUID:
		case OPT_MSR:
			if (parse_exit_option(o, c, optarg))
				return -1;
			break;
		case OPT_IOEVENTFD:
			if (add_ioeventfd(o, optarg))
				return -1;
			break;
		case OPT_STATS_DIR:
			if (!*optarg) {
				pr_err("--stats-dir: no directory name");
				return -1;
			}
			o->stats_dir = optarg;
			break;
		case OPT_DEVICE: {
			u16 seg;
			u8 bus, dev, fn;

			if (o->nr_devices == PASSTHROUGH_MAX) {
				pr_err("--device: at most %d devices", PASSTHROUGH_MAX);
				return -1;
			}
			if (passthrough_parse_bdf(optarg, &seg, &bus, &dev, &fn)) {
				pr_err("--device %s: not a PCI address ([SSSS:]BB:DD.F)",
				       optarg);
				return -1;
			}
			o->devices[o->nr_devices++] = optarg;
			break;
		}
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
	ops = accel_find(o->accel);
	if (o->exitcfg_opt && !ops->set_exit_config) {
		pr_err("--%s: the %s accelerator has no exit policy, CPUID or MSR overrides (labvisor only)",
		       o->exitcfg_opt, ops->name);
		return -1;
	}
	if (o->stats_dir && !ops->get_exit_stats) {
		pr_err("--stats-dir: the %s accelerator has no exit statistics (labvisor only)",
		       ops->name);
		return -1;
	}
	if (o->nr_ioeventfds && (!ops->ioeventfd || o->no_fastpath)) {
		pr_err("--ioeventfd: not with --no-fastpath");
		return -1;
	}
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
	struct passthrough pt[PASSTHROUGH_MAX];
	int nr_pt;
};

static int devices_setup(struct vm *vm, struct run_devices *d,
			 const struct run_opts *o, int out_fd)
{
	const struct virtio_opts *vo = &o->virtio;
	int nr_cpus = o->nr_cpus;
	struct platform *platform = &d->platform;
	struct pci *pci;

	/* --console virtio: stdin is hvc0's; the UART keeps its output */
	uart_init(&d->uart, UART_COM1_BASE,
		  stdin_usable() && !vo->console ? STDIN_FILENO : -1,
		  out_fd);
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
	for (; d->nr_pt < o->nr_devices; d->nr_pt++) {
		struct passthrough *pt = &d->pt[d->nr_pt];

		if (passthrough_init(pt, vm, PASSTHROUGH_SYSFS,
				     o->devices[d->nr_pt], d->nr_pt) ||
		    pci_register_dev(pci, &pt->dev)) {
			passthrough_destroy(pt);
			return -1;
		}
	}
	return uart_start(&d->uart);
}

/* after the VM exists: passthrough devices are assigned to it */
static int devices_start(struct run_devices *d)
{
	int i;

	for (i = 0; i < d->nr_pt; i++)
		if (passthrough_start(&d->pt[i]))
			return -1;
	return 0;
}

/* after the VM is gone (its devices' DMA blocked) */
static void devices_destroy(struct run_devices *d)
{
	int i;

	for (i = 0; i < d->nr_pt; i++)
		passthrough_destroy(&d->pt[i]);
	d->nr_pt = 0;
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

/* after the devices: they may still remove their ranges */
static void vm_buses_destroy(struct vm *vm)
{
	bus_destroy(&vm->io_bus);
	bus_destroy(&vm->mmio_bus);
}

static int ioeventfds[RUN_MAX_IOEVENTFDS] = { -1, -1, -1, -1 };

/* --ioeventfd: 1-byte OUTs to each port signal an eventfd lvctl holds */
static int ioeventfds_setup(struct vm *vm, const struct run_opts *o)
{
	int i;

	for (i = 0; i < o->nr_ioeventfds; i++)
		ioeventfds[i] = -1;
	for (i = 0; i < o->nr_ioeventfds; i++) {
		ioeventfds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (ioeventfds[i] < 0) {
			pr_err("eventfd: %s", strerror(errno));
			return -1;
		}
		if (vm->ops->ioeventfd(vm, o->ioeventfd_ports[i], 1, true,
				       ioeventfds[i], true)) {
			pr_err("--ioeventfd 0x%x: %s", o->ioeventfd_ports[i],
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* the doorbells each eventfd got; closes them */
static void ioeventfds_finish(const struct run_opts *o, bool print)
{
	int i;

	for (i = 0; i < o->nr_ioeventfds; i++) {
		u64 n = 0;

		if (ioeventfds[i] < 0)
			continue;
		if (read(ioeventfds[i], &n, sizeof(n)) != sizeof(n))
			n = 0;
		if (print)
			fprintf(stderr, "lvctl: ioeventfd port 0x%x: %" PRIu64 " doorbell(s)\n",
				o->ioeventfd_ports[i], n);
		close(ioeventfds[i]);
		ioeventfds[i] = -1;
	}
}

/* --stats-dir: the VM's and each vCPU's exit statistics, debugfs format */
static void save_exit_stats(struct vm *vm, const char *dir)
{
	static struct lv_exit_reason_stats st[LV_NR_EXIT_REASONS];
	static struct exitstat es;
	char path[4096];
	const char *mode = "unknown";
	int v;

	for (v = -1; v < vm->nr_vcpus; v++) {
		if (vm->ops->get_exit_stats(vm, v, st, LV_NR_EXIT_REASONS,
					    &mode))
			return;
		exitstat_from_lv(&es, st, LV_NR_EXIT_REASONS);
		es.pid = getpid();
		snprintf(es.mode, sizeof(es.mode), "%s", mode);
		es.vcpus = vm->nr_vcpus;
		if (v < 0)
			snprintf(path, sizeof(path), "%s", dir);
		else
			snprintf(path, sizeof(path), "%s/vcpu%d", dir, v);
		if (exitstat_save_dir(&es, path))
			return;
	}
}

int cmd_run(int argc, char **argv)
{
	return run_vm(argc, argv, NULL);
}

int run_vm(int argc, char **argv, const struct run_hooks *hooks)
{
	static struct run_devices devs;
	static struct vm vm;
	struct boot_cpu boot;
	static struct run_opts o;
	int i, ret;

	ret = parse_run_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : LVCTL_EXIT_USAGE;
	if (hooks && hooks->check && hooks->check(accel_find(o.accel),
						  hooks->opaque))
		return LVCTL_EXIT_USAGE;

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
	    devices_setup(&vm, &devs, &o,
			  hooks && hooks->uart_to_stderr ? STDERR_FILENO :
			  STDOUT_FILENO) ||
	    vm_setup(&vm, &boot, o.nr_cpus) ||
	    devices_start(&devs) ||
	    (!exitcfg_empty(&o.exitcfg) &&
	     vm.ops->set_exit_config(&vm, &o.exitcfg)) ||
	    ioeventfds_setup(&vm, &o) ||
	    (hooks && hooks->setup && hooks->setup(&vm, hooks->opaque))) {
		virtio_teardown();
		ioeventfds_finish(&o, false);
		vm_teardown(&vm);
		devices_destroy(&devs);
		vm_buses_destroy(&vm);
		return LVCTL_EXIT_USAGE;
	}

	term_raw();
	vcpu_signals_setup();
	for (i = 0; i < vm.nr_vcpus; i++)
		if (vcpu_start(&vm.vcpus[i]))
			vm_stop(&vm, LVCTL_EXIT_USAGE, "no vcpu thread");
	for (i = 0; i < vm.nr_vcpus; i++)
		vcpu_join(&vm.vcpus[i]);
	if (hooks && hooks->stopped)
		hooks->stopped(&vm, hooks->opaque);
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
	ioeventfds_finish(&o, o.all_stats);
	if (o.stats_dir)
		save_exit_stats(&vm, o.stats_dir);
	ret = vm.stop_status;
	vm_teardown(&vm);
	devices_destroy(&devs);
	vm_buses_destroy(&vm);
	return ret;
}
