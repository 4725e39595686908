/* Benchmark: TCE hypercalls and translation.
 *   dma_bench time                 CSV: ns per op
 *   dma_bench OP N                 N ops inside bench_loop (for callgrind)
 * OP: put, get, translate, indirect (one 512-entry H_PUT_TCE_INDIRECT), empty */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "bench.h"

#define LIST 0x200000u
static volatile uint64_t sink;

__attribute__((noinline)) void bench_loop(struct sphb_machine *m, int op, unsigned long n)
{
	uint64_t args[4] = { 0x80000000u, 0, 0, 0 }, rets[1], gpa;
	int64_t hret;
	unsigned perm;

	for (unsigned long i = 0; i < n; i++) {
		uint64_t ioba = (i & 0x3ffff) << 12;
		switch (op) {
		case 0: /* H_PUT_TCE */
			args[1] = ioba; args[2] = (ioba + 0x10000000) | 3;
			sphb_hcall(m, 0x20, args, 3, rets, 0, &hret);
			break;
		case 1: /* H_GET_TCE */
			args[1] = ioba;
			sphb_hcall(m, 0x1c, args, 2, rets, 1, &hret);
			sink += rets[0];
			break;
		case 2: /* translate */
			sphb_dma_translate(m, T_BUID0, 0x1000, ioba | 0x80, &gpa, &perm);
			sink += gpa;
			break;
		case 3: /* H_PUT_TCE_INDIRECT, 512 entries */
			args[1] = (i & 0x1ff) << 21; args[2] = LIST; args[3] = 512;
			sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret);
			break;
		default:
			sink += ioba;
			break;
		}
	}
}

static int op_of(const char *s)
{
	static const char *const ops[] = { "put", "get", "translate", "indirect", "empty" };
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, ops[i]))
			return i;
	return -1;
}

static struct sphb_machine *build(struct t_host *h)
{
	uint64_t args[4] = { 0x80000000u, 0, 0x10000003, 262144 };
	int64_t hret;
	struct sphb_machine *m = t_machine(h, "sim-pci,addr=2,id=d", NULL);
	for (unsigned i = 0; i < 512; i++) {
		t_st32(h, LIST + 8 * i, 0);
		t_st32(h, LIST + 8 * i + 4, 0x20000000u + (i << 12) + 3);
	}
	sphb_hcall(m, 0x138, args, 4, NULL, 0, &hret); /* populate the whole default window */
	return m;
}


int main(int argc, char **argv)
{
	struct t_host h;
	struct sphb_machine *m;

	if (argc == 3 && op_of(argv[1]) >= 0) {
		m = build(&h);
		bench_loop(m, op_of(argv[1]), strtoul(argv[2], NULL, 10));
		t_free(m, &h);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "time")) {
		static const char *const names[] = { "put", "get", "translate", "indirect" };
		m = build(&h);
		printf("op,ns\n");
		for (int op = 0; op < 4; op++) {
			double r[15];
			unsigned long n = op == 3 ? 2000 : 200000;
			for (int k = 0; k < 15; k++) {
				double t0 = now_ns();
				bench_loop(m, op, n);
				r[k] = (now_ns() - t0) / (double)n;
			}
			qsort(r, 15, sizeof(r[0]), cmp_d);
			printf("%s,%.2f\n", names[op], r[7]);
		}
		t_free(m, &h);
		return 0;
	}
	fprintf(stderr, "usage: dma_bench time | put|get|translate|indirect|empty N\n");
	return 2;
}
