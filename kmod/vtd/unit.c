// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d DMA remapping units: found in the ACPI DMAR table at load, taken
 * (translation on, with our root table) when a device behind one is first
 * assigned, and given back at unload exactly as found.
 *
 * labvisor takes a unit only when Linux does not use it: booted with
 * intel_iommu=off intremap=off, the unit is found with translation,
 * interrupt remapping and queued invalidation off (GSTS), and no device
 * behind it belongs to a Linux IOMMU group.  A unit found on is never
 * touched.
 *
 * Once taken, every device behind the unit that is not assigned to a VM
 * (the host's own devices) gets a pass-through context entry (ECAP.PT), so
 * host DMA keeps working untranslated; devices that appear later have no
 * context entry and their DMA faults.
 *
 * Invalidation (global context cache; global or domain-selective IOTLB)
 * is queued where the unit has queued invalidation (ECAP.QI): one page of
 * descriptors, each submission followed by an invalidation wait whose
 * status write is polled.  Elsewhere it is register-based (context command
 * and IOTLB registers).  Either way every change waits for completion.
 *
 * Faults: the fault event interrupt stays masked (FECTL.IM: its message
 * would need a vector of Linux's interrupt domain); the primary fault log
 * is polled every 100 ms while a unit is taken, and at once whenever a
 * VM's statistics are read, so counts are exact at that point.
 */
#include <linux/acpi.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <asm/cacheflush.h>

#include "../core/lv.h"
#include "vtd.h"

/* registers (VT-d specification, chapter 11) */
#define VER_REG		0x00
#define CAP_REG		0x08
#define ECAP_REG	0x10
#define GCMD_REG	0x18
#define GSTS_REG	0x1c
#define RTADDR_REG	0x20
#define CCMD_REG	0x28
#define FSTS_REG	0x34
#define FECTL_REG	0x38
#define IQH_REG		0x80
#define IQT_REG		0x88
#define IQA_REG		0x90

#define GSTS_TES	BIT(31)
#define GSTS_RTPS	BIT(30)
#define GSTS_FLS	BIT(29)
#define GSTS_WBFS	BIT(27)
#define GSTS_QIES	BIT(26)
#define GSTS_IRES	BIT(25)
#define GSTS_IRTPS	BIT(24)
#define GCMD_TE		BIT(31)
#define GCMD_SRTP	BIT(30)
#define GCMD_WBF	BIT(27)
#define GCMD_QIE	BIT(26)
/* GSTS bits that are one-shot commands: never written back to GCMD */
#define GSTS_ONE_SHOT	(GSTS_RTPS | GSTS_FLS | GSTS_WBFS | GSTS_IRTPS)

#define CCMD_ICC	BIT_ULL(63)
#define CCMD_GLOBAL	BIT_ULL(61)	/* CIRG 01b */
#define IOTLB_IVT	BIT_ULL(63)
#define IOTLB_GLOBAL	BIT_ULL(60)	/* IIRG 01b */
#define IOTLB_DOMAIN	(2ULL << 60)
#define IOTLB_DR	BIT_ULL(49)
#define IOTLB_DW	BIT_ULL(48)

#define FSTS_PFO	BIT(0)
#define FSTS_PPF	BIT(1)
#define FSTS_IQE	BIT(4)
#define FSTS_FRI(f)	(((f) >> 8) & 0xff)
#define FECTL_IM	BIT(31)
#define FRCD_F		BIT_ULL(63)	/* in the upper 64 bits */

#define CAP_ND(c)	((c) & 7)
#define CAP_RWBF(c)	(((c) >> 4) & 1)
#define CAP_CM(c)	(((c) >> 7) & 1)
#define CAP_SAGAW(c)	(((c) >> 8) & 0x1f)
#define CAP_MGAW(c)	((((c) >> 16) & 0x3f) + 1)
#define CAP_FRO(c)	((((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c)	((((c) >> 40) & 0xff) + 1)
#define ECAP_C(e)	((e) & 1)
#define ECAP_QI(e)	(((e) >> 1) & 1)
#define ECAP_PT(e)	(((e) >> 6) & 1)
#define ECAP_IRO(e)	((((e) >> 8) & 0x3ff) * 16)
#define ECAP_SMTS(e)	(((e) >> 43) & 1)

/* context entry (128 bits): lower and upper 64 bits */
#define CTX_P		BIT_ULL(0)
#define CTX_TT_PT	(2ULL << 2)
#define CTX_AW(l)	((u64)(l) - 2)	/* 3 levels: 1 (39 bits), 4: 2 (48 bits) */
#define CTX_DID(d)	((u64)(d) << 8)
#define ROOT_P		BIT_ULL(0)

#define POLL_US		1000000

/* the invalidation queue: one page of 128-bit descriptors (IQA.QS 0) */
#define IQ_ENTRIES	(PAGE_SIZE / 16)
#define QI_CC		0x1		/* context-cache invalidate */
#define QI_IOTLB	0x2		/* IOTLB invalidate */
#define QI_WAIT		0x5		/* invalidation wait */
#define QI_GLOBAL	BIT_ULL(4)	/* granularity 01b */
#define QI_DOMAIN	(2ULL << 4)	/* granularity 10b */
#define QI_IOTLB_DR	BIT_ULL(7)
#define QI_IOTLB_DW	BIT_ULL(6)
#define QI_WAIT_SW	BIT_ULL(5)	/* status write */
#define QI_WAIT_FN	BIT_ULL(6)	/* fence */
#define QI_DONE		1

#define LINUX_USES_IT	"Linux uses it (translation, interrupt remapping or " \
			"queued invalidation on; boot with intel_iommu=off intremap=off)"

/* units' tables and registers, the assigned devices, the domains */
DEFINE_MUTEX(lv_vtd_lock);

static bool vtd_queued_invalidation = true;
module_param(vtd_queued_invalidation, bool, 0444);
MODULE_PARM_DESC(vtd_queued_invalidation,
		 "VT-d: queued invalidation where the unit has it (default on; off: register-based)");
LIST_HEAD(lv_vtd_devs);
unsigned int lv_vtd_levels;

static struct lv_dmar *dmar;
static struct lv_vtd_unit units[LV_DMAR_MAX_UNITS];
static unsigned int nr_units;
static u64 *empty_table;	/* the blocking context's top table */
static struct delayed_work poll_work;
static bool polling;

static void flush(void *p, unsigned int len, const struct lv_vtd_unit *u)
{
	if (!ECAP_C(u->ecap))
		clflush_cache_range(p, len);
}

/* ---- commands ---------------------------------------------------------- */

static int gcmd(struct lv_vtd_unit *u, u32 set, u32 clear, u32 done_mask,
		u32 done_val)
{
	u32 gsts = readl(u->regs + GSTS_REG);
	u32 v;
	int err;

	writel(((gsts & ~GSTS_ONE_SHOT) | set) & ~clear, u->regs + GCMD_REG);
	err = readl_poll_timeout_atomic(u->regs + GSTS_REG, v,
					(v & done_mask) == done_val, 1, POLL_US);
	if (err)
		pr_err("labvisor: vtd: unit at 0x%llx: command 0x%x/0x%x not done (GSTS 0x%x)\n",
		       u->dmar->base, set, clear, readl(u->regs + GSTS_REG));
	return err;
}

static int write_buffer_flush(struct lv_vtd_unit *u)
{
	if (!CAP_RWBF(u->cap))
		return 0;
	return gcmd(u, GCMD_WBF, 0, GSTS_WBFS, 0);
}

/*
 * Queued invalidation: @d (a descriptor) then an invalidation wait that
 * writes QI_DONE to the status word; wait for it.
 */
static int qi_submit(struct lv_vtd_unit *u, u64 lo, u64 hi)
{
	u64 *q = u->iq;
	u32 st;
	int err;

	write_buffer_flush(u);
	WRITE_ONCE(*u->iq_status, 0);
	q[u->iq_tail * 2] = lo;
	q[u->iq_tail * 2 + 1] = hi;
	flush(&q[u->iq_tail * 2], 16, u);
	u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
	q[u->iq_tail * 2] = QI_WAIT | QI_WAIT_SW | QI_WAIT_FN |
			    ((u64)QI_DONE << 32);
	q[u->iq_tail * 2 + 1] = virt_to_phys(u->iq_status);
	flush(&q[u->iq_tail * 2], 16, u);
	u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
	writeq((u64)u->iq_tail << 4, u->regs + IQT_REG);
	err = read_poll_timeout_atomic(READ_ONCE, st, st == QI_DONE, 1, POLL_US,
				       false, *u->iq_status);
	if (err || (readl(u->regs + FSTS_REG) & FSTS_IQE)) {
		pr_err("labvisor: vtd: unit at 0x%llx: queued invalidation failed (FSTS 0x%x, head 0x%llx, tail 0x%llx)\n",
		       u->dmar->base, readl(u->regs + FSTS_REG),
		       readq(u->regs + IQH_REG), readq(u->regs + IQT_REG));
		return -ETIMEDOUT;
	}
	return 0;
}

/* queued invalidation on, with our queue (the unit is being taken) */
static int qi_enable(struct lv_vtd_unit *u)
{
	int err;

	u->iq = (u64 *)get_zeroed_page(GFP_KERNEL);
	/* the unit writes it: in the direct map, 4-byte aligned */
	u->iq_status = kzalloc(sizeof(*u->iq_status), GFP_KERNEL);
	if (!u->iq || !u->iq_status) {
		free_page((unsigned long)u->iq);
		kfree(u->iq_status);
		u->iq = NULL;
		u->iq_status = NULL;
		return -ENOMEM;
	}
	flush(u->iq, PAGE_SIZE, u);
	u->iq_tail = 0;
	writeq(0, u->regs + IQT_REG);
	writeq(__pa(u->iq), u->regs + IQA_REG);	/* 128-bit descriptors, 1 page */
	err = gcmd(u, GCMD_QIE, 0, GSTS_QIES, GSTS_QIES);
	if (err) {
		free_page((unsigned long)u->iq);
		kfree(u->iq_status);
		u->iq = NULL;
		u->iq_status = NULL;
	}
	return err;
}

/* queued invalidation off (the queue is drained: every submit waited) */
static void qi_disable(struct lv_vtd_unit *u)
{
	if (!u->iq)
		return;
	gcmd(u, 0, GCMD_QIE, GSTS_QIES, 0);
	writeq(u->found.iqa, u->regs + IQA_REG);
	writeq(u->found.iqt, u->regs + IQT_REG);
	free_page((unsigned long)u->iq);
	kfree(u->iq_status);
	u->iq = NULL;
	u->iq_status = NULL;
}

static int invalidate_context(struct lv_vtd_unit *u)
{
	u64 v;
	int err;

	if (u->iq)
		return qi_submit(u, QI_CC | QI_GLOBAL, 0);
	write_buffer_flush(u);
	writeq(CCMD_ICC | CCMD_GLOBAL, u->regs + CCMD_REG);
	err = readq_poll_timeout_atomic(u->regs + CCMD_REG, v, !(v & CCMD_ICC),
					1, POLL_US);
	if (err)
		pr_err("labvisor: vtd: unit at 0x%llx: context-cache invalidation timed out\n",
		       u->dmar->base);
	return err;
}

/* @did < 0: every domain */
static int invalidate_iotlb(struct lv_vtd_unit *u, int did)
{
	void __iomem *reg = u->regs + ECAP_IRO(u->ecap) + 8;
	u64 cmd = IOTLB_IVT | IOTLB_DR | IOTLB_DW;
	u64 v;
	int err;

	if (u->iq)
		return qi_submit(u, QI_IOTLB | QI_IOTLB_DR | QI_IOTLB_DW |
				 (did < 0 ? QI_GLOBAL : QI_DOMAIN | (u64)did << 16), 0);
	cmd |= did < 0 ? IOTLB_GLOBAL : IOTLB_DOMAIN | ((u64)did << 32);
	write_buffer_flush(u);
	writeq(cmd, reg);
	err = readq_poll_timeout_atomic(reg, v, !(v & IOTLB_IVT), 1, POLL_US);
	if (err)
		pr_err("labvisor: vtd: unit at 0x%llx: IOTLB invalidation timed out\n",
		       u->dmar->base);
	return err;
}

/**
 * lv_vtd_flush_iotlb() - invalidate the IOTLB of every taken unit
 * @did: a domain id, or -1 for all
 *
 * Called with lv_vtd_lock held, after second-level entries changed.
 */
void lv_vtd_flush_iotlb(int did)
{
	unsigned int i;

	for (i = 0; i < nr_units; i++)
		if (units[i].taken)
			invalidate_iotlb(&units[i], did);
}

/* ---- the fault log -------------------------------------------------------- */

static struct lv_vtd_dev *dev_of(struct lv_vtd_unit *u, u16 sid)
{
	struct lv_vtd_dev *d;

	list_for_each_entry(d, &lv_vtd_devs, node)
		if (d->unit == u && pci_dev_id(d->pdev) == sid)
			return d;
	return NULL;
}

static const char *reason_name(u8 r)
{
	switch (r) {
	case 0x1: return "root entry not present";
	case 0x2: return "context entry not present";
	case 0x3: return "invalid context entry";
	case 0x4: return "address beyond the domain's width";
	case 0x5: return "write to an address not mapped writable";
	case 0x6: return "read of an address not mapped";
	case 0x7: return "bad page-table address";
	default: return "see the VT-d specification";
	}
}

static void poll_unit(struct lv_vtd_unit *u)
{
	unsigned int fro = CAP_FRO(u->cap), nfr = CAP_NFR(u->cap);
	u32 fsts = readl(u->regs + FSTS_REG);
	unsigned int idx, n;

	if (fsts & FSTS_PPF) {
		idx = FSTS_FRI(fsts) % nfr;
		for (n = 0; n < nfr; n++, idx = (idx + 1) % nfr) {
			void __iomem *rec = u->regs + fro + idx * 16;
			u64 hi = readq(rec + 8), lo;
			struct lv_vtd_dev *d;
			u16 sid = hi & 0xffff;
			u8 reason = (hi >> 32) & 0xff;

			if (!(hi & FRCD_F))
				break;
			lo = readq(rec);
			writel(FRCD_F >> 32, rec + 12);	/* RW1C: frees the record */
			u->faults++;
			d = dev_of(u, sid);
			if (d)
				atomic64_inc(&d->vm->vtd->dma_faults);
			lv_warn("vtd: DMA %s fault: %04x:%02x:%02x.%d (%s) address 0x%llx: reason 0x%02x, %s\n",
				hi & BIT_ULL(62) ? "read" : "write",
				u->dmar->segment, sid >> 8, (sid >> 3) & 0x1f,
				sid & 7, d ? "assigned to a VM" : "not assigned",
				lo & PAGE_MASK, reason, reason_name(reason));
		}
	}
	if (fsts & FSTS_PFO) {
		lv_warn("vtd: unit at 0x%llx: fault log overflowed, faults were lost\n",
			u->dmar->base);
		writel(FSTS_PFO, u->regs + FSTS_REG);
	}
}

/**
 * lv_vtd_poll_faults() - read the primary fault log of every taken unit
 *
 * Each fault is counted for the VM whose device caused it and reported in
 * dmesg (rate-limited).  Called with lv_vtd_lock held.
 */
void lv_vtd_poll_faults(void)
{
	unsigned int i;

	for (i = 0; i < nr_units; i++)
		if (units[i].taken)
			poll_unit(&units[i]);
}

static void poll_fn(struct work_struct *work)
{
	mutex_lock(&lv_vtd_lock);
	lv_vtd_poll_faults();
	mutex_unlock(&lv_vtd_lock);
	schedule_delayed_work(&poll_work, HZ / 10);
}

/* ---- context entries --------------------------------------------------------- */

static u64 *context_table(struct lv_vtd_unit *u, u8 bus)
{
	u64 *ctx = u->ctx[bus];

	if (ctx)
		return ctx;
	ctx = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!ctx)
		return NULL;
	flush(ctx, PAGE_SIZE, u);
	u->ctx[bus] = ctx;
	WRITE_ONCE(u->root[bus * 2], __pa(ctx) | ROOT_P);
	flush(&u->root[bus * 2], 16, u);
	return ctx;
}

/**
 * lv_vtd_set_context() - point a device's context entry at a domain
 * @u: its unit, taken
 * @bus: the device's bus
 * @devfn: its device and function
 * @did: LV_VTD_DID_HOST (pass-through), LV_VTD_DID_BLOCK (an empty table:
 *	every DMA faults) or a VM's domain id
 * @pt: the VM's tables (for a VM's domain id)
 *
 * The entry is made not present, the context cache and the IOTLB are
 * invalidated, then the new entry is written and invalidated again, so the
 * device never uses a mix of both.  Called with lv_vtd_lock held.
 *
 * Return: 0, -ENOMEM, or -ETIMEDOUT if the unit did not complete an
 * invalidation.
 */
int lv_vtd_set_context(struct lv_vtd_unit *u, u8 bus, u8 devfn, u16 did,
		       const struct lv_slpt *pt)
{
	u64 *ctx = context_table(u, bus);
	u64 *e, lo, hi;
	int err;

	if (!ctx)
		return -ENOMEM;
	e = &ctx[devfn * 2];
	if (READ_ONCE(e[0]) & CTX_P) {
		WRITE_ONCE(e[0], 0);
		flush(e, 16, u);
		err = invalidate_context(u) ?: invalidate_iotlb(u, -1);
		if (err)
			return err;
	}
	hi = CTX_AW(lv_vtd_levels) | CTX_DID(did);
	if (did == LV_VTD_DID_HOST) {
		/* pass-through: AW names the largest width the unit walks */
		hi = CTX_AW(fls(CAP_SAGAW(u->cap) & 0xe) + 1) | CTX_DID(did);
		lo = CTX_TT_PT | CTX_P;
	} else if (did == LV_VTD_DID_BLOCK) {
		lo = __pa(empty_table) | CTX_P;
	} else {
		lo = __pa(pt->root) | CTX_P;
	}
	WRITE_ONCE(e[1], hi);
	WRITE_ONCE(e[0], lo);
	flush(e, 16, u);
	return invalidate_context(u) ?: invalidate_iotlb(u, -1);
}

/* ---- taking and giving back ----------------------------------------------------- */

static void free_tables(struct lv_vtd_unit *u)
{
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(u->ctx); b++) {
		free_page((unsigned long)u->ctx[b]);
		u->ctx[b] = NULL;
	}
	free_page((unsigned long)u->root);
	u->root = NULL;
}

