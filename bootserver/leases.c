/* DHCP address pools and the lease table (see leases.h). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "leases.h"
#include "parse.h"
#include "util.h"

/* Header line of a leases file. */
#define LEASE_FILE_HEADER "# lanroot-bootd leases: IP MAC STATE EXPIRES [HOSTNAME]\n"
/* MAC column of an entry without a holder (declined). */
#define LEASE_NO_MAC "-"
/* Longest line we format: address, MAC, state, time, host name. */
#define LEASE_LINE_MAX (IPV4_STR_LEN + MAC_STR_LEN + 16 + 24 + LEASE_HOSTNAME_LEN + 8)
/* Most fields in a line. */
#define LEASE_LINE_FIELDS 5

struct lease_table {
	struct lease_plan plan;
	struct lease *v;		/* entries sorted by address */
	size_t n, cap;
	struct lease_reservation *res;	/* sorted by address */
	size_t nr_res;
};

static const uint8_t zero_mac[MAC_LEN];

/* ---- the address plan --------------------------------------------------- */

/**
 * plan_add_subnet() - append a subnet given as CIDR text.
 * @plan: plan
 * @s: "192.0.2.0/24"
 * @err: message
 * @errlen: its size
 * Return: 0 or -EINVAL.
 */
static int plan_add_subnet(struct lease_plan *plan, const char *s, char *err, size_t errlen)
{
	uint32_t net;
	unsigned prefix;

	if (parse_cidr(s, &net, &prefix) < 0) {
		err_set(err, errlen, "[dhcp] subnet: '%s' is not a subnet like 192.0.2.0/24", s);
		return -EINVAL;
	}
	if (plan->nr_subnets >= LEASE_MAX_SUBNETS) {
		err_set(err, errlen, "[dhcp] subnet: more than %d subnets", LEASE_MAX_SUBNETS);
		return -EINVAL;
	}
	plan->subnets[plan->nr_subnets].net = net;
	plan->subnets[plan->nr_subnets].prefix = prefix;
	plan->subnets[plan->nr_subnets].router = 0;
	plan->nr_subnets++;
	return 0;
}

int lease_plan_subnet_of(const struct lease_plan *plan, uint32_t ip)
{
	unsigned i, best = 0;
	int found = -ENOENT;

	/* the most specific subnet wins */
	for (i = 0; i < plan->nr_subnets; i++) {
		if (!ipv4_in_subnet(ip, plan->subnets[i].net, plan->subnets[i].prefix))
			continue;
		if (found < 0 || plan->subnets[i].prefix > best) {
			found = (int)i;
			best = plan->subnets[i].prefix;
		}
	}
	return found;
}

bool lease_plan_in_pool(const struct lease_plan *plan, uint32_t ip, int subnet)
{
	unsigned i;

	for (i = 0; i < plan->nr_ranges; i++) {
		if (subnet >= 0 && plan->ranges[i].subnet != (unsigned)subnet)
			continue;
		if (ip >= plan->ranges[i].first && ip <= plan->ranges[i].last)
			return true;
	}
	return false;
}

