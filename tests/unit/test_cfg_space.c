/* sim-pci configuration-space semantics as a guest sees them through RTAS:
 * read-only / read-write / write-1-to-clear bits, BAR sizing, ROM,
 * capabilities, multifunction, reset, and the Linux probe sequence. */
#include "harness.h"

static struct t_host h;
static struct sphb_machine *m;

static uint32_t rd(unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, slot, fn, reg), size, &v), 0);
	return v;
}

static void wr(unsigned slot, unsigned fn, unsigned reg, unsigned size, uint32_t v)
{
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, slot, fn, reg), size, v), 0);
}

/* write all-ones, read back, restore */
static uint32_t sizing(unsigned slot, unsigned reg)
{
	uint32_t old = rd(slot, 0, reg, 4), v;
	wr(slot, 0, reg, 4, 0xffffffffu);
	v = rd(slot, 0, reg, 4);
	wr(slot, 0, reg, 4, old);
	return v;
}

static void header(void)
{
	/* slot 2: the e1000-like function */
	CHECK_EQ(rd(2, 0, 0x00, 4), 0x100e8086);
	CHECK_EQ(rd(2, 0, 0x08, 4), 0x02000003);	/* class 020000, rev 3 */
	CHECK_EQ(rd(2, 0, 0x2c, 4), 0x11001af4);	/* subsystem */
	CHECK_EQ(rd(2, 0, 0x0e, 1), 0x00);		/* type 0, single function */
	CHECK_EQ(rd(2, 0, 0x3d, 1), 0x01);		/* INTA */
	/* read-only registers ignore writes */
	wr(2, 0, 0x00, 4, 0x12345678);
	wr(2, 0, 0x08, 4, 0xffffffff);
	wr(2, 0, 0x2c, 4, 0);
	wr(2, 0, 0x3d, 1, 3);
	CHECK_EQ(rd(2, 0, 0x00, 4), 0x100e8086);
	CHECK_EQ(rd(2, 0, 0x08, 4), 0x02000003);
	CHECK_EQ(rd(2, 0, 0x2c, 4), 0x11001af4);
	CHECK_EQ(rd(2, 0, 0x3d, 1), 0x01);
	/* Command: IO, Memory, Bus Master, SERR, INTx Disable are writable (QEMU 0x0507) */
	wr(2, 0, 0x04, 2, 0xffff);
	CHECK_EQ(rd(2, 0, 0x04, 2), 0x0507);
	wr(2, 0, 0x04, 2, 0);
	CHECK_EQ(rd(2, 0, 0x04, 2), 0);
	/* Status: only the capability-list bit; error bits are RW1C and clear */
	wr(2, 0, 0x06, 2, 0xffff);
	CHECK_EQ(rd(2, 0, 0x06, 2), 0x0010);
	/* cache line size and interrupt line */
	wr(2, 0, 0x0c, 1, 0x10);
	CHECK_EQ(rd(2, 0, 0x0c, 1), 0x10);
	wr(2, 0, 0x3c, 1, 0x42);
	CHECK_EQ(rd(2, 0, 0x3c, 4), 0x00000142);
	/* sub-dword access composes little-endian */
	CHECK_EQ(rd(2, 0, 0x00, 2), 0x8086);
	CHECK_EQ(rd(2, 0, 0x02, 2), 0x100e);
	CHECK_EQ(rd(2, 0, 0x03, 1), 0x10);
}

static void bars(void)
{
	/* slot 2: bar0 mem32 128K, bar1 io 64, rom 256K */
	CHECK_EQ(sizing(2, 0x10), 0xfffe0000);
	CHECK_EQ(sizing(2, 0x14), 0xffffffc1);
	CHECK_EQ(sizing(2, 0x18), 0xfffff000);	/* MSI-X table BAR, auto-placed: 4 KiB */
	CHECK_EQ(sizing(2, 0x1c), 0);		/* unimplemented BAR: reads 0 */
	CHECK_EQ(sizing(2, 0x30), 0xfffc0001);	/* ROM: size mask + enable bit */
	/* slot 3: bar0 mem32pref 4K, bar2 mem64 1M, bar4 mem64pref 8G */
	CHECK_EQ(sizing(3, 0x10), 0xfffff008);
	CHECK_EQ(sizing(3, 0x18), 0xfff00004);
	CHECK_EQ(sizing(3, 0x1c), 0xffffffff);
	CHECK_EQ(sizing(3, 0x20), 0x0000000c);	/* 8 GiB: low dword has no size bits */
	CHECK_EQ(sizing(3, 0x24), 0xfffffffe);
	/* an address is kept with its type bits */
	wr(3, 0, 0x18, 4, 0x12345678);
	CHECK_EQ(rd(3, 0, 0x18, 4), 0x12300004);
	wr(3, 0, 0x1c, 4, 0xabcdef01);
	CHECK_EQ(rd(3, 0, 0x1c, 4), 0xabcdef01);
	wr(2, 0, 0x14, 4, 0x1234);
	CHECK_EQ(rd(2, 0, 0x14, 4), 0x1201);
}

