/* The sphb script interpreter (contract: docs/cli.md): the guest RAM and
 * machine of a CLI run, and the statements rtas, mem, mmio, host, guest,
 * hcall, dma and echo. Results go to c->out, diagnostics to c->err.
 * SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sphb/sphb.h"
#include "cli.h"

#define GUEST_RAM_SIZE CLI_GUEST_RAM_SIZE
#define RTAS_BUF_GPA CLI_RTAS_BUF_GPA
/* The guest-recovery driver's scratch area (SPHB_GUEST_SCRATCH_SIZE bytes),
 * between the scripts' 16 MiB and the RTAS argument buffer. */
#define GUEST_SCRATCH_GPA 0x3ffe0000ull
/* longest device or PHB id an address function takes */
#define MAX_ID 63

int cli_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct cli *c = opaque;
	if (gpa > GUEST_RAM_SIZE || len > GUEST_RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, c->ram + gpa, len);
	return 0;
}

int cli_mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct cli *c = opaque;
	if (gpa > GUEST_RAM_SIZE || len > GUEST_RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(c->ram + gpa, buf, len);
	return 0;
}

static void log_cb(void *opaque, enum sphb_log_level lvl, const char *msg)
{
	struct cli *c = opaque;

	if (lvl == SPHB_LOG_ERROR) {
		snprintf(c->last_error, sizeof(c->last_error), "%s", msg);
		return; /* reported by the caller, with context */
	}
	if (lvl == SPHB_LOG_WARN || c->verbose)
		fprintf(c->err, "sphb: %s%s\n", lvl == SPHB_LOG_WARN ? "warning: " : "", msg);
}

/* ---- script execution ---- */

static int script_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int script_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fflush(c->out);
	fprintf(c->err, "sphb: %s:%u: ", c->script, c->line);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 2;
}

/* decimal, 0x hex, or negative decimal (two's complement in `bits`) */
static bool parse_num(const char *s, unsigned bits, uint64_t *out)
{
	bool neg = false;
	uint64_t v = 0, max = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	unsigned base = 10, digits = 0;

	if (*s == '-') {
		neg = true;
		s++;
	} else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++, digits++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (!digits)
		return false;
	if (neg) {
		uint64_t lim = 1ull << (bits - 1); /* magnitude of the most negative value */
		if (v > lim)
			return false;
		v = (0 - v) & max;
	} else if (v > max) {
		return false;
	}
	*out = v;
	return true;
}

#define MAX_TOK 80

/* Address functions: a word of an `rtas` or `mem write` statement may name a
 * device or PHB instead of a hand-computed number (docs/cli.md):
 *   cfg(DEV)       DEV's RTAS config address (bus << 16 | devfn << 8)
 *   cfg(DEV,REG)   the same for register REG (extended bits 8-11 in 28-31)
 *   buid(ID)       two words, BUID_HI BUID_LO, of PHB ID or of DEV's PHB
 *   buid_hi(ID), buid_lo(ID)   one of them
 * Returns the number of words stored in w[0..1] (1 or 2), 0 when `t` is no
 * address function (then it is a plain number), or -1 after a script error. */
