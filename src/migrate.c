/* Save/restore of the machine state a VMM migrates (docs/migration.md): a
 * versioned, self-describing little-endian stream of tagged sections under a
 * CRC-32. Load reads and validates the whole stream into a staging structure
 * against this machine (its description and every invariant the model keeps)
 * and only then commits, so a refused stream changes nothing. A function
 * kind saves and restores its own part of a DEVICE section, the simulated
 * host its GROUP sections. SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MIG_MAGIC "SPHBSTAT"
#define MIG_VERSION 2u
#define MIG_HDR 32u		/* header bytes */
#define MIG_CRC_AT 24u		/* offset of the checksum in the header */
#define SEC_HDR SPHB_SEC_HDR
#define SEC_OPTIONAL 0x0001u	/* a loader that does not know the type skips it */

enum { SEC_MACHINE = 1, SEC_PHB = 2, SEC_WINDOW = 3, SEC_DEVICE = 4, SEC_GROUP = 5 };

/* The stream's checksum: CRC-32 of all `len` bytes with the checksum field
 * itself read as zeros (len >= MIG_HDR). */
static uint32_t stream_crc(const uint8_t *p, size_t len)
{
	static const uint8_t zero[4];
	uint32_t crc = 0xffffffffu;

	crc = sphb_crc32(crc, p, MIG_CRC_AT);
	crc = sphb_crc32(crc, zero, sizeof(zero));
	crc = sphb_crc32(crc, p + MIG_CRC_AT + 4, len - MIG_CRC_AT - 4);
	return crc ^ 0xffffffffu;
}

/* A function whose kind keeps no state in the stream format: refused. */
static int all_saveable(struct sphb_machine *m, const char *what)
{
	for (const struct sphb_func *f = m->funcs; f; f = f->next_in_machine) {
		if (!f->kind->save) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: %s device '%s': %s", what, f->type,
				 f->id[0] ? f->id : "(no id)", f->kind->no_save_reason);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* ====================================================================== */
/* save                                                                    */
/* ====================================================================== */

static void save_phb(struct sphb_wr *w, struct sphb_phb *phb)
{
	size_t at = sphb_w_sec_open(w, SEC_PHB), nat;
	int last = -1;
	uint32_t n = 0;

	w_u32(w, phb->index);
	w_u64(w, phb->buid);
	sphb_w_str(w, phb->id);
	w_u8(w, phb->per_group);
	w_u8(w, phb->ddw);
	w_u8(w, phb->pcie_ext_cfg);
	w_u8(w, phb->error_log);
	w_u64(w, phb->pgsz);
	w_u64(w, phb->dma_win_addr);
	w_u64(w, phb->dma_win_size);
	w_u64(w, phb->dma64_win_addr);
	w_u64(w, phb->mem_win_size);
	w_u64(w, phb->mem64_win_size);
	w_u64(w, phb->io_win_size);
	w_u64(w, (uint64_t)phb->numa_node);
	w_u8(w, phb->msi_limit_enabled);
	w_u8(w, phb->shared_pe.permanent);
	/* PEs by ascending group (the array's order is the hot-plug history) */
	w_u32(w, phb->npes);
	for (unsigned k = 0; k < phb->npes; k++) {
		const struct sphb_pe *next = NULL;
		for (unsigned j = 0; j < phb->npes; j++)
			if (phb->pes[j].group > last && (!next || phb->pes[j].group < next->group))
				next = &phb->pes[j];
		w_u32(w, (uint32_t)next->group);
		w_u32(w, next->addr);
		w_u8(w, next->permanent);
		last = next->group;
	}
	nat = w->pos;
	w_u32(w, 0);
	for (unsigned df = 0; df < 256; df++) {
		uint64_t v = atomic_load(&phb->msi[df]);

		if (!msi_count(v))
			continue;
		w_u8(w, df);
		w_u32(w, msi_first(v));
		w_u16(w, msi_count(v));
		w_u8(w, msi_type(v));
		n++;
	}
	sphb_w_patch(w, nat, n, 4);
	sphb_w_sec_close(w, at);
}

static void save_window(struct sphb_wr *w, struct sphb_phb *phb, unsigned win, struct sphb_tce_table *t)
{
	size_t at = sphb_w_sec_open(w, SEC_WINDOW), nat;
	uint64_t nb = sphb_tce_nb(t), i = 0, nruns = 0;

	w_u32(w, phb->index);
	w_u8(w, win);
	w_u8(w, phb->win_default[win]);
	w_u32(w, sphb_tce_liobn(t));
	w_u64(w, sphb_tce_offset(t));
	w_u8(w, sphb_tce_shift(t));
	w_u64(w, nb);
	nat = w->pos;
	w_u64(w, 0);
	/* maximal runs of non-zero entries, walking only populated leaves (an
	 * entry of an unpopulated leaf is 0, so no run crosses one) */
	while ((i = sphb_tce_next_used(t, i)) < nb) {
		uint64_t end = sphb_tce_used_end(t, i), v;

		while (i < end) {
			uint64_t first;
			size_t cat;

			if (!sphb_tce_get(t, i)) {
				i++;
				continue;
			}
			first = i;
			w_u64(w, first);
			cat = w->pos;
			w_u32(w, 0);
			for (; i < end && (v = sphb_tce_get(t, i)) != 0; i++)
				w_u64(w, v);
			sphb_w_patch(w, cat, i - first, 4);
			nruns++;
		}
	}
	sphb_w_patch(w, nat, nruns, 8);
	sphb_w_sec_close(w, at);
}

/* The common part of a DEVICE section, then the kind's. */
static void save_device(struct sphb_wr *w, struct sphb_func *f)
{
	size_t at = sphb_w_sec_open(w, SEC_DEVICE);

	w_u32(w, f->phb->index);
	w_u8(w, f->devfn);
	sphb_w_str(w, f->id);
	w_u8(w, f->pcie);
	w_u8(w, f->multifunction);
	w_u32(w, (uint32_t)f->iommu_group);
	w_u16(w, sphb_func_cfg_read(f, PCI_VENDOR_ID, 2));
	w_u16(w, sphb_func_cfg_read(f, PCI_DEVICE_ID, 2));
	w_u32(w, f->cfg_size);
	w_u32(w, f->msi_vectors);
	w_u32(w, f->msix_vectors);
	w_u8(w, f->msix_bar);
	w_u32(w, f->msix_table_off);
	w_u32(w, f->msix_pba_off);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		w_u8(w, f->bar[b].kind);
		w_u64(w, f->bar[b].size);
	}
	w_u8(w, f->intx_counted);
	f->kind->save(f, w);
	sphb_w_sec_close(w, at);
}

