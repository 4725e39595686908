/* Trace parsing for `sphb replay`: the guest's RTAS / hcall ftrace lines and
 * QEMU 7.2 trace events (formats: the events' definitions in QEMU 7.2's
 * hw/ppc/trace-events and hw/pci/trace-events, printed by the "log" trace
 * backend with -msg timestamp=on; docs/cli.md "Replay"). See trace.h.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace.h"

/* ---- growing arrays ---- */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n;
	void *q;

	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX / 2)
		return -ENOMEM;
	n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	q = realloc(*p, (size_t)n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

void trace_skip(struct trace *t, struct trace_loc loc, const char *why)
{
	uint32_t i;

	if (t->nskip < TRACE_SKIP_KEEP) {
		t->skip[t->nskip].loc = loc;
		t->skip[t->nskip].why = why;
	}
	t->nskip++;
	for (i = 0; i < t->nreasons; i++)
		if (t->reason[i].why == why || !strcmp(t->reason[i].why, why))
			break;
	if (i == t->nreasons) {
		if (i == TRACE_SKIP_REASONS)
			i--; /* the last slot collects the rest */
		else
			t->reason[t->nreasons++].why = why;
	}
	if (t->reason[i].count < TRACE_SKIP_FIRST)
		t->reason[i].first[t->reason[i].count] = loc;
	t->reason[i].count++;
}

static const char *intern(struct trace *t, const char *s, size_t len)
{
	char *c;

	for (uint32_t i = 0; i < t->nnames; i++)
		if (strlen(t->names[i]) == len && !memcmp(t->names[i], s, len))
			return t->names[i];
	if (t->nnames >= 4096 ||
	    grow((void **)&t->names, &t->cap_names, t->nnames + 1, sizeof(*t->names)))
		return NULL;
	c = malloc(len + 1);
	if (!c)
		return NULL;
	memcpy(c, s, len);
	c[len] = '\0';
	t->names[t->nnames++] = c;
	return c;
}

/* ---- a small strict scanner ----
 * fmt directives: %x "0x" + hex digits; %h hex digits without 0x; %u decimal;
 * %d optionally negative decimal (two's complement); %w a word up to a space
 * (pointer + length); %q a word up to '"'. Other characters match exactly.
 * The whole input must be consumed, except trailing spaces / CR / LF. */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *num(const char *s, unsigned base, uint64_t *v)
{
	uint64_t x = 0;
	const char *b = s;
	int d;

	while ((d = hexval(*s)) >= 0 && (unsigned)d < base) {
		if (x > (UINT64_MAX - (uint64_t)d) / base)
			return NULL;
		x = x * base + (uint64_t)d;
		s++;
	}
	if (s == b || s - b > 20)
		return NULL;
	*v = x;
	return s;
}

static bool at_end(const char *s)
{
	while (*s == ' ' || *s == '\r' || *s == '\n' || *s == '\t')
		s++;
	return *s == '\0';
}

static bool scan(const char *s, const char *fmt, ...)
{
	va_list ap;
	bool ok = true;

	va_start(ap, fmt);
	for (; *fmt && ok; fmt++) {
		if (*fmt != '%') {
			ok = *s++ == *fmt;
			continue;
		}
		switch (*++fmt) {
		case 'x':
			ok = s[0] == '0' && s[1] == 'x' && (s = num(s + 2, 16, va_arg(ap, uint64_t *)));
			break;
		case 'h':
			ok = (s = num(s, 16, va_arg(ap, uint64_t *))) != NULL;
			break;
		case 'u':
			ok = (s = num(s, 10, va_arg(ap, uint64_t *))) != NULL;
			break;
		case 'd': {
			uint64_t *v = va_arg(ap, uint64_t *);
			bool neg = *s == '-';
			if (neg)
				s++;
			ok = (s = num(s, 10, v)) != NULL && *v <= (neg ? 1ull << 63 : INT64_MAX);
			if (ok && neg)
				*v = 0 - *v;
			break;
		}
		case 'w':
		case 'q': {
			const char **w = va_arg(ap, const char **);
			size_t *len = va_arg(ap, size_t *);
			char stop = *fmt == 'w' ? ' ' : '"';
			*w = s;
			while (*s && *s != stop && *s != '\r' && *s != '\n')
				s++;
			*len = (size_t)(s - *w);
			ok = *len > 0 && *len < 128;
			break;
		}
		default:
			ok = false;
		}
	}
	va_end(ap);
	return ok && at_end(s);
}

/* ---- RTAS names ---- */

/* RTAS services of PAPR and QEMU that are not the PHB's: replayed as "not
 * the PHB's", never skipped. Anything else the library does not know is an
 * unknown call name. */
static const char *const rtas_services[] = {
	"display-character", "get-time-of-day", "set-time-of-day", "event-scan",
	"check-exception", "nvram-fetch", "nvram-store", "power-off", "system-reboot",
	"set-indicator", "get-sensor-state", "set-power-level", "get-power-level",
	"freeze-time-base", "thaw-time-base", "start-cpu", "stop-self",
	"query-cpu-stopped-state", "rtas-last-error", "ibm,configure-connector",
	"ibm,get-system-parameter", "ibm,set-system-parameter", "ibm,os-term",
	"ibm,nmi-register", "ibm,nmi-interlock", "ibm,suspend-me", "ibm,update-nodes",
	"ibm,update-properties", "ibm,activate-firmware", "ibm,get-indices",
	"ibm,get-vpd", "ibm,get-dynamic-sensor-state", "ibm,set-dynamic-indicator",
	"ibm,display-message", "ibm,platform-dump", "ibm,manage-flash-image",
	"ibm,validate-flash-image", "ibm,set-xive", "ibm,get-xive", "ibm,int-on",
	"ibm,int-off", "ibm,lpar-perftools", "ibm,set-tce-bypass",
	"ibm,physical-attestation", "ibm,configure-kernel-dump", "ibm,power-off-ups",
	"ibm,read-slot-reset-state", "ibm,get-config-addr-info", "ibm,configure-bridge",
	"ibm,exti2c", "ibm,change-msix", "get-term-char", "put-term-char",
};

static bool valid_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ',' || c == '-' ||
		      c == '_' || c == '.' || c == '+' || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return len > 0;
}