int lease_plan_parse(struct lease_plan *plan, const char *ranges, const char *subnets,
		     const char *routers, const struct lease_subnet *auto_nets,
		     unsigned nr_auto, char *err, size_t errlen)
{
	char **items = NULL;
	size_t n = 0, i, j;
	uint64_t total = 0;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (split_list(subnets ? subnets : "", &items, &n) < 0) {
		err_set(err, errlen, "[dhcp] subnet: empty item in '%s'", subnets);
		rc = -EINVAL;
		goto err;
	}
	for (i = 0; i < n; i++) {
		rc = plan_add_subnet(plan, items[i], err, errlen);
		if (rc < 0)
			goto err;
	}
	split_list_free(items);
	items = NULL;
	if (plan->nr_subnets == 0) {
		for (i = 0; i < nr_auto && plan->nr_subnets < LEASE_MAX_SUBNETS; i++) {
			plan->subnets[plan->nr_subnets] = auto_nets[i];
			plan->subnets[plan->nr_subnets].router = 0;
			plan->nr_subnets++;
		}
	}

	if (split_list(ranges ? ranges : "", &items, &n) < 0) {
		err_set(err, errlen, "[dhcp] range: empty item in '%s'", ranges);
		rc = -EINVAL;
		goto err;
	}
	for (i = 0; i < n; i++) {
		struct lease_range *r;
		int a, b;

		if (plan->nr_ranges >= LEASE_MAX_RANGES) {
			err_set(err, errlen, "[dhcp] range: more than %d ranges", LEASE_MAX_RANGES);
			rc = -EINVAL;
			goto err;
		}
		r = &plan->ranges[plan->nr_ranges];
		if (parse_ipv4_range(items[i], &r->first, &r->last) < 0) {
			err_set(err, errlen, "[dhcp] range: '%s' is not a range like "
				"192.0.2.100-192.0.2.200", items[i]);
			rc = -EINVAL;
			goto err;
		}
		a = lease_plan_subnet_of(plan, r->first);
		b = lease_plan_subnet_of(plan, r->last);
		if (a < 0 || a != b) {
			err_set(err, errlen, "[dhcp] range: '%s' does not lie inside one subnet of "
				"[dhcp] subnet%s", items[i],
				plan->nr_subnets ? "" : " (none is set or found on the interfaces)");
			rc = -EINVAL;
			goto err;
		}
		for (j = 0; j < plan->nr_ranges; j++) {
			if (r->first <= plan->ranges[j].last && plan->ranges[j].first <= r->last) {
				err_set(err, errlen, "[dhcp] range: '%s' overlaps another range",
					items[i]);
				rc = -EINVAL;
				goto err;
			}
		}
		r->subnet = (unsigned)a;
		total += (uint64_t)r->last - r->first + 1;
		if (total > LEASE_MAX_POOL) {
			err_set(err, errlen, "[dhcp] range: more than %u addresses in all ranges",
				LEASE_MAX_POOL);
			rc = -EINVAL;
			goto err;
		}
		plan->nr_ranges++;
	}
	plan->pool_size = (uint32_t)total;
	split_list_free(items);
	items = NULL;

	if (split_list(routers ? routers : "", &items, &n) < 0) {
		err_set(err, errlen, "[dhcp] router: empty item in '%s'", routers);
		rc = -EINVAL;
		goto err;
	}
	for (i = 0; i < n; i++) {
		uint32_t ip;
		int s;

		if (parse_ipv4(items[i], &ip) < 0) {
			err_set(err, errlen, "[dhcp] router: '%s' is not an IPv4 address", items[i]);
			rc = -EINVAL;
			goto err;
		}
		s = lease_plan_subnet_of(plan, ip);
		if (s < 0) {
			err_set(err, errlen, "[dhcp] router: %s lies in no subnet of [dhcp] subnet",
				items[i]);
			rc = -EINVAL;
			goto err;
		}
		if (plan->subnets[s].router) {
			err_set(err, errlen, "[dhcp] router: two routers for one subnet (%s)",
				items[i]);
			rc = -EINVAL;
			goto err;
		}
		plan->subnets[s].router = ip;
	}
	rc = 0;
err:
	split_list_free(items);
	return rc;
}

/* ---- the table ---------------------------------------------------------- */

/**
 * res_find_ip() - the reservation of address @ip.
 * @t: table
 * @ip: address
 * Return: it, or NULL.
 */
