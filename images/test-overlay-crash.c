/* Crash test for the overlay engine: SIGKILL at random points.
 *
 * A child process opens one overlay (the same one in every round, so its
 * state builds up) and does random writes, trims and zeroes with a flush
 * now and then, until the parent kills it with SIGKILL after a random
 * delay.  The parent then reopens the overlay and checks every cluster.
 *
 * What is written says what it is: every 512-byte sector of a write carries
 * (magic, write id, cluster, sector) and a fill derived from them, and every
 * sector of the base carries the same with write id 0.  So each sector read
 * back is classified exactly as "base", "zeros", "write N", or garbage
 * (anything else, including a sector of the right write at the wrong place).
 *
 * Before it starts an operation, the child appends it to a log in memory
 * shared with the parent; after overlay_flush() (or a FUA write) returns it
 * records how many logged operations that flush covered.  From the log the
 * parent knows, for each cluster:
 *   durable  the cluster as it was at the start of the round with every
 *            operation covered by the last completed flush applied;
 *   later    the cluster after each operation logged after that flush
 *            that touched it (the last one may have been cut short).
 * The check: each cluster, read as a whole, must equal its durable state or
 * one of its later states.  So every flushed write is there (unless a later
 * write replaced it), and a cluster is never garbage, never another
 * cluster's data, and never a mix of two states.  That per-cluster (4 KiB)
 * atomicity is what the engine gives under SIGKILL: a cluster is written
 * with one pwrite of one page and the page cache survives the kill.  (A
 * power loss may tear a cluster at sector granularity; that is not
 * simulated here.)  The state found becomes the start of the next round.
 *
 * Environment: LR_CRASH_ROUNDS (default 250), LR_CRASH_SEED, LR_CRASH_DIR
 * (where to make the scratch directory; default /dev/shm, where syncs are
 * cheap and a round does many operations, else $TMPDIR or /tmp),
 * LR_CRASH_MAX_DELAY_US (longest wait before the kill, default 20000).
 * Exit 0 if every round passes, 1 otherwise.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "overlay.h"

#define CLUSTER 4096u
#define SECTOR 512u
#define SECTORS_PER_CLUSTER (CLUSTER / SECTOR)
#define CLUSTERS 1024u			/* a 4 MiB base */
#define SECTORS (CLUSTERS * SECTORS_PER_CLUSTER)
#define HOT_CLUSTERS 64u		/* half the operations land here */
#define MAX_OPS 4096u			/* per round; then the child idles */
#define FLUSH_ONE_IN 16			/* chance of a flush after an op */
#define DEFAULT_ROUNDS 250
#define MIN_ROUNDS 200
#define DEFAULT_MAX_DELAY_US 20000
#define BASE_ID "crash@1:test"
#define KILL_IN_OPEN_ONE_IN 10		/* rounds timed from the fork */
#define POLL_NS 100000			/* waiting for the child's open */
#define SHM_DIR "/dev/shm"

#define SECTOR_MAGIC 0x4c524354u	/* "LRCT" */
#define SECTOR_HEADER 20u		/* magic, id, cluster, sector */
#define TAG_BASE 0u			/* the base's sectors carry id 0 */
#define TAG_ZERO UINT32_MAX		/* a sector of zeros */
#define TAG_GARBAGE (UINT32_MAX - 1)	/* anything else */

enum op_type {
	OP_WRITE,
	OP_WRITE_FUA,
	OP_TRIM,
	OP_ZERO,
	OP_ZERO_NO_HOLE,
};

static const char *const op_names[] = { "write", "write-fua", "trim", "zero",
					"zero-no-hole" };

/* One logged operation, in sectors. */
struct op {
	uint32_t type;		/* enum op_type */
	uint32_t id;		/* write id (writes) */
	uint32_t sector;	/* first sector */
	uint32_t count;		/* sectors */
};

/* The log the child fills and the parent reads after the kill. */
struct shared_log {
	uint32_t n_ops;		/* operations logged (started) */
	uint32_t flushed;	/* operations covered by the last completed flush */
	uint32_t flushes;	/* completed flushes */
	uint32_t in_flush;	/* a flush was running */
	int32_t open_rc;	/* 1 until overlay_open() returned, then its rc */
	int32_t op_rc;		/* first failed operation's rc, 0 if none */
	struct op ops[MAX_OPS];
};

/* Totals printed at the end. */
struct totals {
	uint64_t kills;
	uint64_t cluster_checks;
	uint64_t ops;
	uint64_t flushes;
	uint64_t kills_in_flush;
	uint64_t kept_unflushed;	/* clusters holding a later state */
	uint64_t lost_unflushed;	/* clusters back at their durable state
					 * although later ops touched them */
};

