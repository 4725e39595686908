/* sim-pci,config=FILE: functions cloned from lspci -xxxx dumps. The QEMU 7.2
 * dumps of tests/conformance/traces/dumps read back byte for byte, write only
 * the bits the PCI rules make writable, size their BARs as QEMU answered the
 * traced firmware, and take MSI-X through ibm,change-msi; a hand-made dump
 * exercises PM, MSI with per-vector masking, PCIe, AER, RW1C bits, size
 * inference, the LSI pin and reset; bad dumps give one-line errors naming
 * config=FILE:LINE. */
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define HI 0x8000000u
#define LO 0x20000000u
#define SLOT 2u
#define CFG(reg) t_cfgaddr(0, SLOT, 0, reg)

static struct t_host h;
static struct sphb_machine *m;
static uint32_t pulses[16], npulses, lsi_level[0x2000];
static char tmpdir[256];

static void irq_pulse(void *o, uint32_t irq) { (void)o; if (npulses < 16) pulses[npulses++] = irq; }
static void irq_set(void *o, uint32_t irq, int level) { (void)o; if (irq < 0x2000) lsi_level[irq] = (uint32_t)level; }

static void path_of(char *out, size_t n, const char *name)
{
	const char *top = getenv("SPHB_TOP");
	snprintf(out, n, "%s/tests/conformance/traces/dumps/%s.lspci", top ? top : ".", name);
}

/* The bytes of an lspci dump, read independently of the library: tokens
 * after an "OFFSET:" at the start of a line. Returns the byte count. */
static unsigned expected_bytes(const char *path, uint8_t *img)
{
	char line[256];
	unsigned n = 0;
	FILE *f = fopen(path, "r");

	memset(img, 0, 4096);
	if (!f) {
		fprintf(stderr, "%s: cannot open\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *end, *p = line;
		unsigned long off = strtoul(p, &end, 16);
		if (end == p || *end != ':' || end[1] != ' ')
			continue;
		for (p = end + 1; *p; p = end) {
			unsigned long b = strtoul(p, &end, 16);
			if (end == p)
				break;
			img[off++] = (uint8_t)b;
		}
		n = (unsigned)off;
	}
	fclose(f);
	return n;
}

static struct sphb_machine *machine(const char *spec)
{
	const char *specs[] = { spec, NULL };

	return t_machine_irq(&h, irq_pulse, irq_set, specs);
}

static uint32_t rd(unsigned reg, unsigned size)
{
	uint32_t v = 0;
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, CFG(reg), size, &v), 0);
	return v;
}

static void wr(unsigned reg, unsigned size, uint32_t v)
{
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, CFG(reg), size, v), 0);
}

/* Every byte reads back as the dump (0 beyond it), whatever the access size. */
static void check_readback(const uint8_t *img, unsigned cfg_size, const char *what)
{
	unsigned bad = 0;

	for (unsigned off = 0; off < cfg_size; off++)
		if (rd(off, 1) != img[off] && bad++ < 4)
			fprintf(stderr, "%s: byte 0x%03x reads 0x%02x, dump 0x%02x\n", what, off,
				rd(off, 1), img[off]);
	for (unsigned off = 0; off < cfg_size; off += 4) {
		uint32_t want = (uint32_t)img[off] | (uint32_t)img[off + 1] << 8 |
				(uint32_t)img[off + 2] << 16 | (uint32_t)img[off + 3] << 24;
		if (rd(off, 4) != want && bad++ < 8)
			fprintf(stderr, "%s: dword 0x%03x reads 0x%08x, dump 0x%08x\n", what, off,
				rd(off, 4), want);
	}
	CHECK_EQ(bad, 0);
	/* the size of configuration space: one past it is refused */
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, CFG(cfg_size - 4), 4, NULL), 0);
	if (cfg_size == 256)
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, CFG(0x100), 4, NULL), -1);
}

/* Per byte: all-ones then zero written, the bits that change must be exactly
 * the writable ones of `wmask` (a list of offset/mask pairs ending in 0/0);
 * then the dump's value is restored. */
struct wm { uint16_t off; uint8_t mask; };

