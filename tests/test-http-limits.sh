#!/bin/sh
# HTTP connection limits: with [http] max_connections = 4, four open
# connections are served and a fifth gets no answer (it waits in the listen
# queue) until one of the four goes, then it is served; one address may
# hold at most 64 connections (with max_connections = 100, the 65th is
# closed unanswered).
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env http.max_connections=4
printf 'hello\n' >"$tmp/tftp/hello.txt"
bootd_start

# limit_check N — N keep-alive connections answer; the next one gets no
# answer (it is closed, or waits in the listen queue) until one of the N
# goes, then it, or a new connection, is served.
limit_check() {
	"$PYTHON" - "$HTTP_PORT" "$1" <<'EOP' || fail "the limit of $1 connections does not hold"
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
REQ = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"

def answer(s, timeout):
    """Read a reply on s: "ok" (a 200), "closed" or "waiting" (nothing yet)."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"hello\n" not in data:
            d = s.recv(4096)
            if not d:
                return "closed"
            data += d
    except socket.timeout:
        return "waiting"
    except ConnectionResetError:
        return "closed"
    return "ok" if data.startswith(b"HTTP/1.1 200") else "closed"

def ask(s, timeout=10):
    try:
        s.sendall(REQ)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    return answer(s, timeout)

held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert ask(s) == "ok", "connection %d of %d was not served" % (i + 1, n)
    held.append(s)
extra = socket.create_connection(("127.0.0.1", port), timeout=10)
state = ask(extra, 1)
assert state != "ok", "connection %d was served over the limit" % (n + 1)
held.pop().close()
if state == "waiting":
    assert answer(extra, 10) == "ok", "the waiting connection was not served"
else:
    time.sleep(0.5)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert ask(s) == "ok", "no connection after one closed"
for h in held:
    assert ask(h) == "ok", "a held connection stopped working"
print("limit %d: connection %d was %s" % (n, n + 1, state))
EOP
}

limit_check 4
bootd_stop

conf_set http max_connections 100
bootd_start
limit_check 64
bootd_stop