/** rng_next() - xorshift64*: the next number of the state @s. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/** sector_fill() - the content of sector @sector of @cluster for write @id. */
static void sector_fill(uint8_t *p, uint32_t id, uint32_t cluster, uint32_t sector)
{
	uint64_t s = (id * 0x9e3779b97f4a7c15ull) ^ (cluster * 0xbf58476d1ce4e5b9ull) ^
		     (sector * 0x94d049bb133111ebull) ^ 0x1234567ull;
	uint32_t magic = SECTOR_MAGIC;
	uint64_t c64 = cluster;

	if (s == 0)
		s = 1;
	memcpy(p, &magic, 4);
	memcpy(p + 4, &id, 4);
	memcpy(p + 8, &c64, 8);
	memcpy(p + 16, &sector, 4);
	for (uint32_t i = SECTOR_HEADER; i < SECTOR; i += 8) {
		uint64_t v = rng_next(&s);

		memcpy(p + i, &v, SECTOR - i < 8 ? SECTOR - i : 8);
	}
}

/** sector_classify() - which tag the sector @p at (@cluster, @sector) holds. */
static uint32_t sector_classify(const uint8_t *p, uint32_t cluster, uint32_t sector)
{
	uint8_t expect[SECTOR];
	uint32_t magic, id, sec;
	uint64_t c64;
	bool zero = true;

	for (uint32_t i = 0; i < SECTOR && zero; i++)
		zero = p[i] == 0;
	if (zero)
		return TAG_ZERO;
	memcpy(&magic, p, 4);
	memcpy(&id, p + 4, 4);
	memcpy(&c64, p + 8, 8);
	memcpy(&sec, p + 16, 4);
	if (magic != SECTOR_MAGIC || c64 != cluster || sec != sector ||
	    id == TAG_ZERO || id == TAG_GARBAGE)
		return TAG_GARBAGE;
	sector_fill(expect, id, cluster, sector);
	return memcmp(expect, p, SECTOR) == 0 ? id : TAG_GARBAGE;
}

/** op_apply() - what operation @o does to the sector tags @tags. */
static void op_apply(uint32_t *tags, const struct op *o)
{
	uint32_t end = o->sector + o->count;

	switch (o->type) {
	case OP_WRITE:
	case OP_WRITE_FUA:
		for (uint32_t s = o->sector; s < end; s++)
			tags[s] = o->id;
		break;
	case OP_TRIM:
		/* Whole clusters read as zeros; partial ones are left. */
		for (uint32_t s = o->sector; s < end; s++) {
			uint32_t first = s / SECTORS_PER_CLUSTER * SECTORS_PER_CLUSTER;

			if (first >= o->sector && first + SECTORS_PER_CLUSTER <= end)
				tags[s] = TAG_ZERO;
		}
		break;
	default:
		for (uint32_t s = o->sector; s < end; s++)
			tags[s] = TAG_ZERO;
		break;
	}
}

/** op_random() - a random operation for write id @id. */
static struct op op_random(uint64_t *rng, uint32_t id)
{
	uint32_t pick = (uint32_t)(rng_next(rng) % 100);
	uint32_t area = rng_next(rng) % 2 ? HOT_CLUSTERS : CLUSTERS;
	uint32_t cluster = (uint32_t)(rng_next(rng) % area);
	struct op o = { OP_WRITE, id, cluster * SECTORS_PER_CLUSTER, SECTORS_PER_CLUSTER };

	if (pick < 35) {
		/* one aligned cluster */
	} else if (pick < 55) {
		o.count = (uint32_t)(2 + rng_next(rng) % 7) * SECTORS_PER_CLUSTER;
	} else if (pick < 80) {
		o.sector += (uint32_t)(rng_next(rng) % SECTORS_PER_CLUSTER);
		o.count = (uint32_t)(1 + rng_next(rng) % (2 * SECTORS_PER_CLUSTER));
	} else if (pick < 85) {
		o.type = OP_WRITE_FUA;
		o.sector += (uint32_t)(rng_next(rng) % SECTORS_PER_CLUSTER);
		o.count = (uint32_t)(1 + rng_next(rng) % (3 * SECTORS_PER_CLUSTER));
	} else {
		o.type = pick < 90 ? OP_TRIM : pick < 95 ? OP_ZERO : OP_ZERO_NO_HOLE;
		o.sector += (uint32_t)(rng_next(rng) % SECTORS_PER_CLUSTER);
		o.count = (uint32_t)(1 + rng_next(rng) % (4 * SECTORS_PER_CLUSTER));
	}
	if (o.sector + o.count > SECTORS)
		o.count = SECTORS - o.sector;
	return o;
}

