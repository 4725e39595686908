/* The guest-recovery driver (src/guest/) on the simulated host, through the
 * public API: the exact RTAS sequence of a Linux 6.12 pseries guest
 * (Linux 6.12 arch/powerpc/kernel/eeh_driver.c, eeh_handle_normal_event(),
 * and arch/powerpc/platforms/pseries/eeh_pseries.c), virtual time, host-busy waits, PE isolation on a
 * per-group PHB, and the freeze limit (eeh_max_freezes = 5 per hour).
 * SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdbool.h>

#include "harness.h"

#define SCRATCH 0x200000u
#define MAX_REC 4096
#define HOLD 250u
#define SETTLE 1800u
/* one hot reset: the host holds/settles, and so does the guest */
#define RESET_MS (2 * (HOLD + SETTLE))

struct rec {
	char text[64];		/* canonical form, see canon() */
	uint32_t nargs, nret, args[8], rets[4], written;
};

static struct rec calls[MAX_REC];
static unsigned ncalls;
static char expect[MAX_REC][64];
static unsigned nexpect;

static void canon(char *buf, size_t len, const char *name, const uint32_t *a)
{
	uint32_t reg = ((a[0] >> 20) & 0xf00) | (a[0] & 0xff);

	if (!strcmp(name, "ibm,read-pci-config"))
		snprintf(buf, len, "rd %06x %03x %u", a[0] & 0x0fffff00u, reg, a[3]);
	else if (!strcmp(name, "ibm,write-pci-config"))
		snprintf(buf, len, "wr %06x %03x %u", a[0] & 0x0fffff00u, reg, a[3]);
	else if (!strcmp(name, "ibm,set-eeh-option"))
		snprintf(buf, len, "opt %x %u", a[0], a[3]);
	else if (!strcmp(name, "ibm,get-config-addr-info2"))
		snprintf(buf, len, "info2 %x %u", a[0], a[3]);
	else if (!strcmp(name, "ibm,read-slot-reset-state2"))
		snprintf(buf, len, "state %x", a[0]);
	else if (!strcmp(name, "ibm,set-slot-reset"))
		snprintf(buf, len, "reset %x %u", a[0], a[3]);
	else if (!strcmp(name, "ibm,configure-pe"))
		snprintf(buf, len, "conf %x", a[0]);
	else if (!strcmp(name, "ibm,slot-error-detail"))
		snprintf(buf, len, "sed %x %u", a[0], a[7]);
	else
		snprintf(buf, len, "%s", name);
}

static void trace(void *opaque, const struct sphb_guest_call *c)
{
	struct rec *r;

	(void)opaque;
	if (ncalls >= MAX_REC) {
		fprintf(stderr, "too many RTAS calls\n");
		exit(1);
	}
	r = &calls[ncalls++];
	memset(r, 0, sizeof(*r));
	CHECK(c->sz >= sizeof(*c));
	CHECK(c->nargs <= 8 && c->nret <= 4 && c->nret >= 1);
	r->nargs = c->nargs < 8 ? c->nargs : 8;
	r->nret = c->nret < 4 ? c->nret : 4;
	memcpy(r->args, c->args, 4 * r->nargs);
	memcpy(r->rets, c->rets, 4 * r->nret);
	r->written = c->rets_written;
	canon(r->text, sizeof(r->text), c->name, r->args);
	CHECK_EQ(c->token, sphb_rtas_token(c->name));
}

