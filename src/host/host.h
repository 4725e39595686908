/* The host layer: IOMMU groups and the hosts that own them. A group is one
 * host PE: the PE model (phb/pe.c) performs every EEH action on it through
 * its owner's operations (as QEMU's one EEH operation on the PHB's DMA
 * address space, hw/vfio/common.c vfio_eeh_as_op(): -ENODEV when there is
 * no suitable host, never an assert),
 * and reads no owner's state. Owners: the simulated host (sim.c: a model of
 * Linux's VFIO EEH handling, for sim-pci and VMM functions with
 * iommu-group=N) and Linux VFIO (vfio.c, with the vfio-pci function kind).
 * One registry maps group numbers to groups; no owner calls another.
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_HOST_H
#define SPHB_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"

/* Operations, numerically equal to VFIO_EEH_PE_* (Linux
 * include/uapi/linux/vfio.h, handled by vfio_spapr_iommu_eeh_ioctl()). */
enum sphb_pe_op {
	SPHB_PE_DISABLE = 0,
	SPHB_PE_ENABLE = 1,
	SPHB_PE_UNFREEZE_IO = 2,
	SPHB_PE_UNFREEZE_DMA = 3,
	SPHB_PE_GET_STATE = 4,
	SPHB_PE_RESET_DEACTIVATE = 5,
	SPHB_PE_RESET_HOT = 6,
	SPHB_PE_RESET_FUNDAMENTAL = 7,
	SPHB_PE_CONFIGURE = 8,
	SPHB_PE_INJECT_ERR = 9,
};

/* GET_STATE results, identical to the PAPR PE states (PAPR Table 7-60). */
enum sphb_pe_state {
	SPHB_PE_STATE_NORMAL = 0,
	SPHB_PE_STATE_RESET = 1,
	SPHB_PE_STATE_STOPPED = 2,
	SPHB_PE_STATE_STOPPED_DMA = 4,
	SPHB_PE_STATE_UNAVAIL = 5,
};

struct sphb_pe_err {
	uint32_t type; /* 0: 32-bit, 1: 64-bit */
	uint32_t func; /* 0..19, PAPR Table 7-75 */
	uint64_t addr, mask;
};

struct sphb_group;

/* What the host recorded of the PE's last error (for the PAPR error log). */
struct sphb_host_error {
	bool injected;		/* the last freeze came from an injection */
	uint32_t func;		/* its PAPR Table 7-75 operation */
	uint64_t addr;		/* its address */
	uint64_t time_ms;	/* virtual time of the last freeze */
	unsigned freezes;	/* freezes the host saw */
};

/* What a group's owner does. Required: pe_op, stopped. */
struct sphb_group_ops {
	const char *owner;	/* for messages */
	/* one EEH operation on the group's PE: the op's non-negative result
	 * (GET_STATE: the state) or a negative errno (-ENODEV: no suitable
	 * host PE); never asserts */
	int (*pe_op)(struct sphb_group *g, enum sphb_pe_op op, const struct sphb_pe_err *err);
	/* what the host stops now: SPHB_STOPPED_MMIO | SPHB_STOPPED_DMA */
	uint8_t (*stopped)(const struct sphb_group *g);
	/* optional: milliseconds the host stays busy with the PE (0: not) */
	uint64_t (*busy_ms)(const struct sphb_group *g);
	/* optional: a hardware-detected error on one of its functions (a load
	 * nobody claimed): the host freezes the PE (real hardware does it by
	 * itself, so the VFIO owner has none) */
	void (*hw_error)(struct sphb_group *g);
	/* optional: the host's record of the last error (zeros without it) */
	void (*last_error)(const struct sphb_group *g, struct sphb_host_error *e);
	/* optional: membership changed (after joining, before leaving) */
	void (*joined)(struct sphb_group *g, struct sphb_func *f);
	void (*left)(struct sphb_group *g, struct sphb_func *f);
};

