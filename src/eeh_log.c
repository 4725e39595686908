/* ibm,slot-error-detail: the PAPR error log (papr-spec.md C.12) and the
 * permanent-failure function. SPDX-License-Identifier: MIT */
#include <string.h>

#include "internal.h"
#include "backend/backend.h"

int32_t sphb_eeh_error_detail(struct sphb_machine *m, struct sphb_phb *phb,
			      struct sphb_pe *pe, struct sphb_rtas_ctx *c)
{
	uint32_t info;
	int st = sphb_eeh_pe_state(phb, pe, &info);
	bool have_log = st == SPHB_PE_STATE_STOPPED || st == SPHB_PE_STATE_STOPPED_DMA ||
			pe->permanent || c->args[7] == 2;

	(void)m;
	if (c->args[7] == 2)
		pe->permanent = true; /* PAPR R1-7.3.11.5-12 */
	return have_log ? RTAS_OUT_SUCCESS : RTAS_OUT_NO_ERRORS_FOUND;
}
