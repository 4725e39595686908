/* libFuzzer target, model-based: the input is a sequence of operations on a
 * machine (TCE hypercalls, DMA-window calls, host freezes and busy periods,
 * the EEH calls, error injection, MSI allocation, machine resets), and after
 * every operation what the guest and the devices observe is compared with a
 * reference model written here from the specifications alone:
 *   - TCEs: a plain array per DMA window (QEMU 7.2 hw/ppc/spapr_iommu.c for
 *     the TCE hcalls, hw/ppc/spapr_rtas_ddw.c for the windows, without the
 *     DDW bugs tests/unit/test_tce_dma.c lists); compared through H_GET_TCE, sphb_dma_translate()
 *     and a DMA handle (sphb_dma_xlate answers as sphb_dma_translate);
 *   - PE states: PAPR Table 7-60 for pe-mode=per-group (PAPR §7.3.11,
 *     docs/eeh.md) plus the platform's events (freeze, busy = state 5 with
 *     the time left, at least 1000 ms); compared through
 *     ibm,read-slot-reset-state2, config reads (all-ones while MMIO-stopped)
 *     and DMA (blocked while DMA-stopped);
 *   - MSIs: a set of vectors in use (PAPR §7.3.10.5; QEMU 7.2
 *     hw/ppc/spapr_pci.c rtas_ibm_change_msi(), except that multi-vector MSI
 *     blocks are aligned to their size);
 *     compared through ibm,change-msi and query-interrupt-source-number;
 *   - the errinjct session (PAPR §7.3.13, docs/error-log.md §2).
 * A mismatch aborts with a message (libFuzzer reports it as a crash).
 * Where the specifications leave an answer open, the model does not check it.
 * SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fuzz_input.h"

/* ---- guest memory layout ---- */
#define RAM_SIZE 0x400000u
#define RTAS_BUF 0x100000u	/* T_BUF: argument buffer of t_rtas_n() */
#define LIST_BASE 0x200000u	/* TCE lists: 256 pages */
#define EI_BUF 0x300000u	/* errinjct work buffer (1 KiB aligned) */
#define DRV_BUF 0x310000u	/* slot-error-detail driver buffer */
#define LOG_BUF 0x320000u	/* slot-error-detail return buffer */
#define LOG_LEN 0x1000u

/* ---- constants of the specifications ---- */
#define BUID(i) (0x0800000020000000ull + (i))
#define LIOBN(i, w) (0x80000000u | (uint32_t)(i) << 8 | (uint32_t)(w))
#define DMA64_ADDR (1ull << 59)	/* default dma64_win_addr */
#define PGSZ ((1ull << 12) | (1ull << 16) | (1ull << 21) | (1ull << 24)) /* default pgsz */
#define MSI_FIRST 0x1300u
#define MSI_COUNT 0xd00u
#define H_SUCCESS 0
#define H_HARDWARE (-1)
#define H_PARAMETER (-4)
#define MAX_K 18u		/* model windows hold at most 2^18 TCEs */

static struct t_host h;
static struct sphb_machine *m;
static unsigned step;		/* for messages */
static bool trace;

static void quiet(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o; (void)l; (void)msg;
}

#define FAIL(...) do { \
	fprintf(stderr, "model mismatch at step %u (%s:%d): ", step, __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)
#define EXPECT_EQ(what, got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) \
		FAIL("%s: got %lld (0x%llx), model says %lld (0x%llx)", what, g_, \
		     (unsigned long long)g_, w_, (unsigned long long)w_); \
} while (0)

/* ---- the input ---- */
#define U8(in) ((unsigned)take(in, 1))
#define U16(in) ((unsigned)take(in, 2))
#define U32(in) ((uint32_t)take(in, 4))
#define U64(in) take(in, 8)

/* ---- the machine: what the model knows of it ---- */

enum { NPHB = 3 };
struct mphb {
	unsigned index;
	bool ddw, per_group;
	uint64_t dma_win_addr, dma_win_size;
};
static const struct mphb phbs[NPHB] = {
	{ 0, true, false, 0, 0x1000000 },		/* "pci": the default PHB, 16 MiB window */
	{ 1, true, true, 0, 0x100000 },			/* "g": per-group EEH */
	{ 2, false, false, 0x10000000, 0x10000 },	/* "n": ddw=off, shared PE */
};

enum { NPE = 3, SHARED = NPE };
struct mdev {
	const char *id;
	unsigned phb, devfn;
	int pe;			/* index into pes[], SHARED (PHB "n"), -1: not in a PE */
	unsigned msi, msix;	/* vectors of the capabilities */
	uint32_t vendor_device;	/* config dword 0 */
	unsigned sgroup;	/* PHB "n": 1 = IOMMU group 21, 2 = group 22 */
	bool late;		/* plugged in later (hot plug) */
};
static const struct mdev devs[] = {
	{ "m0", 0, 1 << 3, -1, 32, 0, 0x00011014, 0, false },
	{ "m1", 0, 2 << 3, -1, 0, 2048, 0x00021014, 0, false },
	{ "m2", 0, 3 << 3, -1, 4, 16, 0x00031014, 0, false },
	{ "m3", 0, 4 << 3, -1, 0, 0, 0x00041014, 0, false },
	{ "m4", 0, 5 << 3, -1, 0, 2048, 0x00051014, 0, false },
	{ "p1", 1, 2 << 3, 0, 8, 0, 0x00111014, 0, false },
	{ "p2", 1, 3 << 3, 1, 0, 64, 0x00121014, 0, false },
	{ "p3", 1, 3 << 3 | 1, 1, 0, 0, 0x00131014, 0, false },
	{ "p4", 1, 4 << 3, 2, 1, 4, 0x00141014, 0, false },
	{ "p5", 1, 5 << 3, -1, 2, 0, 0x00151014, 0, false },
	{ "n1", 2, 1 << 3, -1, 16, 0, 0x00211014, 0, false },
	{ "s1", 2, 2 << 3, SHARED, 0, 0, 0x00221014, 1, false },
	{ "s2", 2, 3 << 3, SHARED, 2, 0, 0x00231014, 1, false },
	{ "s3", 2, 5 << 3, SHARED, 0, 8, 0x00241014, 2, true },
};
#define NDEV (sizeof(devs) / sizeof(devs[0]))
static const char *const dev_specs[NDEV] = {
	"sim-pci,addr=1,id=m0,device=0x0001,msi=32",
	"sim-pci,addr=2,id=m1,device=0x0002,msix=2048",
	"sim-pci,addr=3,id=m2,device=0x0003,msi=4,msix=16",
	"sim-pci,addr=4,id=m3,device=0x0004",
	"sim-pci,addr=5,id=m4,device=0x0005,msix=2048",
	"sim-pci,bus=g.0,addr=2,id=p1,device=0x0011,iommu-group=11,pcie=on,msi=8",
	"sim-pci,bus=g.0,addr=3.0,id=p2,device=0x0012,iommu-group=12,multifunction=on,msix=64",
	"sim-pci,bus=g.0,addr=3.1,id=p3,device=0x0013,iommu-group=12",
	"sim-pci,bus=g.0,addr=4,id=p4,device=0x0014,iommu-group=13,msi=1,msix=4",
	"sim-pci,bus=g.0,addr=5,id=p5,device=0x0015,msi=2",
	"sim-pci,bus=n.0,addr=1,id=n1,device=0x0021,msi=16",
	"sim-pci,bus=n.0,addr=2,id=s1,device=0x0022,iommu-group=21",
	"sim-pci,bus=n.0,addr=3,id=s2,device=0x0023,iommu-group=21,msi=2",
	"sim-pci,bus=n.0,addr=5,id=s3,device=0x0024,iommu-group=22,msix=8",
};
static bool present[NDEV];	/* plugged in (hot unplug takes some away) */

