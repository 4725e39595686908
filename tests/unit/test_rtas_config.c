/* The four configuration-space RTAS calls (ibm,read-pci-config,
 * ibm,write-pci-config and the legacy read-pci-config/write-pci-config,
 * PAPR §7.3.4), every validation branch in QEMU 7.2's order and with its
 * codes (hw/ppc/spapr_pci.c: rtas_ibm_read_pci_config(),
 * rtas_ibm_write_pci_config(), rtas_read_pci_config(),
 * rtas_write_pci_config(), finish_read_pci_config(),
 * finish_write_pci_config()); every failure is -1, never -3.
 *
 * Sections, in the order QEMU checks:
 *   1. exact nargs / nret;
 *   2. size 1, 2 or 4;
 *   3. BUID (PHB), device (bus, slot, function), offset (aligned, inside the
 *      function's 256 or 4096 bytes; the config address of PAPR R1-7.3.4-1);
 *   4. a write that fails changes nothing;
 *   5. extended configuration space (bits 28-31 = register bits 8-11) and a
 *      PHB with pcie-extended-configuration-space=off, where the bus clamps
 *      (hw/pci/pci_host.c, pci_host_config_read_common() and
 *      pci_adjust_config_limit(): all-ones, status 0);
 *   6. bits 24-27 of the config address are ignored;
 *   7. the legacy calls address BUID 0, which no 7.2 PHB has: always -1.
 * Most checks run on the three-PHB machine below; some on a one-function
 * machine (one_fn_machine()), through the raw argument buffer.
 * SPDX-License-Identifier: MIT */
#include "harness.h"

static unsigned n_checks;
#define CK(c) do { n_checks++; CHECK(c); } while (0)
#define CK_EQ(a, b) do { n_checks++; CHECK_EQ(a, b); } while (0)

#define TOK_READ_LEGACY 0x2014u
#define TOK_WRITE_LEGACY 0x2015u
#define TOK_READ 0x2016u
#define TOK_WRITE 0x2017u
#define BUID1 (T_BUID0 + 1)
#define BUID2 (T_BUID0 + 2)

/*
 * PHB 0 (pci.0):   02.0 conventional 8086:100e
 *                  03.0 + 03.1 multifunction, 1af4:1000 / 1af4:1001
 *                  04.0 PCIe 8086:10d3 (AER at 0x100)
 * PHB 1 (phb1.0):  02.0 conventional 1af4:1041
 * PHB 2 (noext.0, pcie-extended-configuration-space=off):
 *                  01.0 PCIe 15b3:1019, 02.0 conventional 10ec:8139
 */
static struct sphb_machine *machine(struct t_host *h)
{
	return t_machine(h,
		"sim-pci,bus=pci.0,addr=2,id=d2,vendor=0x8086,device=0x100e",
		"sim-pci,bus=pci.0,addr=3.0,id=f0,vendor=0x1af4,device=0x1000,multifunction=on",
		"sim-pci,bus=pci.0,addr=3.1,id=f1,vendor=0x1af4,device=0x1001",
		"sim-pci,bus=pci.0,addr=4,id=e4,vendor=0x8086,device=0x10d3,pcie=on",
		"spapr-pci-host-bridge,index=1,id=phb1",
		"sim-pci,bus=phb1.0,addr=2,id=p1d2,vendor=0x1af4,device=0x1041",
		"spapr-pci-host-bridge,index=2,id=noext,pcie-extended-configuration-space=off",
		"sim-pci,bus=noext.0,addr=1,id=x1,vendor=0x15b3,device=0x1019,pcie=on",
		"sim-pci,bus=noext.0,addr=2,id=x2,vendor=0x10ec,device=0x8139",
		NULL);
}

#define CFG(bus, slot, fn, reg) t_cfgaddr(bus, slot, fn, reg)

