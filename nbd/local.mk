# nbd/: lanroot-blockd (the NBD server; issue 3).
sbin_PROGRAMS += nbd/lanroot-blockd
nbd_lanroot_blockd_SOURCES = nbd/blockd.c
nbd_lanroot_blockd_LDADD = images/libimages.la
