/* sphb replay: rebuild the guest's call sequence from its trace and QEMU's,
 * drive a machine through the public library API, compare every answer the
 * PHB determines (docs/cli.md, "Replay"). See trace.h.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "trace.h"

#define BUID_BASE 0x800000020000000ull	/* QEMU 7.2 SPAPR_PCI_BASE_BUID, include/hw/pci-host/spapr.h */
#define H_GET_TCE 0x1C
#define H_PUT_TCE 0x20
#define H_STUFF_TCE 0x138
#define H_PUT_TCE_INDIRECT 0x13C
#define NO_LOC UINT32_MAX

/* ---- the shadow of every TCE table: what the traces say it holds ---- */

enum { TCE_UNKNOWN = 0, TCE_RECORDED = 1, TCE_INFERRED = 2 };
/* The shadows are sized by trace-controlled LIOBNs and bus addresses: a
 * window tracks at most WIN_MAX_ENTRIES entries, the replay at most
 * WIN_MAX_WINDOWS windows (QEMU: 2 per PHB, 256 PHB indices) and
 * SHADOW_MAX_ENTRIES entries in all (13 bytes each); entries beyond are
 * skipped, not compared in the final table. */
#define WIN_MAX_ENTRIES (1u << 22)
#define WIN_MAX_WINDOWS 512u
#define SHADOW_MAX_ENTRIES (2u * WIN_MAX_ENTRIES)

struct win {
	uint32_t liobn;
	unsigned shift;
	uint64_t offset;
	uint32_t n;		/* entries tracked so far */
	uint64_t *val;
	uint8_t *state;
	uint32_t *qi;		/* QEMU event that wrote the entry last */
};

struct devmap {
	const char *dev;	/* QEMU's device name (interned) */
	uint16_t bdf;
	bool ambiguous;
	uint64_t buid;
};

struct rp {
	struct trace *t;
	const struct replay_target *tg;
	struct replay_stats *st;
	int32_t *g2q, *q2g;
	struct win *wins;
	unsigned nwins;
	uint64_t shadow_entries;	/* sum of wins[].n */
	struct devmap *dm;
	unsigned ndm;
	uint64_t phb_known[32], phb_absent[32];	/* small caches of BUIDs */
	unsigned nknown, nabsent;
	bool oom;
};

/* ---- report rows and mismatches ---- */

static const char *const fixed_rows[REPLAY_ROW_NFIXED] = {
	[REPLAY_ROW_H_PUT_TCE] = "H_PUT_TCE",
	[REPLAY_ROW_H_STUFF_TCE] = "H_STUFF_TCE",
	[REPLAY_ROW_H_PUT_TCE_INDIRECT] = "H_PUT_TCE_INDIRECT",
	[REPLAY_ROW_H_GET_TCE] = "H_GET_TCE",
	[REPLAY_ROW_VIO_TCE] = "TCE hcalls of VIO devices",
	[REPLAY_ROW_XLATE] = "DMA translation (QEMU xlate)",
	[REPLAY_ROW_QCFG_READ] = "config read (QEMU trace only)",
	[REPLAY_ROW_QCFG_WRITE] = "config write (QEMU trace only)",
	[REPLAY_ROW_MSI_FIRST_IRQ] = "change-msi first IRQ (QEMU)",
	[REPLAY_ROW_FINAL_TCE] = "final TCE table entries",
};

/* QEMU events without an answer to compare, and why */
static const struct {
	const char *name, *note;
} qemu_only[TRACE_Q_NKINDS] = {
	[TRACE_Q_MSI_WRITE] = { "spapr_pci_msi_write", "a device sends an MSI (device behaviour)" },
	[TRACE_Q_LSI_SET] = { "spapr_pci_lsi_set", "a device moves INTx (device behaviour, level not traced)" },
	[TRACE_Q_MSI_SETUP] = { "spapr_pci_msi_setup", "MSI message programmed: constant address" },
	[TRACE_Q_MSI_MSG] = { "spapr_pci_msi", "same as the change-msi status" },
	[TRACE_Q_MSI_CHANGE] = { "spapr_pci_rtas_ibm_change_msi", "no guest call pairs with it" },
	[TRACE_Q_MSI_QUERY] = { "spapr_pci_rtas_ibm_query_interrupt_source_number",
				"same as the guest's answer" },
	[TRACE_Q_MSI_RETRY] = { "spapr_pci_msi_retry", "same as the change-msi answer" },
	[TRACE_Q_DDW_QUERY] = { "spapr_iommu_ddw_query", "same as the guest's answer" },
	[TRACE_Q_DDW_CREATE] = { "spapr_iommu_ddw_create", "same as the guest's answer" },
	[TRACE_Q_DDW_REMOVE] = { "spapr_iommu_ddw_remove", "same as the guest's answer" },
	[TRACE_Q_DDW_RESET] = { "spapr_iommu_ddw_reset", "same as the guest's answer" },
	[TRACE_Q_NEW_TABLE] = { "spapr_iommu_new_table", "QEMU's table allocation" },
};

static struct replay_row *rtas_row(struct rp *r, const struct trace_rtas *c)
{
	struct replay_stats *st = r->st;

	for (unsigned i = REPLAY_ROW_NFIXED; i < st->nrows; i++)
		if (st->row[i].name == c->name)
			return &st->row[i];
	if (st->nrows >= REPLAY_MAX_ROWS)
		return NULL;
	st->row[st->nrows].name = c->name;
	st->row[st->nrows].note = c->token < 0 ? "not the PHB's" : NULL;
	return &st->row[st->nrows++];
}

