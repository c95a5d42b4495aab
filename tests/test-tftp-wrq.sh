#!/bin/sh
# Write requests are refused (ERROR 2, the server is read-only) for atftp,
# tftp-hpa and curl uploads; nothing is written; tftp.error says why.
. "${top_srcdir:-.}/tests/functions.sh"
requires atftp --help
requires tftp -V
requires curl --version
bootd_env
echo "payload" >"$tmp/upload"
echo "original" >"$tmp/tftp/existing"
bootd_start

atftp -p -r new -l "$tmp/upload" 127.0.0.1 "$TFTP_PORT" >"$tmp/err" 2>&1 && fail "atftp --put worked"
grep_err "read-only"
(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c put upload existing) >"$tmp/err" 2>&1 || true
grep_err "Error code 2: .*read-only"
curl -s -S -T "$tmp/upload" "tftp://127.0.0.1:$TFTP_PORT/new2" >"$tmp/err" 2>&1 && fail "curl upload worked"
[ ! -e "$tmp/tftp/new" ] && [ ! -e "$tmp/tftp/new2" ] || fail "a file was written"
[ "$(cat "$tmp/tftp/existing")" = "original" ] || fail "an existing file was overwritten"
n=$(grep -c "event=tftp.error .*error=read_only" "$tmp/bootd.log") || true
[ "$n" -eq 3 ] || { cat "$tmp/bootd.log"; fail "expected 3 read_only events, got $n"; }
bootd_stop
