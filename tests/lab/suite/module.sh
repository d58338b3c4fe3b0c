# labvisor.ko tests, run inside the lab:  sh /lab/suite/module.sh [PART]
#   basic (default)  load, VMX on every CPU, vmx_cpus, rmmod refused while a
#                    VM exists, reload
#   smp              load, VMX on every CPU, CPU hotplug, a VM on CPU 1
#                    (needs a lab with 2 CPUs)
#   noept            load on a CPU without EPT; creating an EPT VM must fail
#                    (lvctl --mmu ept exits 2 and says why; real mode runs
#                    on the shadow MMU: suite/shadow.sh noept runs the rest)
#   conflict         with kvm_intel running a VM, insmod labvisor.ko must
#                    fail with EBUSY; after that VM, it loads
# Every test also fails if dmesg got Oops/BUG/WARNING/general protection
# lines while it ran.
. /lab/suite/lib.sh
KO=/lab/labvisor.ko
SYSFS=/sys/class/misc/labvisor/vmx_cpus

# the module is in: loaded at boot by the lab (/run/labvisor-insmod holds
# insmod's status), or here when the lab was booted with --no-labvisor
test_load() {
	t_begin "${1:-module-load}"
	if [ ! -f "$KO" ]; then
		t_bad "$KO missing (labvisor.ko was not built)"
	elif mod_loaded labvisor; then
		:
	elif [ -f /run/labvisor-insmod ]; then
		t_bad "insmod at boot failed (status $(cat /run/labvisor-insmod))"
	else
		t_exec insmod "$KO"
		[ "$T_ST" = 0 ] || t_bad "insmod $KO: status $T_ST: $T_OUT"
	fi
	[ -n "$T_WHY" ] || mod_loaded labvisor || t_bad "labvisor not in /proc/modules"
	t_end
}

need_module() {
	mod_loaded labvisor && return 0
	t_fail "$1" "labvisor is not loaded"
	return 1
}

# dmesg names every online CPU as in VMX operation: either one line per CPU
# ("labvisor: ... VMX ... cpu N", cpuN / CPU#N / CPU N, in either order) or a
# line with "vmx" and the whole online list ("... VMX on cpus 0-1")
test_vmx_dmesg() {
	local name=${1:-module-vmx-dmesg} online cpus c missing=
	need_module "$name" || return
	t_begin "$name"
	online=$(cat /sys/devices/system/cpu/online)
	cpus=$(cpu_list_expand "$online")
	dm=$(dmesg | grep -i 'labvisor')
	for c in $cpus; do
		echo "$dm" | grep -iqE "vmx.*cpu *#?$c([^0-9]|\$)|cpu *#?$c([^0-9]|\$).*vmx" ||
			missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		echo "$dm" | grep -i vmx | grep -qE "(^|[^0-9,-])$online([^0-9,-]|\$)" || {
			echo "$dm" | tail -n 20 | sed 's/^/  dmesg: /'
			t_bad "no labvisor dmesg line says VMX is on for cpu(s)$missing (online: $online)"
		}
	fi
	t_end
}

# vmx_cpus equals the online list; $2: the list expected ("" = online)
test_vmx_cpus() {
	local name=$1 want=${2:-} got
	need_module "$name" || return
	t_begin "$name"
	[ -n "$want" ] || want=$(cat /sys/devices/system/cpu/online)
	if [ ! -r "$SYSFS" ]; then
		t_bad "$SYSFS missing"
	else
		got=$(cat "$SYSFS")
		[ "$got" = "$want" ] || t_bad "$SYSFS is '$got', expected '$want'"
	fi
	t_end
}

guest_ok() {
	[ -f "$LV_GUEST_SPIN" ] && return 0
	t_fail "$1" "$LV_GUEST_SPIN missing (tests/guests/build/spin.bin not built)"
	return 1
}

