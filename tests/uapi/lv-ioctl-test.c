// SPDX-License-Identifier: GPL-2.0
/*
 * lv-ioctl-test: bad arguments to every ioctl of uapi/linux/labvisor.h,
 * checked errno by errno, and checks that a rejected call changed nothing
 * (a guest still runs afterwards).  Runs in the lab with labvisor.ko
 * loaded; prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test
 * and exits 1 if any failed.
 *
 * The errno contract it checks (the module implements the same):
 *   unknown ioctl number, or an ioctl of another fd kind   ENOTTY
 *   bad user pointer (argument or memory region uaddr)     EFAULT
 *   bad flags, non-zero reserved/padding, misaligned or
 *   wrapping or out-of-range gpa/size/uaddr,
 *   slot >= max_slots, vCPU id >= max_vcpus,
 *   unknown VM type, bad register state                    EINVAL
 *   a VM type this CPU cannot do (no LV_CAP_EPT/SHADOW)    EOPNOTSUPP
 *   slot already mapped (replace without delete), or its
 *   range overlapping another slot (as KVM)                EEXIST
 *   deleting a slot that is not mapped                     ENOENT
 *   duplicate vCPU id                                      EEXIST
 *   mmap of the run page: offset != 0 or size too large    EINVAL
 *   mmap of a system or VM fd                              ENODEV
 *   LV_RUN with immediate_exit set                         EINTR
 *   LV_ASSIGN_DEVICE: bad fields                           EINVAL
 *     no such PCI device                                   ENODEV
 *     no VT-d unit translates it (no DMAR table)           ENXIO
 *   LV_UNASSIGN_DEVICE: bad fields                         EINVAL
 *     a device not assigned to this VM                     ENOENT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/labvisor.h>

#include "lvtest.h"

#define DEV		"/dev/labvisor"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define SZ_1M		0x100000UL
#define SZ_2M		0x200000UL
#define BAD_PTR		((void *)8)			/* never mapped */
#define KERNEL_PTR	((void *)0xffff888000000000UL)

/* the only capability bits this header knows */
#define LV_CAP_ALL	(LV_CAP_EPT | LV_CAP_VPID | LV_CAP_UNRESTRICTED | \
			 LV_CAP_EPT_2M | LV_CAP_SHADOW | LV_CAP_LAPIC | \
			 LV_CAP_IOEVENTFD | LV_CAP_IRQFD | LV_CAP_VTD | \
			 LV_CAP_EXIT_STATS | LV_CAP_TRACE | LV_CAP_EXIT_POLICY | \
			 LV_CAP_DEVICE_IRQ | LV_CAP_VM86)

static struct lv_caps caps;
static int sys_fd = -1;

static void end(const char *name)
{
	lvt_result("uapi-", name);
}

static int create_vm(void)
{
	unsigned long type = (caps.flags & LV_CAP_EPT) ? LV_VM_EPT
						      : LV_VM_SHADOW;

	return ioctl(sys_fd, LV_CREATE_VM, type);
}

static int set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		      uint64_t size, const void *uaddr)
{
	struct lv_memory_region r = {
		.slot = slot,
		.flags = flags,
		.gpa = gpa,
		.size = size,
		.uaddr = (uintptr_t)uaddr,
	};

	return ioctl(vm_fd, LV_SET_MEMORY_REGION, &r);
}

#define EXPECT_REGION(want, vm_fd, slot, flags, gpa, size, uaddr) ({	\
	long __r = set_region(vm_fd, slot, flags, gpa, size, uaddr);	\
	int __e = errno;						\
	expect_err(__LINE__, "LV_SET_MEMORY_REGION", want, __r, __e);	\
})

