#!/usr/bin/env python3
"""Differential conformance test: PCI configuration-space RTAS calls, sphb vs QEMU.

For each QEMU device model below, a pseries QEMU (driven through qtest) and an
`sphb run` machine with a sim-pci device that has the same IDs, class,
revision, subsystem, BARs, expansion ROM, MSI, MSI-X and PCIe-ness are sent
the same ibm,read-pci-config / ibm,write-pci-config / read-pci-config /
write-pci-config calls, and every answer (status, value, and whether each
return word was written at all) is compared.

Covered per device:
  1. every header register 0x00..0x3f read with sizes 4, 2 and 1 at every
     aligned offset (status and value);
  2. writes of all-ones to every header byte, word and dword (BAR and ROM
     sizing masks, Command, Status write-1-to-clear, cache line size,
     latency timer, interrupt line, read-only IDs), each read back and then
     restored and read back again;
  3. the capabilities found in both chains (MSI 0x05, MSI-X 0x11, PCIe 0x10):
     control word, MSI-X table/PBA BIR+offset, MSI address/data masks, the
     read-back after writing all-ones to the control word, and QEMU's
     clamping of MSI Multiple Message Enable to Multiple Message Capable once
     MSI is enabled; on a PCIe function, the AER extended capability's
     status/mask/severity registers (values and write masks);
  4. every validation branch of QEMU 7.2 for the four config calls
     (hw/ppc/spapr_pci.c: rtas_ibm_read_pci_config(),
     rtas_ibm_write_pci_config(), rtas_read_pci_config(),
     rtas_write_pci_config()).

Intended differences (not reported):
  * The capability pointer (0x34) and the capability offsets: QEMU places
    capabilities at device-specific offsets (e1000e: PM 0xc8, MSI 0xd0,
    PCIe 0xe0, MSI-X 0xa0; virtio-rng-pci: MSI-X 0x98 followed by five
    virtio vendor capabilities) while sim-pci lays them out from 0x40 in a
    fixed order and has no PM or vendor capabilities. So byte 0x34 is
    compared only as zero/non-zero, capability registers are compared at
    each side's own offset, the "next" pointers are not compared, and
    config space above 0x3f is never compared byte for byte. The Status
    register is compared exactly: its Capabilities List bit agrees because
    each sim-pci twin has capabilities exactly when the QEMU device does.
  * The PCI Express Capabilities register's version field (bits 0-3):
    QEMU's e1000e uses a version-1 PCIe capability
    (pcie_endpoint_cap_v1_init), sim-pci always models version 2. The
    device/port type and the remaining bits are compared. The other PCIe
    capability registers (Device Control default and write mask, Link
    Control, ...) are device-model details and are not compared (e1000e's v1
    capability has, e.g., a read-only Device Control).
  * Extended configuration space (0x100..0xfff) on a PCIe device: QEMU's
    e1000e has AER + DSN there, sim-pci AER only; the validation cases
    compare only the status and the written-ness of the return words, and
    the AER comparison leaves out the next pointer, the Uncorrectable Error
    Mask's write mask and the AER Capabilities and Control register (see
    aer_checks()).
  * nret 0: QEMU stores ret[0] even when nret is 0 (outside the caller's
    buffer), sphb never writes past nret; the CLI cannot show the difference,
    so nret 0 is not exercised.

Usage: qemu_config.py [--sphb PATH] [--qemu PATH] [-v]
Exit status: 0 all matched, 1 mismatch or error, 77 skipped.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest_rtas import (SLOT, BUID_HI, BUID_LO, Unavailable, Failure, Call, cfgaddr,  # noqa: E402
                        rd, wr, Qemu, sphb_run, fmt, dump_bytes, cap_chain, ext_chain,
                        std_options)

# QEMU device model, its sim-pci twin, whether it is PCI Express.
SIM = "sim-pci,bus=pci.0,addr=%d,id=x," % SLOT
DEVICES = [
    ("e1000",
     SIM + "vendor=0x8086,device=0x100e,class=0x020000,rev=3,"
     "subsys-vendor=0x1af4,subsys=0x1100,bar0=mem32:0x20000,bar1=io:0x40,rom=0x40000",
     False),
    ("e1000e",
     SIM + "vendor=0x8086,device=0x10d3,class=0x020000,rev=0,"
     "subsys-vendor=0x8086,subsys=0,bar0=mem32:0x20000,bar1=mem32:0x20000,bar2=io:0x20,"
     "bar3=mem32:0x4000,rom=0x40000,msi=1,msix=5,msix-bar=3,pcie=on",
     True),
    ("virtio-rng-pci",
     SIM + "vendor=0x1af4,device=0x1005,class=0x00ff00,rev=0,"
     "subsys-vendor=0x1af4,subsys=0x0004,bar0=io:0x20,bar1=mem32:0x1000,"
     "bar4=mem64pref:0x4000,msix=2,msix-bar=1",
     False),
]


class Check:
    """A call made on both sides (possibly at different offsets) and how to compare.

    mode: "exact"  every return word and its written-ness;
          "status" ret[0] and the written-ness of every return word;
          "capptr" exact, but the byte of register 0x34 (if the access covers
                   it) only as zero/non-zero;
          "mask"   exact, value compared under `mask`.
    """

    def __init__(self, what, qcall, scall=None, mode="exact", reg=None, size=None, mask=None,
                 expect=None):
        self.what = what
        self.expect = expect  # the status QEMU must answer (self-check), or None
        self.qcall = qcall
        self.scall = scall if scall is not None else qcall
        self.mode = mode
        self.reg, self.size, self.mask = reg, size, mask


def hdr_read(reg, size, what):
    mode = "capptr" if reg <= 0x34 < reg + size else "exact"
    return Check(what, rd(reg, size), mode=mode, reg=reg, size=size)


# ---------------------------------------------------------------- the checks


def norm(check, rets):
    """What of an answer is compared, per the check's mode."""
    if check.mode == "status":
        return [rets[0]] + [r is not None for r in rets[1:]]
    if check.mode == "capptr" and len(rets) > 1 and rets[1] is not None:
        sh = 8 * (0x34 - check.reg)
        v = rets[1]
        if (v >> sh) & 0xff:
            v = (v & ~(0xff << sh)) | (1 << sh)
        return [rets[0], v]
    if check.mode == "mask" and len(rets) > 1 and rets[1] is not None:
        return [rets[0], rets[1] & check.mask]
    return rets


