/* libFuzzer target: the -device option parser. The input is up to 32 lines;
 * each is handed to sphb_machine_add() ("-ID" lines to sphb_machine_del())
 * on a fresh default machine, then every function that was created is probed
 * through RTAS (config header, BAR sizing, the capability list), the device
 * tree is emitted, and the machine is reset and freed.
 * Checked (sphb.h): a description that is refused returns -EINVAL, -EEXIST,
 * -ENOTSUP or -ENOSPC (vfio-pci: also the host's errno, docs/vfio.md), logs
 * an ERROR and adds nothing (its id stays free);
 * one that is accepted logs no ERROR; config reads of a function that exists
 * succeed. vfio-pci descriptions meet a host without VFIO (every system call
 * fails), never the real one.
 * SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fuzz_input.h"
#if SPHB_VFIO
#include "host/vfio.h"
#endif

#define RAM_SIZE 0x110000u	/* the RTAS buffer sits at T_BUF (1 MiB) */
#define MAX_LINES 32
#define MAX_IDS 64

static struct t_host h;
static unsigned nerrors;

static void count_errors(void *o, enum sphb_log_level l, const char *msg)
{
	(void)o; (void)msg;
	if (l == SPHB_LOG_ERROR)
		nerrors++;
}

#if SPHB_VFIO
static int no_open(const char *p, int f) { (void)p; (void)f; return -ENOENT; }
static int no_close(int fd) { (void)fd; return 0; }
static int no_ioctl(int fd, unsigned long r, void *a) { (void)fd; (void)r; (void)a; return -ENOTTY; }
static ssize_t no_pread(int fd, void *b, size_t n, off_t o) { (void)fd; (void)b; (void)n; (void)o; return -EIO; }
static ssize_t no_pwrite(int fd, const void *b, size_t n, off_t o) { (void)fd; (void)b; (void)n; (void)o; return -EIO; }
static ssize_t no_readlink(const char *p, char *b, size_t n) { (void)p; (void)b; (void)n; return -ENOENT; }
static const struct sphb_vfio_sys no_vfio = { no_open, no_close, no_ioctl, no_pread, no_pwrite, no_readlink };
#endif

/* the id= value of a description, or "" */
static void spec_id(const char *spec, char *id, size_t n)
{
	const char *p = spec;

	id[0] = '\0';
	while ((p = strstr(p, "id=")) != NULL) {
		if (p == spec || p[-1] == ',') {
			size_t k = strcspn(p + 3, ",");
			if (k >= n)
				k = n - 1;
			memcpy(id, p + 3, k);
			id[k] = '\0';
		}
		p += 3;
	}
}

static bool id_exists(struct sphb_machine *m, const char *id)
{
	uint64_t buid;

	return id[0] && (sphb_dev_config_addr(m, id, NULL, NULL) == 0 || sphb_phb_buid(m, id, &buid) == 0);
}

/* the config header, BAR sizing and the capability list of one function */
static void probe(struct sphb_machine *m, const char *id)
{
	uint64_t buid;
	uint32_t cfg, v = 0, ptr;

	if (sphb_dev_config_addr(m, id, &buid, &cfg))
		return;
	for (uint32_t reg = 0; reg < 0x40; reg += 4)
		if (t_cfg_read(m, &h, buid, cfg | reg, 4, &v) != 0)
			abort(); /* the function exists: its header reads */
	for (uint32_t bar = 0x10; bar <= 0x24; bar += 4) {
		(void)t_cfg_read(m, &h, buid, cfg | bar, 4, &v);
		(void)t_cfg_write(m, &h, buid, cfg | bar, 4, 0xffffffff);
		(void)t_cfg_read(m, &h, buid, cfg | bar, 4, NULL);
		(void)t_cfg_write(m, &h, buid, cfg | bar, 4, v);
	}
	(void)t_cfg_write(m, &h, buid, cfg | 0x04, 2, 0x0007);
	(void)t_cfg_read(m, &h, buid, cfg | 0x34, 1, &ptr);
	for (unsigned n = 0; n < 48 && ptr >= 0x40 && ptr < 0x100; n++) {
		(void)t_cfg_read(m, &h, buid, cfg | ptr, 4, &v);
		(void)t_cfg_read(m, &h, buid, cfg | (ptr + 4), 4, NULL);
		ptr = (v >> 8) & 0xfc;
	}
	/* PCIe extended capabilities (register bits 8-11 in cfg bits 28-31) */
	ptr = 0x100;
	for (unsigned n = 0; n < 48 && ptr >= 0x100 && ptr < 0x1000; n++) {
		if (t_cfg_read(m, &h, buid, cfg | (ptr & 0xf00) << 20 | (ptr & 0xff), 4, &v) != 0 || !v)
			break;
		ptr = v >> 20;
	}
	(void)sphb_mmio_read(m, id, 0, 0, 4, &buid);
}

static int fdt_node(void *o, const char *name) { (void)o; return name ? 0 : -1; }
static int fdt_end(void *o) { (void)o; return 0; }
static int fdt_prop(void *o, const char *name, const void *v, size_t len)
{
	(void)o; (void)v;
	return name && (len == 0 || v) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sphb_host_ops ops = t_ops();
	struct sphb_fdt_ops fo = { sizeof(fo), fdt_node, fdt_end, fdt_prop, 0 };
	struct sphb_machine *m;
	char *buf, *line, *save = NULL;
	char ids[MAX_IDS][48];
	unsigned nids = 0, nlines = 0;

#if SPHB_VFIO
	if (fz_ram_once(&h, RAM_SIZE))
		sphb_vfio_set_sys(&no_vfio);
#else
	fz_ram_once(&h, RAM_SIZE);
#endif
	ops.log = count_errors;
	if (sphb_machine_new_default(&ops, &h, &m))
		abort();
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && nlines < MAX_LINES;
	     line = strtok_r(NULL, "\n", &save), nlines++) {
		char id[48];
		bool existed;
		int rc;

		if (line[0] == '-') {
			(void)sphb_machine_del(m, line + 1);
			continue;
		}
		spec_id(line, id, sizeof(id));
		existed = id_exists(m, id);
		nerrors = 0;
		rc = sphb_machine_add(m, line);
		if (rc == 0) {
			if (nerrors)
				abort(); /* accepted, yet an ERROR was logged */
			if (id[0] && nids < MAX_IDS)
				memcpy(ids[nids++], id, sizeof(id));
		} else {
			/* vfio-pci also passes on the host's errno (docs/vfio.md) */
			if (rc != -EINVAL && rc != -EEXIST && rc != -ENOTSUP && rc != -ENOSPC &&
			    rc != -ENOMEM && (strncmp(line, "vfio-pci,", 9) || rc >= 0 || rc < -4095))
				abort();
			if (!nerrors)
				abort(); /* refused without saying why */
			if (id_exists(m, id) != existed)
				abort(); /* refused, yet something was added */
		}
	}
	for (unsigned i = 0; i < nids; i++)
		probe(m, ids[i]);
	if (sphb_machine_fdt(m, &fo, NULL))
		abort();
	(void)sphb_machine_reset(m);
	for (unsigned i = 0; i < nids; i++)
		probe(m, ids[i]);
	sphb_machine_free(m);
	free(buf);
	return 0;
}
