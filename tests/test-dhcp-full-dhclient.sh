#!/bin/sh
# Full mode with ISC dhclient: in a client network namespace it gets an
# address from the pool, the router, DNS server and lease time, the next
# server and the boot file of a registered client (new_next_server,
# new_filename in its script), and writes them to its lease file.  Here
# [server] address is "": what clients are told is the address of the
# interface the request came in on.
. "${top_srcdir:-.}/tests/functions.sh"
requires dhclient --version
requires_root
mktmpdir
lanroot_env

dhcp_pair - 52:54:00:00:00:01
boot_registry	# client pc01 has the client's MAC
# (the pool is bootd_conf_full's 192.0.2.100-192.0.2.119)
bootd_conf_full server.address= dhcp.router=192.0.2.1 dhcp.dns=192.0.2.53 \
	dhcp.domain=lab.example dhcp.lease_time=600
bootd_start "$srv"

cat >"$tmp/dhclient.conf" <<EOC
timeout 10;
retry 1;
send host-name "pc01";
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;
EOC
cat >"$tmp/dhclient.sh" <<EOS
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBOOT) env | grep -E '^new_' >"$tmp/dhclient.env" ;;
esac
exit 0
EOS
chmod +x "$tmp/dhclient.sh"

rc=0
ip netns exec "$cli" timeout 20 dhclient -4 -1 -v -cf "$tmp/dhclient.conf" -lf "$tmp/dhclient.leases" \
	-pf "$tmp/dhclient.pid" -sf "$tmp/dhclient.sh" eth0 >"$tmp/dhclient.out" 2>&1 || rc=$?
# after its lease dhclient goes on in the background: stop it
if [ -s "$tmp/dhclient.pid" ]; then
	dpid=$(cat "$tmp/dhclient.pid")
	cleanup_fn "kill $dpid 2>/dev/null"
fi
[ $rc -eq 0 ] || { cat "$tmp/dhclient.out" "$tmp/bootd.log" >&2; fail "dhclient exited $rc"; }
[ -s "$tmp/dhclient.env" ] || { cat "$tmp/dhclient.out" >&2; fail "dhclient did not run its script"; }

val() {
	sed -n "s/^$1=//p" "$tmp/dhclient.env" | tr -d "'"
}
show() {
	cat "$tmp/dhclient.env" "$tmp/dhclient.leases"
	fail "$*"
}
ip=$(val new_ip_address)
case $ip in
192.0.2.10[0-9] | 192.0.2.11[0-9]) ;;
*) show "address '$ip' is not in the range" ;;
esac
[ "$(val new_next_server)" = 192.0.2.1 ] || show "next server is not 192.0.2.1"
[ "$(val new_filename)" = undionly.kpxe ] || show "boot file is not undionly.kpxe"
[ "$(val new_routers)" = 192.0.2.1 ] || show "routers"
[ "$(val new_domain_name_servers)" = 192.0.2.53 ] || show "dns"
[ "$(val new_domain_name)" = lab.example ] || show "domain"
[ "$(val new_subnet_mask)" = 255.255.255.0 ] || show "subnet mask"
[ "$(val new_dhcp_lease_time)" = 600 ] || show "lease time"
[ "$(val new_dhcp_server_identifier)" = 192.0.2.1 ] || show "server id"
grep -q "fixed-address $ip;" "$tmp/dhclient.leases" || show "lease file lacks the address"
grep -q 'filename "undionly.kpxe";' "$tmp/dhclient.leases" || show "lease file lacks the boot file"

bootd_lease_bound 52:54:00:00:00:01 "$ip" pc01
bootd_stop
