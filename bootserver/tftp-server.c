/* lanroot-bootd's TFTP server (see tftp-server.h). */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addr.h"
#include "bootd.h"
#include "clientmap.h"
#include "conf.h"
#include "events.h"
#include "evloop.h"
#include "log.h"
#include "tftp-proto.h"
#include "tftp-server.h"
#include "tftp-xfer.h"
#include "util.h"
#include "vfs.h"

/** Period of the retransmission / reclaim tick (ms). */
#define TICK_MS			100
/** The tick's delay while there is no transfer (the loop cannot disarm). */
#define TICK_IDLE_MS		(24U * 3600U * 1000U)
/** Packets queued for one sendmmsg() on the data socket at most. */
#define OUT_MAX			256
/** Bytes of queued packets at most (copies: a read-ahead may be refilled
 * before the queue is sent). */
#define OUT_BUF_LEN		(1U << 20)
/** Packets read from the data socket per wakeup (recvmmsg). */
#define DATA_RX_BATCH		64
/** Send and receive buffers of the data socket (every transfer uses it). */
#define DATA_SOCKBUF		(8 << 20)
/** Read-ahead of one transfer: a lock-step transfer reads its file once
 * per 44 blocks of 1468 bytes instead of once per block.  At most
 * max_transfers of these exist (32 MiB for the default 512). */
#define READAHEAD_LEN		(64U << 10)
/** Requests read from the request socket per wakeup (recvmmsg). */
#define RX_BATCH		32
/** Receive buffer per request: larger than any valid request. */
#define RX_LEN			(TFTP_MAX_REQUEST_LEN + 64)
/** A packet from a client on the data socket (ACK or ERROR). */
#define XFER_RX_LEN		(TFTP_HEADER_LEN + TFTP_MAX_ERROR_MSG_LEN + 64)
/** ERROR packets we build: header + message + NUL. */
#define ERROR_PKT_LEN		(TFTP_HEADER_LEN + TFTP_MAX_ERROR_MSG_LEN + 1)
/** Buckets of the client-address hash (a power of two). */
#define IP_BUCKETS		1024
/** Buckets of the client address + port hash (a power of two). */
#define TID_BUCKETS		1024
/** Request socket receive buffer (bursts of RRQs from a lab booting). */
#define REQUEST_RCVBUF		(8 << 20)
/** File descriptors a transfer holds: the file. */
#define FDS_PER_TRANSFER	1
/** File descriptors kept for everything but transfers. */
#define NOFILE_RESERVE		1024
/** IPv4 + UDP headers, subtracted from the path MTU for blksize. */
#define IPV4_UDP_HEADERS	28
#define NS_PER_SEC		1000000000LL
#define MS_PER_SEC		1000U
#define ERR_TEXT_LEN		256
#define CMSG_SPACE_PKTINFO	CMSG_SPACE(sizeof(struct in_pktinfo))

/* Why a request was refused or a transfer failed: the "error" field of
 * tftp.error events and the keys of status "refused". */
#define WHY_BUSY		"busy"
#define WHY_NOT_FOUND		"not_found"
#define WHY_ACCESS		"access"
#define WHY_ILLEGAL		"illegal"
#define WHY_OPTION		"option"
#define WHY_READ_ONLY		"read_only"
#define WHY_NETASCII		"netascii_too_large"
#define WHY_IO			"io"
#define WHY_TIMEOUT		"timeout"
#define WHY_CLIENT		"client"
#define WHY_STOP		"server_stop"

/** Refusal counters (indices of struct tftp_server.refused). */
enum refusal {
	REF_BUSY,
	REF_NOT_FOUND,
	REF_ACCESS,
	REF_ILLEGAL,
	REF_READ_ONLY,
	REF_OTHER,
	REF_COUNT,
};

static const char *const refusal_names[REF_COUNT] = {
	[REF_BUSY] = WHY_BUSY,
	[REF_NOT_FOUND] = WHY_NOT_FOUND,
	[REF_ACCESS] = WHY_ACCESS,
	[REF_ILLEGAL] = WHY_ILLEGAL,
	[REF_READ_ONLY] = WHY_READ_ONLY,
	[REF_OTHER] = "other",
};

/** One read transfer. */
struct tftp_transfer {
	struct tftp_transfer *prev, *next;	/* server's list of transfers */
	struct tftp_transfer *ip_prev, *ip_next; /* same by_ip bucket */
	struct tftp_transfer *tid_prev, *tid_next; /* same by_tid bucket */
	struct tftp_server *srv;		/* owner */
	bool waiting;				/* window blocked: the data
						   socket is full */
	uint32_t peer_ip;			/* client address (host order) */
	uint16_t peer_port;			/* client port (host order) */
	uint32_t local_ip;			/* our address it talks to */
	struct vfs_file vf;			/* what is sent */
	const uint8_t *mem;			/* data in memory, else read vf.fd */
	uint8_t *ascii;				/* netascii copy (owned) or NULL */
	uint8_t *ra;				/* READAHEAD_LEN bytes, made at first use */
	uint64_t ra_off;			/* file offset of ra[0] */
	size_t ra_len;				/* valid bytes in ra */
	struct tftp_xfer x;			/* window state */
	uint8_t oack[TFTP_MAX_OACK_LEN];	/* the OACK, if any */
	size_t oack_len;			/* its length, 0 = none */
	int64_t start_ns;			/* monotonic start time */
	char name[TFTP_MAX_FILENAME_LEN + 1];	/* file name as requested */
	char mac[MAC_STR_LEN];			/* client MAC, or "" */
	char ip[IPV4_STR_LEN];			/* client address as text */
};

/** The server. */
struct tftp_server {
	struct bootd *bd;			/* config, loop, bootcfg, clients */
	int sock;				/* request socket, -1 after stop */
	char *listen;				/* what @sock is bound to */
	uint32_t port;
	uint32_t listen_ip;			/* parsed @listen, 0 = any */
	struct ev_timer *tick;			/* retransmission tick */
	bool ticking;				/* @tick armed */
	struct tftp_transfer *head;		/* transfers, newest first */
	struct tftp_transfer *by_ip[IP_BUCKETS]; /* transfers by client */
	struct tftp_transfer *by_tid[TID_BUCKETS]; /* by client address+port */
	int dsock;				/* data socket of every transfer */
	bool dsock_any;				/* bound to INADDR_ANY: IP_PKTINFO
						   chooses each reply's source */
	bool dsock_out;				/* EPOLLOUT watched on @dsock */
	unsigned waiting;			/* transfers with waiting set */
	int mtu_sock;				/* connect()ed to ask IP_MTU */
	uint32_t active;			/* transfers now */
	uint64_t started, finished, failed;	/* transfers so far */
	uint64_t bytes;				/* bytes of finished transfers */
	uint64_t refused[REF_COUNT];		/* refused requests by reason */
	int64_t ev_window_ns;			/* start of the refusal-event second */
	unsigned ev_count;			/* refusal events in it */
	uint64_t ev_dropped;			/* refusal events not logged */

