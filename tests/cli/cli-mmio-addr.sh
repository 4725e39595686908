#!/bin/sh
# CPU accesses by guest physical address (docs/cli.md "Script language":
# mmio load/store, gpa(PHB,SPACE,BUS)): routed as a VMM's MMIO exit is, to
# the BAR that decodes the address. Expected addresses come from QEMU 7.2's
# placement (hw/ppc/spapr.c spapr_phb_placement(): PHB N's 32-bit window at
# 0x200000000000 + (N + 1) * 2 GiB decodes bus 0x80000000.., its 64-bit
# window at 0x200000000000 + (N + 1) * 1 TiB decodes the same bus addresses
# (bus address = CPU address, spapr_phb_realize()),
# its I/O window at 0x200000000000 + N * 64 KiB decodes bus 0..); a BAR's
# bytes are the same whether reached by address or by `mmio read DEV BAR`.
# PAPR's bus rules: an address no BAR decodes reads all-ones; a stopped PE
# reads all-ones; a load from a BAR whose function has Memory Space off
# freezes an EEH-capable function's PE.
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
no() { echo "FAIL: $*"; fail=1; }
DEVS="-device sim-pci,bus=pci.0,addr=2,id=d,bar0=mem32:4K,bar2=mem64:64K,bar4=io:256,iommu-group=3
-device spapr-pci-host-bridge,index=5,id=phb5
-device sim-pci,bus=phb5.0,addr=1,id=q,bar0=mem32:4K"

cat >"$tmp/ok.sphb" <<'EOF'
# firmware's work: BAR0 at bus 0x80000000, BAR2 (64-bit) at 0x210000100000, BAR4 (I/O) at 0x1000
rtas ibm,write-pci-config cfg(d,0x10) buid(d) 4 0x80000000
rtas ibm,write-pci-config cfg(d,0x18) buid(d) 4 0x00100000
rtas ibm,write-pci-config cfg(d,0x1c) buid(d) 4 0x2100
rtas ibm,write-pci-config cfg(d,0x20) buid(d) 4 0x1000
rtas ibm,write-pci-config cfg(d,0x04) buid(d) 2 0x0003
rtas ibm,write-pci-config cfg(q,0x10) buid(q) 4 0x80004000
rtas ibm,write-pci-config cfg(q,0x04) buid(q) 2 0x0002
mmio store 0x200080000008 4 0x11223344
mmio load gpa(pci,mem32,0x80000008) 4
mmio read d 0 8 4
mmio store gpa(pci,mem64,0x210000100100) 8 0x0102030405060708
mmio load 0x210000100100 8
mmio read d 2 0x100 8
mmio store gpa(pci,io,0x1010) 2 0xbeef
mmio load 0x200000001010 2
mmio read d 4 0x10 2
mmio store gpa(phb5,mem32,0x80004000) 4 0x55
mmio load 0x200300004000 4
mmio read q 0 0 4
# unaligned: the bytes at the address (PCI order), as a VMM's exit gives them
mmio load 0x200080000009 2
# nothing decodes there: all-ones; stores vanish
mmio store gpa(pci,mem32,0x80001000) 4 7
mmio load gpa(pci,mem32,0x80001000) 4
# Memory Space off, then a load of BAR0: master abort, the PE freezes
rtas ibm,write-pci-config cfg(d,0x04) buid(d) 2 0x0001
mmio load gpa(pci,mem32,0x80000008) 4
rtas ibm,write-pci-config cfg(d,0x04) buid(d) 2 0x0003
mmio load gpa(pci,mem32,0x80000008) 4
rtas ibm,read-slot-reset-state2 0x1000 buid(pci) nret=4
EOF
cat >"$tmp/ok.exp" <<'EOF'
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
mmio 0x200080000008 -> 0x11223344
mmio d -> 0x11223344
mmio 0x210000100100 -> 0x0102030405060708
mmio d -> 0x0102030405060708
mmio 0x200000001010 -> 0xbeef
mmio d -> 0xbeef
mmio 0x200300004000 -> 0x00000055
mmio q -> 0x00000055
mmio 0x200080000009 -> 0x2233
mmio 0x200080001000 -> 0xffffffff
rtas ibm,write-pci-config -> 0
mmio 0x200080000008 -> 0xffffffff
rtas ibm,write-pci-config -> 0
mmio 0x200080000008 -> 0xffffffff
rtas ibm,read-slot-reset-state2 -> 0 0x00000002 0x00000001 0x000003e8
EOF
# shellcheck disable=SC2086
"$S" run $DEVS "$tmp/ok.sphb" >"$tmp/ok.out" 2>"$tmp/ok.err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/ok.err" ] || no "ok script: exit $rc, stderr '$(cat "$tmp/ok.err")'"
cmp -s "$tmp/ok.exp" "$tmp/ok.out" || { no "output differs (expected vs got):"; diff "$tmp/ok.exp" "$tmp/ok.out"; }

# bad statements stop the run with exit 2 and one line naming the problem
check() { # LINE EXPECTED-REASON
	printf 'mem write 0x300 7\n%s\nmem read 0x300 1\n' "$1" >"$tmp/bad.sphb"
	# shellcheck disable=SC2086
	"$S" run $DEVS "$tmp/bad.sphb" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	[ "$rc" = 2 ] || no "'$1': exit $rc, expected 2"
	[ "$(wc -l <"$tmp/bad.err")" = 1 ] || no "'$1': stderr is not one line: $(cat "$tmp/bad.err")"
	grep -qF -- "$2" "$tmp/bad.err" || no "'$1': stderr lacks '$2': $(cat "$tmp/bad.err")"
	[ ! -s "$tmp/bad.out" ] || no "'$1': the run went on: $(cat "$tmp/bad.out")"
}
check "mmio load 0x10 4" "mmio load: 0x10 is outside every PHB window"
check "mmio load 0x200080000000 3" "bad size '3' (1, 2, 4 or 8)"
check "mmio store 0x200080000000 1 0x100" "bad value '0x100' for 1 bytes"
check "mmio store 0x200080000000 4" "expected 'mmio load ADDR SIZE' or 'mmio store ADDR SIZE VALUE'"
check "mmio load gpa(nope,mem32,0x80000000) 4" "unknown PHB 'nope'"
check "mmio load gpa(pci,mem,0x80000000) 4" "bad window 'mem' (io, mem32 or mem64)"
check "mmio load gpa(pci,mem32,0x10) 4" "bus address '0x10' is outside the window (0x80000000..0xffffffff)"
check "mmio load gpa(phb5,mem64,0x210000000000) 4" "outside the window (0x260000000000..0x26ffffffffff)"
check "mmio load gpa(pci,mem32) 4" "expected gpa(PHB,io|mem32|mem64,BUS_ADDRESS)"
check "mmio load -5 4" "bad address '-5'"
exit $fail
