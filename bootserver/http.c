/* bootd's HTTP server: libmicrohttpd inside bootd's event loop.
 *
 * libmicrohttpd (MHD) runs without threads of its own (MHD_USE_EPOLL): its
 * epoll descriptor is one more descriptor of bd->loop, and a loop timer
 * follows MHD_get_timeout() for idle connections and for connections that
 * still have data buffered.  MHD sends files with sendfile() on plain
 * sockets; we hand it the descriptor vfs_open() opened and never copy file
 * data.
 *
 * Every path is percent-decoded here once (our own unescape callback keeps
 * MHD from decoding, so "%00" cannot cut a path short unseen), then goes
 * through vfs_open(), which refuses '..' components, backslash tricks and
 * symlinks out of its directories (open_beneath()).
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <microhttpd.h>

#include "bootd.h"
#include "clientmap.h"
#include "events.h"
#include "evloop.h"
#include "http-parse.h"
#include "http.h"
#include "log.h"
#include "mac.h"
#include "util.h"
#include "vfs.h"

/* listen(2) backlog: a boot storm opens many connections at once. */
#define HTTP_LISTEN_BACKLOG 1024
/* Bytes of the request path kept for the event line. */
#define HTTP_LOG_PATH_LEN 256
/* Bytes of an error message kept for the event line. */
#define HTTP_ERR_LEN 160
/* Longest method name kept for the event line. */
#define HTTP_METHOD_LEN 16
/* Longest ?mac= value we decode ("01-aa-bb-cc-dd-ee-ff" and spellings). */
#define HTTP_QUERY_MAC_MAX 64
/* Loop timer delay when MHD needs none (it is re-armed after every run). */
#define HTTP_IDLE_TIMER_MS (60 * 1000)
/* MHD_run() calls in a row while MHD has buffered work, before the loop
 * gets back to the other servers. */
#define HTTP_RUN_BURST 4
#define NS_PER_SEC 1000000000.0

#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONTENT_TYPE_BINARY "application/octet-stream"
#define ALLOW_GET_HEAD "GET, HEAD"

/* Methods a route answers (bit mask). */
enum http_method {
	HTTP_M_GET = 1 << 0,
	HTTP_M_HEAD = 1 << 1,
	HTTP_M_OTHER = 1 << 2,
};

/* Bodies of the error replies made once and shared by every connection. */
enum http_canned {
	HTTP_CANNED_400,
	HTTP_CANNED_403,
	HTTP_CANNED_404,
	HTTP_CANNED_405,
	HTTP_CANNED_414,
	HTTP_CANNED_500,
	HTTP_CANNED_COUNT
};

static const struct {
	unsigned status;
	const char *body;
} canned_replies[HTTP_CANNED_COUNT] = {
	[HTTP_CANNED_400] = { MHD_HTTP_BAD_REQUEST, "400 Bad Request\n" },
	[HTTP_CANNED_403] = { MHD_HTTP_FORBIDDEN, "403 Forbidden\n" },
	[HTTP_CANNED_404] = { MHD_HTTP_NOT_FOUND, "404 Not Found\n" },
	[HTTP_CANNED_405] = { MHD_HTTP_METHOD_NOT_ALLOWED, "405 Method Not Allowed\n" },
	[HTTP_CANNED_414] = { MHD_HTTP_URI_TOO_LONG, "414 URI Too Long\n" },
	[HTTP_CANNED_500] = { MHD_HTTP_INTERNAL_SERVER_ERROR, "500 Internal Server Error\n" },
};

static const char range_not_satisfiable_body[] = "416 Range Not Satisfiable\n";

