/* Interrupt numbers from the host (irq_alloc/irq_claim/irq_free): a VMM with
 * other interrupt sources numbers the PHB's LSIs and MSIs itself. The guest
 * sees those numbers in the device tree's interrupt-map, in
 * ibm,query-interrupt-source-number and in MSI data; every number the
 * library takes it gives back; a migration target claims the source's.
 * SPDX-License-Identifier: MIT */
#include "harness.h"

#define BASE 0x4000u
#define NUM 0x400u

static struct t_host h;
static uint8_t used[NUM];
static unsigned nalloc, nclaim, nfree, fail_alloc;
static uint32_t last_set, last_pulse;

static int h_alloc(void *o, uint64_t buid, enum sphb_irq_type type, unsigned count, unsigned align,
		   uint32_t *first)
{
	(void)o;
	(void)buid;
	(void)type;
	nalloc++;
	if (fail_alloc)
		return -ENOSPC;
	for (unsigned i = 0; i + count <= NUM; i += align) {
		unsigned j;
		for (j = 0; j < count && !used[i + j]; j++)
			;
		if (j == count) {
			memset(used + i, 1, count);
			*first = BASE + i;
			return 0;
		}
	}
	return -ENOSPC;
}

static int h_claim(void *o, uint64_t buid, enum sphb_irq_type type, uint32_t first, unsigned count)
{
	(void)o;
	(void)buid;
	(void)type;
	nclaim++;
	if (first < BASE || first - BASE + count > NUM)
		return -EINVAL;
	for (unsigned i = 0; i < count; i++)
		if (used[first - BASE + i])
			return -EBUSY;
	memset(used + first - BASE, 1, count);
	return 0;
}

static void h_free(void *o, uint64_t buid, uint32_t first, unsigned count)
{
	(void)o;
	(void)buid;
	nfree++;
	for (unsigned i = 0; i < count; i++) {
		CHECK(used[first - BASE + i]); /* never freed twice */
		used[first - BASE + i] = 0;
	}
}

static void h_set(void *o, uint32_t irq, int level)
{
	(void)o;
	(void)level;
	last_set = irq;
}

static void h_pulse(void *o, uint32_t irq)
{
	(void)o;
	last_pulse = irq;
}

static unsigned in_use(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NUM; i++)
		n += used[i];
	return n;
}

static struct sphb_host_ops ops(void)
{
	struct sphb_host_ops o = t_ops();
	o.irq_alloc = h_alloc;
	o.irq_claim = h_claim;
	o.irq_free = h_free;
	o.irq_set = h_set;
	o.irq_pulse = h_pulse;
	return o;
}

static int32_t change_msi(struct sphb_machine *m, uint32_t cfg, uint32_t fn, uint32_t n, uint32_t *first)
{
	uint32_t a[6] = { cfg, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, fn, n, 0 }, r[4], q[3];
	uint32_t qa[4] = { cfg, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, 0 };

	CHECK_EQ(t_rtas_n(m, &h, (uint32_t)t_token("ibm,change-msi"), 6, 4, a, r), 0);
	if ((int32_t)r[0] == 0 && n && first) {
		CHECK_EQ(t_rtas_n(m, &h, (uint32_t)t_token("ibm,query-interrupt-source-number"), 4, 3, qa, q), 0);
		*first = q[1];
	}
	return (int32_t)r[0];
}

/* the interrupt-map's numbers */
static uint32_t imap[32 * 4 * 7];
static unsigned nimap;
static int b(void *o, const char *n) { (void)o; (void)n; return 0; }
static int e(void *o) { (void)o; return 0; }
static int p(void *o, const char *name, const void *val, size_t len)
{
	(void)o;
	if (!strcmp(name, "interrupt-map"))
		for (nimap = 0; nimap < len / 4; nimap++) {
			const uint8_t *c = (const uint8_t *)val + 4 * nimap;
			imap[nimap] = (uint32_t)c[0] << 24 | c[1] << 16 | c[2] << 8 | c[3];
		}
	return 0;
}

