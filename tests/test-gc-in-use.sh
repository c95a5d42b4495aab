#!/bin/sh
# `lanroot image gc` keeps a version that a client connected to
# lanroot-blockd (a real libnbd client) still uses after its group moved on
# to a newer one ("in use by 1 session", also in --json), and removes it
# once the client has disconnected.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env

# ---- blockd helpers (here until tests/functions.sh has blockd_start) ----
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sock=$tmp/blockd.sock
printf '[nbd]\nlisten = 127.0.0.1\nport = %s\ncontrol = %s\n' "$port" "$sock" >>"$conf"

# ctl JSON — one request on blockd's control socket; prints the reply.
ctl() {
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
sys.stdout.write(s.makefile("rb").readline().decode())
' "$sock" "$1"
}

# wait_until WHAT CMD… — run CMD every 0.1 s until it succeeds (10 s at most).
wait_until() {
	what=$1; shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}

# json_true PYEXPR — PYEXPR holds for d, the JSON document in $tmp/json.
json_true() {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$tmp/json" "$1" || { cat "$tmp/json"; fail "not true: $1"; }
}

# start_blockd — lanroot-blockd -f on $conf in the background, answering
# a ping.  Sets $blockd_pid.
start_blockd() {
	lanroot-blockd -c "$conf" -f 2>>"$tmp/blockd.log" &
	blockd_pid=$!
	cleanup_fn "kill $blockd_pid 2>/dev/null"
	i=0
	until ctl '{"cmd":"ping"}' 2>/dev/null | grep -q '"ok": *true'; do
		kill -0 $blockd_pid 2>/dev/null || { cat "$tmp/blockd.log"; fail "lanroot-blockd exited"; }
		i=$((i + 1)); [ $i -lt 100 ] || fail "lanroot-blockd did not answer a ping"
		sleep 0.1
	done
}

# hold NAME [DATA] — a libnbd client on NAME's root URL: writes DATA at
# offset 0 and flushes if given, then reads every 0.1 s until the
# connection dies; $tmp/NAME.dead then holds the error.  Sets $hold_pid.
hold() {
	uri=$($LR client show "$1" --json | json_get '["root"]')
	rm -f "$tmp/$1.ready" "$tmp/$1.dead"
	"$PYTHON" -c '
import nbd, sys, time
uri, ready, dead = sys.argv[1:4]
h = nbd.NBD()
h.connect_uri(uri)
if len(sys.argv) > 4:
    h.pwrite(sys.argv[4].encode(), 0)
    h.flush()
open(ready, "w").close()
try:
    while True:
        h.pread(512, 0)
        time.sleep(0.1)
except nbd.Error as e:
    open(dead, "w").write(str(e))
' "$uri" "$tmp/$1.ready" "$tmp/$1.dead" ${2+"$2"} 2>>"$tmp/client.log" &
	hold_pid=$!
	cleanup_fn "kill $hold_pid 2>/dev/null"
	i=0
	until [ -e "$tmp/$1.ready" ]; do
		kill -0 $hold_pid 2>/dev/null || { cat "$tmp/client.log"; fail "the NBD client of $1 could not connect"; }
		i=$((i + 1)); [ $i -lt 100 ] || fail "the NBD client of $1 did not connect"
		sleep 0.1
	done
}
# ---- end of blockd helpers ----

# sessions_of NAME — how many sessions lanroot status lists for NAME.
sessions_of() {
	lanroot -c "$conf" status --json |
		"$PYTHON" -c 'import json, sys; print(sum(s["client"] == sys.argv[1] for s in json.load(sys.stdin)["sessions"]))' "$1"
}

truncate -s 4M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw 2>/dev/null
$LR group add room101 --image lab --mode persistent
$LR client add 52:54:00:12:34:56 --name pc01 --group room101
v1=$state/images/lab/1

start_blockd
hold pc01
# The group moves on to version 2; pc01 keeps version 1 until it reboots.
$LR image import lab "$tmp/disk.img" --format raw 2>/dev/null
$LR image publish lab 2
[ "$(sessions_of pc01)" = 1 ] || fail "publishing dropped the client's session"

json_valid $LR image gc --json
json_true 'd["blockd"] == "running"'
json_true 'd["removed"] == []'
json_true '[(k["image"], k["version"], k["reason"], k["sessions"]) for k in d["kept"] if k["version"] == 1] == [("lab", 1, "in use by 1 session", 1)]'
[ -d "$v1" ] || fail "gc removed version 1 while a session holds it"
$LR image gc >"$tmp/out"
grep -q "^kept lab@1: in use by 1 session$" "$tmp/out" || { cat "$tmp/out"; fail "gc does not say why it kept lab@1"; }
[ -d "$v1" ] || fail "gc removed version 1 while a session holds it"
[ ! -e "$tmp/pc01.dead" ] || fail "gc disturbed the client: $(cat "$tmp/pc01.dead")"

# The client goes away: version 1 is garbage now.
kill $hold_pid
wait $hold_pid 2>/dev/null || true
no_session() { [ "$(sessions_of pc01)" = 0 ]; }
wait_until "the session to close" no_session
json_valid $LR image gc --json
json_true '[(r["image"], r["version"]) for r in d["removed"]] == [("lab", 1)]'
json_true 'all(k["version"] != 1 for k in d["kept"])'
[ ! -e "$v1" ] || fail "gc left version 1 after its last session ended"
