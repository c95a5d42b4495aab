#!/bin/sh
# bench-nbd.sh — lanroot-blockd against nbd-server, nbdkit and qemu-nbd
# (issue 3), side by side in one run, on the same data, with the same
# clients (nbdcopy and fio's nbd engine), everything on 127.0.0.1.
#
# Data: a base image of SIZE random bytes (incompressible, not sparse),
# imported into a throwaway lanroot state directory with `lanroot image
# import --format raw`.  Every server serves that same imported file, so
# they all read the same bytes through the same page cache.
#
# Servers, each on its own free port, started by this script, stopped by
# PID; every start begins with an empty copy-on-write overlay:
#   lanroot-blockd  a group in persistent mode, CLIENTS clients with distinct
#                   MACs (one per storm client; the other workloads use the
#                   first), each on its own overlay, reads included (the
#                   peers, too, read through their COW layer); the export
#                   names from `lanroot client show NAME --json`.  Defaults
#                   for [nbd] workers and limits.
#   nbd-server      copyonwrite = true, flush = true, fua = true (without
#                   flush it refuses FLUSH), the diff files in the work
#                   directory; one diff file per connection.
#   nbdkit          the file plugin under the cow filter (defaults: 64 KiB
#                   blocks, overlay in a temporary file in the work
#                   directory), 16 threads (the default).  The cow filter is
#                   used for every workload, reads included.  Its FLUSH syncs
#                   nothing (strace of nbdkit 1.32.5: no fsync/fdatasync;
#                   its overlay is thrown away at exit anyway), where
#                   lanroot-blockd and qemu-nbd fdatasync and nbd-server
#                   fsyncs: randwrite also prints the ratio to the best
#                   peer whose FLUSH reaches the disk.
#   qemu-nbd        a qcow2 overlay (64 KiB clusters) whose backing file is
#                   the raw base; --cache=writeback --aio=threads (the
#                   defaults), --shared=0 (any number of clients).
#
# Workloads (all servers in each, one after another):
#   seq-nbdcopy  `nbdcopy URI null:` of the whole base (nbdcopy's defaults:
#                it opens 4 connections when the server advertises
#                CAN_MULTI_CONN, else 1); MiB/s of wall time
#   seq-fio      fio rw=read bs=1M iodepth=8 over the whole base; MiB/s
#   randread     fio rw=randread bs=4k iodepth=8 for RUNTIME seconds; IOPS
#   randwrite    fio rw=randwrite bs=4k iodepth=8 fsync=64 for RUNTIME
#                seconds on a fresh overlay; IOPS.  fio's nbd engine sends
#                NBD_CMD_FLUSH for each fsync, after every 64th write; fio
#                3.33 then fills every free slot of the queue with FLUSHes
#                (1 to 8 back to back, the later ones with nothing new to
#                sync; newer fio sends one), so the number sent is printed.
#   storm        the 8:00 boot storm: CLIENTS nbdcopy processes, started
#                STAGGER_MS apart, each on one connection (for lanroot each
#                as its own client) reading the whole base with 128 KiB
#                requests, 4 in flight; aggregate MiB/s = CLIENTS x the base
#                over the wall time from the first start to the last finish
#                (handshakes included).  The stagger is there because
#                nbd-server handshakes in its main process behind a listen
#                backlog of 10: a simultaneous burst of 32 overflows it, and
#                a client whose connection the kernel then drops waits for
#                the greeting forever (seen here with fio).
# The read workloads share one server start; randwrite gets a fresh start.
#
# Caches: every server start is followed by a warm-up (`nbdcopy URI null:`
# of the whole base through that server), so each server starts its
# measurements equally warm.  Nothing is dropped from the page cache: that
# would time the disk rather than the servers, and slow down everyone else
# on the machine.
#
# Ratios are lanroot / the best peer in the same run.  Goals (issue 3): no
# workload below 1.0x; randwrite and storm >= 1.5x.  Missing a goal is not
# an error (exit 0); a server that does not start or a client that fails
# is (exit 1).  A missing tool skips (exit 77).
#
# Usage (from the top of a built tree):
#     top_builddir=$PWD sh bench/bench-nbd.sh
# Environment:
#   SIZE          base image size, N[KMG] (default 1G; a multiple of 1 MiB)
#   RUNTIME       seconds of each time-based workload (default 15)
#   CLIENTS       clients of the storm workload (default 32)
#   STAGGER_MS    ms between the storm clients' starts (default 50)
#   CLIENT_TIMEOUT  seconds after which a client counts as hung (default 900)
#   ROUNDS        rounds (default 1); with more, the server order rotates
#                 and the median of each server's figures counts
#   BENCH_DIR     where the work directory goes (default $TMPDIR, else
#                 /var/tmp; put it on a disk, not on tmpfs)
#   SKIP_LANROOT  1: only the peers (no lanroot-blockd)
#   KEEP          1: keep the work directory (it is also kept after a failure)
#   top_builddir  the build tree (default .): admin/lanroot, nbd/lanroot-blockd
set -eu
# shellcheck source=bench/functions.sh
. "$(dirname "$0")/functions.sh"

