/* Shared timing helpers of the benchmark programs. */
#ifndef SPHB_BENCH_H
#define SPHB_BENCH_H
#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* the median of n samples (sorts them) */
static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_d);
	return v[n / 2];
}
#endif
