/* Internal declarations shared by the library's translation units.
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- machine-wide constants (qemu-spapr-phb.md §3.7, §6.2) ---- */
#define SPHB_MAX_PHBS 31u
#define SPHB_BUID_BASE 0x0800000020000000ull
#define SPHB_PCI_BASE 0x200000000000ull
#define SPHB_PIO_WIN_SIZE 0x10000ull
#define SPHB_MEM32_WIN_SIZE 0x80000000ull
#define SPHB_MEM64_WIN_SIZE 0x10000000000ull
#define SPHB_MEM_WIN_BUS_OFFSET 0x80000000ull
#define SPHB_ID_MAX 64
#define SPHB_MSI_FIRST 0x1300u
#define SPHB_MSI_COUNT 0xd00u
#define SPHB_LSI_BASE 0x1200u
#define SPHB_MSI_WINDOW 0x40000000000ull	/* bus address of the PHB's MSI window */
#define SPHB_MSI32_WINDOW 0x7ffff000u		/* 32-bit MSI-X (change-msi function 6) */

/* PCI config-space offsets and bits used by the model. */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08u	/* in the low byte of Status */
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID 0x08
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CFG_SIZE 256u
#define PCIE_CFG_SIZE 4096u

#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_EXT_CAP_ID_ERR 0x0001

enum sphb_bar_kind {
	BAR_NONE = 0,
	BAR_IO,
	BAR_MEM32,
	BAR_MEM32_PREF,
	BAR_MEM64,
	BAR_MEM64_PREF,
	BAR_ROM,
};
#define SPHB_NBARS 7 /* 0..5 and 6 = expansion ROM */
#define SPHB_BAR_BACKING_MAX (1u << 20)

struct sphb_bar {
	enum sphb_bar_kind kind;
	uint64_t size;
	uint8_t *mem;	 /* lazily allocated backing, min(size, BACKING_MAX) */
};

/* the bytes of a BAR's backing (device.c; saved by migrate.c) */
static inline uint64_t sphb_bar_backing(const struct sphb_bar *b)
{
	return b->size < SPHB_BAR_BACKING_MAX ? b->size : SPHB_BAR_BACKING_MAX;
}

enum sphb_dev_kind { DEV_SIM, DEV_VFIO };

struct sphb_phb;

struct sphb_dev {
	/* the first 16 bytes (one cache line whatever malloc's 16-byte
	 * alignment) hold what a config read touches */
	uint8_t *cfg;		/* config space image, cfg_size bytes */
	uint32_t cfg_size;	/* 256 or 4096 */
	/* SPHB_STOPPED_MMIO / _DMA while the function's PE stops its loads and
	 * stores / its DMA: kept by sphb_eeh_sync() after every change, so
	 * config access and translation read one byte */
	_Atomic uint8_t stopped;
	uint8_t kind;		/* enum sphb_dev_kind */
	uint8_t bus, devfn;
	struct sphb_phb *phb;
	int iommu_group;	/* -1: emulated (never EEH-capable) */
	unsigned pe_idx;	/* its PE is phb->pes[pe_idx] (kept by pes_update) */
	bool pcie, multifunction;
	uint8_t *wmask, *w1cmask, *cfg_init; /* each cfg_size bytes */
	struct sphb_bar bar[SPHB_NBARS];
	uint8_t msi_cap, msix_cap, pcie_cap, pm_cap;
	uint16_t aer_cap;
	unsigned msi_vectors, msix_vectors, msix_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;
	uint32_t host_saved[16];	/* header saved by the (simulated) host */
	bool intx;			/* the device drives its INTx pin */
	/* vfio-pci (backend/linux_vfio.c) */
	int vfio_fd;
	uint64_t vfio_cfg_off;
	struct sphb_vfio_group *vfio_group;
	bool intx_counted;		/* ... and is counted on the PHB's LSI */
	struct sphb_dev *next_in_machine;
	char id[SPHB_ID_MAX];
};

/* A guest-visible PE (DESIGN.md §6). In pe-mode=shared the PHB has one,
 * covering every pass-through device; in per-group one per IOMMU group. */
