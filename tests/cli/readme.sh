#!/bin/sh
# The README's command-line examples run as written: every "$ COMMAND" in a
# fenced block (continued while a line ends in | or \) is run from the top
# directory with build/sphb standing for the CLI under test, and must print
# exactly the lines that follow it in the block. Also the Quick start: it
# names exactly the two goals `make demo` and `make check`; the files the README
# names exist.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${SPHB:?SPHB must name the sphb binary}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
# ex<N>.sh: the command; ex<N>.want: the lines after it up to the next
# command or the end of the block
awk -v dir="$tmp" '
	function flush() { if (cmd != "") { print cmd > (dir "/ex" n ".sh"); printf "%s", out > (dir "/ex" n ".want"); n++ } cmd = ""; out = "" }
	/^```/ { if (inblk) flush(); inblk = !inblk; cont = 0; next }
	!inblk { next }
	cont { cmd = cmd "\n" $0; cont = ($0 ~ /[|\\]$/); next }
	/^\$ / { flush(); cmd = substr($0, 3); cont = ($0 ~ /[|\\]$/); next }
	cmd != "" { out = out $0 "\n" }
' "$top/README.md"
count=0
for sh in "$tmp"/ex*.sh; do
	[ -f "$sh" ] || continue
	count=$((count + 1))
	want=${sh%.sh}.want
	sed "s|build/sphb|$S|g" "$sh" >"$sh.run"
	(cd "$top" && sh "$sh.run") >"$sh.out" 2>"$sh.err" || { printf 'README example failed: %s\n' "$(cat "$sh")"; cat "$sh.err"; fail=1; continue; }
	cmp -s "$want" "$sh.out" || { printf 'README example prints something else: %s\n' "$(cat "$sh")"; diff "$want" "$sh.out"; fail=1; }
done
[ "$count" -ge 1 ] || { echo "no \$ example found in README.md"; fail=1; }
# Quick start: exactly two commands, make demo and make check
qs=$(sed -n '/^## Quick start/,/^## /p' "$top/README.md" | sed -n '/^```/,/^```/p' | grep -v '^```' | sed 's/ *#.*//')
[ "$qs" = "make demo
make check" ] || { echo "Quick start is not exactly 'make demo' and 'make check': '$qs'"; fail=1; }
# every file the README names exists, and the pages it must link do
for f in $(grep -o '\(docs\|examples\|tests\|tools\|include\)/[A-Za-z0-9_./-]*[A-Za-z0-9]' "$top/README.md" | sort -u); do
	[ -e "$top/$f" ] || { echo "README names $f, which does not exist"; fail=1; }
done
for f in docs/cli.md docs/qemu-differences.md docs/testing.md; do
	grep -q "$f" "$top/README.md" || { echo "README does not link $f"; fail=1; }
done
grep -q 'make demo-config' "$top/README.md" || { echo "README does not list make demo-config"; fail=1; }
exit $fail