/** op_run() - do @o on the overlay. */
static int op_run(struct overlay *ov, const struct op *o, uint8_t *buf)
{
	uint64_t off = (uint64_t)o->sector * SECTOR;
	uint64_t len = (uint64_t)o->count * SECTOR;

	switch (o->type) {
	case OP_WRITE:
	case OP_WRITE_FUA:
		for (uint32_t k = 0; k < o->count; k++) {
			uint32_t s = o->sector + k;

			sector_fill(buf + k * SECTOR, o->id, s / SECTORS_PER_CLUSTER,
				    s % SECTORS_PER_CLUSTER);
		}
		return overlay_write(ov, buf, len, off,
				     o->type == OP_WRITE_FUA ? OVERLAY_FUA : 0);
	case OP_TRIM:
		return overlay_trim(ov, off, len);
	case OP_ZERO:
		return overlay_zero(ov, off, len, 0);
	default:
		return overlay_zero(ov, off, len, OVERLAY_NO_HOLE);
	}
}

/**
 * child_main() - round @round: do random operations until killed.
 * Never returns.
 */
static void child_main(const char *dir, const char *base, struct shared_log *lg,
		       uint32_t round, uint64_t seed)
{
	uint64_t rng = seed ^ (round * 0xd1b54a32d192ed03ull) ^ 1;
	uint8_t *buf = xmalloc((size_t)SECTORS_PER_CLUSTER * 8 * SECTOR);
	struct overlay *ov = NULL;
	int rc;

	rc = overlay_open(dir, base, BASE_ID, 0, 0, &ov);
	__atomic_store_n(&lg->open_rc, rc, __ATOMIC_SEQ_CST);
	if (rc < 0)
		_exit(2);
	for (uint32_t i = 0; i < MAX_OPS; i++) {
		struct op o = op_random(&rng, round * MAX_OPS + i + 1);

		lg->ops[i] = o;
		__atomic_store_n(&lg->n_ops, i + 1, __ATOMIC_SEQ_CST);
		rc = op_run(ov, &o, buf);
		if (rc < 0)
			goto fail;
		if (o.type == OP_WRITE_FUA)
			__atomic_store_n(&lg->flushed, i + 1, __ATOMIC_SEQ_CST);
		if (rng_next(&rng) % FLUSH_ONE_IN == 0) {
			__atomic_store_n(&lg->in_flush, 1, __ATOMIC_SEQ_CST);
			rc = overlay_flush(ov);
			if (rc < 0)
				goto fail;
			__atomic_store_n(&lg->flushed, i + 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&lg->flushes, lg->flushes + 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&lg->in_flush, 0, __ATOMIC_SEQ_CST);
		}
	}
	/* Log full: wait for the kill. */
	for (;;)
		pause();
fail:
	__atomic_store_n(&lg->op_rc, rc, __ATOMIC_SEQ_CST);
	_exit(3);
}

/** make_base() - the base: every sector tagged with write id 0. */
static int make_base(const char *path)
{
	uint8_t *buf = xmalloc((size_t)SECTORS * SECTOR);
	char *data;
	int rc;

	for (uint32_t s = 0; s < SECTORS; s++)
		sector_fill(buf + (size_t)s * SECTOR, TAG_BASE, s / SECTORS_PER_CLUSTER,
			    s % SECTORS_PER_CLUSTER);
	data = (char *)buf;
	rc = file_write_atomic(path, data, (size_t)SECTORS * SECTOR, 0600);
	free(buf);
	return rc;
}

/** read_tags() - open the overlay read-only and classify every sector. */
static int read_tags(const char *dir, const char *base, uint32_t *tags, uint8_t *buf)
{
	struct overlay *ov = NULL;
	int rc;

	rc = overlay_open(dir, base, BASE_ID, 0, OVERLAY_READONLY, &ov);
	if (rc < 0) {
		fprintf(stderr, "reopen failed: %s\n", strerror(-rc));
		return rc;
	}
	rc = overlay_read(ov, buf, (size_t)SECTORS * SECTOR, 0);
	overlay_close(ov);
	if (rc < 0) {
		fprintf(stderr, "read failed: %s\n", strerror(-rc));
		return rc;
	}
	for (uint32_t s = 0; s < SECTORS; s++)
		tags[s] = sector_classify(buf + (size_t)s * SECTOR, s / SECTORS_PER_CLUSTER,
					  s % SECTORS_PER_CLUSTER);
	return 0;
}

