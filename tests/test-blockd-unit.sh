#!/bin/sh
# lanroot-blockd's systemd unit and man pages are in step with the program:
# the generated unit runs the installed blockd with every hardening option
# (and systemd-analyze accepts it), the man pages render without a groff
# warning, and they document every option of --help and every [nbd] key
# that `lanroot init` writes, with the same defaults.
. "${top_srcdir:-.}/tests/functions.sh"
requires systemd-analyze --version
mktmpdir

# make check passes the install paths (nbd/local.mk).
if [ -z "${LR_SBINDIR:-}" ] || [ -z "${LR_SYSCONFDIR:-}" ]; then
	fail "LR_SBINDIR and LR_SYSCONFDIR are not set: run this test with make check"
fi
unit=$top_builddir/nbd/lanroot-blockd.service
page=$top_srcdir/doc/lanroot-blockd.8
confpage=$top_srcdir/doc/lanroot.conf.5
[ -f "$unit" ] || fail "$unit was not generated (make all builds it)"

# --- the unit ---------------------------------------------------------------
if grep -n '@[A-Za-z_]*@' "$unit"; then
	fail "$unit has placeholders left"
fi
want_exec="ExecStart=$LR_SBINDIR/lanroot-blockd -f -c $LR_SYSCONFDIR/lanroot/lanroot.conf"
grep -qxF "$want_exec" "$unit" || {
	grep -n '^ExecStart' "$unit"
	fail "$unit: ExecStart is not '$want_exec'"
}
# shellcheck disable=SC2016 # $MAINPID is systemd's, not ours
for line in \
	'Type=simple' \
	'ExecReload=/bin/kill -HUP $MAINPID' \
	'Restart=on-failure' \
	'After=network-online.target' \
	'LimitNOFILE=65536' \
	'NoNewPrivileges=yes' \
	'ProtectSystem=strict' \
	'ReadWritePaths=-/var/lib/lanroot' \
	'RuntimeDirectory=lanroot' \
	'ProtectHome=yes' \
	'PrivateTmp=yes' \
	'PrivateDevices=yes' \
	'ProtectKernelTunables=yes' \
	'ProtectKernelModules=yes' \
	'ProtectKernelLogs=yes' \
	'ProtectControlGroups=yes' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'RestrictNamespaces=yes' \
	'LockPersonality=yes' \
	'MemoryDenyWriteExecute=yes' \
	'SystemCallArchitectures=native' \
	'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID'; do
	grep -qxF "$line" "$unit" || fail "$unit lacks the line '$line'"
done
# A key given twice would make systemd merge or override it silently.
dups=$(grep -o '^[A-Za-z]*=' "$unit" | sort | uniq -d)
[ -z "$dups" ] || fail "$unit sets these keys twice: $dups"

# systemd-analyze (package systemd, from scripts/install-deps) checks the
# syntax and the sandboxing options; ExecStart must name an existing
# program, so point a copy at the built one.
mkdir "$tmp/unit"
sed "s|^ExecStart=[^ ]*|ExecStart=$top_builddir/nbd/lanroot-blockd|" "$unit" \
	>"$tmp/unit/lanroot-blockd.service"
systemd-analyze verify --man=no "$tmp/unit/lanroot-blockd.service" \
	>"$tmp/verify" 2>&1 || { cat "$tmp/verify"; fail "systemd-analyze verify failed"; }
if [ -s "$tmp/verify" ]; then
	cat "$tmp/verify"
	fail "systemd-analyze verify complained about $unit"
fi

# --- the man pages ------------------------------------------------------------
requires groff --version
for p in "$page" "$confpage"; do
	LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$p" >"$tmp/groff" 2>&1 ||
		{ cat "$tmp/groff"; fail "groff failed on $p"; }
	if [ -s "$tmp/groff" ]; then
		cat "$tmp/groff"
		fail "groff warns about $p"
	fi
done

# Page sources with roff's \- turned into plain hyphens.
sed 's/\\-/-/g' "$page" >"$tmp/page"
sed 's/\\-/-/g' "$confpage" | sed -n '/^\.SH \[nbd\]/,/^\.SH \[iscsi\]/p' >"$tmp/confpage"
[ -s "$tmp/confpage" ] || fail "$confpage has no [nbd] section before [iscsi]"

# Every option that --help lists is documented.
lanroot-blockd --help >"$tmp/help" || fail "lanroot-blockd --help failed"
opts=$(grep -oE '(^|[ ,[|])--?[A-Za-z][-A-Za-z]*' "$tmp/help" | sed 's/^[ ,[|]//' | sort -u)
[ -n "$opts" ] || fail "found no options in lanroot-blockd --help"
for o in $opts; do
	grep -qE -- "(^|[^-A-Za-z])$o([^-A-Za-z]|\$)" "$tmp/page" ||
		fail "$page does not document $o (from lanroot-blockd --help)"
done

# Every [nbd] key that `lanroot init` writes is in both pages, and
# lanroot.conf(5) gives the same default (paths: the same file name, as the
# page assumes the usual system layout).
conf=$tmp/init.conf
lanroot -q -c "$conf" --state "$tmp/state" init --address 127.0.0.1 >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out"; fail "lanroot init failed"; }
awk '/^\[/ { sec = $0; next }
     sec == "[nbd]" && /^# default: / { d = substr($0, 12); next }
     sec == "[nbd]" && /^[a-z_]+ =/ { print $1 " " (d == "(empty)" ? "" : d) }' \
	"$conf" >"$tmp/keys"
[ -s "$tmp/keys" ] || { cat "$conf"; fail "no [nbd] keys in the config lanroot init wrote"; }
while read -r key def; do
	grep -qE "^\.BR? $key( |\$)|^$key =" "$tmp/page" ||
		fail "$page does not document [nbd] $key"
	line=$(grep -E "^\.BR $key \" = \"" "$tmp/confpage") ||
		fail "$confpage does not document [nbd] $key"
	doc=$(printf '%s\n' "$line" | sed "s/^\.BR $key \" = \" *//")
	case $def in
	/*) def=${def##*/}; doc=${doc##*/} ;;
	esac
	[ "$doc" = "$def" ] ||
		fail "$confpage gives [nbd] $key the default '$doc', lanroot init writes '$def'"
done <"$tmp/keys"
