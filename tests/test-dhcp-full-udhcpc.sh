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

netns_new srv; srv=$netns
netns_new cli; cli=$netns
netns_veth "$srv" eth0 192.0.2.1/24 "$cli" eth0 -
ip -n "$cli" link set eth0 address 52:54:00:00:00:01

# a registry: image lab, group room, client pc01 = the client's MAC
$LR init >/dev/null
make_raw "$tmp/base.img" 1048576
$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>"$tmp/import.err" ||
	{ cat "$tmp/import.err" >&2; fail "image import failed"; }
$LR group add room --image lab --mode volatile >/dev/null
$LR client add 52:54:00:00:00:01 --name pc01 --group room >/dev/null

bootd_conf server.address=192.0.2.1 lanroot.log_level=debug \
	dhcp.mode=full dhcp.interface=eth0 dhcp.subnet=192.0.2.0/24 \
	dhcp.range=192.0.2.100-192.0.2.119 dhcp.router=192.0.2.1 dhcp.dns=192.0.2.53 \
	dhcp.lease_time=600 dhcp.router_advertisement=off
bootd_start "$srv"

cat >"$tmp/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] || exit 0
env | grep -E '^(ip|siaddr|boot_file|router|dns|lease|subnet|serverid|sname)=' >"$tmp/udhcpc.env"
EOS
chmod +x "$tmp/udhcpc.sh"

# val NAME — a variable udhcpc passed to its script
val() {
	sed -n "s/^$1=//p" "$tmp/udhcpc.env"
}

# run_udhcpc [ARGS…] — one lease, at most 3 DISCOVERs a second apart
run_udhcpc() {
	rm -f "$tmp/udhcpc.env"
	ip netns exec "$cli" timeout 15 busybox udhcpc -f -q -n -t 3 -T 1 -i eth0 \
		-s "$tmp/udhcpc.sh" -x hostname:pc01 "$@" >"$tmp/udhcpc.out" 2>&1 ||
		{ cat "$tmp/udhcpc.out" "$tmp/bootd.log" >&2; fail "udhcpc $* got no lease"; }
	[ -s "$tmp/udhcpc.env" ] || { cat "$tmp/udhcpc.out" >&2; fail "udhcpc $* did not run its script"; }
}

check_lease() {
	ip=$(val ip)
	case $ip in
	192.0.2.10[0-9] | 192.0.2.11[0-9]) ;;
	*) cat "$tmp/udhcpc.env"; fail "address '$ip' is not in the range" ;;
	esac
	[ "$(val siaddr)" = 192.0.2.1 ] || { cat "$tmp/udhcpc.env"; fail "siaddr is not 192.0.2.1"; }
	[ "$(val boot_file)" = undionly.kpxe ] || { cat "$tmp/udhcpc.env"; fail "boot file is not undionly.kpxe"; }
	[ "$(val router)" = 192.0.2.1 ] || { cat "$tmp/udhcpc.env"; fail "router"; }
	[ "$(val dns)" = 192.0.2.53 ] || { cat "$tmp/udhcpc.env"; fail "dns"; }
	[ "$(val subnet)" = 255.255.255.0 ] || { cat "$tmp/udhcpc.env"; fail "subnet mask"; }
	[ "$(val lease)" = 600 ] || { cat "$tmp/udhcpc.env"; fail "lease time"; }
	[ "$(val serverid)" = 192.0.2.1 ] || { cat "$tmp/udhcpc.env"; fail "server id"; }
}

run_udhcpc
check_lease
first=$ip
grep -q "event=dhcp.ack.*mac=52:54:00:00:00:01.*ip=$ip" "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "no dhcp.ack event for pc01"; }
grep -q "event=dhcp.offer.*boot_file=undionly.kpxe" "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "the dhcp.offer event does not name the boot file"; }

bootd_ctl_cmd '{"cmd":"leases"}' >"$tmp/json" || { cat "$tmp/json"; fail "leases call failed"; }
json_true 'any(l["mac"] == "52:54:00:00:00:01" and l["ip"] == "'"$ip"'" and l["state"] == "bound" and l["hostname"] == "pc01" for l in d["leases"])'

# the same again by broadcast (-B): the same address, the same answers
run_udhcpc -B
check_lease
[ "$ip" = "$first" ] || fail "the second lease ($ip) is not the first one ($first)"

# an unregistered client: an address, no boot file
ip netns exec "$cli" "$PYTHON" "$top_srcdir/tests/pxe-client.py" -i eth0 \
	--mac 52:54:00:00:00:99 --plain --dora --wait 3 >"$tmp/json" ||
	fail "pxe-client.py failed"
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["yiaddr"].startswith("192.0.2.1") and d["ack"]["yiaddr"] != "'"$first"'"'
json_true 'd["ack"]["boot_file"] == "" and d["replies"][0]["boot_file"] == ""'

bootd_stop
