#!/bin/sh
# Build a gzip'ed cpio initramfs for the ppc64le test guest from the fetched
# busybox-static and kernel modules (fetch.sh), plus a test script, and print
# its path on stdout. The image is cached in $SPHB_CACHE/guest/initramfs/
# under a hash of every input, so an unchanged rebuild is free.
#
# Usage: initramfs.sh [--script FILE] [--modules "NAME..."] [--load "NAME..."]
#                     [--file SRC[:DEST]]... [-o FILE]
#   --script FILE   guest-side test script (busybox sh), run by /init as
#                   /sphb/test.sh; without it the guest boots and powers off
#   --modules LIST  modules to put in, dependencies added (default:
#                   $DEFAULT_MODULES); built-in ones are only
#                   reported. Names may use '-' or '_'.
#   --load LIST     modules /init loads (with their dependencies) before the
#                   script (default: all of --modules; added to them); the
#                   script can load the others with modprobe
#   --file SRC[:DEST]  extra file (e.g. a static binary); DEST defaults to
#                   /sphb/<basename>; repeatable
#   -o FILE         also copy the image to FILE
# The image holds: busybox (applet links made at boot), /init
# (guest/init), /sphb/lib.sh (guest/lib.sh), the modules decompressed under
# /lib/modules/<release>/ with a matching modules.dep (busybox modprobe
# works), /etc/sphb/modules.load (insmod order) and modules.builtin.
# Exit: 0 ok, 77 inputs cannot be fetched, 1 error.
set -eu
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GUEST_DIR/lib.sh"

DEFAULT_MODULES="nvme nvme-core virtio_pci virtio_blk e1000 e1000e vfio vfio-pci vfio_iommu_spapr_tce"
script='' modules=$DEFAULT_MODULES load=- out='' files=
while [ $# -gt 0 ]; do
	case $1 in
	--script) script=${2:?--script needs a file}; shift 2 ;;
	--modules) modules=${2?--modules needs a list}; shift 2 ;;
	--load) load=${2?--load needs a list}; shift 2 ;;
	--file)
		# newline-separated list; a file name with a newline is refused below
		files="$files${files:+
}${2:?--file needs SRC[:DEST]}"
		shift 2
		;;
	-o) out=${2:?-o needs a file}; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed "\$d; s/^# \{0,1\}//; s/\\\$DEFAULT_MODULES/$DEFAULT_MODULES/"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ -z "$script" ] || [ -f "$script" ] || die "no such script: $script"
if [ "$load" = - ]; then load=$modules; else modules="$modules $load"; fi
while IFS= read -r f; do
	[ -z "$f" ] || [ -f "${f%%:*}" ] || die "no such file: ${f%%:*}"
done <<EOF
$files
EOF

need_host_pkgs cpio:cpio gzip:gzip xz:xz-utils sha256sum:coreutils
load_guest_env

