/* The control socket: JSON lines over a Unix stream socket (see ctl.h).
 *
 * Server: a listening socket in the daemon's event loop and a small struct
 * per connection with a bounded input buffer (one line, CTL_LINE_MAX) and a
 * bounded output buffer (CTL_OUT_MAX of unsent replies).  Nothing blocks:
 * sockets are non-blocking and a reply that does not fit in the kernel's
 * buffer waits in the output buffer for EPOLLOUT.
 *
 * Client: ctl_call(), one blocking request/reply with a deadline.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "evloop.h"
#include "log.h"
#include "util.h"

/** First size of a connection's input buffer; it doubles up to the limit. */
#define CTL_IN_MIN 4096
/** Input buffer limit: the longest line and its '\n'. */
#define CTL_IN_MAX (CTL_LINE_MAX + 1)
/** Connections accepted per wake-up of the listening socket. */
#define CTL_ACCEPT_BATCH CTL_CONN_MAX
/** ctl_call()'s deadline when the caller gives none. */
#define CTL_CALL_TIMEOUT_DEFAULT_MS 5000
/** ctl_call() retry delay while the daemon's accept queue is full. */
#define CTL_CONNECT_RETRY_MS 10
/** First size of ctl_call()'s reply buffer. */
#define CTL_REPLY_MIN 4096
#define NS_PER_MS 1000000L

/** One client connection of a server. */
struct ctl_conn {
	struct ctl_server *srv;		/* owner */
	int fd;				/* the connected socket */
	char *in;			/* received bytes not yet handled */
	size_t in_len;			/* bytes in @in */
	size_t in_cap;			/* size of @in */
	size_t in_scanned;		/* bytes of @in known to hold no '\n' */
	char *out;			/* replies not yet sent */
	size_t out_off;			/* first unsent byte in @out */
	size_t out_len;			/* end of the data in @out */
	size_t out_cap;			/* size of @out */
	bool closing;			/* read no more; close once @out is sent */
	struct ctl_conn *prev, *next;	/* list of the server's connections */
};

/** A listening control socket. */
struct ctl_server {
	struct evloop *loop;		/* where it is registered */
	int fd;				/* listening socket */
	char *path;			/* socket file */
	dev_t dev;			/* identity of the socket file we made, */
	ino_t ino;			/* so close never removes a successor's */
	ctl_handler handler;		/* answers requests */
	void *arg;			/* for @handler */
	struct ctl_conn *conns;		/* open connections */
	struct ctl_server_stats st;	/* counters */
};

/* ---- replies ------------------------------------------------------------ */

/**
 * ctl_reply_ok() - a new {"ok":true}.
 * Return: the object (aborts on out of memory, like xmalloc()).
 */
json_t *ctl_reply_ok(void)
{
	json_t *j = json_pack("{s:b}", "ok", 1);

	if (!j)
		abort();
	return j;
}

/**
 * ctl_reply_error() - a new {"ok":false,"error":MESSAGE}.
 * @fmt: printf format of the message
 * Return: the object (aborts on out of memory).
 */
json_t *ctl_reply_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* json_pack() refuses invalid UTF-8; a cut multi-byte sequence or a
	 * client's bytes must not lose the reply. */
	j = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
	if (!j)
		j = json_pack("{s:b,s:s}", "ok", 0, "error", "(unprintable error)");
	if (!j)
		abort();
	return j;
}

/* ---- server: connections ------------------------------------------------ */

/** conn_pending() - unsent reply bytes of @c. */
static size_t conn_pending(const struct ctl_conn *c)
{
	return c->out_len - c->out_off;
}

/**
 * conn_free() - stop watching, close and free @c.
 */
