#!/bin/sh
# `guest recover DEV`: one `rtas NAME -> ...` line per RTAS call of the
# guest-recovery driver (the format of the `rtas` statement), then
# `recover DEV -> recovered|permanent-failure|not-frozen (N resets, T ms)`;
# `guest recover DEV log`: one kernel-log line per phase, then the same.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
sphb=${SPHB:-$top/build/sphb}
[ -x "$sphb" ] || { echo "no $sphb"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
NIC=sim-pci,bus=pci.0,addr=2,id=nic,vendor=0x8086,device=0x100e,bar0=mem32:0x20000,pcie=on,iommu-group=1

cat > "$tmp/s" <<'EOF'
# firmware: BAR0 and memory decoding
rtas ibm,write-pci-config 0x1010 0x08000000 0x20000000 4 0x80000000
rtas ibm,write-pci-config 0x1004 0x08000000 0x20000000 2 2
guest recover nic
host freeze nic
guest recover nic
host state nic
rtas ibm,read-slot-reset-state2 1 0x08000000 0x20000000
EOF
"$sphb" run -device "$NIC" "$tmp/s" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 0 ] || { echo "exit $rc"; cat "$tmp/err"; exit 1; }

# first use of the healthy device: PE lookup, detection read, capability walk
# and the saved header; no error
sed -n '3,4p' "$tmp/out" > "$tmp/got"
printf '%s\n' 'rtas ibm,get-config-addr-info2 -> 0 0x00000002' \
	'rtas ibm,get-config-addr-info2 -> 0 0x00000001' > "$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || { echo "PE lookup differs:"; diff "$tmp/want" "$tmp/got"; fail=1; }
grep -qx 'recover nic -> not-frozen (0 resets, 0 ms)' "$tmp/out" ||
	{ echo "no not-frozen line"; fail=1; }

# the recovery, exactly: the happy path of Linux 6.12's eeh_handle_normal_event()
# (arch/powerpc/kernel/eeh_driver.c) for one device whose driver answers
# NEED_RESET, with eeh_slot_error_detail() and eeh_reset_device()
sed -n '/^host freeze nic/,$p' "$tmp/out" > "$tmp/got"
{
	echo 'host freeze nic -> PE 0x00000001'
	echo 'rtas ibm,read-pci-config -> 0 0xffffffff'
	st2='rtas ibm,read-slot-reset-state2 -> 0 0x00000002 0x00000001 0x000003e8'
	st0='rtas ibm,read-slot-reset-state2 -> 0 0x00000000 0x00000001 0x000003e8'
	echo "$st2"; echo "$st2"; echo "$st2"
	echo 'rtas ibm,set-eeh-option -> 0'
	echo 'rtas ibm,read-slot-reset-state2 -> 0 0x00000004 0x00000001 0x000003e8'
	echo 'rtas ibm,configure-pe -> 0'
	restore() {
		for i in 1 2 3 4 5 6 7 8 9 10; do echo 'rtas ibm,write-pci-config -> 0'; done
		echo 'rtas ibm,read-pci-config -> 0 0x00100002'
		echo 'rtas ibm,write-pci-config -> 0'
	}
	restore
	for v in 0x100e8086 0x00100002 \
		0x00020010 0x00008000 0x00002810 0x00000011 0x00110000 0 0 0 0 \
		0x00020001 0 0 0x00462030 0 0x0000e000 0 0 0 0 0 0 0 0; do
		[ "$v" = 0 ] && v=0x00000000
		echo "rtas ibm,read-pci-config -> 0 $v"
	done
	echo 'rtas ibm,slot-error-detail -> 1'
	echo 'rtas ibm,set-slot-reset -> 0'
	echo 'rtas ibm,set-slot-reset -> 0'
	restore
	echo 'rtas ibm,read-pci-config -> 0 0x00000002'
	echo "$st0"; echo "$st0"; echo "$st0"
	echo 'rtas ibm,configure-pe -> 0'
	restore
	echo "$st0"; echo "$st0"
	echo 'recover nic -> recovered (1 resets, 4100 ms)'
	echo 'host state nic -> normal'
	echo "$st0"
} > "$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || { echo "recovery output differs:"; diff "$tmp/want" "$tmp/got"; fail=1; }

# every driver line has the `rtas` statement's format
sed -n '/^host freeze/,/^recover/p' "$tmp/out" | sed '1d;$d' |
	grep -Ev '^rtas ibm,[a-z0-9-]+ -> -?[0-9]+( (0x[0-9a-f]{8}|-))*$' &&
	{ echo "malformed lines above"; fail=1; }

