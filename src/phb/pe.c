/* The PE model: which functions form a PE, its guest-visible state, and the
 * effects of a stopped PE on its functions (PAPR 7.3.11 "Enhanced I/O Error
 * Handling"; pe-mode shared as QEMU 7.2's spapr_pci.c, per-group one PE per
 * IOMMU group). No I/O and no owner's state here: every host action is the
 * group owner's operation (host/host.h). Work is proportional to the
 * functions of the PE concerned, not to the machine's size.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PE_UNAVAIL_INFO_MS 1000u /* QEMU's Unavailable Info; Linux's minimum wait */

unsigned sphb_eeh_pe_nfuncs(const struct sphb_phb *phb, int group)
{
	const struct sphb_group *g = group >= 0 ? sphb_group_find(phb->m, group) : NULL;

	return g && g->phb == phb ? g->nmembers : 0;
}

/* The PE table after a function came or went: a PE per group of the PHB,
 * its address the config address of the group's lowest function (PAPR
 * Table 7-60 note: the PE configuration address). */
static void pes_update(struct sphb_phb *phb)
{
	unsigned w = 0;

	for (unsigned i = 0; i < phb->npes; i++) {
		struct sphb_pe *pe = &phb->pes[i];
		const struct sphb_group *g = sphb_group_find(phb->m, pe->group);
		const struct sphb_func *low = NULL;

		for (const struct sphb_func *f = g && g->phb == phb ? g->members : NULL; f; f = f->next_in_group)
			if (!low || f->devfn < low->devfn)
				low = f;
		if (!low)
			continue; /* the group left the PHB */
		pe->addr = sphb_func_cfg_addr(low);
		phb->pes[w++] = *pe;
	}
	phb->npes = w;
	for (unsigned i = 0; i < phb->npes; i++) {
		struct sphb_group *g = sphb_group_find(phb->m, phb->pes[i].group);
		for (struct sphb_func *f = g->members; f; f = f->next_in_group)
			f->pe_idx = i;
	}
}

/* The shared PE's group changed (hot plug): its permanent-failure mark
 * described another PE, and every function of the PHB may have moved in or
 * out of the shared PE. */
static void shared_changed(struct sphb_phb *phb, int before)
{
	if (sphb_eeh_shared_group(phb) == before)
		return;
	phb->shared_pe.permanent = false;
	sphb_pe_sync_phb(phb);
}

int sphb_pe_attach(struct sphb_func *f)
{
	struct sphb_phb *phb = f->phb;
	struct sphb_group *g = f->group;
	struct sphb_pe *pes;
	unsigned i;
	int before, rc;

	if (!g && f->iommu_group >= 0) {
		/* iommu-group=N: a group of the simulated host */
		struct sphb_sim_group *s = sphb_sim_group(f->m, f->iommu_group, false);
		struct sphb_group *other = sphb_group_find(f->m, f->iommu_group);

		if (other && !s) {
			sphb_log(f->m, SPHB_LOG_ERROR,
				 "%s: iommu-group=%d: group %d belongs to the %s (a vfio-pci device) already",
				 f->type, f->iommu_group, f->iommu_group, other->ops->owner);
			return -EEXIST;
		}
		if (!s)
			s = sphb_sim_group(f->m, f->iommu_group, true);
		if (!s)
			return -ENOMEM;
		g = &s->g;
	}
	if (!g)
		return 0; /* emulated: in no PE */
	before = sphb_eeh_shared_group(phb);
	for (i = 0; i < phb->npes && phb->pes[i].group != g->number; i++)
		;
	if (i == phb->npes) { /* the group's first function on this PHB: a new PE */
		pes = realloc(phb->pes, (phb->npes + 1) * sizeof(*pes));
		if (!pes)
			return -ENOMEM;
		phb->pes = pes;
	}
	rc = sphb_group_join(g, f);
	if (rc)
		return rc;
	f->iommu_group = g->number;
	if (i == phb->npes) {
		memset(&phb->pes[phb->npes], 0, sizeof(*pes));
		phb->pes[phb->npes++].group = g->number;
	}
	pes_update(phb);
	shared_changed(phb, before);
	sphb_pe_sync_group(g);
	return 0;
}

void sphb_pe_detach(struct sphb_func *f)
{
	struct sphb_group *g = f->group;
	struct sphb_phb *phb = f->phb;
	int before;

	if (!g)
		return;
	before = sphb_eeh_shared_group(phb);
	sphb_group_leave(g, f);
	pes_update(phb);
	shared_changed(phb, before);
	sphb_pe_sync_group(g);
}

/* phb->pes lists the PHB's IOMMU groups in both PE modes (kept current by
 * attach/detach), so this is the per-call evaluation QEMU does, in O(1). */
int sphb_eeh_shared_group(const struct sphb_phb *phb)
{
	return phb->npes == 1 ? phb->pes[0].group : -1; /* 0 or >= 2 groups: none */
}

struct sphb_pe *sphb_eeh_pe_of_func(const struct sphb_func *f)
{
	struct sphb_phb *phb = f->phb;