SIZE=${SIZE:-1G}
RUNTIME=${RUNTIME:-15}
CLIENTS=${CLIENTS:-32}
ROUNDS=${ROUNDS:-1}
STAGGER_MS=${STAGGER_MS:-50}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-900}
BLOCKD=${BLOCKD:-$top_builddir/nbd/lanroot-blockd}
IMAGE=bench
STORM_BS=131072		# storm: request size and requests in flight per client
STORM_DEPTH=4
daemon_label=lanroot-blockd

need_tools fio nbdcopy nbdinfo nbd-server nbdkit qemu-nbd qemu-img "$PYTHON"
fio --enghelp=nbd 2>/dev/null | grep -q uri || skip "this fio has no nbd engine"
need_lanroot "$BLOCKD" nbd/lanroot-blockd
if [ "$SKIP_LANROOT" != 1 ] && "$BLOCKD" --help 2>&1 | grep -q 'not implemented'; then
	die "$BLOCKD is not implemented yet (SKIP_LANROOT=1 runs the peers only)"
fi

size_bytes=$(bytes "$SIZE" SIZE)
if [ "$size_bytes" -le 0 ] || [ $((size_bytes % MIB)) -ne 0 ]; then
	die "SIZE '$SIZE' must be a positive multiple of 1 MiB"
fi
size_mib=$((size_bytes / MIB))

# Servers in this run; lanroot first (the order rotates between rounds).
SERVERS="nbd-server nbdkit qemu-nbd"
[ "$SKIP_LANROOT" = 1 ] || SERVERS="lanroot $SERVERS"
WORKLOADS="seq-nbdcopy seq-fio randread randwrite storm"

# ---- the work directory, on a disk ----------------------------------------
if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=${TMPDIR:-/var/tmp}
	if [ "$(df --output=fstype "$BENCH_DIR" 2>/dev/null | tail -n 1)" = tmpfs ]; then
		BENCH_DIR=/var/tmp	# not tmpfs unless BENCH_DIR says so
	fi
fi
bench_workdir nbd

# ---- small helpers --------------------------------------------------------

