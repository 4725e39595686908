/* Interrupts of a PHB: its four level-triggered LSIs (the wired-OR of its
 * functions' INTx outputs, PCI swizzle), the MSI numbers the guest gets from
 * ibm,change-msi, and MSI delivery. The numbers come from the host's
 * irq_alloc/irq_claim/irq_free when it gives them, else from QEMU 7.2's
 * scheme (hw/ppc/spapr_irq.c: LSIs SPAPR_IRQ_PCI_LSI + index * 4, MSIs from
 * one machine-wide bitmap at SPAPR_IRQ_MSI, first fit, MSI-X blocks
 * 2-aligned) with QEMU's bug B5 fixed (an MSI block is aligned to its
 * power-of-two size). SPDX-License-Identifier: MIT */
#include <string.h>

#include "internal.h"

static bool host_numbers(const struct sphb_machine *m)
{
	return m->ops.irq_alloc != NULL;
}

/* ---- the built-in MSI pool ---- */

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

/* first fit with `align` a power of two; the index or -1 */
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

unsigned sphb_msi_align(unsigned type, unsigned n)
{
	return type == MSI_TYPE_MSI ? (unsigned)pow2_ceil(n) : 2;
}

int sphb_msi_alloc(struct sphb_phb *phb, unsigned type, unsigned count, uint32_t *first)
{
	struct sphb_machine *m = phb->m;
	unsigned align = sphb_msi_align(type, count);
	int rc, idx;

	if (host_numbers(m)) {
		SPHB_HOST_CALL(m, rc = m->ops.irq_alloc(m->opaque, phb->buid, SPHB_IRQ_MSI, count, align, first));
		return rc > 0 ? -EIO : rc;
	}
	idx = pool_alloc(m, count, align);
	if (idx < 0)
		return -ENOSPC;
	*first = SPHB_MSI_FIRST + (uint32_t)idx;
	return 0;
}

static void msi_free(struct sphb_phb *phb, uint32_t first, unsigned count)
{
	struct sphb_machine *m = phb->m;

	if (host_numbers(m))
		SPHB_HOST_CALL(m, m->ops.irq_free(m->opaque, phb->buid, first, count));
	else
		pool_mark(m, first - SPHB_MSI_FIRST, count, false);
}

void sphb_msi_release(struct sphb_phb *phb, unsigned devfn)
{
	uint64_t v = atomic_exchange(&phb->msi[devfn], 0);

	if (msi_count(v))
		msi_free(phb, msi_first(v), msi_count(v));
}

void sphb_msi_phb_reset(struct sphb_phb *phb)
{
	for (unsigned i = 0; i < 256; i++)
		sphb_msi_release(phb, i);
	/* lsi_count is left alone: it always equals the functions counted on
	 * each line (intx_counted), and those were reset before the PHB */
}

int sphb_irq_claim(struct sphb_phb *phb, enum sphb_irq_type type, uint32_t first, unsigned count)
{
	struct sphb_machine *m = phb->m;
	int rc;

	if (!host_numbers(m)) {
		if (type == SPHB_IRQ_MSI)
			pool_mark(m, first - SPHB_MSI_FIRST, count, true);
		return 0;
	}
	SPHB_HOST_CALL(m, rc = m->ops.irq_claim(m->opaque, phb->buid, type, first, count));
	return rc > 0 ? -EIO : rc;
}

/* ---- LSIs ---- */

int sphb_irq_phb_init(struct sphb_phb *phb)
{
	struct sphb_machine *m = phb->m;
	uint32_t first;
	int rc;

	if (!host_numbers(m)) {
		for (unsigned i = 0; i < 4; i++)
			phb->lsi[i] = SPHB_LSI_BASE + phb->index * 4 + i;
		return 0;
	}
	SPHB_HOST_CALL(m, rc = m->ops.irq_alloc(m->opaque, phb->buid, SPHB_IRQ_LSI, 4, 1, &first));
	if (rc)
		return rc > 0 ? -EIO : rc;
	for (unsigned i = 0; i < 4; i++)
		phb->lsi[i] = first + i;
	return 0;
}

