#!/bin/sh
# Every property the PHB types accept (the keys src/phb/phb.c asks the option
# parser for) is documented in docs/cli.md and in the man page, and each of
# them is accepted on the command line with the value the docs give as an
# example; an unknown one is refused (issue 16: the docs listed 7 of 16).
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${SPHB:?SPHB must name the sphb binary}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }
# the PHB's own properties: phb_props() and sphb_phb_add() (the rest of the
# file places functions on the PHB's bus)
sed -n '/^static int phb_props(/,/^void sphb_phb_free(/p' "$top/src/phb/phb.c" |
	sed -n 's/.*sphb_opts_\(u64\|bool\|get\)([^"]*"\([a-z0-9_.-]*\)".*/\2/p' | sort -u >"$tmp/keys"
echo id >>"$tmp/keys" # sphb_opts_id()
[ "$(wc -l <"$tmp/keys")" -ge 16 ] || no "found only $(wc -l <"$tmp/keys") properties in src/phb/phb.c"
man=
if command -v man >/dev/null 2>&1; then
	MANWIDTH=200 man -l "$top/docs/sphb.1" >"$tmp/man" 2>/dev/null && man=$tmp/man
fi
while read -r k; do
	grep -qE "\`$k(=[^\`]*)?\`" "$top/docs/cli.md" || no "docs/cli.md does not document PHB property '$k'"
	[ -z "$man" ] || grep -qE "(^|[ ,])$k=" "$man" || no "sphb.1 does not document PHB property '$k'"
done <"$tmp/keys"
# each accepted with a documented value
for p in index=1 id=p1 pe-mode=per-group error-log=on msi-limit=enabled pcie-extended-configuration-space=off \
	mem_win_size=1M mem64_win_size=0 io_win_size=0x10000 numa_node=0 pre-5.1-associativity=on \
	ddw=off pgsz=0x41f211000 dma_win_addr=0x1000 dma_win_size=4K dma64_win_addr=0; do
	case $p in index=*) spec=spapr-pci-host-bridge,$p ;; *) spec=spapr-pci-host-bridge,index=1,$p ;; esac
	"$S" run -device "$spec" </dev/null >"$tmp/out" 2>"$tmp/err" || no "-device $spec refused: $(cat "$tmp/err")"
	k=${p%%=*}
	grep -qx "$k" "$tmp/keys" || no "the test's property $k is not in src/phb/phb.c"
done
"$S" run -device spapr-pci-vfio-host-bridge,index=1,iommu=7 </dev/null >/dev/null 2>&1 || no "legacy type with iommu= refused"
"$S" run -device spapr-pci-host-bridge,index=1,frob=1 </dev/null >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q 'frob=1: unknown option' "$tmp/err" || no "unknown PHB property not refused: $(cat "$tmp/err")"
exit $fail
