#!/bin/sh
# Bad requests get the answer the RFCs ask for and nothing else breaks:
# absurd option values are left out of the OACK (RFC 2347) or capped
# (blksize by max_blksize, windowsize by max_windowsize), unknown options
# ignored, tsize answered with the size, a repeated option refused with
# ERROR 8, mode "mail", unknown opcodes, truncated and over-long requests
# refused with ERROR 4, stray ACK/ERROR packets to port 69 ignored, a
# missing file is ERROR 1, netascii of a large file is refused with a
# clear message; a real client is served afterwards.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env tftp.max_blksize=1468 tftp.max_windowsize=32
head -c 100000 /dev/urandom >"$tmp/tftp/file"
head -c 2000000 /dev/urandom >"$tmp/tftp/large"
bootd_start

# expect WANT ARGS… — tftp-raw.py ARGS prints WANT (a shell pattern)
expect() {
	want=$1; shift
	r=$(tftp_raw "$@" 2>&1)
	case "$r" in $want) ;; *) fail "tftp-raw.py $*: got '$r', expected '$want'" ;; esac
}
P=$TFTP_PORT
expect "OACK tsize=100000 windowsize=32" rrq $P file octet blksize=70000 tsize=0 windowsize=5000 timeout=0 foo=bar
expect "OACK blksize=1468 timeout=255" rrq $P file octet blksize=65464 timeout=255
expect "OACK blksize=8" rrq $P file octet blksize=8 timeout=256
expect "DATA 1 512" rrq $P file octet blksize=7 windowsize=0 tsize=12x
expect "ERROR 8 *" rrq $P file octet blksize=1024 BLKSIZE=1024
expect "ERROR 4 *mail*" rrq $P file mail
expect "ERROR 4 *" rrq $P file binary
expect "ERROR 4 *opcode 9*" raw $P 0009616263
expect "ERROR 4 *" raw $P 0001
expect "ERROR 4 *" raw $P 000166696c65
expect "ERROR 4 *" raw $P 000166696c65006f6374657400626c6b73697a65
expect "ERROR 4 *512*" rrq $P "$(printf '%0300d' 0)" octet "x=$(printf '%0300d' 0)"
expect "TIMEOUT" raw $P 00040001
expect "TIMEOUT" raw $P 000500006f6f707300
expect "TIMEOUT" raw $P 00
expect "ERROR 1 *" rrq $P no-such-file
expect "ERROR 0 *netascii*octet*" rrq $P large netascii

curl -s -S -o "$tmp/out" "tftp://127.0.0.1:$TFTP_PORT/file" || fail "curl failed after the bad requests"
cmp -s "$tmp/out" "$tmp/tftp/file" || fail "curl got a corrupt file"
kill -0 "$bootd_pid" || fail "bootd died"
bootd_stop
