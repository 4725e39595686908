/* A TCE table: the translation entries of one DMA window, stored sparsely
 * (a three-level radix of 4 KiB leaves, allocated on the first non-zero
 * store) so that a 1 TiB window costs what it holds. Entries and levels are
 * atomics: a reader (translation on a device thread) may walk the table
 * while the one writer stores entries and adds levels. Levels are freed
 * only with the table. The data structure alone: publication, retirement
 * and the hypercalls are the PHB layer's (phb/tce.c).
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_TCE_TABLE_H
#define SPHB_TCE_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCE_LEAF_BITS 9u
#define TCE_MID_BITS 9u
#define TCE_LEAF_N (1u << TCE_LEAF_BITS)
#define TCE_MID_N (1u << TCE_MID_BITS)

struct tce_leaf {
	_Atomic uint64_t e[TCE_LEAF_N];
};

struct tce_mid {
	struct tce_leaf *_Atomic leaf[TCE_MID_N];
};

struct sphb_tce_table {
	uint32_t liobn;
	unsigned page_shift;
	uint64_t bus_offset, nb;	/* window = [bus_offset, bus_offset + nb << shift) */
	uint64_t span, page_mask;	/* nb << shift, (1 << shift) - 1: for translation */
	size_t ntop, bytes;
	struct tce_mid *_Atomic *top;
	struct sphb_tce_table *next_retired;	/* the PHB layer's retirement list */
};

/* NULL when the geometry is impossible ([bus_offset, + nb << shift) must fit
 * in 64 bits, nb <= 2^31, shift 12..40) or memory is short. */
struct sphb_tce_table *sphb_tce_new(uint32_t liobn, uint64_t bus_offset, unsigned page_shift,
				    uint64_t nb);
void sphb_tce_free(struct sphb_tce_table *t);	/* NULL: nothing */

/* the levels down to entry i allocated (out of line: the cold path) */
_Atomic uint64_t *sphb_tce_slot_create(struct sphb_tce_table *t, uint64_t i);

/* The entry's slot, allocating the levels on the way when `create`;
 * NULL when absent (not create) or memory is short (create). */
static inline __attribute__((always_inline)) _Atomic uint64_t *
sphb_tce_slot(struct sphb_tce_table *t, uint64_t i, bool create)
{
	struct tce_mid *mid = atomic_load_explicit(&t->top[i >> (TCE_LEAF_BITS + TCE_MID_BITS)],
						   memory_order_acquire);
	struct tce_leaf *leaf = mid ? atomic_load_explicit(&mid->leaf[(i >> TCE_LEAF_BITS) & (TCE_MID_N - 1)],
							   memory_order_acquire) : NULL;

	if (leaf)
		return &leaf->e[i & (TCE_LEAF_N - 1)];
	return create ? sphb_tce_slot_create(t, i) : NULL;
}

/* entry index of bus address `ioba` (masked to the page); false outside */
static inline bool sphb_tce_index_of(const struct sphb_tce_table *t, uint64_t ioba, uint64_t *i)
{
	ioba &= ~t->page_mask;
	*i = (ioba - t->bus_offset) >> t->page_shift;
	return ioba >= t->bus_offset && *i < t->nb;
}

/* The entry mapping bus address `a`, 0 when outside or unmapped; a reader
 * that may run beside the writer. */
static inline uint64_t sphb_tce_lookup(struct sphb_tce_table *t, uint64_t a)
{
	uint64_t i = (a - t->bus_offset) >> t->page_shift;
	struct tce_mid *mid;
	struct tce_leaf *leaf;

	if (a - t->bus_offset >= t->span)
		return 0;
	mid = atomic_load_explicit(&t->top[i >> (TCE_LEAF_BITS + TCE_MID_BITS)], memory_order_acquire);
	leaf = mid ? atomic_load_explicit(&mid->leaf[(i >> TCE_LEAF_BITS) & (TCE_MID_N - 1)],
					  memory_order_acquire) : NULL;
	return leaf ? atomic_load_explicit(&leaf->e[i & (TCE_LEAF_N - 1)], memory_order_relaxed) : 0;
}

uint64_t sphb_tce_get(struct sphb_tce_table *t, uint64_t i);
/* 0, or -ENOMEM (a non-zero store that needs a level) */
int sphb_tce_put(struct sphb_tce_table *t, uint64_t i, uint64_t tce);
/* Store n entries from i (i + n <= nb): a big-endian list (INDIRECT) or,
 * with list NULL, the same value n times (STUFF). Clearing entries of an
 * absent leaf allocates nothing. Returns the entries written (fewer only
 * when memory is short; the ones before stay written). */
uint64_t sphb_tce_put_run(struct sphb_tce_table *t, uint64_t i, const uint8_t *list, uint64_t value,
			  uint64_t n);
/* The entries in use lie in populated leaves: the first index >= i in one
 * (nb if none), and the end of the populated stretch that holds i. */
uint64_t sphb_tce_next_used(struct sphb_tce_table *t, uint64_t i);
uint64_t sphb_tce_used_end(struct sphb_tce_table *t, uint64_t i);
static inline int64_t sphb_tce_index(const struct sphb_tce_table *t, uint64_t ioba)
{
	uint64_t i;
	return sphb_tce_index_of(t, ioba, &i) ? (int64_t)i : -1;
}
static inline uint64_t sphb_tce_nb(const struct sphb_tce_table *t) { return t->nb; }
static inline unsigned sphb_tce_shift(const struct sphb_tce_table *t) { return t->page_shift; }
static inline uint64_t sphb_tce_offset(const struct sphb_tce_table *t) { return t->bus_offset; }
static inline uint32_t sphb_tce_liobn(const struct sphb_tce_table *t) { return t->liobn; }
static inline size_t sphb_tce_bytes(const struct sphb_tce_table *t) { return t->bytes; }

#endif
