/* The machines and operations of the per-operation and scale sections
 * (bench_machine.c). SPDX-License-Identifier: MIT */
#ifndef SPHB_BENCH_MACHINE_H
#define SPHB_BENCH_MACHINE_H

#include "harness.h"

/* One function the operations address: call k of a loop addresses target
 * k mod nt; target k is PHB k mod nphb, slot (k / nphb) mod ndev, so that
 * consecutive calls change both the PHB and the function. */
struct bm_target {
	uint32_t cfg;		/* config address: bus 0, devfn */
	uint32_t hi, lo;	/* the PHB's BUID */
	uint64_t buid;
	uint64_t liobn;		/* the PHB's default DMA window */
	struct sphb_dma *dma;	/* the function's DMA handle (pass-through machines) */
};

/*
 * nphb PHBs (index 0..nphb-1, id phbN) with ndev sim-pci functions each
 * (slots 0..ndev-1). emulated: plain sim-pci. pass-through: each function
 * in an IOMMU group of its own (iommu-group=N, the simulated host's
 * pass-through), the PHBs in pe-mode=per-group (one PE per function), every
 * PHB's default DMA window (1 GiB of 4 KiB pages) fully mapped, and one DMA
 * handle per function.
 */
struct bench_machine {
	struct t_host h;
	struct sphb_machine *m;
	unsigned nphb, ndev, nt;
	bool passthrough;
	char name[16];		/* "31x32": PHBs x functions per PHB */
	struct bm_target *t;
};

int bench_machine_new(struct bench_machine *bm, unsigned nphb, unsigned ndev, bool passthrough);
void bench_machine_free(struct bench_machine *bm);

/* An operation: its loop and empty loop take a struct bench_machine *. */
struct bench_op {
	const char *name, *label;
	bool passthrough;	/* measured on the pass-through machine */
	bench_loop_fn *loop, *empty;
	unsigned long n;	/* calls per timed run */
	unsigned per;		/* entries per call */
};
extern const struct bench_op bench_op_list[];
extern const unsigned bench_nops;

#endif
