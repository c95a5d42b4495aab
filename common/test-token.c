/* Unit tests for common/token.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "token.h"
#include "testutil.h"
#include "util.h"

static const uint8_t key[SECRET_LEN] = "0123456789abcdef0123456789abcdef";

/** is_lower_hex() - @s is @len lowercase hex digits. */
static bool is_lower_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

static void test_known_answer(void **state)
{
	/* Expected values computed independently (Python hmac): the message is
	 * each field as an 8-byte big-endian length and its bytes. */
	const char *ab_c[] = { "ab", "c" };
	const char *client[] = { "52:54:00:12:34:56", "lab" };
	uint8_t seq[SECRET_LEN];
	char out[TOKEN_HEX_LEN + 1];
	int i;

	/* No fields: HMAC-SHA256("key", "") */
	assert_int_equal(token_make((const uint8_t *)"key", 3, NULL, 0, out), 0);
	assert_string_equal(out,
		"5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
	assert_int_equal(token_make((const uint8_t *)"key", 3, ab_c, 2, out), 0);
	assert_string_equal(out,
		"6792a685701881d31208bf28ad5cbe35d0ea5cc4f15c4689af94fe1602c421e3");
	for (i = 0; i < SECRET_LEN; i++)
		seq[i] = (uint8_t)i;
	assert_int_equal(token_make(seq, sizeof(seq), client, 2, out), 0);
	assert_string_equal(out,
		"9a16446d18e415e9eba5c0b28c2608a19dc24dc15418d35f33daf93c35ffa1ef");
}

static void test_make_and_check(void **state)
{
	const char *fields[] = { "52:54:00:12:34:56", "lab", "3", "volatile" };
	char t1[TOKEN_HEX_LEN + 1], t2[TOKEN_HEX_LEN + 1];

	assert_int_equal(token_make(key, sizeof(key), fields, 4, t1), 0);
	assert_true(is_lower_hex(t1, TOKEN_HEX_LEN));
	assert_int_equal(token_make(key, sizeof(key), fields, 4, t2), 0);
	assert_string_equal(t1, t2);	/* deterministic */
	assert_true(token_check(key, sizeof(key), fields, 4, t1));

	/* Any change of a field, the count or the key changes the token. */
	fields[2] = "4";
	assert_false(token_check(key, sizeof(key), fields, 4, t1));
	fields[2] = "3";
	assert_false(token_check(key, sizeof(key), fields, 3, t1));
	assert_false(token_check(key, sizeof(key) - 1, fields, 4, t1));
	{
		uint8_t other[SECRET_LEN];

		memcpy(other, key, sizeof(other));
		other[0] ^= 1;
		assert_false(token_check(other, sizeof(other), fields, 4, t1));
	}
}

static void test_field_ambiguity(void **state)
{
	const char *ab_c[] = { "ab", "c" };
	const char *a_bc[] = { "a", "bc" };
	const char *abc[] = { "abc" };
	const char *abc_empty[] = { "abc", "" };
	const char *empty_abc[] = { "", "abc" };
	char t[5][TOKEN_HEX_LEN + 1];
	int i, j;

	assert_int_equal(token_make(key, sizeof(key), ab_c, 2, t[0]), 0);
	assert_int_equal(token_make(key, sizeof(key), a_bc, 2, t[1]), 0);
	assert_int_equal(token_make(key, sizeof(key), abc, 1, t[2]), 0);
	assert_int_equal(token_make(key, sizeof(key), abc_empty, 2, t[3]), 0);
	assert_int_equal(token_make(key, sizeof(key), empty_abc, 2, t[4]), 0);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			assert_string_not_equal(t[i], t[j]);
}

static void test_check_rejects_junk(void **state)
{
	const char *fields[] = { "client", "image" };
	char good[TOKEN_HEX_LEN + 1], bad[TOKEN_HEX_LEN + 2];
	size_t i;

	assert_int_equal(token_make(key, sizeof(key), fields, 2, good), 0);
	assert_false(token_check(key, sizeof(key), fields, 2, NULL));
	assert_false(token_check(key, sizeof(key), fields, 2, ""));
	/* one short, one long */
	memcpy(bad, good, TOKEN_HEX_LEN - 1);
	bad[TOKEN_HEX_LEN - 1] = '\0';
	assert_false(token_check(key, sizeof(key), fields, 2, bad));
	memcpy(bad, good, TOKEN_HEX_LEN);
	bad[TOKEN_HEX_LEN] = '0';
	bad[TOKEN_HEX_LEN + 1] = '\0';
	assert_false(token_check(key, sizeof(key), fields, 2, bad));
	/* upper case is not the token */
	for (i = 0; i < TOKEN_HEX_LEN; i++)
		bad[i] = (good[i] >= 'a' && good[i] <= 'f') ? (char)(good[i] - 32) : good[i];
	bad[TOKEN_HEX_LEN] = '\0';
	if (strcmp(bad, good) != 0)
		assert_false(token_check(key, sizeof(key), fields, 2, bad));
	/* every single-character change is refused, wherever it is */
	for (i = 0; i < TOKEN_HEX_LEN; i++) {
		memcpy(bad, good, sizeof(good));
		bad[i] = bad[i] == '0' ? '1' : '0';
		assert_false(token_check(key, sizeof(key), fields, 2, bad));
		bad[i] = 'g';
		assert_false(token_check(key, sizeof(key), fields, 2, bad));
	}
	/* bad arguments make a wrong token, never a crash */
	assert_false(token_check(NULL, 0, fields, 2, good));
	assert_false(token_check(key, 0, fields, 2, good));
}

/** elapsed_ns() - nanoseconds for @n checks of @token. */
static double elapsed_ns(const char *const *fields, const char *token, int n)
{
	struct timespec a, b;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		(void)token_check(key, sizeof(key), fields, 1, token);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
}

static void test_check_timing(void **state)
{
	/* A token wrong in its first character and one wrong in its last take
	 * about the same time (a coarse check; the comparison itself is
	 * gnutls_memcmp()).  The best of several rounds removes noise. */
	const char *fields[] = { "x" };
	char good[TOKEN_HEX_LEN + 1], first[TOKEN_HEX_LEN + 1], last[TOKEN_HEX_LEN + 1];
	double best_first = 1e18, best_last = 1e18, t;
	int round;

	assert_int_equal(token_make(key, sizeof(key), fields, 1, good), 0);
	memcpy(first, good, sizeof(good));
	memcpy(last, good, sizeof(good));
	first[0] = first[0] == 'a' ? 'b' : 'a';
	last[TOKEN_HEX_LEN - 1] = last[TOKEN_HEX_LEN - 1] == 'a' ? 'b' : 'a';
	for (round = 0; round < 7; round++) {
		t = elapsed_ns(fields, first, 2000);
		if (t < best_first)
			best_first = t;
		t = elapsed_ns(fields, last, 2000);
		if (t < best_last)
			best_last = t;
	}
	/* Loose on purpose (the HMAC dominates the time, and CI machines are
	 * noisy): refuse only a factor of three either way. */
	assert_true(best_first < 3 * best_last && best_last < 3 * best_first);
}

static void test_make_errors(void **state)
{
	const char *fields[] = { "a", NULL };
	char out[TOKEN_HEX_LEN + 1];

	assert_int_equal(token_make(NULL, 32, fields, 1, out), -EINVAL);
	assert_int_equal(token_make(key, 0, fields, 1, out), -EINVAL);
	assert_int_equal(token_make(key, sizeof(key), NULL, 1, out), -EINVAL);
	assert_int_equal(token_make(key, sizeof(key), fields, 2, out), -EINVAL);
	assert_int_equal(token_make(key, sizeof(key), NULL, 0, out), 0);
}

static void test_secret_create_load(void **state)
{
	struct tu_scratch *f = *state;
	char *path = xasprintf("%s/secret", f->dir);
	uint8_t k1[SECRET_LEN], k2[SECRET_LEN], zero[SECRET_LEN] = { 0 };
	char *path2 = xasprintf("%s/secret2", f->dir);
	struct stat st;
	mode_t old = umask(077);

	assert_int_equal(secret_create(path), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, SECRET_LEN);
	assert_int_equal(secret_load(path, k1), 0);
	assert_memory_not_equal(k1, zero, SECRET_LEN);

	/* never overwritten */
	assert_int_equal(secret_create(path), -EEXIST);
	assert_int_equal(secret_load(path, k2), 0);
	assert_memory_equal(k1, k2, SECRET_LEN);

	/* a second secret differs */
	assert_int_equal(secret_create(path2), 0);
	assert_int_equal(secret_load(path2, k2), 0);
	assert_memory_not_equal(k1, k2, SECRET_LEN);

	free(path);
	free(path2);
}

static void test_secret_refused(void **state)
{
	struct tu_scratch *f = *state;
	char *path = xasprintf("%s/secret", f->dir);
	char *link = xasprintf("%s/link", f->dir);
	char *missing = xasprintf("%s/nodir/secret", f->dir);
	uint8_t k[SECRET_LEN], before[SECRET_LEN];
	static const mode_t bad_modes[] = { 0640, 0604, 0644, 0660, 0610, 0601, 0700 | 040 };
	size_t i;
	int fd;

	assert_int_equal(secret_create(path), 0);
	memset(k, 0x5a, sizeof(k));
	memcpy(before, k, sizeof(k));
	for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
		assert_int_equal(chmod(path, bad_modes[i]), 0);
		assert_int_equal(secret_load(path, k), -EPERM);
		assert_memory_equal(k, before, SECRET_LEN);	/* untouched */
	}
	/* 0400 is fine */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(secret_load(path, k), 0);
	assert_int_equal(chmod(path, 0600), 0);

	/* wrong sizes */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, "x", 1), 0);
	close(fd);
	assert_int_equal(secret_load(path, k), -EINVAL);
	assert_int_equal(truncate(path, SECRET_LEN - 1), 0);
	assert_int_equal(secret_load(path, k), -EINVAL);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(secret_load(path, k), -EINVAL);

	/* symlinks, directories, missing files */
	assert_int_equal(truncate(path, SECRET_LEN), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(secret_load(link, k), -ELOOP);
	assert_int_equal(secret_load(f->dir, k), -EINVAL);
	assert_int_equal(secret_load(missing, k), -ENOENT);
	assert_int_equal(secret_create(missing), -ENOENT);
	/* creating through a symlink is refused too */
	assert_int_equal(secret_create(link), -EEXIST);

	free(path);
	free(link);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_make_and_check),
		cmocka_unit_test(test_field_ambiguity),
		cmocka_unit_test(test_check_rejects_junk),
		cmocka_unit_test(test_check_timing),
		cmocka_unit_test(test_make_errors),
		tu_scratch_test(test_secret_create_load),
		tu_scratch_test(test_secret_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
