#!/bin/sh
# Started as root with [lanroot] user = nobody, lanroot-bootd binds its
# privileged ports first (DHCP 67, TFTP 69, HTTP 80, inside a private
# network namespace) and opens its raw sockets, then runs as nobody:
# /proc/PID/status shows nobody's uid and gid, no supplementary groups and
# no capabilities left.  It still hands out a lease to busybox udhcpc
# (replies to a client without an address go out on the raw socket kept
# from before the drop), writes the leases file as nobody, and serves a
# file over TFTP and HTTP.  With a user that does not exist it does not
# start and says which user is missing.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires atftp --help
requires curl --version
requires_root
id nobody >/dev/null 2>&1 || { echo "$0: test skipped: no user nobody" >&2; exit 77; }
mktmpdir
chmod 755 "$tmp"		# nobody must reach the state dir inside
lanroot_env
dhcp_pair 192.0.2.9/24

boot_registry
nobody_uid=$(id -u nobody)
chown -R nobody:"$(id -gn nobody)" "$state"

bootd_conf server.address=192.0.2.1 tftp.listen=192.0.2.1 tftp.port=69 \
	http.listen=192.0.2.1 http.port=80 dhcp.mode=full dhcp.interface=eth0 \
	dhcp.range=192.0.2.100-192.0.2.119 dhcp.router_advertisement=off \
	dhcp.rogue_probe_interval=0 lanroot.user=nobody
echo "served as nobody" >"$tmp/tftp/hello.txt"
chmod 755 "$tmp/tftp"
bootd_start "$srv"

runs_as_nobody lanroot-bootd "$bootd_pid"

# DHCP to a client without an address (no broadcast flag: sent to its MAC).
udhcpc_lease "$cli"
case $ip in
192.0.2.1[01][0-9]) ;;
*) fail "udhcpc got '$ip'" ;;
esac
owner=$(stat -c %u "$state/bootd/leases") || fail "no leases file"
[ "$owner" = "$nobody_uid" ] || fail "the leases file is owned by uid $owner, not nobody"

ip netns exec "$cli" atftp -g -r hello.txt -l "$tmp/got" 192.0.2.1 69 >/dev/null 2>&1 ||
	{ tail "$tmp/bootd.log"; fail "TFTP on port 69 as nobody failed"; }
grep -q "served as nobody" "$tmp/got" || fail "TFTP content"
ip netns exec "$cli" curl -sf "http://192.0.2.1/hello.txt" | grep -q "served as nobody" ||
	fail "HTTP on port 80 as nobody failed"
bootd_stop

# A user that does not exist: no start, a clear message.
conf_set lanroot user lanroot-no-such-user
expect_status 1 timeout 10 ip netns exec "$srv" lanroot-bootd -c "$conf" -f
grep_err "user 'lanroot-no-such-user' does not exist"