/**
 * lv_vtd_unit_take() - turn translation on with our root table
 * @u: a usable unit; called with lv_vtd_lock held
 *
 * The host's devices behind the unit get pass-through entries first, so
 * their DMA never stops.  The registers found are kept for giving the unit
 * back.
 *
 * Return: 0 (also when already taken), -ENOMEM, -EIO.
 */
int lv_vtd_unit_take(struct lv_vtd_unit *u)
{
	struct pci_dev *pdev = NULL;
	int err;

	if (u->taken)
		return 0;
	u->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!u->root)
		return -ENOMEM;
	flush(u->root, PAGE_SIZE, u);
	u->found.gsts = readl(u->regs + GSTS_REG);
	u->found.rtaddr = readq(u->regs + RTADDR_REG);
	u->found.fectl = readl(u->regs + FECTL_REG);
	u->found.iqa = readq(u->regs + IQA_REG);
	u->found.iqt = readq(u->regs + IQT_REG);
	/* the fault interrupt stays masked: we poll the log */
	writel(FECTL_IM, u->regs + FECTL_REG);
	if (vtd_queued_invalidation && ECAP_QI(u->ecap) && qi_enable(u))
		pr_warn("labvisor: vtd: unit at 0x%llx: queued invalidation does not start: register-based\n",
			u->dmar->base);
	/* taken, so that lv_vtd_set_context() invalidates and a failure gives it back */
	u->taken = true;
	for_each_pci_dev(pdev) {
		if (lv_vtd_unit_of(pdev) != u)
			continue;
		err = lv_vtd_set_context(u, pdev->bus->number, pdev->devfn,
					 LV_VTD_DID_HOST, NULL);
		if (err) {
			pci_dev_put(pdev);
			goto fail;
		}
	}
	writeq(__pa(u->root), u->regs + RTADDR_REG);
	err = gcmd(u, GCMD_SRTP, 0, GSTS_RTPS, GSTS_RTPS);
	err = err ?: invalidate_context(u);
	err = err ?: invalidate_iotlb(u, -1);
	err = err ?: gcmd(u, GCMD_TE, 0, GSTS_TES, GSTS_TES);
	if (err)
		goto fail;
	pr_info("labvisor: vtd: unit at 0x%llx taken: translation on, host devices pass through, %s invalidation\n",
		u->dmar->base, u->iq ? "queued" : "register-based");
	if (!polling) {
		polling = true;
		schedule_delayed_work(&poll_work, HZ / 10);
	}
	return 0;
