// SPDX-License-Identifier: GPL-2.0
/*
 * VMX root operation on every online CPU.
 *
 * At load: check CPUID for VMX, IA32_FEATURE_CONTROL, read the capability
 * MSRs once and derive every control word.  Then VMXON on each online CPU
 * through a CPU hotplug state, so a CPU coming online enters VMX root and a
 * CPU going offline VMCLEARs what it holds and leaves.  Unload: VMXOFF
 * everywhere (the module cannot unload while a VM exists: each VM and vCPU
 * fd holds a module reference).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "../core/lv.h"
#include "controls.h"
#include "vmx.h"

struct lv_vmx_caps lv_vmx;

static DEFINE_PER_CPU(void *, vmxon_region);
static DEFINE_PER_CPU(struct list_head, loaded_vcpus);
static struct cpumask vmx_cpus;
static DEFINE_SPINLOCK(vmx_cpus_lock);
static enum cpuhp_state cpuhp_state;

static DEFINE_SPINLOCK(vpid_lock);
static unsigned long *vpid_bitmap;
#define LV_NR_VPIDS	BIT(16)

static bool enable_vpid = true;
module_param(enable_vpid, bool, 0444);
MODULE_PARM_DESC(enable_vpid, "Tag guest TLB entries with a VPID (default on)");

static unsigned int backstop_us = 4000;
module_param(backstop_us, uint, 0444);
MODULE_PARM_DESC(backstop_us, "Longest a guest runs without an exit, in microseconds (VMX-preemption timer; 0: off)");

static bool enable_ept_2m = true;
module_param(enable_ept_2m, bool, 0444);
MODULE_PARM_DESC(enable_ept_2m, "Map guest memory with 2 MiB EPT pages where possible");

void lv_vmread_error(unsigned long field)
{
	pr_err_ratelimited("labvisor: VMREAD of field 0x%lx failed\n", field);
}

void lv_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("labvisor: VMWRITE of 0x%lx to field 0x%lx failed, error %u\n",
			   value, field, (u32)lv_vmread(VM_INSTRUCTION_ERROR));
}

/* ---- capabilities ------------------------------------------------------ */

static int adjust(u32 msr, u32 true_msr, u32 required, u32 optional, u32 *out,
		  const char *what)
{
	u64 cap;
	int err;

	rdmsrl(lv_vmx.basic & VMX_BASIC_TRUE_CTLS ? true_msr : msr, cap);
	err = lv_adjust_controls(cap, required, optional, out);
	if (err)
		pr_err("labvisor: the CPU lacks required %s controls (want 0x%x, allowed 0x%x)\n",
		       what, required, (u32)(cap >> 32));
	return err;
}

