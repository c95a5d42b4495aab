/* Unit tests for common/ctl.c: the control socket, over real Unix sockets
 * in a scratch directory.  The server runs in this process: either in a
 * thread that turns the event loop (for the blocking ctl_call()), or turned
 * by the test itself (to watch it step by step).
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "evloop.h"
#include "util.h"
#include "testutil.h"

/** Longest a test waits for something that should happen at once. */
#define WAIT_MS 5000
/** Event loop turn while the server thread runs. */
#define TURN_MS 20
/** Size of the "big" command's payload. */
#define BIG_REPLY 65536

/** A server under test. */
struct fixture {
	char *dir;			/* scratch directory */
	char *path;			/* socket path in it */
	struct evloop *loop;		/* the server's loop */
	struct ctl_server *srv;		/* the server, or NULL */
	pthread_t thread;		/* turns @loop while @running */
	atomic_bool stop;		/* asks the thread to end */
	bool running;			/* the thread was started */
	int handled;			/* handler calls (server thread only) */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * handler() - the test daemon: ping, echo, big (a 64 KiB reply), null
 * (no reply object), bare (a reply without "ok"); anything else unknown.
 */
static json_t *handler(const char *cmd, json_t *req, void *arg)
{
	struct fixture *f = arg;
	json_t *r;

	f->handled++;
	if (!strcmp(cmd, "ping")) {
		r = ctl_reply_ok();
		json_object_set_new(r, "pong", json_true());
		return r;
	}
	if (!strcmp(cmd, "echo")) {
		r = ctl_reply_ok();
		json_object_set(r, "req", req);
		return r;
	}
	if (!strcmp(cmd, "big")) {
		char *s = xmalloc(BIG_REPLY + 1);

		memset(s, 'b', BIG_REPLY);
		s[BIG_REPLY] = '\0';
		r = ctl_reply_ok();
		json_object_set_new(r, "data", json_string(s));
		free(s);
		return r;
	}
	if (!strcmp(cmd, "null"))
		return NULL;
	if (!strcmp(cmd, "bare"))
		return json_pack("{s:i}", "x", 1);
	return ctl_reply_error("unknown command \"%s\"", cmd);
}

static void *server_thread(void *arg)
{
	struct fixture *f = arg;

	while (!atomic_load(&f->stop))
		evloop_run_once(f->loop, TURN_MS);
	return NULL;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = tu_scratch_make();
	f->path = tu_path(f->dir, "ctl.sock");
	f->loop = evloop_new();
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

/** server_stop() - end the server thread if it runs. */
static void server_stop(struct fixture *f)
{
	if (!f->running)
		return;
	atomic_store(&f->stop, true);
	assert_int_equal(pthread_join(f->thread, NULL), 0);
	f->running = false;
	atomic_store(&f->stop, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	server_stop(f);
	ctl_server_close(f->srv);
	evloop_free(f->loop);
	free(f->path);
	tu_scratch_remove(f->dir);
	free(f);
	return 0;
}

/** server_open() - open the server on f->path, mode 0 (default). */
static void server_open(struct fixture *f)
{
	assert_int_equal(ctl_server_open(f->loop, f->path, 0, handler, f, &f->srv), 0);
	assert_non_null(f->srv);
}

/** server_start() - open the server and turn its loop in a thread. */
static void server_start(struct fixture *f)
{
	server_open(f);
	assert_int_equal(pthread_create(&f->thread, NULL, server_thread, f), 0);
	f->running = true;
}

/** call() - ctl_call() with the request {"cmd":@cmd}. */
static int call(const char *path, const char *cmd, json_t **reply, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	int rc;

	assert_non_null(req);
	rc = ctl_call(path, req, WAIT_MS, reply, err, errlen);
	json_decref(req);
	return rc;
}

/** raw_connect() - a blocking client socket on @path, reads time out. */
static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(str_copy(sa.sun_path, sizeof(sa.sun_path), path), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void raw_send(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/**
 * raw_line() - read one reply line from @fd.
 * Return: the line without '\n' (caller frees), or NULL when the server
 * closed (EOF, or ECONNRESET: it closed with our bytes unread).  A read
 * timeout fails the test.
 */
static char *raw_line(int fd)
{
	size_t cap = 256, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t n = recv(fd, buf + len, 1, 0);

		if (n < 0 && errno == ECONNRESET)
			n = 0;
		assert_false(n < 0);	/* timeout or error */
		if (n == 0) {
			free(buf);
			return NULL;
		}
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return buf;
		}
		if (++len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
}

/**
 * raw_reply() - read one reply line, parse it, check "ok" is @ok.
 * Return: the object (caller decrefs).
 */
static json_t *raw_reply(int fd, bool ok)
{
	char *line = raw_line(fd);
	json_t *j;

	assert_non_null(line);
	j = json_loads(line, 0, NULL);
	free(line);
	assert_true(json_is_object(j));
	assert_true(json_is_boolean(json_object_get(j, "ok")));
	assert_int_equal(json_is_true(json_object_get(j, "ok")), ok);
	return j;
}

/** reply_error_has() - whether @j's "error" contains @what; decrefs @j. */
static bool reply_error_has(json_t *j, const char *what)
{
	const char *e = json_string_value(json_object_get(j, "error"));
	bool has = e && strstr(e, what);

	json_decref(j);
	return has;
}

/** make_stale_socket() - leave a socket file at @path that nobody serves. */
static void make_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(str_copy(sa.sun_path, sizeof(sa.sun_path), path), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
}

/** listen_only() - a socket listening on @path that never accepts. */
static int listen_only(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(str_copy(sa.sun_path, sizeof(sa.sun_path), path), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* ---- tests -------------------------------------------------------------- */

/* ping through ctl_call(); the socket file is 0600 and removed on close. */
static void test_ping(void **state)
{
	struct fixture *f = *state;
	json_t *reply = NULL, *req;
	struct stat sb;
	char err[256] = "";

	server_start(f);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, CTL_MODE_DEFAULT);

	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), 0);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	assert_true(json_is_true(json_object_get(reply, "pong")));
	json_decref(reply);

	/* Arguments reach the handler intact, non-ASCII included. */
	req = json_pack("{s:s,s:s}", "cmd", "echo", "client", "pc01-\xc3\xa9\n");
	assert_int_equal(ctl_call(f->path, req, WAIT_MS, &reply, err, sizeof(err)), 0);
	assert_true(json_equal(json_object_get(reply, "req"), req));
	json_decref(reply);
	json_decref(req);

	/* A reply without "ok" gets "ok":true. */
	assert_int_equal(call(f->path, "bare", &reply, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(reply, "x")), 1);
	json_decref(reply);

	server_stop(f);
	ctl_server_close(f->srv);
	f->srv = NULL;
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

/* The handler's ok:false reaches the caller as -EREMOTEIO + its message. */
static void test_unknown_command(void **state)
{
	struct fixture *f = *state;
	json_t *reply = (json_t *)1;
	char err[256] = "";

	server_start(f);
	assert_int_equal(call(f->path, "frob", &reply, err, sizeof(err)), -EREMOTEIO);
	assert_null(reply);
	assert_string_equal(err, "unknown command \"frob\"");

	/* A handler that returns no object: "internal error". */
	assert_int_equal(call(f->path, "null", &reply, err, sizeof(err)), -EREMOTEIO);
	assert_string_equal(err, "internal error");

	/* ctl_call() refuses a request without "cmd" before connecting. */
	assert_int_equal(ctl_call(f->path, NULL, WAIT_MS, &reply, err, sizeof(err)), -EINVAL);
}

/* Bad lines get an error reply; the connection stays usable. */
static void test_malformed(void **state)
{
	struct fixture *f = *state;
	int fd;

	server_start(f);
	fd = raw_connect(f->path);

	raw_send(fd, "{not json\n");
	assert_true(reply_error_has(raw_reply(fd, false), "invalid JSON"));
	raw_send(fd, "[1,2]\n");
	assert_true(reply_error_has(raw_reply(fd, false), "JSON object"));
	raw_send(fd, "{\"cmd\":7}\n");
	assert_true(reply_error_has(raw_reply(fd, false), "\"cmd\""));
	raw_send(fd, "{\"cmd\":\"ping\",\"cmd\":\"ping\"}\n");
	assert_true(reply_error_has(raw_reply(fd, false), "invalid JSON"));
	raw_send(fd, "{\"cmd\":\"\xff\"}\n");	/* not UTF-8 */
	assert_true(reply_error_has(raw_reply(fd, false), "invalid JSON"));

	/* Blank lines are skipped; CRLF is accepted; two requests in one
	 * write get two replies in order. */
	raw_send(fd, "\n\r\n{\"cmd\":\"ping\"}\r\n{\"cmd\":\"frob\"}\n");
	json_decref(raw_reply(fd, true));
	assert_true(reply_error_has(raw_reply(fd, false), "unknown command"));

	/* A request split across writes. */
	raw_send(fd, "{\"cmd\":");
	usleep(50 * 1000);
	raw_send(fd, "\"ping\"}\n");
	json_decref(raw_reply(fd, true));
	close(fd);
}

/* A line of CTL_LINE_MAX bytes is served; one byte more: error, closed. */
static void test_long_line(void **state)
{
	struct fixture *f = *state;
	const char *head = "{\"cmd\":\"ping\",\"pad\":\"";
	char *line = xmalloc(CTL_LINE_MAX + 3);
	size_t hlen = strlen(head);
	int fd;

	server_start(f);
	fd = raw_connect(f->path);

	memcpy(line, head, hlen);
	memset(line + hlen, 'a', CTL_LINE_MAX - hlen - 2);
	memcpy(line + CTL_LINE_MAX - 2, "\"}\n", 4);
	assert_int_equal(strlen(line), CTL_LINE_MAX + 1);
	raw_send(fd, line);
	json_decref(raw_reply(fd, true));

	/* The same with one more pad byte. */
	memset(line + hlen, 'a', CTL_LINE_MAX - hlen - 1);
	memcpy(line + CTL_LINE_MAX - 1, "\"}\n", 4);
	raw_send(fd, line);
	assert_true(reply_error_has(raw_reply(fd, false), "longer than"));
	assert_null(raw_line(fd));	/* closed */
	close(fd);
	free(line);
}

/*
 * A client that sends requests and never reads: the server's unsent
 * output stays bounded and the client is dropped.  The loop is turned
 * here, so the test sees every step.
 */
static void test_no_reader(void **state)
{
	struct fixture *f = *state;
	const char *req = "{\"cmd\":\"big\"}\n";
	struct ctl_server_stats st;
	int rcvbuf = 4096;
	long long until;
	bool dropped = false;
	int fd, sent = 0;

	server_open(f);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		assert_int_equal(str_copy(sa.sun_path, sizeof(sa.sun_path), f->path), 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	until = now_ms() + WAIT_MS;
	while (!dropped && now_ms() < until) {
		ssize_t n = send(fd, req, strlen(req), MSG_NOSIGNAL);

		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			dropped = true;
		else if (n > 0)
			sent++;
		assert_true(evloop_run_once(f->loop, 0) >= 0);
		ctl_server_get_stats(f->srv, &st);
		if (st.overflows > 0 && st.conns == 0)
			dropped = true;
	}
	assert_true(dropped);
	ctl_server_get_stats(f->srv, &st);
	assert_int_equal(st.overflows, 1);
	assert_int_equal(st.conns, 0);
	/* Bounded: the limit plus the one reply that would not fit. */
	assert_true(st.out_peak <= CTL_OUT_MAX);
	assert_true(st.out_peak > CTL_OUT_MAX - 2 * BIG_REPLY);
	assert_true(sent * BIG_REPLY > CTL_OUT_MAX);
	close(fd);
}

/* EOF after a request: the reply is still sent, then the server closes.
 * An unterminated last line is ignored. */
static void test_eof(void **state)
{
	struct fixture *f = *state;
	int fd;

	server_start(f);
	fd = raw_connect(f->path);
	raw_send(fd, "{\"cmd\":\"big\"}\n{\"cmd\":\"ping\"}");
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	json_decref(raw_reply(fd, true));
	assert_null(raw_line(fd));
	close(fd);
}

/* A socket file nobody serves is replaced; anything else is kept. */
static void test_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct ctl_server *other = (struct ctl_server *)1;
	json_t *reply = NULL;
	char err[256] = "";
	char *plain = tu_path(f->dir, "plain");

	make_stale_socket(f->path);
	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), -ECONNREFUSED);
	assert_null(reply);
	server_start(f);
	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), 0);
	json_decref(reply);

	/* A regular file is not a stale socket: refused, left in place. */
	tu_put(f->dir, "plain", "keep me", 0644);
	assert_int_equal(ctl_server_open(f->loop, plain, 0, handler, f, &other), -EEXIST);
	assert_null(other);
	{
		char *text = tu_read_file(plain);

		assert_string_equal(text, "keep me");
		free(text);
	}
	free(plain);
}

/* A second server on a live socket: -EADDRINUSE, the first one unharmed. */
static void test_live_daemon(void **state)
{
	struct fixture *f = *state;
	struct ctl_server *other = (struct ctl_server *)1;
	json_t *reply = NULL;
	char err[256] = "";

	server_start(f);
	assert_int_equal(ctl_server_open(f->loop, f->path, 0, handler, f, &other),
			 -EADDRINUSE);
	assert_null(other);
	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), 0);
	json_decref(reply);
}

