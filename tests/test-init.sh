#!/bin/sh
# lanroot init makes the state directory and a config file with state_dir
# and [server] address, and a second run changes nothing and says so.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir

conf=$tmp/etc/lanroot.conf
state=$tmp/state
lanroot -c "$conf" --state "$state" init --address 192.0.2.10 >"$tmp/out"
grep -q "created state directory $state" "$tmp/out" || { cat "$tmp/out"; fail "no 'created' line"; }
grep -q "wrote config $conf" "$tmp/out" || { cat "$tmp/out"; fail "no 'wrote config' line"; }
[ -f "$state/registry.db" ] && [ -d "$state/images" ] && [ -d "$state/overlays" ] &&
	[ -d "$state/tmp" ] || fail "state layout incomplete"
[ "$(stat -c %a "$state/secret")" = 600 ] || fail "secret is not 0600"
grep -q "^state_dir *= *$state\$" "$conf" || { cat "$conf"; fail "config lacks state_dir"; }
grep -q "^address *= *192.0.2.10$" "$conf" || { cat "$conf"; fail "config lacks [server] address"; }
cp "$state/secret" "$tmp/secret.1"
cp "$conf" "$tmp/conf.1"

# The config alone now finds the state directory; init again is a no-op.
lanroot -c "$conf" init >"$tmp/out"
grep -q "already initialised" "$tmp/out" || { cat "$tmp/out"; fail "second init"; }
cmp "$state/secret" "$tmp/secret.1" || fail "the secret was replaced"
cmp "$conf" "$tmp/conf.1" || fail "the config was rewritten"
lanroot -c "$conf" status >"$tmp/out"
grep -q "state directory: *$state" "$tmp/out" || { cat "$tmp/out"; fail "status"; }
grep -q "blockd: *not running" "$tmp/out" || { cat "$tmp/out"; fail "status: blockd"; }

# The audit trail has the init.
requires sqlite3 -version
[ "$(sqlite3 "$state/registry.db" "SELECT count(*) FROM audit WHERE action = 'lanroot.init'")" = 1 ] ||
	fail "init is not audited once"

# A config with an error is reported with file and line.
printf '[lanroot]\nstate_dir = %s\nprot = 3\n' "$state" >"$tmp/bad.conf"
expect_status 1 lanroot -c "$tmp/bad.conf" status
grep_err "bad.conf:3"