SPHB_API int sphb_machine_save(struct sphb_machine *m, void *buf, size_t len, size_t *needed)
{
	struct sphb_wr w = { buf, buf ? len : 0, 0, 0 };
	uint32_t nphbs = 0, ndevs = 0;
	size_t at;
	int rc;

	if (needed)
		*needed = 0;
	if (!m || (len && !buf))
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	rc = all_saveable(m, "save");
	if (rc)
		return rc;
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			nphbs++;
	for (const struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		ndevs++;

	/* header; length, section count and checksum are filled in at the end */
	sphb_w_bytes(&w, MIG_MAGIC, 8);
	w_u16(&w, MIG_VERSION);
	w_u16(&w, 0);
	w_u32(&w, 0);
	w_u64(&w, 0);
	w_u32(&w, 0);
	w_u32(&w, 0);

	at = sphb_w_sec_open(&w, SEC_MACHINE);
	w_u64(&w, m->now_ms);
	w_u8(&w, m->errinjct_open);
	w_u32(&w, m->errinjct_token);
	w_u32(&w, nphbs);
	w_u32(&w, ndevs);
	w_u32(&w, sphb_sim_ngroups(m));
	sphb_w_sec_close(&w, at);

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			save_phb(&w, m->phbs[i]);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		for (unsigned win = 0; m->phbs[i] && win < 2; win++) {
			struct sphb_tce_table *t = atomic_load(&m->phbs[i]->win[win]);
			if (t)
				save_window(&w, m->phbs[i], win, t);
		}
	}
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		for (unsigned df = 0; m->phbs[i] && df < 256; df++)
			if (m->phbs[i]->devs[df])
				save_device(&w, m->phbs[i]->devs[df]);
	sphb_sim_save(m, &w, SEC_GROUP); /* the simulated host's groups, by number */

	if (needed)
		*needed = w.pos;
	if (!buf || w.pos > len)
		return -ENOSPC;
	put_le(w.buf + 12, 4, w.nsec);
	put_le(w.buf + 16, 8, w.pos);
	put_le(w.buf + MIG_CRC_AT, 4, stream_crc(w.buf, w.pos));
	return 0;
}

/* ====================================================================== */
/* load: parse and validate into staging, then commit                      */
/* ====================================================================== */

struct st_dev {
	struct sphb_func *f;
	bool seen, counted;
	void *kind;		/* the kind's staging */
};

struct st_phb {
	struct sphb_phb *phb;
	bool seen, shared_permanent;
	bool pe_permanent[256];		/* parallel to phb->pes */
	struct sphb_tce_table *t[2];
	bool is_default[2];
	uint64_t msi[256];		/* msi_pack() */
	struct st_dev *dev[256];
};

struct ld {
	struct sphb_loader L;	/* first: the stream readers' state */
	/* order of sections */
	unsigned last_type;
	uint64_t last_key;
	bool have_key;
	/* staging */
	bool have_machine;
	uint64_t now_ms;
	bool ej_open;
	uint32_t ej_token, ngroups_hdr;
	uint64_t msi_used[(SPHB_MSI_COUNT + 63) / 64];	/* built-in numbering */
	bool claimed;		/* host numbering: the stream's MSIs are claimed */
	struct st_phb *phb[SPHB_MAX_PHBS];
	struct sphb_sim_staging *groups;
};

