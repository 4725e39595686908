#!/usr/bin/env python3
"""Dump the configuration space of a QEMU pseries device in `lspci -vv -xxxx` form.

A pseries machine has no memory-mapped configuration space (no ECAM), so qtest
`readl` cannot reach it; the dump is taken the way a pseries guest reads it:
ibm,read-pci-config RTAS calls issued through qtest's `rtas` command (QEMU 7.2).
The machine never runs firmware, so the dump is the power-on state: BARs hold
only their type bits, Command is 0.

Output, as `lspci -vv -xxxx -s 00:SS.F` prints it (sphb's `sim-pci,config=`
reads it back):
  00:02.0 0108: 1b36:0010 (rev 02) (prog-if 02)
          Region 0: Memory at <unassigned> (64-bit, non-prefetchable) [disabled] [size=16K]
  00: 36 1b 10 00 00 00 10 00 02 02 08 01 00 00 00 00
  ...
The Region / Expansion ROM sizes come from sizing each BAR after the dump
(all-ones written, the size mask read back, the value restored), exactly as
firmware does. With -xx / -xxx only the first 64 / 256 bytes are printed; the
extended space (0x100..0xfff) is printed when the device has it (its config
space is 4 KiB: ibm,read-pci-config of register 0x100 succeeds).

Usage: qemu-lspci.sh [--qemu PATH] [-s SLOT[.FN]] [-xx|-xxx|-xxxx] QEMU-ARGS...
QEMU-ARGS are -device/-drive/-blockdev arguments; the device must sit on the
default PHB's bus pci.0. -s (hex, like addr=) picks the function to dump;
default: the addr= of the first -device.
Exit status: 0 dumped, 1 error, 2 usage, 77 QEMU missing.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "conformance"))
from qtest_rtas import Qemu, Failure, Unavailable, rd, wr, fmt  # noqa: E402


def usage(msg):
    sys.stderr.write("qemu-lspci: %s\n" % msg)
    sys.stderr.write("usage: qemu-lspci.sh [--qemu PATH] [-s SLOT[.FN]] [-xx|-xxx|-xxxx] "
                     "QEMU-ARGS...\n")
    sys.exit(2)


def parse_addr(s):
    slot, _, fn = s.partition(".")
    try:
        slot, fn = int(slot, 16), int(fn or "0", 16)
    except ValueError:
        usage("bad address '%s' (expected SLOT[.FN] in hex)" % s)
    if slot > 31 or fn > 7:
        usage("address '%s' out of range" % s)
    return slot, fn


def first_device_addr(args):
    for i, a in enumerate(args[:-1]):
        if a == "-device":
            for kv in args[i + 1].split(",")[1:]:
                if kv.startswith("addr="):
                    return kv[5:]
    return None


def size_str(x):
    """lspci's show_size(): K/M/G/T while divisible by 1024."""
    suffix = ["", "K", "M", "G", "T"]
    i = 0
    while i < len(suffix) - 1 and x % 1024 == 0:
        x //= 1024
        i += 1
    return "%d%s" % (x, suffix[i])


class Dev:
    def __init__(self, qemu, slot, fn):
        self.q, self.slot, self.fn = qemu, slot, fn

    def _ok(self, call):
        r = self.q.rtas(call)
        if r[0] != 0:
            raise Failure("%s answered %s" % (call.describe(), fmt(r)))
        return r[1] if len(r) > 1 else None

    def read(self, reg, size=4):
        return self._ok(rd(reg, size, slot=self.slot, fn=self.fn))

    def write(self, reg, val, size=4):
        self._ok(wr(reg, size, val, slot=self.slot, fn=self.fn))

    def has_ext(self):
        return self.q.rtas(rd(0x100, 4, slot=self.slot, fn=self.fn))[0] == 0

    def size_mask(self, reg, ones=0xffffffff):
        """Write all-ones, read the mask back, restore (firmware's BAR sizing)."""
        old = self.read(reg)
        self.write(reg, ones)
        mask = self.read(reg)
        self.write(reg, old)
        return mask


