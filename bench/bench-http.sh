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

KERNEL_SIZE=${KERNEL_SIZE:-8M}
INITRD_SIZE=${INITRD_SIZE:-40M}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-1}
SKIP_LANROOT=${SKIP_LANROOT:-0}
top_builddir=${top_builddir:-.}
LANROOT=${LANROOT:-$top_builddir/admin/lanroot}
BOOTD=${BOOTD:-$top_builddir/bootserver/lanroot-bootd}
START_TRIES=100
STOP_TRIES=100
MIB=1048576

if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

die() {
	echo "bench-http: $*" >&2
	exit 1
}

for tool in nginx wrk curl sha256sum "$PYTHON"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench-http: $tool not found (scripts/install-deps installs it)" >&2
		exit 77
	fi
done
if [ "$SKIP_LANROOT" != 1 ]; then
	[ -x "$LANROOT" ] || die "$LANROOT not built (make admin/lanroot, or set top_builddir)"
	[ -x "$BOOTD" ] || die "$BOOTD not built (make bootserver/lanroot-bootd, or set top_builddir)"
	if grep -qa __asan_init "$BOOTD"; then
		echo "bench-http: warning: $BOOTD is built with sanitizers;" \
		     "its figures say little (configure without --enable-sanitizers)" >&2
	fi
fi

# bytes N[KMG] — N in bytes.
bytes() {
	case $1 in
	*[Gg]) echo $((${1%?} * 1024 * MIB)) ;;
	*[Mm]) echo $((${1%?} * MIB)) ;;
	*[Kk]) echo $((${1%?} * 1024)) ;;
	*[0-9]) echo "$1" ;;
	*) die "size '$1' is not N, NK, NM or NG" ;;
	esac
}
kernel_bytes=$(bytes "$KERNEL_SIZE")
initrd_bytes=$(bytes "$INITRD_SIZE")

SERVERS="nginx-1 nginx-auto"
[ "$SKIP_LANROOT" = 1 ] || SERVERS="lanroot $SERVERS"

if [ -z "${BENCH_DIR:-}" ]; then
	BENCH_DIR=${TMPDIR:-/var/tmp}
fi
mkdir -p "$BENCH_DIR"
work=$(mktemp -d "$BENCH_DIR/lanroot-http.XXXXXX")
chmod 755 "$work"	# nginx's worker reads the files as nobody
srv_pid=""
srv_name=""

cleanup() {
	rc=$?
	set +e
	[ -z "$srv_pid" ] || stop_server
	if [ "${KEEP:-0}" = 1 ] || [ "$rc" -eq 1 ]; then
		echo "bench-http: work directory kept (logs, data): $work" >&2
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

free_udp_port() {
	"$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1]); s.close()'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

label() {
	case $1 in
	lanroot) echo lanroot-bootd ;;
	nginx-1) echo "nginx (1 process)" ;;
	nginx-auto) echo "nginx (auto: $(nproc) workers)" ;;
	esac
}

# field LINE KEY — the value of KEY=… in a line of KEY=VALUE words.
field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# ---- the data ----------------------------------------------------------------------

www=$work/www
mkdir -p "$www"
chmod 755 "$www"
echo "bench-http: kernel $KERNEL_SIZE + initrd $INITRD_SIZE, $CONNECTIONS connections," \
     "$THREADS wrk threads, ${DURATION}s, ROUNDS=$ROUNDS, in $work"
echo "$(nproc) CPUs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
head -c "$kernel_bytes" /dev/urandom >"$www/vmlinuz"
head -c "$initrd_bytes" /dev/urandom >"$www/initrd.img"
chmod 644 "$www/vmlinuz" "$www/initrd.img"
kernel_sum=$(sha256sum <"$www/vmlinuz" | cut -d' ' -f1)
initrd_sum=$(sha256sum <"$www/initrd.img" | cut -d' ' -f1)

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
	lr_conf=$work/lanroot.conf
	lr_ctl=$work/bootd.sock
	lr_port=$(free_port)
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
port = $(free_udp_port)
root = $www

[http]
listen = 127.0.0.1
port = $lr_port

[dhcp]
mode = off
EOF
	"$LANROOT" -q -c "$lr_conf" init >>"$work/lanroot.log" 2>&1 || {
		cat "$work/lanroot.log" >&2
		die "lanroot init failed"
	}
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
	i=0
	until curl -sf -o /dev/null "$base/vmlinuz"; do
		i=$((i + 1))
		if [ "$i" -gt "$START_TRIES" ] || ! kill -0 "$srv_pid" 2>/dev/null; then
			cat "$log" >&2
			die "$(label "$1") did not start (log above: $log)"
		fi
		sleep 0.1
	done
}

# stop_server — SIGTERM the running server (nginx: its master, which stops
# the workers), wait for it to exit.
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

# check_files — both files from the running server, byte for byte.
check_files() {
	for f in vmlinuz:$kernel_sum initrd.img:$initrd_sum; do
		got=$(curl -sf "$base/${f%%:*}" | sha256sum | cut -d' ' -f1)
		[ "$got" = "${f#*:}" ] ||
			die "$(label "$srv_name") served ${f%%:*} with sha256 $got, not ${f#*:}"
	done
}

record() {
	[ -n "$2" ] || die "no figure for $1 ($(label "$srv_name"))"
	echo "$2" >>"$work/res.$1.$srv_name"
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

round=1
order=$SERVERS
while [ "$round" -le "$ROUNDS" ]; do
	echo
	echo "round $round: $(for s in $order; do printf '%s, ' "$(label "$s")"; done)"
	for s in $order; do
		start_server "$s"
		check_files
		run_wrk
		stop_server
		printf '  %-28s %s MiB/s, %s requests/s\n' "$(label "$s")" \
			"$(tail -n 1 "$work/res.mibs.$s")" "$(tail -n 1 "$work/res.rps.$s")"
	done
	first=${order%% *}
	order="${order#* } $first"
	round=$((round + 1))
done
echo
echo "wrk lines:"
cat "$work/lines"

echo
[ "$ROUNDS" -eq 1 ] || echo "figures: the median of $ROUNDS rounds"
echo "kernel + initrd in turn, $CONNECTIONS connections (wrk -t$THREADS), ${DURATION} s"
printf '  %-28s %10s %12s\n' server MiB/s requests/s
best=0 best_name="" lr_val=0
for s in $SERVERS; do
	v=$(median <"$work/res.mibs.$s")
	printf '  %-28s %10s %12s\n' "$(label "$s")" "$v" "$(median <"$work/res.rps.$s")"
	if [ "$s" = lanroot ]; then
		lr_val=$v
	elif awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		best=$v best_name=$s
	fi
done
if [ "$SKIP_LANROOT" != 1 ]; then
	for s in nginx-1 nginx-auto; do
		echo "  lanroot / $(label "$s"): $(ratio "$lr_val" "$(median <"$work/res.mibs.$s")")x"
	done
	r=$(ratio "$lr_val" "$best")
	if awk -v r="$r" 'BEGIN { exit !(r >= 0.9) }'; then met=met; else met="not met"; fi
	echo "summary: lanroot / best nginx ($(label "$best_name")): ${r}x   goal >= 0.9x: $met"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
