/* The Linux VFIO backend (linux-eeh.md Part A): vfio-pci devices from the
 * host, their IOMMU groups attached to sPAPR TCE containers, config-space
 * access through the device fd, and every EEH action as VFIO_EEH_PE_OP on
 * the container. Container policy: pe-mode=shared uses one container per
 * PHB (EEH only with exactly one group, as QEMU); pe-mode=per-group one
 * container per IOMMU group, so a container-wide EEH op touches exactly one
 * group. Built on Linux only (SPHB_VFIO). SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "internal.h"
#include "host/host.h"
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
	int group, fd;
	unsigned ndevs;
	struct sphb_vfio_container *c;
	struct sphb_vfio_group *next;
};

struct sphb_vfio {
	struct sphb_vfio_container *containers;
	struct sphb_vfio_group *groups;
	/* guest RAM as the host's ram_iterate reported it: gpa -> hva */
	struct sphb_vfio_ram { uint64_t gpa, size; uint8_t *hva; } *ram;
	unsigned nram;
};

static struct sphb_vfio *state(struct sphb_machine *m)
{
	if (!m->vfio)
		m->vfio = calloc(1, sizeof(*m->vfio));
	return m->vfio;
}

static struct sphb_vfio_group *find_group(const struct sphb_machine *m, int group)
{
	for (struct sphb_vfio_group *g = m->vfio ? m->vfio->groups : NULL; g; g = g->next)
		if (g->group == group)
			return g;
	return NULL;
}

int sphb_vfio_owns_group(const struct sphb_machine *m, int group)
{
	return find_group(m, group) != NULL;
}

static void container_put(struct sphb_machine *m, struct sphb_vfio_container *c)
{
	struct sphb_vfio_container **pp;

	if (--c->ngroups)
		return;
	sys->close(c->fd);
	for (pp = &m->vfio->containers; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	free(c);
}

static void group_put(struct sphb_machine *m, struct sphb_vfio_group *g)
{
	struct sphb_vfio_group **pp;

	if (--g->ndevs)
		return;
	(void)sys->ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	sys->close(g->fd);
	container_put(m, g->c);
	for (pp = &m->vfio->groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	free(g);
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

static int group_get(struct sphb_machine *m, struct sphb_phb *phb, int group, struct sphb_vfio_group **out)
{
	struct sphb_vfio_group *g = find_group(m, group);
	struct vfio_group_status st;
	struct sphb_vfio_container *c;
	char path[32];
	bool created;
	int fd, rc;

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
	if (!g) {
		(void)sys->ioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
		sys->close(fd);
		container_put(m, c);
		return -ENOMEM;
	}
	g->group = group;
	g->fd = fd;
	g->ndevs = 1;
	g->c = c;
	g->next = m->vfio->groups;
	m->vfio->groups = g;
	*out = g;
	return 0;
}

/* DDDD:BB:DD.F, lower-case hex as in sysfs */
static bool host_addr_ok(const char *s)
{
	unsigned d, b, sl, f;
	char tail;

	return strlen(s) == 12 && sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &sl, &f, &tail) == 4 &&
	       sl < 32 && f < 8 && s[4] == ':' && s[7] == ':' && s[10] == '.';
}

static int host_group(struct sphb_machine *m, const char *host)
{
	char path[96], link[256];
	const char *slash;
	ssize_t n;
	long g;
	char *end;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", host);
	n = sys->readlink(path, link, sizeof(link) - 1);
	if (n == -ENOENT) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", host);
		if (sys->readlink(path, link, sizeof(link) - 1) == -ENOENT)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: no such PCI device on this host (see lspci -D)", host);
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: the device has no IOMMU group (is the IOMMU enabled?)", host);
		return -ENODEV;
	}
	if (n < 0) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: cannot read %s: %s", host, path, strerror((int)-n));
		return (int)n;
	}
	link[n] = '\0';
	slash = strrchr(link, '/');
	g = strtol(slash ? slash + 1 : link, &end, 10);
	if (*end || g < 0 || g > 0x7fffffff) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: cannot parse its IOMMU group link '%s'", host, link);
		return -EINVAL;
	}
	return (int)g;
}

