/* Public controls of the simulated host and of virtual time: what a test or
 * the CLI does "on the host side" (freeze a PE, keep the host busy with it).
 * SPDX-License-Identifier: MIT */
#include "internal.h"
#include "host/host.h"

static int sim_dev(struct sphb_machine *m, const char *dev_id, struct sphb_dev **dp,
		   struct sphb_sim_group **gp)
{
	struct sphb_dev *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_dev_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	if (d->iommu_group < 0)
		return -ENODEV; /* emulated: never EEH-capable */
	*dp = d;
	*gp = sphb_sim_group(m, d->iommu_group, false);
	return *gp ? 0 : -ENODEV;
}

static uint32_t pe_addr(const struct sphb_dev *d)
{
	const struct sphb_pe *pe = sphb_eeh_pe_of_dev(d);

	if (!d->phb->per_group)
		return (uint32_t)d->bus << 16 | 1;
	return pe ? pe->addr : 0;
}

SPHB_API int sphb_host_freeze(struct sphb_machine *m, const char *dev_id, uint32_t *pe_cfg)
{
	struct sphb_dev *d;
	struct sphb_sim_group *g;
	int rc = sim_dev(m, dev_id, &d, &g);

	if (rc)
		return rc;
	sphb_sim_freeze(m, g);
	if (pe_cfg)
		*pe_cfg = pe_addr(d);
	return 0;
}

SPHB_API int sphb_host_busy(struct sphb_machine *m, const char *dev_id, uint32_t ms)
{
	struct sphb_dev *d;
	struct sphb_sim_group *g;
	int rc = sim_dev(m, dev_id, &d, &g);

	if (rc)
		return rc;
	g->busy_until_ms = m->now_ms + ms;
	return 0;
}

SPHB_API int sphb_host_fail(struct sphb_machine *m, const char *dev_id, int err, unsigned count)
{
	struct sphb_dev *d;
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
	struct sphb_dev *d;
	struct sphb_sim_group *g;
	const struct sphb_pe *pe;
	int rc = sim_dev(m, dev_id, &d, &g), st;

	if (rc)
		return rc;
	pe = sphb_eeh_pe_of_dev(d);
	st = sphb_sim_state(m, g);
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
	m->now_ms += ms;
	return 0;
}

SPHB_API int sphb_dev_config_addr(const struct sphb_machine *m, const char *dev_id,
				  uint64_t *buid, uint32_t *cfg)
{
	const struct sphb_dev *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_dev_by_id(m, dev_id);
	if (!d)
		return -ENOENT;
	if (buid)
		*buid = d->phb->buid;
	if (cfg)
		*cfg = (uint32_t)d->bus << 16 | (uint32_t)d->devfn << 8;
	return 0;
}
