/* The bottom layer: byte order, bit tricks, the PAPR/QEMU number encodings
 * (one definition each), logging, option parsing, configuration-space dumps
 * and the save/restore stream. Nothing here calls another layer.
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_UTIL_H
#define SPHB_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sphb/sphb.h"

struct sphb_machine;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SPHB_ID_MAX 64

/* ---- byte order: PCI is little-endian; RTAS cells, TCE lists and error
 * logs are big-endian ---- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SPHB_LE16(v) __builtin_bswap16(v)
#define SPHB_LE32(v) __builtin_bswap32(v)
#define SPHB_LE64(v) __builtin_bswap64(v)
#define SPHB_BE16(v) (v)
#define SPHB_BE32(v) (v)
#define SPHB_BE64(v) (v)
#else
#define SPHB_LE16(v) (v)
#define SPHB_LE32(v) (v)
#define SPHB_LE64(v) (v)
#define SPHB_BE16(v) __builtin_bswap16(v)
#define SPHB_BE32(v) __builtin_bswap32(v)
#define SPHB_BE64(v) __builtin_bswap64(v)
#endif

static inline uint16_t get_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return SPHB_LE16(v); }
static inline uint32_t get_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return SPHB_LE32(v); }
static inline uint64_t get_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return SPHB_LE64(v); }
static inline void put_le16(void *p, uint16_t v) { v = SPHB_LE16(v); memcpy(p, &v, 2); }
static inline void put_le32(void *p, uint32_t v) { v = SPHB_LE32(v); memcpy(p, &v, 4); }
static inline void put_le64(void *p, uint64_t v) { v = SPHB_LE64(v); memcpy(p, &v, 8); }
static inline uint16_t get_be16(const void *p) { uint16_t v; memcpy(&v, p, 2); return SPHB_BE16(v); }
static inline uint32_t get_be32(const void *p) { uint32_t v; memcpy(&v, p, 4); return SPHB_BE32(v); }
static inline uint64_t get_be64(const void *p) { uint64_t v; memcpy(&v, p, 8); return SPHB_BE64(v); }
static inline void put_be16(void *p, uint16_t v) { v = SPHB_BE16(v); memcpy(p, &v, 2); }
static inline void put_be32(void *p, uint32_t v) { v = SPHB_BE32(v); memcpy(p, &v, 4); }
static inline void put_be64(void *p, uint64_t v) { v = SPHB_BE64(v); memcpy(p, &v, 8); }

/* n (0..8) little-endian bytes; the access sizes are one load or store */
static inline uint64_t get_le(const void *p, unsigned n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	switch (n) {
	case 1: return b[0];
	case 2: return get_le16(p);
	case 4: return get_le32(p);
	case 8: return get_le64(p);
	default:
		for (unsigned i = 0; i < n; i++)
			v |= (uint64_t)b[i] << (8 * i);
		return v;
	}
}

static inline void put_le(void *p, unsigned n, uint64_t v)
{
	uint8_t *b = p;

	switch (n) {
	case 1: b[0] = (uint8_t)v; return;
	case 2: put_le16(p, (uint16_t)v); return;
	case 4: put_le32(p, (uint32_t)v); return;
	case 8: put_le64(p, v); return;
	default:
		for (unsigned i = 0; i < n; i++)
			b[i] = (uint8_t)(v >> (8 * i));
	}
}

