/* libFuzzer target: the hcall entry with arbitrary hcall numbers, registers
 * and TCE lists in guest memory, interleaved with the DMA-window RTAS calls,
 * DMA translations (plain and through handles), EEH freezes and resets, device
 * hot-plug and machine resets, on a fresh machine per input: the default PHB,
 * a per-group PHB with DDW and every page size, a PHB with ddw=off.
 * Checked on the way (sphb.h): sphb_hcall returns 0 for the four TCE hcalls
 * and -ENOENT for the others, an H_* code of H_SUCCESS/H_PARAMETER/H_HARDWARE;
 * a TCE stored by H_PUT_TCE reads back through H_GET_TCE; a DMA handle answers
 * as sphb_dma_translate() does.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fuzz_input.h"

#define RAM_SIZE 0x200000u	/* RTAS buffer at T_BUF (1 MiB), TCE lists anywhere */
#define BUID(i) (0x0800000020000000ull + (i))
#define NPHB 3u

static struct t_host h;
static struct sphb_machine *m;

static const char *const specs[] = {
	"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,dma_win_size=0x200000,pgsz=0x41f211000",
	"spapr-pci-host-bridge,index=2,id=n,ddw=off,dma_win_addr=0x100000000,dma_win_size=0x8000",
	"sim-pci,addr=1,id=a,msi=4",
	"sim-pci,addr=2,id=b,iommu-group=5",
	"sim-pci,bus=g.0,addr=2,id=c,iommu-group=1,pcie=on",
	"sim-pci,bus=g.0,addr=3.0,id=d,iommu-group=2,multifunction=on",
	"sim-pci,bus=g.0,addr=3.1,id=e,iommu-group=2",
	"sim-pci,bus=n.0,addr=4,id=f",
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))
/* requesters with a handle each: PHB, config address */
static const struct { unsigned phb; uint32_t cfg; } reqs[] = {
	{ 0, 1 << 11 }, { 0, 2 << 11 }, { 1, 2 << 11 }, { 1, 3 << 11 }, { 1, 3 << 11 | 1 << 8 },
	{ 2, 4 << 11 }, { 1, 0x1f << 11 },
};
#define NREQ (sizeof(reqs) / sizeof(reqs[0]))
static struct sphb_dma *handles[NREQ];
static const char *const eeh_devs[] = { "b", "c", "d", "e", "a", "zz" };

/* bus addresses worth trying: window starts the machine told us about */
static uint64_t starts[8] = { 0, 1ull << 59, 0x100000000ull };
static unsigned nstarts = 3;

static void quiet(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o; (void)l; (void)msg;
}


/* a register value: LIOBNs, bus addresses in and around windows, guest
 * addresses for TCE lists, TCEs, counts, or anything */
static uint64_t val(struct in *in)
{
	unsigned b = (unsigned)take(in, 1);

	switch (b & 7) {
	case 0: return 0x80000000u | ((b >> 3) % 4) << 8 | (b >> 5 & 1);
	case 1: return take(in, 8);
	case 2: return take(in, 1);
	case 3: return starts[(b >> 3) % nstarts] + (take(in, 4) << ((b >> 5) == 7 ? 24 : (b >> 5) * 2 + 12));
	case 4: return take(in, 2) << 12 | (uint64_t)(b >> 7) << 60;	/* a page of RAM, maybe top bits */
	case 5: return take(in, 2) << 12 | (b >> 3 & 3);	/* a TCE */
	case 6: return 1ull << (take(in, 1) % 64);
	default: return (uint64_t)0 - take(in, 1);
	}
}

