#!/bin/sh
# sphb replay on bad input (issue 6, "Bad input"; docs/cli.md exit statuses):
# truncated, garbled and interleaved lines, unknown call names and events, a
# trace of another BUID layout, empty, missing, binary and corrupt .xz files.
# Unusable lines are reported as skipped with their file:line, unreadable
# input exits 2, and nothing ever crashes (run under ASan/UBSan too by
# tests/run-tests.sh). The inputs are edits of the checked-in excerpt of
# run A (tests/conformance/traces). Env: SPHB (the binary), SPHB_TOP.
set -u
S=${SPHB:-}
[ -n "$S" ] && [ -x "$S" ] || { echo "SPHB does not name an executable sphb binary"; exit 77; }
command -v xz >/dev/null 2>&1 || { echo "skipped: xz not found"; exit 77; }
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
top=${SPHB_TOP:-$(cd "$here/../.." && pwd)}
cd "$top" || exit 1
tr=tests/conformance/traces
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
no() { echo "FAIL: $*"; fail=1; }
argsA=$(cat $tr/runA.args)

xz -dc $tr/excerptA-console.log.xz >"$tmp/c" || exit 1
xz -dc $tr/excerptA-qemu-trace.log.xz >"$tmp/q" || exit 1

# rep NAME EXPECTED-RC ARGS...: replay; output in $tmp/NAME.out/.err, rc in $rc
rep() {
	_n=$1 _want=$2
	shift 2
	# shellcheck disable=SC2086
	"$S" replay $argsA "$@" >"$tmp/$_n.out" 2>"$tmp/$_n.err"
	rc=$?
	case $rc in 0 | 1 | 2) ;; *) no "$_n: exit status $rc (crash?)"; sed 's/^/    /' "$tmp/$_n.err" | head -20 ;; esac
	if grep -q 'Sanitizer\|runtime error' "$tmp/$_n.err"; then
		no "$_n: sanitizer report"
	fi
	if [ "$_want" != any ] && [ "$rc" != "$_want" ]; then
		no "$_n: exit status $rc, expected $_want"
		sed 's/^/    /' "$tmp/$_n.err" | head -5
	fi
}
# has NAME PATTERN: the report (stdout) of NAME contains the fixed string
has() { grep -qF -- "$2" "$tmp/$1.out" || no "$1: no '$2' in the report"; }
# err NAME PATTERN: stderr of NAME contains the fixed string
err() { grep -qF -- "$2" "$tmp/$1.err" || no "$1: no '$2' on stderr: $(cat "$tmp/$1.err")"; }
# line N of the console excerpt that holds the Kth match of PATTERN
nth() { grep -n -- "$1" "$tmp/c" | sed -n "${2}p" | cut -d: -f1; }

# ---- baseline: the unedited excerpt replays cleanly -----------------------
rep base 0 "$tmp/c" "$tmp/q"
has base 'mismatches: 0'
has base 'skipped lines: 0'
# standard input and a compressed file together
rep stdin 0 - "$tr/excerptA-qemu-trace.log.xz" <"$tmp/c"
has stdin 'mismatches: 0'

# docs/cli.md's replay example: the files it names exist and replay cleanly
for f in $(sed -n '/^### This implementation/,/^(run from/p' docs/cli.md | grep -o 'tests/conformance/traces/[A-Za-z0-9_.-]*'); do
	[ -f "$f" ] || no "docs/cli.md's replay example names $f, which does not exist"
done
rep doc-example 0 "$tr/excerptA-console.log.xz" "$tr/excerptA-qemu-trace.log.xz"
has doc-example 'mismatches: 0'
has doc-example 'skipped lines: 0'