static void e(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void e(const char *fmt, ...)
{
	va_list ap;

	if (nexpect >= MAX_REC)
		exit(1);
	va_start(ap, fmt);
	vsnprintf(expect[nexpect++], sizeof(expect[0]), fmt, ap);
	va_end(ap);
}

static void reset_log(void)
{
	ncalls = 0;
	nexpect = 0;
}

/* compare the recorded calls with the expected list */
static void check_sequence(const char *what)
{
	unsigned n = ncalls < nexpect ? ncalls : nexpect, bad = 0;

	for (unsigned i = 0; i < n && bad < 3; i++) {
		if (strcmp(calls[i].text, expect[i])) {
			fprintf(stderr, "%s: call %u is '%s', expected '%s'\n", what, i,
				calls[i].text, expect[i]);
			t_failures++;
			bad++;
		}
	}
	if (ncalls != nexpect) {
		fprintf(stderr, "%s: %u calls, expected %u\n", what, ncalls, nexpect);
		for (unsigned i = n; i < ncalls && i < n + 5; i++)
			fprintf(stderr, "  extra call %u: %s\n", i, calls[i].text);
		for (unsigned i = n; i < nexpect && i < n + 5; i++)
			fprintf(stderr, "  missing call %u: %s\n", i, expect[i]);
		t_failures++;
	}
}

/* ---- the expected traffic, from eeh_handle_normal_event() ------------------ */

/* a device of the tests: cfg (bus<<16|devfn<<8), PCIe at 0x40, AER at 0x100 */
struct tdev {
	const char *id;
	uint32_t cfg;
};

/* eeh_pe_restore_bars() for an endpoint (B.8) */
static void e_restore(const struct tdev *d)
{
	for (unsigned r = 0x10; r <= 0x24; r += 4)
		e("wr %06x %03x 4", d->cfg, r);
	e("wr %06x 030 4", d->cfg);
	e("wr %06x 00c 1", d->cfg);
	e("wr %06x 00d 1", d->cfg);
	e("wr %06x 03c 4", d->cfg);
	e("rd %06x 004 4", d->cfg);
	e("wr %06x 004 4", d->cfg);
}

/* eeh_dump_dev_log(): 0, 4, PCIe cap nine dwords, AER fourteen */
static void e_dump(const struct tdev *d)
{
	e("rd %06x 000 4", d->cfg);
	e("rd %06x 004 4", d->cfg);
	for (unsigned i = 0; i <= 8; i++)
		e("rd %06x %03x 4", d->cfg, 0x40 + 4 * i);
	for (unsigned i = 0; i <= 13; i++)
		e("rd %06x %03x 4", d->cfg, 0x100 + 4 * i);
}

/* eeh_slot_error_detail() with a frozen PE: thaw MMIO, configure, BARs, dump, log */
static void e_log(const struct tdev *d, uint32_t pe, unsigned severity)
{
	e("state %x", pe);	/* eeh_pci_enable(THAW_MMIO): stopped */
	e("opt %x 2", pe);
	e("state %x", pe);	/* eeh_wait_state: MMIO enabled */
	e("conf %x", pe);
	e_restore(d);
	e_dump(d);
	e("sed %x %u", pe, severity);
}

/* the happy path after detection (B.7 steps 4-9, NEED_RESET) */
static void e_recovery(const struct tdev *d, uint32_t pe)
{
	e("state %x", pe);	/* eeh_wait_state(300 s): stopped */
	e_log(d, pe, 1);
	e("reset %x 1", pe);	/* + 250 ms */
	e("reset %x 0", pe);	/* + 1800 ms */
	e_restore(d);		/* eeh_pe_reenable_devices() */
	e("rd %06x 004 2", d->cfg); /* pci_reenable_device(): Command already decodes */
	e("state %x", pe);	/* eeh_unfreeze_pe(): MMIO active */
	e("state %x", pe);	/* DMA active */
	e("state %x", pe);	/* eeh_wait_state(): active */
	e("conf %x", pe);
	e_restore(d);
	e("state %x", pe);	/* eeh_clear_pe_frozen_state() */
	e("state %x", pe);
}

static void e_detect(const struct tdev *d, uint32_t pe)
{
	e("rd %06x 000 4", d->cfg);
	e("state %x", pe);
}

/* first use of a healthy device: PE lookup, detection read, capability walk
 * (B.3 step 1: PCI-X then PCIe, then the AER chain) and eeh_save_bars() */
static void e_first_use(const struct tdev *d)
{
	e("info2 %x 1", d->cfg);
	e("info2 %x 0", d->cfg);
	e("rd %06x 000 4", d->cfg);
	for (int pass = 0; pass < 2; pass++) {
		e("rd %06x 006 2", d->cfg);
		e("rd %06x 034 1", d->cfg);
		e("rd %06x 040 1", d->cfg);	/* PCIe capability ID */
		if (pass == 0)
			e("rd %06x 041 1", d->cfg); /* next: end of list */
	}
	e("rd %06x 100 4", d->cfg);	/* AER header */
	for (unsigned r = 0; r < 0x40; r += 4)
		e("rd %06x %03x 4", d->cfg, r);
}

/* ---- helpers ------------------------------------------------------------ */

static struct sphb_guest *guest(struct sphb_machine *m, struct t_host *h, uint32_t max_freezes)
{
	struct sphb_guest_opts opts;
	struct sphb_guest_ops ops;
	struct sphb_guest *g = NULL;

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.scratch_gpa = SCRATCH;
	opts.max_freezes = max_freezes;
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = t_mem_read;
	ops.mem_write = t_mem_write;
	ops.trace = trace;
	if (sphb_guest_new(m, &opts, &ops, h, &g) || !g) {
		fprintf(stderr, "cannot create the guest driver\n");
		exit(1);
	}
	return g;
}

static int recover(struct sphb_guest *g, const char *dev, struct sphb_guest_result *r)
{
	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	reset_log();
	return sphb_guest_recover(g, dev, r);
}

static const char *host_state(struct sphb_machine *m, const char *dev)
{
	const char *s = "?";

	CHECK_EQ(sphb_host_state(m, dev, &s), 0);
	return s;
}

/* the device is usable: config reads and a BAR0 load are not all-ones */
static void check_works(struct sphb_machine *m, struct t_host *h, const char *dev)
{
	uint64_t buid, v = 0;
	uint32_t cfg, val = 0;

	CHECK_EQ(sphb_dev_config_addr(m, dev, &buid, &cfg), 0);
	CHECK_EQ(t_cfg_read(m, h, buid, cfg, 4, &val), 0);
	CHECK(val != 0xffffffffu);
	CHECK_EQ(t_cfg_read(m, h, buid, cfg | 0x10, 4, &val), 0);
	CHECK_EQ(val & ~0xfu, 0x80000000u);
	CHECK_EQ(sphb_mmio_read(m, dev, 0, 0, 4, &v), 0);
	CHECK(v != 0xffffffffu);
	CHECK(!strcmp(host_state(m, dev), "normal"));
}

/* nothing outside the scratch area (and the harness's RTAS buffer) changed */
static void check_ram(const struct t_host *h)
{
	for (uint32_t a = 0; a < T_RAM_SIZE; a++) {
		if ((a >= SCRATCH && a < SCRATCH + SPHB_GUEST_SCRATCH_SIZE) ||
		    (a >= T_BUF && a < T_BUF + 0x100))
			continue;
		if (h->ram[a]) {
			fprintf(stderr, "guest RAM 0x%x changed\n", a);
			t_failures++;
			return;
		}
	}
}

/* what a booted guest's firmware did: BAR0 assigned, memory decoding on */
static void assign_bar0(struct sphb_machine *m, struct t_host *h, const char *dev)
{
	uint64_t buid;
	uint32_t cfg;

	CHECK_EQ(sphb_dev_config_addr(m, dev, &buid, &cfg), 0);
	CHECK_EQ(t_cfg_write(m, h, buid, cfg | 0x10, 4, 0x80000000u), 0);
	CHECK_EQ(t_cfg_write(m, h, buid, cfg | 0x04, 2, 0x0002), 0);
	CHECK_EQ(sphb_mmio_write(m, dev, 0, 0, 4, 0x12345678), 0);
}

/* read-slot-reset-state2 straight from the test */
static void pe_state(struct sphb_machine *m, struct t_host *h, uint64_t buid, uint32_t pe,
		     uint32_t *state, uint32_t *info)
{
	uint32_t a[3] = { pe, (uint32_t)(buid >> 32), (uint32_t)buid }, r[4];

	t_rtas_n(m, h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	CHECK_EQ(r[0], 0);
	*state = r[1];
	*info = r[3];
}

#define NIC "sim-pci,bus=pci.0,addr=2,id=nic,vendor=0x8086,device=0x100e,bar0=mem32:0x20000,pcie=on,iommu-group=1"

/* ---- tests -------------------------------------------------------------- */

static void test_happy_path(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NIC, NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	struct tdev nic = { "nic", 0x1000 };	/* bus 0, slot 2 */
	uint32_t pe = 0x1, st, info;	/* shared: (bus << 16) | 1 */
	uint64_t t0;

	assign_bar0(m, &h, "nic");
	/* boot: the driver meets the healthy device (probe) */
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_NOT_FROZEN);
	CHECK_EQ(r.resets, 0);
	CHECK_EQ(r.elapsed_ms, 0);
	CHECK_EQ(r.pe_addr, pe);
	e_first_use(&nic);
	check_sequence("first use");
	CHECK_EQ(r.calls, ncalls);
	/* info2 function 1 answers "shared", function 0 the PE address */
	CHECK_EQ(calls[0].rets[1], 2);
	CHECK_EQ(calls[1].rets[1], pe);

	/* no error: one detection read, nothing else */
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_NOT_FROZEN);
	e("rd %06x 000 4", nic.cfg);
	check_sequence("healthy");

	/* the host freezes the PE; the guest recovers it */
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	t0 = sphb_clock_ms(m);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(r.resets, 1);
	CHECK_EQ(r.freeze_count, 1);
	CHECK_EQ(r.calls, ncalls);
	CHECK_EQ(r.elapsed_ms, RESET_MS);
	CHECK_EQ(sphb_clock_ms(m) - t0, RESET_MS);
	e_detect(&nic, pe);
	e_recovery(&nic, pe);
	check_sequence("happy path");
	/* detail: the detection read saw all-ones, the state was "stopped" */
	CHECK_EQ(calls[0].rets[1], 0xffffffffu);
	CHECK_EQ(calls[1].rets[1], 2);
	CHECK_EQ(calls[1].written, 0xf);
	/* slot-error-detail arguments: buffers in the scratch area, 2048 bytes */
	for (unsigned i = 0; i < ncalls; i++) {
		if (strncmp(calls[i].text, "sed ", 4))
			continue;
		CHECK_EQ(calls[i].args[1], (uint32_t)(T_BUID0 >> 32));
		CHECK_EQ(calls[i].args[2], (uint32_t)T_BUID0);
		CHECK(calls[i].args[3] >= SCRATCH && calls[i].args[3] + calls[i].args[4] <=
		      SCRATCH + SPHB_GUEST_SCRATCH_SIZE);
		CHECK(calls[i].args[4] > 0);
		CHECK(calls[i].args[5] >= SCRATCH && calls[i].args[5] + calls[i].args[6] <=
		      SCRATCH + SPHB_GUEST_SCRATCH_SIZE);
		CHECK_EQ(calls[i].args[6], 2048);
		/* the driver log is eeh_dump_dev_log()'s text */
		CHECK(!memcmp(h.ram + calls[i].args[3], "0000:00:02.0\ndev/vend:100e8086\n", 31));
	}
	check_works(m, &h, "nic");
	pe_state(m, &h, T_BUID0, pe, &st, &info);
	CHECK_EQ(st, 0);
	check_ram(&h);
	sphb_guest_free(g);
	t_free(m, &h);
}

