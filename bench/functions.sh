# bench/functions.sh — shell functions shared by the bench-*.sh scripts,
# sourced right after `set -eu`:
#     . "$(dirname "$0")/functions.sh"
#
# A script that uses these sets: work (bench_workdir does), srv_pid and
# srv_name (the running server, for stop_server, record and the messages),
# daemon_label (what `label lanroot` prints), and defines start_server and,
# unless the one here fits, stop_server and label.
# shellcheck shell=sh
# shellcheck disable=SC2154	# work, srv_pid, srv_name, ... are the caller's

bench_name=$(basename "$0" .sh)
SKIP_LANROOT=${SKIP_LANROOT:-0}
top_builddir=${top_builddir:-.}
LANROOT=${LANROOT:-$top_builddir/admin/lanroot}
START_TRIES=100		# readiness polls, 0.1 s apart
STOP_TRIES=100		# exit polls after SIGTERM, 0.1 s apart
MIB=1048576
srv_pid=""
srv_name=""
made_ns=""
in_cleanup=""

# A system python: a version manager's shim first in PATH costs a second a call.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# die MESSAGE... — print MESSAGE as this script's error and exit 1.
die() {
	echo "$bench_name: $*" >&2
	exit 1
}

# skip MESSAGE... — print MESSAGE and exit 77 (the run is skipped).
skip() {
	echo "$bench_name: $*" >&2
	exit 77
}

# need_tools TOOL... — skip unless every TOOL is in PATH (or an executable path).
need_tools() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "$tool not found (scripts/install-deps installs it)"
	done
}

# need_root WHY — skip unless running as root; WHY says what needs it.
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root ($1)"
}

# need_built FILE TARGET — fail unless the program FILE is built (make TARGET).
need_built() {
	[ -x "$1" ] || die "$1 not built (make $2, or set top_builddir)"
}

# need_lanroot DAEMON TARGET — unless SKIP_LANROOT=1: admin/lanroot and
# DAEMON must be built (make TARGET); warn when DAEMON has sanitizers.
need_lanroot() {
	[ "$SKIP_LANROOT" != 1 ] || return 0
	need_built "$LANROOT" admin/lanroot
	need_built "$1" "$2"
	if grep -qa __asan_init "$1"; then
		echo "$bench_name: warning: $1 is built with sanitizers;" \
		     "its figures say little (configure without --enable-sanitizers)" >&2
	fi
}

# bytes N[KMG] NAME — print N[KMG] in bytes; fail naming NAME if it is not a size.
bytes() {
	case $1 in
	*[Gg]) echo $((${1%?} * 1024 * MIB)) ;;
	*[Mm]) echo $((${1%?} * MIB)) ;;
	*[Kk]) echo $((${1%?} * 1024)) ;;
	*[0-9]) echo "$1" ;;
	*) die "$2 '$1' is not N, NK, NM or NG" ;;
	esac
}