/* PHB 0 with one function, 00:02.0 1af4:1005 (DEV1) */
#define HI 0x8000000u	/* BUID 0x0800000020000000, high word */
#define LO 0x20000000u	/* ... low word */
#define DEV1 0x00001000u	/* t_cfgaddr(0, 2, 0, 0) */
static struct sphb_machine *one_fn_machine(struct t_host *h)
{
	return t_machine(h, "sim-pci,bus=pci.0,addr=2,vendor=0x1af4,device=0x1005", NULL);
}

/* ibm,read-pci-config with explicit counts and BUID words; returns ret[0],
 * r[] receives the nret outputs */
static int32_t rd_raw(struct sphb_machine *m, struct t_host *h, uint32_t nargs, uint32_t nret,
		      uint32_t cfg, uint32_t hi, uint32_t lo, uint32_t size, uint32_t *r)
{
	uint32_t a[6] = { cfg, hi, lo, size, 0, 0 };
	t_rtas_n(m, h, TOK_READ, nargs, nret, a, r);
	return (int32_t)r[0];
}

/* ibm,read-pci-config with explicit BUID words */
static int32_t rd_hl(struct sphb_machine *m, struct t_host *h, uint32_t hi, uint32_t lo,
		     uint32_t cfg, uint32_t size, uint32_t *val)
{
	uint32_t a[4] = { cfg, hi, lo, size }, r[2];
	CK_EQ(t_rtas_n(m, h, TOK_READ, 4, 2, a, r), 0);
	*val = r[1];
	return (int32_t)r[0];
}

static int32_t rd(struct sphb_machine *m, struct t_host *h, uint64_t buid,
		  uint32_t cfg, uint32_t size, uint32_t *val)
{
	return rd_hl(m, h, (uint32_t)(buid >> 32), (uint32_t)buid, cfg, size, val);
}

static int32_t wr(struct sphb_machine *m, struct t_host *h, uint64_t buid,
		  uint32_t cfg, uint32_t size, uint32_t val)
{
	uint32_t a[5] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid, size, val }, r[1];
	CK_EQ(t_rtas_n(m, h, TOK_WRITE, 5, 1, a, r), 0);
	return (int32_t)r[0];
}

/* A read that must fail: -1, ret[1] not written. */
static void rd_fails(struct sphb_machine *m, struct t_host *h, uint64_t buid,
		     uint32_t cfg, uint32_t size)
{
	uint32_t v;
	CK_EQ(rd(m, h, buid, cfg, size, &v), -1);
	CK_EQ(v, T_SENTINEL);
}

/* A read that must succeed with `want`. */
static void rd_is(struct sphb_machine *m, struct t_host *h, uint64_t buid,
		  uint32_t cfg, uint32_t size, uint32_t want)
{
	uint32_t v = 0;
	CK_EQ(rd(m, h, buid, cfg, size, &v), 0);
	CK_EQ(v, want);
}

