/* Device-tree emission through callbacks: the PHB nodes as QEMU 7.2 builds
 * them (hw/ppc/spapr_pci.c spapr_dt_phb(), spapr_dt_pci_device()) and the
 * /rtas properties (PAPR 7.2.6 Table 7-3, B.5.3.1), so a host can use any
 * FDT library. SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define QEMU_INTC_PHANDLE 0x1111u

struct emit {
	const struct sphb_fdt_ops *ops;
	void *opaque;
	int rc;
};

static void prop(struct emit *e, const char *name, const void *val, size_t len)
{
	if (!e->rc)
		e->rc = e->ops->property(e->opaque, name, val, len);
}

/* a property of big-endian cells */
static void cells(struct emit *e, const char *name, const uint32_t *v, size_t n)
{
	uint8_t buf[4 * 8 * 32 * 4];
	if (n * 4 > sizeof(buf)) {
		e->rc = -E2BIG;
		return;
	}
	for (size_t i = 0; i < n; i++)
		put_be32(buf + 4 * i, v[i]);
	prop(e, name, buf, 4 * n);
}

static void cell(struct emit *e, const char *name, uint32_t v)
{
	cells(e, name, &v, 1);
}

static void str(struct emit *e, const char *name, const char *s)
{
	prop(e, name, s, strlen(s) + 1);
}

static void begin(struct emit *e, const char *name)
{
	if (!e->rc)
		e->rc = e->ops->begin_node(e->opaque, name);
}

static void end(struct emit *e)
{
	if (!e->rc)
		e->rc = e->ops->end_node(e->opaque);
}

/* Open Firmware node names by class, as QEMU names them */
static const char *dev_name(struct sphb_func *d)
{
	uint32_t cls = sphb_func_cfg_read(d, 0x08, 4) >> 8;
	unsigned base = cls >> 16, sub = cls >> 8 & 0xff;

	switch (base) {
	case 0x00: return sub == 0x01 ? "vga" : "legacy-device";
	case 0x01:
		switch (sub) { /* QEMU's pci_storage table: no NVM entry */
		case 0x00: return "scsi";
		case 0x01: return "ide";
		case 0x02: return "fdc";
		case 0x03: return "ipi";
		case 0x04: return "raid";
		case 0x05: return "ata";
		case 0x06: return "sata";
		case 0x07: return "sas";
		default: return "mass-storage";
		}
	case 0x02: return sub == 0x00 ? "ethernet" : "network";
	case 0x03: return sub == 0x00 ? "vga" : "display";
	case 0x04: return "multimedia";
	case 0x05: return "memory-controller";
	case 0x06: return sub == 0x04 ? "pci-bridge" : "bridge";
	case 0x0c: return sub == 0x03 ? "usb" : "serial-bus";
	default: return "unknown-legacy-device";
	}
}

