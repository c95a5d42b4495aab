#!/bin/sh
# A full disk under the overlays hurts only the client that writes.  The
# state dir is a 24 MiB tmpfs holding an 8 MiB base; pc02 (persistent)
# connects and writes, then a filler file leaves 2 MiB free and pc01 writes
# 64 KiB pieces until a write fails with ENOSPC (an nbd.io_error event).
# Then: pc01's acknowledged writes read back and its FLUSH succeeds; pc02
# still reads and flushes; a volatile client pc03 connects and reads the
# base; blockd is alive.  With space freed, pc01 writes again, and after a
# restart of blockd everything pc01 flushed is there.
. "${top_srcdir:-.}/tests/functions.sh"
requires_root
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
mkdir -p "$state"
mount -t tmpfs -o size=24m lanroot-test "$state" || fail "cannot mount a tmpfs on $state"
cleanup_fn "umount '$state' 2>/dev/null || umount -l '$state'"
blockd_conf
nbd_setup persistent
nbd_client_add pc02 52:54:00:00:00:02
$LR group add kiosk --image lab --mode volatile >/dev/null
nbd_client_add pc03 52:54:00:00:00:03 kiosk
root() { $LR client show "$1" --json | json_get '["root"]'; }
blockd_start

cat >"$tmp/enospc.py" <<'EOF'
import hashlib, nbd, os, sys
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
uri1, uri2, uri3, state, base, phase = sys.argv[1:7]
base = open(base, "rb").read()
CHUNK = 65536

def piece(off):
    return hashlib.sha256(b"%d" % off).digest() * (CHUNK // 32)

def connect(uri):
    h = nbd.NBD()
    h.connect_uri(uri)
    return h

def expect(h, off, want, what):
    if h.pread(len(want), off) != want:
        sys.exit("%s: offset %d reads wrong data" % (what, off))

if phase == "fill":
    pc01, pc02 = connect(uri1), connect(uri2)
    pc02.pwrite(b"pc02" * 1024, 0)
    pc02.flush()
    st = os.statvfs(state)
    with open(os.path.join(state, "filler"), "wb") as f:
        f.write(b"\0" * (st.f_bavail * st.f_frsize - 2 * 2**20))
    off = 0
    while True:
        if off >= pc01.get_size():
            sys.exit("pc01 wrote its whole export without running out of space")
        try:
            pc01.pwrite(piece(off), off)
        except nbd.Error as e:
            if e.errno != "ENOSPC":
                sys.exit("pc01's write at %d failed with %s, expected ENOSPC: %s"
                         % (off, e.errno, e.string))
            break
        off += CHUNK
    print("pc01: ENOSPC after %d KiB" % (off // 1024))
    if off == 0:
        sys.exit("pc01 could not write anything")
    for o in range(0, off, CHUNK):
        expect(pc01, o, piece(o), "pc01's acknowledged write after ENOSPC")
    pc01.flush()
    expect(pc02, 0, b"pc02" * 1024, "pc02 after pc01's ENOSPC")
    pc02.flush()
    pc03 = connect(uri3)
    expect(pc03, 0, base, "a volatile client connecting when the disk is full")
    os.unlink(os.path.join(state, "filler"))
    pc01.pwrite(piece(off), off)
    pc01.flush()
    open(os.path.join(os.path.dirname(state), "written"), "w").write("%d\n" % (off + CHUNK))
    for h in (pc01, pc02, pc03):
        h.shutdown()
else:
    written = int(open(os.path.join(os.path.dirname(state), "written")).read())
    pc01 = connect(uri1)
    for o in range(0, written, CHUNK):
        expect(pc01, o, piece(o), "pc01 after a restart")
    expect(pc01, written, base[written:written + CHUNK], "pc01 past its writes")
    pc01.shutdown()
EOF

"$PYTHON" "$tmp/enospc.py" "$uri" "$(root pc02)" "$(root pc03)" "$state" "$tmp/base.img" fill ||
	{ tail -5 "$tmp/blockd.log"; fail "a full disk"; }
kill -0 $blockd_pid || fail "blockd died"
grep -q 'event=nbd.io_error .*client=pc01 .*error="No space left on device"' "$tmp/blockd.log" ||
	{ cat "$tmp/blockd.log"; fail "no nbd.io_error event for pc01's ENOSPC"; }
grep 'event=nbd.io_error' "$tmp/blockd.log" | grep -v 'client=pc01 ' &&
	fail "an I/O error for another client than pc01"
blockd_stop
blockd_start
"$PYTHON" "$tmp/enospc.py" "$uri" "$(root pc02)" "$(root pc03)" "$state" "$tmp/base.img" check ||
	fail "after a restart"
blockd_stop
