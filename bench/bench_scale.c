/* Section "scale": every operation of the ops section on 1 and 31 PHBs
 * with 1 and 32 functions each. Call k addresses PHB k mod nphb and slot
 * (k / nphb) mod ndev, so consecutive calls change both and every function
 * is visited in turn. The instruction count must not grow: ratio to 1x1
 * <= 1.05. SPDX-License-Identifier: MIT */
#include "bench.h"

#define NCONF 4
static const unsigned conf[NCONF][2] = { { 1, 1 }, { 31, 1 }, { 1, 32 }, { 31, 32 } };
#define MAX_RATIO 1.05

static int run(struct bench_ctx *ctx)
{
	struct bench_machine emu[NCONF], pt[NCONF];
	int rc = 0;

	memset(emu, 0, sizeof(emu));
	memset(pt, 0, sizeof(pt));
	for (unsigned c = 0; !rc && c < NCONF; c++) {
		rc = bench_machine_new(&emu[c], conf[c][0], conf[c][1], false);
		if (!rc)
			rc = bench_machine_new(&pt[c], conf[c][0], conf[c][1], true);
	}
	for (unsigned i = 0; !rc && i < bench_nops; i++) {
		const struct bench_op *op = &bench_op_list[i];
		struct bench_probe p[NCONF];
		struct bench_figure f[NCONF];
		char pname[NCONF][64];

		for (unsigned c = 0; c < NCONF; c++) {
			struct bench_machine *bm = op->passthrough ? &pt[c] : &emu[c];
			snprintf(pname[c], sizeof(pname[c]), "%s@%s", op->name, bm->name);
			p[c] = (struct bench_probe){ pname[c], op->loop, op->empty, bm, op->n, op->per };
		}
		bench_measure(ctx, p, NCONF, f);
		for (unsigned c = 0; c < NCONF; c++) {
			struct bench_row *r = bench_row(ctx, pname[c], op->label);
			double ri = f[c].instr / f[0].instr;
			bench_str(r, "config", emu[c].name);
			bench_fig(ctx, r, &f[c], op->per);
			bench_num(r, "instr_ratio", ri);
			bench_num(r, "ns_ratio", f[c].ns / f[0].ns);
			bench_str(r, "check", isnan(ri) ? "?" : ri <= MAX_RATIO ? "ok" : "GROWS");
		}
	}
	for (unsigned c = 0; c < NCONF; c++) {
		bench_machine_free(&emu[c]);
		bench_machine_free(&pt[c]);
	}
	return rc;
}

static const struct bench_col cols[] = {
	{ "label", "operation", 40, 0 },
	{ "config", "PHBxfn", 6, 0 },
	{ "ns", "ns", 8, 2 },
	{ "x_store", "x store", 8, 1 },
	{ "instr", "instr", 8, 1 },
	{ "instr_ratio", "instr/1x1", 9, 3 },
	{ "ns_ratio", "ns/1x1", 7, 2 },
	{ "check", "<=1.05", 6, 0 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_scale = {
	"scale", "Scale: 1 vs 31 PHBs, 1 vs 32 functions per PHB",
	"method: as ops; the four machines of an operation are timed in alternating rounds. Call k\n"
	"addresses PHB k mod N and slot (k / N) mod M (NxM = PHBs x functions per PHB): every function in\n"
	"turn, consecutive calls on different PHBs and functions. Pass-through-like machines: one IOMMU\n"
	"group and PE per function, 992 groups at 31x32. The check is on instructions (instr/1x1 <= 1.05);\n"
	"ns/1x1 is for information (more functions = more cache misses, and the machine is shared).",
	cols, run,
};
