/* lanroot-bootd's DHCP server (see dhcp-server.h).
 *
 * RFC 2131 (the protocol; section 4.1 for where replies go, 4.3 for the
 * server's answers), RFC 2132 (options), the PXE 2.1 specification
 * (proxyDHCP, boot server discovery on port 4011, option 43), RFC 4578
 * (options 93, 94, 97).
 */
#include <config.h>

#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "addr.h"
#include "bootcfg.h"
#include "bootd.h"
#include "clientmap.h"
#include "dhcp-proto.h"
#include "dhcp-server.h"
#include "events.h"
#include "evloop.h"
#include "leases.h"
#include "log.h"
#include "mac.h"
#include "parse.h"
#include "ra.h"
#include "rawsend.h"
#include "registry.h"
#include "rogue.h"
#include "store.h"
#include "util.h"
#include "wire.h"

/* Most interfaces served, and addresses kept per interface. */
#define DHCP_MAX_IFACES		64
#define DHCP_MAX_IFACE_ADDRS	8
/* Most DNS servers in option 6. */
#define DHCP_MAX_DNS		8
/* Most offers outstanding at once (also never more than the pool). */
#define DHCP_MAX_OFFERS		1024
/* Packets handled per wake-up of a socket, so one cannot starve the rest. */
#define DHCP_RX_BUDGET		64
/* Reply buffer: large enough for any max size a client can ask for that
 * still fits an Ethernet frame. */
#define DHCP_TX_LEN		1500
/* How often expired leases are collected (ms). */
#define DHCP_EXPIRE_MS		10000
/* How long the reservations read from the registry are trusted (s). */
#define DHCP_RES_REFRESH	10
/* The PXE boot server type of our single menu item (vendor range). */
#define PXE_BOOT_SERVER_TYPE	0x8000U
#define PXE_MENU_TEXT		"lanroot"
#define PXE_PROMPT_TEXT		"PXE"
/* Room for option 43's contents. */
#define PXE_VENDOR_LEN		64
/* T1 and T2 as fractions of the lease time (RFC 2131 section 4.4.5). */
#define DHCP_T1_NUM		1
#define DHCP_T1_DEN		2
#define DHCP_T2_NUM		7
#define DHCP_T2_DEN		8
/* The limited broadcast address. */
#define IPV4_BROADCAST		UINT32_MAX
/* Control data room for IP_PKTINFO. */
#define DHCP_CMSG_LEN		64

enum dhcp_mode { DHCP_MODE_PROXY, DHCP_MODE_FULL };

/** counters - messages seen and sent, for status. */
enum dhcp_counter {
	CNT_DISCOVER, CNT_REQUEST, CNT_DECLINE, CNT_RELEASE, CNT_INFORM,
	CNT_OFFER, CNT_ACK, CNT_NAK, CNT_IGNORED, CNT_MALFORMED, CNT_SEND_ERRORS,
	CNT_COUNT
};
static const char *const counter_names[CNT_COUNT] = {
	"discover", "request", "decline", "release", "inform",
	"offer", "ack", "nak", "ignored", "malformed", "send_errors",
};

/** An interface we serve. */
struct dhcp_iface {
	char name[IFNAMSIZ];
	int ifindex;
	uint8_t mac[MAC_LEN];
	uint32_t addrs[DHCP_MAX_IFACE_ADDRS];	/* its IPv4 addresses */
	unsigned prefixes[DHCP_MAX_IFACE_ADDRS];
	unsigned nr_addrs;
};

struct dhcp_server {
	struct bootd *bd;
	enum dhcp_mode mode;
	char *iface_spec;		/* [dhcp] interface at start */
	char *ra_spec;			/* [dhcp] router_advertisement at start */
	bool stopped;
	int fd;				/* UDP 67 */
	int fd_pxe;			/* UDP 4011 */
	int raw_fd;			/* AF_PACKET sends */
	struct dhcp_iface ifaces[DHCP_MAX_IFACES];
	unsigned nr_ifaces;

	/* from the config (reload replaces them) */
	struct lease_plan plan;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned nr_dns;
	char domain[256];
	uint32_t lease_time;
	uint32_t server_address;	/* [server] address, 0 = the interface's */

	struct lease_table *leases;	/* full mode */
	char *leases_path;
	int64_t res_loaded;		/* when the reservations were read (s) */
	struct ev_timer *expire_timer;
	struct rogue *rogue;
	struct ra *ra;

	uint64_t counters[CNT_COUNT];
	struct dhcp_request req;	/* the request being handled (large) */
	uint8_t rx[DHCP_MAX_LEN];
	uint8_t tx[DHCP_TX_LEN];
	struct dhcp_pending *pending;	/* DHCP_RX_BUDGET replies of one read batch */
	unsigned npending;
	bool in_batch;			/* replies are held, lease writes deferred */
	bool leases_dirty;		/* a lease changed in this batch */
};

/** The request being answered: where it came from and what it needs. */
struct dhcp_ctx {
	const struct dhcp_iface *ifc;	/* into s->ifaces: stable within one read */
	bool pxe_port;			/* arrived on 4011 */
	uint32_t src_ip;		/* IP source of the request */
	uint16_t src_port;
	char mac[MAC_STR_LEN];
	int subnet;			/* index in the plan, -1 = none */
	uint32_t our_ip;		/* our address for this client (option 54) */
	uint32_t server_ip;		/* what the client is told to boot from */
	int arch;			/* option 93, -1 = none */
	int boot_rc;			/* bootcfg_choose(), or -ENOENT */
	struct boot_choice boot;
};

