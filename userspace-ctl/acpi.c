// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables for Linux guests (ACPI 6.3 layouts), built at run time
 * because the MADT lists one local APIC per vCPU.
 *
 * The DSDT is AML that this file encodes itself; in ASL it reads:
 *
 *   DefinitionBlock ("", "DSDT", 2, "LABVSR", "LABVISOR", 1)
 *   {
 *       Scope (\_SB) {
 *           Device (PCI0) {
 *               Name (_HID, EisaId ("PNP0A03"))
 *               Name (_UID, 0)
 *               Name (_BBN, 0)
 *               Name (_CRS, ResourceTemplate () {
 *                   WordBusNumber (ResourceProducer, MinFixed, MaxFixed,
 *                       PosDecode, 0, 0x00, 0xff, 0, 0x100)
 *                   IO (Decode16, 0xcf8, 0xcf8, 1, 8)
 *                   WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                       EntireRange, 0, 0x0000, 0x0cf7, 0, 0x0cf8)
 *                   WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
 *                       EntireRange, 0, 0x0d00, 0xffff, 0, 0xf300)
 *                   DWordMemory (ResourceProducer, PosDecode, MinFixed,
 *                       MaxFixed, NonCacheable, ReadWrite, 0,
 *                       0xe0000000, 0xfebfffff, 0, 0x1ec00000)
 *               })
 *           }
 *       }
 *       Name (\_S5, Package () { 5, 5, 0, 0 })
 *   }
 *
 * so Linux finds the PCI root bridge (and enumerates bus 0 through conf1
 * at 0xcf8) from ACPI, and powers off by writing SLP_TYP 5 | SLP_EN to
 * PM1a_CNT.
 */
#include <stdio.h>
#include <string.h>

#include "acpi.h"

#define ACPI_OEM_ID		"LABVSR"
#define ACPI_OEM_TABLE_ID	"LABVISOR"
#define ACPI_CREATOR_ID		"LVCT"

u8 acpi_checksum(const void *data, size_t len)
{
	const u8 *p = data;
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

/* ---- AML ---- */

#define AML_ZERO_OP		0x00
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_ROOT_CHAR		0x5c	/* '\' */
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after the prefix */

/* resource descriptors (ACPI 6.3, section 6.4) */
#define RES_IO			0x47	/* small item, 7 bytes of data */
#define RES_END_TAG		0x79
#define RES_DWORD_ADDRESS	0x87
#define RES_WORD_ADDRESS	0x88
#define RES_TYPE_MEMORY		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_MIN_FIXED		(1 << 2)
#define RES_MAX_FIXED		(1 << 3)
#define RES_IO_ENTIRE_RANGE	0x3
#define RES_MEM_READ_WRITE	0x1

/* EisaId ("PNP0A03"): three 5-bit letters, then the product, big endian */
#define EISA_PNP0A03		0x030ad041U

struct aml {
	u8 *buf;
	size_t len, max;
	bool overflow;
};

static void aml_byte(struct aml *a, u8 b)
{
	if (a->len >= a->max) {
		a->overflow = true;
		return;
	}
	a->buf[a->len++] = b;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		aml_byte(a, *b++);
}

static void aml_le(struct aml *a, u64 v, int n)
{
	while (n--) {
		aml_byte(a, v & 0xff);
		v >>= 8;
	}
}

/* a name segment: exactly 4 characters */
static void aml_nameseg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

static void aml_integer(struct aml *a, u32 v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	}
}

/*
 * A PkgLength counts itself, and its size (1-4 bytes) depends on the
 * length: reserve 4 bytes, write the body, then encode and move the body
 * down.
 */
static size_t aml_pkg_begin(struct aml *a)
{
	size_t start = a->len;

	aml_le(a, 0, 4);
	return start;
}

static void aml_pkg_end(struct aml *a, size_t start)
{
	size_t body, total;
	int n, i;

	if (a->overflow)
		return;
	body = a->len - start - 4;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 < (1U << 12))
		n = 2;
	else if (body + 3 < (1U << 20))
		n = 3;
	else
		n = 4;
	total = body + n;
	memmove(a->buf + start + n, a->buf + start + 4, body);
	if (n == 1) {
		a->buf[start] = total;
	} else {
		a->buf[start] = ((n - 1) << 6) | (total & 0xf);
		for (i = 1; i < n; i++)
			a->buf[start + i] = (total >> (4 + 8 * (i - 1))) & 0xff;
	}
	a->len = start + n + body;
}

