/* The simulated host: a model of the Linux host kernel's VFIO EEH handling
 * (linux-eeh.md A.5) over simulated IOMMU groups. Time is virtual: a reset
 * completes its hold/settle time before it returns, as the kernel's does,
 * by advancing the machine's clock instead of sleeping.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/host.h"
#include "host/vfio.h"

/* Kernel timings: EEH_PE_RST_HOLD_TIME and EEH_PE_RST_SETTLE_TIME. */
#define HOST_RESET_HOLD_MS 250u
#define HOST_RESET_SETTLE_MS 1800u

/* The groups by number, so that the per-call EEH paths do not scan
 * m->groups (992 groups at 31 PHBs x 32 functions): open addressing over
 * 2^group_bits slots, at most a quarter of them in use (few collisions: a
 * lookup is one probe, rarely two), each holding an index into m->groups + 1. Groups are never removed (a group keeps its host state
 * when its last function goes), so indices stay valid when m->groups moves;
 * a state load replaces the array and its index together (migrate.c). */
static unsigned group_hash(int group, unsigned bits)
{
	return (unsigned)(((uint32_t)group * 2654435769u) >> (32 - bits)); /* Fibonacci hashing */
}

static unsigned *group_slot(unsigned *slots, unsigned bits, const struct sphb_sim_group *groups,
			    int group)
{
	unsigned mask = (1u << bits) - 1;

	for (unsigned s = group_hash(group, bits);; s = (s + 1) & mask) /* a free slot ends it */
		if (!slots[s] || groups[slots[s] - 1].group == group)
			return &slots[s];
}

