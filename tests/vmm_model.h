/* A VMM's own PCI function, as a VMM would write one for sphb_func_add():
 * its configuration space (type-0 header, BARs sized by their writable
 * bits, an optional MSI, MSI-X and PCI Express capability), RAM-like BAR
 * contents, reset, and a record of every callback the library made, so tests
 * can see what the library did to the function. Written from the PCI Local
 * Bus 3.0 and PCI Express rules, independently of the library's sim-pci.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_TEST_VMM_MODEL_H
#define SPHB_TEST_VMM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sphb/sphb.h"

#define VM_BAR_BYTES 0x2000u	/* contents kept for the first 8 KiB of a BAR */

struct vm_bar {
	char kind;		/* 0 none, 'i' I/O, 'm' mem32, 'M' mem64, 'p' mem64 prefetchable */
	uint64_t size;
};

struct vm_map {
	unsigned bar;
	uint64_t gpa, size;
};

struct vm_func {
	uint8_t cfg[4096], init[4096], wmask[4096];
	uint32_t cfg_size;
	uint8_t mem[7][VM_BAR_BYTES];
	struct vm_bar bar[7];	/* 6 = ROM (kind 'r') */
	uint8_t msi_cap, msix_cap, pcie_cap;
	unsigned msix_vectors;
	/* what the library did */
	unsigned cfg_reads, cfg_writes, bar_reads, bar_writes, resets, released;
	enum sphb_reset_kind last_reset;
	struct vm_map maps[64];
	unsigned nmaps;
	/* misbehaviour to inject */
	int bar_rc;		/* bar_read/bar_write return this when non-zero */
	struct sphb_machine *reenter;	/* call back into this machine from callbacks */
	int reentry_rc;		/* what that call answered */
	struct sphb_func *self;	/* sphb_func_intx from a BAR write at offset 0x40 */
	uint64_t last_write_off;
	uint64_t last_write_val;
};

static inline void vm_put(uint8_t *p, uint32_t off, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t vm_get(const uint8_t *p, uint32_t off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

/*
 * Build a function: vendor/device, class, BARs (bars[0..5], rom: size of the
 * expansion ROM or 0), MSI with `msi` vectors (0: none), MSI-X with `msix`
 * vectors in BAR `msix_bar` (table at 0, PBA at 0x800), PCI Express
 * capability when pcie.
 */
static inline void vm_build(struct vm_func *v, uint16_t vendor, uint16_t device, uint32_t class_code,
			    const struct vm_bar bars[6], uint64_t rom, unsigned msi, unsigned msix,
			    unsigned msix_bar, bool pcie)
{
	uint8_t at = 0x40, *link = &v->cfg[0x34];

	memset(v, 0, sizeof(*v));
	v->cfg_size = pcie ? 4096 : 256;
	vm_put(v->cfg, 0x00, 2, vendor);
	vm_put(v->cfg, 0x02, 2, device);
	vm_put(v->cfg, 0x08, 4, class_code << 8 | 1);
	v->cfg[0x3d] = 1;				/* INTA */
	vm_put(v->wmask, 0x04, 2, 0x0507);		/* I/O, Memory, Bus Master, SERR, INTx Disable */
	v->wmask[0x0c] = 0xff;
	v->wmask[0x3c] = 0xff;
	for (unsigned i = 0; i < 6; i++) {
		uint64_t m;

		v->bar[i] = bars[i];
		if (!bars[i].kind)
			continue;
		m = ~(bars[i].size - 1);
		if (bars[i].kind == 'i') {
			v->cfg[0x10 + 4 * i] = 1;
			vm_put(v->wmask, 0x10 + 4 * i, 4, m & 0xfffffffcu);
		} else if (bars[i].kind == 'm') {
			vm_put(v->wmask, 0x10 + 4 * i, 4, m & 0xfffffff0u);
		} else {
			v->cfg[0x10 + 4 * i] = bars[i].kind == 'p' ? 0x0c : 0x04;
			vm_put(v->wmask, 0x10 + 4 * i, 4, m & 0xfffffff0u);
			vm_put(v->wmask, 0x14 + 4 * i, 4, m >> 32);
			i++;
		}
	}
	if (rom) {
		v->bar[6].kind = 'r';
		v->bar[6].size = rom;
		vm_put(v->wmask, 0x30, 4, (~(rom - 1) & 0xfffff800u) | 1);
	}
	if (pcie) {
		v->pcie_cap = at;
		v->cfg[at] = 0x10;
		vm_put(v->cfg, at + 2, 2, 0x0002);	/* v2 endpoint */
		*link = at;
		link = &v->cfg[at + 1];
		at = (uint8_t)(at + 0x40);
	}
	if (msi) {
		unsigned mmc = 0;
		while ((1u << mmc) < msi)
			mmc++;
		v->msi_cap = at;
		v->cfg[at] = 0x05;
		vm_put(v->cfg, at + 2, 2, 0x0080 | mmc << 1);	/* 64-bit */
		vm_put(v->wmask, at + 2, 2, 0x0071);
		vm_put(v->wmask, at + 4, 4, 0xfffffffc);
		vm_put(v->wmask, at + 8, 4, 0xffffffff);
		vm_put(v->wmask, at + 12, 2, 0xffff);
		*link = at;
		link = &v->cfg[at + 1];
		at = (uint8_t)(at + 0x18);
	}
	if (msix) {
		v->msix_cap = at;
		v->msix_vectors = msix;
		v->cfg[at] = 0x11;
		vm_put(v->cfg, at + 2, 2, msix - 1);
		vm_put(v->cfg, at + 4, 4, msix_bar);
		vm_put(v->cfg, at + 8, 4, 0x800 | msix_bar);
		vm_put(v->wmask, at + 2, 2, 0xc000);
		*link = at;
		for (unsigned k = 0; k < msix; k++)
			v->mem[msix_bar][16 * k + 12] = 1; /* vectors start masked */
	}
	if (v->cfg[0x34])
		v->cfg[0x06] |= 0x10;
	memcpy(v->init, v->cfg, sizeof(v->cfg));
}

static inline uint32_t vm_cfg_read(void *opaque, uint32_t off, unsigned size)
{
	struct vm_func *v = opaque;

	v->cfg_reads++;
	return (uint32_t)vm_get(v->cfg, off, size);
}

static inline void vm_cfg_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	struct vm_func *v = opaque;

	v->cfg_writes++;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i)), m = v->wmask[off + i];
		v->cfg[off + i] = (uint8_t)((v->cfg[off + i] & ~m) | (b & m));
	}
	if (v->reenter)
		v->reentry_rc = sphb_machine_reset(v->reenter);
}

