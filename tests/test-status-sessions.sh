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
