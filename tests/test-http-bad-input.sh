#!/bin/sh
# HTTP bad input: a NUL (%00), control characters or malformed %-escapes in
# the path get 400; methods other than GET and HEAD get 405 with "Allow:
# GET, HEAD"; a request line or headers too big for a connection's memory
# get 414 or 431; garbage bytes, an unknown HTTP version and requests cut
# short get an error or a close (libmicrohttpd sometimes keeps a connection
# that sent binary garbage until the idle timeout, 3 s here); /status,
# /api/ and /metrics are 404 until they exist.  Through all of it the
# server keeps serving everyone else.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env http.timeout=3
head -c 100000 /dev/urandom >"$tmp/tftp/blob.bin"
printf 'x\n' >"$tmp/tftp/status.txt"
bootd_start

"$PYTHON" - "$HTTP_PORT" <<'EOP' || fail "bad input was not answered as expected"
import socket, sys, time
port = int(sys.argv[1])

def send(raw, close=True):
    """Send raw bytes; return the reply's status code (0 = closed without one)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(raw)
        if close:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass    # the server may answer and close before all of it is sent
    data = b""
    try:
        while b"\r\n" not in data:
            d = s.recv(65536)
            if not d:
                break
            data += d
        reply = data
        while True:
            d = s.recv(65536)
            if not d:
                break
            reply += d
    except ConnectionResetError:
        reply = data
    s.close()
    if not data.startswith(b"HTTP/1."):
        return 0, reply
    return int(data.split()[1]), reply

def expect(raw, codes, what):
    code, reply = send(raw)
    print(what, code)
    assert code in codes, "%s: %d, expected one of %s" % (what, code, codes)
    return reply

def get(target, codes, what=None):
    return expect(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                  codes, what or target.decode(errors="replace"))

get(b"/blob.bin%00", (400,))
get(b"/blob.bin%00.png", (400,))
get(b"/%00/blob.bin", (400,))
get(b"/blob%0a.bin", (400,))
get(b"/blob%0d%0a.bin", (400,))
get(b"/blob%7f.bin", (400,))
get(b"/blob.bin%", (400,))
get(b"/blob.bin%4", (400,))
get(b"/blob.bin%zz", (400,))
get(b"*", (400, 404))
get(b"blob.bin", (400,))
for m in (b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"BREW"):
    r = expect(m + b" /blob.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
               (405,), m.decode())
    assert b"\r\nAllow: GET, HEAD\r\n" in r, r
for p in (b"/status", b"/api/", b"/api/v1/clients", b"/metrics"):
    get(p, (404,))
get(b"/status.txt", (200,))
get(b"/" + b"a" * 100000, (414, 400, 431), "a 100 KB path")
expect(b"GET /blob.bin HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100000 + b"\r\n\r\n",
       (431, 400, 413), "a 100 KB header")
expect(b"GET /blob.bin HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n",
       (431, 400, 413), "20000 headers")
expect(b"\x00\x01\x02\xff garbage\r\n\r\n", (0, 400, 405, 501, 505), "garbage bytes")
expect(b"GET /blob.bin HTTP/7.3\r\nHost: x\r\n\r\n", (0, 400, 505), "HTTP/7.3")
expect(b"GET /blob.bin\r\n\r\n", (0, 400, 505), "no version")
expect(b"GET /blob.bin HTTP/1.1\r\nBad Header Line\r\n\r\n", (0, 400), "a header without ':'")
expect(b"GET /blob.bin HTT", (0, 400), "a request cut short")
expect(b"", (0,), "an empty connection")
# Half a request, and the client never comes back: the server must not wait on it.
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
for s in idle:
    s.sendall(b"GET /blob.bin HTTP/1.1\r\nHo")
get(b"/blob.bin", (200,), "a good request beside 20 stalled ones")
for s in idle:
    s.close()
EOP

# Everyone else is still served, with the right bytes.
curl -sS -f -o "$tmp/out" "$http_url/blob.bin" || fail "no longer serving"
cmp -s "$tmp/out" "$tmp/tftp/blob.bin" || fail "wrong bytes after bad input"
kill -0 "$bootd_pid" || fail "lanroot-bootd died"
bootd_stop
