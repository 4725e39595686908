/* The TCE hypercalls, check by check, as QEMU 7.2 answers them
 * (hw/ppc/spapr_iommu.c: h_put_tce(), h_get_tce(), h_put_tce_indirect(),
 * h_stuff_tce(), spapr_tce_find_by_liobn()): LIOBN decoding, ioba masking
 * and window bounds, npages limits (npages = 0 is H_PARAMETER for STUFF and
 * INDIRECT), TCE list alignment and reading, partial application,
 * permissions and every page size of pgsz. */
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define H_SUCCESS 0
#define H_HARDWARE (-1)
#define H_PARAMETER (-4)
#define L0 0x80000000u		/* PHB 0, default window */
#define LIST 0x200000u		/* TCE lists in guest RAM */

static struct t_host h;
static struct sphb_machine *m;

static int64_t hc(uint64_t op, unsigned nargs, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t *ret)
{
	uint64_t args[4] = { a0, a1, a2, a3 }, rets[1] = { 0xdeadull };
	int64_t hret = 99;
	CHECK_EQ(sphb_hcall(m, op, args, nargs, rets, 1, &hret), 0);
	if (ret)
		*ret = rets[0];
	return hret;
}

#define PUT(l, i, t) hc(0x20, 3, l, i, t, 0, NULL)
#define GET(l, i, r) hc(0x1c, 2, l, i, 0, 0, r)
#define STUFF(l, i, t, n) hc(0x138, 4, l, i, t, n, NULL)
#define INDIRECT(l, i, list, n) hc(0x13c, 4, l, i, list, n, NULL)

static uint64_t get(uint64_t liobn, uint64_t ioba)
{
	uint64_t v = 0xbad;
	CHECK_EQ(GET(liobn, ioba, &v), H_SUCCESS);
	return v;
}

static void st64(uint64_t a, uint64_t v)
{
	t_st32(&h, a, (uint32_t)(v >> 32));
	t_st32(&h, a + 4, (uint32_t)v);
}

static int32_t create(uint32_t lo, uint32_t ps, uint32_t ws, uint64_t *start)
{
	uint32_t a[5] = { 0, HI, lo, ps, ws }, r[4];
	t_rtas_n(m, &h, 0x2027, 5, 4, a, r);
	if ((int32_t)r[0] == 0) {
		*start = (uint64_t)r[2] << 32 | r[3];
		return (int32_t)r[1];
	}
	return (int32_t)r[0];
}

static int32_t rm(uint32_t liobn)
{
	uint32_t a[1] = { liobn }, r[1];
	t_rtas_n(m, &h, 0x2028, 1, 1, a, r);
	return (int32_t)r[0];
}

