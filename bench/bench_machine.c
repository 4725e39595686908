/* The machines of the per-operation and scale sections, and the measured
 * operations: each a loop over the machine's targets and the same loop
 * without the call (the caller's own work). SPDX-License-Identifier: MIT */
#include "bench.h"

#define H_GET_TCE 0x1c
#define H_PUT_TCE 0x20
#define H_STUFF_TCE 0x138
#define H_PUT_TCE_INDIRECT 0x13c
#define LIST 0x200000u		/* the 4 KiB TCE list of H_PUT_TCE_INDIRECT */
#define WIN_PAGES 262144u	/* default window: 1 GiB of 4 KiB pages */
#define SIM_ID 0x53481014u	/* sim-pci's default vendor/device ID */

static uint32_t tok_cfg_read, tok_state2;
static volatile uint64_t sink;

static int add(struct bench_machine *bm, const char *spec)
{
	int rc = sphb_machine_add(bm->m, spec);

	if (rc)
		fprintf(stderr, "sphb_bench: cannot add '%s': %s\n", spec, bm->h.last_log);
	return rc;
}

/* every target must take the success path of every operation */
static int verify(struct bench_machine *bm)
{
	for (unsigned k = 0; k < bm->nt; k++) {
		const struct bm_target *t = &bm->t[k];
		uint32_t v = 0, a[3] = { t->cfg, t->hi, t->lo }, r[4];
		uint64_t gpa;
		unsigned perm;

		if (t_cfg_read(bm->m, &bm->h, t->buid, t->cfg, 4, &v) != 0 || v != SIM_ID) {
			fprintf(stderr, "sphb_bench: %s: target %u reads 0x%08x\n", bm->name, k, v);
			return -EIO;
		}
		if (!bm->passthrough)
			continue;
		t_rtas_n(bm->m, &bm->h, tok_state2, 3, 4, a, r);
		if (r[0] != 0 || r[1] != 0 ||
		    sphb_dma_translate(bm->m, t->buid, t->cfg, 0x1000, &gpa, &perm) != 0 ||
		    sphb_dma_xlate(t->dma, 0x1000, &gpa, &perm) != 0) {
			fprintf(stderr, "sphb_bench: %s: target %u: state2 %d/%u or translation fails\n",
				bm->name, k, (int)r[0], r[1]);
			return -EIO;
		}
	}
	return 0;
}

int bench_machine_new(struct bench_machine *bm, unsigned nphb, unsigned ndev, bool passthrough)
{
	struct sphb_host_ops ops = t_ops();
	char spec[160];
	int rc;

	tok_cfg_read = (uint32_t)t_token("ibm,read-pci-config");
	tok_state2 = (uint32_t)t_token("ibm,read-slot-reset-state2");
	memset(bm, 0, sizeof(*bm));
	bm->nphb = nphb;
	bm->ndev = ndev;
	bm->nt = nphb * ndev;
	bm->passthrough = passthrough;
	snprintf(bm->name, sizeof(bm->name), "%ux%u", nphb, ndev);
	bm->h.ram_size = T_RAM_SIZE;
	bm->h.ram = calloc(1, T_RAM_SIZE);
	bm->t = calloc(bm->nt, sizeof(*bm->t));
	if (!bm->h.ram || !bm->t)
		return -ENOMEM;
	rc = sphb_machine_new(&ops, &bm->h, &bm->m);
	for (unsigned p = 0; !rc && p < nphb; p++) {
		snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=phb%u%s", p, p,
			 passthrough ? ",pe-mode=per-group" : "");
		rc = add(bm, spec);
		for (unsigned s = 0; !rc && s < ndev; s++) {
			int n = snprintf(spec, sizeof(spec), "sim-pci,bus=phb%u.0,addr=%x,bar0=mem32:4K,msix=4",
					 p, s);
			if (passthrough)
				snprintf(spec + n, sizeof(spec) - (size_t)n, ",iommu-group=%u", p * 32 + s + 1);
			rc = add(bm, spec);
		}
	}
	if (rc)
		return rc;
	/* the TCE list of H_PUT_TCE_INDIRECT: 512 read-write pages */
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&bm->h, LIST + 8 * i, 0);
		t_st32(&bm->h, LIST + 8 * i + 4, 0x20000000u + (i << 12) + 3);
	}
	for (unsigned p = 0; passthrough && p < nphb; p++) {
		uint64_t args[4] = { 0x80000000u | p << 8, 0, 0x10000003, WIN_PAGES };
		int64_t hret = -1;
		sphb_hcall(bm->m, H_STUFF_TCE, args, 4, NULL, 0, &hret);
		if (hret)
			return -EIO;
	}
	for (unsigned k = 0; k < bm->nt; k++) {
		struct bm_target *t = &bm->t[k];
		t->buid = T_BUID0 + k % nphb;
		t->hi = (uint32_t)(t->buid >> 32);
		t->lo = (uint32_t)t->buid;
		t->cfg = t_cfgaddr(0, k / nphb % ndev, 0, 0);
		t->liobn = 0x80000000u | (k % nphb) << 8;
		if (passthrough && (rc = sphb_dma_open(bm->m, t->buid, t->cfg, &t->dma)) != 0)
			return rc;
	}
	return verify(bm);
}

