#!/bin/sh
# bench-http.sh — lanroot-bootd's HTTP server against nginx with sendfile
# (issue 4), side by side in one run, on the same files, with the same
# client, everything on 127.0.0.1.
#
# Data: a "kernel" of KERNEL_SIZE (default 8M) and an "initrd" of
# INITRD_SIZE (default 40M) random bytes, in one directory that both
# servers serve (for bootd: its [tftp] root, which its HTTP server serves
# too; for nginx: the root of its one server block); warm in the page
# cache (just written).
#
# Servers, each on its own free port, started by this script, stopped by PID:
#   lanroot-bootd  `lanroot-bootd -c CONF -f`, [dhcp] mode = off, [http]
#                  listen 127.0.0.1 and defaults otherwise (one event loop
#                  thread; libmicrohttpd inside it, sendfile for files); one
#                  http.get event line per request to its log.
#   nginx-1        nginx 1.22, `daemon off; master_process off;
#                  worker_processes 1;` — one process, like bootd's one loop
#   nginx-auto     nginx 1.22, `daemon off; worker_processes auto;` (a master
#                  and one worker per core: 2 here)
#   both nginx: `sendfile on; tcp_nopush on;`, keepalive defaults (75 s,
#   1000 requests per connection), one access log line per request to a
#   file in the work directory (bootd logs one event line per request too).
#   The goal counts against the better of the two nginx figures.
#
# Client: wrk (DURATION seconds, CONNECTIONS connections on THREADS
# threads, keep-alive), each connection asking for the kernel and the
# initrd in turn; a Lua done() hook prints the exact bytes, requests and
# errors.  Figures: MiB/s of response bodies and headers (wrk's byte count)
# and requests/s.  Before the load, curl fetches both files once from each
# server and their sha256 must match (so a broken server cannot look fast);
# any wrk error or non-2xx answer fails the run.
#
# Goal (issue 4): lanroot-bootd >= 0.9x nginx.  Missing it is not an error
# (exit 0); a server that does not start or a failed check is (exit 1);
# a missing tool skips (exit 77).
#
# Usage (from the top of a built tree):
#     top_builddir=$PWD sh bench/bench-http.sh
# Environment:
#   KERNEL_SIZE, INITRD_SIZE  (default 8M, 40M; N[KMG])
#   CONNECTIONS   (default 32)   THREADS (wrk threads, default 2)
#   DURATION      seconds per server (default 15)
#   ROUNDS        rounds (default 1); with more, the server order rotates
#                 and the median counts
#   BENCH_DIR     where the work directory goes (default $TMPDIR, else /var/tmp)
#   SKIP_LANROOT  1: only nginx
#   KEEP          1: keep the work directory (it is also kept after a failure)
#   top_builddir  the build tree (default .): admin/lanroot, bootserver/lanroot-bootd
set -eu
# shellcheck source=bench/functions.sh
. "$(dirname "$0")/functions.sh"

KERNEL_SIZE=${KERNEL_SIZE:-8M}
INITRD_SIZE=${INITRD_SIZE:-40M}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-1}
BOOTD=${BOOTD:-$top_builddir/bootserver/lanroot-bootd}

need_tools nginx wrk curl sha256sum "$PYTHON"
need_lanroot "$BOOTD" bootserver/lanroot-bootd

kernel_bytes=$(bytes "$KERNEL_SIZE" KERNEL_SIZE)
initrd_bytes=$(bytes "$INITRD_SIZE" INITRD_SIZE)

SERVERS="nginx-1 nginx-auto"
[ "$SKIP_LANROOT" = 1 ] || SERVERS="lanroot $SERVERS"

bench_workdir http
chmod 755 "$work"	# nginx's worker reads the files as nobody

# label NAME — what a server name stands for.
label() {
	case $1 in
	lanroot) echo lanroot-bootd ;;
	nginx-1) echo "nginx (1 process)" ;;
	nginx-auto) echo "nginx (auto: $(nproc) workers)" ;;
	esac
}

# ---- the data ----------------------------------------------------------------------

www=$work/www
mkdir -p "$www"
chmod 755 "$www"
echo "bench-http: kernel $KERNEL_SIZE + initrd $INITRD_SIZE, $CONNECTIONS connections," \
     "$THREADS wrk threads, ${DURATION}s, ROUNDS=$ROUNDS, in $work"
cpus_load
echo "peers: $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
head -c "$kernel_bytes" /dev/urandom >"$www/vmlinuz"
head -c "$initrd_bytes" /dev/urandom >"$www/initrd.img"
chmod 644 "$www/vmlinuz" "$www/initrd.img"
kernel_sum=$(sha256 <"$www/vmlinuz")
initrd_sum=$(sha256 <"$www/initrd.img")

cat >"$work/wrk.lua" <<'EOF'
-- Each connection asks for the kernel and the initrd in turn.
local paths = { "/vmlinuz", "/initrd.img" }
local n = 0
request = function()
   n = n + 1
   return wrk.format("GET", paths[(n % 2) + 1])
end
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("wrk: requests=%d bytes=%d duration_us=%d errors=%d non2xx=%d\n",
      summary.requests, summary.bytes, summary.duration,
      e.connect + e.read + e.write + e.timeout, e.status))
