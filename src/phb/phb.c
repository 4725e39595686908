/* The PHB: QEMU 7.2's properties and defaults (hw/ppc/spapr_pci.c
 * spapr_phb_properties, spapr_phb_realize()), window placement
 * (spapr_phb_placement()), the root bus, and the one path every function
 * kind is plugged and unplugged through. SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Page shifts a PHB may offer (the ibm,query-pe-dma-window page-size bits,
 * PAPR Table 7-95 "DDW": 4K 64K 16M 32M 64M 128M 256M 16G, and 2M). */
#define SPHB_PGSZ_SUPPORTED ((1ull << 12) | (1ull << 16) | (1ull << 21) | \
			     (1ull << 24) | (1ull << 25) | (1ull << 26) | \
			     (1ull << 27) | (1ull << 28) | (1ull << 34))

/* One namespace for ids: PHB ids, PHB bus names and device ids. */
int sphb_id_check(const struct sphb_machine *m, const char *type, const char *id)
{
	if (!id[0])
		return 0;
	if (sphb_func_by_id(m, id) || sphb_phb_by_bus_name(m, id))
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
	mode = sphb_opts_get(o, "msi-limit");
	if (mode) {
		if (!strcmp(mode, "capable") || !strcmp(mode, "enabled")) {
			p->msi_limit_enabled = mode[0] == 'e';
		} else {
			sphb_log(m, SPHB_LOG_ERROR, "%s: msi-limit=%s: expected capable or enabled",
				 o->type, mode);
			return -EINVAL;
		}
	}
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
	p->desc = sphb_opts_string(o, NULL, "");
	if (!p->desc) {
		rc = -ENOMEM;
		goto fail;
	}
	p->shared_pe.group = -1;
	p->shared_pe.addr = sphb_shared_pe_addr(0);
	p->buid = sphb_buid(p->index);
	p->io_win_addr = SPHB_PCI_BASE + p->index * SPHB_PIO_WIN_SIZE;
	p->mem_win_addr = SPHB_PCI_BASE + (p->index + 1) * SPHB_MEM32_WIN_SIZE;
	p->mem64_win_addr = SPHB_PCI_BASE + (p->index + 1) * SPHB_MEM64_WIN_SIZE;
	if (p->legacy_vfio_type)
		sphb_log(m, SPHB_LOG_WARN,
			 "spapr-pci-vfio-host-bridge is deprecated: use spapr-pci-host-bridge (EEH works on it); 'iommu' is ignored");
	p->m = m;
	rc = sphb_irq_phb_init(p);
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: index=%u: the host gave no interrupt numbers for the LSIs (%d)",
			 o->type, p->index, rc);
		goto fail;
	}
	rc = sphb_dma_reset(p);
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: index=%u: cannot allocate the default DMA window",
			 o->type, p->index);
		sphb_irq_phb_fini(p);
		goto fail;
	}
	m->phbs[p->index] = p;
	return 0;
fail:
	free(p->desc);
	free(p);
	return rc;
}

/* Functions are gone and windows freed (sphb_tce_machine_free) already. */
void sphb_phb_free(struct sphb_phb *phb)
{
	if (!phb)
		return;
	sphb_irq_phb_fini(phb);
	sphb_route_free(phb);
	free(phb->pes);
	free(phb->desc);
	free(phb);
}

/* QEMU 7.2's spapr_phb_reset(): the DMA windows back to the default one,
 * EEH re-enabled on the PE (spapr_phb_vfio_reset()), every MSI freed. */
void sphb_phb_reset(struct sphb_phb *phb)
{
	(void)sphb_dma_reset(phb); /* on ENOMEM the old windows stay */
	sphb_eeh_phb_reset(phb);
	sphb_msi_phb_reset(phb);
}

struct sphb_phb *sphb_phb_by_bus_name(const struct sphb_machine *m,
				      const char *name)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i] && !strcmp(m->phbs[i]->bus_name, name))
			return m->phbs[i];
	return NULL;
}

/* ---- placement ---- */

/* QEMU parses PCI addresses as hex, with or without a 0x prefix. */
static int parse_hex(const char *s, uint64_t *v)
{
	char hx[24];

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		return sphb_parse_u64(s, false, v);
	if (strlen(s) > 16)
		return -EINVAL;
	snprintf(hx, sizeof(hx), "0x%s", s);
	return sphb_parse_u64(hx, false, v);
}

