/* Linux VFIO as a host (Linux's Documentation/driver-api/vfio.rst and
 * include/uapi/linux/vfio.h): IOMMU groups of the host attached to sPAPR TCE
 * containers (drivers/vfio/vfio_iommu_spapr_tce.c), every EEH action as
 * VFIO_EEH_PE_OP on the group's container, and the PHB's DMA windows and
 * TCEs mirrored into its containers through the DMA listener the PHB calls.
 * Container policy: pe-mode=shared uses one container per PHB (EEH only with
 * exactly one group, as QEMU's vfio_eeh_as_op()); pe-mode=per-group one
 * container per IOMMU group, so a container-wide EEH op touches exactly one
 * group. The vfio-pci function kind is vfio_pci.c. Built on Linux only.
 * SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "internal.h"
#include "host/vfio.h"

/* ---- the system-call seam ---- */

static int sys_open(const char *p, int f) { int r = open(p, f); return r < 0 ? -errno : r; }
static int sys_close(int fd) { return close(fd) ? -errno : 0; }
static int sys_ioctl(int fd, unsigned long req, void *arg) { int r = ioctl(fd, req, arg); return r < 0 ? -errno : r; }
static ssize_t sys_pread(int fd, void *b, size_t n, off_t o) { ssize_t r = pread(fd, b, n, o); return r < 0 ? -errno : r; }
static ssize_t sys_pwrite(int fd, const void *b, size_t n, off_t o) { ssize_t r = pwrite(fd, b, n, o); return r < 0 ? -errno : r; }
static ssize_t sys_readlink(const char *p, char *b, size_t n) { ssize_t r = readlink(p, b, n); return r < 0 ? -errno : r; }

static const struct sphb_vfio_sys libc_sys = {
	sys_open, sys_close, sys_ioctl, sys_pread, sys_pwrite, sys_readlink,
};
static const struct sphb_vfio_sys *sys = &libc_sys;

void sphb_vfio_set_sys(const struct sphb_vfio_sys *s)
{
	sys = s ? s : &libc_sys;
}

const struct sphb_vfio_sys *sphb_vfio_sys(void)
{
	return sys;
}

/* ---- containers and groups ---- */

struct sphb_vfio_container {
	int fd;
	unsigned phb_index;
	int key;		/* per-group: the group; shared: -1 */
	unsigned ngroups;
	bool iommu_set, v2, eeh, v1_enabled;
	uint32_t dma32_start;	/* the host's default window (SPAPR_TCE_GET_INFO) */
	struct sphb_vfio_container *next;
};

struct sphb_vfio_group {
	struct sphb_group g;
	int fd;
	unsigned ndevs;
	struct sphb_vfio_container *c;
};

/* The DMA listener of one PHB: its windows and TCEs go to its containers. */
struct vfio_listener {
	struct sphb_dma_listener l;
	struct sphb_machine *m;
	unsigned ncontainers;
};

struct sphb_vfio {
	struct sphb_vfio_container *containers;
	/* guest RAM as the host's ram_iterate reported it: gpa -> hva */
	struct sphb_vfio_ram { uint64_t gpa, size; uint8_t *hva; } *ram;
	unsigned nram;
	struct vfio_listener lis[SPHB_MAX_PHBS];
};

static struct sphb_vfio *state(struct sphb_machine *m)
{
	if (!m->vfio)
		m->vfio = calloc(1, sizeof(*m->vfio));
	return m->vfio;
}

static const struct sphb_group_ops vfio_group_ops;
static const struct sphb_dma_listener_ops listener_ops;

static struct sphb_vfio_group *vfio_group_of(struct sphb_group *g)
{
	return g && g->ops == &vfio_group_ops ? (struct sphb_vfio_group *)g : NULL;
}

