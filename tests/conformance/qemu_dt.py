"""Differential test of the device tree and of the MSI calls against QEMU 7.2.

Device tree: for several topologies QEMU's tree (-machine pseries,dumpdtb=)
and `sphb dt` with sim-pci twins are decoded with dtc and compared property
by property: every PHB node, every device node under it, and the PHB-related
/rtas properties.

Intended differences (not compared), and why:
  * ibm,drc-*, ibm,my-drc-index: sphb has no dynamic reconfiguration
    (hotplug connectors); advertising DRCs would promise RTAS calls it lacks.
  * ibm,loc-code: QEMU writes qemu_<model>:<index>:<bus>:<slot>.<fn>, sphb
    writes sphb_sim-pci:<index>:<bus>:<slot>.<fn> (the model differs: the
    twin is a sim-pci); everything after the first ':' is compared.
  * interrupt-map's phandle: both use QEMU's default 0x1111 (sphb_fdt_ops
    .intc_phandle = 0), so it is compared.
  * /rtas tokens QEMU lacks (ibm,open-errinjct, ibm,errinjct,
    ibm,close-errinjct, ibm,errinjct-tokens), and the PAPR properties QEMU
    omits (ibm,read-slot-reset-state-functions, ibm,reset-capabilities):
    sphb implements what they advertise. /rtas tokens sphb lacks (DRC,
    XICS, system calls) belong to the VMM, not to the PHB.
MSI: ibm,change-msi / ibm,query-interrupt-source-number sequences through
qtest and `sphb run`: statuses, counts, types and first IRQ numbers must
match. Intended differences, which these sequences avoid:
  * function 0 (query) and 2 (reset to default): -3 in QEMU, PAPR in sphb;
    function 6 (32-bit MSI-X, Linux): -3 in QEMU, implemented in sphb;
  * multi-vector MSI blocks are naturally aligned in sphb (QEMU 7.2's
    first-fit, spapr_irq_msi_alloc() in hw/ppc/spapr_irq.c, does not align
    MSI and 2-aligns MSI-X; sphb keeps the MSI-X placement), so a multi-vector MSI may get another first IRQ;
  * allocations are keyed by bus/devfn in sphb (QEMU 7.2's
    rtas_ibm_change_msi() keys the raw config word, so a query whose register bits differ fails there with -1).
"""
import os
import re
import subprocess
import sys
import tempfile

QEMU = os.environ.get("QEMU_PPC64", "qemu-system-ppc64")
SPHB = os.environ["SPHB"]

TWINS = {
    "e1000": "vendor=0x8086,device=0x100e,class=0x020000,rev=3,subsys-vendor=0x1af4,subsys=0x1100,"
             "bar0=mem32:0x20000,bar1=io:0x40,rom=0x40000",
    "e1000e": "vendor=0x8086,device=0x10d3,class=0x020000,rev=0,subsys-vendor=0x8086,subsys=0,"
              "bar0=mem32:0x20000,bar1=mem32:0x20000,bar2=io:0x20,bar3=mem32:0x4000,rom=0x40000,"
              "msi=1,msix=5,msix-bar=3,pcie=on",
    "virtio-rng-pci": "vendor=0x1af4,device=0x1005,class=0x00ff00,rev=0,subsys-vendor=0x1af4,"
                      "subsys=0x0004,bar0=io:0x20,bar1=mem32:0x1000,bar4=mem64pref:0x4000,msix=2,msix-bar=1",
}

# Cloned devices (sim-pci,config=DUMP, docs/cli.md): "clone:MODEL" in a
# topology is QEMU's MODEL (with these extra device properties and QEMU
# arguments) against sim-pci with the dump of tests/conformance/traces/dumps.
TOP = os.environ.get("SPHB_TOP") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CLONES = {
    "nvme": ("nvme.lspci", ",drive=dn,serial=gtnvme0", ["-blockdev", "driver=null-co,node-name=dn"]),
    "virtio-blk-pci": ("virtio-blk.lspci", ",drive=dv,iommu_platform=on,disable-legacy=on",
                       ["-blockdev", "driver=null-co,node-name=dv"]),
    "e1000": ("e1000.lspci", "", []),
}
for _model, (_dump, _, _) in CLONES.items():
    TWINS["clone:" + _model] = "config=" + os.path.join(os.path.abspath(TOP), "tests", "conformance",
                                                        "traces", "dumps", _dump)

