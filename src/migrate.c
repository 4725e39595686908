/* Save/restore of the machine state a VMM migrates (docs/migration.md): a
 * versioned, self-describing little-endian stream of tagged sections under a
 * CRC-32. Load reads and validates the whole stream into a staging structure
 * against this machine (its description and every invariant the model keeps)
 * and only then commits, so a refused stream changes nothing.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/host.h"

#define MIG_MAGIC "SPHBSTAT"
#define MIG_VERSION 1u
#define MIG_HDR 32u		/* header bytes */
#define MIG_CRC_AT 24u		/* offset of the checksum in the header */
#define SEC_HDR 12u		/* u16 type, u16 flags, u64 body length */
#define SEC_OPTIONAL 0x0001u	/* a loader that does not know the type skips it */
#define CHUNK 256u		/* BAR contents are saved in chunks of this many bytes */
#define PCI_COMMAND_INTX_DISABLE 0x0400u

enum { SEC_MACHINE = 1, SEC_PHB = 2, SEC_WINDOW = 3, SEC_DEVICE = 4, SEC_GROUP = 5 };

/* ---- CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, initial and
 * final value 0xFFFFFFFF; "123456789" -> 0xCBF43926) ---- */

static void crc_table(uint32_t tab[256])
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (unsigned k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		tab[i] = c;
	}
}

static uint32_t crc_run(const uint32_t tab[256], uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--)
		crc = tab[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
	return crc;
}

/* The stream's checksum: CRC-32 of all `len` bytes with the checksum field
 * itself read as zeros (len >= MIG_HDR). */
static uint32_t stream_crc(const uint8_t *p, size_t len)
{
	static const uint8_t zero[4];
	uint32_t tab[256], crc = 0xffffffffu;

	crc_table(tab);
	crc = crc_run(tab, crc, p, MIG_CRC_AT);
	crc = crc_run(tab, crc, zero, sizeof(zero));
	crc = crc_run(tab, crc, p + MIG_CRC_AT + 4, len - MIG_CRC_AT - 4);
	return crc ^ 0xffffffffu;
}

static uint32_t bar_chunk(const struct sphb_bar *b)
{
	uint64_t bs = sphb_bar_backing(b);
	return bs < CHUNK ? (uint32_t)bs : CHUNK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Pass-through functions keep their state in the host device: refused. */
static int no_passthrough(struct sphb_machine *m, const char *what)
{
	for (const struct sphb_dev *d = m->devices; d; d = d->next_in_machine) {
		if (d->kind != DEV_SIM) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "%s: vfio-pci device '%s': a pass-through function's state lives in the host device and cannot be migrated (unplug it first)",
				 what, d->id);
			return -ENOTSUP;
		}
	}
	return 0;
}

static unsigned group_devs(const struct sphb_machine *m, int group)
{
	unsigned n = 0;

	for (const struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		if (d->kind == DEV_SIM && d->iommu_group == group)
			n++;
	return n;
}

/* ====================================================================== */
/* save                                                                    */
/* ====================================================================== */

struct wr {
	uint8_t *buf;
	size_t len, pos;
	uint32_t nsec;
};

static void w_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->buf && n && w->pos <= w->len && n <= w->len - w->pos)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void le_store(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void w_le(struct wr *w, uint64_t v, unsigned n)
{
	uint8_t b[8];

	le_store(b, v, n);
	w_bytes(w, b, n);
}

#define w_u8(w, v) w_le(w, (uint64_t)(v), 1)
#define w_u16(w, v) w_le(w, (uint64_t)(v), 2)
#define w_u32(w, v) w_le(w, (uint64_t)(v), 4)
#define w_u64(w, v) w_le(w, (uint64_t)(v), 8)

/* overwrite n bytes at `at` (written before) when they are in the buffer */
static void w_patch(struct wr *w, size_t at, uint64_t v, unsigned n)
{
	if (w->buf && at <= w->len && n <= w->len - at)
		le_store(w->buf + at, v, n);
}

static void w_str(struct wr *w, const char *s)
{
	size_t n = strlen(s); /* ids are < SPHB_ID_MAX */

	w_u8(w, n);
	w_bytes(w, s, n);
}

static size_t sec_open(struct wr *w, unsigned type)
{
	size_t at = w->pos;

	w_u16(w, type);
	w_u16(w, 0);
	w_u64(w, 0);
	w->nsec++;
	return at;
}

static void sec_close(struct wr *w, size_t at)
{
	w_patch(w, at + 4, w->pos - at - SEC_HDR, 8);
}

static void save_phb(struct wr *w, struct sphb_phb *phb)
{
	size_t at = sec_open(w, SEC_PHB), nat;
	int last = -1;
	uint32_t n = 0;

	w_u32(w, phb->index);
	w_u64(w, phb->buid);
	w_str(w, phb->id);
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
		if (!phb->msi[df].count)
			continue;
		w_u8(w, df);
		w_u32(w, phb->msi[df].first);
		w_u16(w, phb->msi[df].count);
		w_u8(w, phb->msi[df].type);
		n++;
	}
	w_patch(w, nat, n, 4);
	sec_close(w, at);
}