static void container_put(struct sphb_machine *m, struct sphb_vfio_container *c)
{
	struct sphb_vfio_container **pp;
	struct vfio_listener *vl = &m->vfio->lis[c->phb_index];

	if (--c->ngroups)
		return;
	if (!--vl->ncontainers) /* the PHB's last container: it needs no listener */
		sphb_phb_listener_del(m->phbs[c->phb_index], &vl->l);
	sys->close(c->fd);
	for (pp = &m->vfio->containers; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

void sphb_vfio_group_put(struct sphb_vfio_group *g)
{
	struct sphb_machine *m = g->g.m;

	if (--g->ndevs)
		return;
	(void)sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	sys->close(g->fd);
	container_put(m, g->c);
	sphb_group_unregister(m, &g->g);
	free(g);
}

int sphb_vfio_group_fd(const struct sphb_vfio_group *g)
{
	return g->fd;
}

struct sphb_group *sphb_vfio_group_base(struct sphb_vfio_group *g)
{
	return &g->g;
}

/* Guest RAM pre-registration (sPAPR TCE v2) through the host's iterator. */
struct reg_ctx { int fd, rc; struct sphb_vfio *v; };

static int register_range(void *ctx, uint64_t gpa, void *hva, uint64_t size)
{
	struct reg_ctx *r = ctx;
	struct vfio_iommu_spapr_register_memory reg;
	unsigned i;

	for (i = 0; i < r->v->nram; i++)
		if (r->v->ram[i].gpa == gpa)
			break;
	if (i == r->v->nram) {
		struct sphb_vfio_ram *n = realloc(r->v->ram, (i + 1) * sizeof(*n));
		if (!n)
			return r->rc = -ENOMEM;
		r->v->ram = n;
		r->v->ram[i].gpa = gpa;
		r->v->ram[i].hva = hva;
		r->v->ram[i].size = size;
		r->v->nram++;
	}
	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.vaddr = (uint64_t)(uintptr_t)hva;
	reg.size = size;
	r->rc = sys->ioctl(r->fd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, &reg);
	return r->rc;
}

static int container_get(struct sphb_machine *m, struct sphb_phb *phb, int group,
			 struct sphb_vfio_container **out, bool *created)
{
	int key = phb->per_group ? group : -1, fd, rc;
	struct sphb_vfio_container *c;

	*created = false;
	for (c = m->vfio->containers; c; c = c->next)
		if (c->phb_index == phb->index && c->key == key) {
			*out = c;
			return 0;
		}
	fd = sys->open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (fd == -ENOENT)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: /dev/vfio/vfio does not exist: load the VFIO driver (modprobe vfio-pci) on a host with an IOMMU");
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: cannot open /dev/vfio/vfio: %s%s", strerror(-fd),
				 fd == -EACCES || fd == -EPERM ? " (run as root or grant access to /dev/vfio)" : "");
		return fd;
	}
	rc = sys->ioctl(fd, VFIO_GET_API_VERSION, NULL);
	if (rc != VFIO_API_VERSION) {
		if (rc < 0)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: VFIO_GET_API_VERSION failed: %s", strerror(-rc));
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: the host's VFIO API version is %d, sphb speaks %d", rc,
				 VFIO_API_VERSION);
		sys->close(fd);
		return rc < 0 ? rc : -ENOTSUP;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		sys->close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->phb_index = phb->index;
	c->key = key;
	c->next = m->vfio->containers;
	m->vfio->containers = c;
	if (!m->vfio->lis[phb->index].ncontainers++) {
		m->vfio->lis[phb->index].l.ops = &listener_ops;
		m->vfio->lis[phb->index].m = m;
		sphb_phb_listener_add(phb, &m->vfio->lis[phb->index].l);
	}
	*out = c;
	*created = true;
	return 0;
}

