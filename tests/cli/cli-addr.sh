#!/bin/sh
# Address functions in scripts (docs/cli.md "Script language"): cfg(DEV),
# cfg(DEV,REG), buid(ID), buid_hi(ID), buid_lo(ID) stand for the numbers a
# script would otherwise compute by hand. Expected words come from QEMU 7.2's
# placement (hw/ppc/spapr_pci.c: BUID = 0x0800000020000000 + index) and the
# RTAS config address layout of LoPAR section 7.3.4 (bus << 16 | devfn << 8 |
# register, register bits 8-11 in bits 28-31).
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
no() { echo "FAIL: $*"; fail=1; }
DEVS="-device sim-pci,bus=pci.0,addr=2,id=d,vendor=0x8086,device=0x100e
-device sim-pci,bus=pci.0,addr=4.1,id=e,multifunction=on,pcie=on
-device spapr-pci-host-bridge,index=5,id=phb5
-device sim-pci,bus=phb5.0,addr=0x1f,id=q,vendor=0x1af4,device=0x1041"

cat >"$tmp/ok.sphb" <<'EOF'
mem write 0x100 cfg(d) cfg(e) cfg(q) cfg(d,0x10) cfg(e,0x104) cfg(q,0xfff)
mem read 0x100 6
mem write 0x200 buid(pci) buid(phb5) buid(d) buid(q) buid_hi(q) buid_lo(q) buid_lo(phb5.0)
mem read 0x200 11
# the same calls with numbers and with functions answer the same
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 4
rtas ibm,read-pci-config cfg(d) buid(d) 4
rtas ibm,read-pci-config 0xf800 0x08000000 0x20000005 4
rtas ibm,read-pci-config cfg(q) buid(phb5) 4
rtas ibm,read-pci-config cfg(q,2) buid_hi(q) buid_lo(q) 2
EOF
cat >"$tmp/ok.exp" <<'EOF'
mem 0x100 -> 0x00001000 0x00002100 0x0000f800 0x00001010 0x10002104 0xf000f8ff
mem 0x200 -> 0x08000000 0x20000000 0x08000000 0x20000005 0x08000000 0x20000000 0x08000000 0x20000005 0x08000000 0x20000005 0x20000005
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> 0 0x10411af4
rtas ibm,read-pci-config -> 0 0x10411af4
rtas ibm,read-pci-config -> 0 0x00001041
EOF
# shellcheck disable=SC2086
"$S" run $DEVS "$tmp/ok.sphb" >"$tmp/ok.out" 2>"$tmp/ok.err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/ok.err" ] || no "ok script: exit $rc, stderr '$(cat "$tmp/ok.err")'"
cmp -s "$tmp/ok.exp" "$tmp/ok.out" || { no "output differs (expected vs got):"; diff "$tmp/ok.exp" "$tmp/ok.out"; }

# bad uses stop the run with exit 2 and one line naming the word
check() { # LINE EXPECTED-REASON
	printf 'mem write 0x300 7\n%s\nmem read 0x300 2\n' "$1" >"$tmp/bad.sphb"
	# shellcheck disable=SC2086
	"$S" run $DEVS "$tmp/bad.sphb" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	[ "$rc" = 2 ] || no "'$1': exit $rc"
	[ "$(cat "$tmp/bad.err")" = "sphb: $tmp/bad.sphb:2: $2" ] ||
		no "'$1': stderr '$(cat "$tmp/bad.err")', expected 'sphb: $tmp/bad.sphb:2: $2'"
	[ ! -s "$tmp/bad.out" ] || no "'$1': stdout '$(cat "$tmp/bad.out")'"
}
check "rtas ibm,read-pci-config cfg(nosuch) buid(d) 4" "rtas: 'cfg(nosuch)': unknown device 'nosuch'"
check "rtas ibm,read-pci-config cfg(phb5) buid(d) 4" "rtas: 'cfg(phb5)': unknown device 'phb5'"
check "rtas ibm,read-pci-config cfg(d) buid(nosuch) 4" "rtas: 'buid(nosuch)': unknown PHB or device 'nosuch'"
check "rtas ibm,read-pci-config cfg(d,0x1000) buid(d) 4" "rtas: 'cfg(d,0x1000)': bad register (0..0xfff)"
check "rtas ibm,read-pci-config cfg(d,) buid(d) 4" "rtas: 'cfg(d,)': bad register (0..0xfff)"
check "rtas ibm,read-pci-config cfg(d buid(d) 4" "rtas: 'cfg(d': expected cfg(ID) or cfg(ID,REG)"
check "rtas ibm,read-pci-config cfg(d)x buid(d) 4" "rtas: 'cfg(d)x': expected cfg(ID) or cfg(ID,REG)"
check "rtas ibm,read-pci-config cfg() buid(d) 4" "rtas: 'cfg()': expected a device or PHB id"
check "rtas ibm,read-pci-config cfg(d) buid(d,1) 4" "rtas: 'buid(d,1)': unknown PHB or device 'd,1'"
check "mem write 0x300 1 2 buid(nosuch)" "mem write: 'buid(nosuch)': unknown PHB or device 'nosuch'"
check "mem write64 0x300 buid(d)" "mem write64: bad value 'buid(d)'"
exit $fail