static void conn_free(struct ctl_conn *c)
{
	struct ctl_server *srv = c->srv;

	evloop_del(srv->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->st.conns--;
	free(c->in);
	free(c->out);
	free(c);
}

/**
 * conn_flush() - send as much of @c's output as the socket takes now.
 * Return: 0 (whatever is left waits for EPOLLOUT), or -errno when the
 * connection is broken.
 */
static int conn_flush(struct ctl_conn *c)
{
	while (conn_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, conn_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/**
 * conn_queue() - render @reply as a line and queue it on @c.
 * @c:     the connection
 * @reply: the reply object (reference taken)
 *
 * A reply that would push the unsent bytes past CTL_OUT_MAX (after trying
 * to send what is queued) means the client is not reading: it is dropped.
 * A single reply larger than the limit is still queued on an idle
 * connection — its size is the daemon's doing, not the client's.
 * Return: 0, or -ENOBUFS (drop the client), or -errno from sending.
 */
static int conn_queue(struct ctl_conn *c, json_t *reply)
{
	struct ctl_server *srv = c->srv;
	char *line = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t len;
	int rc = 0;

	json_decref(reply);
	if (!line)
		line = xstrdup("{\"ok\":false,\"error\":\"cannot render the reply\"}");
	len = strlen(line) + 1;		/* with the '\n' */
	if (conn_pending(c) > 0 && conn_pending(c) + len > CTL_OUT_MAX) {
		rc = conn_flush(c);
		if (rc < 0)
			goto out;
		if (conn_pending(c) > 0 && conn_pending(c) + len > CTL_OUT_MAX) {
			srv->st.overflows++;
			log_warn("control socket %s: client does not read its replies "
				 "(%zu bytes unsent), dropping it", srv->path,
				 conn_pending(c));
			rc = -ENOBUFS;
			goto out;
		}
	}
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, conn_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		c->out_cap = c->out_len + len;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, line, len - 1);
	c->out[c->out_len + len - 1] = '\n';
	c->out_len += len;
	if (conn_pending(c) > srv->st.out_peak)
		srv->st.out_peak = conn_pending(c);
out:
	free(line);
	return rc;
}

/**
 * conn_handle_line() - answer one request line.
 * @c:    the connection
 * @line: the line, NUL-terminated, without its '\n'
 * @len:  its length
 *
 * Blank lines are skipped.  A line that is not a request gets an error
 * reply and the connection stays usable.
 * Return: 0, or -errno from conn_queue() (drop the client).
 */
static int conn_handle_line(struct ctl_conn *c, char *line, size_t len)
{
	struct ctl_server *srv = c->srv;
	json_error_t jerr;
	json_t *req, *reply, *cmd;
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return 0;
	srv->st.requests++;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return conn_queue(c, ctl_reply_error("invalid JSON at column %d: %s",
						     jerr.column, jerr.text));
	cmd = json_object_get(req, "cmd");
	if (!json_is_object(req)) {
		reply = ctl_reply_error("a request must be a JSON object");
	} else if (!json_is_string(cmd) || !*json_string_value(cmd)) {
		reply = ctl_reply_error("the request has no \"cmd\" string");
	} else {
		reply = srv->handler(json_string_value(cmd), req, srv->arg);
		if (!json_is_object(reply)) {
			log_err("control socket %s: no reply object for \"%s\"",
				srv->path, json_string_value(cmd));
			json_decref(reply);
			reply = ctl_reply_error("internal error");
		} else if (!json_object_get(reply, "ok")) {
			json_object_set_new(reply, "ok", json_true());
		}
	}
	json_decref(req);
	rc = conn_queue(c, reply);
	return rc;
}

/**
 * conn_read() - read what the client sent and answer every whole line.
 * An over-long line gets an error reply, then the connection closes; EOF
 * closes it once the replies are sent.
 * Return: 0, or -errno when the connection must be dropped now.
 */
static int conn_read(struct ctl_conn *c)
{
	size_t start = 0;
	ssize_t n;
	int rc;

	if (c->in_len == c->in_cap) {
		c->in_cap = c->in_cap ? c->in_cap * 2 : CTL_IN_MIN;
		if (c->in_cap > CTL_IN_MAX)
			c->in_cap = CTL_IN_MAX;
		c->in = xrealloc(c->in, c->in_cap);
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	if (n == 0) {
		/* EOF: an unterminated last line is dropped. */
		c->closing = true;
		c->in_len = 0;
		return 0;
	}
	c->in_len += (size_t)n;

	while (start < c->in_len) {
		char *nl = memchr(c->in + c->in_scanned, '\n', c->in_len - c->in_scanned);
		size_t len;

		if (!nl) {
			c->in_scanned = c->in_len;
			break;
		}
		*nl = '\0';
		len = (size_t)(nl - (c->in + start));
		rc = conn_handle_line(c, c->in + start, len);
		if (rc < 0)
			return rc;
		start += len + 1;
		c->in_scanned = start;
	}
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		c->in_scanned -= start;
	}
	if (c->in_len == CTL_IN_MAX) {
		c->closing = true;
		c->in_len = c->in_scanned = 0;
		return conn_queue(c, ctl_reply_error("request line longer than %d bytes",
						     CTL_LINE_MAX));
	}
	return 0;
}

/**
 * on_conn_event() - evloop callback of a connection: read requests, send
 * replies, close when done or broken.
 */
static void on_conn_event(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;
	uint32_t want;
	int rc = 0;

	if (events & EPOLLERR) {
		rc = -EPIPE;
		goto err;
	}
	if (!c->closing && (events & (EPOLLIN | EPOLLHUP))) {
		rc = conn_read(c);
		if (rc < 0)
			goto err;
	} else if (c->closing && (events & EPOLLHUP)) {
		rc = -EPIPE;		/* the client is gone; nobody to reply to */
		goto err;
	}
	rc = conn_flush(c);
	if (rc < 0)
		goto err;
	if (c->closing && conn_pending(c) == 0)
		goto err;
	want = (c->closing ? 0 : EPOLLIN) | (conn_pending(c) ? EPOLLOUT : 0);
	rc = evloop_mod(loop, fd, want);
	if (rc < 0)
		goto err;
	return;
err:
	conn_free(c);
}

/**
 * refuse_conn() - tell a client over the connection limit why, and close.
 * Best effort: a client that cannot take one short line now gets nothing.
 */
static void refuse_conn(struct ctl_server *srv, int fd)
{
	char msg[128];
	int len;

	len = snprintf(msg, sizeof(msg),
		       "{\"ok\":false,\"error\":\"too many control connections (%d)\"}\n",
		       CTL_CONN_MAX);
	if (send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control socket %s: refusing a connection: %s",
			  srv->path, strerror(errno));
	close(fd);
	srv->st.refused++;
}

/**
 * on_listen_event() - evloop callback of the listening socket: accept new
 * connections (refusing those over CTL_CONN_MAX).
 */
static void on_listen_event(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ctl_server *srv = arg;
	int i;

	for (i = 0; i < CTL_ACCEPT_BATCH; i++) {
		struct ctl_conn *c;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int rc;

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control socket %s: accept: %s", srv->path,
					 strerror(errno));
			return;
		}
		if (srv->st.conns >= CTL_CONN_MAX) {
			refuse_conn(srv, cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = srv;
		c->fd = cfd;
		rc = evloop_add(loop, cfd, EPOLLIN, on_conn_event, c);
		if (rc < 0) {
			log_warn("control socket %s: watching a connection: %s",
				 srv->path, strerror(-rc));
			close(cfd);
			free(c);
			continue;
		}
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		srv->st.conns++;
		srv->st.accepted++;
	}
}

/* ---- server: the listening socket --------------------------------------- */

/**
 * sun_fill() - put @path into @sa.
 * Return: 0, -EINVAL for an empty path, -ENAMETOOLONG.
 */
static int sun_fill(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path || !*path)
		return -EINVAL;
	return str_copy(sa->sun_path, sizeof(sa->sun_path), path);
}

/**
 * socket_is_live() - whether a process accepts connections on @sa.
 * Return: 1 live, 0 nobody listens (stale file), or -errno.
 */
static int socket_is_live(const struct sockaddr_un *sa)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		rc = 1;
	else if (errno == EAGAIN)	/* listening, accept queue full */
		rc = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else
		rc = -errno;
	close(fd);
	return rc;
}

