#!/bin/sh
# Two clients of one persistent group write different data at the same
# offsets at the same time (libnbd, Python): each reads back only its own
# writes, a third client of the group reads the base, and the stored base
# is unchanged byte for byte.  One client's export name with the other's
# token (or its MAC with the other's token) is refused.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdcopy --version
mktmpdir
lanroot_env

blockd_conf
nbd_setup persistent
nbd_client_add pc02 52:54:00:00:00:02
nbd_client_add pc03 52:54:00:00:00:03
server="nbd://127.0.0.1:$nbd_port"
export1=$export
export2=$(nbd_export pc02)
export3=$(nbd_export pc03)
stored=$(find "$state" -type f -size 8192k)
[ "$(echo "$stored" | wc -l)" -eq 1 ] || fail "cannot find the stored base in $state: '$stored'"
cmp -s "$stored" "$tmp/base.img" || fail "the stored base $stored is not the image imported"
blockd_start

# writer NAME URI SEED — in the background: once $tmp/go exists, write 300
# chunks of data (random, from SEED) at the same offsets every writer uses,
# with a flush every 50, over two connections; leave the expected disk in
# $tmp/NAME.model.  Sets $writer_pid.
writer() {
	"$PYTHON" - "$2" "$tmp/base.img" "$tmp/$1.model" "$tmp/go" "$3" <<'EOF' &
import nbd, os, random, sys, time
uri, base, out, go, seed = sys.argv[1:6]
model = bytearray(open(base, "rb").read())
hs = [nbd.NBD(), nbd.NBD()]
for h in hs:
    h.connect_uri(uri)
offsets = random.Random(7)	# the same offsets for every writer
data = random.Random(int(seed))
while not os.path.exists(go):
    time.sleep(0.01)
for i in range(300):
    n = offsets.randint(1, 40000)
    off = offsets.randrange(0, len(model) - n)
    buf = data.randbytes(n)
    hs[i % 2].pwrite(buf, off)
    model[off:off + n] = buf
    if i % 50 == 49:
        hs[i % 2].flush()
for h in hs:
    h.flush()
    h.shutdown()
open(out, "wb").write(model)
EOF
	writer_pid=$!
	cleanup_fn "kill $writer_pid 2>/dev/null"
}

writer pc01 "$uri" 1
pid1=$writer_pid
writer pc02 "$server/$export2" 2
pid2=$writer_pid
touch "$tmp/go"
wait $pid1 || fail "pc01's writer failed"
wait $pid2 || fail "pc02's writer failed"
cmp -s "$tmp/pc01.model" "$tmp/pc02.model" && fail "the writers wrote the same data"

# Each reads back its own writes, the third the base.
nbdcopy "$uri" "$tmp/pc01.img" || fail "nbdcopy of pc01 failed"
cmp "$tmp/pc01.model" "$tmp/pc01.img" || fail "pc01 does not read back its own writes"
nbdcopy "$server/$export2" "$tmp/pc02.img" || fail "nbdcopy of pc02 failed"
cmp "$tmp/pc02.model" "$tmp/pc02.img" || fail "pc02 does not read back its own writes"
nbdcopy "$server/$export3" "$tmp/pc03.img" || fail "nbdcopy of pc03 failed"
cmp "$tmp/base.img" "$tmp/pc03.img" || fail "pc03 does not read the base"

# Crossed names and tokens.
token1=${export1##*/}
token2=${export2##*/}
for name in "${export1%/*}/$token2" "${export2%/*}/$token1"; do
	expect_status 1 env LIBNBD_DEBUG=1 nbdinfo "$server/$name"
	grep_err "server error message: .*wrong token"
done
[ "$(grep -c 'event=nbd.refused.*wrong token' "$tmp/blockd.log")" -ge 2 ] ||
	{ cat "$tmp/blockd.log"; fail "no nbd.refused events for the crossed tokens"; }

blockd_stop
cmp "$stored" "$tmp/base.img" || fail "the stored base changed"
