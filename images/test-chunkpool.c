/* Unit tests for images/chunkpool.c: items shared out to worker threads. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "chunkpool.h"

#define MANY_ITEMS 2000		/* items in the visit-every-item tests */
#define SLOW_ITEMS 200		/* items in the tests with slow items */
#define SOME_THREADS 4		/* max_threads of the parallel tests */
#define ITEM_BYTES 1000		/* what each item is worth for progress */
#define SCRATCH 4096		/* bufsize of the tests */
#define SLOW_ITEM_US 1000	/* a slow item, so that threads overlap */
#define ERROR_GAP_MS 100	/* how long a later error waits for the first */
#define WAIT_MS 10000		/* give up waiting for the other item then */
#define MAX_REPORTS 4096	/* progress reports kept */

/* What the test item function sees; written by any worker thread. */
struct visits {
	uint64_t nitems;		/* items in the job */
	atomic_int *count;		/* calls per item */
	atomic_int calls;		/* calls in all */
	atomic_bool off_caller;		/* an item ran on another thread */
	atomic_bool bad_buf;		/* a scratch buffer was missing */
	pthread_t caller;		/* the thread that called chunkpool_run() */
	pthread_mutex_t lock;		/* guards @threads and @nthreads */
	pthread_t threads[CHUNKPOOL_MAX_THREADS + 1]; /* threads that ran items */
	int nthreads;			/* entries in @threads */
	bool slow;			/* sleep SLOW_ITEM_US in each item */
	uint64_t fail_at;		/* item that fails with -EIO, or nitems */
	bool pair;			/* items 0 and 1 overlap: see visit() */
	int64_t late_rc;		/* what item 1 returns in @pair mode */
	atomic_bool started1;		/* item 1 has begun */
	atomic_bool failed;		/* item 0 has failed, in @pair mode */
	uint64_t order[MANY_ITEMS];	/* item order, if one thread */
};

/** visits_init() - @v for a job of @nitems items, none failing. */
static void visits_init(struct visits *v, uint64_t nitems)
{
	assert_true(nitems <= MANY_ITEMS);
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	v->nitems = nitems;
	v->count = calloc(nitems ? nitems : 1, sizeof(*v->count));
	assert_non_null(v->count);
	v->caller = pthread_self();
	v->fail_at = nitems;
}

/** visits_free() - free what visits_init() set up in @v. */
static void visits_free(struct visits *v)
{
	pthread_mutex_destroy(&v->lock);
	free(v->count);
}

/** sleep_ms() - sleep @ms milliseconds. */
static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/** wait_for() - wait until @flag is set, at most WAIT_MS. */
static void wait_for(atomic_bool *flag)
{
	int ms;

	for (ms = 0; ms < WAIT_MS && !atomic_load(flag); ms++)
		sleep_ms(1);
}

/** note_thread() - add the calling thread to @v's set of threads. */
static void note_thread(struct visits *v)
{
	pthread_t self = pthread_self();
	int i;

	pthread_mutex_lock(&v->lock);
	for (i = 0; i < v->nthreads; i++)
		if (pthread_equal(v->threads[i], self))
			break;
	if (i == v->nthreads && v->nthreads < CHUNKPOOL_MAX_THREADS + 1)
		v->threads[v->nthreads++] = self;
	pthread_mutex_unlock(&v->lock);
}

/**
 * visit() - the chunkpool_fn of the tests: count the call, and fail item
 * fail_at with -EIO.  In pair mode item 0 fails (-EIO) only once item 1
 * has begun on another thread, and item 1 returns late_rc ERROR_GAP_MS
 * after that failure.  No cmocka asserts here: they may not run on other
 * threads.
 * Return: ITEM_BYTES or -errno.
 */
static int64_t visit(uint64_t index, void *buf, void *arg)
{
	struct visits *v = arg;
	int n;

	if (index >= v->nitems)
		return -ERANGE;
	n = atomic_fetch_add(&v->calls, 1);
	if (n < MANY_ITEMS)
		v->order[n] = index;
	atomic_fetch_add(&v->count[index], 1);
	if (!pthread_equal(pthread_self(), v->caller))
		atomic_store(&v->off_caller, true);
	note_thread(v);
	if (!buf)
		atomic_store(&v->bad_buf, true);
	else
		memset(buf, 0xa5, SCRATCH);	/* ASan checks the size */
	if (index == v->fail_at)
		return -EIO;
	if (v->pair && index == 0) {
		wait_for(&v->started1);
		atomic_store(&v->failed, true);
		return -EIO;
	}
	if (v->pair && index == 1) {
		atomic_store(&v->started1, true);
		wait_for(&v->failed);
		sleep_ms(ERROR_GAP_MS);
		return v->late_rc;
	}
	if (v->slow)
		usleep(SLOW_ITEM_US);
	return ITEM_BYTES;
}

/** cores() - the processors online, as chunkpool_run() counts them. */
static unsigned int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 1 ? (unsigned int)n : 1;
}

