/* Device-tree emission through callbacks: structure, balance, stopping on a
 * callback error, and the values a guest relies on. The full comparison with
 * QEMU's tree is tests/conformance/qemu-dt.sh. */
#include <stddef.h>

#include <libfdt.h>

#include "harness.h"

struct rec {
	int depth, max_depth, nodes, props, fail_after;
	char names[64][48];
	uint8_t last_interrupts[8];
	uint32_t total_msi, errinjct_len;
};

static int begin(void *o, const char *name)
{
	struct rec *r = o;
	if (r->fail_after && r->nodes + r->props >= r->fail_after)
		return -EIO;
	if (r->nodes < 64)
		snprintf(r->names[r->nodes], sizeof(r->names[0]), "%s", name);
	r->nodes++;
	if (++r->depth > r->max_depth)
		r->max_depth = r->depth;
	return 0;
}

static int end(void *o)
{
	struct rec *r = o;
	r->depth--;
	return 0;
}

static int prop(void *o, const char *name, const void *v, size_t len)
{
	struct rec *r = o;
	const uint8_t *p = v;
	if (r->fail_after && r->nodes + r->props >= r->fail_after)
		return -EIO;
	r->props++;
	if (!strcmp(name, "ibm,pe-total-#msi") && len == 4)
		r->total_msi = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (!strcmp(name, "ibm,errinjct-tokens"))
		r->errinjct_len = (uint32_t)len;
	return 0;
}

/* ---- a small in-memory tree: (path, property) -> value ---- */
struct tprop { char path[64], name[48]; uint8_t val[4096]; size_t len; };
struct tree { char stack[8][48]; int depth; unsigned n, nodes; struct tprop p[512]; };

static int tb(void *o, const char *name)
{
	struct tree *t = o;
	if (t->depth >= 8)
		return -E2BIG;
	snprintf(t->stack[t->depth++], sizeof(t->stack[0]), "%s", name);
	t->nodes++;
	return 0;
}

static int te(void *o)
{
	struct tree *t = o;
	if (t->depth <= 0)
		return -EINVAL;
	t->depth--;
	return 0;
}

static int tp(void *o, const char *name, const void *v, size_t len)
{
	struct tree *t = o;
	struct tprop *p;
	size_t off = 0;
	if (t->n >= 512 || len > sizeof(p->val))
		return -E2BIG;
	p = &t->p[t->n++];
	for (int i = 0; i < t->depth; i++) {
		size_t l = strlen(t->stack[i]);
		if (off + l + 2 > sizeof(p->path))
			return -E2BIG;
		if (i)
			p->path[off++] = '/';
		memcpy(p->path + off, t->stack[i], l);
		off += l;
	}
	p->path[off] = 0;
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (len)
		memcpy(p->val, v, len);
	p->len = len;
	return 0;
}

static const struct tprop *find(const struct tree *t, const char *path, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->p[i].path, path) && !strcmp(t->p[i].name, name))
			return &t->p[i];
	return NULL;
}

