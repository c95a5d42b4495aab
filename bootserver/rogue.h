/* Other DHCP servers on our segments.
 *
 * Per DHCP interface an AF_PACKET socket with a BPF filter receives every
 * IPv4/UDP packet from port 67 to port 68 (a server's answer to a client)
 * that is not ours, and an active probe -- a DHCPDISCOVER with the
 * broadcast flag, sent from the interface at start and every [dhcp]
 * rogue_probe_interval seconds -- makes silent servers answer.  Each server
 * (by IP, from option 54 or the IP source, and Ethernet source MAC) is
 * reported with the event dhcp.rogue_server at most once per
 * ROGUE_REPORT_INTERVAL; "known" says whether [dhcp] allowed_servers lists
 * it.  The table of servers is bounded (ROGUE_MAX_SERVERS, the one heard
 * from longest ago is dropped).
 */
#ifndef LR_ROGUE_H
#define LR_ROGUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mac.h"

#define ROGUE_MAX_SERVERS	64
#define ROGUE_REPORT_INTERVAL	3600	/* s between two reports of one server */
#define ROGUE_MAX_IFACES	64
#define ROGUE_MAX_ALLOWED	64
/** First probe this long after start (ms), so the sockets are all up. */
#define ROGUE_FIRST_PROBE_MS	500

struct evloop;
struct rogue;

/** An interface to watch. */
struct rogue_iface {
	int ifindex;
	char name[32];
	uint8_t mac[MAC_LEN];
	uint32_t addr;		/* our address there (probe source is 0.0.0.0) */
};

/** A server seen. */
struct rogue_server {
	uint32_t ip;
	uint8_t mac[MAC_LEN];
	char iface[32];
	bool known;		/* listed in allowed_servers */
	uint64_t packets;	/* answers seen */
	int64_t first_seen;	/* wall clock, s */
	int64_t last_seen;
	int64_t last_report;	/* 0 = never */
};

/**
 * rogue_new() - watch @ifaces.  With @loop NULL no socket is opened (the
 * table alone, for tests).
 * @loop: event loop, or NULL
 * @ifaces: interfaces (copied)
 * @n: how many
 * @raw_fd: rawsend_open() socket for the probes (-1: no probes)
 * @our_ips: our addresses (answers from them are ours), copied
 * @nr_ips: how many
 * @out: the watcher
 * @err: message
 * @errlen: its size
 * Return: 0 or -errno.
 */
int rogue_new(struct evloop *loop, const struct rogue_iface *ifaces, size_t n, int raw_fd,
	      const uint32_t *our_ips, size_t nr_ips, struct rogue **out, char *err,
	      size_t errlen);

/** rogue_free() - close everything (NULL is fine). */
void rogue_free(struct rogue *r);

/**
 * rogue_configure() - apply [dhcp] allowed_servers and
 * rogue_probe_interval (start and reload).
 * @allowed: comma list of IPv4 addresses
 * Return: 0, or -EINVAL with @err naming the bad item (nothing changed).
 */
int rogue_configure(struct rogue *r, const char *allowed, uint32_t probe_interval,
		    char *err, size_t errlen);

/**
 * rogue_note() - a server answered: record it, and log the event unless
 * it was reported less than ROGUE_REPORT_INTERVAL ago.
 * @r: watcher
 * @ip: the server's address
 * @mac: its Ethernet address
 * @iface: where it was heard
 * @now: wall clock, s
 * Return: true if it was reported now.
 */
bool rogue_note(struct rogue *r, uint32_t ip, const uint8_t mac[MAC_LEN], const char *iface,
		int64_t now);

/**
 * rogue_packet() - look at an IPv4 packet received on @iface_idx (index
 * into the interfaces) from Ethernet source @src_mac: a DHCP answer from
 * port 67 to 68 of a server that is not us is noted.
 * Return: true if a server was noted.
 */
bool rogue_packet(struct rogue *r, size_t iface_idx, const uint8_t src_mac[MAC_LEN],
		  const uint8_t *pkt, size_t len, int64_t now);

/** rogue_count() - servers in the table. */
size_t rogue_count(const struct rogue *r);
/** rogue_at() - server @i, or NULL. */
const struct rogue_server *rogue_at(const struct rogue *r, size_t i);

/** rogue_status() - the array "rogue_servers" for the status call. */
json_t *rogue_status(const struct rogue *r);

#endif
