/* Sections "trace", "trace_hostops" and "trace_memory": figures from the
 * real guest traffic of the two captured guest runs (docs/cli.md "Replay",
 * docs/performance.md), replayed
 * in-process through the replay of `sphb replay` (tools/trace.h):
 *  - trace: guest calls per second replaying each trace end to end (parse,
 *    and replay against a fresh machine of the traced description);
 *  - trace_hostops: the traces' TCE updates replayed with a pass-through
 *    device behind every PHB, host MAP_DMA/UNMAP_DMA counted by the fake
 *    kernel of the VFIO tests, next to the one operation per updated entry
 *    of a per-entry policy;
 *  - trace_memory: TCE storage of the traces' windows after the replay vs
 *    the flat array of 8 bytes per TCE.
 * The full captures are used when $SPHB_TRACES names a directory holding
 * them (they are not in the repository); otherwise, and in --quick mode, the
 * excerpts checked in under tests/conformance/traces/.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "internal.h"
#include "../tools/trace.h"

#if SPHB_VFIO
#include "vfio_fake_kernel.h"
#endif

#define TRACE_RAM (1ull << 30) /* the traced guests: -m 1G */
#define TRACE_RUNS 5
#define MAX_SPECS 16

struct run {
	const char *name;	/* JSON key */
	char console[512], qemu[512], args[512];
	const char *source;	/* "full" or "excerpt" */
	struct trace *t;
	double parse_ns;
	char *specs[MAX_SPECS];
	int nspecs;
};

static struct run runs[2] = { { .name = "runA" }, { .name = "runB" } };
static bool loaded, load_failed;

static bool readable(const char *p)
{
	return access(p, R_OK) == 0;
}

/* the -device arguments of an .args file: every line that is not "-device" */
static int read_args(struct run *r)
{
	FILE *f = fopen(r->args, "r");
	char line[512];

	if (!f) {
		fprintf(stderr, "sphb_bench: trace: %s: cannot open\n", r->args);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || !strcmp(line, "-device"))
			continue;
		if (r->nspecs == MAX_SPECS || !(r->specs[r->nspecs] = strdup(line))) {
			fclose(f);
			return -ENOMEM;
		}
		r->nspecs++;
	}
	fclose(f);
	return 0;
}

static int load(struct bench_ctx *ctx)
{
	const char *dir = getenv("SPHB_TRACES");

	if (loaded)
		return load_failed ? -EIO : 0;
	loaded = true;
	load_failed = true;
	if (!dir)
		dir = ""; /* no full captures: the excerpts */
	for (int i = 0; i < 2; i++) {
		struct run *r = &runs[i];
		char c = (char)('A' + i);
		const char *paths[2];
		double t0;

		snprintf(r->console, sizeof(r->console), "%s/run%c-console.log.xz", dir, c);
		snprintf(r->qemu, sizeof(r->qemu), "%s/run%c-qemu-trace.log.xz", dir, c);
		r->source = "full";
		if (!dir[0] || bench_quick(ctx) || !readable(r->console) || !readable(r->qemu)) {
			snprintf(r->console, sizeof(r->console),
				 "tests/conformance/traces/excerpt%c-console.log.xz", c);
			snprintf(r->qemu, sizeof(r->qemu),
				 "tests/conformance/traces/excerpt%c-qemu-trace.log.xz", c);
			r->source = "excerpt";
		}
		snprintf(r->args, sizeof(r->args), "tests/conformance/traces/run%c.args", c);
		if (read_args(r))
			return -EIO;
		paths[0] = r->console;
		paths[1] = r->qemu;
		t0 = bench_now_ns();
		if (trace_load(paths, 2, &r->t, stderr))
			return -EIO;
		r->parse_ns = bench_now_ns() - t0;
	}
	load_failed = false;
	return 0;
}

/* 1: nothing to do (the callgrind passes: no instruction counts here),
 * 0: the traces are loaded, or a negative errno */