/* the PEs of PHB "g": PE address = config address of the lowest function
 * present; a PE with no function present does not exist */
static uint32_t pe_addr(unsigned i)
{
	for (unsigned d = 0; d < NDEV; d++)
		if (devs[d].pe == (int)i && present[d])
			return (uint32_t)devs[d].devfn << 8;
	return 0;
}

static unsigned pe_nfuncs(unsigned i)
{
	unsigned n = 0;
	for (unsigned d = 0; d < NDEV; d++)
		n += devs[d].pe == (int)i && present[d];
	return n;
}

/* ---- the reference model ---- */

struct win {
	bool on, is_default;
	uint32_t liobn;
	uint64_t start, nb;
	unsigned ps;
	uint64_t *tce;		/* the plain array: nb entries */
};
static struct win win[NPHB][2];

/* PAPR PE state of a per-group PE: 0, 1 (reset), 2 (MMIO+DMA stopped),
 * 4 (DMA stopped); 5 is derived: permanent, or the platform busy until. */
struct pe {
	int st;
	bool permanent;
	uint64_t busy_until;
};
static struct pe pes[NPE];

/* pe-mode=shared (PHB "n"): QEMU forwards every EEH call to the host, so
 * the model is the simulated host of docs/eeh.md (Linux 6.12's VFIO EEH:
 * drivers/vfio/vfio_iommu_spapr_tce.c, arch/powerpc/kernel/eeh.c) per IOMMU
 * group, and the one PE exists
 * only while the PHB's pass-through functions form exactly one group */
struct sgroup {
	bool reset, mmio, dma;
	uint64_t busy_until;
};
static struct sgroup sg[3];	/* [1] group 21, [2] group 22 */
static bool sh_permanent;	/* slot-error-detail 2 (error-log=on) */

struct msi {
	unsigned count, type;	/* type 1 MSI, 2 MSI-X */
	uint32_t first;		/* learnt from query-interrupt-source-number */
};
static struct msi msis[NDEV];
static uint8_t msi_used[MSI_COUNT];	/* the set of vectors in use */

static bool ei_open;
static uint32_t ei_token, ei_last;

static struct sphb_dma *handles[NDEV];

static void win_set(unsigned p, unsigned w, uint32_t liobn, uint64_t start, unsigned ps,
		    uint64_t nb, bool is_default)
{
	struct win *x = &win[p][w];

	free(x->tce);
	x->on = true;
	x->is_default = is_default;
	x->liobn = liobn;
	x->start = start;
	x->ps = ps;
	x->nb = nb;
	x->tce = calloc((size_t)nb, sizeof(uint64_t));
	if (!x->tce)
		abort();
}

static void win_off(unsigned p, unsigned w)
{
	free(win[p][w].tce);
	memset(&win[p][w], 0, sizeof(win[p][w]));
}

/* PAPR R-5/-6: the default window, and nothing else */
static void win_default(unsigned p)
{
	win_off(p, 1);
	win_set(p, 0, LIOBN(phbs[p].index, 0), phbs[p].dma_win_addr, 12,
		phbs[p].dma_win_size >> 12, true);
}

static uint64_t now(void)
{
	return sphb_clock_ms(m);
}

/* the state read-slot-reset-state2 must report, and its Unavailable Info */
static int pe_visible(unsigned i, uint32_t *info)
{
	*info = 0;
	if (pes[i].permanent)
		return 5;
	if (now() < pes[i].busy_until) {
		uint64_t left = pes[i].busy_until - now();
		*info = left < 1000 ? 1000 : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
		return 5;
	}
	return pes[i].st;
}

static bool pe_busy(unsigned i)
{
	return !pes[i].permanent && now() < pes[i].busy_until;
}

/* the platform detects an error: MMIO and DMA stop (a PE in reset stays there) */
static void pe_freeze(unsigned i)
{
	if (pes[i].st != 1)
		pes[i].st = 2;
}

/* the shared PE's group (1 or 2), or 0: EEH unavailable on PHB "n" */
static unsigned sh_group(void)
{
	unsigned g = 0;

	for (unsigned d = 0; d < NDEV; d++) {
		if (devs[d].pe != SHARED || !present[d])
			continue;
		if (g && g != devs[d].sgroup)
			return 0;
		g = devs[d].sgroup;
	}
	return g;
}

/* the host's GET_STATE mapping (docs/eeh.md "The simulated host") */
static int sh_visible(uint32_t *info)
{
	const struct sgroup *g = &sg[sh_group()];

	*info = 1000;
	if (sh_permanent) {
		*info = 0;
		return 5;
	}
	if (now() < g->busy_until) {
		uint64_t left = g->busy_until - now();
		*info = left < 1000 ? 1000 : left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
		return 5;
	}
	if (g->reset)
		return 1;
	if (!g->mmio && !g->dma)
		return 0;
	if (g->mmio && g->dma)
		return 2;
	return g->dma ? 4 : 5; /* MMIO stopped alone: the kernel says 5 */
}

/* eeh_pe_change_owner(): the host thaws a frozen group it gets back */
static void sg_thaw(unsigned g)
{
	if (!(now() < sg[g].busy_until) && !sg[g].reset)
		sg[g].mmio = sg[g].dma = false;
}

/* what a function of PHB "n" has stopped: 1 MMIO, 2 DMA */
static unsigned sh_stopped(unsigned d)
{
	const struct sgroup *g = &sg[devs[d].sgroup];
	bool all = g->reset || (sh_permanent && sh_group() == devs[d].sgroup);

	return (all || g->mmio ? 1u : 0u) | (all || g->dma ? 2u : 0u);
}

static int dev_by_cfg(unsigned p, uint32_t cfg)
{
	if ((cfg >> 16 & 0xff) != 0)
		return -1; /* every device sits on the root bus */
	for (unsigned d = 0; d < NDEV; d++)
		if (present[d] && devs[d].phb == p && devs[d].devfn == (cfg >> 8 & 0xff))
			return (int)d;
	return -1;
}

static int phb_by_buid(uint64_t buid)
{
	for (unsigned p = 0; p < NPHB; p++)
		if (BUID(phbs[p].index) == buid)
			return (int)p;
	return -1;
}

/* the model window a LIOBN names, or NULL */
static struct win *win_by_liobn(uint64_t liobn, unsigned *pp)
{
	for (unsigned p = 0; p < NPHB; p++)
		for (unsigned w = 0; w < 2; w++)
			if (win[p][w].on && win[p][w].liobn == liobn) {
				if (pp)
					*pp = p;
				return &win[p][w];
			}
	return NULL;
}

/* entry index of ioba (masked to the page), or -1 outside the window */
static int64_t win_index(const struct win *x, uint64_t ioba)
{
	uint64_t page = ioba & ~((1ull << x->ps) - 1);

	if (page < x->start || (page - x->start) >> x->ps >= x->nb)
		return -1;
	return (int64_t)((page - x->start) >> x->ps);
}

/* ---- talking to the machine ---- */

static int rtas(const char *name, uint32_t nargs, uint32_t nret, const uint32_t *args,
		uint32_t *rets)
{
	return t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, args, rets);
}

static int64_t hcall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t *ret)
{
	uint64_t args[4] = { a0, a1, a2, a3 }, r[1] = { 0 };
	int64_t hret = 99;

	if (sphb_hcall(m, op, args, 4, r, 1, &hret))
		FAIL("sphb_hcall(0x%llx) refused a TCE hcall", (unsigned long long)op);
	if (ret)
		*ret = r[0];
	return hret;
}

/* ---- checks after every step ---- */

static void check_tce(unsigned p, unsigned w, uint64_t i)
{
	const struct win *x = &win[p][w];
	uint64_t v = 0;
	int64_t hr;

	if (!x->on || i >= x->nb)
		return;
	hr = hcall(0x1c, x->liobn, x->start + (i << x->ps), 0, 0, &v);
	EXPECT_EQ("H_GET_TCE status", hr, H_SUCCESS);
	if (v != x->tce[i])
		FAIL("H_GET_TCE liobn 0x%x index %llu: 0x%llx, model 0x%llx", x->liobn,
		     (unsigned long long)i, (unsigned long long)v, (unsigned long long)x->tce[i]);
}

