/* CPU loads and stores to simulated BARs: sphb_mmio_read / sphb_mmio_write.
 * A BAR decodes only when its Command enable is set (PCI 3.0 §6.2.2: I/O
 * Space bit 0, Memory Space bit 1; the ROM also needs its enable bit);
 * what is not decoded reads all-ones and drops stores. Byte lanes are PCI
 * little-endian. MSI-X: vectors come out of reset masked, the PBA is
 * read-only (PCI 3.0 §6.8.2). SPDX-License-Identifier: MIT */
#include "harness.h"

static unsigned n_checks;
#define CK(c) do { n_checks++; CHECK(c); } while (0)
#define CK_EQ(a, b) do { n_checks++; CHECK_EQ(a, b); } while (0)

static struct t_host h;
static struct sphb_machine *m;

/* slot 2 "a": io 256 in bar0, mem32 4K in bar1, mem64pref 1M in bar2, ROM 4K
 * slot 3 "x": MSI-X 8 vectors in bar0 (mem32 8K), mem32 4K in bar2 */
#define DEV_A "sim-pci,bus=pci.0,addr=2,id=a,bar0=io:256,bar1=mem32:4K,bar2=mem64pref:1M,rom=4K"
#define DEV_X "sim-pci,bus=pci.0,addr=3,id=x,bar0=mem32:8K,msix=8,msix-bar=0,bar2=mem32:4K"

static uint64_t ones(unsigned size)
{
	return size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static uint64_t mr(const char *dev, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0x5555555555555555ull;
	n_checks++;
	CHECK_EQ(sphb_mmio_read(m, dev, bar, off, size, &v), 0);
	return v;
}

static void mw(const char *dev, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	n_checks++;
	CHECK_EQ(sphb_mmio_write(m, dev, bar, off, size, v), 0);
}

static void cmd(unsigned slot, uint32_t v)
{
	n_checks++;
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, slot, 0, 0x04), 2, v), 0);
}

static uint32_t cfg(unsigned slot, unsigned reg, unsigned size)
{
	uint32_t v = 0;
	n_checks++;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, slot, 0, reg), size, &v), 0);
	return v;
}

static void decoding(void)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	/* power-on: Command = 0, nothing decodes */
	for (unsigned b = 0; b < 7; b++)
		for (unsigned i = 0; i < 4; i++)
			CK_EQ(mr("a", b, 0, sizes[i]), ones(sizes[i]));
	/* stores while disabled are dropped */
	mw("a", 1, 0, 4, 0x11111111);
	/* Memory Space on: memory BARs decode, I/O does not */
	cmd(2, 0x0002);
	CK_EQ(mr("a", 1, 0, 4), 0);	/* the dropped store left nothing */
	CK_EQ(mr("a", 0, 0, 4), 0xffffffffu);
	mw("a", 0, 0, 4, 0x22222222);	/* dropped: I/O decoding is off */
	/* RAM-like registers */
	mw("a", 1, 0x10, 4, 0xcafef00d);
	CK_EQ(mr("a", 1, 0x10, 4), 0xcafef00d);
	mw("a", 1, 0xff8, 8, 0x0123456789abcdefull);	/* the last 8 bytes */
	CK_EQ(mr("a", 1, 0xff8, 8), 0x0123456789abcdefull);
	/* little-endian byte lanes */
	CK_EQ(mr("a", 1, 0xff8, 4), 0x89abcdef);
	CK_EQ(mr("a", 1, 0xffc, 4), 0x01234567);
	CK_EQ(mr("a", 1, 0xff8, 1), 0xef);
	CK_EQ(mr("a", 1, 0xfff, 1), 0x01);
	CK_EQ(mr("a", 1, 0xffa, 2), 0x89ab);
	mw("a", 1, 0xff9, 1, 0x5a);
	CK_EQ(mr("a", 1, 0xff8, 8), 0x0123456789ab5aefull);
	mw("a", 1, 0xffe, 2, 0xbeef);
	CK_EQ(mr("a", 1, 0xffc, 4), 0xbeef4567);
	/* a store wider than the access is cut to its size */
	mw("a", 1, 0x20, 1, 0xabcd);
	CK_EQ(mr("a", 1, 0x20, 2), 0x00cd);
	/* 64-bit prefetchable BAR */
	mw("a", 2, 0x80000, 8, 0xfedcba9876543210ull);
	CK_EQ(mr("a", 2, 0x80000, 8), 0xfedcba9876543210ull);
	CK_EQ(mr("a", 2, 0x80004, 4), 0xfedcba98);
	/* outside the BAR: all-ones, stores dropped */
	CK_EQ(mr("a", 1, 0x1000, 4), 0xffffffffu);
	CK_EQ(mr("a", 1, 0x1000, 1), 0xff);
	CK_EQ(mr("a", 1, 0x100000, 8), UINT64_MAX);
	CK_EQ(mr("a", 1, 0xfffffffffffff000ull, 8), UINT64_MAX);
	mw("a", 1, 0x1000, 4, 0);
	CK_EQ(mr("a", 2, 0x100000, 4), 0xffffffffu);
	/* unimplemented BARs never decode */
	CK_EQ(mr("a", 3, 0, 4), 0xffffffffu);
	CK_EQ(mr("a", 4, 0, 8), UINT64_MAX);
	CK_EQ(mr("a", 5, 0, 2), 0xffff);
	mw("a", 3, 0, 4, 0);
	CK_EQ(mr("a", 3, 0, 4), 0xffffffffu);
	/* I/O Space on as well */
	cmd(2, 0x0003);
	CK_EQ(mr("a", 0, 0, 4), 0);	/* the dropped I/O store left nothing */
	mw("a", 0, 0xfc, 4, 0x13579bdf);
	CK_EQ(mr("a", 0, 0xfc, 4), 0x13579bdf);
	CK_EQ(mr("a", 0, 0xfe, 2), 0x1357);
	CK_EQ(mr("a", 0, 0x100, 4), 0xffffffffu);	/* past 256 bytes */
	/* I/O only: memory BARs stop decoding, contents are kept */
	cmd(2, 0x0001);
	CK_EQ(mr("a", 1, 0x10, 4), 0xffffffffu);
	CK_EQ(mr("a", 2, 0x80000, 8), UINT64_MAX);
	CK_EQ(mr("a", 0, 0xfc, 4), 0x13579bdf);
	mw("a", 1, 0x10, 4, 0);		/* dropped */
	cmd(2, 0x0002);
	CK_EQ(mr("a", 1, 0x10, 4), 0xcafef00d);
	CK_EQ(mr("a", 2, 0x80000, 8), 0xfedcba9876543210ull);
	CK_EQ(mr("a", 0, 0xfc, 4), 0xffffffffu);
	/* Bus Master alone decodes nothing */
	cmd(2, 0x0004);
	CK_EQ(mr("a", 1, 0x10, 4), 0xffffffffu);
	CK_EQ(mr("a", 0, 0xfc, 4), 0xffffffffu);
	cmd(2, 0);
}

