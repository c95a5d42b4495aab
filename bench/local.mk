# bench/: benchmarks against peer programs (run by hand: make bench).
EXTRA_DIST += bench/RESULTS.md bench/bench-import.sh bench/bench-overlay.sh bench/bench-nbd.sh
noinst_PROGRAMS += bench/overlay-load
bench_overlay_load_SOURCES = bench/overlay-load.c
bench_overlay_load_LDADD = images/libimages.la

bench: all bench/overlay-load
	$(SHELL) $(srcdir)/bench/bench-import.sh
	$(SHELL) $(srcdir)/bench/bench-overlay.sh
	$(SHELL) $(srcdir)/bench/bench-nbd.sh
.PHONY: bench
