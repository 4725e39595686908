#!/bin/sh
# make bench: time and instruction counts of ibm,read-pci-config through the
# RTAS entry point, 1 PHB x 1 device vs 31 PHBs x 32 devices. Writes a table
# to stdout and BUILD/bench/results.json. Method: docs/performance.md.
set -eu
build=${1:-build}
b="$build/bench/rtas_bench"
[ -x "$b" ] || { echo "bench: $b not built" >&2; exit 1; }
n=200000
csv=$("$b" time)
get() { printf '%s\n' "$csv" | awk -F, -v c="$1" -v f="$2" '$1 == c { print $f }'; }
ir() { # MODE CONF -> instructions per iteration
	valgrind --tool=callgrind --toggle-collect=bench_loop_rtas --toggle-collect=bench_loop_empty \
		--toggle-collect=bench_loop_floor --callgrind-out-file=/dev/null "$b" "$1" "$2" "$n" 2>&1 |
		awk -v n="$n" '/Collected/ { printf "%.1f", $4 / n }'
}
collected() { # CONF N -> instructions inside sphb_rtas_call (and its callees)
	valgrind --tool=callgrind --toggle-collect=sphb_rtas_call --callgrind-out-file=/dev/null \
		"$b" loop "$1" "$2" 2>&1 | awk '/Collected/ { print $4 }'
}
ir_entry() { # CONF -> instructions per sphb_rtas_call, independent of the loop
	# (the program's own setup calls are the same for N and 0 calls)
	awk -v a="$(collected "$1" "$n")" -v z="$(collected "$1" 0)" -v n="$n" \
		'BEGIN { printf "%.1f", (a - z) / n }'
}
have_vg=0
command -v valgrind >/dev/null 2>&1 && have_vg=1
printf '%-8s %10s %8s %10s %12s %8s %12s\n' config "ns/call" "vs 1x1" "vs floor" "instr/call" "vs 1x1" "in entry"
json="{\n  \"benchmark\": \"ibm,read-pci-config via sphb_rtas_call\",\n  \"results\": ["
sep=""
base_ns=""; base_ir=""
for conf in 1x1 31x32; do
	ns=$(get $conf 2); guest=$(get $conf 3); floor=$(get $conf 4)
	call_ns=$(awk -v a="$ns" -v g="$guest" 'BEGIN { printf "%.2f", a - g }')
	if [ $have_vg = 1 ]; then
		i_loop=$(ir loop $conf); i_empty=$(ir empty $conf); i_floor=$(ir floor $conf)
		instr=$(awk -v a="$i_loop" -v e="$i_empty" 'BEGIN { printf "%.1f", a - e }')
		i_entry=$(ir_entry $conf)
	else
		instr=null; i_floor=null; i_entry=null
	fi
	[ -n "$base_ir" ] || base_ir=$instr
	[ -n "$base_ns" ] || base_ns=$call_ns
	r_ns=$(awk -v a="$call_ns" -v b="$base_ns" 'BEGIN { printf "%.3f", a / b }')
	r_floor=$(awk -v a="$call_ns" -v b="$floor" 'BEGIN { printf "%.1f", a / b }')
	r_ir=$(awk -v a="$instr" -v b="$base_ir" 'BEGIN { if (b + 0 > 0) printf "%.3f", a / b; else print "null" }')
	printf '%-8s %10s %8s %10s %12s %8s %12s\n' "$conf" "$call_ns" "$r_ns" "${r_floor}x" "$instr" "$r_ir" "$i_entry"
	json="$json$sep\n    {\"config\": \"$conf\", \"ns_per_call\": $call_ns, \"ns_ratio_to_1x1\": $r_ns, \"ns_floor\": $floor, \"ratio_to_floor\": $r_floor, \"instructions_per_call\": $instr, \"instructions_floor\": $i_floor, \"instructions_ratio_to_1x1\": $r_ir, \"instructions_in_entry_per_call\": $i_entry}"
	sep=","
