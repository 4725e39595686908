#!/bin/sh
# Fetch the ppc64el inputs of the guest tests into the cache
# ${SPHB_CACHE:-/var/cache/sphb}/guest, keyed by package versions:
#   kernel/<package>_<version>/   Debian's linux-image-6.12.*-powerpc64le,
#                                 extracted, with modules.dep from depmod -b
#   busybox/<version>/            busybox-static, extracted
#   libfdt/<version>/             libfdt-dev + libfdt1, extracted (for a
#                                 later static cross-build of sphb)
#   debs/                         the downloaded .deb files
#   current.env                   shell assignments naming all of the above
# and print current.env (KEY='value' lines) on stdout; messages go to stderr.
#
# When current.env names complete trees nothing else happens (no apt-get
# update, no network). Otherwise, as root: add the ppc64el foreign
# architecture and a bookworm-backports source restricted to ppc64el and
# pinned to priority 1, apt-get update, pick the newest 6.12 kernel, and
# apt-get download + dpkg-deb -x. Nothing of ppc64el is ever installed.
#
# Options: --refresh  look for newer packages even if the cache is complete
# Environment: SPHB_CACHE (cache root), SPHB_GUEST_KERNEL (a package name,
#   optionally =VERSION, instead of the newest), SPHB_GUEST_KERNEL_SUITE
#   (only consider kernels from this suite, e.g. bookworm-backports).
# Exit: 0 ok, 77 cannot fetch (no network, package gone, not root with an
#   incomplete cache, not Debian), 1 other errors.
set -eu
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GUEST_DIR/lib.sh"

refresh=0
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $a (see --help)" ;;
	esac
done

ENV_FILE=$GUEST_CACHE/current.env
SOURCES=/etc/apt/sources.list.d/sphb-bookworm-backports-ppc64el.sources
PREFS=/etc/apt/preferences.d/sphb-bookworm-backports

# Is every tree named by current.env there and complete?
cache_complete() {
	[ -f "$ENV_FILE" ] || return 1
	(
		eval "$(cat "$ENV_FILE")"
		for d in "${KERNEL_DIR:-}" "${BUSYBOX_DIR:-}" "${LIBFDT_DIR:-}"; do
			[ -n "$d" ] && [ -f "$d/.complete" ] || exit 1
		done
		[ -f "$KERNEL_IMAGE" ] && [ -x "$BUSYBOX" ]
	)
}

if [ $refresh = 0 ] && cache_complete; then
	cat "$ENV_FILE"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
	skip "not a Debian host (no apt-get/dpkg): cannot fetch the guest kernel"
fi
[ "$(id -u)" = 0 ] || skip "guest cache $GUEST_CACHE incomplete and not root: run tests/guest/fetch.sh as root once"

mkdir -p "$GUEST_CACHE"
# One fetch at a time (parallel make); the lock is dropped on exit.
exec 9>"$GUEST_CACHE/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
# Another run may have completed the cache while we waited.
if [ $refresh = 0 ] && cache_complete; then
	cat "$ENV_FILE"
	exit 0
fi

need_host_pkgs depmod:kmod xz:xz-utils

# write_if_changed FILE: stdin replaces FILE only when different.
write_if_changed() {
	_new=$(cat)
	if [ ! -f "$1" ] || [ "$(cat "$1")" != "$_new" ]; then
		printf '%s\n' "$_new" >"$1"
		say "wrote $1"
	fi
}

# --- apt setup: foreign architecture, backports for ppc64el only, pinned low
if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
	say "dpkg --add-architecture ppc64el"
	dpkg --add-architecture ppc64el
fi
write_if_changed "$SOURCES" <<'EOF'
# Added by sphb tests/guest/fetch.sh: the ppc64el guest kernel may come from
# here. Only the ppc64el index is fetched, so the host (amd64) cannot see,
# let alone upgrade to, any backports package.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Architectures: ppc64el
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
write_if_changed "$PREFS" <<'EOF'
# Added by sphb tests/guest/fetch.sh: never pick anything from
# bookworm-backports unless asked for by exact version.
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 1
EOF

say "apt-get update"
apt-get update -qq >"$GUEST_CACHE/apt-update.log" 2>&1 ||
	skip "apt-get update failed (no network?): see $GUEST_CACHE/apt-update.log"
if grep -q '^[WE]:' "$GUEST_CACHE/apt-update.log"; then
	say "apt-get update warnings:"
	grep '^[WE]:' "$GUEST_CACHE/apt-update.log" >&2 || :
fi

