/* The RTAS entry point: decodes the guest's argument buffer, dispatches
 * through the call table, and stores the outputs the call produced.
 * SPDX-License-Identifier: MIT */
#include <string.h>

#include "internal.h"

#define RTAS_TOKEN_BASE 0x2000u
#define RTAS_TOKEN_SLOTS 0x40u

struct rtas_call {
	const char *name;
	uint8_t nargs, nret; /* what a Linux guest passes */
	sphb_rtas_fn *fn;
	bool pure;	     /* changes no state: no need to probe the outputs first */
};

/* Tokens are QEMU 7.2's (include/hw/ppc/spapr.h RTAS_*): 0x2000 + slot;
 * 0x2030-0x2032 are beyond QEMU's table (RTAS_TOKEN_MAX 0x202D). */
static const struct rtas_call calls[RTAS_TOKEN_SLOTS] = {
	[0x14] = { "read-pci-config", 2, 2, sphb_rtas_read_pci_config, true },
	[0x15] = { "write-pci-config", 3, 1, sphb_rtas_write_pci_config, false },
	[0x16] = { "ibm,read-pci-config", 4, 2, sphb_rtas_ibm_read_pci_config, true },
	[0x17] = { "ibm,write-pci-config", 5, 1, sphb_rtas_ibm_write_pci_config, false },
	[0x18] = { "ibm,query-interrupt-source-number", 4, 3, sphb_rtas_query_irq, true },
	[0x19] = { "ibm,change-msi", 6, 4, sphb_rtas_change_msi, false },
	[0x20] = { "ibm,set-eeh-option", 4, 1, sphb_rtas_set_eeh_option, false },
	[0x21] = { "ibm,get-config-addr-info2", 4, 2, sphb_rtas_get_config_addr_info2, true },
	[0x22] = { "ibm,read-slot-reset-state2", 3, 4, sphb_rtas_read_slot_reset_state2, true },
	[0x23] = { "ibm,set-slot-reset", 4, 1, sphb_rtas_set_slot_reset, false },
	[0x24] = { "ibm,configure-pe", 3, 1, sphb_rtas_configure_pe, false },
	[0x25] = { "ibm,slot-error-detail", 8, 1, sphb_rtas_slot_error_detail, false },
	[0x26] = { "ibm,query-pe-dma-window", 3, 5, sphb_rtas_query_pe_dma_window, true },
	[0x27] = { "ibm,create-pe-dma-window", 5, 4, sphb_rtas_create_pe_dma_window, false },
	[0x28] = { "ibm,remove-pe-dma-window", 1, 1, sphb_rtas_remove_pe_dma_window, false },
	[0x29] = { "ibm,reset-pe-dma-window", 3, 1, sphb_rtas_reset_pe_dma_window, false },
	/* beyond QEMU (none there; 0x202D-0x202F are unstable): ERRINJCT */
	[0x30] = { "ibm,open-errinjct", 0, 2, sphb_rtas_open_errinjct, false },
	[0x31] = { "ibm,errinjct", 3, 1, sphb_rtas_errinjct, false },
	[0x32] = { "ibm,close-errinjct", 1, 1, sphb_rtas_close_errinjct, false },
};

static const struct rtas_call *lookup(uint32_t token)
{
	uint32_t slot = token - RTAS_TOKEN_BASE; /* wraps below the base */

	if (slot >= RTAS_TOKEN_SLOTS || !calls[slot].fn)
		return NULL;
	return &calls[slot];
}

SPHB_API int sphb_rtas_token(const char *name)
{
	if (!name)
		return -EINVAL;
	for (uint32_t i = 0; i < RTAS_TOKEN_SLOTS; i++)
		if (calls[i].fn && !strcmp(calls[i].name, name))
			return (int)(RTAS_TOKEN_BASE + i);
	return -ENOENT;
}

SPHB_API const char *sphb_rtas_name(uint32_t token)
{
	const struct rtas_call *c = lookup(token);
	return c ? c->name : NULL;
}

SPHB_API int sphb_rtas_counts(uint32_t token, uint32_t *nargs, uint32_t *nret)
{
	const struct rtas_call *c = lookup(token);

	if (!c)
		return -ENOENT;
	if (nargs)
		*nargs = c->nargs;
	if (nret)
		*nret = c->nret;
	return 0;
}

SPHB_API int sphb_rtas_owned(struct sphb_machine *m, uint64_t buf_gpa)
{
	uint8_t hdr[12 + 12];
	uint32_t token, nargs;
	const struct rtas_call *call;
	uint64_t gpa;
	unsigned idx, w;

	if (!m)
		return -EINVAL;
	gpa = buf_gpa & 0x0fffffffffffffffull; /* as sphb_rtas_call */
	if (m->ops.mem_read(m->opaque, gpa, hdr, 12))
		return -EFAULT;
	token = get_be32(hdr);
	nargs = get_be32(hdr + 4);
	call = lookup(token);
	if (!call)
		return 0;
	if (call->fn == sphb_rtas_open_errinjct || call->fn == sphb_rtas_errinjct ||
	    call->fn == sphb_rtas_close_errinjct)
		return 1; /* the session is the library's */
	if (nargs > 3)
		nargs = 3;
	if (nargs && m->ops.mem_read(m->opaque, gpa + 12, hdr + 12, 4 * nargs))
		return -EFAULT;
	if (call->fn == sphb_rtas_remove_pe_dma_window)
		return nargs >= 1 && sphb_liobn_decode(get_be32(hdr + 12), &idx, &w) && m->phbs[idx];
	if (call->fn == sphb_rtas_read_pci_config || call->fn == sphb_rtas_write_pci_config)
		return 0; /* BUID 0: nobody's */
	return nargs >= 3 && sphb_phb_by_buid(m, (uint64_t)get_be32(hdr + 16) << 32 | get_be32(hdr + 20));
}

