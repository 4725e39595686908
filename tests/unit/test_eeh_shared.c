/* pe-mode=shared: the six EEH RTAS calls as QEMU 7.2 answers them (the
 * same through 10.0), every branch:
 *   hw/ppc/spapr_pci.c: rtas_ibm_set_eeh_option(),
 *   rtas_ibm_get_config_addr_info2(), rtas_ibm_read_slot_reset_state2(),
 *   rtas_ibm_set_slot_reset(), rtas_ibm_configure_pe(),
 *   rtas_ibm_slot_error_detail() (preamble: counts, then the PHB by BUID,
 *   then spapr_phb_eeh_available(); any failure -3);
 *   hw/ppc/spapr_pci_vfio.c: spapr_phb_vfio_eeh_set_option(),
 *   spapr_phb_vfio_eeh_get_state(), spapr_phb_vfio_eeh_reset(),
 *   spapr_phb_vfio_eeh_configure() (the VFIO_EEH_PE_OP each maps to and
 *   the status of a failing op), spapr_phb_vfio_eeh_pre_reset() (MSI-X
 *   pre-reset), spapr_phb_vfio_reset() (a PHB reset re-enables the PE).
 * The simulated host answers as Linux 6.12's VFIO_EEH_PE_OP does
 * (drivers/vfio/vfio_iommu_spapr_tce.c, arch/powerpc/kernel/eeh.c).
 *
 * Sections: preamble; set-eeh-option; get-config-addr-info2;
 * read-slot-reset-state2; states 0/2/4/1; MSI-X pre-reset; configure-pe;
 * slot-error-detail; PHB reset. Each runs on the machine of fresh() and then,
 * in order, on a second one (second_*(): fresh2()). When EEH is unavailable
 * see test_eeh_availability.c. Expected values come from those sources only.
 * SPDX-License-Identifier: MIT */
#include "harness.h"

#define HI ((uint32_t)(T_BUID0 >> 32))
#define LO ((uint32_t)T_BUID0)
#define PE 0x00000001u		/* (bus 0 << 16) | 1, from get-config-addr-info2 */
#define BUF 0x200000u		/* slot-error-detail buffers */

static struct t_host h;
static struct sphb_machine *m;

/* a: pass-through function of host group 5 (MSI-X in BAR 1), slot 2;
 * e: emulated function with the same MSI-X layout, slot 3. */
#define DEV_A "sim-pci,bus=pci.0,addr=2,id=a,iommu-group=5,pcie=on,bar0=mem32:0x1000,msix=4"
#define DEV_E "sim-pci,bus=pci.0,addr=3,id=e,pcie=on,bar0=mem32:0x1000,msix=4"
static const uint32_t CFG_A = 0x00001000u;	/* bus 0, slot 2 */
static const uint32_t CFG_E = 0x00001800u;	/* bus 0, slot 3 */

static int32_t call(const char *name, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

static int32_t seo(uint32_t cfg, uint32_t option)
{
	uint32_t a[4] = { cfg, HI, LO, option }, r[1];
	return call("ibm,set-eeh-option", 4, 1, a, r);
}

static int32_t ssr(uint32_t cfg, uint32_t option)
{
	uint32_t a[4] = { cfg, HI, LO, option }, r[1];
	return call("ibm,set-slot-reset", 4, 1, a, r);
}

static int32_t gcai(uint32_t cfg, uint32_t fn, uint32_t *info)
{
	uint32_t a[4] = { cfg, HI, LO, fn }, r[2];
	int32_t st = call("ibm,get-config-addr-info2", 4, 2, a, r);
	*info = r[1];
	return st;
}

static int32_t sed(uint32_t cfg, uint32_t fn)
{
	uint32_t a[8] = { cfg, HI, LO, BUF, 64, BUF + 0x1000, 2048, fn }, r[1];
	return call("ibm,slot-error-detail", 8, 1, a, r);
}

static int32_t cpe(uint32_t cfg)
{
	uint32_t a[3] = { cfg, HI, LO }, r[1];
	return call("ibm,configure-pe", 3, 1, a, r);
}

/* read-slot-reset-state2 with 4 outputs: checks Status 0, Capabilities 1,
 * Unavailable Info 1000 (rtas_ibm_read_slot_reset_state2()) and returns
 * the PE state. */
static uint32_t state(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[4];
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	return r[1];
}

static uint32_t cfg_rd(uint32_t cfg, unsigned off, unsigned size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, cfg | (off & 0xff) | ((off & 0xf00u) << 20), size, &v), 0);
	return v;
}

