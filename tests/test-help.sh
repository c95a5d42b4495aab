#!/bin/sh
# Every program and every lanroot subcommand answers --help with exit 0,
# and an unknown subcommand is a usage error (exit 2).
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir

for prog in lanroot lanroot-blockd lanroot-bootd lanroot-mkinitramfs; do
	"$prog" --help >"$tmp/out" || fail "$prog --help failed"
	grep -qi usage "$tmp/out" || fail "$prog --help prints no usage"
done
for cmd in init status image group client \
	"image import" "image list" "image show" "image versions" "image publish" \
	"image rollback" "image delete" "image gc" "image verify" "image diff" \
	"group add" "group list" "group show" "group set" "group delete" \
	"client add" "client list" "client show" "client set" "client delete" \
	"client reset" "client capture"; do
	# shellcheck disable=SC2086
	lanroot $cmd --help >"$tmp/out" || fail "lanroot $cmd --help failed"
	grep -qi usage "$tmp/out" || fail "lanroot $cmd --help prints no usage"
done
expect_status 2 lanroot frobnicate
grep_err "unknown command"
expect_status 2 lanroot image frobnicate