def dump_calls(pcie):
    """Config dwords 0x000..0x0ff, and 0x100..0x1ff of a PCIe function."""
    return [rd(r, 4) for r in range(0, 0x200 if pcie else 0x100, 4)]



def header_checks():
    out = []
    for size in (4, 2, 1):
        for reg in range(0, 0x40, size):
            out.append(hdr_read(reg, size, "header read %#04x/%d" % (reg, size)))
    return out


def write_checks(qimg, simg):
    """All-ones writes to every header byte/word/dword, read back, restore."""
    out = []

    def orig(img, reg):
        return int.from_bytes(img[reg:reg + 4], "little")

    def restore(dw, what):
        out.append(Check(what + ", restore", wr(dw, 4, orig(qimg, dw)), wr(dw, 4, orig(simg, dw))))
        out.append(hdr_read(dw, 4, what + ", read after restore"))

    for size, ones in ((4, 0xffffffff), (2, 0xffff), (1, 0xff)):
        for reg in range(0, 0x40, size):
            what = "write %#x to %#04x/%d" % (ones, reg, size)
            out.append(Check(what, wr(reg, size, ones)))
            out.append(hdr_read(reg, size, what + ", read back"))
            if size != 4:
                out.append(hdr_read(reg & ~3, 4, what + ", read back dword"))
            restore(reg & ~3, what)
    return out