/* DMA by device d (or an empty slot of PHB p when d < 0) to bus address a */
static void check_dma(unsigned p, int d, uint32_t requester, uint64_t a)
{
	uint64_t gpa = 0, hgpa = 0;
	unsigned perm = 0, hperm = 0;
	int rc = sphb_dma_translate(m, BUID(phbs[p].index), requester, a, &gpa, &perm);
	int pe = d >= 0 && present[d] ? devs[d].pe : -1;
	uint32_t info;

	if (d >= 0 && handles[d]) {
		int hrc = sphb_dma_xlate(handles[d], a, &hgpa, &hperm);
		EXPECT_EQ("sphb_dma_xlate vs sphb_dma_translate", hrc, rc);
		if (rc == 0 && (hgpa != gpa || hperm != perm))
			FAIL("handle translation of 0x%llx: 0x%llx/%u, translate 0x%llx/%u",
			     (unsigned long long)a, (unsigned long long)hgpa, hperm,
			     (unsigned long long)gpa, perm);
	}
	if (pe == SHARED) {
		if (sh_stopped((unsigned)d) & 2) {
			EXPECT_EQ("DMA of a DMA-stopped group", rc, -EIO);
			return;
		}
	} else if (pe >= 0 && pe_busy((unsigned)pe)) {
		return; /* what the platform does to DMA meanwhile is open */
	} else if (pe >= 0) {
		int st = pe_visible((unsigned)pe, &info);
		if (st != 0) { /* 1, 2, 4, 5P: DMA stopped (R1-5.4.1.1-9) */
			EXPECT_EQ("DMA of a DMA-stopped PE", rc, -EIO);
			return;
		}
	}
	for (unsigned w = 0; w < 2; w++) {
		const struct win *x = &win[p][w];
		uint64_t tce, mask;

		if (!x->on || a < x->start || (a - x->start) >> x->ps >= x->nb)
			continue;
		tce = x->tce[(a - x->start) >> x->ps];
		mask = (1ull << x->ps) - 1;
		if (!(tce & 3)) {
			EXPECT_EQ("DMA through a TCE without permission", rc, -EFAULT);
			return;
		}
		EXPECT_EQ("DMA translation", rc, 0);
		EXPECT_EQ("DMA permission", perm, tce & 3);
		EXPECT_EQ("DMA target", gpa, (tce & ~mask) | (a & mask));
		return;
	}
	EXPECT_EQ("DMA outside every window", rc, -EFAULT);
}

static void check_pe(unsigned i)
{
	uint32_t a[3] = { pe_addr(i), (uint32_t)(BUID(1) >> 32), (uint32_t)BUID(1) }, r[5];
	uint32_t info, val = 0;
	int st = pe_visible(i, &info);

	if (!pe_nfuncs(i))
		return;

	rtas("ibm,read-slot-reset-state2", 3, 4, a, r);
	EXPECT_EQ("read-slot-reset-state2 status", (int32_t)r[0], 0);
	EXPECT_EQ("PE state", r[1], st);
	if (st == 5)
		EXPECT_EQ("PE Unavailable Info", r[3], info);
	else
		EXPECT_EQ("PE capabilities", r[2], 1);
	/* MMIO-stopped (1, 2, 5P): config loads return all-ones (R1-5.4.1.1-8) */
	for (unsigned d = 0; d < NDEV; d++) {
		if (devs[d].pe != (int)i || !present[d])
			continue;
		EXPECT_EQ("config read status",
			  t_cfg_read(m, &h, BUID(1), (uint32_t)devs[d].devfn << 8, 4, &val), 0);
		if (st == 0 || st == 4)
			EXPECT_EQ("config read of a PE with MMIO allowed", val, devs[d].vendor_device);
		else if (st != 5 || pes[i].permanent)
			EXPECT_EQ("config read of an MMIO-stopped PE", val, 0xffffffffu);
	}
}

static void check_shared(void)
{
	uint32_t a[3] = { 1, (uint32_t)(BUID(2) >> 32), (uint32_t)BUID(2) }, r[5];
	uint32_t info, val = 0;
	unsigned g = sh_group();

	rtas("ibm,read-slot-reset-state2", 3, 4, a, r);
	if (!g) {
		EXPECT_EQ("read-slot-reset-state2 without EEH (shared)", (int32_t)r[0], -3);
	} else {
		int st = sh_visible(&info);
		EXPECT_EQ("read-slot-reset-state2 status (shared)", (int32_t)r[0], 0);
		EXPECT_EQ("PE state (shared)", r[1], st);
		EXPECT_EQ("PE Unavailable Info (shared)", r[3], info);
	}
	for (unsigned d = 0; d < NDEV; d++) {
		if (devs[d].pe != SHARED || !present[d])
			continue;
		EXPECT_EQ("config read status",
			  t_cfg_read(m, &h, BUID(2), (uint32_t)devs[d].devfn << 8, 4, &val), 0);
		EXPECT_EQ("config read (shared)", val,
			  (sh_stopped(d) & 1) ? 0xffffffffu : devs[d].vendor_device);
	}
}

static void check_msi(unsigned d)
{
	const struct mphb *ph = &phbs[devs[d].phb];
	uint32_t a[4] = { (uint32_t)devs[d].devfn << 8, (uint32_t)(BUID(ph->index) >> 32),
			  (uint32_t)BUID(ph->index), 0 }, r[3];
	const struct msi *s = &msis[d];
	unsigned probe[3] = { 0, s->count ? s->count - 1 : 0, s->count };

	if (!present[d])
		return;

	for (unsigned k = 0; k < 3; k++) {
		a[3] = probe[k];
		rtas("ibm,query-interrupt-source-number", 4, 3, a, r);
		if (probe[k] >= s->count) {
			/* QEMU: no vector at that index -> -1 */
			EXPECT_EQ("query-interrupt-source-number beyond the count", (int32_t)r[0], -1);
			continue;
		}
		EXPECT_EQ("query-interrupt-source-number status", (int32_t)r[0], 0);
		EXPECT_EQ("interrupt source number", r[1], s->first + probe[k]);
		EXPECT_EQ("MSI trigger (edge)", r[2], 1);
	}
}

static void check_windows(unsigned p)
{
	uint32_t a[3] = { 0, (uint32_t)(BUID(phbs[p].index) >> 32), (uint32_t)BUID(phbs[p].index) }, r[5];
	unsigned n = win[p][0].on + win[p][1].on;

	rtas("ibm,query-pe-dma-window", 3, 5, a, r);
	if (!phbs[p].ddw) {
		EXPECT_EQ("query-pe-dma-window with ddw=off", (int32_t)r[0], -3);
		return;
	}
	EXPECT_EQ("query-pe-dma-window status", (int32_t)r[0], 0);
	EXPECT_EQ("windows available", r[1], 2 - n);
	/* a window that is gone: its LIOBN is refused */
	for (unsigned w = 0; w < 2; w++) {
		if (!win[p][w].on)
			EXPECT_EQ("H_GET_TCE on a removed window",
				  hcall(0x1c, LIOBN(phbs[p].index, w), win[p][0].on ? win[p][0].start : 0,
					0, 0, NULL), H_PARAMETER);
	}
}

/* ---- operations ---- */

static unsigned pick_phb(struct in *in) { return U8(in) % NPHB; }

