/* The RTAS entry point: buffer decode, bounds, dispatch, output stores. */
#include "harness.h"

static uint8_t snapshot[256];

static void unknown_token(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NULL);
	uint32_t r[2];

	/* QEMU: ret[0] = -3, the hcall answers H_PARAMETER (here: -ENOENT) */
	CHECK_EQ(t_rtas_n(m, &h, 0x1234, 0, 2, NULL, r), -ENOENT);
	CHECK_EQ((int32_t)r[0], -3);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(t_rtas_n(m, &h, 0x2013, 0, 1, NULL, r), -ENOENT); /* free slot in range */
	CHECK_EQ((int32_t)r[0], -3);
	CHECK_EQ(t_rtas_n(m, &h, 0x2000 + 0x40, 0, 1, NULL, r), -ENOENT); /* past the table */
	CHECK_EQ((int32_t)r[0], -3);
	CHECK_EQ(t_rtas_n(m, &h, 0xffffffffu, 0, 1, NULL, r), -ENOENT);
	/* nret = 0: nothing is written, not even ret[0] */
	memcpy(snapshot, h.ram + T_BUF, sizeof(snapshot));
	CHECK_EQ(t_rtas_n(m, &h, 0x1234, 0, 0, NULL, r), -ENOENT);
	CHECK(!memcmp(snapshot + 12, h.ram + T_BUF + 12, sizeof(snapshot) - 12));
	t_free(m, &h);
}

static void token_table(void)
{
	static const struct { const char *name; int token; unsigned nargs, nret; } calls[] = {
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
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		uint32_t na = 99, nr = 99;
		CHECK_EQ(sphb_rtas_token(calls[i].name), calls[i].token);
		CHECK(sphb_rtas_name((uint32_t)calls[i].token) &&
		      !strcmp(sphb_rtas_name((uint32_t)calls[i].token), calls[i].name));
		CHECK_EQ(sphb_rtas_counts((uint32_t)calls[i].token, &na, &nr), 0);
		CHECK_EQ(na, calls[i].nargs);
		CHECK_EQ(nr, calls[i].nret);
	}
	CHECK_EQ(sphb_rtas_token("no-such-call"), -ENOENT);
	CHECK_EQ(sphb_rtas_token(NULL), -EINVAL);
	CHECK(sphb_rtas_name(0x1234) == NULL);
	CHECK(sphb_rtas_name(0x2013) == NULL);
	CHECK_EQ(sphb_rtas_counts(0x1234, NULL, NULL), -ENOENT);
}

