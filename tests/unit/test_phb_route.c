/* CPU accesses routed by guest physical address (sphb_mmio_load/store), as
 * a bus answers them: every window kind (I/O, 32-bit, 64-bit), 64-bit BARs
 * in either memory window, moved and disabled BARs, the ROM, the
 * master-abort freeze of an EEH-capable function, stopped PEs, overlapping
 * BARs with a deterministic owner, and a randomized comparison of many
 * functions' BARs against a brute-force owner computed here.
 * SPDX-License-Identifier: MIT */
#include "harness.h"
#include "vmm_model.h"

#define PCI_BASE 0x200000000000ull
#define IO_CPU(i) (PCI_BASE + (i) * 0x10000ull)
#define M32_CPU(i) (PCI_BASE + ((i) + 1) * 0x80000000ull)
#define M64_CPU(i) (PCI_BASE + ((i) + 1) * 0x10000000000ull)

static struct t_host h;

static uint32_t cfg(unsigned slot, unsigned fn, unsigned reg)
{
	return t_cfgaddr(0, slot, fn, reg);
}

static void wr(struct sphb_machine *m, uint64_t buid, unsigned slot, unsigned reg, unsigned size, uint32_t v)
{
	CHECK_EQ(t_cfg_write(m, &h, buid, cfg(slot, 0, reg), size, v), 0);
}

static uint64_t ld(struct sphb_machine *m, uint64_t gpa, unsigned size)
{
	uint64_t v = 0xbad;
	CHECK_EQ(sphb_mmio_load(m, gpa, size, &v), 0);
	return v;
}

static const char *host_state(struct sphb_machine *m, const char *id)
{
	const char *s = "?";
	CHECK_EQ(sphb_host_state(m, id, &s), 0);
	return s;
}

/* ---- windows ---- */

