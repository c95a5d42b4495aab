/* lanroot-blockd's server: listening sockets, connections, backends and
 * the control socket, all driven by one event loop (see lanroot-blockd(8)).
 *
 *   blockd.c   the program: options, config, daemon, privileges, signals
 *   server.c   listening, accepting, timeouts, reload, shutdown
 *   conn.c     one connection: handshake, options, transmission, output
 *   resolve.c  export names -> backends (tokens, registry, boot ids, holds)
 *   ctlcmd.c   the control socket's commands
 *   backend.c  what a session reads and writes (overlay or base)
 *   iopool.c   the disk I/O worker threads
 */
#ifndef LR_NBD_SERVER_H
#define LR_NBD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>
#include "backend.h"
#include "conf.h"
#include "export.h"
#include "iopool.h"
#include "nbd-proto.h"

struct evloop;
struct ev_timer;
struct ctl_server;
struct nbd_tls;
struct nbd_tls_session;

/* Limits (see LIMITS in lanroot-blockd(8)). */
#define CONN_INFLIGHT_MAX	64		/* requests in flight per connection */
#define CONN_BUFFER_MAX		(64u << 20)	/* request + reply bytes held per connection */
#define SERVER_BUFFER_MAX	(1024ull << 20)	/* the same, all connections together */
#define OPTION_DISCARD_MAX	(1u << 20)	/* an over-long option skipped, then ERR_TOO_BIG */
#define EXTENTS_MAX		256		/* block status descriptors per reply */
#define LISTEN_MAX		2		/* IPv4 and IPv6 */
#define KEEPALIVE_IDLE_S	30
#define KEEPALIVE_INTVL_S	10
#define KEEPALIVE_COUNT		3
#define PARK_RETRY_MS		50		/* a GO waiting for an old session to close */
#define SHUTDOWN_WAIT_MS	10000		/* SIGTERM: in-flight requests get this long */
#define ADDR_STR_MAX		64
#define RESOLVE_MSG_LEN		(NBD_MSG_LEN * 2)	/* a refusal's message */

enum conn_state {
	CS_CFLAGS,		/* reading the client's flags */
	CS_OPT_HDR,		/* reading an option header */
	CS_OPT_DATA,		/* reading an option's payload */
	CS_OPT_DISCARD,		/* skipping an over-long option payload */
	CS_TLS,			/* TLS handshake after STARTTLS */
	CS_PARKED,		/* GO waits for the client's old session to close */
	CS_REQ_HDR,		/* transmission: reading a request header */
	CS_REQ_DATA,		/* reading a write payload */
	CS_REQ_DISCARD,		/* skipping the payload of a refused write */
	CS_CLOSING,		/* no more input; waits for in-flight requests */
};

/* A reply (or option reply) waiting to be sent: a small inline header,
 * then owned data, or (plain TCP) a range of a base file sent with
 * sendfile(). */
#define OUT_HDR_MAX 64
struct outbuf {
	struct outbuf *next;
	size_t hlen;			/* bytes in @hdr */
	size_t dlen;			/* bytes at @data */
	size_t off;			/* bytes of hdr + data already sent */
	uint8_t *data;			/* freed when sent, may be NULL */
	int fd;				/* or the data is in this file (sendfile), else -1 */
	uint64_t foff;			/* at this offset */
	uint8_t hdr[OUT_HDR_MAX];
};

struct server;

struct conn {
	struct conn *next, *prev;	/* in server->conns */
	struct server *srv;
	int fd;
	uint64_t id;			/* session id, shown by "sessions" */
	char addr[ADDR_STR_MAX];	/* peer "ip:port" */
	char since[32];			/* RFC 3339 */
	enum conn_state state;
	uint32_t events;		/* epoll interest now */

	/* input */
	uint8_t hdr[NBD_REQUEST_LEN];	/* header being read */
	size_t need;			/* bytes wanted for the current item */
	size_t got;			/* bytes of it received */
	uint8_t *payload;		/* option or write payload being read */
	uint8_t *rx;			/* read-ahead buffer (RX_BUF), or NULL */
	size_t rx_off, rx_len;		/* unread bytes: rx[rx_off..rx_len) */
	uint64_t discard;		/* bytes still to skip */
	struct nbd_option_header opt;	/* the option being handled */
	struct nbd_request req;		/* the request being read */

	/* negotiation */
	uint32_t cflags;
	bool structured;		/* NBD_OPT_STRUCTURED_REPLY acknowledged */
	bool meta_alloc;		/* base:allocation selected */
	char *meta_export;		/* export the selection was made for */
	struct nbd_tls_session *tls;	/* after STARTTLS */
	bool starttls;			/* start TLS once the ACK is sent */
	char tls_peer[128];		/* PSK identity or certificate DN */
	uint64_t deadline_ns;		/* handshake must finish by then */

	/* the export (transmission) */
	struct backend *be;
	struct export_name en;		/* per-client exports */
	char export_pub[EXPORT_NAME_MAX]; /* name without the token */
	char client[NAME_MAX_LEN + 1];	/* registry name, "" for IMAGE@VERSION */
	char mode[16];			/* persistent | volatile | reset-on-boot | read-only */
	uint16_t tflags;		/* transmission flags sent */
	/* what resolve_export() found without attaching (NBD_OPT_INFO) */
	uint64_t info_size;
	bool info_ro;
	char info_image[NAME_MAX_LEN + 1];
	int info_version;

