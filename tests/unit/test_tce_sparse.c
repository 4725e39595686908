/* TCE table memory: proportional to the entries in use (a radix of 4 KiB
 * levels allocated on the first non-zero store), never to the window size.
 * QEMU allocates every table flat: 8 bytes per TCE (QEMU 7.2 hw/ppc/spapr_iommu.c spapr_tce_alloc_table()),
 * 128 MiB for an empty 1 TiB window of 64 KiB pages. The library counts the
 * bytes each table allocated (sphb_tce_bytes); outside the sanitizers the
 * figures are cross-checked with the allocator's own (mallinfo2). */
#include <malloc.h>

#include "harness.h"
#include "internal.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define DMA64 0x800000000000000ull
#define MiB (1u << 20)

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_CHECKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_CHECKS 0
#endif
#endif
#ifndef HEAP_CHECKS
#define HEAP_CHECKS 1
#endif

static struct t_host h;
static struct sphb_machine *m;

static size_t heap(void)
{
#if HEAP_CHECKS
	return mallinfo2().uordblks;
#else
	return 0;
#endif
}

static int64_t hc(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t args[4] = { a0, a1, a2, a3 };
	int64_t hret = 99;
	CHECK_EQ(sphb_hcall(m, op, args, 4, NULL, 0, &hret), 0);
	return hret;
}

static uint32_t create(uint32_t ps, uint32_t ws)
{
	uint32_t a[5] = { 0, HI, LO, ps, ws }, r[4];
	t_rtas_n(m, &h, 0x2027, 5, 4, a, r);
	CHECK_EQ(r[0], 0);
	return r[1];
}

static void rm(uint32_t liobn)
{
	uint32_t a[1] = { liobn }, r[1];
	t_rtas_n(m, &h, 0x2028, 1, 1, a, r);
	CHECK_EQ(r[0], 0);
}

static size_t bytes(uint32_t liobn)
{
	struct sphb_tce_table *t = sphb_tce_by_liobn(m, liobn, NULL);
	CHECK(t != NULL);
	return t ? sphb_tce_bytes(t) : 0;
}

/* the heap grew by about what the table says it allocated (allocator
 * headers: 16 bytes per block at most) */
static void check_heap(size_t before, size_t counted, unsigned blocks)
{
#if HEAP_CHECKS
	size_t after = heap();
	if (before == 0 && after == 0)
		return;	/* an allocator that keeps no statistics (valgrind) */
	CHECK(after - before >= counted);
	CHECK(after - before <= counted + 16u * blocks + 64u);
#else
	(void)before; (void)counted; (void)blocks;
#endif
}

