/* One NBD connection of lanroot-blockd: the fixed newstyle handshake, the
 * options, and the transmission phase (see server.h).
 *
 * Everything here runs on the loop thread.  A connection reads with
 * non-blocking recv() (or GnuTLS after STARTTLS) straight into where the
 * bytes belong: a small header buffer, or a request's own payload buffer.
 * Disk work goes to the worker pool; its result comes back in
 * job_done(), which queues the reply.  Replies leave in the order their
 * requests finish (the protocol allows any order), batched with writev().
 *
 * Flow control: a connection stops reading requests while it has
 * CONN_INFLIGHT_MAX requests at the workers or holds CONN_BUFFER_MAX bytes
 * of requests and unsent replies, or the whole server holds
 * SERVER_BUFFER_MAX; a client that sends but never reads replies therefore
 * stalls only itself, and the idle timeout reclaims it.
 *
 * A connection is freed only from conn_finish(), never in the middle of
 * handling one of its events (c->in_io).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>
#include "events.h"
#include "evloop.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "tls.h"
#include "util.h"

#define GREETING_FLAGS		(NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES)
#define META_BASE_ALLOCATION	"base:allocation"
#define META_BASE_NS		"base:"
#define META_ID_BASE_ALLOCATION	1u
#define BLOCK_SIZE_MIN		1u
#define BLOCK_SIZE_PREFERRED	4096u
#define IOV_BATCH		64
#define RX_BUF			16384		/* read-ahead for headers */
#define SENDFILE_MIN		(64u << 10)	/* smaller base reads are copied */
#define INLINE_READ_MAX		(1u << 20)	/* cached reads answered on the loop */
#define DISCARD_CHUNK		65536
#define OPT_REPLY_MAX		(NBD_OPTION_REPLY_HEADER_LEN + 8 + NBD_MAX_STRING_LEN)

/* A request at the workers. */
struct job {
	struct iopool_job base;		/* first: the pool's view */
	struct conn *c;
	struct nbd_request req;
	uint8_t *buf;			/* read result or write payload */
	size_t held;			/* bytes counted in c->held */
	struct nbd_extent *ext;		/* block status result */
	int next;			/* extents, or -errno */
	int rc;				/* 0 or -errno */
};

static void conn_update(struct conn *c);
static void conn_input(struct conn *c);
static void conn_finish(struct conn *c);
static void conn_pump(struct conn *c);

static uint8_t discard_buf[DISCARD_CHUNK];	/* skipped bytes land here */

/* ---- small helpers --------------------------------------------------------- */

/** hold() - count @n more bytes held by @c (and the server). */
static void hold(struct conn *c, size_t n)
{
	c->held += n;
	c->srv->held += n;
}

/** unhold() - count @n bytes fewer held by @c. */
static void unhold(struct conn *c, size_t n)
{
	c->held -= n;
	c->srv->held -= n;
}

/** in_handshake() - whether @c has not reached transmission yet. */
static bool in_handshake(const struct conn *c)
{
	return c->state <= CS_PARKED;
}

/** conn_state_name() - see server.h. */
const char *conn_state_name(const struct conn *c)
{
	if (c->state == CS_CLOSING)
		return "closing";
	return in_handshake(c) ? "handshake" : "transmission";
}

/** expect() - read @need bytes into c->hdr next, in state @st. */
static void expect(struct conn *c, enum conn_state st, size_t need)
{
	c->state = st;
	c->need = need;
	c->got = 0;
}

/** nbd_errno() - the NBD error value for a -errno from the backend. */
static uint32_t nbd_errno(int rc)
{
	switch (-rc) {
	case 0:		return 0;
	case EPERM:
	case EROFS:	return NBD_EPERM;
	case ENOMEM:	return NBD_ENOMEM;
	case EINVAL:	return NBD_EINVAL;
	case ENOSPC:
	case EDQUOT:	return NBD_ENOSPC;
	case EOVERFLOW:	return NBD_EOVERFLOW;
	case ENOTSUP:	return NBD_ENOTSUP;
	case ESHUTDOWN:	return NBD_ESHUTDOWN;
	default:	return NBD_EIO;
	}
}

/* ---- output ------------------------------------------------------------------ */

/** out_new() - an output buffer with @hlen header bytes and @data. */
static struct outbuf *out_new(const void *hdr, size_t hlen, uint8_t *data, size_t dlen)
{
	struct outbuf *ob = xcalloc(1, sizeof(*ob));

	if (hlen)
		memcpy(ob->hdr, hdr, hlen);
	ob->hlen = hlen;
	ob->data = data;
	ob->dlen = dlen;
	ob->fd = -1;
	return ob;
}

/** out_free() - free @ob and its data (data bytes leave c->held). */
static void out_free(struct conn *c, struct outbuf *ob, bool counted)
{
	if (counted)
		unhold(c, ob->dlen);
	free(ob->data);
	free(ob);
}

/**
 * queue() - append @ob to @c's output.  @counted: its data bytes are
 * already in c->held (read replies); else they are counted now.
 */
static void queue(struct conn *c, struct outbuf *ob, bool counted)
{
	if (!counted)
		hold(c, ob->dlen);
	if (c->out_tail)
		c->out_tail->next = ob;
	else
		c->out_head = ob;
	c->out_tail = ob;
	c->out_bytes += ob->hlen + ob->dlen;
}

/** queue_bytes() - queue a copy of @len bytes (an encoded message). */
static void queue_bytes(struct conn *c, const uint8_t *buf, size_t len)
{
	if (len <= OUT_HDR_MAX) {
		queue(c, out_new(buf, len, NULL, 0), false);
	} else {
		uint8_t *copy = xmalloc(len);

		memcpy(copy, buf, len);
		queue(c, out_new(NULL, 0, copy, len), false);
	}
}

