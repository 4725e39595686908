/* Reading a fuzz input as a stream of big-endian numbers: once the input is
 * used up every read returns 0, so any byte string decodes to something.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_FUZZ_INPUT_H
#define SPHB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

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

#endif
