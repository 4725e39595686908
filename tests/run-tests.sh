#!/bin/sh
# Run every test of one or more build directories and print the summary line
# "N passed, N failed, N skipped".
#   tests/run-tests.sh DIR...                 run, then print the summary
#   SPHB_RESULTS=RDIR tests/run-tests.sh DIR... run, keep the results in RDIR
#                                             (several runners may share it)
#   tests/run-tests.sh --summary RDIR         the summary of the results in RDIR
# Tests: compiled programs in DIR/tests/unit
# (and, with SPHB_VALGRIND=1, the first directory's once more under valgrind),
# DIR/tests/tsan, the fuzz-corpus replayers in DIR/tests/fuzz, and the scripts
# in tests/cli, tests/conformance, tests/abi, tests/hw and tests/bench, which
# find the CLI and the build through $SPHB, $SPHB_BUILD and $SPHB_TOP.
# Exit status 77 means skipped.
#
# SPHB_JOBS (default: the number of CPUs) tests run at once, the slowest
# first (each test's duration is remembered in FIRST-DIR/.test-times for the
# next run's order; without it tests/test-times, a reference run's durations,
# gives the order); every test prints "RUN label" when it starts and
# "PASS|FAIL|SKIP label (T s)" when it ends, a failure followed by the last 40
# lines of its output.
#
# A build directory whose name is "novfio" (SPHB_VFIO=0) skips
# tests/conformance: those scripts drive sim-pci machines only, and the
# no-VFIO library differs from the normal one only in code that a vfio-pci
# device reaches (src/pci/sim_pci.c, eeh.c, machine.c, tce.c, backend/sim.c under
# "#if SPHB_VFIO"), so they cannot answer differently there; the unit tests,
# fuzz corpora, CLI, ABI and benchmark tests still run in it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

# ---- the summary of a results directory --------------------------------------
summary() { # RDIR EXPECTED-COUNT(0: unknown)
	pass=$(cat "$1"/*.res 2>/dev/null | grep -c '^PASS ')
	fail=$(cat "$1"/*.res 2>/dev/null | grep -c '^FAIL ')
	skip=$(cat "$1"/*.res 2>/dev/null | grep -c '^SKIP ')
	if [ "$2" -gt 0 ] && [ $((pass + fail + skip)) -lt "$2" ]; then
		echo "$(($2 - pass - fail - skip)) tests did not report (interrupted?)"
		fail=$((fail + $2 - pass - fail - skip))
	fi
	if [ $((pass + fail + skip)) -eq 0 ]; then
		echo "no test ran"
		fail=1
	fi
	failed=$(cat "$1"/*.res 2>/dev/null | awk '$1 == "FAIL" { printf " %s", $3 }')
	[ -n "$failed" ] && echo "failed:$failed"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}
if [ "${1:-}" = --summary ]; then
	[ $# = 2 ] && [ -d "$2" ] || { echo "usage: $0 --summary RESULTS-DIR" >&2; exit 2; }
	summary "$2" 0
	exit
fi

jobs=${SPHB_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]* | 0) jobs=1 ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/t"
results=${SPHB_RESULTS:-$tmp/res}
mkdir -p "$results" || exit 1

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
	# the normal build's unit tests once more under valgrind (zero errors, zero
	# leaks). Its random walks are shorter there (test_msi 10 000 steps instead
	# of 100 000, test_migrate 16 states instead of 48): the same code, which the
	# full walks already run natively and under ASan+UBSan; valgrind (some 100
	# times slower) is here for what those cannot see, uninitialised reads.
	if [ "${SPHB_VALGRIND:-0}" = 1 ] && [ "$build" = "$first" ] && command -v valgrind >/dev/null 2>&1; then
		for t in "$build"/tests/unit/*; do
			[ -x "$t" ] || continue
			task "valgrind/unit/$(basename "$t")" "$env SPHB_MSI_STEPS=10000 SPHB_MIGRATE_SEEDS=16 \
exec valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect '$t'"
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
	[ "${cost:-0}" = 0 ] &&
		cost=$(awk -v l="$label" '$2 == l { c = $1 } END { print c + 0 }' "$top/tests/test-times" 2>/dev/null)
	if [ "${cost:-0}" = 0 ]; then
		case $label in
		valgrind/*) cost=1000 ;;
		*/conformance/* | san/*) cost=10 ;;
		*) cost=1 ;;
		esac
	fi
	echo "$cost $i"
done | sort -k1,1gr -k2,2n | awk '{ print $2 }' >"$tmp/order"

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
# result files are named after the task's place in this run's list, so
# runners sharing a results directory need distinct names: prefix the pid
mkdir "$tmp/named"
for f in "$tmp"/t/*; do mv "$f" "$tmp/named/$$-$(basename "$f")"; done
sed -i "s|^|$$-|" "$tmp/order"
SPHB_RESULTS=$results xargs -P "$jobs" -n 1 sh "$tmp/one" <<EOF
$(sed "s|^|$tmp/named/|" "$tmp/order")
EOF

# ---- summary ----------------------------------------------------------------
# remember the durations for the next run's order
[ -n "$first" ] && cat "$results"/$$-*.res 2>/dev/null | awk '{ print $2, $3 }' >"$first/.test-times" 2>/dev/null
if [ -n "${SPHB_RESULTS:-}" ]; then
	p=$(cat "$results"/$$-*.res 2>/dev/null | grep -c '^PASS ')
	f=$(cat "$results"/$$-*.res 2>/dev/null | grep -c '^FAIL ')
	echo "== tests of $* done: $p of $n passed, $f failed"
	[ "$f" -eq 0 ] && [ "$(cat "$results"/$$-*.res 2>/dev/null | wc -l)" -eq "$n" ]
	exit
fi
summary "$results" "$n"