static int ready(struct bench_ctx *ctx)
{
	return bench_instr_pass(ctx) ? 1 : load(ctx);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Replay run r against a fresh machine of its description, every answer
 * compared: 0 (*rmp is the machine after the replay, for the caller to look
 * at and free; build_ns, replay_ns: the two times, when not NULL) or -EIO
 * (a mismatch counts as a failure: figures of a diverged replay mean
 * nothing). st accumulates (its mismatches stay 0 while this succeeds). */
static int replay_fresh(const struct run *r, struct replay_stats *st, struct replay_machine **rmp,
			double *build_ns, double *replay_ns)
{
	double t0 = bench_now_ns(), t1;
	int rc;

	if (replay_machine_new((const char *const *)r->specs, r->nspecs, TRACE_RAM, rmp, stderr))
		return -EIO;
	t1 = bench_now_ns();
	rc = replay_run(r->t, &(*rmp)->tg, st);
	if (replay_ns)
		*replay_ns = bench_now_ns() - t1;
	if (build_ns)
		*build_ns = t1 - t0;
	if (rc || st->mismatches) {
		fprintf(stderr, "sphb_bench: trace: %s: replay failed (rc %d, %llu mismatches)\n", r->name,
			rc, (unsigned long long)st->mismatches);
		replay_machine_free(*rmp);
		*rmp = NULL;
		return -EIO;
	}
	return 0;
}

/* ---- trace: replay throughput ---- */

static int run_throughput(struct bench_ctx *ctx)
{
	int rc;

	rc = ready(ctx);
	if (rc)
		return rc > 0 ? 0 : rc;
	for (int i = 0; i < 2; i++) {
		struct run *r = &runs[i];
		unsigned n = bench_quick(ctx) ? 1 : TRACE_RUNS;
		double ns[TRACE_RUNS], build[TRACE_RUNS];
		struct replay_stats *st = calloc(1, sizeof(*st));
		struct bench_row *row;
		struct bench_figure fig;

		if (!st)
			return -ENOMEM;
		for (unsigned k = 0; k < n; k++) {
			struct replay_machine *rm;

			if (replay_fresh(r, st, &rm, &build[k], &ns[k])) {
				free(st);
				return -EIO;
			}
			replay_machine_free(rm);
		}
		qsort(ns, n, sizeof(ns[0]), cmp_double);
		qsort(build, n, sizeof(build[0]), cmp_double);
		double med = ns[n / 2], gcalls = (double)r->t->ngev;
		row = bench_row(ctx, r->name, r->name);
		bench_str(row, "source", r->source);
		bench_num(row, "guest_calls", gcalls);
		bench_num(row, "qemu_events", (double)r->t->nqev);
		bench_num(row, "lines", (double)r->t->lines);
		bench_num(row, "parse_ms", r->parse_ns / 1e6);
		bench_num(row, "machine_ms", build[n / 2] / 1e6);
		bench_num(row, "replay_ms", med / 1e6);
		bench_num(row, "calls_per_s", gcalls / (med / 1e9));
		bench_num(row, "e2e_calls_per_s", gcalls / ((r->parse_ns + build[n / 2] + med) / 1e9));
		bench_num(row, "lib_calls", (double)(st->lib_rtas_calls + st->lib_hcalls + st->lib_translations));
		bench_num(row, "mismatches", (double)st->mismatches);
		/* ns per guest call (with its share of the QEMU events) vs the floor */
		fig.ns = med / gcalls;
		fig.ns_min = ns[0] / gcalls;
		fig.instr = fig.instr_entry = NAN;
		bench_fig(ctx, row, &fig, 1);
		free(st);
	}
	return 0;
}

static const struct bench_col cols_throughput[] = {
	{ "label", "trace", 5, 0 },
	{ "source", "source", 7, 0 },
	{ "guest_calls", "guest calls", 11, 0 },
	{ "qemu_events", "QEMU events", 11, 0 },
	{ "parse_ms", "parse ms", 8, 1 },
	{ "replay_ms", "replay ms", 9, 1 },
	{ "calls_per_s", "calls/s", 10, 0 },
	{ "e2e_calls_per_s", "end-to-end/s", 12, 0 },
	{ "ns", "ns/call", 8, 1 },
	{ "x_store", "x store", 8, 1 },
	{ "mismatches", "mism.", 5, 0 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_trace = {
	"trace", "Trace replay throughput (the captured guest traces, in-process `sphb replay`)",
	"method: each trace (guest console + QEMU trace log, xz) is parsed once (parse ms, including xz -dc);\n"
	"then replayed 5 times, each against a fresh machine of tests/conformance/traces/runX.args\n"
	"(machine build not timed in replay ms), every answer compared (0 mismatches required).\n"
	"calls/s = guest calls (RTAS + hcalls) / median replay time; the replay also drives the QEMU\n"
	"events (DMA translations, firmware config cycles). end-to-end/s adds parse and machine build.\n"
	"ns/call = median replay time / guest calls; x store = that / the 8-byte store floor.",
	cols_throughput, run_throughput,
};

/* ---- trace_memory: TCE storage of the traces' windows ---- */

static int run_memory(struct bench_ctx *ctx)
{
	int rc;

	rc = ready(ctx);
	if (rc)
		return rc > 0 ? 0 : rc;
	for (int i = 0; i < 2; i++) {
		struct run *r = &runs[i];
		struct replay_machine *rm;
		struct replay_stats *st = calloc(1, sizeof(*st));
		double tces = 0, used = 0, bytes = 0;
		unsigned windows = 0;
		struct bench_row *row;

		if (!st)
			return -ENOMEM;
		if (replay_fresh(r, st, &rm, NULL, NULL)) {
			free(st);
			return -EIO;
		}
		for (uint32_t phb = 0; phb < 4; phb++) {
			for (uint32_t w = 0; w < 2; w++) {
				uint32_t liobn = 0x80000000u | phb << 8 | w;
				struct sphb_tce_table *t = sphb_tce_by_liobn(rm->tg.m, liobn, NULL);
				uint64_t nb;

				if (!t)
					continue;
				windows++;
				nb = sphb_tce_nb(t);
				tces += (double)nb;
				bytes += (double)sphb_tce_bytes(t);
				for (uint64_t k = 0; k < nb; k++)
					used += sphb_tce_get(t, k) != 0;
			}
		}
		replay_machine_free(rm);
		free(st);
		row = bench_row(ctx, r->name, r->name);
		bench_str(row, "source", r->source);
		bench_num(row, "windows", windows);
		bench_num(row, "tces", tces);
		bench_num(row, "in_use", used);
		bench_num(row, "bytes", bytes);
		bench_num(row, "flat_bytes", tces * 8);
		bench_num(row, "flat_ratio", tces * 8 / bytes);
	}
	return 0;
}

static const struct bench_col cols_memory[] = {
	{ "label", "trace", 5, 0 },
	{ "source", "source", 7, 0 },
	{ "windows", "windows", 7, 0 },
	{ "tces", "TCEs", 8, 0 },
	{ "in_use", "in use", 7, 0 },
	{ "bytes", "sparse bytes", 12, 0 },
	{ "flat_bytes", "flat bytes", 11, 0 },
	{ "flat_ratio", "flat/sparse", 11, 2 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_trace_memory = {
	"trace_memory", "TCE storage of the traces' windows (after the replay) vs a flat array",
	"method: after replaying each trace, every PHB window (LIOBN 0x80000000 | phb << 8 | w) is\n"
	"visited: sparse bytes = the library's own count of its radix levels (sphb_tce_bytes), flat =\n"
	"8 bytes per TCE of the window (QEMU's table); in use = non-zero entries at the end.\n"
	"The traced guests (1 GiB) only use the default 1 GiB windows of 4 KiB TCEs, which the\n"
	"workload fills: the sparse form costs about as much as the flat one there (its gain is\n"
	"for large, sparsely used windows: section memory).",
	cols_memory, run_memory,
};

/* ---- trace_hostops: host IOMMU operations per TCE update ---- */

#if SPHB_VFIO
static int run_hostops(struct bench_ctx *ctx)
{
	int rc;

	rc = ready(ctx);
	if (rc)
		return rc > 0 ? 0 : rc;
	sphb_vfio_set_sys(&fake);
	for (int i = 0; i < 2; i++) {
		struct run *r = &runs[i];
		struct sphb_host_ops ops = t_ops();
		struct replay_stats *st = calloc(1, sizeof(*st));
		struct replay_target tg;
		struct t_host h;
		struct sphb_machine *m = NULL;
		struct bench_row *row;
		unsigned containers = 0;
		double ops_n;

		if (!st)
			return -ENOMEM;
		reset_kernel();
		memset(&h, 0, sizeof(h));
		h.ram_size = TRACE_RAM;
		h.ram = calloc(1, TRACE_RAM);
		ops.ram_iterate = bench_ram_iterate;
		rc = h.ram ? sphb_machine_new_default(&ops, &h, &m) : -ENOMEM;
		for (int k = 0; !rc && k < r->nspecs; k++)
			rc = sphb_machine_add(m, r->specs[k]);
		/* a pass-through function behind each PHB of the trace (slot 4 is
		 * free in both), each from its own host IOMMU group */
		if (!rc) {
			rc = sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=4");
			containers++;
		}
		if (!rc && i == 1) {
			rc = sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=phb1.0,addr=4");
			containers++;
		}
		if (rc) {
			fprintf(stderr, "sphb_bench: trace_hostops: %s\n", h.last_log);
		} else {
			unsigned map0 = n_map, unmap0 = n_unmap;

			tg.m = m;
			tg.mem_read = t_mem_read;
			tg.mem_write = t_mem_write;
			tg.opaque = &h;
			tg.rtas_buf_gpa = TRACE_RAM - 0x10000;
			rc = replay_run(r->t, &tg, st);
			row = bench_row(ctx, r->name, r->name);
			ops_n = (double)(n_map - map0) + (double)(n_unmap - unmap0);
			bench_str(row, "source", r->source);
			bench_num(row, "containers", containers);
			bench_num(row, "tce_hcalls", (double)(st->row[REPLAY_ROW_H_PUT_TCE].calls +
							st->row[REPLAY_ROW_H_STUFF_TCE].calls +
							st->row[REPLAY_ROW_H_PUT_TCE_INDIRECT].calls));
			bench_num(row, "tce_updates", (double)st->tce_entries_set);
			bench_num(row, "map_dma", n_map - map0);
			bench_num(row, "unmap_dma", n_unmap - unmap0);
			bench_num(row, "host_ops", ops_n);
			bench_num(row, "ops_per_update", ops_n / (double)st->tce_entries_set);
			bench_num(row, "per_entry_ops", (double)st->tce_entries_set);
			bench_num(row, "per_entry_ratio", (double)st->tce_entries_set / ops_n);
		}
		if (m)
			sphb_machine_free(m);
		free(h.ram);
		free(st);
		if (rc)
			return -EIO;
	}
	return 0;
}
#else
static int run_hostops(struct bench_ctx *ctx)
{
	(void)ctx;
	fprintf(stderr, "sphb_bench: trace_hostops: built without the VFIO backend (SPHB_VFIO=0)\n");
	return 0;
}
#endif

static const struct bench_col cols_hostops[] = {
	{ "label", "trace", 5, 0 },
	{ "source", "source", 7, 0 },
	{ "containers", "cont.", 5, 0 },
	{ "tce_hcalls", "TCE hcalls", 10, 0 },
	{ "tce_updates", "updates", 8, 0 },
	{ "map_dma", "MAP", 7, 0 },
	{ "unmap_dma", "UNMAP", 7, 0 },
	{ "ops_per_update", "ops/update", 10, 4 },
	{ "per_entry_ops", "per-entry", 9, 0 },
	{ "per_entry_ratio", "saved x", 8, 1 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_trace_hostops = {
	"trace_hostops", "Host IOMMU operations per guest TCE update, the traces' TCE traffic",
	"method: each trace replayed against its machine plus one vfio-pci function behind every PHB\n"
	"(own host IOMMU group, so one sPAPR TCE v2 container per PHB) over the fake kernel of\n"
	"tests/vfio_fake_kernel.h, which counts MAP_DMA/UNMAP_DMA. updates = TCE entries the guest's\n"
	"H_PUT_TCE / H_STUFF_TCE / H_PUT_TCE_INDIRECT wrote; per-entry = one host operation per\n"
	"updated entry (QEMU's IOMMU-notifier policy), in the same run by definition.",
	cols_hostops, run_hostops,
};
