#!/bin/sh
# Real-guest check of the libsphb-backed PHB: Debian's ppc64le Linux 6.12 on
# a QEMU pseries machine (TCG, POWER9) built by contrib/qemu/build.sh. QEMU's
# default PHB (index 0) is left alone; three spapr-sphb-host-bridge PHBs:
#   sphb1 (index 1, pe-mode=per-group, iommu-groups=slot): an NVMe disk, a
#         virtio-blk-pci disk (iommu_platform=on, modern only), an e1000;
#   sphb2 (index 2, pe-mode=shared): a second NVMe disk (its only PE);
#   sphb3 (index 3, iommu-groups=none): an e1000e, no EEH (as QEMU's PHB).
#
#  1. baseline: check-baseline.sh with the same QEMU binary, devices on
#     QEMU's own PHB (boot time and disk throughput to compare with);
#  2. sphb: the same guest report (guest/baseline.sh) for the devices on the
#     sphb PHBs (IDs, BARs, drivers, MSI-X, INTx, disks through TCEs checked
#     byte for byte on the host, DDWs, EEH enabled, which devices are
#     EEH-capable), then EEH on the first NVMe (guest/eeh.sh): freeze 1
#     through eeh_dev_break, freeze 2 from the monitor (the VM stopped: HMP
#     sphb_freeze, HMP info sphb and QMP query-sphb show the PE stopped and
#     its neighbour normal), freezes 3-5 through eeh_dev_break: each ends in
#     "EEH: Recovery successful" with the disk reading back its data and the
#     neighbour (virtio-blk, another PE) staying normal; the sixth within
#     the hour is a permanent failure: the guest removes the NVMe (Linux
#     removes the whole parent bus of a failed device PE, so its bus
#     neighbours go too), the devices on the other PHBs keep working; then
#     the NVMe of the shared-mode PHB is broken and recovers.
#
# Usage: check-guest.sh [--qemu PATH] [--firmware slof|vof] [--out DIR]
#                       [--timeout SEC] [--no-baseline] [--verbose]
#   --qemu PATH     patched qemu-system-ppc64 (default: contrib/qemu/build.sh
#                   --print-bin, which builds it when its inputs changed)
#   --out DIR       console logs and the monitor log (default build/guest)
#   --no-baseline   skip the run on QEMU's PHB (no ratios)
#   --firmware, --timeout, --verbose: as boot.sh (timeout per boot)
# Output: one "ok NAME" / "FAIL NAME: why" line per check, the measurements
# ("SPHB-GUEST: ..." and the sphb/QEMU ratios), then
# "check-guest: N passed, N failed".
# Exit: 0 all passed, 1 a check failed (named on stderr), 77 the guest
# kernel cannot be fetched.
# shellcheck disable=SC2317,SC2016 # functions called through check/eval
set -eu
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GUEST_DIR/lib.sh"
TOP=$(cd "$GUEST_DIR/../.." && pwd)

qemu='' firmware=slof out=$TOP/build/guest timeout=600 verbose='' baseline=1
while [ $# -gt 0 ]; do
	case $1 in
	--qemu) qemu=${2:?}; shift 2 ;;
	--firmware) firmware=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--no-baseline) baseline=0; shift ;;
	--verbose) verbose=--verbose; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

t_start=$(now_ms)
# missing host tools are a failure (77 is only for a kernel that cannot be had)
(need_host_pkgs cmp:diffutils md5sum:coreutils python3:python3 tail:coreutils) >&2 ||
	{ echo "FAIL host-tools: cannot install diffutils/coreutils/python3"; echo "check-guest: 0 passed, 1 failed"; exit 1; }
# the kernel first: 77 when it cannot be had, before any build
load_guest_env
mkdir -p "$out"
make_tmpdir

