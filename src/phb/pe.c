/* The PE model: which devices form a PE, its guest-visible state, and the
 * effects of a stopped PE on the devices (papr-spec.md C.5, C.6; DESIGN.md §6).
 * No I/O here: every host action goes through sphb_host_pe_op().
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/host.h"
#include "host/vfio.h"

#define PE_UNAVAIL_INFO_MS 1000u /* QEMU's Unavailable Info; Linux's minimum wait */

static uint32_t dev_cfgaddr(const struct sphb_dev *d)
{
	return (uint32_t)d->bus << 16 | (uint32_t)d->devfn << 8;
}

unsigned sphb_eeh_pe_nfuncs(const struct sphb_phb *phb, int group)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 256; i++)
		if (phb->devs[i] && phb->devs[i]->iommu_group == group)
			n++;
	return n;
}

/* Recompute the per-group PE table after a device came or went, and each
 * function's index in it (so the per-call lookups do not scan it). */
static void pes_update(struct sphb_phb *phb)
{
	unsigned w = 0;

	for (unsigned i = 0; i < phb->npes; i++) {
		struct sphb_pe *pe = &phb->pes[i];
		bool found = false;

		for (unsigned df = 0; df < 256 && !found; df++) {
			const struct sphb_dev *d = phb->devs[df];
			if (d && d->iommu_group == pe->group) {
				pe->addr = dev_cfgaddr(d); /* lowest function of the group */
				found = true;
			}
		}
		if (found)
			phb->pes[w++] = *pe;
	}
	phb->npes = w;
	for (unsigned df = 0; df < 256; df++) {
		struct sphb_dev *d = phb->devs[df];
		for (unsigned i = 0; d && d->iommu_group >= 0 && i < phb->npes; i++)
			if (phb->pes[i].group == d->iommu_group)
				d->pe_idx = i;
	}
}

/* The shared PE's group changed (hot plug): its permanent-failure mark
 * described another PE. */
static void shared_changed(struct sphb_phb *phb, int before)
{
	if (sphb_eeh_shared_group(phb) != before)
		phb->shared_pe.permanent = false;
	sphb_eeh_sync(phb->m);
}

int sphb_eeh_dev_attach(struct sphb_dev *d)
{
	struct sphb_machine *m = d->phb->m;
	struct sphb_phb *phb = d->phb;
	struct sphb_sim_group *g;
	struct sphb_pe *pes;
	unsigned i;
	int before;

	if (d->iommu_group < 0)
		return 0;
	for (struct sphb_dev *o = m->devices; o; o = o->next_in_machine) {
		if (o != d && o->iommu_group == d->iommu_group && o->phb != phb) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "sim-pci: iommu-group=%d: group %d is behind PHB '%s' already; a group cannot span PHBs",
				 d->iommu_group, d->iommu_group, o->phb->id);
			return -EINVAL;
		}
	}
#if SPHB_VFIO
	if (d->kind == DEV_SIM && sphb_vfio_owns_group(m, d->iommu_group)) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "sim-pci: iommu-group=%d: group %d belongs to a vfio-pci device of this host already",
			 d->iommu_group, d->iommu_group);
		return -EEXIST;
	}
#endif
	/* a vfio-pci group lives in the host kernel, not in the simulated host */
	g = d->kind == DEV_SIM ? sphb_sim_group(m, d->iommu_group, true) : NULL;
	if (d->kind == DEV_SIM && !g)
		return -ENOMEM;
	before = sphb_eeh_shared_group(phb);
	for (i = 0; i < phb->npes && phb->pes[i].group != d->iommu_group; i++)
		;
	if (i == phb->npes) { /* the group's first function on this PHB: a new PE */
		pes = realloc(phb->pes, (phb->npes + 1) * sizeof(*pes));
		if (!pes)
			return -ENOMEM;
		phb->pes = pes;
		memset(&phb->pes[phb->npes], 0, sizeof(*pes));
		phb->pes[phb->npes++].group = d->iommu_group;
	}
	if (g)
		sphb_sim_group_get(m, g);
	pes_update(phb);
	shared_changed(phb, before);
	return 0;
}

void sphb_eeh_dev_detach(struct sphb_dev *d)
{
	if (d->iommu_group < 0)
		return;
	int before = sphb_eeh_shared_group(d->phb);

	if (d->kind == DEV_SIM)
		sphb_sim_group_put(d->phb->m, d->iommu_group);
	pes_update(d->phb);
	shared_changed(d->phb, before);
}

/* phb->pes lists the PHB's IOMMU groups in both PE modes (kept current by
 * attach/detach), so this is the per-call evaluation QEMU does, in O(1). */
int sphb_eeh_shared_group(const struct sphb_phb *phb)
{
	return phb->npes == 1 ? phb->pes[0].group : -1; /* 0 or >= 2 groups: none */
}

