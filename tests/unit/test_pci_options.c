/* sphb_machine_add(): QEMU -device descriptions, good and bad, as a VMM's
 * user writes them.
 *
 * Sections:
 *   1. PHBs (spapr-pci-host-bridge): every property QEMU 7.2 accepts
 *      (hw/ppc/spapr_pci.c, spapr_phb_properties[]), BUID = 0x0800000020000000
 *      + index (hw/ppc/spapr.c, spapr_phb_placement()), the ddw= and
 *      pcie-extended-configuration-space= effects a guest sees;
 *   2. the legacy type spapr-pci-vfio-host-bridge (QEMU 2.6-2.11
 *      hw/ppc/spapr_pci_vfio.c: an alias with an ignored iommu= property);
 *   3. refused PHB descriptions: index mandatory and unique
 *      (spapr_phb_realize(): "PCI host bridges must have unique indexes");
 *   4. device types other than the two PHB types and sim-pci;
 *   5. sim-pci options and the PCI rules behind them (slot/function ranges,
 *      BAR sizes and slots, MSI/MSI-X vector counts; PCI Local Bus 3.0 §6.2.5,
 *      §6.8; docs/cli.md);
 *   6. multifunction (PCI Local Bus 3.0 §6.2.1, Header Type bit 7);
 *   7. hot unplug.
 *
 * A bad description adds nothing and logs one ERROR "TYPE: OPTION=VALUE: reason".
 * Each section runs on two machines: the first checks the status, the single
 * ERROR line, its "TYPE: OPTION=VALUE: " prefix and that nothing was added;
 * the second (the *_reasons functions) checks the reason wording.
 * SPDX-License-Identifier: MIT */
#include "harness.h"

#ifndef SPHB_VFIO
#define SPHB_VFIO 0
#endif

static unsigned n_checks;
#define CK(c) do { n_checks++; CHECK(c); } while (0)
#define CK_EQ(a, b) do { n_checks++; CHECK_EQ(a, b); } while (0)

static struct t_host h;
static struct sphb_machine *m;

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* A description that must be refused with `err`, one ERROR log line that
 * starts with `prefix` (or, when prefix2 is given, with either). */
static void bad2(const char *spec, int err, const char *prefix, const char *prefix2)
{
	unsigned logs = h.nlogs;
	int rc;

	h.last_log[0] = '\0';
	h.last_level = -1;
	rc = sphb_machine_add(m, spec);
	n_checks += 3;
	if (rc != err) {
		fprintf(stderr, "'%s': rc %d, expected %d (log '%s')\n", spec, rc, err, h.last_log);
		t_failures++;
	}
	if (h.nlogs != logs + 1 || h.last_level != SPHB_LOG_ERROR) {
		fprintf(stderr, "'%s': %u log messages (last level %d), expected one ERROR\n",
			spec, h.nlogs - logs, h.last_level);
		t_failures++;
	}
	if (prefix && !starts_with(h.last_log, prefix) &&
	    !(prefix2 && starts_with(h.last_log, prefix2))) {
		fprintf(stderr, "'%s': log '%s', expected it to start with '%s'%s%s\n", spec,
			h.last_log, prefix, prefix2 ? " or " : "", prefix2 ? prefix2 : "");
		t_failures++;
	}
}

static void bad(const char *spec, int err, const char *prefix)
{
	bad2(spec, err, prefix, NULL);
}

static void good(const char *spec)
{
	int rc = sphb_machine_add(m, spec);
	n_checks++;
	if (rc) {
		fprintf(stderr, "'%s': rc %d, log '%s'\n", spec, rc, h.last_log);
		t_failures++;
	}
}

static int32_t cfg_read(uint64_t buid, unsigned slot, unsigned fn, unsigned reg,
			unsigned size, uint32_t *v)
{
	return t_cfg_read(m, &h, buid, t_cfgaddr(0, slot, fn, reg), size, v);
}

/* ibm,query-pe-dma-window status on a PHB: -3 when DDW is off (QEMU 7.2
 * hw/ppc/spapr_rtas_ddw.c, rtas_ibm_query_pe_dma_window()) */
static int32_t ddw_query(uint64_t buid)
{
	uint32_t a[3] = { 0x1000, (uint32_t)(buid >> 32), (uint32_t)buid }, r[5];
	int tok = sphb_rtas_token("ibm,query-pe-dma-window");
	if (tok < 0)
		return 99;
	t_rtas_n(m, &h, (uint32_t)tok, 3, 5, a, r);
	return (int32_t)r[0];
}

/* A description that must be refused with `err` and a log line that
 * mentions `text` (the reason, word for word). */
static void bad_mentions(const char *spec, int err, const char *text)
{
	int rc = sphb_machine_add(m, spec);
	n_checks += 2;
	if (rc != err || !strstr(h.last_log, text)) {
		fprintf(stderr, "'%s': rc %d (expected %d), log '%s' (expected to contain '%s')\n",
			spec, rc, err, h.last_log, text);
		t_failures++;
	}
}

/* ---- 1. PHBs: accepted properties, BUID = base + index ------------------- */

