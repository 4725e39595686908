/* Regression tests for bugs found after the features landed. */
#include "harness.h"

#define BUID1 (T_BUID0 + 1)
#define WORKBUF 0x200000u
#define LOGBUF 0x300000u

static uint32_t call(struct sphb_machine *m, struct t_host *h, const char *name,
		     uint32_t nargs, uint32_t nret, const uint32_t *args, uint32_t *rets)
{
	t_rtas_n(m, h, (uint32_t)t_token(name), nargs, nret, args, rets);
	return rets[0];
}

/* An injected error's type must not stick to a later, plain hardware freeze:
 * the log of the plain freeze says "internal device failure" (type 3). */
static void injected_type_does_not_stick(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		"sim-pci,bus=phb1.0,addr=2,id=a,iommu-group=1,pcie=on", NULL);
	uint32_t r[4], tok;
	const uint32_t pe = t_cfgaddr(0, 2, 0, 0);

	call(m, &h, "ibm,open-errinjct", 0, 2, NULL, r);
	tok = r[0];
	CHECK_EQ(r[1], 0);
	/* ioa-bus-error, operation 13: DMA read data parity */
	t_st32(&h, WORKBUF + 0, 0);
	t_st32(&h, WORKBUF + 4, 0);
	t_st32(&h, WORKBUF + 8, pe);
	t_st32(&h, WORKBUF + 12, (uint32_t)(BUID1 >> 32));
	t_st32(&h, WORKBUF + 16, (uint32_t)BUID1);
	t_st32(&h, WORKBUF + 20, 13);
	{
		uint32_t a[3] = { 7, tok, WORKBUF };
		CHECK_EQ(call(m, &h, "ibm,errinjct", 3, 1, a, r), 0);
	}
	{
		uint32_t a[1] = { tok };
		CHECK_EQ(call(m, &h, "ibm,close-errinjct", 1, 1, a, r), 0);
	}
	/* reset the PE back to normal */
	{
		uint32_t a[4] = { pe, (uint32_t)(BUID1 >> 32), (uint32_t)BUID1, 1 };
		CHECK_EQ(call(m, &h, "ibm,set-slot-reset", 4, 1, a, r), 0);
		a[3] = 0;
		CHECK_EQ(call(m, &h, "ibm,set-slot-reset", 4, 1, a, r), 0);
	}
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	{
		uint32_t a[8] = { pe, (uint32_t)(BUID1 >> 32), (uint32_t)BUID1, 0, 0, LOGBUF, 2048, 1 };
		CHECK_EQ(call(m, &h, "ibm,slot-error-detail", 8, 1, a, r), 0);
	}
	CHECK_EQ(h.ram[LOGBUF], 6);	/* version 6 */
	CHECK_EQ(h.ram[LOGBUF + 3], 3);	/* internal device failure, not data parity (5) */
	t_free(m, &h);
}

int main(void)
{
	injected_type_does_not_stick();
	return t_result();
}
