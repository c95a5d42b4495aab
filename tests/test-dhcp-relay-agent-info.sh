#!/bin/sh
# A relay agent's option 82 (RFC 3046 relay agent information: circuit id,
# remote id) comes back unchanged in every reply to the relay, OFFER and
# ACK (RFC 3046 section 2.2: a server SHALL echo it), as relays that
# insert it check it to find the client's port.
. "${top_srcdir:-.}/tests/functions.sh"
requires_root
mktmpdir
lanroot_env

netns_new srv; srv=$netns
netns_new rly; rly=$netns
netns_new far; far=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$rly" eth0 192.0.2.2/24
netns_veth "$rly" eth1 198.51.100.1/24 "$far" eth0 -
ip -n "$srv" route add 198.51.100.0/24 via 192.0.2.2

$LR init >/dev/null
bootd_conf server.address=192.0.2.1 lanroot.log_level=debug \
	dhcp.mode=full dhcp.interface=eth0 \
	dhcp.subnet=192.0.2.0/24,198.51.100.0/24 \
	dhcp.range=192.0.2.100-192.0.2.119,198.51.100.100-198.51.100.119 \
	dhcp.router_advertisement=off
bootd_start "$srv"

# circuit id (1) "port 1/2", remote id (2) a MAC
info=01087075727420312f3202060800270000ff
ip netns exec "$rly" "$PYTHON" "$top_srcdir/tests/pxe-client.py" -i eth0 \
	--mac 52:54:00:00:00:07 --plain --giaddr 198.51.100.1 --server 192.0.2.1 --dora \
	--agent-info "$info" --wait 3 >"$tmp/json" || fail "pxe-client.py failed"
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["replies"][0]["type"] == "OFFER"'
json_true 'd["replies"][0]["options"].get("82") == "'$info'" and d["ack"]["options"].get("82") == "'$info'"'
bootd_stop
