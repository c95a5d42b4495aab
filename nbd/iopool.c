/* Disk I/O worker pool (see iopool.h).
 *
 * Two singly linked FIFO queues under one mutex: "todo" (submitted, not yet
 * taken by a worker) and "finished" (run, waiting for the loop).  A worker
 * that finishes a job while "finished" was empty writes the eventfd once;
 * the loop reads it (resetting it) before draining, so no wake-up is lost
 * and a burst of completions costs one write.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "iopool.h"
#include "util.h"

/* A FIFO of jobs. */
struct jobq {
	struct iopool_job *head;
	struct iopool_job *tail;
};

struct iopool {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* signalled when todo grows or on stop */
	struct jobq todo;
	struct jobq finished;
	bool stop;
	int efd;			/* eventfd: finished jobs wait */
	unsigned pending;		/* submitted, done() not called: loop thread only */
	unsigned nthreads;
	pthread_t *threads;
};

/** jobq_push() - append @job to @q. */
static void jobq_push(struct jobq *q, struct iopool_job *job)
{
	job->next = NULL;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
}

/** jobq_pop() - take the first job of @q, or NULL. */
static struct iopool_job *jobq_pop(struct jobq *q)
{
	struct iopool_job *job = q->head;

	if (job) {
		q->head = job->next;
		if (!q->head)
			q->tail = NULL;
	}
	return job;
}

/** worker() - run jobs until the pool stops and its queue is empty. */
static void *worker(void *arg)
{
	struct iopool *pool = arg;
	struct iopool_job *job;
	uint64_t one = 1;
	bool wake;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->todo.head && !pool->stop)
			pthread_cond_wait(&pool->cond, &pool->lock);
		job = jobq_pop(&pool->todo);
		if (!job)
			break;		/* stopping, nothing left */
		pthread_mutex_unlock(&pool->lock);
		job->run(job);
		pthread_mutex_lock(&pool->lock);
		wake = pool->finished.head == NULL;
		jobq_push(&pool->finished, job);
		if (wake && write(pool->efd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow with one write per
			 * drain; nothing else can fail here. */
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/** iopool_new() - see iopool.h. */
int iopool_new(unsigned workers, struct iopool **out)
{
	struct iopool *pool;
	unsigned i;
	int rc;

	if (workers == 0)
		return -EINVAL;
	pool = xcalloc(1, sizeof(*pool));
	pool->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pool->efd < 0) {
		rc = -errno;
		free(pool);
		return rc;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->threads = xcalloc(workers, sizeof(*pool->threads));
	for (i = 0; i < workers; i++) {
		rc = -pthread_create(&pool->threads[i], NULL, worker, pool);
		if (rc < 0)
			goto err;
		pool->nthreads++;
	}
	*out = pool;
	return 0;
err:
	iopool_free(pool);
	return rc;
}

/** iopool_fd() - see iopool.h. */
int iopool_fd(const struct iopool *pool)
{
	return pool->efd;
}

/** iopool_submit() - see iopool.h. */
void iopool_submit(struct iopool *pool, struct iopool_job *job)
{
	pool->pending++;
	pthread_mutex_lock(&pool->lock);
	jobq_push(&pool->todo, job);
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

/** iopool_complete() - see iopool.h. */
unsigned iopool_complete(struct iopool *pool)
{
	struct iopool_job *job, *list;
	uint64_t val;
	unsigned n = 0;

	if (read(pool->efd, &val, sizeof(val)) < 0) {
		/* EAGAIN: nothing signalled; still drain below. */
	}
	pthread_mutex_lock(&pool->lock);
	list = pool->finished.head;
	pool->finished.head = pool->finished.tail = NULL;
	pthread_mutex_unlock(&pool->lock);
	while (list) {
		job = list;
		list = job->next;
		pool->pending--;
		job->done(job);
		n++;
	}
	return n;
}

/** iopool_pending() - see iopool.h. */
unsigned iopool_pending(const struct iopool *pool)
{
	return pool->pending;
}

/** iopool_free() - see iopool.h. */
void iopool_free(struct iopool *pool)
{
	unsigned i;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	free(pool->threads);
	close(pool->efd);
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