static void save_window(struct wr *w, struct sphb_phb *phb, unsigned win, struct sphb_tce_table *t)
{
	size_t at = sec_open(w, SEC_WINDOW), nat;
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
			w_patch(w, cat, i - first, 4);
			nruns++;
		}
	}
	w_patch(w, nat, nruns, 8);
	sec_close(w, at);
}

static void save_device(struct wr *w, struct sphb_dev *d)
{
	size_t at = sec_open(w, SEC_DEVICE);

	w_u32(w, d->phb->index);
	w_u8(w, d->devfn);
	w_str(w, d->id);
	w_u8(w, d->pcie);
	w_u8(w, d->multifunction);
	w_u32(w, (uint32_t)d->iommu_group);
	w_u16(w, d->cfg_init[0] | d->cfg_init[1] << 8);
	w_u16(w, d->cfg_init[2] | d->cfg_init[3] << 8);
	w_u32(w, d->cfg_size);
	w_u32(w, d->msi_vectors);
	w_u32(w, d->msix_vectors);
	w_u8(w, d->msix_bar);
	w_u32(w, d->msix_table_off);
	w_u32(w, d->msix_pba_off);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		w_u8(w, d->bar[b].kind);
		w_u64(w, d->bar[b].size);
	}
	w_u8(w, d->intx);
	w_u8(w, d->intx_counted);
	for (unsigned i = 0; i < 16; i++)
		w_u32(w, d->host_saved[i]);
	w_bytes(w, d->cfg, d->cfg_size);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		const struct sphb_bar *bar = &d->bar[b];
		uint64_t bs = sphb_bar_backing(bar);
		uint32_t chunk = bar_chunk(bar), n = 0;
		size_t nat = w->pos;

		w_u32(w, 0);
		for (uint64_t off = 0; bar->mem && off < bs; off += chunk) {
			if (all_zero(bar->mem + off, chunk))
				continue;
			w_u32(w, off);
			w_bytes(w, bar->mem + off, chunk);
			n++;
		}
		w_patch(w, nat, n, 4);
	}
	sec_close(w, at);
}

static void save_group(struct wr *w, const struct sphb_sim_group *g)
{
	size_t at = sec_open(w, SEC_GROUP);

	w_u32(w, (uint32_t)g->group);
	w_u32(w, g->ndevs);
	w_u8(w, g->mmio_stopped);
	w_u8(w, g->dma_stopped);
	w_u8(w, g->reset_active);
	w_u8(w, g->err_injected);
	w_u64(w, g->busy_until_ms);
	w_u32(w, g->freezes);
	w_u32(w, g->last_err_func);
	w_u64(w, g->last_err_addr);
	w_u64(w, g->err_time_ms);
	w_u32(w, g->fail_count);
	w_u32(w, (uint32_t)g->fail_errno);
	sec_close(w, at);
}