SPHB_API int sphb_rtas_call(struct sphb_machine *m, uint64_t buf_gpa,
			    struct sphb_rtas_result *res)
{
	uint8_t hdr[12];
	uint8_t cells[4 * SPHB_RTAS_MAX_CELLS];
	uint32_t args[SPHB_RTAS_MAX_CELLS];
	struct sphb_rtas_ctx c;
	const struct rtas_call *call;
	uint64_t gpa, cells_gpa;
	size_t ncells;
	unsigned lo, hi;

	if (!m)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	if (res && res->sz >= sizeof(*res)) {
		res->token = res->nargs = res->nret = 0;
		res->rets_written = 0;
	}
	/* A real-mode address: the top 4 bits are not decoded (ppc64_phys_to_real). */
	gpa = buf_gpa & 0x0fffffffffffffffull;
	if (m->ops.mem_read(m->opaque, gpa, hdr, sizeof(hdr))) {
		sphb_log(m, SPHB_LOG_WARN, "rtas: argument buffer at 0x%llx is not readable",
			 (unsigned long long)gpa);
		return -EFAULT;
	}
	c.token = get_be32(hdr);
	c.nargs = get_be32(hdr + 4);
	c.nret = get_be32(hdr + 8);
	if (res && res->sz >= sizeof(*res)) {
		res->token = c.token;
		res->nargs = c.nargs;
		res->nret = c.nret;
	}
	if (c.nargs > SPHB_RTAS_MAX_CELLS || c.nret > SPHB_RTAS_MAX_CELLS ||
	    c.nargs + c.nret > SPHB_RTAS_MAX_CELLS) {
		sphb_log(m, SPHB_LOG_WARN,
			 "rtas: token 0x%x: nargs %u + nret %u exceeds %u cells; buffer left untouched",
			 c.token, c.nargs, c.nret, SPHB_RTAS_MAX_CELLS);
		return -EINVAL;
	}
	ncells = c.nargs + c.nret;
	cells_gpa = gpa + sizeof(hdr); /* gpa < 2^60: no overflow */
	/* One read of the args and the current rets: outputs the call does not
	 * produce are written back unchanged, so the store below is one piece. */
	if (ncells && m->ops.mem_read(m->opaque, cells_gpa, cells, 4 * ncells)) {
		sphb_log(m, SPHB_LOG_WARN,
			 "rtas: token 0x%x: %zu argument cells at 0x%llx are not readable",
			 c.token, ncells, (unsigned long long)cells_gpa);
		return -EFAULT;
	}
	/* The outputs of a call that changes state must be writable before it
	 * runs, so it never changes state and then fails to report it. Storing
	 * the current contents back changes nothing in guest memory. */
	call = lookup(c.token);
	if (c.nret && call && !call->pure && m->ops.mem_write(m->opaque, cells_gpa + 4 * c.nargs, cells + 4 * c.nargs,
				       4 * (size_t)c.nret)) {
		sphb_log(m, SPHB_LOG_WARN, "rtas: token 0x%x: outputs at 0x%llx are not writable",
			 c.token, (unsigned long long)(cells_gpa + 4 * c.nargs));
		return -EFAULT;
	}
	for (uint32_t i = 0; i < c.nargs; i++)
		args[i] = get_be32(cells + 4 * i);
	c.args = args;
	c.written = 0;

	if (call)
		call->fn(m, &c);
	else
		rtas_status(&c, RTAS_OUT_PARAM_ERROR);

	if (c.written) {
		lo = (unsigned)__builtin_ctzll(c.written);
		hi = 63u - (unsigned)__builtin_clzll(c.written);
		for (unsigned i = lo; i <= hi; i++)
			if (c.written & (1ull << i))
				put_be32(cells + 4 * (c.nargs + i), c.rets[i]);
		if (m->ops.mem_write(m->opaque, cells_gpa + 4 * (c.nargs + lo),
				     cells + 4 * (c.nargs + lo), 4 * (hi - lo + 1))) {
			sphb_log(m, SPHB_LOG_WARN, "rtas: token 0x%x: outputs at 0x%llx are not writable",
				 c.token, (unsigned long long)(cells_gpa + 4 * c.nargs));
			return -EFAULT;
		}
	}
	if (res && res->sz >= sizeof(*res))
		res->rets_written = (uint32_t)c.written;
	return call ? 0 : -ENOENT;
}