static void phb_good(void)
{
	uint64_t b = 0;
	uint32_t v;

	/* the default PHB: index 0, id pci, bus pci.0 */
	CK_EQ(sphb_phb_buid(m, "pci", &b), 0);
	CK_EQ(b, T_BUID0);
	CK_EQ(sphb_phb_buid(m, "pci.0", &b), 0);
	CK_EQ(b, T_BUID0);
	/* one PHB per accepted property, BUID = base + index */
	static const char *const props[] = {
		"mem_win_size=0x80000000",
		"mem64_win_size=0x10000000000",
		"io_win_size=0x10000",
		"dma_win_addr=0",
		"dma_win_size=0x40000000",
		"dma64_win_addr=0x800000000000000",
		"ddw=on",
		"ddw=off",
		"pgsz=0x1211000",
		"pgsz=0x11000",
		"numa_node=0",
		"pcie-extended-configuration-space=on",
		"pcie-extended-configuration-space=off",
		"pre-5.1-associativity=off",
		"pe-mode=shared",
		"pe-mode=per-group",
		"dma_win_size=0x80000000",
		"dma_win_addr=0x10000000",
	};
	char spec[200], id[16];
	for (unsigned i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		snprintf(id, sizeof(id), "p%u", i + 1);
		snprintf(spec, sizeof(spec), "spapr-pci-host-bridge,index=%u,id=%s,%s", i + 1, id, props[i]);
		good(spec);
		b = 0;
		CK_EQ(sphb_phb_buid(m, id, &b), 0);
		CK_EQ(b, T_BUID0 + i + 1);
		snprintf(spec, sizeof(spec), "%s.0", id);
		CK_EQ(sphb_phb_buid(m, spec, &b), 0);
		CK_EQ(b, T_BUID0 + i + 1);
	}
	/* ddw=on (index 7) vs ddw=off (index 8) is visible to the guest */
	CK_EQ(ddw_query(T_BUID0 + 7), 0);
	CK_EQ(ddw_query(T_BUID0 + 8), -3);
	CK_EQ(ddw_query(T_BUID0), 0);	/* default: on */
	/* pcie-extended-configuration-space=off (index 13): the bus clamps */
	good("sim-pci,bus=p13.0,addr=1,id=onp13,pcie=on");
	CK_EQ(cfg_read(T_BUID0 + 13, 1, 0, 0x100, 4, &v), 0);
	CK_EQ(v, 0xffffffffu);
	good("sim-pci,bus=p12.0,addr=1,id=onp12,pcie=on");
	CK_EQ(cfg_read(T_BUID0 + 12, 1, 0, 0x100, 4, &v), 0);
	CK_EQ(v & 0xffff, 0x0001);
	/* every property at once, and the highest index */
	good("spapr-pci-host-bridge,index=30,id=all,ddw=off,pgsz=0x1000,dma_win_addr=0,"
	     "dma_win_size=0x40000000,dma64_win_addr=0x800000000000000,mem_win_size=0x80000000,"
	     "mem64_win_size=0x10000000000,io_win_size=0x10000,numa_node=1,"
	     "pcie-extended-configuration-space=on,pre-5.1-associativity=off,pe-mode=shared");
	CK_EQ(sphb_phb_buid(m, "all", &b), 0);
	CK_EQ(b, T_BUID0 + 30);
	/* hexadecimal index */
	good("spapr-pci-host-bridge,index=0x1d,id=hex");
	CK_EQ(sphb_phb_buid(m, "hex", &b), 0);
	CK_EQ(b, T_BUID0 + 29);
	/* devices behind a new PHB answer on its BUID only */
	good("sim-pci,bus=hex.0,addr=3,id=onhex,vendor=0x1234,device=0x5678");
	CK_EQ(cfg_read(T_BUID0 + 29, 3, 0, 0, 4, &v), 0);
	CK_EQ(v, 0x56781234);
	CK_EQ(cfg_read(T_BUID0, 3, 0, 0, 4, &v), -1);
	/* lookups */
	CK_EQ(sphb_phb_buid(m, "nope", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "all.1", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "onhex", &b), -ENOENT);	/* a device, not a PHB */
	CK(sphb_phb_buid(m, NULL, &b) < 0);
	CK(sphb_phb_buid(m, "pci", NULL) < 0);
	CK(sphb_phb_buid(NULL, "pci", &b) < 0);
}

static void phb_good_reasons(void)
{
	uint64_t buid = 0;

	CK_EQ(sphb_phb_buid(m, "pci", &buid), 0);
	CK_EQ(buid, 0x0800000020000000ull);
	good("spapr-pci-host-bridge,index=30,id=last");
	CK_EQ(sphb_phb_buid(m, "last", &buid), 0);
	CK_EQ(buid, 0x0800000020000000ull + 30);
	CK_EQ(sphb_phb_buid(m, "last.0", &buid), 0);
	good("spapr-pci-host-bridge,index=2,ddw=off,pgsz=0x11000,dma_win_addr=0,dma_win_size=0x80000000,"
	     "dma64_win_addr=0x800000000000000,mem_win_size=0x80000000,mem64_win_size=0x10000000000,"
	     "io_win_size=0x10000,numa_node=0,pcie-extended-configuration-space=off,"
	     "pre-5.1-associativity=off,pe-mode=per-group,error-log=on");
	CK_EQ(sphb_phb_buid(m, "pci.2", &buid), 0); /* no id: pci.N */
	CK_EQ(buid, 0x0800000020000002ull);
}

