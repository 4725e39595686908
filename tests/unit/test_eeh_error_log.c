/* ibm,slot-error-detail: the returned PAPR log decoded field by field
 * (docs/error-log.md), truncation, the status rules, function 2 and the
 * permanent state, and guest-buffer validation. SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "harness.h"

#define BUID1 0x0800000020000001ull
#define BUID2 0x0800000020000002ull
#define RB 0x300000u	/* return buffer */
#define DB 0x280000u	/* driver buffer */
#define FILL 0xa5u

#define LOG_MIN 96u	/* fixed 8 + v6 header 16 + PH 48 + UH 24 */
#define SEC_PE 56u
#define SEC_FN 112u

static uint32_t tok_sed, tok_state, tok_reset, tok_opt, tok_open, tok_inj, tok_close;

static const char drvmsg[] = "EEH: driver register dump: 0000:00:02.0 cmd 0006 sts 0010\n";

/* Registers of one function as the guest read them before the freeze. */
struct regs {
	uint32_t cfg;
	uint16_t pcie, aer;
	uint16_t vendor, device, command, status;
	uint32_t revclass;
	uint16_t ssvid, ssid;
	uint32_t pciecap[9], aerregs[11];
};

static struct sphb_machine *machine(struct t_host *h)
{
	return t_machine(h,
		"spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		"sim-pci,bus=phb1.0,addr=2.0,id=a0,iommu-group=1,pcie=on,msi=1,multifunction=on,"
		"vendor=0x8086,device=0x100e,subsys-vendor=0x1af4,subsys=0x1100,rev=3,class=0x020000,"
		"bar0=mem32:0x1000",
		"sim-pci,bus=phb1.0,addr=2.1,id=a1,iommu-group=1,vendor=0x10de,device=0x1234,"
		"subsys-vendor=0x10de,subsys=0x0042,rev=0xa1,class=0x030000",
		"sim-pci,bus=phb1.0,addr=3,id=b,iommu-group=2,pcie=on,msi=1",
		(const char *)NULL);
}

static uint16_t ld16(struct t_host *h, uint64_t a)
{
	return (uint16_t)(h->ram[a] << 8 | h->ram[a + 1]);
}

static uint64_t ld64(struct t_host *h, uint64_t a)
{
	return (uint64_t)t_ld32(h, a) << 32 | t_ld32(h, a + 4);
}

static uint32_t rd(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t cfg,
		   unsigned reg, unsigned size)
{
	uint32_t v = 0;

	CHECK_EQ(t_cfg_read(m, h, buid, cfg | t_cfgaddr(0, 0, 0, reg), size, &v), 0);
	return v;
}

static void read_regs(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t cfg,
		      struct regs *r)
{
	unsigned cap;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->vendor = (uint16_t)rd(m, h, buid, cfg, 0, 2);
	r->device = (uint16_t)rd(m, h, buid, cfg, 2, 2);
	r->command = (uint16_t)rd(m, h, buid, cfg, 4, 2);
	r->status = (uint16_t)rd(m, h, buid, cfg, 6, 2);
	r->revclass = rd(m, h, buid, cfg, 8, 4);
	r->ssvid = (uint16_t)rd(m, h, buid, cfg, 0x2c, 2);
	r->ssid = (uint16_t)rd(m, h, buid, cfg, 0x2e, 2);
	for (cap = rd(m, h, buid, cfg, 0x34, 1); cap; cap = rd(m, h, buid, cfg, cap + 1, 1))
		if (rd(m, h, buid, cfg, cap, 1) == 0x10)
			r->pcie = (uint16_t)cap;
	if (r->pcie) {
		for (unsigned i = 0; i < 9; i++)
			r->pciecap[i] = rd(m, h, buid, cfg, r->pcie + 4 * i, 4);
		if ((rd(m, h, buid, cfg, 0x100, 4) & 0xffff) == 1) {
			r->aer = 0x100;
			for (unsigned i = 0; i < 11; i++)
				r->aerregs[i] = rd(m, h, buid, cfg, 0x100 + 4 * i, 4);
		}
	}
}

static int32_t sed(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t cfg,
		   uint32_t drv, uint32_t drvlen, uint32_t ret, uint32_t retlen, uint32_t fn)
{
	uint32_t a[8] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid, drv, drvlen, ret, retlen, fn };
	uint32_t r[1];

	t_rtas_n(m, h, tok_sed, 8, 1, a, r);
	return (int32_t)r[0];
}

