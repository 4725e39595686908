/* The VFIO backend against a model of the Linux kernel (linux-eeh.md A.4-A.5):
 * the exact system-call sequence, the container policy of both PE modes,
 * RTAS in -> ioctls out, failure messages, and fault injection at every call
 * with no file descriptor leaked. */
#include <fcntl.h>
#include <stdbool.h>
#include <linux/vfio.h>

#include "harness.h"
#include "backend/vfio.h"

#if !SPHB_VFIO
int main(void) { puts("built without the VFIO backend"); return 77; }
#else

#define HI 0x8000000u
#define LO 0x20000000u
#define MAXFD 64

/* ---------------- the fake kernel ---------------- */
enum kind { K_FREE, K_CONTAINER, K_GROUP, K_DEVICE };
struct kgroup { int num; bool viable, busy, frozen_mmio, frozen_dma, reset; int container; };
static struct kgroup kgroups[] = { { 5, true, false, false, false, false, -1 },
				   { 6, true, false, false, false, false, -1 },
				   { 7, false, false, false, false, false, -1 } };
static struct { enum kind kind; int group; int attached[4]; int nattached; int iommu;
		uint8_t cfg[4096]; uint64_t win_start[2], win_size[2]; unsigned win_shift[2]; bool win[2]; } fds[MAXFD];
static unsigned n_map, n_unmap, n_create, n_remove;
static bool no_dev_vfio, eeh_enabled = true, spapr = true;
static int calls, fail_at = -1, fail_errno = EIO, open_fds;
static char trace[4096];

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
	for (unsigned i = 0; i < sizeof(kgroups) / sizeof(kgroups[0]); i++)
		if (kgroups[i].num == num)
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

static int f_open(const char *path, int flags)
{
	int g;
	(void)flags;
	rec("open %s", path);
	if (inject())
		return -fail_errno;
	if (!strcmp(path, "/dev/vfio/vfio")) {
		int fd = no_dev_vfio ? -ENOENT : newfd(K_CONTAINER, -1);
		if (fd >= 0) { /* the platform's default 32-bit window */
			fds[fd].win[0] = true;
			fds[fd].win_start[0] = 0;
			fds[fd].win_shift[0] = 12;
			fds[fd].win_size[0] = 0x40000000;
		}
		return fd;
	}
	if (sscanf(path, "/dev/vfio/%d", &g) == 1 && kgroup(g))
		return kgroup(g)->busy ? -EBUSY : newfd(K_GROUP, g);
	return -ENOENT;
}

static int f_close(int fd)
{
	rec("close %s", fds[fd].kind == K_CONTAINER ? "container" : fds[fd].kind == K_GROUP ? "group" : "device");
	if (fd < 0 || fd >= MAXFD || fds[fd].kind == K_FREE)
		return -EBADF;
	if (fds[fd].kind == K_GROUP && kgroup(fds[fd].group)->container >= 0) {
		int c = kgroup(fds[fd].group)->container;
		kgroup(fds[fd].group)->container = -1;
		for (int i = 0; i < fds[c].nattached; i++)
			if (fds[c].attached[i] == fds[fd].group)
				fds[c].attached[i] = fds[c].attached[--fds[c].nattached];
	}
	fds[fd].kind = K_FREE;
	open_fds--;
	return 0;
}

static ssize_t f_readlink(const char *path, char *buf, size_t n)
{
	const char *t = NULL;
	rec("readlink %s", path);
	if (inject())
		return -fail_errno;
	if (!strcmp(path, "/sys/bus/pci/devices/0001:01:00.0/iommu_group") ||
	    !strcmp(path, "/sys/bus/pci/devices/0001:01:00.1/iommu_group"))
		t = "../../../../kernel/iommu_groups/5";
	else if (!strcmp(path, "/sys/bus/pci/devices/0001:02:00.0/iommu_group"))
		t = "../../../../kernel/iommu_groups/6";
	else if (!strcmp(path, "/sys/bus/pci/devices/0001:03:00.0/iommu_group"))
		t = "../../../../kernel/iommu_groups/7";
	if (!t)
		return -ENOENT;
	strncpy(buf, t, n);
	return (ssize_t)strlen(t);
}

