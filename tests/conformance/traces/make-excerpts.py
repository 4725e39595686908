#!/usr/bin/env python3
"""Cut the checked-in trace excerpts from the full captures.

    tests/conformance/traces/make-excerpts.py [TRACES_DIR]

TRACES_DIR defaults to $SPHB_TRACES (the directory holding
runA/runB-console.log.xz and -qemu-trace.log.xz). For each run X (A, B) it writes excerptX-console.log.xz and
excerptX-qemu-trace.log.xz here: the guest console up to the trace mark
"GT-MARK dma nvme0n1: O_DIRECT 4k x 2048" (boot, module load, MSI-X setup,
the config-space dump burst and a buffered read of the nvme disk), with
only the first 20 rtas_ll_entry/rtas_ll_exit lines kept (they are ignored
by the replay and are most of the bytes), and QEMU's trace up to the TCE
hcall event that pairs with the guest's last TCE hcall before the cut.
"""
import lzma
import os
import re
import sys

TCE = (0x1C, 0x20, 0x138, 0x13C)
Q_TCE = re.compile(rb':spapr_iommu_pci_(put|stuff|indirect|get) ')
MARK = b'GT-MARK dma nvme0n1: O_DIRECT 4k x 2048'


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('SPHB_TRACES')
    if not src:
        sys.exit("make-excerpts: give TRACES_DIR or set SPHB_TRACES")
    for run in 'AB':
        con = lzma.open(os.path.join(src, f'run{run}-console.log.xz')).read().split(b'\n')
        q = lzma.open(os.path.join(src, f'run{run}-qemu-trace.log.xz')).read().split(b'\n')
        cut = next(i for i, line in enumerate(con) if MARK in line)
        ntce = 0
        for line in con[:cut]:
            m = re.search(rb'hcall_exit: opcode=(\d+)', line)
            if m and int(m.group(1)) in TCE:
                ntce += 1
        k = 0
        qcut = len(q)
        for i, line in enumerate(q):
            if Q_TCE.search(line):
                k += 1
                if k == ntce + 1:
                    qcut = i
                    break
        out, ll = [], 0
        for line in con[:cut + 1]:
            if re.search(rb'rtas_ll_(entry|exit):', line):
                ll += 1
                if ll > 20:
                    continue
            out.append(line)
        with lzma.open(os.path.join(here, f'excerpt{run}-console.log.xz'), 'wb', preset=9) as f:
            f.write(b'\n'.join(out) + b'\n')
        with lzma.open(os.path.join(here, f'excerpt{run}-qemu-trace.log.xz'), 'wb', preset=9) as f:
            f.write(b'\n'.join(q[:qcut]) + b'\n')
        print(f'run {run}: console lines 1-{cut + 1} ({len(out)} kept), '
              f'{ntce} TCE hcalls, QEMU lines 1-{qcut}')


if __name__ == '__main__':
    main()
