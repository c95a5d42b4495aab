/* The disk I/O worker pool of lanroot-blockd.
 *
 * The event loop thread owns every socket; disk work (overlay reads and
 * writes, flushes, closing an overlay) runs on a few worker threads so a
 * slow disk never stalls the network.  The loop submits a job, a worker
 * runs job->run(), and the finished job comes back to the loop: an
 * eventfd becomes readable and iopool_complete() calls job->done() for
 * every finished job, on the loop thread.
 */
#ifndef LR_IOPOOL_H
#define LR_IOPOOL_H

struct iopool;
struct iopool_job;

/** iopool_fn - runs on a worker (run) or on the loop thread (done). */
typedef void (*iopool_fn)(struct iopool_job *job);

/* One unit of work; embed it in a bigger structure (container_of). */
struct iopool_job {
	iopool_fn run;			/* on a worker thread */
	iopool_fn done;			/* on the loop thread, after run */
	struct iopool_job *next;	/* queue link, owned by the pool */
};

/**
 * iopool_new() - start @workers threads.
 * Return: 0 with *@out, or -errno (nothing started).
 */
int iopool_new(unsigned workers, struct iopool **out);

/**
 * iopool_fd() - the eventfd that is readable while finished jobs wait for
 * iopool_complete(); watch it for EPOLLIN.
 */
int iopool_fd(const struct iopool *pool);

/** iopool_submit() - queue @job (never blocks, never fails). */
void iopool_submit(struct iopool *pool, struct iopool_job *job);

/**
 * iopool_complete() - call done() of every finished job, in the order they
 * finished.  Call when iopool_fd() is readable.  Return: jobs completed.
 */
unsigned iopool_complete(struct iopool *pool);

/** iopool_pending() - jobs submitted whose done() has not been called. */
unsigned iopool_pending(const struct iopool *pool);

/**
 * iopool_free() - finish queued jobs, stop the threads and free the pool.
 * done() is not called for jobs that finish here: call iopool_complete()
 * until iopool_pending() is 0 first if that matters.
 */
void iopool_free(struct iopool *pool);

#endif