static void cfg_wr(uint32_t cfg, unsigned off, unsigned size, uint32_t v)
{
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, cfg | (off & 0xff) | ((off & 0xf00u) << 20), size, v), 0);
}

/* Walk the capability list as a guest does. */
static unsigned find_cap(uint32_t cfg, unsigned id)
{
	unsigned p = cfg_rd(cfg, 0x34, 1), n = 0;
	while (p && n++ < 48) {
		if (cfg_rd(cfg, p, 1) == id)
			return p;
		p = cfg_rd(cfg, p + 1, 1);
	}
	return 0;
}

static void fresh(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, DEV_A, DEV_E, NULL);
}

/* The second machine: an emulated function (slot 2) and a pass-through
 * function of host group 7 with MSI-X and a 64-bit BAR (slot 3). The
 * second_*() functions run in order on it, each from the state the
 * previous one left. */
static void fresh2(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "sim-pci,addr=2,id=emu",
		      "sim-pci,addr=3,id=p,iommu-group=7,pcie=on,msix=4,bar0=mem64:64K", NULL);
}

/* ---- preamble: counts -> BUID -> EEH available, any failure -3 ---- */

struct callspec { const char *name; uint32_t nargs, nret; };
static const struct callspec calls[6] = {
	{ "ibm,set-eeh-option", 4, 1 },
	{ "ibm,get-config-addr-info2", 4, 2 },
	{ "ibm,read-slot-reset-state2", 3, 4 },
	{ "ibm,set-slot-reset", 4, 1 },
	{ "ibm,configure-pe", 3, 1 },
	{ "ibm,slot-error-detail", 8, 1 },
};

/* args valid for every call when EEH is available (function 1 everywhere) */
static void good_args(uint32_t *a, uint64_t buid)
{
	uint32_t v[8] = { CFG_A, (uint32_t)(buid >> 32), (uint32_t)buid, 1, 0, BUF, 2048, 1 };
	memcpy(a, v, sizeof(v));
}

/* Issue call i with the given counts; expect -3 and no other output. */
static void expect_refused(unsigned i, uint32_t nargs, uint32_t nret, uint64_t buid, const char *why)
{
	uint32_t a[10], r[8];
	good_args(a, buid);
	a[8] = a[9] = 0;
	if (nret == 0) {
		/* no output cell: nothing may be written past the arguments */
		t_st32(&h, T_BUF + 12 + 4 * nargs, T_SENTINEL);
		(void)call(calls[i].name, nargs, nret, a, r);
		CHECK_EQ(t_ld32(&h, T_BUF + 12 + 4 * nargs), T_SENTINEL);
		return;
	}
	CHECK_EQ(call(calls[i].name, nargs, nret, a, r), -3);
	for (uint32_t k = 1; k < nret && k < 8; k++)
		if (r[k] != T_SENTINEL) {
			fprintf(stderr, "%s (%s): ret[%u] written\n", calls[i].name, why, k);
			t_failures++;
		}
}

