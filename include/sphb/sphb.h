/*
 * sphb — the sPAPR PCI Host Bridge (PHB) with EEH, as an embeddable library.
 *
 * This is the only public header. Every object is opaque; every function
 * returns 0 (or a non-negative count) on success and a negative errno on
 * failure. What a *guest* sees (an RTAS status word, an H_* code) is data
 * written into guest memory, never a library error.
 *
 * Threading and re-entrancy: see "Threads and callbacks" below.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef SPHB_SPHB_H
#define SPHB_SPHB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPHB_VERSION_MAJOR 0
#define SPHB_VERSION_MINOR 2
#define SPHB_VERSION_PATCH 0
#define SPHB_VERSION_STRING "0.2.0"
/* One integer that grows with every release: MAJOR*10000 + MINOR*100 + PATCH. */
#define SPHB_VERSION_NUMBER \
	(SPHB_VERSION_MAJOR * 10000 + SPHB_VERSION_MINOR * 100 + SPHB_VERSION_PATCH)

#if defined(SPHB_BUILDING_LIBRARY) && defined(__GNUC__)
#define SPHB_API __attribute__((visibility("default")))
#else
#define SPHB_API
#endif

/* The version string of the library actually linked ("0.2.0"), and its
 * SPHB_VERSION_NUMBER, for a run-time check against the header compiled in:
 * sphb_version_number() >= SPHB_VERSION_NUMBER. */
SPHB_API const char *sphb_version(void);
SPHB_API unsigned sphb_version_number(void);

/*
 * Threads and callbacks
 * ---------------------
 * A machine is not internally locked. The host serializes every call on a
 * machine (one thread at a time, e.g. under the VMM's big lock), except:
 *  - sphb_dma_translate() may run on any thread, concurrently with the
 *    machine's other calls (device I/O threads translate while vCPUs update
 *    TCEs, change DMA windows and drive EEH): it takes no lock and never
 *    sees freed memory;
 *  - a DMA handle (sphb_dma_open) is used by one thread at a time, which may
 *    be any thread: sphb_dma_xlate, sphb_dma_extent, sphb_dma_read and
 *    sphb_dma_write on it run concurrently like sphb_dma_translate;
 *    sphb_dma_open and sphb_dma_close are serialized with the machine's
 *    other calls;
 *  - except: plugging and unplugging functions (sphb_machine_add/del,
 *    sphb_func_add/del), sphb_machine_load and sphb_machine_free must not
 *    overlap any DMA call (a VMM pauses its device threads around them).
 * The library calls the host's and a function's callbacks on the thread of
 * the call that needs them (DMA on the handle's thread: mem_read, mem_write,
 * irq_pulse, log). From inside a callback, only these calls on the same
 * machine are allowed: sphb_func_intx, sphb_dev_intx, sphb_dev_msi,
 * sphb_dma_translate and the DMA handle calls; every other entry point
 * returns -EDEADLK there and changes nothing.
 *
 * Structs passed in with a size member `sz` first (ops, opts, results):
 * set sz = sizeof(the struct) as compiled. A struct smaller than this
 * version's is accepted when it holds every required member; a larger one
 * whose extra bytes are all zero is accepted; a larger one with a non-zero
 * byte the library does not know is refused with -E2BIG (a caller relying on
 * a newer library's feature learns that this one lacks it).
 */

/* Hypercall numbers and H_* return codes the API uses (PAPR 14.5.4; the
 * RTAS hypercall is the one KVM and QEMU give pseries guests). */
#define SPHB_H_SUCCESS 0
#define SPHB_H_HARDWARE (-1)
#define SPHB_H_FUNCTION (-2)
#define SPHB_H_PARAMETER (-4)
#define SPHB_H_GET_TCE 0x1cu
#define SPHB_H_PUT_TCE 0x20u
#define SPHB_H_STUFF_TCE 0x138u
#define SPHB_H_PUT_TCE_INDIRECT 0x13cu
#define SPHB_KVMPPC_H_RTAS 0xf000u

/* Interrupt kinds for the host's numbering callbacks. */
enum sphb_irq_type {
	SPHB_IRQ_LSI = 0,	/* level-triggered: a PHB's four INTx lines */
	SPHB_IRQ_MSI = 1,	/* edge: MSI and MSI-X vectors */
};

struct sphb_machine;

enum sphb_log_level {
	SPHB_LOG_ERROR = 0,
	SPHB_LOG_WARN = 1,
	SPHB_LOG_INFO = 2,
	SPHB_LOG_DEBUG = 3,
};

/*
 * Host callbacks. Set `sz` to sizeof(struct sphb_host_ops) so that later
 * library versions can add members. Every callback may be NULL unless noted.
 *
 * mem_read / mem_write: guest physical memory access (required). The host
 *   range-checks the access and returns 0, or -EFAULT without touching
 *   anything when [gpa, gpa+len) is not entirely accessible.
 * log: one message per call, no trailing newline. Library code never prints.
 */
