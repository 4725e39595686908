/* Configuration-space semantics of sim-pci as a guest sees them through
 * ibm,read/write-pci-config.
 *
 * Sections:
 *   1. the type-0 header (PCI Local Bus 3.0 §6.1-§6.2): IDs, read-only
 *      registers, Command (QEMU's writable mask 0x0507, hw/pci/pci.c,
 *      pci_init_cmask()/pci_init_wmask()), Status (capability-list bit
 *      read-only, error bits RW1C), interrupt line/pin, sub-dword access;
 *   2. BARs and the expansion ROM (§6.2.5): sizing with all-ones, type bits,
 *      64-bit pairs, address bits below the size ignored;
 *   3. the capability list (§6.7): MSI (§6.8.1), MSI-X (§6.8.2), PCI
 *      Express and AER (PCI Express Base 3.0 §7.8, §7.10);
 *   4. the probe sequence of a Linux pseries guest (Linux 6.12
 *      arch/powerpc/platforms/pseries/eeh_pseries.c, pseries_eeh_init_edev():
 *      the byte-wise capability walk and the extended walk for AER; then
 *      eeh_save_bars(), arch/powerpc/kernel/eeh.c: 16 dword reads 0x00-0x3c);
 *   5. machine reset: every register back to its power-on value, and
 *      multifunction.
 * Most checks run on the machine of DEV_A..DEV_G; each section then goes on
 * with a smaller machine (SMALL_*, the small_*() functions) built after it.
 * SPDX-License-Identifier: MIT */
#include "harness.h"

static unsigned n_checks;
#define CK(c) do { n_checks++; CHECK(c); } while (0)
#define CK_EQ(a, b) do { n_checks++; CHECK_EQ(a, b); } while (0)

static struct t_host h;
static struct sphb_machine *m;

/*
 * 02.0 "a": conventional, every BAR kind but 64-bit prefetchable, a ROM, MSI x4
 * 03.0 "b": PCIe, 64-bit BARs, MSI x1, MSI-X x16 in bar4
 * 05.0 "c": no BARs, no capabilities
 * 06.0 "mf0" multifunction=on + 06.1 "mf1"
 * 07.0 "d": MSI x32
 */
#define DEV_A "sim-pci,bus=pci.0,addr=2,id=a,vendor=0x1af4,device=0x1041,class=0x020000,rev=0x01," \
	      "subsys-vendor=0x1af4,subsys=0x0001,bar0=io:256,bar1=mem32:4K,bar2=mem32pref:64K," \
	      "bar3=mem64:1M,rom=64K,msi=4"
#define DEV_B "sim-pci,bus=pci.0,addr=3,id=b,vendor=0x8086,device=0x10d3,class=0x020000,rev=0x05," \
	      "subsys-vendor=0x8086,subsys=0xa01f,pcie=on,bar0=mem64pref:8G,bar2=mem64:16," \
	      "bar4=mem32:8K,msix=16,msix-bar=4,msi=1"
#define DEV_C "sim-pci,bus=pci.0,addr=5,id=c,vendor=0x10ec,device=0x8139,class=0x0c0330"
#define DEV_MF0 "sim-pci,bus=pci.0,addr=6.0,id=mf0,vendor=0x8086,device=0x2922,multifunction=on"
#define DEV_MF1 "sim-pci,bus=pci.0,addr=6.1,id=mf1,vendor=0x8086,device=0x2923"
#define DEV_D "sim-pci,bus=pci.0,addr=7,id=d,msi=32"
/* 09.0 "g": MSI-X without msix-bar: the lowest free BAR (bar2, after the
 * 64-bit bar0/bar1 pair) becomes a mem32 BAR holding table and PBA
 * (docs/architecture.md, docs/cli.md) */
#define DEV_G "sim-pci,bus=pci.0,addr=9,id=g,bar0=mem64:4K,msix=3"

/* The smaller machine: 02.0 an e1000-like function (BARs of every kind, a
 * ROM, MSI x1, MSI-X x4 in an auto-placed BAR), 03.0 PCIe with 64-bit
 * BARs, MSI x8, MSI-X x16, 04.0 nothing at all. */
#define SMALL_2 "sim-pci,addr=2,vendor=0x8086,device=0x100e,class=0x020000,rev=3,subsys-vendor=0x1af4," \
		"subsys=0x1100,bar0=mem32:128K,bar1=io:64,rom=256K,msi=1,msix=4"
#define SMALL_3 "sim-pci,addr=3,bar0=mem32pref:4K,bar2=mem64:1M,bar4=mem64pref:8G,msi=8,msix=16,pcie=on"
#define SMALL_4 "sim-pci,addr=4"

static uint32_t rd(unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = T_SENTINEL;
	n_checks++;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, slot, fn, reg), size, &v), 0);
	return v;
}

static void wr(unsigned slot, unsigned fn, unsigned reg, unsigned size, uint32_t v)
{
	n_checks++;
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, slot, fn, reg), size, v), 0);
}

/* write all-ones, read back, then restore the previous value */
static uint32_t sizing(unsigned slot, unsigned reg, uint32_t ones)
{
	uint32_t old = rd(slot, 0, reg, 4), v;

	wr(slot, 0, reg, 4, ones);
	v = rd(slot, 0, reg, 4);
	wr(slot, 0, reg, 4, old);
	return v;
}

/* Walk the capability list one byte at a time (as Linux does). Returns the
 * offset of capability `id`, 0 if absent; *n receives the number of entries. */
static unsigned find_cap(unsigned slot, unsigned id, unsigned *n)
{
	unsigned pos, found = 0, count = 0;

	if (!(rd(slot, 0, 0x06, 2) & 0x0010))
		goto out;
	pos = rd(slot, 0, 0x34, 1);
	while (pos && count < 48) {
		CK(pos >= 0x40 && pos <= 0xfc);	/* PCI 3.0 §6.7: after the header */
		CK_EQ(pos & 3, 0);		/* dword aligned */
		if (rd(slot, 0, pos, 1) == id && !found)
			found = pos;
		pos = rd(slot, 0, pos + 1, 1) & 0xfc;
		count++;
	}
	CK(count < 48);		/* the list terminates */
out:
	if (n)
		*n = count;
	return found;
}