static void test_preamble(void)
{
	fresh();
	for (unsigned i = 0; i < 6; i++) {
		const struct callspec *c = &calls[i];
		uint32_t a[8], r[6];

		/* the good call works (sanity: the refusals below are the preamble's) */
		good_args(a, T_BUID0);
		if (i == 2)
			CHECK_EQ(call(c->name, 3, 4, a, r), 0);
		else if (i == 5)
			CHECK_EQ(call(c->name, 8, 1, a, r), 1);
		else
			CHECK_EQ(call(c->name, c->nargs, c->nret, a, r), 0);
		if (i == 3)
			CHECK_EQ(ssr(PE, 0), 0); /* end the hot reset just asserted */

		expect_refused(i, c->nargs - 1, c->nret, T_BUID0, "nargs - 1");
		expect_refused(i, c->nargs + 1, c->nret, T_BUID0, "nargs + 1");
		expect_refused(i, c->nargs, c->nret - 1, T_BUID0, "nret - 1");
		expect_refused(i, c->nargs, c->nret + (i == 2 ? 2 : 1), T_BUID0, "nret + 1");
		expect_refused(i, c->nargs, c->nret, T_BUID0 + 1, "no PHB index 1");
		expect_refused(i, c->nargs, c->nret, T_BUID0 + 30, "no PHB index 30");
		expect_refused(i, c->nargs, c->nret, T_BUID0 & 0xffffffffu, "BUID hi 0");
		expect_refused(i, c->nargs, c->nret, 0, "BUID 0");
	}
	CHECK_EQ(state(), 0); /* nothing above changed the PE */

	/* EEH unavailable (no pass-through device behind the PHB): -3 for all
	 * six, whatever the other arguments, including get-config-addr-info2
	 * function 1 and function 0 of an existing (emulated) device. */
	t_free(m, &h);
	m = t_machine(&h, DEV_E, NULL);
	for (unsigned i = 0; i < 6; i++) {
		expect_refused(i, calls[i].nargs, calls[i].nret, T_BUID0, "unavailable");
		expect_refused(i, calls[i].nargs, calls[i].nret, T_BUID0 + 1, "unavailable, bad BUID");
		expect_refused(i, calls[i].nargs + 1, calls[i].nret, T_BUID0, "unavailable, bad nargs");
	}
	{
		uint32_t info;
		CHECK_EQ(gcai(CFG_E, 1, &info), -3);
		CHECK_EQ(info, T_SENTINEL);
		CHECK_EQ(gcai(CFG_E, 0, &info), -3);
		CHECK_EQ(info, T_SENTINEL);
		for (uint32_t o = 0; o < 4; o++)
			CHECK_EQ(seo(CFG_E, o), -3);
		CHECK_EQ(ssr(PE, 1), -3);
		CHECK_EQ(ssr(PE, 0), -3);
		CHECK_EQ(cpe(PE), -3);
		CHECK_EQ(sed(PE, 1), -3);
		CHECK_EQ(sed(PE, 2), -3);
	}
	/* a PHB with no device at all */
	t_free(m, &h);
	m = t_machine(&h, NULL);
	for (unsigned i = 0; i < 6; i++)
		expect_refused(i, calls[i].nargs, calls[i].nret, T_BUID0, "empty PHB");
}

static void second_preamble(void)
{
	uint32_t a[8], r[6];

	fresh2();
	/* counts, then BUID */
	a[0] = PE; a[1] = HI; a[2] = LO; a[3] = 1;
	CHECK_EQ(call("ibm,set-eeh-option", 3, 1, a, r), -3);
	CHECK_EQ(call("ibm,set-eeh-option", 4, 2, a, r), -3);
	a[2] = LO + 1;
	CHECK_EQ(call("ibm,set-eeh-option", 4, 1, a, r), -3);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), -3);
}

/* ---- set-eeh-option ---- */

static void test_set_eeh_option(void)
{
	fresh();
	/* 0 -> DISABLE: 0, the PE stays normal */
	CHECK_EQ(seo(CFG_A, 0), 0);
	CHECK_EQ(state(), 0);
	/* 1 -> ENABLE: a device address (Linux <= 5.9) ... */
	CHECK_EQ(seo(CFG_A, 1), 0);
	/* ... or the PE address (bus << 16 | 1, Linux >= 5.10) */
	CHECK_EQ(seo(PE, 1), 0);
	/* only bus bits count: device/function/register bits are ignored */
	CHECK_EQ(seo(CFG_E, 1), 0);			/* emulated function, same bus */
	CHECK_EQ(seo(t_cfgaddr(0, 31, 7, 0xfc), 1), 0);	/* empty slot on bus 0 */
	CHECK_EQ(seo(CFG_A | 0x40, 1), 0);			/* register bits set */
	CHECK_EQ(seo(0x00000000u, 1), 0);
	/* a bus number with no pass-through device directly on it: -3 */
	CHECK_EQ(seo(0x00010001u, 1), -3);
	CHECK_EQ(seo(t_cfgaddr(1, 2, 0, 0), 1), -3);
	CHECK_EQ(seo(t_cfgaddr(0xff, 0, 0, 0), 1), -3);
	/* 2/3 -> UNFREEZE_IO/DMA, cfg ignored: on an active PE the host does
	 * nothing and succeeds (Linux 6.12 eeh_pe_set_option(): EEH_OPT_THAW_*
	 * on an active PE) */
	CHECK_EQ(seo(CFG_A, 2), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(seo(t_cfgaddr(9, 0, 0, 0), 3), 0);
	CHECK_EQ(state(), 0);
	/* other options: -3 */
	CHECK_EQ(seo(CFG_A, 4), -3);
	CHECK_EQ(seo(CFG_A, 5), -3);
	CHECK_EQ(seo(CFG_A, 0x100), -3);
	CHECK_EQ(seo(CFG_A, 0xffffffffu), -3);
	CHECK_EQ(state(), 0);

	/* the same options on a frozen PE */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(PE, 0), 0);		/* DISABLE is a no-op on the host */
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(PE, 4), -3);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(0x00010001u, 1), -3);	/* refused: no ENABLE reached the host */
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(PE, 1), 0);		/* ENABLE: the host thaws a frozen PE */
	CHECK_EQ(state(), 0);
}

