/* Seed generator for fuzz_state: valid streams of the fuzz machine
 * (state_desc.h) in states made by random guest and host operations
 * (tests/state_ops.h), plus a stream with an unknown optional section and one
 * with the optional flag on a known section. Not built by make; from the top
 * directory:
 *   make lib && cc -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc -Itests \
 *     -o /tmp/gen_state tests/fuzz/gen_state.c build/libsphb.a &&
 *   rm -f tests/fuzz/corpus/state/seed-* && /tmp/gen_state tests/fuzz/corpus/state
 * SPDX-License-Identifier: MIT */
#include "state_ops.h"
#include "stream.h"
#include "state_desc.h"

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned nseeds = 40;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_state DIR\n");
		return 2;
	}
	for (unsigned seed = 0; seed < nseeds; seed++) {
		struct mh H;
		struct sphb_machine *m = new_machine(&H);
		uint64_t s = 0x9e3779b97f4a7c15ull * (seed + 1);
		unsigned nops = seed ? 20 + rn(&s, 40 * seed) : 0;
		uint8_t *p;
		size_t n;
		char name[32];

		for (unsigned i = 0; fuzz_state_desc[i]; i++)
			add(m, &H, fuzz_state_desc[i]);
		for (unsigned i = 0; i < nops; i++)
			(void)step(m, &H, &s);
		p = save(m, &n);
		snprintf(name, sizeof(name), "%02u", seed);
		put(argv[1], name, p, n);
		if (seed == 1 || seed == 2) {
			/* an unknown optional section before the groups; the
			 * optional flag on the machine section */
			static const uint8_t extra[12 + 3] = { 0x34, 0x12, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 8, 9 };
			struct sec sv[64];
			unsigned ns = sections(p, n, sv, 64, NULL);
			uint8_t *q = malloc(n + sizeof(extra));

			if (!q)
				exit(1);
			if (seed == 1) {
				size_t at = sv[ns - 1].at;
				memcpy(q, p, at);
				memcpy(q + at, extra, sizeof(extra));
				memcpy(q + at + sizeof(extra), p + at, n - at);
				st_put_le(q + 12, le(q + 12, 4) + 1, 4);
				fix(q, n + sizeof(extra));
				put(argv[1], "optional-section", q, n + sizeof(extra));
			} else {
				memcpy(q, p, n);
				q[sv[0].at + 2] = 1;
				fix(q, n);
				put(argv[1], "optional-flag", q, n);
			}
			free(q);
		}
		free(p);
		free_machine(m, &H);
	}
	return t_result();
}