# json_field FILE KEY — print the top-level KEY of the JSON object in FILE.
json_field() {
	"$PYTHON" -c '
import json, sys
print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# fio_sum FILE WHAT — one figure summed over every job of fio's JSON output
# in FILE.  WHAT: read_mibs, read_iops, write_iops, read_bytes, syncs,
# errors.  Text before the JSON object (a notice from an engine) is skipped.
fio_sum() {
	"$PYTHON" -c '
import json, sys
text = open(sys.argv[1]).read()
jobs = json.loads(text[text.index("{"):])["jobs"]
what = sys.argv[2]
if what == "read_mibs":
    v = sum(j["read"]["bw_bytes"] for j in jobs) / 1048576
elif what == "read_iops":
    v = sum(j["read"]["iops"] for j in jobs)
elif what == "write_iops":
    v = sum(j["write"]["iops"] for j in jobs)
elif what == "read_bytes":
    v = sum(j["read"]["io_bytes"] for j in jobs)
elif what == "syncs":
    v = sum(j["sync"]["lat_ns"]["N"] for j in jobs)
elif what == "errors":
    v = sum(1 for j in jobs if j["error"])
else:
    sys.exit("fio_sum: unknown figure " + what)
print(("%.1f" % v) if isinstance(v, float) else v)' "$1" "$2"
}

# ---- the data and the lanroot state ----------------------------------------

echo "bench-nbd: $size_mib MiB base, RUNTIME=${RUNTIME}s, CLIENTS=$CLIENTS, ROUNDS=$ROUNDS, in $work"
echo "file system: $(df -PT "$work" | awk 'NR == 2 { print $2 " on " $1 }');" \
     "$(cpus_load)"
echo "servers: $(nbd-server -V 2>&1 | sed -n 's/.*version /nbd-server /p' | head -n 1)," \
     "$(nbdkit --version | head -n 1), $(qemu-nbd --version | head -n 1 | cut -d' ' -f1-2)," \
     "$(fio --version), $(nbdcopy --version | head -n 1)"

head -c "$size_bytes" /dev/urandom >"$work/base.img"
data=$work/base.img

mkdir -p "$work/uris"
if [ "$SKIP_LANROOT" != 1 ]; then
	lr_conf=$work/lanroot.conf
	lr_ctl=$work/blockd.sock
	lr_port=$(free_port)
	cat >"$lr_conf" <<EOF
[lanroot]
state_dir = $work/state
log = stderr
user =

[server]
address = 127.0.0.1

[nbd]
listen = 127.0.0.1
port = $lr_port
control = $lr_ctl
EOF
	LR="$LANROOT -q -c $lr_conf"
	{
		$LR init &&
		$LR image import "$IMAGE" "$work/base.img" --format raw &&
		$LR group add "$IMAGE" --image "$IMAGE" --mode persistent
	} >>"$work/lanroot.log" 2>&1 || {
		cat "$work/lanroot.log" >&2
		die "setting up the lanroot state directory failed"
	}
	i=1
	while [ "$i" -le "$CLIENTS" ]; do
		mac=$(printf '52:54:00:00:%02x:%02x' $((i / 256)) $((i % 256)))
		$LR client add "$mac" --name "$(printf 'c%03d' "$i")" --group "$IMAGE" \
			>>"$work/lanroot.log" 2>&1 || {
			cat "$work/lanroot.log" >&2
			die "lanroot client add $mac failed"
		}
		$LR client show "$(printf 'c%03d' "$i")" --json >"$work/client.json"
		export_name=$(json_field "$work/client.json" export)
		echo "nbd://127.0.0.1:$lr_port/$export_name" >>"$work/uris/lanroot"
		i=$((i + 1))
	done
	# Every server serves the imported file: the same bytes, one page cache.
	$LR image show "$IMAGE" --json >"$work/image.json"
	data=$("$PYTHON" -c '
import json, sys
print(json.load(open(sys.argv[1]))["versions"][0]["path"])' "$work/image.json")
	cmp "$data" "$work/base.img" || die "the imported image $data differs from the base"
	rm -f "$work/base.img"
fi
sync -f "$work" 2>/dev/null || sync

# ---- servers ----------------------------------------------------------------

# nbd_answers URI — exit 0 when the server at URI answers (nbdinfo).
nbd_answers() {
	nbdinfo --size "$1" >/dev/null 2>&1
}

# start_server NAME — start server NAME on an empty overlay; sets $srv_pid
# and $work/uris/NAME (one URI per storm job).
start_server() {
	srv_name=$1
	log=$work/$(label "$1").log
	case $1 in
	lanroot)
		# A fresh overlay for c001, the client that writes.
		$LR client reset c001 >>"$work/lanroot.log" 2>&1 ||
			die "lanroot client reset c001 failed (see $work/lanroot.log)"
		"$BLOCKD" -c "$lr_conf" -f 2>>"$log" &
		srv_pid=$!
		wait_serving "$log" ctl_ping "$lr_ctl"
		;;
	nbd-server)
		port=$(free_port)
		rm -rf "$work/nbd-server"
		mkdir -p "$work/nbd-server"
		cat >"$work/nbd-server.conf" <<EOF
[generic]
    listenaddr = 127.0.0.1
    port = $port
[$IMAGE]
    exportname = $data
    copyonwrite = true
    cowdir = $work/nbd-server
    flush = true
    fua = true
EOF
		# nbd-server forks per connection and only serves one with -d:
		# it runs as a daemon, its PID from the pid file.
		rm -f "$work/nbd-server.pid"
		nbd-server -C "$work/nbd-server.conf" -p "$work/nbd-server.pid" >>"$log" 2>&1 ||
			{ cat "$log" >&2; die "nbd-server did not start"; }
		i=0
		until [ -s "$work/nbd-server.pid" ]; do
			i=$((i + 1))
			[ "$i" -le "$START_TRIES" ] || die "nbd-server wrote no pid file"
			sleep 0.1
		done
		srv_pid=$(cat "$work/nbd-server.pid")
		uri="nbd://127.0.0.1:$port/$IMAGE"
		;;
	nbdkit)
		port=$(free_port)
		rm -rf "$work/nbdkit"
		mkdir -p "$work/nbdkit"
		TMPDIR=$work/nbdkit nbdkit -f -i 127.0.0.1 -p "$port" --filter=cow \
			file "$data" 2>>"$log" &
		srv_pid=$!
		uri="nbd://127.0.0.1:$port/"
		;;
	qemu-nbd)
		port=$(free_port)
		rm -rf "$work/qemu-nbd"
		mkdir -p "$work/qemu-nbd"
		qemu-img create -q -f qcow2 -b "$data" -F raw "$work/qemu-nbd/overlay.qcow2" ||
			die "qemu-img create of the qcow2 overlay failed"
		qemu-nbd -t --shared=0 -b 127.0.0.1 -p "$port" -f qcow2 --cache=writeback \
			--aio=threads "$work/qemu-nbd/overlay.qcow2" 2>>"$log" &
		srv_pid=$!
		uri="nbd://127.0.0.1:$port/"
		;;
	esac
	if [ "$1" != lanroot ]; then
		: >"$work/uris/$1"
		i=1
		while [ "$i" -le "$CLIENTS" ]; do
			echo "$uri" >>"$work/uris/$1"
			i=$((i + 1))
		done
	fi
	wait_serving "$log" nbd_answers "$(head -n 1 "$work/uris/$1")"
}

