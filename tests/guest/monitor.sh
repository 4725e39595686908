#!/bin/sh
# Send one command to a running QEMU's monitor over a UNIX socket and print
# the answer (python3 from the host; no socat needed).
#
# Usage: monitor.sh hmp SOCKET 'COMMAND LINE'    e.g. 'info sphb'
#        monitor.sh qmp SOCKET '{"execute": ...}'
# HMP: prints the command's output (prompt, echo and terminal escapes
# removed). QMP: negotiates capabilities, prints the reply line ("return"
# or "error"), skipping events. Exit 0 when an answer came, 1 otherwise
# (no socket, timeout, QMP error).
set -eu
[ $# = 3 ] || { echo "usage: $0 hmp|qmp SOCKET COMMAND" >&2; exit 2; }
exec python3 - "$@" <<'EOF'
import json, re, socket, sys

kind, path, cmd = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
try:
    s.connect(path)
except OSError as e:
    print("monitor: %s: %s" % (path, e), file=sys.stderr)
    sys.exit(1)

if kind == "hmp":
    def until_prompt():
        buf = b""
        while not buf.endswith(b"(qemu) "):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        return buf.decode(errors="replace")
    until_prompt()
    s.sendall(cmd.encode() + b"\n")
    out = until_prompt()
    out = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\x1b[^\[]", "", out).replace("\r", "")
    lines = out.split("\n")
    # drop the echoed command line and the final prompt
    if lines and lines[0].strip().endswith(cmd.strip()):
        lines = lines[1:]
    if lines and lines[-1].startswith("(qemu)"):
        lines = lines[:-1]
    print("\n".join(lines))
    sys.exit(0)

f = s.makefile("rwb")
def reply():
    while True:
        line = f.readline()
        if not line:
            return None
        msg = json.loads(line)
        if "event" not in msg:
            return msg
f.readline()  # greeting
f.write(b'{"execute": "qmp_capabilities"}\n'); f.flush()
reply()
f.write(cmd.encode() + b"\n"); f.flush()
r = reply()
print(json.dumps(r))
sys.exit(0 if r is not None and "return" in r else 1)
EOF