static void check_wmask(const uint8_t *img, unsigned cfg_size, const struct wm *w, const char *what)
{
	unsigned bad = 0;

	for (unsigned off = 0; off < cfg_size; off++) {
		uint8_t want = 0, ones, zeros;

		for (const struct wm *p = w; p->off || p->mask; p++)
			if (p->off == off)
				want = p->mask;
		if (off == PCI_STATUS || off == PCI_STATUS + 1)
			continue; /* RW1C: checked separately */
		wr(off, 1, 0xff);
		ones = (uint8_t)rd(off, 1);
		wr(off, 1, 0x00);
		zeros = (uint8_t)rd(off, 1);
		wr(off, 1, img[off]);
		if ((uint8_t)(ones ^ zeros) != want || (uint8_t)(ones & ~want) != (img[off] & ~want) ||
		    rd(off, 1) != img[off]) {
			if (bad++ < 6)
				fprintf(stderr, "%s: byte 0x%03x: 0xff -> 0x%02x, 0x00 -> 0x%02x, writable 0x%02x expected\n",
					what, off, ones, zeros, want);
		}
	}
	CHECK_EQ(bad, 0);
}

/* A machine with the QEMU dump `name` cloned at slot 2 as `id`: it reads back
 * byte for byte and writes exactly the bits of `w`. */
static void clone_of(const char *name, const char *id, unsigned len, const struct wm *w,
		     uint8_t *img, char *path, size_t pathlen)
{
	char spec[700];

	path_of(path, pathlen, name);
	CHECK_EQ(expected_bytes(path, img), len);
	snprintf(spec, sizeof(spec), "sim-pci,addr=%u,id=%s,config=%s", SLOT, id, path);
	m = machine(spec);
	check_readback(img, len, name);
	check_wmask(img, len, w, name);
}

static void nvme(void)
{
	uint8_t img[4096];
	char path[512];
	uint32_t r[4], a[6], irq = 0;
	uint64_t v = 0;
	/* PCI: Command, cache line, interrupt line, BAR0 (64-bit, 16K);
	 * MSI-X Enable/Function Mask; PM state (no PME); PCIe Device Control,
	 * Link Control, Device Control 2 bit 15 (End-End TLP Prefix supported) */
	static const struct wm w[] = {
		{ 0x04, 0x07 }, { 0x05, 0x05 }, { 0x0c, 0xff }, { 0x3c, 0xff },
		{ 0x11, 0xc0 }, { 0x12, 0xff }, { 0x13, 0xff },
		{ 0x14, 0xff }, { 0x15, 0xff }, { 0x16, 0xff }, { 0x17, 0xff },
		{ 0x43, 0xc0 }, { 0x64, 0x03 },
		{ 0x88, 0xff }, { 0x89, 0x7f }, { 0x90, 0xc3 }, { 0x91, 0x01 }, { 0xa9, 0x80 },
		{ 0, 0 } };

	clone_of("nvme", "nv", 4096, w, img, path, sizeof(path));
	/* firmware's BAR sizing, as QEMU answered it in the traces */
	wr(0x10, 4, 0xffffffff);
	CHECK_EQ(rd(0x10, 4), 0xffffc004);
	wr(0x14, 4, 0xffffffff);
	CHECK_EQ(rd(0x14, 4), 0xffffffff);
	for (unsigned reg = 0x18; reg <= 0x24; reg += 4) {
		wr(reg, 4, 0xffffffff);
		CHECK_EQ(rd(reg, 4), 0);
	}
	wr(0x30, 4, 0xffffffff);
	CHECK_EQ(rd(0x30, 4), 0);		/* no ROM */
	wr(0x10, 4, 0x80000004);
	wr(0x14, 4, 0);
	CHECK_EQ(rd(0x10, 4), 0x80000004);
	/* Command: what QEMU keeps of firmware's 0x140 and of all-ones */
	wr(0x04, 2, 0x140);
	CHECK_EQ(rd(0x04, 2), 0x100);
	wr(0x04, 2, 0xffff);
	CHECK_EQ(rd(0x04, 2), 0x507);
	wr(0x04, 2, 0x0506);
	CHECK_EQ(rd(0x04, 4), 0x00100506);	/* Status keeps Capabilities List */
	/* MSI-X through ibm,change-msi: 2 vectors, table in BAR0 at 0x2000 */
	a[0] = CFG(0); a[1] = HI; a[2] = LO; a[3] = 4; a[4] = 2; a[5] = 1;
	t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[1], 2);
	CHECK_EQ(r[3], 2);			/* MSI-X */
	{
		uint32_t q[4] = { CFG(0), HI, LO, 1 }, qr[3];
		t_rtas_n(m, &h, 0x2018, 4, 3, q, qr);
		CHECK_EQ(qr[0], 0);
		irq = qr[1];
	}
	CHECK_EQ(sphb_mmio_read(m, "nv", 0, 0x2000 + 16 + 8, 4, &v), 0);
	CHECK_EQ(v, irq);			/* vector 1's data */
	CHECK_EQ(sphb_mmio_read(m, "nv", 0, 0x2000 + 16 + 12, 4, &v), 0);
	CHECK_EQ(v, 1);				/* masked out of reset */
	wr(0x42, 2, 0x8040);			/* MSI-X Enable, as the trace's guest */
	CHECK_EQ(rd(0x42, 2), 0x8040);
	wr(0x42, 2, 0x0000);
	CHECK_EQ(rd(0x42, 2), 0x0040);		/* table size is read-only */
	wr(0x42, 2, 0xc040);
	CHECK_EQ(rd(0x42, 2), 0xc040);
	npulses = 0;
	CHECK_EQ(sphb_dev_msi(m, "nv", 1), -EAGAIN);	/* function masked */
	wr(0x42, 2, 0x8040);
	CHECK_EQ(sphb_dev_msi(m, "nv", 1), -EAGAIN);	/* vector masked: pending */
	CHECK_EQ(sphb_mmio_read(m, "nv", 0, 0x3000, 1, &v), 0);
	CHECK_EQ(v, 0x2);			/* PBA at 0x3000, bit 1 */
	CHECK_EQ(sphb_mmio_write(m, "nv", 0, 0x2000 + 16 + 12, 4, 0), 0);
	CHECK_EQ(sphb_dev_msi(m, "nv", 1), 0);
	CHECK_EQ(npulses, 1);
	CHECK_EQ(pulses[0], irq);
	/* machine reset: back to the dump */
	CHECK_EQ(sphb_machine_reset(m), 0);
	check_readback(img, 4096, "nvme after reset");
	t_free(m, &h);
}

