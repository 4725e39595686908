/* TCE tables (qemu-spapr-phb.md §7.1): one per DMA window, sparse (a
 * three-level radix of 4 KiB leaves allocated on the first non-zero store),
 * and translation that device threads may run concurrently with TCE updates
 * and window changes: readers take no lock; a window that goes away is freed
 * only once no translation is in flight (in-flight counters checked by the
 * writer after unpublishing: any reader that starts later sees the new
 * window pointer). While translations keep running, at most RETIRED_MAX
 * unpublished tables wait; one more makes the writer wait for the running
 * translations (two counters and an epoch, as SRCU: a translation that
 * starts during the wait counts on the other counter, so the wait ends).
 * SPDX-License-Identifier: MIT */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/vfio.h"

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
	uint64_t span, page_mask;	/* nb << shift, (1 << shift) - 1: for translation */
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

void sphb_tce_free(struct sphb_tce_table *t)
{
	if (t)
		table_free(t);
}

struct sphb_tce_table *sphb_tce_new(uint32_t liobn, uint64_t bus_offset, unsigned page_shift,
				    uint64_t nb)
{
	struct sphb_tce_table *t;

	if (nb == 0 || nb > (1ull << 31) || page_shift < 12 || page_shift > 40 ||
	    nb > (UINT64_MAX >> page_shift) || (nb << page_shift) - 1 > UINT64_MAX - bus_offset)
		return NULL; /* translation needs [bus_offset, + span) inside 64 bits */
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->liobn = liobn;
	t->page_shift = page_shift;
	t->bus_offset = bus_offset;
	t->nb = nb;
	t->span = nb << page_shift;
	t->page_mask = (1ull << page_shift) - 1;
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
		table_free(t);
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

#if SPHB_VFIO
	/* the same window in every host container of the PHB (pass-through) */
	if (old)
		(void)sphb_vfio_window(phb, old, false);
	if (t)
		rc = sphb_vfio_window(phb, t, true);
#endif
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
	m->nretired = 0;
}

/* ---- entries ---- */

static inline __attribute__((always_inline)) _Atomic uint64_t *slot(struct sphb_tce_table *t, uint64_t i, bool create)
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

/* Store n entries from i (the caller checked i + n <= nb): a big-endian list
 * (INDIRECT) or, with list NULL, the same value n times (STUFF). One radix
 * walk per 512-entry leaf. Returns the number of entries written. */
uint64_t sphb_tce_put_run(struct sphb_tce_table *t, uint64_t i, const uint8_t *list, uint64_t value,
			  uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t idx = i + done, chunk = LEAF_N - (idx & (LEAF_N - 1));
		_Atomic uint64_t *s;

		if (chunk > n - done)
			chunk = n - done;
		s = slot(t, idx, false);
		if (!s) {
			/* clearing entries of a leaf that does not exist allocates nothing */
			bool zero = value == 0;
			if (list)
				for (uint64_t k = 0; zero && k < 8 * chunk; k++)
					zero = list[8 * done + k] == 0;
			if (zero) {
				done += chunk;
				continue;
			}
			s = slot(t, idx, true);
			if (!s)
				return done; /* out of memory: the entries before stay written */
		}
		for (uint64_t k = 0; k < chunk; k++) {
			uint64_t v = value;
			if (list) {
				const uint8_t *p = list + 8 * (done + k);
				v = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
				    (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
				    (uint64_t)p[6] << 8 | p[7];
			}
			atomic_store_explicit(&s[k], v, memory_order_release);
		}
		done += chunk;
	}
	return done;
}

void sphb_tce_changed(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n)
{
	sphb_dma_invalidate(phb);
#if SPHB_VFIO
	if (n)
		(void)sphb_vfio_tce_update(phb, t, i0, n);
#else
	(void)phb; (void)t; (void)i0; (void)n;
#endif
}

/* populated leaves: a walk over the entries in use skips the empty parts */
static bool leaf_present(struct sphb_tce_table *t, uint64_t i)
{
	struct tce_mid *mid = atomic_load_explicit(&t->top[i >> (LEAF_BITS + MID_BITS)],
						   memory_order_acquire);
	return mid && atomic_load_explicit(&mid->leaf[(i >> LEAF_BITS) & (MID_N - 1)],
					   memory_order_acquire);
}

uint64_t sphb_tce_next_used(struct sphb_tce_table *t, uint64_t i)
{
	while (i < t->nb) {
		if (!atomic_load_explicit(&t->top[i >> (LEAF_BITS + MID_BITS)], memory_order_acquire))
			i = ((i >> (LEAF_BITS + MID_BITS)) + 1) << (LEAF_BITS + MID_BITS);
		else if (!leaf_present(t, i))
			i = ((i >> LEAF_BITS) + 1) << LEAF_BITS;
		else
			return i;
	}
	return t->nb;
}

