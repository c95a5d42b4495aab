/* Minimal IPv6 router advertisements on the DHCP interfaces.
 *
 * iPXE waits about 16 s for IPv6 autoconfiguration when no router answers
 * its router solicitation.  An advertisement that says "no default router,
 * no prefixes, no DHCPv6" (router lifetime 0, M = O = 0) ends that wait
 * without changing anything else on the segment.  Sent to ff02::1 with hop
 * limit 255 (RFC 4861 section 6.1.2) at start, every RA_INTERVAL seconds,
 * and in answer to a router solicitation (at most one per RA_MIN_GAP_MS
 * per interface; a solicitation inside the gap is answered at its end).
 * Sends are logged at debug level, never as events.
 */
#ifndef LR_RA_H
#define LR_RA_H

#include <stddef.h>
#include <stdint.h>
#include "mac.h"

/** Seconds between unsolicited advertisements. */
#define RA_INTERVAL		200
/** Least time between two advertisements on one interface (ms). */
#define RA_MIN_GAP_MS		1000
/** The first unsolicited advertisements come faster (RFC 4861 6.2.4). */
#define RA_INITIAL_COUNT	3
#define RA_INITIAL_INTERVAL	16
/** Bytes of our advertisement: header and source link-layer option. */
#define RA_LEN			24

/* ICMPv6 and neighbour discovery numbers (RFC 4443, RFC 4861). */
#define ND_TYPE_ROUTER_SOLICIT	133U
#define ND_TYPE_ROUTER_ADVERT	134U
#define ND_OPT_SOURCE_LLADDR	1U
#define ND_OPT_LEN_UNIT		8	/* option lengths count 8 bytes */
#define ND_HOP_LIMIT		255

struct evloop;
struct ra;

/** An interface to advertise on. */
struct ra_iface {
	int ifindex;
	char name[32];
	uint8_t mac[MAC_LEN];
};

/**
 * ra_build() - our router advertisement into @buf.
 * @buf: output (RA_LEN bytes or more)
 * @cap: its size
 * @mac: the interface's MAC, for the source link-layer address option
 * Return: its length (RA_LEN), or -ENOBUFS.  The checksum is left zero: the
 * kernel fills it in for ICMPv6 sockets.
 */
int ra_build(uint8_t *buf, size_t cap, const uint8_t mac[MAC_LEN]);

/**
 * ra_new() - open the ICMPv6 socket (needs CAP_NET_RAW: before the
 * privilege drop), join all-routers on each interface and start the timers.
 * @loop: the event loop
 * @ifaces: interfaces (copied)
 * @n: how many
 * @out: the sender
 * @err: message
 * @errlen: its size
 * Return: 0 or -errno.
 */
int ra_new(struct evloop *loop, const struct ra_iface *ifaces, size_t n, struct ra **out,
	   char *err, size_t errlen);

/** ra_free() - stop and close (NULL is fine). */
void ra_free(struct ra *r);

/** ra_sent() - advertisements sent so far (status). */
uint64_t ra_sent(const struct ra *r);

#endif