/* A reply held until the leases of its batch are on disk (see dhcp_read_cb). */
struct dhcp_pending {
	struct dhcp_ctx x;		/* where it goes */
	struct dhcp_header hdr;		/* the request's header */
	uint32_t yiaddr;
	bool nak;
	size_t len;
	uint8_t buf[DHCP_TX_LEN];
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static const char *mode_name(const struct dhcp_server *s)
{
	return s->mode == DHCP_MODE_FULL ? "full" : "proxy";
}

/* ---- configuration ------------------------------------------------------ */

/**
 * parse_addr_list() - a comma list of IPv4 addresses.
 * @what: the key, for messages
 * @list: the value
 * @out: addresses
 * @max: room in @out
 * @n: how many
 * Return: 0 or -EINVAL (+ @err).
 */
static int parse_addr_list(const char *what, const char *list, uint32_t *out, unsigned max,
			   unsigned *n, char *err, size_t errlen)
{
	char **items = NULL;
	size_t k, i;
	int rc = 0;

	*n = 0;
	if (split_list(list ? list : "", &items, &k) < 0) {
		err_set(err, errlen, "[dhcp] %s: empty item in '%s'", what, list);
		return -EINVAL;
	}
	if (k > max) {
		err_set(err, errlen, "[dhcp] %s: more than %u addresses", what, max);
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (parse_ipv4(items[i], &out[i]) < 0) {
			err_set(err, errlen, "[dhcp] %s: '%s' is not an IPv4 address", what,
				items[i]);
			rc = -EINVAL;
			goto out;
		}
	}
	*n = (unsigned)k;
out:
	split_list_free(items);
	return rc;
}

/**
 * apply_config() - read the values of bd->cfg that can change on reload.
 * Nothing changes when a value is bad.
 * Return: 0 or -EINVAL (+ @err).
 */
static int apply_config(struct dhcp_server *s, char *err, size_t errlen)
{
	const struct lr_config *cfg = &s->bd->cfg;
	struct lease_subnet nets[DHCP_MAX_IFACES * DHCP_MAX_IFACE_ADDRS];
	struct lease_plan *plan = xmalloc(sizeof(*plan));
	uint32_t dns[DHCP_MAX_DNS], addr = 0;
	unsigned nr_dns, nr_nets = 0, i, j;
	int rc;

	for (i = 0; i < s->nr_ifaces; i++) {
		for (j = 0; j < s->ifaces[i].nr_addrs; j++) {
			nets[nr_nets].prefix = s->ifaces[i].prefixes[j];
			nets[nr_nets].net = s->ifaces[i].addrs[j] & ipv4_mask(nets[nr_nets].prefix);
			nets[nr_nets].router = 0;
			nr_nets++;
		}
	}
	if (s->mode == DHCP_MODE_FULL) {
		rc = lease_plan_parse(plan, cfg->dhcp_range, cfg->dhcp_subnet, cfg->dhcp_router,
				      nets, nr_nets, err, errlen);
		if (rc < 0)
			goto out;
		if (plan->nr_ranges == 0) {
			err_set(err, errlen, "[dhcp] range: full mode needs at least one range");
			rc = -EINVAL;
			goto out;
		}
	} else {
		memset(plan, 0, sizeof(*plan));
	}
	rc = parse_addr_list("dns", cfg->dhcp_dns, dns, DHCP_MAX_DNS, &nr_dns, err, errlen);
	if (rc < 0)
		goto out;
	if (cfg->server_address && cfg->server_address[0] &&
	    parse_ipv4(cfg->server_address, &addr) < 0) {
		err_set(err, errlen, "[server] address: '%s' is not an IPv4 address",
			cfg->server_address);
		rc = -EINVAL;
		goto out;
	}
	if (cfg->dhcp_domain && strlen(cfg->dhcp_domain) >= sizeof(s->domain)) {
		err_set(err, errlen, "[dhcp] domain: longer than %zu characters",
			sizeof(s->domain) - 1);
		rc = -EINVAL;
		goto out;
	}
	if (s->rogue) {
		rc = rogue_configure(s->rogue, cfg->dhcp_allowed_servers,
				     cfg->dhcp_rogue_probe_interval, err, errlen);
		if (rc < 0)
			goto out;
	}
	s->plan = *plan;
	if (s->leases)
		lease_table_set_plan(s->leases, plan);
	memcpy(s->dns, dns, sizeof(dns));
	s->nr_dns = nr_dns;
	str_copy(s->domain, sizeof(s->domain), cfg->dhcp_domain ? cfg->dhcp_domain : "");
	s->lease_time = cfg->dhcp_lease_time;
	s->server_address = addr;
	s->res_loaded = 0;	/* read the reservations again */
	rc = 0;
out:
	free(plan);
	return rc;
}

/**
 * client_reserved_ip() - the address the registry reserves for @c, as
 * text ("" = none).
 */
static const char *client_reserved_ip(const struct reg_client *c)
{
	return c->ip;
}

/**
 * refresh_reservations() - read the static reservations from the registry
 * when the copy is older than DHCP_RES_REFRESH seconds.
 */
static void refresh_reservations(struct dhcp_server *s, int64_t now)
{
	struct reg_client *clients = NULL;
	struct lease_reservation *res;
	size_t n = 0, i, k = 0;

	if (!s->leases || (s->res_loaded && now - s->res_loaded < DHCP_RES_REFRESH &&
			   now >= s->res_loaded))
		return;
	if (!s->bd->st || !s->bd->st->reg)
		return;
	s->res_loaded = now;
	if (registry_client_list(s->bd->st->reg, &clients, &n) < 0) {
		log_warn("dhcp: cannot read the clients' reservations: %s",
			 registry_error(s->bd->st->reg));
		return;
	}
	res = xcalloc(n ? n : 1, sizeof(*res));
	for (i = 0; i < n; i++) {
		const char *ip = client_reserved_ip(&clients[i]);

		if (!ip[0] || parse_ipv4(ip, &res[k].ip) < 0 ||
		    mac_parse(clients[i].mac, res[k].mac) < 0)
			continue;
		k++;
	}
	lease_table_set_reservations(s->leases, res, k);
	free(res);
	free(clients);
}

/* ---- interfaces --------------------------------------------------------- */

/**
 * iface_get() - the entry of interface @name, created when missing.
 * Return: the entry, or NULL when the table is full.
 */
static struct dhcp_iface *iface_get(struct dhcp_server *s, const char *name)
{
	struct dhcp_iface *ifc;
	unsigned i;

	for (i = 0; i < s->nr_ifaces; i++)
		if (!strcmp(s->ifaces[i].name, name))
			return &s->ifaces[i];
	if (s->nr_ifaces >= DHCP_MAX_IFACES)
		return NULL;
	ifc = &s->ifaces[s->nr_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	str_copy(ifc->name, sizeof(ifc->name), name);
	return ifc;
}

/**
 * find_ifaces() - the interfaces to serve: those [dhcp] interface names,
 * or every interface with an IPv4 address but loopback.  Each needs an
 * IPv4 address.
 * Return: 0 or -errno (+ @err).
 */
static int find_ifaces(struct dhcp_server *s, char *err, size_t errlen)
{
	struct ifaddrs *ifa = NULL, *a;
	char **names = NULL;
	size_t nr_names = 0, i;
	unsigned k;
	int rc;

	if (split_list(s->iface_spec, &names, &nr_names) < 0) {
		err_set(err, errlen, "[dhcp] interface: empty item in '%s'", s->iface_spec);
		return -EINVAL;
	}
	if (getifaddrs(&ifa) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot list the network interfaces: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < nr_names; i++) {
		if (strlen(names[i]) >= IFNAMSIZ || !if_nametoindex(names[i])) {
			err_set(err, errlen, "[dhcp] interface: no interface '%s'", names[i]);
			rc = -ENOENT;
			goto out;
		}
		if (!iface_get(s, names[i])) {
			err_set(err, errlen, "[dhcp] interface: more than %d interfaces",
				DHCP_MAX_IFACES);
			rc = -EINVAL;
			goto out;
		}
	}
	for (a = ifa; a; a = a->ifa_next) {
		struct dhcp_iface *ifc = NULL;
		const struct sockaddr_in *sin, *mask;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET)
			continue;
		if (nr_names) {
			for (k = 0; k < s->nr_ifaces; k++)
				if (!strcmp(s->ifaces[k].name, a->ifa_name))
					ifc = &s->ifaces[k];
		} else if (!(a->ifa_flags & IFF_LOOPBACK) && strlen(a->ifa_name) < IFNAMSIZ) {
			ifc = iface_get(s, a->ifa_name);
		}
		if (!ifc || ifc->nr_addrs >= DHCP_MAX_IFACE_ADDRS)
			continue;
		sin = (const struct sockaddr_in *)a->ifa_addr;
		mask = (const struct sockaddr_in *)a->ifa_netmask;
		ifc->addrs[ifc->nr_addrs] = ntohl(sin->sin_addr.s_addr);
		ifc->prefixes[ifc->nr_addrs] =
			mask ? (unsigned)__builtin_popcount(ntohl(mask->sin_addr.s_addr)) : 32;
		ifc->nr_addrs++;
	}
	for (a = ifa; a; a = a->ifa_next) {
		const struct sockaddr_ll *sll;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET)
			continue;
		sll = (const struct sockaddr_ll *)a->ifa_addr;
		for (k = 0; k < s->nr_ifaces; k++)
			if (!strcmp(s->ifaces[k].name, a->ifa_name) && sll->sll_halen == MAC_LEN)
				memcpy(s->ifaces[k].mac, sll->sll_addr, MAC_LEN);
	}
	for (k = 0; k < s->nr_ifaces; k++) {
		s->ifaces[k].ifindex = (int)if_nametoindex(s->ifaces[k].name);
		if (!s->ifaces[k].nr_addrs || !s->ifaces[k].ifindex) {
			err_set(err, errlen, "[dhcp] interface: %s has no IPv4 address",
				s->ifaces[k].name);
			rc = -ENOENT;
			goto out;
		}
	}
	if (!s->nr_ifaces) {
		err_set(err, errlen, "[dhcp] interface: no interface with an IPv4 address "
			"(loopback aside) to serve DHCP on");
		rc = -ENOENT;
		goto out;
	}
	rc = 0;
out:
	if (ifa)
		freeifaddrs(ifa);
	split_list_free(names);
	return rc;
}