/* the static name of a call the library or rtas_services[] knows, or NULL */
static const char *known_call(int token, const char *name)
{
	if (token >= 0)
		return sphb_rtas_name((uint32_t)token);
	for (size_t i = 0; i < sizeof(rtas_services) / sizeof(rtas_services[0]); i++)
		if (!strcmp(rtas_services[i], name))
			return rtas_services[i];
	return NULL;
}

/* ---- guest lines ---- */

#define NCPU 64

struct pend_rtas {
	bool on;
	char name[128];		/* the call's name as traced, until its output */
	struct trace_rtas r;
};
struct pend_hcall {
	bool on;
	uint64_t opcode;
	struct trace_loc loc;
};

struct parser {
	struct trace *t;
	struct pend_rtas rtas[NCPU];
	struct pend_hcall hcall[NCPU];
};

/* "{0x1,0x2}" -> cells; false when malformed or more than `max` */
static bool cell_list(const char *s, uint32_t *cells, uint32_t max, uint32_t *n)
{
	*n = 0;
	if (*s++ != '{')
		return false;
	if (*s == '}')
		return at_end(s + 1);
	for (;;) {
		uint64_t v;
		if (s[0] != '0' || s[1] != 'x' || !(s = num(s + 2, 16, &v)) || v > UINT32_MAX ||
		    *n >= max)
			return false;
		cells[(*n)++] = (uint32_t)v;
		if (*s == '}')
			return at_end(s + 1);
		if (*s++ != ',')
			return false;
	}
}

static int add_gev(struct trace *t, uint32_t kind, uint32_t index)
{
	if (grow((void **)&t->gev, &t->cap_gev, t->ngev + 1, sizeof(*t->gev)))
		return -ENOMEM;
	t->gev[t->ngev].kind = kind;
	t->gev[t->ngev].index = index;
	t->ngev++;
	return 0;
}