/* 2 MiB-aligned anonymous memory */
static void *alloc_aligned(size_t size)
{
	uintptr_t p;
	void *m;

	m = mmap(NULL, size + SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	p = ((uintptr_t)m + SZ_2M - 1) & ~(SZ_2M - 1);
	memset((void *)p, 0, size);
	return (void *)p;
}

/* ---- system fd ---- */

static void test_api_version(void)
{
	int v;

	begin();
	v = ioctl(sys_fd, LV_GET_API_VERSION, 0);
	CHECK(v == LV_API_VERSION, "LV_GET_API_VERSION = %d (%s), want %d", v,
	      v < 0 ? strerror(errno) : "ok", LV_API_VERSION);
	end("api-version");
}

static void test_caps(void)
{
	int i;

	begin();
	memset(&caps, 0xa5, sizeof(caps));
	if (ioctl(sys_fd, LV_GET_CAPS, &caps) < 0) {
		bad("LV_GET_CAPS: %s", strerror(errno));
		memset(&caps, 0, sizeof(caps));
		end("caps");
		return;
	}
	CHECK(caps.api_version == LV_API_VERSION, "api_version %u",
	      caps.api_version);
	CHECK(caps.max_vcpus >= 1 && caps.max_vcpus < 4096, "max_vcpus %u",
	      caps.max_vcpus);
	CHECK(caps.max_slots >= 2 && caps.max_slots < 65536, "max_slots %u",
	      caps.max_slots);
	CHECK(caps.run_mmap_size >= sizeof(struct lv_run) &&
	      caps.run_mmap_size % PAGE == 0, "run_mmap_size %u",
	      caps.run_mmap_size);
	CHECK(!(caps.flags & ~LV_CAP_ALL), "unknown flags 0x%llx",
	      (unsigned long long)caps.flags);
	CHECK(caps.flags & (LV_CAP_EPT | LV_CAP_SHADOW),
	      "neither EPT nor shadow paging (flags 0x%llx)",
	      (unsigned long long)caps.flags);
	CHECK(!(caps.flags & LV_CAP_EPT_2M) || (caps.flags & LV_CAP_EPT),
	      "EPT_2M without EPT");
	CHECK((caps.flags & LV_CAP_EPT) || caps.ept_vpid_cap == 0,
	      "ept_vpid_cap 0x%llx without EPT",
	      (unsigned long long)caps.ept_vpid_cap);
	CHECK(!(caps.flags & LV_CAP_EPT) || caps.ept_vpid_cap != 0,
	      "EPT without ept_vpid_cap");
	/* IA32_VMX_BASIC: revision id in 30:0, bit 31 clear, VMCS size */
	CHECK(caps.vmx_basic && !(caps.vmx_basic & (1ULL << 31)) &&
	      ((caps.vmx_basic >> 32) & 0x1fff) >= 0x10,
	      "vmx_basic 0x%llx", (unsigned long long)caps.vmx_basic);
	for (i = 0; i < 4; i++)
		CHECK(caps.reserved[i] == 0, "reserved[%d] 0x%llx", i,
		      (unsigned long long)caps.reserved[i]);
	printf("  caps: flags 0x%llx max_vcpus %u max_slots %u run_mmap_size %u\n",
	       (unsigned long long)caps.flags, caps.max_vcpus, caps.max_slots,
	       caps.run_mmap_size);
	end("caps");
}

static void test_caps_efault(void)
{
	begin();
	EXPECT_ERR(EFAULT, sys_fd, LV_GET_CAPS, NULL);
	EXPECT_ERR(EFAULT, sys_fd, LV_GET_CAPS, BAD_PTR);
	EXPECT_ERR(EFAULT, sys_fd, LV_GET_CAPS, KERNEL_PTR);
	end("caps-efault");
}

/* every ioctl that belongs to another fd kind, and unknown numbers */
static void expect_foreign_ioctls(int fd, int kind)
{
	struct lv_memory_region r = { 0 };
	struct lv_regs regs;
	struct lv_sregs sregs;
	struct lv_vcpu_stats stats;
	struct lv_vm_stats vm_stats;
	struct lv_caps c;

	if (kind != 0) {
		EXPECT_ERR(ENOTTY, fd, LV_GET_API_VERSION, 0);
		EXPECT_ERR(ENOTTY, fd, LV_GET_CAPS, &c);
		EXPECT_ERR(ENOTTY, fd, LV_CREATE_VM, LV_VM_EPT);
	}
	if (kind != 1) {
		EXPECT_ERR(ENOTTY, fd, LV_SET_MEMORY_REGION, &r);
		EXPECT_ERR(ENOTTY, fd, LV_CREATE_VCPU, 0);
		EXPECT_ERR(ENOTTY, fd, LV_GET_VM_STATS, &vm_stats);
		EXPECT_ERR(ENOTTY, fd, LV_ASSIGN_DEVICE, &r);
		EXPECT_ERR(ENOTTY, fd, LV_UNASSIGN_DEVICE, &r);
	}
	if (kind != 2) {
		EXPECT_ERR(ENOTTY, fd, LV_RUN, 0);
		EXPECT_ERR(ENOTTY, fd, LV_GET_REGS, &regs);
		EXPECT_ERR(ENOTTY, fd, LV_SET_REGS, &regs);
		EXPECT_ERR(ENOTTY, fd, LV_GET_SREGS, &sregs);
		EXPECT_ERR(ENOTTY, fd, LV_SET_SREGS, &sregs);
		EXPECT_ERR(ENOTTY, fd, LV_GET_STATS, &stats);
	}
	/* unknown numbers, a wrong size or direction, another magic */
	EXPECT_ERR(ENOTTY, fd, _IO(LV_IOC_MAGIC, 0x7f), 0);
	EXPECT_ERR(ENOTTY, fd, _IO(LV_IOC_MAGIC, 0x03), 0);
	EXPECT_ERR(ENOTTY, fd, _IO(LV_IOC_MAGIC, 0x12), 0);
	EXPECT_ERR(ENOTTY, fd, _IO(LV_IOC_MAGIC, 0x26), 0);
	EXPECT_ERR(ENOTTY, fd, _IOR(LV_IOC_MAGIC, 0x01, uint32_t), &c);
	EXPECT_ERR(ENOTTY, fd, _IOW(LV_IOC_MAGIC, 0x01, struct lv_caps), &c);
	EXPECT_ERR(ENOTTY, fd, _IOW(LV_IOC_MAGIC, 0x10, uint64_t), &r);
	EXPECT_ERR(ENOTTY, fd, _IOR(LV_IOC_MAGIC, 0x21, struct lv_sregs), &sregs);
	EXPECT_ERR(ENOTTY, fd, _IO(0xAE, 0x00), 0);	/* KVM_GET_API_VERSION */
	EXPECT_ERR(ENOTTY, fd, _IO(LV_IOC_MAGIC + 1, 0x00), 0);
}

static void test_sys_foreign(void)
{
	begin();
	expect_foreign_ioctls(sys_fd, 0);
	end("sys-fd-enotty");
}

static void test_create_vm_bad(void)
{
	int fd;

	begin();
	EXPECT_ERR(EINVAL, sys_fd, LV_CREATE_VM, 2);
	EXPECT_ERR(EINVAL, sys_fd, LV_CREATE_VM, 0x100);
	EXPECT_ERR(EINVAL, sys_fd, LV_CREATE_VM, ~0UL);
	EXPECT_ERR(EINVAL, sys_fd, LV_CREATE_VM, 1UL << 32);
	if (caps.flags & LV_CAP_EPT) {
		fd = EXPECT_OK(sys_fd, LV_CREATE_VM, LV_VM_EPT);
		if (fd >= 0)
			close(fd);
	} else {
		EXPECT_ERR(EOPNOTSUPP, sys_fd, LV_CREATE_VM, LV_VM_EPT);
	}
	if (caps.flags & LV_CAP_SHADOW) {
		fd = EXPECT_OK(sys_fd, LV_CREATE_VM, LV_VM_SHADOW);
		if (fd >= 0)
			close(fd);
	} else {
		EXPECT_ERR(EOPNOTSUPP, sys_fd, LV_CREATE_VM, LV_VM_SHADOW);
	}
	end("create-vm-bad-type");
}

/* ---- VM fd ---- */

static void test_vm_foreign(void)
{
	int vm_fd;

	begin();
	vm_fd = create_vm();
	if (vm_fd < 0) {
		bad("LV_CREATE_VM: %s", strerror(errno));
	} else {
		expect_foreign_ioctls(vm_fd, 1);
		close(vm_fd);
	}
	end("vm-fd-enotty");
}

static void test_memory_region_bad(void)
{
	uint8_t *mem, *hole;
	int vm_fd;

	begin();
	vm_fd = create_vm();
	mem = alloc_aligned(4 * SZ_2M);
	/* 8 pages of which only the first stays mapped */
	hole = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (vm_fd < 0 || !mem || hole == MAP_FAILED) {
		bad("setup: %s", strerror(errno));
		end("memory-region-bad-args");
		return;
	}
	munmap(hole + PAGE, 7 * PAGE);

	EXPECT_ERR(EFAULT, vm_fd, LV_SET_MEMORY_REGION, NULL);
	EXPECT_ERR(EFAULT, vm_fd, LV_SET_MEMORY_REGION, BAD_PTR);
	/* flags */
	EXPECT_REGION(EINVAL, vm_fd, 0, 1U << 1, 0, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 1U << 31, 0, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, ~0U, 0, SZ_2M, mem);
	/* alignment */
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0x800, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 1, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0, SZ_2M + 0x800, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0, 1, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0, SZ_2M, mem + 0x10);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0, SZ_2M, mem + 0x800);
	/* slot out of range */
	EXPECT_REGION(EINVAL, vm_fd, caps.max_slots, 0, 0, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, caps.max_slots + 1, 0, 0, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, ~0U, 0, 0, SZ_2M, mem);
	EXPECT_REGION(EINVAL, vm_fd, 1U << 16, 0, 0, SZ_2M, mem);
	/* gpa + size wraps, or lies beyond any physical address width */
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, ~0ULL - PAGE + 1, 2 * PAGE, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 1ULL << 52, PAGE, mem);
	EXPECT_REGION(EINVAL, vm_fd, 0, 0, 0, 1ULL << 63, mem);
	/* user memory that is not there */
	EXPECT_REGION(EFAULT, vm_fd, 0, 0, 0, 4 * PAGE, hole + PAGE);
	EXPECT_REGION(EFAULT, vm_fd, 0, 0, 0, 4 * PAGE, (void *)PAGE);
	EXPECT_REGION(EFAULT, vm_fd, 0, 0, 0, 4 * PAGE, KERNEL_PTR);
	/* the first page mapped, the rest not */
	EXPECT_REGION(EFAULT, vm_fd, 0, 0, 0, 8 * PAGE, hole);
	/* deleting a slot that was never set */
	EXPECT_REGION(ENOENT, vm_fd, 0, 0, 0, 0, NULL);
	EXPECT_REGION(ENOENT, vm_fd, caps.max_slots - 1, 0, 0, 0, NULL);
	/* deleting an out-of-range slot is out of range first */
	EXPECT_REGION(EINVAL, vm_fd, caps.max_slots, 0, 0, 0, NULL);

	/* now good slots, then overlaps and replacements */
	CHECK(set_region(vm_fd, 0, 0, 0, SZ_2M, mem) == 0, "slot 0: %s",
	      strerror(errno));
	EXPECT_REGION(EEXIST, vm_fd, 0, 0, 0, SZ_2M, mem);
	EXPECT_REGION(EEXIST, vm_fd, 0, 0, 4 * SZ_2M, SZ_2M, mem);
	EXPECT_REGION(EEXIST, vm_fd, 1, 0, SZ_1M, SZ_2M, mem + SZ_2M);
	EXPECT_REGION(EEXIST, vm_fd, 1, 0, 0, PAGE, mem + SZ_2M);
	EXPECT_REGION(EEXIST, vm_fd, 1, 0, SZ_2M - PAGE, 2 * PAGE,
		      mem + SZ_2M);
	/* one slot containing another */
	EXPECT_REGION(EEXIST, vm_fd, 1, 0, 0, 2 * SZ_2M, mem + SZ_2M);
	/* adjacent is fine, and a read-only slot */
	CHECK(set_region(vm_fd, 1, LV_MEM_READONLY, SZ_2M, SZ_2M,
			 mem + SZ_2M) == 0, "adjacent read-only slot 1: %s",
	      strerror(errno));
	EXPECT_REGION(EEXIST, vm_fd, 2, 0, SZ_2M + PAGE, PAGE, mem);
	/* delete, then the range is free again */
	CHECK(set_region(vm_fd, 1, 0, 0, 0, NULL) == 0, "delete slot 1: %s",
	      strerror(errno));
	EXPECT_REGION(ENOENT, vm_fd, 1, 0, 0, 0, NULL);
	CHECK(set_region(vm_fd, 2, 0, SZ_2M + PAGE, PAGE, mem + 3 * SZ_2M) == 0,
	      "slot 2 in the freed range: %s", strerror(errno));
	/* the same host memory in two slots is allowed (aliasing) */
	CHECK(set_region(vm_fd, 3, 0, 4 * SZ_2M, SZ_2M, mem) == 0,
	      "aliased slot 3: %s", strerror(errno));
	/* what is mapped now: slots 0, 2, 3 = 512 + 1 + 512 pages */
	{
		struct lv_vm_stats vs;

		CHECK(ioctl(vm_fd, LV_GET_VM_STATS, &vs) == 0,
		      "LV_GET_VM_STATS: %s", strerror(errno));
		CHECK(vs.slots == 3 && vs.pinned_pages == 1025,
		      "LV_GET_VM_STATS: %llu slots, %llu pages pinned, want 3, 1025",
		      (unsigned long long)vs.slots,
		      (unsigned long long)vs.pinned_pages);
		CHECK(vs.ept_4k + 512 * vs.ept_2m == 1025 && vs.ept_tables >= 4,
		      "LV_GET_VM_STATS: %llu x 4K + %llu x 2M mappings in %llu tables for 1025 pages",
		      (unsigned long long)vs.ept_4k,
		      (unsigned long long)vs.ept_2m,
		      (unsigned long long)vs.ept_tables);
	}
	close(vm_fd);
	munmap(hole, PAGE);
	end("memory-region-bad-args");
}

