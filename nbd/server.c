/* lanroot-blockd's server: listening sockets, accepting, timeouts, reload
 * and shutdown (see server.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ctl.h"
#include "events.h"
#include "evloop.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "util.h"

#define LISTEN_BACKLOG	1024
#define TICK_MS		1000
#define ACCEPT_BATCH	64
#define NS_PER_S	1000000000ull

/** bind_one() - a listening socket for @ai.  fd or -errno (+ @err). */
static int bind_one(const struct addrinfo *ai, char *err, size_t errlen)
{
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
	int fd, on = 1, rc;

	getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv, sizeof(serv),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot make a socket for %s: %s", host, strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot listen on %s port %s: %s", host, serv, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

/** server_listen() - see server.h. */
int server_listen(struct server *srv, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	const char *host = srv->cfg->nbd_listen && srv->cfg->nbd_listen[0] ?
			   srv->cfg->nbd_listen : NULL;
	int rc, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (host ? 0 : AI_ADDRCONFIG);
	snprintf(port, sizeof(port), "%u", srv->cfg->nbd_port);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		err_set(err, errlen, "[nbd] listen '%s': %s", host ? host : "",
			gai_strerror(rc));
		return -EINVAL;
	}
	for (ai = res; ai && srv->nlisten < LISTEN_MAX; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		fd = bind_one(ai, err, errlen);
		if (fd < 0) {
			/* Without a host, IPv6 may be missing: IPv4 alone will do. */
			if (!host && ai->ai_family == AF_INET6 && fd == -EAFNOSUPPORT)
				continue;
			freeaddrinfo(res);
			return fd;
		}
		srv->lfd[srv->nlisten++] = fd;
	}
	freeaddrinfo(res);
	if (srv->nlisten == 0) {
		err_set(err, errlen, "[nbd] listen '%s': no usable address", host ? host : "");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

/** on_accept() - a listening socket is readable: take the new connections. */
static void on_accept(struct evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct server *srv = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, i;

	(void)loop;
	(void)events;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("cannot accept a connection: %s", strerror(errno));
			return;
		}
		srv->accepted++;
		if (srv->stopping || srv->nconns >= srv->cfg->nbd_max_clients) {
			/* Over the limit: the client sees the connection close
			 * before the greeting and retries later. */
			srv->refused_full++;
			log_event(EV_NBD_REFUSED, "{s:s, s:I}", "reason", srv->stopping ?
				  "shutting down" : "max_clients reached", "max_clients",
				  (json_int_t)srv->cfg->nbd_max_clients);
			close(fd);
			continue;
		}
		conn_new(srv, fd, (struct sockaddr *)&ss, len);
	}
}

/** on_pool() - finished disk jobs wait. */
static void on_pool(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct server *srv = arg;

	(void)loop;
	(void)fd;
	(void)events;
	iopool_complete(srv->pool);
}

/** on_tick() - once a second: handshake and idle timeouts, shutdown deadline. */
static void on_tick(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct server *srv = arg;
	uint64_t now = monotonic_ns();
	uint64_t idle = (uint64_t)srv->cfg->nbd_idle_timeout * NS_PER_S;
	uint64_t handshake = (uint64_t)srv->cfg->nbd_handshake_timeout * NS_PER_S;
	struct conn *c, *next;

	(void)loop;
	(void)t;
	if (srv->stopping && now >= srv->stop_deadline_ns + SHUTDOWN_WAIT_MS * 1000000ull) {
		log_warn("shutdown: %u sessions still busy; closing their overlays now",
			 srv->nconns);
		evloop_stop(srv->loop);
	}
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_CLOSING) {
			/* Last replies nobody reads: give up on them. */
			if (!c->releasing && ((srv->stopping && now >= srv->stop_deadline_ns) ||
			    (c->out_head && now - c->last_ns >= handshake)))
				conn_kick(c, srv->stopping ? "shutdown" : "peer stopped reading");
			continue;
		}
		if (c->state <= CS_PARKED) {
			if (now >= c->deadline_ns) {
				log_event(EV_NBD_HANDSHAKE_TIMEOUT, "{s:I, s:s, s:i}", "session",
					  (json_int_t)c->id, "address", c->addr, "seconds",
					  (int)srv->cfg->nbd_handshake_timeout);
				conn_kick(c, "handshake timeout");
			}
			continue;
		}
		if (idle && c->inflight == 0 && now - c->last_ns >= idle) {
			log_event(EV_NBD_IDLE_TIMEOUT, "{s:I, s:s, s:s, s:i}", "session",
				  (json_int_t)c->id, "address", c->addr, "client", c->client,
				  "seconds", (int)srv->cfg->nbd_idle_timeout);
			conn_kick(c, "idle timeout");
		}
	}
	resolve_expire_holds(srv);
}

/** on_park() - rerun the GOs that wait for an old session to close. */
static void on_park(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct server *srv = arg;
	struct conn *c, *next;

	(void)loop;
	(void)t;
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_PARKED)
			conn_retry_parked(c);
	}
}

/** server_schedule_park_retry() - see server.h. */
void server_schedule_park_retry(struct server *srv)
{
	if (srv->park_timer)
		evloop_timer_set(srv->park_timer, PARK_RETRY_MS, 0);
}

/** server_find_backend() - see server.h. */
struct backend *server_find_backend(struct server *srv, const char *key)
{
	struct backend *b;

	for (b = srv->backends; b; b = b->next)
		if (strcmp(b->key, key) == 0)
			return b;
	return NULL;
}

