#!/bin/sh
# `lanroot client reset` while the client is connected to lanroot-blockd (a
# real libnbd client that wrote to its overlay): refused without --force,
# naming its session, with the overlay and the connection untouched.  With
# --force the client's connection dies, the overlay is emptied, and the
# client can connect again at once (blockd's hold is released) and sees
# the base.  Once it has no session left, reset needs no --force.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf


# read_nbd — the first 12 bytes pc01's export gives a new client, as hex.
read_nbd() {
	"$PYTHON" -c '
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
print(h.pread(12, 0).hex())
h.shutdown()
' "nbd://127.0.0.1:$nbd_port/$(nbd_export pc01)"
}

nbd_setup persistent
overlay=$state/overlays/52-54-00-00-00-01
base=$(head -c 12 "$tmp/base.img" | od -An -tx1 | tr -d ' \n')

blockd_start
hold pc01 LANROOT-DATA
client=$hold_pid
[ "$($LR overlay read pc01 0 12)" = LANROOT-DATA ] || fail "the client's write is not in its overlay"
[ "$(sessions_of pc01)" = 1 ] || fail "status does not list the client's session"

# Connected: refused, nothing touched.
expect_status 1 $LR client reset pc01
grep_err "client pc01 is connected (1 session from 127\.0\.0\.1:[0-9]*); --force disconnects it first"
[ "$($LR overlay read pc01 0 12)" = LANROOT-DATA ] || fail "a refused reset changed the overlay"
[ ! -e "$tmp/pc01.dead" ] && kill -0 $client 2>/dev/null || fail "a refused reset disconnected the client"
[ "$(sessions_of pc01)" = 1 ] || fail "a refused reset closed the session"

# --force: disconnected, emptied, and free to connect again at once.
$LR client reset pc01 --force
wait_until "the client's connection to die" test -e "$tmp/pc01.dead"
[ ! -e "$overlay/map" ] || fail "the overlay is still there after reset --force"
expect_status 1 $LR overlay read pc01 0 12
grep_err "has no overlay"
[ "$(read_nbd)" = "$base" ] || fail "after the reset the client does not see the base"
hold pc01
[ "$(sessions_of pc01)" = 1 ] || fail "the client could not hold a session again"

# No session left: reset needs no --force.
kill $hold_pid
wait $hold_pid 2>/dev/null || true
no_session() { [ "$(sessions_of pc01)" = 0 ]; }
wait_until "the session to close" no_session
$LR client reset pc01
