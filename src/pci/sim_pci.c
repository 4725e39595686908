/* Simulated PCI functions: a type-0 configuration space with read-only,
 * read-write and write-1-to-clear bits, BAR sizing, an expansion ROM, and a
 * capability list (PCIe + AER, MSI, MSI-X). SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "host/vfio.h"

/* ---- little-endian field setters for the three parallel images ---- */

static void put(uint8_t *img, uint32_t off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *img, uint32_t off, unsigned size)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)img[off + i] << (8 * i);
	return v;
}

/* writable mask, write-1-to-clear mask */
static void mask(struct sphb_dev *d, uint32_t off, unsigned size, uint32_t wmask, uint32_t w1c)
{
	put(d->wmask, off, size, wmask);
	put(d->w1cmask, off, size, w1c);
}

/* value, writable mask, write-1-to-clear mask */
static void reg(struct sphb_dev *d, uint32_t off, unsigned size, uint32_t val,
		uint32_t wmask, uint32_t w1c)
{
	put(d->cfg, off, size, val);
	mask(d, off, size, wmask, w1c);
}

/* Bytes of an MSI capability: 32/64-bit address, per-vector masking. */
static uint32_t msi_cap_len(uint16_t ctl)
{
	return (ctl & 0x80 ? 0x0eu : 0x0au) + (ctl & 0x100 ? 0x0au : 0u);
}

uint32_t sphb_cfg_read(struct sphb_dev *d, uint32_t off, unsigned size)
{
	const uint8_t *p = d->cfg + off; /* config space is little-endian */

#if SPHB_VFIO
	if (d->kind == DEV_VFIO)
		return sphb_vfio_cfg_read(d, off, size);
#endif
	switch (size) {
	case 1:
		return p[0];
	case 2:
		return (uint32_t)p[0] | (uint32_t)p[1] << 8;
	default:
		return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		       (uint32_t)p[3] << 24;
	}
}

void sphb_cfg_write(struct sphb_dev *d, uint32_t off, unsigned size,
		    uint32_t val)
{
#if SPHB_VFIO
	if (d->kind == DEV_VFIO) {
		sphb_vfio_cfg_write(d, off, size, val);
		return;
	}
#endif
	uint8_t pm_state = d->pm_cap ? d->cfg[d->pm_cap + 4] & 3u : 0;

	for (unsigned i = 0; i < size; i++) {
		uint32_t a = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		d->cfg[a] = (uint8_t)((d->cfg[a] & ~d->wmask[a]) | (b & d->wmask[a]));
		d->cfg[a] = (uint8_t)(d->cfg[a] & ~(b & d->w1cmask[a]));
	}
	/* PCI PM 1.2 5.4.2: a write of a power state the function does not
	 * support (D1/D2 without the PMC support bit) is discarded. */
	if (d->pm_cap && off <= d->pm_cap + 4u && off + size > d->pm_cap + 4u) {
		uint8_t *csr = &d->cfg[d->pm_cap + 4];
		uint32_t pmc = get(d->cfg, d->pm_cap + 2u, 2);
		unsigned st = *csr & 3u;

		if ((st == 1 && !(pmc & 0x0200)) || (st == 2 && !(pmc & 0x0400)))
			*csr = (uint8_t)((*csr & ~3u) | pm_state);
	}
	/* QEMU's msi_write_config(): after a write that overlaps the MSI
	 * capability, if MSI is enabled, Multiple Message Enable is clamped to
	 * Multiple Message Capable. A disabled capability keeps whatever was
	 * written. */
	if (d->msi_vectors &&
	    off < d->msi_cap + msi_cap_len((uint16_t)get(d->cfg, d->msi_cap + 2u, 2)) &&
	    off + size > d->msi_cap) {
		uint8_t *ctl = &d->cfg[d->msi_cap + 2];
		unsigned mme = (*ctl >> 4) & 7u, mmc = (*ctl >> 1) & 7u;

		if ((*ctl & 1) && mme > mmc)
			*ctl = (uint8_t)((*ctl & 0x8fu) | (mmc << 4));
	}
}

/* ---- lookup and placement ---- */

