#!/bin/sh
# make install DESTDIR=... then build a program against the installed header
# and library through pkg-config, statically and dynamically.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPHB_BUILD:-$top/build}
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not installed"; exit 77; }
case "$build" in */san) echo "installed with the normal build only"; exit 77;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" O="$build" install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; exit 1; }
for f in usr/include/sphb/sphb.h usr/lib/libsphb.a usr/lib/libsphb.so.0 usr/lib/libsphb.so \
	usr/bin/sphb usr/lib/pkgconfig/sphb.pc; do
	[ -e "$tmp/root/$f" ] || { echo "missing after install: $f"; exit 1; }
done
export PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_LIBDIR="$tmp/root/usr/lib/pkgconfig"
cat > "$tmp/p.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <sphb/sphb.h>
int main(void)
{
	printf("%s\n", sphb_version());
	return strcmp(sphb_version(), SPHB_VERSION_STRING) != 0;
}
C
${CC:-cc} -std=c11 $(pkg-config --cflags sphb) "$tmp/p.c" -o "$tmp/p" $(pkg-config --libs sphb) ||
	{ echo "cannot build against the installed library"; exit 1; }
LD_LIBRARY_PATH="$tmp/root/usr/lib" "$tmp/p" || { echo "program linked to libsphb.so failed"; exit 1; }
"$tmp/root/usr/bin/sphb" --version | grep -q '^sphb ' || { echo "installed sphb --version failed"; exit 1; }
exit 0