/* The first group of a container selects the IOMMU (v2, else v1). */
static int container_setup(struct sphb_machine *m, struct sphb_vfio_container *c, int group)
{
	struct vfio_iommu_spapr_tce_info info;
	int rc;

	rc = sys->ioctl(c->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_SPAPR_TCE_v2_IOMMU);
	if (rc == 0)
		rc = sys->ioctl(c->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_SPAPR_TCE_IOMMU);
	else if (rc > 0)
		c->v2 = true;
	if (rc < 0) {
		/* the kernel answers 0 or 1; an error is not "unsupported" */
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: group %d: VFIO_CHECK_EXTENSION failed: %s", group,
			 strerror(-rc));
		return rc;
	}
	if (rc == 0) {
		sphb_log(m, SPHB_LOG_ERROR,
			 "vfio-pci: group %d: the host IOMMU is not sPAPR TCE (sphb passes devices through on POWER hosts only; use sim-pci,iommu-group=N elsewhere)",
			 group);
		return -ENOTSUP;
	}
	rc = sys->ioctl(c->fd, VFIO_SET_IOMMU,
			(void *)(uintptr_t)(c->v2 ? VFIO_SPAPR_TCE_v2_IOMMU : VFIO_SPAPR_TCE_IOMMU));
	if (rc < 0) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: group %d: VFIO_SET_IOMMU failed: %s", group,
			 strerror(-rc));
		return rc;
	}
	c->iommu_set = true;
	c->eeh = sys->ioctl(c->fd, VFIO_CHECK_EXTENSION, (void *)(uintptr_t)VFIO_EEH) > 0;
	if (!c->eeh)
		sphb_log(m, SPHB_LOG_WARN,
			 "vfio-pci: group %d: the host kernel has no VFIO EEH support (CONFIG_EEH): EEH will be unavailable",
			 group);
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	rc = sys->ioctl(c->fd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, &info);
	if (rc < 0) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: group %d: VFIO_IOMMU_SPAPR_TCE_GET_INFO failed: %s",
			 group, strerror(-rc));
		return rc;
	}
	c->dma32_start = info.dma32_window_start;
	if (!c->v1_enabled && !c->v2) {
		/* v1: the whole 32-bit window is accounted as locked memory now */
		rc = sys->ioctl(c->fd, VFIO_IOMMU_ENABLE, NULL);
		if (rc < 0) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "vfio-pci: group %d: VFIO_IOMMU_ENABLE (sPAPR TCE v1) failed: %s%s", group,
				 strerror(-rc), rc == -ENOMEM || rc == -EPERM ?
				 " (the DMA window is locked memory: raise the locked-memory limit, ulimit -l)" : "");
			return rc;
		}
		c->v1_enabled = true;
	}
	if (c->v2 && m->ops.sz >= offsetof(struct sphb_host_ops, ram_iterate) + sizeof(void *) &&
	    m->ops.ram_iterate) {
		struct reg_ctx r = { c->fd, 0, m->vfio };
		rc = m->ops.ram_iterate(m->opaque, register_range, &r);
		if (rc < 0 || r.rc < 0) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "vfio-pci: group %d: guest RAM pre-registration failed (VFIO_IOMMU_SPAPR_REGISTER_MEMORY): %s%s",
				 group, strerror(-(r.rc < 0 ? r.rc : rc)),
				 (r.rc < 0 ? r.rc : rc) == -ENOMEM ? " (guest RAM is locked memory: raise the locked-memory limit, ulimit -l)" : "");
			return r.rc < 0 ? r.rc : rc;
		}
	}
	return 0;
}

static int container_replay(struct sphb_machine *m, struct sphb_phb *phb, struct sphb_vfio_container *c,
			    int group);

