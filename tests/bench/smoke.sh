#!/bin/sh
# The benchmark program in its quick mode (few, short runs): it runs every
# section, prints its tables, and writes well-formed JSON that holds every
# section and every figure by name (docs/performance.md). Timing values are
# not checked; the callgrind plumbing is, on the floor section alone, when
# valgrind is there (and the build is not a sanitizer one).
set -u
B=${SPHB_BUILD:?SPHB_BUILD must name the build directory}
bin="$B/bench/sphb_bench"
[ -x "$bin" ] || { echo "no $bin"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed to read the JSON"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# the trace sections read tests/conformance/traces/ relative to the top
cd "${SPHB_TOP:-.}" || exit 1
vfio=0
nm "$bin" 2>/dev/null | grep -q sphb_vfio_set_sys && vfio=1
"$bin" --quick --json "$tmp/r.json" >"$tmp/out.txt" 2>"$tmp/err.txt" || no "quick run exit $? ($(tail -n 3 "$tmp/err.txt"))"
for t in "Floor" "Per-operation cost" "Scale" "Memory" "Host IOMMU operations" "EEH: one guest recovery" \
	"Trace replay throughput" "Host IOMMU operations per guest TCE update, the traces" "TCE storage of the traces" "The open PHB"; do
	grep -q "^== $t" "$tmp/out.txt" || no "no table '$t' in the output"
done
grep -q "^results: $tmp/r.json" "$tmp/out.txt" || no "no results line"

# every section, row and figure by name (values may be null: not measured)
python3 - "$tmp/r.json" "$vfio" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
vfio = sys.argv[2] == "1"
ops = ["cfg_read_emulated", "cfg_read_passthrough", "read_slot_reset_state2", "h_put_tce",
       "h_get_tce", "h_put_tce_indirect", "h_stuff_tce", "dma_translate", "dma_xlate_hit",
       "dma_xlate_miss"]
fig = ["ns", "ns_min", "x_store", "x_memcpy", "instr", "instr_entry"]
want = {
    "floor": {"store8": ["ns", "instr"], "memcpy4k": ["ns", "instr", "gb_per_s"]},
    "ops": {o: fig for o in ops},
    "scale": {"%s@%s" % (o, c): fig + ["config", "instr_ratio", "ns_ratio", "check"]
              for o in ops for c in ["1x1", "31x1", "1x32", "31x32"]},
    "memory": {n: ["tces", "in_use", "bytes", "heap_delta", "flat_bytes", "flat_ratio"]
               for n in ["default_empty", "default_full", "ddw_1t_64k_empty", "ddw_1t_64k_1",
                         "ddw_1t_64k_512", "ddw_1t_64k_64k", "ddw_1t_64k_1m",
                         "ddw_1t_64k_1000_scattered", "ddw_8t_4k_empty"]},
    "hostops": {n: ["host_ops"] for n in ["indirect_512_contiguous", "stuff_clear_512",
                "indirect_512_mixed", "indirect_512_contiguous_2c", "stuff_clear_512_2c"]},
    "recovery": {"guest_recovery": ["us", "ns", "instr", "instr_entry", "rtas_calls", "virtual_ms"]},
    "trace": {n: ["source", "guest_calls", "qemu_events", "parse_ms", "replay_ms", "calls_per_s",
                  "e2e_calls_per_s", "mismatches", "ns", "x_store"] for n in ["runA", "runB"]},
    "open": {"route@1x1": ["ns", "instr", "config"], "route@31x32": ["ns", "instr", "config", "ratio", "check"],
             "cfg_read_sim": ["ns", "instr"], "cfg_read_vmm": ["ns", "instr", "check"],
             "memcpy_4k": ["ns", "gbps"], "dma_read_4k": ["ns", "gbps", "ratio"]},
    "trace_memory": {n: ["windows", "tces", "in_use", "bytes", "flat_bytes", "flat_ratio"]
                     for n in ["runA", "runB"]},
}
if vfio:
    want["trace_hostops"] = {n: ["containers", "tce_hcalls", "tce_updates", "map_dma", "unmap_dma",
                                 "host_ops", "ops_per_update", "per_entry_ops", "per_entry_ratio"]
                             for n in ["runA", "runB"]}
bad = []
for k in ["program", "date", "mode", "machine", "floor_ns", "sections"]:
    if k not in r:
        bad.append("top-level key " + k)
if r.get("mode") != "quick":
    bad.append("mode is not quick")
secs = {s["name"]: s for s in r.get("sections", [])}
for sname, rows in want.items():
    s = secs.get(sname)
    if s is None:
        bad.append("section " + sname)
        continue
    if not s.get("method"):
        bad.append(sname + ": no method")
    have = {row["name"]: row for row in s["rows"]}
    for rname, keys in rows.items():
        row = have.get(rname)
        if row is None:
            bad.append("%s: row %s" % (sname, rname))
            continue
        for k in keys:
            if k not in row:
                bad.append("%s/%s: %s" % (sname, rname, k))
# figures that do not depend on timing: they must be there
mem = {row["name"]: row for row in secs.get("memory", {"rows": []})["rows"]}
if mem.get("ddw_1t_64k_empty", {}).get("flat_bytes") != 134217728:
    bad.append("memory: the flat 1 TiB / 64 KiB window is not 128 MiB")
if not mem.get("ddw_1t_64k_empty", {}).get("bytes", 1 << 30) < 1 << 20:
    bad.append("memory: an empty 1 TiB window costs 1 MiB or more")
# the replay of the excerpts matched everything; coalescing beats one op per entry
for row in secs.get("trace", {"rows": []})["rows"]:
    if row.get("mismatches") != 0 or row.get("source") != "excerpt":
        bad.append("trace/%s: mismatches %r, source %r" % (row["name"], row.get("mismatches"), row.get("source")))
for row in secs.get("trace_hostops", {"rows": []})["rows"]:
    if not 0 < row.get("host_ops", 0) < row.get("per_entry_ops", 0):
        bad.append("trace_hostops/%s: host_ops %r vs per-entry %r" % (row["name"], row.get("host_ops"), row.get("per_entry_ops")))
for row in secs.get("trace_memory", {"rows": []})["rows"]:
    if row.get("windows") != (1 if row["name"] == "runA" else 2):
        bad.append("trace_memory/%s: windows %r" % (row["name"], row.get("windows")))
for b in bad:
    print("FAIL: JSON lacks or has a wrong " + b)
sys.exit(1 if bad else 0)
PY

# the callgrind passes: instruction counts appear (floor only, quick), where
# valgrind can run this binary (not a sanitizer build; valgrind 3.19 cannot
# read clang's default DWARF 5: its own failure, exit 1, not the usage's 2)
vg=0
if command -v valgrind >/dev/null 2>&1 && ! (ldd "$bin" 2>/dev/null | grep -q 'lib[at]san'); then
	valgrind -q --tool=none "$bin" --bogus >/dev/null 2>&1
	[ $? -eq 2 ] && vg=1
fi
if [ $vg = 1 ]; then
	"$bin" --quick --callgrind --section floor --json "$tmp/c.json" >"$tmp/c.txt" 2>"$tmp/c.err" ||
		no "callgrind run exit $? ($(tail -n 3 "$tmp/c.err"))"
	python3 - "$tmp/c.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
rows = {row["name"]: row for s in r["sections"] for row in s["rows"]}
ok = r["callgrind"] is True and all(isinstance(rows[n]["instr"], (int, float)) and rows[n]["instr"] > 0
                                   for n in ["store8", "memcpy4k"])
if not ok:
    print("FAIL: no instruction counts from --callgrind: %r" % rows)
sys.exit(0 if ok else 1)
PY
fi

# usage errors
"$bin" --section nosuch >/dev/null 2>&1; [ $? -eq 2 ] || no "unknown section: exit status not 2"
"$bin" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || no "unknown option: exit status not 2"
[ $fail -eq 0 ] && echo "bench smoke: ok"
exit $fail
