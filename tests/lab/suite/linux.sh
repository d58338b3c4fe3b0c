# The nested Linux guest: lvctl boots the lab's own kernel (--kernel) with
# the guest initramfs of tests/lab/guest-initramfs, which the lab gets with
#   tests/lab/run --add "$(tests/lab/guest-initramfs)" --script tests/lab/suite/linux.sh
# (files in /lab/extra/linux-guest/: vmlinuz, initrd).
#
#   ACCEL=labvisor sh linux.sh    labvisor.ko loaded (the lab's default)
#   ACCEL=kvm sh linux.sh         after main.sh's kvm-setup part
#   sh linux.sh                   labvisor, then rmmod labvisor, modprobe
#                                 kvm_intel, then kvm
#
# Tests per accelerator:
#   early-boot   with earlyprintk on the UART, the kernel prints lvctl's
#                e820 map, command line, initrd and ACPI tables (MADT,
#                FADT's PM timer) early, before it needs interrupts
#   boot-1cpu    the same boot: init runs (GUEST-INIT-OK), PCI0 from ACPI,
#                no ACPI errors, then poweroff -f ends lvctl with 0 and
#                "guest powered off"
#   guest-log-clean  that boot's console has no Oops, BUG, WARNING, call
#                trace or unchecked MSR access
#   clocksource-tsc  and it keeps time on the TSC, never marked unstable
#   boot-2cpu    the same with --cpus 2: both CPUs online
#   halt-2cpu    (labvisor) halt -f on 2 vCPUs: both end in HLT with
#                interrupts off, which ends lvctl with 0 and "hlt (all 2 ...)"
#   reboot       reboot -f ends lvctl with 0 and "guest reset"
# and the devices, in two more boots:
#   virtio-blk   the disk's SHA-256 read in the guest is the host's; 256 KiB
#                written at 1 MiB (with fsync) read back in the guest and are
#                in the image file afterwards
#   virtio-blk-ro  a ",ro" disk is read-only in the guest, its write fails
#   virtio-rng   the guest's hwrng is virtio_rng and gives random bytes
#   virtio-net   the guest pings the lab over a TAP device (10.0.2.2)
#   console-echo a line written to lvctl's stdin comes back from the
#                guest's shell, on the UART (ttyS0) and on virtio-console
#                (hvc0, --console virtio)
#   fastpath     with ioeventfd/irqfd, virtio-blk's doorbells cost no exit
#                to lvctl ("doorbells by mmio 0"); with --no-fastpath every
#                doorbell is an MMIO exit.  Both runs' counters are printed.
#   guest-devices-clean  no GUEST-FAIL line, no Oops/WARNING
#   clock        at the end of that boot (~40 s after it read lvctl's RTC)
#                the guest's time is the lab's, within 5 s
. /lab/suite/lib.sh
# exit status 1 when a test failed (main.sh counts the FAIL lines anyway)
lx_fails0=$(cat "$T_FAILFILE" 2>/dev/null | wc -l)

G=${LINUX_GUEST_DIR:-/lab/extra/linux-guest}
KERNEL=$G/vmlinuz
INITRD=$G/initrd
MEM=${LINUX_GUEST_MEM:-256M}
# the nested kernel boots for minutes in Bochs
TMO=${LINUX_GUEST_TIMEOUT:-900}

# lx_run ACCEL CPUS APPEND: lvctl's output in $LX_OUT (and on the console,
# as "  > " lines: a hung guest shows where it stopped), its status in $LX_ST.
# $LX_ARGS: more lvctl options; $LX_IN: its stdin (default /dev/null);
# $LX_LOG: where the output goes while it runs (default a temporary file).
lx_run() {
	local log
	log=${LX_LOG:-$(mktemp /tmp/linux.XXXXXX)}
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "  lvctl run --accel $1 --cpus $2 --mem $MEM --kernel $KERNEL --initrd $INITRD ${LX_ARGS:-}--append '$3'"
	{
		# shellcheck disable=SC2086 # LX_ARGS: several options
		timeout -s INT -k 30 "$TMO" lvctl run --accel "$1" --cpus "$2" --mem "$MEM" \
			--kernel "$KERNEL" --initrd "$INITRD" ${LX_ARGS:-} --append "$3" \
			<"${LX_IN:-/dev/null}"
		echo $? > "$log.st"
	} 2>&1 | tr -d '\r' | tee "$log" | sed 's/^/  > /'
	LX_ST=$(cat "$log.st" 2>/dev/null)
	LX_OUT=$(cat "$log")
	rm -f "$log" "$log.st"
	echo "  lvctl --cpus $2 ($1) exit $LX_ST after $(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc 2>/dev/null || echo '?') s"
}

# the tail of the output again, next to the failure
lx_show() { echo "$LX_OUT" | tail -n "${1:-15}" | sed 's/^/  | /'; }

