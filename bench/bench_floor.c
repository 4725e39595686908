/* Section "floor": what this machine does in the same run without the
 * library, so that every time is also a ratio to the machine's limit: a
 * bare 8-byte store per loop iteration, and a 4 KiB memcpy per iteration
 * (what H_PUT_TCE_INDIRECT's list read costs at least).
 * SPDX-License-Identifier: MIT */
#include "bench.h"

static uint64_t store_buf[512] __attribute__((aligned(64)));
static unsigned char src[4096] __attribute__((aligned(64))), dst[4096] __attribute__((aligned(64)));

/* one 8-byte store per iteration; the barrier keeps every store (no
 * vectorising, no merging) */
static void store_loop(void *a, unsigned long n)
{
	uint64_t *b = a;

	for (unsigned long i = 0; i < n; i++) {
		b[i & 511] = i;
		__asm__ volatile("" : : "r"(b) : "memory");
	}
}

static void memcpy_loop(void *a, unsigned long n)
{
	(void)a;
	for (unsigned long i = 0; i < n; i++) {
		memcpy(dst, src, sizeof(dst));
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
}

static int run(struct bench_ctx *ctx)
{
	const struct bench_probe p[2] = {
		{ "store8", store_loop, NULL, store_buf, 10000000, 1 },
		{ "memcpy4k", memcpy_loop, NULL, NULL, 100000, 1 },
	};
	struct bench_figure f[2];
	struct bench_row *r;

	bench_measure(ctx, p, 2, f);
	bench_set_floor(ctx, f[0].ns, f[1].ns);
	r = bench_row(ctx, "store8", "8-byte store (one loop iteration)");
	bench_num(r, "ns", f[0].ns);
	bench_num(r, "ns_min", f[0].ns_min);
	bench_num(r, "instr", f[0].instr);
	r = bench_row(ctx, "memcpy4k", "4 KiB memcpy (one loop iteration)");
	bench_num(r, "ns", f[1].ns);
	bench_num(r, "ns_min", f[1].ns_min);
	bench_num(r, "instr", f[1].instr);
	bench_num(r, "gb_per_s", 4096.0 / f[1].ns);
	return 0;
}

static const struct bench_col cols[] = {
	{ "label", "operation", 40, 0 },
	{ "ns", "ns", 9, 2 },
	{ "ns_min", "ns min", 9, 2 },
	{ "instr", "instr", 9, 1 },
	{ "gb_per_s", "GB/s", 7, 1 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_floor = {
	"floor", "Floor: the machine without the library",
	"method: median of the timed runs (10 M stores / 100 k copies each) of the loop itself, nothing\n"
	"subtracted; L1-resident buffers. Every ns figure of the other sections is divided by the store\n"
	"figure (x store) and, times its entries per call, by the memcpy figure (x memcpy4k).",
	cols, run,
};