static void rom(void)
{
	/* the ROM decodes with Memory Space AND its enable bit */
	CK_EQ(mr("a", 6, 0, 4), 0xffffffffu);
	CK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0x30), 4, 0x00000001), 0);
	n_checks++;
	CK_EQ(mr("a", 6, 0, 4), 0xffffffffu);	/* enable bit alone */
	cmd(2, 0x0002);
	uint64_t v0 = mr("a", 6, 0, 4), v8 = mr("a", 6, 0x100, 8);
	CK(v0 != 0xffffffffu || v8 != UINT64_MAX);
	/* read-only */
	mw("a", 6, 0, 4, v0 ^ 0xffffffffu);
	mw("a", 6, 0x100, 8, ~v8);
	CK_EQ(mr("a", 6, 0, 4), v0);
	CK_EQ(mr("a", 6, 0x100, 8), v8);
	CK_EQ(mr("a", 6, 0x1000, 4), 0xffffffffu);	/* past 4K */
	/* Memory Space without the ROM enable bit */
	CK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0x30), 4, 0), 0);
	n_checks++;
	CK_EQ(mr("a", 6, 0, 4), 0xffffffffu);
	/* a device without a ROM */
	cmd(3, 0x0002);
	CK_EQ(mr("x", 6, 0, 4), 0xffffffffu);
	cmd(3, 0);
	cmd(2, 0);
}

static void msix(void)
{
	unsigned cap = 0, pos;
	uint32_t table, pba;
	unsigned tbir, pbir, n;
	uint64_t toff, poff;

	/* find the MSI-X capability and its table / PBA location */
	for (pos = cfg(3, 0x34, 1); pos; pos = cfg(3, pos + 1, 1))
		if (cfg(3, pos, 1) == 0x11) {
			cap = pos;
			break;
		}
	CK(cap != 0);
	if (!cap)
		return;
	n = (cfg(3, cap + 2, 2) & 0x7ff) + 1;
	CK_EQ(n, 8);
	table = cfg(3, cap + 4, 4);
	pba = cfg(3, cap + 8, 4);
	tbir = table & 7;
	pbir = pba & 7;
	toff = table & ~7u;
	poff = pba & ~7u;
	CK_EQ(tbir, 0);
	CK_EQ(pbir, 0);
	CK(poff >= toff + 16 * n || poff + 8 <= toff);	/* no overlap */

	cmd(3, 0x0002);
	/* every vector: address 0, data 0, Vector Control = masked (bit 0) */
	for (unsigned v = 0; v < n; v++) {
		CK_EQ(mr("x", tbir, toff + 16 * v + 0, 4), 0);
		CK_EQ(mr("x", tbir, toff + 16 * v + 4, 4), 0);
		CK_EQ(mr("x", tbir, toff + 16 * v + 8, 4), 0);
		CK_EQ(mr("x", tbir, toff + 16 * v + 12, 4) & 1, 1);
	}
	/* no vector pending */
	CK_EQ(mr("x", pbir, poff, 8), 0);
	/* the table is writable: program vector 3 and unmask it */
	mw("x", tbir, toff + 48, 8, 0x0000040000001000ull);
	mw("x", tbir, toff + 56, 4, 0x1301);
	mw("x", tbir, toff + 60, 4, 0);
	CK_EQ(mr("x", tbir, toff + 48, 4), 0x00001000);
	CK_EQ(mr("x", tbir, toff + 52, 4), 0x00000400);
	CK_EQ(mr("x", tbir, toff + 56, 4), 0x1301);
	CK_EQ(mr("x", tbir, toff + 60, 4) & 1, 0);
	CK_EQ(mr("x", tbir, toff + 44, 4) & 1, 1);	/* its neighbours are still masked */
	CK_EQ(mr("x", tbir, toff + 76, 4) & 1, 1);
	/* the Pending Bit Array is read-only */
	mw("x", pbir, poff, 8, UINT64_MAX);
	mw("x", pbir, poff, 1, 0xff);
	mw("x", pbir, poff + 4, 4, 0xffffffff);
	CK_EQ(mr("x", pbir, poff, 8), 0);
	/* the other BAR of the device is plain memory */
	mw("x", 2, 0, 4, 0x600df00d);
	CK_EQ(mr("x", 2, 0, 4), 0x600df00d);
	/* a machine reset masks every vector again */
	CK_EQ(sphb_machine_reset(m), 0);
	cmd(3, 0x0002);
	for (unsigned v = 0; v < n; v++)
		CK_EQ(mr("x", tbir, toff + 16 * v + 12, 4) & 1, 1);
	CK_EQ(mr("x", pbir, poff, 8), 0);
	cmd(3, 0);
	CK_EQ(mr("x", tbir, toff + 12, 4), 0xffffffffu);	/* decoding off again */
}

