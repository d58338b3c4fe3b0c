// SPDX-License-Identifier: GPL-2.0
/*
 * lv-vtd-test: VT-d device assignment, run in the QEMU lab (tests/lab/run
 * --engine qemu-tcg --vtd free|linux: q35, intel-iommu, the edu device, no
 * VMX).  Prints "TEST vtd-<name> PASS|FAIL <why>" per test; exits 1 if any
 * failed.
 *
 *   lv-vtd-test novmx     the module without VMX: capabilities, a VM with
 *                         memory, LV_CREATE_VCPU refused with ENODEV
 *   lv-vtd-test dma       edu assigned to a VM: its DMA lands in the guest
 *                         page behind the gpa and nowhere else; DMA outside
 *                         the VM's memory or to a read-only slot faults
 *                         (counted in dma_faults) and writes nothing; slots
 *                         added and removed later are followed; after
 *                         unassign and after the VM is gone DMA is blocked;
 *                         a device bound to a host driver is refused
 *   lv-vtd-test dma TAG   the same, test names vtd-TAG-*
 *   lv-vtd-test linux     the unit is Linux's (intel_iommu=on): refused
 *   lv-vtd-test unloaded  labvisor.ko is unloaded: the unit is as found
 *                         (translation off), edu's DMA reaches host memory
 *   lv-vtd-test irq       LV_SET_DEVICE_IRQ: edu's MSI and INTx signal an
 *                         eventfd, INTx masked until unmasked; with the
 *                         eventfd on LV_IRQFD each MSI is injected by the
 *                         kernel (irqfd_injections); teardown,
 *                         unassign and VM close free the host interrupt;
 *                         bad requests refused
 *   lv-vtd-test irq-nomsi QEMU's pci-testdev (no MSI, no INTx pin):
 *                         both routings refused with EOPNOTSUPP
 *
 * edu (QEMU's hw/misc/edu.c, PCI 1234:11e8) is driven through its BAR 0
 * (sysfs resource0): DMA source 0x80, destination 0x88, count 0x90,
 * command 0x98 (bit 0 start, bit 1 direction: 1 = edu to memory); its
 * buffer is at 0x40000 on its side.  Transfers stay below 4096 bytes and
 * addresses below 2^28 (edu's limits).  Its interrupt: a write to 0x60
 * ORs the value into the status at 0x24 and raises it (an MSI per write
 * when MSI is on, else INTx held while the status is not 0); a write to
 * 0x64 clears those status bits.
 *
 * "Nowhere else" is checked where a write would land without the IOMMU: a
 * page of this process whose physical address (from /proc/self/pagemap) is
 * the DMA address.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/labvisor.h>

#include "lvtest.h"

#define DEV		"/dev/labvisor"
#define PAGE		4096UL
#define EDU_BUF		0x40000UL
#define XFER		4095U		/* edu refuses 4096 */
#define DMA_LIMIT	(1UL << 28)	/* edu's DMA address mask */

/* the VM's memory */
#define RAM_GPA		0x100000UL	/* slot 0: 16 pages of 0x11 */
#define RAM_PAGES	16
#define RO_GPA		0x200000UL	/* slot 1: 4 read-only pages of 0x22 */
#define RO_PAGES	4
#define LATE_GPA	0x300000UL	/* slot 2, added after assignment: 0x33 */
#define SRC_GPA		(RAM_GPA + 1 * PAGE)	/* what edu reads */
#define DST_GPA		(RAM_GPA + 4 * PAGE)	/* where edu writes */

static const char *tag = "";	/* test names: vtd-TAG-NAME */

static void end(const char *name)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "vtd-%s", tag);
	lvt_result(prefix, name);
}

/* ---- edu ------------------------------------------------------------------ */

