/* What a PE state does to its functions, as the guest sees it.
 *
 * Sections:
 *   - MMIO Stopped (PAPR §5.4.1.1, R1-5.4.1.1-8; §7.3.4.1): config and BAR
 *     loads return all-ones of the access size with Status 0, stores are
 *     dropped, until set-eeh-option 2 (state 4) or a reset deactivation;
 *     DMA Stopped (R1-5.4.1.1-9): MSIs are blocked until set-eeh-option 3;
 *     an emulated neighbour is never affected;
 *   - decode freeze: a BAR load the function cannot decode (Memory Space
 *     off) freezes an EEH-capable PE, never an emulated function (docs/eeh.md;
 *     what Linux's eeh_dev_break debugfs knob provokes, arch/powerpc/kernel/
 *     eeh.c, eeh_break_device());
 *   - the host kernel's VFIO EEH semantics (Linux 6.12
 *     drivers/vfio/vfio_iommu_spapr_tce.c, vfio_spapr_ioctl_eeh_pe_op() ->
 *     arch/powerpc/kernel/eeh.c, eeh_pe_set_option() / eeh_pe_reset()):
 *     ENABLE thaws, DISABLE is a no-op, RESET_HOT/FUNDAMENTAL freeze first and
 *     block config, DEACTIVATE restores the BARs and thaws; hold 250 ms /
 *     settle 1800 ms (Linux's EEH_PE_RST_HOLD_TIME and EEH_PE_RST_SETTLE_TIME,
 *     arch/powerpc/include/asm/eeh.h) in virtual time, never slept.
 * Each section runs on the two-function machine of fresh() and then, in
 * order, on a smaller one (small_*(): a 4 KiB BAR, no capabilities).
 * SPDX-License-Identifier: MIT */
#include <time.h>

#include "harness.h"

#define HI ((uint32_t)(T_BUID0 >> 32))
#define LO ((uint32_t)T_BUID0)
#define PE 0x00000001u
#define CFG_A 0x00001000u	/* slot 2: pass-through, group 4 */
#define CFG_E 0x00001800u	/* slot 3: emulated */

#define BAR0 0x80000000u
#define BAR2_LO 0x00100000u
#define BAR2_HI 0x00000001u
#define ROMBAR 0x80100000u

static struct t_host h;
static struct sphb_machine *m;

static void fresh(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h,
		"sim-pci,bus=pci.0,addr=2,id=a,iommu-group=4,pcie=on,bar0=mem32:0x1000,bar2=mem64:0x4000,rom=0x800,msi=1",
		"sim-pci,bus=pci.0,addr=3,id=e,pcie=on,bar0=mem32:0x1000", NULL);
}

static int32_t call(const char *name, uint32_t nargs, uint32_t nret, const uint32_t *a, uint32_t *r)
{
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

static int32_t seo(uint32_t fn)
{
	uint32_t a[4] = { PE, HI, LO, fn }, r[1];
	return call("ibm,set-eeh-option", 4, 1, a, r);
}

static int32_t ssr(uint32_t fn)
{
	uint32_t a[4] = { PE, HI, LO, fn }, r[1];
	return call("ibm,set-slot-reset", 4, 1, a, r);
}

static uint32_t state(void)
{
	uint32_t a[3] = { PE, HI, LO }, r[4];
	CHECK_EQ(call("ibm,read-slot-reset-state2", 3, 4, a, r), 0);
	return r[1];
}

static const char *host_state(const char *id)
{
	const char *n = "?";
	CHECK_EQ(sphb_host_state(m, id, &n), 0);
	return n;
}

static uint32_t rd(uint32_t cfg, unsigned off, unsigned size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, cfg | off, size, &v), 0);	/* Status 0 always */
	return v;
}

static void wr(uint32_t cfg, unsigned off, unsigned size, uint32_t v)
{
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, cfg | off, size, v), 0);	/* Status 0 always */
}