/* WordBusNumber / WordIO: a word address space descriptor, producer */
static void res_word_address(struct aml *a, u8 type, u8 type_flags, u16 min,
			     u16 max)
{
	aml_byte(a, RES_WORD_ADDRESS);
	aml_le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, RES_MIN_FIXED | RES_MAX_FIXED);
	aml_byte(a, type_flags);
	aml_le(a, 0, 2);			/* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2);			/* translation */
	aml_le(a, (u32)max - min + 1, 2);
}

static void res_dword_memory(struct aml *a, u32 min, u32 max)
{
	aml_byte(a, RES_DWORD_ADDRESS);
	aml_le(a, 23, 2);
	aml_byte(a, RES_TYPE_MEMORY);
	aml_byte(a, RES_MIN_FIXED | RES_MAX_FIXED);
	aml_byte(a, RES_MEM_READ_WRITE);	/* non-cacheable */
	aml_le(a, 0, 4);			/* granularity */
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);			/* translation */
	aml_le(a, (u64)max - min + 1, 4);
}

static void res_io(struct aml *a, u16 min, u16 max, u8 align, u8 len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, 1);				/* 16-bit decode */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* Name (_CRS, ResourceTemplate () { ... }) of the root bridge */
static void aml_pci0_crs(struct aml *a)
{
	u8 tmp[128];
	struct aml r = { tmp, 0, sizeof(tmp), false };
	size_t pkg;

	res_word_address(&r, RES_TYPE_BUS, 0, 0x00, 0xff);
	res_io(&r, 0xcf8, 0xcf8, 1, 8);
	res_word_address(&r, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0000, 0x0cf7);
	res_word_address(&r, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0d00, 0xffff);
	res_dword_memory(&r, ACPI_PCI_MMIO_START, ACPI_PCI_MMIO_END);
	aml_byte(&r, RES_END_TAG);
	aml_byte(&r, 0);			/* checksum 0: "ignore" */
	if (r.overflow) {
		a->overflow = true;
		return;
	}

	aml_byte(a, AML_NAME_OP);
	aml_nameseg(a, "_CRS");
	aml_byte(a, AML_BUFFER_OP);
	pkg = aml_pkg_begin(a);
	aml_integer(a, r.len);
	aml_bytes(a, tmp, r.len);
	aml_pkg_end(a, pkg);
}

size_t acpi_dsdt_aml(u8 *buf, size_t max)
{
	struct aml a = { buf, 0, max, false };
	size_t scope, dev, pkg;

	aml_byte(&a, AML_SCOPE_OP);
	scope = aml_pkg_begin(&a);
	aml_byte(&a, AML_ROOT_CHAR);
	aml_nameseg(&a, "_SB_");

	aml_byte(&a, AML_EXT_OP_PREFIX);
	aml_byte(&a, AML_DEVICE_OP);
	dev = aml_pkg_begin(&a);
	aml_nameseg(&a, "PCI0");
	aml_byte(&a, AML_NAME_OP);
	aml_nameseg(&a, "_HID");
	aml_byte(&a, AML_DWORD_PREFIX);		/* EisaId is always a DWord */
	aml_le(&a, EISA_PNP0A03, 4);
	aml_byte(&a, AML_NAME_OP);
	aml_nameseg(&a, "_UID");
	aml_integer(&a, 0);
	aml_byte(&a, AML_NAME_OP);
	aml_nameseg(&a, "_BBN");
	aml_integer(&a, 0);
	aml_pci0_crs(&a);
	aml_pkg_end(&a, dev);
	aml_pkg_end(&a, scope);

	aml_byte(&a, AML_NAME_OP);
	aml_byte(&a, AML_ROOT_CHAR);
	aml_nameseg(&a, "_S5_");
	aml_byte(&a, AML_PACKAGE_OP);
	pkg = aml_pkg_begin(&a);
	aml_byte(&a, 4);			/* NumElements */
	aml_integer(&a, ACPI_S5_SLP_TYP);	/* PM1a SLP_TYP */
	aml_integer(&a, ACPI_S5_SLP_TYP);	/* PM1b SLP_TYP */
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_pkg_end(&a, pkg);

	return a.overflow ? 0 : a.len;
}

/* ---- tables ---- */

static void put_header(struct acpi_header *h, const char *sig, u32 len,
		       u8 rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

static void finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = -acpi_checksum(h, h->length);
}

static struct acpi_gas gas_io(u16 port, u8 bits, u8 access)
{
	struct acpi_gas g = {
		.space_id = ACPI_GAS_IO,
		.bit_width = bits,
		.bit_offset = 0,
		.access_size = access,
		.address = port,
	};

