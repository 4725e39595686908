/* vfio-pci: a function of the host passed through with Linux VFIO
 * (host=DDDD:BB:DD.F). Its configuration space and BARs are the device
 * fd's regions (VFIO_DEVICE_GET_REGION_INFO); its IOMMU group is the host's
 * (vfio.c). Built on Linux only. SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "internal.h"
#include "host/vfio.h"

struct vfio_func {
	struct sphb_func f;
	int fd;
	struct sphb_vfio_group *g;
	uint64_t cfg_off;
	struct { uint64_t off, size; } region[SPHB_NBARS];
};

static struct vfio_func *vfio_of(struct sphb_func *f)
{
	return (struct vfio_func *)f;
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
	n = sphb_vfio_sys()->readlink(path, link, sizeof(link) - 1);
	if (n == -ENOENT) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", host);
		if (sphb_vfio_sys()->readlink(path, link, sizeof(link) - 1) == -ENOENT)
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

/* QEMU: a failed read answers all-ones; a failed write is dropped */
static uint32_t vfio_cfg_read(struct sphb_func *f, uint32_t off, unsigned size)
{
	struct vfio_func *v = vfio_of(f);
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff };

	if (sphb_vfio_sys()->pread(v->fd, b, size, (off_t)(v->cfg_off + off)) != (ssize_t)size)
		memset(b, 0xff, sizeof(b));
	return (uint32_t)get_le(b, size);
}

static void vfio_cfg_write(struct sphb_func *f, uint32_t off, unsigned size, uint32_t val)
{
	struct vfio_func *v = vfio_of(f);
	uint8_t b[8];

	put_le(b, size, val);
	(void)sphb_vfio_sys()->pwrite(v->fd, b, size, (off_t)(v->cfg_off + off));
}

static int vfio_bar_read(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct vfio_func *v = vfio_of(f);
	uint8_t b[8];
	ssize_t n;

	if (off >= v->region[bar].size || size > v->region[bar].size - off)
		return -EINVAL;
	n = sphb_vfio_sys()->pread(v->fd, b, size, (off_t)(v->region[bar].off + off));
	if (n != (ssize_t)size)
		return n < 0 ? (int)n : -EIO;
	*val = get_le(b, size);
	return 0;
}

static int vfio_bar_write(struct sphb_func *f, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct vfio_func *v = vfio_of(f);
	uint8_t b[8];
	ssize_t n;

	if (off >= v->region[bar].size || size > v->region[bar].size - off)
		return -EINVAL;
	put_le(b, size, val);
	n = sphb_vfio_sys()->pwrite(v->fd, b, size, (off_t)(v->region[bar].off + off));
	return n == (ssize_t)size ? 0 : n < 0 ? (int)n : -EIO;
}

/* A pass-through function is reset by its host (EEH resets go through
 * VFIO_EEH_PE_OP); at a machine reset its state is the host device's. */
static void vfio_reset(struct sphb_func *f, enum sphb_reset_kind kind)
{
	(void)f;
	(void)kind;
}

static void vfio_free(struct sphb_func *f)
{
	struct vfio_func *v = vfio_of(f);

	sphb_vfio_sys()->close(v->fd);
	sphb_vfio_group_put(v->g);
	free(v);
}

static const struct sphb_func_kind vfio_kind = {
	.name = "vfio-pci",
	.cfg_read = vfio_cfg_read,
	.cfg_write = vfio_cfg_write,
	.bar_read = vfio_bar_read,
	.bar_write = vfio_bar_write,
	.reset = vfio_reset,
	.free = vfio_free,
	.no_save_reason = "a pass-through function's state lives in the host device and cannot be migrated (unplug it first)",
	.host_group = true,
};

/* BAR i's kind from its register and size from its region */
static void bar_from_region(struct vfio_func *v, unsigned i, const struct vfio_region_info *r)
{
	uint32_t reg;

	if (!(r->flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) || !r->size ||
	    !is_pow2(r->size))
		return;
	v->region[i].off = r->offset;
	v->region[i].size = r->size;
	if (i == 6) {
		v->f.bar[6].kind = BAR_ROM;
		v->f.bar[6].size = r->size;
		return;
	}
	reg = vfio_cfg_read(&v->f, PCI_BAR0 + 4 * i, 4);
	if (reg & 1)
		v->f.bar[i].kind = BAR_IO;
	else if (((reg >> 1) & 3) == 2 && i < 5)
		v->f.bar[i].kind = reg & 8 ? BAR_MEM64_PREF : BAR_MEM64;
	else
		v->f.bar[i].kind = reg & 8 ? BAR_MEM32_PREF : BAR_MEM32;
	v->f.bar[i].size = r->size;
}

int sphb_vfio_pci_create(struct sphb_machine *m, struct sphb_opts *o, struct sphb_phb *phb,
			 struct sphb_func **out)
{
	const struct sphb_vfio_sys *sys = sphb_vfio_sys();
	const char *host = sphb_opts_get(o, "host");
	struct vfio_device_info info;
	struct vfio_region_info reg;
	struct sphb_vfio_group *g = NULL;
	struct vfio_func *v;
	int group, fd, rc;

	if (!host) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host: missing (host=DDDD:BB:DD.F of the device to pass through)");
		return -EINVAL;
	}
	if (!host_addr_ok(host)) {
		sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: expected DDDD:BB:DD.F (e.g. 0001:01:00.0)", host);
		return -EINVAL;
	}
	rc = sphb_opts_check_unused(m, o); /* every option is known before the host is asked */
	if (rc)
		return rc;
	group = host_group(m, host);
	if (group < 0)
		return group;
	rc = sphb_vfio_group_get(m, phb, group, &g);
	if (rc)
		return rc;
	fd = sys->ioctl(sphb_vfio_group_fd(g), VFIO_GROUP_GET_DEVICE_FD, (void *)host);
	if (fd < 0) {
		if (fd == -EBUSY)
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: the device is in use (opened by another process)", host);
		else
			sphb_log(m, SPHB_LOG_ERROR, "vfio-pci: host=%s: VFIO_GROUP_GET_DEVICE_FD failed: %s (is it bound to vfio-pci?)",
				 host, strerror(-fd));
		sphb_vfio_group_put(g);
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
		sphb_vfio_group_put(g);
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
		sphb_vfio_group_put(g);
		return rc < 0 ? rc : -EIO;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		sys->close(fd);
		sphb_vfio_group_put(g);
		return -ENOMEM;
	}
	sphb_func_init(&v->f, &vfio_kind, m, o->type);
	v->fd = fd;
	v->g = g;
	v->cfg_off = reg.offset;
	v->f.cfg_size = reg.size >= PCIE_CFG_SIZE ? PCIE_CFG_SIZE : PCI_CFG_SIZE;
	v->f.iommu_group = group;
	v->f.group = sphb_vfio_group_base(g);
	/* BARs from their regions: what the host knows, no sizing by writes */
	for (unsigned i = 0; i < SPHB_NBARS && VFIO_PCI_BAR0_REGION_INDEX + i < info.num_regions; i++) {
		unsigned idx = i == 6 ? VFIO_PCI_ROM_REGION_INDEX : VFIO_PCI_BAR0_REGION_INDEX + i;

		if (i > 0 && i < 6 && bar_is64((enum sphb_bar_kind)v->f.bar[i - 1].kind))
			continue;
		memset(&reg, 0, sizeof(reg));
		reg.argsz = sizeof(reg);
		reg.index = idx;
		if (idx < info.num_regions && sys->ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &reg) >= 0)
			bar_from_region(v, i, &reg);
	}
	v->f.bars_known = true;
	*out = &v->f;
	return 0;
}
