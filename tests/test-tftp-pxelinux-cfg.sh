#!/bin/sh
# pxelinux.cfg/01-<mac> fetched over TFTP for a registered client is the
# config rendered for it (kernel and initrd of its image version, BOOTIF and
# lanroot.root on the append line); an unregistered MAC is ERROR 1 so
# pxelinux moves on to its next name.
. "${top_srcdir:-.}/tests/functions.sh"
requires tftp -V
bootd_env boot.loader=pxelinux
make_tree "$tmp/tree"
$LR image import lab "$tmp/tree" --format ext4 --size 16M >/dev/null 2>"$tmp/import.err" ||
	{ cat "$tmp/import.err"; fail "image import failed"; }
$LR group add room --image lab --mode volatile >/dev/null
$LR client add 52:54:00:12:34:56 --name pc01 --group room >/dev/null
bootd_start

(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get pxelinux.cfg/01-52-54-00-12-34-56 cfg) >"$tmp/err" 2>&1 ||
	{ cat "$tmp/err"; fail "tftp-hpa could not fetch the config"; }
grep -qi "kernel" "$tmp/cfg" || { cat "$tmp/cfg"; fail "no kernel line in the rendered config"; }
grep -q "BOOTIF=01-52-54-00-12-34-56" "$tmp/cfg" || { cat "$tmp/cfg"; fail "no BOOTIF for the client"; }
grep -q "lanroot.root=" "$tmp/cfg" || { cat "$tmp/cfg"; fail "no lanroot.root in the config"; }
grep -q "event=tftp.finish .*file=pxelinux.cfg/01-52-54-00-12-34-56" "$tmp/bootd.log" ||
	{ cat "$tmp/bootd.log"; fail "no tftp.finish for the config"; }

(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get pxelinux.cfg/01-52-54-00-99-99-99 cfg2) >"$tmp/err" 2>&1 || true
grep_err "Error code 1"
bootd_stop