/** out_pop() - @ob (the head) was sent: free it. */
static void out_pop(struct conn *c)
{
	struct outbuf *ob = c->out_head;

	c->out_head = ob->next;
	if (!c->out_head)
		c->out_tail = NULL;
	out_free(c, ob, true);
}

/** sent() - account @n bytes as sent from the head of the queue on. */
static void sent(struct conn *c, size_t n)
{
	struct outbuf *ob;
	size_t left;

	c->out_bytes -= n;
	c->last_ns = monotonic_ns();
	while (n > 0 && (ob = c->out_head)) {
		left = ob->hlen + ob->dlen - ob->off;
		if (n < left) {
			ob->off += n;
			return;
		}
		n -= left;
		out_pop(c);
	}
}

/**
 * flush_plain() - writev() queued output.  Return: 0 when all is sent or
 * the socket is full, -errno when the peer is gone.
 */
static int flush_plain(struct conn *c)
{
	struct iovec iov[IOV_BATCH];
	struct msghdr msg;
	struct outbuf *ob;
	off_t foff;
	bool more;
	ssize_t n;
	int i;

	while ((ob = c->out_head)) {
		if (ob->fd >= 0 && ob->off >= ob->hlen) {
			/* The head's data goes from the base file to the socket. */
			foff = (off_t)(ob->foff + (ob->off - ob->hlen));
			n = sendfile(c->fd, ob->fd, &foff, ob->dlen - (ob->off - ob->hlen));
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return 0;
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (n == 0)
				return -EIO;	/* the file is shorter than the export */
			sent(c, (size_t)n);
			continue;
		}
		i = 0;
		more = false;
		for (; ob && i < IOV_BATCH - 1; ob = ob->next) {
			size_t off = ob->off;

			if (off < ob->hlen) {
				iov[i].iov_base = ob->hdr + off;
				iov[i++].iov_len = ob->hlen - off;
				off = 0;
			} else {
				off -= ob->hlen;
			}
			if (ob->fd >= 0) {
				more = true;	/* its data follows by sendfile() */
				break;
			}
			if (ob->dlen > off) {
				iov[i].iov_base = ob->data + off;
				iov[i++].iov_len = ob->dlen - off;
			}
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)i;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		sent(c, (size_t)n);
	}
	return 0;
}

/**
 * flush_tls() - send queued output through GnuTLS, one piece at a time
 * (after -EAGAIN GnuTLS wants the same piece again, which it gets: the
 * head of the queue does not change until it is sent).
 */
static int flush_tls(struct conn *c)
{
	struct outbuf *ob;
	const uint8_t *p;
	size_t len;
	ssize_t n;

	while ((ob = c->out_head)) {
		if (ob->off < ob->hlen) {
			p = ob->hdr + ob->off;
			len = ob->hlen - ob->off;
		} else {
			p = ob->data + (ob->off - ob->hlen);
			len = ob->dlen - (ob->off - ob->hlen);
		}
		n = nbd_tls_send(c->tls, p, len);
		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		sent(c, (size_t)n);
	}
	return 0;
}

/** flush_out() - send what the socket takes; close @c if the peer is gone. */
static void flush_out(struct conn *c)
{
	int rc;

	if (!c->out_head)
		return;
	rc = c->tls ? flush_tls(c) : flush_plain(c);
	if (rc < 0)
		conn_close(c, "peer gone while sending", true);
}

/* ---- option replies --------------------------------------------------------- */

/** opt_ack() - queue NBD_REP_ACK for the current option. */
static void opt_ack(struct conn *c)
{
	uint8_t buf[NBD_OPTION_REPLY_HEADER_LEN];
	ssize_t n = nbd_encode_option_reply(buf, sizeof(buf), c->opt.option, NBD_REP_ACK,
					    NULL, 0);

	if (n > 0)
		queue_bytes(c, buf, (size_t)n);
}

/** opt_error() - queue an error reply with a message (printf-style). */
static void __attribute__((format(printf, 3, 4)))
opt_error(struct conn *c, uint32_t type, const char *fmt, ...)
{
	char msg[RESOLVE_MSG_LEN];
	uint8_t *buf = xmalloc(OPT_REPLY_MAX);
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = nbd_encode_rep_error(buf, OPT_REPLY_MAX, c->opt.option, type, msg);
	if (n > 0)
		queue(c, out_new(NULL, 0, buf, (size_t)n), false);
	else
		free(buf);
}

/** opt_encoded() - queue a reply an nbd_encode_rep_*() call made in @buf. */
static void opt_encoded(struct conn *c, const uint8_t *buf, ssize_t n)
{
	if (n > 0)
		queue_bytes(c, buf, (size_t)n);
}

/* ---- events ------------------------------------------------------------------ */

/** refused() - log an nbd.refused event for @c. */
static void refused(struct conn *c, const char *export, const char *why)
{
	log_event(EV_NBD_REFUSED, "{s:I, s:s, s:s, s:s}", "session", (json_int_t)c->id,
		  "address", c->addr, "export", export, "reason", why);
}

/** protocol_error() - log and close @c at once. */
static void protocol_error(struct conn *c, const char *what)
{
	log_event(EV_NBD_PROTOCOL_ERROR, "{s:I, s:s, s:s, s:s}", "session",
		  (json_int_t)c->id, "address", c->addr, "client", c->client,
		  "reason", what);
	conn_close(c, "protocol error", true);
}

/* ---- handshake -------------------------------------------------------------- */

/** tls_required() - whether this connection must do STARTTLS first. */
static bool tls_required(const struct conn *c)
{
	return !c->tls && c->srv->tls && strcmp(c->srv->cfg->nbd_tls, "require") == 0;
}

/**
 * tflags_of() - transmission flags of an export, read-only or not.  Every
 * connection of one client shares its backend, so a FLUSH on any of them
 * covers the writes of all: CAN_MULTI_CONN holds.
 */
