/* One epoll event loop per daemon: file descriptors, timers and signals.
 *
 * Every registration is a "watch" whose address is the epoll user data.
 * Removing a watch while events are being dispatched only marks it dead and
 * moves it to a list that is freed at the end of the round, so an event
 * already fetched for it is skipped instead of touching freed memory (and
 * a new watch on a reused fd number is never confused with the old one).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "util.h"

/** Events fetched from epoll per dispatch round. */
#define EV_MAX_EVENTS 64
/** Initial size of the fd → watch table. */
#define EV_FD_TABLE_MIN 64
#define MS_PER_SEC 1000
#define NS_PER_MS 1000000L

/** What a watch delivers. */
enum ev_kind {
	EV_KIND_FD,
	EV_KIND_TIMER,
	EV_KIND_SIGNAL,
};

/** One registration in the loop. */
struct ev_watch {
	enum ev_kind kind;	/* which callback applies */
	int fd;			/* watched fd, timerfd or signalfd */
	bool dead;		/* removed; skip, free after the round */
	ev_fd_cb fd_cb;		/* EV_KIND_FD */
	ev_timer_cb timer_cb;	/* EV_KIND_TIMER */
	void *arg;		/* passed to the callback */
	struct ev_watch *prev, *next;	/* list of live watches, or dead list */
};

/** A timer: a timerfd watch. */
struct ev_timer {
	struct ev_watch w;	/* first, so a watch converts back */
	uint64_t interval_ms;	/* period, 0 for one-shot */
};

/** Handler of one signal number. */
struct ev_signal {
	ev_signal_cb cb;	/* NULL when not registered */
	void *arg;		/* passed to it */
};

/** The loop. */
struct evloop {
	int epfd;			/* epoll instance */
	struct ev_watch **fds;		/* fd → watch for EV_KIND_FD */
	size_t nfds;			/* size of @fds */
	struct ev_watch *live;		/* every live watch */
	struct ev_watch *dead;		/* removed during dispatch */
	bool dispatching;		/* inside evloop_run_once() */
	bool stopped;			/* evloop_stop() called */
	struct ev_watch *sigwatch;	/* the signalfd watch, or NULL */
	sigset_t sigmask;		/* signals read from the signalfd */
	struct ev_signal signals[_NSIG];	/* handlers by number */
};

/**
 * evloop_new() - create a loop.
 * Return: the loop, or NULL with errno set.
 */
struct evloop *evloop_new(void)
{
	struct evloop *loop = xcalloc(1, sizeof(*loop));

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = errno;

		free(loop);
		errno = err;
		return NULL;
	}
	sigemptyset(&loop->sigmask);
	return loop;
}

/**
 * watch_link() - put @w on the live list.
 * @loop: loop
 * @w:    watch
 */
static void watch_link(struct evloop *loop, struct ev_watch *w)
{
	w->prev = NULL;
	w->next = loop->live;
	if (loop->live)
		loop->live->prev = w;
	loop->live = w;
}

/**
 * watch_free() - free a watch; timer and signal fds are ours to close.
 * @w: watch
 */
static void watch_free(struct ev_watch *w)
{
	if (w->kind != EV_KIND_FD && w->fd >= 0)
		close(w->fd);
	free(w);
}

/**
 * watch_remove() - take @w out of epoll and the live list, then free it
 * now or, during dispatch, at the end of the round.
 * @loop: loop
 * @w:    a live watch
 */
static void watch_remove(struct evloop *loop, struct ev_watch *w)
{
	/* The fd may already be closed (then epoll forgot it by itself). */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	if (w->prev)
		w->prev->next = w->next;
	else
		loop->live = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->dead = true;
	if (loop->dispatching) {
		w->prev = NULL;
		w->next = loop->dead;
		loop->dead = w;
	} else {
		watch_free(w);
	}
}

/**
 * evloop_free() - free the loop, its timers and its signalfd.  Watched fds
 * are not closed; signals stay blocked.
 * @loop: loop, or NULL
 */
void evloop_free(struct evloop *loop)
{
	struct ev_watch *w, *next;

	if (!loop)
		return;
	for (w = loop->live; w; w = next) {
		next = w->next;
		watch_free(w);
	}
	for (w = loop->dead; w; w = next) {
		next = w->next;
		watch_free(w);
	}
	close(loop->epfd);
	free(loop->fds);
	free(loop);
}

/**
 * watch_add() - register @w for @events in epoll and link it.
 * @loop:   loop
 * @w:      watch with kind and fd set
 * @events: epoll events
 * Return: 0 or -errno (the watch is not freed).
 */
static int watch_add(struct evloop *loop, struct ev_watch *w, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	watch_link(loop, w);
	return 0;
}