static uint64_t ld(const char *id, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	CHECK_EQ(sphb_mmio_read(m, id, bar, off, size, &v), 0);
	return v;
}

static void st(const char *id, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	CHECK_EQ(sphb_mmio_write(m, id, bar, off, size, v), 0);
}

/* The guest programs the function: BARs, ROM, interrupt line, cache line,
 * Memory + Bus Master, and some BAR contents. */
static void program(uint32_t cfg, const char *id)
{
	wr(cfg, 0x10, 4, BAR0);
	if (cfg == CFG_A) {
		wr(cfg, 0x18, 4, BAR2_LO);
		wr(cfg, 0x1c, 4, BAR2_HI);
		wr(cfg, 0x30, 4, ROMBAR | 1);
	}
	wr(cfg, 0x3c, 1, 0x21);
	wr(cfg, 0x0c, 1, 0x10);
	wr(cfg, 0x04, 2, 0x0006);
	st(id, 0, 0x100, 4, 0x11223344u);
	if (cfg == CFG_A)
		st(id, 2, 0x200, 8, 0x0123456789abcdefull);
}

static void check_stopped_loads(void)
{
	/* config: all-ones of the access size, Status 0 */
	CHECK_EQ(rd(CFG_A, 0x00, 1), 0xff);
	CHECK_EQ(rd(CFG_A, 0x02, 2), 0xffff);
	CHECK_EQ(rd(CFG_A, 0x00, 4), 0xffffffffu);
	CHECK_EQ(rd(CFG_A, 0x0c, 1), 0xff);
	CHECK_EQ(rd(CFG_A, 0x10, 4), 0xffffffffu);
	CHECK_EQ(rd(CFG_A, 0x04, 2), 0xffff);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, CFG_A | 0x10000000u, 4, NULL), 0); /* extended space */
	/* MMIO: all-ones of every size */
	CHECK_EQ(ld("a", 0, 0x100, 1), 0xff);
	CHECK_EQ(ld("a", 0, 0x100, 2), 0xffff);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0xffffffffu);
	CHECK_EQ(ld("a", 0, 0x100, 8), 0xffffffffffffffffull);
	CHECK_EQ(ld("a", 2, 0x200, 8), 0xffffffffffffffffull);
	CHECK_EQ(ld("a", 6, 0, 4), 0xffffffffu);
}

/* ---- MMIO and DMA stopped -------------------------------------------------------- */

