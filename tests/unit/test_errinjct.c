/* ibm,open-errinjct / ibm,errinjct / ibm,close-errinjct (PAPR §7.3.13;
 * docs/error-log.md "Error injection"). White-box where the backend's own
 * error paths cannot be reached through RTAS. SPDX-License-Identifier: MIT */
#include "harness.h"

#include "../../src/internal.h"
#include "../../src/host/host.h"

#define BUID1 0x0800000020000001ull
#define WB 0x200000u /* 1 KiB aligned work buffer */

static uint32_t tok_open, tok_inj, tok_close, tok_state;

static struct sphb_machine *machine(struct t_host *h)
{
	return t_machine(h,
			 "spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
			 "sim-pci,bus=phb1.0,addr=2,id=a,iommu-group=1,pcie=on,msi=1,bar0=mem32:0x1000",
			 "sim-pci,bus=phb1.0,addr=3,id=b,iommu-group=2,pcie=on,msi=1,bar0=mem32:0x1000",
			 "sim-pci,bus=phb1.0,addr=4,id=emu,pcie=on",
			 (const char *)NULL);
}

static uint32_t do_open(struct sphb_machine *m, struct t_host *h, int32_t *st)
{
	uint32_t r[2];

	t_rtas_n(m, h, tok_open, 0, 2, NULL, r);
	*st = (int32_t)r[1];
	return r[0];
}

static int32_t do_close(struct sphb_machine *m, struct t_host *h, uint32_t tok)
{
	uint32_t a[1] = { tok }, r[1];

	t_rtas_n(m, h, tok_close, 1, 1, a, r);
	return (int32_t)r[0];
}

static int32_t do_inj(struct sphb_machine *m, struct t_host *h, uint32_t etok, uint32_t otok,
		      uint32_t pa)
{
	uint32_t a[3] = { etok, otok, pa }, r[1];

	t_rtas_n(m, h, tok_inj, 3, 1, a, r);
	return (int32_t)r[0];
}

static void wb32(struct t_host *h, uint32_t pa, uint32_t addr, uint32_t mask, uint32_t cfg,
		 uint64_t buid, uint32_t op)
{
	t_st32(h, pa, addr);
	t_st32(h, pa + 4, mask);
	t_st32(h, pa + 8, cfg);
	t_st32(h, pa + 12, (uint32_t)(buid >> 32));
	t_st32(h, pa + 16, (uint32_t)buid);
	t_st32(h, pa + 20, op);
}

static void wb64(struct t_host *h, uint32_t pa, uint64_t addr, uint64_t mask, uint32_t cfg,
		 uint64_t buid, uint32_t op)
{
	t_st32(h, pa, (uint32_t)(addr >> 32));
	t_st32(h, pa + 4, (uint32_t)addr);
	t_st32(h, pa + 8, (uint32_t)(mask >> 32));
	t_st32(h, pa + 12, (uint32_t)mask);
	t_st32(h, pa + 16, cfg);
	t_st32(h, pa + 20, (uint32_t)(buid >> 32));
	t_st32(h, pa + 24, (uint32_t)buid);
	t_st32(h, pa + 28, op);
}

/* read-slot-reset-state2: the PE state, or -1000 - status */
static int pe_state(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t cfg)
{
	uint32_t a[3] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid }, r[4];

	t_rtas_n(m, h, tok_state, 3, 4, a, r);
	return r[0] ? -1000 - (int)(int32_t)r[0] : (int)r[1];
}

static void test_tokens(void)
{
	uint32_t na, nr;

	CHECK_EQ(tok_open, 0x2030);
	CHECK_EQ(tok_inj, 0x2031);
	CHECK_EQ(tok_close, 0x2032);
	CHECK_EQ(sphb_rtas_counts(tok_open, &na, &nr), 0);
	CHECK_EQ(na, 0);
	CHECK_EQ(nr, 2);
	CHECK_EQ(sphb_rtas_counts(tok_inj, &na, &nr), 0);
	CHECK_EQ(na, 3);
	CHECK_EQ(nr, 1);
	CHECK_EQ(sphb_rtas_counts(tok_close, &na, &nr), 0);
	CHECK_EQ(na, 1);
	CHECK_EQ(nr, 1);
	CHECK(!strcmp(sphb_rtas_name(0x2031), "ibm,errinjct"));
	/* the ibm,errinjct-tokens table */
	CHECK_EQ(SPHB_ERRINJCT_NTOKENS, 2);
	CHECK(!strcmp(sphb_errinjct_tokens[0].name, "ioa-bus-error"));
	CHECK_EQ(sphb_errinjct_tokens[0].value, 7);
	CHECK(!strcmp(sphb_errinjct_tokens[1].name, "ioa-bus-error-64"));
	CHECK_EQ(sphb_errinjct_tokens[1].value, 0xf);
}