/* One request in progress on a connection (MHD serves one at a time). */
struct http_req {
	int64_t start_ns;		/* monotonic_ns() when its head was read */
	unsigned status;		/* status code queued, 0 = none yet */
	uint64_t body;			/* body bytes queued (0 for HEAD) */
	char method[HTTP_METHOD_LEN];	/* for the event line */
	char path[HTTP_LOG_PATH_LEN];	/* request path as sent, printable ASCII */
	char mac[MAC_STR_LEN];		/* client a config was rendered for, or ?mac= */
	char error[HTTP_ERR_LEN];	/* why a request failed, "" = it did not */
	unsigned method_bit;		/* enum http_method */
	int decode_rc;			/* http_percent_decode() of the path */
	char decoded[VFS_PATH_MAX + 2];	/* the path, decoded ('/' first) */
	const struct http_route *route;	/* who answers it, NULL = nobody */
};

/* One TCP connection (MHD's socket context). */
struct http_conn {
	uint32_t peer_ip;		/* IPv4 (host order; also v4-mapped), 0 = IPv6 */
	uint32_t server_ip;		/* the local IPv4 address it reached, 0 = IPv6 */
	char peer[INET6_ADDRSTRLEN];	/* peer address as text */
	bool peer_mac_known;		/* peer_mac looked up (maybe "") */
	char peer_mac[MAC_STR_LEN];	/* the peer's MAC from the client map, or "" */
	struct http_req req;		/* the current request */
};

struct http_server {
	struct bootd *bd;		/* config, loop, boot configuration */
	struct MHD_Daemon *mhd;		/* the daemon, NULL before start */
	int listen_fd;			/* our socket until MHD owns it, -1 after */
	int epoll_fd;			/* MHD's epoll descriptor, watched by bd->loop */
	struct ev_timer *timer;		/* runs MHD at MHD_get_timeout() */
	char *listen;			/* [http] listen at start */
	uint32_t port;			/* [http] port at start */
	uint16_t bound_port;		/* the port bound (differs when port = 0) */
	unsigned start_max_connections;	/* MHD's connection limit */
	unsigned start_timeout;		/* MHD's idle timeout (s) */
	bool stopped;			/* http_server_stop() was called */
	bool closed_in_run;		/* a connection closed during MHD_run() */
	struct MHD_Response *canned[HTTP_CANNED_COUNT];	/* shared error replies */
	uint64_t connections;		/* open now */
	uint64_t connections_total;	/* accepted since start */
	uint64_t refused;		/* refused by max_connections (after a reload) */
	uint64_t requests;		/* requests answered */
	uint64_t bytes;			/* body bytes sent */
	uint64_t errors;		/* requests answered with 4xx/5xx */
};

typedef enum MHD_Result (*http_handler)(struct http_server *s, struct http_conn *hc,
					struct MHD_Connection *c, const char *path,
					unsigned method);

/* Who answers which path.  The first match wins. */
struct http_route {
	const char *path;		/* the path, or a prefix when it ends in '/' */
	unsigned methods;		/* enum http_method bits it answers */
	http_handler handler;		/* NULL = reserved: 404 for now */
};

static enum MHD_Result http_serve_file(struct http_server *s, struct http_conn *hc,
				       struct MHD_Connection *c, const char *path,
				       unsigned method);

static const struct http_route http_routes[] = {
	{ "/status", HTTP_M_GET | HTTP_M_HEAD, NULL },	/* status page (later) */
	{ "/api/", HTTP_M_GET | HTTP_M_HEAD, NULL },	/* JSON API (later) */
	{ "/metrics", HTTP_M_GET | HTTP_M_HEAD, NULL },	/* Prometheus (later) */
	{ "/", HTTP_M_GET | HTTP_M_HEAD, http_serve_file },	/* every vfs name */
};

/**
 * http_route_matches() - whether @path falls under @r: equal to r->path,
 * or below it when r->path ends in '/'.
 */
static bool http_route_matches(const struct http_route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (n > 0 && r->path[n - 1] == '/')
		return strncmp(path, r->path, n) == 0 ||
		       (strncmp(path, r->path, n - 1) == 0 && path[n - 1] == '\0');
	return strcmp(path, r->path) == 0;
}

