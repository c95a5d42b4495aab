#!/bin/sh
# DHCPRELEASE and DHCPDECLINE in full mode: busybox udhcpc -R gives its
# address back when it quits, and the control call "leases" no longer lists
# it as bound; a client that DECLINEs its address (someone else uses it)
# makes bootd keep the address out of use: the leases call says "declined"
# and the next clients, even when they ask for it, get other addresses.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpc --help
requires_root
mktmpdir
lanroot_env

dhcp_pair - 52:54:00:00:00:01
$LR init >/dev/null
bootd_conf_full dhcp.range=192.0.2.100-192.0.2.109 dhcp.lease_time=600
bootd_start "$srv"

# state_of IP — the state the leases call gives IP ("none" when unlisted)
state_of() {
	bootd_call leases
	json_get '["leases"]' <"$tmp/json" | "$PYTHON" -c '
import json, sys
print(next((l["state"] for l in json.load(sys.stdin) if l["ip"] == sys.argv[1]), "none"))' "$1"
}

# release: udhcpc -R binds (its script configures the address, so the
# RELEASE can come from it), and releases when it gets SIGTERM
udhcpc_script configure
ip netns exec "$cli" busybox udhcpc -f -n -R -t 3 -T 1 -i eth0 \
	-s "$tmp/udhcpc.sh" >"$tmp/udhcpc.out" 2>&1 &
udhcpc_pid=$!
cleanup_fn "kill $udhcpc_pid 2>/dev/null"
wait_until "udhcpc's lease" test -s "$tmp/udhcpc.env"
a=$(udhcpc_val ip)
[ "$(state_of "$a")" = bound ] || { cat "$tmp/json"; fail "$a is not bound"; }
kill -TERM $udhcpc_pid
wait $udhcpc_pid || true
grep -q "release" "$tmp/udhcpc.out" || { cat "$tmp/udhcpc.out"; fail "udhcpc did not release"; }
released() {
	grep -q "event=dhcp.release.*mac=52:54:00:00:00:01" "$tmp/bootd.log"
}
i=0
until released; do
	i=$((i + 1))
	[ $i -lt 30 ] || { cat "$tmp/udhcpc.out" "$tmp/bootd.log"; fail "no dhcp.release event"; }
	sleep 0.1
done
st=$(state_of "$a")
[ "$st" != bound ] || { cat "$tmp/json"; fail "$a is still bound after DHCPRELEASE"; }

# decline: client 2 gets b, declines it
pxe_client "$cli" --mac 52:54:00:00:00:02 --plain --dora --wait 3
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK"'
b=$(json_get '["ack"]["yiaddr"]' <"$tmp/json")
[ "$(state_of "$b")" = bound ] || { cat "$tmp/json"; fail "$b is not bound"; }
pxe_client "$cli" --mac 52:54:00:00:00:02 --plain --decline "$b" --server 192.0.2.1
wait_until "the decline" grep -q "event=dhcp.decline.*mac=52:54:00:00:00:02" "$tmp/bootd.log"
is_state() {
	[ "$(state_of "$1")" = "$2" ]
}
wait_until "the quarantine" is_state "$b" declined

for m in 52:54:00:00:00:02 52:54:00:00:00:03; do
	pxe_client "$cli" --mac $m --plain --dora --requested "$b" --wait 3
	json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"] != "'"$b"'"'
	json_true 'all(r["yiaddr"] != "'"$b"'" for r in d["replies"])'
done
bootd_stop