/** iface_by_index() - the served interface with @ifindex, or NULL. */
static const struct dhcp_iface *iface_by_index(const struct dhcp_server *s, int ifindex)
{
	unsigned i;

	for (i = 0; i < s->nr_ifaces; i++)
		if (s->ifaces[i].ifindex == ifindex)
			return &s->ifaces[i];
	return NULL;
}

/* ---- sending ------------------------------------------------------------ */

/**
 * send_udp() - send @len bytes of @buf from our socket @fd to @dst:@port,
 * out of @ifc when @ifc is set (the kernel routes otherwise), from @src.
 * Return: 0 or -errno.
 */
static int send_udp(int fd, const struct dhcp_iface *ifc, uint32_t src, uint32_t dst,
		    uint16_t port, const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *c;
	struct in_pktinfo pi;

	to.sin_addr.s_addr = htonl(dst);
	to.sin_port = htons(port);
	memset(&cbuf, 0, sizeof(cbuf));
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = ifc ? ifc->ifindex : 0;
	pi.ipi_spec_dst.s_addr = htonl(src);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(fd, &mh, 0) < 0)
		return -errno;
	return 0;
}

/**
 * send_now() - send the reply @buf where RFC 2131 section 4.1 says: to the
 * relay (giaddr), to the client's address (ciaddr), by broadcast
 * (broadcast flag, NAK, no address offered, not Ethernet), else to the
 * client's MAC with the offered address.  Requests on port 4011 are
 * answered to where they came from.
 * @h: the request's header
 * @yiaddr: the address in the reply
 * @nak: the reply is a DHCPNAK
 */
static void send_now(struct dhcp_server *s, const struct dhcp_ctx *x,
		     const struct dhcp_header *h, const uint8_t *buf, size_t len,
		     uint32_t yiaddr, bool nak)
{
	int fd = x->pxe_port ? s->fd_pxe : s->fd;
	char where[64], ip[IPV4_STR_LEN];
	int rc;

	if (x->pxe_port && x->src_ip) {
		rc = send_udp(fd, NULL, x->our_ip, x->src_ip, x->src_port, buf, len);
		snprintf(where, sizeof(where), "%s:%u", ipv4_str(x->src_ip, ip), x->src_port);
	} else if (h->giaddr) {
		rc = send_udp(s->fd, NULL, x->our_ip, h->giaddr, DHCP_SERVER_PORT, buf, len);
		snprintf(where, sizeof(where), "relay %s", ipv4_str(h->giaddr, ip));
	} else if (h->ciaddr && !nak) {
		rc = send_udp(fd, NULL, x->our_ip, h->ciaddr, DHCP_CLIENT_PORT, buf, len);
		snprintf(where, sizeof(where), "%s", ipv4_str(h->ciaddr, ip));
	} else if (nak || (h->flags & DHCP_FLAG_BROADCAST) || !yiaddr ||
		   h->htype != DHCP_HTYPE_ETHER || h->hlen != DHCP_ETHER_LEN || s->raw_fd < 0) {
		rc = send_udp(fd, x->ifc, x->our_ip, IPV4_BROADCAST,
			      x->pxe_port ? x->src_port : DHCP_CLIENT_PORT, buf, len);
		snprintf(where, sizeof(where), "broadcast on %s", x->ifc->name);
	} else {
		rc = rawsend_udp(s->raw_fd, x->ifc->ifindex, h->chaddr, x->our_ip,
				 DHCP_SERVER_PORT, yiaddr, DHCP_CLIENT_PORT, buf, len);
		snprintf(where, sizeof(where), "%s at %s on %s", ipv4_str(yiaddr, ip), x->mac,
			 x->ifc->name);
	}
	if (rc < 0) {
		s->counters[CNT_SEND_ERRORS]++;
		log_warn("dhcp: cannot send a reply to %s (%s): %s", x->mac, where, strerror(-rc));
	} else {
		log_debug("dhcp: reply to %s sent to %s", x->mac, where);
	}
}

/**
 * send_reply() - send the reply in s->tx to the request in s->req, or,
 * inside a read batch, hold it until the batch's leases are saved.
 */
static void send_reply(struct dhcp_server *s, const struct dhcp_ctx *x, size_t len,
		       uint32_t yiaddr, bool nak)
{
	struct dhcp_pending *p;

	if (!s->in_batch || s->npending >= DHCP_RX_BUDGET || len > sizeof(p->buf)) {
		send_now(s, x, &s->req.hdr, s->tx, len, yiaddr, nak);
		return;
	}
	p = &s->pending[s->npending++];
	p->x = *x;
	p->hdr = s->req.hdr;
	p->yiaddr = yiaddr;
	p->nak = nak;
	p->len = len;
	memcpy(p->buf, s->tx, len);
}

/* ---- building replies --------------------------------------------------- */

/**
 * put_pxe_vendor() - option 43 for a PXEClient.  In proxy mode a boot
 * server list and a one-item menu with no prompt (the shape PXE ROMs
 * follow most reliably: they ask for item 0x8000 on port 4011); in full
 * mode "boot the file in this offer".  On port 4011 the boot item asked
 * for is echoed (PXE 2.1 section 2.2.5).
 * Return: 0 or -ENOBUFS.
 */
static int put_pxe_vendor(struct dhcp_server *s, const struct dhcp_ctx *x,
			  struct dhcp_builder *b)
{
	const struct dhcp_request *req = &s->req;
	uint8_t v[PXE_VENDOR_LEN];
	size_t pos = 0;
	int rc;