/**
 * copy_printable() - copy @src into @dst (@size bytes), each byte outside
 * printable ASCII as '?', cut to fit: safe for a log line.
 */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; src[i] && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = isascii(ch) && isprint(ch) ? (char)ch : '?';
	}
	dst[i] = '\0';
}

/**
 * sockaddr_ipv4() - the IPv4 address in @sa (AF_INET, or an IPv4-mapped
 * AF_INET6), host order; 0 otherwise.  @text gets the address as text.
 */
static uint32_t sockaddr_ipv4(const struct sockaddr *sa, char text[INET6_ADDRSTRLEN])
{
	if (text)
		text[0] = '\0';
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (text)
			inet_ntop(AF_INET, &sin->sin_addr, text, INET6_ADDRSTRLEN);
		return ntohl(sin->sin_addr.s_addr);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		uint32_t v4;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
			if (text)
				inet_ntop(AF_INET, &v4, text, INET6_ADDRSTRLEN);
			return ntohl(v4);
		}
		if (text)
			inet_ntop(AF_INET6, &sin6->sin6_addr, text, INET6_ADDRSTRLEN);
	}
	return 0;
}

/**
 * http_conn_of() - our state for MHD connection @c (made when it opened).
 */
static struct http_conn *http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/**
 * http_queue() - queue @resp with @status as the answer to the current
 * request and note it for the event line.
 * Return: MHD's answer (MHD_NO closes the connection).
 */
static enum MHD_Result http_queue(struct http_server *s, struct http_conn *hc,
				  struct MHD_Connection *c, unsigned status,
				  struct MHD_Response *resp)
{
	hc->req.status = status;
	if (status >= MHD_HTTP_BAD_REQUEST)
		s->errors++;
	return MHD_queue_response(c, status, resp);
}

/**
 * http_error() - answer with a shared error reply.
 * @which: the reply
 * @why: for the event line (printf-style), or NULL
 * Return: MHD's answer.
 */
static enum MHD_Result http_error(struct http_server *s, struct http_conn *hc,
				  struct MHD_Connection *c, enum http_canned which,
				  const char *why)
{
	if (why)
		copy_printable(hc->req.error, sizeof(hc->req.error), why);
	hc->req.body = 0;
	return http_queue(s, hc, c, canned_replies[which].status, s->canned[which]);
}

/**
 * http_add_header() - add @name: @value to @resp.  0 or -ENOMEM.
 */
static int http_add_header(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -ENOMEM;
}

/**
 * http_range_refused() - 416 with "Content-Range: bytes *\/SIZE" (RFC 9110
 * section 15.5.17).  Return: MHD's answer.
 */
