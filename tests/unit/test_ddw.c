/* Dynamic DMA windows (LoPAR 7.3.27; QEMU 7.2 hw/ppc/spapr_rtas_ddw.c):
 * QEMU 7.2's observed answers, then the places where sphb follows PAPR
 * instead (bugs B1-B4, docs/qemu-differences.md), reset, ddw=off, and a randomized
 * sequence checked against a model (no overlap, no half-changed state). */
#include "harness.h"
#include "internal.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define S T_SENTINEL
#define DMA64 0x800000000000000ull

static struct t_host h;
static struct sphb_machine *m;

static int32_t call(uint32_t token, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, token, nargs, nret, a, r);
	return (int32_t)r[0];
}

static int32_t query(unsigned idx, uint32_t nret, uint32_t *r)
{
	uint32_t a[3] = { 0x1000, HI, LO + idx };
	return call(0x2026, 3, nret, a, r);
}

static uint32_t avail(unsigned idx)
{
	uint32_t r[5];
	CHECK_EQ(query(idx, 5, r), 0);
	return r[1];
}

static int32_t create(unsigned idx, uint32_t ps, uint32_t ws, uint32_t *r)
{
	uint32_t a[5] = { 0x1000, HI, LO + idx, ps, ws };
	return call(0x2027, 5, 4, a, r);
}

static int32_t rm(uint32_t liobn)
{
	uint32_t a[1] = { liobn }, r[1];
	return call(0x2028, 1, 1, a, r);
}

static int32_t reset(unsigned idx)
{
	uint32_t a[3] = { 0x1000, HI, LO + idx }, r[1];
	return call(0x2029, 3, 1, a, r);
}

static int64_t put(uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	uint64_t args[3] = { liobn, ioba, tce };
	int64_t hret = 99;
	CHECK_EQ(sphb_hcall(m, 0x20, args, 3, NULL, 0, &hret), 0);
	return hret;
}

static uint64_t get(uint64_t liobn, uint64_t ioba)
{
	uint64_t args[2] = { liobn, ioba }, rets[1] = { 0xbad };
	int64_t hret = 99;
	CHECK_EQ(sphb_hcall(m, 0x1c, args, 2, rets, 1, &hret), 0);
	CHECK_EQ(hret, 0);
	return rets[0];
}

static uint32_t liobn(unsigned idx, unsigned w) { return 0x80000000u | idx << 8 | w; }

/* window w of PHB idx as the library holds it */
struct win { bool on; uint64_t start, size; unsigned shift; };
static struct win win(unsigned idx, unsigned w)
{
	struct sphb_tce_table *t = sphb_tce_by_liobn(m, liobn(idx, w), NULL);
	struct win x = { false, 0, 0, 0 };
	if (t) {
		x.on = true;
		x.start = sphb_tce_offset(t);
		x.shift = sphb_tce_shift(t);
		x.size = sphb_tce_nb(t) << x.shift;
	}
	return x;
}

static bool overlap(struct win a, struct win b)
{
	return a.on && b.on && a.start < b.start + b.size && b.start < a.start + a.size;
}

static bool same(const struct win *a, const struct win *b)
{
	for (unsigned i = 0; i < 2; i++)
		if (a[i].on != b[i].on || a[i].start != b[i].start || a[i].size != b[i].size ||
		    a[i].shift != b[i].shift)
			return false;
	return true;
}

#define CHECK_WIN(idx, w, st, sz, sh) do { \
	struct win _x = win(idx, w); \
	CHECK(_x.on); CHECK_EQ(_x.start, st); CHECK_EQ(_x.size, sz); CHECK_EQ(_x.shift, sh); \
} while (0)
#define CHECK_NOWIN(idx, w) CHECK(!win(idx, w).on)

