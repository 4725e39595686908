/* The save/restore stream as docs/migration.md describes it, read and
 * patched by tests (independently of the library): little-endian fields, the
 * CRC-32, the section walk and the offsets of fields inside section bodies.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_TEST_STREAM_H
#define SPHB_TEST_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the stream, read as docs/migration.md describes it ---- */

static inline uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void st_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* CRC-32/IEEE, bit by bit (the library's is table-driven) */
static inline uint32_t crc32_bits(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* length, then checksum (over the stream with the checksum field zeroed) */
static inline void fix(uint8_t *p, size_t n)
{
	st_put_le(p + 16, n, 8);
	st_put_le(p + 24, 0, 4);
	st_put_le(p + 24, crc32_bits(p, n), 4);
}

struct sec {
	size_t at;	/* of the section header */
	unsigned type, flags;
	size_t len;	/* body */
	const uint8_t *body;
};

/* Walk the sections; *whole (may be NULL): they end exactly at the end. */
static inline unsigned sections(const uint8_t *p, size_t n, struct sec *out, unsigned max, bool *whole)
{
	size_t pos = 32;
	unsigned k = 0;

	while (n >= 12 && pos <= n - 12 && k < max) {
		size_t len = (size_t)le(p + pos + 4, 8);
		if (le(p + pos + 4, 8) > n - pos - 12)
			break;
		out[k].at = pos;
		out[k].type = (unsigned)le(p + pos, 2);
		out[k].flags = (unsigned)le(p + pos + 2, 2);
		out[k].len = len;
		out[k].body = p + pos + 12;
		pos += 12 + len;
		k++;
	}
	if (whole)
		*whole = pos == n;
	return k;
}

/* the section of `type` whose key (PHB index / group; index and byte 4) is key */
static inline struct sec *find(struct sec *sv, unsigned n, unsigned type, uint64_t key)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t k = type == 1 ? 0 : le(sv[i].body, 4);
		if (type == 3 || type == 4)
			k = k << 8 | sv[i].body[4];
		if (sv[i].type == type && k == key)
			return &sv[i];
	}
	fprintf(stderr, "no section type %u key 0x%llx\n", type, (unsigned long long)key);
	exit(1);
}

/* offsets inside bodies (docs/migration.md) */
static inline size_t phb_state(const struct sec *x) { return 13 + x->body[12] + 69; }	/* shared permanent */
static inline size_t phb_msi(const struct sec *x) /* the first MSI allocation */
{
	size_t o = phb_state(x) + 1;		/* npes */
	o += 4 + 9 * le(x->body + o, 4);	/* nmsi */
	return o + 4;
}
static inline size_t dev_fixed(const struct sec *x) { return 6 + x->body[5]; }		/* pcie */
static inline size_t dev_counted(const struct sec *x) { return dev_fixed(x) + 94; }	/* INTx counted */
static inline size_t dev_intx(const struct sec *x) { return dev_counted(x) + 1; }	/* sim-pci: INTx level */
static inline size_t dev_cfg(const struct sec *x) { return dev_intx(x) + 1; }

#endif
