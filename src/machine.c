/* The machine: host callbacks, the PHB table and the device registry.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/vfio.h"

SPHB_API const char *sphb_version(void)
{
	return SPHB_VERSION_STRING;
}

SPHB_API int sphb_machine_new(const struct sphb_host_ops *ops, void *opaque,
			      struct sphb_machine **out)
{
	struct sphb_machine *m;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ops || ops->sz < offsetof(struct sphb_host_ops, log) + sizeof(ops->log) ||
	    !ops->mem_read || !ops->mem_write)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	/* Copy what this version knows; later members of a bigger struct are ignored. */
	memcpy(&m->ops, ops, ops->sz < sizeof(m->ops) ? ops->sz : sizeof(m->ops));
	m->ops.sz = sizeof(m->ops);
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
	struct sphb_dev *d, *next;

	if (!m)
		return;
	for (d = m->devices; d; d = next) {
		next = d->next_in_machine;
		sphb_dev_free(d);
	}
	sphb_dma_handles_free(m);
	sphb_tce_machine_free(m);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		sphb_phb_free(m->phbs[i]);
	free(m->groups);
	free(m->group_slots);
#if SPHB_VFIO
	sphb_vfio_machine_free(m);
#endif
	free(m);
}

SPHB_API int sphb_machine_add(struct sphb_machine *m, const char *spec)
{
	struct sphb_opts *o;
	int rc;

	if (!m || !spec)
		return -EINVAL;
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = sphb_opts_parse(m, spec, o);
	if (rc)
		goto out;
	if (!strcmp(o->type, "spapr-pci-host-bridge") ||
	    !strcmp(o->type, "spapr-pci-vfio-host-bridge")) {
		rc = sphb_phb_add(m, o);
	} else if (!strcmp(o->type, "sim-pci")) {
		rc = sphb_sim_dev_add(m, o);
	} else if (!strcmp(o->type, "vfio-pci")) {
#if SPHB_VFIO
		rc = sphb_vfio_dev_add(m, o);
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
	if (rc == 0)
		sphb_dma_rebind(m); /* a function may have appeared at a handle's address */
	return rc;
}

SPHB_API int sphb_machine_del(struct sphb_machine *m, const char *id)
{
	struct sphb_dev *d;

	if (!m || !id)
		return -EINVAL;
	d = sphb_dev_by_id(m, id);
	if (!d)
		return -ENOENT;
	sphb_msi_dev_gone(d);
	sphb_dev_unlink(d);
	sphb_eeh_dev_detach(d);
	sphb_dev_free(d);
	sphb_dma_rebind(m);
	return 0;
}

SPHB_API int sphb_machine_reset(struct sphb_machine *m)
{
	if (!m)
		return -EINVAL;
	for (struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		sphb_dev_reset(d);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			sphb_phb_reset(m->phbs[i]);
	sphb_errinjct_reset(m); /* the errinjct session is closed */
	return 0;
}

SPHB_API int sphb_phb_buid(const struct sphb_machine *m, const char *id,
			   uint64_t *buid)
{
	if (!m || !id || !buid)
		return -EINVAL;
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		const struct sphb_phb *phb = m->phbs[i];

		if (phb && (!strcmp(phb->id, id) || !strcmp(phb->bus_name, id))) {
			*buid = phb->buid;
			return 0;
		}
	}
	return -ENOENT;
}