/* ---- 1. the header -------------------------------------------------------- */

static void ids(void)
{
	/* Vendor/Device, Revision/Class, Subsystem */
	CK_EQ(rd(2, 0, 0x00, 4), 0x10411af4);
	CK_EQ(rd(2, 0, 0x08, 4), 0x02000001);
	CK_EQ(rd(2, 0, 0x09, 1), 0x00);	/* programming interface */
	CK_EQ(rd(2, 0, 0x0a, 1), 0x00);	/* sub-class */
	CK_EQ(rd(2, 0, 0x0b, 1), 0x02);	/* base class: network */
	CK_EQ(rd(2, 0, 0x08, 1), 0x01);
	CK_EQ(rd(2, 0, 0x2c, 4), 0x00011af4);
	CK_EQ(rd(2, 0, 0x2c, 2), 0x1af4);
	CK_EQ(rd(2, 0, 0x2e, 2), 0x0001);
	CK_EQ(rd(3, 0, 0x00, 4), 0x10d38086);
	CK_EQ(rd(3, 0, 0x08, 4), 0x02000005);
	CK_EQ(rd(3, 0, 0x2c, 4), 0xa01f8086);
	CK_EQ(rd(5, 0, 0x00, 4), 0x813910ec);
	CK_EQ(rd(5, 0, 0x08, 4), 0x0c033000);
	CK_EQ(rd(5, 0, 0x09, 1), 0x30);	/* xHCI prog-if */
	CK_EQ(rd(5, 0, 0x0a, 2), 0x0c03);
	CK_EQ(rd(5, 0, 0x2c, 4), 0);	/* no subsystem given */
	/* header type 0 (PCI 3.0 §6.2.1), single function */
	CK_EQ(rd(2, 0, 0x0e, 1), 0x00);
	CK_EQ(rd(3, 0, 0x0e, 1), 0x00);
	CK_EQ(rd(5, 0, 0x0e, 1), 0x00);
	/* multifunction: bit 7 of Header Type on function 0 */
	CK_EQ(rd(6, 0, 0x0e, 1), 0x80);
	CK_EQ(rd(6, 0, 0x0c, 4) & 0x00800000u, 0x00800000u);
	CK_EQ(rd(6, 1, 0x00, 4), 0x29238086);
	CK_EQ(rd(6, 1, 0x0e, 1) & 0x7f, 0x00);
	/* interrupt pin INTA, line 0 */
	CK_EQ(rd(2, 0, 0x3d, 1), 0x01);
	CK_EQ(rd(2, 0, 0x3c, 1), 0x00);
	CK_EQ(rd(3, 0, 0x3d, 1), 0x01);
	CK_EQ(rd(5, 0, 0x3d, 1), 0x01);
	/* power-on Command is 0 (nothing decoded) */
	CK_EQ(rd(2, 0, 0x04, 2), 0);
	CK_EQ(rd(3, 0, 0x04, 2), 0);
	CK_EQ(rd(5, 0, 0x04, 2), 0);
}

static void read_only(void)
{
	static const unsigned ro[] = { 0x00, 0x02, 0x08, 0x0a, 0x2c, 0x2e };
	static const unsigned slots[] = { 2, 3, 5 };

	for (unsigned s = 0; s < 3; s++) {
		unsigned slot = slots[s];
		uint32_t before[6], pin, caps;

		for (unsigned i = 0; i < 6; i++)
			before[i] = rd(slot, 0, ro[i], 2);
		pin = rd(slot, 0, 0x3d, 1);
		caps = rd(slot, 0, 0x34, 1);
		for (unsigned i = 0; i < 6; i++) {
			wr(slot, 0, ro[i], 2, 0xffff);
			wr(slot, 0, ro[i], 2, 0x0000);
		}
		wr(slot, 0, 0x00, 4, 0x12345678);
		wr(slot, 0, 0x08, 4, 0xffffffff);
		wr(slot, 0, 0x0e, 1, 0x7f);	/* header type */
		wr(slot, 0, 0x0e, 1, 0x80);
		wr(slot, 0, 0x3d, 1, 0x04);	/* interrupt pin */
		wr(slot, 0, 0x34, 1, 0x80);	/* capabilities pointer */
		wr(slot, 0, 0x34, 4, 0);
		for (unsigned i = 0; i < 6; i++)
			CK_EQ(rd(slot, 0, ro[i], 2), before[i]);
		CK_EQ(rd(slot, 0, 0x0e, 1), 0x00);
		CK_EQ(rd(slot, 0, 0x3d, 1), pin);
		CK_EQ(rd(slot, 0, 0x34, 1), caps);
	}
	/* the multifunction bit is read-only as well */
	wr(6, 0, 0x0e, 1, 0x00);
	CK_EQ(rd(6, 0, 0x0e, 1), 0x80);
}

