/* What every PCI function has in common, whatever its kind: probing its
 * configuration space (BARs, interrupt pin, capabilities) as firmware does,
 * the decode state of its BARs (from the config writes the PHB forwards),
 * the guest physical ranges a VMM may map, and MSI/MSI-X programming.
 * Everything goes through the kind's operations; the PHB only through the
 * callbacks it installed (f->bus_ops). SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "internal.h"

void sphb_func_init(struct sphb_func *f, const struct sphb_func_kind *kind, struct sphb_machine *m,
		    const char *type)
{
	f->kind = kind;
	f->m = m;
	f->iommu_group = -1;
	f->cfg_size = PCI_CFG_SIZE;
	snprintf(f->type, sizeof(f->type), "%s", type);
}

static uint32_t rd(struct sphb_func *f, uint32_t off, unsigned size)
{
	return f->kind->cfg_read(f, off, size);
}

static void wr(struct sphb_func *f, uint32_t off, unsigned size, uint32_t v)
{
	f->kind->cfg_write(f, off, size, v);
}

/* the function of id `id` in the machine, or NULL */
struct sphb_func *sphb_func_by_id(const struct sphb_machine *m, const char *id)
{
	for (struct sphb_func *f = m->funcs; f; f = f->next_in_machine)
		if (f->id[0] && !strcmp(f->id, id))
			return f;
	return NULL;
}

/* ---- probing ---- */