/* readers over the loader's state (util/stream.c) */
#define rd sphb_rd
#define fail(L, ...) sphb_ld_fail(&(L)->L, __VA_ARGS__)
#define r_flag sphb_r_flag
#define r_bytes sphb_r_bytes
#define same_u64 sphb_same_u64
#define same_flag sphb_same_flag
#define same_str sphb_same_str

/* ---- MACHINE ---- */

static void ld_machine(struct ld *L, struct rd *r)
{
	struct sphb_machine *m = L->L.m;
	uint32_t nphbs = 0, ndevs = 0, v;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			nphbs++;
	for (const struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		ndevs++;
	snprintf(L->L.where, sizeof(L->L.where), "machine");
	L->now_ms = r_u64(r);
	L->ej_open = r_flag(r, "errinjct session open");
	L->ej_token = r_u32(r);
	if (r_ok(r) && L->ej_open && L->ej_token == 0)
		fail(L, -EBADMSG, "errinjct session is open with token 0 (tokens are never 0)");
	v = r_u32(r);
	if (r_ok(r) && v != nphbs)
		fail(L, -ENXIO, "the stream's machine has %u PHBs, this one %u", v, nphbs);
	v = r_u32(r);
	if (r_ok(r) && v != ndevs)
		fail(L, -ENXIO, "the stream's machine has %u devices, this one %u", v, ndevs);
	L->ngroups_hdr = r_u32(r);
	L->have_machine = true;
}

/* ---- PHB ---- */

static void ld_phb(struct ld *L, struct rd *r)
{
	struct sphb_phb *phb;
	struct st_phb *st;
	uint32_t index = r_u32(r), n;
	int64_t last = -1;

	if (!r_ok(r))
		return;
	snprintf(L->L.where, sizeof(L->L.where), "PHB %u", index);
	if (index >= SPHB_MAX_PHBS || !L->L.m->phbs[index]) {
		fail(L, -ENXIO, "this machine has no PHB of index %u", index);
		return;
	}
	st = L->phb[index];
	phb = st->phb;
	st->seen = true;
	snprintf(L->L.where, sizeof(L->L.where), "PHB %u '%s'", index, phb->id);
	same_u64(r, "BUID", r_u64(r), phb->buid);
	same_str(r, "id", phb->id);
	same_flag(r, "pe-mode=per-group", phb->per_group);
	same_flag(r, "ddw", phb->ddw);
	same_flag(r, "pcie-extended-configuration-space", phb->pcie_ext_cfg);
	same_flag(r, "error-log", phb->error_log);
	same_u64(r, "pgsz", r_u64(r), phb->pgsz);
	same_u64(r, "dma_win_addr", r_u64(r), phb->dma_win_addr);
	same_u64(r, "dma_win_size", r_u64(r), phb->dma_win_size);
	same_u64(r, "dma64_win_addr", r_u64(r), phb->dma64_win_addr);
	same_u64(r, "mem_win_size", r_u64(r), phb->mem_win_size);
	same_u64(r, "mem64_win_size", r_u64(r), phb->mem64_win_size);
	same_u64(r, "io_win_size", r_u64(r), phb->io_win_size);
	same_u64(r, "numa_node", r_u64(r), (uint64_t)phb->numa_node);
	same_flag(r, "msi-limit=enabled", phb->msi_limit_enabled);

	st->shared_permanent = r_flag(r, "shared PE permanent");
	if (r_ok(r) && st->shared_permanent && (phb->per_group || phb->npes != 1))
		fail(L, -EBADMSG, "the shared PE is marked permanently unavailable, but the PHB has %s",
		     phb->per_group ? "pe-mode=per-group" : "no shared PE (EEH unavailable)");
	n = r_u32(r);
	if (r_ok(r) && n != phb->npes)
		fail(L, -ENXIO, "%u PEs (IOMMU groups) in the stream, %u on this machine", n, phb->npes);
	for (uint32_t k = 0; r_ok(r) && k < n; k++) {
		int32_t group = (int32_t)r_u32(r);
		uint32_t addr = r_u32(r);
		bool perm = r_flag(r, "PE permanent");
		unsigned j;

		if (!r_ok(r))
			return;
		if (group <= last) {
			fail(L, -EBADMSG, "PE list: group %d after group %lld (ascending groups expected)",
			     group, (long long)last);
			return;
		}
		last = group;
		for (j = 0; j < phb->npes && phb->pes[j].group != group; j++)
			;
		if (j == phb->npes) {
			fail(L, -ENXIO, "PE of IOMMU group %d: no such group on this PHB", group);
			return;
		}
		if (addr != phb->pes[j].addr) {
			fail(L, -ENXIO, "PE of IOMMU group %d: address 0x%x in the stream, 0x%x on this machine",
			     group, addr, phb->pes[j].addr);
			return;
		}
		if (perm && !phb->per_group) {
			fail(L, -EBADMSG, "PE of IOMMU group %d is marked permanent in pe-mode=shared", group);
			return;
		}
		st->pe_permanent[j] = perm;
	}
	n = r_u32(r);
	if (r_ok(r) && n > 256)
		fail(L, -EBADMSG, "%u MSI allocations (at most one per function, 256)", n);
	last = -1;
	for (uint32_t k = 0; r_ok(r) && k < n; k++) {
		uint8_t devfn = r_u8(r), type;
		uint32_t first = r_u32(r), max;
		uint16_t count = r_u16(r);
		const struct sphb_func *d;

		type = r_u8(r);
		if (!r_ok(r))
			return;
		if (devfn <= last) {
			fail(L, -EBADMSG, "MSI allocation for %02x.%x after %02x.%x (ascending functions expected)",
			     devfn >> 3, devfn & 7, (unsigned)last >> 3, (unsigned)last & 7);
			return;
		}
		last = devfn;
		d = phb->devs[devfn];
		if (!d) {
			fail(L, -EBADMSG, "MSI allocation for %02x.%x: no function there", devfn >> 3, devfn & 7);
			return;
		}
		if (type != 1 && type != 2) {
			fail(L, -EBADMSG, "MSI allocation of '%s': type %u (1 MSI, 2 MSI-X)", d->id, type);
			return;
		}
		max = type == 1 ? d->msi_vectors : d->msix_vectors;
		if (count == 0 || count > max) {
			fail(L, -EBADMSG, "MSI allocation of '%s': %u %s vectors (the function has %u)", d->id,
			     count, type == 1 ? "MSI" : "MSI-X", max);
			return;
		}
		st->msi[devfn] = msi_pack(first, count, type);
		if (L->L.m->ops.irq_alloc)
			continue; /* the host's numbers: claimed from it once the stream is read */
		if (first < SPHB_MSI_FIRST || count > SPHB_MSI_COUNT ||
		    first - SPHB_MSI_FIRST > SPHB_MSI_COUNT - count) {
			fail(L, -EBADMSG, "MSI allocation of '%s': IRQs 0x%x+%u outside the pool 0x%x..0x%x",
			     d->id, first, count, SPHB_MSI_FIRST, SPHB_MSI_FIRST + SPHB_MSI_COUNT - 1);
			return;
		}
		/* aligned as ibm,change-msi allocates */
		max = sphb_msi_align(type, count);
		if ((first - SPHB_MSI_FIRST) % max) {
			fail(L, -EBADMSG, "MSI allocation of '%s': IRQ 0x%x is not %u-aligned in the pool",
			     d->id, first, max);
			return;
		}
		for (uint32_t i = first - SPHB_MSI_FIRST; i < first - SPHB_MSI_FIRST + count; i++) {
			if (L->msi_used[i / 64] >> (i % 64) & 1) {
				fail(L, -EBADMSG, "MSI allocation of '%s': IRQ 0x%x is allocated twice", d->id,
				     SPHB_MSI_FIRST + i);
				return;
			}
			L->msi_used[i / 64] |= 1ull << (i % 64);
		}
	}
}

/* ---- WINDOW ---- */

static void ld_window(struct ld *L, struct rd *r)
{
	uint32_t index = r_u32(r), liobn;
	struct sphb_phb *phb;
	struct st_phb *st;
	struct sphb_tce_table *t;
	uint64_t off, nb, nruns, prev_end = 0;
	unsigned w, shift;
	bool dflt;

	if (!r_ok(r))
		return;
	w = r_u8(r);
	snprintf(L->L.where, sizeof(L->L.where), "window %u of PHB %u", w, index);
	if (!r_ok(r))
		return;
	if (index >= SPHB_MAX_PHBS || !L->phb[index]) {
		fail(L, -ENXIO, "this machine has no PHB of index %u", index);
		return;
	}
	if (w > 1) {
		fail(L, -EBADMSG, "window number %u (0 or 1)", w);
		return;
	}
	st = L->phb[index];
	phb = st->phb;
	dflt = r_flag(r, "default window");
	liobn = r_u32(r);
	off = r_u64(r);
	shift = r_u8(r);
	nb = r_u64(r);
	if (!r_ok(r))
		return;
	if (liobn != sphb_liobn(index, w)) {
		fail(L, -EBADMSG, "LIOBN 0x%x (window %u of PHB %u is LIOBN 0x%x)", liobn, w, index,
		     sphb_liobn(index, w));
		return;
	}
	if (dflt) {
		if (w != 0 || shift != 12 || off != phb->dma_win_addr || nb != phb->dma_win_size >> 12) {
			fail(L, -EBADMSG,
			     "default window at 0x%llx, page shift %u, %llu TCEs, as window %u (the PHB's is window 0 at 0x%llx, shift 12, %llu TCEs)",
			     (unsigned long long)off, shift, (unsigned long long)nb, w,
			     (unsigned long long)phb->dma_win_addr,
			     (unsigned long long)(phb->dma_win_size >> 12));
			return;
		}
	} else {
		uint64_t last;

		if (!phb->ddw) {
			fail(L, -EBADMSG, "a dynamic window on a PHB with ddw=off");
			return;
		}
		if (shift >= 64 || !(phb->pgsz & (1ull << shift))) {
			fail(L, -EBADMSG, "page shift %u is not offered by the PHB (pgsz=0x%llx)", shift,
			     (unsigned long long)phb->pgsz);
			return;
		}
		if (!is_pow2(nb) || ilog2(nb) >= 32 || shift + ilog2(nb) >= 64) {
			fail(L, -EBADMSG, "%llu TCEs of page shift %u (a power of two, window shift < 64, at most 2^31)",
			     (unsigned long long)nb, shift);
			return;
		}
		if (off != phb->dma_win_addr && off != phb->dma64_win_addr) {
			fail(L, -EBADMSG, "bus address 0x%llx (dynamic windows are at dma_win_addr 0x%llx or dma64_win_addr 0x%llx)",
			     (unsigned long long)off, (unsigned long long)phb->dma_win_addr,
			     (unsigned long long)phb->dma64_win_addr);
			return;
		}
		last = off + ((nb << shift) - 1);
		if (last < off) {
			fail(L, -EBADMSG, "window 0x%llx + 2^%u wraps past 2^64", (unsigned long long)off,
			     shift + ilog2(nb));
			return;
		}
	}
	if (w == 1 && st->t[0]) {
		uint64_t s0 = sphb_tce_offset(st->t[0]);
		uint64_t l0 = s0 + ((sphb_tce_nb(st->t[0]) << sphb_tce_shift(st->t[0])) - 1);
		uint64_t l1 = off + ((nb << shift) - 1);

		if (off <= l0 && s0 <= l1) {
			fail(L, -EBADMSG, "window 1 [0x%llx, 0x%llx] overlaps window 0 [0x%llx, 0x%llx]",
			     (unsigned long long)off, (unsigned long long)l1, (unsigned long long)s0,
			     (unsigned long long)l0);
			return;
		}
	}
	t = sphb_tce_new(liobn, off, shift, nb);
	if (!t) {
		fail(L, -ENOMEM, "cannot allocate a table of %llu TCEs", (unsigned long long)nb);
		return;
	}
	st->t[w] = t;
	st->is_default[w] = dflt;
	nruns = r_u64(r);
	if (r_ok(r) && nruns > (r->len - r->pos) / 20) {
		fail(L, -EBADMSG, "%llu TCE runs do not fit in the %zu bytes left",
		     (unsigned long long)nruns, r->len - r->pos);
		return;
	}
	for (uint64_t k = 0; r_ok(r) && k < nruns; k++) {
		uint64_t first = r_u64(r);
		uint32_t count = r_u32(r);

		if (!r_ok(r))
			return;
		if (count == 0 || first >= nb || count > nb - first) {
			fail(L, -EBADMSG, "TCE run %llu: entries %llu+%u outside the window's %llu",
			     (unsigned long long)k, (unsigned long long)first, count, (unsigned long long)nb);
			return;
		}
		/* maximal runs in ascending order: at least one zero entry between */
		if (k && first <= prev_end) {
			fail(L, -EBADMSG, "TCE run %llu starts at entry %llu, not after the previous run's end %llu plus a gap",
			     (unsigned long long)k, (unsigned long long)first, (unsigned long long)prev_end);
			return;
		}
		if (count > (r->len - r->pos) / 8) {
			fail(L, -EBADMSG, "TCE run %llu: %u entries do not fit in the %zu bytes left",
			     (unsigned long long)k, count, r->len - r->pos);
			return;
		}
		for (uint32_t i = 0; i < count; i++) {
			uint64_t v = r_u64(r);

			if (v == 0) {
				fail(L, -EBADMSG, "TCE run %llu: entry %llu is 0 (runs hold entries in use only)",
				     (unsigned long long)k, (unsigned long long)(first + i));
				return;
			}
			if (sphb_tce_put(t, first + i, v)) {
				fail(L, -ENOMEM, "cannot allocate the TCE table's levels");
				return;
			}
		}
		prev_end = first + count;
	}
}

/* ---- DEVICE ---- */

static void ld_device(struct ld *L, struct rd *r)
{
	uint32_t index = r_u32(r);
	uint8_t devfn = r_u8(r);
	struct st_dev *sd;
	struct sphb_func *f;
	char field[24];

	if (!r_ok(r))
		return;
	snprintf(L->L.where, sizeof(L->L.where), "device at PHB %u %02x.%x", index, devfn >> 3, devfn & 7);
	if (index >= SPHB_MAX_PHBS || !L->phb[index] || !(sd = L->phb[index]->dev[devfn])) {
		fail(L, -ENXIO, "this machine has no function there");
		return;
	}
	f = sd->f;
	sd->seen = true;
	snprintf(L->L.where, sizeof(L->L.where), "device '%s' (PHB %u %02x.%x)", f->id, index, devfn >> 3,
		 devfn & 7);
	same_str(r, "id", f->id);
	same_flag(r, "pcie", f->pcie);
	same_flag(r, "multifunction", f->multifunction);
	same_u64(r, "iommu-group", (uint64_t)(int64_t)(int32_t)r_u32(r), (uint64_t)(int64_t)f->iommu_group);
	same_u64(r, "vendor", r_u16(r), sphb_func_cfg_read(f, PCI_VENDOR_ID, 2));
	same_u64(r, "device", r_u16(r), sphb_func_cfg_read(f, PCI_DEVICE_ID, 2));
	same_u64(r, "config space size", r_u32(r), f->cfg_size);
	same_u64(r, "msi", r_u32(r), f->msi_vectors);
	same_u64(r, "msix", r_u32(r), f->msix_vectors);
	same_u64(r, "msix-bar", r_u8(r), f->msix_bar);
	same_u64(r, "MSI-X table offset", r_u32(r), f->msix_table_off);
	same_u64(r, "MSI-X PBA offset", r_u32(r), f->msix_pba_off);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		snprintf(field, sizeof(field), "bar%u kind", b);
		same_u64(r, field, r_u8(r), f->bar[b].kind);
		snprintf(field, sizeof(field), "bar%u size", b);
		same_u64(r, field, r_u64(r), f->bar[b].size);
	}
	sd->counted = r_flag(r, "INTx counted");
	if (r_ok(r))
		sd->kind = f->kind->load(f, r, sd->counted);
}