struct sphb_group {
	int number;
	const struct sphb_group_ops *ops;
	struct sphb_machine *m;
	struct sphb_phb *phb;		/* its functions' PHB (a group cannot span PHBs) */
	struct sphb_func *members;	/* through next_in_group, newest first */
	unsigned nmembers;
};

/* ---- group.c: the registry ---- */
struct sphb_group *sphb_group_find(const struct sphb_machine *m, int number);
/* Register a new group (its number not yet registered). 0, -ENOMEM; never
 * fails after sphb_group_reserve() made room for it. */
int sphb_group_register(struct sphb_machine *m, struct sphb_group *g);
int sphb_group_reserve(struct sphb_machine *m, unsigned extra);
void sphb_group_unregister(struct sphb_machine *m, struct sphb_group *g);
/* A function joins / leaves its group: membership, the group's PHB, the
 * owner's joined/left. A join that would make the group span two PHBs is
 * refused (-EINVAL, logged). */
int sphb_group_join(struct sphb_group *g, struct sphb_func *f);
void sphb_group_leave(struct sphb_group *g, struct sphb_func *f);
void sphb_groups_free(struct sphb_machine *m);

/* ---- sim.c: the simulated host (Linux's VFIO EEH handling, modelled) ---- */

/* Host state of a simulated group. */
struct sphb_sim_group {
	struct sphb_group g;
	bool mmio_stopped, dma_stopped, reset_active;
	uint64_t busy_until_ms;	/* host recovery in progress until then */
	unsigned freezes;	/* host-detected errors and injections, for logs */
	uint32_t last_err_func;	/* PAPR Table 7-75 operation of the last injection */
	uint64_t last_err_addr;
	uint64_t err_time_ms;	/* virtual time of the last freeze */
	unsigned fail_count;	/* the next fail_count ops fail with -fail_errno */
	int fail_errno;
	bool err_injected;
	/* headers the host saved when it asserted a reset (eeh_save_bars) */
	struct sim_saved { struct sphb_func *f; uint32_t hdr[16]; } *saved;
	unsigned nsaved;
};

/* The simulated group `number` (created when asked and unregistered), or
 * NULL: absent, out of memory, or owned by another host. */
struct sphb_sim_group *sphb_sim_group(struct sphb_machine *m, int number, bool create);
struct sphb_sim_group *sphb_sim_of(struct sphb_group *g); /* NULL: not simulated */
void sphb_sim_freeze(struct sphb_sim_group *s);
int sphb_sim_state(const struct sphb_sim_group *s);
void sphb_sim_free(struct sphb_machine *m);
/* save/restore of the simulated host (docs/migration.md, GROUP sections) */
struct sphb_wr;
struct sphb_rd;
struct sphb_loader;
void sphb_sim_save(struct sphb_machine *m, struct sphb_wr *w, unsigned sec_type);
/* staging of one GROUP section; NULL on error (logged through L) */
struct sphb_sim_staging;
struct sphb_sim_staging *sphb_sim_load(struct sphb_loader *L, struct sphb_rd *r, int number,
				       uint64_t now_ms, struct sphb_sim_staging *list);
/* every group this machine has that holds functions is in the staging */
int sphb_sim_load_check(struct sphb_loader *L, const struct sphb_sim_staging *list, uint32_t nsections);
void sphb_sim_commit(struct sphb_machine *m, struct sphb_sim_staging *list);
void sphb_sim_discard(struct sphb_sim_staging *list);
unsigned sphb_sim_ngroups(const struct sphb_machine *m);

/* ---- vfio.c, vfio_pci.c: Linux VFIO (built on Linux only) ---- */
/* the vfio-pci kind: host=DDDD:BB:DD.F below `phb` (placed already: the
 * host's container is per PHB); the group comes from the host */
int sphb_vfio_pci_create(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb,
			 struct sphb_func **out);
void sphb_vfio_machine_free(struct sphb_machine *m);

#endif