/* a PCI device of this machine, from sysfs: 0 if found */
static int first_pci_device(struct lv_assign_device *a)
{
	unsigned int seg, bus, dev, fn;
	char line[64];
	FILE *f;
	int ok;

	f = popen("ls /sys/bus/pci/devices 2>/dev/null | head -n 1", "r");
	if (!f)
		return -1;
	ok = fgets(line, sizeof(line), f) &&
	     sscanf(line, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) == 4;
	pclose(f);
	if (!ok)
		return -1;
	*a = (struct lv_assign_device){ .segment = seg, .bus = bus,
					.device = dev, .function = fn };
	return 0;
}

static void test_assign_device_bad(void)
{
	static const struct lv_assign_device ok = { 0 };
	struct lv_assign_device a, host;
	struct lv_vm_stats st;
	int vm_fd, i;

	begin();
	vm_fd = create_vm();
	if (vm_fd < 0) {
		bad("LV_CREATE_VM: %s", strerror(errno));
		end("assign-device-bad");
		return;
	}
	EXPECT_ERR(EFAULT, vm_fd, LV_ASSIGN_DEVICE, NULL);
	EXPECT_ERR(EFAULT, vm_fd, LV_ASSIGN_DEVICE, BAD_PTR);
	EXPECT_ERR(EFAULT, vm_fd, LV_UNASSIGN_DEVICE, KERNEL_PTR);
	/* every field out of range, and every padding/reserved byte */
	for (i = 0; i < 10; i++) {
		a = ok;
		switch (i) {
		case 0: a.device = 32; break;
		case 1: a.device = 0xff; break;
		case 2: a.function = 8; break;
		case 3: a.flags = 1; break;
		case 4: a.flags = 0x80000000; break;
		case 5: a.padding[0] = 1; break;
		case 6: a.padding[2] = 0x80; break;
		case 7: a.reserved[0] = 1; break;
		case 8: a.reserved[1] = 1; break;
		case 9: a.reserved[2] = 0xffffffff; break;
		}
		EXPECT_ERR(EINVAL, vm_fd, LV_ASSIGN_DEVICE, &a);
		EXPECT_ERR(EINVAL, vm_fd, LV_UNASSIGN_DEVICE, &a);
	}
	/* LV_SET_DEVICE_IRQ: bad fields EINVAL, an unassigned device ENOENT */
	{
		struct lv_device_irq r = { .type = LV_DEVICE_IRQ_NONE, .fd = -1 };

		EXPECT_ERR(EFAULT, vm_fd, LV_SET_DEVICE_IRQ, BAD_PTR);
		EXPECT_ERR(ENOENT, vm_fd, LV_SET_DEVICE_IRQ, &r);
		r.type = 3;
		EXPECT_ERR(EINVAL, vm_fd, LV_SET_DEVICE_IRQ, &r);
		r.type = LV_DEVICE_IRQ_NONE;
		r.reserved[2] = 1;
		EXPECT_ERR(EINVAL, vm_fd, LV_SET_DEVICE_IRQ, &r);
		r.reserved[2] = 0;
		r.type = LV_DEVICE_IRQ_MSI;
		EXPECT_ERR(EINVAL, vm_fd, LV_SET_DEVICE_IRQ, &r);	/* fd -1 */
		r.fd = 1000;
		EXPECT_ERR(EBADF, vm_fd, LV_SET_DEVICE_IRQ, &r);
	}
	/* no such device: segment 0xfff0 does not exist here */
	a = ok;
	a.segment = 0xfff0;
	EXPECT_ERR(ENODEV, vm_fd, LV_ASSIGN_DEVICE, &a);
	a = (struct lv_assign_device){ .bus = 0xfe, .device = 31, .function = 7 };
	EXPECT_ERR(ENODEV, vm_fd, LV_ASSIGN_DEVICE, &a);
	EXPECT_ERR(ENOENT, vm_fd, LV_UNASSIGN_DEVICE, &a);
	/* a real device: without a usable VT-d unit nothing translates it */
	if (first_pci_device(&host) == 0) {
		if (!(caps.flags & LV_CAP_VTD)) {
			/* ENXIO: no DMAR; EACCES: a unit Linux uses */
			long r = ioctl(vm_fd, LV_ASSIGN_DEVICE, &host);
			int e = errno;

			expect_err(__LINE__, "LV_ASSIGN_DEVICE (host device)",
				   e == EACCES ? EACCES : ENXIO, r, e);
		}
		EXPECT_ERR(ENOENT, vm_fd, LV_UNASSIGN_DEVICE, &host);
	}
	memset(&st, 0xa5, sizeof(st));
	if (EXPECT_OK(vm_fd, LV_GET_VM_STATS, &st) == 0)
		CHECK(st.assigned_devices == 0 && st.dma_faults == 0,
		      "after refused assignments: assigned_devices %llu dma_faults %llu",
		      (unsigned long long)st.assigned_devices,
		      (unsigned long long)st.dma_faults);
	close(vm_fd);
	end("assign-device-bad");
}

static void test_create_vcpu_bad(void)
{
	int vm_fd, a, b;

	begin();
	vm_fd = create_vm();
	if (vm_fd < 0) {
		bad("LV_CREATE_VM: %s", strerror(errno));
		end("create-vcpu-bad-id");
		return;
	}
	EXPECT_ERR(EINVAL, vm_fd, LV_CREATE_VCPU, caps.max_vcpus);
	EXPECT_ERR(EINVAL, vm_fd, LV_CREATE_VCPU, caps.max_vcpus + 1UL);
	EXPECT_ERR(EINVAL, vm_fd, LV_CREATE_VCPU, ~0UL);
	EXPECT_ERR(EINVAL, vm_fd, LV_CREATE_VCPU, 1UL << 32);
	a = EXPECT_OK(vm_fd, LV_CREATE_VCPU, 0);
	EXPECT_ERR(EEXIST, vm_fd, LV_CREATE_VCPU, 0);
	if (caps.max_vcpus > 1) {
		b = EXPECT_OK(vm_fd, LV_CREATE_VCPU, caps.max_vcpus - 1);
		EXPECT_ERR(EEXIST, vm_fd, LV_CREATE_VCPU, caps.max_vcpus - 1);
		if (b >= 0)
			close(b);
	}
	if (a >= 0)
		close(a);
	close(vm_fd);
	end("create-vcpu-bad-id");
}

/* ---- vCPU fd ---- */

struct vm_ctx {
	int vm_fd;
	int vcpu_fd;
	struct lv_run *run;
	uint8_t *mem;		/* 4 MiB: slot 0 RAM, slot 1 read-only */
};