static uint32_t be(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* cell i of a property, or 0xffffffff when absent / too short */
static uint32_t cell(const struct tree *t, const char *path, const char *name, size_t i)
{
	const struct tprop *p = find(t, path, name);
	return p && p->len >= 4 * (i + 1) ? be(p->val + 4 * i) : 0xffffffffu;
}

static size_t plen(const struct tree *t, const char *path, const char *name)
{
	const struct tprop *p = find(t, path, name);
	return p ? p->len : (size_t)-1;
}

static void values(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "spapr-pci-host-bridge,index=2,id=p2,ddw=off",
		"sim-pci,addr=2,id=e,vendor=0x8086,device=0x10d3,class=0x020000,rev=3,"
		"subsys-vendor=0x8086,subsys=0x1234,msi=4,msix=5,pcie=on,bar0=mem32:0x20000",
		"sim-pci,bus=p2.0,addr=1f.7,id=z,bar0=io:0x20,bar2=mem64pref:0x4000", NULL);
	struct sphb_fdt_ops ops = { sizeof(ops), tb, te, tp, 0x7777 };
	static struct tree t;
	unsigned ntok = 0;
	const struct tprop *p;

	memset(&t, 0, sizeof(t));
	CHECK_EQ(sphb_machine_fdt(m, &ops, &t), 0);
	CHECK_EQ(t.depth, 0);
	CHECK_EQ(t.nodes, 5);	/* 2 PHBs, 2 devices, rtas */
	/* PHB 0 */
	CHECK_EQ(cell(&t, "pci@800000020000000", "reg", 0), 0x08000000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "reg", 1), 0x20000000);
	CHECK_EQ(plen(&t, "pci@800000020000000", "used-by-rtas"), 0);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,pe-total-#msi", 0), 0xd00);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,ddw-applicable", 0), 0x2026);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,ddw-applicable", 2), 0x2028);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,ddw-extensions", 0), 2);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,ddw-extensions", 1), 0x2029);
	CHECK_EQ(plen(&t, "pci@800000020000000", "interrupt-map"), 32 * 4 * 7 * 4);
	CHECK_EQ(cell(&t, "pci@800000020000000", "interrupt-map", 4), 0x7777);	/* the host's phandle */
	CHECK_EQ(cell(&t, "pci@800000020000000", "interrupt-map", 7 * 7 + 5), 0x1200 + (1 + 3) % 4);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,dma-window", 0), 0x80000000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ibm,dma-window", 4), 0x40000000);
	/* ranges: IO at 0x200000000000, MEM32 at +2 GiB, MEM64 at +1 TiB */
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 3), 0x2000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 7), 0x02000000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 10), 0x2000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 11), 0x80000000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 14), 0x03000000);
	CHECK_EQ(cell(&t, "pci@800000020000000", "ranges", 15), 0x2100);
	/* PHB 2: ddw=off advertises no DDW; its LSIs and LIOBN follow its index */
	CHECK(!find(&t, "pci@800000020000002", "ibm,ddw-applicable"));
	CHECK(!find(&t, "pci@800000020000002", "ibm,ddw-extensions"));
	CHECK_EQ(cell(&t, "pci@800000020000002", "interrupt-map", 5), 0x1208);
	CHECK_EQ(cell(&t, "pci@800000020000002", "ibm,dma-window", 0), 0x80000200);
	CHECK_EQ(cell(&t, "pci@800000020000002", "ranges", 3), 0x2000);
	CHECK_EQ(cell(&t, "pci@800000020000002", "ranges", 4), 0x20000);
	/* devices */
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "vendor-id", 0), 0x8086);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "device-id", 0), 0x10d3);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "revision-id", 0), 3);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "class-code", 0), 0x020000);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "subsystem-vendor-id", 0), 0x8086);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "subsystem-id", 0), 0x1234);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "interrupts", 0), 1);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "ibm,req#msi", 0), 4);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "ibm,req#msi-x", 0), 5);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "ibm,pci-config-space-type", 0), 1);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "reg", 0), 0x1000);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "reg", 5), 0x02001010);
	CHECK_EQ(cell(&t, "pci@800000020000000/ethernet@2", "reg", 9), 0x20000);
	p = find(&t, "pci@800000020000000/ethernet@2", "ibm,loc-code");
	CHECK(p && p->len == sizeof("sphb_sim-pci:0000:00:02.0") &&
	      !memcmp(p->val, "sphb_sim-pci:0000:00:02.0", p->len));
	p = find(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "ibm,loc-code");
	CHECK(p && !strcmp((const char *)p->val, "sphb_sim-pci:0002:00:1f.7"));
	CHECK(!find(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "ibm,req#msi"));
	CHECK(!find(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "ibm,req#msi-x"));
	CHECK(!find(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "subsystem-id"));
	CHECK_EQ(plen(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "reg"), 3 * 5 * 4);
	CHECK_EQ(cell(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "reg", 5), 0x0100ff10);
	CHECK_EQ(cell(&t, "pci@800000020000002/unknown-legacy-device@1f,7", "reg", 10), 0x0300ff18);
	/* /rtas: every token of the library under its name, and the PAPR properties */
	for (uint32_t tok = 0x2000; tok < 0x2100; tok++) {
		const char *name = sphb_rtas_name(tok);
		if (!name)
			continue;
		ntok++;
		CHECK_EQ(cell(&t, "rtas", name, 0), tok);
		CHECK_EQ(plen(&t, "rtas", name), 4);
	}
	CHECK(ntok >= 19);
	CHECK_EQ(cell(&t, "rtas", "ibm,change-msi", 0), 0x2019);
	CHECK_EQ(cell(&t, "rtas", "ibm,query-interrupt-source-number", 0), 0x2018);
	CHECK_EQ(cell(&t, "rtas", "rtas-error-log-max", 0), 2048);
	CHECK_EQ(cell(&t, "rtas", "ibm,read-slot-reset-state-functions", 0), 3);
	CHECK_EQ(cell(&t, "rtas", "ibm,reset-capabilities", 0), 1);
	CHECK_EQ(plen(&t, "rtas", "ibm,change-msix-capable"), 0);
	p = find(&t, "rtas", "ibm,errinjct-tokens");
	CHECK(p != NULL);
	if (p) {
		static const uint8_t want[] = "ioa-bus-error\0\0\0\0\x07ioa-bus-error-64\0\0\0\0\x0f";
		CHECK_EQ(p->len, sizeof(want) - 1);
		CHECK(!memcmp(p->val, want, sizeof(want) - 1));
	}
	/* intc_phandle 0: QEMU's 0x1111; a struct without the field is refused */
	memset(&t, 0, sizeof(t));
	ops.intc_phandle = 0;
	CHECK_EQ(sphb_fdt_phbs(m, &ops, &t), 0);
	CHECK_EQ(cell(&t, "pci@800000020000000", "interrupt-map", 4), 0x1111);
	ops.sz = offsetof(struct sphb_fdt_ops, intc_phandle);
	CHECK_EQ(sphb_machine_fdt(m, &ops, &t), -EINVAL);
	CHECK_EQ(sphb_machine_fdt(m, NULL, &t), -EINVAL);
	CHECK_EQ(sphb_machine_fdt(NULL, &ops, &t), -EINVAL);
	/* a tree too big for the host's buffer: the callback's error comes back */
	ops.sz = sizeof(ops);
	memset(&t, 0, sizeof(t));
	t.n = 512 - 3;
	CHECK_EQ(sphb_machine_fdt(m, &ops, &t), -E2BIG);
	t_free(m, &h);
}

