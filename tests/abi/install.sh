#!/bin/sh
# make install DESTDIR=... : the file names of the shared library, then build a
# program against the staged header and library through pkg-config
# (PKG_CONFIG_SYSROOT_DIR + PKG_CONFIG_PATH), as C and as C++, linked to the shared
# library and statically; the installed CLI answers --help and --version; the
# installed man page renders with man -l without a formatter warning.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPHB_BUILD:-$top/build}
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not installed"; exit 77; }
case "$build" in */san) echo "installed with the normal build only"; exit 77;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
make -s -C "$top" O="$build" install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; exit 1; }
for f in usr/include/sphb/sphb.h usr/lib/libsphb.a usr/lib/libsphb.so.0 usr/lib/libsphb.so \
	usr/bin/sphb usr/lib/pkgconfig/sphb.pc usr/share/man/man1/sphb.1; do
	[ -e "$tmp/root/$f" ] || { echo "missing after install: $f"; exit 1; }
done
# the shared library: the real file is named after the version (libsphb.so.0.1.0
# for 0.1.0), libsphb.so.0 (the soname) and libsphb.so are symlinks to it
version=$(sed -n 's/^#define SPHB_VERSION_STRING "\(.*\)"/\1/p' "$top/include/sphb/sphb.h")
real=libsphb.so.$version
lib=$tmp/root/usr/lib
[ -f "$lib/$real" ] && [ ! -L "$lib/$real" ] || { echo "no regular file usr/lib/$real"; ls -l "$lib"; exit 1; }
[ "$(readlink "$lib/libsphb.so.0")" = "$real" ] || { echo "libsphb.so.0 -> $(readlink "$lib/libsphb.so.0"), expected $real"; exit 1; }
[ "$(readlink "$lib/libsphb.so")" = libsphb.so.0 ] || { echo "libsphb.so -> $(readlink "$lib/libsphb.so"), expected libsphb.so.0"; exit 1; }
[ "$(ls "$lib" | grep -c '^libsphb\.so')" = 3 ] || { echo "unexpected shared-library files:"; ls -l "$lib"; exit 1; }
if command -v readelf >/dev/null 2>&1; then
	readelf -d "$lib/$real" | grep -q 'SONAME.*\[libsphb\.so\.0\]' || { echo "soname of $real is not libsphb.so.0"; exit 1; }
fi
# sphb.pc holds the final paths (relative to prefix), never the staging tree;
# pkg-config reaches the staged copy the usual way (README "Embedding"):
# PKG_CONFIG_PATH finds the .pc, PKG_CONFIG_SYSROOT_DIR prefixes its -I and -L
grep -q "$tmp" "$lib/pkgconfig/sphb.pc" && { echo "sphb.pc names the DESTDIR staging tree"; exit 1; }
grep -qx 'prefix=/usr' "$lib/pkgconfig/sphb.pc" && grep -qx 'libdir=${prefix}/lib' "$lib/pkgconfig/sphb.pc" ||
	{ echo "sphb.pc: prefix/libdir not /usr and \${prefix}/lib:"; cat "$lib/pkgconfig/sphb.pc"; exit 1; }
export PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_PATH="$tmp/root/usr/lib/pkgconfig"
[ "$(pkg-config --modversion sphb)" = "$version" ] || { echo "pkg-config --modversion sphb: $(pkg-config --modversion sphb)"; exit 1; }
case " $(pkg-config --libs sphb) " in *" -L$tmp/root/usr/lib "*) ;; *)
	echo "pkg-config --libs sphb does not point into the sysroot: $(pkg-config --libs sphb)"; exit 1;; esac
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
if command -v readelf >/dev/null 2>&1; then
	readelf -d "$tmp/p" | grep -q 'NEEDED.*\[libsphb\.so\.0\]' || { echo "the program does not need libsphb.so.0"; exit 1; }