static void second_set_eeh_option(void)
{
	/* set-eeh-option: enable with the PE address or a device address on bus 0 */
	CHECK_EQ(seo(PE, 1), 0);
	CHECK_EQ(seo(0x1800, 1), 0);
	CHECK_EQ(seo(0x1000, 1), 0);		/* bus 0 has a pass-through device */
	CHECK_EQ(seo(0x00010001, 1), -3);	/* bus 1: none */
	CHECK_EQ(seo(PE, 0), 0);
	CHECK_EQ(seo(PE, 4), -3);
	CHECK_EQ(seo(PE, 0xffffffffu), -3);
	/* QEMU forwards thaws whatever the state: 0 from a normal PE */
	CHECK_EQ(seo(PE, 2), 0);
	CHECK_EQ(seo(PE, 3), 0);
	/* freeze -> 2, thaw IO -> 4, thaw DMA -> 0 */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(PE, 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(seo(PE, 3), 0);
	CHECK_EQ(state(), 0);
}

/* ---- get-config-addr-info2 ---- */

static void test_get_config_addr_info2(void)
{
	uint32_t info;

	fresh();
	/* function 0: the device must exist (emulated too); (bus << 16) | 1 */
	CHECK_EQ(gcai(CFG_A, 0, &info), 0);
	CHECK_EQ(info, PE);
	CHECK_EQ(gcai(CFG_E, 0, &info), 0);
	CHECK_EQ(info, PE);
	CHECK_EQ(gcai(CFG_A | 0x10, 0, &info), 0);	/* register bits do not matter */
	CHECK_EQ(info, PE);
	CHECK_EQ(gcai(t_cfgaddr(0, 2, 1, 0), 0, &info), -3); /* no function 1 */
	CHECK_EQ(info, T_SENTINEL);
	CHECK_EQ(gcai(t_cfgaddr(0, 9, 0, 0), 0, &info), -3); /* empty slot */
	CHECK_EQ(info, T_SENTINEL);
	CHECK_EQ(gcai(t_cfgaddr(1, 2, 0, 0), 0, &info), -3); /* no bus 1 */
	CHECK_EQ(info, T_SENTINEL);
	/* function 1: 2 (shared), cfg not looked at */
	CHECK_EQ(gcai(CFG_A, 1, &info), 0);
	CHECK_EQ(info, 2);
	CHECK_EQ(gcai(CFG_E, 1, &info), 0);
	CHECK_EQ(info, 2);
	CHECK_EQ(gcai(t_cfgaddr(7, 9, 3, 0), 1, &info), 0);
	CHECK_EQ(info, 2);
	CHECK_EQ(gcai(0xffffffffu, 1, &info), 0);
	CHECK_EQ(info, 2);
	/* other functions: -3, ret[1] untouched */
	for (uint32_t fn = 2; fn < 6; fn++) {
		CHECK_EQ(gcai(CFG_A, fn, &info), -3);
		CHECK_EQ(info, T_SENTINEL);
	}
	CHECK_EQ(gcai(CFG_A, 0xffffffffu, &info), -3);
	CHECK_EQ(info, T_SENTINEL);
	/* the answers do not depend on the PE state */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(gcai(CFG_A, 0, &info), 0);
	CHECK_EQ(info, PE);
	CHECK_EQ(gcai(CFG_A, 1, &info), 0);
	CHECK_EQ(info, 2);
}

static void second_get_config_addr_info2(void)
{
	uint32_t a[8] = { PE, HI, LO + 1, 1 }, r[6];

	/* get-config-addr-info2 */
	a[0] = 0x1000; a[2] = LO; a[3] = 0;	/* the emulated device counts for function 0 */
	CHECK_EQ(call("ibm,get-config-addr-info2", 4, 2, a, r), 0);
	CHECK_EQ(r[1], 0x00000001);
	a[0] = 0x2000;				/* absent */
	CHECK_EQ(call("ibm,get-config-addr-info2", 4, 2, a, r), -3);
	a[3] = 1;				/* mode: 2 whatever cfg says */
	CHECK_EQ(call("ibm,get-config-addr-info2", 4, 2, a, r), 0);
	CHECK_EQ(r[1], 2);
	a[3] = 2;
	CHECK_EQ(call("ibm,get-config-addr-info2", 4, 2, a, r), -3);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(call("ibm,get-config-addr-info2", 4, 1, a, r), -3);
}

/* ---- read-slot-reset-state2 ---- */

static void test_read_slot_reset_state2(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[6];

	fresh();
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 5, a, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	CHECK_EQ(r[4], 0);
	/* nret 3 and 6: -3, nothing else written */
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 3, a, r), -3);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(r[2], T_SENTINEL);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 6, a, r), -3);
	for (unsigned k = 1; k < 6; k++)
		CHECK_EQ(r[k], T_SENTINEL);
	/* cfg is ignored: any address, even a bus that does not exist */
	a[0] = t_cfgaddr(0x42, 31, 7, 0xff);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(r[2], 1);
	/* with 5 outputs in a stopped state too */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 5, a, r), 0);
	CHECK_EQ(r[1], 2);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	CHECK_EQ(r[4], 0);
}