static int addr_words(struct cli *c, const char *what, const char *t, uint32_t w[2])
{
	static const char *const fn[] = { "cfg(", "buid(", "buid_hi(", "buid_lo(" };
	char id[MAX_ID + 1];
	const char *p = NULL, *end, *comma;
	uint64_t buid, reg = 0;
	uint32_t cfg;
	size_t f, len;

	for (f = 0; f < sizeof(fn) / sizeof(fn[0]); f++)
		if (!strncmp(t, fn[f], strlen(fn[f]))) {
			p = t + strlen(fn[f]);
			break;
		}
	if (!p)
		return 0;
	end = strchr(p, ')');
	if (!end || end[1]) {
		script_error(c, "%s: '%s': expected %.*sID)%s", what, t, (int)(p - t), t,
			     f == 0 ? " or cfg(ID,REG)" : "");
		return -1;
	}
	comma = f == 0 ? memchr(p, ',', (size_t)(end - p)) : NULL;
	len = (size_t)((comma ? comma : end) - p);
	if (len == 0 || len > MAX_ID) {
		script_error(c, "%s: '%s': expected a device or PHB id", what, t);
		return -1;
	}
	memcpy(id, p, len);
	id[len] = '\0';
	if (comma) {
		char r[24];
		size_t rl = (size_t)(end - comma - 1);
		if (rl == 0 || rl >= sizeof(r)) {
			script_error(c, "%s: '%s': bad register (0..0xfff)", what, t);
			return -1;
		}
		memcpy(r, comma + 1, rl);
		r[rl] = '\0';
		if (!parse_num(r, 32, &reg) || r[0] == '-' || reg > 0xfff) {
			script_error(c, "%s: '%s': bad register (0..0xfff)", what, t);
			return -1;
		}
	}
	if (f == 0) {
		if (sphb_dev_config_addr(c->m, id, &buid, &cfg)) {
			script_error(c, "%s: '%s': unknown device '%s'", what, t, id);
			return -1;
		}
		w[0] = ((uint32_t)(reg & 0xf00) << 20) | cfg | (uint32_t)(reg & 0xff);
		return 1;
	}
	if (sphb_phb_buid(c->m, id, &buid) && sphb_dev_config_addr(c->m, id, &buid, &cfg)) {
		script_error(c, "%s: '%s': unknown PHB or device '%s'", what, t, id);
		return -1;
	}
	if (f == 1) {
		w[0] = (uint32_t)(buid >> 32);
		w[1] = (uint32_t)buid;
		return 2;
	}
	w[0] = f == 2 ? (uint32_t)(buid >> 32) : (uint32_t)buid;
	return 1;
}

void cli_print_rtas_line(FILE *out, const char *name, uint32_t nret, const uint32_t *rets,
			 uint32_t rets_written)
{
	fprintf(out, "rtas %s ->", name);
	for (uint32_t r = 0; r < nret; r++) {
		if (r >= 32 || !(rets_written & (1u << r)))
			fprintf(out, " -");
		else if (r == 0)
			fprintf(out, " %d", (int32_t)rets[0]);
		else
			fprintf(out, " 0x%08x", rets[r]);
	}
	fputc('\n', out);
}

static int do_rtas(struct cli *c, char **tok, int n)
{
	uint64_t v, token;
	uint32_t nargs, nret, args[2 * MAX_TOK], rets[256];
	uint32_t dnargs = 0, dnret = 0;
	int nargv = 0, i, t, k;
	bool have_nargs = false, have_nret = false;
	const char *name;
	char tokname[24];
	struct sphb_rtas_result res;
	int rc;

	if (n < 2)
		return script_error(c, "rtas: missing call name or token");
	t = sphb_rtas_token(tok[1]);
	if (t >= 0) {
		token = (uint64_t)t;
	} else if (!parse_num(tok[1], 32, &token) || tok[1][0] == '-') {
		return script_error(c, "rtas: unknown RTAS call '%s'", tok[1]);
	}
	for (i = 2; i < n; i++) {
		if (!strncmp(tok[i], "nargs=", 6) || !strncmp(tok[i], "nret=", 5)) {
			bool isargs = tok[i][1] == 'a';
			const char *val = tok[i] + (isargs ? 6 : 5);
			if (!parse_num(val, 32, &v) || val[0] == '-' || v > 255)
				return script_error(c, "rtas: %s: expected a count 0..255", tok[i]);
			if (isargs) {
				dnargs = (uint32_t)v;
				have_nargs = true;
			} else {
				dnret = (uint32_t)v;
				have_nret = true;
			}
			continue;
		}
		k = addr_words(c, "rtas", tok[i], args + nargv);
		if (k < 0)
			return 2;
		if (k > 0) {
			nargv += k;
			continue;
		}
		if (!parse_num(tok[i], 32, &v))
			return script_error(c, "rtas: bad argument '%s' (a 32-bit number)", tok[i]);
		args[nargv++] = (uint32_t)v;
	}
	nargs = have_nargs ? dnargs : (uint32_t)nargv;
	if (have_nret) {
		nret = dnret;
	} else if (sphb_rtas_counts((uint32_t)token, NULL, &nret)) {
		nret = 1;
	}
	{
		uint8_t *p = c->ram + RTAS_BUF_GPA;
		uint32_t words[3 + 2 * MAX_TOK];
		words[0] = (uint32_t)token;
		words[1] = nargs;
		words[2] = nret;
		for (i = 0; i < nargv; i++)
			words[3 + i] = args[i];
		for (i = 0; i < 3 + nargv; i++)
			cli_put32(p + 4 * i, words[i]);
	}
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	rc = sphb_rtas_call(c->m, RTAS_BUF_GPA, &res);
	if (rc && rc != -ENOENT)
		res.rets_written = 0; /* the call did not run */
	name = sphb_rtas_name((uint32_t)token);
	if (!name) {
		snprintf(tokname, sizeof(tokname), "0x%x", (unsigned)token);
		name = tokname;
	}
	for (uint32_t r = 0; r < nret; r++)
		rets[r] = cli_get32(c->ram + RTAS_BUF_GPA + 12 + 4 * (nargs + r));
	cli_print_rtas_line(c->out, name, nret, rets, res.rets_written);
	return 0;
}

