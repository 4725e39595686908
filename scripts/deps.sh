#!/bin/sh
# Make sure the Debian packages named on the command line are installed.
# As root: install the missing ones with apt-get. Otherwise: print the exact
# command and carry on (tests that need a missing tool skip themselves).
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "sphb: missing packages:$missing (not a Debian system: install them by hand)" >&2
	exit 0
fi
if [ "$(id -u)" = 0 ]; then
	echo "sphb: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "sphb: apt-get install$missing failed" >&2; exit 1; }
else
	echo "sphb: missing packages; run: sudo apt-get install -y$missing" >&2
fi
exit 0
