#!/bin/sh
# Export names lanroot-blockd refuses, through libnbd (nbdinfo, Python):
# a wrong token, no token (4 fields), an empty name, a garbage name, an
# unregistered MAC with a valid-looking token, a deleted client's export.
# Each is refused with the server's message (libnbd prints it with
# LIBNBD_DEBUG=1) and an nbd.refused event.  Stale names: after `lanroot
# group set room --version 2` a session on version 1 keeps working, a new
# connection with the old name is accepted while that session lives (the
# reconnect rule), and once it has ended the old name is refused as stale.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdinfo --version
mktmpdir
lanroot_env

blockd_conf
nbd_setup persistent
nbd_client_add pc09 52:54:00:00:00:09
server="nbd://127.0.0.1:$nbd_port"
export9=$(nbd_export pc09)
$LR client delete pc09 >/dev/null
blockd_start

# refused NAME MESSAGE — nbdinfo on export NAME fails, libnbd reports the
# server's MESSAGE (a grep pattern) and blockd logs an nbd.refused event
# with it.
refused() {
	expect_status 1 env LIBNBD_DEBUG=1 nbdinfo "$server/$1"
	grep_err "server error message: .*$2"
	grep -q "event=nbd.refused .*reason=.*$2" "$tmp/blockd.log" ||
		{ cat "$tmp/blockd.log"; fail "no nbd.refused event with '$2' for '$1'"; }
}

token=${export##*/}
public=${export%/*}
case $token in
	*0) bad=${token%?}1 ;;
	*) bad=${token%?}0 ;;
esac
refused "$public/$bad" "wrong token"
refused "$public" "no such export"
refused "" "no default export"
refused "garbage" "no such export"
refused "$public/$token/extra" "no such export"
refused "52-54-00-00-00-77/lab/1/persistent/$token" "wrong token"
refused "$export9" "52:54:00:00:00:09 is not a registered client"
grep -q -e "$token" "$tmp/blockd.log" && fail "the log shows a token"
nbdinfo "$uri" >/dev/null || fail "pc01's own export is refused"

# ---- stale names ----
# A session on version 1 holds pc01's export: it writes, then waits for
# $tmp/go, then checks that it still reads its write and version 1's data,
# writes again and flushes; $tmp/holder.ok says it did.
rm -f "$tmp/ready" "$tmp/go"
"$PYTHON" - "$uri" "$tmp" <<'EOF' &
import nbd, os, sys, time
uri, tmp = sys.argv[1:3]
base = open(tmp + "/base.img", "rb").read()
h = nbd.NBD()
h.connect_uri(uri)
h.pwrite(b"session one", 4096)
h.flush()
open(tmp + "/ready", "w").close()
while not os.path.exists(tmp + "/go"):
    time.sleep(0.02)
assert h.pread(11, 4096) == b"session one", "the session lost its write"
assert h.pread(65536, 1 << 20) == base[1 << 20:(1 << 20) + 65536], "not version 1's data"
h.pwrite(b"after the switch", 8192)
h.flush()
assert h.pread(16, 8192) == b"after the switch"
h.shutdown()
open(tmp + "/holder.ok", "w").close()
EOF
holder=$!
cleanup_fn "kill $holder 2>/dev/null"
i=0
until [ -e "$tmp/ready" ]; do
	kill -0 $holder 2>/dev/null || fail "the session on version 1 did not start"
	i=$((i + 1)); [ $i -lt 100 ] || fail "the session on version 1 did not start in 10 s"
	sleep 0.1
done

make_raw "$tmp/base2.img" 8388608
$LR image import lab "$tmp/base2.img" --format raw >/dev/null 2>&1
$LR group set room --version 2 >/dev/null 2>&1
new=$(nbd_export pc01 2>/dev/null)	# it warns that the overlay is over version 1
case $new in
	*/lab/2/persistent/*) ;;
	*) fail "pc01's export after the switch: '$new'" ;;
esac

# While the session lives: a new connection with the old name is another
# connection of that boot: accepted, on version 1, sharing the overlay.
"$PYTHON" -c '
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert h.pread(11, 4096) == b"session one", "a second connection does not see the first one'"'"'s write"
h.shutdown()' "$uri" || fail "a new connection with the old name was refused while a session holds it"

touch "$tmp/go"
wait $holder || fail "the session on version 1 failed after the switch"
[ -e "$tmp/holder.ok" ] || fail "the session on version 1 did not finish"

# Once every session on version 1 has closed, the old name is stale.
i=0
until ctl_cmd '{"cmd":"sessions"}' | grep -q '"sessions": *\[\]'; do
	i=$((i + 1)); [ $i -lt 100 ] || { ctl_cmd '{"cmd":"sessions"}'; fail "sessions did not end"; }
	sleep 0.1
done
refused "$public/$token" "stale"
blockd_stop
