/* sphb_bench: one benchmark program made of sections (docs/performance.md).
 *
 * A section is one file bench/bench_NAME.c that defines a
 * `const struct bench_section bench_NAME` and one entry in the table of
 * bench/sphb_bench.c. Its run() builds what it needs, measures through
 * bench_measure() and adds rows to its table with bench_row(); the program
 * prints every table and writes the same figures as JSON.
 *
 * Measured loops: a probe is a loop of n operations and, optionally, the same
 * loop without the operation (the caller's own work, subtracted). Times are
 * the median of many timed runs; instruction counts come from two runs of
 * the program under valgrind's callgrind (--callgrind): every probe runs
 * once inside bench_measure_loop(), which callgrind zeroes before and dumps
 * after, (1) collecting inside it (loop minus empty loop) and (2) collecting
 * only inside the library's entry points.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_BENCH_H
#define SPHB_BENCH_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

struct bench_ctx;
struct bench_row;

/* n operations of one kind on arg */
typedef void bench_loop_fn(void *arg, unsigned long n);

struct bench_probe {
	const char *name;	/* unique within the section */
	bench_loop_fn *loop;	/* n operations */
	bench_loop_fn *empty;	/* the loop without the operation; NULL: subtract nothing */
	void *arg;
	unsigned long n;	/* operations per timed run in a full run */
	unsigned per;		/* figures are per entry: divided by this (0 counts as 1) */
};

/* One probe's figures; NAN where not measured. ns: median over the runs of
 * (loop - empty); ns_min: the fastest loop run minus the median empty run;
 * instr: callgrind, loop minus empty loop; instr_entry: callgrind,
 * instructions inside sphb_rtas_call / sphb_hcall / sphb_dma_translate /
 * sphb_dma_xlate (and everything they call). All per operation (per entry). */
struct bench_figure {
	double ns, ns_min, instr, instr_entry;
};

/* Measure k probes; timed rounds alternate between them, so that a drift of
 * the machine (frequency, other jobs) affects all alike. */
void bench_measure(struct bench_ctx *ctx, const struct bench_probe *p, unsigned k,
		   struct bench_figure *out);

/* A row of the current section's table: name is the JSON key (unique in the
 * section), label what a person reads. Values: numbers (NAN prints "-" and
 * is null in JSON) and strings. bench_fig adds a figure's ns, ns_min,
 * x_store (ns / the 8-byte store floor), x_memcpy (ns * per / the 4 KiB
 * memcpy floor), instr and instr_entry. */
struct bench_row *bench_row(struct bench_ctx *ctx, const char *name, const char *label);
void bench_num(struct bench_row *r, const char *key, double v);
void bench_str(struct bench_row *r, const char *key, const char *s);
void bench_fig(struct bench_ctx *ctx, struct bench_row *r, const struct bench_figure *f,
	       unsigned per);

/* columns of a section's table; key "label" is the row's label */
struct bench_col {
	const char *key;
	const char *head;
	int width;
	int prec;	/* decimals of numbers */
};

struct bench_section {
	const char *name;	/* JSON key, --section NAME */
	const char *title;
	const char *method;	/* printed under the table, and in the JSON */
	const struct bench_col *cols;	/* ends with a NULL key */
	/* 0, or a negative errno (the program fails). Under the callgrind
	 * passes (bench_instr_pass) only bench_measure() calls matter. */
	int (*run)(struct bench_ctx *ctx);
};

bool bench_quick(const struct bench_ctx *ctx);
bool bench_instr_pass(const struct bench_ctx *ctx);
/* the floor section's figures, for other sections' ratios */
void bench_set_floor(struct bench_ctx *ctx, double store_ns, double memcpy_ns);

/* the sections (bench_*.c) */
extern const struct bench_section bench_floor, bench_ops, bench_scale, bench_memory,
	bench_hostops, bench_recovery, bench_trace, bench_trace_hostops, bench_trace_memory, bench_open;

/* ---- shared by the sections ---- */

static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* a machine of nphb PHBs with ndev sim-pci functions each (bench_machine.c) */
#include "bench_machine.h"

/* an hcall of four arguments and no return value: its H_* code */
static inline int64_t bench_hcall(struct sphb_machine *m, uint64_t op, uint64_t a0, uint64_t a1,
				  uint64_t a2, uint64_t a3)
{
	uint64_t args[4] = { a0, a1, a2, a3 };
	int64_t hret = 99;

	sphb_hcall(m, op, args, 4, NULL, 0, &hret);
	return hret;
}

/* sphb_host_ops.ram_iterate of a harness host (struct t_host): its RAM is
 * one range from guest address 0, as the VFIO backend maps it */
static inline int bench_ram_iterate(void *opaque,
				    int (*fn)(void *ctx, uint64_t gpa, void *hva, uint64_t size),
				    void *ctx)
{
	struct t_host *h = opaque;
	return fn(ctx, 0, h->ram, h->ram_size);
}

#endif
