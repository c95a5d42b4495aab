#!/bin/sh
# Import benchmark: `lanroot image import` of a 2 GiB sparse ext4 image
# holding real files, side by side with `cp --sparse=always` of the same
# file to the same file system.  Prints the median of REPEAT runs of each
# and the ratio cp/lanroot (≥ 1.0 means lanroot is at least as fast).
#
# lanroot does more than cp: it hashes every chunk (on a second thread
# while copying), records the version in the registry, and makes the
# version durable (fsync) before the registry points at it.  cp leaves its
# copy in the page cache.  So the script also times cp followed by
# `sync FILE` (the same durability) and prints that ratio too.
#
# Usage: bench/bench-import.sh   (from the build directory; `make bench`)
# Environment:
#   BENCH_DIR   work directory (default /var/tmp/lanroot-bench); the image
#               and its source tree are kept there for the next run
#   LANROOT     the lanroot program (default ./admin/lanroot, else PATH)
#   REPEAT      runs of each command (default 3)
#   DATA_MIB    MiB of files put into the image (default 300)
set -eu

BENCH_DIR=${BENCH_DIR:-/var/tmp/lanroot-bench}
REPEAT=${REPEAT:-3}
DATA_MIB=${DATA_MIB:-300}
IMAGE_SIZE=2G
IMAGE_NAME=bench

if [ -z "${LANROOT:-}" ]; then
	if [ -x ./admin/lanroot ]; then
		LANROOT=$(pwd)/admin/lanroot
	else
		LANROOT=$(command -v lanroot || true)
	fi
fi
if [ -z "$LANROOT" ] || [ ! -x "$LANROOT" ]; then
	echo "$0: lanroot not found; build it (make) or set LANROOT" >&2
	exit 77
fi
for tool in mkfs.ext4 cp sync awk tar; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$0: skipped: $tool is missing" >&2
		exit 77
	fi
done

mkdir -p "$BENCH_DIR"
tree=$BENCH_DIR/tree
img=$BENCH_DIR/image-$IMAGE_SIZE.ext4
run=$BENCH_DIR/run.$$

cleanup() {
	rm -rf "$run"
}
trap cleanup EXIT INT TERM
mkdir -p "$run"

# ---- the source tree: real files (libraries, data), DATA_MIB in all ------
make_tree() {
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	limit=$((DATA_MIB * 1024 * 1024))
	# Files from /usr/lib and /usr/share in a stable order, up to the limit.
	find /usr/lib /usr/share -xdev -type f -readable -size +0 -printf '%s %p\n' \
		2>/dev/null | sort -k2 | awk -v limit="$limit" '
		{ if (total + $1 > limit) exit; total += $1;
		  sub(/^[0-9]+ /, ""); print }' >"$run/files"
	tar -cf - -T "$run/files" 2>/dev/null | tar -xf - -C "$tree.tmp"
	# Top up with random data if the system had too few files.
	have=$(du -sm "$tree.tmp" | awk '{ print $1 }')
	if [ "$have" -lt "$DATA_MIB" ]; then
		head -c $(((DATA_MIB - have) * 1024 * 1024)) /dev/urandom >"$tree.tmp/random.bin"
	fi
	mv "$tree.tmp" "$tree"
}

# ---- the image: a 2 GiB sparse ext4 file system holding the tree ----------
if [ ! -s "$img" ]; then
	echo "building $img from $DATA_MIB MiB of files (once) ..."
	[ -d "$tree" ] || make_tree
	rm -f "$img.tmp"
	truncate -s "$IMAGE_SIZE" "$img.tmp"
	mkfs.ext4 -q -F -L bench -d "$tree" "$img.tmp"
	mv "$img.tmp" "$img"
fi
data_mib=$(du -m "$img" | awk '{ print $1 }')
# Read it once so that every run starts with the source in the page cache.
cat "$img" >/dev/null

# now_us — a clock in microseconds.
now_us() {
	t=$(date +%s%N)
	echo $((t / 1000))
}

# median N... — the middle value (lower middle for an even count).
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# seconds US — microseconds as seconds with three decimals.
seconds() {
	awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'
}

cp_times=""
cpsync_times=""
lr_times=""
i=1
while [ "$i" -le "$REPEAT" ]; do
	# cp --sparse=always to a fresh path on the same file system.
	rm -f "$run/copy.img"
	sync
	t0=$(now_us)
	cp --sparse=always "$img" "$run/copy.img"
	t1=$(now_us)
	cp_times="$cp_times $((t1 - t0))"

	# The same, made durable as lanroot makes its versions.
	rm -f "$run/copy.img"
	sync
	t0=$(now_us)
	cp --sparse=always "$img" "$run/copy.img"
	sync "$run/copy.img"
	t1=$(now_us)
	cpsync_times="$cpsync_times $((t1 - t0))"
	rm -f "$run/copy.img"

	# lanroot image import into a throwaway state directory.
	rm -rf "$run/state" "$run/lanroot.conf"
	"$LANROOT" -q -c "$run/lanroot.conf" --state "$run/state" init >/dev/null
	sync
	t0=$(now_us)
	"$LANROOT" -q -c "$run/lanroot.conf" image import "$IMAGE_NAME" "$img" \
		--note "bench run $i" 2>"$run/import.log" >/dev/null || {
		cat "$run/import.log" >&2
		echo "$0: lanroot image import failed" >&2
		exit 1
	}
	t1=$(now_us)
	lr_times="$lr_times $((t1 - t0))"

	if [ "$i" -eq 1 ]; then
		# Once: the imported image is the source, byte for byte.
		cmp "$img" "$run/state/images/$IMAGE_NAME/1/rootfs.img" || {
			echo "$0: the imported image differs from the source" >&2
			exit 1
		}
	fi
	i=$((i + 1))
done

# shellcheck disable=SC2086 # word splitting of the lists is intended
cp_med=$(median $cp_times)
# shellcheck disable=SC2086
cpsync_med=$(median $cpsync_times)
# shellcheck disable=SC2086
lr_med=$(median $lr_times)

echo "import of a $IMAGE_SIZE sparse ext4 image with $data_mib MiB allocated, median of $REPEAT:"
echo "  cp --sparse=always              $(seconds "$cp_med") s"
echo "  cp --sparse=always + sync FILE  $(seconds "$cpsync_med") s"
echo "  lanroot image import            $(seconds "$lr_med") s"
awk -v a="$cp_med" -v b="$lr_med" -v c="$cpsync_med" 'BEGIN {
	printf "  ratio cp/lanroot               %.2f  (goal >= 1.0)\n", a / b
	printf "  ratio (cp + sync)/lanroot      %.2f\n", c / b
}'
