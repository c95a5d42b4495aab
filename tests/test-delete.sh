#!/bin/sh
# image delete refuses what a group uses and names the group; otherwise it
# removes the version (or the whole image) from the registry and the disk.
# group delete refuses a group with clients; client delete removes the
# client's overlay.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir
lanroot_env
requires "$PYTHON" --version

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR image import lab "$tmp/disk.img" --format raw
$LR image import lab "$tmp/disk.img" --format raw
$LR group add room101 --image lab --mode persistent
$LR group add exam --image lab --version 2

expect_status 1 $LR image delete lab 1
grep_err "room101"
expect_status 1 $LR image delete lab 2
grep_err "exam"
expect_status 1 $LR image delete lab
grep_err "room101"
[ -d "$state/images/lab/2" ] || fail "a refused delete removed files"
$LR image delete lab 3
[ ! -e "$state/images/lab/3" ] || fail "images/lab/3 left"

# A client's overlay goes with it.
$LR client add 52:54:00:12:34:56 --name pc01 --group room101
printf 'data' >"$tmp/data"
$LR overlay write pc01 4096 "$tmp/data"
[ -d "$state/overlays/52-54-00-12-34-56" ] || fail "no overlay directory"
expect_status 1 $LR group delete room101
grep_err "room101"
$LR client reset pc01
[ "$($LR client show pc01 --json | json_get '["overlay"]["exists"]')" = false ] ||
	fail "client reset left the overlay"
$LR overlay write pc01 4096 "$tmp/data"
$LR client delete pc01
[ ! -e "$state/overlays/52-54-00-12-34-56" ] || fail "client delete left the overlay"

# With no group left, the whole image goes.
$LR group delete room101
$LR group delete exam
$LR image delete lab
[ "$($LR image list --json)" = "[]" ] || fail "image list not empty"
[ ! -e "$state/images/lab" ] || fail "images/lab left"
tmp_empty