/* ---- 1. exact nargs / nret ---------------------------------------------- */
static void counts(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	const uint32_t a[8] = { CFG(0, 2, 0, 0), 0x08000000, 0x20000000, 4, 0, 0, 0, 0 };
	uint32_t r[4];
	uint8_t before[64];

	/* ibm,read-pci-config: 4/2 only */
	static const uint32_t rd_counts[][2] = { { 3, 2 }, { 5, 2 }, { 0, 2 }, { 4, 1 }, { 4, 3 }, { 2, 2 } };
	for (unsigned i = 0; i < 6; i++) {
		uint32_t na = rd_counts[i][0], nr = rd_counts[i][1];
		CK_EQ(t_rtas_n(m, &h, TOK_READ, na, nr, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		for (uint32_t k = 1; k < nr; k++)
			CK_EQ(r[k], T_SENTINEL);
	}
	/* ibm,write-pci-config: 5/1 only (value 0x55 to Interrupt Line) */
	{
		const uint32_t w[6] = { CFG(0, 2, 0, 0x3c), 0x08000000, 0x20000000, 1, 0x55, 0 };
		static const uint32_t wr_counts[][2] = { { 4, 1 }, { 6, 1 }, { 5, 2 }, { 3, 1 } };
		for (unsigned i = 0; i < 4; i++) {
			uint32_t na = wr_counts[i][0], nr = wr_counts[i][1];
			CK_EQ(t_rtas_n(m, &h, TOK_WRITE, na, nr, w, r), 0);
			CK_EQ((int32_t)r[0], -1);
			for (uint32_t k = 1; k < nr; k++)
				CK_EQ(r[k], T_SENTINEL);
		}
		rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0);	/* nothing was written */
	}
	/* nret = 0: nothing stored at all (sphb never writes past the buffer) */
	t_st32(&h, T_BUF, TOK_READ);
	t_st32(&h, T_BUF + 4, 4);
	t_st32(&h, T_BUF + 8, 0);
	for (unsigned i = 0; i < 4; i++)
		t_st32(&h, T_BUF + 12 + 4 * i, a[i]);
	memset(h.ram + T_BUF + 28, 0x77, 16);
	memcpy(before, h.ram + T_BUF, sizeof(before));
	CK_EQ(sphb_rtas_call(m, T_BUF, NULL), 0);
	CK(!memcmp(before, h.ram + T_BUF, sizeof(before)));
	/* nret = 0, wrong nargs as well */
	t_st32(&h, T_BUF + 4, 3);
	memcpy(before, h.ram + T_BUF, sizeof(before));
	CK_EQ(sphb_rtas_call(m, T_BUF, NULL), 0);
	CK(!memcmp(before, h.ram + T_BUF, sizeof(before)));
	/* ibm,write-pci-config with nret 0: nothing stored, nothing written */
	t_st32(&h, T_BUF, TOK_WRITE);
	t_st32(&h, T_BUF + 4, 5);
	t_st32(&h, T_BUF + 8, 0);
	t_st32(&h, T_BUF + 12, CFG(0, 2, 0, 0x3c));
	t_st32(&h, T_BUF + 16, 0x08000000);
	t_st32(&h, T_BUF + 20, 0x20000000);
	t_st32(&h, T_BUF + 24, 1);
	t_st32(&h, T_BUF + 28, 0x66);
	memset(h.ram + T_BUF + 32, 0x77, 16);
	memcpy(before, h.ram + T_BUF, sizeof(before));
	CK_EQ(sphb_rtas_call(m, T_BUF, NULL), 0);
	CK(!memcmp(before, h.ram + T_BUF, sizeof(before)));
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0);
	t_free(m, &h);

	/* one-function machine: read 4/2 only, nothing written but ret[0] */
	m = one_fn_machine(&h);
	CK_EQ(rd_raw(m, &h, 3, 2, DEV1, HI, LO, 4, r), -1);
	CK_EQ(r[1], T_SENTINEL);
	CK_EQ(rd_raw(m, &h, 5, 2, DEV1, HI, LO, 4, r), -1);
	CK_EQ(rd_raw(m, &h, 4, 1, DEV1, HI, LO, 4, r), -1);
	CK_EQ(rd_raw(m, &h, 4, 3, DEV1, HI, LO, 4, r), -1);
	CK_EQ(r[1], T_SENTINEL);
	CK_EQ(r[2], T_SENTINEL);
	t_free(m, &h);
}

/* ---- 2. size ------------------------------------------------------------ */
static void sizes(void)
{
	static const uint32_t bad[] = { 0, 3, 5, 6, 7, 8, 16, 0x101, 0x80000004u, 0xffffffffu };
	struct t_host h;
	struct sphb_machine *m = machine(&h);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0), bad[i]);
		CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), bad[i], 0x12), -1);
	}
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 4, 0x00000100);	/* pin 1, line 0 */
	/* the good sizes */
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0), 4, 0x100e8086);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0), 2, 0x8086);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 2), 2, 0x100e);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0), 1, 0x86);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 1), 1, 0x80);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 2), 1, 0x0e);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 3), 1, 0x10);
	/* a write's value is cut to its size */
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0xabcdef5a), 0);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 4, 0x0000015a);
	t_free(m, &h);

	/* one-function machine: sizes 0..8, only 1, 2 and 4 work */
	{
		uint32_t r[2];

		m = one_fn_machine(&h);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, HI, LO, 4, r), 0);
		CK_EQ(r[1], 0x10051af4);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 2, HI, LO, 2, r), 0);
		CK_EQ(r[1], 0x1005);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 1, HI, LO, 1, r), 0);
		CK_EQ(r[1], 0x1a);
		for (uint32_t sz = 0; sz < 9; sz++) {
			int32_t st = rd_raw(m, &h, 4, 2, DEV1, HI, LO, sz, r);
			CK_EQ(st, (sz == 1 || sz == 2 || sz == 4) ? 0 : -1);
		}
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, HI, LO, 0xffffffffu, r), -1);
		t_free(m, &h);
	}
}

