/* Section "memory": bytes of TCE storage per window, sparse (sphb: a radix
 * of 4 KiB levels, allocated on the first non-zero store) vs the flat array
 * of 8 bytes per TCE that QEMU allocates when the window is created.
 * SPDX-License-Identifier: MIT */
#include <malloc.h>

#include "bench.h"
#include "internal.h"

#define LIST 0x200000u

/* the allocator's own count, where it keeps one (not under the sanitizers) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_COUNT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_COUNT 0
#endif
#endif
#ifndef HEAP_COUNT
#define HEAP_COUNT 1
#endif

static double heap(void)
{
#if HEAP_COUNT
	return (double)mallinfo2().uordblks;
#else
	return NAN;
#endif
}

struct mem {
	struct t_host h;
	struct sphb_machine *m;
};

/* ibm,create-pe-dma-window on the default PHB: the LIOBN and bus address */
static int create(struct mem *x, uint32_t shift, uint32_t win_shift, uint32_t *liobn, uint64_t *addr)
{
	uint32_t a[5] = { 0, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, shift, win_shift }, r[4];

	t_rtas_n(x->m, &x->h, (uint32_t)t_token("ibm,create-pe-dma-window"), 5, 4, a, r);
	*liobn = r[1];
	*addr = (uint64_t)r[2] << 32 | r[3];
	return r[0] ? -EIO : 0;
}

static void remove_window(struct mem *x, uint32_t liobn)
{
	uint32_t a[1] = { liobn }, r[1];
	t_rtas_n(x->m, &x->h, (uint32_t)t_token("ibm,remove-pe-dma-window"), 1, 1, a, r);
}

enum fill { EMPTY, ONE, INDIRECT512, STUFF, SCATTERED };

struct mcase {
	const char *name, *label;
	unsigned shift, win_shift;	/* 0: the default window */
	enum fill fill;
	uint64_t n;			/* entries in use */
};

static const struct mcase cases[] = {
	{ "default_empty", "default window 1 GiB / 4 KiB, empty", 0, 0, EMPTY, 0 },
	{ "default_full", "default window 1 GiB / 4 KiB, every TCE set", 0, 0, STUFF, 262144 },
	{ "ddw_1t_64k_empty", "DDW 1 TiB / 64 KiB, empty", 16, 40, EMPTY, 0 },
	{ "ddw_1t_64k_1", "DDW 1 TiB / 64 KiB, 1 TCE", 16, 40, ONE, 1 },
	{ "ddw_1t_64k_512", "DDW 1 TiB / 64 KiB, 512 (one INDIRECT)", 16, 40, INDIRECT512, 512 },
	{ "ddw_1t_64k_64k", "DDW 1 TiB / 64 KiB, 65536 contiguous", 16, 40, STUFF, 65536 },
	{ "ddw_1t_64k_1m", "DDW 1 TiB / 64 KiB, 1 Mi contiguous", 16, 40, STUFF, 1u << 20 },
	{ "ddw_1t_64k_1000_scattered", "DDW 1 TiB / 64 KiB, 1000 TCEs 1 GiB apart", 16, 40, SCATTERED,
	  1000 },
	{ "ddw_8t_4k_empty", "DDW 8 TiB / 4 KiB (2^31 TCEs), empty", 12, 43, EMPTY, 0 },
};

static int one_case(struct bench_ctx *ctx, const struct mcase *c)
{
	struct mem x;
	struct sphb_tce_table *t;
	uint32_t liobn = 0x80000000u;
	uint64_t addr = 0, nb;
	double h0, h1;
	int64_t rc = 0;
	struct bench_row *r;

	x.m = t_machine(&x.h, "sim-pci,addr=2,id=d", NULL);
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&x.h, LIST + 8 * i, 0);
		t_st32(&x.h, LIST + 8 * i + 4, 0x400000u + (i << 16) + 3);
	}
	h0 = heap();
	if (c->shift && create(&x, c->shift, c->win_shift, &liobn, &addr)) {
		t_free(x.m, &x.h);
		return -EIO;
	}
	switch (c->fill) {
	case EMPTY:
		break;
	case ONE:
		rc = bench_hcall(x.m, 0x20, liobn, addr + (1ull << 39), 0x10003, 0);
		break;
	case INDIRECT512:
		rc = bench_hcall(x.m, 0x13c, liobn, addr, LIST, 512);
		break;
	case STUFF:
		rc = bench_hcall(x.m, 0x138, liobn, addr, 0x10003, c->n);
		break;
	case SCATTERED:
		for (uint64_t i = 0; i < c->n && !rc; i++)
			rc = bench_hcall(x.m, 0x20, liobn, addr + (i << 30), 0x10003, 0);
		break;
	}
	h1 = heap();
	t = sphb_tce_by_liobn(x.m, liobn, NULL);
	if (rc || !t) {
		t_free(x.m, &x.h);
		return -EIO;
	}
	nb = sphb_tce_nb(t);
	r = bench_row(ctx, c->name, c->label);
	bench_num(r, "tces", (double)nb);
	bench_num(r, "in_use", (double)c->n);
	bench_num(r, "bytes", (double)sphb_tce_bytes(t));
	/* the default window exists before h0: only what the fill added */
	bench_num(r, "heap_delta", c->shift ? h1 - h0 : NAN);
	bench_num(r, "flat_bytes", (double)nb * 8);
	bench_num(r, "flat_ratio", (double)nb * 8 / (double)sphb_tce_bytes(t));
	if (c->shift)
		remove_window(&x, liobn);
	t_free(x.m, &x.h);
	return 0;
}

static int run(struct bench_ctx *ctx)
{
	if (bench_instr_pass(ctx))
		return 0;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = one_case(ctx, &cases[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static const struct bench_col cols[] = {
	{ "label", "window", 42, 0 },
	{ "tces", "TCEs", 10, 0 },
	{ "in_use", "in use", 8, 0 },
	{ "bytes", "sphb bytes", 11, 0 },
	{ "heap_delta", "heap delta", 11, 0 },
	{ "flat_bytes", "flat bytes", 12, 0 },
	{ "flat_ratio", "flat/sphb", 10, 1 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_memory = {
	"memory", "Memory: TCE storage, sparse vs flat",
	"method: sphb bytes = what the table allocated (the library counts it: table header, top level,\n"
	"4 KiB middle levels and leaves); heap delta = mallinfo2() before creating the window and after\n"
	"filling it (allocator overhead included; '-' for the default window, which exists before, and\n"
	"under the sanitizers); flat bytes = 8 per TCE, what QEMU allocates when it creates the window.",
	cols, run,
};
