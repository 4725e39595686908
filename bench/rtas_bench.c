/* Benchmark: ibm,read-pci-config through the whole RTAS entry point (guest
 * buffer decode, dispatch, config read, outputs stored), for 1 PHB x 1 device
 * and 31 PHBs x 32 devices, plus floors measured in the same run.
 *
 *   rtas_bench time            ns per call (median of 15 runs), CSV lines
 *   rtas_bench loop CONF N     exactly N calls inside bench_loop_rtas (for callgrind)
 *   rtas_bench empty CONF N    the same loop without the call (guest-side cost)
 * CONF is 1x1 or 31x32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "bench.h"

#define NTARGETS (31 * 32)

struct target { uint32_t cfg, hi, lo; };
static struct target targets[NTARGETS];
static unsigned ntargets;
static volatile uint32_t sink;

static void build(struct t_host *h, struct sphb_machine **mp, int big)
{
	char spec[128];
	struct sphb_machine *m = t_machine(h, NULL);

	ntargets = 0;
	for (unsigned p = 0; p < (big ? 31u : 1u); p++) {
		if (p) {
			snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=phb%u", p, p);
			if (sphb_machine_add(m, spec))
				exit(1);
		}
		for (unsigned s = 0; s < (big ? 32u : 1u); s++) {
			if (p)
				snprintf(spec, sizeof(spec), "sim-pci,bus=phb%u.0,addr=%x,bar0=mem32:4K,msix=4", p, s);
			else
				snprintf(spec, sizeof(spec), "sim-pci,bus=pci.0,addr=%x,bar0=mem32:4K,msix=4", s);
			if (sphb_machine_add(m, spec))
				exit(1);
			targets[ntargets].cfg = t_cfgaddr(0, s, 0, 0);
			targets[ntargets].hi = (uint32_t)((T_BUID0 + p) >> 32);
			targets[ntargets].lo = (uint32_t)(T_BUID0 + p);
			ntargets++;
		}
	}
	/* a real guest writes the whole buffer once per call */
	t_st32(h, T_BUF, 0x2016);
	t_st32(h, T_BUF + 4, 4);
	t_st32(h, T_BUF + 8, 2);
	*mp = m;
}

/* the guest's per-call work: fill the argument cells */
static inline void guest_args(struct t_host *h, const struct target *t)
{
	t_st32(h, T_BUF + 12, t->cfg);
	t_st32(h, T_BUF + 16, t->hi);
	t_st32(h, T_BUF + 20, t->lo);
	t_st32(h, T_BUF + 24, 4);
}

__attribute__((noinline)) void bench_loop_rtas(struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	unsigned j = 0;
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h, &targets[j]);
		sphb_rtas_call(m, T_BUF, NULL);
		sink += h->ram[T_BUF + 31];
		if (++j == ntargets)
			j = 0;
	}
}

__attribute__((noinline)) void bench_loop_empty(struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	unsigned j = 0;
	(void)m;
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h, &targets[j]);
		sink += h->ram[T_BUF + 31];
		if (++j == ntargets)
			j = 0;
	}
}

/* floor: the host callbacks alone, with the sizes one call needs */
__attribute__((noinline)) void bench_loop_floor(struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	uint8_t buf[32];
	(void)m;
	for (unsigned long i = 0; i < n; i++) {
		t_mem_read(h, T_BUF, buf, 12);
		t_mem_read(h, T_BUF + 12, buf, 24);
		t_mem_write(h, T_BUF + 28, buf, 8);
		sink += buf[3];
	}
}


typedef void loop_fn(struct sphb_machine *, struct t_host *, unsigned long);

static double median_ns(loop_fn *fn, struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	double runs[15];
	fn(m, h, n / 4); /* warm up */
	for (unsigned r = 0; r < 15; r++) {
		double t0 = now_ns();
		fn(m, h, n);
		runs[r] = (now_ns() - t0) / (double)n;
	}
	qsort(runs, 15, sizeof(runs[0]), cmp_d);
	return runs[7];
}

int main(int argc, char **argv)
{
	struct t_host h;
	struct sphb_machine *m;

	if (argc == 4 && (!strcmp(argv[1], "loop") || !strcmp(argv[1], "empty") ||
			  !strcmp(argv[1], "floor"))) {
		unsigned long n = strtoul(argv[3], NULL, 10);
		build(&h, &m, !strcmp(argv[2], "31x32"));
		if (!strcmp(argv[1], "loop"))
			bench_loop_rtas(m, &h, n);
		else if (!strcmp(argv[1], "empty"))
			bench_loop_empty(m, &h, n);
		else
			bench_loop_floor(m, &h, n);
		t_free(m, &h);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "time")) {
		const unsigned long n = 200000;
		printf("config,ns_per_call,ns_guest_side,ns_floor\n");
		for (int big = 0; big < 2; big++) {
			double call, empty, floor_ns;
			build(&h, &m, big);
			call = median_ns(bench_loop_rtas, m, &h, n);
			empty = median_ns(bench_loop_empty, m, &h, n);
			floor_ns = median_ns(bench_loop_floor, m, &h, n);
			printf("%s,%.2f,%.2f,%.2f\n", big ? "31x32" : "1x1", call, empty, floor_ns);
			t_free(m, &h);
		}
		return 0;
	}
	fprintf(stderr, "usage: rtas_bench time | loop|empty|floor 1x1|31x32 N\n");
	return 2;
}