# lx_want REGEX WHY: a failure unless the output matches
lx_want() { echo "$LX_OUT" | grep -qE "$1" || t_bad "$2"; }

lx_tests() {
	local accel=$1 a bad

	if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
		t_fail "linux-$accel" "$G/vmlinuz or initrd missing: run the lab with --add \"\$(tests/lab/guest-initramfs)\""
		return
	fi

	# one boot for early-boot and boot-1cpu: the early console shows what
	# the kernel made of lvctl's tables even when the boot stops later
	lx_run "$accel" 1 "console=ttyS0 earlyprintk=serial,ttyS0,115200 lvtest=cpus,acpi,poweroff"

	t_begin "linux-$accel/early-boot"
	lx_want 'Linux version' "no 'Linux version' line: the kernel printed nothing"
	lx_want 'Command line: console=ttyS0 earlyprintk=serial,ttyS0,115200 lvtest=cpus,acpi,poweroff' "command line not seen"
	lx_want 'BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable' "e820: low RAM"
	lx_want 'BIOS-e820: \[mem 0x000000000009fc00-0x00000000000fffff\] reserved' "e820: reserved"
	lx_want 'BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable' "e820: RAM from 1 MiB"
	lx_want 'RAMDISK: \[mem 0x' "no initrd"
	lx_want 'ACPI: RSDP 0x00000000000E0000 000024 \(v02 LABVSR\)' "no RSDP"
	for a in XSDT FACP DSDT FACS APIC; do
		lx_want "ACPI: $a 0x" "no ACPI $a table"
	done
	lx_want 'ACPI: PM-Timer IO Port: 0x608' "no PM timer from the FADT"
	lx_want 'ACPI: LAPIC_NMI \(acpi_id\[0xff\] high edge lint\[0x1\]\)' "no LAPIC NMI"
	lx_want 'IOAPIC\[0\]: apic_id 1, version .*, address 0xfec00000, GSI 0-23' "no 24-pin IOAPIC from the MADT"
	lx_want 'ACPI: INT_SRC_OVR \(bus 0 bus_irq 0 global_irq 2 high edge\)' "no IRQ0 override"
	lx_want 'ACPI: INT_SRC_OVR \(bus 0 bus_irq 9 global_irq 9 high level\)' "no SCI override"
	lx_want 'smpboot: Allowing 1 CPUs' "not 1 CPU from the MADT"
	if echo "$LX_OUT" | grep -E 'ACPI (BIOS )?(Error|Warning)|ACPI Exception'; then
		t_bad "ACPI errors"
	fi
	[ -z "$T_WHY" ] || lx_show
	t_end

	# the guest kernel's own complaints (a faulting MSR, a WARN_ON, ...)
	t_begin "linux-$accel/guest-log-clean"
	bad=$(echo "$LX_OUT" | grep -E 'unchecked MSR access|WARNING:|BUG:|Oops|Call Trace|Kernel panic|general protection' | head -n 3)
	[ -z "$bad" ] || t_bad "guest console: $bad"
	t_end

	# the guest keeps time on the TSC (invariant, with IA32_TSC_ADJUST: no
	# clocksource watchdog that lost timer ticks could fool)
	t_begin "linux-$accel/clocksource-tsc"
	lx_want 'clocksource: Switched to clocksource tsc$' "the guest did not end up on the TSC clocksource"
	bad=$(echo "$LX_OUT" | grep -E 'Marking TSC unstable|as unstable because' | head -n 1)
	[ -z "$bad" ] || t_bad "guest console: $bad"
	t_end

	for cpus in 1 2; do
		t_begin "linux-$accel/boot-${cpus}cpu"
		[ "$cpus" = 1 ] || lx_run "$accel" "$cpus" "console=ttyS0 lvtest=cpus,acpi,poweroff"
		[ "$LX_ST" = 0 ] || t_bad "lvctl exit status $LX_ST, want 0"
		lx_want '^GUEST-INIT-OK Linux' "init did not run"
		lx_want "^GUEST-CPUS $cpus online 0$([ "$cpus" = 1 ] || echo "-$((cpus - 1))")" "not $cpus CPUs online"
		lx_want 'GUEST-ACPI .*PCI Root Bridge \[PCI0\] \(domain 0000 \[bus 00-ff\]\)' "no PCI0 root bridge from ACPI"
		lx_want 'GUEST-ACPI .*Using host bridge windows from ACPI' "host bridge windows not from ACPI"
		lx_want '^GUEST-ACPI-ERRORS 0' "ACPI errors in dmesg"
		lx_want 'lvctl: stop: guest powered off' "no 'guest powered off' stop"
		[ -z "$T_WHY" ] || lx_show
		t_end
	done

	# HLT with IF=0 on every vCPU (halt -f: each CPU stops in a cli; hlt
	# loop) ends the VM.  Only on labvisor: kvm's in-kernel APIC sleeps such
	# a vCPU for good, without telling user space.
	if [ "$accel" = labvisor ]; then
		t_begin "linux-$accel/halt-2cpu"
		lx_run "$accel" 2 "console=ttyS0 lvtest=halt"
		[ "$LX_ST" = 0 ] || t_bad "lvctl exit status $LX_ST, want 0"
		lx_want '^GUEST-INIT-OK Linux' "init did not run"
		lx_want 'lvctl: stop: hlt \(all 2 vCPUs halted with interrupts off\)' "no stop when both vCPUs halted"
		[ -z "$T_WHY" ] || lx_show
		t_end
	fi

	t_begin "linux-$accel/reboot"
	lx_run "$accel" 1 "console=ttyS0 lvtest=reboot"
	[ "$LX_ST" = 0 ] || t_bad "lvctl exit status $LX_ST, want 0"
	lx_want '^GUEST-INIT-OK Linux' "init did not run"
	lx_want 'lvctl: stop: guest reset' "no 'guest reset' stop"
	[ -z "$T_WHY" ] || lx_show
	t_end
}