/* a bus address of window (p, w): mostly inside, sometimes just outside */
static uint64_t pick_ioba(struct in *in, const struct win *x, uint64_t *idx)
{
	unsigned mode = U8(in);
	uint64_t i, off;

	if (!x->on || (mode & 7) == 7)
		return U64(in); /* anything */
	i = U32(in);
	switch (mode & 3) {
	case 0: i %= x->nb; break;
	case 1: i = x->nb - 1 - i % (x->nb < 4 ? x->nb : 4); break; /* the end */
	case 2: i = x->nb + i % 2; break; /* just past the end */
	default: i %= x->nb < 8 ? x->nb : 8; break; /* the start */
	}
	off = (mode & 0x80) ? U32(in) & ((1ull << x->ps) - 1) : 0; /* unaligned is masked */
	*idx = i;
	if ((mode & 0x60) == 0x60 && x->start)
		return x->start - (1ull << x->ps) + off; /* just below */
	return x->start + (i << x->ps) + off;
}

static uint64_t pick_liobn(struct in *in, unsigned *pp, unsigned *wp)
{
	unsigned b = U8(in);

	*pp = b % NPHB;
	*wp = (b >> 2) & 1;
	if ((b & 0xf0) == 0xf0)
		return U64(in); /* anything */
	if ((b & 0xf0) == 0xe0)
		return (uint64_t)U32(in) << 32 | LIOBN(phbs[*pp].index, *wp); /* high bits set */
	return LIOBN(phbs[*pp].index, *wp);
}

static uint64_t pick_tce(struct in *in)
{
	unsigned b = U8(in);

	if (b & 0x80)
		return U64(in);
	return (uint64_t)(U16(in) & 0x3ff) << 12 | (b & 3); /* a page of guest RAM */
}

static void op_put_tce(struct in *in)
{
	unsigned p, w;
	uint64_t liobn = pick_liobn(in, &p, &w), idx = 0;
	struct win *x = win_by_liobn(liobn, NULL);
	uint64_t ioba = pick_ioba(in, x ? x : &win[p][w], &idx), tce = pick_tce(in);
	int64_t want = H_PARAMETER, i;

	if (x && (i = win_index(x, ioba)) >= 0) {
		x->tce[i] = tce;
		want = H_SUCCESS;
	}
	EXPECT_EQ("H_PUT_TCE", hcall(0x20, liobn, ioba, tce, 0, NULL), want);
	if (x) {
		check_tce(p, w, idx);
		check_tce(p, w, x->nb - 1);
	}
}

static void op_get_tce(struct in *in)
{
	unsigned p, w;
	uint64_t liobn = pick_liobn(in, &p, &w), idx = 0, v = 0;
	struct win *x = win_by_liobn(liobn, NULL);
	uint64_t ioba = pick_ioba(in, x ? x : &win[p][w], &idx);
	int64_t i = x ? win_index(x, ioba) : -1;
	int64_t hr = hcall(0x1c, liobn, ioba, 0, 0, &v);

	EXPECT_EQ("H_GET_TCE", hr, i >= 0 ? H_SUCCESS : H_PARAMETER);
	if (i >= 0 && v != x->tce[i])
		FAIL("H_GET_TCE: 0x%llx, model 0x%llx", (unsigned long long)v,
		     (unsigned long long)x->tce[i]);
}

static uint64_t pick_npages(struct in *in, const struct win *x, uint64_t idx)
{
	unsigned b = U8(in);
	uint64_t nb = x->on ? x->nb : 1;

	switch (b & 7) {
	case 0: return 0;
	case 1: return nb;
	case 2: return nb + 1;
	case 3: return nb - (idx < nb ? idx : 0); /* exactly to the end */
	case 4: return nb - (idx < nb ? idx : 0) + 1; /* one past the end */
	case 5: return U64(in);
	default: return 1 + U16(in) % 600;
	}
}

static void op_stuff_tce(struct in *in)
{
	unsigned p, w;
	uint64_t liobn = pick_liobn(in, &p, &w), idx = 0;
	struct win *x = win_by_liobn(liobn, NULL);
	const struct win *xw = x ? x : &win[p][w];
	uint64_t ioba = pick_ioba(in, xw, &idx), tce = pick_tce(in);
	uint64_t npages = pick_npages(in, xw, idx);
	int64_t want = H_PARAMETER, i = x ? win_index(x, ioba) : -1;

	/* QEMU: npages 0 or > the window's entries: nothing; past the end of
	 * the window: the entries up to the end are written, H_PARAMETER */
	if (x && npages && npages <= x->nb && i >= 0) {
		uint64_t n = npages < x->nb - (uint64_t)i ? npages : x->nb - (uint64_t)i;
		for (uint64_t k = 0; k < n; k++)
			x->tce[(uint64_t)i + k] = tce;
		want = n == npages ? H_SUCCESS : H_PARAMETER;
	}
	EXPECT_EQ("H_STUFF_TCE", hcall(0x138, liobn, ioba, tce, npages, NULL), want);
	if (x && i >= 0) {
		check_tce(p, w, (uint64_t)i);
		check_tce(p, w, (uint64_t)i + (npages ? npages - 1 : 0));
		check_tce(p, w, (uint64_t)i + npages);
		check_tce(p, w, x->nb - 1);
	}
}

static void op_put_indirect(struct in *in)
{
	unsigned p, w, b;
	uint64_t liobn = pick_liobn(in, &p, &w), idx = 0, list, npages, nlist;
	struct win *x = win_by_liobn(liobn, NULL);
	const struct win *xw = x ? x : &win[p][w];
	uint64_t ioba = pick_ioba(in, xw, &idx);
	int64_t want, i = x ? win_index(x, ioba) : -1;
	uint64_t entries[512];
	bool readable;

	b = U8(in);
	switch (b & 7) {
	case 0: npages = 0; break;
	case 1: npages = 512; break;
	case 2: npages = 513; break;
	case 3: npages = U64(in); break;
	default: npages = 1 + U8(in) % 16; break;
	}
	/* the list: a page of RAM, or unaligned, or beyond RAM; the top 4 bits
	 * of a real address are not decoded */
	list = LIST_BASE + (uint64_t)(U8(in)) * 0x1000;
	if (b & 0x08)
		list += 8;
	if (b & 0x10)
		list = RAM_SIZE - 0x1000 * (uint64_t)(U8(in) % 2);
	if (b & 0x20)
		list |= (uint64_t)(U8(in) & 0xf) << 60;
	nlist = npages <= 512 ? npages : 0;
	readable = (list & 0x0fffffffffffffffull) + 8 * nlist <= RAM_SIZE;
	for (uint64_t k = 0; k < nlist && readable; k++) {
		uint64_t a = (list & 0x0fffffffffffffffull) + 8 * k;
		entries[k] = (k < 4 || (b & 0x40)) ? pick_tce(in) : entries[k % 4] + ((k / 4) << 12);
		for (unsigned j = 0; j < 8; j++)
			h.ram[a + j] = (uint8_t)(entries[k] >> (56 - 8 * j));
	}
	if (!x || npages == 0 || npages > 512 || (list & 0xfff)) {
		want = H_PARAMETER;
	} else if (!readable) {
		want = H_HARDWARE; /* the list cannot be read: nothing changes */
	} else if (i < 0) {
		want = H_PARAMETER;
	} else {
		uint64_t n = npages < x->nb - (uint64_t)i ? npages : x->nb - (uint64_t)i;
		for (uint64_t k = 0; k < n; k++)
			x->tce[(uint64_t)i + k] = entries[k];
		want = n == npages ? H_SUCCESS : H_PARAMETER;
	}
	EXPECT_EQ("H_PUT_TCE_INDIRECT", hcall(0x13c, liobn, ioba, list, npages, NULL), want);
	if (x && i >= 0) {
		check_tce(p, w, (uint64_t)i);
		if (npages && npages <= 512)
			check_tce(p, w, (uint64_t)i + npages - 1);
		check_tce(p, w, (uint64_t)i + (npages <= 512 ? npages : 0));
	}
}

