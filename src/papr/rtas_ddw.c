/* Dynamic DMA windows (PAPR 7.3.27, Tables 7-115..7-119): QEMU 7.2's
 * behaviour (hw/ppc/spapr_rtas_ddw.c) except its bugs B1-B4
 * (docs/qemu-differences.md):
 * shift differences >= 32 and shifts >= 64 are parameter errors with no
 * state change, non-PHB LIOBNs are refused, removing the last non-default
 * window restores the default one, and windows never overlap (nor wrap
 * past 2^64).
 * SPDX-License-Identifier: MIT */
#include "internal.h"

#define DDW_LARGEST_BLOCK 0x80000000u		/* TCEs (QEMU >= 4.0) */
#define DDW_LARGEST_BLOCK64 0x2000000000ull

static uint32_t pgsz_mask(uint64_t pgsz)
{
	static const struct { unsigned shift; uint32_t bit; } map[] = {
		{ 12, 0x01 }, { 16, 0x02 }, { 24, 0x04 }, { 25, 0x08 }, { 26, 0x10 },
		{ 27, 0x20 }, { 28, 0x40 }, { 34, 0x80 }, { 21, 0x100 },
	};
	uint32_t mask = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(map); i++)
		if (pgsz & (1ull << map[i].shift))
			mask |= map[i].bit;
	return mask;
}

static struct sphb_phb *ddw_phb(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = sphb_phb_by_buid(m, rtas_buid(c));
	return phb && phb->ddw ? phb : NULL;
}

static unsigned active(const struct sphb_phb *phb)
{
	return (atomic_load(&phb->win[0]) ? 1u : 0u) + (atomic_load(&phb->win[1]) ? 1u : 0u);
}

void sphb_rtas_query_pe_dma_window(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb;

	if (c->nargs != 3 || (c->nret != 5 && c->nret != 6) || !(phb = ddw_phb(m, c))) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	rtas_ret(c, 1, 2 - active(phb));
	if (c->nret == 6) {
		rtas_ret(c, 2, (uint32_t)(DDW_LARGEST_BLOCK64 >> 32));
		rtas_ret(c, 3, (uint32_t)DDW_LARGEST_BLOCK64);
		rtas_ret(c, 4, pgsz_mask(phb->pgsz));
		rtas_ret(c, 5, 0); /* no DMA migration */
	} else {
		rtas_ret(c, 2, DDW_LARGEST_BLOCK);
		rtas_ret(c, 3, pgsz_mask(phb->pgsz));
		rtas_ret(c, 4, 0);
	}
	rtas_status(c, RTAS_OUT_SUCCESS);
}

/* [start, start + size) fits below 2^64 (it may end at 2^64 exactly) and
 * meets no window of the PHB; inclusive ends, so nothing wraps */
static bool place_free(const struct sphb_phb *phb, uint64_t start, uint64_t size)
{
	uint64_t last = start + (size - 1);

	if (last < start)
		return false;
	for (unsigned w = 0; w < 2; w++) {
		struct sphb_tce_table *t = atomic_load(&phb->win[w]);
		uint64_t s, l;

		if (!t)
			continue;
		s = sphb_tce_offset(t);
		l = s + ((sphb_tce_nb(t) << sphb_tce_shift(t)) - 1);
		if (start <= l && s <= last)
			return false;
	}
	return true;
}

void sphb_rtas_create_pe_dma_window(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb;
	struct sphb_tce_table *t;
	uint32_t ps = rtas_arg(c, 3), ws = rtas_arg(c, 4);
	uint64_t size, start;
	unsigned w;

	if (c->nargs != 5 || c->nret != 4 || !(phb = ddw_phb(m, c))) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	/* B1: page shifts 0-11 (PAPR), shifts >= 64 and differences >= 32 are
	 * parameter errors, checked before anything changes */
	if (ps < 12 || ps >= 64 || ws >= 64 || !(phb->pgsz & (1ull << ps)) || ws < ps ||
	    ws - ps >= 32) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	w = !atomic_load(&phb->win[0]) ? 0 : !atomic_load(&phb->win[1]) ? 1 : 2;
	if (w == 2) {
		rtas_status(c, RTAS_OUT_HW_ERROR); /* no free window */
		return;
	}
	size = 1ull << ws;
	/* QEMU: dma_win_addr when no window is active, else dma64_win_addr.
	 * B4: never on top of a window that exists: dma_win_addr when that
	 * range is free (the same choice as QEMU except after the default
	 * window was removed while the 64-bit one stayed), else dma64_win_addr,
	 * else no room (-1). A range may not wrap past 2^64. */
	start = phb->dma_win_addr;
	if (!place_free(phb, start, size)) {
		start = phb->dma64_win_addr;
		if (!place_free(phb, start, size)) {
			rtas_status(c, RTAS_OUT_HW_ERROR);
			return;
		}
	}
	t = sphb_tce_new(sphb_liobn(phb->index, w), start, ps, 1ull << (ws - ps));
	if (!t) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	if (sphb_tce_publish(phb, w, t) < 0) {
		(void)sphb_tce_publish(phb, w, NULL); /* the host could not follow: no window */
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	phb->win_default[w] = false; /* B3: a reused default LIOBN is not the default window */
	rtas_ret(c, 1, sphb_tce_liobn(t));
	rtas_ret(c, 2, (uint32_t)(start >> 32));
	rtas_ret(c, 3, (uint32_t)start);
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_remove_pe_dma_window(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_tce_table *t;
	unsigned w;
	bool was_default;

	if (c->nargs != 1 || c->nret != 1) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	/* B2: only a PHB window's LIOBN names a window */
	t = sphb_tce_by_liobn(m, rtas_arg(c, 0), &phb);
	if (!t || !phb->ddw) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	w = rtas_arg(c, 0) & 1;
	was_default = phb->win_default[w];
	(void)sphb_tce_publish(phb, w, NULL);
	phb->win_default[w] = false;
	/* PAPR: removing the last remaining non-default window restores the
	 * default window (LIOBN, location, size) */
	if (active(phb) == 0 && !was_default && sphb_dma_reset(phb)) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_reset_pe_dma_window(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb;

	if (c->nargs != 3 || c->nret != 1 || !(phb = ddw_phb(m, c))) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	rtas_status(c, sphb_dma_reset(phb) ? RTAS_OUT_HW_ERROR : RTAS_OUT_SUCCESS);
}