int sphb_vfio_group_get(struct sphb_machine *m, struct sphb_phb *phb, int group, struct sphb_vfio_group **out)
{
	struct sphb_group *any = sphb_group_find(m, group);
	struct sphb_vfio_group *g = vfio_group_of(any);
	struct vfio_group_status st;
	struct sphb_vfio_container *c;
	char path[32];
	bool created;
	int fd, rc;

	if (any && !g) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d is also used by a simulated device (iommu-group=%d)",
			 group, group);
		return -EEXIST;
	}
	if (!state(m))
		return -ENOMEM;
	if (g) {
		if (g->c->phb_index != phb->index) {
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d is behind another PHB already; a group cannot span PHBs",
				 group);
			return -EINVAL;
		}
		g->ndevs++;
		*out = g;
		return 0;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = sys->open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (fd == -ENOENT)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: %s does not exist: bind every device of IOMMU group %d to vfio-pci (docs/vfio.md)", path, group);
		else if (fd == -EBUSY)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d is in use by another process (another VMM?)", group);
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: cannot open %s: %s (permissions on /dev/vfio?)", path, strerror(-fd));
		return fd;
	}
	memset(&st, 0, sizeof(st));
	st.argsz = sizeof(st);
	rc = sys->ioctl(fd, VFIO_GROUP_GET_STATUS, &st);
	if (rc < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		if (rc < 0)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d: VFIO_GROUP_GET_STATUS failed: %s", group,
				 strerror(-rc));
		else
			sphb_log(m, SPHB_LOG_ERROR,
				 "vfio-pci: IOMMU group %d is not viable: bind all of its devices to vfio-pci (ls /sys/kernel/iommu_groups/%d/devices)",
				 group, group);
		sys->close(fd);
		return rc < 0 ? rc : -EPERM;
	}
	rc = container_get(m, phb, group, &c, &created);
	if (rc) {
		sys->close(fd);
		return rc;
	}
	rc = sys->ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c->fd);
	if (rc < 0) {
		if (rc == -EBUSY && c->iommu_set && !c->v2)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d cannot join the PHB's container (the v1 sPAPR IOMMU allows one group per container: use pe-mode=per-group)",
				 group);
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: IOMMU group %d: VFIO_GROUP_SET_CONTAINER failed: %s", group,
				 strerror(-rc));
		sys->close(fd);
		if (created) {
			c->ngroups = 1;
			container_put(m, c);
		}
		return rc;
	}
	c->ngroups++;
	if (!c->iommu_set && ((rc = container_setup(m, c, group)) < 0 ||
			      (rc = container_replay(m, phb, c, group)) < 0)) {
		(void)sys->ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		sys->close(fd);
		container_put(m, c);
		return rc;
	}
	g = calloc(1, sizeof(*g));
	if (g) {
		g->g.number = group;
		g->g.ops = &vfio_group_ops;
	}
	if (!g || sphb_group_register(m, &g->g)) {
		free(g);
		(void)sys->ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		sys->close(fd);
		container_put(m, c);
		return -ENOMEM;
	}
	g->fd = fd;
	g->ndevs = 1;
	g->c = c;
	*out = g;
	return 0;
}

void sphb_vfio_machine_free(struct sphb_machine *m)
{
	if (m->vfio)
		free(m->vfio->ram);
	free(m->vfio);
	m->vfio = NULL;
}

static int vfio_pe_op(struct sphb_group *gb, enum sphb_pe_op op, const struct sphb_pe_err *err)
{
	struct sphb_vfio_group *g = vfio_group_of(gb);
	struct sphb_machine *m = gb->m;
	struct vfio_eeh_pe_op pe;

	if (!g->c->eeh || g->c->ngroups == 0)
		return -ENODEV; /* no suitable container: never an assert */
	if (g->c->ngroups != 1) {
		/* QEMU's vfio_eeh_as_op(): the kernel would apply the op to every
		 * group of the container and answer for the first that objects */
		sphb_log(m, SPHB_LOG_WARN, "vfio/eeh: EEH_PE_OP 0x%x: kernel requires a container with exactly one group",
			 op);
		return -EPERM;
	}
	memset(&pe, 0, sizeof(pe));
	pe.argsz = sizeof(pe);
	pe.flags = 0;
	pe.op = op;
	if (op == VFIO_EEH_PE_INJECT_ERR && err) {
		pe.err.type = err->type;
		pe.err.func = err->func;
		pe.err.addr = err->addr;
		pe.err.mask = err->mask;
	}
	return sys->ioctl(g->c->fd, VFIO_EEH_PE_OP, &pe);
}