static int rtas_in(struct parser *p, unsigned cpu, const char *s, struct trace_loc loc)
{
	struct trace *t = p->t;
	struct pend_rtas *pr = &p->rtas[cpu];
	const char *sp = strstr(s, " arguments: ");
	size_t len;

	if (!sp || (size_t)(sp - s) >= sizeof(pr->name) || !valid_name(s, (size_t)(sp - s))) {
		trace_skip(t, loc, "garbled rtas_input line");
		return 0;
	}
	len = (size_t)(sp - s);
	if (pr->on)
		trace_skip(t, pr->r.in, "rtas_input without its rtas_output");
	pr->on = false;
	memset(&pr->r, 0, sizeof(pr->r));
	if (!cell_list(sp + 12, pr->r.args, TRACE_RTAS_CELLS, &pr->r.nargs)) {
		trace_skip(t, loc, "garbled rtas_input line");
		return 0;
	}
	memcpy(pr->name, s, len);
	pr->name[len] = '\0';
	pr->r.in = loc;
	pr->r.token = sphb_rtas_token(pr->name);
	pr->on = true;
	return 0;
}

static int rtas_out(struct parser *p, unsigned cpu, const char *s, struct trace_loc loc)
{
	struct trace *t = p->t;
	struct pend_rtas *pr = &p->rtas[cpu];
	const char *sp = strstr(s, " status: ");
	const char *q;
	uint64_t st;
	uint32_t nouts;
	bool neg;

	if (!sp || !valid_name(s, (size_t)(sp - s))) {
		trace_skip(t, loc, "garbled rtas_output line");
		return 0;
	}
	q = sp + 9;
	neg = *q == '-';
	if (neg)
		q++;
	if (!(q = num(q, 10, &st)) || st > 0x80000000u || (!neg && st > INT32_MAX) ||
	    strncmp(q, ", other outputs: ", 17)) {
		trace_skip(t, loc, "garbled rtas_output line");
		return 0;
	}
	if (!pr->on || strlen(pr->name) != (size_t)(sp - s) || memcmp(pr->name, s, (size_t)(sp - s))) {
		if (pr->on)
			trace_skip(t, pr->r.in, "rtas_input without its rtas_output");
		pr->on = false;
		trace_skip(t, loc, "rtas_output without its rtas_input");
		return 0;
	}
	pr->on = false;
	if (pr->r.nargs >= TRACE_RTAS_CELLS ||
	    !cell_list(q + 17, pr->r.rets + 1, TRACE_RTAS_CELLS - 1 - pr->r.nargs, &nouts)) {
		trace_skip(t, loc, "garbled rtas_output line (or more than 16 cells)");
		trace_skip(t, pr->r.in, "rtas_input without a usable rtas_output");
		return 0;
	}
	pr->r.rets[0] = neg ? (uint32_t)(0 - st) : (uint32_t)st;
	pr->r.nret = nouts + 1;
	pr->r.out = loc;
	/* a static name: not interned, so not limited by the device names */
	pr->r.name = known_call(pr->r.token, pr->name);
	if (!pr->r.name) {
		trace_skip(t, pr->r.in, "unknown RTAS call name");
		return 0;
	}
	if (grow((void **)&t->rtas, &t->cap_rtas, t->nrtas + 1, sizeof(*t->rtas)))
		return -ENOMEM;
	t->rtas[t->nrtas] = pr->r;
	return add_gev(t, TRACE_G_RTAS, t->nrtas++);
}

static bool tce_opcode(uint64_t op)
{
	return op == 0x1C || op == 0x20 || op == 0x138 || op == 0x13C;
}

static int hcall_line(struct parser *p, unsigned cpu, const char *s, bool exit,
		      struct trace_loc loc)
{
	struct trace *t = p->t;
	struct pend_hcall *ph = &p->hcall[cpu];
	uint64_t op, rv;

