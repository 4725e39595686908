/* MSI and LSI: ibm,change-msi and ibm,query-interrupt-source-number
 * (qemu-spapr-phb.md §4.2, §6.4, §6.5; papr-spec.md C.10), the machine-wide
 * MSI pool, message programming in the device, MSI delivery and the PHB's
 * four level-triggered LSIs. SPDX-License-Identifier: MIT */
#include <string.h>

#include "internal.h"

#define MSI_TYPE_MSI 1
#define MSI_TYPE_MSIX 2
#define PCI_COMMAND_INTX_DISABLE 0x0400

/* ---- the pool ---- */

static bool pool_used(const struct sphb_machine *m, unsigned i)
{
	return m->msi_used[i / 64] >> (i % 64) & 1;
}

static void pool_mark(struct sphb_machine *m, unsigned first, unsigned n, bool used)
{
	for (unsigned i = first; i < first + n; i++) {
		if (used)
			m->msi_used[i / 64] |= 1ull << (i % 64);
		else
			m->msi_used[i / 64] &= ~(1ull << (i % 64));
	}
}

/* First fit with `align` a power of two; returns the index or -1. */
static int pool_alloc(struct sphb_machine *m, unsigned n, unsigned align)
{
	for (unsigned i = 0; i + n <= SPHB_MSI_COUNT; i += align) {
		unsigned j;
		for (j = 0; j < n && !pool_used(m, i + j); j++)
			;
		if (j == n) {
			pool_mark(m, i, n, true);
			return (int)i;
		}
	}
	return -1;
}

