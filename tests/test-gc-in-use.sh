#!/bin/sh
# `lanroot image gc` keeps a version that a client connected to
# lanroot-blockd (a real libnbd client) still uses after its group moved on
# to a newer one ("in use by 1 session", also in --json), and removes it
# once the client has disconnected.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf

# ---- helpers shared by the session tests (candidates for functions.sh) ----
# json_true PYEXPR — PYEXPR holds for d, the JSON document in $tmp/json.
json_true() {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$tmp/json" "$1" || { cat "$tmp/json"; fail "not true: $1"; }
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

# hold NAME [DATA] — a libnbd client on NAME's export: writes DATA at
# offset 0 and flushes if given, then reads every 0.1 s until the
# connection dies; $tmp/NAME.dead then holds the error.  Sets $hold_pid.
hold() {
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
' "nbd://127.0.0.1:$nbd_port/$(nbd_export "$1")" "$tmp/$1.ready" "$tmp/$1.dead" \
		${2+"$2"} 2>>"$tmp/client.log" &
	hold_pid=$!
	cleanup_fn "kill $hold_pid 2>/dev/null"
	i=0
	until [ -e "$tmp/$1.ready" ]; do
		kill -0 $hold_pid 2>/dev/null || { cat "$tmp/client.log"; fail "the NBD client of $1 could not connect"; }
		i=$((i + 1)); [ $i -lt 100 ] || fail "the NBD client of $1 did not connect"
		sleep 0.1
	done
}

# sessions_of NAME — how many sessions `lanroot status` lists for NAME.
sessions_of() {
	lanroot -c "$conf" status --json |
		"$PYTHON" -c 'import json, sys; print(sum(s["client"] == sys.argv[1] for s in json.load(sys.stdin)["sessions"]))' "$1"
}
# ---- end of helpers ----

nbd_setup persistent
v1=$state/images/lab/1

blockd_start
hold pc01
# The group moves on to version 2; pc01 keeps version 1 until it reboots.
$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>&1
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
