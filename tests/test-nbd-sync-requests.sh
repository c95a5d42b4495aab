#!/bin/sh
# Every request gets its reply at once, whichever path blockd answers it
# on: a libnbd client sends one request at a time (as a booting kernel
# mostly does) - WRITE, FLUSH, READ of what it wrote, READ of the base - 300
# times on one connection, then on a volatile client's read-only export
# (its reads come from the page cache).  A reply left queued in blockd (no
# write interest on the socket) would stall the client until the idle
# timeout: each round must take under 2 s, the whole under 20 s.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf
nbd_setup persistent
$LR group add kiosk --image lab --mode volatile >/dev/null
nbd_client_add pc02 52:54:00:00:00:02 kiosk
blockd_start

"$PYTHON" - "$uri" "$($LR client show pc02 --json | json_get '["root"]')" "$tmp/base.img" <<'EOF' ||
import faulthandler; faulthandler.dump_traceback_later(20, exit=True)  # a stalled reply
import nbd, os, random, sys, time
uri, ro_uri, base = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
rng = random.Random(3)
h = nbd.NBD()
h.connect_uri(uri)
for i in range(300):
    t = time.monotonic()
    off = rng.randrange(len(base) // 4096) * 4096
    data = os.urandom(4096)
    h.pwrite(data, off)
    h.flush()
    if h.pread(4096, off) != data:
        sys.exit("round %d: offset %d does not read back what was written" % (i, off))
    other = rng.randrange(len(base) - 512)
    h.pread(512, other)
    if time.monotonic() - t > 2:
        sys.exit("round %d took %.1f s" % (i, time.monotonic() - t))
h.shutdown()
ro = nbd.NBD()
ro.connect_uri(ro_uri)
for i in range(300):
    off = rng.randrange(len(base) - 4096)
    if ro.pread(4096, off) != base[off:off + 4096]:
        sys.exit("read-only export: offset %d reads wrong data" % off)
ro.shutdown()
EOF
	{ tail -5 "$tmp/blockd.log"; fail "a request's reply stalled"; }
blockd_stop
