# bench/: benchmarks against peer programs (run by hand: make bench).
EXTRA_DIST += bench/RESULTS.md bench/bench-import.sh bench/bench-overlay.sh bench/bench-nbd.sh \
	bench/bench-tftp.sh bench/bench-http.sh bench/bench-dhcp.sh bench/functions.sh
noinst_PROGRAMS += bench/overlay-load
bench_overlay_load_SOURCES = bench/overlay-load.c
bench_overlay_load_LDADD = images/libimages.la
# A one-process TFTP load client (many transfers at once) for bench-tftp.sh.
noinst_PROGRAMS += bench/tftp-load
bench_tftp_load_SOURCES = bench/tftp-load.c
bench_tftp_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/bootserver
bench_tftp_load_LDADD = common/libcommon.la

bench: all bench/overlay-load bench/tftp-load
	$(SHELL) $(srcdir)/bench/bench-import.sh
	$(SHELL) $(srcdir)/bench/bench-overlay.sh
	$(SHELL) $(srcdir)/bench/bench-nbd.sh
	$(SHELL) $(srcdir)/bench/bench-tftp.sh
	$(SHELL) $(srcdir)/bench/bench-http.sh
	$(SHELL) $(srcdir)/bench/bench-dhcp.sh
.PHONY: bench