static int vm_ctx_create(struct vm_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpu_fd = -1;
	c->run = MAP_FAILED;
	c->vm_fd = create_vm();
	if (c->vm_fd < 0) {
		bad("LV_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	c->vcpu_fd = ioctl(c->vm_fd, LV_CREATE_VCPU, 0);
	if (c->vcpu_fd < 0) {
		bad("LV_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	c->run = mmap(NULL, caps.run_mmap_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, c->vcpu_fd, 0);
	if (c->run == MAP_FAILED) {
		bad("mmap of the run page: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void vm_ctx_destroy(struct vm_ctx *c)
{
	if (c->run != MAP_FAILED)
		munmap(c->run, caps.run_mmap_size);
	if (c->vcpu_fd >= 0)
		close(c->vcpu_fd);
	if (c->vm_fd >= 0)
		close(c->vm_fd);
}

static void test_vcpu_foreign(void)
{
	struct vm_ctx c;

	begin();
	if (!vm_ctx_create(&c))
		expect_foreign_ioctls(c.vcpu_fd, 2);
	vm_ctx_destroy(&c);
	end("vcpu-fd-enotty");
}

static void test_vcpu_efault(void)
{
	struct vm_ctx c;

	begin();
	if (!vm_ctx_create(&c)) {
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_GET_REGS, NULL);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_SET_REGS, NULL);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_GET_SREGS, NULL);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_SET_SREGS, NULL);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_GET_STATS, NULL);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_GET_REGS, BAD_PTR);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_SET_SREGS, KERNEL_PTR);
		EXPECT_ERR(EFAULT, c.vcpu_fd, LV_GET_STATS, KERNEL_PTR);
		EXPECT_ERR(EFAULT, c.vm_fd, LV_GET_VM_STATS, NULL);
		EXPECT_ERR(EFAULT, c.vm_fd, LV_GET_VM_STATS, KERNEL_PTR);
	}
	vm_ctx_destroy(&c);
	end("vcpu-efault");
}

static void test_regs(void)
{
	struct lv_regs set, got, before;
	struct vm_ctx c;
	uint64_t *p;
	unsigned int i;

	begin();
	if (!vm_ctx_create(&c)) {
		p = (uint64_t *)&set;
		for (i = 0; i < sizeof(set) / 8; i++)
			p[i] = 0x0101010101010101ULL * (i + 1);
		set.rip = 0x100000;
		set.rflags = 0x2 | (1 << 0) | (1 << 11);	/* CF, OF */
		EXPECT_OK(c.vcpu_fd, LV_SET_REGS, &set);
		memset(&got, 0, sizeof(got));
		EXPECT_OK(c.vcpu_fd, LV_GET_REGS, &got);
		CHECK(!memcmp(&set, &got, sizeof(set)),
		      "LV_GET_REGS differs from what LV_SET_REGS set (rax 0x%llx rip 0x%llx rflags 0x%llx)",
		      (unsigned long long)got.rax,
		      (unsigned long long)got.rip,
		      (unsigned long long)got.rflags);
		/* reserved RFLAGS bits: rejected, nothing changed */
		before = got;
		set.rflags = 0x2 | (1ULL << 40);
		set.rax = 0xdead;
		EXPECT_ERR(EINVAL, c.vcpu_fd, LV_SET_REGS, &set);
		set.rflags = 0x2 | (1ULL << 22);
		EXPECT_ERR(EINVAL, c.vcpu_fd, LV_SET_REGS, &set);
		EXPECT_OK(c.vcpu_fd, LV_GET_REGS, &got);
		CHECK(!memcmp(&before, &got, sizeof(got)),
		      "a rejected LV_SET_REGS changed the registers");
	}
	vm_ctx_destroy(&c);
	end("regs");
}

static void test_sregs(void)
{
	struct lv_sregs orig, s, got;
	struct vm_ctx c;

	begin();
	if (vm_ctx_create(&c)) {
		vm_ctx_destroy(&c);
		end("sregs");
		return;
	}
	EXPECT_OK(c.vcpu_fd, LV_GET_SREGS, &orig);
	CHECK(orig.reserved[0] == 0 && orig.reserved[3] == 0 &&
	      orig.cs.padding == 0 && orig.gdt.padding[0] == 0,
	      "LV_GET_SREGS left reserved fields non-zero");
	CHECK(!(orig.cr4 & (1ULL << 13)), "CR4.VMXE visible to the guest");
	/* what GET returns, SET accepts */
	EXPECT_OK(c.vcpu_fd, LV_SET_SREGS, &orig);

#define SREGS_REJECT(mutate) do {					\
		s = orig;						\
		mutate;							\
		EXPECT_ERR(EINVAL, c.vcpu_fd, LV_SET_SREGS, &s);	\
		memset(&got, 0, sizeof(got));				\
		EXPECT_OK(c.vcpu_fd, LV_GET_SREGS, &got);		\
		CHECK(!memcmp(&got, &orig, sizeof(got)),		\
		      "rejected LV_SET_SREGS (%s) changed state", #mutate); \
	} while (0)

	SREGS_REJECT(s.reserved[0] = 1);
	SREGS_REJECT(s.reserved[3] = 1ULL << 63);
	SREGS_REJECT(s.cs.padding = 1);
	SREGS_REJECT(s.tr.padding = 0x80);
	SREGS_REJECT(s.gdt.padding[0] = 1);
	SREGS_REJECT(s.idt.padding[2] = 1);
	/* CR4.VMXE is never the guest's */
	SREGS_REJECT(s.cr4 |= 1ULL << 13);
	/* EFER.LMA without LME and CR0.PG */
	SREGS_REJECT(s.efer = 1ULL << 10; s.cr0 &= ~(1ULL << 31));
	/* LME and PG (with PAE) but LMA clear */
	SREGS_REJECT(s.efer = 1ULL << 8; s.cr4 |= 1ULL << 5;
		     s.cr0 |= (1ULL << 31) | 1);
	/* reserved EFER and CR4 bits */
	SREGS_REJECT(s.efer |= 1ULL << 2);
	SREGS_REJECT(s.cr4 |= 1ULL << 40);
	/* CR0.PG without CR0.PE */
	SREGS_REJECT(s.cr0 = (s.cr0 | (1ULL << 31)) & ~1ULL);
	vm_ctx_destroy(&c);
	end("sregs");
#undef SREGS_REJECT
}

static void test_run_mmap(void)
{
	struct vm_ctx c;
	void *p;

	begin();
	if (!vm_ctx_create(&c)) {
		p = mmap(NULL, caps.run_mmap_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, c.vcpu_fd, PAGE);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "mmap at offset 4096: %s", p == MAP_FAILED ?
		      strerrorname_np(errno) : "succeeded");
		if (p != MAP_FAILED)
			munmap(p, caps.run_mmap_size);
		p = mmap(NULL, caps.run_mmap_size + PAGE,
			 PROT_READ | PROT_WRITE, MAP_SHARED, c.vcpu_fd, 0);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "mmap of run_mmap_size + 4096: %s", p == MAP_FAILED ?
		      strerrorname_np(errno) : "succeeded");
		if (p != MAP_FAILED)
			munmap(p, caps.run_mmap_size + PAGE);
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, c.vm_fd, 0);
		CHECK(p == MAP_FAILED && errno == ENODEV,
		      "mmap of a VM fd: %s", p == MAP_FAILED ?
		      strerrorname_np(errno) : "succeeded");
		if (p != MAP_FAILED)
			munmap(p, PAGE);
		p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, sys_fd, 0);
		CHECK(p == MAP_FAILED && errno == ENODEV,
		      "mmap of the system fd: %s", p == MAP_FAILED ?
		      strerrorname_np(errno) : "succeeded");
		if (p != MAP_FAILED)
			munmap(p, PAGE);
		/* a second mapping of the right size shares the page */
		p = mmap(NULL, caps.run_mmap_size, PROT_READ, MAP_SHARED,
			 c.vcpu_fd, 0);
		if (p == MAP_FAILED) {
			bad("second mmap of the run page: %s", strerror(errno));
		} else {
			c.run->immediate_exit = 1;
			CHECK(((struct lv_run *)p)->immediate_exit == 1,
			      "two mappings of the run page differ");
			c.run->immediate_exit = 0;
			munmap(p, caps.run_mmap_size);
		}
	}
	vm_ctx_destroy(&c);
	end("run-mmap");
}