/* ---- 3. BUID, device, offset --------------------------------------------- */
static void buids(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t v;

	/* unknown PHBs */
	rd_fails(m, &h, T_BUID0 + 3, CFG(0, 2, 0, 0), 4);
	rd_fails(m, &h, T_BUID0 + 30, CFG(0, 2, 0, 0), 4);
	rd_fails(m, &h, T_BUID0 + 31, CFG(0, 2, 0, 0), 4);
	rd_fails(m, &h, T_BUID0 - 1, CFG(0, 2, 0, 0), 4);
	rd_fails(m, &h, 0, CFG(0, 2, 0, 0), 4);
	rd_fails(m, &h, 0x20000000u, CFG(0, 2, 0, 0), 4);	/* low word alone */
	CK_EQ(rd_hl(m, &h, 0x08000001u, 0x20000000u, CFG(0, 2, 0, 0), 4, &v), -1);	/* hi wrong */
	CK_EQ(v, T_SENTINEL);
	CK_EQ(rd_hl(m, &h, 0, 0x20000000u, CFG(0, 2, 0, 0), 4, &v), -1);
	CK_EQ(rd_hl(m, &h, 0x20000000u, 0x08000000u, CFG(0, 2, 0, 0), 4, &v), -1);	/* swapped */
	CK_EQ(rd_hl(m, &h, 0xffffffffu, 0x20000000u, CFG(0, 2, 0, 0), 4, &v), -1);
	CK_EQ(wr(m, &h, T_BUID0 + 3, CFG(0, 2, 0, 0x3c), 1, 0x11), -1);
	CK_EQ(wr(m, &h, 0, CFG(0, 2, 0, 0x3c), 1, 0x11), -1);

	/* each PHB reaches its own devices: BUID = base + index */
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0), 4, 0x100e8086);
	rd_is(m, &h, BUID1, CFG(0, 2, 0, 0), 4, 0x10411af4);
	rd_is(m, &h, BUID2, CFG(0, 2, 0, 0), 4, 0x813910ec);
	CK_EQ(rd_hl(m, &h, 0x08000000u, 0x20000001u, CFG(0, 2, 0, 0), 4, &v), 0);
	CK_EQ(v, 0x10411af4);
	rd_fails(m, &h, BUID1, CFG(0, 4, 0, 0), 4);	/* 04.0 lives on PHB 0 only */
	rd_fails(m, &h, BUID1, CFG(0, 3, 0, 0), 4);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0), 4, 0x101915b3);
	rd_fails(m, &h, T_BUID0, CFG(0, 1, 0, 0), 4);
	/* a write through PHB 1 changes PHB 1's device only */
	CK_EQ(wr(m, &h, BUID1, CFG(0, 2, 0, 0x3c), 1, 0x21), 0);
	rd_is(m, &h, BUID1, CFG(0, 2, 0, 0x3c), 1, 0x21);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0x00);
	/* sphb_phb_buid agrees */
	{
		uint64_t b = 0;
		CK_EQ(sphb_phb_buid(m, "phb1", &b), 0);
		CK_EQ(b, BUID1);
		CK_EQ(sphb_phb_buid(m, "noext.0", &b), 0);
		CK_EQ(b, BUID2);
	}
	t_free(m, &h);

	/* one-function machine (no PHB 1) */
	{
		uint32_t r[2];

		m = one_fn_machine(&h);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, HI, LO + 1, 4, r), -1);	/* BUID + 1: no PHB 1 */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, HI + 1, LO, 4, r), -1);	/* hi word wrong */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, 0, 0, 4, r), -1);		/* BUID 0 */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1, HI, LO - 1, 4, r), -1);	/* below the base */
		t_free(m, &h);
	}
}

