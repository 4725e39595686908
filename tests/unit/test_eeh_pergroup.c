/* pe-mode=per-group: one PE per host IOMMU group (docs/eeh.md, "PE modes"),
 * the PAPR model a pe-mode=shared PHB (QEMU's) cannot give.
 *
 * Sections:
 *   - Table 7-59/7-60 (PAPR §7.3.11, "PE State Transition Table" and "PE
 *     State Control"): every cell, status and resulting state, for
 *     set-eeh-option 2/3 and set-slot-reset 0/1/3 from states 0, 1, 2, 4,
 *     5 temporarily (5T) and 5 permanently (5P), on two layouts, with a
 *     neighbour PE that never changes;
 *   - set-eeh-option 0/1 (Table 7-59, R1-7.3.11-2) and invalid options;
 *   - PE addressing (ibm,get-config-addr-info2, PAPR §7.3.11.4): the PE
 *     config address is the group's lowest function with register bits 0,
 *     mode 1 for one function and 2 for several; hot plug moves both;
 *   - calls addressed by the PE address or any function inside the PE
 *     (R1-7.3.11.3-4, §7.3.11.5), -3 outside every PE (R1-7.3.11-3);
 *   - isolation: one PE's state never touches another's (PAPR §5.1,
 *     R1-5.1-3/-4);
 *   - the unavailable states: 5 with info >= 1000 while the host is busy
 *     (R1-7.3.11-4), 5 with info 0 after slot-error-detail function 2 until
 *     a partition reboot (R1-7.3.11.5-12/-13).
 * SPDX-License-Identifier: MIT */
#include "harness.h"

#define BUID1 (T_BUID0 + 1)
#define HI ((uint32_t)(BUID1 >> 32))
#define LO ((uint32_t)BUID1)
#define LOGBUF 0x300000u

/* Group 1: functions 2.0, 2.1 and slot 7; group 2: slot 4; emulated: slot 5. */
#define PE_A 0x00001000u	/* 2.0, the lowest function of group 1 */
#define A1 0x00001100u		/* 2.1 */
#define A7 0x00003800u		/* slot 7 */
#define PE_B 0x00002000u	/* slot 4 */
#define EMU 0x00002800u		/* slot 5 */

static struct t_host h;
static struct sphb_machine *m;

static void fresh(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		      "sim-pci,bus=phb1.0,addr=7,id=a7,iommu-group=1,bar0=mem32:0x1000",
		      "sim-pci,bus=phb1.0,addr=2.0,id=a0,iommu-group=1,multifunction=on,bar0=mem32:0x1000",
		      "sim-pci,bus=phb1.0,addr=2.1,id=a1,iommu-group=1,bar0=mem32:0x1000",
		      "sim-pci,bus=phb1.0,addr=4,id=b,iommu-group=2,bar0=mem32:0x1000",
		      "sim-pci,bus=phb1.0,addr=5,id=e,bar0=mem32:0x1000", NULL);
}

static int32_t call(const char *name, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

static int32_t seo(uint32_t cfg, uint32_t fn)
{
	uint32_t a[4] = { cfg, HI, LO, fn }, r[1];
	return call("ibm,set-eeh-option", 4, 1, a, r);
}

static int32_t ssr(uint32_t cfg, uint32_t fn)
{
	uint32_t a[4] = { cfg, HI, LO, fn }, r[1];
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
	uint32_t a[8] = { cfg, HI, LO, 0, 0, LOGBUF, 2048, fn }, r[1];
	return call("ibm,slot-error-detail", 8, 1, a, r);
}

/* read-slot-reset-state2 (4 outputs): Status 0; returns the state, *info
 * the Unavailable Info. Capabilities is 1 unless the state is 5
 * (PAPR §7.3.11.3). */
static uint32_t state_info(uint32_t cfg, uint32_t *info)
{
	uint32_t a[3] = { cfg, HI, LO }, r[4];
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	if (r[1] != 5)
		CHECK_EQ(r[2], 1);
	if (info)
		*info = r[3];
	return r[1];
}

static uint32_t state(uint32_t cfg)
{
	return state_info(cfg, NULL);
}

static uint32_t cfg_rd(uint32_t cfg, unsigned off, unsigned size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg | off, size, &v), 0);
	return v;
}

/* ---- Table 7-60 ----------------------------------------------------------- */

