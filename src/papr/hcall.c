/* The TCE hypercalls (qemu-spapr-phb.md §7.2; papr-spec.md C.11): H_PUT_TCE,
 * H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT, with QEMU's checks and return
 * codes, and the default-window (re)creation of PHB reset (§5.4 step 1).
 * SPDX-License-Identifier: MIT */
#include "internal.h"

#define H_SUCCESS 0
#define H_HARDWARE (-1)
#define H_PARAMETER (-4)
#define H_GET_TCE 0x1c
#define H_PUT_TCE 0x20
#define H_STUFF_TCE 0x138
#define H_PUT_TCE_INDIRECT 0x13c
#define TCE_LIST_MAX 512u

int sphb_dma_reset(struct sphb_phb *phb)
{
	struct sphb_tce_table *t = sphb_tce_new(0x80000000u | phb->index << 8, phb->dma_win_addr, 12,
						phb->dma_win_size >> 12);
	if (!t)
		return -ENOMEM;
	(void)sphb_tce_publish(phb, 1, NULL);
	(void)sphb_tce_publish(phb, 0, t); /* a host refusal is logged by the backend */
	phb->win_default[0] = true;
	phb->win_default[1] = false;
	return 0;
}

static int64_t stuff_tce(struct sphb_machine *m, uint64_t liobn, uint64_t ioba, uint64_t tce,
			 uint64_t npages)
{
	struct sphb_phb *phb = NULL;
	struct sphb_tce_table *t = sphb_tce_by_liobn(m, liobn, &phb);
	uint64_t want, done;
	int64_t i0;

	if (!t || npages == 0 || npages > sphb_tce_nb(t))
		return H_PARAMETER;
	i0 = sphb_tce_index(t, ioba);
	if (i0 < 0)
		return H_PARAMETER;
	/* npages <= nb, so i0 + npages cannot wrap; past the end: partial (QEMU) */
	want = (uint64_t)i0 + npages > sphb_tce_nb(t) ? sphb_tce_nb(t) - (uint64_t)i0 : npages;
	done = sphb_tce_put_run(t, (uint64_t)i0, NULL, tce, want);
	sphb_tce_changed(phb, t, (uint64_t)i0, done);
	return done == npages ? H_SUCCESS : H_PARAMETER;
}

static int64_t put_tce_indirect(struct sphb_machine *m, uint64_t liobn, uint64_t ioba,
				uint64_t list, uint64_t npages)
{
	struct sphb_phb *phb = NULL;
	struct sphb_tce_table *t = sphb_tce_by_liobn(m, liobn, &phb);
	uint8_t buf[8 * TCE_LIST_MAX];
	uint64_t want, done;
	int64_t i0;

	if (!t || npages == 0 || npages > TCE_LIST_MAX || (list & 0xfff))
		return H_PARAMETER;
	/* one read of the whole list from guest real memory; a list the host
	 * cannot read (outside RAM) is H_HARDWARE and changes nothing (QEMU
	 * would read unassigned memory as zeros) */
	if (m->ops.mem_read(m->opaque, list & 0x0fffffffffffffffull, buf, (size_t)npages * 8))
		return H_HARDWARE;
	i0 = sphb_tce_index(t, ioba);
	if (i0 < 0)
		return H_PARAMETER;
	/* stops at the first failing entry (QEMU) */
	want = (uint64_t)i0 + npages > sphb_tce_nb(t) ? sphb_tce_nb(t) - (uint64_t)i0 : npages;
	done = sphb_tce_put_run(t, (uint64_t)i0, buf, 0, want);
	sphb_tce_changed(phb, t, (uint64_t)i0, done);
	return done == npages ? H_SUCCESS : H_PARAMETER;
}

SPHB_API int sphb_hcall(struct sphb_machine *m, uint64_t opcode, const uint64_t *args,
			unsigned nargs, uint64_t *rets, unsigned nrets, int64_t *hret)
{
	uint64_t tce = 0;

	if (!m || !hret || (nargs && !args))
		return -EINVAL;
	/* registers the caller did not give read as 0 */
#define ARG(i) (nargs > (i) ? args[i] : 0)
	switch (opcode) {
	case H_PUT_TCE:
		*hret = sphb_tce_h_put(m, ARG(0), ARG(1), ARG(2));
		return 0;
	case H_GET_TCE:
		*hret = sphb_tce_h_get(m, ARG(0), ARG(1), &tce);
		if (*hret == H_SUCCESS && rets && nrets)
			rets[0] = tce;
		return 0;
	case H_STUFF_TCE:
		*hret = stuff_tce(m, ARG(0), ARG(1), ARG(2), ARG(3));
		return 0;
	case H_PUT_TCE_INDIRECT:
		*hret = put_tce_indirect(m, ARG(0), ARG(1), ARG(2), ARG(3));
		return 0;
#undef ARG
	default:
		return -ENOENT; /* not an hcall of this library: the VMM's H_FUNCTION */
	}
}
