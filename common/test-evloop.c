/* Unit tests for common/evloop.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "util.h"

/** Longest a test waits for something that should happen at once. */
#define WAIT_MS 2000

/** What the callbacks saw. */
struct seen {
	int calls;		/* callbacks run */
	int fd;			/* last fd */
	uint32_t events;	/* last events */
	char data[16];		/* bytes read */
	int pipes[2][2];	/* for the delete-inside-callback test */
	struct ev_timer *timer;	/* for timer tests */
	int stop_after;		/* evloop_stop() at this many calls, 0 = never */
	int signo;		/* last signal */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** run_until() - dispatch until @cond or WAIT_MS passed. */
#define run_until(loop, cond) do { \
		uint64_t until_ = now_ms() + WAIT_MS; \
		while (!(cond) && now_ms() < until_) \
			assert_true(evloop_run_once((loop), 50) >= 0); \
	} while (0)

static void on_readable(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct seen *s = arg;
	ssize_t n;

	s->calls++;
	s->fd = fd;
	s->events = events;
	n = read(fd, s->data, sizeof(s->data) - 1);
	s->data[n > 0 ? n : 0] = '\0';
	if (s->stop_after && s->calls >= s->stop_after)
		evloop_stop(loop);
}

static void test_pipe_readiness(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 };
	int p[2];

	assert_non_null(loop);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(evloop_add(loop, p[0], EPOLLIN, on_readable, &s), 0);
	assert_int_equal(evloop_add(loop, p[0], EPOLLIN, on_readable, &s), -EEXIST);

	/* nothing ready: a short wait times out */
	assert_int_equal(evloop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 0);

	assert_int_equal(write(p[1], "ping", 4), 4);
	assert_int_equal(evloop_run_once(loop, WAIT_MS), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.fd, p[0]);
	assert_true(s.events & EPOLLIN);
	assert_string_equal(s.data, "ping");

	/* mod to EPOLLOUT on a read end: never ready, so no call */
	assert_int_equal(evloop_mod(loop, p[0], EPOLLOUT), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(evloop_run_once(loop, 10), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(evloop_mod(loop, p[0], EPOLLIN), 0);
	assert_int_equal(evloop_run_once(loop, WAIT_MS), 1);
	assert_int_equal(s.calls, 2);

	/* hang-up is reported */
	close(p[1]);
	assert_int_equal(evloop_run_once(loop, WAIT_MS), 1);
	assert_true(s.events & EPOLLHUP);

	assert_int_equal(evloop_del(loop, p[0]), 0);
	assert_int_equal(evloop_del(loop, p[0]), -ENOENT);
	assert_int_equal(evloop_mod(loop, p[0], EPOLLIN), -ENOENT);
	assert_int_equal(evloop_run_once(loop, 10), 0);
	assert_int_equal(evloop_del(loop, 12345), -ENOENT);
	assert_int_equal(evloop_add(loop, -1, EPOLLIN, on_readable, &s), -EBADF);
	/* an fd that is not open; a regular file, which epoll refuses */
	assert_int_equal(evloop_add(loop, 4000, EPOLLIN, on_readable, &s), -EBADF);
	{
		FILE *fp = tmpfile();

		assert_non_null(fp);
		assert_int_equal(evloop_add(loop, fileno(fp), EPOLLIN, on_readable, &s), -EPERM);
		fclose(fp);
	}
	close(p[0]);
	evloop_free(loop);
}

/** A callback that removes (and closes) both pipes, its own included. */
static void on_readable_delete_all(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct seen *s = arg;
	int i;

	s->calls++;
	for (i = 0; i < 2; i++) {
		if (s->pipes[i][0] < 0)
			continue;
		assert_int_equal(evloop_del(loop, s->pipes[i][0]), 0);
		close(s->pipes[i][0]);
		close(s->pipes[i][1]);
		s->pipes[i][0] = -1;
	}
}

static void test_del_inside_callback(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 };
	struct seen other = { 0 };
	int i, p[2];

	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(s.pipes[i]), 0);
		assert_int_equal(evloop_add(loop, s.pipes[i][0], EPOLLIN,
					    on_readable_delete_all, &s), 0);
		assert_int_equal(write(s.pipes[i][1], "x", 1), 1);
	}
	/* Both are ready in the same round; the first callback removes both,
	 * so the second must not run (its watch is dead, not freed). */
	assert_int_equal(evloop_run_once(loop, WAIT_MS), 2);
	assert_int_equal(s.calls, 1);

	/* The fd numbers are free again and can be watched anew. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(evloop_add(loop, p[0], EPOLLIN, on_readable, &other), 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(evloop_run_once(loop, WAIT_MS), 1);
	assert_int_equal(other.calls, 1);
	assert_string_equal(other.data, "y");
	close(p[0]);
	close(p[1]);
	assert_int_equal(evloop_del(loop, p[0]), 0);	/* after close: still fine */
	evloop_free(loop);
}

