#!/bin/bash
# Build Debian bookworm's QEMU 7.2 (ppc64-softmmu only) with the patches in
# contrib/qemu/*.patch, linked against libsphb built from this checkout.
#
#   contrib/qemu/build.sh [--print-bin] [--print-key] [--force] [--no-deps]
#
# The result is cached under $SPHB_CACHE/qemu/bin/<key>/, where <key> is a hash
# of every input (this script, the patches, include/sphb/sphb.h, src/**, the
# Makefile that builds libsphb from them, and the Debian source version): a
# second run with the same inputs only prints the paths. Output:
#   <bin>/qemu-system-ppc64        the binary
#   <bin>/qemu-system-ppc64-sphb   a wrapper adding -L for Debian's firmware
#
# Environment:
#   SPHB_CACHE          cache root (default /var/cache/sphb); must be outside
#                       any checkout
#   SPHB_QEMU_DEBVER    Debian source version (default 1:7.2+dfsg-7+deb12u18;
#                       when the mirror no longer has it, the newest
#                       1:7.2+dfsg-* is used, with a warning)
#   JOBS                ninja -j (default 2)
#   SPHB_QEMU_EXTRA_PATCHES  space-separated patch files applied after
#                       contrib/qemu/*.patch (part of the key), e.g.
#                       contrib/qemu/selftest/hooks-selftest.patch
#
# --print-bin: print only the wrapper's path on stdout (build logs go to
#              stderr), for use from a Makefile.
# --print-key: print the cache key and exit.
# --force:     rebuild even on a cache hit.
# --no-deps:   do not install missing Debian packages (fail instead).
#
# Build trees: one persistent tree ($SPHB_CACHE/qemu/tree) is reused between
# runs; files touched by the previously applied patches are restored from the
# pristine source and the patches are applied again, so changing a patch only
# rebuilds what it touches. Runs are serialized with flock.

set -euo pipefail

PRINT_BIN=0
PRINT_KEY=0
FORCE=0
DEPS=1
for arg in "$@"; do
	case "$arg" in
	--print-bin) PRINT_BIN=1 ;;
	--print-key) PRINT_KEY=1 ;;
	--force) FORCE=1 ;;
	--no-deps) DEPS=0 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "build.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${SPHB_CACHE:-/var/cache/sphb}
QDIR=$CACHE/qemu
DEBVER_DEFAULT='1:7.2+dfsg-7+deb12u18'
DEBVER=${SPHB_QEMU_DEBVER:-$DEBVER_DEFAULT}
JOBS=${JOBS:-2}

# The smallest ppc64 build that boots pseries with PCI.
CONFIGURE_ARGS=(
	--target-list=ppc64-softmmu
	--without-default-features
	--enable-fdt=system
	--enable-slirp
	--disable-docs
	--disable-tools
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
)
# Where Debian installs the firmware: SLOF and VOF (qemu-system-data),
# SeaBIOS (seabios, for the VGA BIOS) and iPXE option ROMs (ipxe-qemu).
FIRMWARE_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
# Device models the tests use; checked in -device help after a build.
REQUIRED_DEVICES=(nvme virtio-blk-pci virtio-net-pci e1000 e1000e pci-bridge
	spapr-pci-host-bridge spapr-vscsi spapr-sphb-host-bridge)

BUILD_PKGS=(gcc make meson ninja-build pkg-config python3 python3-venv flex bison
	libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev dpkg-dev)
RUN_PKGS=(qemu-system-data seabios ipxe-qemu)

