/* Machine descriptions: PHB properties, placement, sim-pci options, and the
 * one-line errors that name the option and value. */
#include "harness.h"

#ifndef SPHB_VFIO
#define SPHB_VFIO 0
#endif
#define SPHB_VFIO_BUILT SPHB_VFIO

static struct t_host h;
static struct sphb_machine *m;

static void bad(const char *spec, int err, const char *must_contain)
{
	int rc = sphb_machine_add(m, spec);
	if (rc != err || !strstr(h.last_log, must_contain)) {
		fprintf(stderr, "'%s': rc %d (expected %d), log '%s' (expected to contain '%s')\n",
			spec, rc, err, h.last_log, must_contain);
		t_failures++;
	}
}

static void good(const char *spec)
{
	int rc = sphb_machine_add(m, spec);
	if (rc) {
		fprintf(stderr, "'%s': rc %d, log '%s'\n", spec, rc, h.last_log);
		t_failures++;
	}
}

static void phbs(void)
{
	uint64_t buid = 0;
	uint32_t v;

	CHECK_EQ(sphb_phb_buid(m, "pci", &buid), 0);
	CHECK_EQ(buid, 0x0800000020000000ull);
	good("spapr-pci-host-bridge,index=30,id=last");
	CHECK_EQ(sphb_phb_buid(m, "last", &buid), 0);
	CHECK_EQ(buid, 0x0800000020000000ull + 30);
	CHECK_EQ(sphb_phb_buid(m, "last.0", &buid), 0);
	good("spapr-pci-host-bridge,index=2,ddw=off,pgsz=0x11000,dma_win_addr=0,dma_win_size=0x80000000,"
	     "dma64_win_addr=0x800000000000000,mem_win_size=0x80000000,mem64_win_size=0x10000000000,"
	     "io_win_size=0x10000,numa_node=0,pcie-extended-configuration-space=off,"
	     "pre-5.1-associativity=off,pe-mode=per-group,error-log=on");
	CHECK_EQ(sphb_phb_buid(m, "pci.2", &buid), 0); /* no id: pci.N */
	CHECK_EQ(buid, 0x0800000020000002ull);
	/* the legacy type: accepted, one deprecation warning, iommu= ignored */
	h.nlogs = 0;
	good("spapr-pci-vfio-host-bridge,index=3,id=legacy,iommu=42");
	CHECK_EQ(h.nlogs, 1);
	CHECK_EQ(h.last_level, SPHB_LOG_WARN);
	CHECK(strstr(h.last_log, "deprecated") != NULL);
	good("sim-pci,bus=legacy.0,addr=1,id=onlegacy");
	CHECK_EQ(t_cfg_read(m, &h, 0x0800000020000003ull, t_cfgaddr(0, 1, 0, 0), 2, &v), 0);
	CHECK_EQ(v, 0x1014);
	/* errors: nothing is added */
	bad("spapr-pci-host-bridge,id=x", -EINVAL, "index: missing");
	bad("spapr-pci-host-bridge,index=31", -EINVAL, "index=31: out of range");
	bad("spapr-pci-host-bridge,index=-1", -EINVAL, "index=-1: not a number");
	bad("spapr-pci-host-bridge,index=30,id=dup", -EEXIST, "index=30: PCI host bridges must have unique indexes");
	CHECK_EQ(sphb_phb_buid(m, "dup", &buid), -ENOENT);
	bad("spapr-pci-host-bridge,index=4,id=last", -EEXIST, "id=last: id already in use");
	bad("spapr-pci-host-bridge,index=4,ddw=maybe", -EINVAL, "ddw=maybe: expected on or off");
	bad("spapr-pci-host-bridge,index=4,pe-mode=private", -EINVAL, "pe-mode=private");
	bad("spapr-pci-host-bridge,index=4,mem_win_size=0x100000000", -EINVAL, "mem_win_size=0x100000000: out of range");
	bad("spapr-pci-host-bridge,index=4,dma_win_size=0x1001", -EINVAL, "dma_win_size=0x1001");
	bad("spapr-pci-host-bridge,index=4,pgsz=0x2000", -EINVAL, "pgsz=0x2000");
	bad("spapr-pci-host-bridge,index=4,bogus=1", -EINVAL, "bogus=1: unknown option");
	bad("spapr-pci-host-bridge,index=4,index=5", -EINVAL, "index=5: option given twice");
	bad("spapr-pci-host-bridge,index=4,noequals", -EINVAL, "expected KEY=VALUE");
	bad("spapr-pci-host-bridge,index=4,id=9lives", -EINVAL, "id=9lives");
	CHECK_EQ(sphb_phb_buid(m, "pci.4", &buid), -ENOENT);
}

