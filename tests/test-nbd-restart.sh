#!/bin/sh
# A persistent client's data outlives lanroot-blockd: writes a real NBD
# client (libnbd) flushed survive a stop (SIGTERM) and a start; writes it
# never flushed, still in the overlay's memory while the client stays
# connected, survive too, because SIGTERM flushes every overlay.  With
# blockd stopped, `lanroot client reset pc01` empties the overlay: the
# client reads the base again.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf
nbd_setup persistent

# nbd_py ARGS… — run the Python on stdin with $uri and ARGS; the helpers
# below it: pattern(tag, len) bytes, check(h, off, data) compares.
nbd_py() {
	{
		cat <<'EOF'
import hashlib, nbd, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
uri, base = sys.argv[1], open(sys.argv[2], "rb").read()
def pattern(tag, n):
    out = b""
    while len(out) < n:
        out += hashlib.sha256(tag.encode() + len(out).to_bytes(8, "big")).digest()
    return out[:n]
def check(h, off, want, what):
    got = h.pread(len(want), off)
    if got != want:
        i = next(i for i in range(len(want)) if got[i] != want[i])
        sys.exit("%s: byte %d reads back %s, want %s"
                 % (what, off + i, got[i:i + 8].hex(), want[i:i + 8].hex()))
def connect():
    h = nbd.NBD()
    h.connect_uri(uri)
    return h
EOF
		cat
	} >"$tmp/script.py"
	"$PYTHON" "$tmp/script.py" "$uri" "$tmp/base.img" "$@"
}

# Flushed writes: one aligned, one straddling two clusters.
blockd_start
nbd_py <<'EOF' || fail "flushed writes"
h = connect()
h.pwrite(pattern("a", 65536), 0)
h.pwrite(pattern("b", 10000), 5 * 1048576 + 123)
h.flush()
h.shutdown()
EOF
blockd_stop
blockd_start
nbd_py <<'EOF' || fail "flushed writes are lost after a restart"
h = connect()
check(h, 0, pattern("a", 65536), "flushed write")
check(h, 5 * 1048576 + 123, pattern("b", 10000), "flushed write")
check(h, 65536, base[65536:1048576], "untouched range")
h.shutdown()
EOF

# Unflushed writes, the client still connected at SIGTERM.
rm -f "$tmp/written"
nbd_py "$tmp/written" <<'EOF' 2>"$tmp/client.err" &
h = connect()
h.pwrite(pattern("c", 12288), 1048576)
h.pwrite(pattern("d", 777), 7 * 1048576 + 4000)
open(sys.argv[3], "w").close()
while True:          # never flushes; blockd closes the connection
    time.sleep(0.1)
    h.pread(1, 0)
EOF
client=$!
cleanup_fn "kill $client 2>/dev/null"
i=0
until [ -e "$tmp/written" ]; do
	kill -0 $client 2>/dev/null || { cat "$tmp/client.err"; fail "the writer died"; }
	i=$((i + 1)); [ $i -lt 100 ] || fail "the writer did not write"
	sleep 0.1
done
blockd_stop
i=0
while kill -0 $client 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "blockd stopped but the client's connection is still open"
	sleep 0.1
done
blockd_start
nbd_py <<'EOF' || fail "unflushed writes are lost after SIGTERM"
h = connect()
check(h, 1048576, pattern("c", 12288), "unflushed write")
check(h, 7 * 1048576 + 4000, pattern("d", 777), "unflushed write")
check(h, 0, pattern("a", 65536), "flushed write")
h.shutdown()
EOF
blockd_stop

# client reset, blockd stopped: the overlay is gone, pc01 reads the base.
$LR client reset pc01
blockd_start
nbd_py <<'EOF' || fail "after client reset pc01 does not read the base"
h = connect()
check(h, 0, base, "after reset")
h.shutdown()
EOF
blockd_stop