/* ---- 2. the legacy type spapr-pci-vfio-host-bridge ----------------------- */

static void phb_legacy(void)
{
	uint64_t b = 0;
	uint32_t v;
	unsigned logs = h.nlogs;

	/* spapr-pci-vfio-host-bridge: the same PHB, one WARN, iommu ignored */
	good("spapr-pci-vfio-host-bridge,index=20,id=old,iommu=3");
	CK_EQ(h.nlogs, logs + 1);
	CK_EQ(h.last_level, SPHB_LOG_WARN);
	CK(strstr(h.last_log, "spapr-pci-vfio-host-bridge") != NULL);
	CK(strstr(h.last_log, "deprecated") != NULL);
	CK_EQ(sphb_phb_buid(m, "old", &b), 0);
	CK_EQ(b, T_BUID0 + 20);
	good("sim-pci,bus=old.0,addr=2,id=onold,vendor=0x1af4,device=0x1000");
	CK_EQ(cfg_read(T_BUID0 + 20, 2, 0, 0, 4, &v), 0);
	CK_EQ(v, 0x10001af4);
	/* without iommu, and with its other properties */
	logs = h.nlogs;
	good("spapr-pci-vfio-host-bridge,index=21,id=old2,ddw=off");
	CK_EQ(h.nlogs, logs + 1);
	CK_EQ(h.last_level, SPHB_LOG_WARN);
	CK_EQ(ddw_query(T_BUID0 + 21), -3);
	/* index stays mandatory and unique on the legacy type */
	bad("spapr-pci-vfio-host-bridge,id=old3,iommu=1", -EINVAL, "spapr-pci-vfio-host-bridge: index");
	bad("spapr-pci-vfio-host-bridge,index=20,id=old4", -EEXIST,
	    "spapr-pci-vfio-host-bridge: index=20: ");
	bad("spapr-pci-vfio-host-bridge,index=22,id=old5,iommu=x", -EINVAL,
	    "spapr-pci-vfio-host-bridge: iommu=x: ");
	/* iommu= belongs to the legacy type only */
	bad("spapr-pci-host-bridge,index=22,id=old6,iommu=1", -EINVAL,
	    "spapr-pci-host-bridge: iommu=1: ");
	CK_EQ(sphb_phb_buid(m, "old3", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "old4", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "old5", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "old6", &b), -ENOENT);
}

static void phb_legacy_reasons(void)
{
	uint32_t v;

	/* the legacy type: accepted, one deprecation warning, iommu= ignored */
	h.nlogs = 0;
	good("spapr-pci-vfio-host-bridge,index=3,id=legacy,iommu=42");
	CK_EQ(h.nlogs, 1);
	CK_EQ(h.last_level, SPHB_LOG_WARN);
	CK(strstr(h.last_log, "deprecated") != NULL);
	good("sim-pci,bus=legacy.0,addr=1,id=onlegacy");
	CK_EQ(t_cfg_read(m, &h, 0x0800000020000003ull, t_cfgaddr(0, 1, 0, 0), 2, &v), 0);
	CK_EQ(v, 0x1014);
}

/* ---- 3. refused PHB descriptions: nothing is added ----------------------- */

