/* The machine: host callbacks, the PHB table, the device types a
 * description may name (the one place that knows which function kinds this
 * build has), plugging and unplugging, reset, and the public queries.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

SPHB_API const char *sphb_version(void)
{
	return SPHB_VERSION_STRING;
}

SPHB_API unsigned sphb_version_number(void)
{
	return SPHB_VERSION_NUMBER;
}

SPHB_API int sphb_machine_new(const struct sphb_host_ops *ops, void *opaque,
			      struct sphb_machine **out)
{
	struct sphb_machine *m;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ops)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = sphb_struct_in(&m->ops, sizeof(m->ops), ops, ops->sz,
			    offsetof(struct sphb_host_ops, log) + sizeof(ops->log));
	if (!rc && (!m->ops.mem_read || !m->ops.mem_write))
		rc = -EINVAL;
	/* the interrupt-number callbacks come as a set */
	if (!rc && (!m->ops.irq_alloc != !m->ops.irq_claim || !m->ops.irq_alloc != !m->ops.irq_free))
		rc = -EINVAL;
	if (rc) {
		free(m);
		return rc;
	}
	m->opaque = opaque;
	*out = m;
	return 0;
}

SPHB_API int sphb_machine_new_default(const struct sphb_host_ops *ops,
				      void *opaque, struct sphb_machine **out)
{
	int rc = sphb_machine_new(ops, opaque, out);

	if (rc)
		return rc;
	rc = sphb_machine_add(*out, "spapr-pci-host-bridge,index=0,id=pci");
	if (rc) {
		sphb_machine_free(*out);
		*out = NULL;
	}
	return rc;
}

SPHB_API void sphb_machine_free(struct sphb_machine *m)
{
	if (!m)
		return;
	while (m->funcs)
		sphb_func_unplug(m->funcs);
	sphb_dma_handles_free(m);
	sphb_tce_machine_free(m);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		sphb_phb_free(m->phbs[i]);
	sphb_sim_free(m);
	sphb_groups_free(m);
#if SPHB_VFIO
	sphb_vfio_machine_free(m);
#endif
	free(m);
}

/* ---- the function kinds of this build ---- */

static int create_sim(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb, int mf, void *ctx,
		      struct sphb_func **out)
{
	(void)phb;
	(void)ctx;
	return sphb_sim_pci_create(m, o, mf, out);
}

#if SPHB_VFIO
static int create_vfio(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb, int mf,
		       void *ctx, struct sphb_func **out)
{
	(void)mf;
	(void)ctx;
	return sphb_vfio_pci_create(m, o, phb, out);
}
#endif

struct vmm_ctx {
	const struct sphb_func_ops *ops;
	void *opaque;
};

static int create_vmm(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb, int mf, void *ctx,
		      struct sphb_func **out)
{
	const struct vmm_ctx *v = ctx;

	(void)phb;
	(void)mf;
	return sphb_vmm_func_create(m, o, v->ops, v->opaque, out);
}

static bool is_phb_type(const char *type)
{
	return !strcmp(type, "spapr-pci-host-bridge") || !strcmp(type, "spapr-pci-vfio-host-bridge");
}

static bool library_type(const char *type)
{
	return is_phb_type(type) || !strcmp(type, "sim-pci") || !strcmp(type, "vfio-pci");
}

SPHB_API int sphb_machine_add(struct sphb_machine *m, const char *spec)
{
	struct sphb_opts *o;
	int rc;

	if (!m || !spec)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = sphb_opts_parse(m, spec, o);
	if (rc)
		goto out;
	if (is_phb_type(o->type)) {
		rc = sphb_phb_add(m, o);
	} else if (!strcmp(o->type, "sim-pci")) {
		rc = sphb_func_plug(m, o, create_sim, NULL, NULL);
	} else if (!strcmp(o->type, "vfio-pci")) {
#if SPHB_VFIO
		rc = sphb_func_plug(m, o, create_vfio, NULL, NULL);
#else
		sphb_log(m, SPHB_LOG_ERROR,
			 "vfio-pci: this build has no VFIO backend (built with SPHB_VFIO=0 or not on Linux); use sim-pci,iommu-group=N to simulate a pass-through device");
		rc = -ENOTSUP;
#endif
	} else {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: unknown device type (known: spapr-pci-host-bridge, spapr-pci-vfio-host-bridge, sim-pci, vfio-pci)",
			 o->type);
		rc = -EINVAL;
	}
out:
	free(o);
	return rc;
}

SPHB_API int sphb_func_add(struct sphb_machine *m, const char *spec, const struct sphb_func_ops *ops,
			   void *opaque, struct sphb_func **out)
{
	struct vmm_ctx ctx = { ops, opaque };
	struct sphb_opts *o;
	int rc;

	if (out)
		*out = NULL;
	if (!m || !spec || !ops)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = sphb_opts_parse(m, spec, o);
	if (!rc && library_type(o->type)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: a type of the library (use sphb_machine_add()); a VMM function needs a name of its own",
			 o->type);
		rc = -EINVAL;
	}
	if (!rc)
		rc = sphb_func_plug(m, o, create_vmm, &ctx, out);
	free(o);
	return rc;
}

