/* DMA handles (sphb_dma_open/xlate/close) answer exactly what
 * sphb_dma_translate() answers for the same PHB and requester, whatever
 * happened in between: their translation cache must be invisible. A random
 * walk over everything that changes a translation (TCE hypercalls, window
 * create/remove/reset, EEH freeze/thaw/reset, a function unplugged and
 * plugged at the handle's address, machine reset), with every address
 * translated twice or more through the handle (the second is served from its
 * cache when nothing changed) and compared with the handle-less path and with
 * a model of what the guest mapped. Plus the handle's own error cases. */
#include <stdbool.h>

#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define STEPS 4000
#define NPAGES 64	/* the pages the walk maps, in each window */

static struct t_host h;
static struct sphb_machine *m;
static unsigned seed = 12345;

static unsigned rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static int64_t hcall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t args[4] = { a0, a1, a2, a3 }, rets[1];
	int64_t hret = 99;

	CHECK_EQ(sphb_hcall(m, op, args, 4, rets, 1, &hret), 0);
	return hret;
}

static int32_t rtas(uint32_t token, unsigned nargs, unsigned nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, token, nargs, nret, a, r);
	return (int32_t)r[0];
}

/* one address of the walk: default window (4 KiB pages) or DDW (64 KiB) */
static uint64_t addr(unsigned ddw, unsigned page, unsigned off)
{
	return ddw ? (1ull << 59) + ((uint64_t)page << 16) + (off & 0xffff)
		   : ((uint64_t)page << 12) + (off & 0xfff);
}

/* translate a through handle hd twice and the plain path once: all equal */
static void compare(struct sphb_dma *hd, uint32_t req, uint64_t a)
{
	uint64_t g1 = 0, g2 = 0, g3 = 0;
	unsigned p1 = 9, p2 = 9, p3 = 9;
	int r1 = sphb_dma_xlate(hd, a, &g1, &p1);
	int r2 = sphb_dma_xlate(hd, a, &g2, &p2);
	int r3 = sphb_dma_translate(m, T_BUID0, req, a, &g3, &p3);

	CHECK_EQ(r1, r3);
	CHECK_EQ(r2, r3);
	if (r3 == 0) {
		CHECK_EQ(g1, g3); CHECK_EQ(p1, p3);
		CHECK_EQ(g2, g3); CHECK_EQ(p2, p3);
	}
}

