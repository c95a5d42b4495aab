#!/bin/sh
# A taken group or client name (or MAC, in any notation) is refused with a
# clear message and changes nothing; importing under an existing image name
# makes a new version, not a second image.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" --version
mktmpdir
lanroot_env

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR image import other "$tmp/disk.img" --format raw
$LR group add room101 --image lab
$LR client add 52:54:00:12:34:56 --name pc01 --group room101
$LR group list --json >"$tmp/groups.before"
$LR client list --json >"$tmp/clients.before"

expect_status 1 $LR group add room101 --image other --mode persistent
grep_err "room101"
expect_status 1 $LR client add 52:54:00:12:34:57 --name pc01 --group room101
grep_err "pc01"
expect_status 1 $LR client add 52-54-00-12-34-56 --name pc02 --group room101
grep_err "52:54:00:12:34:56"
expect_status 1 $LR client set 52:54:00:12:34:56 --name pc01x --group nosuchgroup
grep_err "nosuchgroup"
# A name that reads as a MAC would make NAME|MAC lookups ambiguous.
expect_status 2 $LR client add 52:54:00:12:34:58 --name 525400123456 --group room101
grep_err "reads as a MAC"

$LR group list --json >"$tmp/groups.after"
$LR client list --json >"$tmp/clients.after"
cmp "$tmp/groups.before" "$tmp/groups.after" || fail "groups changed"
cmp "$tmp/clients.before" "$tmp/clients.after" || fail "clients changed"

# Renaming onto a taken name fails too.
$LR client add 52:54:00:12:34:59 --name pc02 --group room101
expect_status 1 $LR client set pc02 --name pc01
[ "$($LR client show 52:54:00:12:34:59 --json | json_get '["name"]')" = pc02 ] ||
	fail "client renamed onto a taken name"

# The same image name again is the next version of that image.
$LR image import lab "$tmp/disk.img" --format raw
[ "$($LR image list --json | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "a second image named lab"
[ "$($LR image show lab --json | json_get '["latest"]')" = 2 ] || fail "lab has no version 2"
