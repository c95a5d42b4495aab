#!/bin/sh
# A full-mode lease survives a restart of lanroot-bootd: busybox udhcpc
# gets an address; after SIGTERM and a new start the control call "leases"
# still lists it as bound; another client asking for that very address
# (option 50) gets a different one; and the first client gets its address
# again.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

dhcp_pair - 52:54:00:00:00:01
$LR init >/dev/null
bootd_conf_full dhcp.range=192.0.2.100-192.0.2.109 dhcp.router=192.0.2.1 dhcp.lease_time=600
bootd_start "$srv"

udhcpc_lease "$cli"
first=$ip
bootd_lease_bound 52:54:00:00:00:01 "$first"
[ -s "$state/bootd/leases" ] || fail "no leases file in $state/bootd"

bootd_stop
grep -q "^$first 52:54:00:00:00:01 bound" "$state/bootd/leases" ||
	{ cat "$state/bootd/leases"; fail "the leases file lacks $first"; }
bootd_start "$srv"
bootd_lease_bound 52:54:00:00:00:01 "$first"

# another client asks for the address (DISCOVER with option 50, then REQUEST)
pxe_client "$cli" --mac 52:54:00:00:00:02 --plain --dora --requested "$first" --wait 3
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK"'
json_true 'd["ack"]["yiaddr"] != "'"$first"'" and d["replies"][0]["yiaddr"] != "'"$first"'"'

udhcpc_lease "$cli"
[ "$ip" = "$first" ] || fail "after the restart the client got $ip, not $first"
bootd_stop