/* ---- the stream ---- */

static void ld_free(struct ld *L)
{
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		struct st_phb *st = L->phb[i];

		if (!st)
			continue;
		sphb_tce_free(st->t[0]);
		sphb_tce_free(st->t[1]);
		for (unsigned df = 0; df < 256; df++) {
			if (!st->dev[df])
				continue;
			if (st->dev[df]->kind)
				st->dev[df]->f->kind->discard(st->dev[df]->kind);
			free(st->dev[df]);
		}
		free(st);
	}
	sphb_sim_discard(L->groups);
}

static int ld_setup(struct ld *L)
{
	struct sphb_machine *m = L->L.m;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		if (!m->phbs[i])
			continue;
		L->phb[i] = calloc(1, sizeof(*L->phb[i]));
		if (!L->phb[i])
			return -ENOMEM;
		L->phb[i]->phb = m->phbs[i];
		for (unsigned df = 0; df < 256; df++) {
			struct sphb_func *f = m->phbs[i]->devs[df];
			if (!f)
				continue;
			L->phb[i]->dev[df] = calloc(1, sizeof(struct st_dev));
			if (!L->phb[i]->dev[df])
				return -ENOMEM;
			L->phb[i]->dev[df]->f = f;
		}
	}
	return 0;
}

static void claim_msis(struct ld *L);