done
mkdir -p "$build/bench"
printf "$json\n  ]\n}\n" > "$build/bench/results.json"
echo "ns/call: median of 15 runs of $n calls, guest-side argument writes subtracted;"
echo "floor: the host's mem_read x2 + mem_write alone (the callbacks one call needs);"
echo "instr/call: valgrind callgrind, loop minus the same loop without the call;"
echo "in entry: callgrind, instructions inside sphb_rtas_call() per call (host callbacks included)."
echo "results: $build/bench/results.json"

# EEH: read-slot-reset-state2 through the RTAS entry, and one guest recovery
e="$build/bench/eeh_bench"
if [ -x "$e" ]; then
	ecsv=$("$e" time | tail -n 1)
	st_ns=$(echo "$ecsv" | cut -d, -f1); rec_us=$(echo "$ecsv" | cut -d, -f2); rec_vms=$(echo "$ecsv" | cut -d, -f3)
	st_ir=null
	if [ $have_vg = 1 ]; then
		a=$(valgrind --tool=callgrind --toggle-collect=bench_loop_state --toggle-collect=bench_loop_empty \
			--callgrind-out-file=/dev/null "$e" loop 100000 2>&1 | awk '/Collected/ { print $4 }')
		z=$(valgrind --tool=callgrind --toggle-collect=bench_loop_state --toggle-collect=bench_loop_empty \
			--callgrind-out-file=/dev/null "$e" empty 100000 2>&1 | awk '/Collected/ { print $4 }')
		st_ir=$(awk -v a="$a" -v z="$z" 'BEGIN { printf "%.1f", (a - z) / 100000 }')
	fi
	echo
	printf '%-40s %s\n' "read-slot-reset-state2 ns/call" "$st_ns" \
		"read-slot-reset-state2 instr/call" "$st_ir" \
		"guest recovery, wall us (median of 15)" "$rec_us" \
		"guest recovery, virtual ms" "$rec_vms"
	printf '{"read_slot_reset_state2_ns": %s, "read_slot_reset_state2_instructions": %s, "recovery_wall_us": %s, "recovery_virtual_ms": %s}\n' \
		"$st_ns" "$st_ir" "$rec_us" "$rec_vms" > "$build/bench/eeh-results.json"
	echo "results: $build/bench/eeh-results.json"
fi

# DMA: TCE hypercalls and translation
d="$build/bench/dma_bench"
if [ -x "$d" ]; then
	echo
	dcsv=$("$d" time | tail -n +2)
	printf '%-34s %10s %14s\n' "DMA operation" "ns/op" "instr/op"
	djson="{"; dsep=""
	for op in put get translate indirect; do
		ns=$(printf '%s\n' "$dcsv" | awk -F, -v o=$op '$1 == o { print $2 }')
		ir=null
		if [ $have_vg = 1 ]; then
			n=100000; div=100000
			[ $op = indirect ] && { n=1000; div=512000; ns=$(awk -v a="$ns" 'BEGIN { printf "%.2f", a / 512 }'); }
			a=$(valgrind --tool=callgrind --toggle-collect=bench_loop --callgrind-out-file=/dev/null "$d" $op $n 2>&1 | awk '/Collected/ { print $4 }')
			z=$(valgrind --tool=callgrind --toggle-collect=bench_loop --callgrind-out-file=/dev/null "$d" empty $n 2>&1 | awk '/Collected/ { print $4 }')
			ir=$(awk -v a="$a" -v z="$z" -v d="$div" -v n="$n" 'BEGIN { printf "%.1f", (a - z) / d }')
		fi
		label=$op; [ $op = indirect ] && label="indirect (per entry of 512)"
		printf '%-34s %10s %14s\n' "$label" "$ns" "$ir"
		djson="$djson$dsep\"$op\": {\"ns\": $ns, \"instructions\": $ir}"; dsep=", "
	done
	echo "$djson}" > "$build/bench/dma-results.json"
	echo "results: $build/bench/dma-results.json"
fi