static enum MHD_Result http_range_refused(struct http_server *s, struct http_conn *hc,
					  struct MHD_Connection *c, uint64_t size)
{
	struct MHD_Response *resp;
	char cr[64];
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(sizeof(range_not_satisfiable_body) - 1,
					       (void *)range_not_satisfiable_body,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
	if (http_add_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr) < 0 ||
	    http_add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_TEXT) < 0) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	str_copy(hc->req.error, sizeof(hc->req.error), "range not satisfiable");
	ret = http_queue(s, hc, c, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

/**
 * is_text_name() - whether @path names a text file by its extension
 * (iPXE scripts and configs).
 */
static bool is_text_name(const char *path)
{
	static const char *const exts[] = { ".ipxe", ".cfg", ".conf", ".txt" };
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i]);

		if (n >= e && strcmp(path + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

/**
 * vfs_error_reply() - the reply for a vfs_open() failure @rc.
 */
static enum http_canned vfs_error_reply(int rc)
{
	switch (rc) {
	case -ENOENT:
	case -EISDIR:
	case -ENOTDIR:
		return HTTP_CANNED_404;
	case -EACCES:
	case -EPERM:
	case -EXDEV:
	case -ELOOP:
		return HTTP_CANNED_403;
	case -EINVAL:
	case -EILSEQ:
		return HTTP_CANNED_400;
	case -ENAMETOOLONG:
		return HTTP_CANNED_414;
	default:
		return HTTP_CANNED_500;
	}
}

/**
 * http_serve_file() - answer GET or HEAD of a vfs name: the whole file or
 * one range of it, from the descriptor (sendfile) or the rendered text.
 * @path: the decoded path ("/boot.ipxe")
 * @method: HTTP_M_GET or HTTP_M_HEAD
 * Return: MHD's answer.
 */
static enum MHD_Result http_serve_file(struct http_server *s, struct http_conn *hc,
				       struct MHD_Connection *c, const char *path,
				       unsigned method)
{
	struct vfs_file f = { .fd = -1 };
	struct vfs_req vr = {
		.path = path,
		.proto = VFS_HTTP,
		.peer_ip = hc->peer_ip,
		.server_ip = hc->server_ip,
	};
	struct MHD_Response *resp = NULL;
	char qmac[HTTP_QUERY_MAC_MAX], err[HTTP_ERR_LEN], date[HTTP_DATE_LEN], cr[96];
	const char *q, *range = NULL, *if_range;
	enum http_range_kind kind;
	uint64_t first = 0, len;
	bool config;
	enum MHD_Result ret;
	int rc;

	q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mac");
	if (q) {
		if (http_percent_decode(q, strlen(q), qmac, sizeof(qmac)) < 0)
			return http_error(s, hc, c, HTTP_CANNED_400, "malformed ?mac= value");
		vr.query_mac = qmac;
		copy_printable(hc->req.mac, sizeof(hc->req.mac), qmac);
	}
	err[0] = '\0';
	rc = vfs_open(s->bd->boot, &vr, &f, err, sizeof(err));
	if (rc < 0) {
		enum http_canned which = vfs_error_reply(rc);

		if (which == HTTP_CANNED_500)
			log_warn("http: cannot open %s for %s: %s", hc->req.path, hc->peer,
				 err[0] ? err : strerror(-rc));
		return http_error(s, hc, c, which, err[0] ? err : strerror(-rc));
	}
	if (f.mac[0])
		str_copy(hc->req.mac, sizeof(hc->req.mac), f.mac);
	config = f.kind && strcmp(f.kind, VFS_KIND_CONFIG) == 0;
	http_date(f.mtime, date);

	/* RFC 9110 section 14.2: Range applies to GET; If-Range with another
	 * validator than our Last-Modified means "send it all". */
	if (method == HTTP_M_GET) {
		range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
		if_range = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_IF_RANGE);
		if (range && if_range && strcmp(if_range, date) != 0)
			range = NULL;
	}
	kind = http_range_parse(range, f.size, &first, &len);
	if (kind == HTTP_RANGE_UNSATISFIABLE) {
		ret = http_range_refused(s, hc, c, f.size);
		goto out;
	}
	if (kind == HTTP_RANGE_FULL) {
		first = 0;
		len = f.size;
	}

	if (f.fd >= 0) {
		/* MHD closes the descriptor with the response. */
		resp = MHD_create_response_from_fd_at_offset64(len, f.fd, first);
		if (resp)
			f.fd = -1;
	} else if (len > 0 && f.data) {
		resp = MHD_create_response_from_buffer(len, f.data + first, MHD_RESPMEM_MUST_COPY);
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		log_warn("http: cannot make a reply for %s to %s", hc->req.path, hc->peer);
		ret = http_error(s, hc, c, HTTP_CANNED_500, "out of memory");
		goto out;
	}
	if (http_add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
			    config || is_text_name(path) ? CONTENT_TYPE_TEXT
							 : CONTENT_TYPE_BINARY) < 0 ||
	    http_add_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes") < 0 ||
	    http_add_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date) < 0 ||
	    /* a rendered config is for one machine and carries its token */
	    (config && http_add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") < 0)) {
		ret = MHD_NO;
		goto out;
	}
	if (kind == HTTP_RANGE_PARTIAL) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
			 first + len - 1, f.size);
		if (http_add_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr) < 0) {
			ret = MHD_NO;
			goto out;
		}
	}
	hc->req.body = method == HTTP_M_HEAD ? 0 : len;
	ret = http_queue(s, hc, c,
			 kind == HTTP_RANGE_PARTIAL ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK,
			 resp);