/* The host's hardware stops the device itself; what the guest sees of it
 * comes through the EEH calls (GET_STATE), not through the library. */
static uint8_t vfio_stopped(const struct sphb_group *g)
{
	(void)g;
	return 0;
}

static const struct sphb_group_ops vfio_group_ops = {
	.owner = "host's VFIO",
	.pe_op = vfio_pe_op,
	.stopped = vfio_stopped,
};

/* ---- DMA: TCE updates become host IOMMU operations ---- */

static uint8_t *gpa_to_hva(const struct sphb_vfio *v, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < v->nram; i++)
		if (gpa >= v->ram[i].gpa && gpa - v->ram[i].gpa <= v->ram[i].size &&
		    len <= v->ram[i].size - (gpa - v->ram[i].gpa))
			return v->ram[i].hva + (gpa - v->ram[i].gpa);
	return NULL;
}

/* ---- the containers of a PHB: every DMA window and mapping is mirrored ---- */

unsigned sphb_vfio_phb_containers(const struct sphb_phb *phb, int *fds, unsigned max)
{
	const struct sphb_machine *m = phb->m;
	unsigned n = 0;

	for (const struct sphb_vfio_container *c = m->vfio ? m->vfio->containers : NULL; c; c = c->next)
		if (c->phb_index == phb->index && c->iommu_set) {
			if (fds && n < max)
				fds[n] = c->fd;
			n++;
		}
	return n;
}

static bool v2_only(unsigned long req)
{
	return req == VFIO_IOMMU_SPAPR_TCE_CREATE || req == VFIO_IOMMU_SPAPR_TCE_REMOVE ||
	       req == VFIO_IOMMU_SPAPR_REGISTER_MEMORY || req == VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY;
}

int sphb_vfio_phb_tce_op(struct sphb_phb *phb, unsigned long req, void *arg, unsigned *nops)
{
	struct sphb_machine *m = phb->m;
	uint64_t buf[8];	/* the largest of the uapi structs is 40 bytes */
	uint32_t argsz;
	int first = 0;
	bool done = false;

	if (nops)
		*nops = 0;
	if (req != VFIO_IOMMU_SPAPR_TCE_CREATE && req != VFIO_IOMMU_SPAPR_TCE_REMOVE &&
	    req != VFIO_IOMMU_MAP_DMA && req != VFIO_IOMMU_UNMAP_DMA &&
	    req != VFIO_IOMMU_SPAPR_REGISTER_MEMORY && req != VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY)
		return -EINVAL;
	memcpy(&argsz, arg, sizeof(argsz));
	if (argsz < 8 || argsz > sizeof(buf))
		return -EINVAL;
	for (struct sphb_vfio_container *c = m->vfio ? m->vfio->containers : NULL; c; c = c->next) {
		int rc;

		if (c->phb_index != phb->index || !c->iommu_set || (v2_only(req) && !c->v2))
			continue;
		memcpy(buf, arg, argsz);	/* each container gets the caller's input */
		rc = sys->ioctl(c->fd, req, buf);
		if (nops)
			(*nops)++;
		if (rc < 0) {
			if (!first)
				first = rc;
			continue;
		}
		if (!done) {
			memcpy(arg, buf, argsz);	/* outputs (TCE_CREATE's start_addr) of the first */
			done = true;
		} else if (memcmp(arg, buf, argsz) && !first) {
			first = -EINVAL;	/* the containers disagree (window placement) */
		}
	}
	return first;
}

/* One MAP_DMA (perm != 0) or UNMAP_DMA of [iova, iova + len): in every
 * container of the PHB, or in `only` (a container being brought up). */
