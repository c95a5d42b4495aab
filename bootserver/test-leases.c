/* Unit tests: bootserver/leases.c (address plan, allocation, lease file). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leases.h"
#include "util.h"

/* 192.0.2.x */
#define NET(x) (0xc0000200U | (x))
#define T0 1700000000

static const uint8_t mac_a[MAC_LEN] = { 0x52, 0x54, 0x00, 0, 0, 0x0a };
static const uint8_t mac_b[MAC_LEN] = { 0x52, 0x54, 0x00, 0, 0, 0x0b };
static const uint8_t mac_c[MAC_LEN] = { 0x52, 0x54, 0x00, 0, 0, 0x0c };
static const uint8_t mac_d[MAC_LEN] = { 0x52, 0x54, 0x00, 0, 0, 0x0d };

/** plan_small() - 192.0.2.0/24, pool .10-.12, router .1. */
static void plan_small(struct lease_plan *p)
{
	char err[256];

	assert_int_equal(lease_plan_parse(p, "192.0.2.10-192.0.2.12", "192.0.2.0/24",
					  "192.0.2.1", NULL, 0, err, sizeof(err)), 0);
}

static void test_plan(void **state)
{
	struct lease_plan p;
	struct lease_subnet auto_net = { .net = NET(0), .prefix = 24 };
	char err[256];

	(void)state;
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.20, 198.51.100.5-198.51.100.9",
					  "192.0.2.0/24,198.51.100.0/24", "198.51.100.1",
					  NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(p.nr_subnets, 2);
	assert_int_equal(p.nr_ranges, 2);
	assert_int_equal(p.pool_size, 16);
	assert_int_equal(p.subnets[0].router, 0);
	assert_int_equal(p.subnets[1].router, 0xc6336401U);
	assert_int_equal(p.ranges[1].subnet, 1);
	assert_int_equal(lease_plan_subnet_of(&p, 0xc6336463U), 1);
	assert_int_equal(lease_plan_subnet_of(&p, 0x0a000001U), -ENOENT);
	assert_true(lease_plan_in_pool(&p, NET(15), 0));
	assert_false(lease_plan_in_pool(&p, NET(15), 1));
	assert_false(lease_plan_in_pool(&p, NET(21), -1));

	/* subnet taken from the interfaces */
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.20", "", "", &auto_net, 1,
					  err, sizeof(err)), 0);
	assert_int_equal(p.nr_subnets, 1);

	/* errors name the value */
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.3.20", "192.0.2.0/24", "",
					  NULL, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "192.0.2.10-192.0.3.20"));
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.20,192.0.2.20-192.0.2.30",
					  "192.0.2.0/24", "", NULL, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps"));
	assert_int_equal(lease_plan_parse(&p, "x", "192.0.2.0/24", "", NULL, 0, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(lease_plan_parse(&p, "", "192.0.2.1/24", "", NULL, 0, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "192.0.2.1/24"));
	assert_int_equal(lease_plan_parse(&p, "", "192.0.2.0/24", "10.0.0.1", NULL, 0, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.0.0.1"));
	assert_int_equal(lease_plan_parse(&p, "", "192.0.2.0/24", "192.0.2.1,192.0.2.2", NULL, 0,
					  err, sizeof(err)), -EINVAL);
	assert_int_equal(lease_plan_parse(&p, "10.0.0.0-10.1.0.0", "10.0.0.0/8", "", NULL, 0,
					  err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "65536"));
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.20,", "192.0.2.0/24", "",
					  NULL, 0, err, sizeof(err)), -EINVAL);
	/* a range with no subnet anywhere */
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.20", "", "", NULL, 0,
					  err, sizeof(err)), -EINVAL);
}