static void second_read_slot_reset_state2(void)
{
	uint32_t a[8], r[6];

	/* read-slot-reset-state2 with 5 outputs: recovery info 0; 3 or 6: -3 */
	a[0] = PE; a[1] = HI; a[2] = LO;
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 5, a, r), 0);
	CHECK_EQ(r[4], 0);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 3, a, r), -3);
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 6, a, r), -3);
}

/* ---- states 0/2/4/1 as they evolve ---- */

static void test_states(void)
{
	uint32_t pe_cfg = 0;

	fresh();
	CHECK_EQ(state(), 0);
	/* the hardware freezes the PE: 2 */
	CHECK_EQ(sphb_host_freeze(m, "a", &pe_cfg), 0);
	CHECK_EQ(pe_cfg, PE);
	CHECK_EQ(state(), 2);
	/* thaw IO: 4; thaw DMA: 0 */
	CHECK_EQ(seo(PE, 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(seo(PE, 2), 0);		/* MMIO already active: host does nothing */
	CHECK_EQ(state(), 4);
	CHECK_EQ(seo(PE, 3), 0);
	CHECK_EQ(state(), 0);

	/* hot reset: 1; deactivate: 0 */
	CHECK_EQ(ssr(PE, 1), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(PE, 1), 0);		/* still active */
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	/* fundamental reset: 1; deactivate: 0 */
	CHECK_EQ(ssr(PE, 3), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	/* from a frozen PE: reset 1, deactivate leaves it thawed (Linux 6.12
	 * eeh_pe_reset(EEH_RESET_DEACTIVATE)) */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(ssr(PE, 1), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(seo(PE, 2), 0);		/* thaws do not end a reset */
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	/* from state 4: reset 3, deactivate */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(seo(PE, 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(ssr(PE, 3), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	/* QEMU forwards what PAPR's table forbids: deactivate with no reset
	 * active succeeds and leaves the PE thawed (PAPR Table 7-60 says -7 or
	 * -3 and no change; Linux's eeh_pe_reset() deactivates and thaws) */
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(ssr(PE, 0), 0);
	CHECK_EQ(state(), 0);
	/* option 2 (and anything else): -3, no state change */
	CHECK_EQ(ssr(PE, 2), -3);
	CHECK_EQ(state(), 0);
	CHECK_EQ(ssr(PE, 4), -3);
	CHECK_EQ(ssr(PE, 0xffffffffu), -3);
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(ssr(PE, 2), -3);
	CHECK_EQ(state(), 2);
	/* cfg is ignored by set-slot-reset */
	CHECK_EQ(ssr(t_cfgaddr(3, 1, 1, 0), 1), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(0xffffffffu, 0), 0);
	CHECK_EQ(state(), 0);
	/* a backend failure: set-eeh-option / set-slot-reset -1,
	 * read-slot-reset-state2 -3 (spapr_phb_vfio_eeh_set_option(),
	 * spapr_phb_vfio_eeh_reset(), spapr_phb_vfio_eeh_get_state()) */
	CHECK_EQ(sphb_host_fail(m, "a", EIO, 1), 0);
	CHECK_EQ(seo(PE, 2), -1);
	CHECK_EQ(sphb_host_fail(m, "a", EIO, 1), 0);
	CHECK_EQ(ssr(PE, 1), -1);
	CHECK_EQ(state(), 0);
	{
		uint32_t a[3] = { PE, HI, LO }, r[4];
		CHECK_EQ(sphb_host_fail(m, "a", EIO, 1), 0);
		CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), -3);
		CHECK_EQ(r[1], T_SENTINEL);
		CHECK_EQ(r[2], T_SENTINEL);
		CHECK_EQ(r[3], T_SENTINEL);
	}
}

/* ---- MSI-X pre-reset (set-slot-reset 1/3) ---- */

/* Program BAR0/BAR1, enable memory + bus master, enable MSI-X and give
 * every vector an address/data and unmask it. */
static unsigned setup_msix(uint32_t cfg, const char *id)
{
	unsigned cap = find_cap(cfg, 0x11);
	uint64_t v;

	CHECK(cap != 0);
	cfg_wr(cfg, 0x10, 4, 0x80000000u);
	cfg_wr(cfg, 0x14, 4, 0x80010000u);
	cfg_wr(cfg, 0x04, 2, 0x0006);
	CHECK_EQ(cfg_rd(cfg, cap + 2, 2) & 0x7ff, 3);	/* table size 4 */
	CHECK_EQ(cfg_rd(cfg, cap + 4, 4), 1);		/* table at BAR 1 offset 0 */
	cfg_wr(cfg, cap + 2, 2, 0x8000);			/* MSI-X Enable */
	CHECK_EQ(cfg_rd(cfg, cap + 2, 2) & 0xc000, 0x8000);
	for (unsigned vec = 0; vec < 4; vec++) {
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec + 12, 4, &v), 0);
		CHECK_EQ(v, 1);					/* masked out of reset */
		CHECK_EQ(sphb_mmio_write(m, id, 1, 16 * vec, 4, 0xfee00000u + vec), 0);
		CHECK_EQ(sphb_mmio_write(m, id, 1, 16 * vec + 8, 4, 0x40 + vec), 0);
	}
	/* vector 3 stays masked and gets a pending bit */
	for (unsigned vec = 0; vec < 3; vec++)
		CHECK_EQ(sphb_mmio_write(m, id, 1, 16 * vec + 12, 4, 0), 0);
	CHECK_EQ(sphb_dev_msi(m, id, 3), -EAGAIN);
	CHECK_EQ(sphb_mmio_read(m, id, 1, 2048, 8, &v), 0);	/* PBA at half the BAR */
	CHECK_EQ(v, 0x8);
	return cap;
}

/* The emulated MSI-X state after QEMU's pre-reset: Enable clear, table
 * contents reset, every vector masked, no pending bits. */
static void check_msix_reset(uint32_t cfg, const char *id, unsigned cap)
{
	uint64_t v;

	CHECK_EQ(cfg_rd(cfg, cap + 2, 2) & 0x8000, 0);
	for (unsigned vec = 0; vec < 4; vec++) {
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec, 4, &v), 0);
		CHECK_EQ(v, 0);
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec + 8, 4, &v), 0);
		CHECK_EQ(v, 0);
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec + 12, 4, &v), 0);
		CHECK_EQ(v & 1, 1);
	}
	CHECK_EQ(sphb_mmio_read(m, id, 1, 2048, 8, &v), 0);
	CHECK_EQ(v, 0);
}

