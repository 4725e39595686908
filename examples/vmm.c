/*
 * examples/vmm.c — embedding libsphb the way a VMM does.
 *
 * A VMM owns guest RAM and its device models; libsphb is the PCI host bridge
 * between them and the guest. This program has:
 *   - flat guest RAM and the host callbacks libsphb needs;
 *   - a device model of its own, "copier": a PCI function with one 4 KiB
 *     memory BAR holding four registers (source and destination bus
 *     addresses, length, doorbell) and an MSI-X table with one vector. A
 *     doorbell write copies `length` bytes by DMA through the PHB (TCE
 *     translation, permissions) and then signals completion with its MSI-X
 *     message, written by DMA too, as a real device does;
 *   - a "guest" part that drives it with exactly what a pseries guest sends:
 *     RTAS config cycles (probe, BAR assignment), ibm,change-msi, H_PUT_TCE,
 *     MMIO stores at guest physical addresses (the VMM's MMIO exits);
 *   - an EEH episode: the guest disables Memory Space and loads from the BAR,
 *     which freezes the function's PE (as PHB hardware does); the guest's
 *     recovery (libsphb's guest-recovery driver, Linux's EEH sequence)
 *     resets the function; the device works again.
 * Build: cc -std=c11 examples/vmm.c $(pkg-config --cflags --libs sphb)
 * It prints the story and exits 0 when every step did what it should.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sphb/sphb.h>

/* ---- the VMM: guest RAM and host callbacks ---- */

#define RAM_SIZE (64u << 20)

struct vmm {
	uint8_t *ram;
	uint32_t last_msi;	/* the last interrupt the PHB delivered */
	unsigned msis;
};

static int mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct vmm *v = opaque;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(buf, v->ram + gpa, len);
	return 0;
}

static int mem_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	struct vmm *v = opaque;

	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -EFAULT;
	memcpy(v->ram + gpa, buf, len);
	return 0;
}

static void log_msg(void *opaque, enum sphb_log_level level, const char *msg)
{
	(void)opaque;
	if (level <= SPHB_LOG_WARN)
		fprintf(stderr, "  sphb: %s\n", msg);
}

static void irq_pulse(void *opaque, uint32_t irq)
{
	struct vmm *v = opaque;

	v->last_msi = irq; /* a real VMM injects it into the interrupt controller */
	v->msis++;
}

/* ---- the VMM's device model: "copier" ---- */

#define COPIER_VENDOR 0x1af4
#define COPIER_DEVICE 0x10fe
#define REG_SRC 0x00
#define REG_DST 0x08
#define REG_LEN 0x10
#define REG_DOORBELL 0x18
#define MSIX_TABLE 0x800	/* in BAR0 */
#define MSIX_PBA 0xc00
#define MSIX_CAP 0x40

struct copier {
	uint8_t cfg[256], wmask[256], init[256];
	uint8_t bar0[4096];
	struct sphb_dma *dma;	/* its DMA handle */
	unsigned copies, errors;
};

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void copier_power_on(struct copier *c)
{
	memcpy(c->cfg, c->init, sizeof(c->cfg));
	memset(c->bar0, 0, sizeof(c->bar0));
	c->bar0[MSIX_TABLE + 12] = 1; /* the vector comes out of reset masked */
}

static void copier_build(struct copier *c)
{
	memset(c, 0, sizeof(*c));
	put_le(c->init + 0x00, 2, COPIER_VENDOR);
	put_le(c->init + 0x02, 2, COPIER_DEVICE);
	put_le(c->init + 0x08, 4, 0xff000000u);		/* class: unclassified */
	c->init[0x06] = 0x10;				/* capability list */
	c->init[0x34] = MSIX_CAP;
	c->init[MSIX_CAP] = 0x11;			/* MSI-X, 1 vector, BAR0 */
	put_le(c->init + MSIX_CAP + 4, 4, MSIX_TABLE);
	put_le(c->init + MSIX_CAP + 8, 4, MSIX_PBA);
	put_le(c->wmask + 0x04, 2, 0x0406);		/* Memory, Bus Master, INTx Disable */
	put_le(c->wmask + 0x10, 4, 0xfffff000u);	/* BAR0: 4 KiB, 32-bit memory */
	put_le(c->wmask + MSIX_CAP + 2, 2, 0xc000);	/* MSI-X Enable, Function Mask */
	copier_power_on(c);
}