# (name, PHBs [(qemu props, sphb props)], devices [(model, bus, addr, extra)])
TOPOLOGIES = [
    ("default", [], [("e1000e", "pci.0", "2", ""), ("virtio-rng-pci", "pci.0", "3", "")]),
    ("two-phbs", [("index=1,id=phb1", "index=1,id=phb1")],
     [("e1000", "pci.0", "2", ""), ("e1000e", "phb1.0", "5", "")]),
    ("ddw-off", [("index=2,id=p2,ddw=off", "index=2,id=p2,ddw=off")],
     [("virtio-rng-pci", "p2.0", "1", "")]),
    ("multifunction", [], [("e1000", "pci.0", "4.0", "multifunction=on"),
                           ("e1000", "pci.0", "4.1", ""), ("e1000e", "pci.0", "4.2", "")]),
    ("clones", [("index=1,id=phb1", "index=1,id=phb1")],    # the shared traces' run B
     [("clone:nvme", "pci.0", "2", ""), ("clone:virtio-blk-pci", "phb1.0", "2", ""),
      ("clone:e1000", "phb1.0", "3", "")]),
]

SKIP_PHB = re.compile(r"^ibm,drc-|^ibm,my-drc-index$")
SKIP_DEV = re.compile(r"^ibm,my-drc-index$")
RTAS_PHB_PROPS = re.compile(r"^(ibm,)?(read|write)-pci-config$|^ibm,(set-eeh-option|get-config-addr-info2|"
                            r"read-slot-reset-state2|set-slot-reset|configure-pe|slot-error-detail|"
                            r"change-msi|query-interrupt-source-number|query-pe-dma-window|"
                            r"create-pe-dma-window|remove-pe-dma-window|reset-pe-dma-window|"
                            r"change-msix-capable)$|^rtas-error-log-max$")


def parse_dts(text):
    """dtc -O dts output -> {path: {prop: value}}"""
    nodes, stack = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("/dts-v1/"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            stack.append(name)
            nodes["/".join(stack[1:]) or "/"] = {}
        elif line == "};":
            stack.pop()
        else:
            m = re.match(r"^([^=;]+?)(?:\s*=\s*(.*))?;$", line)
            if m and stack:
                nodes["/".join(stack[1:]) or "/"][m.group(1)] = m.group(2) or ""
    return nodes


def dts(path):
    return subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", path], check=True,
                          capture_output=True, text=True).stdout


