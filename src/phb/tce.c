/* DMA windows of a PHB (QEMU 7.2 hw/ppc/spapr_iommu.c, spapr_pci.c; PAPR
 * 7.3.9 "DMA window management"): publication of a window's TCE table
 * (util/tce_table.c), the TCE hypercalls' fast paths, and translation that
 * device threads run concurrently with TCE updates and window changes:
 * readers take no lock; a window that goes away is freed only once no
 * translation is in flight (in-flight counters checked by the writer after
 * unpublishing: any reader that starts later sees the new window pointer).
 * While translations keep running, at most RETIRED_MAX unpublished tables
 * wait; one more makes the writer wait for the running translations (two
 * counters and an epoch, as SRCU: a translation that starts during the wait
 * counts on the other counter, so the wait ends). Window and TCE changes
 * reach the PHB's listeners (the VFIO host's containers).
 * SPDX-License-Identifier: MIT */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- publication and deferred freeing ---- */

#define RETIRED_MAX 8u

/* Safety: a translation that can still use a retired table loaded the
 * window pointer before the unpublish, so it was counted on one of the two
 * counters since before it; a counter seen at zero after the unpublish
 * means every such translation on it has finished. */
static bool quiescent(struct sphb_machine *m)
{
	return atomic_load(&m->dma_readers[0]) == 0 && atomic_load(&m->dma_readers[1]) == 0;
}

/* Liveness: flipping the epoch sends new translations to the other counter,
 * so the old one drains (translations are short and never block). */
static void wait_readers(struct sphb_machine *m)
{
	for (int k = 0; k < 2; k++) {
		unsigned old = atomic_fetch_add(&m->dma_epoch, 1) & 1;
		while (atomic_load(&m->dma_readers[old]) != 0)
			sched_yield();
	}
}

static void reclaim(struct sphb_machine *m)
{
	struct sphb_tce_table *t;

	if (!m->retired)
		return;
	if (!quiescent(m)) {
		if (m->nretired <= RETIRED_MAX)
			return;
		wait_readers(m);
	}
	while ((t = m->retired) != NULL) {
		m->retired = t->next_retired;
		sphb_tce_free(t);
	}
	m->nretired = 0;
}

unsigned sphb_tce_retired(const struct sphb_machine *m) { return m->nretired; }

int sphb_tce_publish(struct sphb_phb *phb, unsigned w, struct sphb_tce_table *t)
{
	struct sphb_machine *m = phb->m;
	struct sphb_tce_table *old = atomic_exchange(&phb->win[w], t);
	int rc = 0;

	sphb_dma_invalidate(phb);
	/* the same window wherever the PHB's DMA is mirrored (pass-through) */
	for (struct sphb_dma_listener *l = phb->listeners; l; l = l->next) {
		int r = 0;

		if (old)
			(void)l->ops->window(l, phb, old, false);
		if (t)
			r = l->ops->window(l, phb, t, true);
		if (r < 0 && !rc)
			rc = r;
	}
	if (old) {
		old->next_retired = m->retired;
		m->retired = old;
		m->nretired++;
	}
	reclaim(m);
	return rc;
}

void sphb_tce_machine_free(struct sphb_machine *m)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		if (!m->phbs[i])
			continue;
		for (unsigned w = 0; w < 2; w++) {
			sphb_tce_free(atomic_exchange(&m->phbs[i]->win[w], NULL));
		}
	}
	while (m->retired) {
		struct sphb_tce_table *t = m->retired;
		m->retired = t->next_retired;
		sphb_tce_free(t);
	}
	m->nretired = 0;
}

void sphb_tce_changed(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n)
{
	sphb_dma_invalidate(phb);
	for (struct sphb_dma_listener *l = phb->listeners; n && l; l = l->next)
		l->ops->entries(l, phb, t, i0, n);
}

static inline __attribute__((always_inline)) struct sphb_tce_table *
by_liobn(const struct sphb_machine *m, uint64_t liobn, struct sphb_phb **phbp)
{
	struct sphb_phb *phb;
	unsigned idx, w;

	if (!sphb_liobn_decode(liobn, &idx, &w) || !(phb = m->phbs[idx]))
		return NULL;
	if (phbp)
		*phbp = phb;
	return atomic_load(&phb->win[w]);
}

struct sphb_tce_table *sphb_tce_by_liobn(const struct sphb_machine *m, uint64_t liobn,
					 struct sphb_phb **phbp)
{
	return by_liobn(m, liobn, phbp);
}

/* The default window (QEMU's spapr_phb_dma_reset()): a fresh table of 4 KiB
 * pages at dma_win_addr/dma_win_size as window 0, no window 1. */
