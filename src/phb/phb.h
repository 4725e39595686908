/* The PHB layer: the host bridge itself (properties, placement, the root
 * bus and the one plug path for every function kind), its PEs (pe.c), its
 * interrupts (irq.c), its DMA windows, translation and DMA handles (tce.c,
 * dma.c), and CPU access routing by address (route.c).
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_PHB_H
#define SPHB_PHB_H

#include <stdatomic.h>

#include "host/host.h"
#include "util/tce_table.h"

struct sphb_phb;

/* Whoever mirrors the PHB's DMA windows and TCEs (the VFIO host's
 * containers) listens on the PHB, as QEMU's IOMMU notifiers do. */
struct sphb_dma_listener;
struct sphb_dma_listener_ops {
	/* a window appeared (create) or went away: 0 or a negative errno (the
	 * host refused the window) */
	int (*window)(struct sphb_dma_listener *l, struct sphb_phb *phb, struct sphb_tce_table *t,
		      bool create);
	/* entries [i0, i0 + n) of window t changed */
	void (*entries)(struct sphb_dma_listener *l, struct sphb_phb *phb, struct sphb_tce_table *t,
			uint64_t i0, uint64_t n);
};
struct sphb_dma_listener {
	const struct sphb_dma_listener_ops *ops;
	struct sphb_dma_listener *next;
};

/* A guest-visible PE. pe-mode=shared: one per PHB, covering every function
 * that has an IOMMU group, available while they form exactly one group;
 * per-group: one per IOMMU group. */
struct sphb_pe {
	int group;		/* host IOMMU group number (shared: the single group, or -1) */
	uint32_t addr;		/* PE configuration address */
	bool permanent;		/* slot-error-detail function 2 (PAPR 7.3.11.3) */
};

/* A function's MSI allocation, one atomic word so MSI delivery on a device
 * thread reads it whole: first interrupt (bits 0-31), count (32-47), type
 * (48-55: MSI_TYPE_MSI / _MSIX). */
static inline uint64_t msi_pack(uint32_t first, unsigned count, unsigned type)
{
	return first | (uint64_t)count << 32 | (uint64_t)type << 48;
}
static inline uint32_t msi_first(uint64_t v) { return (uint32_t)v; }
static inline unsigned msi_count(uint64_t v) { return (unsigned)(v >> 32) & 0xffff; }
static inline unsigned msi_type(uint64_t v) { return (unsigned)(v >> 48) & 0xff; }

struct sphb_route;

struct sphb_phb {
	struct sphb_machine *m;
	unsigned index;
	char id[SPHB_ID_MAX];
	char bus_name[SPHB_ID_MAX + 2];
	char *desc;			/* its description, as given */
	uint64_t buid;
	/* QEMU 7.2's properties (hw/ppc/spapr_pci.c spapr_phb_properties) */
	bool ddw, pcie_ext_cfg, error_log, per_group, legacy_vfio_type;
	/* msi-limit=enabled: ibm,change-msi grants an MSI function at most the
	 * vectors its Multiple Message Enable enables (QEMU 7.2); default
	 * (capable): up to Multiple Message Capable, MME programmed to match */
	bool msi_limit_enabled;
	uint64_t pgsz, dma_win_addr, dma_win_size, dma64_win_addr;
	uint64_t mem_win_size, mem64_win_size, io_win_size;
	int64_t numa_node;
	/* placement: CPU addresses of the windows */
	uint64_t io_win_addr, mem_win_addr, mem64_win_addr;
	struct sphb_func *devs[256];	/* root bus, by devfn */
	unsigned ndevs;
	struct sphb_pe shared_pe;	/* pe-mode=shared */
	struct sphb_pe *pes;		/* the PHB's IOMMU groups (per-group: its PEs) */
	unsigned npes;
	_Atomic uint64_t msi[256];	/* by devfn of the root bus (QEMU bug B6 fixed) */
	uint32_t lsi[4];		/* the interrupt numbers of the four LSIs */
	uint16_t lsi_count[4];		/* functions asserting each swizzled pin */
	/* DMA windows (0: default 32-bit, 1: DDW), read by translation without locks */
	struct sphb_tce_table *_Atomic win[2];
	/* bumped after every change of a window, a TCE or a function's DMA
	 * state: DMA handles' translation caches check it (tce.c) */
	_Atomic uint64_t dma_gen;
	bool win_default[2];		/* the window is the (restored) default window */
	struct sphb_dma_listener *listeners;
	struct sphb_route *route;	/* CPU access routing (route.c) */
};

