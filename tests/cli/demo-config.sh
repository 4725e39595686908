#!/bin/sh
# The shipped config-probe story (make demo-config) answers what its comments
# say: IDs and class of the nic, a capability list (MSI, ID 5, first), the
# 128 KiB BAR0 size mask, a working BAR after programming, and QEMU 7.2's -1
# for a size of 3, an empty slot and an unknown BUID (hw/ppc/spapr_pci.c,
# rtas_ibm_read_pci_config()). Also checks that the script's cfg()/buid()
# words reach the registers its comments name.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$top" && "$SPHB" run $(cat examples/config-probe.args) examples/config-probe.sphb) >"$tmp/out" ||
	{ echo "demo-config exited $?"; exit 1; }
cat >"$tmp/want" <<'EOF'
rtas ibm,read-pci-config -> 0 0x100e8086
rtas ibm,read-pci-config -> 0 0x02000003
rtas ibm,read-pci-config -> 0 0x00000000
rtas ibm,read-pci-config -> 0 0x00000010
rtas ibm,read-pci-config -> 0 0x00000040
rtas ibm,read-pci-config -> 0 0x00000005
rtas ibm,read-pci-config -> 0 0x00000058
rtas ibm,write-pci-config -> 0
rtas ibm,read-pci-config -> 0 0xfffe0000
rtas ibm,write-pci-config -> 0
rtas ibm,write-pci-config -> 0
mmio nic -> 0xcafef00d
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
rtas ibm,read-pci-config -> -1 -
EOF
cmp -s "$tmp/want" "$tmp/out" || { echo "demo-config output differs:"; diff "$tmp/want" "$tmp/out"; exit 1; }
exit 0
