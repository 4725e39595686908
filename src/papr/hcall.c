/* The TCE hypercalls (PAPR 14.5.4.2; QEMU 7.2 hw/ppc/spapr_iommu.c
 * h_put_tce(), h_get_tce(), h_stuff_tce(), h_put_tce_indirect()): H_PUT_TCE,
 * H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT, with QEMU's checks and return
 * codes. SPDX-License-Identifier: MIT */
#include "internal.h"

#define H_SUCCESS SPHB_H_SUCCESS
#define H_HARDWARE SPHB_H_HARDWARE
#define H_PARAMETER SPHB_H_PARAMETER
#define TCE_LIST_MAX 512u

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
	SPHB_NOT_IN_CALLBACK(m);
	/* the registers each call takes (PAPR 14.5.4.2): fewer is a caller
	 * error, never a silent 0 (an H_PUT_TCE without its TCE would unmap) */
	switch (opcode) {
	case SPHB_H_PUT_TCE:
		if (nargs < 3)
			return -EINVAL;
		*hret = sphb_tce_h_put(m, args[0], args[1], args[2]);
		return 0;
	case SPHB_H_GET_TCE:
		if (nargs < 2 || nrets < 1 || !rets)
			return -EINVAL;
		*hret = sphb_tce_h_get(m, args[0], args[1], &tce);
		if (*hret == H_SUCCESS)
			rets[0] = tce;
		return 0;
	case SPHB_H_STUFF_TCE:
		if (nargs < 4)
			return -EINVAL;
		*hret = stuff_tce(m, args[0], args[1], args[2], args[3]);
		return 0;
	case SPHB_H_PUT_TCE_INDIRECT:
		if (nargs < 4)
			return -EINVAL;
		*hret = put_tce_indirect(m, args[0], args[1], args[2], args[3]);
		return 0;
	default:
		return -ENOENT; /* not an hcall of this library: the VMM's H_FUNCTION */
	}
}
