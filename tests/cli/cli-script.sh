#!/bin/sh
# sphb CLI script language (docs/cli.md): the output line of each statement,
# nothing else on stdout, comments and blank lines, the script from a file,
# from '-' and from stdin without an argument. Expected values come from the
# specs: PCI header layout, QEMU 7.2 RTAS answers (hw/ppc/spapr_pci.c,
# rtas_ibm_read_pci_config() and rtas_ibm_write_pci_config(), as observed on
# Debian 12's QEMU 7.2 through qtest by tests/conformance/qemu-config.sh).
# Env: SPHB (the binary), SPHB_TOP (repo root).
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
checks=0
no() { echo "FAIL: $*"; fail=1; }
ok() { checks=$((checks + 1)); }

# start ID INPUT ARGS...: run sphb ARGS in the background (a sanitizer build
# needs ~0.25 s per run), results in $tmp/ID.*; everything is checked at the end
par=4
nj=0
start() {
	_id=$1 _in=$2
	shift 2
	("$S" "$@" <"$_in" >"$tmp/$_id.out" 2>"$tmp/$_id.err"; echo $? >"$tmp/$_id.rc") &
	nj=$((nj + 1))
	if [ "$nj" -ge "$par" ]; then wait; nj=0; fi
}
load() {
	rc=$(cat "$tmp/$1.rc")
	out=$(cat "$tmp/$1.out")
	err=$(cat "$tmp/$1.err")
}

# expect ID [NAME]: compare the stdout of run ID with $tmp/NAME.exp line by line
expect() {
	load "$1"
	set -- "$1" "${2:-$1}"
	printf '%s\n' "$out" >"$tmp/$1.got"
	checks=$((checks + $(wc -l <"$tmp/$2.exp")))	# one per expected line
	if ! cmp -s "$tmp/$2.exp" "$tmp/$1.got"; then
		no "$1: output differs (expected vs got):"
		diff "$tmp/$2.exp" "$tmp/$1.got" | sed 's/^/    /'
	fi
	ok; [ "$rc" = 0 ] || no "$1: exit $rc (stderr '$err')"
	ok; [ -z "$err" ] || no "$1: stderr '$err'"
}

DEVS="-device sim-pci,bus=pci.0,addr=2,id=d,vendor=0x8086,device=0x100e,class=0x020000,rev=3,bar0=mem32:4K,bar1=io:64
-device sim-pci,bus=pci.0,addr=4,id=e,vendor=0x8086,device=0x10d3,pcie=on
-device spapr-pci-host-bridge,index=1,id=phb1
-device sim-pci,bus=phb1.0,addr=2,id=q,vendor=0x1af4,device=0x1041"

# ---- rtas ----------------------------------------------------------------
# BUID of PHB 0 = 0x0800000020000000 (hi 0x08000000, lo 0x20000000); PHB 1 lo 0x20000001
cat >"$tmp/rtas.sphb" <<'EOF'
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 2
rtas ibm,read-pci-config 0x1002 0x08000000 0x20000000 2
rtas ibm,read-pci-config 0x1008 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x103d 0x08000000 0x20000000 1
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 3
rtas ibm,read-pci-config 0x1002 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x1800 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000002 4
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000001 4
rtas ibm,read-pci-config 0x10001000 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x10002000 0x08000000 0x20000000 2
rtas ibm,read-pci-config 0x0f001000 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 -1
rtas ibm,read-pci-config nret=1 0x1000 0x08000000 0x20000000 4
rtas ibm,read-pci-config nret=3 0x1000 0x08000000 0x20000000 4
rtas ibm,read-pci-config nargs=3 0x1000 0x08000000 0x20000000
rtas ibm,read-pci-config nargs=3 nret=2 0x1000 0x08000000 0x20000000 4
rtas ibm,write-pci-config 0x103c 0x08000000 0x20000000 1 0x5a
rtas ibm,read-pci-config 0x103c 0x08000000 0x20000000 4
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 2 0xffff
rtas ibm,read-pci-config 0x1004 0x08000000 0x20000000 4
rtas ibm,write-pci-config 0x1010 0x08000000 0x20000000 4 -1
rtas ibm,read-pci-config 0x1010 0x08000000 0x20000000 4
rtas ibm,read-pci-config 0x1014 0x08000000 0x20000000 4
rtas ibm,write-pci-config 0x1010 0x08000000 0x20000000 4 0x80000000
rtas ibm,write-pci-config 0x1014 0x08000000 0x20000000 4 0
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 2 0
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 3 0
rtas ibm,write-pci-config nret=0 0x1004 0x08000000 0x20000000 2 0
rtas 0x2016 0x1000 0x08000000 0x20000000 4
rtas 8214 0x1000 0x08000000 0x20000000 4
rtas read-pci-config 0x1000 4
rtas write-pci-config 0x103c 1 0
rtas 0x1234 1 2 3
rtas 0x1234
rtas 0x1234 nret=3 7
rtas 0x1234 nret=0
rtas 0xffffffff
rtas 0x2000 1
EOF
cat >"$tmp/rtas.exp" <<'EOF'
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> 0 0x00008086
rtas ibm,read-pci-config -> 0 0x0000100e
rtas ibm,read-pci-config -> 0 0x02000003
rtas ibm,read-pci-config -> 0 0x00000001
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> 0 0x10411af4
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> 0 0x00000001
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1
rtas ibm,read-pci-config -> -1 - -
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0x0000015a
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0x00000507
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0xfffff000
rtas ibm,read-pci-config -> 0 0x00000001
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> -1
rtas ibm,write-pci-config ->
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> 0 0x100e8086
rtas read-pci-config -> -1 -
rtas write-pci-config -> -1
rtas 0x1234 -> -3
rtas 0x1234 -> -3
rtas 0x1234 -> -3 - -
rtas 0x1234 ->
rtas 0xffffffff -> -3
rtas 0x2000 -> -3
EOF
# shellcheck disable=SC2086
start rtas /dev/null run $DEVS "$tmp/rtas.sphb"