struct sphb_dev *sphb_dev_by_id(const struct sphb_machine *m, const char *id)
{
	for (struct sphb_dev *d = m->devices; d; d = d->next_in_machine)
		if (d->id[0] && !strcmp(d->id, id))
			return d;
	return NULL;
}

/* QEMU parses PCI addresses as hex, with or without a 0x prefix. */
static int parse_hex(const char *s, uint64_t *v)
{
	char hx[24];

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		return sphb_parse_u64(s, false, v);
	if (strlen(s) > 16)
		return -EINVAL;
	snprintf(hx, sizeof(hx), "0x%s", s);
	return sphb_parse_u64(hx, false, v);
}

static int parse_addr(const char *s, unsigned *slot, unsigned *fn)
{
	char buf[32];
	char *dot;
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	*fn = 0;
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		if (parse_hex(dot + 1, &v))
			return -EINVAL;
		*fn = (unsigned)(v > 0xff ? 0xff : v);
	}
	if (parse_hex(buf, &v))
		return -EINVAL;
	*slot = (unsigned)(v > 0xffff ? 0xffff : v);
	return 0;
}

int sphb_dev_place(struct sphb_machine *m, struct sphb_opts *o,
		   const char *type, struct sphb_phb **phbp, uint8_t *devfn)
{
	const char *bus = sphb_opts_get(o, "bus");
	const char *addr = sphb_opts_get(o, "addr");
	struct sphb_phb *phb;
	unsigned slot, fn;

	phb = sphb_phb_by_bus_name(m, bus ? bus : "pci.0");
	if (!phb) {
		if (bus)
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus=%s: no such bus (a PHB with id=ID has bus ID.0)",
				 type, bus);
		else
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus: missing, and there is no default bus pci.0",
				 type);
		return -EINVAL;
	}
	if (!addr) {
		for (slot = 0; slot < 32; slot++) {
			bool used = false;
			for (fn = 0; fn < 8; fn++)
				used |= phb->devs[slot << 3 | fn] != NULL;
			if (!used)
				break;
		}
		if (slot == 32) {
			sphb_log(m, SPHB_LOG_ERROR, "%s: bus=%s: no free slot", type, phb->bus_name);
			return -ENOSPC;
		}
		*phbp = phb;
		*devfn = (uint8_t)(slot << 3);
		return 0;
	}
	if (parse_addr(addr, &slot, &fn)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: expected SLOT[.FUNCTION] in hex", type, addr);
		return -EINVAL;
	}
	if (slot > 31) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: slot out of range 0..31", type, addr);
		return -EINVAL;
	}
	if (fn > 7) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: function out of range 0..7", type, addr);
		return -EINVAL;
	}
	if (phb->devs[slot << 3 | fn]) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: addr=%s: %s %02x.%x is already taken by '%s'",
			 type, addr, phb->bus_name, slot, fn,
			 phb->devs[slot << 3 | fn]->id[0] ? phb->devs[slot << 3 | fn]->id : "a device");
		return -EEXIST;
	}
	*phbp = phb;
	*devfn = (uint8_t)(slot << 3 | fn);
	return 0;
}

/* ---- sim-pci properties ---- */

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static int parse_bar(struct sphb_machine *m, struct sphb_opts *o, unsigned i,
		     struct sphb_bar *bars)
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
	if (i > 0 && (bars[i - 1].kind == BAR_MEM64 || bars[i - 1].kind == BAR_MEM64_PREF)) {
		sphb_log(m, SPHB_LOG_ERROR, "%s: %s=%s: bar%u is 64-bit and uses this slot too",
			 o->type, key, v, i - 1);
		return -EINVAL;
	}
	bars[i].kind = kind;
	bars[i].size = size;
	return 0;
}

static bool bar_slot_free(const struct sphb_bar *bars, unsigned i)
{
	if (bars[i].kind != BAR_NONE)
		return false;
	return i == 0 || !(bars[i - 1].kind == BAR_MEM64 || bars[i - 1].kind == BAR_MEM64_PREF);
}