static void test_windows(void)
{
	static const char *const specs[] = {
		"spapr-pci-host-bridge,index=3,id=p3,mem_win_size=0x10000000,io_win_size=0x1000",
		"sim-pci,addr=2,id=a,bar0=mem32:0x1000,bar1=io:0x40,bar2=mem64:0x100000,rom=0x800",
		"sim-pci,bus=p3.0,addr=4,id=b,bar0=mem64pref:0x2000",
		NULL };
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m = t_machine_ops(&h, &ops, specs);
	uint64_t v, buid3;

	CHECK_EQ(sphb_phb_buid(m, "p3", &buid3), 0);
	/* outside every PHB window: the VMM's */
	CHECK_EQ(sphb_mmio_load(m, 0x1000, 4, &v), -ENOENT);
	CHECK_EQ(sphb_mmio_load(m, PCI_BASE - 4, 4, &v), -ENOENT);
	CHECK_EQ(sphb_mmio_load(m, IO_CPU(1), 4, &v), -ENOENT);	/* no PHB 1 */
	CHECK_EQ(sphb_mmio_load(m, M32_CPU(3) + 0x10000000, 4, &v), -ENOENT); /* past mem_win_size */
	CHECK_EQ(sphb_mmio_load(m, IO_CPU(3) + 0x1000, 4, &v), -ENOENT);       /* past io_win_size */
	CHECK_EQ(sphb_mmio_store(m, M64_CPU(31), 4, 0), -ENOENT);
	CHECK_EQ(sphb_mmio_load(m, M32_CPU(0), 3, &v), -EINVAL);
	CHECK_EQ(sphb_mmio_load(m, M32_CPU(0), 4, NULL), -EINVAL);
	CHECK_EQ(sphb_mmio_load(NULL, M32_CPU(0), 4, &v), -EINVAL);
	/* inside a window, nobody decodes yet: all-ones, dropped */
	CHECK_EQ(ld(m, M32_CPU(0), 4), 0xffffffffu);
	CHECK_EQ(ld(m, M32_CPU(0), 8), UINT64_MAX);
	CHECK_EQ(ld(m, IO_CPU(0) + 0x100, 1), 0xff);
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(0), 4, 1), 0);
	/* the guest assigns a's BARs: mem32 at bus 0x80001000, I/O at 0x40,
	 * mem64 at 0x210000100000 (64-bit window), ROM at 0x80010000 */
	wr(m, T_BUID0, 2, 0x10, 4, 0x80001000u);
	wr(m, T_BUID0, 2, 0x14, 4, 0x40);
	wr(m, T_BUID0, 2, 0x18, 4, 0x00100000u);
	wr(m, T_BUID0, 2, 0x1c, 4, 0x00002100u);
	wr(m, T_BUID0, 2, 0x30, 4, 0x80010001u);
	wr(m, T_BUID0, 2, 0x04, 2, 0x0003);
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(0) + 0x1000 + 8, 4, 0x11223344), 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 8, 4), 0x11223344);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 9, 2), 0x2233);	/* PCI byte order */
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 8, 1), 0x44);
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(0) + 0x1000 + 0x10, 8, 0x0102030405060708ull), 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 0x10, 8), 0x0102030405060708ull);
	/* the same bytes by id and BAR number */
	{
		uint64_t w;
		CHECK_EQ(sphb_mmio_read(m, "a", 0, 8, 4, &w), 0);
		CHECK_EQ(w, 0x11223344);
	}
	CHECK_EQ(sphb_mmio_store(m, IO_CPU(0) + 0x44, 2, 0xbeef), 0);
	CHECK_EQ(ld(m, IO_CPU(0) + 0x44, 2), 0xbeef);
	CHECK_EQ(sphb_mmio_store(m, M64_CPU(0) + 0x100000 + 0x20, 4, 7), 0);
	CHECK_EQ(ld(m, M64_CPU(0) + 0x100000 + 0x20, 4), 7);
	/* the ROM reads (zeros in sim-pci) and takes no store */
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(0) + 0x10000, 4, 5), 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x10000, 4), 0);
	/* an access that runs past the BAR's end: all-ones */
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 0xffe, 4), 0xffffffffu);
	/* a 64-bit BAR placed in the 32-bit window (as Linux does for a
	 * non-prefetchable 64-bit BAR) */
	wr(m, buid3, 4, 0x10, 4, 0x80004000u);
	wr(m, buid3, 4, 0x14, 4, 0);
	wr(m, buid3, 4, 0x04, 2, 0x0002);
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(3) + 0x4000, 4, 0xabcd), 0);
	CHECK_EQ(ld(m, M32_CPU(3) + 0x4000, 4), 0xabcd);
	/* moved: the old address reads all-ones, the new one the contents */
	wr(m, T_BUID0, 2, 0x10, 4, 0x80008000u);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x1000 + 8, 4), 0xffffffffu);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x8000 + 8, 4), 0x11223344);
	/* an unassigned BAR (address 0) is not routed: I/O port 0 is nobody's */
	wr(m, T_BUID0, 2, 0x14, 4, 0);
	CHECK_EQ(ld(m, IO_CPU(0), 4), 0xffffffffu);
	{
		const char *st;
		CHECK_EQ(sphb_host_state(m, "a", &st), -ENODEV); /* emulated: no host PE */
	}
	t_free(m, &h);
}

/* ---- master abort and stopped PEs ---- */

static void test_freeze(void)
{
	static const char *const specs[] = {
		"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
		"sim-pci,bus=g.0,addr=2,id=p,iommu-group=1,bar0=mem32:0x1000,bar1=io:0x40",
		"sim-pci,bus=g.0,addr=3,id=q,iommu-group=2,bar0=mem32:0x1000",
		"sim-pci,bus=g.0,addr=4,id=e,bar0=mem32:0x1000",
		NULL };
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m = t_machine_ops(&h, &ops, specs);
	uint64_t g;

	CHECK_EQ(sphb_phb_buid(m, "g", &g), 0);
	wr(m, g, 2, 0x10, 4, 0x80001000u);
	wr(m, g, 2, 0x14, 4, 0x100);
	wr(m, g, 3, 0x10, 4, 0x80002000u);
	wr(m, g, 4, 0x10, 4, 0x80003000u);
	wr(m, g, 3, 0x04, 2, 0x0002);
	/* emulated e with Memory Space off: all-ones, never a freeze */
	CHECK_EQ(ld(m, M32_CPU(1) + 0x3000, 4), 0xffffffffu);
	/* a store to p's BAR with Memory Space off: dropped, no freeze */
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(1) + 0x1000, 4, 1), 0);
	CHECK(!strcmp(host_state(m, "p"), "normal"));
	/* a load from it: master abort, p's PE freezes; q's PE does not */
	CHECK_EQ(ld(m, M32_CPU(1) + 0x1000, 4), 0xffffffffu);
	CHECK(!strcmp(host_state(m, "p"), "stopped"));
	CHECK(!strcmp(host_state(m, "q"), "normal"));
	/* q decodes: stores land, loads read them */
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(1) + 0x2000, 4, 9), 0);
	CHECK_EQ(ld(m, M32_CPU(1) + 0x2000, 4), 9);
	/* q's PE stopped: all-ones, stores dropped */
	CHECK_EQ(sphb_host_freeze(m, "q", NULL), 0);
	CHECK_EQ(ld(m, M32_CPU(1) + 0x2000, 4), 0xffffffffu);
	CHECK_EQ(sphb_mmio_store(m, M32_CPU(1) + 0x2000, 4, 10), 0);
	{
		uint64_t v;
		CHECK_EQ(sphb_mmio_read(m, "q", 0, 0, 4, &v), 0);
		CHECK_EQ(v, 0xffffffffu);
	}
	/* an I/O BAR with I/O decoding off: the same master abort */
	CHECK_EQ(sphb_machine_reset(m), 0);
	wr(m, g, 2, 0x14, 4, 0x100);
	CHECK(!strcmp(host_state(m, "p"), "normal"));
	CHECK_EQ(ld(m, IO_CPU(1) + 0x100, 2), 0xffff);
	CHECK(!strcmp(host_state(m, "p"), "stopped"));
	t_free(m, &h);
}

