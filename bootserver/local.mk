# bootserver/: lanroot-bootd (DHCP, TFTP, HTTP; issue 4).
sbin_PROGRAMS += bootserver/lanroot-bootd
bootserver_lanroot_bootd_SOURCES = bootserver/bootd.c bootserver/bootd.h
bootserver_lanroot_bootd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bootserver_lanroot_bootd_LDADD = bootserver/libdhcpserver.la bootserver/libtftpserver.la \
	bootserver/libtftpxfer.la bootserver/libhttpserver.la bootserver/libbootd.la \
	bootserver/libdhcpproto.la bootserver/libtftpproto.la images/libimages.la \
	$(MHD_LIBS) $(JANSSON_LIBS)

# The TFTP wire format (pure functions over buffers), with its unit test.
noinst_LTLIBRARIES += bootserver/libtftpproto.la
bootserver_libtftpproto_la_SOURCES = bootserver/tftp-proto.c bootserver/tftp-proto.h
check_PROGRAMS += bootserver/test-tftp-proto
TESTS += bootserver/test-tftp-proto
bootserver_test_tftp_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_tftp_proto_LDADD = bootserver/libtftpproto.la common/libcommon.la $(CMOCKA_LIBS)

# The DHCPv4 wire format (pure functions over buffers), with its unit test,
# which reads packets captured from real firmware in tests/data/dhcp/.
noinst_LTLIBRARIES += bootserver/libdhcpproto.la
bootserver_libdhcpproto_la_SOURCES = bootserver/dhcp-proto.c bootserver/dhcp-proto.h
check_PROGRAMS += bootserver/test-dhcp-proto
TESTS += bootserver/test-dhcp-proto
bootserver_test_dhcp_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_dhcp_proto_LDADD = bootserver/libdhcpproto.la common/libcommon.la $(CMOCKA_LIBS)
EXTRA_DIST += tests/data/dhcp

# The TFTP transfer state machine (windows, ACKs, timeouts; pure), with its unit test.
noinst_LTLIBRARIES += bootserver/libtftpxfer.la
bootserver_libtftpxfer_la_SOURCES = bootserver/tftp-xfer.c bootserver/tftp-xfer.h
check_PROGRAMS += bootserver/test-tftp-xfer
TESTS += bootserver/test-tftp-xfer
bootserver_test_tftp_xfer_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_tftp_xfer_LDADD = bootserver/libtftpxfer.la bootserver/libtftpproto.la common/libcommon.la $(CMOCKA_LIBS)

# The DHCP server of lanroot-bootd (full and proxy mode, leases, AF_PACKET
# sends, rogue server detection, router advertisements), with the unit
# tests of its pure parts.
noinst_LTLIBRARIES += bootserver/libdhcpserver.la
bootserver_libdhcpserver_la_SOURCES = bootserver/dhcp-server.c bootserver/dhcp-server.h \
	bootserver/leases.c bootserver/leases.h bootserver/rawsend.c bootserver/rawsend.h \
	bootserver/rogue.c bootserver/rogue.h bootserver/ra.c bootserver/ra.h
bootserver_libdhcpserver_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
check_PROGRAMS += bootserver/test-leases
TESTS += bootserver/test-leases
bootserver_test_leases_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_leases_LDADD = bootserver/libdhcpserver.la common/libcommon.la $(CMOCKA_LIBS)
check_PROGRAMS += bootserver/test-rawsend bootserver/test-rogue
TESTS += bootserver/test-rawsend bootserver/test-rogue
bootserver_test_rawsend_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_rawsend_LDADD = bootserver/libdhcpserver.la common/libcommon.la $(CMOCKA_LIBS)
bootserver_test_rogue_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
bootserver_test_rogue_LDADD = bootserver/libdhcpserver.la bootserver/libdhcpproto.la \
	common/libcommon.la $(CMOCKA_LIBS) $(JANSSON_LIBS)

# The HTTP server of lanroot-bootd (libmicrohttpd inside bootd's loop), and
# its request parsing (ranges, percent-decoding, dates) with a unit test.
# lanroot-bootd links it with $(MHD_LIBS).
noinst_LTLIBRARIES += bootserver/libhttpserver.la
bootserver_libhttpserver_la_SOURCES = bootserver/http.c bootserver/http.h \
	bootserver/http-parse.c bootserver/http-parse.h
bootserver_libhttpserver_la_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JANSSON_CFLAGS)
check_PROGRAMS += bootserver/test-http-parse
TESTS += bootserver/test-http-parse
bootserver_test_http_parse_SOURCES = bootserver/test-http-parse.c bootserver/http-parse.c
bootserver_test_http_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
bootserver_test_http_parse_LDADD = common/libcommon.la $(CMOCKA_LIBS)

# Boot choice and rendering, the served name space and the client map
# (bootcfg.c, vfs.c, clientmap.c), with their unit tests.
noinst_LTLIBRARIES += bootserver/libbootd.la
bootserver_libbootd_la_SOURCES = bootserver/bootcfg.c bootserver/bootcfg.h \
	bootserver/vfs.c bootserver/vfs.h bootserver/clientmap.c bootserver/clientmap.h
bootserver_libbootd_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
BOOTD_TESTS = bootserver/test-bootcfg bootserver/test-vfs bootserver/test-clientmap
check_PROGRAMS += $(BOOTD_TESTS)
TESTS += $(BOOTD_TESTS)
BOOTD_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) -I$(top_srcdir)/tests/unit
BOOTD_TEST_LDADD = bootserver/libbootd.la tests/unit/libtestutil.la images/libimages.la \
	$(CMOCKA_LIBS)
bootserver_test_bootcfg_SOURCES = bootserver/test-bootcfg.c bootserver/test-bootfix.c \
	bootserver/test-bootfix.h
bootserver_test_bootcfg_CFLAGS = $(BOOTD_TEST_CFLAGS)
bootserver_test_bootcfg_LDADD = $(BOOTD_TEST_LDADD) bootserver/libdhcpproto.la
bootserver_test_vfs_SOURCES = bootserver/test-vfs.c bootserver/test-bootfix.c \
	bootserver/test-bootfix.h
bootserver_test_vfs_CFLAGS = $(BOOTD_TEST_CFLAGS)
bootserver_test_vfs_LDADD = $(BOOTD_TEST_LDADD)
bootserver_test_clientmap_CFLAGS = $(BOOTD_TEST_CFLAGS)
bootserver_test_clientmap_LDADD = $(BOOTD_TEST_LDADD)

# The systemd unit, with the install paths filled in (tests/test-bootd-unit.sh).
systemdunit_DATA += bootserver/lanroot-bootd.service
EXTRA_DIST += bootserver/lanroot-bootd.service.in
CLEANFILES += bootserver/lanroot-bootd.service
bootserver/lanroot-bootd.service: $(srcdir)/bootserver/lanroot-bootd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) bootserver && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/bootserver/lanroot-bootd.service.in > $@.tmp && mv $@.tmp $@

# The TFTP server of lanroot-bootd (sockets, transfers, limits, events).
noinst_LTLIBRARIES += bootserver/libtftpserver.la
bootserver_libtftpserver_la_SOURCES = bootserver/tftp-server.c bootserver/tftp-server.h
bootserver_libtftpserver_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