static void devices(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);

	/* absent slots */
	rd_fails(m, &h, T_BUID0, CFG(0, 0, 0, 0), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 5, 0, 0), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 31, 0, 0), 4);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 5, 0, 0x3c), 1, 1), -1);
	/* absent function of a present slot */
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 1, 0), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 7, 0), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 3, 2, 0), 4);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 1, 0x3c), 1, 1), -1);
	/* present functions */
	rd_is(m, &h, T_BUID0, CFG(0, 3, 0, 0), 4, 0x10001af4);
	rd_is(m, &h, T_BUID0, CFG(0, 3, 1, 0), 4, 0x10011af4);
	/* absent buses: only the root bus 0 exists */
	rd_fails(m, &h, T_BUID0, CFG(1, 2, 0, 0), 4);
	rd_fails(m, &h, T_BUID0, CFG(0xff, 2, 0, 0), 4);
	rd_fails(m, &h, BUID1, CFG(2, 2, 0, 0), 4);
	CK_EQ(wr(m, &h, T_BUID0, CFG(1, 2, 0, 0x3c), 1, 1), -1);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0);
	t_free(m, &h);

	/* one-function machine */
	{
		uint32_t r[2];

		m = one_fn_machine(&h);
		CK_EQ(rd_raw(m, &h, 4, 2, t_cfgaddr(0, 4, 0, 0), HI, LO, 4, r), -1);	/* empty slot */
		CK_EQ(rd_raw(m, &h, 4, 2, t_cfgaddr(0, 2, 1, 0), HI, LO, 4, r), -1);	/* absent function */
		CK_EQ(rd_raw(m, &h, 4, 2, t_cfgaddr(1, 2, 0, 0), HI, LO, 4, r), -1);	/* absent bus */
		t_free(m, &h);
	}
}

static void offsets(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t v;

	/* unaligned: offset % size != 0 */
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 1), 2);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 3), 2);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 2), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 1), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0x3d), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0xff), 2);	/* spanning the end */
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0xfd), 4);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0xff), 1, 0);	/* last byte: fine */
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0xfe), 2, 0);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0xfc), 4, 0);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x3d), 2, 0xffff), -1);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x3e), 4, 0xffffffff), -1);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x3b), 2, 0xffff), -1);
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 4, 0x00000100);

	/* offsets >= 256 on conventional devices: -1 */
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0x100), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0x100), 1);
	rd_fails(m, &h, T_BUID0, CFG(0, 2, 0, 0xffc), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 3, 1, 0x200), 2);
	rd_fails(m, &h, BUID1, CFG(0, 2, 0, 0x100), 4);
	rd_fails(m, &h, BUID2, CFG(0, 2, 0, 0x100), 4);	/* conventional on the no-ext PHB */
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 2, 0, 0x13c), 1, 0x42), -1);
	/* ... and such a write does not alias onto register 0x3c */
	rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0);

	/* PCIe device: bits 28-31 are register bits 8-11 (AER at 0x100) */
	CK_EQ(rd(m, &h, T_BUID0, CFG(0, 4, 0, 0x100), 4, &v), 0);
	CK_EQ(v & 0xffff, 0x0001);		/* AER capability ID */
	CK(((v >> 16) & 0xf) == 1 || ((v >> 16) & 0xf) == 2);	/* version */
	CK_EQ(v >> 20, 0);			/* last extended capability */
	CK_EQ(t_cfgaddr(0, 4, 0, 0x100), 0x10002000u);
	rd_is(m, &h, T_BUID0, 0x10002000u, 2, 0x0001);
	rd_is(m, &h, T_BUID0, 0x10002000u, 1, 0x01);
	/* AER defaults from the PCIe spec: uncorrectable severity, correctable mask */
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x10c), 4, 0x00462030);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x114), 4, 0x0000e000);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x104), 4, 0);	/* no errors logged */
	/* a RW extended register: Uncorrectable Error Mask, Poisoned TLP (bit 12) */
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x108), 4, 0);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 4, 0, 0x108), 4, 0x00001000), 0);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x108), 4, 0x00001000);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x109), 1, 0x10);
	/* ... and it is not register 0x08 (Revision/Class) */
	CK_EQ(rd(m, &h, T_BUID0, CFG(0, 4, 0, 0x008), 4, &v), 0);
	CK_EQ(v, 0xff000000u);	/* default class 0xff0000, rev 0 (docs/cli.md) */
	/* the top of the 4 KiB space */
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0xffc), 4, 0);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0xffe), 2, 0);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0xfff), 1, 0);
	rd_fails(m, &h, T_BUID0, CFG(0, 4, 0, 0xffe), 4);
	rd_fails(m, &h, T_BUID0, CFG(0, 4, 0, 0xfff), 2);
	rd_fails(m, &h, T_BUID0, CFG(0, 4, 0, 0x101), 2);
	CK_EQ(wr(m, &h, T_BUID0, CFG(0, 4, 0, 0x10a), 4, 0xffffffff), -1);
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x108), 4, 0x00001000);
	t_free(m, &h);

	/* one-function machine */
	{
		uint32_t r[2];

		m = one_fn_machine(&h);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 2, HI, LO, 4, r), -1);		/* unaligned dword */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 1, HI, LO, 2, r), -1);		/* unaligned word */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 0xff, HI, LO, 2, r), -1);	/* 2 bytes @0xff */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 0xff, HI, LO, 1, r), 0);	/* 1 byte @0xff */
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 0xfc, HI, LO, 4, r), 0);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 0x10000000u, HI, LO, 4, r), -1); /* 0x100: conventional */
		CK_EQ(r[1], T_SENTINEL);
		t_free(m, &h);
	}
}