struct sim_props {
	uint64_t vendor, device, class_code, rev, ssvid, ssid, msi, msix, msix_bar, rom, group;
	bool pcie, multifunction;
	struct sphb_bar bar[SPHB_NBARS];
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
		rc = sphb_opts_u64(m, o, "iommu-group", UINT64_MAX, 0, 0x7fffffff, false, &p->group);
	if (!rc)
		rc = sphb_opts_bool(m, o, "pcie", false, &p->pcie);
	if (!rc)
		rc = sphb_opts_bool(m, o, "multifunction", false, &p->multifunction);
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
			const struct sphb_bar *b = &p->bar[p->msix_bar];
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

static void build_bars(struct sphb_dev *d)
{
	for (unsigned i = 0; i < 6; i++) {
		const struct sphb_bar *b = &d->bar[i];
		uint32_t off = PCI_BAR0 + 4 * i;
		uint64_t mask = ~(b->size - 1);

		switch (b->kind) {
		case BAR_IO:
			reg(d, off, 4, 0x1, (uint32_t)mask & 0xfffffffcu, 0);
			break;
		case BAR_MEM32:
		case BAR_MEM32_PREF:
			reg(d, off, 4, b->kind == BAR_MEM32_PREF ? 0x8 : 0x0,
			    (uint32_t)mask & 0xfffffff0u, 0);
			break;
		case BAR_MEM64:
		case BAR_MEM64_PREF:
			reg(d, off, 4, b->kind == BAR_MEM64_PREF ? 0xc : 0x4,
			    (uint32_t)mask & 0xfffffff0u, 0);
			reg(d, off + 4, 4, 0, (uint32_t)(mask >> 32), 0);
			break;
		default:
			break;
		}
	}
	if (d->bar[6].kind == BAR_ROM)
		reg(d, PCI_ROM_ADDRESS, 4, 0, ((uint32_t)~(d->bar[6].size - 1) & 0xfffff800u) | 1u, 0);
}

static uint8_t add_cap(struct sphb_dev *d, uint8_t *prev_next, uint8_t *off,
		       uint8_t id, uint8_t len)
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
static void header_masks(struct sphb_dev *d)
{
	mask(d, PCI_COMMAND, 2, 0x0507, 0);
	mask(d, PCI_STATUS, 2, 0, 0xf900);
	mask(d, 0x0c, 1, 0xff, 0);
	mask(d, PCI_INTERRUPT_LINE, 1, 0xff, 0);
}

/* PCI Power Management: PMCSR power state, and PME_En / PME_Status when
 * the function can generate PME (PMC bits 15:11). */
static void pm_masks(struct sphb_dev *d, uint32_t c)
{
	bool pme = get(d->cfg, c + 2u, 2) & 0xf800;

	mask(d, c + 4u, 2, pme ? 0x0103u : 0x0003u, pme ? 0x8000u : 0u);
}

/* MSI: Enable and Multiple Message Enable, address, data, and the mask bits
 * of the vectors the function has when it masks per vector. */
static void msi_masks(struct sphb_dev *d, uint32_t c)
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
static void msix_masks(struct sphb_dev *d, uint32_t c)
{
	mask(d, c + 2u, 2, 0xc000, 0);
}

/* PCI Express capability of an endpoint: Device Control, Device Status
 * error bits (RW1C), Link Control; on a version-2 capability, the Device
 * Control 2 fields whose feature Device Capabilities 2 reports. Slot, Root
 * and Link Control 2 registers stay read-only. */
static void pcie_masks(struct sphb_dev *d, uint32_t c)
{
	mask(d, c + 8u, 2, 0x7fff, 0);
	mask(d, c + 0xau, 2, 0, 0x000f);
	mask(d, c + 0x10u, 2, 0x01c3, 0);
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
static void aer_masks(struct sphb_dev *d, uint32_t a)
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

static void build_caps(struct sphb_dev *d)
{
	uint8_t off = 0x40;
	uint8_t *link = &d->cfg[PCI_CAPABILITY_LIST];

	if (d->pcie) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_EXP, 0x3c);
		d->pcie_cap = c;
		put(d->cfg, c + 2u, 2, 0x0002);		/* v2, endpoint */
		put(d->cfg, c + 4u, 4, 0x00008000);	/* role-based errors */
		put(d->cfg, c + 8u, 2, 0x2810);		/* device control */
		put(d->cfg, c + 0xcu, 4, 0x00000011);	/* 2.5 GT/s x1 */
		put(d->cfg, c + 0x12u, 2, 0x0011);	/* link status */
		pcie_masks(d, c);
		link = &d->cfg[c + 1];
		/* AER extended capability at 0x100, the only one */
		d->aer_cap = 0x100;
		put(d->cfg, 0x100, 4, PCI_EXT_CAP_ID_ERR | (2u << 16));
		put(d->cfg, 0x10c, 4, 0x00462030);	/* severity */
		put(d->cfg, 0x114, 4, 0x0000e000);	/* correctable mask (PCIe default) */
		aer_masks(d, 0x100);
	}
	if (d->msi_vectors) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSI, 0x14);
		unsigned mmc = 0;
		while ((1u << mmc) < d->msi_vectors)
			mmc++;
		d->msi_cap = c;
		put(d->cfg, c + 2u, 2, 0x0080 | (mmc << 1));	/* 64-bit */
		msi_masks(d, c);
		link = &d->cfg[c + 1];
	}
	if (d->msix_vectors) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSIX, 0x0c);
		d->msix_cap = c;
		put(d->cfg, c + 2u, 2, d->msix_vectors - 1);
		put(d->cfg, c + 4u, 4, d->msix_table_off | d->msix_bar);
		put(d->cfg, c + 8u, 4, d->msix_pba_off | d->msix_pba_bar);
		msix_masks(d, c);
	}
	if (d->cfg[PCI_CAPABILITY_LIST])
		d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
}