static void test_allocation_order(void **state)
{
	struct lease_plan p;
	struct lease_table *t;
	uint32_t ip;

	(void)state;
	plan_small(&p);
	t = lease_table_new(&p);
	/* lowest first */
	assert_int_equal(lease_allocate(t, mac_a, 0, 0, T0, &ip), 0);
	assert_int_equal(ip, NET(10));
	assert_int_equal(lease_offer(t, mac_a, ip, T0, T0 + LEASE_OFFER_HOLD), 0);
	/* the offer holds the address: b gets the next */
	assert_int_equal(lease_allocate(t, mac_b, 0, 0, T0, &ip), 0);
	assert_int_equal(ip, NET(11));
	assert_int_equal(lease_offer(t, mac_b, ip, T0, T0 + LEASE_OFFER_HOLD), 0);
	assert_int_equal(lease_count_offers(t, T0), 2);
	/* a asks again: same address */
	assert_int_equal(lease_allocate(t, mac_a, 0, 0, T0 + 1, &ip), 0);
	assert_int_equal(ip, NET(10));
	/* c asks for a free address: it gets it */
	assert_int_equal(lease_allocate(t, mac_c, 0, NET(12), T0, &ip), 0);
	assert_int_equal(ip, NET(12));
	/* c asks for a held address: it gets the lowest free one */
	assert_int_equal(lease_allocate(t, mac_c, 0, NET(10), T0, &ip), 0);
	assert_int_equal(ip, NET(12));
	/* a request outside the pool is ignored */
	assert_int_equal(lease_allocate(t, mac_c, 0, NET(200), T0, &ip), 0);
	assert_int_equal(ip, NET(12));
	assert_int_equal(lease_offer(t, mac_c, ip, T0, T0 + LEASE_OFFER_HOLD), 0);
	/* pool exhausted */
	assert_int_equal(lease_allocate(t, mac_d, 0, 0, T0, &ip), -ENOSPC);
	/* wrong subnet index: nothing */
	assert_int_equal(lease_allocate(t, mac_d, 1, 0, T0, &ip), -ENOSPC);
	/* offers lapse after the hold: d gets the one that ended first */
	assert_int_equal(lease_bind(t, mac_b, NET(11), T0 + 5, T0 + 3600, "host-b"), 0);
	assert_int_equal(lease_allocate(t, mac_d, 0, 0, T0 + LEASE_OFFER_HOLD + 1, &ip), 0);
	assert_int_equal(ip, NET(10));
	assert_false(lease_may_use(t, mac_d, NET(11), T0 + LEASE_OFFER_HOLD + 1));
	assert_true(lease_may_use(t, mac_d, NET(12), T0 + LEASE_OFFER_HOLD + 1));
	assert_false(lease_may_use(t, mac_d, NET(200), T0));
	/* the table never outgrows the pool */
	assert_int_equal(lease_offer(t, mac_d, NET(200), T0, T0 + 1), -ENOSPC);
	assert_int_equal(lease_table_count(t), 3);
	lease_table_free(t);
}

static void test_reservations(void **state)
{
	struct lease_plan p;
	struct lease_table *t;
	/* a reserved outside the pool, c reserved inside it; duplicates ignored */
	struct lease_reservation r[] = {
		{ { 0x52, 0x54, 0x00, 0, 0, 0x0a }, NET(5) },
		{ { 0x52, 0x54, 0x00, 0, 0, 0x0c }, NET(10) },
		{ { 0x52, 0x54, 0x00, 0, 0, 0x0a }, NET(6) },
		{ { 0x52, 0x54, 0x00, 0, 0, 0x0d }, NET(10) },
	};
	uint32_t ip;

	(void)state;
	plan_small(&p);
	t = lease_table_new(&p);
	lease_table_set_reservations(t, r, ARRAY_SIZE(r));
	assert_int_equal(lease_allocate(t, mac_a, 0, 0, T0, &ip), 0);
	assert_int_equal(ip, NET(5));
	assert_true(lease_may_use(t, mac_a, NET(5), T0));
	assert_false(lease_may_use(t, mac_a, NET(6), T0));
	assert_int_equal(lease_bind(t, mac_a, NET(5), T0, T0 + 60, NULL), 0);
	/* .10 is c's: b skips it, even when asking for it */
	assert_int_equal(lease_allocate(t, mac_b, 0, NET(10), T0, &ip), 0);
	assert_int_equal(ip, NET(11));
	assert_false(lease_may_use(t, mac_b, NET(10), T0));
	assert_false(lease_may_use(t, mac_d, NET(10), T0));
	assert_int_equal(lease_allocate(t, mac_c, 0, 0, T0, &ip), 0);
	assert_int_equal(ip, NET(10));

	/* a lease from before the reservation: c gets a pool address meanwhile */
	lease_table_set_reservations(t, NULL, 0);
	assert_null(lease_find_ip(t, NET(5)));	/* outside the pool now: dropped */
	assert_int_equal(lease_bind(t, mac_b, NET(10), T0, T0 + 60, NULL), 0);
	lease_table_set_reservations(t, r, ARRAY_SIZE(r));
	assert_false(lease_may_use(t, mac_b, NET(10), T0));
	assert_int_equal(lease_allocate(t, mac_c, 0, 0, T0, &ip), 0);
	assert_int_equal(ip, NET(11));
	assert_int_equal(lease_allocate(t, mac_c, 0, 0, T0 + 61, &ip), 0);
	assert_int_equal(ip, NET(10));
	lease_table_free(t);
}

