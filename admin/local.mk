# admin/: the `lanroot` admin tool.
sbin_PROGRAMS += admin/lanroot
admin_lanroot_SOURCES = \
	admin/admin.h admin/main.c admin/cli.c \
	admin/cmd-init.c admin/cmd-image.c admin/cmd-group.c admin/cmd-client.c \
	admin/cmd-status.c
admin_lanroot_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
admin_lanroot_LDADD = images/libimages.la
