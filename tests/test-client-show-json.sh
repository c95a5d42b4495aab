#!/bin/sh
# `client show --json` has every field, the root URL is exactly
# nbd://SERVER:PORT/EXPORT with the client's token in the export name, and a
# MAC in any notation finds the same client.
. "${top_srcdir:-.}/tests/functions.sh"
requires "$PYTHON" --version
mktmpdir
lanroot_env

truncate -s 1M "$tmp/disk.img"
$LR init
$LR image import lab "$tmp/disk.img" --format raw
$LR group add room101 --image lab --mode persistent
$LR group add kiosk --image lab
$LR group add san --image lab --proto iscsi
$LR client add 52:54:00:AB:cd:01 --name pc01 --group room101 --cmdline "quiet"
$LR client add 52-54-00-ab-cd-02 --name kiosk1 --group kiosk
$LR client add 5254.00ab.cd03 --name win1 --group san --mode reset-on-boot

$LR client show pc01 --json >"$tmp/show"
"$PYTHON" - "$tmp/show" <<'PY' || fail "client show --json pc01"
import json, re, sys
c = json.load(open(sys.argv[1]))
for k in ("name", "mac", "group", "image", "version", "mode", "proto", "cmdline",
          "export", "root", "overlay", "loader", "format", "sha256", "created"):
    assert k in c, "missing field " + k
assert c["name"] == "pc01" and c["mac"] == "52:54:00:ab:cd:01", c
assert c["group"] == "room101" and c["image"] == "lab" and c["version"] == 1, c
assert c["mode"] == "persistent" and c["proto"] == "nbd", c
assert c["cmdline"] == "quiet", c
exp = c["export"]
assert c["root"] == "nbd://127.0.0.1:10809/" + exp, c["root"]
# MAC/IMAGE/VERSION/MODE/TOKEN with a 64-hex-digit token
parts = exp.split("/")
assert len(parts) == 5, exp
assert parts[0] == "52-54-00-ab-cd-01" and parts[1] == "lab" and parts[2] == "1", exp
assert parts[3] == "persistent", exp
assert re.fullmatch(r"[0-9a-f]{64}", parts[4]), exp
ov = c["overlay"]
assert ov is not None and ov["exists"] is False and ov["data_bytes"] == 0, ov
PY

# Every notation of pc01's MAC finds pc01.
for mac in 52:54:00:ab:cd:01 52-54-00-AB-CD-01 5254.00ab.cd01 525400ABCD01 \
	01-52-54-00-ab-cd-01 52:54:0:ab:cd:1; do
	[ "$($LR client show "$mac" --json | json_get '["name"]')" = pc01 ] ||
		fail "client show $mac is not pc01"
done

# Tokens differ between clients; a volatile client has no overlay; an
# iSCSI client gets an iscsi: root.
[ "$($LR client show kiosk1 --json | json_get '["overlay"]')" = null ] ||
	fail "a volatile client shows an overlay"
[ "$($LR client show kiosk1 --json | json_get '["export"]' | cut -d/ -f5)" != \
  "$($LR client show pc01 --json | json_get '["export"]' | cut -d/ -f5)" ] ||
	fail "two clients share a token"
$LR client show win1 --json | json_get '["root"]' |
	grep -qx 'iscsi:127.0.0.1::3260:0:iqn\.[^:]*:win1' || fail "iscsi root of win1"

# The token follows what the client boots: a new mode, a new export name.
before=$($LR client show pc01 --json | json_get '["export"]')
$LR client set pc01 --mode reset-on-boot
after=$($LR client show pc01 --json | json_get '["export"]')
[ "$before" != "$after" ] || fail "the export name did not change with the mode"
echo "$after" | grep -q '/reset-on-boot/' || fail "export name lacks the mode"