/* Where a section sorts: type, then its key (read from its first bytes). */
static bool sec_key(unsigned type, const uint8_t *body, uint64_t len, uint64_t *key)
{
	switch (type) {
	case SEC_MACHINE:
		*key = 0;
		return true;
	case SEC_PHB:
	case SEC_GROUP:
		if (len < 4)
			return false;
		*key = get_le(body, 4);
		return true;
	case SEC_WINDOW:
	case SEC_DEVICE:
		if (len < 5)
			return false;
		*key = get_le(body, 4) << 8 | body[4];
		return true;
	}
	return false;
}

static const char *sec_name(unsigned type)
{
	static const char *const names[] = { "?", "machine", "PHB", "window", "device", "group" };
	return type < ARRAY_SIZE(names) ? names[type] : "?";
}

static void ld_sections(struct ld *L, const uint8_t *p, size_t len, uint32_t nsec_hdr)
{
	size_t pos = MIG_HDR;
	uint32_t nsec = 0;

	while (!L->L.err && pos < len) {
		unsigned type, flags;
		uint64_t blen, key;
		struct rd r;

		snprintf(L->L.where, sizeof(L->L.where), "section %u at byte %zu", nsec, pos);
		if (len - pos < SEC_HDR) {
			fail(L, -EBADMSG, "%zu bytes left, less than a section header (%u)", len - pos, SEC_HDR);
			return;
		}
		type = (unsigned)get_le(p + pos, 2);
		flags = (unsigned)get_le(p + pos + 2, 2);
		blen = get_le(p + pos + 4, 8);
		if (blen > len - pos - SEC_HDR) {
			fail(L, -EBADMSG, "body of %llu bytes, only %zu left in the stream",
			     (unsigned long long)blen, len - pos - SEC_HDR);
			return;
		}
		if (flags & ~SEC_OPTIONAL) {
			fail(L, -EBADMSG, "unknown section flags 0x%x", flags);
			return;
		}
		nsec++;
		r.L = &L->L;
		r.p = p + pos + SEC_HDR;
		r.len = (size_t)blen;
		r.pos = 0;
		pos += SEC_HDR + (size_t)blen;
		if (type < SEC_MACHINE || type > SEC_GROUP) {
			if (flags & SEC_OPTIONAL)
				continue; /* a later version's optional section */
			fail(L, -ENOTSUP, "section type %u is not optional and unknown to this version", type);
			return;
		}
		if (!sec_key(type, r.p, blen, &key)) {
			fail(L, -EBADMSG, "%s section of %llu bytes is too short", sec_name(type),
			     (unsigned long long)blen);
			return;
		}
		if (!L->have_machine && type != SEC_MACHINE) {
			fail(L, -EBADMSG, "%s section before the machine section", sec_name(type));
			return;
		}
		if (L->have_key && (type < L->last_type || (type == L->last_type && key <= L->last_key))) {
			fail(L, -EBADMSG, "%s section (key 0x%llx) out of order or repeated: sections go by type, then ascending key",
			     sec_name(type), (unsigned long long)key);
			return;
		}
		L->have_key = true;
		L->last_type = type;
		L->last_key = key;
		switch (type) {
		case SEC_MACHINE:
			ld_machine(L, &r);
			break;
		case SEC_PHB:
			ld_phb(L, &r);
			break;
		case SEC_WINDOW:
			ld_window(L, &r);
			break;
		case SEC_DEVICE:
			ld_device(L, &r);
			break;
		case SEC_GROUP:
			if (key > 0x7fffffff) {
				fail(L, -EBADMSG, "IOMMU group %llu (0..2^31-1)", (unsigned long long)key);
				return;
			}
			r.pos = 4;
			L->groups = sphb_sim_load(&L->L, &r, (int)key, L->now_ms, L->groups);
			break;
		}
		if (!L->L.err && r.pos != r.len)
			fail(L, -EBADMSG, "%zu bytes left at the end of the %s section", r.len - r.pos,
			     sec_name(type));
	}
	if (L->L.err)
		return;
	L->L.where[0] = '\0';
	if (nsec != nsec_hdr) {
		fail(L, -EBADMSG, "the header announces %u sections, the stream has %u", nsec_hdr, nsec);
		return;
	}
	if (!L->have_machine) {
		fail(L, -EBADMSG, "no machine section");
		return;
	}
	/* everything this machine has must be in the stream */
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		const struct st_phb *st = L->phb[i];
		if (!st)
			continue;
		if (!st->seen) {
			fail(L, -ENXIO, "PHB %u '%s' of this machine is not in the stream", i, st->phb->id);
			return;
		}
		/* without DDW nothing removes the default window (nor adds another) */
		if (!st->phb->ddw && !st->t[0]) {
			fail(L, -EBADMSG, "PHB %u '%s' has ddw=off but no default window in the stream", i,
			     st->phb->id);
			return;
		}
		for (unsigned df = 0; df < 256; df++) {
			if (st->dev[df] && !st->dev[df]->seen) {
				fail(L, -ENXIO, "device '%s' (PHB %u %02x.%x) of this machine is not in the stream",
				     st->dev[df]->f->id, i, df >> 3, df & 7);
				return;
			}
		}
	}
	if (sphb_sim_load_check(&L->L, L->groups, L->ngroups_hdr))
		return;
	claim_msis(L);
}