static void phb_bad(void)
{
	uint64_t b = 0;
	uint32_t v;

	/* index: mandatory, 0..30, a number */
	bad("spapr-pci-host-bridge,id=bad", -EINVAL, "spapr-pci-host-bridge: index");
	bad("spapr-pci-host-bridge", -EINVAL, "spapr-pci-host-bridge: index");
	bad("spapr-pci-host-bridge,index=31,id=bad", -EINVAL, "spapr-pci-host-bridge: index=31: ");
	bad("spapr-pci-host-bridge,index=255,id=bad", -EINVAL, "spapr-pci-host-bridge: index=255: ");
	bad("spapr-pci-host-bridge,index=-1,id=bad", -EINVAL, "spapr-pci-host-bridge: index=-1: ");
	bad("spapr-pci-host-bridge,index=abc,id=bad", -EINVAL, "spapr-pci-host-bridge: index=abc: ");
	bad("spapr-pci-host-bridge,index=,id=bad", -EINVAL, "spapr-pci-host-bridge: index=: ");
	bad("spapr-pci-host-bridge,index=5x,id=bad", -EINVAL, "spapr-pci-host-bridge: index=5x: ");
	bad("spapr-pci-host-bridge,index=99999999999999999999999,id=bad", -EINVAL,
	    "spapr-pci-host-bridge: index=99999999999999999999999: ");
	/* duplicate index: -EEXIST, and the new id is not registered */
	bad("spapr-pci-host-bridge,index=0,id=bad", -EEXIST, "spapr-pci-host-bridge: index=0: ");
	bad("spapr-pci-host-bridge,index=1,id=bad", -EEXIST, "spapr-pci-host-bridge: index=1: ");
	CK_EQ(sphb_phb_buid(m, "bad", &b), -ENOENT);
	CK_EQ(sphb_phb_buid(m, "pci", &b), 0);
	CK_EQ(b, T_BUID0);
	/* the default PHB still answers, unchanged */
	CK_EQ(cfg_read(T_BUID0, 2, 0, 0, 2, &v), -1);
	/* duplicate id */
	bad("spapr-pci-host-bridge,index=25,id=pci", -EEXIST, "spapr-pci-host-bridge: id=pci: ");
	bad("spapr-pci-host-bridge,index=25,id=p1", -EEXIST, "spapr-pci-host-bridge: id=p1: ");
	/* removed / unknown properties */
	bad("spapr-pci-host-bridge,index=25,id=bad,buid=0x800000020000005", -EINVAL,
	    "spapr-pci-host-bridge: buid=0x800000020000005: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,liobn=0x80000500", -EINVAL,
	    "spapr-pci-host-bridge: liobn=0x80000500: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,frob=1", -EINVAL, "spapr-pci-host-bridge: frob=1: ");
	/* bad values of known properties */
	bad("spapr-pci-host-bridge,index=25,id=bad,ddw=maybe", -EINVAL, "spapr-pci-host-bridge: ddw=maybe: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,pcie-extended-configuration-space=2", -EINVAL,
	    "spapr-pci-host-bridge: pcie-extended-configuration-space=2: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,pgsz=zz", -EINVAL, "spapr-pci-host-bridge: pgsz=zz: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,pgsz=0x3", -EINVAL, "spapr-pci-host-bridge: pgsz=0x3: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,dma_win_size=lots", -EINVAL,
	    "spapr-pci-host-bridge: dma_win_size=lots: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,dma_win_addr=0x1001", -EINVAL,
	    "spapr-pci-host-bridge: dma_win_addr=0x1001: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,numa_node=x", -EINVAL, "spapr-pci-host-bridge: numa_node=x: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,pe-mode=private", -EINVAL,
	    "spapr-pci-host-bridge: pe-mode=private: ");
	bad("spapr-pci-host-bridge,index=25,id=9bad", -EINVAL, "spapr-pci-host-bridge: id=9bad: ");
	bad("spapr-pci-host-bridge,index=25,id=bad,ddw=on,ddw=off", -EINVAL, "spapr-pci-host-bridge: ddw=");
	/* nothing of the above was added: index 25 and id "bad" are still free */
	CK_EQ(sphb_phb_buid(m, "bad", &b), -ENOENT);
	CK_EQ(ddw_query(T_BUID0 + 25), -3);	/* no PHB there */
	good("spapr-pci-host-bridge,index=25,id=bad");
	CK_EQ(sphb_phb_buid(m, "bad", &b), 0);
	CK_EQ(b, T_BUID0 + 25);
}

static void phb_bad_reasons(void)
{
	uint64_t buid = 0;

	bad_mentions("spapr-pci-host-bridge,id=x", -EINVAL, "index: missing");
	bad_mentions("spapr-pci-host-bridge,index=31", -EINVAL, "index=31: out of range");
	bad_mentions("spapr-pci-host-bridge,index=-1", -EINVAL, "index=-1: not a number");
	bad_mentions("spapr-pci-host-bridge,index=30,id=dup", -EEXIST, "index=30: PCI host bridges must have unique indexes");
	CK_EQ(sphb_phb_buid(m, "dup", &buid), -ENOENT);
	bad_mentions("spapr-pci-host-bridge,index=4,id=last", -EEXIST, "id=last: id already in use");
	bad_mentions("spapr-pci-host-bridge,index=4,ddw=maybe", -EINVAL, "ddw=maybe: expected on or off");
	bad_mentions("spapr-pci-host-bridge,index=4,pe-mode=private", -EINVAL, "pe-mode=private");
	bad_mentions("spapr-pci-host-bridge,index=4,mem_win_size=0x100000000", -EINVAL, "mem_win_size=0x100000000: out of range");
	bad_mentions("spapr-pci-host-bridge,index=4,dma_win_size=0x1001", -EINVAL, "dma_win_size=0x1001");
	bad_mentions("spapr-pci-host-bridge,index=4,pgsz=0x2000", -EINVAL, "pgsz=0x2000");
	bad_mentions("spapr-pci-host-bridge,index=4,bogus=1", -EINVAL, "bogus=1: unknown option");
	bad_mentions("spapr-pci-host-bridge,index=4,index=5", -EINVAL, "index=5: option given twice");
	bad_mentions("spapr-pci-host-bridge,index=4,noequals", -EINVAL, "expected KEY=VALUE");
	bad_mentions("spapr-pci-host-bridge,index=4,id=9lives", -EINVAL, "id=9lives");
	CK_EQ(sphb_phb_buid(m, "pci.4", &buid), -ENOENT);
}

/* ---- 4. device types ------------------------------------------------------ */

