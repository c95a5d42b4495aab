# tests/: integration tests (shell scripts driving real clients) and fuzzers.
SH_TESTS = \
	tests/test-help.sh \
	tests/test-init.sh \
	tests/test-lifecycle.sh \
	tests/test-client-show-json.sh \
	tests/test-bad-image.sh \
	tests/test-bad-tar.sh \
	tests/test-bad-mac.sh \
	tests/test-duplicate-name.sh \
	tests/test-unknown-version.sh \
	tests/test-not-sqlite.sh \
	tests/test-disk-full.sh \
	tests/test-concurrent.sh \
	tests/test-exit-codes.sh \
	tests/test-json-output.sh \
	tests/test-read-only-format.sh \
	tests/test-delete.sh \
	tests/test-blockd-running.sh \
	tests/test-status-sessions.sh \
	tests/test-client-reset-connected.sh \
	tests/test-gc-in-use.sh
SH_TESTS += tests/test-blockd-unit.sh tests/test-bootd-unit.sh
TESTS += $(SH_TESTS)
EXTRA_DIST += $(SH_TESTS) tests/functions.sh tests/daemon-unit.sh

if ENABLE_FUZZING
FUZZERS = tests/fuzz/fuzz-conf tests/fuzz/fuzz-mac tests/fuzz/fuzz-export \
	tests/fuzz/fuzz-tar-member tests/fuzz/fuzz-nbd-proto tests/fuzz/fuzz-dhcp-proto
noinst_PROGRAMS += $(FUZZERS)
FUZZ_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
FUZZ_LINK = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz-conf.c
tests_fuzz_fuzz_conf_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_conf_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_conf_LDADD = common/libcommon.la
tests_fuzz_fuzz_mac_SOURCES = tests/fuzz/fuzz-mac.c
tests_fuzz_fuzz_mac_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_mac_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_mac_LDADD = common/libcommon.la
tests_fuzz_fuzz_export_SOURCES = tests/fuzz/fuzz-export.c
tests_fuzz_fuzz_export_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_export_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_export_LDADD = images/libimages.la
tests_fuzz_fuzz_tar_member_SOURCES = tests/fuzz/fuzz-tar-member.c
tests_fuzz_fuzz_tar_member_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_tar_member_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_tar_member_LDADD = images/libimages.la
tests_fuzz_fuzz_nbd_proto_SOURCES = tests/fuzz/fuzz-nbd-proto.c
tests_fuzz_fuzz_nbd_proto_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_nbd_proto_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_nbd_proto_LDADD = nbd/libnbdproto.la common/libcommon.la
tests_fuzz_fuzz_dhcp_proto_SOURCES = tests/fuzz/fuzz-dhcp-proto.c
tests_fuzz_fuzz_dhcp_proto_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dhcp_proto_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_dhcp_proto_LDADD = bootserver/libdhcpproto.la common/libcommon.la
FUZZERS += tests/fuzz/fuzz-tftp-proto
tests_fuzz_fuzz_tftp_proto_SOURCES = tests/fuzz/fuzz-tftp-proto.c
tests_fuzz_fuzz_tftp_proto_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_tftp_proto_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_tftp_proto_LDADD = bootserver/libtftpproto.la common/libcommon.la
FUZZERS += tests/fuzz/fuzz-http-parse tests/fuzz/fuzz-rawsend
tests_fuzz_fuzz_http_parse_SOURCES = tests/fuzz/fuzz-http-parse.c
tests_fuzz_fuzz_http_parse_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_http_parse_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_http_parse_LDADD = bootserver/libhttpserver.la bootserver/libbootd.la \
	images/libimages.la $(MHD_LIBS) $(JANSSON_LIBS)
tests_fuzz_fuzz_rawsend_SOURCES = tests/fuzz/fuzz-rawsend.c
tests_fuzz_fuzz_rawsend_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_rawsend_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_rawsend_LDADD = bootserver/libdhcpserver.la bootserver/libdhcpproto.la \
	common/libcommon.la
