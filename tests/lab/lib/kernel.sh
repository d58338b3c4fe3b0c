# Host-side helpers shared by tests/lab/kdir and tests/lab/run: which Debian
# kernel the lab boots and where its cached pieces live.  Sourced, not run.
#
# Flavour: the *cloud* flavour (linux-image-cloud-amd64).  Checked on
# 6.1.0-56: its config has CONFIG_KVM=m, CONFIG_KVM_INTEL=m, CONFIG_SMP=y,
# CONFIG_HOTPLUG_CPU=y, CONFIG_DEBUG_FS=y, CONFIG_DEVTMPFS=y, LZ4 compression
# (the generic flavour is XZ: ~40 s longer to boot in Bochs), and ships
# kvm.ko, kvm-intel.ko and irqbypass.ko.  lab_check_flavour() re-checks
# KVM_INTEL=m on every fresh download; if a future cloud kernel drops it,
# set LAB_FLAVOUR=amd64 (the generic flavour, which always has it).

LAB_FLAVOUR=${LAB_FLAVOUR:-cloud-amd64}
LAB_CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/labvisor}

lab_log() { echo "lab: $*" >&2; }
lab_die() { echo "lab: error: $*" >&2; exit 125; }

# apt-cache needs package lists; fetch them once if they are missing.
lab_apt_ready() {
	if ! apt-cache show "linux-image-$LAB_FLAVOUR" >/dev/null 2>&1; then
		lab_log "apt-get update (no package lists yet)"
		apt-get update >&2 || lab_die "apt-get update failed"
	fi
}

# The kernel version (ABI name, e.g. 6.1.0-56-cloud-amd64) the metapackage
# points at today.  LAB_KVER overrides it.
lab_kver() {
	if [ -n "${LAB_KVER:-}" ]; then echo "$LAB_KVER"; return; fi
	lab_apt_ready
	local v
	v=$(apt-cache depends "linux-image-$LAB_FLAVOUR" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n1)
	[ -n "$v" ] || lab_die "cannot resolve linux-image-$LAB_FLAVOUR with apt-cache depends"
	echo "$v"
}

# Debian version of the image package (part of the cache key).
lab_kpkgver() {
	apt-cache policy "linux-image-$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n1
}

# Install linux-headers-VER (pulls -common and linux-kbuild) if missing;
# print the headers directory.
lab_headers() {
	local kver=$1 dir=/usr/src/linux-headers-$1
	if [ ! -f "$dir/Makefile" ]; then
		lab_apt_ready
		lab_log "installing linux-headers-$kver"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			"linux-headers-$kver" >&2 || lab_die "apt-get install linux-headers-$kver failed"
	fi
	[ -f "$dir/Makefile" ] || lab_die "$dir/Makefile missing after install"
	echo "$dir"
}

lab_check_flavour() {
	grep -q '^CONFIG_KVM_INTEL=m' "$1" || lab_die \
		"$1 lacks CONFIG_KVM_INTEL=m: use LAB_FLAVOUR=amd64 (generic flavour)"
}

# Fetch the image package into the cache (once per kernel version and
# package version); print the cache directory, which holds:
#   vmlinuz, config, modules/lib/modules/VER/... (kvm, kvm-intel, irqbypass,
#   tun and every module they need, plus modules.order/builtin), stamp
lab_kernel() {
	local kver=$1 pver dir tmp deb m
	lab_apt_ready
	pver=$(lab_kpkgver "$kver")
	[ -n "$pver" ] || lab_die "no package linux-image-$kver"
	dir=$LAB_CACHE/kernel/$kver/$pver
	# the stamp lists the modules: a cache from before tun was added is refetched
	if [ -f "$dir/stamp" ] && grep -qw tun "$dir/stamp"; then echo "$dir"; return; fi
	lab_log "fetching linux-image-$kver ($pver) into $dir"
	mkdir -p "$LAB_CACHE/kernel"
	tmp=$(mktemp -d "$LAB_CACHE/kernel/.fetch.XXXXXX")
	(cd "$tmp" && apt-get -o APT::Sandbox::User=root download "linux-image-$kver=$pver" >&2) ||
		{ rm -rf "$tmp"; lab_die "apt-get download linux-image-$kver failed"; }
	deb=$(ls "$tmp"/*.deb)
	dpkg -x "$deb" "$tmp/x" || { rm -rf "$tmp"; lab_die "dpkg -x $deb failed"; }
	lab_check_flavour "$tmp/x/boot/config-$kver"
	mkdir -p "$tmp/out/modules/lib/modules/$kver"
	cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
	cp "$tmp/x/boot/config-$kver" "$tmp/out/config"
	local src=$tmp/x/lib/modules/$kver dst=$tmp/out/modules/lib/modules/$kver
	cp "$src/modules.order" "$src/modules.builtin" "$src/modules.builtin.modinfo" "$dst/" 2>/dev/null
	# kvm-intel (the comparison), tun (virtio-net's TAP backend) and
	# everything they depend on, transitively (modinfo depends)
	local todo="kvm-intel tun" seen="" name f deps
	while [ -n "$(echo $todo)" ]; do
		set -- $todo; name=$1; shift; todo="$*"
		case " $seen " in *" $name "*) continue;; esac
		seen="$seen $name"
		f=$(find "$src/kernel" -name "$name.ko" -o -name "$(echo "$name" | tr _ -).ko" \
			-o -name "$(echo "$name" | tr - _).ko" | head -n1)
		[ -n "$f" ] || { rm -rf "$tmp"; lab_die "module $name not in linux-image-$kver"; }
		mkdir -p "$dst/$(dirname "${f#$src/}")"
		cp "$f" "$dst/${f#$src/}"
		deps=$(/sbin/modinfo -F depends "$f" | tr , ' ')
		todo="$todo $deps"
	done
	/sbin/depmod -b "$tmp/out/modules" "$kver" || { rm -rf "$tmp"; lab_die "depmod failed"; }
	echo "linux-image-$kver $pver modules:$seen" > "$tmp/out/stamp"
	rm -rf "$dir"; mkdir -p "$(dirname "$dir")"
	mv "$tmp/out" "$dir"; rm -rf "$tmp"
	echo "$dir"
}
