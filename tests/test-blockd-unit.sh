#!/bin/sh
# lanroot-blockd's systemd unit and man pages are in step with the program:
# the generated unit runs the installed blockd with every hardening option
# (and systemd-analyze accepts it), the man pages render without a groff
# warning, and they document every option of --help and every [nbd] key
# that `lanroot init` writes, with the same defaults (tests/daemon-unit.sh).
. "${top_srcdir:-.}/tests/functions.sh"
. "$top_srcdir/tests/daemon-unit.sh"
requires systemd-analyze --version
mktmpdir
daemon_unit_check nbd lanroot-blockd 'CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID' \
	'AF_INET AF_INET6 AF_UNIX' nbd
