#!/bin/sh
# squashfs and erofs are read-only: a group or client that keeps a
# server-side overlay (persistent, reset-on-boot) is refused on them, and
# such a version is not published under a group that would write to it.
. "${top_srcdir:-.}/tests/functions.sh"
requires mksquashfs -version
requires mkfs.ext4 -V
mktmpdir
lanroot_env
requires "$PYTHON" --version

make_tree "$tmp/tree"
$LR init
$LR image import ro "$tmp/tree" --format squashfs
for mode in persistent reset-on-boot; do
	expect_status 1 $LR group add g --image ro --mode "$mode"
	grep_err "squashfs"
	grep_err "read-only"
done
$LR group add kiosk --image ro
expect_status 1 $LR group set kiosk --mode persistent
grep_err "read-only"
expect_status 1 $LR client add 52:54:00:12:34:56 --name pc01 --group kiosk --mode persistent
grep_err "read-only"
$LR client add 52:54:00:12:34:56 --name pc01 --group kiosk
expect_status 1 $LR client set pc01 --mode reset-on-boot
[ "$($LR group show kiosk --json | json_get '["mode"]')" = volatile ] || fail "kiosk changed"

# An ext4 image with a persistent group: a squashfs version is not published.
$LR image import lab "$tmp/tree" --format ext4 --size 16M
$LR group add room101 --image lab --mode persistent
$LR image import lab "$tmp/tree" --format squashfs
expect_status 1 $LR image publish lab 2
grep_err "room101"
[ "$($LR image show lab --json | json_get '["published"]')" = 1 ] || fail "published anyway"