/* a place for [start, start + 2^ws): no overlap with a window, no wrap */
static bool place_free(unsigned p, uint64_t start, unsigned ws)
{
	uint64_t last = start + ((1ull << ws) - 1);

	if (last < start)
		return false;
	for (unsigned w = 0; w < 2; w++) {
		const struct win *x = &win[p][w];
		uint64_t xl;
		if (!x->on)
			continue;
		xl = x->start + ((x->nb << x->ps) - 1);
		if (start <= xl && x->start <= last)
			return false;
	}
	return true;
}

static void op_create(struct in *in)
{
	static const unsigned shifts[] = { 12, 16, 21, 24, 13, 34, 0, 11, 64, 200 };
	unsigned p = pick_phb(in), b = U8(in), ps, ws, w;
	uint32_t a[5], r[4];
	int32_t want;
	uint64_t start = 0;

	if (b & 0x80) { /* anything, but model-sized when valid */
		ps = U8(in);
		ws = U8(in);
		if (ps >= 12 && ps < 64 && ws < 64 && ws >= ps && ws - ps < 32 && ws - ps > MAX_K)
			ws = ps + (ws - ps) % (MAX_K + 1);
	} else {
		ps = shifts[b % 10];
		ws = ps + U8(in) % (MAX_K + 1);
	}
	a[0] = (uint32_t)U8(in) << 8; /* the PE config address is not looked at */
	a[1] = (uint32_t)(BUID(phbs[p].index) >> 32);
	a[2] = (uint32_t)BUID(phbs[p].index);
	a[3] = ps;
	a[4] = ws;
	w = !win[p][0].on ? 0 : !win[p][1].on ? 1 : 2;
	if (!phbs[p].ddw || ps < 12 || ps >= 64 || ws >= 64 || !(PGSZ & (1ull << ps)) ||
	    ws < ps || ws - ps >= 32) {
		want = -3;
	} else if (w == 2) {
		want = -1;
	} else if (place_free(p, phbs[p].dma_win_addr, ws)) {
		want = 0;
		start = phbs[p].dma_win_addr;
	} else if (place_free(p, DMA64_ADDR, ws)) {
		want = 0;
		start = DMA64_ADDR;
	} else {
		want = -1;
	}
	rtas("ibm,create-pe-dma-window", 5, 4, a, r);
	EXPECT_EQ("create-pe-dma-window", (int32_t)r[0], want);
	if (want == 0) {
		EXPECT_EQ("new window LIOBN", r[1], LIOBN(phbs[p].index, w));
		EXPECT_EQ("new window start", (uint64_t)r[2] << 32 | r[3], start);
		win_set(p, w, LIOBN(phbs[p].index, w), start, ps, 1ull << (ws - ps), false);
	}
	check_windows(p);
}

static void op_remove(struct in *in)
{
	unsigned p, w;
	uint64_t liobn = pick_liobn(in, &p, &w);
	uint32_t a[1] = { (uint32_t)liobn }, r[1];
	struct win *x = win_by_liobn((uint32_t)liobn, &p);
	int32_t want = -3;

	if (x && phbs[p].ddw) {
		bool was_default = x->is_default;
		win_off(p, (unsigned)(x - win[p]));
		if (!win[p][0].on && !win[p][1].on && !was_default)
			win_default(p); /* PAPR §7.3.27, ibm,remove-pe-dma-window R-3/-4 */
		want = 0;
	}
	rtas("ibm,remove-pe-dma-window", 1, 1, a, r);
	EXPECT_EQ("remove-pe-dma-window", (int32_t)r[0], want);
	check_windows(p);
}

static void op_reset_windows(struct in *in)
{
	unsigned p = pick_phb(in);
	uint64_t buid = U8(in) == 0xff ? U64(in) : BUID(phbs[p].index);
	uint32_t a[3] = { 0, (uint32_t)(buid >> 32), (uint32_t)buid }, r[1];
	int q = phb_by_buid(buid);

	rtas("ibm,reset-pe-dma-window", 3, 1, a, r);
	EXPECT_EQ("reset-pe-dma-window", (int32_t)r[0], q >= 0 && phbs[q].ddw ? 0 : -3);
	if (q >= 0 && phbs[q].ddw)
		win_default((unsigned)q);
	check_windows(p);
}

static void op_dma(struct in *in)
{
	unsigned p, w, b = U8(in);
	uint64_t idx = 0, a;
	int d = -1;
	uint32_t requester;

	(void)pick_liobn(in, &p, &w);
	a = pick_ioba(in, &win[p][w], &idx);
	for (unsigned k = 0, n = b % NDEV; k < NDEV; k++) {
		unsigned dd = (n + k) % NDEV;
		if (devs[dd].phb == p) {
			d = (int)dd;
			break;
		}
	}
	if (b & 0x80)
		d = -1; /* an empty slot: no function, no PE */
	requester = d >= 0 ? (uint32_t)devs[d].devfn << 8 : 0x1f << 11;
	check_dma(p, d, requester, a);
}

static unsigned pick_pe_dev(struct in *in)
{
	static const unsigned eeh_devs[] = { 5, 6, 7, 8, 11, 13 }; /* p1..p4, s1, s3 */
	return eeh_devs[U8(in) % 6];
}

static void op_freeze(struct in *in)
{
	unsigned d = pick_pe_dev(in);
	uint32_t cfg = 0;

	if (!present[d]) {
		EXPECT_EQ("sphb_host_freeze of an unplugged device", sphb_host_freeze(m, devs[d].id, &cfg),
			  -ENOENT);
		return;
	}
	EXPECT_EQ("sphb_host_freeze", sphb_host_freeze(m, devs[d].id, &cfg), 0);
	if (devs[d].pe == SHARED) {
		EXPECT_EQ("frozen PE address (shared)", cfg, 1); /* (bus << 16) | 1 */
		sg[devs[d].sgroup].mmio = sg[devs[d].sgroup].dma = true;
		return;
	}
	EXPECT_EQ("frozen PE address", cfg, pe_addr((unsigned)devs[d].pe));
	pe_freeze((unsigned)devs[d].pe);
}

static void op_busy(struct in *in)
{
	unsigned d = pick_pe_dev(in), ms = U16(in) % 5000;

	EXPECT_EQ("sphb_host_busy", sphb_host_busy(m, devs[d].id, ms), present[d] ? 0 : -ENOENT);
	if (present[d] && devs[d].pe == SHARED)
		sg[devs[d].sgroup].busy_until = now() + ms;
	else if (present[d])
		pes[devs[d].pe].busy_until = now() + ms;
}

static void op_clock(struct in *in)
{
	EXPECT_EQ("sphb_clock_advance", sphb_clock_advance(m, U16(in) % 4000), 0);
}

/* the target of an EEH call: a PE (by its address or any function of it),
 * an emulated function, an empty slot, or another PHB */
static void pick_target(struct in *in, uint32_t *a, int *pe)
{
	unsigned b = U8(in), p = 1;
	int d;

	*pe = -1;
	a[0] = 0x1f << 11; /* empty slot */
	switch (b & 7) {
	case 0: case 1: case 2: case 3: case 4:
		d = (int)pick_pe_dev(in);
		a[0] = (uint32_t)devs[d].devfn << 8;
		p = devs[d].phb;
		break;
	case 5:
		a[0] = (uint32_t)devs[9].devfn << 8; /* p5: emulated */
		break;
	case 6:
		p = b & 0x40 ? 0 : 2; /* no pass-through / the shared PE */
		a[0] = (uint32_t)devs[b & 0x40 ? 0 : 10].devfn << 8;
		break;
	default:
		break;
	}
	if (b & 0x08)
		a[0] |= U8(in) & 0xfc; /* register bits are ignored */
	a[1] = (uint32_t)(BUID(p) >> 32);
	a[2] = (uint32_t)BUID(p);
	if (p == 1 && (d = dev_by_cfg(1, a[0])) >= 0)
		*pe = devs[d].pe;
	if (p == 2 && sh_group())
		*pe = SHARED; /* whatever the address says (QEMU) */
}

