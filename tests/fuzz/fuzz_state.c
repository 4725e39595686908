/* libFuzzer target: the state loader (sphb_machine_load, docs/migration.md).
 * Input: a stream, loaded into a fixed machine twice: as it is, and with its
 * length and CRC-32 made consistent (so mutations reach the section parser).
 * Checked on every load:
 *  - a refused stream returns -EBADMSG, -ENXIO, -ENOTSUP or -ENOMEM and leaves
 *    the machine as it was (its save is byte-identical to the one before);
 *  - an accepted stream is canonical: the machine saves it back byte for byte
 *    (unless it holds optional sections or flags, which a save drops), and
 *    that save reloads to the same bytes;
 *  - the loaded state is then exercised (config, MMIO, MSIs, DMA translation,
 *    TCE hypercalls, EEH state and logs, resets of a held PE, errinjct, a
 *    machine reset), so a state the validation let through cannot break a
 *    later call under the sanitizers.
 * Seeds: tests/fuzz/corpus/state, written by tests/fuzz/gen_state.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "stream.h"
#include "state_desc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))


static struct t_host fh;
static struct sphb_machine *fm;
static uint8_t *cur;	/* the machine's save now */
static size_t cur_len;

static bool header_error; /* the last refusal was in the header: nothing was staged yet */

static void fz_log(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o;
	if (l == SPHB_LOG_ERROR)
		header_error = !strncmp(msg, "load: header: ", 14);
}

static uint8_t *save_or_die(struct sphb_machine *m, size_t *n)
{
	size_t need = 0;
	uint8_t *b;

	if (sphb_machine_save(m, NULL, 0, &need) != -ENOSPC || !(b = malloc(need)))
		abort();
	if (sphb_machine_save(m, b, need, n) || *n != need)
		abort();
	return b;
}

/* sections a save does not reproduce: unknown types, flag bits */
static bool has_optional(const uint8_t *p, size_t n)
{
	struct sec sv[256];
	bool whole;
	unsigned ns = sections(p, n, sv, 256, &whole);

	if (!whole)
		return true; /* more than 256 sections: unknown optional ones */
	for (unsigned i = 0; i < ns; i++)
		if (sv[i].flags || sv[i].type < 1 || sv[i].type > 5)
			return true;
	return false;
}

static void fz_rtas(uint32_t token_of, uint32_t nargs, uint32_t nret, const uint32_t *args)
{
	uint32_t r[8];
	(void)t_rtas_n(fm, &fh, token_of, nargs, nret, args, r);
}

