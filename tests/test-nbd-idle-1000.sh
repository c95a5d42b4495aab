#!/bin/sh
# 1,000 idle connected clients are cheap, and max_clients holds.  One Python
# process opens 1,000 libnbd connections (each one a full handshake, then a
# read) to the exports of 20 clients: 10 persistent ones (each of which
# also wrote a block to its overlay) and 10 volatile ones, 50 connections
# each.  With all of them connected, blockd's VmRSS must be under 100 MiB
# (the figure is printed) and its control socket lists 1,000 sessions.
# With max_clients = 1000, a 1,001st connection is refused (closed before
# the greeting, an nbd.refused event) while the 1,000 others keep working;
# once one of them leaves, a new connection gets in.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
if ! ulimit -n 4096 2>/dev/null; then
	echo "$0: test skipped: cannot raise the open files limit to 4096 (hard limit $(ulimit -Hn))" >&2
	exit 77
fi
mktmpdir
lanroot_env
blockd_conf "max_clients = 1000"
nbd_setup persistent
$LR group add kiosk --image lab --mode volatile >/dev/null
i=2
while [ $i -le 20 ]; do
	if [ $i -le 10 ]; then
		nbd_client_add "$(printf pc%02d $i)" "$(printf 52:54:00:00:00:%02x $i)"
	else
		nbd_client_add "$(printf vc%02d $i)" "$(printf 52:54:00:00:00:%02x $i)" kiosk
	fi
	i=$((i + 1))
done
$LR client list --json >"$tmp/clients.json"
# ASan keeps freed memory in a quarantine (256 MiB by default), which would
# count in the RSS measured below: keep it small.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
export ASAN_OPTIONS
blockd_start

"$PYTHON" - "$tmp/clients.json" "$blockd_pid" "$ctl" <<'EOF' || fail "1,000 idle clients"
import json, nbd, socket, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
clients = json.load(open(sys.argv[1]))
blockd_pid, ctl = int(sys.argv[2]), sys.argv[3]
PER_CLIENT, LIMIT_MIB = 50, 100

def rss_kib():
    for line in open("/proc/%d/status" % blockd_pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def sessions():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(ctl)
    s.sendall(b'{"cmd":"sessions"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(1 << 20)
        if not d:
            break
        buf += d
    reply = json.loads(buf)
    if not reply.get("ok"):
        sys.exit("sessions: %s" % buf[:200])
    return reply["sessions"]

if len(clients) != 20 or sorted(c["mode"] for c in clients).count("volatile") != 10:
    sys.exit("expected 10 persistent and 10 volatile clients")
print("blockd VmRSS before: %.1f MiB" % (rss_kib() / 1024))
handles = []
t = time.monotonic()
for c in clients:
    for i in range(PER_CLIENT):
        h = nbd.NBD()
        h.connect_uri(c["root"])
        if i == 0 and c["mode"] == "persistent":
            h.pwrite(c["name"].encode() * 1024, 1 << 20)
            h.flush()
        h.pread(4096, 0)
        handles.append((c, h))
print("%d connections in %.1f s" % (len(handles), time.monotonic() - t))
time.sleep(1)
rss = rss_kib() / 1024
print("blockd VmRSS with %d idle clients connected: %.1f MiB" % (len(handles), rss))
if rss >= LIMIT_MIB:
    sys.exit("blockd's VmRSS is %.1f MiB with 1,000 idle clients (limit %d MiB)" % (rss, LIMIT_MIB))
n = len(sessions())
if n != 1000:
    sys.exit("the control socket lists %d sessions, expected 1000" % n)

# The 1,001st: refused; the others work.
extra = nbd.NBD()
try:
    extra.connect_uri(clients[0]["root"])
except nbd.Error as e:
    print("1,001st connection refused: %s" % e.string)
else:
    sys.exit("a 1,001st connection got in with max_clients = 1000")
for c, h in handles:
    want = c["name"].encode() * 1024 if c["mode"] == "persistent" else None
    got = h.pread(4096, 1 << 20)
    if want is not None and got != want:
        sys.exit("client %s reads wrong data after the refusal" % c["name"])

# One leaves: a new connection gets in (once blockd has seen it go).
c, h = handles.pop()
h.shutdown()
t = time.monotonic()
while True:
    again = nbd.NBD()
    try:
        again.connect_uri(c["root"])
        break
    except nbd.Error as e:
        if time.monotonic() - t > 5:
            sys.exit("no connection gets in after one of the 1,000 left: %s" % e.string)
        time.sleep(0.1)
again.pread(512, 0)
EOF
grep -q 'event=nbd.refused reason="max_clients reached" max_clients=1000' "$tmp/blockd.log" ||
	fail "no nbd.refused event for the 1,001st connection"
blockd_stop
