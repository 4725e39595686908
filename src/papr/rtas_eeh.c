/* The six EEH RTAS calls (PAPR 7.3.11, 7.3.12).
 * pe-mode=shared: QEMU 7.2-10.0 exactly (hw/ppc/spapr_pci.c
 * rtas_ibm_set_eeh_option() and neighbours, hw/ppc/spapr_pci_vfio.c).
 * pe-mode=per-group: one PE per IOMMU group, PAPR Table 7-60 statuses.
 * SPDX-License-Identifier: MIT */
#include "internal.h"

#define RTAS_OUT_STATE_CHANGE (-7) /* unexpected state change */

/* The common preamble: counts, PHB, and the PE the call addresses.
 * shared: EEH available iff the PHB's pass-through devices form exactly one
 * IOMMU group (re-evaluated on every call); per-group: the PE of cfg.
 * NULL means "answer -3". */
static struct sphb_pe *eeh_preamble(struct sphb_machine *m, struct sphb_rtas_ctx *c,
				    uint32_t nargs, uint32_t nret_min, uint32_t nret_max,
				    struct sphb_phb **phbp)
{
	struct sphb_phb *phb;

	if (c->nargs != nargs || c->nret < nret_min || c->nret > nret_max)
		return NULL;
	phb = sphb_phb_by_buid(m, rtas_buid(c));
	if (!phb)
		return NULL;
	*phbp = phb;
	if (!phb->per_group) {
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		return phb->shared_pe.group >= 0 ? &phb->shared_pe : NULL;
	}
	return sphb_eeh_pe_lookup(phb, c->args[0]);
}

static void backend_failed(struct sphb_machine *m, struct sphb_phb *phb,
			   const struct sphb_pe *pe, const char *what, int err)
{
	sphb_log(m, SPHB_LOG_WARN, "eeh: PHB '%s' PE 0x%08x (group %d): %s failed: errno %d",
		 phb->id, pe->addr, pe->group, what, -err);
}

/* Perform op; negative result -> log and return the status QEMU uses. */
static int32_t do_op(struct sphb_machine *m, struct sphb_phb *phb, struct sphb_pe *pe,
		     enum sphb_pe_op op, const char *what, int32_t fail_status)
{
	int rc = sphb_eeh_op(phb, pe, op, NULL);

	if (rc < 0) {
		backend_failed(m, phb, pe, what, rc);
		return fail_status;
	}
	return RTAS_OUT_SUCCESS;
}

/* A pass-through device sits directly on the bus named by cfg (QEMU >= 6.1). */
static bool bus_has_passthrough(const struct sphb_phb *phb, uint32_t cfg)
{
	if (((cfg >> 16) & 0xff) != 0)
		return false; /* only the root bus holds devices */
	for (unsigned i = 0; i < 256; i++)
		if (phb->devs[i] && phb->devs[i]->group)
			return true;
	return false;
}

void sphb_rtas_set_eeh_option(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_pe *pe = eeh_preamble(m, c, 4, 1, 1, &phb);
	uint32_t option = rtas_arg(c, 3), info;
	int st;

	if (!pe) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (!phb->per_group) {
		switch (option) {
		case 0:
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_DISABLE, "disable", RTAS_OUT_HW_ERROR));
			return;
		case 1:
			if (!bus_has_passthrough(phb, c->args[0])) {
				rtas_status(c, RTAS_OUT_PARAM_ERROR);
				return;
			}
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_ENABLE, "enable", RTAS_OUT_HW_ERROR));
			return;
		case 2:
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_UNFREEZE_IO, "thaw MMIO", RTAS_OUT_HW_ERROR));
			return;
		case 3:
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_UNFREEZE_DMA, "thaw DMA", RTAS_OUT_HW_ERROR));
			return;
		default:
			rtas_status(c, RTAS_OUT_PARAM_ERROR);
			return;
		}
	}
	/* per-group: PAPR Table 7-60 */
	switch (option) {
	case 0: /* EEH is always on for PCIe: a no-op */
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	case 1: /* the driver's "I am EEH-aware" (PAPR 7.3.11.1, Table 7-61) */
		/* R1-7.3.11-2 / Table 7-59: set-eeh-option may not take a stopped
		 * PE to state 0 (2 -> 0 is not valid, 4 -> 0 only by function 3),
		 * but the host's ENABLE thaws a frozen PE (Linux eeh_pe_set_option()
		 * -> eeh_pci_enable() after eeh_pe_change_owner()). EEH
		 * is on by default (R1-5.1-8), so on a stopped PE this is a no-op. */
		st = sphb_eeh_pe_state(phb, pe, &info);
		if (st < 0) {
			backend_failed(m, phb, pe, "get state", st);
			rtas_status(c, RTAS_OUT_HW_ERROR);
			return;
		}
		if (st == SPHB_PE_STATE_STOPPED || st == SPHB_PE_STATE_STOPPED_DMA) {
			rtas_status(c, RTAS_OUT_SUCCESS);
			return;
		}
		rtas_status(c, do_op(m, phb, pe, SPHB_PE_ENABLE, "enable", RTAS_OUT_HW_ERROR));
		return;
	case 2:
	case 3:
		st = sphb_eeh_pe_state(phb, pe, &info);
		if (st < 0) {
			backend_failed(m, phb, pe, "get state", st);
			rtas_status(c, RTAS_OUT_HW_ERROR);
		} else if (st == SPHB_PE_STATE_RESET || st == SPHB_PE_STATE_UNAVAIL) {
			rtas_status(c, RTAS_OUT_STATE_CHANGE);
		} else if (option == 2 && st == SPHB_PE_STATE_STOPPED) {
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_UNFREEZE_IO, "thaw MMIO", RTAS_OUT_HW_ERROR));
		} else if (option == 3 && st == SPHB_PE_STATE_STOPPED_DMA) {
			rtas_status(c, do_op(m, phb, pe, SPHB_PE_UNFREEZE_DMA, "thaw DMA", RTAS_OUT_HW_ERROR));
		} else if (option == 3 && st == SPHB_PE_STATE_STOPPED) {
			rtas_status(c, RTAS_OUT_STATE_CHANGE); /* must thaw MMIO first */
		} else {
			rtas_status(c, RTAS_OUT_PARAM_ERROR); /* not stopped: nothing to release */
		}
		return;
	default: /* 4/5: no slot-level EEH event interrupt */
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
}