static void test_stopped(void)
{
	fresh();
	program(CFG_A, "a");
	program(CFG_E, "e");
	CHECK_EQ(rd(CFG_A, 0, 4), 0x53481014u);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	CHECK_EQ(sphb_dev_msi(m, "a", 0), -EAGAIN);	/* MSI not enabled: not blocked */

	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(state(), 2);
	check_stopped_loads();
	CHECK_EQ(sphb_dev_msi(m, "a", 0), -EIO);	/* DMA stopped: MSIs blocked */
	/* stores are dropped, Status 0 */
	wr(CFG_A, 0x0c, 1, 0x20);
	wr(CFG_A, 0x3c, 1, 0x42);
	wr(CFG_A, 0x10, 4, 0x90000000u);
	wr(CFG_A, 0x04, 2, 0x0000);
	st("a", 0, 0x100, 4, 0xdeadbeefu);
	st("a", 2, 0x200, 8, 0);
	/* the emulated neighbour is not affected */
	CHECK_EQ(rd(CFG_E, 0, 4), 0x53481014u);
	CHECK_EQ(ld("e", 0, 0x100, 4), 0x11223344u);

	/* MMIO-only thaw (state 4): loads work again, with the old values */
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(rd(CFG_A, 0x00, 4), 0x53481014u);
	CHECK_EQ(rd(CFG_A, 0x0c, 1), 0x10);
	CHECK_EQ(rd(CFG_A, 0x3c, 1), 0x21);
	CHECK_EQ(rd(CFG_A, 0x10, 4), BAR0);
	CHECK_EQ(rd(CFG_A, 0x04, 2), 0x0006);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	CHECK_EQ(ld("a", 2, 0x200, 8), 0x0123456789abcdefull);
	CHECK_EQ(sphb_dev_msi(m, "a", 0), -EIO);	/* DMA still stopped */
	/* stores work in state 4 */
	st("a", 0, 0x104, 4, 0x55667788u);
	CHECK_EQ(ld("a", 0, 0x104, 4), 0x55667788u);
	wr(CFG_A, 0x0c, 1, 0x08);
	CHECK_EQ(rd(CFG_A, 0x0c, 1), 0x08);
	CHECK_EQ(seo(3), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(sphb_dev_msi(m, "a", 0), -EAGAIN);
}

/* The small machine: p (group 5, slot 2) and e (emulated, slot 3), each
 * with a 4 KiB mem32 BAR 0; small_decode_freeze() and small_host() go on
 * from the state small_stopped() leaves. */
static void small_stopped(void)
{
	if (m)
		t_free(m, &h);
	m = t_machine(&h, "sim-pci,addr=2,id=p,iommu-group=5,bar0=mem32:4K",
		      "sim-pci,addr=3,id=e,bar0=mem32:4K", NULL);
	/* program BARs and enable memory decoding on both */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_A | 0x10, 4, 0x80001000), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_A | 0x04, 2, 0x0006), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_E | 0x04, 2, 0x0002), 0);
	CHECK_EQ(sphb_mmio_write(m, "p", 0, 0, 4, 0x11111111), 0);
	CHECK_EQ(ld("p", 0, 0, 4), 0x11111111);

	/* stopped: config loads all-ones of the access size, stores dropped; MMIO likewise */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(rd(CFG_A, 0, 4), 0xffffffff);
	CHECK_EQ(rd(CFG_A, 0, 2), 0xffff);
	CHECK_EQ(rd(CFG_A, 0x3c, 1), 0xff);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_A | 0x3c, 1, 0x42), 0);
	CHECK_EQ(ld("p", 0, 0, 4), 0xffffffff);
	CHECK_EQ(sphb_mmio_write(m, "p", 0, 0, 4, 0x22222222), 0);
	CHECK_EQ(rd(CFG_E, 0, 2), 0x1014);		/* the emulated device is unaffected */
	/* MMIO thawed (state 4): loads work again, the dropped stores stayed dropped */
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(state(), 4);
	CHECK_EQ(rd(CFG_A, 0, 2), 0x1014);
	CHECK_EQ(rd(CFG_A, 0x3c, 1), 0);
	CHECK_EQ(ld("p", 0, 0, 4), 0x11111111);
	CHECK_EQ(seo(3), 0);
	CHECK_EQ(state(), 0);
}

/* ---- decode freeze ------------------------------------------------------------ */