# stop_server — SIGTERM the running server and wait until it has exited;
# fail if it exits with an error (143, killed by the signal, is the
# peers' normal way out; lanroot-blockd exits 0).  Replaces the one in
# functions.sh (nbd-server is not our child; the exit status counts).
stop_server() {
	kill -TERM "$srv_pid" 2>/dev/null || true
	if [ "$srv_name" = nbd-server ]; then
		# Not our child: poll (a zombie waiting for init counts as gone).
		i=0
		while kill -0 "$srv_pid" 2>/dev/null &&
		      [ "$(ps -o stat= -p "$srv_pid" 2>/dev/null | cut -c1)" != Z ]; do
			i=$((i + 1))
			if [ "$i" -gt "$STOP_TRIES" ]; then
				kill -KILL "$srv_pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
	else
		stop_rc=0
		wait "$srv_pid" 2>/dev/null || stop_rc=$?
		if [ "$stop_rc" -ne 0 ] && [ "$stop_rc" -ne 143 ] && [ -z "$in_cleanup" ]; then
			srv_pid=""
			die "$(label "$srv_name") exited $stop_rc after SIGTERM" \
			    "(see $work/$(label "$srv_name").log)"
		fi
	fi
	srv_pid=""
}

# ---- clients ----------------------------------------------------------------

# run_nbdcopy URI — copy the whole export to null:, print MiB/s.
run_nbdcopy() {
	t0=$(now_ns)
	timeout -k 10 "$CLIENT_TIMEOUT" nbdcopy "$1" null: 2>>"$work/client.log" ||
		{ cat "$work/client.log" >&2; die "nbdcopy $1 null: failed or hung ($(label "$srv_name"))"; }
	t1=$(now_ns)
	awk -v b="$size_bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }'
}

