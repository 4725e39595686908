/* The simulated host's IOMMU groups are found by number in O(1) (a hash
 * index over m->groups) and each function knows its PE's index in the PHB's
 * PE table (d->pe_idx), so that the per-call EEH paths do not grow with the
 * number of groups, PHBs or functions (docs/performance.md, scale). Both are
 * caches: every lookup must answer exactly what a scan would, across growth
 * of the index, hot unplug (the PE table is compacted) and plug.
 * White-box (internal.h) plus the guest-visible behaviour through RTAS. */
#include "harness.h"
#include "internal.h"
#include "host/host.h"

#define NPHB 3u
#define NDEV 8u

static struct t_host h;
static struct sphb_machine *m;

/* group numbers that stress a multiplicative hash: small, large, sparse,
 * differing only in their high bits, and the extremes */
static int number(unsigned i)
{
	switch (i % 4) {
	case 0: return (int)i;
	case 1: return (int)((i * 7919u) % 0x7fffffffu);
	case 2: return (int)((i << 20) & 0x7fffffffu) | 2;
	default: return i == 3 ? 0x7fffffff : (int)(0x7fffffffu - i);
	}
}

static void hash_index(void)
{
	const unsigned n = 1000;
	struct sphb_sim_group *g;

	m = t_machine(&h, NULL);
	for (unsigned i = 0; i < n; i++) {
		g = sphb_sim_group(m, number(i), true);
		CHECK(g != NULL);
		if (!g)
			return;
		CHECK_EQ(g->g.number, number(i));
		g->freezes = i + 1; /* a mark that must survive every growth */
		CHECK_EQ(m->ngroups, i + 1);
	}
	CHECK(4 * m->ngroups <= 1u << m->group_bits);
	for (unsigned i = 0; i < n; i++) {
		g = sphb_sim_group(m, number(i), false);
		CHECK(g != NULL);
		if (!g)
			continue;
		CHECK_EQ(g->g.number, number(i));
		CHECK_EQ(g->freezes, i + 1);
		CHECK(&g->g == m->groups[i]);
		/* create on an existing number: the same entry, nothing added */
		CHECK(sphb_sim_group(m, number(i), true) == g);
	}
	CHECK_EQ(m->ngroups, n);
	/* numbers never added */
	CHECK(sphb_sim_group(m, 1, false) == NULL);
	CHECK(sphb_sim_group(m, 0x7ffffffe - 2000, false) == NULL);
	CHECK(sphb_sim_group(m, 3 << 20 | 2, false) == NULL);
	CHECK_EQ(m->ngroups, n);
	t_free(m, &h);
}

/* ---- behaviour: per-group PHBs with one group per function ---- */

static uint64_t buid(unsigned p) { return T_BUID0 + p; }

static int32_t state2(unsigned p, uint32_t cfg, uint32_t *st)
{
	uint32_t a[3] = { cfg, (uint32_t)(buid(p) >> 32), (uint32_t)buid(p) }, r[4];

	t_rtas_n(m, &h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	*st = r[1];
	return (int32_t)r[0];
}

static uint32_t pe_addr(unsigned p, uint32_t cfg)
{
	uint32_t a[4] = { cfg, (uint32_t)(buid(p) >> 32), (uint32_t)buid(p), 0 }, r[2];

	t_rtas_n(m, &h, (uint32_t)t_token("ibm,get-config-addr-info2"), 4, 2, a, r);
	return r[0] == 0 ? r[1] : 0xffffffffu;
}

static bool present[NPHB][NDEV];

/* Every function's cached PE is the one a scan finds; freezing function
 * (fp, fs) stops its PE alone. */
static void check_all(int fp, int fs)
{
	for (unsigned p = 0; p < NPHB; p++) {
		for (unsigned s = 0; s < NDEV; s++) {
			uint32_t cfg = t_cfgaddr(0, s, 0, 0), st = 99, v = 0;
			bool frozen = (int)p == fp && (int)s == fs;
			struct sphb_func *d = m->phbs[p]->devs[s << 3];
			struct sphb_pe *pe;

			if (!present[p][s]) {
				CHECK(d == NULL);
				continue;
			}
			CHECK(d != NULL);
			if (!d)
				continue;
			pe = NULL;
			for (unsigned i = 0; i < m->phbs[p]->npes; i++)
				if (m->phbs[p]->pes[i].group == d->iommu_group)
					pe = &m->phbs[p]->pes[i];
			CHECK(pe != NULL);
			CHECK(d->pe_idx < m->phbs[p]->npes && &m->phbs[p]->pes[d->pe_idx] == pe);
			CHECK(sphb_eeh_pe_of_func(d) == pe);
			CHECK_EQ(pe_addr(p, cfg), cfg);
			CHECK_EQ(state2(p, cfg, &st), 0);
			CHECK_EQ(st, frozen ? 2 : 0);
			CHECK_EQ(t_cfg_read(m, &h, buid(p), cfg, 4, &v), 0);
			CHECK_EQ(v, frozen ? 0xffffffffu : 0x53481014u);
		}
	}
}

static void add(unsigned p, unsigned s, unsigned group)
{
	char spec[128];

	snprintf(spec, sizeof(spec), "sim-pci,bus=phb%u.0,addr=%x,id=d%u_%u,iommu-group=%u", p, s, p, s,
		 group);
	CHECK_EQ(sphb_machine_add(m, spec), 0);
	present[p][s] = true;
}

static void freeze_each(void)
{
	for (unsigned p = 0; p < NPHB; p++)
		for (unsigned s = 0; s < NDEV; s++) {
			char id[32];
			if (!present[p][s])
				continue;
			snprintf(id, sizeof(id), "d%u_%u", p, s);
			CHECK_EQ(sphb_host_freeze(m, id, NULL), 0);
			check_all((int)p, (int)s);
			CHECK_EQ(sphb_machine_reset(m), 0); /* thaws every PE */
		}
	check_all(-1, -1);
}

static void behaviour(void)
{
	struct sphb_host_ops ops = t_ops();

	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	CHECK_EQ(sphb_machine_new(&ops, &h, &m), 0);
	for (unsigned p = 0; p < NPHB; p++) {
		char spec[96];
		snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=phb%u,pe-mode=per-group", p, p);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
	}
	/* added in an order that is neither by PHB nor by slot */
	for (unsigned s = NDEV; s-- > 0;)
		for (unsigned p = 0; p < NPHB; p++)
			add(p, s, 1000 + p * 100 + s * 7);
	freeze_each();

	/* unplug from the middle of each PE table: the tables are compacted
	 * and the functions behind move to lower indices */
	for (unsigned p = 0; p < NPHB; p++) {
		char id[32];
		snprintf(id, sizeof(id), "d%u_%u", p, 3 + p);
		CHECK_EQ(sphb_machine_del(m, id), 0);
		present[p][3 + p] = false;
	}
	freeze_each();
	/* plugged again: its old group (kept by the host), and a new one */
	add(0, 3, 1000 + 3 * 7);
	add(1, 4, 424242);
	freeze_each();
	CHECK(sphb_sim_group(m, 424242, false) != NULL);
	t_free(m, &h);
}

int main(void)
{
	hash_index();
	behaviour();
	return t_result();
}