static void command_status(void)
{
	/* Command: IO, Memory, Bus Master, SERR#, INTx Disable writable = 0x0507 */
	wr(2, 0, 0x04, 2, 0xffff);
	CK_EQ(rd(2, 0, 0x04, 2), 0x0507);
	wr(2, 0, 0x04, 2, 0x0000);
	CK_EQ(rd(2, 0, 0x04, 2), 0x0000);
	static const uint16_t bits[] = { 0x0001, 0x0002, 0x0004, 0x0100, 0x0400 };
	for (unsigned i = 0; i < 5; i++) {
		wr(2, 0, 0x04, 2, bits[i]);
		CK_EQ(rd(2, 0, 0x04, 2), bits[i]);
	}
	/* bits that are not writable: special cycles, MWI, VGA snoop, parity, stepping, fast b2b */
	static const uint16_t ro_bits[] = { 0x0008, 0x0010, 0x0020, 0x0040, 0x0080, 0x0200, 0xf800 };
	for (unsigned i = 0; i < 7; i++) {
		wr(2, 0, 0x04, 2, ro_bits[i]);
		CK_EQ(rd(2, 0, 0x04, 2), 0);
	}
	/* Status: the capability-list bit is read-only; error bits are RW1C and
	 * start clear, so writing ones leaves them clear; nothing else is writable */
	CK_EQ(rd(2, 0, 0x06, 2), 0x0010);
	CK_EQ(rd(5, 0, 0x06, 2), 0x0000);
	wr(2, 0, 0x06, 2, 0xffff);
	CK_EQ(rd(2, 0, 0x06, 2), 0x0010);
	wr(5, 0, 0x06, 2, 0xffff);
	CK_EQ(rd(5, 0, 0x06, 2), 0x0000);
	wr(2, 0, 0x06, 2, 0x0000);
	CK_EQ(rd(2, 0, 0x06, 2), 0x0010);
	/* one dword write to Command+Status */
	wr(2, 0, 0x04, 4, 0xffffffff);
	CK_EQ(rd(2, 0, 0x04, 4), 0x00100507);
	/* writing ones to Status does not disturb Command */
	wr(2, 0, 0x04, 4, 0xffff0006);
	CK_EQ(rd(2, 0, 0x04, 4), 0x00100006);
	wr(2, 0, 0x04, 2, 0);

	/* PCIe Device Status (cap + 0x0a): error-detected bits RW1C, start 0 */
	unsigned pcie = find_cap(3, 0x10, NULL);
	CK(pcie != 0);
	if (pcie) {
		CK_EQ(rd(3, 0, pcie + 0x0a, 2) & 0x000f, 0);
		wr(3, 0, pcie + 0x0a, 2, 0xffff);
		CK_EQ(rd(3, 0, pcie + 0x0a, 2) & 0x000f, 0);
		/* Device Control is writable: Max_Read_Request_Size (bits 14:12) */
		uint32_t ctl = rd(3, 0, pcie + 0x08, 2);
		wr(3, 0, pcie + 0x08, 2, (ctl & 0x8fff) | 0x5000);
		CK_EQ(rd(3, 0, pcie + 0x08, 2) & 0x7000, 0x5000);
		wr(3, 0, pcie + 0x08, 2, ctl);
		CK_EQ(rd(3, 0, pcie + 0x08, 2), ctl);
	}
	/* AER status registers are RW1C and start 0; AER masks are RW */
	CK_EQ(rd(3, 0, 0x104, 4), 0);
	wr(3, 0, 0x104, 4, 0xffffffff);
	CK_EQ(rd(3, 0, 0x104, 4), 0);
	CK_EQ(rd(3, 0, 0x110, 4), 0);
	wr(3, 0, 0x110, 4, 0xffffffff);
	CK_EQ(rd(3, 0, 0x110, 4), 0);
	wr(3, 0, 0x108, 4, 0x00100000);	/* mask Unsupported Request (bit 20) */
	CK_EQ(rd(3, 0, 0x108, 4), 0x00100000);
	wr(3, 0, 0x108, 4, 0);
	CK_EQ(rd(3, 0, 0x108, 4), 0);
	wr(3, 0, 0x114, 4, 0x00000001);	/* mask Receiver Error */
	CK_EQ(rd(3, 0, 0x114, 4), 0x00000001);
	wr(3, 0, 0x114, 4, 0x0000e000);
	CK_EQ(rd(3, 0, 0x114, 4), 0x0000e000);
	/* the AER capability header is read-only */
	uint32_t aer = rd(3, 0, 0x100, 4);
	wr(3, 0, 0x100, 4, 0);
	CK_EQ(rd(3, 0, 0x100, 4), aer);
}

static void interrupt_line(void)
{
	wr(2, 0, 0x3c, 1, 0xa7);
	CK_EQ(rd(2, 0, 0x3c, 1), 0xa7);
	CK_EQ(rd(2, 0, 0x3d, 1), 0x01);
	wr(2, 0, 0x3c, 2, 0x03ff);	/* pin is not writable */
	CK_EQ(rd(2, 0, 0x3c, 2), 0x01ff);
	wr(2, 0, 0x3c, 4, 0xffffff00);	/* Min_Gnt/Max_Lat read-only (0) */
	CK_EQ(rd(2, 0, 0x3c, 4), 0x00000100);
	wr(2, 0, 0x3c, 1, 0);
}

static void sub_dword(void)
{
	/* byte writes to both Command bytes */
	wr(2, 0, 0x05, 1, 0x04);	/* INTx Disable */
	CK_EQ(rd(2, 0, 0x04, 2), 0x0400);
	wr(2, 0, 0x04, 1, 0x07);
	CK_EQ(rd(2, 0, 0x04, 2), 0x0407);
	CK_EQ(rd(2, 0, 0x04, 1), 0x07);
	CK_EQ(rd(2, 0, 0x05, 1), 0x04);
	CK_EQ(rd(2, 0, 0x04, 4), 0x00100407);
	CK_EQ(rd(2, 0, 0x06, 1), 0x10);
	CK_EQ(rd(2, 0, 0x07, 1), 0x00);
	wr(2, 0, 0x04, 1, 0xff);	/* low byte only: high byte stays */
	CK_EQ(rd(2, 0, 0x04, 2), 0x0407);
	wr(2, 0, 0x04, 2, 0);
	/* every byte of dword 0 reads consistently */
	uint32_t d0 = rd(2, 0, 0x00, 4);
	for (unsigned i = 0; i < 4; i++)
		CK_EQ(rd(2, 0, i, 1), (d0 >> (8 * i)) & 0xff);
	CK_EQ(rd(2, 0, 0x00, 2), d0 & 0xffff);
	CK_EQ(rd(2, 0, 0x02, 2), d0 >> 16);
	/* read-modify of a 2-byte register in the middle of a dword */
	wr(2, 0, 0x0e, 2, 0xffff);	/* Header Type (RO) + BIST */
	CK_EQ(rd(2, 0, 0x0e, 1), 0x00);
}