/* The emulated device's MSI-X state as setup_msix() left it. */
static void check_msix_untouched(uint32_t cfg, const char *id, unsigned cap)
{
	uint64_t v;

	CHECK_EQ(cfg_rd(cfg, cap + 2, 2) & 0xc000, 0x8000);
	for (unsigned vec = 0; vec < 4; vec++) {
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec, 4, &v), 0);
		CHECK_EQ(v, 0xfee00000u + vec);
		CHECK_EQ(sphb_mmio_read(m, id, 1, 16 * vec + 12, 4, &v), 0);
		CHECK_EQ(v, vec == 3 ? 1 : 0);
	}
	CHECK_EQ(sphb_mmio_read(m, id, 1, 2048, 8, &v), 0);
	CHECK_EQ(v, 0x8);
}

static void test_msix_prereset(void)
{
	static const uint32_t opts[2] = { 1, 3 };

	for (unsigned k = 0; k < 2; k++) {
		unsigned cap_a, cap_e;

		/* The host reset fails (nothing happens to the function on the
		 * host), so what is left is exactly QEMU's pre-reset. */
		fresh();
		cap_a = setup_msix(CFG_A, "a");
		cap_e = setup_msix(CFG_E, "e");
		CHECK_EQ(sphb_host_fail(m, "a", EIO, 1), 0);
		CHECK_EQ(ssr(PE, opts[k]), -1);
		CHECK_EQ(state(), 0);
		check_msix_reset(CFG_A, "a", cap_a);
		check_msix_untouched(CFG_E, "e", cap_e);	/* emulated: never reset by EEH */
		/* the guest can re-program it */
		cfg_wr(CFG_A, cap_a + 2, 2, 0x8000);
		CHECK_EQ(cfg_rd(CFG_A, cap_a + 2, 2) & 0x8000, 0x8000);

		/* the full reset cycle: afterwards MSI-X is off and masked */
		fresh();
		cap_a = setup_msix(CFG_A, "a");
		cap_e = setup_msix(CFG_E, "e");
		CHECK_EQ(ssr(PE, opts[k]), 0);
		CHECK_EQ(state(), 1);
		CHECK_EQ(ssr(PE, 0), 0);
		CHECK_EQ(state(), 0);
		check_msix_reset(CFG_A, "a", cap_a);
		check_msix_untouched(CFG_E, "e", cap_e);
	}
	/* option 0 and the invalid option 2 do no pre-reset */
	{
		unsigned cap_a;
		fresh();
		cap_a = setup_msix(CFG_A, "a");
		CHECK_EQ(ssr(PE, 2), -3);
		check_msix_untouched(CFG_A, "a", cap_a);
		CHECK_EQ(ssr(PE, 0), 0);
		check_msix_untouched(CFG_A, "a", cap_a);
	}
}

