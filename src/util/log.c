/* The log sink (one formatted message per call to the host's callback; the
 * library never prints).
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