fail:
	/* translation off again before the tables go */
	if (readl(u->regs + GSTS_REG) & GSTS_TES)
		gcmd(u, 0, GCMD_TE, GSTS_TES, 0);
	u->taken = false;
	qi_disable(u);
	writel(u->found.fectl, u->regs + FECTL_REG);
	writeq(u->found.rtaddr, u->regs + RTADDR_REG);
	free_tables(u);
	return -EIO;
}

/*
 * Translation off, the root table address and fault event control as
 * found.  (GSTS.RTPS, once set by our SRTP, stays set: no command clears
 * it; it only says a root table address was latched.)
 */
static void unit_give_back(struct lv_vtd_unit *u)
{
	if (!u->taken)
		return;
	poll_unit(u);
	if (!(u->found.gsts & GSTS_TES))
		gcmd(u, 0, GCMD_TE, GSTS_TES, 0);
	writeq(u->found.rtaddr, u->regs + RTADDR_REG);
	if (u->found.gsts & GSTS_RTPS)
		gcmd(u, GCMD_SRTP, 0, GSTS_RTPS, GSTS_RTPS);
	invalidate_context(u);
	invalidate_iotlb(u, -1);
	qi_disable(u);
	writel(u->found.fectl, u->regs + FECTL_REG);
	u->taken = false;
	free_tables(u);
	pr_info("labvisor: vtd: unit at 0x%llx given back: translation %s, queued invalidation %s, root table address 0x%llx, fault interrupt %s, as found\n",
		u->dmar->base, readl(u->regs + GSTS_REG) & GSTS_TES ? "on" : "off",
		readl(u->regs + GSTS_REG) & GSTS_QIES ? "on" : "off",
		readq(u->regs + RTADDR_REG),
		readl(u->regs + FECTL_REG) & FECTL_IM ? "masked" : "unmasked");
}

