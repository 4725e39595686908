#!/usr/bin/env python3
"""Write meaningful seed inputs for the fuzz targets into tests/fuzz/corpus/.

    tests/fuzz/gen_seeds.py [TARGET...]     (default: model hcall device script)

Each seed is named seed-<what>; the encodings follow the decoders in
tests/fuzz/fuzz_<target>.c. Inputs the fuzzer found are kept next to them
(minimised with -merge=1). SPDX-License-Identifier: MIT
"""
import os
import struct
import sys

TOP = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack(">B", v & 0xff)
def u16(v): return struct.pack(">H", v & 0xffff)
def u32(v): return struct.pack(">I", v & 0xffffffff)
def u64(v): return struct.pack(">Q", v & 0xffffffffffffffff)


def write(target, name, data):
    d = os.path.join(TOP, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- fuzz_model: op bytes index ops[] in fuzz_model.c ----
PUT, GET, STUFF, INDIRECT, CREATE, REMOVE, RESETW, DMA = 0, 2, 3, 4, 5, 7, 8, 9
FREEZE, BUSY, CLOCK, SEO, SSR, CONFIGURE, SED = 11, 12, 13, 14, 16, 18, 19
EISESS, EI, MSI, GCAI, MRESET, HOTPLUG = 20, 21, 22, 24, 25, 26
P1, P2, P3, P4, S1, S3 = 0, 1, 2, 3, 4, 5  # pick_pe_dev


def lb(phb, w):
    # smallest byte with b % 3 == phb and (b >> 2) & 1 == w
    for b in range(256):
        if b % 3 == phb and (b >> 2) & 1 == w and b & 0xf0 < 0xe0:
            return u8(b)
    raise ValueError


def ioba(mode, idx, off=0):  # pick_ioba: mode, U32 index, [U32 offset]
    return u8(mode) + u32(idx) + (u32(off) if mode & 0x80 else b"")


def tce(page, perm):  # pick_tce: small form
    return u8(perm) + u16(page)


def m_put(phb, w, idx, page, perm, mode=0):
    return u8(PUT) + lb(phb, w) + ioba(mode, idx) + tce(page, perm)


def m_get(phb, w, idx):
    return u8(GET) + lb(phb, w) + ioba(0, idx)


def m_stuff(phb, w, idx, page, perm, nsel, n=None):
    s = u8(STUFF) + lb(phb, w) + ioba(0, idx) + tce(page, perm) + u8(nsel)
    if nsel & 7 == 5:
        s += u64(n)
    elif nsel & 7 >= 6:
        s += u16(n - 1)
    return s


def m_indirect(phb, w, idx, npages, entries, flags=0):
    # b: low 3 bits select npages (4..7: 1 + U8 % 16), then list page
    s = u8(INDIRECT) + lb(phb, w) + ioba(0, idx) + u8(4 | flags) + u8(npages - 1) + u8(3)
    for k in range(min(npages, 4)):
        s += tce(*entries[k % len(entries)])
    return s


def m_create(phb, shift_sel, k):  # shifts[] = 12 16 21 24 13 34 0 11 64 200
    return u8(CREATE) + u8(phb) + u8(shift_sel) + u8(k) + u8(0)


def m_target_pe(dev):  # pick_target: b & 7 in 0..4, then pick_pe_dev
    return u8(0) + u8(dev)


def m_seo(dev, fn):
    return u8(SEO) + m_target_pe(dev) + u8(fn)


def m_ssr(dev, fn):
    return u8(SSR) + m_target_pe(dev) + u8(fn)


def m_state_cycle(dev):
    """freeze, then Linux's recovery: thaw MMIO, configure, reset, thaw DMA"""
    return (u8(FREEZE) + u8(dev) + m_seo(dev, 2) + u8(CONFIGURE) + m_target_pe(dev)
            + m_ssr(dev, 1) + m_ssr(dev, 0) + u8(CONFIGURE) + m_target_pe(dev))


def m_msi(dev, fn, req, nret4=True):
    b = 0 if nret4 else 1
    if req == 0:
        return u8(MSI) + u8(b) + u8(dev) + u8(fn) + u8(1)
    if req <= 40:
        return u8(MSI) + u8(b | 4) + u8(dev) + u8(fn) + u8(1) + u8(req - 1)
    return u8(MSI) + u8(b | 2) + u8(dev) + u8(fn) + u8(1) + u16(req)


def model():
    t = "model"
    write(t, "put-get", m_put(0, 0, 5, 0x12, 3) + m_get(0, 0, 5) + m_put(1, 0, 255, 7, 1, mode=1)
          + u8(DMA) + u8(0) + lb(0, 0) + ioba(0x80, 5, 0x123))
    write(t, "put-edges", m_put(1, 0, 0, 1, 2, mode=2) + m_put(2, 0, 3, 1, 2, mode=0x60)
          + m_put(0, 0, 7, 9, 3, mode=0x80 | 0) + m_get(2, 0, 15))
    write(t, "stuff", m_stuff(1, 0, 10, 3, 3, 6, 100) + m_stuff(1, 0, 250, 3, 3, 4)
          + m_stuff(0, 0, 0, 1, 1, 0) + m_stuff(1, 0, 0, 4, 3, 1))
    write(t, "indirect", m_indirect(0, 0, 16, 8, [(1, 3), (2, 1), (3, 2), (4, 3)])
          + m_indirect(1, 0, 250, 12, [(5, 3)]) + m_indirect(0, 0, 0, 3, [(6, 3)], flags=0x08))
    write(t, "ddw", m_create(1, 1, 10) + m_put(1, 1, 3, 0x30, 3) + m_get(1, 1, 3)
          + u8(DMA) + u8(0) + lb(1, 1) + ioba(0, 3)
          + m_create(1, 0, 4) + u8(REMOVE) + lb(1, 1) + u8(REMOVE) + lb(1, 0)
          + m_create(1, 3, 8))
    write(t, "ddw-remove-default", u8(REMOVE) + lb(0, 0) + m_create(0, 2, 5) + u8(REMOVE) + lb(0, 0)
          + m_get(0, 0, 1) + m_create(1, 0, 18) + u8(RESETW) + u8(1) + u8(0))
    write(t, "ddw-bad", m_create(1, 4, 3) + m_create(1, 5, 2) + m_create(1, 6, 1) + m_create(1, 7, 0)
          + m_create(1, 8, 2) + m_create(2, 0, 3) + u8(CREATE) + u8(1) + u8(0x80) + u8(12) + u8(50) + u8(0))
    write(t, "eeh-recover", m_state_cycle(P1) + m_seo(P1, 3) + m_state_cycle(P2))
    write(t, "eeh-table", u8(FREEZE) + u8(P4) + m_seo(P4, 3) + m_ssr(P4, 0) + m_seo(P4, 2)
          + m_seo(P4, 2) + m_ssr(P4, 0) + m_seo(P4, 3) + m_seo(P4, 3) + m_ssr(P4, 3) + m_seo(P4, 2)
          + m_ssr(P4, 0) + m_seo(P4, 1) + m_seo(P4, 0) + m_seo(P4, 4))
    write(t, "eeh-busy", u8(BUSY) + u8(P3) + u16(3000) + m_ssr(P3, 1) + m_seo(P3, 2) + u8(CLOCK) + u16(1500)
          + u8(FREEZE) + u8(P3) + u8(CLOCK) + u16(2000) + m_seo(P3, 2))
    write(t, "eeh-permanent", u8(FREEZE) + u8(P1) + u8(SED) + u8(1) + m_target_pe(P1) + u8(10)
          + u8(SED) + u8(2) + m_target_pe(P1) + u8(10) + m_ssr(P1, 1) + u8(MRESET))
    write(t, "errinjct", u8(EISESS) + u8(1) + u8(EI) + u8(0) + u8(3) + m_target_pe(P2) + u32(0x1000) + u32(0xffffff)
          + u8(EI) + u8(1) + u8(21) + m_target_pe(P1) + u32(0) + u32(0x2000) + u32(0) + u32(0xffff)
          + u8(EISESS) + u8(1) + u8(EISESS) + u8(4) + u8(EISESS) + u8(1))
    write(t, "errinjct-bad", u8(EI) + u8(0) + u8(3) + m_target_pe(P2) + u32(0) + u32(0)
          + u8(EISESS) + u8(1) + u8(EI) + u8(6) + u8(2) + u8(5) + m_target_pe(P1) + u32(0) + u32(0)
          + u8(EI) + u8(0x10) + u8(20) + u8(3) + m_target_pe(P1) + u32(0) + u32(0)
          + u8(EI) + u8(0) + u8(22) + m_target_pe(P1) + u32(0) + u32(0)
          + u8(EI) + u8(0) + u8(20) + u8(5) + u32(0) + u32(0) + u8(EISESS) + u8(0) + u32(77))
    write(t, "msi", m_msi(0, 1, 8) + m_msi(0, 3, 3) + m_msi(5, 1, 1) + m_msi(1, 4, 33) + m_msi(2, 4, 16)
          + m_msi(2, 1, 5) + m_msi(8, 6, 2) + m_msi(0, 0, 0) + m_msi(0, 3, 0) + m_msi(0, 2, 0)
          + m_msi(3, 1, 1) + m_msi(10, 1, 16))
    write(t, "msi-exhaust", m_msi(1, 4, 2000) + m_msi(4, 4, 1500) + m_msi(4, 4, 1300) + m_msi(0, 1, 32)
          + m_msi(1, 4, 0) + m_msi(4, 4, 2048) + u8(MRESET))
    write(t, "config-addr", u8(GCAI) + u8(0) + u8(0) + u8(P2) + u8(GCAI) + u8(1) + u8(0) + u8(P3)
          + u8(GCAI) + u8(1) + u8(5) + u8(GCAI) + u8(0) + u8(5) + u8(GCAI) + u8(1) + u8(6))
    write(t, "hotplug", u8(FREEZE) + u8(P4) + u8(HOTPLUG) + u8(3) + m_seo(P4, 2) + u8(HOTPLUG) + u8(3)
          + m_msi(2, 1, 4) + u8(HOTPLUG) + u8(0) + m_msi(2, 0, 0) + u8(HOTPLUG) + u8(0) + m_msi(2, 4, 16)
          + u8(FREEZE) + u8(P2) + u8(HOTPLUG) + u8(2) + u8(GCAI) + u8(1) + u8(0) + u8(P2)
          + u8(HOTPLUG) + u8(1) + u8(GCAI) + u8(0) + u8(0) + u8(P3) + u8(HOTPLUG) + u8(2)
          + m_ssr(P1, 1) + u8(HOTPLUG) + u8(4) + u8(BUSY) + u8(P2) + u16(2000) + u8(HOTPLUG) + u8(1))
    write(t, "shared", u8(FREEZE) + u8(S1) + m_seo(S1, 2) + m_seo(S1, 3) + u8(FREEZE) + u8(S1) + m_seo(S1, 3)
          + m_ssr(S1, 1) + m_seo(S1, 2) + m_ssr(S1, 0) + m_ssr(S1, 0) + u8(BUSY) + u8(S1) + u16(1500)
          + u8(FREEZE) + u8(S1) + m_seo(S1, 1) + u8(CLOCK) + u16(2000) + m_seo(S1, 1)
          + u8(GCAI) + u8(0) + u8(0) + u8(S1) + u8(GCAI) + u8(1) + u8(6) + u8(CONFIGURE) + m_target_pe(S1)
          + u8(EISESS) + u8(1) + u8(EI) + u8(0) + u8(5) + m_target_pe(S1) + u32(0) + u32(0))
    write(t, "shared-hotplug", u8(SED) + u8(2) + m_target_pe(S1) + u8(8) + u8(HOTPLUG) + u8(6) + m_seo(S1, 2)
          + u8(FREEZE) + u8(S3) + u8(HOTPLUG) + u8(6) + u8(FREEZE) + u8(S1) + u8(HOTPLUG) + u8(5)
          + u8(SED) + u8(2) + m_target_pe(S1) + u8(8) + u8(MRESET) + u8(HOTPLUG) + u8(6) + m_ssr(S3, 1)
          + u8(HOTPLUG) + u8(6) + u8(HOTPLUG) + u8(6))
    write(t, "mixed", m_put(1, 0, 9, 0x44, 3) + u8(FREEZE) + u8(P1) + u8(DMA) + u8(5) + lb(1, 0) + ioba(0, 9)
          + m_seo(P1, 2) + m_seo(P1, 3) + u8(DMA) + u8(5) + lb(1, 0) + ioba(0, 9) + m_msi(5, 1, 4)
          + m_ssr(P1, 1) + m_msi(5, 0, 0) + m_ssr(P1, 0) + u8(MRESET) + m_get(1, 0, 9))


# ---- fuzz_hcall ----
def h_val_liobn(phb, w): return u8((phb % 4) << 3 | w << 5)


def hcall():
    t = "hcall"
    put = lambda phb, w, idx_sel, tce_: (u8(0) + u8(1) + u8(3) + h_val_liobn(phb, w) + u8(3 | idx_sel << 3)
                                        + u32(5) + u8(5 | 3 << 3) + u16(tce_))
    write(t, "put", put(0, 0, 0, 0x10) + put(1, 0, 0, 0x11) + put(2, 0, 2, 0x12)
          + u8(6) + u8(3) + u32(5))
    write(t, "get", u8(0) + u8(0) + u8(2) + h_val_liobn(1, 0) + u8(2) + u8(9))
    write(t, "stuff", u8(0) + u8(2) + u8(4) + h_val_liobn(0, 0) + u8(3) + u32(0) + u8(5 | 3 << 3) + u16(0x21)
          + u8(2) + u8(200))
    write(t, "indirect", u8(5) + u24(0x10000) + u8(32) + b"\x00\x00\x00\x00\x00\x01\x00\x03" * 32
          + u8(0) + u8(3) + u8(4) + h_val_liobn(0, 0) + u8(3) + u32(0) + u8(4) + u16(0x10) + u8(2) + u8(4)
          + u8(6) + u8(3) + u32(0))
    write(t, "ddw", u8(3) + u8(0) + u8(16) + u8(28) + u8(1) + u16(0) + u8(0)
          + u8(0) + u8(1) + u8(3) + h_val_liobn(1, 1) + u8(3 | 1 << 3) + u32(1) + u8(5 | 3 << 3) + u16(0x30)
          + u8(3) + u8(3) + u8(1) + u16(0) + u8(0) + u8(3) + u8(1) + h_val_liobn(1, 1) + u8(0)
          + u8(3) + u8(2) + u8(1) + u16(0) + u8(0) + u8(3) + u8(0) + u8(34) + u8(40) + u8(1) + u16(0) + u8(0))
    write(t, "eeh", u8(4) + u8(1 << 3) + u8(6) + u8(3) + u32(0) + u8(4) + u8(3 | 1 << 3) + u8(2)
          + u8(4) + u8(4 | 2 << 3) + u8(1) + u8(4) + u8(7 | 2 << 3) + u8(4) + u8(7 | 2 << 3)
          + u8(4) + u8(6) + u8(6) + u8(3) + u32(0))
    write(t, "other", u8(0xf0) + u8(0xf8) + u64(0x1d) + u8(0) + u8(0xf0) + u8(2) + u64(0x3c) + u8(2) + u8(1))


def u24(v): return struct.pack(">I", v)[1:]


# ---- fuzz_device: one -device SPEC per line ----
def device():
    t = "device"
    write(t, "phb", "spapr-pci-host-bridge,index=1,id=p1\nsim-pci,bus=p1.0,addr=2.0,vendor=0x8086,device=0x100e,bar0=mem32:0x20000\n")
    write(t, "sim-full", "sim-pci,addr=3,id=x,pcie=on,msi=8,msix=64,bar0=mem64:64K,bar2=io:256,bar3=mem32pref:4K,rom=64K,class=0x020000,rev=2,subsys-vendor=0x1014,subsys=0x1234\n")
    write(t, "multifunction", "sim-pci,addr=4.0,id=f0,multifunction=on,iommu-group=3\nsim-pci,addr=4.1,id=f1,iommu-group=3\nsim-pci,addr=4.7,id=f7\n")
    write(t, "phb-props", "spapr-pci-host-bridge,index=30,id=big,mem_win_size=1G,mem64_win_size=0,io_win_size=0x8000,dma_win_addr=0x1000,dma_win_size=16M,dma64_win_addr=0x100000000,pgsz=0x1011000,ddw=off,pcie-extended-configuration-space=off,error-log=on,numa_node=1,pe-mode=per-group\nsim-pci,bus=big.0,iommu-group=9,pcie=on\n")
    write(t, "legacy", "spapr-pci-vfio-host-bridge,index=2,iommu=3\nvfio-pci,host=0000:01:00.0,bus=pci.2\nsim-pci,bus=pci.2,addr=0x1f.7,msix=2048,msix-bar=2,bar2=mem64pref:1M\n")
    write(t, "errors", "sim-pci,addr=40\nsim-pci,addr=1.8\nsim-pci,msi=3\nsim-pci,bar5=mem64:4K\nsim-pci,bar0=io:512\nspapr-pci-host-bridge\nfoo,bar\nsim-pci,id=1x\nsim-pci,id=a,id=b\n,\n\n")
    write(t, "dups", "sim-pci,addr=1,id=d\nsim-pci,addr=1,id=e\nsim-pci,addr=2,id=d\nspapr-pci-host-bridge,index=0\nspapr-pci-host-bridge,index=3,id=d\n")
    write(t, "del", "sim-pci,addr=5,id=gone,iommu-group=4\n-gone\nsim-pci,addr=5,id=back\n-nothere\n")


# ---- fuzz_script: scripts as docs/cli.md describes them ----
def script():
    t = "script"
    write(t, "rtas", "# config reads\nrtas ibm,read-pci-config 0x1000 0x8000000 0x20000000 4\n"
          "rtas ibm,write-pci-config 0x1004 0x8000000 0x20000000 2 0x6\nrtas read-pci-config 0x1000 4\n"
          "rtas 0x2016 nargs=4 nret=2 0 0 0 4\nrtas ibm,query-pe-dma-window 0 0x8000000 0x20000000 nret=6\n")
    write(t, "mem", "mem write 0x1000 1 2 3 0xffffffff -1\nmem write64 0x2000 0x123456789abcdef0\nmem read 0x1000 6\nmem read 0x3ffffffc 1\n")
    write(t, "hcall-dma", "hcall H_PUT_TCE 0x80000000 0x1000 0x5003\nhcall H_GET_TCE 0x80000000 0x1000\n"
          "dma read a 0x1000 16\ndma write a 0x1004 0xdeadbeef\nmem read 0x5004 1\n"
          "hcall H_STUFF_TCE 0x80000000 0 3 16\nhcall 0x13c 0x80000000 0x10000 0x2000 2\nhcall 0x1d 1 2\n")
    write(t, "eeh", "host freeze c\nhost state c\nrtas ibm,read-slot-reset-state2 0x1000 0x8000000 0x20000001\n"
          "rtas ibm,set-eeh-option 0x1000 0x8000000 0x20000001 2\nhost busy c 3000\nhost fail c 5 2\n"
          "rtas ibm,set-slot-reset 0x1000 0x8000000 0x20000001 1\nguest recover c\nguest recover d quiet\n")
    write(t, "mmio", "rtas ibm,write-pci-config 0x1004 0x8000000 0x20000000 2 6\nmmio write a 0 0x10 4 0x1234\n"
          "mmio read a 0 0x10 4\nmmio read a 6 0 8\nmmio write a 0 0x11 2 5\n")
    write(t, "echo", "echo hello world\n  echo\ttabs\r\n# comment\n\n   \n")
    # a script stops at its first error: one error per seed
    errors = ["rtas", "rtas nosuch", "rtas ibm,read-pci-config nargs=300", "rtas 0x2016 x", "mem",
              "mem read 0x40000000 1", "mem write 0 0x100000000", "mem frob 0", "host", "host busy c",
              "host fail c 0", "host freeze a", "guest recover", "guest recover a", "guest recover zz",
              "hcall", "hcall H_NOPE", "hcall 0x20 -", "dma read zz 0 4", "dma read a 0 5", "dma write a 0 x",
              "mmio read a 7 0 4", "mmio read a 0 0 3", "mmio write zz 0 0 4 1", "bogus",
              "rtas " + " ".join(["1"] * 90)]
    for i, e in enumerate(errors):
        write(t, "error-%02d" % i, e + "\n")
    write(t, "msi-errinjct", "rtas ibm,change-msi 0x1000 0x8000000 0x20000000 1 4 1\n"
          "rtas ibm,query-interrupt-source-number 0x1000 0x8000000 0x20000000 0\n"
          "rtas ibm,open-errinjct\nmem write 0x400 0 0 0x1000 0x8000000 0x20000001 3\nrtas ibm,errinjct 7 1 0x400\n"
          "rtas ibm,close-errinjct 1\n")


def main():
    targets = sys.argv[1:] or ["model", "hcall", "device", "script"]
    for t in targets:
        globals()[t]()


if __name__ == "__main__":
    main()
