/* A model of the Linux kernel's VFIO interface for the sPAPR TCE IOMMU
 * (Linux 6.12 drivers/vfio/vfio_iommu_spapr_tce.c tce_iommu_ioctl(), drivers/vfio/vfio_spapr_eeh.c), plugged into the VFIO backend through its
 * system-call seam: sphb_vfio_set_sys(&fake) after reset_kernel(). Host IOMMU
 * groups, containers, the EEH PE ops, DMA windows, and counters of every
 * host mapping operation (n_map, n_unmap, n_create, n_remove). Shared by
 * tests/unit/test_vfio_fake.c and the benchmark's host-operations section.
 * Header-only (static), like harness.h; include it after harness.h and
 * internal.h, in a build with SPHB_VFIO. SPDX-License-Identifier: MIT */
#ifndef SPHB_TEST_VFIO_FAKE_KERNEL_H
#define SPHB_TEST_VFIO_FAKE_KERNEL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <linux/vfio.h>

#include "host/vfio.h"

#define MAXFD 64
#define CFG_OFF 0x70000000000ull	/* where the fake puts the config region */
#define BAR0_OFF 0x00000000000ull	/* and BAR0 (a 4 KiB memory BAR) */
#define BAR0_SIZE 0x1000u

/* ================= the fake kernel ================= */

enum kind { K_FREE, K_CONTAINER, K_GROUP, K_DEVICE };

/* An IOMMU group of the host and its functions; has_pe: the host EEH core
 * has a PE for it (false: the group "vanished" from EEH, -ENODEV). */
struct kgroup {
	int num;
	const char *devs[2];
	bool bound;		/* /dev/vfio/N exists (functions bound to vfio-pci) */
	bool viable, busy, dev_busy, has_pe;
	bool frozen_mmio, frozen_dma, reset;
	int container;		/* fd, -1: none */
};
static struct kgroup kgroups[] = {
	{ 5, { "0001:01:00.0", "0001:01:00.1" }, true, true, false, false, true, false, false, false, -1 },
	{ 6, { "0001:02:00.0", NULL }, true, true, false, false, true, false, false, false, -1 },
	{ 7, { "0001:03:00.0", NULL }, true, false, false, false, true, false, false, false, -1 },
	{ 8, { "0001:04:00.0", NULL }, false, true, false, false, true, false, false, false, -1 },
};
#define NKGROUPS (sizeof(kgroups) / sizeof(kgroups[0]))

static struct {
	enum kind kind;
	int group;
	int attached[4];
	int nattached;
	int iommu;		/* 0: none, VFIO_SPAPR_TCE_IOMMU or _v2_IOMMU */
	bool enabled;		/* v1: VFIO_IOMMU_ENABLE done */
	unsigned registered;	/* v2: pre-registered ranges */
	uint8_t cfg[4096];
	uint8_t bar0[BAR0_SIZE];
	uint64_t win_start[2], win_size[2];
	unsigned win_shift[2];
	bool win[2];
	bool def_pending;	/* v2: the kernel's default window, created on first use */
	uint64_t mapped;	/* bytes mapped by MAP_DMA minus UNMAP_DMA */
} fds[MAXFD];

/* host properties */
static bool no_dev_vfio, dev_vfio_eacces, eeh_enabled, spapr, v1_only, lock_limit, not_pci;
/* observations */
static unsigned n_map, n_unmap, n_create, n_remove, pe_bad, n_pe;
static bool create_enospc;	/* TCE_CREATE fails (no free window slot) */
static int pe_fd;			/* container of the last VFIO_EEH_PE_OP */
static struct vfio_eeh_pe_op last_pe;
static int calls, fail_at = -1, fail_errno = EIO, open_fds;
static char trace[8192];

static void rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(trace);

	va_start(ap, fmt);
	vsnprintf(trace + n, sizeof(trace) - n, fmt, ap);
	va_end(ap);
	strncat(trace, ";", sizeof(trace) - strlen(trace) - 1);
}

static bool inject(void)
{
	return calls++ == fail_at;
}

static struct kgroup *kgroup(int num)
{
	for (unsigned i = 0; i < NKGROUPS; i++)
		if (kgroups[i].num == num)
			return &kgroups[i];
	return NULL;
}