	return g;
}

static void build_fadt(struct acpi_fadt *f, u32 facs, u32 dsdt)
{
	memset(f, 0, sizeof(*f));
	put_header(&f->header, "FACP", sizeof(*f), 6);
	/*
	 * The FACS only through X_FIRMWARE_CTRL: ACPI says FIRMWARE_CTRL is
	 * then ignored, and Linux would install the table twice.
	 */
	f->firmware_ctrl = 0;
	f->dsdt = dsdt;
	f->preferred_pm_profile = 0;		/* unspecified */
	f->sci_int = ACPI_SCI_IRQ;
	f->smi_cmd = 0;				/* always in ACPI mode */
	f->pm1a_evt_blk = ACPI_PM1A_EVT_BLK;
	f->pm1a_cnt_blk = ACPI_PM1A_CNT_BLK;
	f->pm_tmr_blk = ACPI_PM_TMR_BLK;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->p_lvl2_lat = 101;			/* > 100: no C2 */
	f->p_lvl3_lat = 1001;			/* > 1000: no C3 */
	f->iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042 |
			    ACPI_IAPC_NO_VGA;
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_C1_SUPPORTED |
		   ACPI_FADT_SLEEP_BUTTON | ACPI_FADT_TMR_VAL_EXT |
		   ACPI_FADT_RESET_REG_SUP;
	f->reset_reg = gas_io(ACPI_RESET_PORT, 8, ACPI_ACCESS_BYTE);
	f->reset_value = ACPI_RESET_VALUE;
	f->minor_version = 3;
	f->x_firmware_ctrl = facs;
	f->x_dsdt = dsdt;
	f->x_pm1a_evt_blk = gas_io(ACPI_PM1A_EVT_BLK, 8 * ACPI_PM1_EVT_LEN,
				   ACPI_ACCESS_WORD);
	f->x_pm1a_cnt_blk = gas_io(ACPI_PM1A_CNT_BLK, 8 * ACPI_PM1_CNT_LEN,
				   ACPI_ACCESS_WORD);
	f->x_pm_tmr_blk = gas_io(ACPI_PM_TMR_BLK, 8 * ACPI_PM_TMR_LEN,
				 ACPI_ACCESS_DWORD);
	memcpy(&f->hypervisor_id, "labvisor", 8);
	finish(&f->header);
}

/* the MADT's size for @nr_cpus */
static u32 madt_size(int nr_cpus)
{
	return sizeof(struct acpi_madt) +
	       nr_cpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) +
	       2 * sizeof(struct acpi_madt_iso) +
	       sizeof(struct acpi_madt_lapic_nmi);
}

static void build_madt(u8 *p, int nr_cpus)
{
	struct acpi_madt *m = (struct acpi_madt *)p;
	struct acpi_madt_lapic lapic;
	struct acpi_madt_ioapic ioapic;
	struct acpi_madt_iso iso;
	struct acpi_madt_lapic_nmi nmi;
	u8 *cur = p + sizeof(*m);
	int i;

	put_header(&m->header, "APIC", madt_size(nr_cpus), 4);
	m->lapic_address = ACPI_LAPIC_BASE;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	for (i = 0; i < nr_cpus; i++) {
		lapic = (struct acpi_madt_lapic){
			.type = ACPI_MADT_LAPIC, .length = sizeof(lapic),
			.processor_uid = i, .apic_id = i, .flags = 1,
		};
		memcpy(cur, &lapic, sizeof(lapic));
		cur += sizeof(lapic);
	}
	/* the IOAPIC's id follows the local APICs' */
	ioapic = (struct acpi_madt_ioapic){
		.type = ACPI_MADT_IOAPIC, .length = sizeof(ioapic),
		.ioapic_id = nr_cpus, .address = ACPI_IOAPIC_BASE,
		.gsi_base = 0,
	};
	memcpy(cur, &ioapic, sizeof(ioapic));
	cur += sizeof(ioapic);
	/* the PIT's IRQ 0 is wired to pin 2, as on PC chipsets */
	iso = (struct acpi_madt_iso){
		.type = ACPI_MADT_ISO, .length = sizeof(iso), .bus = 0,
		.source = 0, .gsi = 2,
		.flags = ACPI_INTI_ACTIVE_HIGH | ACPI_INTI_EDGE,
	};
	memcpy(cur, &iso, sizeof(iso));
	cur += sizeof(iso);
	/* the SCI is level-triggered */
	iso.source = ACPI_SCI_IRQ;
	iso.gsi = ACPI_SCI_IRQ;
	iso.flags = ACPI_INTI_ACTIVE_HIGH | ACPI_INTI_LEVEL;
	memcpy(cur, &iso, sizeof(iso));
	cur += sizeof(iso);
	nmi = (struct acpi_madt_lapic_nmi){
		.type = ACPI_MADT_LAPIC_NMI, .length = sizeof(nmi),
		.processor_uid = 0xff,
		.flags = ACPI_INTI_ACTIVE_HIGH | ACPI_INTI_EDGE, .lint = 1,
	};
	memcpy(cur, &nmi, sizeof(nmi));
	finish(&m->header);
}

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((u64)(a) - 1))