static void walk(void)
{
	struct sphb_dma *hp, *he, *hn;	/* pass-through (group 3), emulated, empty slot */
	uint32_t liobn_ddw = 0, r[6];
	bool plugged = true;

	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=3", "sim-pci,addr=3,id=e", NULL);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1000, &hp), 0);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1800, &he), 0);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x2000, &hn), 0);
	/* TCE lists for INDIRECT in guest RAM at 0x200000 */
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned op = rnd() % 12, page = rnd() % NPAGES;
		uint64_t tce = ((uint64_t)(rnd() % 4096) << 16) | (rnd() % 4);
		uint32_t a[5] = { 0x1000, HI, LO, 16, 24 };

		switch (op) {
		case 0: case 1: case 2:
			(void)hcall(0x20, 0x80000000u, addr(0, page, 0), tce, 0);
			break;
		case 3:
			if (liobn_ddw)
				(void)hcall(0x20, liobn_ddw, addr(1, page, 0), tce, 0);
			break;
		case 4:		/* H_STUFF_TCE over a few pages */
			(void)hcall(0x138, 0x80000000u, addr(0, page, 0), tce, 1 + rnd() % 8);
			break;
		case 5: {	/* H_PUT_TCE_INDIRECT of up to 16 entries */
			unsigned n = 1 + rnd() % 16;
			for (unsigned k = 0; k < n; k++) {
				uint64_t v = ((uint64_t)(rnd() % 4096) << 12) | (rnd() % 4);
				t_st32(&h, 0x200000 + 8 * k, (uint32_t)(v >> 32));
				t_st32(&h, 0x200000 + 8 * k + 4, (uint32_t)v);
			}
			(void)hcall(0x13c, 0x80000000u, addr(0, page, 0), 0x200000, n);
			break;
		}
		case 6:		/* a DDW window comes or goes */
			if (!liobn_ddw) {
				if (rtas(0x2027, 5, 4, a, r) == 0)
					liobn_ddw = r[1];
			} else if (rnd() % 2) {
				uint32_t b[1] = { liobn_ddw };
				CHECK_EQ(rtas(0x2028, 1, 1, b, r), 0);
				liobn_ddw = 0;
			} else {
				CHECK_EQ(rtas(0x2029, 3, 1, a, r), 0); /* reset: default window back */
				liobn_ddw = 0;
			}
			break;
		case 7:		/* the host freezes the pass-through function's PE */
			if (plugged)
				CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
			break;
		case 8: {	/* the guest thaws it (ibm,set-eeh-option 2, then 3) */
			uint32_t b[4] = { 0x1000, HI, LO, 2 + rnd() % 2 };
			(void)rtas(0x2020, 4, 1, b, r);
			break;
		}
		case 9: {	/* hot reset: assert, then deactivate */
			uint32_t b[4] = { 0x1000, HI, LO, 1 };
			(void)rtas(0x2023, 4, 1, b, r);
			if (rnd() % 2) {
				b[3] = 0;
				(void)rtas(0x2023, 4, 1, b, r);
			}
			break;
		}
		case 10:	/* the function leaves its slot, or comes back (frozen or not) */
			if (plugged)
				CHECK_EQ(sphb_machine_del(m, "p"), 0);
			else
				CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=2,id=p,iommu-group=3"), 0);
			plugged = !plugged;
			break;
		case 11:
			if (rnd() % 8 == 0) {
				CHECK_EQ(sphb_machine_reset(m), 0);
				liobn_ddw = 0;
			}
			break;
		}
		for (unsigned k = 0; k < 6; k++) {
			unsigned ddw = rnd() % 3 == 0, pg = rnd() % NPAGES, off = rnd();
			uint64_t x = addr(ddw, pg, off);
			compare(hp, 0x1000, x);
			compare(he, 0x1800, x);
			compare(hn, 0x2000, x);
			/* the same page again at another offset: a cache hit */
			compare(hp, 0x1000, addr(ddw, pg, off + 0x123));
		}
		if (t_failures) {
			fprintf(stderr, "first difference at step %u (op %u)\n", step, op);
			break;
		}
	}
	sphb_dma_close(he);
	sphb_dma_close(hn);
	sphb_dma_close(hp);
	t_free(m, &h);
}

/* What a handle answers, stated directly. */
static void basics(void)
{
	struct sphb_dma *hd = NULL, *leak = NULL;
	uint64_t gpa;
	unsigned perm;

	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=3", NULL);
	CHECK_EQ(sphb_dma_open(NULL, T_BUID0, 0x1000, &hd), -EINVAL);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1000, NULL), -EINVAL);
	CHECK_EQ(sphb_dma_open(m, T_BUID0 + 5, 0x1000, &hd), -ENODEV);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1000, &hd), 0);
	CHECK_EQ(sphb_dma_xlate(hd, 0x5000, &gpa, &perm), -EFAULT);		/* nothing mapped */
	CHECK_EQ(hcall(0x20, 0x80000000u, 0x5000, 0x77000001, 0), 0);
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x77000abc); CHECK_EQ(perm, 1);
	CHECK_EQ(hcall(0x20, 0x80000000u, 0x5000, 0x66000003, 0), 0);	/* remapped */
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x66000abc); CHECK_EQ(perm, 3);
	CHECK_EQ(hcall(0x138, 0x80000000u, 0x5000, 0, 1), 0);			/* cleared */
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), -EFAULT);
	CHECK_EQ(hcall(0x20, 0x80000000u, 0x5000, 0x66000003, 0), 0);
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);				/* DMA-stopped */
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), -EIO);
	CHECK_EQ(sphb_machine_del(m, "p"), 0);		/* no function there: not blocked */
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=2,id=p,iommu-group=3"), 0);
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);		/* default window emptied */
	CHECK_EQ(sphb_dma_xlate(hd, 0x5abc, &gpa, &perm), -EFAULT);
	sphb_dma_close(hd);
	sphb_dma_close(NULL);
	/* a handle still open when the machine goes is freed with it (valgrind) */
	CHECK_EQ(sphb_dma_open(m, T_BUID0, 0x1000, &leak), 0);
	t_free(m, &h);
}

int main(void)
{
	basics();
	walk();
	return t_result();
}
