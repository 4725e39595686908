/* Test harness: a flat guest RAM host for the public API, and RTAS helpers
 * that build a real argument buffer in guest memory like a guest does.
 * Each test is one program: exit 0 pass, 1 fail, 77 skip.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_TEST_HARNESS_H
#define SPHB_TEST_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphb/sphb.h"

#define T_RAM_SIZE (16u << 20)
#define T_BUF 0x100000u		/* RTAS argument buffer */
#define T_SENTINEL 0xdeadbeefu	/* pre-filled into rets: "not written" */
#define T_BUID0 0x0800000020000000ull

struct t_host {
	uint8_t *ram;
	size_t ram_size;
	unsigned reads, writes;
	char last_log[512];
	int last_level;
	unsigned nlogs;
};

static int t_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		t_failures++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld (0x%llx), expected %s = %lld (0x%llx)\n", \
			__FILE__, __LINE__, #a, _a, (unsigned long long)_a, #b, _b, (unsigned long long)_b); \
		t_failures++; \
	} \
} while (0)

static inline int t_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct t_host *h = opaque;
	if (gpa > h->ram_size || len > h->ram_size - gpa)
		return -EFAULT;
	memcpy(buf, h->ram + gpa, len);
	h->reads++;
	return 0;
}

static inline int t_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct t_host *h = opaque;
	if (gpa > h->ram_size || len > h->ram_size - gpa)
		return -EFAULT;
	memcpy(h->ram + gpa, buf, len);
	h->writes++;
	return 0;
}

static inline void t_log(void *opaque, enum sphb_log_level lvl, const char *msg)
{
	struct t_host *h = opaque;
	snprintf(h->last_log, sizeof(h->last_log), "%s", msg);
	h->last_level = (int)lvl;
	h->nlogs++;
	if (getenv("SPHB_TEST_VERBOSE"))
		fprintf(stderr, "log[%d]: %s\n", (int)lvl, msg);
}

static inline struct sphb_host_ops t_ops(void)
{
	struct sphb_host_ops ops;
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = t_mem_read;
	ops.mem_write = t_mem_write;
	ops.log = t_log;
	return ops;
}

/* A machine with the default PHB on host `ops` (its opaque is h, whose
 * guest RAM is allocated here) plus the -device descriptions in specs
 * (NULL-terminated; specs NULL: none). Exits on any failure. */
static inline struct sphb_machine *t_machine_ops(struct t_host *h, const struct sphb_host_ops *ops,
						 const char *const *specs)
{
	struct sphb_machine *m = NULL;

	memset(h, 0, sizeof(*h));
	h->ram_size = T_RAM_SIZE;
	h->ram = calloc(1, h->ram_size);
	if (!h->ram || sphb_machine_new_default(ops, h, &m)) {
		fprintf(stderr, "cannot create machine\n");
		exit(1);
	}
	for (; specs && *specs; specs++) {
		if (sphb_machine_add(m, *specs)) {
			fprintf(stderr, "cannot add '%s': %s\n", *specs, h->last_log);
			exit(1);
		}
	}
	return m;
}

/* The same with the test host's callbacks (t_ops()) and the interrupt
 * callbacks pulse and set (either may be NULL). */
static inline struct sphb_machine *t_machine_irq(struct t_host *h,
						 void (*pulse)(void *opaque, uint32_t irq),
						 void (*set)(void *opaque, uint32_t irq, int level),
						 const char *const *specs)
{
	struct sphb_host_ops ops = t_ops();

	ops.irq_pulse = pulse;
	ops.irq_set = set;
	return t_machine_ops(h, &ops, specs);
}

/* A machine with the default PHB plus the given -device descriptions (NULL-terminated). */
static inline struct sphb_machine *t_machine(struct t_host *h, ...)
{
	const char *specs[64];
	unsigned n = 0;
	va_list ap;

	va_start(ap, h);
	while ((specs[n] = va_arg(ap, const char *)) != NULL) {
		if (++n == sizeof(specs) / sizeof(specs[0])) {
			fprintf(stderr, "t_machine: more than %u devices\n", n - 1);
			exit(1);
		}
	}
	va_end(ap);
	return t_machine_irq(h, NULL, NULL, specs);
}

static inline void t_free(struct sphb_machine *m, struct t_host *h)
{
	sphb_machine_free(m);
	free(h->ram);
}

static inline uint32_t t_ld32(struct t_host *h, uint64_t a)
{
	const uint8_t *p = h->ram + a;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void t_st32(struct t_host *h, uint64_t a, uint32_t v)
{
	uint8_t *p = h->ram + a;
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Issue an RTAS call with explicit counts; rets pre-filled with T_SENTINEL.
 * Returns sphb_rtas_call()'s result; rets[] receives nret words. */
static inline int t_rtas_n(struct sphb_machine *m, struct t_host *h, uint32_t token,
			   uint32_t nargs, uint32_t nret, const uint32_t *args, uint32_t *rets)
{
	int rc;
	t_st32(h, T_BUF, token);
	t_st32(h, T_BUF + 4, nargs);
	t_st32(h, T_BUF + 8, nret);
	for (uint32_t i = 0; i < nargs; i++)
		t_st32(h, T_BUF + 12 + 4 * i, args[i]);
	for (uint32_t i = 0; i < nret; i++)
		t_st32(h, T_BUF + 12 + 4 * (nargs + i), T_SENTINEL);
	rc = sphb_rtas_call(m, T_BUF, NULL);
	for (uint32_t i = 0; i < nret; i++)
		rets[i] = t_ld32(h, T_BUF + 12 + 4 * (nargs + i));
	return rc;
}

static inline int t_token(const char *name)
{
	int t = sphb_rtas_token(name);
	if (t < 0) {
		fprintf(stderr, "no RTAS token for %s\n", name);
		exit(1);
	}
	return t;
}

/* ibm,read-pci-config on PHB `buid`: returns status, *val = ret[1]. */
static inline int32_t t_cfg_read(struct sphb_machine *m, struct t_host *h, uint64_t buid,
				 uint32_t cfg, uint32_t size, uint32_t *val)
{
	uint32_t a[4] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid, size }, r[2];
	t_rtas_n(m, h, (uint32_t)t_token("ibm,read-pci-config"), 4, 2, a, r);
	if (val)
		*val = r[1];
	return (int32_t)r[0];
}

static inline int32_t t_cfg_write(struct sphb_machine *m, struct t_host *h, uint64_t buid,
				  uint32_t cfg, uint32_t size, uint32_t val)
{
	uint32_t a[5] = { cfg, (uint32_t)(buid >> 32), (uint32_t)buid, size, val }, r[1];
	t_rtas_n(m, h, (uint32_t)t_token("ibm,write-pci-config"), 5, 1, a, r);
	return (int32_t)r[0];
}

/* config address of bus/slot/fn/reg (PAPR R1-7.3.4-1) */
static inline uint32_t t_cfgaddr(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
	return ((reg & 0xf00u) << 20) | (bus << 16) | (slot << 11) | (fn << 8) | (reg & 0xffu);
}

static inline int t_result(void)
{
	if (t_failures) {
		fprintf(stderr, "%d check(s) failed\n", t_failures);
		return 1;
	}
	return 0;
}

#endif