/* one group's VFIO_EEH_PE_OP (vfio_spapr_ioctl_eeh_pe_op + eeh.c) */
static int group_eeh(struct kgroup *g, struct vfio_eeh_pe_op *op)
{
	if (op->argsz < 12 || op->flags)
		return -EINVAL;
	switch (op->op) {
	case VFIO_EEH_PE_DISABLE: return 0;
	case VFIO_EEH_PE_ENABLE: g->frozen_mmio = g->frozen_dma = false; return 0;
	case VFIO_EEH_PE_UNFREEZE_IO: g->frozen_mmio = false; return 0;
	case VFIO_EEH_PE_UNFREEZE_DMA: g->frozen_dma = false; return 0;
	case VFIO_EEH_PE_GET_STATE:
		return g->reset ? 1 : !g->frozen_mmio && !g->frozen_dma ? 0 :
		       g->frozen_mmio && g->frozen_dma ? 2 : !g->frozen_mmio ? 4 : 5;
	case VFIO_EEH_PE_RESET_HOT: case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		g->frozen_mmio = g->frozen_dma = g->reset = true; return 0;
	case VFIO_EEH_PE_RESET_DEACTIVATE:
		g->reset = g->frozen_mmio = g->frozen_dma = false; return 0;
	case VFIO_EEH_PE_CONFIGURE: return 0;
	case VFIO_EEH_PE_INJECT_ERR:
		if (op->argsz < 40 || op->err.func > 19)
			return -EINVAL;
		if (op->err.type > 1)
			return -ERANGE;
		g->frozen_mmio = g->frozen_dma = true;
		return 0;
	default: return -EINVAL;
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
	case VFIO_DEVICE_GET_REGION_INFO: return "DEVICE_GET_REGION_INFO";
	case VFIO_IOMMU_SPAPR_TCE_GET_INFO: return "SPAPR_TCE_GET_INFO";
	case VFIO_IOMMU_SPAPR_REGISTER_MEMORY: return "SPAPR_REGISTER_MEMORY";
	case VFIO_EEH_PE_OP: return "EEH_PE_OP";
	case VFIO_IOMMU_MAP_DMA: return "MAP_DMA";
	case VFIO_IOMMU_UNMAP_DMA: return "UNMAP_DMA";
	case VFIO_IOMMU_SPAPR_TCE_CREATE: return "SPAPR_TCE_CREATE";
	case VFIO_IOMMU_SPAPR_TCE_REMOVE: return "SPAPR_TCE_REMOVE";
	default: return "?";
	}
}

