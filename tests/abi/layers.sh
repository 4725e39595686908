#!/bin/sh
# The library's files call each other in layers, without cycles
# (tests/abi/layers.py; docs/architecture.md "Layers").
top=${SPHB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v python3 >/dev/null 2>&1 || { echo "python3 not found"; exit 77; }
exec python3 "$top/tests/abi/layers.py" "${SPHB_BUILD:-$top/build}" "$top/src"