static int pe_state(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t cfg,
		    uint32_t *info)
{
	uint32_t a[3] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid }, r[4];

	t_rtas_n(m, h, tok_state, 3, 4, a, r);
	if (info)
		*info = r[3];
	return r[0] ? -1000 - (int)(int32_t)r[0] : (int)r[1];
}


static int32_t call4(struct sphb_machine *m, struct t_host *h, uint32_t tok, uint64_t buid,
		     uint32_t cfg, uint32_t fn)
{
	uint32_t a[4] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid, fn }, r[1];

	t_rtas_n(m, h, tok, 4, 1, a, r);
	return (int32_t)r[0];
}

static void fill(struct t_host *h, uint32_t pa, uint32_t len)
{
	memset(h->ram + pa, FILL, len);
}

static bool untouched(struct t_host *h, uint32_t pa, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (h->ram[pa + i] != FILL)
			return false;
	return true;
}

struct expect {
	uint8_t severity, type, state, fn;
	uint32_t pe_cfg;
	uint64_t buid;
	unsigned nfuncs;
	const struct regs *funcs;	/* nfuncs entries, devfn order */
	uint32_t err_op;
	uint64_t err_addr, err_time;
	uint32_t freezes;
	const uint8_t *drv;
	uint32_t drvlen;		/* bytes of driver data expected in the log */
};

static void check_regs(struct t_host *h, uint32_t s, const struct regs *r)
{
	CHECK_EQ(t_ld32(h, s + 8), r->cfg);
	CHECK_EQ(ld16(h, s + 12), r->pcie);
	CHECK_EQ(ld16(h, s + 14), r->aer);
	CHECK_EQ(ld16(h, s + 16), r->vendor);
	CHECK_EQ(ld16(h, s + 18), r->device);
	CHECK_EQ(ld16(h, s + 20), r->command);
	CHECK_EQ(ld16(h, s + 22), r->status);
	CHECK_EQ(t_ld32(h, s + 24), r->revclass);
	CHECK_EQ(ld16(h, s + 28), r->ssvid);
	CHECK_EQ(ld16(h, s + 30), r->ssid);
	for (unsigned i = 0; i < 9; i++)
		CHECK_EQ(t_ld32(h, s + 32 + 4 * i), r->pciecap[i]);
	for (unsigned i = 0; i < 11; i++)
		CHECK_EQ(t_ld32(h, s + 68 + 4 * i), r->aerregs[i]);
}

static void check_sec_hdr(struct t_host *h, uint32_t s, const char *id, uint16_t len,
			  uint8_t subtype)
{
	CHECK_EQ(h->ram[s], (uint8_t)id[0]);
	CHECK_EQ(h->ram[s + 1], (uint8_t)id[1]);
	CHECK_EQ(ld16(h, s + 2), len);
	CHECK_EQ(h->ram[s + 4], 1);
	CHECK_EQ(h->ram[s + 5], subtype);
	CHECK_EQ(ld16(h, s + 6), 0);
}

/* Decode the log at RB, written into a buffer of retlen bytes pre-filled
 * with FILL: check every field against e and return the bytes written. */