static void on_timer(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	assert_ptr_equal(t, s->timer);
	if (s->stop_after && s->calls >= s->stop_after) {
		evloop_timer_del(loop, t);	/* inside its own callback */
		s->timer = NULL;
		evloop_stop(loop);
	}
}

static void test_timer_once(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 };
	uint64_t start = now_ms();

	s.timer = evloop_timer_add(loop, 30, 0, on_timer, &s);
	assert_non_null(s.timer);
	run_until(loop, s.calls > 0);
	assert_int_equal(s.calls, 1);
	assert_true(now_ms() - start >= 30);
	/* one-shot: it does not fire again */
	assert_int_equal(evloop_run_once(loop, 100), 0);
	assert_int_equal(s.calls, 1);
	/* re-arm it */
	assert_int_equal(evloop_timer_set(s.timer, 0, 0), 0);
	run_until(loop, s.calls > 1);
	assert_int_equal(s.calls, 2);
	evloop_timer_del(loop, s.timer);

	/* a timer cancelled before it fires never runs */
	s.timer = evloop_timer_add(loop, 20, 0, on_timer, &s);
	assert_non_null(s.timer);
	evloop_timer_del(loop, s.timer);
	assert_int_equal(evloop_run_once(loop, 60), 0);
	assert_int_equal(s.calls, 2);

	/* freed with the loop when not deleted */
	s.timer = evloop_timer_add(loop, 1000, 0, on_timer, &s);
	assert_non_null(s.timer);
	evloop_free(loop);
}

static void test_timer_interval(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 };
	uint64_t start = now_ms();

	s.stop_after = 3;
	s.timer = evloop_timer_add(loop, 10, 20, on_timer, &s);
	assert_non_null(s.timer);
	assert_int_equal(evloop_run(loop), 0);	/* the 3rd call stops the loop */
	assert_int_equal(s.calls, 3);
	assert_null(s.timer);
	assert_true(now_ms() - start >= 10 + 2 * 20);
	assert_int_equal(evloop_run_once(loop, 60), 0);
	assert_int_equal(s.calls, 3);
	evloop_free(loop);
}

static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->signo = signo;
}

static void test_signal(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 }, s2 = { 0 };
	sigset_t blocked;

	assert_int_equal(evloop_signal_add(loop, SIGUSR1, on_signal, &s), 0);
	assert_int_equal(evloop_signal_add(loop, SIGUSR1, on_signal, &s), -EEXIST);
	assert_int_equal(evloop_signal_add(loop, SIGUSR2, on_signal, &s2), 0);
	assert_int_equal(evloop_signal_add(loop, SIGKILL, on_signal, &s), -EINVAL);
	assert_int_equal(evloop_signal_add(loop, 0, on_signal, &s), -EINVAL);
	assert_int_equal(evloop_signal_add(loop, 100000, on_signal, &s), -EINVAL);
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &blocked), 0);
	assert_true(sigismember(&blocked, SIGUSR1));

	/* raise() would kill us if the signal were not blocked and read */
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(loop, s.calls > 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.signo, SIGUSR1);
	assert_int_equal(s2.calls, 0);

	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(loop, s.calls > 1 && s2.calls > 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s2.calls, 1);
	assert_int_equal(s2.signo, SIGUSR2);
	evloop_free(loop);
}

static void test_stop(void **state)
{
	struct evloop *loop = evloop_new();
	struct seen s = { 0 };
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(evloop_add(loop, p[0], EPOLLIN, on_readable, &s), 0);
	/* The callback stops the loop; a second run goes on until the next. */
	assert_int_equal(write(p[1], "a", 1), 1);
	s.stop_after = 1;
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(write(p[1], "b", 1), 1);
	s.stop_after = 2;
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(s.calls, 2);

	/* evloop_stop() before evloop_run(): it returns at once */
	evloop_stop(loop);
	assert_int_equal(evloop_run(loop), 0);
	assert_int_equal(s.calls, 2);

	evloop_del(loop, p[0]);
	close(p[0]);
	close(p[1]);
	evloop_free(loop);
	evloop_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_readiness),
		cmocka_unit_test(test_del_inside_callback),
		cmocka_unit_test(test_timer_once),
		cmocka_unit_test(test_timer_interval),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