# bench_workdir KIND — make $work under BENCH_DIR (default $TMPDIR, else
# /var/tmp) and install the cleanup traps.
bench_workdir() {
	BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/var/tmp}}
	mkdir -p "$BENCH_DIR"
	work=$(mktemp -d "$BENCH_DIR/lanroot-$1.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# cleanup — EXIT trap: stop the running server, delete the namespaces made,
# keep $work after a failure (exit 1) or with KEEP=1, else remove it.
cleanup() {
	rc=$?
	set +e
	# shellcheck disable=SC2034	# read by the caller's own stop_server
	in_cleanup=1
	[ -z "$srv_pid" ] || stop_server
	for n in $made_ns; do ip netns del "$n"; done
	if [ "${KEEP:-0}" = 1 ] || [ "$rc" -eq 1 ]; then
		echo "$bench_name: work directory kept (logs, data): $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}

# ns_add NAME — create network namespace NAME (deleted by cleanup), lo up.
ns_add() {
	ip netns add "$1" || die "cannot create network namespace $1"
	made_ns="$made_ns $1"
	ip -n "$1" link set lo up
}

# wait_serving LOG COMMAND... — poll COMMAND every 0.1 s until it succeeds;
# fail with LOG when the server ($srv_pid) exits or START_TRIES polls fail.
wait_serving() {
	ws_log=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		if [ "$i" -gt "$START_TRIES" ] || ! kill -0 "$srv_pid" 2>/dev/null; then
			cat "$ws_log" >&2
			die "$(label "$srv_name") did not start (log above: $ws_log)"
		fi
		sleep 0.1
	done
}

# stop_server — SIGTERM the running server ($srv_pid, our child), wait for it
# to exit (SIGKILL after STOP_TRIES polls).
stop_server() {
	kill "$srv_pid" 2>/dev/null || true
	i=0
	while kill -0 "$srv_pid" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt "$STOP_TRIES" ]; then
			kill -9 "$srv_pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=""
}

# ctl_ping SOCKET — exit 0 if the lanroot daemon answers {"cmd":"ping"} with ok.
ctl_ping() {
	"$PYTHON" -c '
import json, socket, sys
try:
    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
    s.sendall(b"{\"cmd\":\"ping\"}\n")
    buf = b""
    while not buf.endswith(b"\n"):
        d = s.recv(4096)
        if not d: break
        buf += d
    sys.exit(0 if json.loads(buf).get("ok") else 1)
except (OSError, ValueError):
    sys.exit(1)' "$1"
}

# bootd_state ADDRESS TFTP_PORT ROOT HTTP_PORT DHCP_LINE... — write
# $lr_conf for lanroot-bootd (control socket $lr_ctl, [dhcp] from the
# DHCP_LINEs) and make its throwaway state directory with `lanroot init`.
bootd_state() {
	lr_conf=$work/lanroot.conf
	lr_ctl=$work/bootd.sock
	cat >"$lr_conf" <<EOF
[lanroot]
state_dir = $work/state
log = stderr
user =

[server]
address = $1
control = $lr_ctl

[tftp]
listen = $1
port = $2
root = $3

[http]
listen = $1
port = $4

[dhcp]
EOF
	shift 4
	printf '%s\n' "$@" >>"$lr_conf"
	"$LANROOT" -q -c "$lr_conf" init >>"$work/lanroot.log" 2>&1 || {
		cat "$work/lanroot.log" >&2
		die "lanroot init failed"
	}
}

# free_port — print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# free_udp_port — print a UDP port on 127.0.0.1 that nothing uses now.
free_udp_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1]); s.close()'
}

# sha256 — the SHA-256 of stdin, in hex.
sha256() {
	sha256sum | cut -d' ' -f1
}

# now_ns — a clock in nanoseconds.
now_ns() {
	date +%s%N
}

# load_avg — the 1, 5 and 15 minute load averages.
load_avg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# cpus_load — "N CPUs; load average at start: …", for a run's header.
cpus_load() {
	echo "$(nproc) CPUs; load average at start: $(load_avg)"
}

# median — the middle one of the numbers on stdin (lower middle if even).
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratio A B — A / B with two decimals (0 when B is 0).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# greater A B — exit 0 if the number A is greater than B.
greater() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'
}

# goal_met RATIO GOAL — print "met" if RATIO >= GOAL, else "not met".
goal_met() {
	if awk -v r="$1" -v g="$2" 'BEGIN { exit !(r >= g) }'; then echo met; else echo "not met"; fi
}

# label NAME — the program behind a server name (lanroot: $daemon_label).
label() {
	case $1 in
	lanroot) echo "$daemon_label" ;;
	*) echo "$1" ;;
	esac
}

# field LINE KEY — the value of KEY=… in a line of KEY=VALUE words.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# record WORKLOAD VALUE — keep one figure of the running server.  (Call it
# with a variable: a failure in $(...) as an argument would go unnoticed.)
record() {
	[ -n "$2" ] || die "no figure for $1 ($(label "$srv_name"))"
	echo "$2" >>"$work/res.$1.$srv_name"
}

# run_rounds FUNCTION SEPARATOR — ROUNDS rounds over $SERVERS, each headed
# by its server labels joined by SEPARATOR, calling FUNCTION SERVER for each;
# the first server goes last in the next round.
run_rounds() {
	round=1
	order=$SERVERS
	while [ "$round" -le "$ROUNDS" ]; do
		echo
		echo "round $round: $(for s in $order; do printf '%s%s' "$(label "$s")" "$2"; done)"
		for s in $order; do
			"$1" "$s"
		done
		first=${order%% *}
		order="${order#* } $first"
		round=$((round + 1))
	done
}

# median_note — a blank line, then (with ROUNDS > 1) what the figures are.
median_note() {
	echo
	[ "$ROUNDS" -eq 1 ] || echo "figures: the median of $ROUNDS rounds"
}