	if (!exit) {
		if (!scan(s, "opcode=%u", &op)) {
			trace_skip(t, loc, "garbled hcall_entry line");
			return 0;
		}
		if (ph->on)
			trace_skip(t, ph->loc, "hcall_entry without its hcall_exit");
		ph->on = true;
		ph->opcode = op;
		ph->loc = loc;
		return 0;
	}
	if (!scan(s, "opcode=%u retval=%d", &op, &rv)) {
		trace_skip(t, loc, "garbled hcall_exit line");
		return 0;
	}
	if (!ph->on || ph->opcode != op) {
		if (ph->on)
			trace_skip(t, ph->loc, "hcall_entry without its hcall_exit");
		ph->on = false;
		trace_skip(t, loc, "hcall_exit without its hcall_entry");
		return 0;
	}
	ph->on = false;
	if (!tce_opcode(op)) {
		t->other_hcalls++;
		return 0;
	}
	if (grow((void **)&t->hcalls, &t->cap_hcalls, t->nhcalls + 1, sizeof(*t->hcalls)))
		return -ENOMEM;
	t->hcalls[t->nhcalls].loc = loc;
	t->hcalls[t->nhcalls].opcode = (uint32_t)op;
	t->hcalls[t->nhcalls].retval = (int64_t)rv;
	return add_gev(t, TRACE_G_HCALL, t->nhcalls++);
}

static const char *const guest_events[] = {
	"rtas_input", "rtas_output", "hcall_entry", "hcall_exit", "rtas_ll_entry", "rtas_ll_exit",
};

/* The CPU of an ftrace line "  TASK-PID  [CPU] FLAGS  TS: event: ...", the
 * start of its event name in *ev; false if the line is not one. */
static bool ftrace_line(const char *s, unsigned *cpu, const char **ev)
{
	const char *b = strstr(s, "] ");
	const char *o, *c;
	uint64_t v;

	if (!b)
		return false;
	for (o = b; o > s && o[-1] != '['; o--)
		;
	if (o == s || !(c = num(o, 10, &v)) || c != b || o - 1 == s || o[-2] != ' ')
		return false;
	*cpu = (unsigned)(v % NCPU);
	/* FLAGS then the time stamp "SEC.USEC: " */
	c = b + 2;
	while (*c == ' ')
		c++;
	while (*c && *c != ' ')
		c++;
	while (*c == ' ')
		c++;
	if (!(c = num(c, 10, &v)) || *c != '.' || !(c = num(c + 1, 10, &v)) || *c != ':') {
		*ev = NULL;
		return true;
	}
	c++;
	while (*c == ' ')
		c++;
	*ev = c;
	return true;
}

static int guest_line(struct parser *p, const char *line, struct trace_loc loc, bool *used)
{
	unsigned cpu = 0;
	const char *ev = NULL, *hit = NULL;
	size_t i, which = 0;
	bool ft = ftrace_line(line, &cpu, &ev);

	for (i = 0; i < sizeof(guest_events) / sizeof(guest_events[0]); i++) {
		const char *h = strstr(line, guest_events[i]);
		size_t n = strlen(guest_events[i]);
		while (h && h[n] != ':')
			h = strstr(h + 1, guest_events[i]);
		if (h && (!hit || h < hit)) {
			hit = h;
			which = i;
		}
	}
	if (!hit) {
		if (!ft)
			return 0;
		*used = true;
		/* an ftrace line cut before or inside one of our event names */
		if (!ev || !*ev || at_end(ev)) {
			trace_skip(p->t, loc, "truncated trace line");
			return 0;
		}
		/* every powerpc rtas_* and hcall_* event is one of ours: an
		 * event name that starts like them, or is cut short, is a
		 * garbled line (e.g. two lines run together) */
		size_t n = strcspn(ev, ": \r\n");
		if (!strncmp(ev, "rtas", n < 4 ? n : 4) || !strncmp(ev, "hcall", n < 5 ? n : 5)) {
			trace_skip(p->t, loc, at_end(ev + n) ? "truncated trace line" :
				   "garbled trace line");
			return 0;
		}
		*used = false; /* another ftrace event: not ours */
		return 0;
	}
	*used = true;
	hit += strlen(guest_events[which]) + 1;
	if (*hit == ' ')
		hit++;
	switch (which) {
	case 0:
		return rtas_in(p, cpu, hit, loc);
	case 1:
		return rtas_out(p, cpu, hit, loc);
	case 2:
	case 3:
		return hcall_line(p, cpu, hit, which == 3, loc);
	default:
		return 0; /* rtas_ll_*: the raw parameter blocks, redundant */
	}
}