	if (x->pxe_port || req->msg_type == DHCP_REQUEST) {
		if (x->pxe_port || s->mode == DHCP_MODE_PROXY) {
			rc = pxe_put_boot_item(v, sizeof(v), &pos,
					       req->has_boot_item ? req->boot_item_type
					       : PXE_BOOT_SERVER_TYPE,
					       req->has_boot_item ? req->boot_item_layer : 0);
		} else {
			rc = pxe_put_discovery_control(v, sizeof(v), &pos, PXE_DISC_NO_BROADCAST |
						       PXE_DISC_NO_MULTICAST |
						       PXE_DISC_USE_BOOTFILE);
		}
	} else if (s->mode == DHCP_MODE_PROXY) {
		uint32_t addr = x->server_ip;

		rc = pxe_put_discovery_control(v, sizeof(v), &pos,
					       PXE_DISC_NO_BROADCAST | PXE_DISC_NO_MULTICAST);
		if (rc == 0)
			rc = pxe_put_menu_prompt(v, sizeof(v), &pos, 0, PXE_PROMPT_TEXT);
		if (rc == 0)
			rc = pxe_put_boot_server(v, sizeof(v), &pos, PXE_BOOT_SERVER_TYPE, &addr, 1);
		if (rc == 0)
			rc = pxe_put_boot_menu(v, sizeof(v), &pos, PXE_BOOT_SERVER_TYPE,
					       PXE_MENU_TEXT);
	} else {
		rc = pxe_put_discovery_control(v, sizeof(v), &pos, PXE_DISC_NO_BROADCAST |
					       PXE_DISC_NO_MULTICAST | PXE_DISC_USE_BOOTFILE);
	}
	if (rc == 0)
		rc = pxe_put_end(v, sizeof(v), &pos);
	if (rc < 0)
		return rc;
	return dhcp_build_option(b, DHCP_OPT_VENDOR, v, pos);
}

/**
 * finish_reply() - end a reply: a relayed request's option 82 is echoed
 * whole, as the last option (RFC 3046 section 2.2), then END.
 * Return: the length, or -errno.
 */
static int finish_reply(const struct dhcp_request *req, struct dhcp_builder *b)
{
	int rc;

	if (req->hdr.giaddr && req->relay_agent.ptr) {
		rc = dhcp_build_option(b, DHCP_OPT_RELAY_AGENT, req->relay_agent.ptr,
				       req->relay_agent.len);
		if (rc < 0)
			return rc;
	}
	return dhcp_build_finish(b);
}

/**
 * build_reply() - the reply to s->req in s->tx.
 * @type: DHCP_OFFER, DHCP_ACK or DHCP_NAK
 * @yiaddr: the client's address (0: none, as in proxy replies and INFORM)
 * @lease: add the lease time, T1 and T2
 * @nak_msg: option 56 text of a NAK, or NULL
 * Return: the length, or -errno.
 */
static int build_reply(struct dhcp_server *s, const struct dhcp_ctx *x, uint8_t type,
		       uint32_t yiaddr, bool lease, const char *nak_msg)
{
	const struct dhcp_request *req = &s->req;
	bool boot = type != DHCP_NAK && x->boot_rc == 0;
	struct dhcp_builder b;
	struct dhcp_header h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.op = DHCP_OP_BOOTREPLY;
	h.htype = req->hdr.htype;
	h.hlen = req->hdr.hlen;
	h.xid = req->hdr.xid;
	h.flags = req->hdr.flags;
	h.giaddr = req->hdr.giaddr;
	memcpy(h.chaddr, req->hdr.chaddr, DHCP_CHADDR_LEN);
	if (type != DHCP_NAK) {
		h.ciaddr = type == DHCP_ACK ? req->hdr.ciaddr : 0;
		h.yiaddr = yiaddr;
	}
	if (boot) {
		h.siaddr = x->server_ip;
		/* a URL longer than the file field goes in option 67 only */
		if (strlen(x->boot.file) < DHCP_FILE_LEN)
			memcpy(h.file, x->boot.file, strlen(x->boot.file));
	}
	rc = dhcp_build_start(&b, s->tx, sizeof(s->tx), req->max_size, &h, type);
	if (rc < 0)
		return rc;
	rc = dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, x->our_ip);
	if (rc < 0)
		return rc;
	if (type == DHCP_NAK) {
		if (nak_msg)
			dhcp_build_string(&b, DHCP_OPT_MESSAGE, nak_msg);
		return finish_reply(req, &b);
	}
	if (lease) {
		rc = dhcp_build_u32(&b, DHCP_OPT_LEASE_TIME, s->lease_time);
		if (rc == 0)
			rc = dhcp_build_u32(&b, DHCP_OPT_RENEWAL_TIME,
					    (uint32_t)((uint64_t)s->lease_time * DHCP_T1_NUM /
						       DHCP_T1_DEN));
		if (rc == 0)
			rc = dhcp_build_u32(&b, DHCP_OPT_REBINDING_TIME,
					    (uint32_t)((uint64_t)s->lease_time * DHCP_T2_NUM /
						       DHCP_T2_DEN));
		if (rc < 0)
			return rc;
	}
	/* the network options: full mode, and only for a subnet we know */
	if (s->mode == DHCP_MODE_FULL && x->subnet >= 0 && !x->pxe_port) {
		const struct lease_subnet *sn = &s->plan.subnets[x->subnet];
		uint8_t dns[DHCP_MAX_DNS * 4];
		unsigned i;

		rc = dhcp_build_u32(&b, DHCP_OPT_SUBNET_MASK, ipv4_mask(sn->prefix));
		if (rc == 0 && sn->router)
			rc = dhcp_build_u32(&b, DHCP_OPT_ROUTER, sn->router);
		for (i = 0; i < s->nr_dns; i++)
			put_be32(dns + 4 * i, s->dns[i]);
		if (rc == 0 && s->nr_dns)
			rc = dhcp_build_option(&b, DHCP_OPT_DNS, dns, 4 * s->nr_dns);
		if (rc == 0 && s->domain[0])
			rc = dhcp_build_string(&b, DHCP_OPT_DOMAIN_NAME, s->domain);
		if (rc < 0)
			return rc;
	}
	if (boot) {
		char ip[IPV4_STR_LEN];

		if (x->boot.vendor_class[0] && (req->is_pxe || req->is_http))
			dhcp_build_string(&b, DHCP_OPT_VENDOR_CLASS, x->boot.vendor_class);
		if (req->is_pxe && !x->boot.is_url)
			put_pxe_vendor(s, x, &b);
		if (req->has_uuid && (req->is_pxe || req->is_http)) {
			uint8_t u[1 + DHCP_UUID_LEN];

			u[0] = DHCP_UUID_TYPE;
			memcpy(u + 1, req->uuid, DHCP_UUID_LEN);
			dhcp_build_option(&b, DHCP_OPT_CLIENT_UUID, u, sizeof(u));
		}
		if (!x->boot.is_url && dhcp_param_requested(req, DHCP_OPT_TFTP_SERVER))
			dhcp_build_string(&b, DHCP_OPT_TFTP_SERVER, ipv4_str(x->server_ip, ip));
		if (x->boot.is_url || dhcp_param_requested(req, DHCP_OPT_BOOTFILE) ||
		    strlen(x->boot.file) >= DHCP_FILE_LEN)
			dhcp_build_string(&b, DHCP_OPT_BOOTFILE, x->boot.file);
	}
	return finish_reply(req, &b);
}

/* ---- events ------------------------------------------------------------- */