struct sphb_pe *sphb_eeh_pe_of_dev(const struct sphb_dev *d)
{
	struct sphb_phb *phb = d->phb;

	if (d->iommu_group < 0)
		return NULL;
	if (!phb->per_group) /* no PE while EEH is unavailable (0 or >= 2 groups) */
		return sphb_eeh_shared_group(phb) >= 0 ? &phb->shared_pe : NULL;
	if (d->pe_idx < phb->npes && phb->pes[d->pe_idx].group == d->iommu_group)
		return &phb->pes[d->pe_idx];
	for (unsigned i = 0; i < phb->npes; i++) /* not attached yet */
		if (phb->pes[i].group == d->iommu_group)
			return &phb->pes[i];
	return NULL;
}

struct sphb_pe *sphb_eeh_pe_lookup(struct sphb_phb *phb, uint32_t cfg)
{
	const struct sphb_dev *d = sphb_phb_dev(phb, (cfg >> 16) & 0xff, (cfg >> 8) & 0xff);

	return d ? sphb_eeh_pe_of_dev(d) : NULL;
}

static const struct sphb_sim_group *dev_group(const struct sphb_dev *d)
{
	if (d->iommu_group < 0)
		return NULL;
	return sphb_sim_group(d->phb->m, d->iommu_group, false);
}

static bool pe_permanent(const struct sphb_dev *d)
{
	const struct sphb_pe *pe = sphb_eeh_pe_of_dev(d);
	return pe && pe->permanent;
}

/* What the function's PE stops, from the simulated host's group state and
 * the PE's permanent-failure mark. */
static uint8_t dev_stopped(const struct sphb_dev *d)
{
	const struct sphb_sim_group *g = dev_group(d);
	bool all;

	if (!g)
		return 0;
	all = g->reset_active || pe_permanent(d);
	return (uint8_t)((all || g->mmio_stopped ? SPHB_STOPPED_MMIO : 0) |
			 (all || g->dma_stopped ? SPHB_STOPPED_DMA : 0));
}

void sphb_eeh_sync(struct sphb_machine *m)
{
	for (struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		atomic_store_explicit(&d->stopped, dev_stopped(d), memory_order_relaxed);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			sphb_dma_invalidate(m->phbs[i]); /* handles' cached translations */
}

void sphb_eeh_dev_error(struct sphb_dev *d)
{
	struct sphb_sim_group *g;

	if (d->iommu_group < 0)
		return;
	g = sphb_sim_group(d->phb->m, d->iommu_group, false);
	if (g && !g->mmio_stopped)
		sphb_sim_freeze(d->phb->m, g);
}

int sphb_eeh_op(struct sphb_phb *phb, struct sphb_pe *pe, int op, const void *err)
{
	int group = pe->group;

	return sphb_host_pe_op(phb->m, &group, group >= 0 ? 1 : 0, (enum sphb_pe_op)op,
			       (const struct sphb_pe_err *)err);
}

int sphb_eeh_pe_state(struct sphb_phb *phb, struct sphb_pe *pe, uint32_t *info)
{
	const struct sphb_sim_group *g;
	int st;

	*info = PE_UNAVAIL_INFO_MS;
	if (pe->permanent) {
		*info = 0; /* permanently unavailable */
		return SPHB_PE_STATE_UNAVAIL;
	}
	st = sphb_eeh_op(phb, pe, SPHB_PE_GET_STATE, NULL);
	if (st != SPHB_PE_STATE_UNAVAIL)
		return st;
	g = pe->group >= 0 ? sphb_sim_group(phb->m, pe->group, false) : NULL;
	if (g && phb->m->now_ms < g->busy_until_ms) {
		uint64_t left = g->busy_until_ms - phb->m->now_ms;
		*info = left > PE_UNAVAIL_INFO_MS ? (uint32_t)(left > UINT32_MAX ? UINT32_MAX : left)
						  : PE_UNAVAIL_INFO_MS;
	}
	return st;
}

void sphb_eeh_msix_prereset(struct sphb_phb *phb, int group)
{
	for (unsigned i = 0; i < 256; i++) {
		struct sphb_dev *d = phb->devs[i];
		if (d && d->iommu_group >= 0 && (group < 0 || d->iommu_group == group))
			sphb_dev_msix_prereset(d);
	}
}

void sphb_eeh_phb_reset(struct sphb_phb *phb)
{
	if (!phb->per_group) {
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		phb->shared_pe.permanent = false;
		if (phb->shared_pe.group >= 0)
			(void)sphb_eeh_op(phb, &phb->shared_pe, SPHB_PE_ENABLE, NULL);
		sphb_eeh_sync(phb->m);
		return;
	}
	for (unsigned i = 0; i < phb->npes; i++) {
		phb->pes[i].permanent = false;
		(void)sphb_eeh_op(phb, &phb->pes[i], SPHB_PE_ENABLE, NULL);
	}
	sphb_eeh_sync(phb->m);
}