def compare_dt(name, phbs, devs, tmp):
    qdtb, sdtb = os.path.join(tmp, name + ".q.dtb"), os.path.join(tmp, name + ".s.dtb")
    qargs = [QEMU, "-M", "pseries,dumpdtb=" + qdtb, "-nodefaults", "-display", "none"]
    sargs = [SPHB, "dt"]
    for q, s in phbs:
        qargs += ["-device", "spapr-pci-host-bridge," + q]
        sargs += ["-device", "spapr-pci-host-bridge," + s]
    for i, (model, bus, addr, extra) in enumerate(devs):
        qprops = ""
        if model.startswith("clone:"):
            _, qprops, more = CLONES[model[6:]]
            qargs += more
        qargs += ["-device", "%s,bus=%s,addr=%s%s%s" % (model.split(":")[-1], bus, addr, qprops,
                                                      "," + extra if extra else "")]
        sargs += ["-device", "sim-pci,bus=%s,addr=%s,id=d%d,%s%s" % (bus, addr, i, TWINS[model],
                                                                   "," + extra if extra else "")]
    subprocess.run(qargs, check=True, capture_output=True, timeout=120)
    subprocess.run(sargs + ["-o", sdtb], check=True, capture_output=True, timeout=60)
    q, s = parse_dts(dts(qdtb)), parse_dts(dts(sdtb))
    bad, n = [], 0
    qphbs = sorted(p for p in q if re.fullmatch(r"pci@[0-9a-f]+", p))
    sphbs = sorted(p for p in s if re.fullmatch(r"pci@[0-9a-f]+", p))
    if qphbs != sphbs:
        bad.append("PHB nodes: QEMU %s, sphb %s" % (qphbs, sphbs))
    for path in sorted(p for p in q if p.split("/")[0] in sphbs):
        skip = SKIP_PHB if "/" not in path else SKIP_DEV
        if path not in s:
            bad.append("%s: node missing in sphb" % path)
            continue
        for prop, qv in q[path].items():
            if skip.search(prop):
                continue
            n += 1
            if prop == "ibm,loc-code" and prop in s[path]:
                qv, sv = qv.split(":", 1), s[path][prop].split(":", 1)
                if not (qv[0].startswith('"qemu_') and sv[0] == '"sphb_sim-pci' and qv[1:] == sv[1:]):
                    bad.append("%s: ibm,loc-code: QEMU %s, sphb %s" % (path, ":".join(qv), ":".join(sv)))
            elif prop not in s[path]:
                bad.append("%s: %s missing in sphb (QEMU: %s)" % (path, prop, qv[:80]))
            elif s[path][prop] != qv:
                bad.append("%s: %s: QEMU %s, sphb %s" % (path, prop, qv[:100], s[path][prop][:100]))
        for prop in s[path]:
            if prop not in q[path] and not skip.search(prop):
                bad.append("%s: %s only in sphb" % (path, prop))
    for path in s:
        if path.split("/")[0] in sphbs and path not in q:
            bad.append("%s: node only in sphb" % path)
    for prop, qv in q.get("rtas", {}).items():
        if RTAS_PHB_PROPS.search(prop):
            n += 1
            if s["rtas"].get(prop) != qv:
                bad.append("rtas: %s: QEMU %s, sphb %s" % (prop, qv, s["rtas"].get(prop)))
    return n, bad