SPHB_API int sphb_machine_save(struct sphb_machine *m, void *buf, size_t len, size_t *needed)
{
	struct wr w = { buf, buf ? len : 0, 0, 0 };
	uint32_t nphbs = 0, ndevs = 0;
	size_t at;
	int last = -1, rc;

	if (needed)
		*needed = 0;
	if (!m || (len && !buf))
		return -EINVAL;
	rc = no_passthrough(m, "save");
	if (rc)
		return rc;
	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			nphbs++;
	for (const struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		ndevs++;

	/* header; length, section count and checksum are filled in at the end */
	w_bytes(&w, MIG_MAGIC, 8);
	w_u16(&w, MIG_VERSION);
	w_u16(&w, 0);
	w_u32(&w, 0);
	w_u64(&w, 0);
	w_u32(&w, 0);
	w_u32(&w, 0);

	at = sec_open(&w, SEC_MACHINE);
	w_u64(&w, m->now_ms);
	w_u8(&w, m->errinjct_open);
	w_u32(&w, m->errinjct_token);
	w_u32(&w, nphbs);
	w_u32(&w, ndevs);
	w_u32(&w, m->ngroups);
	sec_close(&w, at);

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
	/* groups by ascending number (the array's order is the plug history) */
	for (unsigned k = 0; k < m->ngroups; k++) {
		const struct sphb_sim_group *next = NULL;
		for (unsigned j = 0; j < m->ngroups; j++)
			if (m->groups[j].group > last && (!next || m->groups[j].group < next->group))
				next = &m->groups[j];
		save_group(&w, next);
		last = next->group;
	}

	if (needed)
		*needed = w.pos;
	if (!buf || w.pos > len)
		return -ENOSPC;
	le_store(w.buf + 12, w.nsec, 4);
	le_store(w.buf + 16, w.pos, 8);
	le_store(w.buf + MIG_CRC_AT, stream_crc(w.buf, w.pos), 4);
	return 0;
}

/* ====================================================================== */
/* load: parse and validate into staging, then commit                      */
/* ====================================================================== */

struct st_dev {
	struct sphb_dev *d;
	bool seen, intx, counted;
	const uint8_t *cfg;	/* cfg_size bytes inside the stream */
	uint32_t host_saved[16];
	struct {
		const uint8_t *chunks;	/* n x (u32 offset, chunk bytes) inside the stream */
		uint32_t n;
		uint8_t *alloc;		/* backing for a BAR that has none yet */
	} bar[SPHB_NBARS];
};

struct st_phb {
	struct sphb_phb *phb;
	bool seen, shared_permanent;
	bool pe_permanent[256];		/* parallel to phb->pes */
	struct sphb_tce_table *t[2];
	bool is_default[2];
	struct { uint32_t first; uint16_t count; uint8_t type; } msi[256];
	struct st_dev *dev[256];
};

struct ld {
	struct sphb_machine *m;
	int err;
	char where[96];		/* the part of the stream being read, for messages */
	/* order of sections */
	unsigned last_type;
	uint64_t last_key;
	bool have_key;
	/* staging */
	bool have_machine;
	uint64_t now_ms;
	bool ej_open;
	uint32_t ej_token, ngroups_hdr;
	uint64_t msi_used[(SPHB_MSI_COUNT + 63) / 64];
	struct st_phb *phb[SPHB_MAX_PHBS];
	struct sphb_sim_group *groups;
	unsigned ngroups;
	unsigned *group_slots, group_bits;	/* their index (backend/sim.c) */
};

static int fail(struct ld *L, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The first error is logged (naming where it is) and kept. */
static int fail(struct ld *L, int err, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (L->err)
		return L->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sphb_log(L->m, SPHB_LOG_ERROR, "load: %s%s%s", L->where, L->where[0] ? ": " : "", msg);
	L->err = err;
	return err;
}

/* A reader over one section's body; running past its end is an error. */
struct rd {
	struct ld *L;
	const uint8_t *p;
	size_t len, pos;
};

static bool r_ok(const struct rd *r)
{
	return !r->L->err;
}

static const uint8_t *r_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;

	if (r->L->err)
		return NULL;
	if (n > r->len - r->pos) {
		fail(r->L, -EBADMSG, "the section ends %zu bytes into a %zu-byte field (section body %zu bytes)",
		     r->len - r->pos, n, r->len);
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t le_load(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t r_le(struct rd *r, unsigned n)
{
	const uint8_t *p = r_bytes(r, n);
	return p ? le_load(p, n) : 0;
}

static uint8_t r_u8(struct rd *r) { return (uint8_t)r_le(r, 1); }
static uint16_t r_u16(struct rd *r) { return (uint16_t)r_le(r, 2); }
static uint32_t r_u32(struct rd *r) { return (uint32_t)r_le(r, 4); }
static uint64_t r_u64(struct rd *r) { return r_le(r, 8); }

/* a 0/1 flag; anything else is an error naming the field */
static bool r_flag(struct rd *r, const char *field)
{
	uint8_t v = r_u8(r);

	if (v > 1)
		fail(r->L, -EBADMSG, "%s is %u (0 or 1)", field, v);
	return v == 1;
}

static void r_str(struct rd *r, char out[SPHB_ID_MAX], const char *field)
{
	uint8_t n = r_u8(r);
	const uint8_t *p;

	out[0] = '\0';
	if (!r_ok(r))
		return;
	if (n >= SPHB_ID_MAX) {
		fail(r->L, -EBADMSG, "%s is %u bytes long (at most %u)", field, n, SPHB_ID_MAX - 1);
		return;
	}
	p = r_bytes(r, n);
	if (!p)
		return;
	/* only what an id can hold (QEMU's: letters, digits, '-', '.', '_'),
	 * so that no byte of the stream reaches the log unchecked */
	for (uint8_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_')) {
			fail(r->L, -EBADMSG, "%s contains byte 0x%02x (ids are letters, digits, '-', '.', '_')",
			     field, c);
			return;
		}
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

/* a description field that must equal this machine's */
static void same_u64(struct rd *r, const char *field, uint64_t stream, uint64_t here)
{
	if (r_ok(r) && stream != here)
		fail(r->L, -ENXIO, "%s is 0x%llx in the stream, 0x%llx on this machine", field,
		     (unsigned long long)stream, (unsigned long long)here);
}

static void same_flag(struct rd *r, const char *field, bool here)
{
	bool v = r_flag(r, field);

	if (r_ok(r) && v != here)
		fail(r->L, -ENXIO, "%s is %s in the stream, %s on this machine", field,
		     v ? "on" : "off", here ? "on" : "off");
}

static void same_str(struct rd *r, const char *field, const char *here)
{
	char s[SPHB_ID_MAX];

	r_str(r, s, field);
	if (r_ok(r) && strcmp(s, here))
		fail(r->L, -ENXIO, "%s is '%s' in the stream, '%s' on this machine", field, s, here);
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned log2u(uint64_t v)
{
	unsigned n = 0;
	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* ---- MACHINE ---- */

static void ld_machine(struct ld *L, struct rd *r)
{
	struct sphb_machine *m = L->m;
	uint32_t nphbs = 0, ndevs = 0, v;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++)
		if (m->phbs[i])
			nphbs++;
	for (const struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		ndevs++;
	snprintf(L->where, sizeof(L->where), "machine");
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
	snprintf(L->where, sizeof(L->where), "PHB %u", index);
	if (index >= SPHB_MAX_PHBS || !L->m->phbs[index]) {
		fail(L, -ENXIO, "this machine has no PHB of index %u", index);
		return;
	}
	st = L->phb[index];
	phb = st->phb;
	st->seen = true;
	snprintf(L->where, sizeof(L->where), "PHB %u '%s'", index, phb->id);
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
		const struct sphb_dev *d;

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
		st->msi[devfn].first = first;
		st->msi[devfn].count = count;
		st->msi[devfn].type = type;
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
	snprintf(L->where, sizeof(L->where), "window %u of PHB %u", w, index);
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
	if (liobn != (0x80000000u | index << 8 | w)) {
		fail(L, -EBADMSG, "LIOBN 0x%x (window %u of PHB %u is LIOBN 0x%x)", liobn, w, index,
		     0x80000000u | index << 8 | w);
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
		if (!pow2(nb) || log2u(nb) >= 32 || shift + log2u(nb) >= 64) {
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
			     shift + log2u(nb));
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

/* Every bit the guest cannot write holds its power-on value (a cleared
 * write-1-to-clear bit excepted); the Interrupt Status bit follows the INTx
 * the device drives; an enabled MSI capability has MME <= MMC. */
static void check_cfg(struct ld *L, const struct sphb_dev *d, const uint8_t *cfg, bool intx,
		      bool counted)
{
	uint32_t pend_off = 0, pend_bits = 0;
	uint16_t cmd;
	uint8_t pin;
	bool on;

	if (d->msi_vectors && (d->cfg_init[d->msi_cap + 3] & 1)) {
		/* per-vector masking: the function sets the Pending bits of its
		 * vectors (read-only to the guest) */
		uint8_t ctl = d->cfg_init[d->msi_cap + 2];
		unsigned mmc = (ctl >> 1) & 7u;

		pend_off = d->msi_cap + ((ctl & 0x80) ? 0x14u : 0x10u);
		pend_bits = mmc >= 5 ? 0xffffffffu : (1u << (1u << mmc)) - 1u;
	}
	for (uint32_t i = 0; i < d->cfg_size; i++) {
		uint8_t fixed = (uint8_t)(~d->wmask[i] & ~(d->w1cmask[i] & d->cfg_init[i]));
		if (i == PCI_STATUS)
			fixed &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if (pend_off && i >= pend_off && i < pend_off + 4)
			fixed &= (uint8_t)~(pend_bits >> (8 * (i - pend_off)));
		if ((cfg[i] ^ d->cfg_init[i]) & fixed) {
			fail(L, -EBADMSG,
			     "config byte 0x%03x is 0x%02x, but its read-only bits (mask 0x%02x) must stay 0x%02x",
			     i, cfg[i], fixed, d->cfg_init[i] & fixed);
			return;
		}
	}
	if (!!(cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) != intx) {
		fail(L, -EBADMSG, "Status.Interrupt is %u but the device %s INTx", !intx,
		     intx ? "drives" : "does not drive");
		return;
	}
	cmd = (uint16_t)(cfg[PCI_COMMAND] | cfg[PCI_COMMAND + 1] << 8);
	pin = cfg[PCI_INTERRUPT_PIN];
	on = intx && !(cmd & PCI_COMMAND_INTX_DISABLE) && pin >= 1 && pin <= 4;
	if (counted != on) {
		fail(L, -EBADMSG, "the INTx line is %scounted on the PHB's LSI, but INTx is %s",
		     counted ? "" : "not ", on ? "asserted and enabled" : "not asserted or disabled");
		return;
	}
	if (d->pm_cap) {
		/* PCI PM 1.2 5.4.2: only the power states the function supports */
		unsigned st = cfg[d->pm_cap + 4] & 3u, pmc = cfg[d->pm_cap + 3];
		if ((st == 1 && !(pmc & 0x02)) || (st == 2 && !(pmc & 0x04))) {
			fail(L, -EBADMSG, "power state D%u, which the function does not support", st);
			return;
		}
	}
	if (d->msi_vectors) {
		uint8_t ctl = cfg[d->msi_cap + 2];
		if ((ctl & 1) && ((ctl >> 4) & 7u) > ((ctl >> 1) & 7u)) {
			fail(L, -EBADMSG, "MSI is enabled with Multiple Message Enable %u above Capable %u",
			     (ctl >> 4) & 7u, (ctl >> 1) & 7u);
			return;
		}
	}
}

static void ld_device(struct ld *L, struct rd *r)
{
	uint32_t index = r_u32(r);
	uint8_t devfn = r_u8(r);
	struct st_dev *sd;
	struct sphb_dev *d;
	char field[24];
	const uint8_t *cfg;

	if (!r_ok(r))
		return;
	snprintf(L->where, sizeof(L->where), "device at PHB %u %02x.%x", index, devfn >> 3, devfn & 7);
	if (index >= SPHB_MAX_PHBS || !L->phb[index] || !(sd = L->phb[index]->dev[devfn])) {
		fail(L, -ENXIO, "this machine has no function there");
		return;
	}
	d = sd->d;
	sd->seen = true;
	snprintf(L->where, sizeof(L->where), "device '%s' (PHB %u %02x.%x)", d->id, index, devfn >> 3,
		 devfn & 7);
	same_str(r, "id", d->id);
	same_flag(r, "pcie", d->pcie);
	same_flag(r, "multifunction", d->multifunction);
	same_u64(r, "iommu-group", (uint64_t)(int64_t)(int32_t)r_u32(r), (uint64_t)(int64_t)d->iommu_group);
	same_u64(r, "vendor", r_u16(r), (uint64_t)(d->cfg_init[0] | d->cfg_init[1] << 8));
	same_u64(r, "device", r_u16(r), (uint64_t)(d->cfg_init[2] | d->cfg_init[3] << 8));
	same_u64(r, "config space size", r_u32(r), d->cfg_size);
	same_u64(r, "msi", r_u32(r), d->msi_vectors);
	same_u64(r, "msix", r_u32(r), d->msix_vectors);
	same_u64(r, "msix-bar", r_u8(r), d->msix_bar);
	same_u64(r, "MSI-X table offset", r_u32(r), d->msix_table_off);
	same_u64(r, "MSI-X PBA offset", r_u32(r), d->msix_pba_off);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		snprintf(field, sizeof(field), "bar%u kind", b);
		same_u64(r, field, r_u8(r), (uint64_t)d->bar[b].kind);
		snprintf(field, sizeof(field), "bar%u size", b);
		same_u64(r, field, r_u64(r), d->bar[b].size);
	}
	sd->intx = r_flag(r, "INTx level");
	sd->counted = r_flag(r, "INTx counted");
	for (unsigned i = 0; i < 16; i++)
		sd->host_saved[i] = r_u32(r);
	cfg = r_bytes(r, d->cfg_size);
	if (!cfg)
		return;
	check_cfg(L, d, cfg, sd->intx, sd->counted);
	sd->cfg = cfg;
	for (unsigned b = 0; r_ok(r) && b < SPHB_NBARS; b++) {
		const struct sphb_bar *bar = &d->bar[b];
		uint64_t bs = sphb_bar_backing(bar);
		uint32_t chunk = bar_chunk(bar), n = r_u32(r);
		int64_t last = -1;

		if (!r_ok(r))
			return;
		if (n && (b == 6 || !chunk)) {
			fail(L, -EBADMSG, "bar%u: %u chunks of contents for %s", b, n,
			     b == 6 ? "the expansion ROM (always zero)" : "a BAR that does not exist");
			return;
		}
		if (n > bs / (chunk ? chunk : 1)) {
			fail(L, -EBADMSG, "bar%u: %u chunks of %u bytes for %llu bytes of contents", b, n,
			     chunk, (unsigned long long)bs);
			return;
		}
		sd->bar[b].chunks = r->p + r->pos;
		sd->bar[b].n = n;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t off = r_u32(r);
			const uint8_t *p = r_bytes(r, chunk);

			if (!p)
				return;
			/* the chunk is copied to off: it must end inside the backing */
			if ((int64_t)off <= last || off % chunk || off > bs - chunk) {
				fail(L, -EBADMSG, "bar%u: chunk %u at offset 0x%x (ascending multiples of 0x%x below 0x%llx expected)",
				     b, k, off, chunk, (unsigned long long)bs);
				return;
			}
			if (all_zero(p, chunk)) {
				fail(L, -EBADMSG, "bar%u: chunk at offset 0x%x is all zeros (only non-zero chunks are saved)",
				     b, off);
				return;
			}
			last = off;
		}
		if (n && !bar->mem) {
			sd->bar[b].alloc = calloc(1, (size_t)bs);
			if (!sd->bar[b].alloc) {
				fail(L, -ENOMEM, "bar%u: cannot allocate %llu bytes of contents", b,
				     (unsigned long long)bs);
				return;
			}
		}
	}
}

/* ---- GROUP ---- */

static void ld_group(struct ld *L, struct rd *r, uint64_t key)
{
	struct sphb_sim_group g, *ng;
	uint32_t ndevs_here;

	memset(&g, 0, sizeof(g));
	g.group = (int)key;
	snprintf(L->where, sizeof(L->where), "IOMMU group %d", g.group);
	g.ndevs = r_u32(r);
	ndevs_here = group_devs(L->m, g.group);
	if (r_ok(r) && g.ndevs != ndevs_here)
		fail(L, -ENXIO, "%u functions in the stream, %u on this machine", g.ndevs, ndevs_here);
	g.mmio_stopped = r_flag(r, "MMIO stopped");
	g.dma_stopped = r_flag(r, "DMA stopped");
	g.reset_active = r_flag(r, "reset active");
	g.err_injected = r_flag(r, "error injected");
	g.busy_until_ms = r_u64(r);
	g.freezes = r_u32(r);
	g.last_err_func = r_u32(r);
	g.last_err_addr = r_u64(r);
	g.err_time_ms = r_u64(r);
	g.fail_count = r_u32(r);
	g.fail_errno = (int)r_u32(r);
	if (!r_ok(r))
		return;
	if (g.reset_active && !(g.mmio_stopped && g.dma_stopped)) {
		fail(L, -EBADMSG, "a reset is held but the PE's MMIO and DMA are not both stopped");
		return;
	}
	if (g.last_err_func > 19) {
		fail(L, -EBADMSG, "last injected operation %u (PAPR Table 7-75: 0..19)", g.last_err_func);
		return;
	}
	if (g.err_time_ms > L->now_ms) {
		fail(L, -EBADMSG, "last freeze at %llu ms, after the machine's clock %llu ms",
		     (unsigned long long)g.err_time_ms, (unsigned long long)L->now_ms);
		return;
	}
	if (g.fail_errno < 0 || g.fail_errno > 4095 || (g.fail_count && !g.fail_errno)) {
		fail(L, -EBADMSG, "host failure injection errno %d for %u operations (1..4095)",
		     g.fail_errno, g.fail_count);
		return;
	}
	ng = realloc(L->groups, (L->ngroups + 1) * sizeof(*ng));
	if (!ng) {
		fail(L, -ENOMEM, "cannot allocate the group table");
		return;
	}
	L->groups = ng;
	L->groups[L->ngroups++] = g;
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
			for (unsigned b = 0; b < SPHB_NBARS; b++)
				free(st->dev[df]->bar[b].alloc);
			free(st->dev[df]);
		}
		free(st);
	}
	free(L->groups);
	free(L->group_slots);
}

static int ld_setup(struct ld *L)
{
	struct sphb_machine *m = L->m;

	for (unsigned i = 0; i < SPHB_MAX_PHBS; i++) {
		if (!m->phbs[i])
			continue;
		L->phb[i] = calloc(1, sizeof(*L->phb[i]));
		if (!L->phb[i])
			return -ENOMEM;
		L->phb[i]->phb = m->phbs[i];
		for (unsigned df = 0; df < 256; df++) {
			struct sphb_dev *d = m->phbs[i]->devs[df];
			if (!d)
				continue;
			L->phb[i]->dev[df] = calloc(1, sizeof(struct st_dev));
			if (!L->phb[i]->dev[df])
				return -ENOMEM;
			L->phb[i]->dev[df]->d = d;
		}
	}
	return 0;
}

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
		*key = le_load(body, 4);
		return true;
	case SEC_WINDOW:
	case SEC_DEVICE:
		if (len < 5)
			return false;
		*key = le_load(body, 4) << 8 | body[4];
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

	while (!L->err && pos < len) {
		unsigned type, flags;
		uint64_t blen, key;
		struct rd r;

		snprintf(L->where, sizeof(L->where), "section %u at byte %zu", nsec, pos);
		if (len - pos < SEC_HDR) {
			fail(L, -EBADMSG, "%zu bytes left, less than a section header (%u)", len - pos, SEC_HDR);
			return;
		}
		type = (unsigned)le_load(p + pos, 2);
		flags = (unsigned)le_load(p + pos + 2, 2);
		blen = le_load(p + pos + 4, 8);
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
		r.L = L;
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
			ld_group(L, &r, key);
			break;
		}
		if (!L->err && r.pos != r.len)
			fail(L, -EBADMSG, "%zu bytes left at the end of the %s section", r.len - r.pos,
			     sec_name(type));
	}
	if (L->err)
		return;
	L->where[0] = '\0';
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
				     st->dev[df]->d->id, i, df >> 3, df & 7);
				return;
			}
		}
	}
	for (unsigned k = 0; k < L->m->ngroups; k++) {
		const struct sphb_sim_group *g = &L->m->groups[k];
		unsigned j;

		for (j = 0; j < L->ngroups && L->groups[j].group != g->group; j++)
			;
		if (j == L->ngroups && g->ndevs) {
			fail(L, -ENXIO, "IOMMU group %d of this machine is not in the stream", g->group);
			return;
		}
	}
	if (L->ngroups != L->ngroups_hdr) {
		fail(L, -EBADMSG, "the machine section announces %u IOMMU groups, the stream has %u",
		     L->ngroups_hdr, L->ngroups);
		return;
	}
	if (sphb_sim_groups_index(L->groups, L->ngroups, &L->group_slots, &L->group_bits))
		fail(L, -ENOMEM, "cannot allocate the IOMMU group index");
}