struct sphb_pe {
	int group;		/* host IOMMU group (shared: the single group, or -1) */
	uint32_t addr;		/* PE configuration address */
	bool permanent;		/* slot-error-detail function 2 (PAPR 5P) */
};

struct sphb_phb {
	struct sphb_machine *m;
	unsigned index;
	char id[SPHB_ID_MAX];
	char bus_name[SPHB_ID_MAX + 2];
	uint64_t buid;
	/* QEMU properties (qemu-spapr-phb.md §6.1) */
	bool ddw, pcie_ext_cfg, error_log, per_group, legacy_vfio_type;
	uint64_t pgsz, dma_win_addr, dma_win_size, dma64_win_addr;
	uint64_t mem_win_size, mem64_win_size, io_win_size;
	int64_t numa_node;
	/* placement */
	uint64_t io_win_addr, mem_win_addr, mem64_win_addr;
	struct sphb_dev *devs[256]; /* root bus, by devfn */
	unsigned ndevs;
	struct sphb_pe shared_pe;	/* pe-mode=shared */
	struct sphb_pe *pes;		/* the PHB's IOMMU groups (per-group: its PEs) */
	unsigned npes;
	/* MSIs, keyed by devfn of the root bus (bug B6 fixed) */
	struct { uint32_t first; uint16_t count; uint8_t type; } msi[256];
	uint16_t lsi_count[4];		/* devices asserting each swizzled pin */
	/* DMA windows (0: default 32-bit, 1: DDW), read by translation without locks */
	struct sphb_tce_table *_Atomic win[2];
	/* bumped after every change of a window, a TCE or a function's DMA
	 * state: DMA handles' translation caches check it (tce.c) */
	_Atomic uint64_t dma_gen;
	bool win_default[2];		/* the window is the (restored) default window */
};

struct sphb_machine {
	struct sphb_host_ops ops;
	void *opaque;
	struct sphb_phb *phbs[SPHB_MAX_PHBS]; /* by index, hence by BUID */
	struct sphb_dev *devices;	      /* every device, newest first */
	uint64_t now_ms;		      /* virtual time */
	struct sphb_sim_group *groups;	      /* simulated host: IOMMU groups */
	unsigned ngroups;
	unsigned *group_slots;		      /* groups by number: index + 1, 0 free */
	unsigned group_bits;		      /* log2 of the slots (0: none yet) */
	/* machine-wide MSI pool: SPHB_MSI_COUNT IRQs from SPHB_MSI_FIRST */
	uint64_t msi_used[(0xd00 + 63) / 64];
	/* translations in flight, counted on dma_readers[dma_epoch & 1]; windows
	 * retired while any runs are freed later (tce.c) */
	atomic_uint dma_readers[2];
	atomic_uint dma_epoch;
	unsigned nretired;
	struct sphb_tce_table *retired;
	struct sphb_dma *dma_handles;		/* open sphb_dma_open() handles */
	struct sphb_vfio *vfio;			/* VFIO containers and groups */
	/* ibm,open-errinjct session */
	bool errinjct_open;
	uint32_t errinjct_token;
};

