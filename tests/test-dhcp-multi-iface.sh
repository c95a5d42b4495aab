#!/bin/sh
# Full mode on two interfaces ([dhcp] interface = eth0, eth1), each with
# its own subnet and range: busybox udhcpc on each segment gets an address
# of that segment's pool with that segment's router and server id, both
# with replies to its MAC and with broadcast replies (-B) -- each reply
# leaves by the interface its request came in on.  A third interface of
# the server that is not listed gets no answers.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

netns_new srv; srv=$netns
netns_new cla; cla=$netns
netns_new clb; clb=$netns
netns_new clc; clc=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$cla" eth0 -
netns_veth "$srv" eth1 198.51.100.1/24 "$clb" eth0 -
netns_veth "$srv" eth2 203.0.113.1/24 "$clc" eth0 -

$LR init >/dev/null
bootd_conf_full server.address= "dhcp.interface=eth0, eth1" \
	dhcp.subnet=192.0.2.0/24,198.51.100.0/24,203.0.113.0/24 \
	dhcp.range=192.0.2.100-192.0.2.109,198.51.100.100-198.51.100.109,203.0.113.100-203.0.113.109 \
	dhcp.router=192.0.2.1,198.51.100.1,203.0.113.1
bootd_start "$srv"

# check NS NET [ARGS…] — udhcpc in NS gets NET.10x from NET.1
check() {
	ns=$1 net=$2; shift 2
	udhcpc_lease "$ns" "$@"
	case $ip in
	"$net".10[0-9]) ;;
	*) cat "$tmp/udhcpc.env"; fail "on $net.0/24 the address is $ip" ;;
	esac
	[ "$(udhcpc_val router)" = "$net.1" ] || { cat "$tmp/udhcpc.env"; fail "router on $net.0/24"; }
	[ "$(udhcpc_val serverid)" = "$net.1" ] || { cat "$tmp/udhcpc.env"; fail "server id on $net.0/24"; }
}
check "$cla" 192.0.2
check "$clb" 198.51.100
check "$cla" 192.0.2 -B
check "$clb" 198.51.100 -B

# eth2 is not served
if udhcpc_run "$clc" -t 2; then
	cat "$tmp/udhcpc.env"; fail "a lease on eth2, which is not in [dhcp] interface"
fi
bootd_stop