static void check_xlate(unsigned r, uint64_t a)
{
	uint64_t g1 = 0, g2 = 0;
	unsigned p1 = 0, p2 = 0;
	int rc1 = sphb_dma_translate(m, BUID(reqs[r].phb), reqs[r].cfg, a, &g1, &p1);
	int rc2 = sphb_dma_xlate(handles[r], a, &g2, &p2);

	if (rc1 != rc2 || (rc1 == 0 && (g1 != g2 || p1 != p2))) {
		fprintf(stderr, "handle %u at 0x%llx: %d 0x%llx/%u, translate %d 0x%llx/%u\n", r,
			(unsigned long long)a, rc2, (unsigned long long)g2, p2, rc1,
			(unsigned long long)g1, p1);
		abort();
	}
	if (rc1 != 0 && rc1 != -EFAULT && rc1 != -EIO)
		abort();
}

static void do_hcall(struct in *in)
{
	static const uint64_t nrs[] = { 0x1c, 0x20, 0x138, 0x13c };
	unsigned b = (unsigned)take(in, 1), nargs = (unsigned)take(in, 1) % 9;
	uint64_t nr = b < 0xf0 ? nrs[b % 4] : take(in, 8), args[8] = { 0 }, rets[1] = { 0 };
	int64_t hret = 12345;
	int rc;

	for (unsigned i = 0; i < nargs; i++)
		args[i] = val(in);
	rc = sphb_hcall(m, nr, nargs ? args : NULL, nargs, (b & 0x10) ? NULL : rets, (b >> 5) & 1, &hret);
	if (nr != 0x1c && nr != 0x20 && nr != 0x138 && nr != 0x13c) {
		if (rc != -ENOENT)
			abort();
		return;
	}
	/* too few registers (or no room for H_GET_TCE's result): refused */
	if (nargs < (nr == 0x20 ? 3u : nr == 0x1c ? 2u : 4u) ||
	    (nr == 0x1c && ((b & 0x10) || !((b >> 5) & 1)))) {
		if (rc != -EINVAL || hret != 12345)
			abort();
		return;
	}
	if (rc != 0 || (hret != 0 && hret != -1 && hret != -4))
		abort();
	if (nr == 0x20 && hret == 0) {
		/* what was stored reads back */
		uint64_t g[2] = { args[0], args[1] }, v = ~args[2];
		int64_t hr = 1;
		if (sphb_hcall(m, 0x1c, g, 2, &v, 1, &hr) || hr != 0 || v != args[2])
			abort();
	}
}

static void rtas(struct in *in, const char *name, uint32_t nargs, uint32_t nret, uint32_t *a,
		 uint32_t *r)
{
	unsigned b = (unsigned)take(in, 1);

	if (b == 0xff) { /* odd counts */
		nargs = (uint32_t)take(in, 1) % 9;
		nret = (uint32_t)take(in, 1) % 9;
	}
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
}

static void buid_args(struct in *in, uint32_t *a)
{
	unsigned b = (unsigned)take(in, 1);
	uint64_t buid = b < 0xf0 ? BUID(b % (NPHB + 1)) : take(in, 8);

	a[0] = (uint32_t)take(in, 2) << 8;
	a[1] = (uint32_t)(buid >> 32);
	a[2] = (uint32_t)buid;
}

static void do_ddw(struct in *in)
{
	unsigned b = (unsigned)take(in, 1);
	uint32_t a[8] = { 0 }, r[8] = { 0 };

	switch (b % 4) {
	case 0: {
		uint32_t ps = (uint32_t)take(in, 1), ws = (uint32_t)take(in, 1);
		buid_args(in, a);
		/* no more than 2^20 TCEs: filling a 2^31-entry window, which
		 * PAPR allows, would only measure the host's memory */
		if (ps < 64 && ws < 64 && ws >= ps && ws - ps < 32 && ws - ps > 20)
			ws = ps + 20;
		a[3] = ps;
		a[4] = ws;
		rtas(in, "ibm,create-pe-dma-window", 5, 4, a, r);
		if (r[0] == 0 && nstarts < 8)
			starts[nstarts++] = (uint64_t)r[2] << 32 | r[3];
		break;
	}
	case 1:
		a[0] = (uint32_t)val(in);
		rtas(in, "ibm,remove-pe-dma-window", 1, 1, a, r);
		break;
	case 2:
		buid_args(in, a);
		rtas(in, "ibm,reset-pe-dma-window", 3, 1, a, r);
		break;
	default:
		buid_args(in, a);
		rtas(in, "ibm,query-pe-dma-window", 3, (b & 4) ? 6 : 5, a, r);
		break;
	}
}