static void small_header(void)
{
	/* slot 2: the e1000-like function */
	CK_EQ(rd(2, 0, 0x00, 4), 0x100e8086);
	CK_EQ(rd(2, 0, 0x08, 4), 0x02000003);	/* class 020000, rev 3 */
	CK_EQ(rd(2, 0, 0x2c, 4), 0x11001af4);	/* subsystem */
	CK_EQ(rd(2, 0, 0x0e, 1), 0x00);		/* type 0, single function */
	CK_EQ(rd(2, 0, 0x3d, 1), 0x01);		/* INTA */
	/* read-only registers ignore writes */
	wr(2, 0, 0x00, 4, 0x12345678);
	wr(2, 0, 0x08, 4, 0xffffffff);
	wr(2, 0, 0x2c, 4, 0);
	wr(2, 0, 0x3d, 1, 3);
	CK_EQ(rd(2, 0, 0x00, 4), 0x100e8086);
	CK_EQ(rd(2, 0, 0x08, 4), 0x02000003);
	CK_EQ(rd(2, 0, 0x2c, 4), 0x11001af4);
	CK_EQ(rd(2, 0, 0x3d, 1), 0x01);
	/* Command: IO, Memory, Bus Master, SERR, INTx Disable are writable (QEMU 0x0507) */
	wr(2, 0, 0x04, 2, 0xffff);
	CK_EQ(rd(2, 0, 0x04, 2), 0x0507);
	wr(2, 0, 0x04, 2, 0);
	CK_EQ(rd(2, 0, 0x04, 2), 0);
	/* Status: only the capability-list bit; error bits are RW1C and clear */
	wr(2, 0, 0x06, 2, 0xffff);
	CK_EQ(rd(2, 0, 0x06, 2), 0x0010);
	/* cache line size and interrupt line */
	wr(2, 0, 0x0c, 1, 0x10);
	CK_EQ(rd(2, 0, 0x0c, 1), 0x10);
	wr(2, 0, 0x3c, 1, 0x42);
	CK_EQ(rd(2, 0, 0x3c, 4), 0x00000142);
	/* sub-dword access composes little-endian */
	CK_EQ(rd(2, 0, 0x00, 2), 0x8086);
	CK_EQ(rd(2, 0, 0x02, 2), 0x100e);
	CK_EQ(rd(2, 0, 0x03, 1), 0x10);
}

/* ---- 2. BARs and the expansion ROM ------------------------------------------ */

static void bars(void)
{
	/* "a": power-on values carry only the type bits */
	CK_EQ(rd(2, 0, 0x10, 4), 0x00000001);	/* io */
	CK_EQ(rd(2, 0, 0x14, 4), 0x00000000);	/* mem32 */
	CK_EQ(rd(2, 0, 0x18, 4), 0x00000008);	/* mem32 prefetchable */
	CK_EQ(rd(2, 0, 0x1c, 4), 0x00000004);	/* mem64 */
	CK_EQ(rd(2, 0, 0x20, 4), 0x00000000);	/* ... its upper dword */
	CK_EQ(rd(2, 0, 0x24, 4), 0x00000000);	/* unimplemented */
	/* sizing: all-ones in, size mask + type bits out */
	CK_EQ(sizing(2, 0x10, 0xffffffff), 0xffffff01);	/* io 256 */
	CK_EQ(sizing(2, 0x14, 0xffffffff), 0xfffff000);	/* mem32 4K */
	CK_EQ(sizing(2, 0x18, 0xffffffff), 0xffff0008);	/* mem32pref 64K */
	CK_EQ(sizing(2, 0x1c, 0xffffffff), 0xfff00004);	/* mem64 1M low */
	CK_EQ(sizing(2, 0x20, 0xffffffff), 0xffffffff);	/* mem64 1M high */
	CK_EQ(sizing(2, 0x24, 0xffffffff), 0x00000000);	/* unimplemented BAR5 */
	/* "b" */
	CK_EQ(rd(3, 0, 0x10, 4), 0x0000000c);			/* mem64 prefetchable */
	CK_EQ(sizing(3, 0x10, 0xffffffff), 0x0000000c);	/* 8G: low dword has no size bits */
	CK_EQ(sizing(3, 0x14, 0xffffffff), 0xfffffffe);	/* 8G high dword */
	CK_EQ(sizing(3, 0x18, 0xffffffff), 0xfffffff4);	/* mem64 16 bytes */
	CK_EQ(sizing(3, 0x1c, 0xffffffff), 0xffffffff);
	CK_EQ(sizing(3, 0x20, 0xffffffff), 0xffffe000);	/* mem32 8K (MSI-X) */
	CK_EQ(sizing(3, 0x24, 0xffffffff), 0x00000000);
	/* "c": no BAR at all */
	for (unsigned r = 0x10; r <= 0x24; r += 4)
		CK_EQ(sizing(5, r, 0xffffffff), 0);
	CK_EQ(sizing(5, 0x30, 0xffffffff), 0);	/* no ROM */
	/* sizing restored the addresses (0) */
	CK_EQ(rd(2, 0, 0x14, 4), 0);
	CK_EQ(rd(3, 0, 0x14, 4), 0);

	/* programming addresses: low bits beyond the size are ignored */
	wr(2, 0, 0x14, 4, 0x80001234);
	CK_EQ(rd(2, 0, 0x14, 4), 0x80001000);
	wr(2, 0, 0x10, 4, 0x0000abcd);
	CK_EQ(rd(2, 0, 0x10, 4), 0x0000ab01);
	wr(2, 0, 0x18, 4, 0xc0000000);
	CK_EQ(rd(2, 0, 0x18, 4), 0xc0000008);
	/* 64-bit BAR: the upper dword is the address's high half */
	wr(2, 0, 0x1c, 4, 0x40100000);
	wr(2, 0, 0x20, 4, 0x00000123);
	CK_EQ(rd(2, 0, 0x1c, 4), 0x40100004);
	CK_EQ(rd(2, 0, 0x20, 4), 0x00000123);
	wr(3, 0, 0x10, 4, 0x80000000);	/* below the 8G alignment: dropped */
	wr(3, 0, 0x14, 4, 0x00000013);	/* bit 32 below 8G alignment: dropped */
	CK_EQ(rd(3, 0, 0x10, 4), 0x0000000c);
	CK_EQ(rd(3, 0, 0x14, 4), 0x00000012);
	/* byte and word writes into a BAR */
	wr(2, 0, 0x14, 4, 0);
	wr(2, 0, 0x17, 1, 0x81);
	CK_EQ(rd(2, 0, 0x14, 4), 0x81000000);
	wr(2, 0, 0x14, 2, 0xffff);
	CK_EQ(rd(2, 0, 0x14, 4), 0x8100f000);
	CK_EQ(rd(2, 0, 0x16, 2), 0x8100);
	CK_EQ(rd(2, 0, 0x15, 1), 0xf0);

	/* expansion ROM 64K: size mask, enable bit (bit 0) writable, 10:1 reserved */
	CK_EQ(rd(2, 0, 0x30, 4), 0);
	CK_EQ(sizing(2, 0x30, 0xfffffffe), 0xffff0000);
	CK_EQ(sizing(2, 0x30, 0xffffffff), 0xffff0001);
	wr(2, 0, 0x30, 4, 0x00000001);
	CK_EQ(rd(2, 0, 0x30, 4), 0x00000001);
	wr(2, 0, 0x30, 4, 0xa0120000 | 0x7fe | 1);
	CK_EQ(rd(2, 0, 0x30, 4), 0xa0120001);
	wr(2, 0, 0x30, 4, 0);
	CK_EQ(rd(2, 0, 0x30, 4), 0);
}