static inline int vm_bar_read(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct vm_func *v = opaque;

	v->bar_reads++;
	if (v->bar_rc)
		return v->bar_rc;
	*val = off + size <= VM_BAR_BYTES ? vm_get(v->mem[bar], (uint32_t)off, size) : 0;
	return 0;
}

static inline int vm_bar_write(void *opaque, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct vm_func *v = opaque;

	v->bar_writes++;
	v->last_write_off = off;
	v->last_write_val = val;
	if (v->bar_rc)
		return v->bar_rc;
	if (off + size <= VM_BAR_BYTES)
		vm_put(v->mem[bar], (uint32_t)off, size, val);
	if (v->self && off == 0x40) /* a doorbell: raise INTx from the callback */
		(void)sphb_func_intx(v->self, (int)(val & 1));
	return 0;
}

static inline void vm_reset(void *opaque, enum sphb_reset_kind kind)
{
	struct vm_func *v = opaque;

	v->resets++;
	v->last_reset = kind;
	memcpy(v->cfg, v->init, sizeof(v->cfg));
	for (unsigned b = 0; b < 7; b++)
		memset(v->mem[b], 0, VM_BAR_BYTES);
	for (unsigned k = 0; k < v->msix_vectors; k++)
		v->mem[vm_get(v->cfg, v->msix_cap + 4u, 4) & 7][16 * k + 12] = 1;
}

static inline void vm_bar_map(void *opaque, unsigned bar, uint64_t gpa, uint64_t size)
{
	struct vm_func *v = opaque;

	if (v->nmaps < sizeof(v->maps) / sizeof(v->maps[0])) {
		v->maps[v->nmaps].bar = bar;
		v->maps[v->nmaps].gpa = gpa;
		v->maps[v->nmaps].size = size;
		v->nmaps++;
	}
}

static inline void vm_release(void *opaque)
{
	struct vm_func *v = opaque;

	v->released++;
}

static inline struct sphb_func_ops vm_ops(void)
{
	struct sphb_func_ops o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.cfg_read = vm_cfg_read;
	o.cfg_write = vm_cfg_write;
	o.bar_read = vm_bar_read;
	o.bar_write = vm_bar_write;
	o.reset = vm_reset;
	o.bar_map = vm_bar_map;
	o.release = vm_release;
	return o;
}

/* The last range reported for `bar` (size 0: gone, or never reported). */
static inline struct vm_map vm_last_map(const struct vm_func *v, unsigned bar)
{
	struct vm_map none = { bar, 0, 0 };

	for (unsigned i = v->nmaps; i-- > 0;)
		if (v->maps[i].bar == bar)
			return v->maps[i];
	return none;
}

#endif
