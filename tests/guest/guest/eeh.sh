# Guest side of check-guest.sh (busybox sh, run as /sphb/test.sh): first the
# baseline report (guest/baseline.sh, at /sphb/baseline.sh), then, when
# sphb.eeh_dev is given, EEH recovery of that device:
#   break    /sys/kernel/debug/powerpc/eeh_dev_break (Memory Space off, then
#            an MMIO load: the PHB freezes the PE, the load reads all-ones)
#   freeze   the host freezes the PE from the monitor: the guest asks with a
#            "freeze-request <id>" console line (check-guest.sh watches the
#            console and answers on the monitor) and reads the
#            device's config space until the all-ones read is noticed
#   perm     more breaks until the freeze count passes eeh_max_freezes (5):
#            the PE is permanently failed and its devices removed
#   other    (sphb.other: a device on another PHB) once the PE failed for
#            good, Linux removed the whole bus of the failed PE
#            (pci_hp_remove_devices of the PE's parent bus): the device on
#            the other PHB must still work; then one break of it, recovered
# After each recovery the disk is read back (md5 of the first 4 MiB, the
# label of sphb.lba, the guest's own write) and the neighbour's PE state is
# reported. Parameters (kernel command line): sphb.eeh_dev (BDF),
# sphb.eeh_neigh (a neighbour BDF on the same PHB), sphb.other (a disk's BDF
# on another PHB), sphb.freeze_id (the function's id on the host),
# sphb.freezes (how many freezes in all, default 6). Disks are found by BDF.
. /sphb/lib.sh
sh /sphb/baseline.sh || sphb_report baseline-script failed
set -u
dev=${SPHB_EEH_DEV:-}
[ -n "$dev" ] || exit 0
neigh=${SPHB_EEH_NEIGH:-}
other=${SPHB_OTHER:-}
fid=${SPHB_FREEZE_ID:-}
total=${SPHB_FREEZES:-6}
lba=${SPHB_LBA:-12345}
woff=${SPHB_WRITE_OFF:-8388608}
wlen=${SPHB_WRITE_LEN:-65536}
brk=/sys/kernel/debug/powerpc/eeh_dev_break

sphb_dump eeh-proc /proc/powerpc/eeh
for d in /sys/bus/pci/devices/*; do
	[ -f "$d/eeh_pe_state" ] && sphb_report eeh-capable "${d##*/} $(tr '\n' ' ' <"$d/eeh_pe_state")"
done
sphb_report eeh-max-freezes "$(cat /sys/kernel/debug/powerpc/eeh_max_freezes 2>/dev/null || echo '?')"

