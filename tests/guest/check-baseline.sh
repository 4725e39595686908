#!/bin/sh
# Baseline real-guest check: Debian's ppc64le Linux 6.12 on a QEMU pseries
# machine (TCG, POWER9) whose PHB is QEMU's own, with an NVMe disk, a
# virtio-blk-pci disk (iommu_platform=on, modern only) and an e1000. The
# guest (guest/baseline.sh) reports IDs, BARs, drivers, interrupts, EEH and
# DMA-window state, reads the disks' host-made pattern, writes a pattern of
# its own and times a 64 MiB direct read; this script checks all of it and,
# after power-off, compares both disk images byte for byte with what they
# must hold.
#
# Usage: check-baseline.sh [--qemu PATH] [--firmware slof|vof] [--out DIR]
#                          [--ddw yes|no|any] [--timeout SEC] [--verbose]
#   --qemu PATH   qemu-system-ppc64 to use (default Debian's, installed when
#                 missing); the later check-guest goal passes a patched one
#   --out DIR     where the console log goes (default build/guest)
#   --ddw WANT    must the guest have made a dynamic DMA window? (default
#                 yes: QEMU's PHB grants one covering maxmem)
#   --firmware, --timeout, --verbose: as boot.sh
# Environment: SPHB_CACHE (cache root, default /var/cache/sphb).
# Output: one "ok NAME" / "FAIL NAME: why" line per check, the measured
# numbers as SPHB-GUEST lines, then "check-baseline: N passed, N failed".
# Exit: 0 all passed, 1 a check failed (named), 77 the guest kernel cannot
# be fetched or no QEMU can be had.
# shellcheck disable=SC2317,SC2016 # functions called through check/eval
set -eu
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GUEST_DIR/lib.sh"
TOP=$(cd "$GUEST_DIR/../.." && pwd)

qemu=/usr/bin/qemu-system-ppc64 firmware=slof out=$TOP/build/guest timeout=300 verbose='' ddw=yes
while [ $# -gt 0 ]; do
	case $1 in
	--qemu) qemu=${2:?}; shift 2 ;;
	--firmware) firmware=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--verbose) verbose=--verbose; shift ;;
	--ddw)
		ddw=${2:?}
		shift 2
		case $ddw in yes | no | any) ;; *) die "--ddw is yes, no or any" ;; esac
		;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

t_start=$(now_ms)
need_host_pkgs cmp:diffutils md5sum:coreutils
load_guest_env
img=$("$GUEST_DIR/initramfs.sh" --script "$GUEST_DIR/guest/baseline.sh" --load "nvme virtio_blk e1000") || {
	rc=$?
	printf '%s\n' "$img"
	exit $rc
}
mkdir -p "$out"
log=$out/baseline-console.log
make_tmpdir

# The disks: 80 MiB, every 512-byte sector labelled "sphb <disk> lba <n>"
# (space-padded, newline-terminated), so a misplaced read shows.
DISK_MIB=80
WRITE_OFF=8388608
WRITE_LEN=65536
READ_MIB=64
LBA=12345
mkdisk() {
	awk -v name="$1" -v n=$((DISK_MIB * 2048)) \
		'BEGIN { for (i = 0; i < n; i++) printf "%-511s\n", "sphb " name " lba " i }' >"$2"
}
mkdisk nvme "$TMPD/nvme.img"
mkdisk virtio "$TMPD/virtio.img"
for d in nvme virtio; do
	cp "$TMPD/$d.img" "$TMPD/$d.expected"
	head -c 4194304 "$TMPD/$d.img" | md5sum | cut -d' ' -f1 >"$TMPD/$d.md5"
done

# PCI slots; the guest names them 0000:00:SS.0 on the one PHB
NVME_BDF=0000:00:04.0 VIRTIO_BDF=0000:00:05.0 E1000_BDF=0000:00:06.0
set +e
"$GUEST_DIR/boot.sh" --qemu "$qemu" --firmware "$firmware" --timeout "$timeout" --log "$log" $verbose \
	--initrd "$img" \
	--append "sphb.write_off=$WRITE_OFF sphb.write_len=$WRITE_LEN sphb.read_mib=$READ_MIB sphb.lba=$LBA" \
	-- \
	-drive "if=none,id=nvme0,file=$TMPD/nvme.img,format=raw" \
	-device "nvme,serial=sphb-nvme-0,drive=nvme0,addr=4" \
	-drive "if=none,id=vblk0,file=$TMPD/virtio.img,format=raw" \
	-device "virtio-blk-pci,drive=vblk0,iommu_platform=on,disable-legacy=on,addr=5" \
	-netdev "hubport,id=net0,hubid=0" \
	-device "e1000,netdev=net0,addr=6" >"$TMPD/boot.out" 2>&1