struct edu {
	char path[128];			/* /sys/bus/pci/devices/BDF */
	struct lv_assign_device bdf;
	volatile uint32_t *regs;	/* BAR 0 */
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static unsigned long read_hex(const char *dir, const char *file)
{
	char p[400], buf[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	f = fopen(p, "r");
	if (!f)
		return ~0UL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoul(buf, NULL, 16);
}

static int parse_bdf(const char *name, struct lv_assign_device *a)
{
	unsigned int seg, bus, dev, fn;

	if (sscanf(name, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		return -1;
	*a = (struct lv_assign_device){ .segment = seg, .bus = bus,
					.device = dev, .function = fn };
	return 0;
}

/* the first PCI device with @vendor:@device (0 for @vendor: with a driver) */
static int find_pci(unsigned long vendor, unsigned long device, char *path,
		    size_t len, struct lv_assign_device *a)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int ret = -1;

	if (!d)
		return -1;
	while (ret && (e = readdir(d))) {
		char p[300], drv[320];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", e->d_name);
		if (vendor) {
			if (read_hex(p, "vendor") != vendor ||
			    read_hex(p, "device") != device)
				continue;
		} else {
			snprintf(drv, sizeof(drv), "%s/driver", p);
			if (access(drv, F_OK))
				continue;
		}
		if (parse_bdf(e->d_name, a))
			continue;
		snprintf(path, len, "%s", p);
		ret = 0;
	}
	closedir(d);
	return ret;
}

/* unbind a host driver, enable memory decoding and bus mastering, map BAR 0 */
static int edu_open(struct edu *edu)
{
	char p[400];
	uint16_t cmd;
	void *m;
	int fd;

	if (find_pci(0x1234, 0x11e8, edu->path, sizeof(edu->path), &edu->bdf)) {
		bad("no edu device (PCI 1234:11e8) in /sys/bus/pci/devices");
		return -1;
	}
	snprintf(p, sizeof(p), "%s/driver/unbind", edu->path);
	if (!access(p, F_OK) && write_file(p, strrchr(edu->path, '/') + 1)) {
		bad("cannot unbind edu's driver: %s", strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/config", edu->path);
	fd = open(p, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2) {
		bad("%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cmd |= 0x6;	/* memory space, bus master */
	if (pwrite(fd, &cmd, 2, 4) != 2) {
		bad("enabling edu's bus mastering: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	snprintf(p, sizeof(p), "%s/resource0", edu->path);
	fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0) {
		bad("%s: %s", p, strerror(errno));
		return -1;
	}
	m = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		bad("mmap %s: %s", p, strerror(errno));
		return -1;
	}
	edu->regs = m;
	if (edu->regs[0] != 0x010000ed) {
		bad("edu identification register reads 0x%x", edu->regs[0]);
		return -1;
	}
	return 0;
}

/* one DMA: @to_mem: edu's buffer to @addr, else @addr to edu's buffer */
static int edu_dma(struct edu *edu, uint64_t addr, bool to_mem)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	edu->regs[0x80 / 4] = to_mem ? EDU_BUF : addr;
	edu->regs[0x88 / 4] = to_mem ? addr : EDU_BUF;
	edu->regs[0x90 / 4] = XFER;
	edu->regs[0x98 / 4] = 1 | (to_mem ? 2 : 0);
	/* edu completes after 100 ms of QEMU time; 10 s means it is stuck */
	for (i = 0; i < 10000; i++) {
		if (!(edu->regs[0x98 / 4] & 1))
			return 0;
		nanosleep(&ts, NULL);
	}
	bad("edu DMA to 0x%llx did not complete", (unsigned long long)addr);
	return -1;
}

/* ---- memory ------------------------------------------------------------------ */

static void *alloc_pages(unsigned long n, int fill)
{
	void *m = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	memset(m, fill, n * PAGE);
	return m;
}

static uint64_t phys_of(void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / PAGE * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return (e & ((1ULL << 55) - 1)) * PAGE;
}

/*
 * A locked page of ours, filled with @fill, whose physical address is a
 * valid edu DMA address outside every slot of the test VM: where a DMA to
 * that address would land if nothing translated it.
 */
static uint8_t *probe_page(int fill, uint64_t *hpa)
{
	unsigned long n = 4096, i;
	uint8_t *m = alloc_pages(n, fill);

	if (!m || mlock(m, n * PAGE))
		return NULL;
	for (i = 0; i < n; i++) {
		uint64_t pa = phys_of(m + i * PAGE);

		if (pa && pa < DMA_LIMIT &&
		    !(pa >= RAM_GPA && pa < LATE_GPA + 2 * PAGE)) {
			*hpa = pa;
			return m + i * PAGE;
		}
	}
	return NULL;
}

static bool all(const uint8_t *p, size_t len, int v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* the byte pattern edu carries: what SRC_GPA holds */
static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3) | 0x80;
}

static int set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *mem)
{
	struct lv_memory_region r = {
		.slot = slot, .flags = flags, .gpa = gpa, .size = size,
		.uaddr = (uintptr_t)mem,
	};

	return ioctl(vm, LV_SET_MEMORY_REGION, &r);
}

static struct lv_vm_stats stats(int vm)
{
	struct lv_vm_stats st;

	memset(&st, 0xa5, sizeof(st));
	if (ioctl(vm, LV_GET_VM_STATS, &st) < 0) {
		bad("LV_GET_VM_STATS: %s", strerror(errno));
		memset(&st, 0, sizeof(st));
	}
	return st;
}

/* ---- the tests ------------------------------------------------------------------ */

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bad("%s: %s", DEV, strerror(errno));
	return fd;
}

static int novmx(void)
{
	struct lv_caps caps;
	struct lv_vm_stats st;
	int sys, vm;
	uint8_t *mem;

	begin();
	sys = open_dev();
	if (sys >= 0) {
		memset(&caps, 0xa5, sizeof(caps));
		if (EXPECT_OK(sys, LV_GET_CAPS, &caps) == 0) {
			CHECK(caps.vmx_basic == 0 && caps.ept_vpid_cap == 0,
			      "vmx_basic 0x%llx ept_vpid_cap 0x%llx without VMX",
			      (unsigned long long)caps.vmx_basic,
			      (unsigned long long)caps.ept_vpid_cap);
			CHECK(!(caps.flags & ~(LV_CAP_VTD | LV_CAP_DEVICE_IRQ)),
			      "caps flags 0x%llx: only LV_CAP_VTD and LV_CAP_DEVICE_IRQ can work without VMX",
			      (unsigned long long)caps.flags);
			CHECK(caps.flags & LV_CAP_VTD,
			      "no LV_CAP_VTD with a free VT-d unit (flags 0x%llx)",
			      (unsigned long long)caps.flags);
			CHECK(caps.api_version == LV_API_VERSION,
			      "api_version %u", caps.api_version);
		}
		close(sys);
	}
	end("novmx-caps");

	begin();
	sys = open_dev();
	mem = alloc_pages(4, 0x44);
	if (sys >= 0 && mem) {
		vm = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
		if (vm >= 0) {
			if (set_region(vm, 0, 0, RAM_GPA, 4 * PAGE, mem))
				bad("LV_SET_MEMORY_REGION: %s", strerror(errno));
			EXPECT_ERR(ENODEV, vm, LV_CREATE_VCPU, 0);
			EXPECT_ERR(ENODEV, vm, LV_CREATE_VCPU, 1);
			st = stats(vm);
			CHECK(st.slots == 1 && st.pinned_pages == 4,
			      "stats: slots %llu pinned %llu",
			      (unsigned long long)st.slots,
			      (unsigned long long)st.pinned_pages);
			if (set_region(vm, 0, 0, RAM_GPA, 0, mem))
				bad("deleting the slot: %s", strerror(errno));
			close(vm);
		}
		EXPECT_ERR(EOPNOTSUPP, sys, LV_CREATE_VM, LV_VM_SHADOW);
		EXPECT_ERR(EINVAL, sys, LV_CREATE_VM, 2);
	}
	if (sys >= 0)
		close(sys);
	end("novmx-vm-without-vcpu");
	return failures ? 1 : 0;
}

/* slot memory unchanged, except @skip_page of slot 0 (-1: none) */
static void check_ram(const uint8_t *ram, const uint8_t *ro, int skip_page,
		      const char *when)
{
	int i;

	for (i = 0; i < RAM_PAGES; i++) {
		if (i == skip_page || i == 1)
			continue;
		CHECK(all(ram + i * PAGE, PAGE, 0x11),
		      "%s: slot 0 page %d (gpa 0x%lx) was written", when, i,
		      RAM_GPA + i * PAGE);
	}
	CHECK(all(ro, RO_PAGES * PAGE, 0x22), "%s: the read-only slot was written",
	      when);
}

static int dma(void)
{
	uint8_t *ram, *ro, *late, *probe;
	struct lv_assign_device host;
	struct lv_vm_stats st;
	char host_path[320];
	struct edu edu;
	uint64_t hpa = 0, faults;
	int sys = -1, vm = -1;
	size_t i;
	bool ok;

	begin();
	ram = alloc_pages(RAM_PAGES, 0x11);
	ro = alloc_pages(RO_PAGES, 0x22);
	late = alloc_pages(1, 0x33);
	probe = probe_page(0x5c, &hpa);
	if (!ram || !ro || !late || !probe)
		bad("no memory, or no page of ours below 256 MiB outside the VM's range");
	if (!why[0])
		edu_open(&edu);
	if (!why[0])
		sys = open_dev();
	if (sys >= 0)
		vm = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
	if (vm >= 0) {
		for (i = 0; i < XFER; i++)
			ram[PAGE + i] = pattern(i);
		if (set_region(vm, 0, 0, RAM_GPA, RAM_PAGES * PAGE, ram) ||
		    set_region(vm, 1, LV_MEM_READONLY, RO_GPA, RO_PAGES * PAGE, ro))
			bad("LV_SET_MEMORY_REGION: %s", strerror(errno));
	}
	ok = !why[0];
	end("setup");
	if (!ok)
		goto out;
	printf("  edu at %s; probe page at hpa 0x%llx\n", edu.path,
	       (unsigned long long)hpa);

	begin();
	if (find_pci(0, 0, host_path, sizeof(host_path), &host))
		bad("no PCI device bound to a host driver (the lab's pcieport)");
	else
		EXPECT_ERR(EBUSY, vm, LV_ASSIGN_DEVICE, &host);
	st = stats(vm);
	CHECK(st.assigned_devices == 0, "assigned_devices %llu after a refusal",
	      (unsigned long long)st.assigned_devices);
	end("refuse-host-driver");

	begin();
	EXPECT_OK(vm, LV_ASSIGN_DEVICE, &edu.bdf);
	EXPECT_ERR(EEXIST, vm, LV_ASSIGN_DEVICE, &edu.bdf);
	st = stats(vm);
	CHECK(st.assigned_devices == 1 && st.dma_faults == 0,
	      "assigned_devices %llu dma_faults %llu",
	      (unsigned long long)st.assigned_devices,
	      (unsigned long long)st.dma_faults);
	ok = !why[0];
	end("assign-edu");
	if (!ok)
		goto out;

	/* memory -> edu -> memory, both through the IOMMU */
	begin();
	if (!edu_dma(&edu, SRC_GPA, false) && !edu_dma(&edu, DST_GPA, true)) {
		for (i = 0; i < XFER; i++)
			if (ram[4 * PAGE + i] != pattern(i))
				break;
		CHECK(i == XFER, "gpa 0x%lx + %zu holds 0x%02x, want 0x%02x",
		      DST_GPA, i, ram[4 * PAGE + i], pattern(i));
		CHECK(ram[4 * PAGE + XFER] == 0x11,
		      "the byte after the transfer was written");
		check_ram(ram, ro, 4, "DMA to gpa 0x104000");
		CHECK(all(probe, PAGE, 0x5c), "the probe page was written");
	}
	st = stats(vm);
	CHECK(st.dma_faults == 0, "dma_faults %llu after DMA inside the VM",
	      (unsigned long long)st.dma_faults);
	end("dma-lands-in-guest-page");

	/* a gpa outside the VM, equal to the probe page's host address */
	begin();
	memset(ram + 4 * PAGE, 0x11, PAGE);
	faults = stats(vm).dma_faults;
	if (!edu_dma(&edu, hpa, true)) {
		CHECK(all(probe, PAGE, 0x5c),
		      "DMA to gpa 0x%llx outside the VM reached host memory",
		      (unsigned long long)hpa);
		check_ram(ram, ro, -1, "DMA outside the VM");
		st = stats(vm);
		CHECK(st.dma_faults == faults + 1,
		      "dma_faults %llu, want %llu (one recorded fault)",
		      (unsigned long long)st.dma_faults,
		      (unsigned long long)faults + 1);
	}
	end("dma-outside-vm-faults");

	begin();
	faults = stats(vm).dma_faults;
	if (!edu_dma(&edu, RO_GPA + PAGE, true)) {
		check_ram(ram, ro, -1, "DMA to the read-only slot");
		CHECK(stats(vm).dma_faults == faults + 1,
		      "dma_faults %llu, want %llu",
		      (unsigned long long)stats(vm).dma_faults,
		      (unsigned long long)faults + 1);
	}
	/* ... and reading it is fine */
	if (!edu_dma(&edu, RO_GPA, false))
		CHECK(stats(vm).dma_faults == faults + 1,
		      "a DMA read of the read-only slot faulted");
	end("dma-readonly-slot-faults");

	/* a slot added after the assignment is mapped; removed, it is not */
	begin();
	if (!edu_dma(&edu, SRC_GPA, false)) {
		if (set_region(vm, 2, 0, LATE_GPA, PAGE, late))
			bad("adding slot 2: %s", strerror(errno));
		else if (!edu_dma(&edu, LATE_GPA, true))
			CHECK(late[0] == pattern(0) && late[XFER - 1] == pattern(XFER - 1),
			      "DMA to the slot added later did not land");
		memset(late, 0x33, PAGE);
		faults = stats(vm).dma_faults;
		if (set_region(vm, 2, 0, LATE_GPA, 0, late))
			bad("deleting slot 2: %s", strerror(errno));
		else if (!edu_dma(&edu, LATE_GPA, true)) {
			CHECK(all(late, PAGE, 0x33),
			      "DMA reached the memory of a deleted slot");
			CHECK(stats(vm).dma_faults == faults + 1,
			      "no fault for DMA to a deleted slot");
		}
		check_ram(ram, ro, -1, "slot changes");
	}
	end("dma-follows-slots");

	/* unassigned: blocked */
	begin();
	EXPECT_OK(vm, LV_UNASSIGN_DEVICE, &edu.bdf);
	EXPECT_ERR(ENOENT, vm, LV_UNASSIGN_DEVICE, &edu.bdf);
	st = stats(vm);
	CHECK(st.assigned_devices == 0, "assigned_devices %llu after unassign",
	      (unsigned long long)st.assigned_devices);
	if (!edu_dma(&edu, DST_GPA, true))
		check_ram(ram, ro, -1, "DMA after unassign");
	CHECK(all(probe, PAGE, 0x5c), "the probe page was written");
	end("unassigned-dma-blocked");

	/* assigned again, then the VM goes: blocked */
	begin();
	EXPECT_OK(vm, LV_ASSIGN_DEVICE, &edu.bdf);
	if (!edu_dma(&edu, DST_GPA, true)) {
		CHECK(ram[4 * PAGE] == pattern(0), "DMA after reassignment did not land");
		memset(ram + 4 * PAGE, 0x11, PAGE);
	}
	close(vm);
	vm = -1;
	if (!edu_dma(&edu, DST_GPA, true))
		check_ram(ram, ro, -1, "DMA after the VM was closed");
	end("vm-teardown-dma-blocked");

out:
	if (vm >= 0)
		close(vm);
	if (sys >= 0)
		close(sys);
	return failures ? 1 : 0;
}

static int linux_owned(void)
{
	struct lv_caps caps;
	struct edu edu;
	int sys, vm;

	begin();
	sys = open_dev();
	if (sys >= 0 && EXPECT_OK(sys, LV_GET_CAPS, &caps) == 0)
		CHECK(!(caps.flags & LV_CAP_VTD),
		      "LV_CAP_VTD although Linux uses the unit");
	if (sys >= 0 && !find_pci(0x1234, 0x11e8, edu.path, sizeof(edu.path),
				  &edu.bdf)) {
		vm = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
		if (vm >= 0) {
			EXPECT_ERR(EACCES, vm, LV_ASSIGN_DEVICE, &edu.bdf);
			close(vm);
		}
	} else {
		bad("no edu device");
	}
	if (sys >= 0)
		close(sys);
	end("refuse-linux-unit");
	return failures ? 1 : 0;
}

/* module gone: translation off as found, so DMA reaches host memory again */
static int unloaded(void)
{
	uint64_t hpa = 0;
	uint8_t *probe;
	struct edu edu;
	size_t i;

	begin();
	probe = probe_page(0x5c, &hpa);
	if (!probe)
		bad("no page of ours below 256 MiB");
	else if (!edu_open(&edu) && !edu_dma(&edu, hpa, true)) {
		/* edu's buffer still holds the pattern from the dma test */
		for (i = 0; i < XFER; i++)
			if (probe[i] != pattern(i))
				break;
		CHECK(i == XFER,
		      "DMA to hpa 0x%llx did not land untranslated (byte %zu is 0x%02x)",
		      (unsigned long long)hpa, i, probe[i]);
	}
	end("unit-given-back");
	return failures ? 1 : 0;
}

/* ---- interrupts (LV_SET_DEVICE_IRQ) ----------------------------------------- */

#define EDU_IRQ_STATUS	(0x24 / 4)
#define EDU_IRQ_RAISE	(0x60 / 4)
#define EDU_IRQ_ACK	(0x64 / 4)

static struct lv_device_irq irq_req(const struct edu *edu, int type, int fd)
{
	return (struct lv_device_irq){
		.segment = edu->bdf.segment, .bus = edu->bdf.bus,
		.device = edu->bdf.device, .function = edu->bdf.function,
		.type = type, .fd = fd,
	};
}

/* one 16-bit register of edu's config space, or 0xffff */
static uint16_t cfg16(const struct edu *edu, unsigned int off)
{
	char p[400];
	uint16_t v = 0xffff;
	int fd;

	snprintf(p, sizeof(p), "%s/config", edu->path);
	fd = open(p, O_RDONLY);
	if (fd < 0 || pread(fd, &v, 2, off) != 2)
		bad("%s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
	return v;
}

/* MSI control of edu (0xffff: no MSI capability) */
static uint16_t msi_ctrl(const struct edu *edu)
{
	unsigned int off = cfg16(edu, 0x34) & 0xff;
	int n;

	for (n = 0; off && n < 48; n++) {
		uint16_t hdr = cfg16(edu, off);

		if ((hdr & 0xff) == 0x05)
			return cfg16(edu, off + 2);
		off = hdr >> 8;
	}
	return 0xffff;
}

static void set_cmd(const struct edu *edu, uint16_t cmd)
{
	char p[400];
	int fd;

	snprintf(p, sizeof(p), "%s/config", edu->path);
	fd = open(p, O_WRONLY);
	if (fd < 0 || pwrite(fd, &cmd, 2, 4) != 2)
		bad("writing edu's command register: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

#define CMD_INTX_DISABLE	0x400
#define STATUS_INTERRUPT	0x08

/* the /proc/interrupts lines of labvisor ("labvisor-vtd:BDF") */
static int irq_lines(char *first, size_t len)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f) {
		bad("/proc/interrupts: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "labvisor")) {
			if (!n && first)
				snprintf(first, len, "%s", line);
			n++;
		}
	fclose(f);
	return n;
}

/* read what the eventfd holds now (0: nothing) */
static uint64_t efd_take(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v)) {
		if (errno != EAGAIN)
			bad("eventfd read: %s", strerror(errno));
		return 0;
	}
	return v;
}

/*
 * Wait until the eventfd was signalled (10 s means it never will be) and
 * return its count.
 */
static uint64_t efd_wait(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	int i;

	for (i = 0; i < 100; i++)
		if (poll(&p, 1, 100) == 1)
			return efd_take(efd);
	return 0;
}

/* wait until the VM counted @want irqfd injections (10 s: never); the count */
static uint64_t irqfd_wait(int vm, uint64_t want)
{
	struct timespec ts = { 0, 10000000 };
	uint64_t n = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		n = stats(vm).irqfd_injections;
		if (n >= want)
			break;
		nanosleep(&ts, NULL);
	}
	return n;
}

/* a while for a wrong signal to show up before "nothing came" is checked */
static void settle(void)
{
	struct timespec ts = { 0, 300000000 };

	nanosleep(&ts, NULL);
}

static void irq_bad_requests(int vm, int other_vm, const struct edu *edu,
			     int efd)
{
	struct lv_device_irq r;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	r = irq_req(edu, LV_DEVICE_IRQ_MSI, efd);
	EXPECT_ERR(ENOENT, other_vm, LV_SET_DEVICE_IRQ, &r);
	r.device = 32;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, efd);
	r.function = (r.function + 1) & 7;	/* edu has one function */
	EXPECT_ERR(ENOENT, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, 3, efd);
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, efd);
	r.flags = 2;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r.flags = LV_DEVICE_IRQ_UNMASK;	/* MSI has nothing to unmask */
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, efd);
	r.padding = 1;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, efd);
	r.reserved[3] = 1;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_NONE, efd);	/* NONE takes fd -1 */
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_INTX, -1);	/* a routing needs an fd */
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, 1000);	/* not open */
	EXPECT_ERR(EBADF, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_MSI, devnull);	/* not an eventfd */
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	r = irq_req(edu, LV_DEVICE_IRQ_INTX, -1);	/* nothing routed */
	r.flags = LV_DEVICE_IRQ_UNMASK;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	EXPECT_ERR(EFAULT, vm, LV_SET_DEVICE_IRQ, (void *)8);
	if (devnull >= 0)
		close(devnull);
	CHECK(irq_lines(NULL, 0) == 0, "a refused request left a labvisor interrupt");
	CHECK(!(msi_ctrl(edu) & 1), "a refused request turned edu's MSI on");
}