enum { S0, S1, S2, S4, S5T, S5P, NSTATES };
static const char *const sname[NSTATES] = { "0", "1", "2", "4", "5T", "5P" };

/* Put PE A in state s by the means PAPR names (Table 7-59). */
static void enter(int s)
{
	switch (s) {
	case S0:
		break;
	case S1:
		CHECK_EQ(ssr(PE_A, 1), 0);
		break;
	case S2:
		CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
		break;
	case S4:
		CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
		CHECK_EQ(seo(PE_A, 2), 0);
		break;
	case S5T:
		CHECK_EQ(sphb_host_busy(m, "a0", 600000), 0);
		break;
	case S5P:
		CHECK_EQ(sed(PE_A, 2), 0);
		break;
	}
}

/* The state PE A reads as: S0..S5P */
static int observe(void)
{
	uint32_t info, st = state_info(PE_A, &info);
	switch (st) {
	case 0: return S0;
	case 1: return S1;
	case 2: return S2;
	case 4: return S4;
	case 5: return info == 0 ? S5P : info >= 1000 ? S5T : -1;
	default: return -1;
	}
}

struct cell { int32_t status; int result; };

static void row(const char *what, int is_seo, uint32_t fn, const struct cell cells[NSTATES])
{
	for (int s = 0; s < NSTATES; s++) {
		int32_t got;
		int res;
		uint32_t vb;

		fresh();
		enter(s);
		CHECK_EQ(observe(), s);
		got = is_seo ? seo(PE_A, fn) : ssr(PE_A, fn);
		res = observe();
		if (got != cells[s].status || res != cells[s].result) {
			fprintf(stderr, "%s from %s: status %d -> state %s, expected status %d -> state %s\n",
				what, sname[s], got, res >= 0 ? sname[res] : "?", cells[s].status,
				sname[cells[s].result]);
			t_failures++;
		}
		/* the neighbour PE never changes */
		CHECK_EQ(state(PE_B), 0);
		vb = cfg_rd(PE_B, 0, 4);
		CHECK_EQ(vb, 0x53481014u);
	}
}

/* The second layout: two single-function PEs, slot 2 (group 1) and slot 3
 * (group 2), both PCIe; S5T is a 60 s host busy period. */
#define PAIR_B 0x00001800u	/* slot 3 */

static const uint32_t state_of[NSTATES] = { 0, 1, 2, 4, 5, 5 };

static int32_t call4(const char *name, uint32_t cfg, uint32_t fn)
{
	uint32_t a[4] = { cfg, HI, LO, fn }, r[1];
	t_rtas_n(m, &h, (uint32_t)t_token(name), 4, 1, a, r);
	return (int32_t)r[0];
}

/* read-slot-reset-state2: Status 0 and Capabilities 1 in every state */
static uint32_t pair_state(uint32_t cfg, uint32_t *info)
{
	uint32_t a[3] = { cfg, HI, LO }, r[4];
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[2], 1);
	if (info)
		*info = r[3];
	return r[1];
}

/* A fresh two-PE machine with PE A in state s. */
static void fresh_pair(int s)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		      "sim-pci,bus=phb1.0,addr=2,id=a,iommu-group=1,pcie=on",
		      "sim-pci,bus=phb1.0,addr=3,id=b,iommu-group=2,pcie=on", NULL);
	switch (s) {
	case S1:
		CHECK_EQ(call4("ibm,set-slot-reset", PE_A, 1), 0);
		break;
	case S2:
		CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
		break;
	case S4:
		CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
		CHECK_EQ(call4("ibm,set-eeh-option", PE_A, 2), 0);
		break;
	case S5T:
		CHECK_EQ(sphb_host_busy(m, "a", 60000), 0);
		break;
	case S5P: {
		uint32_t a[8] = { PE_A, HI, LO, 0, 0, LOGBUF, 2048, 2 }, r[1];
		t_rtas_n(m, &h, (uint32_t)t_token("ibm,slot-error-detail"), 8, 1, a, r);
		CHECK_EQ(r[0], 0);
		break;
	}
	}
}

