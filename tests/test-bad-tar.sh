#!/bin/sh
# A tar archive whose members would land outside the tree — a "../" path,
# an absolute path, or a member written through a symlink that points out
# of the tree — is refused naming the member; nothing is recorded, nothing
# is written outside, and STATE/tmp is left empty.
. "${top_srcdir:-.}/tests/functions.sh"
requires mkfs.ext4 -V
requires "$PYTHON" --version
mktmpdir
lanroot_env

$LR init
$LR image list --json >"$tmp/list.before"

# mktar FILE SPEC... — SPEC is file:NAME, dir:NAME or symlink:NAME:TARGET.
mktar() {
	"$PYTHON" - "$@" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
with tarfile.open(out, "w") as t:
    for spec in sys.argv[2:]:
        kind, rest = spec.split(":", 1)
        if kind == "file":
            data = b"evil\n"
            ti = tarfile.TarInfo(rest); ti.size = len(data); ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
        elif kind == "dir":
            ti = tarfile.TarInfo(rest); ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            t.addfile(ti)
        else:
            name, target = rest.split(":", 1)
            ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target
            t.addfile(ti)
PY
}

check_unchanged() {
	$LR image list --json >"$tmp/list.after"
	cmp -s "$tmp/list.before" "$tmp/list.after" || fail "$1: the registry changed"
	[ -z "$(ls -A "$state/images")" ] || fail "$1: left something in images/"
	tmp_empty
	[ ! -e "$tmp/escaped" ] && [ ! -e "$tmp/target/escaped" ] || fail "$1: a file escaped"
}

mkdir "$tmp/target"
mktar "$tmp/dotdot.tar" dir:etc file:etc/hostname "file:../../../../../..$tmp/escaped"
expect_status 1 $LR image import lab "$tmp/dotdot.tar"
grep_err "^lanroot: image import: .*\.\./"
check_unchanged dotdot

mktar "$tmp/dotdot2.tar" dir:etc "file:etc/../../escaped"
expect_status 1 $LR image import lab "$tmp/dotdot2.tar"
grep_err "etc/\.\./\.\./escaped"
check_unchanged dotdot2

mktar "$tmp/absolute.tar" "file:$tmp/escaped"
expect_status 1 $LR image import lab "$tmp/absolute.tar"
grep_err "$tmp/escaped"
check_unchanged absolute

# An absolute symlink, then a member through it.
mktar "$tmp/symlink.tar" dir:etc "symlink:link:$tmp/target" "file:link/escaped"
expect_status 1 $LR image import lab "$tmp/symlink.tar"
grep_err "link/escaped"
check_unchanged "absolute symlink"

# A relative symlink climbing out, then a member through it.
mktar "$tmp/relsym.tar" dir:a "symlink:a/up:../../../../../../../..$tmp/target" "file:a/up/escaped"
expect_status 1 $LR image import lab "$tmp/relsym.tar"
grep_err "a/up"
check_unchanged "relative symlink"

# The same kinds of members, harmless, import fine.
mktar "$tmp/good.tar" dir:etc file:etc/hostname "symlink:etc/mtab:/proc/self/mounts" \
	"symlink:etc/alt:../usr" dir:usr file:usr/x
$LR image import lab "$tmp/good.tar" --size 16M
tmp_empty