static void mismatch(struct rp *r, struct trace_loc loc, struct trace_loc qloc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void mismatch(struct rp *r, struct trace_loc loc, struct trace_loc qloc, const char *fmt, ...)
{
	struct replay_stats *st = r->st;

	if (st->mismatches < REPLAY_KEEP_MISMATCH) {
		struct replay_mismatch *m = &st->mismatch[st->mismatches];
		va_list ap;
		m->loc = loc;
		m->qloc = qloc;
		va_start(ap, fmt);
		vsnprintf(m->text, sizeof(m->text), fmt, ap);
		va_end(ap);
	}
	st->mismatches++;
}

static void compared(struct replay_row *row, bool ok)
{
	row->compared++;
	if (ok)
		row->matched++;
}

static void skip(struct rp *r, struct trace_loc loc, const char *why)
{
	trace_skip(r->t, loc, why);
	r->st->skipped++;
}

static const struct trace_loc no_loc = { NO_LOC, 0 };

/* a record for PHB `buid`, which the machine lacks: skipped, and counted
 * against the trace's layout (replay_verdict) */
static void skip_foreign(struct rp *r, struct trace_loc loc, const char *why, uint64_t buid)
{
	struct replay_stats *st = r->st;
	unsigned i;

	skip(r, loc, why);
	st->foreign++;
	for (i = 0; i < st->nforeign_buid && st->foreign_buid[i] != buid; i++)
		;
	if (i == st->nforeign_buid && i < REPLAY_KEEP_FOREIGN)
		st->foreign_buid[st->nforeign_buid++] = buid;
}

/* ---- the machine ---- */

static bool phb_present(struct rp *r, uint64_t buid)
{
	uint64_t gpa;
	unsigned perm;
	bool present;

	for (unsigned i = 0; i < r->nknown; i++)
		if (r->phb_known[i] == buid)
			return true;
	for (unsigned i = 0; i < r->nabsent; i++)
		if (r->phb_absent[i] == buid)
			return false;
	/* a pure query: -ENODEV when no PHB has this BUID */
	present = sphb_dma_translate(r->tg->m, buid, 0, 0, &gpa, &perm) != -ENODEV;
	if (present && r->nknown < 32)
		r->phb_known[r->nknown++] = buid;
	else if (!present && r->nabsent < 32)
		r->phb_absent[r->nabsent++] = buid;
	return present;
}

/* the PHB of a PHB LIOBN (0x80000000 | index << 8 | window), 0 for others */
static uint64_t liobn_buid(uint64_t liobn)
{
	if (liobn > UINT32_MAX || !(liobn & 0x80000000u) || ((liobn >> 8) & 0x7fffff) > 0xff)
		return 0;
	return BUID_BASE + ((liobn >> 8) & 0xff);
}

/* One RTAS call as Linux makes it (return cells zeroed first). Returns 0
 * with rets[0..nret-1] as found in guest memory afterwards, or -1 when the
 * library refused the buffer (then rets are what the guest would see: 0s). */
static int rtas(struct rp *r, uint32_t token, uint32_t nargs, const uint32_t *args, uint32_t nret,
		uint32_t *rets)
{
	const struct replay_target *tg = r->tg;
	uint8_t buf[4 * (3 + TRACE_RTAS_CELLS)];
	uint32_t n = 3 + nargs + nret;
	int rc;

	memset(buf, 0, sizeof(buf));
	cli_put32(buf, token);
	cli_put32(buf + 4, nargs);
	cli_put32(buf + 8, nret);
	for (uint32_t i = 0; i < nargs; i++)
		cli_put32(buf + 12 + 4 * i, args[i]);
	if (tg->mem_write(tg->opaque, tg->rtas_buf_gpa, buf, 4 * n))
		return -1;
	r->st->lib_rtas_calls++;
	rc = sphb_rtas_call(tg->m, tg->rtas_buf_gpa, NULL);
	if (tg->mem_read(tg->opaque, tg->rtas_buf_gpa, buf, 4 * n))
		return -1;
	for (uint32_t i = 0; i < nret; i++)
		rets[i] = cli_get32(buf + 12 + 4 * (nargs + i));
	return rc && rc != -ENOENT ? -1 : 0;
}

/* ---- TCE windows and their shadows ---- */

static struct win *win_find(struct rp *r, uint64_t liobn)
{
	for (unsigned i = 0; i < r->nwins; i++)
		if (r->wins[i].liobn == liobn)
			return &r->wins[i];
	return NULL;
}

/* the window of a LIOBN: DDW windows are registered by the replayed
 * create-pe-dma-window; any other PHB LIOBN is a default window (QEMU's
 * dma_win_addr 0, 4 KiB pages). */
static struct win *win_get(struct rp *r, uint64_t liobn)
{
	struct win *w = win_find(r, liobn), *nw;

	if (w || liobn > UINT32_MAX || r->nwins >= WIN_MAX_WINDOWS)
		return w;
	nw = realloc(r->wins, (r->nwins + 1) * sizeof(*r->wins));
	if (!nw) {
		r->oom = true;
		return NULL;
	}
	r->wins = nw;
	w = &r->wins[r->nwins++];
	memset(w, 0, sizeof(*w));
	w->liobn = (uint32_t)liobn;
	w->shift = 12;
	return w;
}

static void win_clear(struct win *w)
{
	if (w->n) {
		memset(w->state, TCE_UNKNOWN, w->n);
		memset(w->val, 0, w->n * sizeof(*w->val));
	}
}

/* the shadow entry of bus address `ioba`, or -1 if beyond WIN_MAX_ENTRIES */
static int64_t win_slot(const struct win *w, uint64_t ioba)
{
	uint64_t idx;

	if (ioba < w->offset)
		return -1;
	idx = (ioba - w->offset) >> w->shift;
	return idx < WIN_MAX_ENTRIES ? (int64_t)idx : -1;
}

/* the shadow entry of bus address `ioba`, growing the arrays; -1 if untracked */
static int64_t win_index(struct rp *r, struct win *w, uint64_t ioba)
{
	int64_t idx = win_slot(w, ioba);

	if (idx < 0)
		return -1;
	if ((uint64_t)idx >= w->n) {
		uint32_t n = w->n ? w->n : 4096;
		void *a, *b, *c;
		while (n <= (uint64_t)idx)
			n *= 2;
		if (r->shadow_entries - w->n + n > SHADOW_MAX_ENTRIES)
			return -1;
		a = realloc(w->val, (size_t)n * sizeof(*w->val));
		if (a)
			w->val = a;
		b = realloc(w->state, n);
		if (b)
			w->state = b;
		c = realloc(w->qi, (size_t)n * sizeof(*w->qi));
		if (c)
			w->qi = c;
		if (!a || !b || !c) {
			r->oom = true;
			return -1;
		}
		memset(w->val + w->n, 0, (size_t)(n - w->n) * sizeof(*w->val));
		memset(w->state + w->n, TCE_UNKNOWN, n - w->n);
		memset(w->qi + w->n, 0, (size_t)(n - w->n) * sizeof(*w->qi));
		r->shadow_entries += n - w->n;
		w->n = n;
	}
	return idx;
}

/* false when the entry is not tracked (beyond the limits, or out of memory) */
static bool shadow_set(struct rp *r, struct win *w, uint64_t ioba, uint64_t val, uint8_t state,
		       uint32_t qi)
{
	int64_t i = w ? win_index(r, w, ioba) : -1;

	if (i < 0)
		return false;
	w->val[i] = val;
	w->state[i] = state;
	w->qi[i] = qi;
	return true;
}

/* ---- alignment of the guest's calls with QEMU's events ---- */

enum aclass { A_NONE, A_TCE, A_CFGR, A_CFGW, A_MSI };

static enum aclass g_class(const struct trace *t, const struct trace_gev *g)
{
	const struct trace_rtas *c;

	if (g->kind == TRACE_G_HCALL)
		return A_TCE;
	c = &t->rtas[g->index];
	if (c->rets[0] != 0 || c->token < 0)
		return A_NONE;
	if (!strcmp(c->name, "ibm,read-pci-config"))
		return A_CFGR;
	if (!strcmp(c->name, "ibm,write-pci-config"))
		return A_CFGW;
	if (!strcmp(c->name, "ibm,change-msi") && c->nargs >= 5 && c->args[4] != 0)
		return A_MSI;
	return A_NONE;
}

static enum aclass q_class(const struct trace_qev *e)
{
	switch (e->kind) {
	case TRACE_Q_PUT:
	case TRACE_Q_GET:
	case TRACE_Q_STUFF:
	case TRACE_Q_INDIRECT:
		return A_TCE;
	case TRACE_Q_CFG_READ:
		return A_CFGR;
	case TRACE_Q_CFG_WRITE:
		return A_CFGW;
	case TRACE_Q_MSI_CHANGE:
		return A_MSI;
	default:
		return A_NONE;
	}
}

static uint32_t cfg_reg(uint32_t cfg)
{
	return ((cfg >> 20) & 0xf00) | (cfg & 0xff);
}

static int64_t q_ret(const struct trace_qev *e)
{
	switch (e->kind) {
	case TRACE_Q_PUT:
		return (int64_t)e->a[3];
	case TRACE_Q_GET:
		return (int64_t)e->a[2];
	case TRACE_Q_STUFF:
		return (int64_t)e->a[4];
	default:
		return (int64_t)e->a[5];
	}
}

static uint32_t q_opcode(const struct trace_qev *e)
{
	switch (e->kind) {
	case TRACE_Q_PUT:
		return H_PUT_TCE;
	case TRACE_Q_GET:
		return H_GET_TCE;
	case TRACE_Q_STUFF:
		return H_STUFF_TCE;
	default:
		return H_PUT_TCE_INDIRECT;
	}
}

/* do guest call g and QEMU event e describe the same call? */
static bool pair_ok(const struct trace *t, const struct trace_gev *g, const struct trace_qev *e)
{
	if (g->kind == TRACE_G_HCALL) {
		const struct trace_hcall *h = &t->hcalls[g->index];
		return h->opcode == q_opcode(e) && h->retval == q_ret(e);
	}
	const struct trace_rtas *c = &t->rtas[g->index];
	if (e->kind == TRACE_Q_MSI_CHANGE)
		return e->a[0] == c->args[0] && c->nargs >= 5 && e->a[1] == c->args[3] &&
		       e->a[2] == c->args[4];
	if (c->nargs < 4 || e->bdf != ((c->args[0] >> 8) & 0xffff) || e->a[0] != cfg_reg(c->args[0]))
		return false;
	if (e->kind == TRACE_Q_CFG_READ)
		return c->nret >= 2 && e->a[1] == c->rets[1];
	return c->nargs >= 5 && e->a[1] == c->args[4];
}

static void learn_dev(struct rp *r, const struct trace_qev *e, uint64_t buid)
{
	struct devmap *d;

	for (unsigned i = 0; i < r->ndm; i++) {
		d = &r->dm[i];
		if (d->dev == e->dev && d->bdf == e->bdf) {
			if (d->buid != buid)
				d->ambiguous = true;
			return;
		}
	}
	d = realloc(r->dm, (r->ndm + 1) * sizeof(*r->dm));
	if (!d) {
		r->oom = true;
		return;
	}
	r->dm = d;
	d = &r->dm[r->ndm++];
	d->dev = e->dev;
	d->bdf = e->bdf;
	d->ambiguous = false;
	d->buid = buid;
}

/* The QEMU index of guest event k is k + shift for the whole class: find
 * the shift with the most pairs that describe the same call. QEMU's trace
 * starts at power-on (firmware's events first) and ends after the guest's
 * trace was dumped (shutdown's events last); the guest's may start late.
 * Branch and bound: a shift is dropped as soon as it cannot beat the best. */
#define SHIFT_MARGIN 4096
#define SHIFT_BUDGET 20000000ull	/* pair comparisons at most (then sampled) */
static long best_shift(const struct trace *t, const uint32_t *gl, uint32_t ng, const uint32_t *ql,
		       uint32_t nq)
{
	long d = (long)nq - (long)ng, best = 0;
	/* extra events at the ends of either trace: the shift lies near 0..d */
	long lo = (d < 0 ? d : 0) - SHIFT_MARGIN, hi = (d > 0 ? d : 0) + SHIFT_MARGIN;
	uint64_t best_m = 0, work, stride;
	long first[2] = { d, 0 };

	if (lo < -(long)ng + 1)
		lo = -(long)ng + 1;
	if (hi > (long)nq - 1)
		hi = (long)nq - 1;
	work = (uint64_t)(hi - lo + 1) * (ng < nq ? ng : nq);
	stride = work > SHIFT_BUDGET ? (work + SHIFT_BUDGET - 1) / SHIFT_BUDGET : 1;
	for (int pass = 0; pass < 3; pass++) {
		for (long s = pass < 2 ? first[pass] : lo; s <= hi; s++) {
			uint64_t k0 = s < 0 ? (uint64_t)-s : 0;
			uint64_t k1 = (long)ng < (long)nq - s ? ng : (uint64_t)((long)nq - s);
			uint64_t left, m = 0;
			if (s < lo || k1 <= k0)
				goto next;
			left = (k1 - k0 + stride - 1) / stride;	/* samples */
			if (left <= best_m)
				goto next;
			for (uint64_t k = k0; k < k1; k += stride, left--) {
				if (m + left <= best_m)
					break;
				if (pair_ok(t, &t->gev[gl[k]], &t->qev[ql[(uint64_t)((long)k + s)]]))
					m++;
			}
			if (m > best_m) {
				best_m = m;
				best = s;
			}
		next:
			if (pass < 2)
				break;
		}
	}
	return best;
}

/* do the next RESYNC_RUN pairs from (i, j) on all describe the same calls? */
#define RESYNC_RUN 8u
#define RESYNC_WINDOW 32u
static bool run_ok(const struct trace *t, const uint32_t *gl, uint32_t ng, const uint32_t *ql,
		   uint32_t nq, uint32_t i, uint32_t j)
{
	uint32_t n = 0;

	for (; i < ng && j < nq && n < RESYNC_RUN; i++, j++, n++)
		if (!pair_ok(t, &t->gev[gl[i]], &t->qev[ql[j]]))
			return false;
	return n == RESYNC_RUN || (n > 0 && (i == ng || j == nq));
}

/* Walk both lists from the best shift on, pairing in order. Where a pair
 * fails (a line lost or garbled in one of the traces), skip the fewest
 * events on either side after which RESYNC_RUN pairs agree again. */
static void walk(struct rp *r, enum aclass cls, const uint32_t *gl, uint32_t ng, const uint32_t *ql,
		 uint32_t nq, long s)
{
	const struct trace *t = r->t;
	uint32_t i = s < 0 ? (uint32_t)-s : 0, j = s > 0 ? (uint32_t)s : 0;
	unsigned failed = 0;	/* resyncs that found nothing: give up after many */

	while (i < ng && j < nq) {
		uint32_t gi = gl[i], qi = ql[j];
		if (pair_ok(t, &t->gev[gi], &t->qev[qi])) {
			r->g2q[gi] = (int32_t)qi;
			r->q2g[qi] = (int32_t)gi;
			if (cls == A_CFGR || cls == A_CFGW) {
				const struct trace_rtas *rc = &t->rtas[t->gev[gi].index];
				learn_dev(r, &t->qev[qi], (uint64_t)rc->args[1] << 32 | rc->args[2]);
			}
			i++;
			j++;
			continue;
		}
		bool found = false;
		for (uint32_t d = 1; d <= 2 * RESYNC_WINDOW && !found && failed < 1000; d++)
			for (uint32_t a = d > RESYNC_WINDOW ? d - RESYNC_WINDOW : 0;
			     a <= d && a <= RESYNC_WINDOW && !found; a++)
				if (run_ok(t, gl, ng, ql, nq, i + a, j + (d - a))) {
					i += a;
					j += d - a;
					found = true;
				}
		if (!found) {
			failed++;
			i++;
			j++;
		}
	}
}

/* Pair the guest's calls with QEMU's events of the same class, in order.
 * Unpaired QEMU events are replayed from the QEMU trace alone. */
static int align(struct rp *r)
{
	struct trace *t = r->t;
	static const enum aclass classes[] = { A_TCE, A_CFGR, A_CFGW, A_MSI };
	uint32_t *gl = malloc((t->ngev + 1) * sizeof(*gl));
	uint32_t *ql = malloc((t->nqev + 1) * sizeof(*ql));

	if (!gl || !ql) {
		free(gl);
		free(ql);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < t->ngev; i++)
		r->g2q[i] = -1;
	for (uint32_t i = 0; i < t->nqev; i++)
		r->q2g[i] = -1;
	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		uint32_t ng = 0, nq = 0;
		long s;
		for (uint32_t i = 0; i < t->ngev; i++)
			if (g_class(t, &t->gev[i]) == classes[c])
				gl[ng++] = i;
		for (uint32_t i = 0; i < t->nqev; i++)
			if (q_class(&t->qev[i]) == classes[c])
				ql[nq++] = i;
		if (!ng || !nq)
			continue;
		s = best_shift(t, gl, ng, ql, nq);
		walk(r, classes[c], gl, ng, ql, nq, s);
	}
	free(gl);
	free(ql);
	return r->oom ? -ENOMEM : 0;
}