void bench_machine_free(struct bench_machine *bm)
{
	for (unsigned k = 0; bm->t && k < bm->nt; k++)
		sphb_dma_close(bm->t[k].dma);
	if (bm->m)
		sphb_machine_free(bm->m);
	free(bm->h.ram);
	free(bm->t);
	memset(bm, 0, sizeof(*bm));
}

/* ---- the operations ---- */

/* Each body is written once, with `call` constant: the loop (true) and the
 * empty loop (false) differ only by the call. */
#define OP_LOOPS(name)                                                                   \
	static void name##_loop(void *a, unsigned long n) { name##_body(a, n, true); }    \
	static void name##_empty(void *a, unsigned long n) { name##_body(a, n, false); }

/* The RTAS argument buffer of a call on the target's function: token,
 * counts, config address and BUID (the first three arguments of both calls
 * measured). The guest writes the whole buffer for every call, as Linux's
 * rtas_call() does. */
static inline __attribute__((always_inline)) void rtas_args(struct t_host *h, uint32_t token,
							    uint32_t nargs, uint32_t nret,
							    const struct bm_target *t)
{
	t_st32(h, T_BUF, token);
	t_st32(h, T_BUF + 4, nargs);
	t_st32(h, T_BUF + 8, nret);
	t_st32(h, T_BUF + 12, t->cfg);
	t_st32(h, T_BUF + 16, t->hi);
	t_st32(h, T_BUF + 20, t->lo);
}

/* ibm,read-pci-config through the RTAS entry */
static inline __attribute__((always_inline)) void cfg_read_body(struct bench_machine *bm,
								unsigned long n, bool call)
{
	struct t_host *h = &bm->h;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		rtas_args(h, tok_cfg_read, 4, 2, &bm->t[j]);
		t_st32(h, T_BUF + 24, 4);
		if (call)
			sphb_rtas_call(bm->m, T_BUF, NULL);
		sink += h->ram[T_BUF + 35];
		if (++j == bm->nt)
			j = 0;
	}
}
OP_LOOPS(cfg_read)

/* ibm,read-slot-reset-state2 of the function's PE (per-group: its own) */
static inline __attribute__((always_inline)) void state2_body(struct bench_machine *bm,
							      unsigned long n, bool call)
{
	struct t_host *h = &bm->h;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		rtas_args(h, tok_state2, 3, 4, &bm->t[j]);
		if (call)
			sphb_rtas_call(bm->m, T_BUF, NULL);
		sink += h->ram[T_BUF + 31];
		if (++j == bm->nt)
			j = 0;
	}
}
OP_LOOPS(state2)

/* H_PUT_TCE / H_GET_TCE: page i of the default window (the whole window in turn) */
static inline __attribute__((always_inline)) void put_body(struct bench_machine *bm,
							   unsigned long n, bool call)
{
	uint64_t args[3];
	int64_t hret = 0;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t ioba = (i & (WIN_PAGES - 1)) << 12;
		args[0] = bm->t[j].liobn;
		args[1] = ioba;
		args[2] = (ioba + 0x10000000) | 3;
		if (call)
			sphb_hcall(bm->m, H_PUT_TCE, args, 3, NULL, 0, &hret);
		sink += ioba + (uint64_t)hret;
		if (++j == bm->nt)
			j = 0;
	}
}
OP_LOOPS(put)

static inline __attribute__((always_inline)) void get_body(struct bench_machine *bm,
							   unsigned long n, bool call)
{
	uint64_t args[2], rets[1] = { 0 };
	int64_t hret = 0;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t ioba = (i & (WIN_PAGES - 1)) << 12;
		args[0] = bm->t[j].liobn;
		args[1] = ioba;
		if (call)
			sphb_hcall(bm->m, H_GET_TCE, args, 2, rets, 1, &hret);
		sink += ioba + rets[0];
		if (++j == bm->nt)
			j = 0;
	}
}
OP_LOOPS(get)

/* H_PUT_TCE_INDIRECT (512 entries from the 4 KiB list) and H_STUFF_TCE of
 * 512 entries: 2 MiB of the window per call, the whole window in turn */
