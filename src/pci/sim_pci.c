/* sim-pci: a PCI function modelled inside the library, for tests, demos and
 * fuzzing: a type-0 configuration space with read-only, read-write and
 * write-1-to-clear bits, BARs backed by memory (RAM-like registers), an
 * expansion ROM, and a capability list (PCIe + AER, MSI, MSI-X); or a clone
 * of a real function from an lspci dump (sim-pci,config=FILE). With
 * iommu-group=N it stands for a pass-through function of simulated host
 * group N. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct sim_bar {
	enum sphb_bar_kind kind;
	uint64_t size;
};

struct sim {
	struct sphb_func f;
	uint8_t *cfg;			/* configuration space image, cfg_size bytes */
	uint8_t *wmask, *w1cmask, *cfg_init; /* each cfg_size bytes, one allocation with cfg */
	uint8_t *mem[SPHB_NBARS];	/* BAR contents, the first SPHB_BAR_BACKING_MAX bytes, lazily */
	bool intx;			/* the device model drives its INTx pin */
	bool pcie_ctl_ro;		/* pcie-ctl=ro: Device/Link Control read-only */
};

static struct sim *sim_of(struct sphb_func *f)
{
	return (struct sim *)f;
}

/* ---- little-endian fields of the three parallel images ---- */

static void put(uint8_t *img, uint32_t off, unsigned size, uint32_t v)
{
	put_le(img + off, size, v);
}

static uint32_t get(const uint8_t *img, uint32_t off, unsigned size)
{
	return (uint32_t)get_le(img + off, size);
}

/* writable mask, write-1-to-clear mask */
static void mask(struct sim *d, uint32_t off, unsigned size, uint32_t wmask, uint32_t w1c)
{
	put(d->wmask, off, size, wmask);
	put(d->w1cmask, off, size, w1c);
}

/* value, writable mask, write-1-to-clear mask */
static void reg(struct sim *d, uint32_t off, unsigned size, uint32_t val,
		uint32_t wmask, uint32_t w1c)
{
	put(d->cfg, off, size, val);
	mask(d, off, size, wmask, w1c);
}

static uint64_t backing(const struct sim *d, unsigned bar)
{
	uint64_t size = d->f.bar[bar].size;
	return size < SPHB_BAR_BACKING_MAX ? size : SPHB_BAR_BACKING_MAX;
}

/* ---- sim-pci properties ---- */


static int parse_bar(struct sphb_machine *m, struct sphb_opts *o, unsigned i,
		     struct sim_bar *bars)
{
	char key[8];
	const char *v, *colon;
	uint64_t size, min, max;
	enum sphb_bar_kind kind;
	size_t klen;

	snprintf(key, sizeof(key), "bar%u", i);
	v = sphb_opts_get(o, key);
	if (!v)
		return 0;
	colon = strchr(v, ':');
	klen = colon ? (size_t)(colon - v) : 0;
	if (!colon) {
		kind = BAR_NONE;
	} else if (klen == 2 && !strncmp(v, "io", 2)) {
		kind = BAR_IO;
	} else if (klen == 5 && !strncmp(v, "mem32", 5)) {
		kind = BAR_MEM32;
	} else if (klen == 9 && !strncmp(v, "mem32pref", 9)) {
		kind = BAR_MEM32_PREF;
	} else if (klen == 5 && !strncmp(v, "mem64", 5)) {
		kind = BAR_MEM64;
	} else if (klen == 9 && !strncmp(v, "mem64pref", 9)) {
		kind = BAR_MEM64_PREF;
	} else {
		kind = BAR_NONE;
	}
	if (kind == BAR_NONE) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: %s=%s: expected mem32|mem32pref|mem64|mem64pref|io:SIZE", o->type, key, v);
		return -EINVAL;
	}
	if (sphb_parse_u64(colon + 1, true, &size)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: bad size '%s'", o->type, key, v, colon + 1);
		return -EINVAL;
	}
	min = kind == BAR_IO ? 4 : 16;
	max = kind == BAR_IO ? 256 : (kind == BAR_MEM32 || kind == BAR_MEM32_PREF) ? 1ull << 31 : 1ull << 62;
	if (!is_pow2(size) || size < min || size > max) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: size must be a power of two in 0x%llx..0x%llx",
			 o->type, key, v, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	if ((kind == BAR_MEM64 || kind == BAR_MEM64_PREF) && i == 5) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: a 64-bit BAR needs two slots; bar5 is the last",
			 o->type, key, v);
		return -EINVAL;
	}
	if (i > 0 && (bar_is64(bars[i - 1].kind))) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: bar%u is 64-bit and uses this slot too",
			 o->type, key, v, i - 1);
		return -EINVAL;
	}
	bars[i].kind = kind;
	bars[i].size = size;
	return 0;
}

static bool bar_slot_free(const struct sim_bar *bars, unsigned i)
{
	if (bars[i].kind != BAR_NONE)
		return false;
	return i == 0 || !bar_is64(bars[i - 1].kind);
}

struct sim_props {
	uint64_t vendor, device, class_code, rev, ssvid, ssid, msi, msix, msix_bar, rom;
	bool pcie, multifunction, pcie_ctl_ro;
	struct sim_bar bar[SPHB_NBARS];
};

static int sim_props(struct sphb_machine *m, struct sphb_opts *o, struct sim_props *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	rc = sphb_opts_u64(m, o, "vendor", 0x1014, 0, 0xfffe, false, &p->vendor);
	if (!rc)
		rc = sphb_opts_u64(m, o, "device", 0x5348, 0, 0xffff, false, &p->device);
	if (!rc)
		rc = sphb_opts_u64(m, o, "class", 0xff0000, 0, 0xffffff, false, &p->class_code);
	if (!rc)
		rc = sphb_opts_u64(m, o, "rev", 0, 0, 0xff, false, &p->rev);
	if (!rc)
		rc = sphb_opts_u64(m, o, "subsys-vendor", 0, 0, 0xffff, false, &p->ssvid);
	if (!rc)
		rc = sphb_opts_u64(m, o, "subsys", 0, 0, 0xffff, false, &p->ssid);
	if (!rc)
		rc = sphb_opts_u64(m, o, "msi", 0, 0, 32, false, &p->msi);
	if (!rc && p->msi && !is_pow2(p->msi)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: msi=%s: must be 0, 1, 2, 4, 8, 16 or 32",
			 o->type, sphb_opts_get(o, "msi"));
		rc = -EINVAL;
	}
	if (!rc)
		rc = sphb_opts_u64(m, o, "msix", 0, 0, 2048, false, &p->msix);
	if (!rc)
		rc = sphb_opts_u64(m, o, "msix-bar", UINT64_MAX, 0, 5, false, &p->msix_bar);
	if (!rc)
		rc = sphb_opts_u64(m, o, "rom", 0, 0, 1ull << 31, true, &p->rom);
	if (!rc && p->rom && (!is_pow2(p->rom) || p->rom < 2048)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: rom=%s: size must be a power of two >= 2048",
			 o->type, sphb_opts_get(o, "rom"));
		rc = -EINVAL;
	}
	if (!rc)
		rc = sphb_opts_bool(m, o, "pcie", false, &p->pcie);
	if (!rc && sphb_opts_get(o, "pcie-ctl")) {
		const char *v = sphb_opts_get(o, "pcie-ctl");
		if (strcmp(v, "rw") && strcmp(v, "ro")) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: pcie-ctl=%s: expected rw or ro", o->type, v);
			rc = -EINVAL;
		}
		p->pcie_ctl_ro = !strcmp(v, "ro");
	}
	for (unsigned i = 0; !rc && i < 6; i++)
		rc = parse_bar(m, o, i, p->bar);
	if (rc)
		return rc;
	if (p->msix_bar != UINT64_MAX && !p->msix) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: msix-bar=%s: needs msix=N", o->type,
			 sphb_opts_get(o, "msix-bar"));
		return -EINVAL;
	}
	if (p->msix) {
		/* Table at offset 0 of the BAR, PBA at half its size (QEMU's layout). */
		uint64_t need = 2 * pow2_ceil(p->msix * 16 > 2048 ? p->msix * 16 : 2048);
		if (p->msix_bar == UINT64_MAX) {
			unsigned i;
			for (i = 0; i < 6 && !bar_slot_free(p->bar, i); i++)
				;
			if (i == 6) {
				sphb_log(m, SPHB_LOG_ERROR, "%s: msix=%s: no free BAR for the MSI-X table",
					 o->type, sphb_opts_get(o, "msix"));
				return -EINVAL;
			}
			p->bar[i].kind = BAR_MEM32;
			p->bar[i].size = need;
			p->msix_bar = i;
		} else {
			const struct sim_bar *b = &p->bar[p->msix_bar];
			if (b->kind == BAR_NONE || b->kind == BAR_IO || b->size < need) {
				sphb_log(m, SPHB_LOG_ERROR,
					 "%s: msix-bar=%s: must name a memory BAR of at least 0x%llx bytes for %llu vectors",
					 o->type, sphb_opts_get(o, "msix-bar"), (unsigned long long)need,
					 (unsigned long long)p->msix);
				return -EINVAL;
			}
		}
	}
	return 0;
}


