/* LSIs (QEMU 7.2 hw/ppc/spapr_pci.c, spapr_phb_realize() and
 * spapr_phb_lsi_qirq(); SPAPR_IRQ_PCI_LSI in include/hw/ppc/spapr_irq.h):
 * four level-triggered lines per PHB numbered
 * 0x1200 + index * 4 + pin, the PCI swizzle (slot + pin) mod 4, wired-OR of
 * the devices on a line, INTx Disable (Command bit 10) with Interrupt Status
 * (Status bit 3), resets and unplug, the device tree's interrupt-map agreeing
 * with the lines actually driven, and older-size host_ops structs. */
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

static struct t_host h;
static struct sphb_machine *m;
static int level[0x2000];		/* current level per IRQ as the host saw it */
static unsigned nset;			/* irq_set calls */
static uint32_t last_irq;
static int last_level;
static unsigned forbidden;		/* callbacks that must never run */

static void irq_set(void *o, uint32_t irq, int lvl)
{
	(void)o;
	nset++;
	last_irq = irq;
	last_level = lvl;
	CHECK(irq >= 0x1200 && irq < 0x1200 + 31 * 4);
	CHECK(lvl == 0 || lvl == 1);
	if (irq < 0x2000) {
		CHECK(level[irq] != lvl); /* only changes are reported */
		level[irq] = lvl;
	}
}

static void irq_pulse(void *o, uint32_t irq) { (void)o; (void)irq; }
static void bad_set(void *o, uint32_t irq, int lvl) { (void)o; (void)irq; (void)lvl; forbidden++; }
static void bad_pulse(void *o, uint32_t irq) { (void)o; (void)irq; forbidden++; }

static struct sphb_machine *machine(size_t sz, bool bad, const char *const *specs)
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_machine *mm;

	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	ops.sz = sz;
	ops.irq_set = bad ? bad_set : irq_set;
	ops.irq_pulse = bad ? bad_pulse : irq_pulse;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &mm))
		exit(1);
	for (; *specs; specs++)
		if (sphb_machine_add(mm, *specs)) {
			fprintf(stderr, "%s: %s\n", *specs, h.last_log);
			exit(1);
		}
	memset(level, 0, sizeof(level));
	nset = 0;
	return mm;
}

static uint32_t cmd_status(uint64_t buid, uint32_t devfn, unsigned off)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, buid, devfn << 8 | off, 2, &v), 0);
	return v;
}

/* Every slot of PHB 0 and PHB 5: INTA of slot s is line s % 4. */
static void swizzle(void)
{
	const char *specs[] = { "spapr-pci-host-bridge,index=5,id=p5", NULL };
	char spec[96], id[16];

	m = machine(sizeof(struct sphb_host_ops), false, specs);
	for (unsigned s = 0; s < 32; s++) {
		snprintf(spec, sizeof(spec), "sim-pci,addr=%x,id=a%u", s, s);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
		snprintf(spec, sizeof(spec), "sim-pci,bus=p5.0,addr=%x,id=b%u", s, s);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
	}
	for (unsigned s = 0; s < 32; s++) {
		uint32_t pin = 0;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, s << 11 | 0x3d, 1, &pin), 0);
		CHECK_EQ(pin, 1); /* sim-pci uses INTA */
		nset = 0;
		snprintf(id, sizeof(id), "a%u", s);
		CHECK_EQ(sphb_dev_intx(m, id, 1), 0);
		CHECK_EQ(nset, 1);
		CHECK_EQ(last_irq, 0x1200 + s % 4);
		CHECK_EQ(last_level, 1);
		CHECK_EQ(sphb_dev_intx(m, id, 1), 0);	/* already asserted: nothing new */
		CHECK_EQ(nset, 1);
		CHECK_EQ(sphb_dev_intx(m, id, 0), 0);
		CHECK_EQ(nset, 2);
		CHECK_EQ(last_level, 0);
		snprintf(id, sizeof(id), "b%u", s);
		CHECK_EQ(sphb_dev_intx(m, id, 7), 0);	/* any non-zero level asserts */
		CHECK_EQ(last_irq, 0x1200 + 5 * 4 + s % 4);
		CHECK_EQ(level[0x1214 + s % 4], 1);
		CHECK_EQ(sphb_dev_intx(m, id, 0), 0);
		CHECK_EQ(level[0x1214 + s % 4], 0);
	}
	/* wired-OR: slots 1, 5, 9 share line 1; it drops with the last one */
	nset = 0;
	CHECK_EQ(sphb_dev_intx(m, "a1", 1), 0);
	CHECK_EQ(sphb_dev_intx(m, "a5", 1), 0);
	CHECK_EQ(sphb_dev_intx(m, "a9", 1), 0);
	CHECK_EQ(nset, 1);
	CHECK_EQ(level[0x1201], 1);
	CHECK_EQ(sphb_dev_intx(m, "a5", 0), 0);
	CHECK_EQ(sphb_dev_intx(m, "a1", 0), 0);
	CHECK_EQ(level[0x1201], 1);
	CHECK_EQ(sphb_dev_intx(m, "a9", 0), 0);
	CHECK_EQ(level[0x1201], 0);
	CHECK_EQ(nset, 2);
	/* the same devfn on another PHB is another line */
	CHECK_EQ(sphb_dev_intx(m, "a1", 1), 0);
	CHECK_EQ(sphb_dev_intx(m, "b1", 1), 0);
	CHECK_EQ(level[0x1201], 1);
	CHECK_EQ(level[0x1215], 1);
	/* machine reset: every function stops driving INTx */
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(level[0x1201], 0);
	CHECK_EQ(level[0x1215], 0);
	CHECK_EQ(sphb_dev_intx(m, "b1", 1), 0);	/* and the count restarted at 0 */
	CHECK_EQ(level[0x1215], 1);
	CHECK_EQ(sphb_dev_intx(m, "b1", 0), 0);
	CHECK_EQ(level[0x1215], 0);
	/* unplug of an asserting device lowers its line; others keep theirs */
	CHECK_EQ(sphb_dev_intx(m, "a2", 1), 0);
	CHECK_EQ(sphb_dev_intx(m, "a6", 1), 0);
	CHECK_EQ(sphb_machine_del(m, "a2"), 0);
	CHECK_EQ(level[0x1202], 1);
	CHECK_EQ(sphb_machine_del(m, "a6"), 0);
	CHECK_EQ(level[0x1202], 0);
	/* bad input */
	CHECK_EQ(sphb_dev_intx(m, "nosuch", 1), -ENOENT);
	CHECK_EQ(sphb_dev_intx(m, "a2", 1), -ENOENT);		/* unplugged */
	CHECK_EQ(sphb_dev_intx(m, NULL, 1), -EINVAL);
	CHECK_EQ(sphb_dev_intx(NULL, "a1", 1), -EINVAL);
	CHECK_EQ(sphb_dev_intx(m, "p5", 1), -ENOENT);		/* a PHB is not a device */
	t_free(m, &h);
}