static void row_pair(const char *call, uint32_t fn, const struct cell *cells)
{
	for (int s = 0; s < NSTATES; s++) {
		uint32_t info, st;
		int32_t got;

		fresh_pair(s);
		CHECK_EQ(pair_state(PE_A, NULL), state_of[s]);
		got = call4(call, PE_A, fn);
		st = pair_state(PE_A, &info);
		if (got != cells[s].status || st != state_of[cells[s].result]) {
			fprintf(stderr, "%s(%u) from state %s: status %d state %u, expected %d and %u\n",
				call, fn, sname[s], got, st, cells[s].status, state_of[cells[s].result]);
			t_failures++;
		}
		if (st == 5)
			CHECK(cells[s].result == S5P ? info == 0 : info >= 1000);
		CHECK_EQ(pair_state(PAIR_B, NULL), 0); /* the neighbour PE never moves */
	}
}

static void test_table_7_60(void)
{
	static const struct cell seo2[NSTATES] = {
		{ -3, S0 }, { -7, S1 }, { 0, S4 }, { -3, S4 }, { -7, S5T }, { -7, S5P } };
	static const struct cell seo3[NSTATES] = {
		{ -3, S0 }, { -7, S1 }, { -7, S2 }, { 0, S0 }, { -7, S5T }, { -7, S5P } };
	static const struct cell ssr0[NSTATES] = {
		{ 0, S0 }, { 0, S0 }, { -7, S2 }, { -3, S4 }, { -7, S5T }, { -7, S5P } };
	static const struct cell ssr13[NSTATES] = {
		{ 0, S1 }, { 0, S1 }, { 0, S1 }, { 0, S1 }, { -7, S5T }, { -7, S5P } };

	row("set-eeh-option 2", 1, 2, seo2);
	row("set-eeh-option 3", 1, 3, seo3);
	row("set-slot-reset 0", 0, 0, ssr0);
	row("set-slot-reset 1", 0, 1, ssr13);
	row("set-slot-reset 3", 0, 3, ssr13);

	/* the same cells on the two-PE layout */
	row_pair("ibm,set-eeh-option", 2, seo2);
	row_pair("ibm,set-eeh-option", 3, seo3);
	row_pair("ibm,set-slot-reset", 0, ssr0);
	row_pair("ibm,set-slot-reset", 1, ssr13);
	row_pair("ibm,set-slot-reset", 3, ssr13);
}

/* ---- PE addressing --------------------------------------------------------- */

static void test_addressing(void)
{
	uint32_t info, pe = 0;

	fresh();
	/* function 0: the config address of the group's lowest function,
	 * register bits 0, from any function of the PE */
	static const uint32_t in_a[] = { PE_A, A1, A7, PE_A | 0x40, A1 | 0xfc, A7 | 0x10000000u };
	for (unsigned i = 0; i < sizeof(in_a) / sizeof(in_a[0]); i++) {
		CHECK_EQ(gcai(in_a[i], 0, &info), 0);
		CHECK_EQ(info, PE_A);
	}
	CHECK_EQ(gcai(PE_B, 0, &info), 0);
	CHECK_EQ(info, PE_B);
	CHECK_EQ(gcai(PE_B | 0x3c, 0, &info), 0);
	CHECK_EQ(info, PE_B);
	/* not in a PE: -3 (PAPR §7.3.11.4), info untouched */
	CHECK_EQ(gcai(EMU, 0, &info), -3);
	CHECK_EQ(info, T_SENTINEL);
	CHECK_EQ(gcai(t_cfgaddr(0, 9, 0, 0), 0, &info), -3);
	CHECK_EQ(info, T_SENTINEL);
	/* function 1: 2 for several functions, 1 for one, 0 for none */
	CHECK_EQ(gcai(PE_A, 1, &info), 0);
	CHECK_EQ(info, 2);
	CHECK_EQ(gcai(A7, 1, &info), 0);
	CHECK_EQ(info, 2);
	CHECK_EQ(gcai(PE_B, 1, &info), 0);
	CHECK_EQ(info, 1);
	CHECK_EQ(gcai(EMU, 1, &info), 0);
	CHECK_EQ(info, 0);
	/* other functions: -3 */
	CHECK_EQ(gcai(PE_A, 2, &info), -3);
	CHECK_EQ(info, T_SENTINEL);
	CHECK_EQ(gcai(PE_B, 0xffffffffu, &info), -3);
	CHECK_EQ(info, T_SENTINEL);
	/* the host names the same PE address */
	CHECK_EQ(sphb_host_freeze(m, "a7", &pe), 0);
	CHECK_EQ(pe, PE_A);
	CHECK_EQ(sphb_host_freeze(m, "b", &pe), 0);
	CHECK_EQ(pe, PE_B);

	/* hot unplug: the PE address follows the lowest remaining function,
	 * the mode follows the function count */
	fresh();
	CHECK_EQ(sphb_machine_del(m, "a0"), 0);
	CHECK_EQ(gcai(A7, 0, &info), 0);
	CHECK_EQ(info, A1);
	CHECK_EQ(sphb_machine_del(m, "a1"), 0);
	CHECK_EQ(gcai(A7, 0, &info), 0);
	CHECK_EQ(info, A7);
	CHECK_EQ(gcai(A7, 1, &info), 0);
	CHECK_EQ(info, 1);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=1,id=a1x,iommu-group=1"), 0);
	CHECK_EQ(gcai(A7, 0, &info), 0);
	CHECK_EQ(info, 0x00000800u);
	CHECK_EQ(gcai(A7, 1, &info), 0);
	CHECK_EQ(info, 2);
	/* a single function of group 2 joined by a second one */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=6,id=b6,iommu-group=2"), 0);
	CHECK_EQ(gcai(t_cfgaddr(0, 6, 0, 0), 0, &info), 0);
	CHECK_EQ(info, PE_B);
	CHECK_EQ(gcai(PE_B, 1, &info), 0);
	CHECK_EQ(info, 2);
}