/* ---- log.c ---- */
void sphb_log(const struct sphb_machine *m, enum sphb_log_level lvl,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- opts.c: QEMU-style "type,key=value,..." parsing ---- */
#define SPHB_OPTS_MAX 32
struct sphb_opt {
	char key[48];
	const char *val; /* points into sphb_opts.buf */
	bool used;
};
struct sphb_opts {
	char type[48];
	unsigned n;
	struct sphb_opt o[SPHB_OPTS_MAX];
	char buf[1024];
};
int sphb_opts_parse(const struct sphb_machine *m, const char *spec,
		    struct sphb_opts *out);
const char *sphb_opts_get(struct sphb_opts *o, const char *key);
int sphb_opts_u64(const struct sphb_machine *m, struct sphb_opts *o,
		  const char *key, uint64_t dflt, uint64_t min, uint64_t max,
		  bool size_suffix, uint64_t *out);
int sphb_opts_bool(const struct sphb_machine *m, struct sphb_opts *o,
		   const char *key, bool dflt, bool *out);
int sphb_opts_id(const struct sphb_machine *m, struct sphb_opts *o,
		 char *out, size_t outsz);
int sphb_opts_check_unused(const struct sphb_machine *m, struct sphb_opts *o);
int sphb_parse_u64(const char *s, bool size_suffix, uint64_t *out);

/* ---- lspci.c: configuration-space dumps for sim-pci,config=FILE ---- */
struct sphb_lspci {
	uint8_t cfg[PCIE_CFG_SIZE];
	uint32_t len;		/* bytes the dump holds, 64..4096 */
	uint64_t region[7];	/* lspci -vv sizes of Region 0..5 and the Expansion ROM; 0: none */
};
/* Logs "TYPE: config=PATH[:LINE]: reason" and returns -EINVAL on bad input. */
int sphb_lspci_load(const struct sphb_machine *m, const char *type, const char *path,
		    struct sphb_lspci *out);

/* ---- phb.c ---- */
int sphb_phb_add(struct sphb_machine *m, struct sphb_opts *o);
void sphb_phb_free(struct sphb_phb *phb);
void sphb_phb_reset(struct sphb_phb *phb);
int sphb_id_check(const struct sphb_machine *m, const char *type, const char *id);
struct sphb_phb *sphb_phb_by_bus_name(const struct sphb_machine *m,
				      const char *name);

static inline struct sphb_phb *sphb_phb_by_buid(const struct sphb_machine *m,
						uint64_t buid)
{
	uint64_t idx = buid - SPHB_BUID_BASE; /* wraps for buid < base */
	return idx < SPHB_MAX_PHBS ? m->phbs[idx] : NULL;
}

static inline struct sphb_dev *sphb_phb_dev(const struct sphb_phb *phb,
					    unsigned bus, unsigned devfn)
{
	return bus == 0 ? phb->devs[devfn & 0xff] : NULL;
}

/* ---- device.c ---- */
int sphb_sim_dev_add(struct sphb_machine *m, struct sphb_opts *o);
void sphb_dev_free(struct sphb_dev *d);
void sphb_dev_reset(struct sphb_dev *d);
void sphb_dev_unlink(struct sphb_dev *d);
int sphb_dev_link(struct sphb_machine *m, struct sphb_dev *d);
uint8_t *sphb_dev_msix_entry(struct sphb_dev *d, unsigned vector);
void sphb_dev_msix_pend(struct sphb_dev *d, unsigned vector);
struct sphb_dev *sphb_dev_by_id(const struct sphb_machine *m, const char *id);
uint32_t sphb_cfg_read(struct sphb_dev *d, uint32_t off, unsigned size);
void sphb_cfg_write(struct sphb_dev *d, uint32_t off, unsigned size,
		    uint32_t val);
int sphb_dev_place(struct sphb_machine *m, struct sphb_opts *o,
		   const char *type, struct sphb_phb **phb, uint8_t *devfn);

/* ---- eeh.c: PE model ---- */
int sphb_eeh_dev_attach(struct sphb_dev *d);
void sphb_eeh_dev_detach(struct sphb_dev *d);
/* shared mode: the single IOMMU group of the PHB's pass-through devices,
 * or -1 when EEH is unavailable (0 or >= 2 groups). */
int sphb_eeh_shared_group(const struct sphb_phb *phb);
/* per-group mode: the PE whose address is cfg (register bits ignored) or
 * that contains the device at cfg; NULL if none. */
struct sphb_pe *sphb_eeh_pe_lookup(struct sphb_phb *phb, uint32_t cfg);
struct sphb_pe *sphb_eeh_pe_of_dev(const struct sphb_dev *d);
unsigned sphb_eeh_pe_nfuncs(const struct sphb_phb *phb, int group);
#define SPHB_STOPPED_MMIO 1u
#define SPHB_STOPPED_DMA 2u
/* Refresh every function's `stopped` after a PE's state may have changed
 * (host ops, freezes, permanent failure, hot plug). */
void sphb_eeh_sync(struct sphb_machine *m);
static inline bool sphb_dev_mmio_stopped(const struct sphb_dev *d)
{
	return atomic_load_explicit(&d->stopped, memory_order_relaxed) & SPHB_STOPPED_MMIO;
}
static inline bool sphb_dev_dma_stopped(const struct sphb_dev *d)
{
	return atomic_load_explicit(&d->stopped, memory_order_relaxed) & SPHB_STOPPED_DMA;
}
/* A load the device cannot decode on an EEH-capable device: freeze its PE. */
void sphb_eeh_dev_error(struct sphb_dev *d);
/* Guest-visible PE state (0, 1, 2, 4, 5) and info; <0 errno from the host. */
int sphb_eeh_pe_state(struct sphb_phb *phb, struct sphb_pe *pe, uint32_t *info);
void sphb_eeh_phb_reset(struct sphb_phb *phb);
int sphb_eeh_op(struct sphb_phb *phb, struct sphb_pe *pe, int op, const void *err);
void sphb_eeh_msix_prereset(struct sphb_phb *phb, int group);
void sphb_dev_msix_prereset(struct sphb_dev *d);

/* ---- rtas.c ---- */
struct sphb_rtas_ctx {
	uint32_t token, nargs, nret;
	const uint32_t *args; /* host-endian copies */
	uint32_t rets[SPHB_RTAS_MAX_CELLS];
	uint64_t written; /* bit i: rets[i] stored */
};
static inline uint32_t rtas_arg(const struct sphb_rtas_ctx *c, unsigned i)
{
	return i < c->nargs ? c->args[i] : 0;
}
static inline void rtas_ret(struct sphb_rtas_ctx *c, unsigned i, uint32_t v)
{
	if (i < c->nret) {
		c->rets[i] = v;
		c->written |= 1ull << i;
	}
}
static inline void rtas_status(struct sphb_rtas_ctx *c, int32_t st)
{
	rtas_ret(c, 0, (uint32_t)st);
}
static inline uint64_t rtas_buid(const struct sphb_rtas_ctx *c)
{
	return (uint64_t)rtas_arg(c, 1) << 32 | rtas_arg(c, 2);
}

/* RTAS status words (papr-spec.md C.1) */
#define RTAS_OUT_SUCCESS 0
#define RTAS_OUT_NO_ERRORS_FOUND 1
#define RTAS_OUT_HW_ERROR (-1)
#define RTAS_OUT_BUSY (-2)
#define RTAS_OUT_PARAM_ERROR (-3)
#define RTAS_OUT_NOT_SUPPORTED (-3)

typedef void sphb_rtas_fn(struct sphb_machine *m, struct sphb_rtas_ctx *c);

/* ---- rtas_eeh.c, rtas_errinjct.c ---- */
sphb_rtas_fn sphb_rtas_set_eeh_option, sphb_rtas_get_config_addr_info2,
	sphb_rtas_read_slot_reset_state2, sphb_rtas_set_slot_reset,
	sphb_rtas_configure_pe, sphb_rtas_slot_error_detail;

/* eeh_log.c: the slot-error-detail log (docs/error-log.md); at most this
 * many bytes of the driver's buffer are copied into it. */
#define SPHB_EEH_LOG_DRV_MAX 1024u
int32_t sphb_eeh_error_detail(struct sphb_machine *m, struct sphb_phb *phb,
			      struct sphb_pe *pe, struct sphb_rtas_ctx *c);

/* rtas_errinjct.c: ibm,open-errinjct / ibm,errinjct / ibm,close-errinjct.
 * sphb_errinjct_tokens: the /rtas ibm,errinjct-tokens (name, value) pairs. */
sphb_rtas_fn sphb_rtas_open_errinjct, sphb_rtas_errinjct, sphb_rtas_close_errinjct;
struct sphb_errinjct_token {
	const char *name;
	uint32_t value;
};
#define SPHB_ERRINJCT_IOA_BUS_ERROR 0x7u
#define SPHB_ERRINJCT_IOA_BUS_ERROR_64 0xfu
#define SPHB_ERRINJCT_NTOKENS 2u
extern const struct sphb_errinjct_token sphb_errinjct_tokens[SPHB_ERRINJCT_NTOKENS];
/* Machine reset: the open session (if any) is closed. */
void sphb_errinjct_reset(struct sphb_machine *m);

/* ---- rtas_msi.c ---- */
sphb_rtas_fn sphb_rtas_change_msi, sphb_rtas_query_irq;
void sphb_msi_phb_reset(struct sphb_phb *phb);
void sphb_msi_dev_gone(struct sphb_dev *d);
void sphb_lsi_update(struct sphb_dev *d);
/* The pool alignment of an allocation of n vectors of type 1 (MSI) or 2 (MSI-X). */
unsigned sphb_msi_align(unsigned type, unsigned n);

/* ---- tce.c ---- */
struct sphb_tce_table;
struct sphb_tce_table *sphb_tce_new(uint32_t liobn, uint64_t bus_offset, unsigned page_shift,
				    uint64_t nb);
/* Free a table that was never published (NULL: nothing). */
void sphb_tce_free(struct sphb_tce_table *t);
/* Make t window w of the PHB (NULL: no window); the old table is retired.
 * Mirrors the change into the PHB's VFIO containers; < 0: the host refused
 * the new window (the PHB has it anyway: the caller decides). */
int sphb_tce_publish(struct sphb_phb *phb, unsigned w, struct sphb_tce_table *t);
/* Entries [i0, i0 + n) of t changed: the host mappings follow. */
void sphb_tce_changed(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n);
void sphb_tce_machine_free(struct sphb_machine *m);
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
unsigned sphb_tce_retired(const struct sphb_machine *m); /* tables awaiting their free */
uint64_t sphb_tce_get(struct sphb_tce_table *t, uint64_t i);
/* The entries in use lie in populated leaves: the first index >= i in one
 * (nb if none), and the end of the populated stretch that holds i. */
uint64_t sphb_tce_next_used(struct sphb_tce_table *t, uint64_t i);
uint64_t sphb_tce_used_end(struct sphb_tce_table *t, uint64_t i);
int sphb_tce_put(struct sphb_tce_table *t, uint64_t i, uint64_t tce);
uint64_t sphb_tce_put_run(struct sphb_tce_table *t, uint64_t i, const uint8_t *list, uint64_t value,
			  uint64_t n);
int64_t sphb_tce_index(const struct sphb_tce_table *t, uint64_t ioba);
uint64_t sphb_tce_nb(const struct sphb_tce_table *t);
unsigned sphb_tce_shift(const struct sphb_tce_table *t);
uint64_t sphb_tce_offset(const struct sphb_tce_table *t);
uint32_t sphb_tce_liobn(const struct sphb_tce_table *t);
size_t sphb_tce_bytes(const struct sphb_tce_table *t);
struct sphb_tce_table *sphb_tce_by_liobn(const struct sphb_machine *m, uint64_t liobn,
					 struct sphb_phb **phbp);
int64_t sphb_tce_h_put(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce);
int64_t sphb_tce_h_get(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t *tce);
/* the PHB's default window: a fresh table at dma_win_addr/dma_win_size, 4 KiB pages */
int sphb_dma_reset(struct sphb_phb *phb);

/* ---- rtas_ddw.c ---- */
sphb_rtas_fn sphb_rtas_query_pe_dma_window, sphb_rtas_create_pe_dma_window,
	sphb_rtas_remove_pe_dma_window, sphb_rtas_reset_pe_dma_window;

/* ---- rtas_pci.c ---- */
sphb_rtas_fn sphb_rtas_ibm_read_pci_config, sphb_rtas_ibm_write_pci_config,
	sphb_rtas_read_pci_config, sphb_rtas_write_pci_config;

/* Big-endian helpers */
static inline uint32_t be32_load(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static inline void be32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
