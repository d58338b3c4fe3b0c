# Helpers for the scripts that run inside the lab (busybox sh).  Source it:
#   . /lab/suite/lib.sh
#
# Result lines (docs/testing.md): "TEST <name> PASS" / "TEST <name> FAIL <why>".
#
#   t_pass NAME                 print a PASS line
#   t_fail NAME WHY...          print a FAIL line (and note it in $T_FAILFILE)
#   t_exec CMD...               run CMD; output (stdout+stderr) in $T_OUT,
#                               exit status in $T_ST; never fails itself
#   t_run NAME STATUS REGEX CMD...
#                               one whole test: run CMD, PASS if its exit
#                               status is STATUS ("any", "nonzero" or a
#                               number) and its output matches the extended
#                               regex REGEX ("" matches anything), and dmesg
#                               got no Oops/BUG/WARNING/GPF lines meanwhile
#   t_begin NAME / t_bad WHY / t_end
#                               a multi-step test: t_begin marks dmesg,
#                               t_bad records a failure (the first one is
#                               reported), t_end checks dmesg and prints the
#                               result line
#   t_dmesg_mark / t_dmesg_new / t_dmesg_bad
#                               remember the dmesg position / print dmesg
#                               lines since / print the bad ones among them
#   lv_spin_bg ACCEL [taskset-cpu]
#                               start lvctl running $LV_GUEST_SPIN in
#                               real mode in the background; $LV_PID, output
#                               in $LV_LOG
#   lv_wait_vm PID              wait (<= 20 s) until PID has a VM open and
#                               has run it for a second; non-zero if not
#   lv_stop PID                 SIGINT, wait (<= 10 s, then SIGKILL); $LV_ST
#                               is lvctl's exit status
#   cpu_list_expand LIST        "0-2,4" -> "0 1 2 4"

T_BAD_RE='Oops|BUG|WARNING|general protection'
T_DMESG_N=0

# The spinning guest.  Bochs 2.7 takes no external-interrupt VM exit while
# the nested guest runs with IF=0 (measured: `jmp $` with IF=0 never gives
# the lab's CPU back, on kvm_intel too; `sti; jmp $` does).  So a spinner
# must set IF first: /lab/guests/spin.bin when it starts with STI (0xfb),
# else the lab's own 3-byte `sti; jmp $`.  No interrupt is ever injected
# into it, so IF=1 changes nothing else.
# /lab/guests/spin-sti.bin, when the guests provide it, is such a spinner.
LV_GUEST_SPIN=/lab/guests/spin.bin
if [ -f /lab/guests/spin-sti.bin ]; then
	LV_GUEST_SPIN=/lab/guests/spin-sti.bin
elif [ -f "$LV_GUEST_SPIN" ] && [ "$(head -c 1 "$LV_GUEST_SPIN" | od -An -tx1 | tr -d ' ')" != fb ]; then
	LV_GUEST_SPIN=/tmp/lab-spin-sti.bin
	[ -f "$LV_GUEST_SPIN" ] || printf '\373\353\376' > "$LV_GUEST_SPIN"
fi

T_FAILFILE=${T_FAILFILE:-/tmp/lab-test-failures}

t_pass() { echo "TEST $1 PASS"; }
t_fail() {
	local n=$1
	shift
	echo "$n" >> "$T_FAILFILE"
	# one line, whatever the reason holds
	echo "TEST $n FAIL $(echo "${*:-no reason given}" | tr '\n' ' ' | cut -c1-300 | sed 's/ *$//')"
}

t_exec() {
	T_OUT=$("$@" 2>&1)
	T_ST=$?
	return 0
}

# t_test_bin PROG: T_BIN = the path of test program PROG (PATH, else
# /lab/bin); returns 1 with a FAIL line when it is missing
t_test_bin() {
	T_BIN=$(command -v "$1" 2>/dev/null)
	[ -n "$T_BIN" ] || T_BIN=/lab/bin/$1
	[ -x "$T_BIN" ] && return 0
	t_fail "${1#lv-}" "$1 missing (tests/uapi/build not built?)"
	return 1
}