static struct kgroup *kgroup_of_dev(const char *name)
{
	for (unsigned i = 0; i < NKGROUPS; i++)
		for (unsigned j = 0; j < 2; j++)
			if (kgroups[i].devs[j] && !strcmp(kgroups[i].devs[j], name))
				return &kgroups[i];
	return NULL;
}

static int newfd(enum kind k, int group)
{
	for (int fd = 3; fd < MAXFD; fd++)
		if (fds[fd].kind == K_FREE) {
			memset(&fds[fd], 0, sizeof(fds[fd]));
			fds[fd].kind = k;
			fds[fd].group = group;
			open_fds++;
			return fd;
		}
	return -EMFILE;
}

static bool valid(int fd)
{
	return fd >= 0 && fd < MAXFD && fds[fd].kind != K_FREE;
}

/* a group leaves its container; the last one tears the IOMMU driver down */
static void detach(struct kgroup *g)
{
	int c = g->container;

	if (c < 0)
		return;
	for (int i = 0; i < fds[c].nattached; i++)
		if (fds[c].attached[i] == g->num)
			fds[c].attached[i] = fds[c].attached[--fds[c].nattached];
	if (!fds[c].nattached) {
		fds[c].iommu = 0;
		fds[c].enabled = false;
		fds[c].registered = 0;
	}
	g->container = -1;
}

static int f_open(const char *path, int flags)
{
	int g;

	rec("open %s", path);
	if (inject())
		return -fail_errno;
	if (!(flags & O_RDWR) || !(flags & O_CLOEXEC))
		return -EINVAL; /* the backend must open read-write, close-on-exec */
	if (!strcmp(path, "/dev/vfio/vfio")) {
		int fd;
		if (no_dev_vfio)
			return -ENOENT;
		if (dev_vfio_eacces)
			return -EACCES;
		/* the platform's default 32-bit window comes with the IOMMU
		 * driver: default_window() (v2), VFIO_IOMMU_ENABLE (v1) */
		fd = newfd(K_CONTAINER, -1);
		return fd;
	}
	if (sscanf(path, "/dev/vfio/%d", &g) == 1 && kgroup(g) && kgroup(g)->bound)
		return kgroup(g)->busy ? -EBUSY : newfd(K_GROUP, g);
	return -ENOENT;
}

static int f_close(int fd)
{
	if (!valid(fd))
		return -EBADF;
	rec("close %s", fds[fd].kind == K_CONTAINER ? "container" : fds[fd].kind == K_GROUP ? "group" : "device");
	if (fds[fd].kind == K_GROUP)
		detach(kgroup(fds[fd].group));
	if (fds[fd].kind == K_CONTAINER) /* groups still attached are released */
		for (unsigned i = 0; i < NKGROUPS; i++)
			if (kgroups[i].container == fd)
				detach(&kgroups[i]);
	fds[fd].kind = K_FREE;
	open_fds--;
	return 0;
}

static ssize_t f_readlink(const char *path, char *buf, size_t n)
{
	char name[32], link[64];
	struct kgroup *g;

	rec("readlink %s", path);
	if (inject())
		return -fail_errno;
	if (sscanf(path, "/sys/bus/pci/devices/%12s", name) != 1)
		return -ENOENT;
	g = kgroup_of_dev(name);
	if (!g)
		return -ENOENT;
	if (!strstr(path, "/iommu_group"))
		snprintf(link, sizeof(link), "../../../devices/pci%.7s/%s", name, name);
	else
		snprintf(link, sizeof(link), "../../../../kernel/iommu_groups/%d", g->num);
	strncpy(buf, link, n); /* readlink: no terminating NUL is promised */
	return (ssize_t)(strlen(link) < n ? strlen(link) : n);
}

