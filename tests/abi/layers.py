#!/usr/bin/env python3
"""The library's file-level call graph, read from its objects with nm, must
be layered: src/util < src/pci < src/host < src/phb < src/papr < src/*.c <
src/guest. A file may call only files of its own layer or of lower ones, and
no set of files may call each other in a cycle. Also: only src/machine.c
tests SPHB_VFIO (the one place that knows which function kinds a build has).

usage: layers.py BUILD_DIR SRC_DIR [--dot]
Exit 0 when the rules hold, 1 with one line per violation, 77 when nm or the
objects are missing. SPDX-License-Identifier: MIT"""
import os
import re
import shutil
import subprocess
import sys

LAYERS = ["util", "pci", "host", "phb", "papr", "", "guest"]  # "" = src/*.c


def layer_of(rel):
    parts = rel.split("/")
    return LAYERS.index(parts[0]) if len(parts) > 1 else LAYERS.index("")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    build, src = sys.argv[1], sys.argv[2]
    if not shutil.which("nm"):
        print("nm not found")
        return 77
    objdir = os.path.join(build, "src")
    objs = {}
    for root, _, files in os.walk(objdir):
        for f in files:
            if f.endswith(".o"):
                path = os.path.join(root, f)
                objs[os.path.relpath(path, objdir)[:-2]] = path
    if not objs:
        print("no objects under %s (build the library first)" % objdir)
        return 77
    defined, undefined = {}, {}
    for name, path in objs.items():
        out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
        undefined[name] = set()
        for line in out.splitlines():
            f = line.split()
            if len(f) == 2 and f[0] == "U":
                undefined[name].add(f[1])
            elif len(f) == 3 and f[1] in "TDBRCGSV":
                defined.setdefault(f[2], name)
    edges = {n: set() for n in objs}
    for n, syms in undefined.items():
        for s in syms:
            d = defined.get(s)
            if d and d != n:
                edges[n].add((d, s))
    problems = []
    for n in sorted(edges):
        for d, s in sorted(edges[n]):
            if layer_of(d) > layer_of(n):
                problems.append("upward call: %s (layer %s) calls %s in %s (layer %s)" %
                                (n, LAYERS[layer_of(n)] or "src", s, d, LAYERS[layer_of(d)] or "src"))
    # cycles: Tarjan's strongly connected components
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w, _ in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    for comp in sccs:
        detail = "; ".join("%s -> %s (%s)" % (a, b, s) for a in comp for b, s in sorted(edges[a]) if b in comp)
        problems.append("call cycle among %d files: %s: %s" % (len(comp), " ".join(comp), detail))
    # SPHB_VFIO is tested in one place only
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith((".c", ".h")):
                path = os.path.join(root, f)
                rel = os.path.relpath(path, src)
                if rel != "machine.c" and re.search(r"\bSPHB_VFIO\b", open(path).read()):
                    problems.append("%s tests SPHB_VFIO (only machine.c may)" % rel)
    if "--dot" in sys.argv:
        print("digraph sphb {")
        for n in sorted(edges):
            for d in sorted({d for d, _ in edges[n]}):
                print('  "%s" -> "%s";' % (n, d))
        print("}")
    for p in problems:
        print(p)
    print("%d objects, %d calls between files, %d problems" %
          (len(objs), sum(len({d for d, _ in e}) for e in edges.values()), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