static void caps(void)
{
	uint32_t pos, id, seen[3] = { 0, 0, 0 };

	/* slot 2: MSI (1 vector) and MSI-X (4): capability list bit set */
	CHECK(rd(2, 0, 0x06, 2) & 0x10);
	/* slot 4: no capabilities */
	CHECK_EQ(rd(4, 0, 0x06, 2) & 0x10, 0);
	CHECK_EQ(rd(4, 0, 0x34, 1), 0);
	/* slot 3: pcie + msi 8 + msix 16 in bar1 (auto) */
	for (pos = rd(3, 0, 0x34, 1); pos; pos = rd(3, 0, pos + 1, 1)) {
		CHECK(pos >= 0x40 && pos < 0x100 && !(pos & 3));
		id = rd(3, 0, pos, 1);
		if (id == 0x10) {
			seen[0]++;
			CHECK_EQ(rd(3, 0, pos + 2, 2) & 0xf0, 0); /* endpoint */
		} else if (id == 0x05) {
			uint32_t ctl = rd(3, 0, pos + 2, 2);
			seen[1]++;
			CHECK_EQ((ctl >> 1) & 7, 3);	/* 8 vectors capable */
			CHECK(ctl & 0x80);		/* 64-bit */
			CHECK_EQ(ctl & 1, 0);		/* disabled at reset */
			/* enable with MME 5 (32): clamped to MMC 3 while enabled */
			wr(3, 0, pos + 2, 2, 0x51);
			CHECK_EQ((rd(3, 0, pos + 2, 2) >> 4) & 7, 3);
			wr(3, 0, pos + 2, 2, 0);
			wr(3, 0, pos + 4, 4, 0xffffffff);
			CHECK_EQ(rd(3, 0, pos + 4, 4), 0xfffffffc); /* dword aligned */
		} else if (id == 0x11) {
			uint32_t ctl = rd(3, 0, pos + 2, 2), tbl = rd(3, 0, pos + 4, 4),
				 pba = rd(3, 0, pos + 8, 4);
			seen[2]++;
			CHECK_EQ(ctl & 0x7ff, 15);	/* 16 entries */
			CHECK_EQ(tbl & 7, pba & 7);	/* same BAR */
			CHECK_EQ(tbl & ~7u, 0);
			CHECK(pba >= 16 * 16);		/* PBA after the table */
			wr(3, 0, pos + 2, 2, 0xffff);
			CHECK_EQ(rd(3, 0, pos + 2, 2), 0xc000 | 15);
			wr(3, 0, pos + 2, 2, 0);
		}
	}
	CHECK_EQ(seen[0], 1);
	CHECK_EQ(seen[1], 1);
	CHECK_EQ(seen[2], 1);
	/* the auto-placed MSI-X BAR is bar1 (bar0 used, bar2/3 a 64-bit pair) and sizes */
	CHECK(sizing(3, 0x14) != 0);
	/* PCIe: AER extended capability at 0x100, end of the ext list */
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x100), 4, &v), 0);
		CHECK_EQ(v, 0x00020001);
		/* uncorrectable status is RW1C: writing ones to a 0 register keeps 0 */
		CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x104), 4, 0xffffffff), 0);
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x104), 4, &v), 0);
		CHECK_EQ(v, 0);
	}
}

static void multifunction_and_reset(void)
{
	struct t_host h2;
	struct sphb_machine *m2 = t_machine(&h2, "sim-pci,addr=5.0,multifunction=on,id=f0",
					    "sim-pci,addr=5.3,id=f3", NULL);
	uint32_t v;

	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 0, 0x0e), 1, &v), 0);
	CHECK_EQ(v, 0x80);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x00), 4, &v), 0);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 1, 0x00), 4, &v), -1);
	/* machine reset restores the power-on image */
	CHECK_EQ(t_cfg_write(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x3c), 1, 0x77), 0);
	CHECK_EQ(t_cfg_write(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x04), 2, 0x0007), 0);
	CHECK_EQ(sphb_machine_reset(m2), 0);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x3c), 1, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x04), 2, &v), 0);
	CHECK_EQ(v, 0);
	t_free(m2, &h2);
}

/* linux-eeh.md B.3 step 1 (byte-wise cap walk) and step 4 (16 dword reads)
 * must agree with each other and with dword reads. */
static void linux_probe(void)
{
	uint32_t status = rd(3, 0, 0x06, 2), pos, hops = 0, pcie = 0;
	uint32_t dw[16];

	CHECK(status & 0x10);
	for (pos = rd(3, 0, 0x34, 1); pos && hops < 48; hops++) {
		uint32_t idb = rd(3, 0, pos, 1), next = rd(3, 0, pos + 1, 1);
		CHECK_EQ(rd(3, 0, pos, 4) & 0xffff, idb | next << 8);
		if (idb == 0x10)
			pcie = pos;
		pos = next;
	}
	CHECK(hops < 48);
	CHECK(pcie != 0);
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x100), 4, &v), 0);
		CHECK_EQ(v & 0xffff, 0x0001); /* AER found by the ext walk */
	}
	for (unsigned i = 0; i < 16; i++)
		dw[i] = rd(3, 0, 4 * i, 4);
	CHECK_EQ(dw[0], rd(3, 0, 0, 2) | rd(3, 0, 2, 2) << 16);
	CHECK_EQ(dw[0] & 0xffff, 0x1014);		/* default vendor */
	CHECK_EQ(dw[2] >> 8, 0xff0000);			/* default class */
	CHECK_EQ((dw[13] & 0xff), rd(3, 0, 0x34, 1));
}

int main(void)
{
	m = t_machine(&h,
		"sim-pci,addr=2,vendor=0x8086,device=0x100e,class=0x020000,rev=3,subsys-vendor=0x1af4,subsys=0x1100,bar0=mem32:128K,bar1=io:64,rom=256K,msi=1,msix=4",
		"sim-pci,addr=3,bar0=mem32pref:4K,bar2=mem64:1M,bar4=mem64pref:8G,msi=8,msix=16,pcie=on",
		"sim-pci,addr=4", NULL);
	header();
	bars();
	caps();
	linux_probe();
	t_free(m, &h);
	multifunction_and_reset();
	return t_result();
}