static inline __attribute__((always_inline)) void run512_body(struct bench_machine *bm,
							      unsigned long n, bool call, bool indirect)
{
	uint64_t args[4];
	int64_t hret = 0;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t ioba = (i & 0x1ff) << 21;
		args[0] = bm->t[j].liobn;
		args[1] = ioba;
		args[2] = indirect ? LIST : 0x10000003;
		args[3] = 512;
		if (call)
			sphb_hcall(bm->m, indirect ? H_PUT_TCE_INDIRECT : H_STUFF_TCE, args, 4, NULL, 0,
				   &hret);
		sink += ioba + (uint64_t)hret;
		if (++j == bm->nt)
			j = 0;
	}
}
static void indirect_loop(void *a, unsigned long n) { run512_body(a, n, true, true); }
static void indirect_empty(void *a, unsigned long n) { run512_body(a, n, false, true); }
static void stuff_loop(void *a, unsigned long n) { run512_body(a, n, true, false); }
static void stuff_empty(void *a, unsigned long n) { run512_body(a, n, false, false); }

/* sphb_dma_translate: a DMA by the target function to page i of the window */
static inline __attribute__((always_inline)) void translate_body(struct bench_machine *bm,
								 unsigned long n, bool call)
{
	uint64_t gpa = 0;
	unsigned perm = 0;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		const struct bm_target *t = &bm->t[j];
		uint64_t ioba = ((i & (WIN_PAGES - 1)) << 12) | 0x80;
		if (call)
			sphb_dma_translate(bm->m, t->buid, t->cfg, ioba, &gpa, &perm);
		sink += ioba + gpa + perm;
		if (++j == bm->nt)
			j = 0;
	}
}
OP_LOOPS(translate)

/* sphb_dma_xlate through the function's handle. hit: 16 pages per handle,
 * cached after the first pass; miss: pages 256 KiB apart, which share one
 * slot of the direct-mapped cache, numbered across runs (miss_seq) so that
 * no two consecutive calls on a handle use the same page whatever the number
 * of handles (not a multiple of 256): every call misses and walks. */
static unsigned long miss_seq;

static inline __attribute__((always_inline)) void xlate_body(struct bench_machine *bm,
							     unsigned long n, bool call, bool hit)
{
	uint64_t gpa = 0;
	unsigned perm = 0;
	unsigned j = 0;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t ioba = (hit ? (i & 15) << 12 : (miss_seq++ & 255) << 18) | 0x80;
		if (call)
			sphb_dma_xlate(bm->t[j].dma, ioba, &gpa, &perm);
		sink += ioba + gpa + perm;
		if (++j == bm->nt)
			j = 0;
	}
}
static void xlate_hit_loop(void *a, unsigned long n) { xlate_body(a, n, true, true); }
static void xlate_hit_empty(void *a, unsigned long n) { xlate_body(a, n, false, true); }
static void xlate_miss_loop(void *a, unsigned long n) { xlate_body(a, n, true, false); }
static void xlate_miss_empty(void *a, unsigned long n) { xlate_body(a, n, false, false); }

const struct bench_op bench_op_list[] = {
	{ "cfg_read_emulated", "ibm,read-pci-config, emulated function", false,
	  cfg_read_loop, cfg_read_empty, 200000, 1 },
	{ "cfg_read_passthrough", "ibm,read-pci-config, pass-through-like", true,
	  cfg_read_loop, cfg_read_empty, 200000, 1 },
	{ "read_slot_reset_state2", "ibm,read-slot-reset-state2", true,
	  state2_loop, state2_empty, 200000, 1 },
	{ "h_put_tce", "H_PUT_TCE", true, put_loop, put_empty, 200000, 1 },
	{ "h_get_tce", "H_GET_TCE", true, get_loop, get_empty, 200000, 1 },
	{ "h_put_tce_indirect", "H_PUT_TCE_INDIRECT, per entry of 512", true,
	  indirect_loop, indirect_empty, 2000, 512 },
	{ "h_stuff_tce", "H_STUFF_TCE, per entry of 512", true,
	  stuff_loop, stuff_empty, 2000, 512 },
	{ "dma_translate", "sphb_dma_translate", true, translate_loop, translate_empty, 200000, 1 },
	{ "dma_xlate_hit", "sphb_dma_xlate, handle, cache hit", true,
	  xlate_hit_loop, xlate_hit_empty, 200000, 1 },
	{ "dma_xlate_miss", "sphb_dma_xlate, handle, cache miss", true,
	  xlate_miss_loop, xlate_miss_empty, 200000, 1 },
};
const unsigned bench_nops = sizeof(bench_op_list) / sizeof(bench_op_list[0]);