def cap_checks(qimg, simg, qcaps, scaps):
    out = []

    def r16(img, at):
        return int.from_bytes(img[at:at + 2], "little")

    def both_read(what, q, s, size, mode="exact", mask=None):
        out.append(Check(what, rd(q, size), rd(s, size), mode=mode, mask=mask))

    def both_write(what, q, s, size, qv, sv=None):
        out.append(Check(what, wr(q, size, qv), wr(s, size, qv if sv is None else sv)))

    for cid, name in ((0x05, "MSI"), (0x11, "MSI-X"), (0x10, "PCIe")):
        if cid not in qcaps or cid not in scaps:
            continue
        q, s = qcaps[cid], scaps[cid]
        mode, mask = ("mask", 0xfff0) if cid == 0x10 else ("exact", None)
        tag = "%s cap (QEMU @%#x, sphb @%#x)" % (name, q, s)
        both_read(tag + " id", q, s, 1)
        both_read(tag + " control", q + 2, s + 2, 2, mode, mask)
        both_read(tag + " control low byte", q + 2, s + 2, 1, mode, mask and 0xf0)
        both_read(tag + " control high byte", q + 3, s + 3, 1)
        if cid == 0x11:
            both_read(tag + " table BIR/offset", q + 4, s + 4, 4)
            both_read(tag + " PBA BIR/offset", q + 8, s + 8, 4)
            for off in (4, 8):
                both_write(tag + " write ones to +%d" % off, q + off, s + off, 4, 0xffffffff)
                both_read(tag + " +%d read back" % off, q + off, s + off, 4)
        if cid == 0x05 and qimg[q + 2] & 0x80 and simg[s + 2] & 0x80:
            for off, size, ones in ((4, 4, 0xffffffff), (8, 4, 0xffffffff), (12, 2, 0xffff)):
                w = "%s write %#x to +%d/%d" % (tag, ones, off, size)
                both_write(w, q + off, s + off, size, ones)
                both_read(w + ", read back", q + off, s + off, size)
                both_write(w + ", restore", q + off, s + off, size, 0)
                both_read(w + ", read after restore", q + off, s + off, size)
        if cid == 0x05:
            # Multiple Message Enable above Multiple Message Capable: QEMU
            # keeps it while MSI is disabled and clamps it once enabled.
            for size, at, val in ((2, 2, 0x0070), (1, 3, 0x00), (1, 2, 0x71), (1, 2, 0x70),
                                  (2, 2, 0x0001), (2, 2, 0x0000)):
                w = "%s write %#x to control+%d/%d" % (tag, val, at - 2, size)
                both_write(w, q + at, s + at, size, val)
                both_read(w + ", read back", q + 2, s + 2, 2)
        w = tag + " write 0xffff to control"
        both_write(w, q + 2, s + 2, 2, 0xffff)
        both_read(w + ", read back", q + 2, s + 2, 2, mode, mask)
        both_write(w + ", restore", q + 2, s + 2, 2, r16(qimg, q + 2), r16(simg, s + 2))
        both_read(w + ", read after restore", q + 2, s + 2, 2, mode, mask)
    return out


def aer_checks(q, s):
    """AER (extended capability 0x0001) registers whose semantics sim-pci
    shares with QEMU's pcie_aer_init(). Not compared, intended differences:
    the next-capability pointer (QEMU's e1000e has DSN at 0x140); the
    Uncorrectable Error Mask's write mask (read-only in QEMU 7.2, writable
    in sim-pci as the PCIe spec has it); the AER Capabilities and Control
    register at +0x18 (QEMU advertises ECRC generation/check, sim-pci does not).
    """
    out = []
    tag = "AER ext cap (QEMU @%#x, sphb @%#x)" % (q, s)

    def both(what, qc, sc, **kw):
        out.append(Check(tag + " " + what, qc, sc, **kw))

    both("header id/version", rd(q, 4), rd(s, 4), mode="mask", mask=0x000fffff)
    for off, name in ((4, "uncorrectable status"), (8, "uncorrectable mask"),
                      (0xc, "uncorrectable severity"), (0x10, "correctable status"),
                      (0x14, "correctable mask")):
        both(name, rd(q + off, 4), rd(s + off, 4))
    for off, name, restore in ((4, "uncorrectable status", None), (0xc, "uncorrectable severity",
                                                                  0x00462030),
                               (0x10, "correctable status", None),
                               (0x14, "correctable mask", 0x0000e000)):
        both("write ones to " + name, wr(q + off, 4, 0xffffffff), wr(s + off, 4, 0xffffffff))
        both(name + " read back", rd(q + off, 4), rd(s + off, 4))
        if restore is not None:
            both("restore " + name, wr(q + off, 4, restore), wr(s + off, 4, restore))
            both(name + " read after restore", rd(q + off, 4), rd(s + off, 4))
    return out