static int f_ioctl(int fd, unsigned long req, void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	if (req == VFIO_CHECK_EXTENSION || req == VFIO_SET_IOMMU)
		rec("%s(%u)", ioname(req), (unsigned)v);
	else if (req == VFIO_EEH_PE_OP)
		rec("EEH_PE_OP(%u)", ((struct vfio_eeh_pe_op *)arg)->op);
	else
		rec("%s", ioname(req));
	if (inject())
		return -fail_errno;
	if (fd < 0 || fd >= MAXFD || fds[fd].kind == K_FREE)
		return -EBADF;
	if (fds[fd].kind == K_CONTAINER) {
		switch (req) {
		case VFIO_GET_API_VERSION: return VFIO_API_VERSION;
		case VFIO_CHECK_EXTENSION:
			if (v == VFIO_EEH) return eeh_enabled;
			return spapr && (v == VFIO_SPAPR_TCE_IOMMU || v == VFIO_SPAPR_TCE_v2_IOMMU);
		case VFIO_SET_IOMMU:
			if (!fds[fd].nattached || fds[fd].iommu) return -EINVAL;
			fds[fd].iommu = (int)v;
			return 0;
		case VFIO_IOMMU_SPAPR_TCE_GET_INFO: {
			struct vfio_iommu_spapr_tce_info *i = arg;
			if (!fds[fd].nattached) return -ENXIO;
			if (i->argsz < 16) return -EINVAL;
			i->dma32_window_start = 0;
			i->dma32_window_size = 0x40000000;
			return 0;
		}
		case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
			return ((struct vfio_iommu_spapr_register_memory *)arg)->flags ? -EINVAL : 0;
		case VFIO_IOMMU_SPAPR_TCE_CREATE: {
			struct vfio_iommu_spapr_tce_create *cr = arg;
			int w = !fds[fd].win[0] ? 0 : !fds[fd].win[1] ? 1 : -1;
			if (fds[fd].iommu != VFIO_SPAPR_TCE_v2_IOMMU) return -ENOTTY;
			if (cr->flags) return -EINVAL;
			if (w < 0) return -ENOSPC;
			if (cr->page_shift != 12 && cr->page_shift != 16 && cr->page_shift != 24) return -EINVAL;
			fds[fd].win[w] = true;
			fds[fd].win_start[w] = cr->start_addr = w ? 1ull << 59 : 0;
			fds[fd].win_shift[w] = cr->page_shift;
			fds[fd].win_size[w] = cr->window_size;
			n_create++;
			return 0;
		}
		case VFIO_IOMMU_SPAPR_TCE_REMOVE: {
			struct vfio_iommu_spapr_tce_remove *rm = arg;
			if (rm->flags) return -EINVAL;
			for (int w = 0; w < 2; w++)
				if (fds[fd].win[w] && fds[fd].win_start[w] == rm->start_addr) {
					fds[fd].win[w] = false;
					n_remove++;
					return 0;
				}
			return -EINVAL;
		}
		case VFIO_IOMMU_MAP_DMA: case VFIO_IOMMU_UNMAP_DMA: {
			uint64_t iova = req == VFIO_IOMMU_MAP_DMA ? ((struct vfio_iommu_type1_dma_map *)arg)->iova
								   : ((struct vfio_iommu_type1_dma_unmap *)arg)->iova;
			uint64_t size = req == VFIO_IOMMU_MAP_DMA ? ((struct vfio_iommu_type1_dma_map *)arg)->size
								   : ((struct vfio_iommu_type1_dma_unmap *)arg)->size;
			for (int w = 0; w < 2; w++)
				if (fds[fd].win[w] && iova >= fds[fd].win_start[w] &&
				    iova + size <= fds[fd].win_start[w] + fds[fd].win_size[w] &&
				    !(iova & ((1ull << fds[fd].win_shift[w]) - 1)) &&
				    !(size & ((1ull << fds[fd].win_shift[w]) - 1))) {
					if (req == VFIO_IOMMU_MAP_DMA) n_map++; else n_unmap++;
					return 0;
				}
			return -EINVAL;
		}
		case VFIO_EEH_PE_OP:
			if (!fds[fd].iommu) return -EINVAL;
			/* the kernel loops over the groups in attach order, first non-zero wins */
			for (int i = 0; i < fds[fd].nattached; i++) {
				int rc = group_eeh(kgroup(fds[fd].attached[i]), arg);
				if (rc) return rc;
			}
			return 0;
		default: return fds[fd].iommu ? -ENOTTY : -EINVAL;
		}
	}
	if (fds[fd].kind == K_GROUP) {
		struct kgroup *g = kgroup(fds[fd].group);
		switch (req) {
		case VFIO_GROUP_GET_STATUS:
			((struct vfio_group_status *)arg)->flags = (g->viable ? VFIO_GROUP_FLAGS_VIABLE : 0) |
				(g->container >= 0 ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
			return 0;
		case VFIO_GROUP_SET_CONTAINER: {
			int c = *(int *)arg;
			if (g->container >= 0) return -EBUSY;
			if (fds[c].iommu == VFIO_SPAPR_TCE_IOMMU && fds[c].nattached) return -EBUSY;
			g->container = c;
			fds[c].attached[fds[c].nattached++] = g->num;
			return 0;
		}
		case VFIO_GROUP_UNSET_CONTAINER: {
			int c = g->container;
			if (c < 0) return -EINVAL;
			for (int i = 0; i < fds[c].nattached; i++)
				if (fds[c].attached[i] == g->num)
					fds[c].attached[i] = fds[c].attached[--fds[c].nattached];
			if (!fds[c].nattached) fds[c].iommu = 0;
			g->container = -1;
			return 0;
		}
		case VFIO_GROUP_GET_DEVICE_FD: {
			int d;
			if (g->container < 0 || !fds[g->container].iommu) return -EINVAL;
			d = newfd(K_DEVICE, g->num);
			if (d >= 0) {
				fds[d].cfg[0] = 0x14; fds[d].cfg[1] = 0x10;	/* 1014:0ace */
				fds[d].cfg[2] = 0xce; fds[d].cfg[3] = 0x0a;
			}
			return d;
		}
		default: return -ENOTTY;
		}
	}
	if (req == VFIO_DEVICE_GET_REGION_INFO) {
		struct vfio_region_info *r = arg;
		if (r->index != VFIO_PCI_CONFIG_REGION_INDEX) return -EINVAL;
		r->offset = 0x70000000000ull;
		r->size = 4096;
		return 0;
	}
	return -ENOTTY;
}

static ssize_t f_pread(int fd, void *buf, size_t n, off_t off)
{
	uint64_t o = (uint64_t)off - 0x70000000000ull;
	if (inject())
		return -fail_errno;
	if (fds[fd].kind != K_DEVICE || o + n > 4096)
		return -EINVAL;
	if (kgroup(fds[fd].group)->frozen_mmio || kgroup(fds[fd].group)->reset) {
		memset(buf, 0xff, n);		/* a frozen device reads all-ones */
		return (ssize_t)n;
	}
	memcpy(buf, fds[fd].cfg + o, n);
	return (ssize_t)n;
}

static ssize_t f_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	uint64_t o = (uint64_t)off - 0x70000000000ull;
	if (inject())
		return -fail_errno;
	if (fds[fd].kind != K_DEVICE || o + n > 4096)
		return -EINVAL;
	memcpy(fds[fd].cfg + o, buf, n);
	return (ssize_t)n;
}

