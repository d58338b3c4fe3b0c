# Lab tests of lvctl's research tools (issue 6): lvctl run --forward,
# --ioeventfd, --stats-dir and a refused policy; lvctl stat on a live VM's
# debugfs directory; lvctl trace's CSV against the module's exit counts.
#
#   sh /lab/suite/lvtools.sh [labvisor|kvm]      (default labvisor)
#
# labvisor: every test below (needs the module's API 3: exit statistics
# and debugfs, the trace ring, exit policies); kvm: the ones that apply to
# it (--ioeventfd).  Each function is one test and may be called on its own
# after sourcing this file with LVTOOLS_LIB=1:
#   lvtools_ioeventfd ACCEL  lvtools_forward  lvtools_policy_refused
#   lvtools_stats_dir  lvtools_stat_live  lvtools_trace  lvtools_trace_small
# Prints "TEST lvtools/<name> PASS|FAIL ..."; exits 1 if any failed.
. /lab/suite/lib.sh
G=${LAB_GUESTS:-/lab/guests}
LVTOOLS_FAILED=0

# count NAME TEXT: the NAME=N count of "lvctl: exits by reason:" in TEXT
lvt_reason_count() {
	printf '%s\n' "$2" | sed -n "s/^lvctl: exits by reason:.*[: ]$1=\([0-9]*\).*/\1/p" | head -n 1
}

# the "lvctl: exits: total N" figure in TEXT
lvt_total_exits() {
	printf '%s\n' "$1" | sed -n 's/^lvctl: exits: total \([0-9]*\),.*/\1/p' | head -n 1
}

lvt_end() {
	[ -z "$T_WHY" ] || printf '%s\n' "$T_OUT" | tail -n 20 | sed 's/^/  | /'
	t_end || LVTOOLS_FAILED=1
}

# bench.elf OUTs exactly 20 x 100 bytes to port 0xe4 (io_kernel_ticks):
# with --ioeventfd 0xe4 each is one doorbell, none reaches lvctl's device
lvtools_ioeventfd() {
	t_begin "lvtools/ioeventfd-doorbells-$1"
	t_exec timeout 120 lvctl run --accel "$1" --stats --ioeventfd 0xe4 "$G/bench.elf"
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, expected 1"
	printf '%s\n' "$T_OUT" | grep -q '^PASS bench' || t_bad "bench.elf did not pass"
	n=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl: ioeventfd port 0xe4: \([0-9]*\) doorbell(s)$/\1/p')
	[ "$n" = 2000 ] || t_bad "port 0xe4: '$n' doorbells, expected 2000"
	lvt_end
}

# every CPUID exit goes to lvctl (LV_EXIT_VMX) and back with LV_VMX_HANDLE:
# the guest still passes; lvctl prints the first 16 (qualification 0 for
# CPUID) and counts all, as many as the module counted
lvtools_forward() {
	t_begin lvtools/forward-cpuid
	t_exec timeout 60 lvctl run --stats --forward cpuid "$G/cpuid.elf"
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, expected 1"
	printf '%s\n' "$T_OUT" | grep -q '^PASS cpuid' || t_bad "cpuid.elf did not pass"
	lines=$(printf '%s\n' "$T_OUT" | grep -cE '^lvctl: forwarded exit 10 cpuid qualification 0x0 rip 0x[0-9a-f]+$')
	kernel=$(lvt_reason_count cpuid "$T_OUT")
	fwd=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl: forwarded exits:.*cpuid=\([0-9]*\).*/\1/p')
	[ -n "$kernel" ] && [ "$kernel" -gt 0 ] || t_bad "no cpuid count in --stats"
	[ "$fwd" = "$kernel" ] || t_bad "forwarded cpuid=$fwd, the module counted $kernel"
	want=16
	[ -n "$kernel" ] && [ "$kernel" -lt 16 ] && want=$kernel
	[ "$lines" = "$want" ] || t_bad "$lines 'forwarded exit' lines, expected $want"
	lvt_end
}