static void do_eeh(struct in *in)
{
	unsigned b = (unsigned)take(in, 1);
	const char *dev = eeh_devs[(b >> 3) % 6];
	uint64_t buid;
	uint32_t cfg, a[4], r[1];

	switch (b & 7) {
	case 0: (void)sphb_host_freeze(m, dev, NULL); break;
	case 1: (void)sphb_host_busy(m, dev, (uint32_t)take(in, 2)); break;
	case 2: (void)sphb_clock_advance(m, take(in, 2)); break;
	case 3: case 4: case 5:
		if (sphb_dev_config_addr(m, dev, &buid, &cfg))
			break;
		a[0] = cfg;
		a[1] = (uint32_t)(buid >> 32);
		a[2] = (uint32_t)buid;
		a[3] = (uint32_t)take(in, 1) % 4;
		t_rtas_n(m, &h, (uint32_t)t_token((b & 7) == 3 ? "ibm,set-eeh-option" : "ibm,set-slot-reset"),
			 4, 1, a, r);
		break;
	case 6: (void)sphb_machine_reset(m); break;
	default: /* hot unplug, or plug back what is missing */
		if (sphb_machine_del(m, dev) == -ENOENT) {
			char key[8];
			snprintf(key, sizeof(key), "id=%s", dev);
			for (unsigned i = 2; i < NSPECS; i++) {
				const char *k = strstr(specs[i], key);
				if (k && (k[strlen(key)] == ',' || k[strlen(key)] == '\0'))
					(void)sphb_machine_add(m, specs[i]);
			}
		}
		break;
	}
}

/* RAM written since the last input: cleared before the next one */
static size_t dirty_lo = RAM_SIZE, dirty_hi;

static void do_mem(struct in *in)
{
	uint64_t off = take(in, 3) % RAM_SIZE;
	size_t n = (size_t)take(in, 1) * 8, i;

	for (i = 0; i < n && off + i < RAM_SIZE && in->n; i++)
		h.ram[off + i] = (uint8_t)take(in, 1);
	if (i && off < dirty_lo)
		dirty_lo = (size_t)off;
	if (i && off + i > dirty_hi)
		dirty_hi = (size_t)off + i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct sphb_host_ops ops = t_ops();

	fz_ram_once(&h, RAM_SIZE);
	if (dirty_hi > dirty_lo)
		memset(h.ram + dirty_lo, 0, dirty_hi - dirty_lo);
	dirty_lo = RAM_SIZE;
	dirty_hi = 0;
	memset(h.ram + T_BUF, 0, 0x1000); /* RTAS buffers: lists may sit there too */
	nstarts = 3;
	ops.log = quiet;
	if (sphb_machine_new_default(&ops, &h, &m))
		abort();
	for (unsigned i = 0; i < NSPECS; i++)
		if (sphb_machine_add(m, specs[i]))
			abort();
	for (unsigned r = 0; r < NREQ; r++)
		if (sphb_dma_open(m, BUID(reqs[r].phb), reqs[r].cfg, &handles[r]))
			abort();
	while (in.n) {
		unsigned op = (unsigned)take(&in, 1);
		switch (op % 8) {
		case 0: case 1: case 2: do_hcall(&in); break;
		case 3: do_ddw(&in); break;
		case 4: do_eeh(&in); break;
		case 5: do_mem(&in); break;
		default: {
			uint64_t a = val(&in);
			for (unsigned r = 0; r < NREQ; r++) {
				check_xlate(r, a);
				check_xlate(r, a + 0x1000);
			}
			break;
		}
		}
	}
	/* close some handles, let the machine free the rest */
	for (unsigned r = 0; r < NREQ; r += 2)
		sphb_dma_close(handles[r]);
	sphb_machine_free(m);
	m = NULL;
	return 0;
}