static void virtio_blk(void)
{
	uint8_t img[4096];
	char path[512];
	/* BAR1 mem32 4K, BAR4 mem64pref 16K, MSI-X at 0x98; vendor caps read-only */
	static const struct wm w[] = {
		{ 0x04, 0x07 }, { 0x05, 0x05 }, { 0x0c, 0xff }, { 0x3c, 0xff },
		{ 0x15, 0xf0 }, { 0x16, 0xff }, { 0x17, 0xff },
		{ 0x21, 0xc0 }, { 0x22, 0xff }, { 0x23, 0xff },
		{ 0x24, 0xff }, { 0x25, 0xff }, { 0x26, 0xff }, { 0x27, 0xff },
		{ 0x9b, 0xc0 },
		{ 0, 0 } };
	static const uint32_t sizing[][2] = {	/* QEMU's answers in the traces */
		{ 0x10, 0 }, { 0x14, 0xfffff000 }, { 0x18, 0 }, { 0x1c, 0 },
		{ 0x20, 0xffffc00c }, { 0x24, 0xffffffff }, { 0x30, 0 } };
	uint32_t r[4], a[6] = { CFG(0), HI, LO, 4, 2, 1 };

	clone_of("virtio-blk", "vb", 256, w, img, path, sizeof(path));
	for (unsigned i = 0; i < 7; i++) {
		wr(sizing[i][0], 4, 0xffffffff);
		CHECK_EQ(rd(sizing[i][0], 4), sizing[i][1]);
		wr(sizing[i][0], 4, 0);
	}
	t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[1], 2);
	wr(0x04, 2, 0x0002);
	wr(0x9a, 2, 0x8001);
	CHECK_EQ(rd(0x9a, 2), 0x8001);
	{
		uint64_t v = 0;
		CHECK_EQ(sphb_mmio_read(m, "vb", 1, 8, 4, &v), 0);	/* table at BAR1 + 0 */
		CHECK(v != 0);
		CHECK_EQ(sphb_mmio_write(m, "vb", 1, 12, 4, 0), 0);
		npulses = 0;
		CHECK_EQ(sphb_dev_msi(m, "vb", 0), 0);
		CHECK_EQ(npulses, 1);
		CHECK_EQ(pulses[0], v);
	}
	t_free(m, &h);
}