static void emit_dev(struct emit *e, const struct sphb_phb *phb, struct sphb_func *d)
{
	char name[64], loc[96];
	uint32_t reg[5 * 8], n = 0, v;
	unsigned slot = d->devfn >> 3, fn = d->devfn & 7;

	if (fn)
		snprintf(name, sizeof(name), "%s@%x,%x", dev_name(d), slot, fn);
	else
		snprintf(name, sizeof(name), "%s@%x", dev_name(d), slot);
	begin(e, name);
	cell(e, "vendor-id", sphb_func_cfg_read(d, 0x00, 2));
	cell(e, "device-id", sphb_func_cfg_read(d, 0x02, 2));
	cell(e, "revision-id", sphb_func_cfg_read(d, 0x08, 1));
	cell(e, "class-code", sphb_func_cfg_read(d, 0x08, 4) >> 8);
	if ((v = sphb_func_cfg_read(d, PCI_INTERRUPT_PIN, 1)) != 0)
		cell(e, "interrupts", v);
	cell(e, "min-grant", sphb_func_cfg_read(d, 0x3e, 1));
	cell(e, "max-latency", sphb_func_cfg_read(d, 0x3f, 1));
	if ((v = sphb_func_cfg_read(d, 0x2c, 2)) != 0)
		cell(e, "subsystem-vendor-id", v);
	if ((v = sphb_func_cfg_read(d, 0x2e, 2)) != 0)
		cell(e, "subsystem-id", v);
	cell(e, "cache-line-size", sphb_func_cfg_read(d, 0x0c, 1));
	cell(e, "devsel-speed", (sphb_func_cfg_read(d, PCI_STATUS, 2) >> 9) & 3);
	if (d->msi_vectors)
		cell(e, "ibm,req#msi", d->msi_vectors);
	if (d->msix_vectors)
		cell(e, "ibm,req#msi-x", d->msix_vectors);
	if (d->pcie)
		cell(e, "ibm,pci-config-space-type", 1);
	/* QEMU's fallback location code, with the function's type */
	snprintf(loc, sizeof(loc), "sphb_%s:%04x:%02x:%02x.%x", d->type, phb->index, d->bus, slot, fn);
	str(e, "ibm,loc-code", loc);
	/* reg: config space, then every BAR and the ROM with its size */
	reg[n++] = sphb_func_cfg_addr(d);
	reg[n++] = 0; reg[n++] = 0; reg[n++] = 0; reg[n++] = 0;
	for (unsigned i = 0; i < SPHB_NBARS; i++) {
		const struct sphb_func_bar *b = &d->bar[i];
		uint32_t space;

		if (b->kind == BAR_NONE)
			continue;
		space = b->kind == BAR_IO ? 0x01000000u :
			(b->kind == BAR_MEM64 || b->kind == BAR_MEM64_PREF) ? 0x03000000u : 0x02000000u;
		reg[n++] = space | sphb_func_cfg_addr(d) | (i == 6 ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * i);
		reg[n++] = 0; reg[n++] = 0;
		reg[n++] = (uint32_t)(b->size >> 32);
		reg[n++] = (uint32_t)b->size;
	}
	cells(e, "reg", reg, n);
	end(e);
}