boot_rc=$?
set -e
[ $boot_rc = 77 ] && { cat "$TMPD/boot.out"; exit 77; }
[ -n "$verbose" ] && cat "$TMPD/boot.out"

pass=0 failn=0 failed=
ok() { echo "ok $1"; pass=$((pass + 1)); }
bad() {
	echo "FAIL $1: $2"
	failn=$((failn + 1))
	failed="$failed $1"
}
# check NAME WHY-IF-FAILED CONDITION...
check() {
	ck_name=$1 ck_why=$2
	shift 2
	if "$@"; then ok "$ck_name"; else bad "$ck_name" "$ck_why"; fi
}
match() { case $1 in "$2"*) return 0 ;; *) return 1 ;; esac; }
# g KEY: the values of "SPHB-GUEST: KEY <value>" lines
g() { sed -n "s/^SPHB-GUEST: $1 //p" "$log"; }
# gd KEY: the lines of a dump ("SPHB-GUEST: KEY| <line>")
gd() { sed -n "s/^SPHB-GUEST: $1| //p" "$log"; }
# gb KEY BDF: the value of the KEY line for one device (without the BDF)
gb() { g "$1" | sed -n "s/^$2 //p" | head -n 1; }

if [ $boot_rc = 0 ]; then
	ok boot
else
	bad boot "$(grep 'FAILED' "$TMPD/boot.out" || echo "boot.sh exit $boot_rc")"
	cat "$TMPD/boot.out"
fi

# --- identity and drivers
check pci-nvme "want 0x1b36:0x0010 bound to nvme, got: $(gb pci $NVME_BDF)" \
	match "$(gb pci $NVME_BDF)" '0x1b36:0x0010 class=0x010802 driver=nvme '
check pci-virtio-blk "want 0x1af4:0x1042 bound to virtio-pci + virtio_blk, got: $(gb pci $VIRTIO_BDF)" \
	match "$(gb pci $VIRTIO_BDF)" '0x1af4:0x1042 class=0x010000 driver=virtio-pci virtio-driver=virtio_blk'
check pci-e1000 "want 0x8086:0x100e bound to e1000, got: $(gb pci $E1000_BDF)" \
	match "$(gb pci $E1000_BDF)" '0x8086:0x100e class=0x020000 driver=e1000 '

# --- BARs: kind and size as QEMU's device models define them
# bar_is BDF INDEX KIND SIZE; KIND is io, mem, mem64 or mem64pref
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
	mem64pref) [ $(($5 & 0x200)) != 0 ] && [ $(($5 & 0x100000)) != 0 ] && [ $(($5 & 0x2000)) != 0 ] ;;
	*) return 1 ;;
	esac
}
bars() { g bar | awk -v b="$1" '$1 == b { printf "[%s %s-%s %s] ", $2, $3, $4, $5 }'; }
check bars-nvme "want BAR0 16 KiB memory, got: $(bars $NVME_BDF)" bar_is $NVME_BDF 0 mem 0x4000
# Linux takes BAR flags from the device tree: SLOF marks virtio's 64-bit
# BAR prefetchable, QEMU's own tree (VOF) does not.
vkind=mem64pref
[ "$firmware" = vof ] && vkind=mem64
check bars-virtio-blk "want BAR1 4 KiB memory, BAR4 16 KiB 64-bit ($vkind), got: $(bars $VIRTIO_BDF)" \
	eval 'bar_is $VIRTIO_BDF 1 mem 0x1000 && bar_is $VIRTIO_BDF 4 $vkind 0x4000'
check bars-e1000 "want BAR0 128 KiB memory, BAR1 64 B I/O, got: $(bars $E1000_BDF)" \
	eval 'bar_is $E1000_BDF 0 mem 0x20000 && bar_is $E1000_BDF 1 io 0x40'

# --- interrupts: MSI-X vectors of nvme and virtio in /proc/interrupts;
# e1000 (82540EM) has no MSI, only its INTx line
msix_at_least() {
	_l=$(gb msi "$1")
	_n=$(echo "$_l" | sed -n 's/.*msix=\([0-9]*\) .*/\1/p')
	_p=$(echo "$_l" | sed -n 's/.*in-proc-interrupts=\([0-9]*\) .*/\1/p')
	[ -n "$_n" ] && [ "$_n" -ge "$2" ] && [ "$_p" = "$_n" ]
}
check msix-nvme "want >= 2 MSI-X vectors in /proc/interrupts, got: $(gb msi $NVME_BDF)" msix_at_least $NVME_BDF 2
check msix-virtio-blk "want >= 2 MSI-X vectors in /proc/interrupts, got: $(gb msi $VIRTIO_BDF)" msix_at_least $VIRTIO_BDF 2
check intx-e1000 "want an INTx line in /proc/interrupts, got: $(gb intx $E1000_BDF)" \
	match "$(gb intx $E1000_BDF | sed 's/^irq=[1-9][0-9]* proc=/OK/')" OK

