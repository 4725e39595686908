/* QEMU-style device descriptions: "type,key=value,key=value".
 * Errors are logged as "TYPE: KEY=VALUE: reason" and return -EINVAL.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int sphb_parse_u64(const char *s, bool size_suffix, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	unsigned digits = 0;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++, digits++) {
		unsigned d;
		char ch = *s;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits)
		return -EINVAL;
	if (*s && size_suffix) {
		unsigned shift;

		switch (*s) {
		case 'k': case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		if (s[1])
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
		s++;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

int sphb_opts_parse(const struct sphb_machine *m, const char *spec,
		    struct sphb_opts *o)
{
	size_t len;
	char *p, *end;

	memset(o, 0, sizeof(*o));
	if (!spec || !*spec) {
		sphb_log(m, SPHB_LOG_ERROR, "empty device description");
		return -EINVAL;
	}
	len = strlen(spec);
	if (len >= sizeof(o->buf)) {
		sphb_log(m, SPHB_LOG_ERROR, "device description too long (%zu bytes, at most %zu)",
			 len, sizeof(o->buf) - 1);
		return -EINVAL;
	}
	memcpy(o->buf, spec, len + 1);
	p = o->buf;
	end = strchr(p, ',');
	if (end)
		*end = '\0';
	if (!*p || strlen(p) >= sizeof(o->type)) {
		sphb_log(m, SPHB_LOG_ERROR, "bad device type '%s'", p);
		return -EINVAL;
	}
	strcpy(o->type, p);
	while (end) {
		char *eq;
		unsigned i;

		p = end + 1;
		end = strchr(p, ',');
		if (end)
			*end = '\0';
		eq = strchr(p, '=');
		if (!eq || eq == p) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: '%s': expected KEY=VALUE", o->type, p);
			return -EINVAL;
		}
		*eq = '\0';
		if (strlen(p) >= sizeof(o->o[0].key)) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: %s: unknown option", o->type, p);
			return -EINVAL;
		}
		for (i = 0; i < o->n; i++) {
			if (!strcmp(o->o[i].key, p)) {
				sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: option given twice",
					 o->type, p, eq + 1);
				return -EINVAL;
			}
		}
		if (o->n == SPHB_OPTS_MAX) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: too many options (at most %u)",
				 o->type, SPHB_OPTS_MAX);
			return -EINVAL;
		}
		strcpy(o->o[o->n].key, p);
		o->o[o->n].val = eq + 1;
		o->n++;
	}
	return 0;
}

const char *sphb_opts_get(struct sphb_opts *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++) {
		if (!strcmp(o->o[i].key, key)) {
			o->o[i].used = true;
			return o->o[i].val;
		}
	}
	return NULL;
}

int sphb_opts_u64(const struct sphb_machine *m, struct sphb_opts *o,
		  const char *key, uint64_t dflt, uint64_t min, uint64_t max,
		  bool size_suffix, uint64_t *out)
{
	const char *v = sphb_opts_get(o, key);
	uint64_t x;

	if (!v) {
		*out = dflt;
		return 0;
	}
	if (sphb_parse_u64(v, size_suffix, &x)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: not a number", o->type, key, v);
		return -EINVAL;
	}
	if (x < min || x > max) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: out of range 0x%llx..0x%llx",
			 o->type, key, v, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int sphb_opts_bool(const struct sphb_machine *m, struct sphb_opts *o,
		   const char *key, bool dflt, bool *out)
{
	const char *v = sphb_opts_get(o, key);

	if (!v) {
		*out = dflt;
	} else if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
		*out = true;
	} else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
		*out = false;
	} else {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: expected on or off", o->type, key, v);
		return -EINVAL;
	}
	return 0;
}

int sphb_opts_id(const struct sphb_machine *m, struct sphb_opts *o,
		 char *out, size_t outsz)
{
	const char *v = sphb_opts_get(o, "id");
	size_t i, n;

	out[0] = '\0';
	if (!v)
		return 0;
	n = strlen(v);
	if (n == 0 || n >= outsz) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: id=%s: must be 1..%zu characters",
			 o->type, v, outsz - 1);
		return -EINVAL;
	}
	/* QEMU ids: a letter, then letters, digits, '-', '.', '_' */
	for (i = 0; i < n; i++) {
		char c = v[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool ok = alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '-' ||
					       c == '.' || c == '_'));
		if (!ok) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "%s: id=%s: must start with a letter and contain only letters, digits, '-', '.', '_'",
				 o->type, v);
			return -EINVAL;
		}
	}
	memcpy(out, v, n + 1);
	return 0;
}

int sphb_opts_check_unused(const struct sphb_machine *m, struct sphb_opts *o)
{
	for (unsigned i = 0; i < o->n; i++) {
		if (!o->o[i].used) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: unknown option", o->type,
				 o->o[i].key, o->o[i].val);
			return -EINVAL;
		}
	}
	return 0;
}

/* "type,key=value,..." again, without the keys listed in `skip` (NULL-ended,
 * may be NULL), then `tail` (",key=value..." or ""); malloc'd, NULL when out
 * of memory. Values never hold a comma (the parser splits on every one). */
char *sphb_opts_string(const struct sphb_opts *o, const char *const *skip, const char *tail)
{
	size_t len = strlen(o->type) + strlen(tail) + 1, at;
	char *s;

	for (unsigned i = 0; i < o->n; i++)
		len += strlen(o->o[i].key) + strlen(o->o[i].val) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	at = (size_t)snprintf(s, len, "%s", o->type);
	for (unsigned i = 0; i < o->n; i++) {
		bool skipped = false;
		for (const char *const *k = skip; k && *k; k++)
			skipped |= !strcmp(*k, o->o[i].key);
		if (!skipped)
			at += (size_t)snprintf(s + at, len - at, ",%s=%s", o->o[i].key, o->o[i].val);
	}
	snprintf(s + at, len - at, "%s", tail);
	return s;
}