/* A device frozen at its first use: no saved header yet, so no BAR restore
 * and a dump of the two first dwords only; the probe follows the recovery. */
static void test_frozen_at_first_use(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NIC, NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	struct tdev nic = { "nic", 0x1000 };

	assign_bar0(m, &h, "nic");
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(r.resets, 1);
	CHECK_EQ(r.elapsed_ms, RESET_MS);
	e("info2 %x 1", nic.cfg);
	e("info2 %x 0", nic.cfg);
	e_detect(&nic, 1);
	e("state 1");
	e("state 1");
	e("opt 1 2");
	e("state 1");
	e("conf 1");
	e("rd %06x 000 4", nic.cfg);
	e("rd %06x 004 4", nic.cfg);
	e("sed 1 1");
	e("reset 1 1");
	e("reset 1 0");
	e("state 1");
	e("state 1");
	e("state 1");
	e("conf 1");
	e("state 1");
	e("state 1");
	/* now healthy: the capability walk and eeh_save_bars() */
	for (int pass = 0; pass < 2; pass++) {
		e("rd %06x 006 2", nic.cfg);
		e("rd %06x 034 1", nic.cfg);
		e("rd %06x 040 1", nic.cfg);
		if (pass == 0)
			e("rd %06x 041 1", nic.cfg);
	}
	e("rd %06x 100 4", nic.cfg);
	for (unsigned reg = 0; reg < 0x40; reg += 4)
		e("rd %06x %03x 4", nic.cfg, reg);
	check_sequence("frozen at first use");
	check_works(m, &h, "nic");
	/* the next freeze gets the full sequence */
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(r.freeze_count, 2);
	e_detect(&nic, 1);
	e_recovery(&nic, 1);
	check_sequence("second freeze");
	sphb_guest_free(g);
	t_free(m, &h);
}