/* ---- 4. a write that fails changes nothing -------------------------------- */
static void failed_writes(void)
{
	struct t_host h;
	struct sphb_machine *m = one_fn_machine(&h);
	uint32_t r[2], a[6] = { 0 };

	/* interrupt line is writable */
	CK_EQ(t_cfg_write(m, &h, T_BUID0, DEV1 | 0x3c, 1, 0x5a), 0);
	CK_EQ(t_cfg_read(m, &h, T_BUID0, DEV1 | 0x3c, 1, r), 0);
	CK_EQ(r[0], 0x5a);
	/* write 5/1 only */
	a[0] = DEV1 | 0x3c; a[1] = HI; a[2] = LO; a[3] = 1; a[4] = 0x11;
	t_rtas_n(m, &h, TOK_WRITE, 4, 1, a, r);
	CK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, TOK_WRITE, 6, 1, a, r);
	CK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, TOK_WRITE, 5, 2, a, r);
	CK_EQ((int32_t)r[0], -1);
	CK_EQ(r[1], T_SENTINEL);
	CK_EQ(t_cfg_read(m, &h, T_BUID0, DEV1 | 0x3c, 1, r), 0);
	CK_EQ(r[0], 0x5a);
	/* size, BUID, slot, alignment, extended register of a conventional function */
	CK_EQ(t_cfg_write(m, &h, T_BUID0, DEV1 | 0x3c, 3, 0x11), -1);
	CK_EQ(t_cfg_write(m, &h, T_BUID0 + 1, DEV1 | 0x3c, 1, 0x11), -1);
	CK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 5, 0, 0x3c), 1, 0x11), -1);
	CK_EQ(t_cfg_write(m, &h, T_BUID0, DEV1 | 0x3e, 4, 0x11), -1);
	CK_EQ(t_cfg_write(m, &h, T_BUID0, DEV1 | 0x1000003c, 4, 0x11), -1);
	CK_EQ(t_cfg_read(m, &h, T_BUID0, DEV1 | 0x3c, 1, r), 0);
	CK_EQ(r[0], 0x5a);
	t_free(m, &h);
}