/* H_PUT_TCE / H_GET_TCE on the default window (1 GiB of 4 KiB pages at 0) */
static void put_get(void)
{
	uint64_t v;

	CHECK_EQ(get(L0, 0), 0);				/* an empty table reads 0 */
	CHECK_EQ(PUT(L0, 0x1000, 0x1234003), H_SUCCESS);
	CHECK_EQ(get(L0, 0x1000), 0x1234003);
	CHECK_EQ(get(L0, 0x1ffc), 0x1234003);			/* unaligned ioba masked */
	CHECK_EQ(PUT(L0, 0x2abc, 0x5678001), H_SUCCESS);	/* unaligned ioba accepted */
	CHECK_EQ(get(L0, 0x2000), 0x5678001);
	CHECK_EQ(PUT(L0, 0x3000, 0xfffffffffffff007ull), H_SUCCESS); /* not validated */
	CHECK_EQ(get(L0, 0x3000), 0xfffffffffffff007ull);	/* stored verbatim */
	CHECK_EQ(PUT(L0, 0x3000, 0), H_SUCCESS);		/* 0 clears */
	CHECK_EQ(get(L0, 0x3000), 0);
	CHECK_EQ(PUT(L0, 0, 3), H_SUCCESS);			/* first entry */
	CHECK_EQ(PUT(L0, 0x3ffff000, 3), H_SUCCESS);		/* last entry */
	CHECK_EQ(PUT(L0, 0x3fffffff, 3), H_SUCCESS);		/* last byte of the window */
	CHECK_EQ(PUT(L0, 0x40000000, 3), H_PARAMETER);		/* first byte past it */
	CHECK_EQ(PUT(L0, ~0ull, 3), H_PARAMETER);
	/* unknown LIOBNs: H_PARAMETER, nothing stored, GET leaves r4 alone */
	CHECK_EQ(PUT(L0 + 1, 0, 3), H_PARAMETER);		/* no DDW window yet */
	CHECK_EQ(PUT(0x80000100u, 0, 3), H_PARAMETER);		/* no PHB index 1 */
	CHECK_EQ(PUT(0x80001f00u, 0, 3), H_PARAMETER);		/* index 31 > SPAPR_MAX_PHBS */
	CHECK_EQ(PUT(0x80000002u, 0, 3), H_PARAMETER);		/* window 2 does not exist */
	CHECK_EQ(PUT(0x80000010u, 0, 3), H_PARAMETER);		/* stray low bits */
	CHECK_EQ(PUT(0x180000000ull, 0, 3), H_PARAMETER);	/* bits 32-63 set */
	CHECK_EQ(PUT(0x00000000u, 0, 3), H_PARAMETER);
	CHECK_EQ(PUT(0x2000, 0, 3), H_PARAMETER);		/* a VIO device's LIOBN */
	v = 0x77;
	CHECK_EQ(GET(0x80000100u, 0, &v), H_PARAMETER);
	CHECK_EQ(v, 0xdead);
	CHECK_EQ(GET(L0, 0x40000000, &v), H_PARAMETER);
	CHECK_EQ(v, 0xdead);
	CHECK_EQ(get(L0, 0), 3);
	/* too few registers is the caller's error, never a silent 0 (an H_PUT_TCE
	 * without its TCE would unmap): -EINVAL, nothing changed */
	{
		uint64_t args[3] = { L0, 0, 0x999 };
		int64_t hret = 99;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 2, NULL, 0, &hret), -EINVAL);
		CHECK_EQ(hret, 99);
		CHECK_EQ(get(L0, 0), 3);
	}
	/* API errors and hcalls that are not ours */
	{
		uint64_t args[4] = { L0, 0, 0, 0 };
		int64_t hret = 5;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 3, NULL, 0, NULL), -EINVAL);
		CHECK_EQ(sphb_hcall(m, 0x20, NULL, 3, NULL, 0, &hret), -EINVAL);
		CHECK_EQ(sphb_hcall(NULL, 0x20, args, 3, NULL, 0, &hret), -EINVAL);
		CHECK_EQ(sphb_hcall(m, 0x1c, args, 2, NULL, 0, &hret), -EINVAL); /* no room for r4 */
		CHECK_EQ(sphb_hcall(m, 0x1c, args, 1, &v, 1, &hret), -EINVAL);	  /* no ioba */
		CHECK_EQ(sphb_hcall(m, 0x138, args, 3, NULL, 0, &hret), -EINVAL); /* no npages */
		CHECK_EQ(sphb_hcall(m, 0x13c, args, 3, NULL, 0, &hret), -EINVAL);
		CHECK_EQ(hret, 5);
		CHECK_EQ(sphb_hcall(m, 0xf000, args, 1, NULL, 0, &hret), -ENOENT); /* KVMPPC_H_RTAS */
		CHECK_EQ(sphb_hcall(m, 0x04, args, 1, NULL, 0, &hret), -ENOENT);  /* H_ENTER */
		CHECK_EQ(sphb_hcall(m, 0x1e, args, 1, NULL, 0, &hret), -ENOENT);
		CHECK_EQ(hret, 5);					/* untouched */
	}
}