pass=0 failn=0 failed=
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() {
	echo "FAIL $1: $2"
	failn=$((failn + 1))
	failed="$failed $1"
}
check() {
	ck_name=$1 ck_why=$2
	shift 2
	if "$@"; then ok "$ck_name"; else bad "$ck_name" "$ck_why"; fi
}
finish() {
	echo "check-guest: $pass passed, $failn failed"
	if [ $failn != 0 ]; then
		echo "check-guest: FAILED:$failed" >&2
		exit 1
	fi
	exit 0
}
match() { case $1 in "$2"*) return 0 ;; *) return 1 ;; esac; }

if [ -z "$qemu" ]; then
	t0=$(now_ms)
	if qemu=$("$TOP/contrib/qemu/build.sh" --print-bin 2>"$TMPD/build.log"); then
		echo "SPHB-GUEST: qemu-build $(ms_to_s $(($(now_ms) - t0))) s ($qemu)"
		ok qemu-build
	else
		tail -n 30 "$TMPD/build.log"
		bad qemu-build "contrib/qemu/build.sh failed"
		finish
	fi
fi
if "$qemu" -M none -device help 2>/dev/null | grep -q '"spapr-sphb-host-bridge"'; then
	ok qemu-has-sphb
else
	bad qemu-has-sphb "$qemu has no spapr-sphb-host-bridge device"
	finish
fi

# ---- 1. baseline on QEMU's PHB, same binary
base_init='' base_tp_nvme='' base_tp_virtio=''
if [ $baseline = 1 ]; then
	set +e
	"$GUEST_DIR/check-baseline.sh" --qemu "$qemu" --firmware "$firmware" --out "$out" \
		--timeout "$timeout" $verbose >"$TMPD/baseline.out" 2>&1
	brc=$?
	set -e
	[ $brc = 77 ] && { cat "$TMPD/baseline.out"; exit 77; }
	if [ $brc = 0 ]; then
		ok baseline-qemu-phb
	else
		grep '^FAIL' "$TMPD/baseline.out" || tail -n 20 "$TMPD/baseline.out"
		bad baseline-qemu-phb "check-baseline.sh on QEMU's PHB failed (exit $brc)"
	fi
	base_init=$(sed -n 's/^SPHB-GUEST: boot-to-init \([0-9.]*\) s wall.*/\1/p' "$TMPD/baseline.out")
	base_tp_nvme=$(sed -n 's/^SPHB-GUEST: throughput nvme[0-9n]* read [0-9]*MiB [0-9.]* s \([0-9.]*\) MiB\/s/\1/p' "$TMPD/baseline.out" | head -n 1)
	base_tp_virtio=$(sed -n 's/^SPHB-GUEST: throughput vd[a-z]* read [0-9]*MiB [0-9.]* s \([0-9.]*\) MiB\/s/\1/p' "$TMPD/baseline.out" | head -n 1)
fi

# ---- 2. the sphb PHB
img=$("$GUEST_DIR/initramfs.sh" --script "$GUEST_DIR/guest/eeh.sh" \
	--file "$GUEST_DIR/guest/baseline.sh:/sphb/baseline.sh" --load "nvme virtio_blk e1000 e1000e") || {
	rc=$?
	printf '%s\n' "$img"
	exit $rc
}
log=$out/sphb-console.log
mon=$out/sphb-monitor.log
: >"$mon"

DISK_MIB=80 WRITE_OFF=8388608 WRITE_LEN=65536 READ_MIB=64 LBA=12345
mkdisk() {
	awk -v name="$1" -v n=$((DISK_MIB * 2048)) \
		'BEGIN { for (i = 0; i < n; i++) printf "%-511s\n", "sphb " name " lba " i }' >"$2"
}
for d in nvme virtio other; do
	mkdisk $d "$TMPD/$d.img"
	cp "$TMPD/$d.img" "$TMPD/$d.expected"
	head -c 4194304 "$TMPD/$d.img" | md5sum | cut -d' ' -f1 >"$TMPD/$d.md5"
done