def validation_checks(pcie):
    """QEMU 7.2's validation branches for the four config calls (counts, size, BUID, device, offset).

    Each check also carries the status QEMU is expected to answer, as a
    self-check that the branch meant is the branch exercised."""
    out = []
    R, W = "ibm,read-pci-config", "ibm,write-pci-config"
    c0 = cfgaddr(0)
    c3c = cfgaddr(0x3c)
    ext = cfgaddr(0x100)
    ext_ok = 0 if pcie else -1  # conventional: config size 256
    ext_mode = "status"  # QEMU's and sim-pci's extended capabilities differ

    def add(what, call, st, mode="exact"):
        out.append(Check(what, call, mode=mode, expect=st))

    def r(what, cfg, size, st, mode="exact", hi=BUID_HI, lo=BUID_LO):
        add("read: " + what, Call(R, [cfg, hi, lo, size]), st, mode)

    def after(what):
        add(what + ", interrupt line after", rd(0x3c, 4), 0)

    def w(what, cfg, size, val, st, mode="exact", hi=BUID_HI, lo=BUID_LO):
        add("write: " + what, Call(W, [cfg, hi, lo, size, val]), st, mode)
        after("write: " + what)

    r("reg 0 size 4 (baseline)", c0, 4, 0)
    for size in (0, 3, 5, 8, 0xffffffff):
        r("size %d" % size, c0, size, -1)
    for reg, size in ((2, 4), (1, 4), (3, 4), (1, 2), (3, 2), (0xff, 2), (0xfe, 4)):
        r("unaligned reg %#x size %d" % (reg, size), cfgaddr(reg), size, -1)
    r("reg 0xff size 1", cfgaddr(0xff), 1, 0)
    r("reg 0xfe size 2", cfgaddr(0xfe), 2, 0)
    r("reg 0xfc size 4", cfgaddr(0xfc), 4, 0)
    r("absent slot 3", cfgaddr(0, slot=3), 4, -1)
    r("absent slot 31", cfgaddr(0, slot=31), 4, -1)
    r("absent function 1", cfgaddr(0, fn=1), 4, -1)
    r("absent function 7", cfgaddr(0, fn=7), 4, -1)
    r("absent bus 1", cfgaddr(0, bus=1), 4, -1)
    r("absent bus 0xff", cfgaddr(0, bus=0xff), 4, -1)
    r("BUID+1", c0, 4, -1, lo=BUID_LO + 1)
    r("BUID-1", c0, 4, -1, lo=BUID_LO - 1)
    r("BUID hi+1", c0, 4, -1, hi=BUID_HI + 1)
    r("BUID hi 0", c0, 4, -1, hi=0)
    r("BUID hi/lo swapped", c0, 4, -1, hi=BUID_LO, lo=BUID_HI)
    add("read: nargs 3", Call(R, [c0, BUID_HI, BUID_LO]), -1)
    add("read: nargs 5", Call(R, [c0, BUID_HI, BUID_LO, 4, 0]), -1)
    add("read: nret 1", Call(R, [c0, BUID_HI, BUID_LO, 4], nret=1), -1)
    add("read: nret 3", Call(R, [c0, BUID_HI, BUID_LO, 4], nret=3), -1)
    add("read: nargs 3 nret 1", Call(R, [c0, BUID_HI, BUID_LO], nret=1), -1)
    for bits in (0x01000000, 0x0f000000, 0x08000000):
        r("cfg bits 24-27 = %#x (ignored)" % (bits >> 24), c0 | bits, 4, 0)
        r("cfg bits 24-27 = %#x, reg 0x3c size 1" % (bits >> 24), c3c | bits, 1, 0)
    # extended configuration space through bits 28-31
    for reg, size in ((0x100, 4), (0x100, 2), (0x101, 1), (0x102, 2), (0x800, 4),
                      (0xffc, 4), (0xfff, 1), (0xffe, 2)):
        r("extended reg %#x size %d" % (reg, size), cfgaddr(reg), size, ext_ok, ext_mode)
    for reg, size in ((0xfff, 2), (0x102, 4), (0x100, 3)):
        r("extended reg %#x size %d" % (reg, size), cfgaddr(reg), size, -1, ext_mode)
    r("extended reg 0x100, absent slot", cfgaddr(0x100, slot=3), 4, -1, ext_mode)
    r("extended reg 0x100, bits 24-27 set", ext | 0x0f000000, 4, ext_ok, ext_mode)

    w("interrupt line := 0x11 (baseline)", c3c, 1, 0x11, 0)
    for size in (0, 3, 5, 8):
        w("size %d" % size, c3c, size, 0x22, -1)
    for reg, size in ((0x3d, 2), (0x3e, 4), (0x3d, 4), (0xff, 2), (0xfe, 4)):
        w("unaligned reg %#x size %d" % (reg, size), cfgaddr(reg), size, 0x33, -1)
    w("reg 0xff size 1", cfgaddr(0xff), 1, 0x44, 0)
    w("absent slot 3", cfgaddr(0x3c, slot=3), 1, 0x55, -1)
    w("absent function 1", cfgaddr(0x3c, fn=1), 1, 0x55, -1)
    w("absent bus 1", cfgaddr(0x3c, bus=1), 1, 0x55, -1)
    w("BUID+1", c3c, 1, 0x55, -1, lo=BUID_LO + 1)
    w("BUID hi+1", c3c, 1, 0x55, -1, hi=BUID_HI + 1)
    w("BUID hi 0", c3c, 1, 0x55, -1, hi=0)
    for what, call in (
            ("nargs 4", Call(W, [c3c, BUID_HI, BUID_LO, 1])),
            ("nargs 6", Call(W, [c3c, BUID_HI, BUID_LO, 1, 0x66, 0])),
            ("nret 2", Call(W, [c3c, BUID_HI, BUID_LO, 1, 0x66], nret=2)),
            ("nargs 6 nret 2", Call(W, [c3c, BUID_HI, BUID_LO, 1, 0x66, 0], nret=2))):
        add("write: " + what, call, -1)
        after("write: " + what)
    w("cfg bits 24-27 set (ignored), interrupt line := 0x77", c3c | 0x0f000000, 1, 0x77, 0)
    w("extended reg 0x100 size 4", ext, 4, 0, ext_ok, ext_mode)
    w("extended reg 0x104 size 4 (value 0)", cfgaddr(0x104), 4, 0, ext_ok, ext_mode)
    w("extended reg 0xffc size 4 (value 0)", cfgaddr(0xffc), 4, 0, ext_ok, ext_mode)
    w("extended reg 0x102 size 4", cfgaddr(0x102), 4, 0, -1, ext_mode)
    w("interrupt line := 0 (restore)", c3c, 1, 0, 0)

    # legacy CHRP calls: BUID 0, which no PHB has -> always -1
    for what, call in (
            ("read-pci-config reg 0 size 4", Call("read-pci-config", [c0, 4])),
            ("read-pci-config reg 0x3c size 1", Call("read-pci-config", [c3c, 1])),
            ("read-pci-config size 3", Call("read-pci-config", [c0, 3])),
            ("read-pci-config absent slot", Call("read-pci-config", [cfgaddr(0, slot=3), 4])),
            ("read-pci-config nargs 1", Call("read-pci-config", [c0])),
            ("read-pci-config nargs 3", Call("read-pci-config", [c0, 4, 0])),
            ("read-pci-config nret 1", Call("read-pci-config", [c0, 4], nret=1)),
            ("read-pci-config nret 3", Call("read-pci-config", [c0, 4], nret=3)),
            ("read-pci-config with the PHB's BUID as extra args",
             Call("read-pci-config", [c0, BUID_HI, BUID_LO, 4])),
            ("write-pci-config reg 0x3c size 1", Call("write-pci-config", [c3c, 1, 0x99])),
            ("write-pci-config size 3", Call("write-pci-config", [c3c, 3, 0x99])),
            ("write-pci-config nargs 2", Call("write-pci-config", [c3c, 1])),
            ("write-pci-config nargs 4", Call("write-pci-config", [c3c, 1, 0x99, 0])),
            ("write-pci-config nret 2", Call("write-pci-config", [c3c, 1, 0x99], nret=2))):
        add("legacy: " + what, call, -1)
    after("legacy")
    return out