# ---- unreadable input: exit 2 ---------------------------------------------
rep noargs 2
err noargs 'expected at least one TRACE file'
rep missing 2 "$tmp/c" "$tmp/does-not-exist"
err missing "$tmp/does-not-exist: No such file or directory"
: >"$tmp/empty"
rep empty 2 "$tmp/empty"
err empty 'no RTAS call, TCE hcall or QEMU event'
head -c 20000 "$tr/excerptA-qemu-trace.log.xz" >"$tmp/cut.xz"
rep xz-truncated 2 "$tmp/c" "$tmp/cut.xz"
err xz-truncated "$tmp/cut.xz: xz -dc failed"
cp "$tr/excerptA-qemu-trace.log.xz" "$tmp/flip.xz"
printf 'garbage!' | dd of="$tmp/flip.xz" bs=1 seek=5000 conv=notrunc 2>/dev/null
rep xz-corrupt 2 "$tmp/c" "$tmp/flip.xz"
err xz-corrupt "$tmp/flip.xz: xz -dc failed"
cp "$tmp/q" "$tmp/plain.xz"
rep xz-not-xz 2 "$tmp/plain.xz"
err xz-not-xz "$tmp/plain.xz: xz -dc failed"
# binary junk with NULs, CRs, 0xff bytes and a 10000-byte line: nothing usable
{
	printf 'junk\000\377\r\r\n\001rtas\n'
	head -c 10000 /dev/zero | tr '\000' 'x'
	printf '\nhcall\000_exit: opcode=32 retval=0\n'
} >"$tmp/binary"
rep binary 2 "$tmp/binary"
err binary 'no RTAS call'

# ---- truncated lines ------------------------------------------------------
L=$(nth 'rtas_input: ibm,read-pci-config' 100)
O=$(awk -v L="$L" 'NR > L && /rtas_output:/ { print NR; exit }' "$tmp/c")
awk -v L="$L" 'NR == L { print substr($0, 1, length($0) - 12); next } { print }' "$tmp/c" >"$tmp/trunc"
rep truncated 0 "$tmp/trunc" "$tmp/q"
has truncated "garbled rtas_input line: $tmp/trunc:$L"
has truncated "rtas_output without its rtas_input: $tmp/trunc:$O"
has truncated 'mismatches: 0'
# a file cut in the middle of an hcall line, and one cut inside an event name
H=$(nth 'hcall_entry: opcode=32' 5)
head -n "$((H - 1))" "$tmp/c" >"$tmp/cut"
sed -n "${H}p" "$tmp/c" | cut -c1-40 >>"$tmp/cut"
rep cut-end any "$tmp/cut" "$tmp/q"
has cut-end "truncated trace line: $tmp/cut:$H"
head -n "$((H - 1))" "$tmp/c" >"$tmp/cut2"
sed -n "${H}p" "$tmp/c" | sed 's/hcall_entry: opcode=32/hcall_ent/' >>"$tmp/cut2"
rep cut-name any "$tmp/cut2" "$tmp/q"
has cut-name "truncated trace line: $tmp/cut2:$H"
# a QEMU line cut after its prefix, and one cut inside its arguments
P=$(grep -n 'spapr_iommu_pci_put' "$tmp/q" | sed -n 10p | cut -d: -f1)
awk -v P="$P" 'NR == P { sub(/ ioba=.*/, " ioba=0x") } { print }' "$tmp/q" >"$tmp/qcut"
rep qcut any "$tmp/c" "$tmp/qcut"
has qcut "garbled QEMU trace line: $tmp/qcut:$P"
has qcut 'TCE hcall without its QEMU event (arguments unknown)'

# ---- garbled lines --------------------------------------------------------
L=$(nth 'rtas_input: ibm,read-pci-config' 200)
sed "${L}s/arguments: {0x/arguments: {0xzz/" "$tmp/c" >"$tmp/garbled"
rep garbled 0 "$tmp/garbled" "$tmp/q"
has garbled "garbled rtas_input line: $tmp/garbled:$L"
H=$(nth 'hcall_exit: opcode=312' 7)
sed "${H}s/retval=0/retval=zero/" "$tmp/c" >"$tmp/garbled2"
rep garbled-hcall 0 "$tmp/garbled2" "$tmp/q"
has garbled-hcall "garbled hcall_exit line: $tmp/garbled2:$H"
has garbled-hcall "hcall_entry without its hcall_exit: $tmp/garbled2:$((H - 1))"

