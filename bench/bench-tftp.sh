#!/bin/sh
# bench-tftp.sh — lanroot-bootd's TFTP server against tftpd-hpa and
# dnsmasq (issue 4), side by side in one run, on the same file, with the
# same client.
#
# Where: everything (servers and clients) runs inside one private network
# namespace that this script creates and deletes: dnsmasq's TFTP port is
# fixed at 69, and the namespace keeps port 69 and all traffic private.
# Its loopback carries the traffic (127.0.0.1:69 for every server, one
# server at a time); a veth pair inside the namespace carries an address
# from 198.18.0.0/24 that nothing uses, because in.tftpd resolves its -a
# address with AI_ADDRCONFIG, which finds no IPv4 on a bare loopback.
#
# Data: one file of SIZE random bytes (default 64M) in a TFTP root that
# every server serves (warm in the page cache: it was just written).
#
# Servers, started by this script and stopped by PID:
#   lanroot-bootd  `lanroot-bootd -c CONF -f` with [dhcp] mode = off, [tftp]
#                  listen 127.0.0.1, port 69, root DIR, other [tftp] keys
#                  at their defaults (max_transfers 512, max_windowsize 64);
#                  a throwaway state directory (`lanroot init`).
#   tftpd-hpa      `in.tftpd -L -4 -a 127.0.0.1:69 -s DIR` (foreground, a
#                  process per transfer, user nobody).
#   dnsmasq        TFTP only: `dnsmasq -k --port=0 --enable-tftp
#                  --tftp-root=DIR --listen-address=127.0.0.1
#                  --bind-interfaces --tftp-max=1024` (one process; its
#                  default limit of 50 transfers is raised so that the 50
#                  clients never wait on it).
#
# Client: bench/tftp-load, one process that runs all transfers of a
# workload at once from one epoll loop (one UDP socket each).  50 atftp
# processes spent 77 s of CPU on 50 x 64 MiB here, as much as the server
# under test; tftp-load spends about 34 s, so the server's share of the
# two cores is larger.  atftp (`atftp --option "blksize B" [--option
# "windowsize W"] -g`) also fetches the file once per workload and server,
# as a cross-check of the single-client figures.
#
# Workloads, each against every server:
#   1 client       blksize 1468, windowsize 1 (RFC 1350 lock step)
#   CLIENTS        CLIENTS transfers of the file at once (default 50)
#   1 client ws16  blksize 1468, windowsize 16 (RFC 7440); tftpd-hpa and
#                  dnsmasq do not grant windowsize (they answer without
#                  it), so they run lock step: the granted windowsize is
#                  printed
#   CLIENTS ws16   the same, CLIENTS at once
# Figures: MiB/s of all the clients together (bytes / wall time from the
# first request to the last block).  Every single-client tftp-load and
# atftp run writes the file out and its sha256 must equal the original's;
# in the multi-client runs every transfer must end with exactly SIZE
# bytes, so a broken transfer cannot look fast.
#
# Goals (issue 4): lock step >= 1.2x the best peer; windowsize 16 >= 3x
# tftpd-hpa.  Missing a goal is not an error (exit 0); a server that does
# not start or a transfer that fails is (exit 1).  A missing tool skips
# (exit 77).
#
# Usage (as root, from the top of a built tree):
#     top_builddir=$PWD sh bench/bench-tftp.sh
# Environment:
#   SIZE          file size, N[KMG] (default 64M)
#   CLIENTS       transfers at once in the multi-client workloads (default 50)
#   BLKSIZE       (default 1468)   WINDOWSIZE  (default 16)
#   ROUNDS        rounds (default 1); with more, the server order rotates
#                 and the median of each server's figures counts
#   BENCH_DIR     where the work directory goes (default $TMPDIR, else /var/tmp)
#   SKIP_LANROOT  1: only the peers
#   KEEP          1: keep the work directory (it is also kept after a failure)
#   top_builddir  the build tree (default .): admin/lanroot,
#                 bootserver/lanroot-bootd, bench/tftp-load
set -eu

SIZE=${SIZE:-64M}
CLIENTS=${CLIENTS:-50}
BLKSIZE=${BLKSIZE:-1468}
WINDOWSIZE=${WINDOWSIZE:-16}
ROUNDS=${ROUNDS:-1}
SKIP_LANROOT=${SKIP_LANROOT:-0}
top_builddir=${top_builddir:-.}
LANROOT=${LANROOT:-$top_builddir/admin/lanroot}
BOOTD=${BOOTD:-$top_builddir/bootserver/lanroot-bootd}
LOAD=${LOAD:-$top_builddir/bench/tftp-load}
TFTP_PORT=69
HTTP_PORT=8080		# bootd's HTTP server, unused here (inside the namespace)
START_TRIES=100		# readiness polls, 0.1 s apart
STOP_TRIES=100		# exit polls after SIGTERM, 0.1 s apart
MIB=1048576
FILE=bench.img
PROBE=probe.txt		# a small file fetched to see that a server answers

