# Guest side of check-baseline.sh (busybox sh, run as /sphb/test.sh).
# Reports what the guest sees of its PCI devices; the host judges.
# Parameters (kernel command line): sphb.write_off / sphb.write_len (bytes),
# sphb.read_mib (throughput read size), sphb.lba (a sector whose label is
# read back), sphb.tag (disk label prefix).
. /sphb/lib.sh
set -u
woff=${SPHB_WRITE_OFF:-8388608}
wlen=${SPHB_WRITE_LEN:-65536}
rmib=${SPHB_READ_MIB:-64}
lba=${SPHB_LBA:-12345}
sphb_report script-uptime "$(sphb_uptime)"

# e1000 requests its interrupt on open
for n in /sys/class/net/eth*; do
	[ -e "$n" ] && ip link set "${n##*/}" up
done

# --- PCI devices: IDs, drivers, BARs, interrupts, EEH state
for d in /sys/bus/pci/devices/*; do
	bdf=${d##*/}
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	sub=-
	for v in "$d"/virtio*; do
		[ -e "$v/driver" ] && sub=$(basename "$(readlink "$v/driver")")
	done
	sphb_report pci "$bdf $(cat "$d/vendor"):$(cat "$d/device") class=$(cat "$d/class") driver=$drv virtio-driver=$sub"
	i=0
	while read -r start end flags; do
		case $start in 0x0000000000000000) ;; *) sphb_report bar "$bdf $i $start $end $flags" ;; esac
		i=$((i + 1))
	done <"$d/resource"
	nmsix=0 nmsi=0 inproc=0 names=
	if [ -d "$d/msi_irqs" ]; then
		for f in "$d"/msi_irqs/*; do
			[ -f "$f" ] || continue
			irq=${f##*/}
			case $(cat "$f") in msix) nmsix=$((nmsix + 1)) ;; *) nmsi=$((nmsi + 1)) ;; esac
			line=$(grep "^ *$irq:" /proc/interrupts || :)
			if [ -n "$line" ]; then
				inproc=$((inproc + 1))
				names="$names${names:+,}$(echo "$line" | awk '{ print $NF }')"
			fi
		done
	fi
	sphb_report msi "$bdf msix=$nmsix msi=$nmsi in-proc-interrupts=$inproc names=${names:--}"
	irq=$(cat "$d/irq")
	line=$(grep "^ *$irq:" /proc/interrupts || :)
	sphb_report intx "$bdf irq=$irq ${line:+proc=$(echo "$line" | awk '{ print $2 "," $(NF-1) "," $NF }')}"
	if [ -f "$d/eeh_pe_state" ]; then
		sphb_report eeh_pe_state "$bdf $(tr '\n' ' ' <"$d/eeh_pe_state")"
	else
		sphb_report eeh_pe_state "$bdf (absent)"
	fi
done
sphb_dump interrupts /proc/interrupts

# --- disks: read the host's pattern, write ours, time a direct read
for b in /sys/block/nvme* /sys/block/vd*; do
	[ -e "$b" ] || continue
	dev=${b##*/}
	bdf=$(readlink -f "$b" | sed -n 's,.*/\([0-9a-f]\{4\}:[0-9a-f]\{2\}:[0-9a-f]\{2\}\.[0-7]\)/.*,\1,p')
	sphb_report disk "$dev ${bdf:--} $(($(cat "$b/size") * 512))"
	sphb_report disk-md5 "$dev $(dd if="/dev/$dev" bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
	sphb_report disk-lba "$dev $lba $(dd if="/dev/$dev" bs=512 skip="$lba" count=1 iflag=direct 2>/dev/null |
		head -n 1 | sed 's/ *$//')"
	yes "sphb guest wrote $dev" | head -c "$wlen" >/tmp/w.bin
	if dd if=/tmp/w.bin of="/dev/$dev" bs="$wlen" seek="$((woff / wlen))" count=1 oflag=direct conv=fsync 2>/tmp/dd.err; then
		back=$(dd if="/dev/$dev" bs="$wlen" skip="$((woff / wlen))" count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
		sphb_report disk-write "$dev $woff $wlen $(md5sum </tmp/w.bin | cut -d' ' -f1) readback=$back"
	else
		sphb_report disk-write "$dev failed $(tr '\n' ' ' </tmp/dd.err)"
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t0=$(sphb_uptime)
	if dd if="/dev/$dev" of=/dev/null bs=1M count="$rmib" iflag=direct 2>/tmp/dd.err; then
		s=$(sphb_since "$t0")
		sphb_report throughput "$dev read ${rmib}MiB $s s $(awk -v m="$rmib" -v s="$s" 'BEGIN { printf "%.1f", (s > 0) ? m / s : 0 }') MiB/s"
	else
		sphb_report throughput "$dev failed $(tr '\n' ' ' </tmp/dd.err)"
	fi
done

# --- EEH as the guest sees it
sphb_dump proc-eeh /proc/powerpc/eeh
if [ -e /sys/kernel/debug/powerpc/eeh_dev_break ]; then
	sphb_report eeh_dev_break present
else
	sphb_report eeh_dev_break absent
fi
e=
for f in /sys/kernel/debug/powerpc/eeh*; do [ -e "$f" ] && e="$e${e:+ }${f##*/}"; done
sphb_report debugfs-eeh "${e:-(none)}"

# --- DMA windows: Linux records a dynamic DMA window it made in the PHB's
# device tree node (linux,direct64-ddr-window-info when RAM is mapped 1:1,
# linux,dma64-ddr-window-info otherwise)
ddw=
for p in /proc/device-tree/pci@*/linux,direct64-ddr-window-info /proc/device-tree/pci@*/linux,dma64-ddr-window-info; do
	[ -e "$p" ] && ddw="$ddw${ddw:+ }${p#/proc/device-tree/}"
done
sphb_report ddw-dt "${ddw:-none}"
for p in /proc/device-tree/pci@*/ibm,ddw-applicable; do
	[ -e "$p" ] && sphb_report ddw-applicable "${p#/proc/device-tree/} $(od -An -v -tx1 "$p" | tr -s ' \n' '  ')"
done
# (6.12 logs ibm,query-pe-dma-windows / ibm,create-pe-dma-window results and
# "direct mapping: 1" at info level)
dmesg | grep -iE 'ddw|dma-window|dma window|dma_window|direct mapping|tce table|EEH' >/tmp/dm || :
sphb_dump dmesg-dma /tmp/dm
sphb_report script-end "$(sphb_uptime)"
