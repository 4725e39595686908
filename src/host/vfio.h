/* Linux VFIO as a host (vfio.c) and the vfio-pci kind (vfio_pci.c):
 * what the two files and the tests share. Built on Linux only.
 * Internal. SPDX-License-Identifier: MIT */
#ifndef SPHB_VFIO_H
#define SPHB_VFIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sphb_machine;
struct sphb_phb;
struct sphb_group;
struct sphb_tce_table;
struct sphb_vfio_group;

/*
 * Every system call of the backend goes through this seam; the default is
 * libc. Each returns what libc returns on success and -errno on failure
 * (never -1 with errno). ioctl arguments passed by value (CHECK_EXTENSION,
 * SET_IOMMU) arrive as (void *)(uintptr_t)value. Tests install a model of
 * the kernel with sphb_vfio_set_sys(); NULL restores libc.
 */
struct sphb_vfio_sys {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long request, void *arg);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	ssize_t (*readlink)(const char *path, char *buf, size_t n);
};
void sphb_vfio_set_sys(const struct sphb_vfio_sys *sys);
const struct sphb_vfio_sys *sphb_vfio_sys(void);

/* The host's IOMMU group `group` for a function below `phb`: opened and put
 * in the PHB's container on first use (every error logged), counted. */
int sphb_vfio_group_get(struct sphb_machine *m, struct sphb_phb *phb, int group,
			struct sphb_vfio_group **out);
void sphb_vfio_group_put(struct sphb_vfio_group *g);
int sphb_vfio_group_fd(const struct sphb_vfio_group *g);
struct sphb_group *sphb_vfio_group_base(struct sphb_vfio_group *g);

/* Entries [i0, i0 + n) of window t changed: the host operations issued. */
unsigned sphb_vfio_tce_update(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n);
/* The fds of the PHB's containers with an IOMMU set (pe-mode=shared: one;
 * per-group: one per IOMMU group); returns how many, fills at most max. */
unsigned sphb_vfio_phb_containers(const struct sphb_phb *phb, int *fds, unsigned max);
/* Apply one sPAPR TCE container ioctl (VFIO_IOMMU_SPAPR_TCE_CREATE/REMOVE,
 * VFIO_IOMMU_MAP_DMA/UNMAP_DMA, VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY) to
 * every container of the PHB (v2-only ones skip v1 containers). `arg` is the
 * uapi struct, argsz first; each container gets a fresh copy of the input and
 * the first success's outputs are copied back. Every container is tried;
 * returns 0, the first -errno, or -EINVAL when the containers' outputs
 * differ. *nops (may be NULL): the ioctls issued. */
int sphb_vfio_phb_tce_op(struct sphb_phb *phb, unsigned long req, void *arg, unsigned *nops);

#endif