if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

die() {
	echo "bench-tftp: $*" >&2
	exit 1
}

for tool in in.tftpd dnsmasq atftp ip sha256sum "$PYTHON"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench-tftp: $tool not found (scripts/install-deps installs it)" >&2
		exit 77
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-tftp: needs root (network namespace, port 69)" >&2
	exit 77
fi
[ -x "$LOAD" ] || die "$LOAD not built (make bench/tftp-load, or set top_builddir)"
if [ "$SKIP_LANROOT" != 1 ]; then
	[ -x "$LANROOT" ] || die "$LANROOT not built (make admin/lanroot, or set top_builddir)"
	[ -x "$BOOTD" ] || die "$BOOTD not built (make bootserver/lanroot-bootd, or set top_builddir)"
	if grep -qa __asan_init "$BOOTD"; then
		echo "bench-tftp: warning: $BOOTD is built with sanitizers;" \
		     "its figures say little (configure without --enable-sanitizers)" >&2
	fi
fi

case $SIZE in
*[Gg]) size_bytes=$((${SIZE%?} * 1024 * MIB)) ;;
*[Mm]) size_bytes=$((${SIZE%?} * MIB)) ;;
*[Kk]) size_bytes=$((${SIZE%?} * 1024)) ;;
*[0-9]) size_bytes=$SIZE ;;
*) die "SIZE '$SIZE' is not N, NK, NM or NG" ;;
esac
[ "$size_bytes" -gt 0 ] || die "SIZE '$SIZE' must be positive"

SERVERS="tftpd-hpa dnsmasq"
[ "$SKIP_LANROOT" = 1 ] || SERVERS="lanroot $SERVERS"
WORKLOADS="one many one-ws many-ws"

# ---- the work directory and the namespace -------------------------------------
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=${TMPDIR:-/var/tmp}
fi
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/lanroot-tftp.XXXXXX")
chmod 755 "$work"	# the peers read the root as nobody
ns=lrbench$$tftp
ns_made=""
srv_pid=""
srv_name=""

cleanup() {
	rc=$?
	set +e
	[ -z "$srv_pid" ] || stop_server
	[ -z "$ns_made" ] || ip netns del "$ns"
	if [ "${KEEP:-0}" = 1 ] || [ "$rc" -eq 1 ]; then
		echo "bench-tftp: work directory kept (logs, data): $work" >&2
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$ns" || die "cannot create network namespace $ns"
ns_made=1
ip -n "$ns" link set lo up
ip -n "$ns" link add bench0 type veth peer name bench1
ip -n "$ns" addr add 198.18.0.1/24 dev bench0
ip -n "$ns" link set bench0 up
ip -n "$ns" link set bench1 up
NS="ip netns exec $ns"

# ---- small helpers ------------------------------------------------------------

# ctl_ping SOCKET — exit 0 if lanroot-bootd answers {"cmd":"ping"} with ok.
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

now_ns() {
	date +%s%N
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratio A B — A / B with two decimals (0 when B is 0).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

label() {
	case $1 in
	lanroot) echo lanroot-bootd ;;
	*) echo "$1" ;;
	esac
}

# field LINE KEY — the value of KEY=… in tftp-load's output line.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ---- the data and the lanroot state ---------------------------------------------

root=$work/tftp
mkdir -p "$root"
chmod 755 "$root"
echo "bench-tftp: $SIZE file, blksize $BLKSIZE, CLIENTS=$CLIENTS, windowsize $WINDOWSIZE," \
     "ROUNDS=$ROUNDS, in $work (namespace $ns)"
echo "$(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $(dpkg-query -W -f '${Package} ${Version}' tftpd-hpa 2>/dev/null)," \
     "$(dnsmasq --version | head -n 1 | cut -d' ' -f1-3), $(atftp --version 2>&1 | head -n 1)"
head -c "$size_bytes" /dev/urandom >"$root/$FILE"
echo probe >"$root/$PROBE"
chmod 644 "$root/$FILE" "$root/$PROBE"
want_sum=$(sha256sum <"$root/$FILE" | cut -d' ' -f1)

if [ "$SKIP_LANROOT" != 1 ]; then
	lr_conf=$work/lanroot.conf
	lr_ctl=$work/bootd.sock
	cat >"$lr_conf" <<EOF
[lanroot]
state_dir = $work/state
log = stderr
user =