static int guest_range(struct cli *c, const char *what, uint64_t addr, uint64_t len)
{
	if (addr > GUEST_RAM_SIZE || len > GUEST_RAM_SIZE - addr)
		return script_error(c, "%s: 0x%llx+%llu is outside guest RAM (1 GiB at 0)", what,
				    (unsigned long long)addr, (unsigned long long)len);
	return 0;
}

static int do_mem(struct cli *c, char **tok, int n)
{
	uint64_t addr, v;

	if (n < 3)
		return script_error(c, "mem: expected 'mem read ADDR N' or 'mem write[64] ADDR WORD...'");
	if (!parse_num(tok[2], 64, &addr) || tok[2][0] == '-')
		return script_error(c, "mem: bad address '%s'", tok[2]);
	if (!strcmp(tok[1], "read")) {
		uint64_t count;
		if (n != 4 || !parse_num(tok[3], 32, &count) || tok[3][0] == '-' || count > 4096)
			return script_error(c, "mem read: expected 'mem read ADDR N' with N in 0..4096");
		if (guest_range(c, "mem read", addr, count * 4))
			return 2;
		fprintf(c->out, "mem 0x%llx ->", (unsigned long long)addr);
		for (uint64_t i = 0; i < count; i++)
			fprintf(c->out, " 0x%08x", cli_get32(c->ram + addr + 4 * i));
		fputc('\n', c->out);
		return 0;
	}
	if (!strcmp(tok[1], "write") || !strcmp(tok[1], "write64")) {
		unsigned w = tok[1][5] ? 8 : 4;
		uint64_t vals[2 * (MAX_TOK + 8)];
		size_t nv = 0;

		/* every word first (address functions may stand for two), so a bad
		 * one writes nothing */
		for (int i = 3; i < n; i++) {
			uint32_t aw[2];
			int k = w == 4 ? addr_words(c, "mem write", tok[i], aw) : 0;
			if (k < 0)
				return 2;
			for (int j = 0; j < k; j++)
				vals[nv++] = aw[j];
			if (k)
				continue;
			if (!parse_num(tok[i], w * 8, &v))
				return script_error(c, "mem %s: bad value '%s'", tok[1], tok[i]);
			vals[nv++] = v;
		}
		if (guest_range(c, w == 8 ? "mem write64" : "mem write", addr, (uint64_t)nv * w))
			return 2;
		for (size_t i = 0; i < nv; i++)
			for (unsigned b = 0; b < w; b++)
				c->ram[addr + (uint64_t)i * w + b] = (uint8_t)(vals[i] >> (8 * (w - 1 - b)));
		return 0;
	}
	return script_error(c, "mem: unknown operation '%s' (read, write, write64)", tok[1]);
}

/* A guest physical address: a number, or gpa(PHB,SPACE,BUS) — where PHB's
 * window SPACE (io, mem32, mem64) decodes bus address BUS (sphb_phb_info). */