/* §9, observed on QEMU 7.2: sphb answers the same */
static void qemu_observed(void)
{
	uint32_t r[8];

	CHECK_EQ(query(0, 5, r), 0);
	CHECK_EQ(r[1], 1); CHECK_EQ(r[2], 0x80000000u); CHECK_EQ(r[3], 0x107); CHECK_EQ(r[4], 0);
	CHECK_EQ(query(0, 6, r), 0);
	CHECK_EQ(r[1], 1); CHECK_EQ(r[2], 0x20); CHECK_EQ(r[3], 0); CHECK_EQ(r[4], 0x107);
	CHECK_EQ(r[5], 0);
	CHECK_EQ(query(0, 4, r), -3);
	CHECK_EQ(r[1], S);
	CHECK_EQ(query(0, 7, r), -3);
	CHECK_EQ(call(0x2026, 2, 5, (uint32_t[]){ 0, HI }, r), -3);
	CHECK_EQ(query(9, 5, r), -3);				/* no such PHB */
	CHECK_EQ(r[1], S);
	CHECK_EQ(create(0, 13, 30, r), -3);			/* 8 KiB pages: not in pgsz */
	CHECK_EQ(r[1], S);
	CHECK_EQ(create(0, 16, 15, r), -3);			/* window < page */
	CHECK_EQ(create(0, 16, 40, r), 0);
	CHECK_EQ(r[1], 0x80000001u); CHECK_EQ(r[2], 0x08000000); CHECK_EQ(r[3], 0);
	CHECK_WIN(0, 1, DMA64, 1ull << 40, 16);
	CHECK_WIN(0, 0, 0, 0x40000000, 12);			/* the default one stays */
	CHECK_EQ(avail(0), 0);
	CHECK_EQ(query(0, 6, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(create(0, 16, 40, r), -1);			/* no free window */
	CHECK_EQ(r[1], S);
	CHECK_EQ(call(0x2027, 4, 4, (uint32_t[]){ 0, HI, LO, 16 }, r), -3);
	CHECK_EQ(call(0x2027, 5, 3, (uint32_t[]){ 0, HI, LO, 16, 40 }, r), -3);
	CHECK_EQ(create(9, 16, 40, r), -3);
	CHECK_EQ(rm(0x80000000u), 0);				/* the default window */
	CHECK_EQ(rm(0x80000000u), -3);				/* again */
	CHECK_NOWIN(0, 0);
	CHECK_WIN(0, 1, DMA64, 1ull << 40, 16);			/* the DDW one is not touched */
	CHECK_EQ(rm(0x80000abcu), -3);				/* unknown LIOBN */
	CHECK_EQ(call(0x2028, 2, 1, (uint32_t[]){ 0x80000001u, 0 }, r), -3);
	CHECK_EQ(call(0x2028, 1, 2, (uint32_t[]){ 0x80000001u }, r), -3);
	CHECK_EQ(reset(0), 0);
	CHECK_EQ(avail(0), 1);
	CHECK_WIN(0, 0, 0, 0x40000000, 12);
	CHECK_NOWIN(0, 1);
	CHECK_EQ(call(0x2029, 4, 1, (uint32_t[]){ 0, HI, LO, 0 }, r), -3);
	CHECK_EQ(call(0x2029, 3, 2, (uint32_t[]){ 0, HI, LO }, r), -3);
	CHECK_EQ(reset(9), -3);
	/* the LIOBN of another PHB's DDW window */
	CHECK_EQ(create(1, 16, 30, r), 0);
	CHECK_EQ(r[1], 0x80000101u);
	CHECK_EQ(rm(0x80000101u), 0);
	/* QEMU: removing the 64-bit window then the default one leaves none */
	CHECK_EQ(create(0, 16, 40, r), 0);
	CHECK_EQ(rm(0x80000001u), 0);
	CHECK_EQ(avail(0), 1);					/* the default remains */
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(avail(0), 2);
	CHECK_EQ(put(0x80000000u, 0, 3), -4);
	{
		uint64_t gpa;
		unsigned perm;
		CHECK_EQ(sphb_dma_translate(m, T_BUID0, 0x1000, 0, &gpa, &perm), -EFAULT);
	}
	CHECK_EQ(reset(0), 0);
	/* removing the default then the (last, non-default) DDW one restores
	 * the default window (QEMU >= 7.1 too) */
	CHECK_EQ(create(0, 16, 40, r), 0);
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(rm(0x80000001u), 0);
	CHECK_EQ(avail(0), 1);
	CHECK_WIN(0, 0, 0, 0x40000000, 12);
	CHECK_NOWIN(0, 1);
}

/* page-size masks (§3.4) from pgsz */
static void masks(void)
{
	uint32_t r[6];

	CHECK_EQ(query(3, 5, r), 0);				/* pgsz 0x11000: pseries <= 4.1 */
	CHECK_EQ(r[3], 0x3);
	CHECK_EQ(create(3, 21, 30, r), -3);			/* 2 MiB not offered */
	CHECK_EQ(create(3, 24, 30, r), -3);
	CHECK_EQ(create(3, 16, 30, r), 0);
	CHECK_EQ(rm(r[1]), 0);
	CHECK_EQ(query(5, 5, r), 0);				/* every supported size */
	CHECK_EQ(r[3], 0x1ff);
	CHECK_EQ(query(5, 6, r), 0);
	CHECK_EQ(r[4], 0x1ff);
	CHECK_EQ(create(5, 34, 40, r), 0);			/* 16 GiB pages */
	CHECK_WIN(5, 1, DMA64, 1ull << 40, 34);
	CHECK_EQ(rm(r[1]), 0);
}

/* B1: shift difference >= 32, shifts >= 64, page shifts 0-11: -3 and no
 * state change; QEMU returns -1 for (12, 44) and aborts on the next create */
static void b1(void)
{
	static const uint32_t bad[][2] = {
		{ 12, 44 }, { 16, 48 }, { 12, 63 }, { 12, 64 }, { 64, 70 }, { 63, 63 },
		{ 0, 20 }, { 11, 20 }, { 1, 1 }, { 200, 12 }, { 12, 200 }, { 0xffffffffu, 12 },
		{ 12, 0xffffffffu }, { 34, 66 }, { 21, 11 },
	};
	uint32_t r[4];

	CHECK_EQ(put(0x80000000u, 0x5000, 0x123003), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(create(5, bad[i][0], bad[i][1], r), -3);
		CHECK_EQ(create(0, bad[i][0], bad[i][1], r), -3);
		CHECK_EQ(r[1], S);
	}
	CHECK_EQ(avail(0), 1);
	CHECK_NOWIN(0, 1);
	CHECK_EQ(get(0x80000000u, 0x5000), 0x123003);		/* nothing changed */
	CHECK_EQ(create(0, 12, 12, r), 0);			/* the next create works */
	CHECK_EQ(r[1], 0x80000001u);
	CHECK_WIN(0, 1, DMA64, 0x1000, 12);
	CHECK_EQ(rm(r[1]), 0);
	/* the largest accepted differences: 31 */
	CHECK_EQ(create(0, 12, 43, r), 0);
	CHECK_WIN(0, 1, DMA64, 1ull << 43, 12);
	CHECK_EQ(rm(r[1]), 0);
	CHECK_EQ(create(0, 16, 47, r), 0);
	CHECK_EQ(put(r[1], DMA64 + (1ull << 47) - 1, 3), 0);	/* its last page */
	CHECK_EQ(rm(r[1]), 0);
	CHECK_EQ(reset(0), 0);
}

/* B2: remove-pe-dma-window with a LIOBN that is not a PHB window */
static void b2(void)
{
	static const uint32_t bad[] = {
		0x2000, 0x71000000, 0x80000002u, 0x80000003u, 0x800000ffu, 0x80001e00u,
		0x80001f00u, 0x8000ff00u, 0x80010000u, 0x7fffffffu, 0xffffffffu, 0, 0x80000010u,
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(rm(bad[i]), -3);
	CHECK_EQ(avail(0), 1);
	CHECK_WIN(0, 0, 0, 0x40000000, 12);
	/* the ddw=off PHB's default window is a PHB window, but DDW is off */
	CHECK_EQ(rm(liobn(2, 0)), -3);
	CHECK_WIN(2, 0, 0, 0x40000000, 12);
}

/* B3: removing the last remaining non-default window restores the default
 * window (LIOBN, location, size), also when it reused the default LIOBN */
static void b3(void)
{
	uint32_t r[4];
	const uint64_t base = 0x10000000, size = 0x2000000;	/* PHB 1 */

	CHECK_WIN(1, 0, base, size, 12);
	CHECK_EQ(rm(liobn(1, 0)), 0);
	CHECK_EQ(avail(1), 2);
	CHECK_EQ(create(1, 16, 32, r), 0);
	CHECK_EQ(r[1], liobn(1, 0));			/* window 0's LIOBN reused (QEMU) */
	CHECK_EQ((uint64_t)r[2] << 32 | r[3], base);	/* at dma_win_addr (QEMU) */
	CHECK_WIN(1, 0, base, 1ull << 32, 16);
	CHECK_EQ(put(liobn(1, 0), base + 0x30000, 0x7003), 0);
	CHECK_EQ(rm(liobn(1, 0)), 0);			/* QEMU: leaves no window */
	CHECK_EQ(avail(1), 1);
	CHECK_WIN(1, 0, base, size, 12);
	CHECK_EQ(get(liobn(1, 0), base + 0x30000), 0);	/* a fresh table */
	CHECK_EQ(put(liobn(1, 0), base + size - 0x1000, 3), 0);
	CHECK_EQ(put(liobn(1, 0), base + size, 3), -4);
	/* two DDW windows, removed in either order: the last one restores */
	CHECK_EQ(rm(liobn(1, 0)), 0);
	CHECK_EQ(create(1, 16, 32, r), 0);
	CHECK_EQ(r[1], liobn(1, 0));
	CHECK_EQ(create(1, 12, 30, r), 0);
	CHECK_EQ(r[1], liobn(1, 1));
	CHECK_EQ((uint64_t)r[2] << 32 | r[3], DMA64);
	CHECK_EQ(rm(liobn(1, 0)), 0);
	CHECK_EQ(avail(1), 1);
	CHECK_NOWIN(1, 0);
	CHECK_EQ(rm(liobn(1, 1)), 0);
	CHECK_EQ(avail(1), 1);
	CHECK_WIN(1, 0, base, size, 12);
	CHECK_NOWIN(1, 1);
	/* a restored default window is the default: removing it leaves none */
	CHECK_EQ(rm(liobn(1, 0)), 0);
	CHECK_EQ(avail(1), 2);
	CHECK_EQ(reset(1), 0);
}


/* B4: windows never overlap */
static void b4(void)
{
	uint32_t r[4];

	/* QEMU puts the new window at dma64_win_addr, on top of the DDW one */
	CHECK_EQ(create(0, 16, 40, r), 0);
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(create(0, 16, 32, r), 0);
	CHECK_EQ(r[1], 0x80000000u);
	CHECK_EQ(r[2], 0); CHECK_EQ(r[3], 0);		/* dma_win_addr, which is free */
	CHECK_WIN(0, 0, 0, 1ull << 32, 16);
	CHECK_WIN(0, 1, DMA64, 1ull << 40, 16);
	CHECK(!overlap(win(0, 0), win(0, 1)));
	CHECK_EQ(reset(0), 0);
	/* PHB 4: dma64_win_addr = 1 GiB, right after the default window */
	CHECK_EQ(create(4, 16, 34, r), 0);
	CHECK_WIN(4, 1, 0x40000000, 1ull << 34, 16);
	CHECK_EQ(rm(liobn(4, 0)), 0);
	CHECK_EQ(create(4, 12, 31, r), -1);		/* neither place is free */
	CHECK_EQ(r[1], S);
	CHECK_EQ(avail(4), 1);
	CHECK_NOWIN(4, 0);
	CHECK_EQ(create(4, 12, 30, r), 0);		/* 1 GiB fits at 0 */
	CHECK_EQ(r[1], liobn(4, 0));
	CHECK_EQ(r[2], 0); CHECK_EQ(r[3], 0);
	CHECK(!overlap(win(4, 0), win(4, 1)));
	CHECK_EQ(reset(4), 0);
	/* with the default window in place: right after it */
	CHECK_EQ(create(4, 16, 40, r), 0);
	CHECK_WIN(4, 1, 0x40000000, 1ull << 40, 16);
	CHECK(!overlap(win(4, 0), win(4, 1)));
	CHECK_EQ(reset(4), 0);
	/* PHB 6: dma64_win_addr near 2^64: a window that would wrap is refused */
	CHECK_EQ(create(6, 24, 55, r), -1);
	CHECK_EQ(avail(6), 1);
	CHECK_EQ(create(6, 24, 52, r), 0);		/* ends at 2^64 exactly */
	CHECK_WIN(6, 1, 0xfff0000000000000ull, 1ull << 52, 24);
	CHECK_EQ(put(liobn(6, 1), ~0ull, 0x5000003), 0);	/* the last byte */
	{
		uint64_t gpa;
		unsigned perm;
		CHECK_EQ(sphb_dma_translate(m, T_BUID0 + 6, 0x1000, ~0ull, &gpa, &perm), 0);
		CHECK_EQ(gpa, 0x5000000 + (1u << 24) - 1);
	}
	CHECK_EQ(reset(6), 0);
}

/* ddw=off: -3 for all four calls, the default window still works */
static void ddw_off(void)
{
	uint32_t r[6];

	CHECK_EQ(query(2, 5, r), -3);
	CHECK_EQ(query(2, 6, r), -3);
	CHECK_EQ(create(2, 16, 40, r), -3);
	CHECK_EQ(rm(liobn(2, 0)), -3);
	CHECK_EQ(rm(liobn(2, 1)), -3);
	CHECK_EQ(reset(2), -3);
	CHECK_EQ(put(liobn(2, 0), 0x1000, 3), 0);
	CHECK_EQ(get(liobn(2, 0), 0x1000), 3);
}

/* machine reset = PHB reset (§5.4 step 1): default window back, emptied */
static void phb_reset(void)
{
	uint32_t r[4];

	CHECK_EQ(put(0x80000000u, 0x7000, 0x1003), 0);
	CHECK_EQ(create(0, 16, 40, r), 0);
	CHECK_EQ(rm(0x80000000u), 0);
	CHECK_EQ(rm(liobn(1, 0)), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(avail(0), 1);
	CHECK_EQ(avail(1), 1);
	CHECK_WIN(0, 0, 0, 0x40000000, 12);
	CHECK_NOWIN(0, 1);
	CHECK_WIN(1, 0, 0x10000000, 0x2000000, 12);
	CHECK_EQ(get(0x80000000u, 0x7000), 0);
	CHECK_EQ(put(0x80000001u, DMA64, 3), -4);
	CHECK_WIN(2, 0, 0, 0x40000000, 12);		/* ddw=off PHBs too */
	CHECK_EQ(get(liobn(2, 0), 0x1000), 0);
}

/* random create/remove/reset/query sequences against a model */
static unsigned seed = 12345;
static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

static void model(unsigned idx, uint64_t dwa, uint64_t dws, uint64_t d64, uint64_t pgsz)
{
	bool is_def[2] = { true, false };	/* the model: which window is "the default" */
	unsigned counts[4] = { 0 };
	int failures = t_failures;

	CHECK_EQ(reset(idx), 0);
	for (unsigned step = 0; step < 3000; step++) {
		struct win before[2] = { win(idx, 0), win(idx, 1) }, after[2];
		unsigned nbefore = before[0].on + before[1].on, op = rnd(10);
		uint32_t r[6];
		int32_t st;

		if (op < 5) {
			static const uint32_t pss[] = { 12, 16, 21, 24, 13, 0, 34 };
			uint32_t ps = pss[rnd(7)], ws = ps + rnd(40) - 3;
			bool valid = ps >= 12 && (pgsz >> ps & 1) && ws >= ps && ws - ps < 32 && ws < 64;
			st = create(idx, ps, ws, r);
			after[0] = win(idx, 0); after[1] = win(idx, 1);
			if (!valid) {
				CHECK_EQ(st, -3);
			} else if (nbefore == 2) {
				CHECK_EQ(st, -1);
			} else {
				/* dma_win_addr when free, else dma64_win_addr, else -1 */
				unsigned w = before[0].on ? 1 : 0;
				uint64_t size = 1ull << ws, start = (uint64_t)r[2] << 32 | r[3];
				struct win p1 = { true, dwa, size, ps }, p2 = { true, d64, size, ps };
				bool ok1 = dwa + size > dwa && !overlap(p1, before[!w]);
				bool ok2 = d64 + size > d64 && !overlap(p2, before[!w]);
				if (ok1 || ok2) {
					CHECK_EQ(st, 0);
					CHECK_EQ(r[1], liobn(idx, w));
					CHECK_EQ(start, ok1 ? dwa : d64);
					CHECK_WIN(idx, w, start, size, ps);
					is_def[w] = false;
					counts[0]++;
				} else {
					CHECK_EQ(st, -1);
					counts[3]++;
				}
			}
			if (st != 0) {
				CHECK(same(before, after));
			}
		} else if (op < 8) {
			unsigned w = rnd(3);
			uint32_t l = w < 2 ? liobn(idx, w) : 0x80000000u | (idx + 1) << 8 | 3;
			st = rm(l);
			after[0] = win(idx, 0); after[1] = win(idx, 1);
			if (w == 2 || !before[w].on) {
				CHECK_EQ(st, -3);
				CHECK(same(before, after));
			} else {
				CHECK_EQ(st, 0);
				if (nbefore == 1 && !is_def[w]) {	/* restored */
					CHECK_WIN(idx, 0, dwa, dws, 12);
					CHECK_NOWIN(idx, 1);
					is_def[0] = true;
					is_def[1] = false;
					counts[1]++;
				} else {
					CHECK_NOWIN(idx, w);
					CHECK(after[!w].on == before[!w].on &&
					      after[!w].start == before[!w].start);
					is_def[w] = false;
					counts[2]++;
				}
			}
		} else if (op < 9) {
			CHECK_EQ(reset(idx), 0);
			CHECK_WIN(idx, 0, dwa, dws, 12);
			CHECK_NOWIN(idx, 1);
			is_def[0] = true;
			is_def[1] = false;
		} else {
			CHECK_EQ(query(idx, 6, r), 0);
			CHECK_EQ(r[1], 2u - nbefore);
		}
		after[0] = win(idx, 0); after[1] = win(idx, 1);
		CHECK(!overlap(after[0], after[1]));
		if (t_failures != failures)
			break;	/* the first failure is enough */
	}
	fprintf(stderr, "PHB %u: %u creates, %u restores, %u plain removes, %u refused (no room)\n",
		idx, counts[0], counts[1], counts[2], counts[3]);
	CHECK(counts[0] > 100 && counts[1] > 10 && counts[2] > 100);
	CHECK_EQ(reset(idx), 0);
}

int main(void)
{
	m = t_machine(&h, "sim-pci,addr=2,id=d",
		      "spapr-pci-host-bridge,index=1,id=p1,dma_win_addr=0x10000000,dma_win_size=0x2000000",
		      "spapr-pci-host-bridge,index=2,id=p2,ddw=off",
		      "spapr-pci-host-bridge,index=3,id=p3,pgsz=0x11000",
		      "spapr-pci-host-bridge,index=4,id=p4,dma64_win_addr=0x40000000",
		      "spapr-pci-host-bridge,index=5,id=p5,pgsz=0x41f211000",
		      "spapr-pci-host-bridge,index=6,id=p6,dma64_win_addr=0xfff0000000000000", NULL);
	qemu_observed();
	masks();
	b1();
	b2();
	b3();
	b4();
	ddw_off();
	phb_reset();
	model(0, 0, 0x40000000, DMA64, 0x1211000);
	model(4, 0, 0x40000000, 0x40000000, 0x1211000);
	model(1, 0x10000000, 0x2000000, DMA64, 0x1211000);
	t_free(m, &h);
	return t_result();
}
