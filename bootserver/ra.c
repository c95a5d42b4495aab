/* Minimal IPv6 router advertisements (see ra.h; RFC 4861 sections 4.2,
 * 6.2.4 and 6.2.6). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "evloop.h"
#include "log.h"
#include "ra.h"
#include "util.h"
#include "wire.h"

/* Field offsets of a router advertisement (RFC 4861 section 4.2). */
#define RA_OFF_TYPE		0
#define RA_OFF_CODE		1
#define RA_OFF_CUR_HOP_LIMIT	4
#define RA_OFF_FLAGS		5
#define RA_OFF_LIFETIME		6
#define RA_HEADER_LEN		16
/* ff02::1, all nodes; ff02::2, all routers */
#define IN6_ALL_NODES		"ff02::1"
#define IN6_ALL_ROUTERS		"ff02::2"
/* Most interfaces (one timer each). */
#define RA_MAX_IFACES		64
/* Room for a received solicitation and its control data. */
#define RA_RX_LEN		1500
#define RA_CMSG_LEN		128

struct ra;

/** One interface: where to send, and its timers. */
struct ra_port {
	struct ra *r;
	struct ra_iface ifc;
	int64_t last_ns;	/* monotonic time of the last send, 0 = never */
	unsigned initial;	/* unsolicited sends so far (first RA_INITIAL_COUNT) */
	struct ev_timer *periodic;	/* the next unsolicited send */
	struct ev_timer *solicited;	/* an answer delayed by RA_MIN_GAP_MS */
	bool answer_pending;
	bool warned;		/* a send failure was logged */
};

struct ra {
	struct evloop *loop;
	int fd;
	struct ra_port *ports;
	size_t n;
	uint64_t sent;
};

int ra_build(uint8_t *buf, size_t cap, const uint8_t mac[MAC_LEN])
{
	if (cap < RA_LEN)
		return -ENOBUFS;
	memset(buf, 0, RA_LEN);
	buf[RA_OFF_TYPE] = ND_TYPE_ROUTER_ADVERT;
	buf[RA_OFF_CODE] = 0;
	/* cur hop limit 0 (unspecified), M = O = 0, router lifetime 0: we are
	 * not a default router; reachable time and retrans timer 0 */
	buf[RA_OFF_CUR_HOP_LIMIT] = 0;
	buf[RA_OFF_FLAGS] = 0;
	put_be16(buf + RA_OFF_LIFETIME, 0);
	buf[RA_HEADER_LEN] = ND_OPT_SOURCE_LLADDR;
	buf[RA_HEADER_LEN + 1] = (RA_LEN - RA_HEADER_LEN) / ND_OPT_LEN_UNIT;
	memcpy(buf + RA_HEADER_LEN + 2, mac, MAC_LEN);
	return RA_LEN;
}

/**
 * ra_send() - send one advertisement on @p now.
 * @p: interface
 */
static void ra_send(struct ra_port *p)
{
	struct sockaddr_in6 dst;
	uint8_t pkt[RA_LEN];
	int len = ra_build(pkt, sizeof(pkt), p->ifc.mac);

	memset(&dst, 0, sizeof(dst));
	dst.sin6_family = AF_INET6;
	inet_pton(AF_INET6, IN6_ALL_NODES, &dst.sin6_addr);
	dst.sin6_scope_id = (uint32_t)p->ifc.ifindex;
	p->last_ns = monotonic_ns();
	if (sendto(p->r->fd, pkt, (size_t)len, 0, (const struct sockaddr *)&dst,
		   sizeof(dst)) < 0) {
		/* an interface without IPv6 (or without its link-local
		 * address yet): say so once */
		if (!p->warned)
			log_debug("router advertisement on %s: %s", p->ifc.name, strerror(errno));
		p->warned = true;
		return;
	}
	p->warned = false;
	p->r->sent++;
	log_debug("router advertisement sent on %s", p->ifc.name);
}

/** ra_periodic_cb() - the unsolicited advertisement timer. */
static void ra_periodic_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct ra_port *p = arg;

	(void)loop;
	ra_send(p);
	if (p->initial < RA_INITIAL_COUNT) {
		p->initial++;
		evloop_timer_set(t, (p->initial < RA_INITIAL_COUNT ? RA_INITIAL_INTERVAL
					: RA_INTERVAL) * 1000ULL, 0);
	} else {
		evloop_timer_set(t, RA_INTERVAL * 1000ULL, 0);
	}
}

/** ra_solicited_cb() - a delayed answer to a solicitation. */
static void ra_solicited_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct ra_port *p = arg;

	(void)loop;
	(void)t;
	if (!p->answer_pending)
		return;
	p->answer_pending = false;
	ra_send(p);
}