/* ---- building the configuration space ---- */

static void build_bars(struct sim *d)
{
	for (unsigned i = 0; i < 6; i++) {
		const struct sphb_func_bar *b = &d->f.bar[i];
		uint32_t off = PCI_BAR0 + 4 * i;
		uint64_t m = ~(b->size - 1);

		switch (b->kind) {
		case BAR_IO:
			reg(d, off, 4, 0x1, (uint32_t)m & 0xfffffffcu, 0);
			break;
		case BAR_MEM32:
		case BAR_MEM32_PREF:
			reg(d, off, 4, b->kind == BAR_MEM32_PREF ? 0x8 : 0x0, (uint32_t)m & 0xfffffff0u, 0);
			break;
		case BAR_MEM64:
		case BAR_MEM64_PREF:
			reg(d, off, 4, b->kind == BAR_MEM64_PREF ? 0xc : 0x4, (uint32_t)m & 0xfffffff0u, 0);
			reg(d, off + 4, 4, 0, (uint32_t)(m >> 32), 0);
			break;
		default:
			break;
		}
	}
	if (d->f.bar[6].kind == BAR_ROM)
		reg(d, PCI_ROM_ADDRESS, 4, 0, ((uint32_t)~(d->f.bar[6].size - 1) & 0xfffff800u) | 1u, 0);
}

static uint8_t add_cap(struct sim *d, uint8_t *prev_next, uint8_t *off, uint8_t id, uint8_t len)
{
	uint8_t at = *off;

	d->cfg[at] = id;
	d->cfg[at + 1] = 0;
	*prev_next = at;
	*off = (uint8_t)((at + len + 7) & ~7);
	return at;
}


/* ---- the writable bits of the standard registers (sim-pci and clones) ---- */

/* Type-0 header apart from the BARs and the ROM, as QEMU's devices have it:
 * Command (I/O, Memory, Bus Master, SERR#, INTx Disable), Status error bits
 * write-1-to-clear, Cache Line Size, Interrupt Line. */
static void header_masks(struct sim *d)
{
	mask(d, PCI_COMMAND, 2, 0x0507, 0);
	mask(d, PCI_STATUS, 2, 0, 0xf900);
	mask(d, 0x0c, 1, 0xff, 0);
	mask(d, PCI_INTERRUPT_LINE, 1, 0xff, 0);
}

/* PCI Power Management: PMCSR power state, and PME_En / PME_Status when
 * the function can generate PME (PMC bits 15:11). */
static void pm_masks(struct sim *d, uint32_t c)
{
	bool pme = get(d->cfg, c + 2u, 2) & 0xf800;

	mask(d, c + 4u, 2, pme ? 0x0103u : 0x0003u, pme ? 0x8000u : 0u);
}

/* MSI: Enable and Multiple Message Enable, address, data, and the mask bits
 * of the vectors the function has when it masks per vector. */
static void msi_masks(struct sim *d, uint32_t c)
{
	uint16_t ctl = (uint16_t)get(d->cfg, c + 2u, 2);
	uint32_t data = c + (ctl & 0x80 ? 0xcu : 0x8u);
	unsigned mmc = (ctl >> 1) & 7u;

	mask(d, c + 2u, 2, 0x0071, 0);
	mask(d, c + 4u, 4, 0xfffffffc, 0);
	if (ctl & 0x80)
		mask(d, c + 8u, 4, 0xffffffff, 0);
	mask(d, data, 2, 0xffff, 0);
	if (ctl & 0x100)
		mask(d, data + 4u, 4, mmc >= 5 ? 0xffffffffu : (1u << (1u << mmc)) - 1u, 0);
}

/* MSI-X: Enable and Function Mask; the table and PBA locations are fixed. */
static void msix_masks(struct sim *d, uint32_t c)
{
	mask(d, c + 2u, 2, 0xc000, 0);
}

/* PCI Express capability of an endpoint: Device Control, Device Status
 * error bits (RW1C), Link Control; on a version-2 capability, the Device
 * Control 2 fields whose feature Device Capabilities 2 reports. Slot, Root
 * and Link Control 2 registers stay read-only. pcie-ctl=ro keeps Device
 * and Link Control read-only as QEMU 7.2's own PCIe endpoints do (nvme,
 * e1000e, ...: hw/pci/pcie.c pcie_endpoint_cap_init() without
 * pcie_cap_deverr_init() or pcie_cap_lnkctl_init()). */
static void pcie_masks(struct sim *d, uint32_t c)
{
	mask(d, c + 8u, 2, d->pcie_ctl_ro ? 0 : 0x7fff, 0);
	mask(d, c + 0xau, 2, 0, 0x000f);
	mask(d, c + 0x10u, 2, d->pcie_ctl_ro ? 0 : 0x01c3, 0);
	if ((get(d->cfg, c + 2u, 2) & 0xf) >= 2) {
		uint32_t cap2 = get(d->cfg, c + 0x24u, 4);
		uint32_t w = 0;

		if (cap2 & 0xf)
			w |= 0x000f;		/* completion timeout value */
		if (cap2 & (1u << 4))
			w |= 0x0010;		/* completion timeout disable */
		if (cap2 & (1u << 11))
			w |= 0x0400;		/* LTR mechanism enable */
		if (cap2 & (1u << 17))
			w |= 0x1000;		/* 10-bit tag requester enable */
		if (cap2 & (3u << 18))
			w |= 0x6000;		/* OBFF enable */
		if (cap2 & (1u << 21))
			w |= 0x8000;		/* end-end TLP prefix blocking */
		mask(d, c + 0x28u, 2, w, 0);
	}
}