/* ---- which unit translates a device ------------------------------------------------ */

/* the device a scope path ends at, or NULL (referenced) */
static struct pci_dev *scope_dev(u16 seg, const struct lv_dmar_scope *s)
{
	struct pci_dev *pdev = NULL;
	unsigned int bus = s->bus, i;

	for (i = 0; i < s->depth; i++) {
		pci_dev_put(pdev);
		pdev = pci_get_domain_bus_and_slot(seg, bus,
						   PCI_DEVFN(s->path[i][0], s->path[i][1]));
		if (!pdev)
			return NULL;
		if (i + 1 < s->depth) {
			if (!pdev->subordinate) {
				pci_dev_put(pdev);
				return NULL;
			}
			bus = pdev->subordinate->number;
		}
	}
	return pdev;
}

/* @pdev is the device of a scope entry, or below its bridge */
static bool in_scopes(struct pci_dev *pdev, u16 seg,
		      const struct lv_dmar_scope *scope, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct lv_dmar_scope *s = &scope[i];
		struct pci_dev *sdev, *p;
		bool hit = false;

		if (s->type != LV_DMAR_SCOPE_ENDPOINT &&
		    s->type != LV_DMAR_SCOPE_BRIDGE)
			continue;
		sdev = scope_dev(seg, s);
		if (!sdev)
			continue;
		for (p = pdev; p && !hit; p = pci_upstream_bridge(p))
			hit = p == sdev &&
			      (p == pdev || s->type == LV_DMAR_SCOPE_BRIDGE);
		pci_dev_put(sdev);
		if (hit)
			return true;
	}
	return false;
}