/**
 * evloop_add() - call @cb whenever @fd has one of @events.
 * @loop:   loop
 * @fd:     descriptor (not yet watched by this loop)
 * @events: EPOLLIN, EPOLLOUT, …
 * @cb:     callback
 * @arg:    passed to @cb
 * Return: 0, -EEXIST if @fd is watched already, or -errno.
 */
int evloop_add(struct evloop *loop, int fd, uint32_t events, ev_fd_cb cb, void *arg)
{
	struct ev_watch *w;
	int rc;

	if (!loop || !cb)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= loop->nfds) {
		size_t n = loop->nfds ? loop->nfds : EV_FD_TABLE_MIN;

		while (n <= (size_t)fd)
			n *= 2;
		loop->fds = xrealloc(loop->fds, n * sizeof(*loop->fds));
		memset(loop->fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*loop->fds));
		loop->nfds = n;
	}
	if (loop->fds[fd])
		return -EEXIST;
	w = xcalloc(1, sizeof(*w));
	w->kind = EV_KIND_FD;
	w->fd = fd;
	w->fd_cb = cb;
	w->arg = arg;
	rc = watch_add(loop, w, events);
	if (rc < 0) {
		free(w);
		return rc;
	}
	loop->fds[fd] = w;
	return 0;
}

/**
 * fd_watch() - the watch of @fd.
 * @loop: loop
 * @fd:   descriptor
 * Return: the watch or NULL.
 */
static struct ev_watch *fd_watch(struct evloop *loop, int fd)
{
	if (!loop || fd < 0 || (size_t)fd >= loop->nfds)
		return NULL;
	return loop->fds[fd];
}

/**
 * evloop_mod() - change the events watched on @fd.
 * @loop:   loop
 * @fd:     a watched descriptor
 * @events: new event mask
 * Return: 0, -ENOENT if @fd is not watched, or -errno.
 */
int evloop_mod(struct evloop *loop, int fd, uint32_t events)
{
	struct ev_watch *w = fd_watch(loop, fd);
	struct epoll_event ev;

	if (!w)
		return -ENOENT;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

/**
 * evloop_del() - stop watching @fd (safe inside any callback, also after
 * @fd was closed).
 * @loop: loop
 * @fd:   a watched descriptor
 * Return: 0 or -ENOENT if @fd is not watched.
 */
int evloop_del(struct evloop *loop, int fd)
{
	struct ev_watch *w = fd_watch(loop, fd);

	if (!w)
		return -ENOENT;
	loop->fds[fd] = NULL;
	watch_remove(loop, w);
	return 0;
}

/**
 * ms_to_timespec() - convert milliseconds.
 * @ms: milliseconds
 * @ts: receives the time
 */
static void ms_to_timespec(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / MS_PER_SEC);
	ts->tv_nsec = (long)(ms % MS_PER_SEC) * NS_PER_MS;
}

/**
 * evloop_timer_set() - re-arm @t: first expiry after @ms, then every
 * @interval_ms (0 = one-shot).  @ms == 0 fires at the next dispatch.
 * @t:           timer
 * @ms:          delay of the first expiry
 * @interval_ms: period, or 0
 * Return: 0 or -errno.
 */
int evloop_timer_set(struct ev_timer *t, uint64_t ms, uint64_t interval_ms)
{
	struct itimerspec its;

	if (!t)
		return -EINVAL;
	memset(&its, 0, sizeof(its));
	ms_to_timespec(ms, &its.it_value);
	ms_to_timespec(interval_ms, &its.it_interval);
	/* A zero it_value would disarm the timer: use the shortest delay. */
	if (ms == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(t->w.fd, 0, &its, NULL) < 0)
		return -errno;
	t->interval_ms = interval_ms;
	return 0;
}

/**
 * evloop_timer_add() - a timer calling @cb after @ms, then every
 * @interval_ms if non-zero.
 * @loop:        loop
 * @ms:          delay of the first call
 * @interval_ms: period, or 0 for a one-shot timer
 * @cb:          callback
 * @arg:         passed to @cb
 * Return: the timer, or NULL with errno set.
 */
struct ev_timer *evloop_timer_add(struct evloop *loop, uint64_t ms,
				  uint64_t interval_ms, ev_timer_cb cb, void *arg)
{
	struct ev_timer *t;
	int rc;

	if (!loop || !cb) {
		errno = EINVAL;
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->w.kind = EV_KIND_TIMER;
	t->w.timer_cb = cb;
	t->w.arg = arg;
	t->w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->w.fd < 0) {
		rc = -errno;
		goto err;
	}
	rc = evloop_timer_set(t, ms, interval_ms);
	if (rc < 0)
		goto err;
	rc = watch_add(loop, &t->w, EPOLLIN);
	if (rc < 0)
		goto err;
	return t;

err:
	watch_free(&t->w);
	errno = -rc;
	return NULL;
}

