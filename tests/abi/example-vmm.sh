#!/bin/sh
# The embedding example (examples/vmm.c): a VMM with its own device model
# does DMA and MSI-X through the PHB, survives an EEH freeze and recovery.
# It checks each step itself and exits non-zero when one is wrong.
bin=${SPHB_BUILD:-build}/examples/vmm
[ -x "$bin" ] || { echo "$bin not built (make tests)"; exit 77; }
out=$("$bin") || { echo "$out"; exit 1; }
echo "$out" | grep -q "all steps as expected" || { echo "$out"; exit 1; }
echo "$out" | tail -n 3
