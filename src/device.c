/* Simulated PCI functions: a type-0 configuration space with read-only,
 * read-write and write-1-to-clear bits, BAR sizing, an expansion ROM, and a
 * capability list (PCIe + AER, MSI, MSI-X). SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "backend/vfio.h"

/* ---- little-endian field setters for the three parallel images ---- */

static void put(uint8_t *img, uint32_t off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* value, writable mask, write-1-to-clear mask */
static void reg(struct sphb_dev *d, uint32_t off, unsigned size, uint32_t val,
		uint32_t wmask, uint32_t w1c)
{
	put(d->cfg, off, size, val);
	put(d->wmask, off, size, wmask);
	put(d->w1cmask, off, size, w1c);
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
	for (unsigned i = 0; i < size; i++) {
		uint32_t a = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		d->cfg[a] = (uint8_t)((d->cfg[a] & ~d->wmask[a]) | (b & d->wmask[a]));
		d->cfg[a] = (uint8_t)(d->cfg[a] & ~(b & d->w1cmask[a]));
	}
	/* QEMU's msi_write_config(): after a write that overlaps the MSI
	 * capability (0xe bytes: 64-bit, no per-vector masking), if MSI is
	 * enabled, Multiple Message Enable is clamped to Multiple Message
	 * Capable. A disabled capability keeps whatever was written. */
	if (d->msi_vectors && off < d->msi_cap + 0xeu && off + size > d->msi_cap) {
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

static void build_caps(struct sphb_dev *d)
{
	uint8_t off = 0x40;
	uint8_t *link = &d->cfg[PCI_CAPABILITY_LIST];

	if (d->pcie) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_EXP, 0x3c);
		d->pcie_cap = c;
		reg(d, c + 2u, 2, 0x0002, 0, 0);		/* v2, endpoint */
		reg(d, c + 4u, 4, 0x00008000, 0, 0);		/* role-based errors */
		reg(d, c + 8u, 2, 0x2810, 0x7fff, 0);		/* device control */
		reg(d, c + 0xau, 2, 0, 0, 0x000f);		/* device status */
		reg(d, c + 0xcu, 4, 0x00000011, 0, 0);		/* 2.5 GT/s x1 */
		reg(d, c + 0x10u, 2, 0, 0x01c3, 0);		/* link control */
		reg(d, c + 0x12u, 2, 0x0011, 0, 0);		/* link status */
		link = &d->cfg[c + 1];
		/* AER extended capability at 0x100, the only one */
		d->aer_cap = 0x100;
		reg(d, 0x100, 4, PCI_EXT_CAP_ID_ERR | (2u << 16), 0, 0);
		reg(d, 0x104, 4, 0, 0, 0x03fff030);		/* uncorrectable status */
		reg(d, 0x108, 4, 0, 0x03fff030, 0);		/* uncorrectable mask */
		reg(d, 0x10c, 4, 0x00462030, 0x03fff030, 0);	/* severity */
		reg(d, 0x110, 4, 0, 0, 0x0000f1c1);		/* correctable status */
		reg(d, 0x114, 4, 0x0000e000, 0x0000f1c1, 0);	/* correctable mask (PCIe default) */
	}
	if (d->msi_vectors) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSI, 0x14);
		unsigned mmc = 0;
		while ((1u << mmc) < d->msi_vectors)
			mmc++;
		d->msi_cap = c;
		reg(d, c + 2u, 2, 0x0080 | (mmc << 1), 0x0071, 0);	/* 64-bit */
		reg(d, c + 4u, 4, 0, 0xfffffffc, 0);
		reg(d, c + 8u, 4, 0, 0xffffffff, 0);
		reg(d, c + 0xcu, 2, 0, 0xffff, 0);
		link = &d->cfg[c + 1];
	}
	if (d->msix_vectors) {
		uint8_t c = add_cap(d, link, &off, PCI_CAP_ID_MSIX, 0x0c);
		d->msix_cap = c;
		reg(d, c + 2u, 2, d->msix_vectors - 1, 0xc000, 0);
		reg(d, c + 4u, 4, d->msix_table_off | d->msix_bar, 0, 0);
		reg(d, c + 8u, 4, d->msix_pba_off | d->msix_bar, 0, 0);
	}
	if (d->cfg[PCI_CAPABILITY_LIST])
		d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
}

