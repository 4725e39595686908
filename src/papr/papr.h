/* The PAPR layer: the RTAS entry and every PHB call, the TCE hypercalls and
 * the slot-error-detail log, on top of the PHB layer.
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_PAPR_H
#define SPHB_PAPR_H

#include "phb/phb.h"

/* ---- rtas.c ---- */
struct sphb_rtas_ctx {
	uint32_t token, nargs, nret;
	const uint32_t *args; /* host-endian copies */
	uint32_t rets[SPHB_RTAS_MAX_CELLS];
	uint64_t written; /* bit i: rets[i] stored */
};
static inline uint32_t rtas_arg(const struct sphb_rtas_ctx *c, unsigned i)
{
	return i < c->nargs ? c->args[i] : 0;
}
static inline void rtas_ret(struct sphb_rtas_ctx *c, unsigned i, uint32_t v)
{
	if (i < c->nret) {
		c->rets[i] = v;
		c->written |= 1ull << i;
	}
}
static inline void rtas_status(struct sphb_rtas_ctx *c, int32_t st)
{
	rtas_ret(c, 0, (uint32_t)st);
}
static inline uint64_t rtas_buid(const struct sphb_rtas_ctx *c)
{
	return (uint64_t)rtas_arg(c, 1) << 32 | rtas_arg(c, 2);
}

/* RTAS status words (PAPR 7.2.8, Table 7-4) */
#define RTAS_OUT_SUCCESS 0
#define RTAS_OUT_NO_ERRORS_FOUND 1
#define RTAS_OUT_HW_ERROR (-1)
#define RTAS_OUT_BUSY (-2)
#define RTAS_OUT_PARAM_ERROR (-3)
#define RTAS_OUT_NOT_SUPPORTED (-3)

typedef void sphb_rtas_fn(struct sphb_machine *m, struct sphb_rtas_ctx *c);

/* ---- rtas_pci.c ---- */
sphb_rtas_fn sphb_rtas_ibm_read_pci_config, sphb_rtas_ibm_write_pci_config,
	sphb_rtas_read_pci_config, sphb_rtas_write_pci_config;

/* ---- rtas_eeh.c, rtas_errinjct.c ---- */
sphb_rtas_fn sphb_rtas_set_eeh_option, sphb_rtas_get_config_addr_info2,
	sphb_rtas_read_slot_reset_state2, sphb_rtas_set_slot_reset,
	sphb_rtas_configure_pe, sphb_rtas_slot_error_detail;

/* eeh_log.c: the slot-error-detail log (docs/error-log.md); at most this
 * many bytes of the driver's buffer are copied into it. */
#define SPHB_EEH_LOG_DRV_MAX 1024u
int32_t sphb_eeh_error_detail(struct sphb_machine *m, struct sphb_phb *phb,
			      struct sphb_pe *pe, struct sphb_rtas_ctx *c);

/* rtas_errinjct.c: ibm,open-errinjct / ibm,errinjct / ibm,close-errinjct.
 * sphb_errinjct_tokens: the /rtas ibm,errinjct-tokens (name, value) pairs. */
sphb_rtas_fn sphb_rtas_open_errinjct, sphb_rtas_errinjct, sphb_rtas_close_errinjct;
struct sphb_errinjct_token {
	const char *name;
	uint32_t value;
};
#define SPHB_ERRINJCT_IOA_BUS_ERROR 0x7u
#define SPHB_ERRINJCT_IOA_BUS_ERROR_64 0xfu
#define SPHB_ERRINJCT_NTOKENS 2u
extern const struct sphb_errinjct_token sphb_errinjct_tokens[SPHB_ERRINJCT_NTOKENS];
/* Machine reset: the open session (if any) is closed. */
void sphb_errinjct_reset(struct sphb_machine *m);

/* ---- rtas_msi.c ---- */
sphb_rtas_fn sphb_rtas_change_msi, sphb_rtas_query_irq;

/* ---- rtas_ddw.c ---- */
sphb_rtas_fn sphb_rtas_query_pe_dma_window, sphb_rtas_create_pe_dma_window,
	sphb_rtas_remove_pe_dma_window, sphb_rtas_reset_pe_dma_window;

#endif
