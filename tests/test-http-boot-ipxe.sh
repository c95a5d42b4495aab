#!/bin/sh
# boot.ipxe over HTTP, rendered per client: ?mac= of a registered client
# gives an iPXE script (text/plain, not cacheable) whose kernel and initrd
# URLs point at this server and serve the image version's files; the MAC
# may be written in any notation; an unknown MAC (unknown_clients = refuse)
# gets 404.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
requires mkfs.ext4 -V
bootd_env boot.unknown_clients=refuse
make_ext4 "$tmp/root.img"
$LR image import lab "$tmp/root.img" >/dev/null 2>&1 || fail "image import failed"
$LR group add room --image lab --mode volatile >/dev/null
$LR client add 52:54:00:00:00:01 --name pc01 --group room >/dev/null
bootd_start

for mac in 52-54-00-00-00-01 52:54:00:00:00:01 52%3A54%3A00%3A00%3A00%3A01; do
	curl -sS -f -D "$tmp/hdr.raw" -o "$tmp/script" "$http_url/boot.ipxe?mac=$mac" ||
		fail "boot.ipxe?mac=$mac failed"
	tr -d '\r' <"$tmp/hdr.raw" >"$tmp/hdr"
	head -n 1 "$tmp/script" | grep -q '^#!ipxe' || { cat "$tmp/script"; fail "not an iPXE script"; }
	grep -qi '^content-type: text/plain' "$tmp/hdr" || { cat "$tmp/hdr"; fail "not text/plain"; }
	grep -qix 'cache-control: no-store' "$tmp/hdr" || { cat "$tmp/hdr"; fail "cacheable"; }
	grep -q "^kernel .*$http_url/images/lab/1/vmlinuz" "$tmp/script" ||
		{ cat "$tmp/script"; fail "no kernel URL for lab@1"; }
	grep -q "$http_url/images/lab/1/initrd.img" "$tmp/script" ||
		{ cat "$tmp/script"; fail "no initrd URL for lab@1"; }
	grep -q 'BOOTIF=01-52-54-00-00-00-01' "$tmp/script" ||
		{ cat "$tmp/script"; fail "no BOOTIF for pc01"; }
	grep -q 'lanroot.root=' "$tmp/script" || { cat "$tmp/script"; fail "no lanroot.root="; }
done

# The URLs in the script serve the version's kernel and initrd.
kernel=$(grep -o "$http_url/images/lab/1/vmlinuz" "$tmp/script" | head -n 1)
initrd=$(grep -o "$http_url/images/lab/1/initrd.img" "$tmp/script" | head -n 1)
curl -sS -f -o "$tmp/k" "$kernel" || fail "GET $kernel failed"
curl -sS -f -o "$tmp/i" "$initrd" || fail "GET $initrd failed"
cmp -s "$tmp/k" "$state/images/lab/1/vmlinuz" || fail "the kernel URL serves other bytes"
cmp -s "$tmp/i" "$state/images/lab/1/initrd.img" || fail "the initrd URL serves other bytes"

# An unknown machine is refused.
code=$(curl -sS -o /dev/null -w '%{http_code}' "$http_url/boot.ipxe?mac=52-54-00-00-00-99")
[ "$code" = 404 ] || fail "boot.ipxe for an unknown MAC: $code, expected 404"
bootd_stop