test_rmmod_busy() {
	need_module module-rmmod-busy || return
	guest_ok module-rmmod-busy || return
	t_begin module-rmmod-busy
	lv_spin_bg labvisor
	if ! lv_wait_vm "$LV_PID"; then
		t_bad "lvctl run of spin.bin did not keep a VM running: $(tail -n 3 "$LV_LOG")"
	else
		t_exec rmmod labvisor
		if [ "$T_ST" = 0 ]; then
			t_bad "rmmod labvisor succeeded while a VM was running"
		elif ! mod_loaded labvisor; then
			t_bad "rmmod failed (status $T_ST) but labvisor is gone"
		fi
		echo "  rmmod while the VM runs: status $T_ST: $T_OUT"
	fi
	lv_stop "$LV_PID"
	echo "  lvctl after SIGINT: status $LV_ST"
	sed 's/^/  | /' "$LV_LOG" | tail -n 8
	t_end

	# the VM was running the guest, so SIGINT stops it with status 8
	if [ "$LV_ST" = 8 ]; then
		t_pass lvctl-sigint-status
	else
		t_fail lvctl-sigint-status "lvctl exited $LV_ST after SIGINT, expected 8"
	fi

	t_begin module-rmmod-idle
	t_exec rmmod labvisor
	[ "$T_ST" = 0 ] || t_bad "rmmod labvisor after the VM ended: status $T_ST: $T_OUT"
	! mod_loaded labvisor || t_bad "labvisor still in /proc/modules after rmmod"
	t_end

	t_begin module-reload
	if ! mod_loaded labvisor; then
		t_exec insmod "$KO"
		[ "$T_ST" = 0 ] || t_bad "insmod after rmmod: status $T_ST: $T_OUT"
	fi
	mod_loaded labvisor || t_bad "labvisor not loaded after insmod"
	t_end
	test_vmx_cpus module-reload-vmx-cpus
}

