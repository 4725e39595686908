#!/bin/sh
# The replay conformance test on the trace excerpts checked in under
# tests/conformance/traces (so a clean clone without the shared traces still
# replays real guest traffic): see replay-traces.sh.
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
exec sh "$here/replay-traces.sh" --excerpts
