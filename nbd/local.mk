# nbd/: lanroot-blockd (the NBD server; issue 3).
sbin_PROGRAMS += nbd/lanroot-blockd
nbd_lanroot_blockd_SOURCES = nbd/blockd.c nbd/server.c nbd/server.h nbd/conn.c \
	nbd/resolve.c nbd/ctlcmd.c nbd/backend.c nbd/backend.h nbd/iopool.c nbd/iopool.h
nbd_lanroot_blockd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
nbd_lanroot_blockd_LDADD = nbd/libnbdproto.la nbd/libnbdtls.la images/libimages.la \
	$(GNUTLS_LIBS) $(JANSSON_LIBS) -lpthread

# The NBD wire format (pure functions over buffers), with its unit test.
noinst_LTLIBRARIES += nbd/libnbdproto.la
nbd_libnbdproto_la_SOURCES = nbd/nbd-proto.c nbd/nbd-proto.h
check_PROGRAMS += nbd/test-nbd-proto
TESTS += nbd/test-nbd-proto
nbd_test_nbd_proto_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
nbd_test_nbd_proto_LDADD = nbd/libnbdproto.la common/libcommon.la $(CMOCKA_LIBS)

# The systemd unit, with the install paths filled in.  It goes to
# $(systemdsystemunitdir) when configure defines that, else under the prefix.
systemdunitdir = $(if $(systemdsystemunitdir),$(systemdsystemunitdir),$(prefix)/lib/systemd/system)
systemdunit_DATA = nbd/lanroot-blockd.service
EXTRA_DIST += nbd/lanroot-blockd.service.in
CLEANFILES += nbd/lanroot-blockd.service
nbd/lanroot-blockd.service: $(srcdir)/nbd/lanroot-blockd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) nbd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/nbd/lanroot-blockd.service.in > $@.tmp && mv $@.tmp $@
# tests/test-blockd-unit.sh compares the unit with these.
AM_TESTS_ENVIRONMENT += LR_SBINDIR='$(sbindir)'; LR_SYSCONFDIR='$(sysconfdir)'; \
	LR_SYSTEMDUNITDIR='$(systemdunitdir)'; export LR_SBINDIR LR_SYSCONFDIR LR_SYSTEMDUNITDIR;

# TLS (GnuTLS credentials and non-blocking sessions), with its unit test.
# Uses libcommon (err_set, read_full, log_warn): link common/libcommon.la too.
noinst_LTLIBRARIES += nbd/libnbdtls.la
nbd_libnbdtls_la_SOURCES = nbd/tls.c nbd/tls.h
nbd_libnbdtls_la_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)
nbd_libnbdtls_la_LIBADD = $(GNUTLS_LIBS)
check_PROGRAMS += nbd/test-tls
TESTS += nbd/test-tls
nbd_test_tls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(GNUTLS_CFLAGS) -I$(top_srcdir)/tests/unit
nbd_test_tls_LDADD = tests/unit/libtestutil.la nbd/libnbdtls.la common/libcommon.la \
	$(GNUTLS_LIBS) $(CMOCKA_LIBS) -lpthread

# The disk I/O worker pool, with its unit test.
check_PROGRAMS += nbd/test-iopool
TESTS += nbd/test-iopool
nbd_test_iopool_SOURCES = nbd/test-iopool.c nbd/iopool.c nbd/iopool.h
nbd_test_iopool_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
nbd_test_iopool_LDADD = common/libcommon.la $(CMOCKA_LIBS) -lpthread