static void small_bars(void)
{
	/* slot 2: bar0 mem32 128K, bar1 io 64, rom 256K */
	CK_EQ(sizing(2, 0x10, 0xffffffff), 0xfffe0000);
	CK_EQ(sizing(2, 0x14, 0xffffffff), 0xffffffc1);
	CK_EQ(sizing(2, 0x18, 0xffffffff), 0xfffff000);	/* MSI-X table BAR, auto-placed: 4 KiB */
	CK_EQ(sizing(2, 0x1c, 0xffffffff), 0);		/* unimplemented BAR: reads 0 */
	CK_EQ(sizing(2, 0x30, 0xffffffff), 0xfffc0001);	/* ROM: size mask + enable bit */
	/* slot 3: bar0 mem32pref 4K, bar2 mem64 1M, bar4 mem64pref 8G */
	CK_EQ(sizing(3, 0x10, 0xffffffff), 0xfffff008);
	CK_EQ(sizing(3, 0x18, 0xffffffff), 0xfff00004);
	CK_EQ(sizing(3, 0x1c, 0xffffffff), 0xffffffff);
	CK_EQ(sizing(3, 0x20, 0xffffffff), 0x0000000c);	/* 8 GiB: low dword has no size bits */
	CK_EQ(sizing(3, 0x24, 0xffffffff), 0xfffffffe);
	/* an address is kept with its type bits */
	wr(3, 0, 0x18, 4, 0x12345678);
	CK_EQ(rd(3, 0, 0x18, 4), 0x12300004);
	wr(3, 0, 0x1c, 4, 0xabcdef01);
	CK_EQ(rd(3, 0, 0x1c, 4), 0xabcdef01);
	wr(2, 0, 0x14, 4, 0x1234);
	CK_EQ(rd(2, 0, 0x14, 4), 0x1201);
}

/* ---- 3. capabilities ------------------------------------------------------- */

