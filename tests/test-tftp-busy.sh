#!/bin/sh
# Limits on transfers at once: with max_transfers = 10, 30 requests start
# 10 transfers and the other 20 are answered "server busy" (counted in
# status, tftp.error busy); one address gets at most 64 transfers at once;
# when the abandoned transfers are reclaimed a real client is served.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env tftp.max_transfers=10 tftp.timeout=1 tftp.retries=1
head -c 100000 /dev/urandom >"$tmp/tftp/file"
bootd_start

# idle — wait until no transfer is left (at most 15 s)
idle() {
	i=0
	until [ "$(tftp_stat 't["active"]')" -eq 0 ]; do
		i=$((i + 1)); [ $i -lt 150 ] || fail "transfers were not reclaimed: $(tftp_stat t)"
		sleep 0.1
	done
}

r=$(tftp_raw flood "$TFTP_PORT" 30 file 5 0)
[ "$r" = "oack=10 busy=20 other=0" ] || fail "30 requests with max_transfers 10: $r"
[ "$(tftp_stat 't["refused"]["busy"]')" -eq 20 ] || fail "busy count: $(tftp_stat t)"
grep -q "event=tftp.error .*error=busy" "$tmp/bootd.log" || fail "no tftp.error busy event"
idle
curl -s -S -o "$tmp/out" "tftp://127.0.0.1:$TFTP_PORT/file" || fail "curl was refused after the flood"
cmp -s "$tmp/out" "$tmp/tftp/file" || fail "curl got a corrupt file"

# one address: at most 64 at once, however many max_transfers allows
conf_set tftp max_transfers 4096
bootd_call reload
r=$(tftp_raw flood "$TFTP_PORT" 70 file 70 0)
[ "$r" = "oack=64 busy=6 other=0" ] || fail "70 requests from one address: $r"
idle
bootd_stop
