/* Section "hostops": host IOMMU operations (VFIO MAP_DMA / UNMAP_DMA) per
 * guest TCE update with a pass-through device behind the PHB, counted by
 * the fake kernel of the VFIO tests (tests/vfio_fake_kernel.h), next to the
 * count of a per-entry policy (one host operation per TCE, as QEMU's IOMMU
 * notifier issues them) measured in the same run by issuing the same
 * updates one entry per hypercall. SPDX-License-Identifier: MIT */
#include "bench.h"
#include "internal.h"

#if SPHB_VFIO
#include "vfio_fake_kernel.h"

#define LIST 0x200000u
#define NE 512u

struct host {
	struct t_host h;
	struct sphb_machine *m;
	uint64_t liobn;
	unsigned containers;
};

/* per_group: a per-group PHB with two pass-through devices in two IOMMU
 * groups (two containers); else the default PHB with one (one container) */
static int host_new(struct host *x, bool per_group)
{
	struct sphb_host_ops ops = t_ops();
	int rc;

	memset(x, 0, sizeof(*x));
	reset_kernel();
	x->h.ram_size = T_RAM_SIZE;
	x->h.ram = calloc(1, T_RAM_SIZE);
	if (!x->h.ram)
		return -ENOMEM;
	ops.ram_iterate = bench_ram_iterate;
	rc = sphb_machine_new_default(&ops, &x->h, &x->m);
	if (!rc && per_group) {
		rc = sphb_machine_add(x->m, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group");
		if (!rc)
			rc = sphb_machine_add(x->m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2");
		if (!rc)
			rc = sphb_machine_add(x->m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3");
		x->liobn = 0x80000100u;
		x->containers = 2;
	} else if (!rc) {
		rc = sphb_machine_add(x->m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2");
		x->liobn = 0x80000000u;
		x->containers = 1;
	}
	if (rc)
		fprintf(stderr, "sphb_bench: hostops: %s\n", x->h.last_log);
	return rc;
}

static void host_free(struct host *x)
{
	if (x->m)
		t_free(x->m, &x->h);
}

/* H_PUT_TCE_INDIRECT of the whole list / H_STUFF_TCE of zeros over it, at
 * the start of the window */
static int64_t map_list(struct host *x)
{
	return bench_hcall(x->m, 0x13c, x->liobn, 0, LIST, NE);
}

static int64_t clear_all(struct host *x)
{
	return bench_hcall(x->m, 0x138, x->liobn, 0, 0, NE);
}

/* the 512 TCEs of the list: contiguous read-write pages from 4 MiB;
 * mixed: entry 100 read-only and entry 300 elsewhere (3 breaks in the run) */
static uint64_t tce(unsigned k, bool mixed)
{
	if (mixed && k == 300)
		return 0x900000u | 3;
	return (0x400000u + 0x1000u * k) | (mixed && k == 100 ? 1u : 3u);
}

static void write_list(struct host *x, bool mixed)
{
	for (unsigned k = 0; k < NE; k++) {
		t_st32(&x->h, LIST + 8 * k, 0);
		t_st32(&x->h, LIST + 8 * k + 4, (uint32_t)tce(k, mixed));
	}
}

static unsigned ops_now(void) { return n_map + n_unmap; }

enum work { MAP_INDIRECT, CLEAR_STUFF };

/* the workload as one hypercall (sphb) and as NE single-entry ones (the
 * per-entry policy), each from the same table state */
static int workload(struct bench_ctx *ctx, const char *name, const char *label, bool per_group,
		    enum work w, bool mixed)
{
	struct host x;
	unsigned before, map0, unmap0, sphb_ops, per_entry_ops;
	int rc = host_new(&x, per_group);
	struct bench_row *r;

	if (rc) {
		host_free(&x);
		return rc;
	}
	write_list(&x, mixed);
	if (w == CLEAR_STUFF && map_list(&x))
		rc = -EIO; /* mapped, for the clear */
	/* one hypercall */
	map0 = n_map;
	unmap0 = n_unmap;
	before = ops_now();
	if (!rc && (w == MAP_INDIRECT ? map_list(&x) : clear_all(&x)))
		rc = -EIO;
	sphb_ops = ops_now() - before;
	r = bench_row(ctx, name, label);
	bench_num(r, "containers", x.containers);
	bench_num(r, "tce_updates", NE);
	bench_num(r, "map_dma", n_map - map0);
	bench_num(r, "unmap_dma", n_unmap - unmap0);
	bench_num(r, "host_ops", sphb_ops);
	bench_num(r, "ops_per_update", (double)sphb_ops / NE);
	/* back to the state before, then the same entries one by one */
	if (!rc && (w == MAP_INDIRECT ? clear_all(&x) : map_list(&x)))
		rc = -EIO;
	before = ops_now();
	for (unsigned k = 0; !rc && k < NE; k++)
		if (bench_hcall(x.m, 0x20, x.liobn, (uint64_t)k << 12,
				w == MAP_INDIRECT ? tce(k, mixed) : 0, 0))
			rc = -EIO;
	per_entry_ops = ops_now() - before;
	bench_num(r, "per_entry_ops", per_entry_ops);
	bench_num(r, "per_entry_ratio", sphb_ops ? (double)per_entry_ops / sphb_ops : NAN);
	host_free(&x);
	return rc;
}

static int run(struct bench_ctx *ctx)
{
	int rc;

	if (bench_instr_pass(ctx))
		return 0;
	sphb_vfio_set_sys(&fake);
	rc = workload(ctx, "indirect_512_contiguous", "INDIRECT 512 contiguous rw pages", false,
		      MAP_INDIRECT, false);
	if (!rc)
		rc = workload(ctx, "stuff_clear_512", "STUFF 0 over those 512", false, CLEAR_STUFF, false);
	if (!rc)
		rc = workload(ctx, "indirect_512_mixed", "INDIRECT 512, 1 read-only + 1 elsewhere", false,
			      MAP_INDIRECT, true);
	if (!rc)
		rc = workload(ctx, "indirect_512_contiguous_2c", "INDIRECT 512 contiguous, 2 containers",
			      true, MAP_INDIRECT, false);
	if (!rc)
		rc = workload(ctx, "stuff_clear_512_2c", "STUFF 0 over those 512, 2 containers", true,
			      CLEAR_STUFF, false);
	sphb_vfio_set_sys(NULL);
	return rc;
}
#else
static int run(struct bench_ctx *ctx)
{
	static const char *const names[] = { "indirect_512_contiguous", "stuff_clear_512",
					      "indirect_512_mixed", "indirect_512_contiguous_2c",
					      "stuff_clear_512_2c" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bench_str(bench_row(ctx, names[i], "(built without the VFIO backend)"), "host_ops",
			  "n/a");
	return 0;
}
#endif

static const struct bench_col cols[] = {
	{ "label", "workload (guest TCE updates)", 40, 0 },
	{ "containers", "cont.", 5, 0 },
	{ "tce_updates", "updates", 7, 0 },
	{ "map_dma", "MAP", 5, 0 },
	{ "unmap_dma", "UNMAP", 5, 0 },
	{ "ops_per_update", "ops/update", 10, 4 },
	{ "per_entry_ops", "per-entry", 9, 0 },
	{ "per_entry_ratio", "saved x", 8, 1 },
	{ NULL, NULL, 0, 0 },
};

const struct bench_section bench_hostops = {
	"hostops", "Host IOMMU operations per guest TCE update (pass-through)",
	"method: vfio-pci devices behind the PHB, the fake kernel of tests/vfio_fake_kernel.h counting\n"
	"MAP_DMA/UNMAP_DMA ioctls (sPAPR TCE v2, guest RAM pre-registered). One hypercall of 512 entries;\n"
	"per-entry = the same 512 updates issued as 512 single-entry H_PUT_TCE from the same table state\n"
	"(one host operation per entry and container, QEMU's policy), counted in the same run.",
	cols, run,
};
