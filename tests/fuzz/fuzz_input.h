/* Reading a fuzz input as a stream of big-endian numbers: once the input is
 * used up every read returns 0, so any byte string decodes to something.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_FUZZ_INPUT_H
#define SPHB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

struct in {
	const uint8_t *p;
	size_t n;
};

/* the next `bytes` (at most 8) bytes as a big-endian number */
static inline uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

/* the guest RAM that every input of a target shares, allocated by the first
 * input (which this returns true for) */
static inline int fz_ram_once(struct t_host *h, size_t size)
{
	if (h->ram)
		return 0;
	h->ram_size = size;
	h->ram = calloc(1, size);
	if (!h->ram)
		abort();
	return 1;
}

#endif