static const struct sphb_vfio_sys fake = { f_open, f_close, f_ioctl, f_pread, f_pwrite, f_readlink };

/* ---------------- tests ---------------- */

static struct t_host h;
static struct sphb_machine *m;

static void reset_kernel(void)
{
	memset(fds, 0, sizeof(fds));
	for (unsigned i = 0; i < sizeof(kgroups) / sizeof(kgroups[0]); i++) {
		kgroups[i].container = -1;
		kgroups[i].frozen_mmio = kgroups[i].frozen_dma = kgroups[i].reset = kgroups[i].busy = false;
	}
	kgroups[2].viable = false;
	no_dev_vfio = false;
	eeh_enabled = spapr = true;
	calls = 0;
	fail_at = -1;
	open_fds = 0;
	n_map = n_unmap = n_create = n_remove = 0;
	trace[0] = '\0';
}

static int32_t rtas4(const char *name, uint32_t nargs, uint32_t nret, uint32_t cfg, uint32_t lo, uint32_t o, uint32_t *r)
{
	uint32_t a[4] = { cfg, HI, lo, o };
	t_rtas_n(m, &h, (uint32_t)t_token(name), nargs, nret, a, r);
	return (int32_t)r[0];
}

static void add_sequence(void)
{
	uint32_t r[4], v;

	reset_kernel();
	m = t_machine(&h, NULL);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=nic"), 0);
	CHECK(!strcmp(trace,
		"readlink /sys/bus/pci/devices/0001:01:00.0/iommu_group;open /dev/vfio/5;GROUP_GET_STATUS;"
		"open /dev/vfio/vfio;GET_API_VERSION;GROUP_SET_CONTAINER;CHECK_EXTENSION(7);SET_IOMMU(7);"
		"CHECK_EXTENSION(5);SPAPR_TCE_GET_INFO;GROUP_GET_DEVICE_FD;DEVICE_GET_REGION_INFO;"));
	if (strcmp(trace, "") && t_failures)
		fprintf(stderr, "trace: %s\n", trace);
	CHECK_EQ(open_fds, 3);
	/* config space reaches the device through the device fd */
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
	CHECK_EQ(v, 0x0ace1014);
	CHECK_EQ(t_cfg_write(m, &h, T_BUID0, 0x103c, 1, 0x21), 0);
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x103c, 1, &v), 0);
	CHECK_EQ(v, 0x21);
	/* EEH: RTAS in, VFIO_EEH_PE_OP out on the PHB's container */
	trace[0] = '\0';
	CHECK_EQ(rtas4("ibm,set-eeh-option", 4, 1, 1, LO, 1, r), 0);
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), 0);
	CHECK_EQ(r[1], 0);
	kgroup(5)->frozen_mmio = kgroup(5)->frozen_dma = true;	/* the hardware froze the PE */
	CHECK_EQ(t_cfg_read(m, &h, T_BUID0, 0x1000, 4, &v), 0);
	CHECK_EQ(v, 0xffffffff);
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), 0);
	CHECK_EQ(r[1], 2);
	CHECK_EQ(rtas4("ibm,set-slot-reset", 4, 1, 1, LO, 1, r), 0);
	CHECK_EQ(rtas4("ibm,set-slot-reset", 4, 1, 1, LO, 0, r), 0);
	CHECK_EQ(rtas4("ibm,configure-pe", 3, 1, 1, LO, 0, r), 0);
	CHECK(strstr(trace, "EEH_PE_OP(1);EEH_PE_OP(4);EEH_PE_OP(4);EEH_PE_OP(6);EEH_PE_OP(5);EEH_PE_OP(8);") != NULL);
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), 0);
	CHECK_EQ(r[1], 0);
	/* a failing ioctl maps to QEMU's status (§5.3) */
	fail_at = calls;
	CHECK_EQ(rtas4("ibm,set-slot-reset", 4, 1, 1, LO, 1, r), -1);
	fail_at = calls;
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), -3);
	fail_at = -1;
	/* a second group behind the shared PHB: one container, 2 groups -> EEH unavailable, no ioctl */
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=pci.0,addr=3,id=disk"), 0);
	trace[0] = '\0';
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), -3);
	CHECK(strstr(trace, "EEH_PE_OP") == NULL);
	CHECK_EQ(open_fds, 5);			/* one container, two groups, two devices */
	/* unplug releases what the device held */
	CHECK_EQ(sphb_machine_del(m, "disk"), 0);
	CHECK_EQ(open_fds, 3);
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), 0);
	t_free(m, &h);
	CHECK_EQ(open_fds, 0);
}