static const struct lease_reservation *res_find_ip(const struct lease_table *t, uint32_t ip)
{
	size_t lo = 0, hi = t->nr_res;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->res[mid].ip == ip)
			return &t->res[mid];
		if (t->res[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/**
 * res_find_mac() - the reservation of @mac.
 * @t: table
 * @mac: client
 * Return: it, or NULL.
 */
static const struct lease_reservation *res_find_mac(const struct lease_table *t,
						    const uint8_t mac[MAC_LEN])
{
	size_t i;

	for (i = 0; i < t->nr_res; i++)
		if (!memcmp(t->res[i].mac, mac, MAC_LEN))
			return &t->res[i];
	return NULL;
}

/**
 * reserved_for_other() - whether @ip is reserved for a client other than
 * @mac.
 * Return: true if so.
 */
static bool reserved_for_other(const struct lease_table *t, uint32_t ip,
			       const uint8_t mac[MAC_LEN])
{
	const struct lease_reservation *r = res_find_ip(t, ip);

	return r && memcmp(r->mac, mac, MAC_LEN) != 0;
}

/**
 * entry_pos() - binary search for @ip.
 * @t: table
 * @ip: address
 * @found: set to whether the entry exists
 * Return: its index, or where it would be inserted.
 */
static size_t entry_pos(const struct lease_table *t, uint32_t ip, bool *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].ip == ip) {
			*found = true;
			return mid;
		}
		if (t->v[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct lease *lease_find_ip(const struct lease_table *t, uint32_t ip)
{
	bool found;
	size_t i = entry_pos(t, ip, &found);

	return found ? &t->v[i] : NULL;
}

/** entry_get() - writable entry of @ip, or NULL. */
static struct lease *entry_get(struct lease_table *t, uint32_t ip)
{
	return (struct lease *)lease_find_ip(t, ip);
}

/**
 * entry_insert() - the entry of @ip, created (released, no holder) if
 * missing.  Only addresses in the pools or reserved get entries, which
 * bounds the table.
 * Return: the entry, or NULL when @ip is neither.
 */
static struct lease *entry_insert(struct lease_table *t, uint32_t ip)
{
	bool found;
	size_t i = entry_pos(t, ip, &found);

	if (found)
		return &t->v[i];
	if (!lease_plan_in_pool(&t->plan, ip, -1) && !res_find_ip(t, ip))
		return NULL;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->n++;
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->v[i].ip = ip;
	t->v[i].state = LEASE_RELEASED;
	return &t->v[i];
}

/**
 * table_prune() - drop entries that are neither in the pools nor reserved
 * (after a plan or reservation change).
 */
static void table_prune(struct lease_table *t)
{
	size_t i, j = 0;

	for (i = 0; i < t->n; i++) {
		if (!lease_plan_in_pool(&t->plan, t->v[i].ip, -1) && !res_find_ip(t, t->v[i].ip))
			continue;
		t->v[j++] = t->v[i];
	}
	t->n = j;
}

struct lease_table *lease_table_new(const struct lease_plan *plan)
{
	struct lease_table *t = xcalloc(1, sizeof(*t));

	t->plan = *plan;
	return t;
}

void lease_table_free(struct lease_table *t)
{
	if (!t)
		return;
	free(t->v);
	free(t->res);
	free(t);
}

void lease_table_set_plan(struct lease_table *t, const struct lease_plan *plan)
{
	t->plan = *plan;
	table_prune(t);
}

/** res_cmp() - qsort order of reservations: by address. */
static int res_cmp(const void *a, const void *b)
{
	const struct lease_reservation *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

void lease_table_set_reservations(struct lease_table *t, const struct lease_reservation *r,
				  size_t n)
{
	size_t i, j = 0;

	free(t->res);
	t->res = n ? xmalloc(n * sizeof(*r)) : NULL;
	t->nr_res = 0;
	for (i = 0; i < n; i++) {
		if (!r[i].ip || res_find_mac(t, r[i].mac))
			continue;
		/* res is not sorted yet: check the address by hand */
		for (j = 0; j < t->nr_res; j++)
			if (t->res[j].ip == r[i].ip)
				break;
		if (j < t->nr_res)
			continue;
		t->res[t->nr_res++] = r[i];
	}
	if (t->nr_res)
		qsort(t->res, t->nr_res, sizeof(*t->res), res_cmp);
	table_prune(t);
}

size_t lease_table_count(const struct lease_table *t)
{
	return t->n;
}

const struct lease *lease_table_at(const struct lease_table *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

bool lease_active(const struct lease *l, int64_t now)
{
	return l->state != LEASE_RELEASED && l->expires > now;
}

/**
 * held_by_other() - whether @ip is taken at @now by someone other than
 * @mac (an active offer or lease of another MAC, or a quarantine).
 */
static bool held_by_other(const struct lease_table *t, uint32_t ip, const uint8_t mac[MAC_LEN],
			  int64_t now)
{
	const struct lease *l = lease_find_ip(t, ip);

	if (!l || !lease_active(l, now))
		return false;
	return l->state == LEASE_DECLINED || memcmp(l->mac, mac, MAC_LEN) != 0;
}

/**
 * in_subnet() - whether @ip belongs to subnet @subnet of the plan.
 */
static bool in_subnet(const struct lease_table *t, uint32_t ip, int subnet)
{
	const struct lease_subnet *s;

	if (subnet < 0 || (unsigned)subnet >= t->plan.nr_subnets)
		return false;
	s = &t->plan.subnets[subnet];
	return ipv4_in_subnet(ip, s->net, s->prefix);
}

const struct lease *lease_find_mac(const struct lease_table *t, const uint8_t mac[MAC_LEN],
				   int subnet, int64_t now)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct lease *l = &t->v[i];

		if (l->state == LEASE_DECLINED || !lease_active(l, now) ||
		    memcmp(l->mac, mac, MAC_LEN))
			continue;
		if (subnet >= 0 && !in_subnet(t, l->ip, subnet))
			continue;
		return l;
	}
	return NULL;
}

size_t lease_count_offers(const struct lease_table *t, int64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->v[i].state == LEASE_OFFERED && lease_active(&t->v[i], now))
			n++;
	return n;
}

bool lease_may_use(const struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
		   int64_t now)
{
	const struct lease_reservation *r = res_find_ip(t, ip);

	if (r && memcmp(r->mac, mac, MAC_LEN))
		return false;
	if (!r && !lease_plan_in_pool(&t->plan, ip, -1))
		return false;
	return !held_by_other(t, ip, mac, now);
}

int lease_allocate(struct lease_table *t, const uint8_t mac[MAC_LEN], int subnet,
		   uint32_t requested, int64_t now, uint32_t *ip)
{
	const struct lease_reservation *r;
	const struct lease *best = NULL;
	size_t i;
	unsigned k;

	/* 1. the static reservation */
	r = res_find_mac(t, mac);
	if (r && in_subnet(t, r->ip, subnet) && !held_by_other(t, r->ip, mac, now)) {
		*ip = r->ip;
		return 0;
	}
	/* 2. what it had: the active entry first, else the latest one */
	for (i = 0; i < t->n; i++) {
		const struct lease *l = &t->v[i];

		if (l->state == LEASE_DECLINED || memcmp(l->mac, mac, MAC_LEN) ||
		    !lease_plan_in_pool(&t->plan, l->ip, subnet) ||
		    reserved_for_other(t, l->ip, mac))
			continue;
		if (lease_active(l, now)) {
			best = l;
			break;
		}
		if (!best || l->expires > best->expires)
			best = l;
	}
	if (best) {
		*ip = best->ip;
		return 0;
	}
	/* 3. what it asks for, if nobody holds or held it */
	if (requested && lease_plan_in_pool(&t->plan, requested, subnet) &&
	    !res_find_ip(t, requested)) {
		const struct lease *l = lease_find_ip(t, requested);

		if (!l || (!lease_active(l, now) && !memcmp(l->mac, zero_mac, MAC_LEN))) {
			*ip = requested;
			return 0;
		}
	}
	/* 4. the lowest address never handed out */
	for (k = 0; k < t->plan.nr_ranges; k++) {
		const struct lease_range *rg = &t->plan.ranges[k];
		uint64_t a;

		if (rg->subnet != (unsigned)subnet)
			continue;
		for (a = rg->first; a <= rg->last; a++) {
			if (!lease_find_ip(t, (uint32_t)a) && !res_find_ip(t, (uint32_t)a)) {
				*ip = (uint32_t)a;
				return 0;
			}
		}
	}
	/* 5. the address whose lease ended longest ago */
	best = NULL;
	for (i = 0; i < t->n; i++) {
		const struct lease *l = &t->v[i];

		if (lease_active(l, now) || !lease_plan_in_pool(&t->plan, l->ip, subnet) ||
		    res_find_ip(t, l->ip))
			continue;
		if (!best || l->expires < best->expires)
			best = l;
	}
	if (best) {
		*ip = best->ip;
		return 0;
	}
	return -ENOSPC;
}

/**
 * release_others() - end the active offers (and, with @bound too, the
 * leases) @mac holds on addresses other than @keep.
 */
static void release_others(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t keep,
			   bool bound, int64_t now)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct lease *l = &t->v[i];

		if (l->ip == keep || memcmp(l->mac, mac, MAC_LEN) || !lease_active(l, now))
			continue;
		if (l->state == LEASE_OFFERED || (bound && l->state == LEASE_BOUND)) {
			l->state = LEASE_RELEASED;
			l->expires = now;
		}
	}
}