# the module refuses a policy that forwards external interrupts: lvctl
# says so and exits 2 before the guest runs
lvtools_policy_refused() {
	t_begin lvtools/policy-refused
	t_exec timeout 60 lvctl run --forward external_interrupt "$G/hello.elf"
	[ "$T_ST" = 2 ] || t_bad "exit status $T_ST, expected 2"
	printf '%s\n' "$T_OUT" | grep -q '^lvctl: LV_SET_VM_EXIT_POLICY: Invalid argument' ||
		t_bad "no 'LV_SET_VM_EXIT_POLICY: Invalid argument' message"
	printf '%s\n' "$T_OUT" | grep -q 'Hello from' && t_bad "the guest ran"
	lvt_end
}

# --stats-dir writes the VM's statistics in the debugfs format; lvctl stat
# reads them back: the same CPUID count as --stats, a histogram
lvtools_stats_dir() {
	t_begin lvtools/stats-dir
	rm -rf /tmp/lvt-stats
	t_exec timeout 120 lvctl run --stats --stats-dir /tmp/lvt-stats "$G/bench.elf"
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, expected 1"
	kernel=$(lvt_reason_count cpuid "$T_OUT")
	saved=$(awk '$1 == 10 && $2 == "cpuid" { print $3 }' /tmp/lvt-stats/exits 2>/dev/null)
	[ -n "$saved" ] && [ "$saved" = "$kernel" ] ||
		t_bad "stats dir: cpuid count '$saved', --stats says '$kernel'"
	[ -f /tmp/lvt-stats/vcpu0/hist ] || t_bad "no vcpu0/hist"
	t_exec lvctl stat --once --input /tmp/lvt-stats
	[ "$T_ST" = 0 ] || t_bad "lvctl stat --once: exit status $T_ST"
	printf '%s\n' "$T_OUT" | grep -qE "^10 cpuid +$kernel " || t_bad "no cpuid row with $kernel"
	t_exec lvctl stat --input /tmp/lvt-stats --hist cpuid
	[ "$T_ST" = 0 ] || t_bad "lvctl stat --hist cpuid: exit status $T_ST"
	printf '%s\n' "$T_OUT" | grep -q "^10 cpuid: kernel cost in ticks, $kernel exits$" ||
		t_bad "histogram header does not say $kernel exits"
	printf '%s\n' "$T_OUT" | grep -qE '^\[[0-9]+, [0-9]+\) +[0-9]+ \|#+$' || t_bad "no histogram bar"
	rm -rf /tmp/lvt-stats
	lvt_end
}

# lvctl stat on a running VM: its debugfs directory, the table, a histogram
lvtools_stat_live() {
	t_begin lvtools/stat-live
	lv_spin_bg labvisor
	lv_wait_vm "$LV_PID" || t_bad "the spinner did not start"
	dir=$(ls /sys/kernel/debug/labvisor 2>/dev/null | grep "^$LV_PID-" | head -n 1)
	[ -n "$dir" ] || t_bad "no /sys/kernel/debug/labvisor/$LV_PID-* directory"
	t_exec lvctl stat --once
	[ "$T_ST" = 0 ] || t_bad "lvctl stat --once: exit status $T_ST"
	printf '%s\n' "$T_OUT" | grep -q "(pid $LV_PID, ept, 1 vcpu)" ||
		printf '%s\n' "$T_OUT" | grep -q "VMs)" || t_bad "no VM header"
	printf '%s\n' "$T_OUT" | grep -qE '^total +[1-9][0-9]* ' || t_bad "no exits counted"
	if [ -n "$dir" ]; then
		t_exec lvctl stat --once --vm "$dir" --vcpu 0
		printf '%s\n' "$T_OUT" | grep -qE '^total +[1-9][0-9]* ' || t_bad "--vm $dir --vcpu 0: no exits"
		# the top reason's histogram
		top=$(printf '%s\n' "$T_OUT" | awk 'NR > 2 && $1 ~ /^[0-9]+$/ { print $1; exit }')
		t_exec lvctl stat --vm "$dir" --hist "${top:-1}"
		[ "$T_ST" = 0 ] || t_bad "--hist ${top:-1}: exit status $T_ST"
		# the live view: a refresh with the rates, stopped by SIGINT
		lvctl stat -d 0.5 --vm "$dir" > /tmp/lvt-live.txt 2>&1 &
		sp=$!
		sleep 2
		kill -INT "$sp"
		wait "$sp"
		st=$?
		[ "$st" = 0 ] || t_bad "live lvctl stat: exit status $st after SIGINT"
		grep -qE '^total +[0-9]+ +[0-9]+ ' /tmp/lvt-live.txt || t_bad "live view: no rate column"
		rm -f /tmp/lvt-live.txt
	fi
	lv_stop "$LV_PID"
	rm -f "$LV_LOG"
	lvt_end
}