/**
 * remove_stale_socket() - make room for our socket at @path: remove a
 * socket file nobody answers on.
 * Return: 0, -EADDRINUSE (a live daemon), -EEXIST (not a socket), -errno.
 */
static int remove_stale_socket(const struct sockaddr_un *sa, const char *path)
{
	struct stat sb;
	int rc;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode)) {
		log_err("control socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	rc = socket_is_live(sa);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		log_err("control socket %s: another process is serving it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_info("control socket %s: removed a stale socket file", path);
	return 0;
}

/**
 * ctl_server_open() - see ctl.h.  The socket is bound, given its mode and
 * only then listens, so nobody connects through looser permissions.
 */
int ctl_server_open(struct evloop *loop, const char *path, unsigned mode,
		    ctl_handler handler, void *arg, struct ctl_server **out)
{
	struct ctl_server *srv = NULL;
	struct sockaddr_un sa;
	struct stat sb;
	bool bound = false;
	int fd = -1;
	int rc;

	if (out)
		*out = NULL;
	if (!loop || !handler || !out || (mode & ~07777u))
		return -EINVAL;
	if (!mode)
		mode = CTL_MODE_DEFAULT;
	rc = sun_fill(&sa, path);
	if (rc < 0)
		goto err;
	rc = remove_stale_socket(&sa, path);
	if (rc < 0)
		goto err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		goto err;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err;
	}
	bound = true;
	if (chmod(path, mode) < 0 || stat(path, &sb) < 0 ||
	    listen(fd, CTL_CONN_MAX) < 0) {
		rc = -errno;
		goto err;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->fd = fd;
	srv->path = xstrdup(path);
	srv->dev = sb.st_dev;
	srv->ino = sb.st_ino;
	srv->handler = handler;
	srv->arg = arg;
	rc = evloop_add(loop, fd, EPOLLIN, on_listen_event, srv);
	if (rc < 0)
		goto err;
	*out = srv;
	return 0;
err:
	if (srv) {
		free(srv->path);
		free(srv);
	}
	if (bound)
		unlink(path);
	if (fd >= 0)
		close(fd);
	return rc;
}

/**
 * ctl_server_close() - see ctl.h.  The socket file is removed only if it
 * is still the one this server made.
 */
void ctl_server_close(struct ctl_server *srv)
{
	struct stat sb;

	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns);
	evloop_del(srv->loop, srv->fd);
	close(srv->fd);
	if (lstat(srv->path, &sb) == 0 && sb.st_dev == srv->dev &&
	    sb.st_ino == srv->ino)
		unlink(srv->path);
	free(srv->path);
	free(srv);
}

