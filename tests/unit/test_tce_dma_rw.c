/* Device-side DMA through a handle (sphb_dma_read/write/extent): bytes move
 * page by page through the TCE windows with the permission each needs (PAPR
 * 14.5.4.2: TCE bit 0 lets the device read memory, bit 1 write it), a fault
 * moves nothing, a DMA-stopped PE moves nothing and sends no MSI, and a
 * 4-byte write into the MSI window is an MSI of the requester's own
 * interrupts (QEMU 7.2 spapr_msi_write(): the data is the number).
 * SPDX-License-Identifier: MIT */
#include "harness.h"

#define L0 0x80000000ull

static struct t_host h;
static struct sphb_machine *m;
static uint32_t pulses[16];
static unsigned npulse;

static void on_pulse(void *opaque, uint32_t irq)
{
	(void)opaque;
	if (npulse < 16)
		pulses[npulse] = irq;
	npulse++;
}

static void put(uint64_t liobn, uint64_t ioba, uint64_t tce)
{
	uint64_t a[3] = { liobn, ioba, tce };
	int64_t hret = 1;
	CHECK_EQ(sphb_hcall(m, SPHB_H_PUT_TCE, a, 3, NULL, 0, &hret), 0);
	CHECK_EQ(hret, SPHB_H_SUCCESS);
}

static uint32_t change_msi(uint32_t cfg, uint32_t fn, uint32_t n)
{
	uint32_t a[6] = { cfg, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, fn, n, 0 }, r[4], q[3];
	uint32_t qa[4] = { cfg, (uint32_t)(T_BUID0 >> 32), (uint32_t)T_BUID0, 0 };

	CHECK_EQ(t_rtas_n(m, &h, (uint32_t)t_token("ibm,change-msi"), 6, 4, a, r), 0);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(t_rtas_n(m, &h, (uint32_t)t_token("ibm,query-interrupt-source-number"), 4, 3, qa, q), 0);
	return q[1]; /* the first interrupt */
}

static void test_rw(void)
{
	static const char *const specs[] = { "sim-pci,addr=2,id=a,iommu-group=3", "sim-pci,addr=3,id=b", NULL };
	struct sphb_dma *ha, *hb;
	uint8_t buf[3 * 4096], back[sizeof(buf)];
	uint64_t gpa, len;
	unsigned perm;

	m = t_machine_irq(&h, on_pulse, NULL, specs);
	CHECK_EQ(sphb_func_dma_open(sphb_func_find(m, "a"), &ha), 0);
	CHECK_EQ(sphb_dma_open(m, T_BUID0, t_cfgaddr(0, 3, 0, 0), &hb), 0);
	/* bus pages 1..3 -> guest pages 0x200000, 0x300000, 0x201000 (RW, RW, RO) */
	put(L0, 0x1000, 0x200000 | 3);
	put(L0, 0x2000, 0x300000 | 3);
	put(L0, 0x3000, 0x201000 | 1);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	/* a write across two RW pages lands in both guest pages */
	CHECK_EQ(sphb_dma_write(ha, 0x1800, buf, 0x1000), 0);
	CHECK(!memcmp(h.ram + 0x200800, buf, 0x800));
	CHECK(!memcmp(h.ram + 0x300000, buf + 0x800, 0x800));
	CHECK_EQ(sphb_dma_read(hb, 0x1800, back, 0x1000), 0);
	CHECK(!memcmp(back, buf, 0x1000));
	/* a write into the read-only page: a fault, and nothing moved before it */
	memset(h.ram + 0x300000, 0, 0x1000);
	CHECK_EQ(sphb_dma_write(ha, 0x2800, buf, 0x1000), -EFAULT);
	CHECK_EQ(h.ram[0x300800], 0);
	/* reading it is fine */
	CHECK_EQ(sphb_dma_read(ha, 0x3000, back, 16), 0);
	/* unmapped and outside every window */
	CHECK_EQ(sphb_dma_read(ha, 0x4000, back, 1), -EFAULT);
	CHECK_EQ(sphb_dma_read(ha, 0x80000000ull, back, 1), -EFAULT);
	CHECK_EQ(sphb_dma_read(ha, UINT64_MAX - 2, back, 8), -EINVAL); /* wraps */
	CHECK_EQ(sphb_dma_read(ha, 0x1000, NULL, 4), -EINVAL);
	CHECK_EQ(sphb_dma_read(ha, 0x1000, NULL, 0), 0);
	/* a write-only page cannot be read */
	put(L0, 0x5000, 0x400000 | 2);
	CHECK_EQ(sphb_dma_read(ha, 0x5000, back, 4), -EFAULT);
	CHECK_EQ(sphb_dma_write(ha, 0x5000, buf, 4), 0);
	/* the extent: 1 and 2 map guest-contiguous memory? no (0x200000, 0x300000) */
	CHECK_EQ(sphb_dma_extent(ha, 0x1800, 0x10000, &gpa, &len, &perm), 0);
	CHECK_EQ(gpa, 0x200800);
	CHECK_EQ(len, 0x800);
	CHECK_EQ(perm, 3);
	put(L0, 0x6000, 0x500000 | 3);
	put(L0, 0x7000, 0x501000 | 3);
	put(L0, 0x8000, 0x502000 | 3);
	CHECK_EQ(sphb_dma_extent(ha, 0x6010, 0x10000, &gpa, &len, &perm), 0);
	CHECK_EQ(gpa, 0x500010);
	CHECK_EQ(len, 0x3000 - 0x10);
	CHECK_EQ(sphb_dma_extent(ha, 0x6010, 0x20, &gpa, &len, &perm), 0);
	CHECK_EQ(len, 0x20);
	/* a guest RAM hole: the host's callback refuses, -EFAULT */
	put(L0, 0x9000, (T_RAM_SIZE + 0x10000) | 3);
	CHECK_EQ(sphb_dma_read(ha, 0x9000, back, 4), -EFAULT);
	/* a DMA-stopped PE: -EIO, nothing moved; another function unaffected */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	memset(h.ram + 0x200800, 0, 16);
	CHECK_EQ(sphb_dma_write(ha, 0x1800, buf, 16), -EIO);
	CHECK_EQ(h.ram[0x200800], 0);
	CHECK_EQ(sphb_dma_read(ha, 0x1800, back, 16), -EIO);
	CHECK_EQ(sphb_dma_extent(ha, 0x1800, 16, &gpa, &len, &perm), -EIO);
	CHECK_EQ(sphb_dma_write(hb, 0x1800, buf, 16), 0);
	sphb_dma_close(ha);
	sphb_dma_close(hb);
	t_free(m, &h);
}