/* With the host's interrupt numbers: the stream's MSIs are claimed from it
 * (a number taken on this host refuses the stream); on a later error they
 * are given back (unclaim_msis). */
static void unclaim_msis(struct ld *L, unsigned upto_phb, unsigned upto_df)
{
	struct sphb_machine *m = L->L.m;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		for (unsigned df = 0; L->phb[i] && df < 256; df++) {
			uint64_t v = L->phb[i]->msi[df];

			if (i > upto_phb || (i == upto_phb && df >= upto_df))
				return;
			if (msi_count(v))
				SPHB_HOST_CALL(m, m->ops.irq_free(m->opaque, L->phb[i]->phb->buid, msi_first(v),
								  msi_count(v)));
		}
}

static void claim_msis(struct ld *L)
{
	struct sphb_machine *m = L->L.m;

	if (!m->ops.irq_alloc)
		return;
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		for (unsigned df = 0; L->phb[i] && df < 256; df++) {
			uint64_t v = L->phb[i]->msi[df];
			int rc;

			if (!msi_count(v))
				continue;
			rc = sphb_irq_claim(L->phb[i]->phb, SPHB_IRQ_MSI, msi_first(v), msi_count(v));
			if (rc) {
				unclaim_msis(L, i, df);
				fail(L, rc, "PHB %u: the host refuses MSI numbers 0x%x+%u of the stream (errno %d)",
				     i, msi_first(v), msi_count(v), -rc);
				return;
			}
		}
	}
	L->claimed = true;
}