static void e1000(void)
{
	uint8_t img[4096];
	char path[512], spec[700];
	/* BAR0 mem32 128K, BAR1 io 64, ROM 256K; no capabilities */
	static const struct wm w[] = {
		{ 0x04, 0x07 }, { 0x05, 0x05 }, { 0x0c, 0xff }, { 0x3c, 0xff },
		{ 0x12, 0xfe }, { 0x13, 0xff },
		{ 0x14, 0xc0 }, { 0x15, 0xff }, { 0x16, 0xff }, { 0x17, 0xff },
		{ 0x30, 0x01 }, { 0x32, 0xfc }, { 0x33, 0xff },
		{ 0, 0 } };

	clone_of("e1000", "e", 256, w, img, path, sizeof(path));
	/* the traced firmware's sequence and QEMU's answers */
	wr(0x10, 4, 0xffffffff);
	CHECK_EQ(rd(0x10, 4), 0xfffe0000);
	wr(0x10, 4, 0x80020000);
	wr(0x14, 4, 0xffffffff);
	CHECK_EQ(rd(0x14, 4), 0xffffffc1);
	wr(0x14, 4, 0x40);
	CHECK_EQ(rd(0x14, 4), 0x41);
	wr(0x30, 4, 0xffffffff);
	CHECK_EQ(rd(0x30, 4), 0xfffc0001);
	wr(0x30, 4, 0x80040000);
	CHECK_EQ(rd(0x30, 4), 0x80040000);
	wr(0x30, 4, 0x80040001);
	CHECK_EQ(rd(0x30, 4), 0x80040001);
	wr(0x04, 2, 0x0103);
	CHECK_EQ(rd(0x04, 2), 0x0103);
	{
		uint64_t v = 0;	/* the ROM decodes: 256K, backing reads as zero */
		CHECK_EQ(sphb_mmio_read(m, "e", 6, 0x3fffc, 4, &v), 0);
		CHECK_EQ(v, 0);
		CHECK_EQ(sphb_mmio_read(m, "e", 6, 0x40000, 4, &v), 0);
		CHECK_EQ(v, 0xffffffff);
	}
	t_free(m, &h);
	/* overrides: IDs, BAR size, ROM size, multifunction */
	snprintf(spec, sizeof(spec),
		 "sim-pci,addr=%u,id=e,config=%s,vendor=0x1234,device=0x1111,class=0x028000,rev=7,"
		 "subsys-vendor=0x1,subsys=0x2,bar0=mem32pref:64K,rom=0x10000,multifunction=on",
		 SLOT, path);
	m = machine(spec);
	CHECK_EQ(rd(0x00, 4), 0x11111234);
	CHECK_EQ(rd(0x08, 4), 0x02800007);
	CHECK_EQ(rd(0x2c, 4), 0x00020001);
	CHECK_EQ(rd(0x0e, 1), 0x80);
	CHECK_EQ(rd(0x10, 4), 0x8);		/* the option's type bits */
	wr(0x10, 4, 0xffffffff);
	CHECK_EQ(rd(0x10, 4), 0xffff0008);
	wr(0x30, 4, 0xffffffff);
	CHECK_EQ(rd(0x30, 4), 0xffff0001);
	wr(0x14, 4, 0xffffffff);
	CHECK_EQ(rd(0x14, 4), 0xffffffc1);	/* BAR1 still from the dump */
	t_free(m, &h);
}

/* A hand-made PCIe function: every capability the clone models. */
static const char custom_dump[] =
	"01:00.0 Ethernet controller: Example Corp. Device 5678 (rev 01)\n"
	"\tSubsystem: Example Corp. Device 0001\n"
	"\tRegion 0: Memory at febf0000 (32-bit, non-prefetchable) [size=64K]\n"
	"\tCapabilities: [40] MSI: Enable- Count=1/8 Maskable+ 64bit+\n"
	"\n"
	"00: 34 12 78 56 00 00 10 f9 01 00 00 02 00 00 00 00\n"
	"10: 00 00 bf fe 01 e0 00 00 00 00 00 fe 00 00 00 00\n"
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 34 12 01 00\n"
	"30: 00 00 00 00 40 00 00 00 00 00 00 00 0b 02 00 00\n"
	"40: 05 60 86 01 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"50: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"60: 01 70 03 0c 00 80 00 00 00 00 00 00 00 00 00 00\n"
	"70: 10 00 02 00 00 80 00 00 10 28 09 00 11 00 00 00\n"
	"80: 00 00 11 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"90: 00 00 00 00 10 08 00 00 00 00 00 00 00 00 00 00\n"
	"a0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"b0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"c0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"d0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"e0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"100: 01 00 01 00 10 10 00 00 00 00 00 00 30 20 46 00\n"
	"110: 41 00 00 00 00 e0 00 00 a0 00 00 00 00 00 00 00\n";