# the guest numbers the sphb PHB's domain after its index
NVME_BDF=0001:00:04.0 VIRTIO_BDF=0001:00:05.0 E1000_BDF=0001:00:06.0
OTHER_BDF=0002:00:04.0 NOEEH_BDF=0003:00:04.0
PHB_NODE=pci@800000020000001
HMP=$TMPD/hmp.sock QMP=$TMPD/qmp.sock

# The monitor side: when the guest asks, stop the VM, freeze the NVMe's PE
# from HMP, record the PE states (HMP info sphb, QMP query-sphb) while the
# guest cannot react yet, and let it run again.
watch_console() {
	tail -n +1 -F "$log" 2>/dev/null | while IFS= read -r line; do
		case $line in
		"SPHB-GUEST: freeze-request "*)
			id=${line#SPHB-GUEST: freeze-request }
			id=${id%"$(printf '\r')"}
			{
				echo "== query-sphb before"
				"$GUEST_DIR/monitor.sh" qmp "$QMP" '{"execute": "query-sphb"}' || echo "qmp failed"
				"$GUEST_DIR/monitor.sh" hmp "$HMP" stop || echo "hmp failed"
				echo "== hmp: sphb_freeze $id"
				"$GUEST_DIR/monitor.sh" hmp "$HMP" "sphb_freeze $id" || echo "hmp failed"
				echo "== hmp: info sphb"
				"$GUEST_DIR/monitor.sh" hmp "$HMP" "info sphb" || echo "hmp failed"
				echo "== query-sphb after"
				"$GUEST_DIR/monitor.sh" qmp "$QMP" '{"execute": "query-sphb"}' || echo "qmp failed"
				echo "== qmp: sphb-freeze of an unknown function"
				"$GUEST_DIR/monitor.sh" qmp "$QMP" '{"execute": "sphb-freeze", "arguments": {"id": "no-such"}}' || :
				echo "== qmp: sphb-freeze of a function without EEH"
				"$GUEST_DIR/monitor.sh" qmp "$QMP" '{"execute": "sphb-freeze", "arguments": {"id": "nic-noeeh"}}' || :
				"$GUEST_DIR/monitor.sh" hmp "$HMP" cont || echo "hmp failed"
				echo "== done"
			} >>"$mon" 2>&1
			;;
		"SPHB-GUEST: poweroff "*) break ;;
		esac
	done
}
: >"$log"
watch_console &
watcher=$!

set +e
"$GUEST_DIR/boot.sh" --qemu "$qemu" --firmware "$firmware" --timeout "$timeout" --log "$log" $verbose \
	--initrd "$img" \
	--append "sphb.write_off=$WRITE_OFF sphb.write_len=$WRITE_LEN sphb.read_mib=$READ_MIB sphb.lba=$LBA sphb.eeh_dev=$NVME_BDF sphb.eeh_neigh=$VIRTIO_BDF sphb.other=$OTHER_BDF sphb.freeze_id=disk-nvme sphb.freezes=6" \
	-- \
	-monitor "unix:$HMP,server=on,wait=off" -qmp "unix:$QMP,server=on,wait=off" \
	-device spapr-sphb-host-bridge,index=1,id=sphb1,pe-mode=per-group,iommu-groups=slot \
	-drive "if=none,id=nvme0,file=$TMPD/nvme.img,format=raw" \
	-device "nvme,serial=sphb-nvme-0,drive=nvme0,bus=sphb1.0,addr=4,id=disk-nvme" \
	-drive "if=none,id=vblk0,file=$TMPD/virtio.img,format=raw" \
	-device "virtio-blk-pci,drive=vblk0,iommu_platform=on,disable-legacy=on,bus=sphb1.0,addr=5,id=disk-virtio" \
	-netdev "hubport,id=net0,hubid=0" \
	-device "e1000,netdev=net0,bus=sphb1.0,addr=6,id=nic" \
	-device spapr-sphb-host-bridge,index=2,id=sphb2,pe-mode=shared \
	-drive "if=none,id=vblk1,file=$TMPD/other.img,format=raw" \
	-device "nvme,serial=sphb-nvme-1,drive=vblk1,bus=sphb2.0,addr=4,id=disk-other" \
	-device spapr-sphb-host-bridge,index=3,id=sphb3,iommu-groups=none \
	-netdev "hubport,id=net1,hubid=1" \
	-device "e1000e,netdev=net1,bus=sphb3.0,addr=4,id=nic-noeeh" \
	>"$TMPD/boot.out" 2>&1
