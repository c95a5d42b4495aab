/* Unit tests for common/mac.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mac.h"
#include "util.h"

static const uint8_t expected[MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void test_notations(void **state)
{
	static const char *const good[] = {
		"52:54:00:12:34:56",
		"52-54-00-12-34-56",
		"5254.0012.3456",
		"525400123456",
		"52:54:0:12:34:56",
		"52-54-0-12-34-56",
		"01-52-54-00-12-34-56",
		"01:52:54:00:12:34:56",
	};
	uint8_t mac[MAC_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		memset(mac, 0xee, sizeof(mac));
		if (mac_parse(good[i], mac) != 0)
			fail_msg("mac_parse(\"%s\") failed", good[i]);
		assert_memory_equal(mac, expected, MAC_LEN);
	}
}

static void test_case_and_single_digits(void **state)
{
	static const uint8_t want[MAC_LEN] = { 0x0a, 0xbc, 0x0d, 0xef, 0x01, 0x02 };
	uint8_t mac[MAC_LEN];

	assert_int_equal(mac_parse("0A:BC:0D:EF:01:02", mac), 0);
	assert_memory_equal(mac, want, MAC_LEN);
	assert_int_equal(mac_parse("a:bc:d:Ef:1:2", mac), 0);
	assert_memory_equal(mac, want, MAC_LEN);
	assert_int_equal(mac_parse("0ABC.0DEF.0102", mac), 0);
	assert_memory_equal(mac, want, MAC_LEN);
	assert_int_equal(mac_parse("0abc0DEF0102", mac), 0);
	assert_memory_equal(mac, want, MAC_LEN);
}

static void test_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		":",
		"52:54:00:12:34",		/* five groups */
		"52:54:00:12:34:56:78",		/* seven, not pxelinux */
		"02-52-54-00-12-34-56",		/* pxelinux with another hardware type */
		"1-52-54-00-12-34-56",		/* hardware type not two digits */
		"52:54:00:12:34:56:",
		":52:54:00:12:34:56",
		"52::54:00:12:34:56",
		"52:54-00:12:34:56",		/* mixed separators */
		"52:54:00:12:34:567",		/* three-digit group */
		"052:54:00:12:34:56",
		"52:54:00:12:34:5g",
		"52 54 00 12 34 56",
		" 52:54:00:12:34:56",
		"52:54:00:12:34:56 ",
		"52:54:00:12:34:56\n",
		"5254.0012.345",		/* short dotted group */
		"5254.0012.34567",
		"5254:0012:3456",
		"525.4001.23456",
		"52540012345",			/* eleven digits */
		"5254001234567",		/* thirteen */
		"52540012345g",
		"+52:54:00:12:34:56",
		"0x525400123456",
		/* multicast, broadcast and all-zero */
		"01:00:5e:00:00:01",
		"33:33:00:00:00:01",
		"ff:ff:ff:ff:ff:ff",
		"00:00:00:00:00:00",
		"000000000000",
		"0000.0000.0000",
		"01-01-00-5e-00-00-01",		/* pxelinux form of a multicast MAC */
	};
	uint8_t mac[MAC_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(mac, expected, MAC_LEN);
		if (mac_parse(bad[i], mac) != -EINVAL)
			fail_msg("mac_parse(\"%s\") accepted", bad[i]);
		/* untouched on error */
		assert_memory_equal(mac, expected, MAC_LEN);
	}
	assert_int_equal(mac_parse(NULL, mac), -EINVAL);
}

static void test_locally_administered_ok(void **state)
{
	uint8_t mac[MAC_LEN];

	/* Bit 1 (locally administered) is fine; only bit 0 is refused. */
	assert_int_equal(mac_parse("02:00:00:00:00:01", mac), 0);
	assert_int_equal(mac_parse("fe:ff:ff:ff:ff:ff", mac), 0);
}

static void test_format(void **state)
{
	char out[MAC_STR_LEN];
	const uint8_t mac[MAC_LEN] = { 0xAB, 0xCD, 0xEF, 0x00, 0x01, 0xFF };

	mac_format(mac, out);
	assert_string_equal(out, "ab:cd:ef:00:01:ff");
	assert_int_equal(strlen(out), MAC_STR_LEN - 1);
	mac_format_dash(mac, out);
	assert_string_equal(out, "ab-cd-ef-00-01-ff");
}

static void test_canonical(void **state)
{
	char out[MAC_STR_LEN] = "unchanged";

	assert_int_equal(mac_canonical("5254.0012.3456", out), 0);
	assert_string_equal(out, "52:54:00:12:34:56");
	assert_int_equal(mac_canonical("01-52-54-00-12-34-56", out), 0);
	assert_string_equal(out, "52:54:00:12:34:56");
	assert_int_equal(mac_canonical("52:54:0:12:34:5", out), 0);
	assert_string_equal(out, "52:54:00:12:34:05");
	strcpy(out, "unchanged");
	assert_int_equal(mac_canonical("nonsense", out), -EINVAL);
	assert_string_equal(out, "unchanged");

	/* Round trip: the canonical form parses to the same bytes. */
	{
		uint8_t mac[MAC_LEN];

		assert_int_equal(mac_canonical("525400123456", out), 0);
		assert_int_equal(mac_parse(out, mac), 0);
		assert_memory_equal(mac, expected, MAC_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notations),
		cmocka_unit_test(test_case_and_single_digits),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_locally_administered_ok),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