/* Command bit 10 (INTx Disable) and Status bit 3 (Interrupt Status). */
static void intx_disable(void)
{
	const char *specs[] = { "sim-pci,addr=3,id=d", "sim-pci,addr=7,id=e", NULL };
	const uint32_t d = 3 << 3, e = 7 << 3;

	m = machine(sizeof(struct sphb_host_ops), false, specs);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0);
	CHECK_EQ(level[0x1203], 1);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0x8);
	/* disable while asserted: the line drops, the status stays */
	nset = 0;
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x04, 2, 0x0400), 0);
	CHECK_EQ(level[0x1203], 0);
	CHECK_EQ(nset, 1);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0x8);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x04) & 0x400, 0x400);
	/* other Command writes that keep the bit change nothing */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x04, 2, 0x0406), 0);
	CHECK_EQ(nset, 1);
	/* a second device on the same line (slot 7 -> line 3) is unaffected */
	CHECK_EQ(sphb_dev_intx(m, "e", 1), 0);
	CHECK_EQ(level[0x1203], 1);
	CHECK_EQ(sphb_dev_intx(m, "e", 0), 0);
	CHECK_EQ(level[0x1203], 0);
	/* deassert and reassert while disabled: status follows, line does not */
	CHECK_EQ(sphb_dev_intx(m, "d", 0), 0);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0x8);
	CHECK_EQ(level[0x1203], 0);
	CHECK_EQ(nset, 3);
	/* enable again (byte write of the high half): the pending level shows */
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x05, 1, 0x00), 0);
	CHECK_EQ(level[0x1203], 1);
	CHECK_EQ(sphb_dev_intx(m, "d", 0), 0);
	CHECK_EQ(level[0x1203], 0);
	/* Interrupt Status is read-only: a write of 1 does not clear or set it */
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x06, 2, 0x0008), 0);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0x8);
	CHECK_EQ(sphb_dev_intx(m, "d", 0), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x06, 2, 0x0008), 0);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x06) & 0x8, 0);
	CHECK_EQ(level[0x1203], 0);
	(void)e;
	t_free(m, &h);
}

/* The host's end of a held reset restores the Command register it saved,
 * INTx Disable included: a line the function asserted during the reset
 * follows the restored bit (it stayed asserted before the fix). */