/* ---- replaying one TCE hcall ---- */

static struct replay_row *tce_row(struct rp *r, uint32_t opcode)
{
	switch (opcode) {
	case H_PUT_TCE:
		return &r->st->row[REPLAY_ROW_H_PUT_TCE];
	case H_STUFF_TCE:
		return &r->st->row[REPLAY_ROW_H_STUFF_TCE];
	case H_PUT_TCE_INDIRECT:
		return &r->st->row[REPLAY_ROW_H_PUT_TCE_INDIRECT];
	default:
		return &r->st->row[REPLAY_ROW_H_GET_TCE];
	}
}

static const char *hname(uint32_t opcode)
{
	return opcode == H_PUT_TCE ? "H_PUT_TCE" : opcode == H_STUFF_TCE ? "H_STUFF_TCE" :
	       opcode == H_PUT_TCE_INDIRECT ? "H_PUT_TCE_INDIRECT" : "H_GET_TCE";
}

/* Replay QEMU TCE event qi (the guest's hcall g, or NULL). */
static void exec_tce(struct rp *r, uint32_t qi, const struct trace_hcall *g)
{
	const struct trace_qev *e = &r->t->qev[qi];
	struct trace_loc gl = g ? g->loc : e->loc, ql = e->loc;
	uint32_t op = q_opcode(e);
	struct replay_row *row = tce_row(r, op);
	uint64_t liobn = e->a[0], buid = liobn_buid(liobn), args[4], rets[1] = { 0 };
	int64_t want = q_ret(e), hret = 0;
	unsigned nargs = 0;
	struct win *w;
	uint64_t start = 0, npages = 1, done = 0, tracked = 0;
	unsigned shift;

	if (e->flags & TRACE_QF_VIO) {
		r->st->row[REPLAY_ROW_VIO_TCE].calls++;
		return;
	}
	row->calls++;
	if (buid && !phb_present(r, buid)) {
		skip_foreign(r, ql, "TCE hcall for a PHB that is not in the machine", buid);
		return;
	}
	w = win_find(r, liobn);
	shift = w ? w->shift : 12;	/* not seen yet: a default window */
	args[0] = liobn;
	switch (e->kind) {
	case TRACE_Q_PUT:
		args[1] = e->a[1];
		args[2] = e->a[2];
		nargs = 3;
		break;
	case TRACE_Q_GET:
		args[1] = e->a[1];
		nargs = 2;
		break;
	case TRACE_Q_STUFF:
		/* QEMU traces ioba after its loop: the start is npages pages before */
		npages = e->a[3];
		if (want != 0 || npages > WIN_MAX_ENTRIES || (npages << shift) > e->a[1]) {
			skip(r, ql, "failed H_STUFF_TCE: its start is not in the trace");
			return;
		}
		start = e->a[1] - (npages << shift);
		args[1] = start;
		args[2] = e->a[2];
		args[3] = npages;
		nargs = 4;
		break;
	case TRACE_Q_INDIRECT: {
		/* The list was in guest memory: Linux fills it with consecutive
		 * pages (tce_buildmulti_pSeriesLP). QEMU traces the index of
		 * the last entry it stored (iobaN; 0 also when none was) and the
		 * last TCE it loaded (tceN): on success the last entry, on
		 * failure the first bad one, at iobaN + 1. Rebuild the list
		 * backwards from tceN, up to and including the bad entry. */
		uint8_t list[512 * 8];
		npages = e->a[3] + (want == 0 ? 1 : 2);	/* e->a[3] checked first: it may wrap */
		if (e->a[3] >= 512 || npages > 512 || (e->a[4] >> shift) < npages - 1) {
			skip(r, ql, "H_PUT_TCE_INDIRECT whose list cannot be rebuilt");
			return;
		}
		for (uint64_t k = 0; k < npages; k++) {
			uint64_t v = e->a[4] - ((npages - 1 - k) << shift);
			for (unsigned b = 0; b < 8; b++)
				list[8 * k + b] = (uint8_t)(v >> (56 - 8 * b));
		}
		if (r->tg->mem_write(r->tg->opaque, e->a[2], list, (size_t)(8 * npages))) {
			skip(r, ql, "H_PUT_TCE_INDIRECT list outside guest RAM");
			return;
		}
		args[1] = e->a[1];
		args[2] = e->a[2];
		args[3] = npages;
		nargs = 4;
		break;
	}
	}
	r->st->lib_hcalls++;
	if (sphb_hcall(r->tg->m, op, args, nargs, rets, op == H_GET_TCE ? 1 : 0, &hret)) {
		hret = INT64_MIN;	/* the library refused: never the recorded value */
	}
	{
		bool ok = hret == want && (!g || hret == g->retval);
		if (ok && op == H_GET_TCE && want == 0)
			ok = rets[0] == e->a[3];
		compared(row, ok);
		if (!ok) {
			if (op == H_GET_TCE)
				mismatch(r, gl, g ? ql : no_loc,
					 "%s liobn=0x%" PRIx64 " ioba=0x%" PRIx64 ": recorded %" PRId64
					 " tce=0x%" PRIx64 ", replayed %" PRId64 " tce=0x%" PRIx64,
					 hname(op), liobn, args[1], want, e->a[3], hret, rets[0]);
			else
				mismatch(r, gl, g ? ql : no_loc,
					 "%s liobn=0x%" PRIx64 " ioba=0x%" PRIx64 ": recorded %" PRId64
					 ", replayed %" PRId64, hname(op), liobn, args[1], want, hret);
		}
	}
	/* what the traces say the table now holds */
	switch (e->kind) {
	case TRACE_Q_PUT:
		done = want == 0;
		break;
	case TRACE_Q_STUFF:
		done = npages;
		break;
	case TRACE_Q_INDIRECT:
		done = want == 0 ? npages : npages - 1; /* the bad one is last */
		r->st->tce_inferred += done ? done - (want == 0) : 0;
		break;
	}
	if (!done)
		return;
	r->st->tce_entries_set += done;
	if (!w)
		w = win_get(r, liobn);
	for (uint64_t k = 0; k < done; k++) {
		if (e->kind == TRACE_Q_PUT)
			tracked += shadow_set(r, w, e->a[1], e->a[2], TCE_RECORDED, qi);
		else if (e->kind == TRACE_Q_STUFF)
			tracked += shadow_set(r, w, start + (k << shift), e->a[2], TCE_RECORDED, qi);
		else
			tracked += shadow_set(r, w, e->a[1] + (k << shift),
					      e->a[4] - ((npages - 1 - k) << shift),
					      want == 0 && k == npages - 1 ? TCE_RECORDED : TCE_INFERRED,
					      qi);
	}
	if (tracked < done && !r->oom)
		skip(r, ql, "TCE entries beyond what the replay tracks (not in the final table)");
}

