/* The "EEH available" rule of a pe-mode=shared PHB, QEMU 7.2's
 * (hw/ppc/spapr_pci_vfio.c, spapr_phb_eeh_available() -> hw/vfio/common.c,
 * vfio_eeh_as_ok(): one VFIO container holding exactly one group):
 * available iff the PHB's pass-through functions come from exactly one host
 * IOMMU group; emulated functions do not matter; evaluated on every call and
 * at every PHB reset (spapr_phb_vfio_reset() enables EEH only when
 * available), so hot plug and unplug change the answer at any moment. When
 * unavailable every one of the six EEH calls answers -3
 * (hw/ppc/spapr_pci.c, rtas_ibm_set_eeh_option() and the others).
 * A group cannot span two PHBs. A per-group PHB with no group has no PE at all.
 *
 * Sections: fixed layouts with 0, 1 and 2 groups; hot plug and unplug
 * (two sequences); a frozen group unplugged and plugged again; a group
 * that would span two PHBs; a per-group PHB without a group.
 * SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "harness.h"

#define BUID1 (T_BUID0 + 1)
#define PE 0x00000001u
#define BUF 0x200000u

static struct t_host h;
static struct sphb_machine *m;

static int32_t call(uint64_t buid, const char *name, uint32_t nargs, uint32_t nret,
		    uint32_t *a, uint32_t *r)
{
	a[1] = (uint32_t)(buid >> 32);
	a[2] = (uint32_t)buid;
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

/* read-slot-reset-state2: status; *st = PE state */
static int32_t rsrs(uint64_t buid, uint32_t cfg, uint32_t *st)
{
	uint32_t a[3] = { cfg }, r[4];
	int32_t s = call(buid, "ibm,read-slot-reset-state2", 3, 4, a, r);
	if (st)
		*st = r[1];
	if (s == 0) {
		CHECK_EQ(r[2], 1);
	} else {
		CHECK_EQ(r[1], T_SENTINEL);
	}
	return s;
}

/* Every one of the six calls, with arguments that are valid when EEH is
 * available; returns how many answered -3. The calls leave the PE in
 * state 0 when they succeed (reset then deactivate). */
static unsigned count_refused(uint64_t buid, uint32_t cfg)
{
	uint32_t a[8], r[4];
	unsigned n = 0;

	a[0] = cfg; a[3] = 1;
	n += call(buid, "ibm,set-eeh-option", 4, 1, a, r) == -3;
	a[0] = cfg; a[3] = 1;
	if (call(buid, "ibm,get-config-addr-info2", 4, 2, a, r) == -3) {
		n++;
		CHECK_EQ(r[1], T_SENTINEL);
	}
	/* function 0 needs a function at cfg: refused only if no slot of bus 0
	 * (nor cfg itself) is answered */
	{
		bool ok = false;
		for (unsigned slot = 0; slot < 32 && !ok; slot++) {
			a[0] = slot == 0 ? cfg : t_cfgaddr(0, slot, 0, 0); a[3] = 0;
			ok = call(buid, "ibm,get-config-addr-info2", 4, 2, a, r) == 0;
		}
		n += !ok;
	}
	n += rsrs(buid, cfg, NULL) == -3;
	a[0] = cfg; a[3] = 1;
	n += call(buid, "ibm,set-slot-reset", 4, 1, a, r) == -3;
	a[0] = cfg; a[3] = 0;
	n += call(buid, "ibm,set-slot-reset", 4, 1, a, r) == -3;
	a[0] = cfg;
	n += call(buid, "ibm,configure-pe", 3, 1, a, r) == -3;
	a[0] = cfg; a[3] = 0; a[4] = 0; a[5] = BUF; a[6] = 2048; a[7] = 1;
	n += call(buid, "ibm,slot-error-detail", 8, 1, a, r) == -3;
	return n;
}

#define AVAILABLE(buid, cfg, why) do { \
	unsigned _n = count_refused(buid, cfg); \
	if (_n) { fprintf(stderr, "%s:%d: %s: %u call(s) refused, expected EEH available\n", \
			  __FILE__, __LINE__, why, _n); t_failures++; } \
} while (0)
#define UNAVAILABLE(buid, cfg, why) do { \
	unsigned _n = count_refused(buid, cfg); \
	if (_n != 8) { fprintf(stderr, "%s:%d: %s: only %u of 8 calls refused, expected EEH unavailable\n", \
			       __FILE__, __LINE__, why, _n); t_failures++; } \
} while (0)