static int parse_addr(const char *s, unsigned *slot, unsigned *fn)
{
	char buf[32];
	char *dot;
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	*fn = 0;
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		if (parse_hex(dot + 1, &v))
			return -EINVAL;
		*fn = (unsigned)(v > 0xff ? 0xff : v);
	}
	if (parse_hex(buf, &v))
		return -EINVAL;
	*slot = (unsigned)(v > 0xffff ? 0xffff : v);
	return 0;
}

static int place(struct sphb_machine *m, struct sphb_opts *o, const char *type,
		 struct sphb_phb **phbp, uint8_t *devfn)
{
	const char *bus = sphb_opts_get(o, "bus");
	const char *addr = sphb_opts_get(o, "addr");
	struct sphb_phb *phb;
	unsigned slot, fn;

	phb = sphb_phb_by_bus_name(m, bus ? bus : "pci.0");
	if (!phb) {
		if (bus)
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus=%s: no such bus (a PHB with id=ID has bus ID.0)",
				 type, bus);
		else
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus: missing, and there is no default bus pci.0",
				 type);
		return -EINVAL;
	}
	if (!addr) {
		for (slot = 0; slot < 32; slot++) {
			bool used = false;
			for (fn = 0; fn < 8; fn++)
				used |= phb->devs[slot << 3 | fn] != NULL;
			if (!used)
				break;
		}
		if (slot == 32) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus=%s: no free slot", type, phb->bus_name);
			return -ENOSPC;
		}
		*phbp = phb;
		*devfn = (uint8_t)(slot << 3);
		return 0;
	}
	if (parse_addr(addr, &slot, &fn)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: expected SLOT[.FUNCTION] in hex", type, addr);
		return -EINVAL;
	}
	if (slot > 31) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: slot 0x%x out of range 0x0..0x1f (addr= is hex)",
			 type, addr, slot);
		return -EINVAL;
	}
	if (fn > 7) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: function 0x%x out of range 0..7", type, addr, fn);
		return -EINVAL;
	}
	if (phb->devs[slot << 3 | fn]) {
		const struct sphb_func *there = phb->devs[slot << 3 | fn];
		if (there->id[0])
			sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: %s %02x.%x is already taken by '%s'",
				 type, addr, phb->bus_name, slot, fn, there->id);
		else
			sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: %s %02x.%x is already taken by a %s without id",
				 type, addr, phb->bus_name, slot, fn, there->type);
		return -EEXIST;
	}
	*phbp = phb;
	*devfn = (uint8_t)(slot << 3 | fn);
	return 0;
}



/* ---- the root bus: what a function tells its PHB ---- */

static void bus_decode(struct sphb_func *f)
{
	sphb_route_update(f->phb);
}

/* a BAR's bus range through a PHB window, as the CPU sees it */
static bool bus_to_gpa(const struct sphb_func *f, enum sphb_bar_kind kind, uint64_t bus, uint64_t size,
		       uint64_t *gpa)
{
	const struct sphb_phb *phb = f->phb;
	uint64_t last = bus + size - 1;

	if (last < bus)
		return false;
	if (kind == BAR_IO) {
		if (last >= phb->io_win_size)
			return false;
		*gpa = phb->io_win_addr + bus;
		return true;
	}
	if (bus >= SPHB_MEM_WIN_BUS_OFFSET && last - SPHB_MEM_WIN_BUS_OFFSET < phb->mem_win_size) {
		*gpa = phb->mem_win_addr + (bus - SPHB_MEM_WIN_BUS_OFFSET);
		return true;
	}
	if (phb->mem64_win_size && bus >= phb->mem64_win_addr &&
	    last - phb->mem64_win_addr < phb->mem64_win_size) {
		*gpa = bus; /* the 64-bit window is identity-mapped */
		return true;
	}
	return false;
}

static const struct sphb_func_bus root_bus = {
	.intx = sphb_irq_intx,
	.decode = bus_decode,
	.bus_to_gpa = bus_to_gpa,
	.msi = sphb_irq_msi,
};

/* ---- plugging ---- */

/* PCI Local Bus 3.0 6.2.5.2 / QEMU's pci_qdev_realize(): a slot's function 0
 * must say multifunction when the slot has other functions. */