/* ---- one DMA translation QEMU observed ---- */

static void exec_xlate(struct rp *r, uint32_t qi)
{
	const struct trace_qev *e = &r->t->qev[qi];
	struct replay_row *row = &r->st->row[REPLAY_ROW_XLATE];
	uint64_t liobn = e->a[0], buid = liobn_buid(liobn), gpa = 0, bus;
	uint64_t mask = e->a[4] ? e->a[4] : 0xfff;
	unsigned perm = 0;
	struct win *w;
	int rc;
	bool ok;
	int64_t idx;

	row->calls++;
	if (!buid || !phb_present(r, buid)) {
		if (buid)
			skip_foreign(r, e->loc, "DMA translation for a PHB that is not in the machine", buid);
		else
			skip(r, e->loc, "DMA translation for a PHB that is not in the machine");
		return;
	}
	w = win_find(r, liobn);	/* none yet: a default window at 0 */
	bus = (w ? w->offset : 0) + e->a[1];
	r->st->lib_translations++;
	rc = sphb_dma_translate(r->tg->m, buid, 0, bus, &gpa, &perm);
	if (e->a[3] == 0)
		ok = rc == -EFAULT || (rc == 0 && perm == 0);
	else
		ok = rc == 0 && perm == e->a[3] && (gpa & ~mask) == e->a[2];
	compared(row, ok);
	if (ok)
		return;
	idx = w ? win_slot(w, bus) : -1;
	mismatch(r, e->loc, no_loc,
		 "DMA liobn=0x%" PRIx64 " 0x%" PRIx64 ": recorded -> 0x%" PRIx64 " perm=%" PRIu64
		 ", replayed %s0x%" PRIx64 " perm=%u%s", liobn, e->a[1], e->a[2], e->a[3],
		 rc ? "fault " : "", gpa & ~mask, perm,
		 idx >= 0 && (uint64_t)idx < w->n && w->state[idx] == TCE_INFERRED ?
		 " (entry from H_PUT_TCE_INDIRECT, value inferred)" : "");
}