/* Every one of the six calls with a device address on bus 0 answers -3
 * (EEH unavailable on PHB 0); `why` names the layout. */
static void all_unavailable(const char *why)
{
	uint32_t a[8] = { 0x1000, 0, 0, 1, 0, 0, 0, 1 }, r[5];
	int bad = 0;
	bad |= call(T_BUID0, "ibm,set-eeh-option", 4, 1, a, r) != -3;
	bad |= call(T_BUID0, "ibm,get-config-addr-info2", 4, 2, a, r) != -3 || r[1] != T_SENTINEL;
	a[3] = 0;
	bad |= call(T_BUID0, "ibm,get-config-addr-info2", 4, 2, a, r) != -3;
	bad |= call(T_BUID0, "ibm,read-slot-reset-state2", 3, 4, a, r) != -3 || r[1] != T_SENTINEL;
	a[3] = 1;
	bad |= call(T_BUID0, "ibm,set-slot-reset", 4, 1, a, r) != -3;
	bad |= call(T_BUID0, "ibm,configure-pe", 3, 1, a, r) != -3;
	bad |= call(T_BUID0, "ibm,slot-error-detail", 8, 1, a, r) != -3;
	if (bad) {
		fprintf(stderr, "not every EEH call answered -3 (%s)\n", why);
		t_failures++;
	}
}

/* read-slot-reset-state2 on PHB 0 while EEH is available: Status 0,
 * Capabilities 1, Unavailable Info 1000 (QEMU 7.2
 * rtas_ibm_read_slot_reset_state2()); returns the state. */
static uint32_t state0(void)
{
	uint32_t a[3] = { PE }, r[4];
	CHECK_EQ(call(T_BUID0, "ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	return r[1];
}

static void fresh(const char *d1, const char *d2, const char *d3)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, NULL);
	if (d1) CHECK_EQ(sphb_machine_add(m, d1), 0);
	if (d2) CHECK_EQ(sphb_machine_add(m, d2), 0);
	if (d3) CHECK_EQ(sphb_machine_add(m, d3), 0);
}

#define P1 "sim-pci,bus=pci.0,addr=2,id=p1,iommu-group=1"
#define P1B "sim-pci,bus=pci.0,addr=4,id=p1b,iommu-group=1"
#define P2 "sim-pci,bus=pci.0,addr=3,id=p2,iommu-group=2"
#define E1 "sim-pci,bus=pci.0,addr=5,id=e1"
#define E2 "sim-pci,bus=pci.0,addr=6,id=e2"

/* ---- fixed layouts ------------------------------------------------------------ */

static void test_static(void)
{
	/* 0 groups: no device at all, emulated devices only */
	fresh(NULL, NULL, NULL);
	UNAVAILABLE(T_BUID0, PE, "empty PHB");
	fresh(E1, NULL, NULL);
	UNAVAILABLE(T_BUID0, PE, "one emulated device");
	UNAVAILABLE(T_BUID0, t_cfgaddr(0, 5, 0, 0), "one emulated device, its address");
	fresh(E1, E2, NULL);
	UNAVAILABLE(T_BUID0, PE, "two emulated devices");

	/* 1 group: one function, two functions, emulated ones next to them */
	fresh(P1, NULL, NULL);
	AVAILABLE(T_BUID0, PE, "group 1");
	fresh(P1, P1B, NULL);
	AVAILABLE(T_BUID0, PE, "group 1 twice");
	fresh(P1, E1, NULL);
	AVAILABLE(T_BUID0, PE, "group 1 + emulated");
	AVAILABLE(T_BUID0, t_cfgaddr(0, 5, 0, 0), "group 1 + emulated, at the emulated address");
	fresh(E1, P1, E2);
	AVAILABLE(T_BUID0, PE, "emulated + group 1 + emulated");

	/* 2 groups: unavailable, with or without emulated devices */
	fresh(P1, P2, NULL);
	UNAVAILABLE(T_BUID0, PE, "groups 1 and 2");
	UNAVAILABLE(T_BUID0, t_cfgaddr(0, 2, 0, 0), "groups 1 and 2, device address");
	fresh(P1, P2, E1);
	UNAVAILABLE(T_BUID0, PE, "groups 1 and 2 + emulated");
	fresh(P1, P1B, P2);
	UNAVAILABLE(T_BUID0, PE, "group 1 twice + group 2");
}