static int mmio_addr(struct cli *c, const char *what, const char *t, uint64_t *gpa)
{
	struct sphb_phb_info in;
	char buf[MAX_ID + 64], *space, *bus;
	uint64_t b, cpu, base, size;
	size_t len = strlen(t);

	if (strncmp(t, "gpa(", 4)) {
		if (!parse_num(t, 64, gpa) || t[0] == '-')
			return script_error(c, "%s: bad address '%s'", what, t);
		return 0;
	}
	if (len - 4 >= sizeof(buf) || t[len - 1] != ')')
		return script_error(c, "%s: '%s': expected gpa(PHB,io|mem32|mem64,BUS_ADDRESS)", what, t);
	memcpy(buf, t + 4, len - 5);
	buf[len - 5] = '\0';
	space = strchr(buf, ',');
	bus = space ? strchr(space + 1, ',') : NULL;
	if (!bus)
		return script_error(c, "%s: '%s': expected gpa(PHB,io|mem32|mem64,BUS_ADDRESS)", what, t);
	*space++ = '\0';
	*bus++ = '\0';
	memset(&in, 0, sizeof(in));
	in.sz = sizeof(in);
	if (sphb_phb_info(c->m, buf, &in))
		return script_error(c, "%s: '%s': unknown PHB '%s'", what, t, buf);
	if (!strcmp(space, "io"))
		cpu = in.io_cpu, base = in.io_bus, size = in.io_size;
	else if (!strcmp(space, "mem32"))
		cpu = in.mem32_cpu, base = in.mem32_bus, size = in.mem32_size;
	else if (!strcmp(space, "mem64"))
		cpu = in.mem64_cpu, base = in.mem64_bus, size = in.mem64_size;
	else
		return script_error(c, "%s: '%s': bad window '%s' (io, mem32 or mem64)", what, t, space);
	if (!parse_num(bus, 64, &b) || bus[0] == '-' || b < base || b - base >= size)
		return script_error(c, "%s: '%s': bus address '%s' is outside the window (0x%llx..0x%llx)",
				    what, t, bus, (unsigned long long)base,
				    (unsigned long long)(base + size - (size != 0)));
	*gpa = cpu + (b - base);
	return 0;
}

/* mmio load ADDR SIZE / mmio store ADDR SIZE VALUE: a CPU access at a guest
 * physical address, routed as the VMM's MMIO exit would be */
static int do_mmio_addr(struct cli *c, char **tok, int n)
{
	bool ld = !strcmp(tok[1], "load");
	uint64_t gpa, size, val = 0;
	int rc;

	if (n != (ld ? 4 : 5))
		return script_error(c, "mmio %s: expected 'mmio load ADDR SIZE' or 'mmio store ADDR SIZE VALUE'",
				    tok[1]);
	if (mmio_addr(c, ld ? "mmio load" : "mmio store", tok[2], &gpa))
		return 2;
	if (!parse_num(tok[3], 32, &size) || (size != 1 && size != 2 && size != 4 && size != 8))
		return script_error(c, "mmio %s: bad size '%s' (1, 2, 4 or 8)", tok[1], tok[3]);
	if (!ld && !parse_num(tok[4], (unsigned)size * 8, &val))
		return script_error(c, "mmio store: bad value '%s' for %u bytes", tok[4], (unsigned)size);
	rc = ld ? sphb_mmio_load(c->m, gpa, (unsigned)size, &val) : sphb_mmio_store(c->m, gpa, (unsigned)size, val);
	if (rc == -ENOENT)
		return script_error(c, "mmio %s: 0x%llx is outside every PHB window", tok[1], (unsigned long long)gpa);
	if (rc)
		return script_error(c, "mmio %s: failed: %s", tok[1], strerror(-rc));
	if (ld)
		fprintf(c->out, "mmio 0x%llx -> 0x%0*llx\n", (unsigned long long)gpa, (int)size * 2,
			(unsigned long long)val);
	return 0;
}