# lx_feed FIFO LOG LINE: write LINE into FIFO (lvctl's stdin) once the
# guest said GUEST-ECHO-READY in LOG; runs in the background
lx_feed() {
	exec 3>"$1"
	n=0
	while ! grep -q '^GUEST-ECHO-READY' "$2" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt "$TMO" ] || exit 0
		sleep 1
	done
	sleep 1
	echo "$3" >&3
	sleep "$TMO"
}

# lx_tap NAME: give the lab's end of lvctl's TAP 10.0.2.2/24 once it exists
lx_tap() {
	n=0
	while [ ! -e "/sys/class/net/$1" ]; do
		n=$((n + 1))
		[ "$n" -lt "$TMO" ] || exit 0
		sleep 1
	done
	ip addr add 10.0.2.2/24 dev "$1"
	ip link set "$1" up
}

# the pattern step_blk (lib/guest-init) writes at 1 MiB
lx_pattern_sum() { yes labvisor-blk-pattern | head -c 262144 | sha256sum | cut -d' ' -f1; }

lx_devices() {
	local accel=$1 disk=/tmp/lx-disk.img ro=/tmp/lx-ro.img fifo=/tmp/lx-in sum line pid tpid bad
	local now gclock
	# these boots take under a minute; a stuck one must not eat the lab
	local TMO=${LINUX_DEVICES_TIMEOUT:-240}
	dd if=/dev/urandom of=$disk bs=1048576 count=16 2>/dev/null
	dd if=/dev/zero of=$ro bs=1048576 count=1 2>/dev/null
	sum=$(sha256sum $disk | cut -d' ' -f1)
	modprobe tun 2>/dev/null
	line="hello-from-the-lab-$accel-$$"

	# boot 1: UART console, every device, the fast path on
	rm -f $fifo; mkfifo $fifo
	LX_LOG=/tmp/lx-log1
	lx_feed $fifo $LX_LOG "$line" &
	pid=$!
	lx_tap lvtap0 &
	tpid=$!
	LX_IN=$fifo LX_ARGS="--stats --disk $disk --disk $ro,ro --rng --net tap,ifname=lvtap0 " \
		lx_run "$accel" 1 "console=ttyS0 quiet lvblk=$sum lvtest=blk,blkro,rng,net,echo,clock,poweroff"
	now=$(date +%s)
	kill $pid $tpid 2>/dev/null
	wait $pid $tpid 2>/dev/null
	unset LX_LOG

	t_begin "linux-$accel/virtio-blk"
	[ "$LX_ST" = 0 ] || t_bad "lvctl exit status $LX_ST, want 0"
	lx_want '^GUEST-BLK-READ-OK' "the disk's checksum in the guest is not the host's ($sum)"
	lx_want '^GUEST-BLK-WRITE-OK' "what the guest wrote did not read back"
	[ "$(dd if=$disk bs=4096 skip=256 count=64 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$(lx_pattern_sum)" ] ||
		t_bad "the guest's write is not in the image file"
	[ -z "$T_WHY" ] || lx_show
	t_end
	t_begin "linux-$accel/virtio-blk-ro"
	lx_want '^GUEST-BLKRO-OK' "the read-only disk took a write or is not read-only"
	[ "$(sha256sum < $ro | cut -d' ' -f1)" = "$(dd if=/dev/zero bs=1048576 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)" ] ||
		t_bad "the read-only image changed"
	t_end
	t_begin "linux-$accel/virtio-rng"
	lx_want '^GUEST-RNG-OK' "no random bytes from virtio-rng"
	t_end
	t_begin "linux-$accel/virtio-net"
	lx_want '^GUEST-NET-OK' "the guest's ping to the lab over the TAP failed"
	t_end
	t_begin "linux-$accel/console-echo-uart"
	lx_want "^GUEST-ECHO $line\$" "the line written to lvctl's stdin did not come back from ttyS0"
	t_end
	t_begin "linux-$accel/fastpath"
	lx_want 'lvctl: virtio-blk at 00:[0-9a-f]+\.0: [1-9][0-9]* requests, 0\.00 doorbell exits per request; doorbells by mmio 0,' "virtio-blk doorbells still exit to lvctl with the fast path on"
	if [ "$accel" = labvisor ]; then
		lx_want 'lvctl: fast path: [1-9][0-9]* doorbell\(s\) by ioeventfd, [1-9][0-9]* interrupt\(s\) by irqfd' "no doorbell or interrupt through the fast path"
	fi
	echo "$LX_OUT" | grep -E '^lvctl: (fast path|virtio-blk|exits: total)' | sed 's/^/  fast path on: /'
	t_end
	t_begin "linux-$accel/clock"
	gclock=$(echo "$LX_OUT" | sed -n 's/^GUEST-CLOCK \([0-9]*\)$/\1/p')
	if [ -z "$gclock" ]; then
		t_bad "no GUEST-CLOCK line"
	elif [ $((now - gclock)) -gt 5 ] || [ $((gclock - now)) -gt 5 ]; then
		t_bad "the guest's clock says $gclock, the lab's $now"
	else
		echo "  guest clock $gclock, lab clock $now"
	fi
	t_end
	t_begin "linux-$accel/guest-devices-clean"
	bad=$(echo "$LX_OUT" | grep -E '^GUEST-FAIL|unchecked MSR access|WARNING:|BUG:|Oops|Call Trace|broken' | head -n 3)
	[ -z "$bad" ] || t_bad "$bad"
	[ -z "$T_WHY" ] || lx_show
	t_end

	# boot 2: virtio-console on stdio (hvc0), the fast path off; the disk
	# now holds what boot 1 wrote
	sum=$(sha256sum $disk | cut -d' ' -f1)
	rm -f $fifo; mkfifo $fifo
	LX_LOG=/tmp/lx-log2
	lx_feed $fifo $LX_LOG "$line-hvc" &
	pid=$!
	LX_IN=$fifo LX_ARGS="--stats --no-fastpath --disk $disk --console virtio " \
		lx_run "$accel" 1 "console=hvc0 quiet lvblk=$sum lvtest=blk,echo,poweroff"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	unset LX_LOG
	rm -f $fifo

	t_begin "linux-$accel/console-echo-hvc"
	[ "$LX_ST" = 0 ] || t_bad "lvctl exit status $LX_ST, want 0"
	lx_want "^GUEST-ECHO $line-hvc\$" "the line written to lvctl's stdin did not come back from hvc0"
	lx_want '^GUEST-BLK-READ-OK' "the disk read wrong without the fast path"
	[ -z "$T_WHY" ] || lx_show
	t_end
	t_begin "linux-$accel/no-fastpath"
	lx_want 'lvctl: virtio-blk at 00:[0-9a-f]+\.0: [1-9][0-9]* requests, [0-9.]+ doorbell exits per request; doorbells by mmio [1-9]' "--no-fastpath: virtio-blk doorbells did not exit to lvctl"
	if [ "$accel" = labvisor ]; then
		lx_want 'lvctl: fast path: 0 doorbell\(s\) by ioeventfd, 0 interrupt\(s\) by irqfd' "--no-fastpath still used ioeventfd/irqfd"
	fi
	echo "$LX_OUT" | grep -E '^lvctl: (fast path|virtio-blk|exits: total)' | sed 's/^/  fast path off: /'
	t_end
	rm -f $disk $ro
}

case ${ACCEL:-all} in
labvisor|kvm)
	lx_tests "$ACCEL"
	lx_devices "$ACCEL"
	;;
all)
	lx_tests labvisor
	lx_devices labvisor
	t_begin linux-kvm-setup
	if mod_loaded labvisor; then
		t_exec rmmod labvisor
		[ "$T_ST" = 0 ] || t_bad "rmmod labvisor: status $T_ST: $T_OUT"
	fi
	t_exec modprobe kvm_intel
	[ "$T_ST" = 0 ] || t_bad "modprobe kvm_intel: status $T_ST: $T_OUT"
	[ -c /dev/kvm ] || t_bad "/dev/kvm missing"
	if t_end; then
		lx_tests kvm
		lx_devices kvm
	fi
	;;
*)
	t_fail linux "unknown ACCEL '$ACCEL'"
	;;
esac
[ "$(cat "$T_FAILFILE" 2>/dev/null | wc -l)" = "$lx_fails0" ]
