# doc/: man pages.
dist_man_MANS += doc/lanroot.8 doc/lanroot-blockd.8 doc/lanroot-bootd.8 doc/lanroot.conf.5