static unsigned pow2_ceil(unsigned v)
{
	unsigned p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

/* B5 fixed: an MSI block is aligned (in the pool) to its power-of-two size;
 * MSI-X keeps QEMU's 2-alignment so first IRQ numbers match QEMU's. */
unsigned sphb_msi_align(unsigned type, unsigned n)
{
	return type == MSI_TYPE_MSI ? pow2_ceil(n) : 2;
}

/* ---- the device's message registers ---- */

static uint16_t cfg16(const struct sphb_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned msi_data_off(const struct sphb_dev *d)
{
	return d->msi_cap + ((cfg16(d, d->msi_cap + 2u) & 0x80) ? 0xcu : 0x8u);
}

static void msi_program(struct sphb_dev *d, uint64_t addr, uint32_t data)
{
	put32(&d->cfg[d->msi_cap + 4], (uint32_t)addr);
	if (cfg16(d, d->msi_cap + 2u) & 0x80)
		put32(&d->cfg[d->msi_cap + 8], (uint32_t)(addr >> 32));
	d->cfg[msi_data_off(d)] = (uint8_t)data;
	d->cfg[msi_data_off(d) + 1] = (uint8_t)(data >> 8);
}

static bool msix_program(struct sphb_dev *d, unsigned count, uint64_t addr, uint32_t first)
{
	for (unsigned v = 0; v < count; v++) {
		uint8_t *e = sphb_dev_msix_entry(d, v);
		if (!e)
			return false;
		put32(e, (uint32_t)addr);
		put32(e + 4, (uint32_t)(addr >> 32));
		put32(e + 8, first + v);
	}
	return true;
}

static void release(struct sphb_phb *phb, unsigned devfn)
{
	struct sphb_machine *m = phb->m;

	if (phb->msi[devfn].count)
		pool_mark(m, phb->msi[devfn].first - SPHB_MSI_FIRST, phb->msi[devfn].count, false);
	memset(&phb->msi[devfn], 0, sizeof(phb->msi[devfn]));
}

void sphb_msi_phb_reset(struct sphb_phb *phb)
{
	for (unsigned i = 0; i < 256; i++)
		release(phb, i);
	/* lsi_count is left alone: it always equals the devices counted on each
	 * line (intx_counted), and those were reset before the PHB */
}

void sphb_msi_dev_gone(struct sphb_dev *d)
{
	release(d->phb, d->devfn);
	d->intx = false;
	sphb_lsi_update(d);
}

/* ---- ibm,change-msi ---- */

/* The 32-bit MSI window (function 6) is the last 4 KiB page below the 32-bit
 * MMIO window (bus 0x80000000), above QEMU's default DMA window [0, 1 GiB).
 * It is refused while the configured default window (dma_win_addr/size) or
 * any window in place (e.g. a DDW created at bus address 0) covers it, so
 * that no DMA address aliases it. */
static bool msi32_free(const struct sphb_phb *phb)
{
	if (phb->dma_win_addr < (uint64_t)SPHB_MSI32_WINDOW + 0x1000 &&
	    SPHB_MSI32_WINDOW < phb->dma_win_addr + phb->dma_win_size)
		return false;
	for (unsigned w = 0; w < 2; w++) {
		const struct sphb_tce_table *t = atomic_load(&phb->win[w]);
		if (t && sphb_tce_index(t, SPHB_MSI32_WINDOW) >= 0)
			return false;
	}
	return true;
}

void sphb_rtas_change_msi(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	uint32_t cfg = rtas_arg(c, 0), func = rtas_arg(c, 3), req = rtas_arg(c, 4),
		 seq = rtas_arg(c, 5);
	struct sphb_phb *phb = sphb_phb_by_buid(m, rtas_buid(c));
	struct sphb_dev *d = phb ? sphb_phb_dev(phb, (cfg >> 16) & 0xff, (cfg >> 8) & 0xff) : NULL;
	unsigned type, max, align;
	uint64_t addr = SPHB_MSI_WINDOW;
	int idx;

	/* QEMU validates neither nargs nor nret; missing args read as 0 here */
	if (!d) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	switch (func) {
	case 0: /* query: what is assigned now (PAPR) */
		rtas_ret(c, 1, phb->msi[d->devfn].count);
		rtas_ret(c, 2, seq + 1);
		if (c->nret > 3)
			rtas_ret(c, 3, phb->msi[d->devfn].type);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	case 2: /* back to the default number: none */
		if (d->msi_vectors && phb->msi[d->devfn].type == MSI_TYPE_MSI)
			msi_program(d, 0, 0);
		release(phb, d->devfn);
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
		if (!msi32_free(phb))
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
		if (!phb->msi[d->devfn].count) {
			rtas_status(c, RTAS_OUT_HW_ERROR); /* "Releasing wrong config" */
			return;
		}
		if (d->msi_vectors)
			msi_program(d, 0, 0); /* MSI-X table entries are left as they were (QEMU) */
		release(phb, d->devfn);
		rtas_ret(c, 1, 0);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	max = type == MSI_TYPE_MSI ? d->msi_vectors : d->msix_vectors;
	if (max == 0) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	if (req > max) { /* ask again with this many; nothing allocated */
		rtas_ret(c, 1, max);
		rtas_ret(c, 2, seq + 1);
		if (c->nret > 3)
			rtas_ret(c, 3, type);
		rtas_status(c, RTAS_OUT_SUCCESS);
		return;
	}
	align = sphb_msi_align(type, req);
	/* as QEMU: allocate while the previous allocation is still held, then
	 * give the previous one up (so a failure leaves it intact) */
	idx = pool_alloc(m, req, align);
	if (idx < 0) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	release(phb, d->devfn);
	if (type == MSI_TYPE_MSI) {
		msi_program(d, addr, SPHB_MSI_FIRST + (uint32_t)idx);
	} else if (!msix_program(d, req, addr, SPHB_MSI_FIRST + (uint32_t)idx)) {
		pool_mark(m, (unsigned)idx, req, false);
		memset(&phb->msi[d->devfn], 0, sizeof(phb->msi[d->devfn]));
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	phb->msi[d->devfn].first = SPHB_MSI_FIRST + (uint32_t)idx;
	phb->msi[d->devfn].count = (uint16_t)req;
	phb->msi[d->devfn].type = (uint8_t)type;
	rtas_ret(c, 1, req);
	rtas_ret(c, 2, seq + 1);
	if (c->nret > 3)
		rtas_ret(c, 3, type);
	rtas_status(c, RTAS_OUT_SUCCESS);
}

/* ---- ibm,query-interrupt-source-number ---- */

void sphb_rtas_query_irq(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	uint32_t cfg = rtas_arg(c, 0), index = rtas_arg(c, 3);
	struct sphb_phb *phb = sphb_phb_by_buid(m, rtas_buid(c));
	struct sphb_dev *d = phb ? sphb_phb_dev(phb, (cfg >> 16) & 0xff, (cfg >> 8) & 0xff) : NULL;

	if (!d) {
		rtas_status(c, RTAS_OUT_PARAM_ERROR);
		return;
	}
	if (index >= phb->msi[d->devfn].count) {
		rtas_status(c, RTAS_OUT_HW_ERROR); /* "Failed to return vector" */
		return;
	}
	rtas_ret(c, 1, phb->msi[d->devfn].first + index);
	rtas_ret(c, 2, 1); /* edge */
	rtas_status(c, RTAS_OUT_SUCCESS);
}

/* ---- delivery ---- */

static int deliver(struct sphb_machine *m, uint64_t addr, uint32_t data)
{
	if (addr != SPHB_MSI_WINDOW && addr != SPHB_MSI32_WINDOW)
		return -ERANGE; /* not aimed at the PHB's MSI window */
	if (data < SPHB_MSI_FIRST || data >= SPHB_MSI_FIRST + SPHB_MSI_COUNT)
		return -ERANGE;
	if (m->ops.irq_pulse)
		m->ops.irq_pulse(m->opaque, data);
	return 0;
}

SPHB_API int sphb_dev_msi(struct sphb_machine *m, const char *dev_id, unsigned vector)
{
	struct sphb_dev *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_dev_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	if (sphb_dev_dma_stopped(d))
		return -EIO; /* PAPR R1-5.4.1.1-9: MSIs are DMA */
	if (d->msix_vectors && (cfg16(d, d->msix_cap + 2u) & 0x8000)) {
		uint8_t *e;
		if (vector >= d->msix_vectors)
			return -ERANGE;
		e = sphb_dev_msix_entry(d, vector);
		if (!e)
			return -ENOMEM;
		if ((cfg16(d, d->msix_cap + 2u) & 0x4000) || (e[12] & 1)) {
			sphb_dev_msix_pend(d, vector);
			return -EAGAIN;
		}
		return deliver(m, (uint64_t)get32(e + 4) << 32 | get32(e), get32(e + 8));
	}
	if (d->msi_vectors && (cfg16(d, d->msi_cap + 2u) & 1)) {
		uint16_t ctl = cfg16(d, d->msi_cap + 2u);
		unsigned nvec = 1u << ((ctl >> 4) & 7);
		uint64_t addr = get32(&d->cfg[d->msi_cap + 4]);
		uint32_t data = cfg16(d, msi_data_off(d));
		if (vector >= nvec)
			return -ERANGE;
		if (ctl & 0x100) {
			/* per-vector masking: a masked vector sets its Pending bit */
			unsigned mo = msi_data_off(d) + 4u;
			if (get32(&d->cfg[mo]) >> vector & 1) {
				d->cfg[mo + 4 + vector / 8] |= (uint8_t)(1u << (vector % 8));
				return -EAGAIN;
			}
		}
		if (ctl & 0x80)
			addr |= (uint64_t)get32(&d->cfg[d->msi_cap + 8]) << 32;
		return deliver(m, addr, (data & ~(nvec - 1)) | vector);
	}
	return -EAGAIN;
}

/* The PHB's LSI for a device's swizzled pin follows the wired-OR of its devices. */
void sphb_lsi_update(struct sphb_dev *d)
{
	struct sphb_phb *phb = d->phb;
	bool on;

	if (d->kind != DEV_SIM)
		return; /* a pass-through function's INTx arrives through the host */
	on = d->intx && !(cfg16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	unsigned pin = d->cfg[PCI_INTERRUPT_PIN];
	unsigned idx;

	if (d->intx)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (pin < 1 || pin > 4 || on == d->intx_counted)
		return;
	idx = ((d->devfn >> 3) + pin - 1) % 4; /* PCI swizzle */
	d->intx_counted = on;
	if (on ? phb->lsi_count[idx]++ == 0 : --phb->lsi_count[idx] == 0) {
		if (phb->m->ops.irq_set)
			phb->m->ops.irq_set(phb->m->opaque, SPHB_LSI_BASE + phb->index * 4 + idx, on);
	}
}

SPHB_API int sphb_dev_intx(struct sphb_machine *m, const char *dev_id, int level)
{
	struct sphb_dev *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_dev_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	d->intx = level != 0;
	sphb_lsi_update(d);
	return 0;
}
