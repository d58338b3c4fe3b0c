/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI DMA Remapping table (DMAR), as the VT-d specification (chapter 8)
 * lays it out, parsed into fixed-size arrays by a pure function.
 */
#ifndef LV_VTD_DMAR_H
#define LV_VTD_DMAR_H

#include <linux/types.h>

#define LV_DMAR_MAX_UNITS	16
#define LV_DMAR_MAX_RMRRS	16
#define LV_DMAR_MAX_SCOPES	16
#define LV_DMAR_MAX_PATH	4

/* remapping structure types */
#define LV_DMAR_TYPE_DRHD	0
#define LV_DMAR_TYPE_RMRR	1

/* device scope types */
#define LV_DMAR_SCOPE_ENDPOINT	1
#define LV_DMAR_SCOPE_BRIDGE	2	/* a PCI sub-hierarchy */
#define LV_DMAR_SCOPE_IOAPIC	3
#define LV_DMAR_SCOPE_HPET	4
#define LV_DMAR_SCOPE_NAMESPACE	5

/* DRHD flags */
#define LV_DMAR_INCLUDE_ALL	0x01

/**
 * struct lv_dmar_scope - one device scope entry
 * @type: LV_DMAR_SCOPE_*
 * @enum_id: enumeration id (IOAPIC id, HPET number, ...)
 * @bus: start bus number of the path
 * @depth: number of (device, function) hops in @path, 1 .. LV_DMAR_MAX_PATH
 * @path: the hops: @path[i][0] device, @path[i][1] function
 */
struct lv_dmar_scope {
	u8 type;
	u8 enum_id;
	u8 bus;
	u8 depth;
	u8 path[LV_DMAR_MAX_PATH][2];
};

/**
 * struct lv_dmar_unit - one DMA remapping hardware unit (DRHD)
 * @flags: LV_DMAR_INCLUDE_ALL
 * @segment: PCI segment
 * @base: physical address of its registers (4 KiB aligned)
 * @nr_scopes: entries in @scope
 * @scope: the devices it translates (none with LV_DMAR_INCLUDE_ALL)
 */
struct lv_dmar_unit {
	u8 flags;
	u16 segment;
	u64 base;
	unsigned int nr_scopes;
	struct lv_dmar_scope scope[LV_DMAR_MAX_SCOPES];
};

/**
 * struct lv_dmar_rmrr - a reserved memory region the firmware keeps doing
 *	DMA to (RMRR)
 * @segment: PCI segment
 * @base: first byte (4 KiB aligned)
 * @end: last byte (its page's last byte)
 * @nr_scopes: entries in @scope
 * @scope: the devices that use it
 */
struct lv_dmar_rmrr {
	u16 segment;
	u64 base;
	u64 end;
	unsigned int nr_scopes;
	struct lv_dmar_scope scope[LV_DMAR_MAX_SCOPES];
};

/**
 * struct lv_dmar - a parsed DMAR table
 * @haw: host address width in bits
 * @flags: the table's flags (bit 0 INTR_REMAP, 1 X2APIC_OPT_OUT, 2
 *	DMA_CTRL_PLATFORM_OPT_IN)
 * @nr_units: entries in @unit
 * @unit: the DRHDs, in table order
 * @nr_rmrrs: entries in @rmrr
 * @rmrr: the RMRRs, in table order
 * @why: for a rejected table, what is wrong with it (a static string)
 * @where: for a rejected table, the byte offset of the offending item
 */
struct lv_dmar {
	u8 haw;
	u8 flags;
	unsigned int nr_units;
	struct lv_dmar_unit unit[LV_DMAR_MAX_UNITS];
	unsigned int nr_rmrrs;
	struct lv_dmar_rmrr rmrr[LV_DMAR_MAX_RMRRS];
	const char *why;
	size_t where;
};

int lv_dmar_parse(const void *table, size_t len, struct lv_dmar *out);

#endif /* LV_VTD_DMAR_H */