boot_rc=$?
set -e
kill "$watcher" 2>/dev/null || :
wait "$watcher" 2>/dev/null || :
[ $boot_rc = 77 ] && { cat "$TMPD/boot.out"; exit 77; }
[ -n "$verbose" ] && cat "$TMPD/boot.out"

g() { sed -n "s/^SPHB-GUEST: $1 //p" "$log" | tr -d '\r'; }
gd() { sed -n "s/^SPHB-GUEST: $1| //p" "$log" | tr -d '\r'; }
gb() { g "$1" | sed -n "s/^$2 //p" | head -n 1; }

if [ $boot_rc = 0 ]; then
	ok sphb-boot
else
	bad sphb-boot "$(grep 'FAILED' "$TMPD/boot.out" || echo "boot.sh exit $boot_rc")"
	cat "$TMPD/boot.out"
fi

# --- identity and drivers
check sphb-pci-nvme "want 0x1b36:0x0010 bound to nvme, got: $(gb pci $NVME_BDF)" \
	match "$(gb pci $NVME_BDF)" '0x1b36:0x0010 class=0x010802 driver=nvme '
check sphb-pci-virtio-blk "want 0x1af4:0x1042 bound to virtio-pci + virtio_blk, got: $(gb pci $VIRTIO_BDF)" \
	match "$(gb pci $VIRTIO_BDF)" '0x1af4:0x1042 class=0x010000 driver=virtio-pci virtio-driver=virtio_blk'
check sphb-pci-other-nvme "want 0x1b36:0x0010 bound to nvme, got: $(gb pci $OTHER_BDF)" \
	match "$(gb pci $OTHER_BDF)" '0x1b36:0x0010 class=0x010802 driver=nvme '
check sphb-pci-e1000 "want 0x8086:0x100e bound to e1000, got: $(gb pci $E1000_BDF)" \
	match "$(gb pci $E1000_BDF)" '0x8086:0x100e class=0x020000 driver=e1000 '

# --- BARs (kind and size)
bar_is() {
	_l=$(g bar | awk -v b="$1" -v i="$2" '$1 == b && $2 == i { print $3, $4, $5 }')
	[ -n "$_l" ] || return 1
	# shellcheck disable=SC2086 # start end flags
	set -- "$3" "$4" $_l
	[ $(($4 - $3 + 1)) = $(($2)) ] || return 1
	case $1 in
	io) [ $(($5 & 0x100)) != 0 ] ;;
	mem) [ $(($5 & 0x200)) != 0 ] ;;
	mem64) [ $(($5 & 0x200)) != 0 ] && [ $(($5 & 0x100000)) != 0 ] ;;
	*) return 1 ;;
	esac
}
bars() { g bar | awk -v b="$1" '$1 == b { printf "[%s %s-%s %s] ", $2, $3, $4, $5 }'; }
check sphb-bars-nvme "want BAR0 16 KiB memory, got: $(bars $NVME_BDF)" bar_is $NVME_BDF 0 mem 0x4000
check sphb-bars-virtio-blk "want BAR1 4 KiB memory, BAR4 16 KiB 64-bit, got: $(bars $VIRTIO_BDF)" \
	eval 'bar_is $VIRTIO_BDF 1 mem 0x1000 && bar_is $VIRTIO_BDF 4 mem64 0x4000'
check sphb-bars-e1000 "want BAR0 128 KiB memory, BAR1 64 B I/O, got: $(bars $E1000_BDF)" \
	eval 'bar_is $E1000_BDF 0 mem 0x20000 && bar_is $E1000_BDF 1 io 0x40'