static void exercise(void)
{
	static const char *const ids[] = { "a", "b", "c", "d", "e", "f" };
	static const uint32_t offs[] = { 0x00, 0x04, 0x06, 0x10, 0x2c, 0x3c, 0x40, 0x44, 0x48, 0x50,
					 0x100, 0x104, 0x118 };
	static const uint64_t addrs[] = { 0, 0x1000, 0x3fff000, 0x800000000000000ull, 0x800000000010000ull };
	uint64_t args[4], ret, val, gpa;
	int64_t hret;
	unsigned perm;

	for (unsigned k = 0; k < N_OF(ids); k++) {
		uint64_t buid = 0;
		uint32_t cfg = 0, v, a[8];
		const char *name;

		if (sphb_dev_config_addr(fm, ids[k], &buid, &cfg))
			abort(); /* the description has them all */
		for (unsigned i = 0; i < N_OF(offs); i++)
			(void)t_cfg_read(fm, &fh, buid, cfg | (offs[i] & 0xff) | (offs[i] & 0xf00) << 20, 4, &v);
		for (unsigned vec = 0; vec < 5; vec++)
			(void)sphb_dev_msi(fm, ids[k], vec);
		for (unsigned bar = 0; bar < 7; bar++)
			(void)sphb_mmio_read(fm, ids[k], bar, 0, 4, &val);
		for (unsigned i = 0; i < N_OF(addrs); i++)
			(void)sphb_dma_translate(fm, buid, cfg, addrs[i], &gpa, &perm);
		(void)sphb_host_state(fm, ids[k], &name);
		a[0] = cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
		fz_rtas((uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a);
		for (uint32_t i = 0; i < 5; i++) {
			a[3] = i;
			fz_rtas((uint32_t)t_token("ibm,query-interrupt-source-number"), 4, 3, a);
		}
		a[3] = 0; a[4] = 0; a[5] = 1;
		fz_rtas((uint32_t)t_token("ibm,change-msi"), 6, 4, a);
		a[3] = 0;
		fz_rtas((uint32_t)t_token("ibm,get-config-addr-info2"), 4, 2, a);
		a[3] = 0x200000; a[4] = 0; a[5] = 0x300000; a[6] = 2048; a[7] = 1;
		fz_rtas((uint32_t)t_token("ibm,slot-error-detail"), 8, 1, a);
		a[3] = 0; /* the end of a held reset restores the saved header */
		fz_rtas((uint32_t)t_token("ibm,set-slot-reset"), 4, 1, a);
		a[3] = 2;
		fz_rtas((uint32_t)t_token("ibm,set-eeh-option"), 4, 1, a);
		(void)sphb_dev_intx(fm, ids[k], 1);
	}
	for (uint32_t idx = 0; idx < 3; idx++) {
		for (uint32_t w = 0; w < 2; w++) {
			for (unsigned i = 0; i < N_OF(addrs); i++) {
				args[0] = 0x80000000u | idx << 8 | w;
				args[1] = addrs[i];
				(void)sphb_hcall(fm, 0x1c, args, 2, &ret, 1, &hret);
			}
		}
	}
	args[0] = 0x80000000u; args[1] = 0x1000; args[2] = 0x5003;
	(void)sphb_hcall(fm, 0x20, args, 3, &ret, 1, &hret);
	{
		uint32_t r[2], a[1];
		(void)t_rtas_n(fm, &fh, (uint32_t)t_token("ibm,open-errinjct"), 0, 2, a, r);
		a[0] = r[0];
		fz_rtas((uint32_t)t_token("ibm,close-errinjct"), 1, 1, a);
	}
	(void)sphb_machine_reset(fm);
}

static void check_one(const uint8_t *p, size_t n)
{
	uint8_t *s1, *s2;
	size_t n1, n2;
	int rc = sphb_machine_load(fm, p, n);

	if (rc) {
		if (rc != -EBADMSG && rc != -ENXIO && rc != -ENOTSUP && rc != -ENOMEM)
			abort();
		if (header_error && !(n & 1))
			return; /* refused before anything was staged (checked on odd sizes) */
		s1 = save_or_die(fm, &n1);
		if (n1 != cur_len || memcmp(s1, cur, n1))
			abort(); /* a refused load changed the machine */
		free(s1);
		return;
	}
	s1 = save_or_die(fm, &n1);
	if ((n1 != n || memcmp(s1, p, n)) && !has_optional(p, n))
		abort(); /* accepted, but the state is not what the stream says */
	if (sphb_machine_load(fm, s1, n1))
		abort();
	s2 = save_or_die(fm, &n2);
	if (n2 != n1 || memcmp(s1, s2, n1))
		abort();
	free(s1);
	free(s2);
	exercise();
	free(cur);
	cur = save_or_die(fm, &cur_len);
}

static struct sphb_machine *fuzz_state_machine(struct t_host *h, void (*log)(void *, enum sphb_log_level, const char *))
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *m;

	ops.log = log;
	memset(h, 0, sizeof(*h));
	h->ram_size = T_RAM_SIZE;
	h->ram = calloc(1, h->ram_size);
	if (!h->ram || sphb_machine_new_default(&ops, h, &m))
		abort();
	for (unsigned i = 0; fuzz_state_desc[i]; i++)
		if (sphb_machine_add(m, fuzz_state_desc[i]))
			abort();
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fm) {
		fm = fuzz_state_machine(&fh, fz_log);
		cur = save_or_die(fm, &cur_len);
	}
	check_one(data, size);
	if (size >= 32) {
		uint8_t *x = malloc(size);
		if (!x)
			abort();
		memcpy(x, data, size);
		fix(x, size);
		check_one(x, size);
		free(x);
	}
	return 0;
}