static bool cluster_equal(const uint32_t *a, const uint32_t *b, uint32_t c)
{
	return memcmp(a + c * SECTORS_PER_CLUSTER, b + c * SECTORS_PER_CLUSTER,
		      SECTORS_PER_CLUSTER * sizeof(*a)) == 0;
}

static void print_cluster(const char *what, const uint32_t *tags, uint32_t c)
{
	fprintf(stderr, "  %-9s", what);
	for (uint32_t k = 0; k < SECTORS_PER_CLUSTER; k++) {
		uint32_t t = tags[c * SECTORS_PER_CLUSTER + k];

		if (t == TAG_ZERO)
			fprintf(stderr, " zero");
		else if (t == TAG_GARBAGE)
			fprintf(stderr, " GARBAGE");
		else if (t == TAG_BASE)
			fprintf(stderr, " base");
		else
			fprintf(stderr, " w%" PRIu32, t);
	}
	fprintf(stderr, "\n");
}

/**
 * check_round() - compare what the overlay holds (@seen) with what the log
 * allows, starting from @model (updated to @seen on success).
 * Return true if every cluster is acceptable.
 */
static bool check_round(uint32_t round, uint32_t *model, const uint32_t *seen,
			const struct shared_log *lg, struct totals *t)
{
	uint32_t *cur = xmalloc(SECTORS * sizeof(*cur));
	bool *durable = xcalloc(CLUSTERS, sizeof(*durable));
	bool *later = xcalloc(CLUSTERS, sizeof(*later));
	bool *touched = xcalloc(CLUSTERS, sizeof(*touched));
	bool pass = true;

	memcpy(cur, model, SECTORS * sizeof(*cur));
	for (uint32_t i = 0; i < lg->flushed; i++)
		op_apply(cur, &lg->ops[i]);
	for (uint32_t c = 0; c < CLUSTERS; c++)
		durable[c] = cluster_equal(cur, seen, c);
	memcpy(model, cur, SECTORS * sizeof(*cur));	/* durable, for messages */
	for (uint32_t i = lg->flushed; i < lg->n_ops; i++) {
		const struct op *o = &lg->ops[i];

		op_apply(cur, o);
		for (uint32_t c = o->sector / SECTORS_PER_CLUSTER;
		     c <= (o->sector + o->count - 1) / SECTORS_PER_CLUSTER; c++) {
			touched[c] = true;
			later[c] |= cluster_equal(cur, seen, c);
		}
	}
	for (uint32_t c = 0; c < CLUSTERS; c++) {
		t->cluster_checks++;
		if (touched[c] && durable[c])
			t->lost_unflushed++;
		else if (touched[c] && later[c])
			t->kept_unflushed++;
		if (durable[c] || later[c])
			continue;
		pass = false;
		fprintf(stderr, "round %" PRIu32 ": cluster %" PRIu32 " holds neither its "
			"durable state nor a later one\n", round, c);
		print_cluster("found", seen, c);
		print_cluster("durable", model, c);
		for (uint32_t i = lg->flushed; i < lg->n_ops; i++) {
			const struct op *o = &lg->ops[i];

			if (o->sector / SECTORS_PER_CLUSTER <= c &&
			    (o->sector + o->count - 1) / SECTORS_PER_CLUSTER >= c)
				fprintf(stderr, "  later op %" PRIu32 ": %s id %" PRIu32
					" sectors %" PRIu32 "+%" PRIu32 "\n", i,
					op_names[o->type], o->id, o->sector, o->count);
		}
	}
	memcpy(model, seen, SECTORS * sizeof(*model));
	free(cur);
	free(durable);
	free(later);
	free(touched);
	return pass;
}

/** env_u64() - numeric environment variable @name, or @def. */
static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

