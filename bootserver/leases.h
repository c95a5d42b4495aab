/* DHCP address pools and the lease table of lanroot-bootd's full mode.
 *
 * Pure bookkeeping, no sockets: the DHCP server asks this module which
 * address a client gets and records what it offered and acknowledged; the
 * table is saved to and loaded from a small text file.  Times are wall-clock
 * seconds (time_t), passed in by the caller, so leases survive restarts and
 * tests control the clock.  Addresses are host byte order.
 *
 * Memory is bounded: there is at most one entry per address of the pools
 * plus one per reserved address, so a flood of new MACs cannot grow it.
 *
 * Allocation order for a client (lease_allocate()):
 *   1. its static reservation (registered client with an address), unless
 *      another client still holds that address;
 *   2. the address it had before (stable addresses), when nobody else
 *      holds it;
 *   3. the address it asks for (option 50), when free;
 *   4. the lowest address of the pools that was never handed out;
 *   5. the address whose lease ended longest ago.
 * Addresses reserved for other clients and quarantined addresses (DECLINE)
 * are skipped throughout.
 */
#ifndef LR_LEASES_H
#define LR_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "mac.h"

/** Longest host name kept from option 12 (a DNS label). */
#define LEASE_HOSTNAME_LEN	64
/** How long an offered address is held for the client's REQUEST (s). */
#define LEASE_OFFER_HOLD	30
/** How long a declined address stays out of use (s). */
#define LEASE_DECLINE_HOLD	600
/** Most subnets and ranges in the config. */
#define LEASE_MAX_SUBNETS	64
#define LEASE_MAX_RANGES	256
/** Largest total pool size we accept (a /16). */
#define LEASE_MAX_POOL		65536U
/** Largest leases file we read. */
#define LEASE_FILE_MAX		(16U << 20)

enum lease_state {
	LEASE_OFFERED = 0,	/* offered, held until expires */
	LEASE_BOUND,		/* acknowledged, until expires */
	LEASE_RELEASED,		/* client gave it back; mac remembered */
	LEASE_DECLINED,		/* in use by someone unknown, until expires */
};

/** One address the table knows about. */
struct lease {
	uint32_t ip;
	uint8_t mac[MAC_LEN];	/* holder or last holder; zeros when declined */
	enum lease_state state;
	int64_t expires;	/* end of the offer/lease/quarantine (s since epoch) */
	char hostname[LEASE_HOSTNAME_LEN]; /* option 12, sanitised, "" = none */
};

/** A subnet of the config with its router (0 = none). */
struct lease_subnet {
	uint32_t net;
	unsigned prefix;
	uint32_t router;
};

/** A range of the config, inside subnet @subnet (index into subnets). */
struct lease_range {
	uint32_t first, last;
	unsigned subnet;
};

/** The address plan of full mode, from [dhcp] subnet, range and router. */
struct lease_plan {
	struct lease_subnet subnets[LEASE_MAX_SUBNETS];
	unsigned nr_subnets;
	struct lease_range ranges[LEASE_MAX_RANGES];
	unsigned nr_ranges;
	uint32_t pool_size;	/* addresses in all ranges */
};

/** A static reservation: registered client @mac always gets @ip. */
struct lease_reservation {
	uint8_t mac[MAC_LEN];
	uint32_t ip;
};

struct lease_table;

/**
 * lease_plan_parse() - read the address plan from config values.
 * @plan: filled in
 * @ranges: comma list of FIRST-LAST
 * @subnets: comma list of CIDR ("" = take @auto_nets)
 * @routers: comma list of addresses; each must lie in one subnet
 * @auto_nets: subnets to use when @subnets is empty (the interfaces'
 *	       networks), may be NULL
 * @nr_auto: how many
 * @err: message naming the bad value
 * @errlen: its size
 *
 * Every range must lie inside one subnet, ranges must not overlap, and the
 * pools together hold at most LEASE_MAX_POOL addresses.
 * Return: 0 or -EINVAL.
 */
int lease_plan_parse(struct lease_plan *plan, const char *ranges, const char *subnets,
		     const char *routers, const struct lease_subnet *auto_nets,
		     unsigned nr_auto, char *err, size_t errlen);

/**
 * lease_plan_subnet_of() - the subnet of the plan that holds @ip.
 * Return: its index, or -ENOENT.
 */
int lease_plan_subnet_of(const struct lease_plan *plan, uint32_t ip);

/** lease_plan_in_pool() - whether @ip lies in a range of subnet @subnet
 * (any subnet when @subnet is negative). */
bool lease_plan_in_pool(const struct lease_plan *plan, uint32_t ip, int subnet);

/** lease_table_new() - an empty table over @plan (copied).  Never NULL. */
struct lease_table *lease_table_new(const struct lease_plan *plan);
void lease_table_free(struct lease_table *t);

/**
 * lease_table_set_plan() - replace the address plan (config reload).
 * Entries outside the new pools that are not reserved are dropped.
 */
void lease_table_set_plan(struct lease_table *t, const struct lease_plan *plan);

