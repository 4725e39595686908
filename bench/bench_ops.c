/* Section "ops": the cost of one operation of each kind on the smallest
 * machine (one PHB, one function), against issue 8's targets.
 * SPDX-License-Identifier: MIT */
#include "bench.h"

/* issue 8: instructions per operation (per entry for INDIRECT) */
static double target_of(const char *op)
{
	if (!strcmp(op, "h_put_tce"))
		return 120;
	if (!strcmp(op, "h_put_tce_indirect"))
		return 12;
	if (!strcmp(op, "dma_translate") || !strcmp(op, "dma_xlate_hit"))
		return 30;
	return NAN;
}

static int run(struct bench_ctx *ctx)
{
	struct bench_machine emu, pt;
	int rc = bench_machine_new(&emu, 1, 1, false);

	if (!rc)
		rc = bench_machine_new(&pt, 1, 1, true);
	for (unsigned i = 0; !rc && i < bench_nops; i++) {
		const struct bench_op *op = &bench_op_list[i];
		struct bench_probe p = { op->name, op->loop, op->empty, op->passthrough ? &pt : &emu,
					 op->n, op->per };
		struct bench_figure f;
		struct bench_row *r;
		double target = target_of(op->name);

		bench_measure(ctx, &p, 1, &f);
		r = bench_row(ctx, op->name, op->label);
		bench_fig(ctx, r, &f, op->per);
		if (!isnan(target)) {
			bench_num(r, "target_instr", target);
			bench_str(r, "target", isnan(f.instr_entry) ? "?" :
					       f.instr_entry <= target ? "met" : "NOT MET");
		}
	}
	bench_machine_free(&emu);
	bench_machine_free(&pt);
	return rc;
}

static const struct bench_col cols[] = {
	{ "label", "operation (1 PHB, 1 function)", 40, 0 },
	{ "ns", "ns", 8, 2 },
	{ "x_store", "x store", 8, 1 },
	{ "instr", "instr", 8, 1 },
	{ "instr_entry", "in entry", 9, 1 },
	{ "target_instr", "target", 7, 0 },
	{ "target", "", 7, 0 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_ops = {
	"ops", "Per-operation cost",
	"method: ns = median over the rounds of (loop - the same loop without the call) / calls, per entry\n"
	"for INDIRECT/STUFF (512-entry calls); the guest writes the whole RTAS argument buffer before every\n"
	"call. instr = callgrind, loop minus empty loop; in entry = callgrind, instructions inside\n"
	"sphb_rtas_call/sphb_hcall/sphb_dma_translate/sphb_dma_xlate (host callbacks included).\n"
	"pass-through-like: sim-pci with iommu-group (own PE, pe-mode=per-group). target: issue 8's, judged\n"
	"on the in-entry count (the library's cost; instr adds the caller's argument set-up).",
	cols, run,
};
