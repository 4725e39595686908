/* What a stopped PE does to its devices (papr-spec.md C.6) and the simulated
 * host's reset semantics (linux-eeh.md A.5), seen from the guest. */
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define PE 0x00000001u
#define DEV 0x1000u	/* slot 2: pass-through, group 5 */
#define EMU 0x1800u	/* slot 3: emulated */

static struct t_host h;
static struct sphb_machine *m;

static uint32_t rd(uint32_t cfg, uint32_t size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, cfg, size, &v), 0);
	return v;
}

static int32_t call4(const char *name, uint32_t o)
{
	uint32_t a[4] = { PE, HI, LO, o }, r[1];
	t_rtas_n(m, &h, (uint32_t)t_token(name), 4, 1, a, r);
	return (int32_t)r[0];
}

static uint32_t state(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[4];
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,read-slot-reset-state2"), 3, 4, a, r);
	return r[1];
}

static uint64_t mmio(const char *dev)
{
	uint64_t v = 0;
	CHECK_EQ(sphb_mmio_read(m, dev, 0, 0, 4, &v), 0);
	return v;
}

int main(void)
{
	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=5,bar0=mem32:4K",
		      "sim-pci,addr=3,id=e,bar0=mem32:4K", NULL);
	/* program BARs and enable memory decoding on both */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, DEV | 0x10, 4, 0x80001000), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, DEV | 0x04, 2, 0x0006), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, EMU | 0x04, 2, 0x0002), 0);
	CHECK_EQ(sphb_mmio_write(m, "p", 0, 0, 4, 0x11111111), 0);
	CHECK_EQ(mmio("p"), 0x11111111);

	/* stopped: config loads all-ones of the access size, stores dropped; MMIO likewise */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(rd(DEV, 4), 0xffffffff);
	CHECK_EQ(rd(DEV, 2), 0xffff);
	CHECK_EQ(rd(DEV | 0x3c, 1), 0xff);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, DEV | 0x3c, 1, 0x42), 0);
	CHECK_EQ(mmio("p"), 0xffffffff);
	CHECK_EQ(sphb_mmio_write(m, "p", 0, 0, 4, 0x22222222), 0);
	CHECK_EQ(rd(EMU, 2), 0x1014);		/* the emulated device is unaffected */
	/* MMIO thawed (state 4): loads work again, the dropped stores stayed dropped */
	CHECK_EQ(call4("ibm,set-eeh-option", 2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(rd(DEV, 2), 0x1014);
	CHECK_EQ(rd(DEV | 0x3c, 1), 0);
	CHECK_EQ(mmio("p"), 0x11111111);
	CHECK_EQ(call4("ibm,set-eeh-option", 3), 0);
	CHECK_EQ(state(), 0);

	/* a BAR load with Memory Space disabled freezes an EEH-capable PE (eeh_dev_break) ... */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, DEV | 0x04, 2, 0x0000), 0);
	CHECK_EQ(mmio("p"), 0xffffffff);
	CHECK_EQ(state(), 2);
	CHECK_EQ(call4("ibm,set-eeh-option", 2), 0);
	CHECK_EQ(call4("ibm,set-eeh-option", 3), 0);
	CHECK_EQ(state(), 0);
	/* ... but never an emulated device */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, EMU | 0x04, 2, 0x0000), 0);
	CHECK_EQ(mmio("e"), 0xffffffff);
	CHECK_EQ(rd(EMU, 2), 0x1014);
	CHECK_EQ(state(), 0);

	/* host reset: freeze + config blocked while asserted, 250 ms hold;
	 * deactivate: 1800 ms settle, BARs restored, decoding back on, thawed */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, DEV | 0x04, 2, 0x0002), 0);
	{
		uint64_t t0 = sphb_clock_ms(m);
		CHECK_EQ(call4("ibm,set-slot-reset", 1), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250);
		CHECK_EQ(state(), 1);
		CHECK_EQ(rd(DEV, 4), 0xffffffff);
		CHECK_EQ(call4("ibm,set-slot-reset", 0), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250 + 1800);
		CHECK_EQ(state(), 0);
		CHECK_EQ(rd(DEV | 0x10, 4), 0x80001000);
		CHECK(rd(DEV | 0x04, 2) & 0x2);
		CHECK_EQ(mmio("p"), 0);		/* the function was reset: registers cleared */
	}
	/* ENABLE thaws a frozen PE; DISABLE changes nothing */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(call4("ibm,set-eeh-option", 0), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(call4("ibm,set-eeh-option", 1), 0);
	CHECK_EQ(state(), 0);
	t_free(m, &h);
	return t_result();
}