static void capabilities(void)
{
	unsigned n, msi, msix, pcie;
	uint32_t v;

	/* "c": no capabilities: Status bit 4 clear */
	CK_EQ(rd(5, 0, 0x06, 2) & 0x0010, 0);
	CK_EQ(find_cap(5, 0x05, &n), 0);
	CK_EQ(n, 0);

	/* "a": MSI only (4 vectors) */
	CK_EQ(rd(2, 0, 0x06, 2) & 0x0010, 0x0010);
	msi = find_cap(2, 0x05, &n);
	CK(msi != 0);
	CK_EQ(n, 1);
	CK_EQ(find_cap(2, 0x11, NULL), 0);
	CK_EQ(find_cap(2, 0x10, NULL), 0);
	if (msi) {
		v = rd(2, 0, msi + 2, 2);
		CK_EQ(v & 0x0080, 0x0080);		/* 64-bit address capable */
		CK_EQ((v >> 1) & 7, 2);			/* Multiple Message Capable: 4 */
		CK_EQ((v >> 4) & 7, 0);			/* Multiple Message Enable: 1 */
		CK_EQ(v & 1, 0);			/* disabled */
		/* Message Address: bits 1:0 reserved; upper address; data */
		wr(2, 0, msi + 4, 4, 0xffffffff);
		CK_EQ(rd(2, 0, msi + 4, 4), 0xfffffffc);
		wr(2, 0, msi + 8, 4, 0x00000400);
		CK_EQ(rd(2, 0, msi + 8, 4), 0x00000400);
		wr(2, 0, msi + 12, 2, 0x1234);
		CK_EQ(rd(2, 0, msi + 12, 2), 0x1234);
		/* Enable + MME writable, MMC and 64-bit read-only */
		wr(2, 0, msi + 2, 2, 0x0021);	/* MME = 2 (4 vectors), enable */
		v = rd(2, 0, msi + 2, 2);
		CK_EQ(v & 0x0071, 0x0021);
		CK_EQ((v >> 1) & 7, 2);
		CK_EQ(v & 0x0080, 0x0080);
		wr(2, 0, msi + 2, 2, 0x0000);
		v = rd(2, 0, msi + 2, 2);
		CK_EQ(v & 0x0071, 0);
		CK_EQ((v >> 1) & 7, 2);
		CK_EQ(v & 0x0080, 0x0080);
	}
	/* "d": 32 vectors -> MMC = 5; "b": 1 vector -> MMC = 0 */
	msi = find_cap(7, 0x05, NULL);
	CK(msi != 0);
	if (msi)
		CK_EQ((rd(7, 0, msi + 2, 2) >> 1) & 7, 5);
	msi = find_cap(3, 0x05, NULL);
	CK(msi != 0);
	if (msi)
		CK_EQ((rd(3, 0, msi + 2, 2) >> 1) & 7, 0);

	/* "b": PCIe + MSI + MSI-X, each exactly once */
	pcie = find_cap(3, 0x10, &n);
	CK_EQ(n, 3);
	msix = find_cap(3, 0x11, NULL);
	CK(pcie != 0);
	CK(msix != 0);
	CK_EQ(find_cap(3, 0x07, NULL), 0);	/* no PCI-X */
	if (pcie) {
		v = rd(3, 0, pcie + 2, 2);
		CK((v & 0xf) == 1 || (v & 0xf) == 2);	/* capability version */
		CK_EQ((v >> 4) & 0xf, 0);		/* PCI Express Endpoint */
	}
	if (msix) {
		v = rd(3, 0, msix + 2, 2);
		CK_EQ(v & 0x07ff, 15);			/* Table Size = N - 1 */
		CK_EQ(v & 0xc000, 0);			/* disabled, not masked */
		/* table at offset 0 of bar4, PBA at half the BAR (docs/cli.md) */
		CK_EQ(rd(3, 0, msix + 4, 4), 0x00000004);
		CK_EQ(rd(3, 0, msix + 8, 4), 0x00001004);
		/* Enable and Function Mask writable, Table Size read-only */
		wr(3, 0, msix + 2, 2, 0xffff);
		CK_EQ(rd(3, 0, msix + 2, 2), 0xc000 | 15);
		wr(3, 0, msix + 2, 2, 0);
		CK_EQ(rd(3, 0, msix + 2, 2), 15);
		wr(3, 0, msix + 4, 4, 0x12345673);
		CK_EQ(rd(3, 0, msix + 4, 4), 0x00000004);
		wr(3, 0, msix + 8, 4, 0);
		CK_EQ(rd(3, 0, msix + 8, 4), 0x00001004);
	}
	/* "g": the MSI-X table went to the first free BAR, a 32-bit memory BAR */
	msix = find_cap(9, 0x11, &n);
	CK_EQ(n, 1);
	CK(msix != 0);
	if (msix) {
		uint32_t size;
		CK_EQ(rd(9, 0, msix + 2, 2) & 0x7ff, 2);
		v = rd(9, 0, msix + 4, 4);
		CK_EQ(v & 7, 2);			/* BIR 2 */
		CK_EQ(v & ~7u, 0);			/* table at 0 */
		CK_EQ(rd(9, 0, 0x18, 4), 0);		/* mem32, not prefetchable */
		size = ~(sizing(9, 0x18, 0xffffffff) & ~0xfu) + 1;
		CK(size >= 3 * 16 && !(size & (size - 1)));
		CK_EQ(rd(9, 0, msix + 8, 4), (size / 2) | 2);	/* PBA at half the BAR */
		CK_EQ(sizing(9, 0x10, 0xffffffff), 0xfffff004);	/* bar0/1 as given */
		CK_EQ(sizing(9, 0x14, 0xffffffff), 0xffffffff);
		CK_EQ(sizing(9, 0x1c, 0xffffffff), 0);
	}
	/* AER extended capability at 0x100, the last one */
	v = rd(3, 0, 0x100, 4);
	CK_EQ(v & 0xffff, 0x0001);
	CK_EQ(v >> 20, 0);
	/* conventional function: no extended space */
	{
		uint32_t x;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0x100), 4, &x), -1);
	}
}

static void small_caps(void)
{
	uint32_t pos, id, seen[3] = { 0, 0, 0 };

	/* slot 2: MSI (1 vector) and MSI-X (4): capability list bit set */
	CK(rd(2, 0, 0x06, 2) & 0x10);
	/* slot 4: no capabilities */
	CK_EQ(rd(4, 0, 0x06, 2) & 0x10, 0);
	CK_EQ(rd(4, 0, 0x34, 1), 0);
	/* slot 3: pcie + msi 8 + msix 16 in bar1 (auto) */
	for (pos = rd(3, 0, 0x34, 1); pos; pos = rd(3, 0, pos + 1, 1)) {
		CK(pos >= 0x40 && pos < 0x100 && !(pos & 3));
		id = rd(3, 0, pos, 1);
		if (id == 0x10) {
			seen[0]++;
			CK_EQ(rd(3, 0, pos + 2, 2) & 0xf0, 0); /* endpoint */
		} else if (id == 0x05) {
			uint32_t ctl = rd(3, 0, pos + 2, 2);
			seen[1]++;
			CK_EQ((ctl >> 1) & 7, 3);	/* 8 vectors capable */
			CK(ctl & 0x80);		/* 64-bit */
			CK_EQ(ctl & 1, 0);		/* disabled at reset */
			/* enable with MME 5 (32): clamped to MMC 3 while enabled */
			wr(3, 0, pos + 2, 2, 0x51);
			CK_EQ((rd(3, 0, pos + 2, 2) >> 4) & 7, 3);
			wr(3, 0, pos + 2, 2, 0);
			wr(3, 0, pos + 4, 4, 0xffffffff);
			CK_EQ(rd(3, 0, pos + 4, 4), 0xfffffffc); /* dword aligned */
		} else if (id == 0x11) {
			uint32_t ctl = rd(3, 0, pos + 2, 2), tbl = rd(3, 0, pos + 4, 4),
				 pba = rd(3, 0, pos + 8, 4);
			seen[2]++;
			CK_EQ(ctl & 0x7ff, 15);	/* 16 entries */
			CK_EQ(tbl & 7, pba & 7);	/* same BAR */
			CK_EQ(tbl & ~7u, 0);
			CK(pba >= 16 * 16);		/* PBA after the table */
			wr(3, 0, pos + 2, 2, 0xffff);
			CK_EQ(rd(3, 0, pos + 2, 2), 0xc000 | 15);
			wr(3, 0, pos + 2, 2, 0);
		}
	}
	CK_EQ(seen[0], 1);
	CK_EQ(seen[1], 1);
	CK_EQ(seen[2], 1);
	/* the auto-placed MSI-X BAR is bar1 (bar0 used, bar2/3 a 64-bit pair) and sizes */
	CK(sizing(3, 0x14, 0xffffffff) != 0);
	/* PCIe: AER extended capability at 0x100, end of the ext list */
	{
		uint32_t v;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x100), 4, &v), 0);
		CK_EQ(v, 0x00020001);
		/* uncorrectable status is RW1C: writing ones to a 0 register keeps 0 */
		CK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x104), 4, 0xffffffff), 0);
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x104), 4, &v), 0);
		CK_EQ(v, 0);
	}
}