static void test_numbers(void)
{
	static const char *const specs[] = {
		"sim-pci,addr=2,id=a,msi=4", "sim-pci,addr=3,id=x,msix=8", NULL };
	struct sphb_host_ops o = ops();
	struct sphb_machine *m = t_machine_ops(&h, &o, specs);
	struct sphb_phb_info info = { .sz = sizeof(info) };
	struct sphb_fdt_ops fo = { sizeof(fo), b, e, p, 0 };
	struct sphb_dma *hd;
	uint32_t fa, fx;
	uint8_t d[4];

	/* the PHB's four LSIs came from the host */
	CHECK_EQ(sphb_phb_info(m, "pci", &info), 0);
	CHECK(info.lsi[0] >= BASE && info.lsi[0] < BASE + NUM);
	for (unsigned i = 1; i < 4; i++)
		CHECK_EQ(info.lsi[i], info.lsi[0] + i);
	/* the device tree's interrupt-map names them: slot 2 INTA -> LSI 2 */
	CHECK_EQ(sphb_fdt_phbs(m, &fo, NULL), 0);
	CHECK_EQ(nimap, 32 * 4 * 7);
	CHECK_EQ(imap[(2 * 4 + 0) * 7 + 5], info.lsi[2]);
	/* INTx reaches irq_set with the host's number */
	CHECK_EQ(sphb_dev_intx(m, "a", 1), 0);
	CHECK_EQ(last_set, info.lsi[2]);
	/* MSIs: aligned as asked (an MSI block to its size), numbers the guest sees */
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 2, 0, 0), 3, 4, &fa), 0);
	CHECK((fa - BASE) % 4 == 0);
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 3, 0, 0), 4, 8, &fx), 0);
	CHECK(fx >= BASE && fx != fa);
	CHECK_EQ(in_use(), 4 + 4 + 8);
	/* delivered with the host's numbers */
	CHECK_EQ(sphb_dma_open(m, T_BUID0, t_cfgaddr(0, 3, 0, 0), &hd), 0);
	d[0] = (uint8_t)(fx + 7); d[1] = (uint8_t)((fx + 7) >> 8); d[2] = 0; d[3] = 0;
	CHECK_EQ(sphb_dma_write(hd, 0x40000000000ull, d, 4), 0);
	CHECK_EQ(last_pulse, fx + 7);
	sphb_dma_close(hd);
	/* a new allocation replaces the old one: freed after */
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 2, 0, 0), 3, 2, &fa), 0);
	CHECK_EQ(in_use(), 4 + 2 + 8);
	/* the host has none left: the guest hears -1, the old allocation stays */
	fail_alloc = 1;
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 2, 0, 0), 3, 4, NULL), -1);
	fail_alloc = 0;
	CHECK_EQ(in_use(), 4 + 2 + 8);
	/* release, unplug, PHB reset: given back */
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 2, 0, 0), 3, 0, NULL), 0);
	CHECK_EQ(in_use(), 4 + 8);
	CHECK_EQ(sphb_machine_del(m, "x"), 0);
	CHECK_EQ(in_use(), 4);
	CHECK_EQ(change_msi(m, t_cfgaddr(0, 2, 0, 0), 3, 1, &fa), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(in_use(), 4);
	t_free(m, &h);
	CHECK_EQ(in_use(), 0); /* the LSIs too */
}

static void test_refusals(void)
{
	struct sphb_host_ops o = ops();
	struct sphb_machine *m = NULL;

	/* all three or none */
	o.irq_claim = NULL;
	CHECK_EQ(sphb_machine_new(&o, &h, &m), -EINVAL);
	o = ops();
	o.irq_free = NULL;
	CHECK_EQ(sphb_machine_new(&o, &h, &m), -EINVAL);
	o = ops();
	CHECK_EQ(sphb_machine_new(&o, &h, &m), 0);
	/* no numbers for the LSIs: the PHB is refused, with the reason */
	fail_alloc = 1;
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=0,id=pci"), -ENOSPC);
	CHECK(strstr(h.last_log, "LSIs") != NULL);
	fail_alloc = 0;
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=0,id=pci"), 0);
	sphb_machine_free(m);
	CHECK_EQ(in_use(), 0);
}

/* a migration target claims the source's numbers */
static void test_migration(void)
{
	static const char *const specs[] = { "sim-pci,addr=2,id=a,msi=4", NULL };
	struct sphb_host_ops o = ops();
	struct sphb_machine *a = t_machine_ops(&h, &o, specs), *bm;
	struct t_host hb;
	uint8_t *buf;
	size_t need;
	uint32_t fa;

	CHECK_EQ(change_msi(a, t_cfgaddr(0, 2, 0, 0), 3, 4, &fa), 0);
	CHECK_EQ(sphb_machine_save(a, NULL, 0, &need), -ENOSPC);
	buf = malloc(need);
	CHECK_EQ(sphb_machine_save(a, buf, need, &need), 0);
	/* the target is another machine on another host: free what a holds so
	 * the same numbers are available, as they would be on a new host */
	t_free(a, &h);
	CHECK_EQ(in_use(), 0);
	bm = t_machine_ops(&hb, &o, specs);
	CHECK_EQ(in_use(), 4);
	/* taken on this host: refused, and nothing claimed stays */
	used[fa - BASE] = 1;
	CHECK_EQ(sphb_machine_load(bm, buf, need), -EBUSY);
	CHECK(strstr(hb.last_log, "refuses MSI numbers") != NULL);
	used[fa - BASE] = 0;
	CHECK_EQ(in_use(), 4);
	nclaim = 0;
	CHECK_EQ(sphb_machine_load(bm, buf, need), 0);
	CHECK_EQ(nclaim, 1);
	CHECK_EQ(in_use(), 8);
	{
		uint32_t qa[4] = { t_cfgaddr(0, 2, 0, 0), (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, 3 }, q[3];
		CHECK_EQ(t_rtas_n(bm, &hb, (uint32_t)t_token("ibm,query-interrupt-source-number"), 4, 3, qa, q), 0);
		CHECK_EQ(q[0], 0);
		CHECK_EQ(q[1], fa + 3);
	}
	free(buf);
	t_free(bm, &hb);
	CHECK_EQ(in_use(), 0);
}

int main(void)
{
	test_numbers();
	test_refusals();
	test_migration();
	return t_result();
}
