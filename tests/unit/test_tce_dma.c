/* DMA through TCE tables as a guest and a device see it: the TCE hypercalls
 * (H_PUT_TCE/H_GET_TCE/H_STUFF_TCE/H_PUT_TCE_INDIRECT; QEMU 7.2
 * hw/ppc/spapr_iommu.c, h_put_tce() and the others), dynamic DMA windows (PAPR §7.3.27; QEMU 7.2
 * hw/ppc/spapr_rtas_ddw.c) with the answers observed on QEMU 7.2 and four
 * QEMU 7.2 DDW bugs fixed (labelled where tested: B1 a page-shift difference
 * >= 32 aborts QEMU in rtas_ibm_create_pe_dma_window(); B2 a LIOBN that is not
 * a PHB window in rtas_ibm_remove_pe_dma_window(); B3 the default window not
 * restored once every DDW window is removed; B4 a new window placed over an
 * existing one), translation and permissions, sparse tables. */
#include <malloc.h>

#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define H_PARAMETER (-4)

static struct t_host h;
static struct sphb_machine *m;

static int64_t hc(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t *ret)
{
	uint64_t args[4] = { a0, a1, a2, a3 }, rets[1] = { 0xdead };
	int64_t hret = 99;
	CHECK_EQ(sphb_hcall(m, op, args, 4, rets, 1, &hret), 0);
	if (ret)
		*ret = rets[0];
	return hret;
}

#define PUT(l, i, t) hc(0x20, l, i, t, 0, NULL)
#define GET(l, i, r) hc(0x1c, l, i, 0, 0, r)
#define STUFF(l, i, t, n) hc(0x138, l, i, t, n, NULL)
#define INDIRECT(l, i, list, n) hc(0x13c, l, i, list, n, NULL)

static int32_t rtas(uint32_t token, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, token, nargs, nret, a, r);
	return (int32_t)r[0];
}

static int32_t create(uint32_t ps, uint32_t ws, uint32_t *r)
{
	uint32_t a[5] = { 0, HI, LO, ps, ws };
	return rtas(0x2027, 5, 4, a, r);
}

static int32_t rm(uint32_t liobn)
{
	uint32_t a[1] = { liobn }, r[1];
	return rtas(0x2028, 1, 1, a, r);
}

static uint32_t avail(void)
{
	uint32_t a[3] = { 0, HI, LO }, r[5];
	CHECK_EQ(rtas(0x2026, 3, 5, a, r), 0);
	return r[1];
}

static void hcalls(void)
{
	uint64_t v;
	const uint64_t L = 0x80000000u;

	/* default window: 1 GiB of 4 KiB pages at 0 */
	CHECK_EQ(PUT(L, 0x1000, 0x1234003), 0);
	CHECK_EQ(GET(L, 0x1000, &v), 0);
	CHECK_EQ(v, 0x1234003);				/* stored verbatim */
	CHECK_EQ(GET(L, 0x1fff, &v), 0);		/* unaligned ioba masked */
	CHECK_EQ(v, 0x1234003);
	CHECK_EQ(PUT(L, 0x3ffff000, 1), 0);		/* last entry */
	CHECK_EQ(PUT(L, 0x40000000, 1), H_PARAMETER);	/* past the window */
	CHECK_EQ(PUT(L + 1, 0, 1), H_PARAMETER);	/* no DDW window yet */
	CHECK_EQ(PUT(0x80000100u, 0, 1), H_PARAMETER);	/* no PHB 1 */
	CHECK_EQ(PUT(0x180000000ull, 0, 1), H_PARAMETER); /* bits 32-63 set */
	CHECK_EQ(PUT(0x2000, 0, 1), H_PARAMETER);	/* a VIO LIOBN */
	CHECK_EQ(GET(L, 0x40000000, &v), H_PARAMETER);
	/* STUFF: npages 0 or > table size refused; partial effect at the end */
	CHECK_EQ(STUFF(L, 0, 5, 0), H_PARAMETER);
	CHECK_EQ(STUFF(L, 0, 5, 262145), H_PARAMETER);
	CHECK_EQ(STUFF(L, 0x3fffe000, 7, 4), H_PARAMETER);
	CHECK_EQ(GET(L, 0x3fffe000, &v), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(GET(L, 0x3ffff000, &v), 0);
	CHECK_EQ(v, 7);
	CHECK_EQ(STUFF(L, 0x10000, 0x5003, 16), 0);
	CHECK_EQ(GET(L, 0x1f000, &v), 0);
	CHECK_EQ(v, 0x5003);
	/* INDIRECT: list 4 KiB aligned, 1..512 entries, big-endian, partial */
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&h, 0x200000 + 8 * i, 0);
		t_st32(&h, 0x200000 + 8 * i + 4, 0x100000u * i + 3);
	}
	CHECK_EQ(INDIRECT(L, 0x100000, 0x200000, 512), 0);
	CHECK_EQ(GET(L, 0x100000 + 511 * 0x1000, &v), 0);
	CHECK_EQ(v, 0x100000u * 511 + 3);
	CHECK_EQ(INDIRECT(L, 0x100000, 0x200000, 513), H_PARAMETER);
	CHECK_EQ(INDIRECT(L, 0x100000, 0x200000, 0), H_PARAMETER);
	CHECK_EQ(INDIRECT(L, 0x100000, 0x200008, 1), H_PARAMETER);
	CHECK_EQ(INDIRECT(L, 0x100000, T_RAM_SIZE, 1), -1);	/* list outside RAM: H_HARDWARE */
	CHECK_EQ(INDIRECT(L, 0x3ffff000 - 0x1000, 0x200000, 4), H_PARAMETER);
	CHECK_EQ(GET(L, 0x3ffff000, &v), 0);		/* the first two stayed written */
	CHECK_EQ(v, 0x100003);
	/* not ours */
	{
		uint64_t args[1] = { 0 };
		int64_t hret;
		CHECK_EQ(sphb_hcall(m, 0x44, args, 1, NULL, 0, &hret), -ENOENT);
	}
}

