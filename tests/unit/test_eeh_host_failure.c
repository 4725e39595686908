/* A failing host EEH operation maps to the status QEMU 7.2 uses
 * (hw/ppc/spapr_pci.c: rtas_ibm_read_slot_reset_state2() and
 * rtas_ibm_configure_pe() answer -3, rtas_ibm_set_eeh_option() and
 * rtas_ibm_set_slot_reset() -1), is logged once, and changes no state. */
#include <errno.h>
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define PE 0x00000001u

static struct t_host h;
static struct sphb_machine *m;

static int32_t call(const char *name, uint32_t nargs, uint32_t nret, uint32_t o)
{
	uint32_t a[4] = { PE, HI, LO, o }, r[4];
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

static void expect(const char *name, uint32_t nargs, uint32_t nret, uint32_t o, int32_t status)
{
	unsigned logs = h.nlogs;
	const char *before, *after;

	CHECK_EQ(sphb_host_state(m, "p", &before), 0);
	CHECK_EQ(sphb_host_fail(m, "p", EIO, 1), 0);
	if (call(name, nargs, nret, o) != status) {
		fprintf(stderr, "%s(%u) with a failing host: expected %d\n", name, o, status);
		t_failures++;
	}
	CHECK_EQ(h.nlogs, logs + 1);		/* logged once */
	CHECK_EQ(h.last_level, SPHB_LOG_WARN);
	CHECK_EQ(sphb_host_state(m, "p", &after), 0);
	CHECK(!strcmp(before, after));		/* no state change */
}

int main(void)
{
	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=4", NULL);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	expect("ibm,read-slot-reset-state2", 3, 4, 0, -3);
	expect("ibm,configure-pe", 3, 1, 0, -3);
	expect("ibm,set-eeh-option", 4, 1, 0, -1);
	expect("ibm,set-eeh-option", 4, 1, 1, -1);
	expect("ibm,set-eeh-option", 4, 1, 2, -1);
	expect("ibm,set-eeh-option", 4, 1, 3, -1);
	expect("ibm,set-slot-reset", 4, 1, 1, -1);
	expect("ibm,set-slot-reset", 4, 1, 3, -1);
	expect("ibm,set-slot-reset", 4, 1, 0, -1);
	/* the failure was one-shot: the next call works */
	CHECK_EQ(call("ibm,set-eeh-option", 4, 1, 2), 0);
	/* bad arguments */
	CHECK_EQ(sphb_host_fail(m, "p", 0, 1), -EINVAL);
	CHECK_EQ(sphb_host_fail(m, "nope", EIO, 1), -ENOENT);
	t_free(m, &h);

	/* per-group mode: a failing GET_STATE before a thaw is a hardware error (-1) */
	m = t_machine(&h, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group",
		      "sim-pci,bus=g.0,addr=2,id=p,iommu-group=4", NULL);
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(sphb_host_fail(m, "p", ENODEV, 1), 0);
	{
		uint32_t a[4] = { 0x1000, HI, LO + 1, 2 }, r[1];
		t_rtas_n(m, &h, (uint32_t)t_token("ibm,set-eeh-option"), 4, 1, a, r);
		CHECK_EQ((int32_t)r[0], -1);
	}
	t_free(m, &h);
	return t_result();
}
