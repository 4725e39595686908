#!/usr/bin/env python3
"""Shared qtest plumbing for the conformance tests and tools that talk to
QEMU 7.2's pseries machine: RTAS calls through qtest's `rtas` command (a
pseries machine has no memory-mapped configuration space, so config cycles
go through ibm,read-pci-config / ibm,write-pci-config), the same calls
through `sphb run`, and helpers over a dumped configuration image.

Used by qemu_config.py, clone_vs_qemu.py and tools/qemu-lspci.py.
"""
import argparse
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time

BUID_HI, BUID_LO = 0x08000000, 0x20000000  # default PHB, BUID 0x800000020000000
SLOT = 2
RTAS_BUF = 0x1000000                       # argument buffer in QEMU guest RAM
POISON = 0xdeadbeef                        # prefilled rets: unchanged = not written
QEMU_TIMEOUT = 20.0                        # seconds for any single QEMU answer
TOKENS = {
    "read-pci-config": 0x2014,
    "write-pci-config": 0x2015,
    "ibm,read-pci-config": 0x2016,
    "ibm,write-pci-config": 0x2017,
}



class Unavailable(Exception):
    """QEMU cannot run this configuration at all (skip it)."""


class Failure(Exception):
    """Something went wrong while running a side (an error, not a mismatch)."""


def cfgaddr(reg, bus=0, slot=SLOT, fn=0):
    return ((reg & 0xf00) << 20) | (bus << 16) | (slot << 11) | (fn << 8) | (reg & 0xff)


class Call:
    """One RTAS call: name, args, nargs and nret (defaults: the standard counts)."""

    STD = {"read-pci-config": (2, 2), "write-pci-config": (3, 1),
           "ibm,read-pci-config": (4, 2), "ibm,write-pci-config": (5, 1)}

    def __init__(self, name, args, nargs=None, nret=None):
        self.name = name
        self.args = list(args)
        self.nargs = len(self.args) if nargs is None else nargs
        self.nret = self.STD[name][1] if nret is None else nret
        assert self.nargs == len(self.args)

    def describe(self):
        s = "%s(%s)" % (self.name, ", ".join("%#x" % a for a in self.args))
        std = self.STD[self.name]
        if (self.nargs, self.nret) != std:
            s += " nargs=%d nret=%d" % (self.nargs, self.nret)
        return s


def rd(reg, size, **kw):
    return Call("ibm,read-pci-config", [cfgaddr(reg, **kw), BUID_HI, BUID_LO, size])


def wr(reg, size, val, **kw):
    return Call("ibm,write-pci-config", [cfgaddr(reg, **kw), BUID_HI, BUID_LO, size, val])



# ---------------------------------------------------------------- QEMU side

class Qemu:
    """A pseries QEMU under qtest; `args` are extra arguments (-device, -drive ...)."""

    def __init__(self, qemu, args):
        self.errf = tempfile.TemporaryFile()
        argv = [qemu, "-M", "pseries", "-nodefaults", "-display", "none",
                "-qtest", "stdio"] + list(args)
        try:
            self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self.errf)
        except OSError as e:
            raise Unavailable("cannot start %s: %s" % (qemu, e))
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)
        self.buf = b""
        try:
            self.cmds(["readl %#x" % RTAS_BUF])
        except Failure as e:
            self.p.kill()
            self.p.wait()
            self.errf.seek(0)
            err = self.errf.read().decode(errors="replace").strip().splitlines()
            self.close()
            raise Unavailable("%s: %s" % (e, err[-1] if err else "no message"))
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.sel.close()
        for f in (self.p.stdin, self.p.stdout, self.errf):
            try:
                f.close()
            except OSError:
                pass

    def _status(self):
        try:
            return self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "unknown"

    def _line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("QEMU did not answer within %.0f s" % QEMU_TIMEOUT)
            if not self.sel.select(left):
                continue
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise Failure("QEMU exited (status %s)" % self._status())
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def cmds(self, lines):
        """Send qtest commands, return their answers (the text after OK)."""
        try:
            self.p.stdin.write(("\n".join(lines) + "\n").encode())
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            raise Failure("QEMU exited (status %s)" % self._status())
        out = []
        deadline = time.monotonic() + QEMU_TIMEOUT
        while len(out) < len(lines):
            line = self._line(deadline)
            if line.startswith("OK"):
                out.append(line[2:].strip())
            elif line.startswith("FAIL") or line.startswith("ERR"):
                raise Failure("qtest: '%s' answered '%s'" % (lines[len(out)], line))
            # anything else (log lines, IRQ notifications) is not an answer
        return out

    def rtas(self, call):
        args_at = RTAS_BUF + 12
        rets_at = args_at + 4 * call.nargs
        words = [TOKENS[call.name], call.nargs, call.nret] + call.args + [POISON] * call.nret
        lines = ["writel %#x %#x" % (RTAS_BUF + 4 * i, w) for i, w in enumerate(words)]
        lines.append("rtas %s %d %#x %d %#x" % (call.name, call.nargs, args_at, call.nret, rets_at))
        lines += ["readl %#x" % (rets_at + 4 * i) for i in range(call.nret)]
        ans = self.cmds(lines)
        rets = []
        for a in ans[len(ans) - call.nret:]:
            w = int(a, 16) & 0xffffffff
            rets.append(None if w == POISON else w)
        return rets

    def run(self, calls):
        return [self.rtas(c) for c in calls]