/* the RSDT (4-byte entries) or XSDT (8-byte): the FADT and the MADT */
#define SDT_LEN(entry_size) (sizeof(struct acpi_header) + 2 * (entry_size))

static void build_sdt(struct acpi_header *h, const char *sig, u32 entry_size,
		      u64 fadt_at, u64 madt_at)
{
	u8 *p = (u8 *)(h + 1);

	put_header(h, sig, SDT_LEN(entry_size), 1);
	/* little endian: the low @entry_size bytes of each address */
	memcpy(p, &fadt_at, entry_size);
	memcpy(p + entry_size, &madt_at, entry_size);
	finish(h);
}

int acpi_build(struct guest_mem *mem, int nr_cpus, u64 *rsdp_gpa)
{
	u64 rsdp_at, rsdt_at, xsdt_at, fadt_at, facs_at, dsdt_at, madt_at, end;
	struct acpi_header *dsdt;
	struct acpi_rsdp *rsdp;
	struct acpi_facs *facs;
	u8 aml[1024], *area;
	size_t aml_len;

	if (nr_cpus < 1 || nr_cpus > LVCTL_MAX_VCPUS) {
		pr_err("ACPI: %d vCPUs: need 1 to %d", nr_cpus, LVCTL_MAX_VCPUS);
		return -1;
	}
	aml_len = acpi_dsdt_aml(aml, sizeof(aml));
	if (!aml_len) {
		pr_err("ACPI: the DSDT does not fit its buffer");
		return -1;
	}
	rsdp_at = ACPI_TABLES_BASE;
	rsdt_at = ALIGN_UP(rsdp_at + sizeof(struct acpi_rsdp), 16);
	xsdt_at = ALIGN_UP(rsdt_at + SDT_LEN(4), 16);
	fadt_at = ALIGN_UP(xsdt_at + SDT_LEN(8), 16);
	facs_at = ALIGN_UP(fadt_at + sizeof(struct acpi_fadt), 64);
	dsdt_at = ALIGN_UP(facs_at + sizeof(struct acpi_facs), 16);
	madt_at = ALIGN_UP(dsdt_at + sizeof(struct acpi_header) + aml_len, 16);
	end = madt_at + madt_size(nr_cpus);
	area = guest_mem_hva(mem, ACPI_TABLES_BASE,
			     ACPI_TABLES_END - ACPI_TABLES_BASE);
	if (end > ACPI_TABLES_END || !area) {
		pr_err("ACPI: the tables do not fit in guest RAM at 0x%llx-0x%llx",
		       ACPI_TABLES_BASE, ACPI_TABLES_END);
		return -1;
	}
	memset(area, 0, ACPI_TABLES_END - ACPI_TABLES_BASE);
#define AT(gpa)	(area + ((gpa) - ACPI_TABLES_BASE))

	facs = (struct acpi_facs *)AT(facs_at);
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	dsdt = (struct acpi_header *)AT(dsdt_at);
	put_header(dsdt, "DSDT", sizeof(*dsdt) + aml_len, 2);
	memcpy(dsdt + 1, aml, aml_len);
	finish(dsdt);

	build_fadt((struct acpi_fadt *)AT(fadt_at), facs_at, dsdt_at);
	build_madt(AT(madt_at), nr_cpus);

	build_sdt((struct acpi_header *)AT(rsdt_at), "RSDT", 4, fadt_at,
		  madt_at);
	build_sdt((struct acpi_header *)AT(xsdt_at), "XSDT", 8, fadt_at,
		  madt_at);

	rsdp = (struct acpi_rsdp *)AT(rsdp_at);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = rsdt_at;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_at;
	rsdp->checksum = -acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = -acpi_checksum(rsdp, sizeof(*rsdp));
#undef AT
	*rsdp_gpa = rsdp_at;
	return 0;
}
