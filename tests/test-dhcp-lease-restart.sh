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

netns_new srv; srv=$netns
netns_new cli; cli=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 -
ip -n "$cli" link set eth0 address 52:54:00:00:00:01

$LR init >/dev/null
bootd_conf server.address=192.0.2.1 lanroot.log_level=debug \
	dhcp.mode=full dhcp.interface=eth0 dhcp.subnet=192.0.2.0/24 \
	dhcp.range=192.0.2.100-192.0.2.109 dhcp.router=192.0.2.1 \
	dhcp.lease_time=600 dhcp.router_advertisement=off
bootd_start "$srv"

cat >"$tmp/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" >"$tmp/ip"
exit 0
EOS
chmod +x "$tmp/udhcpc.sh"

# lease — udhcpc's address for the client namespace in $ip
lease() {
	rm -f "$tmp/ip"
	ip netns exec "$cli" timeout 15 busybox udhcpc -f -q -n -t 3 -T 1 -i eth0 \
		-s "$tmp/udhcpc.sh" >"$tmp/udhcpc.out" 2>&1 ||
		{ cat "$tmp/udhcpc.out" "$tmp/bootd.log" >&2; fail "udhcpc got no lease"; }
	ip=$(cat "$tmp/ip")
}

# leases_has MAC IP — the leases call lists IP bound to MAC
leases_has() {
	bootd_ctl_cmd '{"cmd":"leases"}' >"$tmp/json" || { cat "$tmp/json"; fail "leases call failed"; }
	json_true 'any(l["mac"] == "'"$1"'" and l["ip"] == "'"$2"'" and l["state"] == "bound" for l in d["leases"])'
}

lease
first=$ip
leases_has 52:54:00:00:00:01 "$first"
[ -s "$state/bootd/leases" ] || fail "no leases file in $state/bootd"

bootd_stop
grep -q "^$first 52:54:00:00:00:01 bound" "$state/bootd/leases" ||
	{ cat "$state/bootd/leases"; fail "the leases file lacks $first"; }
bootd_start "$srv"
leases_has 52:54:00:00:00:01 "$first"

# another client asks for the address (DISCOVER with option 50, then REQUEST)
ip netns exec "$cli" "$PYTHON" "$top_srcdir/tests/pxe-client.py" -i eth0 \
	--mac 52:54:00:00:00:02 --plain --dora --requested "$first" --wait 3 >"$tmp/json" ||
	fail "pxe-client.py failed"
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK"'
json_true 'd["ack"]["yiaddr"] != "'"$first"'" and d["replies"][0]["yiaddr"] != "'"$first"'"'

lease
[ "$ip" = "$first" ] || fail "after the restart the client got $ip, not $first"
bootd_stop
