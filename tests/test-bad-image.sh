#!/bin/sh
# A missing, empty, truncated or non-file-system image is refused with a
# clear message (exit 1), and the registry and the store are unchanged.
. "${top_srcdir:-.}/tests/functions.sh"
requires mkfs.ext4 -V
mktmpdir
lanroot_env

make_ext4 "$tmp/good.img" 16M
$LR init
$LR image import lab "$tmp/good.img"
$LR image list --json >"$tmp/list.before"
$LR image versions lab --json >"$tmp/versions.before"

check_unchanged() {
	$LR image list --json >"$tmp/list.after"
	$LR image versions lab --json >"$tmp/versions.after"
	cmp -s "$tmp/list.before" "$tmp/list.after" || fail "$1: image list changed"
	cmp -s "$tmp/versions.before" "$tmp/versions.after" || fail "$1: versions changed"
	[ "$(ls "$state/images/lab")" = 1 ] || fail "$1: left something in images/lab"
	[ ! -e "$state/images/new" ] || fail "$1: left images/new"
	tmp_empty
}

# Missing file.
expect_status 1 $LR image import lab "$tmp/nonexistent.img"
grep_err "^lanroot: image import: .*nonexistent.img"
check_unchanged missing
expect_status 1 $LR image import new "$tmp/nonexistent.img"
check_unchanged "missing, new image"

# Empty file.
: >"$tmp/empty.img"
expect_status 1 $LR image import lab "$tmp/empty.img"
grep_err "empty"
check_unchanged empty

# Truncated ext4 image: the superblock claims more than the file holds.
head -c 8M "$tmp/good.img" >"$tmp/truncated.img"
expect_status 1 $LR image import lab "$tmp/truncated.img"
grep_err "truncated"
check_unchanged truncated

# A file with no file system in it (unless --format raw says so).
head -c 1048576 /dev/urandom >"$tmp/noise.img"
expect_status 1 $LR image import new "$tmp/noise.img"
grep_err "no ext4, erofs or squashfs file system"
check_unchanged noise

# Asking for another format than the image holds.
expect_status 1 $LR image import lab "$tmp/good.img" --format squashfs
grep_err "squashfs"
check_unchanged "wrong format"

# A directory where an image file is wanted, and a bad format name.
expect_status 1 $LR image import lab "$tmp" --format raw
check_unchanged "directory as raw"
expect_status 2 $LR image import lab "$tmp/good.img" --format vfat
grep_err "unknown format 'vfat'"
check_unchanged "bad format"
