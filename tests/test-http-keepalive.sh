#!/bin/sh
# HTTP keep-alive: curl fetching two URLs reuses its connection, also after
# a 206 and a 404, and 200 requests in a row go over one connection.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
head -c 100000 /dev/urandom >"$tmp/tftp/a.bin"
head -c 5000 /dev/urandom >"$tmp/tftp/b.bin"
bootd_start

curl -sS -v -o /dev/null -o /dev/null "$http_url/a.bin" "$http_url/b.bin" 2>"$tmp/v" || fail "curl failed"
grep -q 'Re-using existing connection' "$tmp/v" || { cat "$tmp/v"; fail "the connection was not reused"; }

curl -sS -v -r 0-9 -o /dev/null -o /dev/null "$http_url/a.bin" "$http_url/b.bin" 2>"$tmp/v" || fail "curl failed"
grep -q 'Re-using existing connection' "$tmp/v" || { cat "$tmp/v"; fail "no reuse after a 206"; }

curl -sS -v -o /dev/null -o /dev/null "$http_url/missing" "$http_url/b.bin" 2>"$tmp/v" || fail "curl failed"
grep -q '< HTTP/1.1 404' "$tmp/v" || { cat "$tmp/v"; fail "no 404 for a missing file"; }
grep -q 'Re-using existing connection' "$tmp/v" || { cat "$tmp/v"; fail "no reuse after a 404"; }

"$PYTHON" - "$HTTP_PORT" <<'EOP' || fail "200 requests on one connection failed"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.connect()
sock = c.sock
for i in range(200):
    c.request("GET", "/b.bin" if i % 2 else "/a.bin")
    r = c.getresponse()
    assert r.status == 200, r.status
    r.read()
    assert c.sock is sock, "reconnected at request %d" % i
EOP
bootd_stop
