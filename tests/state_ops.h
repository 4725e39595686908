/* Random operations on a machine through the public API, for the save/restore
 * property test and the state fuzzer's seed generator: a host that records
 * interrupt lines, machine construction, stream save helpers, and step(),
 * which performs one random guest or host operation and returns a digest of
 * every answer it got (the same seed on two machines in the same state gives
 * the same operation). Uses the library's internals only to find the DMA
 * windows in place, to aim at them. SPDX-License-Identifier: MIT */
#ifndef SPHB_TEST_STATE_OPS_H
#define SPHB_TEST_STATE_OPS_H

#include <stdbool.h>

#include "harness.h"
#include "internal.h"

/* ---- a host that also records interrupt lines ---- */

struct mh {
	struct t_host h;	/* first: the harness callbacks take it */
	int lsi[SPHB_MAX_PHBS * 4];
	uint32_t last_pulse;
	uint32_t ej_token;	/* the guest's last open-errinjct token */
	unsigned errors;	/* ERROR messages logged */
	char last_error[512];
};

static inline void m_log(void *o, enum sphb_log_level lvl, const char *msg)
{
	struct mh *H = o;

	t_log(o, lvl, msg);
	if (lvl == SPHB_LOG_ERROR) {
		H->errors++;
		snprintf(H->last_error, sizeof(H->last_error), "%s", msg);
	}
}

static inline void m_irq_set(void *o, uint32_t irq, int level)
{
	struct mh *H = o;

	CHECK(irq >= SPHB_LSI_BASE && irq < SPHB_LSI_BASE + SPHB_MAX_PHBS * 4);
	if (irq >= SPHB_LSI_BASE && irq < SPHB_LSI_BASE + SPHB_MAX_PHBS * 4) {
		CHECK(H->lsi[irq - SPHB_LSI_BASE] != level); /* changes only */
		H->lsi[irq - SPHB_LSI_BASE] = level;
	}
}

static inline void m_irq_pulse(void *o, uint32_t irq)
{
	((struct mh *)o)->last_pulse = irq;
}

/* the device ids step() addresses (absent ones answer -ENOENT) */
static const char *const dev_ids[] = { "a", "b", "c", "d", "e", "f", "x", "u", "k", "v" };

static inline uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint32_t rn(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static inline struct sphb_machine *new_machine(struct mh *H)
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m = NULL;

	memset(H, 0, sizeof(*H));
	H->h.ram_size = T_RAM_SIZE;
	H->h.ram = calloc(1, H->h.ram_size);
	ops.log = m_log;
	ops.irq_set = m_irq_set;
	ops.irq_pulse = m_irq_pulse;
	if (!H->h.ram || sphb_machine_new_default(&ops, H, &m)) {
		fprintf(stderr, "cannot create machine\n");
		exit(1);
	}
	return m;
}

static inline void add(struct sphb_machine *m, struct mh *H, const char *spec)
{
	if (sphb_machine_add(m, spec)) {
		fprintf(stderr, "cannot add '%s': %s\n", spec, H->h.last_log);
		exit(1);
	}
}

static inline struct sphb_machine *build_list(struct mh *H, const char *const *specs)
{
	struct sphb_machine *m = new_machine(H);

	for (; *specs; specs++)
		add(m, H, *specs);
	return m;
}

static inline void free_machine(struct sphb_machine *m, struct mh *H)
{
	sphb_machine_free(m);
	free(H->h.ram);
}

static inline uint8_t *save(struct sphb_machine *m, size_t *len)
{
	size_t need = 0;
	uint8_t *buf;

	CHECK_EQ(sphb_machine_save(m, NULL, 0, &need), -ENOSPC);
	buf = malloc(need ? need : 1);
	if (!buf)
		exit(1);
	CHECK_EQ(sphb_machine_save(m, buf, need, len), 0);
	CHECK_EQ(*len, need);
	return buf;
}