/* one group's VFIO_EEH_PE_OP (vfio_spapr_ioctl_eeh_pe_op + eeh.c, 6.12) */
static int group_eeh(struct kgroup *g, const struct vfio_eeh_pe_op *op)
{
	if (!g->has_pe)
		return -ENODEV;
	if (op->argsz < 12 || op->flags)
		return -EINVAL;
	switch (op->op) {
	case VFIO_EEH_PE_DISABLE:
		return 0;
	case VFIO_EEH_PE_ENABLE: /* eeh_pe_change_owner(): a frozen PE is thawed */
		if (!eeh_enabled)
			return -EIO;
		if (!g->reset)
			g->frozen_mmio = g->frozen_dma = false;
		return 0;
	case VFIO_EEH_PE_UNFREEZE_IO:
		g->frozen_mmio = false;
		return 0;
	case VFIO_EEH_PE_UNFREEZE_DMA:
		g->frozen_dma = false;
		return 0;
	case VFIO_EEH_PE_GET_STATE:
		return g->reset ? 1 : !g->frozen_mmio && !g->frozen_dma ? 0 :
		       g->frozen_mmio && g->frozen_dma ? 2 : !g->frozen_mmio ? 4 : 5;
	case VFIO_EEH_PE_RESET_HOT:
	case VFIO_EEH_PE_RESET_FUNDAMENTAL: /* freeze first, block config, assert */
		g->frozen_mmio = g->frozen_dma = g->reset = true;
		return 0;
	case VFIO_EEH_PE_RESET_DEACTIVATE: /* eeh_pe_reenable_devices(): thawed */
		g->reset = g->frozen_mmio = g->frozen_dma = false;
		return 0;
	case VFIO_EEH_PE_CONFIGURE:
		return 0;
	case VFIO_EEH_PE_INJECT_ERR:
		if (op->argsz < 40 || op->err.func > 19)
			return -EINVAL;
		if (op->err.type > 1)
			return -ERANGE;
		g->frozen_mmio = g->frozen_dma = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static const char *ioname(unsigned long r)
{
	switch (r) {
	case VFIO_GET_API_VERSION: return "GET_API_VERSION";
	case VFIO_CHECK_EXTENSION: return "CHECK_EXTENSION";
	case VFIO_SET_IOMMU: return "SET_IOMMU";
	case VFIO_GROUP_GET_STATUS: return "GROUP_GET_STATUS";
	case VFIO_GROUP_SET_CONTAINER: return "GROUP_SET_CONTAINER";
	case VFIO_GROUP_UNSET_CONTAINER: return "GROUP_UNSET_CONTAINER";
	case VFIO_GROUP_GET_DEVICE_FD: return "GROUP_GET_DEVICE_FD";
	case VFIO_DEVICE_GET_INFO: return "DEVICE_GET_INFO";
	case VFIO_DEVICE_GET_REGION_INFO: return "DEVICE_GET_REGION_INFO";
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO: return "SPAPR_TCE_GET_INFO";
	case VFIO_IOMMU_ENABLE: return "IOMMU_ENABLE";
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY: return "SPAPR_REGISTER_MEMORY";
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: return "SPAPR_UNREGISTER_MEMORY";
	case VFIO_EEH_PE_OP: return "EEH_PE_OP";
	case VFIO_IOMMU_MAP_DMA: return "MAP_DMA";
	case VFIO_IOMMU_UNMAP_DMA: return "UNMAP_DMA";
	case VFIO_IOMMU_SPAPR_TCE_CREATE: return "SPAPR_TCE_CREATE";
	case VFIO_IOMMU_SPAPR_TCE_REMOVE: return "SPAPR_TCE_REMOVE";
	default: return "?";
	}
}

/* Linux tce_iommu_create_default_window(): a v2 container's default window (the group's 32-bit
 * window: 0, 1 GiB, 4 KiB pages here) is created by the first MAP_DMA or
 * TCE_CREATE, unless a TCE_REMOVE of address 0 cancelled it first. */
static void default_window(int c)
{
	if (!fds[c].def_pending)
		return;
	fds[c].def_pending = false;
	fds[c].win[0] = true;
	fds[c].win_start[0] = 0;
	fds[c].win_size[0] = 0x40000000;
	fds[c].win_shift[0] = 12;
}

static int container_ioctl(int fd, unsigned long req, void *arg)
{
	uintptr_t v = (uintptr_t)arg;
	int c = fd;

	switch (req) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		if (!spapr)
			return 0; /* x86: type1 answers none of the sPAPR extensions */
		if (v == VFIO_EEH)
			return eeh_enabled;
		return v == VFIO_SPAPR_TCE_IOMMU || (v == VFIO_SPAPR_TCE_v2_IOMMU && !v1_only);
	case VFIO_SET_IOMMU:
		if (!fds[c].nattached || fds[c].iommu)
			return -EINVAL;
		if (!spapr || (v != VFIO_SPAPR_TCE_IOMMU && v != VFIO_SPAPR_TCE_v2_IOMMU) ||
		    (v == VFIO_SPAPR_TCE_v2_IOMMU && v1_only))
			return -EINVAL;
		if (v == VFIO_SPAPR_TCE_IOMMU && fds[c].nattached > 1)
			return -EBUSY;
		fds[c].iommu = (int)v;
		fds[c].def_pending = v == VFIO_SPAPR_TCE_v2_IOMMU;
		return 0;
	case VFIO_EEH_PE_OP: {
		const struct vfio_eeh_pe_op *op = arg;
		if (!fds[c].iommu)
			return -EINVAL;
		n_pe++;
		pe_fd = c;
		last_pe = *op;
		if (op->argsz != sizeof(*op) || op->flags)
			pe_bad++; /* the backend must send argsz = sizeof, flags = 0 */
		/* the kernel loops over the groups in attach order, first non-zero wins */
		for (int i = 0; i < fds[c].nattached; i++) {
			int rc = group_eeh(kgroup(fds[c].attached[i]), op);
			if (rc)
				return rc;
		}
		return 0;
	}
	default:
		break;
	}
	if (!fds[c].iommu)
		return -EINVAL; /* no IOMMU driver: vfio_fops_unl_ioctl's default */
	switch (req) {
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO: {
		struct vfio_iommu_spapr_tce_info *i = arg;
		if (!fds[c].nattached)
			return -ENXIO;
		if (i->argsz < 16)
			return -EINVAL;
		i->flags = 0;
		i->dma32_window_start = 0;
		i->dma32_window_size = 0x40000000;
		if (fds[c].iommu == VFIO_SPAPR_TCE_v2_IOMMU) {
			i->flags = VFIO_IOMMU_SPAPR_INFO_DDW;
			if (i->argsz >= 32) {
				i->ddw.pgsizes = (1u << 12) | (1u << 16) | (1u << 24);
				i->ddw.max_dynamic_windows_supported = 1;
				i->ddw.levels = 5;
			}
		}
		return 0;
	}
	case VFIO_IOMMU_ENABLE:
		if (fds[c].iommu != VFIO_SPAPR_TCE_IOMMU)
			return -ENOTTY;
		if (fds[c].enabled)
			return -EBUSY;
		if (lock_limit)
			return -ENOMEM;
		fds[c].enabled = true;
		/* v1: the group's 32-bit window, the only one */
		fds[c].win[0] = true;
		fds[c].win_start[0] = 0;
		fds[c].win_size[0] = 0x40000000;
		fds[c].win_shift[0] = 12;
		return 0;
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
	case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY: {
		const struct vfio_iommu_spapr_register_memory *r = arg;
		if (fds[c].iommu != VFIO_SPAPR_TCE_v2_IOMMU)
			return -ENOTTY;
		if (r->argsz < sizeof(*r) || r->flags)
			return -EINVAL;
		if (!fds[c].nattached)
			return -ENXIO;
		if (req == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY)
			return fds[c].registered ? (fds[c].registered--, 0) : -ENOENT;
		if (lock_limit)
			return -ENOMEM;
		fds[c].registered++;
		return 0;
	}
	case VFIO_IOMMU_SPAPR_TCE_CREATE: {
		struct vfio_iommu_spapr_tce_create *cr = arg;
		int w;
		if (fds[c].iommu != VFIO_SPAPR_TCE_v2_IOMMU)
			return -ENOTTY;
		if (cr->argsz < sizeof(*cr) || cr->flags)
			return -EINVAL;
		if (!fds[c].nattached)
			return -ENXIO;
		if (create_enospc)
			return -ENOSPC;
		default_window(c);
		w = !fds[c].win[0] ? 0 : !fds[c].win[1] ? 1 : -1;
		if (w < 0)
			return -ENOSPC;
		if (cr->page_shift != 12 && cr->page_shift != 16 && cr->page_shift != 24)
			return -EINVAL;
		fds[c].win[w] = true;
		fds[c].win_start[w] = cr->start_addr = w ? 1ull << 59 : 0;
		fds[c].win_shift[w] = cr->page_shift;
		fds[c].win_size[w] = cr->window_size;
		n_create++;
		return 0;
	}
	case VFIO_IOMMU_SPAPR_TCE_REMOVE: {
		const struct vfio_iommu_spapr_tce_remove *rm = arg;
		if (fds[c].iommu != VFIO_SPAPR_TCE_v2_IOMMU)
			return -ENOTTY;
		if (rm->argsz < sizeof(*rm) || rm->flags)
			return -EINVAL;
		if (!fds[c].nattached)
			return -ENXIO;
		if (fds[c].def_pending && rm->start_addr == 0) {
			fds[c].def_pending = false; /* just cancels the pending default */
			return 0;
		}
		for (int w = 0; w < 2; w++)
			if (fds[c].win[w] && fds[c].win_start[w] == rm->start_addr) {
				fds[c].win[w] = false;
				n_remove++;
				return 0;
			}
		return -EINVAL;
	}
	case VFIO_IOMMU_MAP_DMA:
	case VFIO_IOMMU_UNMAP_DMA: {
		bool map = req == VFIO_IOMMU_MAP_DMA;
		const struct vfio_iommu_type1_dma_map *mp = arg;
		const struct vfio_iommu_type1_dma_unmap *up = arg;
		uint64_t iova = map ? mp->iova : up->iova, size = map ? mp->size : up->size;
		if (fds[c].iommu == VFIO_SPAPR_TCE_IOMMU && !fds[c].enabled)
			return -EPERM; /* v1: not enabled yet */
		default_window(c);
		if (map ? (mp->argsz < sizeof(*mp) || !(mp->flags & 3) || (mp->flags & ~3u))
			: (up->argsz < sizeof(*up) || up->flags))
			return -EINVAL;
		for (int w = 0; w < 2; w++)
			if (fds[c].win[w] && iova >= fds[c].win_start[w] &&
			    iova + size <= fds[c].win_start[w] + fds[c].win_size[w] &&
			    !(iova & ((1ull << fds[c].win_shift[w]) - 1)) &&
			    !(size & ((1ull << fds[c].win_shift[w]) - 1))) {
				if (map)
					n_map++, fds[c].mapped += size;
				else
					n_unmap++, fds[c].mapped -= size < fds[c].mapped ? size : fds[c].mapped;
				return 0;
			}
		return -EINVAL;
	}
	default:
		return -ENOTTY;
	}
}

static int group_ioctl(int fd, unsigned long req, void *arg)
{
	struct kgroup *g = kgroup(fds[fd].group);

	switch (req) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *st = arg;
		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = (g->viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
			    (g->container >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		int c = *(const int *)arg;
		if (!valid(c) || fds[c].kind != K_CONTAINER)
			return -EBADF;
		if (!g->viable)
			return -EPERM;
		if (g->container >= 0)
			return -EBUSY;
		if (fds[c].iommu == VFIO_SPAPR_TCE_IOMMU)
			return -EBUSY; /* v1: one group per container */
		g->container = c;
		fds[c].attached[fds[c].nattached++] = g->num;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (g->container < 0)
			return -EINVAL;
		detach(g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		const char *name = arg;
		int d;
		if (g->container < 0 || !fds[g->container].iommu)
			return -EINVAL;
		if (kgroup_of_dev(name) != g)
			return -ENODEV;
		if (g->dev_busy)
			return -EBUSY;
		d = newfd(K_DEVICE, g->num);
		if (d >= 0) {
			fds[d].cfg[0] = 0x14; fds[d].cfg[1] = 0x10;	/* 1014:0ace */
			fds[d].cfg[2] = 0xce; fds[d].cfg[3] = 0x0a;
			/* type 0 header; function 0 of a multi-function card says so */
			fds[d].cfg[0x0e] = name[strlen(name) - 1] == '0' ? 0x80 : 0x00;
			fds[d].cfg[0x10] = 0x00;			/* BAR0: 32-bit memory */
		}
		return d;
	}
	default:
		return -ENOTTY;
	}
}

static int device_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (req == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info *i = arg;
		if (i->argsz < 16)
			return -EINVAL;
		i->flags = not_pci ? VFIO_DEVICE_FLAGS_PLATFORM : VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *r = arg;
		if (r->argsz < sizeof(*r))
			return -EINVAL;
		if (r->index == VFIO_PCI_BAR0_REGION_INDEX) {
			r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				   VFIO_REGION_INFO_FLAG_MMAP;
			r->offset = BAR0_OFF;
			r->size = BAR0_SIZE;
			return 0;
		}
		if (r->index < VFIO_PCI_CONFIG_REGION_INDEX) { /* not implemented */
			r->flags = 0;
			r->offset = 0;
			r->size = 0;
			return 0;
		}
		if (r->index != VFIO_PCI_CONFIG_REGION_INDEX)
			return -EINVAL;
		r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		r->offset = CFG_OFF;
		r->size = 4096;
		return 0;
	}
	return -ENOTTY;
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	if (req == VFIO_CHECK_EXTENSION || req == VFIO_SET_IOMMU)
		rec("%s(%u)", ioname(req), (unsigned)v);
	else if (req == VFIO_EEH_PE_OP)
		rec("EEH_PE_OP(%u)", ((const struct vfio_eeh_pe_op *)arg)->op);
	else if (req == VFIO_GROUP_GET_DEVICE_FD)
		rec("GROUP_GET_DEVICE_FD(%s)", (const char *)arg);
	else
		rec("%s", ioname(req));
	if (inject())
		return -fail_errno;
	if (!valid(fd))
		return -EBADF;
	switch (fds[fd].kind) {
	case K_CONTAINER: return container_ioctl(fd, req, arg);
	case K_GROUP: return group_ioctl(fd, req, arg);
	default: return device_ioctl(fd, req, arg);
	}
}

static bool cfg_blocked(int fd)
{
	const struct kgroup *g = kgroup(fds[fd].group);
	return g->frozen_mmio || g->reset;
}

/* the bytes of region offset `off` in the device: config space or BAR0 */
static uint8_t *region_bytes(int fd, off_t off, size_t n)
{
	uint64_t o = (uint64_t)off - CFG_OFF, b = (uint64_t)off - BAR0_OFF;

	if (o < 4096 && n <= 4096 - o)
		return fds[fd].cfg + o;
	if (b < BAR0_SIZE && n <= BAR0_SIZE - b)
		return fds[fd].bar0 + b;
	return NULL;
}

static ssize_t f_pread(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p;

	if (inject())
		return -fail_errno;
	if (!valid(fd) || fds[fd].kind != K_DEVICE || !(p = region_bytes(fd, off, n)))
		return -EINVAL;
	if (cfg_blocked(fd)) {
		memset(buf, 0xff, n);		/* a frozen device reads all-ones */
		return (ssize_t)n;
	}
	memcpy(buf, p, n);
	return (ssize_t)n;
}

static ssize_t f_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	uint8_t *p;

	if (inject())
		return -fail_errno;
	if (!valid(fd) || fds[fd].kind != K_DEVICE || !(p = region_bytes(fd, off, n)))
		return -EINVAL;
	if (!cfg_blocked(fd))
		memcpy(p, buf, n);
	return (ssize_t)n;
}

static const struct sphb_vfio_sys fake = { f_open, f_close, f_ioctl, f_pread, f_pwrite, f_readlink };

static void reset_kernel(void)
{
	memset(fds, 0, sizeof(fds));
	for (unsigned i = 0; i < NKGROUPS; i++) {
		kgroups[i].container = -1;
		kgroups[i].frozen_mmio = kgroups[i].frozen_dma = kgroups[i].reset = false;
		kgroups[i].busy = kgroups[i].dev_busy = false;
		kgroups[i].has_pe = kgroups[i].viable = true;
		kgroups[i].bound = kgroups[i].num != 8;
	}
	kgroup(7)->viable = false;
	no_dev_vfio = dev_vfio_eacces = v1_only = lock_limit = not_pci = false;
	eeh_enabled = spapr = true;
	calls = 0;
	fail_at = -1;
	fail_errno = EIO;
	open_fds = 0;
	n_map = n_unmap = n_create = n_remove = pe_bad = n_pe = 0;
	pe_fd = -1;
	memset(&last_pe, 0, sizeof(last_pe));
	trace[0] = '\0';
}

#endif
