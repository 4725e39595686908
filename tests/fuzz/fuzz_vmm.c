/* Fuzz target "vmm": the open PHB's entry points on functions the VMM owns.
 * Each input builds VMM functions of random shape (BAR kinds and sizes, MSI,
 * MSI-X, PCI Express; random slots, groups, PHBs) beside sim-pci, then runs
 * a sequence of guest and device actions: config writes through RTAS (BAR
 * programming, decode toggles), CPU loads and stores anywhere in and around
 * the PHB windows, DMA reads and writes and MSI writes through handles, TCE
 * updates, ibm,change-msi, host freezes and EEH resets, INTx, hot unplug
 * and replug, machine resets. Besides crashes, leaks and UB, it checks the
 * library's contract with the VMM on every callback: config accesses
 * aligned and inside the function's configuration space, BAR accesses
 * inside the BAR with a size of 1, 2, 4 or 8; no callback of a function
 * while its PE is stopped, except resets; and the documented return values.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vmm_model.h"
#include "fuzz/fuzz_input.h"

#define RAM_SIZE (8u << 20)
#define NV 5
#define PCI_BASE 0x200000000000ull

static struct t_host h;
static struct sphb_machine *m;
static struct vm_func vf[NV];
static struct sphb_func *fn[NV];
static struct sphb_dma *dh[NV];
static char vid[NV][8];
static bool plugged[NV];
static unsigned phb_of[NV];
static uint64_t buids[2];

static void quiet(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o;
	(void)l;
	(void)msg;
}

/* the library's side of the contract: nothing a function does not have */
static bool stopped(unsigned i)
{
	const char *st;

	if (sphb_host_state(m, vid[i], &st) != 0)
		return false; /* no group: never stopped */
	return strcmp(st, "normal") && strcmp(st, "unavailable");
}

static unsigned who(void *opaque)
{
	return (unsigned)((struct vm_func *)opaque - vf);
}

static uint32_t f_cfg_read(void *o, uint32_t off, unsigned size)
{
	struct vm_func *v = o;

	if ((size != 1 && size != 2 && size != 4) || off % size || off + size > v->cfg_size)
		abort();
	return vm_cfg_read(o, off, size);
}

static void f_cfg_write(void *o, uint32_t off, unsigned size, uint32_t val)
{
	struct vm_func *v = o;

	if ((size != 1 && size != 2 && size != 4) || off % size || off + size > v->cfg_size)
		abort();
	vm_cfg_write(o, off, size, val);
}

static void bar_check(void *o, unsigned bar, uint64_t off, unsigned size, bool access)
{
	struct vm_func *v = o;

	if (bar > 6 || !v->bar[bar].kind || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    off >= v->bar[bar].size || size > v->bar[bar].size - off)
		abort();
	/* a stopped function sees no CPU access (MSI-X programming may still
	 * come: the platform writes the table) */
	if (access && stopped(who(o)) && !(v->msix_cap && bar == (vm_get(v->cfg, v->msix_cap + 4u, 4) & 7)))
		abort();
}

static int f_bar_read(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	bar_check(o, bar, off, size, true);
	return vm_bar_read(o, bar, off, size, val);
}

static int f_bar_write(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	bar_check(o, bar, off, size, true);
	return vm_bar_write(o, bar, off, size, val);
}

static void f_bar_map(void *o, unsigned bar, uint64_t gpa, uint64_t size)
{
	struct vm_func *v = o;

	if (bar > 6 || !v->bar[bar].kind || (size && (size != v->bar[bar].size || gpa < PCI_BASE)))
		abort();
	vm_bar_map(o, bar, gpa, size);
}