static uint16_t tflags_of(bool ro)
{
	uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_CAN_MULTI_CONN;

	if (ro)
		return f | NBD_FLAG_READ_ONLY;
	return f | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES |
	       NBD_FLAG_SEND_FAST_ZERO;
}

/** tflags_for() - transmission flags of @c's attached export. */
static uint16_t tflags_for(const struct conn *c)
{
	return tflags_of(c->be->kind == BACKEND_BASE);
}

/** enter_transmission() - the handshake is over: read requests. */
static void enter_transmission(struct conn *c)
{
	c->tflags = tflags_for(c);
	c->last_ns = monotonic_ns();
	free(c->payload);
	c->payload = NULL;
	expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
	log_event(EV_NBD_SESSION, "{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:b}",
		  "session", (json_int_t)c->id, "address", c->addr, "client", c->client,
		  "mac", c->en.mac, "export", c->export_pub, "image", c->be->image,
		  "version", c->be->version, "mode", c->mode, "tls", c->tls != NULL);
}

/** next_option() - wait for the next option header. */
static void next_option(struct conn *c)
{
	free(c->payload);
	c->payload = NULL;
	expect(c, CS_OPT_HDR, NBD_OPTION_HEADER_LEN);
}

/** string_dup() - a NUL-terminated copy of a parsed NBD string. */
static char *string_dup(const struct nbd_string *s)
{
	char *p = xmalloc(s->len + 1u);

	memcpy(p, s->ptr, s->len);
	p[s->len] = '\0';
	return p;
}

/**
 * opt_export_name() - NBD_OPT_EXPORT_NAME: no error reply exists, so a
 * refusal closes the connection.
 */
static void opt_export_name(struct conn *c)
{
	uint8_t buf[NBD_EXPORT_NAME_REPLY_LEN + NBD_EXPORT_NAME_ZEROES];
	struct nbd_string s;
	char msg[RESOLVE_MSG_LEN], *name;
	uint32_t err;
	ssize_t n;

	if (nbd_parse_opt_export_name(c->payload, c->opt.length, &s, msg) < 0) {
		protocol_error(c, msg);
		return;
	}
	name = string_dup(&s);
	switch (resolve_export(c, name, true, &err, msg)) {
	case RESOLVE_PARK:
		c->state = CS_PARKED;
		server_schedule_park_retry(c->srv);
		break;
	case RESOLVE_REFUSED:
		refused(c, c->export_pub[0] ? c->export_pub : "(unparsable)", msg);
		conn_close(c, "export refused", true);
		break;
	case RESOLVE_OK:
		n = nbd_encode_export_name_reply(buf, sizeof(buf), c->be->size, tflags_for(c),
						 c->cflags & NBD_FLAG_C_NO_ZEROES);
		opt_encoded(c, buf, n);
		enter_transmission(c);
		break;
	}
	free(name);
}

/** describe() - the NBD_INFO_DESCRIPTION text of @c's export. */
static void describe(const struct conn *c, const char *image, int version, char *out,
		     size_t outlen)
{
	if (c->client[0])
		snprintf(out, outlen, "lanroot client %s: %s version %d (%s)", c->client,
			 image, version, c->mode);
	else
		snprintf(out, outlen, "lanroot image %s version %d (read-only)", image, version);
}

/** opt_info_go() - NBD_OPT_INFO and NBD_OPT_GO. */
static void opt_info_go(struct conn *c)
{
	uint8_t buf[OPT_REPLY_MAX];
	struct nbd_opt_go go;
	char msg[RESOLVE_MSG_LEN], desc[256], *name;
	bool is_go = c->opt.option == NBD_OPT_GO;
	uint32_t err;
	uint16_t i, info;
	uint64_t size;
	enum resolve_result res;
	const char *image;
	int version;

	if (nbd_parse_opt_go(c->payload, c->opt.length, &go, msg) < 0) {
		opt_error(c, NBD_REP_ERR_INVALID, "%s", msg);
		next_option(c);
		return;
	}
	if (go.name.len == 0) {
		opt_error(c, NBD_REP_ERR_UNKNOWN, "there is no default export: use the "
			  "export name `lanroot client show` prints");
		refused(c, "", "no default export");
		next_option(c);
		return;
	}
	name = string_dup(&go.name);
	res = resolve_export(c, name, is_go, &err, msg);
	if (res == RESOLVE_PARK) {
		c->state = CS_PARKED;
		server_schedule_park_retry(c->srv);
		free(name);
		return;
	}
	if (res == RESOLVE_REFUSED) {
		opt_error(c, err, "%s", msg);
		refused(c, c->export_pub[0] ? c->export_pub : "(unparsable)", msg);
		free(name);
		next_option(c);
		return;
	}
	/* RESOLVE_OK: for INFO, c->be is not attached; the export fields are. */
	if (is_go) {
		size = c->be->size;
		image = c->be->image;
		version = c->be->version;
	} else {
		size = c->info_size;
		image = c->info_image;
		version = c->info_version;
	}
	opt_encoded(c, buf, nbd_encode_rep_info_export(buf, sizeof(buf), c->opt.option, size,
							is_go ? tflags_for(c) : tflags_of(c->info_ro)));
	for (i = 0; i < go.nr_requests; i++) {
		info = nbd_opt_go_request(&go, i);
		switch (info) {
		case NBD_INFO_NAME:
			opt_encoded(c, buf, nbd_encode_rep_info_string(buf, sizeof(buf),
					c->opt.option, NBD_INFO_NAME, c->export_pub));
			break;
		case NBD_INFO_DESCRIPTION:
			describe(c, image, version, desc, sizeof(desc));
			opt_encoded(c, buf, nbd_encode_rep_info_string(buf, sizeof(buf),
					c->opt.option, NBD_INFO_DESCRIPTION, desc));
			break;
		case NBD_INFO_BLOCK_SIZE:
			opt_encoded(c, buf, nbd_encode_rep_info_block_size(buf, sizeof(buf),
					c->opt.option, BLOCK_SIZE_MIN, BLOCK_SIZE_PREFERRED,
					NBD_MAX_PAYLOAD));
			break;
		default:
			break;	/* unknown requests are ignored ("NBD_OPT_INFO") */
		}
	}
	opt_ack(c);
	if (!is_go) {
		free(name);
		next_option(c);
		return;
	}
	/* A selection made for another export does not carry over. */
	if (c->meta_alloc && (!c->meta_export || strcmp(c->meta_export, name) != 0))
		c->meta_alloc = false;
	free(name);
	enter_transmission(c);
}