# --- modules
check modules "a module failed to load: $(g module | grep failed | tr '\n' ' ')" \
	eval '! g module | grep -q failed'

# --- disks: the host pattern read back, the guest's write seen on the host
for pair in nvme:$NVME_BDF virtio:$VIRTIO_BDF; do
	d=${pair%%:*} bdf=${pair#*:}
	dev=$(g disk | awk -v b="$bdf" '$2 == b { print $1 }' | head -n 1)
	if [ -z "$dev" ]; then
		bad "disk-$d" "no block device on $bdf"
		continue
	fi
	check "disk-$d-size" "want $((DISK_MIB * 1048576)) bytes, got: $(g disk | grep "^$dev ")" \
		match "$(g disk | grep "^$dev ")" "$dev $bdf $((DISK_MIB * 1048576))"
	check "disk-$d-read" "first 4 MiB md5 $(cat "$TMPD/$d.md5") expected, guest read: $(gb disk-md5 "$dev")" \
		match "$(gb disk-md5 "$dev")" "$(cat "$TMPD/$d.md5")"
	check "disk-$d-lba" "sector $LBA should read 'sphb $d lba $LBA', got: $(gb disk-lba "$dev")" \
		match "$(gb disk-lba "$dev")" "$LBA sphb $d lba $LBA"
	yes "sphb guest wrote $dev" | head -c $WRITE_LEN >"$TMPD/$d.w"
	wmd5=$(md5sum <"$TMPD/$d.w" | cut -d' ' -f1)
	check "disk-$d-write-guest" "want '$WRITE_OFF $WRITE_LEN $wmd5 readback=$wmd5', got: $(gb disk-write "$dev")" \
		match "$(gb disk-write "$dev")" "$WRITE_OFF $WRITE_LEN $wmd5 readback=$wmd5"
	dd if="$TMPD/$d.w" of="$TMPD/$d.expected" bs=$WRITE_LEN seek=$((WRITE_OFF / WRITE_LEN)) conv=notrunc status=none
	check "disk-$d-write-host" "$(cmp "$TMPD/$d.expected" "$TMPD/$d.img" 2>&1 | head -n 1)" \
		cmp -s "$TMPD/$d.expected" "$TMPD/$d.img"
	check "disk-$d-throughput" "the timed read failed: $(gb throughput "$dev")" \
		match "$(gb throughput "$dev")" "read ${READ_MIB}MiB "
done

# --- EEH and DMA windows: QEMU's PHB offers EEH only to VFIO devices, so
# the guest's EEH has no capable adapter; QEMU's PHB grants the dynamic DMA
# window Linux asks for (64-bit DMA masks), covering all of maxmem
check proc-eeh "no /proc/powerpc/eeh" eval '[ -n "$(gd proc-eeh)" ]'
ddw_made() { [ "$(g ddw-dt)" != none ] && [ -n "$(g ddw-dt)" ]; }
case $ddw in
yes) check ddw "no linux,*64-ddr-window-info property on the PHB: no dynamic DMA window" ddw_made ;;
no) check no-ddw "the guest made a dynamic DMA window: $(g ddw-dt)" eval '! ddw_made' ;;
esac

# --- the numbers
echo "---- measurements"
echo "SPHB-GUEST: boot-to-init $(sed -n 's/^SPHB-HOST: time-to-init //p' "$log") s wall, $(g init) s guest uptime"
echo "SPHB-GUEST: boot-total $(sed -n 's/^SPHB-HOST: total //p' "$log") s wall (to power-off)"
g throughput | sed 's/^/SPHB-GUEST: throughput /'
for b in $NVME_BDF $VIRTIO_BDF $E1000_BDF; do
	echo "SPHB-GUEST: msi $b $(gb msi "$b")"
	echo "SPHB-GUEST: intx $b $(gb intx "$b")"
	echo "SPHB-GUEST: eeh_pe_state $b $(gb eeh_pe_state "$b")"
done
gd proc-eeh | sed 's/^/SPHB-GUEST: proc-eeh /'
echo "SPHB-GUEST: eeh_dev_break $(g eeh_dev_break)"
echo "SPHB-GUEST: ddw-dt $(g ddw-dt)"
gd dmesg-dma | grep -iE 'dma-window|ddw|direct mapping' | sed 's/^/SPHB-GUEST: dmesg-dma /'
echo "SPHB-GUEST: check-total $(ms_to_s $(($(now_ms) - t_start))) s wall"
echo "console log: $log"
echo "check-baseline: $pass passed, $failn failed"
if [ $failn != 0 ]; then
	echo "check-baseline: FAILED:$failed" >&2
	exit 1
fi
exit 0
