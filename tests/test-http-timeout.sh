#!/bin/sh
# HTTP idle timeout ([http] timeout = 2): a connection that sends nothing,
# one that stops halfway through its request and a keep-alive connection
# after its reply are all closed by the server within a few seconds, while
# a slow download taking longer than the timeout completes.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env http.timeout=2
head -c 4000000 /dev/urandom >"$tmp/tftp/blob.bin"
printf 'hello\n' >"$tmp/tftp/hello.txt"
bootd_start

curl -sS -f --limit-rate 1M -o "$tmp/slow" "$http_url/blob.bin" &
slow_pid=$!
cleanup_fn "kill $slow_pid 2>/dev/null"

"$PYTHON" - "$HTTP_PORT" <<'EOP' || fail "idle connections were not closed"
import socket, sys, time
port = int(sys.argv[1])
silent = socket.create_connection(("127.0.0.1", port))
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"GET /hello.txt HTTP/1.1\r\nHo")
kept = socket.create_connection(("127.0.0.1", port))
kept.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
start = time.monotonic()
for name, s in (("silent", silent), ("half", half), ("kept", kept)):
    s.settimeout(10)
    data = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except socket.timeout:
        raise SystemExit("%s: still open after 10 s" % name)
    except ConnectionResetError:
        pass
    if name == "kept":
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello\n"), data
took = time.monotonic() - start
print("closed after %.1f s" % took)
assert took >= 1.5, "closed too early (%.1f s)" % took
EOP

wait $slow_pid || fail "the slow download was cut"
cmp -s "$tmp/slow" "$tmp/tftp/blob.bin" || fail "the slow download is corrupt"
bootd_stop