/* ---- 4. the Linux probe sequence ---------------------------------------------- */

/* pseries_eeh_init_edev() step by step: the capability walk (twice, PCI-X
 * then PCIe, up to 48 hops), the extended walk from 0x100 for AER, then
 * eeh_save_bars()'s 16 dword reads */
static void linux_probe(void)
{
	static const unsigned slots[] = { 2, 3, 5 };

	for (unsigned s = 0; s < 3; s++) {
		unsigned slot = slots[s], pos, hops, pcix = 0, exp = 0, aer = 0;
		uint32_t status, capptr = 0, hdr[16], again[16];

		/* step 1: Status (2 bytes @0x06), stop without a capability list */
		status = rd(slot, 0, 0x06, 2);
		if (status & 0x0010) {
			/* twice, once for PCI-X (0x07) then for PCIe (0x10) */
			for (unsigned pass = 0; pass < 2; pass++) {
				unsigned want = pass ? 0x10 : 0x07;
				pos = capptr = rd(slot, 0, 0x34, 1);
				for (hops = 0; pos >= 0x40 && hops < 48; hops++) {
					pos &= ~3u;
					unsigned id = rd(slot, 0, pos, 1);
					if (id == 0xff)
						break;
					if (id == want) {
						if (pass)
							exp = pos;
						else
							pcix = pos;
						break;
					}
					pos = rd(slot, 0, pos + 1, 1);
				}
				CK(hops < 48);
			}
		}
		if (exp) {
			/* extended chain from 0x100, looking for AER */
			uint32_t eh = 0;
			uint32_t cfg = t_cfgaddr(0, slot, 0, 0x100);
			CK_EQ(t_cfg_read(m, &h, T_BUID0, cfg, 4, &eh), 0);
			n_checks++;
			pos = 0x100;
			for (hops = 0; eh && eh != 0xffffffffu && hops < (4096 - 256) / 8; hops++) {
				if ((eh & 0xffff) == 0x0001) {
					aer = pos;
					break;
				}
				pos = eh >> 20;
				if (pos < 0x100)
					break;
				CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, slot, 0, pos), 4, &eh), 0);
			}
		}
		CK_EQ(pcix, 0);
		CK_EQ(!!exp, slot == 3);
		CK_EQ(aer, slot == 3 ? 0x100u : 0u);

		/* step 4: 16 dword reads 0x00..0x3c, a consistent device */
		for (unsigned i = 0; i < 16; i++)
			hdr[i] = rd(slot, 0, 4 * i, 4);
		for (unsigned i = 0; i < 16; i++)
			again[i] = rd(slot, 0, 4 * i, 4);
		CK(!memcmp(hdr, again, sizeof(hdr)));	/* reads have no side effects */
		CK(hdr[0] != 0xffffffffu && (hdr[0] & 0xffff) != 0xffff);
		CK_EQ(hdr[0] & 0xffff, rd(slot, 0, 0x00, 2));
		CK_EQ(hdr[1] >> 16, status);
		CK_EQ(hdr[13] & 0xff, status & 0x0010 ? capptr : hdr[13] & 0xff);
		CK_EQ((hdr[3] >> 16) & 0x7f, 0);	/* header type 0 */
		CK_EQ((hdr[15] >> 8) & 0xff, 1);	/* INTA */
		CK_EQ(hdr[2] >> 8, rd(slot, 0, 0x09, 1) | rd(slot, 0, 0x0a, 2) << 8);
	}
	/* the same device, seen with the IDs it was given */
	CK_EQ(rd(3, 0, 0, 4), 0x10d38086);
}

/* The same two steps on the smaller machine's PCIe function: the byte-wise
 * walk must agree with dword reads, the 16 dword reads with word reads. */
static void small_linux_probe(void)
{
	uint32_t status = rd(3, 0, 0x06, 2), pos, hops = 0, pcie = 0;
	uint32_t dw[16];

	CK(status & 0x10);
	for (pos = rd(3, 0, 0x34, 1); pos && hops < 48; hops++) {
		uint32_t idb = rd(3, 0, pos, 1), next = rd(3, 0, pos + 1, 1);
		CK_EQ(rd(3, 0, pos, 4) & 0xffff, idb | next << 8);
		if (idb == 0x10)
			pcie = pos;
		pos = next;
	}
	CK(hops < 48);
	CK(pcie != 0);
	{
		uint32_t v;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x100), 4, &v), 0);
		CK_EQ(v & 0xffff, 0x0001); /* AER found by the ext walk */
	}
	for (unsigned i = 0; i < 16; i++)
		dw[i] = rd(3, 0, 4 * i, 4);
	CK_EQ(dw[0], rd(3, 0, 0, 2) | rd(3, 0, 2, 2) << 16);
	CK_EQ(dw[0] & 0xffff, 0x1014);		/* default vendor */
	CK_EQ(dw[2] >> 8, 0xff0000);			/* default class */
	CK_EQ((dw[13] & 0xff), rd(3, 0, 0x34, 1));
}

/* ---- 5. machine reset, multifunction ------------------------------------------- */