[server]
address = 127.0.0.1
control = $lr_ctl

[tftp]
listen = 127.0.0.1
port = $TFTP_PORT
root = $root

[http]
listen = 127.0.0.1
port = $HTTP_PORT

[dhcp]
mode = off
EOF
	"$LANROOT" -q -c "$lr_conf" init >>"$work/lanroot.log" 2>&1 || {
		cat "$work/lanroot.log" >&2
		die "lanroot init failed"
	}
fi

# ---- servers ------------------------------------------------------------------

# probe — exit 0 when the server on port 69 hands out the probe file.
probe() {
	$NS "$LOAD" --host 127.0.0.1 --port "$TFTP_PORT" --file "$PROBE" --retries 0 \
		>/dev/null 2>&1
}

# start_server NAME — start server NAME in the namespace ($srv_pid) and wait
# until it serves.
start_server() {
	srv_name=$1
	log=$work/$(label "$1").log
	case $1 in
	lanroot)
		$NS "$BOOTD" -c "$lr_conf" -f 2>>"$log" &
		srv_pid=$!
		;;
	tftpd-hpa)
		$NS in.tftpd -L -4 -a "127.0.0.1:$TFTP_PORT" -s "$root" 2>>"$log" &
		srv_pid=$!
		;;
	dnsmasq)
		$NS dnsmasq -k --conf-file=/dev/null --port=0 --enable-tftp \
			--tftp-root="$root" --listen-address=127.0.0.1 --bind-interfaces \
			--tftp-max=1024 --user=nobody --group=nogroup \
			--pid-file="$work/dnsmasq.pid" --log-facility="$log" 2>>"$log" &
		srv_pid=$!
		;;
	esac
	i=0
	until probe; do
		i=$((i + 1))
		if [ "$i" -gt "$START_TRIES" ] || ! kill -0 "$srv_pid" 2>/dev/null; then
			cat "$log" >&2
			die "$(label "$1") did not start (log above: $log)"
		fi
		sleep 0.1
	done
	if [ "$1" = lanroot ]; then
		ctl_ping "$lr_ctl" || die "lanroot-bootd does not answer on $lr_ctl"
	fi
}

# stop_server — SIGTERM the running server, wait for it to exit.
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

# check_sum FILE WHAT — the fetched FILE must be the original.
check_sum() {
	got=$(sha256sum <"$1" | cut -d' ' -f1)
	[ "$got" = "$want_sum" ] ||
		die "$2 from $(label "$srv_name"): sha256 $got, not $want_sum"
	rm -f "$1"
}

# record WORKLOAD VALUE — append VALUE to the figures of the running server.
record() {
	[ -n "$2" ] || die "no figure for $1 ($(label "$srv_name"))"
	echo "$2" >>"$work/res.$1.$srv_name"
}

# run_load WORKLOAD CLIENTS WINDOWSIZE — tftp-load on the running server;
# records MiB/s and the granted windowsize; the single client's data is
# checked.
run_load() {
	set -- "$1" "$2" "$3" --host 127.0.0.1 --port "$TFTP_PORT" --file "$FILE" \
		--clients "$2" --blksize "$BLKSIZE" --windowsize "$3" --size "$size_bytes"
	[ "$2" -ne 1 ] || set -- "$@" --out "$work/fetched"
	w=$1 n=$2
	shift 3
	line=$($NS "$LOAD" "$@" 2>"$work/load.err") || {
		cat "$work/load.err" >&2
		die "tftp-load $w failed against $(label "$srv_name"): $line"
	}
	[ "$n" -ne 1 ] || check_sum "$work/fetched" "tftp-load $w"
	echo "  $(label "$srv_name") $w: $line" >>"$work/lines"
	record "$w" "$(field "$line" mib_per_s)"
	field "$line" windowsize >"$work/granted.$w.$srv_name"
}

# run_atftp WORKLOAD WINDOWSIZE — one atftp fetch; records MiB/s.
run_atftp() {
	ws_opt=""
	[ "$2" -le 1 ] || ws_opt="windowsize $2"
	t0=$(now_ns)
	if [ -n "$ws_opt" ]; then
		$NS atftp --option "blksize $BLKSIZE" --option "$ws_opt" -g -r "$FILE" \
			-l "$work/fetched" 127.0.0.1 "$TFTP_PORT" >"$work/atftp.err" 2>&1 || true
	else
		$NS atftp --option "blksize $BLKSIZE" -g -r "$FILE" \
			-l "$work/fetched" 127.0.0.1 "$TFTP_PORT" >"$work/atftp.err" 2>&1 || true
	fi
	t1=$(now_ns)
	[ -f "$work/fetched" ] || { cat "$work/atftp.err" >&2; die "atftp fetched nothing"; }
	check_sum "$work/fetched" "atftp $1"
	record "$1" "$(awk -v b="$size_bytes" -v t=$((t1 - t0)) \
		'BEGIN { printf "%.1f", b / 1048576 / (t / 1e9) }')"
}