/**
 * ctl_server_get_stats() - see ctl.h.
 */
void ctl_server_get_stats(const struct ctl_server *srv, struct ctl_server_stats *st)
{
	*st = srv->st;
}

/* ---- client ------------------------------------------------------------- */

/** mono_ms() - CLOCK_MONOTONIC in milliseconds. */
static long long mono_ms(void)
{
	return monotonic_ns() / NS_PER_MS;
}

/**
 * wait_fd() - poll @fd for @events until @deadline (mono_ms()).
 * Return: 0 when ready, -ETIMEDOUT, or -errno.
 */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - mono_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/**
 * call_connect() - connect @fd to @sa before @deadline.
 * Return: 0 or -errno (-ETIMEDOUT while the accept queue stays full).
 */
static int call_connect(int fd, const struct sockaddr_un *sa, long long deadline)
{
	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if (mono_ms() + CTL_CONNECT_RETRY_MS > deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, CTL_CONNECT_RETRY_MS);
	}
}

/**
 * call_send() - send @len bytes of @buf on @fd before @deadline.
 * Return: 0 or -errno.
 */
static int call_send(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * call_recv_line() - read one '\n'-terminated line from @fd before
 * @deadline.
 * @line: on success the line, NUL-terminated without '\n' (caller frees)
 * @len:  its length
 * Return: 0, -ETIMEDOUT, -ECONNRESET (EOF first), -EPROTO (longer than
 * CTL_REPLY_MAX), or -errno.
 */
static int call_recv_line(int fd, long long deadline, char **line, size_t *len)
{
	size_t cap = CTL_REPLY_MIN, have = 0;
	char *buf = xmalloc(cap);
	int rc;

	for (;;) {
		char *nl;
		ssize_t n;

		if (have == cap) {
			if (cap >= (size_t)CTL_REPLY_MAX + 1) {
				rc = -EPROTO;
				goto err;
			}
			cap *= 2;
			if (cap > (size_t)CTL_REPLY_MAX + 1)
				cap = (size_t)CTL_REPLY_MAX + 1;
			buf = xrealloc(buf, cap);
		}
		n = recv(fd, buf + have, cap - have, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				rc = -errno;
				goto err;
			}
			rc = wait_fd(fd, POLLIN, deadline);
			if (rc < 0)
				goto err;
			continue;
		}
		if (n == 0) {
			rc = -ECONNRESET;
			goto err;
		}
		nl = memchr(buf + have, '\n', (size_t)n);
		have += (size_t)n;
		if (nl) {
			*nl = '\0';
			*len = (size_t)(nl - buf);
			*line = buf;
			return 0;
		}
	}
err:
	free(buf);
	return rc;
}