SPHB_API int sphb_machine_del(struct sphb_machine *m, const char *id)
{
	struct sphb_func *f;

	if (!m || !id)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	f = sphb_func_by_id(m, id);
	if (!f)
		return -ENOENT;
	sphb_func_unplug(f);
	return 0;
}

SPHB_API int sphb_func_del(struct sphb_func *f)
{
	if (!f)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(f->m);
	sphb_func_unplug(f);
	return 0;
}

SPHB_API struct sphb_func *sphb_func_find(struct sphb_machine *m, const char *id)
{
	return m && id ? sphb_func_by_id(m, id) : NULL;
}

SPHB_API int sphb_func_addr(const struct sphb_func *f, uint64_t *buid, uint32_t *cfg)
{
	if (!f)
		return -EINVAL;
	if (buid)
		*buid = f->phb->buid;
	if (cfg)
		*cfg = sphb_func_cfg_addr(f);
	return 0;
}

SPHB_API int sphb_func_intx(struct sphb_func *f, int level)
{
	if (!f)
		return -EINVAL;
	sphb_func_set_intx(f, level != 0);
	return 0;
}

SPHB_API int sphb_machine_reset(struct sphb_machine *m)
{
	if (!m)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	for (struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		sphb_func_reset(f, SPHB_RESET_MACHINE);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			sphb_phb_reset(m->phbs[i]);
	sphb_errinjct_reset(m); /* the errinjct session is closed */
	return 0;
}

/* ---- queries ---- */

static size_t describe_line(const char *desc, char *buf, size_t len, size_t at)
{
	size_t l = strlen(desc);

	if (at + l + 1 < len) {
		memcpy(buf + at, desc, l);
		buf[at + l] = '\n';
	}
	return at + l + 1;
}

SPHB_API int sphb_machine_describe(const struct sphb_machine *m, char *buf, size_t len, size_t *needed)
{
	const struct sphb_func **order;
	size_t n = 0, at = 0;

	if (!m || (!buf && len))
		return -EINVAL;
	for (const struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		n++;
	order = calloc(n + 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	n = 0;
	for (const struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		order[n++] = f; /* newest first */
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			at = describe_line(m->phbs[i]->desc, buf, len, at);
	while (n--)
		at = describe_line(order[n]->desc, buf, len, at);
	free(order);
	if (needed)
		*needed = at + 1;
	if (at + 1 > len)
		return -ENOSPC;
	buf[at] = '\0';
	return 0;
}

static struct sphb_phb *phb_named(const struct sphb_machine *m, const char *id)
{
	uint64_t buid;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		struct sphb_phb *phb = m->phbs[i];

		if (phb && (!strcmp(phb->id, id) || !strcmp(phb->bus_name, id)))
			return phb;
	}
	if (!strncmp(id, "0x", 2) && !sphb_parse_u64(id, false, &buid))
		return sphb_phb_by_buid(m, buid);
	return NULL;
}

SPHB_API int sphb_phb_buid(const struct sphb_machine *m, const char *id,
			   uint64_t *buid)
{
	const struct sphb_phb *phb;

	if (!m || !id || !buid)
		return -EINVAL;
	phb = phb_named(m, id);
	if (!phb)
		return -ENOENT;
	*buid = phb->buid;
	return 0;
}

SPHB_API int sphb_phb_info(const struct sphb_machine *m, const char *id, struct sphb_phb_info *info)
{
	const struct sphb_phb *phb;
	struct sphb_phb_info in;

	if (!m || !id || !info || info->sz < sizeof(in))
		return -EINVAL;
	phb = phb_named(m, id);
	if (!phb)
		return -ENOENT;
	memset(&in, 0, sizeof(in));
	in.sz = sizeof(in);
	in.buid = phb->buid;
	in.index = phb->index;
	in.io_cpu = phb->io_win_addr;
	in.io_bus = 0;
	in.io_size = phb->io_win_size;
	in.mem32_cpu = phb->mem_win_addr;
	in.mem32_bus = SPHB_MEM_WIN_BUS_OFFSET;
	in.mem32_size = phb->mem_win_size;
	in.mem64_cpu = phb->mem64_win_addr;
	in.mem64_bus = phb->mem64_win_addr;
	in.mem64_size = phb->mem64_win_size;
	memcpy(in.lsi, phb->lsi, sizeof(in.lsi));
	in.liobn[0] = sphb_liobn(phb->index, 0);
	in.liobn[1] = sphb_liobn(phb->index, 1);
	in.msi_window = SPHB_MSI_WINDOW;
	memcpy(info, &in, sizeof(in)); /* a bigger caller struct keeps its tail */
	return 0;
}

SPHB_API int sphb_liobn_owner(const struct sphb_machine *m, uint64_t liobn, uint64_t *buid)
{
	unsigned idx, w;

	if (!m)
		return -EINVAL;
	if (!sphb_liobn_decode(liobn, &idx, &w) || !m->phbs[idx])
		return -ENOENT;
	if (buid)
		*buid = m->phbs[idx]->buid;
	return 0;
}
