/* Public controls of the simulated host and of virtual time: what a test or
 * the CLI does "on the host side" (freeze a PE, keep the host busy with it),
 * and the device side of the library's own device models (sim-pci).
 * SPDX-License-Identifier: MIT */
#include "internal.h"

static int sim_dev(struct sphb_machine *m, const char *dev_id, struct sphb_func **dp,
		   struct sphb_sim_group **gp)
{
	struct sphb_func *d;

	if (!m || !dev_id)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	d = sphb_func_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	if (!d->group)
		return -ENODEV; /* emulated: never EEH-capable */
	*dp = d;
	*gp = sphb_sim_of(d->group);
	return *gp ? 0 : -ENODEV; /* a host group: the real host's EEH */
}

SPHB_API int sphb_host_freeze(struct sphb_machine *m, const char *dev_id, uint32_t *pe_cfg)
{
	struct sphb_func *d;
	struct sphb_sim_group *g;
	int rc = sim_dev(m, dev_id, &d, &g);

	if (rc)
		return rc;
	sphb_sim_freeze(g);
	sphb_pe_sync_group(&g->g);
	if (pe_cfg)
		*pe_cfg = sphb_eeh_func_pe_addr(d);
	return 0;
}

SPHB_API int sphb_host_busy(struct sphb_machine *m, const char *dev_id, uint32_t ms)
{
	struct sphb_func *d;
	struct sphb_sim_group *g;
	int rc = sim_dev(m, dev_id, &d, &g);

	if (rc)
		return rc;
	g->busy_until_ms = m->now_ms + ms;
	return 0;
}

SPHB_API int sphb_host_fail(struct sphb_machine *m, const char *dev_id, int err, unsigned count)
{
	struct sphb_func *d;
	struct sphb_sim_group *g;
	int rc = sim_dev(m, dev_id, &d, &g);

	if (rc)
		return rc;
	if (err <= 0 || err > 4095)
		return -EINVAL;
	g->fail_errno = err;
	g->fail_count = count;
	return 0;
}

SPHB_API int sphb_host_state(struct sphb_machine *m, const char *dev_id, const char **name)
{
	struct sphb_func *d;
	struct sphb_sim_group *g;
	const struct sphb_pe *pe;
	int rc = sim_dev(m, dev_id, &d, &g), st;

	if (rc)
		return rc;
	pe = sphb_eeh_pe_of_func(d);
	st = sphb_sim_state(g);
	if (pe && pe->permanent)
		*name = "permanent";
	else if (st == SPHB_PE_STATE_NORMAL)
		*name = "normal";
	else if (st == SPHB_PE_STATE_RESET)
		*name = "reset";
	else if (st == SPHB_PE_STATE_STOPPED)
		*name = "stopped";
	else if (st == SPHB_PE_STATE_STOPPED_DMA)
		*name = "stopped-dma";
	else
		*name = "unavailable";
	return st < 0 ? st : 0;
}

SPHB_API uint64_t sphb_clock_ms(const struct sphb_machine *m)
{
	return m ? m->now_ms : 0;
}

SPHB_API int sphb_clock_advance(struct sphb_machine *m, uint64_t ms)
{
	if (!m || ms > UINT64_MAX - m->now_ms)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	m->now_ms += ms;
	return 0;
}

SPHB_API int sphb_dev_config_addr(const struct sphb_machine *m, const char *dev_id,
				  uint64_t *buid, uint32_t *cfg)
{
	const struct sphb_func *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_func_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	if (buid)
		*buid = d->phb->buid;
	if (cfg)
		*cfg = sphb_func_cfg_addr(d);
	return 0;
}

/* ---- the library's own device models (sim-pci) ---- */

SPHB_API int sphb_dev_intx(struct sphb_machine *m, const char *dev_id, int level)
{
	struct sphb_func *f;

	if (!m || !dev_id)
		return -EINVAL;
	f = sphb_func_by_id(m, dev_id);
	if (!f)
		return -ENOENT;
	if (!f->kind->dev_intx)
		return sphb_func_intx(f, level); /* the VMM's function: its output */
	return f->kind->dev_intx(f, level);
}

SPHB_API int sphb_dev_msi(struct sphb_machine *m, const char *dev_id, unsigned vector)
{
	struct sphb_func *f;

	if (!m || !dev_id)
		return -EINVAL;
	f = sphb_func_by_id(m, dev_id);
	if (!f)
		return -ENOENT;
	if (sphb_func_dma_stopped(f))
		return -EIO; /* PAPR R1-5.4.1.1-9: MSIs are DMA */
	if (!f->kind->dev_msi)
		return -ENOTSUP; /* a VMM function sends its MSIs with sphb_dma_write() */
	return f->kind->dev_msi(f, vector);
}
