#!/bin/sh
# Router advertisements in full mode: with [dhcp] router_advertisement = on
# rdisc6 (ndisc6) in the client namespace gets an RA from bootd's link-local
# address with router lifetime 0 (bootd is not a default router); with
# router_advertisement = off (and proxy mode's default) it gets none.
. "${top_srcdir:-.}/tests/functions.sh"
requires rdisc6 -V
requires_root
mktmpdir
lanroot_env

netns_new srv; srv=$netns
netns_new cli; cli=$netns
# no duplicate address detection: link-local addresses usable at once
for ns in "$srv" "$cli"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0
done
netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 -
srv_ll=$(ip -n "$srv" -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \(fe80[^/]*\).*/\1/p')
[ -n "$srv_ll" ] || fail "the server side has no link-local address"

$LR init >/dev/null
bootd_conf_full dhcp.router_advertisement=on
bootd_start "$srv"

ip netns exec "$cli" timeout 10 rdisc6 -1 -n -r 3 -w 1000 eth0 >"$tmp/rdisc6.out" 2>&1 ||
	{ cat "$tmp/rdisc6.out" "$tmp/bootd.log"; fail "rdisc6 got no router advertisement"; }
grep -q "Router lifetime *: *0 " "$tmp/rdisc6.out" ||
	{ cat "$tmp/rdisc6.out"; fail "router lifetime is not 0"; }
grep -q "from $srv_ll" "$tmp/rdisc6.out" || { cat "$tmp/rdisc6.out"; fail "the RA is not from $srv_ll"; }
bootd_call status
grep -q '"router_advertisements": *[1-9]' "$tmp/json" || { cat "$tmp/json"; fail "status counts no RA"; }
bootd_stop

for setting in "dhcp router_advertisement off" "dhcp mode proxy"; do
	conf_set dhcp router_advertisement auto
	conf_set dhcp mode full
	# shellcheck disable=SC2086 # "SECTION KEY VALUE" splits on purpose
	conf_set $setting
	bootd_start "$srv"
	if ip netns exec "$cli" timeout 10 rdisc6 -1 -n -r 2 -w 500 eth0 >"$tmp/rdisc6.out" 2>&1; then
		cat "$tmp/rdisc6.out"; fail "an RA with $setting"
	fi
	bootd_stop
done
