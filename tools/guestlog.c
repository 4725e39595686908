/* `guest recover DEV log` (docs/cli.md): the recovery told as a guest
 * kernel's log tells it, one line per phase, from the RTAS calls the
 * guest-recovery driver made (collected by the trace callback) and its
 * result. The phases are those of Linux 6.12's eeh_handle_normal_event()
 * (arch/powerpc/kernel/eeh_driver.c) after eeh_dev_check_failure()
 * (arch/powerpc/kernel/eeh.c) detected the error; the quoted messages are
 * that kernel's pr_info/pr_err texts where it has one for the phase.
 * With -v each phase line is followed by its RTAS calls, indented.
 * SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphb/sphb.h"
#include "cli.h"

/* Linux's QEMU-placement PHB numbering: PHB#n is BUID 0x0800000020000000 + n
 * (QEMU 7.2 hw/ppc/spapr_pci.c, spapr_phb_realize()). */
#define BUID_BASE 0x0800000020000000ull

enum phase {
	PH_NONE,
	PH_PROBE,	/* ibm,get-config-addr-info2: the device's PE */
	PH_DETECT,	/* the all-ones read and the state check */
	PH_WAIT,	/* eeh_wait_state() */
	PH_THAW_LOG,	/* eeh_pci_enable(EEH_OPT_THAW_MMIO) before the log */
	PH_LOG,		/* eeh_slot_error_detail(): configure, BARs, dump, slot-error-detail */
	PH_RESET,	/* one attempt of eeh_pe_reset_full() */
	PH_RESTORE,	/* eeh_reset_device(): configure-pe, BARs */
	PH_THAW,	/* eeh_clear_pe_frozen_state() */
	PH_SAVE,	/* capabilities and header saved (first healthy sight) */
};

static bool is(const struct cli_gcall *g, const char *name)
{
	return !strcmp(g->name, name);
}

static int32_t status(const struct cli_gcall *g)
{
	return g->nret && (g->written & 1) ? (int32_t)g->rets[0] : -1;
}

/* ret[i] when the call stored it */
static bool ret(const struct cli_gcall *g, uint32_t i, uint32_t *v)
{
	if (i >= g->nret || i >= CLI_GCALL_CELLS || !(g->written & (1u << i)))
		return false;
	*v = g->rets[i];
	return true;
}

static bool is_state(const struct cli_gcall *g)
{
	return is(g, "ibm,read-slot-reset-state2");
}

static bool is_cfg(const struct cli_gcall *g)
{
	return is(g, "ibm,read-pci-config") || is(g, "ibm,write-pci-config");
}

static bool is_option(const struct cli_gcall *g, uint32_t fn)
{
	return is(g, "ibm,set-eeh-option") && g->nargs >= 4 && g->args[3] == fn;
}

/* From call i, a configure-pe block (configure-pe and config cycles) ends
 * in ibm,slot-error-detail: the log of eeh_slot_error_detail(). */
static bool log_block_at(const struct cli *c, size_t i)
{
	if (i >= c->ngcalls || !is(&c->gcalls[i], "ibm,configure-pe"))
		return false;
	while (i < c->ngcalls && (is(&c->gcalls[i], "ibm,configure-pe") || is_cfg(&c->gcalls[i])))
		i++;
	return i < c->ngcalls && is(&c->gcalls[i], "ibm,slot-error-detail");
}

/* From call i, the thaw before a log: [state] [set-eeh-option(2) state...]
 * then the log block. */
static bool thaw_log_at(const struct cli *c, size_t i)
{
	if (i < c->ngcalls && is_state(&c->gcalls[i]))
		i++;
	if (i < c->ngcalls && is_option(&c->gcalls[i], 2)) {
		i++;
		while (i < c->ngcalls && is_state(&c->gcalls[i]))
			i++;
	}
	return log_block_at(c, i);
}

