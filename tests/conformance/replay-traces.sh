#!/bin/sh
# Replay of real guest traffic (issue 6): the two captured runs of a Linux 6.12
# pseries guest on QEMU 7.2 (runA, runB: console log + QEMU trace) are
# replayed with `sphb replay` against the machines of
# tests/conformance/traces/runX.args. Required: exit status 0, zero
# mismatches among the compared answers, >= 99 % of the PHB's RTAS calls
# compared, no skipped line, and every TCE hcall kind, the DMA translations,
# the config reads and the final TCE table actually compared.
#
#   replay-traces.sh              the full captures, from the directory
#                                 $SPHB_TRACES names; exit 77 when it is unset
#                                 or does not hold them
#   replay-traces.sh --excerpts   the excerpts checked in next to runX.args
#                                 (tests/conformance/replay-excerpts.sh)
#
# Environment: SPHB (the sphb binary), SPHB_TOP (repository root).
set -u
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
SPHB_TOP=${SPHB_TOP:-$(cd "$here/../.." && pwd)}
SPHB=${SPHB:-$SPHB_TOP/build/sphb}
cd "$SPHB_TOP" || exit 1

if [ "${1:-}" = --excerpts ]; then
	what=excerpt
	dir=tests/conformance/traces
	console=excerpt%s-console.log.xz
	qemu=excerpt%s-qemu-trace.log.xz
else
	what=trace
	dir=
	set -- "${SPHB_TRACES:-}"
	for d in "$@"; do
		if [ -f "$d/runA-console.log.xz" ]; then
			dir=$d
			break
		fi
	done
	if [ -z "$dir" ]; then
		echo "replay-traces: skipped: SPHB_TRACES (${SPHB_TRACES:-unset}) does not name the directory of the full captures; the excerpts run in replay-excerpts"
		exit 77
	fi
	console=run%s-console.log.xz
	qemu=run%s-qemu-trace.log.xz
fi
if ! command -v xz >/dev/null 2>&1; then
	echo "replay-traces: skipped: xz not found"
	exit 77
fi

fail=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# row NAME: "calls compared matched" of the report row NAME
row() {
	awk -v n="$1" 'substr($0, 1, length(n)) == n && substr($0, length(n) + 1) ~ /^ +[0-9]+ +[0-9]+ +[0-9]+/ {
		split(substr($0, length(n) + 1), f, " "); print f[1], f[2], f[3]; exit }' "$out"
}

for run in A B; do
	c=$dir/$(printf "$console" "$run")
	q=$dir/$(printf "$qemu" "$run")
	# shellcheck disable=SC2046
	"$SPHB" replay $(cat "tests/conformance/traces/run$run.args") "$c" "$q" >"$out" 2>&1
	rc=$?
	echo "== run$run $what (exit $rc)"
	cat "$out"
	bad=
	[ "$rc" -eq 0 ] || bad="$bad exit-status-$rc"
	grep -qx 'mismatches: 0' "$out" || bad="$bad mismatches"
	grep -qx 'skipped lines: 0' "$out" || bad="$bad skipped-lines"
	cov=$(sed -n 's/^PHB RTAS calls: \([0-9]*\), compared \([0-9]*\) .*/\1 \2/p' "$out")
	set -- $cov
	if [ $# -ne 2 ] || [ "$1" -eq 0 ] || [ $(($2 * 100)) -lt $(($1 * 99)) ]; then
		bad="$bad rtas-coverage($cov)"
	fi
	for kind in ibm,read-pci-config ibm,write-pci-config ibm,change-msi \
		ibm,query-interrupt-source-number ibm,query-pe-dma-window H_PUT_TCE H_STUFF_TCE \
		H_PUT_TCE_INDIRECT "DMA translation (QEMU xlate)" "config read (QEMU trace only)" \
		"final TCE table entries"; do
		set -- $(row "$kind")
		if [ $# -ne 3 ] || [ "$2" -eq 0 ] || [ "$2" -ne "$3" ]; then
			bad="$bad row[$kind]"
		fi
	done
	if [ -n "$bad" ]; then
		echo "FAIL run$run:$bad"
		fail=1
	fi
done
exit $fail
