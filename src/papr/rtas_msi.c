/* ibm,change-msi and ibm,query-interrupt-source-number (PAPR 7.3.10.5,
 * Tables 7-57 and 7-58; QEMU 7.2 hw/ppc/spapr_pci.c rtas_ibm_change_msi(),
 * rtas_ibm_query_interrupt_source_number()), with QEMU's bug B6 fixed
 * (allocations are keyed by bus/devfn, not the raw config address) and
 * functions 0 (query), 2 (back to the default) and 6 (32-bit MSI-X, Linux)
 * added. The numbers come from phb/irq.c; the messages are programmed into
 * the function through its kind (MSI: config writes; MSI-X: table writes).
 * SPDX-License-Identifier: MIT */
#include "internal.h"

static void program_none(struct sphb_phb *phb, struct sphb_func *f, unsigned type)
{
	/* QEMU resets an MSI message on release; MSI-X table entries are left
	 * as they were. The Multiple Message Enable this PHB set goes back to
	 * one vector. */
	if (f->msi_vectors && type == MSI_TYPE_MSI) {
		sphb_func_msi_program(f, 0, 0);
		if (!phb->msi_limit_enabled)
			sphb_func_msi_enable_vectors(f, 1);
	}
}

void sphb_rtas_change_msi(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	uint32_t cfg = rtas_arg(c, 0), func = rtas_arg(c, 3), req = rtas_arg(c, 4),
		 seq = rtas_arg(c, 5), first;
	struct sphb_phb *phb = sphb_phb_by_buid(m, rtas_buid(c));
	struct sphb_func *d = phb ? sphb_phb_func(phb, cfg_bus(cfg), cfg_devfn(cfg)) : NULL;
	uint64_t cur, addr = SPHB_MSI_WINDOW;
	unsigned type, max;
	int rc;

	/* QEMU validates neither nargs nor nret; missing args read as 0 here */
	if (!d) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	cur = atomic_load(&phb->msi[d->devfn]);
	switch (func) {
	case 0: /* query: what is assigned now (PAPR) */
		rtas_ret(c, 1, msi_count(cur));
		rtas_ret(c, 2, seq + 1);
		if (c->nret > 3)
			rtas_ret(c, 3, msi_type(cur));
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	case 2: /* back to the default number: none */
		program_none(phb, d, msi_type(cur));
		sphb_msi_release(phb, d->devfn);
		rtas_ret(c, 1, 0);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	case 1:
		type = d->msi_vectors ? MSI_TYPE_MSI : d->msix_vectors ? MSI_TYPE_MSIX : 0;
		break;
	case 3:
		type = d->msi_vectors ? MSI_TYPE_MSI : 0;
		break;
	case 4:
		type = d->msix_vectors ? MSI_TYPE_MSIX : 0;
		break;
	case 6: /* 32-bit MSI-X (Linux): the message address must fit 32 bits */
		type = d->msix_vectors ? MSI_TYPE_MSIX : 0;
		addr = SPHB_MSI32_WINDOW;
		if (!sphb_msi32_free(phb))
			type = 0;
		break;
	default:
		sphb_log(m, SPHB_LOG_WARN, "rtas_ibm_change_msi(%u) is not implemented", func);
		type = 0;
		break;
	}
	if (!type) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (req == 0) { /* release */
		if (!msi_count(cur)) {
			rtas_status(c, RTAS_OUT_HW_ERROR); /* "Releasing wrong config" */
			return;
		}
		program_none(phb, d, d->msi_vectors ? MSI_TYPE_MSI : 0);
		sphb_msi_release(phb, d->devfn);
		rtas_ret(c, 1, 0);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	/* MSI: QEMU 7.2 (msi_nr_vectors_allocated()) grants at most what
	 * Multiple Message Enable enables now, which a Linux guest never raises
	 * (pseries_msi_write_msg() leaves the device alone), so only one vector
	 * ever works there; by default sphb grants up to Multiple Message
	 * Capable and programs Multiple Message Enable itself (B7 in
	 * docs/qemu-differences.md) */
	if (type == MSI_TYPE_MSI) {
		max = d->msi_vectors;
		/* (an enable above Capable, which QEMU keeps while MSI is off,
		 * still grants no more than Capable) */
		if (phb->msi_limit_enabled && sphb_func_msi_enabled_vectors(d) < max)
			max = sphb_func_msi_enabled_vectors(d);
	} else
		max = d->msix_vectors;
	if (req > max) { /* ask again with this many; nothing allocated */
		rtas_ret(c, 1, max);
		rtas_ret(c, 2, seq + 1);
		if (c->nret > 3)
			rtas_ret(c, 3, type);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	/* as QEMU: allocate while the previous allocation is still held, then
	 * give the previous one up (so a failure leaves it intact) */
	rc = sphb_msi_alloc(phb, type, req, &first);
	if (rc) {
		if (rc != -ENOSPC)
			sphb_log(m, SPHB_LOG_WARN, "ibm,change-msi: no interrupt numbers for %u vectors: errno %d",
				 req, -rc);
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	sphb_msi_release(phb, d->devfn);
	atomic_store(&phb->msi[d->devfn], msi_pack(first, req, type));
	if (type == MSI_TYPE_MSI) {
		sphb_func_msi_program(d, addr, first);
		if (!phb->msi_limit_enabled)
			sphb_func_msi_enable_vectors(d, req);
	} else {
		for (unsigned v = 0; v < req; v++) {
			if (sphb_func_msix_program(d, v, addr, first + v) < 0) {
				sphb_msi_release(phb, d->devfn);
				rtas_status(c, RTAS_OUT_HW_ERROR);
				return;
			}
		}
	}
	rtas_ret(c, 1, req);
	rtas_ret(c, 2, seq + 1);
	if (c->nret > 3)
		rtas_ret(c, 3, type);
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_query_irq(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	uint32_t cfg = rtas_arg(c, 0), index = rtas_arg(c, 3);
	struct sphb_phb *phb = sphb_phb_by_buid(m, rtas_buid(c));
	struct sphb_func *d = phb ? sphb_phb_func(phb, cfg_bus(cfg), cfg_devfn(cfg)) : NULL;
	uint64_t cur;

	if (!d) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	cur = atomic_load(&phb->msi[d->devfn]);
	if (index >= msi_count(cur)) {
		rtas_status(c, RTAS_OUT_HW_ERROR); /* "Failed to return vector" */
		return;
	}
	rtas_ret(c, 1, msi_first(cur) + index);
	rtas_ret(c, 2, 1); /* edge */
	rtas_status(c, RTAS_OUT_SUCCESS);
}