static void write_file(const char *name, const char *text, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static void custom(void)
{
	uint8_t img[4096];
	char path[300], spec[600];
	uint32_t r[4], a[6];

	write_file("custom.lspci", custom_dump, path, sizeof(path));
	CHECK_EQ(expected_bytes(path, img), 0x120);
	snprintf(spec, sizeof(spec), "sim-pci,addr=%u,id=c,config=%s", SLOT, path);
	h.nlogs = 0;
	m = machine(spec);
	/* BAR1 (I/O at 0xe000) and BAR2 (0xfe000000) have no size: inferred
	 * from the address, capped (256 for I/O, 1 MiB for memory), and said */
	check_readback(img, 4096, "custom");
	CHECK_EQ(h.last_level, SPHB_LOG_WARN);
	CHECK(strstr(h.last_log, "BAR 2: size 0x100000 taken from its address 0xfe000000") != NULL);
	wr(0x10, 4, 0xffffffff);
	CHECK_EQ(rd(0x10, 4), 0xffff0000);	/* Region 0 [size=64K] */
	wr(0x14, 4, 0xffffffff);
	CHECK_EQ(rd(0x14, 4), 0xffffff01);	/* 256 */
	wr(0x18, 4, 0xffffffff);
	CHECK_EQ(rd(0x18, 4), 0xfff00000);	/* 1 MiB */
	/* Status: the error bits are RW1C, Capabilities List read-only */
	wr(0x06, 2, 0x0100);
	CHECK_EQ(rd(0x06, 2), 0xf810);
	wr(0x06, 2, 0xffff);
	CHECK_EQ(rd(0x06, 2), 0x0010);
	/* MSI, 64-bit with per-vector masking, 8 vectors: mask bits at 0x50 */
	wr(0x50, 4, 0xffffffff);
	CHECK_EQ(rd(0x50, 4), 0xff);
	wr(0x54, 4, 0xffffffff);
	CHECK_EQ(rd(0x54, 4), 0);		/* pending bits: read-only */
	wr(0x4c, 4, 0xffffffff);
	CHECK_EQ(rd(0x4c, 4), 0xffff);		/* data */
	wr(0x42, 2, 0xffff);
	CHECK_EQ(rd(0x42, 2), 0x01b7);		/* MME clamped to MMC 3 once enabled */
	wr(0x42, 2, 0x0186);
	/* PM: D1 unsupported (write discarded), D2 supported, PME_En, PME_Status RW1C */
	CHECK_EQ(rd(0x64, 2), 0x8000);
	wr(0x64, 2, 0x0001);
	CHECK_EQ(rd(0x64, 2), 0x8000);
	wr(0x64, 2, 0x8102);
	CHECK_EQ(rd(0x64, 2), 0x0102);
	wr(0x64, 2, 0x0000);
	/* PCIe: Device Status RW1C, Device Control 2 per Device Capabilities 2 */
	CHECK_EQ(rd(0x7a, 2), 0x0009);
	wr(0x7a, 2, 0x0001);
	CHECK_EQ(rd(0x7a, 2), 0x0008);
	wr(0x98, 2, 0xffff);
	CHECK_EQ(rd(0x98, 2), 0x0410);		/* timeout disable, LTR */
	wr(0x84, 4, 0xffffffff);
	CHECK_EQ(rd(0x84, 4), 0);		/* slot registers: read-only */
	/* AER: status RW1C, masks and severity RW, ECRC enables per capability */
	wr(0x104, 4, 0x10);
	CHECK_EQ(rd(0x104, 4), 0x1000);
	wr(0x110, 4, 0xffffffff);
	CHECK_EQ(rd(0x110, 4), 0);
	wr(0x118, 4, 0xffffffff);
	CHECK_EQ(rd(0x118, 4), 0x1e0);
	wr(0x10c, 4, 0);
	CHECK_EQ(rd(0x10c, 4), 0);
	wr(0x120, 4, 0xffffffff);		/* beyond AER: read-only zero */
	CHECK_EQ(rd(0x120, 4), 0);
	/* MSI through ibm,change-msi, one vector masked */
	a[0] = CFG(0); a[1] = HI; a[2] = LO; a[3] = 3; a[4] = 8; a[5] = 1;
	t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(r[1], 8);
	CHECK_EQ(r[3], 1);			/* MSI */
	wr(0x04, 2, 0x0006);
	wr(0x42, 2, 0x01b7);			/* the guest enables 8 vectors */
	wr(0x50, 4, 0x2);
	npulses = 0;
	CHECK_EQ(sphb_dev_msi(m, "c", 1), -EAGAIN);
	CHECK_EQ(rd(0x54, 4), 0x2);		/* pending */
	CHECK_EQ(sphb_dev_msi(m, "c", 2), 0);
	CHECK_EQ(npulses, 1);
	/* INTB# at slot 2: the PHB's LSI of swizzled pin (2 + 2 - 1) % 4 = 3 */
	wr(0x04, 2, 0x0000);
	CHECK_EQ(sphb_dev_intx(m, "c", 1), 0);
	CHECK_EQ(lsi_level[SPHB_LSI_BASE + 3], 1);
	CHECK_EQ(sphb_dev_intx(m, "c", 0), 0);
	CHECK_EQ(lsi_level[SPHB_LSI_BASE + 3], 0);
	/* reset: the dump again */
	CHECK_EQ(sphb_machine_reset(m), 0);
	check_readback(img, 4096, "custom after reset");
	t_free(m, &h);

	/* pcie=off: 256 bytes, but only if nothing lives above 0xff */
	m = machine(NULL);
	snprintf(spec, sizeof(spec), "sim-pci,addr=%u,config=%s,pcie=off", SLOT, path);
	CHECK_EQ(sphb_machine_add(m, spec), -EINVAL);
	CHECK(strstr(h.last_log, "pcie=off, but the dump has extended configuration space (byte 0x100") != NULL);
	t_free(m, &h);
}

/* Bad input: nothing is added, one line naming config=FILE[:LINE]. */
static void bad_text(const char *text, const char *extra, const char *must)
{
	char path[300], spec[700], want[700];
	int rc;

	write_file("bad.lspci", text, path, sizeof(path));
	snprintf(spec, sizeof(spec), "sim-pci,addr=%u,id=b,config=%s%s", SLOT, path, extra);
	snprintf(want, sizeof(want), must, path);
	rc = sphb_machine_add(m, spec);
	if (rc != -EINVAL || !strstr(h.last_log, want)) {
		fprintf(stderr, "bad dump: rc %d, log '%s', expected '%s'\n", rc, h.last_log, want);
		t_failures++;
	}
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, CFG(0), 4, NULL), -1);
}

