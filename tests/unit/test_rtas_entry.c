/* The RTAS entry point sphb_rtas_call(), as a guest's H_RTAS reaches it.
 *
 * Sections:
 *   - unknown tokens: ret[0] = -3 (RTAS_OUT_PARAM_ERROR), nothing else
 *     written, the hcall fails (QEMU 7.2 hw/ppc/spapr_rtas.c,
 *     spapr_rtas_call(): H_PARAMETER; here -ENOENT);
 *   - the token table: the numbers QEMU 7.2 registers (include/hw/ppc/spapr.h,
 *     RTAS_TOKEN_BASE 0x2000 + n; hw/ppc/spapr_pci.c, spapr_pci_rtas_init())
 *     and the argument/result counts of each call (PAPR §7.3.4, §7.3.11);
 *   - decode: token, nargs, nret as big-endian words, args then rets
 *     (PAPR §7.2.7 "RTAS Call Conventions");
 *   - bad buffers: refused with -EFAULT/-EINVAL before anything is stored;
 *   - the top 4 address bits are not decoded (QEMU 7.2 hw/ppc/spapr_hcall.c,
 *     h_rtas(): ppc64_phys_to_real());
 *   - partial outputs: only the outputs a call produces are stored;
 *   - struct sphb_rtas_result (include/sphb/sphb.h).
 * Expected values come from those sources, never from a run.
 * SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "harness.h"

static unsigned n_checks;
#define CK(c) do { n_checks++; CHECK(c); } while (0)
#define CK_EQ(a, b) do { n_checks++; CHECK_EQ(a, b); } while (0)

#define TOK_READ_LEGACY 0x2014u
#define TOK_WRITE_LEGACY 0x2015u
#define TOK_READ 0x2016u
#define TOK_WRITE 0x2017u
#define HI0 0x08000000u		/* BUID 0x0800000020000000, high word */
#define LO0 0x20000000u		/* ... low word */

/* 00:02.0 vendor 0x8086 device 0x100e: dword 0 reads 0x100e8086 */
#define DEV2 "sim-pci,bus=pci.0,addr=2,id=d2,vendor=0x8086,device=0x100e"
#define DEV2_ID 0x100e8086u

static uint8_t *ram_copy;

static void snap(struct t_host *h)
{
	memcpy(ram_copy, h->ram, h->ram_size);
}

static int ram_unchanged(struct t_host *h)
{
	return !memcmp(ram_copy, h->ram, h->ram_size);
}

/* Write a raw buffer: header + words (args then rets), big-endian. */
static void put_buf(struct t_host *h, uint64_t at, uint32_t token, uint32_t nargs,
		    uint32_t nret, const uint32_t *words, unsigned nwords)
{
	t_st32(h, at, token);
	t_st32(h, at + 4, nargs);
	t_st32(h, at + 8, nret);
	for (unsigned i = 0; i < nwords; i++)
		t_st32(h, at + 12 + 4 * i, words[i]);
}