	if (!f->group)
		return NULL;
	if (!phb->per_group) /* no PE while EEH is unavailable (0 or >= 2 groups) */
		return sphb_eeh_shared_group(phb) >= 0 ? &phb->shared_pe : NULL;
	if (f->pe_idx < phb->npes && phb->pes[f->pe_idx].group == f->iommu_group)
		return &phb->pes[f->pe_idx];
	return NULL;
}

struct sphb_pe *sphb_eeh_pe_lookup(struct sphb_phb *phb, uint32_t cfg)
{
	const struct sphb_func *f = sphb_phb_func(phb, cfg_bus(cfg), cfg_devfn(cfg));

	return f ? sphb_eeh_pe_of_func(f) : NULL;
}

uint32_t sphb_eeh_func_pe_addr(const struct sphb_func *f)
{
	const struct sphb_pe *pe = sphb_eeh_pe_of_func(f);

	if (!f->phb->per_group)
		return sphb_shared_pe_addr(f->bus);
	return pe ? pe->addr : 0;
}

/* What the function's PE stops: the host's state, and everything once the
 * PE is permanently unavailable. */
static uint8_t func_stopped(const struct sphb_func *f)
{
	const struct sphb_pe *pe;

	if (!f->group)
		return 0;
	pe = sphb_eeh_pe_of_func(f);
	if (pe && pe->permanent)
		return SPHB_STOPPED_MMIO | SPHB_STOPPED_DMA;
	return f->group->ops->stopped(f->group);
}

static void sync_func(struct sphb_func *f)
{
	uint8_t now = func_stopped(f);
	uint8_t was = atomic_exchange_explicit(&f->stopped, now, memory_order_relaxed);

	if ((now ^ was) & SPHB_STOPPED_MMIO)
		sphb_func_maps_update(f, false); /* directly mapped BARs go or come back */
}

void sphb_pe_sync_group(struct sphb_group *g)
{
	for (struct sphb_func *f = g->members; f; f = f->next_in_group)
		sync_func(f);
	if (g->phb)
		sphb_dma_invalidate(g->phb); /* handles' cached translations */
}

void sphb_pe_sync_phb(struct sphb_phb *phb)
{
	for (unsigned i = 0; i < phb->npes; i++) {
		struct sphb_group *g = sphb_group_find(phb->m, phb->pes[i].group);
		if (g)
			for (struct sphb_func *f = g->members; f; f = f->next_in_group)
				sync_func(f);
	}
	sphb_dma_invalidate(phb);
}

void sphb_pe_sync_all(struct sphb_machine *m)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			sphb_pe_sync_phb(m->phbs[i]);
}

void sphb_pe_hw_error(struct sphb_func *f)
{
	struct sphb_group *g = f->group;

	if (!g || !g->ops->hw_error)
		return;
	g->ops->hw_error(g);
	sphb_pe_sync_group(g);
}

static struct sphb_group *pe_group(struct sphb_phb *phb, const struct sphb_pe *pe)
{
	struct sphb_group *g = pe->group >= 0 ? sphb_group_find(phb->m, pe->group) : NULL;

	return g && g->phb == phb ? g : NULL;
}

int sphb_eeh_op(struct sphb_phb *phb, struct sphb_pe *pe, enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	struct sphb_group *g = pe_group(phb, pe);
	int rc;

	if (!g)
		return -ENODEV; /* a container without groups is never EEH-capable */
	rc = g->ops->pe_op(g, op, err);
	if (op != SPHB_PE_GET_STATE)
		sphb_pe_sync_group(g);
	return rc;
}

int sphb_eeh_pe_state(struct sphb_phb *phb, struct sphb_pe *pe, uint32_t *info)
{
	struct sphb_group *g;
	int st;

	*info = PE_UNAVAIL_INFO_MS;
	if (pe->permanent) {
		*info = 0; /* permanently unavailable */
		return SPHB_PE_STATE_UNAVAIL;
	}
	st = sphb_eeh_op(phb, pe, SPHB_PE_GET_STATE, NULL);
	if (st != SPHB_PE_STATE_UNAVAIL)
		return st;
	g = pe_group(phb, pe);
	if (g && g->ops->busy_ms) {
		uint64_t left = g->ops->busy_ms(g);
		if (left > PE_UNAVAIL_INFO_MS)
			*info = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	return st;
}

void sphb_eeh_msix_prereset(struct sphb_phb *phb, const struct sphb_pe *pe)
{
	struct sphb_group *g = pe_group(phb, pe);

	for (struct sphb_func *f = g ? g->members : NULL; f; f = f->next_in_group)
		sphb_func_msix_prereset(f);
}

void sphb_eeh_phb_reset(struct sphb_phb *phb)
{
	if (!phb->per_group) {
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		phb->shared_pe.permanent = false;
		if (phb->shared_pe.group >= 0)
			(void)sphb_eeh_op(phb, &phb->shared_pe, SPHB_PE_ENABLE, NULL);
		sphb_pe_sync_phb(phb);
		return;
	}
	for (unsigned i = 0; i < phb->npes; i++) {
		phb->pes[i].permanent = false;
		(void)sphb_eeh_op(phb, &phb->pes[i], SPHB_PE_ENABLE, NULL);
	}
	sphb_pe_sync_phb(phb);
}