static void test_stats_fresh(void)
{
	struct lv_vcpu_stats s;
	struct vm_ctx c;
	int i;

	begin();
	if (!vm_ctx_create(&c)) {
		memset(&s, 0xa5, sizeof(s));
		EXPECT_OK(c.vcpu_fd, LV_GET_STATS, &s);
		CHECK(s.exits == 0 && s.user_exits == 0 && s.migrations == 0,
		      "fresh vCPU: exits %llu user %llu migrations %u",
		      (unsigned long long)s.exits,
		      (unsigned long long)s.user_exits, s.migrations);
		for (i = 0; i < LV_NR_EXIT_REASONS; i++)
			CHECK(s.by_reason[i] == 0, "by_reason[%d] = %llu", i,
			      (unsigned long long)s.by_reason[i]);
	}
	vm_ctx_destroy(&c);
	end("stats-fresh");
}

static void test_immediate_exit(void)
{
	struct vm_ctx c;
	long ret;

	begin();
	if (!vm_ctx_create(&c)) {
		c.run->immediate_exit = 1;
		ret = ioctl(c.vcpu_fd, LV_RUN, 0);
		CHECK(ret < 0 && errno == EINTR, "LV_RUN with immediate_exit: %s",
		      ret < 0 ? strerrorname_np(errno) : "succeeded");
		CHECK(c.run->exit_reason == LV_EXIT_INTR,
		      "exit_reason %u, want LV_EXIT_INTR", c.run->exit_reason);
		c.run->immediate_exit = 0;
	}
	vm_ctx_destroy(&c);
	end("run-immediate-exit");
}

/* ---- a real guest, after rejected calls ---- */

/*
 * 64-bit guest at 0x100000:
 *	mov $0x42,%al; out %al,$0xe0
 *	mov $1,%eax; mov $10,%ebx; mov $20,%ecx; mov $30,%edx; mov $40,%esi
 *	vmcall; out %eax,$0xe0
 *	in $0xe0,%al; out %al,$0xe0
 *	movabs 0xd0000000,%eax; out %eax,$0xe0
 *	movl $0x5a5a,0x200000			(read-only slot: MMIO write)
 *	mov 0x200000,%eax; out %eax,$0xe0	(reads the backing memory)
 *	hlt
 */
static const uint8_t guest_code[] = {
	0xb0, 0x42, 0xe6, 0xe0, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xbb, 0x0a, 0x00,
	0x00, 0x00, 0xb9, 0x14, 0x00, 0x00, 0x00, 0xba, 0x1e, 0x00, 0x00, 0x00,
	0xbe, 0x28, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xc1, 0xe7, 0xe0, 0xe4, 0xe0,
	0xe6, 0xe0, 0xa1, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00, 0xe7,
	0xe0, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0x5a, 0x5a, 0x00, 0x00,
	0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0xe7, 0xe0, 0xf4
};

#define G_CODE		0x100000

