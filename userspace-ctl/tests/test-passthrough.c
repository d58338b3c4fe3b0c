// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of device passthrough (passthrough.c): a made-up device in a
 * fake sysfs directory (config, resource, resourceN as ordinary files) on
 * lvctl's PCI bus, with an accelerator that records assignments and memory
 * slots.  What the guest sees through conf1 and its BARs, what reaches the
 * device's files, how the guest's MSI setup becomes irqfd and device MSI
 * routing requests, and the option parsing of lvctl run --device.
 *
 * The end-to-end test (a guest driving an assigned device and taking its
 * interrupt) needs VT-x and VT-d together: no machine of the project has
 * both, so it is reported as SKIP here.  The kernel half of the interrupt
 * path (the device's MSI and INTx to an eventfd) is tested in the QEMU vtd
 * lab (tests/uapi/lv-vtd-test.c irq).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "harness.h"
#include "passthrough.h"
#include "pci.h"

#define SYSFS		TMPDIR "/pt-sysfs"
#define DEVDIR		SYSFS "/0000:00:02.0"
#define NOMSI_DIR	SYSFS "/0000:00:04.0"
#define BAR0_SIZE	0x10000ULL	/* 64 KiB, 32-bit */
#define BAR2_SIZE	0x4000ULL	/* 16 KiB, 64-bit */

static struct vm vm;
static struct pci *pci;
static struct passthrough pt;

static struct {
	int assigned;
	u16 seg;
	u8 bus, dev, fn;
	int assign_ret;
	int set_memory_ret;
	int slots;		/* calls */
	u32 slot[16];
	u64 gpa[16], size[16];
	int irqfds;		/* irqfd calls: the last one's arguments */
	int irqfd_fd;
	u64 irqfd_addr;
	u32 irqfd_data;
	bool irqfd_assign;
	int irqfd_ret;
	int msis;		/* device_msi calls: the last one's fd */
	int msi_fd;
	int msi_ret;
} rec;

static int fake_irqfd(struct vm *v, int fd, u64 addr, u32 data, bool assign)
{
	(void)v;
	rec.irqfds++;
	rec.irqfd_fd = fd;
	rec.irqfd_addr = addr;
	rec.irqfd_data = data;
	rec.irqfd_assign = assign;
	return rec.irqfd_ret;
}

static int fake_device_msi(struct vm *v, u16 seg, u8 bus, u8 dev, u8 fn,
			   int fd)
{
	(void)v;
	(void)seg;
	(void)bus;
	(void)dev;
	(void)fn;
	rec.msis++;
	rec.msi_fd = fd;
	return rec.msi_ret;
}

static int fake_set_memory(struct vm *v, u32 slot, u64 gpa, u64 size, void *hva)
{
	(void)v;
	(void)hva;
	if (rec.slots < 16) {
		rec.slot[rec.slots] = slot;
		rec.gpa[rec.slots] = gpa;
		rec.size[rec.slots] = size;
	}
	rec.slots++;
	return rec.set_memory_ret;
}

static int fake_assign(struct vm *v, u16 seg, u8 bus, u8 dev, u8 fn)
{
	(void)v;
	rec.assigned++;
	rec.seg = seg;
	rec.bus = bus;
	rec.dev = dev;
	rec.fn = fn;
	return rec.assign_ret;
}

static struct accel_ops ops = {
	.name = "fake",
	.set_memory = fake_set_memory,
	.assign_device = fake_assign,
	.irqfd = fake_irqfd,
	.device_msi = fake_device_msi,
};

static void put_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		fprintf(stderr, "test-passthrough: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
}

static u8 cfg_file[256];

/* the device: 1234:11e8 rev 0x10, class 00ff00, subsystem 1af4:1100,
 * a capability list (hidden from the guest), BAR 0 32-bit memory, BAR 1
 * I/O (not passed through), BAR 2/3 64-bit memory
 */
static void make_sysfs(void)
{
	static const char resource[] =
		"0x00000000fea00000 0x00000000fea0ffff 0x0000000000040200\n"
		"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
		"0x00000000feb00000 0x00000000feb03fff 0x0000000000140204\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
	static u8 bar[BAR0_SIZE];
	size_t i;

	mkdir(TMPDIR, 0700);
	mkdir(SYSFS, 0700);
	mkdir(DEVDIR, 0700);
	memset(cfg_file, 0, sizeof(cfg_file));
	cfg_file[0] = 0x34; cfg_file[1] = 0x12;		/* vendor */
	cfg_file[2] = 0xe8; cfg_file[3] = 0x11;		/* device */
	cfg_file[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	cfg_file[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	cfg_file[PCI_REVISION_ID] = 0x10;
	cfg_file[PCI_CLASS_DEVICE + 1] = 0x00;
	cfg_file[PCI_CLASS_DEVICE] = 0xff;
	cfg_file[PCI_SUBSYSTEM_VENDOR_ID] = 0xf4;
	cfg_file[PCI_SUBSYSTEM_VENDOR_ID + 1] = 0x1a;
	cfg_file[PCI_SUBSYSTEM_ID + 1] = 0x11;
	cfg_file[PCI_CAPABILITY_LIST] = 0x40;
	cfg_file[PCI_INTERRUPT_PIN] = 1;
	cfg_file[0x40] = PCI_CAP_ID_MSI;
	put_file(DEVDIR "/config", cfg_file, sizeof(cfg_file));
	put_file(DEVDIR "/resource", resource, strlen(resource));
	for (i = 0; i < sizeof(bar); i++)
		bar[i] = i * 7 + 1;
	put_file(DEVDIR "/resource0", bar, BAR0_SIZE);
	put_file(DEVDIR "/resource2", bar, BAR2_SIZE);
	/* the same device without capabilities (INTx only) */
	mkdir(NOMSI_DIR, 0700);
	cfg_file[PCI_STATUS] = 0;
	cfg_file[PCI_CAPABILITY_LIST] = 0;
	put_file(NOMSI_DIR "/config", cfg_file, sizeof(cfg_file));
	put_file(NOMSI_DIR "/resource", resource, strlen(resource));
	put_file(NOMSI_DIR "/resource0", bar, BAR0_SIZE);
	put_file(NOMSI_DIR "/resource2", bar, BAR2_SIZE);
	cfg_file[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	cfg_file[PCI_CAPABILITY_LIST] = 0x40;
}

static bool io_acc(u16 port, void *data, u32 len, bool w)
{
	return bus_dispatch(&vm.io_bus, port, data, len, w);
}

static u32 conf_read(int slot, u32 off, u32 len)
{
	u32 a = 0x80000000u | slot << 11 | (off & 0xfc), d = 0;

	io_acc(PCI_CONF1_ADDR_PORT, &a, 4, true);
	io_acc(PCI_CONF1_DATA_PORT + (off & 3), &d, len, false);
	return d;
}

static void conf_write(int slot, u32 off, u32 len, u32 v)
{
	u32 a = 0x80000000u | slot << 11 | (off & 0xfc);

	io_acc(PCI_CONF1_ADDR_PORT, &a, 4, true);
	io_acc(PCI_CONF1_DATA_PORT + (off & 3), &v, len, true);
}

static u64 mr(u64 gpa, u32 len)
{
	u64 d = 0;

	bus_dispatch(&vm.mmio_bus, gpa, (u8 *)&d, len, false);
	return d;
}

static void mw(u64 gpa, u32 len, u64 v)
{
	bus_dispatch(&vm.mmio_bus, gpa, (u8 *)&v, len, true);
}

static u8 file_byte(const char *path, off_t off)
{
	u8 b = 0;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (pread(fd, &b, 1, off) != 1)
			b = 0;
		close(fd);
	}
	return b;
}

/* a fresh VM and PCI bus with the device on it; 0 if all went well */
static int setup(int set_memory_ret)
{
	memset(&rec, 0, sizeof(rec));
	rec.set_memory_ret = set_memory_ret;
	vm_init(&vm);
	vm.ops = &ops;
	pci = pci_setup(&vm);
	if (!pci)
		return -1;
	if (passthrough_init(&pt, &vm, SYSFS, "0000:00:02.0", 1))
		return -1;
	if (pci_register_dev(pci, &pt.dev))
		return -1;
	return passthrough_start(&pt);
}

static void teardown(void)
{
	passthrough_destroy(&pt);
	free(pci);
	pci = NULL;
}

static void test_config(void)
{
	int s;

	begin();
	CHECK(setup(0) == 0, "setup failed");
	s = pt.dev.slot;
	CHECK_EQ(rec.assigned, 1);
	CHECK(rec.seg == 0 && rec.bus == 0 && rec.dev == 2 && rec.fn == 0,
	      "assigned %04x:%02x:%02x.%u", rec.seg, rec.bus, rec.dev, rec.fn);
	CHECK_EQ(conf_read(s, PCI_VENDOR_ID, 2), 0x1234);
	CHECK_EQ(conf_read(s, PCI_DEVICE_ID, 2), 0x11e8);
	CHECK_EQ(conf_read(s, PCI_REVISION_ID, 1), 0x10);
	CHECK_EQ(conf_read(s, PCI_CLASS_DEVICE, 2), 0x00ff);
	CHECK_EQ(conf_read(s, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK_EQ(conf_read(s, PCI_SUBSYSTEM_ID, 2), 0x1100);
	/* lvctl's own MSI capability, nothing else; no interrupt pin */
	CHECK_EQ(conf_read(s, PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK(conf_read(s, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, "no capability list");
	CHECK_EQ(conf_read(s, PCI_INTERRUPT_PIN, 1), 0);
	CHECK_EQ(conf_read(s, 0x40, 4), PCI_CAP_ID_MSI |
		 (u32)PCI_MSI_FLAGS_64BIT << 16);
	CHECK_EQ(conf_read(s, 0x50, 4), 0);
	/* BAR 1 (I/O) is absent; BAR 0 and the 64-bit BAR 2 are sized */
	CHECK_EQ(conf_read(s, PCI_BASE_ADDRESS_1, 4), 0);
	conf_write(s, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	CHECK_EQ(conf_read(s, PCI_BASE_ADDRESS_0, 4), (u32)~(BAR0_SIZE - 1));
	conf_write(s, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	CHECK_EQ(conf_read(s, PCI_BASE_ADDRESS_2, 4),
		 (u32)~(BAR2_SIZE - 1) | PCI_BASE_ADDRESS_MEM_TYPE_64);
	/* the guest's bus-master bit reaches the device, memory stays on */
	conf_write(s, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	CHECK_EQ(file_byte(DEVDIR "/config", PCI_COMMAND),
		 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	conf_write(s, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(file_byte(DEVDIR "/config", PCI_COMMAND), PCI_COMMAND_MEMORY);
	/* nothing else of the guest's config writes reaches the device */
	conf_write(s, 0x40, 4, 0xdeadbeef);
	CHECK_EQ(file_byte(DEVDIR "/config", 0x40), PCI_CAP_ID_MSI);
	CHECK_EQ(file_byte(DEVDIR "/config", 0x42), 0);
	conf_write(s, 0x40, 4, 0);
	teardown();
	end("passthrough-config-space");
}

static void test_bars_direct(void)
{
	u64 bar0, moved;
	int s;

	begin();
	CHECK(setup(0) == 0, "setup failed");
	s = pt.dev.slot;
	bar0 = pci_bar_addr(&pt.dev, 0);
	CHECK(bar0 >= PCI_MMIO_BASE && bar0 < PCI_MMIO_END, "BAR 0 at 0x%llx",
	      (unsigned long long)bar0);
	/* both memory BARs became slots 8 + 6 + BAR at their addresses */
	CHECK_EQ(rec.slots, 2);
	CHECK_EQ(rec.slot[0], PASSTHROUGH_SLOT0 + PCI_NR_BARS + 0);
	CHECK_EQ(rec.gpa[0], bar0);
	CHECK_EQ(rec.size[0], BAR0_SIZE);
	CHECK_EQ(rec.slot[1], PASSTHROUGH_SLOT0 + PCI_NR_BARS + 2);
	CHECK_EQ(rec.size[1], BAR2_SIZE);
	/* the guest moves BAR 0: the slot goes, and comes back there */
	moved = bar0 + 0x100000;
	conf_write(s, PCI_BASE_ADDRESS_0, 4, (u32)moved);
	CHECK_EQ(rec.slots, 4);
	CHECK(rec.gpa[2] == bar0 && rec.size[2] == 0, "old slot not deleted");
	CHECK(rec.gpa[3] == moved && rec.size[3] == BAR0_SIZE,
	      "slot not at the new address");
	/* memory decoding off: both slots go */
	conf_write(s, PCI_COMMAND, 2, 0);
	CHECK_EQ(rec.slots, 6);
	CHECK(rec.size[4] == 0 && rec.size[5] == 0, "slots left while decoding is off");
	teardown();
	end("passthrough-bars-as-slots");
}

/* the accelerator refuses device memory as a slot: accesses trap */
static void test_bars_trap(void)
{
	u64 bar0, bar2;

	begin();
	CHECK(setup(-1) == 0, "setup failed");
	bar0 = pci_bar_addr(&pt.dev, 0);
	bar2 = pci_bar_addr(&pt.dev, 2);
	CHECK(pt.bar[0].refused && !pt.bar[0].direct, "BAR 0 not trapping");
	CHECK_EQ(mr(bar0, 1), 1);
	CHECK_EQ(mr(bar0 + 1, 1), 8);
	CHECK_EQ(mr(bar0 + 4, 4), 0x322b241dU);	/* bytes 4..7: i * 7 + 1 */
	mw(bar0 + 0x100, 4, 0xa1b2c3d4);
	CHECK_EQ(file_byte(DEVDIR "/resource0", 0x100), 0xd4);
	CHECK_EQ(file_byte(DEVDIR "/resource0", 0x103), 0xa1);
	mw(bar2 + 8, 8, 0x1122334455667788ULL);
	CHECK_EQ(mr(bar2 + 8, 8), 0x1122334455667788ULL);
	CHECK_EQ(file_byte(DEVDIR "/resource2", 15), 0x11);
	teardown();
	end("passthrough-bars-trap");
}

static void test_refusals(void)
{
	u16 seg;
	u8 b, d, f;

	begin();
	CHECK(passthrough_parse_bdf("0000:00:02.0", &seg, &b, &d, &f) == 0 &&
	      seg == 0 && b == 0 && d == 2 && f == 0, "full form");
	CHECK(passthrough_parse_bdf("3:1f.7", &seg, &b, &d, &f) == 0 &&
	      seg == 0 && b == 3 && d == 0x1f && f == 7, "short form");
	CHECK(passthrough_parse_bdf("0001:02:03.4", &seg, &b, &d, &f) == 0 &&
	      seg == 1 && b == 2 && d == 3 && f == 4, "segment 1");
	CHECK(passthrough_parse_bdf("00:20.0", &seg, &b, &d, &f), "device 32");
	CHECK(passthrough_parse_bdf("00:02.8", &seg, &b, &d, &f), "function 8");
	CHECK(passthrough_parse_bdf("100:02.0", &seg, &b, &d, &f), "bus 256");
	CHECK(passthrough_parse_bdf("00:02.0x", &seg, &b, &d, &f), "trailing");
	CHECK(passthrough_parse_bdf("edu", &seg, &b, &d, &f), "a name");
	/* a device that is not there, and an accelerator that refuses */
	vm_init(&vm);
	vm.ops = &ops;
	CHECK(passthrough_init(&pt, &vm, SYSFS, "0000:00:03.0", 0) != 0,
	      "a missing device was accepted");
	passthrough_destroy(&pt);
	memset(&rec, 0, sizeof(rec));
	pci = pci_setup(&vm);
	rec.assign_ret = -1;
	CHECK(pci && passthrough_init(&pt, &vm, SYSFS, "00:02.0", 0) == 0 &&
	      pci_register_dev(pci, &pt.dev) == 0, "setup failed");
	CHECK(passthrough_start(&pt) != 0, "a refused assignment started");
	CHECK_EQ(rec.slots, 0);
	teardown();
	end("passthrough-refusals");
}

/* the guest's MSI setup becomes an irqfd with its message and the routing */
static void test_msi(void)
{
	int s, efd;

	begin();
	CHECK(setup(0) == 0, "setup failed");
	s = pt.dev.slot;
	efd = pt.msi_efd;
	CHECK(efd >= 0, "no eventfd for the device's MSI");
	/* the message first, as Linux does; nothing happens yet */
	conf_write(s, 0x44, 4, 0xfee01000);
	conf_write(s, 0x48, 4, 0);
	conf_write(s, 0x4c, 2, 0x4031);
	CHECK_EQ(rec.irqfds, 0);
	CHECK_EQ(rec.msis, 0);
	/* the address's low 2 bits and the vector count are read-only */
	conf_write(s, 0x40, 4, (u32)(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE) << 16);
	CHECK_EQ(conf_read(s, 0x42, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
	CHECK_EQ(rec.irqfds, 1);
	CHECK(rec.irqfd_fd == efd && rec.irqfd_assign &&
	      rec.irqfd_addr == 0xfee01000 && rec.irqfd_data == 0x4031,
	      "irqfd %d 0x%llx/0x%x assign %d", rec.irqfd_fd,
	      (unsigned long long)rec.irqfd_addr, rec.irqfd_data, rec.irqfd_assign);
	CHECK(rec.msis == 1 && rec.msi_fd == efd, "device MSI: %d calls, fd %d",
	      rec.msis, rec.msi_fd);
	/* the device's own MSI capability is untouched */
	CHECK_EQ(file_byte(DEVDIR "/config", 0x42), 0);
	/* other writes change nothing */
	conf_write(s, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK_EQ(rec.irqfds, 1);
	CHECK_EQ(rec.msis, 1);
	/* a new message: the irqfd takes it, the routing stays */
	conf_write(s, 0x4c, 2, 0x4032);
	CHECK(rec.irqfds == 2 && rec.irqfd_assign && rec.irqfd_data == 0x4032,
	      "new message: irqfd calls %d data 0x%x", rec.irqfds, rec.irqfd_data);
	CHECK_EQ(rec.msis, 1);
	/* disabled: the routing and the irqfd go */
	conf_write(s, 0x42, 2, 0);
	CHECK(rec.msis == 2 && rec.msi_fd < 0, "disable: device MSI calls %d fd %d",
	      rec.msis, rec.msi_fd);
	CHECK(rec.irqfds == 3 && !rec.irqfd_assign && rec.irqfd_fd == efd,
	      "disable: irqfd calls %d assign %d", rec.irqfds, rec.irqfd_assign);
	/* a routing the accelerator refuses: the irqfd is taken back */
	rec.msi_ret = -1;
	conf_write(s, 0x42, 2, PCI_MSI_FLAGS_ENABLE);
	CHECK(rec.msis == 3 && rec.irqfds == 5 && !rec.irqfd_assign,
	      "refused routing: device MSI calls %d, irqfd calls %d assign %d",
	      rec.msis, rec.irqfds, rec.irqfd_assign);
	CHECK(!pt.msi_routed, "routed although refused");
	/* a message irqfd refuses: no routing */
	rec.msi_ret = 0;
	rec.irqfd_ret = -1;
	conf_write(s, 0x4c, 2, 0x4033);
	CHECK_EQ(rec.msis, 3);
	CHECK(!pt.msi_routed, "routed with a refused message");
	teardown();
	end("passthrough-msi-routing");

	/* a device without MSI: no capability for the guest, no routing */
	begin();
	memset(&rec, 0, sizeof(rec));
	vm_init(&vm);
	vm.ops = &ops;
	pci = pci_setup(&vm);
	CHECK(pci && passthrough_init(&pt, &vm, SYSFS, "0000:00:04.0", 0) == 0 &&
	      pci_register_dev(pci, &pt.dev) == 0 && passthrough_start(&pt) == 0,
	      "setup failed");
	s = pt.dev.slot;
	CHECK_EQ(conf_read(s, PCI_CAPABILITY_LIST, 1), 0);
	CHECK_EQ(conf_read(s, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	conf_write(s, 0x40, 4, 0xffffffff);
	CHECK_EQ(conf_read(s, 0x40, 4), 0);
	CHECK(rec.irqfds == 0 && rec.msis == 0, "routing requests for a device without MSI");
	teardown();
	end("passthrough-no-msi");
}

static void test_cli(void)
{
	expect_usage_error("passthrough-cli-bad-bdf", "not a PCI address",
			   ARGS("run", "--device", "00:20.0", "x.bin"));
	expect_usage_error("passthrough-cli-too-many", "at most 4 devices",
			   ARGS("run", "--device", "0:0.0", "--device", "0:1.0",
				"--device", "0:2.0", "--device", "0:3.0",
				"--device", "0:4.0", "x.bin"));
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-passthrough");
	make_sysfs();
	test_config();
	test_bars_direct();
	test_bars_trap();
	test_refusals();
	test_msi();
	test_cli();
	printf("TEST passthrough-guest-e2e SKIP needs VT-x and VT-d on one machine (QEMU/KVM nested with intel-iommu) for a guest to drive the device and take its MSI; no project machine has both\n");
	return harness_finish();
}