# ---- interleaved lines ----------------------------------------------------
# a QEMU line run into the middle of a guest line
L=$(nth 'rtas_input: ibm,read-pci-config' 300)
awk -v L="$L" 'NR == L { print substr($0, 1, 60) "19853@1795472159.442534:pci_cfg_read nvme 00:02.0 @0x34 -> 0x40"; next } { print }' \
	"$tmp/c" >"$tmp/inter"
rep interleaved 0 "$tmp/inter" "$tmp/q"
has interleaved "$tmp/inter:$L"
# an rtas_output before its rtas_input (two CPUs' lines swapped)
L=$(nth 'rtas_input: ibm,read-pci-config' 400)
O=$(awk -v L="$L" 'NR > L && /rtas_output:/ { print NR; exit }' "$tmp/c")
awk -v L="$L" -v O="$O" 'NR == L { held = $0; next } NR == O { print; print held; next } { print }' \
	"$tmp/c" >"$tmp/swap"
rep swapped 0 "$tmp/swap" "$tmp/q"
has swapped "rtas_output without its rtas_input: $tmp/swap:$((O - 1))"
has swapped "rtas_input without its rtas_output: $tmp/swap:$O"
# two hcall_entry lines in a row (an exit lost between them)
H=$(nth 'hcall_exit: opcode=32' 3)
awk -v H="$H" 'NR == H { next } { print }' "$tmp/c" >"$tmp/lost"
rep lost-exit 0 "$tmp/lost" "$tmp/q"
has lost-exit "hcall_entry without its hcall_exit: $tmp/lost:$((H - 1))"

# ---- unknown call names and events ----------------------------------------
L=$(nth 'rtas_input: ibm,read-pci-config' 500)
O=$(awk -v L="$L" 'NR > L && /rtas_output:/ { print NR; exit }' "$tmp/c")
sed "${L}s/ibm,read-pci-config/ibm,frobnicate/; ${O}s/ibm,read-pci-config/ibm,frobnicate/" "$tmp/c" >"$tmp/unknown"
rep unknown-rtas 0 "$tmp/unknown" "$tmp/q"
has unknown-rtas "unknown RTAS call name: $tmp/unknown:$L"
P=$(grep -n 'spapr_iommu_xlate' "$tmp/q" | sed -n 3p | cut -d: -f1)
sed "${P}s/spapr_iommu_xlate/spapr_iommu_xlate_frob/" "$tmp/q" >"$tmp/qunknown"
rep unknown-event 0 "$tmp/c" "$tmp/qunknown"
has unknown-event "unknown QEMU event: $tmp/qunknown:$P"

# ---- another BUID layout: run B's trace against run A's machine ------------
# (issue 16) it compares almost nothing of PHB 1's traffic: not a pass, exit 1
# with one line saying why, after the full report
rep other-layout 1 "$tr/excerptB-console.log.xz" "$tr/excerptB-qemu-trace.log.xz"
has other-layout 'RTAS call for a BUID that is not in the machine: '
has other-layout 'TCE hcall for a PHB that is not in the machine: '
has other-layout 'mismatches: 0'
err other-layout "sphb: replay: the trace is not this machine's: 1357 of its records address a PHB the machine does not have (BUID 0x800000020000001); build it with the traced machine's -device list"
[ "$(wc -l <"$tmp/other-layout.err")" = 1 ] || no "other-layout: more than one stderr line: $(cat "$tmp/other-layout.err")"
# and run A's trace against run B's machine: vblk sits elsewhere, mismatches
"$S" replay $(cat $tr/runB.args) "$tmp/c" "$tmp/q" >"$tmp/other-layout2.out" 2>"$tmp/other-layout2.err"
rc=$?
[ "$rc" = 1 ] || no "run A's trace on run B's machine: exit status $rc, expected 1"
grep -q '^sphb: replay: [0-9]* mismatches$' "$tmp/other-layout2.err" ||
	no "run A's trace on run B's machine: stderr '$(cat "$tmp/other-layout2.err")'"

