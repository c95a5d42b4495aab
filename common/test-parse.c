/* Unit tests for common/parse.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse.h"
#include "util.h"

static void test_u64(void **state)
{
	uint64_t v = 12345;

	assert_int_equal(parse_u64("0", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("42", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("007", 0, UINT64_MAX, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);

	v = 99;
	/* overflow by one, and by far */
	assert_int_equal(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	/* out of the caller's range */
	assert_int_equal(parse_u64("10", 11, 20, &v), -ERANGE);
	assert_int_equal(parse_u64("21", 11, 20, &v), -ERANGE);
	assert_int_equal(parse_u64("11", 11, 20, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(parse_u64("20", 11, 20, &v), 0);
	v = 99;
	/* not numbers */
	assert_int_equal(parse_u64("", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64(NULL, 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("+1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1 ", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1\n", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1x", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("0x10", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1.5", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("1e3", 0, 10000, &v), -EINVAL);
	/* garbage after an overflowing number is still garbage */
	assert_int_equal(parse_u64("99999999999999999999999x", 0, 100, &v), -EINVAL);
	assert_int_equal(v, 99);	/* untouched on error */
}

static void test_u32(void **state)
{
	uint32_t v = 7;

	assert_int_equal(parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(parse_u32("65536", 1, 65535, &v), -ERANGE);
	assert_int_equal(parse_u32("0", 1, 65535, &v), -ERANGE);
	assert_int_equal(parse_u32("10809", 1, 65535, &v), 0);
	assert_int_equal(v, 10809);
	assert_int_equal(parse_u32("-0", 0, 5, &v), -EINVAL);
}

static void test_int(void **state)
{
	int v = 5;

	assert_int_equal(parse_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_int("-2147483648", INT_MIN, INT_MAX, &v), 0);
	assert_int_equal(v, INT_MIN);
	assert_int_equal(parse_int("2147483647", INT_MIN, INT_MAX, &v), 0);
	assert_int_equal(v, INT_MAX);
	assert_int_equal(parse_int("2147483648", INT_MIN, INT_MAX, &v), -ERANGE);
	assert_int_equal(parse_int("-2147483649", INT_MIN, INT_MAX, &v), -ERANGE);
	assert_int_equal(parse_int("-99999999999999999999999", INT_MIN, INT_MAX, &v), -ERANGE);
	/* a sign is refused where the range has no negatives */
	assert_int_equal(parse_int("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_int("+1", -10, 10, &v), -EINVAL);
	assert_int_equal(parse_int("-", -10, 10, &v), -EINVAL);
	assert_int_equal(parse_int("--1", -10, 10, &v), -EINVAL);
	assert_int_equal(parse_int("-11", -10, 10, &v), -ERANGE);
	assert_int_equal(parse_int("", -10, 10, &v), -EINVAL);
	assert_int_equal(v, INT_MAX);
}

static void test_size(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "64K", 64ULL << 10 },
		{ "64k", 64ULL << 10 },
		{ "64KiB", 64ULL << 10 },
		{ "64kib", 64ULL << 10 },
		{ "64KB", 64ULL << 10 },
		{ "2M", 2ULL << 20 },
		{ "2MiB", 2ULL << 20 },
		{ "2G", 2ULL << 30 },
		{ "1T", 1ULL << 40 },
		{ "1TiB", 1ULL << 40 },
		{ "16777215T", 16777215ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "K", "KiB", "-1", "+1", " 1K", "1K ", "1 K", "1X", "1P", "1Ki", "1KiBB",
		"1iB", "1B", "1KK", "1.5K", "0x10", "1\nK",
	};
	static const char *const too_big[] = {
		"16777216T", "18446744073709551616", "17179869184G", "99999999999999999999K",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		v = 1;
		if (parse_size(good[i].in, &v) != 0 || v != good[i].out)
			fail_msg("parse_size(\"%s\") gave %llu", good[i].in,
				 (unsigned long long)v);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_size(bad[i], &v) != -EINVAL)
			fail_msg("parse_size(\"%s\") accepted", bad[i]);
	for (i = 0; i < ARRAY_SIZE(too_big); i++)
		if (parse_size(too_big[i], &v) != -ERANGE)
			fail_msg("parse_size(\"%s\") did not overflow", too_big[i]);
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yes ", " no", "enable", "onn" };
	bool b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_bool(bad[i], &b) != -EINVAL)
			fail_msg("parse_bool(\"%s\") accepted", bad[i]);
	assert_int_equal(parse_bool(NULL, &b), -EINVAL);
}

static void test_name_valid(void **state)
{
	char name[NAME_MAX_LEN + 2];

	assert_true(name_valid("lab"));
	assert_true(name_valid("a"));
	assert_true(name_valid("0"));
	assert_true(name_valid("debian-12.5_x86"));
	assert_true(name_valid("Lab.A-1"));
	assert_false(name_valid(""));
	assert_false(name_valid(NULL));
	assert_false(name_valid(".hidden"));
	assert_false(name_valid("-opt"));
	assert_false(name_valid("_x"));
	assert_false(name_valid(".."));
	assert_false(name_valid("a/b"));
	assert_false(name_valid("a b"));
	assert_false(name_valid("a@1"));
	assert_false(name_valid("caf\xc3\xa9"));
	assert_false(name_valid("a\n"));

	memset(name, 'a', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	assert_true(name_valid(name));
	name[NAME_MAX_LEN] = 'a';
	name[NAME_MAX_LEN + 1] = '\0';
	assert_false(name_valid(name));
}

static void test_hex_digit_value(void **state)
{
	(void)state;
	assert_int_equal(hex_digit_value('0'), 0);
	assert_int_equal(hex_digit_value('9'), 9);
	assert_int_equal(hex_digit_value('a'), 10);
	assert_int_equal(hex_digit_value('F'), 15);
	assert_int_equal(hex_digit_value('g'), -1);
	assert_int_equal(hex_digit_value('\0'), -1);
	assert_int_equal(hex_digit_value('/'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_digit_value),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_name_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