static void test_msi(void)
{
	static const char *const specs[] = {
		"sim-pci,addr=2,id=a,msix=4,iommu-group=3", "sim-pci,addr=3,id=b,msi=2", NULL };
	struct sphb_dma *ha, *hb;
	uint32_t fa, fb;
	uint8_t d[4];

	m = t_machine_irq(&h, on_pulse, NULL, specs);
	CHECK_EQ(sphb_func_dma_open(sphb_func_find(m, "a"), &ha), 0);
	CHECK_EQ(sphb_func_dma_open(sphb_func_find(m, "b"), &hb), 0);
	fa = change_msi(t_cfgaddr(0, 2, 0, 0), 4, 4);
	fb = change_msi(t_cfgaddr(0, 3, 0, 0), 3, 2);
	/* an MSI write: the little-endian data is the number */
	npulse = 0;
	d[0] = (uint8_t)(fa + 2); d[1] = (uint8_t)((fa + 2) >> 8); d[2] = 0; d[3] = 0;
	CHECK_EQ(sphb_dma_write(ha, 0x40000000000ull, d, 4), 0);
	CHECK_EQ(npulse, 1);
	CHECK_EQ(pulses[0], fa + 2);
	/* anywhere in the window page (QEMU's region takes the data whatever the offset) */
	CHECK_EQ(sphb_dma_write(hb, 0x40000000000ull + 0x10, (uint8_t[]){ (uint8_t)fb, (uint8_t)(fb >> 8), 0, 0 }, 4), 0);
	CHECK_EQ(npulse, 2);
	CHECK_EQ(pulses[1], fb);
	/* another function's number, or one nobody was given: dropped */
	CHECK_EQ(sphb_dma_write(hb, 0x40000000000ull, d, 4), -ERANGE);
	d[0] = 0xff; d[1] = 0x1f;
	CHECK_EQ(sphb_dma_write(ha, 0x40000000000ull, d, 4), -ERANGE);
	CHECK_EQ(npulse, 2);
	/* not a 32-bit write; a read of the window */
	CHECK_EQ(sphb_dma_write(ha, 0x40000000000ull, d, 2), -EFAULT);
	CHECK_EQ(sphb_dma_read(ha, 0x40000000000ull, d, 4), -EFAULT);
	/* the 32-bit window (ibm,change-msi function 6), when no DMA window covers it */
	d[0] = (uint8_t)fa; d[1] = (uint8_t)(fa >> 8); d[2] = 0; d[3] = 0;
	CHECK_EQ(sphb_dma_write(ha, 0x7ffff000u, d, 4), 0);
	CHECK_EQ(npulse, 3);
	/* MSIs are DMA: a DMA-stopped PE sends none */
	CHECK_EQ(sphb_host_freeze(m, "a", NULL), 0);
	CHECK_EQ(sphb_dma_write(ha, 0x40000000000ull, d, 4), -EIO);
	CHECK_EQ(npulse, 3);
	/* released numbers are nobody's */
	CHECK_EQ(change_msi(t_cfgaddr(0, 3, 0, 0), 3, 0), T_SENTINEL); /* released: the query answers -1 */
	d[0] = (uint8_t)fb; d[1] = (uint8_t)(fb >> 8);
	CHECK_EQ(sphb_dma_write(hb, 0x40000000000ull, d, 4), -ERANGE);
	sphb_dma_close(ha);
	sphb_dma_close(hb);
	t_free(m, &h);
}

int main(void)
{
	test_rw();
	test_msi();
	return t_result();
}
