/* sphb dt: a real flattened device tree written with libfdt's sequential-write
 * API from the library's callbacks: a minimal root, /rtas, the PHB nodes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "cli.h"

static int fdt_begin(void *fdt, const char *name)
{
	return fdt_begin_node(fdt, name) ? -EIO : 0;
}

static int fdt_end(void *fdt)
{
	return fdt_end_node(fdt) ? -EIO : 0;
}

static int fdt_prop(void *fdt, const char *name, const void *val, size_t len)
{
	return len > INT32_MAX || fdt_property(fdt, name, val, (int)len) ? -EIO : 0;
}

int sphb_cli_dt(struct sphb_machine *m, const char *path)
{
	struct sphb_fdt_ops ops;
	size_t size = 1u << 20;
	void *fdt = calloc(1, size);
	FILE *f;
	int rc = 0;

	if (!fdt) {
		fprintf(stderr, "sphb: dt: out of memory\n");
		return 1;
	}
	memset(&ops, 0, sizeof(ops));
	ops.sz = sizeof(ops);
	ops.begin_node = (int (*)(void *, const char *))fdt_begin;
	ops.end_node = (int (*)(void *))fdt_end;
	ops.property = (int (*)(void *, const char *, const void *, size_t))fdt_prop;
	rc |= fdt_create(fdt, (int)size);
	rc |= fdt_finish_reservemap(fdt);
	rc |= fdt_begin_node(fdt, "");
	rc |= fdt_property_string(fdt, "compatible", "qemu,pseries");
	rc |= fdt_property_cell(fdt, "#address-cells", 2);
	rc |= fdt_property_cell(fdt, "#size-cells", 2);
	rc |= fdt_begin_node(fdt, "rtas");
	if (!rc)
		rc = sphb_fdt_rtas(m, &ops, fdt);
	rc |= fdt_end_node(fdt);
	if (!rc)
		rc = sphb_fdt_phbs(m, &ops, fdt);
	rc |= fdt_end_node(fdt);
	rc |= fdt_finish(fdt);
	if (rc) {
		fprintf(stderr, "sphb: dt: cannot build the device tree (%d)\n", rc);
		free(fdt);
		return 1;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(fdt, 1, fdt_totalsize(fdt), f) != fdt_totalsize(fdt) || fclose(f)) {
		fprintf(stderr, "sphb: dt: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(fdt);
		return 1;
	}
	free(fdt);
	return 0;
}