static void test_decode_freeze(void)
{
	fresh();
	program(CFG_A, "a");
	program(CFG_E, "e");
	/* a load that decodes never freezes */
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	CHECK_EQ(ld("a", 0, 0x2000, 4), 0xffffffffu);	/* outside the BAR, not a decode error */
	CHECK_EQ(state(), 0);
	/* Memory Space disabled: the load master-aborts and the PE freezes */
	wr(CFG_A, 0x04, 2, 0x0004);
	CHECK_EQ(state(), 0);				/* disabling alone does nothing */
	CHECK_EQ(ld("a", 0, 0x100, 4), 0xffffffffu);
	CHECK_EQ(state(), 2);
	CHECK(!strcmp(host_state("a"), "stopped"));
	CHECK_EQ(rd(CFG_A, 0, 4), 0xffffffffu);
	/* the guest recovers: thaw, decoding still off, Memory on again */
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(seo(3), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(rd(CFG_A, 0x04, 2), 0x0004);
	wr(CFG_A, 0x04, 2, 0x0006);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	CHECK_EQ(state(), 0);
	/* in state 4 a new decode error freezes again (Table 7-59 4 -> 2) */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(state(), 4);
	wr(CFG_A, 0x04, 2, 0x0004);
	CHECK_EQ(ld("a", 2, 0x200, 8), 0xffffffffffffffffull);
	CHECK_EQ(state(), 2);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(state(), 0);

	/* an emulated function: all-ones, never a freeze */
	fresh();
	program(CFG_E, "e");
	wr(CFG_E, 0x04, 2, 0x0004);
	for (unsigned size = 1; size <= 8; size *= 2)
		CHECK_EQ(ld("e", 0, 0x100, size), size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
	CHECK_EQ(state(), 0);
	CHECK_EQ(rd(CFG_E, 0, 4), 0x53481014u);
	CHECK_EQ(rd(CFG_A, 0, 4), 0x53481014u);
	CHECK(!strcmp(host_state("a"), "normal"));
	{
		const char *n = NULL;
		CHECK_EQ(sphb_host_state(m, "e", &n), -ENODEV);
		CHECK_EQ(sphb_host_freeze(m, "e", NULL), -ENODEV);
	}
	wr(CFG_E, 0x04, 2, 0x0006);
	CHECK_EQ(ld("e", 0, 0x100, 4), 0x11223344u);	/* contents kept */
}

static void small_decode_freeze(void)
{
	/* a BAR load with Memory Space disabled freezes an EEH-capable PE (eeh_dev_break) ... */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_A | 0x04, 2, 0x0000), 0);
	CHECK_EQ(ld("p", 0, 0, 4), 0xffffffff);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(seo(3), 0);
	CHECK_EQ(state(), 0);
	/* ... but never an emulated device */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_E | 0x04, 2, 0x0000), 0);
	CHECK_EQ(ld("e", 0, 0, 4), 0xffffffff);
	CHECK_EQ(rd(CFG_E, 0, 2), 0x1014);
	CHECK_EQ(state(), 0);
}