void sphb_irq_phb_fini(struct sphb_phb *phb)
{
	struct sphb_machine *m = phb->m;

	sphb_msi_phb_reset(phb);
	if (host_numbers(m))
		SPHB_HOST_CALL(m, m->ops.irq_free(m->opaque, phb->buid, phb->lsi[0], 4));
}

static unsigned swizzle(const struct sphb_func *f)
{
	return ((f->devfn >> 3) + f->intx_pin - 1u) % 4u; /* PCI-to-PCI Bridge 1.2 9.1 */
}

void sphb_irq_intx(struct sphb_func *f, bool on)
{
	struct sphb_phb *phb = f->phb;
	struct sphb_machine *m = f->m;
	unsigned idx;

	if (!f->intx_pin)
		on = false; /* no pin, no line */
	if (on == f->intx_counted || !phb)
		return;
	idx = swizzle(f);
	f->intx_counted = on;
	if (on ? phb->lsi_count[idx]++ == 0 : --phb->lsi_count[idx] == 0) {
		if (m->ops.irq_set)
			SPHB_HOST_CALL(m, m->ops.irq_set(m->opaque, phb->lsi[idx], on));
	}
}

void sphb_irq_lsi_recount(struct sphb_phb *phb)
{
	struct sphb_machine *m = phb->m;

	for (unsigned pin = 0; pin < 4; pin++) {
		uint16_t n = 0;

		for (unsigned df = 0; df < 256; df++) {
			const struct sphb_func *f = phb->devs[df];
			if (f && f->intx_counted && swizzle(f) == pin)
				n++;
		}
		if (!n != !phb->lsi_count[pin] && m->ops.irq_set)
			SPHB_HOST_CALL(m, m->ops.irq_set(m->opaque, phb->lsi[pin], n != 0));
		phb->lsi_count[pin] = n;
	}
}

/* ---- MSI delivery ---- */

/* The 32-bit MSI window (function 6) is the last 4 KiB page below the 32-bit
 * MMIO window (bus 0x80000000), above QEMU's default DMA window [0, 1 GiB).
 * It is refused while the configured default window (dma_win_addr/size) or
 * any window in place (e.g. a DDW created at bus address 0) covers it, so
 * that no DMA address aliases it. */
bool sphb_msi32_free(const struct sphb_phb *phb)
{
	if (phb->dma_win_addr < (uint64_t)SPHB_MSI32_WINDOW + SPHB_MSI_WINDOW_SIZE &&
	    SPHB_MSI32_WINDOW < phb->dma_win_addr + phb->dma_win_size)
		return false;
	for (unsigned w = 0; w < 2; w++) {
		const struct sphb_tce_table *t = atomic_load(&phb->win[w]);
		if (t && sphb_tce_index(t, SPHB_MSI32_WINDOW) >= 0)
			return false;
	}
	return true;
}

int sphb_irq_msi_at(struct sphb_phb *phb, unsigned devfn, const _Atomic uint8_t *stopped, uint64_t addr,
		    uint32_t data)
{
	struct sphb_machine *m = phb->m;
	uint64_t v;

	if (atomic_load_explicit(stopped, memory_order_relaxed) & SPHB_STOPPED_DMA)
		return -EIO; /* PAPR R1-5.4.1.1-9: MSIs are DMA */
	if (addr != SPHB_MSI_WINDOW && addr != SPHB_MSI32_WINDOW)
		return -ERANGE; /* not aimed at the PHB's MSI window */
	v = atomic_load_explicit(&phb->msi[devfn & 0xff], memory_order_acquire);
	if (data < msi_first(v) || data - msi_first(v) >= msi_count(v))
		return -ERANGE; /* not an interrupt the guest gave this function */
	if (m->ops.irq_pulse)
		m->ops.irq_pulse(m->opaque, data);
	return 0;
}

int sphb_irq_msi(struct sphb_func *f, uint64_t addr, uint32_t data)
{
	return sphb_irq_msi_at(f->phb, f->devfn, &f->stopped, addr, data);
}