int main(void)
{
	size_t b0, b1, hp;
	uint32_t l;

	m = t_machine(&h, "sim-pci,addr=2,id=d", NULL);

	/* the default window: 1 GiB of 4 KiB pages, 262144 TCEs (QEMU: 2 MiB) */
	b0 = bytes(0x80000000u);
	fprintf(stderr, "empty default window (1 GiB / 4 KiB, 262144 TCEs): %zu bytes (flat: %u)\n",
		b0, 262144u * 8);
	CHECK(b0 < 4096);

	/* an empty 1 TiB window of 64 KiB pages: 16 Mi TCEs (QEMU: 128 MiB) */
	hp = heap();
	l = create(16, 40);
	b1 = bytes(l);
	check_heap(hp, b1, 2);
	fprintf(stderr, "empty 1 TiB / 64 KiB window (16 Mi TCEs): %zu bytes (flat: %u)\n", b1,
		(1u << 24) * 8);
	CHECK(b1 < MiB);
	CHECK(b1 < 1024);
	/* one entry: one 4 KiB middle level and one 4 KiB leaf */
	hp = heap();
	CHECK_EQ(hc(0x20, l, DMA64 + (1ull << 39), 0x1003, 0), 0);
	CHECK_EQ(bytes(l) - b1, 8192);
	check_heap(hp, 8192, 2);
	/* a second entry in the same leaf costs nothing; one 32 MiB further
	 * (the next leaf) a leaf; one 16 GiB further a middle level and a leaf */
	CHECK_EQ(hc(0x20, l, DMA64 + (1ull << 39) + 0x10000, 0x2003, 0), 0);
	CHECK_EQ(bytes(l) - b1, 8192);
	CHECK_EQ(hc(0x20, l, DMA64 + (1ull << 39) + (32u << 20), 0x3003, 0), 0);
	CHECK_EQ(bytes(l) - b1, 12288);
	CHECK_EQ(hc(0x20, l, DMA64 + (1ull << 39) + (16ull << 30), 0x4003, 0), 0);
	CHECK_EQ(bytes(l) - b1, 20480);
	/* zero stores into leaves that do not exist allocate nothing: H_PUT_TCE 0,
	 * H_STUFF_TCE 0 over 64 GiB, H_PUT_TCE_INDIRECT with a list of zeros
	 * (list at 0x200000: fresh guest RAM reads 0) */
	b1 = bytes(l);
	hp = heap();
	CHECK_EQ(hc(0x20, l, DMA64 + 0x50000000, 0, 0), 0);
	CHECK_EQ(hc(0x138, l, DMA64, 0, 1u << 20), 0);
	CHECK_EQ(hc(0x13c, l, DMA64 + (3ull << 36), 0x200000, 512), 0);
	CHECK_EQ(bytes(l), b1);
	check_heap(hp, 0, 0);
	/* 1000 scattered entries (one per 1 GiB): one leaf each, plus the
	 * middle levels they need (one per 16 GiB), plus what is there already */
	for (unsigned i = 0; i < 1000; i++)
		CHECK_EQ(hc(0x20, l, DMA64 + ((uint64_t)i << 30) + 0x10000 * i, 0x5003, 0), 0);
	b1 = bytes(l);
	fprintf(stderr, "1000 scattered entries: %zu bytes\n", b1);
	CHECK(b1 <= 1024 + 1000 * 4096 + 63 * 4096 + 5 * 4096);
	rm(l);
	CHECK_EQ(sphb_tce_retired(m), 0);	/* no translation ran: freed at once */

	/* the largest window: 2^31 TCEs (4 KiB pages over 8 TiB): 64 KiB of
	 * top-level pointers (QEMU: 16 GiB) */
	l = create(12, 43);
	b1 = bytes(l);
	fprintf(stderr, "empty 8 TiB / 4 KiB window (2^31 TCEs): %zu bytes (flat: %llu)\n", b1,
		(unsigned long long)(8ull << 31));
	CHECK(b1 < 70000);
	rm(l);

	/* a dense table costs what a flat one does, plus 0.8 %: the whole
	 * default window, then cleared (leaves stay until the window goes) */
	hp = heap();
	CHECK_EQ(hc(0x138, 0x80000000u, 0, 0x1003, 262144), 0);
	b1 = bytes(0x80000000u);
	fprintf(stderr, "full default window: %zu bytes (flat: %u)\n", b1, 262144u * 8);
	CHECK(b1 >= 262144u * 8);
	CHECK(b1 <= 262144u * 8 + 262144u * 8 / 128 + 8192);
	check_heap(hp, b1 - b0, 513);
	CHECK_EQ(hc(0x138, 0x80000000u, 0, 0, 262144), 0);
	CHECK_EQ(bytes(0x80000000u), b1);

	/* PHB reset: a fresh, empty default window; the old tables are freed */
	hp = heap();
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(bytes(0x80000000u), b0);
	CHECK_EQ(sphb_tce_retired(m), 0);
#if HEAP_CHECKS
	if (hp)
		CHECK(hp - heap() >= b1 - b0);
#endif
	t_free(m, &h);
	return t_result();
}
