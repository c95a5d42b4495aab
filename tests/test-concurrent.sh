#!/bin/sh
# Two lanroot processes changing the registry at once: concurrent imports
# of the same image get distinct versions, concurrent adds all succeed, and
# the database stays intact.
. "${top_srcdir:-.}/tests/functions.sh"
requires sqlite3 -version
requires "$PYTHON" --version
mktmpdir
lanroot_env

$LR init
head -c 4194304 /dev/urandom >"$tmp/a.img"
head -c 4194304 /dev/urandom >"$tmp/b.img"

$LR image import lab "$tmp/a.img" --format raw 2>"$tmp/err.a" & pa=$!
$LR image import lab "$tmp/b.img" --format raw 2>"$tmp/err.b" & pb=$!
wait $pa || { cat "$tmp/err.a"; fail "import a failed"; }
wait $pb || { cat "$tmp/err.b"; fail "import b failed"; }
[ "$($LR image versions lab --json | "$PYTHON" -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(sys.stdin)))')" = "1 2" ] ||
	fail "the two imports are not versions 1 and 2"
$LR image verify lab >/dev/null || fail "verify after concurrent imports"

# Eight group adds and eight client adds at once.
pids=""
for i in 1 2 3 4 5 6 7 8; do
	$LR group add "g$i" --image lab 2>"$tmp/err.g$i" & pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent group add failed: $(cat "$tmp"/err.g*)"; done
pids=""
for i in 1 2 3 4 5 6 7 8; do
	$LR client add "52:54:00:00:00:0$i" --name "pc$i" --group "g$i" 2>"$tmp/err.c$i" & pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent client add failed: $(cat "$tmp"/err.c*)"; done
[ "$($LR group list --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 8 ] ||
	fail "not 8 groups"
[ "$($LR client list --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 8 ] ||
	fail "not 8 clients"

# Two adds of the same name at once: exactly one wins.
$LR group add same --image lab 2>"$tmp/err.s1" & p1=$!
$LR group add same --image lab 2>"$tmp/err.s2" & p2=$!
ok=0
wait $p1 && ok=$((ok + 1))
wait $p2 && ok=$((ok + 1))
[ "$ok" = 1 ] || fail "$ok of two adds of the same group succeeded"

[ "$(sqlite3 "$state/registry.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
