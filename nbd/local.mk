# nbd/: lanroot-blockd (the NBD server; issue 3).
sbin_PROGRAMS += nbd/lanroot-blockd
nbd_lanroot_blockd_SOURCES = nbd/blockd.c
nbd_lanroot_blockd_LDADD = images/libimages.la

# The NBD wire format (pure functions over buffers), with its unit test.
noinst_LTLIBRARIES += nbd/libnbdproto.la
nbd_libnbdproto_la_SOURCES = nbd/nbd-proto.c nbd/nbd-proto.h
check_PROGRAMS += nbd/test-nbd-proto
TESTS += nbd/test-nbd-proto
nbd_test_nbd_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
nbd_test_nbd_proto_LDADD = nbd/libnbdproto.la $(CMOCKA_LIBS)
