/* The PCI layer: the record every PCI function has whatever its kind, the
 * per-kind operations (the one seam between the PHB and a function), what
 * the PHB learns of a function by reading its configuration space (BARs,
 * capabilities, interrupt pin), the decode state of its BARs, and the
 * emulated kinds (sim-pci and its clones, VMM functions). The pass-through
 * kind (vfio-pci) is the host layer's. The PHB installs its callbacks
 * (struct sphb_func_bus) when it links a function; this layer calls the PHB
 * only through them. Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_PCI_H
#define SPHB_PCI_H

#include <stdatomic.h>

#include "util/util.h"

/* Configuration-space registers and bits (PCI Local Bus 3.0 6.1, PCI
 * Express Base 4.0 7.5) the library uses. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08u	/* in the low byte of Status */
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION_ID 0x08
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_CFG_SIZE SPHB_PCI_CFG_SIZE
#define PCIE_CFG_SIZE SPHB_PCIE_CFG_SIZE

#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_EXT_CAP_ID_ERR 0x0001

/* MSI capability layout (PCI Local Bus 3.0 6.8.1) */
static inline uint32_t msi_cap_len(uint16_t ctl)
{
	return (ctl & 0x80 ? 0x0eu : 0x0au) + (ctl & 0x100 ? 0x0au : 0u);
}
static inline uint32_t msi_data_off(unsigned cap, uint16_t ctl)
{
	return cap + (ctl & 0x80 ? 0xcu : 0x8u);
}
#define MSI_TYPE_MSI 1
#define MSI_TYPE_MSIX 2

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
static inline bool bar_is64(enum sphb_bar_kind k) { return k == BAR_MEM64 || k == BAR_MEM64_PREF; }
static inline bool bar_is_mem(enum sphb_bar_kind k)
{
	return k == BAR_MEM32 || k == BAR_MEM32_PREF || bar_is64(k) || k == BAR_ROM;
}

struct sphb_func;
struct sphb_phb;
struct sphb_group;
struct sphb_wr;
struct sphb_rd;
struct sphb_loader;