static void build(struct in *in, unsigned i)
{
	static const char kinds[] = { 0, 'm', 'i', 'M', 'p' };
	struct vm_bar bars[6];
	unsigned msi = 0, msix = 0, mbar = 0;
	bool pcie = take(in, 1) & 1;

	memset(bars, 0, sizeof(bars));
	for (unsigned b = 0; b < 6; b++) {
		char k = kinds[take(in, 1) % 5];
		if (!k || (b == 5 && (k == 'M' || k == 'p')))
			continue;
		bars[b].kind = k;
		bars[b].size = k == 'i' ? 4ull << (take(in, 1) % 7) : 0x1000ull << (take(in, 1) % 14);
		if (k == 'M' || k == 'p')
			b++;
	}
	if (take(in, 1) & 1)
		msi = 1u << (take(in, 1) % 6);
	for (mbar = 0; mbar < 6 && (bars[mbar].kind != 'm' || bars[mbar].size < 0x1000); mbar++)
		;
	if (mbar < 6 && (take(in, 1) & 1))
		msix = 1 + (unsigned)(take(in, 1) % 64);
	vm_build(&vf[i], 0x1000 + (uint16_t)i, 0x2000, 0xff0000, bars, (take(in, 1) & 1) ? 0x4000 : 0, msi,
		 msix, mbar < 6 ? mbar : 0, pcie);
}

static int plug(unsigned i, struct in *in)
{
	struct sphb_func_ops ops = vm_ops();
	char spec[160];
	unsigned slot = 1 + (unsigned)(take(in, 1) % 8);

	ops.cfg_read = f_cfg_read;
	ops.cfg_write = f_cfg_write;
	ops.bar_read = f_bar_read;
	ops.bar_write = f_bar_write;
	ops.bar_map = f_bar_map;
	static const char *const groups[] = { "", ",iommu-group=1", ",iommu-group=2", ",iommu-group=3" };

	phb_of[i] = (unsigned)(take(in, 1) & 1);
	snprintf(spec, sizeof(spec), "vdev%u,bus=%s.0,addr=%x,id=%s%s%s", i, phb_of[i] ? "g" : "pci", slot,
		 vid[i], groups[take(in, 1) % 4], take(in, 1) % 4 ? "" : ",multifunction=on");
	vf[i].released = 0;
	if (sphb_func_add(m, spec, &ops, &vf[i], &fn[i]) == 0) {
		plugged[i] = true;
		if (sphb_func_dma_open(fn[i], &dh[i]))
			abort();
		return 0;
	}
	return -1;
}

static void unplug(unsigned i)
{
	if (!plugged[i])
		return;
	sphb_dma_close(dh[i]);
	dh[i] = NULL;
	if (sphb_func_del(fn[i]))
		abort();
	plugged[i] = false;
}

static uint32_t cfgaddr(unsigned i, unsigned reg)
{
	uint32_t c = 0;
	uint64_t b;

	if (plugged[i] && sphb_func_addr(fn[i], &b, &c))
		abort();
	return c | reg;
}

static void rtas(const char *name, unsigned nargs, unsigned nret, const uint32_t *a)
{
	uint32_t r[8];

	if (t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r) != 0)
		abort();
}

