#!/bin/sh
# Differential test of `sphb dt` and of ibm,change-msi / query-interrupt-source-number
# against QEMU 7.2 (see qemu_dt.py for what is compared and the intended
# differences). Exit 77 without QEMU, dtc or python3.
set -u
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
SPHB_TOP=${SPHB_TOP:-$(cd "$here/../.." && pwd)}
SPHB=${SPHB:-$SPHB_TOP/build/sphb}
QEMU_PPC64=${QEMU_PPC64:-qemu-system-ppc64}
export SPHB SPHB_TOP QEMU_PPC64
for t in python3 dtc "$QEMU_PPC64"; do
	command -v "$t" >/dev/null 2>&1 || { echo "qemu-dt: skipped: $t not found"; exit 77; }
done
exec python3 -B "$here/qemu_dt.py" "$@"
