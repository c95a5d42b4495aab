#!/bin/sh
# What lanroot-bootd renders, lanroot-blockd serves: the iPXE script for a
# registered client (boot.ipxe?mac=) names the version's kernel and initrd
# by URLs that download the imported files, and its lanroot.root= URL opens
# the client's export on blockd (nbdinfo); the pxelinux config over TFTP
# carries the same kind of root URL.  An unknown machine is refused under
# [boot] unknown_clients = refuse, and with unknown_clients = default it
# boots default_group: its rendered root URL is accepted by blockd too.
. "${top_srcdir:-.}/tests/functions.sh"
requires nbdinfo --version
requires curl --version
requires tftp -V
mktmpdir
lanroot_env
blockd_conf
nbd_setup persistent
head -c 300000 /dev/urandom >"$tmp/vmlinuz"
head -c 700000 /dev/urandom >"$tmp/initrd.img"
$LR image import kiosk "$tmp/base.img" --format raw --kernel "$tmp/vmlinuz" \
	--initrd "$tmp/initrd.img" >/dev/null 2>&1 || fail "import kiosk failed"
$LR group set room --image kiosk >/dev/null || fail "group set failed"
$LR group add walkin --image kiosk --mode volatile >/dev/null
bootd_conf
blockd_start
bootd_start

# --- a registered client over HTTP (iPXE) ------------------------------------
curl -sf "$http_url/boot.ipxe?mac=52-54-00-00-00-01" >"$tmp/boot.ipxe" ||
	{ cat "$tmp/bootd.log"; fail "boot.ipxe for pc01 failed"; }
head -1 "$tmp/boot.ipxe" | grep -q '^#!ipxe' || { cat "$tmp/boot.ipxe"; fail "not an iPXE script"; }
kurl=$(sed -n 's/^kernel \([^ ]*\).*/\1/p' "$tmp/boot.ipxe")
iurl=$(sed -n 's/^initrd \(--name [^ ]* \)\{0,1\}\([^ ]*\).*/\2/p' "$tmp/boot.ipxe")
[ -n "$kurl" ] && [ -n "$iurl" ] || { cat "$tmp/boot.ipxe"; fail "no kernel/initrd lines"; }
curl -sf -o "$tmp/k" "$kurl" || fail "kernel URL $kurl failed"
curl -sf -o "$tmp/i" "$iurl" || fail "initrd URL $iurl failed"
cmp -s "$tmp/k" "$tmp/vmlinuz" || fail "the kernel served differs from the one imported"
cmp -s "$tmp/i" "$tmp/initrd.img" || fail "the initrd served differs from the one imported"
root=$(grep -o 'lanroot\.root=[^ ]*' "$tmp/boot.ipxe" | head -1 | cut -d= -f2-)
case $root in
nbd://127.0.0.1:$nbd_port/52-54-00-00-00-01/kiosk/1/persistent/*) ;;
*) cat "$tmp/boot.ipxe"; fail "unexpected root URL '$root'" ;;
esac
grep -q 'lanroot\.overlay=server' "$tmp/boot.ipxe" || fail "persistent client without lanroot.overlay=server"
nbdinfo --json "$root" >"$tmp/json" 2>"$tmp/nbdinfo.err" ||
	{ cat "$tmp/nbdinfo.err" "$tmp/blockd.log"; fail "blockd refused the rendered root URL"; }
json_true 'd["exports"][0]["is_read_only"] == False'

# --- the same client's pxelinux config over TFTP -------------------------------
tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get pxelinux.cfg/01-52-54-00-00-00-01 "$tmp/pxe.cfg" ||
	{ cat "$tmp/bootd.log"; fail "TFTP pxelinux.cfg/01-<mac> failed"; }
proot=$(grep -o 'lanroot\.root=[^ ]*' "$tmp/pxe.cfg" | head -1 | cut -d= -f2-)
[ -n "$proot" ] || { cat "$tmp/pxe.cfg"; fail "pxelinux config without lanroot.root="; }
nbdinfo "$proot" >/dev/null 2>&1 || fail "blockd refused the pxelinux config's root URL"

# --- an unknown machine ---------------------------------------------------------
code=$(curl -s -o "$tmp/unknown.out" -w '%{http_code}' "$http_url/boot.ipxe?mac=52-54-00-00-00-99")
[ "$code" = 404 ] || { cat "$tmp/unknown.out"; fail "unknown machine got HTTP $code under refuse, not 404"; }
conf_set boot unknown_clients default
conf_set boot default_group walkin
bootd_call reload
kill -HUP "$blockd_pid"
sleep 0.5
curl -sf "$http_url/boot.ipxe?mac=52-54-00-00-00-99" >"$tmp/walkin.ipxe" ||
	{ cat "$tmp/bootd.log"; fail "unknown machine not served under unknown_clients = default"; }
wroot=$(grep -o 'lanroot\.root=[^ ]*' "$tmp/walkin.ipxe" | head -1 | cut -d= -f2-)
case $wroot in
*/52-54-00-00-00-99/kiosk/1/volatile/*) ;;
*) cat "$tmp/walkin.ipxe"; fail "unexpected root URL for the walk-in machine: '$wroot'" ;;
esac
grep -q 'lanroot\.overlay=tmpfs' "$tmp/walkin.ipxe" || fail "volatile group without lanroot.overlay=tmpfs"
nbdinfo --json "$wroot" >"$tmp/json" 2>"$tmp/nbdinfo.err" ||
	{ cat "$tmp/nbdinfo.err"; tail "$tmp/blockd.log"; fail "blockd refused the walk-in machine's root URL"; }
json_true 'd["exports"][0]["is_read_only"] == True'
bootd_stop
