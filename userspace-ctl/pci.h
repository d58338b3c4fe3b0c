/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI: a host bridge on configuration mechanism #1 (ports 0xcf8/0xcfc),
 * bus 0 only, memory BARs placed by lvctl in the PCI MMIO window and moved
 * when the guest reprograms them, and MSI-X (no INTx: interrupt pin 0).
 */
#ifndef LVCTL_PCI_H
#define LVCTL_PCI_H

#include "lvctl.h"

#define PCI_CONF1_ADDR_PORT	0xcf8
#define PCI_CONF1_DATA_PORT	0xcfc

/* the address map of docs/architecture.md: BARs go here at startup */
#define PCI_MMIO_BASE		0xe0000000ULL
#define PCI_MMIO_END		0xfec00000ULL	/* exclusive */

#define PCI_MAX_SLOTS		32	/* slot 0 is the host bridge */
#define PCI_CFG_SIZE		256
#define PCI_NR_BARS		6
#define PCI_MSIX_MAX_VECTORS	32

/* 1b36:0008, the id QEMU registered for its host bridge: no Linux quirks */
#define PCI_HOST_VENDOR		0x1b36
#define PCI_HOST_DEVICE		0x0008

/* 24-bit class codes (class, subclass, prog-if) lvctl's devices use */
#define PCI_CLASSCODE_HOST_BRIDGE	0x060000
#define PCI_CLASSCODE_STORAGE_SCSI	0x010000
#define PCI_CLASSCODE_NET_ETHERNET	0x020000
#define PCI_CLASSCODE_COMM_OTHER	0x078000
#define PCI_CLASSCODE_OTHER		0xff0000

struct pci;
struct pci_dev;

/* @off is the offset inside the BAR; @data little endian, 1 to 8 bytes */
typedef void (*pci_bar_access_fn)(struct pci_dev *dev, int bar, u64 off,
				  u8 *data, u32 len, bool is_write);

struct pci_bar {
	struct pci_dev *dev;
	int index;
	u64 size;		/* power of two >= 16; 0: not implemented */
	bool is64;
	bool upper;		/* the high half of the 64-bit BAR below */
	pci_bar_access_fn access;
	bool mapped;		/* on the MMIO bus at mapped_addr */
	u64 mapped_addr;
};

struct pci_msix_vector {
	u32 entry[4];		/* addr lo, addr hi, data, vector control */
	int efd;		/* eventfd for the irqfd path */
	bool irqfd_on;		/* efd registered with irqfd_addr/data */
	u64 irqfd_addr;
	u32 irqfd_data;
};

struct pci_dev {
	struct pci *pci;
	struct vm *vm;
	const char *name;
	int slot;
	u8 cfg[PCI_CFG_SIZE];
	u8 wmask[PCI_CFG_SIZE];	/* bits the guest may write */
	u8 next_cap;		/* where pci_add_cap() puts the next one */
	u8 last_cap;
	struct pci_bar bars[PCI_NR_BARS];

	/* a BAR was mapped, moved or unmapped (called with the PCI lock) */
	void (*bar_changed)(struct pci_dev *dev, int bar);
	/*
	 * Config bytes [cfg_hook_off, +cfg_hook_len) are live: cfg_hook runs
	 * before a read of them and after a write (PCI lock held).
	 */
	void (*cfg_hook)(struct pci_dev *dev, bool is_write);
	u8 cfg_hook_off, cfg_hook_len;
	void *opaque;		/* the device's own state */

	/* MSI-X: table and PBA live in msix_bar */
	pthread_mutex_t msix_lock;
	u8 msix_cap;		/* 0: no MSI-X */
	u16 msix_nr;
	int msix_bar;
	u64 msix_table_off, msix_pba_off;
	struct pci_msix_vector msix[PCI_MSIX_MAX_VECTORS];
	u32 msix_pba;
	bool irqfd_failed;	/* the irqfd op refused: use signal_msi */
	u64 irqs_sent, irqs_lost;
};

struct pci {
	struct vm *vm;
	pthread_mutex_t lock;	/* the address register, config spaces, BARs */
	u32 conf1_addr;
	struct pci_dev host;
	struct pci_dev *devs[PCI_MAX_SLOTS];
	u64 mmio_next;		/* BAR allocation in the window */
};

/*
 * Registers ports 0xcf8 (the address register: dword accesses; bytes at
 * 0xcfa-0xcfb are swallowed, 0xcf9 is left to the reset register) and
 * 0xcfc-0xcff, and the host bridge as device 0.  NULL on failure.
 */
struct pci *pci_setup(struct vm *vm);

/*
 * Devices: pci_dev_init() fills the header, then the device adds BARs,
 * capabilities and MSI-X, then pci_register_dev() gives it a slot and
 * places its BARs in the window (memory decoding on, as firmware leaves
 * it).  0 or -1 with a message.
 */
void pci_dev_init(struct pci_dev *dev, struct vm *vm, const char *name,
		  u16 vendor, u16 device, u8 revision, u32 class_code,
		  u16 subsys_vendor, u16 subsys_id);
int pci_add_bar(struct pci_dev *dev, int bar, u64 size, bool is64,
		pci_bar_access_fn access);
/* offset in config space of a new capability of @len bytes, 0 if full */
u8 pci_add_cap(struct pci_dev *dev, u8 id, u8 len);
int pci_add_msix(struct pci_dev *dev, u16 nr_vectors, int bar,
		 u64 table_off, u64 pba_off);
int pci_register_dev(struct pci *pci, struct pci_dev *dev);

/* raise MSI-X vector @vector: delivered, pending (masked) or lost */
void pci_msix_notify(struct pci_dev *dev, u16 vector);
bool pci_msix_enabled(struct pci_dev *dev);

/* the conf1 ports and BARs as the guest sees them (tests call these) */
void pci_conf1_addr_access(void *opaque, u64 port, u8 *data, u32 len,
			   bool is_write);
void pci_conf1_data_access(void *opaque, u64 port, u8 *data, u32 len,
			   bool is_write);
u64 pci_bar_addr(struct pci_dev *dev, int bar);
/* an access to a BAR's registers by offset, as if through the bus */
void pci_bar_access(struct pci_dev *dev, int bar, u64 off, u8 *data,
		    u32 len, bool is_write);

#endif /* LVCTL_PCI_H */
