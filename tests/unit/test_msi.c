/* ibm,change-msi / ibm,query-interrupt-source-number (qemu-spapr-phb.md §4.2,
 * §9 observed answers; B5/B6 fixed), MSI delivery and blocking, LSIs. */
#include "harness.h"

#define HI 0x8000000u
#define LO 0x20000000u

static struct t_host h;
static struct sphb_machine *m;
static uint32_t pulses[64], npulses, lsi_level[0x2000];

static void irq_pulse(void *o, uint32_t irq) { (void)o; if (npulses < 64) pulses[npulses++] = irq; }
static void irq_set(void *o, uint32_t irq, int level) { (void)o; if (irq < 0x2000) lsi_level[irq] = (uint32_t)level; }

static struct sphb_machine *machine(const char *const *specs)
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *mm;

	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	ops.irq_pulse = irq_pulse;
	ops.irq_set = irq_set;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &mm))
		exit(1);
	for (; *specs; specs++)
		if (sphb_machine_add(mm, *specs)) {
			fprintf(stderr, "%s: %s\n", *specs, h.last_log);
			exit(1);
		}
	return mm;
}

/* change-msi with nret 4; returns status, r[] = outputs */
static int32_t msi(uint32_t cfg, uint32_t func, uint32_t n, uint32_t *r)
{
	uint32_t a[6] = { cfg, HI, LO, func, n, 7 };
	t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
	return (int32_t)r[0];
}

static int32_t query(uint32_t cfg, uint32_t i, uint32_t *irq)
{
	uint32_t a[4] = { cfg, HI, LO, i }, r[3];
	t_rtas_n(m, &h, 0x2018, 4, 3, a, r);
	*irq = r[1];
	if (r[0] == 0)
		CHECK_EQ(r[2], 1); /* edge */
	return (int32_t)r[0];
}

#define MSIX 0x1000u	/* slot 2: msix=4 (like virtio-rng-pci: MSI-X only) */
#define BOTH 0x1800u	/* slot 3: msi=1 + msix=5 (like e1000e) */
#define MSI8 0x2000u	/* slot 4: msi=8, pass-through */
#define NONE 0x2800u	/* slot 5: no MSI at all */