static uint32_t check_log(struct t_host *h, uint32_t retlen, const struct expect *e)
{
	uint32_t full = LOG_MIN + SEC_PE + e->nfuncs * SEC_FN + (e->drvlen ? 8 + e->drvlen : 0);
	uint32_t len, ext, s, end, nsec = 0, nfn = 0, want_fn = 0;
	bool fatal = e->severity == 5, have_pe = false, have_drv = false;

	CHECK_EQ(h->ram[RB], 6);
	ext = t_ld32(h, RB + 4);
	len = 8 + ext;
	CHECK(len <= retlen);
	CHECK_EQ(h->ram[RB + 1] >> 5, e->severity);
	CHECK_EQ((h->ram[RB + 1] >> 3) & 3, 2);		/* not recovered */
	CHECK_EQ((h->ram[RB + 1] >> 2) & 1, ext ? 1 : 0);	/* extended */
	CHECK_EQ(h->ram[RB + 1] & 3, 0);
	CHECK_EQ(h->ram[RB + 2], 0x22);			/* PCI -> PCI */
	CHECK_EQ(h->ram[RB + 3], e->type);
	if (retlen < LOG_MIN) {
		CHECK_EQ(ext, 0);
	} else {
		CHECK(ext >= LOG_MIN - 8);
	}
	/* the byte after the log is untouched */
	if (len < retlen)
		CHECK_EQ(h->ram[RB + len], FILL);
	if (!ext)
		return len;
	/* v6 general extended header */
	CHECK_EQ(h->ram[RB + 8], 0xc6);
	CHECK_EQ(h->ram[RB + 9], 0);
	CHECK_EQ(h->ram[RB + 10], 0x8e);
	CHECK_EQ(h->ram[RB + 11], 0);
	for (unsigned i = 12; i < 20; i++)
		CHECK_EQ(h->ram[RB + i], 0);
	CHECK_EQ(t_ld32(h, RB + 20), 0x49424d00u);	/* "IBM\0" */
	/* Main-A */
	s = RB + 24;
	check_sec_hdr(h, s, "PH", 48, 0);
	for (unsigned i = 8; i < 24; i++)
		CHECK_EQ(h->ram[s + i], 0);
	CHECK_EQ(h->ram[s + 24], 'H');
	CHECK_EQ(h->ram[s + 25], 0);
	CHECK_EQ(h->ram[s + 26], 0);
	CHECK_EQ(t_ld32(h, s + 28), 0);
	CHECK(!memcmp(h->ram + s + 32, "SPHB", 4));
	CHECK_EQ(t_ld32(h, s + 36), SPHB_VERSION_NUMBER);
	CHECK_EQ(t_ld32(h, s + 40), 0);
	CHECK_EQ(t_ld32(h, s + 44), 0);
	/* Main-B */
	s += 48;
	check_sec_hdr(h, s, "UH", 24, 0);
	CHECK_EQ(h->ram[s + 8], 0x40);
	CHECK_EQ(h->ram[s + 9], 0);
	CHECK_EQ(h->ram[s + 10], fatal ? 0x44 : 0x40);
	CHECK_EQ(h->ram[s + 11], 0);
	CHECK_EQ(t_ld32(h, s + 12), 0);
	CHECK_EQ(ld16(h, s + 16), 0);
	CHECK_EQ(ld16(h, s + 18), fatal ? 0x8000 : 0);
	CHECK_EQ(t_ld32(h, s + 20), 0);
	s += 24;
	nsec = 2;
	end = RB + len;
	while (s < end) {
		uint16_t slen = ld16(h, s + 2);

		CHECK(slen >= 8 && s + slen <= end);
		if (slen < 8 || s + slen > end)
			break;
		CHECK(h->ram[s] == 'U' && h->ram[s + 1] == 'D');
		switch (h->ram[s + 5]) {
		case 1:
			CHECK(!have_pe && nfn == 0 && !have_drv);
			have_pe = true;
			check_sec_hdr(h, s, "UD", SEC_PE, 1);
			CHECK_EQ(t_ld32(h, s + 8), e->pe_cfg);
			CHECK_EQ(ld64(h, s + 12), e->buid);
			CHECK_EQ(h->ram[s + 20], e->state);
			CHECK_EQ(h->ram[s + 21], e->fn);
			CHECK_EQ(ld16(h, s + 22), e->nfuncs);
			CHECK_EQ(t_ld32(h, s + 24), e->err_op);
			CHECK_EQ(t_ld32(h, s + 28), 0);
			CHECK_EQ(ld64(h, s + 32), e->err_addr);
			CHECK_EQ(ld64(h, s + 40), e->err_time);
			CHECK_EQ(t_ld32(h, s + 48), e->freezes);
			CHECK_EQ(t_ld32(h, s + 52), 0);
			break;
		case 2:
			CHECK(have_pe && !have_drv && nfn < e->nfuncs);
			check_sec_hdr(h, s, "UD", SEC_FN, 2);
			if (nfn < e->nfuncs)
				check_regs(h, s, &e->funcs[nfn]);
			nfn++;
			break;
		case 3:
			CHECK(!have_drv);
			have_drv = true;
			check_sec_hdr(h, s, "UD", slen, 3);
			CHECK(slen > 8 && slen - 8u <= e->drvlen);
			CHECK(!memcmp(h->ram + s + 8, e->drv, slen - 8u));
			/* truncated only when the whole did not fit */
			if (slen - 8u < e->drvlen)
				CHECK_EQ(s + slen, RB + retlen);
			break;
		default:
			CHECK(0 && "unknown UD subtype");
		}
		nsec++;
		s += slen;
	}
	CHECK_EQ(s, end);
	CHECK_EQ(h->ram[RB + 24 + 27], nsec);	/* PH section count */
	/* sections were dropped only for lack of room */
	if (retlen >= full) {
		CHECK_EQ(len, full);
		CHECK(have_pe);
		CHECK_EQ(nfn, e->nfuncs);
		CHECK_EQ(have_drv, e->drvlen != 0);
	} else {
		want_fn = retlen >= LOG_MIN + SEC_PE ? (retlen - LOG_MIN - SEC_PE) / SEC_FN : 0;
		if (want_fn > e->nfuncs)
			want_fn = e->nfuncs;
		CHECK_EQ(have_pe, retlen >= LOG_MIN + SEC_PE);
		CHECK_EQ(nfn, want_fn);
	}
	return len;
}