/* ---- calls addressed by the PE address or any function of the PE --------- */

static void test_any_function(void)
{
	fresh();
	CHECK_EQ(sphb_host_freeze(m, "a7", NULL), 0);
	CHECK_EQ(state(PE_A), 2);
	CHECK_EQ(state(A1), 2);
	CHECK_EQ(state(A7), 2);
	CHECK_EQ(state(A1 | 0x20), 2);
	CHECK_EQ(state(PE_B), 0);
	/* thaw MMIO through one function, DMA through another */
	CHECK_EQ(seo(A1, 2), 0);
	CHECK_EQ(state(PE_A), 4);
	CHECK_EQ(state(A7), 4);
	CHECK_EQ(seo(A7, 3), 0);
	CHECK_EQ(state(A1), 0);
	/* reset through 2.1, deactivate through the PE address */
	CHECK_EQ(ssr(A1, 1), 0);
	CHECK_EQ(state(A7), 1);
	CHECK_EQ(cfg_rd(PE_A, 0, 4), 0xffffffffu);
	CHECK_EQ(ssr(PE_A, 0), 0);
	CHECK_EQ(state(A1), 0);
	CHECK_EQ(cfg_rd(A7, 0, 4), 0x53481014u);
	/* configure-pe and enable through any function */
	{
		uint32_t a[3] = { A7, HI, LO }, r[1];
		CHECK_EQ(call("ibm,configure-pe", 3, 1, a, r), 0);
	}
	CHECK_EQ(seo(A7, 1), 0);
	CHECK_EQ(seo(A1, 0), 0);
	/* error detail through 2.1 makes the whole PE permanently unavailable */
	CHECK_EQ(sed(A1, 2), 0);
	CHECK_EQ(state(A7), 5);
	CHECK_EQ(state(PE_A), 5);
	CHECK_EQ(state(PE_B), 0);
	/* an address outside every PE: -3 for the PE calls */
	CHECK_EQ(seo(EMU, 1), -3);
	CHECK_EQ(ssr(EMU, 1), -3);
	CHECK_EQ(sed(EMU, 1), -3);
	{
		uint32_t a[3] = { EMU, HI, LO }, r[4];
		CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), -3);
		a[0] = t_cfgaddr(0, 9, 0, 0);
		CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), -3);
		CHECK_EQ(call("ibm,configure-pe", 3, 1, a, r), -3);
	}

	/* two-PE layout: any function of the PE addresses it (R1-7.3.11.3-4),
	 * an emulated or absent one does not */
	fresh_pair(S2);
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A | 0xff, 2), 0); /* register bits ignored */
	CHECK_EQ(pair_state(PE_A, NULL), 4);
	CHECK_EQ(call4("ibm,set-eeh-option", 0x2000, 3), -3);	  /* slot 4: nothing there */
	CHECK_EQ(pair_state(PE_A, NULL), 4);
}

/* ---- isolation -------------------------------------------------------------- */

static void program_bar(uint32_t cfg, const char *id, uint32_t bar, uint32_t val)
{
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg | 0x10, 4, bar), 0);
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg | 0x04, 2, 0x0006), 0);
	CHECK_EQ(sphb_mmio_write(m, id, 0, 0x10, 4, val), 0);
}

