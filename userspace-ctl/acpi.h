/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for Linux guests, built at run time (the MADT depends on the
 * number of vCPUs): RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT in the BIOS
 * area, which the e820 map marks reserved.  Layouts from the ACPI 6.3
 * specification; the values are the platform of docs/testing.md.
 */
#ifndef LVCTL_ACPI_H
#define LVCTL_ACPI_H

#include "lvctl.h"

/* where the tables go: 16-byte aligned for the RSDP scan of 0xe0000-0xfffff */
#define ACPI_TABLES_BASE	0xe0000ULL
#define ACPI_TABLES_END		0xf0000ULL

/* the platform the tables describe */
#define ACPI_SCI_IRQ		9
#define ACPI_PM1A_EVT_BLK	0x600
#define ACPI_PM1_EVT_LEN	4
#define ACPI_PM1A_CNT_BLK	0x604
#define ACPI_PM1_CNT_LEN	2
#define ACPI_PM_TMR_BLK		0x608
#define ACPI_PM_TMR_LEN		4
#define ACPI_RESET_PORT		0xcf9
#define ACPI_RESET_VALUE	0x06
#define ACPI_S5_SLP_TYP		5
#define ACPI_IOAPIC_BASE	0xfec00000U
#define ACPI_LAPIC_BASE		0xfee00000U
#define ACPI_PCI_MMIO_START	0xe0000000U
#define ACPI_PCI_MMIO_END	0xfebfffffU	/* inclusive */

struct acpi_rsdp {
	char signature[8];	/* "RSD PTR " */
	u8 checksum;		/* of the first 20 bytes */
	char oem_id[6];
	u8 revision;		/* 2: ACPI 2.0+, XSDT present */
	u32 rsdt_address;
	u32 length;		/* 36 */
	u64 xsdt_address;
	u8 extended_checksum;	/* of all 36 bytes */
	u8 reserved[3];
} __attribute__((packed));

struct acpi_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;		/* the whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	char creator_id[4];
	u32 creator_revision;
} __attribute__((packed));

/* Generic Address Structure */
struct acpi_gas {
	u8 space_id;		/* 1: system I/O */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;		/* 1 byte, 2 word, 3 dword, 4 qword */
	u64 address;
} __attribute__((packed));

#define ACPI_GAS_IO		1
#define ACPI_ACCESS_BYTE	1
#define ACPI_ACCESS_WORD	2
#define ACPI_ACCESS_DWORD	3

/* FADT, revision 6 (276 bytes) */
struct acpi_fadt {
	struct acpi_header header;
	u32 firmware_ctrl;
	u32 dsdt;
	u8 reserved0;
	u8 preferred_pm_profile;
	u16 sci_int;
	u32 smi_cmd;
	u8 acpi_enable;
	u8 acpi_disable;
	u8 s4bios_req;
	u8 pstate_cnt;
	u32 pm1a_evt_blk;
	u32 pm1b_evt_blk;
	u32 pm1a_cnt_blk;
	u32 pm1b_cnt_blk;
	u32 pm2_cnt_blk;
	u32 pm_tmr_blk;
	u32 gpe0_blk;
	u32 gpe1_blk;
	u8 pm1_evt_len;
	u8 pm1_cnt_len;
	u8 pm2_cnt_len;
	u8 pm_tmr_len;
	u8 gpe0_blk_len;
	u8 gpe1_blk_len;
	u8 gpe1_base;
	u8 cst_cnt;
	u16 p_lvl2_lat;
	u16 p_lvl3_lat;
	u16 flush_size;
	u16 flush_stride;
	u8 duty_offset;
	u8 duty_width;
	u8 day_alrm;
	u8 mon_alrm;
	u8 century;
	u16 iapc_boot_arch;
	u8 reserved1;
	u32 flags;
	struct acpi_gas reset_reg;
	u8 reset_value;
	u16 arm_boot_arch;
	u8 minor_version;
	u64 x_firmware_ctrl;
	u64 x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	u64 hypervisor_id;
} __attribute__((packed));

/* FADT flags */
#define ACPI_FADT_WBINVD	(1U << 0)
#define ACPI_FADT_C1_SUPPORTED	(1U << 2)
#define ACPI_FADT_SLEEP_BUTTON	(1U << 5)	/* no fixed sleep button */
#define ACPI_FADT_TMR_VAL_EXT	(1U << 8)	/* 32-bit PM timer */
#define ACPI_FADT_RESET_REG_SUP	(1U << 10)
/* IA-PC boot architecture flags */
#define ACPI_IAPC_LEGACY_DEVICES	(1U << 0)
#define ACPI_IAPC_8042		(1U << 1)
#define ACPI_IAPC_NO_VGA	(1U << 2)

struct acpi_facs {
	char signature[4];	/* "FACS" */
	u32 length;		/* 64 */
	u32 hardware_signature;
	u32 firmware_waking_vector;
	u32 global_lock;
	u32 flags;
	u64 x_firmware_waking_vector;
	u8 version;
	u8 reserved0[3];
	u32 ospm_flags;
	u8 reserved1[24];
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header header;
	u32 lapic_address;
	u32 flags;
} __attribute__((packed));

#define ACPI_MADT_PCAT_COMPAT	(1U << 0)

#define ACPI_MADT_LAPIC		0
#define ACPI_MADT_IOAPIC	1
#define ACPI_MADT_ISO		2
#define ACPI_MADT_LAPIC_NMI	4

struct acpi_madt_lapic {
	u8 type, length;
	u8 processor_uid;
	u8 apic_id;
	u32 flags;		/* bit 0: enabled */
} __attribute__((packed));

struct acpi_madt_ioapic {
	u8 type, length;
	u8 ioapic_id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
	u8 type, length;
	u8 bus;			/* 0: ISA */
	u8 source;		/* ISA IRQ */
	u32 gsi;
	u16 flags;		/* MPS INTI flags */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
	u8 type, length;
	u8 processor_uid;	/* 0xff: all */
	u16 flags;
	u8 lint;
} __attribute__((packed));

/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2 */
#define ACPI_INTI_ACTIVE_HIGH	0x1
#define ACPI_INTI_EDGE		(0x1 << 2)
#define ACPI_INTI_LEVEL		(0x3 << 2)

/* Sum of @len bytes (a correct table sums to 0 modulo 256). */
u8 acpi_checksum(const void *data, size_t len);

/*
 * The DSDT's AML (after the header): \_SB.PCI0 and \_S5.  Writes at most
 * @max bytes to @buf; returns the length, or 0 when @max is too small.
 */
size_t acpi_dsdt_aml(u8 *buf, size_t max);

/*
 * Build every table for @nr_cpus vCPUs in [ACPI_TABLES_BASE,
 * ACPI_TABLES_END) of @mem; *@rsdp is the RSDP's gpa.  0, or -1 with a
 * message printed.
 */
int acpi_build(struct guest_mem *mem, int nr_cpus, u64 *rsdp);

#endif /* LVCTL_ACPI_H */
