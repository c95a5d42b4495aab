#!/bin/sh
# Real TFTP clients fetch files from lanroot-bootd at several block sizes and
# get the same bytes (sha256): curl and atftp at blksize 512, 1428, 1468,
# 8192 and 65464 (atftp with a window), tftp-hpa at its fixed 512; a file
# whose size is a whole number of blocks and an empty file; tsize is
# answered with the file size; each transfer logs tftp.start and
# tftp.finish.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
requires atftp --help
requires tftp -V
bootd_env
head -c 3000000 /dev/urandom >"$tmp/tftp/kernel"
head -c 8192 /dev/urandom >"$tmp/tftp/whole"
: >"$tmp/tftp/empty"
bootd_start
want=$(sha256sum <"$tmp/tftp/kernel")

# same FILE NAME — FILE has the bytes of $tmp/tftp/NAME.
same() {
	[ "$(sha256sum <"$1")" = "$(sha256sum <"$tmp/tftp/$2")" ] || fail "$1 differs from $2 ($3)"
}

for bs in 512 1428 1468 8192 65464; do
	rm -f "$tmp/out"
	curl -s -S --tftp-blksize "$bs" -o "$tmp/out" "tftp://127.0.0.1:$TFTP_PORT/kernel" ||
		fail "curl with blksize $bs failed"
	same "$tmp/out" kernel "curl, blksize $bs"
	grep -q "event=tftp.start .*file=kernel blksize=$bs windowsize=1 tsize=3000000" "$tmp/bootd.log" ||
		{ cat "$tmp/bootd.log"; fail "no tftp.start with blksize $bs"; }

	# atftp with a window (16; 2 at 65464, where 16 would overflow its receive buffer)
	ws=16
	[ "$bs" -eq 65464 ] && ws=2
	rm -f "$tmp/out"
	atftp --option "blksize $bs" --option "windowsize $ws" --option "tsize 0" \
		-g -r kernel -l "$tmp/out" 127.0.0.1 "$TFTP_PORT" >"$tmp/atftp.log" 2>&1 ||
		{ cat "$tmp/atftp.log"; fail "atftp with blksize $bs windowsize $ws failed"; }
	same "$tmp/out" kernel "atftp, blksize $bs, windowsize $ws"
	grep -q "event=tftp.finish .*file=kernel bytes=3000000 .*blksize=$bs windowsize=$ws" "$tmp/bootd.log" ||
		{ cat "$tmp/bootd.log"; fail "no tftp.finish with blksize $bs windowsize $ws"; }
done

# tftp-hpa (RFC 1350, blksize 512), verbose
rm -f "$tmp/out"
(cd "$tmp" && tftp -v -m binary 127.0.0.1 "$TFTP_PORT" -c get kernel out) >"$tmp/hpa.log" 2>&1 ||
	{ cat "$tmp/hpa.log"; fail "tftp-hpa failed"; }
grep -q "Received 3000000 bytes" "$tmp/hpa.log" || { cat "$tmp/hpa.log"; fail "tftp-hpa did not report 3000000 bytes"; }
same "$tmp/out" kernel "tftp-hpa"

# whole blocks (ends with an empty DATA) and an empty file (not with curl
# 7.88, which fails on an empty file with any server: errno 107)
for f in whole empty; do
	rm -f "$tmp/out"
	atftp -g -r "$f" -l "$tmp/out" 127.0.0.1 "$TFTP_PORT" >/dev/null 2>&1 || fail "atftp $f failed"
	same "$tmp/out" "$f" "atftp"
	rm -f "$tmp/out"
	(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$f" out) || fail "tftp-hpa $f failed"
	same "$tmp/out" "$f" "tftp-hpa"
done
[ "$want" = "$(sha256sum <"$tmp/tftp/kernel")" ] || fail "the served file changed"
bootd_stop
