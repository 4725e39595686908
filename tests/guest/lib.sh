# Host-side helpers shared by the tests/guest scripts (sourced, POSIX sh).
# Sets GUEST_DIR (this directory) and GUEST_CACHE (the download/build cache,
# outside the checkout). Messages go to stderr so that stdout stays usable
# for machine-readable output.

# shellcheck disable=SC2034 # used by the scripts that source this
GUEST_CACHE=${SPHB_CACHE:-/var/cache/sphb}/guest
GUEST_PROG=${0##*/}
# depmod and friends live in sbin, which a non-login PATH may lack
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

say() { printf '%s: %s\n' "$GUEST_PROG" "$*" >&2; }
die() { say "$*"; exit 1; }
# Exit 77 ("skipped" for the test harness) with a one-line reason on stdout.
skip() { printf '%s: skipped: %s\n' "$GUEST_PROG" "$*"; exit 77; }

# Milliseconds since the epoch (GNU date).
now_ms() { date +%s%3N; }
# ms_to_s MS -> "S.mmm"
ms_to_s() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }

# need_host_pkgs CMD:PKG ...: make sure host tools exist; as root install the
# missing Debian packages (host architecture only), otherwise skip.
need_host_pkgs() {
	_missing=
	for _cp in "$@"; do
		command -v "${_cp%%:*}" >/dev/null 2>&1 || _missing="$_missing ${_cp#*:}"
	done
	[ -z "$_missing" ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		skip "missing host tools (install:$_missing)"
	fi
	say "installing host packages:$_missing"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $_missing >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $_missing >/dev/null 2>&1; } ||
		skip "cannot install host packages:$_missing"
}

# A scratch directory removed on exit (one per script; sets TMPD).
make_tmpdir() {
	TMPD=$(mktemp -d "${TMPDIR:-/tmp}/sphb-guest.XXXXXX")
	# shellcheck disable=SC2064 # expand TMPD now
	trap "rm -rf '$TMPD'" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Load the fetched guest inputs (KERNEL_*, BUSYBOX_*, LIBFDT_*) by running
# fetch.sh, which is free when the cache is complete. Propagates its 77.
load_guest_env() {
	_env=$("$GUEST_DIR/fetch.sh") || {
		_rc=$?
		printf '%s\n' "$_env" # the skip reason
		exit $_rc
	}
	eval "$_env"
}