static inline void sphb_phb_listener_add(struct sphb_phb *phb, struct sphb_dma_listener *l)
{
	l->next = phb->listeners;
	phb->listeners = l;
}

static inline void sphb_phb_listener_del(struct sphb_phb *phb, struct sphb_dma_listener *l)
{
	for (struct sphb_dma_listener **pp = &phb->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			return;
		}
	}
}

/* ---- phb.c ---- */
int sphb_phb_add(struct sphb_machine *m, struct sphb_opts *o);
void sphb_phb_free(struct sphb_phb *phb);
void sphb_phb_reset(struct sphb_phb *phb);
/* One namespace for ids: PHB ids, PHB bus names and function ids. */
int sphb_id_check(const struct sphb_machine *m, const char *type, const char *id);
struct sphb_phb *sphb_phb_by_bus_name(const struct sphb_machine *m, const char *name);
/* A kind's constructor as the plug path calls it (phb: where it goes). */
typedef int sphb_func_create_fn(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb,
				int multifunction, void *ctx, struct sphb_func **out);
/* The one plug path for every kind: common options (bus, addr, id,
 * multifunction, iommu-group), placement, the id namespace, the kind's
 * constructor, probing, the multifunction rule, the PE. On error nothing
 * is plugged (the function, if built, is freed). */
int sphb_func_plug(struct sphb_machine *m, struct sphb_opts *o, sphb_func_create_fn *create, void *ctx,
		   struct sphb_func **out);
void sphb_func_unplug(struct sphb_func *f);

static inline struct sphb_func *sphb_phb_func(const struct sphb_phb *phb, unsigned bus, unsigned devfn)
{
	return bus == 0 ? phb->devs[devfn & 0xff] : NULL;
}

/* ---- pe.c: the PE model (PAPR 7.3.11; pe-mode) ---- */
/* A function with an IOMMU group joins it and its PE. 0, -EINVAL (logged:
 * the group is another PHB's or another host's), -ENOMEM. */
int sphb_pe_attach(struct sphb_func *f);
void sphb_pe_detach(struct sphb_func *f);
/* shared mode: the single IOMMU group of the PHB's pass-through functions,
 * or -1 when EEH is unavailable (0 or >= 2 groups). */
int sphb_eeh_shared_group(const struct sphb_phb *phb);
/* per-group: the PE whose address is cfg (register bits ignored) or that
 * contains the function at cfg; NULL if none. */
struct sphb_pe *sphb_eeh_pe_lookup(struct sphb_phb *phb, uint32_t cfg);
struct sphb_pe *sphb_eeh_pe_of_func(const struct sphb_func *f);
unsigned sphb_eeh_pe_nfuncs(const struct sphb_phb *phb, int group);
/* Refresh the functions' stopped bytes after a PE's state may have changed
 * (they are read by config access, routing and translation), the ranges a
 * VMM may map, and the DMA handles' caches of the PHBs concerned. */
void sphb_pe_sync_group(struct sphb_group *g);
void sphb_pe_sync_phb(struct sphb_phb *phb);
void sphb_pe_sync_all(struct sphb_machine *m);
/* A load the function did not claim, on an EEH-capable function: the host
 * freezes its PE. */
void sphb_pe_hw_error(struct sphb_func *f);
/* Guest-visible PE state (0, 1, 2, 4, 5) and info; < 0 errno from the host. */
int sphb_eeh_pe_state(struct sphb_phb *phb, struct sphb_pe *pe, uint32_t *info);
void sphb_eeh_phb_reset(struct sphb_phb *phb);
int sphb_eeh_op(struct sphb_phb *phb, struct sphb_pe *pe, enum sphb_pe_op op, const struct sphb_pe_err *err);
/* QEMU's MSI-X pre-reset for the functions of the PE */
void sphb_eeh_msix_prereset(struct sphb_phb *phb, const struct sphb_pe *pe);
/* a function's PE address as the guest sees it */
uint32_t sphb_eeh_func_pe_addr(const struct sphb_func *f);