int lease_offer(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
		int64_t now, int64_t expires)
{
	struct lease *l = entry_insert(t, ip);

	if (!l)
		return -ENOSPC;
	release_others(t, mac, ip, false, now);
	/* a client that holds the address already keeps its lease */
	if (l->state == LEASE_BOUND && !memcmp(l->mac, mac, MAC_LEN) && l->expires >= expires)
		return 0;
	if (memcmp(l->mac, mac, MAC_LEN))
		l->hostname[0] = '\0';
	memcpy(l->mac, mac, MAC_LEN);
	l->state = LEASE_OFFERED;
	l->expires = expires;
	return 0;
}

int lease_bind(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip,
	       int64_t now, int64_t expires, const char *hostname)
{
	struct lease *l = entry_insert(t, ip);

	if (!l)
		return -ENOSPC;
	release_others(t, mac, ip, true, now);
	if (memcmp(l->mac, mac, MAC_LEN))
		l->hostname[0] = '\0';
	memcpy(l->mac, mac, MAC_LEN);
	l->state = LEASE_BOUND;
	l->expires = expires;
	if (hostname)
		lease_sanitize_hostname((const uint8_t *)hostname, strlen(hostname), l->hostname);
	return 0;
}

int lease_release(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip, int64_t now)
{
	struct lease *l = entry_get(t, ip);

	if (!l || l->state == LEASE_DECLINED || memcmp(l->mac, mac, MAC_LEN) ||
	    !lease_active(l, now))
		return -ENOENT;
	l->state = LEASE_RELEASED;
	l->expires = now;
	return 0;
}

