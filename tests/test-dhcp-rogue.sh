#!/bin/sh
# Another DHCP server on bootd's segment (busybox udhcpd, in its own
# namespace on the same bridge) is reported: bootd's probe at start makes
# it answer, and bootd logs the event dhcp.rogue_server with its IP and MAC
# (known=false) and lists it in the control call "status".  Then, with
# [dhcp] allowed_servers naming it and probing off (rogue_probe_interval =
# 0, listen only), a real client's DISCOVER answered by udhcpd is enough:
# the server is reported as known.
. "${top_srcdir:-.}/tests/functions.sh"
requires busybox udhcpd --help
requires_root
mktmpdir
lanroot_env

netns_new sw; sw=$netns
netns_new srv; srv=$netns
netns_new other; other=$netns
netns_new cli; cli=$netns
netns_bridge "$sw"
bridge_veth "$sw" psrv "$srv" eth0 192.0.2.1/24
bridge_veth "$sw" poth "$other" eth0 192.0.2.2/24
bridge_veth "$sw" pcli "$cli" eth0 -
ip -n "$other" link set eth0 address 02:00:00:00:0a:02
udhcpd_start "$other" eth0

$LR init >/dev/null
bootd_conf_full
bootd_start "$srv"

reported() {
	grep -q "event=dhcp.rogue_server.*$1" "$tmp/bootd.log"
}
wait_until "the rogue server report" reported "known=false"
grep "event=dhcp.rogue_server" "$tmp/bootd.log" >"$tmp/ev"
grep -q "server_ip=192.0.2.2" "$tmp/ev" || { cat "$tmp/ev"; fail "the event does not name 192.0.2.2"; }
grep -q "server_mac=02:00:00:00:0a:02" "$tmp/ev" || { cat "$tmp/ev"; fail "the event does not name its MAC"; }
grep -q "interface=eth0" "$tmp/ev" || { cat "$tmp/ev"; fail "the event does not name the interface"; }
[ "$(wc -l <"$tmp/ev")" -eq 1 ] || { cat "$tmp/ev"; fail "reported more than once"; }

bootd_call status
"$PYTHON" - "$tmp/json" <<'EOP' || fail "status lacks the rogue server"
import json, sys
d = json.load(open(sys.argv[1]))
def find(o):
    if isinstance(o, dict):
        if "rogue_servers" in o: return o["rogue_servers"]
        for v in o.values():
            r = find(v)
            if r is not None: return r
    return None
rs = find(d)
ok = rs is not None and any(s.get("ip", s.get("server_ip")) == "192.0.2.2" and
                            s.get("mac", s.get("server_mac")) == "02:00:00:00:0a:02" and
                            s.get("known") is False and s.get("packets", 1) >= 1 for s in rs)
if not ok:
    print(json.dumps(d, indent=1)); sys.exit(1)
EOP
bootd_stop

# allowed and listen only: a client's DISCOVER brings udhcpd's answer
: >"$tmp/bootd.log"
conf_set dhcp allowed_servers 192.0.2.2
conf_set dhcp rogue_probe_interval 0
bootd_start "$srv"
sleep 1
if reported ""; then cat "$tmp/bootd.log"; fail "reported without a probe or a client"; fi
pxe_client "$cli" --plain --wait 3
json_true 'any(r["src"] == "192.0.2.2" for r in d["replies"])'
wait_until "the known server report" reported "known=true"
grep "event=dhcp.rogue_server" "$tmp/bootd.log" | grep -q "server_ip=192.0.2.2" ||
	{ cat "$tmp/bootd.log"; fail "the event does not name 192.0.2.2"; }
bootd_stop
