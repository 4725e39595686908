/* The PHB: QEMU's properties, defaults and window placement
 * (qemu-spapr-phb.md §6.1, §6.2). SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Page shifts a PHB may offer (qemu-spapr-phb.md §3.4). */
#define SPHB_PGSZ_SUPPORTED ((1ull << 12) | (1ull << 16) | (1ull << 21) | \
			     (1ull << 24) | (1ull << 25) | (1ull << 26) | \
			     (1ull << 27) | (1ull << 28) | (1ull << 34))

/* One namespace for ids: PHB ids, PHB bus names and device ids. */
int sphb_id_check(const struct sphb_machine *m, const char *type, const char *id)
{
	if (!id[0])
		return 0;
	if (sphb_dev_by_id(m, id) || sphb_phb_by_bus_name(m, id))
		goto taken;
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i] && !strcmp(m->phbs[i]->id, id))
			goto taken;
	return 0;
taken:
	sphb_log(m, SPHB_LOG_ERROR, "%s: id=%s: id already in use", type, id);
	return -EEXIST;
}

static int phb_props(struct sphb_machine *m, struct sphb_opts *o,
		     struct sphb_phb *p)
{
	uint64_t v;
	const char *mode;
	int rc;

	rc = sphb_opts_u64(m, o, "mem_win_size", SPHB_MEM32_WIN_SIZE, 0x100000,
			   SPHB_MEM32_WIN_SIZE, true, &p->mem_win_size);
	if (!rc)
		rc = sphb_opts_u64(m, o, "mem64_win_size", SPHB_MEM64_WIN_SIZE, 0,
			   SPHB_MEM64_WIN_SIZE, true, &p->mem64_win_size);
	if (!rc)
		rc = sphb_opts_u64(m, o, "io_win_size", SPHB_PIO_WIN_SIZE, 0,
				   SPHB_PIO_WIN_SIZE, true, &p->io_win_size);
	if (!rc)
		rc = sphb_opts_u64(m, o, "dma_win_addr", 0, 0, UINT64_MAX, true,
				   &p->dma_win_addr);
	if (!rc)
		rc = sphb_opts_u64(m, o, "dma_win_size", 0x40000000, 0x1000,
				   1ull << 43, true, &p->dma_win_size); /* <= 2^31 4K TCEs */
	if (!rc)
		rc = sphb_opts_u64(m, o, "dma64_win_addr", 0x800000000000000ull, 0,
				   UINT64_MAX, true, &p->dma64_win_addr);
	if (!rc)
		rc = sphb_opts_u64(m, o, "pgsz", 0x1211000, 1, UINT64_MAX, false,
				   &p->pgsz);
	if (!rc)
		rc = sphb_opts_bool(m, o, "ddw", true, &p->ddw);
	if (!rc)
		rc = sphb_opts_bool(m, o, "pcie-extended-configuration-space", true,
				    &p->pcie_ext_cfg);
	if (!rc)
		rc = sphb_opts_bool(m, o, "error-log", false, &p->error_log);
	if (!rc) {
		bool dummy;
		rc = sphb_opts_bool(m, o, "pre-5.1-associativity", false, &dummy);
	}
	if (rc)
		return rc;
	if (p->dma_win_addr & 0xfff) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: dma_win_addr=0x%llx: must be 4 KiB aligned",
			 o->type, (unsigned long long)p->dma_win_addr);
		return -EINVAL;
	}
	if (p->dma_win_size & 0xfff) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: dma_win_size=0x%llx: must be a multiple of 4 KiB",
			 o->type, (unsigned long long)p->dma_win_size);
		return -EINVAL;
	}
	if (p->dma_win_addr + p->dma_win_size < p->dma_win_addr) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: dma_win_size=0x%llx: window wraps past 2^64",
			 o->type, (unsigned long long)p->dma_win_size);
		return -EINVAL;
	}
	if (p->pgsz & ~SPHB_PGSZ_SUPPORTED) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: pgsz=0x%llx: unsupported page size bits 0x%llx (supported: 4K 64K 2M 16M 32M 64M 128M 256M 16G = 0x%llx)",
			 o->type, (unsigned long long)p->pgsz,
			 (unsigned long long)(p->pgsz & ~SPHB_PGSZ_SUPPORTED),
			 (unsigned long long)SPHB_PGSZ_SUPPORTED);
		return -EINVAL;
	}
	rc = sphb_opts_u64(m, o, "numa_node", UINT64_MAX, 0, 0xffff, false, &v);
	if (rc)
		return rc;
	p->numa_node = v == UINT64_MAX ? -1 : (int64_t)v;
	mode = sphb_opts_get(o, "pe-mode");
	if (mode) {
		if (!strcmp(mode, "shared")) {
			p->per_group = false;
		} else if (!strcmp(mode, "per-group")) {
			p->per_group = true;
		} else {
			sphb_log(m, SPHB_LOG_ERROR, "%s: pe-mode=%s: expected shared or per-group",
				 o->type, mode);
			return -EINVAL;
		}
	}
	return 0;
}