static int do_mmio(struct cli *c, char **tok, int n)
{
	uint64_t bar, off, size, val = 0;
	bool rd;
	int rc;

	if (n >= 2 && (!strcmp(tok[1], "load") || !strcmp(tok[1], "store")))
		return do_mmio_addr(c, tok, n);
	if (n < 2 || (strcmp(tok[1], "read") && strcmp(tok[1], "write")))
		return script_error(c, "mmio: expected 'mmio read DEV BAR OFFSET SIZE', 'mmio write DEV BAR OFFSET SIZE VALUE', "
				    "'mmio load ADDR SIZE' or 'mmio store ADDR SIZE VALUE'");
	rd = !strcmp(tok[1], "read");
	if (n != (rd ? 6 : 7))
		return script_error(c, "mmio %s: expected %d operands", tok[1], rd ? 4 : 5);
	if (!parse_num(tok[3], 32, &bar) || bar > 6)
		return script_error(c, "mmio: bad BAR '%s' (0..5, 6 = ROM)", tok[3]);
	if (!parse_num(tok[4], 64, &off) || tok[4][0] == '-')
		return script_error(c, "mmio: bad offset '%s'", tok[4]);
	if (!parse_num(tok[5], 32, &size) || (size != 1 && size != 2 && size != 4 && size != 8))
		return script_error(c, "mmio: bad size '%s' (1, 2, 4 or 8)", tok[5]);
	if (!rd && !parse_num(tok[6], (unsigned)size * 8, &val))
		return script_error(c, "mmio write: bad value '%s' for %u bytes", tok[6], (unsigned)size);
	if (rd)
		rc = sphb_mmio_read(c->m, tok[2], (unsigned)bar, off, (unsigned)size, &val);
	else
		rc = sphb_mmio_write(c->m, tok[2], (unsigned)bar, off, (unsigned)size, val);
	if (rc == -ENOENT)
		return script_error(c, "mmio: unknown device '%s' (a sim-pci id)", tok[2]);
	if (rc == -EINVAL)
		return script_error(c, "mmio: offset 0x%llx is not aligned to size %u",
				    (unsigned long long)off, (unsigned)size);
	if (rc)
		return script_error(c, "mmio: failed: %s", strerror(-rc));
	if (rd)
		fprintf(c->out, "mmio %s -> 0x%0*llx\n", tok[2], (int)size * 2, (unsigned long long)val);
	return 0;
}

static int dev_error(struct cli *c, const char *what, const char *dev, int rc)
{
	if (rc == -ENOENT)
		return script_error(c, "%s: unknown device '%s'", what, dev);
	if (rc == -ENODEV)
		return script_error(c, "%s: device '%s' is emulated (no iommu-group), it has no PE", what, dev);
	return script_error(c, "%s: failed: %s", what, strerror(-rc));
}

static int do_host(struct cli *c, char **tok, int n)
{
	int rc;

	if (n >= 3 && !strcmp(tok[1], "freeze") && n == 3) {
		uint32_t pe;
		rc = sphb_host_freeze(c->m, tok[2], &pe);
		if (rc)
			return dev_error(c, "host freeze", tok[2], rc);
		fprintf(c->out, "host freeze %s -> PE 0x%08x\n", tok[2], pe);
		return 0;
	}
	if (n >= 3 && !strcmp(tok[1], "state") && n == 3) {
		const char *name = NULL;
		rc = sphb_host_state(c->m, tok[2], &name);
		if (rc)
			return dev_error(c, "host state", tok[2], rc);
		fprintf(c->out, "host state %s -> %s\n", tok[2], name);
		return 0;
	}
	if (n >= 3 && !strcmp(tok[1], "busy")) {
		uint64_t ms;
		if (n != 4 || !parse_num(tok[3], 32, &ms) || tok[3][0] == '-')
			return script_error(c, "host busy: expected 'host busy DEV MS'");
		rc = sphb_host_busy(c->m, tok[2], (uint32_t)ms);
		if (rc)
			return dev_error(c, "host busy", tok[2], rc);
		fprintf(c->out, "host busy %s -> %llu ms\n", tok[2], (unsigned long long)ms);
		return 0;
	}
	if (n >= 3 && !strcmp(tok[1], "fail")) {
		uint64_t e, cnt = 1;
		if (n < 4 || n > 5 || !parse_num(tok[3], 32, &e) || tok[3][0] == '-' ||
		    (n == 5 && (!parse_num(tok[4], 32, &cnt) || tok[4][0] == '-')))
			return script_error(c, "host fail: expected 'host fail DEV ERRNO [COUNT]'");
		rc = sphb_host_fail(c->m, tok[2], (int)e, (unsigned)cnt);
		if (rc == -EINVAL)
			return script_error(c, "host fail: errno %s out of range 1..4095", tok[3]);
		if (rc)
			return dev_error(c, "host fail", tok[2], rc);
		fprintf(c->out, "host fail %s -> next %llu ops fail with errno %llu\n", tok[2],
		       (unsigned long long)cnt, (unsigned long long)e);
		return 0;
	}
	return script_error(c, "host: expected 'host freeze DEV', 'host state DEV', 'host busy DEV MS' or 'host fail DEV ERRNO [COUNT]'");
}