# run_storm — CLIENTS nbdcopy processes, one connection each, started
# STAGGER_MS apart, each reading the whole export of its client; print the
# aggregate MiB/s: CLIENTS x the base over the wall time from the first
# start to the last finish (handshakes included).
run_storm() {
	stagger=$(awk -v ms="$STAGGER_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
	pids=""
	t0=$(now_ns)
	for u in $(head -n "$CLIENTS" "$work/uris/$srv_name"); do
		timeout -k 10 "$CLIENT_TIMEOUT" nbdcopy --connections=1 \
			--request-size="$STORM_BS" --requests="$STORM_DEPTH" \
			"$u" null: 2>>"$work/client.log" &
		pids="$pids $!"
		sleep "$stagger"
	done
	failed=0
	for p in $pids; do
		wait "$p" || failed=$((failed + 1))
	done
	t1=$(now_ns)
	if [ "$failed" -ne 0 ]; then
		cat "$work/client.log" >&2
		die "$failed of $CLIENTS nbdcopy clients failed or hung ($(label "$srv_name"))"
	fi
	awk -v b="$size_bytes" -v n="$CLIENTS" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.1f", n * b / 1048576 / (ns / 1e9) }'
}

# run_fio NAME JOBFILE — run fio on JOBFILE, JSON in $work/NAME.json; fail
# if fio or one of its jobs failed.
run_fio() {
	timeout -k 10 "$CLIENT_TIMEOUT" fio --output-format=json --output="$work/$1.json" "$2" \
		>>"$work/client.log" 2>&1 ||
		{ cat "$work/client.log" >&2; die "fio $1 failed or hung ($(label "$srv_name"))"; }
	errors=$(fio_sum "$work/$1.json" errors)
	[ "$errors" -eq 0 ] ||
		die "fio $1: a job reported an error ($(label "$srv_name"); see $work/$1.json)"
}

# fio_job NAME URI-COUNT OPTION... — write the job file $work/NAME.fio: the
# options in [global], one job per URI of the running server (the first
# URI-COUNT of them).
fio_job() {
	name=$1 count=$2
	shift 2
	{
		printf '[global]\nioengine=nbd\n'
		for opt in "$@"; do printf '%s\n' "$opt"; done
		head -n "$count" "$work/uris/$srv_name" | awk '{ printf "[job%d]\nuri=%s\n", NR, $0 }'
	} >"$work/$name.fio"
}

# read_workloads — seq-nbdcopy, seq-fio, randread and storm on the running
# server.
read_workloads() {
	uri=$(head -n 1 "$work/uris/$srv_name")
	v=$(run_nbdcopy "$uri")
	record seq-nbdcopy "$v"

	fio_job seq-fio 1 rw=read bs=1M iodepth=8
	run_fio seq-fio "$work/seq-fio.fio"
	v=$(fio_sum "$work/seq-fio.json" read_bytes)
	[ "$v" -eq "$size_bytes" ] ||
		die "fio seq-fio read $v bytes, not $size_bytes ($(label "$srv_name"))"
	v=$(fio_sum "$work/seq-fio.json" read_mibs)
	record seq-fio "$v"

	fio_job randread 1 rw=randread bs=4k iodepth=8 norandommap=1 randrepeat=0 \
		time_based=1 "runtime=$RUNTIME"
	run_fio randread "$work/randread.fio"
	v=$(fio_sum "$work/randread.json" read_iops)
	record randread "$v"

	v=$(run_storm)
	record storm "$v"
}

# write_workload — randwrite on the running server (on a fresh overlay).
write_workload() {
	fio_job randwrite 1 rw=randwrite bs=4k iodepth=8 fsync=64 norandommap=1 \
		randrepeat=0 time_based=1 "runtime=$RUNTIME"
	run_fio randwrite "$work/randwrite.fio"
	v=$(fio_sum "$work/randwrite.json" write_iops)
	record randwrite "$v"
	fio_sum "$work/randwrite.json" syncs >>"$work/flushes.$srv_name"
}

# warm_up — read the whole base once through the running server.
warm_up() {
	run_nbdcopy "$(head -n 1 "$work/uris/$srv_name")" >/dev/null
}

# ---- the rounds ---------------------------------------------------------------

# one_server NAME — every workload on server NAME (the reads on one start,
# randwrite on a fresh one), then its figures.
one_server() {
	start_server "$1"
	if [ "$round" -eq 1 ]; then
		mc=no
		nbdinfo --can multi-conn "$(head -n 1 "$work/uris/$1")" && mc=yes
		echo "$mc" >"$work/multiconn.$1"
	fi
	warm_up
	read_workloads
	stop_server
	start_server "$1"
	warm_up
	write_workload
	stop_server
	printf '  %-15s seq nbdcopy %s MiB/s, seq fio %s MiB/s, randread %s IOPS, storm %s MiB/s, randwrite %s IOPS\n' \
		"$(label "$1")" "$(tail -n 1 "$work/res.seq-nbdcopy.$1")" \
		"$(tail -n 1 "$work/res.seq-fio.$1")" "$(tail -n 1 "$work/res.randread.$1")" \
		"$(tail -n 1 "$work/res.storm.$1")" "$(tail -n 1 "$work/res.randwrite.$1")"
}
run_rounds one_server ' '

# ---- the tables -----------------------------------------------------------------

# title WORKLOAD — what a workload is, for the table heading.
title() {
	case $1 in
	seq-nbdcopy) echo "sequential read of the $size_mib MiB base, nbdcopy URI null:" ;;
	seq-fio) echo "sequential read of the $size_mib MiB base, fio bs=1M iodepth=8" ;;
	randread) echo "random 4 KiB reads, fio iodepth=8, ${RUNTIME} s" ;;
	randwrite) echo "random 4 KiB writes into the overlay, fio iodepth=8 fsync=64, ${RUNTIME} s" ;;
	storm) echo "$CLIENTS clients each reading the whole base at once (nbdcopy, 1 connection, 128 KiB x 4 each)" ;;
	esac
}