test_hotplug() {
	local cpu1=/sys/devices/system/cpu/cpu1/online
	need_module smp-hotplug-off || return
	t_begin smp-hotplug-off
	if [ ! -w "$cpu1" ]; then
		t_bad "$cpu1 missing: the lab needs --cpus 2"
	else
		echo 0 > "$cpu1" || t_bad "echo 0 > $cpu1 failed"
		sleep 1
		[ "$(cat /sys/devices/system/cpu/online)" = 0 ] || t_bad "cpu1 still online"
		[ "$(cat "$SYSFS" 2>/dev/null)" = 0 ] ||
			t_bad "vmx_cpus is '$(cat "$SYSFS" 2>/dev/null)' with cpu1 offline, expected '0'"
	fi
	t_end
	t_begin smp-hotplug-on
	if [ ! -w "$cpu1" ]; then
		t_bad "$cpu1 missing"
	else
		echo 1 > "$cpu1" || t_bad "echo 1 > $cpu1 failed"
		sleep 1
		[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || t_bad "cpu1 not back online"
		[ "$(cat "$SYSFS" 2>/dev/null)" = 0-1 ] ||
			t_bad "vmx_cpus is '$(cat "$SYSFS" 2>/dev/null)' after cpu1 came back, expected '0-1'"
	fi
	t_end
}

test_run_on_cpu1() {
	need_module smp-vm-on-cpu1 || return
	guest_ok smp-vm-on-cpu1 || return
	t_begin smp-vm-on-cpu1
	lv_spin_bg labvisor 1
	lv_wait_vm "$LV_PID" || t_bad "lvctl run of spin.bin on cpu 1 did not keep a VM running"
	lv_stop "$LV_PID"
	sed 's/^/  | /' "$LV_LOG" | tail -n 8
	grep -q 'lvctl: vcpu0 last ran on cpu 1$' "$LV_LOG" ||
		t_bad "no 'lvctl: vcpu0 last ran on cpu 1' (status $LV_ST): $(grep 'last ran' "$LV_LOG")"
	t_end
}

test_noept() {
	need_module noept-vm-fails || return
	guest_ok noept-vm-fails || return
	t_begin noept-vm-fails
	grep -qw ept /proc/cpuinfo && t_bad "this CPU has EPT: boot the lab with --cpu core2_penryn_t9600"
	# an EPT VM: refused (real mode itself runs here, on the shadow MMU in
	# virtual-8086 mode: shadow.sh noept's real-hello)
	t_exec timeout 30 lvctl run --mmu ept --mode real "$LV_GUEST_SPIN"
	echo "$T_OUT" | tail -n 5 | sed 's/^/  | /'
	if [ "$T_ST" != 2 ]; then
		t_bad "lvctl run --mmu ept exited $T_ST, expected 2 (no EPT VM without EPT)"
	elif ! echo "$T_OUT" | grep -q '^lvctl: '; then
		t_bad "no 'lvctl: ' message explaining the failure"
	elif ! echo "$T_OUT" | grep -iqE 'ept|create'; then
		t_bad "the message does not say that creating the VM failed / EPT is missing: $T_OUT"
	fi
	t_end
	# the ioctl itself: EOPNOTSUPP, and dmesg says why
	t_begin noept-create-vm-ioctl
	if ! command -v lv-ioctl-test >/dev/null 2>&1; then
		t_bad "lv-ioctl-test is not on PATH (tests/uapi/build)"
	else
		t_exec lv-ioctl-test --no-ept
		echo "$T_OUT" | sed 's/^/  | /'
		[ "$T_ST" = 0 ] || t_bad "lv-ioctl-test --no-ept: $(echo "$T_OUT" | grep FAIL)"
		t_dmesg_new | grep -q 'labvisor: LV_CREATE_VM: this CPU lacks EPT' ||
			t_bad "no dmesg line saying that the CPU lacks EPT"
	fi
	t_end
}

test_conflict() {
	local name=conflict-insmod-busy why=
	[ -f "$LV_GUEST_SPIN" ] || why="$LV_GUEST_SPIN missing (tests/guests/build/spin.bin not built)"
	[ -f "$KO" ] || why="$KO missing (labvisor.ko was not built)"
	if [ -z "$why" ] && mod_loaded labvisor; then rmmod labvisor || why="cannot rmmod labvisor first"; fi
	[ -n "$why" ] || mod_loaded kvm_intel || modprobe kvm_intel || why="modprobe kvm_intel failed"
	if [ -n "$why" ]; then
		t_fail $name "$why"
		t_fail conflict-insmod-after "$why"
		return
	fi
	t_begin $name
	lv_spin_bg kvm
	if ! lv_wait_vm "$LV_PID"; then
		t_bad "lvctl --accel kvm did not keep a VM running: $(tail -n 3 "$LV_LOG")"
	else
		t_exec insmod "$KO"
		echo "  insmod with a kvm VM running: status $T_ST: $T_OUT"
		t_dmesg_new | grep -i labvisor | sed 's/^/  dmesg: /'
		if [ "$T_ST" = 0 ]; then
			t_bad "insmod succeeded while kvm_intel had VMX on"
			rmmod labvisor
		elif ! echo "$T_OUT" | grep -qi 'resource busy'; then
			t_bad "insmod failed, but not with EBUSY: $T_OUT"
		elif ! t_dmesg_new | grep -i labvisor | grep -iqE 'kvm|hypervisor|vmm'; then
			t_bad "no labvisor dmesg line naming the other hypervisor"
		fi
	fi
	lv_stop "$LV_PID"
	sed 's/^/  | /' "$LV_LOG" | tail -n 5
	t_end
	t_begin conflict-insmod-after
	t_exec insmod "$KO"
	[ "$T_ST" = 0 ] || t_bad "insmod after the kvm VM ended: status $T_ST: $T_OUT"
	if mod_loaded labvisor; then
		t_exec rmmod labvisor
		[ "$T_ST" = 0 ] || t_bad "rmmod: status $T_ST: $T_OUT"
	fi
	t_end
}

case ${1:-basic} in
basic)
	test_load
	test_vmx_dmesg
	test_vmx_cpus module-vmx-cpus
	test_rmmod_busy
	;;
smp)
	test_load smp-module-load
	test_vmx_dmesg smp-vmx-dmesg
	test_vmx_cpus smp-vmx-cpus 0-1
	test_hotplug
	test_run_on_cpu1
	;;
noept)
	test_load noept-module-load
	test_vmx_cpus noept-vmx-cpus
	test_noept
	;;
conflict)
	test_conflict
	;;
*)
	echo "usage: module.sh [basic|smp|noept|conflict]" >&2
	exit 2
	;;
esac