/* ---- config cycles only QEMU saw (firmware) ---- */

static bool dev_buid(struct rp *r, const struct trace_qev *e, uint64_t *buid)
{
	for (unsigned i = 0; i < r->ndm; i++)
		if (r->dm[i].dev == e->dev && r->dm[i].bdf == e->bdf && !r->dm[i].ambiguous) {
			*buid = r->dm[i].buid;
			return true;
		}
	return false;
}

static void exec_qcfg(struct rp *r, uint32_t qi)
{
	const struct trace_qev *e = &r->t->qev[qi];
	bool rd = e->kind == TRACE_Q_CFG_READ;
	struct replay_row *row = &r->st->row[rd ? REPLAY_ROW_QCFG_READ : REPLAY_ROW_QCFG_WRITE];
	uint32_t off = (uint32_t)e->a[0], val = (uint32_t)e->a[1];
	uint32_t cfg = (uint32_t)e->bdf << 8 | (off & 0xff) | (off & 0xf00) << 20;
	uint32_t maxsz = off % 4 == 0 ? 4 : off % 2 == 0 ? 2 : 1;
	uint32_t minsz = val > 0xffff ? 4 : val > 0xff ? 2 : 1;
	uint32_t args[5], rets[2];
	int32_t tok;
	uint64_t buid;
	bool ok = false;

	row->calls++;
	if (!dev_buid(r, e, &buid)) {
		skip(r, e->loc, "config cycle of a device no guest config call locates");
		return;
	}
	if (!phb_present(r, buid)) {
		skip_foreign(r, e->loc, "config cycle for a PHB that is not in the machine", buid);
		return;
	}
	if (minsz > maxsz) {
		skip(r, e->loc, "config value wider than its offset allows");
		return;
	}
	args[0] = cfg;
	args[1] = (uint32_t)(buid >> 32);
	args[2] = (uint32_t)buid;
	if (!rd) {
		/* QEMU 7.2 does not trace the size: the widest access the offset
		 * allows (firmware writes whole registers; the Status half of a
		 * 4-byte Command write is RW1C, so its zeros change nothing) */
		tok = sphb_rtas_token("ibm,write-pci-config");
		args[3] = maxsz;
		args[4] = val;
		ok = rtas(r, (uint32_t)tok, 5, args, 1, rets) == 0 && rets[0] == 0;
		compared(row, ok);
		if (!ok)
			mismatch(r, e->loc, no_loc,
				 "config write %s %02x:%02x.%x @0x%x <- 0x%x (size %u): status %d",
				 e->dev, e->bdf >> 8, (e->bdf >> 3) & 31, e->bdf & 7, off, val, maxsz,
				 (int32_t)rets[0]);
		return;
	}
	/* reads: a match for any size the offset and the value allow */
	tok = sphb_rtas_token("ibm,read-pci-config");
	uint32_t got = 0;
	int32_t gst = 0;
	for (uint32_t sz = maxsz; sz >= minsz && !ok; sz /= 2) {
		args[3] = sz;
		rets[0] = rets[1] = 0;
		if (rtas(r, (uint32_t)tok, 4, args, 2, rets) == 0 && rets[0] == 0 && rets[1] == val)
			ok = true;
		if (sz == maxsz) {
			got = rets[1];
			gst = (int32_t)rets[0];
		}
	}
	compared(row, ok);
	if (!ok)
		mismatch(r, e->loc, no_loc,
			 "config read %s %02x:%02x.%x @0x%x: recorded 0x%x, replayed %d 0x%x (size %u)",
			 e->dev, e->bdf >> 8, (e->bdf >> 3) & 31, e->bdf & 7, off, val, gst, got, maxsz);
}