static void reset_restores_intx_disable(void)
{
	const char *specs[] = { "sim-pci,addr=3,id=d,iommu-group=4", NULL };
	const uint32_t d = 3 << 3;
	uint32_t a[4] = { 1, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, 1 }, r[1];

	m = machine(sizeof(struct sphb_host_ops), false, specs);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, d << 8 | 0x04, 2, 0x0402), 0);
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,set-slot-reset"), 4, 1, a, r); /* hot reset held */
	CHECK_EQ((int32_t)r[0], 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0); /* Command is 0 now: the line rises */
	CHECK_EQ(level[0x1203], 1);
	a[3] = 0;
	t_rtas_n(m, &h, (uint32_t)t_token("ibm,set-slot-reset"), 4, 1, a, r); /* deactivate */
	CHECK_EQ((int32_t)r[0], 0);
	CHECK_EQ(cmd_status(T_BUID0, d, 0x04) & 0x400, 0x400);
	CHECK_EQ(level[0x1203], 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 0), 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0);
	CHECK_EQ(level[0x1203], 0);
	t_free(m, &h);
}

/* The interrupt-map emitted for the device tree names the very lines that
 * irq_set drives, for each slot and pin, on every PHB. */
struct imap { uint32_t buid_lo; uint32_t map[32 * 4 * 7]; size_t n; unsigned phbs; };

static int fb(void *o, const char *name)
{
	struct imap *im = o;
	unsigned long long buid;
	if (sscanf(name, "pci@%llx", &buid) == 1) {
		im->buid_lo = (uint32_t)buid;
		im->phbs++;
	}
	return 0;
}

static int fe(void *o) { (void)o; return 0; }

static int fp(void *o, const char *name, const void *v, size_t len)
{
	struct imap *im = o;
	const uint8_t *p = v;
	if (strcmp(name, "interrupt-map") || im->buid_lo != 0x20000003u)
		return 0;
	CHECK_EQ(len, sizeof(im->map));
	for (size_t i = 0; i < len / 4 && i < 32 * 4 * 7; i++)
		im->map[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
			     (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	im->n = len / 4;
	return 0;
}

static void fdt_agrees(void)
{
	const char *specs[] = { "spapr-pci-host-bridge,index=3,id=p3", NULL };
	struct sphb_fdt_ops ops = { sizeof(ops), fb, fe, fp, 0x4242 };
	static struct imap im;
	char spec[64], id[16];

	m = machine(sizeof(struct sphb_host_ops), false, specs);
	CHECK_EQ(sphb_fdt_phbs(m, &ops, &im), 0);
	CHECK_EQ(im.phbs, 2);
	CHECK_EQ(im.n, 32 * 4 * 7);
	for (unsigned s = 0; s < 32; s++) {
		const uint32_t *e = &im.map[s * 4 * 7]; /* INTA entry of slot s */
		snprintf(spec, sizeof(spec), "sim-pci,bus=p3.0,addr=%x,id=s%u", s, s);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
		snprintf(id, sizeof(id), "s%u", s);
		CHECK_EQ(e[0], s << 11);
		CHECK_EQ(e[3], 1);
		CHECK_EQ(e[4], 0x4242);		/* the host's interrupt controller */
		CHECK_EQ(e[6], 1);		/* level */
		nset = 0;
		CHECK_EQ(sphb_dev_intx(m, id, 1), 0);
		CHECK_EQ(nset, 1);
		CHECK_EQ(last_irq, e[5]);
		CHECK_EQ(sphb_dev_intx(m, id, 0), 0);
		for (unsigned pin = 1; pin <= 4; pin++)
			CHECK_EQ(im.map[(s * 4 + pin - 1) * 7 + 5], 0x120c + (s + pin - 1) % 4);
	}
	t_free(m, &h);
}

/* host_ops from before the interrupt callbacks existed: the library must not
 * read irq_set / irq_pulse beyond the size the host declared. */
static void old_ops(void)
{
	const char *specs[] = { "sim-pci,addr=2,id=d,msi=1", NULL };
	uint32_t pos = 0;

	forbidden = 0;
	m = machine(offsetof(struct sphb_host_ops, irq_set), true, specs);
	CHECK_EQ(sphb_dev_intx(m, "d", 1), 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1004, 2, 0x0400), 0);
	CHECK_EQ(sphb_dev_intx(m, "d", 0), 0);
	/* an MSI that would be delivered */
	{
		uint32_t a[6] = { 0x1000, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, 3, 1, 1 }, r[4];
		t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
		CHECK_EQ(r[0], 0);
	}
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1034, 1, &pos), 0);	/* capability list */
	while (pos) {
		uint32_t cap = 0;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000 | pos, 1, &cap), 0);
		if (cap == 5)
			break;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000 | (pos + 1), 1, &pos), 0);
	}
	CHECK(pos != 0);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x1000 | (pos + 2), 2, 0x0001), 0);
	CHECK_EQ(sphb_dev_msi(m, "d", 0), 0);
	CHECK_EQ(forbidden, 0);
	t_free(m, &h);
}

int main(void)
{
	swizzle();
	intx_disable();
	reset_restores_intx_disable();
	fdt_agrees();
	old_ops();
	return t_result();
}