/* long mode, identity map of the first 4 GiB, flat segments */
static int guest_setup(struct vm_ctx *c)
{
	struct lv_regs r;

	memcpy(c->mem + G_CODE, guest_code, sizeof(guest_code));
	/* the read-only slot's backing memory */
	put64(c->mem + SZ_2M, 0x11223344);

	if (lvt_long_mode(c->vcpu_fd, c->mem, 4, 0, 0))
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = G_CODE;
	r.rflags = 2;
	if (ioctl(c->vcpu_fd, LV_SET_REGS, &r) < 0) {
		bad("LV_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static const char *exit_name(uint32_t r)
{
	static const char *const n[] = { "none", "io", "mmio", "hlt",
		"shutdown", "hypercall", "fail_entry", "internal_error",
		"intr" };

	return r < ARRAY_SIZE(n) ? n[r] : "?";
}

/* LV_RUN until the next exit; false (and a failure noted) on error */
static bool run_to(struct vm_ctx *c, uint32_t want, const char *step)
{
	struct lv_run *run = c->run;

	if (ioctl(c->vcpu_fd, LV_RUN, 0) < 0) {
		bad("%s: LV_RUN: %s", step, strerror(errno));
		return false;
	}
	if (run->exit_reason != want) {
		bad("%s: exit %s (hw reason %u, qualification 0x%llx), want %s",
		    step, exit_name(run->exit_reason), run->hw_exit_reason,
		    (unsigned long long)run->hw_qualification,
		    exit_name(want));
		if (run->exit_reason == LV_EXIT_INTERNAL_ERROR)
			printf("  internal: suberror %u data 0x%llx 0x%llx\n",
			       run->internal.suberror,
			       (unsigned long long)run->internal.data[0],
			       (unsigned long long)run->internal.data[1]);
		if (run->exit_reason == LV_EXIT_FAIL_ENTRY)
			printf("  fail_entry: hw_reason 0x%llx check %u\n",
			       (unsigned long long)run->fail_entry.hw_reason,
			       run->fail_entry.check);
		return false;
	}
	return true;
}

static uint8_t *io_data(struct vm_ctx *c)
{
	return (uint8_t *)c->run + c->run->io.data_offset;
}

static bool expect_out(struct vm_ctx *c, uint8_t size, uint32_t value,
		       const char *step)
{
	struct lv_run *run = c->run;
	uint32_t v = 0;

	if (!run_to(c, LV_EXIT_IO, step))
		return false;
	if (run->io.data_offset + size > caps.run_mmap_size) {
		bad("%s: io.data_offset %llu outside the run page", step,
		    (unsigned long long)run->io.data_offset);
		return false;
	}
	memcpy(&v, io_data(c), size);
	if (run->io.direction != LV_IO_OUT || run->io.port != 0xe0 ||
	    run->io.size != size || run->io.count != 1 || v != value) {
		bad("%s: io dir %u port 0x%x size %u count %u value 0x%x, want out 0xe0 size %u value 0x%x",
		    step, run->io.direction, run->io.port, run->io.size,
		    run->io.count, v, size, value);
		return false;
	}
	return true;
}

static bool run_guest(struct vm_ctx *c)
{
	struct lv_run *run = c->run;
	uint32_t v;

	if (!expect_out(c, 1, 0x42, "out al"))
		return false;
	if (!run_to(c, LV_EXIT_HYPERCALL, "vmcall"))
		return false;
	if (run->hypercall.nr != LV_HC_USER || run->hypercall.args[0] != 10 ||
	    run->hypercall.args[1] != 20 || run->hypercall.args[2] != 30 ||
	    run->hypercall.args[3] != 40) {
		bad("vmcall: nr %llu args %llu %llu %llu %llu",
		    (unsigned long long)run->hypercall.nr,
		    (unsigned long long)run->hypercall.args[0],
		    (unsigned long long)run->hypercall.args[1],
		    (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)run->hypercall.args[3]);
		return false;
	}
	run->hypercall.ret = 101;
	if (!expect_out(c, 4, 101, "hypercall result"))
		return false;
	if (!run_to(c, LV_EXIT_IO, "in al"))
		return false;
	if (run->io.direction != LV_IO_IN || run->io.port != 0xe0 ||
	    run->io.size != 1 || run->io.count != 1) {
		bad("in al: dir %u port 0x%x size %u count %u",
		    run->io.direction, run->io.port, run->io.size,
		    run->io.count);
		return false;
	}
	io_data(c)[0] = 0x99;
	if (!expect_out(c, 1, 0x99, "IN data"))
		return false;
	if (!run_to(c, LV_EXIT_MMIO, "mmio read"))
		return false;
	if (run->mmio.gpa != 0xd0000000 || run->mmio.len != 4 ||
	    run->mmio.is_write) {
		bad("mmio read: gpa 0x%llx len %u write %u",
		    (unsigned long long)run->mmio.gpa, run->mmio.len,
		    run->mmio.is_write);
		return false;
	}
	v = 0x12345678;
	memcpy(run->mmio.data, &v, 4);
	if (!expect_out(c, 4, 0x12345678, "MMIO read data"))
		return false;
	if (!run_to(c, LV_EXIT_MMIO, "write to the read-only slot"))
		return false;
	memcpy(&v, run->mmio.data, 4);
	if (run->mmio.gpa != SZ_2M || run->mmio.len != 4 ||
	    !run->mmio.is_write || v != 0x5a5a) {
		bad("read-only write: gpa 0x%llx len %u write %u data 0x%x",
		    (unsigned long long)run->mmio.gpa, run->mmio.len,
		    run->mmio.is_write, v);
		return false;
	}
	if (!expect_out(c, 4, 0x11223344, "read of the read-only slot"))
		return false;
	return run_to(c, LV_EXIT_HLT, "hlt");
}

static void check_stats(struct vm_ctx *c)
{
	struct lv_vcpu_stats s;
	uint64_t sum = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int i;

	if (ioctl(c->vcpu_fd, LV_GET_STATS, &s) < 0) {
		bad("LV_GET_STATS: %s", strerror(errno));
		return;
	}
	for (i = 0; i < LV_NR_EXIT_REASONS; i++)
		sum += s.by_reason[i];
	CHECK(s.user_exits == 10, "user_exits %llu, want 10",
	      (unsigned long long)s.user_exits);
	CHECK(s.exits >= s.user_exits, "exits %llu < user_exits %llu",
	      (unsigned long long)s.exits, (unsigned long long)s.user_exits);
	CHECK(sum == s.exits, "by_reason sums to %llu, exits %llu",
	      (unsigned long long)sum, (unsigned long long)s.exits);
	CHECK(s.by_reason[30] >= 6, "io exits %llu, want >= 6",
	      (unsigned long long)s.by_reason[30]);
	CHECK(s.by_reason[18] >= 1, "no vmcall exit counted");
	CHECK(s.by_reason[12] >= 1, "no hlt exit counted");
	CHECK(!(caps.flags & LV_CAP_EPT) || s.by_reason[48] >= 2,
	      "ept_violation exits %llu, want >= 2 (two MMIO exits)",
	      (unsigned long long)s.by_reason[48]);
	CHECK(s.last_cpu < ncpu, "last_cpu %u of %ld CPUs", s.last_cpu, ncpu);
	printf("  stats: exits %llu user %llu last_cpu %u migrations %u\n",
	       (unsigned long long)s.exits, (unsigned long long)s.user_exits,
	       s.last_cpu, s.migrations);
}

/*
 * API 2: LV_SIGNAL_MSI, LV_IOEVENTFD, LV_IRQFD, LV_INTERRUPT refuse every
 * bad field with its errno; good calls work and pair up (assign, update,
 * deassign).
 */
static void test_irq_ioctls(void)
{
	struct lv_memory_region r = { .slot = 0, .gpa = 0, .size = SZ_2M };
	struct lv_msi msi = { .address = 0xfee00000, .data = 0x30 };
	struct lv_ioeventfd io;
	struct lv_irqfd irqfd;
	struct lv_interrupt irq;
	struct vm_ctx c;
	int efd, efd2, nullfd;
	uint8_t *mem;

	begin();
	mem = alloc_aligned(SZ_2M);
	efd = eventfd(0, EFD_CLOEXEC);
	efd2 = eventfd(0, EFD_CLOEXEC);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (vm_ctx_create(&c) || !mem || efd < 0 || efd2 < 0 || nullfd < 0) {
		bad("setup: %s", strerror(errno));
		goto out;
	}
	r.uaddr = (uint64_t)(uintptr_t)mem;
	EXPECT_OK(c.vm_fd, LV_SET_MEMORY_REGION, &r);

	/* LV_SIGNAL_MSI */
	EXPECT_ERR(EFAULT, c.vm_fd, LV_SIGNAL_MSI, NULL);
	msi.address = 0;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.address = 0xfee00000;
	msi.data = 0x7 << 8 | 0x30;		/* ExtINT */
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.data = 0x05 << 8;			/* INIT */
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.data = 0x0f;			/* vector below 16 */
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.data = 0x10030;			/* bits above 15 */
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.data = 0x30;
	msi.flags = 1;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.flags = 0;
	msi.reserved[1] = 1;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SIGNAL_MSI, &msi);
	msi.reserved[1] = 0;
	/* the vCPU's APIC is software-disabled after RESET: nobody takes it */
	CHECK(ioctl(c.vm_fd, LV_SIGNAL_MSI, &msi) == 0,
	      "LV_SIGNAL_MSI to a disabled APIC: %s", strerror(errno));
	msi.data = 0x4 << 8;			/* NMI: taken anyway */
	CHECK(ioctl(c.vm_fd, LV_SIGNAL_MSI, &msi) == 1,
	      "LV_SIGNAL_MSI NMI to vCPU 0 did not reach it: %s", strerror(errno));
	msi.address = 0xfee05000;		/* APIC ID 5: no such vCPU */
	CHECK(ioctl(c.vm_fd, LV_SIGNAL_MSI, &msi) == 0,
	      "LV_SIGNAL_MSI to APIC ID 5 reached someone");

	/* LV_IOEVENTFD */
	memset(&io, 0, sizeof(io));
	io.addr = 0xd0000000;
	io.len = 4;
	io.fd = efd;
	EXPECT_ERR(EFAULT, c.vm_fd, LV_IOEVENTFD, NULL);
	io.len = 3;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);
	io.len = 8;
	io.flags = LV_IOEVENTFD_PIO;
	io.addr = 0x100;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);	/* 8-byte port */
	io.len = 2;
	io.addr = 0xffff;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);	/* past 0xffff */
	io.flags = 0;
	io.addr = 0x1000;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);	/* in RAM */
	io.addr = 0xd0000000;
	io.flags = 0x80;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);
	io.flags = 0;
	io.datamatch = 5;			/* without DATAMATCH */
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);
	io.datamatch = 0;
	io.reserved[0] = 1;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);
	io.reserved[0] = 0;
	io.fd = -1;
	EXPECT_ERR(EBADF, c.vm_fd, LV_IOEVENTFD, &io);
	io.fd = nullfd;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IOEVENTFD, &io);
	io.fd = efd;
	EXPECT_OK(c.vm_fd, LV_IOEVENTFD, &io);
	EXPECT_ERR(EEXIST, c.vm_fd, LV_IOEVENTFD, &io);
	io.addr = 0xd0000001;			/* overlaps (len is 2) */
	EXPECT_ERR(EEXIST, c.vm_fd, LV_IOEVENTFD, &io);
	io.addr = 0xd0000010;
	io.flags = LV_IOEVENTFD_DATAMATCH;
	io.datamatch = 1;
	EXPECT_OK(c.vm_fd, LV_IOEVENTFD, &io);
	io.datamatch = 2;			/* same doorbell, other value */
	EXPECT_OK(c.vm_fd, LV_IOEVENTFD, &io);
	io.flags |= LV_IOEVENTFD_DEASSIGN;
	EXPECT_OK(c.vm_fd, LV_IOEVENTFD, &io);
	EXPECT_ERR(ENOENT, c.vm_fd, LV_IOEVENTFD, &io);
	io.addr = 0xd0000000;
	io.flags = LV_IOEVENTFD_DEASSIGN;
	io.datamatch = 0;
	EXPECT_OK(c.vm_fd, LV_IOEVENTFD, &io);

	/* LV_IRQFD */
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = efd2;
	irqfd.msi.address = 0xfee00000;
	irqfd.msi.data = 0x31;
	EXPECT_ERR(EFAULT, c.vm_fd, LV_IRQFD, NULL);
	irqfd.flags = 2;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.flags = 0;
	irqfd.msi.address = 0x1000;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.msi.address = 0xfee00000;
	irqfd.msi.reserved[0] = 1;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.msi.reserved[0] = 0;
	irqfd.fd = -1;
	EXPECT_ERR(EBADF, c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.fd = nullfd;
	EXPECT_ERR(EINVAL, c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.fd = efd2;
	EXPECT_OK(c.vm_fd, LV_IRQFD, &irqfd);
	irqfd.msi.data = 0x32;			/* a new message */
	EXPECT_OK(c.vm_fd, LV_IRQFD, &irqfd);
	CHECK(eventfd_write(efd2, 1) == 0, "eventfd_write: %s", strerror(errno));
	irqfd.flags = LV_IRQFD_DEASSIGN;
	EXPECT_OK(c.vm_fd, LV_IRQFD, &irqfd);
	EXPECT_ERR(ENOENT, c.vm_fd, LV_IRQFD, &irqfd);

	/* LV_INTERRUPT */
	memset(&irq, 0, sizeof(irq));
	EXPECT_ERR(EFAULT, c.vcpu_fd, LV_INTERRUPT, NULL);
	irq.vector = 256;
	EXPECT_ERR(EINVAL, c.vcpu_fd, LV_INTERRUPT, &irq);
	irq.vector = 0x20;
	irq.reserved = 1;
	EXPECT_ERR(EINVAL, c.vcpu_fd, LV_INTERRUPT, &irq);
	irq.reserved = 0;
	EXPECT_OK(c.vcpu_fd, LV_INTERRUPT, &irq);
	EXPECT_ERR(EBUSY, c.vcpu_fd, LV_INTERRUPT, &irq);
	/* VM ioctls on a vCPU fd and back */
	EXPECT_ERR(ENOTTY, c.vcpu_fd, LV_SIGNAL_MSI, &msi);
	EXPECT_ERR(ENOTTY, c.vm_fd, LV_INTERRUPT, &irq);
out:
	vm_ctx_destroy(&c);
	if (efd >= 0)
		close(efd);
	if (efd2 >= 0)
		close(efd2);
	if (nullfd >= 0)
		close(nullfd);
	end("irq-ioctls");
}

/*
 * Real mode on a shadow VM (virtual-8086 mode): LV_SET_TSS_ADDR is refused
 * on EPT VMs and for 0, unaligned and too high addresses; without it the
 * guest fails with an internal error and nothing changes; with it the code
 * runs: MOV from CR0 (emulated) reads PE clear, OUT, HLT (emulated).
 */
static const uint8_t real_code[] = {
	0x0f, 0x20, 0xc0,		/* mov %cr0, %eax */
	0xe6, 0xe0,			/* out %al, $0xe0 */
	0xb0, 0x42,			/* mov $0x42, %al */
	0xe6, 0xe0,			/* out %al, $0xe0 */
	0xf4,				/* hlt (IF = 0) */
};
#define REAL_CS		0x100		/* code at 0x1000 */
#define REAL_TSS	0x100000

static void real_seg(struct lv_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
	s->limit = 0xffff;
	s->type = type;
	s->s = 1;
	s->present = 1;
}

static void test_vm86(void)
{
	struct vm_ctx c = { .vm_fd = -1, .vcpu_fd = -1, .run = MAP_FAILED };
	struct lv_sregs s;
	struct lv_regs r;
	uint16_t iomap = 0;
	int fd;

	begin();
	if (!(caps.flags & LV_CAP_VM86)) {
		bad("LV_CAP_VM86 is not set");
		goto out;
	}
	if (caps.flags & LV_CAP_EPT) {
		fd = ioctl(sys_fd, LV_CREATE_VM, LV_VM_EPT);
		EXPECT_ERR(EINVAL, fd, LV_SET_TSS_ADDR, REAL_TSS);
		close(fd);
	}
	c.vm_fd = ioctl(sys_fd, LV_CREATE_VM, LV_VM_SHADOW);
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SET_TSS_ADDR, 0);
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SET_TSS_ADDR, REAL_TSS + 1);
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SET_TSS_ADDR, 0xffffe000UL);
	EXPECT_ERR(EINVAL, c.vm_fd, LV_SET_TSS_ADDR, 1UL << 32);
	c.mem = alloc_aligned(SZ_2M);
	c.vcpu_fd = ioctl(c.vm_fd, LV_CREATE_VCPU, 0);
	if (!c.mem || c.vcpu_fd < 0 ||
	    set_region(c.vm_fd, 0, 0, 0, SZ_2M, c.mem)) {
		bad("setup: %s", strerror(errno));
		goto out;
	}
	c.run = mmap(NULL, caps.run_mmap_size, PROT_READ | PROT_WRITE,
		     MAP_SHARED, c.vcpu_fd, 0);
	if (c.run == MAP_FAILED || ioctl(c.vcpu_fd, LV_GET_SREGS, &s) < 0) {
		bad("setup: %s", strerror(errno));
		goto out;
	}
	memcpy(c.mem + (REAL_CS << 4), real_code, sizeof(real_code));
	real_seg(&s.cs, REAL_CS, 0xb);
	real_seg(&s.ds, 0, 3);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x10;			/* ET: real mode */
	s.cr4 = 0;
	s.efer = 0;
	memset(&r, 0, sizeof(r));
	r.rflags = 2;
	r.rsp = 0x8000;
	if (ioctl(c.vcpu_fd, LV_SET_SREGS, &s) < 0 ||
	    ioctl(c.vcpu_fd, LV_SET_REGS, &r) < 0) {
		bad("LV_SET_SREGS/REGS (real mode): %s", strerror(errno));
		goto out;
	}
	/* no TSS: the VM fails, the vCPU is as it was */
	if (run_to(&c, LV_EXIT_INTERNAL_ERROR, "without LV_SET_TSS_ADDR"))
		CHECK(c.run->internal.suberror == LV_INTERNAL_EMULATION,
		      "internal suberror %u, want %u", c.run->internal.suberror,
		      LV_INTERNAL_EMULATION);
	EXPECT_OK(c.vm_fd, LV_SET_TSS_ADDR, 0xffffd000UL);
	EXPECT_OK(c.vm_fd, LV_SET_TSS_ADDR, REAL_TSS);
	if (!expect_out(&c, 1, 0x10, "OUT of CR0's low byte") ||
	    !expect_out(&c, 1, 0x42, "OUT 0x42") ||
	    !run_to(&c, LV_EXIT_HLT, "HLT"))
		goto out;
	if (ioctl(c.vcpu_fd, LV_GET_SREGS, &s) < 0 ||
	    ioctl(c.vcpu_fd, LV_GET_REGS, &r) < 0) {
		bad("LV_GET_SREGS/REGS: %s", strerror(errno));
		goto out;
	}
	/* the real-mode view: no VM flag, IOPL 0, the guest's segments */
	CHECK(r.rip == sizeof(real_code) && !(r.rflags & (0x20000 | 0x3000)),
	      "rip 0x%llx rflags 0x%llx after HLT", (unsigned long long)r.rip,
	      (unsigned long long)r.rflags);
	CHECK(!(s.cr0 & 1) && s.cs.selector == REAL_CS && s.cs.dpl == 0 &&
	      s.ss.dpl == 0 && s.tr.base == 0,
	      "sregs: cr0 0x%llx cs 0x%x dpl %u ss dpl %u tr base 0x%llx",
	      (unsigned long long)s.cr0, s.cs.selector, s.cs.dpl, s.ss.dpl,
	      (unsigned long long)s.tr.base);
	/* the TSS labvisor wrote: I/O map right after the redirection map */
	memcpy(&iomap, c.mem + REAL_TSS + 0x66, 2);
	CHECK(iomap == 136 && c.mem[REAL_TSS + 136 + 8192] == 0xff &&
	      c.mem[REAL_TSS + 136] == 0, "TSS: I/O map base %u, end byte 0x%x",
	      iomap, c.mem[REAL_TSS + 136 + 8192]);