/**
 * ra_solicit() - a router solicitation arrived on @p: answer now, or at
 * the end of the minimum gap.
 */
static void ra_solicit(struct ra_port *p)
{
	int64_t gap = (int64_t)RA_MIN_GAP_MS * 1000000;
	int64_t since = monotonic_ns() - p->last_ns;

	if (p->answer_pending)
		return;
	if (!p->last_ns || since >= gap) {
		ra_send(p);
		return;
	}
	p->answer_pending = true;
	evloop_timer_set(p->solicited, (uint64_t)((gap - since) / 1000000) + 1, 0);
}

/** ra_read_cb() - read solicitations from the ICMPv6 socket. */
static void ra_read_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ra *r = arg;
	int budget = 64;

	(void)loop;
	(void)events;
	while (budget-- > 0) {
		uint8_t buf[RA_RX_LEN], cbuf[RA_CMSG_LEN];
		struct sockaddr_in6 src;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *c;
		int ifindex = 0, hops = -1;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		size_t i;

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = (int)pi.ipi6_ifindex;
			} else if (c->cmsg_type == IPV6_HOPLIMIT) {
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
			}
		}
		/* RFC 4861 6.1.1: a valid solicitation has hop limit 255 */
		if (n < 8 || buf[0] != ND_TYPE_ROUTER_SOLICIT || buf[1] != 0 ||
		    hops != ND_HOP_LIMIT)
			continue;
		for (i = 0; i < r->n; i++)
			if (r->ports[i].ifc.ifindex == ifindex)
				ra_solicit(&r->ports[i]);
	}
}

int ra_new(struct evloop *loop, const struct ra_iface *ifaces, size_t n, struct ra **out,
	   char *err, size_t errlen)
{
	struct ra *r = xcalloc(1, sizeof(*r));
	struct icmp6_filter filt;
	int on = 1, hops = ND_HOP_LIMIT, off = 0, rc;
	size_t i;

	r->loop = loop;
	r->fd = -1;
	if (n > RA_MAX_IFACES) {
		err_set(err, errlen, "router advertisements: more than %d interfaces", RA_MAX_IFACES);
		rc = -EINVAL;
		goto err;
	}
	r->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (r->fd < 0) {
		rc = -errno;
		err_set(err, errlen, "router advertisements: ICMPv6 socket: %s", strerror(errno));
		goto err;
	}
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ND_TYPE_ROUTER_SOLICIT, &filt);
	if (setsockopt(r->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(r->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) < 0) {
		rc = -errno;
		err_set(err, errlen, "router advertisements: socket options: %s",
			strerror(errno));
		goto err;
	}
	r->ports = xcalloc(n ? n : 1, sizeof(*r->ports));
	for (i = 0; i < n; i++) {
		struct ra_port *p = &r->ports[r->n];
		struct ipv6_mreq mr;

		p->r = r;
		p->ifc = ifaces[i];
		memset(&mr, 0, sizeof(mr));
		inet_pton(AF_INET6, IN6_ALL_ROUTERS, &mr.ipv6mr_multiaddr);
		mr.ipv6mr_interface = (unsigned)ifaces[i].ifindex;
		if (setsockopt(r->fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			/* IPv6 off on this interface: nothing to speed up there */
			log_info("no router advertisements on %s: %s", ifaces[i].name,
				 strerror(errno));
			continue;
		}
		p->periodic = evloop_timer_add(loop, 1000, 0, ra_periodic_cb, p);
		/* armed by ra_solicit(); until then far in the future */
		p->solicited = evloop_timer_add(loop, UINT32_MAX, 0, ra_solicited_cb, p);
		if (!p->periodic || !p->solicited) {
			rc = -errno;
			err_set(err, errlen, "router advertisements: timer: %s", strerror(errno));
			r->n++;
			goto err;
		}
		r->n++;
	}
	rc = evloop_add(loop, r->fd, EPOLLIN, ra_read_cb, r);
	if (rc < 0) {
		err_set(err, errlen, "router advertisements: %s", strerror(-rc));
		goto err;
	}
	*out = r;
	return 0;
err:
	ra_free(r);
	return rc;
}

void ra_free(struct ra *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		if (r->ports[i].periodic)
			evloop_timer_del(r->loop, r->ports[i].periodic);
		if (r->ports[i].solicited)
			evloop_timer_del(r->loop, r->ports[i].solicited);
	}
	if (r->fd >= 0) {
		evloop_del(r->loop, r->fd);
		close(r->fd);
	}
	free(r->ports);
	free(r);
}

uint64_t ra_sent(const struct ra *r)
{
	return r ? r->sent : 0;
}