int sphb_phb_add(struct sphb_machine *m, struct sphb_opts *o)
{
	struct sphb_phb *p;
	const char *idx = sphb_opts_get(o, "index");
	uint64_t index;
	int rc;

	if (!idx) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: index: missing (mandatory, 0..%u)",
			 o->type, SPHB_MAX_PHBS - 1);
		return -EINVAL;
	}
	rc = sphb_opts_u64(m, o, "index", 0, 0, SPHB_MAX_PHBS - 1, false, &index);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->m = m;
	p->index = (unsigned)index;
	p->legacy_vfio_type = !strcmp(o->type, "spapr-pci-vfio-host-bridge");
	if (p->legacy_vfio_type) {
		uint64_t ignored;
		/* QEMU's stub kept an int32 "iommu" property that did nothing. */
		rc = sphb_opts_u64(m, o, "iommu", 0, 0, 0x7fffffff, false, &ignored);
		if (rc)
			goto fail;
	}
	rc = sphb_opts_id(m, o, p->id, sizeof(p->id));
	if (!rc)
		rc = phb_props(m, o, p);
	if (!rc)
		rc = sphb_opts_check_unused(m, o);
	if (rc)
		goto fail;
	if (m->phbs[p->index]) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: index=%u: PCI host bridges must have unique indexes (index %u is '%s')",
			 o->type, p->index, p->index, m->phbs[p->index]->id);
		rc = -EEXIST;
		goto fail;
	}
	if (!p->id[0])
		snprintf(p->id, sizeof(p->id), "pci%s%u", p->index ? "." : "", p->index);
	rc = sphb_id_check(m, o->type, p->id);
	if (rc)
		goto fail;
	snprintf(p->bus_name, sizeof(p->bus_name), "%s.0", p->id);
	p->shared_pe.group = -1;
	p->shared_pe.addr = 1; /* QEMU: (bus << 16) | 1 on the root bus */
	p->buid = SPHB_BUID_BASE + p->index;
	p->io_win_addr = SPHB_PCI_BASE + p->index * SPHB_PIO_WIN_SIZE;
	p->mem_win_addr = SPHB_PCI_BASE + (p->index + 1) * SPHB_MEM32_WIN_SIZE;
	p->mem64_win_addr = SPHB_PCI_BASE + (p->index + 1) * SPHB_MEM64_WIN_SIZE;
	if (p->legacy_vfio_type)
		sphb_log(m, SPHB_LOG_WARN,
			 "spapr-pci-vfio-host-bridge is deprecated: use spapr-pci-host-bridge (EEH works on it); 'iommu' is ignored");
	p->m = m;
	rc = sphb_dma_reset(p);
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: index=%u: cannot allocate the default DMA window",
			 o->type, p->index);
		goto fail;
	}
	m->phbs[p->index] = p;
	return 0;
fail:
	free(p);
	return rc;
}

void sphb_phb_free(struct sphb_phb *phb)
{
	if (phb)
		free(phb->pes);
	free(phb);
}

void sphb_phb_reset(struct sphb_phb *phb)
{
	(void)sphb_dma_reset(phb); /* §5.4 step 1; on ENOMEM the old windows stay */
	sphb_eeh_phb_reset(phb); /* qemu-spapr-phb.md §5.4 step 3 */
	sphb_msi_phb_reset(phb); /* step 4: every MSI of the PHB is freed */
}

struct sphb_phb *sphb_phb_by_bus_name(const struct sphb_machine *m,
				      const char *name)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i] && !strcmp(m->phbs[i]->bus_name, name))
			return m->phbs[i];
	return NULL;
}
