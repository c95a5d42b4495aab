/* Unit tests for bootserver/clientmap.c: learning, look-ups by IP and
 * UUID, moves, the bound and eviction, and the neighbour table fallback.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientmap.h"
#include "testutil.h"
#include "util.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t uuid_a[16] = { 0x11, 0x22, 0x33, 0x44, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				    14, 15, 16 };

/** quiet_map() - a map that never reads the real neighbour table. */
static struct clientmap *quiet_map(size_t max)
{
	struct clientmap *m = clientmap_new(max);

	clientmap_set_arp_path(m, "");
	return m;
}

static void test_learn_lookup(void **state)
{
	struct clientmap *m = quiet_map(8);
	char mac[MAC_STR_LEN];

	(void)state;
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), -ENOENT);
	clientmap_learn(m, IP(10, 0, 0, 2), "52-54-00-00-00-01", uuid_a);
	assert_int_equal(clientmap_count(m), 1);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), 0);
	assert_string_equal(mac, "52:54:00:00:00:01");
	assert_int_equal(clientmap_mac_for_uuid(m, uuid_a, mac), 0);
	assert_string_equal(mac, "52:54:00:00:00:01");
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 3), mac), -ENOENT);
	assert_int_equal(clientmap_mac_for_ip(m, 0, mac), -ENOENT);

	/* Proxy mode: no address; the one known is kept. */
	clientmap_learn(m, 0, "52:54:00:00:00:01", NULL);
	assert_int_equal(clientmap_count(m), 1);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), 0);
	assert_int_equal(clientmap_mac_for_uuid(m, uuid_a, mac), 0);

	/* Invalid MACs are ignored. */
	clientmap_learn(m, IP(10, 0, 0, 9), "nonsense", NULL);
	clientmap_learn(m, IP(10, 0, 0, 9), NULL, NULL);
	clientmap_learn(m, IP(10, 0, 0, 9), "01:00:5e:00:00:01", NULL);
	assert_int_equal(clientmap_count(m), 1);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 9), mac), -ENOENT);
	clientmap_free(m);
	clientmap_free(NULL);
}

/* An address moves to the machine that claims it last. */
static void test_address_moves(void **state)
{
	struct clientmap *m = quiet_map(8);
	char mac[MAC_STR_LEN];

	(void)state;
	clientmap_learn(m, IP(10, 0, 0, 2), "52:54:00:00:00:01", NULL);
	clientmap_learn(m, IP(10, 0, 0, 2), "52:54:00:00:00:02", NULL);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), 0);
	assert_string_equal(mac, "52:54:00:00:00:02");
	/* And a machine that changes address leaves the old one. */
	clientmap_learn(m, IP(10, 0, 0, 3), "52:54:00:00:00:02", NULL);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), -ENOENT);
	assert_int_equal(clientmap_count(m), 2);
	clientmap_free(m);
}

/* The table is bounded: the machine heard from longest ago goes. */
static void test_eviction(void **state)
{
	struct clientmap *m = quiet_map(2);
	char mac[MAC_STR_LEN];

	(void)state;
	clientmap_learn(m, IP(10, 0, 0, 1), "52:54:00:00:00:01", NULL);
	clientmap_learn(m, IP(10, 0, 0, 2), "52:54:00:00:00:02", NULL);
	clientmap_learn(m, 0, "52:54:00:00:00:01", NULL);	/* heard again */
	clientmap_learn(m, IP(10, 0, 0, 3), "52:54:00:00:00:03", NULL);
	assert_int_equal(clientmap_count(m), 2);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 1), mac), 0);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), -ENOENT);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 3), mac), 0);
	clientmap_free(m);

	/* Size 0 is taken as 1. */
	m = quiet_map(0);
	clientmap_learn(m, IP(10, 0, 0, 1), "52:54:00:00:00:01", NULL);
	clientmap_learn(m, IP(10, 0, 0, 2), "52:54:00:00:00:02", NULL);
	assert_int_equal(clientmap_count(m), 1);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 2), mac), 0);
	clientmap_free(m);
}

/* Unknown addresses are looked up in the neighbour table: complete
 * entries only; learned entries come first. */
static void test_neighbour_table(void **state)
{
	struct tu_scratch *s = *state;
	struct clientmap *m = clientmap_new(4);
	char mac[MAC_STR_LEN], *path = tu_path(s->dir, "arp");
	static const char table[] =
		"IP address       HW type     Flags       HW address            Mask     Device\n"
		"10.0.0.7         0x1         0x2         52:54:00:aa:bb:07     *        eth0\n"
		"10.0.0.8         0x1         0x0         00:00:00:00:00:00     *        eth0\n"
		"10.0.0.9         0x1         0x2         garbage               *        eth0\n"
		"short line\n"
		"10.0.0.10        0x1         0x6         52:54:00:aa:bb:0a     *        eth1";

	tu_write_file(path, table, strlen(table), 0644);
	clientmap_set_arp_path(m, path);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 7), mac), 0);
	assert_string_equal(mac, "52:54:00:aa:bb:07");
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 8), mac), -ENOENT);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 9), mac), -ENOENT);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 10), mac), 0);
	assert_string_equal(mac, "52:54:00:aa:bb:0a");
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 11), mac), -ENOENT);
	/* A learned entry wins over the table. */
	clientmap_learn(m, IP(10, 0, 0, 7), "52:54:00:00:00:07", NULL);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 7), mac), 0);
	assert_string_equal(mac, "52:54:00:00:00:07");
	/* The table is read again at each look-up (the file is kept open). */
	assert_int_equal(unlink(path), 0);
	tu_write_file(path, "", 0, 0644);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 10), mac), 0);
	clientmap_set_arp_path(m, path);
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 10), mac), -ENOENT);
	/* A missing table is no table. */
	clientmap_set_arp_path(m, "/nonexistent/arp");
	assert_int_equal(clientmap_mac_for_ip(m, IP(10, 0, 0, 10), mac), -ENOENT);
	clientmap_free(m);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_address_moves),
		cmocka_unit_test(test_eviction),
		tu_scratch_test(test_neighbour_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
