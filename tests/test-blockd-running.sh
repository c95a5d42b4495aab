#!/bin/sh
# Something answers on lanroot-blockd's control socket but cannot say which
# sessions and versions it holds (a stand-in that replies {"ok":true} to
# everything, without "sessions" or "versions"): `image gc` and `client
# reset` refuse unless --force, since clients may be connected, and
# `status` says blockd is running.  A socket nobody answers on is only
# warned about.  (The real blockd is in test-status-sessions,
# test-client-reset-connected and test-gc-in-use.)
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" --version
mktmpdir
lanroot_env
sock=$tmp/blockd.sock
printf '[nbd]\ncontrol = %s\n' "$sock" >>"$conf"

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR group add room101 --image lab --mode persistent
$LR client add 52:54:00:12:34:56 --name pc01 --group room101
lanroot -c "$conf" status | grep -q "blockd: *not running" || fail "status without blockd"

# A stand-in for blockd: a control socket that answers each request line
# ({"cmd":"ping"}) with {"ok":true}, as common/ctl.h describes.
"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(16)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    f = c.makefile("rwb")
    for line in f:
        f.write(b"{\"ok\":true}\n")
        f.flush()
    c.close()
' "$sock" "$tmp/ready" &
pid=$!
cleanup_fn "kill $pid 2>/dev/null"
i=0
while [ ! -e "$tmp/ready" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the stand-in socket did not come up"; sleep 0.1
done

lanroot -c "$conf" status | grep -q "blockd: *running ($sock)" || fail "status with blockd"
expect_status 1 $LR image gc
grep_err "lanroot-blockd is running"
grep_err "--force"
$LR image gc --force
expect_status 1 $LR client reset pc01
grep_err "lanroot-blockd is running"
$LR client reset pc01 --force

# Gone, its socket file left behind: a warning, then on.
kill $pid
wait $pid 2>/dev/null || true
[ -S "$sock" ] || fail "the socket file went away"
lanroot -c "$conf" status | grep -q "blockd: *not answering" || fail "status with a stale socket"
$LR image gc
expect_status 0 $LR client reset pc01
grep_err "nothing answers"