# nargs 1 + nret 64 > 64 cells: the library refuses the buffer, every output
# is '-' (a warning on stderr is allowed; stdout has the statement line only)
{ printf 'rtas 0x1234 ->'; i=0; while [ $i -lt 64 ]; do printf ' -'; i=$((i + 1)); done; echo; } >"$tmp/big.exp"
printf 'rtas 0x1234 nret=64 1\nrtas ibm,read-pci-config nret=61 0x1000 0x08000000 0x20000000 4\n' >"$tmp/big.sphb"
{ printf 'rtas ibm,read-pci-config ->'; i=0; while [ $i -lt 61 ]; do printf ' -'; i=$((i + 1)); done; echo; } >>"$tmp/big.exp"
start big /dev/null run "$tmp/big.sphb"

# ---- mem -------------------------------------------------------------------
cat >"$tmp/mem.sphb" <<'EOF'
mem read 0x1000 2
mem write 0x1000 0x11223344 0xdeadbeef
mem read 0x1000 2
mem read 0x1000 1
mem write 0x1004 -1
mem read 0x1000 2
mem write 0x1008 1 -2 0x7fffffff
mem read 0x1008 3
mem write64 0x2000 0x0102030405060708 -1
mem read 0x2000 4
mem write64 0x2010 0xfedcba9876543210
mem read 0x2010 2
mem read 0x2012 1
mem write 0x3ffffffc 0xa5a5a5a5
mem read 0x3ffffffc 1
mem read 0x0 1
EOF
cat >"$tmp/mem.exp" <<'EOF'
mem 0x1000 -> 0x00000000 0x00000000
mem 0x1000 -> 0x11223344 0xdeadbeef
mem 0x1000 -> 0x11223344
mem 0x1000 -> 0x11223344 0xffffffff
mem 0x1008 -> 0x00000001 0xfffffffe 0x7fffffff
mem 0x2000 -> 0x01020304 0x05060708 0xffffffff 0xffffffff
mem 0x2010 -> 0xfedcba98 0x76543210
mem 0x2012 -> 0xba987654
mem 0x3ffffffc -> 0xa5a5a5a5
mem 0x0 -> 0x00000000
EOF
start mem /dev/null run "$tmp/mem.sphb"

# ---- mmio ------------------------------------------------------------------
cat >"$tmp/mmio.sphb" <<'EOF'
mmio read d 0 0 4
mmio read d 0 0 1
mmio read d 0 0 2
mmio read d 0 0 8
mmio write d 0 0 4 0x12345678
mmio read d 0 0 4
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 2 2
mmio read d 0 0 4
mmio write d 0 0 4 0x12345678
mmio read d 0 0 4
mmio read d 0 0 1
mmio read d 0 1 1
mmio read d 0 0 2
mmio read d 0 2 2
mmio read d 0 0 8
mmio write d 0 8 8 0x0123456789abcdef
mmio read d 0 8 8
mmio read d 0 12 4
mmio read d 0 0x1000 4
mmio read d 0 0xff8 8
mmio read d 1 0 4
mmio read d 3 0 4
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 2 3
mmio write d 1 0x3c 4 0xcafe
mmio read d 1 0x3c 4
mmio read d 1 0x40 4
EOF
cat >"$tmp/mmio.exp" <<'EOF'
mmio d -> 0xffffffff
mmio d -> 0xff
mmio d -> 0xffff
mmio d -> 0xffffffffffffffff
mmio d -> 0xffffffff
rtas ibm,write-pci-config -> 0
mmio d -> 0x00000000
mmio d -> 0x12345678
mmio d -> 0x78
mmio d -> 0x56
mmio d -> 0x5678
mmio d -> 0x1234
mmio d -> 0x0000000012345678
mmio d -> 0x0123456789abcdef
mmio d -> 0x01234567
mmio d -> 0xffffffff
mmio d -> 0x0000000000000000
mmio d -> 0xffffffff
mmio d -> 0xffffffff
rtas ibm,write-pci-config -> 0
mmio d -> 0x0000cafe
mmio d -> 0xffffffff
EOF
# shellcheck disable=SC2086
start mmio /dev/null run $DEVS "$tmp/mmio.sphb"