/* ---- 5. extended space on a PHB that does not allow it -------------------- */
static void no_extended(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);

	/* PCIe device: offsets 0x100-0xfff pass the checks, the bus clamps:
	 * status 0 and 0xffffffff whatever the size */
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x100), 4, 0xffffffffu);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x100), 2, 0xffffffffu);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x100), 1, 0xffffffffu);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x101), 1, 0xffffffffu);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x108), 4, 0xffffffffu);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0xffc), 4, 0xffffffffu);
	/* step 3 still applies first: unaligned and beyond 4 KiB fail */
	rd_fails(m, &h, BUID2, CFG(0, 1, 0, 0x102), 4);
	rd_fails(m, &h, BUID2, CFG(0, 1, 0, 0xfff), 2);
	/* writes are dropped with status 0 */
	CK_EQ(wr(m, &h, BUID2, CFG(0, 1, 0, 0x108), 4, 0x00001000), 0);
	CK_EQ(wr(m, &h, BUID2, CFG(0, 1, 0, 0x100), 1, 0x00), 0);
	CK_EQ(wr(m, &h, BUID2, CFG(0, 1, 0, 0x102), 4, 0), -1);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x108), 4, 0xffffffffu);
	/* the device's conventional space is untouched by them */
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x00), 4, 0x101915b3);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x08), 4, 0xff000000u);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x3c), 4, 0x00000100);
	rd_is(m, &h, BUID2, CFG(0, 1, 0, 0x04), 2, 0);
	/* a conventional device there fails above 0xff */
	rd_fails(m, &h, BUID2, CFG(0, 2, 0, 0x100), 4);
	CK_EQ(wr(m, &h, BUID2, CFG(0, 2, 0, 0x100), 4, 0), -1);
	/* the same PCIe model on PHB 0 (extended space on) sees the register */
	rd_is(m, &h, T_BUID0, CFG(0, 4, 0, 0x108), 4, 0);
	t_free(m, &h);
}

/* The same PCIe function (slot 3) on a PHB with extended space and on one
 * without: bits 28-31 are register bits 8-11 on the first, the second clamps. */
static void extended_twins(void)
{
	struct t_host h2;
	struct sphb_machine *m2 = t_machine(&h2,
		"sim-pci,addr=3,pcie=on",
		"spapr-pci-host-bridge,index=1,id=old,pcie-extended-configuration-space=off",
		"sim-pci,bus=old.0,addr=3,pcie=on", NULL);
	const uint32_t dev = t_cfgaddr(0, 3, 0, 0);
	uint32_t v;

	/* AER extended capability header at 0x100: ID 1, version 2 */
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0x10000000u, 4, &v), 0);
	CK_EQ(v & 0xfffff, 0x20001);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000fcu, 4, &v), 0); /* 0xffc */
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000feu, 2, &v), 0);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000ffu, 2, &v), -1);
	/* a PHB without extended space: status 0, value all-ones whatever the size, writes dropped */
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev | 0x10000000u, 4, &v), 0);
	CK_EQ(v, 0xffffffffu);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev | 0x10000000u, 1, &v), 0);
	CK_EQ(v, 0xffffffffu);
	CK_EQ(t_cfg_write(m2, &h2, T_BUID0 + 1, dev | 0x10000008u, 4, 0x10), 0);
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0x10000008u, 4, &v), 0); /* PHB 0's twin */
	CK_EQ(v, 0);
	/* conventional config space still reachable there */
	CK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev, 4, &v), 0);
	CK(v != 0xffffffffu);
	t_free(m2, &h2);
}

