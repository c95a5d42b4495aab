/* overlay-load: drive the overlay engine directly with a random I/O
 * pattern and print the rate, for bench/bench-overlay.sh.
 *
 *   overlay-load --dir D --base FILE --ops N --mode randwrite|randread
 *                [--bs 4096] [--flush-every 64] [--seed S] [--create]
 *                [--base-id ID] [--cluster-size N]
 *
 * randwrite: N writes of --bs bytes at random --bs-aligned offsets, an
 * overlay_flush() after every --flush-every writes and once at the end
 * (the same pattern as fio --rw=randwrite --fdatasync=N).
 * randread: N reads of --bs bytes at random aligned offsets.
 * Prints one line: mode=… ops=… bs=… seconds=… ops_per_s=… mib_per_s=…
 * clusters=… data_clusters=… (the last two: how much of the disk the
 * overlay holds afterwards, i.e. what share of random reads hit it).
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "util.h"
#include "overlay.h"

#define DEFAULT_BS 4096u
#define DEFAULT_FLUSH_EVERY 64u
#define DEFAULT_BASE_ID "bench@1:overlay-load"
#define MAX_BS (16u * 1024u * 1024u)
#define EXIT_USAGE 2

enum load_mode {
	MODE_RANDWRITE,
	MODE_RANDREAD,
};

/* What to run. */
struct load_opts {
	const char *dir;	/* overlay directory */
	const char *base;	/* base image */
	const char *base_id;	/* identity given to overlay_open() */
	uint64_t ops;		/* number of I/Os */
	uint32_t bs;		/* bytes per I/O */
	uint32_t flush_every;	/* writes between flushes (0 = only at the end) */
	uint32_t cluster_size;	/* for a new overlay */
	uint64_t seed;		/* random offsets */
	bool create;		/* create the overlay if missing */
	enum load_mode mode;
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: overlay-load --dir DIR --base FILE --ops N "
		"--mode randwrite|randread\n"
		"                    [--bs BYTES] [--flush-every N] [--seed S] [--create]\n"
		"                    [--base-id ID] [--cluster-size BYTES]\n");
}

/** rng_next() - xorshift64*: the next number from the state @s. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * parse_args() - fill @o from the command line.
 * Return 0, or EXIT_USAGE after printing what was wrong.
 */
static int parse_args(int argc, char **argv, struct load_opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "base", required_argument, NULL, 'b' },
		{ "base-id", required_argument, NULL, 'i' },
		{ "ops", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "bs", required_argument, NULL, 's' },
		{ "flush-every", required_argument, NULL, 'f' },
		{ "cluster-size", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'r' },
		{ "create", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*o = (struct load_opts){ .base_id = DEFAULT_BASE_ID, .bs = DEFAULT_BS,
				 .flush_every = DEFAULT_FLUSH_EVERY, .seed = 1,
				 .mode = MODE_RANDWRITE };
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;

		switch (ch) {
		case 'd': o->dir = optarg; break;
		case 'b': o->base = optarg; break;
		case 'i': o->base_id = optarg; break;
		case 'n': rc = parse_u64(optarg, 1, UINT64_MAX, &o->ops); break;
		case 's': rc = parse_u32(optarg, 1, MAX_BS, &o->bs); break;
		case 'f': rc = parse_u32(optarg, 0, UINT32_MAX, &o->flush_every); break;
		case 'c': rc = parse_u32(optarg, 0, OVERLAY_CLUSTER_MAX, &o->cluster_size); break;
		case 'r': rc = parse_u64(optarg, 0, UINT64_MAX, &o->seed); break;
		case 'C': o->create = true; break;
		case 'm':
			if (strcmp(optarg, "randwrite") == 0)
				o->mode = MODE_RANDWRITE;
			else if (strcmp(optarg, "randread") == 0)
				o->mode = MODE_RANDREAD;
			else
				rc = -EINVAL;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (rc < 0) {
			const char *name = "?";

			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == ch)
					name = lo->name;
			fprintf(stderr, "overlay-load: invalid value '%s' for --%s\n", optarg,
				name);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !o->dir || !o->base || o->ops == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct load_opts o;
	struct overlay *ov = NULL;
	struct overlay_stats st;
	uint64_t rng, blocks;
	uint8_t *buf;
	double t0, secs;
	int rc;

	log_init("overlay-load", LOG_TARGET_STDERR, LOG_LVL_INFO);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	rc = overlay_open(o.dir, o.base, o.base_id, o.cluster_size,
			  o.create ? OVERLAY_CREATE : 0, &ov);
	if (rc < 0) {
		fprintf(stderr, "overlay-load: cannot open overlay %s: %s\n", o.dir,
			strerror(-rc));
		return 1;
	}
	blocks = overlay_size(ov) / o.bs;
	if (blocks == 0) {
		fprintf(stderr, "overlay-load: base is smaller than one block of %" PRIu32
			" bytes\n", o.bs);
		overlay_close(ov);
		return 1;
	}
	buf = xmalloc(o.bs);
	rng = o.seed * 0x9e3779b97f4a7c15ull + 1;
	for (uint32_t i = 0; i < o.bs; i++)
		buf[i] = (uint8_t)rng_next(&rng);

	t0 = now_seconds();
	for (uint64_t i = 0; i < o.ops && rc == 0; i++) {
		uint64_t off = (rng_next(&rng) % blocks) * o.bs;

		if (o.mode == MODE_RANDREAD) {
			rc = overlay_read(ov, buf, o.bs, off);
			continue;
		}
		memcpy(buf, &i, sizeof(i) < o.bs ? sizeof(i) : o.bs);
		rc = overlay_write(ov, buf, o.bs, off, 0);
		if (rc == 0 && o.flush_every && (i + 1) % o.flush_every == 0)
			rc = overlay_flush(ov);
	}
	if (rc == 0 && o.mode == MODE_RANDWRITE)
		rc = overlay_flush(ov);
	secs = now_seconds() - t0;
	if (rc < 0) {
		fprintf(stderr, "overlay-load: I/O failed: %s\n", strerror(-rc));
		goto out;
	}
	overlay_stats(ov, &st);
	printf("mode=%s ops=%" PRIu64 " bs=%" PRIu32 " seconds=%.3f ops_per_s=%.0f "
	       "mib_per_s=%.2f clusters=%" PRIu64 " data_clusters=%" PRIu64 "\n",
	       o.mode == MODE_RANDREAD ? "randread" : "randwrite", o.ops, o.bs, secs,
	       (double)o.ops / secs, (double)o.ops * o.bs / secs / (1024.0 * 1024.0),
	       st.clusters, st.data);
out:
	free(buf);
	overlay_close(ov);
	return rc < 0 ? 1 : 0;
}
