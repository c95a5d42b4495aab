#!/bin/sh
# lanroot-bootd's systemd unit and man pages are in step with the program:
# the generated unit runs the installed bootd with every hardening option,
# the raw-socket capability it needs and nothing more (systemd-analyze
# accepts it), the man pages render without a groff warning, and they
# document every option of --help and every key of [server], [tftp],
# [http], [dhcp] and [boot] that `lanroot init` writes, with the same
# defaults (tests/daemon-unit.sh).
. "${top_srcdir:-.}/tests/functions.sh"
. "$top_srcdir/tests/daemon-unit.sh"
requires systemd-analyze --version
mktmpdir
daemon_unit_check bootserver lanroot-bootd \
	'CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_NET_BROADCAST CAP_CHOWN CAP_SETUID CAP_SETGID' \
	'AF_INET AF_INET6 AF_UNIX AF_PACKET AF_NETLINK' server tftp http dhcp boot