/* A daemon that accepts the connection but never answers. */
static void test_timeout(void **state)
{
	struct fixture *f = *state;
	json_t *req = json_pack("{s:s}", "cmd", "ping");
	json_t *reply = (json_t *)1;
	char err[256] = "";
	long long t0, dt;
	int lfd = listen_only(f->path);

	t0 = now_ms();
	assert_int_equal(ctl_call(f->path, req, 200, &reply, err, sizeof(err)), -ETIMEDOUT);
	dt = now_ms() - t0;
	assert_null(reply);
	assert_true(dt >= 190 && dt < WAIT_MS);
	assert_non_null(strstr(err, "no reply"));
	json_decref(req);
	close(lfd);
}

/* No daemon at all, and daemons that answer rubbish or hang up. */
static void test_missing_and_garbage(void **state)
{
	struct fixture *f = *state;
	json_t *reply = (json_t *)1;
	char err[256] = "";
	char *longpath = xmalloc(200);
	int lfd, cfd, i;
	static const struct {
		const char *said;	/* what the fake daemon writes */
		int rc;			/* what ctl_call() returns */
	} fakes[] = {
		{ "hello\n", -EPROTO },
		{ "[true]\n", -EPROTO },
		{ "{\"ok\":1}\n", -EPROTO },
		{ "{\"ok\":true}", -ECONNRESET },	/* no '\n' before EOF */
		{ "", -ECONNRESET },
		{ "{\"ok\":false}\n", -EREMOTEIO },
		{ "{\"ok\":true,\"v\":2}\n", 0 },
	};

	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), -ENOENT);
	assert_null(reply);
	assert_non_null(strstr(err, f->path));

	memset(longpath, 'x', 199);
	longpath[199] = '\0';
	assert_int_equal(call(longpath, "ping", &reply, err, sizeof(err)), -ENAMETOOLONG);
	assert_int_equal(ctl_server_open(f->loop, longpath, 0, handler, f, &f->srv),
			 -ENAMETOOLONG);
	assert_int_equal(ctl_server_open(f->loop, f->path, 010000, handler, f, &f->srv),
			 -EINVAL);
	free(longpath);

	/* Fake daemons: the reply is already queued when ctl_call() reads. */
	lfd = listen_only(f->path);
	for (i = 0; i < (int)ARRAY_SIZE(fakes); i++) {
		pid_t pid;
		int status;

		/* ctl_call() runs in a child; the fake daemon answers here. */
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int rc = call(f->path, "ping", &reply, err, sizeof(err));

			json_decref(reply);
			_exit(rc == fakes[i].rc ? 0 : 1);
		}
		cfd = accept(lfd, NULL, NULL);
		assert_true(cfd >= 0);
		if (*fakes[i].said)
			raw_send(cfd, fakes[i].said);
		close(cfd);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("fake daemon saying \"%s\": wrong return", fakes[i].said);
	}
	close(lfd);
}

