#!/bin/sh
# Dump a QEMU pseries device's configuration space in `lspci -vv -xxxx` form,
# through qtest RTAS calls (see tools/qemu-lspci.py for the details), e.g.
#   tools/qemu-lspci.sh -device e1000,bus=pci.0,addr=3 > e1000.lspci
# Exit status 0 dumped, 1 error, 2 usage, 77 QEMU or python3 missing.
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
if ! command -v python3 >/dev/null 2>&1; then
	echo "qemu-lspci: python3 not found" >&2
	exit 77
fi
exec python3 -B "$here/qemu-lspci.py" "$@"
