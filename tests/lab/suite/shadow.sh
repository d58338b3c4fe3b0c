# Shadow paging (kmod/shadow) in the lab.
#
#   sh shadow.sh labvisor   labvisor.ko loaded on a CPU with EPT (haswell):
#       shadow/paging-ept, shadow/paging-shadow
#                  tests/guests/paging.bin (4-level paging from the inside)
#                  with --mmu ept and --mmu shadow: PASS, and the same
#                  verdict lines in both (kept in $REF for the kvm runs)
#       shadow/paging32-ept, shadow/paging32-shadow
#                  tests/guests/paging32.bin (32-bit paging with and
#                  without CR4.PSE, and PAE paging) the same way ($REF32)
#       shadow/<guest>  the test guests that start in protected or long
#                  mode, with --mmu shadow
#       shadow/real-hello  a real-mode guest on --mmu shadow: it runs in
#                  virtual-8086 mode (kmod/vmx/vm86.c) and passes
#       shadow/linux  the nested Debian guest with --mmu shadow and 2 vCPUs
#                  (1 on penryn): both CPUs online, init runs,
#                  its virtio-blk checksum and write, a line echoed on the
#                  serial console, poweroff; the shadow MMU counters
#   sh shadow.sh kvm        kvm_intel loaded (ept=1):
#       shadow/kvm-paging-ept     paging.bin on kvm with EPT
#       shadow/kvm-paging-shadow  kvm_intel reloaded with ept=0 (its shadow
#                  MMU), paging.bin again; then kvm_intel is reloaded as it
#                  was.  Both with the verdict lines of the labvisor runs.
#       shadow/kvm-paging32-ept, shadow/kvm-paging32-shadow  paging32.bin
#                  the same way (the verdict lines in $REF32)
#   sh shadow.sh noept      a CPU without EPT (core2_penryn): shadow is the
#       default; paging.bin, paging32.bin, the same guests and the Linux
#       guest (names noept/...)
# Exit status 1 when a test failed.
. /lab/suite/lib.sh
sh_fails0=$(cat "$T_FAILFILE" 2>/dev/null | wc -l)

G=${LAB_GUESTS:-/lab/guests}
LG=${LINUX_GUEST_DIR:-/lab/extra/linux-guest}
REF=/tmp/shadow-paging.ref
REF32=/tmp/shadow-paging32.ref
WHAT=${1:-labvisor}
PFX=shadow
[ "$WHAT" = noept ] && PFX=noept

# pagetest NAME ACCEL MMU GUEST REF LVCTL-ARGS...: run $G/GUEST.bin, check
# its verdict lines (PASS, FAIL, "GUEST: ..."): a PASS GUEST line, no FAIL,
# and the same lines as REF, which the first clean run writes
pagetest() {
	local name=$1 accel=$2 mmu=$3 guest=$4 ref=$5 v
	shift 5
	t_begin "$name"
	t_exec timeout 120 lvctl run --accel "$accel" ${mmu:+--mmu $mmu} --stats \
		"$@" "$G/$guest.bin"
	v=$(printf '%s\n' "$T_OUT" | tr -d '\r' | grep -E "^(PASS |FAIL |$guest: )")
	printf '%s\n' "$T_OUT" | grep -E "^($guest: |lvctl: shadow MMU)" | sed 's/^/  /'
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, want 1 ($(printf '%s\n' "$T_OUT" | grep -E '^(FAIL |lvctl: )' | head -n 3 | tr '\n' ' '))"
	printf '%s\n' "$v" | grep -q "^PASS $guest\$" || t_bad "no PASS $guest line"
	printf '%s\n' "$v" | grep -q '^FAIL ' && t_bad "$(printf '%s\n' "$v" | grep '^FAIL ' | head -n 2 | tr '\n' ' ')"
	if [ -f "$ref" ]; then
		[ "$v" = "$(cat "$ref")" ] || t_bad "verdict differs from the first run's: $(echo "$v" | tr '\n' ' ') vs $(tr '\n' ' ' < "$ref")"
	elif [ -z "$T_WHY" ]; then
		echo "$v" > "$ref"
	fi
	[ -z "$T_WHY" ] || printf '%s\n' "$T_OUT" | tail -n 15 | sed 's/^/  | /'
	t_end
}

# paging NAME ACCEL MMU: paging.bin (long mode), against $REF
paging() { pagetest "$1" "$2" "$3" paging "$REF" --mode long64; }

# paging32 NAME ACCEL MMU: paging32.bin (32-bit and PAE paging), against $REF32
paging32() { pagetest "$1" "$2" "$3" paging32 "$REF32" --mode prot32 --mem 32M; }

# guest NAME WANT-STATUS REGEX LVCTL-ARGS...: one guest on the shadow MMU
guest() {
	local name=$1 want=$2 re=$3
	shift 3
	t_begin "$PFX/$name"
	t_exec timeout 60 lvctl run --mmu shadow "$@"
	[ "$T_ST" = "$want" ] || t_bad "exit status $T_ST, want $want"
	printf '%s\n' "$T_OUT" | tr -d '\r' | grep -qE "$re" || t_bad "no line /$re/"
	printf '%s\n' "$T_OUT" | grep -q '^FAIL ' && t_bad "$(printf '%s\n' "$T_OUT" | grep '^FAIL ' | head -n 1)"
	[ -z "$T_WHY" ] || printf '%s\n' "$T_OUT" | tail -n 12 | sed 's/^/  | /'
	t_end
}

