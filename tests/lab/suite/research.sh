# The research interfaces (issue 6), run in the lab with labvisor.ko loaded:
#   sh /lab/suite/research.sh
# 1. lv-exits-test (tests/uapi): exact exit counts and histograms, debugfs,
#    the trace ring, exit policies, CPUID/MSR overrides, bad policies; its
#    "TEST ..." lines pass through.
# 2. research-dmesg-clean: no Oops/BUG/WARNING/GPF line meanwhile.
# 3. trace-events: the labvisor trace events exist in tracefs and
#    lv_exit fires for a guest's exits.
. /lab/suite/lib.sh

mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs none /sys/kernel/debug 2>/dev/null
t_test_bin lv-exits-test || exit 1
bin=$T_BIN

ok=0
t_dmesg_mark
log=$(mktemp /tmp/exits.XXXXXX)
{ timeout 600 "$bin"; echo "lv-exits-test: exit status $?"; } 2>&1 | tee "$log"
st=$(sed -n 's/^lv-exits-test: exit status //p' "$log")
[ -n "$st" ] || st=1
t_test_log exits-test "$log" "$st" || ok=1
rm -f "$log"
bad=$(t_dmesg_bad | head -n 3)
if [ -n "$bad" ]; then
	t_dmesg_new | sed 's/^/  dmesg: /' | head -n 60
	t_fail research-dmesg-clean "$bad"
	ok=1
else
	t_pass research-dmesg-clean
fi

# the hook API's example experiment: lv_wpcount.ko counts guest writes
t_begin hook-module
if [ ! -f /lab/lv_wpcount.ko ]; then
	t_bad "/lab/lv_wpcount.ko missing (not built?)"
else
	t_exec insmod /lab/lv_wpcount.ko gpa=0x190000 len=4096
	[ "$T_ST" = 0 ] || t_bad "insmod lv_wpcount.ko: $T_OUT"
	{ timeout 300 "$bin" wpcount; echo "lv-exits-test: exit status $?"; } 2>&1 | tee "$log"
	grep -q '^TEST hook-wpcount PASS' "$log" || ok=1
	grep -q '^TEST hook-wpcount' "$log" || t_bad "lv-exits-test wpcount printed no result"
	# the hook goes; VMs run as before
	t_exec rmmod lv_wpcount
	[ "$T_ST" = 0 ] || t_bad "rmmod lv_wpcount: $T_OUT"
	t_exec timeout 60 lvctl run /lab/guests/cpuid.elf
	echo "$T_OUT" | grep -q '^PASS cpuid' || t_bad "cpuid.elf after rmmod lv_wpcount: $(echo "$T_OUT" | tail -n 2)"
	rm -f "$log"
fi
t_end

# trace events: perf and trace-cmd read them from tracefs
t_begin trace-events
tr=/sys/kernel/tracing
[ -d $tr/events ] || tr=/sys/kernel/debug/tracing
mountpoint -q /sys/kernel/tracing 2>/dev/null || mount -t tracefs none /sys/kernel/tracing 2>/dev/null
if [ ! -d $tr/events/labvisor/lv_exit ]; then
	t_bad "no labvisor/lv_exit in $tr/events ($(ls $tr/events 2>/dev/null | head -c 200))"
else
	for e in lv_exit lv_entry lv_user_exit; do
		[ -d $tr/events/labvisor/$e ] || t_bad "event labvisor/$e missing"
	done
	echo > $tr/trace
	echo 1 > $tr/events/labvisor/lv_exit/enable
	echo 1 > $tr/events/labvisor/lv_user_exit/enable
	t_exec timeout 60 lvctl run /lab/guests/cpuid.elf
	echo 0 > $tr/events/labvisor/lv_exit/enable
	echo 0 > $tr/events/labvisor/lv_user_exit/enable
	n=$(grep -c 'lv_exit: vcpu 0 reason 10 ' $tr/trace)
	u=$(grep -c 'lv_user_exit:' $tr/trace)
	echo "  trace: $n lv_exit events of reason 10 (cpuid), $u lv_user_exit events"
	echo "$T_OUT" | grep -q '^PASS cpuid' || t_bad "cpuid.elf did not pass: $(echo "$T_OUT" | tail -n 3)"
	[ "$n" -gt 0 ] || t_bad "no lv_exit event with reason 10 for cpuid.elf"
	[ "$u" -gt 0 ] || t_bad "no lv_user_exit event"
	echo > $tr/trace
fi
t_end
exit $ok
