#!/bin/sh
# kill -9 of lanroot-blockd under a write load loses no acknowledged flush
# and never shows garbage.  A libnbd writer on two connections of one
# persistent client (blockd offers CAN_MULTI_CONN: a FLUSH on either covers
# both) keeps up to 16 writes in flight, each a 4 KiB block at a random
# block of the export whose bytes name the round, the write and the block.
# Every 24 writes it waits for them, sends FLUSH, and appends them to a
# journal on disk (fsync'ed); a write sent with FUA goes to the journal as
# soon as it completes.  After ~2 s blockd is killed with SIGKILL and
# started again, and the whole export is read:
#   - every journaled write reads back, unless a later write of the same
#     block (journaled or not) is there instead;
#   - every other block reads as what it held before the round (the base,
#     or an earlier round's data) or as a write sent to it this round;
#   - the image version under the overlay is unchanged byte for byte.
# Three rounds, each on the state the previous crash left.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
mktmpdir
lanroot_env
blockd_conf
nbd_setup persistent
rounds=3

# The writer: ROUND URI JOURNAL SENT.  Runs until its connections die.
cat >"$tmp/writer.py" <<'EOF'
import hashlib, nbd, os, random, sys
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
BS, DEPTH, FLUSH_EVERY = 4096, 16, 24
rnd, uri, journal_path, sent_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def block(rnd, seq, slot):
    head = b"LRK9 %d %d %d " % (rnd, seq, slot)
    out = head
    while len(out) < BS:
        out += hashlib.sha256(out[-32:] + head).digest()
    return out[:BS]

hs = []
for _ in range(2):
    h = nbd.NBD()
    h.connect_uri(uri)
    hs.append(h)
if not hs[0].can_multi_conn():
    sys.exit("writer: the export does not offer CAN_MULTI_CONN")
nslots = hs[0].get_size() // BS
journal = os.open(journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
sent = open(sent_path, "a", buffering=1)

def durable(entries):
    if entries:
        os.write(journal, "".join("%d %d\n" % e for e in entries).encode())
        os.fsync(journal)

rng = random.Random(rnd * 7919 + os.getpid())
inflight = {}          # (handle index, cookie) -> (slot, seq, fua)
done = []              # completed since the last flush: (slot, seq)
busy = set()           # slots with a write in flight
seq = 0

def reap():
    for (i, cookie), (slot, s, fua) in list(inflight.items()):
        if hs[i].aio_command_completed(cookie):
            del inflight[i, cookie]
            busy.discard(slot)
            if fua:
                durable([(slot, s)])
            else:
                done.append((slot, s))

try:
    while True:
        while len(inflight) >= DEPTH:
            for h in hs:
                if h.aio_in_flight():
                    h.poll(10)
            reap()
        seq += 1
        slot = rng.randrange(nslots)
        while slot in busy:
            slot = rng.randrange(nslots)
        fua = rng.random() < 0.1
        i = seq % 2
        sent.write("%d %d\n" % (slot, seq))
        cookie = hs[i].aio_pwrite(nbd.Buffer.from_bytearray(block(rnd, seq, slot)),
                                  slot * BS, flags=nbd.CMD_FLAG_FUA if fua else 0)
        inflight[i, cookie] = (slot, seq, fua)
        busy.add(slot)
        if seq % FLUSH_EVERY == 0:
            while inflight:
                for h in hs:
                    if h.aio_in_flight():
                        h.poll(10)
                reap()
            hs[seq // FLUSH_EVERY % 2].flush()
            durable(done)
            done = []
except nbd.Error as e:
    print("writer: connection lost after %d writes: %s" % (seq, e.string), file=sys.stderr)
    sys.exit(0)
EOF

# The checker: ROUND URI JOURNAL SENT BEFORE.  BEFORE holds the export
# as the last round left it (it is rewritten with what is read now).
cat >"$tmp/check.py" <<'EOF'
import hashlib, nbd, sys
import faulthandler; faulthandler.dump_traceback_later(60, exit=True)  # no hanging for ever
BS = 4096
rnd, uri, journal_path, sent_path, before_path = sys.argv[1:6]
rnd = int(rnd)

def block(rnd, seq, slot):
    head = b"LRK9 %d %d %d " % (rnd, seq, slot)
    out = head
    while len(out) < BS:
        out += hashlib.sha256(out[-32:] + head).digest()
    return out[:BS]

h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
now = b"".join(h.pread(min(1 << 24, size - o), o) for o in range(0, size, 1 << 24))
h.shutdown()
before = open(before_path, "rb").read()
last_durable = {}
for line in open(journal_path):
    slot, seq = map(int, line.split())
    last_durable[slot] = max(seq, last_durable.get(slot, 0))
sent = {}
for line in open(sent_path):
    slot, seq = map(int, line.split())
    sent.setdefault(slot, set()).add(seq)
if not last_durable:
    sys.exit("round %d: the writer journaled nothing (too slow?)" % rnd)
bad = 0
for slot in range(size // BS):
    got = now[slot * BS:(slot + 1) * BS]
    seqs = sent.get(slot, set())
    allowed = {}
    if slot not in last_durable:
        allowed["what it held before the round"] = before[slot * BS:(slot + 1) * BS]
    for s in seqs:
        if s >= last_durable.get(slot, 0):
            allowed["write %d" % s] = block(rnd, s, slot)
    ok = got in allowed.values()
    if not ok:
        bad += 1
        if bad <= 5:
            print("round %d: block %d (offset %d) reads %r..., allowed: %s"
                  % (rnd, slot, slot * BS, got[:24], ", ".join(sorted(allowed))),
                  file=sys.stderr)
if bad:
    sys.exit("round %d: %d of %d blocks wrong after kill -9" % (rnd, bad, size // BS))
open(before_path, "wb").write(now)
print("round %d: %d writes, %d blocks with a journaled write, all read back"
      % (rnd, sum(len(v) for v in sent.values()), len(last_durable)))
EOF

cp "$tmp/base.img" "$tmp/before.img"
blockd_start
r=1
while [ $r -le $rounds ]; do
	rm -f "$tmp/journal" "$tmp/sent"
	: >"$tmp/journal"
	"$PYTHON" "$tmp/writer.py" $r "$uri" "$tmp/journal" "$tmp/sent" 2>"$tmp/writer.err" &
	writer=$!
	cleanup_fn "kill $writer 2>/dev/null"
	sleep 2
	kill -0 $writer 2>/dev/null || { cat "$tmp/writer.err"; fail "round $r: the writer stopped before blockd was killed"; }
	blockd_kill9
	wrc=0
	wait $writer || wrc=$?
	[ $wrc -eq 0 ] || { cat "$tmp/writer.err"; fail "round $r: the writer failed"; }
	blockd_start
	"$PYTHON" "$tmp/check.py" $r "$uri" "$tmp/journal" "$tmp/sent" "$tmp/before.img" ||
		fail "round $r: acknowledged writes lost or garbage read after kill -9"
	r=$((r + 1))
done
blockd_stop
cmp "$tmp/base.img" "$state/images/lab/1/rootfs.img" || fail "the image version under the overlay changed"