# the 6th freeze within an hour: permanent failure, slot-error-detail function 2
{
	echo 'guest recover nic'
	for i in 1 2 3 4 5 6; do echo 'host freeze nic'; echo 'guest recover nic'; done
	echo 'host state nic'
} > "$tmp/s6"
"$sphb" run -device spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group \
	-device sim-pci,bus=phb1.0,addr=2,id=nic,pcie=on,iommu-group=1 "$tmp/s6" > "$tmp/out6" 2>&1 ||
	{ echo "6 freezes: exit status $?"; cat "$tmp/out6"; fail=1; }
[ "$(grep -c '^recover nic -> recovered (1 resets, 4100 ms)$' "$tmp/out6")" = 5 ] ||
	{ echo "expected 5 recoveries"; fail=1; }
tail -n 3 "$tmp/out6" > "$tmp/got"
printf '%s\n' 'rtas ibm,slot-error-detail -> 0' 'recover nic -> permanent-failure (0 resets, 0 ms)' \
	'host state nic -> permanent' > "$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || { echo "6th freeze differs:"; diff "$tmp/want" "$tmp/got"; fail=1; }

# `guest recover DEV log`: one kernel-log line per phase instead of the calls;
# a healthy device, a temporarily unavailable PE (the wait shows the host's
# 2500 ms), and a device removed by a permanent failure. A healthy pcie=on
# sim-pci is saved with 24 reads: 4 for the PCI-X search (Status, pointer,
# the PCIe ID, its next pointer), 3 for PCIe, 1 for AER at 0x100, 16 header dwords
{
	echo 'guest recover nic log'
	echo 'host freeze nic'; echo 'host busy nic 2500'; echo 'guest recover nic log'
	for i in 2 3 4 5 6; do echo 'host freeze nic'; echo 'guest recover nic quiet'; done
	echo 'guest recover nic log'
} > "$tmp/sl"
"$sphb" run -device spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group \
	-device sim-pci,bus=phb1.0,addr=2,id=nic,pcie=on,iommu-group=1 "$tmp/sl" > "$tmp/outl" 2>&1 ||
	{ echo "log mode: exit status $?"; cat "$tmp/outl"; fail=1; }
grep -v '^\[' "$tmp/outl" | grep -q '^rtas ' && { echo "log mode printed raw rtas lines"; fail=1; }
sed -n 1,4p "$tmp/outl" | sed 's/^\[ *[0-9.]*\] //' > "$tmp/got"
printf '%s\n' 'EEH: nic is in PHB#1-PE#1000 (ibm,get-config-addr-info2)' \
	'EEH: nic: no error (its vendor/device ID reads 0x53481014)' \
	'EEH: nic: config space saved for recovery (24 config reads: capabilities, header)' \
	'recover nic -> not-frozen (0 resets, 0 ms)' > "$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || { echo "log mode, healthy device:"; diff "$tmp/want" "$tmp/got"; fail=1; }
grep -q '^\[    0\.000000\] EEH: wait for the PE: state 2 (MMIO and DMA stopped) after 2500 ms, 2 state reads$' "$tmp/outl" ||
	{ echo "log mode: no 2500 ms wait line"; fail=1; }
grep -q '^\[    6\.600000\] EEH: Recovery successful\.$' "$tmp/outl" || { echo "log mode: no success line"; fail=1; }
tail -n 2 "$tmp/outl" | sed 's/^\[ *[0-9.]*\] //' > "$tmp/got"
printf '%s\n' 'EEH: nic was removed after the permanent failure of PHB#1-PE#1000' \
	'recover nic -> permanent-failure (0 resets, 0 ms)' > "$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || { echo "log mode, removed device:"; diff "$tmp/want" "$tmp/got"; fail=1; }

# errors stop the run with exit status 2
for stmt in 'guest recover nope' 'guest recover emu' 'guest' 'guest recover' 'guest fix nic' \
	'guest recover nic loud' 'guest recover nic log quiet'; do
	echo "$stmt" > "$tmp/e"
	"$sphb" run -device "$NIC" -device spapr-pci-host-bridge,index=1,id=phb1 \
		-device sim-pci,bus=phb1.0,addr=3,id=emu "$tmp/e" > /dev/null 2> "$tmp/err" && true
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q "^sphb: $tmp/e:1: guest" "$tmp/err"; then
		echo "'$stmt': exit $rc, stderr: $(cat "$tmp/err")"; fail=1
	fi
done
exit $fail