static void guest_trace(void *opaque, const struct sphb_guest_call *call)
{
	struct cli *c = opaque;
	struct cli_gcall *g;
	const char *name;

	if (c->guest_mode == CLI_GUEST_CALLS)
		cli_print_rtas_line(c->out, call->name, call->nret, call->rets, call->rets_written);
	if (c->guest_mode != CLI_GUEST_LOG)
		return;
	if (c->ngcalls == c->capgcalls) {
		size_t cap = c->capgcalls ? 2 * c->capgcalls : 256;
		struct cli_gcall *v = realloc(c->gcalls, cap * sizeof(*v));
		if (!v) {
			c->gcalls_lost++;
			return;
		}
		c->gcalls = v;
		c->capgcalls = cap;
	}
	/* the library's own name: valid after the callback, unlike call->name */
	name = sphb_rtas_name(call->token);
	g = &c->gcalls[c->ngcalls++];
	memset(g, 0, sizeof(*g));
	g->name = name ? name : "?";
	g->nargs = call->nargs;
	g->nret = call->nret;
	g->written = call->rets_written;
	for (uint32_t i = 0; i < call->nargs && i < CLI_GCALL_CELLS; i++)
		g->args[i] = call->args[i];
	for (uint32_t i = 0; i < call->nret && i < CLI_GCALL_CELLS; i++)
		g->rets[i] = call->rets[i];
	g->ms = sphb_clock_ms(c->m);
}

static int do_guest(struct cli *c, char **tok, int n)
{
	static const char *const outcome[] = {
		[SPHB_GUEST_NOT_FROZEN] = "not-frozen",
		[SPHB_GUEST_RECOVERED] = "recovered",
		[SPHB_GUEST_PERMANENT_FAILURE] = "permanent-failure",
	};
	struct sphb_guest_result res;
	uint64_t t0;
	int rc;

	if (n < 3 || n > 4 || strcmp(tok[1], "recover") ||
	    (n == 4 && strcmp(tok[3], "quiet") && strcmp(tok[3], "log")))
		return script_error(c, "guest: expected 'guest recover DEV [quiet|log]'");
	c->guest_mode = n == 3 ? CLI_GUEST_CALLS : !strcmp(tok[3], "quiet") ? CLI_GUEST_QUIET : CLI_GUEST_LOG;
	c->ngcalls = c->gcalls_lost = 0;
	if (!c->guest) {
		struct sphb_guest_opts opts;
		struct sphb_guest_ops ops;

		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.scratch_gpa = GUEST_SCRATCH_GPA;
		opts.max_freezes = CLI_GUEST_MAX_FREEZES;
		memset(&ops, 0, sizeof(ops));
		ops.sz = sizeof(ops);
		ops.mem_read = cli_mem_read;
		ops.mem_write = cli_mem_write;
		ops.trace = guest_trace;
		rc = sphb_guest_new(c->m, &opts, &ops, c, &c->guest);
		if (rc)
			return script_error(c, "guest: cannot start the guest-recovery driver: %s",
					    strerror(-rc));
	}
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	t0 = sphb_clock_ms(c->m);
	rc = sphb_guest_recover(c->guest, tok[2], &res);
	if (c->guest_mode == CLI_GUEST_LOG && (!rc || rc == -ENODEV))
		cli_guest_log(c, tok[2], &res, t0);
	if (rc == -ENODEV)
		return script_error(c, "guest recover: device '%s' is in no PE (no EEH)", tok[2]);
	if (rc)
		return dev_error(c, "guest recover", tok[2], rc);
	fprintf(c->out, "recover %s -> %s (%u resets, %llu ms)\n", tok[2],
	       (unsigned)res.outcome < sizeof(outcome) / sizeof(outcome[0]) ? outcome[res.outcome] : "?",
	       (unsigned)res.resets, (unsigned long long)res.elapsed_ms);
	return 0;
}

