/* Device-side DMA through a handle: a device model reads and writes bus
 * addresses (each page translated through the TCE windows, its permission
 * checked, the bytes moved with the host's memory callbacks), and a write
 * into the PHB's MSI window is an MSI (QEMU 7.2's spapr_msi_write(): the
 * data is the interrupt number). A DMA-stopped PE starts no DMA and sends no
 * MSI (PAPR R1-5.4.1.1-9). Runs on the handle's thread, beside the machine's
 * other calls, like sphb_dma_xlate. SPDX-License-Identifier: MIT */
#include "internal.h"

static bool dma_stopped(const struct sphb_dma *h)
{
	const _Atomic uint8_t *st = atomic_load_explicit(&h->state, memory_order_acquire);

	return atomic_load_explicit(st, memory_order_relaxed) & SPHB_STOPPED_DMA;
}

SPHB_API int sphb_dma_extent(struct sphb_dma *h, uint64_t bus_addr, uint64_t max_len, uint64_t *gpa,
			     uint64_t *len, unsigned *perm)
{
	uint64_t n = max_len ? max_len : 1;
	int rc;

	if (!h || !gpa || !len || !perm)
		return -EINVAL;
	if (dma_stopped(h))
		return -EIO;
	rc = sphb_dma_walk(h->m, h->win, bus_addr, gpa, perm, &n);
	if (!rc)
		*len = n;
	return rc;
}

/* [bus_addr, + len) is in the MSI window page (either window) */
static bool in_msi_window(const struct sphb_dma *h, uint64_t bus_addr, size_t len)
{
	if (bus_addr - SPHB_MSI_WINDOW < SPHB_MSI_WINDOW_SIZE)
		return bus_addr - SPHB_MSI_WINDOW + len <= SPHB_MSI_WINDOW_SIZE;
	return bus_addr - SPHB_MSI32_WINDOW < SPHB_MSI_WINDOW_SIZE && sphb_msi32_free(h->phb) &&
	       bus_addr - SPHB_MSI32_WINDOW + len <= SPHB_MSI_WINDOW_SIZE;
}

/* Move len bytes between bus addresses and buf, page by page: every page is
 * checked first (so a fault moves nothing unless a TCE changes meanwhile),
 * then the bytes go through the host's callbacks. */
static int dma_rw(struct sphb_dma *h, uint64_t bus_addr, uint8_t *rbuf, const uint8_t *wbuf, size_t len)
{
	struct sphb_machine *m = h->m;
	unsigned need = rbuf ? 1u : 2u; /* TCE bit 0: the device may read; bit 1: write */

	for (int pass = 0; pass < 2; pass++) {
		uint64_t a = bus_addr;
		size_t done = 0;

		while (done < len) {
			uint64_t gpa, n = len - done;
			unsigned perm;
			int rc;

			if (dma_stopped(h))
				return -EIO;
			rc = sphb_dma_walk(m, h->win, a, &gpa, &perm, &n);
			if (rc || (perm & need) != need)
				return -EFAULT;
			if (pass) {
				rc = rbuf ? m->ops.mem_read(m->opaque, gpa, rbuf + done, (size_t)n)
					  : m->ops.mem_write(m->opaque, gpa, wbuf + done, (size_t)n);
				if (rc)
					return -EFAULT;
			}
			done += (size_t)n;
			a += n;
		}
	}
	return 0;
}

SPHB_API int sphb_dma_read(struct sphb_dma *h, uint64_t bus_addr, void *buf, size_t len)
{
	if (!h || (!buf && len) || bus_addr + len < bus_addr)
		return -EINVAL;
	if (dma_stopped(h))
		return -EIO;
	if (!len)
		return 0;
	if (in_msi_window(h, bus_addr, len))
		return -EFAULT; /* the MSI window takes writes only */
	return dma_rw(h, bus_addr, buf, NULL, len);
}

SPHB_API int sphb_dma_write(struct sphb_dma *h, uint64_t bus_addr, const void *buf, size_t len)
{
	if (!h || (!buf && len) || bus_addr + len < bus_addr)
		return -EINVAL;
	if (dma_stopped(h))
		return -EIO;
	if (!len)
		return 0;
	if (in_msi_window(h, bus_addr, len)) {
		/* an MSI: one 32-bit write of the interrupt number, at the window */
		uint64_t base = bus_addr - SPHB_MSI_WINDOW < SPHB_MSI_WINDOW_SIZE ? SPHB_MSI_WINDOW
										  : SPHB_MSI32_WINDOW;
		const _Atomic uint8_t *st = atomic_load_explicit(&h->state, memory_order_acquire);

		if (len != 4)
			return -EFAULT;
		return sphb_irq_msi_at(h->phb, cfg_devfn(h->requester), st, base, get_le32(buf));
	}
	return dma_rw(h, bus_addr, NULL, buf, len);
}

SPHB_API int sphb_func_dma_open(struct sphb_func *f, struct sphb_dma **out)
{
	if (!f)
		return -EINVAL;
	return sphb_dma_open(f->m, f->phb->buid, sphb_func_cfg_addr(f), out);
}