static void test_session(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t t1, t2, t3, r[2], a[1] = { 0 };
	int32_t st;

	/* errinjct and close before any open */
	wb32(&h, WB, 0, 0, t_cfgaddr(0, 2, 0, 0), BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, 0, WB), -4);
	CHECK_EQ(do_inj(m, &h, 7, 1, WB), -4);
	CHECK_EQ(do_close(m, &h, 0), -4);
	CHECK_EQ(do_close(m, &h, 1), -4);
	CHECK_EQ(pe_state(m, &h, BUID1, t_cfgaddr(0, 2, 0, 0)), 0);

	/* open: (Open Token, Status) in that order */
	t1 = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	CHECK(t1 != 0 && t1 != T_SENTINEL);
	/* a second open while open: token 0, status -4 */
	t2 = do_open(m, &h, &st);
	CHECK_EQ(t2, 0);
	CHECK_EQ(st, -4);
	/* wrong token: -4, the session stays with its owner */
	CHECK_EQ(do_close(m, &h, t1 + 1), -4);
	CHECK_EQ(do_close(m, &h, 0), -4);
	CHECK_EQ(do_inj(m, &h, 7, t1 + 1, WB), -4);
	CHECK_EQ(pe_state(m, &h, BUID1, t_cfgaddr(0, 2, 0, 0)), 0);
	CHECK_EQ(do_close(m, &h, t1), 0);
	CHECK_EQ(do_close(m, &h, t1), -4); /* not open any more */
	CHECK_EQ(do_inj(m, &h, 7, t1, WB), -4);
	CHECK_EQ(pe_state(m, &h, BUID1, t_cfgaddr(0, 2, 0, 0)), 0);

	/* a new session has a new token; the stale one is refused */
	t3 = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	CHECK(t3 != 0 && t3 != t1);
	CHECK_EQ(do_inj(m, &h, 7, t1, WB), -4);
	CHECK_EQ(do_close(m, &h, t1), -4);

	/* machine reset closes the session */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(do_inj(m, &h, 7, t3, WB), -4);
	CHECK_EQ(do_close(m, &h, t3), -4);
	t1 = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	CHECK(t1 != 0);
	CHECK_EQ(do_close(m, &h, t1), 0);

	/* wrong counts: -3 in the status output, no session */
	t_rtas_n(m, &h, tok_open, 1, 2, a, r);
	CHECK_EQ((int32_t)r[1], -3);
	CHECK_EQ(r[0], 0);
	t1 = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	t_rtas_n(m, &h, tok_close, 1, 2, &t1, r);
	CHECK_EQ((int32_t)r[0], -3);
	{
		uint32_t a4[4] = { 7, t1, WB, 0 };
		t_rtas_n(m, &h, tok_inj, 4, 1, a4, r);
		CHECK_EQ((int32_t)r[0], -3);
	}
	CHECK_EQ(do_close(m, &h, t1), 0);
	t_free(m, &h);
}