/* a PHB whose default window does not start at 0: ioba < offset is out */
static void offset_window(void)
{
	const uint64_t L1 = 0x80000100u, base = 0x10000000;

	CHECK_EQ(PUT(L1, base, 3), H_SUCCESS);
	CHECK_EQ(PUT(L1, base - 1, 3), H_PARAMETER);
	CHECK_EQ(PUT(L1, 0, 3), H_PARAMETER);
	CHECK_EQ(PUT(L1, base + 0x1fff000, 3), H_SUCCESS);	/* 32 MiB window, last page */
	CHECK_EQ(PUT(L1, base + 0x2000000, 3), H_PARAMETER);
	CHECK_EQ(STUFF(L1, base - 0x1000, 1, 2), H_PARAMETER);	/* starts outside: nothing */
	CHECK_EQ(get(L1, base), 3);
	CHECK_EQ(STUFF(L1, base, 0, 8192), H_SUCCESS);		/* exactly the table */
	CHECK_EQ(STUFF(L1, base, 0, 8193), H_PARAMETER);
	CHECK_EQ(get(L1, base + 0x1fff000), 0);
}

static void stuff(void)
{
	/* B8: npages 0 is H_PARAMETER; npages > nb_table too, before anything */
	CHECK_EQ(STUFF(L0, 0x5000, 9, 0), H_PARAMETER);
	CHECK_EQ(get(L0, 0x5000), 0);
	CHECK_EQ(STUFF(L0, 0x5000, 9, 262145), H_PARAMETER);
	CHECK_EQ(get(L0, 0x5000), 0);
	CHECK_EQ(STUFF(L0, 0x5000, 9, ~0ull), H_PARAMETER);
	CHECK_EQ(STUFF(0x80000100u, 0x5000, 9, 1), H_PARAMETER);	/* unknown LIOBN */
	CHECK_EQ(STUFF(L0, 0x40000000, 9, 1), H_PARAMETER);		/* outside: nothing */
	/* a run, unaligned start masked */
	CHECK_EQ(STUFF(L0, 0x10123, 0x5003, 16), H_SUCCESS);
	CHECK_EQ(get(L0, 0xf000), 0);
	CHECK_EQ(get(L0, 0x10000), 0x5003);
	CHECK_EQ(get(L0, 0x1f000), 0x5003);
	CHECK_EQ(get(L0, 0x20000), 0);
	/* across leaf boundaries (512 entries = 2 MiB of 4 KiB pages) */
	CHECK_EQ(STUFF(L0, 0x1ff000, 0x42, 1026), H_SUCCESS);
	CHECK_EQ(get(L0, 0x1fe000), 0);
	CHECK_EQ(get(L0, 0x1ff000), 0x42);
	CHECK_EQ(get(L0, 0x400000), 0x42);
	CHECK_EQ(get(L0, 0x600000), 0x42);
	CHECK_EQ(get(L0, 0x601000), 0);
	/* partial: runs off the end of the window, the entries inside stay */
	CHECK_EQ(STUFF(L0, 0x3fffd000, 7, 5), H_PARAMETER);
	CHECK_EQ(get(L0, 0x3fffc000), 0);
	CHECK_EQ(get(L0, 0x3fffd000), 7);
	CHECK_EQ(get(L0, 0x3fffe000), 7);
	CHECK_EQ(get(L0, 0x3ffff000), 7);
	/* the whole table, then cleared */
	CHECK_EQ(STUFF(L0, 0, 0x11, 262144), H_SUCCESS);
	CHECK_EQ(get(L0, 0), 0x11);
	CHECK_EQ(get(L0, 0x3ffff000), 0x11);
	CHECK_EQ(STUFF(L0, 0, 0, 262144), H_SUCCESS);
	CHECK_EQ(get(L0, 0x20000000), 0);
}