def compare(dev, checks, qres, sres, verbose):
    bad = values = 0
    for ck, q, s in zip(checks, qres, sres):
        values += len(q)
        if ck.expect is not None and q[0] != ck.expect & 0xffffffff:
            bad += 1
            print("UNEXPECTED [%s] %s: QEMU answered %s, the test expects status %d "
                  "(the case does not exercise what it claims)" % (dev, ck.what, fmt(q), ck.expect))
        if norm(ck, q) == norm(ck, s):
            if verbose:
                print("ok   [%s] %s: %s" % (dev, ck.what, fmt(q)))
            continue
        bad += 1
        if ck.qcall.args == ck.scall.args and ck.qcall.nret == ck.scall.nret:
            call = ck.qcall.describe()
        else:
            call = "QEMU %s / sphb %s" % (ck.qcall.describe(), ck.scall.describe())
        note = {"status": " (status and written-ness only)",
                "capptr": " (byte 0x34 as zero/non-zero)",
                "mask": " (value under mask %#x)" % (ck.mask or 0)}.get(ck.mode, "")
        if ck.qcall.args[0] == ck.scall.args[0]:
            cfg = "cfg=%#010x" % ck.qcall.args[0]
        else:
            cfg = "cfg QEMU %#010x / sphb %#010x" % (ck.qcall.args[0], ck.scall.args[0])
        print("MISMATCH [%s] %s\n    call %s %s\n    QEMU %s vs sphb %s%s" % (
            dev, ck.what, call, cfg, fmt(q), fmt(s), note))
    return bad, values


