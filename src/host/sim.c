/* The simulated host: a model of the Linux host kernel's VFIO EEH handling
 * (arch/powerpc/kernel/eeh.c: eeh_pe_set_option(), eeh_pe_get_state(),
 * eeh_pe_reset(), eeh_pe_configure(), eeh_pe_inject_err(), and the
 * ownership rules of eeh_dev_open()/eeh_dev_release()) over simulated IOMMU
 * groups, for sim-pci and VMM functions plugged with iommu-group=N. Time is
 * virtual: a reset completes its hold/settle time before it returns, as the
 * kernel's does, by advancing the machine's clock instead of sleeping.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Kernel timings: EEH_PE_RST_HOLD_TIME and EEH_PE_RST_SETTLE_TIME. */
#define HOST_RESET_HOLD_MS 250u
#define HOST_RESET_SETTLE_MS 1800u

static const struct sphb_group_ops sim_ops;

struct sphb_sim_group *sphb_sim_of(struct sphb_group *g)
{
	return g && g->ops == &sim_ops ? (struct sphb_sim_group *)g : NULL;
}

static struct sphb_sim_group *new_group(int number)
{
	struct sphb_sim_group *s = calloc(1, sizeof(*s));

	if (s) {
		s->g.number = number;
		s->g.ops = &sim_ops;
	}
	return s;
}

