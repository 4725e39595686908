#!/bin/sh
# The shipped EEH story (make demo) keeps telling the story it claims:
# injection freezes only the disk's PE, the disk recovers, the neighbour PE is
# untouched, and the 6th freeze of the gpu within an hour is permanent. The
# recoveries it shows are told one line per phase, as a Linux guest's kernel
# log tells them (arch/powerpc/kernel/eeh_driver.c, eeh_handle_normal_event());
# the driver's raw RTAS calls appear only with -v, each under its phase.
set -u
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(cd "$top" && "$SPHB" run $(cat examples/eeh-recovery.args) examples/eeh-recovery.sphb) ||
	{ echo "demo exited $?"; exit 1; }
fail=0
expect() { # expect LINE-REGEX DESCRIPTION
	printf '%s\n' "$out" | grep -Eq "$1" || { echo "missing: $2 ($1)"; fail=1; }
}
expect '^rtas ibm,errinjct -> 0$' "the injection succeeds"
expect '^host state disk -> stopped$' "the disk's PE is stopped after the injection"
expect '^recover disk -> recovered \(1 resets, [0-9]+ ms\)$' "the disk recovers with one reset"
[ "$(printf '%s\n' "$out" | grep -c '^recover gpu -> recovered')" = 5 ] ||
	{ echo "expected five recovered gpu freezes"; fail=1; }
expect '^recover gpu -> permanent-failure' "the sixth gpu freeze is a permanent failure"
expect '^rtas ibm,read-slot-reset-state2 -> 0 0x00000005 0x00000001 0x00000000$' "gpu PE state 5, info 0"
expect '^host state gpu-audio -> permanent$' "the other function of the gpu PE is gone too"
[ "$(printf '%s\n' "$out" | grep -c '^host state gpu -> normal$')" = 2 ] ||
	{ echo "the gpu PE should read normal while the disk is frozen and after its recovery"; fail=1; }
expect '^host state nic -> normal$' "the nic behind PHB 0 is untouched"

# the disk's recovery, phase by phase, in Linux's order (detect, wait, thaw
# MMIO, log, reset, restore, thaw), stamped with the virtual clock
printf '%s\n' "$out" | sed -n '/^== 4/,/^recover disk/p' | grep 'EEH:' | sed 's/^\[ *[0-9]*\.[0-9]*\] EEH: //' |
	sed 's/:.*//' >"${TMPDIR:-/tmp}/demo-eeh.$$"
phases=$(tr '\n' '|' <"${TMPDIR:-/tmp}/demo-eeh.$$"); rm -f "${TMPDIR:-/tmp}/demo-eeh.$$"
want='Frozen PHB#1-PE#1000 detected|Recovering PHB#1-PE#1000|This PCI device has failed 1 times in the last hour and will be permanently disabled after 5 failures|wait for the PE|Enable MMIO for the log|Collect temporary log|Reset without hotplug activity|hot reset, attempt 1|restore|thaw|Recovery successful.|'
[ "$phases" = "$want" ] || { echo "disk recovery phases: '$phases', expected '$want'"; fail=1; }
expect '^\[    4\.100000\] EEH: Recovery successful\.$' "the disk is back after one hot reset, 4.1 s of virtual time"
# the permanent failure says why it tried no reset, so "0 resets" is no surprise
printf '%s\n' "$out" | grep -B 8 '^recover gpu -> permanent-failure (0 resets, 0 ms)$' |
	grep -q 'EEH: PHB#1-PE#1800 has failed 6 times in the last hour and has been permanently disabled (no reset is tried)$' ||
	{ echo "the permanent failure does not say that no reset is tried"; fail=1; }
expect 'EEH: Collect permanent log: .*slot-error-detail severity 2' "the permanent log (slot-error-detail 2)"

# a story, not a dump: the only raw rtas lines are the script's own rtas statements
n_rtas=$(printf '%s\n' "$out" | grep -c '^rtas ')
n_stmt=$(grep -c '^rtas ' "$top/examples/eeh-recovery.sphb")
[ "$n_rtas" = "$n_stmt" ] || { echo "$n_rtas rtas lines for $n_stmt rtas statements: the driver's calls leak"; fail=1; }
[ "$(printf '%s\n' "$out" | wc -l)" -le 100 ] || { echo "the story is $(printf '%s\n' "$out" | wc -l) lines long"; fail=1; }

# -v: every driver call under its phase, indented, in the rtas statement's format
vout=$(cd "$top" && "$SPHB" run -v $(cat examples/eeh-recovery.args) examples/eeh-recovery.sphb 2>/dev/null) ||
	{ echo "demo -v exited $?"; exit 1; }
disk=$(printf '%s\n' "$vout" | sed -n '/^== 4/,/^recover disk/p')
[ "$(printf '%s\n' "$disk" | grep -c '^  rtas ibm,set-slot-reset -> 0$')" = 2 ] ||
	{ echo "-v: the disk's two set-slot-reset calls are not shown"; fail=1; }
printf '%s\n' "$disk" | grep -A 3 'EEH: hot reset, attempt 1' | grep -q '^  rtas ibm,set-slot-reset -> 0$' ||
	{ echo "-v: set-slot-reset is not listed under the reset phase"; fail=1; }
printf '%s\n' "$disk" | grep '^  ' | grep -Ev '^  rtas ibm,[a-z0-9-]+ -> -?[0-9]+( (0x[0-9a-f]{8}|-))*$' &&
	{ echo "-v: malformed call lines above"; fail=1; }
exit $fail
