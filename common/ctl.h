/* The control socket shared by the daemons and the admin tool.
 *
 * Wire format
 * -----------
 * A Unix stream socket (the path comes from the config, e.g. [nbd] control
 * for lanroot-blockd).  Each message is one JSON object encoded as UTF-8 on
 * one line, terminated by '\n'; the object itself holds no raw newline
 * (JSON escapes them).  The client sends a request line, the daemon answers
 * each request with exactly one reply line, in order.  A client may send
 * several requests on one connection.
 *
 * Request: an object with a string "cmd" and the command's arguments:
 *     {"cmd":"ping"}
 *     {"cmd":"versions"}
 *     {"cmd":"sessions"}
 *     {"cmd":"disconnect","client":"pc01"}
 * Reply: an object with a boolean "ok":
 *     {"ok":true, ...command's fields...}
 *     {"ok":false,"error":"unknown command \"frob\""}
 * Which commands exist, and their fields, is up to each daemon's handler.
 *
 * Errors the server answers itself, keeping the connection open:
 *   a line that is not JSON, not an object, or has no string "cmd".
 * Errors after which the server replies {"ok":false,...} and closes:
 *   a line longer than CTL_LINE_MAX bytes; too many connections
 *   (CTL_CONN_MAX).
 * The server closes without a reply a client whose unread replies exceed
 * CTL_OUT_MAX bytes.  A last line without its '\n' before EOF is ignored.
 */
#ifndef LR_CTL_H
#define LR_CTL_H

#include <stddef.h>
#include <jansson.h>

struct evloop;
struct ctl_server;

/** Longest request line the server accepts, without its '\n'. */
#define CTL_LINE_MAX (64 * 1024)
/** Unsent reply bytes after which the server drops a connection. */
#define CTL_OUT_MAX (1024 * 1024)
/** Longest reply line ctl_call() accepts, without its '\n'. */
#define CTL_REPLY_MAX (16 * 1024 * 1024)
/** Control connections a server serves at once. */
#define CTL_CONN_MAX 16
/** Permissions of the socket file when ctl_server_open() is given 0. */
#define CTL_MODE_DEFAULT 0600

/**
 * ctl_handler - answer one request.
 * @cmd: the request's "cmd" (valid during the call)
 * @req: the whole request object (borrowed)
 * @arg: the handler argument given to ctl_server_open()
 *
 * Runs inside the event loop, so it must not block.  Build the reply with
 * ctl_reply_ok() / ctl_reply_error() or any object: when it has no "ok"
 * member, "ok":true is added.  Return: a new reference (the server takes
 * it), or NULL, which the client sees as {"ok":false,"error":"internal
 * error"}.
 */
typedef json_t *(*ctl_handler)(const char *cmd, json_t *req, void *arg);

/** Counters of a server, for status output and tests. */
struct ctl_server_stats {
	unsigned conns;			/* connections open now */
	unsigned long accepted;		/* connections accepted in all */
	unsigned long refused;		/* turned away: CTL_CONN_MAX reached */
	unsigned long requests;		/* request lines handled */
	unsigned long overflows;	/* dropped: unread replies > CTL_OUT_MAX */
	size_t out_peak;		/* most unsent bytes any connection held */
};

/**
 * ctl_server_open() - listen on the control socket @path and serve it
 * from @loop.
 * @loop:    the daemon's event loop
 * @path:    socket path
 * @mode:    permissions of the socket file, 0 for CTL_MODE_DEFAULT
 * @handler: answers requests
 * @arg:     passed to @handler
 * @out:     the server on success
 *
 * A socket file left by a dead daemon (nobody answers on it) is replaced.
 * Return: 0, -EADDRINUSE if a live process answers on @path, -EEXIST if
 * @path is something other than a socket, -ENAMETOOLONG, or another
 * -errno from socket/bind/listen.
 */
int ctl_server_open(struct evloop *loop, const char *path, unsigned mode,
		    ctl_handler handler, void *arg, struct ctl_server **out);

/**
 * ctl_server_close() - close every connection and the listening socket,
 * remove the socket file and free @srv (NULL is fine).
 */
void ctl_server_close(struct ctl_server *srv);

/** ctl_server_get_stats() - copy @srv's counters into @st. */
void ctl_server_get_stats(const struct ctl_server *srv, struct ctl_server_stats *st);

/** ctl_reply_ok() - a new {"ok":true} to add fields to. */
json_t *ctl_reply_ok(void);

/** ctl_reply_error() - a new {"ok":false,"error":MESSAGE}, printf-style. */
json_t *ctl_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * ctl_call() - send one request to the daemon on @path and wait for its
 * reply (blocking; for the admin tool).
 * @path:       socket path
 * @req:        request object with a string "cmd" (borrowed)
 * @timeout_ms: for the whole exchange; <= 0 means 5000
 * @reply:      on success, the reply object (caller json_decref()s)
 * @err:        a message for a person on failure (may be NULL)
 * @errlen:     size of @err
 *
 * Return: 0 for {"ok":true,...}; -EREMOTEIO for {"ok":false,...} (@err
 * holds the daemon's "error"); -ENOENT when the socket file is missing;
 * -ECONNREFUSED when nobody listens on it (stale file); -ETIMEDOUT;
 * -EPROTO when the reply is not a JSON object with a boolean "ok" or is
 * longer than CTL_REPLY_MAX; -ECONNRESET when the daemon hung up before
 * replying; -EINVAL for a bad @req; another -errno.  *@reply is NULL on
 * every failure.
 */
int ctl_call(const char *path, json_t *req, int timeout_ms, json_t **reply,
	     char *err, size_t errlen);

#endif
