#!/bin/sh
# --json on every listing, show and report prints one valid JSON document
# on stdout, and nothing else (json.tool refuses anything after it).
. "${top_srcdir:-.}/tests/functions.sh"
requires mkfs.ext4 -V
requires "$PYTHON" --version
mktmpdir
lanroot_env

$LR init
make_ext4 "$tmp/disk.img"
$LR image import lab "$tmp/disk.img"
json_valid $LR image import lab "$tmp/disk.img" --json
$LR group add g1 --image lab --mode persistent
$LR client add 52:54:00:12:34:56 --name pc01 --group g1
printf 'x' >"$tmp/x"
$LR overlay write pc01 0 "$tmp/x"
json_valid $LR status --json
json_valid $LR image list --json
json_valid $LR image show lab --json
json_valid $LR image versions lab --json
json_valid $LR image verify lab --json
json_valid $LR image diff lab 1 2 --json
json_valid $LR image gc --dry-run --json
json_valid $LR group list --json
json_valid $LR group show g1 --json
json_valid $LR client list --json
json_valid $LR client show pc01 --json
json_valid $LR client capture pc01 --json
[ "$($LR image list --json | json_get '[0]["latest"]')" = 3 ] || fail "capture --json made no version"