/**
 * lv_vtd_unit_of() - the unit that translates a device's DMA
 * @pdev: the device
 *
 * Return: the unit naming it (or a bridge above it) in its scope, else
 * the INCLUDE_ALL unit of its segment, else NULL.
 */
struct lv_vtd_unit *lv_vtd_unit_of(struct pci_dev *pdev)
{
	u16 seg = pci_domain_nr(pdev->bus);
	struct lv_vtd_unit *all = NULL;
	unsigned int i;

	for (i = 0; i < nr_units; i++) {
		const struct lv_dmar_unit *d = units[i].dmar;

		if (d->segment != seg)
			continue;
		if (d->flags & LV_DMAR_INCLUDE_ALL)
			all = all ?: &units[i];
		else if (in_scopes(pdev, seg, d->scope, d->nr_scopes))
			return &units[i];
	}
	return all;
}

/**
 * lv_vtd_in_rmrr() - whether firmware reserved memory for a device's DMA
 * @pdev: the device
 * @base: the first RMRR naming it: its first byte
 * @end: and its last
 *
 * Return: true if an RMRR names the device (or a bridge above it).
 */
bool lv_vtd_in_rmrr(struct pci_dev *pdev, u64 *base, u64 *end)
{
	u16 seg = pci_domain_nr(pdev->bus);
	unsigned int i;

	for (i = 0; dmar && i < dmar->nr_rmrrs; i++) {
		const struct lv_dmar_rmrr *r = &dmar->rmrr[i];

		if (r->segment == seg && in_scopes(pdev, seg, r->scope, r->nr_scopes)) {
			*base = r->base;
			*end = r->end;
			return true;
		}
	}
	return false;
}

