#!/bin/sh
# HTTP GET of files beneath the TFTP root: the bytes are the file's (sha256),
# with Content-Length, Content-Type, Accept-Ranges: bytes and the file's
# modification time as Last-Modified; names in subdirectories and
# %-encoded names work; an empty file is an empty 200.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
mkdir -p "$tmp/tftp/sub dir"
head -c 3000000 /dev/urandom >"$tmp/tftp/blob.bin"
head -c 777 /dev/urandom >"$tmp/tftp/sub dir/a b.bin"
: >"$tmp/tftp/empty"
touch -d '2024-02-29 23:59:59 UTC' "$tmp/tftp/blob.bin"
bootd_start

# get PATH FILE — fetch PATH, headers to $tmp/hdr (no CRs), body to $tmp/body;
# its sha256 must be FILE's.
get() {
	curl -sS -f -D "$tmp/hdr.raw" -o "$tmp/body" "$http_url$1" || fail "GET $1 failed"
	tr -d '\r' <"$tmp/hdr.raw" >"$tmp/hdr"
	[ "$(sha256sum <"$tmp/body")" = "$(sha256sum <"$2")" ] || fail "GET $1: wrong bytes"
}

# hdr LINE — the last reply's headers have LINE (case-insensitive name).
hdr() {
	grep -qix -e "$1" "$tmp/hdr" || { cat "$tmp/hdr"; fail "no header '$1'"; }
}

get /blob.bin "$tmp/tftp/blob.bin"
hdr 'HTTP/1.1 200 OK'
hdr 'content-length: 3000000'
hdr 'accept-ranges: bytes'
hdr 'content-type: application/octet-stream'
hdr 'last-modified: Thu, 29 Feb 2024 23:59:59 GMT'

get '/sub%20dir/a%20b.bin' "$tmp/tftp/sub dir/a b.bin"
hdr 'content-length: 777'

get /empty "$tmp/tftp/empty"
hdr 'HTTP/1.1 200 OK'
hdr 'content-length: 0'

# A query string does not change which file is served.
get '/blob.bin?x=1&y' "$tmp/tftp/blob.bin"
bootd_stop
