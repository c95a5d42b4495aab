#!/bin/sh
# TLS with libnbd clients (nbdinfo, nbdcopy, Python) against lanroot-blockd,
# keys made with certtool and psktool.  tls = require: a plain client is
# refused (TLS required); X.509 with a client certificate works and nbdcopy
# over it equals the base; a client without a certificate is refused (tls_ca
# is set); PSK with the right key works, with a wrong key it fails.
# tls = optional: plain and TLS clients both work, and the control
# socket's session list says which session runs over TLS.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" -c 'import nbd'
requires nbdinfo --version
requires nbdcopy --version
requires certtool --version
requires psktool --version
mktmpdir
lanroot_env

# ---- keys ----
pki=$tmp/pki		# what libnbd's tls-certificates= reads
mkdir -p "$pki" "$tmp/nocert" "$tmp/keys"
chmod 700 "$tmp/keys"
printf 'cn = lanroot test CA\nca\ncert_signing_key\nexpiration_days = 2\n' >"$tmp/ca.info"
printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 2\n' >"$tmp/server.info"
printf 'cn = pc01\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 2\n' >"$tmp/client.info"
{
	certtool --generate-privkey --outfile "$tmp/keys/ca-key.pem"
	certtool --generate-self-signed --load-privkey "$tmp/keys/ca-key.pem" \
		--template "$tmp/ca.info" --outfile "$pki/ca-cert.pem"
	certtool --generate-privkey --outfile "$tmp/keys/server-key.pem"
	certtool --generate-certificate --load-privkey "$tmp/keys/server-key.pem" \
		--load-ca-certificate "$pki/ca-cert.pem" --load-ca-privkey "$tmp/keys/ca-key.pem" \
		--template "$tmp/server.info" --outfile "$tmp/keys/server-cert.pem"
	certtool --generate-privkey --outfile "$pki/client-key.pem"
	certtool --generate-certificate --load-privkey "$pki/client-key.pem" \
		--load-ca-certificate "$pki/ca-cert.pem" --load-ca-privkey "$tmp/keys/ca-key.pem" \
		--template "$tmp/client.info" --outfile "$pki/client-cert.pem"
	psktool -u alice -p "$tmp/keys/keys.psk"
	psktool -u alice -p "$tmp/wrong.psk"
} >"$tmp/certtool.log" 2>&1 || { cat "$tmp/certtool.log"; fail "making keys failed"; }
cp "$pki/ca-cert.pem" "$tmp/nocert/"
chmod 600 "$tmp/keys"/*.pem "$tmp/keys/keys.psk" "$tmp/wrong.psk" "$pki/client-key.pem"
cmp -s "$tmp/keys/keys.psk" "$tmp/wrong.psk" && fail "psktool made the same key twice"

blockd_conf "tls = require" "tls_cert = $tmp/keys/server-cert.pem" \
	"tls_key = $tmp/keys/server-key.pem" "tls_ca = $pki/ca-cert.pem" \
	"tls_psk = $tmp/keys/keys.psk"
nbd_setup persistent
export_path=$export
plain=$uri
x509="nbds://127.0.0.1:$nbd_port/$export_path?tls-certificates=$pki"
psk="nbds://alice@127.0.0.1:$nbd_port/$export_path?tls-psk-file=$tmp/keys/keys.psk"
blockd_start

# ---- tls = require ----
expect_status 1 env LIBNBD_DEBUG=1 nbdinfo "$plain"
grep_err "server error message: .*requires TLS"

nbdinfo --json "$x509" >"$tmp/info.json" || fail "nbdinfo over TLS (X.509) failed"
"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["TLS"] is True and d["exports"][0]["export-size"] == 8388608 else 1)' \
	"$tmp/info.json" || { cat "$tmp/info.json"; fail "nbdinfo over TLS: not TLS, or the wrong size"; }
nbdcopy "$x509" "$tmp/copy.img" || fail "nbdcopy over TLS failed"
cmp "$tmp/base.img" "$tmp/copy.img" || fail "nbdcopy over TLS: not the base"

# tls_ca is set: a client without a certificate does not get in.
expect_status 1 nbdinfo "nbds://127.0.0.1:$nbd_port/$export_path?tls-certificates=$tmp/nocert"
grep -q "event=nbd.tls_error" "$tmp/blockd.log" || { cat "$tmp/blockd.log"; fail "no nbd.tls_error event"; }

# PSK: the right key works, a wrong one does not.
nbdinfo "$psk" >"$tmp/out" || fail "nbdinfo over TLS (PSK) failed"
grep -q "export-size: *8388608" "$tmp/out" || { cat "$tmp/out"; fail "PSK: wrong export"; }
nbdcopy "$psk" "$tmp/copy-psk.img" || fail "nbdcopy over TLS (PSK) failed"
cmp "$tmp/base.img" "$tmp/copy-psk.img" || fail "nbdcopy over TLS (PSK): not the base"
expect_status 1 nbdinfo "nbds://alice@127.0.0.1:$nbd_port/$export_path?tls-psk-file=$tmp/wrong.psk"
expect_status 1 nbdinfo "nbds://bob@127.0.0.1:$nbd_port/$export_path?tls-psk-file=$tmp/keys/keys.psk"
blockd_stop

# ---- tls = optional ----
sed -i 's/^tls = require$/tls = optional/' "$conf"
grep -q '^tls = optional$' "$conf" || fail "could not edit $conf"
blockd_start
nbdcopy "$plain" "$tmp/copy-plain.img" || fail "a plain client was refused with tls = optional"
cmp "$tmp/base.img" "$tmp/copy-plain.img" || fail "plain copy with tls = optional: not the base"
nbdinfo --json "$x509" >"$tmp/info.json" || fail "nbdinfo over TLS with tls = optional failed"
grep -q '"TLS": true' "$tmp/info.json" || { cat "$tmp/info.json"; fail "tls = optional: the X.509 client is not on TLS"; }
nbdinfo "$psk" >/dev/null || fail "nbdinfo over TLS (PSK) with tls = optional failed"

# hold URI NAME — a libnbd client holds a session on URI until $tmp/NAME.go
# exists.  Waits until it is connected.
hold() {
	rm -f "$tmp/$2.ready"
	"$PYTHON" -c '
import nbd, os, sys, time
h = nbd.NBD()
h.set_uri_allow_local_file(True)	# tls-certificates=DIR
h.connect_uri(sys.argv[1])
h.pread(4096, 0)
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.02)
h.shutdown()' "$1" "$tmp/$2" &
	hold_pid=$!
	cleanup_fn "kill $hold_pid 2>/dev/null"
	i=0
	until [ -e "$tmp/$2.ready" ]; do
		kill -0 $hold_pid 2>/dev/null || fail "the $2 client could not connect"
		i=$((i + 1)); [ $i -lt 100 ] || fail "the $2 client did not connect in 10 s"
		sleep 0.1
	done
}
hold "$x509" tls
pid_tls=$hold_pid
hold "$plain" plain
pid_plain=$hold_pid
ctl_cmd '{"cmd":"sessions"}' >"$tmp/sessions.json" || fail "sessions failed"
"$PYTHON" -c '
import json, sys
s = json.load(open(sys.argv[1]))["sessions"]
tls = sorted(x["tls"] for x in s if x["client"] == "pc01" and x["state"] == "transmission")
sys.exit(0 if tls == [False, True] else 1)' "$tmp/sessions.json" ||
	{ cat "$tmp/sessions.json"; fail "sessions: not one TLS and one plain session of pc01"; }
touch "$tmp/tls.go" "$tmp/plain.go"
wait $pid_tls || fail "the TLS session failed"
wait $pid_plain || fail "the plain session failed"
blockd_stop