/* Advanced Error Reporting (extended capability 1) of an endpoint. */
static void aer_masks(struct sim *d, uint32_t a)
{
	uint32_t capctl = get(d->cfg, a + 0x18u, 4), w = 0;

	mask(d, a + 4u, 4, 0, 0x03fff030);		/* uncorrectable status */
	mask(d, a + 8u, 4, 0x03fff030, 0);		/* uncorrectable mask */
	mask(d, a + 0xcu, 4, 0x03fff030, 0);		/* severity */
	mask(d, a + 0x10u, 4, 0, 0x0000f1c1);		/* correctable status */
	mask(d, a + 0x14u, 4, 0x0000f1c1, 0);		/* correctable mask */
	if (capctl & (1u << 5))
		w |= 1u << 6;				/* ECRC generation enable */
	if (capctl & (1u << 7))
		w |= 1u << 8;				/* ECRC check enable */
	if (capctl & (1u << 9))
		w |= 1u << 10;				/* multiple header recording */
	mask(d, a + 0x18u, 4, w, 0);
}


/* PCIe (v2 endpoint) with AER at 0x100, MSI (64-bit), MSI-X, from 0x40. */
static void build_caps(struct sim *d, unsigned msi, unsigned msix, unsigned msix_bar,
		       uint32_t pba_off)
{
	uint8_t off = 0x40;
	uint8_t *link = &d->cfg[PCI_CAPABILITY_LIST];

	if (d->f.pcie) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_EXP, 0x3c);
		put(d->cfg, c + 2u, 2, 0x0002);		/* v2, endpoint */
		put(d->cfg, c + 4u, 4, 0x00008000);	/* role-based errors */
		put(d->cfg, c + 8u, 2, 0x2810);		/* device control */
		put(d->cfg, c + 0xcu, 4, 0x00000011);	/* 2.5 GT/s x1 */
		put(d->cfg, c + 0x12u, 2, 0x0011);	/* link status */
		pcie_masks(d, c);
		link = &d->cfg[c + 1];
		/* AER extended capability at 0x100, the only one */
		put(d->cfg, 0x100, 4, PCI_EXT_CAP_ID_ERR | (2u << 16));
		put(d->cfg, 0x10c, 4, 0x00462030);	/* severity */
		put(d->cfg, 0x114, 4, 0x0000e000);	/* correctable mask (PCIe default) */
		aer_masks(d, 0x100);
	}
	if (msi) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSI, 0x14);
		put(d->cfg, c + 2u, 2, 0x0080 | (ilog2(msi) << 1));	/* 64-bit */
		msi_masks(d, c);
		link = &d->cfg[c + 1];
	}
	if (msix) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSIX, 0x0c);
		put(d->cfg, c + 2u, 2, msix - 1);
		put(d->cfg, c + 4u, 4, msix_bar);		/* table at offset 0 */
		put(d->cfg, c + 8u, 4, pba_off | msix_bar);
		msix_masks(d, c);
	}
	if (d->cfg[PCI_CAPABILITY_LIST])
		d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
}

static void build_config(struct sim *d, const struct sim_props *p, uint32_t pba_off)
{
	put(d->cfg, PCI_VENDOR_ID, 2, (uint32_t)p->vendor);
	put(d->cfg, PCI_DEVICE_ID, 2, (uint32_t)p->device);
	put(d->cfg, PCI_REVISION_ID, 4, (uint32_t)(p->class_code << 8 | p->rev));
	put(d->cfg, PCI_HEADER_TYPE, 1, p->multifunction ? 0x80 : 0x00);
	put(d->cfg, PCI_SUBSYSTEM_VENDOR_ID, 4, (uint32_t)(p->ssid << 16 | p->ssvid));
	put(d->cfg, PCI_INTERRUPT_PIN, 1, 1);		/* INTA */
	header_masks(d);
	build_bars(d);
	build_caps(d, (unsigned)p->msi, (unsigned)p->msix, (unsigned)p->msix_bar, pba_off);
}


/* ---- sim-pci,config=FILE: a function cloned from a configuration dump ---- */

struct clone {
	struct sphb_lspci dump;		/* the image, with the options applied */
	const char *path;
	uint64_t addr[SPHB_NBARS];	/* BAR and ROM address bits from the dump */
	struct sim *d;		/* receives the capability offsets and MSI/MSI-X layout */
};