static void test_full_log(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t cfg0 = t_cfgaddr(0, 2, 0, 0), cfg1 = t_cfgaddr(0, 2, 1, 0), pe_cfg = 0, info, w;
	struct regs r[2];
	struct expect e;
	uint64_t t_freeze;
	uint32_t lens[] = { 8, 9, 48, 95, 96, 97, LOG_MIN + SEC_PE - 1, LOG_MIN + SEC_PE,
			    LOG_MIN + SEC_PE + SEC_FN, LOG_MIN + SEC_PE + 2 * SEC_FN,
			    LOG_MIN + SEC_PE + 2 * SEC_FN + 8, LOG_MIN + SEC_PE + 2 * SEC_FN + 9,
			    LOG_MIN + SEC_PE + 2 * SEC_FN + 20, 0 /* exact */, 0 /* exact - 1 */,
			    2048, 4096 };
	uint32_t full, n = sizeof(drvmsg) - 1;

	/* give the registers some non-default values, as a driver would */
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg0 | 4, 2, 0x0106), 0);
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg1 | 4, 2, 0x0002), 0);
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg0 | t_cfgaddr(0, 0, 0, 0x108), 4, 0x00001010), 0);
	read_regs(m, &h, BUID1, cfg0, &r[0]);
	read_regs(m, &h, BUID1, cfg1, &r[1]);
	CHECK(r[0].pcie != 0);
	CHECK_EQ(r[0].aer, 0x100);
	CHECK_EQ(r[0].vendor, 0x8086);
	CHECK_EQ(r[0].command, 0x0106);
	CHECK_EQ(r[0].aerregs[2], 0x00001010);
	CHECK_EQ(r[1].pcie, 0);
	CHECK_EQ(r[1].aer, 0);
	CHECK_EQ(r[1].ssid, 0x0042);

	/* not frozen: status 1, nothing written */
	memcpy(h.ram + DB, drvmsg, n);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, n, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 4096));
	/* reset active (state 1): no log either */
	CHECK_EQ(call4(m, &h, tok_reset, BUID1, cfg0, 1), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, NULL), 1);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, n, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 4096));
	CHECK_EQ(call4(m, &h, tok_reset, BUID1, cfg0, 0), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, NULL), 0);
	/* the reset restored only what the host restores: re-read */
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg1 | 4, 2, 0x0002), 0);
	CHECK_EQ(t_cfg_write(m, &h, BUID1, cfg0 | t_cfgaddr(0, 0, 0, 0x108), 4, 0x00001010), 0);
	read_regs(m, &h, BUID1, cfg0, &r[0]);
	read_regs(m, &h, BUID1, cfg1, &r[1]);

	/* the hardware freezes the PE */
	CHECK_EQ(sphb_clock_advance(m, 12345), 0);
	t_freeze = sphb_clock_ms(m);
	CHECK_EQ(sphb_host_freeze(m, "a0", &pe_cfg), 0);
	CHECK_EQ(pe_cfg, cfg0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, NULL), 2);
	CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg0, 4, &w), 0);
	CHECK_EQ(w, 0xffffffffu); /* the guest sees all-ones; the log does not */

	memset(&e, 0, sizeof(e));
	e.severity = 4;
	e.type = 3;
	e.state = 2;
	e.fn = 1;
	e.pe_cfg = cfg0;
	e.buid = BUID1;
	e.nfuncs = 2;
	e.funcs = r;
	e.err_op = 0xffffffffu;
	e.err_time = t_freeze;
	e.freezes = 1;
	e.drv = (const uint8_t *)drvmsg;
	e.drvlen = n;
	full = LOG_MIN + SEC_PE + 2 * SEC_FN + 8 + n;
	lens[13] = full;
	lens[14] = full - 1;
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned writes = h.writes;
		uint32_t len;

		fill(&h, RB, 8192);
		CHECK_EQ(sed(m, &h, BUID1, i & 1 ? cfg1 : cfg0, DB, n, RB, lens[i], 1), 0);
		/* the outputs probed writable (unchanged), the log in one write, the status */
		CHECK_EQ(h.writes, writes + 3);
		len = check_log(&h, lens[i], &e);
		CHECK(len == (lens[i] < LOG_MIN ? 8 : len));
		CHECK(untouched(&h, RB + len, 8192 - len));
		if (lens[i] >= full)
			CHECK_EQ(len, full);
		/* the PE stays as it was */
		CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 2);
	}
	/* no driver buffer: no driver section */
	fill(&h, RB, 8192);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, 0, 0, RB, 2048, 1), 0);
	e.drvlen = 0;
	CHECK_EQ(check_log(&h, 2048, &e), LOG_MIN + SEC_PE + 2 * SEC_FN);
	/* a driver buffer larger than the copy bound: at most 1024 bytes */
	for (uint32_t i = 0; i < 4096; i++)
		h.ram[DB + i] = (uint8_t)(i * 7 + 1);
	fill(&h, RB, 8192);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, 0x800000, RB, 4096, 1), 0);
	e.drv = h.ram + DB;
	e.drvlen = 1024;
	CHECK_EQ(check_log(&h, 4096, &e), LOG_MIN + SEC_PE + 2 * SEC_FN + 8 + 1024);

	/* MMIO released (state 4): still a log, state 4 recorded */
	CHECK_EQ(call4(m, &h, tok_opt, BUID1, cfg0, 2), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, NULL), 4);
	fill(&h, RB, 8192);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, 16, RB, 2048, 1), 0);
	e.state = 4;
	e.drvlen = 16;
	check_log(&h, 2048, &e);
	/* DMA released: normal again -> status 1 (R1-7.3.11.5-8) */
	CHECK_EQ(call4(m, &h, tok_opt, BUID1, cfg0, 3), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, NULL), 0);
	fill(&h, RB, 8192);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, 16, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 8192));
	/* the neighbour PE was never frozen */
	CHECK_EQ(sed(m, &h, BUID1, t_cfgaddr(0, 3, 0, 0), DB, 16, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 8192));
	t_free(m, &h);
}