/* ---- 6. bits 24-27 of the config address are ignored ---------------------- */
static void ignored_bits(void)
{
	static const uint32_t junk[] = { 0x01000000, 0x02000000, 0x04000000, 0x08000000, 0x0f000000 };
	struct t_host h;
	struct sphb_machine *m = machine(&h);

	for (unsigned i = 0; i < 5; i++) {
		rd_is(m, &h, T_BUID0, junk[i] | CFG(0, 2, 0, 0), 4, 0x100e8086);
		rd_is(m, &h, T_BUID0, junk[i] | CFG(0, 3, 1, 2), 2, 0x1001);
		rd_is(m, &h, BUID1, junk[i] | CFG(0, 2, 0, 0), 4, 0x10411af4);
		/* combined with extended-register bits */
		rd_is(m, &h, T_BUID0, junk[i] | CFG(0, 4, 0, 0x10c), 4, 0x00462030);
		rd_fails(m, &h, T_BUID0, junk[i] | CFG(0, 2, 0, 0x100), 4);
		rd_fails(m, &h, T_BUID0, junk[i] | CFG(0, 5, 0, 0), 4);
		CK_EQ(wr(m, &h, T_BUID0, junk[i] | CFG(0, 2, 0, 0x3c), 1, 0x30 + i), 0);
		rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0x30 + i);
	}
	t_free(m, &h);

	/* one-function machine */
	{
		uint32_t r[2];

		m = one_fn_machine(&h);
		CK_EQ(rd_raw(m, &h, 4, 2, DEV1 | 0x0f000000u, HI, LO, 4, r), 0);
		CK_EQ(r[1], 0x10051af4);
		t_free(m, &h);
	}
}

/* ---- 7. the legacy calls address BUID 0: always -1 on 7.2 ----------------- */
static void legacy(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t r[3];
	static const uint32_t cfgs[] = { 0x1000, 0x1800, 0x2000, 0x10002000, 0x0000 };
	static const uint32_t sizes[] = { 1, 2, 4, 3 };

	for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		for (unsigned s = 0; s < 4; s++) {
			uint32_t a[3] = { cfgs[i], sizes[s], 0x5a };
			CK_EQ(t_rtas_n(m, &h, TOK_READ_LEGACY, 2, 2, a, r), 0);
			CK_EQ((int32_t)r[0], -1);
			CK_EQ(r[1], T_SENTINEL);
			CK_EQ(t_rtas_n(m, &h, TOK_WRITE_LEGACY, 3, 1, a, r), 0);
			CK_EQ((int32_t)r[0], -1);
		}
	}
	/* with the ibm, argument layout or wrong counts: -1 as well */
	{
		uint32_t a[5] = { 0x1000, 0x08000000, 0x20000000, 4, 0 };
		CK_EQ(t_rtas_n(m, &h, TOK_READ_LEGACY, 4, 2, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
		CK_EQ(t_rtas_n(m, &h, TOK_READ_LEGACY, 2, 1, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(t_rtas_n(m, &h, TOK_READ_LEGACY, 2, 3, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
		CK_EQ(r[2], T_SENTINEL);
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE_LEGACY, 5, 1, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE_LEGACY, 3, 2, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
	}
	/* a legacy write never reaches the device */
	{
		uint32_t a[3] = { CFG(0, 2, 0, 0x3c), 1, 0x5a };
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE_LEGACY, 3, 1, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		rd_is(m, &h, T_BUID0, CFG(0, 2, 0, 0x3c), 1, 0);
	}
	t_free(m, &h);

	/* one-function machine: the counts are checked first, -1 either way */
	{
		uint32_t a[3] = { DEV1, 4, 0 };

		m = one_fn_machine(&h);
		t_rtas_n(m, &h, TOK_READ_LEGACY, 2, 2, a, r);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
		t_rtas_n(m, &h, TOK_READ_LEGACY, 3, 2, a, r);
		CK_EQ((int32_t)r[0], -1);
		t_rtas_n(m, &h, TOK_WRITE_LEGACY, 3, 1, a, r);
		CK_EQ((int32_t)r[0], -1);
		t_rtas_n(m, &h, TOK_WRITE_LEGACY, 2, 1, a, r);
		CK_EQ((int32_t)r[0], -1);
		t_free(m, &h);
	}
}

int main(void)
{
	counts();
	sizes();
	buids();
	devices();
	offsets();
	failed_writes();
	no_extended();
	extended_twins();
	ignored_bits();
	legacy();
	fprintf(stderr, "test_rtas_config: %u checks\n", n_checks);
	return t_result();
}
