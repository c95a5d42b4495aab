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
token=${export##*/}
public=${export%/*}

blockd_start
json_valid lanroot -c "$conf" status --json
json_true 'd["blockd"]["state"] == "running"'
json_true "d['blockd']['pid'] == $blockd_pid"
json_true 'd["sessions"] == [] and d["versions_in_use"] == []'

hold pc01
json_valid lanroot -c "$conf" status --json
json_true 'len(d["sessions"]) == 1'
json_true 'd["sessions"][0]["client"] == "pc01"'
json_true 'd["sessions"][0]["mac"] == "52:54:00:00:00:01"'
json_true "d['sessions'][0]['export'] == '$public'"
json_true 'd["sessions"][0]["address"].startswith("127.0.0.1:")'
json_true '[(v["image"], v["version"], v["sessions"]) for v in d["versions_in_use"]] == [("lab", 1, 1)]'
grep -q "$token" "$tmp/json" && fail "status --json shows the client's token"

lanroot -c "$conf" status >"$tmp/out"
grep -q "^blockd: *running ($ctl), pid $blockd_pid" "$tmp/out" || { cat "$tmp/out"; fail "status: blockd line"; }
grep -q "^sessions: *1$" "$tmp/out" || { cat "$tmp/out"; fail "status: session count"; }
grep -q "CLIENT *EXPORT *ADDRESS *SINCE *READ *WRITTEN *REQUESTS" "$tmp/out" || { cat "$tmp/out"; fail "status: table head"; }
grep -q "^ *pc01 *$public *127\.0\.0\.1:[0-9]* *20[0-9-]*T" "$tmp/out" || { cat "$tmp/out"; fail "status: session row"; }
grep -q "^ *lab@1 *1 session$" "$tmp/out" || { cat "$tmp/out"; fail "status: versions in use"; }
grep -q "$token" "$tmp/out" && fail "status shows the client's token"

# blockd stops: status works and has no sessions.
blockd_stop
json_valid lanroot -c "$conf" status --json
json_true 'd["blockd"]["state"] == "not running"'
json_true 'd["sessions"] == [] and d["versions_in_use"] == []'
lanroot -c "$conf" status >"$tmp/out"
grep -q "^sessions: *none (lanroot-blockd is not running)" "$tmp/out" || { cat "$tmp/out"; fail "status after stop"; }