/* Injected errors give the Type of the operation. */
static void test_injected_types(void)
{
	static const struct { uint32_t op; uint8_t type; } cases[] = {
		{ 0, 6 }, { 1, 5 }, { 4, 6 }, { 7, 5 }, { 12, 6 }, { 13, 5 },
		{ 14, 8 }, { 15, 2 }, { 16, 6 }, { 17, 5 }, { 18, 8 }, { 19, 2 },
	};
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t cfg0 = t_cfgaddr(0, 2, 0, 0), r[2], a[3], ot;
	struct regs rg[2];
	struct expect e;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(sphb_machine_reset(m), 0);
		read_regs(m, &h, BUID1, cfg0, &rg[0]);
		read_regs(m, &h, BUID1, t_cfgaddr(0, 2, 1, 0), &rg[1]);
		t_rtas_n(m, &h, tok_open, 0, 2, NULL, r);
		CHECK_EQ(r[1], 0);
		ot = r[0];
		t_st32(&h, 0x200000, 0x80002000u + 4 * i);
		t_st32(&h, 0x200004, 0xffffff);
		t_st32(&h, 0x200008, cfg0);
		t_st32(&h, 0x20000c, (uint32_t)(BUID1 >> 32));
		t_st32(&h, 0x200010, (uint32_t)BUID1);
		t_st32(&h, 0x200014, cases[i].op);
		a[0] = 7;
		a[1] = ot;
		a[2] = 0x200000;
		t_rtas_n(m, &h, tok_inj, 3, 1, a, r);
		CHECK_EQ(r[0], 0);
		t_rtas_n(m, &h, tok_close, 1, 1, &ot, r);
		CHECK_EQ(r[0], 0);
		fill(&h, RB, 4096);
		CHECK_EQ(sed(m, &h, BUID1, cfg0, 0, 0, RB, 2048, 1), 0);
		memset(&e, 0, sizeof(e));
		e.severity = 4;
		e.type = cases[i].type;
		e.state = 2;
		e.fn = 1;
		e.pe_cfg = cfg0;
		e.buid = BUID1;
		e.nfuncs = 2;
		e.funcs = rg;
		e.err_op = cases[i].op;
		e.err_addr = 0x80002000u + 4 * i;
		e.err_time = sphb_clock_ms(m);
		e.freezes = i + 1;
		check_log(&h, 2048, &e);
	}
	t_free(m, &h);
}