/**
 * lv_vtd_available() - whether some unit can be taken (LV_CAP_VTD)
 *
 * Return: true if at least one unit is usable.
 */
bool lv_vtd_available(void)
{
	unsigned int i;

	for (i = 0; i < nr_units; i++)
		if (!units[i].unusable)
			return true;
	return false;
}

/* ---- load and unload ---------------------------------------------------------------- */

static int unit_probe(struct lv_vtd_unit *u, const struct lv_dmar_unit *d)
{
	size_t size = PAGE_SIZE;
	u32 gsts;

	u->dmar = d;
	u->regs = ioremap(d->base, size);
	if (!u->regs)
		return -ENOMEM;
	u->cap = readq(u->regs + CAP_REG);
	u->ecap = readq(u->regs + ECAP_REG);
	size = max3(size, (size_t)CAP_FRO(u->cap) + CAP_NFR(u->cap) * 16,
		    (size_t)ECAP_IRO(u->ecap) + 16);
	size = PAGE_ALIGN(size);
	if (size > PAGE_SIZE) {
		iounmap(u->regs);
		u->regs = ioremap(d->base, size);
		if (!u->regs)
			return -ENOMEM;
	}
	u->reg_size = size;
	u->ver = readl(u->regs + VER_REG);
	gsts = readl(u->regs + GSTS_REG);

	if (gsts & (GSTS_TES | GSTS_IRES | GSTS_QIES))
		u->unusable = LINUX_USES_IT;
	else if (!ECAP_PT(u->ecap))
		u->unusable = "it has no pass-through (ECAP.PT), which the host's own devices need";
	else if (!(CAP_SAGAW(u->cap) & (BIT(1) | BIT(2))))
		u->unusable = "it walks neither 3- nor 4-level second-level tables (CAP.SAGAW)";
	else if ((1u << (4 + 2 * CAP_ND(u->cap))) < LV_VTD_MAX_DID)
		u->unusable = "it has fewer than 256 domain ids";
	pr_info("labvisor: vtd: unit at 0x%llx (segment %u%s): version %u.%u, CAP 0x%llx, ECAP 0x%llx, GSTS 0x%x: %s%s\n",
		d->base, d->segment, d->flags & LV_DMAR_INCLUDE_ALL ? ", all devices" : "",
		(u->ver >> 4) & 0xf, u->ver & 0xf, u->cap, u->ecap, gsts,
		u->unusable ? "not usable: " : "usable", u->unusable ?: "");
	return 0;
}