/* ---- overlapping BARs: a deterministic owner ---- */

static void test_overlap(void)
{
	static const char *const specs[] = {
		"sim-pci,addr=2,id=a,bar0=mem32:0x1000,iommu-group=1",
		"sim-pci,addr=3,id=b,bar0=mem32:0x1000",
		"sim-pci,addr=4,id=c,bar0=mem32:0x4000",
		NULL };
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m = t_machine_ops(&h, &ops, specs);
	uint64_t v;

	/* a hostile guest puts a, b and a part of c at the same address */
	wr(m, T_BUID0, 2, 0x10, 4, 0x80004000u);
	wr(m, T_BUID0, 3, 0x10, 4, 0x80004000u);
	wr(m, T_BUID0, 4, 0x10, 4, 0x80004000u);
	wr(m, T_BUID0, 3, 0x04, 2, 0x0002);
	wr(m, T_BUID0, 4, 0x04, 2, 0x0002);
	CHECK_EQ(sphb_mmio_write(m, "b", 0, 0, 4, 0xb), 0);
	CHECK_EQ(sphb_mmio_write(m, "c", 0, 0, 4, 0xc), 0);
	CHECK_EQ(sphb_mmio_write(m, "c", 0, 0x1000, 4, 0xcc), 0);
	/* a does not decode: the decoding ones win, the lowest devfn first; a's
	 * PE is not frozen by a load an enabled BAR claims */
	CHECK_EQ(ld(m, M32_CPU(0) + 0x4000, 4), 0xb);
	CHECK(!strcmp(host_state(m, "a"), "normal"));
	/* beyond b's 4 KiB, c alone */
	CHECK_EQ(ld(m, M32_CPU(0) + 0x5000, 4), 0xcc);
	/* a decodes too: a wins (lowest devfn) */
	wr(m, T_BUID0, 2, 0x04, 2, 0x0002);
	CHECK_EQ(sphb_mmio_write(m, "a", 0, 0, 4, 0xa), 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x4000, 4), 0xa);
	/* b stops decoding: a still; a stops: c */
	wr(m, T_BUID0, 3, 0x04, 2, 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x4000, 4), 0xa);
	wr(m, T_BUID0, 2, 0x04, 2, 0);
	CHECK_EQ(ld(m, M32_CPU(0) + 0x4000, 4), 0xc);
	/* a BAR over the MSI window's bus address, or outside both windows:
	 * harmless (not routable from the CPU) */
	wr(m, T_BUID0, 3, 0x10, 4, 0x7ffff000u);
	wr(m, T_BUID0, 3, 0x04, 2, 0x0002);
	CHECK_EQ(sphb_mmio_load(m, M32_CPU(0) - 0x1000, 4, &v), -ENOENT);
	t_free(m, &h);
}

/* ---- many BARs at random: the owner is the one a bus would pick ---- */

#define NF 24
struct rf {
	struct vm_func v;
	unsigned devfn;
	uint64_t base[6];
	bool on;
};
static struct rf rfs[NF];