static int clone_err(const struct sphb_machine *m, const struct sphb_opts *o,
		     const struct clone *c, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int clone_err(const struct sphb_machine *m, const struct sphb_opts *o,
		     const struct clone *c, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sphb_log(m, SPHB_LOG_ERROR, "%s: config=%s: %s", o->type, c->path, why);
	return -EINVAL;
}

/* The size of a BAR whose dump gives only its address: the address's natural
 * alignment (its lowest set bit), at most `cap`. 0 when nothing is assigned. */
static uint64_t size_from_addr(uint64_t addr, uint64_t cap)
{
	uint64_t low = addr & (~addr + 1);

	return low > cap ? cap : low;
}

static int clone_bars(struct sphb_machine *m, struct sphb_opts *o, struct sim_props *p,
		      struct clone *c)
{
	const uint8_t *img = c->dump.cfg;
	struct sim_bar opt[6];
	char key[8];

	memcpy(opt, p->bar, sizeof(opt));
	memset(p->bar, 0, sizeof(p->bar));
	for (unsigned i = 0; i < 6; i++) {
		uint32_t v = get(img, PCI_BAR0 + 4 * i, 4);
		enum sphb_bar_kind dk, kind;
		uint64_t addr, size, min, max;
		snprintf(key, sizeof(key), "bar%u", i);
		if (i > 0 && bar_is64(p->bar[i - 1].kind)) {
			if (opt[i].kind != BAR_NONE)
				return clone_err(m, o, c, "%s=%s: BAR %u is 64-bit and uses this slot too",
						 key, sphb_opts_get(o, key), i - 1);
			continue;
		}
		if (v & 1) {
			dk = BAR_IO;
		} else {
			switch ((v >> 1) & 3) {
			case 2:
				dk = v & 8 ? BAR_MEM64_PREF : BAR_MEM64;
				break;
			case 3:
				return clone_err(m, o, c, "BAR %u = 0x%08x has the reserved type 3", i, v);
			default: /* 0, and 1 (below 1 MiB, obsolete): 32-bit */
				dk = v & 8 ? BAR_MEM32_PREF : BAR_MEM32;
				break;
			}
		}
		if (opt[i].kind == BAR_NONE && !c->dump.region[i] && !v)
			continue; /* not implemented */
		if (bar_is64(dk) && i == 5)
			return clone_err(m, o, c, "BAR 5 = 0x%08x is 64-bit, but bar5 is the last slot", v);
		kind = opt[i].kind != BAR_NONE ? opt[i].kind : dk;
		if (bar_is64(dk) && !bar_is64(kind))
			return clone_err(m, o, c, "%s=%s: BAR %u = 0x%08x is 64-bit in the dump",
					 key, sphb_opts_get(o, key), i, v);
		if (bar_is64(kind) && !bar_is64(dk) && (get(img, PCI_BAR0 + 4 * i + 4, 4) || c->dump.region[i + 1]))
			return clone_err(m, o, c, "%s=%s: a 64-bit BAR needs slot %u, which is BAR %u of its own in the dump",
					 key, sphb_opts_get(o, key), i + 1, i + 1);
		addr = kind == BAR_IO ? v & ~3ull : v & ~0xfull;
		if (bar_is64(kind))
			addr |= (uint64_t)get(img, PCI_BAR0 + 4 * i + 4, 4) << 32;
		min = kind == BAR_IO ? 4 : 16;
		max = kind == BAR_IO ? 256 : bar_is64(kind) ? 1ull << 62 : 1ull << 31;
		if (opt[i].kind != BAR_NONE) {
			size = opt[i].size; /* checked by parse_bar() */
		} else if (c->dump.region[i]) {
			size = c->dump.region[i];
			if (size < min || size > max)
				return clone_err(m, o, c, "Region %u: size 0x%llx out of range 0x%llx..0x%llx for %s",
						 i, (unsigned long long)size, (unsigned long long)min,
						 (unsigned long long)max, kind == BAR_IO ? "an I/O BAR" : "this BAR");
		} else {
			size = size_from_addr(addr, kind == BAR_IO ? 256 : SPHB_BAR_BACKING_MAX);
			if (!size)
				return clone_err(m, o, c,
						 "BAR %u = 0x%08x has no address to size it by; give %s=KIND:SIZE, or capture the dump with lspci -vv -xxxx (its Region lines hold the sizes)",
						 i, v, key);
			sphb_log(m, SPHB_LOG_WARN,
				 "%s: config=%s: BAR %u: size 0x%llx taken from its address 0x%llx (natural alignment, at most 0x%llx); give %s=KIND:SIZE to set it",
				 o->type, c->path, i, (unsigned long long)size, (unsigned long long)addr,
				 kind == BAR_IO ? 256ull : (unsigned long long)SPHB_BAR_BACKING_MAX, key);
		}
		p->bar[i].kind = kind;
		p->bar[i].size = size;
		c->addr[i] = addr & ~(size - 1); /* bits below the size read as zero */
	}
	/* the expansion ROM: rom=SIZE, its lspci -vv size, or its address */
	{
		uint32_t v = get(img, PCI_ROM_ADDRESS, 4);
		uint64_t size = p->rom ? p->rom : c->dump.region[6];

		if (!size && (v & ~0x7ffu)) {
			size = size_from_addr(v & ~0x7ffu, SPHB_BAR_BACKING_MAX);
			sphb_log(m, SPHB_LOG_WARN,
				 "%s: config=%s: expansion ROM: size 0x%llx taken from its address 0x%08x (natural alignment, at most 0x%x); give rom=SIZE to set it",
				 o->type, c->path, (unsigned long long)size, v & ~0x7ffu, SPHB_BAR_BACKING_MAX);
		} else if (!size && (v & 1)) {
			return clone_err(m, o, c,
					 "expansion ROM = 0x%08x has no address to size it by; give rom=SIZE, or capture the dump with lspci -vv -xxxx",
					 v);
		}
		if (size && (size < 2048 || size > 1ull << 31))
			return clone_err(m, o, c, "expansion ROM size 0x%llx out of range 0x800..0x80000000",
					 (unsigned long long)size);
		p->rom = size;
		c->addr[6] = size ? (v & ~0x7ffu) & ~(size - 1) : 0;
	}
	return 0;
}

/* Is [off, off+len) inside the dump's standard configuration space? */
static bool in_dump(const struct clone *c, uint32_t off, uint32_t len, uint32_t limit)
{
	return off + len <= limit && off + len <= c->dump.len;
}

static int clone_msix(struct sphb_machine *m, struct sphb_opts *o, const struct sim_props *p,
		      struct clone *c, uint8_t at)
{
	const uint8_t *img = c->dump.cfg;
	uint32_t tbl = get(img, at + 4u, 4), pba = get(img, at + 8u, 4);
	unsigned n = (get(img, at + 2u, 2) & 0x7ffu) + 1u;
	uint64_t tlen = 16ull * n, plen = (n + 63u) / 64u * 8u;
	uint64_t toff = tbl & ~7u, poff = pba & ~7u;
	unsigned tb = tbl & 7u, pb = pba & 7u;
	const struct { const char *what; unsigned bir; uint64_t off, len; } part[2] = {
		{ "table", tb, toff, tlen }, { "PBA", pb, poff, plen } };

	for (unsigned i = 0; i < 2; i++) {
		const struct sim_bar *b;

		if (part[i].bir > 5)
			return clone_err(m, o, c, "MSI-X capability at 0x%02x: BIR %u is reserved", at, part[i].bir);
		b = &p->bar[part[i].bir];
		if (!bar_is_mem(b->kind))
			return clone_err(m, o, c,
					 "MSI-X capability at 0x%02x: its %s is in BAR %u, which is not a memory BAR of this device",
					 at, part[i].what, part[i].bir);
		if (part[i].off + part[i].len > b->size)
			return clone_err(m, o, c,
					 "MSI-X capability at 0x%02x: the %s (offset 0x%llx) does not fit in BAR %u (0x%llx bytes)",
					 at, part[i].what, (unsigned long long)part[i].off, part[i].bir,
					 (unsigned long long)b->size);
	}
	if (toff + tlen > SPHB_BAR_BACKING_MAX)
		return clone_err(m, o, c,
				 "MSI-X capability at 0x%02x: a table beyond the first 0x%x bytes of its BAR is not supported",
				 at, SPHB_BAR_BACKING_MAX);
	if (tb == pb && toff < poff + plen && poff < toff + tlen)
		return clone_err(m, o, c, "MSI-X capability at 0x%02x: table and PBA overlap", at);
	c->d->f.msix_cap = at;
	c->d->f.msix_vectors = n;
	c->d->f.msix_bar = tb;
	c->d->f.msix_table_off = (uint32_t)toff;
	c->d->f.msix_pba_bar = pb;
	c->d->f.msix_pba_off = (uint32_t)poff;
	return 0;
}

/* Walk the capability list (and the extended one) of the dump. */
static int clone_caps(struct sphb_machine *m, struct sphb_opts *o, const struct sim_props *p,
		      struct clone *c, bool *has_exp)
{
	const uint8_t *img = c->dump.cfg;
	uint64_t seen = 0;
	uint32_t at, prev = PCI_CAPABILITY_LIST;
	int rc;

	*has_exp = false;
	at = img[PCI_STATUS] & PCI_STATUS_CAP_LIST ? img[PCI_CAPABILITY_LIST] & 0xfcu : 0;
	while (at) {
		uint8_t id;
		uint32_t len = 2;

		if (at < 0x40)
			return clone_err(m, o, c, "capability pointer 0x%02x (at 0x%02x) points into the header",
					 at, prev);
		if (seen & 1ull << ((at >> 2) - 16))
			return clone_err(m, o, c, "capability list loops back to 0x%02x", at);
		seen |= 1ull << ((at >> 2) - 16);
		if (!in_dump(c, at, 2, PCI_CFG_SIZE))
			return clone_err(m, o, c,
					 "capability pointer 0x%02x (at 0x%02x) is beyond the dump's %u bytes (capture it with sudo lspci -xxx)",
					 at, prev, c->dump.len);
		id = img[at];
		switch (id) {
		case PCI_CAP_ID_PM:
			len = 8;
			break;
		case PCI_CAP_ID_MSI:
			len = msi_cap_len((uint16_t)get(img, at + 2u, 2));
			break;
		case PCI_CAP_ID_MSIX:
			len = 12;
			break;
		case PCI_CAP_ID_EXP:
			len = (img[at + 2u] & 0xf) >= 2 ? 0x3c : 0x14;
			break;
		default:
			break;
		}
		if (!in_dump(c, at, len, PCI_CFG_SIZE))
			return clone_err(m, o, c, "capability 0x%02x at 0x%02x: its %u bytes go beyond %s",
					 id, at, len, at + len > PCI_CFG_SIZE ? "0xff" : "the dump");
		if (id == PCI_CAP_ID_PM && !c->d->f.pm_cap) {
			/* the states sim_cfg_write() lets the guest reach */
			unsigned st = img[at + 4u] & 3u, pmc = img[at + 3u];
			if ((st == 1 && !(pmc & 0x02)) || (st == 2 && !(pmc & 0x04)))
				return clone_err(m, o, c, "PM capability at 0x%02x: power state D%u, which PMC does not support",
						 at, st);
			c->d->f.pm_cap = (uint8_t)at;
		} else if (id == PCI_CAP_ID_MSI && !c->d->f.msi_cap) {
			unsigned ctl = img[at + 2u], mmc = (ctl >> 1) & 7u, mme = (ctl >> 4) & 7u;
			if (mmc > 5)
				return clone_err(m, o, c, "MSI capability at 0x%02x: Multiple Message Capable %u is reserved",
						 at, mmc);
			/* sim_cfg_write() keeps an enabled MME <= MMC, and MSI
			 * delivery relies on it (at most 32 vectors) */
			if ((ctl & 1) && mme > mmc)
				return clone_err(m, o, c, "MSI capability at 0x%02x: enabled with Multiple Message Enable %u above Capable %u",
						 at, mme, mmc);
			c->d->f.msi_cap = (uint8_t)at;
			c->d->f.msi_vectors = 1u << mmc;
		} else if (id == PCI_CAP_ID_MSIX && !c->d->f.msix_cap) {
			rc = clone_msix(m, o, p, c, (uint8_t)at);
			if (rc)
				return rc;
		} else if (id == PCI_CAP_ID_EXP && !c->d->f.pcie_cap) {
			c->d->f.pcie_cap = (uint8_t)at;
			*has_exp = true;
		}
		prev = at + 1;
		at = img[at + 1] & 0xfcu;
	}
	return 0;
}

static int clone_ext_caps(struct sphb_machine *m, struct sphb_opts *o, struct clone *c)
{
	const uint8_t *img = c->dump.cfg;
	uint64_t seen[PCIE_CFG_SIZE / 4 / 64] = { 0 };
	uint32_t at = PCI_CFG_SIZE;

	if (c->dump.len <= PCI_CFG_SIZE)
		return 0;
	for (;;) {
		uint32_t hdr;

		if (!in_dump(c, at, 4, PCIE_CFG_SIZE))
			return clone_err(m, o, c, "extended capability at 0x%03x is beyond the dump's %u bytes",
					 at, c->dump.len);
		hdr = get(img, at, 4);
		if (at == PCI_CFG_SIZE && (hdr == 0 || hdr == 0xffffffffu))
			return 0; /* no extended capabilities */
		if (seen[at / 4 / 64] >> (at / 4 % 64) & 1)
			return clone_err(m, o, c, "extended capability list loops back to 0x%03x", at);
		seen[at / 4 / 64] |= 1ull << (at / 4 % 64);
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ERR && !c->d->f.aer_cap) {
			if (!in_dump(c, at, 0x1c, PCIE_CFG_SIZE))
				return clone_err(m, o, c, "AER capability at 0x%03x goes beyond the dump", at);
			c->d->f.aer_cap = (uint16_t)at;
		}
		if (!(hdr >> 20))
			return 0;
		if ((hdr >> 20) < PCI_CFG_SIZE)
			return clone_err(m, o, c, "extended capability at 0x%03x: next pointer 0x%03x is below 0x100",
					 at, hdr >> 20);
		at = (hdr >> 20) & ~3u;
	}
}