static void build_config(struct sphb_dev *d, const struct sim_props *p)
{
	put(d->cfg, PCI_VENDOR_ID, 2, (uint32_t)p->vendor);
	put(d->cfg, 0x02, 2, (uint32_t)p->device);
	put(d->cfg, PCI_REVISION_ID, 4, (uint32_t)(p->class_code << 8 | p->rev));
	put(d->cfg, PCI_HEADER_TYPE, 1, p->multifunction ? 0x80 : 0x00);
	put(d->cfg, PCI_SUBSYSTEM_VENDOR_ID, 4, (uint32_t)(p->ssid << 16 | p->ssvid));
	put(d->cfg, PCI_INTERRUPT_PIN, 1, 1);		/* INTA */
	header_masks(d);
	build_bars(d);
	build_caps(d);
}

/* ---- sim-pci,config=FILE: a function cloned from a configuration dump ---- */

struct clone {
	struct sphb_lspci dump;		/* the image, with the options applied */
	const char *path;
	uint64_t addr[SPHB_NBARS];	/* BAR and ROM address bits from the dump */
	struct sphb_dev *d;		/* receives the capability offsets and MSI/MSI-X layout */
};

static bool is64(enum sphb_bar_kind k)
{
	return k == BAR_MEM64 || k == BAR_MEM64_PREF;
}

