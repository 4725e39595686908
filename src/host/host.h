/* The host-PE backend: the one operation through which the PHB performs
 * every EEH action on a PE. Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_BACKEND_H
#define SPHB_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

struct sphb_machine;

/* Operations, numerically equal to VFIO_EEH_PE_* (linux-eeh.md A.3). */
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

/* Host GET_STATE results (identical to the PAPR PE states). */
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

/*
 * Perform `op` on the host PE formed by the IOMMU groups `groups[0..n-1]`
 * (one container's worth). Returns the op's non-negative result (GET_STATE:
 * the state), or a negative errno: -ENODEV when there is no suitable host
 * container (n == 0 included), never an assert.
 */
int sphb_host_pe_op(struct sphb_machine *m, const int *groups, unsigned n,
		    enum sphb_pe_op op, const struct sphb_pe_err *err);

/* Simulated host (backend/sim.c): host-side state per IOMMU group. */
struct sphb_sim_group {
	int group;
	unsigned ndevs;		/* devices of the group attached to the machine */
	bool mmio_stopped, dma_stopped, reset_active;
	uint64_t busy_until_ms;	/* host recovery in progress until then */
	unsigned freezes;	/* host-detected errors and injections, for logs */
	uint32_t last_err_func;	/* PAPR Table 7-75 operation of the last injection */
	uint64_t last_err_addr;
	uint64_t err_time_ms;	/* virtual time of the last freeze */
	unsigned fail_count;	/* the next fail_count ops fail with -fail_errno */
	int fail_errno;
	bool err_injected;
};

struct sphb_sim_group *sphb_sim_group(struct sphb_machine *m, int group, bool create);
/* A fresh index (m->group_slots, m->group_bits) of n groups, for a state
 * load that replaces m->groups: NULL and 0 for none; -ENOMEM. */
int sphb_sim_groups_index(const struct sphb_sim_group *groups, unsigned n, unsigned **slots,
			  unsigned *bits);
/* A device of the group is attached (opened) / detached (released): the
 * host takes the PE over and thaws it if frozen, either way. */
void sphb_sim_group_get(struct sphb_machine *m, struct sphb_sim_group *g);
void sphb_sim_group_put(struct sphb_machine *m, int group);
/* The host's own view of the group's PE (no failure injection). */
int sphb_sim_state(const struct sphb_machine *m, const struct sphb_sim_group *g);
/* The hardware detected an error: freeze MMIO and DMA of the group's PE. */
void sphb_sim_freeze(struct sphb_machine *m, struct sphb_sim_group *g);

#endif
