/* Section "open": the entry points of the open PHB.
 *  - routing: a CPU load by guest physical address (sphb_mmio_load), on a
 *    machine of 1 PHB x 1 function with 6 BARs and on 31 PHBs x 32
 *    functions x 6 BARs; call k addresses BAR k mod 6 of function k / 6 (all
 *    of them in turn). Target: instructions at 31x32 <= 1.10 x 1x1;
 *  - a config read (ibm,read-pci-config through sphb_rtas_call) that reaches
 *    a VMM function, against the same read of a sim-pci function: the empty
 *    loop of the VMM probe also calls the VMM's callback, so its figure is
 *    the library's cost above the callback. Target: <= the sim-pci path;
 *  - device DMA: sphb_dma_read of 4 KiB through a handle (one TCE page)
 *    against memcpy of 4 KiB in the same run.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "vmm_model.h"

#define MAX_ROUTE_RATIO 1.10
#define NBAR 6

struct route_machine {
	struct t_host h;
	struct sphb_machine *m;
	uint64_t *gpa;		/* one address inside each BAR */
	unsigned n;
	char name[16];
};

static volatile uint64_t sink;

static int route_new(struct route_machine *rm, unsigned nphb, unsigned ndev)
{
	struct sphb_host_ops ops = t_ops();
	char spec[200];
	int rc;

	memset(rm, 0, sizeof(*rm));
	snprintf(rm->name, sizeof(rm->name), "%ux%u", nphb, ndev);
	rm->h.ram_size = T_RAM_SIZE;
	rm->h.ram = calloc(1, T_RAM_SIZE);
	rm->gpa = calloc((size_t)nphb * ndev * NBAR, sizeof(*rm->gpa));
	if (!rm->h.ram || !rm->gpa)
		return -ENOMEM;
	rc = sphb_machine_new(&ops, &rm->h, &rm->m);
	for (unsigned p = 0; !rc && p < nphb; p++) {
		uint64_t buid;

		snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=phb%u", p, p);
		rc = sphb_machine_add(rm->m, spec);
		buid = T_BUID0 + p;
		for (unsigned s = 0; !rc && s < ndev; s++) {
			uint32_t cfg = t_cfgaddr(0, s, 0, 0);

			snprintf(spec, sizeof(spec),
				 "sim-pci,bus=phb%u.0,addr=%x,bar0=mem32:4K,bar1=mem32:4K,bar2=mem32:4K,"
				 "bar3=mem32:4K,bar4=mem32:4K,bar5=mem32:4K", p, s);
			rc = sphb_machine_add(rm->m, spec);
			/* BAR b of slot s at bus 0x80000000 + (s * 8 + b) * 4 KiB */
			for (unsigned b = 0; !rc && b < NBAR; b++) {
				uint32_t bus = 0x80000000u + (s * 8 + b) * 0x1000u;
				if (t_cfg_write(rm->m, &rm->h, buid, cfg | (0x10 + 4 * b), 4, bus))
					rc = -EIO;
				rm->gpa[rm->n++] = 0x200000000000ull + (p + 1) * 0x80000000ull + (s * 8 + b) * 0x1000u + 8;
			}
			if (!rc && t_cfg_write(rm->m, &rm->h, buid, cfg | 4, 2, 2))
				rc = -EIO;
		}
	}
	for (unsigned k = 0; !rc && k < rm->n; k++) { /* every address must be a BAR's */
		uint64_t v = 0;
		if (sphb_mmio_store(rm->m, rm->gpa[k], 4, k) || sphb_mmio_load(rm->m, rm->gpa[k], 4, &v) ||
		    v != k) {
			fprintf(stderr, "sphb_bench: routing %s: address %u does not reach its BAR\n", rm->name, k);
			rc = -EIO;
		}
	}
	return rc;
}

static void route_free(struct route_machine *rm)
{
	if (rm->m)
		sphb_machine_free(rm->m);
	free(rm->h.ram);
	free(rm->gpa);
}

static inline __attribute__((always_inline)) void route_body(struct route_machine *rm, unsigned long n, bool call)
{
	uint64_t v = 0;
	unsigned k = 0;

	for (unsigned long i = 0; i < n; i++) {
		if (call)
			sphb_mmio_load(rm->m, rm->gpa[k], 4, &v);
		else
			v += rm->gpa[k];
		if (++k == rm->n)
			k = 0;
	}
	sink = v;
}
static void route_loop(void *a, unsigned long n) { route_body(a, n, true); }
static void route_empty(void *a, unsigned long n) { route_body(a, n, false); }