static unsigned ranges_registered;
static int two_ranges(void *opaque, int (*fn)(void *ctx, uint64_t gpa, void *hva, uint64_t size), void *ctx)
{
	struct t_host *hh = opaque;
	int rc = fn(ctx, 0, hh->ram, T_RAM_SIZE / 2);
	if (!rc)
		rc = fn(ctx, T_RAM_SIZE / 2, hh->ram + T_RAM_SIZE / 2, T_RAM_SIZE / 2);
	ranges_registered += 2;
	return rc;
}

static void per_group(void)
{
	uint32_t r[4];
	struct sphb_host_ops ops = t_ops();

	reset_kernel();
	/* with a RAM iterator, every new v2 container pre-registers guest RAM */
	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	ops.ram_iterate = two_ranges;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &m) ||
	    sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group"))
		exit(1);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2,id=a0"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.1,bus=g.0,addr=2.1,id=a1"), 0);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3,id=b"), 0);
	CHECK_EQ(open_fds, 2 + 2 + 3);		/* a container and a group fd per IOMMU group */
	{
		unsigned n = 0;
		for (const char *p = trace; (p = strstr(p, "SPAPR_REGISTER_MEMORY")); p++)
			n++;
		CHECK_EQ(n, 4);			/* 2 ranges x 2 containers */
	}
	CHECK(kgroup(5)->container != kgroup(6)->container);
	/* PE addresses and modes */
	CHECK_EQ(rtas4("ibm,get-config-addr-info2", 4, 2, 0x1100, LO + 1, 0, r), 0);
	CHECK_EQ(r[1], 0x1000);
	CHECK_EQ(rtas4("ibm,get-config-addr-info2", 4, 2, 0x1100, LO + 1, 1, r), 0);
	CHECK_EQ(r[1], 2);
	CHECK_EQ(rtas4("ibm,get-config-addr-info2", 4, 2, 0x1800, LO + 1, 1, r), 0);
	CHECK_EQ(r[1], 1);
	/* resetting group 5's PE touches only its container */
	CHECK_EQ(rtas4("ibm,set-slot-reset", 4, 1, 0x1000, LO + 1, 1, r), 0);
	CHECK(kgroup(5)->reset);
	CHECK(!kgroup(6)->reset);
	CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 0x1800, LO + 1, 0, r), 0);
	CHECK_EQ(r[1], 0);
	CHECK_EQ(rtas4("ibm,set-slot-reset", 4, 1, 0x1000, LO + 1, 0, r), 0);
	CHECK(!kgroup(5)->reset);
	t_free(m, &h);
	CHECK_EQ(open_fds, 0);
}