/**
 * evloop_timer_del() - cancel and free @t (safe inside its callback).
 * @loop: loop
 * @t:    timer, or NULL
 */
void evloop_timer_del(struct evloop *loop, struct ev_timer *t)
{
	if (!loop || !t || t->w.dead)
		return;
	watch_remove(loop, &t->w);
}

/**
 * evloop_signal_add() - deliver @signo through the loop.  The signal is
 * blocked for the calling thread (and threads it creates later) and read
 * from the loop's signalfd.
 * @loop:  loop
 * @signo: signal number
 * @cb:    callback
 * @arg:   passed to @cb
 * Return: 0, -EINVAL for a bad number, -EEXIST if it has a handler already,
 * or -errno.
 */
int evloop_signal_add(struct evloop *loop, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t mask, one;
	int fd, rc;

	if (!loop || !cb || signo <= 0 || signo >= _NSIG || signo == SIGKILL ||
	    signo == SIGSTOP)
		return -EINVAL;
	if (loop->signals[signo].cb)
		return -EEXIST;
	mask = loop->sigmask;
	if (sigaddset(&mask, signo) < 0)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -errno;
	fd = signalfd(loop->sigwatch ? loop->sigwatch->fd : -1, &mask,
		      SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!loop->sigwatch) {
		struct ev_watch *w = xcalloc(1, sizeof(*w));

		w->kind = EV_KIND_SIGNAL;
		w->fd = fd;
		rc = watch_add(loop, w, EPOLLIN);
		if (rc < 0) {
			watch_free(w);
			return rc;
		}
		loop->sigwatch = w;
	}
	loop->sigmask = mask;
	loop->signals[signo].cb = cb;
	loop->signals[signo].arg = arg;
	return 0;
}

/**
 * dispatch_timer() - consume a timer's expirations and call it once.
 * @loop: loop
 * @t:    timer
 */
static void dispatch_timer(struct evloop *loop, struct ev_timer *t)
{
	uint64_t expirations;

	if (read(t->w.fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;		/* spurious wake-up or re-armed meanwhile */
	t->w.timer_cb(loop, t, t->w.arg);
}

/**
 * dispatch_signals() - read every pending signal and call its handler.
 * @loop: loop
 * @w:    the signalfd watch
 */
static void dispatch_signals(struct evloop *loop, struct ev_watch *w)
{
	struct signalfd_siginfo si;

	while (!w->dead && read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < _NSIG && loop->signals[signo].cb)
			loop->signals[signo].cb(loop, signo, loop->signals[signo].arg);
	}
}

/**
 * evloop_run_once() - wait up to @timeout_ms (-1 = forever) and dispatch
 * what is ready.
 * @loop:       loop
 * @timeout_ms: longest wait
 * Return: the number of ready events (0 on timeout or a signal
 * interrupting the wait), or -errno.
 */
int evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event events[EV_MAX_EVENTS];
	struct ev_watch *w, *next;
	int n, i;

	if (!loop)
		return -EINVAL;
	n = epoll_wait(loop->epfd, events, EV_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;

	loop->dispatching = true;
	for (i = 0; i < n; i++) {
		w = events[i].data.ptr;
		if (w->dead)
			continue;
		switch (w->kind) {
		case EV_KIND_FD:
			w->fd_cb(loop, w->fd, events[i].events, w->arg);
			break;
		case EV_KIND_TIMER:
			dispatch_timer(loop, (struct ev_timer *)w);
			break;
		case EV_KIND_SIGNAL:
			dispatch_signals(loop, w);
			break;
		}
	}
	loop->dispatching = false;
	for (w = loop->dead; w; w = next) {
		next = w->next;
		watch_free(w);
	}
	loop->dead = NULL;
	return n;
}

/**
 * evloop_run() - dispatch until evloop_stop() is called (if it was called
 * before, return at once).  The stop request is used up on return.
 * @loop: loop
 * Return: 0, or -errno if waiting failed.
 */
int evloop_run(struct evloop *loop)
{
	int rc;

	if (!loop)
		return -EINVAL;
	while (!loop->stopped) {
		rc = evloop_run_once(loop, -1);
		if (rc < 0)
			return rc;
	}
	loop->stopped = false;
	return 0;
}

/**
 * evloop_stop() - make evloop_run() return after the current round.
 * @loop: loop
 */
void evloop_stop(struct evloop *loop)
{
	if (loop)
		loop->stopped = true;
}