# ---- comments, blank lines, whitespace -------------------------------------
printf '%s\n' \
	'# a comment line' \
	'' \
	'   ' \
	'	# an indented comment' \
	'mem write 0x100 7   # a trailing comment' \
	'  mem   read	0x100   1  ' \
	'#mem read 0x100 1' \
	'rtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 2 # 4' \
	'' >"$tmp/ws.sphb"
printf 'mem read 0x100 1\r\n' >>"$tmp/ws.sphb"
cat >"$tmp/ws.exp" <<'EOF'
mem 0x100 -> 0x00000007
rtas ibm,read-pci-config -> 0 0x00008086
mem 0x100 -> 0x00000007
EOF
# shellcheck disable=SC2086
start ws /dev/null run $DEVS "$tmp/ws.sphb"
# an empty script and a comment-only script print nothing
: >"$tmp/empty.sphb"
start empty /dev/null run "$tmp/empty.sphb"
printf '# nothing\n\n' >"$tmp/c.sphb"
start conly /dev/null run "$tmp/c.sphb"

# ---- the script from stdin ('-' or no argument) -----------------------------
# shellcheck disable=SC2086
start stdin1 "$tmp/rtas.sphb" run $DEVS -
# shellcheck disable=SC2086
start stdin2 "$tmp/rtas.sphb" run $DEVS
start stdin3 "$tmp/mem.sphb" run

# ---- a fresh machine per run: state does not leak between runs ---------------
printf 'rtas ibm,read-pci-config 0x103c 0x08000000 0x20000000 1\nmem read 0x1000 1\n' >"$tmp/fresh.sphb"
cat >"$tmp/fresh.exp" <<'EOF'
rtas ibm,read-pci-config -> 0 0x00000000
mem 0x1000 -> 0x00000000
EOF
# shellcheck disable=SC2086
start fresh /dev/null run $DEVS "$tmp/fresh.sphb"

# ---- the output of a failing run keeps the lines before the error -------------
printf 'mem read 0x0 1\nrtas ibm,read-pci-config 0x1000 0x08000000 0x20000000 4\nbogus\nmem read 0x0 1\n' >"$tmp/stop.sphb"
# shellcheck disable=SC2086
start stop /dev/null run $DEVS "$tmp/stop.sphb"


# ---- the legacy PHB type: one warning line on stderr, stdout clean ----------
printf 'rtas ibm,read-pci-config 0x1000 0x08000000 0x20000003 4\n' >"$tmp/legacy.sphb"
start legacy /dev/null run -device spapr-pci-vfio-host-bridge,index=3,id=old,iommu=7 \
	-device sim-pci,bus=old.0,addr=2,vendor=0x1014,device=0x034a "$tmp/legacy.sphb"
wait

# ---- checks -----------------------------------------------------------------
expect rtas
expect mem
expect mmio
expect ws
expect stdin1 rtas
expect stdin2 rtas
expect stdin3 mem
expect fresh
load big
printf '%s\n' "$out" >"$tmp/big.got"
checks=$((checks + $(wc -l <"$tmp/big.exp")))
cmp -s "$tmp/big.exp" "$tmp/big.got" || { no "big: output differs:"; diff "$tmp/big.exp" "$tmp/big.got"; }
ok; [ "$rc" = 0 ] || no "big: exit $rc"
for t in empty conly; do
	load $t
	ok; [ "$rc" = 0 ] && [ -z "$out" ] && [ -z "$err" ] || no "$t script: rc $rc out '$out' err '$err'"
done
load stop
ok; [ "$rc" = 2 ] || no "stop: exit $rc"
ok; [ "$out" = "mem 0x0 -> 0x00000000
rtas ibm,read-pci-config -> 0 0x100e8086" ] || no "stop: stdout '$out'"
load legacy
ok; [ "$rc" = 0 ] || no "legacy: exit $rc"
ok; [ "$out" = "rtas ibm,read-pci-config -> 0 0x034a1014" ] || no "legacy: stdout '$out'"
ok; [ "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" = 1 ] || no "legacy: stderr '$err'"
ok; case $err in *deprecated*) ;; *) no "legacy: no deprecation warning: '$err'" ;; esac

echo "cli-script: $checks checks"
exit $fail