/* sphb_fdt_size against libfdt: the same walk written into a blob with
 * fdt_create's sequential-write calls, on an empty root node */
static int w_begin(void *o, const char *name)
{
	return fdt_begin_node(o, name) ? -EIO : 0;
}

static int w_end(void *o)
{
	return fdt_end_node(o) ? -EIO : 0;
}

static int w_prop(void *o, const char *name, const void *val, size_t len)
{
	return fdt_property(o, name, val, (int)len) ? -EIO : 0;
}

static void sizes(struct sphb_machine *m)
{
	static char blob[1 << 17];
	struct sphb_fdt_ops ops = { sizeof(ops), w_begin, w_end, w_prop, 0 };
	struct sphb_fdt_size z = { sizeof(z), 0, 0, 0, 0, 0, 0 }, small = { 8, 0, 0, 0, 0, 0, 0 };
	size_t bare_struct = 4 + 4 + 4 + 4; /* BEGIN_NODE "", END_NODE, FDT_END */

	CHECK_EQ(sphb_fdt_size(m, &z), 0);
	CHECK_EQ(fdt_create(blob, sizeof(blob)), 0);
	CHECK_EQ(fdt_finish_reservemap(blob), 0);
	CHECK_EQ(fdt_begin_node(blob, ""), 0);
	CHECK_EQ(sphb_machine_fdt(m, &ops, blob), 0);
	CHECK_EQ(fdt_end_node(blob), 0);
	CHECK_EQ(fdt_finish(blob), 0);
	CHECK_EQ(fdt_check_header(blob), 0);
	CHECK_EQ(z.struct_bytes, fdt_size_dt_struct(blob) - bare_struct);
	CHECK_EQ(z.strings_bytes, fdt_size_dt_strings(blob));
	CHECK(z.nodes >= 2 && z.properties > 40);
	CHECK_EQ(z.root_address_cells, 2);
	CHECK_EQ(z.root_size_cells, 2);
	CHECK_EQ(sphb_fdt_size(m, &small), -EINVAL);
	CHECK_EQ(sphb_fdt_size(NULL, &z), -EINVAL);
}

int main(void)
{
	struct t_host h;
	struct sphb_machine *m = t_machine(&h, "spapr-pci-host-bridge,index=5,id=p5",
		"sim-pci,bus=p5.0,addr=1,class=0x010802", "sim-pci,addr=3.0,multifunction=on",
		"sim-pci,addr=3.1,class=0x020000", NULL);
	struct sphb_fdt_ops ops = { sizeof(ops), begin, end, prop, 0 };
	struct rec r;

	memset(&r, 0, sizeof(r));
	CHECK_EQ(sphb_fdt_phbs(m, &ops, &r), 0);
	CHECK_EQ(r.depth, 0);			/* balanced */
	CHECK_EQ(r.max_depth, 2);		/* PHB nodes, device nodes */
	CHECK_EQ(r.nodes, 5);
	CHECK(!strcmp(r.names[0], "pci@800000020000000"));
	CHECK(!strcmp(r.names[1], "unknown-legacy-device@3"));
	CHECK(!strcmp(r.names[2], "ethernet@3,1"));
	CHECK(!strcmp(r.names[3], "pci@800000020000005"));
	CHECK(!strcmp(r.names[4], "mass-storage@1"));	/* QEMU 7.2 has no NVM class name */
	CHECK_EQ(r.total_msi, 0xd00);
	memset(&r, 0, sizeof(r));
	CHECK_EQ(sphb_fdt_rtas(m, &ops, &r), 0);
	CHECK_EQ(r.nodes, 0);
	CHECK_EQ(r.errinjct_len, sizeof("ioa-bus-error") + 4 + sizeof("ioa-bus-error-64") + 4);
	/* a failing callback stops the walk and its error is returned */
	for (int k = 1; k < 40; k += 7) {
		memset(&r, 0, sizeof(r));
		r.fail_after = k;
		CHECK_EQ(sphb_fdt_phbs(m, &ops, &r), -EIO);
		CHECK_EQ(r.nodes + r.props, k);
	}
	/* bad arguments */
	ops.sz = 8;
	CHECK_EQ(sphb_fdt_phbs(m, &ops, &r), -EINVAL);
	ops.sz = sizeof(ops);
	ops.property = NULL;
	CHECK_EQ(sphb_fdt_rtas(m, &ops, &r), -EINVAL);
	CHECK_EQ(sphb_fdt_rtas(NULL, &ops, &r), -EINVAL);
	sizes(m);
	t_free(m, &h);
	values();
	return t_result();
}