# The host must never be offered anything from backports: the source is
# ppc64el-only and apt-cache policy must show it at priority 1...
bad_pin=$(apt-cache policy | awk '/ bookworm-backports\// && $1 != 1 { print }')
[ -z "$bad_pin" ] || die "bookworm-backports is not pinned to 1 (check $PREFS): $bad_pin"
up=$(apt-get -s -qq dist-upgrade 2>/dev/null | grep '^Inst' | grep -i backports || :)
[ -z "$up" ] || die "host would upgrade from bookworm-backports (pinning broken): $up"
# ...and never have ppc64el packages installed.
inst=$(dpkg-query -W -f '${Package}:${Architecture} ${db:Status-Abbrev}\n' 2>/dev/null |
	awk '$1 ~ /:ppc64el$/ && $2 ~ /^.i/ { print $1 }')
if [ -n "$inst" ]; then die "ppc64el packages are installed on the host: $inst"; fi

# --- choose the kernel: the newest linux-image-6.12.<n>+<abi>-powerpc64le
# (the plain image; not -64k, not -dbg), from any suite unless restricted.
pick_kernel() {
	if [ -n "${SPHB_GUEST_KERNEL:-}" ]; then
		case $SPHB_GUEST_KERNEL in
		*=*) echo "${SPHB_GUEST_KERNEL%%=*} ${SPHB_GUEST_KERNEL#*=}" ;;
		*)
			apt-cache madison "$SPHB_GUEST_KERNEL:ppc64el" 2>/dev/null |
				awk -F' *[|] *' -v n="$SPHB_GUEST_KERNEL" 'NR == 1 { print n, $2 }'
			;;
		esac
		return
	fi
	# shellcheck disable=SC2046 # one argument per package name
	apt-cache madison $(apt-cache pkgnames linux-image-6.12. |
		grep -E '^linux-image-6\.12\.[0-9]+(\+[a-z0-9.~]+)?-powerpc64le$' |
		sed 's/$/:ppc64el/') 2>/dev/null |
		awk -F' *[|] *' -v suite="${SPHB_GUEST_KERNEL_SUITE:-}" '
			$3 ~ / ppc64el Packages$/ && (suite == "" || index($3, " " suite "/")) {
				sub(/^ */, "", $1); sub(/:ppc64el$/, "", $1); print $1, $2 }' |
		sort -u | while read -r name ver; do
			if [ -z "${best:-}" ] || dpkg --compare-versions "$ver" gt "$bestver"; then
				best=$name bestver=$ver
				echo "$best $bestver"
			fi
		done | tail -n 1
}
# shellcheck disable=SC2046 # "NAME VERSION" -> $1 $2
set -- $(pick_kernel)
[ $# = 2 ] || skip "no linux-image-6.12.*-powerpc64le package for ppc64el found${SPHB_GUEST_KERNEL_SUITE:+ in $SPHB_GUEST_KERNEL_SUITE} (package gone?)"
kpkg=$1 kver=$2
bbver=$(apt-cache madison busybox-static:ppc64el | awk -F' *[|] *' 'NR == 1 { print $2 }')
fdtver=$(apt-cache madison libfdt-dev:ppc64el | awk -F' *[|] *' 'NR == 1 { print $2 }')
fdt1ver=$(apt-cache madison libfdt1:ppc64el | awk -F' *[|] *' 'NR == 1 { print $2 }')
[ -n "$bbver" ] || skip "busybox-static:ppc64el not found"
if [ -z "$fdtver" ] || [ -z "$fdt1ver" ]; then skip "libfdt-dev/libfdt1:ppc64el not found"; fi
say "kernel $kpkg $kver, busybox-static $bbver, libfdt-dev $fdtver, libfdt1 $fdt1ver"

key() { printf '%s' "$1" | tr ':/' '__'; }
KERNEL_DIR=$GUEST_CACHE/kernel/$(key "${kpkg}_$kver")
BUSYBOX_DIR=$GUEST_CACHE/busybox/$(key "$bbver")
LIBFDT_DIR=$GUEST_CACHE/libfdt/$(key "${fdtver}+$fdt1ver")
DEBS=$GUEST_CACHE/debs
mkdir -p "$DEBS" "$GUEST_CACHE/kernel" "$GUEST_CACHE/busybox" "$GUEST_CACHE/libfdt"

make_tmpdir
# apt drops privileges to _apt for downloads: give it a writable directory
chmod 755 "$TMPD"
mkdir "$TMPD/dl"
chown _apt "$TMPD/dl" 2>/dev/null || :

# fetch_deb PKG VERSION -> prints the path of the .deb in $DEBS
fetch_deb() {
	_f=$(find "$DEBS" -maxdepth 1 -name "${1}_*_ppc64el.deb" 2>/dev/null | while read -r _p; do
		[ "$(dpkg-deb -f "$_p" Version 2>/dev/null)" = "$2" ] && echo "$_p" && break
	done)
	if [ -z "$_f" ]; then
		say "apt-get download $1:ppc64el=$2"
		(cd "$TMPD/dl" && apt-get download -qq "$1:ppc64el=$2" >"$TMPD/dl.log" 2>&1) || {
			cat "$TMPD/dl.log" >&2
			return 1
		}
		for _p in "$TMPD/dl"/*.deb; do
			mv "$_p" "$DEBS/"
			_f=$DEBS/${_p##*/}
		done
	fi
	echo "$_f"
}

