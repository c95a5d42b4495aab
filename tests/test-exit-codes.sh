#!/bin/sh
# Exit status: 2 for a bad command line (missing argument, unknown option
# or command, malformed value), 1 when the action fails, 0 when it works.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir
lanroot_env

# Before init: the store is missing, a failure that says what to do.
expect_status 1 $LR image list
grep_err "lanroot init"

$LR init
truncate -s 1M "$tmp/disk.img"

# Usage errors: 2.
expect_status 2 lanroot
expect_status 2 lanroot --bogus
expect_status 2 lanroot -c
expect_status 2 $LR image
expect_status 2 $LR image import
expect_status 2 $LR image import lab
grep_err "try 'lanroot image import --help'"
expect_status 2 $LR image list --bogus
grep_err "unknown option '--bogus'"
expect_status 2 $LR image list extra
expect_status 2 $LR image publish lab
expect_status 2 $LR image publish lab x
expect_status 2 $LR image import lab "$tmp/disk.img" --size
expect_status 2 $LR image import ../lab "$tmp/disk.img"
expect_status 2 $LR group add g1
grep_err "image is required"
expect_status 2 $LR group add g1 --image lab --mode sometimes
expect_status 2 $LR group add g1 --image lab --proto smb
expect_status 2 $LR group add g1 --image lab --loader lilo
expect_status 2 $LR group set g1
expect_status 2 $LR client add 52:54:00:12:34:56 --group g1
expect_status 2 $LR client show
expect_status 2 $LR overlay write pc01 12x "$tmp/disk.img"
expect_status 2 lanroot frobnicate
grep_err "unknown command 'frobnicate'"
grep_err "try 'lanroot --help'"

# Failures: 1.
expect_status 1 $LR image show nosuch
grep_err "^lanroot: image show: "
expect_status 1 $LR image publish nosuch 1
expect_status 1 $LR group show nosuch
expect_status 1 $LR client show nosuch
expect_status 1 $LR group add g1 --image nosuch
expect_status 1 lanroot -c "$tmp/missing.conf" image list
grep_err "missing.conf"


# OK: 0.
expect_status 0 lanroot --version
expect_status 0 lanroot --help
expect_status 0 lanroot help
expect_status 0 $LR image import lab "$tmp/disk.img" --format raw
expect_status 0 $LR image list
