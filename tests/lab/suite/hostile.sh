#!/bin/sh
# A hostile guest fails the VM, never the host: guests made of random bytes,
# entered in real mode, 32-bit protected mode and long mode, each run on
# labvisor until it stops by itself or SIGINT stops it.  Every outcome lvctl
# documents is fine (halt 0, debug exit odd, shutdown 4, failed/internal 6,
# signal 8); lvctl failing (2), crashing, or not stopping on SIGINT is not.
# Afterwards dmesg must hold no Oops/BUG/WARNING and a good guest must run.
. /lab/suite/lib.sh
FAILED=0
RUNS=${LV_HOSTILE_RUNS:-12}

hostile_mode() {	# MODE
	t_begin "labvisor/hostile-$1"
	i=0
	outcomes=
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		g=/tmp/hostile-$1-$i.bin
		head -c 8192 /dev/urandom > "$g"
		# SIGINT after 1 s; SIGKILL only if lvctl ignores it
		timeout -s KILL 90 timeout -s INT 1 \
			lvctl run --mode "$1" --mem 16M "$g" > /tmp/hostile.out 2>&1
		st=$?
		outcomes="$outcomes $st"
		case $st in
		0|4|6|8) ;;
		*)
			if [ "$st" -lt 128 ] && [ $((st % 2)) = 1 ]; then
				:	# the guest wrote to the debug-exit port
			else
				t_bad "run $i: lvctl exit status $st: $(tail -n 2 /tmp/hostile.out | tr '\n' ' ') bytes: $(head -c 16 "$g" | od -An -tx1 | tr -d '\n')"
			fi
			;;
		esac
		rm -f "$g"
	done
	echo "  | $1: $RUNS random guests, lvctl statuses:$outcomes"
	t_end || FAILED=1
}

hostile_mode real
hostile_mode prot32
hostile_mode long64

t_run labvisor/healthy-after-hostile 1 '^PASS cpuid$' lvctl run /lab/guests/cpuid.elf || FAILED=1
exit $FAILED