fi
# C++: the header is usable from C++ (extern "C", no C-only constructs) and
# links against the installed library; it drives a real RTAS call.
cat > "$tmp/p.cc" <<'CC'
#include <cstdio>
#include <cstring>
#include <vector>
#include <sphb/sphb.h>
static std::vector<unsigned char> ram(1 << 20);
static int rd(void *, uint64_t a, void *b, size_t n)
{ if (a > ram.size() || n > ram.size() - a) return -14; std::memcpy(b, &ram[a], n); return 0; }
static int wr(void *, uint64_t a, const void *b, size_t n)
{ if (a > ram.size() || n > ram.size() - a) return -14; std::memcpy(&ram[a], b, n); return 0; }
static void be(uint64_t a, uint32_t v)
{ ram[a] = (unsigned char)(v >> 24); ram[a + 1] = (unsigned char)(v >> 16); ram[a + 2] = (unsigned char)(v >> 8); ram[a + 3] = (unsigned char)v; }
int main()
{
	struct sphb_host_ops ops;
	std::memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = rd;
	ops.mem_write = wr;
	struct sphb_machine *m = nullptr;
	if (sphb_machine_new_default(&ops, nullptr, &m) || sphb_machine_add(m, "sim-pci,bus=pci.0,addr=2"))
		return 1;
	/* ibm,read-pci-config(config address of 00:02.0 register 0, BUID, size 4) */
	const uint32_t w[] = { (uint32_t)sphb_rtas_token("ibm,read-pci-config"), 4, 2, 0x1000, 0x8000000, 0x20000000, 4 };
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		be(0x1000 + 4 * i, w[i]);
	struct sphb_rtas_result res;
	std::memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	int rc = sphb_rtas_call(m, 0x1000, &res);
	uint32_t id = (uint32_t)ram[0x1000 + 32] << 24 | (uint32_t)ram[0x1000 + 33] << 16 |
		      (uint32_t)ram[0x1000 + 34] << 8 | ram[0x1000 + 35];
	std::printf("%d 0x%08x\n", rc, id);
	sphb_machine_free(m);
	return rc != 0 || id != 0x53481014u;
}
CC
if command -v ${CXX:-c++} >/dev/null 2>&1; then
	${CXX:-c++} -std=c++11 -Wall -Wextra -Werror $(pkg-config --cflags sphb) "$tmp/p.cc" -o "$tmp/pcc" \
		$(pkg-config --libs sphb) || { echo "cannot build a C++ program against the installed library"; exit 1; }
	LD_LIBRARY_PATH="$tmp/root/usr/lib" "$tmp/pcc" || { echo "C++ program linked to libsphb.so failed"; exit 1; }
	${CXX:-c++} -std=c++11 $(pkg-config --cflags sphb) "$tmp/p.cc" -o "$tmp/pcc-static" \
		"$tmp/root/usr/lib/libsphb.a" || { echo "cannot link a C++ program to libsphb.a"; exit 1; }
	"$tmp/pcc-static" || { echo "C++ program linked to libsphb.a failed"; exit 1; }
else
	echo "no C++ compiler: C++ check not run" >&2
fi
"$tmp/root/usr/bin/sphb" --version | grep -q '^sphb [0-9]' || { echo "installed sphb --version failed"; exit 1; }
"$tmp/root/usr/bin/sphb" --help | grep -q '^usage: sphb run' || { echo "installed sphb --help failed"; exit 1; }
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$tmp/root/usr/share/man/man1/sphb.1" >"$tmp/man.txt" 2>"$tmp/man.err" ||
		{ cat "$tmp/man.err"; echo "man -l sphb.1 failed"; exit 1; }
	[ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err"; echo "man -l sphb.1: formatter warnings"; exit 1; }
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES; do
		grep -q "^$s" "$tmp/man.txt" || { echo "sphb.1 has no $s section"; exit 1; }
	done
	grep -q "sphb replay" "$tmp/man.txt" || { echo "sphb.1 does not document replay"; exit 1; }
else
	echo "man not installed: man page not rendered" >&2
fi
exit 0