/* ---- hot plug and unplug --------------------------------------------------------- */

static void test_hotplug(void)
{
	uint32_t st;

	fresh(E1, NULL, NULL);
	UNAVAILABLE(T_BUID0, PE, "emulated only");
	CHECK_EQ(sphb_machine_add(m, P1), 0);
	AVAILABLE(T_BUID0, PE, "+p1");
	CHECK_EQ(sphb_machine_add(m, P2), 0);
	UNAVAILABLE(T_BUID0, PE, "+p2");
	CHECK_EQ(sphb_machine_add(m, P1B), 0);
	UNAVAILABLE(T_BUID0, PE, "+p1b");
	CHECK_EQ(sphb_machine_del(m, "p2"), 0);
	AVAILABLE(T_BUID0, PE, "-p2");
	CHECK_EQ(sphb_machine_del(m, "p1"), 0);
	AVAILABLE(T_BUID0, PE, "-p1 (p1b of group 1 remains)");
	CHECK_EQ(sphb_machine_del(m, "e1"), 0);
	AVAILABLE(T_BUID0, PE, "-e1");
	CHECK_EQ(sphb_machine_del(m, "p1b"), 0);
	UNAVAILABLE(T_BUID0, PE, "-p1b (no group)");
	CHECK_EQ(sphb_machine_add(m, P2), 0);
	AVAILABLE(T_BUID0, PE, "+p2 (now group 2)");
	CHECK_EQ(sphb_machine_add(m, E2), 0);
	AVAILABLE(T_BUID0, PE, "+e2");
	CHECK_EQ(sphb_machine_add(m, P1), 0);
	UNAVAILABLE(T_BUID0, PE, "+p1 again");
	CHECK_EQ(sphb_machine_del(m, "p2"), 0);
	AVAILABLE(T_BUID0, PE, "-p2 again");

	/* the PE the calls reach is the remaining group's: freeze group 1,
	 * make EEH unavailable, and the state is hidden until it is back */
	CHECK_EQ(sphb_host_freeze(m, "p1", NULL), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 2);
	CHECK_EQ(sphb_machine_add(m, P2), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), -3);
	/* a PHB reset while unavailable does not ENABLE (QEMU 7.2
	 * spapr_phb_vfio_reset()) */
	CHECK_EQ(sphb_machine_reset(m), 0);
	{
		const char *name = NULL;
		CHECK_EQ(sphb_host_state(m, "p1", &name), 0);
		CHECK(name && !strcmp(name, "stopped"));
	}
	CHECK_EQ(sphb_machine_del(m, "p2"), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 2);
	/* a PHB reset while available does */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 0);
}

/* A second sequence, starting from one emulated function: groups 7 and 8
 * come and go (all six calls checked at each step); test_group_spans_phbs2()
 * goes on from here. */
static void test_hotplug2(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "sim-pci,addr=2,id=emu", NULL);
	all_unavailable("0 groups");
	/* 1 group (emulated neighbours do not matter) */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=p1,iommu-group=7"), 0);
	CHECK_EQ(state0(), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=4,id=p1b,iommu-group=7"), 0);
	CHECK_EQ(state0(), 0);
	/* 2 groups: unavailable, re-evaluated on the next call */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=5,id=p2,iommu-group=8"), 0);
	all_unavailable("2 groups");
	CHECK_EQ(sphb_machine_del(m, "p2"), 0);
	CHECK_EQ(state0(), 0);
	CHECK_EQ(sphb_machine_del(m, "p1"), 0);
	CHECK_EQ(state0(), 0);
	CHECK_EQ(sphb_machine_del(m, "p1b"), 0);
	all_unavailable("all pass-through devices unplugged");
}

/* ---- a frozen group unplugged and plugged again ------------------------------------ */

/* Hot-unplugging a function of a frozen group gives it back to the host,
 * which thaws the PE (Linux 6.12 arch/powerpc/kernel/eeh.c,
 * eeh_dev_release() -> eeh_pe_change_owner()); a function of the group
 * plugged again finds its PE thawed. */
