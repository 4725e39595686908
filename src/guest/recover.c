/* The guest-recovery driver: the EEH core of a Linux 6.12 pseries guest
 * (arch/powerpc/kernel/eeh*.c, platforms/pseries/eeh_pseries.c) for a device
 * whose EEH-aware driver answers NEED_RESET, as Linux 6.12 does it
 * (arch/powerpc/kernel/eeh_driver.c eeh_handle_normal_event(), eeh.c
 * eeh_pe_reset_full(), eeh_pe.c eeh_pe_restore_bars()). A *client* of the library: it reaches the PHB only through
 * the public RTAS entry, with argument buffers in guest memory, and sleeps
 * in virtual time. It never includes the library's internal headers.
 *
 * Where Linux would spin forever (configure-pe answering a positive status
 * that is no delay), the driver stops after a bounded number of calls.
 * SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphb/sphb.h"
#include "guest.h"
#include "util/struct_in.h"

#define QEMU_BUID_BASE 0x0800000020000000ull
#define CONFIGURE_MAX_CALLS 64
#define MAX_CELLS 16

enum tok {
	T_READ_CFG,
	T_WRITE_CFG,
	T_SET_EEH_OPTION,
	T_CONFIG_ADDR_INFO2,
	T_READ_STATE2,
	T_SET_SLOT_RESET,
	T_CONFIGURE_PE,
	T_SLOT_ERROR_DETAIL,
	T_LAST_ERROR,
	T_COUNT
};

static const char *const tok_names[T_COUNT] = {
	[T_READ_CFG] = "ibm,read-pci-config",
	[T_WRITE_CFG] = "ibm,write-pci-config",
	[T_SET_EEH_OPTION] = "ibm,set-eeh-option",
	[T_CONFIG_ADDR_INFO2] = "ibm,get-config-addr-info2",
	[T_READ_STATE2] = "ibm,read-slot-reset-state2",
	[T_SET_SLOT_RESET] = "ibm,set-slot-reset",
	[T_CONFIGURE_PE] = "ibm,configure-pe",
	[T_SLOT_ERROR_DETAIL] = "ibm,slot-error-detail",
	[T_LAST_ERROR] = "rtas-last-error",
};

/* A PE as the guest knows it (struct eeh_pe). */
struct gpe {
	uint64_t buid;
	uint32_t addr;
	int freeze_count;
	int64_t tstamp;		/* seconds of virtual time */
	bool removed;		/* permanent failure: devices hot-removed */
};

/* A device as the guest knows it (struct eeh_dev + pci_dn). */
struct gdev {
	char *id;
	uint64_t buid;
	uint32_t cfg;		/* bus << 16 | devfn << 8 */
	size_t pe_idx;		/* its PE: g->pes[pe_idx] when have_pe */
	bool have_pe;
	bool probed;		/* capabilities and header saved (eeh_save_bars) */
	bool bridge;
	uint32_t pcix_cap, pcie_cap, aer_cap;
	uint32_t saved[16];
};

struct sphb_guest {
	struct sphb_machine *m;
	struct sphb_guest_ops ops;
	void *opaque;
	uint64_t scratch;
	int max_freezes;
	int tok[T_COUNT];
	struct gdev *devs;
	size_t ndevs;
	struct gpe *pes;
	size_t npes;
	/* per recovery */
	int err;		/* first library/callback error: everything stops */
	uint32_t calls, resets;
};

/* ---- RTAS ------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An RTAS word read as the kernel's int. */
static int32_t s32(uint32_t v)
{
	return v <= INT32_MAX ? (int32_t)v : -(int32_t)(~v) - 1;
}

static uint32_t u32(int32_t v)
{
	return v >= 0 ? (uint32_t)v : ~(uint32_t)(-(v + 1));
}

static int32_t rtas_call_one(struct sphb_guest *g, enum tok t, uint32_t nargs, uint32_t nret,
			     const uint32_t *args, uint32_t *rets);

/* rtas_call(): rets[] are cleared first (va_rtas_call_unlocked), the status
 * is rets[0]; after a -1 the kernel fetches rtas-last-error if it exists.
 * After a library or callback error no further call is made: -1. */
static int32_t rtas(struct sphb_guest *g, enum tok t, uint32_t nargs, uint32_t nret,
		    const uint32_t *args, uint32_t *rets)
{
	int32_t st = rtas_call_one(g, t, nargs, nret, args, rets);

	if (st == RTAS_HW_ERROR && !g->err && g->tok[T_LAST_ERROR] >= 0) {
		uint32_t a[2] = { (uint32_t)(g->scratch + SCR_LASTERR), RTAS_ERROR_LOG_MAX }, r[1];
		(void)rtas_call_one(g, T_LAST_ERROR, 2, 1, a, r);
	}
	return st;
}

