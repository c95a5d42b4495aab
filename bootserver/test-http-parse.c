/* Unit tests for bootserver/http-parse.c: Range headers (the forms curl,
 * iPXE and browsers send, the RFC 9110 section 14 edge cases, garbage),
 * percent-decoding of paths and query values (traversal spellings, NUL,
 * control characters, malformed escapes, the output bound) and HTTP dates. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "http-parse.h"

/**
 * range() - parse @value against @size; check kind, and first/len when
 * partial.
 */
static void range(const char *value, uint64_t size, enum http_range_kind want,
		  uint64_t want_first, uint64_t want_len)
{
	uint64_t first = 12345, len = 12345;
	enum http_range_kind got = http_range_parse(value, size, &first, &len);

	if (got != want)
		fail_msg("Range '%s' size %llu: kind %d, expected %d", value ? value : "(null)",
			 (unsigned long long)size, got, want);
	if (want == HTTP_RANGE_PARTIAL) {
		assert_int_equal(first, want_first);
		assert_int_equal(len, want_len);
	}
}

static void test_range_single(void **state)
{
	(void)state;
	range("bytes=0-499", 10000, HTTP_RANGE_PARTIAL, 0, 500);
	range("bytes=500-999", 10000, HTTP_RANGE_PARTIAL, 500, 500);
	range("bytes=9500-", 10000, HTTP_RANGE_PARTIAL, 9500, 500);
	range("bytes=-500", 10000, HTTP_RANGE_PARTIAL, 9500, 500);
	range("bytes=0-0", 10000, HTTP_RANGE_PARTIAL, 0, 1);
	range("bytes=9999-9999", 10000, HTTP_RANGE_PARTIAL, 9999, 1);
	/* case-insensitive unit, white space around the set */
	range("Bytes=1-2", 10, HTTP_RANGE_PARTIAL, 1, 2);
	range(" bytes = 3-4 ", 10, HTTP_RANGE_PARTIAL, 3, 2);
	/* a last position past the end is cut; a suffix longer than the file
	 * means the whole file */
	range("bytes=5-100", 10, HTTP_RANGE_PARTIAL, 5, 5);
	range("bytes=-100", 10, HTTP_RANGE_PARTIAL, 0, 10);
	range("bytes=0-18446744073709551615", 10, HTTP_RANGE_PARTIAL, 0, 10);
	range("bytes=0-99999999999999999999999", 10, HTTP_RANGE_PARTIAL, 0, 10);
	range("bytes=-99999999999999999999999", 10, HTTP_RANGE_PARTIAL, 0, 10);
	/* empty list elements are allowed */
	range("bytes=,2-3,", 10, HTTP_RANGE_PARTIAL, 2, 2);
	/* a > 4 GiB file */
	range("bytes=5000000000-", 6000000000ULL, HTTP_RANGE_PARTIAL, 5000000000ULL,
	      1000000000ULL);
}

static void test_range_unsatisfiable(void **state)
{
	(void)state;
	range("bytes=10-", 10, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=10-20", 10, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=99999999999999999999999-", 10, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=-0", 10, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	/* nothing is satisfiable in an empty file */
	range("bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=-5", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0);
	range("bytes=20-30,40-50", 10, HTTP_RANGE_UNSATISFIABLE, 0, 0);
}

static void test_range_ignored(void **state)
{
	(void)state;
	/* no header, another unit, or syntax errors: the whole file */
	range(NULL, 10, HTTP_RANGE_FULL, 0, 0);
	range("", 10, HTTP_RANGE_FULL, 0, 0);
	range("items=0-1", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytesx=0-1", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=,", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=-", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=5", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=5-3", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=a-b", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=1-2x", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=1-2 3-4", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=--1", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=+1-2", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=1-2,x", 10, HTTP_RANGE_FULL, 0, 0);
	/* a syntax error makes the whole header invalid, even an
	 * unsatisfiable one */
	range("bytes=20-,x", 10, HTTP_RANGE_FULL, 0, 0);
	/* several ranges: the whole file (RFC 9110 section 14.2 allows it) */
	range("bytes=0-1,5-6", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=0-1,20-30", 10, HTTP_RANGE_FULL, 0, 0);
	range("bytes=0-1,-2", 10, HTTP_RANGE_FULL, 0, 0);
}

/**
 * decode() - decode @in; check the return and, on success, the text.
 */
static void decode(const char *in, int want_rc, const char *want)
{
	char out[64];
	int rc = http_percent_decode(in, strlen(in), out, sizeof(out));

	if (rc != want_rc)
		fail_msg("decoding '%s': %d, expected %d", in, rc, want_rc);
	if (rc >= 0) {
		assert_string_equal(out, want);
		assert_int_equal((size_t)rc, strlen(want));
	}
}

static void test_decode(void **state)
{
	(void)state;
	decode("/boot.ipxe", 10, "/boot.ipxe");
	decode("", 0, "");
	decode("/a%20b", 4, "/a b");
	decode("52%3a54%3A00", 8, "52:54:00");
	decode("a+b", 3, "a+b");
	/* every traversal spelling decodes to what vfs refuses */
	decode("/%2e%2e/etc/passwd", 14, "/../etc/passwd");
	decode("/..%2fetc", 7, "/../etc");
	decode("/%2E%2E%5Cetc", 7, "/..\\etc");
	decode("/%252e%252e/", 8, "/%2e%2e/");	/* decoded once only */
	/* 8-bit bytes pass (UTF-8 names) */
	decode("/caf%C3%A9", 6, "/caf\xc3\xa9");
	/* malformed escapes */
	decode("/a%", -EINVAL, NULL);
	decode("/a%4", -EINVAL, NULL);
	decode("/a%zz", -EINVAL, NULL);
	decode("/a%g0", -EINVAL, NULL);
	decode("/a%%41", -EINVAL, NULL);
	/* NUL and control characters, escaped or not */
	decode("/boot.ipxe%00.png", -EILSEQ, NULL);
	decode("/a%0a", -EILSEQ, NULL);
	decode("/a%0D%0A", -EILSEQ, NULL);
	decode("/a%7f", -EILSEQ, NULL);
	decode("/a\tb", -EILSEQ, NULL);
	decode("/a\x01", -EILSEQ, NULL);
}

static void test_decode_bounds(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(http_percent_decode("abc", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(http_percent_decode("abcd", 4, out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(http_percent_decode("%41%42%43", 9, out, sizeof(out)), 3);
	assert_string_equal(out, "ABC");
	assert_int_equal(http_percent_decode("%41%42%43%44", 12, out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(http_percent_decode("", 0, out, 0), -ENAMETOOLONG);
	/* only @inlen bytes are read: a query value inside a longer string */
	assert_int_equal(http_percent_decode("ab&c", 2, out, sizeof(out)), 2);
	assert_string_equal(out, "ab");
	/* an escape cut by @inlen is malformed */
	assert_int_equal(http_percent_decode("%414", 2, out, sizeof(out)), -EINVAL);
}

static void test_date(void **state)
{
	char out[HTTP_DATE_LEN];

	(void)state;
	http_date(784111777, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date(0, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date(1709251199, out);	/* the last second of February 2024 */
	assert_string_equal(out, "Thu, 29 Feb 2024 23:59:59 GMT");
	assert_int_equal(strlen(out), HTTP_DATE_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_single),
		cmocka_unit_test(test_range_unsatisfiable),
		cmocka_unit_test(test_range_ignored),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_bounds),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
