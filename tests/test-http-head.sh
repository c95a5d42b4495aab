#!/bin/sh
# HTTP HEAD: the headers of the GET (Content-Length, Last-Modified,
# Accept-Ranges) and no body — a GET on the same connection right after it
# gets its own reply, not stray body bytes.  A Range on a HEAD is ignored.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
head -c 1234567 /dev/urandom >"$tmp/tftp/blob.bin"
bootd_start

curl -sS -f -I "$http_url/blob.bin" | tr -d '\r' >"$tmp/hdr" ||
	fail "HEAD failed"
grep -qix 'content-length: 1234567' "$tmp/hdr" || { cat "$tmp/hdr"; fail "HEAD: no Content-Length"; }
grep -qi '^last-modified: ' "$tmp/hdr" || { cat "$tmp/hdr"; fail "HEAD: no Last-Modified"; }

"$PYTHON" - "$HTTP_PORT" "$tmp/tftp/blob.bin" <<'EOP' || fail "HEAD then GET on one connection failed"
import hashlib, http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("HEAD", "/blob.bin")
r = c.getresponse()
assert r.status == 200, r.status
assert r.getheader("Content-Length") == "1234567", r.getheaders()
assert r.read() == b""
c.request("HEAD", "/blob.bin", headers={"Range": "bytes=0-9"})
r = c.getresponse()
assert r.status == 200 and r.getheader("Content-Length") == "1234567", (r.status, r.getheaders())
r.read()
# The same connection: the GET's reply must start right after the HEAD's.
c.request("GET", "/blob.bin")
r = c.getresponse()
assert r.status == 200, r.status
body = r.read()
assert hashlib.sha256(body).digest() == hashlib.sha256(open(sys.argv[2], "rb").read()).digest()
EOP
bootd_stop