	/* shared by all transfers (one thread) */
	uint8_t *out;				/* OUT_BUF_LEN: queued packets */
	size_t out_used;			/* bytes of @out in use */
	unsigned out_head, out_n;		/* first unsent, queued messages */
	struct iovec out_iov[OUT_MAX];
	struct sockaddr_in out_peer[OUT_MAX];
	uint8_t out_ctl[OUT_MAX][CMSG_SPACE_PKTINFO];
	struct mmsghdr out_msgs[OUT_MAX];
	uint8_t drx[DATA_RX_BATCH][XFER_RX_LEN];
	struct sockaddr_in drx_peer[DATA_RX_BATCH];
	struct iovec drx_iov[DATA_RX_BATCH];
	struct mmsghdr drx_msgs[DATA_RX_BATCH];
	uint8_t rx[RX_BATCH][RX_LEN];
	struct sockaddr_in rx_peer[RX_BATCH];
	uint8_t rx_ctl[RX_BATCH][CMSG_SPACE_PKTINFO];
	struct iovec rx_iov[RX_BATCH];
	struct mmsghdr rx_msgs[RX_BATCH];
};

/* ---- small helpers ------------------------------------------------------ */

/**
 * ip_bucket() - hash bucket of a client address.
 * @ip: host order
 * Return: 0 .. IP_BUCKETS - 1.
 */
static unsigned ip_bucket(uint32_t ip)
{
	return (ip * 2654435761U) >> 22 & (IP_BUCKETS - 1);
}

/**
 * transfers_of() - how many transfers @ip has now, and whether one of them
 * is with @port.
 * @s: the server
 * @ip: client address, host order
 * @port: client port, host order
 * @same_port: output, true if a transfer with @ip:@port exists
 * Return: the count.
 */
static unsigned transfers_of(struct tftp_server *s, uint32_t ip, uint16_t port,
			     bool *same_port)
{
	struct tftp_transfer *t;
	unsigned n = 0;

	*same_port = false;
	for (t = s->by_ip[ip_bucket(ip)]; t; t = t->ip_next) {
		if (t->peer_ip != ip)
			continue;
		n++;
		if (t->peer_port == port)
			*same_port = true;
	}
	return n;
}

/**
 * tid_bucket() - hash bucket of a client address and port (its TID).
 * @ip: host order
 * @port: host order
 * Return: 0 .. TID_BUCKETS - 1.
 */
static unsigned tid_bucket(uint32_t ip, uint16_t port)
{
	return ((ip ^ (uint32_t)port << 16 ^ port) * 2654435761U) >> 20 & (TID_BUCKETS - 1);
}

/**
 * find_transfer() - the transfer with client @ip:@port.
 * @s: the server
 * @ip: host order
 * @port: host order
 * Return: the transfer, or NULL.
 */
static struct tftp_transfer *find_transfer(struct tftp_server *s, uint32_t ip,
					   uint16_t port)
{
	struct tftp_transfer *t;

	for (t = s->by_tid[tid_bucket(ip, port)]; t; t = t->tid_next)
		if (t->peer_ip == ip && t->peer_port == port)
			return t;
	return NULL;
}

/**
 * mac_of() - the client's MAC from the client map, or "".
 * @s: the server
 * @ip: client address, host order
 * @mac: output
 */
static void mac_of(struct tftp_server *s, uint32_t ip, char mac[MAC_STR_LEN])
{
	mac[0] = '\0';
	/* a loopback peer is this host: no neighbour entry to look for */
	if ((ip >> IN_CLASSA_NSHIFT) == IN_LOOPBACKNET || !s->bd->clients ||
	    clientmap_mac_for_ip(s->bd->clients, ip, mac) < 0)
		mac[0] = '\0';
}

/**
 * elapsed_s() - seconds since @start_ns.
 * @start_ns: monotonic time
 * Return: seconds, with fractions.
 */
static double elapsed_s(int64_t start_ns)
{
	return (double)(monotonic_ns() - start_ns) / (double)NS_PER_SEC;
}

/**
 * raise_nofile() - raise the soft RLIMIT_NOFILE (up to the hard limit) so
 * @transfers transfers (a file each) fit beside everything else.
 * Failure is not fatal: a transfer whose file cannot be opened is refused.
 * @transfers: [tftp] max_transfers
 */
static void raise_nofile(uint32_t transfers)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)transfers * FDS_PER_TRANSFER + NOFILE_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
		      want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("tftp: cannot raise the open file limit to %llu: %s",
			 (unsigned long long)rl.rlim_cur, strerror(errno));
}

/**
 * tick_arm() - run the tick while there are transfers, stop it when not.
 * @s: the server
 */
static void tick_arm(struct tftp_server *s)
{
	bool want = s->active > 0;

	if (want == s->ticking || !s->tick)
		return;
	if (evloop_timer_set(s->tick, want ? TICK_MS : TICK_IDLE_MS, want ? TICK_MS : 0) == 0)
		s->ticking = want;
}

/* ---- the data socket's send queue --------------------------------------- */

/**
 * data_watch_out() - watch (or stop watching) the data socket for room.
 * @s: the server
 * @on: whether to wait for EPOLLOUT
 */
static void data_watch_out(struct tftp_server *s, bool on)
{
	if (s->dsock_out == on || s->dsock < 0)
		return;
	if (evloop_mod(s->bd->loop, s->dsock, on ? EPOLLIN | EPOLLOUT : EPOLLIN) == 0)
		s->dsock_out = on;
}

/**
 * out_flush() - send the queued packets with sendmmsg().  A full socket
 * keeps the rest queued and watches for EPOLLOUT; a packet the kernel
 * refuses for another reason is dropped (the transfer's timeout resends).
 * @s: the server
 * Return: true if the queue is empty now.
 */