/* A 64-byte lspci dump of vendor 0x1234 device 0x5678 with the given Status,
 * header type, BAR0, capability pointer, INTA, then the lines `rest`. */
static void hdr64(char *out, size_t n, unsigned status, unsigned htype, uint32_t bar0,
		  unsigned cap, const char *rest)
{
	snprintf(out, n,
		 "00: 34 12 78 56 00 00 %02x %02x 01 00 00 02 00 00 %02x 00\n"
		 "10: %02x %02x %02x %02x 00 00 00 00 00 00 00 00 00 00 00 00\n"
		 "20: 00 00 00 00 00 00 00 00 00 00 00 00 34 12 01 00\n"
		 "30: 00 00 00 00 %02x 00 00 00 00 00 00 00 00 01 00 00\n%s",
		 status & 0xff, status >> 8, htype, bar0 & 0xff, bar0 >> 8 & 0xff, bar0 >> 16 & 0xff,
		 bar0 >> 24, cap, rest);
}

static void bad_dumps(void)
{
	static const char hdr[] =
		"00: 34 12 78 56 00 00 00 00 01 00 00 02 00 00 00 00\n"
		"10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
		"20: 00 00 00 00 00 00 00 00 00 00 00 00 34 12 01 00\n";
	char text[2048];

	m = machine(NULL);
	CHECK_EQ(sphb_machine_add(m, "sim-pci,addr=2,config=/nonexistent/dev.lspci"), -EINVAL);
	CHECK(strstr(h.last_log, "sim-pci: config=/nonexistent/dev.lspci: cannot open: No such file") != NULL);
	snprintf(text, sizeof(text), "%s30: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 zz 00\n", hdr);
	bad_text(text, "", "config=%s:4: bad hex byte 'zz'");
	snprintf(text, sizeof(text), "%s40: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00\n", hdr);
	bad_text(text, "", "config=%s:4: offset 0x40 out of order (expected 0x30)");
	bad_text(hdr, "", "config=%s: only 48 bytes of configuration space; at least the 64-byte header");
	bad_text("\n\n", "", "config=%s: no configuration-space bytes");
	snprintf(text, sizeof(text), "%s30: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00\n", hdr);
	bad_text(text, "", "config=%s:4: more than 16 bytes on one line");
	snprintf(text, sizeof(text), "00:02.0 Some device\n%s30: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00\n"
		 "00:03.0 Another device\n", hdr);
	bad_text(text, "", "config=%s:6: expected 'OFFSET: hh hh ...' (one device per file");
	snprintf(text, sizeof(text), "%s30: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00\n"
		 "40: 00\n", hdr);
	bad_text(text, "", "config=%s:5: a data line follows a line with fewer than 16 bytes");
	/* a capability beyond a 64-byte (lspci -xx) dump */
	hdr64(text, sizeof(text), 0x10, 0, 0, 0x40, "");
	bad_text(text, "", "config=%s: capability pointer 0x40 (at 0x34) is beyond the dump's 64 bytes (capture it with sudo lspci -xxx)");
	/* a BAR with type bits and no address, no Region line, no barN= */
	hdr64(text, sizeof(text), 0, 0, 0x4, 0, "");
	bad_text(text, "", "config=%s: BAR 0 = 0x00000004 has no address to size it by; give bar0=KIND:SIZE");
	{	/* ... which bar0= fixes */
		char path[300], spec[700];
		uint32_t v = 0;
		write_file("ok.lspci", text, path, sizeof(path));
		snprintf(spec, sizeof(spec), "sim-pci,addr=3,id=ok,config=%s,bar0=mem64:8K", path);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
		CHECK_EQ(t_cfg_write(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x10), 4, 0xffffffff), 0);
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 3, 0, 0x10), 4, &v), 0);
		CHECK_EQ(v, 0xffffe004);
		CHECK_EQ(sphb_machine_del(m, "ok"), 0);
	}
	bad_text(text, ",bar0=mem32:8K", "config=%s: bar0=mem32:8K: BAR 0 = 0x00000004 is 64-bit in the dump");
	hdr64(text, sizeof(text), 0, 0, 0xfe000004, 0, "");	/* sized by its address */
	bad_text(text, ",bar1=mem32:8K", "config=%s: bar1=mem32:8K: BAR 0 is 64-bit and uses this slot too");
	bad_text(text, ",msix=2", "sim-pci: msix=2: with config=, the capabilities come from the dump");
	/* a bridge, no function */
	hdr64(text, sizeof(text), 0, 1, 0, 0, "");
	bad_text(text, "", "config=%s: header type 0x01: only type-0 functions (not bridges) can be cloned");
	memcpy(text, "00: ff ff", 9);
	bad_text(text, "", "config=%s: vendor ID 0xffff: the dump holds no function");
	/* a capability list that loops */
	hdr64(text, sizeof(text), 0x10, 0, 0, 0x40, "40: 09 48 04 00 00 00 00 00 09 40 04 00 00 00 00 00\n");
	bad_text(text, "", "config=%s: capability list loops back to 0x40");
	/* states the model never reaches: the dump is refused, not half-cloned */
	hdr64(text, sizeof(text), 0x10, 0, 0, 0x40, "40: 01 00 03 00 01 00 00 00 00 00 00 00 00 00 00 00\n");
	bad_text(text, "", "config=%s: PM capability at 0x40: power state D1, which PMC does not support");
	hdr64(text, sizeof(text), 0x10, 0, 0, 0x40, "40: 05 00 71 01 00 00 00 00 00 00 00 00 00 00 00 00\n"
	      "50: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n");
	bad_text(text, "", "config=%s: MSI capability at 0x40: enabled with Multiple Message Enable 7 above Capable 0");
	/* MSI-X table in a BAR the function does not have */
	hdr64(text, sizeof(text), 0x10, 0, 0, 0x40, "40: 11 00 03 00 02 00 00 00 02 08 00 00 00 00 00 00\n");
	bad_text(text, "", "config=%s: MSI-X capability at 0x40: its table is in BAR 2, which is not a memory BAR of this device");
	bad_text(text, ",bar2=mem32:1K", "config=%s: MSI-X capability at 0x40: the PBA (offset 0x800) does not fit in BAR 2 (0x400 bytes)");
	{
		char path[300], spec[700];
		write_file("ok.lspci", text, path, sizeof(path));
		snprintf(spec, sizeof(spec), "sim-pci,addr=3,id=ok,config=%s,bar2=mem32:4K", path);
		CHECK_EQ(sphb_machine_add(m, spec), 0);
	}
	t_free(m, &h);
}