static int do_hcall(struct cli *c, char **tok, int n)
{
	static const struct { const char *name; uint64_t nr; unsigned nret; } hc[] = {
		{ "H_GET_TCE", 0x1c, 1 }, { "H_PUT_TCE", 0x20, 0 },
		{ "H_STUFF_TCE", 0x138, 0 }, { "H_PUT_TCE_INDIRECT", 0x13c, 0 },
	};
	uint64_t nr, args[8], rets[1] = { 0 };
	const char *name = NULL;
	char num[24];
	unsigned nret = 0;
	int64_t hret = 0;
	int rc;

	if (n < 2 || n > 10)
		return script_error(c, "hcall: expected 'hcall NAME|NUMBER ARG...' (at most 8 ARGs)");
	for (unsigned i = 0; i < sizeof(hc) / sizeof(hc[0]); i++)
		if (!strcmp(tok[1], hc[i].name) || (parse_num(tok[1], 64, &nr) && nr == hc[i].nr)) {
			name = hc[i].name;
			nr = hc[i].nr;
			nret = hc[i].nret;
		}
	if (!name) {
		if (!parse_num(tok[1], 64, &nr) || tok[1][0] == '-')
			return script_error(c, "hcall: unknown hypercall '%s'", tok[1]);
		snprintf(num, sizeof(num), "0x%llx", (unsigned long long)nr);
		name = num;
	}
	for (int i = 2; i < n; i++)
		if (!parse_num(tok[i], 64, &args[i - 2]))
			return script_error(c, "hcall: bad argument '%s' (a 64-bit number)", tok[i]);
	rc = sphb_hcall(c->m, nr, args, (unsigned)(n - 2), rets, nret, &hret);
	if (rc == -ENOENT) {
		fprintf(c->out, "hcall %s -> -2\n", name); /* H_FUNCTION: not a PHB hcall */
		return 0;
	}
	if (rc)
		return script_error(c, "hcall: failed: %s", strerror(-rc));
	fprintf(c->out, "hcall %s -> %lld", name, (long long)hret);
	if (nret && hret == 0)
		fprintf(c->out, " 0x%016llx", (unsigned long long)rets[0]);
	fputc('\n', c->out);
	return 0;
}

/* device-initiated DMA through the PHB's TCE translation */
static int do_dma(struct cli *c, char **tok, int n)
{
	uint64_t iova, len, buid, gpa, v;
	uint32_t cfg;
	unsigned perm;
	bool rd;
	int rc;

	if (n < 4 || (strcmp(tok[1], "read") && strcmp(tok[1], "write")))
		return script_error(c, "dma: expected 'dma read DEV IOVA LEN' or 'dma write DEV IOVA WORD...'");
	rd = !strcmp(tok[1], "read");
	if (sphb_dev_config_addr(c->m, tok[2], &buid, &cfg))
		return script_error(c, "dma: unknown device '%s'", tok[2]);
	if (!parse_num(tok[3], 64, &iova) || tok[3][0] == '-')
		return script_error(c, "dma: bad IOVA '%s'", tok[3]);
	if (rd && (n != 5 || !parse_num(tok[4], 32, &len) || tok[4][0] == '-' || len > 4096 || (len & 3)))
		return script_error(c, "dma read: expected LEN, a multiple of 4 up to 4096");
	if (!rd)
		len = (uint64_t)(n - 4) * 4;
	/* check every byte first, so a fault moves nothing */
	for (uint64_t off = 0; off < len; off += 4) {
		rc = sphb_dma_translate(c->m, buid, cfg, iova + off, &gpa, &perm);
		if (rc == -EIO) {
			fprintf(c->out, "dma %s -> BLOCKED\n", tok[2]);
			return 0;
		}
		if (rc || !(perm & (rd ? 1u : 2u)) || gpa > GUEST_RAM_SIZE - 4) {
			fprintf(c->out, "dma %s -> FAULT\n", tok[2]);
			return 0;
		}
	}
	if (rd)
		fprintf(c->out, "dma %s -> OK", tok[2]);
	for (uint64_t off = 0; off < len; off += 4) {
		(void)sphb_dma_translate(c->m, buid, cfg, iova + off, &gpa, &perm);
		if (rd) {
			fprintf(c->out, " 0x%08x", cli_get32(c->ram + gpa));
		} else {
			if (!parse_num(tok[4 + off / 4], 32, &v))
				return script_error(c, "dma write: bad word '%s'", tok[4 + off / 4]);
			cli_put32(c->ram + gpa, (uint32_t)v);
		}
	}
	if (rd)
		fputc('\n', c->out);
	else
		fprintf(c->out, "dma %s -> OK\n", tok[2]);
	return 0;
}