# extract DIR DEB...: dpkg-deb -x into a fresh DIR, marked complete at the end
extract() {
	_dir=$1
	shift
	[ -f "$_dir/.complete" ] && return 0
	rm -rf "$_dir" "$_dir.tmp"
	mkdir -p "$_dir.tmp"
	for _d in "$@"; do
		say "dpkg-deb -x ${_d##*/}"
		dpkg-deb -x "$_d" "$_dir.tmp"
	done
	mv "$_dir.tmp" "$_dir"
}

kdeb=$(fetch_deb "$kpkg" "$kver") || skip "cannot download $kpkg $kver (no network or package gone)"
bbdeb=$(fetch_deb busybox-static "$bbver") || skip "cannot download busybox-static $bbver"
fdtdeb=$(fetch_deb libfdt-dev "$fdtver") || skip "cannot download libfdt-dev $fdtver"
fdt1deb=$(fetch_deb libfdt1 "$fdt1ver") || skip "cannot download libfdt1 $fdt1ver"

if [ ! -f "$KERNEL_DIR/.complete" ]; then
	extract "$KERNEL_DIR" "$kdeb"
	krel=$(ls "$KERNEL_DIR/lib/modules")
	[ "$(echo "$krel" | wc -l)" = 1 ] || die "$kdeb: expected one lib/modules/<release>, got: $krel"
	# The package ships no modules.dep (postinst runs depmod): make one.
	say "depmod -b (kernel $krel)"
	depmod -b "$KERNEL_DIR" "$krel"
	touch "$KERNEL_DIR/.complete"
fi
krel=$(ls "$KERNEL_DIR/lib/modules")
kimage=$KERNEL_DIR/boot/vmlinux-$krel
[ -f "$kimage" ] || die "no $kimage in $kdeb"
if [ ! -f "$BUSYBOX_DIR/.complete" ]; then
	extract "$BUSYBOX_DIR" "$bbdeb"
	touch "$BUSYBOX_DIR/.complete"
fi
[ -x "$BUSYBOX_DIR/bin/busybox" ] || die "no bin/busybox in $bbdeb"
if [ ! -f "$LIBFDT_DIR/.complete" ]; then
	extract "$LIBFDT_DIR" "$fdtdeb" "$fdt1deb"
	touch "$LIBFDT_DIR/.complete"
fi

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
	echo "KERNEL_PKG=$(q "$kpkg")"
	echo "KERNEL_VERSION=$(q "$kver")"
	echo "KERNEL_RELEASE=$(q "$krel")"
	echo "KERNEL_DIR=$(q "$KERNEL_DIR")"
	echo "KERNEL_IMAGE=$(q "$kimage")"
	echo "KERNEL_CONFIG=$(q "$KERNEL_DIR/boot/config-$krel")"
	echo "BUSYBOX_VERSION=$(q "$bbver")"
	echo "BUSYBOX_DIR=$(q "$BUSYBOX_DIR")"
	echo "BUSYBOX=$(q "$BUSYBOX_DIR/bin/busybox")"
	echo "LIBFDT_VERSION=$(q "$fdtver")"
	echo "LIBFDT_DIR=$(q "$LIBFDT_DIR")"
} >"$TMPD/env"
mv "$TMPD/env" "$ENV_FILE"

# Keep only what current.env names (old kernels are ~120 MB each).
for d in "$GUEST_CACHE"/kernel/* "$GUEST_CACHE"/busybox/* "$GUEST_CACHE"/libfdt/*; do
	[ -e "$d" ] || continue
	case $d in "$KERNEL_DIR" | "$BUSYBOX_DIR" | "$LIBFDT_DIR") continue ;; esac
	say "pruning old $d"
	rm -rf "$d"
done
for f in "$DEBS"/*.deb; do
	case $f in "$kdeb" | "$bbdeb" | "$fdtdeb" | "$fdt1deb") continue ;; esac
	[ -e "$f" ] && rm -f "$f"
done
cat "$ENV_FILE"