int lease_decline(struct lease_table *t, const uint8_t mac[MAC_LEN], uint32_t ip, int64_t until)
{
	struct lease *l = entry_get(t, ip);

	if (!l || l->state == LEASE_DECLINED || memcmp(l->mac, mac, MAC_LEN))
		return -ENOENT;
	memset(l->mac, 0, MAC_LEN);
	l->hostname[0] = '\0';
	l->state = LEASE_DECLINED;
	l->expires = until;
	return 0;
}

size_t lease_expire(struct lease_table *t, int64_t now,
		    void (*cb)(const struct lease *l, void *arg), void *arg)
{
	size_t i, j = 0, expired = 0;

	for (i = 0; i < t->n; i++) {
		struct lease *l = &t->v[i];

		if (l->state != LEASE_RELEASED && l->expires <= now) {
			if (l->state == LEASE_BOUND) {
				expired++;
				if (cb)
					cb(l, arg);
			}
			l->state = LEASE_RELEASED;
		}
		/* nothing to remember about an address without a holder */
		if (l->state == LEASE_RELEASED && !memcmp(l->mac, zero_mac, MAC_LEN))
			continue;
		t->v[j++] = *l;
	}
	t->n = j;
	return expired;
}

/* ---- the leases file ---------------------------------------------------- */

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_OFFERED: return "offered";
	case LEASE_BOUND: return "bound";
	case LEASE_RELEASED: return "released";
	case LEASE_DECLINED: return "declined";
	}
	return "?";
}