static void unknown_tokens(void)
{
	static const uint32_t toks[] = {
		0x0000000a,	/* QEMU's display-character alias: the VMM's, not ours */
		0x00002000,	/* display-character: a VMM call */
		0x00002013,	/* nvram-store */
		0x0000201f,
		0x0000202d,	/* >= RTAS_TOKEN_MAX of 7.2 */
		0x00001fff,
		0x10002016,	/* ibm,read-pci-config's low bits, other high bits */
		0x80002016,
		0xffffffff,
		0x00000000,
	};
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	uint32_t r[4];
	uint32_t a[4] = { 0x1000, HI0, LO0, 4 };

	for (unsigned i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		CK_EQ(t_rtas_n(m, &h, toks[i], 4, 3, a, r), -ENOENT);
		CK_EQ((int32_t)r[0], -3);	/* RTAS_OUT_PARAM_ERROR */
		CK_EQ(r[1], T_SENTINEL);	/* nothing else written */
		CK_EQ(r[2], T_SENTINEL);
		CK(sphb_rtas_name(toks[i]) == NULL);
		CK_EQ(sphb_rtas_counts(toks[i], NULL, NULL), -ENOENT);
	}
	/* nret = 0: -ENOENT and not one byte of guest memory written */
	put_buf(&h, T_BUF, 0x1234, 1, 0, (const uint32_t[]){ 7, 0xa5a5a5a5u }, 2);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, T_BUF, NULL), -ENOENT);
	CK(ram_unchanged(&h));
	/* many args: ret[0] lands right after them */
	{
		uint32_t args[10];
		for (unsigned i = 0; i < 10; i++)
			args[i] = 0x11111111u * i;
		CK_EQ(t_rtas_n(m, &h, 0x4242, 10, 2, args, r), -ENOENT);
		CK_EQ((int32_t)r[0], -3);
		CK_EQ(r[1], T_SENTINEL);
		for (unsigned i = 0; i < 10; i++)
			CK_EQ(t_ld32(&h, T_BUF + 12 + 4 * i), 0x11111111u * i);
	}
	t_free(m, &h);

	/* no arguments at all, on a machine with no device */
	m = t_machine(&h, NULL);
	CK_EQ(t_rtas_n(m, &h, 0x1234, 0, 2, NULL, r), -ENOENT);
	CK_EQ((int32_t)r[0], -3);
	CK_EQ(r[1], T_SENTINEL);
	CK_EQ(t_rtas_n(m, &h, 0x2013, 0, 1, NULL, r), -ENOENT); /* free slot in range */
	CK_EQ((int32_t)r[0], -3);
	CK_EQ(t_rtas_n(m, &h, 0x2000 + 0x40, 0, 1, NULL, r), -ENOENT); /* past the table */
	CK_EQ((int32_t)r[0], -3);
	CK_EQ(t_rtas_n(m, &h, 0xffffffffu, 0, 1, NULL, r), -ENOENT);
	/* nret = 0: nothing is written, not even ret[0] */
	{
		uint8_t snapshot[256];
		memcpy(snapshot, h.ram + T_BUF, sizeof(snapshot));
		CK_EQ(t_rtas_n(m, &h, 0x1234, 0, 0, NULL, r), -ENOENT);
		CK(!memcmp(snapshot + 12, h.ram + T_BUF + 12, sizeof(snapshot) - 12));
	}
	t_free(m, &h);
}

static void token_table(void)
{
	static const struct { const char *name; uint32_t token, nargs, nret; } c[] = {
		{ "read-pci-config", 0x2014, 2, 2 },
		{ "write-pci-config", 0x2015, 3, 1 },
		{ "ibm,read-pci-config", 0x2016, 4, 2 },
		{ "ibm,write-pci-config", 0x2017, 5, 1 },
		{ "ibm,set-eeh-option", 0x2020, 4, 1 },
		{ "ibm,get-config-addr-info2", 0x2021, 4, 2 },
		{ "ibm,read-slot-reset-state2", 0x2022, 3, 4 },
		{ "ibm,set-slot-reset", 0x2023, 4, 1 },
		{ "ibm,configure-pe", 0x2024, 3, 1 },
		{ "ibm,slot-error-detail", 0x2025, 8, 1 },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t na = 0xeeee, nr = 0xeeee;
		const char *name = sphb_rtas_name(c[i].token);

		CK_EQ(sphb_rtas_token(c[i].name), (int)c[i].token);
		CK(name != NULL && !strcmp(name, c[i].name));
		CK_EQ(sphb_rtas_counts(c[i].token, &na, &nr), 0);
		CK_EQ(na, c[i].nargs);
		CK_EQ(nr, c[i].nret);
		/* either output may be NULL */
		na = 0xeeee;
		CK_EQ(sphb_rtas_counts(c[i].token, &na, NULL), 0);
		CK_EQ(na, c[i].nargs);
		nr = 0xeeee;
		CK_EQ(sphb_rtas_counts(c[i].token, NULL, &nr), 0);
		CK_EQ(nr, c[i].nret);
	}
	/* names are exact device-tree property names */
	CK_EQ(sphb_rtas_token("ibm,read-pci-config "), -ENOENT);
	CK_EQ(sphb_rtas_token("IBM,READ-PCI-CONFIG"), -ENOENT);
	CK_EQ(sphb_rtas_token("ibm,read-pci"), -ENOENT);
	CK_EQ(sphb_rtas_token(""), -ENOENT);
	CK_EQ(sphb_rtas_token("display-character"), -ENOENT);
	CK_EQ(sphb_rtas_token("no-such-call"), -ENOENT);
	CK(sphb_rtas_token(NULL) < 0);
	CK_EQ(sphb_rtas_token(NULL), -EINVAL);
	/* tokens with no call */
	CK(sphb_rtas_name(0x1234) == NULL);
	CK(sphb_rtas_name(0x2013) == NULL);
	CK_EQ(sphb_rtas_counts(0x1234, NULL, NULL), -ENOENT);
}

