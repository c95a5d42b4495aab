# bootserver/: lanroot-bootd (DHCP, TFTP, HTTP; issue 4).
sbin_PROGRAMS += bootserver/lanroot-bootd
bootserver_lanroot_bootd_SOURCES = bootserver/bootd.c
bootserver_lanroot_bootd_LDADD = images/libimages.la
