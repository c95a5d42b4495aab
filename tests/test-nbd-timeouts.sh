#!/bin/sh
# lanroot-blockd's timeouts, with handshake_timeout = 2 and idle_timeout = 2:
#   - a connection that sends nothing after the greeting, or stops in the
#     middle of an option, is closed 2-3 s later (nbd.handshake_timeout);
#   - a libnbd session that sends no request for 2 s is closed
#     (nbd.idle_timeout), its unflushed write kept (the overlay is flushed
#     on close), and the client's next connection works; a session that
#     keeps sending requests every 0.5 s is not closed.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf "handshake_timeout = 2" "idle_timeout = 2"
nbd_setup persistent
blockd_start

# Handshake timeout: two raw connections (no real client stalls like this).
"$PYTHON" - "$nbd_port" <<'EOF' || fail "handshake timeout"
import socket, struct, sys, threading, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
port = int(sys.argv[1])
NBD_IHAVEOPT = 0x49484156454f5054
NBD_FLAG_C_FIXED_NEWSTYLE = 1
NBD_OPT_GO = 7
errors = []

def closed_after(name, stall):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    greeting = b""
    while len(greeting) < 18:
        greeting += s.recv(18 - len(greeting))
    t = time.monotonic()
    stall(s)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        errors.append("%s: still open after 10 s" % name)
        return
    took = time.monotonic() - t
    print("%s: closed after %.1f s" % (name, took))
    if not 1.5 <= took <= 4.5:
        errors.append("%s: closed after %.1f s, expected 2-3 s" % (name, took))

def silent(s):
    pass

def half_option(s):
    s.sendall(struct.pack(">I", NBD_FLAG_C_FIXED_NEWSTYLE) + struct.pack(">QI", NBD_IHAVEOPT, NBD_OPT_GO))

ts = [threading.Thread(target=closed_after, args=a)
      for a in (("silent after the greeting", silent), ("half an option header", half_option))]
for t in ts:
    t.start()
for t in ts:
    t.join()
if errors:
    sys.exit("\n".join(errors))
EOF
n=$(grep -c 'event=nbd.handshake_timeout .*seconds=2' "$tmp/blockd.log" || true)
[ "$n" -eq 2 ] || { cat "$tmp/blockd.log"; fail "$n nbd.handshake_timeout events, expected 2"; }

# Idle timeout.
"$PYTHON" - "nbd://127.0.0.1:$nbd_port/$export" <<'EOF' || fail "idle timeout"
import nbd, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
uri = sys.argv[1]
idle, busy = nbd.NBD(), nbd.NBD()
idle.connect_uri(uri)
busy.connect_uri(uri)
idle.pwrite(b"written before the idle timeout", 4096)      # not flushed
for _ in range(10):                 # 5 s: busy keeps sending, idle sends nothing
    busy.pread(512, 0)
    time.sleep(0.5)
try:
    idle.pread(512, 0)
except nbd.Error as e:
    print("idle session closed: %s" % e.string)
else:
    sys.exit("a session idle for 5 s was not closed (idle_timeout = 2)")
try:
    busy.pread(512, 0)
except nbd.Error as e:
    sys.exit("a busy session was closed: %s" % e.string)
again = nbd.NBD()
again.connect_uri(uri)
got = again.pread(31, 4096)
if got != b"written before the idle timeout":
    sys.exit("after the idle timeout the client reads %r" % got)
again.shutdown()
busy.shutdown()
EOF
grep -q 'event=nbd.idle_timeout .*client=pc01 seconds=2' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "no nbd.idle_timeout event"; }
blockd_stop