out:
	vm_ctx_destroy(&c);
	end("vm86-real-mode");
}

static void test_guest_after_rejects(void)
{
	struct vm_ctx c;
	uint8_t *other;

	begin();
	other = alloc_aligned(SZ_2M);
	if (vm_ctx_create(&c) || !other)
		goto out;
	c.mem = alloc_aligned(2 * SZ_2M);
	if (!c.mem) {
		bad("no memory");
		goto out;
	}
	if (set_region(c.vm_fd, 0, 0, 0, SZ_2M, c.mem) ||
	    set_region(c.vm_fd, 1, LV_MEM_READONLY, SZ_2M, SZ_2M,
		       c.mem + SZ_2M)) {
		bad("LV_SET_MEMORY_REGION: %s", strerror(errno));
		goto out;
	}
	if (guest_setup(&c))
		goto out;
	/* rejected: overlap, replacement, bad flags; slot 0 keeps working */
	EXPECT_REGION(EEXIST, c.vm_fd, 2, 0, SZ_1M, SZ_2M, other);
	EXPECT_REGION(EEXIST, c.vm_fd, 2, 0, G_CODE, PAGE, other);
	EXPECT_REGION(EEXIST, c.vm_fd, 0, 0, 0, SZ_2M, other);
	EXPECT_REGION(EEXIST, c.vm_fd, 1, 0, SZ_2M, SZ_2M, other);
	EXPECT_REGION(EINVAL, c.vm_fd, 0, 1U << 5, 0, SZ_2M, other);
	EXPECT_REGION(EFAULT, c.vm_fd, 2, 0, 8 * SZ_2M, SZ_2M, (void *)PAGE);
	EXPECT_ERR(EEXIST, c.vm_fd, LV_CREATE_VCPU, 0);
	/* run even after a wrong errno: did the rejected calls change anything? */
	if (run_guest(&c))
		check_stats(&c);
out:
	vm_ctx_destroy(&c);
	end("guest-runs-after-rejected-calls");
}