/* TCE updates become host mappings in every container of the PHB, coalesced */
static void dma_mapping(void)
{
	struct sphb_host_ops ops = t_ops();
	uint64_t args[4], rets[1];
	int64_t hret;
	uint32_t r[4];

	reset_kernel();
	memset(&h, 0, sizeof(h));
	h.ram_size = T_RAM_SIZE;
	h.ram = calloc(1, h.ram_size);
	ops.ram_iterate = two_ranges;
	if (!h.ram || sphb_machine_new_default(&ops, &h, &m) ||
	    sphb_machine_add(m, "spapr-pci-host-bridge,index=1,id=g,pe-mode=per-group") ||
	    sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=g.0,addr=2") ||
	    sphb_machine_add(m, "vfio-pci,host=0001:02:00.0,bus=g.0,addr=3"))
		exit(1);
	/* 512 contiguous read-write pages in one H_PUT_TCE_INDIRECT: one MAP_DMA
	 * per container (2), where a per-entry policy (QEMU) issues 512 each */
	for (unsigned i = 0; i < 512; i++) {
		t_st32(&h, 0x200000 + 8 * i, 0);
		t_st32(&h, 0x200000 + 8 * i + 4, 0x400000u + 0x1000u * i + 3);
	}
	n_map = n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0; args[2] = 0x200000; args[3] = 512;
	CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(hret, 0);
	CHECK_EQ(n_map, 2);
	CHECK_EQ(n_unmap, 0);
	fprintf(stderr, "512 contiguous TCEs: %u host MAP_DMA for 2 containers (per-entry: %u)\n", n_map, 2 * 512);
	/* a permission change and a gap split the run */
	t_st32(&h, 0x200000 + 8 * 100 + 4, 0x400000u + 0x1000u * 100 + 1);	/* read-only */
	t_st32(&h, 0x200000 + 8 * 300 + 4, 0x900000u + 3);			/* elsewhere */
	n_map = 0;
	CHECK_EQ(sphb_hcall(m, 0x13c, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(n_map, 2 * 5);	/* [0,100) [100] [101,300) [300] [301,512) */
	/* clearing: one UNMAP_DMA per container */
	n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0; args[2] = 0; args[3] = 512;
	CHECK_EQ(sphb_hcall(m, 0x138, args, 4, rets, 0, &hret), 0);
	CHECK_EQ(n_unmap, 2);
	/* a TCE pointing outside guest RAM is never mapped on the host */
	n_map = n_unmap = 0;
	args[0] = 0x80000100u; args[1] = 0x1000; args[2] = 0x7000000000ull | 3;
	CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
	CHECK_EQ(n_map, 0);
	CHECK_EQ(n_unmap, 2);
	/* a dynamic window appears and goes away in every container */
	n_create = n_remove = 0;
	CHECK_EQ(rtas4("ibm,get-config-addr-info2", 4, 2, 0x1000, LO + 1, 0, r), 0);
	{
		uint32_t a[5] = { 0x1000, HI, LO + 1, 16, 30 }, rr[4];
		t_rtas_n(m, &h, 0x2027, 5, 4, a, rr);
		CHECK_EQ(rr[0], 0);
		CHECK_EQ(rr[2], 0x08000000);	/* 1 << 59, where the host put it too */
		CHECK_EQ(n_create, 2);
		n_map = 0;
		args[0] = rr[1]; args[1] = 1ull << 59; args[2] = 0x400000 | 3;
		CHECK_EQ(sphb_hcall(m, 0x20, args, 3, rets, 0, &hret), 0);
		CHECK_EQ(n_map, 2);
		{
			uint32_t ra[1] = { rr[1] }, rs[1];
			t_rtas_n(m, &h, 0x2028, 1, 1, ra, rs);
			CHECK_EQ(rs[0], 0);
		}
		CHECK_EQ(n_remove, 2);
	}
	t_free(m, &h);
	CHECK_EQ(open_fds, 0);
}

static void failures(void)
{
	const char *why[][2] = {
		{ "nodev", "/dev/vfio/vfio does not exist" },
		{ "x86", "not sPAPR TCE" },
		{ "viable", "not viable" },
		{ "busy", "in use by another process" },
		{ "nosuch", "no such PCI device" },
	};
	for (unsigned i = 0; i < 5; i++) {
		const char *host = "0001:01:00.0";
		reset_kernel();
		m = t_machine(&h, NULL);
		if (i == 0) no_dev_vfio = true;
		if (i == 1) spapr = false;
		if (i == 2) host = "0001:03:00.0";
		if (i == 3) kgroup(5)->busy = true;
		if (i == 4) host = "0001:09:00.0";
		{
			char spec[80];
			snprintf(spec, sizeof(spec), "vfio-pci,host=%s,bus=pci.0,addr=2", host);
			CHECK(sphb_machine_add(m, spec) < 0);
		}
		if (!strstr(h.last_log, why[i][1])) {
			fprintf(stderr, "%s: log '%s'\n", why[i][0], h.last_log);
			t_failures++;
		}
		CHECK_EQ(open_fds, 0);
		t_free(m, &h);
	}
	/* no EEH extension: the device works, EEH is unavailable as in QEMU (-3) */
	reset_kernel();
	eeh_enabled = false;
	m = t_machine(&h, NULL);
	CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2"), 0);
	{
		uint32_t r[4];
		CHECK_EQ(rtas4("ibm,read-slot-reset-state2", 3, 4, 1, LO, 0, r), -3);
	}
	t_free(m, &h);
	CHECK_EQ(open_fds, 0);
}

/* Fail every call of the add sequence in turn, with several errnos: the add
 * fails cleanly, nothing leaks, and the same add then succeeds. */
static void fault_injection(void)
{
	static const int errs[] = { EIO, EINTR, ENODEV };
	for (unsigned e = 0; e < 3; e++) {
		for (int k = 0; k < 12; k++) {
			reset_kernel();
			m = t_machine(&h, NULL);
			fail_at = k;
			fail_errno = errs[e];
			if (sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=d") == 0) {
				/* the failed call was not fatal (e.g. CHECK_EXTENSION(EEH)) */
				CHECK_EQ(sphb_machine_del(m, "d"), 0);
			}
			CHECK_EQ(open_fds, 0);
			fail_at = -1;
			CHECK_EQ(sphb_machine_add(m, "vfio-pci,host=0001:01:00.0,bus=pci.0,addr=2,id=d"), 0);
			t_free(m, &h);
			CHECK_EQ(open_fds, 0);
		}
	}
}

int main(void)
{
	sphb_vfio_set_sys(&fake);
	add_sequence();
	per_group();
	dma_mapping();
	failures();
	fault_injection();
	sphb_vfio_set_sys(NULL);
	return t_result();
}
#endif