/* CTL_CONN_MAX connections are served; the next is told why it is turned
 * away; a freed slot serves again. */
static void test_conn_limit(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_CONN_MAX];
	json_t *reply = NULL;
	char err[256] = "";
	long long until;
	int i, rc;

	server_start(f);
	for (i = 0; i < CTL_CONN_MAX; i++) {
		fds[i] = raw_connect(f->path);
		raw_send(fds[i], "{\"cmd\":\"ping\"}\n");
		json_decref(raw_reply(fds[i], true));
	}
	assert_int_equal(call(f->path, "ping", &reply, err, sizeof(err)), -EREMOTEIO);
	assert_non_null(strstr(err, "too many control connections"));

	close(fds[0]);
	until = now_ms() + WAIT_MS;
	do {
		rc = call(f->path, "ping", &reply, err, sizeof(err));
		if (rc == 0)
			break;
		usleep(10 * 1000);
	} while (now_ms() < until);
	assert_int_equal(rc, 0);
	json_decref(reply);
	for (i = 1; i < CTL_CONN_MAX; i++)
		close(fds[i]);
	server_stop(f);
	{
		struct ctl_server_stats st;

		ctl_server_get_stats(f->srv, &st);
		assert_true(st.refused >= 1);
		assert_true(st.accepted >= CTL_CONN_MAX + 1);
	}
}

/* The socket file gets the mode asked for. */
static void test_mode(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	assert_int_equal(ctl_server_open(f->loop, f->path, 0660, handler, f, &f->srv), 0);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0660);
}

#define ctl_test(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ctl_test(test_ping),
		ctl_test(test_unknown_command),
		ctl_test(test_malformed),
		ctl_test(test_long_line),
		ctl_test(test_no_reader),
		ctl_test(test_eof),
		ctl_test(test_stale_socket),
		ctl_test(test_live_daemon),
		ctl_test(test_timeout),
		ctl_test(test_missing_and_garbage),
		ctl_test(test_conn_limit),
		ctl_test(test_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
