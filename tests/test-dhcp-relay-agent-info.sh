#!/bin/sh
# A relay agent's option 82 (RFC 3046 relay agent information: circuit id,
# remote id) comes back unchanged in every reply to the relay, OFFER and
# ACK (RFC 3046 section 2.2: a server SHALL echo it), as relays that
# insert it check it to find the client's port.
. "${top_srcdir:-.}/tests/functions.sh"
requires_root
mktmpdir
lanroot_env

dhcp_relay_net
$LR init >/dev/null
bootd_conf_relay
bootd_start "$srv"

# circuit id (1) "port 1/2", remote id (2) a MAC
info=01087075727420312f3202060800270000ff
pxe_client "$rly" --mac 52:54:00:00:00:07 --plain --giaddr 198.51.100.1 --server 192.0.2.1 \
	--dora --agent-info "$info" --wait 3
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["replies"][0]["type"] == "OFFER"'
json_true 'd["replies"][0]["options"].get("82") == "'$info'" and d["ack"]["options"].get("82") == "'$info'"'
bootd_stop