/* ---- commit: nothing below can fail ---- */

static void commit(struct ld *L)
{
	struct sphb_machine *m = L->L.m;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		struct st_phb *st = L->phb[i];
		struct sphb_phb *phb;

		if (!st)
			continue;
		phb = st->phb;
		for (unsigned w = 0; w < 2; w++) {
			/* no pass-through function, so no host container can refuse */
			(void)sphb_tce_publish(phb, w, st->t[w]);
			st->t[w] = NULL; /* the PHB owns it now */
			phb->win_default[w] = st->is_default[w];
		}
		for (unsigned df = 0; df < 256; df++) {
			if (m->ops.irq_alloc)
				sphb_msi_release(phb, df); /* the target's own numbers go back */
			atomic_store(&phb->msi[df], st->msi[df]);
		}
		phb->shared_pe.permanent = st->shared_permanent;
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		for (unsigned k = 0; k < phb->npes; k++)
			phb->pes[k].permanent = st->pe_permanent[k];
		for (unsigned df = 0; df < 256; df++) {
			struct st_dev *sd = st->dev[df];

			if (!sd)
				continue;
			sd->f->kind->commit(sd->f, sd->kind);
			sd->kind = NULL;
			sd->f->intx_counted = sd->counted;
			sphb_func_decode_refresh(sd->f);
		}
		/* the LSIs follow the functions counted on them; the host hears of
		 * every line whose level changed */
		sphb_irq_lsi_recount(phb);
		sphb_route_update(phb);
	}
	if (!m->ops.irq_alloc)
		memcpy(m->msi_used, L->msi_used, sizeof(m->msi_used));
	L->claimed = false;
	m->now_ms = L->now_ms;
	m->errinjct_open = L->ej_open;
	m->errinjct_token = L->ej_token;
	sphb_sim_commit(m, L->groups);
	L->groups = NULL;
	/* the functions' stopped flags from the restored PE states; translations
	 * cached by DMA handles are dropped */
	sphb_pe_sync_all(m);
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			sphb_dma_invalidate(m->phbs[i]);
}