static void types(void)
{
	bad("e1000,bus=pci.0,addr=9", -EINVAL, "e1000: ");
	bad("virtio-net-pci", -EINVAL, "virtio-net-pci: ");
	bad("spapr-pci-host-bridge2,index=6", -EINVAL, "spapr-pci-host-bridge2: ");
	bad("", -EINVAL, NULL);
	bad(",index=6", -EINVAL, NULL);
	bad("sim-pci,addr", -EINVAL, "sim-pci: ");
	bad("sim-pci,=3", -EINVAL, "sim-pci: ");
	CK_EQ(sphb_machine_add(m, NULL), -EINVAL);
	CK_EQ(sphb_machine_add(NULL, "sim-pci,addr=9"), -EINVAL);
	/* vfio-pci: refused here (no such host device / no VFIO backend), clearly */
	{
		unsigned logs = h.nlogs;
		int rc = sphb_machine_add(m, "vfio-pci,host=0000:7f:1f.7,bus=pci.0,addr=9,id=vf");
		CK(rc < 0);
#if !SPHB_VFIO
		CK_EQ(rc, -ENOTSUP);
#endif
		CK_EQ(h.nlogs, logs + 1);
		CK_EQ(h.last_level, SPHB_LOG_ERROR);
		CK(starts_with(h.last_log, "vfio-pci: "));
#if SPHB_VFIO
		CK(strstr(h.last_log, "host=0000:7f:1f.7") != NULL);
#else
		CK(strstr(h.last_log, "VFIO") != NULL || strstr(h.last_log, "vfio") != NULL);
#endif
		uint32_t v;
		CK_EQ(cfg_read(T_BUID0, 9, 0, 0, 4, &v), -1);
		CK_EQ(sphb_dev_config_addr(m, "vf", NULL, NULL) == 0, 0);
		rc = sphb_machine_add(m, "vfio-pci,bus=pci.0,addr=9");
		CK(rc < 0);
		CK(starts_with(h.last_log, "vfio-pci: "));
#if SPHB_VFIO
		CK(strstr(h.last_log, "host") != NULL);
#endif
	}
}

static void types_reasons(void)
{
	/* vfio-pci: refused without the backend, or (here, no such host device) with a reason */
	CK(sphb_machine_add(m, "vfio-pci,host=0000:7f:1f.7,bus=pci.0") < 0);
	CK(strstr(h.last_log, "vfio-pci") != NULL);
	bad_mentions("vfio-pci,host=0:1:2.3,bus=pci.0", SPHB_VFIO ? -EINVAL : -ENOTSUP, "vfio-pci");
	bad_mentions("e1000,bus=pci.0", -EINVAL, "e1000: unknown device type");
	bad_mentions("", -EINVAL, "empty device description");
}

/* ---- 5. sim-pci options --------------------------------------------------- */

/* a sim-pci description that must be refused; then slot 8 and id "probe" are still free */
static void sim_bad(const char *spec, int err, const char *prefix)
{
	uint64_t b;
	uint32_t v, cfg;

	bad(spec, err, prefix);
	CK_EQ(sphb_dev_config_addr(m, "probe", &b, &cfg), -ENOENT);
	CK_EQ(cfg_read(T_BUID0, 8, 0, 0, 4, &v), -1);
}

static void sim_good_then_del(const char *spec)
{
	good(spec);
	CK_EQ(sphb_machine_del(m, "probe"), 0);
}