static uint64_t mmio(const char *id)
{
	uint64_t v = 0;
	CHECK_EQ(sphb_mmio_read(m, id, 0, 0x10, 4, &v), 0);
	return v;
}

static void b_untouched(const char *when)
{
	uint32_t st = state(PE_B);
	if (st != 0 || cfg_rd(PE_B, 0, 4) != 0x53481014u || cfg_rd(PE_B, 0x10, 4) != 0xa0000000u ||
	    cfg_rd(PE_B, 4, 2) != 0x0006 || mmio("b") != 0xb0b0b0b0u) {
		fprintf(stderr, "PE B changed after %s (state %u)\n", when, st);
		t_failures++;
	}
}

static void test_isolation(void)
{
	uint64_t t0;

	fresh();
	program_bar(PE_A, "a0", 0x90000000u, 0xa0a0a0a0u);
	program_bar(PE_B, "b", 0xa0000000u, 0xb0b0b0b0u);
	b_untouched("setup");
	CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
	CHECK_EQ(mmio("a0"), 0xffffffffu);
	CHECK_EQ(cfg_rd(PE_A, 0, 4), 0xffffffffu);
	b_untouched("freezing A");
	CHECK_EQ(seo(PE_A, 2), 0);
	CHECK_EQ(mmio("a0"), 0xa0a0a0a0u);
	b_untouched("thawing A's MMIO");
	CHECK_EQ(seo(PE_A, 3), 0);
	b_untouched("thawing A's DMA");
	t0 = sphb_clock_ms(m);
	CHECK_EQ(ssr(PE_A, 3), 0);
	CHECK_EQ(cfg_rd(A1, 0, 4), 0xffffffffu);	/* every function of A is in reset */
	b_untouched("resetting A");
	CHECK_EQ(ssr(PE_A, 0), 0);
	CHECK_EQ(sphb_clock_ms(m) - t0, 250 + 1800);
	CHECK_EQ(cfg_rd(PE_A, 0x10, 4), 0x90000000u);
	b_untouched("deactivating A's reset");
	CHECK_EQ(sed(PE_A, 1), 1);			/* A is healthy: no log */
	CHECK_EQ(sed(PE_A, 2), 0);
	b_untouched("making A permanently unavailable");
	/* the other way round: B frozen and reset, A (permanent) unchanged */
	CHECK_EQ(sphb_host_freeze(m, "b", NULL), 0);
	CHECK_EQ(state(PE_B), 2);
	CHECK_EQ(state(PE_A), 5);
	CHECK_EQ(mmio("b"), 0xffffffffu);
	CHECK_EQ(ssr(PE_B, 1), 0);
	CHECK_EQ(ssr(PE_B, 0), 0);
	CHECK_EQ(state(PE_B), 0);
	CHECK_EQ(cfg_rd(PE_B, 0x10, 4), 0xa0000000u);
	CHECK_EQ(state(PE_A), 5);
	CHECK_EQ(cfg_rd(A7, 0, 4), 0xffffffffu);
	/* the emulated function is in no PE and never affected */
	CHECK_EQ(cfg_rd(EMU, 0, 4), 0x53481014u);
}

/* ---- 5T and 5P --------------------------------------------------------------- */