/* ---- the guest's RTAS calls ---- */

/* calls whose arg[1], arg[2] are the BUID */
static bool has_buid(const char *name)
{
	static const char *const calls[] = {
		"ibm,read-pci-config", "ibm,write-pci-config", "ibm,query-interrupt-source-number",
		"ibm,change-msi", "ibm,set-eeh-option", "ibm,get-config-addr-info2",
		"ibm,read-slot-reset-state2", "ibm,set-slot-reset", "ibm,configure-pe",
		"ibm,slot-error-detail", "ibm,query-pe-dma-window", "ibm,create-pe-dma-window",
		"ibm,reset-pe-dma-window",
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(calls[i], name))
			return true;
	return false;
}

/* arguments "0x1,0x2", or rets "S 0x1 0x2" (the status in signed decimal) */
static void fmt_cells(char *buf, size_t len, const uint32_t *c, uint32_t n, bool status)
{
	size_t w = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n && w < len; i++) {
		int k = i == 0 && status ? snprintf(buf + w, len - w, "%d", (int32_t)c[0]) :
			snprintf(buf + w, len - w, "%s0x%x", i ? status ? " " : "," : "", c[i]);
		if (k < 0)
			break;
		w += (size_t)k;
	}
}

static void msi_first_irq(struct rp *r, const struct trace_rtas *c, const struct trace_qev *e)
{
	struct replay_row *row = &r->st->row[REPLAY_ROW_MSI_FIRST_IRQ];
	uint32_t args[4] = { c->args[0], c->args[1], c->args[2], 0 }, rets[3] = { 0, 0, 0 };
	int tok = sphb_rtas_token("ibm,query-interrupt-source-number");
	bool ok;

	row->calls++;
	if (e->a[3] == 0 || tok < 0)
		return; /* "asked too many": nothing allocated */
	ok = rtas(r, (uint32_t)tok, 4, args, 3, rets) == 0 && rets[0] == 0 && rets[1] == e->a[3];
	compared(row, ok);
	if (!ok)
		mismatch(r, c->in, e->loc,
			 "change-msi cfg 0x%x: QEMU's first IRQ %" PRIu64 ", replayed machine's %d %u",
			 c->args[0], e->a[3], (int32_t)rets[0], rets[1]);
}

static void exec_rtas(struct rp *r, uint32_t gi)
{
	const struct trace_rtas *c = &r->t->rtas[r->t->gev[gi].index];
	struct replay_row *row = rtas_row(r, c);
	uint32_t rets[TRACE_RTAS_CELLS];
	bool ok = true;

	if (!row) {
		skip(r, c->in, "too many kinds of RTAS calls");
		return;
	}
	row->calls++;
	if (c->token < 0)
		return; /* not the PHB's */
	r->st->rtas_phb_calls++;
	if (c->nargs >= 3 && has_buid(c->name) &&
	    !phb_present(r, (uint64_t)c->args[1] << 32 | c->args[2])) {
		skip_foreign(r, c->in, "RTAS call for a BUID that is not in the machine",
			     (uint64_t)c->args[1] << 32 | c->args[2]);
		return;
	}
	if (!strcmp(c->name, "ibm,remove-pe-dma-window") && c->nargs >= 1 &&
	    liobn_buid(c->args[0]) && !phb_present(r, liobn_buid(c->args[0]))) {
		skip_foreign(r, c->in, "RTAS call for a LIOBN of a PHB that is not in the machine",
			     liobn_buid(c->args[0]));
		return;
	}
	memset(rets, 0, sizeof(rets));
	if (rtas(r, (uint32_t)c->token, c->nargs, c->args, c->nret, rets))
		ok = false;
	for (uint32_t i = 0; i < c->nret && ok; i++)
		ok = rets[i] == c->rets[i];
	compared(row, ok);
	r->st->rtas_phb_compared++;
	if (!ok) {
		char a[120], want[100], got[100];
		fmt_cells(a, sizeof(a), c->args, c->nargs, false);
		fmt_cells(want, sizeof(want), c->rets, c->nret, true);
		fmt_cells(got, sizeof(got), rets, c->nret, true);
		mismatch(r, c->in, r->g2q[gi] >= 0 ? r->t->qev[r->g2q[gi]].loc : no_loc,
			 "%s {%s}: recorded %s, replayed %s", c->name, a, want, got);
	}
	/* the DMA windows the machine now has (from its own answers) */
	if (!strcmp(c->name, "ibm,create-pe-dma-window") && rets[0] == 0 && c->nargs >= 5) {
		struct win *w = win_get(r, rets[1]);
		if (w) {
			win_clear(w);
			w->shift = c->args[3] < 64 ? c->args[3] : 12;
			w->offset = (uint64_t)rets[2] << 32 | rets[3];
		}
	} else if (!strcmp(c->name, "ibm,remove-pe-dma-window") && rets[0] == 0 && c->nargs >= 1) {
		struct win *w = win_find(r, c->args[0]);
		if (w)
			win_clear(w);
	} else if (!strcmp(c->name, "ibm,reset-pe-dma-window") && rets[0] == 0 && c->nargs >= 3) {
		uint64_t buid = (uint64_t)c->args[1] << 32 | c->args[2];
		for (unsigned i = 0; i < r->nwins; i++)
			if (liobn_buid(r->wins[i].liobn) == buid) {
				win_clear(&r->wins[i]);
				if (r->wins[i].liobn & 0xff)
					continue;
				r->wins[i].shift = 12;
				r->wins[i].offset = 0;
			}
	}
	if (r->g2q[gi] >= 0 && r->t->qev[r->g2q[gi]].kind == TRACE_Q_MSI_CHANGE && rets[0] == 0)
		msi_first_irq(r, c, &r->t->qev[r->g2q[gi]]);
}

static void exec_g(struct rp *r, uint32_t gi)
{
	const struct trace_gev *g = &r->t->gev[gi];

	if (g->kind == TRACE_G_RTAS) {
		exec_rtas(r, gi);
		return;
	}
	if (r->g2q[gi] >= 0) {
		exec_tce(r, (uint32_t)r->g2q[gi], &r->t->hcalls[g->index]);
		return;
	}
	tce_row(r, r->t->hcalls[g->index].opcode)->calls++;
	skip(r, r->t->hcalls[g->index].loc, "TCE hcall without its QEMU event (arguments unknown)");
}

