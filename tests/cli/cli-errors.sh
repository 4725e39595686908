#!/bin/sh
# sphb CLI errors (docs/cli.md): bad -device values and bad script lines stop
# before/at the statement with exit status 2 and exactly one stderr line
# ("sphb: -device TYPE: OPTION=VALUE: reason" / "sphb: SCRIPT:LINE: reason");
# stdout carries only the lines of statements that ran. Also --help,
# --version and unknown commands. Env: SPHB (the binary), SPHB_TOP (repo root).
# The many one-error runs are started a few at a time in the background (a
# sanitizer build needs ~0.25 s per run) and checked afterwards.
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
checks=0
no() { echo "FAIL: $*"; fail=1; }
ok() { checks=$((checks + 1)); }
par=4

# start ID INPUT ARGS...: run sphb ARGS in the background, results in $tmp/ID.*
nj=0
start() {
	_id=$1 _in=$2
	shift 2
	("$S" "$@" <"$_in" >"$tmp/$_id.out" 2>"$tmp/$_id.err"; echo $? >"$tmp/$_id.rc") &
	nj=$((nj + 1))
	if [ "$nj" -ge "$par" ]; then wait; nj=0; fi
}
# load ID: sets rc, out, err, nerr (stderr line count)
load() {
	rc=$(cat "$tmp/$1.rc")
	out=$(cat "$tmp/$1.out")
	err=$(cat "$tmp/$1.err")
	nerr=$(wc -l <"$tmp/$1.err" | tr -d ' ')
}

# ---- bad -device values ---------------------------------------------------
# SPEC|EXPECTED: stderr is exactly EXPECTED when it does not end in ': ' or
# 'index', else it starts with EXPECTED
cat >"$tmp/devs" <<'EOF'
sim-pci,addr=0x20|sphb: -device sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)
sim-pci,bus=pci.0,addr=0x20,id=d|sphb: -device sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)
sim-pci,addr=20|sphb: -device sim-pci: addr=20: slot 0x20 out of range 0x0..0x1f (addr= is hex)
sim-pci,addr=2.8|sphb: -device sim-pci: addr=2.8: 
sim-pci,addr=zz|sphb: -device sim-pci: addr=zz: 
sim-pci,addr=2,vendor=0xffff|sphb: -device sim-pci: vendor=0xffff: 
sim-pci,addr=2,device=pear|sphb: -device sim-pci: device=pear: 
sim-pci,addr=2,bar0=mem32:3000|sphb: -device sim-pci: bar0=mem32:3000: 
sim-pci,addr=2,bar5=mem64:4K|sphb: -device sim-pci: bar5=mem64:4K: 
sim-pci,addr=2,bar0=mem32:4G|sphb: -device sim-pci: bar0=mem32:4G: 
sim-pci,addr=2,msi=3|sphb: -device sim-pci: msi=3: 
sim-pci,addr=2,msix=2049|sphb: -device sim-pci: msix=2049: 
sim-pci,addr=2,pcie=sometimes|sphb: -device sim-pci: pcie=sometimes: 
sim-pci,addr=2,flavour=vanilla|sphb: -device sim-pci: flavour=vanilla: 
sim-pci,bus=nowhere.0,addr=2|sphb: -device sim-pci: bus=nowhere.0: 
sim-pci,addr=2,id=9lives|sphb: -device sim-pci: id=9lives: 
spapr-pci-host-bridge,index=31|sphb: -device spapr-pci-host-bridge: index=31: 
spapr-pci-host-bridge,index=x|sphb: -device spapr-pci-host-bridge: index=x: 
spapr-pci-host-bridge,index=0|sphb: -device spapr-pci-host-bridge: index=0: 
spapr-pci-host-bridge,id=nox|sphb: -device spapr-pci-host-bridge: index
spapr-pci-host-bridge,index=1,ddw=perhaps|sphb: -device spapr-pci-host-bridge: ddw=perhaps: 
spapr-pci-host-bridge,index=1,buid=0x800000020000001|sphb: -device spapr-pci-host-bridge: buid=0x800000020000001: 
spapr-pci-host-bridge,index=1,iommu=2|sphb: -device spapr-pci-host-bridge: iommu=2: 
frobnicator,x=1|sphb: -device frobnicator: 
vfio-pci,host=0000:7f:1f.7,bus=pci.0|sphb: -device vfio-pci: 
EOF
i=0
while IFS='|' read -r spec want; do
	i=$((i + 1))
	start "dev$i" /dev/null run -device "$spec" -
