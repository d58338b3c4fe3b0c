# The test guests' suite (tests/guests/README.md), run inside the lab:
#   ACCEL=labvisor sh /lab/suite/guests.sh
#   ACCEL=kvm sh /lab/suite/guests.sh
# Every guest runs under `timeout 60 lvctl run --accel $ACCEL ...`; a test
# passes when lvctl's exit status is the expected one, every expected line
# is in the output (guest UART on stdout, lvctl's messages on stderr), no
# guest line starts with "FAIL " and dmesg got no Oops/BUG/WARNING.
# Prints "TEST <accel>/<guest> PASS" or "TEST <accel>/<guest> FAIL <why>";
# exits 1 if any test failed.
ACCEL=${ACCEL:-labvisor}
G=${LAB_GUESTS:-/lab/guests}
FAILED=0

if [ -f /lab/suite/lib.sh ]; then
	. /lab/suite/lib.sh
else
	# the lab's helpers are missing: minimal stand-ins
	t_pass() { echo "TEST $1 PASS"; }
	t_fail() { n=$1; shift; echo "TEST $n FAIL $*"; }
	t_exec() { T_OUT=$("$@" 2>&1); T_ST=$?; return 0; }
	t_begin() { T_NAME=$1; T_WHY=; }
	t_bad() { [ -n "$T_WHY" ] || T_WHY=$(echo "$*" | tr '\n' ' '); }
	t_end() {
		if [ -n "$T_WHY" ]; then t_fail "$T_NAME" "$T_WHY"; return 1; fi
		t_pass "$T_NAME"
	}
fi

# expect_lines RE...: every extended regex matches a whole line of $T_OUT
expect_lines() {
	for re in "$@"; do
		printf '%s\n' "$T_OUT" | grep -qE "^($re)\$" ||
			t_bad "no line /^$re\$/ in the output"
	done
}

# gtest NAME STATUS 'RE|RE|...' LVCTL-RUN-ARGS...
#   runs the guest; STATUS: lvctl's expected exit status; the '|'-separated
#   regexes (no '|' inside one) each have to match a whole output line
gtest() {
	local name=$1 want=$2 res=$3 oldifs fail_line
	shift 3
	t_begin "$ACCEL/$name"
	t_exec timeout 60 lvctl run --accel "$ACCEL" "$@"
	T_OUT=$(printf '%s\n' "$T_OUT" | tr -d '\r')
	if [ "$T_ST" != "$want" ]; then
		t_bad "exit status $T_ST, expected $want ($(printf '%s\n' "$T_OUT" | grep -E '^(FAIL |lvctl: )' | head -n 3 | tr '\n' ' '))"
	fi
	fail_line=$(printf '%s\n' "$T_OUT" | grep '^FAIL ' | head -n 1)
	[ -z "$fail_line" ] || t_bad "$fail_line"
	oldifs=$IFS
	IFS='|'
	set -- $res
	IFS=$oldifs
	expect_lines "$@"
	[ -z "$T_WHY" ] || printf '%s\n' "$T_OUT" | tail -n 25 | sed 's/^/  | /'
	t_end || FAILED=1
}

# ---- guests that report PASS and debug-exit 0: lvctl exits 1 -------------
gtest real-hello 1 'PASS real-hello' --mode real "$G/real-hello.bin"
gtest prot32 1 'PASS prot32' --mode prot32 "$G/prot32.bin"
gtest long64 1 'PASS long64' --mode long64 "$G/long64.bin"
gtest hello 1 'Hello from a labvisor guest!|My command line: "greetings from the lab"|My memory: .*\(64 MiB\)|PASS hello' \
	--mem 64M --cmdline "greetings from the lab" "$G/hello.elf"
gtest multiboot 1 'multiboot: cmdline "x=1 y=2"|PASS multiboot' \
	--mem 64M --cmdline "x=1 y=2" --module "$G/multiboot-module.bin,modstr" "$G/multiboot.elf"
# another RAM size: the guest reads the size it expects from mem=
gtest multiboot-32m 1 'PASS multiboot' \
	--mem 32M --cmdline "mem=32M x=1 y=2" --module "$G/multiboot-module.bin,modstr" "$G/multiboot.elf"
gtest cpuid 1 "cpuid: leaf 0x40000000 .*\\($ACCEL\\)|PASS cpuid" "$G/cpuid.elf"
gtest io 1 'PASS io' "$G/io.elf"
gtest mmio 1 'PASS mmio' --mode long64 "$G/mmio.bin"
gtest vmcall 1 "vmcall: hypervisor $ACCEL|PASS vmcall" "$G/vmcall.elf"
gtest msr 1 'PASS msr' "$G/msr.elf"
gtest bench 1 'BENCH cpuid_ticks [0-9]+|BENCH io_ticks [0-9]+|PASS bench' "$G/bench.elf"
# the local APIC in xAPIC and x2APIC mode (kvm: --irqchip gives it one)
# Its HLTs (IF=1) sleep in the kernel until the timer fires: none of them
# reaches lvctl (hlt=0 among the exits to user space).
gtest apic 1 'PASS apic-identity|PASS apic-ipi-xapic|PASS apic-timer-xapic|PASS apic-x2apic-mode|PASS apic-ipi-x2apic|PASS apic-timer-x2apic|PASS apic-tsc-deadline|PASS apic|lvctl: user exits by kind: .* hlt=0 .*' \
	--stats --irqchip "$G/apic.elf"