static void indirect(void)
{
	for (unsigned i = 0; i < 512; i++)
		st64(LIST + 8 * i, 0xab00000000ull + 0x1000ull * i + 3);
	/* B8 and the limits: npages 0, > 512, list not 4 KiB aligned (whatever
	 * the table page size): H_PARAMETER and nothing written */
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST, 0), H_PARAMETER);
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST, 513), H_PARAMETER);
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST + 8, 1), H_PARAMETER);
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST + 0x800, 1), H_PARAMETER);
	CHECK_EQ(INDIRECT(0x80000100u, 0x100000, LIST, 1), H_PARAMETER);
	CHECK_EQ(INDIRECT(L0, 0x40000000, LIST, 1), H_PARAMETER);	/* outside: nothing */
	CHECK_EQ(get(L0, 0x100000), 0);
	/* a list the host cannot read: H_HARDWARE, nothing written */
	CHECK_EQ(INDIRECT(L0, 0x100000, T_RAM_SIZE, 1), H_HARDWARE);
	CHECK_EQ(INDIRECT(L0, 0x100000, 0x0100000000000000ull, 8), H_HARDWARE);
	CHECK_EQ(get(L0, 0x100000), 0);
	/* 512 entries, big-endian, in order */
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST, 512), H_SUCCESS);
	CHECK_EQ(get(L0, 0x100000), 0xab00000003ull);
	CHECK_EQ(get(L0, 0x101000), 0xab00001003ull);
	CHECK_EQ(get(L0, 0x100000 + 511 * 0x1000), 0xab00000003ull + 0x1ff000);
	CHECK_EQ(get(L0, 0x100000 + 512 * 0x1000), 0);
	/* unaligned ioba masked; a list address with the top 4 bits set is real */
	CHECK_EQ(INDIRECT(L0, 0x800fff, 0xf000000000000000ull | LIST, 2), H_SUCCESS);
	CHECK_EQ(get(L0, 0x800000), 0xab00000003ull);
	CHECK_EQ(get(L0, 0x801000), 0xab00001003ull);
	/* partial: the entries inside the window stay written */
	CHECK_EQ(INDIRECT(L0, 0x3fffe000, LIST, 4), H_PARAMETER);
	CHECK_EQ(get(L0, 0x3fffe000), 0xab00000003ull);
	CHECK_EQ(get(L0, 0x3ffff000), 0xab00001003ull);
	/* zero entries clear */
	st64(LIST + 0x1000, 0);
	CHECK_EQ(INDIRECT(L0, 0x100000, LIST + 0x1000, 1), H_SUCCESS);
	CHECK_EQ(get(L0, 0x100000), 0);
	CHECK_EQ(get(L0, 0x101000), 0xab00001003ull);
}

/* TCE permission bits 0-1 as seen by a DMA (§7.1) */
static void permissions(void)
{
	static const struct { uint64_t tce; int rc; unsigned perm; } p[] = {
		{ 0x700000, -EFAULT, 0 }, { 0x700001, 0, 1 }, { 0x700002, 0, 2 },
		{ 0x700003, 0, 3 }, { 0x700ff7, 0, 3 },		/* other low bits ignored */
		{ 0x700ff4, -EFAULT, 0 },
	};
	for (unsigned i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		uint64_t gpa = 0;
		unsigned perm = 9;
		CHECK_EQ(PUT(L0, 0x9000, p[i].tce), H_SUCCESS);
		CHECK_EQ(get(L0, 0x9000), p[i].tce);
		CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x9abc, &gpa, &perm), p[i].rc);
		if (p[i].rc == 0) {
			CHECK_EQ(perm, p[i].perm);
			CHECK_EQ(gpa, 0x700abc);
		}
	}
	{
		uint64_t gpa;
		unsigned perm;
		CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x40000000, &gpa, &perm), -EFAULT);
		CHECK_EQ(sphb_dma_translate(m, T_BUID0 + 7, 0x1000, 0x9000, &gpa, &perm), -ENODEV);
		CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x9000, NULL, &perm), -EINVAL);
	}
}