static const char *state_text(const struct cli_gcall *g, char *buf, size_t len)
{
	uint32_t st, info = 0;

	if (status(g)) {
		snprintf(buf, len, "ibm,read-slot-reset-state2 status %d", status(g));
		return buf;
	}
	if (!ret(g, 1, &st)) {
		snprintf(buf, len, "state unknown");
		return buf;
	}
	(void)ret(g, 3, &info);
	switch (st) {
	case 0: snprintf(buf, len, "state 0 (MMIO and DMA active)"); break;
	case 1: snprintf(buf, len, "state 1 (reset held)"); break;
	case 2: snprintf(buf, len, "state 2 (MMIO and DMA stopped)"); break;
	case 4: snprintf(buf, len, "state 4 (MMIO enabled, DMA stopped)"); break;
	case 5:
		if (info)
			snprintf(buf, len, "state 5 (temporarily unavailable, %u ms)", (unsigned)info);
		else
			snprintf(buf, len, "state 5 (permanently unavailable)");
		break;
	default: snprintf(buf, len, "state %u", (unsigned)st); break;
	}
	return buf;
}

/* the last state call in [a, b), or NULL */
static const struct cli_gcall *last_state(const struct cli *c, size_t a, size_t b)
{
	for (size_t i = b; i > a; i--)
		if (is_state(&c->gcalls[i - 1]))
			return &c->gcalls[i - 1];
	return NULL;
}

static size_t count(const struct cli *c, size_t a, size_t b, const char *name)
{
	size_t n = 0;

	for (size_t i = a; i < b; i++)
		n += is(&c->gcalls[i], name);
	return n;
}

struct narr {
	struct cli *c;
	const char *dev;
	const struct sphb_guest_result *res;
	unsigned phb;
	uint32_t pe;
	uint64_t t0;		/* the clock before the statement */
	bool freeze_limit;	/* permanently disabled by the freeze count */
	unsigned attempt;	/* reset attempts told so far */
};

/* "[    4.100000] EEH: ..." at virtual time ms, as printk stamps a line */
static void say(const struct narr *n, uint64_t ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const struct narr *n, uint64_t ms, const char *fmt, ...)
{
	va_list ap;

	fprintf(n->c->out, "[%5" PRIu64 ".%06" PRIu64 "] EEH: ", ms / 1000, ms % 1000 * 1000);
	va_start(ap, fmt);
	vfprintf(n->c->out, fmt, ap);
	va_end(ap);
	fputc('\n', n->c->out);
}

