# admin/: the `lanroot` admin tool.
sbin_PROGRAMS += admin/lanroot
admin_lanroot_SOURCES = \
	admin/admin.h admin/main.c admin/cli.c \
	admin/cmd-init.c admin/cmd-image.c admin/cmd-group.c admin/cmd-client.c \
	admin/cmd-status.c admin/blockd-ctl.c
admin_lanroot_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
admin_lanroot_LDADD = images/libimages.la

# The control-socket calls against a fake lanroot-blockd.
check_PROGRAMS += admin/test-blockd-ctl
TESTS += admin/test-blockd-ctl
admin_test_blockd_ctl_SOURCES = admin/test-blockd-ctl.c admin/blockd-ctl.c admin/admin.h
admin_test_blockd_ctl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) \
	-I$(top_srcdir)/tests/unit
admin_test_blockd_ctl_LDADD = tests/unit/libtestutil.la images/libimages.la $(CMOCKA_LIBS)