/** opt_list() - NBD_OPT_LIST: the IMAGE@VERSION exports, when enabled. */
static void opt_list(struct conn *c)
{
	uint8_t buf[OPT_REPLY_MAX];
	struct reg_image *imgs = NULL;
	struct reg_version *vers;
	char name[BACKEND_KEY_MAX], desc[128];
	size_t ni = 0, nv, i, j;
	ssize_t n;

	if (c->opt.length != 0) {
		opt_error(c, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data (got %u bytes)",
			  c->opt.length);
		return;
	}
	if (c->srv->cfg->nbd_version_exports &&
	    registry_image_list(c->srv->st->reg, &imgs, &ni) == 0) {
		for (i = 0; i < ni; i++) {
			if (registry_version_list(c->srv->st->reg, imgs[i].name, &vers, &nv) < 0)
				continue;
			for (j = 0; j < nv; j++) {
				snprintf(name, sizeof(name), "%s@%d", vers[j].image, vers[j].version);
				snprintf(desc, sizeof(desc), "%s version %d%s, read-only",
					 vers[j].image, vers[j].version,
					 vers[j].published ? " (published)" : "");
				n = nbd_encode_rep_server(buf + NBD_OPTION_REPLY_HEADER_LEN,
							  sizeof(buf) - NBD_OPTION_REPLY_HEADER_LEN,
							  name, desc);
				if (n > 0)	/* a whole reply, header included */
					queue_bytes(c, buf + NBD_OPTION_REPLY_HEADER_LEN, (size_t)n);
			}
			free(vers);
		}
		free(imgs);
	}
	opt_ack(c);
}

/** opt_meta() - NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. */
static void opt_meta(struct conn *c)
{
	uint8_t buf[OPT_REPLY_MAX];
	bool set = c->opt.option == NBD_OPT_SET_META_CONTEXT;
	struct nbd_opt_meta meta;
	char msg[RESOLVE_MSG_LEN], *name;
	uint32_t err, i;
	bool match = false;
	int rc;

	rc = nbd_parse_opt_meta(c->payload, c->opt.length, &meta, msg);
	if (rc < 0) {
		opt_error(c, rc == -E2BIG ? NBD_REP_ERR_TOO_BIG : NBD_REP_ERR_INVALID, "%s", msg);
		return;
	}
	if (set && !c->structured) {
		opt_error(c, NBD_REP_ERR_INVALID, "NBD_OPT_SET_META_CONTEXT needs "
			  "NBD_OPT_STRUCTURED_REPLY first");
		return;
	}
	name = string_dup(&meta.name);
	if (resolve_export(c, name, false, &err, msg) != RESOLVE_OK) {
		opt_error(c, err, "%s", msg);
		refused(c, c->export_pub[0] ? c->export_pub : "(unparsable)", msg);
		free(name);
		return;
	}
	if (set) {
		c->meta_alloc = false;
		free(c->meta_export);
		c->meta_export = NULL;
	}
	for (i = 0; i < meta.nr_queries; i++) {
		const struct nbd_string *q = &meta.queries[i];

		if (q->len == strlen(META_BASE_ALLOCATION) &&
		    memcmp(q->ptr, META_BASE_ALLOCATION, q->len) == 0)
			match = true;
		else if (!set && q->len == strlen(META_BASE_NS) &&
			 memcmp(q->ptr, META_BASE_NS, q->len) == 0)
			match = true;
	}
	if (!set && meta.nr_queries == 0)
		match = true;	/* an empty list asks for every context */
	if (match) {
		opt_encoded(c, buf, nbd_encode_rep_meta_context(buf, sizeof(buf), c->opt.option,
				set ? META_ID_BASE_ALLOCATION : 0, META_BASE_ALLOCATION));
		if (set) {
			c->meta_alloc = true;
			c->meta_export = name;
			name = NULL;
		}
	}
	free(name);
	opt_ack(c);
}

/** start_tls() - the STARTTLS ACK is out: begin the TLS handshake. */
static void start_tls(struct conn *c)
{
	int rc;

	if (c->rx_len > c->rx_off) {
		/* The client must wait for the ACK before its ClientHello. */
		protocol_error(c, "data after NBD_OPT_STARTTLS before its reply");
		return;
	}
	rc = nbd_tls_session_new(c->srv->tls, c->fd, &c->tls);

	if (rc < 0) {
		log_event(EV_NBD_TLS_ERROR, "{s:I, s:s, s:s}", "session", (json_int_t)c->id,
			  "address", c->addr, "reason", strerror(-rc));
		conn_close(c, "TLS setup failed", true);
		return;
	}
	c->state = CS_TLS;
}

/** tls_step() - advance the TLS handshake. */
static void tls_step(struct conn *c)
{
	int rc = nbd_tls_handshake(c->tls);

	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		log_event(EV_NBD_TLS_ERROR, "{s:I, s:s, s:s}", "session", (json_int_t)c->id,
			  "address", c->addr, "reason", nbd_tls_error(c->tls));
		conn_close(c, "TLS handshake failed", true);
		return;
	}
	str_copy(c->tls_peer, sizeof(c->tls_peer), nbd_tls_peer(c->tls));
	next_option(c);
}