int sphb_vfio_dev_add(struct sphb_machine *m, struct sphb_opts *o)
{
	const char *host = sphb_opts_get(o, "host");
	struct vfio_device_info info;
	struct vfio_region_info reg;
	struct sphb_vfio_group *g = NULL;
	struct sphb_phb *phb;
	struct sphb_dev *d;
	char id[SPHB_ID_MAX];
	uint8_t devfn;
	int group, fd, rc;

	if (!host) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host: missing (host=DDDD:BB:DD.F of the device to pass through)");
		return -EINVAL;
	}
	if (!host_addr_ok(host)) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: expected DDDD:BB:DD.F (e.g. 0001:01:00.0)", host);
		return -EINVAL;
	}
	rc = sphb_opts_id(m, o, id, sizeof(id));
	if (!rc)
		rc = sphb_dev_place(m, o, o->type, &phb, &devfn);
	if (!rc)
		rc = sphb_opts_check_unused(m, o);
	if (rc)
		return rc;
	rc = sphb_id_check(m, o->type, id); /* PHB ids too: id=pci was accepted */
	if (rc)
		return rc;
	if (!state(m))
		return -ENOMEM;
	group = host_group(m, host);
	if (group < 0)
		return group;
	if (sphb_sim_group(m, group, false)) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: IOMMU group %d is also used by a simulated device (iommu-group=%d)",
			 host, group, group);
		return -EEXIST;
	}
	rc = group_get(m, phb, group, &g);
	if (rc)
		return rc;
	fd = sys->ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, (void *)host);
	if (fd < 0) {
		if (fd == -EBUSY)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: the device is in use (opened by another process)", host);
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: VFIO_GROUP_GET_DEVICE_FD failed: %s (is it bound to vfio-pci?)",
				 host, strerror(-fd));
		group_put(m, g);
		return fd;
	}
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	rc = sys->ioctl(fd, VFIO_DEVICE_GET_INFO, &info);
	if (rc < 0 || !(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		if (rc < 0)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: VFIO_DEVICE_GET_INFO failed: %s", host,
				 strerror(-rc));
		else
			sphb_log(m, SPHB_LOG_ERROR,
				 "vfio-pci: host=%s: not a vfio-pci device (flags 0x%x, %u regions): bind it to vfio-pci",
				 host, info.flags, info.num_regions);
		sys->close(fd);
		group_put(m, g);
		return rc < 0 ? rc : -ENODEV;
	}
	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	rc = sys->ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &reg);
	if (rc < 0 || reg.size < PCI_CFG_SIZE) {
		if (rc < 0)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: VFIO_DEVICE_GET_REGION_INFO (config space) failed: %s",
				 host, strerror(-rc));
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: the config-space region is %llu bytes, at least %u expected",
				 host, (unsigned long long)reg.size, PCI_CFG_SIZE);
		sys->close(fd);
		group_put(m, g);
		return rc < 0 ? rc : -EIO;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		sys->close(fd);
		group_put(m, g);
		return -ENOMEM;
	}
	d->phb = phb;
	d->kind = DEV_VFIO;
	memcpy(d->id, id, sizeof(id));
	d->devfn = devfn;
	d->iommu_group = group;
	d->cfg_size = reg.size >= PCIE_CFG_SIZE ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	d->pcie = d->cfg_size == PCIE_CFG_SIZE;
	d->vfio_fd = fd;
	d->vfio_cfg_off = reg.offset;
	d->vfio_group = g;
	return sphb_dev_link(m, d); /* on failure it frees d, which releases g */
}

void sphb_vfio_dev_free(struct sphb_dev *d)
{
	if (d->vfio_group) {
		sys->close(d->vfio_fd);
		group_put(d->phb->m, d->vfio_group);
		d->vfio_group = NULL;
	}
}

void sphb_vfio_machine_free(struct sphb_machine *m)
{
	if (m->vfio)
		free(m->vfio->ram);
	free(m->vfio);
	m->vfio = NULL;
}

/* QEMU: a failed read answers all-ones; a failed write is dropped */
uint32_t sphb_vfio_cfg_read(struct sphb_dev *d, uint32_t off, unsigned size)
{
	uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };

	if (sys->pread(d->vfio_fd, b, size, (off_t)(d->vfio_cfg_off + off)) != (ssize_t)size)
		memset(b, 0xff, sizeof(b));
	return size == 1 ? b[0] : size == 2 ? (uint32_t)(b[0] | b[1] << 8)
			   : (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

void sphb_vfio_cfg_write(struct sphb_dev *d, uint32_t off, unsigned size, uint32_t val)
{
	uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16), (uint8_t)(val >> 24) };

	(void)sys->pwrite(d->vfio_fd, b, size, (off_t)(d->vfio_cfg_off + off));
}

int sphb_vfio_pe_op(struct sphb_machine *m, int group, unsigned op, const void *errp)
{
	const struct sphb_pe_err *err = errp;
	struct sphb_vfio_group *g = find_group(m, group);
	struct vfio_eeh_pe_op pe;

	if (!g || !g->c->eeh || g->c->ngroups == 0)
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

	if (!m->vfio || !m->vfio->containers)
		return 0;
	return runs(phb, t, i0, n, NULL);
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
int sphb_vfio_window(struct sphb_phb *phb, struct sphb_tce_table *t, bool create)
{
	struct sphb_machine *m = phb->m;

	if (!m->vfio)
		return 0;
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