static void rtas_answers(void)
{
	uint32_t r[4], irq;

	CHECK_EQ(msi(MSIX, 4, 2, r), 0);		/* §9: [0, 2, seq+1, 2] */
	CHECK_EQ(r[1], 2); CHECK_EQ(r[2], 8); CHECK_EQ(r[3], 2);
	CHECK_EQ(query(MSIX, 0, &irq), 0);
	CHECK_EQ(irq, 0x1300);
	CHECK_EQ(query(MSIX, 1, &irq), 0);
	CHECK_EQ(irq, 0x1301);
	CHECK_EQ(query(MSIX, 2, &irq), -1);		/* past the allocation */
	CHECK_EQ(query(MSIX | 0x40, 1, &irq), 0);	/* B6: register bits ignored */
	CHECK_EQ(msi(MSIX, 3, 1, r), -3);		/* MSI on an MSI-X-only device */
	CHECK_EQ(msi(MSIX, 1, 1, r), 0);		/* platform choice: MSI-X */
	CHECK_EQ(r[3], 2);
	CHECK_EQ(msi(BOTH, 1, 1, r), 0);		/* e1000e-like: MSI */
	CHECK_EQ(r[3], 1);
	CHECK_EQ(msi(BOTH, 3, 4, r), 0);		/* 4 asked, 1 possible: retry answer */
	CHECK_EQ(r[1], 1); CHECK_EQ(r[2], 8); CHECK_EQ(r[3], 1);
	CHECK_EQ(msi(BOTH, 4, 100, r), 0);		/* [0, max, seq+1, type], no allocation */
	CHECK_EQ(r[1], 5); CHECK_EQ(r[3], 2);
	CHECK_EQ(query(BOTH, 0, &irq), 0);		/* the MSI from before is kept */
	CHECK_EQ(msi(BOTH, 4, 0, r), 0);		/* release: [0, 0, -, -] */
	CHECK_EQ(r[1], 0); CHECK_EQ(r[2], T_SENTINEL); CHECK_EQ(r[3], T_SENTINEL);
	CHECK_EQ(msi(BOTH, 4, 0, r), -1);		/* nothing to release */
	CHECK_EQ(query(BOTH, 0, &irq), -1);
	CHECK_EQ(msi(NONE, 1, 1, r), -3);
	CHECK_EQ(msi(0x3000, 1, 1, r), -3);		/* absent device */
	{
		uint32_t a[6] = { MSIX, HI, LO + 1, 4, 1, 1 };	/* absent PHB */
		t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
		CHECK_EQ((int32_t)r[0], -3);
	}
	CHECK_EQ(msi(MSIX, 5, 1, r), -3);
	CHECK_EQ(msi(MSIX, 7, 1, r), -3);
	CHECK_EQ(msi(MSIX, 0xffffffffu, 1, r), -3);
	/* 0 query and 2 reset (PAPR; QEMU answers -3 to both) */
	CHECK_EQ(msi(MSIX, 0, 0, r), 0);
	CHECK_EQ(r[1], 1); CHECK_EQ(r[3], 2);
	CHECK_EQ(msi(MSIX, 2, 0, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(query(MSIX, 0, &irq), -1);
	/* 3 outputs: no type written */
	{
		uint32_t a[6] = { MSIX, HI, LO, 4, 1, 1 };
		t_rtas_n(m, &h, 0x2019, 6, 3, a, r);
		CHECK_EQ(r[0], 0);
		CHECK_EQ(r[1], 1);
	}
	CHECK_EQ(msi(MSIX, 2, 0, r), 0);
	/* B5: an 8-vector MSI block is aligned to 8 */
	CHECK_EQ(msi(MSIX, 4, 1, r), 0);			/* takes 0x1300 */
	CHECK_EQ(msi(MSI8, 3, 8, r), 0);
	CHECK_EQ(query(MSI8, 0, &irq), 0);
	CHECK_EQ(irq % 8, 0);
	CHECK(irq >= 0x1308);
	CHECK_EQ(query(MSI8, 7, &irq), 0);
}

static void delivery(void)
{
	uint32_t r[4], irq, pos;
	/* MSI-8 device: program MSI enable with MME=3 (8 vectors) */
	for (pos = 0x40; pos; ) {
		uint32_t id;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, MSI8 | pos, 1, &id), 0);
		if (id == 5)
			break;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, MSI8 | (pos + 1), 1, &pos), 0);
	}
	CHECK(pos != 0);
	CHECK_EQ(sphb_dev_msi(m, "m8", 0), -EAGAIN);		/* MSI not enabled */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, MSI8 | (pos + 2), 2, 0x0031), 0);
	CHECK_EQ(query(MSI8, 5, &irq), 0);
	npulses = 0;
	CHECK_EQ(sphb_dev_msi(m, "m8", 5), 0);
	CHECK_EQ(npulses, 1);
	CHECK_EQ(pulses[0], irq);
	CHECK_EQ(sphb_dev_msi(m, "m8", 8), -ERANGE);
	/* DMA-stopped PE: MSIs are blocked (PAPR R1-5.4.1.1-9) */
	CHECK_EQ(sphb_host_freeze(m, "m8", NULL), 0);
	CHECK_EQ(sphb_dev_msi(m, "m8", 5), -EIO);
	CHECK_EQ(npulses, 1);
	CHECK_EQ(sphb_machine_reset(m), 0);			/* thaws; frees every MSI */
	CHECK_EQ(query(MSI8, 0, &irq), -1);
	CHECK_EQ(query(MSIX, 0, &irq), -1);
	/* MSI-X: vectors come out of reset masked; unmask through the table */
	CHECK_EQ(msi(MSIX, 4, 2, r), 0);
	CHECK_EQ(query(MSIX, 1, &irq), 0);
	for (pos = 0x40; pos; ) {
		uint32_t id;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, MSIX | pos, 1, &id), 0);
		if (id == 0x11)
			break;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, MSIX | (pos + 1), 1, &pos), 0);
	}
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, MSIX | 0x10, 4, 0x80000000), 0); /* BAR0 = table */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, MSIX | 0x04, 2, 0x0006), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, MSIX | (pos + 2), 2, 0x8000), 0);
	npulses = 0;
	CHECK_EQ(sphb_dev_msi(m, "x", 1), -EAGAIN);		/* masked: pending */
	{
		uint64_t v;
		CHECK_EQ(sphb_mmio_read(m, "x", 0, 0x800, 1, &v), 0);	/* PBA at half the BAR */
		CHECK_EQ(v & 2, 2);
		CHECK_EQ(sphb_mmio_read(m, "x", 0, 16 + 8, 4, &v), 0);	/* entry 1 data */
		CHECK_EQ(v, irq);
	}
	CHECK_EQ(sphb_mmio_write(m, "x", 0, 16 + 12, 4, 0), 0);	/* unmask entry 1 */
	CHECK_EQ(sphb_dev_msi(m, "x", 1), 0);
	CHECK_EQ(npulses, 1);
	CHECK_EQ(pulses[0], irq);
}