uint64_t sphb_tce_used_end(struct sphb_tce_table *t, uint64_t i)
{
	while (i < t->nb && leaf_present(t, i))
		i = ((i >> LEAF_BITS) + 1) << LEAF_BITS;
	return i < t->nb ? i : t->nb;
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

/* entry index of bus address `ioba` (masked to the page); false outside */
static inline bool index_of(const struct sphb_tce_table *t, uint64_t ioba, uint64_t *i)
{
	ioba &= ~((1ull << t->page_shift) - 1);
	*i = (ioba - t->bus_offset) >> t->page_shift;
	return ioba >= t->bus_offset && *i < t->nb;
}

int64_t sphb_tce_index(const struct sphb_tce_table *t, uint64_t ioba)
{
	uint64_t i;
	return index_of(t, ioba, &i) ? (int64_t)i : -1;
}

uint64_t sphb_tce_nb(const struct sphb_tce_table *t) { return t->nb; }
unsigned sphb_tce_shift(const struct sphb_tce_table *t) { return t->page_shift; }
uint64_t sphb_tce_offset(const struct sphb_tce_table *t) { return t->bus_offset; }
uint32_t sphb_tce_liobn(const struct sphb_tce_table *t) { return t->liobn; }
size_t sphb_tce_bytes(const struct sphb_tce_table *t) { return t->bytes; }

static inline __attribute__((always_inline)) struct sphb_tce_table *
by_liobn(const struct sphb_machine *m, uint64_t liobn, struct sphb_phb **phbp)
{
	struct sphb_phb *phb;
	unsigned idx = (unsigned)(liobn >> 8) & 0xff, w = (unsigned)liobn & 1;

	/* 0x80000000 | index << 8 | window (0 or 1), nothing else */
	if ((liobn & ~(uint64_t)0xff01) != 0x80000000u || idx >= SPHB_MAX_PHBS ||
	    !(phb = m->phbs[idx]))
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

/* ---- translation (any thread) ---- */

/* H_PUT_TCE / H_GET_TCE (qemu-spapr-phb.md §7.2), here so that the LIOBN
 * lookup and the radix walk inline into them: 0 H_SUCCESS, -4 H_PARAMETER */
int64_t sphb_tce_h_put(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	struct sphb_phb *phb = NULL;
	struct sphb_tce_table *t = by_liobn(m, liobn, &phb);
	_Atomic uint64_t *s;
	uint64_t i;

	if (!t || !index_of(t, ioba, &i))
		return -4;
	s = slot(t, i, tce != 0);
	if (s)
		atomic_store_explicit(s, tce, memory_order_release);
	else if (tce)
		return -4; /* out of memory */
	sphb_dma_invalidate(phb);
	if (m->vfio)
		sphb_tce_changed(phb, t, i, 1);
	return 0;
}

int64_t sphb_tce_h_get(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t *tce)
{
	struct sphb_tce_table *t = by_liobn(m, liobn, NULL);
	_Atomic uint64_t *s;
	uint64_t i;

	if (!t || !index_of(t, ioba, &i))
		return -4;
	s = slot(t, i, false);
	*tce = s ? atomic_load_explicit(s, memory_order_relaxed) : 0;
	return 0;
}

/* One translation against a PHB's two windows, counted as a reader so a
 * window unpublished meanwhile is not freed under it. */
static inline __attribute__((always_inline)) int
xlate(struct sphb_machine *m, struct sphb_tce_table *_Atomic *win, uint64_t bus_addr,
      uint64_t *gpa, unsigned *perm)
{
	/* which counter does not matter for safety, only for the writer's wait */
	unsigned epoch = atomic_load_explicit(&m->dma_epoch, memory_order_relaxed) & 1;
	struct sphb_tce_table *t;
	uint64_t i, tce = 0;
	int rc = -EFAULT;

	atomic_fetch_add_explicit(&m->dma_readers[epoch], 1, memory_order_seq_cst);
	t = atomic_load_explicit(&win[0], memory_order_seq_cst);
	if (!t || bus_addr - t->bus_offset >= t->span) {
		t = atomic_load_explicit(&win[1], memory_order_seq_cst);
		if (t && bus_addr - t->bus_offset >= t->span)
			t = NULL;
	}
	if (t) {
		struct tce_mid *mid;
		struct tce_leaf *leaf;

		i = (bus_addr - t->bus_offset) >> t->page_shift;
		mid = atomic_load_explicit(&t->top[i >> (LEAF_BITS + MID_BITS)], memory_order_acquire);
		leaf = mid ? atomic_load_explicit(&mid->leaf[(i >> LEAF_BITS) & (MID_N - 1)],
						  memory_order_acquire) : NULL;
		if (leaf)
			tce = atomic_load_explicit(&leaf->e[i & (LEAF_N - 1)], memory_order_relaxed);
		*perm = (unsigned)(tce & 3);
		if (tce & 3) {
			*gpa = (tce & ~t->page_mask) | (bus_addr & t->page_mask);
			rc = 0;
		}
	}
	atomic_fetch_sub_explicit(&m->dma_readers[epoch], 1, memory_order_release);
	return rc;
}

SPHB_API int sphb_dma_translate(struct sphb_machine *m, uint64_t buid, uint32_t requester,
				uint64_t bus_addr, uint64_t *gpa, unsigned *perm)
{
	struct sphb_phb *phb;
	const struct sphb_dev *d;

	if (!m || !gpa || !perm)
		return -EINVAL;
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return -ENODEV;
	d = sphb_phb_dev(phb, (requester >> 16) & 0xff, (requester >> 8) & 0xff);
	if (d && sphb_dev_dma_stopped(d))
		return -EIO; /* PAPR: a DMA-stopped PE starts no DMA */
	return xlate(m, phb->win, bus_addr, gpa, perm);
}

/* ---- DMA handles: the PHB and the requester resolved once ---- */

/*
 * A handle caches translations as an IOMMU's IOTLB does: TLB_N entries,
 * direct-mapped by 4 KiB granule, each stamped with the PHB's dma_gen when it
 * was filled. Every change of a TCE, a window or a function's DMA state bumps
 * dma_gen after it is made (release), and a lookup compares the stamp with
 * dma_gen read first (acquire), so a hit returns what a walk would have
 * returned at some point during the call. A hit touches no table (no reader
 * count needed: the entry holds values, not pointers). A handle is used by
 * one thread at a time, as one device's DMA engine; the walk on a miss is
 * the lock-free one above.
 */
#define TLB_N 64u
#define GRANULE 12u

struct tlb_entry {
	uint64_t page;	/* bus address >> GRANULE */
	uint64_t val;	/* guest physical address of the granule | perm (1..3) */
	uint64_t gen;	/* PHB dma_gen when filled; 0: never */
};

struct sphb_dma {
	const _Atomic uint64_t *gen;		/* &phb->dma_gen */
	struct tlb_entry tlb[TLB_N];
	struct sphb_tce_table *_Atomic *win;	/* the PHB's windows (PHBs live as long as the machine) */
	const _Atomic uint8_t *state;		/* the requester's `stopped`, or never_stopped */
	struct sphb_machine *m;
	struct sphb_phb *phb;
	uint32_t requester;
	struct sphb_dma *next;
};

static const _Atomic uint8_t never_stopped; /* no function at the requester's address */

static void bind(struct sphb_dma *h)
{
	const struct sphb_dev *d = sphb_phb_dev(h->phb, (h->requester >> 16) & 0xff,
						(h->requester >> 8) & 0xff);

	h->state = d ? &d->stopped : &never_stopped;
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

	if (!m || !out)
		return -EINVAL;
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
	h->requester = requester & 0xffff00u;
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
	struct tlb_entry *e = &h->tlb[(bus_addr >> GRANULE) & (TLB_N - 1)];
	int rc;

	if (atomic_load_explicit(h->state, memory_order_relaxed) & SPHB_STOPPED_DMA)
		return -EIO; /* PAPR: a DMA-stopped PE starts no DMA */
	rc = xlate(h->m, h->win, bus_addr, gpa, perm);
	if (rc == 0) {
		e->page = bus_addr >> GRANULE;
		e->val = (*gpa & ~((1ull << GRANULE) - 1)) | *perm;
		e->gen = gen;
	}
	return rc;
}

SPHB_API int sphb_dma_xlate(struct sphb_dma *h, uint64_t bus_addr, uint64_t *gpa, unsigned *perm)
{
	uint64_t gen = atomic_load_explicit(h->gen, memory_order_acquire);
	const struct tlb_entry *e = &h->tlb[(bus_addr >> GRANULE) & (TLB_N - 1)];

	if (e->gen != gen || e->page != bus_addr >> GRANULE)
		return xlate_miss(h, gen, bus_addr, gpa, perm);
	*perm = (unsigned)(e->val & 3);
	*gpa = (e->val & ~((1ull << GRANULE) - 1)) | (bus_addr & ((1ull << GRANULE) - 1));
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