/* all-ones of an access of `size` bytes (1..8) */
static inline uint64_t ones(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

/* ---- bits ---- */

static inline bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* the smallest power of two >= v (v <= 2^63; 1 for 0) */
static inline uint64_t pow2_ceil(uint64_t v)
{
	return v <= 1 ? 1 : 1ull << (64 - __builtin_clzll(v - 1));
}

/* floor(log2(v)), v > 0 */
static inline unsigned ilog2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

/* ---- the machine's numbers (QEMU 7.2 hw/ppc/spapr_pci.c and
 * include/hw/pci-host/spapr.h: SPAPR_PCI_BASE_BUID, SPAPR_PCI_LIOBN, the
 * window placement of spapr_phb_placement(); PAPR 7.3.4 config addresses) ---- */

#define SPHB_MAX_PHBS 31u
#define SPHB_BUID_BASE 0x0800000020000000ull
#define SPHB_PCI_BASE 0x200000000000ull		/* 32 TiB: the PHBs' windows */
#define SPHB_PIO_WIN_SIZE 0x10000ull
#define SPHB_MEM32_WIN_SIZE 0x80000000ull
#define SPHB_MEM64_WIN_SIZE 0x10000000000ull
#define SPHB_MEM_WIN_BUS_OFFSET 0x80000000ull	/* bus address of the 32-bit window */
#define SPHB_MSI_WINDOW 0x40000000000ull	/* bus address of a PHB's MSI window */
#define SPHB_MSI32_WINDOW 0x7ffff000u		/* 32-bit MSI-X (ibm,change-msi function 6) */
#define SPHB_MSI_WINDOW_SIZE 0x1000u
#define SPHB_MSI_FIRST 0x1300u			/* the built-in MSI pool */
#define SPHB_MSI_COUNT 0xd00u
#define SPHB_LSI_BASE 0x1200u			/* the built-in LSIs: + index * 4 + pin */

static inline uint64_t sphb_buid(unsigned index)
{
	return SPHB_BUID_BASE + index;
}

/* PHB index of a BUID, or SPHB_MAX_PHBS when it is none */
static inline unsigned sphb_buid_index(uint64_t buid)
{
	uint64_t idx = buid - SPHB_BUID_BASE; /* wraps for buid < base */
	return idx < SPHB_MAX_PHBS ? (unsigned)idx : SPHB_MAX_PHBS;
}

/* LIOBN of DMA window w (0 default, 1 dynamic) of PHB `index` */
static inline uint32_t sphb_liobn(unsigned index, unsigned w)
{
	return 0x80000000u | index << 8 | w;
}

/* the PHB index and window of a LIOBN of that form; false otherwise */
static inline bool sphb_liobn_decode(uint64_t liobn, unsigned *index, unsigned *w)
{
	*index = (unsigned)(liobn >> 8) & 0xff;
	*w = (unsigned)liobn & 1;
	return (liobn & ~(uint64_t)0xff01) == 0x80000000u && *index < SPHB_MAX_PHBS;
}

/* RTAS configuration addresses (PAPR R1-7.3.4-1): register bits 8-11 in
 * bits 28-31, bus 16-23, devfn 8-15, register bits 0-7; bits 24-27 unused */
static inline uint32_t sphb_cfg_addr(unsigned bus, unsigned devfn, unsigned reg)
{
	return (uint32_t)(reg & 0xf00) << 20 | (uint32_t)(bus & 0xff) << 16 |
	       (uint32_t)(devfn & 0xff) << 8 | (reg & 0xff);
}
static inline unsigned cfg_bus(uint32_t cfg) { return (cfg >> 16) & 0xff; }
static inline unsigned cfg_devfn(uint32_t cfg) { return (cfg >> 8) & 0xff; }
static inline uint32_t cfg_reg(uint32_t cfg) { return ((cfg >> 20) & 0xf00) | (cfg & 0xff); }

/* QEMU's PE address of a bus in pe-mode=shared: (bus << 16) | 1 */
static inline uint32_t sphb_shared_pe_addr(unsigned bus)
{
	return (uint32_t)bus << 16 | 1;
}

/* ---- log.c: one message per call to the host's log callback ---- */
void sphb_log(const struct sphb_machine *m, enum sphb_log_level lvl,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#include "util/struct_in.h"

/* ---- opts.c: QEMU-style "type,key=value,..." descriptions ---- */
#define SPHB_OPTS_MAX 32
struct sphb_opt {
	char key[48];
	const char *val; /* points into sphb_opts.buf */
	bool used;
};
struct sphb_opts {
	char type[48];
	unsigned n;
	struct sphb_opt o[SPHB_OPTS_MAX];
	char buf[1024];
};
int sphb_opts_parse(const struct sphb_machine *m, const char *spec, struct sphb_opts *out);
const char *sphb_opts_get(struct sphb_opts *o, const char *key);
int sphb_opts_u64(const struct sphb_machine *m, struct sphb_opts *o, const char *key, uint64_t dflt,
		  uint64_t min, uint64_t max, bool size_suffix, uint64_t *out);
int sphb_opts_bool(const struct sphb_machine *m, struct sphb_opts *o, const char *key, bool dflt,
		   bool *out);
int sphb_opts_id(const struct sphb_machine *m, struct sphb_opts *o, char *out, size_t outsz);
int sphb_opts_check_unused(const struct sphb_machine *m, struct sphb_opts *o);
char *sphb_opts_string(const struct sphb_opts *o, const char *const *skip, const char *tail);
int sphb_parse_u64(const char *s, bool size_suffix, uint64_t *out);

/* ---- lspci.c: configuration-space dumps for sim-pci,config=FILE ---- */
#define SPHB_PCI_CFG_SIZE 256u
#define SPHB_PCIE_CFG_SIZE 4096u
struct sphb_lspci {
	uint8_t cfg[SPHB_PCIE_CFG_SIZE];
	uint32_t len;		/* bytes the dump holds, 64..4096 */
	uint64_t region[7];	/* lspci -vv sizes of Region 0..5 and the Expansion ROM; 0: none */
};
/* Logs "TYPE: config=PATH[:LINE]: reason" and returns -EINVAL on bad input. */
int sphb_lspci_load(const struct sphb_machine *m, const char *type, const char *path,
		    struct sphb_lspci *out);

/* ---- stream.c: the save/restore stream (docs/migration.md) ---- */

/* Writer: a size query when buf is NULL (pos counts what would be written). */
struct sphb_wr {
	uint8_t *buf;
	size_t len, pos;
	uint32_t nsec;
};
void sphb_w_bytes(struct sphb_wr *w, const void *p, size_t n);
void sphb_w_le(struct sphb_wr *w, uint64_t v, unsigned n);
void sphb_w_patch(struct sphb_wr *w, size_t at, uint64_t v, unsigned n);
void sphb_w_str(struct sphb_wr *w, const char *s);
size_t sphb_w_sec_open(struct sphb_wr *w, unsigned type);
void sphb_w_sec_close(struct sphb_wr *w, size_t at);
#define w_u8(w, v) sphb_w_le(w, (uint64_t)(v), 1)
#define w_u16(w, v) sphb_w_le(w, (uint64_t)(v), 2)
#define w_u32(w, v) sphb_w_le(w, (uint64_t)(v), 4)
#define w_u64(w, v) sphb_w_le(w, (uint64_t)(v), 8)
#define SPHB_SEC_HDR 12u	/* u16 type, u16 flags, u64 body length */

/* Loader state shared by every section reader: the first error is logged
 * with the part of the stream being read, and kept. */
struct sphb_loader {
	struct sphb_machine *m;
	int err;
	char where[96];
};
int sphb_ld_fail(struct sphb_loader *L, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A reader over one section's body; running past its end is an error. */
struct sphb_rd {
	struct sphb_loader *L;
	const uint8_t *p;
	size_t len, pos;
};
static inline bool r_ok(const struct sphb_rd *r) { return !r->L->err; }
const uint8_t *sphb_r_bytes(struct sphb_rd *r, size_t n);
uint64_t sphb_r_le(struct sphb_rd *r, unsigned n);
bool sphb_r_flag(struct sphb_rd *r, const char *field);
void sphb_r_str(struct sphb_rd *r, char out[SPHB_ID_MAX], const char *field);
/* a description field that must equal this machine's (-ENXIO otherwise) */
void sphb_same_u64(struct sphb_rd *r, const char *field, uint64_t stream, uint64_t here);
void sphb_same_flag(struct sphb_rd *r, const char *field, bool here);
void sphb_same_str(struct sphb_rd *r, const char *field, const char *here);
#define r_u8(r) ((uint8_t)sphb_r_le(r, 1))
#define r_u16(r) ((uint16_t)sphb_r_le(r, 2))
#define r_u32(r) ((uint32_t)sphb_r_le(r, 4))
#define r_u64(r) sphb_r_le(r, 8)

/* CRC-32 (IEEE 802.3) of p[0..len) */
uint32_t sphb_crc32(uint32_t crc, const uint8_t *p, size_t len);

#endif
