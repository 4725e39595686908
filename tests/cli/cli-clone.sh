#!/bin/sh
# sim-pci,config=FILE through the CLI (docs/cli.md "Cloning a real device"):
# a relative FILE is resolved against the current directory; `sphb run` reads
# a cloned nvme's IDs and sizes its BAR like QEMU; `sphb dt` names it and
# lists its MSI-X count; bad dumps stop before anything runs with exit 2 and
# one stderr line "sphb: -device sim-pci: config=FILE[:LINE]: reason".
# Env: SPHB (the binary), SPHB_TOP (repository root).
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
no() { echo "FAIL: $*"; fail=1; }

cp "$top/tests/conformance/traces/dumps/nvme.lspci" "$tmp/dev.lspci"
cd "$tmp" || exit 1
out=$(printf '%s\n' \
	'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4' \
	'rtas ibm,write-pci-config 0x1010 0x8000000 0x20000000 4 0xffffffff' \
	'rtas ibm,read-pci-config 0x1010 0x8000000 0x20000000 4' \
	'rtas ibm,read-pci-config 0x10001000 0x8000000 0x20000000 4' |
	"$S" run -device sim-pci,addr=2,id=nv,config=dev.lspci -)
want='rtas ibm,read-pci-config -> 0 0x00101b36
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0xffffc004
rtas ibm,read-pci-config -> 0 0x00000000'
[ "$out" = "$want" ] || no "run with a relative config=: got
$out"

if command -v dtc >/dev/null 2>&1; then
	if "$S" dt -device sim-pci,addr=2,id=nv,config=dev.lspci -o "$tmp/x.dtb" 2>"$tmp/err"; then
		dts=$(dtc -q -I dtb -O dts "$tmp/x.dtb")
		for p in 'mass-storage@2 {' 'vendor-id = <0x1b36>;' 'device-id = <0x10>;' \
			 'class-code = <0x10802>;' 'ibm,req#msi-x = <0x41>;' 'interrupts = <0x01>;' \
			 'ibm,pci-config-space-type = <0x01>;'; do
			case $dts in *"$p"*) ;; *) no "sphb dt: '$p' missing" ;; esac
		done
	else
		no "sphb dt failed: $(cat "$tmp/err")"
	fi
fi

# bad dumps: FILE|EXTRA-OPTIONS|expected stderr line
printf '00: 34 12 78 56\n' >short.lspci
head -n 4 dev.lspci >bad.lspci
echo '20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0g 00' >>bad.lspci
while IFS='|' read -r f extra want; do
	err=$("$S" run -device "sim-pci,addr=2,config=$f$extra" - </dev/null 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 2 ] || no "config=$f$extra: exit $rc, expected 2"
	[ "$err" = "$want" ] || no "config=$f$extra: stderr
  $err
expected
  $want"
done <<'EOF2'
missing.lspci||sphb: -device sim-pci: config=missing.lspci: cannot open: No such file or directory
short.lspci||sphb: -device sim-pci: config=short.lspci: only 4 bytes of configuration space; at least the 64-byte header is needed (lspci -xx)
bad.lspci||sphb: -device sim-pci: config=bad.lspci:5: bad hex byte '0g'
dev.lspci|,msi=1|sphb: -device sim-pci: msi=1: with config=, the capabilities come from the dump
dev.lspci|,bar0=mem32:4K|sphb: -device sim-pci: config=dev.lspci: bar0=mem32:4K: BAR 0 = 0x00000004 is 64-bit in the dump
EOF2
[ "$fail" = 0 ] && echo "cli-clone: all checks passed"
exit "$fail"
