#!/bin/sh
# Names that try to leave the TFTP root are refused in every form — '../',
# '..\', '..' inside a path, absolute paths, a symlink in the root pointing
# out — with ERROR 2 (or ERROR 1 for an absolute name, read beneath the
# root), never the file; meanwhile a transfer in progress (tftp-hpa, 24 MiB
# at blksize 512) goes on and completes intact.
. "${top_srcdir:-.}/tests/functions.sh"
requires atftp --help
requires tftp -V
bootd_env
echo "SECRET-outside-the-root" >"$tmp/secret"
mkdir -p "$tmp/tftp/sub"
echo "inside" >"$tmp/tftp/sub/ok"
ln -s "$tmp/secret" "$tmp/tftp/link-out"
ln -s ../secret "$tmp/tftp/sub/rel-out"
ln -s /etc "$tmp/tftp/etc-link"
head -c $((24 << 20)) /dev/urandom >"$tmp/tftp/big"
want=$(sha256sum <"$tmp/tftp/big")
bootd_start

(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get big out) >"$tmp/hpa.log" 2>&1 &
hpa=$!
cleanup_fn "kill $hpa 2>/dev/null"

# refused NAME CODES — a raw RRQ for NAME is answered with ERROR in CODES
refused() {
	r=$(tftp_raw rrq "$TFTP_PORT" "$1")
	case "$r" in
	"ERROR 2 "*) ;;
	"ERROR 1 "*) case "$2" in *1*) ;; *) fail "'$1': $r (expected ERROR 2)" ;; esac ;;
	*) fail "'$1' was not refused: $r" ;;
	esac
}
refused "../secret" 2
refused "..\\secret" 2
refused "sub/../../secret" 2
refused "sub/..\\..\\secret" 2
refused "sub\\..\\..\\secret" 2
refused "./../secret" 2
refused "..//secret" 2
refused "../" 2
refused ".." 2
refused "$tmp/secret" 12
refused "/../secret" 2
refused "//etc/passwd" 12
refused "/etc/passwd" 12
refused "link-out" 12
refused "sub/rel-out" 12
refused "etc-link/passwd" 12

# real clients get nothing either
for n in "../secret" "..\\secret" "link-out" "$tmp/secret"; do
	rm -f "$tmp/got"
	atftp -g -r "$n" -l "$tmp/got" 127.0.0.1 "$TFTP_PORT" >/dev/null 2>&1 && fail "atftp got '$n'"
	! grep -q SECRET "$tmp/got" 2>/dev/null || fail "atftp received the secret for '$n'"
done
(cd "$tmp" && tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get ../secret got2) >"$tmp/err" 2>&1 || true
grep_err "Error code 2"
! grep -q SECRET "$tmp/got2" 2>/dev/null || fail "tftp-hpa received the secret"

# the file beneath the root is still served
r=$(tftp_raw rrq "$TFTP_PORT" "sub/ok")
case "$r" in "DATA 1 7") ;; *) fail "sub/ok: $r" ;; esac

wait $hpa || { cat "$tmp/hpa.log"; fail "the transfer running meanwhile failed"; }
[ "$(sha256sum <"$tmp/out")" = "$want" ] || fail "the transfer running meanwhile is corrupt"
grep -q "event=tftp.error .*error=access" "$tmp/bootd.log" || fail "no tftp.error access event"
! grep -q SECRET "$tmp/bootd.log" || fail "the secret appears in the log"
bootd_stop