endif
EXTRA_DIST += tests/fuzz/fuzz-conf.c tests/fuzz/fuzz-mac.c tests/fuzz/fuzz-export.c \
	tests/fuzz/fuzz-tar-member.c tests/fuzz/fuzz-nbd-proto.c \
	tests/fuzz/fuzz-dhcp-proto.c tests/fuzz/corpus
EXTRA_DIST += tests/fuzz/fuzz-tftp-proto.c tests/fuzz/fuzz-http-parse.c tests/fuzz/fuzz-rawsend.c

# tests/unit/: helpers shared by the cmocka unit tests, built for `make check`.
check_LTLIBRARIES = tests/unit/libtestutil.la
tests_unit_libtestutil_la_SOURCES = tests/unit/testutil.c tests/unit/testutil.h
tests_unit_libtestutil_la_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
SH_TESTS += tests/test-nbd-info.sh
SH_TESTS += tests/test-nbd-copy.sh
SH_TESTS += tests/test-nbd-nbdsh.sh
SH_TESTS += tests/test-nbd-isolation.sh
SH_TESTS += tests/test-nbd-token.sh
SH_TESTS += tests/test-nbd-tls.sh
SH_TESTS += tests/test-nbd-restart.sh
SH_TESTS += tests/test-nbd-reset-on-boot.sh
SH_TESTS += tests/test-nbd-kill9.sh
SH_TESTS += tests/test-nbd-bad-input.sh
SH_TESTS += tests/test-nbd-timeouts.sh
SH_TESTS += tests/test-nbd-idle-1000.sh
SH_TESTS += tests/test-nbd-reload.sh
SH_TESTS += tests/test-nbd-enospc.sh
SH_TESTS += tests/test-nbd-privdrop.sh
SH_TESTS += tests/test-nbd-sync-requests.sh
SH_TESTS += tests/test-http-get.sh tests/test-http-head.sh tests/test-http-range.sh \
	tests/test-http-keepalive.sh tests/test-http-boot-ipxe.sh tests/test-http-traversal.sh \
	tests/test-http-bad-input.sh tests/test-http-large.sh tests/test-http-events.sh \
	tests/test-http-limits.sh tests/test-http-timeout.sh tests/test-http-reload.sh
SH_TESTS += tests/test-dhcp-full-udhcpc.sh
SH_TESTS += tests/test-dhcp-full-dhclient.sh
SH_TESTS += tests/test-dhcp-lease-restart.sh
SH_TESTS += tests/test-dhcp-proxy-arch.sh
SH_TESTS += tests/test-dhcp-rogue.sh
SH_TESTS += tests/test-dhcp-relay.sh
SH_TESTS += tests/test-dhcp-ra.sh
SH_TESTS += tests/test-dhcp-bad-input.sh
SH_TESTS += tests/test-dhcp-release-decline.sh
EXTRA_DIST += tests/pxe-client.py
SH_TESTS += tests/test-tftp-clients.sh tests/test-tftp-rollover.sh tests/test-tftp-wrq.sh \
	tests/test-tftp-traversal.sh tests/test-tftp-abandoned.sh tests/test-tftp-busy.sh \
	tests/test-tftp-bad-input.sh tests/test-tftp-retransmit.sh tests/test-tftp-pxelinux-cfg.sh
EXTRA_DIST += tests/tftp-raw.py
SH_TESTS += tests/test-dhcp-reservation.sh
SH_TESTS += tests/test-dhcp-multi-iface.sh
SH_TESTS += tests/test-boot-render-nbd.sh
SH_TESTS += tests/test-dhcp-relay-agent-info.sh
SH_TESTS += tests/test-boot-loaders.sh
SH_TESTS += tests/test-bootd-privdrop.sh
SH_TESTS += tests/test-bootd-lifecycle.sh