def describe(dev, img):
    """lspci -vv's Region and Expansion ROM lines for a type-0 header."""
    out = []
    i = 0
    while i < 6:
        reg = 0x10 + 4 * i
        val = int.from_bytes(img[reg:reg + 4], "little")
        mask = dev.size_mask(reg)
        if val & 1:  # I/O
            size = (~(mask & 0xfffffffc) + 1) & 0xffff if mask & 0xfffffffc else 0
            if size:
                a = val & 0xfffffffc
                out.append("\tRegion %d: I/O ports at %s [disabled] [size=%s]"
                           % (i, "%04x" % a if a else "<unassigned>", size_str(size)))
            i += 1
            continue
        is64 = (val & 6) == 4
        lo = mask & 0xfffffff0
        if is64 and i < 5:
            hi = dev.size_mask(reg + 4)
            m64 = hi << 32 | lo
            size = ((~m64 & 0xffffffffffffffff) + 1) & 0xffffffffffffffff if m64 else 0
            a = int.from_bytes(img[reg:reg + 8], "little") & ~0xf
        else:
            size = ((~lo & 0xffffffff) + 1) & 0xffffffff if lo else 0
            a = val & ~0xf
        if size:
            out.append("\tRegion %d: Memory at %s (%s, %sprefetchable) [disabled] [size=%s]"
                       % (i, "%x" % a if a else "<unassigned>", "64-bit" if is64 else "32-bit",
                          "" if val & 8 else "non-", size_str(size)))
        i += 2 if is64 else 1
    val = int.from_bytes(img[0x30:0x34], "little")
    mask = dev.size_mask(0x30, 0xfffff800) & 0xfffff800
    if mask:
        a = val & 0xfffff800
        out.append("\tExpansion ROM at %s [disabled] [size=%s]"
                   % ("%08x" % a if a else "<unassigned>", size_str((~mask & 0xffffffff) + 1)))
    return out


def main(argv):
    qemu = os.environ.get("QEMU_PPC64", "qemu-system-ppc64")
    addr = None
    count = 4096
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--qemu" and i + 1 < len(argv):
            qemu = argv[i + 1]
            i += 2
            continue
        if a == "-s" and i + 1 < len(argv):
            addr = argv[i + 1]
            i += 2
            continue
        if a in ("-xx", "-xxx", "-xxxx"):
            count = {"-xx": 64, "-xxx": 256, "-xxxx": 4096}[a]
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            args.append(a)
        i += 1
    if addr is None:
        addr = first_device_addr(args)
        if addr is None:
            usage("no -s SLOT[.FN] and no -device with addr=")
    slot, fn = parse_addr(addr)
    if not shutil.which(qemu) and not os.access(qemu, os.X_OK):
        sys.stderr.write("qemu-lspci: %s not found\n" % qemu)
        return 77
    try:
        q = Qemu(qemu, args)
    except Unavailable as e:
        sys.stderr.write("qemu-lspci: QEMU did not start: %s\n" % e)
        return 1
    try:
        dev = Dev(q, slot, fn)
        if count == 4096 and not dev.has_ext():
            count = 256  # lspci -xxxx prints what the function has
        img = bytearray()
        for reg in range(0, count, 4):
            img += dev.read(reg).to_bytes(4, "little")
        if img[0] == 0xff and img[1] == 0xff:
            raise Failure("no function at 00:%02x.%x" % (slot, fn))
        if img[0x0e] & 0x7f != 0:
            raise Failure("header type %#x: only type-0 functions are described" % img[0x0e])
        lines = describe(dev, img)
    except Failure as e:
        sys.stderr.write("qemu-lspci: %s\n" % e)
        return 1
    finally:
        q.close()
    rev, progif = img[8], img[9]
    head = "00:%02x.%x %02x%02x: %02x%02x:%02x%02x" % (slot, fn, img[0xb], img[0xa], img[1], img[0],
                                                      img[3], img[2])
    if rev:
        head += " (rev %02x)" % rev
    if progif:
        head += " (prog-if %02x)" % progif
    out = [head] + lines
    for off in range(0, count, 16):
        out.append("%02x: %s" % (off, " ".join("%02x" % b for b in img[off:off + 16])))
    sys.stdout.write("\n".join(out) + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