static int id_bar_read(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct rf *r = opaque;
	(void)size;
	*val = (uint64_t)r->devfn << 40 | (uint64_t)bar << 32 | (off & 0xffffffffu);
	return 0;
}

static uint32_t seed = 12345;
static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static void test_random(void)
{
	struct sphb_host_ops hops = t_ops();
	struct sphb_machine *m = t_machine_ops(&h, &hops, NULL);
	struct sphb_func_ops ops = vm_ops();
	unsigned hits = 0, misses = 0;

	ops.bar_read = id_bar_read;
	for (unsigned i = 0; i < NF; i++) {
		struct vm_bar bars[6];
		char spec[64];

		memset(bars, 0, sizeof(bars));
		for (unsigned b = 0; b < 6; b++) {
			bars[b].kind = 'm';
			bars[b].size = 0x1000ull << (rnd() % 12); /* 4 KiB .. 8 MiB */
		}
		vm_build(&rfs[i].v, 0x1234, (uint16_t)i, 0xff0000, bars, 0, 0, 0, 0, false);
		rfs[i].devfn = (i + 1) << 3;
		snprintf(spec, sizeof(spec), "rnd,addr=%x,id=r%u", i + 1, i);
		CHECK_EQ(sphb_func_add(m, spec, &ops, &rfs[i], NULL), 0);
	}
	for (unsigned round = 0; round < 40; round++) {
		/* reprogram some functions: aligned bases in [0x80000000, +256 MiB),
		 * so BARs overlap often */
		for (unsigned i = 0; i < NF; i++) {
			if (round && rnd() % 3)
				continue;
			for (unsigned b = 0; b < 6; b++) {
				uint64_t size = rfs[i].v.bar[b].size;
				uint64_t base = 0x80000000u + (((uint64_t)rnd() << 12) % 0x10000000u);
				rfs[i].base[b] = base & ~(size - 1);
				wr(m, T_BUID0, i + 1, 0x10 + 4 * b, 4, (uint32_t)rfs[i].base[b]);
			}
			rfs[i].on = rnd() % 4 != 0;
			wr(m, T_BUID0, i + 1, 0x04, 2, rfs[i].on ? 2 : 0);
		}
		for (unsigned k = 0; k < 400; k++) {
			/* an address near a random BAR, or anywhere */
			unsigned fi = rnd() % NF, bi = rnd() % 6;
			uint64_t bus = k & 1 ? rfs[fi].base[bi] + (rnd() % (rfs[fi].v.bar[bi].size + 0x100))
					     : 0x80000000u + ((uint64_t)rnd() * 16 % 0x10000000u);
			uint64_t want = UINT64_MAX, got;
			bool found = false;

			bus &= ~7ull;
			/* the reference: decoding BARs first, then devfn, then BAR number */
			for (int pass = 0; pass < 2 && !found; pass++)
				for (unsigned i = 0; i < NF && !found; i++)
					for (unsigned b = 0; b < 6 && !found; b++)
						if (rfs[i].on == !pass && bus >= rfs[i].base[b] &&
						    bus + 8 <= rfs[i].base[b] + rfs[i].v.bar[b].size) {
							found = true;
							if (rfs[i].on)
								want = (uint64_t)rfs[i].devfn << 40 | (uint64_t)b << 32 |
								       (bus - rfs[i].base[b]);
						} else if (rfs[i].on == !pass && bus >= rfs[i].base[b] &&
							   bus < rfs[i].base[b] + rfs[i].v.bar[b].size) {
							found = true; /* runs past the end */
						}
			got = ld(m, M32_CPU(0) + (bus - 0x80000000u), 8);
			if (want != UINT64_MAX)
				hits++;
			else
				misses++;
			if (got != want) {
				fprintf(stderr, "round %u: bus 0x%llx: got 0x%llx, want 0x%llx\n", round,
					(unsigned long long)bus, (unsigned long long)got, (unsigned long long)want);
				CHECK(0);
				t_free(m, &h);
				return;
			}
		}
	}
	CHECK(hits > 1000);
	CHECK(misses > 100);
	printf("random routing: %u accesses reached a BAR, %u nobody's\n", hits, misses);
	t_free(m, &h);
}

int main(void)
{
	test_windows();
	test_freeze();
	test_overlap();
	test_random();
	return t_result();
}
