#!/bin/sh
# An unknown image or version is refused with a message naming it, and
# changes nothing.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir
lanroot_env

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR group add room101 --image lab
$LR image show lab --json >"$tmp/before"

expect_status 1 $LR image publish lab 9
grep_err "9"
expect_status 1 $LR group add pinned --image lab --version 9
grep_err "9"
expect_status 1 $LR group set room101 --version 9
grep_err "9"
expect_status 1 $LR image diff lab 1 9
grep_err "9"
expect_status 1 $LR image delete lab 9
grep_err "9"
expect_status 1 $LR image verify lab 9
grep_err "9"
expect_status 1 $LR image rollback lab
grep_err "image rollback"
expect_status 1 $LR image versions nosuch
grep_err "nosuch"
expect_status 1 $LR group add g2 --image nosuch
grep_err "nosuch"
# Not a number at all is a usage error.
expect_status 2 $LR image publish lab latest
expect_status 2 $LR image publish lab 0
expect_status 2 $LR image publish lab 99999999999999999999

$LR image show lab --json >"$tmp/after"
cmp "$tmp/before" "$tmp/after" || fail "the image changed"
expect_status 1 $LR group show pinned