out:
	if (resp)
		MHD_destroy_response(resp);
	vfs_close(&f);
	return ret;
}

/**
 * method_bit() - the enum http_method bit of @method.
 */
static unsigned method_bit(const char *method)
{
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
		return HTTP_M_GET;
	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return HTTP_M_HEAD;
	return HTTP_M_OTHER;
}

/**
 * http_answer() - answer the request whose head hc->req holds: its route's
 * handler, or an error.  Return: MHD's answer.
 */
static enum MHD_Result http_answer(struct http_server *s, struct http_conn *hc,
				   struct MHD_Connection *c)
{
	struct http_req *r = &hc->req;

	if (r->decode_rc == -ENAMETOOLONG)
		return http_error(s, hc, c, HTTP_CANNED_414, "path too long");
	if (r->decode_rc == -EILSEQ)
		return http_error(s, hc, c, HTTP_CANNED_400,
				  "NUL or control character in the path");
	if (r->decode_rc < 0)
		return http_error(s, hc, c, HTTP_CANNED_400, "malformed %-escape in the path");
	if (r->decoded[0] != '/')
		return http_error(s, hc, c, HTTP_CANNED_400, "request target is not a path");
	if (!r->route || !r->route->handler)
		return http_error(s, hc, c, HTTP_CANNED_404, "no such page");
	if (!(r->route->methods & r->method_bit))
		return http_error(s, hc, c, HTTP_CANNED_405, "method not allowed");
	return r->route->handler(s, hc, c, r->decoded, r->method_bit);
}

/**
 * http_access() - MHD's request handler: called once the request head is
 * read, again for each piece of a body (which we drop), and once more at
 * its end.  We answer at the end: libmicrohttpd 0.9.75 closes the
 * connection after an answer queued on the first call (it cannot know the
 * body was not needed), which would cost keep-alive.  Only a method the
 * path does not take is answered at once, so its body is never read.
 * @cls: the server
 * @c: the connection
 * @url: the path, still percent-encoded (our unescape callback is a no-op)
 * @method: the method
 * @req_cls: our per-request pointer (NULL on the first call)
 * Return: MHD_YES, or MHD_NO to close the connection.
 */
static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **req_cls)
{
	struct http_server *s = cls;
	struct http_conn *hc = http_conn_of(c);
	struct http_req *r;
	size_t i;

	if (!hc)
		return MHD_NO;
	r = &hc->req;
	if (!*req_cls) {
		memset(r, 0, sizeof(*r));
		r->start_ns = monotonic_ns();
		copy_printable(r->method, sizeof(r->method), method);
		copy_printable(r->path, sizeof(r->path), url);
		*req_cls = r;
		r->method_bit = method_bit(method);
		r->decode_rc = http_percent_decode(url, strlen(url), r->decoded,
						   sizeof(r->decoded));
		if (r->decode_rc >= 0) {
			for (i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
				if (http_route_matches(&http_routes[i], r->decoded)) {
					r->route = &http_routes[i];
					break;
				}
			}
		}
		if (r->route && r->route->handler && !(r->route->methods & r->method_bit))
			return http_answer(s, hc, c);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;	/* a body nobody asked for: dropped */
		return MHD_YES;
	}
	if (r->status)
		return MHD_YES;		/* answered already */
	return http_answer(s, hc, c);
}

/**
 * http_completed() - MHD's "request done" callback: the http.get event
 * and the counters.
 * @toe: how it ended (completed, or the client went away, a timeout …)
 */