static void op_set_eeh_option(struct in *in)
{
	uint32_t a[4], r[1], info;
	int pe, st, want;
	unsigned fn;

	pick_target(in, a, &pe);
	fn = U8(in) % 7;
	a[3] = fn;
	if (pe < 0) {
		want = -3;
	} else if (pe == SHARED) {
		struct sgroup *g = &sg[sh_group()];
		bool quiet_host = now() < g->busy_until || g->reset;
		/* forwarded: DISABLE does nothing, ENABLE thaws, UNFREEZE_IO/DMA
		 * thaw one side unless the host is busy or the reset is held */
		want = fn <= 3 ? 0 : -3;
		if (fn == 1)
			sg_thaw(sh_group());
		else if (fn == 2 && !quiet_host)
			g->mmio = false;
		else if (fn == 3 && !quiet_host)
			g->dma = false;
	} else {
		st = pe_visible((unsigned)pe, &info);
		switch (fn) {
		case 0: case 1: /* EEH is on by default: both are no-ops (PAPR §7.3.11.1) */
			want = 0;
			break;
		case 2: /* Table 7-60: release for load/store */
			want = st == 2 ? 0 : st == 0 || st == 4 ? -3 : -7;
			if (st == 2)
				pes[pe].st = 4;
			break;
		case 3: /* release for DMA */
			want = st == 4 ? 0 : st == 0 ? -3 : -7;
			if (st == 4)
				pes[pe].st = 0;
			break;
		default: /* no slot-level EEH event interrupt */
			want = -3;
			break;
		}
	}
	rtas("ibm,set-eeh-option", 4, 1, a, r);
	EXPECT_EQ("set-eeh-option", (int32_t)r[0], want);
}

static void op_set_slot_reset(struct in *in)
{
	uint32_t a[4], r[1], info;
	int pe, st, want;
	unsigned fn;

	pick_target(in, a, &pe);
	fn = U8(in) % 5;
	a[3] = fn;
	if (pe < 0 || fn == 2 || fn == 4) {
		want = -3;
	} else if (pe == SHARED) {
		struct sgroup *g = &sg[sh_group()];
		/* forwarded whatever the state: a reset freezes and holds; the
		 * deactivation ends it and the host thaws the group (Linux's
		 * eeh_pe_reset(), where PAPR Table 7-60 would refuse) */
		want = 0;
		if (fn == 0)
			g->reset = g->mmio = g->dma = false;
		else
			g->reset = g->mmio = g->dma = true;
	} else {
		st = pe_visible((unsigned)pe, &info);
		if (st == 5) {
			want = -7;
		} else if (fn == 0) { /* deactivate */
			want = st == 0 || st == 1 ? 0 : st == 2 ? -7 : -3;
			if (st == 1)
				pes[pe].st = 0;
		} else { /* activate: 0, 1, 2, 4 -> 1 */
			want = 0;
			pes[pe].st = 1;
		}
	}
	rtas("ibm,set-slot-reset", 4, 1, a, r);
	EXPECT_EQ("set-slot-reset", (int32_t)r[0], want);
}

static void op_configure_pe(struct in *in)
{
	uint32_t a[4], r[1];
	int pe;

	pick_target(in, a, &pe);
	rtas("ibm,configure-pe", 3, 1, a, r);
	EXPECT_EQ("configure-pe", (int32_t)r[0], pe < 0 ? -3 : 0);
}

static void op_slot_error_detail(struct in *in)
{
	uint32_t a[8], r[1], info;
	int pe, st, want;
	unsigned fn = U8(in) % 4;

	pick_target(in, a, &pe);
	a[3] = DRV_BUF;
	a[4] = U8(in) % 64;
	a[5] = LOG_BUF;
	a[6] = LOG_LEN;
	a[7] = fn;
	if (pe < 0 || fn == 0 || fn == 3) {
		want = -3;
	} else if (pe == SHARED) { /* error-log=on: PAPR's log, as per-group */
		st = sh_visible(&info);
		want = fn == 2 || st == 2 || st == 4 || st == 5 ? 0 : 1;
		if (fn == 2)
			sh_permanent = true;
	} else {
		st = pe_visible((unsigned)pe, &info);
		/* a log when the PE is stopped or unavailable, or for function 2 */
		want = fn == 2 || st == 2 || st == 4 || st == 5 ? 0 : 1;
		if (fn == 2)
			pes[pe].permanent = true; /* R1-7.3.11.5-12 */
	}
	rtas("ibm,slot-error-detail", 8, 1, a, r);
	EXPECT_EQ("slot-error-detail", (int32_t)r[0], want);
	if (want == 0)
		EXPECT_EQ("error log version", h.ram[LOG_BUF], 6);
}

static void op_errinjct_session(struct in *in)
{
	unsigned b = U8(in);
	uint32_t r[2];

	if (b & 1) {
		rtas("ibm,open-errinjct", 0, 2, NULL, r);
		if (ei_open) {
			EXPECT_EQ("open-errinjct token while open", r[0], 0);
			EXPECT_EQ("open-errinjct while open", (int32_t)r[1], -4);
			return;
		}
		EXPECT_EQ("open-errinjct", (int32_t)r[1], 0);
		if (r[0] == 0 || r[0] == ei_last)
			FAIL("open-errinjct token 0x%x (previous 0x%x)", r[0], ei_last);
		ei_open = true;
		ei_token = ei_last = r[0];
	} else {
		uint32_t tok = (b & 6) == 0 ? U32(in) : (b & 6) == 2 ? ei_last - 1 : ei_token;
		rtas("ibm,close-errinjct", 1, 1, &tok, r);
		if (ei_open && tok == ei_token) {
			EXPECT_EQ("close-errinjct", (int32_t)r[0], 0);
			ei_open = false;
		} else {
			EXPECT_EQ("close-errinjct, not the opener", (int32_t)r[0], -4);
		}
	}
}

static void op_errinjct(struct in *in)
{
	unsigned b = U8(in), op = U8(in) % 24;
	bool is64 = b & 1;
	uint32_t etoken = (b & 6) == 6 ? U8(in) : is64 ? 0xf : 7;
	uint32_t otoken = (b & 8) ? U32(in) : ei_token;
	uint32_t buf = (b & 0x10) ? (b & 0x20 ? RAM_SIZE : EI_BUF + 4 * (U8(in) % 256)) : EI_BUF;
	uint32_t t[4], a[3], r[1], w[8], nw = is64 ? 8 : 6;
	int pe, want;
	bool readable = buf + 4 * nw <= RAM_SIZE;

	pick_target(in, t, &pe);
	if (is64) {
		w[0] = U32(in); w[1] = U32(in); w[2] = U32(in); w[3] = U32(in);
		w[4] = t[0]; w[5] = t[1]; w[6] = t[2]; w[7] = op;
	} else {
		w[0] = U32(in); w[1] = U32(in);
		w[2] = t[0]; w[3] = t[1]; w[4] = t[2]; w[5] = op;
	}
	if (readable)
		for (unsigned i = 0; i < nw; i++)
			t_st32(&h, buf + 4 * i, w[i]);
	a[0] = etoken;
	a[1] = otoken;
	a[2] = buf;
	/* docs/error-log.md 2.3: the order of the checks */
	if (!ei_open || otoken != ei_token)
		want = -4;
	else if ((etoken != 7 && etoken != 0xf) || buf % 1024 || !readable || op > 21 || pe < 0)
		want = -3;
	else
		want = 0;
	rtas("ibm,errinjct", 3, 1, a, r);
	EXPECT_EQ("errinjct", (int32_t)r[0], want);
	if (want != 0)
		return;
	if (op <= 19 && pe == SHARED) {
		sg[sh_group()].mmio = sg[sh_group()].dma = true;
	} else if (op <= 19) {
		pe_freeze((unsigned)pe); /* one error, injected now */
	} else if (op == 21) {
		/* read back: nothing armed (address and mask 0, operation 20), the
		 * target words as they were */
		for (unsigned i = 0; i < nw; i++) {
			uint32_t want_w = i < (is64 ? 4u : 2u) ? 0 : i == nw - 1 ? 20 : w[i];
			EXPECT_EQ("errinjct read-back word", t_ld32(&h, buf + 4 * i), want_w);
		}
	}
}