/* MSI-X (PCI Local Bus 3.0 6.8.2): the message of vector 0, unless masked */
static void copier_signal(struct copier *c)
{
	uint16_t ctl = (uint16_t)get_le(c->cfg + MSIX_CAP + 2, 2);
	const uint8_t *e = c->bar0 + MSIX_TABLE;

	if (!(ctl & 0x8000) || (ctl & 0x4000) || (e[12] & 1)) {
		c->bar0[MSIX_PBA] |= 1; /* pending */
		return;
	}
	if (sphb_dma_write(c->dma, get_le(e, 8), e + 8, 4))
		c->errors++;
}

static void copier_doorbell(struct copier *c)
{
	uint64_t src = get_le(c->bar0 + REG_SRC, 8), dst = get_le(c->bar0 + REG_DST, 8);
	uint32_t len = (uint32_t)get_le(c->bar0 + REG_LEN, 4);
	uint8_t buf[4096];

	if (len > sizeof(buf) || sphb_dma_read(c->dma, src, buf, len) ||
	    sphb_dma_write(c->dma, dst, buf, len)) {
		c->errors++;
		return;
	}
	c->copies++;
	copier_signal(c);
}

static uint32_t copier_cfg_read(void *opaque, uint32_t off, unsigned size)
{
	struct copier *c = opaque;

	return (uint32_t)get_le(c->cfg + off, size);
}

static void copier_cfg_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	struct copier *c = opaque;

	for (unsigned i = 0; i < size; i++) {
		uint8_t m = c->wmask[off + i];
		c->cfg[off + i] = (uint8_t)((c->cfg[off + i] & ~m) | ((val >> (8 * i)) & m));
	}
}

static int copier_bar_read(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct copier *c = opaque;

	if (bar != 0)
		return -EINVAL;
	*val = get_le(c->bar0 + off, size);
	return 0;
}

static int copier_bar_write(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct copier *c = opaque;

	if (bar != 0 || (off >= MSIX_PBA && off < MSIX_PBA + 8))
		return 0; /* the PBA is read-only */
	put_le(c->bar0 + off, size, val);
	if (off == REG_DOORBELL)
		copier_doorbell(c); /* DMA and MSI from inside the callback: allowed */
	return 0;
}

static void copier_reset(void *opaque, enum sphb_reset_kind kind)
{
	(void)kind;
	copier_power_on(opaque);
}

/* ---- the "guest": what a pseries kernel sends ---- */

#define RTAS_BUF 0x10000ull	/* the guest's RTAS argument buffer */
#define SCRATCH 0x20000ull	/* scratch for the guest-recovery driver */
#define SRC_PAGE 0x100000ull	/* guest physical pages the guest maps for DMA */
#define DST_PAGE 0x101000ull
#define BAR0_BUS 0x80100000u	/* where the guest puts BAR0 in the 32-bit window */

static struct vmm vmm;
static struct sphb_machine *m;
static uint64_t buid, bar0_gpa;
static uint32_t dev_cfg;
static int failures;

static void check(int ok, const char *what, ...)
{
	va_list ap;

	va_start(ap, what);
	printf("%s ", ok ? "  ok  " : "  FAIL");
	vprintf(what, ap);
	printf("\n");
	va_end(ap);
	failures += !ok;
}

