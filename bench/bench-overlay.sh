#!/bin/sh
# bench-overlay.sh — the overlay engine against a plain file.
#
# Random 4 KiB writes with a flush every 64 writes, then random 4 KiB reads,
# on a 1 GiB base: once through the overlay engine (bench/overlay-load), once
# with fio on a plain 1 GiB file on the same file system (the ceiling:
# --ioengine=psync --rw=randwrite --bs=4k --fdatasync=64, then randread).
# Prints both rates and their ratio; the goal is >= 0.5x of the plain file.
#
# The base is fully written (random bytes, not sparse), so base reads hit
# real data.  Reads run after the writes: a read hits the overlay with the
# probability printed as "overlay share", the base otherwise.  Everything runs
# warm: the files were just written and stay in the page cache; nothing is
# dropped from any cache (fio runs with --invalidate=0).
#
# Environment: BENCH_DIR (default /var/tmp/lanroot-bench; use a real disk,
# not tmpfs), OPS (I/Os per run, default 50000), ROUNDS (default 3; the
# median counts), SIZE_MIB (default 1024),
# OVERLAY_LOAD (path of overlay-load; default $top_builddir/bench/overlay-load),
# KEEP=1 keeps the files.
set -eu

BENCH_DIR=${BENCH_DIR:-/var/tmp/lanroot-bench}
OPS=${OPS:-50000}
ROUNDS=${ROUNDS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
BS=4096
FLUSH_EVERY=64
LOAD=${OVERLAY_LOAD:-${top_builddir:-.}/bench/overlay-load}

if ! command -v fio >/dev/null 2>&1; then
	echo "bench-overlay: fio not found (scripts/install-deps installs it)" >&2
	exit 77
fi
if [ ! -x "$LOAD" ]; then
	echo "bench-overlay: $LOAD not built (make bench/overlay-load)" >&2
	exit 1
fi

work="$BENCH_DIR/overlay"
base="$work/base.img"
plain="$work/plain.img"
ovdir="$work/client"
mkdir -p "$work"
cleanup() {
	if [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$ovdir" "$base" "$plain"
		rmdir "$work" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

echo "bench-overlay: $SIZE_MIB MiB base, $OPS random ${BS}-byte I/Os per run, in $work"
echo "file system: $(df -T "$work" | awk 'NR == 2 { print $2 " on " $1 }'), warm page cache"

dd if=/dev/urandom of="$base" bs=1M count="$SIZE_MIB" status=none
cp --sparse=never "$base" "$plain"
sync -f "$work" 2>/dev/null || sync
sleep 5		# let the disk settle after writing 2 GiB

# field() - value of KEY=VALUE in a line from overlay-load.
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# fio_iops MODE - I/Os per second of fio on the plain file (terse v3:
# field 8 = read IOPS, field 49 = write IOPS).
fio_iops() {
	fio --name=plain --filename="$plain" --size="${SIZE_MIB}M" --ioengine=psync \
	    --rw="$1" --bs="$BS" --fdatasync="$FLUSH_EVERY" --io_size=$((OPS * BS)) \
	    --invalidate=0 --randrepeat=0 --output-format=terse |
	awk -F';' -v mode="$1" '{ print (mode == "randread" ? $8 : $49) }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

mib() {
	awk -v ops="$1" -v bs="$BS" 'BEGIN { printf "%.1f", ops * bs / 1048576 }'
}

# median - the middle one of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# overlay_run - one overlay round on a fresh overlay: writes, then reads.
overlay_run() {
	rm -rf "$ovdir"
	w=$("$LOAD" --create --dir "$ovdir" --base "$base" --ops "$OPS" --mode randwrite \
		--bs "$BS" --flush-every "$FLUSH_EVERY" --seed "$round")
	r=$("$LOAD" --dir "$ovdir" --base "$base" --ops "$OPS" --mode randread --bs "$BS" \
		--seed "$((round + 1000))")
	field "$w" ops_per_s >>"$work/ov_w"
	field "$r" ops_per_s >>"$work/ov_r"
	share=$(awk -v d="$(field "$r" data_clusters)" -v c="$(field "$r" clusters)" \
		'BEGIN { printf "%.0f%%", 100 * d / c }')
}

# fio_run - one fio round on the plain file: writes, then reads.
fio_run() {
	fio_iops randwrite >>"$work/fio_w"
	fio_iops randread >>"$work/fio_r"
}

# The disk's speed drifts (other writers, the host's cache): rounds
# alternate which side goes first; the rates printed are the medians of each
# side, the ratio is the median of the rounds' own ratios (each compares two
# runs made a few seconds apart).
rm -f "$work/ov_w" "$work/ov_r" "$work/fio_w" "$work/fio_r" "$work/ratio_w" "$work/ratio_r"
round=1
while [ "$round" -le "$ROUNDS" ]; do
	if [ $((round % 2)) -eq 1 ]; then overlay_run; fio_run; else fio_run; overlay_run; fi
	rw=$(ratio "$(tail -n 1 "$work/ov_w")" "$(tail -n 1 "$work/fio_w")")
	rr=$(ratio "$(tail -n 1 "$work/ov_r")" "$(tail -n 1 "$work/fio_r")")
	echo "$rw" >>"$work/ratio_w"
	echo "$rr" >>"$work/ratio_r"
	echo "round $round: overlay write $(tail -n 1 "$work/ov_w")/s read $(tail -n 1 "$work/ov_r")/s;" \
	     "plain write $(tail -n 1 "$work/fio_w")/s read $(tail -n 1 "$work/fio_r")/s;" \
	     "ratio write ${rw}x read ${rr}x"
	round=$((round + 1))
done
ov_w=$(median <"$work/ov_w")
ov_r=$(median <"$work/ov_r")
fio_w=$(median <"$work/fio_w")
fio_r=$(median <"$work/fio_r")
ratio_w=$(median <"$work/ratio_w")
ratio_r=$(median <"$work/ratio_r")
rm -f "$work/ov_w" "$work/ov_r" "$work/fio_w" "$work/fio_r" "$work/ratio_w" "$work/ratio_r"

echo
echo "median of $ROUNDS rounds (ratio: median of the rounds' own ratios):"
printf '%-44s %12s %10s %12s %10s %7s\n' "pattern" "overlay/s" "MiB/s" "plain/s" "MiB/s" "ratio"
printf '%-44s %12s %10s %12s %10s %7s\n' \
	"randwrite 4k, flush every $FLUSH_EVERY" "$ov_w" "$(mib "$ov_w")" \
	"$fio_w" "$(mib "$fio_w")" "${ratio_w}x"
printf '%-44s %12s %10s %12s %10s %7s\n' \
	"randread 4k (overlay share $share)" "$ov_r" "$(mib "$ov_r")" \
	"$fio_r" "$(mib "$fio_r")" "${ratio_r}x"
echo "goal: ratio >= 0.5x of the plain file"
