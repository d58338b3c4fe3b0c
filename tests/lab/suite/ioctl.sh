# lvctl's ioctl-level suite, run in the lab with labvisor.ko loaded:
#   sh /lab/suite/ioctl.sh
# 1. lv-ioctl-test (tests/uapi): bad arguments to every ioctl, errno by
#    errno; its own "TEST uapi-* ..." lines pass through.
# 2. ioctl-dmesg-clean: no Oops/BUG/WARNING/GPF line in dmesg meanwhile.
# 3. ioctl-dmesg-logged: the module logged "labvisor:" lines about the bad
#    input.
# 4. ioctl-dmesg-ratelimited: 2000 rejected calls in a row add far fewer
#    than 2000 "labvisor:" lines.
. /lab/suite/lib.sh

t_test_bin lv-ioctl-test || exit 1
bin=$T_BIN
if [ ! -c /dev/labvisor ]; then
	t_fail ioctl-test "/dev/labvisor missing (labvisor.ko not loaded?)"
	exit 1
fi

ok=0
t_dmesg_mark
start=$T_DMESG_N
log=$(mktemp /tmp/ioctl.XXXXXX)
"$bin" > "$log" 2>&1
st=$?
cat "$log"
t_test_log ioctl-test "$log" "$st" || ok=1
rm -f "$log"

# everything the kernel said during the run
T_DMESG_N=$start
new=$(t_dmesg_new)
bad=$(echo "$new" | grep -E "$T_BAD_RE" | head -n 3)
if [ -n "$bad" ]; then
	echo "$new" | sed 's/^/  dmesg: /' | head -n 80
	t_fail ioctl-dmesg-clean "$bad"
	ok=1
else
	t_pass ioctl-dmesg-clean
fi

nlog=$(echo "$new" | grep -c 'labvisor:')
if [ "$nlog" -gt 0 ]; then
	echo "  $nlog labvisor: lines, e.g. $(echo "$new" | grep 'labvisor:' | head -n 1)"
	t_pass ioctl-dmesg-logged
else
	t_fail ioctl-dmesg-logged "the module logged no labvisor: line about the rejected calls"
	ok=1
fi

# a flood of the same bad call: the log must be rate-limited
t_dmesg_mark
t_exec "$bin" --flood 2000
echo "$T_OUT"
if [ "$T_ST" != 0 ]; then
	ok=1
	echo "$T_OUT" | grep -q '^TEST [^ ]* FAIL' ||
		t_fail ioctl-flood "lv-ioctl-test --flood exited $T_ST"
fi
new=$(t_dmesg_new)
nlog=$(echo "$new" | grep -c 'labvisor:')
bad=$(echo "$new" | grep -E "$T_BAD_RE" | head -n 3)
if [ -n "$bad" ]; then
	t_fail ioctl-dmesg-ratelimited "dmesg: $bad"
	ok=1
elif [ "$nlog" -eq 0 ]; then
	t_fail ioctl-dmesg-ratelimited "2000 bad LV_CREATE_VM calls logged no labvisor: line"
	ok=1
elif [ "$nlog" -gt 100 ]; then
	t_fail ioctl-dmesg-ratelimited "2000 bad LV_CREATE_VM calls logged $nlog labvisor: lines (not rate-limited)"
	ok=1
else
	echo "  2000 rejected calls: $nlog labvisor: lines"
	t_pass ioctl-dmesg-ratelimited
fi
exit $ok