	/* output */
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;		/* unsent bytes queued */

	/* accounting and flow control */
	unsigned inflight;		/* requests at the workers */
	size_t held;			/* request + reply bytes held */
	uint64_t bytes_read, bytes_written, requests;
	uint64_t last_ns;		/* last request received or reply sent */
	bool disc;			/* NBD_CMD_DISC received */
	bool kicked;			/* closed by the admin or a new boot */
	bool releasing;			/* its backend is being closed */
	const char *close_reason;	/* for the disconnect event */
	unsigned in_io;			/* inside one of its handlers: do not free */
};

/* A client the admin holds: its new connections are refused until then. */
struct hold {
	struct hold *next;
	char mac[MAC_STR_LEN];
	uint64_t until_ns;
};

struct server {
	struct lr_config *cfg;
	struct store *st;
	struct evloop *loop;
	struct iopool *pool;
	struct nbd_tls *tls;		/* NULL when tls = off */
	struct ctl_server *ctl;
	int lfd[LISTEN_MAX];
	unsigned nlisten;
	bool accepting;			/* listening sockets watched */
	struct conn *conns;
	unsigned nconns;
	struct backend *backends;
	struct hold *holds;
	uint64_t next_id;
	size_t held;			/* sum of conn->held */
	struct ev_timer *tick;		/* timeouts, holds */
	struct ev_timer *park_timer;	/* retries parked GOs */
	bool stopping;			/* SIGTERM: draining */
	uint64_t stop_deadline_ns;
	char since[32];
	unsigned long accepted, refused_full;
};

/* ---- server.c ---- */

/**
 * server_listen() - bind and listen on [nbd] listen/port (both IPv4 and
 * IPv6 when listen is empty).  Before dropping privileges.
 * Return: 0 or -errno (+ @err).
 */
int server_listen(struct server *srv, char *err, size_t errlen);

/**
 * server_start() - watch the listening sockets and the worker pool, start
 * the timers.  0 or -errno (+ @err).
 */
int server_start(struct server *srv, char *err, size_t errlen);

/** server_setup_tls() - load the TLS credentials [nbd] names (tls != off). */
int server_setup_tls(struct server *srv, char *err, size_t errlen);

/** server_reload() - reread config and registry (SIGHUP). 0 or -errno. */
int server_reload(struct server *srv, char *err, size_t errlen);

/**
 * server_stop() - stop accepting and close every connection once its
 * in-flight requests are done; the loop stops when all are gone (or after
 * SHUTDOWN_WAIT_MS).
 */
void server_stop(struct server *srv);

/** server_free() - close what is left (after the loop ended). */
void server_free(struct server *srv);

/** server_find_backend() - the backend with @key, or NULL. */
struct backend *server_find_backend(struct server *srv, const char *key);

/** server_schedule_park_retry() - rerun parked GOs soon. */
void server_schedule_park_retry(struct server *srv);

/* ---- conn.c ---- */

/** conn_new() - take over an accepted socket and send the greeting. */
void conn_new(struct server *srv, int fd, const struct sockaddr *sa, socklen_t salen);

/**
 * conn_close() - stop reading; the connection goes away once in-flight
 * requests are done and replies sent (@reason for the event line).
 * @now: drop queued output too (dead peer, admin, shutdown timeout).
 */
void conn_close(struct conn *c, const char *reason, bool now);

/** conn_retry_parked() - rerun the GO of a parked connection. */
void conn_retry_parked(struct conn *c);

/** conn_kick() - close @c now (admin, new boot, timeout) and free it when it can be. */
void conn_kick(struct conn *c, const char *reason);

/** conn_released() - its backend's close job ended: free @c. */
void conn_released(struct conn *c);

/** conn_state_name() - "handshake" | "transmission" | "closing". */
const char *conn_state_name(const struct conn *c);

/* ---- resolve.c ---- */

/* What resolving an export name came to. */
enum resolve_result {
	RESOLVE_OK,		/* c->be and the export fields are set */
	RESOLVE_PARK,		/* wait: an old session of this client is closing */
	RESOLVE_REFUSED,	/* *@reply_err and @msg say why */
};

/**
 * resolve_export() - look @name up and attach @c to its backend (opening
 * it if needed).  On RESOLVE_REFUSED: *@reply_err is NBD_REP_ERR_UNKNOWN,
 * _POLICY or _PLATFORM and @msg says why, for the client and the log.
 * @attach: false for NBD_OPT_INFO and meta contexts (check only).
 */
enum resolve_result resolve_export(struct conn *c, const char *name, bool attach,
				   uint32_t *reply_err, char msg[RESOLVE_MSG_LEN]);

/** resolve_release() - detach @c from its backend (closing it if last). */
void resolve_release(struct conn *c);

/** resolve_expire_holds() - forget holds whose time is up. */
void resolve_expire_holds(struct server *srv);

/** resolve_held() - whether client @mac is held by the admin now. */
bool resolve_held(struct server *srv, const char *mac);

/* ---- ctlcmd.c ---- */

/** ctlcmd_handler() - the control socket handler (arg: the server). */
json_t *ctlcmd_handler(const char *cmd, json_t *req, void *arg);

#endif