/* The host is busy above the PE: state 5 with Unavailable Info >= 1000 is
 * polled, sleeping that long each time, until it clears. */
static void test_host_busy(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NIC, NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	struct tdev nic = { "nic", 0x1000 };
	unsigned polls = 0, i;

	assign_bar0(m, &h, "nic");
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "nic", 2500), 0);
	CHECK(!strcmp(host_state(m, "nic"), "unavailable"));
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	/* detection saw 5/2500 (temporarily unavailable = not active: frozen);
	 * eeh_wait_state slept 2500 ms and polled again */
	CHECK_EQ(r.elapsed_ms, 2500 + RESET_MS);
	for (i = 0; i < ncalls && !strncmp(calls[i].text, "rd", 2); i++)
		;
	for (; i < ncalls && !strncmp(calls[i].text, "state", 5) && calls[i].rets[1] == 5; i++) {
		CHECK(calls[i].rets[3] >= 1000);
		polls++;
	}
	CHECK_EQ(polls, 2);
	CHECK(i < ncalls && !strncmp(calls[i].text, "state", 5) && calls[i].rets[1] == 2);
	e("rd %06x 000 4", nic.cfg);
	e("state 1");
	e("state 1");
	e_recovery(&nic, 1);
	check_sequence("host busy");
	check_works(m, &h, "nic");

	/* busy for less than a second: the guest still sleeps 1000 ms per poll */
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "nic", 300), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(r.elapsed_ms, 1000 + RESET_MS);

	/* busy beyond the 300 s budget: "Permanent failure" */
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(sphb_host_busy(m, "nic", 400000), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_PERMANENT_FAILURE);
	CHECK_EQ(r.resets, 0);
	CHECK(ncalls > 0 && !strcmp(calls[ncalls - 1].text, "sed 1 2"));
	sphb_guest_free(g);
	t_free(m, &h);
}