# ---------------------------------------------------------------- sphb side

def sphb_run(sphb, spec, calls):
    lines = []
    for c in calls:
        lines.append("rtas %s nargs=%d nret=%d %s" % (
            c.name, c.nargs, c.nret, " ".join("%#x" % a for a in c.args)))
    try:
        p = subprocess.run([sphb, "run", "-device", spec, "-"], input="\n".join(lines) + "\n",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Failure("sphb: %s" % e)
    if p.returncode != 0:
        raise Failure("sphb run exited %d: %s" % (p.returncode, p.stderr.strip()))
    out = p.stdout.splitlines()
    if len(out) != len(calls):
        raise Failure("sphb printed %d lines for %d calls" % (len(out), len(calls)))
    res = []
    for c, line in zip(calls, out):
        head, sep, tail = line.partition(" -> ")
        toks = tail.split()
        if not sep or head != "rtas " + c.name or len(toks) != c.nret:
            raise Failure("sphb: unexpected line '%s' for %s" % (line, c.describe()))
        rets = []
        for i, t in enumerate(toks):
            if t == "-":
                rets.append(None)
            else:
                rets.append(int(t, 0 if i else 10) & 0xffffffff)
        res.append(rets)
    return res



def fmt(rets):
    out = []
    for i, r in enumerate(rets):
        if r is None:
            out.append("-")
        elif i == 0:
            out.append(str(r - (1 << 32) if r & 0x80000000 else r))
        else:
            out.append("0x%08x" % r)
    return "[" + ", ".join(out) + "]"



def dump_bytes(rets, who):
    img = bytearray(4 * len(rets))
    for i, r in enumerate(rets):
        if r[0] != 0 or r[1] is None:
            raise Failure("%s: reading config dword %#x failed: %s" % (who, 4 * i, fmt(r)))
        img[4 * i:4 * i + 4] = r[1].to_bytes(4, "little")
    return img


def cap_chain(img):
    caps, seen = {}, set()
    ptr = img[0x34] & 0xfc if img[0x06] & 0x10 else 0
    while ptr >= 0x40 and ptr not in seen and len(seen) < 48:
        seen.add(ptr)
        caps.setdefault(img[ptr], ptr)
        ptr = img[ptr + 1] & 0xfc
    return caps


def ext_chain(img):
    """Extended capabilities (ID -> offset) found in the dumped 0x100..0x1ff."""
    caps, seen = {}, set()
    ptr = 0x100
    while 0x100 <= ptr <= len(img) - 4 and ptr not in seen:
        seen.add(ptr)
        hdr = int.from_bytes(img[ptr:ptr + 4], "little")
        if not hdr:
            break
        caps.setdefault(hdr & 0xffff, ptr)
        ptr = (hdr >> 20) & 0xffc
    return caps



def std_options(doc, name):
    """The options of every conformance script (--sphb, --qemu, -v): returns
    (options, repository root). Exits 1 without an sphb binary, 77 (skip)
    without QEMU."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    top = os.path.abspath(os.environ.get("SPHB_TOP") or
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--sphb", default=os.environ.get("SPHB") or os.path.join(top, "build", "sphb"))
    ap.add_argument("--qemu", default=os.environ.get("QEMU_PPC64", "qemu-system-ppc64"))
    ap.add_argument("-v", "--verbose", action="store_true")
    opt = ap.parse_args()
    if not os.access(opt.sphb, os.X_OK):
        print("%s: %s: sphb binary not found or not executable" % (name, opt.sphb))
        sys.exit(1)
    if not shutil.which(opt.qemu):
        print("%s: skipped: %s not found" % (name, opt.qemu))
        sys.exit(77)
    return opt, top