/** pool_for() - a job that runs visit() over @v's items. */
static struct chunkpool pool_for(struct visits *v, unsigned int max_threads)
{
	struct chunkpool pool = { .nitems = v->nitems, .fn = visit, .arg = v,
				  .bufsize = SCRATCH, .max_threads = max_threads };

	return pool;
}

/** assert_each_once() - every item of @v was visited exactly once. */
static void assert_each_once(struct visits *v)
{
	uint64_t i;

	for (i = 0; i < v->nitems; i++)
		assert_int_equal(atomic_load(&v->count[i]), 1);
	assert_int_equal(atomic_load(&v->calls), v->nitems);
	assert_false(atomic_load(&v->bad_buf));
}

/** assert_threads() - @v's items ran on at most min(@max, cores) threads. */
static void assert_threads(struct visits *v, unsigned int max)
{
	assert_true(v->nthreads >= 1);
	assert_true((unsigned int)v->nthreads <= (max < cores() ? max : cores()));
}

static void test_every_item_once(void **state)
{
	struct visits v;
	struct chunkpool pool;

	visits_init(&v, MANY_ITEMS);
	pool = pool_for(&v, SOME_THREADS);
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);
	assert_threads(&v, SOME_THREADS);
	visits_free(&v);

	visits_init(&v, SLOW_ITEMS);
	v.slow = true;
	pool = pool_for(&v, SOME_THREADS);
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);
	assert_threads(&v, SOME_THREADS);
	if (cores() > 1)
		assert_true(atomic_load(&v.off_caller));	/* it did go parallel */
	visits_free(&v);
}

static void test_one_thread(void **state)
{
	struct visits v;
	struct chunkpool pool;
	uint64_t i;

	visits_init(&v, SLOW_ITEMS);
	v.slow = true;
	pool = pool_for(&v, 1);
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);
	/* Only the calling thread worked, so in order. */
	assert_false(atomic_load(&v.off_caller));
	assert_int_equal(v.nthreads, 1);
	for (i = 0; i < SLOW_ITEMS; i++)
		assert_int_equal(v.order[i], i);
	visits_free(&v);
}

static void test_more_threads_than_items(void **state)
{
	struct visits v;
	struct chunkpool pool;
	uint64_t n;

	/* No items: nothing is called, and that is success. */
	visits_init(&v, 0);
	pool = pool_for(&v, CHUNKPOOL_MAX_THREADS);
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_int_equal(atomic_load(&v.calls), 0);
	visits_free(&v);

	/* One item: no thread is started for nothing. */
	visits_init(&v, 1);
	pool = pool_for(&v, CHUNKPOOL_MAX_THREADS);
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);
	assert_false(atomic_load(&v.off_caller));
	visits_free(&v);

	for (n = 2; n <= 5; n++) {
		visits_init(&v, n);
		v.slow = true;
		pool = pool_for(&v, CHUNKPOOL_MAX_THREADS);
		assert_int_equal(chunkpool_run(&pool), 0);
		assert_each_once(&v);
		assert_threads(&v, (unsigned int)n);
		visits_free(&v);
	}
}

static void test_no_scratch(void **state)
{
	struct visits v;
	struct chunkpool pool;

	visits_init(&v, 3);
	pool = pool_for(&v, 1);
	pool.bufsize = 0;
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_true(atomic_load(&v.bad_buf));	/* NULL buffer, as documented */
	visits_free(&v);
}