/* ---- config reads: VMM function vs sim-pci ---- */

struct cfg_machine {
	struct t_host h;
	struct sphb_machine *m;
	struct vm_func v;
	uint32_t tok;
};

static inline __attribute__((always_inline)) void cfg_args(struct t_host *h, uint32_t tok, uint32_t cfg)
{
	t_st32(h, T_BUF, tok);
	t_st32(h, T_BUF + 4, 4);
	t_st32(h, T_BUF + 8, 2);
	t_st32(h, T_BUF + 12, cfg);
	t_st32(h, T_BUF + 16, (uint32_t)(T_BUID0 >> 32));
	t_st32(h, T_BUF + 20, (uint32_t)T_BUID0);
	t_st32(h, T_BUF + 24, 4);
}

/* ibm,read-pci-config of register 0 of the function at cfg */
static void cfg_loop(struct cfg_machine *cm, uint32_t cfg, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		cfg_args(&cm->h, cm->tok, cfg);
		sphb_rtas_call(cm->m, T_BUF, NULL);
	}
}

static void sim_loop(void *a, unsigned long n)
{
	cfg_loop(a, 0x1000, n);
}

static void sim_empty(void *a, unsigned long n)
{
	struct cfg_machine *cm = a;
	for (unsigned long i = 0; i < n; i++)
		cfg_args(&cm->h, cm->tok, 0x1000);
}

static void vmm_loop(void *a, unsigned long n)
{
	cfg_loop(a, 0x1800, n);
}

/* the caller's work and the VMM's callback itself */
static void vmm_empty(void *a, unsigned long n)
{
	struct cfg_machine *cm = a;
	for (unsigned long i = 0; i < n; i++) {
		cfg_args(&cm->h, cm->tok, 0x1800);
		sink = vm_cfg_read(&cm->v, 0, 4);
	}
}

/* ---- device DMA ---- */

struct dma_machine {
	struct t_host h;
	struct sphb_machine *m;
	struct sphb_dma *d;
	uint8_t buf[4096], src[4096];
};

static void dma_loop(void *a, unsigned long n)
{
	struct dma_machine *dm = a;
	for (unsigned long i = 0; i < n; i++)
		sphb_dma_read(dm->d, 0x10000, dm->buf, 4096);
	sink = dm->buf[(n * 7) & 4095];
}

static void memcpy_loop(void *a, unsigned long n)
{
	struct dma_machine *dm = a;
	for (unsigned long i = 0; i < n; i++) {
		memcpy(dm->buf, dm->src, 4096);
		__asm__ volatile("" : : "r"(dm->buf) : "memory");
	}
}

