#!/bin/bash
# Smoke tests of the patched QEMU: a stock pseries guest must still work with
# QEMU's own PHB and VIO devices (patch 1 must not change anything for them).
#
#   contrib/qemu/smoke.sh [QEMU]     QEMU defaults to `build.sh --print-bin`
#
# 1. SLOF: -device e1000 on QEMU's PHB + spapr-vscsi; SLOF must list the NIC
#    under the PHB node, the vscsi adapter, and reach its "0 >" prompt.
# 2. Linux (when SPHB_QEMU_KERNEL is set, or the Debian installer's ppc64el
#    kernel is cached, see below): the kernel must probe QEMU's PHB, enumerate
#    the e1000 on it (PCI 0000:00:00.0, TCE IOMMU group), initialize pSeries
#    EEH and reach user space.
#    SPHB_QEMU_KERNEL / SPHB_QEMU_INITRD: vmlinux and initrd to boot. Without
#    them the script uses $SPHB_CACHE/qemu/guest/ (filled by --fetch-kernel:
#    `apt-get download debian-installer-12-netboot-ppc64el`, an arch-all
#    package holding bookworm's ppc64el installer kernel and initrd).
# Prints one line per check and "N passed, N failed" at the end.

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${SPHB_CACHE:-/var/cache/sphb}
GUEST=$CACHE/qemu/guest
TIMEOUT_SLOF=${TIMEOUT_SLOF:-120}
TIMEOUT_LINUX=${TIMEOUT_LINUX:-300}

FETCH=0
if [ "${1:-}" = --fetch-kernel ]; then
	FETCH=1
	shift
fi
QEMU=${1:-}
if [ -z "$QEMU" ]; then
	QEMU=$("$HERE/build.sh" --print-bin) || { echo "smoke.sh: build failed" >&2; exit 1; }
fi

PASS=0
FAIL=0
check() { # name, file, extended regexp
	if grep -Eq -- "$3" "$2"; then
		echo "PASS: $1"
		PASS=$((PASS + 1))
	else
		echo "FAIL: $1 (no /$3/ in $2)"
		FAIL=$((FAIL + 1))
	fi
}

LOG=$(mktemp -d /tmp/sphb-smoke.XXXXXX)

# ---- 1. SLOF -------------------------------------------------------------------
# auto-boot?=false: stop at the prompt instead of trying to boot.
timeout "$TIMEOUT_SLOF" "$QEMU" -M pseries -m 1G -nographic -nodefaults \
	-serial mon:stdio -prom-env 'auto-boot?=false' \
	-device e1000,id=nic0,netdev=n0 -netdev user,id=n0 \
	-device spapr-vscsi,id=vscsi0 \
	< /dev/null > "$LOG/slof.log" 2>&1 &
QPID=$!
for _ in $(seq "$TIMEOUT_SLOF"); do
	sleep 1
	grep -q '0 >' "$LOG/slof.log" 2>/dev/null && break
	kill -0 "$QPID" 2>/dev/null || break
done
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
tr -d '\r' < "$LOG/slof.log" > "$LOG/slof.txt"
check "SLOF starts" "$LOG/slof.txt" 'SLOF'
check "SLOF populates QEMU's PHB" "$LOG/slof.txt" 'Populating /pci@800000020000000'
check "SLOF sees the e1000 on QEMU's PHB" "$LOG/slof.txt" '8086 100e'
check "SLOF sees the spapr-vscsi adapter" "$LOG/slof.txt" 'v-scsi'
check "SLOF reaches its prompt" "$LOG/slof.txt" '0 >'

# ---- 2. Linux ------------------------------------------------------------------
KERNEL=${SPHB_QEMU_KERNEL:-}
INITRD=${SPHB_QEMU_INITRD:-}
DI=$GUEST/x/usr/lib/debian-installer/images/12/ppc64el/text/debian-installer/ppc64el
if [ -z "$KERNEL" ] && [ "$FETCH" = 1 ] && [ ! -f "$DI/vmlinux" ]; then
	mkdir -p "$GUEST"
	(cd "$GUEST" && apt-get download -qq debian-installer-12-netboot-ppc64el &&
		dpkg-deb -x debian-installer-12-netboot-ppc64el_*.deb x) ||
		echo "smoke.sh: could not fetch the installer kernel" >&2
fi
if [ -z "$KERNEL" ] && [ -f "$DI/vmlinux" ]; then
	KERNEL=$DI/vmlinux
	INITRD=$DI/initrd.gz
fi
if [ -n "$KERNEL" ]; then
	INITRD_OPT=()
	[ -n "$INITRD" ] && INITRD_OPT=(-initrd "$INITRD")
	timeout "$TIMEOUT_LINUX" "$QEMU" -M pseries -m 2G -nographic -nodefaults \
		-serial mon:stdio -kernel "$KERNEL" "${INITRD_OPT[@]}" \
		-append 'console=hvc0 loglevel=7 debian-installer/framebuffer=false' \
		-device e1000,id=nic0,netdev=n0 -netdev user,id=n0 \
		-device spapr-vscsi,id=vscsi0 \
		< /dev/null > "$LOG/linux.log" 2>&1 &
	QPID=$!
	for _ in $(seq "$TIMEOUT_LINUX"); do
		sleep 1
		grep -Eq 'Run /init|Kernel panic|Freeing unused kernel' "$LOG/linux.log" 2>/dev/null && { sleep 5; break; }
		kill -0 "$QPID" 2>/dev/null || break
	done
	kill "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	tr -d '\r' < "$LOG/linux.log" > "$LOG/linux.txt"
	check "Linux boots" "$LOG/linux.txt" 'Linux version'
	check "Linux probes QEMU's PHB" "$LOG/linux.txt" 'PCI host bridge to bus 0000:00'
	# The bookworm kernel logs the vendor/device ids only at debug level;
	# the e1000 is the only function, at 00.0, and gets a TCE IOMMU group.
	check "Linux enumerates the e1000 on QEMU's PHB" "$LOG/linux.txt" 'pci 0000:00:00\.0: Adding to iommu group'
	check "Linux initializes pSeries EEH" "$LOG/linux.txt" 'EEH: pSeries platform initialized'
	check "Linux reaches user space" "$LOG/linux.txt" 'Run /init|Freeing unused kernel'
else
	echo "SKIP: Linux boot (no kernel: set SPHB_QEMU_KERNEL or run with --fetch-kernel)"
fi

echo "logs: $LOG"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
