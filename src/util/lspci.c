/* Reading a configuration-space dump in the form `lspci -xxxx` (or -xxx, -xx)
 * prints it, for sim-pci,config=FILE:
 *
 *   00:02.0 Non-Volatile memory controller: ...        (optional first line)
 *           Region 0: Memory at fe000000 (64-bit, ...) [size=16K]   (lspci -vv)
 *   00: 36 1b 10 00 06 05 10 00 02 02 08 01 00 00 00 00
 *   ...
 *   ff0: 00 00 ...
 *
 * Data lines are "OFFSET: hh hh ..." with up to 16 bytes, offsets in order
 * with no gaps; blank lines are ignored; indented lines are lspci -vv's
 * description, of which only the "Region N:" and "Expansion ROM" sizes are
 * used. Every error names the file and line. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define LINE_MAX_LEN 1024

struct reader {
	const struct sphb_machine *m;
	const char *type, *path;
	unsigned line;
};

static int fail(const struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct reader *r, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (r->line)
		sphb_log(r->m, SPHB_LOG_ERROR, "%s: config=%s:%u: %s", r->type, r->path, r->line, why);
	else
		sphb_log(r->m, SPHB_LOG_ERROR, "%s: config=%s: %s", r->type, r->path, why);
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "OFFSET:" followed by a blank or the end: a data line. Returns the
 * position after the colon, or NULL. */
static const char *data_line(const char *s, uint32_t *off)
{
	uint32_t v = 0;
	unsigned n = 0;

	for (; hexval(*s) >= 0; s++, n++) {
		if (n < 8)
			v = v << 4 | (uint32_t)hexval(*s);
	}
	if (!n || *s != ':' || (s[1] != ' ' && s[1] != '\t' && s[1] != '\0'))
		return NULL;
	*off = n > 4 ? UINT32_MAX : v;
	return s + 1;
}

/* lspci -vv: "Region N: ... [size=S]" / "Expansion ROM at ... [size=S]". */
static int description(struct reader *r, const char *s, struct sphb_lspci *out)
{
	const char *sz;
	char num[32];
	size_t n;
	unsigned idx;
	uint64_t size;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "Region ", 7) && s[7] >= '0' && s[7] <= '9' && s[8] == ':') {
		idx = (unsigned)(s[7] - '0');
		if (idx > 5)
			return fail(r, "'Region %u': a type-0 function has Regions 0..5", idx);
	} else if (!strncmp(s, "Expansion ROM at ", 17)) {
		idx = 6;
	} else {
		return 0; /* any other description line: not ours */
	}
	sz = strstr(s, "[size=");
	if (!sz)
		return 0; /* lspci knows no size: as if the line were absent */
	sz += 6;
	n = strcspn(sz, "]");
	if (sz[n] != ']' || n == 0 || n >= sizeof(num))
		return fail(r, "bad size in '%s'", s);
	memcpy(num, sz, n);
	num[n] = '\0';
	if (sphb_parse_u64(num, true, &size) || !size || (size & (size - 1)))
		return fail(r, "size '%s' is not a power of two", num);
	if (out->region[idx] && out->region[idx] != size)
		return fail(r, "%s%u given twice with different sizes", idx == 6 ? "ROM" : "Region ",
			    idx == 6 ? 0u : idx);
	out->region[idx] = size;
	return 0;
}

static int parse_line(struct reader *r, char *s, bool *seen_text, bool *short_line,
		      struct sphb_lspci *out)
{
	const char *p;
	uint32_t off;
	unsigned nbytes = 0;

	if (*s == ' ' || *s == '\t') {
		const char *t = s;
		while (*t == ' ' || *t == '\t')
			t++;
		if (!*t)
			return 0; /* blank */
		if (!data_line(t, &off)) {
			*seen_text = true;
			return description(r, t, out);
		}
		s = (char *)t; /* an indented data line */
	}
	if (!*s)
		return 0;
	p = data_line(s, &off);
	if (!p) {
		if (*seen_text || out->len)
			return fail(r, "expected 'OFFSET: hh hh ...' (one device per file; the only other "
				    "line allowed is lspci's first line, 'BB:DD.F description')");
		*seen_text = true; /* lspci's header line */
		return 0;
	}
	/* only the last data line may have fewer than 16 bytes */
	if (*short_line)
		return fail(r, "a data line follows a line with fewer than 16 bytes");
	if (off >= PCIE_CFG_SIZE)
		return fail(r, "offset %.*s is beyond 4096-byte configuration space",
			    (int)(p - s - 1), s);
	if (off != out->len)
		return fail(r, "offset 0x%x out of order (expected 0x%x)", off, out->len);
	for (;;) {
		int hi, lo;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (hi < 0 || lo < 0 || (p[2] && p[2] != ' ' && p[2] != '\t')) {
			size_t n = strcspn(p, " \t");
			return fail(r, "bad hex byte '%.*s'", (int)(n > 16 ? 16 : n), p);
		}
		if (nbytes == 16)
			return fail(r, "more than 16 bytes on one line");
		if (out->len >= PCIE_CFG_SIZE)
			return fail(r, "data beyond 4096-byte configuration space");
		out->cfg[out->len++] = (uint8_t)(hi << 4 | lo);
		nbytes++;
		p += 2;
	}
	if (!nbytes)
		return fail(r, "no bytes after the offset");
	*short_line = nbytes < 16;
	return 0;
}

int sphb_lspci_load(const struct sphb_machine *m, const char *type, const char *path,
		    struct sphb_lspci *out)
{
	struct reader r = { m, type, path, 0 };
	char buf[LINE_MAX_LEN + 2];
	bool seen_text = false, short_line = false;
	FILE *f;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!*path)
		return fail(&r, "empty file name");
	f = fopen(path, "r");
	if (!f)
		return fail(&r, "cannot open: %s", strerror(errno));
	while (!rc && fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);

		r.line++;
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		else if (!feof(f))
			rc = fail(&r, "line longer than %u characters", LINE_MAX_LEN);
		while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			buf[--n] = '\0';
		if (rc)
			break;
		if (memchr(buf, '\0', n))
			rc = fail(&r, "not a text file (NUL byte)");
		else
			rc = parse_line(&r, buf, &seen_text, &short_line, out);
	}
	if (!rc && ferror(f))
		rc = fail(&r, "read error");
	fclose(f);
	if (rc)
		return rc;
	r.line = 0;
	if (!out->len)
		return fail(&r, "no configuration-space bytes ('00: hh hh ...')");
	if (out->len < 64)
		return fail(&r, "only %u bytes of configuration space; at least the 64-byte header "
			    "is needed (lspci -xx)", out->len);
	return 0;
}
