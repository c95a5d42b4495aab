#!/bin/sh
# Static reservations in full mode, right from the start: a registered
# client with `--ip` gets its reserved address (outside the range) from
# busybox udhcpc's first DISCOVER after bootd starts; an address of the
# range reserved for another client is never offered to anybody else, not
# even when asked for; an INIT-REBOOT REQUEST for someone else's reserved
# address is NAKed; and the reserved lease survives a restart.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

dhcp_pair - 52:54:00:00:00:01
boot_registry volatile 1048576 --ip 192.0.2.150	# pc01 has the client's MAC
$LR client add 52:54:00:00:00:02 --name pc02 --group room --ip 192.0.2.101 >/dev/null

bootd_conf_full dhcp.range=192.0.2.100-192.0.2.103 dhcp.lease_time=600
bootd_start "$srv"

udhcpc_lease "$cli"
[ "$ip" = 192.0.2.150 ] || fail "pc01 got $ip at start, not its reservation 192.0.2.150"

# three unregistered clients take the rest of the range; none gets .101
for m in 11 12 13; do
	pxe_client "$cli" --mac 52:54:00:00:01:$m --plain --dora --requested 192.0.2.101 --wait 2
	json_true 'all(r["yiaddr"] != "192.0.2.101" for r in d["replies"]) and (d["ack"] is None or d["ack"]["yiaddr"] != "192.0.2.101")'
done
pxe_client "$cli" --mac 52:54:00:00:09:09 --plain --init-reboot 192.0.2.101 --wait 2
json_true 'd["ack"] is not None and d["ack"]["type"] == "NAK"'
pxe_client "$cli" --mac 52:54:00:00:00:02 --plain --dora --wait 2
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"] == "192.0.2.101"'

bootd_stop
bootd_start "$srv"
bootd_lease_bound 52:54:00:00:00:01 192.0.2.150
udhcpc_lease "$cli"
[ "$ip" = 192.0.2.150 ] || fail "pc01 got $ip after the restart"
bootd_stop
