#!/bin/sh
# Run every test of one or more build directories and print the summary line
# "N passed, N failed, N skipped". Tests: compiled programs in DIR/tests/unit,
# and the scripts in tests/cli and tests/conformance, which find the CLI and
# the build through $SPHB and $SPHB_BUILD. Exit status 77 means skipped.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
failed=
run() {
	label=$1; shift
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $label" ;;
	77) skip=$((skip + 1)); echo "SKIP $label: $(tail -n 1 "$log")" ;;
	*) fail=$((fail + 1)); failed="$failed $label"; echo "FAIL $label (exit $rc)"; sed 's/^/    /' "$log" | tail -n 40 ;;
	esac
	rm -f "$log"
}
for b in "$@"; do
	build=$(cd "$b" && pwd)
	tag=$(basename "$build")
	export SPHB="$build/sphb" SPHB_BUILD="$build" SPHB_TOP="$top"
	for t in "$build"/tests/unit/*; do
		[ -x "$t" ] || continue
		run "$tag/unit/$(basename "$t")" "$t"
	done
	# the normal build's unit tests once more under valgrind (zero errors, zero leaks)
	if [ "${SPHB_VALGRIND:-0}" = 1 ] && [ "$b" = "$1" ] && command -v valgrind >/dev/null 2>&1; then
		for t in "$build"/tests/unit/*; do
			[ -x "$t" ] || continue
			run "valgrind/unit/$(basename "$t")" valgrind -q --error-exitcode=9 --leak-check=full \
				--errors-for-leak-kinds=definite,indirect "$t"
		done
	fi
	for t in "$build"/tests/tsan/*; do
		[ -x "$t" ] || continue
		run "tsan/$(basename "$t")" env TSAN_OPTIONS="halt_on_error=1 exitcode=1" "$t"
	done
	for t in "$build"/tests/fuzz/replay_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t" | sed 's/^replay_//')
		run "$tag/fuzz-corpus/$name" "$t" "$top/tests/fuzz/corpus/$name"
	done
	for t in "$top"/tests/cli/*.sh "$top"/tests/conformance/*.sh "$top"/tests/abi/*.sh "$top"/tests/hw/*.sh \
		"$top"/tests/bench/*.sh; do
		[ -f "$t" ] || continue
		run "$tag/$(basename "$(dirname "$t")")/$(basename "$t" .sh)" sh "$t"
	done
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