static unsigned flush(struct sphb_machine *m, struct sphb_phb *phb, struct sphb_vfio_container *only,
		      unsigned perm, uint64_t iova, uint8_t *hva, uint64_t len)
{
	union {
		struct vfio_iommu_type1_dma_map map;
		struct vfio_iommu_type1_dma_unmap unmap;
	} u;
	unsigned long req = perm ? VFIO_IOMMU_MAP_DMA : VFIO_IOMMU_UNMAP_DMA;
	unsigned ops = 0;
	int rc;

	memset(&u, 0, sizeof(u));
	if (perm) {
		u.map.argsz = sizeof(u.map);
		u.map.flags = ((perm & 1) ? VFIO_DMA_MAP_FLAG_READ : 0) |
			      ((perm & 2) ? VFIO_DMA_MAP_FLAG_WRITE : 0);
		u.map.vaddr = (uint64_t)(uintptr_t)hva;
		u.map.iova = iova;
		u.map.size = len;
	} else {
		u.unmap.argsz = sizeof(u.unmap);
		u.unmap.iova = iova;
		u.unmap.size = len;
	}
	if (only) {
		rc = sys->ioctl(only->fd, req, &u);
		ops = 1;
	} else {
		rc = sphb_vfio_phb_tce_op(phb, req, &u, &ops);
	}
	if (rc < 0)
		sphb_log(m, SPHB_LOG_WARN, "vfio: %s iova 0x%llx size 0x%llx failed: %s",
			 perm ? "MAP_DMA" : "UNMAP_DMA", (unsigned long long)iova,
			 (unsigned long long)len, strerror(-rc));
	return ops;
}

/* Entries [i0, i0 + n) of a window: one host operation per run of
 * consecutive entries that map contiguous guest memory with the same
 * permission. Into every container (cleared runs unmapped), or only into
 * `only`, which has nothing mapped yet (cleared runs skipped). */
static unsigned runs(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n,
		     struct sphb_vfio_container *only)
{
	struct sphb_machine *m = phb->m;
	unsigned shift = sphb_tce_shift(t), run_perm = 0, ops = 0;
	uint64_t ps = 1ull << shift, run_start = 0, run_len = 0, base = sphb_tce_offset(t);
	uint8_t *run_hva = NULL;
	bool in_run = false;

	for (uint64_t i = i0; i < i0 + n; i++) {
		uint64_t tce = sphb_tce_get(t, i);
		unsigned perm = (unsigned)(tce & 3);
		uint8_t *hva = perm ? gpa_to_hva(m->vfio, tce & ~(ps - 1), ps) : NULL;

		if (perm && !hva)
			perm = 0; /* not guest RAM: never map it on the host */
		if (in_run && perm == run_perm &&
		    (!perm || hva == run_hva + run_len)) {
			run_len += ps;
			continue;
		}
		if (in_run && (run_perm || !only))
			ops += flush(m, phb, only, run_perm, base + run_start * ps, run_hva, run_len);
		in_run = true;
		run_perm = perm;
		run_start = i;
		run_len = ps;
		run_hva = hva;
	}
	if (in_run && (run_perm || !only))
		ops += flush(m, phb, only, run_perm, base + run_start * ps, run_hva, run_len);
	return ops;
}

/* Entries [i0, i0 + n) of a window changed: map or unmap them in every
 * container of the PHB. Returns the number of host operations issued. */
unsigned sphb_vfio_tce_update(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n)
{
	struct sphb_machine *m = phb->m;

	if (!m->vfio || !m->vfio->containers || !n)
		return 0;
	return runs(phb, t, i0, n, NULL);
}

static void listener_entries(struct sphb_dma_listener *l, struct sphb_phb *phb, struct sphb_tce_table *t,
			     uint64_t i0, uint64_t n)
{
	(void)l;
	(void)sphb_vfio_tce_update(phb, t, i0, n);
}