/* token, nargs and nret are decoded as big-endian words; args follow them
 * and rets follow the args. */
static void decode(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	struct sphb_rtas_result res;
	uint32_t r[3];

	/* a correct call: known token -> 0, status in ret[0] */
	put_buf(&h, T_BUF, TOK_READ, 4, 2,
		(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
	memset(&res, 0xa5, sizeof(res));
	res.sz = sizeof(res);
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
	CK_EQ(t_ld32(&h, T_BUF + 28), 0);
	CK_EQ(t_ld32(&h, T_BUF + 32), DEV2_ID);
	CK_EQ(res.token, TOK_READ);
	CK_EQ(res.nargs, 4);
	CK_EQ(res.nret, 2);
	CK_EQ(res.rets_written, 3);
	/* the arguments are not modified by the call */
	CK_EQ(t_ld32(&h, T_BUF + 0), TOK_READ);
	CK_EQ(t_ld32(&h, T_BUF + 4), 4);
	CK_EQ(t_ld32(&h, T_BUF + 8), 2);
	CK_EQ(t_ld32(&h, T_BUF + 12), 0x1000);
	CK_EQ(t_ld32(&h, T_BUF + 16), HI0);
	CK_EQ(t_ld32(&h, T_BUF + 20), LO0);
	CK_EQ(t_ld32(&h, T_BUF + 24), 4);

	/* the same call at another address in RAM */
	put_buf(&h, 0x7f0, TOK_READ, 4, 2,
		(const uint32_t[]){ 0x1000, HI0, LO0, 2, T_SENTINEL, T_SENTINEL }, 6);
	CK_EQ(sphb_rtas_call(m, 0x7f0, NULL), 0);
	CK_EQ(t_ld32(&h, 0x7f0 + 28), 0);
	CK_EQ(t_ld32(&h, 0x7f0 + 32), DEV2_ID & 0xffff);

	/* a known token with a count the call refuses still runs: -1 (QEMU 7.2
	 * hw/ppc/spapr_pci.c, rtas_ibm_read_pci_config()), and
	 * the counts are taken from the buffer: ret[0] follows the 3 args */
	put_buf(&h, T_BUF, TOK_READ, 3, 3,
		(const uint32_t[]){ 0x1000, HI0, LO0, T_SENTINEL, T_SENTINEL, T_SENTINEL }, 6);
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
	CK_EQ((int32_t)t_ld32(&h, T_BUF + 24), -1);
	CK_EQ(t_ld32(&h, T_BUF + 28), T_SENTINEL);
	CK_EQ(t_ld32(&h, T_BUF + 32), T_SENTINEL);
	CK_EQ(res.token, TOK_READ);
	CK_EQ(res.nargs, 3);
	CK_EQ(res.nret, 3);
	CK_EQ(res.rets_written, 1);

	/* write then read through the entry: both decode their args */
	{
		uint32_t a[5] = { 0x103c, HI0, LO0, 1, 0x5a };
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE, 5, 1, a, r), 0);
		CK_EQ(r[0], 0);
		uint32_t b[4] = { 0x103c, HI0, LO0, 1 };
		CK_EQ(t_rtas_n(m, &h, TOK_READ, 4, 2, b, r), 0);
		CK_EQ(r[0], 0);
		CK_EQ(r[1], 0x5a);
	}
	/* the legacy calls are decoded as well (and fail: BUID 0, QEMU 7.2
	 * rtas_read_pci_config()) */
	{
		uint32_t a[2] = { 0x1000, 4 };
		CK_EQ(t_rtas_n(m, &h, TOK_READ_LEGACY, 2, 2, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
		uint32_t b[3] = { 0x103c, 1, 0x77 };
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE_LEGACY, 3, 1, b, r), 0);
		CK_EQ((int32_t)r[0], -1);
	}
	t_free(m, &h);
}

