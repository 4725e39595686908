/* Internal declarations shared by the library's files, by layer (each
 * folder's header): util < pci < host < phb < papr < the machine (src/ *.c).
 * A file calls only its own layer and the layers below it
 * (tests/abi/layers.py checks it on the objects); data may be read across.
 * Nothing here is part of the ABI. SPDX-License-Identifier: MIT */
#ifndef SPHB_INTERNAL_H
#define SPHB_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sphb/sphb.h"
#include "util/util.h"
#include "util/tce_table.h"
#include "pci/pci.h"
#include "host/host.h"
#include "phb/phb.h"
#include "papr/papr.h"

struct sphb_vfio;

struct sphb_machine {
	struct sphb_host_ops ops;
	void *opaque;
	/* depth of library calls into the host's or a function's callbacks on
	 * the serialized path: entry points refuse re-entry (-EDEADLK) */
	unsigned cb_depth;
	struct sphb_phb *phbs[SPHB_MAX_PHBS]; /* by index, hence by BUID */
	struct sphb_func *funcs;	      /* every function, newest first */
	uint64_t now_ms;		      /* virtual time */
	/* the IOMMU group registry (host/group.c) */
	struct sphb_group **groups;
	unsigned ngroups, groups_cap;
	unsigned *group_slots;		      /* groups by number: index + 1, 0 free */
	unsigned group_bits;		      /* log2 of the slots (0: none yet) */
	/* the simulated host's groups, in creation order (host/sim.c) */
	struct sphb_sim_group **sim;
	unsigned nsim, sim_cap;
	/* the built-in MSI pool: SPHB_MSI_COUNT interrupts from SPHB_MSI_FIRST */
	uint64_t msi_used[(SPHB_MSI_COUNT + 63) / 64];
	/* translations in flight, counted on dma_readers[dma_epoch & 1]; windows
	 * retired while any runs are freed later (phb/tce.c) */
	atomic_uint dma_readers[2];
	atomic_uint dma_epoch;
	unsigned nretired;
	struct sphb_tce_table *retired;
	struct sphb_dma *dma_handles;		/* open sphb_dma_open() handles */
	struct sphb_vfio *vfio;			/* VFIO containers (host/vfio.c) */
	/* ibm,open-errinjct session */
	bool errinjct_open;
	uint32_t errinjct_token;
};

static inline struct sphb_phb *sphb_phb_by_buid(const struct sphb_machine *m, uint64_t buid)
{
	unsigned idx = sphb_buid_index(buid);
	return idx < SPHB_MAX_PHBS ? m->phbs[idx] : NULL;
}

/* an entry point that changes the machine: not from inside a callback */
#define SPHB_NOT_IN_CALLBACK(m) do { if ((m)->cb_depth) return -EDEADLK; } while (0)

/* a host callback on the serialized path, counted as one */
#define SPHB_HOST_CALL(m, call) do { (m)->cb_depth++; call; (m)->cb_depth--; } while (0)

#endif
