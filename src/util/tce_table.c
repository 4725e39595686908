/* The sparse TCE table (util/tce_table.h). SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "internal.h"

static void table_free(struct sphb_tce_table *t)
{
	for (size_t i = 0; i < t->ntop; i++) {
		struct tce_mid *mid = atomic_load_explicit(&t->top[i], memory_order_relaxed);
		if (!mid)
			continue;
		for (unsigned j = 0; j < TCE_MID_N; j++)
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
	t->ntop = (size_t)((nb + (1ull << (TCE_LEAF_BITS + TCE_MID_BITS)) - 1) >>
			   (TCE_LEAF_BITS + TCE_MID_BITS));
	t->top = calloc(t->ntop, sizeof(*t->top));
	if (!t->top) {
		free(t);
		return NULL;
	}
	t->bytes = sizeof(*t) + t->ntop * sizeof(*t->top);
	return t;
}

_Atomic uint64_t *sphb_tce_slot_create(struct sphb_tce_table *t, uint64_t i)
{
	_Atomic(struct tce_mid *) *top = &t->top[i >> (TCE_LEAF_BITS + TCE_MID_BITS)];
	struct tce_mid *mid = atomic_load_explicit(top, memory_order_acquire);
	struct tce_leaf *leaf;

	if (!mid) {
		mid = calloc(1, sizeof(*mid));
		if (!mid)
			return NULL;
		t->bytes += sizeof(*mid);
		atomic_store_explicit(top, mid, memory_order_release);
	}
	leaf = atomic_load_explicit(&mid->leaf[(i >> TCE_LEAF_BITS) & (TCE_MID_N - 1)],
				    memory_order_acquire);
	if (!leaf) {
		leaf = calloc(1, sizeof(*leaf));
		if (!leaf)
			return NULL;
		t->bytes += sizeof(*leaf);
		atomic_store_explicit(&mid->leaf[(i >> TCE_LEAF_BITS) & (TCE_MID_N - 1)], leaf,
				      memory_order_release);
	}
	return &leaf->e[i & (TCE_LEAF_N - 1)];
}

uint64_t sphb_tce_put_run(struct sphb_tce_table *t, uint64_t i, const uint8_t *list, uint64_t value,
			  uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t idx = i + done, chunk = TCE_LEAF_N - (idx & (TCE_LEAF_N - 1));
		_Atomic uint64_t *s;

		if (chunk > n - done)
			chunk = n - done;
		s = sphb_tce_slot(t, idx, false);
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
			s = sphb_tce_slot(t, idx, true);
			if (!s)
				return done; /* out of memory: the entries before stay written */
		}
		for (uint64_t k = 0; k < chunk; k++)
			atomic_store_explicit(&s[k], list ? get_be64(list + 8 * (done + k)) : value,
					      memory_order_release);
		done += chunk;
	}
	return done;
}

static bool leaf_present(struct sphb_tce_table *t, uint64_t i)
{
	struct tce_mid *mid = atomic_load_explicit(&t->top[i >> (TCE_LEAF_BITS + TCE_MID_BITS)],
						   memory_order_acquire);
	return mid && atomic_load_explicit(&mid->leaf[(i >> TCE_LEAF_BITS) & (TCE_MID_N - 1)],
					   memory_order_acquire);
}

uint64_t sphb_tce_next_used(struct sphb_tce_table *t, uint64_t i)
{
	while (i < t->nb) {
		if (!atomic_load_explicit(&t->top[i >> (TCE_LEAF_BITS + TCE_MID_BITS)], memory_order_acquire))
			i = ((i >> (TCE_LEAF_BITS + TCE_MID_BITS)) + 1) << (TCE_LEAF_BITS + TCE_MID_BITS);
		else if (!leaf_present(t, i))
			i = ((i >> TCE_LEAF_BITS) + 1) << TCE_LEAF_BITS;
		else
			return i;
	}
	return t->nb;
}

uint64_t sphb_tce_used_end(struct sphb_tce_table *t, uint64_t i)
{
	while (i < t->nb && leaf_present(t, i))
		i = ((i >> TCE_LEAF_BITS) + 1) << TCE_LEAF_BITS;
	return i < t->nb ? i : t->nb;
}

uint64_t sphb_tce_get(struct sphb_tce_table *t, uint64_t i)
{
	_Atomic uint64_t *s = sphb_tce_slot(t, i, false);
	return s ? atomic_load_explicit(s, memory_order_relaxed) : 0;
}

int sphb_tce_put(struct sphb_tce_table *t, uint64_t i, uint64_t tce)
{
	_Atomic uint64_t *s = sphb_tce_slot(t, i, tce != 0);

	if (!s)
		return tce ? -ENOMEM : 0; /* a zero store into an empty leaf */
	atomic_store_explicit(s, tce, memory_order_release);
	return 0;
}