static int irq(void)
{
	int sys = -1, vm = -1, vm2 = -1, efd = -1;
	struct lv_device_irq r;
	char line[512] = "";
	uint64_t n, total;
	struct edu edu;
	uint8_t *ram;
	uint16_t cmd;
	bool ok;
	int i;

	begin();
	ram = alloc_pages(RAM_PAGES, 0x11);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!ram || efd < 0)
		bad("no memory or no eventfd");
	if (!why[0])
		edu_open(&edu);
	if (!why[0])
		sys = open_dev();
	if (sys >= 0) {
		vm = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
		vm2 = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
	}
	if (vm >= 0 && set_region(vm, 0, 0, RAM_GPA, RAM_PAGES * PAGE, ram))
		bad("LV_SET_MEMORY_REGION: %s", strerror(errno));
	if (!why[0]) {
		struct lv_caps caps;

		if (EXPECT_OK(sys, LV_GET_CAPS, &caps) == 0)
			CHECK(caps.flags & LV_CAP_DEVICE_IRQ,
			      "no LV_CAP_DEVICE_IRQ with a free VT-d unit (flags 0x%llx)",
			      (unsigned long long)caps.flags);
		/* not assigned yet */
		r = irq_req(&edu, LV_DEVICE_IRQ_MSI, efd);
		EXPECT_ERR(ENOENT, vm, LV_SET_DEVICE_IRQ, &r);
		EXPECT_OK(vm, LV_ASSIGN_DEVICE, &edu.bdf);
		edu.regs[EDU_IRQ_ACK] = ~0u;
		CHECK(irq_lines(NULL, 0) == 0, "a labvisor interrupt before any routing");
	}
	ok = !why[0];
	end("irq-setup");
	if (!ok)
		goto out;

	begin();
	irq_bad_requests(vm, vm2, &edu, efd);
	end("irq-bad-requests");

	/* MSI: one raise, one signal */
	begin();
	r = irq_req(&edu, LV_DEVICE_IRQ_MSI, efd);
	if (EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r) == 0) {
		CHECK(msi_ctrl(&edu) & 1, "edu's MSI is not enabled (control 0x%x)",
		      msi_ctrl(&edu));
		CHECK(irq_lines(line, sizeof(line)) == 1,
		      "not one labvisor line in /proc/interrupts");
		printf("  %s", line);
		EXPECT_ERR(EBUSY, vm, LV_SET_DEVICE_IRQ, &r);
		r.type = LV_DEVICE_IRQ_INTX;
		EXPECT_ERR(EBUSY, vm, LV_SET_DEVICE_IRQ, &r);
		edu.regs[EDU_IRQ_RAISE] = 1;
		n = efd_wait(efd);
		CHECK(n == 1, "eventfd count %llu after one MSI, want 1",
		      (unsigned long long)n);
		edu.regs[EDU_IRQ_ACK] = 1;
		settle();
		n = efd_take(efd);
		CHECK(n == 0, "eventfd count %llu more after one MSI",
		      (unsigned long long)n);
	}
	end("irq-msi-once");

	begin();
	total = 0;
	for (i = 0; i < 3; i++) {
		edu.regs[EDU_IRQ_RAISE] = 1;
		n = efd_wait(efd);
		CHECK(n == 1, "raise %d: eventfd count %llu, want 1", i + 1,
		      (unsigned long long)n);
		total += n;
		edu.regs[EDU_IRQ_ACK] = 1;
	}
	settle();
	total += efd_take(efd);
	CHECK(total == 3, "eventfd counted %llu for 3 MSIs",
	      (unsigned long long)total);
	end("irq-msi-three");

	/*
	 * The eventfd hooked to LV_IRQFD, as lvctl does: each MSI of the
	 * device is delivered by the kernel (to no vCPU here: none can
	 * exist without VMX, but it is counted) and user space reads nothing
	 */
	begin();
	{
		struct lv_irqfd fd = {
			.fd = efd, .msi = { .address = 0xfee00000, .data = 0x4031 },
		};
		uint64_t base = stats(vm).irqfd_injections;

		if (EXPECT_OK(vm, LV_IRQFD, &fd) == 0) {
			for (i = 0; i < 3; i++) {
				edu.regs[EDU_IRQ_RAISE] = 1;
				n = irqfd_wait(vm, base + i + 1);
				CHECK(n == base + i + 1,
				      "raise %d: irqfd_injections %llu, want %llu",
				      i + 1, (unsigned long long)n,
				      (unsigned long long)base + i + 1);
				edu.regs[EDU_IRQ_ACK] = 1;
			}
			settle();
			n = stats(vm).irqfd_injections;
			CHECK(n == base + 3, "irqfd_injections %llu after 3 MSIs, want %llu",
			      (unsigned long long)n, (unsigned long long)base + 3);
			CHECK(efd_take(efd) == 0, "user space saw a count the irqfd should have taken");
			fd.flags = LV_IRQFD_DEASSIGN;
			EXPECT_OK(vm, LV_IRQFD, &fd);
		}
	}
	end("irq-msi-irqfd");

	begin();
	r = irq_req(&edu, LV_DEVICE_IRQ_NONE, -1);
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	CHECK(irq_lines(line, sizeof(line)) == 0,
	      "after teardown /proc/interrupts still has %s", line);
	CHECK(!(msi_ctrl(&edu) & 1), "edu's MSI still on after teardown");
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE, "INTx unmasked after the MSI teardown");
	/* torn down twice: nothing to do */
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	/* edu falls back to INTx, which is masked */
	edu.regs[EDU_IRQ_RAISE] = 1;
	settle();
	CHECK(efd_take(efd) == 0, "the eventfd was signalled after teardown");
	edu.regs[EDU_IRQ_ACK] = 1;
	end("irq-msi-teardown");

	/* INTx: signalled once, then masked until unmasked */
	begin();
	r = irq_req(&edu, LV_DEVICE_IRQ_INTX, efd);
	if (EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r) == 0) {
		CHECK(irq_lines(line, sizeof(line)) == 1,
		      "not one labvisor line in /proc/interrupts");
		printf("  %s", line);
		CHECK(!(cfg16(&edu, 4) & CMD_INTX_DISABLE),
		      "INTx masked right after routing");
		edu.regs[EDU_IRQ_RAISE] = 1;
		n = efd_wait(efd);
		CHECK(n == 1, "eventfd count %llu after one INTx, want 1",
		      (unsigned long long)n);
		cmd = cfg16(&edu, 4);
		CHECK(cmd & CMD_INTX_DISABLE,
		      "INTx not masked after the interrupt (command 0x%x)", cmd);
		/* a second raise while masked: nothing */
		edu.regs[EDU_IRQ_RAISE] = 2;
		settle();
		CHECK(cfg16(&edu, 6) & STATUS_INTERRUPT,
		      "edu does not assert INTx after the second raise");
		n = efd_take(efd);
		CHECK(n == 0, "masked INTx signalled %llu more time(s)",
		      (unsigned long long)n);
	}
	end("irq-intx-masked");

	begin();
	/* unmasked while still asserted: signalled again at once, still masked */
	r = irq_req(&edu, LV_DEVICE_IRQ_INTX, -1);
	r.flags = LV_DEVICE_IRQ_UNMASK;
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	n = efd_take(efd);
	CHECK(n == 1, "unmask of an asserted line: eventfd count %llu, want 1",
	      (unsigned long long)n);
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE,
	      "unmasked although edu still asserts INTx");
	/* handled: acknowledged, then unmasked */
	edu.regs[EDU_IRQ_ACK] = 3;
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	CHECK(efd_take(efd) == 0, "unmask of a quiet line signalled");
	CHECK(!(cfg16(&edu, 4) & CMD_INTX_DISABLE), "INTx still masked after unmask");
	edu.regs[EDU_IRQ_RAISE] = 4;
	n = efd_wait(efd);
	CHECK(n == 1, "eventfd count %llu after the next INTx, want 1",
	      (unsigned long long)n);
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE, "INTx not masked again");
	edu.regs[EDU_IRQ_ACK] = 4;
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	end("irq-intx-unmask");

	begin();
	r = irq_req(&edu, LV_DEVICE_IRQ_NONE, -1);
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	CHECK(irq_lines(line, sizeof(line)) == 0,
	      "after teardown /proc/interrupts still has %s", line);
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE, "INTx not left masked");
	r = irq_req(&edu, LV_DEVICE_IRQ_INTX, -1);
	r.flags = LV_DEVICE_IRQ_UNMASK;
	EXPECT_ERR(EINVAL, vm, LV_SET_DEVICE_IRQ, &r);
	end("irq-intx-teardown");

	/* unassigning frees the routing */
	begin();
	r = irq_req(&edu, LV_DEVICE_IRQ_MSI, efd);
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	CHECK(irq_lines(NULL, 0) == 1, "MSI routed again: no labvisor line");
	EXPECT_OK(vm, LV_UNASSIGN_DEVICE, &edu.bdf);
	CHECK(irq_lines(line, sizeof(line)) == 0,
	      "after unassign /proc/interrupts still has %s", line);
	CHECK(!(msi_ctrl(&edu) & 1), "edu's MSI still on after unassign");
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE, "INTx unmasked after unassign");
	EXPECT_ERR(ENOENT, vm, LV_SET_DEVICE_IRQ, &r);
	end("irq-unassign-frees");

	/* closing the VM frees it */
	begin();
	EXPECT_OK(vm, LV_ASSIGN_DEVICE, &edu.bdf);
	r = irq_req(&edu, LV_DEVICE_IRQ_INTX, efd);
	EXPECT_OK(vm, LV_SET_DEVICE_IRQ, &r);
	CHECK(irq_lines(NULL, 0) == 1, "INTx routed again: no labvisor line");
	close(vm);
	vm = -1;
	CHECK(irq_lines(line, sizeof(line)) == 0,
	      "after the VM closed /proc/interrupts still has %s", line);
	CHECK(cfg16(&edu, 4) & CMD_INTX_DISABLE, "INTx not left masked");
	/* unassigned, the device lost bus mastering: MSI needs it back */
	CHECK(!(cfg16(&edu, 4) & 0x4), "bus mastering still on after the VM closed");
	/* assignable and routable again from a new VM */
	if (vm2 >= 0) {
		EXPECT_OK(vm2, LV_ASSIGN_DEVICE, &edu.bdf);
		set_cmd(&edu, cfg16(&edu, 4) | 0x4);
		r = irq_req(&edu, LV_DEVICE_IRQ_MSI, efd);
		EXPECT_OK(vm2, LV_SET_DEVICE_IRQ, &r);
		edu.regs[EDU_IRQ_RAISE] = 1;
		n = efd_wait(efd);
		CHECK(n == 1, "another VM: eventfd count %llu after one MSI",
		      (unsigned long long)n);
		edu.regs[EDU_IRQ_ACK] = 1;
		close(vm2);
		vm2 = -1;
		CHECK(irq_lines(NULL, 0) == 0, "the second VM closed: a labvisor line left");
	}
	end("irq-vm-close-frees");

