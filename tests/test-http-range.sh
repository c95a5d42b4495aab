#!/bin/sh
# HTTP Range requests (RFC 9110 section 14): the first bytes, the middle, a
# suffix (-N), an open end (N-) each get 206 with Content-Range and exactly
# those bytes; a range past the end gets 416 with "Content-Range: bytes
# */SIZE"; several ranges get the whole file (200); a malformed Range is
# ignored (200); If-Range with another date sends the whole file.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
head -c 100000 /dev/urandom >"$tmp/tftp/blob.bin"
bootd_start
url=$http_url/blob.bin

# range SPEC STATUS CONTENT-RANGE FIRST LEN — "Range: bytes=SPEC" gets
# STATUS, the Content-Range header (or "-" for none) and LEN bytes from
# offset FIRST of the file.
range() {
	code=$(curl -sS -o "$tmp/body" -D "$tmp/hdr.raw" -w '%{http_code}' \
		-H "Range: bytes=$1" "$url") || fail "Range $1: curl failed"
	tr -d '\r' <"$tmp/hdr.raw" >"$tmp/hdr"
	[ "$code" = "$2" ] || { cat "$tmp/hdr"; fail "Range $1: status $code, expected $2"; }
	if [ "$3" = - ]; then
		grep -qi '^content-range:' "$tmp/hdr" && { cat "$tmp/hdr"; fail "Range $1: a Content-Range"; }
	else
		grep -qix "content-range: $3" "$tmp/hdr" ||
			{ cat "$tmp/hdr"; fail "Range $1: Content-Range is not '$3'"; }
	fi
	grep -qix "content-length: $5" "$tmp/hdr" || { cat "$tmp/hdr"; fail "Range $1: length is not $5"; }
	if [ "$2" != 416 ]; then
		dd if="$tmp/tftp/blob.bin" of="$tmp/want" bs=1 skip="$4" count="$5" 2>/dev/null
		cmp -s "$tmp/body" "$tmp/want" || fail "Range $1: wrong bytes"
	fi
}

range 0-99 206 'bytes 0-99/100000' 0 100
range 50000-50999 206 'bytes 50000-50999/100000' 50000 1000
range -500 206 'bytes 99500-99999/100000' 99500 500
range 99000- 206 'bytes 99000-99999/100000' 99000 1000
range 99999-200000 206 'bytes 99999-99999/100000' 99999 1
range -200000 206 'bytes 0-99999/100000' 0 100000
range 100000- 416 'bytes \*/100000' 0 26
range 200000-300000 416 'bytes \*/100000' 0 26
range 0-9,20-29 200 - 0 100000
range 9-3 200 - 0 100000
range abc 200 - 0 100000

# If-Range: our Last-Modified → the range; another date → everything.
lm=$(curl -sS -I "$url" | tr -d '\r' | sed -n 's/^[Ll]ast-[Mm]odified: //p')
[ -n "$lm" ] || fail "no Last-Modified"
code=$(curl -sS -o "$tmp/body" -w '%{http_code}' -H 'Range: bytes=0-9' -H "If-Range: $lm" "$url")
[ "$code" = 206 ] && [ "$(wc -c <"$tmp/body")" -eq 10 ] || fail "If-Range with the current date: $code"
code=$(curl -sS -o "$tmp/body" -w '%{http_code}' -H 'Range: bytes=0-9' \
	-H 'If-Range: Mon, 01 Jan 2001 00:00:00 GMT' "$url")
[ "$code" = 200 ] && [ "$(wc -c <"$tmp/body")" -eq 100000 ] || fail "If-Range with an old date: $code"
bootd_stop