guests() {
	guest prot32 1 '^PASS prot32' --mode prot32 "$G/prot32.bin"
	guest long64 1 '^PASS long64' --mode long64 "$G/long64.bin"
	guest hello 1 '^PASS hello' --mem 64M --cmdline "shadow" "$G/hello.elf"
	guest multiboot 1 '^PASS multiboot' --mem 64M --cmdline "x=1 y=2" \
		--module "$G/multiboot-module.bin,modstr" "$G/multiboot.elf"
	guest io 1 '^PASS io' "$G/io.elf"
	guest mmio 1 '^PASS mmio' --mode long64 "$G/mmio.bin"
	guest msr 1 '^PASS msr' "$G/msr.elf"
	guest vmcall 1 '^PASS vmcall' "$G/vmcall.elf"
	guest apic 1 '^PASS apic$' --irqchip "$G/apic.elf"
	dd if=/dev/zero of=/tmp/sh-vblk.img bs=512 count=64 2>/dev/null
	guest virtio-blk 1 '^PASS virtio-blk' --mode long64 --disk /tmp/sh-vblk.img "$G/virtio-blk.bin"
	rm -f /tmp/sh-vblk.img
	# real mode without unrestricted guest: virtual-8086 mode (vm86.c)
	guest real-hello 1 '^PASS real-hello' --mode real "$G/real-hello.bin"
}

# the Linux guest: disk, console echo, poweroff; on haswell with 2 vCPUs
# (the AP starts in real mode: virtual-8086 mode, kmod/vmx/vm86.c).  Not
# on penryn: it has no VMX preemption timer, and the AP's bring-up spins
# with IF=0, which freezes a Bochs lab (tests/lab/README.md, pitfalls).
linux() {
	local disk=/tmp/sh-disk.img fifo=/tmp/sh-in log=/tmp/sh-lx.log sum line pid
	local cpus=2 online=0-1

	[ "$WHAT" = noept ] && cpus=1 online=0
	t_begin "$PFX/linux"
	if [ ! -f "$LG/vmlinuz" ] || [ ! -f "$LG/initrd" ]; then
		t_bad "$LG/vmlinuz or initrd missing (tests/lab/guest-initramfs)"
		t_end
		return
	fi
	dd if=/dev/urandom of=$disk bs=1048576 count=8 2>/dev/null
	sum=$(sha256sum $disk | cut -d' ' -f1)
	line="hello-from-the-shadow-$$"
	rm -f $fifo $log
	mkfifo $fifo
	(
		exec 3>$fifo
		n=0
		while ! grep -q '^GUEST-ECHO-READY' $log 2>/dev/null && [ $n -lt 400 ]; do
			n=$((n + 1))
			sleep 1
		done
		sleep 1
		echo "$line" >&3
		sleep 400
	) &
	pid=$!
	t0=$(cut -d' ' -f1 /proc/uptime)
	# the console streams ("  > " lines): a slow lab is not a silent one
	{
		timeout -s INT -k 30 400 lvctl run --mmu shadow --stats --cpus $cpus --mem 256M \
			--kernel "$LG/vmlinuz" --initrd "$LG/initrd" --disk $disk \
			--append "console=ttyS0 lvblk=$sum lvtest=cpus,blk,echo,poweroff" \
			<$fifo
		echo $? > $log.st
	} 2>&1 | tr -d '\r' | tee $log | sed 's/^/  > /'
	st=$(cat $log.st 2>/dev/null)
	rm -f $log.st
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	out=$(tr -d '\r' < $log)
	echo "  lvctl exit $st after $(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc 2>/dev/null || echo '?') s"
	[ "$st" = 0 ] || t_bad "lvctl exit status $st, want 0"
	for re in '^GUEST-INIT-OK Linux' "^GUEST-CPUS $cpus online $online\$" \
		  '^GUEST-BLK-READ-OK' '^GUEST-BLK-WRITE-OK' \
		  "^GUEST-ECHO $line\$" 'lvctl: stop: guest powered off' \
		  'lvctl: shadow MMU: [0-9]+ root\(s\), [0-9]+ table page\(s\); [1-9][0-9]* page fault'; do
		printf '%s\n' "$out" | grep -qE "$re" || t_bad "no line /$re/"
	done
	bad=$(printf '%s\n' "$out" | grep -E '^GUEST-FAIL|WARNING:|BUG:|Oops|Call Trace' | head -n 2)
	[ -z "$bad" ] || t_bad "$bad"
	[ -z "$T_WHY" ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/  | /'
	t_end
	rm -f $disk $fifo $log
}

kvm_reload() {
	rmmod kvm_intel 2>/dev/null
	modprobe kvm_intel "$@"
}

case $WHAT in
labvisor)
	rm -f "$REF" "$REF32"
	paging shadow/paging-ept labvisor ept
	paging shadow/paging-shadow labvisor shadow
	paging32 shadow/paging32-ept labvisor ept
	paging32 shadow/paging32-shadow labvisor shadow
	guests
	linux
	;;
kvm)
	paging shadow/kvm-paging-ept kvm ept
	paging32 shadow/kvm-paging32-ept kvm ept
	t_begin shadow/kvm-ept0-load
	t_exec kvm_reload ept=0
	[ "$(cat /sys/module/kvm_intel/parameters/ept 2>/dev/null)" = N ] ||
		t_bad "kvm_intel did not load with ept=0: $T_OUT"
	if t_end; then
		paging shadow/kvm-paging-shadow kvm shadow
		paging32 shadow/kvm-paging32-shadow kvm shadow
	fi
	kvm_reload
	;;
noept)
	paging noept/paging labvisor ""
	paging32 noept/paging32 labvisor ""
	guests
	linux
	;;
*)
	t_fail shadow "unknown argument '$WHAT' (labvisor, kvm or noept)"
	;;
esac
[ "$(cat "$T_FAILFILE" 2>/dev/null | wc -l)" = "$sh_fails0" ]