static void test_permanent(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t cfg0 = t_cfgaddr(0, 2, 0, 0), cfg1 = t_cfgaddr(0, 2, 1, 0), cfgb = t_cfgaddr(0, 3, 0, 0);
	uint32_t info = 1234, v, n = sizeof(drvmsg) - 1;
	struct regs r[2];
	struct expect e;

	read_regs(m, &h, BUID1, cfg0, &r[0]);
	read_regs(m, &h, BUID1, cfg1, &r[1]);
	memcpy(h.ram + DB, drvmsg, n);
	/* function 2 on an active PE: a log, and the PE is gone for good */
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg1, DB, n, RB, 2048, 2), 0);
	memset(&e, 0, sizeof(e));
	e.severity = 5;
	e.type = 3;
	e.state = 0;
	e.fn = 2;
	e.pe_cfg = cfg0;
	e.buid = BUID1;
	e.nfuncs = 2;
	e.funcs = r;
	e.err_op = 0xffffffffu;
	e.drv = (const uint8_t *)drvmsg;
	e.drvlen = n;
	check_log(&h, 2048, &e);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg1, &info), 5);
	CHECK_EQ(info, 0);
	CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg0, 4, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	/* the neighbour is unaffected */
	CHECK_EQ(pe_state(m, &h, BUID1, cfgb, NULL), 0);
	/* later calls: logs keep coming (R1-7.3.11.5-7), state 5 recorded */
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, n, RB, 2048, 1), 0);
	e.state = 5;
	e.fn = 1;
	check_log(&h, 2048, &e);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, n, RB, 2048, 2), 0);
	e.fn = 2;
	check_log(&h, 2048, &e);
	/* recovery calls cannot bring it back */
	CHECK_EQ(call4(m, &h, tok_reset, BUID1, cfg0, 1), -7);
	CHECK_EQ(call4(m, &h, tok_opt, BUID1, cfg0, 2), -7);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 5);
	CHECK_EQ(info, 0);
	/* a machine (PHB) reset does */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 0);
	CHECK_EQ(t_cfg_read(m, &h, BUID1, cfg0, 4, &v), 0);
	CHECK_EQ(v, 0x100e8086u);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, n, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 4096));
	/* function 2 with a frozen PE: fatal, state 2 recorded */
	CHECK_EQ(sphb_host_freeze(m, "a1", NULL), 0);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, 0, 0, RB, 2048, 2), 0);
	CHECK_EQ(h.ram[RB + 1] >> 5, 5);
	CHECK_EQ(h.ram[RB + 24 + 48 + 24 + 20], 2);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 5);
	CHECK_EQ(info, 0);
	t_free(m, &h);
}

static void test_invalid_buffers(void)
{
	struct t_host h;
	struct sphb_machine *m = machine(&h);
	uint32_t cfg0 = t_cfgaddr(0, 2, 0, 0), info;
	const uint32_t top = (uint32_t)T_RAM_SIZE;
	static const struct { uint32_t drv, dlen, ret, rlen; } bad[] = {
		{ DB, 16, RB, 0 },			/* return length < 8 */
		{ DB, 16, RB, 7 },
		{ DB, 16, top - 100, 2048 },		/* return buffer past RAM */
		{ DB, 16, top, 8 },
		{ DB, 16, 0xffffff00u, 0x200 },		/* address range overflows */
		{ DB, 16, RB, 0xffffffffu },
		{ top - 8, 16, RB, 2048 },		/* driver buffer past RAM */
		{ top + 0x1000, 1, RB, 2048 },
		{ 0xfffffff0u, 0x20, RB, 2048 },	/* driver range overflows */
		{ DB, 0xfffffff0u, RB, 2048 },
	};

	CHECK_EQ(sphb_host_freeze(m, "a0", NULL), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (uint32_t fn = 1; fn <= 2; fn++) {
			fill(&h, RB, 4096);
			CHECK_EQ(sed(m, &h, BUID1, cfg0, bad[i].drv, bad[i].dlen, bad[i].ret,
				     bad[i].rlen, fn), -3);
			CHECK(untouched(&h, RB, 4096));
			/* no state change: still frozen, not permanent */
			CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 2);
		}
	}
	/* bad function, bad BUID, address outside any PE */
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, 16, RB, 2048, 0), -3);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, DB, 16, RB, 2048, 3), -3);
	CHECK_EQ(sed(m, &h, BUID1 + 7, cfg0, DB, 16, RB, 2048, 2), -3);
	CHECK_EQ(sed(m, &h, BUID1, t_cfgaddr(0, 9, 0, 0), DB, 16, RB, 2048, 2), -3);
	CHECK_EQ(pe_state(m, &h, BUID1, cfg0, &info), 2);
	/* a driver buffer at the very end of RAM is fine */
	memset(h.ram + top - 16, 'x', 16);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID1, cfg0, top - 16, 16, RB, 2048, 1), 0);
	CHECK_EQ(t_ld32(&h, RB + 4), LOG_MIN - 8 + SEC_PE + 2 * SEC_FN + 8 + 16);
	t_free(m, &h);
}

