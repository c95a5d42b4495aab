#!/bin/sh
# Full mode with a real client: busybox udhcpc in a client network
# namespace gets an address from the pool, the subnet mask, router, DNS
# server and lease time, the next server (siaddr) and the boot file of a
# registered client (BIOS, loader ipxe: undionly.kpxe), with the reply sent
# to its MAC (no broadcast flag) and then with -B by broadcast.  The lease
# shows in the control call "leases" with the host name udhcpc sent, and
# the exchange in the event lines.  An unregistered client (unknown_clients
# = refuse) gets an address but no boot file.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

dhcp_pair - 52:54:00:00:00:01
boot_registry	# client pc01 has the client's MAC
# (the pool is bootd_conf_full's 192.0.2.100-192.0.2.119)
bootd_conf_full dhcp.router=192.0.2.1 dhcp.dns=192.0.2.53 dhcp.lease_time=600
bootd_start "$srv"

# is VAR VALUE — udhcpc passed VALUE in VAR to its script
is() {
	[ "$(udhcpc_val "$1")" = "$2" ] || { cat "$tmp/udhcpc.env"; fail "$1 is not '$2'"; }
}

# lease [ARGS…] — one lease for pc01 (host name pc01) with the right values
lease() {
	udhcpc_lease "$cli" -x hostname:pc01 "$@"
	case $ip in
	192.0.2.10[0-9] | 192.0.2.11[0-9]) ;;
	*) cat "$tmp/udhcpc.env"; fail "address '$ip' is not in the range" ;;
	esac
	is siaddr 192.0.2.1
	is boot_file undionly.kpxe
	is router 192.0.2.1
	is dns 192.0.2.53
	is subnet 255.255.255.0
	is lease 600
	is serverid 192.0.2.1
}

lease
first=$ip
grep -q "event=dhcp.ack.*mac=52:54:00:00:00:01.*ip=$ip" "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "no dhcp.ack event for pc01"; }
grep -q "event=dhcp.offer.*boot_file=undionly.kpxe" "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "the dhcp.offer event does not name the boot file"; }

bootd_lease_bound 52:54:00:00:00:01 "$ip" pc01

# the same again by broadcast (-B): the same address, the same answers
lease -B
[ "$ip" = "$first" ] || fail "the second lease ($ip) is not the first one ($first)"

# an unregistered client: an address, no boot file
pxe_client "$cli" --mac 52:54:00:00:00:99 --plain --dora --wait 3
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"].startswith("192.0.2.1") and d["ack"]["yiaddr"] != "'"$first"'"'
json_true 'd["ack"]["boot_file"] == "" and d["replies"][0]["boot_file"] == ""'

bootd_stop
