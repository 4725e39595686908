#!/bin/sh
# The public header compiles on its own as strict C11 and as C++, and every
# function it declares is exported by libsphb.so.0 (and nothing else is).
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPHB_BUILD:-$top/build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
printf '#include <sphb/sphb.h>\nint main(void) { return sphb_version() ? 0 : 1; }\n' > "$tmp/c.c"
$cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$top/include" -c "$tmp/c.c" -o "$tmp/c.o" ||
	{ echo "header does not compile as C11"; exit 1; }
if command -v c++ >/dev/null 2>&1; then
	printf '#include <sphb/sphb.h>\nint main() { return sphb_version() ? 0 : 1; }\n' > "$tmp/x.cc"
	c++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$top/include" -c "$tmp/x.cc" -o "$tmp/x.o" ||
		{ echo "header does not compile as C++"; exit 1; }
fi
so="$build/libsphb.so.0"
[ -f "$so" ] || { echo "no $so"; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "nm missing"; exit 77; }
nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u > "$tmp/exported"
grep -o 'sphb_[a-z0-9_]*(' "$top/include/sphb/sphb.h" | tr -d '(' | sort -u > "$tmp/declared"
sed -n 's/^[[:space:]]*\(sphb_[a-z0-9_]*\);$/\1/p' "$top/src/libsphb.map" | sort -u > "$tmp/mapped"
rc=0
if ! cmp -s "$tmp/exported" "$tmp/declared"; then
	echo "exported symbols differ from the header's declarations (< exported, > declared):"
	diff "$tmp/exported" "$tmp/declared"; rc=1
fi
if ! cmp -s "$tmp/mapped" "$tmp/declared"; then
	echo "version script differs from the header's declarations (< map, > declared):"
	diff "$tmp/mapped" "$tmp/declared"; rc=1
fi
exit $rc