# unit WORKLOAD — MiB/s or IOPS.
unit() {
	case $1 in
	randread | randwrite) echo IOPS ;;
	*) echo MiB/s ;;
	esac
}

# goal WORKLOAD — the ratio lanroot / best peer that issue 3 asks for.
goal() {
	case $1 in
	randwrite | storm) echo 1.5 ;;
	*) echo 1.0 ;;
	esac
}

median_note
: >"$work/summary"
for w in $WORKLOADS; do
	echo
	title "$w"
	printf '  %-16s %12s  %s\n' server "$(unit "$w")" notes
	best=0 best_name="" dbest=0 dbest_name=""
	for s in $SERVERS; do
		v=$(median <"$work/res.$w.$s")
		[ "$s" != lanroot ] || lr_val=$v
		notes=""
		case $w in
		seq-nbdcopy) notes="multi-conn: $(cat "$work/multiconn.$s")" ;;
		randwrite)
			notes="flushes sent: $(median <"$work/flushes.$s")"
			[ "$s" != nbdkit ] || notes="$notes (FLUSH syncs nothing)"
			;;
		esac
		printf '  %-16s %12s  %s\n' "$(label "$s")" "$v" "$notes"
		if [ "$s" != lanroot ] && greater "$v" "$best"; then
			best=$v best_name=$s
		fi
		if [ "$s" != lanroot ] && [ "$s" != nbdkit ] &&
		   greater "$v" "$dbest"; then
			dbest=$v dbest_name=$s
		fi
	done
	g=$(goal "$w")
	if [ "$SKIP_LANROOT" = 1 ]; then
		echo "  best peer: $best_name; lanroot not run (SKIP_LANROOT=1)"
		printf '  %-12s %7s  goal >= %sx  %s\n' "$w" "-" "$g" "not run" >>"$work/summary"
		continue
	fi
	r=$(ratio "$lr_val" "$best")
	met=$(goal_met "$r" "$g")
	echo "  lanroot / best peer ($best_name): ${r}x   goal >= ${g}x: $met"
	if [ "$w" = randwrite ] && [ "$best_name" = nbdkit ] && [ -n "$dbest_name" ]; then
		echo "  (lanroot / best peer whose FLUSH reaches the disk ($dbest_name):" \
		     "$(ratio "$lr_val" "$dbest")x)"
	fi
	printf '  %-12s %6sx  goal >= %sx  %s\n' "$w" "$r" "$g" "$met" >>"$work/summary"
done
echo
echo "summary (lanroot / best peer):"
cat "$work/summary"
echo "load average at end: $(load_avg)"