# t_test_log NAME LOG STATUS: check what a test program that prints its own
# "TEST ..." lines left in LOG, with its exit status.  It fails (TEST NAME
# FAIL, return 1) when it printed no result or exited non-zero without a
# FAIL line; it returns 1 as well when one of its own tests failed.
t_test_log() {
	if ! grep -q '^TEST ' "$2"; then
		t_fail "$1" "it printed no result (exit status $3)"
		return 1
	fi
	if [ "$3" != 0 ] && ! grep -q '^TEST [^ ]* FAIL' "$2"; then
		t_fail "$1" "it exited $3 without a FAIL line"
		return 1
	fi
	! grep -q '^TEST [^ ]* FAIL' "$2"
}

t_dmesg_mark() { T_DMESG_N=$(dmesg | wc -l); }
t_dmesg_new() { dmesg | tail -n +$((T_DMESG_N + 1)); }
t_dmesg_bad() { t_dmesg_new | grep -E "$T_BAD_RE"; }

t_begin() {
	T_NAME=$1
	T_WHY=
	t_dmesg_mark
}
t_bad() { [ -n "$T_WHY" ] || T_WHY=$(echo "$*" | tr '\n' ' '); }
t_end() {
	local bad
	bad=$(t_dmesg_bad | head -n 3)
	if [ -n "$bad" ]; then
		t_dmesg_new | sed 's/^/  dmesg: /' | head -n 60
		t_bad "dmesg: $bad"
	fi
	if [ -n "$T_WHY" ]; then
		t_fail "$T_NAME" "$T_WHY"
		return 1
	fi
	t_pass "$T_NAME"
}

# t_status_ok WANT GOT
t_status_ok() {
	case $1 in
	any) return 0;;
	nonzero) [ "$2" != 0 ];;
	*) [ "$2" = "$1" ];;
	esac
}

t_run() {
	local name=$1 want=$2 re=$3
	shift 3
	t_begin "$name"
	t_exec "$@"
	if ! t_status_ok "$want" "$T_ST"; then
		t_bad "'$*' exited $T_ST, expected $want: $(echo "$T_OUT" | tail -n 3)"
	elif [ -n "$re" ] && ! echo "$T_OUT" | grep -qE "$re"; then
		t_bad "'$*' output does not match /$re/: $(echo "$T_OUT" | tail -n 3)"
	fi
	[ -z "$T_WHY" ] || echo "$T_OUT" | tail -n 20 | sed 's/^/  | /'
	t_end
}

cpu_list_expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		seq "$a" "${b:-$a}"
	done | tr '\n' ' ' | sed 's/ $//'
}

# module refcount from /proc/modules, empty if not loaded
mod_refs() { awk -v m="$1" '$1 == m { print $3 }' /proc/modules; }
mod_loaded() { grep -q "^$1 " /proc/modules; }

lv_spin_bg() {
	local accel=$1 cpu=${2:-}
	LV_LOG=$(mktemp /tmp/lvctl.XXXXXX)
	if [ -n "$cpu" ]; then
		taskset -c "$cpu" lvctl run --accel "$accel" --mode real "$LV_GUEST_SPIN" >"$LV_LOG" 2>&1 &
	else
		lvctl run --accel "$accel" --mode real "$LV_GUEST_SPIN" >"$LV_LOG" 2>&1 &
	fi
	LV_PID=$!
}

# A VM is up when the process holds an anonymous-inode fd (VM/vCPU fds are
# anon inodes in labvisor and kvm alike); then let it run for a second.
lv_wait_vm() {
	local pid=$1 i=0
	while [ $i -lt 100 ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'anon_inode'; then
			sleep 1
			kill -0 "$pid" 2>/dev/null
			return
		fi
		usleep 200000
		i=$((i + 1))
	done
	return 1
}

lv_stop() {
	local pid=$1 i=0
	kill -INT "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		usleep 200000
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "  lvctl $pid ignored SIGINT for 10 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	LV_ST=$?
}
