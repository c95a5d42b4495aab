# Shared helpers for lanroot's shell tests.  Source it first thing:
#     . "${top_srcdir:-.}/tests/functions.sh"
# make check exports top_srcdir, top_builddir and a PATH with the in-tree
# programs first.  A test that needs a missing tool exits 77 (skip); under
# CI=true that counts as a failure in .ci/run.

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# /usr/bin first: nbdsh and our Python helpers need Debian's python3 (python3-libnbd),
# not another python3 that may come earlier in PATH.
PATH="$top_builddir/admin:$top_builddir/nbd:$top_builddir/bootserver:$top_builddir/initramfs:/usr/bin:$PATH"

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
log = stderr
user =
[server]
address = 127.0.0.1
EOC
	LR="lanroot -q -c $conf"
}

# free_port — print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# blockd_conf [LINE…] — add an [nbd] section to $conf: 127.0.0.1 on a free
# port ($nbd_port), the control socket in $tmp ($ctl), and each LINE
# (e.g. "idle_timeout = 5").  Call after lanroot_env.
blockd_conf() {
	nbd_port=$(free_port)
	ctl=$tmp/blockd.sock
	{
		printf '[nbd]\nlisten = 127.0.0.1\nport = %s\ncontrol = %s\n' "$nbd_port" "$ctl"
		for line in "$@"; do printf '%s\n' "$line"; done
	} >>"$conf"
}

# ctl_cmd JSON — send one request to blockd's control socket, print the
# reply line; exit status 1 if the reply is not {"ok":true,…}.
ctl_cmd() {
	"$PYTHON" -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.decode().strip())
sys.exit(0 if json.loads(buf).get("ok") else 1)' "$ctl" "$1"
}

# blockd_start — start lanroot-blockd -f on $conf in the background
# ($blockd_pid, log in $tmp/blockd.log) and wait until its control socket
# answers; stopped at exit.
blockd_start() {
	lanroot-blockd -c "$conf" -f 2>>"$tmp/blockd.log" &
	blockd_pid=$!
	cleanup_fn "kill $blockd_pid 2>/dev/null; wait $blockd_pid 2>/dev/null || true"
	i=0
	until ctl_cmd '{"cmd":"ping"}' >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$blockd_pid" 2>/dev/null; then
			cat "$tmp/blockd.log" >&2
			fail "lanroot-blockd did not start"
		fi
		sleep 0.1
	done
}

# blockd_stop — SIGTERM; lanroot-blockd must exit 0.
blockd_stop() {
	kill -TERM "$blockd_pid"
	rc=0
	wait "$blockd_pid" || rc=$?
	[ $rc -eq 0 ] || { cat "$tmp/blockd.log" >&2; fail "lanroot-blockd exited $rc after SIGTERM"; }
}

# blockd_kill9 — SIGKILL (a crash); no flush happens.
blockd_kill9() {
	kill -KILL "$blockd_pid"
	wait "$blockd_pid" 2>/dev/null || true
}

# make_raw FILE SIZE — a raw image of random bytes (not sparse).
make_raw() {
	head -c "$2" /dev/urandom >"$1"
}

# nbd_setup [MODE] [SIZE] — init a store, import a random raw image
# ($tmp/base.img, default 8 MiB) as image "lab", a group "room" in MODE
# (default persistent) and client pc01 (52:54:00:00:00:01).  Sets $export
# and $uri for pc01.  Call after lanroot_env and blockd_conf.
nbd_setup() {
	$LR init >/dev/null
	make_raw "$tmp/base.img" "${2:-8388608}"
	# (A raw image has no kernel to find: import warns; that is expected.)
	$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>"$tmp/import.err" ||
		{ cat "$tmp/import.err" >&2; fail "image import failed"; }
	$LR group add room --image lab --mode "${1:-persistent}" >/dev/null
	nbd_client_add pc01 52:54:00:00:00:01
	export=$(nbd_export pc01)
	uri="nbd://127.0.0.1:$nbd_port/$export"
}

# nbd_client_add NAME MAC [GROUP] — register a client (group "room").
nbd_client_add() {
	$LR client add "$2" --name "$1" --group "${3:-room}" >/dev/null
}

# nbd_export NAME — the client's export name, as bootd would render it.
nbd_export() {
	$LR client show "$1" --json | json_get '["export"]'
}