static bool out_flush(struct tftp_server *s)
{
	const struct sockaddr_in *peer;
	int n;

	while (s->out_head < s->out_n) {
		n = sendmmsg(s->dsock, &s->out_msgs[s->out_head], s->out_n - s->out_head,
			     MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
				data_watch_out(s, true);
				return false;
			}
			peer = &s->out_peer[s->out_head];
			log_debug("tftp: cannot send to %s:%u: %s", inet_ntoa(peer->sin_addr),
				  ntohs(peer->sin_port), strerror(errno));
			n = 1;
		}
		s->out_head += (unsigned)n;
	}
	s->out_head = s->out_n = 0;
	s->out_used = 0;
	return true;
}

/**
 * out_reserve() - room for a packet of @len bytes in the send queue,
 * flushing it first if it is full.
 * @s: the server
 * @len: the packet's length (<= OUT_BUF_LEN)
 * Return: where to write the packet, or NULL if the socket is full (the
 * caller waits for EPOLLOUT).  out_commit() queues it.
 */
static uint8_t *out_reserve(struct tftp_server *s, size_t len)
{
	if ((s->out_n >= OUT_MAX || s->out_used + len > OUT_BUF_LEN) && !out_flush(s))
		return NULL;
	return s->out + s->out_used;
}

/**
 * out_commit() - queue the packet written at out_reserve()'s pointer.
 * @t: the transfer it is for (its client, its local address)
 * @len: the packet's length
 */
static void out_commit(struct tftp_transfer *t, size_t len)
{
	struct tftp_server *s = t->srv;
	unsigned i = s->out_n++;
	struct msghdr *mh = &s->out_msgs[i].msg_hdr;
	struct in_pktinfo pi;
	struct cmsghdr *cm;

	s->out_iov[i].iov_base = s->out + s->out_used;
	s->out_iov[i].iov_len = len;
	s->out_used += len;
	memset(&s->out_peer[i], 0, sizeof(s->out_peer[i]));
	s->out_peer[i].sin_family = AF_INET;
	s->out_peer[i].sin_addr.s_addr = htonl(t->peer_ip);
	s->out_peer[i].sin_port = htons(t->peer_port);
	memset(&s->out_msgs[i], 0, sizeof(s->out_msgs[i]));
	mh->msg_name = &s->out_peer[i];
	mh->msg_namelen = sizeof(s->out_peer[i]);
	mh->msg_iov = &s->out_iov[i];
	mh->msg_iovlen = 1;
	if (s->dsock_any && t->local_ip) {
		/* the reply leaves from the address the request came to */
		memset(s->out_ctl[i], 0, sizeof(s->out_ctl[i]));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst.s_addr = htonl(t->local_ip);
		mh->msg_control = s->out_ctl[i];
		mh->msg_controllen = sizeof(s->out_ctl[i]);
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
}

/**
 * out_packet() - queue a copy of @len bytes of @pkt for @t's client.
 * @t: the transfer
 * @pkt: the packet
 * @len: its length
 * Return: 0, or -EAGAIN if the socket is full (the packet is dropped).
 */
static int out_packet(struct tftp_transfer *t, const void *pkt, size_t len)
{
	uint8_t *p = out_reserve(t->srv, len);

	if (!p)
		return -EAGAIN;
	memcpy(p, pkt, len);
	out_commit(t, len);
	return 0;
}

/* ---- refusals (from the request socket) --------------------------------- */

/**
 * refusal_event_ok() - whether one more refusal may be logged this second
 * (a flood of bad requests must not flood the log).
 * @s: the server
 * Return: true to log it.
 */
static bool refusal_event_ok(struct tftp_server *s)
{
	int64_t now = monotonic_ns();

	if (now - s->ev_window_ns >= NS_PER_SEC) {
		if (s->ev_dropped)
			log_warn("tftp: %llu more refused requests were not logged",
				 (unsigned long long)s->ev_dropped);
		s->ev_window_ns = now;
		s->ev_count = 0;
		s->ev_dropped = 0;
	}
	if (s->ev_count >= TFTP_REFUSAL_EVENTS_PER_SEC) {
		s->ev_dropped++;
		return false;
	}
	s->ev_count++;
	return true;
}

/**
 * send_error_from() - send an ERROR packet from the request socket, with
 * the address the request came to as source.
 * @s: the server
 * @peer: the client
 * @local_ip: our address (network order), 0 = let the kernel choose
 * @code: TFTP_ERR_*
 * @text: message for the client
 */
static void send_error_from(struct tftp_server *s, const struct sockaddr_in *peer,
			    uint32_t local_ip, uint16_t code, const char *text)
{
	uint8_t pkt[ERROR_PKT_LEN];
	uint8_t ctl[CMSG_SPACE_PKTINFO];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct in_pktinfo pi;
	ssize_t n;

	n = tftp_encode_error(pkt, sizeof(pkt), code, text);
	if (n < 0 || s->sock < 0)
		return;
	iov.iov_base = pkt;
	iov.iov_len = (size_t)n;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)peer;
	mh.msg_namelen = sizeof(*peer);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (local_ip) {
		memset(ctl, 0, sizeof(ctl));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst.s_addr = local_ip;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(s->sock, &mh, MSG_DONTWAIT) < 0)
		log_debug("tftp: cannot send an ERROR to %s: %s",
			  inet_ntoa(peer->sin_addr), strerror(errno));
}

/**
 * refuse() - answer a request with ERROR, count it and log a tftp.error.
 * @s: the server
 * @peer: the client
 * @local_ip: our address (network order)
 * @file: the file name asked for ("" if unknown)
 * @ref: counter to bump
 * @why: the event's "error"
 * @code: TFTP_ERR_* sent to the client
 * @text: message for the client and the log
 */
static void refuse(struct tftp_server *s, const struct sockaddr_in *peer,
		   uint32_t local_ip, const char *file, enum refusal ref,
		   const char *why, uint16_t code, const char *text)
{
	char ip[IPV4_STR_LEN], mac[MAC_STR_LEN];
	uint32_t pip = ntohl(peer->sin_addr.s_addr);

	s->refused[ref]++;
	send_error_from(s, peer, local_ip, code, text);
	if (!refusal_event_ok(s))
		return;
	mac_of(s, pip, mac);
	log_event(EV_TFTP_ERROR, "{s:s, s:s, s:s, s:s, s:s}", "mac", mac,
		  "ip", ipv4_str(pip, ip), "file", file, "error", why,
		  "message", text);
}

/* ---- transfers ---------------------------------------------------------- */

/**
 * transfer_free() - unlink, close and free a transfer (no event).
 * @t: the transfer
 */