static void step(struct in *in)
{
	unsigned op = (unsigned)take(in, 1) % 12, i = (unsigned)take(in, 1) % NV;
	uint64_t b = buids[phb_of[i]], v;
	int rc;

	switch (op) {
	case 0: { /* a config write: BARs, Command, MSI/MSI-X control */
		static const unsigned regs[] = { 0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x42, 0x4a, 0x82 };
		unsigned reg = regs[take(in, 1) % 11], size = reg & 2 ? 2 : 4;
		uint32_t a[5] = { cfgaddr(i, reg), (uint32_t)(b >> 32), (uint32_t)b, size,
				  (uint32_t)take(in, 4) };
		rtas("ibm,write-pci-config", 5, 1, a);
		break;
	}
	case 1: case 2: { /* a CPU access somewhere around the windows */
		uint64_t base = PCI_BASE + (take(in, 1) % 3 == 0 ? (take(in, 1) % 2) * 0x10000ull
								 : (1 + take(in, 1) % 2) * (take(in, 1) & 1 ? 0x80000000ull
														  : 0x10000000000ull));
		uint64_t gpa = base + take(in, 4) * 4;
		unsigned size = 1u << (take(in, 1) % 4);

		rc = op == 1 ? sphb_mmio_load(m, gpa, size, &v) : sphb_mmio_store(m, gpa, size, take(in, 8));
		if (rc != 0 && rc != -ENOENT)
			abort();
		break;
	}
	case 3: { /* a TCE */
		uint64_t a[3] = { 0x80000000u | (uint64_t)phb_of[i] << 8, (take(in, 2) % 1024) << 12,
				  (take(in, 2) % (RAM_SIZE >> 12)) << 12 | take(in, 1) % 4 };
		int64_t hret;
		if (sphb_hcall(m, SPHB_H_PUT_TCE, a, 3, NULL, 0, &hret))
			abort();
		break;
	}
	case 4: case 5: { /* device DMA */
		uint8_t buf[9000];
		uint64_t bus = take(in, 1) & 1 ? take(in, 3) : 0x40000000000ull + take(in, 1);
		size_t len = (size_t)take(in, 2) % sizeof(buf);

		if (!plugged[i])
			break;
		memset(buf, (int)take(in, 1), sizeof(buf));
		rc = op == 4 ? sphb_dma_read(dh[i], bus, buf, len) : sphb_dma_write(dh[i], bus, buf, len);
		if (rc && rc != -EFAULT && rc != -EIO && rc != -ERANGE)
			abort();
		break;
	}
	case 6: { /* ibm,change-msi */
		uint32_t a[6] = { cfgaddr(i, 0), (uint32_t)(b >> 32), (uint32_t)b, (uint32_t)take(in, 1) % 7,
				  (uint32_t)take(in, 1) % 70, 0 };
		rtas("ibm,change-msi", 6, 4, a);
		break;
	}
	case 7: /* the host freezes it */
		if (plugged[i]) {
			rc = sphb_host_freeze(m, vid[i], NULL);
			if (rc && rc != -ENODEV)
				abort();
		}
		break;
	case 8: { /* EEH calls on its PE */
		uint32_t a[4] = { cfgaddr(i, 0), (uint32_t)(b >> 32), (uint32_t)b, (uint32_t)take(in, 1) % 4 };
		rtas(take(in, 1) & 1 ? "ibm,set-slot-reset" : "ibm,set-eeh-option", 4, 1, a);
		break;
	}
	case 9: /* INTx */
		if (plugged[i] && sphb_func_intx(fn[i], (int)(take(in, 1) & 1)))
			abort();
		break;
	case 10: /* hot unplug / plug */
		if (plugged[i])
			unplug(i);
		else
			(void)plug(i, in);
		break;
	default:
		if (take(in, 1) % 8 == 0 && sphb_machine_reset(m))
			abort();
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct sphb_host_ops ops = t_ops();

	fz_ram_once(&h, RAM_SIZE);
	ops.log = quiet;
	if (sphb_machine_new_default(&ops, &h, &m) ||
	    sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group") ||
	    sphb_machine_add(m, "sim-pci,addr=0x1f,id=s,bar0=mem32:0x1000,iommu-group=9") ||
	    sphb_phb_buid(m, "pci", &buids[0]) || sphb_phb_buid(m, "g", &buids[1]))
		abort();
	for (unsigned i = 0; i < NV; i++) {
		snprintf(vid[i], sizeof(vid[i]), "v%u", i);
		plugged[i] = false;
		build(&in, i);
		(void)plug(i, &in);
	}
	for (unsigned k = 0; k < 400 && in.n; k++)
		step(&in);
	for (unsigned i = 0; i < NV; i++)
		if (plugged[i])
			sphb_dma_close(dh[i]);
	sphb_machine_free(m);
	for (unsigned i = 0; i < NV; i++)
		if (plugged[i] && vf[i].released != 1)
			abort(); /* the machine releases what is plugged, once */
	m = NULL;
	return 0;
}