/* TCE_CREATE of window t in container c, at the guest's bus address. */
static int window_create(struct sphb_machine *m, struct sphb_vfio_container *c, struct sphb_tce_table *t)
{
	struct vfio_iommu_spapr_tce_create cr;
	int rc;

	memset(&cr, 0, sizeof(cr));
	cr.argsz = sizeof(cr);
	cr.page_shift = sphb_tce_shift(t);
	cr.window_size = sphb_tce_nb(t) << sphb_tce_shift(t);
	cr.levels = 1;
	rc = sys->ioctl(c->fd, VFIO_IOMMU_SPAPR_TCE_CREATE, &cr);
	if (rc >= 0 && cr.start_addr != sphb_tce_offset(t)) {
		struct vfio_iommu_spapr_tce_remove rm;
		memset(&rm, 0, sizeof(rm));
		rm.argsz = sizeof(rm);
		rm.start_addr = cr.start_addr;
		(void)sys->ioctl(c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
		sphb_log(m, SPHB_LOG_WARN, "vfio: the host placed a window at 0x%llx, the guest's is at 0x%llx",
			 (unsigned long long)cr.start_addr, (unsigned long long)sphb_tce_offset(t));
		rc = -EINVAL;
	}
	return rc < 0 ? rc : 0;
}

/*
 * A container that joins a PHB whose guest already has DMA windows and
 * mappings (a device hot-plugged after boot, or another group's container
 * in pe-mode=per-group) gets them replayed: v2 cancels the kernel's pending
 * default window and creates each of the PHB's windows; then every mapping
 * in use is mapped in this container alone, coalesced as for hypercalls and
 * walking only the populated part of each table. A v1 container has just
 * the host's default window: the PHB's window 0 is replayed into it.
 */
static int container_replay(struct sphb_machine *m, struct sphb_phb *phb, struct sphb_vfio_container *c,
			    int group)
{
	if (c->v2) {
		struct vfio_iommu_spapr_tce_remove rm;
		memset(&rm, 0, sizeof(rm));
		rm.argsz = sizeof(rm);
		rm.start_addr = c->dma32_start;
		(void)sys->ioctl(c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm); /* the pending default */
	}
	for (unsigned w = 0; w < 2; w++) {
		struct sphb_tce_table *t = atomic_load(&phb->win[w]);
		uint64_t nb, i = 0;
		int rc;

		if (!t || (!c->v2 && w))
			continue;
		if (c->v2 && (rc = window_create(m, c, t)) < 0) {
			sphb_log(m, SPHB_LOG_ERROR,
				 "vfio-pci: group %d: cannot create the PHB's DMA window at 0x%llx in the host container: %s",
				 group, (unsigned long long)sphb_tce_offset(t), strerror(-rc));
			return rc;
		}
		nb = sphb_tce_nb(t);
		while ((i = sphb_tce_next_used(t, i)) < nb) {
			uint64_t end = sphb_tce_used_end(t, i);
			(void)runs(phb, t, i, end - i, c);
			i = end;
		}
	}
	return 0;
}

/* A DMA window appeared or went away in the PHB: the same in every container. */
static int listener_window(struct sphb_dma_listener *l, struct sphb_phb *phb, struct sphb_tce_table *t,
			   bool create)
{
	struct sphb_machine *m = phb->m;

	(void)l;
	for (struct sphb_vfio_container *c = m->vfio->containers; c; c = c->next) {
		int rc;
		if (c->phb_index != phb->index || !c->iommu_set || !c->v2)
			continue;
		if (create) {
			rc = window_create(m, c, t);
		} else {
			struct vfio_iommu_spapr_tce_remove rm;
			memset(&rm, 0, sizeof(rm));
			rm.argsz = sizeof(rm);
			rm.start_addr = sphb_tce_offset(t);
			rc = sys->ioctl(c->fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, &rm);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct sphb_dma_listener_ops listener_ops = {
	.window = listener_window,
	.entries = listener_entries,
};