static void test_shared(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"sim-pci,bus=pci.0,addr=2,id=c,iommu-group=3,pcie=on,msi=1",
		"spapr-pci-host-bridge,index=2,id=phb2,error-log=on",
		"sim-pci,bus=phb2.0,addr=5,id=d,iommu-group=4,pcie=on,msi=1,vendor=0x1077,device=0x2532",
		(const char *)NULL);
	uint32_t cfgc = t_cfgaddr(0, 2, 0, 0), cfgd = t_cfgaddr(0, 5, 0, 0), pe_cfg = 0, info;
	struct regs r;
	struct expect e;

	/* QEMU's answer without error-log=on: status 1, nothing written, even
	 * for function 2 and even frozen; the PE does not become permanent */
	CHECK_EQ(sphb_host_freeze(m, "c", &pe_cfg), 0);
	CHECK_EQ(pe_cfg, 1);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, T_BUID0, 1, DB, 16, RB, 2048, 1), 1);
	CHECK_EQ(sed(m, &h, T_BUID0, 1, DB, 16, RB, 2048, 2), 1);
	CHECK(untouched(&h, RB, 4096));
	CHECK_EQ(pe_state(m, &h, T_BUID0, 1, &info), 2);
	(void)cfgc;

	/* error-log=on: the PAPR log of the PHB's one PE */
	read_regs(m, &h, BUID2, cfgd, &r);
	CHECK_EQ(r.vendor, 0x1077);
	CHECK_EQ(sphb_host_freeze(m, "d", &pe_cfg), 0);
	CHECK_EQ(pe_cfg, 1);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID2, 1, 0, 0, RB, 2048, 1), 0);
	memset(&e, 0, sizeof(e));
	e.severity = 4;
	e.type = 3;
	e.state = 2;
	e.fn = 1;
	e.pe_cfg = 1;
	e.buid = BUID2;
	e.nfuncs = 1;
	e.funcs = &r;
	e.err_op = 0xffffffffu;
	e.err_time = sphb_clock_ms(m);
	e.freezes = 1;
	CHECK_EQ(check_log(&h, 2048, &e), LOG_MIN + SEC_PE + SEC_FN);
	/* not frozen: status 1 */
	CHECK_EQ(sphb_machine_reset(m), 0);
	fill(&h, RB, 4096);
	CHECK_EQ(sed(m, &h, BUID2, 1, 0, 0, RB, 2048, 1), 1);
	CHECK(untouched(&h, RB, 4096));
	t_free(m, &h);
}

int main(void)
{
	tok_sed = (uint32_t)t_token("ibm,slot-error-detail");
	tok_state = (uint32_t)t_token("ibm,read-slot-reset-state2");
	tok_reset = (uint32_t)t_token("ibm,set-slot-reset");
	tok_opt = (uint32_t)t_token("ibm,set-eeh-option");
	tok_open = (uint32_t)t_token("ibm,open-errinjct");
	tok_inj = (uint32_t)t_token("ibm,errinjct");
	tok_close = (uint32_t)t_token("ibm,close-errinjct");
	test_full_log();
	test_injected_types();
	test_permanent();
	test_invalid_buffers();
	test_shared();
	return t_result();
}
