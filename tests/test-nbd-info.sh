#!/bin/sh
# nbdinfo against lanroot-blockd: a per-client export is described with its
# size, flags, block sizes, a description naming the client and the
# base:allocation context; a volatile client's export is read-only.
# `nbdinfo --list` shows the IMAGE@VERSION exports when version_exports is
# on, and never a per-client export (no MAC, no token); with version_exports
# off (after a reload) the list is empty and IMAGE@VERSION is refused.
. "${top_srcdir:-.}/tests/functions.sh"
requires nbdinfo --version
mktmpdir
lanroot_env

blockd_conf "version_exports = yes"
nbd_setup persistent
$LR image import lab "$tmp/base.img" --format raw >/dev/null 2>&1	# lab@2
$LR group add vol --image lab --mode volatile >/dev/null
nbd_client_add pc02 52:54:00:00:00:02 vol
vexport=$(nbd_export pc02)
server="nbd://127.0.0.1:$nbd_port"
blockd_start

# json_true FILE PYEXPR — PYEXPR holds for d, the JSON document in FILE.
json_true() {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$1" "$2" || { cat "$1"; fail "not true: $2"; }
}

# A persistent client: read-write, every capability blockd offers.
nbdinfo --json "$uri" >"$tmp/pc01.json" || fail "nbdinfo $uri failed"
e='d["exports"][0]'
json_true "$tmp/pc01.json" "len(d['exports']) == 1 and ${e}['export-size'] == 8388608"
for cap in can_multi_conn can_trim can_zero can_fast_zero can_fua can_flush; do
	json_true "$tmp/pc01.json" "${e}['$cap'] is True"
done
json_true "$tmp/pc01.json" "${e}['is_read_only'] is False"
json_true "$tmp/pc01.json" "'pc01' in ${e}['description']"
json_true "$tmp/pc01.json" "'base:allocation' in ${e}['contexts']"
json_true "$tmp/pc01.json" "(${e}['block_size_minimum'], ${e}['block_size_preferred'], ${e}['block_size_maximum']) == (1, 4096, 33554432)"

# A volatile client: the base, read-only.
nbdinfo --json "$server/$vexport" >"$tmp/pc02.json" || fail "nbdinfo on the volatile export failed"
json_true "$tmp/pc02.json" "${e}['is_read_only'] is True and ${e}['export-size'] == 8388608"
json_true "$tmp/pc02.json" "'pc02' in ${e}['description']"
json_true "$tmp/pc02.json" "'base:allocation' in ${e}['contexts']"

# The list: both versions of lab, nothing per client.
nbdinfo --list --json "$server" >"$tmp/list.json" || fail "nbdinfo --list failed"
json_true "$tmp/list.json" "sorted(x['export-name'] for x in d['exports']) == ['lab@1', 'lab@2']"
for secret in 52-54-00 52:54:00 "${export##*/}" "${vexport##*/}" persistent volatile; do
	grep -q -i -e "$secret" "$tmp/list.json" && { cat "$tmp/list.json"; fail "nbdinfo --list shows '$secret'"; }
done
nbdinfo --list "$server" >"$tmp/list.txt" 2>&1 || fail "nbdinfo --list (text) failed"
grep -q "lab@1" "$tmp/list.txt" || { cat "$tmp/list.txt"; fail "the text list lacks lab@1"; }
grep -q -i -e 52-54-00 -e "${export##*/}" "$tmp/list.txt" && { cat "$tmp/list.txt"; fail "the text list shows a per-client export"; }

# IMAGE@VERSION: read-only, the version's size.
nbdinfo --json "$server/lab@1" >"$tmp/v1.json" || fail "nbdinfo lab@1 failed"
json_true "$tmp/v1.json" "${e}['is_read_only'] is True and ${e}['export-size'] == 8388608"
json_true "$tmp/v1.json" "${e}['export-name'] == 'lab@1'"

# version_exports off (reload): an empty list, lab@1 refused.
sed -i 's/^version_exports = yes$/version_exports = no/' "$conf"
grep -q '^version_exports = no$' "$conf" || fail "could not edit $conf"
ctl_cmd '{"cmd":"reload"}' >/dev/null || fail "reload failed"
nbdinfo --list --json "$server" >"$tmp/list.json" || fail "nbdinfo --list with version_exports off failed"
json_true "$tmp/list.json" "d['exports'] == []"
expect_status 1 nbdinfo "$server/lab@1"
LIBNBD_DEBUG=1 nbdinfo "$server/lab@1" >/dev/null 2>"$tmp/err" && fail "nbdinfo lab@1 worked with version_exports off"
grep_err "server error message: .*version_exports"
# Per-client exports still work.
nbdinfo "$uri" >/dev/null || fail "nbdinfo on pc01 after the reload failed"
blockd_stop
