#!/usr/bin/env python3
"""Conformance: a cloned device (sim-pci,config=DUMP) against the QEMU device it was dumped from.

For QEMU 7.2's nvme, virtio-blk-pci (iommu_platform=on, disable-legacy=on),
e1000 and e1000e, a pseries QEMU driven through qtest and `sphb run` with
`sim-pci,config=tests/conformance/traces/dumps/X.lspci` get the same
ibm,read-pci-config / ibm,write-pci-config calls, and every answer is compared:
  1. the whole configuration space, dword by dword (4096 bytes for nvme);
  2. firmware's work, as SLOF does it in the shared traces: each BAR and the
     ROM read, sized with all-ones, restored, then given an address; Command
     writes (0x140, 0, 0x102, 0x106, 0x506, 0x107, 0x103); MSI-X Enable and
     Function Mask as the guest's driver sets them; Status write-1-to-clear;
     interrupt line and cache line size; the whole space read again;
  3. every byte of the header and of every capability whose layout sphb
     models (PM, MSI, MSI-X, PCIe, vendor-specific): all-ones written and read
     back, zero written and read back, the original restored and read back.

Before that, tools/qemu-lspci.sh must still produce the checked-in dumps.

Intended differences (not compared; each is listed in KNOWN with its reason):
  * QEMU leaves configuration space that no capability covers writable like
    RAM (pci_init_wmask); sphb treats it as reserved (PCI 3.0 6.1: writes
    ignored, reads 0), so such bytes are not probed in step 3.
  * QEMU's e1000e lets PME_En and Data_Select of its PM Control/Status
    register be written (e1000e_add_pm_capability() in hw/net/e1000e.c)
    although its PM Capabilities say no PME and it has no Data register;
    sim-pci keeps them read-only as the PCI PM 1.2 specification has it.
Matched with an option (EXTRA): QEMU's nvme and e1000e keep PCIe Device
Control and Link Control read-only (no pcie_cap_deverr_init() or
pcie_cap_lnkctl_init()); their clones use pcie-ctl=ro.
  * virtio-pci's VIRTIO_PCI_CAP_PCI_CFG vendor capability (cfg_type 5) is a
    writable window onto the BARs in QEMU; the clone keeps vendor-specific
    capabilities read-only.

Usage: clone_vs_qemu.py [--sphb PATH] [--qemu PATH] [-v]
Exit status: 0 all matched, 1 mismatch or error, 77 skipped (QEMU missing).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qtest_rtas import (SLOT, Unavailable, Failure, rd, wr, Qemu, sphb_run,  # noqa: E402
                        fmt, dump_bytes, cap_chain, std_options)

DEVICES = [
    ("nvme", ["-blockdev", "driver=null-co,node-name=d0",
              "-device", "nvme,drive=d0,serial=gtnvme0,bus=pci.0,addr=%d" % SLOT]),
    ("virtio-blk", ["-blockdev", "driver=null-co,node-name=d1",
                    "-device", "virtio-blk-pci,drive=d1,iommu_platform=on,disable-legacy=on,"
                    "bus=pci.0,addr=%d" % SLOT]),
    ("e1000", ["-device", "e1000,bus=pci.0,addr=%d" % SLOT]),
    ("e1000e", ["-device", "e1000e,bus=pci.0,addr=%d" % SLOT]),
]

# sim-pci options a clone needs to behave as QEMU's model: QEMU 7.2's PCIe
# endpoints (pcie_endpoint_cap_init() without pcie_cap_deverr_init() and
# pcie_cap_lnkctl_init(), hw/pci/pcie.c) keep Device Control and Link Control
# read-only; pcie-ctl=ro does the same (docs/cli.md)
EXTRA = {"nvme": ",pcie-ctl=ro", "e1000e": ",pcie-ctl=ro"}

# How tests/conformance/traces/dumps/X.lspci were made (its README): the
# test first checks that tools/qemu-lspci.sh still makes them byte for byte.
DUMPED = {
    "nvme": ["-blockdev", "driver=null-co,node-name=d0",
             "-device", "nvme,drive=d0,serial=gtnvme0,bus=pci.0,addr=2"],
    "virtio-blk": ["-blockdev", "driver=null-co,node-name=d1",
                   "-device", "virtio-blk-pci,drive=d1,iommu_platform=on,disable-legacy=on,"
                   "bus=pci.0,addr=3"],
    "e1000": ["-device", "e1000,bus=pci.0,addr=3"],
    "e1000e": ["-device", "e1000e,bus=pci.0,addr=3"],
}

# (device, first byte, last byte, reason): bytes whose write behaviour differs on purpose
KNOWN = [
    ("e1000e", 0xcd, 0xcd, "PM Control/Status bits 8-12 (PME_En, Data_Select): writable in QEMU's e1000e, "
                           "read-only without PME support or a Data register"),
    ("virtio-blk", 0x88, 0x97, "virtio PCI-config-access capability: writable window in QEMU, "
                               "vendor capabilities read-only in sphb"),
]


def structures(img):
    """Byte ranges [start, end) of the header and the capabilities sphb models."""
    out = [(0, 0x40)]
    seen = set()
    at = img[0x34] & 0xfc if img[0x06] & 0x10 else 0
    while at >= 0x40 and at not in seen:
        seen.add(at)
        cid = img[at]
        ctl = img[at + 2] | img[at + 3] << 8
        length = {0x01: 8, 0x11: 12}.get(cid)
        if cid == 0x05:
            length = (0x0e if ctl & 0x80 else 0x0a) + (0x0a if ctl & 0x100 else 0)
        elif cid == 0x10:
            length = 0x3c if (img[at + 2] & 0xf) >= 2 else 0x14
        elif cid == 0x09:
            length = img[at + 2]
        if length:
            out.append((at, min(at + length, 0x100)))
        at = img[at + 1] & 0xfc
    return out


def known(dev, off):
    for d, lo, hi, why in KNOWN:
        if d == dev and lo <= off <= hi:
            return why
    return None


def calls_for(dev, img):
    """(what, call) pairs of steps 2 and 3; step 1 is the dump itself."""
    out = []
    size = len(img)

    def r32(reg):
        return int.from_bytes(img[reg:reg + 4], "little")

    # 2. firmware
    addr = 0x80000000
    for reg in list(range(0x10, 0x28, 4)) + [0x30]:
        out.append(("fw: read %#x" % reg, rd(reg, 4)))
        ones = 0xfffff800 if reg == 0x30 else 0xffffffff
        out.append(("fw: size %#x" % reg, wr(reg, 4, ones)))
        out.append(("fw: size %#x read back" % reg, rd(reg, 4)))
        out.append(("fw: restore %#x" % reg, wr(reg, 4, r32(reg))))
        out.append(("fw: assign %#x" % reg, wr(reg, 4, addr | (1 if reg == 0x30 else 0))))
        out.append(("fw: assigned %#x read back" % reg, rd(reg, 4)))
        addr += 0x10000
    for cmd in (0x140, 0x0, 0x102, 0x106, 0x506, 0x107, 0x103, 0xffff, 0x0):
        out.append(("fw: command := %#x" % cmd, wr(0x04, 2, cmd)))
        out.append(("fw: command %#x read back" % cmd, rd(0x04, 4)))
    caps = cap_chain(img)
    if 0x11 in caps:
        c = caps[0x11]
        for ctl in (0x8000, 0xc000, 0x4000, 0x0, 0xffff, 0x0):
            out.append(("MSI-X control := %#x" % ctl, wr(c + 2, 2, ctl)))
            out.append(("MSI-X control %#x read back" % ctl, rd(c, 4)))
    for reg, size_, val in ((0x06, 2, 0xffff), (0x3c, 1, 0x13), (0x0c, 1, 0x20),
                            (0x0d, 1, 0xff), (0x3d, 1, 0x04)):
        out.append(("write %#x to %#x/%d" % (val, reg, size_), wr(reg, size_, val)))
        out.append(("... read back %#x" % reg, rd(reg & ~3, 4)))
    out += [("fw: final read %#x" % reg, rd(reg, 4)) for reg in range(0, size, 4)]
    # 3. per byte, structures only
    for lo, hi in structures(img):
        for off in range(lo, hi):
            if known(dev, off) or off in (0x06, 0x07):  # Status: RW1C, step 2
                continue
            for val in (0xff, 0x00, img[off]):
                out.append(("byte %#x := %#x" % (off, val), wr(off, 1, val)))
                out.append(("byte %#x after %#x" % (off, val), rd(off, 1)))
    return out


def main():
    opt, top = std_options(__doc__, "clone-vs-qemu")
    t0 = time.monotonic()
    total = bad = ran = 0
    skipped = []
    for dev, qargs in DEVICES:
        dump = os.path.join(top, "tests", "conformance", "traces", "dumps", dev + ".lspci")
        spec = "sim-pci,bus=pci.0,addr=%d,id=x,config=%s%s" % (SLOT, dump, EXTRA.get(dev, ""))
        tool = os.path.join(top, "tools", "qemu-lspci.py")
        p = subprocess.run([sys.executable, "-B", tool, "--qemu", opt.qemu] + DUMPED[dev],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        with open(dump) as f:
            if p.returncode != 0 or p.stdout != f.read():
                print("MISMATCH [%s] tools/qemu-lspci.sh no longer makes %s (exit %d%s)"
                      % (dev, os.path.relpath(dump, top), p.returncode,
                         ": " + p.stderr.strip() if p.stderr.strip() else ""))
                bad += 1
        try:
            qemu = Qemu(opt.qemu, qargs)
        except Unavailable as e:
            skipped.append("%s (%s)" % (dev, e))
            continue
        try:
            ext = qemu.rtas(rd(0x100, 4))[0] == 0
            first = [rd(reg, 4) for reg in range(0, 0x1000 if ext else 0x100, 4)]
            qimg = dump_bytes(qemu.run(first), "QEMU " + dev)
            simg = dump_bytes(sphb_run(opt.sphb, spec, first), "sphb " + dev)
            checks = [("dump %#x" % (4 * i), c) for i, c in enumerate(first)]
            checks += calls_for(dev, qimg)
            calls = [c for _, c in checks]
            qres = qemu.run(calls[len(first):])
            sres = sphb_run(opt.sphb, spec, calls)
        except Failure as e:
            print("ERROR [%s] %s" % (dev, e))
            return 1
        finally:
            qemu.close()
        qres = [[0, int.from_bytes(qimg[4 * i:4 * i + 4], "little")] for i in range(len(first))] + qres
        nbad = 0
        for (what, call), q, s in zip(checks, qres, sres):
            if q == s:
                if opt.verbose:
                    print("ok   [%s] %s: %s" % (dev, what, fmt(q)))
                continue
            nbad += 1
            if nbad <= 20:
                print("MISMATCH [%s] %s: %s: QEMU %s, sphb %s" % (dev, what, call.describe(),
                                                                 fmt(q), fmt(s)))
        nknown = sum(hi - lo + 1 for d, lo, hi, _ in KNOWN if d == dev)
        print("%s: %d calls compared (%d-byte config space), %d mismatches; %d bytes not probed "
              "as intended differences" % (dev, len(checks), len(qimg), nbad, nknown))
        total += len(checks)
        bad += nbad
        ran += 1
    for s in skipped:
        print("skipped %s" % s)
    if not ran:
        print("clone-vs-qemu: skipped: QEMU could not run any device: %s" % "; ".join(skipped))
        return 77
    print("clone-vs-qemu: %d calls on %d devices, %d mismatches, %.1f s"
          % (total, ran, bad, time.monotonic() - t0))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
