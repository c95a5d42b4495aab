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

netns_new srv; srv=$netns
netns_new cli; cli=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 -
ip -n "$cli" link set eth0 address 52:54:00:00:00:01

$LR init >/dev/null
make_raw "$tmp/base.img" 1048576
$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>"$tmp/import.err" ||
	{ cat "$tmp/import.err" >&2; fail "image import failed"; }
$LR group add room --image lab --mode volatile >/dev/null
$LR client add 52:54:00:00:00:01 --name pc01 --group room --ip 192.0.2.150 >/dev/null
$LR client add 52:54:00:00:00:02 --name pc02 --group room --ip 192.0.2.101 >/dev/null

bootd_conf server.address=192.0.2.1 lanroot.log_level=debug \
	dhcp.mode=full dhcp.interface=eth0 dhcp.subnet=192.0.2.0/24 \
	dhcp.range=192.0.2.100-192.0.2.103 dhcp.lease_time=600 dhcp.router_advertisement=off
bootd_start "$srv"

cat >"$tmp/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" >"$tmp/ip"
exit 0
EOS
chmod +x "$tmp/udhcpc.sh"
lease() {
	rm -f "$tmp/ip"
	ip netns exec "$cli" timeout 15 busybox udhcpc -f -q -n -t 3 -T 1 -i eth0 \
		-s "$tmp/udhcpc.sh" >"$tmp/udhcpc.out" 2>&1 ||
		{ cat "$tmp/udhcpc.out" "$tmp/bootd.log" >&2; fail "udhcpc got no lease"; }
	ip=$(cat "$tmp/ip")
}
pxe() {
	ip netns exec "$cli" "$PYTHON" "$top_srcdir/tests/pxe-client.py" -i eth0 "$@" >"$tmp/json" ||
		fail "pxe-client.py $* failed"
}

lease
[ "$ip" = 192.0.2.150 ] || fail "pc01 got $ip at start, not its reservation 192.0.2.150"

# three unregistered clients take the rest of the range; none gets .101
for m in 11 12 13; do
	pxe --mac 52:54:00:00:01:$m --plain --dora --requested 192.0.2.101 --wait 2
	json_true 'all(r["yiaddr"] != "192.0.2.101" for r in d["replies"]) and (d["ack"] is None or d["ack"]["yiaddr"] != "192.0.2.101")'
done
pxe --mac 52:54:00:00:09:09 --plain --init-reboot 192.0.2.101 --wait 2
json_true 'd["ack"] is not None and d["ack"]["type"] == "NAK"'
pxe --mac 52:54:00:00:00:02 --plain --dora --wait 2
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"] == "192.0.2.101"'

bootd_stop
bootd_start "$srv"
bootd_ctl_cmd '{"cmd":"leases"}' >"$tmp/json" || { cat "$tmp/json"; fail "leases call failed"; }
json_true 'any(l["mac"] == "52:54:00:00:00:01" and l["ip"] == "192.0.2.150" and l["state"] == "bound" for l in d["leases"])'
lease
[ "$ip" = 192.0.2.150 ] || fail "pc01 got $ip after the restart"
bootd_stop