/** handle_option() - the option in c->opt (payload in c->payload) is in. */
static void handle_option(struct conn *c)
{
	uint32_t o = c->opt.option;

	if (tls_required(c) && o != NBD_OPT_STARTTLS && o != NBD_OPT_ABORT) {
		if (o == NBD_OPT_EXPORT_NAME) {
			refused(c, "", "TLS required");
			conn_close(c, "TLS required", true);
			return;
		}
		opt_error(c, NBD_REP_ERR_TLS_REQD, "this server requires TLS: send "
			  "NBD_OPT_STARTTLS first");
		next_option(c);
		return;
	}
	switch (o) {
	case NBD_OPT_EXPORT_NAME:
		opt_export_name(c);
		return;
	case NBD_OPT_GO:
	case NBD_OPT_INFO:
		opt_info_go(c);
		return;
	case NBD_OPT_ABORT:
		opt_ack(c);
		conn_close(c, "client aborted", false);
		return;
	case NBD_OPT_LIST:
		opt_list(c);
		break;
	case NBD_OPT_STARTTLS:
		if (!c->srv->tls)
			opt_error(c, NBD_REP_ERR_UNSUP, "TLS is off on this server");
		else if (c->tls)
			opt_error(c, NBD_REP_ERR_INVALID, "TLS is already on");
		else if (c->opt.length)
			opt_error(c, NBD_REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
		else {
			opt_ack(c);
			c->starttls = true;	/* once the ACK is out */
			c->state = CS_TLS;
			return;
		}
		break;
	case NBD_OPT_STRUCTURED_REPLY:
		if (c->opt.length)
			opt_error(c, NBD_REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
		else {
			c->structured = true;
			opt_ack(c);
		}
		break;
	case NBD_OPT_LIST_META_CONTEXT:
	case NBD_OPT_SET_META_CONTEXT:
		opt_meta(c);
		break;
	default:
		opt_error(c, NBD_REP_ERR_UNSUP, "option %u is not supported", o);
		break;
	}
	next_option(c);
}

/** conn_retry_parked() - see server.h. */
void conn_retry_parked(struct conn *c)
{
	c->in_io++;
	handle_option(c);
	c->in_io--;
	conn_pump(c);
	conn_finish(c);
}

/* ---- transmission ----------------------------------------------------------- */

/** job_run() - on a worker: carry the request out. */
static void job_run(struct iopool_job *pj)
{
	struct job *j = (struct job *)pj;
	struct backend *b = j->c->be;
	const struct nbd_request *r = &j->req;
	bool fua = r->flags & NBD_CMD_FLAG_FUA;

	switch (r->type) {
	case NBD_CMD_READ:
		j->rc = backend_read(b, j->buf, r->length, r->offset);
		break;
	case NBD_CMD_WRITE:
		j->rc = backend_write(b, j->buf, r->length, r->offset, fua);
		break;
	case NBD_CMD_FLUSH:
		j->rc = backend_flush(b);
		break;
	case NBD_CMD_TRIM:
		j->rc = backend_trim(b, r->offset, r->length);
		if (j->rc == 0 && fua)
			j->rc = backend_flush(b);
		break;
	case NBD_CMD_WRITE_ZEROES:
		j->rc = backend_zero(b, r->offset, r->length, r->flags & NBD_CMD_FLAG_NO_HOLE,
				     r->flags & NBD_CMD_FLAG_FAST_ZERO, fua);
		break;
	case NBD_CMD_BLOCK_STATUS:
		j->next = backend_extents(b, r->offset, r->length, j->ext,
					  (r->flags & NBD_CMD_FLAG_REQ_ONE) ? 1 : EXTENTS_MAX);
		j->rc = j->next < 0 ? j->next : 0;
		break;
	default:
		j->rc = -EINVAL;
		break;
	}
}

/** reply_error() - queue an error reply for @r (simple or structured). */
static void reply_error(struct conn *c, const struct nbd_request *r, uint32_t error,
			const char *msg)
{
	uint8_t buf[OPT_REPLY_MAX];
	ssize_t n;

	if (c->structured && (r->type == NBD_CMD_READ || r->type == NBD_CMD_BLOCK_STATUS))
		n = nbd_encode_chunk_error(buf, sizeof(buf), NBD_REPLY_FLAG_DONE, r->cookie,
					   error, msg);
	else
		n = nbd_encode_simple_reply(buf, sizeof(buf), error, r->cookie);
	if (n > 0)
		queue_bytes(c, buf, (size_t)n);
}

/**
 * read_header() - the header of a successful READ reply of @r into @hdr
 * (OUT_HDR_MAX bytes).  Return: its length, or -errno.
 */
static ssize_t read_header(const struct conn *c, const struct nbd_request *r, uint8_t *hdr)
{
	if (c->structured)
		return nbd_encode_chunk_data_header(hdr, OUT_HDR_MAX, NBD_REPLY_FLAG_DONE,
						    r->cookie, r->offset, r->length);
	return nbd_encode_simple_reply(hdr, OUT_HDR_MAX, 0, r->cookie);
}

/**
 * reply_from_base() - answer the READ in c->req with bytes sent straight
 * from the base file (sendfile), when they read as the base now and the
 * connection is not TLS.  Return: whether it was answered.
 */
static bool reply_from_base(struct conn *c)
{
	const struct nbd_request *r = &c->req;
	uint8_t hdr[OUT_HDR_MAX];
	struct outbuf *ob;
	ssize_t n;

	if (c->tls || r->length < SENDFILE_MIN ||
	    !backend_base_range(c->be, r->offset, r->length))
		return false;
	n = read_header(c, r, hdr);
	if (n < 0)
		return false;
	ob = out_new(hdr, (size_t)n, NULL, r->length);
	ob->fd = c->be->base_fd;
	ob->foff = r->offset;
	queue(c, ob, false);
	c->bytes_read += r->length;
	return true;
}

/** reply_ok() - queue the reply to a request that succeeded. */
static void reply_ok(struct conn *c, struct job *j)
{
	uint8_t hdr[OUT_HDR_MAX];
	const struct nbd_request *r = &j->req;
	size_t cap;
	ssize_t n;
	uint8_t *bs;

	switch (r->type) {
	case NBD_CMD_READ:
		n = read_header(c, r, hdr);
		if (n < 0)
			break;
		/* The data buffer moves to the output queue, still held. */
		queue(c, out_new(hdr, (size_t)n, j->buf, r->length), true);
		j->buf = NULL;
		j->held = 0;
		c->bytes_read += r->length;
		return;
	case NBD_CMD_BLOCK_STATUS:
		cap = NBD_CHUNK_HEADER_LEN + 4 + (size_t)j->next * NBD_EXTENT_LEN;
		bs = xmalloc(cap);
		n = nbd_encode_chunk_block_status(bs, cap, NBD_REPLY_FLAG_DONE, r->cookie,
						  META_ID_BASE_ALLOCATION, j->ext,
						  (size_t)j->next);
		if (n > 0)
			queue(c, out_new(NULL, 0, bs, (size_t)n), false);
		else
			free(bs);
		return;
	case NBD_CMD_WRITE:
		c->bytes_written += r->length;
		break;
	default:
		break;
	}
	n = nbd_encode_simple_reply(hdr, sizeof(hdr), 0, r->cookie);
	if (n > 0)
		queue_bytes(c, hdr, (size_t)n);
}

/** job_done() - on the loop thread: reply, then let @c go on. */
static void job_done(struct iopool_job *pj)
{
	struct job *j = (struct job *)pj;
	struct conn *c = j->c;
	char msg[NBD_MSG_LEN];

	c->inflight--;
	if (c->state != CS_CLOSING || !c->kicked) {
		if (j->rc == 0) {
			reply_ok(c, j);
		} else {
			snprintf(msg, sizeof(msg), "%s", strerror(-j->rc));
			reply_error(c, &j->req, nbd_errno(j->rc), msg);
			if (j->rc != -ENOTSUP)	/* FAST_ZERO declined: an answer */
				log_event(EV_NBD_IO_ERROR,
					  "{s:I, s:s, s:s, s:i, s:I, s:i, s:s}",
					  "session", (json_int_t)c->id, "client", c->client,
					  "export", c->export_pub, "command", j->req.type,
					  "offset", (json_int_t)j->req.offset, "length",
					  (int)j->req.length, "error", strerror(-j->rc));
		}
	}
	if (j->held)
		unhold(c, j->held);
	free(j->buf);
	free(j->ext);
	free(j);
	conn_pump(c);
	conn_finish(c);
}

/** submit() - send the request in c->req (payload @buf, @held bytes) to the workers. */
static void submit(struct conn *c, uint8_t *buf, size_t held)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->base.run = job_run;
	j->base.done = job_done;
	j->c = c;
	j->req = c->req;
	j->buf = buf;
	j->held = held;
	if (c->req.type == NBD_CMD_BLOCK_STATUS)
		j->ext = xcalloc(EXTENTS_MAX, sizeof(*j->ext));
	c->inflight++;
	iopool_submit(c->srv->pool, &j->base);
}

/** handle_request() - a request header is in c->hdr. */
static void handle_request(struct conn *c)
{
	struct nbd_export_caps caps;
	char msg[NBD_MSG_LEN];
	uint32_t error;
	uint8_t *buf;
	int rc;

	if (nbd_parse_request(c->hdr, NBD_REQUEST_LEN, &c->req, msg) < 0) {
		protocol_error(c, msg);
		return;
	}
	c->requests++;
	c->last_ns = monotonic_ns();
	if (c->req.type == NBD_CMD_DISC) {
		c->disc = true;
		conn_close(c, "client disconnected", false);
		return;
	}
	caps.size = c->be->size;
	caps.tflags = c->tflags;
	caps.structured = c->structured;
	caps.meta_context = c->meta_alloc;
	rc = nbd_check_request(&c->req, &caps, &error, msg);
	if (rc == -EPROTO) {
		protocol_error(c, msg);
		return;
	}
	if (rc < 0) {
		reply_error(c, &c->req, error, msg);
		if (nbd_request_payload(&c->req)) {
			c->discard = nbd_request_payload(&c->req);
			c->state = CS_REQ_DISCARD;
			return;
		}
		expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
		return;
	}
	switch (c->req.type) {
	case NBD_CMD_WRITE:
		if (c->req.length == 0)
			break;
		c->payload = xmalloc(c->req.length);
		hold(c, c->req.length);
		c->state = CS_REQ_DATA;
		c->need = c->req.length;
		c->got = 0;
		return;
	case NBD_CMD_READ:
		expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
		if (reply_from_base(c))
			return;
		buf = c->req.length ? xmalloc(c->req.length) : NULL;
		hold(c, c->req.length);
		/* What the page cache holds is answered here, without a
		 * trip through a worker thread. */
		if (c->req.length <= INLINE_READ_MAX &&
		    backend_read_cached(c->be, buf, c->req.length, c->req.offset) == 0) {
			struct job j = { .c = c, .req = c->req, .buf = buf };

			reply_ok(c, &j);
			return;
		}
		submit(c, buf, c->req.length);
		return;
	default:
		break;
	}
	submit(c, NULL, 0);
	expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
}

/* ---- input ------------------------------------------------------------------ */

/**
 * may_read() - whether @c may take more input now (flow control).  A
 * connection with nothing in flight may always read one more request.
 */
static bool may_read(const struct conn *c)
{
	switch (c->state) {
	case CS_CLOSING:
	case CS_PARKED:
		return false;
	case CS_TLS:
		return !c->starttls;	/* wait for the ACK to leave first */
	case CS_REQ_HDR:
		if (c->inflight == 0 && !c->out_head)
			return true;
		return c->inflight < CONN_INFLIGHT_MAX && c->held < CONN_BUFFER_MAX &&
		       c->srv->held < SERVER_BUFFER_MAX;
	default:
		/* Option replies must be read before more options come. */
		return in_handshake(c) ? c->out_bytes < CONN_BUFFER_MAX : true;
	}
}

/** xrecv() - receive up to @len bytes.  Bytes, 0 at EOF, -EAGAIN or -errno. */
static ssize_t xrecv(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	if (c->tls)
		return nbd_tls_recv(c->tls, buf, len);
	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

/**
 * recv_some() - up to @len bytes for the current item: from what an
 * earlier recv() read ahead, else from the socket.  Small items (headers)
 * are read through a read-ahead buffer, so pipelined requests cost one
 * recv() for many; payloads as large as the buffer go straight to their
 * place.  Return: bytes, 0 at EOF, -EAGAIN or -errno.
 */
static ssize_t recv_some(struct conn *c, void *dst, size_t len)
{
	size_t avail = c->rx_len - c->rx_off;
	ssize_t n;

	if (avail == 0 && len < RX_BUF) {
		if (!c->rx)
			c->rx = xmalloc(RX_BUF);
		n = xrecv(c, c->rx, RX_BUF);
		if (n <= 0)
			return n;
		c->rx_off = 0;
		c->rx_len = (size_t)n;
		avail = (size_t)n;
	}
	if (avail == 0)
		return xrecv(c, dst, len);
	if (len > avail)
		len = avail;
	memcpy(dst, c->rx + c->rx_off, len);
	c->rx_off += len;
	if (c->rx_off == c->rx_len)
		c->rx_off = c->rx_len = 0;
	return (ssize_t)len;
}

/** item_done() - the bytes of the current state are all in: act on them. */
static void item_done(struct conn *c)
{
	char msg[NBD_MSG_LEN];
	int rc;

	switch (c->state) {
	case CS_CFLAGS:
		if (nbd_parse_client_flags(c->hdr, NBD_CLIENT_FLAGS_LEN, GREETING_FLAGS,
					   &c->cflags, msg) < 0) {
			protocol_error(c, msg);
			return;
		}
		next_option(c);
		return;
	case CS_OPT_HDR:
		rc = nbd_parse_option_header(c->hdr, NBD_OPTION_HEADER_LEN, &c->opt, msg);
		if (rc == -E2BIG) {
			if (c->opt.length > OPTION_DISCARD_MAX) {
				protocol_error(c, msg);
				return;
			}
			c->discard = c->opt.length;
			c->state = CS_OPT_DISCARD;
			return;
		}
		if (rc < 0) {
			protocol_error(c, msg);
			return;
		}
		if (c->opt.length == 0) {
			handle_option(c);
			return;
		}
		c->payload = xmalloc(c->opt.length);
		c->state = CS_OPT_DATA;
		c->need = c->opt.length;
		c->got = 0;
		return;
	case CS_OPT_DATA:
		handle_option(c);
		return;
	case CS_REQ_HDR:
		handle_request(c);
		return;
	case CS_REQ_DATA:
		submit(c, c->payload, c->req.length);
		c->payload = NULL;
		expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
		return;
	default:
		return;
	}
}

/** discard_done() - an over-long option or a refused write was skipped. */
static void discard_done(struct conn *c)
{
	if (c->state == CS_OPT_DISCARD) {
		opt_error(c, NBD_REP_ERR_TOO_BIG, "option %u: %u bytes of data is over the "
			  "limit of %u", c->opt.option, c->opt.length, NBD_MAX_OPTION_LEN);
		next_option(c);
	} else {
		expect(c, CS_REQ_HDR, NBD_REQUEST_LEN);
	}
}

/**
 * conn_input() - read and handle what the socket (and GnuTLS) holds, as far
 * as flow control allows.
 */
static void conn_input(struct conn *c)
{
	uint8_t *dst;
	size_t want;
	ssize_t n;

	c->in_io++;
	while (may_read(c)) {
		if (c->state == CS_TLS) {
			tls_step(c);
			if (c->state == CS_TLS)
				break;	/* wants more bytes */
			continue;
		}
		if (c->state == CS_OPT_DISCARD || c->state == CS_REQ_DISCARD) {
			want = c->discard < DISCARD_CHUNK ? (size_t)c->discard : DISCARD_CHUNK;
			dst = discard_buf;
		} else {
			want = c->need - c->got;
			dst = (c->state == CS_OPT_DATA || c->state == CS_REQ_DATA ? c->payload
								       : c->hdr) + c->got;
		}
		if (want == 0) {
			n = 0;
		} else {
			n = recv_some(c, dst, want);
			if (n == -EAGAIN)
				break;
			if (n == 0) {
				conn_close(c, c->disc ? "client disconnected" :
					   "peer closed the connection", true);
				break;
			}
			if (n < 0) {
				conn_close(c, "receive failed", true);
				break;
			}
		}
		if (c->state == CS_OPT_DISCARD || c->state == CS_REQ_DISCARD) {
			c->discard -= (uint64_t)n;
			if (c->discard == 0)
				discard_done(c);
			continue;
		}
		c->got += (size_t)n;
		if (c->got == c->need)
			item_done(c);
	}
	c->in_io--;
}

/** conn_update() - set the epoll interest from @c's state. */
static void conn_update(struct conn *c)
{
	uint32_t ev = 0;

	if (c->fd < 0)
		return;
	if (c->starttls && !c->out_head) {
		c->starttls = false;
		start_tls(c);
	}
	if (c->state == CS_TLS && c->tls && nbd_tls_want_write(c->tls))
		ev |= EPOLLOUT;
	else if (may_read(c))
		ev |= EPOLLIN;
	if (c->out_head)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		evloop_mod(c->srv->loop, c->fd, ev);
		c->events = ev;
	}
}

/**
 * conn_pump() - after anything happened to @c: read and handle what input
 * flow control allows, send what the socket takes (replies answered on the
 * loop included), and set the epoll interest to match.  Every path that
 * may queue a reply or make room for input ends here, so no reply waits
 * with output unarmed.  (Read-ahead and GnuTLS may hold bytes epoll never
 * reports: conn_input() stops only at EAGAIN, a flow-control stop or a
 * close.)
 */
static void conn_pump(struct conn *c)
{
	conn_update(c);
	conn_input(c);
	c->in_io++;
	flush_out(c);
	c->in_io--;
	conn_update(c);
}

/** conn_io() - the socket is ready. */
static void conn_io(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)loop;
	(void)fd;
	c->in_io++;
	if (events & EPOLLOUT)
		flush_out(c);
	if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN))
		conn_close(c, "connection reset", true);
	c->in_io--;
	conn_pump(c);
	conn_finish(c);
}

