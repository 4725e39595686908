#!/bin/sh
# Differential conformance test of the configuration-space RTAS calls
# (ibm,read-pci-config, ibm,write-pci-config, read-pci-config,
# write-pci-config) against QEMU 7.2's pseries PHB, driven through qtest.
# For e1000, e1000e and virtio-rng-pci, QEMU and a matching sim-pci device in
# `sphb run` get the same calls: header reads at every size and offset,
# all-ones writes with read-back (BAR/ROM sizing, Command, Status W1C, ...),
# MSI / MSI-X / PCIe capability registers, and every validation branch of
# QEMU 7.2's hw/ppc/spapr_pci.c rtas_ibm_read_pci_config() and the other three
# (counts, size, BUID, device, offset). The intended differences (capability placement,
# 0x34 compared as zero/non-zero, PCIe capability version, extended-space
# contents) are documented in qemu_config.py.
#
# Environment: SPHB (the sphb binary), SPHB_TOP (repository root),
# QEMU_PPC64 (default qemu-system-ppc64). Exit status 0 all matched,
# 1 mismatch or error, 77 skipped (no QEMU or no python3).
set -u
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
SPHB_TOP=${SPHB_TOP:-$(cd "$here/../.." && pwd)}
SPHB=${SPHB:-$SPHB_TOP/build/sphb}
QEMU_PPC64=${QEMU_PPC64:-qemu-system-ppc64}
export SPHB SPHB_TOP QEMU_PPC64

if ! command -v python3 >/dev/null 2>&1; then
	echo "qemu-config: skipped: python3 not found"
	exit 77
fi
if ! command -v "$QEMU_PPC64" >/dev/null 2>&1; then
	echo "qemu-config: skipped: $QEMU_PPC64 not found"
	exit 77
fi
exec python3 -B "$here/qemu_config.py" "$@"
