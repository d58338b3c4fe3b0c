# VT-d device assignment, run inside the QEMU lab (no VMX):
#   tests/lab/run --engine qemu-tcg --vtd free  -- sh /lab/suite/vtd.sh free
#   tests/lab/run --engine qemu-tcg --vtd linux -- sh /lab/suite/vtd.sh linux
#   free   the lab kernel leaves the VT-d unit alone (intel_iommu=off
#          intremap=off): the module loads without VMX, VMs without vCPUs,
#          edu assigned and its DMA confined (tests/uapi/lv-vtd-test.c)
#          with queued invalidation, edu's MSI and INTx routed to an
#          eventfd (LV_SET_DEVICE_IRQ), the unit given back at rmmod; then
#          the module again with vtd_queued_invalidation=0: the same DMA
#          tests with register-based invalidation
#   linux  the lab kernel uses the unit (intel_iommu=on): assignment is
#          refused with EACCES and one message
# Every test also fails if dmesg got Oops/BUG/WARNING/general protection
# lines while it ran.
. /lab/suite/lib.sh
mode=${1:-free}

# lv-vtd-test SUBCOMMAND, its TEST lines passed on; a crash or a missing
# binary is a FAIL of NAME
vtd_run() {
	local name=$1 sub=$2
	shift 2
	t_dmesg_mark
	if ! command -v lv-vtd-test >/dev/null; then
		t_fail "$name" "lv-vtd-test missing (tests/uapi not built)"
		return
	fi
	t_exec lv-vtd-test "$sub" "$@"
	echo "$T_OUT"
	echo "$T_OUT" | grep -q '^TEST ' || t_fail "$name" "lv-vtd-test $sub printed no result (status $T_ST)"
	case $T_ST in 0|1) ;; *) t_fail "$name" "lv-vtd-test $sub exited $T_ST";; esac
	bad=$(t_dmesg_bad | head -n 3)
	[ -z "$bad" ] || t_fail "$name-dmesg" "$bad"
}

t_begin vtd-module-load
if ! mod_loaded labvisor; then
	t_bad "labvisor not loaded (insmod status $(cat /run/labvisor-insmod 2>/dev/null))"
elif grep -q '^flags.* vmx' /proc/cpuinfo; then
	t_bad "this lab has VMX: the part is about a machine without it"
fi
t_end

# rmmod gives the unit back: translation and queued invalidation off
vtd_rmmod() {
	t_begin "$1"
	t_exec rmmod labvisor
	[ "$T_ST" = 0 ] || t_bad "rmmod: status $T_ST: $T_OUT"
	t_dmesg_new | grep -q 'vtd: unit at 0x[0-9a-f]* given back: translation off, queued invalidation off, root table address 0x0, fault interrupt masked, as found' ||
		t_bad "no dmesg line saying the unit was given back as found"
	t_end
}

case $mode in
free)
	t_begin vtd-novmx-dmesg
	dmesg | grep -q 'labvisor: no VMX' || t_bad "no 'labvisor: no VMX' line in dmesg"
	dmesg | grep -q 'labvisor: vtd: unit at .*: usable' || t_bad "no usable VT-d unit in dmesg"
	t_end
	vtd_run vtd-novmx novmx
	t_begin vtd-novmx-vcpu-message
	dmesg | grep -q 'LV_CREATE_VCPU: this CPU has no VMX' || t_bad "no dmesg line for the refused LV_CREATE_VCPU"
	t_end
	vtd_run vtd-dma dma
	t_begin vtd-fault-dmesg
	dmesg | grep -q 'labvisor: vtd: DMA write fault: .*assigned to a VM' ||
		t_bad "no dmesg line for the DMA fault of the assigned device"
	dmesg | grep -q 'vtd: unit at .* taken: .*, queued invalidation' ||
		t_bad "the unit was not taken with queued invalidation"
	t_end
	# edu's MSI and INTx to an eventfd (LV_SET_DEVICE_IRQ); a device
	# without either refused
	vtd_run vtd-irq irq
	vtd_run vtd-irq-nomsi irq-nomsi
	t_begin vtd-irq-dmesg
	dmesg | grep -q 'LV_SET_DEVICE_IRQ: .* has no MSI capability' ||
		t_bad "no dmesg line for the refused MSI routing"
	t_end
	vtd_rmmod vtd-rmmod
	mod_loaded labvisor || vtd_run vtd-unloaded unloaded
	# again, with register-based invalidation
	t_begin vtd-insmod-register-based
	t_exec insmod /lab/labvisor.ko vtd_queued_invalidation=0
	[ "$T_ST" = 0 ] || t_bad "insmod: status $T_ST: $T_OUT"
	t_end
	vtd_run vtd-regs-dma dma regs
	t_begin vtd-regs-taken
	dmesg | grep -q 'vtd: unit at .* taken: .*, register-based invalidation' ||
		t_bad "the unit was not taken with register-based invalidation"
	t_end
	vtd_rmmod vtd-regs-rmmod
	;;
linux)
	t_begin vtd-linux-unit-refused-dmesg
	dmesg | grep -q 'labvisor: vtd: unit at .*not usable: Linux uses it' ||
		t_bad "no dmesg line saying Linux uses the unit"
	t_end
	vtd_run vtd-linux linux
	t_begin vtd-linux-message
	dmesg | grep -q 'LV_ASSIGN_DEVICE: .* is not labvisor.s' ||
		t_bad "no dmesg line for the refused assignment"
	t_end
	;;
*)
	t_fail vtd-mode "unknown mode $mode"
	;;
esac
[ ! -s "$T_FAILFILE" ]
