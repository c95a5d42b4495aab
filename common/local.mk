# common/: libcommon, shared by every program.
noinst_LTLIBRARIES += common/libcommon.la
common_libcommon_la_SOURCES = \
	common/log.c common/log.h common/events.h \
	common/util.c common/util.h common/wire.h \
	common/parse.c common/parse.h \
	common/addr.c common/addr.h \
	common/daemon.c common/daemon.h \
	common/mac.c common/mac.h \
	common/token.c common/token.h \
	common/beneath.c common/beneath.h \
	common/evloop.c common/evloop.h \
	common/conf.c common/conf.h \
	common/ctl.c common/ctl.h
common_libcommon_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS) $(GNUTLS_CFLAGS)
common_libcommon_la_LIBADD = $(INIH_LIBS) $(JANSSON_LIBS) $(GNUTLS_LIBS)

COMMON_TESTS = common/test-log common/test-util common/test-parse common/test-mac \
	common/test-token common/test-beneath common/test-evloop common/test-conf common/test-ctl \
	common/test-addr
check_PROGRAMS += $(COMMON_TESTS)
TESTS += $(COMMON_TESTS)
COMMON_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) \
	-I$(top_srcdir)/tests/unit
COMMON_TEST_LDADD = tests/unit/libtestutil.la common/libcommon.la $(CMOCKA_LIBS)
common_test_log_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_log_LDADD = $(COMMON_TEST_LDADD)
common_test_util_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_util_LDADD = $(COMMON_TEST_LDADD)
common_test_parse_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_parse_LDADD = $(COMMON_TEST_LDADD)
common_test_mac_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_mac_LDADD = $(COMMON_TEST_LDADD)
common_test_token_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_token_LDADD = $(COMMON_TEST_LDADD)
common_test_beneath_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_beneath_LDADD = $(COMMON_TEST_LDADD)
common_test_evloop_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_evloop_LDADD = $(COMMON_TEST_LDADD)
common_test_conf_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_conf_LDADD = $(COMMON_TEST_LDADD)
common_test_ctl_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_ctl_LDADD = $(COMMON_TEST_LDADD)
common_test_addr_CFLAGS = $(COMMON_TEST_CFLAGS)
common_test_addr_LDADD = $(COMMON_TEST_LDADD)
