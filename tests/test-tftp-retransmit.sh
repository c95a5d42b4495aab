#!/bin/sh
# Retransmission: a repeated ACK never makes the server send the next block
# twice (sorcerer's apprentice); an unacknowledged block is resent after
# [tftp] timeout, then twice as long (1 s, 2 s), and after [tftp] retries the
# transfer ends with ERROR and a tftp.error timeout event.
. "${top_srcdir:-.}/tests/functions.sh"
bootd_env tftp.timeout=1 tftp.retries=2
head -c 100000 /dev/urandom >"$tmp/tftp/file"
bootd_start

n=$(tftp_raw dupack "$TFTP_PORT" file)
[ "$n" = 1 ] || fail "three ACKs of block 1 brought $n copies of block 2"

set -- $(tftp_raw noack "$TFTP_PORT" file 15)
[ "$#" -ge 4 ] || fail "noack: $*"
# DATA 1 at 0, ~1, ~3 s, then ERROR 0 at ~7 s
awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { exit !(a < 0.5 && b > 0.8 && b < 1.6 && c > 2.7 && c < 3.8) }' ||
	fail "retransmission times: $*"
[ "$4" = ERROR ] && [ "$5" = 0 ] || fail "no ERROR after the retries: $*"
grep -q "event=tftp.error .*file=file error=timeout" "$tmp/bootd.log" || fail "no timeout event"
bootd_stop