static int probe_err(struct sphb_func *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int probe_err(struct sphb_func *f, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sphb_log(f->m, SPHB_LOG_ERROR, "%s%s%s: configuration space: %s", f->type, f->id[0] ? " " : "",
		 f->id, why);
	return -EINVAL;
}

/* The lowest set bit of the writable address bits: the BAR's size. */
static uint64_t size_of(uint64_t mask)
{
	return mask & (~mask + 1);
}

/* Size the BARs as firmware does (PCI Local Bus 3.0 6.2.5.1): with decoding
 * off, write all-ones to each register, read the writable bits back,
 * restore the register. */
static void size_bars(struct sphb_func *f)
{
	uint16_t cmd = (uint16_t)rd(f, PCI_COMMAND, 2);

	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		wr(f, PCI_COMMAND, 2, cmd & (uint16_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned i = 0; i < 6; i++) {
		uint32_t off = PCI_BAR0 + 4 * i, orig = rd(f, off, 4), m, hi = 0;
		struct sphb_func_bar *b = &f->bar[i];

		wr(f, off, 4, 0xffffffffu);
		m = rd(f, off, 4);
		wr(f, off, 4, orig);
		if (!m)
			continue;
		if (m & 1) {
			b->kind = BAR_IO;
			b->size = size_of(m & 0xfffffffcu);
		} else if (((m >> 1) & 3) == 2 && i < 5) {
			uint32_t orig_hi = rd(f, off + 4, 4);
			wr(f, off + 4, 4, 0xffffffffu);
			hi = rd(f, off + 4, 4);
			wr(f, off + 4, 4, orig_hi);
			b->kind = m & 8 ? BAR_MEM64_PREF : BAR_MEM64;
			b->size = size_of((uint64_t)hi << 32 | (m & 0xfffffff0u));
			i++; /* the upper half */
		} else {
			b->kind = m & 8 ? BAR_MEM32_PREF : BAR_MEM32;
			b->size = size_of(m & 0xfffffff0u);
		}
		if (!b->size)
			b->kind = BAR_NONE; /* no writable address bit: not a BAR */
	}
	{
		uint32_t orig = rd(f, PCI_ROM_ADDRESS, 4), m;

		wr(f, PCI_ROM_ADDRESS, 4, 0xfffff800u);
		m = rd(f, PCI_ROM_ADDRESS, 4);
		wr(f, PCI_ROM_ADDRESS, 4, orig);
		if (m & 0xfffff800u) {
			f->bar[6].kind = BAR_ROM;
			f->bar[6].size = size_of(m & 0xfffff800u);
		}
	}
	if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
		wr(f, PCI_COMMAND, 2, cmd);
}

static int probe_msix(struct sphb_func *f, unsigned at)
{
	uint32_t tbl = rd(f, at + 4u, 4), pba = rd(f, at + 8u, 4);
	unsigned n = (rd(f, at + 2u, 2) & 0x7ffu) + 1u;
	uint64_t tlen = 16ull * n, plen = (n + 63u) / 64u * 8u;
	const struct { const char *what; unsigned bir; uint64_t off, len; } part[2] = {
		{ "table", tbl & 7u, tbl & ~7u, tlen }, { "PBA", pba & 7u, pba & ~7u, plen } };

	for (unsigned i = 0; i < 2; i++) {
		const struct sphb_func_bar *b;

		if (part[i].bir > 5)
			return probe_err(f, "MSI-X capability at 0x%02x: BIR %u is reserved", at, part[i].bir);
		b = &f->bar[part[i].bir];
		if (!bar_is_mem(b->kind) || b->kind == BAR_ROM)
			return probe_err(f, "MSI-X capability at 0x%02x: its %s is in BAR %u, which is not a memory BAR",
					 at, part[i].what, part[i].bir);
		if (part[i].off + part[i].len > b->size)
			return probe_err(f, "MSI-X capability at 0x%02x: the %s (offset 0x%llx) does not fit in BAR %u (0x%llx bytes)",
					 at, part[i].what, (unsigned long long)part[i].off, part[i].bir,
					 (unsigned long long)b->size);
	}
	f->msix_cap = (uint8_t)at;
	f->msix_vectors = n;
	f->msix_bar = tbl & 7u;
	f->msix_table_off = tbl & ~7u;
	f->msix_pba_bar = pba & 7u;
	f->msix_pba_off = pba & ~7u;
	return 0;
}

static int probe_caps(struct sphb_func *f)
{
	uint64_t seen = 0;
	unsigned at, n = 0;
	int rc;

	if (!(rd(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (at = rd(f, PCI_CAPABILITY_LIST, 1) & 0xfcu; at; at = rd(f, at + 1u, 1) & 0xfcu) {
		unsigned id;

		if (at < 0x40 || n++ > 48)
			return probe_err(f, "capability pointer 0x%02x is invalid", at);
		if (seen >> ((at >> 2) - 16) & 1)
			return probe_err(f, "the capability list loops back to 0x%02x", at);
		seen |= 1ull << ((at >> 2) - 16);
		id = rd(f, at, 1);
		if (id == PCI_CAP_ID_PM && !f->pm_cap) {
			f->pm_cap = (uint8_t)at;
		} else if (id == PCI_CAP_ID_MSI && !f->msi_cap) {
			uint16_t ctl = (uint16_t)rd(f, at + 2u, 2);
			unsigned mmc = (ctl >> 1) & 7u;

			if (mmc > 5)
				return probe_err(f, "MSI capability at 0x%02x: Multiple Message Capable %u is reserved",
						 at, mmc);
			if (at + msi_cap_len(ctl) > PCI_CFG_SIZE)
				return probe_err(f, "MSI capability at 0x%02x goes beyond 0xff", at);
			f->msi_cap = (uint8_t)at;
			f->msi_vectors = 1u << mmc;
		} else if (id == PCI_CAP_ID_MSIX && !f->msix_cap) {
			if (at + 12u > PCI_CFG_SIZE)
				return probe_err(f, "MSI-X capability at 0x%02x goes beyond 0xff", at);
			rc = probe_msix(f, at);
			if (rc)
				return rc;
		} else if (id == PCI_CAP_ID_EXP && !f->pcie_cap) {
			f->pcie_cap = (uint8_t)at;
		}
	}
	return 0;
}

static void probe_ext_caps(struct sphb_func *f)
{
	unsigned at = PCI_CFG_SIZE, n = 0;

	while (at >= PCI_CFG_SIZE && at + 4 <= f->cfg_size && n++ < (PCIE_CFG_SIZE - PCI_CFG_SIZE) / 8) {
		uint32_t hdr = rd(f, at, 4);

		if (hdr == 0 || hdr == 0xffffffffu)
			return;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_ERR && !f->aer_cap && at + 0x2c <= f->cfg_size)
			f->aer_cap = (uint16_t)at;
		if ((hdr >> 20) <= at)
			return; /* the list goes forward only */
		at = (hdr >> 20) & ~3u;
	}
}

int sphb_func_probe(struct sphb_func *f)
{
	uint8_t pin = (uint8_t)rd(f, PCI_INTERRUPT_PIN, 1);
	int rc;

	f->intx_pin = pin >= 1 && pin <= 4 ? pin : 0;
	f->msi_cap = f->msix_cap = f->pcie_cap = f->pm_cap = 0;
	f->aer_cap = 0;
	f->msi_vectors = f->msix_vectors = 0;
	if (!f->bars_known)
		size_bars(f);
	rc = probe_caps(f);
	if (rc)
		return rc;
	if (f->cfg_size == 0) /* the kind leaves it to the capability list */
		f->cfg_size = f->pcie_cap ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	f->pcie = f->cfg_size == PCIE_CFG_SIZE;
	if (f->pcie)
		probe_ext_caps(f);
	sphb_func_decode_refresh(f);
	return 0;
}

/* ---- decode state ---- */

static bool decode_regs(uint32_t off, unsigned size)
{
	uint32_t end = off + size;

	return (off < PCI_COMMAND + 1 && end > PCI_COMMAND) ||	/* Command IO/Memory: byte 0 */
	       (off < PCI_BAR0 + 24 && end > PCI_BAR0) ||
	       (off < PCI_ROM_ADDRESS + 4 && end > PCI_ROM_ADDRESS);
}

void sphb_func_decode_refresh(struct sphb_func *f)
{
	uint16_t cmd = (uint16_t)rd(f, PCI_COMMAND, 2);
	bool changed = (cmd ^ f->command) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	f->command = cmd;
	for (unsigned i = 0; i < SPHB_NBARS; i++) {
		struct sphb_func_bar *b = &f->bar[i];
		uint64_t addr;
		uint32_t v;
		bool en;

		if (b->kind == BAR_NONE)
			continue;
		if (i == 6) {
			v = rd(f, PCI_ROM_ADDRESS, 4);
			addr = v & 0xfffff800u;
			en = (cmd & PCI_COMMAND_MEMORY) && (v & 1);
		} else if (b->kind == BAR_IO) {
			addr = rd(f, PCI_BAR0 + 4 * i, 4) & 0xfffffffcu;
			en = cmd & PCI_COMMAND_IO;
		} else {
			addr = rd(f, PCI_BAR0 + 4 * i, 4) & 0xfffffff0u;
			if (bar_is64(b->kind))
				addr |= (uint64_t)rd(f, PCI_BAR0 + 4 * i + 4, 4) << 32;
			en = cmd & PCI_COMMAND_MEMORY;
		}
		addr &= ~(b->size - 1); /* bits below the size read as zero */
		if (addr != b->addr || en != b->enabled) {
			b->addr = addr;
			b->enabled = en;
			changed = true;
		}
	}
	if (changed && f->bus_ops) {
		f->bus_ops->decode(f);
		sphb_func_maps_update(f, false);
	}
}

void sphb_func_maps_update(struct sphb_func *f, bool gone)
{
	for (unsigned i = 0; i < SPHB_NBARS; i++) {
		struct sphb_func_bar *b = &f->bar[i];
		uint64_t gpa = 0, size = 0;

		if (b->kind == BAR_NONE)
			continue;
		if (!gone && b->enabled && !sphb_func_mmio_stopped(f) && f->bus_ops &&
		    f->bus_ops->bus_to_gpa(f, (enum sphb_bar_kind)b->kind, b->addr, b->size, &gpa))
			size = b->size;
		if (size == b->map_size && (!size || gpa == b->map_gpa))
			continue;
		b->map_gpa = size ? gpa : 0;
		b->map_size = size;
		if (f->kind->bar_map)
			f->kind->bar_map(f, i, b->map_gpa, size);
	}
}

/* ---- access ---- */

uint32_t sphb_func_cfg_read(struct sphb_func *f, uint32_t off, unsigned size)
{
	return rd(f, off, size);
}

void sphb_func_cfg_write(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val)
{
	wr(f, off, size, val);
	if (decode_regs(off, size))
		sphb_func_decode_refresh(f);
}

void sphb_func_reset(struct sphb_func *f, enum sphb_reset_kind kind)
{
	f->kind->reset(f, kind);
	sphb_func_decode_refresh(f);
}

void sphb_func_free(struct sphb_func *f)
{
	if (f) {
		free(f->desc);
		f->kind->free(f);
	}
}

/* ---- MSI and MSI-X messages (PCI Local Bus 3.0 6.8.1, 6.8.2) ---- */

void sphb_func_msi_program(struct sphb_func *f, uint64_t addr, uint32_t data)
{
	uint16_t ctl = (uint16_t)rd(f, f->msi_cap + 2u, 2);

	wr(f, f->msi_cap + 4u, 4, (uint32_t)addr);
	if (ctl & 0x80)
		wr(f, f->msi_cap + 8u, 4, (uint32_t)(addr >> 32));
	wr(f, msi_data_off(f->msi_cap, ctl), 2, data & 0xffff);
}

/* MSI Multiple Message Enable (control bits 6:4): log2 of the vectors the
 * function may send, the smallest power of two >= `vectors` (PCI Local Bus
 * 3.0 6.8.1.3), never above Multiple Message Capable */
void sphb_func_msi_enable_vectors(struct sphb_func *f, unsigned vectors)
{
	uint32_t ctl = rd(f, f->msi_cap + 2u, 2), mme = 0;

	while ((1u << mme) < vectors && mme < ((ctl >> 1) & 7))
		mme++;
	wr(f, f->msi_cap + 2u, 2, (ctl & ~0x70u) | mme << 4);
}

unsigned sphb_func_msi_enabled_vectors(struct sphb_func *f)
{
	return 1u << ((rd(f, f->msi_cap + 2u, 2) >> 4) & 7);
}

int sphb_func_msix_program(struct sphb_func *f, unsigned vector, uint64_t addr, uint32_t data)
{
	uint64_t e = f->msix_table_off + 16ull * vector;
	int rc;

	if (vector >= f->msix_vectors || !f->kind->bar_write)
		return -ERANGE;
	rc = f->kind->bar_write(f, f->msix_bar, e, 4, (uint32_t)addr);
	if (!rc)
		rc = f->kind->bar_write(f, f->msix_bar, e + 4, 4, addr >> 32);
	if (!rc)
		rc = f->kind->bar_write(f, f->msix_bar, e + 8, 4, data);
	return rc;
}

void sphb_func_msix_prereset(struct sphb_func *f)
{
	if (!f->msix_vectors)
		return;
	wr(f, f->msix_cap + 2u, 2, rd(f, f->msix_cap + 2u, 2) & 0x3fffu);
	if (f->kind->msix_reset)
		f->kind->msix_reset(f);
}
