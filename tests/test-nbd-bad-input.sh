#!/bin/sh
# Bad protocol input gets the specification's error or a closed connection,
# and everyone else keeps being served.  Each case is one Python function
# speaking raw NBD over a socket (only for what no real client sends);
# meanwhile an nbdsh client (client pc02) reads and checks data on its own
# connection, and after each case it must have been served again and a new
# libnbd connection must work.  The cases:
#   handshake: closed before/in the client flags; a wrong IHAVEOPT magic
#   (closed); unknown option 999 (NBD_REP_ERR_UNSUP, then a GO works); an
#   option of 100 KiB (NBD_REP_ERR_TOO_BIG, skipped, still in step) and one
#   of 0x7fffffff bytes (closed); NBD_OPT_EXPORT_NAME with a bad name
#   (closed);
#   transmission: a wrong request magic (closed); READ past the end and
#   with offset + length over 2^64 (EINVAL); a 64 MiB WRITE (closed); an
#   unknown command 99 (EINVAL); a WRITE to a read-only export (EPERM, its
#   payload skipped); a request after NBD_CMD_DISC (no reply, closed);
#   10,000 READs of 1 MiB whose replies are never read (blockd's RSS stays
#   under 200 MiB and the others are served).
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdsh --version
mktmpdir
lanroot_env
blockd_conf
nbd_setup persistent
nbd_client_add pc02 52:54:00:00:00:02
$LR group add ro --image lab --mode volatile >/dev/null
nbd_client_add pc03 52:54:00:00:00:03 ro
# ASan keeps freed memory in a quarantine (256 MiB by default), which would
# count in the RSS measured below: keep it small.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
export ASAN_OPTIONS
blockd_start

# The bystander: nbdsh on pc02, reading 64 KiB pieces and comparing them
# with the base; $tmp/served counts its reads.
cat >"$tmp/bystander.py" <<'EOF'
import os, sys
base = open(os.environ["BASE"], "rb").read()
served = os.environ["SERVED"]
n = 0
while True:
    off = (n * 65536 * 7) % (len(base) - 65536)
    if h.pread(65536, off) != base[off:off + 65536]:
        sys.exit("bystander: offset %d reads wrong data" % off)
    n += 1
    with open(served + ".new", "w") as f:
        f.write("%d\n" % n)
    os.rename(served + ".new", served)
EOF
BASE=$tmp/base.img SERVED=$tmp/served nbdsh -u "nbd://127.0.0.1:$nbd_port/$(nbd_export pc02)" \
	-c "exec(open('$tmp/bystander.py').read())" 2>"$tmp/bystander.err" &
bystander=$!
cleanup_fn "kill $bystander 2>/dev/null"

cat >"$tmp/bad.py" <<'EOF'
import errno, nbd, os, socket, struct, sys, time
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
port, export, ro_export, served, blockd_pid, bystander = sys.argv[1:7]
port, blockd_pid, bystander = int(port), int(blockd_pid), int(bystander)

# Constants of nbd/nbd-proto.h and nbd/server.h.
NBD_MAGIC = 0x4e42444d41474943
NBD_IHAVEOPT = 0x49484156454f5054
NBD_REP_MAGIC = 0x0003e889045565a9
NBD_REQUEST_MAGIC = 0x25609513
NBD_SIMPLE_REPLY_MAGIC = 0x67446698
NBD_FLAG_FIXED_NEWSTYLE = 1 << 0
NBD_FLAG_NO_ZEROES = 1 << 1
NBD_FLAG_C_FIXED_NEWSTYLE = 1 << 0
NBD_FLAG_C_NO_ZEROES = 1 << 1
NBD_FLAG_READ_ONLY = 1 << 1
NBD_OPT_EXPORT_NAME, NBD_OPT_GO, NBD_OPT_STRUCTURED_REPLY = 1, 7, 8
NBD_REP_ACK, NBD_REP_INFO = 1, 3
NBD_REP_ERR_UNSUP = 0x80000001
NBD_REP_ERR_TOO_BIG = 0x80000009
NBD_INFO_EXPORT = 0
NBD_CMD_READ, NBD_CMD_WRITE, NBD_CMD_DISC = 0, 1, 2
NBD_EPERM, NBD_EINVAL = 1, 22
NBD_MAX_PAYLOAD = 32 << 20
MiB = 1 << 20

