#!/bin/sh
# A disk that fills during an import: the half-written version is removed,
# the registry is unchanged, nothing is left in images/ or tmp/.  Runs on a
# 40 MiB tmpfs in a private mount namespace (needs root).
. "${top_srcdir:-.}/tests/functions.sh"

if [ "${1:-}" != inside ]; then
	requires_root
	requires unshare -m true
	requires mkfs.ext4 -V
	mktmpdir
	mkdir "$tmp/small"
	# An ext4 image with 48 MiB of incompressible data: more than fits.
	make_tree "$tmp/tree"
	head -c 50331648 /dev/urandom >"$tmp/tree/big"
	truncate -s 64M "$tmp/big.img"
	mkfs.ext4 -q -F -d "$tmp/tree" "$tmp/big.img" >/dev/null
	export tmp
	unshare -m sh "$0" inside
	exit $?
fi

mount -t tmpfs -o size=40m lanroot-test "$tmp/small"
lanroot_env
state=$tmp/small/state
LR="lanroot -q -c $conf --state $state"
$LR init
truncate -s 1M "$tmp/disk.img"
$LR image import lab "$tmp/disk.img" --format raw
$LR image versions lab --json >"$tmp/before"

expect_status 1 $LR image import lab "$tmp/big.img"
grep -qi "space\|disk full" "$tmp/err" || { cat "$tmp/err"; fail "the message does not say the disk is full"; }
$LR image versions lab --json >"$tmp/after"
cmp "$tmp/before" "$tmp/after" || fail "the registry changed"
[ "$(ls "$state/images/lab")" = 1 ] || { ls -la "$state/images/lab"; fail "left something in images/lab"; }
tmp_empty

# A tree that does not fit, built with mkfs.ext4 in tmp/, the same.
expect_status 1 $LR image import big "$tmp/tree" --format ext4
cmp "$tmp/before" "$tmp/after" || fail "the registry changed (tree)"
[ ! -e "$state/images/big" ] || fail "left images/big"
tmp_empty
# There is room again for a small import afterwards.
$LR image import lab "$tmp/disk.img" --format raw