/* ---- commit: nothing below can fail ---- */

static void commit(struct ld *L)
{
	struct sphb_machine *m = L->m;

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
			phb->msi[df].first = st->msi[df].first;
			phb->msi[df].count = st->msi[df].count;
			phb->msi[df].type = st->msi[df].type;
		}
		phb->shared_pe.permanent = st->shared_permanent;
		phb->shared_pe.group = sphb_eeh_shared_group(phb);
		for (unsigned k = 0; k < phb->npes; k++)
			phb->pes[k].permanent = st->pe_permanent[k];
		for (unsigned df = 0; df < 256; df++) {
			struct st_dev *sd = st->dev[df];
			struct sphb_dev *d;

			if (!sd)
				continue;
			d = sd->d;
			memcpy(d->cfg, sd->cfg, d->cfg_size);
			memcpy(d->host_saved, sd->host_saved, sizeof(d->host_saved));
			d->intx = sd->intx;
			d->intx_counted = sd->counted;
			for (unsigned b = 0; b < SPHB_NBARS; b++) {
				struct sphb_bar *bar = &d->bar[b];
				uint32_t chunk = bar_chunk(bar);
				const uint8_t *c = sd->bar[b].chunks;

				if (!bar->mem) {
					bar->mem = sd->bar[b].alloc; /* NULL when there are no contents */
					sd->bar[b].alloc = NULL;
				}
				if (!bar->mem)
					continue;
				memset(bar->mem, 0, (size_t)sphb_bar_backing(bar));
				for (uint32_t k = 0; k < sd->bar[b].n; k++, c += 4 + chunk)
					memcpy(bar->mem + le_load(c, 4), c + 4, chunk);
			}
		}
		/* the LSIs follow the functions counted on them; the host hears of
		 * every line whose level changed */
		for (unsigned pin = 0; pin < 4; pin++) {
			uint16_t n = 0;

			for (unsigned df = 0; df < 256; df++) {
				const struct sphb_dev *d = phb->devs[df];
				if (d && d->intx_counted &&
				    ((d->devfn >> 3) + d->cfg[PCI_INTERRUPT_PIN] - 1u) % 4u == pin)
					n++;
			}
			if (!n != !phb->lsi_count[pin] && m->ops.irq_set)
				m->ops.irq_set(m->opaque, SPHB_LSI_BASE + phb->index * 4 + pin, n != 0);
			phb->lsi_count[pin] = n;
		}
	}
	memcpy(m->msi_used, L->msi_used, sizeof(m->msi_used));
	m->now_ms = L->now_ms;
	m->errinjct_open = L->ej_open;
	m->errinjct_token = L->ej_token;
	free(m->groups);
	m->groups = L->groups;
	m->ngroups = L->ngroups;
	L->groups = NULL;
	free(m->group_slots);
	m->group_slots = L->group_slots;
	m->group_bits = L->group_bits;
	L->group_slots = NULL;
	/* the functions' stopped flags from the restored PE states; translations
	 * cached by DMA handles are dropped */
	sphb_eeh_sync(m);
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
	rc = no_passthrough(m, "load");
	if (rc)
		return rc;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	L->m = m;
	snprintf(L->where, sizeof(L->where), "header");
	if (len < MIG_HDR) {
		rc = fail(L, -EBADMSG, "the stream is %zu bytes, shorter than the %u-byte header", len, MIG_HDR);
		goto out;
	}
	if (memcmp(p, MIG_MAGIC, 8)) {
		rc = fail(L, -EBADMSG, "bad magic (not an sphb machine state)");
		goto out;
	}
	total = le_load(p + 16, 8);
	if (total != len) {
		rc = fail(L, -EBADMSG, "the header says %llu bytes, the stream has %zu",
			  (unsigned long long)total, len);
		goto out;
	}
	crc = (uint32_t)le_load(p + MIG_CRC_AT, 4);
	want = stream_crc(p, len);
	if (crc != want) {
		rc = fail(L, -EBADMSG, "checksum 0x%08x, the contents give 0x%08x (corrupted stream)", crc, want);
		goto out;
	}
	version = (unsigned)le_load(p + 8, 2);
	flags = (unsigned)le_load(p + 10, 2);
	if (version != MIG_VERSION) {
		rc = fail(L, -ENOTSUP, "format version %u; this library reads version %u", version, MIG_VERSION);
		goto out;
	}
	if (flags || le_load(p + 28, 4)) {
		rc = fail(L, -EBADMSG, "reserved header fields are not zero (flags 0x%x)", flags);
		goto out;
	}
	rc = ld_setup(L);
	if (rc) {
		sphb_log(m, SPHB_LOG_ERROR, "load: cannot allocate the staging state");
		goto out;
	}
	ld_sections(L, p, len, (uint32_t)le_load(p + 12, 4));
	rc = L->err;
	if (!rc) {
		commit(L);
		sphb_log(m, SPHB_LOG_INFO, "load: machine state restored (%zu bytes)", len);
	}
out:
	ld_free(L);
	free(L);
	return rc;
}