static void http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			   enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *req_cls;
	struct http_conn *hc = http_conn_of(c);
	const char *mac = NULL, *error = NULL;
	uint64_t bytes = 0;
	double seconds;

	if (!r || !hc)
		return;
	*req_cls = NULL;
	seconds = (double)(monotonic_ns() - r->start_ns) / NS_PER_SEC;
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		bytes = r->body;
	} else {
		static const char *const why[] = {
			[MHD_REQUEST_TERMINATED_WITH_ERROR] = "connection error",
			[MHD_REQUEST_TERMINATED_TIMEOUT_REACHED] = "timeout",
			[MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN] = "shutdown",
			[MHD_REQUEST_TERMINATED_READ_ERROR] = "client went away",
			[MHD_REQUEST_TERMINATED_CLIENT_ABORT] = "client went away",
		};

		error = (size_t)toe < sizeof(why) / sizeof(why[0]) && why[toe] ? why[toe]
									: "aborted";
	}
	if (r->error[0])
		error = r->error;
	if (r->mac[0]) {
		mac = r->mac;
	} else {
		if (!hc->peer_mac_known) {
			hc->peer_mac_known = true;
			if (!hc->peer_ip || !s->bd->clients ||
			    clientmap_mac_for_ip(s->bd->clients, hc->peer_ip, hc->peer_mac) < 0)
				hc->peer_mac[0] = '\0';
		}
		if (hc->peer_mac[0])
			mac = hc->peer_mac;
	}
	s->requests++;
	s->bytes += bytes;
	log_event(EV_HTTP_GET, "{s:s*, s:s, s:s, s:s, s:i, s:I, s:f, s:s*}", "mac", mac, "ip",
		  hc->peer, "method", r->method, "path", r->path, "status", (int)r->status,
		  "bytes", (json_int_t)bytes, "seconds", seconds, "error", error);
}

/**
 * http_connection_notify() - MHD's connection open/close callback: our
 * per-connection state and counters.
 */
static void http_connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
				   enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	struct http_conn *hc;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		s->closed_in_run = true;
		if (s->connections > 0)
			s->connections--;
		return;
	}
	hc = xcalloc(1, sizeof(*hc));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	hc->peer_ip = sockaddr_ipv4(ci ? ci->client_addr : NULL, hc->peer);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getsockname(ci->connect_fd, (struct sockaddr *)&ss, &sl) == 0)
			hc->server_ip = sockaddr_ipv4((struct sockaddr *)&ss, NULL);
	}
	if (s->bd->cfg.http_timeout != s->start_timeout)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned)s->bd->cfg.http_timeout);
	*socket_context = hc;
	s->connections++;
	s->connections_total++;
}

/**
 * http_accept_policy() - MHD's accept check: max_connections as it is now
 * (a reload may have lowered it below MHD's own limit), nothing after stop.
 */
static enum MHD_Result http_accept_policy(void *cls, const struct sockaddr *addr,
					  socklen_t addrlen)
{
	struct http_server *s = cls;

	if (s->stopped || s->connections >= s->bd->cfg.http_max_connections) {
		s->refused++;
		return MHD_NO;
	}
	return MHD_YES;
}

/**
 * http_unescape_none() - MHD's unescape callback: leave the text as it is
 * (http_access() decodes paths, http_serve_file() query values).
 * Return: the length of @s.
 */
static size_t http_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

/**
 * http_mhd_log() - MHD's messages (mostly about bad requests) go to the
 * debug log.
 */
static void __attribute__((format(printf, 2, 0)))
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: libmicrohttpd: %s", line);
}

/**
 * http_arm_timer() - set the loop timer to MHD's next deadline (0 when it
 * has buffered work to do).
 */
static void http_arm_timer(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (s->closed_in_run)
		ms = 0;		/* see http_run() */
	else if (MHD_get_timeout(s->mhd, &ms) != MHD_YES)
		ms = HTTP_IDLE_TIMER_MS;
	evloop_timer_set(s->timer, ms, 0);
}

/**
 * http_run() - let MHD accept, read, send and time out; a few rounds in a
 * row while it has work buffered, then back to the loop.
 */