static void st32be(uint64_t a, uint32_t v)
{
	uint8_t *p = vmm.ram + a;

	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t ld32be(uint64_t a)
{
	const uint8_t *p = vmm.ram + a;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One RTAS call as the guest makes it: the buffer in guest RAM, then the
 * VMM's KVMPPC_H_RTAS handler passes its address to libsphb. */
static int32_t rtas(const char *name, unsigned nargs, unsigned nret, const uint32_t *args, uint32_t *rets)
{
	uint32_t nargs_std, nret_std;
	int token = sphb_rtas_token(name);

	(void)sphb_rtas_counts((uint32_t)token, &nargs_std, &nret_std);
	st32be(RTAS_BUF, (uint32_t)token);
	st32be(RTAS_BUF + 4, nargs);
	st32be(RTAS_BUF + 8, nret);
	for (unsigned i = 0; i < nargs; i++)
		st32be(RTAS_BUF + 12 + 4 * i, args[i]);
	if (sphb_rtas_call(m, RTAS_BUF, NULL) != 0)
		return -99;
	for (unsigned i = 0; i < nret; i++)
		rets[i] = ld32be(RTAS_BUF + 12 + 4 * (nargs + i));
	return (int32_t)rets[0];
}

static uint32_t cfg_read(unsigned reg, unsigned size)
{
	uint32_t a[4] = { dev_cfg | reg, (uint32_t)(buid >> 32), (uint32_t)buid, size }, r[2] = { 0, 0 };

	(void)rtas("ibm,read-pci-config", 4, 2, a, r);
	return r[1];
}

static void cfg_write(unsigned reg, unsigned size, uint32_t val)
{
	uint32_t a[5] = { dev_cfg | reg, (uint32_t)(buid >> 32), (uint32_t)buid, size, val }, r[1];

	(void)rtas("ibm,write-pci-config", 5, 1, a, r);
}

/* the guest's MSI-X setup: a vector from the platform, then enable, unmask */
static uint32_t guest_setup_msix(void)
{
	uint32_t a[6] = { dev_cfg, (uint32_t)(buid >> 32), (uint32_t)buid, 4, 1, 0 }, r[4] = { 0 };
	uint32_t q[4] = { dev_cfg, (uint32_t)(buid >> 32), (uint32_t)buid, 0 }, qr[3] = { 0 };

	int32_t st = rtas("ibm,change-msi", 6, 4, a, r);

	check(st == 0 && r[1] == 1, "ibm,change-msi: %u MSI-X vector", r[1]);
	st = rtas("ibm,query-interrupt-source-number", 4, 3, q, qr);
	check(st == 0, "ibm,query-interrupt-source-number: interrupt 0x%x", qr[1]);
	cfg_write(MSIX_CAP + 2, 2, 0x8000);				/* MSI-X Enable */
	check(sphb_mmio_store(m, bar0_gpa + MSIX_TABLE + 12, 4, 0) == 0,	/* unmask */
	      "unmask vector 0 (an MMIO store at 0x%llx)", (unsigned long long)(bar0_gpa + MSIX_TABLE + 12));
	return qr[1];
}

static void guest_copy(uint32_t irq, const char *what)
{
	unsigned before = vmm.msis;
	uint64_t v;

	for (unsigned i = 0; i < 256; i++)
		vmm.ram[SRC_PAGE + i] = (uint8_t)(i ^ vmm.msis);
	memset(vmm.ram + DST_PAGE, 0, 256);
	/* bus addresses of the two pages, as the guest mapped them with H_PUT_TCE */
	(void)sphb_mmio_store(m, bar0_gpa + REG_SRC, 8, 0x1000);
	(void)sphb_mmio_store(m, bar0_gpa + REG_DST, 8, 0x2000);
	(void)sphb_mmio_store(m, bar0_gpa + REG_LEN, 4, 256);
	(void)sphb_mmio_store(m, bar0_gpa + REG_DOORBELL, 4, 1);
	check(!memcmp(vmm.ram + SRC_PAGE, vmm.ram + DST_PAGE, 256), "%s: 256 bytes copied by DMA", what);
	check(vmm.msis == before + 1 && vmm.last_msi == irq, "%s: completion MSI-X reached the VMM as interrupt 0x%x",
	      what, vmm.last_msi);
	(void)sphb_mmio_load(m, bar0_gpa + REG_LEN, 4, &v);
	check(v == 256, "%s: the device's register reads back 256", what);
}

int main(void)
{
	struct sphb_host_ops ops = { .sz = sizeof(ops), .mem_read = mem_read, .mem_write = mem_write,
				     .log = log_msg, .irq_pulse = irq_pulse };
	struct sphb_func_ops fops = { .sz = sizeof(fops), .cfg_read = copier_cfg_read,
				      .cfg_write = copier_cfg_write, .bar_read = copier_bar_read,
				      .bar_write = copier_bar_write, .reset = copier_reset };
	struct sphb_guest_opts gopts = { .sz = sizeof(gopts), .scratch_gpa = SCRATCH };
	struct sphb_guest_ops gops = { .sz = sizeof(gops), .mem_read = mem_read, .mem_write = mem_write };
	struct sphb_guest_result res = { .sz = sizeof(res) };
	struct sphb_phb_info info = { .sz = sizeof(info) };
	struct sphb_guest *guest;
	struct sphb_func *f;
	struct copier dev;
	uint32_t irq, a[3], r[5];
	uint64_t args[3], v;
	int64_t hret;
	int32_t st;

	printf("libsphb %s: a VMM with a device model of its own\n", sphb_version());
	vmm.ram = calloc(1, RAM_SIZE);
	if (!vmm.ram || sphb_machine_new_default(&ops, &vmm, &m))
		return 1;
	/* the VMM plugs its device: slot 3, its own simulated IOMMU group (EEH) */
	copier_build(&dev);
	if (sphb_func_add(m, "copier,bus=pci.0,addr=3,id=copier,iommu-group=1", &fops, &dev, &f) ||
	    sphb_func_dma_open(f, &dev.dma) || sphb_func_addr(f, &buid, &dev_cfg) ||
	    sphb_phb_info(m, "pci", &info))
		return 1;
	bar0_gpa = info.mem32_cpu + (BAR0_BUS - info.mem32_bus);
	printf("PHB BUID 0x%llx, 32-bit window at 0x%llx, device at config address 0x%x\n",
	       (unsigned long long)buid, (unsigned long long)info.mem32_cpu, dev_cfg);

	printf("the guest probes and configures the device:\n");
	check(cfg_read(0, 4) == (COPIER_DEVICE << 16 | COPIER_VENDOR), "vendor/device 0x%08x", cfg_read(0, 4));
	cfg_write(0x10, 4, 0xffffffffu);
	check(cfg_read(0x10, 4) == 0xfffff000u, "BAR0 sizes as 4 KiB");
	cfg_write(0x10, 4, BAR0_BUS);
	cfg_write(0x04, 2, 0x0006); /* Memory Space, Bus Master */
	irq = guest_setup_msix();
	/* two pages for DMA: bus 0x1000 -> SRC (device may read), 0x2000 -> DST (may write) */
	args[0] = info.liobn[0];
	args[1] = 0x1000;
	args[2] = SRC_PAGE | 1;
	check(sphb_hcall(m, SPHB_H_PUT_TCE, args, 3, NULL, 0, &hret) == 0 && hret == SPHB_H_SUCCESS,
	      "H_PUT_TCE bus 0x1000 -> 0x%llx, read-only", (unsigned long long)SRC_PAGE);
	args[1] = 0x2000;
	args[2] = DST_PAGE | 2;
	check(sphb_hcall(m, SPHB_H_PUT_TCE, args, 3, NULL, 0, &hret) == 0 && hret == SPHB_H_SUCCESS,
	      "H_PUT_TCE bus 0x2000 -> 0x%llx, write-only", (unsigned long long)DST_PAGE);
	printf("the guest rings the doorbell:\n");
	guest_copy(irq, "copy 1");
	/* the guest's EEH core takes the device on at probe (Linux saves its
	 * header then: eeh_save_bars) */
	if (sphb_guest_new(m, &gopts, &gops, &vmm, &guest) || sphb_guest_recover(guest, "copier", &res))
		return 1;
	check(res.outcome == SPHB_GUEST_NOT_FROZEN, "the guest's EEH core knows the device (PE 0x%x)", res.pe_addr);

	printf("EEH: the guest breaks the device as Linux's eeh_dev_break does:\n");
	cfg_write(0x04, 2, 0x0004);	/* Memory Space off */
	st = sphb_mmio_load(m, bar0_gpa, 4, &v);
	check(st == 0 && v == 0xffffffffu, "a load from BAR0 reads all-ones");
	cfg_write(0x04, 2, 0x0006);	/* Command back (the frozen PE drops it) */
	a[0] = dev_cfg; a[1] = (uint32_t)(buid >> 32); a[2] = (uint32_t)buid;
	st = rtas("ibm,read-slot-reset-state2", 3, 4, a, r);
	check(st == 0 && r[1] == 2, "ibm,read-slot-reset-state2: the PE is frozen (state %u)", r[1]);
	check(cfg_read(0, 4) == 0xffffffffu, "config reads all-ones while frozen");
	check(sphb_mmio_store(m, bar0_gpa + REG_DOORBELL, 4, 1) == 0 && dev.copies == 1,
	      "a doorbell store is dropped");
	printf("the guest's EEH core recovers the PE:\n");
	if (sphb_guest_recover(guest, "copier", &res))
		return 1;
	check(res.outcome == SPHB_GUEST_RECOVERED, "recovered after %u reset(s), %u RTAS calls, %llu ms of virtual time",
	      res.resets, res.calls, (unsigned long long)res.elapsed_ms);
	check(cfg_read(0x10, 4) == BAR0_BUS && (cfg_read(0x04, 2) & 2), "BAR0 and Memory Space restored");
	printf("the driver's resume sets MSI-X up again; the device works:\n");
	irq = guest_setup_msix();
	guest_copy(irq, "copy 2");
	check(dev.errors == 0 && dev.copies == 2, "the device saw %u copies, %u errors", dev.copies, dev.errors);

	sphb_guest_free(guest);
	sphb_dma_close(dev.dma);
	sphb_machine_free(m);
	free(vmm.ram);
	printf("%s\n", failures ? "FAILED" : "all steps as expected");
	return failures ? 1 : 0;
}