static bool given(struct sphb_opts *o, const char *key)
{
	return sphb_opts_get(o, key) != NULL;
}

/* Read FILE, put the explicit options on top, and check everything the
 * device will be built from, before anything is allocated. */
static int clone_props(struct sphb_machine *m, struct sphb_opts *o, const char *path,
		       int multifunction, struct sim_props *p, struct clone *c)
{
	uint8_t *img = c->dump.cfg;
	bool has_exp;
	int rc;

	c->path = path;
	rc = sphb_lspci_load(m, o->type, path, &c->dump);
	if (rc)
		return rc;
	/* explicit options win over the dump */
	if (given(o, "vendor"))
		put(img, PCI_VENDOR_ID, 2, (uint32_t)p->vendor);
	if (given(o, "device"))
		put(img, 0x02, 2, (uint32_t)p->device);
	if (given(o, "rev"))
		img[PCI_REVISION_ID] = (uint8_t)p->rev;
	if (given(o, "class"))
		put(img, PCI_REVISION_ID + 1, 3, (uint32_t)p->class_code);
	if (given(o, "subsys-vendor"))
		put(img, PCI_SUBSYSTEM_VENDOR_ID, 2, (uint32_t)p->ssvid);
	if (given(o, "subsys"))
		put(img, PCI_SUBSYSTEM_VENDOR_ID + 2, 2, (uint32_t)p->ssid);
	if (multifunction >= 0)
		img[PCI_HEADER_TYPE] = (uint8_t)((img[PCI_HEADER_TYPE] & 0x7f) | (multifunction ? 0x80 : 0));
	p->multifunction = img[PCI_HEADER_TYPE] & 0x80;
	/* Status.Interrupt reports the INTx the function drives (the INTx output (sim_intx_update())
	 * keeps it); the clone starts without driving it, whatever the captured
	 * device did */
	img[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (get(img, PCI_VENDOR_ID, 2) == 0xffff || get(img, PCI_VENDOR_ID, 2) == 0)
		return clone_err(m, o, c, "vendor ID 0x%04x: the dump holds no function",
				 get(img, PCI_VENDOR_ID, 2));
	if (img[PCI_HEADER_TYPE] & 0x7f)
		return clone_err(m, o, c, "header type 0x%02x: only type-0 functions (not bridges) can be cloned",
				 img[PCI_HEADER_TYPE] & 0x7f);
	if (img[PCI_INTERRUPT_PIN] > 4)
		return clone_err(m, o, c, "interrupt pin 0x%02x out of range 0..4", img[PCI_INTERRUPT_PIN]);
	rc = clone_bars(m, o, p, c);
	if (!rc)
		rc = clone_caps(m, o, p, c, &has_exp);
	if (rc)
		return rc;
	/* 4 KiB configuration space: pcie=, else a PCIe capability or a dump
	 * longer than 256 bytes (lspci -xxxx prints 4096 bytes only then) */
	if (!given(o, "pcie"))
		p->pcie = has_exp || c->dump.len > PCI_CFG_SIZE;
	if (!p->pcie) {
		for (uint32_t i = PCI_CFG_SIZE; i < c->dump.len; i++)
			if (img[i])
				return clone_err(m, o, c,
						 "pcie=off, but the dump has extended configuration space (byte 0x%03x = 0x%02x)",
						 i, img[i]);
		return 0;
	}
	return clone_ext_caps(m, o, c);
}

/* The cloned function's configuration space: the dump, with the writable
 * bits of the header and of every capability the device models. */
static void build_clone(struct sim *d, const struct clone *c)
{
	memcpy(d->cfg, c->dump.cfg, c->dump.len < d->f.cfg_size ? c->dump.len : d->f.cfg_size);
	header_masks(d);
	build_bars(d); /* type bits and size masks; the addresses follow */
	for (unsigned i = 0; i < 6; i++) {
		uint32_t off = PCI_BAR0 + 4 * i;

		if (d->f.bar[i].kind == BAR_NONE)
			continue;
		put(d->cfg, off, 4, get(d->cfg, off, 4) | (uint32_t)c->addr[i]);
		if (bar_is64(d->f.bar[i].kind))
			put(d->cfg, off + 4, 4, (uint32_t)(c->addr[i] >> 32));
	}
	if (d->f.bar[6].kind == BAR_ROM)
		put(d->cfg, PCI_ROM_ADDRESS, 4, (uint32_t)c->addr[6] | (c->dump.cfg[PCI_ROM_ADDRESS] & 1u));
	if (d->f.pm_cap)
		pm_masks(d, d->f.pm_cap);
	if (d->f.msi_cap)
		msi_masks(d, d->f.msi_cap);
	if (d->f.msix_cap)
		msix_masks(d, d->f.msix_cap);
	if (d->f.pcie_cap)
		pcie_masks(d, d->f.pcie_cap);
	if (d->f.aer_cap)
		aer_masks(d, d->f.aer_cap);
}


/* ---- the function at run time ---- */

static uint32_t sim_cfg_read(struct sphb_func *f, uint32_t off, unsigned size)
{
	return get(sim_of(f)->cfg, off, size); /* config space is little-endian */
}

/* Status.Interrupt shows the INTx the device drives; its output reaches the
 * bus unless Interrupt Disable (Command bit 10) is set. */
static void sim_intx_update(struct sim *d)
{
	bool out = d->intx && !(get(d->cfg, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);

	if (d->intx)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	sphb_func_set_intx(&d->f, out);
}

static void sim_cfg_write(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val)
{
	struct sim *d = sim_of(f);
	uint8_t pm_state = d->f.pm_cap ? d->cfg[d->f.pm_cap + 4] & 3u : 0;

	for (unsigned i = 0; i < size; i++) {
		uint32_t a = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		d->cfg[a] = (uint8_t)((d->cfg[a] & ~d->wmask[a]) | (b & d->wmask[a]));
		d->cfg[a] = (uint8_t)(d->cfg[a] & ~(b & d->w1cmask[a]));
	}
	/* PCI PM 1.2 5.4.2: a write of a power state the function does not
	 * support (D1/D2 without the PMC support bit) is discarded. */
	if (d->f.pm_cap && off <= d->f.pm_cap + 4u && off + size > d->f.pm_cap + 4u) {
		uint8_t *csr = &d->cfg[d->f.pm_cap + 4];
		uint32_t pmc = get(d->cfg, d->f.pm_cap + 2u, 2);
		unsigned st = *csr & 3u;

		if ((st == 1 && !(pmc & 0x0200)) || (st == 2 && !(pmc & 0x0400)))
			*csr = (uint8_t)((*csr & ~3u) | pm_state);
	}
	/* QEMU's msi_write_config() (hw/pci/msi.c): after a write that overlaps
	 * the MSI capability, if MSI is enabled, Multiple Message Enable is
	 * clamped to Multiple Message Capable. A disabled capability keeps
	 * whatever was written. */
	if (d->f.msi_vectors &&
	    off < d->f.msi_cap + msi_cap_len((uint16_t)get(d->cfg, d->f.msi_cap + 2u, 2)) &&
	    off + size > d->f.msi_cap) {
		uint8_t *ctl = &d->cfg[d->f.msi_cap + 2];
		unsigned mme = (*ctl >> 4) & 7u, mmc = (*ctl >> 1) & 7u;

		if ((*ctl & 1) && mme > mmc)
			*ctl = (uint8_t)((*ctl & 0x8fu) | (mmc << 4));
	}
	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND)
		sim_intx_update(d); /* Interrupt Disable may have changed */
}

static uint8_t *bar_mem(struct sim *d, unsigned bar)
{
	if (!d->mem[bar])
		d->mem[bar] = calloc(1, (size_t)backing(d, bar));
	return d->mem[bar];
}

/* BAR contents are RAM-like registers, backed for the first
 * SPHB_BAR_BACKING_MAX bytes; beyond them reads give 0 and writes are
 * dropped. The ROM and the Pending Bit Array are read-only. */
static int sim_bar_read(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct sim *d = sim_of(f);
	uint64_t bs = backing(d, bar);
	uint8_t *mem;

	if (off >= bs) {
		*val = 0;
		return 0;
	}
	mem = bar_mem(d, bar);
	if (!mem)
		return -ENOMEM;
	*val = off + size <= bs ? get_le(mem + off, size) : get_le(mem + off, (unsigned)(bs - off));
	return 0;
}

static bool in_pba(const struct sim *d, unsigned bar, uint64_t off, unsigned size)
{
	const struct sphb_func *f = &d->f;

	return f->msix_vectors && bar == f->msix_pba_bar &&
	       off < f->msix_pba_off + (f->msix_vectors + 63) / 64 * 8 && off + size > f->msix_pba_off;
}

static int sim_bar_write(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct sim *d = sim_of(f);
	uint64_t bs = backing(d, bar);
	uint8_t *mem;

	if (bar == 6 || off >= bs || in_pba(d, bar, off, size))
		return 0;
	mem = bar_mem(d, bar);
	if (!mem)
		return -ENOMEM;
	put_le(mem + off, off + size <= bs ? size : (unsigned)(bs - off), val);
	return 0;
}

/* PCI: every MSI-X vector comes out of reset masked (Vector Control bit 0). */
static void msix_table_init(struct sim *d)
{
	uint8_t *mem;

	if (!d->f.msix_vectors)
		return;
	mem = bar_mem(d, d->f.msix_bar);
	if (!mem)
		return; /* allocation failure: table reads as zero, still safe */
	for (unsigned v = 0; v < d->f.msix_vectors; v++)
		mem[d->f.msix_table_off + v * 16 + 12] = 1;
}

/* QEMU's msix_reset(): table and Pending Bit Array contents */
static void sim_msix_reset(struct sphb_func *f)
{
	struct sim *d = sim_of(f);
	uint64_t pba_len = (f->msix_vectors + 63u) / 64u * 8u;

	if (d->mem[f->msix_bar])
		memset(d->mem[f->msix_bar] + f->msix_table_off, 0, (size_t)f->msix_vectors * 16);
	if (d->mem[f->msix_pba_bar] && f->msix_pba_off + pba_len <= backing(d, f->msix_pba_bar))
		memset(d->mem[f->msix_pba_bar] + f->msix_pba_off, 0, (size_t)pba_len);
	msix_table_init(d);
}

static void sim_reset(struct sphb_func *f, enum sphb_reset_kind kind)
{
	struct sim *d = sim_of(f);

	(void)kind; /* every reset returns the model to its power-on state */
	memcpy(d->cfg, d->cfg_init, d->f.cfg_size);
	d->intx = false; /* a reset function stops driving INTx */
	sim_intx_update(d);
	for (unsigned i = 0; i < SPHB_NBARS; i++)
		if (d->mem[i])
			memset(d->mem[i], 0, (size_t)backing(d, i));
	msix_table_init(d);
}

static void sim_free(struct sphb_func *f)
{
	struct sim *d = sim_of(f);

	for (unsigned i = 0; i < SPHB_NBARS; i++)
		free(d->mem[i]);
	free(d->cfg);
	free(d);
}

static int sim_dev_intx(struct sphb_func *f, int level)
{
	struct sim *d = sim_of(f);

	d->intx = level != 0;
	sim_intx_update(d);
	return 0;
}

/* The device sends vector `vector` with the message the guest programmed. */
static int sim_dev_msi(struct sphb_func *f, unsigned vector)
{
	struct sim *d = sim_of(f);
	uint16_t ctl;

	if (f->msix_vectors && (get(d->cfg, f->msix_cap + 2u, 2) & 0x8000)) {
		uint8_t *mem, *e;

		if (vector >= f->msix_vectors)
			return -ERANGE;
		mem = bar_mem(d, f->msix_bar);
		if (!mem)
			return -ENOMEM;
		e = mem + f->msix_table_off + 16u * vector;
		if ((get(d->cfg, f->msix_cap + 2u, 2) & 0x4000) || (e[12] & 1)) {
			/* masked: the Pending bit is set instead */
			uint8_t *pba = bar_mem(d, f->msix_pba_bar);
			if (pba && f->msix_pba_off + vector / 8 < backing(d, f->msix_pba_bar))
				pba[f->msix_pba_off + vector / 8] |= (uint8_t)(1u << (vector % 8));
			return -EAGAIN;
		}
		return f->bus_ops->msi(f, get_le64(e), get_le32(e + 8));
	}
	ctl = (uint16_t)get(d->cfg, f->msi_cap + 2u, 2);
	if (f->msi_vectors && (ctl & 1)) {
		unsigned nvec = 1u << ((ctl >> 4) & 7), data_off = msi_data_off(f->msi_cap, ctl);
		uint64_t addr = get(d->cfg, f->msi_cap + 4u, 4);
		uint32_t data = get(d->cfg, data_off, 2);

		if (vector >= nvec)
			return -ERANGE;
		if (ctl & 0x100) {
			/* per-vector masking: a masked vector sets its Pending bit */
			unsigned mo = data_off + 4u;
			if (get(d->cfg, mo, 4) >> vector & 1) {
				d->cfg[mo + 4 + vector / 8] |= (uint8_t)(1u << (vector % 8));
				return -EAGAIN;
			}
		}
		if (ctl & 0x80)
			addr |= (uint64_t)get(d->cfg, f->msi_cap + 8u, 4) << 32;
		return f->bus_ops->msi(f, addr, (data & ~(nvec - 1)) | vector);
	}
	return -EAGAIN;
}


/* ---- save/restore (docs/migration.md, the device section's sim-pci part) ---- */

#define CHUNK 256u	/* BAR contents are saved in chunks of this many bytes */

static uint32_t bar_chunk(const struct sim *d, unsigned bar)
{
	uint64_t bs = backing(d, bar);
	return bs < CHUNK ? (uint32_t)bs : CHUNK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void sim_save(struct sphb_func *f, struct sphb_wr *w)
{
	struct sim *d = sim_of(f);

	w_u8(w, d->intx);
	sphb_w_bytes(w, d->cfg, f->cfg_size);
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		uint64_t bs = f->bar[b].kind ? backing(d, b) : 0;
		uint32_t chunk = bar_chunk(d, b), n = 0;
		size_t nat = w->pos;

		w_u32(w, 0);
		for (uint64_t off = 0; d->mem[b] && off < bs; off += chunk) {
			if (all_zero(d->mem[b] + off, chunk))
				continue;
			w_u32(w, off);
			sphb_w_bytes(w, d->mem[b] + off, chunk);
			n++;
		}
		sphb_w_patch(w, nat, n, 4);
	}
}

struct sim_staging {
	bool intx;
	const uint8_t *cfg;	/* cfg_size bytes inside the stream */
	struct {
		const uint8_t *chunks;	/* n x (u32 offset, chunk bytes) inside the stream */
		uint32_t n;
		uint8_t *alloc;		/* backing for a BAR that has none yet */
	} bar[SPHB_NBARS];
};

static void sim_discard(void *staging)
{
	struct sim_staging *st = staging;

	if (!st)
		return;
	for (unsigned b = 0; b < SPHB_NBARS; b++)
		free(st->bar[b].alloc);
	free(st);
}

/* Every bit the guest cannot write holds its power-on value (a cleared
 * write-1-to-clear bit excepted); the Interrupt Status bit follows the INTx
 * the device drives; an enabled MSI capability has MME <= MMC. */
static void check_cfg(struct sphb_loader *L, const struct sim *d, const uint8_t *cfg, bool intx,
		      bool counted)
{
	const struct sphb_func *f = &d->f;
	uint32_t pend_off = 0, pend_bits = 0;
	uint16_t cmd;
	bool on;

	if (f->msi_vectors && (d->cfg_init[f->msi_cap + 3] & 1)) {
		/* per-vector masking: the function sets the Pending bits of its
		 * vectors (read-only to the guest) */
		uint8_t ctl = d->cfg_init[f->msi_cap + 2];
		unsigned mmc = (ctl >> 1) & 7u;

		pend_off = f->msi_cap + ((ctl & 0x80) ? 0x14u : 0x10u);
		pend_bits = mmc >= 5 ? 0xffffffffu : (1u << (1u << mmc)) - 1u;
	}
	for (uint32_t i = 0; i < f->cfg_size; i++) {
		uint8_t fixed = (uint8_t)(~d->wmask[i] & ~(d->w1cmask[i] & d->cfg_init[i]));
		if (i == PCI_STATUS)
			fixed &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if (pend_off && i >= pend_off && i < pend_off + 4)
			fixed &= (uint8_t)~(pend_bits >> (8 * (i - pend_off)));
		if ((cfg[i] ^ d->cfg_init[i]) & fixed) {
			sphb_ld_fail(L, -EBADMSG,
				     "config byte 0x%03x is 0x%02x, but its read-only bits (mask 0x%02x) must stay 0x%02x",
				     i, cfg[i], fixed, d->cfg_init[i] & fixed);
			return;
		}
	}
	if (!!(cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) != intx) {
		sphb_ld_fail(L, -EBADMSG, "Status.Interrupt is %u but the device %s INTx", !intx,
			     intx ? "drives" : "does not drive");
		return;
	}
	cmd = (uint16_t)get(cfg, PCI_COMMAND, 2);
	on = intx && !(cmd & PCI_COMMAND_INTX_DISABLE) && f->intx_pin;
	if (counted != on) {
		sphb_ld_fail(L, -EBADMSG, "the INTx line is %scounted on the PHB's LSI, but INTx is %s",
			     counted ? "" : "not ", on ? "asserted and enabled" : "not asserted or disabled");
		return;
	}
	if (f->pm_cap) {
		/* PCI PM 1.2 5.4.2: only the power states the function supports */
		unsigned st = cfg[f->pm_cap + 4] & 3u, pmc = cfg[f->pm_cap + 3];
		if ((st == 1 && !(pmc & 0x02)) || (st == 2 && !(pmc & 0x04))) {
			sphb_ld_fail(L, -EBADMSG, "power state D%u, which the function does not support", st);
			return;
		}
	}
	if (f->msi_vectors) {
		uint8_t ctl = cfg[f->msi_cap + 2];
		if ((ctl & 1) && ((ctl >> 4) & 7u) > ((ctl >> 1) & 7u)) {
			sphb_ld_fail(L, -EBADMSG, "MSI is enabled with Multiple Message Enable %u above Capable %u",
				     (ctl >> 4) & 7u, (ctl >> 1) & 7u);
			return;
		}
	}
}

static void *sim_load(struct sphb_func *f, struct sphb_rd *r, bool counted)
{
	struct sim *d = sim_of(f);
	struct sphb_loader *L = r->L;
	struct sim_staging *st = calloc(1, sizeof(*st));

	if (!st) {
		sphb_ld_fail(L, -ENOMEM, "cannot allocate the staging state");
		return NULL;
	}
	st->intx = sphb_r_flag(r, "INTx level");
	st->cfg = sphb_r_bytes(r, f->cfg_size);
	if (!st->cfg)
		goto bad;
	check_cfg(L, d, st->cfg, st->intx, counted);
	for (unsigned b = 0; r_ok(r) && b < SPHB_NBARS; b++) {
		uint64_t bs = f->bar[b].kind ? backing(d, b) : 0;
		uint32_t chunk = bar_chunk(d, b), n = r_u32(r);
		int64_t last = -1;

		if (!r_ok(r))
			break;
		if (n && (b == 6 || !bs)) {
			sphb_ld_fail(L, -EBADMSG, "bar%u: %u chunks of contents for %s", b, n,
				     b == 6 ? "the expansion ROM (always zero)" : "a BAR that does not exist");
			break;
		}
		if (n > bs / (chunk ? chunk : 1)) {
			sphb_ld_fail(L, -EBADMSG, "bar%u: %u chunks of %u bytes for %llu bytes of contents", b,
				     n, chunk, (unsigned long long)bs);
			break;
		}
		st->bar[b].chunks = r->p + r->pos;
		st->bar[b].n = n;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t off = r_u32(r);
			const uint8_t *p = sphb_r_bytes(r, chunk);

			if (!p)
				break;
			/* the chunk is copied to off: it must end inside the backing */
			if ((int64_t)off <= last || off % chunk || off > bs - chunk) {
				sphb_ld_fail(L, -EBADMSG,
					     "bar%u: chunk %u at offset 0x%x (ascending multiples of 0x%x below 0x%llx expected)",
					     b, k, off, chunk, (unsigned long long)bs);
				break;
			}
			if (all_zero(p, chunk)) {
				sphb_ld_fail(L, -EBADMSG,
					     "bar%u: chunk at offset 0x%x is all zeros (only non-zero chunks are saved)",
					     b, off);
				break;
			}
			last = off;
		}
		if (r_ok(r) && n && !d->mem[b]) {
			st->bar[b].alloc = calloc(1, (size_t)bs);
			if (!st->bar[b].alloc)
				sphb_ld_fail(L, -ENOMEM, "bar%u: cannot allocate %llu bytes of contents", b,
					     (unsigned long long)bs);
		}
	}
	if (r_ok(r))
		return st;
bad:
	sim_discard(st);
	return NULL;
}

