/* CPU accesses to a PHB's windows, routed by guest physical address to the
 * function and BAR that decode them, as the PHB and its bus would:
 *  - every window (I/O, 32-bit, 64-bit) has a radix over its offsets, of a
 *    fixed depth for the window's size (256 entries a level, down to 4 KiB
 *    granules, 4 bytes for I/O), so a lookup costs the same whatever the
 *    number of BARs;
 *  - an entry holds a cell: the BARs covering the entry, most important
 *    first (decoding before not decoding, then lowest devfn, then lowest
 *    BAR number: a hostile guest's overlapping BARs get a deterministic
 *    owner). A BAR that covers a whole entry sits at the coarsest level
 *    that holds it; partial cover splits the entry one level down, and at
 *    the granule level the cell is searched by exact range;
 *  - the tables are rebuilt from the functions' decode state (pci/func.c)
 *    on the first access after a change, into one arena freed whole.
 * Unassigned BARs (address 0, as QEMU's pci_bar_address() treats them) are
 * not routed. SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FAN_BITS 8u
#define FAN (1u << FAN_BITS)
#define ARENA_CHUNK (64u << 10)

enum { SP_IO, SP_MEM32, SP_MEM64, NSPACES };

struct rt_bar {
	struct sphb_func *f;
	uint64_t start, last;	/* window offsets, inclusive */
	uint8_t bar;
	bool enabled;
};

struct rt_cell {
	unsigned n;
	const struct rt_bar *b[];
};

typedef uintptr_t rt_entry;	/* 0: nothing; bit 0 set: a cell; else a node */

struct rt_node {
	rt_entry e[FAN];
};

#define MAX_LEVELS 8u

struct rt_space {
	uint64_t bus_base, size;	/* bus addresses [bus_base, + size) */
	unsigned levels, gshift;	/* depth, log2 of the granule */
	uint8_t shift[MAX_LEVELS];	/* of the offset bits that index each level */
	struct rt_node *root;
};

struct arena {
	struct arena *next;
	size_t used;
	uint8_t mem[];
};

struct sphb_route {
	bool dirty;
	struct rt_space sp[NSPACES];
	struct arena *arena;
	struct rt_bar *bars;
	unsigned nbars, cap;
	/* insertion memo: a cell before -> the cell with the new BAR */
	struct { const struct rt_cell *from, *to; } memo[64];
};

static void *arena_alloc(struct sphb_route *r, size_t n)
{
	struct arena *a = r->arena;

	n = (n + 15) & ~(size_t)15;
	if (!a || a->used + n > ARENA_CHUNK) {
		size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		a = malloc(sizeof(*a) + sz);
		if (!a)
			return NULL;
		a->next = r->arena;
		a->used = 0;
		r->arena = a;
	}
	a->used += n;
	return a->mem + a->used - n;
}

static void arena_free(struct sphb_route *r)
{
	while (r->arena) {
		struct arena *a = r->arena;
		r->arena = a->next;
		free(a);
	}
}

void sphb_route_free(struct sphb_phb *phb)
{
	if (!phb->route)
		return;
	arena_free(phb->route);
	free(phb->route->bars);
	free(phb->route);
	phb->route = NULL;
}

void sphb_route_update(struct sphb_phb *phb)
{
	if (phb->route)
		phb->route->dirty = true;
}

/* ---- building ---- */

static unsigned level_shift(const struct rt_space *sp, unsigned level)
{
	return sp->gshift + FAN_BITS * (sp->levels - 1 - level);
}

static const struct rt_cell *cell_add(struct sphb_route *r, const struct rt_cell *old, const struct rt_bar *b)
{
	unsigned h = (unsigned)(((uintptr_t)old >> 4) * 2654435761u) & 63u, n = old ? old->n : 0;
	struct rt_cell *c;

	if (r->memo[h].to && r->memo[h].from == old)
		return r->memo[h].to;
	c = arena_alloc(r, sizeof(*c) + (n + 1) * sizeof(c->b[0]));
	if (!c)
		return NULL;
	c->n = n + 1;
	for (unsigned i = 0; i < n; i++)
		c->b[i] = old->b[i];
	c->b[n] = b; /* BARs go in by priority: the newest is the least important */
	r->memo[h].from = old;
	r->memo[h].to = c;
	return c;
}