static void sim_pci(void)
{
	uint64_t b = 0;
	uint32_t v, cfg = 0;

	/* addr: SLOT[.FN] in hex, slot 0..31, function 0..7 */
	bad("sim-pci,addr=0x20", -EINVAL, "sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)");
	CK(!strcmp(h.last_log, "sim-pci: addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)"));
	sim_bad("sim-pci,bus=pci.0,addr=20,id=probe", -EINVAL, "sim-pci: addr=20: ");	/* hex 0x20 */
	sim_bad("sim-pci,bus=pci.0,addr=0x100,id=probe", -EINVAL, "sim-pci: addr=0x100: ");
	sim_bad("sim-pci,bus=pci.0,addr=8.8,id=probe", -EINVAL, "sim-pci: addr=8.8: ");
	sim_bad("sim-pci,bus=pci.0,addr=8.f,id=probe", -EINVAL, "sim-pci: addr=8.f: ");
	sim_bad("sim-pci,bus=pci.0,addr=zz,id=probe", -EINVAL, "sim-pci: addr=zz: ");
	sim_bad("sim-pci,bus=pci.0,addr=,id=probe", -EINVAL, "sim-pci: addr=: ");
	sim_bad("sim-pci,bus=pci.0,addr=8.,id=probe", -EINVAL, "sim-pci: addr=8.: ");
	good("sim-pci,bus=pci.0,addr=1f,id=s31");
	CK_EQ(sphb_dev_config_addr(m, "s31", &b, &cfg), 0);
	CK_EQ(b, T_BUID0);
	CK_EQ(cfg, t_cfgaddr(0, 31, 0, 0));
	good("sim-pci,bus=pci.0,addr=0x10.0,id=s16");
	CK_EQ(sphb_dev_config_addr(m, "s16", &b, &cfg), 0);
	CK_EQ(cfg, t_cfgaddr(0, 16, 0, 0));
	/* bus */
	sim_bad("sim-pci,bus=nowhere.0,addr=8,id=probe", -EINVAL, "sim-pci: bus=nowhere.0: ");
	sim_bad("sim-pci,bus=pci,addr=8,id=probe", -EINVAL, "sim-pci: bus=pci: ");
	/* a taken slot */
	good("sim-pci,bus=pci.0,addr=2,id=two,vendor=0x1af4");
	bad("sim-pci,bus=pci.0,addr=2,id=probe,vendor=0x8086", -EEXIST, "sim-pci: addr=2: ");
	bad("sim-pci,bus=pci.0,addr=2.0,id=probe", -EEXIST, "sim-pci: addr=2.0: ");
	CK_EQ(cfg_read(T_BUID0, 2, 0, 0, 2, &v), 0);
	CK_EQ(v, 0x1af4);	/* the first device is still there */
	/* ... but the same slot on another bus is free */
	good("sim-pci,bus=p1.0,addr=2,id=twoonp1");
	/* duplicate / bad ids */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=two", -EEXIST, "sim-pci: id=two: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=pci", -EEXIST, "sim-pci: id=pci: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=1x", -EINVAL, "sim-pci: id=1x: ");
	/* IDs: 16-bit, vendor 0xffff is "no device" */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,vendor=0xffff", -EINVAL, "sim-pci: vendor=0xffff: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,vendor=0x10000", -EINVAL, "sim-pci: vendor=0x10000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,vendor=intel", -EINVAL, "sim-pci: vendor=intel: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,device=0x10000", -EINVAL, "sim-pci: device=0x10000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,class=0x1000000", -EINVAL, "sim-pci: class=0x1000000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,rev=256", -EINVAL, "sim-pci: rev=256: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,subsys=0x1ffff", -EINVAL, "sim-pci: subsys=0x1ffff: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,subsys-vendor=-1", -EINVAL, "sim-pci: subsys-vendor=-1: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,pcie=maybe", -EINVAL, "sim-pci: pcie=maybe: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,multifunction=2", -EINVAL, "sim-pci: multifunction=2: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,colour=blue", -EINVAL, "sim-pci: colour=blue: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,index=1", -EINVAL, "sim-pci: index=1: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,vendor=1,vendor=2", -EINVAL, "sim-pci: vendor=");

	/* BARs: power-of-two sizes (mem >= 16, io >= 4), 32-bit BARs < 4 GiB,
	 * a 64-bit BAR takes two slots */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:3000", -EINVAL, "sim-pci: bar0=mem32:3000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar1=mem64:0x3000", -EINVAL, "sim-pci: bar1=mem64:0x3000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=io:12", -EINVAL, "sim-pci: bar0=io:12: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:0", -EINVAL, "sim-pci: bar0=mem32:0: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:8", -EINVAL, "sim-pci: bar0=mem32:8: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=io:2", -EINVAL, "sim-pci: bar0=io:2: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:4G", -EINVAL, "sim-pci: bar0=mem32:4G: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32pref:4G", -EINVAL, "sim-pci: bar0=mem32pref:4G: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar5=mem64:4K", -EINVAL, "sim-pci: bar5=mem64:4K: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar5=mem64pref:4K", -EINVAL, "sim-pci: bar5=mem64pref:4K: ");
	bad2("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem64:4K,bar1=mem32:4K", -EINVAL,
	     "sim-pci: bar1=mem32:4K: ", "sim-pci: bar0=mem64:4K: ");
	bad2("sim-pci,bus=pci.0,addr=8,id=probe,bar2=mem64pref:1M,bar3=io:16", -EINVAL,
	     "sim-pci: bar3=io:16: ", "sim-pci: bar2=mem64pref:1M: ");
	bad2("sim-pci,bus=pci.0,addr=8,id=probe,bar3=mem64:1M,bar4=mem64:1M", -EINVAL,
	     "sim-pci: bar4=mem64:1M: ", "sim-pci: bar3=mem64:1M: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=ram:4K", -EINVAL, "sim-pci: bar0=ram:4K: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32", -EINVAL, "sim-pci: bar0=mem32: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:", -EINVAL, "sim-pci: bar0=mem32:: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:lots", -EINVAL, "sim-pci: bar0=mem32:lots: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,bar6=mem32:4K", -EINVAL, "sim-pci: bar6=mem32:4K: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,rom=3000", -EINVAL, "sim-pci: rom=3000: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,rom=1K", -EINVAL, "sim-pci: rom=1K: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,rom=0x3000", -EINVAL, "sim-pci: rom=0x3000: ");
	/* good BARs at the edges */
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:2G");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,bar0=mem32:16,bar1=io:4");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,bar4=mem64pref:1T,bar0=mem64:8G,bar2=mem32pref:1M");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,bar0=io:256,bar1=mem64:4K,bar3=mem64:4K,bar5=mem32:4K");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,rom=2K");

	/* MSI: 0, 1, 2, 4, 8, 16 or 32 vectors */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msi=3", -EINVAL, "sim-pci: msi=3: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msi=6", -EINVAL, "sim-pci: msi=6: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msi=64", -EINVAL, "sim-pci: msi=64: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msi=many", -EINVAL, "sim-pci: msi=many: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msi=0x3", -EINVAL, "sim-pci: msi=0x3: ");
	for (unsigned n = 1; n <= 32; n <<= 1) {
		char spec[80];
		snprintf(spec, sizeof(spec), "sim-pci,bus=pci.0,addr=8,id=probe,msi=%u", n);
		sim_good_then_del(spec);
	}
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,msi=0");
	/* MSI-X: 1..2048 vectors */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=2049", -EINVAL, "sim-pci: msix=2049: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=4096", -EINVAL, "sim-pci: msix=4096: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=-1", -EINVAL, "sim-pci: msix=-1: ");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,msix=1");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,msix=2048");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,msix=7,msi=8,pcie=on");
	/* an MSI-X table needs a memory BAR */
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=4,msix-bar=0,bar0=io:16", -EINVAL, "sim-pci: msix-bar=0: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=4,msix-bar=1", -EINVAL, "sim-pci: msix-bar=1: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix-bar=1,bar1=mem32:64K", -EINVAL, "sim-pci: msix-bar=1: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=4,msix-bar=6", -EINVAL, "sim-pci: msix-bar=6: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix=4,msix-bar=0x1", -EINVAL, "sim-pci: msix-bar=0x1: ");
	sim_bad("sim-pci,bus=pci.0,addr=8,id=probe,msix-bar=0x2,bar2=mem32:64K", -EINVAL, "sim-pci: msix-bar=0x2: ");
	sim_good_then_del("sim-pci,bus=pci.0,addr=8,id=probe,msix=4,msix-bar=2,bar2=mem64:64K");

	/* a PHB cannot take a device's id */
	bad("spapr-pci-host-bridge,index=26,id=two", -EEXIST, "spapr-pci-host-bridge: id=two: ");
	CK_EQ(ddw_query(T_BUID0 + 26), -3);	/* no PHB 26 */
	/* the failed attempts left slot 8 and the id free */
	good("sim-pci,bus=pci.0,addr=8,id=probe,vendor=0x1b36,device=0x0010");
	CK_EQ(cfg_read(T_BUID0, 8, 0, 0, 4, &v), 0);
	CK_EQ(v, 0x00101b36);
	CK_EQ(sphb_machine_del(m, "probe"), 0);
	CK_EQ(sphb_machine_del(m, "probe"), -ENOENT);
}

