/* Other DHCP servers on our segments (see rogue.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "addr.h"
#include "dhcp-proto.h"
#include "events.h"
#include "evloop.h"
#include "log.h"
#include "parse.h"
#include "rawsend.h"
#include "rogue.h"
#include "util.h"

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
/* Bytes we read of a frame: a DHCP answer is far shorter. */
#define ROGUE_RX_LEN		2048
/* Packets read per wake-up, so a flood cannot starve the loop. */
#define ROGUE_BUDGET		64
/* The parameter request list of the probe. */
static const uint8_t probe_params[] = {
	DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS, DHCP_OPT_SERVER_ID,
};
static const uint8_t bcast_mac[MAC_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct rogue;

/** One watched interface. */
struct rogue_port {
	struct rogue *r;
	struct rogue_iface ifc;
	int fd;			/* AF_PACKET receive socket, -1 = none */
};

struct rogue {
	struct evloop *loop;
	struct rogue_port *ports;
	size_t n;
	int raw_fd;			/* probe sends, -1 = none */
	uint32_t *our_ips;
	size_t nr_ips;
	uint32_t allowed[ROGUE_MAX_ALLOWED];
	size_t nr_allowed;
	uint32_t probe_interval;	/* s, 0 = never */
	struct ev_timer *probe_timer;
	struct rogue_server servers[ROGUE_MAX_SERVERS];
	size_t nr_servers;
	uint64_t probes;		/* probes sent */
	struct dhcp_request req;	/* parse buffer (large) */
};

/**
 * rogue_filter - classic BPF over the packet from its IPv4 header (an
 * AF_PACKET SOCK_DGRAM socket): accept UDP, not a fragment, source port 67,
 * destination port 68.
 */
static struct sock_filter rogue_filter[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),			/* protocol */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP_NUM, 0, 8),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),			/* flags, fragment */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 6, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),			/* x = header length */
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),			/* source port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_SERVER_PORT, 0, 3),
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),			/* destination port */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCP_CLIENT_PORT, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, ROGUE_RX_LEN),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/** is_ours() - whether @ip is one of our addresses. */
static bool is_ours(const struct rogue *r, uint32_t ip)
{
	size_t i;

	for (i = 0; i < r->nr_ips; i++)
		if (r->our_ips[i] == ip)
			return true;
	return false;
}

/** is_allowed() - whether [dhcp] allowed_servers lists @ip. */
static bool is_allowed(const struct rogue *r, uint32_t ip)
{
	size_t i;

	for (i = 0; i < r->nr_allowed; i++)
		if (r->allowed[i] == ip)
			return true;
	return false;
}

bool rogue_note(struct rogue *r, uint32_t ip, const uint8_t mac[MAC_LEN], const char *iface,
		int64_t now)
{
	struct rogue_server *s = NULL;
	char ipbuf[IPV4_STR_LEN], macbuf[MAC_STR_LEN];
	size_t i;

	for (i = 0; i < r->nr_servers; i++) {
		if (r->servers[i].ip == ip && !memcmp(r->servers[i].mac, mac, MAC_LEN) &&
		    !strcmp(r->servers[i].iface, iface)) {
			s = &r->servers[i];
			break;
		}
	}
	if (!s) {
		if (r->nr_servers < ROGUE_MAX_SERVERS) {
			s = &r->servers[r->nr_servers++];
		} else {
			/* full: forget the one heard from longest ago */
			s = &r->servers[0];
			for (i = 1; i < r->nr_servers; i++)
				if (r->servers[i].last_seen < s->last_seen)
					s = &r->servers[i];
		}
		memset(s, 0, sizeof(*s));
		s->ip = ip;
		memcpy(s->mac, mac, MAC_LEN);
		str_copy(s->iface, sizeof(s->iface), iface);
		s->first_seen = now;
	}
	s->known = is_allowed(r, ip);
	s->packets++;
	s->last_seen = now;
	if (s->last_report && now - s->last_report < ROGUE_REPORT_INTERVAL)
		return false;
	s->last_report = now;
	mac_format(mac, macbuf);
	log_event(EV_DHCP_ROGUE, "{s:s, s:s, s:s, s:b}", "server_ip", ipv4_str(ip, ipbuf),
		  "server_mac", macbuf, "interface", iface, "known", s->known);
	return true;
}

