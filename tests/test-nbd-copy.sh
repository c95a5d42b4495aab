#!/bin/sh
# Whole-export copies from lanroot-blockd with real clients: nbdcopy of a
# persistent client, a volatile client and lab@1 equal the base (sha256);
# qemu-img convert from nbd:// equals it and qemu-img compare says
# identical, until a write through nbdsh makes them differ.  nbdcopy into
# the export (several connections) reads back, and the base never changes.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdcopy --version
requires nbdsh --version
requires qemu-img --version
mktmpdir
lanroot_env

# sha FILE — its sha256.
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# same_as_base WHAT FILE — FILE must be the base, byte for byte.
same_as_base() {
	[ "$(sha "$2")" = "$base_sha" ] || fail "$1: sha256 differs from the base's"
}

blockd_conf "version_exports = yes"
nbd_setup persistent 12582912	# 12 MiB: more than one nbdcopy request per connection
$LR group add vol --image lab --mode volatile >/dev/null
nbd_client_add pc02 52:54:00:00:00:02 vol
server="nbd://127.0.0.1:$nbd_port"
vuri="$server/$(nbd_export pc02)"
base_sha=$(sha "$tmp/base.img")
stored=$(find "$state" -type f -size 12288k)
[ "$(echo "$stored" | wc -l)" -eq 1 ] || fail "cannot find the stored base in $state: '$stored'"
blockd_start

nbdcopy "$uri" "$tmp/pc01.img" || fail "nbdcopy of pc01's export failed"
same_as_base "nbdcopy of pc01 (persistent)" "$tmp/pc01.img"
nbdcopy "$vuri" "$tmp/pc02.img" || fail "nbdcopy of pc02's export failed"
same_as_base "nbdcopy of pc02 (volatile)" "$tmp/pc02.img"
nbdcopy "$server/lab@1" "$tmp/v1.img" || fail "nbdcopy of lab@1 failed"
same_as_base "nbdcopy of lab@1" "$tmp/v1.img"
nbdcopy --connections=4 --requests=16 "$vuri" "$tmp/pc02-4.img" || fail "nbdcopy with 4 connections failed"
same_as_base "nbdcopy of pc02 over 4 connections" "$tmp/pc02-4.img"

qemu-img convert -f raw -O raw "$uri" "$tmp/qemu.img" || fail "qemu-img convert from $uri failed"
same_as_base "qemu-img convert" "$tmp/qemu.img"
expect_status 0 qemu-img compare -f raw -F raw "$uri" "$tmp/base.img"
grep -q "identical" "$tmp/out" || { cat "$tmp/out"; fail "qemu-img compare did not say identical"; }

# One byte changed through nbdsh: compare finds it, at that sector.
nbdsh -u "$uri" -c 'h.pwrite(bytes([h.pread(1, 5000192)[0] ^ 0xff]), 5000192); h.flush()' ||
	fail "nbdsh write failed"
expect_status 1 qemu-img compare -f raw -F raw "$uri" "$tmp/base.img"
grep -q "mismatch at offset 5000192" "$tmp/out" || { cat "$tmp/out"; fail "qemu-img compare: not the offset written"; }
# The other exports still read the base.
nbdcopy "$vuri" "$tmp/pc02.img" && same_as_base "pc02 after pc01 wrote" "$tmp/pc02.img"
expect_status 0 qemu-img compare -f raw -F raw "$server/lab@1" "$tmp/base.img"

# nbdcopy into pc01's export, several connections, then back out.
make_raw "$tmp/new.img" 12582912
nbdcopy --connections=4 "$tmp/new.img" "$uri" || fail "nbdcopy into pc01's export failed"
nbdcopy "$uri" "$tmp/back.img" || fail "nbdcopy back failed"
cmp "$tmp/new.img" "$tmp/back.img" || fail "what nbdcopy wrote does not read back"
expect_status 0 qemu-img compare -f raw -F raw "$uri" "$tmp/new.img"

blockd_stop
[ "$(sha "$stored")" = "$base_sha" ] || fail "the stored base $stored changed"