static int32_t rtas_call_one(struct sphb_guest *g, enum tok t, uint32_t nargs, uint32_t nret,
			     const uint32_t *args, uint32_t *rets)
{
	uint8_t buf[4 * (3 + 2 * MAX_CELLS)];
	uint32_t n = 3 + nargs + nret, i;
	uint64_t gpa = g->scratch + SCR_ARGS;
	struct sphb_rtas_result res;
	struct sphb_guest_call call;
	int rc;

	for (i = 0; i < nret; i++)
		rets[i] = 0;
	if (!g->err && (nargs > MAX_CELLS || nret > MAX_CELLS || nret == 0))
		g->err = -EINVAL;
	if (g->err || g->tok[t] < 0) {
		/* stopped, or RTAS_UNKNOWN_SERVICE: rtas_call() returns -1 uncalled */
		if (nret)
			rets[0] = u32(RTAS_HW_ERROR);
		return RTAS_HW_ERROR;
	}
	put32(buf, (uint32_t)g->tok[t]);
	put32(buf + 4, nargs);
	put32(buf + 8, nret);
	for (i = 0; i < nargs; i++)
		put32(buf + 12 + 4 * i, args[i]);
	for (i = 0; i < nret; i++)
		put32(buf + 12 + 4 * (nargs + i), 0);
	rc = g->ops.mem_write(g->opaque, gpa, buf, 4 * n);
	if (rc) {
		g->err = rc < 0 ? rc : -EFAULT;
		rets[0] = u32(RTAS_HW_ERROR);
		return RTAS_HW_ERROR;
	}
	memset(&res, 0, sizeof(res));
	res.sz = sizeof(res);
	rc = sphb_rtas_call(g->m, gpa, &res);
	g->calls++;
	if (rc && rc != -ENOENT) {
		g->err = rc;
		res.rets_written = 0;
	} else {
		int rrc = g->ops.mem_read(g->opaque, gpa, buf, 4 * n);
		if (rrc) {
			g->err = rrc < 0 ? rrc : -EFAULT;
			res.rets_written = 0;
		} else {
			for (i = 0; i < nret; i++)
				rets[i] = get32(buf + 12 + 4 * (nargs + i));
		}
	}
	if (g->ops.trace) {
		memset(&call, 0, sizeof(call));
		call.sz = sizeof(call);
		call.name = tok_names[t];
		call.token = (uint32_t)g->tok[t];
		call.nargs = nargs;
		call.nret = nret;
		call.args = args;
		call.rets = rets;
		call.rets_written = res.rets_written;
		g->ops.trace(g->opaque, &call);
	}
	if (g->err) {
		rets[0] = u32(RTAS_HW_ERROR);
		return RTAS_HW_ERROR;
	}
	return s32(rets[0]);
}

static uint32_t buid_hi(uint64_t buid)
{
	return (uint32_t)(buid >> 32);
}

static uint32_t buid_lo(uint64_t buid)
{
	return (uint32_t)buid;
}

/* msleep() in virtual time */
static void sleep_ms(struct sphb_guest *g, uint64_t ms)
{
	int rc;

	if (g->err || !ms)
		return;
	rc = sphb_clock_advance(g->m, ms);
	if (rc)
		g->err = rc;
}

/* ---- config space (rtas_pci_dn_read_config / _write_config) ------------ */

static uint32_t cfg_addr(const struct gdev *d, uint32_t reg)
{
	return ((reg & 0xf00u) << 20) | d->cfg | (reg & 0xffu);
}

