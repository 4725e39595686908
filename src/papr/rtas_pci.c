/* Configuration-space RTAS calls (PAPR 7.3.4; QEMU 7.2's order and codes,
 * hw/ppc/spapr_pci.c rtas_ibm_read_pci_config() and neighbours): every
 * failure is -1 (hardware error). The function is called only for an access
 * that passes these rules, and not at all while its PE stops it.
 * SPDX-License-Identifier: MIT */
#include "internal.h"

/* Resolve an access; NULL means "fail with -1". */
static struct sphb_func *cfg_target(struct sphb_machine *m, uint64_t buid,
				    uint32_t cfg, uint32_t size)
{
	struct sphb_phb *phb;
	struct sphb_func *d;
	uint32_t off = cfg_reg(cfg);

	if (size != 1 && size != 2 && size != 4)
		return NULL;
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return NULL;
	d = sphb_phb_func(phb, cfg_bus(cfg), cfg_devfn(cfg));
	if (!d || (off % size) || off >= d->cfg_size)
		return NULL;
	return d;
}

/* A PCIe function on a PHB without extended config space: the bus clamps. */
static inline bool ext_clamped(const struct sphb_func *d, uint32_t off)
{
	return off >= PCI_CFG_SIZE && !d->phb->pcie_ext_cfg;
}

static void cfg_read(struct sphb_machine *m, struct sphb_rtas_ctx *c,
		     uint64_t buid, uint32_t cfg, uint32_t size)
{
	struct sphb_func *d = cfg_target(m, buid, cfg, size);
	uint32_t off = cfg_reg(cfg);

	if (!d) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	rtas_status(c, RTAS_OUT_SUCCESS);
	/* a stopped PE answers config loads with all-ones (PAPR 7.3.4.1) */
	if (ext_clamped(d, off))
		rtas_ret(c, 1, 0xffffffffu); /* QEMU: whatever the size */
	else if (sphb_func_mmio_stopped(d))
		rtas_ret(c, 1, 0xffffffffu >> (32 - 8 * size));
	else
		rtas_ret(c, 1, sphb_func_cfg_read(d, off, size));
}

static void cfg_write(struct sphb_machine *m, struct sphb_rtas_ctx *c,
		      uint64_t buid, uint32_t cfg, uint32_t size, uint32_t val)
{
	struct sphb_func *d = cfg_target(m, buid, cfg, size);
	uint32_t off = cfg_reg(cfg);

	if (!d) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	if (!ext_clamped(d, off) && !sphb_func_mmio_stopped(d))
		sphb_func_cfg_write(d, off, size, val);
	rtas_status(c, RTAS_OUT_SUCCESS);
}

void sphb_rtas_ibm_read_pci_config(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	if (c->nargs != 4 || c->nret != 2) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	cfg_read(m, c, rtas_buid(c), c->args[0], c->args[3]);
}

void sphb_rtas_ibm_write_pci_config(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	if (c->nargs != 5 || c->nret != 1) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	cfg_write(m, c, rtas_buid(c), c->args[0], c->args[3], c->args[4]);
}

/* The legacy CHRP calls address BUID 0, which no PHB has (index is
 * mandatory since QEMU 2.11), so they fail after the same checks. */
void sphb_rtas_read_pci_config(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	if (c->nargs != 2 || c->nret != 2) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	cfg_read(m, c, 0, c->args[0], c->args[1]);
}

void sphb_rtas_write_pci_config(struct sphb_machine *m, struct sphb_rtas_ctx *c)
{
	if (c->nargs != 3 || c->nret != 1) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	cfg_write(m, c, 0, c->args[0], c->args[1], c->args[2]);
}