/**
 * dhcp_event() - log a dhcp.* event for the request in hand.
 * @name: EV_DHCP_*
 * @ip: the address concerned, 0 = none
 * @boot: include the boot file (when there is one)
 */
static void dhcp_event(struct dhcp_server *s, const struct dhcp_ctx *x, const char *name,
		       uint32_t ip, bool boot)
{
	char ipbuf[IPV4_STR_LEN];

	log_event(name, "{s:s, s:s*, s:s, s:s, s:i, s:s*, s:s*}", "mac", x->mac,
		  "ip", ip ? ipv4_str(ip, ipbuf) : NULL, "interface", x->ifc->name,
		  "mode", mode_name(s), "arch", x->arch,
		  "boot_file", boot && x->boot_rc == 0 ? x->boot.file : NULL,
		  "reason", boot && x->boot_rc != 0 && x->boot.reason[0] ? x->boot.reason : NULL);
}

/* ---- answering ---------------------------------------------------------- */

/**
 * choose_boot() - ask bootcfg for the client's boot file (x->boot_rc,
 * x->boot).
 */
static void choose_boot(struct dhcp_server *s, struct dhcp_ctx *x)
{
	memset(&x->boot, 0, sizeof(x->boot));
	x->boot_rc = s->bd->boot ? bootcfg_choose(s->bd->boot, &s->req, x->mac, x->server_ip,
						  &x->boot)
				 : -ENOENT;
	if (x->boot_rc == 0 && !x->boot.file[0])
		x->boot_rc = -ENOENT;
	if (x->boot_rc < 0)
		log_debug("dhcp: no boot file for %s (arch %d): %s", x->mac, x->arch,
			  x->boot.reason[0] ? x->boot.reason : strerror(-x->boot_rc));
}

/**
 * answer() - build and send a reply; count it and log its event.
 * Return: 0 or -errno (not sent).
 */
static int answer(struct dhcp_server *s, const struct dhcp_ctx *x, uint8_t type,
		  uint32_t yiaddr, bool lease, const char *nak_msg)
{
	int len = build_reply(s, x, type, yiaddr, lease, nak_msg);

	if (len < 0) {
		log_warn("dhcp: cannot build a reply for %s: %s", x->mac, strerror(-len));
		return len;
	}
	send_reply(s, x, (size_t)len, yiaddr, type == DHCP_NAK);
	switch (type) {
	case DHCP_OFFER:
		s->counters[CNT_OFFER]++;
		dhcp_event(s, x, EV_DHCP_OFFER, yiaddr, true);
		break;
	case DHCP_ACK:
		s->counters[CNT_ACK]++;
		dhcp_event(s, x, EV_DHCP_ACK, yiaddr ? yiaddr : s->req.hdr.ciaddr, true);
		break;
	default:
		s->counters[CNT_NAK]++;
		dhcp_event(s, x, EV_DHCP_NAK, s->req.has_requested_ip ? s->req.requested_ip
			   : s->req.hdr.ciaddr, false);
		break;
	}
	return 0;
}

/** ignore() - drop the request, saying why at debug level. */
static void ignore(struct dhcp_server *s, const struct dhcp_ctx *x, const char *why)
{
	s->counters[CNT_IGNORED]++;
	log_debug("dhcp: ignored a message from %s on %s: %s", x->mac, x->ifc->name, why);
}

/**
 * save_leases() - write the leases file before an ACK leaves.  Inside a
 * read batch the write is done once for the whole batch, before its
 * replies are sent (flush_batch()): one fdatasync for many clients.
 */
static void save_leases(struct dhcp_server *s)
{
	char err[512];

	if (s->in_batch) {
		s->leases_dirty = true;
		return;
	}
	if (lease_table_save(s->leases, s->leases_path, err, sizeof(err)) < 0)
		log_err("dhcp: %s (the lease is granted anyway)", err);
}

/**
 * flush_batch() - end a read batch: save the leases if any changed, then
 * send the replies held, in order.
 */
static void flush_batch(struct dhcp_server *s)
{
	unsigned i;

	s->in_batch = false;
	if (s->leases_dirty) {
		s->leases_dirty = false;
		save_leases(s);
	}
	for (i = 0; i < s->npending; i++) {
		struct dhcp_pending *p = &s->pending[i];

		send_now(s, &p->x, &p->hdr, p->buf, p->len, p->yiaddr, p->nak);
	}
	s->npending = 0;
}

/** full_discover() - DHCPDISCOVER in full mode: offer an address. */
static void full_discover(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;
	int64_t now = wall_now();
	uint8_t mac[MAC_LEN];
	uint32_t ip;
	size_t cap;

	memcpy(mac, req->hdr.chaddr, MAC_LEN);
	if (x->subnet < 0) {
		ignore(s, x, "no [dhcp] subnet for its network");
		return;
	}
	refresh_reservations(s, now);
	cap = s->plan.pool_size < DHCP_MAX_OFFERS ? s->plan.pool_size : DHCP_MAX_OFFERS;
	if (!lease_find_mac(s->leases, mac, x->subnet, now) &&
	    lease_count_offers(s->leases, now) >= cap) {
		ignore(s, x, "too many offers outstanding");
		return;
	}
	if (lease_allocate(s->leases, mac, x->subnet, req->has_requested_ip ?
			   req->requested_ip : 0, now, &ip) < 0) {
		s->counters[CNT_IGNORED]++;
		log_warn("dhcp: no free address for %s on %s: the pool is exhausted", x->mac,
			 x->ifc->name);
		return;
	}
	if (lease_offer(s->leases, mac, ip, now, now + LEASE_OFFER_HOLD) < 0) {
		ignore(s, x, "lease table full");
		return;
	}
	choose_boot(s, x);
	answer(s, x, DHCP_OFFER, ip, true, NULL);
}

/**
 * full_request() - DHCPREQUEST in full mode (RFC 2131 section 4.3.2):
 * SELECTING (server id), INIT-REBOOT (requested address, no ciaddr),
 * RENEWING / REBINDING (ciaddr).
 */
static void full_request(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;
	const char *hostname = NULL;
	char host[LEASE_HOSTNAME_LEN];
	struct dhcp_bytes hb;
	int64_t now = wall_now();
	uint8_t mac[MAC_LEN];
	uint32_t ip;

	memcpy(mac, req->hdr.chaddr, MAC_LEN);
	if (req->has_server_id) {
		if (req->server_id != x->our_ip) {
			/* it chose another server: our offer is free again */
			if (req->has_requested_ip)
				lease_release(s->leases, mac, req->requested_ip, now);
			ignore(s, x, "it chose another server");
			return;
		}
		if (!req->has_requested_ip) {
			answer(s, x, DHCP_NAK, 0, false, "no requested address");
			return;
		}
		ip = req->requested_ip;
	} else if (req->hdr.ciaddr) {
		ip = req->hdr.ciaddr;
	} else if (req->has_requested_ip) {
		ip = req->requested_ip;
	} else {
		ignore(s, x, "a request without an address");
		return;
	}
	if (x->subnet < 0) {
		ignore(s, x, "no [dhcp] subnet for its network");
		return;
	}
	refresh_reservations(s, now);
	if (lease_plan_subnet_of(&s->plan, ip) != x->subnet) {
		answer(s, x, DHCP_NAK, 0, false, "wrong network");
		return;
	}
	if (!lease_may_use(s->leases, mac, ip, now)) {
		answer(s, x, DHCP_NAK, 0, false, "address not available");
		return;
	}
	if (dhcp_get_option(req, DHCP_OPT_HOSTNAME, &hb)) {
		lease_sanitize_hostname(hb.ptr, hb.len, host);
		hostname = host;
	}
	if (lease_bind(s->leases, mac, ip, now, now + s->lease_time, hostname) < 0) {
		answer(s, x, DHCP_NAK, 0, false, "address not available");
		return;
	}
	save_leases(s);
	clientmap_learn(s->bd->clients, ip, x->mac, req->has_uuid ? req->uuid : NULL);
	choose_boot(s, x);
	answer(s, x, DHCP_ACK, ip, true, NULL);
}