static void bad_buffers(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "sim-pci,addr=2", NULL);
	uint8_t *copy = malloc(T_RAM_SIZE);
	struct sphb_rtas_result res;
	unsigned logs;

	if (!copy)
		exit(1);
	/* entirely outside RAM: -EFAULT, nothing touched, a log line */
	memcpy(copy, h.ram, T_RAM_SIZE);
	logs = h.nlogs;
	CHECK_EQ(sphb_rtas_call(m, T_RAM_SIZE, NULL), -EFAULT);
	CHECK_EQ(sphb_rtas_call(m, UINT64_MAX & 0x0fffffffffffffffull, NULL), -EFAULT);
	CHECK(h.nlogs > logs);
	CHECK_EQ(h.writes, 0);
	/* header inside, arguments straddling the end of RAM */
	t_st32(&h, T_RAM_SIZE - 16, 0x2016);
	t_st32(&h, T_RAM_SIZE - 12, 4);
	t_st32(&h, T_RAM_SIZE - 8, 2);
	memcpy(copy, h.ram, T_RAM_SIZE);
	CHECK_EQ(sphb_rtas_call(m, T_RAM_SIZE - 16, NULL), -EFAULT);
	CHECK(!memcmp(copy, h.ram, T_RAM_SIZE));
	/* args readable, outputs would straddle: one read covers args + rets, so still -EFAULT */
	t_st32(&h, T_RAM_SIZE - 28, 0x2016);
	t_st32(&h, T_RAM_SIZE - 24, 4);
	t_st32(&h, T_RAM_SIZE - 20, 2);
	t_st32(&h, T_RAM_SIZE - 16, 0x1000);
	t_st32(&h, T_RAM_SIZE - 12, 0x8000000);
	t_st32(&h, T_RAM_SIZE - 8, 0x20000000);
	t_st32(&h, T_RAM_SIZE - 4, 4);
	memcpy(copy, h.ram, T_RAM_SIZE);
	CHECK_EQ(sphb_rtas_call(m, T_RAM_SIZE - 28, NULL), -EFAULT);
	CHECK(!memcmp(copy, h.ram, T_RAM_SIZE));
	/* huge counts: refused before any further read, memory untouched */
	{
		uint32_t big[][2] = { { 0xffffffffu, 1 }, { 1, 0xffffffffu }, { 33, 32 },
				      { 65, 0 }, { 0x80000000u, 0x80000000u } };
		for (unsigned i = 0; i < 5; i++) {
			t_st32(&h, T_BUF, 0x2016);
			t_st32(&h, T_BUF + 4, big[i][0]);
			t_st32(&h, T_BUF + 8, big[i][1]);
			memcpy(copy, h.ram, T_RAM_SIZE);
			CHECK_EQ(sphb_rtas_call(m, T_BUF, NULL), -EINVAL);
			CHECK(!memcmp(copy, h.ram, T_RAM_SIZE));
		}
	}
	/* exactly SPHB_RTAS_MAX_CELLS is accepted (QEMU's answer to wrong counts: -1) */
	t_st32(&h, T_BUF, 0x2016);
	t_st32(&h, T_BUF + 4, SPHB_RTAS_MAX_CELLS - 2);
	t_st32(&h, T_BUF + 8, 2);
	CHECK_EQ(sphb_rtas_call(m, T_BUF, NULL), 0);
	CHECK_EQ((int32_t)t_ld32(&h, T_BUF + 12 + 4 * (SPHB_RTAS_MAX_CELLS - 2)), -1);
	/* the top 4 bits of the address are not decoded */
	{
		uint32_t a[4] = { 0x1000, 0x8000000, 0x20000000, 4 }, r[2];
		t_rtas_n(m, &h, 0x2016, 4, 2, a, r); /* fills the buffer */
		t_st32(&h, T_BUF + 12 + 16, T_SENTINEL);
		memset(&res, 0, sizeof(res));
		res.sz = sizeof(res);
		CHECK_EQ(sphb_rtas_call(m, 0xf000000000000000ull | T_BUF, &res), 0);
		CHECK_EQ(t_ld32(&h, T_BUF + 12 + 16), 0);
		CHECK_EQ(res.token, 0x2016);
		CHECK_EQ(res.nargs, 4);
		CHECK_EQ(res.nret, 2);
		CHECK_EQ(res.rets_written, 3);
	}
	free(copy);
	t_free(m, &h);
}

/* Only the outputs a call produces are stored; the others keep their contents. */
static void partial_outputs(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "sim-pci,addr=2", NULL);
	uint32_t a[4] = { 0x1000, 0x8000000, 0x20000000, 3 }, r[2];
	struct sphb_rtas_result res;

	t_rtas_n(m, &h, 0x2016, 4, 2, a, r); /* size 3: -1, value not written */
	CHECK_EQ((int32_t)r[0], -1);
	CHECK_EQ(r[1], T_SENTINEL);
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	CHECK_EQ(sphb_rtas_call(m, T_BUF, &res), 0);
	CHECK_EQ(res.rets_written, 1);
	/* arguments are never modified */
	CHECK_EQ(t_ld32(&h, T_BUF + 12), 0x1000);
	CHECK_EQ(t_ld32(&h, T_BUF + 24), 3);
	t_free(m, &h);
}

int main(void)
{
	unknown_token();
	token_table();
	bad_buffers();
	partial_outputs();
	return t_result();
}
