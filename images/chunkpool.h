/* A pool of worker threads that runs one function over items 0..n-1.
 *
 * copy_image() and digest_file() both cut a file into chunks and handle
 * each chunk on its own.  chunkpool_run() shares the items out to one
 * worker per core (the calling thread is one of them): each worker takes
 * the next item from a shared counter until none are left.  The first
 * error stops every worker after its current item and is returned.  The
 * calling thread reports progress every so many bytes.
 */
#ifndef LR_CHUNKPOOL_H
#define LR_CHUNKPOOL_H

#include <stddef.h>
#include <stdint.h>
#include "progress.h"

#define CHUNKPOOL_MAX_THREADS 64	/* upper bound of chunkpool.max_threads */

/**
 * chunkpool_fn - do item @index of a pool's job.  Called on any of the
 * pool's threads, for each item exactly once unless the job stops early.
 * @index: the item, below chunkpool.nitems
 * @buf: this worker's scratch buffer of chunkpool.bufsize bytes
 * @arg: chunkpool.arg
 * Return: bytes of work the item was worth (for progress, >= 0), or
 * -errno to stop the job.
 */
typedef int64_t (*chunkpool_fn)(uint64_t index, void *buf, void *arg);

/* One parallel job: what to run and how to report it. */
struct chunkpool {
	uint64_t nitems;		/* items 0..nitems-1 to do */
	chunkpool_fn fn;		/* does one item */
	void *arg;			/* passed to @fn */
	size_t bufsize;			/* bytes of scratch per worker, may be 0 */
	unsigned int max_threads;	/* workers at most, caller's included
					 * (1..CHUNKPOOL_MAX_THREADS) */
	const struct progress *p;	/* reported by the calling thread, or NULL */
	const char *what;		/* phase named in progress reports */
	uint64_t total;			/* bytes of all items (0 if unknown) */
	uint64_t step;			/* bytes between progress reports */
};

/**
 * chunkpool_run() - run @pool->fn over items 0..nitems-1 on up to
 * min(max_threads, cores, nitems) threads, the caller's included.  If
 * fewer threads can be started, fewer do the work.  The calling thread
 * reports (what, done, total) to @pool->p each time the bytes done have
 * grown by @pool->step since its last report; done never decreases and
 * is capped at a non-zero @pool->total.  There is no final report: the
 * caller makes it when its whole operation is complete.
 * @pool: the job; read only, may live on the caller's stack
 * Return: 0 once every item is done, the first error an item returned,
 * -ENOMEM (no scratch buffer) or -EINVAL (bad @pool).
 */
int chunkpool_run(const struct chunkpool *pool);

#endif