static void test_replug_frozen(void)
{
	uint32_t st, v = 0;

	fresh(P1, NULL, NULL);
	CHECK_EQ(sphb_host_freeze(m, "p1", NULL), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 2);
	CHECK_EQ(sphb_machine_del(m, "p1"), 0);
	UNAVAILABLE(T_BUID0, PE, "-p1 frozen");
	CHECK_EQ(sphb_machine_add(m, P1), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 2, 0, 0), 4, &v), 0);
	CHECK_EQ(v, 0x53481014u);
}

/* ---- a group cannot span two PHBs -------------------------------------------------- */

static void test_group_spans_phbs(void)
{
	uint32_t st;
	unsigned nlogs;

	fresh(P1, NULL, NULL);
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=phb1"), 0);
	nlogs = h.nlogs;
	CHECK(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=2,id=x,iommu-group=1") < 0);
	CHECK(h.nlogs > nlogs);
	CHECK_EQ(h.last_level, SPHB_LOG_ERROR);
	CHECK(strstr(h.last_log, "iommu-group") != NULL);
	CHECK_EQ(sphb_dev_config_addr(m, "x", NULL, NULL), -ENOENT);	/* nothing added */
	UNAVAILABLE(BUID1, PE, "phb1 after the refused add");
	AVAILABLE(T_BUID0, PE, "pci.0 after the refused add");
	CHECK_EQ(sphb_host_freeze(m, "p1", NULL), 0);
	CHECK_EQ(rsrs(T_BUID0, PE, &st), 0);
	CHECK_EQ(st, 2);
	CHECK_EQ(sphb_machine_reset(m), 0);
	/* the slot stayed free and the id unused */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=2,id=x,iommu-group=3"), 0);
	AVAILABLE(BUID1, PE, "phb1 with group 3");
	AVAILABLE(T_BUID0, PE, "pci.0 still group 1");
	/* the other direction: group 3 lives on phb1 now */
	CHECK(sphb_machine_add(m, "sim-pci,bus=pci.0,addr=7,id=y,iommu-group=3") < 0);
	CHECK_EQ(h.last_level, SPHB_LOG_ERROR);
	AVAILABLE(T_BUID0, PE, "pci.0 after the second refused add");
	/* once the group has left phb1 it may join pci.0 (which then has two groups) */
	CHECK_EQ(sphb_machine_del(m, "x"), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=pci.0,addr=7,id=y,iommu-group=3"), 0);
	UNAVAILABLE(T_BUID0, PE, "pci.0 with groups 1 and 3");
	UNAVAILABLE(BUID1, PE, "phb1 empty again");
}

/* The same on test_hotplug2()'s machine: group 7 on pci.0 refuses phb1. */
static void test_group_spans_phbs2(void)
{
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=p1,iommu-group=7"), 0);
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=phb1"), 0);
	CHECK(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=3,id=x,iommu-group=7") < 0);
	CHECK(strstr(h.last_log, "iommu-group=7") != NULL);
}

/* ---- a per-group PHB without a group ------------------------------------------------ */

static void test_per_group_no_group(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=phb1,pe-mode=per-group", NULL);
	UNAVAILABLE(BUID1, t_cfgaddr(0, 2, 0, 0), "per-group, no device");
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=2,id=e"), 0);
	UNAVAILABLE(BUID1, t_cfgaddr(0, 2, 0, 0), "per-group, emulated device");
	UNAVAILABLE(BUID1, PE, "per-group, emulated device, shared PE address");
	/* a group arrives: its PE works; the emulated function still has none */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=3,id=p,iommu-group=9"), 0);
	AVAILABLE(BUID1, t_cfgaddr(0, 3, 0, 0), "per-group, group 9");
	/* and leaves again */
	CHECK_EQ(sphb_machine_del(m, "p"), 0);
	UNAVAILABLE(BUID1, t_cfgaddr(0, 3, 0, 0), "per-group, group 9 gone");
	UNAVAILABLE(BUID1, t_cfgaddr(0, 2, 0, 0), "per-group, group 9 gone, emulated");
}

int main(void)
{
	test_static();
	test_hotplug();
	test_replug_frozen();
	test_group_spans_phbs();
	test_per_group_no_group();
	test_hotplug2();
	test_group_spans_phbs2();
	if (m)
		t_free(m, &h);
	return t_result();
}