SPHB_API int sphb_machine_load(struct sphb_machine *m, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct ld *L;
	uint64_t total;
	uint32_t crc, want;
	unsigned version, flags;
	int rc;

	if (!m || !buf)
		return -EINVAL;
	SPHB_NOT_IN_CALLBACK(m);
	rc = all_saveable(m, "load");
	if (rc)
		return rc;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	L->L.m = m;
	snprintf(L->L.where, sizeof(L->L.where), "header");
	if (len < MIG_HDR) {
		rc = fail(L, -EBADMSG, "the stream is %zu bytes, shorter than the %u-byte header", len, MIG_HDR);
		goto out;
	}
	if (memcmp(p, MIG_MAGIC, 8)) {
		rc = fail(L, -EBADMSG, "bad magic (not an sphb machine state)");
		goto out;
	}
	total = get_le(p + 16, 8);
	if (total != len) {
		rc = fail(L, -EBADMSG, "the header says %llu bytes, the stream has %zu",
			  (unsigned long long)total, len);
		goto out;
	}
	crc = (uint32_t)get_le(p + MIG_CRC_AT, 4);
	want = stream_crc(p, len);
	if (crc != want) {
		rc = fail(L, -EBADMSG, "checksum 0x%08x, the contents give 0x%08x (corrupted stream)", crc, want);
		goto out;
	}
	version = (unsigned)get_le(p + 8, 2);
	flags = (unsigned)get_le(p + 10, 2);
	if (version != MIG_VERSION) {
		rc = fail(L, -ENOTSUP, "format version %u; this library reads version %u", version, MIG_VERSION);
		goto out;
	}
	if (flags || get_le(p + 28, 4)) {
		rc = fail(L, -EBADMSG, "reserved header fields are not zero (flags 0x%x)", flags);
		goto out;
	}
	rc = ld_setup(L);
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "load: cannot allocate the staging state");
		goto out;
	}
	ld_sections(L, p, len, (uint32_t)get_le(p + 12, 4));
	rc = L->L.err;
	if (rc && L->claimed)
		unclaim_msis(L, SPHB_MAX_PHBS, 0);
	if (!rc) {
		commit(L);
		sphb_log(m, SPHB_LOG_INFO, "load: machine state restored (%zu bytes)", len);
	}
out:
	ld_free(L);
	free(L);
	return rc;
}
