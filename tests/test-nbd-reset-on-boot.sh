#!/bin/sh
# A reset-on-boot client, driven with real NBD clients (libnbd): each
# `nbd_export pc01` is a new boot (a larger boot id), as bootd renders it.
#   - a reconnect with the same export name (same boot) finds the data;
#   - a new boot finds the overlay empty (the base);
#   - an older boot's name is then refused (NBD_REP_ERR_POLICY, an
#     nbd.refused event), also after a restart of blockd;
#   - a new boot while the old boot's session is still connected: blockd
#     closes the old session (its next request fails) and the new one gets
#     an empty overlay.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf
nbd_setup reset-on-boot
boot1=$export

# nbd_py ARGS… — run the Python on stdin with $tmp/base.img and ARGS (URIs).
nbd_py() {
	{
		cat <<'EOF'
import errno, hashlib, nbd, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
base = open(sys.argv[1], "rb").read()
uris = sys.argv[2:]
def pattern(tag, n):
    out = b""
    while len(out) < n:
        out += hashlib.sha256(tag.encode() + len(out).to_bytes(8, "big")).digest()
    return out[:n]
def connect(uri):
    h = nbd.NBD()
    h.connect_uri(uri)
    return h
def check(h, off, want, what):
    got = h.pread(len(want), off)
    if got != want:
        i = next(i for i in range(len(want)) if got[i] != want[i])
        sys.exit("%s: byte %d reads back %s, want %s"
                 % (what, off + i, got[i:i + 8].hex(), want[i:i + 8].hex()))
def refused(uri, what):
    h = nbd.NBD()
    try:
        h.connect_uri(uri)
    except nbd.Error as e:
        if e.errno == "ENOENT":
            sys.exit("%s: refused as an unknown export, not by policy: %s" % (what, e.string))
        return
    sys.exit("%s: the export was not refused" % what)
EOF
		cat
	} >"$tmp/script.py"
	"$PYTHON" "$tmp/script.py" "$tmp/base.img" "$@"
}

u() { echo "nbd://127.0.0.1:$nbd_port/$1"; }

blockd_start

# Boot 1 writes; a reconnect in the same boot finds it.
nbd_py "$(u "$boot1")" <<'EOF' || fail "boot 1: write"
h = connect(uris[0])
h.pwrite(pattern("boot1", 8192), 4096)
h.flush()
h.shutdown()
EOF
nbd_py "$(u "$boot1")" <<'EOF' || fail "boot 1: a reconnect in the same boot lost the data"
h = connect(uris[0])
check(h, 4096, pattern("boot1", 8192), "reconnect")
h.shutdown()
EOF

# Boot 2: empty; then boot 1's name is refused.
boot2=$(nbd_export pc01)
[ "$boot2" != "$boot1" ] || fail "nbd_export gave the same export name twice"
nbd_py "$(u "$boot2")" "$(u "$boot1")" <<'EOF' || fail "boot 2"
h = connect(uris[0])
check(h, 0, base, "new boot")
h.pwrite(pattern("boot2", 4096), 65536)
h.flush()
h.shutdown()
refused(uris[1], "an older boot after a newer one")
EOF
grep -q 'event=nbd.refused .*reason=".*boot id .* is older' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "no nbd.refused event for the older boot"; }

# A restart keeps the boot: the same name reconnects, the older one is refused.
blockd_stop
blockd_start
nbd_py "$(u "$boot2")" "$(u "$boot1")" <<'EOF' || fail "boot 2 after a restart"
refused(uris[1], "an older boot after a restart")
h = connect(uris[0])
check(h, 65536, pattern("boot2", 4096), "reconnect after a restart")
h.shutdown()
EOF

# Boot 3 while boot 2's session is connected (with unflushed writes too).
boot3=$(nbd_export pc01)
nbd_py "$(u "$boot2")" "$(u "$boot3")" <<'EOF' || fail "a new boot while the old one is connected"
old = connect(uris[0])
check(old, 65536, pattern("boot2", 4096), "boot 2")
old.pwrite(pattern("late", 4096), 1048576)
t = time.monotonic()
new = connect(uris[1])          # blockd closes `old` first
if time.monotonic() - t > 5:
    sys.exit("the new boot waited %.1f s for the old session" % (time.monotonic() - t))
check(new, 0, base, "the new boot's overlay")
try:
    old.pread(512, 0)
except nbd.Error:
    pass
else:
    sys.exit("the old boot's session still answers after a new boot")
check(new, 0, base, "the new boot's overlay, after the old session's request")
new.shutdown()
EOF
grep -q 'event=nbd.disconnect .*reason="replaced by a new boot' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "no disconnect event for the replaced session"; }
grep -q 'event=nbd.overlay_reset .*client=pc01' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "no nbd.overlay_reset event"; }
blockd_stop