static void sim_commit(struct sphb_func *f, void *staging)
{
	struct sim *d = sim_of(f);
	struct sim_staging *st = staging;

	memcpy(d->cfg, st->cfg, f->cfg_size);
	d->intx = st->intx;
	for (unsigned b = 0; b < SPHB_NBARS; b++) {
		uint32_t chunk = bar_chunk(d, b);
		const uint8_t *c = st->bar[b].chunks;

		if (!d->mem[b]) {
			d->mem[b] = st->bar[b].alloc; /* NULL when there are no contents */
			st->bar[b].alloc = NULL;
		}
		if (!d->mem[b])
			continue;
		memset(d->mem[b], 0, (size_t)backing(d, b));
		for (uint32_t k = 0; k < st->bar[b].n; k++, c += 4 + chunk)
			memcpy(d->mem[b] + get_le32(c), c + 4, chunk);
	}
	sim_discard(st);
}

const struct sphb_func_kind sphb_sim_pci_kind = {
	.name = "sim-pci",
	.cfg_read = sim_cfg_read,
	.cfg_write = sim_cfg_write,
	.bar_read = sim_bar_read,
	.bar_write = sim_bar_write,
	.reset = sim_reset,
	.free = sim_free,
	.msix_reset = sim_msix_reset,
	.dev_intx = sim_dev_intx,
	.dev_msi = sim_dev_msi,
	.save = sim_save,
	.load = sim_load,
	.commit = sim_commit,
	.discard = sim_discard,
};


