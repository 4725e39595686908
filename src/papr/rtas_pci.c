/* Configuration-space RTAS calls (PAPR §7.3.4; QEMU 7.2 order and codes,
 * qemu-spapr-phb.md §4.1): every failure is -1 (hardware error).
 * SPDX-License-Identifier: MIT */
#include "internal.h"

/* Register number: bits 28-31 of the config address are register bits 8-11. */
static inline uint32_t cfg_reg(uint32_t cfg)
{
	return ((cfg >> 20) & 0xf00) | (cfg & 0xff);
}

/* Resolve an access; NULL means "fail with -1". */
static struct sphb_dev *cfg_target(struct sphb_machine *m, uint64_t buid,
				   uint32_t cfg, uint32_t size)
{
	struct sphb_phb *phb;
	struct sphb_dev *d;
	uint32_t off = cfg_reg(cfg);

	if (size != 1 && size != 2 && size != 4)
		return NULL;
	phb = sphb_phb_by_buid(m, buid);
	if (!phb)
		return NULL;
	d = sphb_phb_dev(phb, (cfg >> 16) & 0xff, (cfg >> 8) & 0xff);
	if (!d || (off % size) || off >= d->cfg_size)
		return NULL;
	return d;
}

/* A PCIe function on a PHB without extended config space: the bus clamps. */
static inline bool ext_clamped(const struct sphb_dev *d, uint32_t off)
{
	return off >= PCI_CFG_SIZE && !d->phb->pcie_ext_cfg;
}

static void cfg_read(struct sphb_machine *m, struct sphb_rtas_ctx *c,
		     uint64_t buid, uint32_t cfg, uint32_t size)
{
	struct sphb_dev *d = cfg_target(m, buid, cfg, size);
	uint32_t off = cfg_reg(cfg);

	if (!d) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	rtas_status(c, RTAS_OUT_SUCCESS);
	/* a stopped PE answers config loads with all-ones (papr-spec.md C.4) */
	if (ext_clamped(d, off))
		rtas_ret(c, 1, 0xffffffffu); /* QEMU: whatever the size */
	else if (sphb_dev_mmio_stopped(d))
		rtas_ret(c, 1, 0xffffffffu >> (32 - 8 * size));
	else
		rtas_ret(c, 1, sphb_cfg_read(d, off, size));
}

static void cfg_write(struct sphb_machine *m, struct sphb_rtas_ctx *c,
		      uint64_t buid, uint32_t cfg, uint32_t size, uint32_t val)
{
	struct sphb_dev *d = cfg_target(m, buid, cfg, size);
	uint32_t off = cfg_reg(cfg);

	if (!d) {
		rtas_status(c, RTAS_OUT_HW_ERROR);
		return;
	}
	if (!ext_clamped(d, off) && !sphb_dev_mmio_stopped(d)) {
		sphb_cfg_write(d, off, size, val);
		if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND)
			sphb_lsi_update(d); /* INTx Disable may have changed */
	}
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
