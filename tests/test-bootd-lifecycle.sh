#!/bin/sh
# lanroot-bootd's life cycle: --check-config names what is wrong in a
# config that parses but cannot work (a pool outside its subnet, pools
# that overlap (the DHCP server's own plan parser), a bad
# address in a list, full mode without a range, unknown_clients = default
# without a group) and accepts a good one; a running bootd reloads on
# SIGHUP (daemon.reload; a new TFTP limit shows in status), keeps serving
# with its old settings when the file has an error (config.error), and
# exits 0 on SIGTERM (daemon.stop).
. "${top_srcdir:-.}/tests/functions.sh"
requires atftp --help
bootd_env
lanroot-bootd -c "$conf" --check-config || fail "--check-config refused a good config"

check_bad() {	# check_bad SECTION.KEY=VALUE… -- MESSAGE
	cp "$conf" "$tmp/good.conf"
	while [ "$1" != -- ]; do
		k=${1%%=*}; conf_set "${k%%.*}" "${k#*.}" "${1#*=}"; shift
	done
	shift
	expect_status 1 lanroot-bootd -c "$conf" --check-config
	grep_err "$1"
	cp "$tmp/good.conf" "$conf"
}
check_bad dhcp.mode=full dhcp.range=192.0.2.100-192.0.2.200 dhcp.subnet=198.51.100.0/24 -- \
	"\[dhcp\] range: '192.0.2.100-192.0.2.200' does not lie inside one subnet"
check_bad dhcp.mode=full dhcp.range=192.0.2.10-192.0.2.20,192.0.2.15-192.0.2.30 \
	dhcp.subnet=192.0.2.0/24 -- "\[dhcp\] range: '192.0.2.15-192.0.2.30' overlaps another range"
check_bad dhcp.dns=192.0.2.53,192.0.2.300 -- "\[dhcp\] dns: '192.0.2.300' is not valid"
check_bad dhcp.mode=full -- "\[dhcp\] mode = full needs a range"
check_bad dhcp.router=192.0.2.1,,192.0.2.2 -- "\[dhcp\] router: empty item"
check_bad boot.unknown_clients=default -- "unknown_clients = default needs \[boot\] default_group"
check_bad server.address=lanroot.example -- "\[server\] address: 'lanroot.example' is not an IPv4 address"

echo hello >"$tmp/tftp/hello.txt"
bootd_start
conf_set tftp max_transfers 7
kill -HUP "$bootd_pid"
wait_until "daemon.reload after SIGHUP" grep -q "event=daemon.reload" "$tmp/bootd.log"
bootd_call status
json_true 'd["tftp"]["max_transfers"] == 7'

# A broken file: the old settings stay, and it still serves.
conf_set tftp max_transfers 0
kill -HUP "$bootd_pid"
wait_until "config.error after a bad SIGHUP" grep -q "event=config.error" "$tmp/bootd.log"
grep -q "max_transfers: '0' is out of range" "$tmp/bootd.log" || fail "the error does not name the key"
atftp -g -r hello.txt -l "$tmp/got" 127.0.0.1 "$TFTP_PORT" >/dev/null 2>&1 ||
	fail "bootd stopped serving after a bad reload"
bootd_call status
json_true 'd["tftp"]["max_transfers"] == 7'
bootd_stop
grep -q "event=daemon.stop" "$tmp/bootd.log" || fail "no daemon.stop event"
