#!/bin/sh
# 2000 read requests that are never acknowledged (from 40 addresses) make
# 2000 transfers, bounded by max_transfers; a real client is served
# meanwhile; the retransmission timer reclaims them all (timeout 5 s,
# 1 retry: gone 15 s after they started), each with a tftp.error timeout event,
# and memory stays bounded.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env tftp.max_transfers=4096 tftp.timeout=5 tftp.retries=1
head -c 4000000 /dev/urandom >"$tmp/tftp/kernel"
bootd_start

tftp_raw flood "$TFTP_PORT" 2000 kernel 50 40 >"$tmp/flood.out" &
flood=$!
cleanup_fn "kill $flood 2>/dev/null"
i=0
until [ -s "$tmp/flood.out" ]; do
	i=$((i + 1)); [ $i -lt 250 ] || fail "the flood did not report"
	sleep 0.1
done
# (a sanitizer build starts a few hundred transfers a second: the request
# socket's queue may drop a few of the burst, as under any overload)
started=$(sed -n 's/^oack=\([0-9]*\) busy=0 .*/\1/p' "$tmp/flood.out")
[ -n "$started" ] && [ "$started" -ge 1800 ] || { cat "$tmp/flood.out"; fail "too few of 2000 requests started"; }
[ "$(tftp_stat 't["active"]')" -eq "$started" ] || fail "status does not show $started transfers: $(tftp_stat t)"

curl -s -S --tftp-blksize 1468 -o "$tmp/out" "tftp://127.0.0.1:$TFTP_PORT/kernel" ||
	fail "curl was not served during the flood"
cmp -s "$tmp/out" "$tmp/tftp/kernel" || fail "curl got a corrupt file during the flood"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$bootd_pid/status")
[ "$rss" -lt 400000 ] || fail "bootd uses $rss kB with 2000 abandoned transfers"

i=0
until [ "$(tftp_stat 't["active"]')" -eq 0 ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "abandoned transfers were not reclaimed in 30 s: $(tftp_stat t)"
	sleep 0.1
done
[ "$(tftp_stat 't["failed"]')" -ge "$started" ] || fail "failed count: $(tftp_stat t)"
n=$(grep -c "event=tftp.error .*error=timeout" "$tmp/bootd.log") || true
[ "$n" -ge "$started" ] || fail "only $n timeout events for $started transfers"
curl -s -S -o "$tmp/out" "tftp://127.0.0.1:$TFTP_PORT/kernel" || fail "curl failed after the flood"
bootd_stop
