#!/bin/sh
# The sphb command line contract (docs/cli.md): exit codes, message formats,
# and the output of each script statement.
set -u
S=${SPHB:?SPHB must name the sphb binary}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# run ARGS... with stdin from $in: sets $out, $err, $rc
in=/dev/null
run() { "$S" "$@" <"$in" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }

# --- bad -device values: exit 2, exactly one line naming option and value
check_dev() { # SPEC EXPECTED-STDERR
	run run -device "$1" -
	[ "$rc" = 2 ] || no "-device $1: exit $rc, expected 2"
	[ "$err" = "$2" ] || no "-device $1: stderr '$err', expected '$2'"
	[ -z "$out" ] || no "-device $1: stdout not empty"
}
check_dev "sim-pci,addr=0x20" "sphb: -device sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)"
check_dev "sim-pci,addr=2,foo=1" "sphb: -device sim-pci: foo=1: unknown option"
check_dev "sim-pci,bus=nowhere.0" "sphb: -device sim-pci: bus=nowhere.0: no such bus (a PHB with id=ID has bus ID.0)"
check_dev "spapr-pci-host-bridge,index=0" "sphb: -device spapr-pci-host-bridge: index=0: PCI host bridges must have unique indexes (index 0 is 'pci')"
check_dev "spapr-pci-host-bridge,id=x" "sphb: -device spapr-pci-host-bridge: index: missing (mandatory, 0..30)"
check_dev "widget,x=1" "sphb: -device widget: unknown device type (known: spapr-pci-host-bridge, spapr-pci-vfio-host-bridge, sim-pci, vfio-pci)"
run run -device; [ "$rc" = 2 ] || no "-device without SPEC: exit $rc"
run run -x; [ "$rc" = 2 ] && [ "$err" = "sphb: run: unknown option '-x'" ] || no "unknown option: $rc '$err'"
run frobnicate; [ "$rc" = 2 ] || no "unknown command: exit $rc"
run; [ "$rc" = 2 ] || no "no command: exit $rc"
run --help; [ "$rc" = 0 ] && printf '%s' "$out" | grep -q '^usage: sphb run' || no "--help"
run -h; [ "$rc" = 0 ] && printf '%s' "$out" | grep -q '^usage: sphb run' || no "-h"
# every subcommand answers --help and -h with its own usage on stdout, exit 0,
# wherever the option stands and whatever else is on the line (issue 16)
for cmd in run dt replay; do
	for h in --help -h; do
		for args in "$h" "-device nosuch $h" "-device sim-pci,addr=2 x y $h"; do
			run $cmd $args
			[ "$rc" = 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | head -n 1 | grep -q "^usage: sphb $cmd " ||
				no "sphb $cmd $args: exit $rc, stdout '$out', stderr '$err'"
		done
	done
done
run run -device --help; [ "$rc" = 2 ] || no "-device --help (a SPEC named --help): exit $rc, expected 2"
# sphb dt: an output file that cannot be written is a user/IO error, exit 2
# with one line naming the file (exit 1 is replay's "mismatch", nothing else)
run dt -o /nonexistent/x.dtb
[ "$rc" = 2 ] && [ "$err" = "sphb: dt: /nonexistent/x.dtb: No such file or directory" ] ||
	no "dt -o /nonexistent/x.dtb: exit $rc, stderr '$err'"
run dt -o "$tmp"
[ "$rc" = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || no "dt -o DIRECTORY: exit $rc, stderr '$err'"
run dt; [ "$rc" = 2 ] || no "dt without -o: exit $rc"
run dt -o "$tmp/ok.dtb"; [ "$rc" = 0 ] && [ -s "$tmp/ok.dtb" ] || no "dt -o FILE: exit $rc, stderr '$err'"
run --version; [ "$rc" = 0 ] && printf '%s' "$out" | grep -Eq '^sphb [0-9]+\.[0-9]+\.[0-9]+$' || no "--version: '$out'"
# the legacy PHB type: one warning line, then it works
printf 'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000001 2\n' >"$tmp/s"; in=$tmp/s
run run -device spapr-pci-vfio-host-bridge,index=1,id=old,iommu=3 -device sim-pci,bus=old.0,addr=2
[ "$rc" = 0 ] && [ "$out" = "rtas ibm,read-pci-config -> 0 0x00001014" ] || no "legacy PHB: $rc '$out'"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && printf '%s' "$err" | grep -q deprecated || no "legacy PHB warning: '$err'"

# --- bad script lines: exit 2, "sphb: SCRIPT:LINE: reason", earlier lines kept
check_line() { # LINE EXPECTED-REASON
	printf 'mem read 0 1\n%s\n' "$1" >"$tmp/bad.sphb"
	in=/dev/null
	run run -device sim-pci,addr=2,id=d,bar0=mem32:4K "$tmp/bad.sphb"
	[ "$rc" = 2 ] || no "'$1': exit $rc"
	[ "$err" = "sphb: $tmp/bad.sphb:2: $2" ] || no "'$1': stderr '$err', expected 'sphb: $tmp/bad.sphb:2: $2'"
	[ "$out" = "mem 0x0 -> 0x00000000" ] || no "'$1': stdout '$out'"
}
check_line "frob 1 2" "unknown statement 'frob'"
check_line "rtas no,such-call 1" "rtas: unknown RTAS call 'no,such-call'"
check_line "rtas ibm,read-pci-config 0x1000 zz" "rtas: bad argument 'zz' (a 32-bit number)"
check_line "rtas ibm,read-pci-config 0x100000000" "rtas: bad argument '0x100000000' (a 32-bit number)"
check_line "mem read 0x40000000 1" "mem read: 0x40000000+4 is outside guest RAM (1 GiB at 0)"
check_line "mem write 0x3ffffffe 1" "mem write: 0x3ffffffe+4 is outside guest RAM (1 GiB at 0)"
check_line "mmio read nosuch 0 0 4" "mmio: unknown device 'nosuch' (a sim-pci id)"
check_line "mmio read d 0 2 4" "mmio: offset 0x2 is not aligned to size 4"
check_line "mmio read d 0 0 3" "mmio: bad size '3' (1, 2, 4 or 8)"
check_line "host freeze nosuch" "host freeze: unknown device 'nosuch'"
check_line "host freeze d" "host freeze: device 'd' is emulated (no iommu-group), it has no PE"

# --- statement output
cat >"$tmp/ok.sphb" <<'S'
# comments and blank lines print nothing

rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4   # trailing comment
rtas 0x2016 0x1000 0x8000000 0x20000000 3
rtas ibm,read-pci-config nret=3 0x1000 0x8000000 0x20000000 4
rtas ibm,read-pci-config nargs=3 0x1000 0x8000000 0x20000000
rtas 0x1234 nret=2
rtas 0x1234 nret=0
rtas ibm,write-pci-config 0x103c 0x8000000 0x20000000 1 -1
rtas ibm,read-pci-config 0x103c 0x8000000 0x20000000 1
mem write 0x1000 0x11223344 -2
mem write64 0x1008 0x0102030405060708
mem read 0x1000 4
mmio write d 0 8 4 0xcafe
mmio read d 0 8 4
rtas ibm,write-pci-config 0x1004 0x8000000 0x20000000 2 2
mmio write d 0 8 4 0xcafe
mmio read d 0 8 4
mmio read d 0 8 2
mmio read d 0 0x1000 4
S
cat >"$tmp/ok.expected" <<'S'
rtas ibm,read-pci-config -> 0 0x53481014
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 - -
rtas ibm,read-pci-config -> -1 -
rtas 0x1234 -> -3 -
rtas 0x1234 ->
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0x000000ff
mem 0x1000 -> 0x11223344 0xfffffffe 0x01020304 0x05060708
mmio d -> 0xffffffff
rtas ibm,write-pci-config -> 0
mmio d -> 0x0000cafe
mmio d -> 0xcafe
mmio d -> 0xffffffff
S
in=/dev/null
run run -device sim-pci,addr=2,id=d,bar0=mem32:4K "$tmp/ok.sphb"
[ "$rc" = 0 ] || no "ok script: exit $rc, stderr '$err'"
printf '%s\n' "$out" >"$tmp/ok.out"
cmp -s "$tmp/ok.out" "$tmp/ok.expected" || { no "ok script output differs:"; diff "$tmp/ok.expected" "$tmp/ok.out"; }
# the same script from stdin, with '-' and with no argument
in=$tmp/ok.sphb
run run -device sim-pci,addr=2,id=d,bar0=mem32:4K -
[ "$out" = "$(cat "$tmp/ok.expected")" ] || no "script from stdin ('-')"
run run -device sim-pci,addr=2,id=d,bar0=mem32:4K
[ "$out" = "$(cat "$tmp/ok.expected")" ] || no "script from stdin (no argument)"
exit $fail