/** server_start() - see server.h. */
int server_start(struct server *srv, char *err, size_t errlen)
{
	unsigned i;
	int rc;

	now_rfc3339(srv->since);
	rc = iopool_new(srv->cfg->nbd_workers, &srv->pool);
	if (rc < 0) {
		err_set(err, errlen, "cannot start %u worker threads: %s", srv->cfg->nbd_workers,
			strerror(-rc));
		return rc;
	}
	rc = evloop_add(srv->loop, iopool_fd(srv->pool), EPOLLIN, on_pool, srv);
	if (rc < 0)
		goto err;
	for (i = 0; i < srv->nlisten; i++) {
		rc = evloop_add(srv->loop, srv->lfd[i], EPOLLIN, on_accept, srv);
		if (rc < 0)
			goto err;
	}
	srv->accepting = true;
	srv->tick = evloop_timer_add(srv->loop, TICK_MS, TICK_MS, on_tick, srv);
	srv->park_timer = evloop_timer_add(srv->loop, PARK_RETRY_MS, 0, on_park, srv);
	if (!srv->tick || !srv->park_timer) {
		rc = -errno;
		goto err;
	}
	return 0;
err:
	err_set(err, errlen, "cannot start the event loop: %s", strerror(-rc));
	return rc;
}

/** load_tls() - (re)load the TLS credentials the config names, or none. */
static int load_tls(const struct lr_config *cfg, struct nbd_tls **out, char *err,
		    size_t errlen)
{
	struct nbd_tls_config tc;

	*out = NULL;
	if (strcmp(cfg->nbd_tls, "off") == 0)
		return 0;
	memset(&tc, 0, sizeof(tc));
	tc.cert = cfg->nbd_tls_cert;
	tc.key = cfg->nbd_tls_key;
	tc.ca = cfg->nbd_tls_ca;
	tc.psk = cfg->nbd_tls_psk;
	return nbd_tls_load(&tc, out, err, errlen);
}

/** server_setup_tls() - load TLS at start-up (from blockd.c). */
int server_setup_tls(struct server *srv, char *err, size_t errlen)
{
	return load_tls(srv->cfg, &srv->tls, err, errlen);
}

/** server_reload() - see server.h. */
int server_reload(struct server *srv, char *err, size_t errlen)
{
	struct lr_config cfg;
	struct nbd_tls *tls = NULL;
	struct store *st = NULL;
	char *path = srv->cfg->path ? xstrdup(srv->cfg->path) : NULL;
	int rc;

	rc = config_load(&cfg, path, err, errlen);
	free(path);
	if (rc < 0)
		return rc;
	if (strcmp(cfg.state_dir, srv->cfg->state_dir) != 0) {
		err_set(err, errlen, "[lanroot] state_dir changed: restart lanroot-blockd to "
			"use it");
		rc = -EINVAL;
		goto err;
	}
	rc = load_tls(&cfg, &tls, err, errlen);
	if (rc < 0)
		goto err;
	rc = store_open(cfg.state_dir, &st, err, errlen);
	if (rc < 0)
		goto err;
	/* Keys that need a restart keep their old values. */
	if (strcmp(cfg.nbd_listen, srv->cfg->nbd_listen) != 0 ||
	    cfg.nbd_port != srv->cfg->nbd_port ||
	    strcmp(cfg.nbd_control, srv->cfg->nbd_control) != 0 ||
	    cfg.nbd_workers != srv->cfg->nbd_workers)
		log_warn("reload: [nbd] listen, port, control and workers take effect at the "
			 "next restart");
	free(cfg.nbd_listen);
	cfg.nbd_listen = xstrdup(srv->cfg->nbd_listen);
	cfg.nbd_port = srv->cfg->nbd_port;
	free(cfg.nbd_control);
	cfg.nbd_control = xstrdup(srv->cfg->nbd_control);
	cfg.nbd_workers = srv->cfg->nbd_workers;
	config_free(srv->cfg);
	*srv->cfg = cfg;
	store_close(srv->st);
	srv->st = st;
	nbd_tls_free(srv->tls);	/* open sessions keep their own reference */
	srv->tls = tls;
	return 0;
err:
	config_free(&cfg);
	return rc;
}

/** server_stop() - see server.h. */
void server_stop(struct server *srv)
{
	struct conn *c, *next;
	unsigned i;

	if (srv->stopping)
		return;
	srv->stopping = true;
	srv->stop_deadline_ns = monotonic_ns() + SHUTDOWN_WAIT_MS * 1000000ull;
	for (i = 0; i < srv->nlisten && srv->accepting; i++)
		evloop_del(srv->loop, srv->lfd[i]);
	srv->accepting = false;
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->state != CS_CLOSING)
			conn_kick(c, "shutdown");
	}
	if (srv->nconns == 0)
		evloop_stop(srv->loop);
}

/** server_free() - see server.h. */
void server_free(struct server *srv)
{
	struct backend *b, *bn;
	struct hold *h, *hn;
	unsigned i;
	int rc;

	/* Whatever the loop could not finish: close it here, flushing. */
	if (srv->pool) {
		struct pollfd pfd = { .fd = iopool_fd(srv->pool), .events = POLLIN };

		while (iopool_pending(srv->pool) > 0) {
			poll(&pfd, 1, -1);	/* wait for a worker, do not spin */
			iopool_complete(srv->pool);
		}
	}
	for (b = srv->backends; b; b = bn) {
		bn = b->next;
		rc = backend_close(b);
		if (rc < 0)
			log_err("final flush of %s failed: %s", b->key, strerror(-rc));
	}
	srv->backends = NULL;
	for (h = srv->holds; h; h = hn) {
		hn = h->next;
		free(h);
	}
	srv->holds = NULL;
	iopool_free(srv->pool);
	srv->pool = NULL;
	for (i = 0; i < srv->nlisten; i++)
		close(srv->lfd[i]);
	srv->nlisten = 0;
	nbd_tls_free(srv->tls);
	srv->tls = NULL;
}