/* MSI-X enabled through config space, then the resets */
static void second_msix_prereset(void)
{
	/* enable MSI-X, then hot reset: the pre-reset clears MSI-X Enable */
	{
		uint32_t pos, v;
		for (pos = 0x40; pos; ) {
			CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | pos, 1, &v), 0);
			if (v == 0x11)
				break;
			CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 1), 1, &pos), 0);
		}
		CHECK(pos != 0);
		CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, 0x8000), 0);
		CHECK_EQ(ssr(PE, 2), -3);		/* 2 is invalid, no pre-reset */
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, &v), 0);
		CHECK(v & 0x8000);
		CHECK_EQ(ssr(PE, 1), 0);
		CHECK_EQ(state(), 1);
		CHECK_EQ(ssr(PE, 0), 0);
		CHECK_EQ(state(), 0);
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, &v), 0);
		CHECK_EQ(v & 0x8000, 0);
		CHECK_EQ(ssr(PE, 3), 0);		/* fundamental */
		CHECK_EQ(state(), 1);
		CHECK_EQ(ssr(PE, 0), 0);
	}
}

/* ---- configure-pe, slot-error-detail ---- */

static void test_configure_pe(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[2];

	fresh();
	CHECK_EQ(cpe(PE), 0);
	CHECK_EQ(cpe(CFG_A), 0);
	CHECK_EQ(cpe(t_cfgaddr(5, 5, 5, 0)), 0);	/* cfg ignored */
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(cpe(PE), 0);
	CHECK_EQ(state(), 2);				/* same state on return (PAPR §7.3.12) */
	CHECK_EQ(call("ibm,configure-pe", 3, 2, a, r), -3);
	CHECK_EQ(r[1], T_SENTINEL);
	/* a failing host CONFIGURE: -3, not -1 (rtas_ibm_configure_pe()) */
	CHECK_EQ(sphb_host_fail(m, "a", EIO, 1), 0);
	CHECK_EQ(cpe(PE), -3);
	CHECK_EQ(cpe(PE), 0);
}