/* per-group PHB: recovering one PE never touches its neighbour */
static void test_per_group_neighbour(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h,
		"spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group",
		"sim-pci,bus=phb1.0,addr=2,id=a,bar0=mem32:0x1000,pcie=on,iommu-group=7",
		"sim-pci,bus=phb1.0,addr=3,id=b,bar0=mem32:0x1000,pcie=on,iommu-group=8",
		NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	struct tdev a = { "a", 0x1000 }, b = { "b", 0x1800 };
	uint64_t buid = 0, t0;
	uint32_t pea = 0, peb = 0, st, info;

	CHECK_EQ(sphb_phb_buid(m, "phb1", &buid), 0);
	assign_bar0(m, &h, "a");
	assign_bar0(m, &h, "b");
	CHECK_EQ(recover(g, "a", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_NOT_FROZEN);
	CHECK_EQ(calls[0].args[1], (uint32_t)(buid >> 32));
	CHECK_EQ(calls[0].args[2], (uint32_t)buid);
	CHECK_EQ(calls[0].rets[1], 1);	/* one function: "not shared" */
	pea = r.pe_addr;
	CHECK_EQ(pea, a.cfg);		/* the group's lowest function */
	CHECK_EQ(recover(g, "b", &r), 0);
	peb = r.pe_addr;
	CHECK_EQ(peb, b.cfg);

	CHECK_EQ(sphb_host_freeze(m, "a", &st), 0);
	CHECK_EQ(st, pea);
	CHECK(!strcmp(host_state(m, "b"), "normal"));
	t0 = sphb_clock_ms(m);
	CHECK_EQ(recover(g, "a", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(sphb_clock_ms(m) - t0, RESET_MS);
	e_detect(&a, pea);
	e_recovery(&a, pea);
	check_sequence("per-group PE a");
	for (unsigned i = 0; i < ncalls; i++) {
		CHECK(calls[i].args[0] != peb);
		CHECK_EQ(calls[i].args[1], (uint32_t)(buid >> 32));
		CHECK_EQ(calls[i].args[2], (uint32_t)buid);
		if (!strncmp(calls[i].text, "rd", 2) || !strncmp(calls[i].text, "wr", 2))
			CHECK_EQ(calls[i].args[0] & 0x0fffff00u, a.cfg);
	}
	check_works(m, &h, "a");
	check_works(m, &h, "b");
	pe_state(m, &h, buid, peb, &st, &info);
	CHECK_EQ(st, 0);
	/* b's freeze count is its own: it was never frozen */
	CHECK_EQ(sphb_host_freeze(m, "b", NULL), 0);
	CHECK_EQ(recover(g, "b", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(r.freeze_count, 1);
	CHECK(!strcmp(host_state(m, "a"), "normal"));
	check_ram(&h);
	sphb_guest_free(g);
	t_free(m, &h);
}

/* eeh_max_freezes: the 6th freeze within an hour is permanent. With a PAPR
 * slot-error-detail (per-group, or shared with error-log=on) function 2
 * leaves the PE permanently unavailable; QEMU's shared PHB answers 1. */
static void freeze_limit(const char *phb, const char *dev, bool papr_log)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, phb, dev, NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	struct tdev nic = { "nic", 0x1000 };
	uint32_t st, info, pe;
	uint64_t buid = 0;

	CHECK_EQ(sphb_phb_buid(m, "phb1", &buid), 0);
	assign_bar0(m, &h, "nic");
	CHECK_EQ(recover(g, "nic", &r), 0);
	pe = r.pe_addr;
	CHECK_EQ(pe, papr_log && strstr(phb, "per-group") ? 0x1000 : 1);
	for (unsigned i = 1; i <= 5; i++) {
		CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
		CHECK_EQ(recover(g, "nic", &r), 0);
		CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
		CHECK_EQ(r.freeze_count, i);
		CHECK_EQ(sphb_clock_advance(m, 60 * 1000), 0);
	}
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_PERMANENT_FAILURE);
	CHECK_EQ(r.freeze_count, 6);
	CHECK_EQ(r.resets, 0);
	CHECK_EQ(r.elapsed_ms, 0);
	/* the permanent log: detection, then eeh_slot_error_detail(EEH_LOG_PERM) */
	e_detect(&nic, pe);
	e_log(&nic, pe, 2);
	check_sequence("6th freeze");
	CHECK(ncalls > 0 && calls[ncalls - 1].text[0] == 's' &&
	      !strncmp(calls[ncalls - 1].text, "sed ", 4));
	CHECK_EQ(calls[ncalls - 1].args[7], 2);
	CHECK_EQ(calls[ncalls - 1].rets[0], papr_log ? 0 : 1);
	pe_state(m, &h, buid, pe, &st, &info);
	if (papr_log) {
		CHECK_EQ(st, 5);
		CHECK_EQ(info, 0);
		CHECK(!strcmp(host_state(m, "nic"), "permanent"));
	}
	/* the guest has removed the device: no more traffic for it */
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_PERMANENT_FAILURE);
	CHECK_EQ(ncalls, 0);
	check_ram(&h);
	sphb_guest_free(g);
	t_free(m, &h);
}

static void test_freeze_limit(void)
{
	static const char *const dev =
		"sim-pci,bus=phb1.0,addr=2,id=nic,bar0=mem32:0x20000,pcie=on,iommu-group=1";

	freeze_limit("spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group", dev, true);
	freeze_limit("spapr-pci-host-bridge,index=1,id=phb1,error-log=on", dev, true);
	freeze_limit("spapr-pci-host-bridge,index=1,id=phb1", dev, false);
}

/* six freezes spread over more than an hour all recover */
static void test_freeze_window(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NIC, NULL);
	struct sphb_guest *g = guest(m, &h, 0);
	struct sphb_guest_result r;
	/* 15 min (+ 4.1 s of recovery) apart: the 5th is 3616 s after the 1st */
	static const unsigned counts[] = { 1, 2, 3, 4, 1, 2, 3 };

	assign_bar0(m, &h, "nic");
	CHECK_EQ(recover(g, "nic", &r), 0);
	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
		CHECK_EQ(recover(g, "nic", &r), 0);
		CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
		CHECK_EQ(r.freeze_count, counts[i]);
		CHECK_EQ(sphb_clock_advance(m, 15 * 60 * 1000), 0);
	}
	check_works(m, &h, "nic");
	sphb_guest_free(g);

	/* max_freezes is the debugfs knob: 1 makes the 2nd freeze fatal */
	g = guest(m, &h, 1);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_RECOVERED);
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_PERMANENT_FAILURE);
	sphb_guest_free(g);
	t_free(m, &h);
}

