#!/bin/sh
# HTTP events and counters: every finished request logs an http.get event
# with the client's IP, the path, the status, the body bytes and the time
# taken (and the MAC given by ?mac=); the control call "status" counts the
# requests and the bytes.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
head -c 100000 /dev/urandom >"$tmp/tftp/blob.bin"
bootd_start

curl -sS -f -o /dev/null "$http_url/blob.bin" || fail "GET failed"
curl -sS -f -o /dev/null "$http_url/blob.bin?mac=52-54-00-00-00-07" || fail "GET with ?mac= failed"
curl -sS -f -r 0-9 -o /dev/null "$http_url/blob.bin" || fail "GET of a range failed"
curl -sS -o /dev/null "$http_url/missing.bin" || fail "GET of a missing file failed"

# event PATTERN… — one http.get line matches every PATTERN.
event() {
	grep 'event=http.get' "$tmp/bootd.log" >"$tmp/ev"
	for p in "$@"; do
		grep -e "$p" "$tmp/ev" >"$tmp/ev.next" || true
		mv "$tmp/ev.next" "$tmp/ev"
	done
	[ -s "$tmp/ev" ] || { grep 'http' "$tmp/bootd.log"; fail "no http.get event with: $*"; }
}
wait_until "the last event" grep -q 'path=/missing.bin' "$tmp/bootd.log"
event 'ip=127.0.0.1' 'path=/blob.bin ' 'status=200' 'bytes=100000 ' 'seconds='
event 'mac=52-54-00-00-00-07' 'status=200' 'bytes=100000 '
event 'path=/blob.bin ' 'status=206' 'bytes=10 '
event 'path=/missing.bin' 'status=404' 'bytes=0 '

bootd_call status
json_true 'd["http"]["requests"] >= 4'
json_true 'd["http"]["bytes"] >= 200010'
json_true 'd["http"]["errors"] >= 1'
bootd_stop