static bool is_mem(enum sphb_bar_kind k)
{
	return k == BAR_MEM32 || k == BAR_MEM32_PREF || is64(k);
}

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
	struct sphb_bar opt[6];
	char key[8];

	memcpy(opt, p->bar, sizeof(opt));
	memset(p->bar, 0, sizeof(p->bar));
	for (unsigned i = 0; i < 6; i++) {
		uint32_t v = get(img, PCI_BAR0 + 4 * i, 4);
		enum sphb_bar_kind dk, kind;
		uint64_t addr, size, min, max;
		snprintf(key, sizeof(key), "bar%u", i);
		if (i > 0 && is64(p->bar[i - 1].kind)) {
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
		if (is64(dk) && i == 5)
			return clone_err(m, o, c, "BAR 5 = 0x%08x is 64-bit, but bar5 is the last slot", v);
		kind = opt[i].kind != BAR_NONE ? opt[i].kind : dk;
		if (is64(dk) && !is64(kind))
			return clone_err(m, o, c, "%s=%s: BAR %u = 0x%08x is 64-bit in the dump",
					 key, sphb_opts_get(o, key), i, v);
		if (is64(kind) && !is64(dk) && (get(img, PCI_BAR0 + 4 * i + 4, 4) || c->dump.region[i + 1]))
			return clone_err(m, o, c, "%s=%s: a 64-bit BAR needs slot %u, which is BAR %u of its own in the dump",
					 key, sphb_opts_get(o, key), i + 1, i + 1);
		addr = kind == BAR_IO ? v & ~3ull : v & ~0xfull;
		if (is64(kind))
			addr |= (uint64_t)get(img, PCI_BAR0 + 4 * i + 4, 4) << 32;
		min = kind == BAR_IO ? 4 : 16;
		max = kind == BAR_IO ? 256 : is64(kind) ? 1ull << 62 : 1ull << 31;
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
		const struct sphb_bar *b;

		if (part[i].bir > 5)
			return clone_err(m, o, c, "MSI-X capability at 0x%02x: BIR %u is reserved", at, part[i].bir);
		b = &p->bar[part[i].bir];
		if (!is_mem(b->kind))
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
	c->d->msix_cap = at;
	c->d->msix_vectors = n;
	c->d->msix_bar = tb;
	c->d->msix_table_off = (uint32_t)toff;
	c->d->msix_pba_bar = pb;
	c->d->msix_pba_off = (uint32_t)poff;
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
		if (id == PCI_CAP_ID_PM && !c->d->pm_cap) {
			/* the states sphb_cfg_write() lets the guest reach */
			unsigned st = img[at + 4u] & 3u, pmc = img[at + 3u];
			if ((st == 1 && !(pmc & 0x02)) || (st == 2 && !(pmc & 0x04)))
				return clone_err(m, o, c, "PM capability at 0x%02x: power state D%u, which PMC does not support",
						 at, st);
			c->d->pm_cap = (uint8_t)at;
		} else if (id == PCI_CAP_ID_MSI && !c->d->msi_cap) {
			unsigned ctl = img[at + 2u], mmc = (ctl >> 1) & 7u, mme = (ctl >> 4) & 7u;
			if (mmc > 5)
				return clone_err(m, o, c, "MSI capability at 0x%02x: Multiple Message Capable %u is reserved",
						 at, mmc);
			/* sphb_cfg_write() keeps an enabled MME <= MMC, and MSI
			 * delivery relies on it (at most 32 vectors) */
			if ((ctl & 1) && mme > mmc)
				return clone_err(m, o, c, "MSI capability at 0x%02x: enabled with Multiple Message Enable %u above Capable %u",
						 at, mme, mmc);
			c->d->msi_cap = (uint8_t)at;
			c->d->msi_vectors = 1u << mmc;
		} else if (id == PCI_CAP_ID_MSIX && !c->d->msix_cap) {
			rc = clone_msix(m, o, p, c, (uint8_t)at);
			if (rc)
				return rc;
		} else if (id == PCI_CAP_ID_EXP && !c->d->pcie_cap) {
			c->d->pcie_cap = (uint8_t)at;
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
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ERR && !c->d->aer_cap) {
			if (!in_dump(c, at, 0x1c, PCIE_CFG_SIZE))
				return clone_err(m, o, c, "AER capability at 0x%03x goes beyond the dump", at);
			c->d->aer_cap = (uint16_t)at;
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
		       struct sim_props *p, struct clone *c)
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
	if (given(o, "multifunction"))
		img[PCI_HEADER_TYPE] = (uint8_t)((img[PCI_HEADER_TYPE] & 0x7f) | (p->multifunction ? 0x80 : 0));
	p->multifunction = img[PCI_HEADER_TYPE] & 0x80;
	/* Status.Interrupt reports the INTx the function drives (sphb_lsi_update()
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
static void build_clone(struct sphb_dev *d, const struct clone *c)
{
	memcpy(d->cfg, c->dump.cfg, c->dump.len < d->cfg_size ? c->dump.len : d->cfg_size);
	header_masks(d);
	build_bars(d); /* type bits and size masks; the addresses follow */
	for (unsigned i = 0; i < 6; i++) {
		uint32_t off = PCI_BAR0 + 4 * i;

		if (d->bar[i].kind == BAR_NONE)
			continue;
		put(d->cfg, off, 4, get(d->cfg, off, 4) | (uint32_t)c->addr[i]);
		if (is64(d->bar[i].kind))
			put(d->cfg, off + 4, 4, (uint32_t)(c->addr[i] >> 32));
	}
	if (d->bar[6].kind == BAR_ROM)
		put(d->cfg, PCI_ROM_ADDRESS, 4, (uint32_t)c->addr[6] | (c->dump.cfg[PCI_ROM_ADDRESS] & 1u));
	if (d->pm_cap)
		pm_masks(d, d->pm_cap);
	if (d->msi_cap)
		msi_masks(d, d->msi_cap);
	if (d->msix_cap)
		msix_masks(d, d->msix_cap);
	if (d->pcie_cap)
		pcie_masks(d, d->pcie_cap);
	if (d->aer_cap)
		aer_masks(d, d->aer_cap);
}

static void msix_table_init(struct sphb_dev *d);

int sphb_sim_dev_add(struct sphb_machine *m, struct sphb_opts *o)
{
	struct sim_props p;
	struct sphb_phb *phb;
	struct sphb_dev *d = NULL;
	struct clone *c = NULL;
	const char *path;
	char id[SPHB_ID_MAX];
	uint8_t devfn;
	unsigned slot, fn;
	int rc;

	rc = sphb_opts_id(m, o, id, sizeof(id));
	path = sphb_opts_get(o, "config");
	if (!rc && path) {
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
	if (!rc) {
		d = calloc(1, sizeof(*d));
		rc = d ? 0 : -ENOMEM;
	}
	if (!rc && path) {
		c = calloc(1, sizeof(*c));
		if (!c)
			rc = -ENOMEM;
	}
	if (!rc && c) {
		c->d = d;
		rc = clone_props(m, o, path, &p, c);
	}
	if (!rc)
		rc = sphb_dev_place(m, o, o->type, &phb, &devfn);
	if (!rc)
		rc = sphb_opts_check_unused(m, o);
	if (!rc)
		rc = sphb_id_check(m, o->type, id);
	if (rc)
		goto fail;
	slot = devfn >> 3;
	fn = devfn & 7;
	if (fn && phb->devs[slot << 3] && !phb->devs[slot << 3]->multifunction) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: addr=%s: function 0 of slot %x is not multifunction (give it multifunction=on)",
			 o->type, sphb_opts_get(o, "addr"), slot);
		rc = -EINVAL;
		goto fail;
	}
	if (!fn && !p.multifunction) {
		for (unsigned f = 1; f < 8; f++) {
			if (phb->devs[slot << 3 | f]) {
				sphb_log(m, SPHB_LOG_ERROR,
					 "%s: multifunction=off: slot %x already has function %u, so function 0 needs multifunction=on",
					 o->type, slot, f);
				rc = -EINVAL;
				goto fail;
			}
		}
	}

	d->phb = phb;
	d->kind = DEV_SIM;
	memcpy(d->id, id, sizeof(id));
	d->bus = 0;
	d->devfn = devfn;
	d->iommu_group = p.group == UINT64_MAX ? -1 : (int)p.group;
	d->pcie = p.pcie;
	d->multifunction = p.multifunction;
	d->cfg_size = p.pcie ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	memcpy(d->bar, p.bar, sizeof(d->bar));
	if (p.rom) {
		d->bar[6].kind = BAR_ROM;
		d->bar[6].size = p.rom;
	}
	if (!c) { /* a clone's came from its dump (clone_caps()) */
		d->msi_vectors = (unsigned)p.msi;
		d->msix_vectors = (unsigned)p.msix;
	}
	if (p.msix) {
		d->msix_bar = (unsigned)p.msix_bar;
		d->msix_table_off = 0;
		/* QEMU's layout: the PBA at half the BAR. When that is beyond the
		 * RAM-backed first 1 MiB, the PBA follows the smallest half-size
		 * slot that holds the table instead, so it is always backed. */
		uint64_t half = d->bar[d->msix_bar].size / 2;
		uint64_t pba_len = (p.msix + 63) / 64 * 8;

		if (half + pba_len > SPHB_BAR_BACKING_MAX)
			half = pow2_ceil(p.msix * 16 > 2048 ? p.msix * 16 : 2048); /* need / 2 */
		d->msix_pba_off = (uint32_t)half;
		d->msix_pba_bar = d->msix_bar;
	}
	d->cfg = calloc(4, d->cfg_size);
	if (!d->cfg) {
		rc = -ENOMEM;
		goto fail;
	}
	d->wmask = d->cfg + d->cfg_size;
	d->w1cmask = d->wmask + d->cfg_size;
	d->cfg_init = d->w1cmask + d->cfg_size;
	if (c)
		build_clone(d, c);
	else
		build_config(d, &p);
	free(c);
	memcpy(d->cfg_init, d->cfg, d->cfg_size);
	msix_table_init(d);
	return sphb_dev_link(m, d);
fail:
	free(c);
	free(d);
	return rc;
}

