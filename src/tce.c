/* TCE tables (qemu-spapr-phb.md §7.1): one per DMA window, sparse (a
 * three-level radix of 4 KiB leaves allocated on the first non-zero store),
 * and translation that device threads may run concurrently with TCE updates
 * and window changes: readers take no lock; a window that goes away is freed
 * only once no translation is in flight (an in-flight counter checked by the
 * writer after unpublishing: any reader that starts later sees the new
 * window pointer). SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LEAF_BITS 9u
#define MID_BITS 9u
#define LEAF_N (1u << LEAF_BITS)
#define MID_N (1u << MID_BITS)

struct tce_leaf {
	_Atomic uint64_t e[LEAF_N];
};

struct tce_mid {
	struct tce_leaf *_Atomic leaf[MID_N];
};

struct sphb_tce_table {
	uint32_t liobn;
	unsigned page_shift;
	uint64_t bus_offset, nb;	/* window = [bus_offset, bus_offset + nb << shift) */
	size_t ntop, bytes;
	struct tce_mid *_Atomic *top;
	struct sphb_tce_table *next_retired;
};

static void table_free(struct sphb_tce_table *t)
{
	for (size_t i = 0; i < t->ntop; i++) {
		struct tce_mid *mid = atomic_load_explicit(&t->top[i], memory_order_relaxed);
		if (!mid)
			continue;
		for (unsigned j = 0; j < MID_N; j++)
			free(atomic_load_explicit(&mid->leaf[j], memory_order_relaxed));
		free(mid);
	}
	free(t->top);
	free(t);
}

struct sphb_tce_table *sphb_tce_new(uint32_t liobn, uint64_t bus_offset, unsigned page_shift,
				    uint64_t nb)
{
	struct sphb_tce_table *t;

	if (nb == 0 || nb > (1ull << 31) || page_shift < 12 || page_shift > 40)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->liobn = liobn;
	t->page_shift = page_shift;
	t->bus_offset = bus_offset;
	t->nb = nb;
	t->ntop = (size_t)((nb + (1ull << (LEAF_BITS + MID_BITS)) - 1) >> (LEAF_BITS + MID_BITS));
	t->top = calloc(t->ntop, sizeof(*t->top));
	if (!t->top) {
		free(t);
		return NULL;
	}
	t->bytes = sizeof(*t) + t->ntop * sizeof(*t->top);
	return t;
}

/* ---- publication and deferred freeing ---- */

static void reclaim(struct sphb_machine *m)
{
	struct sphb_tce_table *t;

	if (!m->retired || atomic_load(&m->dma_readers) != 0)
		return;
	while ((t = m->retired) != NULL) {
		m->retired = t->next_retired;
		table_free(t);
	}
}

void sphb_tce_publish(struct sphb_phb *phb, unsigned w, struct sphb_tce_table *t)
{
	struct sphb_machine *m = phb->m;
	struct sphb_tce_table *old = atomic_exchange(&phb->win[w], t);

	if (old) {
		old->next_retired = m->retired;
		m->retired = old;
	}
	reclaim(m);
}

void sphb_tce_machine_free(struct sphb_machine *m)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		if (!m->phbs[i])
			continue;
		for (unsigned w = 0; w < 2; w++) {
			struct sphb_tce_table *t = atomic_exchange(&m->phbs[i]->win[w], NULL);
			if (t)
				table_free(t);
		}
	}
	while (m->retired) {
		struct sphb_tce_table *t = m->retired;
		m->retired = t->next_retired;
		table_free(t);
	}
}

/* ---- entries ---- */

static _Atomic uint64_t *slot(struct sphb_tce_table *t, uint64_t i, bool create)
{
	struct tce_mid *mid = atomic_load_explicit(&t->top[i >> (LEAF_BITS + MID_BITS)],
						   memory_order_acquire);
	struct tce_leaf *leaf;

	if (!mid) {
		if (!create)
			return NULL;
		mid = calloc(1, sizeof(*mid));
		if (!mid)
			return NULL;
		t->bytes += sizeof(*mid);
		atomic_store_explicit(&t->top[i >> (LEAF_BITS + MID_BITS)], mid, memory_order_release);
	}
	leaf = atomic_load_explicit(&mid->leaf[(i >> LEAF_BITS) & (MID_N - 1)], memory_order_acquire);
	if (!leaf) {
		if (!create)
			return NULL;
		leaf = calloc(1, sizeof(*leaf));
		if (!leaf)
			return NULL;
		t->bytes += sizeof(*leaf);
		atomic_store_explicit(&mid->leaf[(i >> LEAF_BITS) & (MID_N - 1)], leaf,
				      memory_order_release);
	}
	return &leaf->e[i & (LEAF_N - 1)];
}