static const struct rt_cell *as_cell(rt_entry e)
{
	return (const struct rt_cell *)(e & ~(rt_entry)1);
}

/* Put BAR b into the entry *slot at `level`, which covers window offsets
 * [lo, lo + 2^shift). */
static int insert(struct sphb_route *r, const struct rt_space *sp, rt_entry *slot, unsigned level,
		  uint64_t lo, const struct rt_bar *b)
{
	unsigned shift = level_shift(sp, level);
	uint64_t hi = lo + ((1ull << shift) - 1);
	bool whole = b->start <= lo && b->last >= hi;

	if ((*slot & 1) || !*slot) {
		if (whole || level + 1 == sp->levels) {
			const struct rt_cell *c = cell_add(r, *slot ? as_cell(*slot) : NULL, b);
			if (!c)
				return -ENOMEM;
			*slot = (rt_entry)c | 1;
			return 0;
		}
		/* partial cover: split the entry one level down */
		struct rt_node *n = arena_alloc(r, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (unsigned i = 0; i < FAN; i++)
			n->e[i] = *slot;
		*slot = (rt_entry)n;
	}
	{
		struct rt_node *n = (struct rt_node *)*slot;
		unsigned cshift = level_shift(sp, level + 1);
		uint64_t first = b->start > lo ? (b->start - lo) >> cshift : 0;
		uint64_t last = b->last < hi ? (b->last - lo) >> cshift : FAN - 1;

		for (uint64_t i = first; i <= last; i++) {
			int rc = insert(r, sp, &n->e[i], level + 1, lo + (i << cshift), b);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static void space_init(struct rt_space *sp, uint64_t bus_base, uint64_t size, unsigned gshift)
{
	unsigned bits = size > 1 ? ilog2(pow2_ceil(size)) : 1;

	sp->bus_base = bus_base;
	sp->size = size;
	sp->gshift = gshift;
	sp->levels = bits > gshift ? (bits - gshift + FAN_BITS - 1) / FAN_BITS : 1;
	for (unsigned l = 0; l < sp->levels; l++)
		sp->shift[l] = (uint8_t)level_shift(sp, l);
	sp->root = NULL;
}

/* priority: decoding first, then devfn, then BAR number */
static int by_priority(const void *a, const void *b)
{
	const struct rt_bar *x = a, *y = b;
	unsigned kx = (unsigned)!x->enabled << 16 | (unsigned)x->f->devfn << 8 | x->bar;
	unsigned ky = (unsigned)!y->enabled << 16 | (unsigned)y->f->devfn << 8 | y->bar;

	return kx < ky ? -1 : kx > ky;
}

static int add_bar(struct sphb_route *r, struct sphb_func *f, unsigned bar)
{
	const struct sphb_func_bar *b = &f->bar[bar];

	if (b->kind == BAR_NONE || !b->addr || !b->size || b->addr + (b->size - 1) < b->addr)
		return 0;
	if (r->nbars == r->cap) {
		unsigned cap = r->cap ? 2 * r->cap : 32;
		struct rt_bar *v = realloc(r->bars, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->bars = v;
		r->cap = cap;
	}
	r->bars[r->nbars].f = f;
	r->bars[r->nbars].bar = (uint8_t)bar;
	r->bars[r->nbars].enabled = b->enabled;
	r->bars[r->nbars].start = b->addr; /* bus addresses for now */
	r->bars[r->nbars].last = b->addr + (b->size - 1);
	r->nbars++;
	return 0;
}

static int rebuild(struct sphb_phb *phb)
{
	struct sphb_route *r = phb->route;
	int rc = 0;

	arena_free(r);
	r->nbars = 0;
	space_init(&r->sp[SP_IO], 0, phb->io_win_size, 2);
	space_init(&r->sp[SP_MEM32], SPHB_MEM_WIN_BUS_OFFSET, phb->mem_win_size, 12);
	space_init(&r->sp[SP_MEM64], phb->mem64_win_addr, phb->mem64_win_size, 12);
	for (unsigned df = 0; df < 256 && !rc; df++)
		for (unsigned i = 0; phb->devs[df] && i < SPHB_NBARS && !rc; i++)
			rc = add_bar(r, phb->devs[df], i);
	if (rc)
		return rc;
	if (r->nbars > 1)
		qsort(r->bars, r->nbars, sizeof(*r->bars), by_priority);
	for (unsigned k = 0; k < r->nbars && !rc; k++) {
		const struct rt_bar *bb = &r->bars[k];
		bool io = bb->f->bar[bb->bar].kind == BAR_IO;

		memset(r->memo, 0, sizeof(r->memo));
		for (unsigned s = io ? SP_IO : SP_MEM32; s <= (io ? SP_IO : SP_MEM64) && !rc; s++) {
			struct rt_space *sp = &r->sp[s];
			struct rt_bar *cut;
			uint64_t lo, hi;

			if (!sp->size || bb->last < sp->bus_base || bb->start > sp->bus_base + (sp->size - 1))
				continue;
			/* the part inside the window, as window offsets (a copy per space) */
			lo = bb->start > sp->bus_base ? bb->start - sp->bus_base : 0;
			hi = bb->last - sp->bus_base < sp->size - 1 ? bb->last - sp->bus_base : sp->size - 1;
			cut = arena_alloc(r, sizeof(*cut));
			if (!cut) {
				rc = -ENOMEM;
				break;
			}
			*cut = *bb;
			cut->start = lo;
			cut->last = hi;
			if (!sp->root) {
				sp->root = arena_alloc(r, sizeof(*sp->root));
				if (!sp->root) {
					rc = -ENOMEM;
					break;
				}
				memset(sp->root, 0, sizeof(*sp->root));
			}
			for (uint64_t i = lo >> level_shift(sp, 0); i <= hi >> level_shift(sp, 0) && !rc; i++)
				rc = insert(r, sp, &sp->root->e[i], 0, i << level_shift(sp, 0), cut);
		}
	}
	if (!rc)
		r->dirty = false;
	return rc;
}

/* The BAR decoding window offset `off` of a space, or NULL. */
static const struct rt_bar *lookup(const struct rt_space *sp, uint64_t off)
{
	rt_entry e = (rt_entry)sp->root;
	const struct rt_cell *c;

	for (unsigned l = 0; l < sp->levels && e && !(e & 1); l++)
		e = ((const struct rt_node *)e)->e[(off >> sp->shift[l]) & (FAN - 1)];
	if (!(e & 1))
		return NULL;
	c = as_cell(e);
	for (unsigned i = 0; i < c->n; i++)
		if (c->b[i]->start <= off && off <= c->b[i]->last)
			return c->b[i];
	return NULL;
}

/* ---- accesses ---- */

int sphb_bar_access(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, bool write,
		    uint64_t *val)
{
	const struct sphb_func_bar *b = &f->bar[bar];
	uint64_t v;
	int rc;

	if (!write)
		*val = ones(size);
	if (b->kind == BAR_NONE)
		return 0;
	if (!b->enabled) {
		/* nobody claims the cycle: a master abort, which freezes an
		 * EEH-capable PE on a load (PHB hardware; Linux's eeh_dev_break
		 * relies on it) */
		if (!write)
			sphb_pe_hw_error(f);
		return 0;
	}
	if (sphb_func_mmio_stopped(f) || off >= b->size || size > b->size - off || !f->kind->bar_read)
		return 0;
	if (write) {
		(void)f->kind->bar_write(f, bar, off, size, *val); /* a failed store is dropped */
		return 0;
	}
	rc = f->kind->bar_read(f, bar, off, size, &v);
	if (!rc)
		*val = v & ones(size);
	return 0;
}

/* gpa -> PHB, space and window offset, by the fixed placement of QEMU's
 * spapr_phb_placement(); false outside every window */
static bool decode_gpa(const struct sphb_machine *m, uint64_t gpa, struct sphb_phb **phbp, unsigned *space,
		       uint64_t *off)
{
	uint64_t rel = gpa - SPHB_PCI_BASE, idx;
	struct sphb_phb *phb;

	if (gpa < SPHB_PCI_BASE)
		return false;
	if (rel < SPHB_MAX_PHBS * SPHB_PIO_WIN_SIZE) {
		idx = rel / SPHB_PIO_WIN_SIZE;
		*space = SP_IO;
		*off = rel % SPHB_PIO_WIN_SIZE;
	} else if (rel >= SPHB_MEM32_WIN_SIZE && rel < (SPHB_MAX_PHBS + 1) * SPHB_MEM32_WIN_SIZE) {
		idx = rel / SPHB_MEM32_WIN_SIZE - 1;
		*space = SP_MEM32;
		*off = rel % SPHB_MEM32_WIN_SIZE;
	} else if (rel >= SPHB_MEM64_WIN_SIZE && rel < (SPHB_MAX_PHBS + 1) * SPHB_MEM64_WIN_SIZE) {
		idx = rel / SPHB_MEM64_WIN_SIZE - 1;
		*space = SP_MEM64;
		*off = rel % SPHB_MEM64_WIN_SIZE;
	} else {
		return false;
	}
	phb = m->phbs[idx];
	if (!phb)
		return false;
	if (*off >= (*space == SP_IO ? phb->io_win_size : *space == SP_MEM32 ? phb->mem_win_size
									  : phb->mem64_win_size))
		return false;
	*phbp = phb;
	return true;
}

static int route(struct sphb_machine *m, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
	struct sphb_phb *phb;
	const struct rt_bar *b;
	unsigned space;
	uint64_t off, boff;
	int rc;

	if (!m || (size != 1 && size != 2 && size != 4 && size != 8) || !val)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	if (!decode_gpa(m, gpa, &phb, &space, &off))
		return -ENOENT;
	if (!phb->route) {
		phb->route = calloc(1, sizeof(*phb->route));
		if (!phb->route)
			return -ENOMEM;
		phb->route->dirty = true;
	}
	if (phb->route->dirty && (rc = rebuild(phb)) != 0) {
		sphb_log(m, SPHB_LOG_ERROR, "PHB '%s': cannot build the routing tables: out of memory", phb->id);
		return rc;
	}
	if (!write)
		*val = ones(size);
	b = lookup(&phb->route->sp[space], off);
	if (!b)
		return 0; /* nobody decodes it: all-ones, or dropped */
	boff = phb->route->sp[space].bus_base + off - b->f->bar[b->bar].addr; /* inside the BAR */
	return sphb_bar_access(b->f, b->bar, boff, size, write, val);
}

SPHB_API int sphb_mmio_load(struct sphb_machine *m, uint64_t gpa, unsigned size, uint64_t *val)
{
	return route(m, gpa, size, false, val);
}

SPHB_API int sphb_mmio_store(struct sphb_machine *m, uint64_t gpa, unsigned size, uint64_t val)
{
	return route(m, gpa, size, true, &val);
}

/* ---- by function id and BAR number ---- */

static int by_id(struct sphb_machine *m, const char *dev_id, unsigned bar, uint64_t offset, unsigned size,
		 struct sphb_func **out)
{
	struct sphb_func *f;

	if (!m || !dev_id)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	f = sphb_func_by_id(m, dev_id);
	if (!f)
		return -ENOENT;
	if (bar >= SPHB_NBARS || (size != 1 && size != 2 && size != 4 && size != 8) || (offset & (size - 1)))
		return -EINVAL;
	*out = f;
	return 0;
}

SPHB_API int sphb_mmio_read(struct sphb_machine *m, const char *dev_id, unsigned bar, uint64_t offset,
			    unsigned size, uint64_t *val)
{
	struct sphb_func *f;
	int rc = by_id(m, dev_id, bar, offset, size, &f);

	if (rc)
		return rc;
	if (!val)
		return -EINVAL;
	return sphb_bar_access(f, bar, offset, size, false, val);
}

SPHB_API int sphb_mmio_write(struct sphb_machine *m, const char *dev_id, unsigned bar, uint64_t offset,
			     unsigned size, uint64_t val)
{
	struct sphb_func *f;
	int rc = by_id(m, dev_id, bar, offset, size, &f);

	return rc ? rc : sphb_bar_access(f, bar, offset, size, true, &val);
}