static void test_arguments(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t ot, cfg_a = t_cfgaddr(0, 2, 0, 0);
	int32_t st;

	ot = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	/* unknown errinjct tokens (classes this platform does not implement) */
	wb32(&h, WB, 0, 0, cfg_a, BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 0, ot, WB), -3);
	CHECK_EQ(do_inj(m, &h, 1, ot, WB), -3);
	CHECK_EQ(do_inj(m, &h, 8, ot, WB), -3);
	CHECK_EQ(do_inj(m, &h, 0x10, ot, WB), -3);
	CHECK_EQ(do_inj(m, &h, 0xffffffffu, ot, WB), -3);
	/* the work buffer must be 1 KiB aligned */
	wb32(&h, WB + 4, 0, 0, cfg_a, BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB + 4), -3);
	wb32(&h, WB + 512, 0, 0, cfg_a, BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB + 512), -3);
	/* ... and readable */
	CHECK_EQ(do_inj(m, &h, 7, ot, 0xfffffc00u), -3);
	CHECK_EQ(do_inj(m, &h, 0xf, ot, (uint32_t)T_RAM_SIZE), -3);
	/* BUID names no PHB */
	wb32(&h, WB, 0, 0, cfg_a, BUID1 + 5, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb32(&h, WB, 0, 0, cfg_a, 0, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb64(&h, WB, 0, 0, cfg_a, BUID1 + 1, 0);
	CHECK_EQ(do_inj(m, &h, 0xf, ot, WB), -3);
	/* config_addr names no PE on that PHB: empty slot, emulated function,
	 * another bus */
	wb32(&h, WB, 0, 0, t_cfgaddr(0, 7, 0, 0), BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb32(&h, WB, 0, 0, t_cfgaddr(0, 4, 0, 0), BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb32(&h, WB, 0, 0, t_cfgaddr(1, 2, 0, 0), BUID1, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	/* the default PHB has no pass-through function: EEH unavailable */
	wb32(&h, WB, 0, 0, 1, T_BUID0, 0);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	/* operations above 21 */
	wb32(&h, WB, 0, 0, cfg_a, BUID1, 22);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb32(&h, WB, 0, 0, cfg_a, BUID1, 0xffffffffu);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), -3);
	wb64(&h, WB, 0, 0, cfg_a, BUID1, 22);
	CHECK_EQ(do_inj(m, &h, 0xf, ot, WB), -3);
	/* nothing was injected by any of these */
	CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, t_cfgaddr(0, 3, 0, 0)), 0);
	CHECK_EQ(do_close(m, &h, ot), 0);
	t_free(m, &h);
}

static void test_operations(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t ot, v, cfg_a = t_cfgaddr(0, 2, 0, 0), cfg_b = t_cfgaddr(0, 3, 0, 0);
	const struct sphb_sim_group *g;
	int32_t st;

	for (uint32_t op = 0; op <= 21; op++) {
		for (int is64 = 0; is64 <= 1; is64++) {
			uint64_t addr = is64 ? 0x8000000012345600ull + op * 8 : 0x80001000u + op * 4;

			CHECK_EQ(sphb_machine_reset(m), 0);
			ot = do_open(m, &h, &st);
			CHECK_EQ(st, 0);
			if (is64)
				wb64(&h, WB, addr, 0xffffffffffffff00ull, cfg_a, BUID1, op);
			else
				wb32(&h, WB, (uint32_t)addr, 0xffffff, cfg_a, BUID1, op);
			CHECK_EQ(do_inj(m, &h, is64 ? 0xf : 7, ot, WB), 0);
			g = sphb_sim_group(m, 1, false);
			CHECK(g != NULL);
			if (op <= 19) {
				/* the PE froze: state 2, config loads all-ones */
				CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 2);
				CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg_a, 4, &v), 0);
				CHECK_EQ(v, 0xffffffffu);
				CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg_a | PCI_COMMAND, 2, &v), 0);
				CHECK_EQ(v, 0xffff);
				if (g) {
					CHECK(g->err_injected);
					CHECK_EQ(g->last_err_func, op);
					CHECK_EQ(g->last_err_addr, addr);
				}
				/* the buffer is not written back */
				CHECK_EQ(t_ld32(&h, WB + (is64 ? 28 : 20)), op);
			} else {
				/* 20 (disable) and 21 (read back): nothing injected */
				CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 0);
				CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg_a, 4, &v), 0);
				CHECK_EQ(v, 0x53481014u);
				if (op == 21 && !is64) {
					CHECK_EQ(t_ld32(&h, WB), 0);
					CHECK_EQ(t_ld32(&h, WB + 4), 0);
					CHECK_EQ(t_ld32(&h, WB + 8), cfg_a);
					CHECK_EQ(t_ld32(&h, WB + 12), BUID1 >> 32);
					CHECK_EQ(t_ld32(&h, WB + 16), (uint32_t)BUID1);
					CHECK_EQ(t_ld32(&h, WB + 20), 20);
				} else if (op == 21) {
					for (unsigned i = 0; i < 4; i++)
						CHECK_EQ(t_ld32(&h, WB + 4 * i), 0);
					CHECK_EQ(t_ld32(&h, WB + 16), cfg_a);
					CHECK_EQ(t_ld32(&h, WB + 20), BUID1 >> 32);
					CHECK_EQ(t_ld32(&h, WB + 24), (uint32_t)BUID1);
					CHECK_EQ(t_ld32(&h, WB + 28), 20);
				} else {
					CHECK_EQ(t_ld32(&h, WB + (is64 ? 28 : 20)), 20);
				}
			}
			/* the neighbour PE (another IOMMU group) stays normal */
			CHECK_EQ(pe_state(m, &h, BUID1, cfg_b), 0);
			CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg_b, 4, &v), 0);
			CHECK_EQ(v, 0x53481014u);
			CHECK_EQ(do_close(m, &h, ot), 0);
		}
	}
	/* the PE address and any function of the PE both name it; inject into b */
	CHECK_EQ(sphb_machine_reset(m), 0);
	ot = do_open(m, &h, &st);
	wb32(&h, WB, 0, 0, cfg_b | 0x10, BUID1, 1); /* register bits ignored */
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg_b), 2);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 0);
	/* a second injection into a frozen PE is still accepted (one per call) */
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg_b), 2);
	CHECK_EQ(do_close(m, &h, ot), 0);
	t_free(m, &h);
}