/* ---- life cycle ------------------------------------------------------------- */

/** addr_string() - "ip:port" of @sa. */
static void addr_string(const struct sockaddr *sa, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		port = ntohs(in->sin_port);
		snprintf(out, outlen, "%s:%u", ip, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		port = ntohs(in6->sin6_port);
		snprintf(out, outlen, "[%s]:%u", ip, port);
	} else {
		snprintf(out, outlen, "?");
	}
}

/** set_keepalive() - TCP keepalive, so a powered-off client's socket dies. */
static void set_keepalive(int fd)
{
	int on = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTVL_S, cnt = KEEPALIVE_COUNT;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/** conn_new() - see server.h. */
void conn_new(struct server *srv, int fd, const struct sockaddr *sa, socklen_t salen)
{
	uint8_t greet[NBD_HANDSHAKE_LEN];
	struct conn *c = xcalloc(1, sizeof(*c));
	ssize_t n;

	(void)salen;
	c->srv = srv;
	c->fd = fd;
	c->id = ++srv->next_id;
	addr_string(sa, c->addr, sizeof(c->addr));
	now_rfc3339(c->since);
	c->last_ns = monotonic_ns();
	c->deadline_ns = c->last_ns + (uint64_t)srv->cfg->nbd_handshake_timeout * 1000000000ull;
	set_keepalive(fd);
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	if (evloop_add(srv->loop, fd, EPOLLIN, conn_io, c) < 0) {
		conn_close(c, "cannot watch the socket", true);
		conn_finish(c);
		return;
	}
	c->events = EPOLLIN;
	log_event(EV_NBD_CONNECT, "{s:I, s:s}", "session", (json_int_t)c->id, "address", c->addr);
	n = nbd_encode_handshake(greet, sizeof(greet), GREETING_FLAGS);
	if (n > 0)
		queue_bytes(c, greet, (size_t)n);
	expect(c, CS_CFLAGS, NBD_CLIENT_FLAGS_LEN);
	c->in_io++;
	flush_out(c);
	c->in_io--;
	conn_update(c);
	conn_finish(c);
}

/** conn_close() - see server.h. */
void conn_close(struct conn *c, const char *reason, bool now)
{
	if (!c->close_reason)
		c->close_reason = reason;
	if (c->state == CS_PARKED || in_handshake(c)) {
		free(c->payload);
		c->payload = NULL;
	}
	if (c->state == CS_REQ_DATA) {
		unhold(c, c->req.length);
		free(c->payload);
		c->payload = NULL;
	}
	c->state = CS_CLOSING;
	c->starttls = false;
	if (now) {
		while (c->out_head)
			out_pop(c);
		c->out_bytes = 0;
		if (c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);
	}
}

/** conn_free() - the last of @c: event line, socket, memory. */
static void conn_free(struct conn *c)
{
	struct server *srv = c->srv;

	log_event(EV_NBD_DISCONNECT, "{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
		  "session", (json_int_t)c->id, "address", c->addr, "client", c->client,
		  "export", c->export_pub, "reason", c->close_reason ? c->close_reason : "",
		  "bytes_read", (json_int_t)c->bytes_read,
		  "bytes_written", (json_int_t)c->bytes_written,
		  "requests", (json_int_t)c->requests);
	while (c->out_head)
		out_pop(c);
	if (c->tls) {
		nbd_tls_session_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0) {
		evloop_del(srv->loop, c->fd);
		close(c->fd);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c->payload);
	free(c->meta_export);
	free(c->rx);
	free(c);
	if (srv->stopping && srv->nconns == 0)
		evloop_stop(srv->loop);
}

/** conn_finish() - free @c if it is closing and nothing of it is left. */
static void conn_finish(struct conn *c)
{
	if (c->in_io || c->state != CS_CLOSING || c->inflight || c->releasing)
		return;
	if (c->out_head) {
		/* Orderly close: the last replies go out first. */
		flush_out(c);
		if (c->out_head && c->state == CS_CLOSING) {
			conn_update(c);
			return;
		}
	}
	if (c->tls)
		nbd_tls_bye(c->tls);
	if (c->be) {
		resolve_release(c);	/* may keep @c until its backend is closed */
		if (c->releasing) {
			if (c->fd >= 0) {
				evloop_del(c->srv->loop, c->fd);
				shutdown(c->fd, SHUT_RDWR);
			}
			return;
		}
	}
	conn_free(c);
}

/** conn_kick() - see server.h. */
void conn_kick(struct conn *c, const char *reason)
{
	conn_close(c, reason, true);
	conn_finish(c);
}

/** conn_released() - the backend close job for @c is over: free @c. */
void conn_released(struct conn *c)
{
	c->releasing = false;
	c->be = NULL;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	conn_free(c);
}
