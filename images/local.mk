# images/: libimages — registry, image store, overlay engine.
noinst_LTLIBRARIES += images/libimages.la
images_libimages_la_SOURCES = \
	images/progress.h \
	images/chunkpool.c images/chunkpool.h \
	images/registry.c images/registry.h \
	images/digest.c images/digest.h \
	images/copy.c images/copy.h \
	images/store.c images/store.h \
	images/fsformat.c images/fsformat.h \
	images/tarsafe.c images/import.c images/import.h \
	images/overlay.c images/overlay.h \
	images/capture.c images/capture.h \
	images/export.c images/export.h \
	images/diff.c images/diff.h \
	images/bootpolicy.c images/bootpolicy.h
images_libimages_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS) \
	$(GNUTLS_CFLAGS) $(ARCHIVE_CFLAGS)
images_libimages_la_LIBADD = common/libcommon.la $(SQLITE_LIBS) $(JANSSON_LIBS) \
	$(GNUTLS_LIBS) $(ARCHIVE_LIBS) -lpthread

IMAGES_TESTS = images/test-registry images/test-digest images/test-copy \
	images/test-store images/test-import images/test-tarsafe \
	images/test-overlay images/test-overlay-crash images/test-export \
	images/test-diff images/test-chunkpool images/test-bootpolicy
check_PROGRAMS += $(IMAGES_TESTS)
TESTS += $(IMAGES_TESTS)
IMAGES_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/tests/unit
IMAGES_TEST_LDADD = tests/unit/libtestutil.la images/libimages.la $(CMOCKA_LIBS)
images_test_registry_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_registry_LDADD = $(IMAGES_TEST_LDADD)
images_test_digest_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_digest_LDADD = $(IMAGES_TEST_LDADD)
images_test_copy_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_copy_LDADD = $(IMAGES_TEST_LDADD)
images_test_store_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_store_LDADD = $(IMAGES_TEST_LDADD)
images_test_import_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_import_LDADD = $(IMAGES_TEST_LDADD)
images_test_tarsafe_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_tarsafe_LDADD = $(IMAGES_TEST_LDADD)
images_test_overlay_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_overlay_LDADD = $(IMAGES_TEST_LDADD)
images_test_overlay_crash_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_overlay_crash_LDADD = $(IMAGES_TEST_LDADD)
images_test_export_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_export_LDADD = $(IMAGES_TEST_LDADD)
images_test_diff_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_diff_LDADD = $(IMAGES_TEST_LDADD)
images_test_chunkpool_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_chunkpool_LDADD = $(IMAGES_TEST_LDADD)
images_test_bootpolicy_CFLAGS = $(IMAGES_TEST_CFLAGS)
images_test_bootpolicy_LDADD = $(IMAGES_TEST_LDADD)
