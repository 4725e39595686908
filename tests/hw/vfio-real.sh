#!/bin/sh
# Real-host test of the VFIO backend: runs only on a POWER host whose
# /dev/vfio/vfio offers the sPAPR TCE IOMMU (Linux >= 6.4: VFIO on POWER was
# broken from 5.19 to 6.3) and where SPHB_VFIO_HOST names a device bound to
# vfio-pci (docs/vfio.md); exits 77 elsewhere. It passes the device through,
# reads its IDs through RTAS, and walks one EEH cycle: enable, PE state, hot
# reset, deactivate, configure, state.
set -u
S=${SPHB:?}
case $(uname -m) in
ppc64le | ppc64) ;;
*) echo "not a POWER host ($(uname -m))"; exit 77 ;;
esac
[ -c /dev/vfio/vfio ] || { echo "no /dev/vfio/vfio (modprobe vfio-pci)"; exit 77; }
rel=$(uname -r)
major=${rel%%.*}
minor=${rel#*.}
minor=${minor%%[!0-9]*}
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 4 ]; }; then
	echo "Linux $rel: VFIO on POWER needs >= 6.4"
	exit 77
fi
[ -n "${SPHB_VFIO_HOST:-}" ] || { echo "set SPHB_VFIO_HOST=DDDD:BB:DD.F (a device bound to vfio-pci, docs/vfio.md)"; exit 77; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(printf '%s\n' \
	'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4' \
	'rtas ibm,get-config-addr-info2 0x1000 0x8000000 0x20000000 1' \
	'rtas ibm,set-eeh-option 0x1000 0x8000000 0x20000000 1' \
	'rtas ibm,read-slot-reset-state2 0x1 0x8000000 0x20000000' \
	'rtas ibm,set-slot-reset 0x1 0x8000000 0x20000000 1' \
	'rtas ibm,set-slot-reset 0x1 0x8000000 0x20000000 0' \
	'rtas ibm,configure-pe 0x1 0x8000000 0x20000000' \
	'rtas ibm,read-slot-reset-state2 0x1 0x8000000 0x20000000' \
	'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4' |
	"$S" run -device "vfio-pci,host=$SPHB_VFIO_HOST,bus=pci.0,addr=2" - 2>"$err")
rc=$?
cat "$err" >&2
if [ $rc -ne 0 ]; then
	# a host (or build) that cannot pass devices through is a skip, not a failure
	if grep -q -e 'not sPAPR TCE' -e 'no VFIO backend' "$err"; then
		echo "no sPAPR TCE VFIO here: $(head -n 1 "$err")"
		exit 77
	fi
	echo "sphb failed (exit $rc)"
	exit 1
fi
echo "$out"
ids=$(echo "$out" | sed -n 1p)
echo "$ids" | grep -q '^rtas ibm,read-pci-config -> 0 ' || exit 1
echo "$ids" | grep -q '0xffffffff' && { echo "the device reads all-ones"; exit 1; }
echo "$out" | sed -n 2p | grep -q ' -> 0 0x00000002$' || exit 1
echo "$out" | sed -n 3p | grep -q ' -> 0$' || exit 1
echo "$out" | sed -n 5p | grep -q ' -> 0$' || exit 1
echo "$out" | sed -n 6p | grep -q ' -> 0$' || exit 1
echo "$out" | sed -n 8p | grep -q ' -> 0 0x00000000 0x00000001' || exit 1
[ "$(echo "$out" | sed -n 9p)" = "$ids" ] || { echo "IDs changed across the reset"; exit 1; }
exit 0