static void translation(void)
{
	uint64_t gpa;
	unsigned perm;

	CHECK_EQ(PUT(0x80000000u, 0x5000, 0x77000001), 0);	/* read-only */
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x5abc, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x77000abc);
	CHECK_EQ(perm, 1);
	CHECK_EQ(PUT(0x80000000u, 0x5000, 0x77000000), 0);	/* no access */
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x5abc, &gpa, &perm), -EFAULT);
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x40000000, &gpa, &perm), -EFAULT);
	CHECK_EQ(sphb_dma_translate(m, T_BUID0 + 3, 0x1000, 0, &gpa, &perm), -ENODEV);
	/* a DMA-stopped PE blocks translation for its devices only */
	CHECK_EQ(PUT(0x80000000u, 0x6000, 0x88000003), 0);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x6000, &gpa, &perm), -EIO);
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1800, 0x6000, &gpa, &perm), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);			/* thaws, default window emptied */
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0x6000, &gpa, &perm), -EFAULT);
}

static void ddw(void)
{
	uint32_t r[6], a[5] = { 0, HI, LO, 0, 0 };
	uint64_t v, gpa;
	unsigned perm;

	/* the answers observed on QEMU 7.2 */
	CHECK_EQ(rtas(0x2026, 3, 5, a, r), 0);
	CHECK_EQ(r[1], 1); CHECK_EQ(r[2], 0x80000000); CHECK_EQ(r[3], 0x107); CHECK_EQ(r[4], 0);
	CHECK_EQ(rtas(0x2026, 3, 6, a, r), 0);
	CHECK_EQ(r[1], 1); CHECK_EQ(r[2], 0x20); CHECK_EQ(r[3], 0); CHECK_EQ(r[4], 0x107);
	CHECK_EQ(rtas(0x2026, 3, 4, a, r), -3);
	CHECK_EQ(create(13, 30, r), -3);
	CHECK_EQ(create(16, 15, r), -3);
	CHECK_EQ(create(16, 40, r), 0);
	CHECK_EQ(r[1], 0x80000001); CHECK_EQ(r[2], 0x08000000); CHECK_EQ(r[3], 0);
	CHECK_EQ(avail(), 0);
	CHECK_EQ(create(16, 40, r), -1);
	CHECK_EQ(rtas(0x2027, 4, 4, a, r), -3);
	/* the new window translates with 64 KiB pages */
	CHECK_EQ(PUT(0x80000001u, 0x0800000000000000ull + 0x30000, 0x99990003), 0);
	CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1800, 0x0800000000000000ull + 0x3fffc, &gpa, &perm), 0);
	CHECK_EQ(gpa, 0x9999fffc);
	/* B1: shift difference >= 32, shifts >= 64: -3 and nothing changes (QEMU: -1, then abort) */
	CHECK_EQ(rm(0x80000001u), 0);
	CHECK_EQ(avail(), 1);
	CHECK_EQ(create(12, 44, r), -3);
	CHECK_EQ(create(64, 70, r), -3);
	CHECK_EQ(create(200, 12, r), -3);
	CHECK_EQ(create(0, 20, r), -3);
	CHECK_EQ(avail(), 1);
	CHECK_EQ(create(12, 12, r), 0);		/* the next create works */
	CHECK_EQ(rm(r[1]), 0);
	/* B2: a LIOBN that is not a PHB window */
	CHECK_EQ(rm(0x2000), -3);
	CHECK_EQ(rm(0x80000002u), -3);
	CHECK_EQ(rm(0x80000100u), -3);
	/* removing the default window leaves none; the next window goes at dma_win_addr */
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(avail(), 2);
	CHECK_EQ(rm(0x80000000u), -3);
	CHECK_EQ(create(16, 32, r), 0);
	CHECK_EQ(r[1], 0x80000000u);		/* window 0's LIOBN is reused (QEMU) */
	CHECK_EQ(r[2], 0); CHECK_EQ(r[3], 0);
	/* B4: a second window never lands on the first one */
	CHECK_EQ(create(16, 32, r), 0);
	CHECK_EQ(r[1], 0x80000001u);
	CHECK_EQ(r[2], 0x08000000); CHECK_EQ(r[3], 0);
	/* B3: removing the DDW windows until none is left restores the default
	 * window, also when the last one had reused the default LIOBN */
	CHECK_EQ(rm(0x80000001u), 0);
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(avail(), 1);
	CHECK_EQ(PUT(0x80000000u, 0x3ffff000, 3), 0);	/* default: 1 GiB of 4 KiB pages at 0 */
	CHECK_EQ(PUT(0x80000000u, 0x40000000, 3), H_PARAMETER);
	CHECK_EQ(GET(0x80000000u, 0x3ffff000, &v), 0);
	/* reset */
	CHECK_EQ(create(16, 40, r), 0);
	CHECK_EQ(rtas(0x2029, 3, 1, a, r), 0);
	CHECK_EQ(avail(), 1);
	CHECK_EQ(GET(0x80000000u, 0x3ffff000, &v), 0);
	CHECK_EQ(v, 0);				/* fresh table */
	CHECK_EQ(rtas(0x2029, 4, 1, a, r), -3);
}