# The cache key: every input's content, the module list and the fetched trees.
key=$(
	{
		echo "v1 $KERNEL_DIR $BUSYBOX_DIR modules=$modules load=$load"
		cat "$0" "$GUEST_DIR/guest/init" "$GUEST_DIR/guest/lib.sh"
		if [ -n "$script" ]; then echo "script"; cat "$script"; fi
		printf '%s\n' "$files" | while IFS= read -r f; do
			[ -n "$f" ] || continue
			echo "file $f"
			cat "${f%%:*}"
		done
	} | sha256sum | cut -c1-16
)
IMG_DIR=$GUEST_CACHE/initramfs
img=$IMG_DIR/$key.cpio.gz
if [ ! -f "$img" ]; then
	mkdir -p "$IMG_DIR"
	make_tmpdir
	r=$TMPD/root
	mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc/sphb" "$r/sphb" \
		"$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/run" "$r/mnt" "$r/root"
	cp "$BUSYBOX" "$r/bin/busybox"
	ln -s busybox "$r/bin/sh"
	cp "$GUEST_DIR/guest/init" "$r/init"
	chmod 755 "$r/init"
	cp "$GUEST_DIR/guest/lib.sh" "$r/sphb/lib.sh"
	if [ -n "$script" ]; then
		cp "$script" "$r/sphb/test.sh"
		chmod 755 "$r/sphb/test.sh"
	fi
	printf '%s\n' "$files" | while IFS= read -r f; do
		[ -n "$f" ] || continue
		src=${f%%:*}
		case $f in *:*) dest=${f#*:} ;; *) dest=/sphb/${src##*/} ;; esac
		mkdir -p "$r$(dirname "$dest")"
		cp "$src" "$r$dest"
	done

	# Modules: the closure over modules.dep, dependencies first (post-order).
	mdir=$KERNEL_DIR/lib/modules/$KERNEL_RELEASE
	# closure NAMES: "builtin N", "missing N", then "module N PATH" lines
	closure() {
		awk -v want="$1" -v bfile="$mdir/modules.builtin" '
			function norm(s) { gsub(/-/, "_", s); return s }
			function modname(p,   n) {
				n = p; sub(/.*\//, "", n); sub(/\.ko(\.(xz|gz|zst))?$/, "", n); return norm(n)
			}
			function visit(n,   k, a, i) {
				if (n in seen) return
				seen[n] = 1
				k = split(deps[n], a, " ")
				for (i = 1; i <= k; i++) visit(a[i])
				order[++no] = n
			}
			FILENAME == bfile { builtin[modname($0)] = 1; next }
			{
				p = $1; sub(/:$/, "", p); n = modname(p); path[n] = p; deps[n] = ""
				for (i = 2; i <= NF; i++) deps[n] = deps[n] " " modname($i)
			}
			END {
				m = split(want, w, " ")
				for (i = 1; i <= m; i++) {
					n = norm(w[i])
					if (n in builtin) print "builtin", n
					else if (n in path) visit(n)
					else print "missing", n
				}
				for (i = 1; i <= no; i++) print "module", order[i], path[order[i]]
			}' "$mdir/modules.builtin" "$mdir/modules.dep"
	}
	closure "$modules" >"$TMPD/mods"
	closure "$load" >"$TMPD/load"
	missing=$(awk '$1 == "missing" { printf " %s", $2 }' "$TMPD/mods")
	[ -z "$missing" ] || die "kernel $KERNEL_RELEASE has no module(s):$missing"
	awk '$1 == "builtin" { print $2 }' "$TMPD/mods" >"$r/etc/sphb/modules.builtin"
	rmdir_=$r/lib/modules/$KERNEL_RELEASE
	mkdir -p "$rmdir_"
	: >"$r/etc/sphb/modules.load"
	: >"$TMPD/incl"
	while read -r kind _ p; do
		[ "$kind" = module ] || continue
		plain=${p%.xz}
		plain=${plain%.zst}
		plain=${plain%.gz}
		mkdir -p "$(dirname "$rmdir_/$plain")"
		case $p in
		*.xz) xz -dc "$mdir/$p" >"$rmdir_/$plain" ;;
		*.zst) zstd -qdc "$mdir/$p" >"$rmdir_/$plain" ;;
		*.gz) gzip -dc "$mdir/$p" >"$rmdir_/$plain" ;;
		*) cp "$mdir/$p" "$rmdir_/$plain" ;;
		esac
		echo "$p" >>"$TMPD/incl"
	done <"$TMPD/mods"
	awk '$1 == "module" { p = $3; sub(/\.ko\..*$/, ".ko", p); print $2, p }' "$TMPD/load" >"$r/etc/sphb/modules.load"
	# modules.dep for the included modules, naming the decompressed files
	awk 'NR == FNR { incl[$1 ":"] = 1; next } $1 in incl' "$TMPD/incl" "$mdir/modules.dep" |
		sed 's/\.ko\.\(xz\|zst\|gz\)/.ko/g' >"$rmdir_/modules.dep"
	cp "$mdir/modules.builtin" "$mdir/modules.order" "$rmdir_/" 2>/dev/null || :
	say "modules: $(awk '$1 == "module" { printf "%s ", $2 }' "$TMPD/mods")(built in: $(tr '\n' ' ' <"$r/etc/sphb/modules.builtin")); loaded at boot: $(awk '{ printf "%s ", $1 }' "$r/etc/sphb/modules.load")"

	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
		gzip -6n >"$TMPD/img"
	mv "$TMPD/img" "$img"
	say "built $img ($(du -k "$img" | cut -f1) KiB)"
	# keep the 20 newest images
	# shellcheck disable=SC2012 # our own hex file names
	ls -t "$IMG_DIR"/*.cpio.gz 2>/dev/null | tail -n +21 | while read -r old; do rm -f "$old"; done
fi
if [ -n "$out" ]; then cp "$img" "$out"; fi
echo "$img"
