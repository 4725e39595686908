/* pe-mode=per-group: every cell of PAPR Table 7-60 (status and resulting
 * state, papr-spec.md C.7.3), with a neighbour PE that must never change. */
#include "harness.h"

#define BUID1 (T_BUID0 + 1)
#define HI ((uint32_t)(BUID1 >> 32))
#define LO ((uint32_t)BUID1)
#define PE_A 0x00001000u	/* bus 0 of PHB 1, slot 2: the lowest function of group 1 */
#define PE_B 0x00001800u	/* slot 3 */
#define LOG 0x300000u

enum { S0, S1, S2, S4, S5T, S5P, NSTATES };
static const char *const names[] = { "0", "1", "2", "4", "5T", "5P" };

static struct t_host h;
static struct sphb_machine *m;

static int32_t call4(const char *name, uint32_t cfg, uint32_t fn)
{
	uint32_t a[4] = { cfg, HI, LO, fn }, r[1];
	t_rtas_n(m, &h, (uint32_t)t_token(name), 4, 1, a, r);
	return (int32_t)r[0];
}

static uint32_t state(uint32_t cfg, uint32_t *info)
{
	uint32_t a[3] = { cfg, HI, LO }, r[4];
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[2], 1);
	if (info)
		*info = r[3];
	return r[1];
}

static void fresh(int s)
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
		uint32_t a[8] = { PE_A, HI, LO, 0, 0, LOG, 2048, 2 }, r[1];
		t_rtas_n(m, &h, (uint32_t)t_token("ibm,slot-error-detail"), 8, 1, a, r);
		CHECK_EQ(r[0], 0);
		break;
	}
	}
}

static const uint32_t state_of[NSTATES] = { 0, 1, 2, 4, 5, 5 };

struct cell { int32_t status; int result; };

static void row(const char *call, uint32_t fn, const struct cell *cells)
{
	for (int s = 0; s < NSTATES; s++) {
		uint32_t info, st;
		int32_t got;

		fresh(s);
		CHECK_EQ(state(PE_A, NULL), state_of[s]);
		got = call4(call, PE_A, fn);
		st = state(PE_A, &info);
		if (got != cells[s].status || st != state_of[cells[s].result]) {
			fprintf(stderr, "%s(%u) from state %s: status %d state %u, expected %d and %u\n",
				call, fn, names[s], got, st, cells[s].status, state_of[cells[s].result]);
			t_failures++;
		}
		if (st == 5)
			CHECK(cells[s].result == S5P ? info == 0 : info >= 1000);
		CHECK_EQ(state(PE_B, NULL), 0); /* the neighbour PE never moves */
	}
}

int main(void)
{
	/* columns: initial state 0, 1, 2, 4, 5T, 5P */
	static const struct cell thaw_mmio[] = {
		{ -3, S0 }, { -7, S1 }, { 0, S4 }, { -3, S4 }, { -7, S5T }, { -7, S5P } };
	static const struct cell thaw_dma[] = {
		{ -3, S0 }, { -7, S1 }, { -7, S2 }, { 0, S0 }, { -7, S5T }, { -7, S5P } };
	static const struct cell deactivate[] = {
		{ 0, S0 }, { 0, S0 }, { -7, S2 }, { -3, S4 }, { -7, S5T }, { -7, S5P } };
	static const struct cell activate[] = {
		{ 0, S1 }, { 0, S1 }, { 0, S1 }, { 0, S1 }, { -7, S5T }, { -7, S5P } };

	row("ibm,set-eeh-option", 2, thaw_mmio);
	row("ibm,set-eeh-option", 3, thaw_dma);
	row("ibm,set-slot-reset", 0, deactivate);
	row("ibm,set-slot-reset", 1, activate);
	row("ibm,set-slot-reset", 3, activate);

	/* other options: -3, no change */
	fresh(S2);
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A, 4), -3);
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A, 5), -3);
	CHECK_EQ(call4("ibm,set-slot-reset", PE_A, 2), -3);
	CHECK_EQ(state(PE_A, NULL), 2);
	/* any function of the PE addresses it (R1-7.3.11.3-4), an emulated or absent one does not */
	CHECK_EQ(call4("ibm,set-eeh-option", PE_A | 0xff, 2), 0); /* register bits ignored */
	CHECK_EQ(state(PE_A, NULL), 4);
	CHECK_EQ(call4("ibm,set-eeh-option", 0x2000, 3), -3);	  /* slot 4: nothing there */
	CHECK_EQ(state(PE_A, NULL), 4);
	/* 5T clears when the host is done; 5P only with a reset of the machine */
	fresh(S5T);
	CHECK_EQ(sphb_clock_advance(m, 60000), 0);
	CHECK_EQ(state(PE_A, NULL), 0);
	fresh(S5P);
	CHECK_EQ(sphb_clock_advance(m, 3600000), 0);
	CHECK_EQ(state(PE_A, NULL), 5);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(PE_A, NULL), 0);
	t_free(m, &h);
	return t_result();
}