static void http_run(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int i;

	for (i = 0; i < HTTP_RUN_BURST; i++) {
		s->closed_in_run = false;
		MHD_run(s->mhd);
		/* MHD stops watching its listening socket at max_connections
		 * and watches it again only at the start of its next run after
		 * a connection closed: without that run, a client waiting in
		 * the listen queue would wait for some unrelated event. */
		if (s->closed_in_run)
			continue;
		if (MHD_get_timeout(s->mhd, &ms) != MHD_YES || ms > 0)
			break;
	}
	http_arm_timer(s);
}

/** http_epoll_ready() - loop callback: MHD's epoll descriptor is ready. */
static void http_epoll_ready(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	http_run(arg);
}

/** http_timer_fired() - loop callback: MHD's deadline came. */
static void http_timer_fired(struct evloop *loop, struct ev_timer *t, void *arg)
{
	http_run(arg);
}

/**
 * http_listen_socket() - a listening TCP socket on @listen (an IPv4 or
 * IPv6 address, optionally in brackets; "" = every address, IPv6 and IPv4
 * when the host has IPv6) and @port.
 * @bound_port: the port bound
 * Return: the descriptor, or -errno (+ @err).
 */
static int http_listen_socket(const char *listen_addr, uint32_t port, uint16_t *bound_port,
			      char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN + 2];
	size_t n;
	int fd = -1, one = 1, zero = 0, rc;

	if (port > UINT16_MAX) {
		err_set(err, errlen, "[http] port %u is not a TCP port", port);
		return -EINVAL;
	}
	memset(&ss, 0, sizeof(ss));
	str_copy(host, sizeof(host), listen_addr ? listen_addr : "");
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (host[0] == '\0') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			/* both families on one socket */
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			sin6->sin6_port = htons((uint16_t)port);
			sl = sizeof(*sin6);
		} else {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
			sin->sin_port = htons((uint16_t)port);
			sl = sizeof(*sin);
		}
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)port);
			sl = sizeof(*sin);
		} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)port);
			sl = sizeof(*sin6);
		} else {
			err_set(err, errlen, "[http] listen: '%s' is not an IPv4 or IPv6 address",
				listen_addr);
			return -EINVAL;
		}
	}
	if (fd < 0)
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot make the HTTP socket: %s", strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot listen on HTTP %s port %u: %s",
			host[0] ? host : "(all addresses)", port, strerror(-rc));
		goto err;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*bound_port = ss.ss_family == AF_INET
				      ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				      : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*bound_port = (uint16_t)port;
	return fd;

err:
	close(fd);
	return rc;
}

