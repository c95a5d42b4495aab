#!/bin/sh
# Proxy mode beside the site's DHCP server (busybox udhcpd on the same
# bridge): a PXE-shaped client (tests/pxe-client.py) gets an address offer
# from udhcpd and a proxy offer from bootd (no address, vendor class echoed,
# next server, option 97 echoed) with the right boot file for its
# architecture: BIOS 0, x64 UEFI 7 and 9, ARM64 UEFI 11, HTTP Boot 16
# (http:// URL, vendor class HTTPClient), for a group with loader ipxe
# (the default) and one with loader pxelinux; an iPXE client gets the
# boot.ipxe URL; an unregistered client and a plain client (udhcpc) hear
# nothing from bootd, and udhcpc still gets its address from udhcpd; a
# REQUEST to port 4011 from the client's address is ACKed with the file.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpd --help
requires_root
mktmpdir
lanroot_env

# the segment: a bridge in the site's namespace (udhcpd on 192.0.2.2)
netns_new site; site=$netns
netns_new srv; srv=$netns
netns_new cli; cli=$netns
netns_bridge "$site"
ip -n "$site" addr add 192.0.2.2/24 dev br0
bridge_veth "$site" psrv "$srv" eth0 192.0.2.1/24
bridge_veth "$site" pcli "$cli" eth0 -
ip -n "$cli" link set eth0 address 52:54:00:00:00:01
udhcpd_start "$site" br0 "option router 192.0.2.2"

boot_registry	# client pc01 (group room) has the client's MAC
$LR group add classic --image lab --mode volatile --loader pxelinux >/dev/null
$LR client add 52:54:00:00:00:02 --name pc02 --group classic >/dev/null

bootd_conf server.address= http.listen= lanroot.log_level=debug \
	dhcp.mode=proxy dhcp.interface=eth0
bootd_start "$srv"
url="http://192.0.2.1:$HTTP_PORT"

# a plain client first: udhcpd's address, nothing from bootd
# (udhcpd checks the address with ARP before it offers: -T 3)
udhcpc_run "$cli" -T 3 ||
	{ cat "$tmp/udhcpc.out" "$tmp/udhcpd.log" >&2; fail "udhcpc got no lease from udhcpd"; }
grep -q '^serverid=192.0.2.2$' "$tmp/udhcpc.env" || { cat "$tmp/udhcpc.env"; fail "udhcpc's lease is not udhcpd's"; }
if grep -q '^boot_file=.' "$tmp/udhcpc.env"; then cat "$tmp/udhcpc.env"; fail "udhcpc got a boot file"; fi
if grep -q 'event=dhcp.offer' "$tmp/bootd.log"; then
	cat "$tmp/bootd.log"; fail "bootd offered something to a plain client"
fi
grep -q 'ignored a message from 52:54:00:00:00:01.*not a PXE' "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "no debug line on the plain client"; }

# ask MAC ARCH [ARGS…] — a PXE client's DISCOVER; replies in $tmp/json
ask() {
	mac=$1 arch=$2; shift 2
	pxe_client "$cli" --mac "$mac" --arch "$arch" --wait 1 "$@"
}

# proxy_offer FILE VENDOR — $tmp/json holds one proxy offer from bootd with
# boot file FILE and vendor class VENDOR…
proxy_offer() {
	"$PYTHON" - "$tmp/json" "$1" "$2" <<'EOP' || fail "arch $arch (${mac}): see above"
import json, sys
d = json.load(open(sys.argv[1]))
want, vc = sys.argv[2], sys.argv[3]
mine = [r for r in d["replies"] if r["src"] == "192.0.2.1"]
def bad(why):
    print(json.dumps(d, indent=1)); sys.exit("proxy offer: " + why)
if len(mine) != 1: bad("%d replies from bootd, want 1" % len(mine))
r = mine[0]
if r["type"] != "OFFER": bad("type " + r["type"])
if r["yiaddr"] != "0.0.0.0": bad("an address in a proxy offer")
if r["boot_file"] != want: bad("boot file %r, want %r" % (r["boot_file"], want))
if not r.get("vendor_class", "").startswith(vc): bad("vendor class %r" % r.get("vendor_class"))
if r.get("server_id") != "192.0.2.1": bad("server id")
if r["options"].get("97") != "00123456789abcdef0123456789abcdef0": bad("option 97 not echoed")
if not want.startswith("http://") and r["siaddr"] != "192.0.2.1": bad("siaddr " + r["siaddr"])
if vc == "PXEClient" and not want.startswith("http://") and "43" not in r["options"]:
    bad("no option 43 for a PXE client")
EOP
}

# arch 0, with udhcpd's offer beside (udhcpd checks the address with ARP first: wait)
ask 52:54:00:00:00:01 0 --wait 3
proxy_offer undionly.kpxe PXEClient
json_true 'any(r["src"] == "192.0.2.2" and r["yiaddr"].startswith("192.0.2.") for r in d["replies"])'
# the rest: stop at bootd's answer (udhcpd's comes 2 s later)
ask 52:54:00:00:00:01 7 --stop-from 192.0.2.1;  proxy_offer snponly.efi PXEClient
ask 52:54:00:00:00:01 9 --stop-from 192.0.2.1;  proxy_offer snponly.efi PXEClient
ask 52:54:00:00:00:01 11 --stop-from 192.0.2.1; proxy_offer arm64/snponly.efi PXEClient
ask 52:54:00:00:00:01 16 --stop-from 192.0.2.1; proxy_offer "$url/snponly.efi" HTTPClient
ask 52:54:00:00:00:01 0 --ipxe --stop-from 192.0.2.1; proxy_offer "$url/boot.ipxe?mac=52-54-00-00-00-01" PXEClient
ask 52:54:00:00:00:02 0 --stop-from 192.0.2.1;  proxy_offer pxelinux.0 PXEClient
ask 52:54:00:00:00:02 7 --stop-from 192.0.2.1;  proxy_offer efi64/syslinux.efi PXEClient
ask 52:54:00:00:00:02 9 --stop-from 192.0.2.1;  proxy_offer efi64/syslinux.efi PXEClient

# unregistered (unknown_clients = refuse): silence from bootd
ask 52:54:00:00:00:99 7
json_true 'not any(r["src"] == "192.0.2.1" for r in d["replies"])'

# boot server discovery on port 4011 from the address udhcpd would give
ip -n "$cli" addr add 192.0.2.77/24 dev eth0
ask 52:54:00:00:00:01 7 --request-4011 --ciaddr 192.0.2.77 --stop-from 192.0.2.1
json_true 'd["ack"] is not None and d["ack"]["type"] == "ACK" and d["ack"]["src"] == "192.0.2.1" and d["ack"]["sport"] == 4011'
json_true 'd["ack"]["boot_file"] == "snponly.efi" and d["ack"]["vendor_class"].startswith("PXEClient")'
# the boot item asked for (type 0x8000, layer 0) is echoed in option 43
json_true '"4704800000" in d["ack"]["options"].get("43", "")'
grep -q 'event=dhcp.ack.*mac=52:54:00:00:00:01' "$tmp/bootd.log" || { cat "$tmp/bootd.log"; fail "no dhcp.ack event"; }
bootd_stop