static void transfer_free(struct tftp_transfer *t)
{
	struct tftp_server *s = t->srv;

	if (t->prev)
		t->prev->next = t->next;
	else
		s->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (t->ip_prev)
		t->ip_prev->ip_next = t->ip_next;
	else
		s->by_ip[ip_bucket(t->peer_ip)] = t->ip_next;
	if (t->ip_next)
		t->ip_next->ip_prev = t->ip_prev;
	if (t->tid_prev)
		t->tid_prev->tid_next = t->tid_next;
	else
		s->by_tid[tid_bucket(t->peer_ip, t->peer_port)] = t->tid_next;
	if (t->tid_next)
		t->tid_next->tid_prev = t->tid_prev;
	if (t->waiting)
		s->waiting--;
	s->active--;
	vfs_close(&t->vf);
	free(t->ascii);
	free(t->ra);
	free(t);
	tick_arm(s);
}

/**
 * transfer_fail() - end a transfer that did not complete: optionally tell
 * the client, log tftp.error, free it.
 * @t: the transfer
 * @code: TFTP_ERR_* to send, or -1 to send nothing
 * @why: the event's "error"
 * @fmt: message, printf-style
 */
static void transfer_fail(struct tftp_transfer *t, int code, const char *why,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void transfer_fail(struct tftp_transfer *t, int code, const char *why,
			  const char *fmt, ...)
{
	uint8_t pkt[ERROR_PKT_LEN];
	char text[ERR_TEXT_LEN];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (code >= 0) {
		n = tftp_encode_error(pkt, sizeof(pkt), (uint16_t)code, text);
		if (n > 0 && out_packet(t, pkt, (size_t)n) < 0)
			log_debug("tftp: cannot send an ERROR to %s: the socket is full", t->ip);
	}
	t->srv->failed++;
	log_event(EV_TFTP_ERROR, "{s:s, s:s, s:s, s:s, s:s}", "mac", t->mac,
		  "ip", t->ip, "file", t->name, "error", why, "message", text);
	transfer_free(t);
}

/**
 * transfer_done() - the last block is acknowledged: log tftp.finish, free.
 * @t: the transfer
 */
static void transfer_done(struct tftp_transfer *t)
{
	struct tftp_server *s = t->srv;

	s->finished++;
	s->bytes += t->x.size;
	log_event(EV_TFTP_FINISH, "{s:s, s:s, s:s, s:I, s:f, s:i, s:i}",
		  "mac", t->mac, "ip", t->ip, "file", t->name,
		  "bytes", (json_int_t)t->x.size, "seconds", elapsed_s(t->start_ns),
		  "blksize", (int)t->x.blksize, "windowsize", (int)t->x.windowsize);
	transfer_free(t);
}

/**
 * set_waiting() - mark @t as blocked on a full data socket, or not.
 * @t: the transfer
 * @on: blocked
 */
static void set_waiting(struct tftp_transfer *t, bool on)
{
	if (t->waiting == on)
		return;
	t->waiting = on;
	if (on)
		t->srv->waiting++;
	else
		t->srv->waiting--;
}

/**
 * file_data() - @len bytes of the file at @off from the transfer's
 * read-ahead (refilled from @off as needed).
 * @t: the transfer
 * @off: file offset
 * @len: bytes wanted (<= READAHEAD_LEN)
 * @rc: output on failure
 * Return: the bytes, or NULL with *@rc = -errno (-EIO: the file shrank;
 * -EINVAL: @len is too long).
 */
static const uint8_t *file_data(struct tftp_transfer *t, uint64_t off, size_t len, int *rc)
{
	uint64_t want;
	ssize_t got;

	if (len > READAHEAD_LEN) {
		*rc = -EINVAL;
		return NULL;
	}
	if (t->ra && off >= t->ra_off && off + len <= t->ra_off + t->ra_len)
		return t->ra + (off - t->ra_off);
	if (!t->ra)
		t->ra = xmalloc(READAHEAD_LEN);
	want = t->vf.size > off ? t->vf.size - off : 0;
	if (want > READAHEAD_LEN)
		want = READAHEAD_LEN;
	if (want < len)
		want = len;
	do
		got = pread(t->vf.fd, t->ra, want, (off_t)off);
	while (got < 0 && errno == EINTR);
	if (got < 0 || (size_t)got < len) {
		t->ra_len = 0;
		*rc = got < 0 ? -errno : -EIO;
		return NULL;
	}
	t->ra_off = off;
	t->ra_len = (size_t)got;
	return t->ra;
}

/**
 * send_window() - queue the blocks of the current window not sent yet
 * (copied into the send queue; the file is read a read-ahead at a time).
 * A full socket leaves the rest for EPOLLOUT.
 * @t: the transfer
 * Return: 0, or -errno (the transfer must end; -EIO: the file shrank).
 */
static int send_window(struct tftp_transfer *t)
{
	struct tftp_server *s = t->srv;
	struct tftp_xfer *x = &t->x;
	uint64_t count, max = READAHEAD_LEN / x->blksize, off, i;
	const uint8_t *data;
	uint8_t *p;
	size_t len, blen;
	int rc = -EIO;

	if (max < 1)
		max = 1;
	while (tftp_xfer_window_pending(x)) {
		count = x->win_end - x->next + 1;
		if (count > max)
			count = max;
		off = tftp_xfer_range(x, x->next, count, &len);
		if (t->mem) {
			data = t->mem + off;
		} else if (len) {
			data = file_data(t, off, len, &rc);
			if (!data)
				return rc;
		} else {
			data = NULL;
		}
		for (i = 0; i < count; i++) {
			blen = tftp_xfer_block_len(x, x->next);
			p = out_reserve(s, TFTP_HEADER_LEN + blen);
			if (!p) {
				set_waiting(t, true);
				return 0;
			}
			tftp_encode_data_header(p, TFTP_HEADER_LEN, tftp_block_wire(x->next));
			if (blen)
				memcpy(p + TFTP_HEADER_LEN, data + i * x->blksize, blen);
			out_commit(t, TFTP_HEADER_LEN + blen);
			tftp_xfer_sent(x, x->next);
		}
	}
	set_waiting(t, false);
	return 0;
}

/**
 * transfer_send() - send what the state machine asks for: the OACK or the
 * window (queued for the data socket); end the transfer on a file error.
 * @t: the transfer
 * Return: 0, or -1 if the transfer was freed.
 */
static int transfer_send(struct tftp_transfer *t)
{
	int rc;

	if (tftp_xfer_oack_pending(&t->x)) {
		out_packet(t, t->oack, t->oack_len);	/* if lost, resent on timeout */
		return 0;
	}
	rc = send_window(t);
	if (rc == 0)
		return 0;
	if (rc == -EIO)
		transfer_fail(t, TFTP_ERR_UNDEF, WHY_IO, "file '%s' changed while being sent", t->name);
	else
		transfer_fail(t, TFTP_ERR_UNDEF, WHY_IO, "cannot send '%s': %s", t->name, strerror(-rc));
	return -1;
}

/**
 * transfer_packet() - a packet from the transfer's client on the data socket.
 * @t: the transfer
 * @buf: the UDP payload
 * @len: its length
 * An ACK moves the transfer (duplicates do nothing); an ERROR ends it; any
 * other packet is an illegal operation that ends it too (RFC 1350 7).
 */
static void transfer_packet(struct tftp_transfer *t, const uint8_t *buf, size_t len)
{
	char msg[TFTP_MSG_LEN], text[TFTP_MAX_ERROR_MSG_LEN + 1];
	struct tftp_string str;
	uint16_t block, code;
	int op = tftp_opcode(buf, len);

	if (op == TFTP_OP_ACK) {
		if (tftp_parse_ack(buf, len, &block, msg) < 0)
			return;		/* a truncated ACK: as if lost */
		switch (tftp_xfer_ack(&t->x, block, monotonic_ns())) {
		case TFTP_XFER_SEND:
			transfer_send(t);
			break;
		case TFTP_XFER_DONE:
			transfer_done(t);
			break;
		default:
			break;
		}
		return;
	}
	if (op == TFTP_OP_ERROR) {
		if (tftp_parse_error(buf, len, &code, &str, msg) < 0) {
			transfer_fail(t, -1, WHY_CLIENT, "the client sent a malformed ERROR: %s", msg);
			return;
		}
		memcpy(text, str.ptr, str.len);
		text[str.len] = '\0';
		transfer_fail(t, -1, WHY_CLIENT, "the client ended the transfer: ERROR %u '%s'",
			      (unsigned)code, text);
		return;
	}
	transfer_fail(t, TFTP_ERR_ILLEGAL_OP, WHY_ILLEGAL,
		      "expected an ACK, got opcode %d (%zu bytes)", op, len);
}

/**
 * send_waiting() - the data socket has room again: send the queue, then
 * the windows of the transfers that were blocked.
 * @s: the server
 */
static void send_waiting(struct tftp_server *s)
{
	struct tftp_transfer *t, *next;

	if (!out_flush(s))
		return;
	for (t = s->head; t && s->waiting; t = next) {
		next = t->next;
		if (t->waiting && transfer_send(t) == 0 && t->waiting)
			break;		/* full again */
	}
	if (out_flush(s) && !s->waiting)
		data_watch_out(s, false);
}

/**
 * on_data() - the loop's callback for the data socket: read a batch of
 * packets with recvmmsg(), give each to its transfer (by the client's
 * address and port), then send what they queued with one sendmmsg().
 * @loop: the loop
 * @fd: the data socket
 * @events: EPOLL* bits
 * @arg: the server
 */
static void on_data(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct tftp_server *s = arg;
	struct tftp_transfer *t;
	struct msghdr *mh;
	int i, n, want;

	(void)loop;
	if (events & EPOLLOUT)
		send_waiting(s);
	if (!(events & (EPOLLIN | EPOLLERR)))
		return;
	/* usually one packet waits per transfer: asking for more costs the
	 * kernel one more (empty) look per call; the rest wake the loop again */
	want = s->active < DATA_RX_BATCH ? (int)s->active : DATA_RX_BATCH;
	if (want < 1)
		want = 1;
	for (i = 0; i < want; i++) {
		s->drx_iov[i].iov_base = s->drx[i];
		s->drx_iov[i].iov_len = XFER_RX_LEN;
		mh = &s->drx_msgs[i].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &s->drx_peer[i];
		mh->msg_namelen = sizeof(s->drx_peer[i]);
		mh->msg_iov = &s->drx_iov[i];
		mh->msg_iovlen = 1;
	}
	n = recvmmsg(fd, s->drx_msgs, (unsigned)want, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_debug("tftp: receive error on the data socket: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		mh = &s->drx_msgs[i].msg_hdr;
		if (mh->msg_namelen < sizeof(struct sockaddr_in) ||
		    s->drx_peer[i].sin_family != AF_INET)
			continue;
		/* a packet from no transfer's client (a stray or late one) is
		 * ignored: RFC 1350's ERROR 5 would answer every old ACK */
		t = find_transfer(s, ntohl(s->drx_peer[i].sin_addr.s_addr),
				  ntohs(s->drx_peer[i].sin_port));
		if (t)
			transfer_packet(t, s->drx[i], s->drx_msgs[i].msg_len);
	}
	out_flush(s);
}

/**
 * on_tick() - retransmit what timed out, give up on silent clients.
 * @loop: the loop
 * @timer: the tick
 * @arg: the server
 */
static void on_tick(struct evloop *loop, struct ev_timer *timer, void *arg)
{
	struct tftp_server *s = arg;
	struct tftp_transfer *t, *next;
	int64_t now = monotonic_ns();
	unsigned retries = s->bd->cfg.tftp_retries;

	(void)loop;
	(void)timer;
	for (t = s->head; t; t = next) {
		next = t->next;
		if (now < t->x.deadline_ns)
			continue;
		if (tftp_xfer_timeout(&t->x, retries, now) == TFTP_XFER_SEND) {
			transfer_send(t);
			continue;
		}
		if (tftp_xfer_oack_pending(&t->x))
			transfer_fail(t, TFTP_ERR_UNDEF, WHY_TIMEOUT,
				      "no ACK for the OACK after %u retransmissions", retries);
		else
			transfer_fail(t, TFTP_ERR_UNDEF, WHY_TIMEOUT,
				      "no ACK after block %llu of %llu (%u retransmissions)",
				      (unsigned long long)t->x.acked,
				      (unsigned long long)t->x.last, retries);
	}
	out_flush(s);
}

/* ---- requests ----------------------------------------------------------- */

/**
 * vfs_refusal() - map a vfs_open() error to a TFTP error code and counter.
 * @rc: negative errno from vfs_open()
 * @ref: output, the counter
 * @why: output, the event's "error"
 * Return: TFTP_ERR_*.
 */
static uint16_t vfs_refusal(int rc, enum refusal *ref, const char **why)
{
	switch (rc) {
	case -ENOENT:
	case -ENOTDIR:
		*ref = REF_NOT_FOUND;
		*why = WHY_NOT_FOUND;
		return TFTP_ERR_NOT_FOUND;
	case -EACCES:
	case -EPERM:
	case -ELOOP:
	case -EXDEV:
	case -EISDIR:
		*ref = REF_ACCESS;
		*why = WHY_ACCESS;
		return TFTP_ERR_ACCESS;
	case -EINVAL:
		*ref = REF_ILLEGAL;
		*why = WHY_ILLEGAL;
		return TFTP_ERR_ILLEGAL_OP;
	default:
		*ref = REF_OTHER;
		*why = WHY_IO;
		return TFTP_ERR_UNDEF;
	}
}

/**
 * load_netascii() - convert the file to netascii in memory.
 * @t: the transfer (vf open; sets ascii, mem)
 * Return: 0 or -errno.
 */
static int load_netascii(struct tftp_transfer *t)
{
	uint8_t *raw = NULL;
	const uint8_t *src;
	size_t len = (size_t)t->vf.size;
	int rc = 0;

	if (t->vf.fd >= 0) {
		raw = xmalloc(len ? len : 1);
		rc = pread_full(t->vf.fd, raw, len, 0);
		if (rc < 0)
			goto out;
		src = raw;
	} else {
		src = (const uint8_t *)t->vf.data;
	}
	t->ascii = xmalloc(tftp_netascii_len(src, len) + 1);
	t->vf.size = tftp_netascii_encode(src, len, t->ascii);
	t->mem = t->ascii;
out:
	free(raw);
	return rc;
}

/**
 * path_blksize() - the largest blksize the path to the client carries
 * (its route's MTU, asked through a socket connect()ed to it).
 * @s: the server
 * @ip: the client, host order
 * @port: its port, host order
 * Return: TFTP_BLKSIZE_MIN .. TFTP_BLKSIZE_MAX.
 */
static uint16_t path_blksize(struct tftp_server *s, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a;
	int mtu = 0;
	socklen_t sl = sizeof(mtu);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(ip);
	a.sin_port = htons(port);
	if (s->mtu_sock >= 0 &&
	    connect(s->mtu_sock, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockopt(s->mtu_sock, IPPROTO_IP, IP_MTU, &mtu, &sl) == 0 &&
	    mtu > IPV4_UDP_HEADERS + TFTP_HEADER_LEN + TFTP_BLKSIZE_MIN &&
	    mtu - IPV4_UDP_HEADERS - TFTP_HEADER_LEN < TFTP_BLKSIZE_MAX)
		return (uint16_t)(mtu - IPV4_UDP_HEADERS - TFTP_HEADER_LEN);
	return TFTP_BLKSIZE_MAX;
}

/**
 * handle_request() - one packet on the request socket.
 * @s: the server
 * @buf: the UDP payload
 * @len: its length
 * @truncated: it was longer than the receive buffer
 * @peer: the client
 * @local: our address it was sent to (network order), 0 if unknown
 */
static void handle_request(struct tftp_server *s, const uint8_t *buf, size_t len,
			   bool truncated, const struct sockaddr_in *peer, uint32_t local)
{
	const struct lr_config *cfg = &s->bd->cfg;
	char msg[TFTP_MSG_LEN], err[ERR_TEXT_LEN], text[ERR_TEXT_LEN];
	char name[TFTP_MAX_FILENAME_LEN + 1];
	struct tftp_request req;
	struct tftp_limits lim;
	struct tftp_oack oack;
	struct tftp_transfer *t = NULL;
	struct vfs_req vr;
	uint32_t pip = ntohl(peer->sin_addr.s_addr);
	uint16_t mtu_blksize, code;
	enum refusal ref;
	const char *why;
	bool dup;
	unsigned b, nclient;
	int op, rc, nopt;
	ssize_t olen;

	/* no answers to addresses that cannot be a client */
	if (peer->sin_port == 0 || pip == INADDR_ANY || pip == INADDR_BROADCAST ||
	    IN_MULTICAST(pip))
		return;
	op = tftp_opcode(buf, len);
	if (op < 0 || op == TFTP_OP_ACK || op == TFTP_OP_ERROR)
		return;		/* never answer an ERROR or a stray ACK */
	name[0] = '\0';
	if (op != TFTP_OP_RRQ && op != TFTP_OP_WRQ) {
		snprintf(text, sizeof(text), "expected a read request, got opcode %d", op);
		refuse(s, peer, local, name, REF_ILLEGAL, WHY_ILLEGAL, TFTP_ERR_ILLEGAL_OP, text);
		return;
	}
	rc = truncated ? -EMSGSIZE : tftp_parse_request(buf, len, &req, msg);
	if (rc == -EMSGSIZE)
		snprintf(msg, sizeof(msg), "request longer than %d bytes", TFTP_MAX_REQUEST_LEN);
	if (rc < 0) {
		refuse(s, peer, local, name, rc == -EPROTO ? REF_OTHER : REF_ILLEGAL,
		       rc == -EPROTO ? WHY_OPTION : WHY_ILLEGAL, tftp_error_code(rc), msg);
		return;
	}
	memcpy(name, req.filename.ptr, req.filename.len);
	name[req.filename.len] = '\0';
	if (req.opcode == TFTP_OP_WRQ) {
		snprintf(text, sizeof(text), "this server is read-only: cannot write '%s'", name);
		refuse(s, peer, local, name, REF_READ_ONLY, WHY_READ_ONLY, TFTP_ERR_ACCESS, text);
		return;
	}
	nclient = transfers_of(s, pip, ntohs(peer->sin_port), &dup);
	if (dup) {
		/* the client repeated its RRQ: its transfer (the same port,
		 * RFC 1350's TID) retransmits by itself */
		log_debug("tftp: repeated request for '%s' from %s:%u ignored", name,
			  inet_ntoa(peer->sin_addr), ntohs(peer->sin_port));
		return;
	}
	if (s->active >= cfg->tftp_max_transfers) {
		snprintf(text, sizeof(text), "server busy: %u transfers at once, try again later",
			 s->active);
		refuse(s, peer, local, name, REF_BUSY, WHY_BUSY, TFTP_ERR_UNDEF, text);
		return;
	}
	if (nclient >= TFTP_PER_CLIENT_MAX) {
		snprintf(text, sizeof(text), "server busy: %d transfers from %s already",
			 TFTP_PER_CLIENT_MAX, inet_ntoa(peer->sin_addr));
		refuse(s, peer, local, name, REF_BUSY, WHY_BUSY, TFTP_ERR_UNDEF, text);
		return;
	}

	t = xcalloc(1, sizeof(*t));
	t->srv = s;
	t->vf.fd = -1;
	t->peer_ip = pip;
	t->peer_port = ntohs(peer->sin_port);
	t->local_ip = local ? ntohl(local) : s->listen_ip;
	memcpy(t->name, name, sizeof(name));
	ipv4_str(pip, t->ip);
	memset(&vr, 0, sizeof(vr));
	vr.path = t->name;
	vr.proto = VFS_TFTP;
	vr.peer_ip = pip;
	vr.server_ip = t->local_ip;
	err[0] = '\0';
	rc = vfs_open(s->bd->boot, &vr, &t->vf, err, sizeof(err));
	if (rc < 0) {
		code = vfs_refusal(rc, &ref, &why);
		if (!err[0])
			snprintf(err, sizeof(err), "cannot open '%s': %s", name, strerror(-rc));
		refuse(s, peer, local, name, ref, why, code, err);
		goto err;
	}
	if (t->vf.fd < 0)
		t->mem = (const uint8_t *)t->vf.data;
	if (req.mode == TFTP_MODE_NETASCII) {
		if (t->vf.size > TFTP_NETASCII_MAX) {
			snprintf(text, sizeof(text),
				 "netascii mode is limited to files of %u bytes; '%s' has %llu: ask for octet (binary) mode",
				 TFTP_NETASCII_MAX, name, (unsigned long long)t->vf.size);
			refuse(s, peer, local, name, REF_OTHER, WHY_NETASCII, TFTP_ERR_UNDEF, text);
			goto err;
		}
		rc = load_netascii(t);
		if (rc < 0) {
			snprintf(text, sizeof(text), "cannot read '%s': %s", name, strerror(-rc));
			refuse(s, peer, local, name, REF_OTHER, WHY_IO, TFTP_ERR_UNDEF, text);
			goto err;
		}
	}
	mtu_blksize = path_blksize(s, pip, t->peer_port);

	/* RFC 2347: grant what we can, within the config and the path MTU */
	memset(&lim, 0, sizeof(lim));
	b = cfg->tftp_max_blksize < mtu_blksize ? cfg->tftp_max_blksize : mtu_blksize;
	lim.max_blksize = (uint16_t)b;
	lim.max_windowsize = (uint16_t)(cfg->tftp_max_windowsize < TFTP_WINDOWSIZE_MAX ?
					cfg->tftp_max_windowsize : TFTP_WINDOWSIZE_MAX);
	lim.timeout = true;
	lim.tsize = true;
	nopt = tftp_negotiate(&req, &lim, t->vf.size, &oack);
	if (nopt > 0) {
		olen = tftp_encode_oack(t->oack, sizeof(t->oack), &oack);
		if (olen < 0) {
			refuse(s, peer, local, name, REF_OTHER, WHY_OPTION, TFTP_ERR_OPTION,
			       "cannot encode the option acknowledgement");
			goto err;
		}
		t->oack_len = (size_t)olen;
	}
	t->start_ns = monotonic_ns();
	tftp_xfer_init(&t->x, t->vf.size,
		       oack.options & TFTP_OPT_BLKSIZE ? oack.blksize : TFTP_DEFAULT_BLKSIZE,
		       oack.options & TFTP_OPT_WINDOWSIZE ? oack.windowsize : 1,
		       nopt > 0,
		       (oack.options & TFTP_OPT_TIMEOUT ? oack.timeout : cfg->tftp_timeout) *
		       MS_PER_SEC, t->start_ns);

	/* a transfer now: link it */
	t->next = s->head;
	if (s->head)
		s->head->prev = t;
	s->head = t;
	b = ip_bucket(pip);
	t->ip_next = s->by_ip[b];
	if (s->by_ip[b])
		s->by_ip[b]->ip_prev = t;
	s->by_ip[b] = t;
	b = tid_bucket(pip, t->peer_port);
	t->tid_next = s->by_tid[b];
	if (s->by_tid[b])
		s->by_tid[b]->tid_prev = t;
	s->by_tid[b] = t;
	s->active++;
	s->started++;
	tick_arm(s);
	if (t->vf.mac[0])
		str_copy(t->mac, sizeof(t->mac), t->vf.mac);
	else
		mac_of(s, pip, t->mac);
	log_event(EV_TFTP_START, "{s:s, s:s, s:s, s:i, s:i, s:I}", "mac", t->mac,
		  "ip", t->ip, "file", t->name, "blksize", (int)t->x.blksize,
		  "windowsize", (int)t->x.windowsize, "tsize", (json_int_t)t->x.size);
	transfer_send(t);
	return;
err:
	vfs_close(&t->vf);
	free(t->ascii);
	free(t->ra);
	free(t);
}

/**
 * pktinfo_local() - the address a request was sent to, from IP_PKTINFO.
 * @mh: the received message
 * Return: the local address (network order), or 0.
 */
static uint32_t pktinfo_local(struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			return pi.ipi_spec_dst.s_addr;
		}
	}
	return 0;
}

/**
 * on_request() - the loop's callback for the request socket: read a batch
 * of requests with recvmmsg() and handle each.
 * @loop: the loop
 * @fd: the request socket
 * @events: EPOLL* bits
 * @arg: the server
 */
static void on_request(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct tftp_server *s = arg;
	struct msghdr *mh;
	int i, n;

	(void)loop;
	(void)events;
	for (i = 0; i < RX_BATCH; i++) {
		s->rx_iov[i].iov_base = s->rx[i];
		s->rx_iov[i].iov_len = RX_LEN;
		mh = &s->rx_msgs[i].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &s->rx_peer[i];
		mh->msg_namelen = sizeof(s->rx_peer[i]);
		mh->msg_iov = &s->rx_iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = s->rx_ctl[i];
		mh->msg_controllen = sizeof(s->rx_ctl[i]);
	}
	n = recvmmsg(fd, s->rx_msgs, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_debug("tftp: receive error on the request socket: %s",
				  strerror(errno));
		return;
	}
	for (i = 0; i < n && s->sock >= 0; i++) {
		mh = &s->rx_msgs[i].msg_hdr;
		if (mh->msg_namelen < sizeof(struct sockaddr_in) ||
		    s->rx_peer[i].sin_family != AF_INET)
			continue;
		handle_request(s, s->rx[i], s->rx_msgs[i].msg_len,
			       (mh->msg_flags & MSG_TRUNC) != 0, &s->rx_peer[i],
			       pktinfo_local(mh));
	}
	out_flush(s);
}

/* ---- life cycle --------------------------------------------------------- */

/**
 * open_data_socket() - the socket every transfer sends and receives on
 * (RFC 1350 lets the server choose its TID: the client's port keeps each
 * transfer apart): UDP on [tftp] listen (or any address, then IP_PKTINFO
 * sets each reply's source), an ephemeral port, not connected; and the
 * socket path_blksize() connect()s.
 * @s: the server (sets dsock, dsock_any, mtu_sock)
 * @err: message on failure
 * @errlen: its size
 * Return: 0 or -errno.
 */
static int open_data_socket(struct tftp_server *s, char *err, size_t errlen)
{
	struct sockaddr_in a;
	int buf = DATA_SOCKBUF, rc;

	s->dsock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->mtu_sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->dsock < 0 || s->mtu_sock < 0) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot create a UDP socket: %s", strerror(errno));
		return rc;
	}
	/* root may exceed net.core.[rw]mem_max; otherwise take what is allowed */
	if (setsockopt(s->dsock, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(s->dsock, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(s->dsock, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(s->dsock, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(s->listen_ip);
	if (bind(s->dsock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot bind the transfer socket to %s: %s",
			s->listen[0] ? s->listen : "0.0.0.0", strerror(errno));
		return rc;
	}
	s->dsock_any = s->listen_ip == INADDR_ANY;
	rc = evloop_add(s->bd->loop, s->dsock, EPOLLIN, on_data, s);
	if (rc < 0) {
		err_set(err, errlen, "tftp: cannot watch the transfer socket: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int tftp_server_new(struct bootd *bd, struct tftp_server **out, char *err,
		    size_t errlen)
{
	struct tftp_server *s;
	struct sockaddr_in a;
	const struct lr_config *cfg = &bd->cfg;
	int one = 1, rcvbuf = REQUEST_RCVBUF, rc;

	s = xcalloc(1, sizeof(*s));
	s->bd = bd;
	s->sock = -1;
	s->dsock = -1;
	s->mtu_sock = -1;
	s->listen = xstrdup(cfg->tftp_listen ? cfg->tftp_listen : "");
	s->port = cfg->tftp_port;
	if (s->listen[0] && parse_ipv4(s->listen, &s->listen_ip) < 0) {
		err_set(err, errlen, "[tftp] listen: '%s' is not an IPv4 address", s->listen);
		rc = -EINVAL;
		goto err;
	}
	s->out = xmalloc(OUT_BUF_LEN);
	s->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->sock < 0) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot create a UDP socket: %s", strerror(errno));
		goto err;
	}
	setsockopt(s->sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* root may exceed net.core.rmem_max; otherwise take what is allowed */
	if (setsockopt(s->sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(s->sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot enable IP_PKTINFO: %s", strerror(errno));
		goto err;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(s->listen_ip);
	a.sin_port = htons((uint16_t)s->port);
	if (bind(s->sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot bind UDP %s:%u ([tftp] listen, port): %s",
			s->listen[0] ? s->listen : "0.0.0.0", s->port, strerror(errno));
		goto err;
	}
	rc = open_data_socket(s, err, errlen);
	if (rc < 0)
		goto err;
	rc = evloop_add(bd->loop, s->sock, EPOLLIN, on_request, s);
	if (rc < 0) {
		err_set(err, errlen, "tftp: cannot watch the request socket: %s", strerror(-rc));
		goto err;
	}
	s->tick = evloop_timer_add(bd->loop, TICK_IDLE_MS, 0, on_tick, s);
	if (!s->tick) {
		rc = -errno;
		err_set(err, errlen, "tftp: cannot create a timer: %s", strerror(errno));
		goto err;
	}
	raise_nofile(cfg->tftp_max_transfers);
	*out = s;
	return 0;
err:
	tftp_server_free(s);
	return rc;
}

int tftp_server_reload(struct tftp_server *s, char *err, size_t errlen)
{
	const struct lr_config *cfg = &s->bd->cfg;
	const char *listen = cfg->tftp_listen ? cfg->tftp_listen : "";

	raise_nofile(cfg->tftp_max_transfers);
	if (strcmp(listen, s->listen) != 0 || cfg->tftp_port != s->port) {
		err_set(err, errlen,
			"[tftp] listen/port changed (%s:%u -> %s:%u): restart needed; still serving on the old address",
			s->listen[0] ? s->listen : "0.0.0.0", s->port,
			listen[0] ? listen : "0.0.0.0", cfg->tftp_port);
		return -EAGAIN;
	}
	return 0;
}

void tftp_server_stop(struct tftp_server *s)
{
	if (!s || s->sock < 0)
		return;
	evloop_del(s->bd->loop, s->sock);
	close(s->sock);
	s->sock = -1;
}

void tftp_server_free(struct tftp_server *s)
{
	if (!s)
		return;
	while (s->head)
		transfer_free(s->head);
	tftp_server_stop(s);
	if (s->dsock >= 0) {
		evloop_del(s->bd->loop, s->dsock);
		close(s->dsock);
	}
	if (s->mtu_sock >= 0)
		close(s->mtu_sock);
	if (s->tick)
		evloop_timer_del(s->bd->loop, s->tick);
	if (s->ev_dropped)
		log_warn("tftp: %llu more refused requests were not logged",
			 (unsigned long long)s->ev_dropped);
	free(s->out);
	free(s->listen);
	free(s);
}

json_t *tftp_server_status(struct tftp_server *s)
{
	json_t *j, *refused, *list;
	struct tftp_transfer *t;
	unsigned i, n = 0;

	refused = json_object();
	for (i = 0; i < REF_COUNT; i++)
		json_object_set_new(refused, refusal_names[i],
				    json_integer((json_int_t)s->refused[i]));
	list = json_array();
	for (t = s->head; t && n < TFTP_STATUS_LIST_MAX; t = t->next, n++) {
		uint64_t acked = t->x.acked * t->x.blksize;

		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:f}", "ip", t->ip,
			"mac", t->mac, "file", t->name, "size", (json_int_t)t->x.size,
			"acked_bytes", (json_int_t)(acked < t->x.size ? acked : t->x.size),
			"blksize", (int)t->x.blksize, "windowsize", (int)t->x.windowsize,
			"seconds", elapsed_s(t->start_ns)));
	}
	j = json_pack("{s:s, s:i, s:b, s:i, s:i, s:I, s:I, s:I, s:I, s:o, s:o}",
		      "listen", s->listen, "port", (int)s->port, "serving", s->sock >= 0,
		      "active", (int)s->active, "max_transfers", (int)s->bd->cfg.tftp_max_transfers,
		      "started", (json_int_t)s->started, "finished", (json_int_t)s->finished,
		      "failed", (json_int_t)s->failed, "bytes", (json_int_t)s->bytes,
		      "refused", refused, "transfers", list);
	return j;
}
