/* The log sink (one formatted message per call to the host's callback; the
 * library never prints) and the rule for structs with a size member.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "internal.h"

void sphb_log(const struct sphb_machine *m, enum sphb_log_level lvl,
	      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!m || !m->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->ops.log(m->opaque, lvl, msg);
}

int sphb_struct_in(void *dst, size_t dst_sz, const void *src, size_t src_sz, size_t need)
{
	const uint8_t *extra = (const uint8_t *)src + dst_sz;

	if (src_sz < need)
		return -EINVAL;
	for (size_t i = 0; src_sz > dst_sz && i < src_sz - dst_sz; i++)
		if (extra[i])
			return -E2BIG; /* a member of a newer version, in use */
	memset(dst, 0, dst_sz);
	memcpy(dst, src, src_sz < dst_sz ? src_sz : dst_sz);
	*(size_t *)dst = dst_sz;
	return 0;
}