static int lv_vmx_probe(void)
{
	u32 pin_req = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING;
	u32 proc_req = CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
		       CPU_BASED_RDPMC_EXITING | CPU_BASED_UNCOND_IO_EXITING |
		       CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_MONITOR_EXITING |
		       CPU_BASED_MOV_DR_EXITING | CPU_BASED_CR8_LOAD_EXITING |
		       CPU_BASED_CR8_STORE_EXITING | CPU_BASED_USE_TSC_OFFSETTING;
	u32 proc_opt = CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	u32 proc2_opt = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
			SECONDARY_EXEC_UNRESTRICTED_GUEST;
	u32 exit_req = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_DEBUG_CONTROLS;
	u32 exit_efer_pat = VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			    VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT;
	u32 entry_req = VM_ENTRY_LOAD_DEBUG_CONTROLS;
	u32 entry_efer_pat = VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT;
	u64 cap;
	int err;

	rdmsrl(MSR_IA32_VMX_BASIC, lv_vmx.basic);
	rdmsrl(MSR_IA32_VMX_MISC, lv_vmx.misc);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, lv_vmx.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, lv_vmx.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, lv_vmx.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, lv_vmx.cr4_fixed1);
	lv_vmx.revision = lv_vmx.basic & 0x7fffffff;
	lv_vmx.vmcs_size = (lv_vmx.basic >> 32) & 0x1fff;
	lv_vmx.has_ins_outs_info = lv_vmx.basic & VMX_BASIC_INOUT;
	if (lv_vmx.vmcs_size > PAGE_SIZE || ((lv_vmx.basic >> 50) & 0xf) != 6) {
		pr_err("labvisor: unsupported VMCS (size %u, memory type %llu)\n",
		       lv_vmx.vmcs_size, (lv_vmx.basic >> 50) & 0xf);
		return -EOPNOTSUPP;
	}

	err = adjust(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS,
		     pin_req, PIN_BASED_VIRTUAL_NMIS | PIN_BASED_VMX_PREEMPTION_TIMER,
		     &lv_vmx.pin, "pin-based");
	err = err ?: adjust(MSR_IA32_VMX_PROCBASED_CTLS,
			    MSR_IA32_VMX_TRUE_PROCBASED_CTLS, proc_req, proc_opt,
			    &lv_vmx.proc, "processor-based");
	err = err ?: adjust(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
			    exit_req, exit_efer_pat, &lv_vmx.exit, "VM-exit");
	err = err ?: adjust(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS,
			    entry_req, entry_efer_pat, &lv_vmx.entry, "VM-entry");
	if (err)
		return err;
	/* VMs need them (guest EFER and PAT live in the VMCS); loading does not */
	lv_vmx.has_efer_pat = (lv_vmx.exit & exit_efer_pat) == exit_efer_pat &&
			      (lv_vmx.entry & entry_efer_pat) == entry_efer_pat;
	/* set per guest, never by default */
	lv_vmx.entry &= ~VM_ENTRY_IA32E_MODE;
	/*
	 * The backstop: however the guest sets EFLAGS.IF, it exits at least
	 * every backstop_us.  Real CPUs exit on every host interrupt anyway;
	 * emulators have been seen to mask them while guest IF is 0.
	 */
	if ((lv_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER) && backstop_us && tsc_khz) {
		u64 ticks = (u64)tsc_khz * backstop_us / 1000;

		lv_vmx.preemption_timer = min_t(u64, ticks >> (lv_vmx.misc & 0x1f),
						U32_MAX);
	} else {
		lv_vmx.pin &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
	}
	/* EPT lets the guest own CR3 */
	lv_vmx.proc &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
			 CPU_BASED_INVLPG_EXITING);

	if (lv_vmx.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) {
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, cap);
		err = lv_adjust_controls(cap, 0, proc2_opt, &lv_vmx.proc2);
		if (err)
			return err;
		if (lv_vmx.proc2 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
			rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, lv_vmx.ept_vpid);
	}

	lv_vmx.has_ept = (lv_vmx.proc2 & SECONDARY_EXEC_ENABLE_EPT) &&
			 (lv_vmx.ept_vpid & VMX_EPT_PAGE_WALK_4_BIT) &&
			 (lv_vmx.ept_vpid & VMX_EPTP_WB_BIT) &&
			 (lv_vmx.ept_vpid & VMX_EPT_INVEPT_BIT) &&
			 (lv_vmx.ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
					     VMX_EPT_EXTENT_GLOBAL_BIT));
	lv_vmx.has_ept_2m = lv_vmx.has_ept && enable_ept_2m &&
			    (lv_vmx.ept_vpid & VMX_EPT_2MB_PAGE_BIT);
	lv_vmx.has_ug = lv_vmx.has_ept &&
			(lv_vmx.proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	lv_vmx.has_vpid = enable_vpid &&
			  (lv_vmx.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
			  /* <asm/vmx.h> numbers the VPID bits from bit 32 */
			  ((lv_vmx.ept_vpid >> 32) & VMX_VPID_INVVPID_BIT) &&
			  ((lv_vmx.ept_vpid >> 32) &
			   (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			    VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT));
	if (!lv_vmx.has_ept)
		lv_vmx.proc2 &= ~(SECONDARY_EXEC_ENABLE_EPT |
				  SECONDARY_EXEC_UNRESTRICTED_GUEST);
	if (!lv_vmx.has_ug)
		lv_vmx.proc2 &= ~SECONDARY_EXEC_UNRESTRICTED_GUEST;
	if (!lv_vmx.has_vpid)
		lv_vmx.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	if (!lv_vmx.proc2)
		lv_vmx.proc &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;

	pr_info("labvisor: controls: pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x\n",
		lv_vmx.pin, lv_vmx.proc, lv_vmx.proc2, lv_vmx.exit, lv_vmx.entry);
	pr_info("labvisor: VMCS revision 0x%x, EPT %s%s, VPID %s, unrestricted guest %s, EFER/PAT controls %s\n",
		lv_vmx.revision, lv_vmx.has_ept ? "yes" : "no",
		lv_vmx.has_ept_2m ? " (2 MiB pages)" : "",
		lv_vmx.has_vpid ? "yes" : "no", lv_vmx.has_ug ? "yes" : "no",
		lv_vmx.has_efer_pat ? "yes" : "no");
	return 0;
}

/* ---- per-CPU VMX root --------------------------------------------------- */

static void vmclear_loaded(void)
{
	struct list_head *list = this_cpu_ptr(&loaded_vcpus);
	struct lv_vcpu *vcpu, *tmp;

	list_for_each_entry_safe(vcpu, tmp, list, loaded_list)
		lv_vmcs_clear_local(vcpu);
}

static int lv_cpu_online(unsigned int cpu)
{
	void *region = per_cpu(vmxon_region, cpu);
	u64 pa = __pa(region);
	unsigned long flags;
	bool fail;

	local_irq_save(flags);
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		local_irq_restore(flags);
		pr_err("labvisor: VMX is in use by another hypervisor on CPU %u (is kvm_intel running a VM?)\n",
		       cpu);
		return -EBUSY;
	}
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	asm volatile("vmxon %[pa]" : "=@ccna" (fail) : [pa] "m" (pa) : "memory");
	if (fail) {
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
		local_irq_restore(flags);
		pr_err("labvisor: VMXON failed on CPU %u\n", cpu);
		return -EIO;
	}
	/* stale translations of an earlier VMX user must not survive */
	if (lv_vmx.has_ept)
		lv_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (lv_vmx.has_vpid)
		lv_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	local_irq_restore(flags);

	spin_lock(&vmx_cpus_lock);
	cpumask_set_cpu(cpu, &vmx_cpus);
	spin_unlock(&vmx_cpus_lock);
	pr_info("labvisor: CPU %u in VMX root operation\n", cpu);
	return 0;
}