static void test_shared(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"sim-pci,bus=pci.0,addr=2,id=c,iommu-group=3,pcie=on,msi=1", (const char *)NULL);
	uint32_t ot, v;
	int32_t st;

	ot = do_open(m, &h, &st);
	CHECK_EQ(st, 0);
	/* shared mode: the PE address (bus << 16) | 1 names the PHB's PE */
	wb32(&h, WB, 0x1000, 0xfffff0, 1, T_BUID0, 4);
	CHECK_EQ(do_inj(m, &h, 7, ot, WB), 0);
	CHECK_EQ(pe_state(m, &h, T_BUID0, 1), 2);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0), 4, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	CHECK_EQ(do_close(m, &h, ot), 0);
	t_free(m, &h);
}

static void test_backend_errors(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	struct sphb_phb *phb = m->phbs[1];
	struct sphb_pe *pe;
	struct sphb_sim_group *g;
	struct sphb_pe_err err = { 0, 0, 0x1000, 0xffffff };
	uint32_t ot, cfg_a = t_cfgaddr(0, 2, 0, 0);
	unsigned nlogs;
	int32_t st;

	CHECK(phb != NULL);
	if (!phb) {
		t_free(m, &h);
		return;
	}
	pe = sphb_eeh_pe_lookup(phb, cfg_a);
	CHECK(pe != NULL);
	/* the host's checks: type > 1 -ERANGE, function > 19 -EINVAL; no freeze */
	err.type = 2;
	CHECK_EQ(sphb_eeh_op(phb, pe, SPHB_PE_INJECT_ERR, &err), -ERANGE);
	err.type = 1;
	err.func = 20;
	CHECK_EQ(sphb_eeh_op(phb, pe, SPHB_PE_INJECT_ERR, &err), -EINVAL);
	CHECK_EQ(sphb_eeh_op(phb, pe, SPHB_PE_INJECT_ERR, NULL), -EINVAL);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 0);

	/* a failing host op -> -1, logged once */
	g = sphb_sim_group(m, 1, false);
	CHECK(g != NULL);
	if (g) {
		unsigned saved = g->g.nmembers;

		ot = do_open(m, &h, &st);
		CHECK_EQ(st, 0);
		g->g.nmembers = 0; /* the host lost the group: INJECT_ERR -ENODEV */
		wb32(&h, WB, 0, 0, cfg_a, BUID1, 0);
		nlogs = h.nlogs;
		CHECK_EQ(do_inj(m, &h, 7, ot, WB), -1);
		CHECK_EQ(h.nlogs, nlogs + 1);
		CHECK(strstr(h.last_log, "errinjct") != NULL);
		wb64(&h, WB, 0, 0, cfg_a, BUID1, 0);
		CHECK_EQ(do_inj(m, &h, 0xf, ot, WB), -1);
		CHECK_EQ(h.nlogs, nlogs + 2);
		g->g.nmembers = saved;
		/* the session survives a failed injection */
		wb32(&h, WB, 0, 0, cfg_a, BUID1, 0);
		CHECK_EQ(do_inj(m, &h, 7, ot, WB), 0);
		CHECK_EQ(pe_state(m, &h, BUID1, cfg_a), 2);
		CHECK_EQ(do_close(m, &h, ot), 0);
	}
	t_free(m, &h);
}

int main(void)
{
	tok_open = (uint32_t)t_token("ibm,open-errinjct");
	tok_inj = (uint32_t)t_token("ibm,errinjct");
	tok_close = (uint32_t)t_token("ibm,close-errinjct");
	tok_state = (uint32_t)t_token("ibm,read-slot-reset-state2");
	test_tokens();
	test_session();
	test_arguments();
	test_operations();
	test_shared();
	test_backend_errors();
	return t_result();
}