/* an aligned free block of n vectors (the device's own still held) */
static bool pool_has_block(unsigned n, unsigned align)
{
	for (unsigned i = 0; i + n <= MSI_COUNT; i += align) {
		unsigned j;
		for (j = 0; j < n && !msi_used[i + j]; j++)
			;
		if (j == n)
			return true;
	}
	return false;
}

static unsigned pow2_ceil(unsigned v)
{
	unsigned q = 1;
	while (q < v)
		q <<= 1;
	return q;
}

static void msi_release(unsigned d)
{
	for (unsigned k = 0; k < msis[d].count; k++)
		msi_used[msis[d].first - MSI_FIRST + k] = 0;
	memset(&msis[d], 0, sizeof(msis[d]));
}

static void op_change_msi(struct in *in)
{
	unsigned b = U8(in), d = U8(in) % NDEV, fn = U8(in) % 8, req, type = 0, max;
	uint32_t seq = U8(in), nret = (b & 1) ? 3 : 4;
	const struct mdev *dv = &devs[d];
	uint32_t a[6], r[4];
	int32_t want;
	bool empty = (b & 0x80) != 0;

	switch ((b >> 1) & 3) {
	case 0: req = 0; break;
	case 1: req = U16(in); break;
	default: req = 1 + U8(in) % 40; break;
	}
	if ((b & 0x18) == 0x18)
		req = 1 + U16(in) % 2100;
	a[0] = empty ? 0x1f << 11 : dv->devfn << 8;
	a[1] = (uint32_t)(BUID(phbs[dv->phb].index) >> 32);
	a[2] = (uint32_t)BUID(phbs[dv->phb].index);
	a[3] = fn;
	a[4] = req;
	a[5] = seq;
	rtas("ibm,change-msi", 6, nret, a, r);
	if (empty || !present[d]) {
		EXPECT_EQ("change-msi on an empty slot", (int32_t)r[0], -3);
		return;
	}
	if (fn == 0) { /* query */
		EXPECT_EQ("change-msi query", (int32_t)r[0], 0);
		EXPECT_EQ("change-msi query count", r[1], msis[d].count);
		EXPECT_EQ("change-msi query next sequence", r[2], seq + 1);
		if (nret > 3 && msis[d].count)
			EXPECT_EQ("change-msi query type", r[3], msis[d].type);
		return;
	}
	if (fn == 2) { /* back to the default: none */
		EXPECT_EQ("change-msi reset", (int32_t)r[0], 0);
		EXPECT_EQ("change-msi reset count", r[1], 0);
		msi_release(d);
		return;
	}
	if (fn == 1)
		type = dv->msi ? 1 : dv->msix ? 2 : 0;
	else if (fn == 3)
		type = dv->msi ? 1 : 0;
	else if (fn == 4 || fn == 6)
		type = dv->msix ? 2 : 0;
	if (fn == 6) {
		/* 32-bit MSI-X: refused while a DMA window covers its page */
		for (unsigned w = 0; w < 2; w++) {
			const struct win *x = &win[dv->phb][w];
			if (x->on && win_index(x, 0x7ffff000u) >= 0)
				type = 0;
		}
	}
	if (!type) {
		EXPECT_EQ("change-msi without the capability", (int32_t)r[0], -3);
		return;
	}
	if (req == 0) {
		want = msis[d].count ? 0 : -1; /* QEMU: "Releasing wrong config" */
		EXPECT_EQ("change-msi release", (int32_t)r[0], want);
		if (want == 0) {
			EXPECT_EQ("change-msi release count", r[1], 0);
			msi_release(d);
		}
		return;
	}
	max = type == 1 ? dv->msi : dv->msix;
	if (req > max) { /* success without allocating: ask again with max */
		EXPECT_EQ("change-msi above the maximum", (int32_t)r[0], 0);
		EXPECT_EQ("change-msi maximum", r[1], max);
		EXPECT_EQ("change-msi next sequence", r[2], seq + 1);
		if (nret > 3)
			EXPECT_EQ("change-msi type", r[3], type);
		return;
	}
	if (!pool_has_block(req, type == 1 ? pow2_ceil(req) : 2)) {
		EXPECT_EQ("change-msi with no room in the pool", (int32_t)r[0], -1);
		return;
	}
	EXPECT_EQ("change-msi allocation", (int32_t)r[0], 0);
	EXPECT_EQ("change-msi allocated count", r[1], req);
	EXPECT_EQ("change-msi next sequence", r[2], seq + 1);
	if (nret > 3)
		EXPECT_EQ("change-msi type", r[3], type);
	/* learn where the block is, then check it against the set */
	{
		uint32_t q[4] = { a[0], a[1], a[2], 0 }, qr[3], first;
		rtas("ibm,query-interrupt-source-number", 4, 3, q, qr);
		EXPECT_EQ("query-interrupt-source-number after allocation", (int32_t)qr[0], 0);
		first = qr[1];
		if (first < MSI_FIRST || first - MSI_FIRST > MSI_COUNT - req)
			FAIL("MSI block 0x%x+%u outside the pool", first, req);
		if (type == 1 && (first - MSI_FIRST) % pow2_ceil(req))
			FAIL("MSI block 0x%x+%u not aligned to its size", first, req);
		if (type == 2 && (first - MSI_FIRST) % 2)
			FAIL("MSI-X block 0x%x not 2-aligned", first);
		for (unsigned k = 0; k < req; k++)
			if (msi_used[first - MSI_FIRST + k])
				FAIL("vector 0x%x given twice", first + k);
		msi_release(d);
		for (unsigned k = 0; k < req; k++)
			msi_used[first - MSI_FIRST + k] = 1;
		msis[d].count = req;
		msis[d].type = type;
		msis[d].first = first;
	}
	check_msi(d);
}

static void op_get_config_addr_info(struct in *in)
{
	uint32_t a[4], r[2];
	int pe, q;
	unsigned fn = U8(in) % 3;

	pick_target(in, a, &pe);
	a[3] = fn;
	rtas("ibm,get-config-addr-info2", 4, 2, a, r);
	q = phb_by_buid((uint64_t)a[1] << 32 | a[2]);
	if (q == 2 && fn < 2 && sh_group()) {
		/* shared (QEMU): PE address (bus << 16) | 1 for any function, mode 2 */
		if (fn == 1 || dev_by_cfg(2, a[0]) >= 0) {
			EXPECT_EQ("get-config-addr-info2 (shared)", (int32_t)r[0], 0);
			EXPECT_EQ("get-config-addr-info2 answer (shared)", r[1], fn ? 2 : 1);
		} else {
			EXPECT_EQ("get-config-addr-info2 on an empty slot (shared)", (int32_t)r[0], -3);
		}
		return;
	}
	if (fn == 2 || q != 1 || dev_by_cfg(1, a[0]) < 0) {
		/* shared PHBs without one pass-through group: EEH unavailable; empty slot */
		EXPECT_EQ("get-config-addr-info2 without a function", (int32_t)r[0], -3);
		return;
	}
	if (fn == 1) {
		EXPECT_EQ("get-config-addr-info2 1", (int32_t)r[0], 0);
		EXPECT_EQ("PE mode", r[1], pe < 0 ? 0 : pe_nfuncs((unsigned)pe) == 1 ? 1 : 2);
		return;
	}
	EXPECT_EQ("get-config-addr-info2 0", (int32_t)r[0], pe < 0 ? -3 : 0);
	if (pe >= 0)
		EXPECT_EQ("PE address", r[1], pe_addr((unsigned)pe));
}

