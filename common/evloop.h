/* One epoll event loop per daemon: file descriptors, timers (timerfd) and
 * signals (signalfd).  Single-threaded; callbacks must not block.
 */
#ifndef LR_EVLOOP_H
#define LR_EVLOOP_H

#include <stdint.h>

struct evloop;
struct ev_timer;

/**
 * ev_fd_cb - called when @fd is ready.  @events is the EPOLLIN/OUT/ERR/HUP
 * mask.  The callback may remove @fd (even close it) or stop the loop.
 */
typedef void (*ev_fd_cb)(struct evloop *loop, int fd, uint32_t events, void *arg);
typedef void (*ev_timer_cb)(struct evloop *loop, struct ev_timer *t, void *arg);
typedef void (*ev_signal_cb)(struct evloop *loop, int signo, void *arg);

/** evloop_new() - a new loop, or NULL (errno set). */
struct evloop *evloop_new(void);
/** evloop_free() - free the loop; fds it watched are not closed. */
void evloop_free(struct evloop *loop);

/** evloop_add()/evloop_mod()/evloop_del() - watch @fd.  0 or -errno. */
int evloop_add(struct evloop *loop, int fd, uint32_t events, ev_fd_cb cb, void *arg);
int evloop_mod(struct evloop *loop, int fd, uint32_t events);
int evloop_del(struct evloop *loop, int fd);

/**
 * evloop_timer_add() - call @cb after @ms milliseconds, and then every
 * @interval_ms if non-zero.  Return: the timer, or NULL (errno set).
 */
struct ev_timer *evloop_timer_add(struct evloop *loop, uint64_t ms,
				  uint64_t interval_ms, ev_timer_cb cb, void *arg);
/**
 * evloop_timer_set() - re-arm @t: first call after @ms (0 = at the next
 * dispatch), then every @interval_ms if non-zero.  Works on a one-shot timer
 * that has fired.  0 or -errno.
 */
int evloop_timer_set(struct ev_timer *t, uint64_t ms, uint64_t interval_ms);
/**
 * evloop_timer_del() - cancel and free a timer (safe inside its callback).
 * A one-shot timer is not freed when it fires: it stays (disarmed) until
 * evloop_timer_del() or evloop_free().
 */
void evloop_timer_del(struct evloop *loop, struct ev_timer *t);

/**
 * evloop_signal_add() - deliver @signo through the loop (it is blocked for
 * the process and read from a signalfd).  0 or -errno.
 */
int evloop_signal_add(struct evloop *loop, int signo, ev_signal_cb cb, void *arg);

/** evloop_run() - dispatch until evloop_stop().  0 or -errno. */
int evloop_run(struct evloop *loop);
/**
 * evloop_run_once() - wait at most @timeout_ms (-1 = forever) and dispatch
 * once.  Return: the number of ready events (0 on timeout or EINTR), or
 * -errno.
 */
int evloop_run_once(struct evloop *loop, int timeout_ms);
/**
 * evloop_stop() - make evloop_run() return after the current dispatch (or,
 * when called outside evloop_run(), as soon as it is next called).
 */
void evloop_stop(struct evloop *loop);

#endif