int sphb_dma_reset(struct sphb_phb *phb)
{
	struct sphb_tce_table *t = sphb_tce_new(sphb_liobn(phb->index, 0), phb->dma_win_addr, 12,
						phb->dma_win_size >> 12);
	if (!t)
		return -ENOMEM;
	(void)sphb_tce_publish(phb, 1, NULL);
	(void)sphb_tce_publish(phb, 0, t); /* a host refusal is logged by the listener */
	phb->win_default[0] = true;
	phb->win_default[1] = false;
	return 0;
}

/* ---- H_PUT_TCE / H_GET_TCE (QEMU 7.2 hw/ppc/spapr_iommu.c h_put_tce(),
 * h_get_tce()), here so that the LIOBN lookup and the radix walk inline
 * into them: 0 H_SUCCESS, -4 H_PARAMETER ---- */

static __attribute__((noinline)) void changed_one(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i)
{
	sphb_tce_changed(phb, t, i, 1);
}

int64_t sphb_tce_h_put(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	struct sphb_phb *phb = NULL;
	struct sphb_tce_table *t = by_liobn(m, liobn, &phb);
	_Atomic uint64_t *s;
	uint64_t i;

	if (!t || !sphb_tce_index_of(t, ioba, &i))
		return -4;
	s = sphb_tce_slot(t, i, tce != 0);
	if (s)
		atomic_store_explicit(s, tce, memory_order_release);
	else if (tce)
		return -4; /* out of memory */
	sphb_dma_invalidate(phb);
	if (phb->listeners)
		changed_one(phb, t, i);
	return 0;
}

int64_t sphb_tce_h_get(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t *tce)
{
	struct sphb_tce_table *t = by_liobn(m, liobn, NULL);
	_Atomic uint64_t *s;
	uint64_t i;

	if (!t || !sphb_tce_index_of(t, ioba, &i))
		return -4;
	s = sphb_tce_slot(t, i, false);
	*tce = s ? atomic_load_explicit(s, memory_order_relaxed) : 0;
	return 0;
}

/* ---- translation (any thread) ---- */

/* One translation against a PHB's two windows, counted as a reader so a
 * window unpublished meanwhile is not freed under it. *len (may be NULL):
 * how far the mapping goes on contiguously with the same permission. */
static inline __attribute__((always_inline)) int
xlate(struct sphb_machine *m, struct sphb_tce_table *_Atomic *win, uint64_t bus_addr,
      uint64_t *gpa, unsigned *perm, uint64_t *len)
{
	/* which counter does not matter for safety, only for the writer's wait */
	unsigned epoch = atomic_load_explicit(&m->dma_epoch, memory_order_relaxed) & 1;
	struct sphb_tce_table *t;
	uint64_t tce;
	int rc = -EFAULT;

	atomic_fetch_add_explicit(&m->dma_readers[epoch], 1, memory_order_seq_cst);
	t = atomic_load_explicit(&win[0], memory_order_seq_cst);
	if (!t || bus_addr - t->bus_offset >= t->span) {
		t = atomic_load_explicit(&win[1], memory_order_seq_cst);
		if (t && bus_addr - t->bus_offset >= t->span)
			t = NULL;
	}
	if (t) {
		tce = sphb_tce_lookup(t, bus_addr);
		*perm = (unsigned)(tce & 3);
		if (tce & 3) {
			*gpa = (tce & ~t->page_mask) | (bus_addr & t->page_mask);
			rc = 0;
			if (len) {
				/* the following pages while they continue the mapping */
				uint64_t n = t->page_mask + 1 - (bus_addr & t->page_mask), next = tce;
				uint64_t a = (bus_addr | t->page_mask) + 1;

				while (n < *len && a - t->bus_offset < t->span && a != 0) {
					uint64_t e = sphb_tce_lookup(t, a);
					if ((e & 3) != (tce & 3) ||
					    (e & ~t->page_mask) != (next & ~t->page_mask) + t->page_mask + 1)
						break;
					next = e;
					n += t->page_mask + 1;
					a += t->page_mask + 1;
				}
				*len = n < *len ? n : *len;
			}
		}
	}
	atomic_fetch_sub_explicit(&m->dma_readers[epoch], 1, memory_order_release);
	return rc;
}

int sphb_dma_walk(struct sphb_machine *m, struct sphb_tce_table *_Atomic *win, uint64_t bus_addr,
		  uint64_t *gpa, unsigned *perm, uint64_t *len)
{
	return xlate(m, win, bus_addr, gpa, perm, len);
}

/* config address of a requester: bus << 16 | devfn << 8, nothing else */
static bool requester_ok(uint32_t requester)
{
	return !(requester & ~0xffff00u);
}

