/* Unit tests: common/addr.c (IPv4 config values) and split_list(). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "parse.h"

static void test_ipv4(void **state)
{
	char buf[IPV4_STR_LEN];
	uint32_t ip;

	(void)state;
	assert_int_equal(parse_ipv4("192.0.2.1", &ip), 0);
	assert_int_equal(ip, 0xc0000201U);
	assert_string_equal(ipv4_str(ip, buf), "192.0.2.1");
	assert_int_equal(parse_ipv4("255.255.255.255", &ip), 0);
	assert_string_equal(ipv4_str(ip, buf), "255.255.255.255");
	assert_int_equal(parse_ipv4("10.1", &ip), -EINVAL);
	assert_int_equal(parse_ipv4("256.1.1.1", &ip), -EINVAL);
	assert_int_equal(parse_ipv4("1.2.3.4 ", &ip), -EINVAL);
	assert_int_equal(parse_ipv4("", &ip), -EINVAL);
	assert_int_equal(parse_ipv4(NULL, &ip), -EINVAL);
}

static void test_cidr(void **state)
{
	uint32_t net;
	unsigned len;

	(void)state;
	assert_int_equal(parse_cidr("192.0.2.0/24", &net, &len), 0);
	assert_int_equal(net, 0xc0000200U);
	assert_int_equal(len, 24);
	assert_true(ipv4_in_subnet(0xc00002feU, net, len));
	assert_false(ipv4_in_subnet(0xc0000301U, net, len));
	assert_int_equal(parse_cidr("0.0.0.0/0", &net, &len), 0);
	assert_true(ipv4_in_subnet(0x01020304U, net, len));
	assert_int_equal(parse_cidr("192.0.2.7/32", &net, &len), 0);
	assert_int_equal(ipv4_mask(32), UINT32_MAX);
	assert_int_equal(ipv4_mask(0), 0);
	assert_int_equal(ipv4_mask(20), 0xfffff000U);
	/* host bits set, bad prefixes, no slash */
	assert_int_equal(parse_cidr("192.0.2.1/24", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.0/33", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.0/", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.0/-1", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.0", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0/8", &net, &len),
			 -EINVAL);
}

static void test_range(void **state)
{
	uint32_t a, b;

	(void)state;
	assert_int_equal(parse_ipv4_range("192.0.2.100-192.0.2.200", &a, &b), 0);
	assert_int_equal(a, 0xc0000264U);
	assert_int_equal(b, 0xc00002c8U);
	assert_int_equal(parse_ipv4_range("192.0.2.5-192.0.2.5", &a, &b), 0);
	assert_int_equal(parse_ipv4_range("192.0.2.200-192.0.2.100", &a, &b), -EINVAL);
	assert_int_equal(parse_ipv4_range("192.0.2.100", &a, &b), -EINVAL);
	assert_int_equal(parse_ipv4_range("192.0.2.100 - 192.0.2.200", &a, &b), -EINVAL);
	assert_int_equal(parse_ipv4_range("-192.0.2.1", &a, &b), -EINVAL);
}

static void test_split_list(void **state)
{
	char **v;
	size_t n;

	(void)state;
	assert_int_equal(split_list(" eth1 ,eth2,\teth3 ", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "eth1");
	assert_string_equal(v[1], "eth2");
	assert_string_equal(v[2], "eth3");
	assert_null(v[3]);
	split_list_free(v);
	assert_int_equal(split_list("", &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v[0]);
	split_list_free(v);
	assert_int_equal(split_list("  ", &v, &n), 0);
	assert_int_equal(n, 0);
	split_list_free(v);
	assert_int_equal(split_list("one", &v, &n), 0);
	assert_int_equal(n, 1);
	split_list_free(v);
	assert_int_equal(split_list("a,,b", &v, &n), -EINVAL);
	assert_null(v);
	assert_int_equal(split_list("a, ", &v, &n), -EINVAL);
	assert_int_equal(split_list(",a", &v, &n), -EINVAL);
	split_list_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_split_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