static int bad_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	(void)opaque; (void)gpa; (void)buf; (void)len;
	return -EFAULT;
}

static void test_api(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, NIC,
		"sim-pci,bus=pci.0,addr=3,id=emu", NULL);
	struct sphb_guest_opts opts;
	struct sphb_guest_ops ops;
	struct sphb_guest *g = NULL;
	struct sphb_guest_result r;

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.scratch_gpa = SCRATCH;
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.mem_read = t_mem_read;
	CHECK_EQ(sphb_guest_new(m, &opts, &ops, &h, &g), -EINVAL); /* no mem_write */
	CHECK(g == NULL);
	ops.mem_write = t_mem_write;
	CHECK_EQ(sphb_guest_new(NULL, &opts, &ops, &h, &g), -EINVAL);
	CHECK_EQ(sphb_guest_new(m, NULL, &ops, &h, &g), -EINVAL);
	opts.scratch_gpa = 0xfffff000u; /* the area would cross 4 GiB */
	CHECK_EQ(sphb_guest_new(m, &opts, &ops, &h, &g), -EINVAL);
	opts.scratch_gpa = SCRATCH;
	CHECK_EQ(sphb_guest_new(m, &opts, &ops, &h, &g), 0); /* no trace: fine */
	CHECK_EQ(sphb_guest_recover(g, NULL, &r), -EINVAL);
	CHECK_EQ(sphb_guest_recover(NULL, "nic", &r), -EINVAL);
	CHECK_EQ(recover(g, "nope", &r), -ENOENT);
	CHECK_EQ(recover(g, "nic", &r), 0);
	CHECK_EQ(r.outcome, SPHB_GUEST_NOT_FROZEN);
	CHECK(r.calls > 0);
	CHECK_EQ(ncalls, 0); /* no trace callback */
	CHECK_EQ(sphb_host_freeze(m, "nic", NULL), 0);
	CHECK_EQ(sphb_guest_recover(g, "nic", NULL), 0); /* res may be NULL */
	CHECK(!strcmp(host_state(m, "nic"), "normal"));
	sphb_guest_free(g);
	sphb_guest_free(NULL);

	/* guest memory that cannot be written: an error, no RTAS call */
	ops.mem_write = bad_write;
	CHECK_EQ(sphb_guest_new(m, &opts, &ops, &h, &g), 0);
	CHECK_EQ(recover(g, "nic", &r), -EFAULT);
	CHECK_EQ(r.calls, 0);
	sphb_guest_free(g);
	t_free(m, &h);

	/* no PE at all: the default PHB with only an emulated device */
	m = t_machine(&h, "sim-pci,bus=pci.0,addr=3,id=emu", NULL);
	g = guest(m, &h, 0);
	CHECK_EQ(recover(g, "emu", &r), -ENODEV);
	CHECK_EQ(ncalls, 1); /* info2 function 1 fails: no PE, nothing else */
	CHECK(!strcmp(calls[0].text, "info2 1800 1"));
	sphb_guest_free(g);
	t_free(m, &h);
}

int main(void)
{
	test_happy_path();
	test_frozen_at_first_use();
	test_host_busy();
	test_per_group_neighbour();
	test_freeze_limit();
	test_freeze_window();
	test_api();
	return t_result();
}