static void ddw_off_and_sparse(void)
{
	struct t_host h2 = h;
	struct sphb_machine *m2 = m;
	uint32_t r[6], a[5] = { 0, HI, LO + 1, 16, 40 };

	m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=off,ddw=off", NULL);
	CHECK_EQ(rtas(0x2026, 3, 5, a, r), -3);
	CHECK_EQ(rtas(0x2027, 5, 4, a, r), -3);
	a[0] = 0x80000100u;
	CHECK_EQ(rtas(0x2028, 1, 1, a, r), -3);
	CHECK_EQ(rtas(0x2029, 3, 1, (uint32_t[]){ 0, HI, LO + 1 }, r), -3);
	CHECK_EQ(PUT(0x80000100u, 0x1000, 3), 0);	/* its default window works */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	{
		/* an empty 1 TiB window of 64 KiB pages costs < 1 MiB (QEMU: 128 MiB) */
		struct mallinfo2 before = mallinfo2(), after;
		CHECK_EQ(create(16, 40, r), 0);
		after = mallinfo2();
		fprintf(stderr, "empty 1 TiB/64 KiB window: %zu bytes\n", after.uordblks - before.uordblks);
		CHECK(after.uordblks - before.uordblks < (1u << 20));
		/* one entry costs one leaf (and a mid level), not the window */
		before = mallinfo2();
		CHECK_EQ(PUT(r[1], 0x0800000000000000ull + (1ull << 39), 3), 0);
		after = mallinfo2();
		CHECK(after.uordblks - before.uordblks < 16384);
		/* clearing a large empty range allocates nothing */
		before = mallinfo2();
		CHECK_EQ(STUFF(r[1], 0x0800000000000000ull, 0, 1u << 20), 0);
		after = mallinfo2();
		CHECK(after.uordblks - before.uordblks < 4096);
	}
#endif
	t_free(m, &h);
	m = m2;
	h = h2;
}

int main(void)
{
	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=3", "sim-pci,addr=3,id=e", NULL);
	hcalls();
	translation();
	ddw();
	ddw_off_and_sparse();
	t_free(m, &h);
	return t_result();
}