bool rogue_packet(struct rogue *r, size_t iface_idx, const uint8_t src_mac[MAC_LEN],
		  const uint8_t *pkt, size_t len, int64_t now)
{
	struct udp_packet u;
	struct rogue_port *p;
	uint32_t server;
	char msg[DHCP_MSG_LEN];
	size_t i;

	if (iface_idx >= r->n)
		return false;
	p = &r->ports[iface_idx];
	if (rawsend_parse_udp(pkt, len, &u) < 0 || u.src_port != DHCP_SERVER_PORT ||
	    u.dst_port != DHCP_CLIENT_PORT)
		return false;
	if (dhcp_parse_request(u.payload, u.len, &r->req, msg) < 0) {
		log_debug("rogue watch on %s: an answer from port 67 that is not DHCP: %s",
			  p->ifc.name, msg);
		return false;
	}
	if (r->req.hdr.op != DHCP_OP_BOOTREPLY)
		return false;
	server = r->req.has_server_id ? r->req.server_id : u.src_ip;
	/* our own answers (another of our interfaces on the same segment) */
	if (is_ours(r, server) || is_ours(r, u.src_ip))
		return false;
	for (i = 0; i < r->n; i++)
		if (!memcmp(r->ports[i].ifc.mac, src_mac, MAC_LEN))
			return false;
	rogue_note(r, server, src_mac, p->ifc.name, now);
	return true;
}

/** rogue_read_cb() - frames on one interface's socket. */
static void rogue_read_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct rogue_port *p = arg;
	int budget = ROGUE_BUDGET;

	(void)loop;
	(void)events;
	while (budget-- > 0) {
		uint8_t buf[ROGUE_RX_LEN];
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll,
				     &sl);

		if (n < 0)
			return;
		if (sll.sll_pkttype == PACKET_OUTGOING || sll.sll_halen != MAC_LEN)
			continue;
		rogue_packet(p->r, (size_t)(p - p->r->ports), sll.sll_addr, buf, (size_t)n,
			     (int64_t)time(NULL));
	}
}

/**
 * rogue_probe() - send a DHCPDISCOVER with the broadcast flag from each
 * interface (source 0.0.0.0:68, like a client), so servers answer.
 */
static void rogue_probe(struct rogue *r)
{
	uint8_t buf[BOOTP_MIN_LEN + 64];
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct rogue_port *p = &r->ports[i];
		struct dhcp_builder b;
		struct dhcp_header h;
		int len, rc;

		memset(&h, 0, sizeof(h));
		h.op = DHCP_OP_BOOTREQUEST;
		h.htype = DHCP_HTYPE_ETHER;
		h.hlen = DHCP_ETHER_LEN;
		if (getrandom(&h.xid, sizeof(h.xid), GRND_NONBLOCK) != sizeof(h.xid))
			h.xid = (uint32_t)monotonic_ns();
		h.flags = DHCP_FLAG_BROADCAST;
		memcpy(h.chaddr, p->ifc.mac, MAC_LEN);
		if (dhcp_build_start(&b, buf, sizeof(buf), 0, &h, DHCP_DISCOVER) < 0 ||
		    dhcp_build_option(&b, DHCP_OPT_PARAM_LIST, probe_params,
				      sizeof(probe_params)) < 0 ||
		    (len = dhcp_build_finish(&b)) < 0)
			continue;
		rc = rawsend_udp(r->raw_fd, p->ifc.ifindex, bcast_mac, 0, DHCP_CLIENT_PORT,
				 UINT32_MAX, DHCP_SERVER_PORT, buf, (size_t)len);
		if (rc < 0)
			log_debug("rogue probe on %s: %s", p->ifc.name, strerror(-rc));
		else
			r->probes++;
	}
}

/** rogue_probe_cb() - the probe timer. */
static void rogue_probe_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct rogue *r = arg;

	(void)loop;
	if (!r->probe_interval)
		return;
	rogue_probe(r);
	evloop_timer_set(t, r->probe_interval * 1000ULL, 0);
}

/**
 * port_open() - the receive socket of one interface, filtered and bound.
 * Return: 0 or -errno (+ @err).
 */