static void emit_phb(struct emit *e, const struct sphb_phb *phb, uint32_t intc)
{
	char name[40];
	uint32_t v[32 * 4 * 7];
	unsigned n = 0;
	int tq = sphb_rtas_token("ibm,query-pe-dma-window"), tc = sphb_rtas_token("ibm,create-pe-dma-window"),
	    tr = sphb_rtas_token("ibm,remove-pe-dma-window"), tz = sphb_rtas_token("ibm,reset-pe-dma-window");

	snprintf(name, sizeof(name), "pci@%llx", (unsigned long long)phb->buid);
	begin(e, name);
	str(e, "device_type", "pci");
	str(e, "compatible", "IBM,Logical_PHB");
	cell(e, "#address-cells", 3);
	cell(e, "#size-cells", 2);
	cell(e, "#interrupt-cells", 1);
	prop(e, "used-by-rtas", NULL, 0);
	v[0] = 0; v[1] = 0xff;
	cells(e, "bus-range", v, 2);
	v[0] = (uint32_t)(phb->buid >> 32); v[1] = (uint32_t)phb->buid; v[2] = 0; v[3] = 0;
	cells(e, "reg", v, 4);
	/* ranges: IO (64 KiB), MEM32 at bus 0x80000000, MEM64 identity-mapped */
	n = 0;
	v[n++] = 0x01000000; v[n++] = 0; v[n++] = 0;
	v[n++] = (uint32_t)(phb->io_win_addr >> 32); v[n++] = (uint32_t)phb->io_win_addr;
	v[n++] = 0; v[n++] = (uint32_t)SPHB_PIO_WIN_SIZE;
	v[n++] = 0x02000000; v[n++] = 0; v[n++] = (uint32_t)SPHB_MEM_WIN_BUS_OFFSET;
	v[n++] = (uint32_t)(phb->mem_win_addr >> 32); v[n++] = (uint32_t)phb->mem_win_addr;
	v[n++] = (uint32_t)(phb->mem_win_size >> 32); v[n++] = (uint32_t)phb->mem_win_size;
	if (phb->mem64_win_size) {
		v[n++] = 0x03000000; v[n++] = (uint32_t)(phb->mem64_win_addr >> 32);
		v[n++] = (uint32_t)phb->mem64_win_addr;
		v[n++] = (uint32_t)(phb->mem64_win_addr >> 32); v[n++] = (uint32_t)phb->mem64_win_addr;
		v[n++] = (uint32_t)(phb->mem64_win_size >> 32); v[n++] = (uint32_t)phb->mem64_win_size;
	}
	cells(e, "ranges", v, n);
	if (phb->pcie_ext_cfg)
		cell(e, "ibm,pci-config-space-type", 1);
	cell(e, "ibm,pe-total-#msi", SPHB_MSI_COUNT);
	/* advertised only once the library implements the DDW calls */
	if (phb->ddw && tq > 0 && tc > 0 && tr > 0) {
		v[0] = (uint32_t)tq; v[1] = (uint32_t)tc; v[2] = (uint32_t)tr;
		cells(e, "ibm,ddw-applicable", v, 3);
		if (tz > 0) {
			v[0] = 2; v[1] = (uint32_t)tz; v[2] = 1;
			cells(e, "ibm,ddw-extensions", v, 3);
		}
	}
	v[0] = 0xf800; v[1] = 0; v[2] = 0; v[3] = 0xffffffff;
	cells(e, "interrupt-map-mask", v, 4);
	n = 0;
	for (uint32_t slot = 0; slot < 32; slot++) {
		for (uint32_t pin = 1; pin <= 4; pin++) {
			v[n++] = slot << 11; v[n++] = 0; v[n++] = 0; v[n++] = pin;
			v[n++] = intc;
			v[n++] = phb->lsi[(slot + pin - 1) % 4];
			v[n++] = 1; /* level */
		}
	}
	cells(e, "interrupt-map", v, n);
	n = 0;
	v[n++] = sphb_liobn(phb->index, 0); /* LIOBN of the default window */
	v[n++] = (uint32_t)(phb->dma_win_addr >> 32); v[n++] = (uint32_t)phb->dma_win_addr;
	v[n++] = (uint32_t)(phb->dma_win_size >> 32); v[n++] = (uint32_t)phb->dma_win_size;
	cells(e, "ibm,dma-window", v, n);
	cell(e, "ibm,#dma-address-cells", 2);
	cell(e, "ibm,#dma-size-cells", 2);
	cell(e, "qemu,phb-enumerated", 1);
	for (unsigned df = 0; df < 256; df++)
		if (phb->devs[df])
			emit_dev(e, phb, phb->devs[df]);
	end(e);
}

/* the caller's ops, copied at this library's size (-E2BIG: members of a
 * newer version in use) */
static int check_ops(const struct sphb_machine *m, const struct sphb_fdt_ops *ops, struct sphb_fdt_ops *out)
{
	int rc;

	if (!m || !ops)
		return -EINVAL;
	rc = sphb_struct_in(out, sizeof(*out), ops, ops->sz,
			    offsetof(struct sphb_fdt_ops, intc_phandle) + sizeof(uint32_t));
	if (!rc && (!out->begin_node || !out->end_node || !out->property))
		rc = -EINVAL;
	return rc;
}

SPHB_API int sphb_fdt_phbs(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque)
{
	struct sphb_fdt_ops o;
	struct emit e = { &o, opaque, 0 };
	int rc = check_ops(m, ops, &o);

	if (rc)
		return rc;
	SPHB_NOT_IN_CALLBACK(m);
	/* QEMU lists PHBs newest first; the order of nodes carries no meaning */
	for (unsigned i = 0; i < SPHB_MAX_PHBS && !e.rc; i++)
		if (m->phbs[i])
			emit_phb(&e, m->phbs[i], o.intc_phandle ? o.intc_phandle : QEMU_INTC_PHANDLE);
	return e.rc;
}

