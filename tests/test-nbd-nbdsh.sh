#!/bin/sh
# lanroot-blockd's commands through nbdsh (libnbd's Python shell), checked
# against a model of the disk (the base plus every write): unaligned writes
# across 4 KiB boundaries, FUA, flush, trim, write-zeroes with NO_HOLE and
# FAST_ZERO, base:allocation block status, requests past the end (EINVAL for
# reads, ENOSPC for writes), writes to a read-only (volatile) export
# (EPERM), the 32 MiB request limit, 64 requests in flight at once, errors
# answered right after a worker's reply (each gets its reply), and two
# connections of one client (multi-conn): each sees the other's writes, and
# a flush on one makes the other's completed writes survive kill -9.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdsh --version
requires nbdcopy --version
mktmpdir
lanroot_env

# A request that never gets its reply ends in seconds, not 10 minutes.
blockd_conf "idle_timeout = 15"
nbd_setup persistent 41943040	# 40 MiB: room for a 32 MiB + 1 read
$LR group add vol --image lab --mode volatile >/dev/null
nbd_client_add pc02 52:54:00:00:00:02 vol
URI=$uri
VURI="nbd://127.0.0.1:$nbd_port/$(nbd_export pc02)"
BASE=$tmp/base.img
MODEL=$tmp/model.img
export URI VURI BASE MODEL
blockd_start

# ---- part 1: everything but durability; leaves the expected disk in $MODEL
nbdsh --base-allocation -u "$URI" -c - <<'EOF' || fail "nbdsh checks failed (see above)"
import errno, os, random, time

MiB = 1 << 20
K4 = 4096
model = bytearray(open(os.environ["BASE"], "rb").read())
size = h.get_size()
assert size == len(model) == 40 * MiB, "export size %d" % size
rng = random.Random(3)


def check(hh, off, n, what):
    got = hh.pread(n, off)
    want = bytes(model[off:off + n])
    if got != want:
        i = next(i for i in range(n) if got[i] != want[i])
        raise AssertionError("%s: read [%d, +%d) differs from the model at "
                             "offset %d" % (what, off, n, off + i))


def write(hh, buf, off, flags=0):
    hh.pwrite(buf, off, flags)
    model[off:off + len(buf)] = buf


def zeros(off, n):
    model[off:off + n] = bytes(n)


def fails(what, want, fn, *args):
    try:
        fn(*args)
    except nbd.Error as e:
        if e.errnum != want:
            raise AssertionError("%s: failed with %s (%s), expected %s" %
                                 (what, e.errno, e.string,
                                  errno.errorcode[want]))
        return
    raise AssertionError("%s: succeeded, expected %s" %
                         (what, errno.errorcode[want]))


# Unaligned writes across 4 KiB boundaries, in the first 2 MiB.
writes = [(4095, 1), (4095, 2), (1, 4097), (4097, 8191), (3 * K4 - 5, 10),
          (size - 3, 3)]