/**
 * ctl_call() - see ctl.h.
 */
int ctl_call(const char *path, json_t *req, int timeout_ms, json_t **reply,
	     char *err, size_t errlen)
{
	struct sockaddr_un sa;
	json_error_t jerr;
	json_t *j = NULL, *ok;
	char *out = NULL, *line = NULL;
	long long deadline;
	size_t len = 0;
	int fd = -1;
	int rc, send_rc;

	if (reply)
		*reply = NULL;
	if (!reply || !json_is_object(req) ||
	    !json_is_string(json_object_get(req, "cmd"))) {
		err_set(err, errlen, "invalid control request: no \"cmd\"");
		return -EINVAL;
	}
	if (timeout_ms <= 0)
		timeout_ms = CTL_CALL_TIMEOUT_DEFAULT_MS;
	deadline = mono_ms() + timeout_ms;
	rc = sun_fill(&sa, path);
	if (rc < 0) {
		err_set(err, errlen, "invalid control socket path \"%s\"", path ? path : "");
		goto err;
	}
	out = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out) {
		rc = -EINVAL;
		err_set(err, errlen, "cannot render the control request");
		goto err;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "socket: %s", strerror(-rc));
		goto err;
	}
	rc = call_connect(fd, &sa, deadline);
	if (rc < 0) {
		err_set(err, errlen, "cannot connect to %s: %s", path, strerror(-rc));
		goto err;
	}
	/* A daemon may answer and close before reading (connection limit):
	 * after a failed send, still read what it said. */
	send_rc = call_send(fd, out, strlen(out), deadline);
	if (send_rc == 0)
		send_rc = call_send(fd, "\n", 1, deadline);
	if (send_rc == -ETIMEDOUT) {
		rc = send_rc;
		err_set(err, errlen, "%s: timed out sending the request", path);
		goto err;
	}
	rc = call_recv_line(fd, deadline, &line, &len);
	if (rc < 0) {
		if (rc == -ETIMEDOUT)
			err_set(err, errlen, "%s: no reply within %d ms", path, timeout_ms);
		else if (rc == -ECONNRESET)
			err_set(err, errlen, "%s: the daemon closed the connection without replying",
				path);
		else if (rc == -EPROTO)
			err_set(err, errlen, "%s: reply longer than %d bytes", path, CTL_REPLY_MAX);
		else
			err_set(err, errlen, "%s: %s", path, strerror(-rc));
		goto err;
	}
	j = json_loadb(line, len, 0, &jerr);
	ok = json_object_get(j, "ok");
	if (!json_is_object(j) || !json_is_boolean(ok)) {
		rc = -EPROTO;
		err_set(err, errlen, "%s: the reply is not a control protocol object%s%s",
			path, j ? "" : ": ", j ? "" : jerr.text);
		goto err;
	}
	if (!json_is_true(ok)) {
		const char *msg = json_string_value(json_object_get(j, "error"));

		rc = -EREMOTEIO;
		err_set(err, errlen, "%s", msg ? msg : "the daemon reported an error");
		goto err;
	}
	*reply = j;
	j = NULL;
	rc = 0;
err:
	json_decref(j);
	free(line);
	free(out);
	if (fd >= 0)
		close(fd);
	return rc;
}