# ---- skipped lines outnumber the compared answers: not a pass --------------
# the guest's TCE hcalls (H_GET_TCE 28, H_PUT_TCE 32, H_STUFF_TCE 312,
# H_PUT_TCE_INDIRECT 316) without QEMU's trace (their arguments are unknown:
# each is skipped) and only a handful of comparable calls, the vendor/device
# reads of the nvme, which need no firmware state
grep -E 'hcall_(entry|exit): ' "$tmp/c" >"$tmp/fewcmp"
grep -A1 'rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000000,0x4}' "$tmp/c" |
	grep -v '^--$' >>"$tmp/fewcmp"
ncmp=$(grep -c 'rtas_input' "$tmp/fewcmp")
nskip=$(grep -cE 'hcall_entry: opcode=(28|32|312|316)([^0-9]|$)' "$tmp/fewcmp")
rep fewcmp 1 "$tmp/fewcmp"
has fewcmp 'mismatches: 0'
has fewcmp "skipped lines: $nskip"
err fewcmp "sphb: replay: the replay compared $ncmp answers but skipped $nskip lines: the trace does not fit this machine (see the skipped lines)"

# ---- a machine that differs: mismatches, exit 1, file:line in the report ---
# (nvme cloned from e1000's dump) firmware's reads (QEMU trace only) first
"$S" replay -device sim-pci,bus=pci.0,addr=2,config=$tr/dumps/e1000.lspci \
	-device sim-pci,bus=pci.0,addr=3,config=$tr/dumps/virtio-blk.lspci \
	"$tmp/c" "$tmp/q" >"$tmp/differ.out" 2>"$tmp/differ.err"
rc=$?
[ "$rc" = 1 ] || no "differing machine: exit status $rc, expected 1"
grep -q "^  $tmp/q:7: config read nvme 00:02.0 @0x0: recorded 0x101b36, replayed 0 0x100e8086 (size 4)$" \
	"$tmp/differ.out" || no "differing machine: no firmware read mismatch: $(grep -m3 '^  ' "$tmp/differ.out")"
n=$(grep -c "^  $tmp/" "$tmp/differ.out")
[ "$n" -eq 20 ] || no "differing machine: $n mismatch lines listed (20 expected)"
# the guest's trace alone: its reads, each with its line
"$S" replay -device sim-pci,bus=pci.0,addr=2,config=$tr/dumps/e1000.lspci \
	-device sim-pci,bus=pci.0,addr=3,config=$tr/dumps/virtio-blk.lspci \
	"$tmp/c" >"$tmp/differ2.out" 2>"$tmp/differ2.err"
rc=$?
[ "$rc" = 1 ] || no "differing machine, console only: exit status $rc, expected 1"
L=$(grep -n 'rtas_input: ibm,read-pci-config arguments: {0x1000,0x8000000,0x20000000,0x4}' "$tmp/c" | head -n 1 | cut -d: -f1)
grep -q "^  $tmp/c:$L: ibm,read-pci-config {0x1000,0x8000000,0x20000000,0x4}: recorded 0 0x101b36, replayed 0 0x100e8086$" \
	"$tmp/differ2.out" || no "differing machine, console only: no line $L vendor/device mismatch: $(grep -m3 '^  ' "$tmp/differ2.out")"
grep -q 'TCE hcall without its QEMU event (arguments unknown)' "$tmp/differ2.out" ||
	no "console only: TCE hcalls not reported as skipped"

[ "$fail" = 0 ] && echo "cli-replay: all checks passed"
exit $fail