static int port_open(struct rogue_port *p, char *err, size_t errlen)
{
	struct sock_fprog prog = { ARRAY_SIZE(rogue_filter), rogue_filter };
	struct sockaddr_ll sll;
	int rc;

	p->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (p->fd < 0) {
		rc = -errno;
		err_set(err, errlen, "rogue DHCP watch on %s: packet socket: %s", p->ifc.name,
			strerror(errno));
		return rc;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = p->ifc.ifindex;
	if (setsockopt(p->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		err_set(err, errlen, "rogue DHCP watch on %s: %s", p->ifc.name, strerror(errno));
		return rc;
	}
	rc = evloop_add(p->r->loop, p->fd, EPOLLIN, rogue_read_cb, p);
	if (rc < 0)
		err_set(err, errlen, "rogue DHCP watch on %s: %s", p->ifc.name, strerror(-rc));
	return rc;
}

int rogue_new(struct evloop *loop, const struct rogue_iface *ifaces, size_t n, int raw_fd,
	      const uint32_t *our_ips, size_t nr_ips, struct rogue **out, char *err,
	      size_t errlen)
{
	struct rogue *r = xcalloc(1, sizeof(*r));
	size_t i;
	int rc;

	r->loop = loop;
	r->raw_fd = raw_fd;
	if (n > ROGUE_MAX_IFACES) {
		err_set(err, errlen, "rogue DHCP watch: more than %d interfaces", ROGUE_MAX_IFACES);
		rc = -EINVAL;
		goto err;
	}
	r->our_ips = xmalloc((nr_ips ? nr_ips : 1) * sizeof(*our_ips));
	if (nr_ips)
		memcpy(r->our_ips, our_ips, nr_ips * sizeof(*our_ips));
	r->nr_ips = nr_ips;
	r->ports = xcalloc(n ? n : 1, sizeof(*r->ports));
	for (i = 0; i < n; i++) {
		r->ports[i].r = r;
		r->ports[i].ifc = ifaces[i];
		r->ports[i].fd = -1;
		r->n++;
		if (!loop)
			continue;
		rc = port_open(&r->ports[i], err, errlen);
		if (rc < 0)
			goto err;
	}
	if (loop && raw_fd >= 0) {
		r->probe_timer = evloop_timer_add(loop, ROGUE_FIRST_PROBE_MS, 0, rogue_probe_cb, r);
		if (!r->probe_timer) {
			rc = -errno;
			err_set(err, errlen, "rogue DHCP watch: timer: %s", strerror(errno));
			goto err;
		}
	}
	*out = r;
	return 0;
err:
	rogue_free(r);
	return rc;
}

void rogue_free(struct rogue *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		if (r->ports[i].fd < 0)
			continue;
		evloop_del(r->loop, r->ports[i].fd);
		close(r->ports[i].fd);
	}
	if (r->probe_timer)
		evloop_timer_del(r->loop, r->probe_timer);
	free(r->ports);
	free(r->our_ips);
	free(r);
}

int rogue_configure(struct rogue *r, const char *allowed, uint32_t probe_interval,
		    char *err, size_t errlen)
{
	uint32_t ips[ROGUE_MAX_ALLOWED];
	char **items = NULL;
	size_t n = 0, i;
	int rc;

	if (split_list(allowed ? allowed : "", &items, &n) < 0) {
		err_set(err, errlen, "[dhcp] allowed_servers: empty item in '%s'", allowed);
		rc = -EINVAL;
		goto err;
	}
	if (n > ROGUE_MAX_ALLOWED) {
		err_set(err, errlen, "[dhcp] allowed_servers: more than %d addresses",
			ROGUE_MAX_ALLOWED);
		rc = -EINVAL;
		goto err;
	}
	for (i = 0; i < n; i++) {
		if (parse_ipv4(items[i], &ips[i]) < 0) {
			err_set(err, errlen, "[dhcp] allowed_servers: '%s' is not an IPv4 address",
				items[i]);
			rc = -EINVAL;
			goto err;
		}
	}
	memcpy(r->allowed, ips, n * sizeof(*ips));
	r->nr_allowed = n;
	for (i = 0; i < r->nr_servers; i++)
		r->servers[i].known = is_allowed(r, r->servers[i].ip);
	/* a new interval takes effect at once; 0 stops the probes */
	if (r->probe_timer && probe_interval != r->probe_interval && probe_interval)
		evloop_timer_set(r->probe_timer, r->probe_interval ? probe_interval * 1000ULL
				 : ROGUE_FIRST_PROBE_MS, 0);
	r->probe_interval = probe_interval;
	rc = 0;
err:
	split_list_free(items);
	return rc;
}

size_t rogue_count(const struct rogue *r)
{
	return r->nr_servers;
}

const struct rogue_server *rogue_at(const struct rogue *r, size_t i)
{
	return i < r->nr_servers ? &r->servers[i] : NULL;
}

/** time_str() - @t (wall clock, s) as RFC 3339 UTC into @out. */
static void time_str(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *rogue_status(const struct rogue *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; r && i < r->nr_servers; i++) {
		const struct rogue_server *s = &r->servers[i];
		char ip[IPV4_STR_LEN], mac[MAC_STR_LEN], first[32], last[32];

		mac_format(s->mac, mac);
		time_str(s->first_seen, first);
		time_str(s->last_seen, last);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:I, s:s, s:s}",
						   "server_ip", ipv4_str(s->ip, ip),
						   "server_mac", mac, "interface", s->iface,
						   "known", s->known, "packets", (json_int_t)s->packets,
						   "first_seen", first, "last_seen", last));
	}
	return a;
}
