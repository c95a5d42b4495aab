# Shared helpers for lanroot's shell tests.  Source it first thing:
#     . "${top_srcdir:-.}/tests/functions.sh"
# make check exports top_srcdir, top_builddir and a PATH with the in-tree
# programs first.  A test that needs a missing tool exits 77 (skip); under
# CI=true that counts as a failure in .ci/run.

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH="$top_builddir/admin:$top_builddir/nbd:$top_builddir/bootserver:$top_builddir/initramfs:$PATH"

_cleanup_fns=""

# cleanup_fn CMD... — run CMD at exit (last registered runs first).
cleanup_fn() {
	_cleanup_fns="$*;$_cleanup_fns"
}

_run_cleanup() {
	rc=$?
	set +e
	IFS=';'
	for c in $_cleanup_fns; do
		[ -n "$c" ] && eval "$c"
	done
	unset IFS
	exit $rc
}
trap _run_cleanup EXIT INT TERM

# requires CMD [ARGS…] — skip the test (77) unless CMD runs.
requires() {
	if ! "$@" >/dev/null 2>&1; then
		echo "$0: test skipped: '$*' failed (missing tool?)" >&2
		exit 77
	fi
}

# requires_root — skip unless running as root.
requires_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$0: test skipped: needs root" >&2
		exit 77
	fi
}

# mktmpdir — a private work directory, removed at exit.  Sets $tmp.
mktmpdir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lanroot-test.XXXXXX")
	cleanup_fn "rm -rf '$tmp'"
}

# fail MSG — print and exit 1.
fail() {
	echo "FAIL: $0: $*" >&2
	exit 1
}

# expect_fail STATUS CMD… — CMD must exit with STATUS; its stderr is kept
# in $tmp/err for checks.
expect_status() {
	want=$1; shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
		fail "'$*' exited $got, expected $want"
	fi
}

# grep_err PATTERN — the last expect_status' stderr must match PATTERN.
grep_err() {
	grep -q -e "$1" "$tmp/err" || { cat "$tmp/err"; fail "stderr lacks '$1'"; }
}

# lanroot_env — a fresh state dir and config in $tmp; sets $LR (the admin
# command with its -c option) and $state.
lanroot_env() {
	state=$tmp/state
	conf=$tmp/lanroot.conf
	cat >"$conf" <<EOC
[lanroot]
state_dir = $state
server_address = 127.0.0.1
log = stderr
EOC
	LR="lanroot -q -c $conf"
}