# --- interrupts
msix_at_least() {
	_l=$(gb msi "$1")
	_n=$(echo "$_l" | sed -n 's/.*msix=\([0-9]*\) .*/\1/p')
	_p=$(echo "$_l" | sed -n 's/.*in-proc-interrupts=\([0-9]*\) .*/\1/p')
	[ -n "$_n" ] && [ "$_n" -ge "$2" ] && [ "$_p" = "$_n" ]
}
check sphb-msix-nvme "want >= 2 MSI-X vectors, got: $(gb msi $NVME_BDF)" msix_at_least $NVME_BDF 2
check sphb-msix-virtio-blk "want >= 2 MSI-X vectors, got: $(gb msi $VIRTIO_BDF)" msix_at_least $VIRTIO_BDF 2
check sphb-intx-e1000 "want an INTx line in /proc/interrupts, got: $(gb intx $E1000_BDF)" \
	match "$(gb intx $E1000_BDF | sed 's/^irq=[1-9][0-9]* proc=/OK/')" OK
check sphb-modules "a module failed to load: $(g module | grep failed | tr '\n' ' ')" \
	eval '! g module | grep -q failed'

# --- disks through the sphb TCE tables
for pair in nvme:$NVME_BDF virtio:$VIRTIO_BDF other:$OTHER_BDF; do
	d=${pair%%:*} bdf=${pair#*:}
	dev=$(g disk | awk -v b="$bdf" '$2 == b { print $1 }' | head -n 1)
	if [ -z "$dev" ]; then
		bad "sphb-disk-$d" "no block device on $bdf"
		continue
	fi
	eval "dev_$d=\$dev"
	check "sphb-disk-$d-read" "first 4 MiB md5 $(cat "$TMPD/$d.md5") expected, guest read: $(gb disk-md5 "$dev")" \
		match "$(gb disk-md5 "$dev")" "$(cat "$TMPD/$d.md5")"
	check "sphb-disk-$d-lba" "sector $LBA should read 'sphb $d lba $LBA', got: $(gb disk-lba "$dev")" \
		match "$(gb disk-lba "$dev")" "$LBA sphb $d lba $LBA"
	yes "sphb guest wrote $dev" | head -c $WRITE_LEN >"$TMPD/$d.w"
	wmd5=$(md5sum <"$TMPD/$d.w" | cut -d' ' -f1)
	eval "wmd5_$d=\$wmd5"
	check "sphb-disk-$d-write-guest" "want '$WRITE_OFF $WRITE_LEN $wmd5 readback=$wmd5', got: $(gb disk-write "$dev")" \
		match "$(gb disk-write "$dev")" "$WRITE_OFF $WRITE_LEN $wmd5 readback=$wmd5"
	dd if="$TMPD/$d.w" of="$TMPD/$d.expected" bs=$WRITE_LEN seek=$((WRITE_OFF / WRITE_LEN)) conv=notrunc status=none
	check "sphb-disk-$d-write-host" "$(cmp "$TMPD/$d.expected" "$TMPD/$d.img" 2>&1 | head -n 1)" \
		cmp -s "$TMPD/$d.expected" "$TMPD/$d.img"
	check "sphb-disk-$d-throughput" "the timed read failed: $(gb throughput "$dev")" \
		match "$(gb throughput "$dev")" "read ${READ_MIB}MiB "
done

# --- DDW on the sphb PHB
check sphb-ddw "no dynamic DMA window on $PHB_NODE, got: $(g ddw-dt)" \
	eval 'g ddw-dt | grep -q "$PHB_NODE/linux,d"'

# --- EEH: enabled, the three devices capable
check sphb-eeh-enabled "/proc/powerpc/eeh: $(gd eeh-proc | head -n 1)" \
	eval 'gd eeh-proc | grep -q "EEH Subsystem is enabled"'
for b in $NVME_BDF $VIRTIO_BDF $E1000_BDF $OTHER_BDF; do
	check "sphb-eeh-capable-$b" "no eeh_pe_state for $b: $(g eeh-capable | tr '\n' ';')" \
		eval 'g eeh-capable | grep -q "^$b "'
done
# the neighbour's normal state, as first seen
neigh0=$(g eeh-capable | awk -v b=$VIRTIO_BDF '$1 == b { print $2 }')

# --- EEH steps: 1 break, 2 monitor freeze, 3-5 breaks recover; 6 permanent
expect_read="$(cat "$TMPD/nvme.md5") lba=sphb nvme lba $LBA write=${wmd5_nvme:-?}"
expect_nread="$(cat "$TMPD/virtio.md5") lba=sphb virtio lba $LBA write=${wmd5_virtio:-?}"
step() { g eeh-step | awk -v i="$1" '$1 == i' | head -n 1; }
for i in 1 2 3 4 5; do
	how="break"
	[ $i = 2 ] && how=freeze
	check "sphb-eeh-$i-$how-recovered" "want '$i $how ok ...', got: $(step $i)" \
		match "$(step $i)" "$i $how ok "
	check "sphb-eeh-$i-disk-readback" "want '$i $expect_read', got: $(g eeh-readback | awk -v i=$i '$1 == i' | head -n 1)" \
		match "$(g eeh-readback | awk -v i=$i '$1 == i' | head -n 1)" "$i $expect_read"
	check "sphb-eeh-$i-neighbour-normal" "neighbour state should stay ${neigh0:-?}: $(step $i)" \
		eval '[ -n "$neigh0" ] && step $i | grep -q " neigh=$neigh0\$"'
done
check sphb-eeh-monitor-froze "the monitor should show disk-nvme stopped and disk-virtio normal after sphb_freeze: $(tr '\n' ' ' <"$mon" | cut -c1-900)" \
	eval 'sed -n "/^== hmp: info sphb/,/^== query-sphb after/p" "$mon" | grep -q "^disk-nvme .* stopped" &&
		sed -n "/^== hmp: info sphb/,/^== query-sphb after/p" "$mon" | grep -q "^disk-virtio .* normal"'
qmp_state() { sed -n "/^== query-sphb $1/{n;p}" "$mon" | grep -o "{[^{}]*\"$2\"[^{}]*}" | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p'; }
check sphb-eeh-qmp-query "query-sphb should report disk-nvme normal, then stopped after the freeze, disk-virtio normal: $(sed -n '/^== query-sphb after/{n;p}' "$mon" | cut -c1-300)" \
	eval '[ "$(qmp_state before disk-nvme)" = normal ] && [ "$(qmp_state after disk-nvme)" = stopped ] && [ "$(qmp_state after disk-virtio)" = normal ]'
check sphb-eeh-6-permanent "want '6 break perm ...', got: $(step 6)" match "$(step 6)" "6 break perm "
# Linux removes the whole parent bus of a permanently failed device PE
# (pci_hp_remove_devices): the NVMe, and with it its bus neighbours
check sphb-eeh-removed "the guest should remove the failed NVMe: $(g eeh-final)" \
	match "$(g eeh-final)" "dev=removed "
# every readback of the neighbour's disk right while it was there
neigh_ok() {
	[ -n "$(g eeh-neigh-readback)" ] || return 1
	! g eeh-neigh-readback | grep -v -e "no /dev" | grep -v -q -F -- "$expect_nread"
}
check sphb-eeh-neighbour-data "the neighbour's disk should read back its data: $(g eeh-neigh-readback | tr '\n' ';')" neigh_ok
expect_oread="$(cat "$TMPD/other.md5") lba=sphb other lba $LBA write=${wmd5_other:-?}"
check sphb-other-phb-works "the disk on the other PHB should read back after the failure: $(g other-readback | head -n 1)" \
	match "$(g other-readback | head -n 1)" "before $expect_oread"
check sphb-other-phb-eeh-shared "break + recovery of the disk on the pe-mode=shared PHB: $(g other-eeh)" \
	match "$(g other-eeh)" "ok "
check sphb-other-phb-readback "the disk on the other PHB after its recovery: $(g other-readback | tail -n 1)" \
	match "$(g other-readback | tail -n 1)" "after $expect_oread"
check sphb-qmp-error "sphb-freeze of an unknown id should fail cleanly: $(sed -n '/^== qmp: sphb-freeze of an unknown/{n;p}' "$mon")" \
	eval 'sed -n "/^== qmp: sphb-freeze of an unknown/{n;p}" "$mon" | grep -q "\"error\""'
# --- iommu-groups=none: as QEMU's own PHB, no EEH (and no monitor freeze)
check sphb-noeeh-e1000e "want 0x8086:0x10d3 bound to e1000e with MSI-X, got: $(gb pci $NOEEH_BDF) $(gb msi $NOEEH_BDF)" \
	eval 'match "$(gb pci $NOEEH_BDF)" "0x8086:0x10d3 class=0x020000 driver=e1000e " && msix_at_least $NOEEH_BDF 1'
check sphb-noeeh-not-capable "a function of an iommu-groups=none PHB is not EEH-capable: $(gb eeh_pe_state $NOEEH_BDF)" \
	match "$(gb eeh_pe_state $NOEEH_BDF)" "(absent)"
check sphb-noeeh-no-freeze "sphb-freeze of nic-noeeh should be refused: $(sed -n '/^== qmp: sphb-freeze of a function without EEH/{n;p}' "$mon")" \
	eval 'sed -n "/^== qmp: sphb-freeze of a function without EEH/{n;p}" "$mon" | grep -q "not EEH-capable"'
check sphb-noeeh-survives "the e1000e on the third PHB should still be there at the end: $(gd pci-final | tr '\n' ' ')" \
	eval 'gd pci-final | grep -q "^$NOEEH_BDF\$"'

# --- the numbers
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
sphb_init=$(sed -n 's/^SPHB-HOST: time-to-init //p' "$log")
tp() { g throughput | awk -v d="$1" '$1 == d { print $6 }' | head -n 1; }
sphb_tp_nvme=$(tp "${dev_nvme:-nvme0n1}")
sphb_tp_virtio=$(tp "${dev_virtio:-vda}")
echo "---- measurements"
echo "SPHB-GUEST: boot-to-init sphb ${sphb_init:-?} s, QEMU PHB ${base_init:-?} s, ratio sphb/QEMU $(ratio "${sphb_init:-0}" "${base_init:-0}")"
echo "SPHB-GUEST: throughput nvme sphb ${sphb_tp_nvme:-?} MiB/s, QEMU PHB ${base_tp_nvme:-?} MiB/s, ratio sphb/QEMU $(ratio "${sphb_tp_nvme:-0}" "${base_tp_nvme:-0}")"
echo "SPHB-GUEST: throughput virtio-blk sphb ${sphb_tp_virtio:-?} MiB/s, QEMU PHB ${base_tp_virtio:-?} MiB/s, ratio sphb/QEMU $(ratio "${sphb_tp_virtio:-0}" "${base_tp_virtio:-0}")"
echo "SPHB-GUEST: sphb-boot-total $(sed -n 's/^SPHB-HOST: total //p' "$log") s wall (boot, report, 6 EEH events, power-off)"
g eeh-step | sed 's/^/SPHB-GUEST: eeh-step /'
g ddw-dt | sed 's/^/SPHB-GUEST: ddw-dt /'
gd dmesg-dma | grep -iE 'dma-window|ddw|direct mapping' | sed 's/^/SPHB-GUEST: dmesg-dma /'
echo "SPHB-GUEST: check-total $(ms_to_s $(($(now_ms) - t_start))) s wall"
echo "console log: $log; monitor log: $mon"
finish