static inline bool same_save(struct sphb_machine *m, const uint8_t *ref, size_t ref_len)
{
	size_t len;
	uint8_t *s = save(m, &len);
	bool same = len == ref_len && !memcmp(s, ref, len);

	free(s);
	return same;
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0x100000001b3ull;
}

/* ---- RTAS and hcall helpers ---- */

static inline uint64_t rtas(struct sphb_machine *m, struct mh *H, const char *name, uint32_t nargs,
		     uint32_t nret, const uint32_t *args, uint32_t *rets)
{
	uint32_t r[16];
	uint64_t h = 0;

	h = mix(h, (uint64_t)t_rtas_n(m, &H->h, (uint32_t)t_token(name), nargs, nret, args, r));
	for (uint32_t i = 0; i < nret; i++) {
		h = mix(h, r[i]);
		if (rets)
			rets[i] = r[i];
	}
	return h;
}

static inline uint64_t buid_of(unsigned idx)
{
	return T_BUID0 + idx;
}

/* a function's BUID and config address; absent devices give PHB 0 slot 31 */
static inline void dev_addr(struct sphb_machine *m, const char *id, uint64_t *buid, uint32_t *cfg)
{
	if (sphb_dev_config_addr(m, id, buid, cfg)) {
		*buid = T_BUID0;
		*cfg = 31u << 11;
	}
}

struct win {
	bool ok;
	uint32_t liobn;
	uint64_t off, nb;
	unsigned shift;
};

static inline struct win win_of(struct sphb_machine *m, unsigned idx, unsigned w)
{
	struct win W = { false, 0x80000000u | idx << 8 | w, 0, 0, 0 };
	struct sphb_tce_table *t;

	if (idx < SPHB_MAX_PHBS && m->phbs[idx] && (t = atomic_load(&m->phbs[idx]->win[w]))) {
		W.ok = true;
		W.off = sphb_tce_offset(t);
		W.nb = sphb_tce_nb(t);
		W.shift = sphb_tce_shift(t);
	}
	return W;
}

static inline uint64_t pick_index(const struct win *W, uint64_t *s)
{
	uint64_t i;

	if (!W->nb)
		return rnd(s) % 4096;
	switch (rn(s, 4)) {
	case 0:
		i = rnd(s) % W->nb;
		break;
	case 1:
		i = W->nb - 1 - rn(s, 8);
		break;
	default:
		i = rn(s, 40);
		i += 512ull * rn(s, 3);
		break;
	}
	return i < W->nb ? i : W->nb - 1;
}

static inline uint64_t pick_tce(uint64_t *s)
{
	switch (rn(s, 8)) {
	case 0:
		return 0;
	case 1:
		return rnd(s);
	default:
	{
		uint64_t page = rnd(s) & 0xfff000ull;
		return page | rn(s, 4);
	}
	}
}

static inline uint64_t hcall(struct sphb_machine *m, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3)
{
	uint64_t args[4] = { a0, a1, a2, a3 }, ret = 0;
	int64_t hret = 99;
	int rc = sphb_hcall(m, op, args, 4, &ret, 1, &hret);

	return mix(mix(mix(0, (uint64_t)rc), (uint64_t)hret), ret);
}

static inline void st64(struct mh *H, uint64_t a, uint64_t v)
{
	t_st32(&H->h, a, (uint32_t)(v >> 32));
	t_st32(&H->h, a + 4, (uint32_t)v);
}

#define LIST_GPA 0x200000u
#define LOG_GPA 0x300000u
#define DRV_GPA 0x301000u
#define EJ_GPA 0x302000u

/* One random operation; returns a digest of every answer it got. The same
 * seed on two machines in the same state gives the same operation. */