static void test_unavailable(void)
{
	uint32_t info;

	fresh();
	CHECK_EQ(state_info(PE_A, &info), 0);
	/* 5 with info >= 1000 only while the host is busy above the PE */
	CHECK_EQ(sphb_host_busy(m, "a1", 5000), 0);
	CHECK_EQ(state_info(PE_A, &info), 5);
	CHECK(info >= 1000);
	CHECK_EQ(state(PE_B), 0);
	CHECK_EQ(sphb_clock_advance(m, 4500), 0);
	CHECK_EQ(state_info(A7, &info), 5);
	CHECK(info >= 1000);			/* never 0 (that would be permanent) */
	CHECK_EQ(sphb_clock_advance(m, 500), 0);
	CHECK_EQ(state_info(PE_A, &info), 0);	/* back to what it was */
	/* busy over a frozen PE: 5T, then 2 again */
	CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "a0", 300), 0);
	CHECK_EQ(state_info(PE_A, &info), 5);
	CHECK(info >= 1000);
	CHECK_EQ(seo(PE_A, 2), -7);
	CHECK_EQ(sphb_clock_advance(m, 300), 0);
	CHECK_EQ(state_info(PE_A, &info), 2);
	CHECK_EQ(seo(PE_A, 2), 0);
	CHECK_EQ(seo(PE_A, 3), 0);
	CHECK_EQ(state(PE_A), 0);

	/* 5 with info 0 after function 2 (R1-7.3.11.5-12), at any time later */
	CHECK_EQ(sed(A7, 2), 0);
	CHECK_EQ(state_info(PE_A, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(sphb_clock_advance(m, 3600000), 0);
	CHECK_EQ(state_info(A1, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(cfg_rd(PE_A, 0, 4), 0xffffffffu);
	CHECK_EQ(seo(PE_A, 1), 0);	/* the enable signal does not revive it */
	CHECK_EQ(state_info(PE_A, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(ssr(PE_A, 1), -7);
	CHECK_EQ(ssr(PE_A, 0), -7);
	CHECK_EQ(state_info(PE_A, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(state(PE_B), 0);
	/* cleared by a partition reboot only (R1-7.3.11.5-13) */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state_info(PE_A, &info), 0);
	CHECK_EQ(cfg_rd(PE_A, 0, 4), 0x53481014u);
	CHECK_EQ(sed(PE_A, 1), 1);	/* available again: no log (R1-7.3.11.5-8) */
	CHECK_EQ(state(PE_B), 0);

	/* a machine reset also thaws frozen PEs, every one of them */
	CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
	CHECK_EQ(sphb_host_freeze(m, "b", NULL), 0);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(PE_A), 0);
	CHECK_EQ(state(PE_B), 0);

	/* two-PE layout: 5T clears when the host is done; 5P only with a reset
	 * of the machine */
	fresh_pair(S5T);
	CHECK_EQ(sphb_clock_advance(m, 60000), 0);
	CHECK_EQ(pair_state(PE_A, NULL), 0);
	fresh_pair(S5P);
	CHECK_EQ(sphb_clock_advance(m, 3600000), 0);
	CHECK_EQ(pair_state(PE_A, NULL), 5);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(pair_state(PE_A, NULL), 0);
}

/* ---- set-eeh-option 0/1 and invalid options --------------------------------- */

/* set-eeh-option 0/1 obey Table 7-59 (R1-7.3.11-2): EEH is on by default
 * (R1-5.1-8), so 0 is a no-op and 1 only the driver's "EEH-aware" signal;
 * neither may take a stopped PE to state 0 (2 -> 0 is "not valid — must go
 * through 4 or 1", 4 -> 0 only by set-eeh-option 3). */
static void test_enable_disable(void)
{
	fresh();
	CHECK_EQ(seo(PE_A, 1), 0);
	CHECK_EQ(seo(PE_A, 0), 0);
	CHECK_EQ(state(PE_A), 0);
	CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
	CHECK_EQ(seo(PE_A, 1), 0);
	CHECK_EQ(state(PE_A), 2);
	CHECK_EQ(cfg_rd(PE_A, 0, 4), 0xffffffffu);
	CHECK_EQ(seo(A1, 0), 0);
	CHECK_EQ(state(PE_A), 2);
	CHECK_EQ(seo(PE_A, 2), 0);
	CHECK_EQ(seo(A7, 1), 0);
	CHECK_EQ(state(PE_A), 4);
	CHECK_EQ(seo(PE_A, 0), 0);
	CHECK_EQ(state(PE_A), 4);
	CHECK_EQ(seo(PE_A, 3), 0);
	CHECK_EQ(state(PE_A), 0);
	/* functions 4/5 (no slot-level EEH event interrupt) and others: -3 */
	CHECK_EQ(seo(PE_A, 4), -3);
	CHECK_EQ(seo(PE_A, 5), -3);
	CHECK_EQ(seo(PE_A, 0xffffffffu), -3);
	CHECK_EQ(state(PE_B), 0);

	/* two-PE layout, from state 2: other options -3, no change */
	fresh_pair(S2);
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A, 4), -3);
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A, 5), -3);
	CHECK_EQ(call4("ibm,set-slot-reset", PE_A, 2), -3);
	CHECK_EQ(pair_state(PE_A, NULL), 2);
}

int main(void)
{
	test_enable_disable();
	test_table_7_60();
	test_addressing();
	test_any_function();
	test_isolation();
	test_unavailable();
	if (m)
		t_free(m, &h);
	return t_result();
}