/**
 * lease_table_set_reservations() - replace the static reservations.  Later
 * entries for the same MAC or address are ignored.
 * @t: table
 * @r: reservations (copied)
 * @n: how many
 */
void lease_table_set_reservations(struct lease_table *t, const struct lease_reservation *r,
				  size_t n);

/** lease_table_count() - entries in the table. */
size_t lease_table_count(const struct lease_table *t);
/** lease_table_at() - entry @i (0 .. count-1, in address order), or NULL. */
const struct lease *lease_table_at(const struct lease_table *t, size_t i);

/** lease_find_ip() - the entry of @ip, or NULL. */
const struct lease *lease_find_ip(const struct lease_table *t, uint32_t ip);

/** lease_active() - whether @l holds its address at @now (offer, lease or
 * quarantine not over). */
bool lease_active(const struct lease *l, int64_t now);

/**
 * lease_find_mac() - the active entry of @mac (offered or bound) in subnet
 * @subnet (negative: any), or NULL.
 */
const struct lease *lease_find_mac(const struct lease_table *t, const uint8_t mac[MAC_LEN],
				   int subnet, int64_t now);

/** lease_count_offers() - active offers at @now (to cap them). */
size_t lease_count_offers(const struct lease_table *t, int64_t now);

/**
 * lease_allocate() - choose an address for @mac in subnet @subnet (see the
 * order at the top of this file).
 * @t: table
 * @mac: client
 * @subnet: index of the subnet the client is on
 * @requested: option 50, or 0
 * @now: current time
 * @ip: the address chosen
 * Return: 0, or -ENOSPC when the pool is exhausted.
 */
int lease_allocate(struct lease_table *t, const uint8_t mac[MAC_LEN], int subnet,
		   uint32_t requested, int64_t now, uint32_t *ip);

/**
 * lease_may_use() - whether @mac may have @ip at @now: it is its
 * reservation, or it is in a pool and neither held by another client nor
 * reserved for one nor quarantined.
 * Return: true if so.
 */
bool lease_may_use(const struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
		   int64_t now);

/**
 * lease_offer()/lease_bind() - record an offer held until @expires, or a
 * bound lease until @expires, of @ip to @mac.  Another entry of @mac in an
 * active state is released.  The caller checked lease_may_use().
 * @now: current time
 * @hostname: option 12 (sanitised here), or NULL
 * Return: 0, or -ENOSPC when the table is full (cannot happen for an
 * address in the pools or reserved).
 */
int lease_offer(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
		int64_t now, int64_t expires);
int lease_bind(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
	       int64_t now, int64_t expires, const char *hostname);

/**
 * lease_release() - DHCPRELEASE: @mac gives @ip back.
 * Return: 0, or -ENOENT when @mac does not hold @ip.
 */
int lease_release(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip, int64_t now);

/**
 * lease_decline() - DHCPDECLINE: @ip is in use by someone else; keep it
 * out of use until @until.
 * Return: 0, or -ENOENT when @mac did not hold @ip.
 */
int lease_decline(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip, int64_t until);

/**
 * lease_expire() - turn leases and offers whose time is over at @now into
 * released entries (address remembered for the MAC) and forget quarantines.
 * @cb: called for each bound lease that expired (may be NULL)
 * @arg: for @cb
 * Return: number of bound leases that expired.
 */
size_t lease_expire(struct lease_table *t, int64_t now,
		    void (*cb)(const struct lease *l, void *arg), void *arg);

/**
 * lease_table_format() - the table as the text of a leases file: bound,
 * released and declined entries, one per line:
 *     IP MAC STATE EXPIRES [HOSTNAME]
 * STATE is bound | released | declined, EXPIRES seconds since the epoch.
 * Return: a malloc'd NUL-terminated string; *@len its length.
 */
char *lease_table_format(const struct lease_table *t, size_t *len);

/**
 * lease_table_parse() - load entries from the text of a leases file
 * (replacing the table's entries).  Entries outside the pools and the
 * reservations are skipped.
 * @t: table
 * @text: file contents (NUL-terminated)
 * @name: the file name for messages
 * @err: "NAME line N: what is wrong"
 * @errlen: its size
 * Return: 0, or -EINVAL (the table is left empty).
 */
int lease_table_parse(struct lease_table *t, const char *text, const char *name,
		      char *err, size_t errlen);

/**
 * lease_table_save()/lease_table_load() - write the table to @path
 * atomically / read it from @path (a missing file is an empty table).
 * Return: 0 or -errno with a message in @err.
 */
int lease_table_save(const struct lease_table *t, const char *path, char *err, size_t errlen);
int lease_table_load(struct lease_table *t, const char *path, char *err, size_t errlen);

/** lease_state_name() - "offered" | "bound" | "released" | "declined". */
const char *lease_state_name(enum lease_state s);

/**
 * lease_sanitize_hostname() - keep [A-Za-z0-9.-_] of @in (@len bytes, not
 * terminated), at most LEASE_HOSTNAME_LEN - 1, into @out.
 */
void lease_sanitize_hostname(const uint8_t *in, size_t len, char out[LEASE_HOSTNAME_LEN]);

#endif