# PYTHON — the system's python3 when there is one: a version manager's
# shim (pyenv) first in PATH costs a second per call.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# make_tree DIR — a tiny root file system tree: /etc/hostname ("lab-pc"),
# a dummy kernel and initrd in /boot, a file in /home/student.
make_tree() {
	mkdir -p "$1/boot" "$1/etc" "$1/home/student"
	printf 'lab-pc\n' >"$1/etc/hostname"
	echo "not a kernel" >"$1/boot/vmlinuz-6.1.0-test"
	echo "not an initrd" >"$1/boot/initrd.img-6.1.0-test"
	echo "hello" >"$1/home/student/notes.txt"
}

# make_ext4 FILE [SIZE] — an ext4 image (default 16M) of a make_tree tree,
# built without root.
make_ext4() {
	rm -rf "$tmp/.ext4-tree"
	make_tree "$tmp/.ext4-tree"
	truncate -s "${2:-16M}" "$1"
	mkfs.ext4 -q -F -d "$tmp/.ext4-tree" "$1" >/dev/null
	rm -rf "$tmp/.ext4-tree"
}

# json_get EXPR — print the value at the Python subscript EXPR (e.g.
# '[0]["name"]') of the JSON document on stdin: strings and numbers as
# they are, anything else as JSON (true, null, [...]).
json_get() {
	"$PYTHON" -c '
import json, sys
v = eval("json.load(sys.stdin)" + sys.argv[1])
print(v if isinstance(v, (str, int)) and not isinstance(v, bool) else json.dumps(v))
' "$1"
}

# json_valid CMD… — CMD must exit 0 and print one valid JSON document.
json_valid() {
	"$@" >"$tmp/json" || fail "'$*' failed"
	"$PYTHON" -m json.tool "$tmp/json" >/dev/null || { cat "$tmp/json"; fail "'$*' printed invalid JSON"; }
}

# tmp_empty — STATE/tmp must hold nothing (no half-made version left over).
tmp_empty() {
	if [ -n "$(ls -A "$state/tmp" 2>/dev/null)" ]; then
		ls -la "$state/tmp"
		fail "$state/tmp is not empty"
	fi
}

# ---- sessions held by real NBD clients (blockd tests) ----
# json_true PYEXPR — PYEXPR holds for d, the JSON document in $tmp/json.
json_true() {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$tmp/json" "$1" || { cat "$tmp/json"; fail "not true: $1"; }
}

# wait_until WHAT CMD… — run CMD every 0.1 s until it succeeds (10 s at most).
wait_until() {
	what=$1; shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}

# hold NAME [DATA] — a libnbd client on NAME's export: writes DATA at
# offset 0 and flushes if given, then reads every 0.1 s until the
# connection dies; $tmp/NAME.dead then holds the error.  Sets $hold_pid.
hold() {
	rm -f "$tmp/$1.ready" "$tmp/$1.dead"
	"$PYTHON" -c '
import nbd, sys, time
uri, ready, dead = sys.argv[1:4]
h = nbd.NBD()
h.connect_uri(uri)
if len(sys.argv) > 4:
    h.pwrite(sys.argv[4].encode(), 0)
    h.flush()
open(ready, "w").close()
try:
    while True:
        h.pread(512, 0)
        time.sleep(0.1)
except nbd.Error as e:
    open(dead, "w").write(str(e))
' "nbd://127.0.0.1:$nbd_port/$(nbd_export "$1")" "$tmp/$1.ready" "$tmp/$1.dead" \
		${2+"$2"} 2>>"$tmp/client.log" &
	hold_pid=$!
	cleanup_fn "kill $hold_pid 2>/dev/null"
	i=0
	until [ -e "$tmp/$1.ready" ]; do
		kill -0 $hold_pid 2>/dev/null || { cat "$tmp/client.log"; fail "the NBD client of $1 could not connect"; }
		i=$((i + 1)); [ $i -lt 100 ] || fail "the NBD client of $1 did not connect"
		sleep 0.1
	done
}

# sessions_of NAME — how many sessions `lanroot status` lists for NAME.
sessions_of() {
	lanroot -c "$conf" status --json |
		"$PYTHON" -c 'import json, sys; print(sum(s["client"] == sys.argv[1] for s in json.load(sys.stdin)["sessions"]))' "$1"
}