static void test_error_one_thread(void **state)
{
	struct visits v;
	struct chunkpool pool;
	uint64_t i;

	visits_init(&v, 10);
	v.fail_at = 3;
	pool = pool_for(&v, 1);
	assert_int_equal(chunkpool_run(&pool), -EIO);
	/* Items 0..3 ran, in order; nothing after the error. */
	assert_int_equal(atomic_load(&v.calls), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(v.order[i], i);
	for (i = 4; i < 10; i++)
		assert_int_equal(atomic_load(&v.count[i]), 0);
	visits_free(&v);

	/* An error in the last item is still returned. */
	visits_init(&v, 10);
	v.fail_at = 9;
	pool = pool_for(&v, 1);
	assert_int_equal(chunkpool_run(&pool), -EIO);
	assert_int_equal(atomic_load(&v.calls), 10);
	visits_free(&v);
}

static void test_first_error_wins(void **state)
{
	struct visits v;
	struct chunkpool pool;

	if (cores() < 2)
		skip();		/* items 0 and 1 must run at the same time */
	/* Item 1 fails later than item 0 (-ENOSPC after -EIO): the first
	 * error is kept. */
	visits_init(&v, SLOW_ITEMS);
	v.slow = true;
	v.pair = true;
	v.late_rc = -ENOSPC;
	pool = pool_for(&v, SOME_THREADS);
	assert_int_equal(chunkpool_run(&pool), -EIO);
	assert_true(atomic_load(&v.failed));
	assert_int_equal(atomic_load(&v.count[1]), 1);
	visits_free(&v);
}

static void test_error_stops_others(void **state)
{
	struct visits v;
	struct chunkpool pool;
	uint64_t i;

	if (cores() < 2)
		skip();		/* items 0 and 1 must run at the same time */
	/* Item 1 succeeds, but only after item 0 has failed: its thread
	 * takes no further item, nor do the others after their current one. */
	visits_init(&v, SLOW_ITEMS);
	v.slow = true;
	v.pair = true;
	v.late_rc = ITEM_BYTES;
	pool = pool_for(&v, SOME_THREADS);
	assert_int_equal(chunkpool_run(&pool), -EIO);
	assert_true(atomic_load(&v.calls) <= 2 * SOME_THREADS);
	for (i = 2 * SOME_THREADS; i < SLOW_ITEMS; i++)
		assert_int_equal(atomic_load(&v.count[i]), 0);
	visits_free(&v);
}

static void test_bad_arguments(void **state)
{
	struct visits v;
	struct chunkpool pool;

	visits_init(&v, 3);
	assert_int_equal(chunkpool_run(NULL), -EINVAL);
	pool = pool_for(&v, 0);
	assert_int_equal(chunkpool_run(&pool), -EINVAL);
	pool = pool_for(&v, CHUNKPOOL_MAX_THREADS + 1);
	assert_int_equal(chunkpool_run(&pool), -EINVAL);
	pool = pool_for(&v, 1);
	pool.fn = NULL;
	assert_int_equal(chunkpool_run(&pool), -EINVAL);
	assert_int_equal(atomic_load(&v.calls), 0);
	visits_free(&v);
}

/* Progress reports seen; the callback runs on the calling thread only. */
struct reports {
	pthread_t caller;		/* the thread that called chunkpool_run() */
	bool off_caller;		/* a report came from another thread */
	bool bad_what;			/* a report named another phase */
	bool bad_total;			/* a report had another total */
	uint64_t total;			/* the job's total */
	int n;				/* reports seen */
	uint64_t done[MAX_REPORTS];	/* their done values */
};

/** progress_cb() - progress_fn that records each report in a struct reports. */
static void progress_cb(const char *what, uint64_t done, uint64_t total, void *arg)
{
	struct reports *r = arg;

	if (!pthread_equal(pthread_self(), r->caller))
		r->off_caller = true;
	if (strcmp(what, "test") != 0)
		r->bad_what = true;
	if (total != r->total)
		r->bad_total = true;
	if (r->n < MAX_REPORTS)
		r->done[r->n] = done;
	r->n++;
}

/**
 * run_with_progress() - run SLOW_ITEMS items on @threads threads with
 * progress every @step bytes and the given @total; check the reports.
 */
static void run_with_progress(unsigned int threads, uint64_t step, uint64_t total)
{
	static struct reports r;
	struct progress p = { progress_cb, &r };
	struct visits v;
	struct chunkpool pool;
	int i;

	memset(&r, 0, sizeof(r));
	r.caller = pthread_self();
	r.total = total;
	visits_init(&v, SLOW_ITEMS);
	v.slow = threads > 1;
	pool = pool_for(&v, threads);
	pool.p = &p;
	pool.what = "test";
	pool.step = step;
	pool.total = total;
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);

	assert_true(r.n >= 2);
	assert_true(r.n <= MAX_REPORTS);
	assert_false(r.off_caller);
	assert_false(r.bad_what);
	assert_false(r.bad_total);
	for (i = 0; i < r.n; i++) {
		assert_true(r.done[i] >= step);
		if (total)
			assert_true(r.done[i] <= total);
		if (i > 0) {
			assert_true(r.done[i] >= r.done[i - 1]);	/* monotonic */
			if (!total || r.done[i] < total)
				assert_true(r.done[i] - r.done[i - 1] >= step);
		}
	}
	visits_free(&v);
}

static void test_progress(void **state)
{
	uint64_t all = (uint64_t)SLOW_ITEMS * ITEM_BYTES;

	run_with_progress(1, 10 * ITEM_BYTES, all);
	run_with_progress(SOME_THREADS, 10 * ITEM_BYTES, all);
	/* One report per item. */
	run_with_progress(1, ITEM_BYTES, all);
	/* done is capped at a total smaller than the items' sum ... */
	run_with_progress(SOME_THREADS, 10 * ITEM_BYTES, all / 2);
	/* ... but not at an unknown (0) total. */
	run_with_progress(SOME_THREADS, 10 * ITEM_BYTES, 0);
}

static void test_no_progress(void **state)
{
	struct visits v;
	struct chunkpool pool;

	/* No struct progress: the job still runs. */
	visits_init(&v, 100);
	pool = pool_for(&v, SOME_THREADS);
	pool.step = ITEM_BYTES;
	assert_int_equal(chunkpool_run(&pool), 0);
	assert_each_once(&v);
	visits_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once),
		cmocka_unit_test(test_one_thread),
		cmocka_unit_test(test_more_threads_than_items),
		cmocka_unit_test(test_no_scratch),
		cmocka_unit_test(test_error_one_thread),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_error_stops_others),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_no_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
