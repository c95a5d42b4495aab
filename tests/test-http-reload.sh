#!/bin/sh
# HTTP settings on reload: max_connections lowered from 10 to 2 holds at
# once (a third connection is closed unanswered and counted as refused);
# a new timeout (2 s) applies to new connections; a new port needs a
# restart, so the old port goes on serving and the log says so.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env http.max_connections=10
printf 'hello\n' >"$tmp/tftp/hello.txt"
bootd_start

conf_set http max_connections 2
conf_set http timeout 2
bootd_call reload

"$PYTHON" - "$HTTP_PORT" <<'EOP' || fail "the reloaded limits do not hold"
import socket, sys, time
port = int(sys.argv[1])
REQ = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"

def ask(s):
    """One request on s: True for a 200, False when closed unanswered."""
    try:
        s.sendall(REQ)
        data = b""
        while b"hello\n" not in data:
            d = s.recv(4096)
            if not d:
                return False
            data += d
        return data.startswith(b"HTTP/1.1 200")
    except (ConnectionResetError, BrokenPipeError):
        return False

held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(2)]
for s in held:
    assert ask(s), "one of two connections was not served"
third = socket.create_connection(("127.0.0.1", port), timeout=10)
assert not ask(third), "a third connection was served over max_connections = 2"
for s in held:
    s.close()
time.sleep(0.5)
# The new timeout: an idle new connection is closed after about 2 s.
idle = socket.create_connection(("127.0.0.1", port), timeout=10)
start = time.monotonic()
try:
    assert idle.recv(1) == b""
except ConnectionResetError:
    pass
took = time.monotonic() - start
assert 1.5 <= took < 8, "idle connection closed after %.1f s" % took
EOP
bootd_call status
json_true 'd["http"]["refused"] >= 1 and d["http"]["max_connections"] == 2'

old_port=$HTTP_PORT
conf_set http port "$(free_port)"
bootd_ctl_cmd '{"cmd":"reload"}' >/dev/null || true
wait_until "a restart-needed message" grep -qi 'restart' "$tmp/bootd.log"
curl -sS -f -o /dev/null "http://127.0.0.1:$old_port/hello.txt" || fail "the old port stopped serving"
bootd_stop
