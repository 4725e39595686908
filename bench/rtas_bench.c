/* Benchmark: ibm,read-pci-config through the whole RTAS entry point (guest
 * buffer decode, dispatch, config read, outputs stored), for 1 PHB x 1 device
 * and 31 PHBs x 32 devices, plus floors measured in the same run.
 *
 *   rtas_bench time            ns per call (median of 15 runs), CSV lines
 *   rtas_bench loop CONF N     exactly N calls inside bench_loop_rtas (for callgrind)
 *   rtas_bench empty CONF N    the same loop without the call (guest-side cost)
 *   rtas_bench floor CONF N    the host callbacks one call needs, alone
 * CONF is 1x1 or 31x32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "bench.h"

#define NPHB_BIG 31u
#define NDEV_BIG 32u
#define NRUNS 15

struct target { uint32_t cfg, hi, lo; };

struct conf {
	const char *name;
	struct t_host h;
	struct sphb_machine *m;
	struct target t[NPHB_BIG * NDEV_BIG];
	unsigned n;
};

static uint32_t token;
static volatile uint32_t sink;

static void add(struct sphb_machine *m, struct t_host *h, const char *spec)
{
	if (sphb_machine_add(m, spec)) {
		fprintf(stderr, "rtas_bench: cannot add '%s': %s\n", spec, h->last_log);
		exit(1);
	}
}

/* The guest's per-call work: write the whole argument buffer (token, nargs,
 * nret, the four arguments), as Linux's rtas_call() does for every call. */
static inline void guest_args(struct t_host *h, const struct target *t)
{
	t_st32(h, T_BUF, token);
	t_st32(h, T_BUF + 4, 4);
	t_st32(h, T_BUF + 8, 2);
	t_st32(h, T_BUF + 12, t->cfg);
	t_st32(h, T_BUF + 16, t->hi);
	t_st32(h, T_BUF + 20, t->lo);
	t_st32(h, T_BUF + 24, 4);
}

static void build(struct conf *c, int big)
{
	const unsigned nphb = big ? NPHB_BIG : 1u, ndev = big ? NDEV_BIG : 1u;
	char spec[128];
	struct sphb_rtas_result res = { .sz = sizeof(res) };

	c->name = big ? "31x32" : "1x1";
	c->m = t_machine(&c->h, NULL); /* the default PHB: index 0, id pci */
	for (unsigned p = 1; p < nphb; p++) {
		snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=phb%u", p, p);
		add(c->m, &c->h, spec);
	}
	for (unsigned p = 0; p < nphb; p++)
		for (unsigned s = 0; s < ndev; s++) {
			if (p)
				snprintf(spec, sizeof(spec),
					 "sim-pci,bus=phb%u.0,addr=%x,bar0=mem32:4K,msix=4", p, s);
			else
				snprintf(spec, sizeof(spec),
					 "sim-pci,bus=pci.0,addr=%x,bar0=mem32:4K,msix=4", s);
			add(c->m, &c->h, spec);
		}
	/* Call k addresses PHB k % nphb, slot (k / nphb) % ndev: consecutive
	 * calls change both the PHB and the device, and all 992 are visited. */
	c->n = nphb * ndev;
	for (unsigned k = 0; k < c->n; k++) {
		uint64_t buid = T_BUID0 + k % nphb;
		c->t[k].cfg = t_cfgaddr(0, k / nphb, 0, 0);
		c->t[k].hi = (uint32_t)(buid >> 32);
		c->t[k].lo = (uint32_t)buid;
	}
	/* every target must take the success path: status 0, the default IDs */
	for (unsigned k = 0; k < c->n; k++) {
		guest_args(&c->h, &c->t[k]);
		if (sphb_rtas_call(c->m, T_BUF, &res) || res.rets_written != 3 ||
		    t_ld32(&c->h, T_BUF + 28) != 0 || t_ld32(&c->h, T_BUF + 32) != 0x53481014u) {
			fprintf(stderr, "rtas_bench: %s: target %u does not read 0x53481014\n",
				c->name, k);
			exit(1);
		}
	}
}

