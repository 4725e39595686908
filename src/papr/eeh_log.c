/* ibm,slot-error-detail: the PAPR error log (PAPR 7.3.11.5, the RTAS error
 * log format of PAPR 10.3.2 and Table 10-4) and
 * the permanent-failure function. The byte layout is docs/error-log.md.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Sizes of the pieces (docs/error-log.md). */
#define LOG_FIXED 8u		/* Table 10-4 fixed part incl. the length word */
#define LOG_V6HDR 16u		/* general extended log header, version 6 */
#define SEC_HDR 8u		/* PEL section header */
#define SEC_PH 48u		/* Main-A, Private Header */
#define SEC_UH 24u		/* Main-B, User Header */
#define SEC_PE 56u		/* User Data 1: PE summary */
#define SEC_FN 112u		/* User Data 2: one function's registers */
#define LOG_MIN_EXT (LOG_FIXED + LOG_V6HDR + SEC_PH + SEC_UH)

#define UD_SUB_PE 0x01
#define UD_SUB_FUNC 0x02
#define UD_SUB_DRIVER 0x03

/* Fixed-part values (PAPR Table 10-4). */
#define SEV_ERROR 4u
#define SEV_FATAL 5u
#define DISP_NOT_RECOVERED 2u
#define INIT_PCI 2u
#define TYPE_TCE 2u
#define TYPE_INTERNAL 3u
#define TYPE_DATA_PARITY 5u
#define TYPE_ADDR_PARITY 6u
#define TYPE_ADDR_INVALID 8u

#define NO_ERR_OP 0xffffffffu
#define STATE_UNKNOWN 0xffu

static uint8_t *sec_hdr(uint8_t *p, const char id[2], uint16_t len, uint8_t subtype)
{
	p[0] = (uint8_t)id[0];
	p[1] = (uint8_t)id[1];
	put_be16(p + 2, len);
	p[4] = 1;	/* section version */
	p[5] = subtype;
	put_be16(p + 6, 0); /* creator component: none */
	return p + SEC_HDR;
}

/* PAPR Table 10-4 Type for a Table 7-75 operation. */
static uint8_t type_of_op(uint32_t op)
{
	switch (op) {
	case 0: case 2: case 4: case 6: case 8: case 10: case 12: case 16:
		return TYPE_ADDR_PARITY;
	case 1: case 3: case 5: case 7: case 9: case 11: case 13: case 17:
		return TYPE_DATA_PARITY;
	case 14: case 18: /* master abort: nobody claimed the address */
		return TYPE_ADDR_INVALID;
	case 15: case 19: /* target abort: what a TCE fault produces */
		return TYPE_TCE;
	default:
		return TYPE_INTERNAL;
	}
}

/* Config registers as firmware reads them from the fabric: no stopped-PE
 * masking, no extended-config clamp. Out of range reads as 0. */
static uint32_t fab_read(struct sphb_func *d, uint32_t off, unsigned size)
{
	return off + size <= d->cfg_size ? sphb_func_cfg_read(d, off, size) : 0;
}

static void put_function(uint8_t *p, struct sphb_func *d)
{
	uint32_t pcie = d->pcie_cap, aer = d->aer_cap;

	p = sec_hdr(p, "UD", SEC_FN, UD_SUB_FUNC);
	put_be32(p, sphb_func_cfg_addr(d));
	put_be16(p + 4, (uint16_t)pcie);
	put_be16(p + 6, (uint16_t)aer);
	put_be16(p + 8, (uint16_t)fab_read(d, PCI_VENDOR_ID, 2));
	put_be16(p + 10, (uint16_t)fab_read(d, 0x02, 2));
	put_be16(p + 12, (uint16_t)fab_read(d, PCI_COMMAND, 2));
	put_be16(p + 14, (uint16_t)fab_read(d, PCI_STATUS, 2));
	put_be32(p + 16, fab_read(d, PCI_REVISION_ID, 4));
	if ((fab_read(d, PCI_HEADER_TYPE, 1) & 0x7f) == 1) {
		put_be16(p + 20, 0);	/* type 1: Secondary Status instead */
		put_be16(p + 22, (uint16_t)fab_read(d, 0x1e, 2));
	} else {
		put_be16(p + 20, (uint16_t)fab_read(d, PCI_SUBSYSTEM_VENDOR_ID, 2));
		put_be16(p + 22, (uint16_t)fab_read(d, PCI_SUBSYSTEM_VENDOR_ID + 2, 2));
	}
	for (uint32_t i = 0; i < 9; i++) /* PCIe capability 0x00..0x20 */
		put_be32(p + 24 + 4 * i, pcie ? fab_read(d, pcie + 4 * i, 4) : 0);
	for (uint32_t i = 0; i < 11; i++) /* AER 0x00..0x18, header log 0x1c..0x28 */
		put_be32(p + 60 + 4 * i, aer ? fab_read(d, aer + 4 * i, 4) : 0);
}