class Qtest:
    def __init__(self, devargs):
        self.p = subprocess.Popen([QEMU, "-M", "pseries", "-nodefaults", "-display", "none",
                                   "-qtest", "stdio"] + devargs, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def cmd(self, c):
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("QEMU exited")
            if line.startswith(("OK", "FAIL", "ERR")):
                return line.strip()

    def rtas(self, name, token, args, nret):
        base = 0x1000000
        words = [token, len(args), nret] + args + [0xdeadbeef] * nret
        for i, w in enumerate(words):
            self.cmd("writel %#x %#x" % (base + 4 * i, w & 0xffffffff))
        self.cmd("rtas %s %d %#x %d %#x" % (name, len(args), base + 12, nret, base + 12 + 4 * len(args)))
        out = []
        for i in range(nret):
            w = int(self.cmd("readl %#x" % (base + 12 + 4 * (len(args) + i))).split()[1], 16)
            out.append("-" if w == 0xdeadbeef else (str(w - (1 << 32) if w >> 31 else w) if i == 0
                                                    else "0x%08x" % w))
        return out

    def close(self):
        self.p.kill()
        self.p.wait()


def run_msi(seq, qdevs, sdevs):
    """Run (name, token, args, nret) calls in QEMU (qtest) and in `sphb run`;
    returns the number compared and the mismatches. A fifth element, when
    present, holds sphb's arguments (a register at another offset)."""
    sseq = [(c[0], c[1], c[4] if len(c) > 4 else c[2], c[3]) for c in seq]
    seq = [c[:4] for c in seq]
    q = Qtest(qdevs)
    try:
        qans = [q.rtas(n, t, a, r) for n, t, a, r in seq]
    finally:
        q.close()
    script = "".join("rtas %s nret=%d %s\n" % (n, r, " ".join("%#x" % x for x in a)) for n, t, a, r in sseq)
    out = subprocess.run([SPHB, "run"] + sdevs + ["-"], input=script, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    bad = []
    if len(out) != len(seq):
        bad.append("sphb run printed %d lines for %d calls" % (len(out), len(seq)))
    for (n, t, a, r), qa, line in zip(seq, qans, out):
        sa = line.split("-> ", 1)[1].split()
        if qa != sa:
            bad.append("%s %s: QEMU %s, sphb %s" % (n, [hex(x) for x in a], qa, sa))
    return len(seq), bad


def compare_msi_two_phbs():
    """The pool is machine-wide: allocations on PHB 0 and PHB 1 interleave;
    MSI-X blocks are 2-aligned (QEMU's placement, kept); first fit reuses
    freed holes; release of one device leaves the other PHB's alone."""
    hi = 0x8000000
    lo0, lo1 = 0x20000000, 0x20000001
    e0, v1, r1 = 0x1000, 0x800, 0x1800  # e1000e @pci.0:2, virtio-rng @phb1:1 and @phb1:3
    ch, qi = ("ibm,change-msi", 0x2019), ("ibm,query-interrupt-source-number", 0x2018)
    seq = [ch + ([e0, hi, lo0, 3, 1, 1], 4),           # MSI 1 -> 0x1300
           ch + ([v1, hi, lo1, 4, 1, 1], 4),           # MSI-X 1 -> 0x1302 (2-aligned)
           qi + ([v1, hi, lo1, 0], 3),
           ch + ([r1, hi, lo1, 4, 2, 1], 4),           # -> 0x1304..5
           qi + ([r1, hi, lo1, 1], 3),
           ch + ([e0, hi, lo0, 3, 0, 2], 4),           # release 0x1300
           ch + ([e0, hi, lo0, 4, 2, 1], 4),           # MSI-X 2 -> 0x1300 again
           qi + ([e0, hi, lo0, 0], 3),
           qi + ([e0, hi, lo0, 1], 3),
           ch + ([v1, hi, lo1, 4, 2, 1], 4),           # replace: new block first, old freed
           qi + ([v1, hi, lo1, 0], 3),
           ch + ([r1, hi, lo1, 1, 0, 1], 4),           # release through function 1
           ch + ([e0, hi, lo0, 4, 5, 1], 4),           # 5 MSI-X: first fit
           qi + ([e0, hi, lo0, 4], 3),
           qi + ([e0, hi, lo0, 5], 3),
           ch + ([r1, hi, lo1, 4, 3, 1], 4),           # 3 asked, 2 possible: retry answer
           ch + ([r1, hi, lo1, 4, 2, 2], 4),
           qi + ([r1, hi, lo1, 0], 3),
           ch + ([v1, hi, lo0, 4, 1, 1], 4),           # v1's address on PHB 0: absent
           ch + ([v1, hi, lo1, 4, 0, 1], 3),
           qi + ([v1, hi, lo1, 0], 3)]
    qdevs = ["-device", "spapr-pci-host-bridge,index=1,id=phb1",
             "-device", "e1000e,bus=pci.0,addr=2",
             "-device", "virtio-rng-pci,bus=phb1.0,addr=1",
             "-device", "virtio-rng-pci,bus=phb1.0,addr=3"]
    sdevs = ["-device", "spapr-pci-host-bridge,index=1,id=phb1",
             "-device", "sim-pci,bus=pci.0,addr=2,id=e," + TWINS["e1000e"],
             "-device", "sim-pci,bus=phb1.0,addr=1,id=v," + TWINS["virtio-rng-pci"],
             "-device", "sim-pci,bus=phb1.0,addr=3,id=r," + TWINS["virtio-rng-pci"]]
    return run_msi(seq, qdevs, sdevs)


def compare_msi_limit():
    """Multi-vector MSI on a PHB with msi-limit=enabled: QEMU 7.2 grants at
    most the vectors Multiple Message Enable enables (1 after reset, "ask
    again with 1"), and more once the guest raised MME itself. QEMU's
    nec-usb-xhci with msix=off has a 16-vector MSI capability at 0x70, its
    sim-pci twin (msi=16) at 0x40. (sphb's default, msi-limit=capable, grants
    up to Multiple Message Capable: tests/unit/test_msi.c, B7.)"""
    hi, lo, x = 0x8000000, 0x20000001, 0x1000  # on PHB 1 (the CLI's PHB 0 has default properties)
    ch, rd, wr = ("ibm,change-msi", 0x2019), ("ibm,read-pci-config", 0x2017), ("ibm,write-pci-config", 0x2016)
    seq = [rd + ([x | 0x72, hi, lo, 2], 2, [x | 0x42, hi, lo, 2]),
           ch + ([x, hi, lo, 3, 4, 1], 4),             # ask again with 1
           ch + ([x, hi, lo, 3, 1, 1], 4),
           rd + ([x | 0x72, hi, lo, 2], 2, [x | 0x42, hi, lo, 2]),
           wr + ([x | 0x72, hi, lo, 2, 0x20], 1, [x | 0x42, hi, lo, 2, 0x20]),
           ch + ([x, hi, lo, 3, 4, 1], 4),             # MME 2: 4 granted
           ch + ([x, hi, lo, 3, 8, 2], 4),             # ask again with 4
           rd + ([x | 0x72, hi, lo, 2], 2, [x | 0x42, hi, lo, 2]),
           ch + ([x, hi, lo, 3, 0, 3], 4),
           rd + ([x | 0x72, hi, lo, 2], 2, [x | 0x42, hi, lo, 2])]
    return run_msi(seq, ["-device", "spapr-pci-host-bridge,index=1,id=phb1",
                         "-device", "nec-usb-xhci,msix=off,bus=phb1.0,addr=2"],
                   ["-device", "spapr-pci-host-bridge,index=1,id=phb1,msi-limit=enabled",
                    "-device", "sim-pci,bus=phb1.0,addr=2,id=x,msi=16"])


def compare_msi():
    hi, lo = 0x8000000, 0x20000000
    e, v = 0x1000, 0x1800  # e1000e @2, virtio-rng-pci @3
    seq = [("ibm,change-msi", 0x2019, [v, hi, lo, 4, 2, 1], 4),
           ("ibm,query-interrupt-source-number", 0x2018, [v, hi, lo, 1], 3),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 1, 1, 1], 4),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 4, 3, 2], 4),
           ("ibm,query-interrupt-source-number", 0x2018, [e, hi, lo, 2], 3),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 3, 4, 1], 4),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 4, 100, 1], 4),
           ("ibm,change-msi", 0x2019, [v, hi, lo, 3, 1, 1], 4),
           ("ibm,change-msi", 0x2019, [v, hi, lo, 4, 0, 1], 4),
           ("ibm,change-msi", 0x2019, [v, hi, lo, 4, 0, 1], 4),
           ("ibm,query-interrupt-source-number", 0x2018, [v, hi, lo, 0], 3),
           ("ibm,change-msi", 0x2019, [v, hi, lo, 4, 1, 1], 4),
           ("ibm,query-interrupt-source-number", 0x2018, [v, hi, lo, 0], 3),
           ("ibm,query-interrupt-source-number", 0x2018, [e, hi, lo, 3], 3),
           ("ibm,change-msi", 0x2019, [0x2000, hi, lo, 1, 1, 1], 4),
           ("ibm,change-msi", 0x2019, [e, hi, lo + 1, 1, 1, 1], 4),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 5, 1, 1], 4),
           ("ibm,change-msi", 0x2019, [e, hi, lo, 4, 0, 1], 3),
           ("ibm,query-interrupt-source-number", 0x2018, [e, hi, lo, 0], 3)]
    return run_msi(seq, ["-device", "e1000e,bus=pci.0,addr=2", "-device", "virtio-rng-pci,bus=pci.0,addr=3"],
                   ["-device", "sim-pci,bus=pci.0,addr=2,id=e," + TWINS["e1000e"],
                    "-device", "sim-pci,bus=pci.0,addr=3,id=v," + TWINS["virtio-rng-pci"]])


def main():
    total, bad = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        for name, phbs, devs in TOPOLOGIES:
            n, b = compare_dt(name, phbs, devs, tmp)
            total += n
            bad += ["%s: %s" % (name, x) for x in b]
            print("dt %s: %d properties compared, %d mismatches" % (name, n, len(b)))
    for name, fn in (("msi", compare_msi), ("msi two-phbs", compare_msi_two_phbs),
                     ("msi-limit=enabled", compare_msi_limit)):
        n, b = fn()
        print("%s: %d calls compared, %d mismatches" % (name, n, len(b)))
        total += n
        bad += ["%s: %s" % (name, x) for x in b]
    for x in bad:
        print("MISMATCH " + x)
    print("qemu-dt: %d comparisons, %d mismatches" % (total, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