static uint32_t all_ones(uint32_t size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* true on success; *val is all-ones when the read failed */
static bool cfg_read_ok(struct sphb_guest *g, const struct gdev *d, uint32_t reg,
			uint32_t size, uint32_t *val)
{
	uint32_t a[4] = { cfg_addr(d, reg), buid_hi(d->buid), buid_lo(d->buid), size }, r[2];

	*val = all_ones(size);
	if (rtas(g, T_READ_CFG, 4, 2, a, r) != 0)
		return false;
	*val = r[1];
	return true;
}

static uint32_t cfg_read(struct sphb_guest *g, const struct gdev *d, uint32_t reg, uint32_t size)
{
	uint32_t v;

	(void)cfg_read_ok(g, d, reg, size, &v);
	return v;
}

static void cfg_write(struct sphb_guest *g, const struct gdev *d, uint32_t reg, uint32_t size,
		      uint32_t val)
{
	uint32_t a[5] = { cfg_addr(d, reg), buid_hi(d->buid), buid_lo(d->buid), size, val }, r[1];

	(void)rtas(g, T_WRITE_CFG, 5, 1, a, r);
}

/* ---- probe (pseries_eeh_init_edev, eeh_save_bars) ---------------------- */

static uint32_t find_cap(struct sphb_guest *g, const struct gdev *d, uint32_t cap)
{
	uint32_t pos, id;
	int cnt = 48;

	if (!(cfg_read(g, d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = PCI_CAPABILITY_LIST;
	while (cnt--) {
		pos = cfg_read(g, d, pos, 1);
		if (pos < 0x40)
			break;
		pos &= ~3u;
		id = cfg_read(g, d, pos, 1);
		if (id == 0xff)
			break;
		if (id == cap)
			return pos;
		pos += 1; /* PCI_CAP_LIST_NEXT */
	}
	return 0;
}

static uint32_t find_ecap(struct sphb_guest *g, const struct gdev *d, uint32_t cap)
{
	uint32_t pos = 256, header;
	int ttl = (4096 - 256) / 8;

	if (!d->pcie_cap)
		return 0;
	if (!cfg_read_ok(g, d, pos, 4, &header) || !header)
		return 0;
	while (ttl-- > 0) {
		if ((header & 0xffff) == cap && pos)
			return pos;
		pos = (header >> 20) & 0xffc;
		if (pos < 256)
			break;
		if (!cfg_read_ok(g, d, pos, 4, &header))
			break;
	}
	return 0;
}

/* Capability walk and the 16 header dwords, as at boot. A device that
 * answers all-ones is frozen: nothing is kept, the probe is redone later. */
static void probe_config(struct sphb_guest *g, struct gdev *d)
{
	d->pcix_cap = find_cap(g, d, PCI_CAP_ID_PCIX);
	d->pcie_cap = find_cap(g, d, PCI_CAP_ID_EXP);
	d->aer_cap = find_ecap(g, d, PCI_EXT_CAP_ID_ERR);
	for (uint32_t i = 0; i < 16; i++)
		d->saved[i] = cfg_read(g, d, 4 * i, 4);
	d->bridge = (d->saved[2] >> 16) == PCI_CLASS_BRIDGE_PCI;
	if (d->bridge)
		d->saved[1] |= PCI_COMMAND_MASTER;
	d->probed = !g->err && d->saved[0] != 0xffffffffu;
	if (!d->probed)
		d->pcix_cap = d->pcie_cap = d->aer_cap = 0;
}

/* pseries_eeh_get_pe_config_addr(): 0 or -ENOENT (not in a PE) / -ENXIO */
static int pe_config_addr(struct sphb_guest *g, const struct gdev *d, uint32_t *pe)
{
	uint32_t a[4] = { d->cfg, buid_hi(d->buid), buid_lo(d->buid), 1 }, r[2];

	if (rtas(g, T_CONFIG_ADDR_INFO2, 4, 2, a, r) != 0 || r[1] == 0)
		return -ENOENT;
	a[3] = 0;
	if (rtas(g, T_CONFIG_ADDR_INFO2, 4, 2, a, r) != 0)
		return -ENXIO;
	*pe = r[1];
	return 0;
}

/* ---- PE state (pseries_eeh_get_state, eeh_wait_state, eeh_pci_enable) -- */

static int get_state(struct sphb_guest *g, const struct gpe *pe, int *delay)
{
	uint32_t a[3] = { pe->addr, buid_hi(pe->buid), buid_lo(pe->buid) }, r[4];
	int32_t st = rtas(g, T_READ_STATE2, 3, 4, a, r);

	if (st)
		return st;
	if (!r[2])
		return EEH_STATE_NOT_SUPPORT;
	switch (r[1]) {
	case 0:
		return EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE | EEH_STATE_MMIO_ENABLED |
		       EEH_STATE_DMA_ENABLED;
	case 1:
		return EEH_STATE_RESET_ACTIVE | EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE;
	case 2:
		return 0;
	case 4:
		return EEH_STATE_MMIO_ENABLED;
	case 5:
		if (r[3]) {
			if (delay)
				*delay = s32(r[3]);
			return EEH_STATE_UNAVAILABLE;
		}
		return EEH_STATE_NOT_SUPPORT;
	default:
		return EEH_STATE_NOT_SUPPORT;
	}
}

static bool state_active(int state)
{
	return (state & (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE)) ==
	       (EEH_STATE_MMIO_ACTIVE | EEH_STATE_DMA_ACTIVE);
}

static int wait_state(struct sphb_guest *g, const struct gpe *pe, int max_wait)
{
	for (;;) {
		int mwait = 0;
		int ret = get_state(g, pe, &mwait);

		if (ret != EEH_STATE_UNAVAILABLE)
			return ret;
		if (max_wait <= 0)
			return EEH_STATE_NOT_SUPPORT; /* "Timeout when getting PE's state" */
		if (mwait < EEH_STATE_MIN_WAIT_TIME)
			mwait = EEH_STATE_MIN_WAIT_TIME;
		else if (mwait > EEH_STATE_MAX_WAIT_TIME)
			mwait = EEH_STATE_MAX_WAIT_TIME;
		sleep_ms(g, (uint64_t)(mwait < max_wait ? mwait : max_wait));
		max_wait -= mwait;
	}
}

static int32_t set_option(struct sphb_guest *g, const struct gpe *pe, uint32_t option)
{
	uint32_t a[4] = { pe->addr, buid_hi(pe->buid), buid_lo(pe->buid), option }, r[1];

	return rtas(g, T_SET_EEH_OPTION, 4, 1, a, r);
}

static int pci_enable(struct sphb_guest *g, const struct gpe *pe, uint32_t function)
{
	int active_flag = function == EEH_OPT_THAW_MMIO ?
			  EEH_STATE_MMIO_ACTIVE | EEH_STATE_MMIO_ENABLED : EEH_STATE_DMA_ACTIVE;
	int rc = get_state(g, pe, NULL);

	if (rc < 0)
		return rc;
	if (rc == EEH_STATE_NOT_SUPPORT || (rc & active_flag))
		return 0;
	(void)set_option(g, pe, function); /* "Unexpected state change": logged only */
	rc = wait_state(g, pe, PCI_BUS_RESET_WAIT_MSEC);
	if (rc < 0)
		return rc;
	return (rc & active_flag) ? 0 : -EIO;
}

static int unfreeze_pe(struct sphb_guest *g, const struct gpe *pe)
{
	int ret = pci_enable(g, pe, EEH_OPT_THAW_MMIO);

	if (ret)
		return ret;
	return pci_enable(g, pe, EEH_OPT_THAW_DMA);
}

/* ---- configure, BARs, log ---------------------------------------------- */

static uint64_t busy_delay_time(int32_t st)
{
	uint64_t ms = 1;

	if (st == RTAS_BUSY)
		return 1;
	if (st < RTAS_EXTENDED_DELAY_MIN || st > RTAS_EXTENDED_DELAY_MAX)
		return 0;
	for (int32_t i = RTAS_EXTENDED_DELAY_MIN; i < st; i++)
		ms *= 10;
	return ms;
}

/* pseries_eeh_phb_configure_bridge() */
static void configure_pe(struct sphb_guest *g, const struct gpe *pe)
{
	uint32_t a[3] = { pe->addr, buid_hi(pe->buid), buid_lo(pe->buid) }, r[1];
	int64_t max_wait = EEH_CONFIGURE_MAX_WAIT;

	for (unsigned n = 0; max_wait > 0 && n < CONFIGURE_MAX_CALLS; n++) {
		int32_t st = rtas(g, T_CONFIGURE_PE, 3, 1, a, r);
		uint64_t ms;

		if (st <= 0)
			return; /* done, or "Unable to configure bridge" */
		if (st > RTAS_EXTENDED_DELAY_MIN + 2 && st <= RTAS_EXTENDED_DELAY_MAX)
			st = RTAS_EXTENDED_DELAY_MIN + 2;
		ms = busy_delay_time(st);
		max_wait -= (int64_t)ms;
		if (max_wait < 0)
			return;
		/* rtas_busy_delay(): 990x sleeps, clamped to 1..1000 ms */
		if (st >= RTAS_EXTENDED_DELAY_MIN && st <= RTAS_EXTENDED_DELAY_MAX)
			sleep_ms(g, ms < 1 ? 1 : ms > 1000 ? 1000 : ms);
	}
}

static bool dev_in_pe(const struct sphb_guest *g, const struct gdev *d, const struct gpe *pe)
{
	return d->have_pe && &g->pes[d->pe_idx] == pe;
}

static void restore_device_bars(struct sphb_guest *g, const struct gdev *d)
{
	uint32_t cmd;

	for (uint32_t i = 4; i < 10; i++)
		cfg_write(g, d, 4 * i, 4, d->saved[i]);
	cfg_write(g, d, 12 * 4, 4, d->saved[12]);
	cfg_write(g, d, PCI_CACHE_LINE_SIZE, 1, d->saved[3] & 0xff);
	cfg_write(g, d, PCI_LATENCY_TIMER, 1, (d->saved[3] >> 8) & 0xff);
	cfg_write(g, d, 15 * 4, 4, d->saved[15]);
	cmd = cfg_read(g, d, PCI_COMMAND, 4);
	if (d->saved[1] & PCI_COMMAND_PARITY)
		cmd |= PCI_COMMAND_PARITY;
	else
		cmd &= ~(uint32_t)PCI_COMMAND_PARITY;
	if (d->saved[1] & PCI_COMMAND_SERR)
		cmd |= PCI_COMMAND_SERR;
	else
		cmd &= ~(uint32_t)PCI_COMMAND_SERR;
	cfg_write(g, d, PCI_COMMAND, 4, cmd);
}

/* Bridges: the root/downstream-port link checks of eeh_bridge_check_link()
 * are not modelled (no simulated device is a port). */
static void restore_bridge_bars(struct sphb_guest *g, const struct gdev *d)
{
	for (uint32_t i = 4; i < 13; i++)
		cfg_write(g, d, 4 * i, 4, d->saved[i]);
	cfg_write(g, d, 14 * 4, 4, d->saved[14]);
	cfg_write(g, d, PCI_CACHE_LINE_SIZE, 1, d->saved[3] & 0xff);
	cfg_write(g, d, PCI_LATENCY_TIMER, 1, (d->saved[3] >> 8) & 0xff);
	cfg_write(g, d, 15 * 4, 4, d->saved[15]);
	cfg_write(g, d, PCI_COMMAND, 4, d->saved[1] | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* eeh_pe_restore_bars(): every device of the PE whose header was saved */
static void restore_bars(struct sphb_guest *g, const struct gpe *pe)
{
	for (size_t i = 0; i < g->ndevs; i++) {
		const struct gdev *d = &g->devs[i];
		if (!dev_in_pe(g, d, pe) || !d->probed)
			continue;
		if (d->bridge)
			restore_bridge_bars(g, d);
		else
			restore_device_bars(g, d);
	}
}

/* pci_reenable_device() -> pci_enable_resources(): Command gets the decode
 * bits of the BARs the device has. */
static void reenable_device(struct sphb_guest *g, const struct gdev *d)
{
	uint32_t cmd, old, need = 0;
	unsigned nbars = d->bridge ? 2 : 6;

	for (unsigned i = 0; i < nbars; i++) {
		uint32_t bar = d->saved[4 + i];
		if (bar & 1) {
			if (bar & ~3u)
				need |= PCI_COMMAND_IO;
		} else {
			if (bar & ~0xfu)
				need |= PCI_COMMAND_MEMORY;
			if (((bar >> 1) & 3) == 2)
				i++; /* 64-bit: the next register is the upper half */
		}
	}
	if (!d->bridge && (d->saved[12] & 1) && (d->saved[12] & ~0x7ffu))
		need |= PCI_COMMAND_MEMORY; /* an enabled expansion ROM */
	old = cmd = cfg_read(g, d, PCI_COMMAND, 2);
	cmd |= need;
	if (cmd != old)
		cfg_write(g, d, PCI_COMMAND, 2, cmd);
}

/* scnprintf(): the number of characters actually stored */
static size_t scn(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static size_t scn(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len == 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

/* eeh_dump_dev_log() */
static size_t dump_dev_log(struct sphb_guest *g, const struct gdev *d, char *buf, size_t len)
{
	uint64_t phb = d->buid - QEMU_BUID_BASE;
	size_t n = 0;
	uint32_t cap;

	if (d->buid < QEMU_BUID_BASE || phb > 0xffff)
		phb = 0;
	n += scn(buf + n, len - n, "%04x:%02x:%02x.%01x\n", (unsigned)phb,
		 (unsigned)(d->cfg >> 16) & 0xff, (unsigned)(d->cfg >> 11) & 0x1f,
		 (unsigned)(d->cfg >> 8) & 7);
	n += scn(buf + n, len - n, "dev/vend:%08x\n", (unsigned)cfg_read(g, d, PCI_VENDOR_ID, 4));
	n += scn(buf + n, len - n, "cmd/stat:%x\n", (unsigned)cfg_read(g, d, PCI_COMMAND, 4));
	if (d->bridge) {
		n += scn(buf + n, len - n, "sec stat:%x\n", (unsigned)cfg_read(g, d, PCI_SEC_STATUS, 2));
		n += scn(buf + n, len - n, "brdg ctl:%x\n",
			 (unsigned)cfg_read(g, d, PCI_BRIDGE_CONTROL, 2));
	}
	cap = d->pcix_cap;
	if (cap) {
		n += scn(buf + n, len - n, "pcix-cmd:%x\n", (unsigned)cfg_read(g, d, cap, 4));
		n += scn(buf + n, len - n, "pcix-stat:%x\n", (unsigned)cfg_read(g, d, cap + 4, 4));
	}
	cap = d->pcie_cap;
	if (cap) {
		n += scn(buf + n, len - n, "pci-e cap10:\n");
		for (uint32_t i = 0; i <= 8; i++)
			n += scn(buf + n, len - n, "%02x:%x\n", (unsigned)(4 * i),
				 (unsigned)cfg_read(g, d, cap + 4 * i, 4));
	}
	cap = d->aer_cap;
	if (cap) {
		n += scn(buf + n, len - n, "pci-e AER:\n");
		for (uint32_t i = 0; i <= 13; i++)
			n += scn(buf + n, len - n, "%02x:%x\n", (unsigned)(4 * i),
				 (unsigned)cfg_read(g, d, cap + 4 * i, 4));
	}
	return n;
}

static void guest_write(struct sphb_guest *g, uint64_t off, const void *p, size_t len)
{
	int rc;

	if (g->err || !len)
		return;
	rc = g->ops.mem_write(g->opaque, g->scratch + off, p, len);
	if (rc)
		g->err = rc < 0 ? rc : -EFAULT;
}

/* eeh_slot_error_detail() + pseries_eeh_get_log() */
static void slot_error_detail(struct sphb_guest *g, const struct gpe *pe, uint32_t severity)
{
	static const uint8_t zeros[RTAS_ERROR_LOG_MAX];
	char log[EEH_PCI_REGS_LOG_LEN];
	size_t loglen = 0;
	uint32_t a[8], r[1];

	/* EEH_ENABLE_IO_FOR_LOG is set on pseries, so both severities thaw MMIO */
	(void)pci_enable(g, pe, EEH_OPT_THAW_MMIO);
	configure_pe(g, pe);
	restore_bars(g, pe);
	log[0] = '\0';
	for (size_t i = 0; i < g->ndevs; i++)
		if (dev_in_pe(g, &g->devs[i], pe))
			loglen += dump_dev_log(g, &g->devs[i], log + loglen, sizeof(log) - loglen);
	guest_write(g, SCR_DRVLOG, log, loglen);
	guest_write(g, SCR_SLOTERR, zeros, sizeof(zeros));
	a[0] = pe->addr;
	a[1] = buid_hi(pe->buid);
	a[2] = buid_lo(pe->buid);
	a[3] = (uint32_t)(g->scratch + SCR_DRVLOG);
	a[4] = (uint32_t)loglen;
	a[5] = (uint32_t)(g->scratch + SCR_SLOTERR);
	a[6] = RTAS_ERROR_LOG_MAX;
	a[7] = severity;
	(void)rtas(g, T_SLOT_ERROR_DETAIL, 8, 1, a, r);
}

/* ---- reset (eeh_pe_reset_full, eeh_reset_device) ----------------------- */

/* pseries_eeh_phb_reset(): the sleeps happen whatever the status */
static int32_t phb_reset(struct sphb_guest *g, const struct gpe *pe, uint32_t option)
{
	uint32_t a[4] = { pe->addr, buid_hi(pe->buid), buid_lo(pe->buid), option }, r[1];
	int32_t ret = rtas(g, T_SET_SLOT_RESET, 4, 1, a, r);

	if (option == EEH_RESET_FUNDAMENTAL && ret == -8) {
		option = a[3] = EEH_RESET_HOT;
		ret = rtas(g, T_SET_SLOT_RESET, 4, 1, a, r);
	}
	sleep_ms(g, option == EEH_RESET_DEACTIVATE ? EEH_PE_RST_SETTLE_TIME : EEH_PE_RST_HOLD_TIME);
	return ret;
}

/* eeh_pe_reenable_devices() */
static int reenable_devices(struct sphb_guest *g, const struct gpe *pe)
{
	restore_bars(g, pe);
	for (size_t i = 0; i < g->ndevs; i++)
		if (dev_in_pe(g, &g->devs[i], pe) && g->devs[i].probed)
			reenable_device(g, &g->devs[i]);
	return unfreeze_pe(g, pe);
}

static int pe_reset(struct sphb_guest *g, const struct gpe *pe, uint32_t option)
{
	int ret = phb_reset(g, pe, option);

	if (option != EEH_RESET_DEACTIVATE || ret)
		return ret;
	return reenable_devices(g, pe);
}

static int pe_reset_full(struct sphb_guest *g, const struct gpe *pe)
{
	int ret = 0;

	for (int i = 0; i < EEH_RESET_ATTEMPTS && !g->err; i++) {
		int state;

		g->resets++;
		ret = pe_reset(g, pe, EEH_RESET_HOT); /* no device needs a fundamental reset */
		if (!ret)
			ret = pe_reset(g, pe, EEH_RESET_DEACTIVATE);
		if (ret) {
			ret = -EIO; /* "Failure resetting PHB#x-PE#y (attempt n)" */
			continue;
		}
		state = wait_state(g, pe, PCI_BUS_RESET_WAIT_MSEC);
		if (state < 0) {
			ret = -ENOTRECOVERABLE;
			break;
		}
		if (state_active(state))
			break;
		/* "Slot inactive after reset": next attempt */
	}
	return ret;
}

static int clear_pe_frozen_state(struct sphb_guest *g, const struct gpe *pe)
{
	for (int i = 0; i < 3; i++)
		if (!unfreeze_pe(g, pe))
			return 0;
	return -EIO;
}

static int reset_device(struct sphb_guest *g, const struct gpe *pe)
{
	int rc = pe_reset_full(g, pe);

	if (rc)
		return rc;
	configure_pe(g, pe);
	restore_bars(g, pe);
	return clear_pe_frozen_state(g, pe);
}

/* ---- eeh_handle_normal_event() ----------------------------------------- */

static int64_t now_s(const struct sphb_guest *g)
{
	return (int64_t)(sphb_clock_ms(g->m) / 1000);
}

/* eeh_pe_update_time_stamp() + freeze_count++; true: over the limit */
static bool freeze_accounting(struct sphb_guest *g, struct gpe *pe)
{
	int64_t t = now_s(g);

	if (pe->freeze_count <= 0) {
		pe->freeze_count = 0;
		pe->tstamp = t;
	} else if (t - pe->tstamp > EEH_FREEZE_WINDOW_S) {
		pe->tstamp = t;
		pe->freeze_count = 0;
	}
	pe->freeze_count++;
	return pe->freeze_count > g->max_freezes;
}

static enum sphb_guest_outcome handle_normal_event(struct sphb_guest *g, struct gpe *pe)
{
	int rc;

	if (freeze_accounting(g, pe))
		goto recover_failed; /* "permanently disabled" */
	/* error_detected(io_frozen) -> NEED_RESET: no RTAS */
	rc = wait_state(g, pe, MAX_WAIT_FOR_RECOVERY * 1000);
	if (rc < 0 || rc == EEH_STATE_NOT_SUPPORT)
		goto recover_failed; /* "Permanent failure" */
	slot_error_detail(g, pe, EEH_LOG_TEMP);
	if (reset_device(g, pe))
		goto recover_failed;
	/* slot_reset() and resume(): the driver's own traffic */
	for (size_t i = 0; i < g->ndevs; i++) {
		struct gdev *d = &g->devs[i];
		if (dev_in_pe(g, d, pe) && !d->probed && !g->err)
			probe_config(g, d); /* frozen at first use: save it now */
	}
	return SPHB_GUEST_RECOVERED;

recover_failed:
	slot_error_detail(g, pe, EEH_LOG_PERM);
	pe->removed = true; /* devices hot-removed: the guest forgets them */
	return SPHB_GUEST_PERMANENT_FAILURE;
}

/* ---- public API -------------------------------------------------------- */

static struct gdev *dev_find(struct sphb_guest *g, const char *id)
{
	for (size_t i = 0; i < g->ndevs; i++)
		if (!strcmp(g->devs[i].id, id))
			return &g->devs[i];
	return NULL;
}

static int dev_add(struct sphb_guest *g, const char *id, uint64_t buid, uint32_t cfg,
		   struct gdev **out)
{
	struct gdev *devs = realloc(g->devs, (g->ndevs + 1) * sizeof(*devs));
	size_t len = strlen(id) + 1;
	struct gdev *d;

	if (!devs)
		return -ENOMEM;
	g->devs = devs;
	d = &g->devs[g->ndevs];
	memset(d, 0, sizeof(*d));
	d->id = malloc(len);
	if (!d->id)
		return -ENOMEM;
	memcpy(d->id, id, len);
	d->buid = buid;
	d->cfg = cfg;
	g->ndevs++;
	*out = d;
	return 0;
}

/* The PE record of (buid, addr), created on first sight. */
static int pe_get(struct sphb_guest *g, uint64_t buid, uint32_t addr, size_t *idx)
{
	struct gpe *pes;

	for (size_t i = 0; i < g->npes; i++) {
		if (g->pes[i].buid == buid && g->pes[i].addr == addr) {
			*idx = i;
			return 0;
		}
	}
	pes = realloc(g->pes, (g->npes + 1) * sizeof(*pes));
	if (!pes)
		return -ENOMEM;
	g->pes = pes;
	memset(&g->pes[g->npes], 0, sizeof(*pes));
	g->pes[g->npes].buid = buid;
	g->pes[g->npes].addr = addr;
	*idx = g->npes++;
	return 0;
}

SPHB_API int sphb_guest_new(struct sphb_machine *m, const struct sphb_guest_opts *opts,
			    const struct sphb_guest_ops *ops, void *opaque,
			    struct sphb_guest **out)
{
	struct sphb_guest_opts o;
	struct sphb_guest_ops gops;
	struct sphb_guest *g;
	int rc;

	if (out)
		*out = NULL;
	if (!m || !opts || !ops || !out)
		return -EINVAL;
	/* a member of a newer version in use: -E2BIG */
	rc = sphb_struct_in(&o, sizeof(o), opts, opts->sz,
			    offsetof(struct sphb_guest_opts, scratch_gpa) + sizeof(opts->scratch_gpa));
	if (!rc)
		rc = sphb_struct_in(&gops, sizeof(gops), ops, ops->sz,
				    offsetof(struct sphb_guest_ops, mem_write) + sizeof(ops->mem_write));
	if (rc)
		return rc;
	if (!gops.mem_read || !gops.mem_write)
		return -EINVAL;
	/* the driver passes 32-bit buffer addresses, as a guest in real mode */
	if (o.scratch_gpa > 0xffffffffull - SPHB_GUEST_SCRATCH_SIZE + 1 || o.max_freezes > 1000000)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->ops = gops;
	g->m = m;
	g->opaque = opaque;
	g->scratch = o.scratch_gpa;
	g->max_freezes = o.max_freezes ? (int)o.max_freezes : EEH_MAX_FREEZES;
	for (int t = 0; t < T_COUNT; t++) {
		g->tok[t] = sphb_rtas_token(tok_names[t]);
		/* eeh_pseries_init(): EEH needs all of these (rtas-last-error is optional) */
		if (g->tok[t] < 0 && t != T_LAST_ERROR) {
			free(g);
			return -ENOTSUP;
		}
	}
	*out = g;
	return 0;
}

SPHB_API int sphb_guest_recover(struct sphb_guest *g, const char *dev_id,
				struct sphb_guest_result *res)
{
	struct sphb_guest_result r;
	enum sphb_guest_outcome outcome = SPHB_GUEST_NOT_FROZEN;
	struct gdev *d;
	struct gpe *pe;
	uint64_t t0, buid;
	uint32_t cfg, v;
	int rc;

	if (!g || !dev_id)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	g->err = 0;
	g->calls = g->resets = 0;
	t0 = sphb_clock_ms(g->m);
	rc = sphb_dev_config_addr(g->m, dev_id, &buid, &cfg);
	if (rc)
		return rc;
	d = dev_find(g, dev_id);
	if (d && (d->buid != buid || d->cfg != cfg)) {
		/* unplugged and replugged elsewhere: a new device */
		d->have_pe = d->probed = false;
		d->buid = buid;
		d->cfg = cfg;
	}
	if (!d) {
		rc = dev_add(g, dev_id, buid, cfg, &d);
		if (rc)
			return rc;
	}
	if (!d->have_pe) {
		uint32_t addr = 0;
		rc = pe_config_addr(g, d, &addr);
		if (!rc)
			rc = pe_get(g, d->buid, addr, &d->pe_idx);
		if (g->err)
			rc = g->err;
		if (rc) {
			rc = rc == -ENOENT || rc == -ENXIO ? -ENODEV : rc;
			goto out;
		}
		d->have_pe = true;
	}
	pe = &g->pes[d->pe_idx];
	r.pe_addr = pe->addr;
	if (pe->removed) {
		outcome = SPHB_GUEST_PERMANENT_FAILURE; /* the guest has no such device any more */
		goto done;
	}
	/* a config read returning all-ones is a detection point (B.4, B.5) */
	v = cfg_read(g, d, PCI_VENDOR_ID, 4);
	if (v != 0xffffffffu) {
		if (!d->probed && !g->err)
			probe_config(g, d);
		goto done;
	}
	/* eeh_dev_check_failure() */
	rc = get_state(g, pe, NULL);
	if (rc < 0 || state_active(rc))
		goto done; /* false positive */
	outcome = handle_normal_event(g, pe);
done:
	rc = g->err;
	r.outcome = outcome;
	r.freeze_count = pe->freeze_count > 0 ? (uint32_t)pe->freeze_count : 0;
out:
	r.resets = g->resets;
	r.calls = g->calls;
	r.elapsed_ms = sphb_clock_ms(g->m) - t0;
	if (res && res->sz > sizeof(res->sz)) /* a prefix for older callers */
		memcpy((char *)res + sizeof(res->sz), (const char *)&r + sizeof(r.sz),
		       (res->sz < sizeof(r) ? res->sz : sizeof(r)) - sizeof(r.sz));
	return rc;
}

SPHB_API void sphb_guest_free(struct sphb_guest *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->ndevs; i++)
		free(g->devs[i].id);
	free(g->devs);
	free(g->pes);
	free(g);
}