static void test_stable_address(void **state)
{
	struct lease_plan p;
	struct lease_table *t;
	uint32_t ip;

	(void)state;
	plan_small(&p);
	t = lease_table_new(&p);
	assert_int_equal(lease_bind(t, mac_a, NET(12), T0, T0 + 60, "a"), 0);
	/* the lease ran out long ago; a still gets .12, others the rest first */
	assert_int_equal(lease_expire(t, T0 + 1000, NULL, NULL), 1);
	assert_int_equal(lease_allocate(t, mac_b, 0, 0, T0 + 1000, &ip), 0);
	assert_int_equal(ip, NET(10));
	assert_int_equal(lease_bind(t, mac_b, ip, T0 + 1000, T0 + 2000, NULL), 0);
	assert_int_equal(lease_allocate(t, mac_a, 0, NET(11), T0 + 1000, &ip), 0);
	assert_int_equal(ip, NET(12));
	/* released: still remembered */
	assert_int_equal(lease_bind(t, mac_a, NET(12), T0 + 1000, T0 + 2000, NULL), 0);
	assert_int_equal(lease_release(t, mac_a, NET(12), T0 + 1001), 0);
	assert_int_equal(lease_release(t, mac_a, NET(12), T0 + 1001), -ENOENT);
	assert_int_equal(lease_release(t, mac_b, NET(12), T0 + 1001), -ENOENT);
	assert_int_equal(lease_allocate(t, mac_a, 0, 0, T0 + 1002, &ip), 0);
	assert_int_equal(ip, NET(12));
	/* the pool runs dry: d gets a's old address, the only one not held */
	assert_int_equal(lease_bind(t, mac_c, NET(11), T0 + 1002, T0 + 2000, NULL), 0);
	assert_int_equal(lease_allocate(t, mac_d, 0, 0, T0 + 1003, &ip), 0);
	assert_int_equal(ip, NET(12));
	/* a client moving to another address gives the first one up */
	assert_int_equal(lease_bind(t, mac_c, NET(12), T0 + 1003, T0 + 2000, NULL), 0);
	assert_false(lease_active(lease_find_ip(t, NET(11)), T0 + 1003));
	assert_ptr_equal(lease_find_mac(t, mac_c, 0, T0 + 1003), lease_find_ip(t, NET(12)));
	/* an offer does not shorten a lease */
	assert_int_equal(lease_offer(t, mac_c, NET(12), T0 + 1004, T0 + 1004 + LEASE_OFFER_HOLD), 0);
	assert_int_equal(lease_find_ip(t, NET(12))->state, LEASE_BOUND);
	assert_int_equal(lease_find_ip(t, NET(12))->expires, T0 + 2000);
	lease_table_free(t);
}

/** expired_cb() - count expired leases (test_expiry). */
static void expired_cb(const struct lease *l, void *arg)
{
	(*(int *)arg)++;
	assert_int_equal(l->state, LEASE_BOUND);
}

static void test_expiry(void **state)
{
	struct lease_plan p;
	struct lease_table *t;
	int calls = 0;

	(void)state;
	plan_small(&p);
	t = lease_table_new(&p);
	assert_int_equal(lease_bind(t, mac_a, NET(10), T0, T0 + 60, NULL), 0);
	assert_int_equal(lease_offer(t, mac_b, NET(11), T0, T0 + LEASE_OFFER_HOLD), 0);
	assert_int_equal(lease_expire(t, T0 + 59, expired_cb, &calls), 0);
	assert_int_equal(calls, 0);
	assert_non_null(lease_find_mac(t, mac_a, 0, T0 + 59));
	/* the offer lapses silently, the lease with a call */
	assert_int_equal(lease_expire(t, T0 + 60, expired_cb, &calls), 1);
	assert_int_equal(calls, 1);
	assert_null(lease_find_mac(t, mac_a, 0, T0 + 60));
	assert_null(lease_find_mac(t, mac_b, -1, T0 + 60));
	assert_int_equal(lease_find_ip(t, NET(10))->state, LEASE_RELEASED);
	assert_int_equal(lease_count_offers(t, T0 + 60), 0);
	lease_table_free(t);
}

