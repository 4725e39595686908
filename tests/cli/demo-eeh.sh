#!/bin/sh
# The shipped EEH story (make demo) keeps telling the story it claims:
# injection freezes only the disk's PE, the disk recovers, the neighbour PE is
# untouched, and the 6th freeze of the gpu within an hour is permanent.
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
exit $fail
