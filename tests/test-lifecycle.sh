#!/bin/sh
# The whole image lifecycle through the CLI: init → import a tree →
# publish → group → client → write through the client's overlay → capture
# → the new version has the right parent → diff names the changed file →
# publish → rollback → gc keeps what is in use → verify.
. "${top_srcdir:-.}/tests/functions.sh"
requires mkfs.ext4 -V
requires debugfs -V
requires "$PYTHON" --version
mktmpdir
lanroot_env

make_tree "$tmp/tree"
$LR init
$LR image import lab "$tmp/tree" --format ext4 --size 16M --note "first build"
$LR image show lab --json >"$tmp/show"
[ "$(json_get '["published"]' <"$tmp/show")" = 1 ] || fail "version 1 is not published at once"
[ "$(json_get '["versions"][0]["kernel"]' <"$tmp/show")" != null ] || fail "no kernel found in /boot"
$LR image publish lab 1		# already published: fine
$LR group add room101 --image lab --mode persistent
$LR client add 52:54:00:12:34:56 --name pc01 --group room101

# The client changes /etc/hostname: a block write through its overlay at
# the file's first data block (same length, so the inode stays right).
img=$state/images/lab/1/rootfs.img
blk=$(debugfs -R "bmap /etc/hostname 0" "$img" 2>/dev/null)
bs=$(debugfs -R "stats" "$img" 2>/dev/null | sed -n 's/^Block size: *//p')
[ -n "$blk" ] && [ "$blk" -gt 0 ] && [ -n "$bs" ] || fail "cannot find /etc/hostname's block (blk=$blk bs=$bs)"
printf 'pc-01!\n' >"$tmp/newhost"
$LR overlay write pc01 $((blk * bs)) "$tmp/newhost"
$LR overlay read pc01 $((blk * bs)) 7 >"$tmp/readback"
cmp "$tmp/readback" "$tmp/newhost" || fail "overlay read does not return what was written"
$LR client show pc01 --json | json_get '["overlay"]["exists"]' | grep -qx true ||
	fail "client show: the overlay does not exist after a write"

# Capture → version 2, parent 1, unpublished; its /etc/hostname is new.
lanroot -c "$conf" client capture pc01 --note "pc01's changes" >"$tmp/out"
grep -q "as lab version 2 (parent 1; unpublished" "$tmp/out" || { cat "$tmp/out"; fail "capture message"; }
$LR image versions lab --json >"$tmp/versions"
[ "$(json_get '[1]["version"]' <"$tmp/versions")" = 2 ] || fail "no version 2"
[ "$(json_get '[1]["parent"]' <"$tmp/versions")" = 1 ] || fail "version 2's parent is not 1"
[ "$(json_get '[1]["published"]' <"$tmp/versions")" = false ] || fail "a capture was published"
debugfs -R "cat /etc/hostname" "$state/images/lab/2/rootfs.img" 2>/dev/null >"$tmp/host2"
cmp "$tmp/host2" "$tmp/newhost" || fail "version 2 does not hold the client's change"

# diff names exactly the changed file.
$LR image diff lab 1 2 >"$tmp/diff"
[ "$(cat "$tmp/diff")" = "M /etc/hostname" ] || { cat "$tmp/diff"; fail "diff lab 1 2"; }
$LR image diff lab 1 2 --json | json_get '[0]["change"]' | grep -qx changed || fail "diff --json"

# publish 2, roll back to 1.
$LR image publish lab 2
[ "$($LR image list --json | json_get '[0]["published"]')" = 2 ] || fail "publish 2"
[ "$($LR group show room101 --json | json_get '["boots"]')" = 2 ] || fail "room101 does not follow"
$LR image rollback lab
[ "$($LR image list --json | json_get '[0]["published"]')" = 1 ] || fail "rollback: not 1 again"

# A second capture makes version 3; a group pins version 2.
$LR client capture pc01 --note again
$LR group add exam --image lab --version 2
# gc: 1 is published and used by room101, 2 is pinned by exam, 3 is the
# latest version: nothing goes.
lanroot -c "$conf" image gc >"$tmp/gc"
grep -qx "kept lab@1: used by group room101, published" "$tmp/gc" || { cat "$tmp/gc"; fail "gc lab@1"; }
grep -qx "kept lab@2: used by group exam" "$tmp/gc" || { cat "$tmp/gc"; fail "gc lab@2"; }
grep -qx "kept lab@3: latest version" "$tmp/gc" || { cat "$tmp/gc"; fail "gc lab@3"; }
[ -d "$state/images/lab/2" ] || fail "gc removed a pinned version"
# Once exam is gone, version 2 is unused: a dry run names it, gc removes it.
$LR group delete exam
lanroot -c "$conf" image gc --dry-run | grep -qx "would remove lab@2" || fail "gc --dry-run"
[ -d "$state/images/lab/2" ] || fail "gc --dry-run removed something"
# A work directory left in STATE/tmp by a crashed lanroot goes too; one
# that is being written to stays.
mkdir -p "$state/tmp/work-crashed/sub" "$state/tmp/work-busy"
echo half >"$state/tmp/work-crashed/sub/rootfs.img"
find "$state/tmp/work-crashed" -exec touch -h -d '2 hours ago' {} +
lanroot -c "$conf" image gc >"$tmp/gc"
grep -qx "removed lab@2" "$tmp/gc" || { cat "$tmp/gc"; fail "gc did not remove lab@2"; }
grep -qx "removed tmp/work-crashed (left over)" "$tmp/gc" || { cat "$tmp/gc"; fail "gc tmp"; }
[ -d "$state/tmp/work-busy" ] || fail "gc removed a fresh work directory"
rmdir "$state/tmp/work-busy"
[ ! -e "$state/images/lab/2" ] || fail "gc left images/lab/2"
[ "$($LR image versions lab --json | "$PYTHON" -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(sys.stdin)))')" = "1 3" ] ||
	fail "versions after gc are not 1 3"
tmp_empty

# verify: all good, then a flipped byte in version 3 is found.
lanroot -c "$conf" image verify lab >"$tmp/verify"
[ "$(cat "$tmp/verify")" = "lab@1: ok
lab@3: ok" ] || { cat "$tmp/verify"; fail "verify"; }
printf 'X' | dd of="$state/images/lab/3/rootfs.img" bs=1 seek=$((blk * bs)) conv=notrunc 2>/dev/null
expect_status 1 $LR image verify lab
grep -q "lab@3: FAILED" "$tmp/out" || { cat "$tmp/out"; fail "verify does not name lab@3"; }
grep -q "lab@1: ok" "$tmp/out" || fail "verify lab@1"
