#!/bin/sh
# Real-host test of the VFIO backend: runs only on a POWER host whose
# /dev/vfio/vfio offers the sPAPR TCE IOMMU (kernel >= 6.4) and where
# SPHB_VFIO_HOST names a device bound to vfio-pci (docs/vfio.md); exits 77
# elsewhere. It passes the device through, reads its IDs through RTAS, and
# walks one EEH cycle: PE state, hot reset, deactivate, configure.
set -u
S=${SPHB:?}
[ "$(uname -m)" = ppc64le ] || [ "$(uname -m)" = ppc64 ] || { echo "not a POWER host ($(uname -m))"; exit 77; }
[ -c /dev/vfio/vfio ] || { echo "no /dev/vfio/vfio"; exit 77; }
[ -n "${SPHB_VFIO_HOST:-}" ] || { echo "set SPHB_VFIO_HOST=DDDD:BB:DD.F (a device bound to vfio-pci)"; exit 77; }
out=$(printf '%s\n' \
	'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4' \
	'rtas ibm,get-config-addr-info2 0x1000 0x8000000 0x20000000 1' \
	'rtas ibm,set-eeh-option 0x1 0x8000000 0x20000000 1' \
	'rtas ibm,read-slot-reset-state2 0x1 0x8000000 0x20000000' \
	'rtas ibm,set-slot-reset 0x1 0x8000000 0x20000000 1' \
	'rtas ibm,set-slot-reset 0x1 0x8000000 0x20000000 0' \
	'rtas ibm,configure-pe 0x1 0x8000000 0x20000000' \
	'rtas ibm,read-slot-reset-state2 0x1 0x8000000 0x20000000' |
	"$S" run -device "vfio-pci,host=$SPHB_VFIO_HOST,bus=pci.0,addr=2" -) || { echo "sphb failed"; exit 1; }
echo "$out"
echo "$out" | sed -n 1p | grep -q '^rtas ibm,read-pci-config -> 0 ' || exit 1
echo "$out" | sed -n 2p | grep -q ' -> 0 0x00000002$' || exit 1
echo "$out" | sed -n 8p | grep -q ' -> 0 0x00000000 0x00000001' || exit 1
exit 0