/* sphb_machine_reset: every register back to its power-on value. */
static void reset(void)
{
	static const unsigned slots[] = { 2, 3, 5, 6 };
	uint32_t *snap[4];
	unsigned sizes[4] = { 256, 4096, 256, 256 };

	CK_EQ(sphb_machine_reset(m), 0);	/* a first reset: power-on state */
	for (unsigned s = 0; s < 4; s++) {
		snap[s] = calloc(sizes[s] / 4, sizeof(uint32_t));
		if (!snap[s])
			exit(1);
		for (unsigned r = 0; r < sizes[s]; r += 4)
			snap[s][r / 4] = rd(slots[s], 0, r, 4);
	}
	/* dirty everything writable */
	for (unsigned s = 0; s < 4; s++) {
		unsigned sl = slots[s];
		wr(sl, 0, 0x04, 2, 0x0507);
		for (unsigned r = 0x10; r <= 0x24; r += 4)
			wr(sl, 0, r, 4, 0xffffffff);
		wr(sl, 0, 0x30, 4, 0xffffffff);
		wr(sl, 0, 0x3c, 1, 0x99);
		for (unsigned r = 0x40; r < 0x100; r += 4)
			wr(sl, 0, r, 4, 0xffffffff);
	}
	for (unsigned r = 0x100; r < 0x1000; r += 4)
		wr(3, 0, r, 4, 0xffffffff);
	CK_EQ(rd(2, 0, 0x04, 2), 0x0507);
	CK_EQ(rd(2, 0, 0x3c, 1), 0x99);
	CK(rd(3, 0, 0x108, 4) != 0);
	CK_EQ(sphb_machine_reset(m), 0);
	for (unsigned s = 0; s < 4; s++) {
		for (unsigned r = 0; r < sizes[s]; r += 4)
			if (rd(slots[s], 0, r, 4) != snap[s][r / 4])
				CK_EQ(rd(slots[s], 0, r, 4), snap[s][r / 4]);
		n_checks++;
		free(snap[s]);
	}
	/* power-on values, spelled out */
	CK_EQ(rd(2, 0, 0x04, 4), 0x00100000);
	CK_EQ(rd(2, 0, 0x14, 4), 0);
	CK_EQ(rd(2, 0, 0x30, 4), 0);
	CK_EQ(rd(2, 0, 0x3c, 4), 0x00000100);
	CK_EQ(rd(3, 0, 0x108, 4), 0);
	CK_EQ(rd(3, 0, 0x114, 4), 0x0000e000);
	CK_EQ(rd(3, 0, 0x10c, 4), 0x00462030);
	CK_EQ(sphb_machine_reset(NULL), -EINVAL);
}

/* A multifunction slot (functions 0 and 3): header type bit 7, an absent
 * function in between, and a machine reset of a function > 0. */
static void multifunction_and_reset(void)
{
	struct t_host h2;
	struct sphb_machine *m2 = t_machine(&h2, "sim-pci,addr=5.0,multifunction=on,id=f0",
					    "sim-pci,addr=5.3,id=f3", NULL);
	uint32_t v;

	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 0, 0x0e), 1, &v), 0);
	CK_EQ(v, 0x80);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x00), 4, &v), 0);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 1, 0x00), 4, &v), -1);
	/* machine reset restores the power-on image */
	CK_EQ(t_cfg_write(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x3c), 1, 0x77), 0);
	CK_EQ(t_cfg_write(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x04), 2, 0x0007), 0);
	CK_EQ(sphb_machine_reset(m2), 0);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x3c), 1, &v), 0);
	CK_EQ(v, 0);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, t_cfgaddr(0, 5, 3, 0x04), 2, &v), 0);
	CK_EQ(v, 0);
	t_free(m2, &h2);
}

/* pcie-ctl=ro: Device Control and Link Control keep their reset values
 * (QEMU 7.2's own PCIe endpoints); the default lets the PCIe-writable bits
 * change; the Device Status error bits stay write-1-to-clear either way. A
 * clone takes the option too. */
static void pcie_ctl(void)
{
	struct t_host hh;
	struct sphb_machine *mm = t_machine(&hh, "sim-pci,addr=2,pcie=on,pcie-ctl=ro",
					    "sim-pci,addr=3,pcie=on,pcie-ctl=rw", "sim-pci,addr=4,pcie=on", NULL);
	uint32_t exp[3] = { 0, 0, 0 }, v;

	for (unsigned k = 0; k < 3; k++) {
		uint32_t cfg = t_cfgaddr(0, 2 + k, 0, 0), pos, id;
		CHECK_EQ(t_cfg_read(mm, &hh, T_BUID0, cfg | 0x34, 1, &pos), 0);
		for (id = 0; pos && id != 0x10; ) {
			CHECK_EQ(t_cfg_read(mm, &hh, T_BUID0, cfg | pos, 1, &id), 0);
			if (id != 0x10)
				CHECK_EQ(t_cfg_read(mm, &hh, T_BUID0, cfg | (pos + 1), 1, &pos), 0);
		}
		CHECK(pos != 0);
		exp[k] = pos;
		for (unsigned reg = 8; reg <= 0x10; reg += 8) {
			uint32_t before;
			CHECK_EQ(t_cfg_read(mm, &hh, T_BUID0, cfg | (pos + reg), 2, &before), 0);
			CHECK_EQ(t_cfg_write(mm, &hh, T_BUID0, cfg | (pos + reg), 2, 0xffff), 0);
			CHECK_EQ(t_cfg_read(mm, &hh, T_BUID0, cfg | (pos + reg), 2, &v), 0);
			if (k == 0)
				CHECK_EQ(v, before);
			else
				CHECK_EQ(v, reg == 8 ? 0x7fffu : 0x01c3u);
		}
	}
	CHECK_EQ(exp[0], exp[1]);
	CHECK_EQ(sphb_machine_add(mm, "sim-pci,addr=5,pcie=on,pcie-ctl=on"), -EINVAL);
	CHECK(strstr(hh.last_log, "pcie-ctl=on: expected rw or ro") != NULL);
	t_free(mm, &hh);
}

int main(void)
{
	pcie_ctl();
	m = t_machine(&h, DEV_A, DEV_B, DEV_C, DEV_MF0, DEV_MF1, DEV_D, DEV_G, NULL);
	ids();
	read_only();
	command_status();
	bars();
	capabilities();
	interrupt_line();
	sub_dword();
	linux_probe();
	reset();
	linux_probe();	/* and again after a reset */
	t_free(m, &h);

	m = t_machine(&h, SMALL_2, SMALL_3, SMALL_4, NULL);
	small_header();
	small_bars();
	small_caps();
	small_linux_probe();
	t_free(m, &h);

	multifunction_and_reset();
	fprintf(stderr, "test_pci_config_space: %u checks\n", n_checks);
	return t_result();
}