static void exec_q(struct rp *r, uint32_t qi)
{
	switch (r->t->qev[qi].kind) {
	case TRACE_Q_PUT:
	case TRACE_Q_GET:
	case TRACE_Q_STUFF:
	case TRACE_Q_INDIRECT:
		exec_tce(r, qi, NULL);
		break;
	case TRACE_Q_XLATE:
		exec_xlate(r, qi);
		break;
	case TRACE_Q_CFG_READ:
	case TRACE_Q_CFG_WRITE:
		exec_qcfg(r, qi);
		break;
	default:
		r->st->qemu_only[r->t->qev[qi].kind].calls++;
		break;
	}
}

/* ---- the final TCE tables ---- */

static void final_tables(struct rp *r)
{
	struct replay_row *row = &r->st->row[REPLAY_ROW_FINAL_TCE];

	for (unsigned wi = 0; wi < r->nwins; wi++) {
		const struct win *w = &r->wins[wi];
		for (uint32_t i = 0; i < w->n; i++) {
			uint64_t args[2] = { w->liobn, w->offset + ((uint64_t)i << w->shift) };
			uint64_t got = 0;
			int64_t hret = 0;
			bool ok;
			if (w->state[i] == TCE_UNKNOWN)
				continue;
			row->calls++;
			if (w->state[i] == TCE_INFERRED) {
				r->st->final_tce_not_compared++;
				continue;
			}
			r->st->lib_hcalls++;
			ok = sphb_hcall(r->tg->m, H_GET_TCE, args, 2, &got, 1, &hret) == 0 && hret == 0 &&
			     got == w->val[i];
			compared(row, ok);
			if (!ok)
				mismatch(r, r->t->qev[w->qi[i]].loc, no_loc,
					 "final TCE liobn=0x%x ioba=0x%" PRIx64 ": last written 0x%" PRIx64
					 ", table holds %" PRId64 " 0x%" PRIx64, w->liobn, args[1], w->val[i],
					 hret, got);
		}
	}
}

int replay_run(struct trace *t, const struct replay_target *tg, struct replay_stats *st)
{
	struct rp r;
	struct timespec t0, t1;
	uint32_t gc = 0;
	int64_t last;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < REPLAY_ROW_NFIXED; i++)
		st->row[i].name = fixed_rows[i];
	st->row[REPLAY_ROW_VIO_TCE].note = "not the PHB's";
	for (unsigned i = 0; i < TRACE_Q_NKINDS; i++) {
		st->qemu_only[i].name = qemu_only[i].name;
		st->qemu_only[i].note = qemu_only[i].note;
	}
	st->nrows = REPLAY_ROW_NFIXED;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.tg = tg;
	r.st = st;
	r.g2q = malloc(((size_t)t->ngev + 1) * sizeof(*r.g2q));
	r.q2g = malloc(((size_t)t->nqev + 1) * sizeof(*r.q2g));
	if (!r.g2q || !r.q2g || align(&r)) {
		rc = -ENOMEM;
		goto out;
	}
	/* QEMU's order, with each guest call run up to the QEMU event it
	 * pairs with; unpaired QEMU events run where QEMU saw them. The
	 * guest's trace ends before QEMU's (it was dumped before shutdown):
	 * its last calls run right after the last paired QEMU event. */
	last = -1;
	for (uint32_t qi = 0; qi < t->nqev; qi++)
		if (r.q2g[qi] >= 0)
			last = (int64_t)qi;
	for (uint32_t qi = 0; qi < t->nqev && !r.oom; qi++) {
		int32_t gi = r.q2g[qi];
		if (gi >= 0)
			while (gc <= (uint32_t)gi && !r.oom)
				exec_g(&r, gc++);
		else
			exec_q(&r, qi);
		if ((int64_t)qi == last)
			while (gc < t->ngev && !r.oom)
				exec_g(&r, gc++);
	}
	while (gc < t->ngev && !r.oom)
		exec_g(&r, gc++);
	if (!r.oom)
		final_tables(&r);
	if (r.oom)
		rc = -ENOMEM;
out:
	for (unsigned i = 0; i < r.nwins; i++) {
		free(r.wins[i].val);
		free(r.wins[i].state);
		free(r.wins[i].qi);
	}
	free(r.wins);
	free(r.dm);
	free(r.g2q);
	free(r.q2g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}

/* ---- the report ---- */

static void print_loc(const struct trace *t, struct trace_loc l, FILE *f)
{
	fprintf(f, "%s:%u", l.file < t->nfiles ? t->files[l.file] : "?", l.line);
}

