#!/bin/sh
# A registry file that is not an SQLite database is refused with a clear
# message (exit 1) and left as it was.
. "${top_srcdir:-.}/tests/functions.sh"
mktmpdir
lanroot_env

$LR init
rm -f "$state/registry.db-wal" "$state/registry.db-shm"
printf 'this is not a database, it is a text file\n%.0s' $(seq 1 100) >"$state/registry.db"
cp "$state/registry.db" "$tmp/saved"
for cmd in "image list" "group list" "client list" "status" "image show lab"; do
	# shellcheck disable=SC2086
	expect_status 1 $LR $cmd
	grep_err "^lanroot: .*registry.db"
	grep -qi "sqlite\|database" "$tmp/err" || { cat "$tmp/err"; fail "$cmd: message does not say what is wrong"; }
done
truncate -s 1M "$tmp/disk.img"
expect_status 1 $LR image import lab "$tmp/disk.img" --format raw
cmp "$state/registry.db" "$tmp/saved" || fail "the file was changed"
[ -z "$(ls -A "$state/images")" ] || fail "an import went ahead"
# init does not paper over it either.
expect_status 1 $LR init
cmp "$state/registry.db" "$tmp/saved" || fail "init changed the file"
