#!/bin/sh
# Full mode behind a relay agent: a relayed DISCOVER and REQUEST (giaddr
# 198.51.100.1, sent unicast from the relay's address in that second subnet
# to the server, as a relay does) get an address from the pool of the
# relay's subnet with that subnet's mask and router; the replies go to the
# relay (giaddr:67) with giaddr echoed.  A request straight from the local
# segment still gets an address of the local pool.
. "${top_srcdir:-.}/tests/functions.sh"
requires_root
mktmpdir
lanroot_env

dhcp_relay_net
$LR init >/dev/null
bootd_conf_relay dhcp.router=192.0.2.1,198.51.100.1 dhcp.lease_time=600
bootd_start "$srv"

pxe_client "$rly" --mac 52:54:00:00:00:07 --arch 7 --giaddr 198.51.100.1 --server 192.0.2.1 \
	--dora --wait 3
"$PYTHON" - "$tmp/json" <<'EOP' || { cat "$tmp/bootd.log"; fail "relayed exchange: see above"; }
import ipaddress, json, sys
d = json.load(open(sys.argv[1]))
def bad(why):
    print(json.dumps(d, indent=1)); sys.exit(why)
offers = [r for r in d["replies"] if r["type"] == "OFFER"]
if len(offers) != 1: bad("%d offers" % len(offers))
for r in (offers[0], d["ack"]):
    if r is None: bad("no ACK")
    if r["src"] != "192.0.2.1" or r["sport"] != 67: bad("reply from %s:%d" % (r["src"], r["sport"]))
    if r["giaddr"] != "198.51.100.1": bad("giaddr not echoed")
    ip = ipaddress.ip_address(r["yiaddr"])
    if not ipaddress.ip_address("198.51.100.100") <= ip <= ipaddress.ip_address("198.51.100.119"):
        bad("address %s is not in the relay's pool" % ip)
    if r.get("router") != "198.51.100.1": bad("router %s" % r.get("router"))
    if r.get("subnet_mask") != "255.255.255.0": bad("mask")
    if r.get("server_id") != "192.0.2.1": bad("server id")
if d["ack"]["type"] != "ACK": bad("not an ACK")
if d["ack"]["yiaddr"] != offers[0]["yiaddr"]: bad("ACK for another address")
EOP
ip=$(json_get '["ack"]["yiaddr"]' <"$tmp/json")
bootd_lease_bound 52:54:00:00:00:07 "$ip"

# the local segment still gets the local pool
pxe_client "$rly" --mac 52:54:00:00:00:08 --plain --dora --wait 3
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"].startswith("192.0.2.1") and d["ack"]["router"] == "192.0.2.1"'
bootd_stop
