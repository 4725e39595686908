/* Device-tree emission through callbacks: structure, balance, stopping on a
 * callback error, and the values a guest relies on. The full comparison with
 * QEMU's tree is tests/conformance/qemu-dt.sh. */
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
	CHECK(!strcmp(r.names[4], "nvme@1"));
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
	t_free(m, &h);
	return t_result();
}