static void sim_pci_reasons(void)
{
	good("sim-pci,bus=pci.0,addr=0x1f.7,id=corner");
	good("sim-pci,addr=10,id=hex");		/* QEMU: hex, slot 0x10 */
	{
		uint32_t v;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x10, 0, 0), 2, &v), 0);
		CK_EQ(v, 0x1014);
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x1f, 7, 0), 2, &v), 0);
	}
	good("sim-pci,id=auto");		/* first free slot: 0 */
	{
		uint32_t v;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0, 0, 0), 2, &v), 0);
	}
	bad_mentions("sim-pci,addr=0x20", -EINVAL, "addr=0x20: slot 0x20 out of range 0x0..0x1f (addr= is hex)");
	bad_mentions("sim-pci,addr=3.8", -EINVAL, "addr=3.8: function 0x8 out of range 0..7");
	bad_mentions("sim-pci,addr=zz", -EINVAL, "addr=zz");
	bad_mentions("sim-pci,addr=10", -EEXIST, "addr=10");
	bad_mentions("sim-pci,bus=nope.0", -EINVAL, "bus=nope.0: no such bus");
	bad_mentions("sim-pci,addr=5,id=hex", -EEXIST, "id=hex: id already in use");
	bad_mentions("sim-pci,addr=5,id=pci", -EEXIST, "id=pci: id already in use");
	bad_mentions("sim-pci,addr=5,vendor=0x10000", -EINVAL, "vendor=0x10000: out of range");
	bad_mentions("sim-pci,addr=5,class=banana", -EINVAL, "class=banana: not a number");
	bad_mentions("sim-pci,addr=5,bar0=mem32:3000", -EINVAL, "bar0=mem32:3000: size must be a power of two");
	bad_mentions("sim-pci,addr=5,bar0=io:512", -EINVAL, "bar0=io:512");
	bad_mentions("sim-pci,addr=5,bar0=rom:4K", -EINVAL, "bar0=rom:4K: expected mem32");
	bad_mentions("sim-pci,addr=5,bar5=mem64:4K", -EINVAL, "bar5=mem64:4K: a 64-bit BAR needs two slots");
	bad_mentions("sim-pci,addr=5,bar0=mem64:4K,bar1=io:16", -EINVAL, "bar1=io:16: bar0 is 64-bit");
	bad_mentions("sim-pci,addr=5,msi=3", -EINVAL, "msi=3");
	bad_mentions("sim-pci,addr=5,msi=64", -EINVAL, "msi=64: out of range");
	bad_mentions("sim-pci,addr=5,msix=2049", -EINVAL, "msix=2049: out of range");
	bad_mentions("sim-pci,addr=5,msix=4,msix-bar=0", -EINVAL, "msix-bar=0: must name a memory BAR");
	bad_mentions("sim-pci,addr=5,msix-bar=1", -EINVAL, "msix-bar=1: needs msix=N");
	bad_mentions("sim-pci,addr=5,rom=1000", -EINVAL, "rom=1000");
	bad_mentions("sim-pci,addr=5,pcie=maybe", -EINVAL, "pcie=maybe");
	bad_mentions("sim-pci,addr=5,colour=blue", -EINVAL, "colour=blue: unknown option");
	bad_mentions("sim-pci,addr=5,bar0=mem32:4K,bar1=mem32:4K,bar2=mem32:4K,bar3=mem32:4K,bar4=mem32:4K,bar5=mem32:4K,msix=2",
	    -EINVAL, "no free BAR for the MSI-X table");
}