/* A dump taken while the device drove INTx (Status.Interrupt set): the clone
 * starts without driving it, so the bit reads 0, stays 0 across reset, and
 * the clone's saved state loads into a machine built from the same dump. */
static void intx_status(void)
{
	char text[1024], path[300], spec[400];
	struct t_host h2;
	struct sphb_machine *m2;
	size_t need = 0;
	void *buf;

	hdr64(text, sizeof(text), 0x0018, 0, 0, 0x40, "40: 01 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00\n");
	write_file("intx.lspci", text, path, sizeof(path));
	snprintf(spec, sizeof(spec), "sim-pci,addr=%u,id=i,config=%s", SLOT, path);
	m = machine(spec);
	CHECK_EQ(rd(0x06, 2), 0x0010);
	CHECK_EQ(sphb_dev_intx(m, "i", 1), 0);
	CHECK_EQ(rd(0x06, 2), 0x0018);
	CHECK_EQ(sphb_dev_intx(m, "i", 0), 0);
	CHECK_EQ(sphb_machine_save(m, NULL, 0, &need), -ENOSPC);
	buf = malloc(need);
	CHECK(buf != NULL);
	CHECK_EQ(sphb_machine_save(m, buf, need, &need), 0);
	m2 = t_machine(&h2, spec, NULL);
	CHECK_EQ(sphb_machine_load(m2, buf, need), 0);
	t_free(m2, &h2);
	free(buf);
	CHECK_EQ(sphb_machine_reset(m), 0);
	CHECK_EQ(rd(0x06, 2), 0x0010);
	t_free(m, &h);
}