static void build_config(struct sphb_dev *d, const struct sim_props *p)
{
	reg(d, PCI_VENDOR_ID, 2, (uint32_t)p->vendor, 0, 0);
	reg(d, 0x02, 2, (uint32_t)p->device, 0, 0);
	reg(d, PCI_COMMAND, 2, 0, 0x0507, 0);		/* IO MEM MASTER SERR INTX-DIS */
	reg(d, PCI_STATUS, 2, 0, 0, 0xf900);		/* error bits are RW1C */
	reg(d, PCI_REVISION_ID, 4, (uint32_t)(p->class_code << 8 | p->rev), 0, 0);
	reg(d, 0x0c, 1, 0, 0xff, 0);			/* cache line size */
	reg(d, PCI_HEADER_TYPE, 1, p->multifunction ? 0x80 : 0x00, 0, 0);
	reg(d, PCI_SUBSYSTEM_VENDOR_ID, 4, (uint32_t)(p->ssid << 16 | p->ssvid), 0, 0);
	reg(d, PCI_INTERRUPT_LINE, 1, 0, 0xff, 0);
	reg(d, PCI_INTERRUPT_PIN, 1, 1, 0, 0);		/* INTA */
	build_bars(d);
	build_caps(d);
}

static void msix_table_init(struct sphb_dev *d);

int sphb_sim_dev_add(struct sphb_machine *m, struct sphb_opts *o)
{
	struct sim_props p;
	struct sphb_phb *phb;
	struct sphb_dev *d;
	char id[SPHB_ID_MAX];
	uint8_t devfn;
	unsigned slot, fn;
	int rc;

	rc = sphb_opts_id(m, o, id, sizeof(id));
	if (!rc)
		rc = sim_props(m, o, &p);
	if (!rc)
		rc = sphb_dev_place(m, o, o->type, &phb, &devfn);
	if (!rc)
		rc = sphb_opts_check_unused(m, o);
	if (rc)
		return rc;
	rc = sphb_id_check(m, o->type, id);
	if (rc)
		return rc;
	slot = devfn >> 3;
	fn = devfn & 7;
	if (fn && phb->devs[slot << 3] && !phb->devs[slot << 3]->multifunction) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "%s: addr=%s: function 0 of slot %x is not multifunction (give it multifunction=on)",
			 o->type, sphb_opts_get(o, "addr"), slot);
		return -EINVAL;
	}
	if (!fn && !p.multifunction) {
		for (unsigned f = 1; f < 8; f++) {
			if (phb->devs[slot << 3 | f]) {
				sphb_log(m, SPHB_LOG_ERROR,
					 "%s: multifunction=off: slot %x already has function %u, so function 0 needs multifunction=on",
					 o->type, slot, f);
				return -EINVAL;
			}
		}
	}

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
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
	d->msi_vectors = (unsigned)p.msi;
	d->msix_vectors = (unsigned)p.msix;
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
	}
	d->cfg = calloc(4, d->cfg_size);
	if (!d->cfg) {
		free(d);
		return -ENOMEM;
	}
	d->wmask = d->cfg + d->cfg_size;
	d->w1cmask = d->wmask + d->cfg_size;
	d->cfg_init = d->w1cmask + d->cfg_size;
	build_config(d, &p);
	memcpy(d->cfg_init, d->cfg, d->cfg_size);
	msix_table_init(d);
	return sphb_dev_link(m, d);
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
static uint64_t backing_size(const struct sphb_bar *b);

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
	uint8_t *mem = vector < d->msix_vectors ? bar_mem(&d->bar[d->msix_bar]) : NULL;

	if (mem && d->msix_pba_off + vector / 8 < backing_size(&d->bar[d->msix_bar]))
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
	b = &d->bar[d->msix_bar];
	if (b->mem) {
		/* QEMU's msix_reset(): table and Pending Bit Array contents */
		uint64_t pba_len = (d->msix_vectors + 63u) / 64u * 8u;
		memset(b->mem + d->msix_table_off, 0, (size_t)d->msix_vectors * 16);
		if (d->msix_pba_off + pba_len <= backing_size(b))
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

static uint64_t backing_size(const struct sphb_bar *b)
{
	return b->size < SPHB_BAR_BACKING_MAX ? b->size : SPHB_BAR_BACKING_MAX;
}

static uint8_t *bar_mem(struct sphb_bar *b)
{
	if (!b->mem)
		b->mem = calloc(1, (size_t)backing_size(b));
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
			memset(d->bar[i].mem, 0, (size_t)backing_size(&d->bar[i]));
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
	if (offset < backing_size(b)) {
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
	    offset >= backing_size(b) || bar == 6 /* ROM is read-only */ ||
	    sphb_dev_mmio_stopped(d))
		return 0;
	if (d->msix_vectors && bar == d->msix_bar && offset >= d->msix_pba_off &&
	    offset < d->msix_pba_off + (d->msix_vectors + 63) / 64 * 8)
		return 0; /* the Pending Bit Array is read-only */
	mem = bar_mem(b);
	if (!mem)
		return -ENOMEM;
	for (unsigned i = 0; i < size; i++)
		mem[offset + i] = (uint8_t)(val >> (8 * i));
	return 0;
}