/** full_decline() - DHCPDECLINE: the address is in use; quarantine it. */
static void full_decline(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;
	int64_t now = wall_now();

	dhcp_event(s, x, EV_DHCP_DECLINE, req->has_requested_ip ? req->requested_ip : 0, false);
	if ((req->has_server_id && req->server_id != x->our_ip) || !req->has_requested_ip)
		return;
	if (lease_decline(s->leases, req->hdr.chaddr, req->requested_ip,
			  now + LEASE_DECLINE_HOLD) == 0) {
		char ip[IPV4_STR_LEN];

		log_warn("dhcp: %s says %s is in use by another machine; not handing it out "
			 "for %d s", x->mac, ipv4_str(req->requested_ip, ip), LEASE_DECLINE_HOLD);
		save_leases(s);
	}
}

/** full_release() - DHCPRELEASE: the client gives its address back. */
static void full_release(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;

	dhcp_event(s, x, EV_DHCP_RELEASE, req->hdr.ciaddr, false);
	if (req->has_server_id && req->server_id != x->our_ip)
		return;
	if (lease_release(s->leases, req->hdr.chaddr, req->hdr.ciaddr, wall_now()) == 0)
		save_leases(s);
}

/** full_inform() - DHCPINFORM: configuration, no address. */
static void full_inform(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;

	if (!req->hdr.ciaddr) {
		ignore(s, x, "DHCPINFORM without ciaddr");
		return;
	}
	if (x->subnet < 0)
		x->subnet = lease_plan_subnet_of(&s->plan, req->hdr.ciaddr);
	clientmap_learn(s->bd->clients, req->hdr.ciaddr, x->mac, req->has_uuid ? req->uuid : NULL);
	choose_boot(s, x);
	answer(s, x, DHCP_ACK, 0, false, NULL);
}

/**
 * proxy_answer() - proxyDHCP (PXE 2.1 section 2.2.2): boot information and
 * no address, to PXE and HTTP Boot clients only; everyone else, and
 * clients without a boot file, hear nothing.
 */
static void proxy_answer(struct dhcp_server *s, struct dhcp_ctx *x, uint8_t type)
{
	const struct dhcp_request *req = &s->req;

	if (!req->is_pxe && !req->is_http) {
		ignore(s, x, "not a PXE or HTTP Boot client");
		return;
	}
	choose_boot(s, x);
	if (x->boot_rc < 0) {
		ignore(s, x, x->boot.reason[0] ? x->boot.reason : "no boot file for it");
		return;
	}
	/* on 4011 the client has its address: echo it, as PXE servers do */
	answer(s, x, type, x->pxe_port ? req->hdr.ciaddr : 0, false, NULL);
}

/**
 * handle_request() - one parsed message from a client (s->req).
 */
static void handle_request(struct dhcp_server *s, struct dhcp_ctx *x)
{
	const struct dhcp_request *req = &s->req;
	unsigned i;

	mac_format(req->hdr.chaddr, x->mac);
	x->arch = req->has_arch ? req->arch : -1;
	x->boot_rc = -ENOENT;
	/* which subnet: the relay's, else the interface's (RFC 2131 4.3.1) */
	x->subnet = -1;
	x->our_ip = x->ifc->addrs[0];
	if (s->mode == DHCP_MODE_FULL) {
		if (req->hdr.giaddr) {
			x->subnet = lease_plan_subnet_of(&s->plan, req->hdr.giaddr);
		} else {
			for (i = 0; i < x->ifc->nr_addrs && x->subnet < 0; i++) {
				x->subnet = lease_plan_subnet_of(&s->plan, x->ifc->addrs[i]);
				if (x->subnet >= 0)
					x->our_ip = x->ifc->addrs[i];
			}
		}
	}
	x->server_ip = s->server_address ? s->server_address : x->our_ip;
	/* in proxy mode the rest of the segment is the site server's
	 * business: no events for it */
	if (s->mode == DHCP_MODE_PROXY && !req->is_pxe && !req->is_http) {
		ignore(s, x, "not a PXE or HTTP Boot client");
		return;
	}
	clientmap_learn(s->bd->clients, req->hdr.ciaddr, x->mac, req->has_uuid ? req->uuid : NULL);

	switch (req->msg_type) {
	case DHCP_DISCOVER:
		s->counters[CNT_DISCOVER]++;
		dhcp_event(s, x, EV_DHCP_DISCOVER, req->has_requested_ip ? req->requested_ip : 0,
			   false);
		if (x->pxe_port)
			ignore(s, x, "DHCPDISCOVER on the boot server port");
		else if (s->mode == DHCP_MODE_FULL)
			full_discover(s, x);
		else
			proxy_answer(s, x, DHCP_OFFER);
		break;
	case DHCP_REQUEST:
		s->counters[CNT_REQUEST]++;
		dhcp_event(s, x, EV_DHCP_REQUEST, req->has_requested_ip ? req->requested_ip
			   : req->hdr.ciaddr, false);
		if (x->pxe_port)
			proxy_answer(s, x, DHCP_ACK);
		else if (s->mode == DHCP_MODE_FULL)
			full_request(s, x);
		else if (req->has_server_id && req->server_id == x->our_ip)
			proxy_answer(s, x, DHCP_ACK);
		else
			ignore(s, x, "a request for the site's DHCP server");
		break;
	case DHCP_DECLINE:
		s->counters[CNT_DECLINE]++;
		if (s->mode == DHCP_MODE_FULL && !x->pxe_port)
			full_decline(s, x);
		break;
	case DHCP_RELEASE:
		s->counters[CNT_RELEASE]++;
		if (s->mode == DHCP_MODE_FULL && !x->pxe_port)
			full_release(s, x);
		break;
	case DHCP_INFORM:
		s->counters[CNT_INFORM]++;
		dhcp_event(s, x, EV_DHCP_INFORM, req->hdr.ciaddr, false);
		if (s->mode == DHCP_MODE_FULL && !x->pxe_port)
			full_inform(s, x);
		else
			ignore(s, x, "DHCPINFORM is for the site's DHCP server");
		break;
	default:
		ignore(s, x, req->msg_type ? "not a client message" : "BOOTP is not served");
		break;
	}
}

/**
 * dhcp_read_cb() - datagrams on port 67 or 4011.
 */