/* What a function kind does. Required: cfg_read, cfg_write, reset, free. */
struct sphb_func_kind {
	const char *name;
	/* the raw function: no stopped-PE gating, no decode checks (the PHB's) */
	uint32_t (*cfg_read)(struct sphb_func *f, uint32_t off, unsigned size);
	void (*cfg_write)(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val);
	int (*bar_read)(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
	int (*bar_write)(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t val);
	/* back to the power-on state (a pass-through kind may leave it to the host) */
	void (*reset)(struct sphb_func *f, enum sphb_reset_kind kind);
	void (*free)(struct sphb_func *f);
	/* optional */
	void (*bar_map)(struct sphb_func *f, unsigned bar, uint64_t gpa, uint64_t size);
	void (*msix_reset)(struct sphb_func *f);	/* QEMU's MSI-X pre-reset, the kind's part */
	int (*dev_intx)(struct sphb_func *f, int level); /* sphb_dev_intx: the library's device model */
	int (*dev_msi)(struct sphb_func *f, unsigned vector); /* sphb_dev_msi */
	/* save/restore (all or none; none: a machine with this function cannot be saved) */
	void (*save)(struct sphb_func *f, struct sphb_wr *w);
	void *(*load)(struct sphb_func *f, struct sphb_rd *r, bool intx_counted); /* staging; NULL: error */
	void (*commit)(struct sphb_func *f, void *staging);	/* cannot fail; consumes staging */
	void (*discard)(void *staging);
	const char *no_save_reason;	/* when save is NULL, for the error message */
	/* the PE layer's: the function's IOMMU group comes from the host it
	 * belongs to (vfio-pci) rather than from iommu-group=N (simulated) */
	bool host_group;
};

/* The PHB's callbacks into itself, installed when it links the function. */
struct sphb_func_bus {
	void (*intx)(struct sphb_func *f, bool on);	/* the function's INTx output changed */
	void (*decode)(struct sphb_func *f);		/* BAR decode state changed */
	/* guest physical address of [bus, bus + size) of a BAR kind through a
	 * PHB window; false when outside every window */
	bool (*bus_to_gpa)(const struct sphb_func *f, enum sphb_bar_kind kind, uint64_t bus,
			   uint64_t size, uint64_t *gpa);
	/* an MSI the library's device model sends: address and data as programmed */
	int (*msi)(struct sphb_func *f, uint64_t addr, uint32_t data);
};

/* What the PHB knows of a BAR. */
struct sphb_func_bar {
	uint8_t kind;		/* enum sphb_bar_kind */
	bool enabled;		/* decoding on (Command Memory / I/O, ROM enable) */
	uint64_t size;
	uint64_t addr;		/* bus address programmed in the register */
	uint64_t map_gpa, map_size; /* the range last reported to bar_map (size 0: none) */
};

#define SPHB_STOPPED_MMIO 1u
#define SPHB_STOPPED_DMA 2u

struct sphb_func {
	/* what a config access and a translation read first */
	const struct sphb_func_kind *kind;
	/* SPHB_STOPPED_MMIO / _DMA while the function's PE stops its loads and
	 * stores / its DMA: kept by the PE layer after every change, so config
	 * access and translation read one byte */
	_Atomic uint8_t stopped;
	uint8_t bus, devfn;
	uint8_t intx_pin;	/* 1..4 (INTA..INTD), 0: none */
	bool pcie, multifunction;
	bool intx_counted;	/* the PHB counts its INTx output on the LSI */
	bool bars_known;	/* the kind set bar[].kind/size: no sizing at plug */
	bool plugged;		/* it made it onto a bus (a failed plug frees it unplugged) */
	uint32_t cfg_size;	/* 256 or 4096 */
	uint16_t command;	/* Command register as last read back */
	struct sphb_machine *m;
	struct sphb_phb *phb;
	const struct sphb_func_bus *bus_ops;
	int iommu_group;	/* -1: emulated (never EEH-capable) */
	struct sphb_group *group;
	unsigned pe_idx;	/* per-group PE index on the PHB (the PE layer's) */
	struct sphb_func_bar bar[SPHB_NBARS];
	/* capabilities, found by sphb_func_probe() */
	uint8_t msi_cap, msix_cap, pcie_cap, pm_cap;
	uint16_t aer_cap;
	unsigned msi_vectors, msix_vectors, msix_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;
	struct sphb_func *next_in_machine, *next_in_group;
	char id[SPHB_ID_MAX];
	char type[48];		/* the type of its description ("sim-pci", "e1000", ...) */
	char *desc;		/* its description with bus= and addr= made explicit */
};

/* ---- func.c ---- */
struct sphb_func *sphb_func_by_id(const struct sphb_machine *m, const char *id);
/* Common fields of a new function (kind, machine, type; a 256-byte
 * configuration space, no IOMMU group) before the kind fills its part. */
void sphb_func_init(struct sphb_func *f, const struct sphb_func_kind *kind, struct sphb_machine *m,
		    const char *type);
/* What the PHB learns by reading the configuration space: interrupt pin,
 * header type, BARs (sized as firmware does unless the kind knows them),
 * capabilities; then the decode state. 0, or -EINVAL with an ERROR logged
 * (a capability that does not fit the function). */
int sphb_func_probe(struct sphb_func *f);
/* Config access through the kind; a write that touches Command, a BAR or
 * the ROM register refreshes the decode state and tells the PHB. */
uint32_t sphb_func_cfg_read(struct sphb_func *f, uint32_t off, unsigned size);
void sphb_func_cfg_write(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val);
/* Re-read Command and the BAR registers; tell the PHB when they changed. */
void sphb_func_decode_refresh(struct sphb_func *f);
/* The ranges a VMM may map (bar_map) follow decode state, windows and the
 * stopped byte: report what changed (all gone when `gone`). */
void sphb_func_maps_update(struct sphb_func *f, bool gone);
/* Reset through the kind, then the decode state follows. */
void sphb_func_reset(struct sphb_func *f, enum sphb_reset_kind kind);
void sphb_func_free(struct sphb_func *f);
/* MSI message of the MSI capability / of one MSI-X table entry. */
void sphb_func_msi_program(struct sphb_func *f, uint64_t addr, uint32_t data);
int sphb_func_msix_program(struct sphb_func *f, unsigned vector, uint64_t addr, uint32_t data);
/* MSI Multiple Message Enable: set to cover `vectors`; the vectors it enables */
void sphb_func_msi_enable_vectors(struct sphb_func *f, unsigned vectors);
unsigned sphb_func_msi_enabled_vectors(struct sphb_func *f);
/* QEMU's pre-reset of a pass-through function (hw/ppc/spapr_pci_vfio.c):
 * MSI-X Enable and Function Mask cleared, the kind's MSI-X state reset. */
void sphb_func_msix_prereset(struct sphb_func *f);
/* Tell the PHB the function's INTx output (the bus's wired-OR follows). */
static inline void sphb_func_set_intx(struct sphb_func *f, bool on)
{
	if (f->bus_ops)
		f->bus_ops->intx(f, on);
}
static inline bool sphb_func_mmio_stopped(const struct sphb_func *f)
{
	return atomic_load_explicit(&f->stopped, memory_order_relaxed) & SPHB_STOPPED_MMIO;
}
static inline bool sphb_func_dma_stopped(const struct sphb_func *f)
{
	return atomic_load_explicit(&f->stopped, memory_order_relaxed) & SPHB_STOPPED_DMA;
}
static inline uint32_t sphb_func_cfg_addr(const struct sphb_func *f)
{
	return sphb_cfg_addr(f->bus, f->devfn, 0);
}

/* ---- sim_pci.c: sim-pci (and clones: sim-pci,config=FILE) ---- */
extern const struct sphb_func_kind sphb_sim_pci_kind;
/* Parse the kind's options and build the function (not yet placed): the
 * common options (bus, addr, id, multifunction, iommu-group) are the PHB
 * layer's. multifunction: the option's value, or -1 when not given. */
int sphb_sim_pci_create(struct sphb_machine *m, struct sphb_opts *o, int multifunction,
			struct sphb_func **out);
/* the bytes of a sim BAR's backing (saved by the kind) */
#define SPHB_BAR_BACKING_MAX (1u << 20)

/* ---- vmm_func.c: the VMM's own functions (struct sphb_func_ops) ---- */
int sphb_vmm_func_create(struct sphb_machine *m, struct sphb_opts *o,
			 const struct sphb_func_ops *ops, void *opaque, struct sphb_func **out);

#endif