/* ---- lifetime ---- */

static long module_refs(void)
{
	char line[512], name[128];
	long refs = -1, size, r;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld", name, &size, &r) == 3 &&
		    !strcmp(name, "labvisor"))
			refs = r;
	}
	fclose(f);
	return refs;
}

static int count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

static long mem_available_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * 200 VMs, each with a 1 MiB slot, a vCPU and its run page mapped, closed
 * in varying order: afterwards the module's refcount is what it was
 * before this program opened anything, and no pinned memory is left.
 */
static void test_close_frees(long refs_at_start)
{
	long refs, avail_before, avail_after;
	int fds_before, i, sfd, vm_fd, vcpu_fd;
	struct lv_run *run;
	uint8_t *mem;

	begin();
	fds_before = count_fds();
	avail_before = mem_available_kb();
	for (i = 0; i < 200 && !why[0]; i++) {
		sfd = open(DEV, O_RDWR | O_CLOEXEC);
		if (sfd < 0) {
			bad("iteration %d: open: %s", i, strerror(errno));
			break;
		}
		vm_fd = ioctl(sfd, LV_CREATE_VM, (caps.flags & LV_CAP_EPT) ?
			      LV_VM_EPT : LV_VM_SHADOW);
		if (vm_fd < 0) {
			bad("iteration %d: LV_CREATE_VM: %s", i, strerror(errno));
			close(sfd);
			break;
		}
		/* the VM outlives the system fd */
		if (i % 2)
			close(sfd);
		mem = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (mem == MAP_FAILED || set_region(vm_fd, 0, 0, 0, SZ_1M, mem)) {
			bad("iteration %d: memory: %s", i, strerror(errno));
			close(vm_fd);
			if (!(i % 2))
				close(sfd);
			break;
		}
		vcpu_fd = ioctl(vm_fd, LV_CREATE_VCPU, 0);
		if (vcpu_fd < 0) {
			bad("iteration %d: LV_CREATE_VCPU: %s", i,
			    strerror(errno));
		} else {
			run = mmap(NULL, caps.run_mmap_size,
				   PROT_READ | PROT_WRITE, MAP_SHARED,
				   vcpu_fd, 0);
			if (run == MAP_FAILED)
				bad("iteration %d: mmap: %s", i,
				    strerror(errno));
			/* VM fd first, then the vCPU: it keeps the VM */
			if (i % 3 == 0)
				close(vm_fd);
			close(vcpu_fd);
			if (run != MAP_FAILED) {
				/* the run page outlives both fds */
				run->immediate_exit = 0;
				munmap(run, caps.run_mmap_size);
			}
			if (i % 3 == 0)
				vm_fd = -1;
		}
		if (vm_fd >= 0)
			close(vm_fd);
		if (!(i % 2))
			close(sfd);
		munmap(mem, SZ_1M);
	}
	/* the module may free a VM from a work item: give it a moment */
	for (i = 0; i < 50; i++) {
		refs = module_refs();
		if (refs == refs_at_start)
			break;
		usleep(100000);
	}
	CHECK(refs == refs_at_start,
	      "module refcount %ld after closing everything, %ld at start",
	      refs, refs_at_start);
	CHECK(count_fds() == fds_before, "fds: %d before, %d after",
	      fds_before, count_fds());
	avail_after = mem_available_kb();
	/* 200 MiB were pinned in all: a leak of them would show */
	CHECK(avail_after > avail_before - 100 * 1024,
	      "MemAvailable fell from %ld kB to %ld kB", avail_before,
	      avail_after);
	end("close-frees-everything");
}

/*
 * --flood N: N rejected LV_CREATE_VM calls in a row, for the lab script
 * to check that the module's log about them is rate-limited.
 */
static int flood(long n)
{
	long i, wrong = 0;

	begin();
	sys_fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		bad("%s: %s", DEV, strerror(errno));
	} else {
		for (i = 0; i < n; i++)
			if (ioctl(sys_fd, LV_CREATE_VM, 0xbadUL) >= 0 ||
			    errno != EINVAL)
				wrong++;
		CHECK(!wrong, "%ld of %ld bad LV_CREATE_VM calls did not fail with EINVAL",
		      wrong, n);
		close(sys_fd);
	}
	end("flood");
	return failures ? 1 : 0;
}

/*
 * --no-ept: on a CPU without EPT (the lab's core2_penryn boot) the module
 * loads, says so in its capabilities, creating an EPT VM fails with
 * EOPNOTSUPP, and a shadow-paging VM can be created (and closed, leaving
 * nothing behind).
 */
static int no_ept(void)
{
	struct lv_caps caps;
	long refs = module_refs();
	int fd;

	begin();
	sys_fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		bad("%s: %s", DEV, strerror(errno));
	} else {
		if (ioctl(sys_fd, LV_GET_CAPS, &caps) < 0)
			bad("LV_GET_CAPS: %s", strerror(errno));
		else
			CHECK(!(caps.flags & (LV_CAP_EPT | LV_CAP_UNRESTRICTED |
					      LV_CAP_EPT_2M)),
			      "caps flags 0x%llx offer EPT on this CPU",
			      (unsigned long long)caps.flags);
		EXPECT_ERR(EOPNOTSUPP, sys_fd, LV_CREATE_VM, LV_VM_EPT);
		CHECK(caps.flags & LV_CAP_SHADOW, "caps flags 0x%llx lack LV_CAP_SHADOW",
		      (unsigned long long)caps.flags);
		fd = EXPECT_OK(sys_fd, LV_CREATE_VM, LV_VM_SHADOW);
		if (fd >= 0)
			close(fd);
		EXPECT_ERR(EINVAL, sys_fd, LV_CREATE_VM, 2);
		close(sys_fd);
		CHECK(module_refs() == refs, "module references %ld, were %ld",
		      module_refs(), refs);
	}
	end("noept-create-vm");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	long refs_at_start = module_refs();

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--flood"))
		return flood(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "--no-ept"))
		return no_ept();
	if (argc != 1) {
		fprintf(stderr, "usage: lv-ioctl-test [--flood N | --no-ept]\n");
		return 2;
	}
	begin();
	sys_fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (sys_fd < 0)
		bad("%s: %s", DEV, strerror(errno));
	CHECK(refs_at_start >= 0, "labvisor is not in /proc/modules");
	end("open-device");
	if (sys_fd < 0)
		return 1;

	test_api_version();
	test_caps();
	test_caps_efault();
	test_sys_foreign();
	test_create_vm_bad();
	test_vm_foreign();
	test_memory_region_bad();
	test_create_vcpu_bad();
	test_assign_device_bad();
	test_vcpu_foreign();
	test_vcpu_efault();
	test_regs();
	test_sregs();
	test_run_mmap();
	test_stats_fresh();
	test_immediate_exit();
	test_irq_ioctls();
	test_guest_after_rejects();
	if (caps.flags & LV_CAP_SHADOW)
		test_vm86();

	close(sys_fd);
	if (refs_at_start >= 0)
		test_close_frees(refs_at_start);

	printf("lv-ioctl-test: %d failed\n", failures);
	return failures ? 1 : 0;
}