# lvctl trace: one CSV line per exit, as many CPUID records as the module
# counted CPUID exits, records + dropped = every exit
lvtools_trace() {
	t_begin lvtools/trace-csv
	t_exec timeout 120 lvctl trace --out /tmp/lvt-trace.csv --stats "$G/bench.elf"
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, expected 1"
	head -n 1 /tmp/lvt-trace.csv | grep -qx 'vcpu,reason,name,user,qualification,rip,gpa,tsc_exit,tsc_entry,ticks' ||
		t_bad "CSV header: $(head -n 1 /tmp/lvt-trace.csv)"
	rec=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl trace: \([0-9]*\) records, \([0-9]*\) dropped (vcpu0)$/\1/p')
	drop=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl trace: \([0-9]*\) records, \([0-9]*\) dropped (vcpu0)$/\2/p')
	lines=$(($(wc -l < /tmp/lvt-trace.csv) - 1))
	[ -n "$rec" ] && [ "$rec" = "$lines" ] || t_bad "'$rec' records said, $lines CSV lines"
	total=$(lvt_total_exits "$T_OUT")
	kernel=$(lvt_reason_count cpuid "$T_OUT")
	csv_cpuid=$(grep -c '^0,10,cpuid,0,' /tmp/lvt-trace.csv)
	if [ -n "$rec" ] && [ -n "$drop" ] && [ -n "$total" ]; then
		sum=$((rec + drop))
		# the exit that stopped the VM has no entry after it
		[ "$sum" = "$total" ] || [ "$sum" = $((total - 1)) ] ||
			t_bad "$rec records + $drop dropped, the module counted $total exits"
		[ "$drop" != 0 ] || [ "$csv_cpuid" = "$kernel" ] ||
			t_bad "$csv_cpuid cpuid records, the module counted $kernel"
	else
		t_bad "no trace summary or exit total"
	fi
	# kernel-handled records: entry after exit
	bad=$(awk -F, 'NR > 1 && $4 == 0 && ($10 == "" || $9 < $8) { n++ } END { print n + 0 }' /tmp/lvt-trace.csv)
	[ "$bad" -le 1 ] || t_bad "$bad records without a cost"
	rm -f /tmp/lvt-trace.csv
	lvt_end
}

# a 64-record ring under ~10,000 exits: whatever the drain thread missed
# is counted as dropped, and the guest is never held back
lvtools_trace_small() {
	t_begin lvtools/trace-small-ring
	t_exec timeout 120 lvctl trace --records 64 --out /tmp/lvt-trace.csv --stats "$G/bench.elf"
	[ "$T_ST" = 1 ] || t_bad "exit status $T_ST, expected 1"
	printf '%s\n' "$T_OUT" | grep -q '^PASS bench' || t_bad "bench.elf did not pass"
	rec=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl trace: \([0-9]*\) records, \([0-9]*\) dropped (vcpu0)$/\1/p')
	drop=$(printf '%s\n' "$T_OUT" | sed -n 's/^lvctl trace: \([0-9]*\) records, \([0-9]*\) dropped (vcpu0)$/\2/p')
	total=$(lvt_total_exits "$T_OUT")
	if [ -n "$rec" ] && [ -n "$drop" ] && [ -n "$total" ]; then
		sum=$((rec + drop))
		[ "$sum" = "$total" ] || [ "$sum" = $((total - 1)) ] ||
			t_bad "$rec records + $drop dropped, the module counted $total exits"
	else
		t_bad "no trace summary or exit total"
	fi
	rm -f /tmp/lvt-trace.csv
	lvt_end
}

[ "${LVTOOLS_LIB:-0}" = 1 ] && return 0

case ${1:-labvisor} in
kvm)
	lvtools_ioeventfd kvm
	;;
*)
	lvtools_ioeventfd labvisor
	lvtools_forward
	lvtools_policy_refused
	lvtools_stats_dir
	lvtools_stat_live
	lvtools_trace
	lvtools_trace_small
	;;
esac
exit $LVTOOLS_FAILED
