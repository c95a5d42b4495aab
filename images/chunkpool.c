/* Running one function over many items on all cores (see chunkpool.h).
 *
 * The items are not split up in advance: every worker takes the next item
 * from one atomic counter, so a slow item (a cache miss, a busy disk)
 * holds up one worker only.  The first error is kept by compare-exchange
 * and makes the other workers stop before their next item.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "chunkpool.h"

/* The state of one chunkpool_run(), shared by its threads. */
struct chunkpool_state {
	const struct chunkpool *pool;	/* the job */
	atomic_uint_fast64_t next;	/* next item to take */
	atomic_uint_fast64_t done;	/* bytes of the items done so far */
	atomic_int rc;			/* first error, 0 if none */
};

/**
 * chunkpool_fail() - record @rc as the job's error unless one is there.
 * @st: the running job
 * @rc: a negative errno
 */
static void chunkpool_fail(struct chunkpool_state *st, int rc)
{
	int expected = 0;

	atomic_compare_exchange_strong(&st->rc, &expected, rc);
}

/**
 * chunkpool_work() - take items of @st until none are left or the job
 * has failed, and do each.
 * @st: the running job
 * @report: whether this thread reports progress (the caller's thread)
 */
static void chunkpool_work(struct chunkpool_state *st, bool report)
{
	const struct chunkpool *pool = st->pool;
	uint64_t next_report = pool->step;
	void *buf = NULL;

	if (pool->bufsize) {
		buf = malloc(pool->bufsize);
		if (!buf) {
			chunkpool_fail(st, -ENOMEM);
			return;
		}
	}
	for (;;) {
		uint64_t index, done;
		int64_t bytes;

		if (atomic_load(&st->rc) < 0)
			break;
		index = atomic_fetch_add(&st->next, 1);
		if (index >= pool->nitems)
			break;
		bytes = pool->fn(index, buf, pool->arg);
		if (bytes < 0) {
			chunkpool_fail(st, bytes < INT_MIN ? -EINVAL : (int)bytes);
			break;
		}
		done = atomic_fetch_add(&st->done, (uint64_t)bytes) + (uint64_t)bytes;
		if (report && done >= next_report) {
			progress_report(pool->p, pool->what,
					pool->total && done > pool->total ? pool->total : done,
					pool->total);
			next_report = done + pool->step;
		}
	}
	free(buf);
}

/**
 * chunkpool_thread() - pthread entry of a helper worker.
 * @arg: the struct chunkpool_state of the job
 * Return: NULL (errors are kept in the state).
 */
static void *chunkpool_thread(void *arg)
{
	chunkpool_work(arg, false);
	return NULL;
}

/**
 * chunkpool_run() - run @pool->fn over all items on all cores (see
 * chunkpool.h).
 * @pool: the job
 * Return: 0, or the first error.
 */
int chunkpool_run(const struct chunkpool *pool)
{
	struct chunkpool_state st = { .pool = pool };
	pthread_t threads[CHUNKPOOL_MAX_THREADS];
	size_t nthreads = 0, want, i;
	long ncpu;

	if (!pool || !pool->fn || pool->max_threads < 1 ||
	    pool->max_threads > CHUNKPOOL_MAX_THREADS)
		return -EINVAL;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu > 1 ? (size_t)ncpu : 1;
	if (want > pool->max_threads)
		want = pool->max_threads;
	if (want > pool->nitems)
		want = pool->nitems ? (size_t)pool->nitems : 1;
	/* The calling thread is one of the workers. */
	for (i = 1; i < want; i++) {
		if (pthread_create(&threads[nthreads], NULL, chunkpool_thread, &st) != 0)
			break;		/* fewer workers is still correct */
		nthreads++;
	}
	chunkpool_work(&st, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	return atomic_load(&st.rc);
}