done <"$tmp/devs"
wait; nj=0
i=0
while IFS='|' read -r spec want; do
	i=$((i + 1))
	load "dev$i"
	ok; [ "$rc" = 2 ] || no "-device $spec: exit $rc, expected 2"
	ok; [ "$nerr" = 1 ] || no "-device $spec: $nerr stderr lines: '$err'"
	ok; [ -z "$out" ] || no "-device $spec: stdout '$out'"
	ok
	case $want in
	*": "|*index) case $err in "$want"*) ;; *) no "-device $spec: stderr '$err', expected '$want...'" ;; esac ;;
	*) [ "$err" = "$want" ] || no "-device $spec: stderr '$err', expected '$want'" ;;
	esac
done <"$tmp/devs"

# the first bad -device of several stops everything
printf 'mem write 0x1000 1\nmem read 0x1000 1\n' >"$tmp/s"
start m1 "$tmp/s" run -device spapr-pci-host-bridge,index=1,id=p1 -device sim-pci,bus=p1.0,addr=2 \
	-device sim-pci,bus=p1.0,addr=2 -device sim-pci,addr=0x40 -
start m2 /dev/null run -device
start m3 /dev/null run --frobnicate -
wait; nj=0
load m1
ok; [ "$rc" = 2 ] && [ -z "$out" ] || no "taken slot: exit $rc, stdout '$out' (the script must not run)"
ok; [ "$nerr" = 1 ] || no "taken slot: $nerr stderr lines: '$err'"
ok; case $err in "sphb: -device sim-pci: addr=2: "*) ;; *) no "taken slot: stderr '$err'" ;; esac
load m2
ok; [ "$rc" = 2 ] || no "-device without SPEC: exit $rc"
ok; [ "$nerr" = 1 ] || no "-device without SPEC: $nerr stderr lines"
load m3
ok; [ "$rc" = 2 ] || no "unknown option: exit $rc"
ok; [ -z "$out" ] || no "unknown option: stdout '$out'"

# ---- bad script lines ----------------------------------------------------
# LINE|REASON-PREFIX|MUST-CONTAIN: the script is two good statements, a
# comment, LINE (line 4), then one more good statement: exit 2, one stderr
# line "sphb: SCRIPT:4: REASON...", stdout has the good lines before only
cat >"$tmp/lines" <<'EOF'
frobnicate 1 2 3|unknown statement 'frobnicate'|
RTAS ibm,read-pci-config 0x1000 0x8000000 0x20000000 4|unknown statement 'RTAS'|
rtas ibm,no-such-call 1 2|rtas: |ibm,no-such-call
rtas ibm,read-pci-config-x 1 2|rtas: |ibm,read-pci-config-x
rtas|rtas|
rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 0xfour|rtas: |0xfour
rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4x|rtas: |4x
rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 0x100000000|rtas: |0x100000000
rtas ibm,read-pci-config nret=x 0x1000 0x8000000 0x20000000 4|rtas: |nret=x
mem read 0x40000000 1|mem read: |0x40000000
mem read 0x3ffffffc 2|mem read: |
mem write 0x40000000 1|mem write: |0x40000000
mem write 0x3ffffffc 1 2|mem write: |
mem write64 0x3ffffffc 1|mem write64: |
mem write 0x1000 0xfeedface1|mem write: |0xfeedface1
mem write 0x1000 banana|mem write: |banana
mem read 0x1000 many|mem read: |
mem read zz 1|mem: |zz
mem frob 0x1000|mem: |frob
mmio read nosuch 0 0 4|mmio: |nosuch
mmio write nosuch 0 0 4 1|mmio: |nosuch
mmio read d 0 0 3|mmio: |3
mmio read d 9 0 4|mmio: |9
mmio read d 0 2 4|mmio: |
mmio read d 0 0 4 extra|mmio|
mmio write d 0 0 1 0x100|mmio write: |0x100
EOF
i=0
while IFS='|' read -r line reason must; do
	i=$((i + 1))
	{
		echo 'mem write 0x2000 0x12345678'
		echo 'mem read 0x2000 1'
		echo '# the next line is bad'
		printf '%s\n' "$line"
		echo 'mem read 0x2000 1'
	} >"$tmp/bad$i.sphb"
	start "line$i" /dev/null run -device sim-pci,addr=2,id=d,bar0=mem32:4K "$tmp/bad$i.sphb"
