/* Every validation branch of the four config-space calls, in QEMU 7.2's
 * order (qemu-spapr-phb.md §4.1, §9): every failure is -1. */
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u

static struct t_host h;
static struct sphb_machine *m;

static int32_t rd(uint32_t nargs, uint32_t nret, uint32_t cfg, uint32_t hi, uint32_t lo,
		  uint32_t size, uint32_t *r)
{
	uint32_t a[6] = { cfg, hi, lo, size, 0, 0 };
	t_rtas_n(m, &h, 0x2016, nargs, nret, a, r);
	return (int32_t)r[0];
}

static void ibm_read(void)
{
	uint32_t r[4];
	const uint32_t dev = t_cfgaddr(0, 2, 0, 0);

	/* the good case: vendor/device of a sim-pci with vendor=0x1af4 device=0x1005 */
	CHECK_EQ(rd(4, 2, dev, HI, LO, 4, r), 0);
	CHECK_EQ(r[1], 0x10051af4);
	CHECK_EQ(rd(4, 2, dev | 2, HI, LO, 2, r), 0);
	CHECK_EQ(r[1], 0x1005);
	CHECK_EQ(rd(4, 2, dev | 1, HI, LO, 1, r), 0);
	CHECK_EQ(r[1], 0x1a);
	/* 1. exact counts */
	CHECK_EQ(rd(3, 2, dev, HI, LO, 4, r), -1);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(rd(5, 2, dev, HI, LO, 4, r), -1);
	CHECK_EQ(rd(4, 1, dev, HI, LO, 4, r), -1);
	CHECK_EQ(rd(4, 3, dev, HI, LO, 4, r), -1);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(r[2], T_SENTINEL);
	/* 2. sizes */
	for (uint32_t s = 0; s < 9; s++) {
		int32_t st = rd(4, 2, dev, HI, LO, s, r);
		CHECK_EQ(st, (s == 1 || s == 2 || s == 4) ? 0 : -1);
	}
	CHECK_EQ(rd(4, 2, dev, HI, LO, 0xffffffffu, r), -1);
	/* 3. PHB, device, offset */
	CHECK_EQ(rd(4, 2, dev, HI, LO + 1, 4, r), -1);		/* BUID + 1: no PHB 1 */
	CHECK_EQ(rd(4, 2, dev, HI + 1, LO, 4, r), -1);		/* hi word wrong */
	CHECK_EQ(rd(4, 2, dev, 0, 0, 4, r), -1);		/* BUID 0 */
	CHECK_EQ(rd(4, 2, dev, HI, LO - 1, 4, r), -1);		/* below the base */
	CHECK_EQ(rd(4, 2, t_cfgaddr(0, 4, 0, 0), HI, LO, 4, r), -1);	/* empty slot */
	CHECK_EQ(rd(4, 2, t_cfgaddr(0, 2, 1, 0), HI, LO, 4, r), -1);	/* absent function */
	CHECK_EQ(rd(4, 2, t_cfgaddr(1, 2, 0, 0), HI, LO, 4, r), -1);	/* absent bus */
	CHECK_EQ(rd(4, 2, dev | 2, HI, LO, 4, r), -1);		/* unaligned dword */
	CHECK_EQ(rd(4, 2, dev | 1, HI, LO, 2, r), -1);		/* unaligned word */
	CHECK_EQ(rd(4, 2, dev | 0xff, HI, LO, 2, r), -1);	/* 2 bytes @0xff */
	CHECK_EQ(rd(4, 2, dev | 0xff, HI, LO, 1, r), 0);	/* 1 byte @0xff */
	CHECK_EQ(rd(4, 2, dev | 0xfc, HI, LO, 4, r), 0);
	CHECK_EQ(rd(4, 2, dev | 0x10000000u, HI, LO, 4, r), -1); /* 0x100: conventional */
	CHECK_EQ(r[1], T_SENTINEL);
	/* bits 24-27 are ignored */
	CHECK_EQ(rd(4, 2, dev | 0x0f000000u, HI, LO, 4, r), 0);
	CHECK_EQ(r[1], 0x10051af4);
}

static void ibm_write(void)
{
	uint32_t r[2], a[6] = { 0 };
	const uint32_t dev = t_cfgaddr(0, 2, 0, 0);

	/* interrupt line is writable */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, dev | 0x3c, 1, 0x5a), 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, dev | 0x3c, 1, r), 0);
	CHECK_EQ(r[0], 0x5a);
	a[0] = dev | 0x3c; a[1] = HI; a[2] = LO; a[3] = 1; a[4] = 0x11;
	t_rtas_n(m, &h, 0x2017, 4, 1, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, 0x2017, 6, 1, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, 0x2017, 5, 2, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, dev | 0x3c, 1, r), 0);
	CHECK_EQ(r[0], 0x5a); /* failed writes changed nothing */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, dev | 0x3c, 3, 0x11), -1);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0 + 1, dev | 0x3c, 1, 0x11), -1);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 5, 0, 0x3c), 1, 0x11), -1);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, dev | 0x3e, 4, 0x11), -1);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, dev | 0x1000003c, 4, 0x11), -1);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, dev | 0x3c, 1, r), 0);
	CHECK_EQ(r[0], 0x5a);
}

/* The legacy CHRP calls address BUID 0: always -1 (after the count/size checks). */
static void legacy(void)
{
	uint32_t a[3] = { t_cfgaddr(0, 2, 0, 0), 4, 0 }, r[2];

	t_rtas_n(m, &h, 0x2014, 2, 2, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	CHECK_EQ(r[1], T_SENTINEL);
	t_rtas_n(m, &h, 0x2014, 3, 2, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, 0x2015, 3, 1, a, r);
	CHECK_EQ((int32_t)r[0], -1);
	t_rtas_n(m, &h, 0x2015, 2, 1, a, r);
	CHECK_EQ((int32_t)r[0], -1);
}

/* Extended config space: bits 28-31 are register bits 8-11. */
static void extended(void)
{
	struct t_host h2;
	struct sphb_machine *m2 = t_machine(&h2,
		"sim-pci,addr=3,pcie=on",
		"spapr-pci-host-bridge,index=1,id=old,pcie-extended-configuration-space=off",
		"sim-pci,bus=old.0,addr=3,pcie=on", NULL);
	const uint32_t dev = t_cfgaddr(0, 3, 0, 0);
	uint32_t v;

	/* AER extended capability header at 0x100: ID 1, version 2 */
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0x10000000u, 4, &v), 0);
	CHECK_EQ(v & 0xfffff, 0x20001);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000fcu, 4, &v), 0); /* 0xffc */
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000feu, 2, &v), 0);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0xf00000ffu, 2, &v), -1);
	/* a PHB without extended space: status 0, value all-ones whatever the size, writes dropped */
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev | 0x10000000u, 4, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev | 0x10000000u, 1, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	CHECK_EQ(t_cfg_write(m2, &h2, T_BUID0 + 1, dev | 0x10000008u, 4, 0x10), 0);
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0, dev | 0x10000008u, 4, &v), 0); /* PHB 0's twin */
	CHECK_EQ(v, 0);
	/* conventional config space still reachable there */
	CHECK_EQ(t_cfg_read(m2, &h2, T_BUID0 + 1, dev, 4, &v), 0);
	CHECK(v != 0xffffffffu);
	t_free(m2, &h2);
}

int main(void)
{
	m = t_machine(&h, "sim-pci,bus=pci.0,addr=2,vendor=0x1af4,device=0x1005", NULL);
	ibm_read();
	ibm_write();
	legacy();
	t_free(m, &h);
	extended();
	return t_result();
}