static void op_machine_reset(struct in *in)
{
	uint64_t until = now();

	(void)in;
	/* what a reboot does to a PE the host is still busy with is open:
	 * let every busy period end first */
	for (unsigned i = 0; i < NPE; i++)
		if (pes[i].busy_until > until)
			until = pes[i].busy_until;
	for (unsigned g = 1; g < 3; g++)
		if (sg[g].busy_until > until)
			until = sg[g].busy_until;
	EXPECT_EQ("sphb_clock_advance", sphb_clock_advance(m, until - now()), 0);
	EXPECT_EQ("sphb_machine_reset", sphb_machine_reset(m), 0);
	for (unsigned p = 0; p < NPHB; p++)
		win_default(p);
	for (unsigned d = 0; d < NDEV; d++)
		msi_release(d);
	ei_open = false;
	for (unsigned i = 0; i < NPE; i++) {
		pes[i].permanent = false; /* 5P -> 0: partition reboot */
		/* the partition's PEs are thawed; a reset the guest asserted stays
		 * (docs/eeh.md known gap) */
		if (pes[i].st != 1 && pe_nfuncs(i))
			pes[i].st = 0;
	}
	/* shared: the PE is enabled again (ENABLE thaws) when EEH is available */
	sh_permanent = false;
	if (sh_group())
		sg_thaw(sh_group());
}

/* hot unplug a device, or plug it back */
static void op_hotplug(struct in *in)
{
	static const unsigned pluggable[] = { 2, 6, 7, 8, 9, 12, 13 }; /* m2 p2 p3 p4 p5 s2 s3 */
	unsigned d = pluggable[U8(in) % 7];
	int pe = devs[d].pe;
	unsigned before = sh_group();

	if (!present[d]) {
		EXPECT_EQ("hot plug", sphb_machine_add(m, dev_specs[d]), 0);
		present[d] = true;
		/* opening the function hands the PE to the host too: thawed unless
		 * the host is busy with it or its reset is held (Linux's
		 * eeh_dev_open() -> eeh_pe_change_owner()) */
		if (pe == SHARED)
			sg_thaw(devs[d].sgroup);
		else if (pe >= 0 && !(now() < pes[pe].busy_until) && pes[pe].st != 1)
			pes[pe].st = 0;
	} else {
		EXPECT_EQ("hot unplug", sphb_machine_del(m, devs[d].id), 0);
		present[d] = false;
		msi_release(d); /* its MSIs go back to the pool */
		if (pe == SHARED)
			sg_thaw(devs[d].sgroup); /* the host gets its group back */
	}
	if (pe == SHARED && sh_group() != before)
		sh_permanent = false; /* the mark was another PE's */
	if (pe < 0 || pe == SHARED || present[d])
		return;
	/* the host gets the PE back and thaws it, unless it is busy with it or
	 * its reset is held (docs/eeh.md; Linux's eeh_dev_release()) */
	if (!(now() < pes[pe].busy_until) && pes[pe].st != 1)
		pes[pe].st = 0;
	if (!pe_nfuncs((unsigned)pe))
		pes[pe].permanent = false; /* the PE is gone with its last function */
}

typedef void op_fn(struct in *in);
static op_fn *const ops[] = {
	op_put_tce, op_put_tce, op_get_tce, op_stuff_tce, op_put_indirect,
	op_create, op_create, op_remove, op_reset_windows, op_dma, op_dma,
	op_freeze, op_busy, op_clock, op_set_eeh_option, op_set_eeh_option,
	op_set_slot_reset, op_set_slot_reset, op_configure_pe, op_slot_error_detail,
	op_errinjct_session, op_errinjct, op_change_msi, op_change_msi,
	op_get_config_addr_info, op_machine_reset, op_hotplug,
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))
static const char *const op_names[NOPS] = {
	"put", "put", "get", "stuff", "indirect", "create", "create", "remove", "reset-windows",
	"dma", "dma", "freeze", "busy", "clock", "set-eeh-option", "set-eeh-option",
	"set-slot-reset", "set-slot-reset", "configure-pe", "slot-error-detail",
	"errinjct-session", "errinjct", "change-msi", "change-msi", "get-config-addr-info2",
	"machine-reset", "hotplug",
};

static void setup(void)
{
	static const char *const phb_specs[] = {
		"spapr-pci-host-bridge,index=0,id=pci,dma_win_size=0x1000000",
		"spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group,dma_win_size=0x100000",
		"spapr-pci-host-bridge,index=2,id=n,ddw=off,dma_win_addr=0x10000000,dma_win_size=0x10000,error-log=on",
	};
	struct sphb_host_ops o = t_ops();

	o.log = quiet;
	if (sphb_machine_new(&o, &h, &m))
		abort();
	for (unsigned i = 0; i < 3; i++)
		if (sphb_machine_add(m, phb_specs[i]))
			abort();
	for (unsigned d = 0; d < NDEV; d++) {
		present[d] = !devs[d].late;
		if (present[d] && sphb_machine_add(m, dev_specs[d]))
			abort();
	}
	for (unsigned p = 0; p < NPHB; p++)
		win_default(p);
	memset(pes, 0, sizeof(pes));
	memset(sg, 0, sizeof(sg));
	sh_permanent = false;
	memset(msis, 0, sizeof(msis));
	memset(msi_used, 0, sizeof(msi_used));
	ei_open = false;
	ei_token = ei_last = 0;
	for (unsigned d = 0; d < NDEV; d++)
		if (sphb_dma_open(m, BUID(phbs[devs[d].phb].index), (uint32_t)devs[d].devfn << 8,
				  &handles[d]))
			abort();
}

static void teardown(void)
{
	for (unsigned d = 0; d < NDEV; d++) {
		sphb_dma_close(handles[d]);
		handles[d] = NULL;
	}
	sphb_machine_free(m);
	m = NULL;
	for (unsigned p = 0; p < NPHB; p++)
		for (unsigned w = 0; w < 2; w++)
			win_off(p, w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };

	if (fz_ram_once(&h, RAM_SIZE))
		trace = getenv("SPHB_FUZZ_TRACE") != NULL;
	/* RAM is not cleared between inputs: every byte the library reads
	 * (argument buffers, TCE lists, errinjct buffers) is written first */
	setup();
	for (step = 0; in.n; step++) {
		unsigned op = U8(&in);
		const uint8_t *at = in.p;

		ops[op % NOPS](&in);
		if (trace) { /* SPHB_FUZZ_TRACE=1: what each step was */
			fprintf(stderr, "step %u: %s", step, op_names[op % NOPS]);
			for (; at < in.p; at++)
				fprintf(stderr, " %02x", *at);
			fprintf(stderr, " (clock %llu)\n", (unsigned long long)now());
		}
		/* after every step: every PE, one window entry and one device's MSIs */
		for (unsigned i = 0; i < NPE; i++)
			check_pe(i);
		check_shared();
		{
			/* one entry, and a DMA through it by a function in no PE */
			static const unsigned emulated[NPHB] = { 0, 9, 10 };
			unsigned p = step % NPHB, w = (step / NPHB) % 2, d = emulated[p];
			const struct win *x = &win[p][w];
			if (x->on) {
				uint64_t i = (step * 2654435761u) % x->nb;
				check_tce(p, w, i);
				check_dma(p, (int)d, (uint32_t)devs[d].devfn << 8,
					  x->start + (i << x->ps) + ((step * 0x9e3779b9u) & ((1ull << x->ps) - 1)));
			}
		}
		check_msi(step % NDEV);
	}
	teardown();
	return 0;
}