say() { if [ "$PRINT_BIN" = 1 ]; then echo "build.sh: $*" >&2; else echo "build.sh: $*"; fi; }
die() { echo "build.sh: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

EXTRA_PATCHES=""
for f in ${SPHB_QEMU_EXTRA_PATCHES:-}; do
	[ -f "$f" ] || die "SPHB_QEMU_EXTRA_PATCHES: no such file: $f"
	EXTRA_PATCHES="$EXTRA_PATCHES $(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
done

case "$CACHE" in
"$REPO"|"$REPO"/*) die "SPHB_CACHE ($CACHE) must be outside the checkout" ;;
esac

# ---- cache key -------------------------------------------------------------
compute_key() {
	local f
	{
		echo "debver-requested $DEBVER"
		echo "uname-m $(uname -m)"
		for f in $EXTRA_PATCHES; do
			printf 'extra %s %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(basename "$f")"
		done
		(
			cd "$REPO"
			{
				echo contrib/qemu/build.sh
				echo Makefile
				echo include/sphb/sphb.h
				find src -type f
				find contrib/qemu -maxdepth 1 -name '*.patch' -type f
			} | LC_ALL=C sort | while read -r f; do
				printf '%s %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"
			done
		)
	} | sha256sum | cut -c1-16
}
KEY=$(compute_key)
if [ "$PRINT_KEY" = 1 ]; then
	echo "$KEY"
	exit 0
fi
BIN_DIR=$QDIR/bin/$KEY
WRAPPER=$BIN_DIR/qemu-system-ppc64-sphb

finish() {
	if [ "$PRINT_BIN" = 1 ]; then
		echo "$WRAPPER"
	else
		echo "binary:  $BIN_DIR/qemu-system-ppc64"
		echo "wrapper: $WRAPPER"
		echo "run:     $WRAPPER -M pseries -nographic ..."
	fi
}

if [ "$FORCE" = 0 ] && [ -x "$WRAPPER" ] && [ -x "$BIN_DIR/qemu-system-ppc64" ]; then
	say "cache hit ($KEY)"
	finish
	exit 0
fi

# Everything below writes into the cache: one run at a time.
mkdir -p "$QDIR"
exec 9>"$QDIR/lock"
flock 9
T0=$(now)
# Another run may have built it while we waited for the lock.
if [ "$FORCE" = 0 ] && [ -x "$WRAPPER" ] && [ -x "$BIN_DIR/qemu-system-ppc64" ]; then
	say "cache hit ($KEY)"
	finish
	exit 0
fi

# Build logs go to stderr with --print-bin.
if [ "$PRINT_BIN" = 1 ]; then
	exec 3>&1 1>&2
fi

# ---- Debian packages ---------------------------------------------------------
missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			echo "$p"
	done
}

ensure_deb_src() {
	# apt-get source needs a deb-src entry for bookworm main.
	if apt-get indextargets --format '$(CREATED_BY) $(TARGET_OF)' 2>/dev/null |
		grep -q '^Sources deb-src'; then
		return 0
	fi
	[ "$DEPS" = 1 ] && [ "$(id -u)" = 0 ] ||
		die "no deb-src entry in apt's sources; add one for bookworm main (see contrib/qemu/README.md)"
	say "adding /etc/apt/sources.list.d/sphb-deb-src.sources (bookworm main, deb-src)"
	cat > /etc/apt/sources.list.d/sphb-deb-src.sources <<-'EOF'
	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: bookworm bookworm-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	APT_UPDATED=0
}

APT_UPDATED=${APT_UPDATED:-}
apt_update_once() {
	if [ "$APT_UPDATED" != 1 ]; then
		apt-get update -qq
		APT_UPDATED=1
	fi
}

ensure_pkgs() {
	local missing
	missing=$(missing_pkgs "$@" | tr '\n' ' ')
	[ -z "${missing// }" ] && return 0
	[ "$DEPS" = 1 ] && [ "$(id -u)" = 0 ] ||
		die "missing Debian packages: $missing (apt-get install $missing)"
	say "installing $missing"
	apt_update_once
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_pkgs "${BUILD_PKGS[@]}" "${RUN_PKGS[@]}"

# ---- QEMU source (Debian's, with Debian's patches applied) -----------------
SRC_ROOT=$QDIR/src
source_dir_for() { echo "$SRC_ROOT/${1#*:}"; } # epoch dropped from the path

pick_debver() {
	local have
	have=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p')
	if ! grep -qxF "$DEBVER" <<<"$have"; then
		local newest
		newest=$(grep '^1:7\.2+dfsg-' <<<"$have" | sort -V | tail -n1 || true)
		[ -n "$newest" ] || die "no qemu 7.2+dfsg source package on the mirror (have: $(echo $have))"
		echo "build.sh: warning: qemu $DEBVER is not on the mirror; using $newest" >&2
		DEBVER=$newest
	fi
}

# Sets SRC to the unpacked source of $DEBVER, fetching it when not cached.
fetch_source() {
	local dir
	dir=$(source_dir_for "$DEBVER")
	if [ ! -f "$dir/.sphb-complete" ]; then
		# Not cached: ask the mirror (the version may have to change).
		ensure_deb_src
		apt_update_once
		pick_debver
		dir=$(source_dir_for "$DEBVER")
	fi
	if [ ! -f "$dir/.sphb-complete" ]; then
		say "fetching qemu $DEBVER source into $dir"
		rm -rf "$dir"
		mkdir -p "$dir"
		# apt-get source runs dpkg-source -x, which applies Debian's patches.
		(cd "$dir" && apt-get source -qq "qemu=$DEBVER" >"$dir/apt-source.log" 2>&1) ||
			die "apt-get source qemu=$DEBVER failed (see $dir/apt-source.log)"
		[ -f "$dir/qemu-7.2+dfsg/VERSION" ] || die "unexpected source layout in $dir"
		echo "$DEBVER" > "$dir/.sphb-complete"
	fi
	SRC=$dir/qemu-7.2+dfsg
}

fetch_source
say "QEMU source: $SRC ($(cat "$(dirname "$SRC")/.sphb-complete"))"

# ---- libsphb, exposed to QEMU's meson through pkg-config ----------------------
# Stable paths ($QDIR/sphb/{include,lib,pkgconfig}) whatever the checkout, so
# QEMU's build tree never sees a changed -I or library path; files are only
# replaced when their content changes, so ninja's mtime checks stay exact.
SPHB_PREFIX=$QDIR/sphb
SPHB_OBJ=$SPHB_PREFIX/obj
install_if_changed() { cmp -s "$1" "$2" || { mkdir -p "$(dirname "$2")"; cp "$1" "$2"; }; }

T_LIB=$(now)
rm -rf "$SPHB_OBJ"
say "building libsphb from $REPO"
make -s -C "$REPO" O="$SPHB_OBJ" -j"$JOBS" "$SPHB_OBJ/libsphb.a" >/dev/null ||
	die "make lib failed"
install_if_changed "$SPHB_OBJ/libsphb.a" "$SPHB_PREFIX/lib/libsphb.a"
install_if_changed "$REPO/include/sphb/sphb.h" "$SPHB_PREFIX/include/sphb/sphb.h"
SPHB_VERSION=$(sed -n 's/^#define SPHB_VERSION_STRING "\(.*\)"/\1/p' "$REPO/include/sphb/sphb.h")
cat > "$SPHB_OBJ/sphb.pc" <<EOF
prefix=$SPHB_PREFIX
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: sphb
Description: sPAPR PCI host bridge with EEH (static, built by contrib/qemu/build.sh)
Version: $SPHB_VERSION
Cflags: -I\${includedir}
Libs: \${libdir}/libsphb.a
EOF
install_if_changed "$SPHB_OBJ/sphb.pc" "$SPHB_PREFIX/pkgconfig/sphb.pc"
export PKG_CONFIG_PATH=$SPHB_PREFIX/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pkg-config --exists sphb || die "pkg-config cannot find sphb"
say "libsphb $SPHB_VERSION: $(elapsed "$T_LIB")s"

# ---- build tree ----------------------------------------------------------------
TREE=$QDIR/tree
STATE=$TREE/.sphb-state          # source version + configure line of the tree
APPLIED=$TREE/.sphb-touched      # files the applied patches touched
WANT_STATE="$(cat "$(dirname "$SRC")/.sphb-complete") ${CONFIGURE_ARGS[*]}"

PATCHES=()
while IFS= read -r p; do PATCHES+=("$p"); done < <(find "$HERE" -maxdepth 1 -name '*.patch' -type f | LC_ALL=C sort)
for p in $EXTRA_PATCHES; do PATCHES+=("$p"); done

# Paths a patch touches (both sides of each diff, /dev/null excluded).
patch_paths() {
	sed -n -e 's|^--- a/\([^\t]*\).*|\1|p' -e 's|^+++ b/\([^\t]*\).*|\1|p' "$@" | LC_ALL=C sort -u
}

fresh_tree() {
	say "copying the source to $TREE"
	rm -rf "$TREE"
	cp -a "$SRC" "$TREE"
	rm -f "$APPLIED"
}

T_TREE=$(now)
if [ ! -f "$STATE" ] || [ "$(cat "$STATE")" != "$WANT_STATE" ]; then
	fresh_tree
	CONFIGURED=0
else
	# Undo the previous patches: restore (with a fresh mtime) or delete.
	if [ -f "$APPLIED" ]; then
		while IFS= read -r f; do
			if [ -e "$SRC/$f" ]; then
				cp "$SRC/$f" "$TREE/$f"
			else
				rm -f "$TREE/$f"
			fi
		done < "$APPLIED"
	fi
	CONFIGURED=1
fi
rm -f "$APPLIED" "$STATE"      # the tree is inconsistent until the end
for p in "${PATCHES[@]}"; do
	say "applying $(basename "$p")"
	patch -d "$TREE" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -s -i "$p" ||
		die "$(basename "$p") does not apply to qemu $(cat "$(dirname "$SRC")/.sphb-complete")"
done
if [ "${#PATCHES[@]}" -gt 0 ]; then
	patch_paths "${PATCHES[@]}" > "$APPLIED"
else
	: > "$APPLIED"
fi
say "tree ready: $(elapsed "$T_TREE")s"

# ---- configure and build -------------------------------------------------------
cd "$TREE"
if [ "$CONFIGURED" = 0 ] || [ ! -f build/build.ninja ]; then
	T_CONF=$(now)
	say "./configure ${CONFIGURE_ARGS[*]}"
	./configure "${CONFIGURE_ARGS[@]}" > configure.log 2>&1 ||
		{ tail -n 30 configure.log >&2; die "configure failed (see $TREE/configure.log)"; }
	say "configure: $(elapsed "$T_CONF")s"
fi
echo "$WANT_STATE" > "$STATE"   # configured for this source and line

T_NINJA=$(now)
# Relink whenever the inputs changed (libsphb.a may be the only change).
rm -f build/qemu-system-ppc64
say "ninja -j$JOBS qemu-system-ppc64"
ninja -C build -j"$JOBS" qemu-system-ppc64 > build/sphb-ninja.log 2>&1 ||
	{ grep -B2 -A20 -m3 'error' build/sphb-ninja.log >&2 || tail -n 40 build/sphb-ninja.log >&2
	  die "ninja failed (see $TREE/build/sphb-ninja.log)"; }
say "ninja: $(elapsed "$T_NINJA")s"

# ---- check, install into the cache, wrapper ----------------------------------------
DEVHELP=$(build/qemu-system-ppc64 -M none -nodefaults -device help 2>&1)
for d in "${REQUIRED_DEVICES[@]}"; do
	grep -q "name \"$d\"" <<<"$DEVHELP" || die "device model '$d' is not in this build"
done

TMP_BIN=$QDIR/bin/.tmp-$KEY
rm -rf "$TMP_BIN"
mkdir -p "$TMP_BIN"
cp build/qemu-system-ppc64 "$TMP_BIN/"
L_OPTS=""
for d in "${FIRMWARE_DIRS[@]}"; do L_OPTS="$L_OPTS -L $d"; done
cat > "$TMP_BIN/qemu-system-ppc64-sphb" <<EOF
#!/bin/sh
# QEMU $(cat "$(dirname "$SRC")/.sphb-complete") + contrib/qemu patches, cache key $KEY.
# -L: Debian's firmware (SLOF/VOF from qemu-system-data, seabios, ipxe-qemu).
exec "$BIN_DIR/qemu-system-ppc64"$L_OPTS "\$@"
EOF
chmod +x "$TMP_BIN/qemu-system-ppc64-sphb"
{
	echo "key $KEY"
	echo "qemu $(cat "$(dirname "$SRC")/.sphb-complete")"
	echo "repo $REPO ($(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	echo "patches ${PATCHES[*]##*/}"
	echo "configure ${CONFIGURE_ARGS[*]}"
	echo "libsphb $SPHB_VERSION"
	echo "built $(date -u +%FT%TZ)"
} > "$TMP_BIN/BUILDINFO"
rm -rf "$BIN_DIR"
mv "$TMP_BIN" "$BIN_DIR"

# Keep the five most recent builds.
ls -1dt "$QDIR"/bin/*/ 2>/dev/null | tail -n +6 | xargs -r rm -rf

say "build time: $(elapsed "$T0")s (key $KEY)"
if [ "$PRINT_BIN" = 1 ]; then
	exec 1>&3
fi
finish