# lvctl's PCI and virtio-blk driven by a polling guest, a hostile descriptor
# (outside RAM) included: the device breaks, lvctl and the host do not
dd if=/dev/zero of=/tmp/vblk.img bs=512 count=64 2>/dev/null
gtest virtio-blk 1 'PASS virtio-blk' --mode long64 --disk /tmp/vblk.img "$G/virtio-blk.bin"
rm -f /tmp/vblk.img
# the 8259 PIC and the PIT through LINT0 in virtual wire (ExtINT)
gtest pic 1 'PASS pic-pit-counter|PASS pic-ticks|PASS pic-mask|PASS pic' --irqchip "$G/pic.elf"

# ---- stops that are not debug exits ----------------------------------------
# lvctl may add a detail after the reason: "lvctl: stop: shutdown (triple fault)"
gtest hlt 0 'PASS hlt-entered|lvctl: stop: hlt( \(.*\))?' "$G/hlt.elf"
gtest triple 4 'triple: IDT limit 0, then int3: expect a shutdown|lvctl: stop: shutdown( \(.*\))?' \
	"$G/triple.elf"
# the host is fine after a guest's triple fault: the next guest runs
gtest healthy-after-triple 1 'PASS real-hello' --mode real "$G/real-hello.bin"

# labvisor maps guest RAM that transparent huge pages back with 2 MiB EPT
# pages (lvctl asks for THP with MADV_HUGEPAGE; the lab kernel's default is
# "never", so the test switches it to "madvise" for the run).
if [ "$ACCEL" = labvisor ]; then
	t_begin labvisor/ept-2m
	thp=/sys/kernel/mm/transparent_hugepage/enabled
	thp_old=$(sed 's/.*\[\(.*\)\].*/\1/' "$thp")
	echo madvise > "$thp"
	out=$(timeout 60 lvctl run --stats --mem 64M "$G/hello.elf" 2>&1)
	echo "$thp_old" > "$thp"
	n=$(echo "$out" | sed -n 's/.* + \([0-9]*\) x 2 MiB mappings$/\1/p')
	[ -n "$n" ] && [ "$n" -gt 0 ] ||
		t_bad "no 2 MiB EPT mappings: $(echo "$out" | grep 'memory:')"
	echo "$out" | grep -q '^PASS hello' || t_bad "hello.elf did not pass"
	t_end || FAILED=1
fi

# A guest that never stops by itself is stopped by SIGINT: lvctl exits 8,
# "interrupted by signal".  spin-sti.bin spins with interrupts on: every host
# interrupt is an exit, on labvisor and on kvm.  spin.bin spins with them off:
# in the Bochs lab such a guest takes no external-interrupt exit at all, so
# only labvisor's backstop (the VMX-preemption timer) gets the CPU back;
# kvm_intel has none and would freeze the lab, so it runs spin-sti.bin only.
# lvctl runs on the last CPU.
spin_test() {	# NAME GUEST
	t_begin "$ACCEL/$1"
	ncpu=$(grep -c '^processor' /proc/cpuinfo)
	LV_LOG=$(mktemp /tmp/lvctl.XXXXXX)
	taskset -c $((ncpu - 1)) timeout 60 lvctl run --accel "$ACCEL" --mode real "$G/$2" >"$LV_LOG" 2>&1 &
	LV_PID=$!
	if command -v lv_wait_vm >/dev/null 2>&1; then
		lv_wait_vm "$LV_PID" || t_bad "lvctl did not start the VM (or stopped early)"
	else
		sleep 3
	fi
	if command -v lv_stop >/dev/null 2>&1; then
		lv_stop "$LV_PID"	# SIGINT; SIGKILL after 10 s
	else
		kill -INT "$LV_PID"
		wait "$LV_PID"
		LV_ST=$?
	fi
	[ "$LV_ST" = 8 ] || t_bad "exit status $LV_ST after SIGINT, expected 8 ($(grep '^lvctl: ' "$LV_LOG" | head -n 3 | tr '\n' ' '))"
	grep -q 'interrupted by signal' "$LV_LOG" || t_bad "no 'interrupted by signal' message"
	[ -z "$T_WHY" ] || sed 's/^/  | /' "$LV_LOG" | tail -n 25
	rm -f "$LV_LOG"
	t_end || FAILED=1
}

spin_test spin-sigint spin-sti.bin
[ "$ACCEL" = kvm ] || spin_test spin-if0-sigint spin.bin

exit $FAILED