SPHB_API int sphb_fdt_rtas(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque)
{
	struct sphb_fdt_ops o;
	struct emit e = { &o, opaque, 0 };
	uint8_t buf[128];
	size_t n = 0;
	int rc = check_ops(m, ops, &o);

	if (rc)
		return rc;
	for (uint32_t t = 0x2000; t < 0x2100; t++) { /* every token the library has */
		const char *name = sphb_rtas_name(t);
		if (name)
			cell(&e, name, t);
	}
	/* ibm,errinjct-tokens: (name, value) pairs */
	for (unsigned i = 0; i < SPHB_ERRINJCT_NTOKENS; i++) {
		size_t l = strlen(sphb_errinjct_tokens[i].name) + 1;
		if (n + l + 4 > sizeof(buf))
			return -E2BIG;
		memcpy(buf + n, sphb_errinjct_tokens[i].name, l);
		put_be32(buf + n + l, sphb_errinjct_tokens[i].value);
		n += l + 4;
	}
	prop(&e, "ibm,errinjct-tokens", buf, n);
	cell(&e, "rtas-error-log-max", 2048);
	cell(&e, "ibm,read-slot-reset-state-functions", 0x3); /* 4 outputs, and 5 */
	cell(&e, "ibm,reset-capabilities", 1);		     /* functions 0, 1 and 3 */
	prop(&e, "ibm,change-msix-capable", NULL, 0);
	return e.rc;
}

/* Everything the library owns in one walk, with the root node open: the PHB
 * nodes, then a node "rtas" holding the /rtas properties (a host whose own
 * /rtas node is built elsewhere calls sphb_fdt_phbs/sphb_fdt_rtas instead). */
SPHB_API int sphb_machine_fdt(struct sphb_machine *m, const struct sphb_fdt_ops *ops, void *opaque)
{
	int rc = sphb_fdt_phbs(m, ops, opaque);

	if (rc)
		return rc;
	rc = ops->begin_node(opaque, "rtas");
	if (!rc)
		rc = sphb_fdt_rtas(m, ops, opaque);
	if (!rc)
		rc = ops->end_node(opaque);
	return rc;
}

/* ---- sizes: the same walk with counting callbacks ---- */

struct sizer {
	struct sphb_fdt_size *s;
	char names[8192];	/* distinct property names seen, NUL-separated */
	size_t used;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int size_begin(void *o, const char *name)
{
	struct sizer *z = o;
	z->s->nodes++;
	z->s->struct_bytes += 4 + pad4(strlen(name) + 1); /* FDT_BEGIN_NODE, name */
	return 0;
}

static int size_end(void *o)
{
	((struct sizer *)o)->s->struct_bytes += 4; /* FDT_END_NODE */
	return 0;
}

static int size_prop(void *o, const char *name, const void *val, size_t len)
{
	struct sizer *z = o;
	size_t l = strlen(name) + 1;

	(void)val;
	z->s->properties++;
	z->s->struct_bytes += 12 + pad4(len); /* FDT_PROP, len, nameoff, value */
	for (size_t at = 0; at < z->used; at += strlen(z->names + at) + 1)
		if (!strcmp(z->names + at, name))
			return 0;
	if (z->used + l > sizeof(z->names))
		return -E2BIG;
	memcpy(z->names + z->used, name, l);
	z->used += l;
	z->s->strings_bytes += l;
	return 0;
}

SPHB_API int sphb_fdt_size(struct sphb_machine *m, struct sphb_fdt_size *size)
{
	struct sphb_fdt_ops ops = { sizeof(ops), size_begin, size_end, size_prop, 0 };
	struct sphb_fdt_size s;
	struct sizer *z;
	int rc;

	if (!m || !size || size->sz < sizeof(s))
		return -EINVAL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	s.root_address_cells = 2; /* the PHB nodes' reg and ranges (QEMU's spapr root) */
	s.root_size_cells = 2;
	z->s = &s;
	rc = sphb_machine_fdt(m, &ops, z);
	free(z);
	if (rc)
		return rc;
	memcpy(size, &s, sizeof(s));
	return 0;
}
