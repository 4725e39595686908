#!/bin/bash
# Boot the ppc64le test guest under qemu-system-ppc64 (TCG, pseries, POWER9)
# and wait for it to power off, with a hard timeout.
#
# Usage: boot.sh --initrd FILE [options] [-- extra QEMU arguments...]
#   --initrd FILE     initramfs (initramfs.sh prints one)
#   --kernel FILE     kernel image (default: the fetched vmlinux, fetch.sh)
#   --qemu PATH       qemu-system-ppc64 binary (default /usr/bin/qemu-system-ppc64;
#                     Debian's qemu-system-ppc is installed when missing and root)
#   --append STR      extra kernel command line (after "console=hvc0");
#                     sphb.KEY=VALUE words reach the guest script as $SPHB_KEY
#   --timeout SEC     kill the guest after SEC seconds (default 300)
#   --log FILE        console log (default: a temporary file, removed on success)
#   --memory SPEC     -m argument (default 1G,slots=2,maxmem=4G)
#   --machine OPTS    -M argument (default pseries plus TCG-friendly caps,
#                     see below)
#   --firmware slof|vof  SLOF (default, probes PCI like real firmware) or
#                     QEMU's Virtual Open Firmware (x-vof=on: ~10 s faster)
#   --verbose         copy the whole console to stdout (default: only the
#                     SPHB-GUEST lines)
# Exit: 0 when the guest reached /init, its script exited 0 and it powered
# off; 1 otherwise (timeout, QEMU error, kernel panic, script failure), with
# the last 40 console lines; 77 when no QEMU can be had or the kernel cannot
# be fetched. The log gets host lines "SPHB-HOST: <key> <value>":
# time-to-init, total (wall seconds), qemu-exit.
set -eu
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
. "$GUEST_DIR/lib.sh"

DEFAULT_QEMU=/usr/bin/qemu-system-ppc64
# pseries-7.2 asks for Spectre mitigations TCG cannot give: say "broken" up
# front instead of getting four warnings.
DEFAULT_MACHINE=pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
initrd='' kernel='' qemu=$DEFAULT_QEMU append='' timeout=300 log='' memory=1G,slots=2,maxmem=4G
machine=$DEFAULT_MACHINE firmware=slof verbose=0
while [ $# -gt 0 ]; do
	case $1 in
	--initrd) initrd=${2:?}; shift 2 ;;
	--kernel) kernel=${2:?}; shift 2 ;;
	--qemu) qemu=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--memory) memory=${2:?}; shift 2 ;;
	--machine) machine=${2:?}; shift 2 ;;
	--firmware) firmware=${2:?}; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--) shift; break ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[ -n "$initrd" ] || die "--initrd is required (see --help)"
[ -f "$initrd" ] || die "no such initrd: $initrd"
case $timeout in '' | *[!0-9]*) die "--timeout wants whole seconds" ;; esac
case $firmware in
slof) ;;
vof) machine=$machine,x-vof=on ;;
*) die "--firmware is slof or vof" ;;
esac

if [ ! -x "$qemu" ]; then
	if [ "$qemu" = "$DEFAULT_QEMU" ]; then
		need_host_pkgs "$DEFAULT_QEMU:qemu-system-ppc"
	else
		die "no such QEMU: $qemu"
	fi
fi
need_host_pkgs timeout:coreutils
if [ -z "$kernel" ]; then
	load_guest_env
	kernel=$KERNEL_IMAGE
fi
[ -f "$kernel" ] || die "no such kernel: $kernel"

keep_log=1
if [ -z "$log" ]; then
	log=$(mktemp "${TMPDIR:-/tmp}/sphb-guest-console.XXXXXX")
	keep_log=0
fi
: >"$log"

args=(-M "$machine" -cpu POWER9 -m "$memory" -smp 1
	-nographic -nodefaults -serial stdio -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=hvc0${append:+ $append}" "$@")
{
	printf 'SPHB-HOST: qemu %q' "$qemu"
	printf ' %q' "${args[@]}"
	echo
} >>"$log"

# Run QEMU under timeout(1); a reader stamps the wall time of the guest's
# init marker. QEMU's exit status comes back as the last line of the pipe.
start=$(now_ms)
init_ms=
set +e
{
	timeout --kill-after=5 "$timeout" "$qemu" "${args[@]}" </dev/null 2>&1
	echo "SPHB-HOST: qemu-exit $?"
} | {
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$log"
		case $line in
		"SPHB-GUEST: init "*)
			if [ -z "$init_ms" ]; then
				init_ms=$(($(now_ms) - start))
				echo "SPHB-HOST: time-to-init $(ms_to_s "$init_ms")" >>"$log"
			fi
			;;
		esac
		if [ $verbose = 1 ]; then
			printf '%s\n' "$line"
		else
			case $line in SPHB-GUEST:* | *qemu-system-ppc64:*) printf '%s\n' "$line" ;; esac
		fi
	done
}
set -e
total_ms=$(($(now_ms) - start))
echo "SPHB-HOST: total $(ms_to_s "$total_ms")" >>"$log"

qrc=$(sed -n 's/^SPHB-HOST: qemu-exit //p' "$log" | tail -n 1)
init_s=$(sed -n 's/^SPHB-HOST: time-to-init //p' "$log" | tail -n 1)
src=$(sed -n 's/^SPHB-GUEST: script-exit //p' "$log" | tail -n 1)
echo "boot: wall time to init ${init_s:+$init_s s}${init_s:-never}, total $(ms_to_s "$total_ms") s; console log $log" >&2

fail() {
	say "FAILED: $*"
	echo "---- last 40 console lines ($log) ----" >&2
	grep -v '^SPHB-HOST:' "$log" | tail -n 40 >&2
	echo "----" >&2
	exit 1
}
case $qrc in
124 | 137) fail "timeout: guest killed after $timeout s" ;;
0) ;;
*) fail "QEMU exited with status $qrc" ;;
esac
[ -n "$init_s" ] || fail "the guest never reached /init (kernel panic or boot failure)"
[ -n "$src" ] || fail "the guest script never finished"
case $src in 0 | "0 "*) ;; *) fail "the guest script exited with $src" ;; esac
grep -q '^SPHB-GUEST: poweroff ' "$log" || fail "the guest did not power off cleanly"
[ $keep_log = 1 ] || rm -f "$log"
exit 0
