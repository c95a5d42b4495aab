/* Unit tests for nbd/iopool.c: jobs run on workers, come back on the
 * caller's thread through the eventfd, none is lost or done twice.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "iopool.h"

#define NJOBS 2000

struct tjob {
	struct iopool_job base;		/* first */
	int index;
	pthread_t ran_on;		/* set by run() */
	int ran, done;
};

static pthread_t main_thread;
static int done_count;

static void t_run(struct iopool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	j->ran_on = pthread_self();
	j->ran++;
	if (j->index % 7 == 0)
		usleep(100);	/* some jobs are slow: completion order varies */
}

static void t_done(struct iopool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	/* done() runs on the thread that calls iopool_complete(). */
	assert_true(pthread_equal(pthread_self(), main_thread));
	assert_int_equal(j->ran, 1);
	j->done++;
	done_count++;
}

/** wait_fd() - poll the pool's eventfd; whether it became readable. */
static int wait_fd(struct iopool *pool, int ms)
{
	struct pollfd p = { .fd = iopool_fd(pool), .events = POLLIN };

	return poll(&p, 1, ms);
}

static void test_every_job_once(void **state)
{
	static struct tjob jobs[NJOBS];
	struct iopool *pool;
	int i, spins = 0;

	(void)state;
	main_thread = pthread_self();
	done_count = 0;
	memset(jobs, 0, sizeof(jobs));
	assert_int_equal(iopool_new(4, &pool), 0);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].index = i;
		jobs[i].base.run = t_run;
		jobs[i].base.done = t_done;
		iopool_submit(pool, &jobs[i].base);
	}
	assert_true(iopool_pending(pool) > 0);
	while (done_count < NJOBS && spins++ < 10000) {
		if (wait_fd(pool, 1000) <= 0)
			fail_msg("eventfd not readable with %d of %d jobs done", done_count, NJOBS);
		iopool_complete(pool);
	}
	assert_int_equal(done_count, NJOBS);
	assert_int_equal(iopool_pending(pool), 0);
	for (i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].done, 1);
		/* run() is never on the caller's thread. */
		assert_false(pthread_equal(jobs[i].ran_on, main_thread));
	}
	/* Nothing finished: the eventfd is not readable, complete() does nothing. */
	assert_int_equal(wait_fd(pool, 50), 0);
	assert_int_equal(iopool_complete(pool), 0);
	iopool_free(pool);
}

static void test_free_finishes_queue(void **state)
{
	static struct tjob jobs[64];
	struct iopool *pool;
	int i;

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	assert_int_equal(iopool_new(1, &pool), 0);
	for (i = 0; i < 64; i++) {
		jobs[i].base.run = t_run;
		jobs[i].base.done = t_done;
		iopool_submit(pool, &jobs[i].base);
	}
	/* Freeing runs what is queued (so no write is dropped at exit). */
	iopool_free(pool);
	for (i = 0; i < 64; i++)
		assert_int_equal(jobs[i].ran, 1);
}

static void test_bad_args(void **state)
{
	struct iopool *pool = NULL;

	(void)state;
	assert_int_equal(iopool_new(0, &pool), -EINVAL);
	assert_null(pool);
	iopool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_job_once),
		cmocka_unit_test(test_free_finishes_queue),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