static void dhcp_read_cb(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct dhcp_server *s = arg;
	int budget = DHCP_RX_BUDGET;

	(void)loop;
	(void)events;
	s->in_batch = true;
	while (budget-- > 0 && !s->stopped) {
		union {
			char buf[DHCP_CMSG_LEN];
			struct cmsghdr align;
		} cbuf;
		struct sockaddr_in src;
		struct iovec iov = { s->rx, sizeof(s->rx) };
		struct msghdr mh = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
		};
		struct dhcp_ctx x;
		struct cmsghdr *c;
		char msg[DHCP_MSG_LEN], ip[IPV4_STR_LEN];
		int ifindex = 0;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (n < 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				ifindex = pi.ipi_ifindex;
			}
		}
		memset(&x, 0, sizeof(x));
		x.ifc = iface_by_index(s, ifindex);
		x.pxe_port = fd == s->fd_pxe;
		x.src_ip = ntohl(src.sin_addr.s_addr);
		x.src_port = ntohs(src.sin_port);
		if (!x.ifc) {
			s->counters[CNT_IGNORED]++;
			continue;	/* not an interface we serve */
		}
		if (dhcp_parse_request(s->rx, (size_t)n, &s->req, msg) < 0) {
			s->counters[CNT_MALFORMED]++;
			log_debug("dhcp: malformed message from %s on %s: %s",
				  ipv4_str(x.src_ip, ip), x.ifc->name, msg);
			continue;
		}
		if (s->req.hdr.op != DHCP_OP_BOOTREQUEST ||
		    s->req.hdr.htype != DHCP_HTYPE_ETHER || s->req.hdr.hlen != DHCP_ETHER_LEN) {
			s->counters[CNT_IGNORED]++;
			log_debug("dhcp: ignored a message from %s on %s: not an Ethernet "
				  "client's request", ipv4_str(x.src_ip, ip), x.ifc->name);
			continue;
		}
		handle_request(s, &x);
	}
	flush_batch(s);
}

/** lease_expired_cb() - one lease ran out: its event. */
static void lease_expired_cb(const struct lease *l, void *arg)
{
	char ip[IPV4_STR_LEN], mac[MAC_STR_LEN];

	(void)arg;
	mac_format(l->mac, mac);
	log_event(EV_DHCP_LEASE_EXPIRED, "{s:s, s:s, s:s}", "mac", mac,
		  "ip", ipv4_str(l->ip, ip), "hostname", l->hostname);
}

/** expire_cb() - the periodic collection of leases that ran out. */
static void expire_cb(struct evloop *loop, struct ev_timer *t, void *arg)
{
	struct dhcp_server *s = arg;

	(void)loop;
	(void)t;
	if (s->leases && !s->stopped &&
	    lease_expire(s->leases, wall_now(), lease_expired_cb, s) > 0)
		save_leases(s);
}

/* ---- life cycle --------------------------------------------------------- */

/**
 * open_udp() - a UDP socket on 0.0.0.0:@port with SO_BROADCAST and
 * IP_PKTINFO, watched by the loop.
 * Return: the descriptor, or -errno (+ @err).
 */
static int open_udp(struct dhcp_server *s, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, on = 1, rc;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "dhcp: UDP socket: %s", strerror(errno));
		return rc;
	}
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0) {
		rc = -errno;
		err_set(err, errlen, "dhcp: socket options: %s", strerror(errno));
		goto err;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		rc = -errno;
		err_set(err, errlen, "dhcp: cannot bind UDP port %u: %s%s", port, strerror(errno),
			errno == EADDRINUSE ? " (is another DHCP server running here?)" : "");
		goto err;
	}
	rc = evloop_add(s->bd->loop, fd, EPOLLIN, dhcp_read_cb, s);
	if (rc < 0) {
		err_set(err, errlen, "dhcp: %s", strerror(-rc));
		goto err;
	}
	return fd;
err:
	close(fd);
	return rc;
}

/** ra_wanted() - whether [dhcp] router_advertisement asks for RAs. */
static bool ra_wanted(const struct dhcp_server *s, const char *spec)
{
	if (!spec || !strcmp(spec, "auto"))
		return s->mode == DHCP_MODE_FULL;
	return !strcmp(spec, "on");
}

/**
 * dhcp_server_start() - full mode: read the reservations from the registry,
 * then the leases file (entries on reserved addresses outside the pools are
 * kept only when the reservations are known first).  Called once the store
 * is open (after the privilege drop).  Return 0 or -errno (+ @err).
 */
int dhcp_server_start(struct dhcp_server *s, char *err, size_t errlen)
{
	int rc;

	if (!s->leases)
		return 0;
	refresh_reservations(s, wall_now());
	rc = lease_table_load(s->leases, s->leases_path, err, errlen);
	if (rc < 0) {
		size_t l = strlen(err);

		err_set(err + l, errlen - l, " (fix or remove the file)");
	}
	return rc;
}

/**
 * start_watchers() - rogue detection and router advertisements.
 * Return: 0 or -errno (+ @err).
 */
