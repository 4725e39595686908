/* The IOMMU group registry: group number -> group, whoever owns it. Lookups
 * are O(1) (open addressing over 2^group_bits slots, at most a quarter in
 * use, each holding an index into m->groups + 1), so the per-call EEH paths
 * never scan the machine's groups. SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "internal.h"

static unsigned group_hash(int number, unsigned bits)
{
	return (unsigned)(((uint32_t)number * 2654435769u) >> (32 - bits)); /* Fibonacci hashing */
}

static unsigned *slot_of(unsigned *slots, unsigned bits, struct sphb_group *const *groups, int number)
{
	unsigned mask = (1u << bits) - 1;

	for (unsigned s = group_hash(number, bits);; s = (s + 1) & mask) /* a free slot ends it */
		if (!slots[s] || groups[slots[s] - 1]->number == number)
			return &slots[s];
}

struct sphb_group *sphb_group_find(const struct sphb_machine *m, int number)
{
	unsigned s;

	if (!m->group_bits)
		return NULL;
	s = *slot_of(m->group_slots, m->group_bits, m->groups, number);
	return s ? m->groups[s - 1] : NULL;
}

int sphb_group_reserve(struct sphb_machine *m, unsigned extra)
{
	unsigned want = m->ngroups + extra, bits = m->group_bits ? m->group_bits : 4;

	if (want > m->groups_cap) {
		unsigned cap = m->groups_cap ? m->groups_cap : 8;
		struct sphb_group **v;

		while (cap < want)
			cap *= 2;
		v = realloc(m->groups, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->groups = v;
		m->groups_cap = cap;
	}
	while (4 * (want + 1) > 1u << bits)
		bits++;
	if (bits != m->group_bits) {
		unsigned *slots = calloc(1u << bits, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (unsigned i = 0; i < m->ngroups; i++)
			*slot_of(slots, bits, m->groups, m->groups[i]->number) = i + 1;
		free(m->group_slots);
		m->group_slots = slots;
		m->group_bits = bits;
	}
	return 0;
}

int sphb_group_register(struct sphb_machine *m, struct sphb_group *g)
{
	if (sphb_group_reserve(m, 1))
		return -ENOMEM;
	m->groups[m->ngroups++] = g;
	*slot_of(m->group_slots, m->group_bits, m->groups, g->number) = m->ngroups;
	g->m = m;
	return 0;
}

void sphb_group_unregister(struct sphb_machine *m, struct sphb_group *g)
{
	unsigned i;

	for (i = 0; i < m->ngroups && m->groups[i] != g; i++)
		;
	if (i == m->ngroups)
		return;
	memmove(&m->groups[i], &m->groups[i + 1], (m->ngroups - i - 1) * sizeof(*m->groups));
	m->ngroups--;
	/* rebuild in place: the slot array has room for what it held */
	memset(m->group_slots, 0, (1u << m->group_bits) * sizeof(*m->group_slots));
	for (i = 0; i < m->ngroups; i++)
		*slot_of(m->group_slots, m->group_bits, m->groups, m->groups[i]->number) = i + 1;
}

int sphb_group_join(struct sphb_group *g, struct sphb_func *f)
{
	if (g->phb && g->phb != f->phb) {
		sphb_log(g->m, SPHB_LOG_ERROR,
			 "%s: iommu-group=%d: group %d is behind PHB '%s' already; a group cannot span PHBs",
			 f->type, g->number, g->number, g->phb->id);
		return -EINVAL;
	}
	g->phb = f->phb;
	f->group = g;
	f->next_in_group = g->members;
	g->members = f;
	g->nmembers++;
	if (g->ops->joined)
		g->ops->joined(g, f);
	return 0;
}

void sphb_group_leave(struct sphb_group *g, struct sphb_func *f)
{
	struct sphb_func **pp;

	if (g->ops->left)
		g->ops->left(g, f);
	for (pp = &g->members; *pp; pp = &(*pp)->next_in_group) {
		if (*pp == f) {
			*pp = f->next_in_group;
			g->nmembers--;
			break;
		}
	}
	f->next_in_group = NULL;
	f->group = NULL;
	if (!g->nmembers)
		g->phb = NULL;
}

void sphb_groups_free(struct sphb_machine *m)
{
	free(m->groups);
	free(m->group_slots);
	m->groups = NULL;
	m->group_slots = NULL;
	m->ngroups = m->group_bits = m->groups_cap = 0;
}
