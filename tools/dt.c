/* sphb dt: a real flattened device tree written with libfdt's sequential-write
 * API from the library's callbacks: a minimal root, /rtas, the PHB nodes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "cli.h"

struct dt_ctx {
	void *fdt;
	int err; /* first libfdt error seen by a callback */
};

static int dt_fail(struct dt_ctx *c, int err)
{
	if (!err)
		return 0;
	if (!c->err)
		c->err = err;
	return -EIO;
}

static int dt_begin(void *o, const char *name)
{
	struct dt_ctx *c = o;
	return dt_fail(c, fdt_begin_node(c->fdt, name));
}

static int dt_end(void *o)
{
	struct dt_ctx *c = o;
	return dt_fail(c, fdt_end_node(c->fdt));
}

static int dt_prop(void *o, const char *name, const void *val, size_t len)
{
	struct dt_ctx *c = o;
	if (len > INT32_MAX)
		return dt_fail(c, -FDT_ERR_BADVALUE);
	return dt_fail(c, fdt_property(c->fdt, name, val, (int)len));
}

/* Build the tree in `size` bytes: 0, a negative libfdt error, or -EIO for a
 * library error (reported). */
static int build(struct sphb_machine *m, struct dt_ctx *c, size_t size)
{
	struct sphb_fdt_ops ops;
	int rc;

	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.begin_node = dt_begin;
	ops.end_node = dt_end;
	ops.property = dt_prop;
	c->err = 0;
	rc = fdt_create(c->fdt, (int)size);
	if (!rc)
		rc = fdt_finish_reservemap(c->fdt);
	if (!rc)
		rc = fdt_begin_node(c->fdt, "");
	if (!rc)
		rc = fdt_property_string(c->fdt, "compatible", "qemu,pseries");
	if (!rc)
		rc = fdt_property_cell(c->fdt, "#address-cells", 2);
	if (!rc)
		rc = fdt_property_cell(c->fdt, "#size-cells", 2);
	if (!rc) {
		rc = sphb_machine_fdt(m, &ops, c); /* the PHB nodes and /rtas */
		if (rc && c->err)
			rc = c->err;
		else if (rc) {
			fprintf(stderr, "sphb: dt: %s\n", strerror(-rc));
			return -EIO;
		}
	}
	if (!rc)
		rc = fdt_end_node(c->fdt);
	if (!rc)
		rc = fdt_finish(c->fdt);
	return rc;
}

int sphb_cli_dt(struct sphb_machine *m, const char *path)
{
	struct dt_ctx c = { NULL, 0 };
	size_t size = 1u << 20;
	FILE *f;
	bool ok;
	int rc;

	/* grow the buffer until the tree fits (31 full PHBs need a few MiB) */
	for (;;) {
		c.fdt = calloc(1, size);
		if (!c.fdt) {
			fprintf(stderr, "sphb: dt: out of memory\n");
			return 2;
		}
		rc = build(m, &c, size);
		if (rc != -FDT_ERR_NOSPACE || size >= (1u << 30))
			break;
		free(c.fdt);
		size *= 2;
	}
	if (rc) {
		if (rc != -EIO)
			fprintf(stderr, "sphb: dt: cannot build the device tree: %s\n", fdt_strerror(rc));
		free(c.fdt);
		return 2;
	}
	errno = 0;
	f = fopen(path, "wb");
	ok = f != NULL;
	if (f) {
		ok = fwrite(c.fdt, 1, fdt_totalsize(c.fdt), f) == fdt_totalsize(c.fdt);
		if (fclose(f))
			ok = false;
	}
	if (!ok && !errno)
		errno = EIO;
	if (!ok) {
		fprintf(stderr, "sphb: dt: %s: %s\n", path, strerror(errno));
		free(c.fdt);
		return 2;
	}
	free(c.fdt);
	return 0;
}