def die(msg):
    sys.exit("FAIL: " + msg)

class Conn:
    """A raw NBD connection to blockd."""
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
    def send(self, data):
        self.s.sendall(data)
    def recv(self, n):
        buf = b""
        while len(buf) < n:
            d = self.s.recv(n - len(buf))
            if not d:
                die("blockd closed the connection after %d of %d bytes" % (len(buf), n))
            buf += d
        return buf
    def greeting(self):
        magic, opt, flags = struct.unpack(">QQH", self.recv(18))
        if magic != NBD_MAGIC or opt != NBD_IHAVEOPT or not flags & NBD_FLAG_FIXED_NEWSTYLE:
            die("bad greeting %x %x %x" % (magic, opt, flags))
        self.send(struct.pack(">I", NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES))
    def option(self, opt, payload=b"", length=None, magic=NBD_IHAVEOPT):
        self.send(struct.pack(">QII", magic, opt, len(payload) if length is None else length)
                  + payload)
    def reply(self):
        magic, opt, rtype, length = struct.unpack(">QIII", self.recv(20))
        if magic != NBD_REP_MAGIC:
            die("option reply magic %x" % magic)
        return opt, rtype, self.recv(length)
    def go(self, name):
        """NBD_OPT_GO; return (size, transmission flags)."""
        e = name.encode()
        self.option(NBD_OPT_GO, struct.pack(">I", len(e)) + e + struct.pack(">H", 0))
        size = None
        while True:
            opt, rtype, data = self.reply()
            if opt != NBD_OPT_GO:
                die("reply to option %d, expected %d" % (opt, NBD_OPT_GO))
            if rtype == NBD_REP_INFO and struct.unpack(">H", data[:2])[0] == NBD_INFO_EXPORT:
                size, tflags = struct.unpack(">QH", data[2:12])
            elif rtype == NBD_REP_ACK:
                if size is None:
                    die("GO acknowledged without NBD_INFO_EXPORT")
                return size, tflags
            elif rtype != NBD_REP_INFO:
                die("GO %s refused: type 0x%x %r" % (name[:40], rtype, data[4:]))
    def request(self, cmd, offset, length, cookie, flags=0, magic=NBD_REQUEST_MAGIC):
        self.send(struct.pack(">IHHQQI", magic, flags, cmd, cookie, offset, length))
    def simple_reply(self):
        magic, error, cookie = struct.unpack(">IIQ", self.recv(16))
        if magic != NBD_SIMPLE_REPLY_MAGIC:
            die("simple reply magic %x" % magic)
        return error, cookie
    def expect_closed(self, what, within=3):
        """blockd must close the connection (EOF or reset) within seconds."""
        self.s.settimeout(within)
        try:
            while self.s.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        except socket.timeout:
            die("%s: blockd did not close the connection within %d s" % (what, within))
        self.s.close()
    def expect_silence(self, what, secs=0.5):
        self.s.settimeout(secs)
        try:
            d = self.s.recv(1)
        except socket.timeout:
            return
        if d:
            die("%s: unexpected bytes from blockd" % what)
    def close(self):
        self.s.close()

def transmission(name=export):
    c = Conn()
    c.greeting()
    size, tflags = c.go(name)
    return c, size, tflags

def read_ok(c, cookie, offset=0, length=512):
    c.request(NBD_CMD_READ, offset, length, cookie)
    error, got = c.simple_reply()
    if error or got != cookie:
        die("READ after the bad input: error %d, cookie %d (want 0, %d)" % (error, got, cookie))
    c.recv(length)