/* ---- irq.c: LSIs, MSI numbers and MSI delivery ---- */
/* the PHB's four LSIs (host's irq_alloc, or the built-in numbers) */
int sphb_irq_phb_init(struct sphb_phb *phb);
void sphb_irq_phb_fini(struct sphb_phb *phb);
/* the pool alignment of an allocation of n vectors of type MSI or MSI-X */
unsigned sphb_msi_align(unsigned type, unsigned n);
int sphb_msi_alloc(struct sphb_phb *phb, unsigned type, unsigned count, uint32_t *first);
/* the allocation of a function (by devfn) is given back */
void sphb_msi_release(struct sphb_phb *phb, unsigned devfn);
void sphb_msi_phb_reset(struct sphb_phb *phb);
/* a function's INTx output (its PHB's wired-OR and irq_set follow) */
void sphb_irq_intx(struct sphb_func *f, bool on);
/* recount the LSIs from the functions' intx_counted (after a load) */
void sphb_irq_lsi_recount(struct sphb_phb *phb);
/* An MSI write by function f: address and little-endian data. 0, -ERANGE
 * (not the PHB's MSI window, or not an interrupt allocated to f), -EIO
 * (DMA-stopped) */
int sphb_irq_msi(struct sphb_func *f, uint64_t addr, uint32_t data);
int sphb_irq_msi_at(struct sphb_phb *phb, unsigned devfn, const _Atomic uint8_t *stopped, uint64_t addr,
		    uint32_t data);
/* The 32-bit MSI window is usable: no DMA window in place or configured covers it */
bool sphb_msi32_free(const struct sphb_phb *phb);
/* save/restore: claim the numbers of a loaded allocation from the host
 * (built-in pool: mark them). */
int sphb_irq_claim(struct sphb_phb *phb, enum sphb_irq_type type, uint32_t first, unsigned count);

/* ---- tce.c: DMA windows, TCE hypercalls, translation, handles ---- */
/* Make t window w of the PHB (NULL: no window); the old table is retired.
 * The listeners mirror the change; < 0: one refused the new window (the
 * PHB has it anyway: the caller decides). */
int sphb_tce_publish(struct sphb_phb *phb, unsigned w, struct sphb_tce_table *t);
/* Entries [i0, i0 + n) of t changed: handles' caches drop them, listeners follow. */
void sphb_tce_changed(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n);
void sphb_tce_machine_free(struct sphb_machine *m);
unsigned sphb_tce_retired(const struct sphb_machine *m); /* tables awaiting their free */
struct sphb_tce_table *sphb_tce_by_liobn(const struct sphb_machine *m, uint64_t liobn,
					 struct sphb_phb **phbp);
int64_t sphb_tce_h_put(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce);
int64_t sphb_tce_h_get(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t *tce);
/* the PHB's default window: a fresh table at dma_win_addr/dma_win_size, 4 KiB pages */
int sphb_dma_reset(struct sphb_phb *phb);
/* A function came or went: open DMA handles re-resolve their requester. */
void sphb_dma_rebind(struct sphb_machine *m);
/* Translations cached by DMA handles below the PHB are stale (writer side). */
static inline void sphb_dma_invalidate(struct sphb_phb *phb)
{
	atomic_store_explicit(&phb->dma_gen,
			      atomic_load_explicit(&phb->dma_gen, memory_order_relaxed) + 1,
			      memory_order_release);
}
void sphb_dma_handles_free(struct sphb_machine *m);

/* A DMA handle (tce.c; used by dma.c) */
#define SPHB_TLB_N 64u
#define SPHB_GRANULE 12u
struct sphb_tlb_entry {
	uint64_t page;	/* bus address >> SPHB_GRANULE */
	uint64_t val;	/* guest physical address of the granule | perm (1..3) */
	uint64_t gen;	/* PHB dma_gen when filled; 0: never */
};
struct sphb_dma {
	const _Atomic uint64_t *gen;		/* &phb->dma_gen */
	struct sphb_tlb_entry tlb[SPHB_TLB_N];
	struct sphb_tce_table *_Atomic *win;	/* the PHB's windows (PHBs live as long as the machine) */
	const _Atomic uint8_t *_Atomic state;	/* the requester's `stopped`, or a never-stopped byte */
	struct sphb_machine *m;
	struct sphb_phb *phb;
	uint32_t requester;
	struct sphb_dma *next;
};
/* one translation against the PHB's windows (for dma.c): 0, -EFAULT */
int sphb_dma_walk(struct sphb_machine *m, struct sphb_tce_table *_Atomic *win, uint64_t bus_addr,
		  uint64_t *gpa, unsigned *perm, uint64_t *len);

/* ---- route.c: CPU accesses by address ---- */
/* the function's BARs moved or changed decoding: the PHB's tables follow */
void sphb_route_update(struct sphb_phb *phb);
void sphb_route_free(struct sphb_phb *phb);
/* A CPU access to BAR `bar` of f at `off` (any kind), as the bus answers:
 * decoding, stopped PE, master-abort freeze (PAPR: a load nobody claims). */
int sphb_bar_access(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, bool write,
		    uint64_t *val);

#endif
