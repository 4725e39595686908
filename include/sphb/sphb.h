/*
 * sphb — the sPAPR PCI Host Bridge (PHB) with EEH, as an embeddable library.
 *
 * This is the only public header. Every object is opaque; every function
 * returns 0 (or a non-negative count) on success and a negative errno on
 * failure. What a *guest* sees (an RTAS status word, an H_* code) is data
 * written into guest memory, never a library error.
 *
 * Threading: calls on one machine must be serialized by the host.
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
#define SPHB_VERSION_MINOR 1
#define SPHB_VERSION_PATCH 0
#define SPHB_VERSION_STRING "0.1.0"
/* One integer that grows with every release: MAJOR*10000 + MINOR*100 + PATCH. */
#define SPHB_VERSION_NUMBER \
	(SPHB_VERSION_MAJOR * 10000 + SPHB_VERSION_MINOR * 100 + SPHB_VERSION_PATCH)

#if defined(SPHB_BUILDING_LIBRARY) && defined(__GNUC__)
#define SPHB_API __attribute__((visibility("default")))
#else
#define SPHB_API
#endif

/* The version string of the library actually linked ("0.1.0"). */
SPHB_API const char *sphb_version(void);

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
 * in the host device); -EINVAL for bad arguments. The same state always
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
 * sphb_dma_translate: a DMA by the function at config address `requester`
 * (bus/devfn bits) below PHB `buid` to `bus_addr`: *gpa and *perm (TCE
 * bits: 1 read, 2 write, 3 both) on success; -EFAULT: no window or no
 * mapping; -EIO: the requester's PE is DMA-stopped; -ENODEV: no such PHB.
 * It may run on any thread concurrently with sphb_hcall and with DMA-window
 * changes on the same PHB: it takes no lock and never sees freed memory.
 * Device hot-plug and EEH state changes must still be serialized with it.
 */
SPHB_API int sphb_hcall(struct sphb_machine *m, uint64_t opcode, const uint64_t *args,
			unsigned nargs, uint64_t *rets, unsigned nrets, int64_t *hret);
SPHB_API int sphb_dma_translate(struct sphb_machine *m, uint64_t buid, uint32_t requester,
				uint64_t bus_addr, uint64_t *gpa, unsigned *perm);

/*
 * DMA handles: the PHB and the requester resolved once, for a device model's
 * DMA path. sphb_dma_open(m, buid, requester, &h) -> 0, -ENODEV (no such
 * PHB), -ENOMEM; the requester need not exist yet (a function hot-plugged
 * later at that address is picked up, one removed stops blocking).
 * sphb_dma_xlate(h, ...) answers exactly as sphb_dma_translate() does for the
 * same buid and requester (-EFAULT, -EIO), with the same concurrency rules; h,
 * gpa and perm must be valid (no checks on this path). sphb_dma_close(h)
 * before sphb_machine_free(); handles still open are freed with the machine.
 */
struct sphb_dma;
SPHB_API int sphb_dma_open(struct sphb_machine *m, uint64_t buid, uint32_t requester,
			   struct sphb_dma **out);
SPHB_API int sphb_dma_xlate(struct sphb_dma *h, uint64_t bus_addr, uint64_t *gpa, unsigned *perm);
SPHB_API void sphb_dma_close(struct sphb_dma *h);

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
 * pseries guest (linux-eeh.md B.3-B.8) for a device whose EEH-aware driver
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

#ifdef __cplusplus
}
#endif
#endif /* SPHB_SPHB_H */