/* ---- the host kernel's semantics: ENABLE, DISABLE, resets ---------------------- */

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void test_host_semantics(void)
{
	uint64_t t0;
	double w0;

	fresh();
	program(CFG_A, "a");
	/* ENABLE thaws a frozen PE */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(1), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	/* also from state 4 */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(seo(2), 0);
	CHECK_EQ(seo(1), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(seo(1), 0);			/* not frozen: nothing to do */
	CHECK_EQ(state(), 0);
	/* DISABLE is a no-op: frozen stays frozen, normal stays normal */
	CHECK_EQ(seo(0), 0);
	CHECK_EQ(state(), 0);
	CHECK_EQ(ld("a", 0, 0x100, 4), 0x11223344u);
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(seo(0), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(1), 0);

	/* RESET_HOT: freeze, block config, hold 250 ms; DEACTIVATE: settle
	 * 1800 ms, BARs restored, PE thawed */
	for (unsigned opt = 1; opt <= 3; opt += 2) {
		w0 = wall_ms();
		t0 = sphb_clock_ms(m);
		CHECK_EQ(ssr(opt), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250);
		CHECK_EQ(state(), 1);
		CHECK(!strcmp(host_state("a"), "reset"));
		check_stopped_loads();
		CHECK_EQ(sphb_dev_msi(m, "a", 0), -EIO);
		wr(CFG_A, 0x10, 4, 0x12340000u);	/* dropped while config is blocked */
		st("a", 0, 0x100, 4, 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250);	/* loads and stores take no time */
		CHECK_EQ(ssr(0), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250 + 1800);
		CHECK_EQ(state(), 0);			/* right after deactivate: thawed */
		CHECK(!strcmp(host_state("a"), "normal"));
		/* the BARs are what the guest programmed before the reset */
		CHECK_EQ(rd(CFG_A, 0x10, 4), BAR0);
		CHECK_EQ(rd(CFG_A, 0x18, 4), BAR2_LO | 0x4);	/* 64-bit memory BAR type bits */
		CHECK_EQ(rd(CFG_A, 0x1c, 4), BAR2_HI);
		CHECK_EQ(rd(CFG_A, 0x30, 4), ROMBAR | 1);
		CHECK_EQ(rd(CFG_A, 0x3c, 1), 0x21);
		CHECK_EQ(rd(CFG_A, 0x04, 2) & 0x0006, 0x0006);	/* decoding re-enabled */
		CHECK(ld("a", 0, 0x100, 4) != 0xffffffffu);	/* the BAR decodes again */
		CHECK_EQ(state(), 0);				/* ...without a new freeze */
		CHECK(wall_ms() - w0 < 1000.0);			/* virtual time: no sleeping */
		st("a", 0, 0x100, 4, 0x11223344u);
	}
	/* a reset of a frozen PE: the same; deactivation leaves it thawed */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	t0 = sphb_clock_ms(m);
	CHECK_EQ(ssr(1), 0);
	CHECK_EQ(state(), 1);
	CHECK_EQ(seo(1), 0);			/* ENABLE does not end a reset */
	CHECK_EQ(state(), 1);
	CHECK_EQ(ssr(0), 0);
	CHECK_EQ(sphb_clock_ms(m) - t0, 250 + 1800);
	CHECK_EQ(state(), 0);
	CHECK_EQ(rd(CFG_A, 0x10, 4), BAR0);
	/* a reset held twice is held 250 ms more, deactivated once */
	t0 = sphb_clock_ms(m);
	CHECK_EQ(ssr(1), 0);
	CHECK_EQ(ssr(3), 0);
	CHECK_EQ(sphb_clock_ms(m) - t0, 500);
	CHECK_EQ(ssr(0), 0);
	CHECK_EQ(sphb_clock_ms(m) - t0, 500 + 1800);
	CHECK_EQ(state(), 0);
	CHECK_EQ(rd(CFG_A, 0x10, 4), BAR0);
	CHECK_EQ(rd(CFG_A, 0x1c, 4), BAR2_HI);
	/* configure-pe takes no time and changes nothing */
	{
		uint32_t a[3] = { PE, HI, LO }, r[1];
		t0 = sphb_clock_ms(m);
		CHECK_EQ(call("ibm,configure-pe", 3, 1, a, r), 0);
		CHECK_EQ(sphb_clock_ms(m), t0);
		CHECK_EQ(state(), 0);
	}
}

static void small_host(void)
{
	/* host reset: freeze + config blocked while asserted, 250 ms hold;
	 * deactivate: 1800 ms settle, BARs restored, decoding back on, thawed */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG_A | 0x04, 2, 0x0002), 0);
	{
		uint64_t t0 = sphb_clock_ms(m);
		CHECK_EQ(ssr(1), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250);
		CHECK_EQ(state(), 1);
		CHECK_EQ(rd(CFG_A, 0, 4), 0xffffffff);
		CHECK_EQ(ssr(0), 0);
		CHECK_EQ(sphb_clock_ms(m) - t0, 250 + 1800);
		CHECK_EQ(state(), 0);
		CHECK_EQ(rd(CFG_A, 0x10, 4), 0x80001000);
		CHECK(rd(CFG_A, 0x04, 2) & 0x2);
		CHECK_EQ(ld("p", 0, 0, 4), 0);		/* the function was reset: registers cleared */
	}
	/* ENABLE thaws a frozen PE; DISABLE changes nothing */
	CHECK_EQ(sphb_host_freeze(m, "p", NULL), 0);
	CHECK_EQ(seo(0), 0);
	CHECK_EQ(state(), 2);
	CHECK_EQ(seo(1), 0);
	CHECK_EQ(state(), 0);
}

int main(void)
{
	test_stopped();
	test_decode_freeze();
	test_host_semantics();
	small_stopped();
	small_decode_freeze();
	small_host();
	if (m)
		t_free(m, &h);
	return t_result();
}
