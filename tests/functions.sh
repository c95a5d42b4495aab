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

# runs_as_nobody NAME PID — /proc/PID/status of daemon NAME shows nobody's
# uid and gid (real, effective, saved and file system), no supplementary
# groups and no effective capabilities.
runs_as_nobody() {
	_st=/proc/$2/status
	_u=$(id -u nobody) _g=$(id -g nobody)
	grep -q "^Uid:[[:space:]]*$_u[[:space:]]*$_u[[:space:]]*$_u[[:space:]]*$_u\$" "$_st" ||
		{ grep '^[UG]id' "$_st"; fail "$1 does not run as nobody"; }
	grep -q "^Gid:[[:space:]]*$_g[[:space:]]*$_g[[:space:]]*$_g[[:space:]]*$_g\$" "$_st" ||
		{ grep '^[UG]id' "$_st"; fail "$1 does not run with nobody's group"; }
	grep -q '^Groups:[[:space:]]*$' "$_st" ||
		{ grep '^Groups' "$_st"; fail "$1 kept supplementary groups"; }
	grep -q '^CapEff:[[:space:]]*0*$' "$_st" ||
		{ grep '^Cap' "$_st"; fail "$1 kept effective capabilities"; }
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

# ctl_send SOCKET JSON — send one request to a daemon's control socket,
# print the reply line; exit status 1 if the reply is not {"ok":true,…}.
ctl_send() {
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
sys.exit(0 if json.loads(buf).get("ok") else 1)' "$1" "$2"
}

# ctl_cmd JSON — ctl_send to blockd's control socket ($ctl).
ctl_cmd() {
	ctl_send "$ctl" "$1"
}

# daemon_start NAME LOG CTL CMD… — run CMD (daemon NAME in the foreground)
# in the background with its stderr appended to LOG ($daemon_pid), stop it
# at exit, and wait until its control socket CTL answers a ping.
daemon_start() {
	_name=$1 _log=$2 _ctl=$3
	shift 3
	"$@" 2>>"$_log" &
	daemon_pid=$!
	cleanup_fn "kill $daemon_pid 2>/dev/null; wait $daemon_pid 2>/dev/null || true"
	i=0
	until ctl_send "$_ctl" '{"cmd":"ping"}' >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
			cat "$_log" >&2
			fail "$_name did not start"
		fi
		sleep 0.1
	done
}

# daemon_stop NAME PID LOG — SIGTERM to PID; daemon NAME must exit 0 (LOG
# is shown when it does not).
daemon_stop() {
	kill -TERM "$2"
	rc=0
	wait "$2" || rc=$?
	[ $rc -eq 0 ] || { cat "$3" >&2; fail "$1 exited $rc after SIGTERM"; }
}

# blockd_start — start lanroot-blockd -f on $conf in the background
# ($blockd_pid, log in $tmp/blockd.log) and wait until its control socket
# answers; stopped at exit.
blockd_start() {
	daemon_start lanroot-blockd "$tmp/blockd.log" "$ctl" lanroot-blockd -c "$conf" -f
	blockd_pid=$daemon_pid
}

# blockd_stop — SIGTERM; lanroot-blockd must exit 0.
blockd_stop() {
	daemon_stop lanroot-blockd "$blockd_pid" "$tmp/blockd.log"
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

# boot_registry [MODE [SIZE [OPTION…]]] — init the store, import a random
# raw image ($tmp/base.img, default 1 MiB) as image "lab", add a group
# "room" in MODE (default volatile) and client pc01 (52:54:00:00:00:01)
# with each OPTION of `client add` ("--ip 192.0.2.150").  After lanroot_env.
boot_registry() {
	$LR init >/dev/null
	make_raw "$tmp/base.img" "${2:-1048576}"
	# (A raw image has no kernel to find: import warns; that is expected.)
	$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>"$tmp/import.err" ||
		{ cat "$tmp/import.err" >&2; fail "image import failed"; }
	$LR group add room --image lab --mode "${1:-volatile}" >/dev/null
	if [ $# -gt 2 ]; then shift 2; else set --; fi
	$LR client add 52:54:00:00:00:01 --name pc01 --group room "$@" >/dev/null
}

# nbd_setup [MODE] [SIZE] — boot_registry with MODE (default persistent)
# and SIZE (default 8 MiB); sets $export and $uri for pc01.  Call after
# lanroot_env and blockd_conf.
nbd_setup() {
	boot_registry "${1:-persistent}" "${2:-8388608}"
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
# on 127.0.0.1:$HTTP_PORT ($http_url), DHCP off, control socket $bootd_ctl;
# then each argument sets one key ("dhcp.mode=full").
bootd_conf() {
	TFTP_PORT=$(free_udp_port)
	HTTP_PORT=$(free_port)
	http_url=http://127.0.0.1:$HTTP_PORT
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

# bootd_env [SECTION.KEY=VALUE…] — mktmpdir, lanroot_env, an empty store and
# bootd_conf with the arguments: the opening of a TFTP or HTTP test.
bootd_env() {
	mktmpdir
	lanroot_env
	$LR init >/dev/null
	bootd_conf "$@"
}

# bootd_conf_full [SECTION.KEY=VALUE…] — bootd_conf for full-mode DHCP on
# eth0 (see dhcp_pair): server address 192.0.2.1, debug log lines, subnet
# 192.0.2.0/24, pool 192.0.2.100-192.0.2.119, no router advertisements;
# then each argument sets one key (a later value replaces these).
bootd_conf_full() {
	bootd_conf server.address=192.0.2.1 lanroot.log_level=debug \
		dhcp.mode=full dhcp.interface=eth0 dhcp.subnet=192.0.2.0/24 \
		dhcp.range=192.0.2.100-192.0.2.119 dhcp.router_advertisement=off "$@"
}

# bootd_ctl_cmd JSON — ctl_send to lanroot-bootd's control socket.
bootd_ctl_cmd() {
	ctl_send "$bootd_ctl" "$1"
}

# bootd_call CMD — bootd's control call CMD ("status", "leases"); the reply
# is in $tmp/json (for json_true).  Fails the test when the call fails.
bootd_call() {
	bootd_ctl_cmd '{"cmd":"'"$1"'"}' >"$tmp/json" || { cat "$tmp/json"; fail "$1 call failed"; }
}

# bootd_lease_bound MAC IP [HOSTNAME] — the leases call lists IP bound to
# MAC (with that host name, if given).
bootd_lease_bound() {
	bootd_call leases
	_want='l["mac"] == "'"$1"'" and l["ip"] == "'"$2"'" and l["state"] == "bound"'
	[ $# -lt 3 ] || _want=$_want' and l["hostname"] == "'"$3"'"'
	json_true "any($_want for l in d[\"leases\"])"
}

# bootd_start [NETNS] — start lanroot-bootd -f on $conf in the background
# (inside NETNS if given; $bootd_pid, log in $tmp/bootd.log) and wait until
# its control socket answers; stopped at exit.
bootd_start() {
	daemon_start lanroot-bootd "$tmp/bootd.log" "$bootd_ctl" \
		${1:+ip netns exec "$1"} lanroot-bootd -c "$conf" -f
	bootd_pid=$daemon_pid
}

# bootd_stop — SIGTERM; lanroot-bootd must exit 0.
bootd_stop() {
	daemon_stop lanroot-bootd "$bootd_pid" "$tmp/bootd.log"
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

# dhcp_pair [CLI_ADDR [CLI_MAC]] — namespaces $srv and $cli joined by veth
# eth0 ↔ eth0, 192.0.2.1/24 on the server's side; the client's side gets
# CLI_ADDR (CIDR; default "-", none) and, if given, the MAC address CLI_MAC.
dhcp_pair() {
	netns_new srv; srv=$netns
	netns_new cli; cli=$netns
	netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 "${1:--}"
	[ $# -lt 2 ] || ip -n "$cli" link set eth0 address "$2"
}

# dhcp_relay_net — $srv (eth0 192.0.2.1/24) and a relay agent's namespace
# $rly (eth0 192.0.2.2/24 beside it, eth1 198.51.100.1/24 towards $far, the
# remote clients' segment where nobody is: pxe-client.py speaks for them);
# $srv routes 198.51.100.0/24 via the relay.
dhcp_relay_net() {
	netns_new srv; srv=$netns
	netns_new rly; rly=$netns
	netns_new far; far=$netns
	netns_veth "$srv" eth0 192.0.2.1/24 "$rly" eth0 192.0.2.2/24
	netns_veth "$rly" eth1 198.51.100.1/24 "$far" eth0 -
	ip -n "$srv" route add 198.51.100.0/24 via 192.0.2.2
}

# bootd_conf_relay [SECTION.KEY=VALUE…] — bootd_conf_full serving both
# segments of dhcp_relay_net: subnets 192.0.2.0/24 and 198.51.100.0/24,
# pools .100-.119 of each; then each argument sets one key.
bootd_conf_relay() {
	bootd_conf_full dhcp.subnet=192.0.2.0/24,198.51.100.0/24 \
		dhcp.range=192.0.2.100-192.0.2.119,198.51.100.100-198.51.100.119 "$@"
}

# netns_bridge NS — a bridge br0 in NS, up, that forwards at once.
netns_bridge() {
	ip -n "$1" link add br0 type bridge forward_delay 0
	ip -n "$1" link set br0 up
}

# bridge_veth NS PORT NS2 IF ADDR — a veth from PORT, a port of NS's br0,
# to IF in NS2 with ADDR (CIDR or "-").
bridge_veth() {
	netns_veth "$1" "$2" - "$3" "$4" "$5"
	ip -n "$1" link set "$2" master br0
}

# udhcpd_start NS IF [LINE…] — busybox udhcpd in NS on IF hands out
# 192.0.2.50-192.0.2.60 with mask 255.255.255.0 and each udhcpd.conf LINE
# ("option router 192.0.2.2"); log in $tmp/udhcpd.log; stopped at exit.
udhcpd_start() {
	_ns=$1
	{
		printf 'start 192.0.2.50\nend 192.0.2.60\ninterface %s\n' "$2"
		printf 'lease_file %s\npidfile %s\n' "$tmp/udhcpd.leases" "$tmp/udhcpd.pid"
		printf 'option subnet 255.255.255.0\n'
		shift 2
		for line in "$@"; do printf '%s\n' "$line"; done
	} >"$tmp/udhcpd.conf"
	: >"$tmp/udhcpd.leases"
	ip netns exec "$_ns" busybox udhcpd -f "$tmp/udhcpd.conf" >"$tmp/udhcpd.log" 2>&1 &
	udhcpd_pid=$!
	cleanup_fn "kill $udhcpd_pid 2>/dev/null"
}

# udhcpc_script [configure] — $tmp/udhcpc.sh, a busybox udhcpc script that
# on "bound" saves the lease's variables to $tmp/udhcpc.env (udhcpc_val);
# with "configure" it also puts the address on the interface, and takes it
# off on "deconfig".
udhcpc_script() {
	{
		printf '#!/bin/sh\ncase "$1" in\nbound)\n'
		[ "${1-}" != configure ] || printf '\tip addr add "$ip/24" dev "$interface"\n'
		printf '\tenv | grep -E %s >%s ;;\n' \
			"'^(ip|subnet|router|dns|domain|lease|serverid|siaddr|sname|boot_file|interface)='" \
			"'$tmp/udhcpc.env'"
		[ "${1-}" != configure ] || printf 'deconfig) ip addr flush dev "$interface" ;;\n'
		printf 'esac\nexit 0\n'
	} >"$tmp/udhcpc.sh"
	chmod +x "$tmp/udhcpc.sh"
}

# udhcpc_val NAME — a variable udhcpc passed to its script with the last lease.
udhcpc_val() {
	sed -n "s/^$1=//p" "$tmp/udhcpc.env"
}

# udhcpc_run NS [ARGS…] — busybox udhcpc on eth0 in NS asks for one lease
# (at most 3 DISCOVERs a second apart; ARGS may change that) with
# udhcpc_script; output in $tmp/udhcpc.out.  Its exit status is udhcpc's.
udhcpc_run() {
	_ns=$1; shift
	[ -x "$tmp/udhcpc.sh" ] || udhcpc_script
	rm -f "$tmp/udhcpc.env"
	ip netns exec "$_ns" timeout 15 busybox udhcpc -f -q -n -t 3 -T 1 -i eth0 \
		-s "$tmp/udhcpc.sh" "$@" >"$tmp/udhcpc.out" 2>&1
}

# udhcpc_lease NS [ARGS…] — udhcpc_run, which must get a lease and run its
# script; sets $ip to the address.
udhcpc_lease() {
	udhcpc_run "$@" || { cat "$tmp/udhcpc.out" "$tmp/bootd.log" >&2; fail "udhcpc $* got no lease"; }
	[ -s "$tmp/udhcpc.env" ] || { cat "$tmp/udhcpc.out" >&2; fail "udhcpc $* did not run its script"; }
	ip=$(udhcpc_val ip)
}

# pxe_client NS [ARGS…] — tests/pxe-client.py -i eth0 ARGS in NS; its JSON
# in $tmp/json (for json_true).  Fails the test when it fails.
pxe_client() {
	_ns=$1; shift
	ip netns exec "$_ns" "$PYTHON" "$top_srcdir/tests/pxe-client.py" -i eth0 "$@" >"$tmp/json" ||
		fail "pxe-client.py $* failed"
}

# tftp_raw ARGS… — tests/tftp-raw.py ARGS (hand-made TFTP packets).
tftp_raw() {
	"$PYTHON" "$top_srcdir/tests/tftp-raw.py" "$@"
}

# tftp_stat EXPR — print EXPR evaluated on t, the "tftp" object of bootd's
# status call.
tftp_stat() {
	bootd_ctl_cmd '{"cmd":"status"}' | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
t = d.get("tftp") or d.get("status", {}).get("tftp")
print(eval(sys.argv[1]))' "$1"
}
