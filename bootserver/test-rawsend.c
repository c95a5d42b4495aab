/* Unit tests: bootserver/rawsend.c (IPv4/UDP packets built and parsed by hand). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rawsend.h"

/* Any payload will do: the checksums are checked by summing again. */
static const uint8_t payload[] = "lanroot DHCP test payload";

static void test_build_parse(void **state)
{
	uint8_t buf[256];
	struct udp_packet u;
	int n;

	(void)state;
	n = rawsend_build_udp(buf, sizeof(buf), 0x0a4d0001U, 67, 0x0a4d0064U, 68, payload,
			      sizeof(payload));
	assert_int_equal(n, IPV4_UDP_HEADER_LEN + (int)sizeof(payload));
	assert_int_equal(buf[0], 0x45);
	assert_int_equal(buf[9], IPPROTO_UDP_NUM);
	/* both checksums verify to all ones */
	assert_int_equal(inet_checksum_add(0, buf, IPV4_HEADER_LEN), 0xffff);
	assert_int_equal(rawsend_parse_udp(buf, (size_t)n, &u), 0);
	assert_int_equal(u.src_ip, 0x0a4d0001U);
	assert_int_equal(u.dst_ip, 0x0a4d0064U);
	assert_int_equal(u.src_port, 67);
	assert_int_equal(u.dst_port, 68);
	assert_int_equal(u.len, sizeof(payload));
	assert_memory_equal(u.payload, payload, sizeof(payload));
	/* the UDP checksum over pseudo-header, header and data: all ones */
	{
		uint8_t ph[12] = { 10, 77, 0, 1, 10, 77, 0, 100, 0, IPPROTO_UDP_NUM, 0,
				   (uint8_t)(UDP_HEADER_LEN + sizeof(payload)) };
		uint32_t sum = inet_checksum_add(0, ph, sizeof(ph));

		assert_int_equal(inet_checksum_add(sum, buf + IPV4_HEADER_LEN,
						   (size_t)n - IPV4_HEADER_LEN), 0xffff);
	}
	/* too small a buffer */
	assert_int_equal(rawsend_build_udp(buf, 30, 1, 2, 3, 4, payload, sizeof(payload)),
			 -EMSGSIZE);
}

static void test_checksum(void **state)
{
	/* RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 sums to ddf2 */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[] = { 0x01 };

	(void)state;
	assert_int_equal(inet_checksum_add(0, b, sizeof(b)), 0xddf2);
	assert_int_equal(inet_checksum_add(0, odd, 1), 0x0100);
	assert_int_equal(inet_checksum_add(0, NULL, 0), 0);
}

static void test_parse_bad(void **state)
{
	uint8_t buf[256], bad[256];
	struct udp_packet u;
	int n;

	(void)state;
	n = rawsend_build_udp(buf, sizeof(buf), 1, 67, 2, 68, payload, sizeof(payload));
	assert_true(n > 0);
	/* truncated */
	assert_int_equal(rawsend_parse_udp(buf, 20, &u), -EINVAL);
	assert_int_equal(rawsend_parse_udp(buf, (size_t)n - 1, &u), -EINVAL);
	/* bad checksum */
	memcpy(bad, buf, (size_t)n);
	bad[12] ^= 1;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	/* not IPv4, not UDP */
	memcpy(bad, buf, (size_t)n);
	bad[0] = 0x65;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	memcpy(bad, buf, (size_t)n);
	bad[9] = 6;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	/* a fragment (MF set) */
	memcpy(bad, buf, (size_t)n);
	bad[6] |= 0x20;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	/* IHL below 5 */
	memcpy(bad, buf, (size_t)n);
	bad[0] = 0x44;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	/* UDP length beyond the packet (header checksum kept right) */
	memcpy(bad, buf, (size_t)n);
	bad[IPV4_HEADER_LEN + 4] = 0xff;
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n, &u), -EINVAL);
	/* trailing Ethernet padding is fine */
	memcpy(bad, buf, (size_t)n);
	memset(bad + n, 0, 10);
	assert_int_equal(rawsend_parse_udp(bad, (size_t)n + 10, &u), 0);
	assert_int_equal(u.len, sizeof(payload));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_parse_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