static int start_watchers(struct dhcp_server *s, char *err, size_t errlen)
{
	struct rogue_iface rif[DHCP_MAX_IFACES];
	struct ra_iface raif[DHCP_MAX_IFACES];
	uint32_t ours[DHCP_MAX_IFACES * DHCP_MAX_IFACE_ADDRS + 1];
	size_t nr_ours = 0;
	unsigned i, j;
	int rc;

	for (i = 0; i < s->nr_ifaces; i++) {
		const struct dhcp_iface *ifc = &s->ifaces[i];

		memset(&rif[i], 0, sizeof(rif[i]));
		rif[i].ifindex = ifc->ifindex;
		str_copy(rif[i].name, sizeof(rif[i].name), ifc->name);
		memcpy(rif[i].mac, ifc->mac, MAC_LEN);
		rif[i].addr = ifc->addrs[0];
		memset(&raif[i], 0, sizeof(raif[i]));
		raif[i].ifindex = ifc->ifindex;
		str_copy(raif[i].name, sizeof(raif[i].name), ifc->name);
		memcpy(raif[i].mac, ifc->mac, MAC_LEN);
		for (j = 0; j < ifc->nr_addrs; j++)
			ours[nr_ours++] = ifc->addrs[j];
	}
	if (s->server_address)
		ours[nr_ours++] = s->server_address;
	rc = rogue_new(s->bd->loop, rif, s->nr_ifaces, s->raw_fd, ours, nr_ours, &s->rogue,
		       err, errlen);
	if (rc < 0)
		return rc;
	rc = rogue_configure(s->rogue, s->bd->cfg.dhcp_allowed_servers,
			     s->bd->cfg.dhcp_rogue_probe_interval, err, errlen);
	if (rc < 0)
		return rc;
	if (ra_wanted(s, s->ra_spec)) {
		rc = ra_new(s->bd->loop, raif, s->nr_ifaces, &s->ra, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int dhcp_server_new(struct bootd *bd, struct dhcp_server **out, char *err, size_t errlen)
{
	const struct lr_config *cfg = &bd->cfg;
	struct dhcp_server *s = xcalloc(1, sizeof(*s));
	char ip[IPV4_STR_LEN];
	unsigned i;
	int rc;

	s->bd = bd;
	s->pending = xcalloc(DHCP_RX_BUDGET, sizeof(*s->pending));
	s->fd = s->fd_pxe = s->raw_fd = -1;
	if (cfg->dhcp_mode && !strcmp(cfg->dhcp_mode, "full")) {
		s->mode = DHCP_MODE_FULL;
	} else if (cfg->dhcp_mode && !strcmp(cfg->dhcp_mode, "proxy")) {
		s->mode = DHCP_MODE_PROXY;
	} else {
		err_set(err, errlen, "[dhcp] mode: '%s' does not start a DHCP server",
			cfg->dhcp_mode ? cfg->dhcp_mode : "");
		rc = -EINVAL;
		goto err;
	}
	s->iface_spec = xstrdup(cfg->dhcp_interface ? cfg->dhcp_interface : "");
	s->ra_spec = xstrdup(cfg->dhcp_router_advertisement ? cfg->dhcp_router_advertisement
			     : "auto");
	rc = find_ifaces(s, err, errlen);
	if (rc < 0)
		goto err;
	rc = apply_config(s, err, errlen);
	if (rc < 0)
		goto err;
	if (s->mode == DHCP_MODE_FULL) {
		char *dir;

		s->leases = lease_table_new(&s->plan);
		s->leases_path = xasprintf("%s/%s", cfg->state_dir, DHCP_LEASES_FILE);
		dir = xasprintf("%s/bootd", cfg->state_dir);
		rc = mkdir_p(dir, 0755);
		free(dir);
		if (rc < 0) {
			err_set(err, errlen, "cannot create %s/bootd: %s", cfg->state_dir,
				strerror(-rc));
			goto err;
		}
		s->expire_timer = evloop_timer_add(bd->loop, DHCP_EXPIRE_MS, DHCP_EXPIRE_MS,
						   expire_cb, s);
		if (!s->expire_timer) {
			rc = -errno;
			err_set(err, errlen, "dhcp: timer: %s", strerror(errno));
			goto err;
		}
	}
	rc = rawsend_open();
	if (rc < 0) {
		err_set(err, errlen, "dhcp: packet socket: %s", strerror(-rc));
		goto err;
	}
	s->raw_fd = rc;
	rc = open_udp(s, DHCP_SERVER_PORT, err, errlen);
	if (rc < 0)
		goto err;
	s->fd = rc;
	rc = open_udp(s, PXE_BOOT_SERVER_PORT, err, errlen);
	if (rc < 0)
		goto err;
	s->fd_pxe = rc;
	rc = start_watchers(s, err, errlen);
	if (rc < 0)
		goto err;
	for (i = 0; i < s->nr_ifaces; i++)
		log_info("dhcp: %s mode on %s (%s/%u)", mode_name(s), s->ifaces[i].name,
			 ipv4_str(s->ifaces[i].addrs[0], ip), s->ifaces[i].prefixes[0]);
	*out = s;
	return 0;
err:
	dhcp_server_free(s);
	return rc;
}

int dhcp_server_reload(struct dhcp_server *s, char *err, size_t errlen)
{
	const struct lr_config *cfg = &s->bd->cfg;
	const char *want = s->mode == DHCP_MODE_FULL ? "full" : "proxy";
	int rc;

	/* another mode is another server: nothing of this one applies */
	if (!cfg->dhcp_mode || strcmp(cfg->dhcp_mode, want)) {
		err_set(err, errlen, "[dhcp] mode changed from %s to %s", want,
			cfg->dhcp_mode ? cfg->dhcp_mode : "");
		return -EAGAIN;
	}
	rc = apply_config(s, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(s->iface_spec, cfg->dhcp_interface ? cfg->dhcp_interface : "")) {
		err_set(err, errlen, "[dhcp] interface changed");
		return -EAGAIN;
	}
	if (ra_wanted(s, s->ra_spec) != ra_wanted(s, cfg->dhcp_router_advertisement)) {
		err_set(err, errlen, "[dhcp] router_advertisement changed");
		return -EAGAIN;
	}
	return 0;
}

void dhcp_server_stop(struct dhcp_server *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	if (s->fd >= 0)
		evloop_del(s->bd->loop, s->fd);
	if (s->fd_pxe >= 0)
		evloop_del(s->bd->loop, s->fd_pxe);
	if (s->leases)
		save_leases(s);
}

void dhcp_server_free(struct dhcp_server *s)
{
	if (!s)
		return;
	rogue_free(s->rogue);
	ra_free(s->ra);
	if (s->expire_timer)
		evloop_timer_del(s->bd->loop, s->expire_timer);
	if (s->fd >= 0) {
		if (!s->stopped)
			evloop_del(s->bd->loop, s->fd);
		close(s->fd);
	}
	if (s->fd_pxe >= 0) {
		if (!s->stopped)
			evloop_del(s->bd->loop, s->fd_pxe);
		close(s->fd_pxe);
	}
	if (s->raw_fd >= 0)
		close(s->raw_fd);
	lease_table_free(s->leases);
	free(s->leases_path);
	free(s->iface_spec);
	free(s->ra_spec);
	free(s->pending);
	free(s);
}

/** time_str() - @t (wall clock, s) as RFC 3339 UTC into @out. */
static void time_str(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *dhcp_server_status(struct dhcp_server *s)
{
	json_t *o = json_object(), *ifs = json_array(), *cnt = json_object();
	int64_t now = wall_now();
	size_t i, bound = 0;

	for (i = 0; i < s->nr_ifaces; i++)
		json_array_append_new(ifs, json_string(s->ifaces[i].name));
	for (i = 0; i < CNT_COUNT; i++)
		json_object_set_new(cnt, counter_names[i], json_integer((json_int_t)s->counters[i]));
	for (i = 0; s->leases && i < lease_table_count(s->leases); i++) {
		const struct lease *l = lease_table_at(s->leases, i);

		if (l->state == LEASE_BOUND && lease_active(l, now))
			bound++;
	}
	json_object_set_new(o, "mode", json_string(mode_name(s)));
	json_object_set_new(o, "interfaces", ifs);
	json_object_set_new(o, "pool_size", json_integer(s->plan.pool_size));
	json_object_set_new(o, "leases", json_integer((json_int_t)bound));
	json_object_set_new(o, "offers", json_integer(s->leases ? (json_int_t)
						      lease_count_offers(s->leases, now) : 0));
	json_object_set_new(o, "messages", cnt);
	json_object_set_new(o, "rogue_servers", rogue_status(s->rogue));
	json_object_set_new(o, "router_advertisements", json_integer((json_int_t)ra_sent(s->ra)));
	return o;
}

json_t *dhcp_server_leases(struct dhcp_server *s)
{
	json_t *a = json_array();
	int64_t now = wall_now();
	size_t i;

	for (i = 0; s && s->leases && i < lease_table_count(s->leases); i++) {
		const struct lease *l = lease_table_at(s->leases, i);
		char ip[IPV4_STR_LEN], mac[MAC_STR_LEN], exp[32];
		const char *state = lease_state_name(l->state);

		if (l->state == LEASE_DECLINED)
			mac[0] = '\0';
		else
			mac_format(l->mac, mac);
		if (l->state != LEASE_RELEASED && !lease_active(l, now))
			state = "expired";
		time_str(l->expires, exp);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "mac", mac,
						   "ip", ipv4_str(l->ip, ip), "expires", exp,
						   "hostname", l->hostname, "state", state));
	}
	return a;
}