static int row_order(const void *a, const void *b)
{
	const struct replay_row *x = a, *y = b;
	int tx = sphb_rtas_token(x->name), ty = sphb_rtas_token(y->name);

	if ((tx < 0) != (ty < 0))
		return tx < 0 ? 1 : -1;
	if (tx >= 0 && tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

void replay_print_skipped(const struct trace *t, FILE *f)
{
	fprintf(f, "skipped lines: %" PRIu64 "\n", t->nskip);
	for (uint32_t i = 0; i < t->nreasons; i++) {
		const struct trace_skip_reason *w = &t->reason[i];
		fprintf(f, "  %" PRIu64 " %s: ", w->count, w->why);
		for (uint64_t k = 0; k < w->count && k < TRACE_SKIP_FIRST; k++) {
			if (k && w->first[k].file == w->first[k - 1].file) {
				fprintf(f, ",%u", w->first[k].line);
				continue;
			}
			fputs(k ? ", " : "", f);
			print_loc(t, w->first[k], f);
		}
		fputs(w->count > TRACE_SKIP_FIRST ? ", ...\n" : "\n", f);
	}
}

void replay_print(const struct trace *t, const struct replay_stats *st, FILE *f)
{
	struct replay_row rows[REPLAY_MAX_ROWS];
	unsigned n;

	if (st->nrows < REPLAY_ROW_NFIXED || st->nrows > REPLAY_MAX_ROWS) {
		replay_print_skipped(t, f);
		return;
	}
	n = st->nrows - REPLAY_ROW_NFIXED;
	memcpy(rows, st->row + REPLAY_ROW_NFIXED, n * sizeof(*rows));
	qsort(rows, n, sizeof(*rows), row_order);
	memcpy(rows + n, st->row, REPLAY_ROW_NFIXED * sizeof(*rows));
	fprintf(f, "%-48s %9s %9s %9s\n", "kind", "calls", "compared", "matched");
	for (unsigned i = 0; i < st->nrows; i++) {
		const struct replay_row *w = &rows[i];
		if (!w->calls && i >= n)
			continue;
		fprintf(f, "%-48s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "%s%s\n", w->name, w->calls,
			w->compared, w->matched, w->note ? "  " : "", w->note ? w->note : "");
	}
	for (unsigned i = 0; i < TRACE_Q_NKINDS; i++) {
		const struct replay_row *w = &st->qemu_only[i];
		if (w->calls)
			fprintf(f, "%-48s %9" PRIu64 " %9d %9d  %s\n", w->name, w->calls, 0, 0,
				w->note ? w->note : "");
	}
	fprintf(f, "PHB RTAS calls: %" PRIu64 ", compared %" PRIu64 " (%.2f %%)\n", st->rtas_phb_calls,
		st->rtas_phb_compared,
		st->rtas_phb_calls ? 100.0 * (double)st->rtas_phb_compared / (double)st->rtas_phb_calls :
				     100.0);
	fprintf(f, "TCE entries written: %" PRIu64 " (%" PRIu64 " with values inferred from "
		"H_PUT_TCE_INDIRECT, not compared in the final table: %" PRIu64 ")\n",
		st->tce_entries_set, st->tce_inferred, st->final_tce_not_compared);
	fprintf(f, "mismatches: %" PRIu64 "\n", st->mismatches);
	for (uint64_t i = 0; i < st->mismatches && i < REPLAY_KEEP_MISMATCH; i++) {
		const struct replay_mismatch *m = &st->mismatch[i];
		fputs("  ", f);
		print_loc(t, m->loc, f);
		if (m->qloc.file != NO_LOC) {
			fputs(" (", f);
			print_loc(t, m->qloc, f);
			fputc(')', f);
		}
		fprintf(f, ": %s\n", m->text);
	}
	replay_print_skipped(t, f);
}

int replay_verdict(const struct trace *t, const struct replay_stats *st, char *why, size_t len)
{
	uint64_t cmp = 0;
	int n;

	for (unsigned i = 0; i < st->nrows && i < REPLAY_MAX_ROWS; i++)
		if (i != REPLAY_ROW_FINAL_TCE)
			cmp += st->row[i].compared;
	if (st->mismatches) {
		snprintf(why, len, "%" PRIu64 " mismatch%s", st->mismatches,
			 st->mismatches == 1 ? "" : "es");
		return 1;
	}
	if (st->foreign) {
		n = snprintf(why, len, "the trace is not this machine's: %" PRIu64 " of its records "
			     "address a PHB the machine does not have (BUID", st->foreign);
		for (unsigned i = 0; i < st->nforeign_buid && n > 0 && (size_t)n < len; i++)
			n += snprintf(why + n, len - (size_t)n, "%s 0x%" PRIx64, i ? "," : "",
				      st->foreign_buid[i]);
		if (n > 0 && (size_t)n < len)
			snprintf(why + n, len - (size_t)n, "%s); build it with the traced machine's -device list",
				 st->nforeign_buid == REPLAY_KEEP_FOREIGN ? ", ..." : "");
		return 1;
	}
	if (t->nskip > cmp) {
		snprintf(why, len, "the replay compared %" PRIu64 " answer%s but skipped %" PRIu64
			 " lines: the trace does not fit this machine (see the skipped lines)",
			 cmp, cmp == 1 ? "" : "s", t->nskip);
		return 1;
	}
	if (why && len)
		why[0] = '\0';
	return 0;
}

/* ---- in-process machines ---- */

static int rm_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct replay_machine *rm = opaque;
	if (gpa > rm->ram_size || len > rm->ram_size - gpa)
		return -EFAULT;
	memcpy(buf, rm->ram + gpa, len);
	return 0;
}

static int rm_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct replay_machine *rm = opaque;
	if (gpa > rm->ram_size || len > rm->ram_size - gpa)
		return -EFAULT;
	memcpy(rm->ram + gpa, buf, len);
	return 0;
}

static void rm_log(void *opaque, enum sphb_log_level lvl, const char *msg)
{
	struct replay_machine *rm = opaque;
	if (lvl == SPHB_LOG_ERROR)
		snprintf(rm->last_error, sizeof(rm->last_error), "%s", msg);
}

int replay_machine_new(const char *const *specs, int n, uint64_t ram_size,
		       struct replay_machine **out, FILE *err)
{
	struct replay_machine *rm;
	struct sphb_host_ops ops;
	int rc;

	*out = NULL;
	if (ram_size < 0x100000 || ram_size > (1ull << 40))
		return -EINVAL;
	rm = calloc(1, sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	rm->ram = calloc(1, (size_t)ram_size);
	rm->ram_size = ram_size;
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = rm_read;
	ops.mem_write = rm_write;
	ops.log = rm_log;
	if (!rm->ram || sphb_machine_new_default(&ops, rm, &rm->tg.m)) {
		free(rm->ram);
		free(rm);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		rm->last_error[0] = '\0';
		rc = sphb_machine_add(rm->tg.m, specs[i]);
		if (rc) {
			if (err)
				fprintf(err, "sphb: -device %s\n",
					rm->last_error[0] ? rm->last_error : specs[i]);
			replay_machine_free(rm);
			return rc;
		}
	}
	rm->tg.mem_read = rm_read;
	rm->tg.mem_write = rm_write;
	rm->tg.opaque = rm;
	rm->tg.rtas_buf_gpa = ram_size - 0x10000;
	*out = rm;
	return 0;
}

void replay_machine_free(struct replay_machine *rm)
{
	if (!rm)
		return;
	sphb_machine_free(rm->tg.m);
	free(rm->ram);
	free(rm);
}

/* ---- sphb replay ---- */

int sphb_cli_replay(const struct replay_target *tg, const char *const *paths, int n)
{
	struct trace *t;
	struct replay_stats *st;
	int rc;

	if (n < 1) {
		fprintf(stderr, "sphb: replay: expected at least one TRACE file\n");
		return 2;
	}
	if (trace_load(paths, n, &t, stderr))
		return 2;
	st = calloc(1, sizeof(*st));
	if (!st) {
		trace_free(t);
		fprintf(stderr, "sphb: replay: out of memory\n");
		return 2;
	}
	if (t->ngev == 0 && t->nqev == 0) {
		replay_print_skipped(t, stdout);
		fflush(stdout);
		fprintf(stderr, "sphb: replay: no RTAS call, TCE hcall or QEMU event in the trace%s\n",
			n > 1 ? "s" : "");
		free(st);
		trace_free(t);
		return 2;
	}
	if (replay_run(t, tg, st)) {
		fprintf(stderr, "sphb: replay: out of memory\n");
		free(st);
		trace_free(t);
		return 2;
	}
	replay_print(t, st, stdout);
	printf("replayed %u guest calls and %u QEMU events in %.3f s\n", t->ngev, t->nqev, st->seconds);
	fflush(stdout);
	{
		char why[256];
		rc = replay_verdict(t, st, why, sizeof(why));
		if (rc)
			fprintf(stderr, "sphb: replay: %s\n", why);
	}
	free(st);
	trace_free(t);
	return rc;
}