static int multifunction_rule(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb,
			      const struct sphb_func *f, unsigned devfn)
{
	unsigned slot = devfn >> 3, fn = devfn & 7;

	if (fn && phb->devs[slot << 3] && !phb->devs[slot << 3]->multifunction) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: addr=%s: function 0 of slot %x is not multifunction (give it multifunction=on)",
			 o->type, sphb_opts_get(o, "addr"), slot);
		return -EINVAL;
	}
	if (!fn && !f->multifunction) {
		for (unsigned i = 1; i < 8; i++) {
			if (phb->devs[slot << 3 | i]) {
				sphb_log(m, SPHB_LOG_ERROR,
					 "%s: multifunction=off: slot %x already has function %u, so function 0 needs multifunction=on",
					 o->type, slot, i);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static void link_func(struct sphb_machine *m, struct sphb_phb *phb, struct sphb_func *f, unsigned devfn)
{
	f->phb = phb;
	f->bus = 0;
	f->devfn = (uint8_t)devfn;
	phb->devs[devfn] = f;
	phb->ndevs++;
	f->next_in_machine = m->funcs;
	m->funcs = f;
}

static void unlink_func(struct sphb_func *f)
{
	struct sphb_machine *m = f->m;

	f->phb->devs[f->devfn] = NULL;
	f->phb->ndevs--;
	for (struct sphb_func **pp = &m->funcs; *pp; pp = &(*pp)->next_in_machine) {
		if (*pp == f) {
			*pp = f->next_in_machine;
			break;
		}
	}
}

int sphb_func_plug(struct sphb_machine *m, struct sphb_opts *o, sphb_func_create_fn *create, void *ctx,
		   struct sphb_func **out)
{
	struct sphb_phb *phb;
	struct sphb_func *f = NULL;
	char id[SPHB_ID_MAX];
	uint64_t group;
	uint8_t devfn;
	int mf = -1, rc;
	bool on;

	rc = sphb_opts_id(m, o, id, sizeof(id));
	if (!rc && sphb_opts_get(o, "multifunction")) {
		rc = sphb_opts_bool(m, o, "multifunction", false, &on);
		if (!rc)
			mf = on;
	}
	if (!rc)
		rc = sphb_opts_u64(m, o, "iommu-group", UINT64_MAX, 0, 0x7fffffff, false, &group);
	if (!rc)
		rc = place(m, o, o->type, &phb, &devfn);
	if (!rc)
		rc = sphb_id_check(m, o->type, id); /* PHB ids and bus names too */
	if (rc)
		return rc;
	rc = create(m, o, phb, mf, ctx, &f);
	if (rc)
		return rc;
	if (group != UINT64_MAX && f->kind->host_group) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: iommu-group=%s: a pass-through function's group is its host's",
			 o->type, sphb_opts_get(o, "iommu-group"));
		rc = -EINVAL;
	}
	if (!rc)
		rc = sphb_opts_check_unused(m, o);
	if (!rc)
		rc = sphb_func_probe(f);
	if (rc)
		goto fail;
	memcpy(f->id, id, sizeof(id));
	f->multifunction = mf >= 0 ? mf : (sphb_func_cfg_read(f, PCI_HEADER_TYPE, 1) & 0x80) != 0;
	if (group != UINT64_MAX)
		f->iommu_group = (int)group;
	rc = multifunction_rule(m, o, phb, f, devfn);
	if (rc)
		goto fail;
	{
		static const char *const placed[] = { "bus", "addr", NULL };
		char tail[SPHB_ID_MAX + 32];
		snprintf(tail, sizeof(tail), ",bus=%s,addr=%x.%x", phb->bus_name, devfn >> 3, devfn & 7);
		f->desc = sphb_opts_string(o, placed, tail);
		if (!f->desc) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	link_func(m, phb, f, devfn);
	rc = sphb_pe_attach(f);
	if (rc) {
		unlink_func(f);
		goto fail;
	}
	f->bus_ops = &root_bus;
	f->plugged = true;
	sphb_func_decode_refresh(f);
	sphb_route_update(phb);
	sphb_func_maps_update(f, false);
	sphb_dma_rebind(m); /* a function may have appeared at a handle's address */
	if (out)
		*out = f;
	return 0;
fail:
	sphb_func_free(f);
	return rc;
}

void sphb_func_unplug(struct sphb_func *f)
{
	struct sphb_machine *m = f->m;
	struct sphb_phb *phb = f->phb;

	sphb_msi_release(phb, f->devfn);
	sphb_irq_intx(f, false);
	sphb_func_maps_update(f, true);
	f->bus_ops = NULL;
	unlink_func(f);
	sphb_pe_detach(f);
	sphb_route_update(phb);
	sphb_dma_rebind(m);
	sphb_func_free(f);
}
