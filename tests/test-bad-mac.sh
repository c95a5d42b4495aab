#!/bin/sh
# A bad MAC address is a usage error with a clear message, and adds nothing.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir
lanroot_env

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR group add room101 --image lab
for mac in zz:54:00:12:34:56 52:54:00:12:34 52:54:00:12:34:56:78 52:54:00:12:34:5g \
	01:00:5e:00:00:01 ff:ff:ff:ff:ff:ff 00:00:00:00:00:00 "" 52::54:00:12:34 \
	5254.0012.345 52:54:00:123:4:56; do
	expect_status 2 $LR client add "$mac" --name pc01 --group room101
	grep_err "invalid MAC address '$mac'"
done
[ "$($LR client list --json)" = "[]" ] || fail "a client was added"
# Looking up an unknown or malformed MAC fails cleanly.
expect_status 1 $LR client show 52:54:00:99:99:99
expect_status 1 $LR client show zz:zz
expect_status 1 $LR client delete zz:zz