void lease_sanitize_hostname(const uint8_t *in, size_t len, char out[LEASE_HOSTNAME_LEN])
{
	size_t i, j = 0;

	for (i = 0; i < len && j < LEASE_HOSTNAME_LEN - 1; i++) {
		uint8_t c = in[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_')
			out[j++] = (char)c;
	}
	out[j] = '\0';
}

char *lease_table_format(const struct lease_table *t, size_t *len)
{
	size_t cap = sizeof(LEASE_FILE_HEADER) + t->n * LEASE_LINE_MAX, pos;
	char *buf = xmalloc(cap);
	size_t i;

	pos = (size_t)snprintf(buf, cap, "%s", LEASE_FILE_HEADER);
	for (i = 0; i < t->n; i++) {
		const struct lease *l = &t->v[i];
		char ip[IPV4_STR_LEN], mac[MAC_STR_LEN];

		if (l->state == LEASE_OFFERED)
			continue;
		if (l->state == LEASE_DECLINED)
			str_copy(mac, sizeof(mac), LEASE_NO_MAC);
		else
			mac_format(l->mac, mac);
		pos += (size_t)snprintf(buf + pos, cap - pos, "%s %s %s %" PRId64 "%s%s\n",
					ipv4_str(l->ip, ip), mac, lease_state_name(l->state),
					l->expires, l->hostname[0] ? " " : "", l->hostname);
	}
	*len = pos;
	return buf;
}

/**
 * parse_line() - one line of a leases file into @l.
 * @line: the line, cut at white space in place
 * @l: filled in
 * @why: what is wrong, for the caller's message
 * @whylen: its size
 * Return: 1 for an entry, 0 for a blank or comment line, -EINVAL.
 */
static int parse_line(char *line, struct lease *l, char *why, size_t whylen)
{
	char *f[LEASE_LINE_FIELDS + 1], *save = NULL, *tok;
	char host[LEASE_HOSTNAME_LEN];
	size_t n = 0;
	uint64_t exp;

	for (tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (n == 0 && tok[0] == '#')
			return 0;
		if (n > LEASE_LINE_FIELDS) {
			err_set(why, whylen, "more than %d fields", LEASE_LINE_FIELDS);
			return -EINVAL;
		}
		f[n++] = tok;
	}
	if (n == 0)
		return 0;
	if (n < LEASE_LINE_FIELDS - 1 || n > LEASE_LINE_FIELDS) {
		err_set(why, whylen, "expected IP MAC STATE EXPIRES [HOSTNAME], got %zu fields", n);
		return -EINVAL;
	}
	memset(l, 0, sizeof(*l));
	if (parse_ipv4(f[0], &l->ip) < 0) {
		err_set(why, whylen, "bad IPv4 address '%.40s'", f[0]);
		return -EINVAL;
	}
	if (!strcmp(f[2], "bound"))
		l->state = LEASE_BOUND;
	else if (!strcmp(f[2], "released"))
		l->state = LEASE_RELEASED;
	else if (!strcmp(f[2], "declined"))
		l->state = LEASE_DECLINED;
	else {
		err_set(why, whylen, "bad state '%.20s' (bound, released or declined)", f[2]);
		return -EINVAL;
	}
	if (l->state == LEASE_DECLINED) {
		if (strcmp(f[1], LEASE_NO_MAC)) {
			err_set(why, whylen, "a declined address has MAC '%s', not '%.20s'",
				LEASE_NO_MAC, f[1]);
			return -EINVAL;
		}
	} else if (mac_parse(f[1], l->mac) < 0) {
		err_set(why, whylen, "bad MAC address '%.40s'", f[1]);
		return -EINVAL;
	}
	if (parse_u64(f[3], 0, INT64_MAX, &exp) < 0) {
		err_set(why, whylen, "bad expiry time '%.40s' (seconds since 1970)", f[3]);
		return -EINVAL;
	}
	l->expires = (int64_t)exp;
	if (n == LEASE_LINE_FIELDS) {
		lease_sanitize_hostname((const uint8_t *)f[4], strlen(f[4]), host);
		if (strcmp(host, f[4])) {
			err_set(why, whylen, "bad host name '%.40s'", f[4]);
			return -EINVAL;
		}
		str_copy(l->hostname, sizeof(l->hostname), host);
	}
	return 1;
}

int lease_table_parse(struct lease_table *t, const char *text, const char *name,
		      char *err, size_t errlen)
{
	const char *p = text;
	unsigned lineno = 0;
	int rc;

	t->n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[LEASE_LINE_MAX + 1], why[128];
		struct lease l, *e;

		lineno++;
		if (len > LEASE_LINE_MAX) {
			err_set(err, errlen, "%s line %u: line too long", name, lineno);
			rc = -EINVAL;
			goto err;
		}
		if (memchr(p, '\0', len)) {
			err_set(err, errlen, "%s line %u: NUL byte", name, lineno);
			rc = -EINVAL;
			goto err;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		rc = parse_line(line, &l, why, sizeof(why));
		if (rc < 0) {
			err_set(err, errlen, "%s line %u: %s", name, lineno, why);
			goto err;
		}
		if (rc == 0)
			continue;
		if (lease_find_ip(t, l.ip)) {
			err_set(err, errlen, "%s line %u: address %s is listed twice", name, lineno,
				ipv4_str(l.ip, why));
			rc = -EINVAL;
			goto err;
		}
		e = entry_insert(t, l.ip);
		if (!e)
			continue;	/* no longer in the pools: forget it */
		*e = l;
	}
	return 0;
err:
	t->n = 0;
	return rc;
}

int lease_table_save(const struct lease_table *t, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = lease_table_format(t, &len);
	int rc = file_write_atomic(path, text, len, 0644);

	if (rc < 0)
		err_set(err, errlen, "cannot write %s: %s", path, strerror(-rc));
	free(text);
	return rc;
}

int lease_table_load(struct lease_table *t, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int rc;

	rc = file_read_all(path, LEASE_FILE_MAX, &text, &len);
	if (rc == -ENOENT) {
		t->n = 0;
		return 0;
	}
	if (rc < 0) {
		err_set(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	if (strlen(text) != len) {
		err_set(err, errlen, "%s: NUL byte in the file", path);
		free(text);
		return -EINVAL;
	}
	rc = lease_table_parse(t, text, path, err, errlen);
	free(text);
	return rc;
}
