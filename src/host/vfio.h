/* The Linux VFIO backend (linux_vfio.c): internal interface.
 * SPDX-License-Identifier: MIT */
#ifndef SPHB_VFIO_H
#define SPHB_VFIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sphb_machine;
struct sphb_dev;
struct sphb_opts;

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

#if SPHB_VFIO
int sphb_vfio_dev_add(struct sphb_machine *m, struct sphb_opts *o);
void sphb_vfio_dev_free(struct sphb_dev *d);
uint32_t sphb_vfio_cfg_read(struct sphb_dev *d, uint32_t off, unsigned size);
void sphb_vfio_cfg_write(struct sphb_dev *d, uint32_t off, unsigned size, uint32_t val);
/* VFIO_EEH_PE_OP on the container that holds `group`; -ENODEV when the
 * group is no VFIO group or its container is not EEH-capable. */
int sphb_vfio_pe_op(struct sphb_machine *m, int group, unsigned op, const void *err);
int sphb_vfio_owns_group(const struct sphb_machine *m, int group);
void sphb_vfio_machine_free(struct sphb_machine *m);
struct sphb_phb;
struct sphb_tce_table;
unsigned sphb_vfio_tce_update(struct sphb_phb *phb, struct sphb_tce_table *t, uint64_t i0, uint64_t n);
int sphb_vfio_window(struct sphb_phb *phb, struct sphb_tce_table *t, _Bool create);
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

#endif