void sphb_rtas_get_config_addr_info2(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb;
	struct sphb_func *d;
	uint32_t cfg = rtas_arg(c, 0);

	if (c->nargs != 4 || c->nret != 2 || !(phb = sphb_phb_by_buid(m, rtas_buid(c)))) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	d = sphb_phb_func(phb, cfg_bus(cfg), cfg_devfn(cfg));
	if (!phb->per_group) {
		if (sphb_eeh_shared_group(phb) < 0) {
			rtas_status(c, RTAS_OUT_PARAM_ERROR); /* availability first */
		} else if (c->args[3] == 0) {
			if (!d) {
				rtas_status(c, RTAS_OUT_PARAM_ERROR);
				return;
			}
			rtas_ret(c, 1, sphb_shared_pe_addr(d->bus));
			rtas_status(c, RTAS_OUT_SUCCESS);
		} else if (c->args[3] == 1) {
			rtas_ret(c, 1, 2); /* shared, whatever cfg says */
			rtas_status(c, RTAS_OUT_SUCCESS);
		} else {
			rtas_status(c, RTAS_OUT_PARAM_ERROR);
		}
		return;
	}
	if (!phb->npes || !d || c->args[3] > 1) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (c->args[3] == 1) {
		unsigned n = d->group ? d->group->nmembers : 0;
		rtas_ret(c, 1, n == 0 ? 0 : n == 1 ? 1 : 2);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	if (!d->group || !sphb_eeh_pe_of_func(d)) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR); /* not in a PE */
		return;
	}
	rtas_ret(c, 1, sphb_eeh_pe_of_func(d)->addr);
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_read_slot_reset_state2(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_pe *pe = eeh_preamble(m, c, 3, 4, 5, &phb);
	uint32_t info;
	int st;

	if (!pe) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	st = sphb_eeh_pe_state(phb, pe, &info);
	if (st < 0) {
		backend_failed(m, phb, pe, "get state", st);
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	rtas_ret(c, 1, (uint32_t)st);
	rtas_ret(c, 2, 1);	/* EEH supported */
	rtas_ret(c, 3, info);
	if (c->nret == 5)
		rtas_ret(c, 4, 0); /* no recovery info */
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_set_slot_reset(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_pe *pe = eeh_preamble(m, c, 4, 1, 1, &phb);
	uint32_t option = rtas_arg(c, 3), info;
	enum sphb_pe_op op;
	int st;

	if (!pe) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	switch (option) {
	case 0: op = SPHB_PE_RESET_DEACTIVATE; break;
	case 1: op = SPHB_PE_RESET_HOT; break;
	case 3: op = SPHB_PE_RESET_FUNDAMENTAL; break;
	default:
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (phb->per_group) {
		st = sphb_eeh_pe_state(phb, pe, &info);
		if (st < 0) {
			backend_failed(m, phb, pe, "get state", st);
			rtas_status(c, RTAS_OUT_HW_ERROR);
			return;
		}
		if (st == SPHB_PE_STATE_UNAVAIL) {
			rtas_status(c, RTAS_OUT_STATE_CHANGE);
			return;
		}
		if (option == 0 && st != SPHB_PE_STATE_RESET) {
			rtas_status(c, st == SPHB_PE_STATE_NORMAL ? RTAS_OUT_SUCCESS :
				    st == SPHB_PE_STATE_STOPPED ? RTAS_OUT_STATE_CHANGE :
				    RTAS_OUT_PARAM_ERROR);
			return;
		}
	}
	if (option != 0)
		sphb_eeh_msix_prereset(phb, pe);
	rtas_status(c, do_op(m, phb, pe, op, option ? "reset" : "reset deactivate",
			     RTAS_OUT_HW_ERROR));
}

void sphb_rtas_configure_pe(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_pe *pe = eeh_preamble(m, c, 3, 1, 1, &phb);

	if (!pe) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	rtas_status(c, do_op(m, phb, pe, SPHB_PE_CONFIGURE, "configure", RTAS_OUT_PARAM_ERROR));
}

void sphb_rtas_slot_error_detail(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	struct sphb_phb *phb = NULL;
	struct sphb_pe *pe = eeh_preamble(m, c, 8, 1, 1, &phb);
	uint32_t fn = rtas_arg(c, 7);

	if (!pe || (fn != 1 && fn != 2)) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (!phb->per_group && !phb->error_log) {
		/* QEMU: "We don't have error log yet" */
		rtas_status(c, RTAS_OUT_NO_ERRORS_FOUND);
		return;
	}
	rtas_status(c, sphb_eeh_error_detail(m, phb, pe, c));
}
