# The lab suite that `make check` runs in a 1-CPU haswell lab booted with
# labvisor.ko loaded:  sh /lab/suite/main.sh
#   1. module tests (module.sh)
#   2. ACCEL=labvisor guests.sh   (the guests' own suite)
#   3. ioctl.sh                   (lvctl's ioctl-level suite)
#      research.sh                (exit statistics, trace, exit policies)
#      lvtools.sh labvisor        (lvctl stat, trace, policy options)
#      hostile.sh                 (random-byte guests: the host survives)
#      ACCEL=labvisor linux.sh    (the nested Debian kernel: needs the lab
#                                 run with --add "$(tests/lab/guest-initramfs)")
#      shadow.sh labvisor         (shadow paging: paging.bin on both MMUs, the
#                                 guests and the Debian kernel on --mmu shadow)
#   4. rmmod labvisor, modprobe kvm_intel, ACCEL=kvm guests.sh, ACCEL=kvm linux.sh,
#      shadow.sh kvm (paging.bin on kvm_intel ept=1, then reloaded with ept=0)
#   5. the conflict test (module.sh conflict)
# A part that is missing, or that exits non-zero without a FAIL line of its
# own, is reported as a FAIL.  Each part starts with a "LAB-PART <name>" line;
# `main.sh --from NAME` starts at that part (tests/check boots a new lab
# that way when one hangs, so that one hung guest does not hide the rest).
. /lab/suite/lib.sh
rm -f "$T_FAILFILE"

# run_sh NAME ENV SCRIPT [ARG]...: sh SCRIPT ARG... with ENV (VAR=VALUE,
# or - for none) in its environment; checks what it printed
run_sh() {
	local name=$1 envv=$2 script=$3 log
	shift 3
	[ "$envv" = - ] && envv=LAB_PART=$name
	if [ ! -f "$script" ]; then
		t_fail "$name" "$script missing"
		return
	fi
	echo "=== $name: $envv sh $script $*"
	log=$(mktemp /tmp/part.XXXXXX)
	(env "$envv" sh "$script" "$@"; echo $? > "$log.st") 2>&1 | tee "$log"
	st=$(cat "$log.st" 2>/dev/null)
	grep '^TEST [^ ]* FAIL' "$log" >> "$T_FAILFILE"
	if ! grep -q '^TEST ' "$log"; then
		t_fail "$name" "ran no test (exit status $st)"
	elif [ "$st" != 0 ] && ! grep -q '^TEST [^ ]* FAIL' "$log"; then
		t_fail "$name" "exit status $st without a FAIL line"
	fi
	rm -f "$log" "$log.st"
}

FROM=
[ "${1:-}" = --from ] && FROM=$2
started=
# part NAME: true when part NAME is to run (prints its LAB-PART line)
part() {
	[ -z "$FROM" ] || [ "$FROM" = "$1" ] && started=1
	[ -n "$started" ] || return 1
	echo "LAB-PART $1"
}

part module && run_sh module - /lab/suite/module.sh basic
part guests-labvisor && run_sh guests-labvisor ACCEL=labvisor /lab/suite/guests.sh
part ioctl && run_sh ioctl - /lab/suite/ioctl.sh
part research && run_sh research - /lab/suite/research.sh
part lvtools && run_sh lvtools - /lab/suite/lvtools.sh labvisor
part hostile && run_sh hostile - /lab/suite/hostile.sh
part linux-labvisor && run_sh linux-labvisor ACCEL=labvisor /lab/suite/linux.sh
part shadow-labvisor && run_sh shadow-labvisor - /lab/suite/shadow.sh labvisor

if part kvm-setup; then
	t_begin rmmod-labvisor
	if mod_loaded labvisor; then
		t_exec rmmod labvisor
		[ "$T_ST" = 0 ] || t_bad "status $T_ST: $T_OUT"
		mod_loaded labvisor && t_bad "labvisor still loaded"
	else
		t_bad "labvisor was not loaded"
	fi
	t_end

	t_begin modprobe-kvm_intel
	t0=$(cut -d' ' -f1 /proc/uptime)
	t_exec modprobe kvm_intel
	[ "$T_ST" = 0 ] || t_bad "status $T_ST: $T_OUT"
	mod_loaded kvm_intel || t_bad "kvm_intel not in /proc/modules"
	[ -c /dev/kvm ] || t_bad "/dev/kvm missing"
	echo "  modprobe kvm_intel took $(echo "$(cut -d' ' -f1 /proc/uptime) - $t0" | bc 2>/dev/null || echo '?') s"
	t_end
else
	# resumed after kvm-setup: the same state, without its tests
	mod_loaded labvisor && rmmod labvisor
	modprobe kvm_intel
fi

part guests-kvm && run_sh guests-kvm ACCEL=kvm /lab/suite/guests.sh
part lvtools-kvm && run_sh lvtools-kvm - /lab/suite/lvtools.sh kvm
part linux-kvm && run_sh linux-kvm ACCEL=kvm /lab/suite/linux.sh
part shadow-kvm && run_sh shadow-kvm - /lab/suite/shadow.sh kvm
part conflict && run_sh conflict - /lab/suite/module.sh conflict
echo "LAB-PART end"
# exit status: 1 if anything failed
[ ! -s "$T_FAILFILE" ]