static void lsi(void)
{
	/* PHB 0: LSIs 0x1200..0x1203; slot s, INTA -> 0x1200 + s % 4 */
	memset(lsi_level, 0, sizeof(lsi_level));
	CHECK_EQ(sphb_dev_intx(m, "x", 1), 0);			/* slot 2 */
	CHECK_EQ(lsi_level[0x1202], 1);
	CHECK_EQ(sphb_dev_intx(m, "none", 1), 0);		/* slot 5 -> pin 1 */
	CHECK_EQ(lsi_level[0x1201], 1);
	CHECK_EQ(sphb_dev_intx(m, "x6", 1), 0);			/* slot 6 -> 0x1202 too */
	CHECK_EQ(sphb_dev_intx(m, "x", 0), 0);
	CHECK_EQ(lsi_level[0x1202], 1);				/* wired-OR: x6 still asserts */
	CHECK_EQ(sphb_dev_intx(m, "x6", 0), 0);
	CHECK_EQ(lsi_level[0x1202], 0);
	/* INTx Disable drops the device off the line; Status bit 3 still shows it */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, NONE | 0x04, 2, 0x0400), 0);
	CHECK_EQ(lsi_level[0x1201], 0);
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, NONE | 0x06, 2, &v), 0);
		CHECK_EQ(v & 0x8, 0x8);
	}
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, NONE | 0x04, 2, 0x0000), 0);
	CHECK_EQ(lsi_level[0x1201], 1);
	CHECK_EQ(sphb_machine_del(m, "none"), 0);		/* unplug deasserts */
	CHECK_EQ(lsi_level[0x1201], 0);
	CHECK_EQ(sphb_dev_intx(m, "nosuch", 1), -ENOENT);
}

/* 100 000 random allocations and releases; the pool must end whole. */
static void pool_integrity(void)
{
	const char *specs[] = { "spapr-pci-host-bridge,index=1,id=p1", NULL };
	uint32_t seed = 12345, r[4], irq;
	struct sphb_machine *keep = m;
	struct t_host keep_h = h;
	char spec[96];

	m = machine(specs);
	for (unsigned s = 0; s < 32; s++) {
		snprintf(spec, sizeof(spec), "sim-pci,bus=p1.0,addr=%x,msi=32,msix=%u", s, 64 + s * 61);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
	}
	for (unsigned i = 0; i < 100000; i++) {
		unsigned slot, func, n;
		uint32_t a[6];
		seed = seed * 1103515245u + 12345u;
		slot = (seed >> 8) % 32;
		func = (seed >> 16) & 1 ? 3 : 4;
		n = (seed >> 20) % (func == 3 ? 33 : 200);
		a[0] = slot << 11; a[1] = HI; a[2] = LO + 1; a[3] = func; a[4] = n; a[5] = 1;
		t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
		CHECK(r[0] == 0 || (int32_t)r[0] == -1);
	}
	for (unsigned s = 0; s < 32; s++) {
		uint32_t a[6] = { s << 11, HI, LO + 1, 2, 0, 1 };
		t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
		CHECK_EQ(r[0], 0);
	}
	/* whole again: one device can take the entire pool in 32-vector MSI blocks... */
	{
		unsigned got = 0;
		for (unsigned s = 0; s < 32; s++) {
			uint32_t a[6] = { s << 11, HI, LO + 1, 3, 32, 1 };
			t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
			if (r[0] == 0 && r[1] == 32)
				got++;
		}
		CHECK_EQ(got, 32);
		for (unsigned s = 0; s < 32; s++) {
			uint32_t a[4] = { s << 11, HI, LO + 1, 0 }, q[3];
			t_rtas_n(m, &h, 0x2018, 4, 3, a, q);
			CHECK_EQ(q[0], 0);
			CHECK_EQ(q[1], 0x1300 + 32 * s);	/* first fit from the start: nothing leaked */
		}
	}
	(void)irq;
	t_free(m, &h);
	m = keep;
	h = keep_h;
}

int main(void)
{
	const char *specs[] = {
		"sim-pci,addr=2,id=x,bar0=mem32:4K,msix=4,msix-bar=0",
		"sim-pci,addr=3,id=both,msi=1,msix=5",
		"sim-pci,addr=4,id=m8,msi=8,iommu-group=9",
		"sim-pci,addr=5,id=none",
		"sim-pci,addr=6,id=x6",
		NULL };
	m = machine(specs);
	rtas_answers();
	delivery();
	lsi();
	pool_integrity();
	t_free(m, &h);
	return t_result();
}