/* A host whose mem_write can be made to fail, to see output stores refused. */
struct ro_host {
	struct t_host h;
	int ro;
};

static int ro_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct ro_host *r = opaque;
	if (r->ro)
		return -EFAULT;
	return t_mem_write(&r->h, gpa, buf, len);
}

static void bad_buffers(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	struct sphb_rtas_result res;
	const uint64_t end = T_RAM_SIZE;
	unsigned logs;

	/* addresses the host rejects: -EFAULT, RAM untouched, a log message */
	logs = h.nlogs;
	CK_EQ(sphb_rtas_call(m, T_RAM_SIZE, NULL), -EFAULT);
	CK_EQ(sphb_rtas_call(m, UINT64_MAX & 0x0fffffffffffffffull, NULL), -EFAULT);
	CK(h.nlogs > logs);
	CK_EQ(h.writes, 0);	/* not one store */
	{
		static const uint64_t bad[] = {
			T_RAM_SIZE, T_RAM_SIZE + 4096, T_RAM_SIZE - 8, T_RAM_SIZE - 1,
			0x0fffffffffffff00ull, 0x0ffffffffffffff8ull, 0xffffffffffffffffull,
			0x0800000000000000ull | T_BUF,	/* bit 59 is decoded */
			1ull << 32,
		};
		put_buf(&h, T_BUF, TOK_READ, 4, 2,
			(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snap(&h);
			logs = h.nlogs;
			memset(&res, 0, sizeof(res));
			res.sz = sizeof(res);
			res.rets_written = 0xffffffffu;
			CK_EQ(sphb_rtas_call(m, bad[i], &res), -EFAULT);
			CK(ram_unchanged(&h));
			CK(h.nlogs > logs);
			CK_EQ(res.rets_written, 0);
		}
	}

	/* straddling the end of RAM */
	/* header inside, the last argument and the rets outside */
	put_buf(&h, end - 16, TOK_READ, 4, 2, NULL, 0);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, end - 16, NULL), -EFAULT);
	CK(ram_unchanged(&h));
	/* header entirely inside, the 4 args + 2 rets outside */
	put_buf(&h, end - 12, TOK_READ, 4, 2, NULL, 0);
	snap(&h);
	logs = h.nlogs;
	CK_EQ(sphb_rtas_call(m, end - 12, NULL), -EFAULT);
	CK(ram_unchanged(&h));
	CK(h.nlogs > logs);
	/* header + args inside, rets outside (one read covers args + rets) */
	put_buf(&h, end - 28, TOK_READ, 4, 2, (const uint32_t[]){ 0x1000, HI0, LO0, 4 }, 4);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, end - 28, NULL), -EFAULT);
	CK(ram_unchanged(&h));
	/* header + args + ret[0] inside, ret[1] outside */
	put_buf(&h, end - 32, TOK_READ, 4, 2,
		(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL }, 5);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, end - 32, NULL), -EFAULT);
	CK(ram_unchanged(&h));
	/* header straddles */
	t_st32(&h, end - 8, TOK_READ);
	t_st32(&h, end - 4, 0);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, end - 8, NULL), -EFAULT);
	CK(ram_unchanged(&h));
	/* the whole buffer fits exactly at the end: it runs */
	put_buf(&h, end - 36, TOK_READ, 4, 2,
		(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
	CK_EQ(sphb_rtas_call(m, end - 36, NULL), 0);
	CK_EQ(t_ld32(&h, end - 8), 0);
	CK_EQ(t_ld32(&h, end - 4), DEV2_ID);
	/* a header-only buffer at the very end (no args, no rets) */
	put_buf(&h, end - 12, 0x1234, 0, 0, NULL, 0);
	snap(&h);
	CK_EQ(sphb_rtas_call(m, end - 12, NULL), -ENOENT);
	CK(ram_unchanged(&h));

	/* nargs + nret > SPHB_RTAS_MAX_CELLS: -EINVAL, untouched; also for counts
	 * whose 32-bit sum wraps around */
	{
		static const uint32_t big[][2] = {
			{ 0xffffffffu, 1 }, { 0xffffffffu, 0 }, { 0xffffffffu, 0xffffffffu },
			{ 1, 0xffffffffu }, { 0, 0xffffffffu }, { 0x80000000u, 0x80000000u },
			{ 0xfffffffeu, 2 }, { 2, 0xfffffffeu },
			{ SPHB_RTAS_MAX_CELLS + 1, 0 }, { 0, SPHB_RTAS_MAX_CELLS + 1 },
			{ SPHB_RTAS_MAX_CELLS, 1 }, { 1, SPHB_RTAS_MAX_CELLS },
			{ SPHB_RTAS_MAX_CELLS / 2 + 1, SPHB_RTAS_MAX_CELLS / 2 },
		};
		static const uint32_t toks[] = { TOK_READ, TOK_WRITE, 0x1234 };
		static const uint32_t big2[][2] = { { 0xffffffffu, 1 }, { 1, 0xffffffffu }, { 33, 32 },
						    { 65, 0 }, { 0x80000000u, 0x80000000u } };
		/* without a result struct */
		for (unsigned i = 0; i < 5; i++) {
			put_buf(&h, T_BUF, TOK_READ, big2[i][0], big2[i][1], NULL, 0);
			snap(&h);
			CK_EQ(sphb_rtas_call(m, T_BUF, NULL), -EINVAL);
			CK(ram_unchanged(&h));
		}
		for (unsigned t = 0; t < 3; t++) {
			for (unsigned i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
				put_buf(&h, T_BUF, toks[t], big[i][0], big[i][1], NULL, 0);
				snap(&h);
				memset(&res, 0, sizeof(res));
				res.sz = sizeof(res);
				CK_EQ(sphb_rtas_call(m, T_BUF, &res), -EINVAL);
				CK(ram_unchanged(&h));
				CK_EQ(res.rets_written, 0);
			}
		}
	}
	/* exactly SPHB_RTAS_MAX_CELLS cells is accepted (QEMU's answer to the
	 * wrong counts: -1) */
	put_buf(&h, T_BUF, TOK_READ, SPHB_RTAS_MAX_CELLS - 2, 2, NULL, 0);
	CK_EQ(sphb_rtas_call(m, T_BUF, NULL), 0);
	CK_EQ((int32_t)t_ld32(&h, T_BUF + 12 + 4 * (SPHB_RTAS_MAX_CELLS - 2)), -1);
	{
		uint32_t args[SPHB_RTAS_MAX_CELLS], r[SPHB_RTAS_MAX_CELLS];
		memset(args, 0, sizeof(args));
		CK_EQ(t_rtas_n(m, &h, 0x1234, SPHB_RTAS_MAX_CELLS - 1, 1, args, r), -ENOENT);
		CK_EQ((int32_t)r[0], -3);
		CK_EQ(t_rtas_n(m, &h, 0x1234, 0, SPHB_RTAS_MAX_CELLS, NULL, r), -ENOENT);
		CK_EQ((int32_t)r[0], -3);
		for (unsigned i = 1; i < SPHB_RTAS_MAX_CELLS; i++)
			if (r[i] != T_SENTINEL)
				CK_EQ(r[i], T_SENTINEL);
		CK_EQ(t_rtas_n(m, &h, TOK_READ, SPHB_RTAS_MAX_CELLS - 2, 2, args, r), 0);
		CK_EQ((int32_t)r[0], -1);	/* wrong nargs for the call */
		CK_EQ(r[1], T_SENTINEL);
	}
	t_free(m, &h);

	/* outputs the host refuses to store: -EFAULT, logged, RAM untouched */
	{
		struct ro_host rh;
		struct sphb_host_ops ops = t_ops();
		struct sphb_machine *m2 = NULL;

		memset(&rh, 0, sizeof(rh));
		rh.h.ram_size = T_RAM_SIZE;
		rh.h.ram = calloc(1, T_RAM_SIZE);
		ops.mem_write = ro_mem_write;
		if (!rh.h.ram || sphb_machine_new_default(&ops, &rh, &m2) ||
		    sphb_machine_add(m2, DEV2)) {
			fprintf(stderr, "cannot build the read-only host\n");
			exit(1);
		}
		put_buf(&rh.h, T_BUF, TOK_READ, 4, 2,
			(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
		rh.ro = 1;
		snap(&rh.h);
		logs = rh.h.nlogs;
		CK_EQ(sphb_rtas_call(m2, T_BUF, NULL), -EFAULT);
		CK(ram_unchanged(&rh.h));
		CK(rh.h.nlogs > logs);
		/* the same buffer works once writes are allowed */
		rh.ro = 0;
		CK_EQ(sphb_rtas_call(m2, T_BUF, NULL), 0);
		CK_EQ(t_ld32(&rh.h, T_BUF + 28), 0);
		CK_EQ(t_ld32(&rh.h, T_BUF + 32), DEV2_ID);
		sphb_machine_free(m2);
		free(rh.h.ram);
	}
}

/* The r4 of H_RTAS is a real-mode address: its top 4 bits are dropped. */
static void top_bits(void)
{
	static const uint64_t hi[] = {
		0xf000000000000000ull, 0x8000000000000000ull, 0x1000000000000000ull,
		0xc000000000000000ull, 0x7000000000000000ull,
	};
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	struct sphb_rtas_result res;

	for (unsigned i = 0; i < sizeof(hi) / sizeof(hi[0]); i++) {
		put_buf(&h, T_BUF, TOK_READ, 4, 2,
			(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
		memset(&res, 0, sizeof(res));
		res.sz = sizeof(res);
		CK_EQ(sphb_rtas_call(m, hi[i] | T_BUF, &res), 0);
		CK_EQ(t_ld32(&h, T_BUF + 28), 0);
		CK_EQ(t_ld32(&h, T_BUF + 32), DEV2_ID);
		CK_EQ(res.token, TOK_READ);
		CK_EQ(res.nargs, 4);
		CK_EQ(res.nret, 2);
		CK_EQ(res.rets_written, 3);
	}
	/* unknown token through a high-bit address: ret[0] = -3 at the real address */
	put_buf(&h, T_BUF, 0x1234, 0, 1, (const uint32_t[]){ T_SENTINEL }, 1);
	CK_EQ(sphb_rtas_call(m, 0xf000000000000000ull | T_BUF, NULL), -ENOENT);
	CK_EQ((int32_t)t_ld32(&h, T_BUF + 12), -3);
	t_free(m, &h);
}

/* Only the outputs a call produces are stored; the rest keep their contents. */
static void partial_outputs(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	struct sphb_rtas_result res;
	uint32_t r[4];

	/* failing read: status only */
	{
		uint32_t a[4] = { 0x1000, HI0, LO0, 3 };
		CK_EQ(t_rtas_n(m, &h, TOK_READ, 4, 2, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
		/* the same buffer again: one output stored */
		memset(&res, 0, sizeof(res));
		res.sz = sizeof(res);
		CK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
		CK_EQ(res.rets_written, 1);
		/* arguments are never modified */
		CK_EQ(t_ld32(&h, T_BUF + 12), 0x1000);
		CK_EQ(t_ld32(&h, T_BUF + 24), 3);
	}
	/* absent slot */
	{
		uint32_t a[4] = { 0x1800, HI0, LO0, 4 };
		CK_EQ(t_rtas_n(m, &h, TOK_READ, 4, 2, a, r), 0);
		CK_EQ((int32_t)r[0], -1);
		CK_EQ(r[1], T_SENTINEL);
	}
	/* a write has one output only */
	{
		uint32_t a[5] = { 0x1004, HI0, LO0, 2, 0 };
		CK_EQ(t_rtas_n(m, &h, TOK_WRITE, 5, 1, a, r), 0);
		CK_EQ(r[0], 0);
		CK_EQ(t_ld32(&h, T_BUF + 12 + 4 * 6), 0);	/* beyond nret: never touched */
	}
	/* nret = 0 with a known call: nothing stored, rets_written 0 */
	put_buf(&h, T_BUF, TOK_READ, 4, 0,
		(const uint32_t[]){ 0x1000, HI0, LO0, 4, T_SENTINEL, T_SENTINEL }, 6);
	snap(&h);
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
	CK(ram_unchanged(&h));
	CK_EQ(res.rets_written, 0);
	CK_EQ(res.nret, 0);
	t_free(m, &h);
}

/* struct sphb_rtas_result: filled as documented, never past `sz`. */
static void result_struct(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, DEV2, NULL);
	struct {
		struct sphb_rtas_result r;
		uint32_t guard[8];
	} big;
	struct sphb_rtas_result res;

	/* unknown token: token/counts reported, ret[0] written */
	put_buf(&h, T_BUF, 0x4321, 2, 3, (const uint32_t[]){ 1, 2 }, 2);
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), -ENOENT);
	CK_EQ(res.token, 0x4321);
	CK_EQ(res.nargs, 2);
	CK_EQ(res.nret, 3);
	CK_EQ(res.rets_written, 1);
	/* unknown token, nret 0 */
	put_buf(&h, T_BUF, 0x4321, 0, 0, NULL, 0);
	res.rets_written = 0xffffffffu;
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), -ENOENT);
	CK_EQ(res.rets_written, 0);
	CK_EQ(res.nret, 0);
	/* a successful write: bit 0 */
	put_buf(&h, T_BUF, TOK_WRITE, 5, 1, (const uint32_t[]){ 0x103c, HI0, LO0, 1, 9 }, 5);
	CK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
	CK_EQ(res.token, TOK_WRITE);
	CK_EQ(res.nargs, 5);
	CK_EQ(res.nret, 1);
	CK_EQ(res.rets_written, 1);

	/* a bigger struct from a newer caller: nothing past the known members */
	memset(&big, 0x5a, sizeof(big));
	big.r.sz = sizeof(big);
	put_buf(&h, T_BUF, TOK_READ, 4, 2, (const uint32_t[]){ 0x1000, HI0, LO0, 4 }, 4);
	CK_EQ(sphb_rtas_call(m, T_BUF, &big.r), 0);
	CK_EQ(big.r.token, TOK_READ);
	CK_EQ(big.r.rets_written, 3);
	for (unsigned i = 0; i < 8; i++)
		CK_EQ(big.guard[i], 0x5a5a5a5au);
	/* an older caller's smaller struct: bytes past sz are not written */
	memset(&big, 0x5a, sizeof(big));
	big.r.sz = offsetof(struct sphb_rtas_result, rets_written);
	CK_EQ(sphb_rtas_call(m, T_BUF, &big.r), 0);
	CK_EQ(big.r.rets_written, 0x5a5a5a5au);
	CK_EQ(big.guard[0], 0x5a5a5a5au);
	/* sz = 0: nothing written at all, the call still runs */
	memset(&big, 0x5a, sizeof(big));
	big.r.sz = 0;
	t_st32(&h, T_BUF + 28, T_SENTINEL);
	CK_EQ(sphb_rtas_call(m, T_BUF, &big.r), 0);
	CK_EQ(big.r.token, 0x5a5a5a5au);
	CK_EQ(big.r.rets_written, 0x5a5a5a5au);
	CK_EQ(t_ld32(&h, T_BUF + 28), 0);
	/* NULL machine */
	CK_EQ(sphb_rtas_call(NULL, T_BUF, NULL), -EINVAL);
	t_free(m, &h);
}

/* Structs passed in from a newer caller (sz larger than this library's):
 * accepted while the members this library does not know are zero, refused
 * with -E2BIG (and nothing created) once one is set (the header's rule). */
static int nop_begin(void *o, const char *n) { (void)o; (void)n; return 0; }
static int nop_end(void *o) { (void)o; return 0; }
static int nop_prop(void *o, const char *n, const void *v, size_t l) { (void)o; (void)n; (void)v; (void)l; return 0; }

static void newer_structs(void)
{
	struct t_host h;
	struct sphb_machine *m = NULL, *m2;
	struct { struct sphb_host_ops o; uint64_t newer; } hops = { t_ops(), 0 };
	struct { struct sphb_fdt_ops o; uint64_t newer; } fops = { { sizeof(fops), nop_begin, nop_end, nop_prop, 0 }, 0 };
	struct { struct sphb_guest_opts o; uint64_t newer; } gopts = { { sizeof(gopts), 0x10000, 0 }, 0 };
	struct { struct sphb_guest_ops o; uint64_t newer; } gops = { { sizeof(gops), t_mem_read, t_mem_write, NULL }, 0 };
	struct sphb_guest *g = NULL;

	m2 = t_machine(&h, DEV2, NULL);
	hops.o.sz = sizeof(hops);
	CK_EQ(sphb_machine_new(&hops.o, &h, &m), 0);
	sphb_machine_free(m);
	hops.newer = 1;
	m = (struct sphb_machine *)&h; /* must be cleared or left alone, never a machine */
	CK_EQ(sphb_machine_new(&hops.o, &h, &m), -E2BIG);
	CK(m == NULL || m == (struct sphb_machine *)&h);
	CK_EQ(sphb_fdt_rtas(m2, &fops.o, NULL), 0);
	fops.newer = 1;
	CK_EQ(sphb_fdt_rtas(m2, &fops.o, NULL), -E2BIG);
	CK_EQ(sphb_fdt_phbs(m2, &fops.o, NULL), -E2BIG);
	CK_EQ(sphb_guest_new(m2, &gopts.o, &gops.o, &h, &g), 0);
	sphb_guest_free(g);
	gopts.newer = 1;
	CK_EQ(sphb_guest_new(m2, &gopts.o, &gops.o, &h, &g), -E2BIG);
	CK(g == NULL);
	gopts.newer = 0;
	gops.newer = 1;
	CK_EQ(sphb_guest_new(m2, &gopts.o, &gops.o, &h, &g), -E2BIG);
	CK(g == NULL);
	t_free(m2, &h);
}

int main(void)
{
	newer_structs();
	ram_copy = malloc(T_RAM_SIZE);
	if (!ram_copy)
		return 1;
	unknown_tokens();
	token_table();
	decode();
	bad_buffers();
	top_bits();
	partial_outputs();
	result_struct();
	free(ram_copy);
	fprintf(stderr, "test_rtas_entry: %u checks\n", n_checks);
	return t_result();
}
