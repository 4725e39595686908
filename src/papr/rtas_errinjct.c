/* The Error Injection option (PAPR 7.3.13, 5.4.2): one session at a time
 * machine-wide, and the ioa-bus-error(-64) classes forwarded to the host's
 * INJECT_ERR on the addressed PE. Not in any QEMU release; token values
 * follow the October 2025 qemu-devel RFC "ppc/spapr: Add support for RTAS PCI
 * error injection on pseries" (0x2030-0x2032, beyond QEMU's 0x202C).
 * Behaviour and buffer formats: docs/error-log.md "Error injection".
 * SPDX-License-Identifier: MIT */
#include "internal.h"

#define RTAS_OUT_ERRINJCT_SESSION (-4) /* already open / not the opener */

#define ERRINJCT_BUF_ALIGN 1024u
#define OP_DISABLE 20u		/* 0..19 inject (Table 7-75); 20 disable */
#define OP_READ_BACK 21u	/* read back the current setup */

const struct sphb_errinjct_token sphb_errinjct_tokens[SPHB_ERRINJCT_NTOKENS] = {
	{ "ioa-bus-error", SPHB_ERRINJCT_IOA_BUS_ERROR },
	{ "ioa-bus-error-64", SPHB_ERRINJCT_IOA_BUS_ERROR_64 },
};

void sphb_errinjct_reset(struct sphb_machine *m)
{
	m->errinjct_open = false;
}

void sphb_rtas_open_errinjct(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	/* outputs: Open Token, then Status (PAPR's one reversed call) */
	if (c->nargs != 0 || c->nret != 2) {
		rtas_ret(c, 0, 0);
		rtas_ret(c, 1, (uint32_t)RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (m->errinjct_open) {
		rtas_ret(c, 0, 0);
		rtas_ret(c, 1, (uint32_t)RTAS_OUT_ERRINJCT_SESSION);
		return;
	}
	/* a new token per session, never 0: a stale token stays invalid */
	m->errinjct_token++;
	if (m->errinjct_token == 0)
		m->errinjct_token = 1;
	m->errinjct_open = true;
	rtas_ret(c, 0, m->errinjct_token);
	rtas_ret(c, 1, RTAS_OUT_SUCCESS);
}

void sphb_rtas_close_errinjct(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	if (c->nargs != 1 || c->nret != 1) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (!m->errinjct_open || c->args[0] != m->errinjct_token) {
		rtas_status(c, RTAS_OUT_ERRINJCT_SESSION);
		return;
	}
	m->errinjct_open = false;
	rtas_status(c, RTAS_OUT_SUCCESS);
}

/* The PE that config_addr names on phb, or NULL ("-3").
 * shared: the PHB's one PE when EEH is available (the address is not
 * checked: Linux passes the PE address (bus << 16) | 1, which need not be a
 * function); per-group: the PE of the function at config_addr. */
static struct sphb_pe *target_pe(struct sphb_phb *phb, uint32_t cfg)
{
	if (!phb->per_group) {
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		return phb->shared_pe.group >= 0 ? &phb->shared_pe : NULL;
	}
	return sphb_eeh_pe_lookup(phb, cfg);
}

void sphb_rtas_errinjct(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	uint8_t buf[32];
	uint32_t w[8], nwords, etoken, pa, cfg, op;
	struct sphb_pe_err err;
	struct sphb_phb *phb;
	struct sphb_pe *pe;
	uint64_t buid;
	bool is64;
	int rc;

	if (c->nargs != 3 || c->nret != 1) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	etoken = c->args[0];
	pa = c->args[2];
	if (!m->errinjct_open || c->args[1] != m->errinjct_token) {
		rtas_status(c, RTAS_OUT_ERRINJCT_SESSION);
		return;
	}
	if (etoken == SPHB_ERRINJCT_IOA_BUS_ERROR)
		is64 = false;
	else if (etoken == SPHB_ERRINJCT_IOA_BUS_ERROR_64)
		is64 = true;
	else {
		rtas_status(c, RTAS_OUT_PARAM_ERROR); /* class not implemented */
		return;
	}
	if (pa % ERRINJCT_BUF_ALIGN) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	nwords = is64 ? 8 : 6;
	if (m->ops.mem_read(m->opaque, pa, buf, 4 * nwords)) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	for (uint32_t i = 0; i < nwords; i++)
		w[i] = get_be32(buf + 4 * i);
	if (is64) {
		err.addr = (uint64_t)w[0] << 32 | w[1];
		err.mask = (uint64_t)w[2] << 32 | w[3];
		cfg = w[4];
		buid = (uint64_t)w[5] << 32 | w[6];
		op = w[7];
	} else {
		err.addr = w[0];
		err.mask = w[1];
		cfg = w[2];
		buid = (uint64_t)w[3] << 32 | w[4];
		op = w[5];
	}
	if (op > OP_READ_BACK || !(phb = sphb_phb_by_buid(m, buid)) ||
	    !(pe = target_pe(phb, cfg))) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (op == OP_DISABLE) {
		/* errors are injected at once, one per call (R1-7.3.13-18):
		 * nothing stays armed, so there is nothing to disable */
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	if (op == OP_READ_BACK) {
		/* the current setup: nothing armed, reported as address 0,
		 * mask 0, the same target and operation 20 ("disabled") */
		for (uint32_t i = 0; i < (is64 ? 4u : 2u); i++)
			put_be32(buf + 4 * i, 0);
		put_be32(buf + 4 * (nwords - 1), OP_DISABLE);
		rtas_status(c, m->ops.mem_write(m->opaque, pa, buf, 4 * nwords) ?
			       RTAS_OUT_PARAM_ERROR : RTAS_OUT_SUCCESS);
		return;
	}
	err.type = is64 ? 1 : 0;
	err.func = op;
	rc = sphb_eeh_op(phb, pe, SPHB_PE_INJECT_ERR, &err);
	if (rc < 0) {
		sphb_log(m, SPHB_LOG_WARN,
			 "errinjct: PHB '%s' PE 0x%08x (group %d): inject %s operation %u failed: errno %d",
			 phb->id, phb->per_group ? pe->addr : sphb_shared_pe_addr(0), pe->group,
			 is64 ? "ioa-bus-error-64" : "ioa-bus-error", op, -rc);
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	rtas_status(c, RTAS_OUT_SUCCESS);
}
