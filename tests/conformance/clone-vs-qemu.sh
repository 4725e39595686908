#!/bin/sh
# Differential conformance test of cloned devices: sim-pci,config=DUMP with the
# QEMU 7.2 dumps of tests/conformance/traces/dumps against the QEMU devices
# themselves (nvme, virtio-blk-pci, e1000), through qtest; see clone_vs_qemu.py
# for what is compared and the intended differences. Environment: SPHB,
# SPHB_TOP, QEMU_PPC64. Exit 0 all matched, 1 mismatch, 77 no QEMU/python3.
command -v python3 >/dev/null 2>&1 || { echo "clone-vs-qemu: skipped: python3 not found"; exit 77; }
exec python3 -B "$(dirname "$0")/clone_vs_qemu.py" "$@"
