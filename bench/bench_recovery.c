/* Section "recovery": one whole EEH recovery as a Linux 6.12 guest does it
 * (sphb_guest_recover: detection, state polls, thaw, configure, the config
 * dump, slot-error-detail, hot reset, BAR restores, thaws) after a host
 * freeze, on the simulated host: wall clock, instructions, and the virtual
 * time it stands for. SPDX-License-Identifier: MIT */
#include "bench.h"

#define SCRATCH 0x800000u

struct rec {
	struct t_host h;
	struct sphb_machine *m;
	struct sphb_guest *g;
	struct sphb_guest_result last;
	int rc;
};

static void recover_loop(void *a, unsigned long n)
{
	struct rec *x = a;

	for (unsigned long i = 0; i < n; i++) {
		x->last.sz = sizeof(x->last);
		sphb_host_freeze(x->m, "nic", NULL);
		if (sphb_guest_recover(x->g, "nic", &x->last) || x->last.outcome != SPHB_GUEST_RECOVERED)
			x->rc = -EIO;
	}
}

static int run(struct bench_ctx *ctx)
{
	struct sphb_guest_opts o = { sizeof(o), SCRATCH, 1000000 };
	struct sphb_guest_ops go;
	struct bench_figure f;
	struct bench_row *r;
	struct rec x;
	const struct bench_probe p = { "guest_recovery", recover_loop, NULL, &x, 200, 1 };

	memset(&x, 0, sizeof(x));
	x.m = t_machine(&x.h, "sim-pci,bus=pci.0,addr=2,id=nic,iommu-group=3,pcie=on,msix=4,bar0=mem64:64K",
			NULL);
	memset(&go, 0, sizeof(go));
	go.sz = sizeof(go);
	go.mem_read = t_mem_read;
	go.mem_write = t_mem_write;
	x.rc = sphb_guest_new(x.m, &o, &go, &x.h, &x.g);
	if (!x.rc) {
		struct sphb_guest_result first = { .sz = sizeof(first) };
		x.rc = sphb_guest_recover(x.g, "nic", &first); /* first use: the probe */
	}
	if (!x.rc) {
		bench_measure(ctx, &p, 1, &f);
		r = bench_row(ctx, p.name, "one guest recovery after a host freeze");
		bench_num(r, "us", f.ns / 1000);
		bench_num(r, "us_min", f.ns_min / 1000);
		bench_fig(ctx, r, &f, 1);
		bench_num(r, "rtas_calls", x.last.calls);
		bench_num(r, "resets", x.last.resets);
		bench_num(r, "virtual_ms", (double)x.last.elapsed_ms);
	}
	sphb_guest_free(x.g);
	t_free(x.m, &x.h);
	return x.rc;
}

static const struct bench_col cols[] = {
	{ "label", "operation", 40, 0 },
	{ "us", "us", 8, 2 },
	{ "x_store", "x store", 8, 0 },
	{ "instr", "instr", 9, 0 },
	{ "instr_entry", "in RTAS", 9, 0 },
	{ "rtas_calls", "calls", 6, 0 },
	{ "virtual_ms", "virt. ms", 9, 0 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_recovery = {
	"recovery", "EEH: one guest recovery",
	"method: sphb_host_freeze() then sphb_guest_recover() on a pe-mode=shared PHB with one\n"
	"simulated pass-through function; us = median of the timed runs (200 recoveries each) per\n"
	"recovery; instr = callgrind per recovery (freeze included), in RTAS = inside sphb_rtas_call;\n"
	"calls = RTAS calls of one recovery; virt. ms = the virtual time it stands for (host reset hold\n"
	"and settle, guest waits). Target (EEH issue): well under 1 ms of wall clock.",
	cols, run,
};