static void test_decline(void **state)
{
	struct lease_plan p;
	struct lease_table *t;
	uint32_t ip;

	(void)state;
	plan_small(&p);
	t = lease_table_new(&p);
	assert_int_equal(lease_offer(t, mac_a, NET(10), T0, T0 + LEASE_OFFER_HOLD), 0);
	/* only the holder can decline */
	assert_int_equal(lease_decline(t, mac_b, NET(10), T0 + LEASE_DECLINE_HOLD), -ENOENT);
	assert_int_equal(lease_decline(t, mac_a, NET(11), T0 + LEASE_DECLINE_HOLD), -ENOENT);
	assert_int_equal(lease_decline(t, mac_a, NET(10), T0 + LEASE_DECLINE_HOLD), 0);
	/* quarantined: nobody, not even a, gets it */
	assert_int_equal(lease_allocate(t, mac_a, 0, NET(10), T0 + 1, &ip), 0);
	assert_int_equal(ip, NET(11));
	assert_false(lease_may_use(t, mac_a, NET(10), T0 + 1));
	assert_null(lease_find_mac(t, mac_a, -1, T0 + 1));
	/* after the quarantine it is free again and the entry is gone */
	assert_int_equal(lease_expire(t, T0 + LEASE_DECLINE_HOLD, NULL, NULL), 0);
	assert_null(lease_find_ip(t, NET(10)));
	assert_int_equal(lease_allocate(t, mac_b, 0, 0, T0 + LEASE_DECLINE_HOLD, &ip), 0);
	assert_int_equal(ip, NET(10));
	lease_table_free(t);
}

static void test_persistence(void **state)
{
	char dir[] = "/tmp/test-leases.XXXXXX", path[64], err[256];
	struct lease_plan p;
	struct lease_table *t, *u;
	const struct lease *l;
	char *text;
	size_t len;

	(void)state;
	plan_small(&p);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/leases", dir);
	t = lease_table_new(&p);
	/* missing file: empty table */
	assert_int_equal(lease_table_load(t, path, err, sizeof(err)), 0);
	assert_int_equal(lease_table_count(t), 0);
	assert_int_equal(lease_bind(t, mac_a, NET(10), T0, T0 + 3600, "pc\x01-a b"), 0);
	assert_int_equal(lease_bind(t, mac_b, NET(11), T0, T0 + 60, NULL), 0);
	assert_int_equal(lease_release(t, mac_b, NET(11), T0 + 1), 0);
	assert_int_equal(lease_offer(t, mac_c, NET(12), T0, T0 + LEASE_OFFER_HOLD), 0);
	assert_int_equal(lease_decline(t, mac_c, NET(12), T0 + LEASE_DECLINE_HOLD), 0);
	assert_int_equal(lease_table_save(t, path, err, sizeof(err)), 0);

	text = lease_table_format(t, &len);
	assert_non_null(strstr(text, "192.0.2.10 52:54:00:00:00:0a bound 1700003600 pc-ab\n"));
	assert_non_null(strstr(text, "192.0.2.11 52:54:00:00:00:0b released 1700000001\n"));
	assert_non_null(strstr(text, "192.0.2.12 - declined 1700000600\n"));
	free(text);

	u = lease_table_new(&p);
	assert_int_equal(lease_table_load(u, path, err, sizeof(err)), 0);
	assert_int_equal(lease_table_count(u), 3);
	l = lease_find_mac(u, mac_a, 0, T0 + 10);
	assert_non_null(l);
	assert_int_equal(l->ip, NET(10));
	assert_int_equal(l->expires, T0 + 3600);
	assert_string_equal(l->hostname, "pc-ab");
	assert_int_equal(lease_find_ip(u, NET(11))->state, LEASE_RELEASED);
	assert_int_equal(lease_find_ip(u, NET(12))->state, LEASE_DECLINED);
	/* an offer is not saved */
	assert_int_equal(lease_offer(u, mac_d, NET(11), T0, T0 + LEASE_OFFER_HOLD), 0);
	text = lease_table_format(u, &len);
	assert_null(strstr(text, "52:54:00:00:00:0d"));
	free(text);
	lease_table_free(u);

	/* a smaller pool: entries outside it are forgotten on load */
	assert_int_equal(lease_plan_parse(&p, "192.0.2.10-192.0.2.10", "192.0.2.0/24", "", NULL,
					  0, err, sizeof(err)), 0);
	u = lease_table_new(&p);
	assert_int_equal(lease_table_load(u, path, err, sizeof(err)), 0);
	assert_int_equal(lease_table_count(u), 1);
	lease_table_free(u);

	lease_table_free(t);
	assert_int_equal(rm_rf(dir), 0);
}

