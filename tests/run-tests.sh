#!/bin/sh
# Run every test of one or more build directories and print the summary line
# "N passed, N failed, N skipped". Tests: compiled programs in DIR/tests/unit
# (and, with SPHB_VALGRIND=1, the first directory's once more under valgrind),
# DIR/tests/tsan, the fuzz-corpus replayers in DIR/tests/fuzz, and the scripts
# in tests/cli, tests/conformance, tests/abi, tests/hw and tests/bench, which
# find the CLI and the build through $SPHB, $SPHB_BUILD and $SPHB_TOP.
# Exit status 77 means skipped.
#
# SPHB_JOBS (default: the number of CPUs) tests run at once, the slowest
# first (each test's duration is remembered in FIRST-DIR/.test-times for the
# next run's order); every test prints "RUN label" when it starts and
# "PASS|FAIL|SKIP label (T s)" when it ends, a failure followed by the last 40
# lines of its output.
#
# A build directory whose name is "novfio" (SPHB_VFIO=0) skips
# tests/conformance: those scripts drive sim-pci machines only, and the
# no-VFIO library differs from the normal one only in code that a vfio-pci
# device reaches (src/device.c, eeh.c, machine.c, tce.c, backend/sim.c under
# "#if SPHB_VFIO"), so they cannot answer differently there; the unit tests,
# fuzz corpora, CLI, ABI and benchmark tests still run in it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${SPHB_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/t" "$tmp/res"

# ---- the task list: one file per test, $tmp/t/N holding "label" then the
# command (one line each, run with sh -c) -------------------------------------
n=0
task() { # LABEL COMMAND
	n=$((n + 1))
	printf '%s\n%s\n' "$1" "$2" >"$tmp/t/$n"
}
first=
for b in "$@"; do
	build=$(cd "$b" && pwd) || exit 1
	[ -n "$first" ] || first=$build
	tag=$(basename "$build")
	env="SPHB='$build/sphb' SPHB_BUILD='$build' SPHB_TOP='$top'; export SPHB SPHB_BUILD SPHB_TOP;"
	for t in "$build"/tests/unit/*; do
		[ -x "$t" ] || continue
		task "$tag/unit/$(basename "$t")" "$env exec '$t'"
	done
	# the normal build's unit tests once more under valgrind (zero errors, zero leaks)
	if [ "${SPHB_VALGRIND:-0}" = 1 ] && [ "$build" = "$first" ] && command -v valgrind >/dev/null 2>&1; then
		for t in "$build"/tests/unit/*; do
			[ -x "$t" ] || continue
			task "valgrind/unit/$(basename "$t")" "$env exec valgrind -q --error-exitcode=9 \
--leak-check=full --errors-for-leak-kinds=definite,indirect '$t'"
		done
	fi
	for t in "$build"/tests/tsan/*; do
		[ -x "$t" ] || continue
		task "tsan/$(basename "$t")" "$env TSAN_OPTIONS='halt_on_error=1 exitcode=1' exec '$t'"
	done
	for t in "$build"/tests/fuzz/replay_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t" | sed 's/^replay_//')
		task "$tag/fuzz-corpus/$name" "$env exec '$t' '$top/tests/fuzz/corpus/$name'"
	done
	for t in "$top"/tests/cli/*.sh "$top"/tests/conformance/*.sh "$top"/tests/abi/*.sh "$top"/tests/hw/*.sh \
		"$top"/tests/bench/*.sh; do
		[ -f "$t" ] || continue
		dir=$(basename "$(dirname "$t")")
		[ "$tag" = novfio ] && [ "$dir" = conformance ] && continue
		task "$tag/$dir/$(basename "$t" .sh)" "$env exec sh '$t'"
	done
done
[ "$n" -gt 0 ] || { echo "no tests found in $*"; echo "0 passed, 0 failed, 0 skipped"; exit 1; }

# ---- order: the slowest first, by the last run's durations; without them,
# valgrind, then conformance and sanitizer runs, then the rest -----------------
times=${first:-.}/.test-times
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	label=$(sed -n 1p "$tmp/t/$i")
	cost=$(awk -v l="$label" '$2 == l { c = $1 } END { print c + 0 }' "$times" 2>/dev/null)
	if [ "${cost:-0}" = 0 ]; then
		case $label in
		valgrind/*) cost=1000 ;;
		*/conformance/* | san/*) cost=10 ;;
		*) cost=1 ;;
		esac
	fi
	echo "$cost $i"
done | sort -k1,1nr -k2,2n | awk '{ print $2 }' >"$tmp/order"

# ---- run them, $jobs at a time ----------------------------------------------
cat >"$tmp/one" <<'ONE'
#!/bin/sh
# one task: $1 = task file; results in $SPHB_RESULTS
res=${SPHB_RESULTS:?}
label=$(sed -n 1p "$1")
cmd=$(sed -n 2p "$1")
id=$(basename "$1")
echo "RUN  $label"
log=$res/$id.log
start=$(date +%s.%N 2>/dev/null || date +%s)
sh -c "$cmd" >"$log" 2>&1 </dev/null
rc=$?
end=$(date +%s.%N 2>/dev/null || date +%s)
secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
case $rc in
0) st=PASS; line="PASS $label ($secs s)" ;;
77) st=SKIP; line="SKIP $label: $(tail -n 1 "$log") ($secs s)" ;;
*) st=FAIL; line="FAIL $label (exit $rc, $secs s)" ;;
esac
# one write per report, so parallel reports do not interleave
if [ "$st" = FAIL ]; then
	{ echo "$line"; sed 's/^/    /' "$log" | tail -n 40; } >"$log.report"
else
	echo "$line" >"$log.report"
fi
cat "$log.report"
echo "$st $secs $label" >"$res/$id.res"
ONE
SPHB_RESULTS=$tmp/res xargs -P "$jobs" -n 1 sh "$tmp/one" <<EOF
$(sed "s|^|$tmp/t/|" "$tmp/order")
EOF

# ---- summary ----------------------------------------------------------------
pass=$(cat "$tmp"/res/*.res 2>/dev/null | grep -c '^PASS ')
fail=$(cat "$tmp"/res/*.res 2>/dev/null | grep -c '^FAIL ')
skip=$(cat "$tmp"/res/*.res 2>/dev/null | grep -c '^SKIP ')
done_=$((pass + fail + skip))
if [ "$done_" -ne "$n" ]; then
	echo "$((n - done_)) tests did not report (interrupted?)"
	fail=$((fail + n - done_))
fi
# remember the durations for the next run's order
[ -n "$first" ] && cat "$tmp"/res/*.res 2>/dev/null | awk '{ print $2, $3 }' >"$times" 2>/dev/null
failed=$(cat "$tmp"/res/*.res 2>/dev/null | awk '$1 == "FAIL" { printf " %s", $3 }')
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