/* Put a new device on its bus (d->phb, d->devfn) and into the machine, and
 * into its PE. On failure the device is freed. */
int sphb_dev_link(struct sphb_machine *m, struct sphb_dev *d)
{
	int rc;

	d->phb->devs[d->devfn] = d;
	d->phb->ndevs++;
	d->next_in_machine = m->devices;
	m->devices = d;
	rc = sphb_eeh_dev_attach(d);
	if (rc) {
		sphb_dev_unlink(d);
		sphb_dev_free(d);
	}
	return rc;
}

/* Take a device off its bus and out of the machine (no EEH bookkeeping). */
void sphb_dev_unlink(struct sphb_dev *d)
{
	struct sphb_machine *m = d->phb->m;
	struct sphb_dev **pp;

	d->phb->devs[d->devfn] = NULL;
	d->phb->ndevs--;
	for (pp = &m->devices; *pp; pp = &(*pp)->next_in_machine) {
		if (*pp == d) {
			*pp = d->next_in_machine;
			break;
		}
	}
}

static uint8_t *bar_mem(struct sphb_bar *b);

/* The 16-byte MSI-X table entry of `vector` in the device's BAR memory. */
uint8_t *sphb_dev_msix_entry(struct sphb_dev *d, unsigned vector)
{
	uint8_t *mem;

	if (vector >= d->msix_vectors)
		return NULL;
	mem = bar_mem(&d->bar[d->msix_bar]);
	return mem ? mem + d->msix_table_off + 16u * vector : NULL;
}