/* every page size a DDW window can have (pgsz with all supported bits) */
static void page_sizes(void)
{
	static const unsigned shifts[] = { 12, 16, 21, 24, 25, 26, 27, 28, 34 };
	const uint64_t BUID2 = T_BUID0 + 2;

	for (unsigned k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++) {
		unsigned ps = shifts[k];
		uint64_t start = 0, nb = 4096, pg = 1ull << ps, gpa = 0, win;
		unsigned perm = 0;
		int32_t liobn = create(LO + 2, ps, ps + 12, &start);

		CHECK_EQ(liobn, (int32_t)0x80000201u);
		CHECK_EQ(start, 0x800000000000000ull);
		win = (uint32_t)liobn;
		/* the last byte of page 5, masked to the page */
		CHECK_EQ(PUT(win, start + 6 * pg - 1, (7ull << ps) | 3), H_SUCCESS);
		CHECK_EQ(get(win, start + 5 * pg), (7ull << ps) | 3);
		CHECK_EQ(get(win, start + 6 * pg), 0);
		CHECK_EQ(sphb_dma_translate(m, BUID2, 0x1000, start + 5 * pg + pg / 2, &gpa, &perm), 0);
		CHECK_EQ(gpa, (7ull << ps) + pg / 2);
		CHECK_EQ(perm, 3);
		/* bounds */
		CHECK_EQ(PUT(win, start + (nb - 1) * pg, 1), H_SUCCESS);
		CHECK_EQ(PUT(win, start + nb * pg, 1), H_PARAMETER);
		CHECK_EQ(PUT(win, start - 1, 1), H_PARAMETER);
		/* STUFF limit = this table's size */
		CHECK_EQ(STUFF(win, start, 2, nb + 1), H_PARAMETER);
		CHECK_EQ(STUFF(win, start, 2, nb), H_SUCCESS);
		CHECK_EQ(get(win, start + (nb - 1) * pg), 2);
		CHECK_EQ(STUFF(win, start + (nb - 2) * pg, 0, nb), H_PARAMETER); /* partial */
		CHECK_EQ(get(win, start + (nb - 3) * pg), 2);
		CHECK_EQ(get(win, start + (nb - 1) * pg), 0);
		/* INDIRECT: the 4 KiB list rule whatever the page size */
		CHECK_EQ(INDIRECT(win, start + pg, LIST, 3), H_SUCCESS);
		CHECK_EQ(get(win, start + 3 * pg), 0xab00002003ull);
		CHECK_EQ(rm((uint32_t)liobn), 0);
		CHECK_EQ(PUT(win, start, 1), H_PARAMETER);		/* gone */
	}
	/* a page size the PHB does not offer, and 4 KiB windows on PHB 0 (0x107) */
	{
		uint64_t start;
		CHECK_EQ(create(LO, 25, 40, &start), -3);
		CHECK_EQ(create(LO, 21, 33, &start), (int32_t)0x80000001u);
		CHECK_EQ(PUT(0x80000001u, start + (1ull << 33) - 1, 3), H_SUCCESS);
		CHECK_EQ(get(0x80000001u, start + (1ull << 33) - (1ull << 21)), 3);
		CHECK_EQ(rm(0x80000001u), 0);
	}
}

int main(void)
{
	m = t_machine(&h, "sim-pci,addr=2,id=d",
		      "spapr-pci-host-bridge,index=1,id=p1,dma_win_addr=0x10000000,dma_win_size=0x2000000",
		      "spapr-pci-host-bridge,index=2,id=p2,pgsz=0x41f211000", NULL);
	put_get();
	offset_window();
	stuff();
	indirect();
	permissions();
	page_sizes();
	t_free(m, &h);
	return t_result();
}
