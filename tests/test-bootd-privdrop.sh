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
netns_new srv; srv=$netns
netns_new cli; cli=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 192.0.2.9/24

$LR init >/dev/null
make_raw "$tmp/base.img" 1048576
$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>&1 || fail "image import failed"
$LR group add room --image lab --mode volatile >/dev/null
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)
chown -R nobody:"$(id -gn nobody)" "$state"

bootd_conf server.address=192.0.2.1 tftp.listen=192.0.2.1 tftp.port=69 \
	http.listen=192.0.2.1 http.port=80 dhcp.mode=full dhcp.interface=eth0 \
	dhcp.range=192.0.2.100-192.0.2.119 dhcp.router_advertisement=off \
	dhcp.rogue_probe_interval=0 lanroot.user=nobody
echo "served as nobody" >"$tmp/tftp/hello.txt"
chmod 755 "$tmp/tftp"
bootd_start "$srv"

status=/proc/$bootd_pid/status
grep -q "^Uid:[[:space:]]*$nobody_uid[[:space:]]*$nobody_uid[[:space:]]*$nobody_uid[[:space:]]*$nobody_uid\$" "$status" ||
	{ grep '^[UG]id' "$status"; fail "lanroot-bootd does not run as nobody"; }
grep -q "^Gid:[[:space:]]*$nobody_gid[[:space:]]*$nobody_gid[[:space:]]*$nobody_gid[[:space:]]*$nobody_gid\$" "$status" ||
	{ grep '^[UG]id' "$status"; fail "lanroot-bootd does not run with nobody's group"; }
grep -q '^Groups:[[:space:]]*$' "$status" ||
	{ grep '^Groups' "$status"; fail "lanroot-bootd kept supplementary groups"; }
grep -q '^CapEff:[[:space:]]*0*$' "$status" ||
	{ grep '^Cap' "$status"; fail "lanroot-bootd kept effective capabilities"; }

# DHCP to a client without an address (no broadcast flag: sent to its MAC).
cat >"$tmp/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" >"$tmp/lease"
exit 0
EOS
chmod +x "$tmp/udhcpc.sh"
ip netns exec "$cli" timeout 15 busybox udhcpc -f -q -n -t 3 -T 1 -i eth0 \
	-s "$tmp/udhcpc.sh" >"$tmp/udhcpc.out" 2>&1 ||
	{ cat "$tmp/udhcpc.out" "$tmp/bootd.log"; fail "udhcpc got no lease from bootd running as nobody"; }
grep -q '^192\.0\.2\.1[01][0-9]$' "$tmp/lease" || fail "udhcpc got '$(cat "$tmp/lease")'"
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