SPHB_API int sphb_dma_translate(struct sphb_machine *m, uint64_t buid, uint32_t requester,
				uint64_t bus_addr, uint64_t *gpa, unsigned *perm)
{
	struct sphb_phb *phb;
	const struct sphb_func *f;

	if (!m || !gpa || !perm || !requester_ok(requester))
		return -EINVAL;
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return -ENODEV;
	f = sphb_phb_func(phb, cfg_bus(requester), cfg_devfn(requester));
	if (f && sphb_func_dma_stopped(f))
		return -EIO; /* PAPR: a DMA-stopped PE starts no DMA */
	return xlate(m, phb->win, bus_addr, gpa, perm, NULL);
}

/* ---- DMA handles: the PHB and the requester resolved once ---- */

/*
 * A handle caches translations as an IOMMU's IOTLB does: SPHB_TLB_N entries,
 * direct-mapped by 4 KiB granule, each stamped with the PHB's dma_gen when it
 * was filled. Every change of a TCE, a window or a function's DMA state bumps
 * dma_gen after it is made (release), and a lookup compares the stamp with
 * dma_gen read first (acquire), so a hit returns what a walk would have
 * returned at some point during the call. A hit touches no table (no reader
 * count needed: the entry holds values, not pointers). A handle is used by
 * one thread at a time, as one device's DMA engine; the walk on a miss is
 * the lock-free one above.
 */
static const _Atomic uint8_t never_stopped; /* no function at the requester's address */

static void bind(struct sphb_dma *h)
{
	const struct sphb_func *f = sphb_phb_func(h->phb, cfg_bus(h->requester), cfg_devfn(h->requester));

	atomic_store_explicit(&h->state, f ? &f->stopped : &never_stopped, memory_order_release);
}

void sphb_dma_rebind(struct sphb_machine *m)
{
	for (struct sphb_dma *h = m->dma_handles; h; h = h->next) {
		bind(h);
		sphb_dma_invalidate(h->phb);
	}
}

SPHB_API int sphb_dma_open(struct sphb_machine *m, uint64_t buid, uint32_t requester,
			   struct sphb_dma **out)
{
	struct sphb_phb *phb;
	struct sphb_dma *h;

	if (!m || !out || !requester_ok(requester))
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return -ENODEV;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->gen = &phb->dma_gen;
	h->win = phb->win;
	h->m = m;
	h->phb = phb;
	h->requester = requester;
	bind(h);
	h->next = m->dma_handles;
	m->dma_handles = h;
	/* stamps start at 0 and dma_gen is never 0 once a handle exists */
	sphb_dma_invalidate(phb);
	*out = h;
	return 0;
}

static __attribute__((noinline)) int xlate_miss(struct sphb_dma *h, uint64_t gen, uint64_t bus_addr,
						uint64_t *gpa, unsigned *perm)
{
	struct sphb_tlb_entry *e = &h->tlb[(bus_addr >> SPHB_GRANULE) & (SPHB_TLB_N - 1)];
	int rc;

	if (atomic_load_explicit(atomic_load_explicit(&h->state, memory_order_acquire),
				 memory_order_relaxed) & SPHB_STOPPED_DMA)
		return -EIO; /* PAPR: a DMA-stopped PE starts no DMA */
	rc = xlate(h->m, h->win, bus_addr, gpa, perm, NULL);
	if (rc == 0) {
		e->page = bus_addr >> SPHB_GRANULE;
		e->val = (*gpa & ~((1ull << SPHB_GRANULE) - 1)) | *perm;
		e->gen = gen;
	}
	return rc;
}

SPHB_API int sphb_dma_xlate(struct sphb_dma *h, uint64_t bus_addr, uint64_t *gpa, unsigned *perm)
{
	uint64_t gen = atomic_load_explicit(h->gen, memory_order_acquire);
	const struct sphb_tlb_entry *e = &h->tlb[(bus_addr >> SPHB_GRANULE) & (SPHB_TLB_N - 1)];

	if (e->gen != gen || e->page != bus_addr >> SPHB_GRANULE)
		return xlate_miss(h, gen, bus_addr, gpa, perm);
	*perm = (unsigned)(e->val & 3);
	*gpa = (e->val & ~((1ull << SPHB_GRANULE) - 1)) | (bus_addr & ((1ull << SPHB_GRANULE) - 1));
	return 0;
}

SPHB_API void sphb_dma_close(struct sphb_dma *h)
{
	struct sphb_dma **pp;

	if (!h)
		return;
	for (pp = &h->m->dma_handles; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	free(h);
}

void sphb_dma_handles_free(struct sphb_machine *m)
{
	while (m->dma_handles) {
		struct sphb_dma *h = m->dma_handles;
		m->dma_handles = h->next;
		free(h);
	}
}
