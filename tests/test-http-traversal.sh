#!/bin/sh
# HTTP path traversal in every form — ../, %2e%2e/, ..%2f, %2e%2e%5c, ..\,
# absolute and doubled slashes, a symlink out of the TFTP root (to a file
# and to a directory) — gets 400, 403 or 404 and never a byte of a file
# outside the root, while a 64 MiB download in parallel completes intact.
. "${top_srcdir:-.}/tests/functions.sh"
requires curl --version
bootd_env
secret=lanroot-secret-$$-marker
printf '%s\n' "$secret" >"$tmp/secret.txt"
mkdir -p "$tmp/tftp/sub"
ln -s "$tmp/secret.txt" "$tmp/tftp/escape"
ln -s "$tmp" "$tmp/tftp/escape-dir"
ln -s ../../secret.txt "$tmp/tftp/sub/up"
head -c 67108864 /dev/urandom >"$tmp/tftp/big.bin"
bootd_start

curl -sS -f --limit-rate 16M -o "$tmp/big.out" "$http_url/big.bin" &
dl_pid=$!
cleanup_fn "kill $dl_pid 2>/dev/null"

# try TARGET — send "GET TARGET" exactly as written; the reply must be
# 400, 403 or 404 and must not contain the secret.
try() {
	"$PYTHON" - "$HTTP_PORT" "$1" "$secret" <<'EOP' || fail "GET $1 was not refused"
import socket, sys
port, target, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
status = data.split(b"\r\n", 1)[0]
print(target, status.decode(errors="replace"))
assert status.split()[1] in (b"400", b"403", b"404"), status
assert secret not in data, "the secret leaked"
EOP
}

name=secret.txt
for t in "/../$name" "/../../$name" "/sub/../../$name" "/%2e%2e/$name" "/%2E%2E/$name" \
	"/..%2f$name" "/sub%2f..%2f..%2f$name" "/%2e%2e%2f$name" "/%2e%2e%5c$name" \
	"/..%5c$name" "/..\\$name" "/sub\\..\\..\\$name" "\\..\\$name" "/.%2e/$name" \
	"/%252e%252e/$name" "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd" \
	"/../../../../../../etc/passwd" "$tmp/secret.txt" "/$tmp/secret.txt" \
	"//$tmp/secret.txt" "/escape" "/escape-dir/secret.txt" "/sub/up" \
	"/%65scape" "/escape%00" "/sub/..%00/$name" "http://127.0.0.1/../$name"; do
	try "$t"
done

wait $dl_pid || fail "the parallel download failed"
cmp -s "$tmp/big.out" "$tmp/tftp/big.bin" || fail "the parallel download is corrupt"
# The server still serves after all that.
curl -sS -f -o /dev/null "$http_url/big.bin" -r 0-0 || fail "no longer serving"
bootd_stop
