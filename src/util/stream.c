/* The save/restore stream's primitives (docs/migration.md): a writer that
 * can also just measure, little-endian fields, sections, and a reader that
 * refuses to run past a section's end and logs the first error with the
 * part of the stream it was reading. SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "internal.h"

void sphb_w_bytes(struct sphb_wr *w, const void *p, size_t n)
{
	if (w->buf && n && w->pos <= w->len && n <= w->len - w->pos)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

void sphb_w_le(struct sphb_wr *w, uint64_t v, unsigned n)
{
	uint8_t b[8];

	put_le(b, n, v);
	sphb_w_bytes(w, b, n);
}

/* overwrite n bytes at `at` (written before) when they are in the buffer */
void sphb_w_patch(struct sphb_wr *w, size_t at, uint64_t v, unsigned n)
{
	if (w->buf && at <= w->len && n <= w->len - at)
		put_le(w->buf + at, n, v);
}

void sphb_w_str(struct sphb_wr *w, const char *s)
{
	size_t n = strlen(s); /* ids are < SPHB_ID_MAX */

	w_u8(w, n);
	sphb_w_bytes(w, s, n);
}

size_t sphb_w_sec_open(struct sphb_wr *w, unsigned type)
{
	size_t at = w->pos;

	w_u16(w, type);
	w_u16(w, 0);
	w_u64(w, 0);
	w->nsec++;
	return at;
}

void sphb_w_sec_close(struct sphb_wr *w, size_t at)
{
	sphb_w_patch(w, at + 4, w->pos - at - SPHB_SEC_HDR, 8);
}

int sphb_ld_fail(struct sphb_loader *L, int err, const char *fmt, ...)
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

const uint8_t *sphb_r_bytes(struct sphb_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->L->err)
		return NULL;
	if (n > r->len - r->pos) {
		sphb_ld_fail(r->L, -EBADMSG,
			     "the section ends %zu bytes into a %zu-byte field (section body %zu bytes)",
			     r->len - r->pos, n, r->len);
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint64_t sphb_r_le(struct sphb_rd *r, unsigned n)
{
	const uint8_t *p = sphb_r_bytes(r, n);
	return p ? get_le(p, n) : 0;
}

/* a 0/1 flag; anything else is an error naming the field */
bool sphb_r_flag(struct sphb_rd *r, const char *field)
{
	uint8_t v = r_u8(r);

	if (v > 1)
		sphb_ld_fail(r->L, -EBADMSG, "%s is %u (0 or 1)", field, v);
	return v == 1;
}

void sphb_r_str(struct sphb_rd *r, char out[SPHB_ID_MAX], const char *field)
{
	uint8_t n = r_u8(r);
	const uint8_t *p;

	out[0] = '\0';
	if (!r_ok(r))
		return;
	if (n >= SPHB_ID_MAX) {
		sphb_ld_fail(r->L, -EBADMSG, "%s is %u bytes long (at most %u)", field, n, SPHB_ID_MAX - 1);
		return;
	}
	p = sphb_r_bytes(r, n);
	if (!p)
		return;
	/* only what an id can hold (QEMU's: letters, digits, '-', '.', '_'),
	 * so that no byte of the stream reaches the log unchecked */
	for (uint8_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_')) {
			sphb_ld_fail(r->L, -EBADMSG,
				     "%s contains byte 0x%02x (ids are letters, digits, '-', '.', '_')", field, c);
			return;
		}
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

void sphb_same_u64(struct sphb_rd *r, const char *field, uint64_t stream, uint64_t here)
{
	if (r_ok(r) && stream != here)
		sphb_ld_fail(r->L, -ENXIO, "%s is 0x%llx in the stream, 0x%llx on this machine", field,
			     (unsigned long long)stream, (unsigned long long)here);
}

void sphb_same_flag(struct sphb_rd *r, const char *field, bool here)
{
	bool v = sphb_r_flag(r, field);

	if (r_ok(r) && v != here)
		sphb_ld_fail(r->L, -ENXIO, "%s is %s in the stream, %s on this machine", field,
			     v ? "on" : "off", here ? "on" : "off");
}

void sphb_same_str(struct sphb_rd *r, const char *field, const char *here)
{
	char s[SPHB_ID_MAX];

	sphb_r_str(r, s, field);
	if (r_ok(r) && strcmp(s, here))
		sphb_ld_fail(r->L, -ENXIO, "%s is '%s' in the stream, '%s' on this machine", field, s, here);
}

/* CRC-32 of IEEE 802.3: reflected, polynomial 0xEDB88320, initial and final
 * value 0xFFFFFFFF ("123456789" -> 0xCBF43926); crc is the running value
 * before the final inversion (start with 0xFFFFFFFF). */
uint32_t sphb_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	uint32_t tab[256]; /* 1 KiB, built per call: save and load are rare */

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (unsigned k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		tab[i] = c;
	}
	while (len--)
		crc = tab[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
	return crc;
}