/* Guest buffer [addr, addr+len) must be inside the 32-bit real address
 * space the cells can name, and accessible (first and last byte probed). */
static bool guest_range_ok(struct sphb_machine *m, uint32_t addr, uint32_t len)
{
	uint8_t b;

	if (len == 0)
		return true;
	if ((uint64_t)addr + len > 0x100000000ull)
		return false;
	return !m->ops.mem_read(m->opaque, addr, &b, 1) &&
	       !m->ops.mem_read(m->opaque, (uint64_t)addr + len - 1, &b, 1);
}

int32_t sphb_eeh_error_detail(struct sphb_machine *m, struct sphb_phb *phb,
			      struct sphb_pe *pe, struct sphb_rtas_ctx *c)
{
	uint32_t drv_pa = rtas_arg(c, 3), drv_len = rtas_arg(c, 4);
	uint32_t ret_pa = rtas_arg(c, 5), ret_len = rtas_arg(c, 6);
	uint32_t fn = rtas_arg(c, 7), info = 0, nfuncs = 0, ndrv;
	uint8_t drv[SPHB_EEH_LOG_DRV_MAX], *log, *p;
	struct sphb_group *g = pe->group >= 0 ? sphb_group_find(m, pe->group) : NULL;
	struct sphb_host_error herr = { 0 };
	bool fatal, have_log;
	size_t full, room, len;
	unsigned nsec = 2;
	uint8_t type = TYPE_INTERNAL;
	int st;

	/* 1. validate the guest's input: -3 and no state change */
	if (ret_len < LOG_FIXED || !guest_range_ok(m, ret_pa, ret_len) ||
	    !guest_range_ok(m, drv_pa, drv_len))
		return RTAS_OUT_PARAM_ERROR;
	ndrv = drv_len < SPHB_EEH_LOG_DRV_MAX ? drv_len : SPHB_EEH_LOG_DRV_MAX;
	if (ndrv && m->ops.mem_read(m->opaque, drv_pa, drv, ndrv))
		return RTAS_OUT_PARAM_ERROR;

	/* 2. is there a log? (PAPR R1-7.3.11.5-4..-8, -12) */
	st = sphb_eeh_pe_state(phb, pe, &info);
	have_log = fn == 2 || pe->permanent || st == SPHB_PE_STATE_STOPPED ||
		   st == SPHB_PE_STATE_STOPPED_DMA || st == SPHB_PE_STATE_UNAVAIL;
	if (!have_log) {
		if (st < 0) {
			sphb_log(m, SPHB_LOG_WARN,
				 "eeh: PHB '%s' PE 0x%08x (group %d): error log: get state failed: errno %d",
				 phb->id, pe->addr, pe->group, -st);
			return RTAS_OUT_HW_ERROR;
		}
		return RTAS_OUT_NO_ERRORS_FOUND;
	}

	/* 3. build the whole log, then cut it to the caller's length */
	if (g && g->phb != phb)
		g = NULL;
	nfuncs = g ? g->nmembers : 0;
	full = LOG_MIN_EXT + SEC_PE + (size_t)nfuncs * SEC_FN + (ndrv ? SEC_HDR + ndrv : 0);
	log = calloc(1, full);
	if (!log) {
		sphb_log(m, SPHB_LOG_ERROR, "eeh: PHB '%s' PE 0x%08x: cannot allocate the error log",
			 phb->id, pe->addr);
		return RTAS_OUT_HW_ERROR; /* cannot create the log */
	}
	if (g && g->ops->last_error)
		g->ops->last_error(g, &herr);
	if (herr.injected && (st == SPHB_PE_STATE_STOPPED || st == SPHB_PE_STATE_STOPPED_DMA))
		type = type_of_op(herr.func);
	fatal = fn == 2 || pe->permanent;