/* room for n more simulated groups in the creation-order list */
static int list_reserve(struct sphb_machine *m, unsigned n)
{
	struct sphb_sim_group **v;

	if (m->nsim + n <= m->sim_cap)
		return 0;
	v = realloc(m->sim, (m->nsim + n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->sim = v;
	m->sim_cap = m->nsim + n;
	return 0;
}

struct sphb_sim_group *sphb_sim_group(struct sphb_machine *m, int number, bool create)
{
	struct sphb_group *g = sphb_group_find(m, number);
	struct sphb_sim_group *s;

	if (g || !create)
		return sphb_sim_of(g);
	s = new_group(number);
	if (!s || list_reserve(m, 1) || sphb_group_register(m, &s->g)) {
		free(s);
		return NULL;
	}
	m->sim[m->nsim++] = s;
	return s;
}

unsigned sphb_sim_ngroups(const struct sphb_machine *m)
{
	return m->nsim;
}

void sphb_sim_free(struct sphb_machine *m)
{
	for (unsigned i = 0; i < m->nsim; i++) {
		free(m->sim[i]->saved);
		free(m->sim[i]);
	}
	free(m->sim);
	m->sim = NULL;
	m->nsim = m->sim_cap = 0;
}

/* eeh_pe_change_owner(): a frozen PE is thawed (unless the host is busy with
 * it or its reset is held, when it reports itself active). */
static void change_owner(const struct sphb_machine *m, struct sphb_sim_group *s)
{
	if (m->now_ms >= s->busy_until_ms && !s->reset_active)
		s->mmio_stopped = s->dma_stopped = false;
}

/* Ownership (eeh_dev_open / eeh_dev_release) goes through
 * eeh_pe_change_owner() either way: a function plugged into a group the host
 * left frozen starts thawed, and a group's functions plugged again never find
 * the freeze the guest left behind. The PE layer syncs the functions. */
static void sim_joined(struct sphb_group *g, struct sphb_func *f)
{
	struct sphb_sim_group *s = (struct sphb_sim_group *)g;
	struct sim_saved *v = realloc(s->saved, (s->nsaved + 1) * sizeof(*v));

	if (v) { /* without it, a reset restores nothing for f (reads as zeros) */
		s->saved = v;
		memset(&s->saved[s->nsaved], 0, sizeof(*v));
		s->saved[s->nsaved++].f = f;
	}
	change_owner(g->m, s);
}

static uint32_t *saved_of(struct sphb_sim_group *s, const struct sphb_func *f)
{
	for (unsigned i = 0; i < s->nsaved; i++)
		if (s->saved[i].f == f)
			return s->saved[i].hdr;
	return NULL;
}

static void sim_left(struct sphb_group *g, struct sphb_func *f)
{
	struct sphb_sim_group *s = (struct sphb_sim_group *)g;

	for (unsigned i = 0; i < s->nsaved; i++) {
		if (s->saved[i].f == f) {
			s->saved[i] = s->saved[--s->nsaved];
			break;
		}
	}
	change_owner(g->m, s);
}

void sphb_sim_freeze(struct sphb_sim_group *s)
{
	s->mmio_stopped = s->dma_stopped = true;
	s->freezes++;
	s->err_time_ms = s->g.m->now_ms;
	s->err_injected = false; /* INJECT_ERR sets it again right after */
}

static void sim_hw_error(struct sphb_group *g)
{
	struct sphb_sim_group *s = (struct sphb_sim_group *)g;

	if (!s->mmio_stopped)
		sphb_sim_freeze(s);
}

/* eeh_pe_get_state(): the host's view mapped to 0/1/2/4/5. */
int sphb_sim_state(const struct sphb_sim_group *s)
{
	if (s->g.m->now_ms < s->busy_until_ms)
		return SPHB_PE_STATE_UNAVAIL; /* the host is recovering above the PE */
	if (s->reset_active)
		return SPHB_PE_STATE_RESET;
	if (!s->mmio_stopped && !s->dma_stopped)
		return SPHB_PE_STATE_NORMAL;
	if (s->mmio_stopped && s->dma_stopped)
		return SPHB_PE_STATE_STOPPED;
	if (!s->mmio_stopped)
		return SPHB_PE_STATE_STOPPED_DMA;
	return SPHB_PE_STATE_UNAVAIL; /* DMA enabled only: the kernel maps it to 5 */
}

static uint8_t sim_stopped(const struct sphb_group *g)
{
	const struct sphb_sim_group *s = (const struct sphb_sim_group *)g;

	return (uint8_t)((s->reset_active || s->mmio_stopped ? SPHB_STOPPED_MMIO : 0) |
			 (s->reset_active || s->dma_stopped ? SPHB_STOPPED_DMA : 0));
}

static uint64_t sim_busy_ms(const struct sphb_group *g)
{
	const struct sphb_sim_group *s = (const struct sphb_sim_group *)g;

	return g->m->now_ms < s->busy_until_ms ? s->busy_until_ms - g->m->now_ms : 0;
}

/* Reset assertion: the host keeps the functions' headers (eeh_save_bars)
 * and the functions return to power-on state. Deactivation: the host
 * restores them and re-enables decoding (eeh_pe_reenable_devices()). */
static void reset_members(struct sphb_sim_group *s, enum sphb_reset_kind kind, bool deactivate)
{
	static const uint32_t restored[] = { 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x3c };

	for (struct sphb_func *f = s->g.members; f; f = f->next_in_group) {
		uint32_t *hdr = saved_of(s, f), none[16] = { 0 };

		if (!hdr)
			hdr = none;
		if (!deactivate) {
			for (unsigned i = 0; i < 16; i++)
				hdr[i] = sphb_func_cfg_read(f, 4 * i, 4);
			sphb_func_reset(f, kind);
			continue;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(restored); i++)
			sphb_func_cfg_write(f, restored[i], 4, hdr[restored[i] / 4]);
		sphb_func_cfg_write(f, PCI_CACHE_LINE_SIZE, 1, hdr[3] & 0xff);
		sphb_func_cfg_write(f, PCI_COMMAND, 2, hdr[1] & 0x0507);
	}
}

static int group_op(struct sphb_sim_group *s, enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	struct sphb_machine *m = s->g.m;

	switch (op) {
	case SPHB_PE_DISABLE:
		return 0; /* the kernel never reaches the platform */
	case SPHB_PE_ENABLE:
		change_owner(m, s); /* a frozen PE is thawed */
		return 0;
	case SPHB_PE_UNFREEZE_IO:
		if (s->reset_active || m->now_ms < s->busy_until_ms)
			return 0; /* reported as active: nothing to do */
		s->mmio_stopped = false;
		return 0;
	case SPHB_PE_UNFREEZE_DMA:
		if (s->reset_active || m->now_ms < s->busy_until_ms)
			return 0;
		s->dma_stopped = false;
		return 0;
	case SPHB_PE_GET_STATE:
		return sphb_sim_state(s);
	case SPHB_PE_RESET_HOT:
	case SPHB_PE_RESET_FUNDAMENTAL:
		/* freeze first, block config, assert the reset and hold it */
		s->mmio_stopped = s->dma_stopped = true;
		if (!s->reset_active)
			reset_members(s, op == SPHB_PE_RESET_HOT ? SPHB_RESET_HOT : SPHB_RESET_FUNDAMENTAL,
				      false);
		s->reset_active = true;
		m->now_ms += HOST_RESET_HOLD_MS;
		return 0;
	case SPHB_PE_RESET_DEACTIVATE:
		if (s->reset_active) {
			s->reset_active = false;
			m->now_ms += HOST_RESET_SETTLE_MS;
			reset_members(s, SPHB_RESET_HOT, true);
		}
		/* eeh_pe_reenable_devices(): BARs restored, PE thawed */
		s->mmio_stopped = s->dma_stopped = false;
		return 0;
	case SPHB_PE_CONFIGURE:
		return 0;
	case SPHB_PE_INJECT_ERR:
		if (!err || err->func > 19)
			return -EINVAL;
		if (err->type > 1)
			return -ERANGE;
		/* one error, injected now: the PE freezes (PAPR: at most once per call) */
		sphb_sim_freeze(s);
		s->err_injected = true;
		s->last_err_func = err->func;
		s->last_err_addr = err->addr;
		return 0;
	}
	return -EINVAL;
}

static int sim_pe_op(struct sphb_group *g, enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	struct sphb_sim_group *s = (struct sphb_sim_group *)g;

	if ((unsigned)op > SPHB_PE_INJECT_ERR)
		return -EINVAL;
	if (!g->nmembers)
		return -ENODEV; /* the group has no EEH PE: no function of it is open */
	if (s->fail_count) {
		/* a host failure a test asked for (sphb_host_fail) */
		s->fail_count--;
		return -s->fail_errno;
	}
	return group_op(s, op, err);
}

static void sim_last_error(const struct sphb_group *g, struct sphb_host_error *e)
{
	const struct sphb_sim_group *s = (const struct sphb_sim_group *)g;

	e->injected = s->err_injected;
	e->func = s->last_err_func;
	e->addr = s->last_err_addr;
	e->time_ms = s->err_time_ms;
	e->freezes = s->freezes;
}

static const struct sphb_group_ops sim_ops = {
	.owner = "simulated host",
	.pe_op = sim_pe_op,
	.stopped = sim_stopped,
	.busy_ms = sim_busy_ms,
	.hw_error = sim_hw_error,
	.last_error = sim_last_error,
	.joined = sim_joined,
	.left = sim_left,
};

/* ---- save/restore: one GROUP section per simulated group, by number ---- */

static int by_place(const void *a, const void *b)
{
	const struct sim_saved *x = a, *y = b;
	unsigned kx = x->f->phb->index << 8 | x->f->devfn, ky = y->f->phb->index << 8 | y->f->devfn;

	return kx < ky ? -1 : kx > ky;
}

void sphb_sim_save(struct sphb_machine *m, struct sphb_wr *w, unsigned sec_type)
{
	int last = -1;

	for (unsigned k = 0; k < m->nsim; k++) {
		struct sphb_sim_group *s = NULL;
		size_t at;

		for (unsigned j = 0; j < m->nsim; j++) /* by ascending number */
			if (m->sim[j]->g.number > last && (!s || m->sim[j]->g.number < s->g.number))
				s = m->sim[j];
		last = s->g.number;
		at = sphb_w_sec_open(w, sec_type);
		w_u32(w, (uint32_t)s->g.number);
		w_u32(w, s->g.nmembers);
		w_u8(w, s->mmio_stopped);
		w_u8(w, s->dma_stopped);
		w_u8(w, s->reset_active);
		w_u8(w, s->err_injected);
		w_u64(w, s->busy_until_ms);
		w_u32(w, s->freezes);
		w_u32(w, s->last_err_func);
		w_u64(w, s->last_err_addr);
		w_u64(w, s->err_time_ms);
		w_u32(w, s->fail_count);
		w_u32(w, (uint32_t)s->fail_errno);
		/* the headers the host keeps for its functions, by PHB and devfn */
		if (s->nsaved > 1)
			qsort(s->saved, s->nsaved, sizeof(*s->saved), by_place);
		w_u32(w, s->nsaved);
		for (unsigned i = 0; i < s->nsaved; i++) {
			w_u8(w, s->saved[i].f->phb->index);
			w_u8(w, s->saved[i].f->devfn);
			for (unsigned r = 0; r < 16; r++)
				w_u32(w, s->saved[i].hdr[r]);
		}
		sphb_w_sec_close(w, at);
	}
}

struct sphb_sim_staging {
	struct sphb_sim_staging *next;
	struct sphb_sim_group *target;	/* this machine's group, or a new one */
	bool is_new;
	struct sphb_sim_group st;	/* the state to commit */
	struct sim_saved saved[256];	/* a group's functions are on one PHB: <= 256 */
	unsigned nsaved;
};

struct sphb_sim_staging *sphb_sim_load(struct sphb_loader *L, struct sphb_rd *r, int number,
				       uint64_t now_ms, struct sphb_sim_staging *list)
{
	struct sphb_machine *m = L->m;
	struct sphb_group *here_g = sphb_group_find(m, number);
	struct sphb_sim_group *here = sphb_sim_of(here_g), *g;
	struct sphb_sim_staging *sg;
	uint32_t nmembers, nsaved;

	snprintf(L->where, sizeof(L->where), "IOMMU group %d", number);
	if (here_g && !here) {
		sphb_ld_fail(L, -ENXIO, "the group belongs to the %s on this machine", here_g->ops->owner);
		return list;
	}
	sg = calloc(1, sizeof(*sg));
	if (!sg) {
		sphb_ld_fail(L, -ENOMEM, "cannot allocate the staging state");
		return list;
	}
	sg->next = list;
	g = &sg->st;
	nmembers = r_u32(r);
	if (r_ok(r) && nmembers != (here ? here->g.nmembers : 0))
		sphb_ld_fail(L, -ENXIO, "%u functions in the stream, %u on this machine", nmembers,
			     here ? here->g.nmembers : 0);
	g->mmio_stopped = sphb_r_flag(r, "MMIO stopped");
	g->dma_stopped = sphb_r_flag(r, "DMA stopped");
	g->reset_active = sphb_r_flag(r, "reset active");
	g->err_injected = sphb_r_flag(r, "error injected");
	g->busy_until_ms = r_u64(r);
	g->freezes = r_u32(r);
	g->last_err_func = r_u32(r);
	g->last_err_addr = r_u64(r);
	g->err_time_ms = r_u64(r);
	g->fail_count = r_u32(r);
	g->fail_errno = (int)r_u32(r);
	if (!r_ok(r))
		return sg;
	if (g->reset_active && !(g->mmio_stopped && g->dma_stopped)) {
		sphb_ld_fail(L, -EBADMSG, "a reset is held but the PE's MMIO and DMA are not both stopped");
		return sg;
	}
	if (g->last_err_func > 19) {
		sphb_ld_fail(L, -EBADMSG, "last injected operation %u (PAPR Table 7-75: 0..19)", g->last_err_func);
		return sg;
	}
	if (g->err_time_ms > now_ms) {
		sphb_ld_fail(L, -EBADMSG, "last freeze at %llu ms, after the machine's clock %llu ms",
			     (unsigned long long)g->err_time_ms, (unsigned long long)now_ms);
		return sg;
	}
	if (g->fail_errno < 0 || g->fail_errno > 4095 || (g->fail_count && !g->fail_errno)) {
		sphb_ld_fail(L, -EBADMSG, "host failure injection errno %d for %u operations (1..4095)",
			     g->fail_errno, g->fail_count);
		return sg;
	}
	nsaved = r_u32(r);
	if (r_ok(r) && nsaved != nmembers) {
		sphb_ld_fail(L, -EBADMSG, "saved headers for %u functions, the group has %u", nsaved, nmembers);
		return sg;
	}
	for (uint32_t i = 0, last = 0; r_ok(r) && i < nsaved; i++) {
		unsigned index = r_u8(r), devfn = r_u8(r), key = index << 8 | devfn;
		struct sphb_func *f = NULL;

		if (!r_ok(r))
			break;
		if (i && key <= last) {
			sphb_ld_fail(L, -EBADMSG, "saved header of PHB %u %02x.%x out of order", index,
				     devfn >> 3, devfn & 7);
			break;
		}
		last = key;
		for (f = here ? here->g.members : NULL; f; f = f->next_in_group)
			if (f->phb->index == index && f->devfn == devfn)
				break;
		if (!f) {
			sphb_ld_fail(L, -ENXIO, "the group has no function at PHB %u %02x.%x on this machine",
				     index, devfn >> 3, devfn & 7);
			break;
		}
		sg->saved[sg->nsaved].f = f;
		for (unsigned k = 0; k < 16; k++)
			sg->saved[sg->nsaved].hdr[k] = r_u32(r);
		sg->nsaved++;
	}
	if (!r_ok(r))
		return sg;
	g->g.number = number;
	if (here) {
		sg->target = here;
	} else {
		/* a group the stream has and this machine does not (its functions
		 * are gone on both sides): made now, registered at commit */
		sg->target = new_group(number);
		sg->is_new = true;
		if (!sg->target)
			sphb_ld_fail(L, -ENOMEM, "cannot allocate the group");
	}
	return sg;
}

int sphb_sim_load_check(struct sphb_loader *L, const struct sphb_sim_staging *list, uint32_t nsections)
{
	struct sphb_machine *m = L->m;
	unsigned n = 0, nnew = 0;

	for (const struct sphb_sim_staging *sg = list; sg; sg = sg->next) {
		n++;
		nnew += sg->is_new;
	}
	L->where[0] = '\0';
	for (unsigned k = 0; k < m->nsim; k++) {
		const struct sphb_sim_staging *sg = list;

		while (sg && sg->target != m->sim[k])
			sg = sg->next;
		if (!sg && m->sim[k]->g.nmembers)
			return sphb_ld_fail(L, -ENXIO, "IOMMU group %d of this machine is not in the stream",
					    m->sim[k]->g.number);
	}
	if (n != nsections)
		return sphb_ld_fail(L, -EBADMSG,
				    "the machine section announces %u IOMMU groups, the stream has %u",
				    nsections, n);
	/* room for the new groups, so that the commit cannot fail */
	if (list_reserve(m, nnew) || sphb_group_reserve(m, nnew))
		return sphb_ld_fail(L, -ENOMEM, "cannot allocate the IOMMU group index");
	return 0;
}

void sphb_sim_commit(struct sphb_machine *m, struct sphb_sim_staging *list)
{
	/* the simulated host holds exactly the stream's groups: the ones only
	 * this machine has (no functions: checked) go */
	for (unsigned k = 0; k < m->nsim;) {
		struct sphb_sim_group *s = m->sim[k];
		const struct sphb_sim_staging *sg = list;

		while (sg && sg->target != s)
			sg = sg->next;
		if (sg) {
			k++;
			continue;
		}
		sphb_group_unregister(m, &s->g);
		free(s->saved);
		free(s);
		m->sim[k] = m->sim[--m->nsim];
	}
	for (struct sphb_sim_staging *sg = list; sg; sg = sg->next) {
		struct sphb_sim_group *t = sg->target;
		const struct sphb_sim_group *st = &sg->st;

		t->mmio_stopped = st->mmio_stopped;
		t->dma_stopped = st->dma_stopped;
		t->reset_active = st->reset_active;
		t->err_injected = st->err_injected;
		t->busy_until_ms = st->busy_until_ms;
		t->freezes = st->freezes;
		t->last_err_func = st->last_err_func;
		t->last_err_addr = st->last_err_addr;
		t->err_time_ms = st->err_time_ms;
		t->fail_count = st->fail_count;
		t->fail_errno = st->fail_errno;
		for (unsigned i = 0; i < sg->nsaved; i++) {
			uint32_t *hdr = saved_of(t, sg->saved[i].f);
			if (hdr)
				memcpy(hdr, sg->saved[i].hdr, sizeof(sg->saved[i].hdr));
		}
		if (sg->is_new) {
			(void)sphb_group_register(m, &t->g); /* room reserved by the check */
			m->sim[m->nsim++] = t;
			sg->is_new = false;
		}
	}
	sphb_sim_discard(list);
}

void sphb_sim_discard(struct sphb_sim_staging *list)
{
	while (list) {
		struct sphb_sim_staging *next = list->next;

		if (list->is_new)
			free(list->target);
		free(list);
		list = next;
	}
}
