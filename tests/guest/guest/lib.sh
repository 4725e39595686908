# Helpers for guest test scripts (busybox sh), at /sphb/lib.sh in the
# initramfs; /init sources it and so does the test script if it wants to:
#   . /sphb/lib.sh
# The host reads the console: every result is one line
#   SPHB-GUEST: <key> <value...>
# and a multi-line dump is a series of lines "SPHB-GUEST: <key>| <line>".

# sphb_report KEY VALUE...
sphb_report() {
	_k=$1
	shift
	printf 'SPHB-GUEST: %s %s\n' "$_k" "$*"
}

# sphb_dump KEY FILE: the file line by line, or "KEY (absent)"
sphb_dump() {
	if [ -r "$2" ]; then
		while IFS= read -r _l || [ -n "$_l" ]; do
			printf 'SPHB-GUEST: %s| %s\n' "$1" "$_l"
		done <"$2"
	else
		sphb_report "$1" "(absent)"
	fi
}

# Seconds since boot, two decimals (/proc/uptime).
sphb_uptime() {
	read -r _u _ </proc/uptime
	echo "$_u"
}

# sphb_since T0: seconds elapsed since uptime T0.
sphb_since() {
	awk -v t0="$1" -v t1="$(sphb_uptime)" 'BEGIN { printf "%.2f", t1 - t0 }'
}