static int run(struct bench_ctx *ctx)
{
	struct route_machine small, big;
	struct cfg_machine cm;
	struct dma_machine dm;
	struct sphb_func_ops ops = vm_ops();
	static const struct vm_bar bars[6] = { { 'm', 0x1000 } };
	int rc;

	memset(&cm, 0, sizeof(cm));
	memset(&dm, 0, sizeof(dm));
	rc = route_new(&small, 1, 1);
	if (!rc)
		rc = route_new(&big, 31, 32);
	if (!rc) {
		struct bench_probe p[2] = {
			{ "route@1x1", route_loop, route_empty, &small, 200000, 1 },
			{ "route@31x32", route_loop, route_empty, &big, 200000, 1 },
		};
		struct bench_figure f[2];

		bench_measure(ctx, p, 2, f);
		for (unsigned c = 0; c < 2; c++) {
			struct bench_row *r = bench_row(ctx, p[c].name, "sphb_mmio_load (routing + sim BAR read)");
			double ri = f[c].instr / f[0].instr;
			bench_str(r, "config", c ? "31x32x6" : "1x1x6");
			bench_fig(ctx, r, &f[c], 1);
			bench_num(r, "ratio", ri);
			bench_str(r, "check", isnan(ri) ? "?" : ri <= MAX_ROUTE_RATIO ? "ok" : "GROWS");
		}
	}
	/* config reads */
	if (!rc) {
		struct sphb_host_ops hops = t_ops();
		cm.h.ram_size = T_RAM_SIZE;
		cm.h.ram = calloc(1, T_RAM_SIZE);
		cm.tok = (uint32_t)t_token("ibm,read-pci-config");
		vm_build(&cm.v, 0x1234, 0x5678, 0xff0000, bars, 0, 0, 0, 0, false);
		ops.bar_map = NULL;
		rc = !cm.h.ram || sphb_machine_new_default(&hops, &cm.h, &cm.m) ||
		     sphb_machine_add(cm.m, "sim-pci,addr=2,bar0=mem32:4K") ||
		     sphb_func_add(cm.m, "vmm,addr=3", &ops, &cm.v, NULL) ? -EIO : 0;
	}
	if (!rc) {
		struct bench_probe p[2] = {
			{ "cfg_read_sim", sim_loop, sim_empty, &cm, 200000, 1 },
			{ "cfg_read_vmm", vmm_loop, vmm_empty, &cm, 200000, 1 },
		};
		struct bench_figure f[2];
		struct bench_row *r;

		bench_measure(ctx, p, 2, f);
		r = bench_row(ctx, "cfg_read_sim", "ibm,read-pci-config of a sim-pci function");
		bench_str(r, "config", "1x1");
		bench_fig(ctx, r, &f[0], 1);
		r = bench_row(ctx, "cfg_read_vmm", "... of a VMM function, above its callback");
		bench_str(r, "config", "1x1");
		bench_fig(ctx, r, &f[1], 1);
		bench_num(r, "ratio", f[1].instr / f[0].instr);
		bench_str(r, "check", isnan(f[1].instr) ? "?" : f[1].instr <= f[0].instr ? "ok" : "ABOVE");
	}
	/* device DMA */
	if (!rc) {
		struct sphb_host_ops hops = t_ops();
		struct sphb_func *f = NULL;
		uint64_t args[3] = { 0x80000000u, 0x10000, 0x400000 | 3 };
		int64_t hret;

		dm.h.ram_size = T_RAM_SIZE;
		dm.h.ram = calloc(1, T_RAM_SIZE);
		rc = !dm.h.ram || sphb_machine_new_default(&hops, &dm.h, &dm.m) ||
		     sphb_machine_add(dm.m, "sim-pci,addr=2,id=d") || !(f = sphb_func_find(dm.m, "d")) ||
		     sphb_func_dma_open(f, &dm.d) || sphb_hcall(dm.m, SPHB_H_PUT_TCE, args, 3, NULL, 0, &hret) ||
		     hret || sphb_dma_read(dm.d, 0x10000, dm.buf, 4096) ? -EIO : 0;
	}
	if (!rc) {
		struct bench_probe p[2] = {
			{ "memcpy_4k", memcpy_loop, NULL, &dm, 100000, 1 },
			{ "dma_read_4k", dma_loop, NULL, &dm, 100000, 1 },
		};
		struct bench_figure f[2];
		struct bench_row *r;

		bench_measure(ctx, p, 2, f);
		r = bench_row(ctx, "memcpy_4k", "memcpy of 4 KiB (the floor)");
		bench_fig(ctx, r, &f[0], 1);
		bench_num(r, "gbps", 4096.0 / f[0].ns);
		r = bench_row(ctx, "dma_read_4k", "sphb_dma_read of 4 KiB through a handle");
		bench_fig(ctx, r, &f[1], 1);
		bench_num(r, "gbps", 4096.0 / f[1].ns);
		bench_num(r, "ratio", f[1].ns / f[0].ns);
	}
	if (dm.d)
		sphb_dma_close(dm.d);
	if (dm.m)
		sphb_machine_free(dm.m);
	free(dm.h.ram);
	if (cm.m)
		sphb_machine_free(cm.m);
	free(cm.h.ram);
	route_free(&small);
	route_free(&big);
	return rc;
}

static const struct bench_col cols[] = {
	{ "label", "operation", 44, 0 },
	{ "config", "machine", 8, 0 },
	{ "ns", "ns", 8, 2 },
	{ "instr", "instr", 8, 1 },
	{ "instr_entry", "in entry", 9, 1 },
	{ "gbps", "GB/s", 6, 2 },
	{ "ratio", "ratio", 7, 3 },
	{ "check", "", 6, 0 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_open = {
	"open", "The open PHB: routing by address, VMM config reads, device DMA",
	"method: as ops. routing: sphb_mmio_load of 4 bytes, call k on BAR k mod 6 of function k / 6,\n"
	"every BAR in turn; ratio = instr(31x32x6) / instr(1x1x6), target <= 1.10. config: the VMM probe's\n"
	"empty loop writes the same RTAS buffer and calls the VMM's cfg_read itself, so its instr is the\n"
	"library's cost above the callback; target <= the sim-pci read's instr. DMA: sphb_dma_read of one\n"
	"mapped 4 KiB page (translation through the handle, permission check, the host's mem_read, a\n"
	"memcpy in this test host) against memcpy of 4 KiB; ratio = ns / memcpy ns (GB/s = bytes per ns).",
	cols, run,
};
