#!/bin/sh
# HTTP with a file larger than 32 MiB (48 MiB + 1 byte): a whole GET, four
# at once, and ranges beyond 32 MiB and at the very end return the exact
# bytes.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
size=50331649
head -c $size /dev/urandom >"$tmp/tftp/big.bin"
want=$(sha256sum <"$tmp/tftp/big.bin")
bootd_start
url=$http_url/big.bin

curl -sS -f -o "$tmp/out" "$url" || fail "GET failed"
[ "$(sha256sum <"$tmp/out")" = "$want" ] || fail "GET: wrong bytes"

pids=
for i in 1 2 3 4; do
	curl -sS -f -o "$tmp/out$i" "$url" &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "a parallel GET failed"
done
for i in 1 2 3 4; do
	[ "$(sha256sum <"$tmp/out$i")" = "$want" ] || fail "parallel GET $i: wrong bytes"
done

# range FIRST LAST — those bytes exactly.
range() {
	curl -sS -f -r "$1-$2" -o "$tmp/part" "$url" || fail "Range $1-$2 failed"
	tail -c +$(($1 + 1)) "$tmp/tftp/big.bin" | head -c $(($2 - $1 + 1)) >"$tmp/want"
	cmp -s "$tmp/part" "$tmp/want" || fail "Range $1-$2: wrong bytes"
}
range 33554432 33619967
range 40000000 49999999
range $((size - 1)) $((size - 1))
bootd_stop
