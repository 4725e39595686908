/* The rule for structs a caller passes in with a size member first (the
 * public header's "Structs passed in with a size member"): header-only, so
 * that the guest driver, a client of the public API alone, applies the same
 * rule without linking the library's internals.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_UTIL_STRUCT_IN_H
#define SPHB_UTIL_STRUCT_IN_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Copy a caller's struct with a size member first into the library's: a
 * smaller one must reach `need` bytes (its required members), a larger one
 * may only add zero bytes. 0, -EINVAL (too small), -E2BIG. */
static inline int sphb_struct_in(void *dst, size_t dst_sz, const void *src, size_t src_sz, size_t need)
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

#endif