/* slots for n groups and one more, at least 2^min_bits */
static int groups_index(const struct sphb_sim_group *groups, unsigned n, unsigned min_bits,
			unsigned **slotsp, unsigned *bitsp)
{
	unsigned bits = min_bits, *slots;

	while (4 * (n + 1) > 1u << bits)
		bits++;
	slots = calloc(1u << bits, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		*group_slot(slots, bits, groups, groups[i].group) = i + 1;
	*slotsp = slots;
	*bitsp = bits;
	return 0;
}

int sphb_sim_groups_index(const struct sphb_sim_group *groups, unsigned n, unsigned **slots,
			  unsigned *bits)
{
	*slots = NULL;
	*bits = 0;
	return n ? groups_index(groups, n, 4, slots, bits) : 0;
}

/* room for one more group: double the slots (and re-insert) when needed */
static int group_slots_reserve(struct sphb_machine *m)
{
	unsigned bits, *slots;

	if (m->group_bits && 4 * (m->ngroups + 1) <= 1u << m->group_bits)
		return 0;
	if (groups_index(m->groups, m->ngroups, m->group_bits ? m->group_bits : 4, &slots, &bits))
		return -ENOMEM;
	free(m->group_slots);
	m->group_slots = slots;
	m->group_bits = bits;
	return 0;
}

struct sphb_sim_group *sphb_sim_group(struct sphb_machine *m, int group, bool create)
{
	struct sphb_sim_group *g;
	unsigned *s;

	if (m->group_bits) {
		s = group_slot(m->group_slots, m->group_bits, m->groups, group);
		if (*s)
			return &m->groups[*s - 1];
	}
	if (!create || group_slots_reserve(m))
		return NULL;
	g = realloc(m->groups, (m->ngroups + 1) * sizeof(*g));
	if (!g)
		return NULL;
	m->groups = g;
	g = &m->groups[m->ngroups];
	memset(g, 0, sizeof(*g));
	g->group = group;
	*group_slot(m->group_slots, m->group_bits, m->groups, group) = ++m->ngroups;
	return g;
}

/* eeh_pe_change_owner(): a frozen PE is thawed (unless the host is busy with
 * it or its reset is held, when it reports itself active). */
static void change_owner(const struct sphb_machine *m, struct sphb_sim_group *g)
{
	if (m->now_ms >= g->busy_until_ms && !g->reset_active)
		g->mmio_stopped = g->dma_stopped = false;
}

void sphb_sim_group_get(struct sphb_machine *m, struct sphb_sim_group *g)
{
	g->ndevs++;
	/* linux-eeh.md A.5 ownership: opening a device (eeh_dev_open) goes
	 * through eeh_pe_change_owner() too — a function plugged into a group
	 * the host left frozen (e.g. released while the host was busy with it)
	 * starts thawed. The caller syncs the devices. */
	change_owner(m, g);
}

void sphb_sim_group_put(struct sphb_machine *m, int group)
{
	struct sphb_sim_group *g = sphb_sim_group(m, group, false);

	if (g && g->ndevs) {
		g->ndevs--;
		/* linux-eeh.md A.5 ownership: closing a device (eeh_dev_release)
		 * hands the PE back through eeh_pe_change_owner(), which thaws a
		 * frozen PE — a group's functions plugged again never find the
		 * freeze the guest left behind. */
		change_owner(m, g);
		sphb_eeh_sync(m);
	}
}

void sphb_sim_freeze(struct sphb_machine *m, struct sphb_sim_group *g)
{
	g->mmio_stopped = g->dma_stopped = true;
	g->freezes++;
	g->err_time_ms = m->now_ms;
	g->err_injected = false; /* INJECT_ERR sets it again right after */
	sphb_eeh_sync(m);
}

/* eeh_pe_get_state(): the host's view mapped to 0/1/2/4/5. */
int sphb_sim_state(const struct sphb_machine *m, const struct sphb_sim_group *g)
{
	if (m->now_ms < g->busy_until_ms)
		return SPHB_PE_STATE_UNAVAIL; /* the host is recovering above the PE */
	if (g->reset_active)
		return SPHB_PE_STATE_RESET;
	if (!g->mmio_stopped && !g->dma_stopped)
		return SPHB_PE_STATE_NORMAL;
	if (g->mmio_stopped && g->dma_stopped)
		return SPHB_PE_STATE_STOPPED;
	if (!g->mmio_stopped)
		return SPHB_PE_STATE_STOPPED_DMA;
	return SPHB_PE_STATE_UNAVAIL; /* DMA enabled only: the kernel maps it to 5 */
}

/* Reset assertion: the host keeps the functions' BARs (eeh_save_bars) and the
 * functions return to power-on state. Deactivation: the host restores them
 * and re-enables decoding (eeh_pe_reenable_devices). */
static void reset_group_devices(struct sphb_machine *m, int group, bool deactivate)
{
	static const uint32_t restored[] = { 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x3c };

	for (struct sphb_dev *d = m->devices; d; d = d->next_in_machine) {
		if (d->iommu_group != group)
			continue;
		if (!deactivate) {
			for (unsigned i = 0; i < 16; i++)
				d->host_saved[i] = sphb_cfg_read(d, 4 * i, 4);
			sphb_dev_reset(d);
			continue;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(restored); i++)
			sphb_cfg_write(d, restored[i], 4, d->host_saved[restored[i] / 4]);
		sphb_cfg_write(d, 0x0c, 1, d->host_saved[3] & 0xff);
		sphb_cfg_write(d, PCI_COMMAND, 2, d->host_saved[1] & 0x0507);
		sphb_lsi_update(d); /* INTx Disable may have come back */
	}
}

static int group_op(struct sphb_machine *m, struct sphb_sim_group *g,
		    enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	switch (op) {
	case SPHB_PE_DISABLE:
		return 0; /* the kernel never reaches the platform */
	case SPHB_PE_ENABLE:
		change_owner(m, g); /* a frozen PE is thawed */
		return 0;
	case SPHB_PE_UNFREEZE_IO:
		if (g->reset_active || m->now_ms < g->busy_until_ms)
			return 0; /* reported as active: nothing to do */
		g->mmio_stopped = false;
		return 0;
	case SPHB_PE_UNFREEZE_DMA:
		if (g->reset_active || m->now_ms < g->busy_until_ms)
			return 0;
		g->dma_stopped = false;
		return 0;
	case SPHB_PE_GET_STATE:
		return sphb_sim_state(m, g);
	case SPHB_PE_RESET_HOT:
	case SPHB_PE_RESET_FUNDAMENTAL:
		/* freeze first, block config, assert the reset and hold it */
		g->mmio_stopped = g->dma_stopped = true;
		if (!g->reset_active)
			reset_group_devices(m, g->group, false);
		g->reset_active = true;
		m->now_ms += HOST_RESET_HOLD_MS;
		return 0;
	case SPHB_PE_RESET_DEACTIVATE:
		if (g->reset_active) {
			g->reset_active = false;
			m->now_ms += HOST_RESET_SETTLE_MS;
			reset_group_devices(m, g->group, true);
		}
		/* eeh_pe_reenable_devices(): BARs restored, PE thawed */
		g->mmio_stopped = g->dma_stopped = false;
		return 0;
	case SPHB_PE_CONFIGURE:
		return 0;
	case SPHB_PE_INJECT_ERR:
		if (!err || err->func > 19)
			return -EINVAL;
		if (err->type > 1)
			return -ERANGE;
		/* one error, injected now: the PE freezes (PAPR: at most once per call) */
		sphb_sim_freeze(m, g);
		g->err_injected = true;
		g->last_err_func = err->func;
		g->last_err_addr = err->addr;
		return 0;
	}
	return -EINVAL;
}

static int pe_op(struct sphb_machine *m, const int *groups, unsigned n,
		 enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	struct sphb_sim_group *g0;

	if (n == 0)
		return -ENODEV; /* a container without groups is never EEH-capable */
	g0 = sphb_sim_group(m, groups[0], false);
#if SPHB_VFIO
	/* a group is simulated or vfio-pci's, never both (both adds check):
	 * the simulated one is found in O(1), vfio-pci's by a list walk */
	if (!g0 && sphb_vfio_owns_group(m, groups[0]))
		return n == 1 ? sphb_vfio_pe_op(m, groups[0], (unsigned)op, err) : -ENODEV;
#endif
	if ((unsigned)op > SPHB_PE_INJECT_ERR)
		return -EINVAL;
	/* The kernel applies a container-wide op to every group in attach order
	 * and returns the first non-zero result. */
	for (unsigned i = 0; i < n; i++) {
		struct sphb_sim_group *g = i ? sphb_sim_group(m, groups[i], false) : g0;
		int rc;

		if (!g || !g->ndevs)
			return -ENODEV; /* the group has no EEH PE */
		if (g->fail_count) {
			/* a host failure a test asked for (sphb_host_fail) */
			g->fail_count--;
			return -g->fail_errno;
		}
		rc = group_op(m, g, op, err);
		if (rc)
			return rc;
	}
	return 0;
}

int sphb_host_pe_op(struct sphb_machine *m, const int *groups, unsigned n,
		    enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	int rc = pe_op(m, groups, n, op, err);

	if (op != SPHB_PE_GET_STATE)
		sphb_eeh_sync(m); /* translation reads the outcome as one byte */
	return rc;
}