static int run_statement(struct cli *c, char *line)
{
	char *tok[MAX_TOK + 8];
	int n = 0;
	char *hash, *save = NULL, *t;

	/* "echo TEXT": narration for scenario scripts, printed as is */
	t = line + strspn(line, " \t");
	if (!strncmp(t, "echo", 4) && (t[4] == ' ' || t[4] == '\t' || t[4] == '\n' ||
				      t[4] == '\r' || t[4] == '\0')) {
		t += 4;
		t += strspn(t, " \t");
		t[strcspn(t, "\r\n")] = '\0';
		fputs(t, c->out); fputc('\n', c->out);
		return 0;
	}
	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == (int)(sizeof(tok) / sizeof(tok[0])))
			return script_error(c, "too many words on one line (at most %zu)",
					    sizeof(tok) / sizeof(tok[0]));
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	if (!strcmp(tok[0], "rtas")) {
		if (n > MAX_TOK)
			return script_error(c, "rtas: too many arguments (at most %d)", MAX_TOK - 2);
		return do_rtas(c, tok, n);
	}
	if (!strcmp(tok[0], "mem"))
		return do_mem(c, tok, n);
	if (!strcmp(tok[0], "mmio"))
		return do_mmio(c, tok, n);
	if (!strcmp(tok[0], "host"))
		return do_host(c, tok, n);
	if (!strcmp(tok[0], "guest"))
		return do_guest(c, tok, n);
	if (!strcmp(tok[0], "hcall"))
		return do_hcall(c, tok, n);
	if (!strcmp(tok[0], "dma"))
		return do_dma(c, tok, n);
	return script_error(c, "unknown statement '%s'", tok[0]);
}

int cli_run_script(struct cli *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!f) {
		fprintf(c->err, "sphb: %s: %s\n", path, strerror(errno));
		return 2;
	}
	c->script = path;
	c->line = 0;
	while (getline(&line, &cap, f) >= 0) {
		c->line++;
		rc = run_statement(c, line);
		if (rc)
			break;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	fflush(c->out);
	return rc;
}

/* The same, from memory: every line (up to and including its newline, NULs
 * and all) is handed to run_statement NUL-terminated, as getline() would. */
int cli_run_script_mem(struct cli *c, const char *name, const char *buf, size_t len)
{
	char *line = malloc(len + 1);
	size_t pos = 0;
	int rc = 0;

	if (!line) {
		fprintf(c->err, "sphb: %s: out of memory\n", name);
		return 2;
	}
	c->script = name;
	c->line = 0;
	while (pos < len && !rc) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) + 1 : len - pos;

		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n;
		c->line++;
		rc = run_statement(c, line);
	}
	free(line);
	fflush(c->out);
	return rc;
}

/* ---- the machine ---- */

int cli_init(struct cli *c)
{
	struct sphb_host_ops ops;
	void *ram;

	memset(c, 0, sizeof(*c));
	c->out = stdout;
	c->err = stderr;
	/* zero pages on demand: a script touches little of its 1 GiB */
	ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return -ENOMEM;
	c->ram = ram;
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = cli_mem_read;
	ops.mem_write = cli_mem_write;
	ops.log = log_cb;
	if (sphb_machine_new_default(&ops, c, &c->m)) {
		munmap(c->ram, GUEST_RAM_SIZE);
		c->ram = NULL;
		return -ENOMEM;
	}
	return 0;
}

void cli_fini(struct cli *c)
{
	sphb_guest_free(c->guest);
	free(c->gcalls);
	c->gcalls = NULL;
	c->ngcalls = c->capgcalls = 0;
	sphb_machine_free(c->m);
	if (c->ram)
		munmap(c->ram, GUEST_RAM_SIZE);
	c->guest = NULL;
	c->m = NULL;
	c->ram = NULL;
}
