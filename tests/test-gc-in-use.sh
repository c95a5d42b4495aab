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