struct sphb_host_ops {
	size_t sz;
	int (*mem_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*mem_write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	void (*log)(void *opaque, enum sphb_log_level level, const char *msg);
	/* Interrupts (may be NULL): irq_set drives a level-triggered LSI line
	 * (0x1200 + PHB index * 4 + pin), irq_pulse delivers an MSI (edge). */
	void (*irq_set)(void *opaque, uint32_t irq, int level);
	void (*irq_pulse)(void *opaque, uint32_t irq);
	/* Guest RAM for VFIO pre-registration (may be NULL): call fn for every
	 * RAM range (guest physical address, host virtual address, size) and
	 * return its first non-zero result, or 0. */
	int (*ram_iterate)(void *opaque,
			   int (*fn)(void *ctx, uint64_t gpa, void *hva, uint64_t size), void *ctx);
	/*
	 * Interrupt numbers (optional: all three or none). Without them the
	 * library numbers interrupts as QEMU's pseries machine does: a PHB's
	 * LSIs are 0x1200 + index * 4 + 0..3, MSIs come from one pool of 0xD00
	 * numbers at 0x1300 shared by all PHBs. A VMM with other interrupt
	 * sources (or QEMU's own PHB beside an sphb one) supplies them:
	 * irq_alloc: find and claim `count` consecutive numbers for PHB `buid`,
	 *   the first a multiple of `align` (a power of two); 0 and *first, or a
	 *   negative errno (-ENOSPC: none free). LSIs: one block of 4 when the
	 *   PHB is added (the PHB is refused if this fails); MSIs: per
	 *   ibm,change-msi request (the guest gets -1, "hardware error").
	 * irq_claim: claim exactly [first, first + count) (a migration target
	 *   restoring the source's numbers); -EBUSY when any is taken.
	 * irq_free: give a block back (change-msi release, PHB reset, unplug,
	 *   machine free).
	 * The device tree's interrupt-map and the numbers the guest reads from
	 * ibm,query-interrupt-source-number are the numbers these return; MSI
	 * messages carry them as data.
	 */
	int (*irq_alloc)(void *opaque, uint64_t buid, enum sphb_irq_type type, unsigned count,
			 unsigned align, uint32_t *first);
	int (*irq_claim)(void *opaque, uint64_t buid, enum sphb_irq_type type, uint32_t first,
			 unsigned count);
	void (*irq_free)(void *opaque, uint64_t buid, uint32_t first, unsigned count);
};

/* Create an empty machine. The default PHB (index 0, id "pci") is added by
 * sphb_machine_add(m, "spapr-pci-host-bridge,index=0,id=pci") as QEMU does;
 * sphb_machine_new_default() does that for you. */
SPHB_API int sphb_machine_new(const struct sphb_host_ops *ops, void *opaque,
			      struct sphb_machine **out);
SPHB_API int sphb_machine_new_default(const struct sphb_host_ops *ops,
				      void *opaque, struct sphb_machine **out);
SPHB_API void sphb_machine_free(struct sphb_machine *m);

/*
 * Add a device described in QEMU's -device syntax, e.g.
 *   "spapr-pci-host-bridge,index=1,id=phb1"
 *   "sim-pci,bus=phb1.0,addr=2.0,vendor=0x8086,device=0x100e,bar0=mem32:0x20000"
 * On a bad description nothing is added, -EINVAL (or -EEXIST for a duplicate
 * index/address/id, -ENOSPC when no slot is free, -ENOTSUP for a type this
 * build cannot provide; vfio-pci: the host's errno, e.g. -ENODEV, -EACCES,
 * -EBUSY, docs/vfio.md) is returned, and one ERROR message naming the option
 * and value is logged, in the form "TYPE: OPTION=VALUE: reason".
 */
SPHB_API int sphb_machine_add(struct sphb_machine *m, const char *spec);

/* Hot-unplug the device whose id is `id`. -ENOENT if none. */
SPHB_API int sphb_machine_del(struct sphb_machine *m, const char *id);

/* Machine reset: every PHB and device returns to its power-on state, and
 * every PHB's PEs are re-enabled (thawed) as after a partition reboot. */
SPHB_API int sphb_machine_reset(struct sphb_machine *m);

/*
 * Save/restore (live migration), format and guarantees in docs/migration.md.
 *
 * sphb_machine_save: serialize everything guest-visible the machine holds
 * (DMA windows and the TCEs in use, MSI allocations, LSI levels, PE and
 * simulated-host EEH state, the errinjct session, the virtual clock, sim-pci
 * config spaces and BAR contents) into buf. *needed (may be NULL) receives
 * the stream's size. Returns 0; -ENOSPC when buf is NULL or len is smaller
 * than *needed (size query: buf NULL, len 0; buf's contents are then
 * unspecified); -ENOTSUP when the machine has a vfio-pci device (its state is
 * in the host device); -EINVAL for bad arguments. Of a VMM function the
 * stream holds the library's part only: the VMM migrates its device model
 * and restores it on the target before sphb_machine_load(). The same state always
 * gives the same bytes.
 *
 * sphb_machine_load: restore a stream into a machine built from the same
 * description (the same -device list, in any order). The whole stream is
 * checked first (header, checksum, every section and field, against this
 * machine's description and the model's invariants); on any error nothing
 * changes and one ERROR message naming the field is logged. Returns 0;
 * -EBADMSG: malformed or inconsistent stream (truncated, checksum mismatch,
 * a value out of range); -ENXIO: the stream describes another machine (PHBs,
 * devices, properties differ); -ENOTSUP: a format version or a mandatory
 * section this library does not know, or a vfio-pci device in the machine;
 * -ENOMEM; -EINVAL for bad arguments. After a load every function's DMA
 * state is recomputed, open DMA handles drop their cached translations, and
 * irq_set reports every LSI whose level changed.
 */
SPHB_API int sphb_machine_save(struct sphb_machine *m, void *buf, size_t len, size_t *needed);
SPHB_API int sphb_machine_load(struct sphb_machine *m, const void *buf, size_t len);

/*
 * The machine's description, to build a migration target without keeping a
 * copy: one line per device ('\n'-terminated, the whole NUL-terminated), PHBs
 * by index as they were given, then functions in the order they were added,
 * each with bus= and addr= made explicit, so that sphb_machine_new() and
 * sphb_machine_add() of each line (sphb_func_add() for the lines of the VMM's
 * own functions, which start with the type the VMM gave) rebuild a machine
 * that sphb_machine_load() accepts. Hot-unplugged devices are gone from it.
 * Sizes as sphb_machine_save: *needed (may be NULL) gets the bytes including
 * the NUL; -ENOSPC when len is smaller (size query: buf NULL, len 0);
 * -EINVAL for bad arguments.
 */
SPHB_API int sphb_machine_describe(const struct sphb_machine *m, char *buf, size_t len, size_t *needed);

/* BUID of the PHB whose id (or bus name "ID.0") is `id`. -ENOENT if none. */
SPHB_API int sphb_phb_buid(const struct sphb_machine *m, const char *id,
			   uint64_t *buid);

/* ---- RTAS ------------------------------------------------------------- */

/* Largest nargs + nret the RTAS entry accepts (PAPR callers use <= 16). */
#define SPHB_RTAS_MAX_CELLS 64

struct sphb_rtas_result {
	size_t sz;		/* set by the caller: sizeof(struct sphb_rtas_result) */
	uint32_t token, nargs, nret;
	uint32_t rets_written;	/* bit i set: ret[i] was stored (i < 32) */
};

/*
 * Execute the RTAS call whose argument buffer (big-endian cells: token,
 * nargs, nret, args..., rets...) is at guest address `buf_gpa` (the r4 of
 * the KVMPPC_H_RTAS hcall; its top 4 bits are dropped like a real-mode
 * address). Returns:
 *   0        the call ran; its status is in ret[0] in guest memory;
 *   -ENOENT  the token is not one of this library's calls: ret[0] = -3 was
 *            stored if nret >= 1 (QEMU's answer; the VMM's hcall returns
 *            H_PARAMETER). A VMM with RTAS calls of its own checks
 *            sphb_rtas_token() / sphb_rtas_name() first;
 *   -EFAULT  the buffer is not accessible (or, for a call that changes
 *            state, its outputs are not writable): guest memory is
 *            untouched and the call did not run;
 *   -EINVAL  nargs + nret > SPHB_RTAS_MAX_CELLS: guest memory untouched.
 * `res` may be NULL.
 */
SPHB_API int sphb_rtas_call(struct sphb_machine *m, uint64_t buf_gpa,
			    struct sphb_rtas_result *res);

/* Token of the RTAS call `name` (e.g. "ibm,read-pci-config"), or -ENOENT. */
SPHB_API int sphb_rtas_token(const char *name);
/* Name of `token`, or NULL when the library has no such call. */
SPHB_API const char *sphb_rtas_name(uint32_t token);
/* Standard (nargs, nret) of a call, as a Linux guest issues it. */
SPHB_API int sphb_rtas_counts(uint32_t token, uint32_t *nargs, uint32_t *nret);

/*
 * sphb_rtas_owned: does the RTAS call in the buffer at buf_gpa belong to
 * this machine? 1 when its token is one of the library's calls and it
 * addresses one of the machine's PHBs (by the BUID in its arguments, or the
 * LIOBN of ibm,remove-pe-dma-window; the errinjct session calls always), 0
 * otherwise, -EFAULT when the buffer cannot be read. A VMM with PHBs of its
 * own asks this before sphb_rtas_call() and handles the call itself on 0.
 */
SPHB_API int sphb_rtas_owned(struct sphb_machine *m, uint64_t buf_gpa);

/* ---- PHBs: what a VMM needs to place and describe them ---------------- */

struct sphb_phb_info {
	size_t sz;		/* set by the caller: sizeof(struct sphb_phb_info) */
	uint64_t buid;
	unsigned index;
	/* CPU (guest physical) windows: [cpu, cpu + size) decodes bus
	 * addresses [bus, bus + size); size 0: no such window */
	uint64_t io_cpu, io_bus, io_size;
	uint64_t mem32_cpu, mem32_bus, mem32_size;
	uint64_t mem64_cpu, mem64_bus, mem64_size;
	uint32_t lsi[4];	/* INTA..INTD of slot 0 (swizzled for others) */
	uint32_t liobn[2];	/* window 0 (default) and 1 (dynamic) */
	uint64_t msi_window;	/* bus address of the MSI window (4 KiB) */
};
/* The PHB whose id, bus name ("ID.0") or BUID (as "0x..." ) is `id`. */
SPHB_API int sphb_phb_info(const struct sphb_machine *m, const char *id,
			   struct sphb_phb_info *info);

/* 0 and *buid when `liobn` is a DMA window number of one of the machine's
 * PHBs (whether the window is active now or not), else -ENOENT. A VMM with
 * TCE tables of its own (VIO) asks this before sphb_hcall(). */
SPHB_API int sphb_liobn_owner(const struct sphb_machine *m, uint64_t liobn, uint64_t *buid);

/* ---- PCI functions of the VMM ------------------------------------------ */
/*
 * A VMM plugs its own device models (virtio, NVMe, a NIC) behind a PHB. The
 * library stays the PHB: it validates every guest config access (the RTAS
 * rules) before calling cfg_read/cfg_write, answers all-ones and drops
 * stores without calling the function while its PE is stopped, programs MSI
 * and MSI-X when the guest calls ibm,change-msi (MSI capability registers
 * through cfg_write, MSI-X table entries through bar_write), resets the
 * functions of a PE through reset (EEH hot/fundamental reset, machine
 * reset), routes CPU accesses to its BARs by address (sphb_mmio_load), and
 * tracks the BARs the guest programs (bar_map).
 *
 * The function's configuration space is the VMM's: the library discovers
 * its BARs (sizing them as firmware does, with decoding off), its interrupt
 * pin and its MSI, MSI-X, PCI Express, PM and AER capabilities by reading it
 * when the function is plugged. A PCI Express capability makes it a 4 KiB
 * configuration space (pcie=on|off in the spec overrides).
 *
 * Callbacks (opaque is the per-function pointer given at plug time):
 * cfg_read, cfg_write (required): off is aligned to size (1, 2, 4) and
 *   below the function's configuration space size; values little-endian as
 *   PCI defines them.
 * bar_read, bar_write (required when the function has a BAR): bar 0..5, 6
 *   the expansion ROM; [off, off + size) lies inside the BAR; size 1, 2, 4
 *   or 8, not necessarily aligned; 0 or a negative errno (a failed read
 *   answers all-ones, a failed write is dropped).
 * reset (required): back to the power-on state; kind says why.
 * bar_map (optional): the guest physical range BAR `bar` decodes changed:
 *   [gpa, gpa + size) from now on (any earlier range of the BAR is gone),
 *   or nothing when size is 0. A range is reported while the BAR is
 *   programmed inside one of the PHB's windows with decoding on (Command
 *   Memory or I/O, ROM enable) and the function's PE is not MMIO-stopped,
 *   so a VMM may map it directly and still get EEH semantics: when the PE
 *   freezes, the range goes away and accesses come back to sphb_mmio_load.
 *   Ranges of different BARs may overlap when a guest programs them so.
 * release (optional): the library is done with the function (unplugged,
 *   machine freed); called last.
 * A callback may call the functions listed under "Threads and callbacks";
 * anything else on the machine answers -EDEADLK.
 */
enum sphb_reset_kind {
	SPHB_RESET_MACHINE = 0,		/* machine (partition) reset */
	SPHB_RESET_HOT = 1,		/* EEH: ibm,set-slot-reset function 1 */
	SPHB_RESET_FUNDAMENTAL = 3,	/* EEH: ibm,set-slot-reset function 3 */
};

struct sphb_func_ops {
	size_t sz;		/* sizeof(struct sphb_func_ops) */
	uint32_t (*cfg_read)(void *opaque, uint32_t off, unsigned size);
	void (*cfg_write)(void *opaque, uint32_t off, unsigned size, uint32_t val);
	int (*bar_read)(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
	int (*bar_write)(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t val);
	void (*reset)(void *opaque, enum sphb_reset_kind kind);
	void (*bar_map)(void *opaque, unsigned bar, uint64_t gpa, uint64_t size);
	void (*release)(void *opaque);
};

struct sphb_func;
struct sphb_dma;

/*
 * Plug a VMM function described in QEMU's -device syntax: the type is the
 * VMM's name for the device (any name but the library's own types; it shows
 * in messages and in the device tree's ibm,loc-code), then bus=, addr=,
 * id=, multifunction=on|off (default: the header type's multifunction bit),
 * iommu-group=N (the function belongs to simulated host IOMMU group N and is
 * EEH-capable, with the semantics sim-pci has; functions may share a group),
 * pcie=on|off. Placement, the multifunction rule and the one id namespace
 * are those of every device type. *out (may be NULL) receives the function.
 * Errors as sphb_machine_add(); on error nothing is added and release is
 * not called.
 */
SPHB_API int sphb_func_add(struct sphb_machine *m, const char *spec,
			   const struct sphb_func_ops *ops, void *opaque,
			   struct sphb_func **out);
/* Unplug (as sphb_machine_del(); works for functions without an id). */
SPHB_API int sphb_func_del(struct sphb_func *f);
/* The function of id `id` (any type), or NULL. */
SPHB_API struct sphb_func *sphb_func_find(struct sphb_machine *m, const char *id);
/* Its PHB's BUID and its config address (bus << 16 | devfn << 8). */
SPHB_API int sphb_func_addr(const struct sphb_func *f, uint64_t *buid, uint32_t *cfg);
/*
 * The function drives its INTx output (level 1 asserted); the library ORs
 * the functions on each swizzled pin into the PHB's LSIs (irq_set). A VMM
 * function applies Interrupt Disable (Command bit 10) itself. 0, -EINVAL.
 */
SPHB_API int sphb_func_intx(struct sphb_func *f, int level);
/* A DMA handle for the function as requester (see sphb_dma_open). */
SPHB_API int sphb_func_dma_open(struct sphb_func *f, struct sphb_dma **out);

/* ---- CPU accesses by guest physical address ---------------------------- */
/*
 * A CPU load or store of `size` (1, 2, 4, 8) bytes at guest physical address
 * `gpa`, as a VMM's MMIO exit gives it. Inside one of a PHB's windows (I/O,
 * 32-bit, 64-bit) the library finds the function and BAR that decode it
 * (routing costs the same whatever the number of BARs) and performs the
 * access through the function's kind: sim-pci in the library, vfio-pci
 * through the device's region, a VMM function through bar_read/bar_write.
 * As a bus does:
 *  - a load nobody decodes reads all-ones, such a store is dropped;
 *  - a function whose PE is MMIO-stopped reads all-ones, stores dropped;
 *  - a load from a memory BAR of a function with Memory Space disabled
 *    freezes the function's PE when it is EEH-capable (PHB hardware does;
 *    Linux's eeh_dev_break relies on it) and reads all-ones;
 *  - BARs overlapping each other: the BAR that decodes wins, then the
 *    lowest devfn, then the lowest BAR number.
 * *val / val hold the bytes in PCI order: the byte at gpa is bits 0-7.
 * Returns 0; -ENOENT when gpa is outside every PHB window (the access is
 * the VMM's to route elsewhere); -EINVAL for a bad size or NULL val.
 */
SPHB_API int sphb_mmio_load(struct sphb_machine *m, uint64_t gpa, unsigned size, uint64_t *val);
SPHB_API int sphb_mmio_store(struct sphb_machine *m, uint64_t gpa, unsigned size, uint64_t val);

/* ---- simulated devices (CPU side) ------------------------------------- */

/*
 * A CPU load/store of `size` (1, 2, 4 or 8) bytes at `offset` inside BAR
 * `bar` (0..5, 6 = expansion ROM) of the simulated device `dev_id`. Loads
 * that the device does not decode (BAR unassigned, decoding disabled in the
 * Command register, offset outside the BAR) return all-ones, as on a real
 * bus; such stores are dropped. -ENOENT: no simulated device of that id;
 * -EINVAL: bad bar/size/offset alignment.
 */
SPHB_API int sphb_mmio_read(struct sphb_machine *m, const char *dev_id,
			    unsigned bar, uint64_t offset, unsigned size,
			    uint64_t *val);
SPHB_API int sphb_mmio_write(struct sphb_machine *m, const char *dev_id,
			     unsigned bar, uint64_t offset, unsigned size,
			     uint64_t val);

/* BUID and config address (register bits 0) of device `dev_id`. */
SPHB_API int sphb_dev_config_addr(const struct sphb_machine *m, const char *dev_id,
				  uint64_t *buid, uint32_t *cfg);

/* ---- the simulated host and virtual time ------------------------------ */
/*
 * For devices with iommu-group=N (simulated pass-through). -ENOENT: no such
 * device; -ENODEV: an emulated device (never EEH-capable).
 * sphb_host_freeze: the hardware detects an error and freezes the device's
 *   PE (MMIO and DMA stopped); *pe_cfg receives the PE config address.
 * sphb_host_busy: the host is recovering above the PE for `ms` of virtual
 *   time; meanwhile the PE reads as state 5 (temporarily unavailable).
 * sphb_host_state: the host's view: "normal", "reset", "stopped",
 *   "stopped-dma", "unavailable" or "permanent".
 */
SPHB_API int sphb_host_freeze(struct sphb_machine *m, const char *dev_id, uint32_t *pe_cfg);
SPHB_API int sphb_host_busy(struct sphb_machine *m, const char *dev_id, uint32_t ms);
SPHB_API int sphb_host_state(struct sphb_machine *m, const char *dev_id, const char **name);
/* The host's next `count` EEH operations on the device's PE fail with
 * -err (e.g. EIO, ENODEV), as a failing kernel would; count 0 cancels. */
SPHB_API int sphb_host_fail(struct sphb_machine *m, const char *dev_id, int err, unsigned count);

/* Virtual time in milliseconds; host resets and guest waits advance it. */
SPHB_API uint64_t sphb_clock_ms(const struct sphb_machine *m);
SPHB_API int sphb_clock_advance(struct sphb_machine *m, uint64_t ms);

/* ---- interrupts from simulated devices ---------------------------------- */
/*
 * sphb_dev_intx: the device drives its INTx pin (level 1 = asserted). The
 * PHB's LSI for the swizzled pin follows the wired-OR of its devices and is
 * reported through irq_set; a device with INTx Disable set (Command bit 10)
 * does not drive the line. Returns 0, -ENOENT (no such device).
 * sphb_dev_msi: the device sends MSI/MSI-X vector `vector` with the message
 * the guest programmed; it reaches irq_pulse when it targets the PHB's MSI
 * window. -EIO: blocked (the PE is DMA-stopped); -EAGAIN: masked (MSI-X or
 * per-vector-masked MSI: pending bit set) or MSI/MSI-X not enabled; -ERANGE:
 * no such vector.
 */
SPHB_API int sphb_dev_intx(struct sphb_machine *m, const char *dev_id, int level);
SPHB_API int sphb_dev_msi(struct sphb_machine *m, const char *dev_id, unsigned vector);

/* ---- DMA: TCE hypercalls and translation --------------------------------- */
/*
 * sphb_hcall: the TCE hypercalls H_GET_TCE (0x1C), H_PUT_TCE (0x20),
 * H_STUFF_TCE (0x138) and H_PUT_TCE_INDIRECT (0x13C), args = r4..r7. The
 * H_* return code goes to *hret (H_SUCCESS 0, H_PARAMETER -4, H_HARDWARE -1
 * when H_PUT_TCE_INDIRECT's TCE list cannot be read through mem_read);
 * H_GET_TCE stores the TCE in rets[0]. Returns 0, or -ENOENT for an hcall the library
 * does not own (the VMM answers it, e.g. H_FUNCTION), -EINVAL.
 *
 * Arguments: an H_PUT_TCE needs 3 registers (liobn, ioba, tce), H_GET_TCE
 * 2 and room for 1 result, H_STUFF_TCE and H_PUT_TCE_INDIRECT 4: fewer is
 * -EINVAL (nothing done; the VMM answers H_PARAMETER). A VMM answers the
 * guest with *hret when 0 is returned; -ENOENT: not a TCE hcall (the VMM's
 * own, or H_FUNCTION); -EINVAL: H_PARAMETER; -EDEADLK (from a callback):
 * H_HARDWARE. An unknown LIOBN is H_PARAMETER in *hret (QEMU's answer); a
 * VMM with TCE tables of its own asks sphb_liobn_owner() first.
 *
 * sphb_dma_translate: a DMA by the function at config address `requester`
 * (bus << 16 | devfn << 8; any other bit set is -EINVAL, so a Requester ID
 * bus << 8 | devfn is refused rather than misread) below PHB `buid` to
 * `bus_addr`: *gpa and *perm (TCE bits: 1 read, 2 write, 3 both) on
 * success; -EFAULT: no window or no mapping; -EIO: the requester's PE is
 * DMA-stopped; -ENODEV: no such PHB. It may run on any thread concurrently
 * with sphb_hcall, DMA-window changes and EEH state changes on the same
 * machine: it takes no lock and never sees freed memory. Plugging and
 * unplugging functions, sphb_machine_load and sphb_machine_free must be
 * serialized with it (a VMM pauses its device threads around them).
 */
SPHB_API int sphb_hcall(struct sphb_machine *m, uint64_t opcode, const uint64_t *args,
			unsigned nargs, uint64_t *rets, unsigned nrets, int64_t *hret);
SPHB_API int sphb_dma_translate(struct sphb_machine *m, uint64_t buid, uint32_t requester,
				uint64_t bus_addr, uint64_t *gpa, unsigned *perm);

/*
 * DMA handles: the PHB and the requester resolved once, for a device model's
 * DMA path. sphb_dma_open(m, buid, requester, &h) -> 0, -ENODEV (no such
 * PHB), -EINVAL (requester as for sphb_dma_translate), -ENOMEM; the
 * requester need not exist yet (a function hot-plugged
 * later at that address is picked up, one removed stops blocking).
 * sphb_dma_xlate(h, ...) answers exactly as sphb_dma_translate() does for the
 * same buid and requester (-EFAULT, -EIO), with the same concurrency rules; h,
 * gpa and perm must be valid (no checks on this path). sphb_dma_close(h)
 * before sphb_machine_free(); handles still open are freed with the machine.
 * A handle keeps working across its function's unplug (it then translates
 * as for an absent function: never DMA-stopped) and replug.
 */
struct sphb_dma;
SPHB_API int sphb_dma_open(struct sphb_machine *m, uint64_t buid, uint32_t requester,
			   struct sphb_dma **out);
SPHB_API int sphb_dma_xlate(struct sphb_dma *h, uint64_t bus_addr, uint64_t *gpa, unsigned *perm);
SPHB_API void sphb_dma_close(struct sphb_dma *h);

/*
 * sphb_dma_extent: as sphb_dma_xlate, and *len receives how many bytes from
 * bus_addr (at most max_len, at least 1) map to contiguous guest physical
 * memory with the same permission, so a device model translates once per
 * buffer rather than once per page.
 *
 * sphb_dma_read / sphb_dma_write: the requester moves `len` bytes between
 * bus addresses and its buffer: each page is translated through the TCE
 * windows, its permission checked (a read needs TCE bit 0, a write bit 1),
 * and the bytes moved with the host's mem_read/mem_write. A 4-byte write into
 * the PHB's MSI window (bus 0x40000000000, or 0x7ffff000 when no DMA window
 * covers it) is an MSI: its little-endian data is the interrupt number, and
 * it reaches irq_pulse when the number is one the guest allocated to this
 * requester with ibm,change-msi. Returns 0; -EIO: the requester's PE is
 * DMA-stopped (DMA and MSI refused, nothing moved); -EFAULT: a page is not
 * mapped with the needed permission or the host's memory callback failed
 * (pages before it may have been moved); -ERANGE: an MSI write with an
 * interrupt that is not the requester's (dropped); -EINVAL: bad arguments.
 */
SPHB_API int sphb_dma_extent(struct sphb_dma *h, uint64_t bus_addr, uint64_t max_len, uint64_t *gpa,
			     uint64_t *len, unsigned *perm);
SPHB_API int sphb_dma_read(struct sphb_dma *h, uint64_t bus_addr, void *buf, size_t len);
SPHB_API int sphb_dma_write(struct sphb_dma *h, uint64_t bus_addr, const void *buf, size_t len);

/* ---- device tree ------------------------------------------------------- */
/*
 * The guest-visible device-tree pieces the library owns, through callbacks so
 * a host can use any FDT library. sphb_fdt_phbs emits one node "pci@<BUID>"
 * per PHB (with a child per device): call it with the root node open.
 * sphb_fdt_rtas emits properties only (tokens of every call the library
 * implements, ibm,errinjct-tokens, rtas-error-log-max, ...): call it with
 * the /rtas node open. A non-zero callback return stops and is returned.
 */
struct sphb_fdt_ops {
	size_t sz;		/* sizeof(struct sphb_fdt_ops) */
	int (*begin_node)(void *opaque, const char *name);
	int (*end_node)(void *opaque);
	int (*property)(void *opaque, const char *name, const void *value, size_t len);
	uint32_t intc_phandle;	/* interrupt controller for interrupt-map; 0: QEMU's 0x1111 */
};
SPHB_API int sphb_fdt_phbs(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque);
SPHB_API int sphb_fdt_rtas(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque);

/* ---- guest-recovery driver -------------------------------------------- */
/*
 * A guest-side client of the RTAS entry above: the EEH core of a Linux 6.12
 * pseries guest (Linux arch/powerpc/kernel/eeh_driver.c) for a device whose EEH-aware driver
 * answers NEED_RESET. It speaks only RTAS through sphb_rtas_call(), builds its
 * argument buffers in guest memory (through its own callbacks, inside the
 * scratch area it is given) and sleeps in virtual time (sphb_clock_advance).
 *
 * sphb_guest_recover(g, dev, res) runs, in order:
 *   first use of dev: ibm,get-config-addr-info2 function 1 then 0 (its PE);
 *   detection: ibm,read-pci-config of the Vendor/Device dword; all-ones ->
 *     ibm,read-slot-reset-state2 (a PE that is not both MMIO- and DMA-active
 *     is frozen); a healthy device has its capabilities and header saved
 *     now, as Linux does at probe (and after a recovery if it was frozen
 *     at first use);
 *   freeze accounting (the (max_freezes+1)-th freeze within 3600 s of the
 *     window start is a permanent failure), eeh_wait_state, the temporary
 *     log (thaw MMIO, configure-pe, BAR restore, config dump,
 *     ibm,slot-error-detail(..., 1)), up to 3 hot resets with 250 ms hold
 *     and 1800 ms settle, BAR restore, thaw, configure-pe, thaw;
 *   permanent failure: the same log sequence ending in
 *     ibm,slot-error-detail(..., 2); the PE's devices are then removed from
 *     the guest, and later recoveries of them answer permanent-failure
 *     without RTAS traffic.
 * Freeze counts and time stamps are kept per PE across calls.
 */
struct sphb_guest;

/* Guest memory the driver needs at opts->scratch_gpa: RTAS argument buffer,
 * rtas-last-error buffer, the 2048-byte slot-error-detail return buffer and
 * the 8192-byte driver log. */
#define SPHB_GUEST_SCRATCH_SIZE 0x4000u

struct sphb_guest_opts {
	size_t sz;		/* sizeof(struct sphb_guest_opts) */
	uint64_t scratch_gpa;	/* SPHB_GUEST_SCRATCH_SIZE bytes of guest RAM */
	uint32_t max_freezes;	/* Linux eeh_max_freezes; 0 = default 5 */
};

/* One RTAS call, as the driver made it. Valid during the trace callback. */
struct sphb_guest_call {
	size_t sz;
	const char *name;	/* RTAS function name, e.g. "ibm,configure-pe" */
	uint32_t token, nargs, nret;
	const uint32_t *args;	/* nargs input words */
	const uint32_t *rets;	/* nret output words as found in guest memory */
	uint32_t rets_written;	/* bit i set: ret[i] was stored by the call */
};

/* mem_read / mem_write (required): guest physical memory, as in
 * sphb_host_ops. trace (may be NULL): called after every RTAS call. */
struct sphb_guest_ops {
	size_t sz;		/* sizeof(struct sphb_guest_ops) */
	int (*mem_read)(void *opaque, uint64_t gpa, void *buf, size_t len);
	int (*mem_write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
	void (*trace)(void *opaque, const struct sphb_guest_call *call);
};

enum sphb_guest_outcome {
	SPHB_GUEST_NOT_FROZEN = 0,	/* no error detected (or a false positive) */
	SPHB_GUEST_RECOVERED = 1,
	SPHB_GUEST_PERMANENT_FAILURE = 2,
};

struct sphb_guest_result {
	size_t sz;		/* set by the caller: sizeof(struct sphb_guest_result) */
	enum sphb_guest_outcome outcome;
	uint32_t resets;	/* reset attempts (ibm,set-slot-reset activations) */
	uint32_t calls;		/* RTAS calls made */
	uint32_t pe_addr;	/* the device's PE config address */
	uint32_t freeze_count;	/* the PE's freezes in the current window */
	uint64_t elapsed_ms;	/* virtual time that passed during the call */
};

/* -EINVAL: bad arguments; -ENOTSUP: the machine lacks an RTAS call the
 * guest needs for EEH; -ENOMEM. The machine must outlive the driver. */
SPHB_API int sphb_guest_new(struct sphb_machine *m, const struct sphb_guest_opts *opts,
			    const struct sphb_guest_ops *ops, void *opaque,
			    struct sphb_guest **out);
/* Detect and recover an EEH error on device `dev_id` (see above). Returns 0
 * with *res filled, -ENOENT for an unknown device, -ENODEV when the device
 * is in no PE (get-config-addr-info2 says so; nothing is cached), or the
 * negative errno of a failing callback / library call (the recovery stops
 * there; *res still tells the calls made and the time elapsed). */
SPHB_API int sphb_guest_recover(struct sphb_guest *g, const char *dev_id,
				struct sphb_guest_result *res);
SPHB_API void sphb_guest_free(struct sphb_guest *g);

/* ---- device tree: one walk ------------------------------------------- */
/*
 * sphb_machine_fdt: with the root node open, emit sphb_fdt_phbs()'s PHB nodes
 * and then a node "rtas" holding sphb_fdt_rtas()'s properties (for a host that
 * lets the library build its whole /rtas node). Same callbacks, same errors:
 * -EINVAL for bad arguments, else the first non-zero callback return.
 */
SPHB_API int sphb_machine_fdt(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque);

/*
 * sphb_fdt_size: what sphb_machine_fdt() would emit, measured in flattened
 * device-tree terms (Devicetree Specification 5.4, 5.5), so a host can size
 * its blob before building it: struct_bytes is exactly what the nodes and
 * properties add to the structure block; strings_bytes what their distinct
 * property names add to the strings block (at most: a host whose tree already
 * has some of these names stores them once). The PHB nodes' "reg" and
 * "ranges" assume a parent (the root node) with #address-cells and
 * #size-cells of root_address_cells and root_size_cells (2 and 2, as QEMU's
 * pseries root); each PHB node itself has #address-cells 3, #size-cells 2
 * and #interrupt-cells 1 (PCI Bus Binding to Open Firmware 2.2.1).
 * The caller sets sz. 0; -EINVAL; -ENOMEM.
 */
struct sphb_fdt_size {
	size_t sz;		/* set by the caller: sizeof(struct sphb_fdt_size) */
	size_t struct_bytes;
	size_t strings_bytes;
	unsigned nodes, properties;
	uint32_t root_address_cells, root_size_cells;
};
SPHB_API int sphb_fdt_size(struct sphb_machine *m, struct sphb_fdt_size *size);

#ifdef __cplusplus
}
#endif
#endif /* SPHB_SPHB_H */