int sphb_sim_pci_create(struct sphb_machine *m, struct sphb_opts *o, int multifunction,
			struct sphb_func **out)
{
	struct sim_props p;
	struct sim *d = NULL;
	struct clone *c = NULL;
	const char *path = sphb_opts_get(o, "config");
	uint32_t pba_off = 0;
	int rc = 0;

	if (path) {
		static const char *const no[] = { "msi", "msix", "msix-bar" };
		for (unsigned i = 0; !rc && i < 3; i++) {
			if (given(o, no[i])) {
				sphb_log(m, SPHB_LOG_ERROR,
					 "%s: %s=%s: with config=, the capabilities come from the dump",
					 o->type, no[i], sphb_opts_get(o, no[i]));
				rc = -EINVAL;
			}
		}
	}
	if (!rc)
		rc = sim_props(m, o, &p);
	if (rc)
		return rc;
	p.multifunction = multifunction > 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (path) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			free(d);
			return -ENOMEM;
		}
		c->d = d;
		rc = clone_props(m, o, path, multifunction, &p, c);
		if (rc)
			goto fail;
	}
	sphb_func_init(&d->f, &sphb_sim_pci_kind, m, o->type);
	d->pcie_ctl_ro = p.pcie_ctl_ro;
	d->f.pcie = p.pcie;
	d->f.cfg_size = p.pcie ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	for (unsigned i = 0; i < 6; i++) {
		d->f.bar[i].kind = (uint8_t)p.bar[i].kind;
		d->f.bar[i].size = p.bar[i].size;
	}
	if (p.rom) {
		d->f.bar[6].kind = BAR_ROM;
		d->f.bar[6].size = p.rom;
	}
	d->f.bars_known = true;
	if (!c && p.msix) {
		/* QEMU's layout: the PBA at half the BAR. When that is beyond the
		 * RAM-backed first 1 MiB, the PBA follows the smallest half-size
		 * slot that holds the table instead, so it is always backed. */
		uint64_t half = d->f.bar[p.msix_bar].size / 2;
		uint64_t pba_len = (p.msix + 63) / 64 * 8;

		if (half + pba_len > SPHB_BAR_BACKING_MAX)
			half = pow2_ceil(p.msix * 16 > 2048 ? p.msix * 16 : 2048); /* need / 2 */
		pba_off = (uint32_t)half;
	}
	d->cfg = calloc(4, d->f.cfg_size);
	if (!d->cfg) {
		rc = -ENOMEM;
		goto fail;
	}
	d->wmask = d->cfg + d->f.cfg_size;
	d->w1cmask = d->wmask + d->f.cfg_size;
	d->cfg_init = d->w1cmask + d->f.cfg_size;
	if (c)
		build_clone(d, c);
	else
		build_config(d, &p, pba_off);
	free(c);
	memcpy(d->cfg_init, d->cfg, d->f.cfg_size);
	if (p.msix) { /* a clone's layout came from its dump (clone_caps()) */
		d->f.msix_vectors = (unsigned)p.msix;
		d->f.msix_bar = d->f.msix_pba_bar = (unsigned)p.msix_bar;
		d->f.msix_table_off = 0;
		d->f.msix_pba_off = pba_off;
	}
	msix_table_init(d);
	*out = &d->f;
	return 0;
fail:
	free(c);
	free(d);
	return rc;
}