# ---- the rounds -------------------------------------------------------------------

round=1
order=$SERVERS
while [ "$round" -le "$ROUNDS" ]; do
	echo
	echo "round $round: $(for s in $order; do printf '%s ' "$(label "$s")"; done)"
	for s in $order; do
		start_server "$s"
		run_load one 1 1
		run_atftp atftp-one 1
		run_load many "$CLIENTS" 1
		run_load one-ws 1 "$WINDOWSIZE"
		run_atftp atftp-one-ws "$WINDOWSIZE"
		run_load many-ws "$CLIENTS" "$WINDOWSIZE"
		stop_server
		printf '  %-14s 1: %s  %s: %s  1 ws%s: %s  %s ws%s: %s MiB/s  (atftp 1: %s, ws%s: %s)\n' \
			"$(label "$s")" "$(tail -n 1 "$work/res.one.$s")" \
			"$CLIENTS" "$(tail -n 1 "$work/res.many.$s")" \
			"$WINDOWSIZE" "$(tail -n 1 "$work/res.one-ws.$s")" \
			"$CLIENTS" "$WINDOWSIZE" "$(tail -n 1 "$work/res.many-ws.$s")" \
			"$(tail -n 1 "$work/res.atftp-one.$s")" "$WINDOWSIZE" \
			"$(tail -n 1 "$work/res.atftp-one-ws.$s")"
	done
	first=${order%% *}
	order="${order#* } $first"
	round=$((round + 1))
done
echo
echo "tftp-load lines:"
cat "$work/lines"

# ---- the tables -------------------------------------------------------------------

title() {
	case $1 in
	one) echo "1 client, blksize $BLKSIZE, lock step (tftp-load)" ;;
	many) echo "$CLIENTS clients at once, blksize $BLKSIZE, lock step (tftp-load)" ;;
	one-ws) echo "1 client, blksize $BLKSIZE, windowsize $WINDOWSIZE asked (tftp-load)" ;;
	many-ws) echo "$CLIENTS clients at once, blksize $BLKSIZE, windowsize $WINDOWSIZE asked (tftp-load)" ;;
	atftp-one) echo "1 client, blksize $BLKSIZE, lock step (atftp, cross-check)" ;;
	atftp-one-ws) echo "1 client, blksize $BLKSIZE, windowsize $WINDOWSIZE asked (atftp, cross-check)" ;;
	esac
}

echo
[ "$ROUNDS" -eq 1 ] || echo "figures: the median of $ROUNDS rounds"
: >"$work/summary"
for w in $WORKLOADS atftp-one atftp-one-ws; do
	echo
	title "$w"
	printf '  %-16s %10s  %s\n' server MiB/s "windowsize granted"
	best=0 best_name="" hpa=0 lr_val=0
	for s in $SERVERS; do
		v=$(median <"$work/res.$w.$s")
		g=$(cat "$work/granted.$w.$s" 2>/dev/null || echo -)
		printf '  %-16s %10s  %s\n' "$(label "$s")" "$v" "$g"
		case $s in
		lanroot) lr_val=$v ;;
		tftpd-hpa) hpa=$v ;;
		esac
		if [ "$s" != lanroot ] && awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then
			best=$v best_name=$s
		fi
	done
	[ "$SKIP_LANROOT" != 1 ] || continue
	case $w in
	atftp-one-ws)
		echo "  lanroot / tftpd-hpa: $(ratio "$lr_val" "$hpa")x (cross-check, no goal)"
		continue
		;;
	atftp-*)
		echo "  lanroot / $best_name: $(ratio "$lr_val" "$best")x (cross-check, no goal)"
		continue
		;;
	*-ws) g=3.0 ref=$hpa ref_name=tftpd-hpa ;;
	*) g=1.2 ref=$best ref_name=$best_name ;;
	esac
	r=$(ratio "$lr_val" "$ref")
	if awk -v r="$r" -v g="$g" 'BEGIN { exit !(r >= g) }'; then met=met; else met="not met"; fi
	echo "  lanroot / $ref_name: ${r}x   goal >= ${g}x: $met"
	printf '  %-13s %6sx (vs %s)  goal >= %sx  %s\n' "$w" "$r" "$ref_name" "$g" "$met" \
		>>"$work/summary"
done
if [ "$SKIP_LANROOT" != 1 ]; then
	echo
	echo "summary (lanroot / reference):"
	cat "$work/summary"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
