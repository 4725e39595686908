/* Benchmark: ibm,read-slot-reset-state2 through the RTAS entry point, and one
 * full guest recovery (freeze -> Linux 6.12 sequence -> recovered) on the
 * simulated host, in wall-clock and virtual time.
 *   eeh_bench time              CSV: ns per state call, wall us and virtual ms per recovery
 *   eeh_bench loop|empty N      N state calls inside bench_loop_state (for callgrind) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "bench.h"

#define SCRATCH 0x800000u
static volatile uint32_t sink;

static struct sphb_machine *build(struct t_host *h)
{
	struct sphb_machine *m = t_machine(h,
		"sim-pci,bus=pci.0,addr=2,id=nic,iommu-group=3,pcie=on,msix=4,bar0=mem64:64K", NULL);
	t_st32(h, T_BUF, (uint32_t)t_token("ibm,read-slot-reset-state2"));
	t_st32(h, T_BUF + 4, 3);
	t_st32(h, T_BUF + 8, 4);
	return m;
}

static inline void guest_args(struct t_host *h)
{
	t_st32(h, T_BUF + 12, 0x00000001);	/* PE address (bus 0 << 16) | 1 */
	t_st32(h, T_BUF + 16, (uint32_t)(T_BUID0 >> 32));
	t_st32(h, T_BUF + 20, (uint32_t)T_BUID0);
}

__attribute__((noinline)) void bench_loop_state(struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h);
		sphb_rtas_call(m, T_BUF, NULL);
		sink += h->ram[T_BUF + 31];
	}
}

__attribute__((noinline)) void bench_loop_empty(struct sphb_machine *m, struct t_host *h, unsigned long n)
{
	(void)m;
	for (unsigned long i = 0; i < n; i++) {
		guest_args(h);
		sink += h->ram[T_BUF + 31];
	}
}


int main(int argc, char **argv)
{
	struct t_host h;
	struct sphb_machine *m;

	if (argc == 3 && (!strcmp(argv[1], "loop") || !strcmp(argv[1], "empty"))) {
		unsigned long n = strtoul(argv[2], NULL, 10);
		m = build(&h);
		if (!strcmp(argv[1], "loop"))
			bench_loop_state(m, &h, n);
		else
			bench_loop_empty(m, &h, n);
		t_free(m, &h);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "time")) {
		double st[15], rec[15];
		const unsigned long n = 200000;
		uint64_t virt = 0;
		struct sphb_guest *g;
		struct sphb_guest_opts o = { sizeof(o), SCRATCH, 1000000 };
		struct sphb_guest_ops go;

		m = build(&h);
		for (unsigned r = 0; r < 15; r++) {
			double t0 = now_ns(), t1;
			bench_loop_state(m, &h, n);
			t1 = now_ns();
			bench_loop_empty(m, &h, n);
			st[r] = ((t1 - t0) - (now_ns() - t1)) / (double)n;
		}
		memset(&go, 0, sizeof(go));
		go.sz = sizeof(go);
		go.mem_read = t_mem_read;
		go.mem_write = t_mem_write;
		if (sphb_guest_new(m, &o, &go, &h, &g))
			return 1;
		{
			struct sphb_guest_result res = { .sz = sizeof(res) };
			sphb_guest_recover(g, "nic", &res); /* first use: the probe */
		}
		for (unsigned r = 0; r < 15; r++) {
			struct sphb_guest_result res = { .sz = sizeof(res) };
			double t0;
			sphb_host_freeze(m, "nic", NULL);
			t0 = now_ns();
			if (sphb_guest_recover(g, "nic", &res) || res.outcome != SPHB_GUEST_RECOVERED)
				return 1;
			rec[r] = (now_ns() - t0) / 1000.0;
			virt = res.elapsed_ms;
		}
		qsort(st, 15, sizeof(st[0]), cmp_d);
		qsort(rec, 15, sizeof(rec[0]), cmp_d);
		printf("state_ns,recovery_wall_us,recovery_virtual_ms\n%.2f,%.1f,%llu\n", st[7], rec[7],
		       (unsigned long long)virt);
		sphb_guest_free(g);
		t_free(m, &h);
		return 0;
	}
	fprintf(stderr, "usage: eeh_bench time | loop|empty N\n");
	return 2;
}