static int lv_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	vmclear_loaded();
	asm volatile("vmxoff" : : : "cc", "memory");
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	local_irq_restore(flags);

	spin_lock(&vmx_cpus_lock);
	cpumask_clear_cpu(cpu, &vmx_cpus);
	spin_unlock(&vmx_cpus_lock);
	pr_info("labvisor: CPU %u left VMX operation\n", cpu);
	return 0;
}

/**
 * lv_vmx_cpus() - the CPUs in VMX root operation now
 *
 * Return: a mask owned by this file; read it under cpus_read_lock() or
 * accept a snapshot.
 */
const struct cpumask *lv_vmx_cpus(void)
{
	return &vmx_cpus;
}

/**
 * lv_vmx_track_vcpu() - note that a vCPU's VMCS is loaded on this CPU
 * @vcpu: the vCPU; interrupts are off
 */
void lv_vmx_track_vcpu(struct lv_vcpu *vcpu)
{
	list_add(&vcpu->loaded_list, this_cpu_ptr(&loaded_vcpus));
}

/**
 * lv_vmx_untrack_vcpu() - the vCPU's VMCS was cleared from this CPU
 * @vcpu: the vCPU; interrupts are off
 */
void lv_vmx_untrack_vcpu(struct lv_vcpu *vcpu)
{
	list_del_init(&vcpu->loaded_list);
}

