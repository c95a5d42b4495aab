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
# shellcheck source=bench/functions.sh
. "$(dirname "$0")/functions.sh"

SIZE=${SIZE:-64M}
CLIENTS=${CLIENTS:-50}
BLKSIZE=${BLKSIZE:-1468}
WINDOWSIZE=${WINDOWSIZE:-16}
ROUNDS=${ROUNDS:-1}
BOOTD=${BOOTD:-$top_builddir/bootserver/lanroot-bootd}
LOAD=${LOAD:-$top_builddir/bench/tftp-load}
TFTP_PORT=69
HTTP_PORT=8080		# bootd's HTTP server, unused here (inside the namespace)
FILE=bench.img
PROBE=probe.txt		# a small file fetched to see that a server answers
daemon_label=lanroot-bootd

need_tools in.tftpd dnsmasq atftp ip sha256sum "$PYTHON"
need_root "network namespace, port 69"
need_built "$LOAD" bench/tftp-load
need_lanroot "$BOOTD" bootserver/lanroot-bootd

size_bytes=$(bytes "$SIZE" SIZE)
[ "$size_bytes" -gt 0 ] || die "SIZE '$SIZE' must be positive"

SERVERS="tftpd-hpa dnsmasq"
[ "$SKIP_LANROOT" = 1 ] || SERVERS="lanroot $SERVERS"
WORKLOADS="one many one-ws many-ws"

# ---- the work directory and the namespace -------------------------------------
bench_workdir tftp
chmod 755 "$work"	# the peers read the root as nobody
ns=lrbench$$tftp
ns_add "$ns"
ip -n "$ns" link add bench0 type veth peer name bench1
ip -n "$ns" addr add 198.18.0.1/24 dev bench0
ip -n "$ns" link set bench0 up
ip -n "$ns" link set bench1 up
NS="ip netns exec $ns"

# ---- the data and the lanroot state ---------------------------------------------

root=$work/tftp
mkdir -p "$root"
chmod 755 "$root"
echo "bench-tftp: $SIZE file, blksize $BLKSIZE, CLIENTS=$CLIENTS, windowsize $WINDOWSIZE," \
     "ROUNDS=$ROUNDS, in $work (namespace $ns)"
cpus_load
echo "peers: $(dpkg-query -W -f '${Package} ${Version}' tftpd-hpa 2>/dev/null)," \
     "$(dnsmasq --version | head -n 1 | cut -d' ' -f1-3), $(atftp --version 2>&1 | head -n 1)"
head -c "$size_bytes" /dev/urandom >"$root/$FILE"
echo probe >"$root/$PROBE"
chmod 644 "$root/$FILE" "$root/$PROBE"
want_sum=$(sha256 <"$root/$FILE")

[ "$SKIP_LANROOT" = 1 ] || bootd_state 127.0.0.1 "$TFTP_PORT" "$root" "$HTTP_PORT" "mode = off"

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
	wait_serving "$log" probe
	if [ "$1" = lanroot ]; then
		ctl_ping "$lr_ctl" || die "lanroot-bootd does not answer on $lr_ctl"
	fi
}

# check_sum FILE WHAT — the fetched FILE must be the original.
check_sum() {
	got=$(sha256 <"$1")
	[ "$got" = "$want_sum" ] ||
		die "$2 from $(label "$srv_name"): sha256 $got, not $want_sum"
	rm -f "$1"
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

# one_server NAME — every workload on server NAME, then its figures.
one_server() {
	start_server "$1"
	run_load one 1 1
	run_atftp atftp-one 1
	run_load many "$CLIENTS" 1
	run_load one-ws 1 "$WINDOWSIZE"
	run_atftp atftp-one-ws "$WINDOWSIZE"
	run_load many-ws "$CLIENTS" "$WINDOWSIZE"
	stop_server
	printf '  %-14s 1: %s  %s: %s  1 ws%s: %s  %s ws%s: %s MiB/s  (atftp 1: %s, ws%s: %s)\n' \
		"$(label "$1")" "$(tail -n 1 "$work/res.one.$1")" \
		"$CLIENTS" "$(tail -n 1 "$work/res.many.$1")" \
		"$WINDOWSIZE" "$(tail -n 1 "$work/res.one-ws.$1")" \
		"$CLIENTS" "$WINDOWSIZE" "$(tail -n 1 "$work/res.many-ws.$1")" \
		"$(tail -n 1 "$work/res.atftp-one.$1")" "$WINDOWSIZE" \
		"$(tail -n 1 "$work/res.atftp-one-ws.$1")"
}
run_rounds one_server ' '
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

median_note
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
		if [ "$s" != lanroot ] && greater "$v" "$best"; then
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
	met=$(goal_met "$r" "$g")
	echo "  lanroot / $ref_name: ${r}x   goal >= ${g}x: $met"
	printf '  %-13s %6sx (vs %s)  goal >= %sx  %s\n' "$w" "$r" "$ref_name" "$g" "$met" \
		>>"$work/summary"
done
if [ "$SKIP_LANROOT" != 1 ]; then
	echo
	echo "summary (lanroot / reference):"
	cat "$work/summary"
fi
echo "load average at end: $(load_avg)"