void sphb_dev_msix_pend(struct sphb_dev *d, unsigned vector)
{
	uint8_t *mem = vector < d->msix_vectors ? bar_mem(&d->bar[d->msix_pba_bar]) : NULL;

	if (mem && d->msix_pba_off + vector / 8 < sphb_bar_backing(&d->bar[d->msix_pba_bar]))
		mem[d->msix_pba_off + vector / 8] |= (uint8_t)(1u << (vector % 8));
}

/* QEMU's pre-reset for pass-through devices: MSI-X Enable cleared and the
 * emulated MSI-X state reset, so the guest re-programs it after recovery. */
void sphb_dev_msix_prereset(struct sphb_dev *d)
{
	struct sphb_bar *b;

	if (!d->msix_vectors)
		return;
	d->cfg[d->msix_cap + 3] &= 0x3f; /* Enable and Function Mask */
	/* QEMU's msix_reset(): table and Pending Bit Array contents */
	b = &d->bar[d->msix_bar];
	if (b->mem)
		memset(b->mem + d->msix_table_off, 0, (size_t)d->msix_vectors * 16);
	b = &d->bar[d->msix_pba_bar];
	if (b->mem) {
		uint64_t pba_len = (d->msix_vectors + 63u) / 64u * 8u;
		if (d->msix_pba_off + pba_len <= sphb_bar_backing(b))
			memset(b->mem + d->msix_pba_off, 0, (size_t)pba_len);
	}
	msix_table_init(d);
}

void sphb_dev_free(struct sphb_dev *d)
{
	if (!d)
		return;
#if SPHB_VFIO
	if (d->kind == DEV_VFIO)
		sphb_vfio_dev_free(d);
#endif
	for (unsigned i = 0; i < SPHB_NBARS; i++)
		free(d->bar[i].mem);
	free(d->cfg);
	free(d);
}

/* ---- BAR contents (CPU side) ---- */

static uint8_t *bar_mem(struct sphb_bar *b)
{
	if (!b->mem)
		b->mem = calloc(1, (size_t)sphb_bar_backing(b));
	return b->mem;
}

static void msix_table_init(struct sphb_dev *d)
{
	struct sphb_bar *b;
	uint8_t *mem;

	if (!d->msix_vectors)
		return;
	b = &d->bar[d->msix_bar];
	mem = bar_mem(b);
	if (!mem)
		return; /* allocation failure: table reads as zero, still safe */
	/* PCI: every vector comes out of reset masked (Vector Control bit 0). */
	for (unsigned v = 0; v < d->msix_vectors; v++)
		mem[d->msix_table_off + v * 16 + 12] = 1;
}

