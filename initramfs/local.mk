# initramfs/: lanroot-mkinitramfs (issue 5), a shell program.
sbin_SCRIPTS = initramfs/lanroot-mkinitramfs
EXTRA_DIST += initramfs/lanroot-mkinitramfs.in
CLEANFILES += initramfs/lanroot-mkinitramfs
initramfs/lanroot-mkinitramfs: $(srcdir)/initramfs/lanroot-mkinitramfs.in Makefile
	$(AM_V_GEN)$(MKDIR_P) initramfs && \
	sed -e 's|@VERSION[@]|$(VERSION)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/initramfs/lanroot-mkinitramfs.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@
