# bootserver/: lanroot-bootd (DHCP, TFTP, HTTP; issue 4).
sbin_PROGRAMS += bootserver/lanroot-bootd
bootserver_lanroot_bootd_SOURCES = bootserver/bootd.c
bootserver_lanroot_bootd_LDADD = images/libimages.la

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