int http_server_new(struct bootd *bd, struct http_server **out, char *err, size_t errlen)
{
	const struct lr_config *cfg = &bd->cfg;
	const union MHD_DaemonInfo *di;
	struct http_server *s;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	int rc, i;

	*out = NULL;
	if (cfg->http_max_connections == 0) {
		err_set(err, errlen, "[http] max_connections must be at least 1");
		return -EINVAL;
	}
	s = xcalloc(1, sizeof(*s));
	s->bd = bd;
	s->listen_fd = -1;
	s->epoll_fd = -1;
	s->listen = xstrdup(cfg->http_listen ? cfg->http_listen : "");
	s->port = cfg->http_port;
	s->start_max_connections = cfg->http_max_connections;
	s->start_timeout = cfg->http_timeout;

	/* sendfile() cannot be told not to raise SIGPIPE: MHD uses it only
	 * when the application ignores the signal (as every lanroot daemon
	 * does). */
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < HTTP_CANNED_COUNT; i++) {
		s->canned[i] = MHD_create_response_from_buffer(strlen(canned_replies[i].body),
							       (void *)canned_replies[i].body,
							       MHD_RESPMEM_PERSISTENT);
		if (!s->canned[i] ||
		    http_add_header(s->canned[i], MHD_HTTP_HEADER_CONTENT_TYPE,
				    CONTENT_TYPE_TEXT) < 0 ||
		    (i == HTTP_CANNED_405 &&
		     http_add_header(s->canned[i], MHD_HTTP_HEADER_ALLOW, ALLOW_GET_HEAD) < 0)) {
			err_set(err, errlen, "out of memory for the HTTP error replies");
			rc = -ENOMEM;
			goto err;
		}
	}

	rc = http_listen_socket(s->listen, s->port, &s->bound_port, err, errlen);
	if (rc < 0)
		goto err;
	s->listen_fd = rc;

	s->mhd = MHD_start_daemon(flags, 0, http_accept_policy, s, http_access, s,
				  /* first, so that MHD logs nothing elsewhere */
				  MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
				  MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, s->start_max_connections,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  (unsigned)HTTP_PER_IP_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, s->start_timeout,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
				  MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
				  MHD_OPTION_NOTIFY_CONNECTION, http_connection_notify, s,
				  MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, s,
#if MHD_VERSION >= 0x00097205
				  MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
#endif
				  MHD_OPTION_END);
	if (!s->mhd) {
		err_set(err, errlen, "libmicrohttpd would not start on HTTP port %u",
			(unsigned)s->bound_port);
		rc = -EIO;
		goto err;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		err_set(err, errlen, "libmicrohttpd has no epoll descriptor");
		rc = -EIO;
		goto err;
	}
	s->epoll_fd = di->epoll_fd;
	rc = evloop_add(bd->loop, s->epoll_fd, EPOLLIN, http_epoll_ready, s);
	if (rc < 0) {
		err_set(err, errlen, "cannot watch the HTTP server: %s", strerror(-rc));
		s->epoll_fd = -1;
		goto err;
	}
	s->timer = evloop_timer_add(bd->loop, HTTP_IDLE_TIMER_MS, 0, http_timer_fired, s);
	if (!s->timer) {
		rc = -errno;
		err_set(err, errlen, "cannot make the HTTP timer: %s", strerror(-rc));
		goto err;
	}
	*out = s;
	return 0;

err:
	if (!s->mhd && s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	http_server_free(s);
	return rc;
}

int http_server_reload(struct http_server *s, char *err, size_t errlen)
{
	const struct lr_config *cfg = &s->bd->cfg;
	const char *listen_addr = cfg->http_listen ? cfg->http_listen : "";
	int rc = 0;

	if (strcmp(listen_addr, s->listen) != 0 || cfg->http_port != s->port) {
		err_set(err, errlen,
			"[http] listen or port changed: still on %s port %u until a restart",
			s->listen[0] ? s->listen : "all addresses", s->port);
		rc = -EAGAIN;
	} else if (cfg->http_max_connections > s->start_max_connections) {
		err_set(err, errlen,
			"[http] max_connections raised above %u (its value at start) "
			"takes a restart", s->start_max_connections);
		rc = -EAGAIN;
	}
	/* max_connections below the start value and timeout apply by
	 * themselves (http_accept_policy(), http_connection_notify()). */
	return rc;
}

void http_server_stop(struct http_server *s)
{
	MHD_socket fd;

	if (!s || s->stopped)
		return;
	s->stopped = true;
	if (!s->mhd)
		return;
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

void http_server_free(struct http_server *s)
{
	int i;

	if (!s)
		return;
	if (s->epoll_fd >= 0)
		evloop_del(s->bd->loop, s->epoll_fd);
	if (s->timer)
		evloop_timer_del(s->bd->loop, s->timer);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	for (i = 0; i < HTTP_CANNED_COUNT; i++)
		if (s->canned[i])
			MHD_destroy_response(s->canned[i]);
	free(s->listen);
	free(s);
}

json_t *http_server_status(struct http_server *s)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			 "listen", s->listen, "port", (int)s->bound_port,
			 "connections", (json_int_t)s->connections,
			 "max_connections", (json_int_t)s->bd->cfg.http_max_connections,
			 "connections_total", (json_int_t)s->connections_total,
			 "refused", (json_int_t)s->refused,
			 "requests", (json_int_t)s->requests,
			 "bytes", (json_int_t)s->bytes,
			 "errors", (json_int_t)s->errors,
			 "stopped", s->stopped);
}