static void test_slot_error_detail(void)
{
	uint8_t before[4096];

	fresh();
	memset(h.ram + BUF, 0x5a, sizeof(before));
	memcpy(before, h.ram + BUF, sizeof(before));
	CHECK_EQ(sed(CFG_A, 1), 1);
	CHECK_EQ(sed(PE, 2), 1);
	CHECK_EQ(sed(CFG_E, 1), 1);
	CHECK(!memcmp(before, h.ram + BUF, sizeof(before)));	/* buffers not written */
	CHECK_EQ(state(), 0);			/* function 2 changes nothing in QEMU mode */
	CHECK_EQ(sed(PE, 0), -3);
	CHECK_EQ(sed(PE, 3), -3);
	CHECK_EQ(sed(PE, 0xffffffffu), -3);
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(sed(PE, 1), 1);
	CHECK_EQ(sed(PE, 2), 1);
	CHECK_EQ(state(), 2);
	CHECK(!memcmp(before, h.ram + BUF, sizeof(before)));
}

static void second_configure_pe_slot_error_detail(void)
{
	uint32_t a[8] = { PE, HI, LO, 2 }, r[6];

	/* configure-pe; slot-error-detail keeps QEMU's "no error log" */
	CHECK_EQ(call("ibm,configure-pe", 3, 1, a, r), 0);
	CHECK_EQ(call("ibm,configure-pe", 4, 1, a, r), -3);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	a[3] = 0; a[4] = 0; a[5] = 0x300000; a[6] = 2048; a[7] = 1;
	CHECK_EQ(call("ibm,slot-error-detail", 8, 1, a, r), 1);
	a[7] = 2;
	CHECK_EQ(call("ibm,slot-error-detail", 8, 1, a, r), 1);
	CHECK_EQ(state(), 2);			/* function 2 changes nothing in QEMU mode */
	a[7] = 3;
	CHECK_EQ(call("ibm,slot-error-detail", 8, 1, a, r), -3);
}

/* ---- PHB reset ---- */

static void test_phb_reset(void)
{
	fresh();
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(cfg_rd(CFG_A, 0, 4), 0xffffffffu);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(cfg_rd(CFG_A, 0, 4), 0x53481014u);	/* default vendor/device */

	/* state 4 too */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(seo(PE, 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(), 0);
	{
		const char *name = NULL;
		CHECK_EQ(sphb_host_state(m, "a", &name), 0);
		CHECK(name && !strcmp(name, "normal"));
	}
}

static void second_phb_reset(void)
{
	/* PHB reset re-enables (thaws) the PE (spapr_phb_vfio_reset()) */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(), 0);
}

int main(void)
{
	test_preamble();
	test_set_eeh_option();
	test_get_config_addr_info2();
	test_read_slot_reset_state2();
	test_states();
	test_msix_prereset();
	test_configure_pe();
	test_slot_error_detail();
	test_phb_reset();
	second_preamble();
	second_get_config_addr_info2();
	second_set_eeh_option();
	second_read_slot_reset_state2();
	second_msix_prereset();
	second_configure_pe_slot_error_detail();
	second_phb_reset();
	if (m)
		t_free(m, &h);
	return t_result();
}