/** parse_err() - parse @text into a fresh table, expect -EINVAL with @want
 * in the message. */
static void parse_err(const char *text, const char *want)
{
	struct lease_plan p;
	struct lease_table *t;
	char err[256];

	plan_small(&p);
	t = lease_table_new(&p);
	assert_int_equal(lease_table_parse(t, text, "leases", err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("message '%s' lacks '%s'", err, want);
	assert_int_equal(lease_table_count(t), 0);
	lease_table_free(t);
}

static void test_corrupt_file(void **state)
{
	char dir[] = "/tmp/test-leases.XXXXXX", path[64], err[256];
	struct lease_plan p;
	struct lease_table *t;
	char big[8192];
	const char bad[] = "# x\n192.0.2.10 52:54:00:00:00:0a bound 1\n\0junk";

	(void)state;
	parse_err("# header\n\n192.0.2.10 52:54:00:00:00:0a bound 1\nfoo\n", "leases line 4:");
	parse_err("192.0.2.300 52:54:00:00:00:0a bound 1\n", "line 1: bad IPv4 address '192.0.2.300'");
	parse_err("192.0.2.10 zz bound 1\n", "bad MAC address 'zz'");
	parse_err("192.0.2.10 52:54:00:00:00:0a happy 1\n", "bad state 'happy'");
	parse_err("192.0.2.10 52:54:00:00:00:0a bound -1\n", "bad expiry time '-1'");
	parse_err("192.0.2.10 52:54:00:00:00:0a bound 99999999999999999999\n", "bad expiry");
	parse_err("192.0.2.10 52:54:00:00:00:0a bound 1 a b\n", "fields");
	parse_err("192.0.2.10 52:54:00:00:00:0a\n", "got 2 fields");
	parse_err("192.0.2.10 52:54:00:00:00:0a bound 1 h\xc3\xa9\n", "bad host name");
	parse_err("192.0.2.10 52:54:00:00:00:0a declined 1\n", "declined address");
	parse_err("192.0.2.10 52:54:00:00:00:0a bound 1\n192.0.2.10 52:54:00:00:00:0b bound 1\n",
		  "line 2: address 192.0.2.10 is listed twice");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse_err(big, "line 1: line too long");

	/* from a file, with a NUL byte in it */
	plan_small(&p);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/leases", dir);
	assert_int_equal(file_write_atomic(path, bad, sizeof(bad) - 1, 0644), 0);
	t = lease_table_new(&p);
	assert_int_equal(lease_table_load(t, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	/* a directory where the file should be */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_true(lease_table_load(t, path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot read"));
	lease_table_free(t);
	assert_int_equal(rm_rf(dir), 0);
}

static void test_hostname(void **state)
{
	char out[LEASE_HOSTNAME_LEN];
	uint8_t longname[200];

	(void)state;
	lease_sanitize_hostname((const uint8_t *)"a b;c\nd", 7, out);
	assert_string_equal(out, "abcd");
	memset(longname, 'h', sizeof(longname));
	lease_sanitize_hostname(longname, sizeof(longname), out);
	assert_int_equal(strlen(out), LEASE_HOSTNAME_LEN - 1);
	lease_sanitize_hostname(NULL, 0, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_allocation_order),
		cmocka_unit_test(test_reservations),
		cmocka_unit_test(test_stable_address),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_corrupt_file),
		cmocka_unit_test(test_hostname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