def main():
    opt, _ = std_options(__doc__, "qemu-config")

    t0 = time.monotonic()
    total_bad = total_checks = total_values = ran = 0
    skipped = []
    for qdev, spec, pcie in DEVICES:
        try:
            qemu = Qemu(opt.qemu, ["-device", "%s,bus=pci.0,addr=%d" % (qdev, SLOT)])
        except Unavailable as e:
            skipped.append("%s (%s)" % (qdev, e))
            continue
        try:
            qimg = dump_bytes(qemu.run(dump_calls(pcie)), "QEMU " + qdev)
            simg = dump_bytes(sphb_run(opt.sphb, spec, dump_calls(pcie)), "sphb " + qdev)
            qcaps, scaps = cap_chain(qimg), cap_chain(simg)
            qext, sext = ext_chain(qimg), ext_chain(simg)
            checks = (header_checks() + write_checks(qimg, simg) +
                      cap_checks(qimg, simg, qcaps, scaps) + validation_checks(pcie))
            if 1 in qext and 1 in sext:
                checks += aer_checks(qext[1], sext[1])
            qres = qemu.run([c.qcall for c in checks])
            sres = sphb_run(opt.sphb, spec, [c.scall for c in checks])
        except Failure as e:
            print("ERROR [%s] %s" % (qdev, e))
            return 1
        finally:
            qemu.close()
        if pcie and ((1 in qext) != (1 in sext)):
            print("MISMATCH [%s] AER extended capability: QEMU %s, sphb %s" % (
                qdev, "present" if 1 in qext else "absent", "present" if 1 in sext else "absent"))
            total_bad += 1
        for cid, name in ((0x05, "MSI"), (0x11, "MSI-X"), (0x10, "PCIe")):
            if (cid in qcaps) != (cid in scaps):
                print("MISMATCH [%s] %s capability: QEMU %s, sphb %s" % (
                    qdev, name, "present" if cid in qcaps else "absent",
                    "present" if cid in scaps else "absent"))
                total_bad += 1
        bad, values = compare(qdev, checks, qres, sres, opt.verbose)
        total_bad += bad
        total_checks += len(checks)
        total_values += values
        ran += 1
        print("%s: %d calls, %d return words compared, %d mismatches (QEMU caps %s, sphb caps %s)"
              % (qdev, len(checks), values, bad,
                 ",".join("%#x@%#x" % (k, v) for k, v in sorted(qcaps.items())) or "none",
                 ",".join("%#x@%#x" % (k, v) for k, v in sorted(scaps.items())) or "none"))
    for s in skipped:
        print("skipped %s" % s)
    if not ran:
        print("qemu-config: skipped: QEMU could not run any device: %s" % "; ".join(skipped))
        return 77
    print("qemu-config: %d calls on %d devices, %d return words compared, %d mismatches, %.1f s"
          % (total_checks, ran, total_values, total_bad, time.monotonic() - t0))
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