out:
	if (vm >= 0)
		close(vm);
	if (vm2 >= 0)
		close(vm2);
	if (sys >= 0)
		close(sys);
	if (efd >= 0)
		close(efd);
	return failures ? 1 : 0;
}

/* a device without MSI and without INTx pin (QEMU's pci-testdev) */
static int irq_nomsi(void)
{
	struct lv_assign_device a;
	struct lv_device_irq r;
	int sys, vm, efd;
	char path[128];

	begin();
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sys = open_dev();
	if (find_pci(0x1b36, 0x0005, path, sizeof(path), &a)) {
		bad("no pci-testdev (PCI 1b36:0005) in /sys/bus/pci/devices");
	} else if (sys >= 0) {
		vm = EXPECT_OK(sys, LV_CREATE_VM, LV_VM_EPT);
		if (vm >= 0 && EXPECT_OK(vm, LV_ASSIGN_DEVICE, &a) == 0) {
			r = (struct lv_device_irq){
				.segment = a.segment, .bus = a.bus,
				.device = a.device, .function = a.function,
				.type = LV_DEVICE_IRQ_MSI, .fd = efd,
			};
			EXPECT_ERR(EOPNOTSUPP, vm, LV_SET_DEVICE_IRQ, &r);
			r.type = LV_DEVICE_IRQ_INTX;
			EXPECT_ERR(EOPNOTSUPP, vm, LV_SET_DEVICE_IRQ, &r);
			CHECK(irq_lines(NULL, 0) == 0,
			      "a refused request left a labvisor interrupt");
		}
		if (vm >= 0)
			close(vm);
	}
	if (sys >= 0)
		close(sys);
	if (efd >= 0)
		close(efd);
	end("irq-refuse-no-msi");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "dma")) {
		static char t[64];

		snprintf(t, sizeof(t), "%s-", argv[2]);
		tag = t;
		return dma();
	}
	if (argc == 2 && !strcmp(argv[1], "novmx"))
		return novmx();
	if (argc == 2 && !strcmp(argv[1], "dma"))
		return dma();
	if (argc == 2 && !strcmp(argv[1], "linux"))
		return linux_owned();
	if (argc == 2 && !strcmp(argv[1], "unloaded"))
		return unloaded();
	if (argc == 2 && !strcmp(argv[1], "irq"))
		return irq();
	if (argc == 2 && !strcmp(argv[1], "irq-nomsi"))
		return irq_nomsi();
	fprintf(stderr, "usage: lv-vtd-test novmx|dma [TAG]|linux|unloaded|irq|irq-nomsi\n");
	return 2;
}