static void devices(void)
{
	good("sim-pci,bus=pci.0,addr=0x1f.7,id=corner");
	good("sim-pci,addr=10,id=hex");		/* QEMU: hex, slot 0x10 */
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x10, 0, 0), 2, &v), 0);
		CHECK_EQ(v, 0x1014);
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x1f, 7, 0), 2, &v), 0);
	}
	good("sim-pci,id=auto");		/* first free slot: 0 */
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0, 0, 0), 2, &v), 0);
	}
	bad("sim-pci,addr=0x20", -EINVAL, "addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)");
	bad("sim-pci,addr=3.8", -EINVAL, "addr=3.8: function 0x8 out of range 0..7");
	bad("sim-pci,addr=zz", -EINVAL, "addr=zz");
	bad("sim-pci,addr=10", -EEXIST, "addr=10");
	bad("sim-pci,bus=nope.0", -EINVAL, "bus=nope.0: no such bus");
	bad("sim-pci,addr=5,id=hex", -EEXIST, "id=hex: id already in use");
	bad("sim-pci,addr=5,id=pci", -EEXIST, "id=pci: id already in use");
	bad("sim-pci,addr=5,vendor=0x10000", -EINVAL, "vendor=0x10000: out of range");
	bad("sim-pci,addr=5,class=banana", -EINVAL, "class=banana: not a number");
	bad("sim-pci,addr=5,bar0=mem32:3000", -EINVAL, "bar0=mem32:3000: size must be a power of two");
	bad("sim-pci,addr=5,bar0=io:512", -EINVAL, "bar0=io:512");
	bad("sim-pci,addr=5,bar0=rom:4K", -EINVAL, "bar0=rom:4K: expected mem32");
	bad("sim-pci,addr=5,bar5=mem64:4K", -EINVAL, "bar5=mem64:4K: a 64-bit BAR needs two slots");
	bad("sim-pci,addr=5,bar0=mem64:4K,bar1=io:16", -EINVAL, "bar1=io:16: bar0 is 64-bit");
	bad("sim-pci,addr=5,msi=3", -EINVAL, "msi=3");
	bad("sim-pci,addr=5,msi=64", -EINVAL, "msi=64: out of range");
	bad("sim-pci,addr=5,msix=2049", -EINVAL, "msix=2049: out of range");
	bad("sim-pci,addr=5,msix=4,msix-bar=0", -EINVAL, "msix-bar=0: must name a memory BAR");
	bad("sim-pci,addr=5,msix-bar=1", -EINVAL, "msix-bar=1: needs msix=N");
	bad("sim-pci,addr=5,rom=1000", -EINVAL, "rom=1000");
	bad("sim-pci,addr=5,pcie=maybe", -EINVAL, "pcie=maybe");
	bad("sim-pci,addr=5,colour=blue", -EINVAL, "colour=blue: unknown option");
	bad("sim-pci,addr=5,bar0=mem32:4K,bar1=mem32:4K,bar2=mem32:4K,bar3=mem32:4K,bar4=mem32:4K,bar5=mem32:4K,msix=2",
	    -EINVAL, "no free BAR for the MSI-X table");
	/* multifunction rules */
	good("sim-pci,addr=6.0,id=single");
	bad("sim-pci,addr=6.1", -EINVAL, "function 0 of slot 6 is not multifunction");
	good("sim-pci,addr=7.2,id=f2");
	bad("sim-pci,addr=7.0", -EINVAL, "multifunction=off");
	good("sim-pci,addr=7.0,multifunction=on");
	/* other types */
	/* vfio-pci: refused without the backend, or (here, no such host device) with a reason */
	CHECK(sphb_machine_add(m, "vfio-pci,host=0000:7f:1f.7,bus=pci.0") < 0);
	CHECK(strstr(h.last_log, "vfio-pci") != NULL);
	bad("vfio-pci,host=0:1:2.3,bus=pci.0", SPHB_VFIO_BUILT ? -EINVAL : -ENOTSUP, "vfio-pci");
	bad("e1000,bus=pci.0", -EINVAL, "e1000: unknown device type");
	bad("", -EINVAL, "empty device description");
	/* hot unplug */
	CHECK_EQ(sphb_machine_del(m, "hex"), 0);
	CHECK_EQ(sphb_machine_del(m, "hex"), -ENOENT);
	{
		uint32_t v;
		CHECK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x10, 0, 0), 2, &v), -1);
	}
	good("sim-pci,addr=10,id=hex");
}

int main(void)
{
	m = t_machine(&h, NULL);
	phbs();
	devices();
	t_free(m, &h);
	return t_result();
}