/* one phase: calls [a, b); `ms` is the clock when it began */
static void tell(struct narr *n, enum phase ph, size_t a, size_t b, uint64_t ms)
{
	const struct cli *c = n->c;
	const struct cli_gcall *v = c->gcalls, *st = last_state(c, a, b);
	char sb[80];
	uint64_t end = b > a ? v[b - 1].ms : ms;
	uint32_t x;

	switch (ph) {
	case PH_NONE:
		break;
	case PH_PROBE:
		if (b - a >= 2 && !status(&v[b - 1]) && ret(&v[b - 1], 1, &x))
			say(n, ms, "%s is in PHB#%x-PE#%x (ibm,get-config-addr-info2)", n->dev, n->phb,
			    (unsigned)x);
		else
			say(n, ms, "%s: ibm,get-config-addr-info2 finds no PE", n->dev);
		break;
	case PH_DETECT:
		if (!ret(&v[a], 1, &x) || status(&v[a]) || x != 0xffffffffu) {
			say(n, ms, "%s: no error (its vendor/device ID reads 0x%08x)", n->dev,
			    ret(&v[a], 1, &x) ? (unsigned)x : 0xffffffffu);
			break;
		}
		if (!st || n->res->outcome == SPHB_GUEST_NOT_FROZEN) {
			if (st && !status(st))
				say(n, ms, "%s: an all-ones read, but its PE is in %s: not frozen", n->dev,
				    state_text(st, sb, sizeof(sb)));
			else
				say(n, ms, "%s: an all-ones read, but the PE state is unknown (%s): "
				    "taken as not frozen", n->dev, st ? state_text(st, sb, sizeof(sb)) : "no state read");
			break;
		}
		say(n, ms, "Frozen PHB#%x-PE#%x detected: %s's vendor/device ID reads all-ones, the PE is in %s",
		    n->phb, (unsigned)n->pe, n->dev, state_text(st, sb, sizeof(sb)));
		say(n, end, "Recovering PHB#%x-PE#%x", n->phb, (unsigned)n->pe);
		if (n->freeze_limit)
			say(n, end, "PHB#%x-PE#%x has failed %u times in the last hour and has been "
			    "permanently disabled (no reset is tried)", n->phb, (unsigned)n->pe,
			    (unsigned)n->res->freeze_count);
		else
			say(n, end, "This PCI device has failed %u times in the last hour and will be "
			    "permanently disabled after %u failures", (unsigned)n->res->freeze_count,
			    CLI_GUEST_MAX_FREEZES);
		break;
	case PH_WAIT:
		say(n, ms, "wait for the PE: %s after %" PRIu64 " ms, %zu state read%s",
		    st ? state_text(st, sb, sizeof(sb)) : "no state", end - ms, b - a, b - a == 1 ? "" : "s");
		break;
	case PH_THAW_LOG:
		if (count(c, a, b, "ibm,set-eeh-option"))
			say(n, ms, "Enable MMIO for the log: ibm,set-eeh-option 2, now %s",
			    st ? state_text(st, sb, sizeof(sb)) : "no state");
		else
			say(n, ms, "MMIO already enabled for the log: %s",
			    st ? state_text(st, sb, sizeof(sb)) : "no state");
		break;
	case PH_LOG: {
		const struct cli_gcall *sed = &v[b - 1];
		uint32_t sev = sed->nargs >= 8 ? sed->args[7] : 0;
		int32_t s = status(sed);

		if (sev == 2)
			say(n, ms, "Unable to recover from failure from PHB#%x-PE#%x", n->phb,
			    (unsigned)n->pe);
		say(n, ms, "Collect %s log: ibm,configure-pe, BARs restored and config space dumped "
		    "(%zu config writes, %zu reads), ibm,slot-error-detail severity %u: %s",
		    sev == 2 ? "permanent" : "temporary", count(c, a, b, "ibm,write-pci-config"),
		    count(c, a, b, "ibm,read-pci-config"), (unsigned)sev,
		    s == 0 ? "an error log" : s == 1 ? "no error log" : "failed");
		if (sev == 2)
			say(n, end, "PHB#%x-PE#%x is permanently unavailable; %s and the rest of its PE "
			    "are removed from the guest", n->phb, (unsigned)n->pe, n->dev);
		break;
	}
	case PH_RESET: {
		uint32_t fn = v[a].nargs >= 4 ? v[a].args[3] : 1;
		int32_t s = 0;

		for (size_t i = a; i < b; i++)
			if (is(&v[i], "ibm,set-slot-reset") && status(&v[i]) &&
			    !(i == a && fn == 3 && status(&v[i]) == -8))
				s = status(&v[i]);
		n->attempt++;
		if (n->attempt == 1)
			say(n, ms, "Reset without hotplug activity");
		if (s)
			say(n, ms, "%s reset, attempt %u: ibm,set-slot-reset failed (status %d)",
			    fn == 3 ? "fundamental" : "hot", n->attempt, (int)s);
		else
			say(n, ms, "%s reset, attempt %u: ibm,set-slot-reset %u then 0, %" PRIu64
			    " ms, then %s", fn == 3 ? "fundamental" : "hot", n->attempt, (unsigned)fn,
			    end - ms, st ? state_text(st, sb, sizeof(sb)) : "no state");
		break;
	}
	case PH_RESTORE:
		say(n, ms, "restore: ibm,configure-pe, BARs restored (%zu config writes)",
		    count(c, a, b, "ibm,write-pci-config"));
		break;
	case PH_THAW:
		if (count(c, a, b, "ibm,set-eeh-option"))
			say(n, ms, "thaw: ibm,set-eeh-option (%zu calls), now %s",
			    count(c, a, b, "ibm,set-eeh-option"), st ? state_text(st, sb, sizeof(sb)) : "no state");
		else
			say(n, ms, "thaw: nothing left stopped, %s", st ? state_text(st, sb, sizeof(sb)) : "no state");
		break;
	case PH_SAVE:
		say(n, ms, "%s: config space saved for recovery (%zu config reads: capabilities, header)",
		    n->dev, b - a);
		break;
	}
	if (c->verbose)
		for (size_t i = a; i < b; i++) {
			fputs("  ", c->out);
			cli_print_rtas_line(c->out, v[i].name, v[i].nret < CLI_GCALL_CELLS ? v[i].nret : CLI_GCALL_CELLS,
					    v[i].rets, v[i].written);
		}
}

/* call i (in a reset) activates a reset that is not the hot retry of a
 * fundamental reset refused with -8: a new attempt */
