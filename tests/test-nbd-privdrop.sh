#!/bin/sh
# Started as root with [lanroot] user = nobody, lanroot-blockd binds first
# (a privileged port on 127.0.0.1, which nobody could not bind), then runs
# as nobody: /proc/PID/status shows nobody's uid and gid, no
# supplementary groups and no effective capabilities; nbdinfo describes
# pc01's export and a libnbd write lands in an overlay owned by nobody.  With a user that does not exist,
# blockd does not start and says which user is missing.
. "${top_srcdir:-.}/tests/functions.sh"
requires_root
requires "$PYTHON" -c 'import nbd'
requires nbdinfo --version
id nobody >/dev/null 2>&1 || { echo "$0: test skipped: no user nobody" >&2; exit 77; }
mktmpdir
chmod 755 "$tmp"		# nobody must reach the state dir inside
lanroot_env
blockd_conf
nbd_setup persistent
chown -R nobody:"$(id -gn nobody)" "$state"
nobody_uid=$(id -u nobody)

# A free privileged port (below net.ipv4.ip_unprivileged_port_start).
low=$("$PYTHON" -c '
import socket, sys
start = int(open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read())
for p in range(min(start, 1024) - 1, 600, -1):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
print(0)')
if [ "$low" -ne 0 ]; then
	sed -i "s/^port = $nbd_port\$/port = $low/" "$conf"
	nbd_port=$low
	uri="nbd://127.0.0.1:$nbd_port/$export"
fi
sed -i 's/^user =.*$/user = nobody/' "$conf"
grep -q '^user = nobody$' "$conf" || fail "cannot set user = nobody in $conf"

blockd_start
runs_as_nobody lanroot-blockd "$blockd_pid"
nbdinfo "$uri" >"$tmp/info" 2>&1 || { cat "$tmp/info"; fail "nbdinfo against blockd running as nobody"; }
grep -q 'export-size: 8388608' "$tmp/info" || { cat "$tmp/info"; fail "nbdinfo: wrong size"; }
"$PYTHON" - "$uri" <<'EOF' || fail "a write as nobody"
import nbd, sys
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pwrite(b"nobody wrote this", 0)
h.flush()
if h.pread(17, 0) != b"nobody wrote this":
    sys.exit("the write does not read back")
h.shutdown()
EOF
owner=$(stat -c %u "$state/overlays/52-54-00-00-00-01")
[ "$owner" = "$nobody_uid" ] || fail "the overlay is owned by uid $owner, not nobody"
blockd_stop

# A user that does not exist: no start, a clear message.
sed -i 's/^user = nobody$/user = lanroot-no-such-user/' "$conf"
expect_status 1 timeout 10 lanroot-blockd -c "$conf" -f
grep_err "user 'lanroot-no-such-user' does not exist"