static inline uint64_t step(struct sphb_machine *m, struct mh *H, uint64_t *s)
{
	const char *id = dev_ids[rn(s, ARRAY_SIZE(dev_ids))];
	unsigned idx = rn(s, 5) == 0 ? rn(s, 4) : (rn(s, 2) ? 0 : 1 + rn(s, 2));
	unsigned w = rn(s, 3) == 0;
	struct win W = win_of(m, idx, w);
	uint64_t buid, h = 0, v = 0, gpa = 0, ioba, tce;
	unsigned bar;
	uint32_t cfg, a[8] = { 0 }, r[8] = { 0 };
	unsigned perm = 0;
	const char *name = NULL;
	int rc;

	dev_addr(m, id, &buid, &cfg);
	if (rn(s, 16) == 0)
		idx = rn(s, 32); /* sometimes a PHB that does not exist */
	ioba = W.off + (pick_index(&W, s) << W.shift);
	H->last_pulse = 0;
	switch (rn(s, 42)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		tce = pick_tce(s);
		return hcall(m, 0x20, W.liobn, ioba, tce, 0);
	case 6: case 7:
		tce = pick_tce(s);
		return hcall(m, 0x138, W.liobn, ioba, tce, 1 + rn(s, rn(s, 4) ? 40 : 1200));
	case 8: case 9: {
		unsigned n = 1 + rn(s, 64);
		for (unsigned i = 0; i < n; i++)
			st64(H, LIST_GPA + 8 * i, pick_tce(s));
		return hcall(m, 0x13c, W.liobn, ioba, LIST_GPA, n);
	}
	case 10:
		return hcall(m, 0x1c, W.liobn, ioba, 0, 0);
	case 11: { /* create a DDW */
		static const unsigned ps[] = { 12, 16, 21, 24 };
		unsigned p = ps[rn(s, 4)];
		a[0] = cfg; a[1] = (uint32_t)(buid_of(idx) >> 32); a[2] = (uint32_t)buid_of(idx);
		a[3] = p;
		a[4] = p + rn(s, rn(s, 8) ? 18 : 36);
		return rtas(m, H, "ibm,create-pe-dma-window", 5, 4, a, NULL);
	}
	case 12:
		a[0] = rn(s, 8) ? W.liobn : (uint32_t)rnd(s);
		return rtas(m, H, "ibm,remove-pe-dma-window", 1, 1, a, NULL);
	case 13:
		if (rn(s, 3))
			return 0;
		a[0] = cfg; a[1] = (uint32_t)(buid_of(idx) >> 32); a[2] = (uint32_t)buid_of(idx);
		return rtas(m, H, "ibm,reset-pe-dma-window", 3, 1, a, NULL);
	case 14:
		a[0] = cfg; a[1] = (uint32_t)(buid_of(idx) >> 32); a[2] = (uint32_t)buid_of(idx);
		return rtas(m, H, "ibm,query-pe-dma-window", 3, rn(s, 2) ? 5 : 6, a, NULL);
	case 15: case 16: { /* change-msi */
		static const uint32_t fn[] = { 0, 1, 2, 3, 4, 6, 1, 3, 4 };
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		a[3] = fn[rn(s, ARRAY_SIZE(fn))];
		a[4] = rn(s, 5) ? 1 + rn(s, 8) : rn(s, 40);
		a[5] = rn(s, 100);
		return rtas(m, H, "ibm,change-msi", 6, 4, a, NULL);
	}
	case 17:
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid; a[3] = rn(s, 20);
		return rtas(m, H, "ibm,query-interrupt-source-number", 4, 3, a, NULL);
	case 18:
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid; a[3] = rn(s, 4);
		return rtas(m, H, "ibm,set-eeh-option", 4, 1, a, NULL);
	case 19: {
		static const uint32_t opt[] = { 0, 1, 3, 0 };
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid; a[3] = opt[rn(s, 4)];
		return rtas(m, H, "ibm,set-slot-reset", 4, 1, a, NULL);
	}
	case 20:
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		return rtas(m, H, "ibm,configure-pe", 3, 1, a, NULL);
	case 21:
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		return rtas(m, H, "ibm,read-slot-reset-state2", 3, rn(s, 2) ? 4 : 5, a, NULL);
	case 22: { /* the error log; function 2 (permanent) now and then */
		uint32_t len = 8 + rn(s, 1200);
		for (unsigned i = 0; i < 64; i++)
			H->h.ram[DRV_GPA + i] = (uint8_t)rnd(s);
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		a[3] = DRV_GPA; a[4] = rn(s, 65); a[5] = LOG_GPA; a[6] = len;
		a[7] = rn(s, 12) ? 1 : 2;
		memset(H->h.ram + LOG_GPA, 0, 2048);
		h = rtas(m, H, "ibm,slot-error-detail", 8, 1, a, NULL);
		for (unsigned i = 0; i < len && i < 2048; i++)
			h = mix(h, H->h.ram[LOG_GPA + i]);
		return h;
	}
	case 23:
		h = rtas(m, H, "ibm,open-errinjct", 0, 2, a, r);
		if (r[1] == 0)
			H->ej_token = r[0];
		return h;
	case 24: { /* errinjct: ioa-bus-error(-64) on a PE */
		bool is64 = rn(s, 2);
		uint32_t op = rn(s, 4) ? rn(s, 20) : rn(s, 24), k = 0, b[8];
		if (is64) {
			b[k++] = 0; b[k++] = (uint32_t)rnd(s); b[k++] = 0; b[k++] = 0xffffffffu;
		} else {
			b[k++] = (uint32_t)rnd(s); b[k++] = 0xfffff000u;
		}
		b[k++] = cfg; b[k++] = (uint32_t)(buid >> 32); b[k++] = (uint32_t)buid; b[k++] = op;
		for (uint32_t i = 0; i < k; i++)
			t_st32(&H->h, EJ_GPA + 4 * i, b[i]);
		a[0] = is64 ? 0xf : rn(s, 8) ? 7 : rn(s, 16);
		a[1] = rn(s, 8) ? H->ej_token : (uint32_t)rnd(s);
		a[2] = EJ_GPA;
		h = rtas(m, H, "ibm,errinjct", 3, 1, a, NULL);
		for (uint32_t i = 0; i < k; i++)
			h = mix(h, t_ld32(&H->h, EJ_GPA + 4 * i));
		return h;
	}
	case 25:
		a[0] = rn(s, 6) ? H->ej_token : (uint32_t)rnd(s);
		return rtas(m, H, "ibm,close-errinjct", 1, 1, a, NULL);
	case 26:
		rc = sphb_host_freeze(m, id, &cfg);
		return mix(mix(0, (uint64_t)rc), rc ? 0 : cfg);
	case 27:
		return (uint64_t)sphb_host_busy(m, id, rn(s, 5000));
	case 28:
		if (rn(s, 3))
			return 0;
	{
		int err = rn(s, 2) ? 5 : 19;
		return (uint64_t)sphb_host_fail(m, id, err, rn(s, 3));
	}
	case 29:
		rc = sphb_host_state(m, id, &name);
		h = mix(0, (uint64_t)rc);
		for (; !rc && *name; name++)
			h = mix(h, (uint64_t)*name);
		return h;
	case 30:
		return (uint64_t)sphb_clock_advance(m, rn(s, 3000));
	case 31: case 32: { /* config writes, biased to Command and the capabilities */
		static const uint32_t offs[] = { 0x04, 0x04, 0x06, 0x0c, 0x10, 0x3c, 0x42, 0x44, 0x4a, 0x60, 0x64,
						 0x50, 0x52, 0x54, 0x5c, 0x62, 0x68, 0x104, 0x110 };
		uint32_t sz = 1u << rn(s, 3), off = rn(s, 3) ? offs[rn(s, ARRAY_SIZE(offs))] : rn(s, 4096);
		uint32_t val = rn(s, 3) ? (uint32_t)rnd(s) : rn(s, 2) ? 0x0006 : 0x8000;
		off &= ~(sz - 1);
		return (uint64_t)t_cfg_write(m, &H->h, buid, cfg | (off & 0xff) | (off & 0xf00) << 20, sz, val);
	}
	case 33: {
		uint32_t sz = 1u << rn(s, 3), off = rn(s, 4096) & ~(sz - 1);
		int32_t st = t_cfg_read(m, &H->h, buid, cfg | (off & 0xff) | (off & 0xf00) << 20, sz, r);
		return mix((uint64_t)st, r[0]);
	}
	case 34: {
		unsigned sz = 1u << rn(s, 4);
		uint64_t off = (rn(s, 4) ? rn(s, 0x2100) : rnd(s) % 0x100000) & ~(uint64_t)(sz - 1);
		bar = rn(s, 7);
		return (uint64_t)sphb_mmio_write(m, id, bar, off, sz, rnd(s));
	}
	case 35: {
		unsigned sz = 1u << rn(s, 4);
		uint64_t off = rn(s, 0x2100) & ~(uint64_t)(sz - 1);
		rc = sphb_mmio_read(m, id, rn(s, 7), off, sz, &v);
		return mix((uint64_t)rc, v);
	}
	case 36:
		return (uint64_t)sphb_dev_intx(m, id, (int)rn(s, 2));
	case 37:
		rc = sphb_dev_msi(m, id, rn(s, 20));
		return mix((uint64_t)rc, H->last_pulse);
	case 38:
	{
		uint64_t tbuid = rn(s, 6) ? buid : buid_of(idx);
		uint32_t tcfg = rn(s, 6) ? cfg : (uint32_t)rnd(s);

		rc = sphb_dma_translate(m, tbuid, tcfg, ioba + rn(s, 4096), &gpa, &perm);
	}
		return mix(mix((uint64_t)rc, rc ? 0 : gpa), rc ? 0 : perm);
	case 39: { /* a write into one of the function's capabilities */
		const struct sphb_func *d = sphb_func_find(m, id);
		unsigned caps[4], nc = 0;
		uint32_t sz = 1u << rn(s, 3), off;

		if (!d || strcmp(d->kind->name, "sim-pci"))
			return 0;
		if (d->msi_cap)
			caps[nc++] = d->msi_cap;
		if (d->msix_cap)
			caps[nc++] = d->msix_cap;
		if (d->pm_cap)
			caps[nc++] = d->pm_cap;
		if (d->pcie_cap)
			caps[nc++] = d->pcie_cap;
		if (!nc)
			return 0;
		off = caps[rn(s, nc)];
		off = (off + rn(s, 0x18)) & ~(sz - 1);
		return (uint64_t)t_cfg_write(m, &H->h, buid, cfg | off, sz,
					     rn(s, 2) ? (uint32_t)rnd(s) : 0xffffffffu);
	}
	case 40: { /* MSI on, every vector masked (where it can be), then a message */
		struct sphb_func *d = sphb_func_find(m, id);
		unsigned mo;

		if (!d || strcmp(d->kind->name, "sim-pci") || !d->msi_cap)
			return 0;
		mo = d->msi_cap + ((sphb_func_cfg_read(d, d->msi_cap + 2u, 2) & 0x80) ? 0x10u : 0xcu);
		h = (uint64_t)t_cfg_write(m, &H->h, buid, cfg | (d->msi_cap + 2u), 2, 1u | rn(s, 4) << 4);
		h = mix(h, (uint64_t)t_cfg_write(m, &H->h, buid, cfg | mo, 4, rn(s, 4) ? 0xffffffffu : 0));
		rc = sphb_dev_msi(m, id, rn(s, 8));
		return mix(mix(h, (uint64_t)rc), H->last_pulse);
	}
	default:
		if (rn(s, 60))
			return 0;
		return (uint64_t)sphb_machine_reset(m);
	}
}

#endif
