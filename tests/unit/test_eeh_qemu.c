/* pe-mode=shared: QEMU 7.2-10.0's EEH behaviour (qemu-spapr-phb.md §4.3,
 * §5.1-§5.4), the availability rule with 0/1/2 IOMMU groups and hot plug. */
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define PE 0x00000001u	/* (bus 0 << 16) | 1 */

static struct t_host h;
static struct sphb_machine *m;

static int32_t rtas(const char *name, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

/* every one of the six calls answers -3 (EEH unavailable on this PHB) */
static void all_unavailable(const char *why)
{
	uint32_t a[8] = { 0x1000, HI, LO, 1, 0, 0, 0, 1 }, r[5];
	int bad = 0;
	bad |= rtas("ibm,set-eeh-option", 4, 1, a, r) != -3;
	bad |= rtas("ibm,get-config-addr-info2", 4, 2, a, r) != -3 || r[1] != T_SENTINEL;
	a[3] = 0;
	bad |= rtas("ibm,get-config-addr-info2", 4, 2, a, r) != -3;
	bad |= rtas("ibm,read-slot-reset-state2", 3, 4, a, r) != -3 || r[1] != T_SENTINEL;
	a[3] = 1;
	bad |= rtas("ibm,set-slot-reset", 4, 1, a, r) != -3;
	bad |= rtas("ibm,configure-pe", 3, 1, a, r) != -3;
	bad |= rtas("ibm,slot-error-detail", 8, 1, a, r) != -3;
	if (bad) {
		fprintf(stderr, "not every EEH call answered -3 (%s)\n", why);
		t_failures++;
	}
}

static uint32_t state(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[4];
	CHECK_EQ(rtas("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	CHECK_EQ(r[2], 1);
	CHECK_EQ(r[3], 1000);
	return r[1];
}

static int32_t opt(uint32_t cfg, uint32_t o)
{
	uint32_t a[4] = { cfg, HI, LO, o }, r[1];
	return rtas("ibm,set-eeh-option", 4, 1, a, r);
}

static int32_t reset(uint32_t o)
{
	uint32_t a[4] = { PE, HI, LO, o }, r[1];
	return rtas("ibm,set-slot-reset", 4, 1, a, r);
}

static void availability(void)
{
	/* 0 groups: only an emulated device */
	m = t_machine(&h, "sim-pci,addr=2,id=emu", NULL);
	all_unavailable("0 groups");
	/* 1 group (emulated neighbours do not matter) */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=p1,iommu-group=7"), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=4,id=p1b,iommu-group=7"), 0);
	CHECK_EQ(state(), 0);
	/* 2 groups: unavailable, re-evaluated on the next call */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=5,id=p2,iommu-group=8"), 0);
	all_unavailable("2 groups");
	CHECK_EQ(sphb_machine_del(m, "p2"), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_machine_del(m, "p1"), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_machine_del(m, "p1b"), 0);
	all_unavailable("all pass-through devices unplugged");
	/* a group cannot span two PHBs */
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=3,id=p1,iommu-group=7"), 0);
	CHECK_EQ(sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=phb1"), 0);
	CHECK(sphb_machine_add(m, "sim-pci,bus=phb1.0,addr=3,id=x,iommu-group=7") < 0);
	CHECK(strstr(h.last_log, "iommu-group=7") != NULL);
	t_free(m, &h);
}

static void calls(void)
{
	uint32_t a[8], r[6];

	m = t_machine(&h, "sim-pci,addr=2,id=emu",
		      "sim-pci,addr=3,id=p,iommu-group=7,pcie=on,msix=4,bar0=mem64:64K", NULL);
	/* preamble: counts, then BUID */
	a[0] = PE; a[1] = HI; a[2] = LO; a[3] = 1;
	CHECK_EQ(rtas("ibm,set-eeh-option", 3, 1, a, r), -3);
	CHECK_EQ(rtas("ibm,set-eeh-option", 4, 2, a, r), -3);
	a[2] = LO + 1;
	CHECK_EQ(rtas("ibm,set-eeh-option", 4, 1, a, r), -3);
	CHECK_EQ(rtas("ibm,read-slot-reset-state2", 3, 4, a, r), -3);
	/* get-config-addr-info2 */
	a[0] = 0x1000; a[2] = LO; a[3] = 0;	/* the emulated device counts for function 0 */
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, a, r), 0);
	CHECK_EQ(r[1], 0x00000001);
	a[0] = 0x2000;				/* absent */
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, a, r), -3);
	a[3] = 1;				/* mode: 2 whatever cfg says */
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, a, r), 0);
	CHECK_EQ(r[1], 2);
	a[3] = 2;
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 2, a, r), -3);
	CHECK_EQ(r[1], T_SENTINEL);
	CHECK_EQ(rtas("ibm,get-config-addr-info2", 4, 1, a, r), -3);
	/* set-eeh-option: enable with the PE address or a device address on bus 0 */
	CHECK_EQ(opt(PE, 1), 0);
	CHECK_EQ(opt(0x1800, 1), 0);
	CHECK_EQ(opt(0x1000, 1), 0);		/* bus 0 has a pass-through device */
	CHECK_EQ(opt(0x00010001, 1), -3);	/* bus 1: none */
	CHECK_EQ(opt(PE, 0), 0);
	CHECK_EQ(opt(PE, 4), -3);
	CHECK_EQ(opt(PE, 0xffffffffu), -3);
	/* QEMU forwards thaws whatever the state: 0 from a normal PE */
	CHECK_EQ(opt(PE, 2), 0);
	CHECK_EQ(opt(PE, 3), 0);
	/* freeze -> 2, thaw IO -> 4, thaw DMA -> 0 */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(opt(PE, 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(opt(PE, 3), 0);
	CHECK_EQ(state(), 0);
	/* read-slot-reset-state2 with 5 outputs: recovery info 0; 3 or 6: -3 */
	a[0] = PE; a[1] = HI; a[2] = LO;
	CHECK_EQ(rtas("ibm,read-slot-reset-state2", 3, 5, a, r), 0);
	CHECK_EQ(r[4], 0);
	CHECK_EQ(rtas("ibm,read-slot-reset-state2", 3, 3, a, r), -3);
	CHECK_EQ(rtas("ibm,read-slot-reset-state2", 3, 6, a, r), -3);
	/* enable MSI-X, then hot reset: the pre-reset clears MSI-X Enable */
	{
		uint32_t pos, v;
		for (pos = 0x40; pos; ) {
			CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | pos, 1, &v), 0);
			if (v == 0x11)
				break;
			CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 1), 1, &pos), 0);
		}
		CHECK(pos != 0);
		CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, 0x8000), 0);
		CHECK_EQ(reset(2), -3);		/* 2 is invalid, no pre-reset */
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, &v), 0);
		CHECK(v & 0x8000);
		CHECK_EQ(reset(1), 0);
		CHECK_EQ(state(), 1);
		CHECK_EQ(reset(0), 0);
		CHECK_EQ(state(), 0);
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1800 | (pos + 2), 2, &v), 0);
		CHECK_EQ(v & 0x8000, 0);
		CHECK_EQ(reset(3), 0);		/* fundamental */
		CHECK_EQ(state(), 1);
		CHECK_EQ(reset(0), 0);
	}
	/* configure-pe; slot-error-detail keeps QEMU's "no error log" */
	CHECK_EQ(rtas("ibm,configure-pe", 3, 1, a, r), 0);
	CHECK_EQ(rtas("ibm,configure-pe", 4, 1, a, r), -3);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	a[3] = 0; a[4] = 0; a[5] = 0x300000; a[6] = 2048; a[7] = 1;
	CHECK_EQ(rtas("ibm,slot-error-detail", 8, 1, a, r), 1);
	a[7] = 2;
	CHECK_EQ(rtas("ibm,slot-error-detail", 8, 1, a, r), 1);
	CHECK_EQ(state(), 2);			/* function 2 changes nothing in QEMU mode */
	a[7] = 3;
	CHECK_EQ(rtas("ibm,slot-error-detail", 8, 1, a, r), -3);
	/* PHB reset re-enables (thaws) the PE (§5.4 step 3) */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(), 0);
	t_free(m, &h);
}

int main(void)
{
	availability();
	calls();
	return t_result();
}