/* ---- 6. multifunction ----------------------------------------------------- */

static void multifunction(void)
{
	uint32_t v;

	/* function > 0 next to a single-function function 0 */
	good("sim-pci,bus=pci.0,addr=0xa,id=single");
	bad("sim-pci,bus=pci.0,addr=0xa.1,id=mfx", -EINVAL, NULL);
	CK(strstr(h.last_log, "multifunction") != NULL);
	CK_EQ(cfg_read(T_BUID0, 0xa, 1, 0, 4, &v), -1);
	bad("sim-pci,bus=pci.0,addr=0xa.7,id=mfx,multifunction=on", -EINVAL, "sim-pci: addr=0xa.7: ");
	/* function 0 with multifunction=on: functions 1..7 allowed, with or without the bit */
	good("sim-pci,bus=pci.0,addr=0xb.0,id=mf0,multifunction=on");
	good("sim-pci,bus=pci.0,addr=0xb.1,id=mf1");
	good("sim-pci,bus=pci.0,addr=0xb.7,id=mf7,multifunction=on");
	CK_EQ(cfg_read(T_BUID0, 0xb, 0, 0x0e, 1, &v), 0);
	CK_EQ(v & 0x80, 0x80);
	CK_EQ(cfg_read(T_BUID0, 0xb, 1, 0, 2, &v), 0);
	CK_EQ(cfg_read(T_BUID0, 0xb, 7, 0, 2, &v), 0);
	/* functions > 0 first (hot-plug order), then function 0: it must say multifunction */
	good("sim-pci,bus=pci.0,addr=0xc.2,id=c2");
	bad("sim-pci,bus=pci.0,addr=0xc.0,id=c0", -EINVAL, NULL);
	CK(strstr(h.last_log, "multifunction") != NULL);
	CK_EQ(cfg_read(T_BUID0, 0xc, 0, 0, 4, &v), -1);
	good("sim-pci,bus=pci.0,addr=0xc.0,id=c0,multifunction=on");
	CK_EQ(cfg_read(T_BUID0, 0xc, 0, 0x0e, 1, &v), 0);
	CK_EQ(v, 0x80);
	/* a single-function device's header says so */
	CK_EQ(cfg_read(T_BUID0, 0xa, 0, 0x0e, 1, &v), 0);
	CK_EQ(v, 0x00);
	/* without addr=, the first slot with no function at all is used */
	good("sim-pci,bus=pci.0,id=auto");
	{
		uint64_t b;
		uint32_t cfg;
		CK_EQ(sphb_dev_config_addr(m, "auto", &b, &cfg), 0);
		unsigned slot = (cfg >> 11) & 0x1f;
		CK_EQ((cfg >> 8) & 7, 0);
		CK(slot != 2 && slot != 8 && slot != 0xa && slot != 0xb && slot != 0xc &&
		   slot != 0x10 && slot != 0x1f);
	}
}

static void multifunction_reasons(void)
{
	good("sim-pci,addr=6.0,id=single");
	bad_mentions("sim-pci,addr=6.1", -EINVAL, "function 0 of slot 6 is not multifunction");
	good("sim-pci,addr=7.2,id=f2");
	bad_mentions("sim-pci,addr=7.0", -EINVAL, "multifunction=off");
	good("sim-pci,addr=7.0,multifunction=on");
}

/* ---- 7. hot unplug: the slot and the id are free again -------------------- */

static void unplug(void)
{
	CK_EQ(sphb_machine_del(m, "hex"), 0);
	CK_EQ(sphb_machine_del(m, "hex"), -ENOENT);
	{
		uint32_t v;
		CK_EQ(t_cfg_read(m, &h, T_BUID0, t_cfgaddr(0, 0x10, 0, 0), 2, &v), -1);
	}
	good("sim-pci,addr=10,id=hex");
}

int main(void)
{
	/* machine 1: statuses, one ERROR line with its prefix, nothing added */
	m = t_machine(&h, NULL);
	phb_good();
	phb_legacy();
	phb_bad();
	types();
	sim_pci();
	multifunction();
	t_free(m, &h);
	/* machine 2: the reasons, in the order the descriptions build on each other */
	m = t_machine(&h, NULL);
	phb_good_reasons();
	phb_legacy_reasons();
	phb_bad_reasons();
	sim_pci_reasons();
	multifunction_reasons();
	types_reasons();
	unplug();
	t_free(m, &h);
	fprintf(stderr, "test_pci_options: %u checks\n", n_checks);
	return t_result();
}