static void invept_local(void *unused)
{
	lv_invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/**
 * lv_vmx_invept_all() - drop cached EPT translations on every CPU
 *
 * Called after EPT entries were removed; waits until every CPU has done it.
 */
void lv_vmx_invept_all(void)
{
	if (!lv_have_vmx)
		return;
	on_each_cpu(invept_local, NULL, 1);
}

/* ---- VPIDs ------------------------------------------------------------ */

/**
 * lv_vmx_vpid_alloc() - a VPID for a new vCPU
 *
 * Return: 1..65535, or 0 when VPIDs are off or all taken (the vCPU then
 * runs without one and its TLB entries are flushed on each entry).
 */
int lv_vmx_vpid_alloc(void)
{
	unsigned long vpid;

	if (!lv_vmx.has_vpid)
		return 0;
	spin_lock(&vpid_lock);
	vpid = find_next_zero_bit(vpid_bitmap, LV_NR_VPIDS, 1);
	if (vpid < LV_NR_VPIDS)
		__set_bit(vpid, vpid_bitmap);
	else
		vpid = 0;
	spin_unlock(&vpid_lock);
	return vpid;
}

/**
 * lv_vmx_vpid_free() - give a VPID back
 * @vpid: from lv_vmx_vpid_alloc(); 0 is ignored
 */
void lv_vmx_vpid_free(int vpid)
{
	if (!vpid)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(vpid, vpid_bitmap);
	spin_unlock(&vpid_lock);
}

/* ---- load and unload ------------------------------------------------------ */

static void vmxoff_local(void *unused)
{
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		asm volatile("vmxoff" : : : "cc", "memory");
		cr4_clear_bits(X86_CR4_VMXE);
	}
}

static int lv_reboot(struct notifier_block *nb, unsigned long code, void *unused)
{
	/* a CPU left in VMX operation would hang INIT on the way down */
	on_each_cpu(vmxoff_local, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block lv_reboot_nb = {
	.notifier_call = lv_reboot,
};

static int check_feature_control(void)
{
	u64 fc;

	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (fc & FEAT_CTL_LOCKED) {
		if (!(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
			pr_err("labvisor: VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked)\n");
			return -EOPNOTSUPP;
		}
		return 0;
	}
	/* unlocked: enable VMX outside SMX and lock, as firmware should have */
	wrmsrl(MSR_IA32_FEAT_CTL,
	       fc | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX | FEAT_CTL_LOCKED);
	return 0;
}

static void free_regions(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

/**
 * lv_vmx_init() - take VMX root operation on every online CPU
 *
 * Return: 0; -ENODEV without VMX; -EOPNOTSUPP if VMX is unusable; -EBUSY
 * if another hypervisor holds VMX; -ENOMEM.
 */
int lv_vmx_init(void)
{
	unsigned int cpu;
	int err;

	if (!(cpuid_ecx(1) & BIT(5))) {	/* CPUID.1:ECX.VMX */
		pr_err("labvisor: this CPU has no VMX\n");
		return -ENODEV;
	}
	err = check_feature_control();
	if (err)
		return err;
	err = lv_vmx_probe();
	if (err)
		return err;

	vpid_bitmap = bitmap_zalloc(LV_NR_VPIDS, GFP_KERNEL);
	if (!vpid_bitmap)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		u32 *region = (u32 *)get_zeroed_page(GFP_KERNEL);

		if (!region) {
			err = -ENOMEM;
			goto fail;
		}
		*region = lv_vmx.revision;
		per_cpu(vmxon_region, cpu) = region;
		INIT_LIST_HEAD(&per_cpu(loaded_vcpus, cpu));
	}

	err = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "labvisor:online",
				lv_cpu_online, lv_cpu_offline);
	if (err < 0)
		goto fail;
	cpuhp_state = err;
	register_reboot_notifier(&lv_reboot_nb);
	return 0;

fail:
	free_regions();
	bitmap_free(vpid_bitmap);
	return err;
}

/**
 * lv_vmx_exit() - VMXOFF on every CPU and free the VMXON regions
 */
void lv_vmx_exit(void)
{
	unregister_reboot_notifier(&lv_reboot_nb);
	cpuhp_remove_state(cpuhp_state);
	free_regions();
	bitmap_free(vpid_bitmap);
}