/* ---- QEMU lines ---- */

struct qevent {
	const char *name;
	uint16_t kind;
	uint16_t flags;	/* TRACE_QF_VIO */
};

#define QIGNORE 0xffff
static const struct qevent qevents[] = {
	{ "spapr_iommu_pci_put", TRACE_Q_PUT, 0 },
	{ "spapr_iommu_pci_get", TRACE_Q_GET, 0 },
	{ "spapr_iommu_pci_stuff", TRACE_Q_STUFF, 0 },
	{ "spapr_iommu_pci_indirect", TRACE_Q_INDIRECT, 0 },
	{ "spapr_iommu_put", TRACE_Q_PUT, TRACE_QF_VIO },
	{ "spapr_iommu_get", TRACE_Q_GET, TRACE_QF_VIO },
	{ "spapr_iommu_stuff", TRACE_Q_STUFF, TRACE_QF_VIO },
	{ "spapr_iommu_indirect", TRACE_Q_INDIRECT, TRACE_QF_VIO },
	{ "spapr_iommu_xlate", TRACE_Q_XLATE, 0 },
	{ "spapr_iommu_new_table", TRACE_Q_NEW_TABLE, 0 },
	{ "spapr_iommu_ddw_query", TRACE_Q_DDW_QUERY, 0 },
	{ "spapr_iommu_ddw_create", TRACE_Q_DDW_CREATE, 0 },
	{ "spapr_iommu_ddw_remove", TRACE_Q_DDW_REMOVE, 0 },
	{ "spapr_iommu_ddw_reset", TRACE_Q_DDW_RESET, 0 },
	{ "spapr_iommu_pre_save", QIGNORE, 0 },
	{ "spapr_iommu_post_load", QIGNORE, 0 },
	{ "pci_cfg_read", TRACE_Q_CFG_READ, 0 },
	{ "pci_cfg_write", TRACE_Q_CFG_WRITE, 0 },
	{ "spapr_pci_msi", TRACE_Q_MSI_MSG, 0 },
	{ "spapr_pci_msi_setup", TRACE_Q_MSI_SETUP, 0 },
	{ "spapr_pci_rtas_ibm_change_msi", TRACE_Q_MSI_CHANGE, 0 },
	{ "spapr_pci_rtas_ibm_query_interrupt_source_number", TRACE_Q_MSI_QUERY, 0 },
	{ "spapr_pci_msi_write", TRACE_Q_MSI_WRITE, 0 },
	{ "spapr_pci_lsi_set", TRACE_Q_LSI_SET, 0 },
	{ "spapr_pci_msi_retry", TRACE_Q_MSI_RETRY, 0 },
};