done <"$tmp/lines"
wait; nj=0
i=0
while IFS='|' read -r line reason must; do
	i=$((i + 1))
	load "line$i"
	ok; [ "$rc" = 2 ] || no "'$line': exit $rc, expected 2"
	ok; [ "$nerr" = 1 ] || no "'$line': $nerr stderr lines: '$err'"
	ok; case $err in "sphb: $tmp/bad$i.sphb:4: $reason"*) ;; *) no "'$line': stderr '$err', expected 'sphb: $tmp/bad$i.sphb:4: $reason...'" ;; esac
	ok; [ "$out" = "mem 0x2000 -> 0x12345678" ] || no "'$line': stdout '$out'"
	if [ -n "$must" ]; then
		ok; case $err in *"$must"*) ;; *) no "'$line': the reason does not name '$must': '$err'" ;; esac
	fi
done <"$tmp/lines"

# the line number counts blank and comment lines; the script from stdin too
printf '\n\n# c\nmem read 0x0 1\n\nwhat\n' >"$tmp/s6"
start f1 /dev/null run "$tmp/s6"
start f2 "$tmp/s6" run -
start f3 "$tmp/s6" run
start f4 /dev/null run "$tmp/does-not-exist.sphb"
# guest-visible failures are not run errors: exit 0
printf 'rtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 3\nrtas 0x1234\n' >"$tmp/g"
start f5 /dev/null run "$tmp/g"
wait; nj=0
load f1
ok; [ "$rc" = 2 ] && [ "$err" = "sphb: $tmp/s6:6: unknown statement 'what'" ] || no "line 6: rc $rc '$err'"
ok; [ "$out" = "mem 0x0 -> 0x00000000" ] || no "line 6: stdout '$out'"
for f in f2 f3; do
	load $f
	ok; [ "$rc" = 2 ] && [ "$nerr" = 1 ] || no "stdin ($f): rc $rc, $nerr lines"
	ok; case $err in "sphb: "*":6: unknown statement 'what'") ;; *) no "stdin ($f): stderr '$err'" ;; esac
	ok; [ "$out" = "mem 0x0 -> 0x00000000" ] || no "stdin ($f): stdout '$out'"
done
load f4
ok; [ "$rc" != 0 ] || no "missing script: exit 0"
ok; [ -z "$out" ] || no "missing script: stdout '$out'"
load f5
ok; [ "$rc" = 0 ] && [ -z "$err" ] || no "guest errors: rc $rc, stderr '$err'"
ok; [ "$out" = "rtas ibm,read-pci-config -> -1 -
rtas 0x1234 -> -3" ] || no "guest errors: stdout '$out'"

# ---- commands ------------------------------------------------------------
start c1 /dev/null --help
start c2 /dev/null --version
start c3 /dev/null frobnicate
start c4 /dev/null RUN
start c5 /dev/null
wait; nj=0
load c1
ok; [ "$rc" = 0 ] || no "--help: exit $rc"
ok; case $out in *"sphb run"*) ;; *) no "--help does not show 'sphb run': '$out'" ;; esac
load c2
ok; [ "$rc" = 0 ] || no "--version: exit $rc"
ok; printf '%s\n' "$out" | grep -Eq '^sphb [0-9]+\.[0-9]+\.[0-9]+$' || no "--version: '$out'"
ok; [ "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" = 1 ] || no "--version: more than one line"
load c3
ok; [ "$rc" = 2 ] || no "unknown command: exit $rc"
ok; [ -z "$out" ] || no "unknown command: stdout '$out'"
ok; [ "$nerr" -ge 1 ] || no "unknown command: nothing on stderr"
load c4
ok; [ "$rc" = 2 ] || no "'RUN': exit $rc"
load c5
ok; [ "$rc" = 2 ] || no "no command: exit $rc"
ok; [ -z "$out" ] || no "no command: stdout '$out'"

echo "cli-errors: $checks checks"
exit $fail