/**
 * lv_vtd_init() - find the DMA remapping units
 *
 * Parses the ACPI DMAR table and reads each unit's registers; changes no
 * register.  A machine without a DMAR table, or with a malformed one, loads
 * the module without VT-d.
 *
 * Return: 0, or -ENOMEM.
 */
int lv_vtd_init(void)
{
	struct acpi_table_header *hdr;
	bool all4 = true, all3 = true;
	unsigned int i;
	acpi_status st;
	int err;

	INIT_DELAYED_WORK(&poll_work, poll_fn);
	st = acpi_get_table(ACPI_SIG_DMAR, 0, &hdr);
	if (ACPI_FAILURE(st)) {
		pr_info("labvisor: vtd: no DMAR table: no device assignment\n");
		return 0;
	}
	dmar = kzalloc(sizeof(*dmar), GFP_KERNEL);
	if (!dmar) {
		acpi_put_table(hdr);
		return -ENOMEM;
	}
	err = lv_dmar_parse(hdr, hdr->length, dmar);
	acpi_put_table(hdr);
	if (err) {
		pr_warn("labvisor: vtd: DMAR table rejected (%s at byte %zu): no device assignment\n",
			dmar->why, dmar->where);
		kfree(dmar);
		dmar = NULL;
		return 0;
	}
	empty_table = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!empty_table) {
		kfree(dmar);
		dmar = NULL;
		return -ENOMEM;
	}
	clflush_cache_range(empty_table, PAGE_SIZE);
	for (i = 0; i < dmar->nr_units; i++) {
		err = unit_probe(&units[i], &dmar->unit[i]);
		if (err) {
			units[i].unusable = "its registers cannot be mapped";
			pr_warn("labvisor: vtd: unit at 0x%llx: registers cannot be mapped\n",
				dmar->unit[i].base);
		}
		nr_units++;
	}
	/* one table format for every unit: 4 levels if all walk them, else 3 */
	for (i = 0; i < nr_units; i++) {
		if (units[i].unusable)
			continue;
		all4 &= !!(CAP_SAGAW(units[i].cap) & BIT(2));
		all3 &= !!(CAP_SAGAW(units[i].cap) & BIT(1));
	}
	lv_vtd_levels = all4 ? 4 : 3;
	for (i = 0; i < nr_units; i++)
		if (!units[i].unusable && !all4 && !all3)
			units[i].unusable = "the units share no second-level table format";
	if (lv_vtd_available())
		pr_info("labvisor: vtd: DMAR: host address width %u, %u unit(s), %u RMRR(s); %u-level tables\n",
			dmar->haw, dmar->nr_units, dmar->nr_rmrrs, lv_vtd_levels);
	else
		pr_info("labvisor: vtd: DMAR: host address width %u, %u unit(s), %u RMRR(s); no unit usable: no device assignment\n",
			dmar->haw, dmar->nr_units, dmar->nr_rmrrs);
	return 0;
}

/**
 * lv_vtd_exit() - give every taken unit back as it was found
 *
 * No VM exists any more (each VM fd holds a module reference).
 */
void lv_vtd_exit(void)
{
	unsigned int i;

	if (polling)
		cancel_delayed_work_sync(&poll_work);
	mutex_lock(&lv_vtd_lock);
	for (i = 0; i < nr_units; i++) {
		unit_give_back(&units[i]);
		if (units[i].regs)
			iounmap(units[i].regs);
	}
	memset(units, 0, sizeof(units));
	nr_units = 0;
	mutex_unlock(&lv_vtd_lock);
	free_page((unsigned long)empty_table);
	empty_table = NULL;
	kfree(dmar);
	dmar = NULL;
}

/**
 * lv_vtd_bdf() - "ssss:bb:dd.f" of a device, for messages
 * @pdev: the device
 * @buf: where to write it
 * @len: size of @buf
 *
 * Return: @buf.
 */
const char *lv_vtd_bdf(struct pci_dev *pdev, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%02x:%02x.%d", pci_domain_nr(pdev->bus),
		 pdev->bus->number, PCI_SLOT(pdev->devfn), PCI_FUNC(pdev->devfn));
	return buf;
}