static void bad_args(void)
{
	uint64_t v = 0x1234;

	cmd(2, 0x0003);
	/* unknown device, PHB ids are not devices */
	CK_EQ(sphb_mmio_read(m, "nosuch", 1, 0, 4, &v), -ENOENT);
	CK_EQ(sphb_mmio_write(m, "nosuch", 1, 0, 4, 0), -ENOENT);
	CK_EQ(sphb_mmio_read(m, "pci", 1, 0, 4, &v), -ENOENT);
	CK_EQ(sphb_mmio_read(m, "", 1, 0, 4, &v), -ENOENT);
	/* bar > 6 */
	CK_EQ(sphb_mmio_read(m, "a", 7, 0, 4, &v), -EINVAL);
	CK_EQ(sphb_mmio_write(m, "a", 7, 0, 4, 0), -EINVAL);
	CK_EQ(sphb_mmio_read(m, "a", 0xffffffffu, 0, 4, &v), -EINVAL);
	/* sizes other than 1, 2, 4, 8 */
	static const unsigned bad_sizes[] = { 0, 3, 5, 6, 7, 16 };
	for (unsigned i = 0; i < 6; i++) {
		CK_EQ(sphb_mmio_read(m, "a", 1, 0, bad_sizes[i], &v), -EINVAL);
		CK_EQ(sphb_mmio_write(m, "a", 1, 0, bad_sizes[i], 0), -EINVAL);
	}
	/* misaligned offsets */
	CK_EQ(sphb_mmio_read(m, "a", 1, 1, 2, &v), -EINVAL);
	CK_EQ(sphb_mmio_read(m, "a", 1, 2, 4, &v), -EINVAL);
	CK_EQ(sphb_mmio_read(m, "a", 1, 4, 8, &v), -EINVAL);
	CK_EQ(sphb_mmio_write(m, "a", 1, 3, 4, 0), -EINVAL);
	CK_EQ(sphb_mmio_write(m, "a", 1, 0xffc, 8, 0), -EINVAL);
	/* NULLs */
	CK_EQ(sphb_mmio_read(m, "a", 1, 0, 4, NULL), -EINVAL);
	CK(sphb_mmio_read(m, NULL, 1, 0, 4, &v) < 0);
	CK(sphb_mmio_read(NULL, "a", 1, 0, 4, &v) < 0);
	CK(sphb_mmio_write(NULL, "a", 1, 0, 4, 0) < 0);
	CK(sphb_mmio_write(m, NULL, 1, 0, 4, 0) < 0);
	/* none of that changed the BAR */
	mw("a", 1, 0, 8, 0x1122334455667788ull);
	CK_EQ(sphb_mmio_write(m, "a", 1, 0, 3, 0), -EINVAL);
	CK_EQ(sphb_mmio_write(m, "a", 1, 2, 4, 0), -EINVAL);
	CK_EQ(mr("a", 1, 0, 8), 0x1122334455667788ull);
	/* a removed device is gone */
	CK_EQ(sphb_machine_del(m, "x"), 0);
	CK_EQ(sphb_mmio_read(m, "x", 0, 0, 4, &v), -ENOENT);
	CK_EQ(sphb_mmio_write(m, "x", 0, 0, 4, 0), -ENOENT);
	cmd(2, 0);
}

int main(void)
{
	m = t_machine(&h, DEV_A, DEV_X, NULL);
	decoding();
	rom();
	msix();
	bad_args();
	t_free(m, &h);
	fprintf(stderr, "test_pci_mmio: %u checks\n", n_checks);
	return t_result();
}