int main(void)
{
	uint64_t rounds = env_u64("LR_CRASH_ROUNDS", DEFAULT_ROUNDS);
	uint64_t seed = env_u64("LR_CRASH_SEED", (uint64_t)time(NULL) ^ (uint64_t)getpid());
	uint64_t max_delay = env_u64("LR_CRASH_MAX_DELAY_US", DEFAULT_MAX_DELAY_US);
	const char *parent = getenv("LR_CRASH_DIR");
	uint64_t rng = seed | 1;
	struct totals t = { 0 };
	struct shared_log *lg;
	struct overlay *ov = NULL;
	uint32_t *model, *seen;
	uint8_t *buf;
	char tmp[256], *base, *dir;
	bool pass = true;
	int rc;

	if ((!parent || !*parent) && access(SHM_DIR, W_OK | X_OK) == 0)
		parent = SHM_DIR;	/* tmpfs: syncs are cheap, rounds are many */
	if (!parent || !*parent)
		parent = getenv("TMPDIR");
	if (!parent || !*parent)
		parent = "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/test-overlay-crash.XXXXXX", parent);
	if (!mkdtemp(tmp)) {
		perror(tmp);
		return 1;
	}
	base = xasprintf("%s/base.img", tmp);
	dir = xasprintf("%s/overlay", tmp);
	printf("overlay crash test: %" PRIu64 " rounds, seed %" PRIu64 ", in %s\n",
	       rounds, seed, tmp);
	if (rounds < MIN_ROUNDS)
		printf("note: fewer than %d rounds asked for\n", MIN_ROUNDS);

	lg = mmap(NULL, sizeof(*lg), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	model = xmalloc(SECTORS * sizeof(*model));
	seen = xmalloc(SECTORS * sizeof(*seen));
	/* The children need not inherit the read buffer; with it, every fork
	 * would make the parent fault in all of its pages again. */
	buf = mmap(NULL, (size_t)SECTORS * SECTOR, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || madvise(buf, (size_t)SECTORS * SECTOR, MADV_DONTFORK) < 0) {
		perror("mmap");
		return 1;
	}
	if (lg == MAP_FAILED || make_base(base) < 0 ||
	    overlay_open(dir, base, BASE_ID, CLUSTER, OVERLAY_CREATE, &ov) < 0) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	overlay_close(ov);
	for (uint32_t s = 0; s < SECTORS; s++)
		model[s] = TAG_BASE;

	for (uint32_t round = 0; round < rounds && pass; round++) {
		uint64_t delay = max_delay ? rng_next(&rng) % (max_delay + 1) : 0;
		struct timespec ts = { (time_t)(delay / 1000000), (long)(delay % 1000000) * 1000 };
		struct timespec poll_ts = { 0, POLL_NS };
		pid_t pid, reaped = 0;
		int status = 0;

		memset(lg, 0, sizeof(*lg));
		lg->open_rc = 1;
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			child_main(dir, base, lg, round, seed);
		/* Most rounds time the kill from when the child has the overlay
		 * open; some from the fork, to hit the open itself. */
		if (rng_next(&rng) % KILL_IN_OPEN_ONE_IN != 0)
			while (__atomic_load_n(&lg->open_rc, __ATOMIC_SEQ_CST) == 1 &&
			       (reaped = waitpid(pid, &status, WNOHANG)) == 0)
				nanosleep(&poll_ts, NULL);
		if (!reaped) {
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
			reaped = waitpid(pid, &status, 0);
		}
		if (reaped != pid) {
			perror("waitpid");
			return 1;
		}
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
		    lg->open_rc < 0 || lg->op_rc < 0) {
			fprintf(stderr, "round %" PRIu32 ": child failed (status %#x, open %s, "
				"op %s)\n", round, (unsigned)status,
				strerror(lg->open_rc < 0 ? -lg->open_rc : 0),
				strerror(lg->op_rc < 0 ? -lg->op_rc : 0));
			pass = false;
			break;
		}
		t.kills++;
		t.ops += lg->n_ops;
		t.flushes += lg->flushes;
		t.kills_in_flush += lg->in_flush;
		rc = read_tags(dir, base, seen, buf);
		if (rc < 0) {
			fprintf(stderr, "round %" PRIu32 ": overlay cannot be read back\n", round);
			pass = false;
			break;
		}
		if (!check_round(round, model, seen, lg, &t))
			pass = false;
	}

	printf("%" PRIu64 " kill points (%" PRIu64 " during a flush), %" PRIu64
	       " operations, %" PRIu64 " flushes, %" PRIu64 " cluster checks; after the "
	       "kill %" PRIu64 " clusters held unflushed data, %" PRIu64 " were back at "
	       "their flushed state\n", t.kills, t.kills_in_flush, t.ops, t.flushes,
	       t.cluster_checks, t.kept_unflushed, t.lost_unflushed);
	if (pass && t.kills < MIN_ROUNDS && rounds >= MIN_ROUNDS)
		pass = false;
	printf("%s\n", pass ? "PASS" : "FAIL (scratch directory kept)");
	if (pass)
		rm_rf(tmp);
	munmap(lg, sizeof(*lg));
	free(model);
	free(seen);
	munmap(buf, (size_t)SECTORS * SECTOR);
	free(base);
	free(dir);
	return pass ? 0 : 1;
}
