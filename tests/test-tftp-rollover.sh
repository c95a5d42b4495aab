#!/bin/sh
# A file of more than 65535 blocks (40 MiB at blksize 512, so block numbers
# wrap from 65535 to 0) arrives whole with tftp-hpa and with atftp
# (blksize 512, windowsize 16: a window across the wrap).
. "${top_srcdir:-.}/tests/functions.sh"
requires atftp --help
requires tftp -V
bootd_env
head -c $((40 << 20)) /dev/urandom >"$tmp/tftp/big"
want=$(sha256sum <"$tmp/tftp/big")
bootd_start

(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get big out) || fail "tftp-hpa failed"
[ "$(sha256sum <"$tmp/out")" = "$want" ] || fail "tftp-hpa: the 40 MiB file differs"
rm -f "$tmp/out"
atftp --option "blksize 512" --option "windowsize 16" -g -r big -l "$tmp/out" \
	127.0.0.1 "$TFTP_PORT" >"$tmp/atftp.log" 2>&1 || { cat "$tmp/atftp.log"; fail "atftp failed"; }
[ "$(sha256sum <"$tmp/out")" = "$want" ] || fail "atftp: the 40 MiB file differs"
n=$(grep -c "event=tftp.finish .*file=big bytes=41943040 .*blksize=512" "$tmp/bootd.log") || true
[ "$n" -eq 2 ] || { cat "$tmp/bootd.log"; fail "expected two tftp.finish events for big, got $n"; }
bootd_stop
