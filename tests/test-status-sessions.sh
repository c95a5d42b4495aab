#!/bin/sh
# `lanroot status` lists lanroot-blockd's sessions: a real NBD client
# (libnbd) holds one; status --json shows it with the right client, MAC,
# export (without its token) and address, and the version it holds; the
# text form shows it as a table row.  Once blockd has stopped, status still
# works and says it is not running, with no sessions.
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

truncate -s 4M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw 2>/dev/null
$LR group add room101 --image lab --mode persistent
$LR client add 52:54:00:12:34:56 --name pc01 --group room101
export=$($LR client show pc01 --json | json_get '["export"]')
token=${export##*/}
public=${export%/*}

start_blockd
json_valid lanroot -c "$conf" status --json
json_true 'd["blockd"]["state"] == "running"'
json_true "d['blockd']['pid'] == $blockd_pid"
json_true 'd["sessions"] == [] and d["versions_in_use"] == []'

hold pc01
json_valid lanroot -c "$conf" status --json
json_true 'len(d["sessions"]) == 1'
json_true 'd["sessions"][0]["client"] == "pc01"'
json_true 'd["sessions"][0]["mac"] == "52:54:00:12:34:56"'
json_true "d['sessions'][0]['export'] == '$public'"
json_true 'd["sessions"][0]["address"].startswith("127.0.0.1:")'
json_true '[(v["image"], v["version"], v["sessions"]) for v in d["versions_in_use"]] == [("lab", 1, 1)]'
grep -q "$token" "$tmp/json" && fail "status --json shows the client's token"

lanroot -c "$conf" status >"$tmp/out"
grep -q "^blockd: *running ($sock), pid $blockd_pid" "$tmp/out" || { cat "$tmp/out"; fail "status: blockd line"; }
grep -q "^sessions: *1$" "$tmp/out" || { cat "$tmp/out"; fail "status: session count"; }
grep -q "CLIENT *EXPORT *ADDRESS *SINCE *READ *WRITTEN *REQUESTS" "$tmp/out" || { cat "$tmp/out"; fail "status: table head"; }
grep -q "^ *pc01 *$public *127\.0\.0\.1:[0-9]* *20[0-9-]*T" "$tmp/out" || { cat "$tmp/out"; fail "status: session row"; }
grep -q "^ *lab@1 *1 session$" "$tmp/out" || { cat "$tmp/out"; fail "status: versions in use"; }
grep -q "$token" "$tmp/out" && fail "status shows the client's token"

# blockd stops: status works and has no sessions.
kill $blockd_pid
wait $blockd_pid 2>/dev/null || true
json_valid lanroot -c "$conf" status --json
json_true 'd["blockd"]["state"] == "not running"'
json_true 'd["sessions"] == [] and d["versions_in_use"] == []'
lanroot -c "$conf" status >"$tmp/out"
grep -q "^sessions: *none (lanroot-blockd is not running)" "$tmp/out" || { cat "$tmp/out"; fail "status after stop"; }