static bool q_args(struct trace *t, struct trace_qev *e, const char *s)
{
	uint64_t *a = e->a, bus, slot, fn;
	const char *w;
	size_t len;

	switch (e->kind) {
	case TRACE_Q_PUT:
		return scan(s, "liobn=%x ioba=%x tce=%x ret=%d", &a[0], &a[1], &a[2], &a[3]);
	case TRACE_Q_GET:
		return scan(s, "liobn=%x ioba=%x ret=%d tce=%x", &a[0], &a[1], &a[2], &a[3]);
	case TRACE_Q_STUFF:
		return scan(s, "liobn=%x ioba=%x tcevalue=%x npages=%d ret=%d", &a[0], &a[1],
			    &a[2], &a[3], &a[4]);
	case TRACE_Q_INDIRECT:
		return scan(s, "liobn=%x ioba=%x tcelist=%x iobaN=%x tceN=%x ret=%d", &a[0],
			    &a[1], &a[2], &a[3], &a[4], &a[5]);
	case TRACE_Q_XLATE:
		return scan(s, "liobn=%x %x -> %x perm=%u mask=%x", &a[0], &a[1], &a[2], &a[3],
			    &a[4]);
	case TRACE_Q_NEW_TABLE:
		return scan(s, "liobn=%x table=%x fd=%d", &a[0], &a[1], &a[2]);
	case TRACE_Q_DDW_QUERY:
		return scan(s, "buid=%x addr=%x, %u windows available, max window size=%x, mask=%x",
			    &a[0], &a[1], &a[2], &a[3], &a[4]);
	case TRACE_Q_DDW_CREATE:
		return scan(s, "buid=%x addr=%x, page size=%x, requested=%x, start addr=%x, liobn=%x",
			    &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
	case TRACE_Q_DDW_REMOVE:
		return scan(s, "liobn=%x", &a[0]);
	case TRACE_Q_DDW_RESET:
		return scan(s, "buid=%x addr=%x", &a[0], &a[1]);
	case TRACE_Q_CFG_READ:
	case TRACE_Q_CFG_WRITE:
		if (!scan(s, e->kind == TRACE_Q_CFG_READ ? "%w %h:%h.%h @%x -> %x" :
			  "%w %h:%h.%h @%x <- %x", &w, &len, &bus, &slot, &fn, &a[0], &a[1]) ||
		    bus > 255 || slot > 31 || fn > 7 || a[0] > 0xfff || a[1] > UINT32_MAX)
			return false;
		e->bdf = (uint16_t)(bus << 8 | slot << 3 | fn);
		e->dev = intern(t, w, len);
		return e->dev != NULL;
	case TRACE_Q_MSI_MSG: {
		const char *c = strstr(s, " (cfg=");
		if (!c || c == s || !scan(c, " (cfg=%x)", &a[0]))
			return false;
		e->dev = intern(t, s, (size_t)(c - s));
		return e->dev != NULL;
	}
	case TRACE_Q_MSI_SETUP:
		if (!scan(s, "dev\"%q\" vector %u, addr=%x", &w, &len, &a[0], &a[1]))
			return false;
		e->dev = intern(t, w, len);
		return e->dev != NULL;
	case TRACE_Q_MSI_CHANGE:
		return scan(s, "cfgaddr %x func %u, requested %u, first irq %u", &a[0], &a[1], &a[2],
			    &a[3]);
	case TRACE_Q_MSI_QUERY:
		return scan(s, "queries for #%u, IRQ%u", &a[0], &a[1]);
	case TRACE_Q_MSI_WRITE:
		return scan(s, "@%x<=%x IRQ %u", &a[0], &a[1], &a[2]);
	case TRACE_Q_LSI_SET:
		return scan(s, "pci@%h PIN%u IRQ %u", &a[0], &a[1], &a[2]);
	case TRACE_Q_MSI_RETRY:
		return scan(s, "Guest device at %x asked %u, have only %u", &a[0], &a[1], &a[2]);
	default:
		return false;
	}
}

static const char *const qfamilies[] = { "spapr_iommu_", "spapr_pci_", "pci_cfg_" };

/* "TID@SEC.USEC:" or nothing; returns the event name start or NULL */
static const char *qemu_prefix(const char *s, bool *stamped)
{
	uint64_t v;
	const char *c = num(s, 10, &v);

	*stamped = false;
	if (c && *c == '@') {
		*stamped = true;
		if (!(c = num(c + 1, 10, &v)) || *c != '.' || !(c = num(c + 1, 10, &v)) || *c != ':')
			return NULL;
		return c + 1;
	}
	return s;
}

static int qemu_line(struct trace *t, const char *line, struct trace_loc loc, bool *used)
{
	bool stamped;
	const char *ev = qemu_prefix(line, &stamped);
	size_t n, i;
	const struct qevent *q = NULL;
	struct trace_qev e;

	if (!ev) {
		*used = true;
		trace_skip(t, loc, "truncated QEMU trace line");
		return 0;
	}
	n = strcspn(ev, " \r\n");
	for (i = 0; i < sizeof(qevents) / sizeof(qevents[0]); i++)
		if (strlen(qevents[i].name) == n && !strncmp(qevents[i].name, ev, n)) {
			q = &qevents[i];
			break;
		}
	if (!q) {
		bool ours = false;
		for (i = 0; i < sizeof(qfamilies) / sizeof(qfamilies[0]); i++) {
			size_t fl = strlen(qfamilies[i]);
			if (n && !strncmp(ev, qfamilies[i], n < fl ? n : fl) && (n >= fl || at_end(ev + n)))
				ours = true;
		}
		if (!ours) {
			/* QEMU's other events and messages; a stamped line cut
			 * right after the prefix is a truncated line */
			if (stamped && at_end(ev)) {
				*used = true;
				trace_skip(t, loc, "truncated QEMU trace line");
			}
			return 0;
		}
		*used = true;
		trace_skip(t, loc, at_end(ev + n) ? "truncated QEMU trace line" : "unknown QEMU event");
		return 0;
	}
	*used = true;
	if (q->kind == QIGNORE)
		return 0;
	memset(&e, 0, sizeof(e));
	e.loc = loc;
	e.kind = q->kind;
	e.flags = q->flags;
	if (ev[n] != ' ' || !q_args(t, &e, ev + n + 1)) {
		trace_skip(t, loc, "garbled QEMU trace line");
		return 0;
	}
	if (grow((void **)&t->qev, &t->cap_qev, t->nqev + 1, sizeof(*t->qev)))
		return -ENOMEM;
	t->qev[t->nqev++] = e;
	return 0;
}

/* ---- files ---- */

struct src {
	FILE *f;
	pid_t pid;	/* xz child, or 0 */
	int fd;		/* the file itself (xz's stdin), or -1 */
};

static const unsigned char xz_magic[6] = { 0xFD, '7', 'z', 'X', 'Z', 0x00 };

static int src_open(const char *path, struct src *s, FILE *err)
{
	bool xz = false;
	size_t len = strlen(path);
	int pfd[2];

	s->f = NULL;
	s->pid = 0;
	s->fd = -1;
	if (!strcmp(path, "-")) {
		s->f = stdin;
		return 0;
	}
	s->fd = open(path, O_RDONLY);
	if (s->fd < 0) {
		if (err)
			fprintf(err, "sphb: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (len > 3 && !strcmp(path + len - 3, ".xz")) {
		xz = true;
	} else {
		unsigned char m[6];
		ssize_t r = read(s->fd, m, sizeof(m));
		if (r < 0) {
			if (err)
				fprintf(err, "sphb: %s: %s\n", path, strerror(errno));
			close(s->fd);
			return -1;
		}
		xz = r == (ssize_t)sizeof(m) && !memcmp(m, xz_magic, sizeof(m));
		if (lseek(s->fd, 0, SEEK_SET) != 0) {
			if (err)
				fprintf(err, "sphb: %s: cannot rewind: %s\n", path, strerror(errno));
			close(s->fd);
			return -1;
		}
	}
	if (!xz) {
		s->f = fdopen(s->fd, "r");
		if (!s->f) {
			if (err)
				fprintf(err, "sphb: %s: %s\n", path, strerror(errno));
			close(s->fd);
			return -1;
		}
		s->fd = -1;
		return 0;
	}
	/* xz -dc < FILE, without a shell (file names are not quoted anywhere) */
	if (pipe(pfd)) {
		if (err)
			fprintf(err, "sphb: %s: pipe: %s\n", path, strerror(errno));
		close(s->fd);
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		if (err)
			fprintf(err, "sphb: %s: fork: %s\n", path, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		close(s->fd);
		return -1;
	}
	if (s->pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (dup2(s->fd, 0) < 0 || dup2(pfd[1], 1) < 0 || devnull < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		close(pfd[0]);
		close(pfd[1]);
		execlp("xz", "xz", "-dc", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	s->f = fdopen(pfd[0], "r");
	if (!s->f) {
		close(pfd[0]);
		waitpid(s->pid, NULL, 0);
		close(s->fd);
		if (err)
			fprintf(err, "sphb: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 0, or -1 after a message when the file could not be read to its end */
static int src_close(const char *path, struct src *s, FILE *err)
{
	int rc = 0, st;

	if (s->f && ferror(s->f)) {
		if (err)
			fprintf(err, "sphb: %s: read error\n", path);
		rc = -1;
	}
	if (s->f && s->f != stdin)
		fclose(s->f);
	if (s->pid > 0) {
		while (waitpid(s->pid, &st, 0) < 0)
			if (errno != EINTR) {
				st = -1;
				break;
			}
		if (rc == 0 && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
			if (err) {
				if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
					fprintf(err, "sphb: %s: cannot run xz to decompress it\n", path);
				else
					fprintf(err, "sphb: %s: xz -dc failed: not a valid .xz file, or truncated\n",
						path);
			}
			rc = -1;
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	return rc;
}

#define MAX_LINE 4096

static int parse_file(struct parser *p, uint32_t fi, const char *path, FILE *err)
{
	struct trace *t = p->t;
	struct src s;
	char buf[MAX_LINE];
	uint32_t line = 0;
	int rc = 0;

	if (src_open(path, &s, err))
		return -1;
	for (;;) {
		bool overlong, used = false;
		struct trace_loc loc;

		/* a NUL byte ends the part of a line that is looked at, as a
		 * cut would; a line longer than the buffer is overlong even
		 * with NULs in it (fgets then stored a NUL in the last byte
		 * and no newline before it) */
		buf[sizeof(buf) - 1] = 'x';
		if (!fgets(buf, sizeof(buf), s.f))
			break;
		overlong = buf[sizeof(buf) - 1] == '\0' && buf[sizeof(buf) - 2] != '\n';
		if (overlong) {
			int c;
			while ((c = getc(s.f)) != EOF && c != '\n')
				;
		}
		if (line == UINT32_MAX)
			break;
		loc.file = fi;
		loc.line = ++line;
		t->lines++;
		rc = qemu_line(t, buf, loc, &used);
		if (!rc && !used)
			rc = guest_line(p, buf, loc, &used);
		if (rc)
			break;
		if (used && overlong) {
			/* parsed from its first 4 KiB only: not trustworthy */
			trace_skip(t, loc, "overlong line");
		}
	}
	if (src_close(path, &s, err))
		return -1;
	if (rc) {
		if (err)
			fprintf(err, "sphb: %s: out of memory\n", path);
		return -1;
	}
	/* calls cut off by the end of the file */
	for (unsigned c = 0; c < NCPU; c++) {
		if (p->rtas[c].on)
			trace_skip(t, p->rtas[c].r.in, "rtas_input without its rtas_output");
		if (p->hcall[c].on)
			trace_skip(t, p->hcall[c].loc, "hcall_entry without its hcall_exit");
		p->rtas[c].on = false;
		p->hcall[c].on = false;
	}
	return 0;
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	for (uint32_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->files);
	free(t->names);
	free(t->rtas);
	free(t->hcalls);
	free(t->gev);
	free(t->qev);
	free(t);
}

int trace_load(const char *const *paths, int n, struct trace **out, FILE *err)
{
	struct trace *t;
	struct parser *p;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	p = calloc(1, sizeof(*p));
	if (!t || !p || n < 0 || !(t->files = calloc((size_t)n + 1, sizeof(*t->files)))) {
		free(t);
		free(p);
		if (err)
			fprintf(err, "sphb: out of memory\n");
		return -1;
	}
	p->t = t;
	for (int i = 0; i < n; i++) {
		t->files[i] = strdup(paths[i]);
		if (!t->files[i]) {
			if (err)
				fprintf(err, "sphb: out of memory\n");
			goto fail;
		}
		t->nfiles = (uint32_t)i + 1;
		if (parse_file(p, (uint32_t)i, paths[i], err))
			goto fail;
	}
	free(p);
	*out = t;
	return 0;
fail:
	free(p);
	trace_free(t);
	return -1;
}