def count():
    try:
        return int(open(served).read())
    except (OSError, ValueError):
        return 0

def others_served(what):
    """The bystander made progress, and a new client connects and reads."""
    if not alive(bystander):
        die("%s: the bystander client died" % what)
    if not alive(blockd_pid):
        die("%s: lanroot-blockd died" % what)
    start, t = count(), time.monotonic()
    while count() < start + 3:
        if time.monotonic() - t > 5:
            die("%s: the bystander was not served for 5 s" % what)
        time.sleep(0.02)
    h = nbd.NBD()
    h.connect_uri("nbd://127.0.0.1:%d/%s" % (port, export))
    h.pread(4096, 0)
    h.shutdown()

def alive(pid):
    """Whether @pid runs (not gone, not a zombie)."""
    try:
        return open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def rss_kib():
    for line in open("/proc/%d/status" % blockd_pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

# ---- the cases -----------------------------------------------------------

def closed_before_flags():
    c = Conn()
    c.recv(18)
    c.send(b"\x00\x00")          # 2 of the 4 bytes of client flags
    c.close()
    Conn().close()               # closed before the greeting was read

def wrong_option_magic():
    c = Conn()
    c.greeting()
    c.option(NBD_OPT_GO, b"\0" * 6, magic=0x4948415645000000)
    c.expect_closed("a wrong IHAVEOPT magic")

def unknown_option():
    c = Conn()
    c.greeting()
    c.option(999, b"abc")
    opt, rtype, data = c.reply()
    if (opt, rtype) != (999, NBD_REP_ERR_UNSUP):
        die("option 999: reply to %d of type 0x%x, want NBD_REP_ERR_UNSUP" % (opt, rtype))
    c.go(export)
    read_ok(c, 7)
    c.close()

def option_too_big():
    c = Conn()
    c.greeting()
    c.option(NBD_OPT_GO, b"x" * (100 * 1024))
    opt, rtype, data = c.reply()
    if (opt, rtype) != (NBD_OPT_GO, NBD_REP_ERR_TOO_BIG):
        die("100 KiB option: reply to %d of type 0x%x, want NBD_REP_ERR_TOO_BIG" % (opt, rtype))
    c.option(NBD_OPT_STRUCTURED_REPLY)   # still in step: the next option is understood
    opt, rtype, data = c.reply()
    if (opt, rtype) != (NBD_OPT_STRUCTURED_REPLY, NBD_REP_ACK):
        die("after the skipped option: reply to %d of type 0x%x" % (opt, rtype))
    c.close()
    c = Conn()
    c.greeting()
    c.option(NBD_OPT_GO, b"x" * 1024, length=0x7fffffff)
    c.expect_closed("an option of 0x7fffffff bytes")

def export_name_bad():
    for name in (b"no-such-export", export.encode()[:-1] + b"0", b"\0" * 10):
        c = Conn()
        c.greeting()
        c.option(NBD_OPT_EXPORT_NAME, name)
        c.expect_closed("NBD_OPT_EXPORT_NAME %r" % name[:20])

def request_bad_magic():
    c, size, tflags = transmission()
    c.request(NBD_CMD_READ, 0, 512, 1, magic=0x25609514)
    c.expect_closed("a request with a wrong magic")

def read_out_of_range():
    c, size, tflags = transmission()
    cases = [(size, 1), (size - 511, 512), (size + MiB, 0), (2**64 - 512, 4096), (2**64 - 1, 1)]
    for i, (off, length) in enumerate(cases, 1):
        c.request(NBD_CMD_READ, off, length, 100 + i)
        error, cookie = c.simple_reply()
        if (error, cookie) != (NBD_EINVAL, 100 + i):
            die("READ offset %d length %d: error %d cookie %d, want EINVAL (%d)"
                % (off, length, error, cookie, NBD_EINVAL))
    read_ok(c, 200, size - 512, 512)     # the very last bytes are fine
    c.close()

def write_too_long():
    c, size, tflags = transmission()
    c.request(NBD_CMD_WRITE, 0, 64 * MiB, 1)
    try:
        c.send(b"\0" * MiB)      # some of the payload; blockd must not wait for it all
    except (ConnectionResetError, BrokenPipeError):
        pass
    c.expect_closed("a 64 MiB WRITE")

def unknown_command():
    c, size, tflags = transmission()
    c.request(99, 0, 512, 5)
    error, cookie = c.simple_reply()
    if (error, cookie) != (NBD_EINVAL, 5):
        die("command 99: error %d cookie %d, want EINVAL" % (error, cookie))
    read_ok(c, 6)
    c.close()

def write_read_only():
    c, size, tflags = transmission(ro_export)
    if not tflags & NBD_FLAG_READ_ONLY:
        die("the volatile export is not read-only (flags 0x%x)" % tflags)
    payload = struct.pack(">IHHQQI", NBD_REQUEST_MAGIC, 0, NBD_CMD_READ, 10, 0, 512) * 300
    c.request(NBD_CMD_WRITE, 0, len(payload), 9)
    c.send(payload)
    error, cookie = c.simple_reply()
    if (error, cookie) != (NBD_EPERM, 9):
        die("WRITE to a read-only export: error %d cookie %d, want EPERM" % (error, cookie))
    read_ok(c, 11)                # the payload (which looked like requests) was skipped
    c.close()

def after_disc():
    c, size, tflags = transmission()
    c.request(NBD_CMD_DISC, 0, 0, 1)
    try:
        c.request(NBD_CMD_READ, 0, 512, 2)
    except (ConnectionResetError, BrokenPipeError):
        pass
    c.s.settimeout(3)
    try:
        d = c.s.recv(65536)
    except ConnectionResetError:
        d = b""
    except socket.timeout:
        die("after NBD_CMD_DISC the connection stays open")
    if d:
        die("a request after NBD_CMD_DISC got %d bytes of reply" % len(d))
    c.close()

def never_reads_replies():
    c, size, tflags = transmission()
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    c.s.setblocking(False)
    reqs = b"".join(struct.pack(">IHHQQI", NBD_REQUEST_MAGIC, 0, NBD_CMD_READ, i, i % 8 * MiB, MiB)
                    for i in range(10000))
    sent, t = 0, time.monotonic()
    peak = before = rss_kib()
    while sent < len(reqs) and time.monotonic() - t < 4:
        try:
            sent += c.s.send(reqs[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        peak = max(peak, rss_kib())
    for _ in range(20):            # let blockd settle at its limit
        time.sleep(0.05)
        peak = max(peak, rss_kib())
    others_served("while a client never reads its replies")
    peak = max(peak, rss_kib())
    print("never_reads_replies: %d of 10000 requests sent, blockd VmRSS %d MiB before, "
          "%d MiB at the peak" % (sent // 28, before // 1024, peak // 1024))
    if peak > 200 * 1024:
        die("blockd's RSS reached %d MiB (limit 200 MiB)" % (peak // 1024))
    c.close()

cases = [closed_before_flags, wrong_option_magic, unknown_option, option_too_big,
         export_name_bad, request_bad_magic, read_out_of_range, write_too_long,
         unknown_command, write_read_only, after_disc, never_reads_replies]
others_served("at the start")
for case in cases:
    case()
    others_served("after " + case.__name__)
    print("ok", case.__name__)
EOF

"$PYTHON" "$tmp/bad.py" "$nbd_port" "$export" "$(nbd_export pc03)" "$tmp/served" \
	"$blockd_pid" "$bystander" || { tail -20 "$tmp/blockd.log"; cat "$tmp/bystander.err"; fail "bad input"; }
grep -q 'event=nbd.protocol_error .*reason="request magic' "$tmp/blockd.log" ||
	fail "no nbd.protocol_error event for the wrong request magic"
kill $bystander
blockd_stop