static bool new_attempt(const struct cli *c, size_t i)
{
	const struct cli_gcall *g = &c->gcalls[i], *p = i ? &c->gcalls[i - 1] : NULL;

	if (!is(g, "ibm,set-slot-reset") || g->nargs < 4 || g->args[3] == 0)
		return false;
	return !(p && is(p, "ibm,set-slot-reset") && p->nargs >= 4 && p->args[3] == 3 && status(p) == -8);
}

/* which phase call i starts or continues, given the current one */
static enum phase next_phase(const struct cli *c, size_t i, enum phase cur, bool *checked)
{
	const struct cli_gcall *g = &c->gcalls[i];

	if (is(g, "ibm,get-config-addr-info2"))
		return cur == PH_NONE || cur == PH_PROBE ? PH_PROBE : cur;
	if (cur == PH_NONE || cur == PH_PROBE)
		return PH_DETECT; /* the detection read */
	if (cur == PH_DETECT && !*checked && is_state(g)) {
		*checked = true;
		return PH_DETECT;
	}
	if (cur == PH_DETECT && is_cfg(g))
		return PH_SAVE; /* healthy: the probe's reads */
	if (is(g, "ibm,set-slot-reset") && g->nargs >= 4 && g->args[3] != 0)
		return PH_RESET; /* (a new attempt: see new_attempt) */
	if (cur != PH_LOG && cur != PH_THAW_LOG && (is_state(g) || is_option(g, 2)) && thaw_log_at(c, i) &&
	    !(is_state(g) && i + 1 < c->ngcalls && is_state(&c->gcalls[i + 1])))
		return PH_THAW_LOG;
	if (cur != PH_LOG && log_block_at(c, i))
		return PH_LOG;
	if (cur == PH_LOG && i > 0 && is(&c->gcalls[i - 1], "ibm,slot-error-detail"))
		return is(g, "ibm,configure-pe") ? PH_RESTORE : PH_NONE;
	if (cur == PH_DETECT)
		return PH_WAIT;
	if (is(g, "ibm,configure-pe") && cur != PH_RESTORE && cur != PH_LOG)
		return PH_RESTORE;
	if (cur == PH_RESTORE && (is_state(g) || is(g, "ibm,set-eeh-option")))
		return PH_THAW;
	if (cur == PH_THAW && is_cfg(g))
		return PH_SAVE;
	return cur;
}

void cli_guest_log(struct cli *c, const char *dev, const struct sphb_guest_result *res, uint64_t t0)
{
	struct narr n;
	enum phase cur = PH_NONE;
	bool checked = false;
	size_t start = 0;
	uint64_t buid = 0, ms = t0;
	uint32_t cfg;

	memset(&n, 0, sizeof(n));
	n.c = c;
	n.dev = dev;
	n.res = res;
	n.t0 = t0;
	n.pe = res->pe_addr;
	(void)sphb_dev_config_addr(c->m, dev, &buid, &cfg);
	n.phb = buid >= BUID_BASE && buid - BUID_BASE < 0x10000 ? (unsigned)(buid - BUID_BASE) : 0;
	n.freeze_limit = res->outcome == SPHB_GUEST_PERMANENT_FAILURE && res->resets == 0 &&
			 res->freeze_count > CLI_GUEST_MAX_FREEZES;
	if (c->ngcalls == 0 && res->outcome == SPHB_GUEST_PERMANENT_FAILURE)
		say(&n, t0, "%s was removed after the permanent failure of PHB#%x-PE#%x", dev, n.phb,
		    (unsigned)n.pe);
	for (size_t i = 0; i < c->ngcalls; i++) {
		enum phase ph = next_phase(c, i, cur, &checked);

		if (ph != cur || (ph == PH_RESET && new_attempt(c, i))) {
			if (i > start)
				tell(&n, cur, start, i, ms);
			ms = i ? c->gcalls[i - 1].ms : t0;
			start = i;
			cur = ph;
		}
	}
	if (c->ngcalls > start)
		tell(&n, cur, start, c->ngcalls, ms);
	if (c->gcalls_lost)
		say(&n, c->ngcalls ? c->gcalls[c->ngcalls - 1].ms : t0,
		    "(%zu more RTAS calls not shown: out of memory)", c->gcalls_lost);
	if (res->outcome == SPHB_GUEST_RECOVERED)
		say(&n, t0 + res->elapsed_ms, "Recovery successful.");
}