uint64_t sphb_tce_get(struct sphb_tce_table *t, uint64_t i)
{
	_Atomic uint64_t *s = slot(t, i, false);
	return s ? atomic_load_explicit(s, memory_order_relaxed) : 0;
}

int sphb_tce_put(struct sphb_tce_table *t, uint64_t i, uint64_t tce)
{
	_Atomic uint64_t *s = slot(t, i, tce != 0);

	if (!s)
		return tce ? -ENOMEM : 0; /* a zero store into an empty leaf */
	atomic_store_explicit(s, tce, memory_order_release);
	return 0;
}

/* index of bus address `ioba` (masked to the page), or -1 outside */
int64_t sphb_tce_index(const struct sphb_tce_table *t, uint64_t ioba)
{
	uint64_t i;

	ioba &= ~((1ull << t->page_shift) - 1);
	if (ioba < t->bus_offset)
		return -1;
	i = (ioba - t->bus_offset) >> t->page_shift;
	return i < t->nb ? (int64_t)i : -1;
}

uint64_t sphb_tce_nb(const struct sphb_tce_table *t) { return t->nb; }
unsigned sphb_tce_shift(const struct sphb_tce_table *t) { return t->page_shift; }
uint64_t sphb_tce_offset(const struct sphb_tce_table *t) { return t->bus_offset; }
uint32_t sphb_tce_liobn(const struct sphb_tce_table *t) { return t->liobn; }
size_t sphb_tce_bytes(const struct sphb_tce_table *t) { return t->bytes; }

struct sphb_tce_table *sphb_tce_by_liobn(const struct sphb_machine *m, uint64_t liobn,
					 struct sphb_phb **phbp)
{
	struct sphb_phb *phb;
	unsigned idx = (unsigned)(liobn >> 8) & 0xff, w = (unsigned)liobn & 0xff;

	if ((liobn >> 32) || !(liobn & 0x80000000u) || (liobn & 0x7fff0000u) ||
	    idx >= SPHB_MAX_PHBS || w > 1 || !(phb = m->phbs[idx]))
		return NULL;
	if (phbp)
		*phbp = phb;
	return atomic_load(&phb->win[w]);
}

/* ---- translation (any thread) ---- */

SPHB_API int sphb_dma_translate(struct sphb_machine *m, uint64_t buid, uint32_t requester,
				uint64_t bus_addr, uint64_t *gpa, unsigned *perm)
{
	struct sphb_phb *phb;
	const struct sphb_dev *d;
	int rc = -EFAULT;

	if (!m || !gpa || !perm)
		return -EINVAL;
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return -ENODEV;
	d = sphb_phb_dev(phb, (requester >> 16) & 0xff, (requester >> 8) & 0xff);
	if (d && sphb_dev_dma_stopped(d))
		return -EIO; /* PAPR: a DMA-stopped PE starts no DMA */
	atomic_fetch_add(&m->dma_readers, 1);
	for (unsigned w = 0; w < 2; w++) {
		struct sphb_tce_table *t = atomic_load(&phb->win[w]);
		int64_t i;
		uint64_t tce;

		if (!t || (i = sphb_tce_index(t, bus_addr)) < 0 || bus_addr < t->bus_offset)
			continue;
		tce = sphb_tce_get(t, (uint64_t)i);
		*perm = (unsigned)(tce & 3);
		*gpa = (tce & ~((1ull << t->page_shift) - 1)) | (bus_addr & ((1ull << t->page_shift) - 1));
		rc = *perm ? 0 : -EFAULT;
		break;
	}
	atomic_fetch_sub(&m->dma_readers, 1);
	return rc;
}