__attribute__((noinline)) void bench_loop_rtas(struct sphb_machine *m, struct t_host *h,
					       const struct target *t, unsigned nt, unsigned long n)
{
	unsigned j = 0;
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h, &t[j]);
		sphb_rtas_call(m, T_BUF, NULL);
		sink += h->ram[T_BUF + 35];
		if (++j == nt)
			j = 0;
	}
}

__attribute__((noinline)) void bench_loop_empty(struct sphb_machine *m, struct t_host *h,
						const struct target *t, unsigned nt, unsigned long n)
{
	unsigned j = 0;
	(void)m;
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h, &t[j]);
		sink += h->ram[T_BUF + 35];
		if (++j == nt)
			j = 0;
	}
}

/* floor: the host callbacks alone, with the sizes one call needs
 * (12-byte header read, 6 cells read, 2 cells written) */
__attribute__((noinline)) void bench_loop_floor(struct sphb_machine *m, struct t_host *h,
						const struct target *t, unsigned nt, unsigned long n)
{
	uint8_t buf[32];
	(void)m;
	(void)t;
	(void)nt;
	for (unsigned long i = 0; i < n; i++) {
		t_mem_read(h, T_BUF, buf, 12);
		t_mem_read(h, T_BUF + 12, buf, 24);
		t_mem_write(h, T_BUF + 28, buf, 8);
		sink += buf[3];
	}
}

typedef void loop_fn(struct sphb_machine *, struct t_host *, const struct target *, unsigned,
		     unsigned long);

static double run_ns(loop_fn *fn, struct conf *c, unsigned long n)
{
	double t0 = now_ns();
	fn(c->m, &c->h, c->t, c->n, n);
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	static struct conf confs[2];

	token = (uint32_t)t_token("ibm,read-pci-config");
	if (argc == 4 && (!strcmp(argv[1], "loop") || !strcmp(argv[1], "empty") ||
			  !strcmp(argv[1], "floor")) &&
	    (!strcmp(argv[2], "1x1") || !strcmp(argv[2], "31x32"))) {
		unsigned long n = strtoul(argv[3], NULL, 10);
		struct conf *c = &confs[0];
		loop_fn *fn = !strcmp(argv[1], "loop") ? bench_loop_rtas :
			      !strcmp(argv[1], "empty") ? bench_loop_empty : bench_loop_floor;

		build(c, !strcmp(argv[2], "31x32"));
		fn(c->m, &c->h, c->t, c->n, n);
		t_free(c->m, &c->h);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "time")) {
		const unsigned long n = 200000;
		double s[2][3][NRUNS];
		loop_fn *fns[3] = { bench_loop_rtas, bench_loop_empty, bench_loop_floor };

		for (int b = 0; b < 2; b++) {
			build(&confs[b], b);
			for (int f = 0; f < 3; f++)
				run_ns(fns[f], &confs[b], n / 4); /* warm up */
		}
		/* rounds alternate between the configurations, so that a drift of
		 * the machine (frequency, other load) affects both alike */
		for (unsigned r = 0; r < NRUNS; r++)
			for (int b = 0; b < 2; b++)
				for (int f = 0; f < 3; f++)
					s[b][f][r] = run_ns(fns[f], &confs[b], n);
		printf("config,ns_per_call,ns_guest_side,ns_floor\n");
		for (int b = 0; b < 2; b++) {
			printf("%s,%.2f,%.2f,%.2f\n", confs[b].name, median(s[b][0], NRUNS),
			       median(s[b][1], NRUNS), median(s[b][2], NRUNS));
			t_free(confs[b].m, &confs[b].h);
		}
		return 0;
	}
	fprintf(stderr, "usage: rtas_bench time | loop|empty|floor 1x1|31x32 N\n");
	return 2;
}