for _ in range(150):
    n = rng.randint(2, 3 * K4 + 17)
    off = rng.randrange(1, 2 * MiB // K4) * K4 - rng.randint(1, n - 1)
    writes.append((off, n))
for off, n in writes:
    write(h, rng.randbytes(n), off)
for off, n in writes:
    check(h, off, n, "unaligned write")
check(h, 0, 2 * MiB + K4, "first 2 MiB")
check(h, size - K4, K4, "last 4 KiB")

# FUA, then flush.
write(h, rng.randbytes(5000), 2 * MiB + 123, nbd.CMD_FLAG_FUA)
check(h, 2 * MiB, K4 * 3, "FUA write")
h.flush()

# Trim [3 MiB + 1000, 3 MiB + 5 * 4 KiB + 100) over written data: the four
# whole clusters in it read as zeros, the partial ones stay as they were.
write(h, rng.randbytes(6 * K4), 3 * MiB, 0)
h.trim(5 * K4 - 900, 3 * MiB + 1000)
zeros(3 * MiB + K4, 4 * K4)
check(h, 3 * MiB, 6 * K4, "trim")
# Trim over the base (nothing written there yet).
h.trim(4 * K4, 3 * MiB + 8 * K4)
zeros(3 * MiB + 8 * K4, 4 * K4)
check(h, 3 * MiB + 7 * K4, 6 * K4, "trim of base clusters")

# Write-zeroes: unaligned, aligned, NO_HOLE, FAST_ZERO.
Z = 5 * MiB
h.zero(3 * K4 + 10, Z + 100)
zeros(Z + 100, 3 * K4 + 10)
h.zero(4 * K4, Z + 8 * K4)
zeros(Z + 8 * K4, 4 * K4)
h.zero(3 * K4 + 77, Z + 16 * K4 - 7, nbd.CMD_FLAG_NO_HOLE)
zeros(Z + 16 * K4 - 7, 3 * K4 + 77)
h.zero(4 * K4, Z + 24 * K4, nbd.CMD_FLAG_FAST_ZERO)
zeros(Z + 24 * K4, 4 * K4)
check(h, Z, 32 * K4, "write zeroes")
# FAST_ZERO with NO_HOLE: zero it fast or fail with ENOTSUP leaving the data.
try:
    h.zero(4 * K4, Z + 40 * K4, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_NO_HOLE)
    zeros(Z + 40 * K4, 4 * K4)
except nbd.Error as e:
    assert e.errnum == errno.ENOTSUP, "FAST_ZERO|NO_HOLE: %s" % e
check(h, Z + 39 * K4, 6 * K4, "FAST_ZERO|NO_HOLE")
# Zeroes over data just written, and a write into a zeroed cluster.
write(h, rng.randbytes(2 * K4), Z + 48 * K4, 0)
h.zero(2 * K4, Z + 48 * K4)
zeros(Z + 48 * K4, 2 * K4)
write(h, b"\xa5" * 100, Z + 8 * K4 + 50)
check(h, Z + 47 * K4, 4 * K4, "zero over data")
check(h, Z + 8 * K4, K4, "write into a zeroed cluster")


# base:allocation: the map of the whole export.
def extents(hh, off, n):
    out = []

    def cb(ctx, offset, entries, err):
        if ctx != "base:allocation":
            return
        pos = offset
        for i in range(0, len(entries), 2):
            out.append((pos, entries[i], entries[i + 1]))
            pos += entries[i]
    hh.block_status(n, off, cb)
    return out


emap = []
pos = 0
while pos < size:
    got = extents(h, pos, min(size - pos, 32 * MiB))
    assert got and got[0][0] == pos, "block status at %d: %r" % (pos, got)
    for off, n, fl in got:
        assert n > 0 and off + n <= size, "extent past the end: %r" % got
        emap.append((off, n, fl))
    pos = got[-1][0] + got[-1][1]


def flags_at(off):
    for o, n, fl in emap:
        if o <= off < o + n:
            return fl
    raise AssertionError("offset %d is in no extent" % off)


ZH = nbd.STATE_ZERO | nbd.STATE_HOLE
# Every extent said to read as zeros does.
for off, n, fl in emap:
    if fl & nbd.STATE_ZERO:
        assert h.pread(n, off) == bytes(n), \
            "extent [%d, +%d) flags %d does not read as zeros" % (off, n, fl)
for what, off in (("trimmed", 3 * MiB + K4), ("trimmed base", 3 * MiB + 8 * K4),
                  ("zeroed", Z + 8 * K4 + K4), ("zeroed", Z + 24 * K4),
                  ("zeroed over data", Z + 48 * K4)):
    for c in range(off, off + K4, 1024):
        assert flags_at(c) & nbd.STATE_ZERO, \
            "%s cluster at %d: flags %d, not zero" % (what, c, flags_at(c))
for what, off in (("written", 0), ("written", 4096), ("FUA", 2 * MiB + K4),
                  ("base", 10 * MiB), ("partly trimmed", 3 * MiB),
                  ("written after zero", Z + 8 * K4)):
    assert flags_at(off) & ZH == 0, \
        "%s cluster at %d: flags %d, not data" % (what, off, flags_at(off))

# From here on libnbd sends what the server must refuse.
h.set_strict_mode(0)


# A request answered at once (an error) right after a reply from a worker
# (a flush), many times: every one gets its reply.
def wait_reply(what, i):
    t = time.monotonic()
    while h.aio_in_flight() > 0:
        h.poll(100)
        if time.monotonic() - t > 5:
            raise AssertionError("round %d: %s got no reply in 5 s" % (i, what))


for i in range(1500):
    c = h.aio_flush()
    wait_reply("flush", i)
    h.aio_command_completed(c)
    c = h.aio_pread(nbd.Buffer(1024), size - 512)
    wait_reply("read past the end", i)
    try:
        h.aio_command_completed(c)
        raise AssertionError("round %d: read past the end succeeded" % i)
    except nbd.Error as e:
        assert e.errnum == errno.EINVAL, "round %d: %s" % (i, e)

# Past the end: reads EINVAL, writes ENOSPC; the session goes on.
fails("read past the end", errno.EINVAL, h.pread, 1024, size - 512)
fails("read at the end", errno.EINVAL, h.pread, 1, size)
fails("read far past the end", errno.EINVAL, h.pread, 512, 1 << 62)
fails("write past the end", errno.ENOSPC, h.pwrite, b"x" * 1024, size - 512)
fails("write at the end", errno.ENOSPC, h.pwrite, b"x", size)
fails("trim past the end", errno.ENOSPC, h.trim, 8192, size - 4096)
fails("zero past the end", errno.ENOSPC, h.zero, 8192, size - 4096)
fails("offset + length overflowing", errno.ENOSPC, h.pwrite, b"x" * 4096,
      (1 << 64) - 1024)
check(h, size - K4, K4, "end after refused requests")

# The request size limit: 32 MiB reads, 32 MiB + 1 does not.
check(h, 4 * MiB, 32 * MiB, "32 MiB read")
fails("32 MiB + 1 read", errno.EOVERFLOW, h.pread, 32 * MiB + 1, 0)
check(h, 0, K4, "read after an oversized one")

# 64 requests in flight: writes, then reads, all checked.
bufs = []
cookies = []
for i in range(64):
    off = 20 * MiB + i * 12345
    data = rng.randbytes(4000 + i)
    model[off:off + len(data)] = data
    buf = nbd.Buffer.from_bytearray(bytearray(data))
    bufs.append(buf)
    cookies.append(h.aio_pwrite(buf, off))
assert h.aio_in_flight() > 1, "the writes did not go out together"
while h.aio_in_flight() > 0:
    h.poll(-1)
for c in cookies:
    assert h.aio_command_completed(c), "aio write %d not completed" % c
reads = []
for i in range(64):
    off = 20 * MiB + rng.randrange(0, MiB)
    n = rng.randint(1, 70000)
    buf = nbd.Buffer(n)
    reads.append((off, n, buf, h.aio_pread(buf, off)))
while h.aio_in_flight() > 0:
    h.poll(-1)
for off, n, buf, c in reads:
    assert h.aio_command_completed(c)
    assert buf.to_bytearray() == model[off:off + n], \
        "aio read [%d, +%d) differs from the model" % (off, n)

# Multi-conn: a second connection of pc01 sees the first's writes at once
# (no flush), and the first sees the second's.
assert h.can_multi_conn()
h2 = nbd.NBD()
h2.connect_uri(os.environ["URI"])
write(h, rng.randbytes(10000), 30 * MiB + 7)
check(h2, 30 * MiB, 3 * K4, "second connection reading the first's write")
write(h2, rng.randbytes(9000), 30 * MiB + 5000)
check(h, 30 * MiB, 4 * K4, "first connection reading the second's write")
# Written on h only, flushed on h2: must survive kill -9 (checked below).
write(h, rng.randbytes(3 * K4 + 1), 31 * MiB + 999)
h2.flush()
open(os.environ["MODEL"], "wb").write(model)
EOF

# A volatile client: the base, read-only; writes, trims, zeroes get EPERM.
nbdsh -u "$VURI" -c - <<'EOF' || fail "nbdsh checks on the volatile export failed"
import errno, os
assert h.is_read_only()
base = open(os.environ["BASE"], "rb").read()
assert h.pread(65536, 12345) == base[12345:12345 + 65536]
h.set_strict_mode(0)
bad = []
for what, fn, args in (("write", h.pwrite, (b"x" * 512, 0)),
                       ("trim", h.trim, (4096, 0)),
                       ("zero", h.zero, (4096, 0))):
    try:
        fn(*args)
        bad.append("%s succeeded" % what)
    except nbd.Error as e:
        if e.errnum != errno.EPERM:
            bad.append("%s failed with %s, not EPERM" % (what, e.errno))
assert not bad, "on a read-only export: " + "; ".join(bad)
assert h.pread(512, 0) == base[:512]
EOF

# The flush on the second connection covered the first's write: kill -9,
# restart, and the whole disk reads as the model.
blockd_kill9
blockd_start
nbdcopy "$URI" "$tmp/after.img" || fail "nbdcopy after restart failed"
cmp "$MODEL" "$tmp/after.img" || fail "after kill -9 the disk is not what was flushed"
blockd_stop
