#!/bin/sh
# The `hcall` and `dma` statements (docs/cli.md): TCE hypercalls from the
# script, device DMA through the TCE windows (OK / FAULT / BLOCKED).
set -u
S=${SPHB:?SPHB must name the sphb binary}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

cat >"$tmp/dma.sphb" <<'SCRIPT'
mem write 0x200000 0x11223344 0x55667788
hcall H_PUT_TCE 0x80000000 0x5000 0x200003
hcall H_GET_TCE 0x80000000 0x5abc
hcall 0x1c 0x80000000 0x40000000
dma read d 0x5000 8
dma write d 0x5008 0xcafef00d 0x1
mem read 0x200008 2
dma read d 0x6000 4
hcall H_PUT_TCE 0x80000000 0x6000 0x300001
dma write d 0x6000 1
dma read d 0x6ffc 4
dma read d 0x5ffc 8
hcall H_STUFF_TCE 0x80000000 0 0 0
mem write64 0x400000 0x200002
hcall H_PUT_TCE_INDIRECT 0x80000000 0x7000 0x400000 1
hcall H_PUT_TCE_INDIRECT 0x80000000 0x7000 0x400008 1
hcall H_PUT_TCE_INDIRECT 0x80000000 0x7000 0x40000000 1
dma write d 0x7000 0x99
dma read d 0x7000 4
hcall 0x44 1
rtas ibm,create-pe-dma-window 0x1000 0x8000000 0x20000000 16 40
hcall H_PUT_TCE 0x80000001 0x800000000010000 0x210003
dma read d 0x800000000010004 4
host freeze d
dma read d 0x5000 4
dma write d 0x5000 1
dma read e 0x5000 4
SCRIPT
cat >"$tmp/want" <<'WANT'
hcall H_PUT_TCE -> 0
hcall H_GET_TCE -> 0 0x0000000000200003
hcall H_GET_TCE -> -4
dma d -> OK 0x11223344 0x55667788
dma d -> OK
mem 0x200008 -> 0xcafef00d 0x00000001
dma d -> FAULT
hcall H_PUT_TCE -> 0
dma d -> FAULT
dma d -> OK 0x00000000
dma d -> OK 0x00000000 0x00000000
hcall H_STUFF_TCE -> -4
hcall H_PUT_TCE_INDIRECT -> 0
hcall H_PUT_TCE_INDIRECT -> -4
hcall H_PUT_TCE_INDIRECT -> -1
dma d -> OK
dma d -> FAULT
hcall 0x44 -> -2
rtas ibm,create-pe-dma-window -> 0 0x80000001 0x08000000 0x00000000
hcall H_PUT_TCE -> 0
dma d -> OK 0x00000000
host freeze d -> PE 0x00000001
dma d -> BLOCKED
dma d -> BLOCKED
dma e -> OK 0x00000099
WANT
"$S" run -device sim-pci,addr=2,id=d,iommu-group=1 -device sim-pci,addr=3,id=e "$tmp/dma.sphb" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] || no "exit $rc: $(cat "$tmp/err")"
diff -u "$tmp/want" "$tmp/out" || no "output differs"

# bad hcall/dma lines stop the run: exit 2 and one line on stderr
check_line() { # LINE EXPECTED-REASON
	printf '%s\n' "$1" >"$tmp/bad.sphb"
	"$S" run -device sim-pci,addr=2,id=d "$tmp/bad.sphb" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || no "'$1': exit $rc"
	[ "$(cat "$tmp/err")" = "sphb: $tmp/bad.sphb:1: $2" ] || no "'$1': stderr '$(cat "$tmp/err")'"
}
check_line "hcall H_NOPE 1" "hcall: unknown hypercall 'H_NOPE'"
check_line "hcall H_PUT_TCE 0x80000000 zz 3" "hcall: bad argument 'zz' (a 64-bit number)"
check_line "dma read nosuch 0 4" "dma: unknown device 'nosuch'"
check_line "dma read d 0 3" "dma read: expected LEN, a multiple of 4 up to 4096"
check_line "dma copy d 0 4" "dma: expected 'dma read DEV IOVA LEN' or 'dma write DEV IOVA WORD...'"
exit $fail