# conf_set SECTION KEY VALUE — set KEY in [SECTION] of $conf, replacing an
# earlier value (the config refuses a key given twice).
conf_set() {
	"$PYTHON" - "$conf" "$1" "$2" "$3" <<'EOP'
import re, sys
path, sec, key, val = sys.argv[1:5]
lines = open(path).read().splitlines()
cur, done = None, False
for i, l in enumerate(lines):
    m = re.match(r'\s*\[(.+)\]\s*$', l)
    if m:
        cur = m.group(1)
    elif cur == sec and re.match(r'\s*' + re.escape(key) + r'\s*=', l):
        lines[i] = '%s = %s' % (key, val)
        done = True
if not done:
    lines += ['[%s]' % sec, '%s = %s' % (key, val)]
open(path, 'w').write('\n'.join(lines) + '\n')
EOP
}

# free_udp_port — print a UDP port on 127.0.0.1 that nothing uses now.
free_udp_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1]); s.close()'
}

# bootd_conf [SECTION.KEY=VALUE…] — configure lanroot-bootd in $conf (call
# after lanroot_env): TFTP on 127.0.0.1:$TFTP_PORT with root $tmp/tftp, HTTP
# on 127.0.0.1:$HTTP_PORT, DHCP off, control socket $bootd_ctl; then each
# argument sets one key ("dhcp.mode=full").
bootd_conf() {
	TFTP_PORT=$(free_udp_port)
	HTTP_PORT=$(free_port)
	bootd_ctl=$tmp/bootd.sock
	mkdir -p "$tmp/tftp"
	conf_set server control "$bootd_ctl"
	conf_set tftp listen 127.0.0.1
	conf_set tftp port "$TFTP_PORT"
	conf_set tftp root "$tmp/tftp"
	conf_set http listen 127.0.0.1
	conf_set http port "$HTTP_PORT"
	conf_set dhcp mode off
	for kv in "$@"; do
		k=${kv%%=*}
		conf_set "${k%%.*}" "${k#*.}" "${kv#*=}"
	done
}

# bootd_ctl_cmd JSON — as ctl_cmd, to lanroot-bootd's control socket.
bootd_ctl_cmd() {
	ctl=$bootd_ctl ctl_cmd "$1"
}

# bootd_start [NETNS] — start lanroot-bootd -f on $conf in the background
# (inside NETNS if given; $bootd_pid, log in $tmp/bootd.log) and wait until
# its control socket answers; stopped at exit.
bootd_start() {
	if [ $# -gt 0 ]; then
		ip netns exec "$1" lanroot-bootd -c "$conf" -f 2>>"$tmp/bootd.log" &
	else
		lanroot-bootd -c "$conf" -f 2>>"$tmp/bootd.log" &
	fi
	bootd_pid=$!
	cleanup_fn "kill $bootd_pid 2>/dev/null; wait $bootd_pid 2>/dev/null || true"
	i=0
	until bootd_ctl_cmd '{"cmd":"ping"}' >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$bootd_pid" 2>/dev/null; then
			cat "$tmp/bootd.log" >&2
			fail "lanroot-bootd did not start"
		fi
		sleep 0.1
	done
}

# bootd_stop — SIGTERM; lanroot-bootd must exit 0.
bootd_stop() {
	kill -TERM "$bootd_pid"
	rc=0
	wait "$bootd_pid" || rc=$?
	[ $rc -eq 0 ] || { cat "$tmp/bootd.log" >&2; fail "lanroot-bootd exited $rc after SIGTERM"; }
}

# netns_new NAME — create the network namespace lr<pid>NAME (deleted at
# exit) with its loopback up, and set $netns to its name (not in $(…): the
# cleanup must be registered in this shell).  Needs root (skips without).
netns_new() {
	requires_root
	netns=lr$$$1
	ip netns add "$netns" || fail "cannot create network namespace $netns"
	cleanup_fn "ip netns del $netns 2>/dev/null"
	ip -n "$netns" link set lo up
}

# netns_veth NS1 IF1 ADDR1 NS2 IF2 ADDR2 — a veth pair IF1 (in NS1) ↔ IF2
# (in NS2), both up; ADDRn is CIDR ("192.0.2.1/24") or "-" for none.
netns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		fail "cannot create veth $2/$5"
	[ "$3" = - ] || ip -n "$1" addr add "$3" dev "$2"
	[ "$6" = - ] || ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}