	room = ret_len;
	p = log + LOG_MIN_EXT;
	len = room < LOG_MIN_EXT ? LOG_FIXED : LOG_MIN_EXT;
	if (len == LOG_MIN_EXT && room - len >= SEC_PE) {
		uint8_t *s = sec_hdr(p, "UD", SEC_PE, UD_SUB_PE);

		put_be32(s, phb->per_group ? pe->addr : sphb_shared_pe_addr(0));
		put_be64(s + 4, phb->buid);
		s[12] = st < 0 ? STATE_UNKNOWN : (uint8_t)st;
		s[13] = (uint8_t)fn;
		put_be16(s + 14, (uint16_t)nfuncs);
		put_be32(s + 16, herr.injected ? herr.func : NO_ERR_OP);
		put_be32(s + 20, 0);
		put_be64(s + 24, herr.injected ? herr.addr : 0);
		put_be64(s + 32, herr.time_ms);
		put_be32(s + 40, herr.freezes);
		put_be32(s + 44, 0);
		p += SEC_PE;
		len += SEC_PE;
		nsec++;
		/* register sections in devfn order while they fit: a prefix, no
		 * holes; the driver's data may still fit after them */
		for (unsigned i = 0; i < 256 && room - len >= SEC_FN; i++) {
			struct sphb_func *d = phb->devs[i];

			if (!d || !g || d->group != g)
				continue;
			put_function(p, d);
			p += SEC_FN;
			len += SEC_FN;
			nsec++;
		}
	}
	if (len >= LOG_MIN_EXT && ndrv && room - len > SEC_HDR) {
		size_t n = room - len - SEC_HDR < ndrv ? room - len - SEC_HDR : ndrv;

		memcpy(sec_hdr(p, "UD", (uint16_t)(SEC_HDR + n), UD_SUB_DRIVER), drv, n);
		len += SEC_HDR + n;
		nsec++;
	}

	/* fixed part (PAPR Table 10-4) */
	log[0] = 6;
	log[1] = (uint8_t)((fatal ? SEV_FATAL : SEV_ERROR) << 5 | DISP_NOT_RECOVERED << 3 |
			   (len > LOG_FIXED ? 0x04u : 0));
	log[2] = INIT_PCI << 4 | INIT_PCI;
	log[3] = type;
	put_be32(log + 4, (uint32_t)(len - LOG_FIXED));
	if (len > LOG_FIXED) {
		uint8_t *h = log + LOG_FIXED, *s;

		/* version-6 general extended log header */
		h[0] = 0x80 | 0x40 | 0x04 | 0x02; /* valid, unrecoverable, new, big-endian */
		h[2] = 0x80 | 14;		   /* PowerPC format, event log */
		memcpy(h + 12, "IBM", 4);
		/* Main-A: Private Header */
		s = sec_hdr(h + LOG_V6HDR, "PH", SEC_PH, 0);
		s[16] = 'H';		/* creator: hypervisor */
		s[19] = (uint8_t)nsec;
		memcpy(s + 24, "SPHB", 4);
		put_be32(s + 28, SPHB_VERSION_NUMBER);
		/* Main-B: User Header */
		s = sec_hdr(h + LOG_V6HDR + SEC_PH, "UH", SEC_UH, 0);
		s[0] = 0x40;			/* subsystem: I/O adapter */
		s[2] = fatal ? 0x44 : 0x40;	/* unrecoverable / ... loss of function */
		put_be16(s + 10, fatal ? 0x8000 : 0); /* service action required */
	}

	/* 4. one write; only then the state change of function 2 */
	if (m->ops.mem_write(m->opaque, ret_pa, log, len)) {
		free(log);
		return RTAS_OUT_PARAM_ERROR;
	}
	free(log);
	if (fn == 2 && !pe->permanent) {
		pe->permanent = true; /* PAPR R1-7.3.11.5-12 */
		if (g)
			sphb_pe_sync_group(g);
		sphb_log(m, SPHB_LOG_INFO,
			 "eeh: PHB '%s' PE 0x%08x (group %d) is permanently unavailable (slot-error-detail function 2)",
			 phb->id, pe->addr, pe->group);
	}
	return RTAS_OUT_SUCCESS;
}