end
EOF

if [ "$SKIP_LANROOT" != 1 ]; then
	lr_port=$(free_port)
	bootd_state 127.0.0.1 "$(free_udp_port)" "$www" "$lr_port" "mode = off"
fi

# ---- servers ---------------------------------------------------------------------

# nginx_conf NAME PORT — write $work/NAME.conf.
nginx_conf() {
	case $1 in
	nginx-1) head="master_process off;
worker_processes 1;" ;;
	nginx-auto) head="worker_processes auto;" ;;
	esac
	mkdir -p "$work/$1-tmp"
	cat >"$work/$1.conf" <<EOF
daemon off;
$head
pid $work/$1.pid;
error_log $work/$1-error.log;
events { worker_connections 1024; }
http {
    access_log $work/$1-access.log;
    client_body_temp_path $work/$1-tmp/body;
    proxy_temp_path $work/$1-tmp/proxy;
    fastcgi_temp_path $work/$1-tmp/fastcgi;
    uwsgi_temp_path $work/$1-tmp/uwsgi;
    scgi_temp_path $work/$1-tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$2;
        root $www;
    }
}
EOF
}

# start_server NAME — start it ($srv_pid, $base: its URL) and wait until it
# answers.
start_server() {
	srv_name=$1
	log=$work/$1.log
	case $1 in
	lanroot)
		"$BOOTD" -c "$lr_conf" -f 2>>"$log" &
		srv_pid=$!
		base=http://127.0.0.1:$lr_port
		;;
	nginx-*)
		port=$(free_port)
		nginx_conf "$1" "$port"
		nginx -c "$work/$1.conf" -e "$work/$1-error.log" 2>>"$log" &
		srv_pid=$!
		base=http://127.0.0.1:$port
		;;
	esac
	wait_serving "$log" curl -sf -o /dev/null "$base/vmlinuz"
}
# (stop_server, from functions.sh, SIGTERMs nginx's master, which stops the
# workers.)

# check_files — both files from the running server, byte for byte.
check_files() {
	for f in vmlinuz:$kernel_sum initrd.img:$initrd_sum; do
		got=$(curl -sf "$base/${f%%:*}" | sha256)
		[ "$got" = "${f#*:}" ] ||
			die "$(label "$srv_name") served ${f%%:*} with sha256 $got, not ${f#*:}"
	done
}

# run_wrk — the load on the running server; records MiB/s and requests/s.
run_wrk() {
	wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 10s \
		-s "$work/wrk.lua" "$base/" >"$work/wrk.out" 2>&1 ||
		{ cat "$work/wrk.out" >&2; die "wrk failed against $(label "$srv_name")"; }
	line=$(grep '^wrk: ' "$work/wrk.out") ||
		{ cat "$work/wrk.out" >&2; die "no summary from wrk"; }
	echo "  $(label "$srv_name"): $line" >>"$work/lines"
	if [ "$(field "$line" errors)" -ne 0 ] || [ "$(field "$line" non2xx)" -ne 0 ]; then
		cat "$work/wrk.out" >&2
		die "wrk saw errors against $(label "$srv_name")"
	fi
	[ "$(field "$line" requests)" -gt 0 ] || die "wrk made no request"
	record mibs "$(awk -v b="$(field "$line" bytes)" -v t="$(field "$line" duration_us)" \
		'BEGIN { printf "%.1f", b / 1048576 / (t / 1e6) }')"
	record rps "$(awk -v r="$(field "$line" requests)" -v t="$(field "$line" duration_us)" \
		'BEGIN { printf "%.1f", r / (t / 1e6) }')"
}

# ---- the rounds -------------------------------------------------------------------

# one_server NAME — check and load server NAME, then its figures.
one_server() {
	start_server "$1"
	check_files
	run_wrk
	stop_server
	printf '  %-28s %s MiB/s, %s requests/s\n' "$(label "$1")" \
		"$(tail -n 1 "$work/res.mibs.$1")" "$(tail -n 1 "$work/res.rps.$1")"
}
run_rounds one_server ', '
echo
echo "wrk lines:"
cat "$work/lines"

median_note
echo "kernel + initrd in turn, $CONNECTIONS connections (wrk -t$THREADS), ${DURATION} s"
printf '  %-28s %10s %12s\n' server MiB/s requests/s
best=0 best_name="" lr_val=0
for s in $SERVERS; do
	v=$(median <"$work/res.mibs.$s")
	printf '  %-28s %10s %12s\n' "$(label "$s")" "$v" "$(median <"$work/res.rps.$s")"
	if [ "$s" = lanroot ]; then
		lr_val=$v
	elif greater "$v" "$best"; then
		best=$v best_name=$s
	fi
done
if [ "$SKIP_LANROOT" != 1 ]; then
	for s in nginx-1 nginx-auto; do
		echo "  lanroot / $(label "$s"): $(ratio "$lr_val" "$(median <"$work/res.mibs.$s")")x"
	done
	r=$(ratio "$lr_val" "$best")
	met=$(goal_met "$r" 0.9)
	echo "summary: lanroot / best nginx ($(label "$best_name")): ${r}x   goal >= 0.9x: $met"
fi
echo "load average at end: $(load_avg)"