# pe_state BDF: the first word of eeh_pe_state, or "gone"
pe_state() {
	if [ -f "/sys/bus/pci/devices/$1/eeh_pe_state" ]; then
		read -r _s _ <"/sys/bus/pci/devices/$1/eeh_pe_state"
		echo "$_s"
	else
		echo gone
	fi
}
count() { dmesg | grep -c "$1" || :; }
# wait_event N SECONDS [BDF]: until the N-th "Recovery successful" or a permanent
# failure; prints ok, perm or timeout. Meanwhile it asks Linux to check the
# device (debugfs eeh_dev_check, else a config read): eeh_dev_break's load
# is not an EEH-checked one (Linux: "the HW will asynchronously freeze a PE
# and it's up to the kernel to notice"), and an idle driver would notice
# only at its next checked MMIO load or I/O timeout.
wait_event() {
	_n=$1 _t=$(($2 * 5)) _d=${3:-$dev}
	while [ $_t -gt 0 ]; do
		if [ "$(count 'EEH: Recovery successful')" -ge "$_n" ]; then
			echo ok
			return
		fi
		if [ "$(count 'Unable to recover from failure')" -gt "$perm0" ]; then
			echo perm
			return
		fi
		if [ -e "/sys/bus/pci/devices/$_d" ]; then
			echo "$_d" >/sys/kernel/debug/powerpc/eeh_dev_check 2>/dev/null ||
				dd if="/sys/bus/pci/devices/$_d/config" bs=4 count=1 of=/dev/null 2>/dev/null
		fi
		sleep 0.2
		_t=$((_t - 1))
	done
	echo timeout
}
# disk_of BDF: the block device of a PCI function, or "none"
disk_of() {
	for _b in /sys/block/*; do
		case $(readlink -f "$_b") in */"$1"/*)
			echo "${_b##*/}"
			return
			;;
		esac
	done
	echo none
}
readback() {
	if [ ! -b "/dev/$1" ]; then
		echo "no /dev/$1"
		return
	fi
	_m=$(dd if="/dev/$1" bs=1M count=4 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	_l=$(dd if="/dev/$1" bs=512 skip="$lba" count=1 iflag=direct 2>/dev/null | head -n 1 | sed 's/ *$//')
	_w=$(dd if="/dev/$1" bs="$wlen" skip="$((woff / wlen))" count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	echo "$_m lba=$_l write=$_w"
}

i=0
while [ $i -lt "$total" ]; do
	i=$((i + 1))
	how="break"
	[ $i = 2 ] && [ -n "$fid" ] && how=freeze
	[ -e "/sys/bus/pci/devices/$dev" ] || { sphb_report eeh-step "$i $how device-gone"; break; }
	before=$(count 'EEH: Recovery successful')
	perm0=$(count 'Unable to recover from failure')
	t0=$(sphb_uptime)
	if [ $how = break ]; then
		echo "$dev" >"$brk" 2>/tmp/brk.err || sphb_report eeh-step "$i break-write-failed $(cat /tmp/brk.err)"
		sphb_report eeh-neigh "$i after-break $(pe_state "$neigh")"
	else
		sphb_report freeze-request "$fid"
		# the host answers on the monitor; the guest notices on its own
	fi
	r=$(wait_event $((before + 1)) 120)
	sphb_report eeh-step "$i $how $r $(sphb_since "$t0") s dev=$(pe_state "$dev") neigh=$(pe_state "$neigh")"
	if [ "$r" = ok ]; then
		sphb_report eeh-readback "$i $(readback "$(disk_of "$dev")")"
	fi
	[ -z "$neigh" ] || sphb_report eeh-neigh-readback "$i $(readback "$(disk_of "$neigh")")"
	[ "$r" = perm ] && break
done
# the guest removes a permanently failed device: give it time
t=50
while [ -e "/sys/bus/pci/devices/$dev" ] && [ $t -gt 0 ]; do
	sleep 0.2
	t=$((t - 1))
done
sphb_report eeh-final "dev=$([ -e "/sys/bus/pci/devices/$dev" ] && echo present || echo removed) neigh=$(pe_state "$neigh")"
sphb_report eeh-recoveries "$(count 'EEH: Recovery successful')"
# a device on another PHB keeps working, and recovers from EEH itself
if [ -n "$other" ]; then
	sphb_report other-readback "before $(readback "$(disk_of "$other")")"
	before=$(count 'EEH: Recovery successful')
	perm0=$(count 'Unable to recover from failure')
	t0=$(sphb_uptime)
	echo "$other" >"$brk" 2>/tmp/brk.err || sphb_report other-break-failed "$(cat /tmp/brk.err)"
	r=$(wait_event $((before + 1)) 120 "$other")
	# a driver without EEH callbacks (virtio) is removed and probed again
	t=50
	while [ "$(disk_of "$other")" = none ] && [ $t -gt 0 ]; do
		sleep 0.2
		t=$((t - 1))
	done
	sphb_report other-eeh "$r $(sphb_since "$t0") s state=$(pe_state "$other")"
	sphb_report other-readback "after $(readback "$(disk_of "$other")")"
fi
for n in /sys/class/net/eth*; do
	[ -e "$n" ] && sphb_report net "${n##*/} $(cat "$n/operstate") $(readlink -f "$n/device" | sed 's,.*/,,')"
done
dmesg | grep -iE 'EEH|nvme|PE#|virtio|remov' >/tmp/eeh.log || :
sphb_dump eeh-dmesg /tmp/eeh.log
ls /sys/bus/pci/devices >/tmp/pci.ls
sphb_dump pci-final /tmp/pci.ls
exit 0