/* Random dumps (random pointers, capability IDs, BAR types, MSI-X BIRs and
 * offsets): either a clean -EINVAL or a device that survives random config
 * writes, MSIs, reset and removal (run under ASan/valgrind by make check). */
static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void random_dumps(void)
{
	static const uint8_t ids[] = { 0x01, 0x05, 0x09, 0x10, 0x11, 0x03, 0x00, 0xff };
	char path[300], spec[400], *text = malloc(4096 * 3 + 4096);
	uint8_t img[4096];
	unsigned added = 0, refused = 0;

	if (!text)
		exit(1);
	m = machine(NULL);
	for (unsigned iter = 0; iter < 300; iter++) {
		unsigned len = (rnd() & 1) ? 4096 : (rnd() & 1) ? 256 : 64 + 16 * (rnd() % 12);
		size_t n = 0;
		int rc;

		for (unsigned i = 0; i < len; i++)
			img[i] = (rnd() % 4) ? 0 : (uint8_t)rnd();
		img[0] = 0x34; img[1] = 0x12; img[0x0e] = (rnd() % 8) ? 0 : 1;
		img[0x06] |= 0x10;
		img[0x3d] = (uint8_t)(rnd() % 6);
		for (unsigned i = 0; i < 6; i++) {	/* plausible BARs, often with a size */
			uint32_t v = (rnd() % 3) ? 0 : (rnd() & 0xfff00000u) | (rnd() & 0xd);
			memcpy(&img[0x10 + 4 * i], &v, 4);
		}
		for (unsigned at = 0x40; at < 256 && at < len; at += 0x10 + 4 * (rnd() % 4)) {
			img[at] = ids[rnd() % sizeof(ids)];	/* a chain of random capabilities */
			img[at + 1] = (uint8_t)((rnd() % 5) ? at + 0x10 + 4 * (rnd() % 4) : rnd());
		}
		img[0x34] = (uint8_t)((rnd() % 4) ? 0x40 : rnd());
		if (len > 256 && (rnd() & 1)) {
			uint32_t hdr = 1u | 1u << 16 | ((rnd() % 3) ? 0u : (rnd() & 0xffcu) << 20);
			memcpy(&img[0x100], &hdr, 4);
		}
		for (unsigned off = 0; off < len; off += 16) {
			n += (size_t)sprintf(text + n, "%02x:", off);
			for (unsigned i = 0; i < 16; i++)
				n += (size_t)sprintf(text + n, " %02x", img[off + i]);
			text[n++] = '\n';
		}
		text[n] = '\0';
		if (rnd() % 4 == 0)	/* a random character somewhere */
			text[rnd() % n] = (char)(rnd() % 96 + 32);
		write_file("rand.lspci", text, path, sizeof(path));
		snprintf(spec, sizeof(spec), "sim-pci,addr=2,id=r,config=%s%s", path,
			 (rnd() % 3) ? "" : ",bar0=mem64:16K,bar2=io:32");
		rc = sphb_machine_add(m, spec);
		if (rc) {
			CHECK_EQ(rc, -EINVAL);
			refused++;
			continue;
		}
		added++;
		for (unsigned k = 0; k < 200; k++) {
			unsigned size = 1u << (rnd() % 3);
			unsigned reg = (rnd() % 4096) & ~(size - 1);
			t_cfg_write(m, &h, T_BUID0, CFG(reg), size, rnd());
			t_cfg_read(m, &h, T_BUID0, CFG(reg), size, NULL);
		}
		{
			uint32_t a[6] = { CFG(0), HI, LO, 1 + rnd() % 6, rnd() % 40, 1 }, r[4];
			t_rtas_n(m, &h, 0x2019, 6, 4, a, r);
		}
		for (unsigned v = 0; v < 40; v++)
			sphb_dev_msi(m, "r", v);
		sphb_dev_intx(m, "r", 1);
		CHECK_EQ(sphb_machine_reset(m), 0);
		CHECK_EQ(sphb_machine_del(m, "r"), 0);
	}
	/* both outcomes happen, or the generator tests nothing */
	CHECK(added > 20);
	CHECK(refused > 20);
	t_free(m, &h);
	free(text);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/sphb-clone-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	nvme();
	virtio_blk();
	e1000();
	custom();
	bad_dumps();
	intx_status();
	random_dumps();
	{
		char p[300];
		const char *names[] = { "custom.lspci", "bad.lspci", "ok.lspci", "rand.lspci", "intx.lspci" };
		for (unsigned i = 0; i < 5; i++) {
			snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
			unlink(p);
		}
		rmdir(tmpdir);
	}
	return t_result();
}