void sphb_dev_reset(struct sphb_dev *d)
{
	if (d->kind != DEV_SIM)
		return; /* a pass-through function is reset by the host */
	memcpy(d->cfg, d->cfg_init, d->cfg_size);
	d->intx = false; /* a reset function stops driving INTx */
	sphb_lsi_update(d);
	for (unsigned i = 0; i < SPHB_NBARS; i++)
		if (d->bar[i].mem)
			memset(d->bar[i].mem, 0, (size_t)sphb_bar_backing(&d->bar[i]));
	msix_table_init(d);
}

/* Does the device currently decode accesses to this BAR? */
static bool bar_decodes(const struct sphb_dev *d, unsigned bar)
{
	uint16_t cmd = (uint16_t)(d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8);

	switch (d->bar[bar].kind) {
	case BAR_NONE:
		return false;
	case BAR_IO:
		return cmd & PCI_COMMAND_IO;
	case BAR_ROM:
		return (cmd & PCI_COMMAND_MEMORY) && (d->cfg[PCI_ROM_ADDRESS] & 1);
	default:
		return cmd & PCI_COMMAND_MEMORY;
	}
}

static int mmio_check(struct sphb_machine *m, const char *dev_id, unsigned bar,
		      uint64_t offset, unsigned size, struct sphb_dev **out)
{
	struct sphb_dev *d;

	if (!m || !dev_id)
		return -EINVAL;
	d = sphb_dev_by_id(m, dev_id);
	if (!d || d->kind != DEV_SIM)
		return -ENOENT;
	if (bar >= SPHB_NBARS || (size != 1 && size != 2 && size != 4 && size != 8) ||
	    (offset & (size - 1)))
		return -EINVAL;
	*out = d;
	return 0;
}

SPHB_API int sphb_mmio_read(struct sphb_machine *m, const char *dev_id,
			    unsigned bar, uint64_t offset, unsigned size,
			    uint64_t *val)
{
	struct sphb_dev *d;
	struct sphb_bar *b;
	uint8_t *mem;
	uint64_t v = 0;
	int rc = mmio_check(m, dev_id, bar, offset, size, &d);

	if (rc)
		return rc;
	if (!val)
		return -EINVAL;
	b = &d->bar[bar];
	if (!bar_decodes(d, bar) && b->kind != BAR_NONE)
		sphb_eeh_dev_error(d); /* a master abort freezes an EEH-capable PE */
	if (!bar_decodes(d, bar) || offset >= b->size || b->size - offset < size ||
	    sphb_dev_mmio_stopped(d)) {
		*val = size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
		return 0;
	}
	if (offset < sphb_bar_backing(b)) {
		mem = bar_mem(b);
		if (!mem)
			return -ENOMEM;
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)mem[offset + i] << (8 * i);
	}
	*val = v;
	return 0;
}

SPHB_API int sphb_mmio_write(struct sphb_machine *m, const char *dev_id,
			     unsigned bar, uint64_t offset, unsigned size,
			     uint64_t val)
{
	struct sphb_dev *d;
	struct sphb_bar *b;
	uint8_t *mem;
	int rc = mmio_check(m, dev_id, bar, offset, size, &d);

	if (rc)
		return rc;
	b = &d->bar[bar];
	if (!bar_decodes(d, bar) || offset >= b->size || b->size - offset < size ||
	    offset >= sphb_bar_backing(b) || bar == 6 /* ROM is read-only */ ||
	    sphb_dev_mmio_stopped(d))
		return 0;
	if (d->msix_vectors && bar == d->msix_pba_bar && offset >= d->msix_pba_off &&
	    offset < d->msix_pba_off + (d->msix_vectors + 63) / 64 * 8)
		return 0; /* the Pending Bit Array is read-only */
	mem = bar_mem(b);
	if (!mem)
		return -ENOMEM;
	for (unsigned i = 0; i < size; i++)
		mem[offset + i] = (uint8_t)(val >> (8 * i));
	return 0;
}
